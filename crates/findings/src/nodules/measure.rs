//! Measurements of a segmented lesion (FINDINGS.md F01-F04).
//!
//! - `long_axis`: the largest extent of the lesion over 300 directions
//!   spread evenly on the sphere; `short_axis`: the largest extent
//!   perpendicular to it (axes in any plane, as FINDINGS.md and Lung-RADS
//!   v2022 allow); `mean_diameter` = (long + short) / 2 (Lung-RADS v2022).
//!   Extents of voxel centres are corrected by the voxel's own width along
//!   the direction, so a 1-voxel object measures one voxel.
//! - `axial_long_axis` / `axial_short_axis`: the same on the axial slice
//!   where the lesion is longest (the classic axial reading).
//! - `volume` in mL from the voxel count; `mean_hu`, `max_hu` from the
//!   original (unsmoothed) CT.
//! - Solid component: voxels at or above [`SOLID_MIN_HU`] on the lightly
//!   smoothed CT; its largest connected piece gives `solid_diameter`.
//! - Calcification: the share of voxels above [`CALCIFIED_HU`] inside the
//!   lung and the offset of their centroid from the lesion's centre.

use volume::Geometry;

use crate::constants::{CALCIFIED_HU, SOLID_MIN_HU};

/// What is measured of one lesion.
#[derive(Debug, Clone, Default)]
pub struct Measures {
    /// Long axis, mm (any plane).
    pub long_axis: f64,
    /// Short axis perpendicular to it, mm.
    pub short_axis: f64,
    /// (long + short) / 2, mm.
    pub mean_diameter: f64,
    /// Longest axial extent, mm.
    pub axial_long: f64,
    /// Axial extent perpendicular to it on that slice, mm.
    pub axial_short: f64,
    /// Volume, mL.
    pub volume_ml: f64,
    /// Mean HU (original CT).
    pub mean_hu: f64,
    /// Largest HU (original CT).
    pub max_hu: f64,
    /// Mean diameter of the largest solid piece, mm (0 when none).
    pub solid_diameter: f64,
    /// Share of voxels in the solid component.
    pub solid_share: f64,
    /// Share of voxels calcified.
    pub calcified_share: f64,
    /// Distance of the calcified centroid from the lesion centroid, as a
    /// share of the lesion's equivalent radius.
    pub calcified_offset: f64,
    /// Voxel count.
    pub voxels: usize,
}

/// Positions (mm, in the crop's index frame scaled by spacing; the grid
/// axes are orthogonal, so lengths are those of patient space).
fn position(i: usize, dims: [usize; 3], s: [f64; 3]) -> [f64; 3] {
    [
        (i % dims[0]) as f64 * s[0],
        ((i / dims[0]) % dims[1]) as f64 * s[1],
        (i / (dims[0] * dims[1])) as f64 * s[2],
    ]
}

