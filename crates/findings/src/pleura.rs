//! `airad.pleura`: pleural effusion and haemothorax (FINDINGS.md F14) and
//! pneumothorax (F15), one finding per side.
//!
//! Both sit between the lung and the costal pleura, so both read the
//! wall model of [`wall`] (where the parietal pleura lies, from the rib
//! cage); [`effusion`] looks for dependent fluid outside the aerated lung,
//! [`pneumothorax`] for non-dependent air inside the lungs unit's lung
//! mask (which takes every air voxel in the chest as lung). Module docs
//! hold the methods and their sources; every threshold is in
//! [`crate::constants`].
//!
//! The unit also publishes `mask:pleural_air` (the pneumothoraces of both
//! sides, absent when there is none), so that a unit measuring the lung
//! (emphysema) can leave the pleural air out of the lung mask that holds
//! it.
//!
//! Grades and urgency (FINDINGS.md): effusion size by the Moy 2013
//! anteroposterior quartile (1 small, 2 moderate, 3-4 large); fluid over
//! 30 HU flags possible haemothorax; a suspected haemothorax or a large
//! effusion is tier 2 (with no prior, a large effusion may be new).
//! Pneumothorax large when the rim at the hilum exceeds 2 cm (BTS 2010):
//! tier 1; a small one is tier 2 (whether it is new cannot be told
//! without a prior).

pub mod effusion;
pub mod pneumothorax;
pub mod wall;

use aisu::{
    Aisu, AisuError, Category, Context, FindingDraft, Manifest, Measurement, Site, Urgency,
};
use serde_json::json;

use crate::constants::{
    CARINA_HEIGHT_ESTIMATE, CARINA_HEIGHT_SHARE, EFFUSION_LARGE_QUARTILE, HAEMOTHORAX_HU,
    PTX_LARGE_RIM_MM,
};
use wall::{Hemithorax, Scene};

/// Codes this unit emits.
pub const CODES: [&str; 2] = ["F14", "F15"];

/// In-plane margin of the crop around the lungs, mm (the chest wall and
/// the fluid beside the lung), and along z (the recess below it).
const CROP_MM: (f64, f64) = (40.0, 80.0);

/// The pleura unit.
pub struct Pleura {
    manifest: Manifest,
}

impl Default for Pleura {
    fn default() -> Self {
        Pleura {
            manifest: Manifest::new(
                "airad.pleura",
                env!("CARGO_PKG_VERSION"),
                "Pleural effusion (and haemothorax) and pneumothorax, per side",
            )
            .requires(&["mask:body"])
            .optional(&[
                "mask:lung_right",
                "mask:lung_left",
                "mask:trachea",
                "landmarks:airway",
            ])
            .produces(&["mask:pleural_air"])
            .codes(&CODES)
            .resources(2, 1500, 60.0),
        }
    }
}

