//! Grid helpers of the lung, lobe and airway units: index boxes, cropping
//! a volume to a box and putting a cropped mask back on the CT grid,
//! block downsampling, and the 2D convex hull (Andrew's monotone chain).
//!
//! The lung units work inside the bounding box of the body or of the
//! lungs, often on a coarser grid, so that a 512 x 512 x 300 scan costs a
//! fraction of its full size.

use aisu::{AisuError, Mask};
use rayon::prelude::*;
use volume::{Geometry, Volume};

/// An inclusive box of voxel indices `[x, y, z]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexBox {
    /// Smallest index on each axis.
    pub lo: [usize; 3],
    /// Largest index on each axis (inclusive).
    pub hi: [usize; 3],
}

impl IndexBox {
    /// The box of a mask, `None` when it is empty.
    pub fn of_mask(mask: &Mask) -> Option<IndexBox> {
        mask.bbox_index().map(|(lo, hi)| IndexBox { lo, hi })
    }

    /// Size along each axis.
    pub fn dims(&self) -> [usize; 3] {
        [
            self.hi[0] - self.lo[0] + 1,
            self.hi[1] - self.lo[1] + 1,
            self.hi[2] - self.lo[2] + 1,
        ]
    }

    /// The box grown by `margin` voxels per axis, clipped to `dims`.
    pub fn grown(&self, margin: [usize; 3], dims: [usize; 3]) -> IndexBox {
        let mut out = *self;
        for a in 0..3 {
            out.lo[a] = self.lo[a].saturating_sub(margin[a]);
            out.hi[a] = (self.hi[a] + margin[a]).min(dims[a].saturating_sub(1));
        }
        out
    }

    /// The smallest box holding both.
    pub fn union(&self, other: &IndexBox) -> IndexBox {
        let mut out = *self;
        for a in 0..3 {
            out.lo[a] = self.lo[a].min(other.lo[a]);
            out.hi[a] = self.hi[a].max(other.hi[a]);
        }
        out
    }

    /// The geometry of the box as a grid of its own.
    pub fn geometry(&self, full: &Geometry) -> Geometry {
        let mut g = *full;
        g.dims = self.dims();
        g.origin = full.index_to_lps([self.lo[0] as f64, self.lo[1] as f64, self.lo[2] as f64]);
        g
    }
}

/// A volume error as a unit failure.
pub fn fail(e: impl std::fmt::Display) -> AisuError {
    AisuError::Failed(e.to_string())
}

/// The part of `volume` inside `b`, as a volume on the box's grid.
pub fn crop<T: Copy + Send + Sync + Default>(
    volume: &Volume<T>,
    b: &IndexBox,
) -> Result<Volume<T>, AisuError> {
    let [nx, ny, _] = volume.dims();
    let [dx, dy, dz] = b.dims();
    let src = volume.as_slice();
    let mut out = vec![T::default(); dx * dy * dz];
    out.par_chunks_mut(dx * dy)
        .enumerate()
        .for_each(|(k, slice)| {
            let z = b.lo[2] + k;
            for y in 0..dy {
                let start = b.lo[0] + nx * (b.lo[1] + y + ny * z);
                slice[y * dx..(y + 1) * dx].copy_from_slice(&src[start..start + dx]);
            }
        });
    from_vec(out, b.geometry(volume.geometry()))
}

/// A mask of the CT grid on the grid of box `b` (false outside the mask).
pub fn crop_mask(mask: &Mask, full: &Geometry, b: &IndexBox) -> Result<Volume<bool>, AisuError> {
    let g = b.geometry(full);
    let [dx, dy, _] = g.dims;
    let mut out = vec![false; g.len()];
    mask.for_each(|x, y, z| {
        let inside = (0..3).all(|a| [x, y, z][a] >= b.lo[a] && [x, y, z][a] <= b.hi[a]);
        if inside {
            out[(x - b.lo[0]) + dx * ((y - b.lo[1]) + dy * (z - b.lo[2]))] = true;
        }
    });
    from_vec(out, g)
}

/// Puts a mask on the grid of box `b` back on the full CT grid.
pub fn embed(part: &Volume<bool>, full: &Geometry, b: &IndexBox) -> Mask {
    let [dx, dy, dz] = part.dims();
    let src = part.as_slice();
    if !src.iter().any(|v| *v) {
        return Mask::empty(*full);
    }
    // A full-size volume is the only public way to build a mask on the CT
    // grid; fill just the box.
    let mut whole = Volume::filled(*full, false);
    let [nx, ny, _] = full.dims;
    let data = whole.as_slice_mut();
    for z in 0..dz {
        for y in 0..dy {
            let s = dx * (y + dy * z);
            let d = b.lo[0] + nx * (b.lo[1] + y + ny * (b.lo[2] + z));
            data[d..d + dx].copy_from_slice(&src[s..s + dx]);
        }
    }
    Mask::from_volume(&whole)
}

