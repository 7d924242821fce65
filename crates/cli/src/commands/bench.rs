//! `airad bench`: speed measured side by side with the field's anchor tools
//! in the same run, reported as ratios, and written into
//! docs/benchmarks.md with machine and date. Published figures come from
//! here, never typed in.
//!
//! Build with `--release` for meaningful numbers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::{Args, Subcommand};
use imaging_io::Progress;
use imaging_io::dicom_read::{DicomReadOptions, read_dicom};

use eval::{machine_line, write_section};

use crate::Failure;

/// Arguments of `airad bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub which: BenchWhich,
    /// Repetitions per measurement (the median is reported).
    #[arg(long, default_value_t = 5, global = true)]
    pub runs: usize,
    /// Markdown file whose section for this benchmark is replaced.
    #[arg(long, default_value = "docs/benchmarks.md", global = true)]
    pub out: PathBuf,
}

/// The benchmarks.
#[derive(Subcommand, Debug)]
pub enum BenchWhich {
    /// Generating a 512 x 512 x 300 phantom with ten findings (every code
    /// the phantom can insert): wall time, CPU time, peak memory (target
    /// under 20 s on 2 cores).
    Phantom(super::bench_phantom::BenchPhantomArgs),
    /// Report generation for a 39-finding exam, key images excluded: every
    /// output (text en/zh, HTML, PDF, FHIR, SR, SEG), target under 1 s.
    Report,
    /// DICOM to NIfTI against dcm2niix, and reading a series into memory
    /// against SimpleITK's ImageSeriesReader (PyPI SimpleITK).
    Io {
        /// The DICOM series (default: Lung-PET-CT-Dx A0001 in the shared data).
        #[arg(long)]
        series: Option<PathBuf>,
    },
    /// Every anatomy unit on a 512 x 512 x 300 chest CT (a real scan
    /// resampled to 300 slices) against an equivalent SimpleITK pipeline
    /// (threshold, connected components, hole filling, morphology).
    Anatomy {
        /// The scan (default: Lung-PET-CT-Dx A0001 in the shared data).
        #[arg(long)]
        scan: Option<PathBuf>,
    },
}

/// Runs `airad bench`.
pub fn run(args: &BenchArgs, progress: &dyn Progress) -> Result<(), Failure> {
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; build with --release for real numbers");
    }
    match &args.which {
        BenchWhich::Phantom(size) => {
            let section = super::bench_phantom::bench_phantom(size, args.runs.max(1), progress)?;
            println!("{section}");
            write_section(&args.out, "phantom", &section)
                .map_err(|e| Failure::Input(e.to_string()))?;
            eprintln!("updated {}", args.out.display());
            Ok(())
        }
        BenchWhich::Report => {
            let section = super::bench_report::bench_report(args.runs.max(1), progress)?;
            println!("{section}");
            write_section(&args.out, "report", &section)
                .map_err(|e| Failure::Input(e.to_string()))?;
            eprintln!("updated {}", args.out.display());
            Ok(())
        }
        BenchWhich::Anatomy { scan } => {
            let scan = match scan {
                Some(s) => s.clone(),
                None => {
                    imaging_io::testing::real_data("lung-pet-ct-dx/A0001/ct").ok_or_else(|| {
                        Failure::Input("the A0001 scan is not available: pass --scan PATH".into())
                    })?
                }
            };
            let section = super::bench_anatomy::bench_anatomy(&scan, args.runs.max(1), progress)?;
            println!("{section}");
            write_section(&args.out, "anatomy", &section)
                .map_err(|e| Failure::Input(e.to_string()))?;
            eprintln!("updated {}", args.out.display());
            Ok(())
        }
        BenchWhich::Io { series } => {
            let series = match series {
                Some(s) => s.clone(),
                None => {
                    imaging_io::testing::real_data("lung-pet-ct-dx/A0001/ct").ok_or_else(|| {
                        Failure::Input(
                            "the A0001 series is not available: pass --series DIR".into(),
                        )
                    })?
                }
            };
            let section = bench_io(&series, args.runs.max(1), progress)?;
            println!("{section}");
            write_section(&args.out, "io", &section).map_err(|e| Failure::Input(e.to_string()))?;
            eprintln!("updated {}", args.out.display());
            Ok(())
        }
    }
}

