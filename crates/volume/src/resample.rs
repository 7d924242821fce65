//! Resampling a volume onto another grid of any spacing, size, origin and
//! orientation: trilinear for numeric voxels, nearest neighbour for any
//! voxel type (label maps, masks).
//!
//! Each target voxel centre is mapped to a continuous source index through
//! LPS space (`target.index_to_lps` then `source.lps_to_index`, folded into
//! one affine map). A point is inside the source when that index lies
//! within `[-0.5, n - 0.5]` on every axis, i.e. within the voxels' physical
//! extent; in the outer half voxel, neighbours are clamped to the edge
//! (replicate). Points outside get the caller's fill value. Integer types
//! are rounded to nearest and saturated (see [`Scalar`]). Work is parallel
//! over target slices.
//!
//! Why not ndarray-ndimage 0.6: its `zoom`/`shift` work in index space only
//! (no oriented target grid) and are single-threaded.

use rayon::prelude::*;

use crate::lines::volume_from_vec;
use crate::{Geometry, Scalar, Volume, VolumeError};

/// Interpolation between source voxels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interpolation {
    /// The value of the voxel whose centre is nearest.
    Nearest,
    /// Trilinear interpolation of the 8 surrounding voxel centres.
    Linear,
}

/// Largest target grid accepted (voxels), against runaway allocations from
/// a mistaken spacing.
pub const MAX_VOXELS: usize = 1 << 32;

/// Slack (in voxels) on the inside test, against rounding of the mapping.
const EDGE_EPS: f64 = 1e-6;

/// Resamples `source` onto `target` with the given interpolation; voxels
/// mapping outside the source get `fill`. Fails for an invalid source or target
/// geometry or one with more than [`MAX_VOXELS`] voxels.
pub fn resample<T: Scalar>(
    source: &Volume<T>,
    target: &Geometry,
    interpolation: Interpolation,
    fill: T,
) -> Result<Volume<T>, VolumeError> {
    match interpolation {
        Interpolation::Nearest => resample_nearest(source, target, fill),
        Interpolation::Linear => {
            let map = IndexMap::new(source.geometry(), target)?;
            let dims = source.dims();
            let src = source.as_slice();
            run(&map, target, fill, |c| {
                map.inside(c, dims)
                    .then(|| T::from_f64(trilinear(src, dims, c)))
            })
        }
    }
}

/// The trilinear value of `volume` at continuous voxel index `index`,
/// neighbours clamped to the grid; `None` beyond half a voxel outside it
/// (curved reformats, profiles along a structure).
pub fn sample_linear<T: Scalar>(volume: &Volume<T>, index: [f64; 3]) -> Option<f64> {
    let dims = volume.dims();
    let inside = (0..3).all(|a| index[a] >= -0.5 && index[a] <= dims[a] as f64 - 0.5);
    inside.then(|| trilinear(volume.as_slice(), dims, index))
}

/// Nearest-neighbour resampling of any voxel type (masks, label maps);
/// voxels mapping outside the source get `fill`.
pub fn resample_nearest<T: Copy + Send + Sync>(
    source: &Volume<T>,
    target: &Geometry,
    fill: T,
) -> Result<Volume<T>, VolumeError> {
    let map = IndexMap::new(source.geometry(), target)?;
    let dims = source.dims();
    let src = source.as_slice();
    run(&map, target, fill, |c| {
        map.inside(c, dims).then(|| {
            let i = |a: usize| floor_i(c[a] + 0.5).clamp(0, dims[a] as i64 - 1) as usize;
            src[i(0) + dims[0] * (i(1) + dims[1] * i(2))]
        })
    })
}

/// A grid with the orientation of `geometry`, the given `spacing` (mm) and
/// the same physical extent: `round(n * old / new)` voxels per axis (at
/// least 1), centred on the old field of view.
pub fn geometry_with_spacing(
    geometry: &Geometry,
    spacing: [f64; 3],
) -> Result<Geometry, VolumeError> {
    if let Some(s) = spacing.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(VolumeError::Parameter(format!(
            "spacing must be positive, got {s}"
        )));
    }
    let mut out = *geometry;
    out.spacing = spacing;
    for a in 0..3 {
        let n = geometry.dims[a];
        let extent = n as f64 * geometry.spacing[a];
        let m = if n == 0 {
            0.0
        } else {
            (extent / spacing[a]).round().max(1.0)
        };
        if m > MAX_VOXELS as f64 {
            return Err(VolumeError::Parameter(format!(
                "spacing {spacing:?} gives too many voxels"
            )));
        }
        out.dims[a] = m as usize;
        // Shift from the old first centre to the new one along axis a.
        let new_extent = m * spacing[a];
        let shift = -0.5 * geometry.spacing[a] + 0.5 * (extent - new_extent) + 0.5 * spacing[a];
        for k in 0..3 {
            out.origin[k] += shift * geometry.direction[a][k];
        }
    }
    check_size(&out)?;
    Ok(out)
}

