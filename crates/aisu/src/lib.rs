//! The `aisu` crate: airad's integration standard in code.
//!
//! - [`model`]: the result model shared by `findings.json` and
//!   `ground_truth.json` (shared/design/FINDINGS-JSON.md), with its JSON
//!   Schema;
//! - [`catalogue`]: the finding codes F01-F39 of FINDINGS.md.
//!
//! The AISU manifest, trait and context come with the AISU core.

pub mod catalogue;
pub mod model;

pub use model::{
    AisuRef, Category, ExamContext, ExamMeasurement, Finding, FindingsDocument, Measurement,
    ModelError, NotAssessed, SCHEMA_VERSION, Site, StudyInfo, Urgency,
};
