//! The two coordinate systems of a phantom. Anatomy is built in the
//! *patient frame* `(u, v, w)` in mm: `u` towards the patient's left, `v`
//! posterior, `w` superior, with `w = 0` at the top of the T1 vertebral
//! body and `(u, v) = (0, 0)` on the chest's central axis. The scanner
//! sees it in DICOM LPS after a small rotation about S and an offset
//! ([`PatientFrame`]). The CT grid ([`grid_geometry`]) is axial, identity
//! oriented, square in-plane, slices ordered inferior to superior.

use serde::{Deserialize, Serialize};
use volume::Geometry;

use crate::geom::V3;

/// Placement of the patient frame in LPS.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PatientFrame {
    /// LPS position (mm) of the patient-frame origin.
    pub origin_lps: V3,
    /// Rotation of the patient about S, radians (positive turns the
    /// patient's left side posteriorly).
    pub rotation_rad: f64,
}

impl PatientFrame {
    /// LPS position of a patient-frame point.
    #[inline]
    pub fn to_lps(&self, p: V3) -> V3 {
        let (s, c) = self.rotation_rad.sin_cos();
        [
            self.origin_lps[0] + c * p[0] - s * p[1],
            self.origin_lps[1] + s * p[0] + c * p[1],
            self.origin_lps[2] + p[2],
        ]
    }

    /// Patient-frame position of an LPS point.
    #[inline]
    pub fn to_patient(&self, x: V3) -> V3 {
        let (s, c) = self.rotation_rad.sin_cos();
        let dx = x[0] - self.origin_lps[0];
        let dy = x[1] - self.origin_lps[1];
        [c * dx + s * dy, -s * dx + c * dy, x[2] - self.origin_lps[2]]
    }

    /// Rotates an in-plane direction from the patient frame to LPS.
    pub fn dir_to_lps(&self, d: V3) -> V3 {
        let (s, c) = self.rotation_rad.sin_cos();
        [c * d[0] - s * d[1], s * d[0] + c * d[1], d[2]]
    }
}

/// The CT grid: `matrix` x `matrix` pixels over a square field of view
/// centred on LPS (0, 0), `slices` slices of `slice_mm` whose first centre
/// is at LPS z `z0`.
pub fn grid_geometry(
    matrix: usize,
    fov_mm: f64,
    slices: usize,
    slice_mm: f64,
    z0: f64,
) -> Geometry {
    let px = fov_mm / matrix as f64;
    let o = -0.5 * fov_mm + 0.5 * px;
    Geometry::new([matrix, matrix, slices], [px, px, slice_mm], [o, o, z0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip() {
        let f = PatientFrame {
            origin_lps: [12.0, -7.0, -300.0],
            rotation_rad: 0.05,
        };
        let p = [30.0, -40.0, -120.0];
        let q = f.to_patient(f.to_lps(p));
        for k in 0..3 {
            assert!((p[k] - q[k]).abs() < 1e-9);
        }
        // The patient's left stays on LPS +x for a small rotation.
        assert!(f.to_lps([100.0, 0.0, 0.0])[0] > f.origin_lps[0] + 90.0);
    }

    #[test]
    fn grid_is_centred() {
        let g = grid_geometry(512, 360.0, 10, 2.5, -200.0);
        let c = g.index_to_lps([255.5, 255.5, 0.0]);
        assert!(c[0].abs() < 1e-9 && c[1].abs() < 1e-9);
        assert!((g.spacing[0] - 360.0 / 512.0).abs() < 1e-12);
    }
}
