//! F02 subsolid nodule: pure ground-glass (GGN) or part-solid (a
//! ground-glass component with a solid core). The nodule's outline,
//! placement (intraparenchymal, juxtapleural, juxtavascular) and margin
//! (round, lobulated, spiculated) come from the F01 machinery
//! ([`Nodule::shaped`]). Ground glass is painted as partial filling of the
//! air spaces, not as a pasted disc: each lung pixel moves towards soft
//! tissue by a filling fraction, so the underlying parenchymal texture
//! stays visible through it, vessels crossing it keep their density, and
//! the margin fades over a drawn width with a mottled inner texture. The
//! solid core is dense tissue with an ordinary partial-volume edge.
//!
//! Ground truth from the object model: outline axes and volume as F01,
//! the solid core's diameter from its ellipsoid, the mean HU as the
//! volume-weighted drawn attenuation of the two components.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::prims::Ellipsoid;
use crate::geom::{Aabb, add_scaled, normalize, sub};
use crate::labels::{self, Label};
use crate::lesions::nodule::{
    Nodule, NoduleShape, NoduleVariant, find_centre, lobe_label, lobe_name, random_dir,
};
use crate::lesions::pleura::Wall;
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Drawn total diameter, mm (log-uniform): screening GGNs are mostly
/// 5-20 mm, up to 30 mm before they count as masses (Lung-RADS v2022
/// GGN categories at 30 mm).
pub const DIAMETER_MM: (f64, f64) = (6.0, 28.0);
/// Ground-glass attenuation, HU (pure GGNs measure about -750 to -300:
/// Ikeda et al., Chest 2007; Lee et al., Radiology 2013).
pub const GGO_HU: (f64, f64) = (-750.0, -300.0);
/// Solid core attenuation, HU (as solid nodules, non-contrast).
pub const SOLID_HU: (f64, f64) = (10.0, 50.0);
/// Solid core diameter as a fraction of the total (part-solid nodules
/// span small to dominant cores; Lung-RADS cut-offs at 6 and 8 mm).
pub const SOLID_FRACTION: (f64, f64) = (0.2, 0.65);
/// Width of the fading ground-glass margin, mm (ill-defined to fairly
/// sharp margins; convention).
pub const MARGIN_MM: (f64, f64) = (0.4, 2.0);
/// Share of part-solid among drawn subsolid nodules (about 1/3 in
/// screening cohorts: Henschke et al., AJR 2002).
pub const PART_SOLID_SHARE: f64 = 0.4;
/// Semi-axes of the outline as factors of the nominal radius (the same
/// mild ellipticity as F01 nodules; nodules are rarely spherical).
pub const AXIS_FACTORS: [(f64, f64); 3] = [(1.0, 1.12), (0.88, 1.0), (0.75, 0.95)];
/// Semi-axes of the solid core as factors of its radius.
pub const CORE_AXIS_FACTORS: [(f64, f64); 3] = [(1.0, 1.15), (1.0, 1.0), (0.85, 1.0)];
/// Eccentricity of the core: offset from the centre as a share of the
/// room left inside the outline (cores are often eccentric; convention).
pub const CORE_OFFSET: (f64, f64) = (0.0, 0.6);
/// Soft tissue the air spaces fill with, HU.
const FILL_HU: f64 = 40.0;

/// Composition of a subsolid nodule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubsolidKind {
    /// Pure ground glass.
    GroundGlass,
    /// Ground glass with a solid component.
    PartSolid,
}

/// Request for a subsolid nodule; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubsolidSpec {
    /// Pure ground glass or part-solid (not `kind`: that key names the
    /// lesion kind in a request).
    #[serde(default)]
    pub composition: Option<SubsolidKind>,
    /// Total nominal diameter, mm (4-30).
    #[serde(default)]
    pub diameter_mm: Option<f64>,
    /// Solid core diameter, mm (part-solid only).
    #[serde(default)]
    pub solid_diameter_mm: Option<f64>,
    /// Placement.
    #[serde(default)]
    pub variant: Option<NoduleVariant>,
    /// Margin.
    #[serde(default)]
    pub shape: Option<NoduleShape>,
    /// Lobe: "RUL", "RML", "RLL", "LUL" or "LLL".
    #[serde(default)]
    pub lobe: Option<String>,
    /// Ground-glass attenuation, HU.
    #[serde(default)]
    pub ggo_hu: Option<f64>,
    /// Solid core attenuation, HU.
    #[serde(default)]
    pub solid_hu: Option<f64>,
}

/// A placed subsolid nodule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subsolid {
    /// Outline, placement and measured axes/volume (its `hu` is unused).
    pub outline: Nodule,
    /// Composition.
    pub kind: SubsolidKind,
    /// Ground-glass attenuation, HU.
    pub ggo_hu: f64,
    /// Solid core (part-solid only).
    pub solid: Option<Ellipsoid>,
    /// Solid core attenuation, HU.
    pub solid_hu: f64,
    /// Fading margin width, mm.
    pub margin: f64,
    /// Air-space filling fraction giving `ggo_hu` in the lung at the centre.
    pub fill: f64,
    /// Lung value at the centre used for `fill`.
    pub lung_hu: f64,
}

