//! Lesion insertion. A lesion is an object with an analytic shape placed
//! on the anatomy model ([`LesionSpec::place`]); while each fine
//! sub-plane is painted, after the anatomy and before slab integration,
//! blur and noise, it modifies the plane ([`Lesion::paint`]): replacing
//! tissue (a nodule), changing density (emphysema) or removing bone (a
//! fracture), always with footprint coverage so its edges look like every
//! other edge. It labels the voxels it owns `lesion_<finding id>` and
//! states its own ground truth ([`Lesion::finding`]) from its object model
//! (true diameters, volume, HU), never by measuring the image; only the
//! mask centroid, box and key slice come from its label voxels, as the
//! contract says.
//!
//! Adding a kind: a module with a spec (serde, all fields optional =
//! drawn) and a struct implementing [`Lesion`]; a variant in
//! [`LesionSpec`]; and, if it should appear in drawn phantoms, a line in
//! [`draw_specs`].

pub mod aortic_calcium;
pub mod aortic_dilation;
pub mod aortic_valve_calcium;
pub mod bone_density;
pub mod cardiomegaly;
pub mod coronary_calcium;
pub mod effusion;
pub mod emphysema;
pub mod mass;
pub mod mitral_annular_calcium;
pub mod nodule;
pub mod pericardial_effusion;
pub mod pleura;
pub mod pneumothorax;
pub mod rib_fracture;
pub mod steatosis;
pub mod subsolid;
pub mod vertebral_fracture;

use std::fmt::Debug;

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::geom::Aabb;
use crate::labels::Label;
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// The producing unit named in ground-truth findings.
pub const AISU_ID: &str = "airad.phantom";

/// What the label map says about one lesion, measured after rendering
/// (LPS mm, voxel centres).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaskStats {
    /// Number of voxels with the lesion's label.
    pub voxels: usize,
    /// Centroid of those voxels (LPS), or the lesion centre when empty.
    pub centroid_lps: [f64; 3],
    /// Bounding box of those voxels (LPS).
    pub bbox_lps: [[f64; 3]; 2],
    /// Slice index with the most lesion voxels.
    pub key_slice: usize,
}

/// Everything a lesion needs to state its finding.
pub struct FindingContext<'a> {
    /// Finding id, e.g. "f-0001".
    pub id: String,
    /// Label value of the lesion in `labels.nii.gz`.
    pub mask_label: Label,
    /// Mask statistics from the rendered labels.
    pub mask: MaskStats,
    /// The anatomy.
    pub model: &'a PhantomModel,
    /// Slice thickness, mm.
    pub slice_mm: f64,
    /// Exam context.
    pub context: aisu::ExamContext,
}

impl FindingContext<'_> {
    /// A finding skeleton filled from the context (id, code, mask
    /// fields, producing unit); the lesion adds site, measurements,
    /// morphology, category and assessability.
    pub fn base(&self, code: &str) -> aisu::Finding {
        aisu::Finding {
            id: self.id.clone(),
            code: code.to_string(),
            site: aisu::Site::default(),
            centroid_lps_mm: self.mask.centroid_lps,
            bbox_lps_mm: self.mask.bbox_lps,
            key_slice: self.mask.key_slice,
            mask_label: u32::from(self.mask_label),
            measurements: Vec::new(),
            morphology: Vec::new(),
            category: None,
            urgency: aisu::Urgency::Incidental,
            confidence: 1.0,
            assessable: true,
            aisu: aisu::AisuRef {
                id: AISU_ID.to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            extra: Default::default(),
        }
    }
}

