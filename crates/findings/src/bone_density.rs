//! `airad.bone_density`: opportunistic screening for low bone density
//! (FINDINGS.md F30) from the trabecular attenuation of the vertebral
//! bodies T1-L1.
//!
//! Method (CPU only), after Pickhardt et al. (Ann Intern Med 2013) and
//! the normative study of Jang et al. (Radiology 2019), who read the mean
//! HU of an oval ROI in the trabecular centre of a vertebral body on a
//! mid-body axial slice, clear of the cortex and of the basivertebral
//! vein at the posterior cortex:
//! 1. Per level, the body centre and the superior and inferior endplate
//!    centres come from `landmarks:vertebrae` (the `airad.spine` unit);
//!    levels without both endplates in view, or shorter than
//!    [`BONE_MIN_HEIGHT_MM`], are not measured. The ROI covers the
//!    central [`BONE_ROI_HEIGHT_SHARE`] of the body height; its left-right
//!    position is the column's midline from the neighbouring levels.
//! 2. On each of those slices the body is the level's vertebra mask
//!    (with bone of at least [`BONE_DENSE_HU`] it left out) with its holes
//!    filled, except the canal (its mask, and holes darker than
//!    [`BONE_CANAL_MAX_HU`]): a porotic centre missing from the mask is
//!    enclosed by its cortex and filled. Its deepest point near the spine
//!    unit's centre is the body's centre; rays from it to the front,
//!    back and sides give depth and width (slices where a ray runs into
//!    the arch or a rib head are dropped).
//! 3. The ROI is an ellipse on each slice: semi-axes
//!    [`BONE_ROI_WIDTH_SHARE`] of the width and [`BONE_ROI_DEPTH_SHARE`]
//!    of the depth, centred at [`BONE_ROI_CENTRE_SHARE`] of the depth
//!    from the posterior cortex, so it keeps off the cortex and the
//!    basivertebral vein at the posterior wall. Slices much brighter than
//!    the darkest ([`BONE_SLICE_SPREAD_HU`]: endplate) are dropped; the
//!    level's value is the median HU of the ROI voxels (robust to
//!    trabecular texture, noise and a bone island).
//! 4. A level differing from its neighbours by more than
//!    [`BONE_NEIGHBOUR_MAX_HU`] (fracture, focal lesion, mis-placed ROI)
//!    is not used, as opportunistic screening skips such levels.
//!
//! Grading: the L1 cut-offs (<= 160 HU sensitive, <= 135 balanced,
//! <= 110 specific for osteoporosis) are validated at L1 and 120 kV only
//! (Pickhardt 2013; Jang 2019). So:
//! - L1 measured and <= 160 HU: one F30 finding at L1 with the category;
//!   at another tube voltage without a category ("limited", and F30 in
//!   `not_assessed`); with the voltage unknown with the category marked
//!   limited.
//! - Thoracic levels have higher normal values (trabecular HU falls from
//!   T1 to L1; Jang 2019 report L1 only), so the L1 cut-offs are never
//!   applied there: their values are reported per level without a
//!   category. Without L1 in view, F30 is `not_assessed` with that
//!   reason and the thoracic values go to `exam_measurements`.
//! - Normal L1: every level's `trabecular_hu` goes to `exam_measurements`.
//!
//! The finding's mask is the set of ROIs of all measured levels.

use std::collections::BTreeMap;

use aisu::{
    Aisu, AisuError, Category, Context, ExamMeasurement, FindingDraft, Landmarks, Manifest, Mask,
    Measurement, Site, Urgency,
};
use serde_json::json;
use volume::{Geometry, Volume};

