//! Small helpers shared by the anatomy units: error conversion, label
//! selection, mask arithmetic and per-slice measures.

use aisu::AisuError;
use rayon::prelude::*;
use volume::{Volume, VolumeError};

/// Enters a debug span for one phase of a unit's work; its close line
/// under `AIRAD_LOG=debug` carries the phase's busy time.
pub(crate) fn phase(name: &'static str) -> tracing::span::EnteredSpan {
    tracing::debug_span!("phase", name).entered()
}

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

/// A mask on an in-plane grid `factor` times coarser (z unchanged): a
/// coarse voxel is set when at least half of its `factor x factor` block
/// is. The coarse grid covers the same field of view.
pub fn downsample_majority(mask: &Volume<bool>, factor: usize) -> Result<Volume<bool>, AisuError> {
    if factor <= 1 {
        return Ok(mask.clone());
    }
    let g = *mask.geometry();
    let [nx, ny, nz] = g.dims;
    let (cx, cy) = (nx.div_ceil(factor), ny.div_ceil(factor));
    let mut coarse_geometry = g;
    coarse_geometry.dims = [cx, cy, nz];
    coarse_geometry.spacing = [
        g.spacing[0] * factor as f64,
        g.spacing[1] * factor as f64,
        g.spacing[2],
    ];
    // The centre of coarse voxel 0 is the centre of its block.
    let shift = (factor as f64 - 1.0) / 2.0;
    coarse_geometry.origin = g.index_to_lps([shift, shift, 0.0]);
    let data = mask.as_slice();
    let mut out = vec![false; cx * cy * nz];
    out.par_chunks_mut(cx * cy)
        .enumerate()
        .for_each(|(z, plane)| {
            for (j, v) in plane.iter_mut().enumerate() {
                let (bx, by) = (j % cx, j / cx);
                let mut set = 0;
                let mut total = 0;
                for y in by * factor..((by + 1) * factor).min(ny) {
                    for x in bx * factor..((bx + 1) * factor).min(nx) {
                        total += 1;
                        set += usize::from(data[x + nx * (y + ny * z)]);
                    }
                }
                *v = 2 * set >= total;
            }
        });
    let array = ndarray::Array3::from_shape_vec((nz, cy, cx), out)
        .map_err(|e| AisuError::Failed(e.to_string()))?;
    Volume::new(array, coarse_geometry).map_err(err)
}

/// A coarse mask (from [`downsample_majority`]) back on the full grid.
pub fn upsample(coarse: &Volume<bool>, factor: usize, full: &volume::Geometry) -> Volume<bool> {
    if factor <= 1 {
        return coarse.clone();
    }
    let [nx, ny, _] = full.dims;
    let [cx, cy, _] = coarse.dims();
    let src = coarse.as_slice();
    let mut out = Volume::filled(*full, false);
    out.as_slice_mut()
        .par_chunks_mut(nx * ny)
        .enumerate()
        .for_each(|(z, plane)| {
            for (i, v) in plane.iter_mut().enumerate() {
                let (x, y) = (i % nx, i / nx);
                *v = src[(x / factor).min(cx - 1) + cx * ((y / factor).min(cy - 1) + cy * z)];
            }
        });
    out
}
