//! Candidate detection: the lung search region and the multi-scale
//! Hessian blob ("dot") filter.
//!
//! - The search region is each lung mask closed with a ball of
//!   [`SEARCH_CLOSE_MM`] on a grid of about 2 mm (a dense lesion against
//!   the pleura leaves a notch in an aerated-lung mask; the closing puts it
//!   back), united with the masks themselves.
//! - Outside the region the CT is replaced by the lung background, so the
//!   chest wall and mediastinum make no edges and a juxtapleural nodule
//!   stands out as a blob.
//! - At each scale sigma of [`BLOB_SIGMAS_MM`], on a grid of about
//!   `sigma / 2`, the scale-normalised Hessian gives the dot response of
//!   Li, Sone & Doi (Med Phys 2003): `sigma^2 |l3|^2 / |l1|` where all
//!   three eigenvalues are negative (`|l1| >= |l2| >= |l3|`); it is high
//!   for blobs and vanishes for tubes (vessels, `l3 ~ 0`) and plates
//!   (fissures, `l2 ~ l3 ~ 0`).
//! - Local maxima above [`BLOB_MIN_RESPONSE_HU`] are seeds; seeds within
//!   1.5 sigma of a stronger one are dropped.

use aisu::AisuError;
use anatomy::regions::{coarse_geometry, fail, from_vec};
use rayon::prelude::*;
use volume::{Volume, symmetric_eigenvalues};

use crate::constants::{
    BLOB_GRID_PER_SIGMA, BLOB_MIN_RESPONSE_HU, BLOB_SIGMAS_MM, MASS_SEED_GRID_MM,
    MASS_SEED_OPEN_MM, MAX_SEEDS, RADIUS_PER_SIGMA, SOLID_MIN_HU,
};

/// A blob seed on the crop grid.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    /// Continuous index on the crop grid.
    pub index: [f64; 3],
    /// Scale that answered, mm.
    pub sigma_mm: f64,
    /// Dot response, HU.
    pub response: f32,
}

/// Mean of each `factor` block of an f32 volume.
pub fn downsample_mean_f32(v: &Volume<f32>, factor: [usize; 3]) -> Result<Volume<f32>, AisuError> {
    if factor == [1, 1, 1] {
        return Ok(v.clone());
    }
    let g = coarse_geometry(v.geometry(), factor);
    let [nx, ny, nz] = v.dims();
    let [cx, cy, _] = g.dims;
    let src = v.as_slice();
    let mut out = vec![0f32; g.len()];
    out.par_chunks_mut(cx * cy)
        .enumerate()
        .for_each(|(cz, slice)| {
            let mut n = vec![0u32; cx * cy];
            for z in cz * factor[2]..((cz + 1) * factor[2]).min(nz) {
                for y in 0..ny {
                    let row = &src[nx * (y + ny * z)..nx * (y + ny * z + 1)];
                    let base = (y / factor[1]) * cx;
                    for (x, v) in row.iter().enumerate() {
                        slice[base + x / factor[0]] += *v;
                        n[base + x / factor[0]] += 1;
                    }
                }
            }
            for (s, n) in slice.iter_mut().zip(&n) {
                *s /= (*n).max(1) as f32;
            }
        });
    from_vec(out, g)
}

/// A coarse voxel is set when any voxel of its block is.
pub fn downsample_any(v: &Volume<bool>, factor: [usize; 3]) -> Result<Volume<bool>, AisuError> {
    if factor == [1, 1, 1] {
        return Ok(v.clone());
    }
    let g = coarse_geometry(v.geometry(), factor);
    let [nx, ny, _] = v.dims();
    let [cx, cy, _] = g.dims;
    let mut out = vec![false; g.len()];
    for (i, s) in v.as_slice().iter().enumerate() {
        if *s {
            let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
            out[x / factor[0] + cx * (y / factor[1] + cy * (z / factor[2]))] = true;
        }
    }
    from_vec(out, g)
}

