//! The `Aisu` trait and the `Context` a unit runs in.
//!
//! A unit sees the CT volume, the exam (metadata and context), its
//! parameters, and the artefacts its manifest requires, by name. It
//! returns artefacts, findings (each with its mask), exam measurements and
//! not-assessed entries through the context. The context enforces the
//! manifest: a unit reads only what it declared and emits only the codes
//! and artefacts it declared, so the pathway's graph is the truth.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use volume::Volume;

use crate::artefact::{Artefact, ArtefactKind, ArtefactName, Centreline, Landmarks, Mask};
use crate::manifest::Manifest;
use crate::model::{
    Category, ExamContext, ExamMeasurement, Extra, Measurement, NotAssessed, Site, Urgency,
};

/// An analysis unit.
pub trait Aisu: Send + Sync {
    /// Its manifest.
    fn manifest(&self) -> &Manifest;
    /// Runs on one exam. Errors become `not_assessed` entries for the
    /// unit's codes; they never stop the pathway.
    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError>;
}

/// Why a unit could not finish.
#[derive(Debug, thiserror::Error)]
pub enum AisuError {
    /// It asked for an artefact that is absent (with the producer's reason).
    #[error("{name} is not available: {reason}")]
    Missing {
        /// The artefact.
        name: String,
        /// Why.
        reason: String,
    },
    /// It broke its manifest (undeclared input, output or code).
    #[error("manifest violation: {0}")]
    Contract(String),
    /// It could not assess this scan (one sentence for the report).
    #[error("{0}")]
    NotAssessable(String),
    /// The pathway cancelled it (time-out).
    #[error("cancelled")]
    Cancelled,
    /// Anything else.
    #[error("{0}")]
    Failed(String),
}

/// What a unit needs to know about the exam.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExamInfo {
    /// Screening, incidental, oncology or unknown.
    pub context: ExamContext,
    /// Patient age in years.
    pub age_years: Option<f64>,
    /// "M", "F" or "O".
    pub sex: Option<String>,
    /// Tube voltage, kV.
    pub kvp: Option<f64>,
    /// Reconstruction kernel name.
    pub kernel: Option<String>,
    /// Nominal slice thickness, mm (the slice spacing when unknown).
    pub slice_thickness_mm: Option<f64>,
    /// Contrast agent named in the header, if any.
    pub contrast_agent: Option<String>,
    /// True for ECG-gated acquisitions (false when unknown).
    pub gated: bool,
}

/// A finding as a unit reports it: the pathway assigns its id and mask
/// label and derives centroid, bounding box and key slice from its mask,
/// so those always agree with lesions.nii.gz.
#[derive(Debug, Clone)]
pub struct FindingDraft {
    /// Catalogue code.
    pub code: String,
    /// Location.
    pub site: Site,
    /// The finding's voxels.
    pub mask: Mask,
    /// Measurements under the names of FINDINGS.md.
    pub measurements: Vec<Measurement>,
    /// Morphology words.
    pub morphology: Vec<String>,
    /// Grade.
    pub category: Option<Category>,
    /// Urgency tier.
    pub urgency: Urgency,
    /// 0..1.
    pub confidence: f64,
    /// False when present but not reliably measurable on this scan.
    pub assessable: bool,
    /// Key slice override (default: the mask's largest slice).
    pub key_slice: Option<usize>,
    /// Extra fields for findings.json.
    pub extra: Extra,
}

impl FindingDraft {
    /// A draft with defaults (incidental, confidence 1, assessable).
    pub fn new(code: &str, mask: Mask) -> Self {
        FindingDraft {
            code: code.to_string(),
            site: Site::default(),
            mask,
            measurements: Vec::new(),
            morphology: Vec::new(),
            category: None,
            urgency: Urgency::Incidental,
            confidence: 1.0,
            assessable: true,
            key_slice: None,
            extra: Extra::new(),
        }
    }
}

