//! Fracture lines on a straightened rib ([`super::straight`]): stations
//! where the shaft's section, on the best-fitting of a few tilted
//! planes, is a valley along the rib (darker on average than the same
//! bone pixels on both sides within a few mm) by many of the rib's own
//! robust deviations; read only where the shaft on both sides is whole
//! and centred and no other bone crosses; each line's step between the
//! fragments and the bone area round it (callus).

use crate::constants::{
    RIBFX_AREA_MEDIAN_HALF_MM, RIBFX_AREA_RANGE, RIBFX_BASE_HALF_MM, RIBFX_BONE_HU,
    RIBFX_CALLUS_RATIO, RIBFX_CENTRED_MM, RIBFX_END_MARGIN_MM, RIBFX_FOREIGN_MAX_MM2,
    RIBFX_MIN_APART_MM, RIBFX_MIN_BONE_MM2, RIBFX_MIN_LINE_SD, RIBFX_OWN_SPREAD_MM,
    RIBFX_OWN_WIDEN_PX, RIBFX_SHAFT_HALF_THICK_MM, RIBFX_SIDE_FAR_MM, RIBFX_SIDE_NEAR_MM,
    RIBFX_STEP_FIT_MM, RIBFX_STEP_MM, RIBFX_TILTS, RIBFX_VALLEY_SIDES_MM,
};
use crate::rib_fractures::straight::Straight;

/// A fracture line found on one rib.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Station index along the rib.
    pub station: usize,
    /// Strength of the line: its mean drop below the intact bone, in
    /// robust standard deviations of that drop along the rib.
    pub strength_sd: f64,
    /// Step between the fragments, perpendicular to the rib, mm.
    pub step_mm: f64,
    /// Largest bone area near the line over the rib's running median.
    pub area_ratio: f64,
}

impl Line {
    /// Healed: a callus round the line.
    pub fn healed(&self) -> bool {
        self.area_ratio >= RIBFX_CALLUS_RATIO
    }
}

/// Stations in `mm`.
fn stations(mm: f64) -> usize {
    (mm / RIBFX_STEP_MM).round() as usize
}

/// Per-station profiles of one rib.
struct Profiles {
    /// Strength of a line per station (see [`Line::strength_sd`]; 0 where not
    /// read).
    strength_sd: Vec<f64>,
    /// Bone area, mm^2.
    area: Vec<f64>,
    /// Running median of the area.
    area_median: Vec<f64>,
    /// Bone centroid offset from the centreline (u, v), mm.
    centre: Vec<Option<(f64, f64)>>,
    /// Bone of other structures in the section, mm^2.
    foreign: Vec<f64>,
}

/// Median of `values` (upper median; 0 when empty).
fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mid = values.len() / 2;
    *values.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1
}

/// Each section smoothed in its own plane by a 3 x 3 box (noise of sharp
/// kernels; the line runs across the plane and keeps its depth).
fn smoothed_sections(st: &Straight) -> Vec<f32> {
    let (side, px) = (st.side, st.pixels());
    let mut out = vec![0.0f32; st.hu.len()];
    for k in 0..st.len() {
        let sec = &st.hu[k * px..(k + 1) * px];
        for i in 0..side {
            for j in 0..side {
                let (mut sum, mut count) = (0.0f32, 0.0f32);
                for a in i.saturating_sub(1)..=(i + 1).min(side - 1) {
                    for b in j.saturating_sub(1)..=(j + 1).min(side - 1) {
                        sum += sec[a * side + b];
                        count += 1.0;
                    }
                }
                out[k * px + i * side + j] = sum / count;
            }
        }
    }
    out
}

/// The rib's own pixels: its mask widened by [`RIBFX_OWN_WIDEN_PX`] in
/// each section and spread [`RIBFX_OWN_SPREAD_MM`] along the rib.
fn own_pixels(st: &Straight) -> Vec<bool> {
    let (n, side, px) = (st.len(), st.side, st.pixels());
    let spread = stations(RIBFX_OWN_SPREAD_MM);
    let r = RIBFX_OWN_WIDEN_PX;
    let mut own = vec![false; n * px];
    for k in 0..n {
        for p in 0..px {
            if !st.own[k * px + p] {
                continue;
            }
            let (i, j) = (p / side, p % side);
            for kk in k.saturating_sub(spread)..=(k + spread).min(n - 1) {
                for a in i.saturating_sub(r)..=(i + r).min(side - 1) {
                    for b in j.saturating_sub(r)..=(j + r).min(side - 1) {
                        own[kk * px + a * side + b] = true;
                    }
                }
            }
        }
    }
    own
}

