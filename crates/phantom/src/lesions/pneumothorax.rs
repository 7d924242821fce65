//! F15 pneumothorax: air in the non-dependent pleural space of one side.
//! In a supine patient air rises to the anterior chest: the collection
//! lies above a horizontal (coronal) gravity level set back from the most
//! anterior point of the hemithorax, and climbs along the costal pleura
//! in a meniscus (larger ones rim the lateral wall and the apex). The
//! lung's edge is the visceral pleural line, a thin soft-tissue sheet
//! (partial-volumed to a faint bright line); the lung behind it is
//! denser in proportion to its loss of volume.
//!
//! Ground truth from the object model: volume and hemithorax percentage
//! by integration over jittered samples of the lung, the largest
//! interpleural distance (rim) column by column, and the rim at the
//! hilar level for the BTS size rule.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::geom::{Aabb, band_coverage};
use crate::labels::{self, Label};
use crate::lesions::pleura::{self, Layer, Side, Wall};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Drawn size as a percentage of the hemithorax, log-uniform (CT
/// volumetry of pneumothoraces spans about 1-50 %: Cai et al., J Trauma
/// 2012; smaller ones are the more common).
pub const PERCENT_RANGE: (f64, f64) = (2.0, 45.0);
/// Interpleural distance at the hilum above which a pneumothorax is
/// large, mm (BTS 2010 guideline, MacDuff et al., Thorax 2010).
pub const LARGE_RIM_MM: f64 = 20.0;
/// Height band of the hilum below the carina where the rim is read, mm.
pub const HILUM_BAND_MM: (f64, f64) = (-45.0, 0.0);
/// Meniscus height as a multiple of the level depth, and its decay
/// length along the costal pleura, mm (convention: larger collections
/// rim the lateral wall and apex).
pub const MENISCUS_FACTOR: (f64, f64) = (0.4, 1.2);
/// See [`MENISCUS_FACTOR`].
pub const MENISCUS_LAMBDA_MM: (f64, f64) = (10.0, 25.0);
/// Half-thickness of the visceral pleural line as drawn, mm (the pleura
/// is ~0.1-0.2 mm; with the subpleural interstitium it shows as a
/// sub-millimetre line: Fraser & Paré, Diagnosis of Diseases of the
/// Chest).
pub const PLEURA_HALF_MM: (f64, f64) = (0.12, 0.25);

/// Request for a pneumothorax; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PneumothoraxSpec {
    /// Side.
    #[serde(default)]
    pub side: Option<Side>,
    /// Size as a percentage of the (scanned) hemithorax volume.
    #[serde(default)]
    pub hemithorax_percent: Option<f64>,
}

/// A placed pneumothorax.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pneumothorax {
    /// The air's level and meniscus.
    pub layer: Layer,
    /// True volume, mm^3.
    pub volume_mm3: f64,
    /// Volume of the hemithorax (lung and air) in the scanned range, mm^3.
    pub hemithorax_mm3: f64,
    /// Largest interpleural distance, mm.
    pub max_rim: f64,
    /// Largest interpleural distance at the hilar level, mm.
    pub hilum_rim: f64,
    /// Half-thickness of the visceral pleural line, mm.
    pub pleura_half: f64,
    /// The costal pleura.
    pub wall: Wall,
    bbox: Aabb,
}

