//! The vertebral column's course and its intervertebral discs, for
//! `airad.spine` (and, through the published centreline, `airad.ribs`).
//!
//! Method: on every axial slice the vertebral body is the largest compact
//! bony blob near the body's midline in the posterior half of the trunk
//! (in-plane smoothed CT above [`SPINE_BODY_HU`], the porotic centres
//! enclosed by cortex filled, opened by a disc of [`SPINE_OPEN_MM`] that
//! removes pedicles, laminae, processes and ribs);
//! blob centres are cleaned with a running median and interpolated into a
//! track. Disc spaces are the minima of the mean density sampled on small
//! planes perpendicular to the track (the approach of e.g. Klinder et al.,
//! "Automated model-based vertebra detection, identification, and
//! segmentation in CT images", MedIA 2009, reduced to a 1D profile), picked
//! by dynamic programming under a level-height prior taken from the
//! profile's own period, with missing discs in long gaps interpolated.

use aisu::{AisuError, Mask};
use volume::Volume;

use crate::constants::{
    SPINE_BODY_HU, SPINE_DISC_MIN_DEPTH_SHARE, SPINE_END_DISC_MIN_PROMINENCE,
    SPINE_END_LEVEL_MIN_SHARE, SPINE_LEVEL_MM, SPINE_LOCAL_PERIOD_RANGE,
    SPINE_LOCAL_PERIOD_WINDOW_MM, SPINE_MAX_OFFSET_MM, SPINE_MIN_BLOB_MM2, SPINE_OPEN_MM,
    SPINE_POROTIC_HOLE_HU, SPINE_POROTIC_HOLE_MAX_MM2, SPINE_THICK_MIN_GAP, SPINE_THICK_SLICE_MM,
    SPINE_WIDTH_CAP_RATIO, SPINE_WIDTH_WINDOW_MM,
};
use crate::skeleton::{
    Crop, Frame, SliceBody, body_slices, fill_slice_holes, interpolate, label_2d, median, open_2d,
    smooth_in_plane,
};
use crate::util::phase;

/// The column's track: per slice, the vertebral body's centre and size.
#[derive(Debug, Clone)]
pub(crate) struct SpineTrack {
    /// Grid frame.
    pub frame: Frame,
    /// Per slice: body centre (x, y index), `None` outside the tracked range.
    pub centre: Vec<Option<[f64; 2]>>,
    /// Per slice: half width of the body (left-right), mm.
    pub half_width: Vec<f64>,
    /// Per slice: half depth of the body (anteroposterior), mm.
    pub half_depth: Vec<f64>,
}

impl SpineTrack {
    /// Centre (index x, y) at a continuous slice position, interpolated.
    pub fn centre_at(&self, z: f64) -> Option<[f64; 2]> {
        let nz = self.centre.len();
        if nz == 0 {
            return None;
        }
        let z0 = z.floor().clamp(0.0, (nz - 1) as f64) as usize;
        let z1 = (z0 + 1).min(nz - 1);
        let w = (z - z0 as f64).clamp(0.0, 1.0);
        match (self.centre[z0], self.centre[z1]) {
            (Some(a), Some(b)) => Some([a[0] + w * (b[0] - a[0]), a[1] + w * (b[1] - a[1])]),
            (Some(a), None) => Some(a),
            (None, Some(b)) => Some(b),
            _ => None,
        }
    }

    /// The track point in patient mm at a patient z (mm).
    pub fn point_mm(&self, z_mm: f64) -> Option<[f64; 3]> {
        let zi = self.frame.z_index(z_mm);
        let c = self.centre_at(zi)?;
        let p = self.frame.mm([c[0], c[1], zi]);
        Some([p[0], p[1], z_mm])
    }

    /// Unit tangent (towards superior) in patient mm at a patient z.
    pub fn tangent_mm(&self, z_mm: f64) -> [f64; 3] {
        let h = 6.0;
        match (self.point_mm(z_mm + h), self.point_mm(z_mm - h)) {
            (Some(a), Some(b)) => {
                let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
                let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                if n > 1e-6 && d[2] > 0.0 {
                    [d[0] / n, d[1] / n, d[2] / n]
                } else {
                    [0.0, 0.0, 1.0]
                }
            }
            _ => [0.0, 0.0, 1.0],
        }
    }