fn profiles(st: &Straight) -> Profiles {
    let n = st.len();
    let px = st.pixels();
    let hu = smoothed_sections(st);
    let own = own_pixels(st);
    // Intact level: running median along the rib, own pixels only.
    let half = stations(RIBFX_BASE_HALF_MM);
    let mut base = vec![f32::NAN; n * px];
    let mut buf: Vec<f32> = Vec::with_capacity(2 * half + 1);
    for p in 0..px {
        for k in 0..n {
            if !own[k * px + p] {
                continue;
            }
            buf.clear();
            let (a, b) = (k.saturating_sub(half), (k + half).min(n - 1));
            buf.extend((a..=b).map(|j| hu[j * px + p]));
            base[k * px + p] = median(&mut buf);
        }
    }
    let bone = |i: usize| own[i] && base[i] as f64 >= RIBFX_BONE_HU;
    // Candidate fracture planes: perpendicular, and tilted by
    // RIBFX_TILTS in eight directions; per pixel, the station shift of
    // each plane.
    let mut planes: Vec<Vec<i64>> = vec![vec![0; px]];
    for &t in &RIBFX_TILTS {
        for d in 0..8 {
            let phi = d as f64 * std::f64::consts::FRAC_PI_4;
            planes.push(
                (0..px)
                    .map(|p| {
                        let (u, v) = st.offset_mm(p);
                        (t * (u * phi.cos() + v * phi.sin()) / RIBFX_STEP_MM).round() as i64
                    })
                    .collect(),
            );
        }
    }
    let min_bone = (RIBFX_MIN_BONE_MM2 / (RIBFX_STEP_MM * RIBFX_STEP_MM)).ceil() as usize;
    // Running sums along the rib per pixel, for the side means.
    let prefix: Vec<Vec<f64>> = (0..px)
        .map(|p| {
            let mut acc = vec![0.0; n + 1];
            for k in 0..n {
                acc[k + 1] = acc[k] + hu[k * px + p] as f64;
            }
            acc
        })
        .collect();
    let (side_near, side_far) = (
        stations(RIBFX_VALLEY_SIDES_MM[0]).max(1) as i64,
        stations(RIBFX_VALLEY_SIDES_MM[1]).max(2) as i64,
    );
    let mut dip = vec![f64::NAN; n];
    let mut area = vec![0.0; n];
    let mut centre = vec![None; n];
    let mut foreign = vec![0.0; n];
    for k in 0..n {
        let (mut su, mut sv, mut dense) = (0.0, 0.0, 0usize);
        foreign[k] = (0..px)
            .filter(|&p| {
                st.hu[k * px + p] as f64 >= RIBFX_BONE_HU
                    && (!own[k * px + p] || st.offset_mm(p).0.abs() > RIBFX_SHAFT_HALF_THICK_MM)
            })
            .count() as f64
            * RIBFX_STEP_MM
            * RIBFX_STEP_MM;
        let bone_px: Vec<usize> = (0..px).filter(|&p| bone(k * px + p)).collect();
        for p in 0..px {
            let i = k * px + p;
            if own[i] && hu[i] as f64 >= RIBFX_BONE_HU {
                let (u, v) = st.offset_mm(p);
                su += u;
                sv += v;
                dense += 1;
            }
        }
        area[k] = dense as f64 * RIBFX_STEP_MM * RIBFX_STEP_MM;
        if dense > 0 {
            centre[k] = Some((su / dense as f64, sv / dense as f64));
        }
        if bone_px.len() < min_bone {
            continue;
        }
        // The deepest valley over the planes: the section's mean on the
        // plane below the lower of its means on either side (a valley,
        // not a step: a rib's end or its cartilage is no fracture).
        let mut deepest = f64::MIN;
        for shift in &planes {
            let (mut c, mut l, mut r) = (0.0, 0.0, 0.0);
            let mut count = 0usize;
            for &p in &bone_px {
                let j = k as i64 + shift[p];
                if j - side_far < 0 || j + side_far >= n as i64 {
                    continue;
                }
                let j = j as usize;
                let sum = |a: usize, b: usize| prefix[p][b + 1] - prefix[p][a];
                let w = (side_far - side_near + 1) as f64;
                let (sn, sf) = (side_near as usize, side_far as usize);
                c += hu[j * px + p] as f64;
                l += sum(j - sf, j - sn) / w;
                r += sum(j + sn, j + sf) / w;
                count += 1;
            }
            if count * 2 >= bone_px.len() && count > 0 {
                let m = count as f64;
                deepest = deepest.max((l / m).min(r / m) - c / m);
            }
        }
        if deepest > f64::MIN {
            dip[k] = deepest;
        }
    }
    // Each rib is its own reference: the dip's robust z-score along it
    // (noise, kernel and bone density change the scale, not the shape).
    let read: Vec<f32> = dip
        .iter()
        .filter(|d| d.is_finite())
        .map(|&d| d as f32)
        .collect();
    let (mid, sd) = crate::median_robust_sd(read).unwrap_or((0.0, 1.0));
    let sd = (sd as f64).max(1.0);
    let strength_sd: Vec<f64> = dip
        .iter()
        .map(|&d| {
            if d.is_finite() {
                (d - mid as f64) / sd
            } else {
                0.0
            }
        })
        .collect();
    let ah = stations(RIBFX_AREA_MEDIAN_HALF_MM);
    let area_median = (0..n)
        .map(|k| {
            let (a, b) = (k.saturating_sub(ah), (k + ah).min(n - 1));
            let mut w: Vec<f32> = area[a..=b].iter().map(|&x| x as f32).collect();
            median(&mut w) as f64
        })
        .collect();
    Profiles {
        strength_sd,
        area,
        area_median,
        centre,
        foreign,
    }
}

