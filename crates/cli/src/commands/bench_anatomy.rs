//! `airad bench anatomy`: every built-in anatomy unit on a 512 x 512 x 300
//! chest CT (a real scan resampled to 300 slices), through the pathway
//! scheduler on all cores, beside an equivalent SimpleITK pipeline
//! (threshold, connected components, hole filling, morphology: the steps
//! a classical lung/body segmentation is built from) on the same volume in
//! the same run. Wall time, per-unit time and the process's peak memory
//! go to the `anatomy` section of docs/benchmarks.md.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use aisu::ExamInfo;
use imaging_io::Progress;
use pathway::{PathwaySpec, Plan, Registry, Silent};
use volume::{Interpolation, resample_to_spacing};

use eval::machine_line;

use crate::Failure;

/// Slices of the benchmark volume (the issue's 512 x 512 x 300).
const BENCH_SLICES: usize = 300;

/// The SimpleITK pipeline: air below -400 HU; the outside air is what
/// touches the border; body = the largest component of the rest, holes
/// filled; lungs = inner air components larger than 100 mL, closed by a
/// ball of radius 2 voxels, holes filled. Only the processing is timed (reading excluded); the
/// median of the runs is printed with the version and lung volume.
const SITK_PIPELINE: &str = r#"
import sys, time, statistics, SimpleITK as sitk
img = sitk.ReadImage(sys.argv[1])
runs = int(sys.argv[2])
sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(int(sys.argv[3]))
times = []
for _ in range(runs):
    t = time.perf_counter()
    air = sitk.BinaryThreshold(img, -2000, -400, 1, 0)
    # Pad one tissue slice above and below so that the trachea, cut by
    # the top of the scan, does not count as touching the outside.
    padded = sitk.ConstantPad(air, [0, 0, 1], [0, 0, 1], 0)
    outside = sitk.Crop(sitk.BinaryGrindPeak(padded), [0, 0, 1], [0, 0, 1])
    body = sitk.BinaryNot(outside)
    cc = sitk.RelabelComponent(sitk.ConnectedComponent(body), sortByObjectSize=True)
    body = sitk.BinaryFillhole(sitk.BinaryThreshold(cc, 1, 1, 1, 0))
    lungs = sitk.And(air, sitk.BinaryNot(outside))
    cc = sitk.ConnectedComponent(lungs)
    stats = sitk.LabelShapeStatisticsImageFilter()
    stats.Execute(cc)
    keep = [l for l in stats.GetLabels() if stats.GetPhysicalSize(l) > 100000.0]
    lungs = sitk.Image(cc.GetSize(), sitk.sitkUInt8)
    lungs.CopyInformation(cc)
    for l in keep:
        lungs = sitk.Or(lungs, sitk.BinaryThreshold(cc, l, l, 1, 0))
    lungs = sitk.BinaryMorphologicalClosing(lungs, [2, 2, 2], sitk.sitkBall)
    lungs = sitk.BinaryFillhole(lungs)
    times.append(time.perf_counter() - t)
spacing = img.GetSpacing()
volume_ml = float(sitk.GetArrayViewFromImage(lungs).sum()) * spacing[0] * spacing[1] * spacing[2] / 1000.0
print(statistics.median(times), sitk.Version_VersionString(), volume_ml)
"#;

