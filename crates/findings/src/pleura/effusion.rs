//! Pleural effusion (F14): fluid between the lung and the costal pleura.
//!
//! Method, per side, on the wall model of [`super::wall`]:
//! 1. The pleural space: along each ray, between the lung's outermost
//!    edge and the costal pleura; on that side of the midline; outside
//!    the lung mask; and dependent: behind all lung of its (x, z) column
//!    (free fluid lies behind the lung in a supine patient). Rays that
//!    meet no lung (the posterior recess under the lung, down to
//!    [`RECESS_MM`] below it, and the base of a large effusion) count only
//!    under fluid of the slice above: fluid hangs down into the recess,
//!    while the liver and spleen lie under lung, not under fluid.
//! 2. The fluid's own attenuation: the lowest clear peak (fluid is never
//!    denser than the muscle and compressed lung beside it) of the widely
//!    smoothed HU, among values in [`FLUID_HU`] (serous fluid 0-20 HU,
//!    Abramowitz et al., Chest 2009; haemothorax 35-70 HU), of the
//!    pleural space within [`FLUID_SEED_BAND_MM`] of the dependent
//!    pleura, on rays where the lung lies at least [`FLUID_SEED_MIN_MM`]
//!    inside the pleura (the normal lung touches the chest wall).
//! 3. Fluid: pleural space within [`FLUID_WINDOW_HU`] (or 2.5 sigma of the
//!    peak) of that level, so that chest-wall muscle, liver, heart and
//!    compressed lung, all denser than serous fluid, are left out.
//!    Connected pieces are kept when they lie against the dependent
//!    pleura over at least [`FLUID_MIN_CONTACT_MM2`], reach the lower
//!    half of the lung's height ([`FLUID_BASAL_SHARE`]: free fluid gathers
//!    at the base) and hold at least [`EFFUSION_MIN_ML`].
//! 4. The edge: grown by up to [`REFINE_STEPS`] voxels to half way
//!    between the fluid and the denser tissue around it on the lightly
//!    smoothed CT (the wide smoothing lifts fluid next to muscle); a
//!    voxel bordering the fluid then counts by the share of fluid its HU
//!    implies (partial volume).
//! 5. Fluid as dense as muscle (over [`DENSE_FLUID_HU`]) is reported only
//!    when at least [`DENSE_MIN_DEPTH_MM`] thick and lying mostly
//!    ([`DENSE_MIN_LATERAL_SHARE`]) lateral to the paravertebral gutter:
//!    a thin dense layer, or one beside the spine, is not told from
//!    intercostal or paraspinal muscle without contrast.
//!
//! Measurements: `volume` (mL), `mean_hu` (original HU of the fluid
//! eroded by a voxel), `max_depth` (largest anteroposterior thickness of
//! a column 25-75 % of the way from the midline to the lateral wall),
//! `ap_quartile` (Moy et al., Chest 2013: that thickness over the
//! hemithorax's anteroposterior depth on the same slice, in quarters).

use super::wall::{Hemithorax, RAYS, Scene};
use crate::constants::{
    DENSE_FLUID_HU, DENSE_MIN_DEPTH_MM, DENSE_MIN_LATERAL_SHARE, EFFUSION_MIN_ML,
    FLUID_BASAL_SHARE, FLUID_HU, FLUID_MIN_CONTACT_MM2, FLUID_PEAK_SHARE, FLUID_SEED_BAND_MM,
    FLUID_SEED_MIN_MM, FLUID_WINDOW_HU, PARAVERTEBRAL_SHARE, RECESS_MM, REFINE_BEYOND_MM,
    REFINE_STEPS,
};

/// One side's effusion, on the crop grid.
#[derive(Debug, Clone)]
pub struct Fluid {
    /// The fluid voxels (crop indices as a full crop bitmap).
    pub bits: Vec<bool>,
    /// Volume, mL (with the partial-volume share of its border).
    pub volume_ml: f64,
    /// Mean HU of its interior.
    pub mean_hu: f64,
    /// Largest anteroposterior thickness, mm.
    pub max_depth: f64,
    /// That thickness over the hemithorax depth at its level (largest).
    pub ap_ratio: f64,
    /// The fluid level used, HU.
    pub level_hu: f64,
}

