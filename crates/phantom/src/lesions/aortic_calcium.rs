//! F21 aortic wall calcification: calcified intimal plaques in the wall
//! of the thoracic aorta (ascending aorta, arch, descending aorta), thin
//! curvilinear shells lying along the wall as on CT of older adults.
//!
//! The burden is drawn as a grade of the convention FINDINGS.md F21 names
//! (mild / moderate / severe by the calcium volume, [`GRADE_MM3`]), the
//! volume drawn inside that grade clear of its cut-offs, and plaques are
//! added until they hold it (the last one shrunk to fit). Plaques never
//! overlap one another, the coronary ostia or the coronaries, so the true
//! calcium volume is the exact sum of their ellipsoid volumes, computed on
//! the model, never on the image.
//!
//! Coronary calcium phantoms with look-alikes bring a mild F21 of their own
//! ([`super::expand`]), so that every calcium painted in the aortic wall is
//! stated.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::prims::Ellipsoid;
use crate::geom::{Aabb, V3, add_scaled, dist, normalize, sub};
use crate::labels::Label;
use crate::lesions::coronary_calcium::{around, paint_calcium};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Calcium volume grade cut-offs, mm^3: mild below the first, moderate
/// up to the second, severe above (FINDINGS.md F21 "mild / moderate /
/// severe (convention)"; the volumes are this project's convention, set
/// on the spread of thoracic aortic calcium volumes in population CT
/// studies, where a few hundred mm^3 is common in the elderly).
pub const GRADE_MM3: [f64; 2] = [100.0, 500.0];

/// Drawn calcium volume per grade, mm^3, kept at least 15 % clear of the
/// cut-offs so that the grade is not a coin toss for a detector.
const VOLUME_MM3: [[f64; 2]; 3] = [[20.0, 85.0], [120.0, 420.0], [600.0, 1800.0]];

/// Draw weights of mild, moderate and severe when not requested.
const GRADE_WEIGHTS: [f64; 3] = [0.4, 0.35, 0.25];

/// Plaque size, mm: length along the aorta, radial thickness,
/// circumferential width. Severe burden has larger, thicker plaques
/// (the first row mild, the second moderate and severe).
const PLAQUE_MM: [[[f64; 2]; 3]; 2] = [
    [[3.0, 10.0], [1.0, 2.0], [2.0, 7.0]],
    [[6.0, 22.0], [1.5, 3.2], [4.0, 14.0]],
];

/// Plaque density, HU.
const PLAQUE_HU: [f64; 2] = [300.0, 1000.0];

/// Plaques stay this far from the coronary ostia, mm.
const OSTIUM_CLEARANCE_MM: f64 = 12.0;

/// Grade of aortic wall calcium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AorticCalciumGrade {
    /// Under 100 mm^3.
    Mild,
    /// 100-500 mm^3.
    Moderate,
    /// Over 500 mm^3.
    Severe,
}