/// A volume from a flat vector in (z, y, x) order.
pub fn from_vec<T: Clone>(data: Vec<T>, g: Geometry) -> Result<Volume<T>, AisuError> {
    let [nx, ny, nz] = g.dims;
    let array = ndarray::Array3::from_shape_vec((nz, ny, nx), data).map_err(fail)?;
    Volume::new(array, g).map_err(fail)
}

/// The grid of `g` coarsened by integer `factor` per axis (the new voxel
/// centre is the centre of its block).
#[allow(clippy::needless_range_loop)] // axis indices read clearer
pub fn coarse_geometry(g: &Geometry, factor: [usize; 3]) -> Geometry {
    let mut out = *g;
    for a in 0..3 {
        out.dims[a] = g.dims[a].div_ceil(factor[a]).max(1);
        out.spacing[a] = g.spacing[a] * factor[a] as f64;
    }
    let half = [
        (factor[0] as f64 - 1.0) / 2.0,
        (factor[1] as f64 - 1.0) / 2.0,
        (factor[2] as f64 - 1.0) / 2.0,
    ];
    out.origin = g.index_to_lps(half);
    out
}

/// Mean of each `factor` block of an HU volume, as f32.
pub fn downsample_mean(v: &Volume<i16>, factor: [usize; 3]) -> Result<Volume<f32>, AisuError> {
    let g = coarse_geometry(v.geometry(), factor);
    let [nx, ny, nz] = v.dims();
    let [cx, cy, _] = g.dims;
    let src = v.as_slice();
    let mut out = vec![0f32; g.len()];
    out.par_chunks_mut(cx * cy)
        .enumerate()
        .for_each(|(cz, slice)| {
            let mut sum = vec![0f32; cx * cy];
            let mut n = vec![0u32; cx * cy];
            for z in cz * factor[2]..((cz + 1) * factor[2]).min(nz) {
                for y in 0..ny {
                    let row = &src[nx * (y + ny * z)..nx * (y + ny * z + 1)];
                    let base = (y / factor[1]) * cx;
                    for (x, v) in row.iter().enumerate() {
                        sum[base + x / factor[0]] += *v as f32;
                        n[base + x / factor[0]] += 1;
                    }
                }
            }
            for i in 0..cx * cy {
                slice[i] = if n[i] > 0 {
                    sum[i] / n[i] as f32
                } else {
                    -1000.0
                };
            }
        });
    from_vec(out, g)
}

/// Block downsampling of a mask: a coarse voxel is set when at least half
/// of its block is.
pub fn downsample_majority(
    v: &Volume<bool>,
    factor: [usize; 3],
) -> Result<Volume<bool>, AisuError> {
    let g = coarse_geometry(v.geometry(), factor);
    let [nx, ny, nz] = v.dims();
    let [cx, cy, _] = g.dims;
    let src = v.as_slice();
    let mut out = vec![false; g.len()];
    out.par_chunks_mut(cx * cy)
        .enumerate()
        .for_each(|(cz, slice)| {
            let mut set = vec![0u32; cx * cy];
            let mut n = vec![0u32; cx * cy];
            for z in cz * factor[2]..((cz + 1) * factor[2]).min(nz) {
                for y in 0..ny {
                    let row = &src[nx * (y + ny * z)..nx * (y + ny * z + 1)];
                    let base = (y / factor[1]) * cx;
                    for (x, v) in row.iter().enumerate() {
                        set[base + x / factor[0]] += u32::from(*v);
                        n[base + x / factor[0]] += 1;
                    }
                }
            }
            for i in 0..cx * cy {
                slice[i] = n[i] > 0 && 2 * set[i] >= n[i];
            }
        });
    from_vec(out, g)
}

/// Voxel-wise `a || b` (same grid).
pub fn or(a: &Volume<bool>, b: &Volume<bool>) -> Volume<bool> {
    let mut out = a.clone();
    out.as_slice_mut()
        .par_iter_mut()
        .zip(b.as_slice().par_iter())
        .for_each(|(x, y)| *x = *x || *y);
    out
}

/// Convex hull of 2D points (counter-clockwise in index space, no
/// repeated first point); fewer than three distinct points give them back.
pub fn convex_hull(points: &mut [(f64, f64)]) -> Vec<(f64, f64)> {
    points.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(f64, f64)> = Vec::with_capacity(points.len() + 1);
    for &p in points.iter() {
        while hull.len() >= 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
            hull.pop();
        }
        hull.push(p);
    }
    let lower = hull.len() + 1;
    for &p in points.iter().rev().skip(1) {
        while hull.len() >= lower && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
            hull.pop();
        }
        hull.push(p);
    }
    hull.pop();
    hull
}

