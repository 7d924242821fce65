//! F20 aortic valve calcification: calcium nodules on the three cusps of
//! the aortic valve at the aortic root, at the commissures, along the
//! lines where the cusps meet and on the cusp bodies towards their
//! hinges, as on CT of calcific aortic stenosis.
//!
//! The valve: the model's aorta starts at the heart's base (its first
//! centreline point, above the heart's outline, where the coronaries
//! leave it) and its lowest part is the root. The annulus is a ring of
//! [`ANNULUS_RADIUS_MM`] about the root's axis [`ANNULUS_ABOVE_END_MM`]
//! above the aorta's lower end; the three cusps rise from it, each over a
//! third of the circumference, from a hinge lowest at the cusp's middle
//! to the commissures [`COMMISSURE_HEIGHT_MM`] above the annulus, and
//! towards the valve's centre to the coaptation lines. Nodules lie in the
//! root's lumen (blood all round, at least [`LUMEN_CLEARANCE_MM`] inside
//! its wall and [`END_CLEARANCE_MM`] above its end), keep
//! [`CORONARY_CLEARANCE_MM`] beyond their reach from the coronaries, and
//! move with the heart (motion artefact), like the mitral annular
//! calcium; the mitral annulus lies some 30 mm lower, in the heart.
//!
//! The grade drawn (mild / moderate / heavy) sets a target Agatston score
//! ([`AGATSTON_AU`]) spanning well below and above the gated-CT
//! thresholds of severe aortic stenosis, [`SEVERE_AU`] (1274 AU women,
//! 2065 AU men: Clavel et al., JACC 2013; Pawade et al., Circ Cardiovasc
//! Imaging 2018; FINDINGS.md F20); nodules are added until the true score
//! reaches it (one that carries it past the grade's band is taken back
//! and the next drawn smaller).
//!
//! Truth, computed on the model and never on the image: `agatston` is the
//! score of an ideal (noise- and blur-free) 3 mm reconstruction of the
//! nodules aligned with the scan's first slice, by the book (slab pixels
//! of 130 HU or more on a 0.1 mm in-plane grid form 8-connected lesions;
//! those of 1 mm^2 or more count area x the weight 1-4 of their peak at
//! 130/200/300/400 HU), the calcium lying in blood: the same computation
//! as the coronary calcium's truth ([`super::coronary_calcium::agatston`]).
//! The category is that of the patient's sex. A valve none of whose
//! nodules holds a voxel centre is not assessable.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::prims::Ellipsoid;
use crate::geom::{Aabb, V3, add, add_scaled, cross, dist, dot, normalize, scale, sub};
use crate::labels::Label;
use crate::lesions::coronary_calcium::{AGATSTON_SLICE_MM, Plaque, agatston, paint_calcium};
use crate::lesions::{FindingContext, Lesion};
use crate::params::Sex;
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Agatston score above which aortic valve calcium suggests severe aortic
/// stenosis on gated CT, AU: women, men (Clavel et al., JACC 2013;
/// Pawade et al., Circ Cardiovasc Imaging 2018; FINDINGS.md F20).
pub const SEVERE_AU: [f64; 2] = [1274.0, 2065.0];

/// The threshold of a sex, AU.
pub fn severe_threshold(sex: Sex) -> f64 {
    match sex {
        Sex::Female => SEVERE_AU[0],
        Sex::Male => SEVERE_AU[1],
    }
}

/// Category system of F20 (truth and detector use the same words).
pub const CATEGORY_SYSTEM: &str =
    "aortic valve calcification (FINDINGS.md F20, gated-CT thresholds)";
/// Category above the threshold (FINDINGS.md F20's wording).
pub const CATEGORY_SEVERE: &str = "possible severe aortic stenosis, echocardiography advised";
/// Category at or below the threshold.
pub const CATEGORY_BELOW: &str = "below the severe aortic stenosis threshold";

