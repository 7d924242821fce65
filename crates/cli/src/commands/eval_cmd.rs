//! `airad eval`: score a pathway on a phantom suite and annotated real
//! cases; optionally publish the report into a markdown file.

use std::path::PathBuf;

use clap::Args;
use imaging_io::Progress;

use crate::Failure;

/// Arguments of `airad eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Phantom suite folder (made by `airad phantom suite`).
    #[arg(long)]
    pub suite: Option<PathBuf>,
    /// Annotated real cases (CASE/ct + CASE/boxes, as ../shared/data/lung-pet-ct-dx).
    #[arg(long)]
    pub real: Option<PathBuf>,
    /// Pathway file (default: the built-in chest-ct-full).
    #[arg(long, value_name = "FILE")]
    pub pathway: Option<PathBuf>,
    /// Markdown file to publish into (its `<!-- bench:SECTION -->` part is
    /// replaced), e.g. docs/performance.md. Without it the report goes to
    /// stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Section name inside --out.
    #[arg(long, default_value = "eval")]
    pub section: String,
    /// Also write the full report as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Thread budget per case.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Runs `airad eval`.
pub fn run(args: &EvalArgs, progress: &dyn Progress) -> Result<(), Failure> {
    if args.suite.is_none() && args.real.is_none() {
        return Err(Failure::Usage("give --suite DIR and/or --real DIR".into()));
    }
    let options = eval::EvalOptions {
        suite: args.suite.clone(),
        real: args.real.clone(),
        pathway: args.pathway.clone(),
        threads: args.threads,
    };
    let report = eval::run_eval(&options, progress).map_err(|e| Failure::Input(e.to_string()))?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let text = eval::markdown(&report, &command);
    if let Some(json) = &args.json {
        let body =
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Input(e.to_string()))?;
        std::fs::write(json, body)
            .map_err(|e| Failure::Input(format!("{}: {e}", json.display())))?;
    }
    match &args.out {
        Some(out) => {
            eval::write_section(out, &args.section, &text)
                .map_err(|e| Failure::Input(e.to_string()))?;
            eprintln!("updated {}", out.display());
        }
        None => println!("{text}"),
    }
    Ok(())
}
