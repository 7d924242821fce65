//! F29 vertebral compression fracture of one vertebral body (T4-L1): the
//! body of the anatomy's vertebra is re-shaped by lowering its endplates
//! as a function of the position in the body, the three Genant shapes:
//!
//! - **wedge**: the superior endplate drops anteriorly (anterior height
//!   lost, posterior kept);
//! - **biconcave**: both endplates sink centrally (middle height lost);
//! - **crush**: the whole endplate drops (all heights lost, anterior a
//!   little more).
//!
//! The height loss is drawn inside the range of the requested Genant
//! grade (1: 20-25 %, 2: 25-40 %, 3: > 40 %) and stated exactly from the
//! shape: anterior, middle and posterior heights are the endplate
//! distances at 85 % of the way from the centre to the anterior and to
//! the (flatter) posterior wall and at the centre, and the loss is relative to the body's own
//! pre-fracture height. The space freed under the disc above is filled
//! with disc tissue (a widened disc space); acute fractures get a band
//! of impacted, denser trabecular bone under the depressed endplate. The
//! body's voxels within a few mm of a depressed endplate carry the
//! lesion label; the rest of the body keeps `vertebra_<level>`.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::spine::Vertebra;
use crate::geom::{Aabb, V3, cross, dot, sub};
use crate::labels::{self, Label};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Levels that may fracture (vertebra indices T4..L1) with their relative
/// frequency: peaks at T7-T8 and at the thoracolumbar junction (Ismail
/// et al., Osteoporos Int 1999, EPOS; Melton, Spine 1997).
const LEVEL_WEIGHTS: [(usize, f64); 10] = [
    (4, 0.04),
    (5, 0.06),
    (6, 0.09),
    (7, 0.12),
    (8, 0.11),
    (9, 0.08),
    (10, 0.09),
    (11, 0.13),
    (12, 0.15),
    (13, 0.13),
];
/// Height loss ranges drawn per Genant grade, fraction (Genant et al.,
/// J Bone Miner Res 1993: grade 1 20-25 %, grade 2 25-40 %, grade 3
/// over 40 %), kept 0.5-1 % inside the bounds.
const GRADE_LOSS: [[f64; 2]; 3] = [[0.205, 0.245], [0.26, 0.39], [0.41, 0.6]];
/// Draw weights of wedge, biconcave and crush shapes (wedge most common
/// in osteoporotic fractures: Ismail 1999).
const SHAPE_WEIGHTS: [f64; 3] = [0.5, 0.3, 0.2];
/// Draw weights of Genant grades 1-3 (mild fractures most frequent:
/// Ismail 1999).
const GRADE_WEIGHTS: [f64; 3] = [0.4, 0.35, 0.25];
/// Chance that a drawn fracture is acute (convention).
const ACUTE_CHANCE: f64 = 0.5;
/// Genant grade bounds, fraction of height lost.
const GENANT_BOUNDS: [f64; 3] = [0.2, 0.25, 0.4];
/// Where heights are measured: fraction of the half-depth in front of and
/// behind the centre (convention for six-point morphometry).
const MEASURE_AT: f64 = 0.85;
/// Posterior wall of the anatomy's body as a fraction of its half-depth
/// (spine.rs squashes the posterior half by 1.25).
const POSTERIOR_WALL: f64 = 0.8;
/// Labelled zone under a depressed endplate, mm.
const ZONE_MM: f64 = 4.0;
/// Impaction band under the endplate of an acute fracture: depth, mm,
/// and extra density, HU (sclerotic condensation band of fresh
/// fractures).
const IMPACTION_MM: [f64; 2] = [2.0, 5.0];
/// Extra density of the impaction band, HU.
const IMPACTION_HU: [f64; 2] = [80.0, 250.0];
/// Thickest slices for Genant grading, mm (FINDINGS.md: "limited" on
/// thick slices; grades 2-3 lose >= 4 mm and stay visible to 5 mm).
const GRADING_MAX_SLICE_MM: f64 = 3.0;
/// Thickest slices on which a grade 2-3 fracture is assessable, mm.
const SEVERE_MAX_SLICE_MM: f64 = 5.0;