/// The dot response of one scale on `smooth` (already smoothed with
/// sigma), inside `region`, for voxels brighter than `floor`.
fn dot_response(
    smooth: &Volume<f32>,
    region: &Volume<bool>,
    sigma_mm: f64,
    floor: f32,
) -> Vec<f32> {
    let [nx, ny, nz] = smooth.dims();
    let s = smooth.spacing();
    let f = smooth.as_slice();
    let inside = region.as_slice();
    let plane = nx * ny;
    let (ix, iy, iz) = (
        1.0 / (s[0] * s[0]),
        1.0 / (s[1] * s[1]),
        1.0 / (s[2] * s[2]),
    );
    let (ixy, ixz, iyz) = (
        0.25 / (s[0] * s[1]),
        0.25 / (s[0] * s[2]),
        0.25 / (s[1] * s[2]),
    );
    let norm = sigma_mm * sigma_mm;
    let mut out = vec![0f32; f.len()];
    if nx < 3 || ny < 3 || nz < 3 {
        return out;
    }
    out.par_chunks_mut(plane).enumerate().for_each(|(z, slab)| {
        if z == 0 || z + 1 >= nz {
            return;
        }
        for y in 1..ny - 1 {
            for x in 1..nx - 1 {
                let i = x + nx * y + plane * z;
                if !inside[i] || f[i] < floor {
                    continue;
                }
                let c = f64::from(f[i]);
                let at = |j: usize| f64::from(f[j]);
                let hxx = (at(i + 1) - 2.0 * c + at(i - 1)) * ix;
                if hxx >= 0.0 {
                    continue;
                }
                let hyy = (at(i + nx) - 2.0 * c + at(i - nx)) * iy;
                let hzz = (at(i + plane) - 2.0 * c + at(i - plane)) * iz;
                if hyy >= 0.0 || hzz >= 0.0 {
                    continue;
                }
                let hxy = (at(i + 1 + nx) - at(i + 1 - nx) - at(i - 1 + nx) + at(i - 1 - nx)) * ixy;
                let hxz = (at(i + 1 + plane) - at(i + 1 - plane) - at(i - 1 + plane)
                    + at(i - 1 - plane))
                    * ixz;
                let hyz = (at(i + nx + plane) - at(i + nx - plane) - at(i - nx + plane)
                    + at(i - nx - plane))
                    * iyz;
                // Negative definite (Sylvester): all eigenvalues < 0.
                let m2 = hxx * hyy - hxy * hxy;
                let det = hxx * (hyy * hzz - hyz * hyz) - hxy * (hxy * hzz - hyz * hxz)
                    + hxz * (hxy * hyz - hyy * hxz);
                if m2 <= 0.0 || det >= 0.0 {
                    continue;
                }
                let e = symmetric_eigenvalues([hxx, hyy, hzz, hxy, hxz, hyz]);
                // All negative: e[2] most negative, e[0] closest to 0.
                let (l1, l3) = (e[2].abs(), e[0].abs());
                if l1 <= 0.0 {
                    continue;
                }
                slab[x + nx * y] = (norm * l3 * l3 / l1) as f32;
            }
        }
    });
    out
}

/// Seeds of the masked crop `hu` (lung background outside `region`).
pub fn find_seeds(
    hu: &Volume<f32>,
    region: &Volume<bool>,
    background: f32,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<Seed>, AisuError> {
    let spacing = hu.spacing();
    let mut seeds = Vec::new();
    for &sigma in &BLOB_SIGMAS_MM {
        if cancelled() {
            return Err(AisuError::Cancelled);
        }
        let step = sigma * BLOB_GRID_PER_SIGMA;
        let factor = [
            ((step / spacing[0]).floor() as usize).max(1),
            ((step / spacing[1]).floor() as usize).max(1),
            ((step / spacing[2]).floor() as usize).max(1),
        ];
        let coarse = downsample_mean_f32(hu, factor)?;
        let coarse_region = downsample_any(region, factor)?;
        let smooth = volume::gaussian_smooth(&coarse, [sigma; 3]).map_err(fail)?;
        let response = dot_response(
            &smooth,
            &coarse_region,
            sigma,
            background + BLOB_MIN_RESPONSE_HU,
        );
        let [nx, ny, nz] = smooth.dims();
        let plane = nx * ny;
        let found: Vec<Seed> = (1..nz.saturating_sub(1))
            .into_par_iter()
            .flat_map_iter(|z| {
                let response = &response;
                let mut local = Vec::new();
                for y in 1..ny - 1 {
                    for x in 1..nx - 1 {
                        let i = x + nx * y + plane * z;
                        let v = response[i];
                        if v < BLOB_MIN_RESPONSE_HU {
                            continue;
                        }
                        let mut is_max = true;
                        'n: for dz in -1i64..=1 {
                            for dy in -1i64..=1 {
                                for dx in -1i64..=1 {
                                    let j = (i as i64 + dx + nx as i64 * dy + plane as i64 * dz)
                                        as usize;
                                    if j != i && (response[j] > v || (response[j] == v && j < i)) {
                                        is_max = false;
                                        break 'n;
                                    }
                                }
                            }
                        }
                        if is_max {
                            let c = [x, y, z];
                            let index = std::array::from_fn(|a| {
                                c[a] as f64 * factor[a] as f64 + (factor[a] as f64 - 1.0) / 2.0
                            });
                            local.push(Seed {
                                index,
                                sigma_mm: sigma,
                                response: v,
                            });
                        }
                    }
                }
                local
            })
            .collect();
        tracing::debug!("nodules: sigma {sigma} mm: {} maxima", found.len());
        seeds.extend(found);
    }
    Ok(suppress(seeds, spacing))
}

