//! The `aisu` crate: airad's integration standard in code.
//!
//! - [`model`]: the result model shared by `findings.json` and
//!   `ground_truth.json` (shared/design/FINDINGS-JSON.md), with its JSON
//!   Schema;
//! - [`catalogue`]: the finding codes F01-F39 of FINDINGS.md;
//! - [`manifest`]: what a unit is, needs, makes and may emit;
//! - [`artefact`]: masks, landmarks, centrelines and values passed between
//!   units by name;
//! - [`context`]: the [`Aisu`] trait and the [`Context`] a unit runs in.

pub mod anatomy;
pub mod artefact;
pub mod catalogue;
pub mod context;
pub mod manifest;
pub mod matching;
pub mod model;

pub use artefact::{Artefact, ArtefactKind, ArtefactName, Centreline, Landmarks, Mask};
pub use context::{Aisu, AisuError, ArtefactStore, Context, ExamInfo, FindingDraft, UnitOutput};
pub use manifest::{Manifest, Resources};
pub use model::{
    AisuRef, Category, ExamContext, ExamMeasurement, Finding, FindingsDocument, Measurement,
    ModelError, NotAssessed, SCHEMA_VERSION, Site, StudyInfo, Urgency,
};
