//! The straightened rib: a centreline from the rib's anatomy mask
//! (centroids of geodesic-distance bins from the head), and the CT
//! sampled on cross-sections perpendicular to it at even steps (a curved
//! planar reformat, the view a reader unfolds ribs in).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use aisu::Mask;
use volume::{Volume, cross, norm, sample_linear};

use crate::constants::{RIBFX_BIN_MM, RIBFX_SECTION_HALF_MM, RIBFX_STEP_MM};
use crate::sub;

/// One rib's cross-sections along its centreline.
#[derive(Debug, Clone)]
pub struct Straight {
    /// Station centres, LPS mm, [`RIBFX_STEP_MM`] apart along the rib
    /// from its head.
    pub centres: Vec<[f64; 3]>,
    /// Pixels per section side (odd; the centre pixel is the centreline).
    pub side: usize,
    /// CT values, HU: station-major, then `u`, then `v`.
    pub hu: Vec<f32>,
    /// Whether each sample falls in the rib's own mask.
    pub own: Vec<bool>,
    /// The section axes (u, v) of each station, LPS unit vectors.
    pub axes: Vec<([f64; 3], [f64; 3])>,
}

impl Straight {
    /// Number of stations.
    pub fn len(&self) -> usize {
        self.centres.len()
    }

    /// Whether there is no station.
    pub fn is_empty(&self) -> bool {
        self.centres.is_empty()
    }

    /// Pixels per section.
    pub fn pixels(&self) -> usize {
        self.side * self.side
    }

    /// Offset of pixel `p` from the centreline in the section, mm (u, v).
    pub fn offset_mm(&self, p: usize) -> (f64, f64) {
        let half = (self.side / 2) as f64;
        (
            ((p / self.side) as f64 - half) * RIBFX_STEP_MM,
            ((p % self.side) as f64 - half) * RIBFX_STEP_MM,
        )
    }

    /// The LPS point at section offset (u, v) mm of station `k`.
    pub fn point(&self, k: usize, (du, dv): (f64, f64)) -> [f64; 3] {
        let (u, v) = self.axes[k];
        let c = self.centres[k];
        [
            c[0] + du * u[0] + dv * v[0],
            c[1] + du * u[1] + dv * v[1],
            c[2] + du * u[2] + dv * v[2],
        ]
    }
}

/// Geodesic distance (mm) from the mask voxel nearest `head` (LPS) to
/// every voxel of `mask` it reaches through 26-connected voxels, with the
/// voxels' full-grid indices; `None` for an empty mask.
fn geodesic_from(mask: &Mask, head: [f64; 3]) -> Option<Vec<([usize; 3], f64)>> {
    let g = *mask.grid();
    let off = mask.offset();
    let [cx, cy, cz] = mask.crop_dims();
    let mut slot = vec![u32::MAX; cx * cy * cz];
    let mut voxels: Vec<[usize; 3]> = Vec::new();
    mask.for_each(|x, y, z| {
        slot[(x - off[0]) + cx * ((y - off[1]) + cy * (z - off[2]))] = voxels.len() as u32;
        voxels.push([x, y, z]);
    });
    let head_index = g.lps_to_index(head);
    let dist2 = |v: &[usize; 3]| {
        (0..3)
            .map(|a| ((v[a] as f64 - head_index[a]) * g.spacing[a]).powi(2))
            .sum::<f64>()
    };
    let start =
        (0..voxels.len()).min_by(|&a, &b| dist2(&voxels[a]).total_cmp(&dist2(&voxels[b])))?;
    let mut dist = vec![f64::INFINITY; voxels.len()];
    dist[start] = 0.0;
    // Dijkstra on micrometres (integer keys for the heap).
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((0u64, start)));
    while let Some(Reverse((d_um, i))) = heap.pop() {
        let d = d_um as f64 / 1000.0;
        if d > dist[i] {
            continue;
        }
        let v = voxels[i];
        for dz in -1i64..=1 {
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let n = [v[0] as i64 + dx, v[1] as i64 + dy, v[2] as i64 + dz];
                    let local = [
                        n[0] - off[0] as i64,
                        n[1] - off[1] as i64,
                        n[2] - off[2] as i64,
                    ];
                    if local.iter().any(|&c| c < 0)
                        || local[0] >= cx as i64
                        || local[1] >= cy as i64
                        || local[2] >= cz as i64
                    {
                        continue;
                    }
                    let j =
                        slot[local[0] as usize + cx * (local[1] as usize + cy * local[2] as usize)];
                    if j == u32::MAX {
                        continue;
                    }
                    let step = ((dx as f64 * g.spacing[0]).powi(2)
                        + (dy as f64 * g.spacing[1]).powi(2)
                        + (dz as f64 * g.spacing[2]).powi(2))
                    .sqrt();
                    let nd = d + step;
                    if nd < dist[j as usize] {
                        dist[j as usize] = nd;
                        heap.push(Reverse(((nd * 1000.0) as u64, j as usize)));
                    }
                }
            }
        }
    }
    Some(
        voxels
            .into_iter()
            .zip(dist)
            .filter(|(_, d)| d.is_finite())
            .collect(),
    )
}

