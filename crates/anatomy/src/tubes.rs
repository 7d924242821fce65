//! Tubular structures on non-contrast CT (aorta, pulmonary arteries, SVC,
//! oesophagus): circle detection on cross-sections and tracking along the
//! vessel.
//!
//! Without contrast, blood, vessel wall and myocardium all measure about
//! 40 HU; a vessel shows as a round soft-tissue disc outlined by fat,
//! lung or bone. A circle (centre, radius) is scored by how much of its
//! inside is lumen-like and how much of a ring just outside it is not
//! soft tissue (the "ring contrast" of circular Hough-like detectors used
//! for the aorta on low-dose CT: Kurugol et al., Med Phys 2015; Xie et
//! al., IEEE TMI 2014). Tracking steps along the current direction, fits
//! the circle in the plane perpendicular to it, and turns towards the new
//! centre, which follows the arch without special cases (the classic
//! cross-section tracking of vessel centrelines, Aylward & Bullitt 2002).

use volume::Volume;

use crate::constants::TUBE_LUMEN_SHARE;
use crate::medgrid::WorkGrid;

/// What a tube looks like and how it may change along its course.
#[derive(Debug, Clone, Copy)]
pub struct TubeSpec {
    /// Smallest and largest radius, mm.
    pub r_range: (f64, f64),
    /// HU range of lumen samples (blood, wall, fluid).
    pub lumen: (f32, f32),
    /// Whether air in the lumen also counts as lumen (oesophagus).
    pub air_lumen: bool,
    /// A ring sample counts as "outside" below this HU (fat, lung)...
    pub outside_below: f32,
    /// ...or above this one (bone).
    pub outside_above: f32,
    /// Smallest score of an accepted circle (0..1).
    pub min_score: f64,
    /// Tracking step, mm.
    pub step_mm: f64,
    /// Search radius for the centre around the predicted one, mm.
    pub search_mm: f64,
    /// Largest change of radius per step, mm.
    pub max_dr: f64,
}

/// A fitted cross-section: centre in work millimetres, radius, score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// Centre, work mm.
    pub c: [f64; 3],
    /// Radius, mm.
    pub r: f64,
    /// Score, 0..1.
    pub score: f64,
    /// Mean HU inside.
    pub inner_hu: f64,
}

/// A resampled plane: `n` x `n` pixels of `h` mm centred on a point.
pub struct PlaneImage {
    n: usize,
    h: f64,
    data: Vec<f32>,
}

/// Unit vectors at 12 angles (offset half a step).
const RING12: [(f64, f64); 12] = ring12();
/// Unit vectors at 24 angles.
const RING24: [(f64, f64); 24] = ring24();

const fn ring12() -> [(f64, f64); 12] {
    // cos/sin of (k + 0.5) * 30 degrees.
    let c = [
        0.9659258262890683,
        std::f64::consts::FRAC_1_SQRT_2,
        0.25881904510252074,
        -0.25881904510252074,
        -std::f64::consts::FRAC_1_SQRT_2,
        -0.9659258262890683,
    ];
    let mut out = [(0.0, 0.0); 12];
    let mut k = 0;
    while k < 12 {
        // sin(t) = cos(t - 90 deg): index shifted by 3 steps.
        let ci = if k < 6 { c[k] } else { -c[k - 6] };
        let j = (k + 9) % 12;
        let si = if j < 6 { c[j] } else { -c[j - 6] };
        out[k] = (ci, si);
        k += 1;
    }
    out
}

const fn ring24() -> [(f64, f64); 24] {
    // cos/sin of k * 15 degrees.
    let c = [
        1.0,
        0.9659258262890683,
        0.8660254037844387,
        std::f64::consts::FRAC_1_SQRT_2,
        0.5000000000000001,
        0.25881904510252074,
        0.0,
        -0.25881904510252074,
        -0.5,
        -std::f64::consts::FRAC_1_SQRT_2,
        -0.8660254037844387,
        -0.9659258262890683,
    ];
    let mut out = [(0.0, 0.0); 24];
    let mut k = 0;
    while k < 24 {
        let ci = if k < 12 { c[k] } else { -c[k - 12] };
        let j = (k + 18) % 24;
        let si = if j < 12 { c[j] } else { -c[j - 12] };
        out[k] = (ci, si);
        k += 1;
    }
    out
}

