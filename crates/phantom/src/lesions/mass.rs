//! F03 lung mass (over 30 mm): a large lobulated, spiculated or round
//! soft-tissue lesion (outline from the F01 machinery,
//! [`Nodule::shaped`]), sometimes with a necrotic low-attenuation
//! centre. Placements: within the lung (clipped where it reaches the
//! pleura), against the chest wall (broad pleural contact), against the
//! mediastinum or hilum with the lung wrapping round it (perihilar), or
//! inside
//! the compressed, atelectatic lower lobe under a pleural effusion: then
//! the request brings its own F14 effusion ([`with_companions`]), which
//! is painted first, and the mass is clipped by the fluid; on
//! non-contrast CT it is barely distinct from the atelectasis, which is
//! exactly the reading problem FINDINGS.md names.
//!
//! Ground truth from the object model: volume and axes by integration of
//! the clipped shape, mean HU as the volume-weighted drawn attenuation.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::prims::Ellipsoid;
use crate::geom::{Aabb, V3, normalize, sub};
use crate::labels::{self, Label};
use crate::lesions::effusion::{Effusion, EffusionSpec};
use crate::lesions::nodule::{
    Nodule, NoduleShape, NoduleVariant, lobe_label, lobe_name, random_dir,
};
use crate::lesions::pleura::{self, Side, Wall};
use crate::lesions::{FindingContext, Lesion, LesionSpec};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Drawn diameter, mm (log-uniform): above the 30 mm mass threshold up
/// to T3/T4 sizes (IASLC 8th edition: T2 3-5 cm, T3 5-7 cm, T4 > 7 cm).
pub const DIAMETER_MM: (f64, f64) = (32.0, 75.0);
/// Diameter range of a mass placed in atelectasis, mm (it must sit in
/// the compressed band).
pub const ATELECTASIS_DIAMETER_MM: (f64, f64) = (31.0, 50.0);
/// Non-contrast attenuation of a solid tumour, HU (lung cancers measure
/// ~25-50 HU before contrast: Swensen et al., Radiology 2000).
pub const MASS_HU: (f64, f64) = (25.0, 50.0);
/// Necrotic centre attenuation, HU (near fluid).
pub const NECROSIS_HU: (f64, f64) = (5.0, 25.0);
/// Share of masses over 40 mm with central necrosis (common in large
/// squamous carcinomas; convention).
pub const NECROSIS_SHARE: f64 = 0.35;
/// Semi-axes of the outline as factors of the nominal radius (masses
/// are mildly elongated; convention shared with F01).
pub const AXIS_FACTORS: [(f64, f64); 3] = [(1.0, 1.12), (0.85, 1.0), (0.75, 0.95)];
/// Necrotic centre size as a fraction of the mass's semi-axes
/// (convention).
pub const NECROSIS_FRACTION: (f64, f64) = (0.3, 0.5);
/// Effusion volume brought by a mass in atelectasis, mL (a moderate to
/// large effusion collapses the lower lobe).
pub const COMPANION_EFFUSION_ML: (f64, f64) = (500.0, 1200.0);
/// Compressive atelectasis thickness under that effusion, mm.
pub const COMPANION_ATELECTASIS_MM: (f64, f64) = (24.0, 38.0);

/// Shares of the placements parenchymal, juxtapleural, perihilar and in
/// atelectasis (central cancers are about a quarter of lung cancers;
/// convention).
pub const VARIANT_WEIGHTS: [f64; 4] = [0.4, 0.25, 0.15, 0.2];
/// A perihilar mass's centre lies this far from the mediastinal
/// structures, as shares of its radius: in contact over a neck narrow
/// enough for the lung to wrap round the rest (convention).
pub const PERIHILAR_DEPTH: (f64, f64) = (0.6, 0.85);

/// Where the mass sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MassVariant {
    /// Within the lung (clipped where it reaches the pleura).
    Parenchymal,
    /// Broad contact with the costal pleura.
    Juxtapleural,
    /// Against the mediastinum or the hilum, the lung wrapping round the
    /// rest of it (a central cancer, Lung-PET-CT-Dx A0002's kind):
    /// clipped flat where it meets the mediastinal structures.
    Perihilar,
    /// Inside atelectatic lung under a pleural effusion.
    InAtelectasis,
}

