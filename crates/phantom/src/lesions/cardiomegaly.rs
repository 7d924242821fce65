//! F17 cardiomegaly: a heart drawn larger than normal, and the true
//! cardiothoracic ratio of every phantom.
//!
//! Cardiomegaly is not an object painted over the anatomy but the anatomy
//! itself: the heart is built bigger (its `heart_scale` raised before the
//! model is built, [`enlarge`]) and the lungs give way to it, as they do
//! in a patient. The enlargement is global (all four chambers), the
//! common picture of dilated and failing hearts.
//!
//! The truth ([`measure`]) is computed from the model's heart surface and
//! lungs, never from the rendered image, with the axial-CT convention of
//! FINDINGS.md F17: the widest left-right extent of the heart (chambers
//! and myocardium, without epicardial fat) on any axial plane, over the
//! widest left-right extent of the lungs (inner pleural surfaces) on the
//! same plane. The heart volume is that of the same surface.
//!
//! Normal phantoms keep a ratio at or below [`NORMAL_MAX_CTR`] (their
//! heart is shrunk to it in the rare case the drawn size exceeds it), so
//! that a normal phantom never meets the > 0.5 criterion by chance; a
//! cardiomegaly phantom's ratio is drawn in [`CTR_RANGE`].

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::geom::Aabb;
use crate::labels::Label;
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Cardiothoracic ratio drawn for cardiomegaly: above the 0.5 cut-off
/// (FINDINGS.md F17) by at least 0.03, so the truth is not a coin toss
/// at the threshold, up to a markedly enlarged heart.
pub const CTR_RANGE: [f64; 2] = [0.53, 0.66];
/// Highest ratio a normal phantom keeps (below the 0.5 cut-off with the
/// same margin).
pub const NORMAL_MAX_CTR: f64 = 0.47;
/// The F17 cut-off (FINDINGS.md: CTR > 0.5, axial CT convention).
pub const CTR_CUTOFF: f64 = 0.5;
/// Step of the grid the heart's widest plane is searched on, mm.
const GRID_MM: f64 = 2.0;
/// Step of the grid the heart's volume is counted on, mm.
const VOLUME_GRID_MM: f64 = 2.0;
/// Step of the fine search around the widest plane, mm.
const FINE_MM: f64 = 0.25;
/// Row step of the fine search, mm.
const FINE_ROW_MM: f64 = 0.5;

/// Request for cardiomegaly; a missing ratio is drawn in [`CTR_RANGE`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardiomegalySpec {
    /// Target cardiothoracic ratio (0.51-0.75).
    #[serde(default)]
    pub ratio: Option<f64>,
}

impl CardiomegalySpec {
    /// The target ratio: the requested one, else drawn from the seed.
    pub fn target(&self, seed: u64) -> Result<f64, PhantomError> {
        match self.ratio {
            Some(r) if (0.51..=0.75).contains(&r) => Ok(r),
            Some(r) => Err(PhantomError::Params(format!(
                "cardiomegaly ratio {r} is outside 0.51-0.75"
            ))),
            None => {
                let r = &mut rng::stream(seed, "cardiomegaly");
                Ok((rng::uniform(r, CTR_RANGE[0], CTR_RANGE[1]) * 1000.0).round() / 1000.0)
            }
        }
    }
}

/// The true size of the heart of a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CardiacSize {
    /// Widest left-right extent of the heart on an axial plane, mm.
    pub heart_diameter_mm: f64,
    /// Left-right extent of the lungs on that plane, mm.
    pub thorax_diameter_mm: f64,
    /// Their ratio.
    pub ratio: f64,
    /// Patient `w` of that plane, mm.
    pub level_w: f64,
    /// Heart volume (chambers and myocardium), ml.
    pub heart_volume_ml: f64,
}

/// Left-right extent `[min u, max u]` of the heart on plane `w`: rows
/// every `row_step` mm over the box, each searched every `step` mm and its
/// ends placed by bisection (empty: `None`).
fn heart_extent(
    model: &PhantomModel,
    b: &Aabb,
    w: f64,
    row_step: f64,
    step: f64,
) -> Option<[f64; 2]> {
    let h = &model.heart;
    let nu = ((b.max[0] - b.min[0]) / step).ceil() as usize + 1;
    let nv = ((b.max[1] - b.min[1]) / row_step).ceil() as usize + 1;
    let mut ext: Option<[f64; 2]> = None;
    for j in 0..nv {
        let v = b.min[1] + j as f64 * row_step;
        let first = (0..nu).find(|&i| h.sdf([b.min[0] + i as f64 * step, v, w]) < 0.0);
        let Some(first) = first else { continue };
        let last = (first..nu)
            .rev()
            .find(|&i| h.sdf([b.min[0] + i as f64 * step, v, w]) < 0.0)
            .unwrap_or(first);
        let lo = refine(|u| h.sdf([u, v, w]), b.min[0] + first as f64 * step, -step);
        let hi = refine(|u| h.sdf([u, v, w]), b.min[0] + last as f64 * step, step);
        ext = Some(match ext {
            None => [lo, hi],
            Some(e) => [e[0].min(lo), e[1].max(hi)],
        });
    }
    ext
}

