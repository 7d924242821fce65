//! Shared machinery of the skeleton units (`airad.spine`, `airad.ribs`,
//! `airad.sternum`, `airad.shoulder`): a patient-aligned frame over the
//! voxel grid, per-slice facts about the body outline, crops of the CT,
//! 2D connected components and a per-slice ("2D") opening.
//!
//! All skeleton units work in "patient millimetres" measured from voxel
//! (0, 0, 0): `+x` towards the patient's left, `+y` posterior, `+z`
//! superior, whatever the storage order of the series. Only axial series
//! (slice normal within about 25 degrees of the body axis) are handled;
//! other orientations are declared not assessable.

use aisu::{AisuError, Mask};
use rayon::prelude::*;
use volume::{Geometry, Volume};

use crate::util::err;

/// Index <-> patient millimetre conversion for an axial grid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Voxel spacing, mm.
    pub s: [f64; 3],
    /// +1 when the index grows towards left / posterior / superior.
    pub sign: [f64; 3],
    /// Grid size `[x, y, z]`.
    pub dims: [usize; 3],
}

impl Frame {
    /// The frame of an axial grid; refuses oblique or non-axial series.
    pub fn new(g: &Geometry) -> Result<Frame, AisuError> {
        let d = g.direction;
        if d[0][0].abs() < 0.9 || d[1][1].abs() < 0.9 || d[2][2].abs() < 0.9 {
            return Err(AisuError::NotAssessable(
                "the skeleton units read axial series only".into(),
            ));
        }
        let sg = |v: f64| if v >= 0.0 { 1.0 } else { -1.0 };
        Ok(Frame {
            s: g.spacing,
            sign: [sg(d[0][0]), sg(d[1][1]), sg(d[2][2])],
            dims: g.dims,
        })
    }

    /// Patient millimetres (left, posterior, superior) of a continuous index.
    #[inline]
    pub fn mm(&self, i: [f64; 3]) -> [f64; 3] {
        [
            i[0] * self.s[0] * self.sign[0],
            i[1] * self.s[1] * self.sign[1],
            i[2] * self.s[2] * self.sign[2],
        ]
    }

    /// Continuous index of patient millimetres.
    #[inline]
    pub fn index(&self, p: [f64; 3]) -> [f64; 3] {
        [
            p[0] / (self.s[0] * self.sign[0]),
            p[1] / (self.s[1] * self.sign[1]),
            p[2] / (self.s[2] * self.sign[2]),
        ]
    }

    /// Patient z (mm, superior positive) of slice `z`.
    #[inline]
    pub fn z_mm(&self, z: usize) -> f64 {
        z as f64 * self.s[2] * self.sign[2]
    }

    /// Continuous slice index of a patient z.
    #[inline]
    pub fn z_index(&self, z_mm: f64) -> f64 {
        z_mm / (self.s[2] * self.sign[2])
    }
}

/// The body's outline on one axial slice (indices).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SliceBody {
    /// Mean x index.
    pub cx: f64,
    /// Mean y index.
    pub cy: f64,
    /// Smallest and largest y index.
    pub y: [usize; 2],
}

impl SliceBody {
    /// Anteroposterior depth, mm.
    pub fn depth_mm(&self, f: &Frame) -> f64 {
        (self.y[1] - self.y[0] + 1) as f64 * f.s[1]
    }

    /// The most anterior y index.
    pub fn anterior_y(&self, f: &Frame) -> usize {
        if f.sign[1] > 0.0 {
            self.y[0]
        } else {
            self.y[1]
        }
    }
}

/// Running sums of one slice: count, sum of x, sum of y, y range.
type SliceSums = (usize, f64, f64, [usize; 2]);

/// Per-slice outline of the body mask (`None` where the slice is empty).
pub(crate) fn body_slices(body: &Mask, nz: usize) -> Vec<Option<SliceBody>> {
    (0..nz)
        .into_par_iter()
        .map(|z| {
            let mut a: SliceSums = (0, 0.0, 0.0, [usize::MAX, 0]);
            body.for_each_in_slice(z, |x, y| {
                a.0 += 1;
                a.1 += x as f64;
                a.2 += y as f64;
                a.3 = [a.3[0].min(y), a.3[1].max(y)];
            });
            a
        })
        .map(|(n, sx, sy, yr)| {
            (n > 0).then(|| SliceBody {
                cx: sx / n as f64,
                cy: sy / n as f64,
                y: yr,
            })
        })
        .collect()
}

