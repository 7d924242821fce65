//! Finding the pericardial fluid layer on radial profiles.
//!
//! On each axial slice from the heart's bottom up to
//! [`PERICARDIAL_HEIGHT_SHARE`] of its height (the ventricles), profiles
//! run out from the centre of the heart's outline, one every half
//! degree, each averaged with its neighbours at the same radius (noise
//! drops, the layer's edges along the profile stay sharp). On each
//! profile, at the outline's outer edge, two patterns are a layer:
//!
//! - **inward**: fluid the heart unit took into the heart's outline (it
//!   is soft tissue): a run at the outline's edge, past at most
//!   [`PERICARDIUM_SKIP_MM`] of pericardium, whose values sit well below
//!   the heart's ([`PERICARDIAL_CONTRAST_HU`]) and above fat;
//! - **fat-bounded**: the outermost tissue around the heart, ending
//!   outwards in fat or lung (not bone, a vessel or the oesophagus) and
//!   bounded inwards by the epicardial fat line ([`FAT_RING_MM`]) with
//!   heart behind it, beyond the outline or partly inside it. This finds
//!   fluid of any density, blood included (haemopericardium is as dense
//!   as the heart): the fat line is the sign a radiologist reads on a
//!   non-contrast scan.
//!
//! Both runs must be longer than [`MIN_RUN_MM`] and flat (fluid is a
//! plateau; the blurred edge between fat and the heart is a ramp through
//! the same values). Runs from all profiles make the seed mask; specks
//! under [`PERICARDIAL_MIN_ML`] go; the layer is grown from the seeds
//! through the voxels between the half levels of fluid and heart and of
//! fluid and fat, within [`PERICARDIAL_GROW_MM`].

use aisu::{AisuError, Mask};
use anatomy::regions::{IndexBox, crop, crop_mask, embed, fail, from_vec};
use rayon::prelude::*;
use volume::{Geometry, Volume};

use crate::constants::{
    PERICARDIAL_CONTRAST_HU, PERICARDIAL_FAT_HU, PERICARDIAL_FLUID_HU, PERICARDIAL_FLUID_MIN_HU,
    PERICARDIAL_GROW_MM, PERICARDIAL_HEART_MARGIN_HU, PERICARDIAL_HEIGHT_SHARE, PERICARDIAL_MIN_ML,
    PERICARDIAL_MIN_MM, PERICARDIAL_NOISE_HU, PERICARDIAL_SMOOTH_MM,
};

/// A pericardial fluid layer as found.
#[derive(Debug, Clone)]
pub struct PericardialFluid {
    /// The layer's voxels on the CT grid.
    pub mask: Mask,
    /// Diameter of the largest sphere inside the layer, mm.
    pub max_thickness_mm: f64,
    /// Layer volume, ml.
    pub volume_ml: f64,
    /// Mean attenuation of the layer's seeds, HU.
    pub mean_hu: f64,
    /// Attenuation of the heart's interior, HU.
    pub heart_hu: f64,
}

/// Step along a profile, mm.
const PROFILE_STEP_MM: f64 = 0.5;
/// Profiles per slice (one every half degree: under 1 mm apart 100 mm
/// from the centre).
const PROFILES: usize = 720;
/// Profiles averaged on each side of a profile (3 of 720: 1.5 degrees,
/// about 2.5 mm 100 mm out).
const NEIGHBOURS: usize = 3;
/// Pericardium skipped at the layer's outer edge on an inward run, mm
/// (1-2 mm thick, blurred to about 3).
const PERICARDIUM_SKIP_MM: f64 = 3.0;
/// Shorter runs along a profile are not a layer thicker than normal, mm
/// (a profile crosses the layer at or beyond its thickness).
const MIN_RUN_MM: f64 = PERICARDIAL_MIN_MM;
/// Longest layer along a profile, mm (a large effusion is 20-40 mm).
const MAX_LAYER_MM: f64 = 40.0;
/// Epicardial fat between the heart's outline and an outward layer, mm:
/// at least this for a layer as dense as the heart, at most the second
/// (epicardial fat is up to 20-25 mm thick at the apex and in the grooves
/// of obese patients: Iacobellis, Nat Rev Endocrinol 2015).
const FAT_RING_MM: [f64; 2] = [1.0, 25.0];
/// An outward run meeting this or denser is bone or cartilage, HU.
const BONE_HU: f32 = 150.0;
/// Densest fluid taken for an effusion (clotting blood), HU.
const DENSE_MAX_HU: f32 = 75.0;
/// A run is fluid when this much of it lies within [`PLATEAU_HU`] of its
/// median, mm (a 4.5 mm layer keeps a plateau of about 3 mm; a fat-heart
/// edge ramps through the band in 1-1.5 mm; tuned).
const PLATEAU_MM: f64 = 2.5;
/// See [`PLATEAU_MM`], HU (noise left after smoothing is 5-10 HU).
const PLATEAU_HU: f32 = 12.0;
/// Depth of the heart's interior under its outline, mm (beyond a layer
/// of fluid; the outline's own edge is blurred).
const HEART_INTERIOR_MM: f64 = 8.0;
/// The search reaches this far beyond the heart's outline, mm (fat ring
/// and the thickest layer).
const SEARCH_MM: f64 = FAT_RING_MM[1] + MAX_LAYER_MM;

