//! F30 low bone density (opportunistic screening): the trabecular bone
//! of every vertebral body (and, by half, the mixed bone of the
//! posterior elements) is made less dense. The target is drawn at L1 in
//! the osteopenic or osteoporotic range of the 120 kV cut-offs
//! (FINDINGS.md F30: <= 160 HU sensitive, <= 110 HU specific); every
//! other level is scaled by the same factor, so thoracic levels stay
//! denser than L1 as in real spines.
//!
//! The change is made where the anatomy painted trabecular bone: the
//! spine paints `cortex + k (trabecular + texture - cortex)` inside the
//! body (`k` ramps from 0 at the inner cortex to 1 over 1.5 mm), so the
//! lesion adds `k (new - old)` to exactly those pixels, from the same
//! body shape; edges and cortex are untouched. The finding states the
//! new trabecular HU of every level from the model. Its mask is a
//! spherical region of interest deep in each vertebral body T1-L1 in
//! view (as opportunistic screening measures it), so the vertebra labels
//! keep most of each body.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::spine::Vertebra;
use crate::geom::{Aabb, V3, dist};
use crate::labels::{self, Label};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// L1 trabecular HU drawn for osteoporosis: at or below the specific
/// 110 HU cut-off (Pickhardt et al., Ann Intern Med 2013; FINDINGS.md).
const OSTEOPOROSIS_L1_HU: [f64; 2] = [50.0, 105.0];
/// L1 trabecular HU drawn for osteopenia: above 110 HU, at or below the
/// sensitive 160 HU cut-off (Pickhardt 2013).
const OSTEOPENIA_L1_HU: [f64; 2] = [115.0, 155.0];
/// Chance that drawn low density is osteoporotic rather than osteopenic
/// (convention).
const OSTEOPOROSIS_CHANCE: f64 = 0.5;
/// Accepted explicit L1 values, HU.
const L1_HU_LIMITS: [f64; 2] = [20.0, 160.0];
/// Cut-offs at L1 and 120 kV, HU: specific and sensitive (Pickhardt 2013).
const L1_CUTOFFS_HU: [f64; 2] = [110.0, 160.0];
/// Tube voltage the cut-offs hold at, kV, and the tolerance.
const REFERENCE_KV: (f64, f64) = (120.0, 1.0);
/// ROI radius as a fraction of the smallest half-dimension of the body
/// (an ROI in the central trabecular bone, clear of the cortex).
const ROI_FRACTION: f64 = 0.45;
/// Vertebra index of L1 and the first graded level (T1).
const L1_INDEX: usize = 13;

/// How low the bone density is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoneDensity {
    /// L1 110-160 HU.
    Osteopenia,
    /// L1 <= 110 HU.
    Osteoporosis,
}

/// Request for low bone density; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LowBoneDensitySpec {
    /// Class (sets the L1 range).
    #[serde(default)]
    pub severity: Option<BoneDensity>,
    /// Trabecular HU at L1 (20-160); overrides the class.
    #[serde(default)]
    pub l1_hu: Option<f64>,
}

/// Lowered bone density with its per-level values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LowBoneDensity {
    /// Class.
    pub severity: BoneDensity,
    /// Trabecular HU per vertebra index (C7..L2) before.
    pub old_hu: Vec<f64>,
    /// Trabecular HU per vertebra index after.
    pub new_hu: Vec<f64>,
    /// ROI centres and radii per vertebra index (T1..L1 in view).
    pub rois: Vec<(usize, V3, f64)>,
    /// The vertebrae (copied from the anatomy: their shapes are needed
    /// while painting).
    pub vertebrae: Vec<Vertebra>,
    bbox: Aabb,
}

impl LowBoneDensity {
    /// Draws the new density and the ROIs.
    pub fn place(
        spec: &LowBoneDensitySpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<LowBoneDensity, PhantomError> {
        let severity = match (spec.severity, spec.l1_hu) {
            (Some(s), _) => s,
            (None, Some(h)) if h <= L1_CUTOFFS_HU[0] => BoneDensity::Osteoporosis,
            (None, Some(_)) => BoneDensity::Osteopenia,
            (None, None) => {
                if rng::chance(r, OSTEOPOROSIS_CHANCE) {
                    BoneDensity::Osteoporosis
                } else {
                    BoneDensity::Osteopenia
                }
            }
        };
        let target = match spec.l1_hu {
            Some(h) => {
                if !(L1_HU_LIMITS[0]..=L1_HU_LIMITS[1]).contains(&h) {
                    return Err(PhantomError::Params(format!(
                        "L1 trabecular HU {h} outside 20-160"
                    )));
                }
                h
            }
            None => {
                let [lo, hi] = match severity {
                    BoneDensity::Osteoporosis => OSTEOPOROSIS_L1_HU,
                    BoneDensity::Osteopenia => OSTEOPENIA_L1_HU,
                };
                rng::uniform(r, lo, hi).round()
            }
        };
        let verts = &model.spine.vertebrae;
        let old_hu: Vec<f64> = verts.iter().map(|v| v.trabecular_hu).collect();
        let old_l1 = old_hu[L1_INDEX.min(old_hu.len() - 1)];
        let factor = (target / old_l1).min(1.0);
        let new_hu: Vec<f64> = old_hu.iter().map(|h| (h * factor).round()).collect();
        let [w_lo, w_hi] = model.scan_w;
        let mut rois = Vec::new();
        let mut bbox = Aabb::EMPTY;
        for v in verts {
            bbox = bbox.union(&v.bbox);
            if !(1..=L1_INDEX).contains(&v.index) {
                continue;
            }
            let rad = ROI_FRACTION * (0.5 * v.width).min(0.5 * v.depth).min(0.5 * v.height);
            if v.centre[2] - rad > w_lo + 1.0 && v.centre[2] + rad < w_hi - 1.0 {
                rois.push((v.index, v.centre, rad));
            }
        }
        if rois.is_empty() {
            return Err(PhantomError::Placement(
                "no vertebral body T1-L1 in the scanned range".into(),
            ));
        }
        Ok(LowBoneDensity {
            severity,
            old_hu,
            new_hu,
            rois,
            vertebrae: verts.clone(),
            bbox,
        })
    }

    /// Trabecular HU at L1 after the change.
    pub fn l1_hu(&self) -> f64 {
        self.new_hu[L1_INDEX.min(self.new_hu.len() - 1)]
    }
}

impl Lesion for LowBoneDensity {
    fn code(&self) -> &'static str {
        "F30"
    }

