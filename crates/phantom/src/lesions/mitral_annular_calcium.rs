//! F39 mitral annular calcification: a lumpy bar of calcium beads along
//! an arc of the mitral annulus, where the left atrium meets the left
//! ventricle, starting at the posterior annulus (where MAC begins) and
//! reaching round it.
//!
//! The grade is the calcified share of the annulus' circumference
//! (FINDINGS.md F39 "present / extensive"; extensive from half of it,
//! [`EXTENSIVE_ARC_DEG`], the usual semi-quantitative reading of MAC
//! severity): arcs are drawn clear of that cut-off. The truth (calcium
//! volume of the overlapping beads, arc) is computed on the model: the
//! volume by sampling the beads' union on a fine grid, never from the
//! image. The beads move with the heart (motion artefact) and stay clear
//! of the coronaries.
//!
//! Coronary calcium phantoms with look-alikes bring an F39 of their own
//! ([`super::expand`]).

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::prims::Ellipsoid;
use crate::geom::{Aabb, add, add_scaled, cross, dot, lerp3, normalize, scale, sub};
use crate::labels::Label;
use crate::lesions::coronary_calcium::paint_calcium;
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Calcified arc from which MAC is extensive, degrees (half the annulus).
pub const EXTENSIVE_ARC_DEG: f64 = 180.0;

/// Drawn arcs, degrees: present, extensive (kept 25 degrees clear of the
/// cut-off).
const ARC_DEG: [[f64; 2]; 2] = [[90.0, 155.0], [205.0, 270.0]];

/// Chance of an extensive MAC when not requested.
const EXTENSIVE_CHANCE: f64 = 0.35;

/// Annular ring radius, mm (annulus diameter ~26-34 mm in adults:
/// Ormiston et al., Circulation 1981).
const RING_RADIUS: [f64; 2] = [12.0, 16.0];

/// Smallest radius a bead moves in to, mm.
const MIN_RING_MM: f64 = 7.0;

/// Bead semi-axes, mm: along the arc, and across it (bars 2-5 mm thick on
/// CT).
const BEAD_LONG_MM: [f64; 2] = [1.4, 2.4];
const BEAD_MM: [f64; 2] = [1.1, 2.4];

/// Density, HU (dense calcification).
const MAC_HU: [f64; 2] = [350.0, 1000.0];

/// Beads stay this far beyond their own reach from the coronaries, mm
/// (and from the plaques on them, which lie in the vessel wall).
const CORONARY_CLEARANCE_MM: f64 = 3.0;

/// Grid step of the truth's union volume, mm.
const VOLUME_STEP_MM: f64 = 0.2;

/// Request for mitral annular calcification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MitralAnnularCalciumSpec {
    /// Extensive (half the annulus or more); drawn when missing.
    #[serde(default)]
    pub extensive: Option<bool>,
}

/// Inserted mitral annular calcification with its ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MitralAnnularCalcium {
    /// The beads.
    pub beads: Vec<Ellipsoid>,
    /// Density, HU.
    pub hu: f64,
    /// Calcified arc of the annulus, degrees (first to last bead kept).
    pub arc_deg: f64,
    /// True calcium volume (union of the beads), mm^3.
    pub volume_mm3: f64,
    bbox: Aabb,
}

