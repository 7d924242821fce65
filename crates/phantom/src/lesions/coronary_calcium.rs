//! F19 coronary artery calcification: calcified plaques on the coronary
//! courses of the heart model (LM, LAD, LCx, RCA), each an eccentric
//! ellipsoid in the vessel wall, elongated along the vessel, with its own
//! density. Calcium that is *not* coronary nearby, the look-alikes a
//! detector must not count (intimal calcification of the aortic wall,
//! mitral annular calcification), comes as lesions of their own, stated
//! as F21 and F39 (see [`super::aortic_calcium`],
//! [`super::mitral_annular_calcium`]; [`super::expand`] adds them when
//! the request asks for look-alikes).
//!
//! Ground truth is computed on the generator's own model, never from the
//! image: the Agatston score of an ideal (noise- and blur-free) 3 mm
//! reconstruction of the plaques, aligned with the scan's first slice.
//! Each 3 mm slab is the exact average through its thickness of the
//! plaque densities over the vessel lumen (blood) or epicardial fat,
//! sampled on a 0.1 mm in-plane grid by intersecting every grid column
//! with the ellipsoids and the local lumen cylinders analytically; the
//! pixels of 130 HU or more form 8-connected lesions, those of 1 mm^2 or
//! more count with the
//! weight of their peak (1-4 at 130/200/300/400 HU), and each lesion is
//! credited to the vessel of its peak pixel's plaque (FINDINGS.md F19).

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::prims::Ellipsoid;
use crate::geom::{Aabb, V3, add, add_scaled, cross, dist, dot, lerp, lerp3, normalize, sub};
use crate::labels::Label;
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Coronary vessels in CAC-DRS order.
pub const VESSELS: [&str; 4] = ["LM", "LAD", "LCx", "RCA"];
/// Relative frequency of calcification per vessel (LM, LAD, LCx, RCA):
/// the LAD is most often involved, then the RCA and LCx, the LM least
/// (MESA: Budoff et al., Circulation 2006 / JACC Imaging 2016 territory
/// distributions).
const VESSEL_WEIGHTS: [f64; 4] = [0.12, 0.42, 0.2, 0.26];
/// Exponent biasing plaque positions towards the proximal vessel (s =
/// u^k of the course length): calcium clusters in proximal segments
/// (Budoff 2016 as above).
const PROXIMAL_BIAS: f64 = 1.6;
/// True plaque density, HU: calcified plaque is hydroxyapatite-rich, so
/// its true attenuation exceeds the 130 HU Agatston threshold well into
/// the 1000s; small plaques read lower through partial volume (Agatston
/// et al., JACC 1990; Hoffmann et al., Radiology 2006 on calcium density).
const PLAQUE_HU: [f64; 2] = [250.0, 1300.0];
/// Offset of the plaque centre from the vessel axis, in lumen radii: the
/// plaques are eccentric, in the wall (convention).
const ECCENTRICITY: [f64; 2] = [0.55, 0.95];
/// Draw weights of mild, moderate and severe burden when not requested
/// (CAC > 0 in older adults: roughly half below 100, a fifth above 300;
/// MESA, McClelland et al., Circulation 2006).
const SEVERITY_WEIGHTS: [f64; 3] = [0.45, 0.35, 0.2];
/// Agatston threshold, HU (FINDINGS.md F19).
pub const AGATSTON_HU: f64 = 130.0;
/// Smallest lesion area counted, mm^2 (FINDINGS.md F19).
pub const AGATSTON_MIN_AREA_MM2: f64 = 1.0;
/// Slice thickness of the Agatston method, mm (FINDINGS.md F19).
pub const AGATSTON_SLICE_MM: f64 = 3.0;
/// Density weight thresholds, HU: weights 1-4 from 130/200/300/400 HU
/// (FINDINGS.md F19).
const AGATSTON_WEIGHT_HU: [f64; 4] = [130.0, 200.0, 300.0, 400.0];
/// In-plane step of the truth's fine grid, mm (100 samples per mm^2).
const TRUTH_STEP_MM: f64 = 0.1;
/// CAC-DRS Agatston bounds: 1-99 A1, 100-299 A2, >=300 A3 (Hecht et al.,
/// J Cardiovasc Comput Tomogr 2018; FINDINGS.md F19).
const CAC_DRS_BOUNDS: [f64; 2] = [100.0, 300.0];
/// Thickest slices on which an Agatston score is stated, mm (FINDINGS.md:
/// CAC cannot be asserted on slices over 3 mm; "limited").
const MAX_SLICE_MM: f64 = 3.0;
/// Chance that look-alike calcium (mitral annulus, aortic wall) is added
/// when the spec leaves it open (convention: common in the same older
/// patients who have coronary calcium).
pub(crate) const LOOKALIKE_CHANCE: f64 = 0.6;

