//! Pneumothorax (F15): air between the lung and the chest wall.
//!
//! The lungs unit takes every air voxel inside the body as lung, so the
//! pleural air lies inside that side's lung mask, against its outer
//! edge. Method, per side:
//! 1. Air cores: lung-mask voxels whose widely smoothed HU is under
//!    [`PTX_CORE_HU`] (air with the noise averaged away; aerated lung,
//!    even emphysematous lung crossed by vessels, stays above it).
//! 2. A core is pleural air when it is large ([`PTX_MIN_ML`]), reaches
//!    the chest wall (the lung mask's outer edge) and is
//!    non-dependent: free air rises, so in a supine patient it gathers in
//!    front of the lung; at most [`PTX_MAX_POSTERIOR_SHARE`] of it may
//!    lie in the back half of the hemithorax (a subpleural band of
//!    lucencies all round the lung, as paraseptal emphysema or bullae
//!    draw, is not a pneumothorax). In each (x, z) column nearly all of
//!    the air ([`PTX_MIN_TOP_SHARE`]) must also lie in front of all
//!    aerated lung: air rises to the top of the column, while lucencies
//!    of emphysema, even those touching the pleura, have lung in front of
//!    much of them. Air with lung above it beyond [`PTX_DIAPHRAGM_MM`]
//!    of soft tissue lies under the diaphragm (stomach, bowel, which an
//!    air-threshold lung mask can take in), not in the pleura.
//! 3. The air is grown to half way between air and the lung beside it
//!    (the partial-volume edge, as for the effusion), and its border
//!    counts by its share of air.
//!
//! Measurements (FINDINGS.md F15): `volume` (mL), `hemithorax_percent`
//! (of that side's lung mask, which holds the air), `max_rim` (largest
//! anteroposterior thickness of a column in the middle of the
//! hemithorax), and the rim at the hilum (from the carina down
//! [`HILUM_BAND_MM`]) for the BTS size rule (large over 2 cm: MacDuff et
//! al., Thorax 2010).

use super::wall::{Hemithorax, Scene};
use crate::constants::{
    AIR_HU, HILUM_BAND_MM, PTX_CORE_HU, PTX_DIAPHRAGM_MM, PTX_GROW_STEPS, PTX_MAX_POSTERIOR_SHARE,
    PTX_MIN_ML, PTX_MIN_TOP_SHARE, PTX_RIM_MM, SOFT_TISSUE_MIN_HU,
};
use crate::pleura::effusion::components6;

/// One side's pneumothorax, on the crop grid.
#[derive(Debug, Clone)]
pub struct Air {
    /// The air voxels.
    pub bits: Vec<bool>,
    /// Volume, mL (with the partial-volume share of its border).
    pub volume_ml: f64,
    /// Share of the hemithorax (lung mask of that side), %.
    pub hemithorax_percent: f64,
    /// Largest anteroposterior thickness, mm.
    pub max_rim: f64,
    /// Largest thickness at the hilum, mm (`None` without a carina).
    pub hilum_rim: Option<f64>,
}