/// HU written where an excluded structure lies: counts as outside.
const EXCLUDED_HU: f32 = -1000.0;

impl PlaneImage {
    /// Samples the plane through `centre` (work mm) spanned by unit
    /// vectors `u` and `v`, `half_mm` to each side; voxels of `excluded`
    /// read as air.
    pub fn sample(
        grid: &WorkGrid,
        excluded: Option<&Volume<bool>>,
        centre: [f64; 3],
        u: [f64; 3],
        v: [f64; 3],
        half_mm: f64,
    ) -> PlaneImage {
        let h = 1.0;
        let n = (2.0 * half_mm / h).ceil() as usize + 1;
        let s = grid.spacing();
        let dims = grid.dims();
        let mut data = vec![0f32; n * n];
        for j in 0..n {
            for i in 0..n {
                let a = i as f64 * h - half_mm;
                let b = j as f64 * h - half_mm;
                let p = [
                    centre[0] + a * u[0] + b * v[0],
                    centre[1] + a * u[1] + b * v[1],
                    centre[2] + a * u[2] + b * v[2],
                ];
                let mut value = grid.sample_mm(p);
                if let Some(ex) = excluded {
                    let k = |d: usize| ((p[d] / s[d]).round().max(0.0) as usize).min(dims[d] - 1);
                    if ex.as_slice()[grid.idx(k(0), k(1), k(2))] {
                        value = EXCLUDED_HU;
                    }
                }
                data[i + n * j] = value;
            }
        }
        PlaneImage { n, h, data }
    }

    /// Bilinear value at plane coordinates (mm from the centre).
    fn at(&self, a: f64, b: f64) -> f32 {
        let half = (self.n - 1) as f64 * self.h / 2.0;
        let x = ((a + half) / self.h).clamp(0.0, (self.n - 1) as f64);
        let y = ((b + half) / self.h).clamp(0.0, (self.n - 1) as f64);
        let (x0, y0) = (
            (x.floor() as usize).min(self.n.saturating_sub(2)),
            (y.floor() as usize).min(self.n.saturating_sub(2)),
        );
        let (tx, ty) = (x - x0 as f64, y - y0 as f64);
        let g = |i: usize, j: usize| self.data[(i).min(self.n - 1) + self.n * (j).min(self.n - 1)];
        ((1.0 - tx) * (1.0 - ty) * g(x0, y0) as f64
            + tx * (1.0 - ty) * g(x0 + 1, y0) as f64
            + (1.0 - tx) * ty * g(x0, y0 + 1) as f64
            + tx * ty * g(x0 + 1, y0 + 1) as f64) as f32
    }

    /// Score and inner mean HU of the circle at (a, b) with radius r.
    pub fn score(&self, spec: &TubeSpec, a: f64, b: f64, r: f64) -> (f64, f64) {
        let lumen = |v: f32| {
            (v >= spec.lumen.0 && v <= spec.lumen.1)
                || (spec.air_lumen && v < -300.0 && v > EXCLUDED_HU + 1.0)
        };
        let outside = |v: f32| v < spec.outside_below || v > spec.outside_above;
        let centre = self.at(a, b);
        let (mut inner, mut sum) = (usize::from(lumen(centre)), centre as f64);
        for f in [0.4, 0.75] {
            for (c, s) in RING12 {
                let v = self.at(a + f * r * c, b + f * r * s);
                inner += usize::from(lumen(v));
                sum += v as f64;
            }
        }
        let inner_n = 1 + 2 * RING12.len();
        // Boundary evidence per direction: lumen just inside the rim and
        // no soft tissue just outside it.
        let mut hits = 0usize;
        let re = (r - 1.5).max(0.6 * r);
        for (c, s) in RING24 {
            let e = lumen(self.at(a + re * c, b + re * s));
            if !e {
                continue;
            }
            let o1 = self.at(a + (r + 2.0) * c, b + (r + 2.0) * s);
            let hit = outside(o1) || outside(self.at(a + (r + 3.5) * c, b + (r + 3.5) * s));
            hits += usize::from(hit);
        }
        let fi = inner as f64 / inner_n as f64;
        let fh = hits as f64 / RING24.len() as f64;
        (fi * fh, sum / inner_n as f64)
    }

