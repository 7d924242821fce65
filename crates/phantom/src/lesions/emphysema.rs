//! F05 emphysema of one lung: destroyed parenchyma drawn as air-like
//! lucencies (below -950 HU) where a smooth random field, biased by zone,
//! exceeds a threshold. The three Fleischner visual patterns differ in
//! lucency size, zone and position: centrilobular (small lucencies,
//! upper-lobe predominant), panlobular (larger confluent ones, lower-lobe
//! predominant) and paraseptal (a subpleural row, upper predominant).
//! Vessels cross the lucencies untouched, as in real emphysema.
//!
//! Ground truth is the drawn extent: the threshold is calibrated on
//! jittered samples of the lung so that the destroyed fraction of the
//! lung's volume equals the drawn %LAA-950, and the upper/lower ratio and
//! per-lobe values are read from the same samples (the object model),
//! never from the image. Bilateral emphysema is one lesion per lung
//! (FINDINGS.md granularity S), made by [`per_lung`] from one request.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::geom::{Aabb, V3, smoothstep};
use crate::labels::{self, Label};
use crate::lesions::nodule::lobe_name;
use crate::lesions::pleura::{self, Side, Wall};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};
use crate::texture::Texture;

/// Drawn extent, %LAA-950 of one lung: mild to severe (grading
/// convention of FINDINGS.md: mild 5-15, moderate 15-25, severe >25;
/// COPDGene cohorts reach ~40 %: Regan et al., COPD 2010).
pub const LAA_PERCENT: (f64, f64) = (6.0, 35.0);
/// Variation of the extent between the two lungs of one patient
/// (factor; emphysema is usually symmetric within about 20 %).
pub const SIDE_FACTOR: (f64, f64) = (0.8, 1.2);
/// Attenuation of emphysematous spaces, HU (near air; the -950 HU
/// threshold was validated against pathology by Gevenois et al.,
/// AJRCCM 1996).
pub const HOLE_HU: (f64, f64) = (-1000.0, -980.0);
/// Lattice spacing of the lucency field per pattern, mm (the parts of a
/// smooth field above a high threshold are about 0.6-1.2 spacings
/// across): centrilobular
/// lucencies are a few mm to ~1 cm within the lobule (Fleischner
/// glossary, Hansell et al., Radiology 2008), panlobular ones involve
/// whole secondary lobules (1-2.5 cm), paraseptal ones are subpleural, up
/// to ~1 cm.
pub const SCALE_CENTRILOBULAR_MM: (f64, f64) = (6.0, 9.0);
/// See [`SCALE_CENTRILOBULAR_MM`].
pub const SCALE_PANLOBULAR_MM: (f64, f64) = (9.0, 14.0);
/// See [`SCALE_CENTRILOBULAR_MM`].
pub const SCALE_PARASEPTAL_MM: (f64, f64) = (6.0, 8.0);
/// Depth of the subpleural band of paraseptal emphysema, mm (a single
/// row of lucencies under the pleura: Lynch et al., Radiology 2015).
pub const PARASEPTAL_BAND_MM: (f64, f64) = (8.0, 14.0);
/// Zone bias across the lung height, in standard deviations of the
/// field (upper- or lower-zone predominance; Lynch et al. 2015).
pub const ZONE_BIAS: (f64, f64) = (1.0, 2.0);

/// Fleischner visual pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmphysemaPattern {
    /// Centrilobular, upper-lobe predominant.
    Centrilobular,
    /// Panlobular, lower-lobe predominant.
    Panlobular,
    /// Paraseptal, subpleural.
    Paraseptal,
}

impl EmphysemaPattern {
    /// Morphology word.
    pub fn name(self) -> &'static str {
        match self {
            EmphysemaPattern::Centrilobular => "centrilobular",
            EmphysemaPattern::Panlobular => "panlobular",
            EmphysemaPattern::Paraseptal => "paraseptal",
        }
    }
}

