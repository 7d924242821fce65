//! `airad analyze`: read a scan, run a pathway of AISUs, write the output
//! folder, print a short summary.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use aisu::ExamContext;
use clap::{Args, ValueEnum};
use imaging_io::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use pathway::{RunObserver, UnitReport, UnitStatus};

use super::read_input;
use crate::{Failure, InputArgs};

/// Exam context: decides which guideline grades nodules.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ContextArg {
    /// Lung cancer screening low-dose CT (Lung-RADS on slices <= 2.5 mm).
    Screening,
    /// Incidental finding, patient >= 35 without known cancer (Fleischner 2017).
    Incidental,
    /// Known cancer: staging or follow-up.
    Oncology,
    /// Not known: findings are described, no category is invented.
    Unknown,
}

impl From<ContextArg> for ExamContext {
    fn from(c: ContextArg) -> Self {
        match c {
            ContextArg::Screening => ExamContext::Screening,
            ContextArg::Incidental => ExamContext::Incidental,
            ContextArg::Oncology => ExamContext::Oncology,
            ContextArg::Unknown => ExamContext::Unknown,
        }
    }
}

/// Report language.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

/// Arguments of `airad analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// DICOM folder or file, NIfTI, NRRD or MetaImage file.
    pub input: PathBuf,
    /// Output folder (created when missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Pathway file (TOML); default: the built-in chest-ct-full.
    #[arg(long, value_name = "FILE")]
    pub pathway: Option<PathBuf>,
    /// Exam context.
    #[arg(long, value_enum, default_value = "unknown")]
    pub context: ContextArg,
    /// Language of the printed summary and the primary report.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: LangArg,
    /// Thread budget for units running side by side (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub input_args: InputArgs,
}

/// Runs `airad analyze`.
pub fn run(args: &AnalyzeArgs, progress: &dyn Progress, quiet: bool) -> Result<(), Failure> {
    let result = analyze_and_write(args, progress, quiet)?;
    print_summary(&result, &args.out);
    Ok(())
}

/// The work of `airad analyze` without the printed summary: reads
/// `args.input`, runs the pathway and writes the output folder
/// `args.out`. `airad demo` calls it on a phantom's DICOM series.
pub fn analyze_and_write(
    args: &AnalyzeArgs,
    progress: &dyn Progress,
    quiet: bool,
) -> Result<analysis::Analysis, Failure> {
    if args.threads == Some(0) {
        return Err(Failure::Usage("--threads must be at least 1".into()));
    }
    let registry = analysis::builtin_registry();
    let spec = analysis::load_pathway(args.pathway.as_deref(), &registry).map_err(to_failure)?;
    let scan = read_input(&args.input, &args.input_args, progress)?;
    for warning in &scan.image.warnings {
        tracing::warn!("{}: {warning}", args.input.display());
    }
    let exam = analysis::exam_info(&scan.image, args.context.into());
    let observer = UnitBars::new(quiet);
    let result = analysis::analyze(&scan.image, &spec, &registry, exam, args.threads, &observer)
        .map_err(to_failure)?;
    observer.clear();
    analysis::write_outputs_with_pdf(&args.out, &args.input, &result, Some(&report_pdf::TypstPdf))
        .map_err(to_failure)?;
    Ok(result)
}

fn to_failure(e: analysis::AnalysisError) -> Failure {
    match e {
        analysis::AnalysisError::Io(io) => Failure::Input(io.to_string()),
        analysis::AnalysisError::Pathway(p) => Failure::Input(p.to_string()),
        analysis::AnalysisError::Report(r) => Failure::Input(r.to_string()),
    }
}

/// Prints the summary of an analysis (units, findings, output folder) on
/// stderr.
pub fn print_summary(analysis: &analysis::Analysis, out: &std::path::Path) {
    let doc = &analysis.result.document;
    let failed: Vec<&UnitReport> = analysis
        .outcome
        .reports
        .iter()
        .filter(|r| r.status != UnitStatus::Ok)
        .collect();
    eprintln!(
        "{} units in {:.1} s ({} did not finish); {} finding(s), {} code(s) not assessed",
        analysis.outcome.reports.len(),
        analysis.outcome.wall_s,
        failed.len(),
        doc.findings.len(),
        doc.not_assessed.len()
    );
    for r in failed {
        eprintln!(
            "  {} {:?}: {}",
            r.id,
            r.status,
            r.reason.as_deref().unwrap_or("")
        );
    }
    for f in &doc.findings {
        let title = aisu::catalogue::entry(&f.code)
            .map(|e| e.title)
            .unwrap_or("");
        eprintln!("  {} {} {} ({:?})", f.id, f.code, title, f.urgency);
    }
    eprintln!("PRELIMINARY, NOT SIGNED: decision support only.");
    eprintln!("results in {}", out.display());
}

/// One spinner per running unit, on stderr.
struct UnitBars {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl UnitBars {
    fn new(quiet: bool) -> Self {
        let multi = if quiet {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::stderr())
        };
        UnitBars {
            multi,
            bars: Mutex::new(BTreeMap::new()),
        }
    }

    fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl RunObserver for UnitBars {
    fn started(&self, id: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(id.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(id.to_string(), bar);
        }
    }

    fn ended(&self, report: &UnitReport) {
        let bar = self.bars.lock().ok().and_then(|mut b| b.remove(&report.id));
        let line = format!("{} {:?} {:.1} s", report.id, report.status, report.wall_s);
        match bar {
            Some(bar) => bar.finish_with_message(line),
            None => {
                let _ = self.multi.println(line);
            }
        }
    }
}