    /// Patient z range (mm) of the track: (lowest, highest).
    pub fn z_range_mm(&self) -> Option<(f64, f64)> {
        let zs: Vec<f64> = self
            .centre
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_some())
            .map(|(z, _)| self.frame.z_mm(z))
            .collect();
        let lo = zs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = zs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
    }
}

/// One detected blob of a slice.
#[derive(Debug, Clone, Copy)]
struct Detection {
    c: [f64; 2],
    half_width: f64,
    half_depth: f64,
}

/// Finds the vertebral bodies slice by slice and builds the track; also
/// returns the in-plane smoothed CT of the spine crop (for the profile)
/// and the crop.
pub(crate) fn track_spine(
    ct: &Volume<i16>,
    body: &Mask,
) -> Result<(SpineTrack, Crop, Vec<f32>), AisuError> {
    let f = Frame::new(ct.geometry())?;
    let [_, _, nz] = f.dims;
    let slices = body_slices(body, nz);
    let present: Vec<&SliceBody> = slices.iter().flatten().collect();
    if present.is_empty() {
        return Err(AisuError::NotAssessable(
            "no body in the field of view".into(),
        ));
    }
    // The crop: the posterior half of the trunk around its midline.
    let mid_x = median(&present.iter().map(|b| b.cx).collect::<Vec<_>>()).unwrap_or(0.0);
    let half_x = (SPINE_MAX_OFFSET_MM + 40.0) / f.s[0];
    let ys: Vec<f64> = present.iter().map(|b| b.cy).collect();
    let y_mid = median(&ys).unwrap_or(0.0);
    let (y_lo, y_hi) = if f.sign[1] > 0.0 {
        let post = present.iter().map(|b| b.y[1]).max().unwrap_or(0) as f64;
        (y_mid - 40.0 / f.s[1], post)
    } else {
        let post = present.iter().map(|b| b.y[0]).min().unwrap_or(0) as f64;
        (post, y_mid + 40.0 / f.s[1])
    };
    let crop = Crop::new(
        [(mid_x - half_x) as i64, y_lo as i64, 0],
        [(mid_x + half_x) as i64, y_hi as i64, nz as i64 - 1],
        f.dims,
    )
    .ok_or_else(|| AisuError::NotAssessable("no room for a spine in the field of view".into()))?;
    let t = phase("smooth");
    let raw = crop.extract(ct);
    let smooth = smooth_in_plane(raw, &crop, f.s, 1.0)?;
    drop(t);
    let [cx, cy, cz] = crop.n;
    let mut dense = vec![false; crop.len()];
    for z in 0..cz {
        let Some(sb) = slices[z + crop.lo[2]] else {
            continue;
        };
        for y in 0..cy {
            for x in 0..cx {
                let i = x + cx * (y + cy * z);
                // Posterior of the body's centre line only.
                let dy = ((y + crop.lo[1]) as f64 - sb.cy) * f.s[1] * f.sign[1];
                dense[i] = smooth[i] >= SPINE_BODY_HU && dy > -30.0;
            }
        }
    }
    // Porotic centres: holes of the dense-bone map as dense as trabecular
    // bone and no larger than a body. In an osteoporotic body the centre
    // falls below SPINE_BODY_HU and only the cortical ring is left, which
    // the opening would erase: the column is then lost or tracked on the
    // arch, and its disc spaces with it. The canal (CSF, cord) and fat
    // stay holes.
    let pixel_mm2 = f.s[0] * f.s[1];
    let t = phase("holes");
    fill_slice_holes(
        &mut dense,
        crop.n,
        SPINE_POROTIC_HOLE_MAX_MM2 / pixel_mm2,
        Some((&smooth, SPINE_POROTIC_HOLE_HU)),
    );
    drop(t);
    let t = phase("open");
    let opened = open_2d(dense, &crop, f.s, SPINE_OPEN_MM)?;
    drop(t);
    let mut detections: Vec<Option<Detection>> = vec![None; nz];
    for z in 0..cz {
        let Some(sb) = slices[z + crop.lo[2]] else {
            continue;
        };
        let plane = &opened[cx * cy * z..cx * cy * (z + 1)];
        let (_, blobs) = label_2d(plane, cx, cy);
        let best = blobs
            .iter()
            .filter(|b| {
                let off = ((b.c[0] + crop.lo[0] as f64) - sb.cx).abs() * f.s[0];
                b.area as f64 * pixel_mm2 >= SPINE_MIN_BLOB_MM2 && off <= SPINE_MAX_OFFSET_MM
            })
            .max_by_key(|b| b.area);
        if let Some(b) = best {
            detections[z + crop.lo[2]] = Some(Detection {
                c: [b.c[0] + crop.lo[0] as f64, b.c[1] + crop.lo[1] as f64],
                half_width: 0.5 * (b.x[1] - b.x[0] + 1) as f64 * f.s[0],
                half_depth: 0.5 * (b.y[1] - b.y[0] + 1) as f64 * f.s[1],
            });
        }
    }
    let track = clean_track(&f, &detections)?;
    Ok((track, crop, smooth))
}