impl Fluid {
    /// Moy et al. 2013 quartile 1-4.
    pub fn ap_quartile(&self) -> u32 {
        ((self.ap_ratio * 4.0).ceil() as u32).clamp(1, 4)
    }
}

/// The pleural space of one side: between the lung's outer edge and the
/// costal pleura along each ray, on the side's half. On slices without
/// that lung, only within [`RECESS_MM`] below its lowest slice (the
/// posterior costophrenic recess that fluid fills under the lung), and
/// only behind the lung (dependent) in each (x, z) column. Also
/// returns the distance (mm) from each such voxel to the pleura (negative
/// inside) and whether it may seed the fluid level: near the dependent
/// pleura, on a ray that faces neither the mediastinum nor the spine.
fn pleural_space(scene: &Scene, h: &Hemithorax) -> (Vec<bool>, Vec<f32>, Vec<bool>, Vec<bool>) {
    let g = &scene.g;
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    let mid_index = g.lps_to_index([scene.midline_x, g.origin[1], g.origin[2]])[0];
    // Slices holding this lung, and how far each slice lies below the
    // lowest of them (mm along the patient's axis).
    let has_lung: Vec<bool> = (0..nz)
        .map(|z| scene.lung[z * plane..(z + 1) * plane].contains(&h.code))
        .collect();
    let zpos = |z: usize| g.index_to_lps([0.0, 0.0, z as f64])[2];
    let lowest = (0..nz)
        .filter(|z| has_lung[*z])
        .map(zpos)
        .fold(f64::INFINITY, f64::min);
    let mut space = vec![false; g.len()];
    let mut depth = vec![f32::NAN; g.len()];
    let mut seed = vec![false; g.len()];
    let mut hanging = vec![false; g.len()];
    // Dependent: free fluid lies behind the lung in a supine patient, so
    // a voxel counts only when no lung of this side lies behind it in its
    // (x, z) column. Rank grows posteriorly.
    let rank = |y: usize| {
        if scene.posterior_y_sign > 0.0 {
            y as isize
        } else {
            (ny - 1 - y) as isize
        }
    };
    let mut back_lung = vec![-1isize; nx * nz];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                if scene.lung[x + nx * y + plane * z] == h.code {
                    let k = x + nx * z;
                    back_lung[k] = back_lung[k].max(rank(y));
                }
            }
        }
    }
    for z in 0..nz {
        let in_recess = !has_lung[z] && zpos(z) < lowest && lowest - zpos(z) <= RECESS_MM;
        if !has_lung[z] && !in_recess {
            continue;
        }
        for y in 0..ny {
            for x in 0..nx {
                if !h.on_side(x, mid_index) {
                    continue;
                }
                let i = x + nx * y + plane * z;
                if scene.lung[i] != 0 || !scene.body[i] {
                    continue;
                }
                let Some((r, w)) = h.pleura_at(x, y, z) else {
                    continue;
                };
                let edge = h.lung_edge_at(x, y, z);
                if r >= w || r < edge || rank(y) <= back_lung[x + nx * z] {
                    continue;
                }
                space[i] = true;
                hanging[i] = edge <= 0.0;
                depth[i] = (r - w) as f32;
                let dx = (x as f64 - h.centre[0]) * g.spacing[0];
                let dy = (y as f64 - h.centre[1]) * g.spacing[1];
                let back = dy * scene.posterior_y_sign;
                let medial = dx * h.medial_x;
                // Dependent, and more backward than medial.
                seed[i] = has_lung[z]
                    && edge > 0.0
                    && w - edge >= FLUID_SEED_MIN_MM
                    && back > 0.0
                    && back > medial;
            }
        }
    }
    (space, depth, seed, hanging)
}

