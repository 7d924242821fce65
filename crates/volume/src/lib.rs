//! The `volume` crate: a 3D image with patient geometry (`Volume<T>`,
//! `Geometry`) and the building blocks every analysis unit uses:
//! resampling, Gaussian smoothing in millimetres, binary morphology with
//! balls in millimetres, connected components, Euclidean distance
//! transforms and hole filling, all honest about anisotropic spacing and
//! parallel with rayon. It knows nothing of DICOM or file formats.

mod geometry;
mod volume;

pub use geometry::{Geometry, IDENTITY_DIRECTION, cross, dot, norm};
pub use volume::Volume;

/// Errors of the volume crate.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// The geometry is not usable (zero spacing, non-orthogonal axes...).
    #[error("invalid geometry: {0}")]
    Geometry(String),
    /// Array and geometry shapes disagree, or two volumes are not on one grid.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A filter parameter is out of range.
    #[error("invalid parameter: {0}")]
    Parameter(String),
}