/// Finds the pneumothorax of one side, if any. `carina_z` is the LPS z
/// of the carina when known.
pub fn detect(scene: &Scene, h: &Hemithorax, carina_z: Option<f64>) -> Option<Air> {
    let g = &scene.g;
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    let voxel_ml = g.voxel_volume_mm3() / 1000.0;
    let wide = scene.smooth_wide.as_slice();
    let sm1 = scene.smooth.as_slice();
    let code = h.code;
    let lung_voxels = scene.lung.iter().filter(|l| **l == code).count();
    if lung_voxels == 0 {
        return None;
    }
    // Rank grows posteriorly; the front of each (x, z) column of lung.
    let rank = |y: usize| {
        if scene.posterior_y_sign > 0.0 {
            y as isize
        } else {
            (ny - 1 - y) as isize
        }
    };
    let mut front = vec![isize::MAX; nx * nz];
    let mut back = vec![isize::MIN; nx * nz];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                if scene.lung[x + nx * y + plane * z] == code {
                    let k = x + nx * z;
                    front[k] = front[k].min(rank(y));
                    back[k] = back[k].max(rank(y));
                }
            }
        }
    }
    // Depth of each voxel inside this lung's mask, mm.
    let own: Vec<bool> = scene.lung.iter().map(|l| *l == code).collect();
    let depth = volume::distance_to_background(&scene.volume_of(own).ok()?);
    let depth = depth.as_slice();
    // 1. Cores.
    let core: Vec<bool> = (0..g.len())
        .map(|i| scene.lung[i] == code && wide[i] < PTX_CORE_HU)
        .collect();
    let labels = components6(&core, g.dims);
    let n = labels.iter().copied().max().unwrap_or(0) as usize;
    if n == 0 {
        return None;
    }
    // 2. Per core: size, wall contact, posterior share, top-of-column
    // share. "Top of column": no aerated non-air lung in front of it in
    // its column.
    let mut size = vec![0usize; n + 1];
    let mut wall = vec![0usize; n + 1];
    let mut posterior = vec![0usize; n + 1];
    let mut top = vec![0usize; n + 1];
    // How much of each core has aerated lung above it in its column,
    // beyond a layer of soft tissue (air under the lung's base is in the
    // stomach or bowel, which an air-threshold lung mask can take in;
    // pleural air rises beside the lung, not under it).
    let mut roof = vec![0usize; n + 1];
    let mut under = vec![0usize; n + 1];
    let up: isize = if g.direction[2][2] >= 0.0 { 1 } else { -1 };
    let tissue_min = (PTX_DIAPHRAGM_MM / g.spacing[2]).ceil().max(1.0) as usize;
    // Per column, the first rank (from the front) holding lung that is
    // not air.
    let mut first_tissue = vec![isize::MAX; nx * nz];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let i = x + nx * y + plane * z;
                if scene.lung[i] == code && sm1[i] > AIR_HU.1 && depth[i] > PTX_RIM_MM as f32 {
                    let k = x + nx * z;
                    first_tissue[k] = first_tissue[k].min(rank(y));
                }
            }
        }
    }
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let i = x + nx * y + plane * z;
                let l = labels[i] as usize;
                if l == 0 {
                    continue;
                }
                size[l] += 1;
                let k = x + nx * z;
                let mid = 0.5 * (front[k] + back[k]) as f64;
                let dy = (y as f64 - h.centre[1]) * scene.posterior_y_sign;
                if dy > 0.0 && rank(y) as f64 > mid {
                    posterior[l] += 1;
                }
                if rank(y) < first_tissue[k] {
                    top[l] += 1;
                }
                if depth[i] <= PTX_RIM_MM as f32 {
                    wall[l] += 1;
                }
                // Aerated lung above, in the same column, beyond soft
                // tissue (air outside the lung mask, such as airway masks
                // leaking into pleural air, is not tissue).
                roof[l] += 1;
                let mut tissue = 0usize;
                let mut zz = z as isize + up;
                while zz >= 0 && (zz as usize) < nz {
                    let jj = i - z * plane + zz as usize * plane;
                    if !scene.body[jj] {
                        break;
                    }
                    if scene.lung[jj] == code {
                        if tissue >= tissue_min && labels[jj] as usize != l {
                            under[l] += 1;
                            break;
                        }
                    } else if sm1[jj] > SOFT_TISSUE_MIN_HU {
                        tissue += 1;
                    }
                    zz += up;
                }
            }
        }
    }
    let keep: Vec<bool> = (0..=n)
        .map(|l| {
            l > 0
                && size[l] as f64 * voxel_ml >= PTX_MIN_ML
                && wall[l] > 0
                && (posterior[l] as f64) <= PTX_MAX_POSTERIOR_SHARE * size[l] as f64
                && (top[l] as f64) >= PTX_MIN_TOP_SHARE * size[l] as f64
                && (under[l] as f64) < 0.5 * roof[l] as f64
        })
        .collect();
    for l in (1..=n).filter(|l| size[*l] as f64 * voxel_ml >= 0.5) {
        tracing::debug!(
            "ptx core {l}: {:.1} mL wall {} posterior {:.2} top {:.2} under {}/{} kept {}",
            size[l] as f64 * voxel_ml,
            wall[l],
            posterior[l] as f64 / size[l] as f64,
            top[l] as f64 / size[l] as f64,
            under[l],
            roof[l],
            keep[l]
        );
    }
    let mut bits: Vec<bool> = labels.iter().map(|l| keep[*l as usize]).collect();
    if !bits.iter().any(|b| *b) {
        return None;
    }
    // 3. Grow to half way between air and the lung beside it.
    let mut beside: Vec<f32> = Vec::new();
    for i in 0..g.len() {
        if bits[i] || scene.lung[i] != code || sm1[i] <= AIR_HU.1 || sm1[i] > -500.0 {
            continue;
        }
        let x = i % nx;
        let y = (i / nx) % ny;
        if (x > 0 && bits[i - 1])
            || (x + 1 < nx && bits[i + 1])
            || (y > 0 && bits[i - nx])
            || (y + 1 < ny && bits[i + nx])
        {
            beside.push(sm1[i]);
        }
    }
    let lung_level = if beside.is_empty() {
        -880.0
    } else {
        let m = beside.len() / 2;
        *beside.select_nth_unstable_by(m, |a, b| a.total_cmp(b)).1
    };
    let air = AIR_HU.0;
    let half = 0.5 * (air + lung_level);
    // The edge is found on the 3 x 3 median (noise down, edges kept): a
    // thin meniscus along the wall is lifted above half way by any
    // smoothing.
    let med = median3(scene);
    for _ in 0..PTX_GROW_STEPS {
        let mut add = Vec::new();
        for i in 0..g.len() {
            if bits[i] || scene.lung[i] != code || med[i] > half {
                continue;
            }
            let x = i % nx;
            let y = (i / nx) % ny;
            let z = i / plane;
            if (x > 0 && bits[i - 1])
                || (x + 1 < nx && bits[i + 1])
                || (y > 0 && bits[i - nx])
                || (y + 1 < ny && bits[i + nx])
                || (z > 0 && bits[i - plane])
                || (z + 1 < nz && bits[i + plane])
            {
                add.push(i);
            }
        }
        if add.is_empty() {
            break;
        }
        for i in add {
            bits[i] = true;
        }
    }
    // Volume: members whole, border voxels by their share of air: mixed
    // with lung when below the lung's level, with the chest wall (soft
    // tissue about +40 HU) when above it.
    let mut vol = 0.0f64;
    for i in 0..g.len() {
        if bits[i] {
            vol += 1.0;
            continue;
        }
        let x = i % nx;
        let y = (i / nx) % ny;
        let touches = (x > 0 && bits[i - 1])
            || (x + 1 < nx && bits[i + 1])
            || (y > 0 && bits[i - nx])
            || (y + 1 < ny && bits[i + nx]);
        if !touches || !scene.body[i] {
            continue;
        }
        let v = med[i];
        let f = if v <= lung_level {
            (lung_level - v) / (lung_level - air)
        } else {
            (40.0 - v) / (40.0 - air)
        };
        vol += f64::from(f.clamp(0.0, 1.0));
    }
    let volume_ml = vol * voxel_ml;
    let hemithorax_percent = 100.0 * volume_ml / (lung_voxels as f64 * voxel_ml);
    let (max_rim, hilum_rim) = rims(scene, h, &bits, carina_z);
    Some(Air {
        bits,
        volume_ml,
        hemithorax_percent,
        max_rim,
        hilum_rim,
    })
}