/// Resamples to a new spacing over the same extent (see
/// [`geometry_with_spacing`]).
pub fn resample_to_spacing<T: Scalar>(
    source: &Volume<T>,
    spacing: [f64; 3],
    interpolation: Interpolation,
    fill: T,
) -> Result<Volume<T>, VolumeError> {
    let target = geometry_with_spacing(source.geometry(), spacing)?;
    resample(source, &target, interpolation, fill)
}

/// Resamples to isotropic voxels of `spacing_mm` over the same extent.
pub fn resample_isotropic<T: Scalar>(
    source: &Volume<T>,
    spacing_mm: f64,
    interpolation: Interpolation,
    fill: T,
) -> Result<Volume<T>, VolumeError> {
    resample_to_spacing(source, [spacing_mm; 3], interpolation, fill)
}

fn check_size(g: &Geometry) -> Result<(), VolumeError> {
    let n = g.dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match n {
        Some(n) if n <= MAX_VOXELS => Ok(()),
        _ => Err(VolumeError::Parameter(format!(
            "target grid {:?} is too large",
            g.dims
        ))),
    }
}

/// Target index to source continuous index: `src = b + sum_i idx[i] col[i]`.
struct IndexMap {
    b: [f64; 3],
    col: [[f64; 3]; 3],
}

impl IndexMap {
    fn new(source: &Geometry, target: &Geometry) -> Result<Self, VolumeError> {
        source.validate()?;
        target.validate()?;
        check_size(target)?;
        let b = source.lps_to_index(target.origin);
        let mut col = [[0.0; 3]; 3];
        for (a, c) in col.iter_mut().enumerate() {
            let mut e = [0.0; 3];
            e[a] = 1.0;
            let p = source.lps_to_index(target.index_to_lps(e));
            *c = [p[0] - b[0], p[1] - b[1], p[2] - b[2]];
        }
        Ok(IndexMap { b, col })
    }

    /// Whether a continuous source index is within the source extent.
    fn inside(&self, c: [f64; 3], dims: [usize; 3]) -> bool {
        (0..3).all(|a| {
            dims[a] > 0 && c[a] >= -0.5 - EDGE_EPS && c[a] <= dims[a] as f64 - 0.5 + EDGE_EPS
        })
    }
}

/// Fills a volume on `target`, calling `sample(source_index)` per voxel
/// (`None` means outside: `fill`). Parallel over target slices.
fn run<T, F>(
    map: &IndexMap,
    target: &Geometry,
    fill: T,
    sample: F,
) -> Result<Volume<T>, VolumeError>
where
    T: Copy + Send + Sync,
    F: Fn([f64; 3]) -> Option<T> + Sync,
{
    let [nx, ny, nz] = target.dims;
    let mut out = vec![fill; nx * ny * nz];
    if !out.is_empty() {
        let (b, col) = (map.b, map.col);
        out.par_chunks_mut(nx * ny)
            .enumerate()
            .for_each(|(z, slice)| {
                for (y, row) in slice.chunks_mut(nx).enumerate() {
                    let (yf, zf) = (y as f64, z as f64);
                    let start: [f64; 3] =
                        std::array::from_fn(|k| b[k] + yf * col[1][k] + zf * col[2][k]);
                    for (x, o) in row.iter_mut().enumerate() {
                        let xf = x as f64;
                        let c = std::array::from_fn(|k| start[k] + xf * col[0][k]);
                        if let Some(v) = sample(c) {
                            *o = v;
                        }
                    }
                }
            });
    }
    volume_from_vec(out, *target)
}

/// `floor(c)` for a finite `c` within the `i64` range, without a libm call
/// (baseline x86-64 has no rounding instruction).
#[inline]
fn floor_i(c: f64) -> i64 {
    let t = c as i64;
    if (t as f64) > c { t - 1 } else { t }
}