/// Finds the effusion of one side, if any.
pub fn detect(scene: &Scene, h: &Hemithorax) -> Option<Fluid> {
    let g = &scene.g;
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    let voxel_ml = g.voxel_volume_mm3() / 1000.0;
    let (space, depth, posterior, hanging) = pleural_space(scene, h);
    let sm = scene.smooth_wide.as_slice();
    let sm1 = scene.smooth.as_slice();
    // 2. The fluid level: mode of the dependent band.
    let lo = FLUID_HU.0;
    let hi = FLUID_HU.1;
    let bins = ((hi - lo) / 2.0).ceil() as usize + 1;
    let mut hist = vec![0usize; bins];
    for i in 0..g.len() {
        if space[i]
            && posterior[i]
            && depth[i] > -(FLUID_SEED_BAND_MM as f32)
            && sm[i] >= lo
            && sm[i] <= hi
        {
            hist[((sm[i] - lo) / 2.0) as usize] += 1;
        }
    }
    let seeds: usize = hist.iter().sum();
    if (seeds as f64) * voxel_ml < EFFUSION_MIN_ML {
        return None;
    }
    let smoothed: Vec<f64> = (0..bins)
        .map(|k| {
            (k.saturating_sub(2)..=(k + 2).min(bins - 1))
                .map(|j| hist[j] as f64)
                .sum::<f64>()
        })
        .collect();
    // The fluid is the lowest clear peak: fluid is never denser than the
    // muscle and compressed lung that share the band with it (serous
    // fluid lies 20-50 HU under them, blood level with them).
    let top = smoothed.iter().copied().fold(0.0, f64::max);
    let kmax = (0..bins).find(|&k| {
        let left = if k > 0 { smoothed[k - 1] } else { 0.0 };
        let right = if k + 1 < bins { smoothed[k + 1] } else { 0.0 };
        smoothed[k] >= FLUID_PEAK_SHARE * top && smoothed[k] >= left && smoothed[k] >= right
    })?;
    let level = lo + 2.0 * kmax as f32 + 1.0;
    // Spread of the fluid about its level (half width at half maximum of
    // the histogram peak, as a Gaussian sigma; a valley ends the peak).
    let half = smoothed[kmax] / 2.0;
    let mut a = kmax;
    while a > 0 && smoothed[a] > half && smoothed[a - 1] <= smoothed[a] {
        a -= 1;
    }
    let mut b = kmax;
    while b + 1 < bins && smoothed[b] > half && smoothed[b + 1] <= smoothed[b] {
        b += 1;
    }
    let sigma = ((b - a) as f32 * 2.0 / 2.355).max(2.0);
    let w = (2.5 * sigma).max(FLUID_WINDOW_HU);
    let (wlo, whi) = (level - w, level + w);
    // 3. Fluid candidates and their connected pieces. Where a ray meets
    // no lung (the recess below the lung, the base of a large effusion)
    // a voxel is fluid only under fluid of the slice above: fluid hangs
    // down into the recess, while the liver and spleen lie under lung.
    let mut cand: Vec<bool> = (0..g.len())
        .map(|i| space[i] && sm[i] <= whi && sm1[i] >= wlo)
        .collect();
    let up: isize = if g.direction[2][2] >= 0.0 { 1 } else { -1 };
    let order: Vec<usize> = if up > 0 {
        (0..nz).rev().collect()
    } else {
        (0..nz).collect()
    };
    for &z in &order {
        let za = z as isize + up;
        for i in z * plane..(z + 1) * plane {
            if !cand[i] || !hanging[i] {
                continue;
            }
            cand[i] = za >= 0 && (za as usize) < nz && cand[(za as usize) * plane + i % plane];
        }
    }
    let labels = components6(&cand, g.dims);
    let n = labels.iter().copied().max().unwrap_or(0) as usize;
    let mut size = vec![0usize; n + 1];
    let mut contact = vec![0usize; n + 1];
    let mut basal = vec![false; n + 1];
    // Free fluid gathers at the base: a piece must reach the lower half
    // of the lung's height (the posterior costophrenic recess).
    let zpos = |z: usize| g.index_to_lps([0.0, 0.0, z as f64])[2];
    let lung_z: Vec<f64> = (0..nz)
        .filter(|z| scene.lung[z * plane..(z + 1) * plane].contains(&h.code))
        .map(zpos)
        .collect();
    let z_lo = lung_z.iter().copied().fold(f64::INFINITY, f64::min);
    let z_hi = lung_z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z_mid = z_lo + FLUID_BASAL_SHARE * (z_hi - z_lo);
    for i in 0..g.len() {
        let l = labels[i] as usize;
        if l == 0 {
            continue;
        }
        size[l] += 1;
        if posterior[i] && depth[i] > -3.0 {
            contact[l] += 1;
        }
        if zpos(i / plane) <= z_mid {
            basal[l] = true;
        }
    }
    let area_per_voxel = g.spacing[0].max(g.spacing[1]) * g.spacing[2];
    let keep: Vec<bool> = (0..=n)
        .map(|l| {
            l > 0
                && size[l] as f64 * voxel_ml >= EFFUSION_MIN_ML
                && contact[l] as f64 * area_per_voxel >= FLUID_MIN_CONTACT_MM2
                && basal[l]
        })
        .collect();
    let mut bits: Vec<bool> = labels.iter().map(|l| keep[*l as usize]).collect();
    if !bits.iter().any(|b| *b) {
        return None;
    }
    refine(scene, h, &mut bits, level, wlo, whi);
    let count = bits.iter().filter(|b| **b).count();
    // 4. Volume with the border's partial volume: a neighbour outside the
    // fluid whose value lies between the fluid level and the typical
    // surrounding value counts in proportion.
    let hu = scene.hu.as_slice();
    let mut border = 0.0f64;
    let mut interior_sum = 0.0f64;
    let mut interior_n = 0usize;
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let i = x + nx * y + plane * z;
                let nb = |f: &dyn Fn(usize) -> bool| {
                    (x > 0 && f(i - 1))
                        || (x + 1 < nx && f(i + 1))
                        || (y > 0 && f(i - nx))
                        || (y + 1 < ny && f(i + nx))
                };
                if bits[i] {
                    let all_in = x > 0
                        && y > 0
                        && x + 1 < nx
                        && y + 1 < ny
                        && bits[i - 1]
                        && bits[i + 1]
                        && bits[i - nx]
                        && bits[i + nx];
                    if all_in {
                        interior_sum += f64::from(hu[i]);
                        interior_n += 1;
                    }
                } else if nb(&|j| bits[j]) && scene.body[i] {
                    // Fraction of fluid between the fluid level and the
                    // tissue beyond: lung (~-850) or soft tissue (~+50).
                    let v = sm[i];
                    let f = if v < level {
                        (v - (-850.0)) / (level - (-850.0))
                    } else {
                        let other = level + 40.0;
                        (other - v) / (other - level)
                    };
                    border += f64::from(f.clamp(0.0, 1.0));
                }
            }
        }
    }
    let volume_ml = (count as f64 + border) * voxel_ml;
    let mean_hu = if interior_n > 0 {
        interior_sum / interior_n as f64
    } else {
        f64::from(level)
    };
    let (max_depth, ap_ratio) = depth_and_ratio(scene, h, &bits);
    // Fluid as dense as muscle is told from the chest wall only by the
    // room it takes and where it lies: a thin dense layer, or one lying
    // mostly in the paravertebral gutter (beside the erector spinae), is
    // not reported.
    if level > DENSE_FLUID_HU
        && (max_depth < DENSE_MIN_DEPTH_MM
            || lateral_share(scene, h, &bits) < DENSE_MIN_LATERAL_SHARE)
    {
        return None;
    }
    Some(Fluid {
        bits,
        volume_ml,
        mean_hu,
        max_depth,
        ap_ratio,
        level_hu: f64::from(level),
    })
}