/// Largest anteroposterior thickness of the air in a column of the middle
/// of the hemithorax (25-75 % of the way from the midline to the lung's
/// lateral edge on that slice), overall and within the hilar band below
/// the carina.
fn rims(scene: &Scene, h: &Hemithorax, air: &[bool], carina_z: Option<f64>) -> (f64, Option<f64>) {
    let g = &scene.g;
    let [nx, ny, nz] = g.dims;
    let sy = g.spacing[1];
    let mid = g.lps_to_index([scene.midline_x, g.origin[1], g.origin[2]])[0];
    let mut best = 0.0f64;
    let mut hilum: Option<f64> = None;
    for z in 0..nz {
        let zc = g.index_to_lps([0.0, 0.0, z as f64])[2];
        let in_hilum = carina_z.map(|c| zc <= c && zc >= c - HILUM_BAND_MM);
        if in_hilum == Some(true) {
            hilum.get_or_insert(0.0);
        }
        let mut lateral = 0.0f64;
        for y in 0..ny {
            for x in 0..nx {
                if scene.lung[scene.at(x, y, z)] == h.code {
                    lateral = lateral.max((x as f64 - mid).abs());
                }
            }
        }
        if lateral <= 0.0 {
            continue;
        }
        for x in 0..nx {
            let f = (x as f64 - mid).abs() / lateral;
            if (x as f64 - mid) * h.medial_x > 0.0 || !(0.25..=0.75).contains(&f) {
                continue;
            }
            let mut ymin = usize::MAX;
            let mut ymax = 0usize;
            for y in 0..ny {
                if air[scene.at(x, y, z)] {
                    ymin = ymin.min(y);
                    ymax = ymax.max(y);
                }
            }
            if ymin > ymax {
                continue;
            }
            let t = (ymax - ymin + 1) as f64 * sy;
            best = best.max(t);
            if in_hilum == Some(true) {
                let hv = hilum.get_or_insert(0.0);
                *hv = hv.max(t);
            }
        }
    }
    (best, hilum)
}

/// The 3 x 3 in-plane median of the crop's HU.
fn median3(scene: &Scene) -> Vec<f32> {
    use rayon::prelude::*;
    let [nx, ny, _] = scene.g.dims;
    let plane = nx * ny;
    let hu = scene.hu.as_slice();
    let mut out = vec![0.0f32; hu.len()];
    out.par_chunks_mut(plane).enumerate().for_each(|(z, o)| {
        let s = &hu[z * plane..(z + 1) * plane];
        for y in 0..ny {
            for x in 0..nx {
                o[x + nx * y] = f32::from(crate::emphysema::median9(s, nx, ny, x, y));
            }
        }
    });
    out
}
