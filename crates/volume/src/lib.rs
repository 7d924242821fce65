//! The `volume` crate: a 3D image with patient geometry (`Volume<T>`,
//! `Geometry`) and the building blocks every analysis unit uses:
//! resampling, Gaussian smoothing in millimetres, binary morphology with
//! balls in millimetres, connected components, Euclidean distance
//! transforms and hole filling, all honest about anisotropic spacing and
//! parallel with rayon. It knows nothing of DICOM or file formats.

pub mod components;
pub mod distance;
pub mod fill_holes;
pub mod gaussian;
mod geometry;
mod lines;
pub mod morphology;
pub mod resample;
mod runs;
mod scalar;
#[cfg(test)]
mod testutil;
mod volume;

pub use components::{
    ComponentStats, Components, Connectivity, IntensityStats, keep_largest_components,
    label_components, label_components_with_intensity, remove_small_components,
};
pub use distance::{
    distance_to_background, distance_to_foreground, signed_distance, squared_distance_to,
};
pub use fill_holes::{fill_holes, fill_holes_slicewise, fill_holes_slicewise_in_place};
pub use gaussian::{gaussian_kernel, gaussian_smooth, gaussian_smooth_in_place};
pub use geometry::{
    Geometry, IDENTITY_DIRECTION, cross, dot, norm, symmetric_eigenvalues, symmetric_eigenvector,
};
pub use morphology::{bounding_box, close, dilate, erode, open};
pub use resample::{
    Interpolation, geometry_with_spacing, resample, resample_isotropic, resample_nearest,
    resample_to_spacing, sample_linear,
};
pub use scalar::Scalar;
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