/// Grows the fluid to its edge: the wide smoothing that tells fluid from
/// tissue in noise also lifts fluid next to the chest wall, so the fluid
/// is grown (up to [`REFINE_STEPS`] voxels, to just outside the estimated
/// pleura) into voxels whose lightly smoothed HU lies below half way
/// between the fluid and the denser tissue around it (half maximum, the
/// partial-volume edge).
fn refine(scene: &Scene, h: &Hemithorax, bits: &mut [bool], level: f32, wlo: f32, whi: f32) {
    let g = &scene.g;
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    let sm1 = scene.smooth.as_slice();
    let mid_index = g.lps_to_index([scene.midline_x, g.origin[1], g.origin[2]])[0];
    // The denser tissue bordering the fluid.
    let mut dense: Vec<f32> = Vec::new();
    for i in 0..bits.len() {
        if bits[i] || !scene.body[i] || scene.lung[i] != 0 || sm1[i] <= whi || sm1[i] > 150.0 {
            continue;
        }
        let x = i % nx;
        let y = (i / nx) % ny;
        let touches = (x > 0 && bits[i - 1])
            || (x + 1 < nx && bits[i + 1])
            || (y > 0 && bits[i - nx])
            || (y + 1 < ny && bits[i + nx]);
        if touches {
            dense.push(sm1[i]);
        }
    }
    if dense.is_empty() {
        return;
    }
    let m = dense.len() / 2;
    let tissue = *dense.select_nth_unstable_by(m, |a, b| a.total_cmp(b)).1;
    let thr = (0.5 * (level + tissue)).min(whi.max(level + 0.5 * (tissue - level)));
    for _ in 0..REFINE_STEPS {
        let mut add = Vec::new();
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let i = x + nx * y + plane * z;
                    if bits[i]
                        || scene.lung[i] != 0
                        || !scene.body[i]
                        || sm1[i] > thr
                        || sm1[i] < wlo
                        || !h.on_side(x, mid_index)
                    {
                        continue;
                    }
                    let touches = (x > 0 && bits[i - 1])
                        || (x + 1 < nx && bits[i + 1])
                        || (y > 0 && bits[i - nx])
                        || (y + 1 < ny && bits[i + nx]);
                    if !touches {
                        continue;
                    }
                    if let Some((r, w)) = h.pleura_at(x, y, z)
                        && r < w + h.gap_at(x, y) + REFINE_BEYOND_MM
                    {
                        add.push(i);
                    }
                }
            }
        }
        if add.is_empty() {
            break;
        }
        for i in add {
            bits[i] = true;
        }
    }
}