impl Pneumothorax {
    /// Places a pneumothorax.
    pub fn place(
        spec: &PneumothoraxSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<Pneumothorax, PhantomError> {
        let side = spec.side.unwrap_or_else(|| Side::draw(r));
        let pct = spec
            .hemithorax_percent
            .unwrap_or_else(|| rng::uniform(r, PERCENT_RANGE.0.ln(), PERCENT_RANGE.1.ln()).exp());
        if !(0.1..=90.0).contains(&pct) {
            return Err(PhantomError::Params(format!(
                "pneumothorax of {pct} % of the hemithorax outside 0.1-90"
            )));
        }
        let men = rng::uniform(r, MENISCUS_FACTOR.0, MENISCUS_FACTOR.1);
        let lambda = rng::uniform(r, MENISCUS_LAMBDA_MM.0, MENISCUS_LAMBDA_MM.1);
        let pleura_half = rng::uniform(r, PLEURA_HALF_MM.0, PLEURA_HALF_MM.1);
        let samples = pleura::lung_samples(model, side);
        if samples.points.len() < 100 {
            return Err(PhantomError::Placement(format!(
                "no {} lung in the scanned range for a pneumothorax",
                side.name()
            )));
        }
        let front = samples
            .points
            .iter()
            .map(|p| p[1])
            .fold(f64::INFINITY, f64::min);
        let bb = samples.bbox();
        let layer_for = |h: f64| Layer {
            side,
            dependent: false,
            w0: bb.min[2],
            dw: bb.max[2] - bb.min[2],
            level: vec![front + h; 2],
            meniscus: vec![men * h + 2.0; 2],
            lambda,
        };
        let count = |layer: &Layer| -> usize {
            samples
                .points
                .iter()
                .zip(&samples.wall)
                .filter(|(p, wl)| layer.sdf(**p, **wl) < 0.0)
                .count()
        };
        let target = pct / 100.0 * samples.points.len() as f64;
        let (mut lo, mut hi) = (-10.0f64, 300.0f64);
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            if (count(&layer_for(mid)) as f64) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let layer = layer_for(0.5 * (lo + hi));
        let inside: Vec<bool> = samples
            .points
            .iter()
            .zip(&samples.wall)
            .map(|(p, wl)| layer.sdf(*p, *wl) < 0.0)
            .collect();
        let n_in = inside.iter().filter(|x| **x).count();
        if n_in == 0 {
            return Err(PhantomError::Placement("pneumothorax holds no air".into()));
        }
        let carina = model.landmarks.carina;
        let (max_rim, per_level) =
            pleura::column_thickness(samples, &inside, 4.0, &Wall::of(model));
        let hilum_rim = per_level
            .iter()
            .filter(|(w, _)| *w >= carina + HILUM_BAND_MM.0 && *w <= carina + HILUM_BAND_MM.1)
            .map(|x| x.1)
            .fold(0.0, f64::max);
        let mut bbox = bb.expand(2.0);
        if side.sign() < 0.0 {
            bbox.max[0] = bbox.max[0].min(0.0);
        } else {
            bbox.min[0] = bbox.min[0].max(0.0);
        }
        Ok(Pneumothorax {
            layer,
            volume_mm3: n_in as f64 * samples.cell(),
            hemithorax_mm3: samples.points.len() as f64 * samples.cell(),
            max_rim,
            hilum_rim,
            pleura_half,
            wall: Wall::of(model),
            bbox,
        })
    }

    /// Volume, mL.
    pub fn volume_ml(&self) -> f64 {
        self.volume_mm3 / 1000.0
    }

    /// Percentage of the hemithorax.
    pub fn percent(&self) -> f64 {
        100.0 * self.volume_mm3 / self.hemithorax_mm3.max(1.0)
    }

    /// Large by the BTS rule (rim above 2 cm at the hilum).
    pub fn is_large(&self) -> bool {
        self.hilum_rim > LARGE_RIM_MM
    }
}

impl Lesion for Pneumothorax {
    fn code(&self) -> &'static str {
        "F15"
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
        let (lev, m) = self.layer.at(w);
        let px = c.grid.px;
        let s = self.layer.side.sign();
        let t = c.tissue;
        let air = t.air as f32;
        let line = t.soft_tissue as f32;
        // The lung keeps its mass in a smaller volume.
        let phi = (self.volume_mm3 / self.hemithorax_mm3.max(1.0)).clamp(0.0, 0.8);
        let dens = (1.0 / (1.0 - phi)) as f32;
        let nx = c.grid.nx;
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                let i = y * nx + x;
                let (u, v) = (c.grid.u[i] as f64, c.grid.v[i] as f64);
                if u * s <= 0.0 {
                    continue;
                }
                let l = c.label[i];
                let lung = pleura::lungish(l, label);
                if self.layer.far(v, lev, m, 3.0) {
                    if labels::is_lobe(l) {
                        c.value[i] = air + (c.value[i] - air) * dens;
                    }
                    continue;
                }
                let p = [u, v, w];
                let d = self.layer.sdf_with(v, self.wall.distance(p), lev, m);
                let a = (0.5 - d / px).clamp(0.0, 1.0) as f32;
                if lung {
                    if labels::is_lobe(l) && d > 0.0 {
                        c.value[i] = air + (c.value[i] - air) * dens;
                    }
                    if d > -px {
                        let h = self.pleura_half;
                        let lc = band_coverage(d - h, h, px) as f32;
                        c.value[i] += lc * (line - c.value[i]);
                    }
                    if a > 0.0 {
                        c.value[i] += a * (air - c.value[i]);
                    }
                    if d < 0.0 {
                        c.label[i] = label;
                    }
                } else if a > 0.0 && pleura::touches_lung(c, i, label) {
                    let lv = self.wall.lung_estimate(t, v, w);
                    let f = pleura::lung_fraction(c.value[i], l, t, lv);
                    c.value[i] += a * f * (air - lv);
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F15");
        f.site = aisu::Site {
            side: Some(self.layer.side.name().to_string()),
            ..Default::default()
        };
        f.measurements = vec![
            aisu::Measurement::new("volume", (self.volume_ml() * 10.0).round() / 10.0, "mL"),
            aisu::Measurement::new(
                "hemithorax_percent",
                (self.percent() * 10.0).round() / 10.0,
                "%",
            ),
            aisu::Measurement::new("max_rim", (self.max_rim * 10.0).round() / 10.0, "mm"),
        ];
        let large = self.is_large();
        f.category = Some(aisu::Category {
            system: "BTS 2010".into(),
            value: if large { "large" } else { "small" }.into(),
            context: ctx.context,
        });
        f.morphology = vec!["non-dependent".into(), "visceral pleural line".into()];
        // FINDINGS.md: large or new -> tier 1. The phantom has no prior,
        // so a small one is flagged tier 2 (hours) rather than claimed new.
        f.urgency = if large {
            aisu::Urgency::Tier1
        } else {
            aisu::Urgency::Tier2
        };
        // A few millilitres of anterior air need thin slices to be seen.
        f.assessable = self.volume_ml() >= 5.0 || (ctx.slice_mm <= 2.5 && self.volume_ml() >= 1.0);
        f.extra.insert(
            "rim_at_hilum_mm".into(),
            serde_json::json!((self.hilum_rim * 10.0).round() / 10.0),
        );
        f.extra.insert(
            "true_volume_mm3".into(),
            serde_json::json!(self.volume_mm3.round()),
        );
        f
    }

    fn describe(&self) -> String {
        format!(
            "F15 {} pneumothorax {:.0} mL ({:.1} % of the hemithorax), rim {:.0} mm, hilum {:.0} mm",
            self.layer.side.name(),
            self.volume_ml(),
            self.percent(),
            self.max_rim,
            self.hilum_rim
        )
    }
}
