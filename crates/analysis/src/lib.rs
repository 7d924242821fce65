//! The `analysis` crate: one study through one pathway, end to end, for
//! every front end (the `airad` CLI today, the server and workers later).
//!
//! - [`builtin_registry`]: every built-in AISU;
//! - [`builtin_pathway`]: the `chest-ct-full` pathway (all built-in units);
//! - [`exam_info`]: what units need to know, from the scan's metadata;
//! - [`analyze`]: runs the pathway and merges the result;
//! - [`write_outputs`]: the output folder of shared/design/FINDINGS-JSON.md
//!   (`findings.json`, `anatomy.nii.gz` + `anatomy.json`, `lesions.nii.gz`,
//!   `run.json`, and the report outputs of the `report` crate: text en/zh,
//!   HTML, key images, FHIR, and for DICOM input SR + SEG);
//!   [`write_outputs_with_pdf`] also writes `report.pdf` through a
//!   [`report::PdfRenderer`] (the `airad` binary passes `report-pdf`'s, so
//!   typst stays out of this crate).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aisu::{ExamContext, ExamInfo, StudyInfo};
use imaging_io::{IoError, LoadedImage};
use pathway::{AnalysisResult, PathwaySpec, Plan, Registry, RunObserver, RunOutcome, UnitStatus};
use serde_json::json;
use volume::Volume;

/// Name of the built-in pathway.
pub const BUILTIN_PATHWAY: &str = "chest-ct-full";

/// Errors of an analysis (units failing are not errors: they become
/// `not_assessed` entries).
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// Reading or writing files.
    #[error(transparent)]
    Io(#[from] IoError),
    /// Writing the report outputs.
    #[error(transparent)]
    Report(#[from] report::ReportError),
    /// The pathway file or graph.
    #[error(transparent)]
    Pathway(#[from] pathway::PathwayError),
}

/// Every built-in unit.
pub fn builtin_registry() -> Registry {
    let mut registry = Registry::new();
    for unit in anatomy::units().into_iter().chain(findings::units()) {
        // Built-in manifests are checked by tests; a bad one is a bug.
        if let Err(e) = registry.register(unit) {
            tracing::error!("built-in unit refused: {e}");
        }
    }
    registry
}

/// The built-in `chest-ct-full` pathway: every built-in unit.
pub fn builtin_pathway(registry: &Registry) -> PathwaySpec {
    let mut spec = PathwaySpec::all_of(BUILTIN_PATHWAY, registry);
    spec.description = "Every built-in unit: anatomy, then every finding unit".into();
    spec
}

/// Reads a pathway file, or gives the built-in one when `path` is `None`.
pub fn load_pathway(
    path: Option<&Path>,
    registry: &Registry,
) -> Result<PathwaySpec, AnalysisError> {
    match path {
        None => Ok(builtin_pathway(registry)),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| IoError::io(p, e))?;
            PathwaySpec::from_toml(&text).map_err(|e| {
                AnalysisError::Io(IoError::bad(
                    p,
                    e.to_string().trim_start_matches("pathway: ").to_string(),
                ))
            })
        }
    }
}

/// What the units need to know about the exam.
pub fn exam_info(image: &LoadedImage, context: ExamContext) -> ExamInfo {
    let meta = &image.meta;
    ExamInfo {
        context,
        age_years: meta.patient_age_years,
        sex: meta.patient_sex.clone(),
        kvp: meta.kvp,
        kernel: meta.kernel.clone(),
        slice_thickness_mm: meta.slice_thickness_mm.or(Some(image.volume.spacing()[2])),
        contrast_agent: meta.contrast_agent.clone(),
        gated: false,
    }
}

/// The study block of findings.json.
pub fn study_info(image: &LoadedImage, exam: &ExamInfo) -> StudyInfo {
    let meta = &image.meta;
    let mut study = StudyInfo {
        study_uid: meta.study_uid.clone(),
        series_uid: meta.series_uid.clone(),
        slice_thickness_mm: exam.slice_thickness_mm,
        kvp: meta.kvp,
        kernel: meta.kernel.clone(),
        context: exam.context,
        extra: Default::default(),
    };
    let mut put = |key: &str, value: serde_json::Value| {
        if !value.is_null() {
            study.extra.insert(key.to_string(), value);
        }
    };
    put("patient_age_years", json!(meta.patient_age_years));
    put("patient_sex", json!(meta.patient_sex));
    put("study_date", json!(meta.study_date));
    put("contrast_agent", json!(meta.contrast_agent));
    put("spacing_mm", json!(image.volume.spacing()));
    put("dims", json!(image.volume.dims()));
    study
}

/// One finished analysis.
pub struct Analysis {
    /// Findings, lesion map and anatomy map.
    pub result: AnalysisResult,
    /// Per-unit reports and timings.
    pub outcome: RunOutcome,
    /// The pathway that ran.
    pub pathway: String,
    /// The analysed volume (key images).
    pub volume: Arc<Volume<i16>>,
    /// The scan's metadata (report header, DICOM SR/SEG references).
    pub meta: imaging_io::ScanMeta,
}