/// Request for emphysema; missing fields are drawn. Without a side, both
/// lungs get emphysema of the same pattern (one finding each).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmphysemaSpec {
    /// Lung; `None` = both.
    #[serde(default)]
    pub side: Option<Side>,
    /// Pattern.
    #[serde(default)]
    pub pattern: Option<EmphysemaPattern>,
    /// Extent, %LAA-950 of the lung.
    #[serde(default)]
    pub laa_percent: Option<f64>,
    /// Attenuation of the destroyed spaces, HU.
    #[serde(default)]
    pub hole_hu: Option<f64>,
}

/// One request per lung: a request without a side becomes two (right,
/// left) sharing the pattern and the hole HU, with extents varying by
/// [`SIDE_FACTOR`] around a drawn one (or exactly the requested one).
pub fn per_lung(spec: &EmphysemaSpec, r: &mut PhantomRng) -> Vec<EmphysemaSpec> {
    if spec.side.is_some() {
        return vec![spec.clone()];
    }
    let pattern = spec.pattern.unwrap_or_else(|| draw_pattern(r));
    let hole = spec
        .hole_hu
        .unwrap_or_else(|| rng::uniform(r, HOLE_HU.0, HOLE_HU.1).round());
    let base = spec.laa_percent;
    let drawn = rng::uniform(r, LAA_PERCENT.0, LAA_PERCENT.1);
    [Side::Right, Side::Left]
        .into_iter()
        .map(|side| {
            let f = rng::uniform(r, SIDE_FACTOR.0, SIDE_FACTOR.1);
            EmphysemaSpec {
                side: Some(side),
                pattern: Some(pattern),
                laa_percent: Some(base.unwrap_or((drawn * f).clamp(5.5, 45.0))),
                hole_hu: Some(hole),
            }
        })
        .collect()
}

fn draw_pattern(r: &mut PhantomRng) -> EmphysemaPattern {
    // Centrilobular is by far the commonest in smokers.
    [
        EmphysemaPattern::Centrilobular,
        EmphysemaPattern::Panlobular,
        EmphysemaPattern::Paraseptal,
    ][rng::weighted(r, &[0.65, 0.15, 0.2])]
}

/// Emphysema of one lung.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Emphysema {
    /// Lung.
    pub side: Side,
    /// Pattern.
    pub pattern: EmphysemaPattern,
    /// Field correlation length, mm.
    pub scale: f64,
    /// Zone bias (positive: upper predominant).
    pub zone_bias: f64,
    /// Subpleural band depth (paraseptal), mm.
    pub band_mm: f64,
    /// Threshold of the biased field.
    pub threshold: f64,
    /// HU of the destroyed spaces.
    pub hole_hu: f64,
    /// True %LAA-950 of the lung (scanned part).
    pub laa_percent: f64,
    /// Upper-third to lower-third %LAA ratio.
    pub upper_lower: f64,
    /// %LAA per lobe.
    pub by_lobe: Vec<(String, f64)>,
    /// Lowest and highest lung heights (for the zone), mm.
    pub w_range: [f64; 2],
    /// The costal pleura.
    pub wall: Wall,
    bbox: Aabb,
}

