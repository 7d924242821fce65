//! The result model: `findings.json` (written by `airad analyze`) and
//! `ground_truth.json` (written by `airad phantom`) share this one shape,
//! so that scoring is one comparison (shared/design/FINDINGS-JSON.md).
//!
//! Coordinates are DICOM patient space (LPS, mm, voxel centres). Extra
//! fields are welcome: each record keeps unknown keys in `extra`, so a
//! reader never loses what a newer writer added. The schema changes only
//! with [`SCHEMA_VERSION`].

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the findings.json / ground_truth.json contract.
pub const SCHEMA_VERSION: &str = "1";

/// Unknown keys kept as they were read.
pub type Extra = BTreeMap<String, Value>;

/// The whole document: one exam's results (or ground truth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindingsDocument {
    /// Contract version, "1".
    pub schema_version: String,
    /// The exam these results belong to.
    pub study: StudyInfo,
    /// Present abnormalities only, at the granularity of FINDINGS.md.
    pub findings: Vec<Finding>,
    /// Exam-level values, normal or not (CTR, CAC 0, liver HU, vertebral HU...).
    #[serde(default)]
    pub exam_measurements: Vec<ExamMeasurement>,
    /// Codes the scan could not support, each with the reason.
    #[serde(default)]
    pub not_assessed: Vec<NotAssessed>,
    /// Keys beyond the contract.
    #[serde(flatten)]
    pub extra: Extra,
}

impl FindingsDocument {
    /// An empty document for a study.
    pub fn new(study: StudyInfo) -> Self {
        FindingsDocument {
            schema_version: SCHEMA_VERSION.to_string(),
            study,
            findings: Vec::new(),
            exam_measurements: Vec::new(),
            not_assessed: Vec::new(),
            extra: Extra::new(),
        }
    }

    /// Parses a document and checks its version and codes.
    pub fn from_json(text: &str) -> Result<Self, ModelError> {
        let doc: FindingsDocument =
            serde_json::from_str(text).map_err(|e| ModelError::Parse(e.to_string()))?;
        doc.validate()?;
        Ok(doc)
    }

    /// Pretty JSON text.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Checks the contract: version, known codes, unique ids, finite
    /// coordinates, boxes that contain their centroids (within 1 mm).
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(ModelError::Invalid(format!(
                "schema_version {} is not {SCHEMA_VERSION}",
                self.schema_version
            )));
        }
        let mut ids = std::collections::BTreeSet::new();
        for f in &self.findings {
            if !crate::catalogue::is_code(&f.code) {
                return Err(ModelError::Invalid(format!(
                    "finding {} has unknown code {}",
                    f.id, f.code
                )));
            }
            if !ids.insert(f.id.as_str()) {
                return Err(ModelError::Invalid(format!("finding id {} repeats", f.id)));
            }
            let [lo, hi] = f.bbox_lps_mm;
            for k in 0..3 {
                let c = f.centroid_lps_mm[k];
                if !(c.is_finite() && lo[k].is_finite() && hi[k].is_finite()) {
                    return Err(ModelError::Invalid(format!(
                        "finding {} has non-finite coordinates",
                        f.id
                    )));
                }
                if lo[k] > hi[k] || c < lo[k] - 1.0 || c > hi[k] + 1.0 {
                    return Err(ModelError::Invalid(format!(
                        "finding {}: centroid outside its bounding box on axis {k}",
                        f.id
                    )));
                }
            }
            if !(0.0..=1.0).contains(&f.confidence) {
                return Err(ModelError::Invalid(format!(
                    "finding {}: confidence {} outside 0..1",
                    f.id, f.confidence
                )));
            }
        }
        for n in &self.not_assessed {
            if !crate::catalogue::is_code(&n.code) {
                return Err(ModelError::Invalid(format!(
                    "not_assessed entry has unknown code {}",
                    n.code
                )));
            }
        }
        Ok(())
    }
}