/// Running-median outlier rejection and interpolation of the detections.
fn clean_track(f: &Frame, det: &[Option<Detection>]) -> Result<SpineTrack, AisuError> {
    let nz = det.len();
    let win = (20.0 / f.s[2]).ceil().max(2.0) as usize;
    let mut keep: Vec<Option<Detection>> = vec![None; nz];
    for z in 0..nz {
        let Some(d) = det[z] else { continue };
        let lo = z.saturating_sub(win);
        let hi = (z + win).min(nz - 1);
        let near: Vec<&Detection> = det[lo..=hi].iter().flatten().collect();
        let mx = median(&near.iter().map(|d| d.c[0]).collect::<Vec<_>>()).unwrap_or(d.c[0]);
        let my = median(&near.iter().map(|d| d.c[1]).collect::<Vec<_>>()).unwrap_or(d.c[1]);
        let off = (((d.c[0] - mx) * f.s[0]).powi(2) + ((d.c[1] - my) * f.s[1]).powi(2)).sqrt();
        if off <= 8.0 {
            keep[z] = Some(d);
        }
    }
    let known: Vec<usize> = (0..nz).filter(|z| keep[*z].is_some()).collect();
    if known.len() < 3 {
        return Err(AisuError::NotAssessable("no vertebral column found".into()));
    }
    let table = |g: &dyn Fn(&Detection) -> f64| -> Vec<(f64, f64)> {
        known
            .iter()
            .filter_map(|z| keep[*z].as_ref().map(|d| (*z as f64, g(d))))
            .collect()
    };
    let tx = table(&|d| d.c[0]);
    let ty = table(&|d| d.c[1]);
    let tw = capped_widths(f, &table(&|d| d.half_width));
    let td = table(&|d| d.half_depth);
    let (first, last) = (known[0], known[known.len() - 1]);
    let mut centre = vec![None; nz];
    let mut half_width = vec![0.0; nz];
    let mut half_depth = vec![0.0; nz];
    // Light smoothing of the centre (+-4 mm) after interpolation.
    let raw: Vec<[f64; 2]> = (0..nz)
        .map(|z| {
            let t = z as f64;
            [
                interpolate(&tx, t).unwrap_or(0.0),
                interpolate(&ty, t).unwrap_or(0.0),
            ]
        })
        .collect();
    let k = (4.0 / f.s[2]).round() as usize;
    for z in first..=last {
        let lo = z.saturating_sub(k).max(first);
        let hi = (z + k).min(last);
        let n = (hi - lo + 1) as f64;
        let sx: f64 = raw[lo..=hi].iter().map(|c| c[0]).sum();
        let sy: f64 = raw[lo..=hi].iter().map(|c| c[1]).sum();
        centre[z] = Some([sx / n, sy / n]);
        let t = z as f64;
        half_width[z] = interpolate(&tw, t).unwrap_or(15.0);
        half_depth[z] = interpolate(&td, t).unwrap_or(12.0);
    }
    Ok(SpineTrack {
        frame: *f,
        centre,
        half_width,
        half_depth,
    })
}