/// Target Agatston score per grade, AU: mild, moderate, heavy. Mild lies
/// well below both thresholds, heavy well above both, moderate between
/// them (above the women's, below the men's), each at least 12 % clear
/// of a threshold.
const AGATSTON_AU: [[f64; 2]; 3] = [[120.0, 800.0], [1450.0, 1800.0], [2600.0, 4200.0]];

/// Draw weights of mild, moderate and heavy when not requested.
const GRADE_WEIGHTS: [f64; 3] = [0.4, 0.3, 0.3];

/// Annulus radius, mm (annulus diameter about 21-26 mm in adults on CT:
/// Tops et al., JACC Cardiovasc Imaging 2008), at most
/// [`ANNULUS_MAX_SHARE`] of the root's lumen radius.
const ANNULUS_RADIUS_MM: [f64; 2] = [10.5, 13.0];

/// Largest annulus radius as a share of the root's lumen radius (the
/// sinuses bulge beyond the annulus).
const ANNULUS_MAX_SHARE: f64 = 0.85;

/// Annulus above the aorta's lower end, mm along the root's axis.
const ANNULUS_ABOVE_END_MM: f64 = 1.5;

/// Nodules keep this far inside the root's wall and above its end, mm:
/// blood all round them within 3 mm (the model's root ends above the
/// heart, over the pericardium and epicardial fat, and fat lies outside
/// its wall; calcium with fat around it reads as coronary).
const LUMEN_CLEARANCE_MM: f64 = 1.5;

/// ...and this far above the root's end, mm (see [`LUMEN_CLEARANCE_MM`]).
const END_CLEARANCE_MM: f64 = 3.5;

/// Commissures above the annulus, mm (they reach the sinotubular
/// junction, 15-20 mm above the annulus; a little lower in the model's
/// short root).
const COMMISSURE_HEIGHT_MM: [f64; 2] = [12.0, 16.0];

/// Height of the cusps' meeting point at the valve's centre, share of the
/// commissure height.
const CENTRE_HEIGHT_SHARE: f64 = 0.45;

/// Nodule density, HU (dense calcification).
const NODULE_HU: [f64; 2] = [400.0, 1300.0];

/// Nodule semi-axes per grade, mm: along the cusp, across it (nodules of
/// 2-6 mm in mild disease, bulky 6-12 mm masses in heavy).
const NODULE_MM: [[[f64; 2]; 2]; 3] = [
    [[1.2, 2.6], [0.9, 1.8]],
    [[2.0, 4.0], [1.3, 2.6]],
    [[2.8, 5.5], [1.8, 3.2]],
];

/// Where nodules sit: commissure, coaptation line, cusp body (draw
/// weights; calcification starts at the hinges and coaptation lines).
const SITE_WEIGHTS: [f64; 3] = [0.25, 0.3, 0.45];

/// Nodules keep this far beyond their own reach from the coronaries, mm.
const CORONARY_CLEARANCE_MM: f64 = 3.0;

/// Most nodules drawn.
const MAX_NODULES: usize = 90;

/// Lumen radius given to the truth computation, mm: the valve lies in
/// blood (the root's lumen and the outflow tract), so every column of
/// the truth's grid crosses blood, never fat.
const BLOOD_RADIUS_MM: f64 = 500.0;

/// Grade of aortic valve calcium (the draw's target; the finding's
/// category comes from the true score and the patient's sex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AvcGrade {
    /// Well below both thresholds.
    Mild,
    /// Between the women's and the men's threshold.
    Moderate,
    /// Well above both.
    Heavy,
}

impl AvcGrade {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            AvcGrade::Mild => "mild",
            AvcGrade::Moderate => "moderate",
            AvcGrade::Heavy => "heavy",
        }
    }
}

/// Request for aortic valve calcification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AorticValveCalciumSpec {
    /// Grade (drawn when missing).
    #[serde(default)]
    pub grade: Option<AvcGrade>,
}