/// An inserted lesion.
pub trait Lesion: Send + Sync + Debug {
    /// Catalogue code of the finding it makes, e.g. "F01".
    fn code(&self) -> &'static str;
    /// Bounding box in the patient frame (planes outside it are skipped).
    fn bbox(&self) -> Aabb;
    /// Modifies the sub-plane of `c` (already painted with anatomy) and
    /// sets `label` where the pixel centre belongs to the lesion.
    fn paint(&self, c: &mut Canvas, label: Label);
    /// The ground-truth finding, from the object model.
    fn finding(&self, ctx: &FindingContext) -> aisu::Finding;
    /// A short description for logs and suite listings.
    fn describe(&self) -> String;
    /// False for a finding that is a state of a whole organ drawn by the
    /// anatomy (cardiomegaly): it owns no voxels, the organ keeps its
    /// anatomy label, and the finding is assessable without a mask.
    fn owns_voxels(&self) -> bool {
        true
    }
}

/// A lesion request: its kind and optional parameters (missing ones are
/// drawn from the phantom's seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LesionSpec {
    /// F01 solid pulmonary nodule.
    Nodule(nodule::NoduleSpec),
    /// F02 subsolid nodule (ground-glass or part-solid).
    Subsolid(subsolid::SubsolidSpec),
    /// F03 lung mass (a mass in atelectasis brings its F14 effusion).
    Mass(mass::MassSpec),
    /// F05 emphysema (without a side: both lungs, one finding each).
    Emphysema(emphysema::EmphysemaSpec),
    /// F14 pleural effusion.
    Effusion(effusion::EffusionSpec),
    /// F15 pneumothorax.
    Pneumothorax(pneumothorax::PneumothoraxSpec),
    /// F17 cardiomegaly (the heart built larger).
    Cardiomegaly(cardiomegaly::CardiomegalySpec),
    /// F18 pericardial effusion (a fluid layer added to the heart).
    PericardialEffusion(pericardial_effusion::PericardialEffusionSpec),
    /// F22 thoracic aortic dilation or aneurysm (the aorta built wider).
    AorticDilation(aortic_dilation::AorticDilationSpec),
    /// F20 aortic valve calcification.
    AorticValveCalcium(aortic_valve_calcium::AorticValveCalciumSpec),
    /// F21 aortic wall calcification.
    AorticCalcium(aortic_calcium::AorticCalciumSpec),
    /// F39 mitral annular calcification.
    MitralAnnularCalcium(mitral_annular_calcium::MitralAnnularCalciumSpec),
    /// F19 coronary artery calcification (with optional look-alikes).
    CoronaryCalcium(coronary_calcium::CoronaryCalciumSpec),
    /// F28 rib fracture (displaced, undisplaced or healed).
    RibFracture(rib_fracture::RibFractureSpec),
    /// F29 vertebral compression fracture.
    VertebralFracture(vertebral_fracture::VertebralFractureSpec),
    /// F30 low bone density.
    LowBoneDensity(bone_density::LowBoneDensitySpec),
    /// F32 hepatic steatosis.
    HepaticSteatosis(steatosis::HepaticSteatosisSpec),
}