impl Subsolid {
    /// Places a subsolid nodule.
    pub fn place(
        spec: &SubsolidSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<Subsolid, PhantomError> {
        let kind = spec.composition.unwrap_or_else(|| {
            if rng::chance(r, PART_SOLID_SHARE) {
                SubsolidKind::PartSolid
            } else {
                SubsolidKind::GroundGlass
            }
        });
        let d = spec
            .diameter_mm
            .unwrap_or_else(|| rng::uniform(r, DIAMETER_MM.0.ln(), DIAMETER_MM.1.ln()).exp());
        if !(4.0..=30.0).contains(&d) {
            return Err(PhantomError::Params(format!(
                "subsolid nodule diameter {d} mm outside 4-30"
            )));
        }
        let variant = spec.variant.unwrap_or_else(|| {
            [
                NoduleVariant::Intraparenchymal,
                NoduleVariant::Juxtapleural,
                NoduleVariant::Juxtavascular,
            ][rng::weighted(r, &[0.55, 0.2, 0.25])]
        });
        // Ground glass is rarely spiculated; part-solid more often so.
        let shape = spec.shape.unwrap_or_else(|| {
            let w = if kind == SubsolidKind::PartSolid {
                [0.45, 0.35, 0.2]
            } else {
                [0.6, 0.35, 0.05]
            };
            [
                NoduleShape::Round,
                NoduleShape::Lobulated,
                NoduleShape::Spiculated,
            ][rng::weighted(r, &w)]
        });
        let want_lobe = match &spec.lobe {
            Some(n) => Some(
                lobe_label(n).ok_or_else(|| PhantomError::Params(format!("unknown lobe {n:?}")))?,
            ),
            None => None,
        };
        let ggo_hu = spec
            .ggo_hu
            .unwrap_or_else(|| rng::uniform(r, GGO_HU.0, GGO_HU.1).round());
        let solid_hu = spec
            .solid_hu
            .unwrap_or_else(|| rng::uniform(r, SOLID_HU.0, SOLID_HU.1).round());
        let margin = rng::uniform(r, MARGIN_MM.0, MARGIN_MM.1);
        let rad = 0.5 * d;
        let radii = AXIS_FACTORS.map(|(lo, hi)| rad * rng::uniform(r, lo, hi));
        let centre = find_centre(model, variant, want_lobe, rad, r)?;
        let outline = Nodule::shaped(model, centre, rad, radii, shape, variant, ggo_hu, r);
        let solid = if kind == SubsolidKind::PartSolid {
            let sd = spec
                .solid_diameter_mm
                .unwrap_or_else(|| d * rng::uniform(r, SOLID_FRACTION.0, SOLID_FRACTION.1));
            let rs = (0.5 * sd).clamp(1.0, 0.9 * radii[2]);
            // Eccentric core, kept inside the outline.
            let room = (radii[2] - rs - 0.8).max(0.0);
            let off = add_scaled(
                centre,
                random_dir(r),
                rng::uniform(r, CORE_OFFSET.0, CORE_OFFSET.1) * room,
            );
            Some(Ellipsoid::oriented(
                off,
                random_dir(r),
                random_dir(r),
                CORE_AXIS_FACTORS.map(|(lo, hi)| rs * rng::uniform(r, lo, hi)),
            ))
        } else {
            None
        };
        let wall = Wall::of(model);
        let lung_hu = wall.lung_estimate(&model.tissue, centre[1], centre[2]) as f64;
        let fill = ((ggo_hu - lung_hu) / (FILL_HU - lung_hu)).clamp(0.0, 1.0);
        Ok(Subsolid {
            outline,
            kind,
            ggo_hu,
            solid,
            solid_hu,
            margin,
            fill,
            lung_hu,
        })
    }

    /// Solid core diameter (mean of its two largest axes), mm; 0 for a
    /// pure ground-glass nodule.
    pub fn solid_diameter(&self) -> f64 {
        match &self.solid {
            Some(e) => {
                let mut r = e.r;
                r.sort_by(|a, b| b.total_cmp(a));
                r[0] + r[1]
            }
            None => 0.0,
        }
    }

    /// Volume of the solid core, mm^3.
    pub fn solid_volume(&self) -> f64 {
        self.solid
            .as_ref()
            .map_or(0.0, |e| e.volume().min(self.outline.volume_mm3))
    }

    /// Volume-weighted mean HU of the two components.
    pub fn mean_hu(&self) -> f64 {
        let v = self.outline.volume_mm3.max(1e-9);
        let vs = self.solid_volume();
        (vs * self.solid_hu + (v - vs) * self.ggo_hu) / v
    }

    /// Lung-RADS v2022 baseline category (screening, thin slices).
    pub fn lung_rads(&self) -> &'static str {
        let md = self.outline.mean_diameter();
        match self.kind {
            SubsolidKind::GroundGlass => {
                if md < 30.0 {
                    "2"
                } else {
                    "3"
                }
            }
            SubsolidKind::PartSolid => {
                let sd = self.solid_diameter();
                if md < 6.0 {
                    "2"
                } else if sd < 6.0 {
                    "3"
                } else if sd < 8.0 {
                    "4A"
                } else {
                    "4B"
                }
            }
        }
    }
}