/// Amount of coronary calcium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacSeverity {
    /// A few small plaques (Agatston typically 1-99).
    Mild,
    /// Several plaques (typically 100-299).
    Moderate,
    /// Many larger plaques (typically >= 300).
    Severe,
}

impl CacSeverity {
    /// Plaque count range.
    fn count(self) -> [f64; 2] {
        // Counts of discrete calcified lesions by CAC burden (Criqui et
        // al., JAMA 2014: median lesion count rises with the score).
        match self {
            CacSeverity::Mild => [1.0, 3.99],
            CacSeverity::Moderate => [3.0, 7.99],
            CacSeverity::Severe => [7.0, 16.99],
        }
    }

    /// Plaque size ranges, mm: length along the vessel, radial
    /// thickness, circumferential width (calcified plaques of 2-12 mm
    /// along the vessel, 1-3 mm thick: Criqui 2014 volume/density data).
    fn size(self) -> [[f64; 2]; 3] {
        match self {
            CacSeverity::Mild => [[2.5, 5.0], [1.0, 1.6], [1.5, 2.6]],
            CacSeverity::Moderate => [[3.0, 8.0], [1.2, 2.2], [2.0, 3.5]],
            CacSeverity::Severe => [[4.0, 12.0], [1.5, 3.0], [2.5, 5.0]],
        }
    }
}

/// Request for coronary calcification; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoronaryCalciumSpec {
    /// Burden class (sets plaque count and size ranges).
    #[serde(default)]
    pub severity: Option<CacSeverity>,
    /// Number of plaques (1-40).
    #[serde(default)]
    pub plaques: Option<usize>,
    /// Vessels that may carry plaques ("LM", "LAD", "LCx", "RCA").
    #[serde(default)]
    pub vessels: Option<Vec<String>>,
    /// Whether a phantom request brings non-coronary look-alike calcium
    /// nearby: aortic wall (F21) and mitral annular (F39) calcification,
    /// each a lesion of its own (drawn when missing).
    #[serde(default)]
    pub lookalikes: Option<bool>,
}

/// One calcified plaque.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plaque {
    /// Vessel index into [`VESSELS`].
    pub vessel: usize,
    /// Shape.
    pub body: Ellipsoid,
    /// True density, HU.
    pub hu: f64,
    /// A point on the vessel axis next to the plaque.
    pub axis_point: V3,
    /// Unit vessel direction there.
    pub axis_dir: V3,
    /// Lumen radius there, mm.
    pub lumen_radius: f64,
}

/// Inserted coronary calcium with its ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoronaryCalcium {
    /// Burden class drawn.
    pub severity: CacSeverity,
    /// The plaques.
    pub plaques: Vec<Plaque>,
    /// Agatston score per vessel (LM, LAD, LCx, RCA).
    pub agatston_by_vessel: [f64; 4],
    /// Calcium volume (union of the plaques), mm^3.
    pub volume_mm3: f64,
    /// Volume-weighted mean true density of the plaques, HU.
    pub mean_hu: f64,
    bbox: Aabb,
}

fn vessel_index(name: &str) -> Option<usize> {
    VESSELS.iter().position(|v| v.eq_ignore_ascii_case(name))
}

/// A direction perpendicular to `t`, at angle `a` about it.
pub(crate) fn around(t: V3, a: f64) -> V3 {
    let e1 = crate::geom::perpendicular(t);
    let e2 = cross(t, e1);
    normalize(add(
        crate::geom::scale(e1, a.cos()),
        crate::geom::scale(e2, a.sin()),
    ))
}

