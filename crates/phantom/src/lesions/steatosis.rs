//! F32 hepatic steatosis: the whole liver is made less dense (fat), the
//! spleen left as drawn. The new liver HU is drawn in the mild range
//! (below the specific 48 HU cut-off, Pickhardt 2012) or the
//! moderate-to-severe range (<= 40 HU, Boyce 2010), and the finding
//! states it with `liver_minus_spleen` from the drawn tissue values.
//!
//! The anatomy paints the liver in the abdomen pass with coverage
//! `a = cov(max(d_top, d_core)) * cov(d_liver)` of the parenchyma value,
//! then the gallbladder (with the liver's label) and other organs over
//! it. The lesion re-evaluates the same liver shape for every pixel
//! labelled liver or touching one among the tissues painted before or
//! with it (diaphragm, fat, muscle, body) and adds `a (1 - a_gb) (new -
//! old)`: an exact shift of the parenchyma, partial-volume edges
//! included, the gallbladder excluded. Pixels another organ painted over
//! (IVC, kidney, lung at the dome) keep the small liver fraction they had.
//!
//! The mask is three spherical regions of interest spread through the
//! right lobe (where liver attenuation is measured), so the `liver`
//! label keeps the organ.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::abdomen::Abdomen;
use crate::anatomy::body::RadialSpec;
use crate::anatomy::lungs::Lungs;
use crate::geom::{Aabb, V3, dist};
use crate::labels::{self, Label};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Liver HU drawn for mild steatosis: above 40 and below the specific
/// 48 HU cut-off (Pickhardt et al., AJR 2012).
const MILD_HU: [f64; 2] = [41.0, 47.0];
/// Liver HU drawn for moderate-to-severe steatosis: at or below 40 HU
/// (Boyce et al., AJR 2010), down to ~10 HU in severe fatty liver
/// (Kodama et al., AJR 2007).
const MODERATE_SEVERE_HU: [f64; 2] = [10.0, 40.0];
/// Accepted explicit values, HU.
const HU_LIMITS: [f64; 2] = [-20.0, 47.0];
/// Moderate-severe cut-off, HU (Boyce 2010).
const BOYCE_HU: f64 = 40.0;
/// Specific cut-off, HU (Pickhardt 2012).
const PICKHARDT_HU: f64 = 48.0;
/// Liver more than this below the spleen indicates steatosis, HU
/// (FINDINGS.md F32).
const SPLEEN_DIFFERENCE_HU: f64 = -10.0;
/// ROI radius, mm (~3 cm^2 ROIs as in Boyce 2010 and Pickhardt 2012).
const ROI_RADIUS_MM: f64 = 9.0;
/// Chance that drawn steatosis is mild rather than moderate-severe
/// (convention).
const MILD_CHANCE: f64 = 0.45;
/// Region searched for ROI centres: patient u and v ranges, mm (scaled by
/// body size): the right upper quadrant under the right dome.
const ROI_SEARCH_UV: [[f64; 2]; 2] = [[-150.0, 0.0], [-90.0, 70.0]];
/// Number of ROIs.
const ROI_COUNT: usize = 3;
/// Least distance between ROI centres, mm.
const ROI_SPACING_MM: f64 = 30.0;

/// Grade of steatosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SteatosisGrade {
    /// 41-47 HU.
    Mild,
    /// <= 40 HU.
    ModerateSevere,
}

/// Request for hepatic steatosis; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HepaticSteatosisSpec {
    /// Grade (sets the HU range).
    #[serde(default)]
    pub grade: Option<SteatosisGrade>,
    /// Liver HU (-20..47); overrides the grade.
    #[serde(default)]
    pub liver_hu: Option<f64>,
}

/// A fatty liver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HepaticSteatosis {
    /// Liver HU drawn by the anatomy.
    pub old_hu: f64,
    /// Liver HU after.
    pub new_hu: f64,
    /// Spleen HU (unchanged).
    pub spleen_hu: f64,
    /// ROI centres.
    pub rois: Vec<V3>,
    abdomen: Abdomen,
    lungs: Lungs,
    core: RadialSpec,
    bbox: Aabb,
}

