//! The Agatston score of the coronary lesions (module docs of
//! [`crate::calcium`]).

use volume::Volume;

use crate::constants::{CAC_HU, CAC_MIN_AREA_MM2, CAC_SLICE_MM, CAC_SOFT_TISSUE_HU, CAC_WEIGHT_HU};

/// Agatston density weight (1-4) of a lesion's peak HU; 0 below 130 HU.
pub fn weight(peak_hu: f32) -> f64 {
    CAC_WEIGHT_HU.iter().filter(|t| peak_hu >= **t).count() as f64
}

/// The score of a scan.
#[derive(Debug, Clone, Copy, Default)]
pub struct Score {
    /// Per territory (LM, LAD, LCx, RCA) on the method stated in
    /// `method`.
    pub by_vessel: [f64; 4],
    /// Per territory on the native slices, scaled by spacing / 3 mm.
    pub native_scaled: [f64; 4],
    /// Per territory as `by_vessel` with partial-volume lesion areas.
    pub partial_volume: [f64; 4],
    /// How `by_vessel` was obtained.
    pub method: &'static str,
}

/// 8-connected lesions of a 2D image: `value` per pixel (NaN outside
/// the candidates), `owner` (vessel + 1, 0 none); adds area x weight of
/// each lesion of at least 1 mm^2 to its peak pixel's vessel.
fn score_plane(
    value: &[f32],
    owner: &[u8],
    nx: usize,
    ny: usize,
    px_mm2: f64,
    out: &mut [f64; 4],
    pv: &mut [f64; 4],
) {
    let mut seen = vec![false; value.len()];
    let mut stack = Vec::new();
    let hit = |i: usize| owner[i] > 0 && value[i] >= CAC_HU;
    for start in 0..value.len() {
        if seen[start] || !hit(start) {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut count, mut peak, mut peak_i) = (0usize, f32::MIN, start);
        let mut members = Vec::new();
        while let Some(c) = stack.pop() {
            count += 1;
            members.push(c);
            if value[c] > peak {
                peak = value[c];
                peak_i = c;
            }
            let (x, y) = ((c % nx) as i64, (c / nx) as i64);
            for dy in -1..=1i64 {
                for dx in -1..=1i64 {
                    let (xx, yy) = (x + dx, y + dy);
                    if xx < 0 || yy < 0 || xx >= nx as i64 || yy >= ny as i64 {
                        continue;
                    }
                    let q = yy as usize * nx + xx as usize;
                    if !seen[q] && hit(q) {
                        seen[q] = true;
                        stack.push(q);
                    }
                }
            }
        }
        let area = count as f64 * px_mm2;
        if area >= CAC_MIN_AREA_MM2 {
            let k = owner[peak_i] as usize - 1;
            out[k] += area * weight(peak);
            // Partial-volume area: the calcium's excess over soft tissue
            // (lesion and its 8-neighbours) over its peak's excess.
            let mut ring = members.clone();
            for &c in &members {
                let (x, y) = ((c % nx) as i64, (c / nx) as i64);
                for dy in -1..=1i64 {
                    for dx in -1..=1i64 {
                        let (xx, yy) = (x + dx, y + dy);
                        if xx >= 0 && yy >= 0 && xx < nx as i64 && yy < ny as i64 {
                            ring.push(yy as usize * nx + xx as usize);
                        }
                    }
                }
            }
            ring.sort_unstable();
            ring.dedup();
            let bg = CAC_SOFT_TISSUE_HU;
            let mass: f64 = ring
                .iter()
                .filter(|&&i| !value[i].is_nan())
                .map(|&i| f64::from((value[i] - bg).max(0.0)))
                .sum();
            let pv_area = (mass * px_mm2 / f64::from((peak - bg).max(1.0))).min(area);
            pv[k] += pv_area * weight(peak);
        }
    }
}

/// Scores the lesions: `owner` holds vessel + 1 at each counted voxel of
/// the crop `hu`, whose first slice is slice `z0` of the scan.
pub fn score(hu: &Volume<i16>, owner: &[u8], z0: usize) -> Score {
    let g = hu.geometry();
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    let s = g.spacing;
    let px = s[0] * s[1];
    let h = hu.as_slice();
    // Native slices.
    let mut native = [0.0; 4];
    let mut native_pv = [0.0; 4];
    for z in 0..nz {
        let o = &owner[z * plane..(z + 1) * plane];
        if !o.iter().any(|v| *v > 0) {
            continue;
        }
        let v: Vec<f32> = h[z * plane..(z + 1) * plane]
            .iter()
            .map(|x| f32::from(*x))
            .collect();
        score_plane(&v, o, nx, ny, px, &mut native, &mut native_pv);
    }
    let factor = s[2] / CAC_SLICE_MM;
    let native_scaled = native.map(|a| a * factor);
    if s[2] >= CAC_SLICE_MM - 0.05 {
        return Score {
            by_vessel: native_scaled,
            native_scaled,
            partial_volume: native_pv.map(|a| a * factor),
            method: if (s[2] - CAC_SLICE_MM).abs() <= 0.05 {
                "native 3 mm slices"
            } else {
                "native slices scaled by spacing / 3 mm"
            },
        };
    }
    // 3 mm slabs: slab j covers scan slice coordinates
    // [j m - 0.5, (j + 1) m - 0.5] with m = 3 mm / spacing, from the
    // outer edge of the scan's first slice; each native slice weighs by
    // its overlap.
    let m = CAC_SLICE_MM / s[2];
    let first = z0 as f64 - 0.5;
    let last = (z0 + nz) as f64 - 0.5;
    let j0 = (first / m).floor() as i64;
    let j1 = (last / m).ceil() as i64;
    let mut slab = [0.0; 4];
    let mut slab_pv = [0.0; 4];
    let mut value = vec![0.0f32; plane];
    let mut own = vec![0u8; plane];
    for j in j0..=j1 {
        let (a, b) = (j as f64 * m - 0.5, (j + 1) as f64 * m - 0.5);
        let slices: Vec<(usize, f64)> = (0..nz)
            .filter_map(|z| {
                let k = (z0 + z) as f64;
                let w = ((k + 0.5).min(b) - (k - 0.5).max(a)).max(0.0);
                (w > 1e-9).then_some((z, w))
            })
            .collect();
        if slices.is_empty() {
            continue;
        }
        let any = slices
            .iter()
            .any(|&(z, _)| owner[z * plane..(z + 1) * plane].iter().any(|v| *v > 0));
        if !any {
            continue;
        }
        let wsum: f64 = slices.iter().map(|x| x.1).sum();
        for i in 0..plane {
            let mut votes = [0u32; 5];
            for &(z, _) in &slices {
                votes[owner[z * plane + i] as usize] += 1;
            }
            let best = (1..5).max_by_key(|&k| (votes[k], std::cmp::Reverse(k)));
            own[i] = match best {
                Some(k) if votes[k] > 0 => k as u8,
                _ => 0,
            };
            let v: f64 = slices
                .iter()
                .map(|&(z, w)| w * f64::from(h[z * plane + i]))
                .sum();
            value[i] = (v / wsum) as f32;
        }
        score_plane(&value, &own, nx, ny, px, &mut slab, &mut slab_pv);
    }
    Score {
        by_vessel: slab,
        native_scaled,
        partial_volume: slab_pv,
        method: "3 mm slabs averaged from the native slices",
    }
}
