//! F18 pericardial effusion (and haemopericardium): a fluid layer between
//! the epicardial fat and the pericardium.
//!
//! Like cardiomegaly, the effusion changes the anatomy itself and is made
//! on the built model before anything is rendered ([`apply`]): the heart
//! gains a [`PericardialFluid`] layer, the pericardial sac grows around
//! it and the lungs give way by themselves (their surface follows the
//! sac). The layer is thickest on the dependent side (posterior and
//! inferior in a supine patient), thins towards the heart's base where
//! the pericardium reflects onto the great vessels, and the larger the
//! effusion the more it surrounds the heart.
//!
//! Most effusions are drawn as simple fluid (transudate, 2-24 HU); a
//! share as haemopericardium (35-55 HU, unclotted to clotting blood),
//! which on a non-contrast scan is as dense as the heart behind it.
//!
//! The truth comes from the model, never the image:
//! - `max_thickness`: the diameter of the largest sphere inside the layer
//!   ([`measure`]); the layer is scaled until this is the thickness drawn
//!   or asked for;
//! - `volume`: the layer's volume counted on a 1 mm grid;
//! - `mean_hu`: the drawn fluid attenuation.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::heart::{Heart, PericardialFluid};
use crate::geom::{Aabb, V3, add, normalize, sub};
use crate::labels::{self, Label};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Drawn layer thickness on the dependent side, mm: from a small
/// effusion clearly above the physiological 15-50 ml (a layer under
/// 4 mm) to a large one.
pub const THICKNESS_RANGE_MM: [f64; 2] = [7.0, 28.0];
/// Simple (transudative) fluid attenuation, HU.
pub const SIMPLE_HU: [f64; 2] = [2.0, 24.0];
/// Haemopericardium attenuation, HU (above the 30 HU flag of
/// FINDINGS.md F18).
pub const HAEMO_HU: [f64; 2] = [35.0, 55.0];
/// Chance that a drawn effusion is haemopericardium.
const HAEMO_CHANCE: f64 = 0.15;
/// Category cut-offs of the maximal thickness, mm (FINDINGS.md F18, the
/// echocardiographic convention: small < 10, moderate 10-20, large > 20).
pub const GRADE_MM: [f64; 2] = [10.0, 20.0];
/// Haemopericardium flag, HU (FINDINGS.md F18).
pub const HAEMO_FLAG_HU: f64 = 30.0;
/// A drawn thickness stays this far from a grade cut-off, mm (the truth
/// is no coin toss at the threshold).
const CUTOFF_MARGIN_MM: f64 = 1.0;
/// The fluid stops this far in front of the descending aorta, mm.
const BEHIND_AORTA_GAP_MM: f64 = 3.0;
/// Rounds of scaling the layer to its asked thickness.
const SIZING_ROUNDS: usize = 6;
/// Relative tolerance of the layer's thickness.
const SIZING_TOLERANCE: f64 = 0.02;
/// Step of the grid the layer's volume is counted on, mm.
const VOLUME_GRID_MM: f64 = 1.0;
/// Step of the fine grid the thickness is refined on, mm.
const FINE_GRID_MM: f64 = 0.4;
/// Places the thickness is refined at, at most.
const REFINED_PLACES: usize = 6;

/// Request for a pericardial effusion; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PericardialEffusionSpec {
    /// Largest layer thickness, mm (4-35).
    #[serde(default)]
    pub thickness_mm: Option<f64>,
    /// Fluid attenuation, HU (-10 to 70).
    #[serde(default)]
    pub hu: Option<f64>,
}