/// Whether the shaft on both sides of station `k` is whole and centred,
/// with no other bone in the sections round it.
fn sides_whole(pr: &Profiles, k: usize) -> bool {
    let (near, far) = (stations(RIBFX_SIDE_NEAR_MM), stations(RIBFX_SIDE_FAR_MM));
    let n = pr.strength_sd.len();
    if k < far || k + far >= n {
        return false;
    }
    if pr.foreign[k - near..=k + near]
        .iter()
        .any(|&a| a > RIBFX_FOREIGN_MAX_MM2)
    {
        return false;
    }
    [(k - far)..=(k - near), (k + near)..=(k + far)]
        .into_iter()
        .all(|r| {
            let len = r.clone().count() as f64;
            let ratio = r
                .clone()
                .map(|j| pr.area[j] / pr.area_median[j].max(1e-6))
                .sum::<f64>()
                / len;
            let off = r
                .map(|j| pr.centre[j].map_or(f64::INFINITY, |(u, v)| u.hypot(v)))
                .sum::<f64>()
                / len;
            (RIBFX_AREA_RANGE[0]..=RIBFX_AREA_RANGE[1]).contains(&ratio) && off <= RIBFX_CENTRED_MM
        })
}

/// The step between the fragments at station `k`: the bone centroids on
/// each side, each side's line through them carried to the station,
/// their distance across the rib, mm.
fn step_at(st: &Straight, pr: &Profiles, k: usize) -> f64 {
    let (near, far) = (
        stations(RIBFX_STEP_FIT_MM[0]),
        stations(RIBFX_STEP_FIT_MM[1]),
    );
    let n = st.len();
    let fit = |r: std::ops::RangeInclusive<usize>| -> Option<[f64; 3]> {
        // Least-squares line of the bone centroids against station index,
        // evaluated at k.
        let pts: Vec<(f64, [f64; 3])> = r
            .filter(|&j| j < n)
            .filter_map(|j| pr.centre[j].map(|c| (j as f64, st.point(j, c))))
            .collect();
        if pts.len() < 3 {
            return None;
        }
        let m = pts.len() as f64;
        let mt = pts.iter().map(|p| p.0).sum::<f64>() / m;
        let stt = pts.iter().map(|p| (p.0 - mt).powi(2)).sum::<f64>();
        let mut out = [0.0; 3];
        for (a, o) in out.iter_mut().enumerate() {
            let mp = pts.iter().map(|p| p.1[a]).sum::<f64>() / m;
            let slope = pts.iter().map(|p| (p.0 - mt) * (p.1[a] - mp)).sum::<f64>() / stt;
            *o = mp + slope * (k as f64 - mt);
        }
        Some(out)
    };
    let (Some(a), Some(b)) = (
        fit(k.saturating_sub(far)..=k.saturating_sub(near)),
        fit((k + near)..=(k + far)),
    ) else {
        return 0.0;
    };
    let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let (u, v) = st.axes[k];
    let across = volume::dot(d, u).hypot(volume::dot(d, v));
    (across * 10.0).round() / 10.0
}