impl Emphysema {
    /// Places emphysema in one lung (a request without a side takes the
    /// right lung here; [`per_lung`] splits bilateral requests first).
    pub fn place(
        spec: &EmphysemaSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<Emphysema, PhantomError> {
        let side = spec.side.unwrap_or(Side::Right);
        let pattern = spec.pattern.unwrap_or_else(|| draw_pattern(r));
        let pct = spec
            .laa_percent
            .unwrap_or_else(|| rng::uniform(r, LAA_PERCENT.0, LAA_PERCENT.1));
        if !(0.5..=80.0).contains(&pct) {
            return Err(PhantomError::Params(format!(
                "emphysema extent {pct} % outside 0.5-80"
            )));
        }
        let hole_hu = spec
            .hole_hu
            .unwrap_or_else(|| rng::uniform(r, HOLE_HU.0, HOLE_HU.1).round());
        let range = match pattern {
            EmphysemaPattern::Centrilobular => SCALE_CENTRILOBULAR_MM,
            EmphysemaPattern::Panlobular => SCALE_PANLOBULAR_MM,
            EmphysemaPattern::Paraseptal => SCALE_PARASEPTAL_MM,
        };
        let scale = rng::uniform(r, range.0, range.1);
        let bias = rng::uniform(r, ZONE_BIAS.0, ZONE_BIAS.1);
        let zone_bias = if pattern == EmphysemaPattern::Panlobular {
            -bias
        } else {
            bias
        };
        let band_mm = rng::uniform(r, PARASEPTAL_BAND_MM.0, PARASEPTAL_BAND_MM.1);
        let samples = pleura::lung_samples(model, side);
        if samples.points.len() < 100 {
            return Err(PhantomError::Placement(format!(
                "no {} lung in the scanned range for emphysema",
                side.name()
            )));
        }
        let bb = samples.bbox();
        let lm = &model.landmarks;
        let mut e = Emphysema {
            side,
            pattern,
            scale,
            zone_bias,
            band_mm,
            threshold: 0.0,
            hole_hu,
            laa_percent: 0.0,
            upper_lower: 0.0,
            by_lobe: Vec::new(),
            w_range: [lm.recess, lm.apex],
            wall: Wall::of(model),
            bbox: bb,
        };
        // Calibrate the threshold: the (1 - pct) quantile of the field.
        let h: Vec<f64> = samples
            .points
            .iter()
            .zip(&samples.wall)
            .map(|(p, wl)| e.field(&model.texture, *p, *wl))
            .collect();
        let mut sorted = h.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let k = (((1.0 - pct / 100.0) * sorted.len() as f64) as usize).min(sorted.len() - 1);
        e.threshold = sorted[k];
        // Ground truth from the same samples.
        let wmin = samples
            .points
            .iter()
            .map(|p| p[2])
            .fold(f64::INFINITY, f64::min);
        let wmax = samples
            .points
            .iter()
            .map(|p| p[2])
            .fold(f64::NEG_INFINITY, f64::max);
        let third = (wmax - wmin) / 3.0;
        let (mut n, mut up, mut nup, mut low, mut nlow) = (0usize, 0usize, 0usize, 0usize, 0usize);
        let mut lobes: std::collections::BTreeMap<&'static str, (usize, usize)> =
            Default::default();
        for (p, hv) in samples.points.iter().zip(&h) {
            let hole = *hv > e.threshold;
            n += usize::from(hole);
            if p[2] > wmax - third {
                nup += 1;
                up += usize::from(hole);
            } else if p[2] < wmin + third {
                nlow += 1;
                low += usize::from(hole);
            }
            let lobe = model.lungs.lobe(*p, model.texture.at2(*p, 32.0) as f64);
            let ent = lobes.entry(lobe_name(lobe)).or_default();
            ent.0 += usize::from(hole);
            ent.1 += 1;
        }
        e.laa_percent = 100.0 * n as f64 / samples.points.len() as f64;
        let fu = up as f64 / nup.max(1) as f64;
        let fl = low as f64 / nlow.max(1) as f64;
        e.upper_lower = if fl > 0.0 { (fu / fl).min(99.0) } else { 99.0 };
        e.by_lobe = lobes
            .into_iter()
            .map(|(k, (a, b))| (k.to_string(), 100.0 * a as f64 / b.max(1) as f64))
            .collect();
        let mut bbox = bb;
        if side.sign() < 0.0 {
            bbox.max[0] = bbox.max[0].min(0.0);
        } else {
            bbox.min[0] = bbox.min[0].max(0.0);
        }
        e.bbox = bbox;
        Ok(e)
    }

    /// The biased lucency field at `p` (a lucency where it exceeds the
    /// threshold); `wall` is the distance to the costal pleura.
    #[inline]
    pub fn field(&self, tex: &Texture, p: V3, wall: f64) -> f64 {
        let mut h = tex.at(lattice_point(p), self.scale) as f64;
        h += self.zone_bias * (self.zone_fraction(p[2]) - 0.5);
        if self.pattern == EmphysemaPattern::Paraseptal {
            h -= 4.0 * smoothstep(self.band_mm - 2.0, self.band_mm + 2.0, -wall);
        }
        h
    }

    /// [`Emphysema::field`] with its gradient (per mm); `wall_gradient` is
    /// the gradient of `wall` at `p`.
    #[inline]
    pub fn field_grad(&self, tex: &Texture, p: V3, wall: f64, wall_gradient: V3) -> (f64, V3) {
        let (t, gq) = tex.at_grad(lattice_point(p), self.scale);
        let mut h = t as f64;
        // Chain rule through the lattice rotation: grad_p = R^T grad_q.
        let mut g = [0.0; 3];
        for (row, gk) in LATTICE_ROTATION.iter().zip(gq) {
            for (gi, r) in g.iter_mut().zip(row) {
                *gi += r * gk as f64;
            }
        }
        let z = self.zone_fraction(p[2]);
        h += self.zone_bias * (z - 0.5);
        if z > 0.0 && z < 1.0 {
            g[2] += self.zone_bias / (self.w_range[1] - self.w_range[0]);
        }
        if self.pattern == EmphysemaPattern::Paraseptal {
            let (e0, e1) = (self.band_mm - 2.0, self.band_mm + 2.0);
            h -= 4.0 * smoothstep(e0, e1, -wall);
            let s = ((-wall - e0) / (e1 - e0)).clamp(0.0, 1.0);
            // d/dwall of -4 smoothstep(-wall) = 4 smoothstep'.
            let k = 4.0 * 6.0 * s * (1.0 - s) / (e1 - e0);
            for (gi, wg) in g.iter_mut().zip(wall_gradient) {
                *gi += k * wg;
            }
        }
        (h, g)
    }

    /// Height within the emphysema's range, 0 (bottom) to 1 (top).
    #[inline]
    fn zone_fraction(&self, w: f64) -> f64 {
        ((w - self.w_range[0]) / (self.w_range[1] - self.w_range[0])).clamp(0.0, 1.0)
    }

    /// Severity by extent (FINDINGS.md convention).
    pub fn severity(&self) -> &'static str {
        if self.laa_percent > 25.0 {
            "severe"
        } else if self.laa_percent >= 15.0 {
            "moderate"
        } else if self.laa_percent >= 5.0 {
            "mild"
        } else {
            "trace"
        }
    }
}