/// Caps the vertebral body's half width at [`SPINE_WIDTH_CAP_RATIO`]
/// times the median of the measured widths within
/// [`SPINE_WIDTH_WINDOW_MM`] below it: bodies widen only slowly down the
/// column, so a sudden widening upwards is the first ribs' heads and the
/// long transverse processes of T1 and C7 fused with the body on the
/// density map, and an inflated width would hide the first rib's head
/// inside the vertebral zone. The medians are of the measured widths, not
/// of capped ones, so a narrow partial body at the scan's lower end never
/// narrows the column above it. `widths` is (slice, half width).
fn capped_widths(f: &Frame, widths: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let z_of = |t: f64| t * f.s[2] * f.sign[2];
    widths
        .iter()
        .map(|&(t, w)| {
            let z = z_of(t);
            let below: Vec<f64> = widths
                .iter()
                .filter(|(tb, _)| {
                    let d = z - z_of(*tb);
                    d > 0.0 && d <= SPINE_WIDTH_WINDOW_MM
                })
                .map(|(_, w)| *w)
                .collect();
            let cap = (below.len() >= 5)
                .then(|| median(&below))
                .flatten()
                .map(|m| SPINE_WIDTH_CAP_RATIO * m);
            (t, cap.map_or(w, |c| w.min(c)))
        })
        .collect()
}

/// An intervertebral disc space on the track.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Disc {
    /// Patient z of the disc's centre on the track, mm.
    pub z_mm: f64,
    /// Patient z of its upper edge (the inferior endplate above), mm.
    pub upper_mm: f64,
    /// Patient z of its lower edge (the superior endplate below), mm.
    pub lower_mm: f64,
    /// Interpolated (no density minimum found there).
    pub inferred: bool,
}

/// Samples the mean density of the vertebral body's core on planes
/// perpendicular to the track, every `step` mm from the top down: returns
/// (patient z, value) pairs, highest z first.
fn profile(track: &SpineTrack, crop: &Crop, smooth: &[f32], step: f64) -> Vec<(f64, f64)> {
    let f = &track.frame;
    let Some((lo, hi)) = track.z_range_mm() else {
        return Vec::new();
    };
    let n = ((hi - lo) / step).floor() as usize + 1;
    let [cx, cy, cz] = crop.n;
    let sample = |p: [f64; 3]| -> Option<f64> {
        // Trilinear in the crop, p in patient mm.
        let i = f.index(p);
        let q = [
            i[0] - crop.lo[0] as f64,
            i[1] - crop.lo[1] as f64,
            i[2] - crop.lo[2] as f64,
        ];
        if q.iter().any(|v| !v.is_finite() || *v < 0.0)
            || q[0] > (cx - 1) as f64
            || q[1] > (cy - 1) as f64
            || q[2] > (cz - 1) as f64
        {
            return None;
        }
        let b = [q[0] as usize, q[1] as usize, q[2] as usize];
        let w = [q[0] - b[0] as f64, q[1] - b[1] as f64, q[2] - b[2] as f64];
        let mut acc = 0.0;
        for dz in 0..2 {
            for dy in 0..2 {
                for dx in 0..2 {
                    let x = (b[0] + dx).min(cx - 1);
                    let y = (b[1] + dy).min(cy - 1);
                    let z = (b[2] + dz).min(cz - 1);
                    let wt = (if dx == 1 { w[0] } else { 1.0 - w[0] })
                        * (if dy == 1 { w[1] } else { 1.0 - w[1] })
                        * (if dz == 1 { w[2] } else { 1.0 - w[2] });
                    acc += wt * smooth[x + cx * (y + cy * z)] as f64;
                }
            }
        }
        Some(acc)
    };
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let z = hi - k as f64 * step;
        let Some(c) = track.point_mm(z) else { continue };
        let t = track.tangent_mm(z);
        // u: lateral (left) perpendicular to t; v: anteroposterior.
        let l = [1.0, 0.0, 0.0];
        let d = l[0] * t[0];
        let mut u = [l[0] - d * t[0], -d * t[1], -d * t[2]];
        let un = (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt().max(1e-9);
        u = [u[0] / un, u[1] / un, u[2] / un];
        let v = [
            t[1] * u[2] - t[2] * u[1],
            t[2] * u[0] - t[0] * u[2],
            t[0] * u[1] - t[1] * u[0],
        ];
        let zi = f
            .z_index(z)
            .round()
            .clamp(0.0, (track.half_width.len() - 1) as f64) as usize;
        // The whole cross-section of the body, posterior wall excepted
        // (rib heads and pedicles lie beside and behind it).
        let ra = track.half_width[zi].clamp(6.0, 30.0);
        let rb = track.half_depth[zi].clamp(5.0, 25.0);
        let mut values: Vec<f64> = Vec::new();
        let g = 1.0;
        let na = (ra / g) as i64;
        let nb = (rb / g) as i64;
        for ia in -na..=na {
            for ib in -nb..=(nb * 7 / 10) {
                let (a, b) = (ia as f64 * g, ib as f64 * g);
                if (a / ra).powi(2) + (b / rb).powi(2) > 1.0 {
                    continue;
                }
                let p = [
                    c[0] + a * u[0] + b * v[0],
                    c[1] + a * u[1] + b * v[1],
                    c[2] + a * u[2] + b * v[2],
                ];
                if let Some(s) = sample(p) {
                    values.push(s);
                }
            }
        }
        // The densest sixth: the cortical ring of a body, the endplates;
        // a disc has none.
        values.sort_by(|a, b| b.total_cmp(a));
        let top = (values.len() / 6).max(1).min(values.len());
        let sum: f64 = values[..top].iter().sum();
        let cnt = top * usize::from(!values.is_empty());
        if cnt > 0 {
            out.push((z, sum / cnt as f64));
        }
    }
    out
}

