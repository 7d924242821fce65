//! The lung shell of rib tracing: bone far outside the lungs in the upper
//! chest is shoulder girdle, not rib ([`shell_filter`]).
//!
//! The lungs come from the lung masks when a unit has them, or from the
//! CT itself ([`aerated_lung`]): the spine unit traces ribs before the
//! lungs unit has run (waiting for it put the lungs on the critical path
//! of every pathway, about 1.5 s of 8 on a 512 x 512 x 300 scan), and for
//! a 14 mm shell the aerated lung does as well as the finished mask: the
//! vessels it leaves out are surrounded by air within a few millimetres.

use aisu::{AisuError, Mask};
use rayon::prelude::*;
use volume::{Connectivity, Volume, label_components};

use crate::constants::{LUNG_MAX_HU, LUNG_MIN_ML, RIB_SHELL_MM};
use crate::ribs_detect::Coarse;
use crate::skeleton::Frame;
use crate::util::err;

/// Coarse voxels holding any voxel of the masks.
pub(crate) fn masks_on_grid(c: &Coarse, masks: &[&Mask]) -> Vec<bool> {
    let mut marked = vec![false; c.n[0] * c.n[1] * c.n[2]];
    for m in masks {
        m.for_each(|x, y, z| {
            if let Some(i) = c.index(x, y, z) {
                marked[i] = true;
            }
        });
    }
    marked
}

/// The aerated lungs on the coarse grid, as the lungs unit finds them
/// before its finishing steps ([`crate::lungs`]): coarse voxels holding
/// a body voxel under [`LUNG_MAX_HU`] and no airway voxel, kept in the two
/// largest 6-connected components of at least [`LUNG_MIN_ML`] (gas in
/// the stomach or bowel is smaller than a tenth of the largest).
pub(crate) fn aerated_lung(
    c: &Coarse,
    f: &Frame,
    ct: &Volume<i16>,
    body: &Mask,
    airways: &[&Mask],
) -> Result<Vec<bool>, AisuError> {
    let n = c.n;
    let airway = masks_on_grid(c, airways);
    let [nx, ny, _] = ct.dims();
    let hu = ct.as_slice();
    let per_slice = n[0] * n[1];
    let mut air = vec![false; per_slice * n[2]];
    // The coarse grid keeps the slices: one task per slice. The crop is
    // the body's box, so every body voxel lies in it.
    let [x0, y0, z0] = c.crop.lo;
    air.par_chunks_mut(per_slice.max(1))
        .zip(airway.par_chunks(per_slice.max(1)))
        .enumerate()
        .for_each(|(cz, (plane, airway_plane))| {
            let z = z0 + cz;
            for y in y0..y0 + c.crop.n[1] {
                let row = nx * (y + ny * z);
                let coarse_row = n[0] * ((y - y0) / c.f);
                for x in x0..x0 + c.crop.n[0] {
                    let i = coarse_row + (x - x0) / c.f;
                    if hu[row + x] < LUNG_MAX_HU && !airway_plane[i] && body.contains(x, y, z) {
                        plane[i] = true;
                    }
                }
            }
        });
    let g = c.geometry(f);
    let arr = ndarray::Array3::from_shape_vec((n[2], n[1], n[0]), air)
        .map_err(|e| AisuError::Failed(e.to_string()))?;
    let vol = Volume::new(arr, g).map_err(err)?;
    let mut parts = label_components(&vol, Connectivity::Six).map_err(err)?;
    parts.relabel_by_size();
    let largest = parts.stats.first().map(|s| s.voxel_count).unwrap_or(0);
    let min_voxels = (LUNG_MIN_ML * 1000.0 / g.voxel_volume_mm3()).ceil() as usize;
    let kept: Vec<u32> = parts
        .stats
        .iter()
        .take(2)
        .filter(|s| s.voxel_count >= min_voxels && s.voxel_count * 10 >= largest)
        .map(|s| s.label)
        .collect();
    Ok(parts
        .labels
        .as_slice()
        .iter()
        .map(|l| kept.contains(l))
        .collect())
}

/// Coarse voxels too far outside the lungs (`lung`, on the coarse grid)
/// to be rib, in the upper chest where the shoulder girdle lies beside
/// the cage: every slice at and above the one of largest lung section
/// (below it the lungs fill the cage and the girdle is absent). The
/// distance is 3D, so the first rib, which curves over the lung's apex,
/// stays in. `None` without lung.
pub(crate) fn shell_filter(
    c: &Coarse,
    f: &Frame,
    lung: Vec<bool>,
) -> Result<Option<(Vec<bool>, f64)>, AisuError> {
    let n = c.n;
    let per_slice = n[0] * n[1];
    let area: Vec<usize> = lung
        .chunks(per_slice)
        .map(|s| s.iter().filter(|v| **v).count())
        .collect();
    let Some((zmax, &amax)) = area.iter().enumerate().max_by_key(|(_, a)| **a) else {
        return Ok(None);
    };
    if amax == 0 {
        return Ok(None);
    }
    let zmax_mm = f.z_mm(zmax + c.crop.lo[2]);
    let arr = ndarray::Array3::from_shape_vec((n[2], n[1], n[0]), lung)
        .map_err(|e| AisuError::Failed(e.to_string()))?;
    let vol = Volume::new(arr, c.geometry(f)).map_err(err)?;
    // Within the shell is the lung dilated by it (a capped distance
    // transform, cheaper than the full distance map).
    let near = volume::dilate(&vol, f64::from(RIB_SHELL_MM)).map_err(err)?;
    let mut far = vec![false; n[0] * n[1] * n[2]];
    for (z, (far_slice, near_slice)) in far
        .chunks_mut(per_slice)
        .zip(near.as_slice().chunks(per_slice))
        .enumerate()
    {
        if f.z_mm(z + c.crop.lo[2]) < zmax_mm {
            continue;
        }
        for (far_voxel, &within) in far_slice.iter_mut().zip(near_slice) {
            *far_voxel = !within;
        }
    }
    Ok(Some((far, zmax_mm)))
}
