//! Sub-voxel refinement of a tracked tube's outer wall on the CT itself.
//!
//! Tracking ([`crate::tubes::track`]) fits circles on a coarse work grid
//! with 1 mm steps of centre and radius and a ring-contrast score: good
//! enough to follow a vessel, but its walls sit up to a voxel off, which
//! on a 12 mm aorta is a tenth of its volume. Here each cross-section is
//! fitted again at full resolution: rays are cast from the tracked centre
//! in the plane perpendicular to the centreline, each ray's edge is where
//! its profile crosses halfway between the lumen and what lies outside
//! (the half-maximum of a blurred step, unbiased whatever the two levels:
//! fat or lung), and a circle is fitted to the edges by least squares
//! (Kasa's algebraic fit, refined by dropping outlying edges). Rays that
//! run into another soft-tissue structure (heart, pulmonary artery,
//! oesophagus) have no edge and do not vote; a cross-section with too few
//! edges, or too little of its rim seen, keeps its tracked circle.

use volume::{Volume, resample::sample_linear};

use crate::constants::{
    WALL_EDGE_DROP_HU, WALL_EDGE_MAX_CONTRAST_HU, WALL_EDGE_MIN_CONTRAST_HU, WALL_EDGE_MIN_SHARE,
    WALL_LUMEN_HU, WALL_MAX_GAP_DEG, WALL_MAX_SHIFT, WALL_MIN_EDGES, WALL_OUTLIER_MM,
    WALL_RADIUS_CHANGE, WALL_RAYS,
};
use crate::tubes::{basis, normalize};

/// Ray sampling step, mm.
const STEP_MM: f64 = 0.25;
/// Cross-sections a correction is carried across (tracking steps are 4 mm:
/// about 3 cm).
const WALL_FILL_STEPS: usize = 8;
/// How far beyond the tracked radius a ray looks for the edge, mm.
const BEYOND_MM: f64 = 6.0;
/// Length over which what lies beyond an edge is measured, mm.
const BEYOND_LEVEL_MM: f64 = 3.0;
/// Profile samples averaged into each (1.25 mm, symmetric).
const SMOOTH_SAMPLES: usize = 5;
/// Offsets along the centreline averaged into each profile sample, mm
/// (a short slab: noise falls by about √3, the wall barely moves).
const SLAB_MM: [f64; 3] = [-1.0, 0.0, 1.0];

/// Refits the outer wall of each cross-section of a tube given by its
/// centreline `points` (LPS mm, in order) and `radii` (mm) on `ct`;
/// returns the refined points and radii (a cross-section that cannot be
/// refitted keeps its own). Corrections are smoothed along the tube over
/// neighbouring refitted cross-sections.
pub fn refine_tube_wall(
    ct: &Volume<i16>,
    points: &[[f64; 3]],
    radii: &[f64],
) -> (Vec<[f64; 3]>, Vec<f64>) {
    let n = points.len();
    if n < 2 || radii.len() != n {
        return (points.to_vec(), radii.to_vec());
    }
    let fits: Vec<Option<([f64; 3], f64)>> = (0..n)
        .map(|i| {
            let a = points[i.saturating_sub(1)];
            let b = points[(i + 1).min(n - 1)];
            let d = normalize([b[0] - a[0], b[1] - a[1], b[2] - a[2]]);
            fit_cross_section(ct, points[i], d, radii[i]).map(|(c, r)| {
                (
                    [
                        c[0] - points[i][0],
                        c[1] - points[i][1],
                        c[2] - points[i][2],
                    ],
                    r - radii[i],
                )
            })
        })
        .collect();
    // Each refitted cross-section's correction, averaged with its refitted
    // neighbours'.
    let smoothed: Vec<Option<([f64; 3], f64)>> = (0..n)
        .map(|i| {
            fits[i]?;
            let near: Vec<&([f64; 3], f64)> = (i.saturating_sub(1)..=(i + 1).min(n - 1))
                .filter_map(|j| fits[j].as_ref())
                .collect();
            let k = near.len() as f64;
            let mut dc = [0.0; 3];
            for (a, c) in dc.iter_mut().enumerate() {
                *c = near.iter().map(|f| f.0[a]).sum::<f64>() / k;
            }
            Some((dc, near.iter().map(|f| f.1).sum::<f64>() / k))
        })
        .collect();
    // Cross-sections without a refit take the correction of the refitted
    // ones around them (the track's error drifts slowly along the tube),
    // interpolated across a gap of at most WALL_FILL_STEPS.
    let mut out_p = points.to_vec();
    let mut out_r = radii.to_vec();
    for i in 0..n {
        let correction = smoothed[i].or_else(|| {
            let prev = (0..i).rev().find(|j| smoothed[*j].is_some());
            let next = (i + 1..n).find(|j| smoothed[*j].is_some());
            match (prev, next) {
                (Some(j), Some(k)) if k - j <= WALL_FILL_STEPS => {
                    let (a, b) = (smoothed[j]?, smoothed[k]?);
                    let t = (i - j) as f64 / (k - j) as f64;
                    let mix = |x: f64, y: f64| x + t * (y - x);
                    Some((
                        [
                            mix(a.0[0], b.0[0]),
                            mix(a.0[1], b.0[1]),
                            mix(a.0[2], b.0[2]),
                        ],
                        mix(a.1, b.1),
                    ))
                }
                (Some(j), _) if i - j <= WALL_FILL_STEPS / 2 => smoothed[j],
                (_, Some(k)) if k - i <= WALL_FILL_STEPS / 2 => smoothed[k],
                _ => None,
            }
        });
        if let Some((dc, dr)) = correction {
            for a in 0..3 {
                out_p[i][a] += dc[a];
            }
            out_r[i] += dr;
        }
    }
    (out_p, out_r)
}