    fn bbox(&self) -> Aabb {
        self.bbox
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let w = c.w;
        let px = c.grid.px;
        let nx = c.grid.nx;
        for v in &self.vertebrae {
            let delta = (self.new_hu[v.index] - self.old_hu[v.index]) as f32;
            let bb = v.bbox;
            if !bb.spans_w(w) {
                continue;
            }
            let Some(rect) = c.grid.rect_of(&bb) else {
                continue;
            };
            let own = labels::vertebra(v.index);
            let shell = v.cortex;
            let roi = self.rois.iter().find(|x| x.0 == v.index);
            for y in rect.y0..rect.y1 {
                for x in rect.x0..rect.x1 {
                    let i = y * nx + x;
                    if c.label[i] != own {
                        continue;
                    }
                    let p = [c.grid.u[i] as f64, c.grid.v[i] as f64, w];
                    let d = v.body_sdf(p);
                    if d < -shell {
                        // Body interior: the spine's ramp weight `k`.
                        let k = ((-d - shell) / 1.5).min(1.0) as f32;
                        c.value[i] += k * delta;
                        if let Some(&(_, centre, rad)) = roi
                            && dist(p, centre) < rad
                        {
                            c.label[i] = label;
                        }
                    } else if d > px {
                        // Posterior elements: half trabecular, half cortex.
                        let dp = v
                            .processes
                            .iter()
                            .map(|t| t.sdf(p))
                            .fold(f64::INFINITY, f64::min);
                        if dp < -1.2 {
                            c.value[i] += 0.5 * delta;
                        }
                    }
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F30");
        // Graded at L1 when in view, else at the lowest level with an ROI
        // (thoracic cut-offs differ: no category there).
        let (ref_index, _, _) = self
            .rois
            .iter()
            .copied()
            .max_by_key(|x| x.0)
            .unwrap_or((L1_INDEX, [0.0; 3], 0.0));
        let name = labels::VERTEBRA_NAMES[ref_index].to_string();
        f.site = aisu::Site {
            vertebra: Some(name.clone()),
            side: Some("midline".into()),
            ..Default::default()
        };
        let hu = self.new_hu[ref_index];
        f.measurements = vec![aisu::Measurement::new("trabecular_hu", hu, "HU")];
        let kv_ok = (ctx.model.params.kvp - REFERENCE_KV.0).abs() <= REFERENCE_KV.1;
        let at_l1 = ref_index == L1_INDEX;
        if at_l1 && kv_ok {
            let value = if hu <= L1_CUTOFFS_HU[0] {
                "osteoporosis (<= 110 HU)"
            } else if hu <= L1_CUTOFFS_HU[1] {
                "low bone density (<= 160 HU)"
            } else {
                "normal"
            };
            f.category = Some(aisu::Category {
                system: "L1 trabecular attenuation (Pickhardt 2013)".into(),
                value: value.into(),
                context: ctx.context,
            });
        }
        f.morphology = vec![
            match self.severity {
                BoneDensity::Osteopenia => "osteopenia",
                BoneDensity::Osteoporosis => "osteoporosis",
            }
            .into(),
        ];
        f.urgency = aisu::Urgency::Routine;
        // HU cut-offs hold at 120 kV only (FINDINGS.md F30: other kV
        // "limited"); without L1 the cut-offs do not apply.
        f.assessable = kv_ok && at_l1;
        let by_level: serde_json::Map<String, serde_json::Value> = self
            .vertebrae
            .iter()
            .filter(|v| self.rois.iter().any(|x| x.0 == v.index))
            .map(|v| (v.name.clone(), serde_json::json!(self.new_hu[v.index])))
            .collect();
        f.extra.insert(
            "trabecular_hu_by_level".into(),
            serde_json::Value::Object(by_level),
        );
        f.extra.insert(
            "pre_lesion_trabecular_hu_l1".into(),
            serde_json::json!(self.old_hu[L1_INDEX.min(self.old_hu.len() - 1)]),
        );
        if !kv_ok {
            f.extra.insert(
                "limited".into(),
                serde_json::json!(format!(
                    "{} kV: bone density cut-offs hold at 120 kV",
                    ctx.model.params.kvp
                )),
            );
        }
        f
    }

    fn describe(&self) -> String {
        format!(
            "F30 {:?}: trabecular HU at L1 {:.0} (was {:.0})",
            self.severity,
            self.l1_hu(),
            self.old_hu[L1_INDEX.min(self.old_hu.len() - 1)]
        )
    }
}
