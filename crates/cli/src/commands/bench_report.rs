//! `airad bench report`: report generation for a 39-finding exam (one
//! finding of every catalogue code, with a prior), excluding key-image
//! rendering: every output written (text en/zh, HTML, PDF, FHIR, SR, SEG),
//! stage by stage, with the 1 s target of issue 7. The figures go into
//! docs/benchmarks.md (section `bench:report`).

use imaging_io::Progress;
use report::speed::{SpeedFixture, measure};

use eval::machine_line;

use crate::Failure;

/// Target for every output but key images, s.
pub const TARGET_S: f64 = 1.0;

/// Runs the benchmark; returns the markdown section.
pub fn bench_report(runs: usize, progress: &dyn Progress) -> Result<String, Failure> {
    let dir = std::env::temp_dir().join(format!("airad-bench-report-{}", std::process::id()));
    progress.start("building the 39-finding exam", 1);
    let fixture = SpeedFixture::new();
    progress.advance(1);
    progress.finish();
    progress.start("timing report generation", 1);
    let pdf = report_pdf::TypstPdf;
    let speed = measure(&fixture, runs, Some(&pdf), &dir)
        .map_err(|e| Failure::Input(format!("report generation failed: {e}")));
    let _ = std::fs::remove_dir_all(&dir);
    let speed = speed?;
    progress.advance(1);
    progress.finish();
    let mut s = format!(
        "## Report generation\n\n{}\n\nA {}-finding exam (one finding of every catalogue code, with a prior), key images excluded; {} runs per row, medians and slowest run. The PDF's fonts load once per process (first run).\n\n| stage | median | slowest | target |\n|---|---|---|---|\n",
        machine_line(),
        speed.findings,
        speed.runs
    );
    let last = speed.stages.len().saturating_sub(1);
    for (i, stage) in speed.stages.iter().enumerate() {
        let target = if i == last {
            format!("< {TARGET_S} s")
        } else {
            "".into()
        };
        s.push_str(&format!(
            "| {} | {:.1} ms | {:.1} ms | {target} |\n",
            stage.name,
            stage.median() * 1e3,
            stage.worst() * 1e3
        ));
    }
    let files: Vec<String> = speed
        .files
        .iter()
        .map(|(name, bytes)| format!("`{name}` {:.1} kB", *bytes as f64 / 1e3))
        .collect();
    s.push_str(&format!(
        "\nOutputs of the last run: {}.\n",
        files.join(", ")
    ));
    s.push_str("\nRegenerate: `cargo run --release -p airad-cli -- bench report`.\n");
    Ok(s)
}