impl AorticCalciumGrade {
    /// The grade of a calcium volume, mm^3.
    pub fn of(volume_mm3: f64) -> AorticCalciumGrade {
        if volume_mm3 < GRADE_MM3[0] {
            AorticCalciumGrade::Mild
        } else if volume_mm3 <= GRADE_MM3[1] {
            AorticCalciumGrade::Moderate
        } else {
            AorticCalciumGrade::Severe
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            AorticCalciumGrade::Mild => "mild",
            AorticCalciumGrade::Moderate => "moderate",
            AorticCalciumGrade::Severe => "severe",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Request for aortic wall calcification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AorticCalciumSpec {
    /// Grade (drawn when missing).
    #[serde(default)]
    pub grade: Option<AorticCalciumGrade>,
}

/// Which thoracic segment a plaque lies in.
const SEGMENTS: [&str; 3] = ["ascending", "arch", "descending"];

/// One calcified plaque.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AorticPlaque {
    /// Shape.
    pub body: Ellipsoid,
    /// Index into [`SEGMENTS`].
    pub segment: usize,
}

/// Inserted aortic wall calcification with its ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AorticCalcium {
    /// The plaques.
    pub plaques: Vec<AorticPlaque>,
    /// Density, HU.
    pub hu: f64,
    /// True calcium volume, mm^3.
    pub volume_mm3: f64,
    bbox: Aabb,
}

impl AorticCalcium {
    /// Places plaques holding a drawn volume of the requested grade.
    pub fn place(
        spec: &AorticCalciumSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<AorticCalcium, PhantomError> {
        let grade = spec.grade.unwrap_or_else(|| {
            [
                AorticCalciumGrade::Mild,
                AorticCalciumGrade::Moderate,
                AorticCalciumGrade::Severe,
            ][rng::weighted(r, &GRADE_WEIGHTS)]
        });
        let [lo, hi] = VOLUME_MM3[grade.index()];
        let target = rng::uniform(r, lo, hi);
        let size = &PLAQUE_MM[usize::from(grade != AorticCalciumGrade::Mild)];
        let hu = rng::uniform(r, PLAQUE_HU[0], PLAQUE_HU[1]).round();
        let plaques = place_plaques(model, r, target, size);
        let volume_mm3: f64 = plaques.iter().map(|p| p.body.volume()).sum();
        // The grade is that of the volume placed (a short scanned aorta
        // may hold less than drawn).
        if plaques.is_empty() {
            return Err(PhantomError::Placement(
                "aortic wall calcium: no plaque fits in the scanned aorta".into(),
            ));
        }
        let mut bbox = Aabb::EMPTY;
        for p in &plaques {
            bbox = bbox.union(&p.body.bbox());
        }
        Ok(AorticCalcium {
            plaques,
            hu,
            volume_mm3,
            bbox: bbox.expand(1.0),
        })
    }

    /// The grade of the true volume.
    pub fn grade(&self) -> AorticCalciumGrade {
        AorticCalciumGrade::of(self.volume_mm3)
    }
}

/// Intimal plaques along the thoracic aorta (ascending to the hiatus)
/// until their volumes sum to `target` mm^3, away from the coronary
/// ostia, the coronaries and each other; the last one shrunk to fit.
fn place_plaques(
    model: &PhantomModel,
    r: &mut PhantomRng,
    target: f64,
    size: &[[f64; 2]; 3],
) -> Vec<AorticPlaque> {
    let ao = &model.mediastinum.aorta;
    let nodes = &ao.tube.nodes;
    let starts = ao.segment_starts;
    let (i0, i1) = (starts[1], starts[4].min(nodes.len() - 1));
    if i1 <= i0 + 1 {
        return Vec::new();
    }
    let ostia: Vec<V3> = model
        .heart
        .coronaries
        .iter()
        .filter(|c| c.name == "LM" || c.name == "RCA")
        .filter_map(|c| c.tube.nodes.first().map(|n| n.p))
        .collect();
    let [w_lo, w_hi] = model.scan_w;
    let mut plaques: Vec<AorticPlaque> = Vec::new();
    let mut held = 0.0;
    for _ in 0..400 {
        if held >= target * 0.999 {
            break;
        }
        let i = (rng::uniform(r, i0 as f64, i1 as f64) as usize).min(nodes.len() - 2);
        let (a, b) = (nodes[i], nodes[i + 1]);
        let t = normalize(sub(b.p, a.p));
        let radial = around(t, rng::uniform(r, 0.0, std::f64::consts::TAU));
        let mut semi = [0usize, 1, 2].map(|k| 0.5 * rng::uniform(r, size[k][0], size[k][1]));
        let volume = 4.0 / 3.0 * std::f64::consts::PI * semi[0] * semi[1] * semi[2];
        if held + volume > target {
            // Shrink the last plaque to the volume left.
            let f = ((target - held) / volume).cbrt();
            semi = semi.map(|s| s * f);
        }
        // Intimal: at the inner surface of the wall.
        let c = add_scaled(a.p, radial, a.ra - ao.wall - 0.3 * semi[1]);
        let reach = semi[0].max(semi[2]);
        if c[2] - reach < w_lo + 1.0 || c[2] + reach > w_hi - 1.0 {
            continue;
        }
        if ostia.iter().any(|o| dist(*o, c) < OSTIUM_CLEARANCE_MM)
            || model
                .heart
                .coronaries
                .iter()
                .any(|cor| cor.tube.sdf(c) < reach + 4.0)
            || plaques
                .iter()
                .any(|p| dist(p.body.c, c) < reach + p.body.r[0].max(p.body.r[2]) + 1.0)
        {
            continue;
        }
        let body = Ellipsoid::oriented(c, t, radial, semi);
        held += body.volume();
        let segment = if i < starts[2] {
            0
        } else if i < starts[3] {
            1
        } else {
            2
        };
        plaques.push(AorticPlaque { body, segment });
    }
    plaques
}

impl Lesion for AorticCalcium {
    fn code(&self) -> &'static str {
        "F21"
    }

    fn bbox(&self) -> Aabb {
        self.bbox
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        for p in &self.plaques {
            paint_calcium(c, &p.body, self.hu as f32, [0.0; 3], Some(label));
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F21");
        let mut segments: Vec<&str> = Vec::new();
        for (k, name) in SEGMENTS.iter().enumerate() {
            if self.plaques.iter().any(|p| p.segment == k) {
                segments.push(name);
            }
        }
        f.site = aisu::Site {
            structure: Some("aorta".into()),
            ..Default::default()
        };
        f.site
            .extra
            .insert("segments".into(), serde_json::json!(segments));
        f.measurements = vec![aisu::Measurement::new(
            "calcium_volume",
            (self.volume_mm3 * 10.0).round() / 10.0,
            "mm3",
        )];
        f.category = Some(aisu::Category {
            system: "aortic wall calcification (FINDINGS.md F21, convention)".into(),
            value: self.grade().name().into(),
            context: ctx.context,
        });
        f.morphology = vec!["calcified".into()];
        f.urgency = aisu::Urgency::Incidental;
        // Plaques too small to own a voxel centre on a coarse grid cannot
        // be seen.
        f.assessable = ctx.mask.voxels > 0;
        f.extra
            .insert("plaques".into(), serde_json::json!(self.plaques.len()));
        f.extra.insert("true_hu".into(), serde_json::json!(self.hu));
        f
    }

    fn describe(&self) -> String {
        format!(
            "F21 {} aortic wall calcium: {} plaques, {:.0} mm^3, {:.0} HU",
            self.grade().name(),
            self.plaques.len(),
            self.volume_mm3,
            self.hu
        )
    }
}
