//! Shared machinery of the mediastinum and upper-abdomen units: a coarse,
//! smoothed "work grid" in canonical orientation, conversions of masks
//! between it and the CT grid, and the rendering of tubes (centreline plus
//! radii) as masks.
//!
//! The work grid holds block means of the CT over a crop (about 1.5 mm in
//! plane, 2.5-8 mm between slices), lightly smoothed in plane, with its
//! axes turned so that x runs to the patient's left, y to the back and z
//! upwards whatever the scan's orientation. Positions on it are given in
//! "work millimetres": index times spacing. Block averaging lowers the
//! noise of thin, sharp-kernel scans to that of a soft reconstruction and
//! makes the mediastinal units cost a fraction of full resolution.

use aisu::{AisuError, Mask};
use rayon::prelude::*;
use volume::{Geometry, Volume};

use crate::util::err;

/// A cropped, block-averaged, canonically oriented copy of the CT.
pub struct WorkGrid {
    /// Smoothed mean HU; x to the left, y to the back, z upwards.
    pub hu: Volume<f32>,
    src: Geometry,
    lo: [usize; 3],
    f: [usize; 3],
    flip: [bool; 3],
}

impl WorkGrid {
    /// Builds the work grid over the inclusive CT index box `lo..=hi`, with
    /// block sizes near `target_mm` and an in-plane Gaussian of `sigma_mm`.
    /// Fails on oblique (non-axial) acquisitions.
    pub fn new(
        ct: &Volume<i16>,
        lo: [usize; 3],
        hi: [usize; 3],
        target_mm: [f64; 3],
        sigma_mm: f64,
    ) -> Result<WorkGrid, AisuError> {
        let src = *ct.geometry();
        for a in 0..3 {
            if src.direction[a][a].abs() < 0.9 {
                return Err(AisuError::NotAssessable(
                    "the mediastinal units need an axial acquisition".into(),
                ));
            }
        }
        let dims = src.dims;
        let mut f = [1usize; 3];
        let mut n = [1usize; 3];
        let mut lo = lo;
        for a in 0..3 {
            let hi_a = hi[a].min(dims[a].saturating_sub(1));
            lo[a] = lo[a].min(hi_a);
            let len = hi_a - lo[a] + 1;
            f[a] = ((target_mm[a] / src.spacing[a]).round() as usize).clamp(1, len.max(1));
            n[a] = (len / f[a]).max(1);
        }
        let flip = [
            src.direction[0][0] < 0.0,
            src.direction[1][1] < 0.0,
            src.direction[2][2] < 0.0,
        ];
        let data = ct.as_slice();
        let [sx, sy, _] = dims;
        let plane = n[0] * n[1];
        let mut hu = vec![0f32; plane * n[2]];
        hu.par_chunks_mut(plane).enumerate().for_each(|(k, out)| {
            let bz = if flip[2] { n[2] - 1 - k } else { k };
            let z0 = lo[2] + bz * f[2];
            let mut acc = vec![0f64; plane];
            for z in z0..z0 + f[2] {
                for j in 0..n[1] {
                    let by = if flip[1] { n[1] - 1 - j } else { j };
                    for y in lo[1] + by * f[1]..lo[1] + (by + 1) * f[1] {
                        let row = &data[(z * sy + y) * sx..(z * sy + y + 1) * sx];
                        for i in 0..n[0] {
                            let bx = if flip[0] { n[0] - 1 - i } else { i };
                            let x0 = lo[0] + bx * f[0];
                            let s: i32 = row[x0..x0 + f[0]].iter().map(|v| *v as i32).sum();
                            acc[i + n[0] * j] += s as f64;
                        }
                    }
                }
            }
            let norm = (f[0] * f[1] * f[2]) as f64;
            for (o, a) in out.iter_mut().zip(acc) {
                *o = (a / norm) as f32;
            }
        });
        let spacing = [
            src.spacing[0] * f[0] as f64,
            src.spacing[1] * f[1] as f64,
            src.spacing[2] * f[2] as f64,
        ];
        let geometry = Geometry::new(n, spacing, [0.0; 3]);
        let array = ndarray::Array3::from_shape_vec((n[2], n[1], n[0]), hu)
            .map_err(|e| AisuError::Failed(e.to_string()))?;
        let mut hu = Volume::new(array, geometry).map_err(err)?;
        if sigma_mm > 0.0 {
            volume::gaussian_smooth_in_place(&mut hu, [sigma_mm, sigma_mm, 0.0]).map_err(err)?;
        }
        Ok(WorkGrid {
            hu,
            src,
            lo,
            f,
            flip,
        })
    }