/// Trilinear interpolation at continuous index `c` (inside the extent),
/// neighbours clamped to the grid.
#[inline]
fn trilinear<T: Scalar>(src: &[T], dims: [usize; 3], c: [f64; 3]) -> f64 {
    let [nx, ny, nz] = dims;
    // Fast path: all 8 neighbours inside, no clamping (the common case).
    if c[0] >= 0.0 && c[1] >= 0.0 && c[2] >= 0.0 {
        let (x, y, z) = (c[0] as usize, c[1] as usize, c[2] as usize);
        if x + 1 < nx && y + 1 < ny && z + 1 < nz {
            let plane = nx * ny;
            let base = x + nx * (y + ny * z);
            if let Some(w) = src.get(base..base + plane + nx + 2) {
                let (tx, ty, tz) = (c[0] - x as f64, c[1] - y as f64, c[2] - z as f64);
                let v = |o: usize| w[o].to_f64();
                let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
                let a = lerp(lerp(v(0), v(1), tx), lerp(v(nx), v(nx + 1), tx), ty);
                let b = lerp(
                    lerp(v(plane), v(plane + 1), tx),
                    lerp(v(plane + nx), v(plane + nx + 1), tx),
                    ty,
                );
                return lerp(a, b, tz);
            }
        }
    }
    trilinear_clamped(src, dims, c)
}