impl CoronaryCalcium {
    /// Places plaques (and look-alikes) on the model.
    pub fn place(
        spec: &CoronaryCalciumSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<CoronaryCalcium, PhantomError> {
        let severity = spec.severity.unwrap_or_else(|| {
            [
                CacSeverity::Mild,
                CacSeverity::Moderate,
                CacSeverity::Severe,
            ][rng::weighted(r, &SEVERITY_WEIGHTS)]
        });
        let [lo, hi] = severity.count();
        let n = spec
            .plaques
            .unwrap_or_else(|| rng::uniform(r, lo, hi) as usize);
        if !(1..=40).contains(&n) {
            return Err(PhantomError::Params(format!(
                "coronary plaque count {n} outside 1-40"
            )));
        }
        let mut weights = VESSEL_WEIGHTS;
        if let Some(vs) = &spec.vessels {
            weights = [0.0; 4];
            for v in vs {
                let k = vessel_index(v).ok_or_else(|| {
                    PhantomError::Params(format!("unknown coronary vessel {v:?}"))
                })?;
                weights[k] = VESSEL_WEIGHTS[k];
            }
        }
        let [w_lo, w_hi] = model.scan_w;
        let courses: Vec<Option<&crate::anatomy::heart::Coronary>> = VESSELS
            .iter()
            .map(|n| model.heart.coronaries.iter().find(|c| c.name == *n))
            .collect();
        for (k, c) in courses.iter().enumerate() {
            let in_scan = c.is_some_and(|c| {
                c.tube
                    .nodes
                    .iter()
                    .any(|n| n.p[2] > w_lo + 3.0 && n.p[2] < w_hi - 3.0)
            });
            if !in_scan {
                weights[k] = 0.0;
            }
        }
        if weights.iter().all(|w| *w == 0.0) {
            return Err(PhantomError::Placement(
                "no requested coronary artery lies in the scanned range".into(),
            ));
        }
        let size = severity.size();
        let mut plaques = Vec::with_capacity(n);
        for _ in 0..n * 60 {
            if plaques.len() == n {
                break;
            }
            let k = rng::weighted(r, &weights);
            let Some(course) = courses[k] else { continue };
            let nodes = &course.tube.nodes;
            if nodes.len() < 2 {
                continue;
            }
            let mut cum = vec![0.0];
            for w in nodes.windows(2) {
                cum.push(cum.last().copied().unwrap_or(0.0) + dist(w[0].p, w[1].p));
            }
            let total = cum[cum.len() - 1];
            let s = total * rng::uniform(r, 0.0, 1.0).powf(PROXIMAL_BIAS);
            let i = cum.partition_point(|&c| c <= s).clamp(1, nodes.len() - 1) - 1;
            let seg = (cum[i + 1] - cum[i]).max(1e-9);
            let f = ((s - cum[i]) / seg).clamp(0.0, 1.0);
            let (a, b) = (nodes[i], nodes[i + 1]);
            let axis_point = lerp3(a.p, b.p, f);
            let axis_dir = normalize(sub(b.p, a.p));
            let lumen = lerp(a.ra, b.ra, f);
            let radial = around(axis_dir, rng::uniform(r, 0.0, std::f64::consts::TAU));
            let centre = add_scaled(
                axis_point,
                radial,
                lumen * rng::uniform(r, ECCENTRICITY[0], ECCENTRICITY[1]),
            );
            let semi = [
                0.5 * rng::uniform(r, size[0][0], size[0][1]),
                0.5 * rng::uniform(r, size[1][0], size[1][1]),
                0.5 * rng::uniform(r, size[2][0], size[2][1]),
            ];
            let body = Ellipsoid::oriented(centre, axis_dir, radial, semi);
            let bb = body.bbox();
            if bb.min[2] < w_lo + 1.0 || bb.max[2] > w_hi - 1.0 {
                continue;
            }
            let hu = rng::uniform(r, PLAQUE_HU[0], PLAQUE_HU[1]).round();
            plaques.push(Plaque {
                vessel: k,
                body,
                hu,
                axis_point,
                axis_dir,
                lumen_radius: lumen,
            });
        }
        if plaques.is_empty() {
            return Err(PhantomError::Placement(
                "no coronary plaque fits in the scanned range".into(),
            ));
        }
        let mut bbox = Aabb::EMPTY;
        for p in &plaques {
            bbox = bbox.union(&p.body.bbox());
        }
        let mut cac = CoronaryCalcium {
            severity,
            plaques,
            agatston_by_vessel: [0.0; 4],
            volume_mm3: 0.0,
            mean_hu: 0.0,
            bbox: bbox.expand(1.0),
        };
        let truth = agatston(&cac.plaques, model, AGATSTON_SLICE_MM);
        cac.agatston_by_vessel = truth.by_vessel;
        cac.volume_mm3 = truth.volume_mm3;
        cac.mean_hu = truth.mean_hu;
        Ok(cac)
    }

    /// Total Agatston score.
    pub fn agatston(&self) -> f64 {
        self.agatston_by_vessel.iter().sum()
    }

    /// Number of vessels with a score above zero.
    pub fn vessels_involved(&self) -> usize {
        self.agatston_by_vessel.iter().filter(|a| **a > 0.0).count()
    }

    /// CAC-DRS Agatston category 0-3.
    pub fn cac_drs(&self) -> u8 {
        let a = self.agatston().round();
        if a <= 0.0 {
            0
        } else if a < CAC_DRS_BOUNDS[0] {
            1
        } else if a < CAC_DRS_BOUNDS[1] {
            2
        } else {
            3
        }
    }
}

/// Agatston ground truth of a set of plaques.
#[derive(Debug, Clone, PartialEq)]
pub struct AgatstonTruth {
    /// Score per vessel (LM, LAD, LCx, RCA).
    pub by_vessel: [f64; 4],
    /// Union volume, mm^3.
    pub volume_mm3: f64,
    /// Volume-weighted mean density, HU.
    pub mean_hu: f64,
}

/// Agatston weight of a peak density.
pub fn agatston_weight(peak_hu: f64) -> f64 {
    AGATSTON_WEIGHT_HU.iter().filter(|t| peak_hu >= **t).count() as f64
}

/// Entry and exit heights of the vertical line through `(u, v)` in the
/// ellipsoid, if it meets it.
fn column_ellipsoid(e: &Ellipsoid, u: f64, v: f64) -> Option<(f64, f64)> {
    let q = sub([u, v, 0.0], e.c);
    let (mut a, mut b, mut c) = (0.0, 0.0, -1.0);
    for k in 0..3 {
        let x0 = dot(q, e.axes[k]) / e.r[k];
        let dx = e.axes[k][2] / e.r[k];
        a += dx * dx;
        b += 2.0 * x0 * dx;
        c += x0 * x0;
    }
    let disc = b * b - 4.0 * a * c;
    if a < 1e-12 || disc <= 0.0 {
        return None;
    }
    let s = disc.sqrt();
    Some(((-b - s) / (2.0 * a), (-b + s) / (2.0 * a)))
}

/// Entry and exit heights of the vertical line through `(u, v)` in the
/// infinite cylinder of radius `rad` about the line `(c0, t)`, limited
/// to `[z0, z1]`.
fn column_cylinder(
    c0: V3,
    t: V3,
    rad: f64,
    u: f64,
    v: f64,
    z0: f64,
    z1: f64,
) -> Option<(f64, f64)> {
    let q = sub([u, v, 0.0], c0);
    let f = sub(q, crate::geom::scale(t, dot(q, t)));
    let e = sub([0.0, 0.0, 1.0], crate::geom::scale(t, t[2]));
    let a = dot(e, e);
    let b = 2.0 * dot(f, e);
    let c = dot(f, f) - rad * rad;
    if a < 1e-9 {
        return (c <= 0.0).then_some((z0, z1));
    }
    let disc = b * b - 4.0 * a * c;
    if disc <= 0.0 {
        return None;
    }
    let s = disc.sqrt();
    let (lo, hi) = (
        ((-b - s) / (2.0 * a)).max(z0),
        ((-b + s) / (2.0 * a)).min(z1),
    );
    (hi > lo).then_some((lo, hi))
}

/// Computes the Agatston score of the plaques on an ideal reconstruction
/// with slabs of `slab_mm` starting at the bottom of the scan.
pub fn agatston(plaques: &[Plaque], model: &PhantomModel, slab_mm: f64) -> AgatstonTruth {
    let t = &model.tissue;
    let (blood, fat) = (t.blood, t.mediastinal_fat);
    let slab0 = model.scan_w[0];
    // Clusters of plaques whose boxes touch.
    let n = plaques.len();
    let boxes: Vec<Aabb> = plaques.iter().map(|p| p.body.bbox().expand(0.3)).collect();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], i: usize) -> usize {
        let mut i = i;
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&boxes[i], &boxes[j]);
            if (0..3).all(|k| a.min[k] <= b.max[k] && b.min[k] <= a.max[k]) {
                let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                parent[ri] = rj;
            }
        }
    }
    let mut by_vessel = [0.0; 4];
    let (mut volume, mut hu_volume) = (0.0, 0.0);
    let step = TRUTH_STEP_MM;
    for root in 0..n {
        let members: Vec<usize> = (0..n).filter(|&i| find(&mut parent, i) == root).collect();
        if members.is_empty() {
            continue;
        }
        let bb = members.iter().fold(Aabb::EMPTY, |b, &i| b.union(&boxes[i]));
        let nx = ((bb.max[0] - bb.min[0]) / step).ceil() as usize + 1;
        let ny = ((bb.max[1] - bb.min[1]) / step).ceil() as usize + 1;
        let k0 = ((bb.min[2] - slab0) / slab_mm).floor() as i64;
        let k1 = ((bb.max[2] - slab0) / slab_mm).floor() as i64;
        let ns = (k1 - k0 + 1) as usize;
        // Per slab: average HU and the dominant plaque of each column.
        let mut avg = vec![f32::NAN; ns * nx * ny];
        let mut owner = vec![u16::MAX; ns * nx * ny];
        let mut iv: Vec<(f64, f64, f64, usize)> = Vec::new();
        let mut lumen: Vec<(f64, f64)> = Vec::new();
        let mut cuts: Vec<f64> = Vec::new();
        for j in 0..ny {
            for i in 0..nx {
                let u = bb.min[0] + (i as f64 + 0.5) * step;
                let v = bb.min[1] + (j as f64 + 0.5) * step;
                iv.clear();
                for &m in &members {
                    let b = &boxes[m];
                    if u < b.min[0] || u > b.max[0] || v < b.min[1] || v > b.max[1] {
                        continue;
                    }
                    if let Some((z0, z1)) = column_ellipsoid(&plaques[m].body, u, v) {
                        iv.push((z0, z1, plaques[m].hu, m));
                    }
                }
                if iv.is_empty() {
                    continue;
                }
                lumen.clear();
                let zlo = slab0 + k0 as f64 * slab_mm;
                let zhi = slab0 + (k1 + 1) as f64 * slab_mm;
                for &m in &members {
                    let p = &plaques[m];
                    if let Some(l) =
                        column_cylinder(p.axis_point, p.axis_dir, p.lumen_radius, u, v, zlo, zhi)
                    {
                        lumen.push(l);
                    }
                }
                cuts.clear();
                for &(a, b, _, _) in &iv {
                    cuts.push(a);
                    cuts.push(b);
                }
                for &(a, b) in &lumen {
                    cuts.push(a);
                    cuts.push(b);
                }
                for k in 0..=ns {
                    cuts.push(zlo + k as f64 * slab_mm);
                }
                cuts.retain(|z| *z >= zlo && *z <= zhi);
                cuts.sort_by(|a, b| a.total_cmp(b));
                let mut sum = vec![0.0; ns];
                let mut own_len = vec![(0.0f64, u16::MAX); ns];
                let mut per_plaque: Vec<(usize, usize, f64)> = Vec::new();
                for w in cuts.windows(2) {
                    let len = w[1] - w[0];
                    if len <= 0.0 {
                        continue;
                    }
                    let zm = 0.5 * (w[0] + w[1]);
                    let s = (((zm - zlo) / slab_mm).floor() as usize).min(ns - 1);
                    let mut best: Option<(f64, usize)> = None;
                    for &(a, b, hu, m) in &iv {
                        if zm > a && zm < b && best.is_none_or(|x| hu > x.0) {
                            best = Some((hu, m));
                        }
                    }
                    let val = match best {
                        Some((hu, m)) => {
                            volume += len * step * step;
                            hu_volume += hu * len * step * step;
                            per_plaque.push((s, m, len));
                            hu
                        }
                        None if lumen.iter().any(|&(a, b)| zm > a && zm < b) => blood,
                        None => fat,
                    };
                    sum[s] += val * len;
                }
                // The plaque with the longest path through each slab owns
                // the column there.
                per_plaque.sort_by_key(|&(s, m, _)| (s, m));
                for run in per_plaque.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
                    let (s, m) = (run[0].0, run[0].1);
                    let total: f64 = run.iter().map(|x| x.2).sum();
                    if total > own_len[s].0 {
                        own_len[s] = (total, m as u16);
                    }
                }
                for s in 0..ns {
                    let idx = (s * ny + j) * nx + i;
                    avg[idx] = (sum[s] / slab_mm) as f32;
                    owner[idx] = own_len[s].1;
                }
            }
        }
        // Lesions per slab.
        let px_area = step * step;
        let mut seen = vec![false; nx * ny];
        let mut stack = Vec::new();
        for s in 0..ns {
            seen.iter_mut().for_each(|x| *x = false);
            let at = |i: usize| avg[s * nx * ny + i];
            for start in 0..nx * ny {
                if seen[start] || at(start).is_nan() || (at(start) as f64) < AGATSTON_HU {
                    continue;
                }
                seen[start] = true;
                stack.push(start);
                let (mut count, mut peak, mut peak_i) = (0usize, f64::MIN, start);
                while let Some(c) = stack.pop() {
                    count += 1;
                    let val = at(c) as f64;
                    if val > peak {
                        peak = val;
                        peak_i = c;
                    }
                    let (x, y) = ((c % nx) as i64, (c / nx) as i64);
                    for dy in -1..=1i64 {
                        for dx in -1..=1i64 {
                            let (xx, yy) = (x + dx, y + dy);
                            if xx < 0 || yy < 0 || xx >= nx as i64 || yy >= ny as i64 {
                                continue;
                            }
                            let q = yy as usize * nx + xx as usize;
                            if !seen[q] && at(q) as f64 >= AGATSTON_HU {
                                seen[q] = true;
                                stack.push(q);
                            }
                        }
                    }
                }
                let area = count as f64 * px_area;
                if area < AGATSTON_MIN_AREA_MM2 {
                    continue;
                }
                let m = owner[s * nx * ny + peak_i];
                if let Some(p) = plaques.get(m as usize) {
                    by_vessel[p.vessel] += area * agatston_weight(peak);
                }
            }
        }
    }
    AgatstonTruth {
        by_vessel: by_vessel.map(|a| (a * 10.0).round() / 10.0),
        volume_mm3: volume,
        mean_hu: if volume > 0.0 {
            hu_volume / volume
        } else {
            0.0
        },
    }
}