impl Lesion for Subsolid {
    fn code(&self) -> &'static str {
        "F02"
    }

    fn bbox(&self) -> Aabb {
        self.outline.bbox().expand(self.margin)
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let w = c.w;
        let bb = self.bbox();
        if !bb.spans_w(w) {
            return;
        }
        let Some(rect) = c.grid.rect_of(&bb) else {
            return;
        };
        let px = c.grid.px;
        let h = c.h;
        let tex = c.texture;
        let soft = c.tissue.soft_texture as f32;
        let ctr = self.outline.body.c;
        let fill_hu = FILL_HU as f32;
        let nx = c.grid.nx;
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                let i = y * nx + x;
                let l = c.label[i];
                let lobe = labels::is_lobe(l);
                if !(lobe || l == labels::VESSELS || l == label) {
                    continue;
                }
                let p = [c.grid.u[i] as f64, c.grid.v[i] as f64, w];
                let d = self.outline.sdf(p);
                let n = normalize(sub(p, ctr));
                let fp = px * (n[0].abs() + n[1].abs()).max(0.7) + h * n[2].abs();
                if d > 0.5 * (fp + self.margin) {
                    continue;
                }
                // Ground glass: partial filling of the air spaces, with a
                // fading margin and a mottled interior.
                let cov = (0.5 - d / (fp + self.margin)).clamp(0.0, 1.0);
                let mottle = 1.0 + 0.22 * tex.at([p[2], p[1], p[0]], 1.3) as f64;
                let k = (self.fill * mottle * cov).clamp(0.0, 0.95) as f32;
                c.value[i] += k * (fill_hu - c.value[i]).max(0.0);
                if let Some(core) = &self.solid {
                    let ds = core.sdf(p);
                    let a = (0.5 - ds / fp).clamp(0.0, 1.0) as f32;
                    if a > 0.0 {
                        let val = self.solid_hu as f32 + soft * tex.at(p, 1.5);
                        c.value[i] += a * (val - c.value[i]);
                        if ds < 0.0 && l == labels::VESSELS {
                            c.label[i] = label;
                        }
                    }
                }
                if d < 0.0 && (lobe || l == label) {
                    c.label[i] = label;
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = self.outline.finding(ctx);
        f.code = "F02".into();
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        let md = self.outline.mean_diameter();
        for m in f.measurements.iter_mut() {
            if m.name == "mean_hu" {
                m.value = self.mean_hu().round();
            }
        }
        f.measurements.push(aisu::Measurement::new(
            "solid_diameter",
            round1(self.solid_diameter()),
            "mm",
        ));
        let mut morph = vec![
            match self.kind {
                SubsolidKind::GroundGlass => "ground-glass",
                SubsolidKind::PartSolid => "part-solid",
            }
            .to_string(),
        ];
        morph.extend(f.morphology.iter().skip(1).cloned());
        f.morphology = morph;
        // Lung-RADS v2022 (FINDINGS.md F02): screening, slices <= 2.5 mm.
        f.category = if ctx.context == aisu::ExamContext::Screening && ctx.slice_mm <= 2.5 {
            Some(aisu::Category {
                system: "Lung-RADS v2022".into(),
                value: self.lung_rads().into(),
                context: aisu::ExamContext::Screening,
            })
        } else {
            None
        };
        f.urgency = match self.lung_rads() {
            "4B" => aisu::Urgency::Tier3,
            "4A" | "3" => aisu::Urgency::Routine,
            _ => aisu::Urgency::Incidental,
        };
        // Ground glass under ~5 mm is not reliably seen, and on slices over
        // 2.5 mm solid/ground-glass typing under ~10 mm is "limited"
        // (FINDINGS.md): a scorer cannot demand the F02 code there.
        f.assessable = md >= 5.0 && (ctx.slice_mm <= 2.5 || md >= 10.0);
        f.extra
            .insert("ggo_hu".into(), serde_json::json!(self.ggo_hu));
        if self.solid.is_some() {
            f.extra
                .insert("solid_hu".into(), serde_json::json!(self.solid_hu));
        }
        f
    }

    fn describe(&self) -> String {
        format!(
            "F02 {:?} {:?} {:?} subsolid nodule {:.1} mm (solid {:.1} mm) in {}, GGO {} HU",
            self.kind,
            self.outline.shape,
            self.outline.variant,
            self.outline.mean_diameter(),
            self.solid_diameter(),
            lobe_name(self.outline.lobe),
            self.ggo_hu
        )
    }
}