/// One calcium nodule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValveNodule {
    /// Shape.
    pub body: Ellipsoid,
    /// Density, HU.
    pub hu: f64,
    /// Cusp index (0-2) it lies on or beside.
    pub cusp: usize,
}

/// Inserted aortic valve calcification with its ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AorticValveCalcium {
    /// Grade drawn.
    pub grade: AvcGrade,
    /// The nodules.
    pub nodules: Vec<ValveNodule>,
    /// Annulus centre (patient frame).
    pub centre: V3,
    /// The root's axis, upwards.
    pub axis: V3,
    /// Annulus radius, mm.
    pub annulus_mm: f64,
    /// True Agatston score, AU.
    pub agatston: f64,
    /// True calcium volume (union of the nodules), mm^3.
    pub volume_mm3: f64,
    /// Patient sex (sets the threshold).
    pub sex: Sex,
    bbox: Aabb,
}

impl AorticValveCalcium {
    /// Places nodules on the cusps until the true score reaches a target
    /// drawn for the grade.
    pub fn place(
        spec: &AorticValveCalciumSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<AorticValveCalcium, PhantomError> {
        let grade = spec.grade.unwrap_or_else(|| {
            [AvcGrade::Mild, AvcGrade::Moderate, AvcGrade::Heavy][rng::weighted(r, &GRADE_WEIGHTS)]
        });
        let g = grade as usize;
        let target = rng::uniform(r, AGATSTON_AU[g][0], AGATSTON_AU[g][1]);
        let valve = Valve::of(model, r)
            .ok_or_else(|| PhantomError::Placement("aortic valve: the aorta has no root".into()))?;
        let mut nodules: Vec<ValveNodule> = Vec::new();
        let (mut score, mut volume) = (0.0, 0.0);
        let mut estimate = 0.0;
        // Nodules overshooting the grade's band are taken back and the
        // next ones drawn smaller.
        let mut shrink = 1.0;
        for _ in 0..MAX_NODULES * 20 {
            if nodules.len() >= MAX_NODULES {
                break;
            }
            let size = NODULE_MM[g].map(|b| b.map(|x| x * shrink));
            let Some(n) = valve.nodule(model, r, &size) else {
                continue;
            };
            // Agatston of a dense nodule: about its 3 mm footprints times
            // weight 4, some 2.5 x its volume; checked on the truth.
            estimate += 2.5 * n.body.volume();
            nodules.push(n);
            if estimate >= target {
                let (s, v) = truth_of(&nodules, &valve, model);
                if s > AGATSTON_AU[g][1] && nodules.len() > 1 {
                    nodules.pop();
                    shrink *= 0.7;
                    estimate = score;
                    continue;
                }
                (score, volume) = (s, v);
                if score >= target {
                    break;
                }
                estimate = score;
            }
        }
        if nodules.is_empty() {
            return Err(PhantomError::Placement(
                "aortic valve: no nodule fits in the scanned heart".into(),
            ));
        }
        if score < target {
            let truth = truth_of(&nodules, &valve, model);
            score = truth.0;
            volume = truth.1;
        }
        let mut bbox = Aabb::EMPTY;
        for n in &nodules {
            bbox = bbox.union(&n.body.bbox());
        }
        Ok(AorticValveCalcium {
            grade,
            nodules,
            centre: valve.centre,
            axis: valve.axis,
            annulus_mm: valve.radius,
            agatston: score,
            volume_mm3: volume,
            sex: model.params.sex,
            bbox: bbox.expand(1.0),
        })
    }

    /// Above the threshold of the patient's sex.
    pub fn severe(&self) -> bool {
        self.agatston > severe_threshold(self.sex)
    }
}

/// The true (Agatston, volume mm^3) of a set of nodules.
fn truth_of(nodules: &[ValveNodule], valve: &Valve, model: &PhantomModel) -> (f64, f64) {
    let plaques: Vec<Plaque> = nodules
        .iter()
        .map(|n| Plaque {
            vessel: 0,
            body: n.body,
            hu: n.hu,
            axis_point: valve.centre,
            axis_dir: valve.axis,
            lumen_radius: BLOOD_RADIUS_MM,
        })
        .collect();
    let t = agatston(&plaques, model, AGATSTON_SLICE_MM);
    (t.by_vessel.iter().sum(), t.volume_mm3)
}

/// The valve's frame on the model.
struct Valve {
    /// The aorta's lower end (its first centreline point).
    end: V3,
    /// Annulus centre.
    centre: V3,
    /// Root axis, upwards.
    axis: V3,
    /// In-plane unit vectors.
    e1: V3,
    e2: V3,
    /// Annulus radius, mm.
    radius: f64,
    /// The root's lumen radius, mm.
    lumen: f64,
    /// Commissure height above the annulus, mm.
    height: f64,
    /// Angle of the first cusp's middle, radians.
    phase: f64,
}

impl Valve {
    /// The valve at the lower end of the model's aorta.
    fn of(model: &PhantomModel, r: &mut PhantomRng) -> Option<Valve> {
        let ao = &model.mediastinum.aorta;
        let nodes = &ao.tube.nodes;
        let first = nodes.first()?;
        // The root's axis over its first 15 mm.
        let up = nodes.iter().find(|n| dist(n.p, first.p) >= 15.0)?;
        let axis = normalize(sub(up.p, first.p));
        let lumen = first.ra - ao.wall;
        let radius = rng::uniform(r, ANNULUS_RADIUS_MM[0], ANNULUS_RADIUS_MM[1])
            .min(ANNULUS_MAX_SHARE * lumen);
        let centre = add_scaled(first.p, axis, ANNULUS_ABOVE_END_MM);
        let e1 = crate::geom::perpendicular(axis);
        let e2 = cross(axis, e1);
        Some(Valve {
            end: first.p,
            centre,
            axis,
            e1,
            e2,
            radius,
            lumen,
            height: rng::uniform(r, COMMISSURE_HEIGHT_MM[0], COMMISSURE_HEIGHT_MM[1]),
            phase: rng::uniform(r, 0.0, std::f64::consts::TAU),
        })
    }