/// Moving average over `half` samples each side.
fn moving_average(v: &[f64], half: usize) -> Vec<f64> {
    let n = v.len();
    let mut prefix = vec![0.0; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + v[i];
    }
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            (prefix[hi] - prefix[lo]) / (hi - lo) as f64
        })
        .collect()
}

/// Finds the disc spaces along the track, top to bottom.
pub(crate) fn find_discs(track: &SpineTrack, crop: &Crop, smooth: &[f32]) -> Vec<Disc> {
    let step = 1.0;
    let prof = profile(track, crop, smooth, step);
    if prof.len() < 40 {
        return Vec::new();
    }
    let z: Vec<f64> = prof.iter().map(|p| p.0).collect();
    let raw: Vec<f64> = prof.iter().map(|p| p.1).collect();
    let trend = moving_average(&raw, TREND_HALF_WINDOW);
    let sm = (0.3 * track.frame.s[2]).max(1.0);
    let detr: Vec<f64> = raw.iter().zip(&trend).map(|(a, b)| a - b).collect();
    let g = gaussian_1d(&detr, sm / step);
    let n = g.len();
    // Candidate minima with their prominence.
    let reach = 10usize;
    let mut cand: Vec<(usize, f64)> = Vec::new();
    for i in 1..n - 1 {
        if g[i] < g[i - 1] && g[i] <= g[i + 1] {
            let left = g[i.saturating_sub(reach)..i]
                .iter()
                .copied()
                .fold(f64::MIN, f64::max);
            let right = g[i + 1..(i + reach + 1).min(n)]
                .iter()
                .copied()
                .fold(f64::MIN, f64::max);
            let p = left.min(right) - g[i];
            if p > 0.0 {
                cand.push((i, p));
            }
        }
    }
    if cand.len() < 2 {
        return Vec::new();
    }
    let period = dominant_period(&g, step);
    let scale = drop_shallow(&mut cand);
    if cand.len() < 2 {
        return Vec::new();
    }
    let local_period = local_periods(&g, &cand, period, step);
    // Dynamic programming over candidates (top to bottom).
    let m = cand.len();
    // Least gap between consecutive discs, as a share of the period.
    let min_gap = if track.frame.s[2] >= SPINE_THICK_SLICE_MM {
        SPINE_THICK_MIN_GAP
    } else {
        0.62
    };
    let mut best = vec![0.0f64; m];
    let mut prev = vec![usize::MAX; m];
    for j in 0..m {
        best[j] = cand[j].1 / scale;
        for i in 0..j {
            let gap = (cand[j].0 - cand[i].0) as f64 * step;
            let r = gap / (0.5 * (local_period[i] + local_period[j]));
            let penalty = if (min_gap..=1.45).contains(&r) {
                2.0 * (r - 1.0).powi(2)
            } else if (1.65..=2.4).contains(&r) {
                1.5 + 2.0 * (r / 2.0 - 1.0).powi(2)
            } else {
                continue;
            };
            let s = best[i] + cand[j].1 / scale - penalty;
            if s > best[j] {
                best[j] = s;
                prev[j] = i;
            }
        }
    }
    let Some(mut j) = (0..m).max_by(|a, b| best[*a].total_cmp(&best[*b])) else {
        return Vec::new();
    };
    let mut chain = vec![j];
    while prev[j] != usize::MAX {
        j = prev[j];
        chain.push(j);
    }
    chain.reverse();
    trim_weak_last(&mut chain, &cand, n, period / step);
    tracing::debug!(
        period,
        scale,
        candidates = ?cand.iter().zip(&local_period).map(|(c, p)| (z[c.0], c.1 / scale, *p)).collect::<Vec<_>>(),
        chain = ?chain.iter().map(|&c| z[cand[c].0]).collect::<Vec<_>>(),
        "disc candidates"
    );
    // Discs, with inferred ones in long gaps and beyond the chain's ends.
    let mut idx: Vec<(f64, bool)> = Vec::new();
    for (k, &c) in chain.iter().enumerate() {
        if k > 0 {
            let a = cand[chain[k - 1]].0 as f64;
            let b = cand[c].0 as f64;
            let parts = ((b - a) * step / period).round().max(1.0) as usize;
            for q in 1..parts {
                idx.push((a + (b - a) * q as f64 / parts as f64, true));
            }
        }
        idx.push((cand[c].0 as f64, false));
    }
    let span = period / step;
    if let Some(&(first, _)) = idx.first() {
        let mut t = first - span;
        while t > 0.5 * span {
            idx.insert(0, (t, true));
            t -= span;
        }
    }
    if let Some(&(last, _)) = idx.last() {
        let mut t = last + span;
        while t < (n - 1) as f64 - 0.5 * span {
            idx.push((t, true));
            t += span;
        }
    }
    idx.iter()
        .map(|&(t, inferred)| {
            let i = (t.round() as usize).min(n - 1);
            let (up, down) = disc_edges(&g, i, (0.3 * span) as usize);
            Disc {
                z_mm: z[i],
                upper_mm: z[up],
                lower_mm: z[down],
                inferred,
            }
        })
        .collect()
}