fn bench_io(series: &Path, runs: usize, progress: &dyn Progress) -> Result<String, Failure> {
    let exe = std::env::current_exe().map_err(|e| Failure::Input(e.to_string()))?;
    let tmp = std::env::temp_dir().join(format!("airad-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| Failure::Input(e.to_string()))?;
    let dcm2niix = which("dcm2niix").ok_or_else(|| {
        Failure::Input("dcm2niix is not installed (apt-get install dcm2niix)".into())
    })?;
    let python = imaging_io::testing::python_with(&["SimpleITK"]).ok_or_else(|| {
        Failure::Input("no Python with SimpleITK (set AIRAD_PYTHON or run .ci/run)".into())
    })?;

    // Convert: whole processes, alternated so load affects both alike.
    progress.start("convert vs dcm2niix", 2 * runs as u64);
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let out_nii = tmp.join("airad.nii.gz");
    let d2n_dir = tmp.join("dcm2niix");
    for _ in 0..runs {
        ours.push(time_command(
            Command::new(&exe)
                .arg("convert")
                .arg(series)
                .arg(&out_nii)
                .arg("--quiet"),
        )?);
        progress.advance(1);
        let _ = std::fs::remove_dir_all(&d2n_dir);
        std::fs::create_dir_all(&d2n_dir).map_err(|e| Failure::Input(e.to_string()))?;
        theirs.push(time_command(
            Command::new(&dcm2niix)
                .args(["-z", "y", "-o"])
                .arg(&d2n_dir)
                .arg(series),
        )?);
        progress.advance(1);
    }
    progress.finish();
    let our_size = file_size(&out_nii);
    let their_size = std::fs::read_dir(&d2n_dir)
        .ok()
        .and_then(|mut d| {
            d.find_map(|e| {
                let p = e.ok()?.path();
                p.to_string_lossy()
                    .ends_with(".nii.gz")
                    .then(|| file_size(&p))
            })
        })
        .unwrap_or(0);

    // Read into memory: in-process on both sides.
    progress.start("read vs SimpleITK", runs as u64);
    let mut our_read = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let image = read_dicom(
            series,
            &DicomReadOptions::default(),
            &imaging_io::NoProgress,
        )?;
        our_read.push(t.elapsed().as_secs_f64());
        std::hint::black_box(&image);
        progress.advance(1);
    }
    progress.finish();
    let script = format!(
        "import sys, time, statistics, SimpleITK as sitk\n\
         times = []\n\
         for _ in range({runs}):\n\
         \x20   t = time.perf_counter()\n\
         \x20   r = sitk.ImageSeriesReader()\n\
         \x20   r.SetFileNames(r.GetGDCMSeriesFileNames(sys.argv[1]))\n\
         \x20   img = r.Execute()\n\
         \x20   times.append(time.perf_counter() - t)\n\
         print(statistics.median(times), sitk.Version_VersionString(), img.GetSize())\n"
    );
    let output = Command::new(&python)
        .args(["-c", &script])
        .arg(series)
        .output()
        .map_err(|e| Failure::Input(format!("{}: {e}", python.display())))?;
    if !output.status.success() {
        return Err(Failure::Input(format!(
            "SimpleITK failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text.split_whitespace();
    let sitk_read: f64 = fields
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Failure::Input(format!("unexpected SimpleITK output: {text}")))?;
    let sitk_version = fields.next().unwrap_or("?").to_string();
    let _ = std::fs::remove_dir_all(&tmp);

    let d2n_version = Command::new(&dcm2niix)
        .arg("--version")
        .output()
        .map(|o| {
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            all.lines()
                .find(|l| l.contains("version"))
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default();
    let (ours_m, theirs_m) = (median(&mut ours), median(&mut theirs));
    let (read_m, _) = (median(&mut our_read), ());
    let mut s = String::new();
    s.push_str(&format!(
        "## Imaging I/O\n\n{}\n\nSeries: `{}`; {runs} runs each, medians, whole processes for conversion, in-process reading on both sides.\n\n",
        machine_line(),
        series
            .canonicalize()
            .unwrap_or_else(|_| series.to_path_buf())
            .display()
    ));
    s.push_str("| task | airad | anchor | anchor tool | ratio airad/anchor | target |\n|---|---|---|---|---|---|\n");
    s.push_str(&format!(
        "| DICOM series to .nii.gz | {:.3} s ({:.1} MB) | {:.3} s ({:.1} MB) | `dcm2niix -z y` ({d2n_version}) | {:.2} | <= 1.0 |\n",
        ours_m,
        our_size as f64 / 1e6,
        theirs_m,
        their_size as f64 / 1e6,
        ours_m / theirs_m
    ));
    s.push_str(&format!(
        "| read series into memory | {:.3} s | {:.3} s | SimpleITK {sitk_version} ImageSeriesReader | {:.2} | <= 1.5 |\n",
        read_m,
        sitk_read,
        read_m / sitk_read
    ));
    s.push_str("\nRegenerate: `cargo run --release -p airad-cli -- bench io`.\n");
    Ok(s)
}

/// Wall time of one run of a command; a failure is an error.
fn time_command(command: &mut Command) -> Result<f64, Failure> {
    let t = Instant::now();
    let output = command
        .output()
        .map_err(|e| Failure::Input(format!("{command:?}: {e}")))?;
    let elapsed = t.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(Failure::Input(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(elapsed)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}
