//! Mitral annular calcification (FINDINGS.md F39) among the calcified
//! components [`super::detect`] found and did not count as coronary.
//!
//! MAC lies inside the heart's outline at the left atrioventricular
//! junction, enclosed by blood and myocardium: the components judged
//! intracardiac (deep in the heart mask) or without epicardial fat around
//! them, in the left and posterior part of the heart (heart frame x above
//! [`MAC_MIN_LEFT`], y above [`MAC_MIN_POSTERIOR`]), clear of the aorta
//! by [`MAC_AORTA_CLEAR_MM`] (the aortic valve's calcium, F20, lies at the
//! root), with a peak of [`MAC_MIN_PEAK_HU`] or more. Their volume is
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
/// `hu` is the scene's crop, `positions` maps a crop voxel to LPS mm.
pub fn find(
    components: &[Component],
    frame: &HeartFrame,
    hu: &[i16],
    positions: impl Fn(usize) -> [f64; 3],
) -> Option<Mac> {
    let picked: Vec<usize> = components
        .iter()
        .enumerate()
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
    let mut cov = [[0.0f64; 3]; 3];
    for p in points {
        let d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
        for i in 0..3 {
            for j in 0..3 {
                cov[i][j] += d[i] * d[j] / n;
            }
        }
    }
    let (u, v) = plane_axes(&cov)?;
    // Kasa circle fit in the plane: x^2 + y^2 + D x + E y + F = 0.
    let pts: Vec<(f64, f64)> = points
        .iter()
        .map(|p| {
            let d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
            (dot(d, u), dot(d, v))
        })
        .collect();
    let mut m = [[0.0f64; 3]; 3];
    let mut rhs = [0.0f64; 3];
    for &(x, y) in &pts {
        let row = [x, y, 1.0];
        let z = -(x * x + y * y);
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += row[i] * row[j];
            }
            rhs[i] += row[i] * z;
        }
    }
    let [d, e, f] = solve3(m, rhs)?;
    let (cx, cy) = (-d / 2.0, -e / 2.0);
    let r2 = cx * cx + cy * cy - f;
    if r2.is_nan() || r2 <= 0.0 {
        return None;
    }
    let radius = r2.sqrt();
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

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The two leading eigenvectors of a symmetric 3x3 matrix (the plane of
/// the points), by power iteration with deflation.
fn plane_axes(cov: &[[f64; 3]; 3]) -> Option<([f64; 3], [f64; 3])> {
    let mul = |m: &[[f64; 3]; 3], x: [f64; 3]| -> [f64; 3] {
        std::array::from_fn(|i| m[i][0] * x[0] + m[i][1] * x[1] + m[i][2] * x[2])
    };
    let norm = |x: [f64; 3]| -> Option<[f64; 3]> {
        let l = dot(x, x).sqrt();
        (l > 1e-12).then(|| x.map(|c| c / l))
    };
    let power = |m: &[[f64; 3]; 3]| -> Option<([f64; 3], f64)> {
        let mut x = norm([1.0, 0.7, 0.3])?;
        for _ in 0..200 {
            x = norm(mul(m, x))?;
        }
        Some((x, dot(x, mul(m, x))))
    };
    let (u, lu) = power(cov)?;
    let mut deflated = *cov;
    for i in 0..3 {
        for j in 0..3 {
            deflated[i][j] -= lu * u[i] * u[j];
        }
    }
    let (v, _) = power(&deflated)?;
    // Orthogonal to u.
    let v = norm([
        v[0] - dot(v, u) * u[0],
        v[1] - dot(v, u) * u[1],
        v[2] - dot(v, u) * u[2],
    ])?;
    Some((u, v))
}

/// Solves a 3x3 linear system by Cramer's rule (`None` when singular).
fn solve3(m: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let det = |a: [[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
            - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-9 {
        return None;
    }
    Some(std::array::from_fn(|k| {
        let mut a = m;
        for i in 0..3 {
            a[i][k] = b[i];
        }
        det(a) / d
    }))
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