/// Peak resident memory of this process so far (VmHWM), bytes.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs the benchmark on `scan` and returns the markdown section.
pub fn bench_anatomy(scan: &Path, runs: usize, progress: &dyn Progress) -> Result<String, Failure> {
    let python = imaging_io::testing::python_with(&["SimpleITK"]).ok_or_else(|| {
        Failure::Input("no Python with SimpleITK (set AIRAD_PYTHON or run .ci/run)".into())
    })?;
    let image = imaging_io::read_image(scan, &Default::default(), progress)?;
    let s = image.volume.spacing();
    let [nx, ny, nz] = image.volume.dims();
    let extent = nz as f64 * s[2];
    let volume = resample_to_spacing(
        &image.volume,
        [s[0], s[1], extent / BENCH_SLICES as f64],
        Interpolation::Linear,
        -1024,
    )
    .map_err(|e| Failure::Input(format!("{}: resampling: {e}", scan.display())))?;
    let dims = volume.dims();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    let mut registry = Registry::new();
    for unit in anatomy::units() {
        registry
            .register(unit)
            .map_err(|e| Failure::Input(e.to_string()))?;
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("anatomy", &registry), &registry)
        .map_err(|e| Failure::Input(e.to_string()))?;
    let shared = Arc::new(volume.clone());
    progress.start("anatomy units", runs as u64);
    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let outcome = pathway::run(
            &plan,
            shared.clone(),
            Arc::new(ExamInfo::default()),
            &Silent,
        );
        walls.push(t.elapsed().as_secs_f64());
        last = Some(outcome);
        progress.advance(1);
    }
    progress.finish();
    let peak = peak_rss_bytes();
    let outcome = last.ok_or_else(|| Failure::Usage("--runs must be at least 1".into()))?;

    let tmp = std::env::temp_dir().join(format!("airad-bench-anatomy-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| Failure::Input(format!("{}: {e}", tmp.display())))?;
    let nii = tmp.join("volume.nii.gz");
    imaging_io::nifti_io::write_nifti(&nii, &volume)?;
    progress.start("SimpleITK pipeline", 1);
    let output = Command::new(&python)
        .args(["-c", SITK_PIPELINE])
        .arg(&nii)
        .arg(runs.to_string())
        .arg(threads.to_string())
        .output()
        .map_err(|e| Failure::Input(format!("{}: {e}", python.display())))?;
    progress.finish();
    let _ = std::fs::remove_dir_all(&tmp);
    if !output.status.success() {
        return Err(Failure::Input(format!(
            "SimpleITK pipeline failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace();
    let sitk_s: f64 = fields
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Failure::Input(format!("unexpected SimpleITK output: {text}")))?;
    let sitk_version = fields.next().unwrap_or("?").to_string();
    let sitk_lung_ml: f64 = fields
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);

    walls.sort_by(f64::total_cmp);
    let wall = walls[walls.len() / 2];
    let mut md = String::new();
    md.push_str(&format!(
        "## Anatomy\n\n{}\n\nVolume: `{}` ({nx} x {ny} x {nz}) resampled to {} x {} x {} ({:.2} x {:.2} x {:.2} mm); {runs} runs, medians; {threads} threads.\n\n",
        machine_line(),
        scan.canonicalize()
            .unwrap_or_else(|_| scan.to_path_buf())
            .display(),
        dims[0],
        dims[1],
        dims[2],
        volume.spacing()[0],
        volume.spacing()[1],
        volume.spacing()[2],
    ));
    md.push_str("| task | airad | anchor | anchor tool | ratio airad/anchor | target |\n|---|---|---|---|---|---|\n");
    md.push_str(&format!(
        "| all anatomy units ({} units) vs a threshold / components / hole filling / closing lung pipeline | {wall:.2} s | {sitk_s:.2} s | SimpleITK {sitk_version} | {:.2} | airad < 8 s |\n",
        outcome.reports.len(),
        wall / sitk_s
    ));
    md.push_str(&format!(
        "\nPeak resident memory of the benchmark process (reading, resampling and {runs} runs): {} (target < 2 GB). The SimpleITK pipeline segments body and lungs only ({sitk_lung_ml:.0} mL of lung); airad's units segment every structure of the anatomy list.\n\n",
        peak.map(|b| format!("{:.2} GB", b as f64 / 1e9))
            .unwrap_or_else(|| "unknown".into())
    ));
    md.push_str("| unit | wall s (last run) | peak RSS MB |\n|---|---|---|\n");
    for r in &outcome.reports {
        md.push_str(&format!(
            "| {} | {:.2} | {:.0} |\n",
            r.id, r.wall_s, r.peak_rss_mb
        ));
    }
    md.push_str("\nRegenerate: `cargo run --release -p airad-cli -- bench anatomy`.\n");
    Ok(md)
}