/// The refitted (centre, radius) of the cross-section at `centre` (LPS
/// mm) perpendicular to the unit direction `d`, tracked radius `r`; None
/// when the lumen is not blood-like or too few edges are seen.
fn fit_cross_section(
    ct: &Volume<i16>,
    centre: [f64; 3],
    d: [f64; 3],
    r: f64,
) -> Option<([f64; 3], f64)> {
    let g = *ct.geometry();
    let (u, v) = basis(d);
    let sample = |p: [f64; 3]| sample_linear(ct, g.lps_to_index(p));
    // The slab-averaged value at plane coordinates (a, b).
    let at = |a: f64, b: f64| -> Option<f64> {
        let p = [
            centre[0] + a * u[0] + b * v[0],
            centre[1] + a * u[1] + b * v[1],
            centre[2] + a * u[2] + b * v[2],
        ];
        slab_mean(p, d, &SLAB_MM, &sample)
    };
    // Lumen level: the median of the inner half of the disc.
    let mut inner: Vec<f64> = vec![at(0.0, 0.0)?];
    for k in 0..8 {
        let t = k as f64 * std::f64::consts::TAU / 8.0;
        for f in [0.25, 0.5] {
            inner.push(at(f * r * t.cos(), f * r * t.sin())?);
        }
    }
    inner.sort_by(f64::total_cmp);
    let lumen = inner[inner.len() / 2];
    if !(WALL_LUMEN_HU.0..=WALL_LUMEN_HU.1).contains(&lumen) {
        return None;
    }
    let rule = EdgeRule {
        drop_hu: WALL_EDGE_DROP_HU,
        min_contrast_hu: WALL_EDGE_MIN_CONTRAST_HU,
        max_contrast_hu: WALL_EDGE_MAX_CONTRAST_HU,
        beyond: (BEYOND_LEVEL_MM / STEP_MM) as usize,
    };
    let start = (0.5 * r / STEP_MM) as usize;
    let samples = ((r + BEYOND_MM) / STEP_MM).ceil() as usize + 1;
    let mut edges: Vec<(f64, f64)> = Vec::with_capacity(WALL_RAYS);
    for k in 0..WALL_RAYS {
        let t = k as f64 * std::f64::consts::TAU / WALL_RAYS as f64;
        let (c, s) = (t.cos(), t.sin());
        let dir = [
            c * u[0] + s * v[0],
            c * u[1] + s * v[1],
            c * u[2] + s * v[2],
        ];
        let raw = ray_profile(centre, dir, d, &SLAB_MM, STEP_MM, samples, &sample);
        if raw.len() <= start {
            continue;
        }
        let profile = running_mean(&raw, SMOOTH_SAMPLES);
        if let Some(e) = wall_edge(&profile, start, lumen, &rule) {
            let t = e * STEP_MM;
            if t >= WALL_EDGE_MIN_SHARE * r && t <= r + BEYOND_MM - BEYOND_LEVEL_MM {
                edges.push((t * c, t * s));
            }
        }
    }
    if edges.len() < WALL_MIN_EDGES || max_gap_deg(&edges) > WALL_MAX_GAP_DEG {
        return None;
    }
    let (a, b, rr) = fit_circle(&edges)?;
    // Drop edges off the first fit (a node or a vessel beside the wall on
    // one ray) and fit again.
    let kept: Vec<(f64, f64)> = edges
        .iter()
        .copied()
        .filter(|e| ((e.0 - a).hypot(e.1 - b) - rr).abs() <= WALL_OUTLIER_MM)
        .collect();
    if kept.len() < WALL_MIN_EDGES || max_gap_deg(&kept) > WALL_MAX_GAP_DEG {
        return None;
    }
    let (a, b, rr) = fit_circle(&kept)?;
    // A refit that moves far from the track fitted something else.
    let max_shift = (WALL_MAX_SHIFT.0 * r).max(WALL_MAX_SHIFT.1);
    if a.hypot(b) > max_shift || rr < WALL_RADIUS_CHANGE.0 * r || rr > WALL_RADIUS_CHANGE.1 * r {
        return None;
    }
    Some((
        [
            centre[0] + a * u[0] + b * v[0],
            centre[1] + a * u[1] + b * v[1],
            centre[2] + a * u[2] + b * v[2],
        ],
        rr,
    ))
}