/// Request for a lung mass; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MassSpec {
    /// Nominal diameter, mm (30-100).
    #[serde(default)]
    pub diameter_mm: Option<f64>,
    /// Placement.
    #[serde(default)]
    pub variant: Option<MassVariant>,
    /// Margin.
    #[serde(default)]
    pub shape: Option<NoduleShape>,
    /// Lobe (not for `in_atelectasis`, which takes the lower lobe).
    #[serde(default)]
    pub lobe: Option<String>,
    /// Side (for `in_atelectasis`).
    #[serde(default)]
    pub side: Option<Side>,
    /// Attenuation, HU.
    #[serde(default)]
    pub hu: Option<f64>,
    /// Central necrosis.
    #[serde(default)]
    pub necrosis: Option<bool>,
    /// The effusion of an `in_atelectasis` mass (filled in by
    /// [`with_companions`]).
    #[serde(default)]
    pub effusion: Option<EffusionSpec>,
}

/// The lesions one mass request stands for: a mass in atelectasis comes
/// with its effusion (placed first), both sharing the drawn side and the
/// effusion's salt so the mass can rebuild it.
pub fn with_companions(spec: &MassSpec, r: &mut PhantomRng) -> Vec<LesionSpec> {
    let variant = spec.variant.unwrap_or_else(|| {
        [
            MassVariant::Parenchymal,
            MassVariant::Juxtapleural,
            MassVariant::Perihilar,
            MassVariant::InAtelectasis,
        ][rng::weighted(r, &VARIANT_WEIGHTS)]
    });
    let mut m = spec.clone();
    m.variant = Some(variant);
    if variant != MassVariant::InAtelectasis {
        return vec![LesionSpec::Mass(m)];
    }
    let side = spec.side.unwrap_or_else(|| Side::draw(r));
    let mut e = spec.effusion.clone().unwrap_or_default();
    e.side = Some(side);
    if e.volume_ml.is_none() {
        e.volume_ml =
            Some(rng::uniform(r, COMPANION_EFFUSION_ML.0, COMPANION_EFFUSION_ML.1).round());
    }
    if e.atelectasis_mm.is_none() {
        e.atelectasis_mm = Some(rng::uniform(
            r,
            COMPANION_ATELECTASIS_MM.0,
            COMPANION_ATELECTASIS_MM.1,
        ));
    }
    if e.salt.is_none() {
        e.salt = Some(rng::uniform(r, 0.0, 1.0e12) as u64);
    }
    m.side = Some(side);
    m.effusion = Some(e.clone());
    vec![LesionSpec::Effusion(e), LesionSpec::Mass(m)]
}

/// A placed mass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mass {
    /// Outline, placement, measured axes and volume.
    pub outline: Nodule,
    /// Placement.
    pub variant: MassVariant,
    /// Necrotic centre.
    pub necrosis: Option<Ellipsoid>,
    /// Necrosis HU.
    pub necrosis_hu: f64,
    /// The effusion it lies under (in atelectasis).
    pub effusion: Option<Effusion>,
    /// The costal pleura (for edge pixels).
    pub wall: Wall,
}

