//! The `report` crate: airad's structured chest CT report and every
//! standard output a hospital consumes.
//!
//! - [`assemble`]: from a findings document (plus study facts, an optional
//!   prior and request) to a language-neutral [`Report`]: sections
//!   Indication, Technique, Comparison, Findings by organ system,
//!   Impression ranked by urgency, communication records and sign-off;
//! - [`coverage`]: the rule deciding normal statements and the field of view;
//! - [`prior`]: nodule matching and growth against a prior exam;
//! - [`followup`]: follow-up advice from grades;
//! - [`wording`]: one wording table per language (English, Simplified
//!   Chinese), one template per finding code;
//! - [`render`]: the report in one language as sentences linked to
//!   findings, and as plain text and self-contained HTML;
//! - [`fhir`]: a FHIR R4 Bundle (DiagnosticReport, Observations,
//!   ImagingStudy);
//! - [`dicom`]: DICOM Comprehensive 3D SR (TID 1500) and Segmentation;
//! - [`key_images`]: one PNG per finding;
//! - [`outputs`]: writes all of them into an output folder;
//! - [`sample`]: sample findings documents for tests, benchmarks and docs;
//! - [`speed`]: report generation timing on a 39-finding exam (`airad
//!   bench report`, the `report_speed` bench).
//!
//! The PDF lives in the leaf crate `report-pdf` (typst), fed by
//! [`render::Rendered`].

pub mod assemble;
pub mod codes;
pub mod coverage;
pub mod dicom;
pub mod fhir;
pub mod followup;
pub mod key_images;
pub mod outputs;
pub mod prior;
pub mod render;
pub mod sample;
pub mod speed;
pub mod study;
pub mod wording;

pub use assemble::{Report, ReportInput, SignOff, assemble};
pub use outputs::{DicomSource, Format, OutputOptions, PdfRenderer, Written, write_outputs};
pub use render::{Rendered, words};
pub use study::ReportStudy;
pub use wording::Lang;

/// Errors of report generation.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading or writing files (names the file).
    #[error(transparent)]
    Io(#[from] imaging_io::IoError),
    /// The inputs cannot make this output (e.g. SR without a DICOM source).
    #[error("{0}")]
    Unsupported(String),
    /// The inputs disagree (e.g. a label map on another grid).
    #[error("{0}")]
    Inconsistent(String),
    /// Encoding a DICOM object failed.
    #[error("DICOM encoding: {0}")]
    Dicom(String),
}