/// The zero crossing of `sdf` between `inside` (negative) and `inside +
/// towards` (assumed outside or the grid edge), by bisection.
fn refine(sdf: impl Fn(f64) -> f64, inside: f64, towards: f64) -> f64 {
    let (mut a, mut b) = (inside, inside + towards);
    if sdf(b) < 0.0 {
        return b;
    }
    for _ in 0..24 {
        let m = 0.5 * (a + b);
        if sdf(m) < 0.0 {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

/// Left-right extent of the lungs on plane `w`: rows every `step` mm,
/// each walked in from the body's side until the lung starts.
fn lung_extent(model: &PhantomModel, w: f64, step: f64) -> Option<[f64; 2]> {
    let half = 400.0;
    let rows: Vec<f64> = (0..)
        .map(|j| -half + j as f64 * step)
        .take_while(|v| *v <= half)
        .collect();
    let edges: Vec<[f64; 2]> = rows
        .par_iter()
        .filter_map(|&v| {
            let inside = |u: f64| model.lung_sdf([u, v, w]) < 0.0;
            let coarse = 1.0;
            let n = (half / coarse) as usize;
            let lo = (0..n)
                .map(|i| -half + i as f64 * coarse)
                .find(|&u| inside(u))?;
            let hi = (0..n)
                .map(|i| half - i as f64 * coarse)
                .find(|&u| inside(u))?;
            let f = |u: f64| model.lung_sdf([u, v, w]);
            Some([refine(f, lo, -coarse), refine(f, hi, coarse)])
        })
        .collect();
    edges
        .into_iter()
        .reduce(|a, b| [a[0].min(b[0]), a[1].max(b[1])])
}

/// The true cardiothoracic ratio and heart volume of a model, over the
/// scanned range.
pub fn measure(model: &PhantomModel) -> CardiacSize {
    let mut size = measure_ratio(model);
    size.heart_volume_ml = heart_volume_ml(model);
    size
}

/// The heart's volume over the scanned range, ml (a grid of
/// [`VOLUME_GRID_MM`]: well under 1 % off for a heart of 200 ml or more).
fn heart_volume_ml(model: &PhantomModel) -> f64 {
    let b = scanned_box(model);
    let planes: Vec<f64> = (0..)
        .map(|k| b.min[2] + (k as f64 + 0.5) * VOLUME_GRID_MM)
        .take_while(|w| *w <= b.max[2])
        .collect();
    let count: usize = planes
        .par_iter()
        .map(|&w| {
            let mut n = 0usize;
            let mut v = b.min[1] + 0.5 * VOLUME_GRID_MM;
            while v <= b.max[1] {
                let mut u = b.min[0] + 0.5 * VOLUME_GRID_MM;
                while u <= b.max[0] {
                    if model.heart.sdf([u, v, w]) < 0.0 {
                        n += 1;
                    }
                    u += VOLUME_GRID_MM;
                }
                v += VOLUME_GRID_MM;
            }
            n
        })
        .sum();
    count as f64 * VOLUME_GRID_MM.powi(3) / 1000.0
}

/// The heart's box clipped to the scanned range.
fn scanned_box(model: &PhantomModel) -> Aabb {
    let mut b = model.heart.bbox;
    b.min[2] = b.min[2].max(model.scan_w[0]);
    b.max[2] = b.max[2].min(model.scan_w[1]);
    b
}

/// The true cardiothoracic ratio (volume left at 0).
pub fn measure_ratio(model: &PhantomModel) -> CardiacSize {
    let b = scanned_box(model);
    let planes: Vec<f64> = (0..)
        .map(|k| b.min[2] + k as f64 * GRID_MM)
        .take_while(|w| *w <= b.max[2])
        .collect();
    // Coarse pass: width per plane.
    let coarse: Vec<(f64, f64)> = planes
        .par_iter()
        .map(|&w| {
            let width = heart_extent(model, &b, w, GRID_MM, GRID_MM).map_or(0.0, |e| e[1] - e[0]);
            (w, width)
        })
        .collect();
    let best = coarse
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0.5 * (b.min[2] + b.max[2]), |c| c.0);
    // Fine pass around the widest coarse plane.
    let fine: Vec<f64> = (0..=(2.0 * GRID_MM / FINE_MM) as usize)
        .map(|k| best - GRID_MM + k as f64 * FINE_MM)
        .filter(|w| (model.scan_w[0]..=model.scan_w[1]).contains(w))
        .collect();
    let (level_w, heart_diameter_mm) = fine
        .par_iter()
        .map(|&w| {
            let e = heart_extent(model, &b, w, FINE_ROW_MM, 1.0);
            (w, e.map_or(0.0, |e| e[1] - e[0]))
        })
        .reduce(|| (best, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let thorax_diameter_mm =
        lung_extent(model, level_w, FINE_MM * 4.0).map_or(0.0, |e| e[1] - e[0]);
    CardiacSize {
        heart_diameter_mm,
        thorax_diameter_mm,
        ratio: if thorax_diameter_mm > 0.0 {
            heart_diameter_mm / thorax_diameter_mm
        } else {
            0.0
        },
        level_w,
        heart_volume_ml: 0.0,
    }
}

/// The heart scale that brings the ratio of a model measured at
/// `measured` (built with `scale`) to `target`: the heart's width grows
/// with its scale, the thorax hardly at all.
pub fn scale_for(scale: f64, measured: &CardiacSize, target: f64) -> f64 {
    if measured.ratio <= 0.0 {
        return scale;
    }
    (scale * target / measured.ratio).clamp(0.7, 1.6)
}

/// Cardiomegaly: the heart of the model, enlarged before it was built.
#[derive(Debug)]
pub struct Cardiomegaly {
    /// The model's true size.
    size: CardiacSize,
    /// The heart's box (where its finding points when no voxel is its own).
    bbox: Aabb,
    /// The heart scale it was built with.
    heart_scale: f64,
}

impl Cardiomegaly {
    /// Reads the enlarged heart of `model`.
    pub fn place(
        _spec: &CardiomegalySpec,
        model: &PhantomModel,
        _r: &mut PhantomRng,
    ) -> Result<Self, PhantomError> {
        let size = measure(model);
        if size.ratio <= CTR_CUTOFF {
            return Err(PhantomError::Placement(format!(
                "cardiomegaly: the heart reached a ratio of only {:.3}",
                size.ratio
            )));
        }
        Ok(Cardiomegaly {
            size,
            bbox: model.heart.bbox,
            heart_scale: model.params.heart_scale,
        })
    }
}

impl Lesion for Cardiomegaly {
    fn code(&self) -> &'static str {
        "F17"
    }

    fn bbox(&self) -> Aabb {
        self.bbox
    }

    /// The anatomy already drew the enlarged heart: nothing to change,
    /// and the heart keeps its anatomy label.
    fn paint(&self, _c: &mut Canvas, _label: Label) {}

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F17");
        f.site = aisu::Site {
            structure: Some("heart".into()),
            ..Default::default()
        };
        let round = |x: f64, k: f64| (x * k).round() / k;
        f.measurements = vec![
            aisu::Measurement::new("cardiothoracic_ratio", round(self.size.ratio, 1000.0), "1"),
            aisu::Measurement::new("heart_volume", round(self.size.heart_volume_ml, 1.0), "ml"),
        ];
        f.morphology = vec!["global enlargement".into()];
        f.urgency = aisu::Urgency::Routine;
        f.extra.insert(
            "heart_diameter_mm".into(),
            serde_json::json!(round(self.size.heart_diameter_mm, 10.0)),
        );
        f.extra.insert(
            "thorax_diameter_mm".into(),
            serde_json::json!(round(self.size.thorax_diameter_mm, 10.0)),
        );
        f
    }

    fn owns_voxels(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        format!(
            "F17 cardiomegaly: CTR {:.3} (heart {:.1} mm / thorax {:.1} mm), heart volume {:.0} ml, \
             heart scale {:.3}",
            self.size.ratio,
            self.size.heart_diameter_mm,
            self.size.thorax_diameter_mm,
            self.size.heart_volume_ml,
            self.heart_scale
        )
    }
}

/// Rebuilds allowed when sizing the heart.
const MAX_REBUILDS: usize = 3;
/// How close to its target a cardiomegaly ratio must come.
const TARGET_TOLERANCE: f64 = 0.01;

/// Builds the model with a heart of the size the requests call for: the
/// drawn heart when it is normal, else (a cardiomegaly request, or a
/// normal heart drawn above [`NORMAL_MAX_CTR`]) rebuilt with the heart
/// scale that reaches the target ratio.
pub fn build_sized(
    params: &crate::params::PhantomParams,
    specs: &[super::LesionSpec],
) -> Result<PhantomModel, PhantomError> {
    let target = specs
        .iter()
        .find_map(|s| match s {
            super::LesionSpec::Cardiomegaly(c) => Some(c.target(params.seed)),
            _ => None,
        })
        .transpose()?;
    let mut p = params.clone();
    let mut model = crate::anatomy::build(&p);
    for _ in 0..MAX_REBUILDS {
        let size = measure_ratio(&model);
        let goal = match target {
            Some(t) if (size.ratio - t).abs() > TARGET_TOLERANCE => t,
            None if size.ratio > NORMAL_MAX_CTR => NORMAL_MAX_CTR - TARGET_TOLERANCE,
            _ => break,
        };
        p.heart_scale = (scale_for(p.heart_scale, &size, goal) * 1000.0).round() / 1000.0;
        model = crate::anatomy::build(&p);
    }
    Ok(model)
}