/// Extent of `points` along unit direction `d`, corrected by the voxel
/// width along `d`.
fn extent(points: &[[f64; 3]], d: [f64; 3], s: [f64; 3]) -> f64 {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points {
        let x = p[0] * d[0] + p[1] * d[1] + p[2] * d[2];
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if !lo.is_finite() {
        return 0.0;
    }
    let w = ((d[0] * s[0]).powi(2) + (d[1] * s[1]).powi(2) + (d[2] * s[2]).powi(2)).sqrt();
    hi - lo + w
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalise(a: [f64; 3]) -> [f64; 3] {
    let n = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt().max(1e-12);
    [a[0] / n, a[1] / n, a[2] / n]
}

/// Long and short axes of a point set (3D).
pub fn axes(points: &[[f64; 3]], s: [f64; 3]) -> (f64, f64) {
    if points.is_empty() {
        return (0.0, 0.0);
    }
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let mut best = (0.0, [1.0, 0.0, 0.0]);
    for i in 0..300 {
        let z = 1.0 - (i as f64 + 0.5) / 300.0;
        let r = (1.0 - z * z).sqrt();
        let d = [
            r * (golden * i as f64).cos(),
            r * (golden * i as f64).sin(),
            z,
        ];
        let e = extent(points, d, s);
        if e > best.0 {
            best = (e, d);
        }
    }
    let axis = best.1;
    let helper = if axis[0].abs() < 0.9 {
        [1.0, 0.0, 0.0]
    } else {
        [0.0, 1.0, 0.0]
    };
    let u = normalise(cross(axis, helper));
    let v = cross(axis, u);
    let mut short: f64 = 0.0;
    for i in 0..90 {
        let a = std::f64::consts::PI * i as f64 / 90.0;
        let d = [
            u[0] * a.cos() + v[0] * a.sin(),
            u[1] * a.cos() + v[1] * a.sin(),
            u[2] * a.cos() + v[2] * a.sin(),
        ];
        short = short.max(extent(points, d, s));
    }
    (best.0, short.min(best.0))
}

/// Axial long and short axes: the slice with the longest in-plane extent.
fn axial_axes(voxels: &[usize], dims: [usize; 3], s: [f64; 3]) -> (f64, f64) {
    let mut by_slice: std::collections::BTreeMap<usize, Vec<[f64; 3]>> = Default::default();
    for &i in voxels {
        let p = position(i, dims, s);
        by_slice
            .entry(i / (dims[0] * dims[1]))
            .or_default()
            .push([p[0], p[1], 0.0]);
    }
    let mut best = (0.0, 0.0);
    for pts in by_slice.values() {
        let mut long = (0.0, 0.0);
        for k in 0..90 {
            let a = std::f64::consts::PI * k as f64 / 90.0;
            let e = extent(pts, [a.cos(), a.sin(), 0.0], [s[0], s[1], 0.0]);
            if e > long.0 {
                long = (e, a);
            }
        }
        if long.0 > best.0 {
            let a = long.1 + std::f64::consts::FRAC_PI_2;
            let short = extent(pts, [a.cos(), a.sin(), 0.0], [s[0], s[1], 0.0]);
            best = (long.0, short.min(long.0));
        }
    }
    best
}

/// Boundary voxels (a 6-neighbour outside the set) of a voxel set.
fn boundary(
    voxels: &[usize],
    set: &std::collections::HashSet<usize>,
    dims: [usize; 3],
) -> Vec<usize> {
    let plane = dims[0] * dims[1];
    voxels
        .iter()
        .copied()
        .filter(|&i| {
            let (x, y, z) = (i % dims[0], (i / dims[0]) % dims[1], i / plane);
            x == 0
                || y == 0
                || z == 0
                || x + 1 >= dims[0]
                || y + 1 >= dims[1]
                || z + 1 >= dims[2]
                || !set.contains(&(i - 1))
                || !set.contains(&(i + 1))
                || !set.contains(&(i - dims[0]))
                || !set.contains(&(i + dims[0]))
                || !set.contains(&(i - plane))
                || !set.contains(&(i + plane))
        })
        .collect()
}

/// Long/short axes of a voxel set (crop linear indices).
pub fn voxel_axes(voxels: &[usize], grid: &Geometry) -> (f64, f64) {
    let set: std::collections::HashSet<usize> = voxels.iter().copied().collect();
    let edge = boundary(voxels, &set, grid.dims);
    let pts: Vec<[f64; 3]> = edge
        .iter()
        .map(|&i| position(i, grid.dims, grid.spacing))
        .collect();
    axes(&pts, grid.spacing)
}

/// The largest 26-connected piece of a voxel subset.
fn largest_piece(voxels: &[usize], dims: [usize; 3]) -> Vec<usize> {
    let set: std::collections::HashSet<usize> = voxels.iter().copied().collect();
    let mut seen = std::collections::HashSet::new();
    let mut best: Vec<usize> = Vec::new();
    let plane = dims[0] * dims[1];
    for &v in voxels {
        if seen.contains(&v) {
            continue;
        }
        let mut piece = vec![v];
        seen.insert(v);
        let mut k = 0;
        while k < piece.len() {
            let i = piece[k];
            k += 1;
            let (x, y, z) = (
                (i % dims[0]) as i64,
                ((i / dims[0]) % dims[1]) as i64,
                (i / plane) as i64,
            );
            for dz in -1..=1 {
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        let q = [x + dx, y + dy, z + dz];
                        if (0..3).any(|a| q[a] < 0 || q[a] >= dims[a] as i64) {
                            continue;
                        }
                        let j = q[0] as usize + dims[0] * (q[1] as usize + dims[1] * q[2] as usize);
                        if set.contains(&j) && seen.insert(j) {
                            piece.push(j);
                        }
                    }
                }
            }
        }
        if piece.len() > best.len() {
            best = piece;
        }
    }
    best
}

