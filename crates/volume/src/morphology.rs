//! Binary morphology (dilation, erosion, opening, closing) with a ball of
//! radius `r` millimetres: an ellipsoid in voxels under anisotropic spacing.
//!
//! The structuring element holds the voxel offsets `(dx, dy, dz)` with
//! `(dx sx)² + (dy sy)² + (dz sz)² <= r²`. Rather than sliding that ball
//! (cost grows with r³), each operation thresholds an exact Euclidean
//! distance transform ([`crate::distance`]), so large radii cost the same as
//! small ones:
//!
//! * dilation keeps voxels whose distance to the foreground is `<= r`;
//! * erosion keeps voxels whose distance to the background is `> r`.
//!
//! The comparison allows a relative slack of [`BALL_TOLERANCE`] on `r²` so
//! that offsets lying exactly on the sphere in exact arithmetic (say `r =
//! 2` mm on a 1 mm grid, or `r = 1.4` mm on a 0.7 mm grid) are inside even
//! though the distances are rounded; results equal the brute-force ball for
//! every radius not within that slack of a lattice distance.
//!
//! Border handling: only voxels of the grid exist. Dilation therefore treats
//! the outside as background and erosion as foreground (a mask touching the
//! edge of the field of view, like a body cut by the first and last slices,
//! is not eaten from the edge). This keeps the two dual: `erode(A) =
//! !dilate(!A)`, and `close(A) = !open(!A)`.
//!
//! Work is confined to the bounding box of the mask (plus the radius for
//! dilation), which matters for organs much smaller than the scan.

use rayon::prelude::*;

use crate::distance::squared_edt;
use crate::lines::volume_from_vec;
use crate::{Volume, VolumeError};

/// Relative slack on `r²` in the ball test: an offset is inside when its
/// squared length is `<= r² (1 + BALL_TOLERANCE)`.
pub const BALL_TOLERANCE: f64 = 1e-6;

/// Binary dilation by a ball of `radius_mm` (outside the grid counts as
/// background). Fails for a negative or non-finite radius, or an invalid
/// geometry (as from `Volume::filled` with zero spacing).
pub fn dilate(mask: &Volume<bool>, radius_mm: f64) -> Result<Volume<bool>, VolumeError> {
    check_radius(radius_mm)?;
    let g = *mask.geometry();
    g.validate()?;
    volume_from_vec(dilate_raw(mask.as_slice(), g.dims, g.spacing, radius_mm), g)
}

/// Binary erosion by a ball of `radius_mm` (outside the grid counts as
/// foreground). Fails for a negative or non-finite radius, or an invalid
/// geometry.
pub fn erode(mask: &Volume<bool>, radius_mm: f64) -> Result<Volume<bool>, VolumeError> {
    check_radius(radius_mm)?;
    let g = *mask.geometry();
    g.validate()?;
    volume_from_vec(erode_raw(mask.as_slice(), g.dims, g.spacing, radius_mm), g)
}

/// Opening: erosion then dilation by the same ball. Removes parts thinner
/// than the ball.
pub fn open(mask: &Volume<bool>, radius_mm: f64) -> Result<Volume<bool>, VolumeError> {
    check_radius(radius_mm)?;
    let g = *mask.geometry();
    g.validate()?;
    let eroded = erode_raw(mask.as_slice(), g.dims, g.spacing, radius_mm);
    volume_from_vec(dilate_raw(&eroded, g.dims, g.spacing, radius_mm), g)
}

/// Closing: dilation then erosion by the same ball. Fills gaps and
/// concavities narrower than the ball.
pub fn close(mask: &Volume<bool>, radius_mm: f64) -> Result<Volume<bool>, VolumeError> {
    check_radius(radius_mm)?;
    let g = *mask.geometry();
    g.validate()?;
    let dilated = dilate_raw(mask.as_slice(), g.dims, g.spacing, radius_mm);
    volume_from_vec(erode_raw(&dilated, g.dims, g.spacing, radius_mm), g)
}

