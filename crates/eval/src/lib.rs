//! The `eval` crate: runs a pathway over a phantom suite (and annotated
//! real cases) and scores it: anatomy per canonical structure (Dice,
//! surface distance), findings per code (sensitivity with its Wilson 95%
//! interval, false positives per scan per unit, measurement error and
//! bias, location accuracy, grade agreement), urgency flags on normal
//! phantoms, and time per unit. [`markdown`] renders the report that
//! `airad eval --out docs/performance.md` publishes: numbers there are
//! regenerated, never typed in.

pub mod anatomy_score;
pub mod figures;
pub mod finding_score;
pub mod identify;
mod markdown;
pub mod real;
pub mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aisu::FindingsDocument;
use imaging_io::{IoError, LoadedImage, Progress};
use pathway::{Registry, Silent};

pub use markdown::{machine_line, markdown, write_section};

use anatomy_score::{StructureScore, score_anatomy};
use finding_score::{CodeScore, FindingTally};
use identify::{Identification, identify};

/// What to evaluate.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Phantom suite folder (case-*/ with ground truth).
    pub suite: Option<PathBuf>,
    /// Annotated real cases (lung-pet-ct-dx layout: CASE/ct + CASE/boxes).
    pub real: Option<PathBuf>,
    /// Pathway file (default: the built-in one).
    pub pathway: Option<PathBuf>,
    /// Thread budget.
    pub threads: Option<usize>,
    /// Folder for anatomy overlay figures of the real cases.
    pub figures: Option<PathBuf>,
    /// How the markdown refers to that folder (relative to the published
    /// file), e.g. `anatomy` for docs/anatomy/ from docs/anatomy.md.
    pub figures_link: Option<String>,
}

/// Errors of an evaluation run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Reading inputs.
    #[error(transparent)]
    Io(#[from] IoError),
    /// Building or running the pathway.
    #[error(transparent)]
    Analysis(#[from] analysis::AnalysisError),
    /// A suite without cases, a malformed ground truth...
    #[error("{0}")]
    Suite(String),
}

/// The score of one phantom case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseResult {
    /// Case folder name.
    pub name: String,
    /// True when the phantom has no finding.
    pub normal: bool,
    /// Per-structure anatomy scores.
    pub anatomy: Vec<StructureScore>,
    /// Wall seconds per unit.
    pub unit_seconds: BTreeMap<String, f64>,
    /// Whole pathway wall seconds.
    pub wall_s: f64,
    /// Every rib in view carries the right number and side (see
    /// [`identify`]); None when no rib is in the truth.
    pub ribs_numbered: Option<Identification>,
    /// Every vertebra in view carries the right level.
    pub vertebrae_labelled: Option<Identification>,
}

/// The evaluation report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalReport {
    /// Pathway evaluated.
    pub pathway: String,
    /// Phantom cases.
    pub cases: Vec<CaseResult>,
    /// Per-code finding scores over the suite.
    pub findings: Vec<CodeScore>,
    /// Normal phantoms scored and those with a tier-1/2 flag.
    pub normal_flags: (usize, usize),
    /// Real cases.
    pub real: Vec<real::RealCaseResult>,
    /// How the markdown links the figures folder (see [`EvalOptions`]).
    pub figures_link: Option<String>,
}

/// Case folders of a suite, in name order.
pub fn suite_cases(suite: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite)
        .map_err(|e| IoError::io(suite, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("case-"))
        })
        .collect();
    cases.sort();
    if cases.is_empty() {
        return Err(EvalError::Suite(format!(
            "{}: no case-* folders (make one with `airad phantom suite`)",
            suite.display()
        )));
    }
    Ok(cases)
}

fn read_json(path: &Path) -> Result<serde_json::Value, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| EvalError::Suite(format!("{}: {e}", path.display())))
}

/// Reads a case's scan: its DICOM series (with the acquisition metadata
/// units use), else its ct.nii.gz.
fn read_case_scan(case: &Path) -> Result<LoadedImage, EvalError> {
    let dicom = case.join("dicom");
    let source = if dicom.is_dir() {
        dicom
    } else {
        case.join("ct.nii.gz")
    };
    Ok(imaging_io::read_image(
        &source,
        &Default::default(),
        &imaging_io::NoProgress,
    )?)
}

/// Runs the evaluation.
pub fn run_eval(options: &EvalOptions, progress: &dyn Progress) -> Result<EvalReport, EvalError> {
    let registry: Registry = analysis::builtin_registry();
    let spec = analysis::load_pathway(options.pathway.as_deref(), &registry)?;
    let mut cases = Vec::new();
    let mut tally = FindingTally::default();
    if let Some(suite) = &options.suite {
        let dirs = suite_cases(suite)?;
        progress.start("evaluating phantom cases", dirs.len() as u64);
        for dir in dirs {
            let image = read_case_scan(&dir)?;
            let truth_doc = {
                let path = dir.join("ground_truth.json");
                let text = std::fs::read_to_string(&path).map_err(|e| IoError::io(&path, e))?;
                FindingsDocument::from_json(&text)
                    .map_err(|e| EvalError::Suite(format!("{}: {e}", path.display())))?
            };
            let labels = imaging_io::nifti_io::read_nifti_labels(&dir.join("labels.nii.gz"))?;
            let legend: BTreeMap<String, String> =
                serde_json::from_value(read_json(&dir.join("labels.json"))?).map_err(|e| {
                    EvalError::Suite(format!("{}: labels.json: {e}", dir.display()))
                })?;
            let exam = analysis::exam_info(&image, truth_doc.study.context);
            let result =
                analysis::analyze(&image, &spec, &registry, exam, options.threads, &Silent)?;
            let anatomy = score_anatomy(
                &result.result.anatomy,
                &result.result.anatomy_legend,
                &labels,
                &legend,
            );
            let normal = truth_doc.findings.is_empty();
            tally.add_case(&result.result.document, &truth_doc, normal);
            let numbered = |prefix: &str| {
                identify(
                    &result.result.anatomy,
                    &result.result.anatomy_legend,
                    &labels,
                    &legend,
                    prefix,
                )
            };
            cases.push(CaseResult {
                name: dir
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default(),
                normal,
                ribs_numbered: numbered("rib_"),
                vertebrae_labelled: numbered("vertebra_"),
                anatomy,
                unit_seconds: result
                    .outcome
                    .reports
                    .iter()
                    .map(|r| (r.id.clone(), r.wall_s))
                    .collect(),
                wall_s: result.outcome.wall_s,
            });
            progress.advance(1);
        }
        progress.finish();
    }
    let real = match &options.real {
        Some(dir) => real::evaluate_real(
            dir,
            &spec,
            &registry,
            options.threads,
            options.figures.as_deref(),
            progress,
        )?,
        None => Vec::new(),
    };
    Ok(EvalReport {
        pathway: spec.name.clone(),
        cases,
        findings: tally.scores(),
        normal_flags: (tally.normal_scans, tally.normal_scans_flagged),
        real,
        figures_link: options.figures_link.clone(),
    })
}