/// Drops the dips far shallower than the typical one (under
/// [`SPINE_DISC_MIN_DEPTH_SHARE`] of the median depth): noise, whatever
/// their spacing. `candidates` as (profile index, depth); returns the
/// median depth of all of them.
fn drop_shallow(candidates: &mut Vec<(usize, f64)>) -> f64 {
    let scale = median(&candidates.iter().map(|c| c.1).collect::<Vec<_>>())
        .unwrap_or(1.0)
        .max(1e-3);
    candidates.retain(|c| c.1 >= SPINE_DISC_MIN_DEPTH_SHARE * scale);
    scale
}

/// The level period (mm) where each candidate lies: the dominant period
/// of the profile within [`SPINE_LOCAL_PERIOD_WINDOW_MM`] of it, kept
/// within [`SPINE_LOCAL_PERIOD_RANGE`] of the column's `period`; the
/// column's where the stretch has no autocorrelation peak of its own (its
/// strongest lag at an end of the searched range). Thoracic
/// levels grow down the column (the upper ones about two thirds of the
/// lowest), so a gap is judged against the levels around it. `g` is the
/// detrended profile sampled every `step` mm, `candidates` its minima as
/// (index, prominence).
fn local_periods(g: &[f64], candidates: &[(usize, f64)], period: f64, step: f64) -> Vec<f64> {
    let n = g.len();
    let half = (SPINE_LOCAL_PERIOD_WINDOW_MM / step) as usize;
    candidates
        .iter()
        .map(|c| {
            let lo = c.0.saturating_sub(half);
            let hi = (c.0 + half + 1).min(n);
            let (local, peak) = autocorrelation_peak(&g[lo..hi], step);
            if !peak {
                return period;
            }
            local.clamp(
                SPINE_LOCAL_PERIOD_RANGE.0 * period,
                SPINE_LOCAL_PERIOD_RANGE.1 * period,
            )
        })
        .collect()
}

/// Half-width (profile samples) of the moving average the disc profile
/// is detrended by.
const TREND_HALF_WINDOW: usize = 16;

