//! The report: assembly from findings, its HTML, FHIR and DICOM SR/SEG
//! forms, the wording tables' documentation, and a phantom end to end.
//!
//! One test binary for the crate (each integration test file was a
//! binary of its own: linked separately, and run one after another,
//! with a core idle while a binary's last test ran alone).

mod assembly;
mod dicom;
mod docs;
mod fhir;
mod html;
mod phantom;
mod speed;