/// The fluid layer for `spec` in `model`.
fn draw(
    spec: &PericardialEffusionSpec,
    model: &PhantomModel,
    seed: u64,
) -> Result<PericardialFluid, PhantomError> {
    let heart = &model.heart;
    let r = &mut rng::stream(seed, "pericardial-effusion");
    let mut drawn_mm = rng::uniform(r, THICKNESS_RANGE_MM[0], THICKNESS_RANGE_MM[1]);
    for cut in GRADE_MM {
        if (drawn_mm - cut).abs() < CUTOFF_MARGIN_MM {
            drawn_mm = cut + CUTOFF_MARGIN_MM.copysign(drawn_mm - cut);
        }
    }
    let max_mm = match spec.thickness_mm {
        Some(t) if (4.0..=35.0).contains(&t) => t,
        Some(t) => {
            return Err(PhantomError::Params(format!(
                "pericardial effusion of {t} mm: 4-35 mm"
            )));
        }
        None => (drawn_mm * 10.0).round() / 10.0,
    };
    let haemo = rng::chance(r, HAEMO_CHANCE);
    let drawn_hu = if haemo {
        rng::uniform(r, HAEMO_HU[0], HAEMO_HU[1])
    } else {
        rng::uniform(r, SIMPLE_HU[0], SIMPLE_HU[1])
    };
    let hu = match spec.hu {
        Some(h) if (-10.0..=70.0).contains(&h) => h,
        Some(h) => {
            return Err(PhantomError::Params(format!(
                "pericardial fluid of {h} HU: -10 to 70 HU"
            )));
        }
        None => drawn_hu.round(),
    };
    // Larger effusions surround the heart; small ones lie behind it.
    let grow = ((max_mm - THICKNESS_RANGE_MM[0]) / (THICKNESS_RANGE_MM[1] - THICKNESS_RANGE_MM[0]))
        .clamp(0.0, 1.0);
    let anterior_share = (0.15 + 0.4 * grow + rng::uniform(r, -0.08, 0.08)).clamp(0.1, 0.7);
    // Patient frame: u left, v posterior, w up. Fluid gathers behind and
    // beside the left ventricle and under the heart; straight behind
    // the heart lie the left atrium, the oesophagus and the aorta.
    let toward = normalize([
        rng::uniform(r, 0.5, 0.9),
        rng::uniform(r, 0.4, 0.8),
        rng::uniform(r, -0.35, -0.1),
    ]);
    let mut centre = [0.0; 3];
    for e in &heart.chambers {
        centre = add(centre, e.c);
    }
    // The sac does not reach behind the front of the descending aorta.
    let aorta = &model.mediastinum.aorta;
    let back_v = aorta.tube.nodes[aorta.segment_starts[3].min(aorta.tube.nodes.len())..]
        .iter()
        .filter(|n| n.p[2] >= heart.bbox.min[2] && n.p[2] <= heart.bbox.max[2])
        .map(|n| n.p[1] - n.ra)
        .fold(f64::INFINITY, f64::min)
        - BEHIND_AORTA_GAP_MM;
    Ok(PericardialFluid {
        back_v: if back_v.is_finite() {
            back_v
        } else {
            heart.bbox.max[1]
        },
        max_mm,
        anterior_share,
        toward,
        centre: centre.map(|x| x / heart.chambers.len() as f64),
        top_w: heart.base[2],
        hu,
    })
}

/// Applies the effusion request to a built model (at most one per
/// phantom): the heart gains its fluid layer.
pub fn apply(model: &mut PhantomModel, specs: &[super::LesionSpec]) -> Result<(), PhantomError> {
    let requests: Vec<&PericardialEffusionSpec> = specs
        .iter()
        .filter_map(|s| match s {
            super::LesionSpec::PericardialEffusion(e) => Some(e),
            _ => None,
        })
        .collect();
    if requests.len() > 1 {
        return Err(PhantomError::Params(
            "one pericardial effusion per phantom (F18 was requested more than once)".into(),
        ));
    }
    let Some(spec) = requests.first() else {
        return Ok(());
    };
    let mut fluid = draw(spec, model, model.params.seed)?;
    // The layer is laid out in the heart's distance field, which is not
    // an exact distance (blended ellipsoids, varying fat): its true
    // thickness is measured and the layer scaled until it is the one
    // asked for.
    let target = fluid.max_mm;
    let bbox = model.heart.bbox;
    for _ in 0..SIZING_ROUNDS {
        model.heart.bbox = bbox.expand(fluid.max_mm);
        model.heart.fluid = Some(fluid.clone());
        let (thickness, _, _) = measure(&model.heart);
        if thickness <= 0.0 || (thickness - target).abs() <= SIZING_TOLERANCE * target {
            break;
        }
        fluid.max_mm *= target / thickness;
    }
    model.heart.bbox = bbox.expand(fluid.max_mm);
    model.heart.fluid = Some(fluid);
    Ok(())
}