use crate::constants::{
    BONE_CANAL_MAX_HU, BONE_DENSE_HU, BONE_HALF_EXTENT_MM, BONE_KV_TOLERANCE, BONE_L1_BALANCED_HU,
    BONE_L1_SENSITIVE_HU, BONE_L1_SPECIFIC_HU, BONE_MAX_EXTENT_RATIO, BONE_MAX_RAY_MM,
    BONE_MAX_SLICE_MM, BONE_MIDLINE_LEVELS, BONE_MIN_HEIGHT_MM, BONE_MIN_ROI_VOXELS,
    BONE_NEIGHBOUR_MAX_HU, BONE_REFERENCE_KV, BONE_ROI_CENTRE_SHARE, BONE_ROI_DEPTH_SHARE,
    BONE_ROI_HEIGHT_SHARE, BONE_ROI_WIDTH_SHARE, BONE_SEARCH_MM, BONE_SLICE_SPREAD_HU,
    BONE_WINDOW_MM,
};
use crate::liver::median;

/// Codes this unit emits.
pub const CODES: [&str; 1] = ["F30"];

/// Levels measured, cranial to caudal.
pub const LEVELS: [&str; 13] = [
    "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1",
];

/// The bone density unit.
pub struct BoneDensity {
    manifest: Manifest,
}

impl Default for BoneDensity {
    fn default() -> Self {
        let mut optional: Vec<String> = LEVELS
            .iter()
            .map(|l| format!("mask:vertebra_{l}"))
            .collect();
        optional.push("landmarks:vertebrae".into());
        optional.push("mask:spinal_canal".into());
        let refs: Vec<&str> = optional.iter().map(String::as_str).collect();
        BoneDensity {
            manifest: Manifest::new(
                "airad.bone_density",
                env!("CARGO_PKG_VERSION"),
                "Opportunistic bone density: trabecular HU of the vertebral bodies T1-L1",
            )
            .optional(&refs)
            .codes(&CODES)
            .resources(1, 400, 30.0),
        }
    }
}

/// One level's measurement.
#[derive(Debug, Clone)]
pub struct LevelHu {
    /// Level name.
    pub level: &'static str,
    /// Median HU in the ROI.
    pub hu: f64,
    /// ROI voxels (CT grid indices).
    pub voxels: Vec<[usize; 3]>,
    /// Slice index of the body centre.
    pub centre_slice: usize,
    /// Body half extents from its centre on a mid slice, mm: +x, -x,
    /// anterior, posterior.
    pub extents_mm: [f64; 4],
    /// ROI centre, LPS mm.
    pub roi_centre_lps: [f64; 3],
}