/// Smoothed copy of `hu` (sigma in-plane `sigma_mm`, along z at most a
/// third of a slice so thick slices are not mixed).
fn smooth(hu: &Volume<i16>, sigma_mm: f64) -> Result<Volume<f32>, AisuError> {
    let z = sigma_mm.min(hu.spacing()[2] / 3.0);
    volume::gaussian_smooth(hu, [sigma_mm, sigma_mm, z]).map_err(fail)
}

/// Median and robust standard deviation (1.4826 x the median absolute
/// deviation) of `values` where `mask` holds; (0, infinity) when empty.
fn median_and_sd(values: &Volume<f32>, mask: &Volume<bool>) -> (f64, f64) {
    let v: Vec<f32> = values
        .as_slice()
        .iter()
        .zip(mask.as_slice())
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v)
        .collect();
    crate::median_robust_sd(v).map_or((0.0, f64::INFINITY), |(m, sd)| {
        (f64::from(m), f64::from(sd))
    })
}

/// Diameter of the largest sphere inside `mask`, mm: its deepest voxel
/// lies about n/2 voxels from the background across a layer n voxels
/// thick, so the diameter is twice the depth less half a voxel (the mean
/// over odd and even n).
pub(super) fn largest_sphere_mm(mask: &Volume<bool>) -> f64 {
    let depth = volume::distance_to_background(mask);
    let deepest = depth
        .as_slice()
        .iter()
        .filter(|d| d.is_finite())
        .fold(0.0f32, |a, &d| a.max(d)) as f64;
    let px = mask.spacing()[0].min(mask.spacing()[1]);
    (2.0 * deepest - 0.5 * px).max(0.0)
}

/// What a profile's runs are judged against.
#[derive(Debug, Clone, Copy)]
struct Levels {
    /// Below this a sample is fat (or lung), HU.
    fat_split: f32,
    /// Top of the fluid band on an inward run, HU.
    top: f32,
    /// A run whose median is at most this is fluid clearly below the
    /// heart, HU.
    below_heart: f32,
    /// Shortest run, samples: [`MIN_RUN_MM`], or three pixels on a coarse
    /// grid (a thin fat line and the pericardium blur into a fluid-like
    /// band about that wide).
    min_run: usize,
    /// Shortest plateau, samples: [`PLATEAU_MM`], or two pixels.
    min_flat: usize,
}

/// Median of a run and whether it is a plateau of `min_flat` samples.
fn plateau(values: &[f32], min_flat: usize) -> (f32, bool) {
    let mut run = values.to_vec();
    let mid = run.len() / 2;
    let median = *run.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1;
    let flat = values
        .iter()
        .filter(|v| (**v - median).abs() <= PLATEAU_HU)
        .count();
    (median, flat >= min_flat)
}

fn steps(mm: f64) -> usize {
    (mm / PROFILE_STEP_MM).round() as usize
}

/// The inward run at the outline's edge `edge` (samples from the centre
/// out): fluid the heart unit took into the heart.
fn inward_run(values: &[f32], edge: usize, l: Levels) -> Option<std::ops::Range<usize>> {
    let mut i = edge;
    while i > 0 && values[i] < l.fat_split {
        i -= 1;
    }
    // The pericardium: a thin line denser than the fluid.
    let start = i;
    while i > 0 && values[i] > l.top && start - i < steps(PERICARDIUM_SKIP_MM) {
        i -= 1;
    }
    if values[i] > l.top || values[i] < l.fat_split {
        return None;
    }
    let end = i + 1;
    // The fluid, allowing a short excursion above the band (noise).
    let excursion = steps(1.0);
    let mut above = 0;
    while i > 0 && values[i - 1] >= l.fat_split {
        if values[i - 1] > l.top {
            above += 1;
            if above > excursion {
                break;
            }
        } else {
            above = 0;
        }
        i -= 1;
    }
    let first = i + above;
    if first >= end || end - first < l.min_run {
        return None;
    }
    let (median, flat) = plateau(&values[first..end], l.min_flat);
    (flat && median >= PERICARDIAL_FLUID_MIN_HU && median <= l.below_heart).then_some(first..end)
}

