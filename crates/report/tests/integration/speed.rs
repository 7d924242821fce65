//! Report generation for a 39-finding exam stays under 1 s without key
//! images (acceptance of issue 7; the published figures, PDF included, come
//! from `airad bench report` into docs/benchmarks.md).

use report::speed::{SpeedFixture, full_formats, measure};

#[test]
fn thirty_nine_findings_report_in_under_a_second() {
    let fixture = SpeedFixture::new();
    assert_eq!(fixture.document.findings.len(), 39);
    let tmp = tempfile::tempdir().unwrap();
    let speed = measure(&fixture, 3, None, tmp.path()).unwrap();
    let names: Vec<&str> = speed.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names.len(),
        full_formats(false).len(),
        "every output but key images and the PDF: {names:?}"
    );
    for name in [
        "report.txt",
        "report.zh.txt",
        "report.html",
        "fhir.json",
        "sr.dcm",
        "seg.dcm",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    for stage in &speed.stages {
        eprintln!(
            "{}: median {:.1} ms, worst {:.1} ms",
            stage.name,
            stage.median() * 1e3,
            stage.worst() * 1e3
        );
    }
    let total = speed.stages.last().unwrap();
    assert!(total.median() < 1.0, "{total:?}");
}