/// Genant shape of the compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompressionShape {
    /// Anterior height lost.
    Wedge,
    /// Middle height lost (both endplates).
    Biconcave,
    /// All heights lost.
    Crush,
}

/// Request for a vertebral compression fracture; missing fields drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VertebralFractureSpec {
    /// Level "T1".."L1".
    #[serde(default)]
    pub level: Option<String>,
    /// Genant grade 1-3.
    #[serde(default)]
    pub grade: Option<u8>,
    /// Shape.
    #[serde(default)]
    pub shape: Option<CompressionShape>,
    /// Height loss, percent (20-80); overrides the grade's range.
    #[serde(default)]
    pub height_loss_percent: Option<f64>,
    /// Acute (impaction band) or old.
    #[serde(default)]
    pub acute: Option<bool>,
}

/// A placed compression fracture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VertebralFracture {
    /// The vertebra (copied from the anatomy).
    pub vertebra: Vertebra,
    /// Shape.
    pub shape: CompressionShape,
    /// Height lost at the most compressed measuring point, fraction.
    pub loss: f64,
    /// Impaction band depth (mm) and extra HU, when acute.
    pub impaction: Option<[f64; 2]>,
    bbox: Aabb,
}

/// Genant grade of a height-loss fraction (0 below 20 %).
pub fn genant_grade(loss: f64) -> u8 {
    GENANT_BOUNDS.iter().filter(|b| loss >= **b).count() as u8
}

impl VertebralFracture {
    /// Places the fracture on a vertebra of the model.
    pub fn place(
        spec: &VertebralFractureSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<VertebralFracture, PhantomError> {
        let [w_lo, w_hi] = model.scan_w;
        let verts = &model.spine.vertebrae;
        let in_scan = |v: &Vertebra| {
            v.centre[2] - 0.5 * v.height > w_lo + 2.0 && v.centre[2] + 0.5 * v.height < w_hi - 2.0
        };
        let index = match &spec.level {
            Some(name) => {
                let i = labels::VERTEBRA_NAMES[1..=13]
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(name))
                    .map(|k| k + 1)
                    .ok_or_else(|| PhantomError::Params(format!("level {name:?} outside T1-L1")))?;
                if !in_scan(&verts[i]) {
                    return Err(PhantomError::Placement(format!(
                        "{name} is outside the scanned range"
                    )));
                }
                i
            }
            None => {
                let ok: Vec<(usize, f64)> = LEVEL_WEIGHTS
                    .iter()
                    .copied()
                    .filter(|(i, _)| in_scan(&verts[*i]))
                    .collect();
                if ok.is_empty() {
                    return Err(PhantomError::Placement(
                        "no vertebra T4-L1 in the scanned range".into(),
                    ));
                }
                let w: Vec<f64> = ok.iter().map(|x| x.1).collect();
                ok[rng::weighted(r, &w)].0
            }
        };
        let shape = spec.shape.unwrap_or_else(|| {
            [
                CompressionShape::Wedge,
                CompressionShape::Biconcave,
                CompressionShape::Crush,
            ][rng::weighted(r, &SHAPE_WEIGHTS)]
        });
        let loss = match (spec.height_loss_percent, spec.grade) {
            (Some(p), _) => {
                if !(20.0..=80.0).contains(&p) {
                    return Err(PhantomError::Params(format!(
                        "height loss {p} % outside 20-80"
                    )));
                }
                p / 100.0
            }
            (None, g) => {
                let g = g.unwrap_or_else(|| 1 + rng::weighted(r, &GRADE_WEIGHTS) as u8);
                if !(1..=3).contains(&g) {
                    return Err(PhantomError::Params(format!(
                        "Genant grade {g} outside 1-3"
                    )));
                }
                let [lo, hi] = GRADE_LOSS[g as usize - 1];
                rng::uniform(r, lo, hi)
            }
        };
        let acute = spec.acute.unwrap_or_else(|| rng::chance(r, ACUTE_CHANCE));
        let impaction = acute.then(|| {
            [
                rng::uniform(r, IMPACTION_MM[0], IMPACTION_MM[1]),
                rng::uniform(r, IMPACTION_HU[0], IMPACTION_HU[1]).round(),
            ]
        });
        let v = verts[index].clone();
        let bbox = Aabb::around(
            v.centre,
            [
                0.5 * v.width + 3.0,
                0.5 * v.depth + 3.0,
                0.5 * v.height + 3.0,
            ],
        );
        Ok(VertebralFracture {
            vertebra: v,
            shape,
            loss,
            impaction,
            bbox,
        })
    }