/// Share of the fluid lying more than [`PARAVERTEBRAL_SHARE`] of the way
/// from the midline to the side's lateral lung edge on its slice.
fn lateral_share(scene: &Scene, h: &Hemithorax, fluid: &[bool]) -> f64 {
    let g = &scene.g;
    let [nx, ny, nz] = g.dims;
    let mid = g.lps_to_index([scene.midline_x, g.origin[1], g.origin[2]])[0];
    let (mut all, mut out) = (0usize, 0usize);
    for z in 0..nz {
        let mut lateral = 0.0f64;
        for y in 0..ny {
            for x in 0..nx {
                if scene.lung[scene.at(x, y, z)] == h.code {
                    lateral = lateral.max((x as f64 - mid).abs());
                }
            }
        }
        for y in 0..ny {
            for x in 0..nx {
                if fluid[scene.at(x, y, z)] {
                    all += 1;
                    lateral = lateral.max((x as f64 - mid).abs());
                    if (x as f64 - mid).abs() > PARAVERTEBRAL_SHARE * lateral {
                        out += 1;
                    }
                }
            }
        }
    }
    if all == 0 {
        0.0
    } else {
        out as f64 / all as f64
    }
}

/// Largest anteroposterior thickness (longest unbroken run) of the fluid
/// in a column of the
/// middle of the hemithorax (columns 25-75 % of the way from the midline
/// to the lateral wall, about the mid-clavicular line, where the
/// thickness is the distance between the pleural layers), and its
/// largest ratio to the hemithorax's anteroposterior depth on the same
/// slice (Moy et al., Chest 2013). The hemithorax's extent on a slice is
/// that of its lung, its fluid and its costal pleura.
fn depth_and_ratio(scene: &Scene, h: &Hemithorax, fluid: &[bool]) -> (f64, f64) {
    let g = &scene.g;
    let [nx, ny, nz] = g.dims;
    let sy = g.spacing[1];
    let mid = g.lps_to_index([scene.midline_x, g.origin[1], g.origin[2]])[0];
    let mut best = 0.0f64;
    let mut ratio = 0.0f64;
    for z in 0..nz {
        let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut lateral = 0.0f64;
        let mut any_lung = false;
        let mut any_fluid = false;
        for y in 0..ny {
            for x in 0..nx {
                let i = scene.at(x, y, z);
                let l = scene.lung[i] == h.code;
                if l || fluid[i] {
                    any_lung |= l;
                    any_fluid |= fluid[i];
                    y0 = y0.min(y as f64);
                    y1 = y1.max(y as f64);
                    lateral = lateral.max((x as f64 - mid).abs());
                }
            }
        }
        if !any_lung || !any_fluid {
            continue;
        }
        for j in 0..RAYS {
            let w = h.wall[z * RAYS + j];
            if !w.is_finite() {
                continue;
            }
            let th = j as f64 / RAYS as f64 * std::f64::consts::TAU;
            let r = f64::from(w) - h.gap;
            let px = h.centre[0] + r * th.cos() / g.spacing[0];
            let py = h.centre[1] + r * th.sin() / g.spacing[1];
            if (px - mid) * h.medial_x > 0.0 {
                continue;
            }
            y0 = y0.min(py);
            y1 = y1.max(py);
            lateral = lateral.max((px - mid).abs());
        }
        let depth_mm = (y1 - y0 + 1.0) * sy;
        for x in 0..nx {
            let f = (x as f64 - mid).abs() / lateral.max(1.0);
            if (x as f64 - mid) * h.medial_x > 0.0 || !(0.25..=0.75).contains(&f) {
                continue;
            }
            // The longest unbroken run of fluid along the column (fluid
            // in front of the lung, along a fissure or the mediastinum,
            // is not part of the dependent layer's depth).
            let (mut run, mut longest) = (0usize, 0usize);
            for y in 0..ny {
                if fluid[scene.at(x, y, z)] {
                    run += 1;
                    longest = longest.max(run);
                } else {
                    run = 0;
                }
            }
            if longest == 0 {
                continue;
            }
            let t = longest as f64 * sy;
            best = best.max(t);
            if depth_mm > 0.0 {
                ratio = ratio.max((t / depth_mm).min(1.0));
            }
        }
    }
    (best, ratio)
}

/// 6-connected components of a crop bitmap: labels from 1, 0 background.
pub fn components6(bits: &[bool], dims: [usize; 3]) -> Vec<u32> {
    let [nx, ny, nz] = dims;
    let plane = nx * ny;
    let mut labels = vec![0u32; bits.len()];
    let mut next = 0u32;
    let mut stack = Vec::new();
    for s in 0..bits.len() {
        if !bits[s] || labels[s] != 0 {
            continue;
        }
        next += 1;
        labels[s] = next;
        stack.push(s);
        while let Some(i) = stack.pop() {
            let (x, y, z) = (i % nx, (i / nx) % ny, i / plane);
            let mut visit = |j: usize| {
                if bits[j] && labels[j] == 0 {
                    labels[j] = next;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < nx {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - nx);
            }
            if y + 1 < ny {
                visit(i + nx);
            }
            if z > 0 {
                visit(i - plane);
            }
            if z + 1 < nz {
                visit(i + plane);
            }
        }
    }
    labels
}
