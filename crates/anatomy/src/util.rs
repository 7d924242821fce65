//! Small helpers shared by the anatomy units: error conversion, label
//! selection, mask arithmetic and per-slice measures.

use aisu::AisuError;
use rayon::prelude::*;
use volume::{Volume, VolumeError};

/// A volume-crate error as a unit failure.
pub fn err(e: VolumeError) -> AisuError {
    AisuError::Failed(e.to_string())
}

/// The mask of one label of a label volume.
pub fn keep_label(labels: &Volume<u32>, label: u32) -> Volume<bool> {
    labels.map(|l| *l == label)
}

/// Voxel-wise `a && b` (same grid).
pub fn and(a: &Volume<bool>, b: &Volume<bool>) -> Volume<bool> {
    let mut out = a.clone();
    out.as_slice_mut()
        .par_iter_mut()
        .zip(b.as_slice().par_iter())
        .for_each(|(x, y)| *x = *x && *y);
    out
}

/// Area of the set voxels of axial slice `z`, mm^2.
pub fn slice_area_mm2(mask: &Volume<bool>, z: usize) -> f64 {
    let s = mask.spacing();
    mask.slice_z(z).iter().filter(|v| **v).count() as f64 * s[0] * s[1]
}

/// Number of set voxels.
pub fn count(mask: &Volume<bool>) -> usize {
    mask.as_slice().par_iter().filter(|v| **v).count()
}
