//! Benchmark: every anatomy unit on a 512 x 512 x ~300 volume (the real
//! A0001 scan resampled to 1 mm slices, or a scan given in
//! AIRAD_BENCH_SCAN), run through the pathway scheduler on all cores;
//! prints wall time and memory per unit and in total.
//!
//! `cargo bench -p anatomy --bench anatomy`

use std::sync::Arc;

use aisu::ExamInfo;
use pathway::{PathwaySpec, Plan, Registry, Silent, run};
use volume::{Interpolation, resample_to_spacing};

fn main() {
    let scan = std::env::var("AIRAD_BENCH_SCAN")
        .ok()
        .map(std::path::PathBuf::from)
        .or_else(|| imaging_io::testing::real_data("lung-pet-ct-dx/A0001/ct"));
    let Some(scan) = scan else {
        eprintln!("skipped: no scan (set AIRAD_BENCH_SCAN)");
        return;
    };
    let image = imaging_io::read_image(&scan, &Default::default(), &imaging_io::NoProgress)
        .expect("scan reads");
    let s = image.volume.spacing();
    let volume = if s[2] > 1.5 {
        resample_to_spacing(
            &image.volume,
            [s[0], s[1], 1.0],
            Interpolation::Linear,
            -1024,
        )
        .expect("resample")
    } else {
        image.volume.clone()
    };
    println!("volume {:?} at {:?} mm", volume.dims(), volume.spacing());
    let mut registry = Registry::new();
    for unit in anatomy::units() {
        registry.register(unit).expect("unit registers");
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("anatomy", &registry), &registry).expect("plan");
    let outcome = run(
        &plan,
        Arc::new(volume),
        Arc::new(ExamInfo::default()),
        &Silent,
    );
    println!("| unit | status | wall s | peak RSS MB |");
    println!("|---|---|---|---|");
    for r in &outcome.reports {
        println!(
            "| {} | {:?} | {:.2} | {:.0} |",
            r.id, r.status, r.wall_s, r.peak_rss_mb
        );
    }
    let peak = outcome
        .reports
        .iter()
        .map(|r| r.peak_rss_mb)
        .fold(0.0, f64::max);
    println!("| all anatomy | | {:.2} | {:.0} |", outcome.wall_s, peak);
}