    /// Work-grid dimensions.
    pub fn dims(&self) -> [usize; 3] {
        self.hu.dims()
    }

    /// Work-grid spacing, mm.
    pub fn spacing(&self) -> [f64; 3] {
        self.hu.spacing()
    }

    /// Source index (fractional) of a work index.
    fn src_index(&self, w: [f64; 3]) -> [f64; 3] {
        let n = self.dims();
        let mut s = [0.0; 3];
        for a in 0..3 {
            let b = if self.flip[a] {
                n[a] as f64 - 1.0 - w[a]
            } else {
                w[a]
            };
            s[a] = self.lo[a] as f64 + b * self.f[a] as f64 + (self.f[a] as f64 - 1.0) / 2.0;
        }
        s
    }

    /// Work index (fractional) of a source index.
    fn work_index(&self, s: [f64; 3]) -> [f64; 3] {
        let n = self.dims();
        let mut w = [0.0; 3];
        for a in 0..3 {
            let b = (s[a] - self.lo[a] as f64 - (self.f[a] as f64 - 1.0) / 2.0) / self.f[a] as f64;
            w[a] = if self.flip[a] {
                n[a] as f64 - 1.0 - b
            } else {
                b
            };
        }
        w
    }

    /// LPS position (mm) of a point given in work millimetres.
    pub fn lps(&self, mm: [f64; 3]) -> [f64; 3] {
        let s = self.spacing();
        self.src
            .index_to_lps(self.src_index([mm[0] / s[0], mm[1] / s[1], mm[2] / s[2]]))
    }

    /// Work millimetres of an LPS position.
    pub fn work_mm(&self, lps: [f64; 3]) -> [f64; 3] {
        let s = self.spacing();
        let w = self.work_index(self.src.lps_to_index(lps));
        [w[0] * s[0], w[1] * s[1], w[2] * s[2]]
    }

    /// Linear index of work voxel `[x, y, z]`.
    #[inline]
    pub fn idx(&self, x: usize, y: usize, z: usize) -> usize {
        let [nx, ny, _] = self.dims();
        x + nx * (y + ny * z)
    }

    /// Trilinear HU at a point in work millimetres (clamped to the grid).
    pub fn sample_mm(&self, p: [f64; 3]) -> f32 {
        let s = self.spacing();
        let n = self.dims();
        let d = self.hu.as_slice();
        let mut i0 = [0usize; 3];
        let mut t = [0f64; 3];
        for a in 0..3 {
            let v = (p[a] / s[a]).clamp(0.0, (n[a] - 1) as f64);
            let f = v.floor();
            i0[a] = (f as usize).min(n[a].saturating_sub(2));
            t[a] = if n[a] > 1 { v - i0[a] as f64 } else { 0.0 };
        }
        let at = |dx: usize, dy: usize, dz: usize| -> f64 {
            let x = (i0[0] + dx).min(n[0] - 1);
            let y = (i0[1] + dy).min(n[1] - 1);
            let z = (i0[2] + dz).min(n[2] - 1);
            d[x + n[0] * (y + n[1] * z)] as f64
        };
        let mut v = 0.0;
        for (dz, wz) in [(0, 1.0 - t[2]), (1, t[2])] {
            for (dy, wy) in [(0, 1.0 - t[1]), (1, t[1])] {
                for (dx, wx) in [(0, 1.0 - t[0]), (1, t[0])] {
                    let w = wx * wy * wz;
                    if w > 0.0 {
                        v += w * at(dx, dy, dz);
                    }
                }
            }
        }
        v as f32
    }