/// Measures a lesion given by crop indices; `hu` is the original CT crop,
/// `seg` the lightly smoothed one, `lung` the lung mask crop.
pub fn measure(
    voxels: &[usize],
    grid: &Geometry,
    hu: &[i16],
    seg: &[f32],
    lung: &[bool],
) -> Measures {
    let dims = grid.dims;
    let s = grid.spacing;
    let n = voxels.len();
    if n == 0 {
        return Measures::default();
    }
    let (long_axis, short_axis) = voxel_axes(voxels, grid);
    let (axial_long, axial_short) = axial_axes(voxels, dims, s);
    let voxel_mm3 = grid.voxel_volume_mm3();
    let mut sum = 0.0;
    let mut max_hu = f64::NEG_INFINITY;
    let mut solid = Vec::new();
    let mut calc = Vec::new();
    let mut centre = [0.0; 3];
    for &i in voxels {
        let v = f64::from(hu[i]);
        sum += v;
        max_hu = max_hu.max(v);
        if seg[i] >= SOLID_MIN_HU {
            solid.push(i);
        }
        if lung[i] && seg[i] >= CALCIFIED_HU {
            calc.push(i);
        }
        let p = position(i, dims, s);
        for a in 0..3 {
            centre[a] += p[a] / n as f64;
        }
    }
    let solid_piece = largest_piece(&solid, dims);
    let solid_diameter = if solid_piece.is_empty() {
        0.0
    } else {
        let (l, sh) = voxel_axes(&solid_piece, grid);
        0.5 * (l + sh)
    };
    let r_eq = equivalent_radius_mm(n, voxel_mm3);
    let calcified_offset = if calc.is_empty() {
        f64::INFINITY
    } else {
        let mut c = [0.0; 3];
        for &i in &calc {
            let p = position(i, dims, s);
            for a in 0..3 {
                c[a] += p[a] / calc.len() as f64;
            }
        }
        let d: f64 = (0..3)
            .map(|a| (c[a] - centre[a]).powi(2))
            .sum::<f64>()
            .sqrt();
        d / r_eq.max(1e-9)
    };
    Measures {
        long_axis,
        short_axis,
        mean_diameter: 0.5 * (long_axis + short_axis),
        axial_long,
        axial_short,
        volume_ml: n as f64 * voxel_mm3 / 1000.0,
        mean_hu: sum / n as f64,
        max_hu,
        solid_diameter,
        solid_share: solid.len() as f64 / n as f64,
        calcified_share: calc.len() as f64 / n as f64,
        calcified_offset,
        voxels: n,
    }
}

/// Radius (mm) of the sphere with the volume of `voxels` voxels of
/// `voxel_mm3` each.
pub fn equivalent_radius_mm(voxels: usize, voxel_mm3: f64) -> f64 {
    (3.0 * voxels as f64 * voxel_mm3 / (4.0 * std::f64::consts::PI)).cbrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voxel_ball_measures_its_diameter() {
        let g = Geometry::new([40, 40, 40], [0.5, 0.5, 0.5], [0.0; 3]);
        let mut voxels = Vec::new();
        for z in 0..40 {
            for y in 0..40 {
                for x in 0..40 {
                    let d2 = [x, y, z]
                        .iter()
                        .map(|c| (*c as f64 * 0.5 - 10.0).powi(2))
                        .sum::<f64>();
                    if d2 <= 25.0 {
                        voxels.push(x + 40 * (y + 40 * z));
                    }
                }
            }
        }
        let (l, s) = voxel_axes(&voxels, &g);
        assert!((l - 10.0).abs() < 0.8 && (s - 10.0).abs() < 0.8, "{l} {s}");
        let (al, as_) = axial_axes(&voxels, g.dims, g.spacing);
        assert!(
            (al - 10.0).abs() < 0.8 && (as_ - 10.0).abs() < 0.8,
            "{al} {as_}"
        );
    }
}