/// An axis-aligned box of the grid: first index and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Crop {
    /// First voxel `[x, y, z]`.
    pub lo: [usize; 3],
    /// Size `[x, y, z]`.
    pub n: [usize; 3],
}

impl Crop {
    /// The box `[lo, hi]` (inclusive), clamped to the grid.
    pub fn new(lo: [i64; 3], hi: [i64; 3], dims: [usize; 3]) -> Option<Crop> {
        let mut a = [0usize; 3];
        let mut n = [0usize; 3];
        for k in 0..3 {
            let l = lo[k].clamp(0, dims[k] as i64 - 1);
            let h = hi[k].clamp(0, dims[k] as i64 - 1);
            if h < l {
                return None;
            }
            a[k] = l as usize;
            n[k] = (h - l + 1) as usize;
        }
        Some(Crop { lo: a, n })
    }

    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.n[0] * self.n[1] * self.n[2]
    }

    /// Whether a full-grid voxel lies inside.
    #[inline]
    pub fn contains(&self, x: usize, y: usize, z: usize) -> bool {
        x >= self.lo[0]
            && y >= self.lo[1]
            && z >= self.lo[2]
            && x < self.lo[0] + self.n[0]
            && y < self.lo[1] + self.n[1]
            && z < self.lo[2] + self.n[2]
    }

    /// The CT values of the crop as `f32`.
    pub fn extract(&self, ct: &Volume<i16>) -> Vec<f32> {
        let [nx, ny, _] = ct.dims();
        let data = ct.as_slice();
        let mut out = Vec::with_capacity(self.len());
        for z in self.lo[2]..self.lo[2] + self.n[2] {
            for y in self.lo[1]..self.lo[1] + self.n[1] {
                let row = (z * ny + y) * nx;
                out.extend(
                    data[row + self.lo[0]..row + self.lo[0] + self.n[0]]
                        .iter()
                        .map(|v| *v as f32),
                );
            }
        }
        out
    }

    /// A geometry for crop-sized scratch volumes with the given spacing.
    pub fn geometry(&self, spacing: [f64; 3]) -> Geometry {
        Geometry::new(self.n, spacing, [0.0; 3])
    }
}

/// Smooths crop values in-plane (Gaussian of `sigma_mm`, none along z).
pub(crate) fn smooth_in_plane(
    values: Vec<f32>,
    crop: &Crop,
    spacing: [f64; 3],
    sigma_mm: f64,
) -> Result<Vec<f32>, AisuError> {
    let [nx, ny, nz] = crop.n;
    let arr = ndarray::Array3::from_shape_vec((nz, ny, nx), values)
        .map_err(|e| AisuError::Failed(e.to_string()))?;
    let mut v = Volume::new(arr, crop.geometry(spacing)).map_err(err)?;
    volume::gaussian_smooth_in_place(&mut v, [sigma_mm, sigma_mm, 0.0]).map_err(err)?;
    let (arr, _) = v.into_parts();
    Ok(arr.into_raw_vec_and_offset().0)
}

/// Opening of every axial slice of a crop mask by a disc of `radius_mm`.
pub(crate) fn open_2d(
    mask: Vec<bool>,
    crop: &Crop,
    spacing: [f64; 3],
    radius_mm: f64,
) -> Result<Vec<bool>, AisuError> {
    let [nx, ny, nz] = crop.n;
    let arr = ndarray::Array3::from_shape_vec((nz, ny, nx), mask)
        .map_err(|e| AisuError::Failed(e.to_string()))?;
    // A huge slice spacing turns the ball into a disc in each slice.
    let flat = [spacing[0], spacing[1], 1.0e5];
    let v = Volume::new(arr, crop.geometry(flat)).map_err(err)?;
    let opened = volume::open(&v, radius_mm).map_err(err)?;
    let (arr, _) = opened.into_parts();
    Ok(arr.into_raw_vec_and_offset().0)
}