    /// A CT-grid mask on the work grid (each work voxel takes the value of
    /// the CT voxel at its block centre).
    pub fn from_mask(&self, m: &Mask) -> Volume<bool> {
        let g = *self.hu.geometry();
        let mut out = Volume::filled(g, false);
        let [nx, ny, _] = g.dims;
        let Some((mlo, mhi)) = crop_box(m) else {
            return out;
        };
        // The work-index box of the mask's crop box.
        let a = self.work_index([mlo[0] as f64, mlo[1] as f64, mlo[2] as f64]);
        let b = self.work_index([mhi[0] as f64, mhi[1] as f64, mhi[2] as f64]);
        let dims = [nx, ny, g.dims[2]];
        let range = |k: usize| -> (usize, usize) {
            let (l, h) = (a[k].min(b[k]).floor() - 1.0, a[k].max(b[k]).ceil() + 1.0);
            (
                l.clamp(0.0, (dims[k] - 1) as f64) as usize,
                h.clamp(0.0, (dims[k] - 1) as f64) as usize,
            )
        };
        let (rx, ry, rz) = (range(0), range(1), range(2));
        let sxs: Vec<usize> = (0..nx)
            .map(|i| self.src_index([i as f64, 0.0, 0.0])[0].round() as usize)
            .collect();
        let sys: Vec<usize> = (0..ny)
            .map(|j| self.src_index([0.0, j as f64, 0.0])[1].round() as usize)
            .collect();
        out.as_slice_mut()
            .par_chunks_mut(nx * ny)
            .enumerate()
            .for_each(|(k, plane)| {
                if k < rz.0 || k > rz.1 {
                    return;
                }
                let sz = self.src_index([0.0, 0.0, k as f64])[2].round() as usize;
                if sz < mlo[2] || sz > mhi[2] {
                    return;
                }
                for j in ry.0..=ry.1 {
                    for i in rx.0..=rx.1 {
                        plane[i + nx * j] = m.contains(sxs[i], sys[j], sz);
                    }
                }
            });
        out
    }

    /// A work-grid mask on the CT grid: bilinear in plane (nearest between
    /// slices), kept at 0.5; voxels outside the crop are unset.
    pub fn to_mask(&self, w: &Volume<bool>) -> Mask {
        let full = self.to_full(w, |_, _, _| true);
        Mask::from_volume(&full)
    }

    /// As [`WorkGrid::to_mask`], keeping only CT voxels for which `keep`
    /// holds, as a full-grid volume.
    pub fn to_full(
        &self,
        w: &Volume<bool>,
        keep: impl Fn(usize, usize, usize) -> bool + Sync,
    ) -> Volume<bool> {
        let mut full = Volume::filled(self.src, false);
        let [sx, sy, sz] = self.src.dims;
        let n = self.dims();
        let wd = w.as_slice();
        // Source ranges covered by the crop.
        let hi: Vec<usize> = (0..3)
            .map(|a| (self.lo[a] + n[a] * self.f[a]).min(self.src.dims[a]))
            .collect();
        let (lo, f) = (self.lo, self.f);
        let wxs: Vec<f64> = (lo[0]..hi[0])
            .map(|x| self.work_index([x as f64, 0.0, 0.0])[0])
            .collect();
        let wys: Vec<f64> = (lo[1]..hi[1])
            .map(|y| self.work_index([0.0, y as f64, 0.0])[1])
            .collect();
        full.as_slice_mut()
            .par_chunks_mut(sx * sy)
            .enumerate()
            .for_each(|(z, plane)| {
                if z < lo[2] || z >= hi[2] || z >= sz {
                    return;
                }
                let wz = self.work_index([0.0, 0.0, z as f64])[2].round() as usize;
                let wz = wz.min(n[2] - 1);
                let at = |i: i64, j: i64| -> f64 {
                    if i < 0 || j < 0 || i >= n[0] as i64 || j >= n[1] as i64 {
                        0.0
                    } else {
                        f64::from(u8::from(wd[i as usize + n[0] * (j as usize + n[1] * wz)]))
                    }
                };
                let _ = f;
                let slice = &wd[n[0] * n[1] * wz..n[0] * n[1] * (wz + 1)];
                let (mut i_lo, mut i_hi, mut j_lo, mut j_hi) = (usize::MAX, 0, usize::MAX, 0);
                for (p, v) in slice.iter().enumerate() {
                    if *v {
                        i_lo = i_lo.min(p % n[0]);
                        i_hi = i_hi.max(p % n[0]);
                        j_lo = j_lo.min(p / n[0]);
                        j_hi = j_hi.max(p / n[0]);
                    }
                }
                if i_lo == usize::MAX {
                    return;
                }
                let near = |w: f64, l: usize, h: usize| w >= l as f64 - 1.0 && w <= h as f64 + 1.0;
                for y in lo[1]..hi[1] {
                    let wy = wys[y - lo[1]];
                    if !near(wy, j_lo, j_hi) {
                        continue;
                    }
                    let j0 = wy.floor() as i64;
                    let ty = wy - j0 as f64;
                    for x in lo[0]..hi[0] {
                        let wx = wxs[x - lo[0]];
                        if !near(wx, i_lo, i_hi) {
                            continue;
                        }
                        let i0 = wx.floor() as i64;
                        let tx = wx - i0 as f64;
                        let v = (1.0 - tx) * (1.0 - ty) * at(i0, j0)
                            + tx * (1.0 - ty) * at(i0 + 1, j0)
                            + (1.0 - tx) * ty * at(i0, j0 + 1)
                            + tx * ty * at(i0 + 1, j0 + 1);
                        if v >= 0.5 && keep(x, y, z) {
                            plane[x + sx * y] = true;
                        }
                    }
                }
            });
        full
    }