/// Paints a calcified ellipsoid displaced by `shift`, with footprint
/// coverage along its true normal; sets `label` inside when given.
pub(crate) fn paint_calcium(
    c: &mut Canvas,
    e: &Ellipsoid,
    hu: f32,
    shift: V3,
    label: Option<Label>,
) {
    let w = c.w;
    let px = c.grid.px;
    let h = c.h;
    let bb = e.bbox();
    let bb = Aabb {
        min: add(bb.min, shift),
        max: add(bb.max, shift),
    }
    .expand(px.max(h));
    if !bb.spans_w(w) {
        return;
    }
    let Some(rect) = c.grid.rect_of(&bb) else {
        return;
    };
    let nx = c.grid.nx;
    for y in rect.y0..rect.y1 {
        for x in rect.x0..rect.x1 {
            let i = y * nx + x;
            let p = sub([c.grid.u[i] as f64, c.grid.v[i] as f64, w], shift);
            let d = e.sdf(p);
            if d > px + h {
                continue;
            }
            let l = e.local(p);
            let g = (0..3).fold([0.0; 3], |acc, k| {
                add_scaled(acc, e.axes[k], l[k] / (e.r[k] * e.r[k]))
            });
            let n = normalize(g);
            let fp = px * (n[0].abs() + n[1].abs()).max(0.7) + h * n[2].abs();
            let a = (0.5 - d / fp).clamp(0.0, 1.0) as f32;
            if a > 0.0 {
                c.value[i] += a * (hu - c.value[i]);
            }
            if d < 0.0
                && let Some(lab) = label
            {
                c.label[i] = lab;
            }
        }
    }
}