/// Trilinear interpolation with neighbour indices clamped to the grid.
fn trilinear_clamped<T: Scalar>(src: &[T], dims: [usize; 3], c: [f64; 3]) -> f64 {
    let mut i0 = [0usize; 3];
    let mut i1 = [0usize; 3];
    let mut t = [0.0; 3];
    for a in 0..3 {
        let f = floor_i(c[a]);
        let last = dims[a] as i64 - 1;
        t[a] = c[a] - f as f64;
        i0[a] = f.clamp(0, last) as usize;
        i1[a] = (f + 1).clamp(0, last) as usize;
    }
    let [nx, ny, _] = dims;
    let at = |x: usize, y: usize, z: usize| src[x + nx * (y + ny * z)].to_f64();
    let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
    let row = |y: usize, z: usize| lerp(at(i0[0], y, z), at(i1[0], y, z), t[0]);
    let plane = |z: usize| lerp(row(i0[1], z), row(i1[1], z), t[1]);
    lerp(plane(i0[2]), plane(i1[2]), t[2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;

    fn oblique(dims: [usize; 3], spacing: [f64; 3], origin: [f64; 3], angle: f64) -> Geometry {
        let (c, s) = (angle.cos(), angle.sin());
        // Rotation about z, then a tilt about x.
        let (ct, st) = ((0.5 * angle).cos(), (0.5 * angle).sin());
        Geometry {
            dims,
            spacing,
            origin,
            direction: [[c, s, 0.0], [-s * ct, c * ct, st], [s * st, -c * st, ct]],
        }
    }

    fn random_volume(rng: &mut Rng, g: Geometry) -> Volume<i16> {
        let mut v = Volume::filled(g, 0i16);
        for x in v.as_slice_mut() {
            *x = (rng.below(4000) as i32 - 2000) as i16;
        }
        v
    }

    #[test]
    fn identity_on_same_grid() {
        let mut rng = Rng::new(1);
        let g = oblique([9, 8, 5], [0.7, 0.8, 5.0], [-12.0, 30.0, 100.0], 0.4);
        g.validate().unwrap();
        let v = random_volume(&mut rng, g);
        for interp in [Interpolation::Linear, Interpolation::Nearest] {
            let r = resample(&v, &g, interp, -1024).unwrap();
            assert_eq!(r, v, "{interp:?}");
        }
        let f = v.map(|&x| f32::from(x) * 0.37);
        let r = resample(&f, &g, Interpolation::Linear, 0.0).unwrap();
        for (a, b) in r.as_slice().iter().zip(f.as_slice()) {
            assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0));
        }
        let m = v.map(|&x| x > 0);
        assert_eq!(resample_nearest(&m, &g, false).unwrap(), m);
    }

    #[test]
    fn linear_is_exact_on_a_ramp() {
        let src_g = oblique([20, 18, 12], [0.7, 0.7, 2.5], [5.0, -3.0, 40.0], 0.3);
        let ramp = |p: [f64; 3]| 2.0 * p[0] - 3.0 * p[1] + 0.5 * p[2] + 7.0;
        let mut src = Volume::filled(src_g, 0.0f64);
        for z in 0..12 {
            for y in 0..18 {
                for x in 0..20 {
                    src.data_mut()[(z, y, x)] =
                        ramp(src_g.index_to_lps([x as f64, y as f64, z as f64]));
                }
            }
        }
        // A target rotated differently, with other spacing, inside the source.
        let centre = src_g.index_to_lps([9.5, 8.5, 5.5]);
        let tgt_g = oblique([7, 6, 5], [1.1, 0.9, 1.3], [0.0; 3], -0.5);
        let corner = tgt_g.index_to_lps([3.0, 2.5, 2.0]);
        let tgt_g = Geometry {
            origin: [
                centre[0] - corner[0],
                centre[1] - corner[1],
                centre[2] - corner[2],
            ],
            ..tgt_g
        };
        let r = resample(&src, &tgt_g, Interpolation::Linear, f64::NAN).unwrap();
        assert_eq!(r.geometry(), &tgt_g);
        let mut checked = 0;
        for z in 0..5 {
            for y in 0..6 {
                for x in 0..7 {
                    let p = tgt_g.index_to_lps([x as f64, y as f64, z as f64]);
                    let c = src_g.lps_to_index(p);
                    if (0..3).all(|a| c[a] >= 0.0 && c[a] <= (src_g.dims[a] - 1) as f64) {
                        let got = r.data()[(z, y, x)];
                        assert!((got - ramp(p)).abs() < 1e-9, "{got} vs {}", ramp(p));
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 210);
    }

    #[test]
    fn outside_is_filled_and_integers_round() {
        let g = Geometry::new([2, 1, 1], [1.0; 3], [0.0; 3]);
        let v = Volume::new(
            ndarray::Array3::from_shape_vec((1, 1, 2), vec![0i16, 3]).unwrap(),
            g,
        )
        .unwrap();
        // Centres at x = -1 (outside), -0.25 (edge half voxel), 0.5, 1.5 (edge), 2 (outside).
        let t = Geometry::new([5, 1, 1], [1.0; 3], [0.0; 3]);
        let at = |x0: f64| {
            let tg = Geometry {
                origin: [x0, 0.0, 0.0],
                ..t
            };
            resample(&v, &tg, Interpolation::Linear, -7)
                .unwrap()
                .as_slice()[0]
        };
        assert_eq!(at(-1.0), -7);
        assert_eq!(at(-0.25), 0);
        assert_eq!(at(0.5), 2); // 1.5 rounds away from zero
        assert_eq!(at(1.5), 3);
        assert_eq!(at(2.0), -7);
        let tg = Geometry {
            origin: [0.4, 0.0, 0.0],
            ..t
        };
        let n = resample(&v, &tg, Interpolation::Nearest, -7).unwrap();
        assert_eq!(n.as_slice(), &[0, 3, -7, -7, -7]);
    }

    #[test]
    fn spacing_geometry_keeps_extent_and_centre() {
        let g = oblique([100, 80, 30], [0.7, 0.7, 5.0], [-100.0, 20.0, -300.0], 0.2);
        let h = geometry_with_spacing(&g, [1.0, 1.0, 1.0]).unwrap();
        assert_eq!(h.dims, [70, 56, 150]);
        assert_eq!(h.direction, g.direction);
        let c0 = g.index_to_lps([49.5, 39.5, 14.5]);
        let c1 = h.index_to_lps([34.5, 27.5, 74.5]);
        for k in 0..3 {
            assert!((c0[k] - c1[k]).abs() < 1e-9);
        }
        // Rounded dims: the new grid is centred in the old field of view.
        let h = geometry_with_spacing(&g, [0.75, 2.0, 4.0]).unwrap();
        assert_eq!(h.dims, [93, 28, 38]);
        let c2 = h.index_to_lps([46.0, 13.5, 18.5]);
        for k in 0..3 {
            assert!((c0[k] - c2[k]).abs() < 1e-9);
        }
        let mut rng = Rng::new(9);
        let v = random_volume(&mut rng, g);
        let r = resample_isotropic(&v, 2.0, Interpolation::Linear, i16::MIN).unwrap();
        assert_eq!(r.dims(), [35, 28, 75]);
        assert!(
            r.as_slice().iter().all(|&x| x != i16::MIN),
            "same extent: nothing outside"
        );
        assert!(geometry_with_spacing(&g, [0.0, 1.0, 1.0]).is_err());
        assert!(geometry_with_spacing(&g, [1e-6, 1e-6, 1e-6]).is_err());
    }
}