/// The exam: identifiers, acquisition and the exam context that decides
/// which guideline grades the nodules.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct StudyInfo {
    /// Study Instance UID.
    #[serde(default)]
    pub study_uid: Option<String>,
    /// Series Instance UID of the series read.
    #[serde(default)]
    pub series_uid: Option<String>,
    /// Slice thickness in mm.
    #[serde(default)]
    pub slice_thickness_mm: Option<f64>,
    /// Tube voltage in kV.
    #[serde(default)]
    pub kvp: Option<f64>,
    /// Reconstruction kernel.
    #[serde(default)]
    pub kernel: Option<String>,
    /// Exam context.
    #[serde(default)]
    pub context: ExamContext,
    /// Keys beyond the contract (age, sex, study date...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Why the exam was done: decides Lung-RADS vs Fleischner vs description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExamContext {
    /// Lung cancer screening low-dose CT (Lung-RADS when slices <= 2.5 mm).
    Screening,
    /// Incidental finding in a patient >= 35 without known cancer (Fleischner 2017).
    Incidental,
    /// Known cancer: staging or follow-up.
    Oncology,
    /// Not known: describe, do not invent a category.
    #[default]
    Unknown,
}

/// One abnormality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Unique within the document, e.g. "f-0001".
    pub id: String,
    /// Catalogue code "F01".."F39".
    pub code: String,
    /// Where it is.
    #[serde(default)]
    pub site: Site,
    /// Centroid of its mask voxels, LPS mm.
    pub centroid_lps_mm: [f64; 3],
    /// `[[min_x, min_y, min_z], [max_x, max_y, max_z]]` of its mask voxel centres, LPS mm.
    pub bbox_lps_mm: [[f64; 3]; 2],
    /// The slice (z index) that shows it best.
    pub key_slice: usize,
    /// Its label in lesions.nii.gz (labels.nii.gz for ground truth).
    pub mask_label: u32,
    /// Measurements under the names of FINDINGS.md.
    #[serde(default)]
    pub measurements: Vec<Measurement>,
    /// Morphology words ("solid", "lobulated", "spiculated", "calcified"...).
    #[serde(default)]
    pub morphology: Vec<String>,
    /// Grade with the guideline and context that set it.
    #[serde(default)]
    pub category: Option<Category>,
    /// ACR actionable-finding tier.
    #[serde(default)]
    pub urgency: Urgency,
    /// 0..1.
    #[serde(default = "one")]
    pub confidence: f64,
    /// False when the scan cannot support this finding (ground truth: scorers skip it).
    #[serde(default = "yes")]
    pub assessable: bool,
    /// The unit that produced it.
    pub aisu: AisuRef,
    /// Keys beyond the contract.
    #[serde(flatten)]
    pub extra: Extra,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

impl Finding {
    /// The value of the measurement with this name, if present.
    pub fn measurement(&self, name: &str) -> Option<f64> {
        self.measurements
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }
}

/// Location in the vocabulary of FINDINGS.md. Every field is optional; a
/// finding fills those that apply.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Site {
    /// "right", "left", "bilateral" or "midline".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    /// "RUL", "RML", "RLL", "LUL", "LLL".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lobe: Option<String>,
    /// "upper", "middle", "lower", "central", "peripheral", "subpleural".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Rib number 1-13 (with `side`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rib: Option<u8>,
    /// Rib segment: "anterior", "lateral", "posterior".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Vertebral level "C7", "T1".."T12", "L1", "L2".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertebra: Option<String>,
    /// Aortic segment: "root", "ascending", "arch", "descending", "hiatus".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aortic_segment: Option<String>,
    /// IASLC lymph node station, e.g. "4R".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    /// Anatomical structure by canonical name (FINDINGS-JSON.md), e.g. "liver".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure: Option<String>,
    /// Keys beyond the contract (coronary territory...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A named measurement with its unit (UCUM-style: "mm", "mL", "HU", "1", "%").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Measurement {
    /// Name from FINDINGS.md, e.g. "mean_diameter".
    pub name: String,
    /// The value.
    pub value: f64,
    /// Unit.
    pub unit: String,
    /// How it was measured, when that matters (e.g. "estimated, non-gated").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

impl Measurement {
    /// A measurement without a method note.
    pub fn new(name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Measurement {
            name: name.into(),
            value,
            unit: unit.into(),
            method: None,
        }
    }
}

/// A grade: system, value and the context that made it apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Category {
    /// e.g. "Lung-RADS v2022", "Fleischner 2017", "CAC-DRS", "Genant".
    pub system: String,
    /// e.g. "4A", "A2/N3", "grade 2".
    pub value: String,
    /// The exam context under which it applies.
    #[serde(default)]
    pub context: ExamContext,
}