/// Liver geometry at `p` as the abdomen paints it (motion `shift` of the
/// diaphragm): (outer coverage distance `max(d_top, d_core)`, liver
/// distance).
#[inline]
fn liver_distances(
    ab: &Abdomen,
    lungs: &Lungs,
    core: &RadialSpec,
    p: V3,
    shift: f64,
) -> (f64, f64) {
    let h = lungs.diaphragm_height(p[0], p[1]) + shift;
    let d_top = (p[2] - h) * 0.8;
    let d_low = d_top + lungs.diaphragm;
    let th = p[1].atan2(p[0]);
    let dc = p[0].hypot(p[1]) - core.radius(th, p[2]);
    let d_l = ab.liver_sdf(p, d_low + 1.0, dc + 1.0);
    (d_top.max(dc), d_l)
}

impl HepaticSteatosis {
    /// Draws the new liver HU and the ROIs.
    pub fn place(
        spec: &HepaticSteatosisSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<HepaticSteatosis, PhantomError> {
        let grade = match (spec.grade, spec.liver_hu) {
            (Some(g), _) => g,
            (None, Some(h)) if h <= BOYCE_HU => SteatosisGrade::ModerateSevere,
            (None, Some(_)) => SteatosisGrade::Mild,
            (None, None) => {
                if rng::chance(r, MILD_CHANCE) {
                    SteatosisGrade::Mild
                } else {
                    SteatosisGrade::ModerateSevere
                }
            }
        };
        let new_hu = match spec.liver_hu {
            Some(h) => {
                if !(HU_LIMITS[0]..=HU_LIMITS[1]).contains(&h) {
                    return Err(PhantomError::Params(format!(
                        "steatotic liver HU {h} outside -20..47"
                    )));
                }
                h
            }
            None => {
                let [lo, hi] = match grade {
                    SteatosisGrade::Mild => MILD_HU,
                    SteatosisGrade::ModerateSevere => MODERATE_SEVERE_HU,
                };
                rng::uniform(r, lo, hi).round()
            }
        };
        let ab = &model.abdomen;
        let lungs = &model.lungs;
        let core = &model.body.core;
        let s = model.landmarks.size;
        let [w_lo, _] = model.scan_w;
        let top = lungs.domes[0].peak[2];
        // Deep in the liver, clear of the organs painted over it.
        let clear = |p: V3| {
            let (outer, d_l) = liver_distances(ab, lungs, core, p, 0.0);
            let m = ROI_RADIUS_MM + 4.0;
            d_l.max(outer) < -m
                && ab.gallbladder.is_none_or(|g| g.sdf(p) > m)
                && ab.ivc.sdf(p) > m
                && ab.kidneys.iter().all(|k| k.sdf(p) > m)
                && ab.spleen.sdf(p) > m
                && ab.stomach.sdf(p) > m
                && ab.colon.sdf(p) > m
                && p[2] - ROI_RADIUS_MM > w_lo + 2.0
        };
        let mut rois: Vec<V3> = Vec::new();
        for _ in 0..3000 {
            if rois.len() == ROI_COUNT {
                break;
            }
            let p = [
                rng::uniform(r, ROI_SEARCH_UV[0][0], ROI_SEARCH_UV[0][1]) * s,
                rng::uniform(r, ROI_SEARCH_UV[1][0], ROI_SEARCH_UV[1][1]) * s,
                rng::uniform(r, w_lo, top),
            ];
            if rois.iter().all(|q| dist(*q, p) > ROI_SPACING_MM) && clear(p) {
                rois.push(p);
            }
        }
        if rois.is_empty() {
            return Err(PhantomError::Placement(
                "the liver is not in the scanned range".into(),
            ));
        }
        let rmax = (0..64)
            .map(|k| {
                let th = k as f64 / 64.0 * std::f64::consts::TAU;
                core.radius(th, top)
            })
            .fold(0.0, f64::max)
            .max(200.0);
        let bbox = Aabb {
            min: [-rmax - 20.0, -rmax - 20.0, w_lo - 10.0],
            max: [
                rmax + 20.0,
                rmax + 20.0,
                top.max(lungs.domes[1].peak[2]) + 10.0,
            ],
        };
        Ok(HepaticSteatosis {
            old_hu: model.tissue.liver,
            new_hu,
            spleen_hu: model.tissue.spleen,
            rois,
            abdomen: ab.clone(),
            lungs: lungs.clone(),
            core: core.clone(),
            bbox,
        })
    }

    /// Grade of the drawn value.
    pub fn grade(&self) -> SteatosisGrade {
        if self.new_hu <= BOYCE_HU {
            SteatosisGrade::ModerateSevere
        } else {
            SteatosisGrade::Mild
        }
    }
}

impl Lesion for HepaticSteatosis {
    fn code(&self) -> &'static str {
        "F32"
    }