impl LesionSpec {
    /// Places the lesion on the anatomy.
    pub fn place(
        &self,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<Box<dyn Lesion>, PhantomError> {
        match self {
            LesionSpec::Nodule(s) => Ok(Box::new(nodule::Nodule::place(s, model, r)?)),
            LesionSpec::Subsolid(s) => Ok(Box::new(subsolid::Subsolid::place(s, model, r)?)),
            LesionSpec::Mass(s) => Ok(Box::new(mass::Mass::place(s, model, r)?)),
            LesionSpec::Emphysema(s) => Ok(Box::new(emphysema::Emphysema::place(s, model, r)?)),
            LesionSpec::Effusion(s) => Ok(Box::new(effusion::Effusion::place(s, model, r)?)),
            LesionSpec::Pneumothorax(s) => {
                Ok(Box::new(pneumothorax::Pneumothorax::place(s, model, r)?))
            }
            LesionSpec::Cardiomegaly(s) => {
                Ok(Box::new(cardiomegaly::Cardiomegaly::place(s, model, r)?))
            }
            LesionSpec::PericardialEffusion(s) => Ok(Box::new(
                pericardial_effusion::PericardialEffusion::place(s, model, r)?,
            )),
            LesionSpec::AorticDilation(s) => Ok(Box::new(aortic_dilation::AorticDilation::place(
                s, model, r,
            )?)),
            LesionSpec::CoronaryCalcium(s) => Ok(Box::new(
                coronary_calcium::CoronaryCalcium::place(s, model, r)?,
            )),
            LesionSpec::AorticValveCalcium(s) => Ok(Box::new(
                aortic_valve_calcium::AorticValveCalcium::place(s, model, r)?,
            )),
            LesionSpec::AorticCalcium(s) => {
                Ok(Box::new(aortic_calcium::AorticCalcium::place(s, model, r)?))
            }
            LesionSpec::MitralAnnularCalcium(s) => Ok(Box::new(
                mitral_annular_calcium::MitralAnnularCalcium::place(s, model, r)?,
            )),
            LesionSpec::RibFracture(s) => {
                Ok(Box::new(rib_fracture::RibFracture::place(s, model, r)?))
            }
            LesionSpec::VertebralFracture(s) => Ok(Box::new(
                vertebral_fracture::VertebralFracture::place(s, model, r)?,
            )),
            LesionSpec::LowBoneDensity(s) => {
                Ok(Box::new(bone_density::LowBoneDensity::place(s, model, r)?))
            }
            LesionSpec::HepaticSteatosis(s) => {
                Ok(Box::new(steatosis::HepaticSteatosis::place(s, model, r)?))
            }
        }
    }
}

/// Makes a lesion request with its parameters left to be drawn.
pub type MakeSpec = fn() -> LesionSpec;

/// Finding codes the phantom can insert, each with the lesion request
/// that makes it (parameters left to be drawn). One row per lesion kind;
/// `--findings`, suites and [`draw_specs`] read this table.
pub const SUPPORTED: &[(&str, MakeSpec)] = &[
    ("F01", || LesionSpec::Nodule(nodule::NoduleSpec::default())),
    ("F02", || {
        LesionSpec::Subsolid(subsolid::SubsolidSpec::default())
    }),
    ("F03", || LesionSpec::Mass(mass::MassSpec::default())),
    ("F05", || {
        LesionSpec::Emphysema(emphysema::EmphysemaSpec::default())
    }),
    ("F14", || {
        LesionSpec::Effusion(effusion::EffusionSpec::default())
    }),
    ("F15", || {
        LesionSpec::Pneumothorax(pneumothorax::PneumothoraxSpec::default())
    }),
    ("F17", || {
        LesionSpec::Cardiomegaly(cardiomegaly::CardiomegalySpec::default())
    }),
    ("F18", || {
        LesionSpec::PericardialEffusion(pericardial_effusion::PericardialEffusionSpec::default())
    }),
    ("F19", || {
        LesionSpec::CoronaryCalcium(coronary_calcium::CoronaryCalciumSpec::default())
    }),
    ("F20", || {
        LesionSpec::AorticValveCalcium(aortic_valve_calcium::AorticValveCalciumSpec::default())
    }),
    ("F21", || {
        LesionSpec::AorticCalcium(aortic_calcium::AorticCalciumSpec::default())
    }),
    ("F22", || {
        LesionSpec::AorticDilation(aortic_dilation::AorticDilationSpec::default())
    }),
    ("F28", || {
        LesionSpec::RibFracture(rib_fracture::RibFractureSpec::default())
    }),
    ("F29", || {
        LesionSpec::VertebralFracture(vertebral_fracture::VertebralFractureSpec::default())
    }),
    ("F30", || {
        LesionSpec::LowBoneDensity(bone_density::LowBoneDensitySpec::default())
    }),
    ("F32", || {
        LesionSpec::HepaticSteatosis(steatosis::HepaticSteatosisSpec::default())
    }),
    ("F39", || {
        LesionSpec::MitralAnnularCalcium(mitral_annular_calcium::MitralAnnularCalciumSpec::default())
    }),
];

/// The lesion request for finding `code` with drawn parameters, or
/// `None` when the phantom cannot insert that finding.
pub fn spec_for_code(code: &str) -> Option<LesionSpec> {
    SUPPORTED
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, make)| make())
}