/// The rib's centreline, LPS mm, [`RIBFX_STEP_MM`] apart from the head:
/// the centroids of [`RIBFX_BIN_MM`] geodesic bins, smoothed over five
/// bins, resampled by arc length. `None` when fewer than five bins.
pub fn centreline(mask: &Mask, head: [f64; 3]) -> Option<Vec<[f64; 3]>> {
    let reached = geodesic_from(mask, head)?;
    let g = mask.grid();
    let bins = reached
        .iter()
        .map(|(_, d)| (d / RIBFX_BIN_MM) as usize)
        .max()?
        + 1;
    let mut sum = vec![([0.0f64; 3], 0usize); bins];
    for (v, d) in &reached {
        let p = g.index_to_lps([v[0] as f64, v[1] as f64, v[2] as f64]);
        let b = &mut sum[(d / RIBFX_BIN_MM) as usize];
        for (acc, c) in b.0.iter_mut().zip(p) {
            *acc += c;
        }
        b.1 += 1;
    }
    let pts: Vec<[f64; 3]> = sum
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| [s[0] / *n as f64, s[1] / *n as f64, s[2] / *n as f64])
        .collect();
    if pts.len() < 5 {
        return None;
    }
    let smooth: Vec<[f64; 3]> = (0..pts.len())
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(2), (i + 2).min(pts.len() - 1));
            let n = (hi - lo + 1) as f64;
            let mut m = [0.0; 3];
            for p in &pts[lo..=hi] {
                for a in 0..3 {
                    m[a] += p[a] / n;
                }
            }
            m
        })
        .collect();
    Some(resample_arc(&smooth, RIBFX_STEP_MM))
}

/// `points` resampled at even arc-length `step`, from the first point.
fn resample_arc(points: &[[f64; 3]], step: f64) -> Vec<[f64; 3]> {
    let mut out = vec![points[0]];
    let mut next = step;
    let mut at = 0.0;
    for w in points.windows(2) {
        let d = norm(sub(w[1], w[0]));
        while d > 0.0 && next <= at + d + 1e-9 {
            let t = ((next - at) / d).min(1.0);
            out.push([
                w[0][0] + t * (w[1][0] - w[0][0]),
                w[0][1] + t * (w[1][1] - w[0][1]),
                w[0][2] + t * (w[1][2] - w[0][2]),
            ]);
            next += step;
        }
        at += d;
    }
    out
}

/// Samples the CT and the rib's own mask on sections perpendicular to
/// `centres` (a frame with one axis horizontal where the rib allows).
pub fn straighten(ct: &Volume<i16>, own: &Mask, centres: Vec<[f64; 3]>) -> Straight {
    let g = ct.geometry();
    let half = (RIBFX_SECTION_HALF_MM / RIBFX_STEP_MM).round() as i64;
    let side = (2 * half + 1) as usize;
    let n = centres.len();
    let mut hu = Vec::with_capacity(n * side * side);
    let mut inside = Vec::with_capacity(n * side * side);
    let mut axes = Vec::with_capacity(n);
    for k in 0..n {
        let (a, b) = (k.saturating_sub(2), (k + 2).min(n - 1));
        let t = unit(sub(centres[b], centres[a])).unwrap_or([1.0, 0.0, 0.0]);
        let u = unit(cross(t, [0.0, 0.0, 1.0]))
            .or_else(|| unit(cross(t, [1.0, 0.0, 0.0])))
            .unwrap_or([0.0, 1.0, 0.0]);
        let v = cross(t, u);
        axes.push((u, v));
        for i in -half..=half {
            for j in -half..=half {
                let (du, dv) = (i as f64 * RIBFX_STEP_MM, j as f64 * RIBFX_STEP_MM);
                let p = [
                    centres[k][0] + du * u[0] + dv * v[0],
                    centres[k][1] + du * u[1] + dv * v[1],
                    centres[k][2] + du * u[2] + dv * v[2],
                ];
                let idx = g.lps_to_index(p);
                hu.push(sample_linear(ct, idx).unwrap_or(-1000.0) as f32);
                let r = idx.map(|c| c.round());
                inside.push(
                    r.iter().all(|&c| c >= 0.0)
                        && own.contains(r[0] as usize, r[1] as usize, r[2] as usize),
                );
            }
        }
    }
    Straight {
        centres,
        side,
        hu,
        own: inside,
        axes,
    }
}

fn unit(a: [f64; 3]) -> Option<[f64; 3]> {
    let n = norm(a);
    (n > 1e-3).then(|| [a[0] / n, a[1] / n, a[2] / n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arc_resampling_is_even() {
        let pts = [[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [3.0, 4.0, 0.0]];
        let out = resample_arc(&pts, 0.5);
        assert_eq!(out.len(), 15);
        for w in out.windows(2) {
            let d = norm(sub(w[1], w[0]));
            assert!(d <= 0.5 + 1e-9, "{d}");
        }
        assert!((out[14][1] - 4.0).abs() < 1e-9);
    }
}
