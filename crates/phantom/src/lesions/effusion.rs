//! F14 pleural effusion (and haemothorax): free fluid in the dependent
//! (posterior, supine) pleural space of one side. The fluid lies below a
//! gravity level that follows the posterior chest wall, is deepest in the
//! posterior costophrenic recess and thins upwards, and climbs along the
//! costal pleura in a meniscus, so an axial image shows the usual
//! dependent crescent with a concave anterior margin. The adjacent lung
//! is compressed: a band of passive (compressive) atelectasis, thicker
//! where the fluid is deeper, with air bronchograms where bronchi cross
//! it. The atelectasis keeps its lobe labels (it is not a separate
//! finding); its volume is reported as an extra field.
//!
//! Ground truth from the object model: the volume is the fluid region
//! integrated over jittered samples of the lung; depth and the
//! anteroposterior quartile (Moy et al., AJR 2013) come from the same
//! samples column by column; the HU is the drawn fluid value.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::geom::{Aabb, V3, smoothstep};
use crate::labels::Label;
use crate::lesions::pleura::{self, Layer, LungSamples, Side, Wall};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Drawn effusion volume range, mL (log-uniform). Clinically reported
/// CT effusions run from a few tens of mL to about 2 L in one hemithorax
/// (Moy et al., AJR 2013, AP-quartile categories against CT volumetry;
/// Hazlinger et al., Eur J Radiol 2014).
pub const VOLUME_ML: (f64, f64) = (40.0, 1800.0);
/// Serous (transudate or exudate) pleural fluid, HU (Abramowitz et al.,
/// Chest 2009: transudates and exudates overlap at 0-20 HU).
pub const SEROUS_HU: (f64, f64) = (0.0, 20.0);
/// Haemothorax, HU (fresh to clotted blood 35-70 HU; FINDINGS.md flags
/// fluid above 30 HU as possible haemothorax).
pub const HAEMO_HU: (f64, f64) = (35.0, 60.0);
/// Share of drawn effusions that are haemothoraces (convention of the
/// phantom, enough to exercise the >30 HU rule).
pub const HAEMO_SHARE: f64 = 0.15;
/// Compressed (atelectatic) lung next to an effusion, non-contrast HU
/// (airless lung ~20-50 HU before contrast; e.g. Edwards et al.,
/// Radiographics 2016, non-enhanced atelectasis near soft tissue).
pub const ATELECTASIS_HU: (f64, f64) = (18.0, 45.0);
/// Thickness of the compressive atelectasis band as a fraction of the
/// local fluid depth (passive atelectasis grows with effusion size;
/// convention fitted to typical CT appearance).
pub const ATELECTASIS_RATIO: (f64, f64) = (0.12, 0.4);
/// Upward extent of the fluid above the dome, mm per mm of basal depth
/// (large effusions reach the apex posteriorly, thinning upwards;
/// convention), at most the dome-to-apex height.
pub const HEIGHT_PER_DEPTH: (f64, f64) = (2.5, 5.0);
/// Largest share of the hemithorax's lung the fluid may take (beyond it
/// the whole lung would collapse: a massive effusion, not modelled).
pub const MAX_LUNG_SHARE: f64 = 0.45;
/// Meniscus height as a fraction of the local depth, and its decay
/// length away from the costal pleura, mm (convention: the fluid rims
/// the lateral wall for a few centimetres).
pub const MENISCUS_FRACTION: (f64, f64) = (0.3, 0.8);
/// See [`MENISCUS_FRACTION`].
pub const MENISCUS_LAMBDA_MM: (f64, f64) = (6.0, 14.0);
/// Moy et al. 2013 AP quartile above which an effusion is large.
pub const LARGE_QUARTILE: u32 = 3;
/// Fluid HU above which haemothorax is suspected (FINDINGS.md F14).
pub const HAEMOTHORAX_FLAG_HU: f64 = 30.0;
/// Height bins of the level table, mm.
const TABLE_MM: f64 = 4.0;

/// Request for a pleural effusion; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EffusionSpec {
    /// Side.
    #[serde(default)]
    pub side: Option<Side>,
    /// Fluid volume, mL (at most [`MAX_LUNG_SHARE`] of that side's lung;
    /// the stated truth is the volume placed).
    #[serde(default)]
    pub volume_ml: Option<f64>,
    /// Fluid attenuation, HU (above 30: haemothorax).
    #[serde(default)]
    pub hu: Option<f64>,
    /// Thickness of the compressive atelectasis at the deepest fluid, mm.
    #[serde(default)]
    pub atelectasis_mm: Option<f64>,
    /// When set, every drawn value comes from a stream of its own keyed
    /// by this number, so another lesion (a mass in the atelectasis) can
    /// rebuild the same effusion.
    #[serde(default)]
    pub salt: Option<u64>,
}