    /// The best circle with centre within `search` mm of (a0, b0) and
    /// radius in `r_lo..=r_hi`: (a, b, r, score, inner HU).
    pub fn best(
        &self,
        spec: &TubeSpec,
        a0: f64,
        b0: f64,
        search: f64,
        r_lo: f64,
        r_hi: f64,
    ) -> Option<(f64, f64, f64, f64, f64)> {
        let mut best: Option<(f64, f64, f64, f64, f64)> = None;
        let step = 1.0;
        let k = (search / step).ceil() as i64;
        for j in -k..=k {
            for i in -k..=k {
                let (a, b) = (a0 + i as f64 * step, b0 + j as f64 * step);
                if (a - a0).hypot(b - b0) > search + 1e-9 {
                    continue;
                }
                let mut r = r_lo;
                while r <= r_hi + 1e-9 {
                    let (s, inner) = self.score(spec, a, b, r);
                    // Ties go to the larger circle (the outer wall).
                    if best.is_none_or(|x| s > x.3 + 1e-9 || (s > x.3 - 1e-9 && r > x.2)) {
                        best = Some((a, b, r, s, inner));
                    }
                    r += 1.0;
                }
            }
        }
        best
    }
}

/// Two unit vectors perpendicular to `d` and to each other.
pub fn basis(d: [f64; 3]) -> ([f64; 3], [f64; 3]) {
    let helper = if d[2].abs() < 0.9 {
        [0.0, 0.0, 1.0]
    } else {
        [1.0, 0.0, 0.0]
    };
    let u = normalize(cross(d, helper));
    let v = normalize(cross(d, u));
    (u, v)
}

/// Cross product.
pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Unit vector (the zero vector stays zero).
pub fn normalize(a: [f64; 3]) -> [f64; 3] {
    let n = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    if n > 0.0 {
        [a[0] / n, a[1] / n, a[2] / n]
    } else {
        a
    }
}