/// True when `p` lies in the fluid layer.
fn in_fluid(heart: &Heart, p: V3) -> bool {
    let d = heart.fat_sdf(p);
    d >= 0.0 && heart.fluid_sdf(p, d) < 0.0
}

/// The layer sampled at voxel centres of a grid of step `h` over `b`.
fn layer_grid(heart: &Heart, b: &Aabb, h: f64) -> volume::Volume<bool> {
    let n = [0, 1, 2].map(|k| ((b.max[k] - b.min[k]) / h).ceil().max(1.0) as usize);
    let plane = n[0] * n[1];
    let mut data = vec![false; plane * n[2]];
    data.par_chunks_mut(plane)
        .enumerate()
        .for_each(|(k, slab)| {
            for j in 0..n[1] {
                for i in 0..n[0] {
                    let q = [
                        b.min[0] + (i as f64 + 0.5) * h,
                        b.min[1] + (j as f64 + 0.5) * h,
                        b.min[2] + (k as f64 + 0.5) * h,
                    ];
                    slab[j * n[0] + i] = in_fluid(heart, q);
                }
            }
        });
    let geometry = volume::Geometry::new(n, [h; 3], b.min);
    let array = ndarray::Array3::from_shape_vec((n[2], n[1], n[0]), data)
        .expect("grid shape matches its data");
    volume::Volume::new(array, geometry).expect("a valid grid")
}

/// Depth of each layer voxel of `grid` (distance to the background, mm)
/// with its centre, deepest first, for the voxels within `within` mm of
/// the deepest.
fn deepest_voxels(grid: &volume::Volume<bool>, within: f32) -> Vec<(f32, V3)> {
    let depth = volume::distance_to_background(grid);
    let g = grid.geometry();
    let [nx, ny, _] = g.dims;
    let h = g.spacing[0];
    let top = depth
        .as_slice()
        .iter()
        .filter(|d| d.is_finite())
        .fold(0.0f32, |a, &d| a.max(d));
    if top <= 0.0 {
        return Vec::new();
    }
    let mut out: Vec<(f32, V3)> = depth
        .as_slice()
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_finite() && **d >= top - within)
        .map(|(i, &d)| {
            let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
            let at = [x, y, z].map(|c| c as f64 + 0.5);
            (
                d,
                [
                    g.origin[0] + at[0] * h,
                    g.origin[1] + at[1] * h,
                    g.origin[2] + at[2] * h,
                ],
            )
        })
        .collect();
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out
}

/// A layer of n voxels across has its deepest voxel about n/2 steps from
/// the background: the diameter of its largest sphere is twice that
/// depth less half a step (the mean over odd and even n).
fn diameter(depth: f32, h: f64) -> f64 {
    (2.0 * depth as f64 - 0.5 * h).max(0.0)
}

/// The layer's true size: (largest thickness mm, where it is, volume
/// ml). The thickness is the diameter of the largest sphere inside the
/// layer (the local thickness of a layer of varying depth): candidates
/// from a coarse grid (every place within a step of the deepest, at
/// most [`REFINED_PLACES`] of them, apart) are refined on a fine grid.
pub fn measure(heart: &Heart) -> (f64, V3, f64) {
    let b = heart.bbox;
    let coarse = layer_grid(heart, &b, VOLUME_GRID_MM);
    let volume_ml =
        coarse.as_slice().iter().filter(|&&x| x).count() as f64 * VOLUME_GRID_MM.powi(3) / 1000.0;
    let candidates = deepest_voxels(&coarse, 1.5 * VOLUME_GRID_MM as f32);
    let mut places: Vec<(f32, V3)> = Vec::new();
    for (d, at) in candidates {
        if places.len() >= REFINED_PLACES {
            break;
        }
        if places
            .iter()
            .all(|(pd, p)| crate::geom::dist(*p, at) > (*pd + d) as f64)
        {
            places.push((d, at));
        }
    }
    let mut best = (0.0, b.min);
    for (d, at) in places {
        let r = d as f64 + 2.0 * VOLUME_GRID_MM;
        let around = Aabb::around(at, [r, r, r]);
        let fine = layer_grid(heart, &around, FINE_GRID_MM);
        if let Some(&(fd, fat)) = deepest_voxels(&fine, 0.0).first() {
            let t = diameter(fd, FINE_GRID_MM);
            if t > best.0 {
                best = (t, fat);
            }
        }
    }
    (best.0, best.1, volume_ml)
}