fn check_radius(radius_mm: f64) -> Result<(), VolumeError> {
    if radius_mm.is_finite() && radius_mm >= 0.0 {
        Ok(())
    } else {
        Err(VolumeError::Parameter(format!(
            "ball radius must be finite and >= 0 mm, got {radius_mm}"
        )))
    }
}

fn threshold(radius_mm: f64) -> f64 {
    radius_mm * radius_mm * (1.0 + BALL_TOLERANCE)
}

/// An `f32` at or above the threshold `t`: distances beyond it need not be
/// exact, which lets the transform drop them early.
fn cap(t: f64) -> f32 {
    (t * (1.0 + 1e-6)) as f32
}

fn dilate_raw(mask: &[bool], dims: [usize; 3], spacing: [f64; 3], r: f64) -> Vec<bool> {
    let Some((lo, hi)) = bounding_box(mask, dims) else {
        return vec![false; mask.len()];
    };
    // Every voxel within r of the foreground lies in the box grown by r.
    let mut margin = [0usize; 3];
    for a in 0..3 {
        margin[a] = (r / spacing[a]).ceil().min(dims[a] as f64) as usize;
    }
    let (lo, hi) = grow(lo, hi, margin, dims);
    let (crop, cdims) = extract(mask, dims, lo, hi);
    let t = threshold(r);
    let d2 = squared_edt(&crop, cdims, spacing, true, cap(t));
    paste(&d2, dims, lo, hi, |d| f64::from(d) <= t)
}

fn erode_raw(mask: &[bool], dims: [usize; 3], spacing: [f64; 3], r: f64) -> Vec<bool> {
    let Some((lo, hi)) = bounding_box(mask, dims) else {
        return vec![false; mask.len()];
    };
    // One voxel of margin: where it exists it is all background, and the
    // nearest background of any voxel in the box is then in the grown box
    // (clamping a point into a box containing p brings it closer to p).
    let (lo, hi) = grow(lo, hi, [1; 3], dims);
    let (crop, cdims) = extract(mask, dims, lo, hi);
    let t = threshold(r);
    let d2 = squared_edt(&crop, cdims, spacing, false, cap(t));
    paste(&d2, dims, lo, hi, |d| f64::from(d) > t)
}

/// Inclusive `[x, y, z]` index bounds of the `true` voxels of a `(z, y,
/// x)` buffer of size `dims`, or `None` when there is none. Slices are
/// scanned in parallel, each row by its first and last set voxel.
pub fn bounding_box(mask: &[bool], dims: [usize; 3]) -> Option<([usize; 3], [usize; 3])> {
    let [nx, ny, _] = dims;
    if mask.is_empty() || nx == 0 || ny == 0 {
        return None;
    }
    mask.par_chunks(nx * ny)
        .enumerate()
        .filter_map(|(z, slice)| {
            let mut bb: Option<([usize; 3], [usize; 3])> = None;
            for (y, row) in slice.chunks(nx).enumerate() {
                let (Some(x0), Some(x1)) =
                    (row.iter().position(|&b| b), row.iter().rposition(|&b| b))
                else {
                    continue;
                };
                bb = Some(match bb {
                    None => ([x0, y, z], [x1, y, z]),
                    Some((lo, hi)) => ([lo[0].min(x0), lo[1], z], [hi[0].max(x1), y, z]),
                });
            }
            bb
        })
        .reduce_with(|(alo, ahi), (blo, bhi)| {
            let mut lo = alo;
            let mut hi = ahi;
            for a in 0..3 {
                lo[a] = lo[a].min(blo[a]);
                hi[a] = hi[a].max(bhi[a]);
            }
            (lo, hi)
        })
}

fn grow(
    lo: [usize; 3],
    hi: [usize; 3],
    margin: [usize; 3],
    dims: [usize; 3],
) -> ([usize; 3], [usize; 3]) {
    let mut a = lo;
    let mut b = hi;
    for k in 0..3 {
        a[k] = lo[k].saturating_sub(margin[k]);
        b[k] = (hi[k] + margin[k]).min(dims[k] - 1);
    }
    (a, b)
}