/// The convex hull (mm, as [`convex_hull`] gives it) of the outline of
/// the set pixels of an `nx` x `ny` slice with pixel spacing `spacing`,
/// and the number of set pixels.
pub fn outline_hull(
    mask: &[bool],
    nx: usize,
    ny: usize,
    spacing: [f64; 2],
) -> (Vec<(f64, f64)>, usize) {
    let [sx, sy] = spacing;
    let mut boundary = Vec::new();
    let mut count = 0usize;
    for y in 0..ny {
        for x in 0..nx {
            let i = x + nx * y;
            if !mask[i] {
                continue;
            }
            count += 1;
            let edge = x == 0
                || y == 0
                || x + 1 == nx
                || y + 1 == ny
                || !mask[i - 1]
                || !mask[i + 1]
                || !mask[i - nx]
                || !mask[i + nx];
            if edge {
                boundary.push((x as f64 * sx, y as f64 * sy));
            }
        }
    }
    (convex_hull(&mut boundary), count)
}

/// The pixels of an `nx` x `ny` slice (pixel spacing `spacing`, mm) whose
/// centres lie inside the convex polygon `hull` (mm, as
/// [`convex_hull`] gives it), row by row.
pub fn convex_polygon_mask(
    hull: &[(f64, f64)],
    nx: usize,
    ny: usize,
    spacing: [f64; 2],
) -> Vec<bool> {
    let [sx, sy] = spacing;
    let m = hull.len();
    let mut inside = vec![false; nx * ny];
    if m < 3 || nx == 0 || ny == 0 {
        return inside;
    }
    let ylo = hull.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let yhi = hull.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (ylo, yhi) = (
        (ylo / sy).ceil().max(0.0) as usize,
        ((yhi / sy).floor().max(0.0) as usize).min(ny - 1),
    );
    for y in ylo..=yhi {
        let yy = y as f64 * sy;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for k in 0..m {
            let (a, b) = (hull[k], hull[(k + 1) % m]);
            if (a.1 - yy) * (b.1 - yy) > 0.0 {
                continue;
            }
            if (b.1 - a.1).abs() < 1e-12 {
                lo = lo.min(a.0.min(b.0));
                hi = hi.max(a.0.max(b.0));
            } else {
                let x = a.0 + (yy - a.1) / (b.1 - a.1) * (b.0 - a.0);
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        if lo > hi {
            continue;
        }
        let a = (lo / sx - 1e-6).ceil().max(0.0) as usize;
        let b = ((hi / sx + 1e-6).floor().max(0.0) as usize).min(nx - 1);
        for x in a..=b {
            inside[x + nx * y] = true;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_of_a_square_with_inner_points() {
        let mut pts = vec![
            (0.0, 0.0),
            (2.0, 0.0),
            (1.0, 1.0),
            (2.0, 2.0),
            (0.0, 2.0),
            (1.0, 0.0),
        ];
        let h = convex_hull(&mut pts);
        assert_eq!(h.len(), 4);
        assert!(!h.contains(&(1.0, 1.0)));
    }

    #[test]
    fn a_triangle_fills_the_pixels_under_it() {
        // Right triangle (0,0)-(4,0)-(0,4) mm on 1 mm pixels: x + y <= 4.
        let mut pts = vec![(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)];
        let hull = convex_hull(&mut pts);
        let inside = convex_polygon_mask(&hull, 6, 6, [1.0, 1.0]);
        for y in 0..6 {
            for x in 0..6 {
                assert_eq!(inside[x + 6 * y], x + y <= 4, "pixel ({x}, {y})");
            }
        }
    }

    #[test]
    fn crop_and_embed_round_trip() {
        let g = Geometry::new([6, 5, 4], [0.5, 0.5, 2.0], [1.0, 2.0, 3.0]);
        let mut v = Volume::filled(g, false);
        v.as_slice_mut()[2 + 6 * (3 + 5 * 2)] = true;
        let b = IndexBox {
            lo: [1, 2, 1],
            hi: [4, 4, 3],
        };
        let c = crop(&v, &b).unwrap();
        assert_eq!(c.dims(), [4, 3, 3]);
        assert_eq!(c.geometry().origin, g.index_to_lps([1.0, 2.0, 1.0]));
        let m = embed(&c, &g, &b);
        assert_eq!(m.to_volume(), v);
        let back = crop_mask(&m, &g, &b).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn downsampling_keeps_the_extent() {
        let g = Geometry::new([5, 4, 3], [1.0, 1.0, 1.0], [0.0; 3]);
        let v = Volume::filled(g, -500i16);
        let d = downsample_mean(&v, [2, 2, 1]).unwrap();
        assert_eq!(d.dims(), [3, 2, 3]);
        assert!((d.geometry().origin[0] - 0.5).abs() < 1e-9);
        assert!(d.as_slice().iter().all(|x| (*x + 500.0).abs() < 1e-3));
    }
}