/// The fat-bounded run at the outline's edge `edge`: the outermost
/// tissue around the heart (ending outwards in fat or lung), bounded
/// inwards by a fat line with heart behind it. The layer may lie beyond
/// the outline (past the epicardial fat) or partly inside it (a dense
/// layer the heart unit took for heart).
fn bounded_run(
    values: &[f32],
    excluded: &[bool],
    edge: usize,
    l: Levels,
) -> Option<std::ops::Range<usize>> {
    let n = values.len();
    let soft = |i: usize| values[i] >= l.fat_split;
    // Outwards: past the epicardial fat, through the layer, to fat or lung.
    let mut i = edge + 1;
    let fat_start = i;
    while i < n && !excluded[i] && !soft(i) && i - fat_start <= steps(FAT_RING_MM[1]) {
        i += 1;
    }
    let layer_start = i;
    while i < n
        && !excluded[i]
        && soft(i)
        && values[i] < BONE_HU
        && i - layer_start <= steps(MAX_LAYER_MM)
    {
        i += 1;
    }
    if i >= n || excluded[i] || soft(i) {
        return None;
    }
    let outer = i;
    // Inwards from the outer end: the layer, then the fat line.
    let mut j = outer - 1;
    while j > 0 && soft(j) && outer - j <= steps(MAX_LAYER_MM) {
        j -= 1;
    }
    if soft(j) {
        return None;
    }
    let layer = j + 1..outer;
    let mut k = j;
    while k > 0 && !soft(k) {
        k -= 1;
    }
    let mut h = k;
    while h > 0 && soft(h) {
        h -= 1;
    }
    let fat = j - k;
    if layer.len() < l.min_run
        || fat < steps(FAT_RING_MM[0])
        || fat > steps(FAT_RING_MM[1])
        || k - h < steps(HEART_BEHIND_MM)
    {
        return None;
    }
    let (median, flat) = plateau(&values[layer.clone()], l.min_flat);
    // A layer as dense as the heart must lie wholly beyond the outline:
    // inside it, a segment of myocardium past a groove's fat reads the
    // same way.
    let dense = median > l.below_heart;
    (flat
        && (PERICARDIAL_FLUID_MIN_HU..=DENSE_MAX_HU).contains(&median)
        && (!dense || layer.start > edge))
        .then_some(layer)
}

/// Heart behind the fat line of a bounded run, mm.
const HEART_BEHIND_MM: f64 = 15.0;

/// The masks [`fluid`] reads besides the heart.
#[derive(Debug, Clone, Copy, Default)]
pub struct Surroundings<'a> {
    /// The lungs: the layer stays inside each slice's convex hull of
    /// them (the thoracic cavity; the chest wall's muscle between fat
    /// layers is no effusion).
    pub lungs: &'a [&'a Mask],
    /// Structures a layer does not run into (great vessels, oesophagus).
    pub others: &'a [&'a Mask],
    /// Structures the layer's extent is not grown into (the liver, whose
    /// partial volume with fat under the heart reads like fluid).
    pub no_grow: &'a [&'a Mask],
}

