//! Mitral annular calcification (FINDINGS.md F39) among the calcified
//! components [`super::detect`] found and did not count as coronary.
//!
//! MAC lies inside the heart's outline at the left atrioventricular
//! junction, enclosed by blood and myocardium: the components judged
//! intracardiac (deep in the heart mask) or without epicardial fat around
//! them, in the left and posterior part of the heart (heart frame x above
//! [`MAC_MIN_LEFT`], y above [`MAC_MIN_POSTERIOR`]), clear of the aorta
//! by [`MAC_AORTA_CLEAR_MM`] and not taken by the aortic valve
//! ([`super::valve`]: the calcium in the root's cylinder, F20), with a
//! peak of [`MAC_MIN_PEAK_HU`] or more. Their volume is
//! counted at each component's half maximum over the soft tissue (the
//! 130 HU outline of a blurred bar overstates it). The calcified arc is
//! measured on a circle fitted to the calcium in its own plane (the
//! annulus is a ring of 26-34 mm): 360 degrees less the largest angular
//! gap; MAC is extensive from half the circumference
//! ([`MAC_EXTENSIVE_ARC_DEG`]).

use crate::calcium::detect::{Component, HeartFrame, Verdict};
use crate::constants::{
    CAC_HU, CAC_SOFT_TISSUE_HU, MAC_AORTA_CLEAR_MM, MAC_EXTENSIVE_ARC_DEG, MAC_MIN_LEFT,
    MAC_MIN_PEAK_HU, MAC_MIN_POSTERIOR, MAC_RING_RADIUS_MM,
};

/// The mitral annular calcium found.
#[derive(Debug, Clone)]
pub struct Mac {
    /// Indices into the scene's components.
    pub components: Vec<usize>,
    /// Crop-grid voxels counted (each component at its half maximum).
    pub voxels: Vec<usize>,
    /// Calcified arc, degrees (`None` when no ring of annular size fits).
    pub arc_deg: Option<f64>,
}

impl Mac {
    /// Extensive: half the annulus or more.
    pub fn extensive(&self) -> bool {
        self.arc_deg.is_some_and(|a| a >= MAC_EXTENSIVE_ARC_DEG)
    }
}

/// Picks the MAC components and measures them; `None` without any.
/// `valve` are the components the aortic valve took ([`super::valve`]),
/// `hu` is the scene's crop, `positions` maps a crop voxel to LPS mm.
pub fn find(
    components: &[Component],
    valve: &[usize],
    frame: &HeartFrame,
    hu: &[i16],
    positions: impl Fn(usize) -> [f64; 3],
) -> Option<Mac> {
    let picked: Vec<usize> = components
        .iter()
        .enumerate()
        .filter(|(k, _)| !valve.contains(k))
        .filter(|(_, c)| {
            let l = frame.local(c.centroid);
            matches!(c.verdict, Verdict::Intracardiac | Verdict::NoFat)
                && c.peak_hu >= MAC_MIN_PEAK_HU
                && c.aorta_mm > MAC_AORTA_CLEAR_MM
                && l[0] > MAC_MIN_LEFT
                && l[1] > MAC_MIN_POSTERIOR
        })
        .map(|(k, _)| k)
        .collect();
    if picked.is_empty() {
        return None;
    }
    let mut voxels = Vec::new();
    for &k in &picked {
        let c = &components[k];
        let half = (0.5 * (CAC_SOFT_TISSUE_HU + c.peak_hu)).max(CAC_HU);
        voxels.extend(
            c.voxels
                .iter()
                .copied()
                .filter(|&i| f32::from(hu[i]) >= half),
        );
    }
    let points: Vec<[f64; 3]> = voxels.iter().map(|&i| positions(i)).collect();
    Some(Mac {
        components: picked,
        arc_deg: ring_arc(&points),
        voxels,
    })
}

/// The arc (degrees) the points cover on the circle fitted to them in
/// their best plane, when its radius is an annulus' ([`MAC_RING_RADIUS_MM`]);
/// `None` otherwise (a single lump, or calcium not on a ring).
pub fn ring_arc(points: &[[f64; 3]]) -> Option<f64> {
    if points.len() < 6 {
        return None;
    }
    let n = points.len() as f64;
    let mean: [f64; 3] = std::array::from_fn(|a| points.iter().map(|p| p[a]).sum::<f64>() / n);
    // The plane: the two leading principal axes of the points.
    let mut cov = [0.0f64; 6];
    for p in points {
        let d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
        let terms = [
            d[0] * d[0],
            d[1] * d[1],
            d[2] * d[2],
            d[0] * d[1],
            d[0] * d[2],
            d[1] * d[2],
        ];
        for (c, t) in cov.iter_mut().zip(terms) {
            *c += t / n;
        }
    }
    let e = volume::symmetric_eigenvalues(cov);
    let u = volume::symmetric_eigenvector(cov, e[0]);
    let v = volume::symmetric_eigenvector(cov, e[1]);
    let pts: Vec<(f64, f64)> = points
        .iter()
        .map(|p| {
            let d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
            (volume::dot(d, u), volume::dot(d, v))
        })
        .collect();
    let (cx, cy, radius) = crate::fit_circle(&pts)?;
    if !(MAC_RING_RADIUS_MM[0]..=MAC_RING_RADIUS_MM[1]).contains(&radius) {
        return None;
    }
    let mut angles: Vec<f64> = pts
        .iter()
        .map(|&(x, y)| (y - cy).atan2(x - cx).to_degrees().rem_euclid(360.0))
        .collect();
    angles.sort_by(f64::total_cmp);
    let mut gap = 360.0 - (angles[angles.len() - 1] - angles[0]);
    for w in angles.windows(2) {
        gap = gap.max(w[1] - w[0]);
    }
    Some(360.0 - gap)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points on an arc of `deg` degrees of a ring of radius `r` in a
    /// tilted plane.
    fn arc(deg: f64, r: f64) -> Vec<[f64; 3]> {
        let (u, v) = ([0.8, 0.0, 0.6], [0.0, 1.0, 0.0]);
        (0..=60)
            .map(|k| {
                let t = (deg * k as f64 / 60.0 - 40.0).to_radians();
                let (a, b) = (r * t.cos(), r * t.sin());
                [
                    10.0 + a * u[0] + b * v[0],
                    -5.0 + a * u[1] + b * v[1],
                    20.0 + a * u[2] + b * v[2],
                ]
            })
            .collect()
    }

    #[test]
    fn the_arc_of_a_ring_is_measured() {
        for deg in [90.0, 150.0, 220.0, 300.0] {
            let got = ring_arc(&arc(deg, 14.0)).unwrap();
            assert!((got - deg).abs() < 2.0, "{deg}: {got}");
        }
    }

    #[test]
    fn a_ring_of_the_wrong_size_or_a_lump_has_no_arc() {
        assert!(ring_arc(&arc(200.0, 40.0)).is_none());
        let lump: Vec<[f64; 3]> = (0..20)
            .map(|k| [k as f64 * 0.1, (k % 3) as f64 * 0.2, 0.0])
            .collect();
        assert!(ring_arc(&lump).is_none());
    }
}