    /// The CT geometry.
    pub fn ct_geometry(&self) -> &Geometry {
        &self.src
    }
}

/// The inclusive CT index box of a mask's bounding box grown by `margin_mm`
/// (clamped to the grid), or `None` for an empty mask.
pub fn grown_bbox(m: &Mask, margin_mm: [f64; 3]) -> Option<([usize; 3], [usize; 3])> {
    let (lo, hi) = crop_box(m)?;
    let g = m.grid();
    let mut a = [0usize; 3];
    let mut b = [0usize; 3];
    for k in 0..3 {
        let d = (margin_mm[k] / g.spacing[k]).ceil() as usize;
        a[k] = lo[k].saturating_sub(d);
        b[k] = (hi[k] + d).min(g.dims[k] - 1);
    }
    Some((a, b))
}

/// The inclusive index box a mask is stored in (its bounding box, as
/// masks are cropped to it), without visiting its voxels.
pub fn crop_box(m: &Mask) -> Option<([usize; 3], [usize; 3])> {
    let (o, d) = (m.offset(), m.crop_dims());
    if d.contains(&0) {
        return None;
    }
    Some((o, [o[0] + d[0] - 1, o[1] + d[1] - 1, o[2] + d[2] - 1]))
}

/// The union of two inclusive boxes.
pub fn union_box(
    a: ([usize; 3], [usize; 3]),
    b: ([usize; 3], [usize; 3]),
) -> ([usize; 3], [usize; 3]) {
    (
        [a.0[0].min(b.0[0]), a.0[1].min(b.0[1]), a.0[2].min(b.0[2])],
        [a.1[0].max(b.1[0]), a.1[1].max(b.1[1]), a.1[2].max(b.1[2])],
    )
}