/// The pericardial fluid layer around `heart`, or `None` when there is
/// none thicker than [`PERICARDIAL_MIN_MM`].
pub fn fluid(
    ct: &Volume<i16>,
    heart: &Mask,
    around: Surroundings<'_>,
) -> Result<Option<PericardialFluid>, AisuError> {
    let full: Geometry = *ct.geometry();
    let Some(hb) = IndexBox::of_mask(heart) else {
        return Ok(None);
    };
    let s = full.spacing;
    let reach = [
        (SEARCH_MM / s[0]).ceil() as usize,
        (SEARCH_MM / s[1]).ceil() as usize,
        0,
    ];
    let b = hb.grown(reach, full.dims);
    let hu = crop(ct, &b)?;
    let heart_v = crop_mask(heart, &full, &b)?;
    let union = |masks: &[&Mask]| -> Result<Vec<bool>, AisuError> {
        let mut out = vec![false; hu.as_slice().len()];
        for m in masks {
            let v = crop_mask(m, &full, &b)?;
            for (e, x) in out.iter_mut().zip(v.as_slice()) {
                *e |= *x;
            }
        }
        Ok(out)
    };
    let g = *hu.geometry();
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    let mut excluded = union(around.others)?;
    if !around.lungs.is_empty() {
        let lungs = union(around.lungs)?;
        excluded
            .par_chunks_mut(plane)
            .zip(lungs.par_chunks(plane))
            .for_each(|(out, lung)| {
                if lung.iter().any(|l| *l) {
                    let hull = anatomy::medgrid::convex_hull2d(lung, nx, ny);
                    for (e, inside) in out.iter_mut().zip(hull) {
                        *e |= !inside;
                    }
                }
            });
    }
    let no_grow = union(around.no_grow)?;
    // The heart's interior gives its attenuation and the noise; the
    // smoothing grows until the noise is low enough to see fluid.
    let eroded = volume::erode(&heart_v, HEART_INTERIOR_MM).map_err(fail)?;
    let interior = if eroded.as_slice().iter().any(|v| *v) {
        &eroded
    } else {
        &heart_v
    };
    let mut smoothed = None;
    for sigma in PERICARDIAL_SMOOTH_MM {
        let sm = smooth(&hu, sigma)?;
        let (median, sd) = median_and_sd(&sm, interior);
        let done = sd <= PERICARDIAL_NOISE_HU;
        smoothed = Some((sm, median));
        if done {
            break;
        }
    }
    let Some((sm, heart_hu)) = smoothed else {
        return Ok(None);
    };
    let (band_lo, band_hi) = PERICARDIAL_FLUID_HU;
    let levels = Levels {
        fat_split: 0.5 * (PERICARDIAL_FAT_HU + band_lo),
        top: (heart_hu as f32 - PERICARDIAL_HEART_MARGIN_HU).clamp(band_lo, band_hi),
        below_heart: heart_hu as f32 - PERICARDIAL_CONTRAST_HU,
        min_run: steps(MIN_RUN_MM.max(3.0 * g.spacing[0])),
        min_flat: steps(PLATEAU_MM.max(2.0 * g.spacing[0])),
    };
    // The ventricles' height: the crop's slices are the heart's, so its
    // first and last slices are the heart's ends.
    let height = |z: usize| g.index_to_lps([0.0, 0.0, z as f64])[2];
    let (bottom, top_mm) = {
        let (a, b) = (height(0), height(nz - 1));
        (a.min(b), a.max(b))
    };
    let ceiling = bottom + PERICARDIAL_HEIGHT_SHARE * (top_mm - bottom);
    let mut seeds = vec![false; g.len()];
    seeds
        .par_chunks_mut(plane)
        .enumerate()
        .for_each(|(z, out)| {
            if height(z) > ceiling {
                return;
            }
            let range = z * plane..(z + 1) * plane;
            slice_seeds(
                &sm.as_slice()[range.clone()],
                &heart_v.as_slice()[range.clone()],
                &excluded[range],
                [nx, ny],
                [g.spacing[0], g.spacing[1]],
                levels,
                out,
            );
        });
    let seeds = from_vec(seeds, g)?;
    // Specks (noise at the heart's edge) are not a layer.
    let min_voxels = (PERICARDIAL_MIN_ML * 1000.0 / g.voxel_volume_mm3()).ceil() as usize;
    let seeds =
        volume::remove_small_components(&seeds, volume::Connectivity::TwentySix, min_voxels)
            .map_err(fail)?;
    let seed_values: Vec<f32> = sm
        .as_slice()
        .iter()
        .zip(seeds.as_slice())
        .filter(|(_, s)| **s)
        .map(|(v, _)| *v)
        .collect();
    if seed_values.is_empty() {
        return Ok(None);
    }
    let fluid_hu = f64::from(seed_values.iter().sum::<f32>()) / seed_values.len() as f64;
    let blocked: Vec<bool> = excluded
        .iter()
        .zip(&no_grow)
        .map(|(a, b)| *a || *b)
        .collect();
    let grown = grow(&sm, &seeds, &blocked, &eroded, fluid_hu, heart_hu)?;
    let max_thickness_mm = largest_sphere_mm(&grown);
    if max_thickness_mm < PERICARDIAL_MIN_MM {
        return Ok(None);
    }
    let count = grown.as_slice().iter().filter(|v| **v).count();
    // The fluid's attenuation on its plateau (the runs' ends are blurred
    // with fat and heart).
    let mut sorted = seed_values.clone();
    let mid = sorted.len() / 2;
    let median = *sorted.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1;
    let (sum, n) = hu
        .as_slice()
        .iter()
        .zip(sm.as_slice())
        .zip(seeds.as_slice())
        .filter(|((_, v), s)| **s && (**v - median).abs() <= PLATEAU_HU)
        .fold((0.0, 0usize), |(a, k), ((h, _), _)| {
            (a + f64::from(*h), k + 1)
        });
    let mean_hu = if n > 0 {
        sum / n as f64
    } else {
        f64::from(median)
    };
    Ok(Some(PericardialFluid {
        mask: embed(&grown, &full, &b),
        max_thickness_mm,
        volume_ml: count as f64 * g.voxel_volume_mm3() / 1000.0,
        mean_hu,
        heart_hu,
    }))
}

