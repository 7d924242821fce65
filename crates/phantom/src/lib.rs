//! The `phantom` crate: synthetic non-contrast chest CT with exact ground
//! truth, the yardstick for every airad detector.
//!
//! - [`PhantomParams`]: the patient and the acquisition, drawn from a seed
//!   ([`PhantomParams::from_seed`]) and overridable field by field.
//! - [`generate`]: builds the analytic anatomy ([`anatomy::PhantomModel`]),
//!   places the lesions ([`lesions`]), renders the CT and its label map
//!   ([`render`]) and states the ground truth ([`truth`]).
//! - [`write_phantom`] and [`generate_suite`]: the phantom folder layout of
//!   shared/design/FINDINGS-JSON.md (`dicom/`, `ct.nii.gz`,
//!   `labels.nii.gz`, `labels.json`, `ground_truth.json`), and suites of
//!   cases with `suite.json`.
//!
//! Same parameters, same voxels: every random draw comes from a seeded
//! ChaCha stream ([`rng`]).

pub mod anatomy;
pub mod frame;
pub mod geom;
pub mod labels;
pub mod lesions;
pub mod output;
pub mod params;
pub mod render;
pub mod rng;
pub mod texture;
pub mod tissue;
pub mod truth;

use std::collections::BTreeMap;

pub use output::{SuiteCase, SuiteSummary, generate_suite, write_phantom};
pub use params::{Arms, Kernel, KernelClass, PhantomParams, Sex, ShapeFamily};
use volume::Volume;

/// Errors of phantom generation and writing.
#[derive(Debug, thiserror::Error)]
pub enum PhantomError {
    /// A parameter is out of range or unknown.
    #[error("invalid phantom parameters: {0}")]
    Params(String),
    /// A lesion could not be placed on the anatomy.
    #[error("lesion placement failed: {0}")]
    Placement(String),
    /// Writing an output failed.
    #[error(transparent)]
    Io(#[from] imaging_io::IoError),
    /// A file outside imaging-io could not be written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A generated phantom.
#[derive(Debug)]
pub struct Phantom {
    /// The anatomy it was rendered from.
    pub model: anatomy::PhantomModel,
    /// The lesions inserted (label `labels::LESION_BASE + 1 + index`).
    pub lesions: Vec<Box<dyn lesions::Lesion>>,
    /// CT in HU.
    pub ct: Volume<i16>,
    /// Labels on the CT grid.
    pub labels: Volume<u16>,
    /// Label value (as a string) to canonical name.
    pub legend: BTreeMap<String, String>,
    /// `ground_truth.json`.
    pub truth: aisu::FindingsDocument,
}

impl Phantom {
    /// The parameters.
    pub fn params(&self) -> &PhantomParams {
        &self.model.params
    }
}

/// Generates a phantom: anatomy, lesions, image, labels, ground truth.
/// Reports progress of the slow rendering step to `progress`.
pub fn generate(
    params: &PhantomParams,
    progress: &dyn imaging_io::Progress,
) -> Result<Phantom, PhantomError> {
    params.validate()?;
    let specs = if params.normal {
        Vec::new()
    } else if params.lesions.is_empty() {
        lesions::draw_specs(params.seed)
    } else {
        params.lesions.clone()
    };
    progress.start("building anatomy", 1);
    // The heart, its sac and the aorta are sized with the anatomy
    // (cardiomegaly, pericardial effusion and aortic dilation are the
    // anatomy).
    let mut model = lesions::cardiomegaly::build_sized(params, &specs)?;
    lesions::aortic_dilation::apply(&mut model, &specs)?;
    lesions::pericardial_effusion::apply(&mut model, &specs)?;
    progress.advance(1);
    progress.finish();
    let lesions = lesions::place_all(&model, &specs)?;
    let (ct, labels) = render::render(&model, &lesions, progress);
    let (legend, truth) = truth::ground_truth(&model, &lesions, &labels);
    Ok(Phantom {
        model,
        lesions,
        ct,
        labels,
        legend,
        truth,
    })
}