/// A 2D connected component (8-connected) of one slice.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    /// Pixels.
    pub area: usize,
    /// Mean x and y (slice pixel indices).
    pub c: [f64; 2],
    /// Inclusive x range.
    pub x: [usize; 2],
    /// Inclusive y range.
    pub y: [usize; 2],
}

/// 8-connected components of a 2D mask (`nx * ny`, row-major): the label
/// image (0 background) and the components.
pub(crate) fn label_2d(mask: &[bool], nx: usize, ny: usize) -> (Vec<u32>, Vec<Blob>) {
    let mut labels = vec![0u32; nx * ny];
    let mut blobs = Vec::new();
    let mut stack = Vec::new();
    for start in 0..nx * ny {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        let label = blobs.len() as u32 + 1;
        let mut b = Blob {
            area: 0,
            c: [0.0; 2],
            x: [usize::MAX, 0],
            y: [usize::MAX, 0],
        };
        labels[start] = label;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % nx, i / nx);
            b.area += 1;
            b.c[0] += x as f64;
            b.c[1] += y as f64;
            b.x = [b.x[0].min(x), b.x[1].max(x)];
            b.y = [b.y[0].min(y), b.y[1].max(y)];
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (qx, qy) = (x as i64 + dx, y as i64 + dy);
                    if qx < 0 || qy < 0 || qx >= nx as i64 || qy >= ny as i64 {
                        continue;
                    }
                    let j = qx as usize + nx * qy as usize;
                    if mask[j] && labels[j] == 0 {
                        labels[j] = label;
                        stack.push(j);
                    }
                }
            }
        }
        b.c = [b.c[0] / b.area as f64, b.c[1] / b.area as f64];
        blobs.push(b);
    }
    (labels, blobs)
}

/// Fills, slice by slice, the holes of `mask` (`n` = `[nx, ny, nz]`): its
/// background regions enclosed on their slice (not reaching its edge) of
/// at most `max_area` pixels, and, with `min_mean` = `(values, floor)`,
/// only those whose mean of `values` (same layout as `mask`) is at least
/// `floor`.
pub(crate) fn fill_slice_holes(
    mask: &mut [bool],
    n: [usize; 3],
    max_area: f64,
    min_mean: Option<(&[f32], f32)>,
) {
    let [nx, ny, nz] = n;
    let per = nx * ny;
    if per == 0 {
        return;
    }
    // Slices are independent: one task each.
    mask[..per * nz]
        .par_chunks_mut(per)
        .enumerate()
        .for_each(|(z, plane)| {
            let inverse: Vec<bool> = plane.iter().map(|v| !*v).collect();
            let (labels, blobs) = label_2d(&inverse, nx, ny);
            // Per hole (by index into `blobs`): is its mean dense enough?
            let dense_enough: Option<Vec<bool>> = min_mean.map(|(values, floor)| {
                let mut sums = vec![0.0f64; blobs.len() + 1];
                for (l, v) in labels.iter().zip(&values[z * per..(z + 1) * per]) {
                    sums[*l as usize] += f64::from(*v);
                }
                blobs
                    .iter()
                    .enumerate()
                    .map(|(k, b)| sums[k + 1] / b.area as f64 >= f64::from(floor))
                    .collect()
            });
            let fill: Vec<bool> = std::iter::once(false)
                .chain(blobs.iter().enumerate().map(|(k, b)| {
                    let enclosed = b.x[0] > 0 && b.y[0] > 0 && b.x[1] + 1 < nx && b.y[1] + 1 < ny;
                    enclosed
                        && (b.area as f64) <= max_area
                        && dense_enough.as_ref().is_none_or(|ok| ok[k])
                }))
                .collect();
            for (v, l) in plane.iter_mut().zip(&labels) {
                if fill[*l as usize] {
                    *v = true;
                }
            }
        });
}