/// The seeds of one slice: the runs of every profile.
fn slice_seeds(
    values: &[f32],
    heart: &[bool],
    excluded: &[bool],
    [nx, ny]: [usize; 2],
    [sx, sy]: [f64; 2],
    levels: Levels,
    out: &mut [bool],
) {
    let (mut cx, mut cy, mut n) = (0.0, 0.0, 0usize);
    for (i, _) in heart.iter().enumerate().filter(|(_, h)| **h) {
        cx += (i % nx) as f64;
        cy += (i / nx) as f64;
        n += 1;
    }
    if n == 0 {
        return;
    }
    let (cx, cy) = (cx / n as f64, cy / n as f64);
    let sample = |x: f64, y: f64| -> Option<(f32, usize)> {
        if x < 0.0 || y < 0.0 || x > (nx - 1) as f64 || y > (ny - 1) as f64 {
            return None;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(nx - 1), (y0 + 1).min(ny - 1));
        let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
        let v = |xx: usize, yy: usize| values[yy * nx + xx];
        let value = (1.0 - fy) * ((1.0 - fx) * v(x0, y0) + fx * v(x1, y0))
            + fy * ((1.0 - fx) * v(x0, y1) + fx * v(x1, y1));
        Some((value, y.round() as usize * nx + x.round() as usize))
    };
    // Every profile of the slice: values and voxels from the centre out.
    let profiles: Vec<(Vec<f32>, Vec<usize>)> = (0..PROFILES)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / PROFILES as f64;
            let (dx, dy) = (
                a.cos() * PROFILE_STEP_MM / sx,
                a.sin() * PROFILE_STEP_MM / sy,
            );
            let (mut vs, mut vox) = (Vec::new(), Vec::new());
            let mut t = 0.0;
            while let Some((v, i)) = sample(cx + t * dx, cy + t * dy) {
                vs.push(v);
                vox.push(i);
                t += 1.0;
            }
            (vs, vox)
        })
        .collect();
    let mut averaged = Vec::new();
    let mut outside = Vec::new();
    for k in 0..PROFILES {
        let (own, voxels) = &profiles[k];
        let Some(edge) = voxels.iter().rposition(|&i| heart[i]) else {
            continue;
        };
        averaged.clear();
        for (t, v) in own.iter().enumerate() {
            let (mut sum, mut m) = (0.0f32, 0u32);
            for d in 0..=2 * NEIGHBOURS {
                let j = (k + PROFILES + d - NEIGHBOURS) % PROFILES;
                if let Some(x) = profiles[j].0.get(t) {
                    sum += x;
                    m += 1;
                }
            }
            averaged.push(if m > 0 { sum / m as f32 } else { *v });
        }
        outside.clear();
        outside.extend(voxels.iter().map(|&i| excluded[i]));
        let runs = [
            inward_run(&averaged, edge, levels),
            bounded_run(&averaged, &outside, edge, levels),
        ];
        for run in runs.into_iter().flatten() {
            for &i in &voxels[run] {
                out[i] = true;
            }
        }
    }
}