impl MitralAnnularCalcium {
    /// Places beads along an arc of the annulus.
    pub fn place(
        spec: &MitralAnnularCalciumSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<MitralAnnularCalcium, PhantomError> {
        let extensive = spec
            .extensive
            .unwrap_or_else(|| rng::chance(r, EXTENSIVE_CHANCE));
        let [lo, hi] = ARC_DEG[usize::from(extensive)];
        let arc = rng::uniform(r, lo, hi).to_radians();
        let (beads, kept_arc) = beads_on_annulus(model, r, arc).ok_or_else(|| {
            PhantomError::Placement("mitral annulus: no arc fits inside the heart".into())
        })?;
        // The grade is that of the arc kept (beads that would leave the
        // heart are dropped, rarely shortening it).
        let arc_deg = kept_arc.to_degrees();
        let mut bbox = Aabb::EMPTY;
        for b in &beads {
            bbox = bbox.union(&b.bbox());
        }
        let hu = rng::uniform(r, MAC_HU[0], MAC_HU[1]).round();
        let volume_mm3 = union_volume(&beads, &bbox);
        Ok(MitralAnnularCalcium {
            beads,
            hu,
            arc_deg,
            volume_mm3,
            bbox: bbox.expand(1.0),
        })
    }

    /// Extensive (half the annulus or more).
    pub fn extensive(&self) -> bool {
        self.arc_deg >= EXTENSIVE_ARC_DEG
    }
}

/// Beads along an arc of `arc` radians of the annulus (the plane where the
/// LA and LV ellipsoids meet on the line between their centres), centred
/// on the posterior annulus, kept inside the heart and clear of the
/// coronaries; with the arc between the first and last bead kept (at
/// least 3 beads, else `None`).
fn beads_on_annulus(
    model: &PhantomModel,
    r: &mut PhantomRng,
    arc: f64,
) -> Option<(Vec<Ellipsoid>, f64)> {
    let h = &model.heart;
    let (lv, la) = (h.chambers[0], h.chambers[3]);
    let g = |t: f64| {
        let p = lerp3(la.c, lv.c, t);
        la.sdf(p) - lv.sdf(p)
    };
    let (mut t0, mut t1) = (0.0, 1.0);
    if g(t0) > 0.0 || g(t1) < 0.0 {
        return None;
    }
    for _ in 0..40 {
        let m = 0.5 * (t0 + t1);
        if g(m) < 0.0 {
            t0 = m;
        } else {
            t1 = m;
        }
    }
    let n = normalize(sub(lv.c, la.c));
    let post = [0.0, 1.0, 0.0];
    let e1 = normalize(sub(post, scale(n, dot(post, n))));
    let e2 = cross(n, e1);
    let phase = rng::jitter(r, 0.4);
    let radius = rng::uniform(r, RING_RADIUS[0], RING_RADIUS[1]);
    // The ring's plane: at the chambers' junction, or moved towards the
    // LV base (up to a quarter of the way) where the model's waist there
    // is too narrow for it: the plane holding most of the ring inside the
    // heart.
    let t_mid = 0.5 * (t0 + t1);
    let room = |c: [f64; 3]| {
        (0..24)
            .filter(|k| {
                let a = *k as f64 / 24.0 * std::f64::consts::TAU;
                let p = add_scaled(c, add(scale(e1, a.cos()), scale(e2, a.sin())), radius);
                h.sdf(p) < -(BEAD_MM[1] + 1.0)
            })
            .count()
    };
    let centre = (0..=8)
        .map(|k| lerp3(la.c, lv.c, (t_mid + 0.03 * k as f64).min(1.0)))
        .max_by_key(|c| room(*c))?;
    let [w_lo, w_hi] = model.scan_w;
    let count = ((arc * radius) / 1.6).ceil().max(3.0) as usize;
    let mut beads = Vec::new();
    let mut phis = Vec::new();
    for i in 0..count {
        let phi = phase - 0.5 * arc + arc * i as f64 / (count - 1) as f64;
        let radial = add(scale(e1, phi.cos()), scale(e2, phi.sin()));
        let tangent = normalize(add(scale(e1, -phi.sin()), scale(e2, phi.cos())));
        let semi = [
            rng::uniform(r, BEAD_LONG_MM[0], BEAD_LONG_MM[1]),
            rng::uniform(r, BEAD_MM[0], BEAD_MM[1]),
            rng::uniform(r, BEAD_MM[0], BEAD_MM[1]),
        ];
        let reach = semi[0].max(semi[1]).max(semi[2]);
        // The annulus follows the heart's waist at the junction: where
        // the ring would leave the heart, the bead moves in along its
        // radius, down to [`MIN_RING_MM`].
        let mut rho = radius;
        let p = loop {
            let p = add_scaled(centre, radial, rho);
            if h.sdf(p) < -(reach + 1.0) || rho <= MIN_RING_MM {
                break p;
            }
            rho -= 0.5;
        };
        let inside = h.sdf(p) < -(reach + 1.0);
        let clear = h
            .coronaries
            .iter()
            .all(|c| c.tube.sdf(p) > reach + CORONARY_CLEARANCE_MM);
        let in_scan = p[2] - reach > w_lo + 1.0 && p[2] + reach < w_hi - 1.0;
        if inside && clear && in_scan {
            beads.push(Ellipsoid::oriented(p, tangent, radial, semi));
            phis.push(phi);
        }
    }
    match phis[..] {
        [first, _, .., last] => Some((beads, last - first)),
        _ => None,
    }
}

/// Volume of the union of `beads` within `bbox`, mm^3 (sampled every
/// [`VOLUME_STEP_MM`]).
fn union_volume(beads: &[Ellipsoid], bbox: &Aabb) -> f64 {
    let s = VOLUME_STEP_MM;
    let n = |a: usize| ((bbox.max[a] - bbox.min[a]) / s).ceil() as usize;
    let mut count = 0usize;
    for k in 0..n(2) {
        let w = bbox.min[2] + (k as f64 + 0.5) * s;
        for j in 0..n(1) {
            let v = bbox.min[1] + (j as f64 + 0.5) * s;
            for i in 0..n(0) {
                let p = [bbox.min[0] + (i as f64 + 0.5) * s, v, w];
                if beads.iter().any(|b| b.sdf(p) < 0.0) {
                    count += 1;
                }
            }
        }
    }
    count as f64 * s * s * s
}

impl Lesion for MitralAnnularCalcium {
    fn code(&self) -> &'static str {
        "F39"
    }

    fn bbox(&self) -> Aabb {
        // Motion shifts the heart by up to ~5 mm.
        self.bbox.expand(5.0)
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let shift = c.heart_shift();
        for b in &self.beads {
            paint_calcium(c, b, self.hu as f32, shift, Some(label));
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F39");
        f.site = aisu::Site {
            structure: Some("mitral annulus".into()),
            ..Default::default()
        };
        f.measurements = vec![aisu::Measurement::new(
            "calcium_volume",
            (self.volume_mm3 * 10.0).round() / 10.0,
            "mm3",
        )];
        f.category = Some(aisu::Category {
            system: "mitral annular calcification (FINDINGS.md F39)".into(),
            value: if self.extensive() {
                "extensive".into()
            } else {
                "present".into()
            },
            context: ctx.context,
        });
        f.morphology = vec!["calcified".into()];
        f.urgency = aisu::Urgency::Incidental;
        f.assessable = ctx.mask.voxels > 0;
        f.extra
            .insert("arc_deg".into(), serde_json::json!(self.arc_deg.round()));
        f.extra.insert("true_hu".into(), serde_json::json!(self.hu));
        f
    }

    fn describe(&self) -> String {
        format!(
            "F39 mitral annular calcification: {} beads over {:.0} degrees, {:.0} mm^3, {:.0} HU",
            self.beads.len(),
            self.arc_deg,
            self.volume_mm3,
            self.hu
        )
    }
}