/// Everything a unit hands back.
#[derive(Debug, Default)]
pub struct UnitOutput {
    /// Artefacts made, by name.
    pub artefacts: BTreeMap<ArtefactName, Artefact>,
    /// Artefacts it could not make, with the reason ("not in field of view").
    pub absent: BTreeMap<ArtefactName, String>,
    /// Findings.
    pub findings: Vec<FindingDraft>,
    /// Exam measurements.
    pub exam_measurements: Vec<ExamMeasurement>,
    /// Codes it could not assess.
    pub not_assessed: Vec<NotAssessed>,
}

/// Artefacts available to a unit: present ones and absent ones with reasons.
#[derive(Debug, Default, Clone)]
pub struct ArtefactStore {
    /// Present artefacts.
    pub present: BTreeMap<ArtefactName, Artefact>,
    /// Absent artefacts and why.
    pub absent: BTreeMap<ArtefactName, String>,
}

/// The world of one unit run.
pub struct Context<'a> {
    volume: &'a Volume<i16>,
    exam: &'a ExamInfo,
    manifest: &'a Manifest,
    params: &'a toml::Table,
    store: &'a ArtefactStore,
    cancel: &'a AtomicBool,
    output: UnitOutput,
}

impl<'a> Context<'a> {
    /// A context (the pathway makes these; tests may too).
    pub fn new(
        volume: &'a Volume<i16>,
        exam: &'a ExamInfo,
        manifest: &'a Manifest,
        params: &'a toml::Table,
        store: &'a ArtefactStore,
        cancel: &'a AtomicBool,
    ) -> Self {
        Context {
            volume,
            exam,
            manifest,
            params,
            store,
            cancel,
            output: UnitOutput::default(),
        }
    }

