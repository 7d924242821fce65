//! Writes the sample ten-finding report as a PDF
//! (`cargo run -p report-pdf --example sample_pdf -- OUT.pdf`).

use report::assemble::{ReportInput, assemble};
use report::render::words;
use report::{Lang, sample};

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "report.pdf".into());
    let doc = sample::ten_findings();
    let report = assemble(&ReportInput::new(&doc));
    let rendered = [words(&report, Lang::En), words(&report, Lang::Zh)];
    match report_pdf::render_pdf(&rendered, &[]) {
        Ok(pdf) => {
            if let Err(e) = std::fs::write(&out, pdf) {
                eprintln!("{out}: {e}");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