impl Mass {
    /// Places a mass.
    pub fn place(
        spec: &MassSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<Mass, PhantomError> {
        let variant = spec.variant.unwrap_or(MassVariant::Parenchymal);
        let effusion = match (variant, &spec.effusion) {
            (MassVariant::InAtelectasis, Some(e)) => Some(Effusion::place(e, model, r)?),
            (MassVariant::InAtelectasis, None) => {
                return Err(PhantomError::Params(
                    "a mass in atelectasis needs its effusion (use with_companions)".into(),
                ));
            }
            _ => None,
        };
        let range = if effusion.is_some() {
            ATELECTASIS_DIAMETER_MM
        } else {
            DIAMETER_MM
        };
        let d = spec
            .diameter_mm
            .unwrap_or_else(|| rng::uniform(r, range.0.ln(), range.1.ln()).exp());
        if !(30.0..=100.0).contains(&d) {
            return Err(PhantomError::Params(format!(
                "mass diameter {d} mm outside 30-100"
            )));
        }
        let shape = spec.shape.unwrap_or_else(|| {
            [
                NoduleShape::Round,
                NoduleShape::Lobulated,
                NoduleShape::Spiculated,
            ][rng::weighted(r, &[0.2, 0.5, 0.3])]
        });
        let want_lobe = match &spec.lobe {
            Some(n) => Some(
                lobe_label(n).ok_or_else(|| PhantomError::Params(format!("unknown lobe {n:?}")))?,
            ),
            None => None,
        };
        let hu = spec
            .hu
            .unwrap_or_else(|| rng::uniform(r, MASS_HU.0, MASS_HU.1).round());
        let rad = 0.5 * d;
        let radii = AXIS_FACTORS.map(|(lo, hi)| rad * rng::uniform(r, lo, hi));
        let centre = match &effusion {
            Some(e) => centre_in_atelectasis(model, e, rad, r)?,
            None => centre_in_lung(model, variant, want_lobe, rad, r)?,
        };
        let nv = if variant == MassVariant::Juxtapleural {
            NoduleVariant::Juxtapleural
        } else {
            NoduleVariant::Intraparenchymal
        };
        let mut outline = Nodule::shaped(model, centre, rad, radii, shape, nv, hu, r);
        if let Some(e) = &effusion {
            outline.clipped = true;
            outline.measure_clipped(model, &|p| e.sdf(p) >= 0.0);
        }
        let necrotic = spec
            .necrosis
            .unwrap_or_else(|| d > 40.0 && rng::chance(r, NECROSIS_SHARE));
        let necrosis = necrotic.then(|| {
            let f = rng::uniform(r, NECROSIS_FRACTION.0, NECROSIS_FRACTION.1);
            Ellipsoid::oriented(
                outline.body.c,
                random_dir(r),
                random_dir(r),
                [radii[0] * f, radii[1] * f, radii[2] * f],
            )
        });
        let necrosis_hu = rng::uniform(r, NECROSIS_HU.0, NECROSIS_HU.1).round();
        Ok(Mass {
            outline,
            variant,
            necrosis,
            necrosis_hu,
            effusion,
            wall: Wall::of(model),
        })
    }

    /// Volume-weighted mean HU.
    pub fn mean_hu(&self) -> f64 {
        let v = self.outline.volume_mm3.max(1e-9);
        let vn = self
            .necrosis
            .as_ref()
            .map_or(0.0, |e| e.volume().min(0.9 * v));
        ((v - vn) * self.outline.hu + vn * self.necrosis_hu) / v
    }
}

/// A centre in the lung for a mass of radius `rad`.
fn centre_in_lung(
    model: &PhantomModel,
    variant: MassVariant,
    lobe: Option<Label>,
    rad: f64,
    r: &mut PhantomRng,
) -> Result<V3, PhantomError> {
    let lm = &model.landmarks;
    let s = lm.size;
    let (w_lo, w_hi) = (model.scan_w[0] + 0.5 * rad, model.scan_w[1] - 0.5 * rad);
    for attempt in 0..8000 {
        // Relax the depth asked for as attempts fail (small lungs).
        let relax = 1.0 - 0.5 * (attempt as f64 / 8000.0);
        let p = [
            rng::uniform(r, -140.0, 140.0) * s,
            rng::uniform(r, -90.0, 110.0) * s,
            rng::uniform(r, lm.recess.max(w_lo), (lm.apex - 15.0).min(w_hi)),
        ];
        if lobe.is_some_and(|l| model.lobe_at(p) != Some(l)) {
            continue;
        }
        let d = model.lung_sdf(p);
        let ok = match variant {
            MassVariant::Juxtapleural => {
                let wall = Wall::of(model).distance(p);
                (-0.8 * rad..-0.5 * rad).contains(&wall)
                    && d < -0.3 * rad
                    && model.envelope().sdf(p) > 0.8 * rad
            }
            MassVariant::Perihilar => {
                let mediastinum = model.envelope().sdf(p);
                (PERIHILAR_DEPTH.0 * rad..PERIHILAR_DEPTH.1 * rad).contains(&mediastinum)
                    && d < -0.5 * rad
                    && Wall::of(model).distance(p) < -1.3 * rad
            }
            _ => d < -0.85 * rad * relax && model.envelope().sdf(p) > 0.5 * rad,
        };
        if ok {
            return Ok(p);
        }
    }
    Err(PhantomError::Placement(format!(
        "no place found for a {variant:?} mass of {:.0} mm",
        2.0 * rad
    )))
}

/// A centre in the compressed lung next to the effusion `e`.
fn centre_in_atelectasis(
    model: &PhantomModel,
    e: &Effusion,
    rad: f64,
    r: &mut PhantomRng,
) -> Result<V3, PhantomError> {
    let bb = e.bbox();
    let lower = if e.layer.side == Side::Right {
        labels::LOBE_RLL
    } else {
        labels::LOBE_LLL
    };
    for _ in 0..8000 {
        let p = [
            rng::uniform(r, bb.min[0], bb.max[0]),
            rng::uniform(r, bb.min[1], bb.max[1]),
            rng::uniform(r, bb.min[2], bb.max[2].min(model.landmarks.carina)),
        ];
        if p[2] < model.scan_w[0] + 0.5 * rad {
            continue;
        }
        let t = e.atelectasis_at(p[2]);
        let d = e.sdf(p);
        if !(d > 0.3 * t && d < 0.8 * t && t > 0.5 * rad) {
            continue;
        }
        if model.lobe_at(p) != Some(lower) || model.envelope().sdf(p) < 0.4 * rad {
            continue;
        }
        return Ok(p);
    }
    Err(PhantomError::Placement(format!(
        "no atelectatic lung found for a mass of {:.0} mm",
        2.0 * rad
    )))
}

impl Lesion for Mass {
    fn code(&self) -> &'static str {
        "F03"
    }