/// Seeds of large dense lesions (masses), which the blob filter's
/// largest scales can miss on thick slices or when the lung mask cuts
/// them: on a grid of about [`MASS_SEED_GRID_MM`], solid voxels (above
/// [`SOLID_MIN_HU`]) touching the lung, opened with a ball of
/// [`MASS_SEED_OPEN_MM`] (vessels vanish, masses stay); each piece gives
/// a seed at its deepest voxel, with the scale of its inscribed radius.
pub fn mass_seeds(seg: &Volume<f32>, lung: &Volume<bool>) -> Result<Vec<Seed>, AisuError> {
    let s = seg.spacing();
    let factor: [usize; 3] =
        std::array::from_fn(|a| ((MASS_SEED_GRID_MM / s[a]).floor() as usize).max(1));
    let coarse = downsample_mean_f32(seg, factor)?;
    let near_lung =
        volume::dilate(&downsample_any(lung, factor)?, MASS_SEED_OPEN_MM).map_err(fail)?;
    let dense: Vec<bool> = coarse
        .as_slice()
        .iter()
        .zip(near_lung.as_slice())
        .map(|(v, l)| *l && *v >= SOLID_MIN_HU)
        .collect();
    let dense = from_vec(dense, *coarse.geometry())?;
    let opened = volume::open(&dense, MASS_SEED_OPEN_MM).map_err(fail)?;
    let depth = volume::distance_to_background(&opened);
    let parts = volume::label_components(&opened, volume::Connectivity::Six).map_err(fail)?;
    let mut best: Vec<(f32, usize)> = vec![(0.0, 0); parts.len() + 1];
    for (i, (l, d)) in parts
        .labels
        .as_slice()
        .iter()
        .zip(depth.as_slice())
        .enumerate()
    {
        let l = *l as usize;
        if l > 0 && d.is_finite() && *d > best[l].0 {
            best[l] = (*d, i);
        }
    }
    let [cx, cy, _] = coarse.dims();
    let lung_s = lung.as_slice();
    let [nx, ny, _] = lung.dims();
    Ok(best
        .iter()
        .skip(1)
        .filter(|(d, _)| f64::from(*d) >= MASS_SEED_OPEN_MM)
        .filter_map(|(d, i)| {
            let c = [i % cx, (i / cx) % cy, i / (cx * cy)];
            let index: [f64; 3] = std::array::from_fn(|a| {
                c[a] as f64 * factor[a] as f64 + (factor[a] as f64 - 1.0) / 2.0
            });
            // The seed must lie in the lung or next to it.
            let p: [usize; 3] = std::array::from_fn(|a| index[a].round() as usize);
            let _ = lung_s.get(p[0] + nx * (p[1] + ny * p[2]))?;
            Some(Seed {
                index,
                sigma_mm: f64::from(*d) / RADIUS_PER_SIGMA,
                response: 100.0,
            })
        })
        .collect())
}

/// Drops seeds within 1.5 sigma of a stronger seed; keeps at most
/// [`MAX_SEEDS`].
fn suppress(mut seeds: Vec<Seed>, spacing: [f64; 3]) -> Vec<Seed> {
    seeds.sort_by(|a, b| b.response.total_cmp(&a.response));
    let mut kept: Vec<Seed> = Vec::new();
    for s in seeds {
        let near = kept.iter().any(|k| {
            let d2: f64 = (0..3)
                .map(|a| ((s.index[a] - k.index[a]) * spacing[a]).powi(2))
                .sum();
            d2 < (1.5 * k.sigma_mm).powi(2)
        });
        if !near {
            kept.push(s);
            if kept.len() >= MAX_SEEDS {
                break;
            }
        }
    }
    kept
}