impl Aisu for Pleura {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let full = *ct.geometry();
        let exam = ctx.exam();
        let body = ctx.mask("mask:body")?;
        let right = ctx.mask_opt("mask:lung_right")?;
        let left = ctx.mask_opt("mask:lung_left")?;
        // The carina (the hilum lies just below it), else the lower end of
        // the tracheal mask (the airways unit ends it at the carina), each
        // only when it lies at a plausible height in the lungs; else a
        // height estimated from the lungs' extent.
        let lung_z = lungs_z_range(&full, right.as_deref(), left.as_deref());
        let plausible = |z: f64| {
            lung_z.is_some_and(|(lo, hi)| {
                z >= lo + CARINA_HEIGHT_SHARE.0 * (hi - lo)
                    && z <= lo + CARINA_HEIGHT_SHARE.1 * (hi - lo)
            })
        };
        let landmark = ctx
            .landmarks("landmarks:airway")
            .ok()
            .and_then(|l| l.get("carina").map(|p| p[2]))
            .filter(|z| plausible(*z));
        let trachea_end = ctx
            .mask_opt("mask:trachea")?
            .and_then(|t| {
                t.bbox_index().map(|(lo, hi)| {
                    let a = full.index_to_lps([lo[0] as f64, lo[1] as f64, lo[2] as f64])[2];
                    let b = full.index_to_lps([hi[0] as f64, hi[1] as f64, hi[2] as f64])[2];
                    a.min(b)
                })
            })
            .filter(|z| plausible(*z));
        let (carina_z, carina_estimated) = match landmark.or(trachea_end) {
            Some(z) => (Some(z), false),
            None => (
                lung_z.map(|(lo, hi)| lo + CARINA_HEIGHT_ESTIMATE * (hi - lo)),
                true,
            ),
        };
        let Some(scene) =
            Scene::build(ct, &body, right.as_deref(), left.as_deref(), CROP_MM, None)?
        else {
            for code in CODES {
                ctx.not_assessed(code, "no lung was found in the field of view")?;
            }
            ctx.absent("mask:pleural_air", "no lung in the field of view")?;
            return Ok(());
        };
        // Pleural air of both sides, for units that measure the lung
        // (the lungs unit's masks take it in).
        let mut pleural_air = vec![false; scene.g.len()];
        ctx.check_cancelled()?;
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        for is_right in [true, false] {
            let side = if is_right { "right" } else { "left" };
            let Some(h) = Hemithorax::build(&scene, is_right) else {
                for code in CODES {
                    ctx.not_assessed(
                        code,
                        &format!("{side} side: no aerated {side} lung to measure from"),
                    )?;
                }
                continue;
            };
            ctx.check_cancelled()?;
            let site = Site {
                side: Some(side.into()),
                ..Default::default()
            };
            if let Some(f) = effusion::detect(&scene, &h) {
                let mask = scene.to_mask(&f.bits, &full)?;
                if !mask.is_empty() {
                    let q = f.ap_quartile();
                    let haemo = f.mean_hu > HAEMOTHORAX_HU;
                    let mut d = FindingDraft::new("F14", mask);
                    d.site = site.clone();
                    let mut vol = Measurement::new("volume", round1(f.volume_ml), "mL");
                    vol.method = Some(
                        "fluid voxels between lung and costal pleura, border by partial volume"
                            .into(),
                    );
                    let mut apq = Measurement::new("ap_quartile", f64::from(q), "1");
                    apq.method = Some(
                        "largest anteroposterior fluid extent over the hemithorax depth on that \
                         slice, in quarters (Moy 2013)"
                            .into(),
                    );
                    d.measurements = vec![
                        vol,
                        apq,
                        Measurement::new("max_depth", f.max_depth.round(), "mm"),
                        Measurement::new("mean_hu", f.mean_hu.round(), "HU"),
                    ];
                    d.category = Some(Category {
                        system: "Moy 2013 AP quartile".into(),
                        value: match q {
                            1 => "small",
                            2 => "moderate",
                            _ => "large",
                        }
                        .into(),
                        context: exam.context,
                    });
                    d.morphology = vec!["free".into(), "dependent".into()];
                    if haemo {
                        d.morphology.push("hyperdense".into());
                        d.extra.insert("possible_haemothorax".into(), json!(true));
                    }
                    d.urgency = if haemo || q >= EFFUSION_LARGE_QUARTILE {
                        Urgency::Tier2
                    } else {
                        Urgency::Routine
                    };
                    if q >= EFFUSION_LARGE_QUARTILE && !haemo {
                        d.extra.insert(
                            "urgency_reason".into(),
                            json!("large effusion; without a prior it may be new"),
                        );
                    }
                    d.extra
                        .insert("fluid_level_hu".into(), json!(f.level_hu.round()));
                    d.extra.insert(
                        "ap_ratio".into(),
                        json!((f.ap_ratio * 1000.0).round() / 1000.0),
                    );
                    d.confidence = (0.5 + 0.45 * (f.volume_ml / 100.0).min(1.0)).min(0.95);
                    ctx.emit(d)?;
                }
            }
            ctx.check_cancelled()?;
            if let Some(a) = pneumothorax::detect(&scene, &h, carina_z) {
                for (u, b) in pleural_air.iter_mut().zip(&a.bits) {
                    *u |= *b;
                }
                let mask = scene.to_mask(&a.bits, &full)?;
                if !mask.is_empty() {
                    let rim_for_size = a.hilum_rim.unwrap_or(a.max_rim);
                    let large = rim_for_size > PTX_LARGE_RIM_MM;
                    let mut d = FindingDraft::new("F15", mask);
                    d.site = site.clone();
                    d.measurements = vec![
                        Measurement::new("volume", round1(a.volume_ml), "mL"),
                        Measurement::new("hemithorax_percent", round1(a.hemithorax_percent), "%"),
                        Measurement::new("max_rim", round1(a.max_rim), "mm"),
                    ];
                    d.category = Some(Category {
                        system: "BTS 2010".into(),
                        value: if large { "large" } else { "small" }.into(),
                        context: exam.context,
                    });
                    d.morphology = vec!["non-dependent".into()];
                    d.urgency = if large {
                        Urgency::Tier1
                    } else {
                        Urgency::Tier2
                    };
                    match a.hilum_rim {
                        Some(r) => {
                            d.extra.insert("rim_at_hilum_mm".into(), json!(round1(r)));
                            if carina_estimated {
                                d.extra.insert(
                                    "limited".into(),
                                    json!("carina not found: hilar level estimated from the lungs' height"),
                                );
                            }
                        }
                        None => {
                            d.extra.insert(
                                "limited".into(),
                                json!("hilar level unknown: size graded on the largest rim"),
                            );
                        }
                    }
                    if !large {
                        d.extra.insert(
                            "urgency_reason".into(),
                            json!("small pneumothorax; without a prior it may be new"),
                        );
                    }
                    d.confidence = (0.5 + 0.45 * (a.volume_ml / 50.0).min(1.0)).min(0.95);
                    ctx.emit(d)?;
                }
            }
        }
        let air = scene.to_mask(&pleural_air, &full)?;
        if air.is_empty() {
            ctx.absent("mask:pleural_air", "no pneumothorax found")?;
        } else {
            ctx.put_mask("mask:pleural_air", air)?;
        }
        Ok(())
    }
}

/// The lowest and highest LPS z of the lungs, `None` without lung.
fn lungs_z_range(
    grid: &volume::Geometry,
    right: Option<&aisu::Mask>,
    left: Option<&aisu::Mask>,
) -> Option<(f64, f64)> {
    let mut out: Option<(f64, f64)> = None;
    for m in right.iter().chain(left.iter()) {
        if let Some((lo, hi)) = m.bbox_index() {
            for k in [lo[2], hi[2]] {
                let z = grid.index_to_lps([lo[0] as f64, lo[1] as f64, k as f64])[2];
                out = Some(match out {
                    Some((a, b)) => (a.min(z), b.max(z)),
                    None => (z, z),
                });
            }
        }
    }
    out
}