/// Copies the inclusive box `lo..=hi` out of a `(z, y, x)` buffer.
fn extract<T: Copy + Send + Sync + Default>(
    data: &[T],
    dims: [usize; 3],
    lo: [usize; 3],
    hi: [usize; 3],
) -> (Vec<T>, [usize; 3]) {
    let cdims = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
    let [nx, ny, _] = dims;
    let mut out = vec![T::default(); cdims.iter().product()];
    out.par_chunks_mut(cdims[0] * cdims[1])
        .enumerate()
        .for_each(|(k, slice)| {
            let z = lo[2] + k;
            for (j, row) in slice.chunks_mut(cdims[0]).enumerate() {
                let start = lo[0] + nx * (lo[1] + j + ny * z);
                row.copy_from_slice(&data[start..start + cdims[0]]);
            }
        });
    (out, cdims)
}

/// A full-size mask that is `keep(value)` inside the box `lo..=hi` (whose
/// values `boxed` holds) and `false` elsewhere.
fn paste(
    boxed: &[f32],
    dims: [usize; 3],
    lo: [usize; 3],
    hi: [usize; 3],
    keep: impl Fn(f32) -> bool + Sync,
) -> Vec<bool> {
    let [nx, ny, nz] = dims;
    let cnx = hi[0] - lo[0] + 1;
    let cny = hi[1] - lo[1] + 1;
    let mut out = vec![false; nx * ny * nz];
    out.par_chunks_mut(nx * ny)
        .enumerate()
        .filter(|(z, _)| (lo[2]..=hi[2]).contains(z))
        .for_each(|(z, slice)| {
            for y in lo[1]..=hi[1] {
                let src = cnx * ((y - lo[1]) + cny * (z - lo[2]));
                let row = &mut slice[y * nx + lo[0]..y * nx + lo[0] + cnx];
                for (o, &d) in row.iter_mut().zip(&boxed[src..src + cnx]) {
                    *o = keep(d);
                }
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Geometry;
    use crate::testutil::{Rng, random_mask, xyz};

    /// Ball offsets by the exact definition, in f64.
    fn ball(spacing: [f64; 3], r: f64) -> Vec<[i64; 3]> {
        let m: Vec<i64> = (0..3)
            .map(|a| (r / spacing[a]).floor() as i64 + 1)
            .collect();
        let mut out = Vec::new();
        for dz in -m[2]..=m[2] {
            for dy in -m[1]..=m[1] {
                for dx in -m[0]..=m[0] {
                    let d2 = (dx as f64 * spacing[0]).powi(2)
                        + (dy as f64 * spacing[1]).powi(2)
                        + (dz as f64 * spacing[2]).powi(2);
                    if d2 <= r * r {
                        out.push([dx, dy, dz]);
                    }
                }
            }
        }
        out
    }

    /// Brute-force dilation (`any`) or erosion (`!any` of background).
    fn brute(mask: &Volume<bool>, r: f64, dilation: bool) -> Vec<bool> {
        let dims = mask.dims();
        let offsets = ball(mask.spacing(), r);
        let m = mask.as_slice();
        (0..m.len())
            .map(|i| {
                let p = xyz(i, dims);
                let hit = offsets.iter().any(|o| {
                    let q: Vec<i64> = (0..3).map(|a| p[a] as i64 + o[a]).collect();
                    if (0..3).any(|a| q[a] < 0 || q[a] >= dims[a] as i64) {
                        return false;
                    }
                    let j = q[0] as usize + dims[0] * (q[1] as usize + dims[1] * q[2] as usize);
                    m[j] == dilation
                });
                if dilation { hit } else { !hit }
            })
            .collect()
    }

    /// True when some lattice offset has a squared length within 1e-5 of r².
    fn near_tie(spacing: [f64; 3], r: f64) -> bool {
        let m: Vec<i64> = (0..3)
            .map(|a| (r / spacing[a]).floor() as i64 + 1)
            .collect();
        (-m[2]..=m[2]).any(|dz| {
            (-m[1]..=m[1]).any(|dy| {
                (-m[0]..=m[0]).any(|dx| {
                    let d2 = (dx as f64 * spacing[0]).powi(2)
                        + (dy as f64 * spacing[1]).powi(2)
                        + (dz as f64 * spacing[2]).powi(2);
                    (d2 - r * r).abs() <= 1e-5 * r * r
                })
            })
        })
    }

    #[test]
    fn matches_brute_force_ball() {
        let mut rng = Rng::new(42);
        for trial in 0..60 {
            let dims = [1 + rng.below(12), 1 + rng.below(10), 1 + rng.below(8)];
            let spacing = [
                0.4 + rng.unit() * 1.2,
                0.4 + rng.unit() * 1.2,
                0.8 + rng.unit() * 4.5,
            ];
            let mut r = rng.unit() * 6.0;
            while near_tie(spacing, r) {
                r = rng.unit() * 6.0;
            }
            let density = [0.03, 0.2, 0.6, 0.9][trial % 4];
            let g = Geometry::new(dims, spacing, [0.0; 3]);
            let mask = random_mask(&mut rng, g, density);
            let d = dilate(&mask, r).unwrap();
            let e = erode(&mask, r).unwrap();
            assert_eq!(
                d.as_slice(),
                brute(&mask, r, true).as_slice(),
                "dilate trial {trial}"
            );
            assert_eq!(
                e.as_slice(),
                brute(&mask, r, false).as_slice(),
                "erode trial {trial}"
            );
            let opened = brute(&Volume::new(e.data().clone(), g).unwrap(), r, true);
            assert_eq!(open(&mask, r).unwrap().as_slice(), opened.as_slice());
            let closed = brute(&Volume::new(d.data().clone(), g).unwrap(), r, false);
            assert_eq!(close(&mask, r).unwrap().as_slice(), closed.as_slice());
        }
    }

    #[test]
    fn sphere_surface_offsets_are_inside() {
        for (s, r) in [(1.0, 2.0), (0.7, 1.4), (0.5, 1.0)] {
            let g = Geometry::new([9, 9, 9], [s; 3], [0.0; 3]);
            let mut m = Volume::filled(g, false);
            m.data_mut()[(4, 4, 4)] = true;
            let d = dilate(&m, r).unwrap();
            // |o|² <= 4: 1 + 6 + 12 + 8 + 6 offsets.
            assert_eq!(
                d.as_slice().iter().filter(|&&b| b).count(),
                33,
                "spacing {s}"
            );
        }
    }

    #[test]
    fn borders_radius_zero_and_errors() {
        let g = Geometry::new([6, 5, 4], [0.7, 0.7, 5.0], [0.0; 3]);
        let full = Volume::filled(g, true);
        // Outside counts as foreground for erosion: a full mask survives.
        assert!(erode(&full, 3.0).unwrap().as_slice().iter().all(|&b| b));
        let empty = Volume::filled(g, false);
        assert!(dilate(&empty, 3.0).unwrap().as_slice().iter().all(|&b| !b));
        let mut rng = Rng::new(3);
        let m = random_mask(&mut rng, g, 0.5);
        assert_eq!(dilate(&m, 0.0).unwrap(), m);
        assert_eq!(erode(&m, 0.0).unwrap(), m);
        assert!(dilate(&m, -1.0).is_err());
        assert!(erode(&m, f64::INFINITY).is_err());
        let flat = Volume::filled(Geometry::new([3, 3, 3], [1.0, 0.0, 1.0], [0.0; 3]), true);
        assert!(dilate(&flat, 1.0).is_err());
        assert!(crate::gaussian_smooth(&flat.map(|&b| u8::from(b)), [1.0; 3]).is_err());
    }
}