/// ACR actionable-finding tiers (FINDINGS.md "Urgency").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Communicate within minutes.
    Tier1,
    /// Communicate within hours.
    Tier2,
    /// Communicate within days.
    Tier3,
    /// Routine follow-up.
    Routine,
    /// Incidental, no action.
    #[default]
    Incidental,
}

/// An exam-level value (normal or not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExamMeasurement {
    /// Catalogue code it belongs to.
    pub code: String,
    /// Measurement name.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Unit.
    pub unit: String,
    /// Where, when it is per site (e.g. per vertebra).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<Site>,
}

/// A code the scan could not support.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NotAssessed {
    /// Catalogue code.
    pub code: String,
    /// Why, in one sentence.
    pub reason: String,
}

/// The producing unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AisuRef {
    /// Unit id, e.g. "airad.nodule".
    pub id: String,
    /// Unit version.
    pub version: String,
}

/// Errors reading or checking a document.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not valid JSON for the model.
    #[error("not a valid findings document: {0}")]
    Parse(String),
    /// Valid JSON that breaks the contract.
    #[error("findings document breaks the contract: {0}")]
    Invalid(String),
}

/// The JSON Schema of [`FindingsDocument`], published as
/// docs/findings.schema.json.
pub fn json_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(FindingsDocument)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
      "schema_version": "1",
      "study": { "study_uid": "1.2.3", "series_uid": "1.2.3.4", "slice_thickness_mm": 5.0,
                 "kvp": 120, "kernel": "B40f", "context": "unknown", "patient_sex": "M" },
      "findings": [
        {
          "id": "f-0001",
          "code": "F01",
          "site": { "side": "right", "lobe": "RUL", "zone": "upper" },
          "centroid_lps_mm": [-21.9, -120.5, -611.5],
          "bbox_lps_mm": [[-29.0, -128.0, -619.0], [-15.0, -113.0, -604.0]],
          "key_slice": 33,
          "mask_label": 1,
          "measurements": [ { "name": "mean_diameter", "value": 13.8, "unit": "mm" },
                            { "name": "volume", "value": 1.36, "unit": "mL" } ],
          "morphology": ["solid", "lobulated"],
          "category": { "system": "Lung-RADS v2022", "value": "4A", "context": "screening" },
          "urgency": "tier3",
          "confidence": 0.87,
          "assessable": true,
          "aisu": { "id": "airad.nodule", "version": "0.1.0" },
          "vendor_note": "kept"
        }
      ],
      "exam_measurements": [
        { "code": "F17", "name": "cardiothoracic_ratio", "value": 0.46, "unit": "1" },
        { "code": "F30", "name": "trabecular_hu", "value": 182, "unit": "HU", "site": { "vertebra": "T12" } }
      ],
      "not_assessed": [ { "code": "F19", "reason": "slice thickness 5 mm > 3 mm: CAC = 0 cannot be asserted" } ]
    }"#;

    #[test]
    fn the_contract_example_round_trips() {
        let doc = FindingsDocument::from_json(EXAMPLE).unwrap();
        assert_eq!(doc.findings[0].measurement("mean_diameter"), Some(13.8));
        assert_eq!(doc.findings[0].urgency, Urgency::Tier3);
        assert_eq!(doc.findings[0].extra["vendor_note"], "kept");
        assert_eq!(doc.study.extra["patient_sex"], "M");
        let again = FindingsDocument::from_json(&doc.to_json()).unwrap();
        assert_eq!(doc, again);
    }

    #[test]
    fn contract_breaks_are_refused() {
        let bad = EXAMPLE.replace("\"F01\"", "\"F99\"");
        assert!(FindingsDocument::from_json(&bad).is_err());
        let bad = EXAMPLE.replace("-611.5", "-500.0");
        assert!(FindingsDocument::from_json(&bad).is_err());
        let bad = EXAMPLE.replace("\"schema_version\": \"1\"", "\"schema_version\": \"2\"");
        assert!(FindingsDocument::from_json(&bad).is_err());
    }

    #[test]
    fn urgency_orders_most_urgent_first() {
        assert!(Urgency::Tier1 < Urgency::Tier2);
        assert!(Urgency::Tier3 < Urgency::Incidental);
    }
}
