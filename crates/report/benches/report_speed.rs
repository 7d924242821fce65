//! Report generation speed for a 39-finding exam (one finding of every
//! catalogue code, with a prior), excluding key-image rendering and the
//! PDF (the `report-pdf` crate): assembly, both languages, text, HTML,
//! FHIR, SR and SEG written. Plain `std::time`, no harness:
//! `cargo bench -p report --bench report_speed`. Prints the figures only;
//! the published ones (PDF included) come from `airad bench report`, which
//! writes them into docs/benchmarks.md. Exits with an error above the 1 s
//! target.

use report::speed::{SpeedFixture, measure};

fn main() {
    let dir = std::env::temp_dir().join(format!("airad-report-speed-{}", std::process::id()));
    let fixture = SpeedFixture::new();
    let speed = match measure(&fixture, 30, None, &dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    for stage in &speed.stages {
        println!(
            "{} findings, {}: median {:.2} ms, worst {:.2} ms over {} runs",
            speed.findings,
            stage.name,
            stage.median() * 1e3,
            stage.worst() * 1e3,
            speed.runs
        );
    }
    if speed.stages.last().is_some_and(|s| s.worst() >= 1.0) {
        eprintln!("SLOWER THAN THE 1 s TARGET");
        std::process::exit(1);
    }
}