impl Aisu for BoneDensity {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let exam = ctx.exam();
        let Ok(landmarks) = ctx.landmarks("landmarks:vertebrae") else {
            ctx.not_assessed("F30", "vertebral levels not found: no body centres")?;
            return Ok(());
        };
        let canal = ctx.mask_opt("mask:spinal_canal")?;
        let mut levels = Vec::new();
        for level in LEVELS {
            let Some(mask) = ctx.mask_opt(&format!("mask:vertebra_{level}"))? else {
                continue;
            };
            if mask.is_empty() {
                continue;
            }
            if let Some(m) = measure_level(ct, &mask, canal.as_deref(), &landmarks, level) {
                levels.push(m);
            }
        }
        let levels = consistent(levels);
        if levels.is_empty() {
            ctx.not_assessed(
                "F30",
                "no vertebral body T1-L1 fully in view with both endplates",
            )?;
            return Ok(());
        }
        let site = |level: &str| Site {
            vertebra: Some(level.to_string()),
            ..Default::default()
        };
        let round = |x: f64| x.round();
        let kv = exam.kvp.filter(|k| k.is_finite() && *k > 0.0);
        let kv_ok = kv.map(|k| (k - BONE_REFERENCE_KV).abs() <= BONE_KV_TOLERANCE);
        let l1 = levels.iter().find(|l| l.level == "L1");
        if kv_ok == Some(false) {
            ctx.not_assessed(
                "F30",
                &format!(
                    "{} kV: bone density cut-offs hold at {BONE_REFERENCE_KV} kV",
                    kv.unwrap_or_default()
                ),
            )?;
        }
        let low = l1.filter(|l| l.hu <= BONE_L1_SENSITIVE_HU);
        let Some(l1) = low else {
            if l1.is_none() {
                ctx.not_assessed(
                    "F30",
                    "L1 not in view: the L1 cut-offs do not apply to thoracic levels (higher \
                     normal values); thoracic trabecular HU reported without a category",
                )?;
            }
            for l in &levels {
                ctx.measure(ExamMeasurement {
                    code: "F30".into(),
                    name: "trabecular_hu".into(),
                    value: round(l.hu),
                    unit: "HU".into(),
                    site: Some(site(l.level)),
                })?;
            }
            return Ok(());
        };
        // Low density at L1.
        let grid = *ct.geometry();
        let all: Vec<[usize; 3]> = levels.iter().flat_map(|l| l.voxels.clone()).collect();
        let mask = mask_of(&grid, &all)?;
        let mut d = FindingDraft::new("F30", mask);
        d.site = Site {
            side: Some("midline".into()),
            ..site("L1")
        };
        let mut m = Measurement::new("trabecular_hu", round(l1.hu), "HU");
        m.method = Some("median HU of a mid-body oval ROI in the anterior trabecular body".into());
        d.measurements = vec![m];
        let value = category(l1.hu);
        d.morphology = vec![
            if l1.hu <= BONE_L1_SPECIFIC_HU {
                "osteoporosis"
            } else {
                "osteopenia"
            }
            .into(),
        ];
        match kv_ok {
            Some(true) | None => {
                d.category = Some(Category {
                    system: "L1 trabecular attenuation (Pickhardt 2013)".into(),
                    value: value.into(),
                    context: exam.context,
                });
                if kv.is_none() {
                    d.extra.insert(
                        "limited".into(),
                        json!(format!(
                            "tube voltage unknown: the cut-offs hold at {BONE_REFERENCE_KV} kV"
                        )),
                    );
                }
            }
            Some(false) => {
                d.assessable = false;
                d.extra.insert(
                    "limited".into(),
                    json!(format!(
                        "{} kV: bone density cut-offs hold at {BONE_REFERENCE_KV} kV",
                        kv.unwrap_or_default()
                    )),
                );
            }
        }
        d.extra.insert(
            "balanced_cutoff".into(),
            json!(format!(
                "L1 {} the balanced {BONE_L1_BALANCED_HU} HU cut-off",
                if l1.hu <= BONE_L1_BALANCED_HU {
                    "at or below"
                } else {
                    "above"
                }
            )),
        );
        let by_level: serde_json::Map<String, serde_json::Value> = levels
            .iter()
            .map(|l| (l.level.to_string(), json!(round(l.hu))))
            .collect();
        d.extra.insert(
            "trabecular_hu_by_level".into(),
            serde_json::Value::Object(by_level),
        );
        let slice_mm = crate::slice_thickness_mm(exam, ct);
        if slice_mm > BONE_MAX_SLICE_MM + 1e-6 {
            d.extra.insert(
                "limited_slices".into(),
                json!(format!(
                    "slice thickness {slice_mm:.1} mm > {BONE_MAX_SLICE_MM} mm: partial volume \
                     with the endplates may raise the value"
                )),
            );
        }
        d.urgency = Urgency::Routine;
        d.key_slice = Some(l1.centre_slice);
        let margin = (BONE_L1_SENSITIVE_HU - l1.hu).max(0.0);
        d.confidence = (0.6 + 0.006 * margin).clamp(0.5, 0.95);
        ctx.emit(d)
    }
}

/// All level names of the spine unit, C7-L2, for the midline prior.
const ALL_LEVELS: [&str; 15] = [
    "C7", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2",
];

/// The median LPS x of the body centres within [`BONE_MIDLINE_LEVELS`]
/// levels of `level` (itself included).
pub(crate) fn local_midline(landmarks: &Landmarks, level: &str) -> Option<f64> {
    let i = ALL_LEVELS.iter().position(|n| *n == level)? as i64;
    let mut xs: Vec<f64> = ALL_LEVELS
        .iter()
        .enumerate()
        .filter(|(k, _)| (*k as i64 - i).abs() <= BONE_MIDLINE_LEVELS)
        .filter_map(|(_, n)| landmarks.get(*n).map(|p| p[0]))
        .collect();
    (!xs.is_empty()).then(|| median(&mut xs))
}

