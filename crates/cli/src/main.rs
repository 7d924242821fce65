//! `airad`: the one command-line tool of the airad chest CT reading
//! assistant. Thin: it parses arguments, shows progress, turns errors into
//! one-line messages and exit codes (0 ok, 1 bad input, 2 usage), and calls
//! the library crates for everything else.

mod commands;
mod progress;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// airad reads a non-contrast chest CT for every common abnormality at once
/// and writes the report a radiologist signs. Every output is preliminary
/// until a radiologist signs it.
///
/// INPUT, everywhere, is a DICOM folder (searched recursively, any file
/// names, with or without DICOMDIR), a single DICOM file, or a NIfTI
/// (.nii, .nii.gz), NRRD (.nrrd, .nhdr) or MetaImage (.mha, .mhd) file.
///
/// Exit status: 0 success, 1 bad input (the message names the file and the
/// problem), 2 wrong usage.
#[derive(Parser, Debug)]
#[command(name = "airad", version, about, long_about, propagate_version = true)]
pub struct Cli {
    /// Show more log detail on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// No progress bars (logs and results only).
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read a chest CT: run a pathway of analysis units and write the
    /// output folder (findings.json, anatomy.nii.gz + anatomy.json,
    /// lesions.nii.gz, run.json).
    ///
    /// Every result is preliminary until a radiologist signs it.
    ///
    /// Example: airad analyze scans/patient1/ --out results/patient1 --context screening
    Analyze(commands::analyze::AnalyzeArgs),
    /// Describe a scan: series found, grid, geometry, acquisition, HU range.
    ///
    /// Decodes every pixel, so a damaged file is caught here. With --json,
    /// one JSON object goes to stdout (dims, spacing, origin, direction as 9
    /// numbers in LPS, modality, warnings, ...); logs go to stderr.
    ///
    /// Example: airad info scans/patient1/ --json
    Info(commands::info::InfoArgs),
    /// Convert a scan to NIfTI (.nii or .nii.gz; RAS affine, sform and qform).
    ///
    /// Example: airad convert scans/patient1/ patient1.nii.gz
    Convert(commands::convert::ConvertArgs),
    /// Score a pathway on a phantom suite and annotated real scans:
    /// anatomy Dice and surface distance, finding sensitivity (Wilson 95%
    /// interval), false positives per scan, measurement error, location,
    /// grades, time per unit.
    ///
    /// Example: airad eval --suite suite20/ --real ../shared/data/lung-pet-ct-dx --out docs/performance.md
    Eval(commands::eval_cmd::EvalArgs),
    /// Generate a synthetic chest CT with exact ground truth, or a suite.
    ///
    /// The folder holds dicom/ (one CT series), ct.nii.gz, labels.nii.gz +
    /// labels.json, ground_truth.json (the findings.json format) and
    /// params.json. `airad phantom suite` makes a suite of them for `airad
    /// eval`.
    ///
    /// Example: airad phantom --seed 7 --findings F01,F01,F14 --slice-mm 1.25 --out phantom7/
    Phantom(commands::phantom::PhantomArgs),
    /// Run the whole job on a phantom whose answer is known.
    ///
    /// Generates a phantom with a few findings into DIR/phantom, analyses
    /// its DICOM series as `airad analyze` does, writes the outputs into
    /// DIR and prints the ground truth beside airad's findings.
    ///
    /// Example: airad demo --out airad-demo --lang zh
    Demo(commands::demo::DemoArgs),
    /// Measure speed against the field's anchor tools (dcm2niix,
    /// SimpleITK) in one run and update docs/benchmarks.md.
    ///
    /// Example: cargo run --release -p airad-cli -- bench io
    Bench(commands::bench::BenchArgs),
    /// Write the report outputs of a findings document: report.txt,
    /// report.zh.txt, report.html, report.pdf, fhir.json, and with a DICOM
    /// --scan sr.dcm (TID 1500) and seg.dcm. Every output is marked
    /// PRELIMINARY, NOT SIGNED.
    ///
    /// Example: airad report results/patient1/findings.json --scan scans/patient1/ --out results/patient1
    Report(commands::report::ReportArgs),
}

/// Options shared by every command that reads a scan.
#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Read the DICOM series with this Series Instance UID (default: the
    /// largest axial CT series; `airad info` lists them all).
    #[arg(long, value_name = "UID")]
    pub series: Option<String>,
    /// Accept a modality other than CT (values are then not HU and analysis
    /// results are meaningless).
    #[arg(long)]
    pub allow_non_ct: bool,
}

/// How a command failed, which decides the exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad input data or an I/O problem: exit 1.
    Input(String),
    /// Wrong usage discovered after parsing: exit 2.
    Usage(String),
}

impl From<imaging_io::IoError> for Failure {
    fn from(e: imaging_io::IoError) -> Self {
        Failure::Input(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    init_logging(cli.verbose);
    let bars = progress::Bars::new(cli.quiet);
    let result = match &cli.command {
        Command::Analyze(args) => commands::analyze::run(args, &bars, cli.quiet),
        Command::Info(args) => commands::info::run(args, &bars),
        Command::Convert(args) => commands::convert::run(args, &bars),
        Command::Eval(args) => commands::eval_cmd::run(args, &bars),
        Command::Phantom(args) => commands::phantom::run(args, &bars),
        Command::Demo(args) => commands::demo::run(args, &bars, cli.quiet),
        Command::Bench(args) => commands::bench::run(args, &bars),
        Command::Report(args) => commands::report::run(args, &bars),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(message)) => {
            eprintln!("airad: error: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("airad: usage error: {message}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AIRAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        // Units and their phases open debug spans: at debug level each
        // one's close line carries its busy time (a profile per phase).
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init();
}
