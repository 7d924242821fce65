//! report.pdf: a real PDF with both languages, fonts embedded, the
//! preliminary status on every page.

use std::process::Command;

use imaging_io::testing::program;
use report::assemble::{ReportInput, assemble};
use report::render::words;
use report::{Lang, sample};

#[test]
fn pdf_holds_both_languages_with_embedded_fonts() {
    let doc = sample::ten_findings();
    let report = assemble(&ReportInput::new(&doc));
    let rendered = [words(&report, Lang::En), words(&report, Lang::Zh)];
    let start = std::time::Instant::now();
    let pdf = report_pdf::render_pdf(&rendered, &[]).unwrap();
    eprintln!(
        "PDF of {} bytes in {:.2} s",
        pdf.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("report.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let Some(pdftotext) = program("pdftotext") else {
        return;
    };
    let out = Command::new(pdftotext)
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PRELIMINARY, NOT SIGNED"), "{text}");
    assert!(text.contains("Left pneumothorax"), "{text}");
    if report_pdf::cjk_font().is_some() {
        assert!(text.contains("初步报告"), "{text}");
        assert!(text.contains("右肺上叶"), "{text}");
    } else {
        eprintln!("skipped Chinese check: no CJK font (fonts-noto-cjk)");
        assert!(text.contains("Chinese report was left out"));
    }
    if let Some(pdffonts) = program("pdffonts") {
        let out = Command::new(pdffonts).arg(&path).output().unwrap();
        let table = String::from_utf8_lossy(&out.stdout);
        // Every font row says "yes" in the emb column.
        for line in table.lines().skip(2) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            assert!(
                cols.iter().find(|c| **c == "yes" || **c == "no") == Some(&"yes"),
                "{table}"
            );
        }
        if report_pdf::cjk_font().is_some() {
            assert!(table.contains("NotoSansCJK"), "{table}");
        }
    }
}