/// The layer's extent: from the seeds through the voxels between the
/// half levels of fluid and heart and of fluid and fat, within
/// [`PERICARDIAL_GROW_MM`], outside the other structures and the heart's
/// `interior` (its outline eroded). Fluid as dense as the heart is not
/// grown (its half level with the heart would take
/// in the heart).
fn grow(
    sm: &Volume<f32>,
    seeds: &Volume<bool>,
    excluded: &[bool],
    interior: &Volume<bool>,
    fluid_hu: f64,
    heart_hu: f64,
) -> Result<Volume<bool>, AisuError> {
    if fluid_hu > heart_hu - f64::from(PERICARDIAL_CONTRAST_HU) {
        return Ok(seeds.clone());
    }
    let g = *sm.geometry();
    let upper = (0.5 * (fluid_hu + heart_hu)) as f32;
    let lower = (0.5 * (fluid_hu + f64::from(PERICARDIAL_FAT_HU))) as f32;
    let near = volume::dilate(seeds, PERICARDIAL_GROW_MM).map_err(fail)?;
    let band: Vec<bool> = sm
        .as_slice()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            seeds.as_slice()[i]
                || (near.as_slice()[i]
                    && !excluded[i]
                    && !interior.as_slice()[i]
                    && *v >= lower
                    && *v <= upper)
        })
        .collect();
    let band = from_vec(band, g)?;
    let labels = volume::label_components(&band, volume::Connectivity::Six).map_err(fail)?;
    let seeded: std::collections::HashSet<u32> = labels
        .labels
        .as_slice()
        .iter()
        .zip(seeds.as_slice())
        .filter(|(l, s)| **s && **l > 0)
        .map(|(l, _)| *l)
        .collect();
    let grown: Vec<bool> = labels
        .labels
        .as_slice()
        .iter()
        .map(|l| seeded.contains(l))
        .collect();
    from_vec(grown, g)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Levels for a heart at 45 HU.
    fn levels() -> Levels {
        Levels {
            fat_split: -45.0,
            top: 30.0,
            below_heart: 31.0,
            min_run: steps(MIN_RUN_MM),
            min_flat: steps(PLATEAU_MM),
        }
    }

    /// A profile from the centre out: `(value, mm)` stretches.
    fn profile(parts: &[(f32, f64)]) -> Vec<f32> {
        parts
            .iter()
            .flat_map(|&(v, mm)| std::iter::repeat_n(v, steps(mm)))
            .collect()
    }

    #[test]
    fn fluid_inside_the_outline_is_a_run_and_a_ramp_is_not() {
        // Heart 40 mm, fluid 8 mm at 10 HU, pericardium, lung; the heart
        // unit's outline ends at the pericardium.
        let v = profile(&[(45.0, 40.0), (10.0, 8.0), (40.0, 1.5), (-800.0, 20.0)]);
        let edge = steps(49.5) - 1;
        let run = inward_run(&v, edge, levels()).expect("a fluid run");
        let mm = run.len() as f64 * PROFILE_STEP_MM;
        assert!((mm - 8.0).abs() <= 1.0, "{mm} mm");
        // A slow edge between heart and fat (12 mm, a thick slice's
        // partial volume): a ramp through the band, as long as a layer
        // but no plateau.
        let mut v = profile(&[(45.0, 40.0)]);
        let ramp = steps(12.0);
        v.extend((0..ramp).map(|i| 45.0 - 145.0 * (i as f32 + 1.0) / ramp as f32));
        v.extend(profile(&[(-100.0, 10.0)]));
        let edge = steps(40.0) + ramp - 3;
        assert!(inward_run(&v, edge, levels()).is_none());
    }

    #[test]
    fn dense_fluid_needs_the_fat_line_and_must_lie_beyond_the_outline() {
        // Heart, epicardial fat 4 mm, blood 10 mm at 50 HU, lung.
        let v = profile(&[(45.0, 40.0), (-100.0, 4.0), (50.0, 10.0), (-800.0, 20.0)]);
        let outside = vec![false; v.len()];
        let edge = steps(40.0) - 1;
        let run = bounded_run(&v, &outside, edge, levels()).expect("a bounded run");
        assert_eq!(run.start, steps(44.0));
        // The same with no fat line is the heart itself.
        let v = profile(&[(45.0, 50.0), (-800.0, 20.0)]);
        assert!(bounded_run(&v, &outside, steps(40.0) - 1, levels()).is_none());
        // A dense segment the outline took in (edge inside it) is refused.
        let v = profile(&[(45.0, 40.0), (-100.0, 4.0), (50.0, 10.0), (-800.0, 20.0)]);
        assert!(bounded_run(&v, &outside, steps(50.0), levels()).is_none());
        // Running into an excluded structure (a vessel) is no layer.
        let mut blocked = vec![false; v.len()];
        for b in blocked.iter_mut().skip(steps(54.0)) {
            *b = true;
        }
        assert!(bounded_run(&v, &blocked, edge, levels()).is_none());
    }
}
