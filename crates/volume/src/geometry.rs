//! Grid geometry in DICOM patient space (LPS, millimetres): the size, spacing,
//! origin and axis directions of a voxel grid, and the transforms between
//! voxel indices and patient coordinates.
//!
//! Conventions (shared/design/FINDINGS-JSON.md): `dims` are `[x, y, z]` =
//! `[columns, rows, slices]`; `direction[i]` is the LPS unit vector along
//! which index `i` increases; `origin` is the LPS position of the centre of
//! voxel `(0, 0, 0)`.

use crate::VolumeError;

/// Size, spacing, origin and orientation of a voxel grid in LPS millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Number of voxels along x (columns), y (rows) and z (slices).
    pub dims: [usize; 3],
    /// Voxel spacing in mm along x, y, z (all strictly positive).
    pub spacing: [f64; 3],
    /// LPS position in mm of the centre of voxel (0, 0, 0).
    pub origin: [f64; 3],
    /// `direction[i]`: the LPS unit vector of increasing index `i`.
    pub direction: [[f64; 3]; 3],
}

/// The identity orientation: x along L, y along P, z along S.
pub const IDENTITY_DIRECTION: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

impl Geometry {
    /// A grid with identity orientation.
    pub fn new(dims: [usize; 3], spacing: [f64; 3], origin: [f64; 3]) -> Self {
        Geometry {
            dims,
            spacing,
            origin,
            direction: IDENTITY_DIRECTION,
        }
    }