/// The levels whose value agrees with their neighbours': the level
/// farthest from the median of the other measured levels within two
/// levels is dropped while that distance exceeds
/// [`BONE_NEIGHBOUR_MAX_HU`]; a level without measured neighbours is
/// kept.
pub fn consistent(mut levels: Vec<LevelHu>) -> Vec<LevelHu> {
    let index = |l: &str| LEVELS.iter().position(|n| *n == l).unwrap_or(0) as i64;
    loop {
        let worst = levels
            .iter()
            .enumerate()
            .filter_map(|(k, l)| {
                let i = index(l.level);
                let mut near: Vec<f64> = levels
                    .iter()
                    .filter(|o| o.level != l.level && (index(o.level) - i).abs() <= 2)
                    .map(|o| o.hu)
                    .collect();
                (!near.is_empty()).then(|| (k, (l.hu - median(&mut near)).abs()))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match worst {
            Some((k, d)) if d > BONE_NEIGHBOUR_MAX_HU => {
                levels.remove(k);
            }
            _ => return levels,
        }
    }
}

/// The L1 category (120 kV): Pickhardt 2013.
pub fn category(l1_hu: f64) -> &'static str {
    if l1_hu <= BONE_L1_SPECIFIC_HU {
        "osteoporosis (<= 110 HU)"
    } else if l1_hu <= BONE_L1_SENSITIVE_HU {
        "low bone density (<= 160 HU)"
    } else {
        "normal"
    }
}

/// A mask from CT grid voxel indices.
pub(crate) fn mask_of(grid: &Geometry, voxels: &[[usize; 3]]) -> Result<Mask, AisuError> {
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for v in voxels {
        for a in 0..3 {
            lo[a] = lo[a].min(v[a]);
            hi[a] = hi[a].max(v[a]);
        }
    }
    if voxels.is_empty() {
        return Ok(Mask::empty(*grid));
    }
    let dims = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
    let mut bits = vec![false; dims[0] * dims[1] * dims[2]];
    for v in voxels {
        bits[(v[0] - lo[0]) + dims[0] * ((v[1] - lo[1]) + dims[1] * (v[2] - lo[2]))] = true;
    }
    Mask::from_crop(*grid, lo, dims, bits).map_err(AisuError::Failed)
}

/// Distance (mm) from `start` (window index) along axis `axis` (0 x, 1 y)
/// in direction `sign` to the last voxel of `body` (a window slice of
/// `wx` columns); `None` when it leaves the window first.
fn ray(body: &[bool], wx: usize, start: [usize; 2], axis: usize, sign: i64, s: f64) -> Option<f64> {
    let wy = body.len() / wx;
    let mut p = [start[0] as i64, start[1] as i64];
    let mut n = 0usize;
    loop {
        let mut q = p;
        q[axis] += sign;
        if q[0] < 0 || q[1] < 0 || q[0] >= wx as i64 || q[1] >= wy as i64 {
            return None;
        }
        if !body[q[0] as usize + wx * q[1] as usize] {
            return Some((n as f64 + 0.5) * s);
        }
        p = q;
        n += 1;
        if n as f64 * s > BONE_MAX_RAY_MM {
            return None;
        }
    }
}

/// The trabecular HU of one level, `None` when it cannot be measured.
///
/// `canal` is the spinal canal mask when known (removed from the filled
/// vertebra so that the arch's ring does not count as body).
pub fn measure_level(
    ct: &Volume<i16>,
    mask: &Mask,
    canal: Option<&Mask>,
    landmarks: &Landmarks,
    level: &'static str,
) -> Option<LevelHu> {
    let g = ct.geometry();
    let mut centre = *landmarks.get(level)?;
    // The spine unit's centre can stray sideways when a porotic body
    // is faint: the column's midline from the neighbouring levels holds.
    if let Some(x) = local_midline(landmarks, level) {
        centre[0] = x;
    }
    let sup = *landmarks.get(&format!("{level}_superior"))?;
    let inf = *landmarks.get(&format!("{level}_inferior"))?;
    let height = (sup[2] - inf[2]).abs();
    if height < BONE_MIN_HEIGHT_MM {
        return None;
    }
    let s = g.spacing;
    let dims = g.dims;
    let [nx, ny, nz] = dims;
    let c = g.lps_to_index(centre);
    // Slices: the central share of the height between the endplates.
    let mid = 0.5 * (sup[2] + inf[2]);
    let (z_lo, z_hi) = (
        mid - 0.5 * BONE_ROI_HEIGHT_SHARE * height,
        mid + 0.5 * BONE_ROI_HEIGHT_SHARE * height,
    );
    let mut slices: Vec<usize> = (0..nz)
        .filter(|&k| {
            let z = g.index_to_lps([c[0], c[1], k as f64])[2];
            z >= z_lo && z <= z_hi
        })
        .collect();
    if slices.is_empty() {
        let k = g.lps_to_index([c[0], c[1], mid])[2].round();
        if k < 0.0 || k >= nz as f64 {
            return None;
        }
        slices.push(k as usize);
    }
    // A window around the landmark, in-plane.
    let half: [usize; 2] = std::array::from_fn(|a| (BONE_WINDOW_MM / s[a]).ceil() as usize);
    let x0 = (c[0].round() as i64 - half[0] as i64).max(0) as usize;
    let y0 = (c[1].round() as i64 - half[1] as i64).max(0) as usize;
    let x1 = ((c[0].round() as i64 + half[0] as i64).max(0) as usize).min(nx - 1);
    let y1 = ((c[1].round() as i64 + half[1] as i64).max(0) as usize).min(ny - 1);
    if x1 <= x0 + 4 || y1 <= y0 + 4 {
        return None;
    }
    let (wx, wy) = (x1 - x0 + 1, y1 - y0 + 1);
    // Which index-y direction is anterior (LPS y decreasing)?
    let dy_lps = g.index_to_lps([0.0, 1.0, 0.0])[1] - g.index_to_lps([0.0, 0.0, 0.0])[1];
    let anterior: i64 = if dy_lps > 0.0 { -1 } else { 1 };
    let data = ct.as_slice();
    let mut per_slice: Vec<(f64, Vec<f64>, Vec<[usize; 3]>)> = Vec::new();
    let mut extents = Vec::new();
    let mut roi_centre = [0.0f64; 3];
    let mut centre_slice = slices[slices.len() / 2];
    let mut best_depth = 0.0f32;
    for &k in &slices {
        // The body on this slice: vertebra mask with holes filled, except
        // the canal (its mask, and any hole as dark as canal contents).
        // Bone: the level's mask, and dense bone the mask may have left
        // out (the spine unit's zone can miss a faint body).
        let mut bone = vec![false; wx * wy];
        for y in 0..wy {
            for x in 0..wx {
                let (gx, gy) = (x0 + x, y0 + y);
                bone[x + wx * y] = mask.contains(gx, gy, k)
                    || f64::from(data[gx + nx * (gy + ny * k)]) >= BONE_DENSE_HU;
            }
        }
        let mut body = bone.clone();
        if volume::fill_holes_slicewise_in_place(&mut body, [wx, wy, 1]).is_err() {
            continue;
        }
        let plane = Geometry::new([wx, wy, 1], [s[0], s[1], s[2]], [0.0; 3]);
        let holes: Vec<bool> = body.iter().zip(&bone).map(|(f, b)| *f && !*b).collect();
        let Ok(holes) = anatomy::regions::from_vec(holes, plane) else {
            continue;
        };
        if let Ok(comps) = volume::label_components(&holes, volume::Connectivity::Six) {
            let n = comps.len();
            let mut sum = vec![0.0f64; n + 1];
            let mut count = vec![0usize; n + 1];
            let mut in_canal = vec![false; n + 1];
            let lab = comps.labels.as_slice();
            for y in 0..wy {
                for x in 0..wx {
                    let l = lab[x + wx * y] as usize;
                    if l == 0 {
                        continue;
                    }
                    let (gx, gy) = (x0 + x, y0 + y);
                    sum[l] += f64::from(data[gx + nx * (gy + ny * k)]);
                    count[l] += 1;
                    if canal.is_some_and(|m| m.contains(gx, gy, k)) {
                        in_canal[l] = true;
                    }
                }
            }
            for (i, b) in body.iter_mut().enumerate() {
                let l = lab[i] as usize;
                if l > 0 && (in_canal[l] || sum[l] / (count[l] as f64) < BONE_CANAL_MAX_HU) {
                    *b = false;
                }
            }
        }
        if let Some(cm) = canal {
            for y in 0..wy {
                for x in 0..wx {
                    if cm.contains(x0 + x, y0 + y, k) {
                        body[x + wx * y] = false;
                    }
                }
            }
        }
        let Ok(slab) = anatomy::regions::from_vec(body.clone(), plane) else {
            continue;
        };
        let depth = volume::distance_to_background(&slab);
        // The deepest point near the landmark is the body's centre.
        let (cx0, cy0) = (c[0] - x0 as f64, c[1] - y0 as f64);
        let mut deepest: Option<(usize, usize, f32)> = None;
        for y in 0..wy {
            for x in 0..wx {
                let dx = (x as f64 - cx0) * s[0];
                let dy = (y as f64 - cy0) * s[1];
                if dx.abs() > BONE_SEARCH_MM[0] || dy.abs() > BONE_SEARCH_MM[1] {
                    continue;
                }
                let d = depth.as_slice()[x + wx * y];
                if d.is_finite() && deepest.is_none_or(|b| d > b.2) {
                    deepest = Some((x, y, d));
                }
            }
        }
        let Some((px, py, d)) = deepest else { continue };
        if f64::from(d) < BONE_HALF_EXTENT_MM[0] {
            continue;
        }
        let e = [
            ray(&body, wx, [px, py], 0, 1, s[0]),
            ray(&body, wx, [px, py], 0, -1, s[0]),
            ray(&body, wx, [px, py], 1, anterior, s[1]),
            ray(&body, wx, [px, py], 1, -anterior, s[1]),
        ];
        let ok = |e: Option<f64>| {
            e.is_some_and(|v| (BONE_HALF_EXTENT_MM[0]..=BONE_HALF_EXTENT_MM[1]).contains(&v))
        };
        let [Some(right), Some(left), Some(ant), Some(post)] = e else {
            continue;
        };
        if !(ok(e[2]) && ok(e[3]) && (ok(e[0]) || ok(e[1]))) {
            continue;
        }
        // A body is compact: a ray far longer than the inscribed radius
        // ran into a neighbour (rib head, arch) and the slice is not used.
        if ant.max(post) > BONE_MAX_EXTENT_RATIO * f64::from(d) {
            continue;
        }
        // A lateral ray that runs on into a rib head takes the other's.
        let (right, left) = match (ok(e[0]), ok(e[1])) {
            (true, false) => (right, right),
            (false, true) => (left, left),
            _ => (right, left),
        };
        let width = right + left;
        let depth_mm = ant + post;
        // ROI centre: mid-width, at the centre share of the depth from
        // the posterior cortex (window index units).
        let rx = px as f64 + 0.5 * (right - left) / s[0];
        let off_ap = -post + BONE_ROI_CENTRE_SHARE * depth_mm;
        let ry = py as f64 + anterior as f64 * off_ap / s[1];
        let (ax, ay) = (
            BONE_ROI_WIDTH_SHARE * width,
            BONE_ROI_DEPTH_SHARE * depth_mm,
        );
        let (hx, hy) = ((ax / s[0]).ceil() as i64, (ay / s[1]).ceil() as i64);
        let mut slice_values = Vec::new();
        let mut slice_voxels = Vec::new();
        for j in (ry.round() as i64 - hy)..=(ry.round() as i64 + hy) {
            for i in (rx.round() as i64 - hx)..=(rx.round() as i64 + hx) {
                if i < 0 || j < 0 || i >= wx as i64 || j >= wy as i64 {
                    continue;
                }
                let u = (i as f64 - rx) * s[0] / ax;
                let v = (j as f64 - ry) * s[1] / ay;
                if u * u + v * v > 1.0 || !body[i as usize + wx * j as usize] {
                    continue;
                }
                let (gx, gy) = (x0 + i as usize, y0 + j as usize);
                slice_values.push(f64::from(data[gx + nx * (gy + ny * k)]));
                slice_voxels.push([gx, gy, k]);
            }
        }
        if slice_values.is_empty() {
            continue;
        }
        let m = median(&mut slice_values.clone());
        per_slice.push((m, slice_values, slice_voxels));
        extents.push([right, left, ant, post]);
        if d > best_depth {
            best_depth = d;
            centre_slice = k;
            roi_centre = g.index_to_lps([x0 as f64 + rx, y0 as f64 + ry, k as f64]);
        }
    }
    // Slices much brighter than the darkest are endplate (sclerosis,
    // partial volume with the cortex): dropped.
    let darkest = per_slice.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let mut values = Vec::new();
    let mut voxels = Vec::new();
    for (m, v, x) in per_slice {
        if m <= darkest + BONE_SLICE_SPREAD_HU {
            values.extend(v);
            voxels.extend(x);
        }
    }
    if values.len() < BONE_MIN_ROI_VOXELS || extents.is_empty() {
        return None;
    }
    let ext = extents[extents.len() / 2];
    Some(LevelHu {
        level,
        hu: median(&mut values),
        voxels,
        centre_slice,
        extents_mm: ext,
        roi_centre_lps: roi_centre,
    })
}

/// Per-level values as a map (for tests and reports).
pub fn by_level(levels: &[LevelHu]) -> BTreeMap<String, f64> {
    levels.iter().map(|l| (l.level.to_string(), l.hu)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l1_categories() {
        assert_eq!(category(100.0), "osteoporosis (<= 110 HU)");
        assert_eq!(category(110.0), "osteoporosis (<= 110 HU)");
        assert_eq!(category(150.0), "low bone density (<= 160 HU)");
        assert_eq!(category(161.0), "normal");
    }

    /// A box "vertebra": cortex ring in the mask around a porotic centre
    /// that is not; the ROI still reads the centre.
    #[test]
    fn reads_a_porotic_centre_inside_its_cortex() {
        let g = Geometry::new([80, 80, 20], [0.8, 0.8, 2.0], [0.0; 3]);
        let mut ct = Volume::filled(g, 20i16);
        let mut bone = Volume::filled(g, false);
        let (c, r) = (40.0f64, 20.0f64); // 16 mm radius body
        for z in 2..18 {
            for y in 0..80 {
                for x in 0..80 {
                    let d = ((x as f64 - c).powi(2) + (y as f64 - c).powi(2)).sqrt();
                    if d <= r {
                        let i = x + 80 * (y + 80 * z);
                        let cortex = d > r - 2.0;
                        ct.as_slice_mut()[i] = if cortex { 900 } else { 80 };
                        bone.as_slice_mut()[i] = cortex;
                    }
                }
            }
        }
        let mask = Mask::from_volume(&bone);
        let mut lm = Landmarks::new();
        let p = |z: f64| g.index_to_lps([c, c, z]);
        lm.insert("L1".into(), p(10.0));
        lm.insert("L1_superior".into(), p(17.0));
        lm.insert("L1_inferior".into(), p(3.0));
        let m = measure_level(&ct, &mask, None, &lm, "L1").unwrap();
        assert_eq!(m.hu, 80.0);
        assert!(m.voxels.len() > 50);
    }
}