/// Runs a pathway on a loaded scan.
pub fn analyze(
    image: &LoadedImage,
    spec: &PathwaySpec,
    registry: &Registry,
    exam: ExamInfo,
    threads: Option<usize>,
    observer: &dyn RunObserver,
) -> Result<Analysis, AnalysisError> {
    let mut spec = spec.clone();
    if threads.is_some() {
        spec.threads = threads;
    }
    let plan = Plan::resolve(&spec, registry)?;
    let study = study_info(image, &exam);
    let volume = Arc::new(image.volume.clone());
    let outcome = pathway::run(&plan, volume.clone(), Arc::new(exam), observer);
    let mut result = pathway::merge(&outcome, image.volume.geometry(), study);
    // The codes of every unit that finished: the report's coverage rule
    // (report::coverage) needs them to make normal statements.
    let mut assessed = std::collections::BTreeSet::new();
    for planned in &plan.units {
        let manifest = planned.unit.manifest();
        let finished = outcome
            .reports
            .iter()
            .any(|r| r.id == manifest.id && r.status == UnitStatus::Ok);
        if finished {
            assessed.extend(manifest.codes.iter().cloned());
        }
    }
    result.document.extra.insert(
        report::coverage::ASSESSED_CODES_KEY.to_string(),
        json!(assessed),
    );
    // Systems whose anatomy was segmented but lies outside the scan (an
    // empty liver, spleen and stomach: the upper abdomen) get no report
    // statement; a structure never segmented leaves its system in view.
    let out_of_view =
        report::coverage::systems_out_of_view_in(&result.anatomy, &result.anatomy_legend, false);
    result.document.extra.insert(
        report::coverage::OUT_OF_VIEW_KEY.to_string(),
        json!(report::coverage::system_names(&out_of_view)),
    );
    Ok(Analysis {
        result,
        outcome,
        pathway: spec.name.clone(),
        volume,
        meta: image.meta.clone(),
    })
}

/// Writes `findings.json`, `anatomy.nii.gz`, `anatomy.json`,
/// `lesions.nii.gz`, `run.json` and every report output but the PDF into
/// `out` (created when missing). Returns the paths written.
pub fn write_outputs(
    out: &Path,
    input: &Path,
    analysis: &Analysis,
) -> Result<Vec<PathBuf>, AnalysisError> {
    write_outputs_with_pdf(out, input, analysis, None)
}

/// [`write_outputs`], plus `report.pdf` when a PDF renderer is given.
/// Outputs the input cannot support (SR/SEG without a DICOM source) are
/// skipped with a warning and listed in run.json's `report_notices`.
pub fn write_outputs_with_pdf(
    out: &Path,
    input: &Path,
    analysis: &Analysis,
    pdf: Option<&dyn report::PdfRenderer>,
) -> Result<Vec<PathBuf>, AnalysisError> {
    std::fs::create_dir_all(out).map_err(|e| IoError::io(out, e))?;
    let mut written = Vec::new();
    let mut write_text = |name: &str, text: String| -> Result<(), AnalysisError> {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| IoError::io(&path, e))?;
        written.push(path);
        Ok(())
    };
    write_text("findings.json", analysis.result.document.to_json() + "\n")?;
    let doc = &analysis.result.document;
    let mut report_input = report::ReportInput::new(doc);
    report_input.study = report::ReportStudy::from_document(doc).with_meta(&analysis.meta);
    report_input.request = analysis.meta.indication.clone();
    let report_options = report::OutputOptions {
        ct: Some(&analysis.volume),
        lesions: Some(&analysis.result.lesions),
        dicom: Some(report::DicomSource {
            meta: analysis.meta.clone(),
            geometry: *analysis.volume.geometry(),
        }),
        pdf,
        ..Default::default()
    };
    let report_written = report::write_outputs(out, &report_input, &report_options)?;
    for notice in &report_written.notices {
        tracing::warn!("{notice}");
    }
    write_text(
        "anatomy.json",
        serde_json::to_string_pretty(&analysis.result.anatomy_legend).unwrap_or_default() + "\n",
    )?;
    let run = json!({
        "airad_version": env!("CARGO_PKG_VERSION"),
        "input": input.display().to_string(),
        "pathway": analysis.pathway,
        "wall_s": analysis.outcome.wall_s,
        "units": analysis.outcome.reports,
        "absent": analysis.outcome.store.absent.iter()
            .map(|(name, reason)| json!({"artefact": name.to_string(), "reason": reason}))
            .collect::<Vec<_>>(),
        "report_notices": report_written.notices,
    });
    write_text(
        "run.json",
        serde_json::to_string_pretty(&run).unwrap_or_default() + "\n",
    )?;
    let anatomy = out.join("anatomy.nii.gz");
    imaging_io::nifti_io::write_nifti(&anatomy, &analysis.result.anatomy)?;
    written.push(anatomy);
    let lesions = out.join("lesions.nii.gz");
    imaging_io::nifti_io::write_nifti(&lesions, &analysis.result.lesions)?;
    written.push(lesions);
    written.extend(report_written.files);
    Ok(written)
}