/// A fixed oblique rotation of the lucency lattice, so its cells do not
/// show as axis-aligned boxes (rows: lattice axes in patient coordinates).
const LATTICE_ROTATION: [[f64; 3]; 3] =
    [[0.62, -0.48, 0.62], [0.78, 0.38, -0.50], [0.0, 0.79, 0.61]];

/// The lattice point of `p`: rotated, and shifted so that the field is
/// independent of the lung texture, which reads the same lattice.
#[inline]
fn lattice_point(p: V3) -> V3 {
    let r = &LATTICE_ROTATION;
    [
        r[0][0] * p[0] + r[0][1] * p[1] + r[0][2] * p[2] + 101.3,
        r[1][0] * p[0] + r[1][1] * p[1] + r[1][2] * p[2] - 57.1,
        r[2][0] * p[0] + r[2][1] * p[1] + r[2][2] * p[2] + 23.9,
    ]
}

impl Lesion for Emphysema {
    fn code(&self) -> &'static str {
        "F05"
    }

    fn bbox(&self) -> Aabb {
        self.bbox
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let w = c.w;
        if !self.bbox.spans_w(w) {
            return;
        }
        let Some(rect) = c.grid.rect_of(&self.bbox) else {
            return;
        };
        let px = c.grid.px;
        let hs = c.h;
        let tex = c.texture;
        let s = self.side.sign();
        let hole = self.hole_hu as f32;
        let para = self.pattern == EmphysemaPattern::Paraseptal;
        // Beyond this field margin below the threshold no pixel footprint
        // reaches a lucency (the field's gradient is at most ~1.5/scale).
        let reach = 1.5 / self.scale * (px + hs) + 0.05;
        let nx = c.grid.nx;
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                let i = y * nx + x;
                if !labels::is_lobe(c.label[i]) {
                    continue;
                }
                let (u, v) = (c.grid.u[i] as f64, c.grid.v[i] as f64);
                if u * s <= 0.0 {
                    continue;
                }
                let p = [u, v, w];
                let wall = if para { self.wall.distance(p) } else { 0.0 };
                // The wall distance grows along the in-plane radial
                // direction (x 0.95, as `Wall::distance` scales it); the
                // core radius varies slowly with angle and height.
                let rho = u.hypot(v).max(1e-6);
                let radial = [0.95 * u / rho, 0.95 * v / rho, 0.0];
                let (h, g) = self.field_grad(tex, p, wall, radial);
                let delta = h - self.threshold;
                if delta < -reach {
                    continue;
                }
                let gn = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt().max(1e-6);
                let d = -delta / gn;
                let fp = px * ((g[0].abs() + g[1].abs()) / gn).max(0.7) + hs * g[2].abs() / gn;
                let a = (0.5 - d / fp).clamp(0.0, 1.0) as f32;
                if a > 0.0 {
                    let val = hole + 3.0 * tex.at([p[1], p[0], p[2]], 1.0);
                    c.value[i] += a * (val - c.value[i]);
                }
                if d < 0.0 {
                    c.label[i] = label;
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F05");
        f.site = aisu::Site {
            side: Some(self.side.name().to_string()),
            zone: Some(
                if self.upper_lower >= 1.0 {
                    "upper"
                } else {
                    "lower"
                }
                .into(),
            ),
            ..Default::default()
        };
        f.measurements = vec![
            aisu::Measurement::new(
                "laa950_percent",
                (self.laa_percent * 10.0).round() / 10.0,
                "%",
            ),
            aisu::Measurement::new(
                "upper_lower_ratio",
                (self.upper_lower * 100.0).round() / 100.0,
                "1",
            ),
        ];
        f.morphology = vec![self.pattern.name().to_string()];
        f.category = Some(aisu::Category {
            system: "LAA-950 extent (convention)".into(),
            value: self.severity().into(),
            context: ctx.context,
        });
        f.urgency = aisu::Urgency::Routine;
        // Thick slices average small lucencies away: mild emphysema is not
        // reliably seen on slices over 3 mm (FINDINGS.md F05 "limited").
        f.assessable = ctx.slice_mm <= 3.0 || self.laa_percent >= 15.0;
        let limited = ctx.slice_mm > 2.5
            || ctx.model.params.kernel.class == crate::params::KernelClass::Sharp;
        f.extra
            .insert("laa_measurement_limited".into(), serde_json::json!(limited));
        let lobes: serde_json::Map<String, serde_json::Value> = self
            .by_lobe
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!((v * 10.0).round() / 10.0)))
            .collect();
        f.extra.insert(
            "laa950_percent_by_lobe".into(),
            serde_json::Value::Object(lobes),
        );
        f
    }

    fn describe(&self) -> String {
        format!(
            "F05 {} {} emphysema, {:.1} % LAA-950, upper/lower {:.2}",
            self.side.name(),
            self.pattern.name(),
            self.laa_percent,
            self.upper_lower
        )
    }
}