/// A placed effusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effusion {
    /// The fluid's level and meniscus.
    pub layer: Layer,
    /// Compressive atelectasis thickness per `layer` table entry, mm.
    pub atelectasis: Vec<f64>,
    /// Fluid HU.
    pub hu: f64,
    /// Atelectasis HU.
    pub atelectasis_hu: f64,
    /// Fluid depth at the base, mm (the level parameter).
    pub basal_depth: f64,
    /// True volume, mm^3.
    pub volume_mm3: f64,
    /// Volume of the compressed lung band, mm^3.
    pub atelectasis_mm3: f64,
    /// Largest anteroposterior fluid thickness, mm.
    pub max_depth: f64,
    /// Largest ratio of fluid thickness to lung depth in a column.
    pub ap_ratio: f64,
    /// The costal pleura.
    pub wall: Wall,
    bbox: Aabb,
}

/// Sample index arithmetic of a `w` table.
fn table_index(w0: f64, w: f64) -> usize {
    ((w - w0) / TABLE_MM).round().max(0.0) as usize
}

impl Effusion {
    /// Places an effusion.
    pub fn place(
        spec: &EffusionSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<Effusion, PhantomError> {
        let mut own;
        let r = match spec.salt {
            Some(s) => {
                own = rng::stream_indexed(model.params.seed, "effusion", s);
                &mut own
            }
            None => r,
        };
        let side = spec.side.unwrap_or_else(|| Side::draw(r));
        let volume_ml = spec
            .volume_ml
            .unwrap_or_else(|| rng::uniform(r, VOLUME_ML.0.ln(), VOLUME_ML.1.ln()).exp());
        if !(1.0..=4000.0).contains(&volume_ml) {
            return Err(PhantomError::Params(format!(
                "effusion volume {volume_ml} mL outside 1-4000"
            )));
        }
        let hu = spec.hu.unwrap_or_else(|| {
            if rng::chance(r, HAEMO_SHARE) {
                rng::uniform(r, HAEMO_HU.0, HAEMO_HU.1).round()
            } else {
                rng::uniform(r, SEROUS_HU.0, SEROUS_HU.1).round()
            }
        });
        let atel_ratio = rng::uniform(r, ATELECTASIS_RATIO.0, ATELECTASIS_RATIO.1);
        let height_k = rng::uniform(r, HEIGHT_PER_DEPTH.0, HEIGHT_PER_DEPTH.1);
        let men_f = rng::uniform(r, MENISCUS_FRACTION.0, MENISCUS_FRACTION.1);
        let lambda = rng::uniform(r, MENISCUS_LAMBDA_MM.0, MENISCUS_LAMBDA_MM.1);
        let atelectasis_hu = rng::uniform(r, ATELECTASIS_HU.0, ATELECTASIS_HU.1).round();
        let samples = pleura::lung_samples(model, side);
        if samples.points.len() < 100 {
            return Err(PhantomError::Placement(format!(
                "no {} lung in the scanned range for an effusion",
                side.name()
            )));
        }
        // Most dependent lung per height: the back the fluid lies on.
        let bb = samples.bbox();
        let w0 = bb.min[2];
        let n = table_index(w0, bb.max[2]) + 1;
        let mut back = vec![f64::NEG_INFINITY; n];
        for p in &samples.points {
            let k = table_index(w0, p[2]).min(n - 1);
            back[k] = back[k].max(p[1]);
        }
        fill_and_smooth(&mut back);
        let w_base = model.lungs.domes[side.index()].peak[2];
        let reach = (model.landmarks.apex - w_base).max(60.0);
        let depth_at = |d0: f64, w: f64| -> f64 {
            if w <= w_base {
                d0
            } else {
                d0 * (1.0 - (w - w_base) / (height_k * d0 + 30.0).min(reach))
                    .max(0.0)
                    .powf(0.8)
            }
        };
        let layer_for = |d0: f64| -> Layer {
            let ws: Vec<f64> = (0..n).map(|k| w0 + k as f64 * TABLE_MM).collect();
            Layer {
                side,
                dependent: true,
                w0,
                dw: TABLE_MM,
                level: ws
                    .iter()
                    .zip(&back)
                    .map(|(w, b)| b - depth_at(d0, *w))
                    .collect(),
                meniscus: ws.iter().map(|w| men_f * depth_at(d0, *w)).collect(),
                lambda,
            }
        };
        let count = |layer: &Layer| -> usize {
            samples
                .points
                .iter()
                .zip(&samples.wall)
                .filter(|(p, wl)| layer.sdf(**p, **wl) < 0.0)
                .count()
        };
        let target =
            (volume_ml * 1000.0 / samples.cell()).min(MAX_LUNG_SHARE * samples.points.len() as f64);
        let (mut lo, mut hi) = (0.5f64, 250.0f64);
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            if (count(&layer_for(mid)) as f64) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let d0 = 0.5 * (lo + hi);
        let layer = layer_for(d0);
        let atel_max = spec.atelectasis_mm.unwrap_or(atel_ratio * d0).max(1.0);
        let atelectasis: Vec<f64> = (0..n)
            .map(|k| atel_max * depth_at(d0, w0 + k as f64 * TABLE_MM) / d0)
            .collect();
        let mut e = Effusion {
            layer,
            atelectasis,
            hu,
            atelectasis_hu,
            basal_depth: d0,
            volume_mm3: 0.0,
            atelectasis_mm3: 0.0,
            max_depth: 0.0,
            ap_ratio: 0.0,
            wall: Wall::of(model),
            bbox: Aabb::EMPTY,
        };
        e.measure(samples);
        if e.volume_mm3 <= 0.0 {
            return Err(PhantomError::Placement("effusion holds no fluid".into()));
        }
        Ok(e)
    }

    /// Volume, thickness and quartile from the lung samples; the box.
    fn measure(&mut self, samples: &LungSamples) {
        let mut inside = Vec::with_capacity(samples.points.len());
        let (mut nin, mut natel) = (0usize, 0usize);
        let mut b = Aabb::EMPTY;
        for (p, wl) in samples.points.iter().zip(&samples.wall) {
            let d = self.layer.sdf(*p, *wl);
            let fluid = d < 0.0;
            inside.push(fluid);
            if fluid {
                nin += 1;
                b.include(*p);
            } else if d < self.atelectasis_at(p[2]) {
                natel += 1;
                b.include(*p);
            }
        }
        self.volume_mm3 = nin as f64 * samples.cell();
        self.atelectasis_mm3 = natel as f64 * samples.cell();
        // Moy et al. 2013: the effusion's anteroposterior extent against
        // the hemithorax's at the same axial level, at the worst level.
        let (t, per_level) = pleura::column_thickness(samples, &inside, 4.0, &self.wall);
        self.max_depth = t;
        self.ap_ratio = per_level
            .iter()
            .map(|(w, th)| (th / pleura::chest_depth(&self.wall, *w)).min(1.0))
            .fold(0.0, f64::max);
        let s = self.layer.side.sign();
        let mut bb = b.expand(samples.step + 4.0);
        // Stay on the lesion's side.
        if s < 0.0 {
            bb.max[0] = bb.max[0].min(0.0);
        } else {
            bb.min[0] = bb.min[0].max(0.0);
        }
        self.bbox = bb;
    }

    /// Compressive atelectasis thickness at height `w`, mm.
    pub fn atelectasis_at(&self, w: f64) -> f64 {
        let t = &self.atelectasis;
        let x = ((w - self.layer.w0) / self.layer.dw).clamp(0.0, (t.len() - 1) as f64);
        let i = (x as usize).min(t.len().saturating_sub(2));
        if t.len() < 2 {
            return t.first().copied().unwrap_or(0.0);
        }
        t[i] + (x - i as f64) * (t[i + 1] - t[i])
    }

    /// Signed distance to the fluid at `p` (negative in the fluid).
    pub fn sdf(&self, p: V3) -> f64 {
        self.layer.sdf(p, self.wall.distance(p))
    }

    /// Volume, mL.
    pub fn volume_ml(&self) -> f64 {
        self.volume_mm3 / 1000.0
    }

    /// Moy et al. 2013 anteroposterior quartile (1-4).
    pub fn ap_quartile(&self) -> u32 {
        ((self.ap_ratio * 4.0).ceil() as u32).clamp(1, 4)
    }
}

/// Fills empty (`-inf`) entries from their neighbours and smooths the
/// table with a running maximum then a running mean over three entries.
pub(crate) fn fill_and_smooth(t: &mut [f64]) {
    let n = t.len();
    let first = t.iter().copied().find(|x| x.is_finite()).unwrap_or(0.0);
    let mut last = first;
    for x in t.iter_mut() {
        if x.is_finite() {
            last = *x;
        } else {
            *x = last;
        }
    }
    let m: Vec<f64> = (0..n)
        .map(|i| t[i.saturating_sub(1)].max(t[i]).max(t[(i + 1).min(n - 1)]))
        .collect();
    for i in 0..n {
        t[i] = (m[i.saturating_sub(1)] + m[i] + m[(i + 1).min(n - 1)]) / 3.0;
    }
}

impl Lesion for Effusion {
    fn code(&self) -> &'static str {
        "F14"
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
        let t_at = self.atelectasis_at(w);
        let px = c.grid.px;
        let fp = px + c.h * self.layer.slope(w).abs().min(1.0) * 0.7;
        let s = self.layer.side.sign();
        let tex = c.texture;
        let soft = c.tissue.soft_texture;
        let t = c.tissue;
        let nx = c.grid.nx;
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                let i = y * nx + x;
                let (u, v) = (c.grid.u[i] as f64, c.grid.v[i] as f64);
                if u * s <= 0.0 || self.layer.far(v, lev, m, t_at + 3.0) {
                    continue;
                }
                let p = [u, v, w];
                let wall = self.wall.distance(p);
                let d = self.layer.sdf_with(v, wall, lev, m);
                let l = c.label[i];
                let a = (0.5 - d / fp).clamp(0.0, 1.0) as f32;
                let fluid = (self.hu + 0.6 * soft * tex.at(p, 3.0) as f64) as f32;
                if pleura::lungish(l, label) {
                    // Compressed lung first, then the fluid over it.
                    if d > -fp && l != crate::labels::BRONCHI {
                        let k =
                            (smoothstep(t_at + 1.5, t_at - 2.0, d) * (t_at / 2.0).min(1.0)) as f32;
                        if k > 0.0 {
                            let atel = (self.atelectasis_hu
                                + 1.5 * soft * tex.at([p[1], p[2], p[0]], 2.0) as f64)
                                as f32;
                            c.value[i] += k * (atel - c.value[i]);
                        }
                    }
                    if a > 0.0 {
                        c.value[i] += a * (fluid - c.value[i]);
                    }
                    if d < 0.0 {
                        c.label[i] = label;
                    }
                } else if a > 0.0 && touches_fluid_side(c, i, label) {
                    let lung = self.wall.lung_estimate(t, v, w);
                    let f = pleura::lung_fraction(c.value[i], l, t, lung);
                    c.value[i] += a * f * (fluid - lung);
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F14");
        f.site = aisu::Site {
            side: Some(self.layer.side.name().to_string()),
            ..Default::default()
        };
        let q = self.ap_quartile();
        f.measurements = vec![
            aisu::Measurement::new("volume", (self.volume_ml() * 10.0).round() / 10.0, "mL"),
            aisu::Measurement::new("ap_quartile", f64::from(q), "1"),
            aisu::Measurement::new("max_depth", self.max_depth.round(), "mm"),
            aisu::Measurement::new("mean_hu", self.hu, "HU"),
        ];
        let size = match q {
            1 => "small",
            2 => "moderate",
            _ => "large",
        };
        f.category = Some(aisu::Category {
            system: "Moy 2013 AP quartile".into(),
            value: size.into(),
            context: ctx.context,
        });
        let haemo = self.hu > HAEMOTHORAX_FLAG_HU;
        let mut morph = vec!["free".to_string(), "dependent".to_string()];
        if haemo {
            morph.push("hyperdense".into());
        }
        f.morphology = morph;
        // FINDINGS.md tier 2: suspected haemothorax, large effusion (the
        // phantom has no prior, so a large effusion counts as new).
        f.urgency = if haemo || q >= LARGE_QUARTILE {
            aisu::Urgency::Tier2
        } else {
            aisu::Urgency::Routine
        };
        // A sliver under ~10 mL is not reliably separable from pleural
        // thickening on thick slices.
        f.assessable = self.volume_ml() >= 10.0 || (ctx.slice_mm <= 2.5 && self.volume_ml() >= 3.0);
        f.extra.insert(
            "true_volume_mm3".into(),
            serde_json::json!(self.volume_mm3.round()),
        );
        f.extra.insert(
            "compressive_atelectasis_ml".into(),
            serde_json::json!((self.atelectasis_mm3 / 100.0).round() / 10.0),
        );
        f.extra.insert(
            "ap_ratio".into(),
            serde_json::json!((self.ap_ratio * 1000.0).round() / 1000.0),
        );
        f
    }

    fn describe(&self) -> String {
        format!(
            "F14 {} pleural effusion {:.0} mL, {} HU, depth {:.0} mm (quartile {})",
            self.layer.side.name(),
            self.volume_ml(),
            self.hu,
            self.max_depth,
            self.ap_quartile()
        )
    }
}

/// True when pixel `i` borders lung or this lesion's fluid.
fn touches_fluid_side(c: &Canvas, i: usize, own: Label) -> bool {
    pleura::touches_lung(c, i, own)
}