    /// Drops (mm) of the superior and inferior endplates at normalised
    /// position (`xn` left, `yn` posterior, both -1..1 across the body).
    #[inline]
    pub fn drops(&self, xn: f64, yn: f64) -> (f64, f64) {
        let h = self.vertebra.height;
        // 1 at the anterior measuring point, 0 at the posterior one.
        let post = MEASURE_AT * POSTERIOR_WALL;
        let ramp = ((post - yn) / (MEASURE_AT + post)).clamp(0.0, 1.1);
        match self.shape {
            CompressionShape::Wedge => (self.loss * h * ramp, 0.0),
            CompressionShape::Biconcave => {
                let r2 = (xn * xn + yn * yn).min(1.0);
                let dep = self.loss * h * (1.0 - r2).powi(2);
                (0.5 * dep, 0.5 * dep)
            }
            CompressionShape::Crush => (self.loss * h * (0.85 + 0.15 * ramp.min(1.0)), 0.0),
        }
    }

    /// Body height at normalised AP position `yn` on the mid-sagittal line.
    pub fn height_at(&self, yn: f64) -> f64 {
        let (t, b) = self.drops(0.0, yn);
        self.vertebra.height - t - b
    }

    /// Anterior, middle and posterior heights, mm.
    pub fn heights(&self) -> [f64; 3] {
        [
            self.height_at(-MEASURE_AT),
            self.height_at(0.0),
            self.height_at(MEASURE_AT * POSTERIOR_WALL),
        ]
    }

    /// Height loss in percent of the pre-fracture height.
    pub fn height_loss_percent(&self) -> f64 {
        let m = self.heights().into_iter().fold(f64::INFINITY, f64::min);
        100.0 * (1.0 - m / self.vertebra.height)
    }

    /// Local coordinates (left, posterior, superior) of `p`.
    #[inline]
    fn local(&self, p: V3) -> V3 {
        let v = &self.vertebra;
        let q = sub(p, v.centre);
        let left = cross(v.posterior, v.axis);
        [dot(q, left), dot(q, v.posterior), dot(q, v.axis)]
    }

    /// Signed distance to the fractured body, and the distances below the
    /// superior and above the inferior endplate with their drops.
    #[inline]
    pub fn sdf(&self, p: V3) -> (f64, [f64; 4]) {
        let v = &self.vertebra;
        let l = self.local(p);
        let a = 0.5 * v.width;
        let b = 0.5 * v.depth;
        let (top, bot) = self.drops(l[0] / a, l[1] / b);
        let z_top = 0.5 * v.height - top;
        let z_bot = -0.5 * v.height + bot;
        let mid = 0.5 * (z_top + z_bot);
        let half = (0.5 * (z_top - z_bot)).max(0.5);
        // The anatomy's body shape (spine.rs) with moved endplates.
        let y = if l[1] > 0.0 { l[1] * 1.25 } else { l[1] };
        let k0 = ((l[0] / a).powi(2) + (y / b).powi(2)).sqrt();
        let k1 = ((l[0] / (a * a)).powi(2) + (y / (b * b)).powi(2)).sqrt();
        let dxy = if k1 > 1e-12 { k0 * (k0 - 1.0) / k1 } else { -b };
        let waist = 1.5 * (1.0 - ((l[2] - mid) / half).powi(2)).max(0.0);
        let dxy = dxy + waist;
        let dz = (l[2] - mid).abs() - half;
        let rr = 1.5;
        let qx = (dxy + rr).max(0.0);
        let qz = (dz + rr).max(0.0);
        let d = (qx * qx + qz * qz).sqrt() + (dxy + rr).max(dz + rr).min(0.0) - rr;
        (d, [z_top - l[2], top, l[2] - z_bot, bot])
    }
}