/// Drops the chain's last (lowest) disc when it lies within the
/// detrending window's half-width of the profile's end, is shallower than
/// [`SPINE_END_DISC_MIN_PROMINENCE`] of the chain's median disc, and
/// closes a level shorter than [`SPINE_END_LEVEL_MIN_SHARE`] of the
/// period or of the level above it, whichever is taller: near the end of
/// the scan the trend is taken over a truncated window, and the bright
/// endplate of the last vertebra, cut by the scan, turns that vertebra's
/// trabecular bone into a shallow dip part way down it. The lower levels
/// are the column's tallest, so a real last disc closes a full level.
/// (At the top, where levels are short, a shallow disc is kept: it is the
/// C7/T1 disc of scans that start just above it.) `candidates` as (profile index, prominence) top to bottom, `n`
/// profile samples, `span` the period in samples.
fn trim_weak_last(chain: &mut Vec<usize>, candidates: &[(usize, f64)], n: usize, span: f64) {
    if chain.len() < 3 {
        return;
    }
    let prominences: Vec<f64> = chain.iter().map(|&c| candidates[c].1).collect();
    let Some(typical) = median(&prominences) else {
        return;
    };
    let k = chain.len() - 1;
    let (last, above) = (candidates[chain[k]], candidates[chain[k - 1]]);
    let near_end = n - 1 - last.0 < TREND_HALF_WINDOW;
    let weak = last.1 < SPINE_END_DISC_MIN_PROMINENCE * typical;
    // The level above is the column's local height (the levels grow down
    // the column, so the period, taken over all of it, is short for the
    // lowest ones).
    let level_above = (above.0 - candidates[chain[k - 2]].0) as f64;
    let short = ((last.0 - above.0) as f64) < SPINE_END_LEVEL_MIN_SHARE * span.max(level_above);
    if near_end && weak && short {
        chain.pop();
    }
}

/// The disc's edges around minimum `i`: where the profile climbs back
/// half way to the nearby plateau (at most `reach` samples away).
fn disc_edges(g: &[f64], i: usize, reach: usize) -> (usize, usize) {
    let n = g.len();
    let lo = i.saturating_sub(reach.max(2));
    let hi = (i + reach.max(2)).min(n - 1);
    let up_max = g[lo..=i].iter().copied().fold(f64::MIN, f64::max);
    let down_max = g[i..=hi].iter().copied().fold(f64::MIN, f64::max);
    let half_up = 0.5 * (g[i] + up_max);
    let half_down = 0.5 * (g[i] + down_max);
    let mut up = i;
    while up > lo && g[up - 1] < half_up {
        up -= 1;
    }
    let mut down = i;
    while down < hi && g[down + 1] < half_down {
        down += 1;
    }
    (up, down)
}

/// The profile's dominant period (mm) between 16 and 34 mm, by
/// autocorrelation; [`SPINE_LEVEL_MM`] when flat.
fn dominant_period(g: &[f64], step: f64) -> f64 {
    autocorrelation_peak(g, step).0
}

/// The lag (mm) of the profile's strongest autocorrelation between 16
/// and 34 mm ([`SPINE_LEVEL_MM`] when flat), and whether it is a true
/// peak: stronger than its neighbouring lags, not at an end of the range.
fn autocorrelation_peak(g: &[f64], step: f64) -> (f64, bool) {
    let n = g.len();
    let mean = g.iter().sum::<f64>() / n.max(1) as f64;
    let c: Vec<f64> = g.iter().map(|v| v - mean).collect();
    let mut best = (SPINE_LEVEL_MM, 0.0);
    let mut best_lag = None;
    let lo = (16.0 / step) as usize;
    let hi = ((34.0 / step) as usize).min(n / 2);
    for lag in lo..=hi {
        let mut s = 0.0;
        for i in 0..n - lag {
            s += c[i] * c[i + lag];
        }
        let s = s / (n - lag) as f64;
        if s > best.1 {
            best = (lag as f64 * step, s);
            best_lag = Some(lag);
        }
    }
    let peak = best_lag.is_some_and(|l| l > lo && l < hi);
    (best.0, peak)
}