impl Lesion for CoronaryCalcium {
    fn code(&self) -> &'static str {
        "F19"
    }

    fn bbox(&self) -> Aabb {
        // Motion shifts the heart by up to ~5 mm.
        self.bbox.expand(5.0)
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let shift = c.heart_shift();
        for p in &self.plaques {
            paint_calcium(c, &p.body, p.hu as f32, shift, Some(label));
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F19");
        let total = (self.agatston() * 10.0).round() / 10.0;
        let involved: Vec<&str> = VESSELS
            .iter()
            .zip(self.agatston_by_vessel)
            .filter(|(_, a)| *a > 0.0)
            .map(|(v, _)| *v)
            .collect();
        f.site
            .extra
            .insert("vessels".into(), serde_json::json!(involved));
        let method = Some("estimated, non-gated".to_string());
        let mut m = aisu::Measurement::new("agatston", total, "1");
        m.method = method.clone();
        f.measurements.push(m);
        for (v, a) in VESSELS.iter().zip(self.agatston_by_vessel) {
            let mut m =
                aisu::Measurement::new(format!("agatston_{}", v.to_ascii_lowercase()), a, "1");
            m.method = method.clone();
            f.measurements.push(m);
        }
        f.measurements.push(aisu::Measurement::new(
            "vessels_involved",
            self.vessels_involved() as f64,
            "1",
        ));
        let cat = self.cac_drs();
        f.category = Some(aisu::Category {
            system: "CAC-DRS".into(),
            value: if cat == 0 {
                "A0".into()
            } else {
                format!("A{cat}/N{}", self.vessels_involved())
            },
            context: ctx.context,
        });
        // SCCT/STR 2016 ordinal grade on non-gated CT.
        let ordinal = ["none", "mild", "moderate", "severe"][cat as usize];
        f.morphology = vec!["calcified".into(), ordinal.into()];
        f.urgency = if cat >= 2 {
            aisu::Urgency::Routine
        } else {
            aisu::Urgency::Incidental
        };
        f.assessable = ctx.slice_mm <= MAX_SLICE_MM && total > 0.0;
        f.extra
            .insert("scct_str_2016".into(), serde_json::json!(ordinal));
        f.extra.insert(
            "true_calcium_volume_mm3".into(),
            serde_json::json!((self.volume_mm3 * 10.0).round() / 10.0),
        );
        f.extra.insert(
            "true_mean_hu".into(),
            serde_json::json!(self.mean_hu.round()),
        );
        f.extra.insert(
            "plaques".into(),
            serde_json::json!(
                self.plaques
                    .iter()
                    .map(|p| serde_json::json!({
                        "vessel": VESSELS[p.vessel],
                        "centre_lps_mm": ctx.model.to_lps(p.body.c),
                        "semi_axes_mm": p.body.r,
                        "hu": p.hu,
                    }))
                    .collect::<Vec<_>>()
            ),
        );
        if ctx.slice_mm > MAX_SLICE_MM {
            f.extra.insert(
                "limited".into(),
                serde_json::json!(format!(
                    "slice thickness {} mm > 3 mm: Agatston not assessable",
                    ctx.slice_mm
                )),
            );
        }
        f
    }

    fn describe(&self) -> String {
        format!(
            "F19 {:?} coronary calcium: {} plaques, Agatston {:.0} (LM {:.0}, LAD {:.0}, LCx {:.0}, RCA {:.0})",
            self.severity,
            self.plaques.len(),
            self.agatston(),
            self.agatston_by_vessel[0],
            self.agatston_by_vessel[1],
            self.agatston_by_vessel[2],
            self.agatston_by_vessel[3]
        )
    }
}
