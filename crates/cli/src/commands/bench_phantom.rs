//! `airad bench phantom`: generating a 512 x 512 x 300 phantom with ten
//! findings (every code the phantom can insert, lesion kinds repeated up
//! to ten), in process, on all cores: wall time, CPU time and peak
//! resident memory per run, plus the time to write its folder, into the
//! `phantom` section of docs/benchmarks.md. Target: under 20 s on 2 cores
//! (release build).

use std::process::Command;
use std::time::Instant;

use clap::Args;
use imaging_io::Progress;

use eval::machine_line;

use crate::Failure;

/// The acceptance size: 512 x 512 x 300 at 1 mm.
const FULL_MATRIX: usize = 512;
const FULL_SLICES: usize = 300;
const FULL_SLICE_MM: f64 = 1.0;

/// Findings in the benchmark phantom (at least; more when the phantom can
/// insert more kinds).
const BENCH_FINDINGS: usize = 10;

/// Target wall time of one generation on 2 cores, s.
const TARGET_S: f64 = 20.0;

/// Size options of `airad bench phantom` (the defaults are the
/// acceptance benchmark's; smaller sizes are for checking that it runs).
#[derive(Args, Debug, Clone)]
pub struct BenchPhantomArgs {
    /// Image matrix (columns = rows).
    #[arg(long, default_value_t = FULL_MATRIX)]
    pub matrix: usize,
    /// Number of slices.
    #[arg(long, default_value_t = FULL_SLICES)]
    pub slices: usize,
    /// Slice thickness and spacing, mm.
    #[arg(long, default_value_t = FULL_SLICE_MM)]
    pub slice_mm: f64,
    /// Phantom seed.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
}

/// The finding codes of the benchmark phantom: every supported code once,
/// then the lesion-level ones (nodules, masses, ...) again in turn until
/// there are [`BENCH_FINDINGS`].
pub fn bench_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = phantom::lesions::supported_codes().collect();
    let repeatable: Vec<&'static str> = codes
        .iter()
        .copied()
        .filter(|c| {
            aisu::catalogue::entry(c)
                .is_some_and(|e| e.granularity == aisu::catalogue::Granularity::Lesion)
        })
        .collect();
    let mut k = 0;
    while codes.len() < BENCH_FINDINGS && !repeatable.is_empty() {
        codes.push(repeatable[k % repeatable.len()]);
        k += 1;
    }
    codes
}

/// User plus system CPU seconds of this process so far (every thread).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of proc(5) (utime, stime); `rest` starts at field 3.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let hz = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|h| *h > 0.0)
        .unwrap_or(100.0);
    Some(ticks / hz)
}

/// Resets the peak resident memory mark (Linux >= 4.0); false when the
/// kernel refuses, and the peak then counts from the process start.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident memory of this process since the last reset (VmHWM), bytes.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs the benchmark `runs` times and returns the markdown section.
pub fn bench_phantom(
    args: &BenchPhantomArgs,
    runs: usize,
    progress: &dyn Progress,
) -> Result<String, Failure> {
    let codes = bench_codes();
    let mut params = phantom::PhantomParams::from_seed(args.seed);
    params.matrix = args.matrix;
    params.slice_mm = args.slice_mm;
    params.z_extent_mm = Some(args.slices as f64 * args.slice_mm);
    params.normal = false;
    params.lesions = codes
        .iter()
        .filter_map(|c| phantom::lesions::spec_for_code(c))
        .collect();
    params
        .validate()
        .map_err(|e| Failure::Usage(format!("bench phantom: {e}")))?;
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut peak: Option<u64> = None;
    let mut peak_reset = true;
    let mut last = None;
    for _ in 0..runs.max(1) {
        drop(last.take());
        peak_reset &= reset_peak_rss();
        let cpu0 = cpu_seconds();
        let t = Instant::now();
        let ph = phantom::generate(&params, progress)
            .map_err(|e| Failure::Input(format!("bench phantom: {e}")))?;
        walls.push(t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu0, cpu_seconds()) {
            cpus.push(b - a);
        }
        peak = peak.max(peak_rss_bytes());
        last = Some(ph);
    }
    let ph = last.ok_or_else(|| Failure::Input("bench phantom: no run".into()))?;
    let tmp = std::env::temp_dir().join(format!("airad-bench-phantom-{}", std::process::id()));
    let t = Instant::now();
    phantom::write_phantom(&tmp, &ph).map_err(|e| Failure::Input(e.to_string()))?;
    let write_s = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&tmp);

    let [nx, ny, nz] = ph.ct.dims();
    let wall = median(&mut walls);
    let cpu = median(&mut cpus);
    let full =
        args.matrix == FULL_MATRIX && args.slices == FULL_SLICES && args.slice_mm == FULL_SLICE_MM;
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    let mut s = String::new();
    s.push_str(&format!("## Phantom generation\n\n{}\n\n", machine_line()));
    if !full {
        s.push_str(
            "**Reduced size: a check that the benchmark runs, not the acceptance figure.**\n\n",
        );
    }
    s.push_str(&format!(
        "One phantom of {nx} x {ny} x {nz} voxels ({} mm slices), seed {}, with {} lesions requested ({}) and {} findings in its ground truth, generated in process on {threads} threads (anatomy, lesions, rendering, labels, ground truth); {} run(s), medians; peak RSS {}.\n\n",
        args.slice_mm,
        args.seed,
        codes.len(),
        codes.join(", "),
        ph.truth.findings.len(),
        walls.len(),
        if peak_reset {
            "per run (VmHWM reset before each)"
        } else {
            "of the whole process (VmHWM could not be reset)"
        }
    ));
    s.push_str("| task | wall | CPU (user + system) | CPU / wall | peak RSS | target |\n|---|---|---|---|---|---|\n");
    s.push_str(&format!(
        "| generate | {wall:.2} s | {} | {} | {} | < {TARGET_S:.0} s on 2 cores |\n",
        if cpus.is_empty() {
            "-".to_string()
        } else {
            format!("{cpu:.2} s")
        },
        if cpus.is_empty() || wall <= 0.0 {
            "-".to_string()
        } else {
            format!("{:.2}", cpu / wall)
        },
        peak.map(|b| format!("{:.2} GB", b as f64 / 1e9))
            .unwrap_or_else(|| "-".into()),
    ));
    s.push_str(&format!(
        "| write folder (DICOM series, ct.nii.gz, labels.nii.gz, JSON) | {write_s:.2} s | - | - | - | - |\n"
    ));
    s.push_str("\nRegenerate: `cargo run --release -p airad-cli -- bench phantom`.\n");
    Ok(s)
}
