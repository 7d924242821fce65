//! `airad.pericardium`: pericardial effusion (FINDINGS.md F18) with its
//! largest thickness, volume and attenuation, and the haemopericardium
//! flag.
//!
//! On a non-contrast scan the heart (blood and myocardium, 35-50 HU) is
//! outlined by epicardial and pericardial fat; pericardial fluid is a
//! layer between the two: of water to exudate density (0-25 HU), or as
//! dense as the heart when it is blood. [`detect`] finds the layer on
//! radial profiles around the heart's outline (fluid clearly below the
//! heart's attenuation, or any fluid with the epicardial fat line
//! between it and the heart), and measures:
//!
//! - `max_thickness`: the diameter of the largest sphere inside the layer;
//! - `volume`: its voxels;
//! - `mean_hu`: the mean attenuation of the layer where it was found.
//!
//! Graded small / moderate / large by the thickness (FINDINGS.md F18),
//! with the haemopericardium flag over [`HAEMOPERICARDIUM_HU`]. The heart
//! size unit takes the layer off the heart's outline before the
//! cardiothoracic ratio (an effusion is not heart).

use aisu::{
    Aisu, AisuError, Category, Context, FindingDraft, Manifest, Measurement, Site, Urgency,
};
use serde_json::json;

use crate::constants::{HAEMOPERICARDIUM_HU, PERICARDIAL_GRADE_MM, PERICARDIAL_MIN_MM};

/// Codes this unit emits.
pub const CODES: [&str; 1] = ["F18"];

/// Structures a pericardial layer does not run into, when their units
/// found them (a layer ends in fat or lung). Not the liver: the abdomen
/// unit's liver can take in a dense effusion over the diaphragm, and the
/// liver itself, beneath the heart, is no layer ending in fat or lung.
pub const OUTSIDE: [&str; 4] = [
    "mask:aorta",
    "mask:pulmonary_artery",
    "mask:svc",
    "mask:esophagus",
];

/// Every optional mask [`surroundings_fluid`] reads.
pub const READS_OPTIONAL: [&str; 5] =
    [OUTSIDE[0], OUTSIDE[1], OUTSIDE[2], OUTSIDE[3], "mask:liver"];

/// The pericardial effusion unit.
pub struct Pericardium {
    manifest: Manifest,
}

impl Default for Pericardium {
    fn default() -> Self {
        Pericardium {
            manifest: Manifest::new(
                "airad.pericardium",
                env!("CARGO_PKG_VERSION"),
                "Pericardial effusion: largest thickness, volume, attenuation, haemopericardium flag",
            )
            .requires(&["mask:heart", "mask:lung_right", "mask:lung_left"])
            .optional(&READS_OPTIONAL)
            .codes(&CODES)
            .resources(1, 600, 20.0),
        }
    }
}

mod detect;

pub use detect::{PericardialFluid, Surroundings, fluid};

/// [`fluid`] around `heart` with the surroundings the context holds (the
/// heart-size unit reads it too, to leave an effusion out of the heart).
pub fn surroundings_fluid(
    ctx: &Context<'_>,
    heart: &aisu::Mask,
) -> Result<Option<PericardialFluid>, AisuError> {
    let lungs = [ctx.mask("mask:lung_right")?, ctx.mask("mask:lung_left")?];
    let mut others = Vec::new();
    for name in OUTSIDE {
        if let Some(m) = ctx.mask_opt(name)? {
            others.push(m);
        }
    }
    let liver = ctx.mask_opt("mask:liver")?;
    let lung_refs: Vec<&aisu::Mask> = lungs.iter().map(|m| &**m).collect();
    let other_refs: Vec<&aisu::Mask> = others.iter().map(|m| &**m).collect();
    let no_grow: Vec<&aisu::Mask> = liver.iter().map(|m| &**m).collect();
    fluid(
        ctx.volume(),
        heart,
        Surroundings {
            lungs: &lung_refs,
            others: &other_refs,
            no_grow: &no_grow,
        },
    )
}