/// Largest angular gap between neighbouring edges, degrees.
fn max_gap_deg(edges: &[(f64, f64)]) -> f64 {
    let mut angles: Vec<f64> = edges.iter().map(|e| e.1.atan2(e.0).to_degrees()).collect();
    angles.sort_by(f64::total_cmp);
    let mut gap: f64 = 0.0;
    for w in angles.windows(2) {
        gap = gap.max(w[1] - w[0]);
    }
    match (angles.first(), angles.last()) {
        (Some(first), Some(last)) => gap.max(first + 360.0 - last),
        _ => 360.0,
    }
}

/// The mean of `sample` at `p` and at the `slab` offsets (mm) from it
/// along the unit vector `along` (a short slab along a vessel: noise
/// falls, the wall barely moves); None when any point is off the scan.
pub fn slab_mean(
    p: [f64; 3],
    along: [f64; 3],
    slab: &[f64],
    sample: &impl Fn([f64; 3]) -> Option<f64>,
) -> Option<f64> {
    let mut sum = 0.0;
    for off in slab {
        sum += sample([
            p[0] + off * along[0],
            p[1] + off * along[1],
            p[2] + off * along[2],
        ])?;
    }
    Some(sum / slab.len() as f64)
}

/// The profile of `samples` slab means ([`slab_mean`]) from `centre`
/// outward along the unit vector `dir`, `step` mm apart, ending where it
/// leaves the scan.
pub fn ray_profile(
    centre: [f64; 3],
    dir: [f64; 3],
    along: [f64; 3],
    slab: &[f64],
    step: f64,
    samples: usize,
    sample: &impl Fn([f64; 3]) -> Option<f64>,
) -> Vec<f64> {
    (0..samples)
        .map_while(|k| {
            let t = k as f64 * step;
            let p = [
                centre[0] + t * dir[0],
                centre[1] + t * dir[1],
                centre[2] + t * dir[2],
            ];
            slab_mean(p, along, slab, sample)
        })
        .collect()
}

/// How a wall edge is read on a ray profile cast outward from inside a
/// tube.
#[derive(Debug, Clone, Copy)]
pub struct EdgeRule {
    /// The profile leaves the tube where it falls this far below the
    /// content, HU.
    pub drop_hu: f64,
    /// Least contrast between the content and what lies outside (the
    /// median of `beyond` samples from the fall), HU: less is a
    /// soft-tissue neighbour, not an edge.
    pub min_contrast_hu: f64,
    /// Most contrast counted, HU: blood against fat. Lung a few
    /// millimetres beyond a thin fat layer must not pull the half level
    /// out to the fat-lung edge.
    pub max_contrast_hu: f64,
    /// Samples from the fall over which the outside level is taken.
    pub beyond: usize,
}

/// The wall edge on `profile` (samples outward along a ray; the content
/// measures `inside`), searched from sample `start`, as a fractional
/// sample index: where the profile first crosses half-way between the
/// content and what lies beyond its first fall ([`EdgeRule`]). The
/// half-level crossing of a blurred step is the step's true place,
/// whatever the blur. None when the ray meets no fat or lung.
pub fn wall_edge(profile: &[f64], start: usize, inside: f64, rule: &EdgeRule) -> Option<f64> {
    let start = start.max(1);
    let drop = (start..profile.len()).find(|&k| profile[k] < inside - rule.drop_hu)?;
    // The median a little beyond the fall (the minimum would follow the
    // noise down and push the edge out).
    let mut beyond: Vec<f64> =
        profile[drop..(drop + rule.beyond.max(1)).min(profile.len())].to_vec();
    beyond.sort_by(f64::total_cmp);
    let outside = beyond[beyond.len() / 2];
    if inside - outside < rule.min_contrast_hu {
        return None;
    }
    let half = 0.5 * (inside + outside.max(inside - rule.max_contrast_hu));
    let k = (start..profile.len()).find(|&k| profile[k] < half)?;
    let (a, b) = (profile[k - 1], profile[k]);
    let frac = if (a - b).abs() > 1e-6 {
        (a - half) / (a - b)
    } else {
        0.5
    };
    Some((k - 1) as f64 + frac.clamp(0.0, 1.0))
}