/// The finding codes the phantom can insert.
pub fn supported_codes() -> impl Iterator<Item = &'static str> {
    SUPPORTED.iter().map(|(c, _)| *c)
}

/// Lesions drawn for an abnormal phantom without explicit requests.
pub fn draw_specs(seed: u64) -> Vec<LesionSpec> {
    let r = &mut rng::stream(seed, "lesion-draw");
    let n = 1 + rng::weighted(r, &[0.4, 0.3, 0.2, 0.1]);
    (0..n)
        .map(|_| LesionSpec::Nodule(nodule::NoduleSpec::default()))
        .collect()
}

/// The requests as placed: one request may stand for several lesions
/// (bilateral emphysema is one per lung; a mass in atelectasis brings its
/// effusion; coronary calcium with look-alikes brings mild aortic wall
/// and mitral annular calcium, stated as F21 and F39, each unless
/// requested too: one per exam),
/// sharing values drawn from a stream of the request.
fn expand(seed: u64, specs: &[LesionSpec]) -> Vec<LesionSpec> {
    let mut out = Vec::with_capacity(specs.len());
    let asked_aortic = specs
        .iter()
        .any(|s| matches!(s, LesionSpec::AorticCalcium(_)));
    let asked_mitral = specs
        .iter()
        .any(|s| matches!(s, LesionSpec::MitralAnnularCalcium(_)));
    for (i, s) in specs.iter().enumerate() {
        let r = &mut rng::stream_indexed(seed, "lesion-expand", i as u64);
        match s {
            LesionSpec::Emphysema(e) => out.extend(
                emphysema::per_lung(e, r)
                    .into_iter()
                    .map(LesionSpec::Emphysema),
            ),
            LesionSpec::Mass(m) => out.extend(mass::with_companions(m, r)),
            LesionSpec::CoronaryCalcium(c) => {
                let look = c
                    .lookalikes
                    .unwrap_or_else(|| rng::chance(r, coronary_calcium::LOOKALIKE_CHANCE));
                out.push(LesionSpec::CoronaryCalcium(
                    coronary_calcium::CoronaryCalciumSpec {
                        lookalikes: Some(look),
                        ..c.clone()
                    },
                ));
                // One F21 and one F39 per exam: a requested one stands for
                // each.
                if look && !asked_aortic {
                    out.push(LesionSpec::AorticCalcium(
                        aortic_calcium::AorticCalciumSpec {
                            grade: Some(aortic_calcium::AorticCalciumGrade::Mild),
                        },
                    ));
                }
                if look && !asked_mitral {
                    out.push(LesionSpec::MitralAnnularCalcium(
                        mitral_annular_calcium::MitralAnnularCalciumSpec::default(),
                    ));
                }
            }
            _ => out.push(s.clone()),
        }
    }
    out
}

/// Places every requested (or drawn) lesion, each from its own stream.
pub fn place_all(
    model: &PhantomModel,
    specs: &[LesionSpec],
) -> Result<Vec<Box<dyn Lesion>>, PhantomError> {
    use rayon::prelude::*;
    let specs = expand(model.params.seed, specs);
    // Lesions that integrate over a lung share its samples: draw both
    // lungs' first (each draw is parallel itself), so that placements
    // running in parallel never wait on, or re-enter, a draw.
    if specs.iter().any(|s| {
        matches!(
            s,
            LesionSpec::Emphysema(_) | LesionSpec::Effusion(_) | LesionSpec::Pneumothorax(_)
        )
    }) {
        rayon::join(
            || pleura::lung_samples(model, pleura::Side::Right),
            || pleura::lung_samples(model, pleura::Side::Left),
        );
    }
    specs
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut r = rng::stream_indexed(model.params.seed, "lesion", i as u64);
            s.place(model, &mut r)
        })
        .collect()
}