/// The grade of FINDINGS.md F18 for a largest thickness.
pub fn grade(max_thickness_mm: f64) -> &'static str {
    if max_thickness_mm < PERICARDIAL_GRADE_MM[0] {
        "small"
    } else if max_thickness_mm <= PERICARDIAL_GRADE_MM[1] {
        "moderate"
    } else {
        "large"
    }
}

impl Aisu for Pericardium {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let heart = ctx.mask("mask:heart")?;
        let found = surroundings_fluid(ctx, &heart)?;
        let ct = ctx.volume();
        let nz = ct.dims()[2];
        let Some((lo, hi)) = heart.bbox_index() else {
            ctx.not_assessed("F18", "heart not in field of view")?;
            return Ok(());
        };
        let Some(found) = found else {
            return Ok(());
        };
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        let thickness = round1(found.max_thickness_mm);
        let mean_hu = found.mean_hu.round();
        let mut d = FindingDraft::new("F18", found.mask);
        d.site = Site {
            structure: Some("pericardium".into()),
            ..Default::default()
        };
        let mut t = Measurement::new("max_thickness", thickness, "mm");
        t.method = Some(
            "diameter of the largest sphere inside the fluid layer (outer edges at the half \
             levels between fluid and heart, fluid and fat)"
                .into(),
        );
        d.measurements.push(t);
        d.measurements
            .push(Measurement::new("volume", found.volume_ml.round(), "ml"));
        d.measurements
            .push(Measurement::new("mean_hu", mean_hu, "HU"));
        let grade = grade(thickness);
        d.category = Some(Category {
            system: "pericardial effusion size (FINDINGS.md F18)".into(),
            value: grade.into(),
            context: ctx.exam().context,
        });
        let haemo = mean_hu > HAEMOPERICARDIUM_HU;
        if haemo {
            d.extra
                .insert("possible_haemopericardium".into(), json!(true));
        }
        d.urgency = if haemo || grade == "large" {
            Urgency::Tier2
        } else {
            Urgency::Routine
        };
        // Less sure of a thin layer near the normal limit.
        d.confidence = (0.55 + 0.05 * (thickness - PERICARDIAL_MIN_MM)).clamp(0.55, 0.95);
        let mut limited = Vec::new();
        if found.mean_hu > found.heart_hu - 15.0 {
            limited.push(
                "fluid nearly as dense as the heart: its extent is read only where the \
                 epicardial fat separates it, the volume may be low"
                    .to_string(),
            );
        }
        if lo[2] == 0 || hi[2] + 1 >= nz {
            limited.push("heart cut by the scan's end: the volume is partial".into());
        }
        if !limited.is_empty() {
            d.extra.insert("limited".into(), json!(limited.join("; ")));
        }
        d.extra.insert(
            "heart_hu".into(),
            json!((found.heart_hu * 10.0).round() / 10.0),
        );
        ctx.emit(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_follow_the_echocardiographic_convention() {
        assert_eq!(grade(6.0), "small");
        assert_eq!(grade(10.0), "moderate");
        assert_eq!(grade(20.0), "moderate");
        assert_eq!(grade(20.5), "large");
    }

    #[test]
    fn a_layer_of_known_thickness_reads_its_thickness() {
        use volume::{Geometry, Volume};
        // A slab 9 voxels (9 mm at 1 mm) thick in a 40 mm box.
        let g = Geometry::new([40, 40, 40], [1.0; 3], [0.0; 3]);
        let mut v = Volume::filled(g, false);
        for z in 0..40 {
            for y in 0..40 {
                for x in 10..19 {
                    let i = v.linear_index(x, y, z);
                    v.as_slice_mut()[i] = true;
                }
            }
        }
        let t = detect::largest_sphere_mm(&v);
        assert!((t - 9.0).abs() <= 0.6, "{t}");
    }
}