/// A pericardial effusion as applied to the model.
#[derive(Debug)]
pub struct PericardialEffusion {
    /// The heart with its fluid layer (the labels are painted from it).
    heart: Heart,
    /// Largest thickness of the layer, mm.
    thickness_mm: f64,
    /// Where the layer is thickest (patient frame).
    at: V3,
    /// Layer volume, ml.
    volume_ml: f64,
    /// Fluid attenuation, HU.
    hu: f64,
}

impl PericardialEffusion {
    /// Reads the effusion of a model [`apply`] changed.
    pub fn place(
        _spec: &PericardialEffusionSpec,
        model: &PhantomModel,
        _r: &mut PhantomRng,
    ) -> Result<Self, PhantomError> {
        let heart = model.heart.clone();
        let Some(fluid) = heart.fluid.clone() else {
            return Err(PhantomError::Placement(
                "the heart has no pericardial fluid (apply was not run)".into(),
            ));
        };
        let (thickness_mm, at, volume_ml) = measure(&heart);
        Ok(PericardialEffusion {
            heart,
            thickness_mm,
            at,
            volume_ml,
            hu: fluid.hu,
        })
    }

    /// The category of FINDINGS.md F18 for a maximal thickness.
    pub fn grade(thickness_mm: f64) -> &'static str {
        if thickness_mm < GRADE_MM[0] {
            "small"
        } else if thickness_mm <= GRADE_MM[1] {
            "moderate"
        } else {
            "large"
        }
    }
}

impl Lesion for PericardialEffusion {
    fn code(&self) -> &'static str {
        "F18"
    }

    fn bbox(&self) -> Aabb {
        self.heart.bbox
    }

    /// The anatomy painted the fluid; the lesion labels it.
    fn paint(&self, c: &mut Canvas, label: Label) {
        let w = c.w;
        // The heart's motion shift (as the anatomy paints it).
        let shift = c.heart_shift();
        let b = Aabb {
            min: add(self.heart.bbox.min, shift),
            max: add(self.heart.bbox.max, shift),
        };
        if !b.spans_w(w) {
            return;
        }
        let Some(rect) = c.grid.rect_of(&b) else {
            return;
        };
        let nx = c.grid.nx;
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                let i = y * nx + x;
                if c.label[i] != labels::PERICARDIUM {
                    continue;
                }
                let p = sub([c.grid.u[i] as f64, c.grid.v[i] as f64, w], shift);
                if in_fluid(&self.heart, p) {
                    c.label[i] = label;
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F18");
        f.site = aisu::Site {
            structure: Some("pericardium".into()),
            ..Default::default()
        };
        let t = (self.thickness_mm * 10.0).round() / 10.0;
        f.measurements = vec![
            aisu::Measurement::new("max_thickness", t, "mm"),
            aisu::Measurement::new("volume", self.volume_ml.round(), "ml"),
            aisu::Measurement::new("mean_hu", self.hu, "HU"),
        ];
        let grade = Self::grade(t);
        f.category = Some(aisu::Category {
            system: "pericardial effusion size (FINDINGS.md F18)".into(),
            value: grade.into(),
            context: ctx.context,
        });
        let haemo = self.hu > HAEMO_FLAG_HU;
        if haemo {
            f.extra
                .insert("possible_haemopericardium".into(), serde_json::json!(true));
        }
        f.urgency = if haemo || grade == "large" {
            aisu::Urgency::Tier2
        } else {
            aisu::Urgency::Routine
        };
        f
    }

    fn describe(&self) -> String {
        format!(
            "F18 pericardial effusion {:.1} mm, {:.0} ml, {:.0} HU at ({:.0}, {:.0}, {:.0})",
            self.thickness_mm, self.volume_ml, self.hu, self.at[0], self.at[1], self.at[2]
        )
    }
}