    /// The CT volume in HU.
    pub fn volume(&self) -> &'a Volume<i16> {
        self.volume
    }

    /// The exam.
    pub fn exam(&self) -> &'a ExamInfo {
        self.exam
    }

    /// The unit's manifest.
    pub fn manifest(&self) -> &'a Manifest {
        self.manifest
    }

    /// A parameter from the pathway file, deserialised; `None` when unset.
    pub fn param<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, AisuError> {
        match self.params.get(key) {
            None => Ok(None),
            Some(value) => value
                .clone()
                .try_into()
                .map(Some)
                .map_err(|e| AisuError::Failed(format!("parameter {key}: {e}"))),
        }
    }

    /// True once the pathway asked the unit to stop (time-out); long
    /// loops should check it and return [`AisuError::Cancelled`].
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` when cancelled, for `?` in loops.
    pub fn check_cancelled(&self) -> Result<(), AisuError> {
        if self.cancelled() {
            Err(AisuError::Cancelled)
        } else {
            Ok(())
        }
    }

    fn input(&self, name: &str, kind: ArtefactKind) -> Result<Option<&'a Artefact>, AisuError> {
        let parsed = ArtefactName::parse(name).map_err(AisuError::Contract)?;
        if parsed.kind != kind {
            return Err(AisuError::Contract(format!(
                "{name} is not of the kind asked for"
            )));
        }
        let declared = self.manifest.requires.iter().any(|r| r == name);
        let optional = self.manifest.optional.iter().any(|r| r == name);
        if !declared && !optional {
            return Err(AisuError::Contract(format!(
                "{} reads {name} without declaring it",
                self.manifest.id
            )));
        }
        match self.store.present.get(&parsed) {
            Some(a) => Ok(Some(a)),
            None if optional => Ok(None),
            None => Err(AisuError::Missing {
                name: name.to_string(),
                reason: self
                    .store
                    .absent
                    .get(&parsed)
                    .cloned()
                    .unwrap_or_else(|| "not produced".to_string()),
            }),
        }
    }

    /// A required mask.
    pub fn mask(&self, name: &str) -> Result<Arc<Mask>, AisuError> {
        self.mask_opt(name)?.ok_or_else(|| AisuError::Missing {
            name: name.to_string(),
            reason: "absent".to_string(),
        })
    }

    /// An optional mask: `None` when absent.
    pub fn mask_opt(&self, name: &str) -> Result<Option<Arc<Mask>>, AisuError> {
        Ok(match self.input(name, ArtefactKind::Mask)? {
            Some(Artefact::Mask(m)) => Some(m.clone()),
            _ => None,
        })
    }

    /// Required landmarks.
    pub fn landmarks(&self, name: &str) -> Result<Arc<Landmarks>, AisuError> {
        match self.input(name, ArtefactKind::Landmarks)? {
            Some(Artefact::Landmarks(l)) => Ok(l.clone()),
            _ => Err(AisuError::Missing {
                name: name.to_string(),
                reason: "absent".to_string(),
            }),
        }
    }

    /// A required centreline.
    pub fn centreline(&self, name: &str) -> Result<Arc<Centreline>, AisuError> {
        match self.input(name, ArtefactKind::Centreline)? {
            Some(Artefact::Centreline(c)) => Ok(c.clone()),
            _ => Err(AisuError::Missing {
                name: name.to_string(),
                reason: "absent".to_string(),
            }),
        }
    }

    /// Required JSON values.
    pub fn values(&self, name: &str) -> Result<Arc<serde_json::Value>, AisuError> {
        match self.input(name, ArtefactKind::Values)? {
            Some(Artefact::Values(v)) => Ok(v.clone()),
            _ => Err(AisuError::Missing {
                name: name.to_string(),
                reason: "absent".to_string(),
            }),
        }
    }

    fn check_produces(&self, name: &str) -> Result<ArtefactName, AisuError> {
        let parsed = ArtefactName::parse(name).map_err(AisuError::Contract)?;
        if !self.manifest.produces.iter().any(|p| p == name) {
            return Err(AisuError::Contract(format!(
                "{} makes {name} without declaring it",
                self.manifest.id
            )));
        }
        Ok(parsed)
    }

    /// Publishes an artefact this unit declared in `produces`.
    pub fn put(&mut self, name: &str, artefact: Artefact) -> Result<(), AisuError> {
        let parsed = self.check_produces(name)?;
        if parsed.kind != artefact.kind() {
            return Err(AisuError::Contract(format!(
                "{name} given an artefact of another kind"
            )));
        }
        self.output.artefacts.insert(parsed, artefact);
        Ok(())
    }

    /// Publishes a mask.
    pub fn put_mask(&mut self, name: &str, mask: Mask) -> Result<(), AisuError> {
        self.put(name, Artefact::Mask(Arc::new(mask)))
    }

    /// Declares that a produced artefact is absent, with the reason
    /// (e.g. "not in field of view"); units that require it are then not
    /// run and their codes become `not_assessed` with this reason.
    pub fn absent(&mut self, name: &str, reason: &str) -> Result<(), AisuError> {
        let parsed = self.check_produces(name)?;
        self.output.absent.insert(parsed, reason.to_string());
        Ok(())
    }

    fn check_code(&self, code: &str) -> Result<(), AisuError> {
        if self.manifest.codes.iter().any(|c| c == code) {
            Ok(())
        } else {
            Err(AisuError::Contract(format!(
                "{} emits {code} without declaring it",
                self.manifest.id
            )))
        }
    }

    /// Reports a finding.
    pub fn emit(&mut self, finding: FindingDraft) -> Result<(), AisuError> {
        self.check_code(&finding.code)?;
        if finding.mask.is_empty() {
            return Err(AisuError::Contract(format!(
                "a {} finding without voxels",
                finding.code
            )));
        }
        if finding.mask.grid().dims != self.volume.dims() {
            return Err(AisuError::Contract(
                "finding mask is not on the CT grid".into(),
            ));
        }
        self.output.findings.push(finding);
        Ok(())
    }

    /// Reports an exam-level measurement.
    pub fn measure(&mut self, measurement: ExamMeasurement) -> Result<(), AisuError> {
        self.check_code(&measurement.code)?;
        self.output.exam_measurements.push(measurement);
        Ok(())
    }

    /// Says a code could not be assessed on this scan, and why.
    pub fn not_assessed(&mut self, code: &str, reason: &str) -> Result<(), AisuError> {
        self.check_code(code)?;
        self.output.not_assessed.push(NotAssessed {
            code: code.to_string(),
            reason: reason.to_string(),
        });
        Ok(())
    }

    /// Ends the run, returning what the unit made.
    pub fn into_output(self) -> UnitOutput {
        self.output
    }
}