    /// Checks that spacing is positive and finite and that the direction
    /// vectors are unit length and mutually orthogonal (to 1e-3).
    pub fn validate(&self) -> Result<(), VolumeError> {
        for (axis, s) in self.spacing.iter().enumerate() {
            if !(s.is_finite() && *s > 0.0) {
                return Err(VolumeError::Geometry(format!(
                    "spacing along axis {axis} is {s}, must be positive"
                )));
            }
        }
        if self.origin.iter().any(|o| !o.is_finite()) {
            return Err(VolumeError::Geometry("origin is not finite".into()));
        }
        for i in 0..3 {
            let n = norm(self.direction[i]);
            if (n - 1.0).abs() > 1e-3 {
                return Err(VolumeError::Geometry(format!(
                    "direction of axis {i} has length {n:.4}, expected 1"
                )));
            }
            for j in (i + 1)..3 {
                let d = dot(self.direction[i], self.direction[j]);
                if d.abs() > 1e-3 {
                    return Err(VolumeError::Geometry(format!(
                        "directions of axes {i} and {j} are not orthogonal (cosine {d:.4})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Total number of voxels.
    pub fn len(&self) -> usize {
        self.dims[0] * self.dims[1] * self.dims[2]
    }

    /// True when the grid holds no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Volume of one voxel in mm^3.
    pub fn voxel_volume_mm3(&self) -> f64 {
        self.spacing[0] * self.spacing[1] * self.spacing[2]
    }

    /// LPS position (mm) of a continuous index `[x, y, z]`.
    #[allow(clippy::needless_range_loop)] // axis indices read clearer
    pub fn index_to_lps(&self, index: [f64; 3]) -> [f64; 3] {
        let mut p = self.origin;
        for axis in 0..3 {
            let step = index[axis] * self.spacing[axis];
            for (k, pk) in p.iter_mut().enumerate() {
                *pk += self.direction[axis][k] * step;
            }
        }
        p
    }

    /// Continuous index `[x, y, z]` of an LPS position (mm). Exact for
    /// orthonormal directions (the inverse of a rotation is its transpose).
    #[allow(clippy::needless_range_loop)] // axis indices read clearer
    pub fn lps_to_index(&self, lps: [f64; 3]) -> [f64; 3] {
        let d = [
            lps[0] - self.origin[0],
            lps[1] - self.origin[1],
            lps[2] - self.origin[2],
        ];
        let mut idx = [0.0; 3];
        for axis in 0..3 {
            idx[axis] = dot(self.direction[axis], d) / self.spacing[axis];
        }
        idx
    }

    /// The 4x4 affine (row-major) mapping `[x, y, z, 1]` indices to LPS mm.
    #[allow(clippy::needless_range_loop)] // axis indices read clearer
    pub fn affine_lps(&self) -> [[f64; 4]; 4] {
        let mut a = [[0.0; 4]; 4];
        for row in 0..3 {
            for axis in 0..3 {
                a[row][axis] = self.direction[axis][row] * self.spacing[axis];
            }
            a[row][3] = self.origin[row];
        }
        a[3][3] = 1.0;
        a
    }

    /// The 4x4 affine mapping indices to RAS mm, as NIfTI stores it (LPS x
    /// and y negated).
    pub fn affine_ras(&self) -> [[f64; 4]; 4] {
        flip_xy(self.affine_lps())
    }

    /// Builds a geometry from an index-to-RAS affine (NIfTI convention).
    /// Spacing is the column norm; a zero column is an error.
    pub fn from_affine_ras(dims: [usize; 3], ras: [[f64; 4]; 4]) -> Result<Self, VolumeError> {
        Self::from_affine_lps(dims, flip_xy(ras))
    }

    /// Builds a geometry from an index-to-LPS affine.
    pub fn from_affine_lps(dims: [usize; 3], lps: [[f64; 4]; 4]) -> Result<Self, VolumeError> {
        let mut spacing = [0.0; 3];
        let mut direction = [[0.0; 3]; 3];
        for axis in 0..3 {
            let col = [lps[0][axis], lps[1][axis], lps[2][axis]];
            let n = norm(col);
            if !(n.is_finite() && n > 0.0) {
                return Err(VolumeError::Geometry(format!(
                    "affine column {axis} has zero length"
                )));
            }
            spacing[axis] = n;
            direction[axis] = [col[0] / n, col[1] / n, col[2] / n];
        }
        let g = Geometry {
            dims,
            spacing,
            origin: [lps[0][3], lps[1][3], lps[2][3]],
            direction,
        };
        g.validate()?;
        Ok(g)
    }

    /// Direction as 9 numbers in FINDINGS-JSON.md order: x axis, y axis, z axis.
    pub fn direction_flat(&self) -> [f64; 9] {
        let d = &self.direction;
        [
            d[0][0], d[0][1], d[0][2], d[1][0], d[1][1], d[1][2], d[2][0], d[2][1], d[2][2],
        ]
    }

    /// True when `other` has the same dims and the same spacing, origin and
    /// directions within `tol_mm` (positions) and 1e-4 (cosines).
    pub fn same_grid(&self, other: &Geometry, tol_mm: f64) -> bool {
        self.dims == other.dims
            && (0..3).all(|i| {
                (self.spacing[i] - other.spacing[i]).abs() <= tol_mm
                    && (self.origin[i] - other.origin[i]).abs() <= tol_mm
                    && (0..3).all(|k| (self.direction[i][k] - other.direction[i][k]).abs() <= 1e-4)
            })
    }

    /// Index-space bounding box `[min, max]` (inclusive) to an LPS bounding
    /// box `[[min_x, min_y, min_z], [max_x, max_y, max_z]]` of voxel centres.
    pub fn bbox_lps(&self, min_index: [usize; 3], max_index: [usize; 3]) -> [[f64; 3]; 2] {
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for corner in 0..8 {
            let idx = [
                if corner & 1 == 0 {
                    min_index[0]
                } else {
                    max_index[0]
                } as f64,
                if corner & 2 == 0 {
                    min_index[1]
                } else {
                    max_index[1]
                } as f64,
                if corner & 4 == 0 {
                    min_index[2]
                } else {
                    max_index[2]
                } as f64,
            ];
            let p = self.index_to_lps(idx);
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        [lo, hi]
    }
}

/// Negates the first two rows of an affine: LPS <-> RAS.
fn flip_xy(mut affine: [[f64; 4]; 4]) -> [[f64; 4]; 4] {
    for row in affine.iter_mut().take(2) {
        for v in row.iter_mut() {
            *v = -*v;
        }
    }
    affine
}

/// Dot product of two 3-vectors.
pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Cross product of two 3-vectors.
pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Euclidean length of a 3-vector.
pub fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// Unit eigenvector of the symmetric 3x3 matrix `a` (`[xx, yy, zz, xy,
/// xz, yz]`) for its eigenvalue `l` (the largest cross product of two rows
/// of `a - l I`; `[0, 0, 1]` when `l` is not isolated enough to tell).
pub fn symmetric_eigenvector(a: [f64; 6], l: f64) -> [f64; 3] {
    let [xx, yy, zz, xy, xz, yz] = a;
    let r = [[xx - l, xy, xz], [xy, yy - l, yz], [xz, yz, zz - l]];
    let cross = |u: [f64; 3], v: [f64; 3]| {
        [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ]
    };
    let mut best = [0.0, 0.0, 1.0];
    let mut best_n = 0.0;
    for (i, j) in [(0, 1), (0, 2), (1, 2)] {
        let c = cross(r[i], r[j]);
        let n = c.iter().map(|v| v * v).sum::<f64>();
        if n > best_n {
            best_n = n;
            best = c;
        }
    }
    let n = best_n.sqrt();
    if n < 1e-20 {
        return [0.0, 0.0, 1.0];
    }
    [best[0] / n, best[1] / n, best[2] / n]
}

/// Eigenvalues, in decreasing order, of the symmetric 3x3 matrix
/// `[xx, yy, zz, xy, xz, yz]` (a Hessian or structure tensor), by the
/// trigonometric closed form (Smith, Commun ACM 1961): no iteration, so it
/// is cheap enough to run at every voxel.
pub fn symmetric_eigenvalues(a: [f64; 6]) -> [f64; 3] {
    let [xx, yy, zz, xy, xz, yz] = a;
    let p1 = xy * xy + xz * xz + yz * yz;
    let q = (xx + yy + zz) / 3.0;
    let p2 = (xx - q).powi(2) + (yy - q).powi(2) + (zz - q).powi(2) + 2.0 * p1;
    let p = (p2 / 6.0).sqrt();
    if p < 1e-12 {
        return [q, q, q];
    }
    let (bxx, byy, bzz) = ((xx - q) / p, (yy - q) / p, (zz - q) / p);
    let (bxy, bxz, byz) = (xy / p, xz / p, yz / p);
    let det = bxx * (byy * bzz - byz * byz) - bxy * (bxy * bzz - byz * bxz)
        + bxz * (bxy * byz - byy * bxz);
    let r = (det / 2.0).clamp(-1.0, 1.0);
    let phi = r.acos() / 3.0;
    let e1 = q + 2.0 * p * phi.cos();
    let e3 = q + 2.0 * p * (phi + 2.0 * std::f64::consts::PI / 3.0).cos();
    [e1, 3.0 * q - e1 - e3, e3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_eigenvalues_of_diagonal_and_full_matrices() {
        let e = symmetric_eigenvalues([-3.0, -1.0, -2.0, 0.0, 0.0, 0.0]);
        assert!(
            (e[0] + 1.0).abs() < 1e-9 && (e[1] + 2.0).abs() < 1e-9 && (e[2] + 3.0).abs() < 1e-9
        );
        // [[2,1,0],[1,2,0],[0,0,5]] has eigenvalues 5, 3, 1.
        let e = symmetric_eigenvalues([2.0, 2.0, 5.0, 1.0, 0.0, 0.0]);
        assert!(
            (e[0] - 5.0).abs() < 1e-9 && (e[1] - 3.0).abs() < 1e-9 && (e[2] - 1.0).abs() < 1e-9
        );
    }

    fn oblique() -> Geometry {
        let c = (0.3f64).cos();
        let s = (0.3f64).sin();
        Geometry {
            dims: [10, 12, 7],
            spacing: [0.7, 0.8, 2.5],
            origin: [-100.0, 50.0, -300.0],
            direction: [[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    #[test]
    fn index_lps_round_trip() {
        let g = oblique();
        g.validate().unwrap();
        let idx = [3.5, 7.25, 4.0];
        let back = g.lps_to_index(g.index_to_lps(idx));
        for k in 0..3 {
            assert!((back[k] - idx[k]).abs() < 1e-9);
        }
    }

    #[test]
    fn affine_round_trip_through_ras() {
        let g = oblique();
        let ras = g.affine_ras();
        // RAS x of voxel (0,0,0) is minus LPS x.
        assert_eq!(ras[0][3], 100.0);
        assert_eq!(ras[1][3], -50.0);
        let h = Geometry::from_affine_ras(g.dims, ras).unwrap();
        assert!(g.same_grid(&h, 1e-9));
    }

    #[test]
    fn rejects_bad_geometry() {
        let mut g = oblique();
        g.spacing[2] = 0.0;
        assert!(g.validate().is_err());
        let mut g = oblique();
        g.direction[1] = g.direction[0];
        assert!(g.validate().is_err());
    }
}