impl Lesion for VertebralFracture {
    fn code(&self) -> &'static str {
        "F29"
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
        let v = &self.vertebra;
        let t = c.tissue;
        let tex = c.texture;
        let px = c.grid.px;
        let own = labels::vertebra(v.index);
        let cort = t.cortical as f32;
        let trab = v.trabecular_hu as f32;
        let amp = t.bone_texture as f32;
        let disc = (t.disc + 10.0) as f32;
        let shell = v.cortex;
        let nx = c.grid.nx;
        let cov = |d: f64| (0.5 - d / px).clamp(0.0, 1.0) as f32;
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                let i = y * nx + x;
                let l = c.label[i];
                if !(l == own || l == labels::DISC || l == label) {
                    continue;
                }
                let p = [c.grid.u[i] as f64, c.grid.v[i] as f64, w];
                let d_old = v.body_sdf(p);
                let (d_new, [below_top, top, above_bot, bot]) = self.sdf(p);
                if d_old > px && d_new > px {
                    continue;
                }
                if (d_new - d_old).abs() < 1e-9 {
                    continue;
                }
                let a_old = cov(d_old);
                if a_old > 0.0 {
                    c.value[i] += a_old * (disc - c.value[i]);
                }
                if d_old < 0.0 && d_new >= 0.0 {
                    c.label[i] = labels::DISC;
                }
                let a = cov(d_new);
                if a > 0.0 {
                    let val = if d_new > -shell {
                        cort
                    } else {
                        let k = ((-d_new - shell) / 1.5).min(1.0) as f32;
                        let mut tr = trab + amp * tex.fbm(p, 1.6);
                        if let Some([depth, hu]) = self.impaction {
                            let near = if top > 0.5 { below_top } else { f64::INFINITY }
                                .min(if bot > 0.5 { above_bot } else { f64::INFINITY });
                            if near < depth {
                                tr += (hu * (1.0 - near / depth)) as f32;
                            }
                        }
                        cort + k * (tr - cort)
                    };
                    c.value[i] += a * (val - c.value[i]);
                }
                if d_new < 0.0 {
                    let zone =
                        (top > 0.5 && below_top < ZONE_MM) || (bot > 0.5 && above_bot < ZONE_MM);
                    c.label[i] = if zone { label } else { own };
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F29");
        f.site = aisu::Site {
            vertebra: Some(self.vertebra.name.clone()),
            side: Some("midline".into()),
            ..Default::default()
        };
        let r1 = |x: f64| (x * 10.0).round() / 10.0;
        let [ha, hm, hp] = self.heights();
        let loss = self.height_loss_percent();
        f.measurements = vec![
            aisu::Measurement::new("height_loss_percent", r1(loss), "%"),
            aisu::Measurement::new("anterior_height", r1(ha), "mm"),
            aisu::Measurement::new("middle_height", r1(hm), "mm"),
            aisu::Measurement::new("posterior_height", r1(hp), "mm"),
        ];
        let grade = genant_grade(loss / 100.0);
        f.category = Some(aisu::Category {
            system: "Genant".into(),
            value: format!("grade {grade}"),
            context: ctx.context,
        });
        let shape = match self.shape {
            CompressionShape::Wedge => "wedge",
            CompressionShape::Biconcave => "biconcave",
            CompressionShape::Crush => "crush",
        };
        let age = if self.impaction.is_some() {
            "acute"
        } else {
            "chronic"
        };
        f.morphology = vec![shape.into(), age.into()];
        // ACR: new fractures are tier 3; old ones are routine.
        f.urgency = if self.impaction.is_some() {
            aisu::Urgency::Tier3
        } else {
            aisu::Urgency::Routine
        };
        f.assessable = ctx.slice_mm <= GRADING_MAX_SLICE_MM
            || (grade >= 2 && ctx.slice_mm <= SEVERE_MAX_SLICE_MM);
        f.extra.insert(
            "reference_height_mm".into(),
            serde_json::json!(r1(self.vertebra.height)),
        );
        f.extra.insert(
            "true_centre_lps_mm".into(),
            serde_json::json!(ctx.model.to_lps(self.vertebra.centre)),
        );
        f
    }

    fn describe(&self) -> String {
        format!(
            "F29 {:?} compression fracture of {}, height loss {:.0} % (Genant {})",
            self.shape,
            self.vertebra.name,
            self.height_loss_percent(),
            genant_grade(self.height_loss_percent() / 100.0)
        )
    }
}
