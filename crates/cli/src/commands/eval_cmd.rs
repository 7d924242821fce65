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
    /// Folder for anatomy overlay pictures (axial, coronal, sagittal) of
    /// each real case; the markdown links them relative to --out.
    #[arg(long, value_name = "DIR")]
    pub figures: Option<PathBuf>,
}

/// How a markdown file at `out` refers to the folder `figures`: relative
/// when the folder lies beside or below the file, else the path as given.
fn figures_link(figures: &std::path::Path, out: Option<&std::path::Path>) -> String {
    let base = out
        .and_then(|o| o.parent())
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let figures_abs = std::path::absolute(figures).unwrap_or_else(|_| figures.to_path_buf());
    let base_abs = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    match figures_abs.strip_prefix(&base_abs) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().to_string(),
        Ok(_) => ".".to_string(),
        Err(_) => figures.to_string_lossy().to_string(),
    }
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
        figures: args.figures.clone(),
        figures_link: args
            .figures
            .as_ref()
            .map(|f| figures_link(f, args.out.as_deref())),
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