/// Renders a tube (points in LPS mm with radii) on the CT grid, keeping
/// voxels for which `keep(x, y, z)` holds. Consecutive points are joined
/// by truncated cones; each point is a ball.
pub fn tube_volume(
    grid: &Geometry,
    points: &[[f64; 3]],
    radii: &[f64],
    keep: impl Fn(usize, usize, usize) -> bool + Sync,
) -> Volume<bool> {
    let mut out = Volume::filled(*grid, false);
    if points.is_empty() || points.len() != radii.len() {
        return out;
    }
    let [nx, ny, nz] = grid.dims;
    // Index box of the whole tube.
    let rmax = radii.iter().cloned().fold(0.0, f64::max);
    let mut lo = [f64::MAX; 3];
    let mut hi = [f64::MIN; 3];
    for p in points {
        for dx in [-1.0, 1.0] {
            for dy in [-1.0, 1.0] {
                for dz in [-1.0, 1.0] {
                    let q = [p[0] + dx * rmax, p[1] + dy * rmax, p[2] + dz * rmax];
                    let i = grid.lps_to_index(q);
                    for a in 0..3 {
                        lo[a] = lo[a].min(i[a]);
                        hi[a] = hi[a].max(i[a]);
                    }
                }
            }
        }
    }
    let clampi = |v: f64, n: usize| -> usize { v.clamp(0.0, (n - 1) as f64) as usize };
    let (x0, x1) = (clampi(lo[0].floor(), nx), clampi(hi[0].ceil(), nx));
    let (y0, y1) = (clampi(lo[1].floor(), ny), clampi(hi[1].ceil(), ny));
    let (z0, z1) = (clampi(lo[2].floor(), nz), clampi(hi[2].ceil(), nz));
    let segs: Vec<([f64; 3], [f64; 3], f64, f64)> = if points.len() == 1 {
        vec![(points[0], points[0], radii[0], radii[0])]
    } else {
        points
            .windows(2)
            .zip(radii.windows(2))
            .map(|(p, r)| (p[0], p[1], r[0], r[1]))
            .collect()
    };
    out.as_slice_mut()
        .par_chunks_mut(nx * ny)
        .enumerate()
        .for_each(|(z, plane)| {
            if z < z0 || z > z1 {
                return;
            }
            // Segments reaching this slice.
            let zc = grid.index_to_lps([0.0, 0.0, z as f64]);
            let near: Vec<&([f64; 3], [f64; 3], f64, f64)> = segs
                .iter()
                .filter(|s| {
                    let r = s.2.max(s.3) + grid.spacing[2];
                    let (a, b) = (s.0[2].min(s.1[2]), s.0[2].max(s.1[2]));
                    // LPS z of this slice along the slice normal (axial).
                    let zz = zc[2] + 0.0;
                    zz >= a - r && zz <= b + r
                })
                .collect();
            if near.is_empty() {
                return;
            }
            // This slice's box: the near segments' ends grown by their radii.
            let (mut bx0, mut bx1, mut by0, mut by1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
            for (a, b, ra, rb) in &near {
                let r = ra.max(*rb);
                for q in [a, b] {
                    for (dx, dy) in [(-r, -r), (r, r), (-r, r), (r, -r)] {
                        let i = grid.lps_to_index([q[0] + dx, q[1] + dy, zc[2]]);
                        bx0 = bx0.min(i[0]);
                        bx1 = bx1.max(i[0]);
                        by0 = by0.min(i[1]);
                        by1 = by1.max(i[1]);
                    }
                }
            }
            let (sx0, sx1) = (
                clampi(bx0.floor(), nx).max(x0),
                clampi(bx1.ceil(), nx).min(x1),
            );
            let (sy0, sy1) = (
                clampi(by0.floor(), ny).max(y0),
                clampi(by1.ceil(), ny).min(y1),
            );
            for y in sy0..=sy1 {
                for x in sx0..=sx1 {
                    let p = grid.index_to_lps([x as f64, y as f64, z as f64]);
                    let inside = near.iter().any(|(a, b, ra, rb)| {
                        let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
                        let l2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                        let v = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
                        let t = if l2 > 0.0 {
                            ((v[0] * d[0] + v[1] * d[1] + v[2] * d[2]) / l2).clamp(0.0, 1.0)
                        } else {
                            0.0
                        };
                        let q = [v[0] - t * d[0], v[1] - t * d[1], v[2] - t * d[2]];
                        let r = ra + t * (rb - ra);
                        q[0] * q[0] + q[1] * q[1] + q[2] * q[2] <= r * r
                    });
                    if inside && keep(x, y, z) {
                        plane[x + nx * y] = true;
                    }
                }
            }
        });
    out
}

/// Exact 2D Euclidean distance (mm) from each pixel of a `nx` x `ny`
/// slice to the nearest unset pixel (Felzenszwalb & Huttenlocher 2012).
pub fn edt2d(mask: &[bool], nx: usize, ny: usize, sx: f64, sy: f64) -> Vec<f32> {
    const BIG: f64 = 1e20;
    let mut g = vec![0f64; nx * ny];
    // Columns (along y).
    let mut f = vec![0f64; ny.max(nx)];
    let mut out = vec![0f64; ny.max(nx)];
    for x in 0..nx {
        for y in 0..ny {
            f[y] = if mask[x + nx * y] { BIG } else { 0.0 };
        }
        dt1d(&f[..ny], sy, &mut out[..ny]);
        for y in 0..ny {
            g[x + nx * y] = out[y];
        }
    }
    let mut res = vec![0f32; nx * ny];
    for y in 0..ny {
        f[..nx].copy_from_slice(&g[y * nx..(y + 1) * nx]);
        dt1d(&f[..nx], sx, &mut out[..nx]);
        for x in 0..nx {
            res[x + nx * y] = out[x].sqrt() as f32;
        }
    }
    res
}

/// 1D squared distance transform of sampled function `f` with spacing `s`.
fn dt1d(f: &[f64], s: f64, d: &mut [f64]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    let mut v = vec![0usize; n];
    let mut z = vec![0f64; n + 1];
    let mut k = 0usize;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    let pos = |q: usize| q as f64 * s;
    for q in 1..n {
        loop {
            let p = v[k];
            let sq =
                ((f[q] + pos(q) * pos(q)) - (f[p] + pos(p) * pos(p))) / (2.0 * (pos(q) - pos(p)));
            if sq <= z[k] && k > 0 {
                k -= 1;
                continue;
            }
            if sq <= z[k] {
                v[0] = q;
                z[0] = f64::NEG_INFINITY;
                z[1] = f64::INFINITY;
                break;
            }
            k += 1;
            v[k] = q;
            z[k] = sq;
            z[k + 1] = f64::INFINITY;
            break;
        }
    }
    k = 0;
    for (q, dq) in d.iter_mut().enumerate().take(n) {
        while z[k + 1] < pos(q) {
            k += 1;
        }
        let p = v[k];
        *dq = (pos(q) - pos(p)).powi(2) + f[p];
    }
}

/// 4-connected components of a slice: a label per pixel (0 = unset) and
/// the pixel count of each label (`sizes[l - 1]`).
pub fn components2d(mask: &[bool], nx: usize, ny: usize) -> (Vec<u32>, Vec<usize>) {
    let mut labels = vec![0u32; nx * ny];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..nx * ny {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        let l = sizes.len() as u32 + 1;
        labels[start] = l;
        stack.push(start);
        let mut count = 0;
        while let Some(i) = stack.pop() {
            count += 1;
            let (x, y) = (i % nx, i / nx);
            let mut push = |j: usize| {
                if mask[j] && labels[j] == 0 {
                    labels[j] = l;
                    stack.push(j);
                }
            };
            if x > 0 {
                push(i - 1);
            }
            if x + 1 < nx {
                push(i + 1);
            }
            if y > 0 {
                push(i - nx);
            }
            if y + 1 < ny {
                push(i + nx);
            }
        }
        sizes.push(count);
    }
    (labels, sizes)
}

/// Convex hull of a slice's set pixels, filled (monotone chain).
pub fn convex_hull2d(mask: &[bool], nx: usize, ny: usize) -> Vec<bool> {
    let mut pts: Vec<(i64, i64)> = Vec::new();
    for y in 0..ny {
        let row = &mask[y * nx..(y + 1) * nx];
        // Only the extreme pixels of each row matter.
        if let (Some(a), Some(b)) = (row.iter().position(|v| *v), row.iter().rposition(|v| *v)) {
            pts.push((a as i64, y as i64));
            if b != a {
                pts.push((b as i64, y as i64));
            }
        }
    }
    let mut out = vec![false; nx * ny];
    if pts.len() < 3 {
        for (x, y) in pts {
            out[x as usize + nx * y as usize] = true;
        }
        return out;
    }
    pts.sort();
    let cross = |o: (i64, i64), a: (i64, i64), b: (i64, i64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(i64, i64)> = Vec::new();
    for &p in pts.iter().chain(pts.iter().rev().skip(1)) {
        while hull.len() >= 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    hull.pop();
    // Fill: a pixel is inside when it is left of (or on) every edge.
    let (ylo, yhi) = (
        hull.iter().map(|p| p.1).min().unwrap_or(0),
        hull.iter().map(|p| p.1).max().unwrap_or(0),
    );
    let m = hull.len();
    for y in ylo..=yhi {
        // Intersect the scanline with the polygon edges.
        let mut xs: Vec<f64> = Vec::new();
        for k in 0..m {
            let (a, b) = (hull[k], hull[(k + 1) % m]);
            if (a.1 <= y && b.1 >= y) || (b.1 <= y && a.1 >= y) {
                if a.1 == b.1 {
                    xs.push(a.0 as f64);
                    xs.push(b.0 as f64);
                } else {
                    let t = (y - a.1) as f64 / (b.1 - a.1) as f64;
                    xs.push(a.0 as f64 + t * (b.0 - a.0) as f64);
                }
            }
        }
        if xs.is_empty() {
            continue;
        }
        let x0 = xs.iter().cloned().fold(f64::MAX, f64::min).ceil().max(0.0) as usize;
        let x1 = xs.iter().cloned().fold(f64::MIN, f64::max).floor() as i64;
        for x in x0 as i64..=x1.min(nx as i64 - 1) {
            out[x as usize + nx * y as usize] = true;
        }
    }
    out
}

/// The work grid over the lungs' bounding box, grown by `margin_mm` in
/// plane, `below_mm` downwards and `above_mm` upwards (CT z direction
/// taken into account), with blocks near `target_mm`.
pub fn thorax_grid(
    ct: &Volume<i16>,
    lungs: &[&Mask],
    margin_mm: f64,
    below_mm: f64,
    above_mm: f64,
    target_mm: [f64; 3],
) -> Result<WorkGrid, AisuError> {
    let mut bbox: Option<([usize; 3], [usize; 3])> = None;
    for m in lungs {
        if let Some(b) = grown_bbox(m, [margin_mm, margin_mm, 0.0]) {
            bbox = Some(match bbox {
                Some(a) => union_box(a, b),
                None => b,
            });
        }
    }
    let Some((mut lo, mut hi)) = bbox else {
        return Err(AisuError::NotAssessable(
            "no lung in the field of view".into(),
        ));
    };
    let g = ct.geometry();
    let up = g.direction[2][2] >= 0.0;
    let (add_lo, add_hi) = if up {
        (below_mm, above_mm)
    } else {
        (above_mm, below_mm)
    };
    let dz = g.spacing[2];
    lo[2] = lo[2].saturating_sub((add_lo / dz).ceil() as usize);
    hi[2] = (hi[2] + (add_hi / dz).ceil() as usize).min(g.dims[2] - 1);
    WorkGrid::new(ct, lo, hi, target_mm, 1.0)
}

/// Work-grid facts about the lungs used by every mediastinal unit.
pub struct LungFacts {
    /// Both lungs on the work grid.
    pub lungs: Volume<bool>,
    /// Lowest and highest work-mm z holding lung.
    pub z_range: (f64, f64),
    /// Work-mm x of the thorax midline (centre of the lungs' extent).
    pub mid_x: f64,
    /// Per work slice: (min y, max y) of lung in work mm, when any.
    pub y_extent: Vec<Option<(f64, f64)>>,
}

impl LungFacts {
    /// Gathers the facts from the lung masks.
    pub fn new(grid: &WorkGrid, lungs: &[&Mask]) -> Option<LungFacts> {
        let mut union: Option<Volume<bool>> = None;
        for m in lungs {
            let w = grid.from_mask(m);
            union = Some(match union {
                Some(mut u) => {
                    for (a, b) in u.as_slice_mut().iter_mut().zip(w.as_slice()) {
                        *a |= *b;
                    }
                    u
                }
                None => w,
            });
        }
        let lungs = union?;
        let [nx, ny, nz] = grid.dims();
        let s = grid.spacing();
        let d = lungs.as_slice();
        let (mut zlo, mut zhi) = (usize::MAX, 0usize);
        let (mut xlo, mut xhi) = (usize::MAX, 0usize);
        let mut y_extent = vec![None; nz];
        for z in 0..nz {
            let (mut ylo, mut yhi) = (usize::MAX, 0usize);
            for y in 0..ny {
                for x in 0..nx {
                    if d[x + nx * (y + ny * z)] {
                        ylo = ylo.min(y);
                        yhi = yhi.max(y);
                        xlo = xlo.min(x);
                        xhi = xhi.max(x);
                    }
                }
            }
            if ylo != usize::MAX {
                zlo = zlo.min(z);
                zhi = zhi.max(z);
                y_extent[z] = Some((ylo as f64 * s[1], yhi as f64 * s[1]));
            }
        }
        if zlo == usize::MAX {
            return None;
        }
        Some(LungFacts {
            lungs,
            z_range: (zlo as f64 * s[2], zhi as f64 * s[2]),
            mid_x: (xlo + xhi) as f64 / 2.0 * s[0],
            y_extent,
        })
    }

    /// Whether the work voxel nearest to `p` (work mm) is lung.
    pub fn is_lung(&self, grid: &WorkGrid, p: [f64; 3]) -> bool {
        let s = grid.spacing();
        let n = grid.dims();
        let k: Vec<usize> = (0..3)
            .map(|a| ((p[a] / s[a]).round().max(0.0) as usize).min(n[a] - 1))
            .collect();
        self.lungs.as_slice()[grid.idx(k[0], k[1], k[2])]
    }
}