/// Distance between two points.
pub fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Circles on the axial plane at height `z_mm` whose centres lie in the
/// box `x0..x1`, `y0..y1` (work mm), best first, at most one per 15 mm.
pub fn axial_circles(
    grid: &WorkGrid,
    excluded: Option<&Volume<bool>>,
    spec: &TubeSpec,
    z_mm: f64,
    (x0, x1, y0, y1): (f64, f64, f64, f64),
) -> Vec<Circle> {
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let half = ((x1 - x0).max(y1 - y0)) / 2.0 + spec.r_range.1 + 5.0;
    let img = PlaneImage::sample(
        grid,
        excluded,
        [cx, cy, z_mm],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        half,
    );
    let mut found: Vec<Circle> = Vec::new();
    let step = 2.0;
    let mut y = y0;
    while y <= y1 {
        let mut x = x0;
        while x <= x1 {
            // Only centres that look like lumen are worth a search.
            let v = img.at(x - cx, y - cy);
            let lumen = (v >= spec.lumen.0 && v <= spec.lumen.1)
                || (spec.air_lumen && v < -300.0 && v > EXCLUDED_HU + 1.0);
            if !lumen {
                x += step;
                continue;
            }
            let mut r = spec.r_range.0;
            let mut best: Option<(f64, f64, f64)> = None;
            while r <= spec.r_range.1 {
                let (s, inner) = img.score(spec, x - cx, y - cy, r);
                if best.is_none_or(|b| s > b.0) {
                    best = Some((s, r, inner));
                }
                r += 2.0;
            }
            if let Some((s, r, inner)) = best
                && s >= spec.min_score
            {
                found.push(Circle {
                    c: [x, y, z_mm],
                    r,
                    score: s,
                    inner_hu: inner,
                });
            }
            x += step;
        }
        y += step;
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Circle> = Vec::new();
    for c in found {
        if kept.iter().all(|k| dist(k.c, c.c) > 15.0) {
            // Refine centre and radius on a 1 mm grid.
            let refined = img
                .best(
                    spec,
                    c.c[0] - cx,
                    c.c[1] - cy,
                    2.0,
                    (c.r - 2.0).max(spec.r_range.0),
                    c.r + 2.0,
                )
                .map(|(a, b, r, s, inner)| Circle {
                    c: [a + cx, b + cy, z_mm],
                    r,
                    score: s,
                    inner_hu: inner,
                })
                .unwrap_or(c);
            kept.push(refined);
        }
    }
    kept
}

/// Tracks a tube from `start` along `dir` (work mm) until the circle is
/// lost on two steps running, `stop` says so, or `max_len_mm` is walked.
/// Returns the accepted cross-sections, `start` excluded.
pub fn track(
    grid: &WorkGrid,
    excluded: Option<&Volume<bool>>,
    spec: &TubeSpec,
    start: &Circle,
    dir: [f64; 3],
    max_len_mm: f64,
    stop: &dyn Fn(&Circle) -> bool,
) -> Vec<Circle> {
    let mut out = Vec::new();
    let mut c = start.c;
    let mut r = start.r;
    let mut d = normalize(dir);
    let mut walked = 0.0;
    let mut misses = 0;
    let dims = grid.dims();
    let s = grid.spacing();
    let extent = [
        dims[0] as f64 * s[0],
        dims[1] as f64 * s[1],
        (dims[2] as f64 - 1.0) * s[2],
    ];
    while walked < max_len_mm {
        let pred = [
            c[0] + spec.step_mm * d[0],
            c[1] + spec.step_mm * d[1],
            c[2] + spec.step_mm * d[2],
        ];
        if (0..3).any(|a| pred[a] < 0.0 || pred[a] > extent[a]) {
            break;
        }
        let (u, v) = basis(d);
        let half = spec.search_mm + r + spec.max_dr + 5.0;
        let img = PlaneImage::sample(grid, excluded, pred, u, v, half);
        let lo = (r - spec.max_dr).max(spec.r_range.0);
        let hi = (r + spec.max_dr).min(spec.r_range.1);
        let best = img.best(spec, 0.0, 0.0, spec.search_mm, lo, hi);
        walked += spec.step_mm;
        match best {
            Some((a, b, nr, score, inner)) if score >= spec.min_score => {
                let nc = [
                    pred[0] + a * u[0] + b * v[0],
                    pred[1] + a * u[1] + b * v[1],
                    pred[2] + a * u[2] + b * v[2],
                ];
                let circle = Circle {
                    c: nc,
                    r: nr,
                    score,
                    inner_hu: inner,
                };
                if stop(&circle) {
                    break;
                }
                let nd = normalize([nc[0] - c[0], nc[1] - c[1], nc[2] - c[2]]);
                d = normalize([
                    0.35 * d[0] + 0.65 * nd[0],
                    0.35 * d[1] + 0.65 * nd[1],
                    0.35 * d[2] + 0.65 * nd[2],
                ]);
                // No doubling back onto the track already walked.
                if out
                    .iter()
                    .rev()
                    .skip(6)
                    .any(|p: &Circle| dist(p.c, nc) < 0.7 * p.r)
                {
                    break;
                }
                c = nc;
                r = nr;
                misses = 0;
                out.push(circle);
            }
            _ => {
                misses += 1;
                if misses >= 2 {
                    break;
                }
                c = pred;
            }
        }
    }
    out
}

/// Continues a tube from its last cross-section `end` straight along the
/// unit vector `d`, with its radius, while the inner disc (the centre and
/// 12 points at half the radius) is lumen by `spec` at least
/// [`TUBE_LUMEN_SHARE`] and holds no bone, for at most `max_mm`, within the
/// grid, and while `keep` accepts the cross-section. For a tube whose wall
/// is lost to the tracker where it runs through tissue as dense as itself
/// (the aorta through the diaphragm's crura), its lumen still shows.
/// Returns the cross-sections beyond the end, nearest first; their score
/// is 0.
pub fn extrapolate(
    grid: &WorkGrid,
    spec: &TubeSpec,
    end: &Circle,
    d: [f64; 3],
    max_mm: f64,
    keep: &dyn Fn(&Circle) -> bool,
) -> Vec<Circle> {
    let d = normalize(d);
    let s = grid.spacing();
    let dims = grid.dims();
    let extent = [
        (dims[0] as f64 - 1.0) * s[0],
        (dims[1] as f64 - 1.0) * s[1],
        (dims[2] as f64 - 1.0) * s[2],
    ];
    let lumen = |v: f32| v >= spec.lumen.0 && v <= spec.lumen.1;
    let mut out = Vec::new();
    let (u, v) = basis(d);
    let mut walked = spec.step_mm;
    while walked <= max_mm {
        let c = [
            end.c[0] + walked * d[0],
            end.c[1] + walked * d[1],
            end.c[2] + walked * d[2],
        ];
        if (0..3).any(|a| c[a] < 0.0 || c[a] > extent[a]) {
            break;
        }
        let at = |a: f64, b: f64| {
            grid.sample_mm([
                c[0] + a * u[0] + b * v[0],
                c[1] + a * u[1] + b * v[1],
                c[2] + a * u[2] + b * v[2],
            ])
        };
        let samples: Vec<f32> = std::iter::once(at(0.0, 0.0))
            .chain(
                RING12
                    .iter()
                    .map(|(x, y)| at(0.5 * end.r * x, 0.5 * end.r * y)),
            )
            .collect();
        let share = samples.iter().filter(|v| lumen(**v)).count() as f64 / samples.len() as f64;
        let bone = samples.iter().any(|v| *v > spec.outside_above);
        let circle = Circle {
            c,
            r: end.r,
            score: 0.0,
            inner_hu: samples.iter().map(|v| f64::from(*v)).sum::<f64>() / samples.len() as f64,
        };
        if share < TUBE_LUMEN_SHARE || bone || !keep(&circle) {
            break;
        }
        out.push(circle);
        walked += spec.step_mm;
    }
    out
}

/// Moving-average smoothing of centres and radii over `half` neighbours
/// on each side (ends keep their position).
pub fn smooth(points: &mut [Circle], half: usize) {
    let n = points.len();
    if n < 3 || half == 0 {
        return;
    }
    let orig: Vec<Circle> = points.to_vec();
    for i in 1..n - 1 {
        let k = half.min(i).min(n - 1 - i);
        let (mut c, mut r) = ([0.0; 3], 0.0);
        for p in &orig[i - k..=i + k] {
            for (sum, v) in c.iter_mut().zip(p.c) {
                *sum += v;
            }
            r += p.r;
        }
        let m = (2 * k + 1) as f64;
        points[i].c = [c[0] / m, c[1] / m, c[2] / m];
        points[i].r = r / m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use volume::{Geometry, Volume};

    /// A 60 x 60 x 60 volume of fat at 1.5 mm with a vertical blood
    /// cylinder of radius 9 mm from `z_from` up (voxel index), bone below
    /// `bone_below`.
    fn cylinder(z_from: usize, bone_below: usize) -> WorkGrid {
        let n = 60;
        let mut ct = Volume::filled(Geometry::new([n, n, n], [1.5; 3], [0.0; 3]), -100i16);
        let data = ct.as_slice_mut();
        for z in 0..n {
            for y in 0..n {
                for x in 0..n {
                    let (dx, dy) = (x as f64 - 30.0, y as f64 - 30.0);
                    let v = if z < bone_below {
                        400
                    } else if z >= z_from && dx.hypot(dy) * 1.5 <= 9.0 {
                        40
                    } else {
                        -100
                    };
                    data[x + n * (y + n * z)] = v;
                }
            }
        }
        WorkGrid::new(&ct, [0; 3], [n - 1; 3], [1.5; 3], 0.0).unwrap()
    }

    fn end_at(z_mm: f64) -> Circle {
        Circle {
            c: [45.0, 45.0, z_mm],
            r: 9.0,
            score: 1.0,
            inner_hu: 40.0,
        }
    }

    #[test]
    fn extrapolation_follows_the_lumen_and_stops_where_it_ends() {
        let grid = cylinder(20, 0);
        let keep = |_: &Circle| true;
        let down = [0.0, 0.0, -1.0];
        let spec = crate::aorta::AORTA_SPEC;
        let out = extrapolate(&grid, &spec, &end_at(70.0), down, 60.0, &keep);
        // The lumen ends at z index 20 (30 mm); steps of 4 mm from 70 mm.
        let lowest = out.last().expect("some extrapolation").c[2];
        assert!((28.0..=34.0).contains(&lowest), "lowest {lowest}");
        assert!(out.iter().all(|c| c.r == 9.0 && c.score == 0.0));
        // At most `max_mm`, and never into bone.
        let short = extrapolate(&grid, &spec, &end_at(70.0), down, 12.0, &keep);
        assert_eq!(short.len(), 3);
        let on_bone = cylinder(0, 30);
        let out = extrapolate(&on_bone, &spec, &end_at(70.0), down, 60.0, &keep);
        let lowest = out.last().expect("some extrapolation").c[2];
        assert!((45.0 - 1e-9..=50.0).contains(&lowest), "lowest {lowest}");
    }
}