    /// The point at radius share `f` (0 centre, 1 annulus), angle `phi`
    /// and height `z` above the annulus.
    fn at(&self, f: f64, phi: f64, z: f64) -> V3 {
        let radial = add(scale(self.e1, phi.cos()), scale(self.e2, phi.sin()));
        add_scaled(
            add_scaled(self.centre, radial, f * self.radius),
            self.axis,
            z,
        )
    }

    /// Height of the cusp surface above the annulus at radius share `f`
    /// and angle `delta` from the cusp's middle (radians, |delta| <= 60
    /// degrees): the hinge rises from the annulus at the cusp's middle to
    /// the commissure; towards the centre the cusp rises to the
    /// coaptation point.
    fn surface(&self, f: f64, delta: f64) -> f64 {
        let third = std::f64::consts::FRAC_PI_3;
        let hinge = self.height * (delta / third).powi(2);
        let centre = CENTRE_HEIGHT_SHARE * self.height;
        centre + (hinge - centre) * f
    }

    /// One nodule at a drawn site, or `None` where it would leave the
    /// root's lumen or the scan, or come near a coronary.
    fn nodule(
        &self,
        model: &PhantomModel,
        r: &mut PhantomRng,
        size: &[[f64; 2]; 2],
    ) -> Option<ValveNodule> {
        let third = std::f64::consts::FRAC_PI_3;
        let cusp = (rng::uniform(r, 0.0, 3.0) as usize).min(2);
        let mid = self.phase + 2.0 * third * cusp as f64;
        let site = rng::weighted(r, &SITE_WEIGHTS);
        // (radius share, angle from the cusp's middle, along-radius
        // elongation).
        let (f, delta, radial_long) = match site {
            // Commissure (the one after this cusp).
            0 => (rng::uniform(r, 0.7, 0.95), third, false),
            // Coaptation line from the commissure to the centre.
            1 => (rng::uniform(r, 0.1, 0.8), third, true),
            // Cusp body towards the hinge.
            _ => (
                rng::uniform(r, 0.4, 0.95),
                rng::uniform(r, -0.8, 0.8) * third,
                false,
            ),
        };
        let phi = mid + delta;
        let z = self.surface(f, delta) + rng::jitter(r, 1.0);
        let c = self.at(f, phi, z);
        let radial = add(scale(self.e1, phi.cos()), scale(self.e2, phi.sin()));
        let tangent = cross(self.axis, radial);
        let long = if radial_long { radial } else { tangent };
        let semi = [
            rng::uniform(r, size[0][0], size[0][1]),
            rng::uniform(r, size[1][0], size[1][1]),
            rng::uniform(r, size[1][0], size[1][1]),
        ];
        let reach = semi[0].max(semi[1]).max(semi[2]);
        let [w_lo, w_hi] = model.scan_w;
        let clear = model
            .heart
            .coronaries
            .iter()
            .all(|k| k.tube.sdf(c) > reach + CORONARY_CLEARANCE_MM);
        let in_scan = c[2] - reach > w_lo + 1.0 && c[2] + reach < w_hi - 1.0;
        // In the root's lumen: inside its wall and above its end.
        let d = sub(c, self.end);
        let along = dot(d, self.axis);
        let off_axis = (dot(d, d) - along * along).max(0.0).sqrt();
        let in_lumen = off_axis + reach <= self.lumen - LUMEN_CLEARANCE_MM
            && along - reach >= END_CLEARANCE_MM;
        if !(clear && in_scan && in_lumen) {
            return None;
        }
        Some(ValveNodule {
            body: Ellipsoid::oriented(c, long, self.axis, semi),
            hu: rng::uniform(r, NODULE_HU[0], NODULE_HU[1]).round(),
            cusp,
        })
    }
}

impl Lesion for AorticValveCalcium {
    fn code(&self) -> &'static str {
        "F20"
    }