/// Gaussian smoothing of a 1D signal (sigma in samples), edges replicated.
fn gaussian_1d(v: &[f64], sigma: f64) -> Vec<f64> {
    if sigma < 0.3 {
        return v.to_vec();
    }
    let r = (3.0 * sigma).ceil() as i64;
    let w: Vec<f64> = (-r..=r)
        .map(|k| (-(k * k) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = w.iter().sum();
    let n = v.len() as i64;
    (0..n)
        .map(|i| {
            let mut s = 0.0;
            for (k, wk) in (-r..=r).zip(&w) {
                let j = (i + k).clamp(0, n - 1) as usize;
                s += wk * v[j];
            }
            s / total
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shallow_dip_at_the_scan_end_is_not_a_disc() {
        // Discs every 25 samples, prominence 6-8; the profile ends 8
        // samples below a shallow dip (1.0) 17 samples below the last real
        // disc: the cut vertebra's endplate.
        let candidates = [(10, 7.0), (35, 6.0), (60, 8.0), (85, 7.0), (102, 1.0)];
        let mut chain: Vec<usize> = (0..candidates.len()).collect();
        trim_weak_last(&mut chain, &candidates, 110, 25.0);
        assert_eq!(chain, vec![0, 1, 2, 3]);
        // A deep disc as near the end is kept.
        let candidates = [(10, 7.0), (35, 6.0), (60, 8.0), (85, 7.0), (102, 6.5)];
        let mut chain: Vec<usize> = (0..candidates.len()).collect();
        trim_weak_last(&mut chain, &candidates, 110, 25.0);
        assert_eq!(chain.len(), 5);
        // So is a shallow one closing a full level.
        let candidates = [(10, 7.0), (35, 6.0), (60, 8.0), (85, 7.0), (108, 1.0)];
        let mut chain: Vec<usize> = (0..candidates.len()).collect();
        trim_weak_last(&mut chain, &candidates, 115, 25.0);
        assert_eq!(chain.len(), 5);
        // And a shallow disc at the top (the C7/T1 disc near the scan's
        // start).
        let candidates = [(5, 1.0), (27, 6.0), (50, 8.0), (75, 7.0)];
        let mut chain: Vec<usize> = (0..candidates.len()).collect();
        trim_weak_last(&mut chain, &candidates, 110, 25.0);
        assert_eq!(chain.len(), 4);
    }

    #[test]
    fn a_negligible_dip_is_no_disc_candidate() {
        let mut candidates = vec![(0, 5.0), (10, 1.0), (20, 0.02), (30, 1.2), (40, 0.8)];
        let scale = drop_shallow(&mut candidates);
        assert_eq!(scale, 1.0);
        assert_eq!(candidates, vec![(0, 5.0), (10, 1.0), (30, 1.2), (40, 0.8)]);
    }

    #[test]
    fn levels_are_judged_against_the_local_period() {
        // Levels 20 samples tall over the first 150 samples, 26 over the
        // next 150 (upper against lower thoracic): the local period
        // follows them, where the column's lies between.
        let mut g = Vec::new();
        for i in 0..150 {
            g.push((2.0 * std::f64::consts::PI * i as f64 / 20.0).cos());
        }
        for i in 0..150 {
            g.push((2.0 * std::f64::consts::PI * i as f64 / 26.0).cos());
        }
        let period = dominant_period(&g, 1.0);
        let candidates = [(20, 1.0), (280, 1.0)];
        let local = local_periods(&g, &candidates, period, 1.0);
        assert!((local[0] - 20.0).abs() <= 1.0, "{local:?} {period}");
        assert!((local[1] - 26.0).abs() <= 1.0, "{local:?} {period}");
        assert!(period > local[0] && period < local[1], "{local:?} {period}");
        // A stretch without a peak of its own (autocorrelation falling
        // from the shortest lag on) takes the column's period.
        let ramp: Vec<f64> = (0..121).map(|i| i as f64).collect();
        assert!(!autocorrelation_peak(&ramp, 1.0).1);
        let local = local_periods(&ramp, &[(60, 1.0)], 25.0, 1.0);
        assert_eq!(local, vec![25.0]);
    }

    #[test]
    fn the_last_level_is_judged_against_the_level_above() {
        // The column's period (21 samples) is set by its shorter upper
        // levels; the lowest full levels are 27 long. A shallow dip 18
        // below the last real disc and 4 above the profile's end closes
        // 0.86 of the period but 0.67 of the level above: the cut
        // vertebra's endplate, not a disc.
        // Five discs of the column, then a shallow dip at `last`.
        let column_ending_at = |last: usize| {
            [
                (0, 7.0),
                (22, 6.0),
                (44, 7.0),
                (70, 7.0),
                (97, 7.0),
                (last, 1.3),
            ]
        };
        let candidates = column_ending_at(115);
        let mut chain: Vec<usize> = (0..candidates.len()).collect();
        trim_weak_last(&mut chain, &candidates, 120, 21.0);
        assert_eq!(chain, vec![0, 1, 2, 3, 4]);
        // Closing a level as tall as the one above, it is kept.
        let candidates = column_ending_at(123);
        let mut chain: Vec<usize> = (0..candidates.len()).collect();
        trim_weak_last(&mut chain, &candidates, 128, 21.0);
        assert_eq!(chain.len(), 6);
    }
}