/// Linear interpolation of `table` (sorted by key) at `t`, clamped to the
/// ends; `None` for an empty table.
pub(crate) fn interpolate(table: &[(f64, f64)], t: f64) -> Option<f64> {
    let first = table.first()?;
    let last = table.last()?;
    if t <= first.0 {
        return Some(first.1);
    }
    if t >= last.0 {
        return Some(last.1);
    }
    let k = table.partition_point(|(a, _)| *a <= t);
    let (a, b) = (table[k - 1], table[k]);
    let w = if b.0 > a.0 {
        (t - a.0) / (b.0 - a.0)
    } else {
        0.0
    };
    Some(a.1 + w * (b.1 - a.1))
}

/// Median of a slice of numbers (`None` when empty).
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

/// Masks on the CT grid from a label crop: one mask per wanted label
/// value (0 is background), each cut to its own bounding box (one pass
/// over the crop finds every label's box; a pass over the whole grid per
/// label cost 0.6 s for the 24 ribs of a 512 x 512 x 300 scan).
pub(crate) fn masks_from_labels(
    grid: &Geometry,
    crop: &Crop,
    labels: &[u8],
    wanted: &[u8],
) -> Vec<(u8, Mask)> {
    use rayon::prelude::*;
    let [cx, cy, _] = crop.n;
    let boxes = label_boxes(labels, crop.n);
    wanted
        .par_iter()
        .map(|&k| {
            let Some((lo, hi)) = boxes[k as usize].filter(|_| k != 0) else {
                return (k, Mask::empty(*grid));
            };
            let dims = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
            let mut bits = Vec::with_capacity(dims[0] * dims[1] * dims[2]);
            for z in lo[2]..=hi[2] {
                for y in lo[1]..=hi[1] {
                    let row = cx * (y + cy * z);
                    bits.extend(labels[row + lo[0]..=row + hi[0]].iter().map(|v| *v == k));
                }
            }
            let offset = [crop.lo[0] + lo[0], crop.lo[1] + lo[1], crop.lo[2] + lo[2]];
            // The box lies inside the crop, which lies inside the grid.
            let mask =
                Mask::from_crop(*grid, offset, dims, bits).unwrap_or_else(|_| Mask::empty(*grid));
            (k, mask)
        })
        .collect()
}

/// Inclusive `[x, y, z]` bounding box of each label value (index = value)
/// in a label grid of size `dims`, in one pass; `None` for values absent
/// and for 0 (background).
pub(crate) fn label_boxes(
    labels: &[u8],
    dims: [usize; 3],
) -> Vec<Option<([usize; 3], [usize; 3])>> {
    type Boxes = Vec<Option<([usize; 3], [usize; 3])>>;
    let [nx, ny, nz] = dims;
    let per = nx * ny;
    if per == 0 || labels.len() < per * nz {
        return vec![None; 256];
    }
    let merge = |mut a: Boxes, b: Boxes| {
        for (x, y) in a.iter_mut().zip(b) {
            *x = match (*x, y) {
                (Some((alo, ahi)), Some((blo, bhi))) => Some((
                    std::array::from_fn(|k| alo[k].min(blo[k])),
                    std::array::from_fn(|k| ahi[k].max(bhi[k])),
                )),
                (a, b) => a.or(b),
            };
        }
        a
    };
    // Slices in parallel; within a slice, rows and columns by position.
    labels[..per * nz]
        .par_chunks(per)
        .enumerate()
        .map(|(z, slice)| {
            let mut boxes: Boxes = vec![None; 256];
            for (y, row) in slice.chunks(nx).enumerate() {
                for (x, l) in row.iter().enumerate().filter(|(_, l)| **l != 0) {
                    let p = [x, y, z];
                    let (lo, hi) = boxes[*l as usize].get_or_insert((p, p));
                    lo[0] = lo[0].min(x);
                    hi[0] = hi[0].max(x);
                    hi[1] = y;
                }
            }
            boxes
        })
        .reduce(|| vec![None; 256], merge)
}