    fn bbox(&self) -> Aabb {
        // Motion shifts the heart by up to ~5 mm.
        self.bbox.expand(5.0)
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let shift = c.heart_shift();
        for n in &self.nodules {
            paint_calcium(c, &n.body, n.hu as f32, shift, Some(label));
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F20");
        f.site = aisu::Site {
            structure: Some("aortic valve".into()),
            ..Default::default()
        };
        f.measurements = vec![aisu::Measurement::new(
            "agatston",
            (self.agatston * 10.0).round() / 10.0,
            "1",
        )];
        f.category = Some(aisu::Category {
            system: CATEGORY_SYSTEM.into(),
            value: if self.severe() {
                CATEGORY_SEVERE.into()
            } else {
                CATEGORY_BELOW.into()
            },
            context: ctx.context,
        });
        f.morphology = vec!["calcified".into()];
        f.urgency = if self.severe() {
            aisu::Urgency::Routine
        } else {
            aisu::Urgency::Incidental
        };
        // Nodules too small to own a voxel centre cannot be seen.
        f.assessable = ctx.mask.voxels > 0;
        let e = &mut f.extra;
        e.insert("grade_drawn".into(), serde_json::json!(self.grade.name()));
        e.insert(
            "threshold_au".into(),
            serde_json::json!(severe_threshold(self.sex)),
        );
        e.insert(
            "calcium_volume_mm3".into(),
            serde_json::json!((self.volume_mm3 * 10.0).round() / 10.0),
        );
        e.insert("nodules".into(), serde_json::json!(self.nodules.len()));
        f
    }

    fn describe(&self) -> String {
        format!(
            "F20 {} aortic valve calcium: {} nodules, Agatston {:.0} ({}), {:.0} mm^3",
            self.grade.name(),
            self.nodules.len(),
            self.agatston,
            if self.severe() { "severe" } else { "below" },
            self.volume_mm3
        )
    }
}