/// Running mean of `raw` over `width` samples (odd; symmetric, so a
/// crossing stays in place while the noise falls).
pub fn running_mean(raw: &[f64], width: usize) -> Vec<f64> {
    let h = width / 2;
    (0..raw.len())
        .map(|k| {
            let (a, b) = (
                k.saturating_sub(h),
                (k + h).min(raw.len().saturating_sub(1)),
            );
            raw[a..=b].iter().sum::<f64>() / (b - a + 1) as f64
        })
        .collect()
}

/// Algebraic (Kasa) circle fit to plane points: (centre a, centre b, radius).
pub fn fit_circle(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 3 {
        return None;
    }
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy, mut sz, mut sxz, mut syz) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y) in points {
        let z = x * x + y * y;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
        sz += z;
        sxz += x * z;
        syz += y * z;
    }
    // Solve [sxx sxy sx; sxy syy sy; sx sy n] [A B C] = [sxz syz sz].
    let m = [[sxx, sxy, sx], [sxy, syy, sy], [sx, sy, n]];
    let rhs = [sxz, syz, sz];
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-9 {
        return None;
    }
    let mut sol = [0.0; 3];
    for (c, s) in sol.iter_mut().enumerate() {
        let mut mc = m;
        for r in 0..3 {
            mc[r][c] = rhs[r];
        }
        *s = det(mc) / d;
    }
    let (ca, cb) = (sol[0] / 2.0, sol[1] / 2.0);
    let r2 = sol[2] + ca * ca + cb * cb;
    (r2 > 0.0).then(|| (ca, cb, r2.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use volume::Geometry;

    /// A vertical blurred cylinder of blood in fat, off the voxel grid.
    fn cylinder(cx: f64, cy: f64, r: f64) -> Volume<i16> {
        let g = Geometry::new([96, 96, 24], [0.7, 0.7, 1.5], [0.0; 3]);
        let mut v = Volume::filled(g, 0i16);
        let s = v.as_slice_mut();
        for z in 0..24 {
            for y in 0..96 {
                for x in 0..96 {
                    let d = (x as f64 * 0.7 - cx).hypot(y as f64 * 0.7 - cy) - r;
                    // A step from 40 to -100 HU blurred over about a voxel.
                    let w = 1.0 / (1.0 + (d / 0.4).exp());
                    s[x + 96 * (y + 96 * z)] = (-100.0 + 140.0 * w).round() as i16;
                }
            }
        }
        v
    }

    #[test]
    fn refits_an_offset_circle_to_its_true_wall() {
        let (cx, cy, r) = (33.3, 30.9, 12.4);
        let ct = cylinder(cx, cy, r);
        let g = *ct.geometry();
        let at = |z: f64| g.index_to_lps([cx / 0.7, cy / 0.7, z]);
        // Tracked a millimetre off and a millimetre too large.
        let off = |p: [f64; 3]| [p[0] + 1.0, p[1] - 0.6, p[2]];
        let points = vec![off(at(8.0)), off(at(12.0)), off(at(16.0))];
        let (p, radii) = refine_tube_wall(&ct, &points, &[13.5, 13.5, 13.5]);
        for (q, rr) in p.iter().zip(&radii) {
            let truth = at(12.0);
            assert!(
                (q[0] - truth[0]).hypot(q[1] - truth[1]) < 0.2,
                "{q:?} vs {truth:?}"
            );
            assert!((rr - r).abs() < 0.2, "radius {rr} vs {r}");
        }
    }

    #[test]
    fn keeps_a_cross_section_without_a_wall() {
        // Soft tissue everywhere: no edge on any ray.
        let g = Geometry::new([64, 64, 16], [0.7, 0.7, 1.5], [0.0; 3]);
        let ct = Volume::filled(g, 40i16);
        let p = g.index_to_lps([32.0, 32.0, 8.0]);
        let q = [p[0], p[1], p[2] + 4.0];
        let (points, radii) = refine_tube_wall(&ct, &[p, q], &[10.0, 10.0]);
        assert_eq!(points, vec![p, q]);
        assert_eq!(radii, vec![10.0, 10.0]);
    }
}