/// Per-slice row and column extents of the body: a cheap test of being
/// at least some millimetres inside the skin (an erosion for a convex
/// outline). Sharp kernels overshoot at the skin, which then passes bone
/// thresholds.
pub(crate) struct BodyExtents {
    nx: usize,
    ny: usize,
    rows: Vec<[u16; 2]>,
    cols: Vec<[u16; 2]>,
}

impl BodyExtents {
    /// Extents of a body mask.
    pub fn new(body: &Mask, dims: [usize; 3]) -> BodyExtents {
        let [nx, ny, nz] = dims;
        let mut rows = vec![[u16::MAX, 0u16]; ny * nz];
        let mut cols = vec![[u16::MAX, 0u16]; nx * nz];
        if nx > 0 && ny > 0 {
            rows.par_chunks_mut(ny)
                .zip(cols.par_chunks_mut(nx))
                .enumerate()
                .for_each(|(z, (rows, cols))| {
                    body.for_each_in_slice(z, |x, y| {
                        let r = &mut rows[y];
                        r[0] = r[0].min(x as u16);
                        r[1] = r[1].max(x as u16);
                        let c = &mut cols[x];
                        c[0] = c[0].min(y as u16);
                        c[1] = c[1].max(y as u16);
                    });
                });
        }
        BodyExtents { nx, ny, rows, cols }
    }

    /// Whether voxel (x, y, z) lies at least `mx` pixels from the body's
    /// edge along its row and `my` pixels along its column.
    #[inline]
    pub fn inside(&self, x: usize, y: usize, z: usize, mx: usize, my: usize) -> bool {
        let r = self.rows[y + self.ny * z];
        let c = self.cols[x + self.nx * z];
        r[0] != u16::MAX
            && c[0] != u16::MAX
            && x >= r[0] as usize + mx
            && x + mx <= r[1] as usize
            && y >= c[0] as usize + my
            && y + my <= c[1] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_found_with_their_extent() {
        let (nx, ny) = (6, 4);
        let mut m = vec![false; nx * ny];
        for (x, y) in [(0, 0), (1, 1), (4, 2), (5, 3), (5, 2)] {
            m[x + nx * y] = true;
        }
        let (labels, blobs) = label_2d(&m, nx, ny);
        assert_eq!(blobs.len(), 2);
        assert_eq!(blobs[0].area, 2);
        assert_eq!(blobs[1].x, [4, 5]);
        assert_eq!(labels[5 + nx * 3], 2);
    }

    #[test]
    fn label_masks_match_a_whole_grid_pass() {
        let grid = Geometry::new([9, 8, 5], [0.8, 0.8, 2.0], [0.0; 3]);
        let crop = Crop {
            lo: [2, 1, 1],
            n: [5, 6, 3],
        };
        let mut labels = vec![0u8; crop.len()];
        for (i, l) in [(0, 1u8), (7, 1), (40, 3), (89, 3), (50, 1)] {
            labels[i] = l;
        }
        let masks = masks_from_labels(&grid, &crop, &labels, &[1, 2, 3]);
        assert_eq!(masks.len(), 3);
        for (k, mask) in masks {
            let mut full = Volume::filled(grid, false);
            for (i, l) in labels.iter().enumerate() {
                let p = [i % 5, (i / 5) % 6, i / 30];
                if *l == k {
                    let q = [crop.lo[0] + p[0], crop.lo[1] + p[1], crop.lo[2] + p[2]];
                    full.as_slice_mut()[q[0] + 9 * (q[1] + 8 * q[2])] = true;
                }
            }
            let want = Mask::from_volume(&full);
            assert_eq!(mask.count(), want.count(), "label {k}");
            assert_eq!(mask.offset(), want.offset(), "label {k}");
            assert_eq!(mask.to_volume().as_slice(), full.as_slice(), "label {k}");
        }
    }

    #[test]
    fn interpolation_clamps_and_blends() {
        let t = [(0.0, 1.0), (10.0, 3.0)];
        assert_eq!(interpolate(&t, -5.0), Some(1.0));
        assert_eq!(interpolate(&t, 5.0), Some(2.0));
        assert_eq!(interpolate(&t, 50.0), Some(3.0));
        assert_eq!(interpolate(&[], 1.0), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    }
}