    fn bbox(&self) -> Aabb {
        self.bbox
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let w = c.w;
        let top =
            self.lungs.domes[0].peak[2].max(self.lungs.domes[1].peak[2]) + 4.0 + c.motion.abs();
        if w > top {
            return;
        }
        let g = c.grid;
        let (nx, ny) = (g.nx, g.ny);
        let px = g.px;
        let delta = (self.new_hu - self.old_hu) as f32;
        let cov = |d: f64| (0.5 - d / px).clamp(0.0, 1.0);
        let gb = self.abdomen.gallbladder;
        let before = |l: Label| {
            l == labels::LIVER
                || l == labels::DIAPHRAGM
                || l == labels::FAT
                || l == labels::MUSCLE
                || l == labels::BODY
        };
        let rois: Vec<V3> = self
            .rois
            .iter()
            .copied()
            .filter(|q| (q[2] - w).abs() < ROI_RADIUS_MM)
            .collect();
        for y in 0..ny {
            for x in 0..nx {
                let i = y * nx + x;
                let l = c.label[i];
                if !before(l) {
                    continue;
                }
                if l != labels::LIVER {
                    let touches = (x > 0 && c.label[i - 1] == labels::LIVER)
                        || (x + 1 < nx && c.label[i + 1] == labels::LIVER)
                        || (y > 0 && c.label[i - nx] == labels::LIVER)
                        || (y + 1 < ny && c.label[i + nx] == labels::LIVER);
                    if !touches {
                        continue;
                    }
                }
                let p = [g.u[i] as f64, g.v[i] as f64, w];
                let (outer, d_l) =
                    liver_distances(&self.abdomen, &self.lungs, &self.core, p, c.motion);
                if outer > px {
                    continue;
                }
                let a = cov(outer) * cov(d_l);
                let a_gb = gb.map_or(0.0, |e| cov(e.sdf(p)));
                let k = (a * (1.0 - a_gb)) as f32;
                if k > 0.0 {
                    c.value[i] += k * delta;
                }
                if l == labels::LIVER && rois.iter().any(|q| dist(*q, p) < ROI_RADIUS_MM) {
                    c.label[i] = label;
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F32");
        f.site = aisu::Site {
            side: Some("right".into()),
            structure: Some("liver".into()),
            ..Default::default()
        };
        let diff = self.new_hu - self.spleen_hu;
        f.measurements = vec![
            aisu::Measurement::new("liver_hu", self.new_hu, "HU"),
            aisu::Measurement::new("liver_minus_spleen", diff, "HU"),
        ];
        let value = match self.grade() {
            SteatosisGrade::ModerateSevere => "moderate-severe (<= 40 HU)",
            SteatosisGrade::Mild => "mild (< 48 HU)",
        };
        f.category = Some(aisu::Category {
            system: "liver attenuation (Boyce 2010; Pickhardt 2012)".into(),
            value: value.into(),
            context: ctx.context,
        });
        let mut morph = vec!["diffuse".to_string()];
        if diff < SPLEEN_DIFFERENCE_HU {
            morph.push("below spleen".into());
        }
        f.morphology = morph;
        f.urgency = aisu::Urgency::Routine;
        f.assessable = self.new_hu < PICKHARDT_HU;
        f.extra
            .insert("pre_lesion_liver_hu".into(), serde_json::json!(self.old_hu));
        f.extra.insert(
            "roi_centres_lps_mm".into(),
            serde_json::json!(
                self.rois
                    .iter()
                    .map(|q| ctx.model.to_lps(*q))
                    .collect::<Vec<_>>()
            ),
        );
        f
    }

    fn describe(&self) -> String {
        format!(
            "F32 {:?} hepatic steatosis: liver {:.0} HU (was {:.0}), spleen {:.0} HU",
            self.grade(),
            self.new_hu,
            self.old_hu,
            self.spleen_hu
        )
    }
}