/// The fracture lines of one straightened rib, strongest first.
pub fn find_lines(st: &Straight) -> Vec<Line> {
    let n = st.len();
    let (head, tail) = (
        stations(RIBFX_END_MARGIN_MM[0]),
        stations(RIBFX_END_MARGIN_MM[1]),
    );
    if n <= head + tail {
        return Vec::new();
    }
    let pr = profiles(st);
    let callus_reach = stations(RIBFX_SIDE_FAR_MM);
    let mut found: Vec<Line> = Vec::new();
    let mut order: Vec<usize> = (head..n - tail).collect();
    order.sort_by(|&a, &b| pr.strength_sd[b].total_cmp(&pr.strength_sd[a]));
    let apart = stations(RIBFX_MIN_APART_MM);
    for k in order {
        if pr.strength_sd[k] < RIBFX_MIN_LINE_SD {
            break;
        }
        if found.iter().any(|l| l.station.abs_diff(k) < apart) || !sides_whole(&pr, k) {
            continue;
        }
        let (a, b) = (
            k.saturating_sub(callus_reach),
            (k + callus_reach).min(n - 1),
        );
        let area_ratio = (a..=b)
            .map(|j| pr.area[j] / pr.area_median[j].max(1e-6))
            .fold(0.0, f64::max);
        found.push(Line {
            station: k,
            strength_sd: pr.strength_sd[k],
            step_mm: step_at(st, &pr, k),
            area_ratio,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::RIBFX_DISPLACED_MM;

    /// A synthetic straightened rib: an elliptical shaft (cortex and
    /// marrow) of 10 x 5 mm, with texture, optionally a fracture gap at
    /// station `gap_at` and the distal fragment moved by `step_mm` along
    /// v beyond it.
    fn rib(gap_at: Option<usize>, step_mm: f64) -> Straight {
        let (n, side) = (500usize, 29usize);
        let half = (side / 2) as f64;
        let mut hu = Vec::with_capacity(n * side * side);
        let mut own = Vec::with_capacity(n * side * side);
        let mut seed = 12345u64;
        let mut noise = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 60.0
        };
        for k in 0..n {
            let shift = match gap_at {
                Some(g) if k > g => step_mm,
                _ => 0.0,
            };
            for i in 0..side {
                for j in 0..side {
                    let u = (i as f64 - half) * RIBFX_STEP_MM;
                    let v = (j as f64 - half) * RIBFX_STEP_MM - shift;
                    let r = (u / 2.5).powi(2) + (v / 5.0).powi(2);
                    let mut value = if r <= 0.55 {
                        250.0
                    } else if r <= 1.0 {
                        900.0
                    } else {
                        40.0
                    };
                    if let Some(g) = gap_at
                        && k.abs_diff(g) <= 1
                        && r <= 1.0
                    {
                        value = 60.0;
                    }
                    hu.push((value + noise()) as f32);
                    own.push(r <= 1.0 && gap_at.is_none_or(|g| k.abs_diff(g) > 1));
                }
            }
        }
        let centres = (0..n)
            .map(|k| [k as f64 * RIBFX_STEP_MM, 0.0, 0.0])
            .collect();
        Straight {
            centres,
            side,
            hu,
            own,
            axes: vec![([0.0, 1.0, 0.0], [0.0, 0.0, 1.0]); n],
        }
    }

    #[test]
    fn an_intact_shaft_has_no_line() {
        assert!(find_lines(&rib(None, 0.0)).is_empty());
    }

    #[test]
    fn a_gap_is_one_line_at_its_place() {
        let lines = find_lines(&rib(Some(240), 0.0));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].station.abs_diff(240) <= 2, "{lines:?}");
        assert!(lines[0].step_mm < RIBFX_DISPLACED_MM, "{lines:?}");
        assert!(!lines[0].healed());
    }

    #[test]
    fn a_step_beyond_the_gap_is_measured() {
        let lines = find_lines(&rib(Some(240), 3.0));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!((lines[0].step_mm - 3.0).abs() <= 1.0, "{lines:?}");
    }
}