    fn bbox(&self) -> Aabb {
        self.outline.bbox()
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let w = c.w;
        let bb = self.outline.bbox();
        if !bb.spans_w(w) {
            return;
        }
        let Some(rect) = c.grid.rect_of(&bb) else {
            return;
        };
        let px = c.grid.px;
        let h = c.h;
        let tex = c.texture;
        let t = c.tissue;
        let soft = t.soft_texture as f32;
        let ctr = self.outline.body.c;
        let hu = self.outline.hu as f32;
        let nx = c.grid.nx;
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                let i = y * nx + x;
                let l = c.label[i];
                let lung = labels::is_lobe(l)
                    || l == labels::VESSELS
                    || l == labels::BRONCHI
                    || l == label;
                if !lung && !pleura::touches_lung(c, i, label) {
                    continue;
                }
                let p = [c.grid.u[i] as f64, c.grid.v[i] as f64, w];
                let d = self.outline.sdf(p);
                if d > px + h {
                    continue;
                }
                let n = normalize(sub(p, ctr));
                let fp = px * (n[0].abs() + n[1].abs()).max(0.7) + h * n[2].abs();
                let a = (0.5 - d / fp).clamp(0.0, 1.0) as f32;
                if a <= 0.0 {
                    continue;
                }
                let mut val = hu + soft * tex.at(p, 1.5);
                if let Some(nc) = &self.necrosis {
                    // Necrosis fades into the viable rim over ~2 mm.
                    let k = (0.5 - nc.sdf(p) / 2.0).clamp(0.0, 1.0) as f32;
                    val += k * (self.necrosis_hu as f32 - hu);
                }
                if lung {
                    c.value[i] += a * (val - c.value[i]);
                    if d < 0.0 {
                        c.label[i] = label;
                    }
                } else {
                    // A wall pixel partly filled with lung: the mass takes
                    // the lung's share (no dark rim at the pleura).
                    let lv = self.wall.lung_estimate(t, p[1], w);
                    let f = pleura::lung_fraction(c.value[i], l, t, lv);
                    c.value[i] += a * f * (val - lv);
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = self.outline.finding(ctx);
        f.code = "F03".into();
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        let o = &self.outline;
        f.measurements = vec![
            aisu::Measurement::new("long_axis", round1(o.long_axis), "mm"),
            aisu::Measurement::new("short_axis", round1(o.short_axis), "mm"),
            aisu::Measurement::new("max_diameter", round1(o.long_axis), "mm"),
            aisu::Measurement::new("volume", (o.volume_mm3 / 10.0).round() / 100.0, "mL"),
            aisu::Measurement::new("mean_hu", self.mean_hu().round(), "HU"),
        ];
        let mut morph: Vec<String> = f.morphology.iter().take(2).cloned().collect();
        match self.variant {
            MassVariant::Juxtapleural => morph.push("juxtapleural".into()),
            MassVariant::InAtelectasis => morph.push("within atelectasis".into()),
            MassVariant::Parenchymal | MassVariant::Perihilar => {}
        }
        if self.necrosis.is_some() {
            morph.push("central necrosis".into());
        }
        f.morphology = morph;
        // Lung-RADS v2022: 4B, or 4X with additional suspicious features
        // (spiculation), when screening on thin slices; always actionable.
        f.category =
            (ctx.context == aisu::ExamContext::Screening && ctx.slice_mm <= 2.5).then(|| {
                aisu::Category {
                    system: "Lung-RADS v2022".into(),
                    value: if o.shape == NoduleShape::Spiculated {
                        "4X"
                    } else {
                        "4B"
                    }
                    .into(),
                    context: aisu::ExamContext::Screening,
                }
            });
        f.urgency = aisu::Urgency::Tier3;
        f.assessable = true;
        f.extra.insert(
            "mass_variant".into(),
            serde_json::to_value(self.variant).unwrap_or_default(),
        );
        f
    }

    fn describe(&self) -> String {
        format!(
            "F03 {:?} {:?} mass {:.0} mm in {}, {} HU{}",
            self.outline.shape,
            self.variant,
            self.outline.long_axis,
            lobe_name(self.outline.lobe),
            self.outline.hu,
            if self.necrosis.is_some() {
                ", necrotic centre"
            } else {
                ""
            }
        )
    }
}
