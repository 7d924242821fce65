//! Aortic valve calcification (FINDINGS.md F20) among the calcified
//! components [`super::detect`] found and did not count as coronary.
//!
//! The valve lies at the heart's base, where the aorta leaves it: central
//! in the heart, a little right of and in front of its centre, in the top
//! of the heart's outline or just above it (the root's sinuses). The
//! aorta unit's centreline would name the root, but on non-contrast CT
//! its track at the root is unreliable (on the phantoms its lowest point
//! lay 10-35 mm from the valve, at times in the pulmonary trunk, which
//! lies against the root), so the valve zone is set in the heart's frame
//! ([`HeartFrame`]: the heart mask's centroid and half extents), as the
//! coronary territories and the mitral annulus are: x in
//! [`AVC_FRAME_X`], y in [`AVC_FRAME_Y`], z in [`AVC_FRAME_Z`]. The zone
//! joins the calcium search region ([`super::detect::find`]), since the
//! root above the heart is outside the heart and sac masks. A component
//! is the valve's when it is not counted as coronary, not noise and not
//! on the lung border (verdicts aortic, intracardiac, without epicardial
//! fat, or continuing out of the heart's region), its peak reaches
//! [`AVC_MIN_PEAK_HU`] and stands clear of the noise as coronary calcium
//! must (40 HU + [`CAC_NOISE_K`] noise SDs: the aortic verdict comes
//! before the noise test, and noise specks in the blood of a noisy 5 mm
//! scan reached 240 HU), and its centroid lies in the zone.
//!
//! The split from its neighbours is by position:
//! - coronary calcium at the ostia (the left main and right coronary
//!   arteries leave the sinuses) keeps the coronary verdict given by its
//!   epicardial fat and is never the valve's;
//! - the mitral annulus' anterior part meets the aortic root (the
//!   aorto-mitral curtain), but the annulus' ring lies lower, at the
//!   atrioventricular junction in the middle of the heart's height (heart
//!   frame z below [`AVC_FRAME_Z`]'s floor on the phantoms): calcium in
//!   the zone is the valve's and [`super::mitral`] does not see it;
//! - aortic wall calcium higher up the ascending aorta (F21) lies above
//!   the zone's ceiling, which stops at the root.
//!
//! The Agatston score is computed as the coronary calcium's, by the book
//! ([`super::agatston`]: 130 HU, 1 mm^2, weights 1-4 by the peak, 3 mm
//! slabs) over the valve's voxels, with each lesion's area taken two
//! ways: its 130 HU area, which the image's blur widens around dense
//! nodules (blooming: +30 to +98 % over the ideal, blur-free score on
//! the phantoms, the most for small nodules and sharp kernels), and its
//! partial-volume area (calcium excess over its peak's), which mostly
//! understates it (-35 to +11 %). The ideal lies between the two bounds,
//! and `agatston` is their mean (-2 to +55 %, median +9 %, on 16 phantoms
//! of 0.625-3 mm slices); the 130 HU score is stated beside it
//! (`agatston_130hu`). The thresholds were set on gated scanners' scores,
//! blooming included: near a threshold the category is uncertain either
//! way.
//!
//! Category (FINDINGS.md F20): above [`AVC_SEVERE_AU`] (1274 AU women,
//! 2065 AU men, thresholds set on gated CT) "possible severe aortic
//! stenosis, echocardiography advised". The sex comes from the exam
//! metadata; when it is unknown, a score above the men's threshold is
//! above both, one at or below the women's below both, and one between
//! them is "possible severe aortic stenosis if female", with a note
//! naming both thresholds. On non-gated CT the score is labelled
//! "estimated"; on slices thicker than 3 mm small calcium is averaged
//! below 130 HU and dense calcium spreads over the slice (phantoms: +5 %
//! and +80 % on 5 and 7 mm slices), and the finding is limited, as for
//! the coronary calcium.

use aisu::{AisuError, Category, ExamInfo, FindingDraft, Mask, Measurement, Site, Urgency};
use anatomy::regions::IndexBox;
use serde_json::json;
use volume::Geometry;

use crate::calcium::agatston;
use crate::calcium::detect::{Component, HeartFrame, Scene, Verdict};
use crate::constants::{
    AVC_FRAME_X, AVC_FRAME_Y, AVC_FRAME_Z, AVC_MIN_PEAK_HU, AVC_SEVERE_AU, CAC_MAX_SLICE_MM,
    CAC_NOISE_K, CAC_SOFT_TISSUE_HU,
};

/// Category system of F20.
pub const CATEGORY_SYSTEM: &str =
    "aortic valve calcification (FINDINGS.md F20, gated-CT thresholds)";
/// Above the threshold (FINDINGS.md F20's words).
pub const CATEGORY_SEVERE: &str = "possible severe aortic stenosis, echocardiography advised";
/// Above the women's threshold, at or below the men's, sex unknown.
pub const CATEGORY_IF_FEMALE: &str =
    "possible severe aortic stenosis if female, echocardiography advised";
/// At or below the threshold.
pub const CATEGORY_BELOW: &str = "below the severe aortic stenosis threshold";

/// The valve zone in a heart's frame.
#[derive(Debug, Clone, Copy)]
pub struct Zone {
    /// The heart's frame.
    pub frame: HeartFrame,
}

impl Zone {
    /// Inside the zone.
    pub fn holds(&self, p: [f64; 3]) -> bool {
        let [x, y, z] = self.frame.local(p);
        (AVC_FRAME_X[0]..=AVC_FRAME_X[1]).contains(&x)
            && (AVC_FRAME_Y[0]..=AVC_FRAME_Y[1]).contains(&y)
            && (AVC_FRAME_Z[0]..=AVC_FRAME_Z[1]).contains(&z)
    }

    /// The zone's box on grid `g` (`None` when it lies off the grid).
    pub fn index_box(&self, g: &Geometry) -> Option<IndexBox> {
        let f = &self.frame;
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for x in AVC_FRAME_X {
            for y in AVC_FRAME_Y {
                for z in AVC_FRAME_Z {
                    let l = [x, y, z];
                    let p: [f64; 3] = std::array::from_fn(|a| f.centre[a] + l[a] * f.half[a]);
                    let q = g.lps_to_index(p);
                    for a in 0..3 {
                        lo[a] = lo[a].min(q[a]);
                        hi[a] = hi[a].max(q[a]);
                    }
                }
            }
        }
        let mut b = IndexBox {
            lo: [0; 3],
            hi: [0; 3],
        };
        for a in 0..3 {
            let top = g.dims[a] as f64 - 1.0;
            if hi[a] < 0.0 || lo[a] > top {
                return None;
            }
            b.lo[a] = lo[a].floor().max(0.0) as usize;
            b.hi[a] = hi[a].ceil().min(top) as usize;
        }
        Some(b)
    }
}

/// Indices of the valve's components; `noise_hu` is the scene's noise SD.
pub fn find(components: &[Component], zone: &Zone, noise_hu: f32) -> Vec<usize> {
    let floor = AVC_MIN_PEAK_HU.max(CAC_SOFT_TISSUE_HU + CAC_NOISE_K * noise_hu);
    components
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            matches!(
                c.verdict,
                Verdict::Aortic | Verdict::Intracardiac | Verdict::NoFat | Verdict::Outside
            ) && c.peak_hu >= floor
                && zone.holds(c.centroid)
        })
        .map(|(k, _)| k)
        .collect()
}

/// The aortic valve calcium found and scored.
#[derive(Debug, Clone)]
pub struct ValveCalcium {
    /// Indices into the scene's components.
    pub components: Vec<usize>,
    /// Its voxels.
    pub mask: Mask,
    /// Agatston score, AU: the mean of the 130 HU and partial-volume
    /// scores (module docs).
    pub agatston: f64,
    /// The score of the 130 HU areas by the method of [`agatston::score`].
    pub agatston_130hu: f64,
    /// On the native slices, scaled by spacing / 3 mm.
    pub native_scaled: f64,
    /// With partial-volume lesion areas.
    pub partial_volume: f64,
    /// How `agatston` was obtained.
    pub method: &'static str,
    /// Volume of its voxels of 130 HU or more, mm^3.
    pub volume_mm3: f64,
}

/// Scores the valve's components `parts` of `scene` (on the CT grid
/// `full`); `None` without any, or when no lesion reaches 1 mm^2.
pub fn measure(
    scene: &Scene,
    parts: &[usize],
    full: Geometry,
) -> Result<Option<ValveCalcium>, AisuError> {
    if parts.is_empty() {
        return Ok(None);
    }
    let g = *scene.hu.geometry();
    let mut owner = vec![0u8; g.len()];
    let mut n = 0usize;
    for &k in parts {
        for &i in &scene.components[k].voxels {
            owner[i] = 1;
            n += 1;
        }
    }
    let score = agatston::score(&scene.hu, &owner, scene.bbox.lo[2]);
    if score.by_vessel[0] <= 0.0 {
        return Ok(None);
    }
    let bits: Vec<bool> = owner.iter().map(|o| *o > 0).collect();
    let mask = Mask::from_crop(full, scene.bbox.lo, g.dims, bits).map_err(AisuError::Failed)?;
    Ok(Some(ValveCalcium {
        components: parts.to_vec(),
        mask,
        agatston: 0.5 * (score.by_vessel[0] + score.partial_volume[0]),
        agatston_130hu: score.by_vessel[0],
        native_scaled: score.native_scaled[0],
        partial_volume: score.partial_volume[0],
        method: score.method,
        volume_mm3: n as f64 * g.voxel_volume_mm3(),
    }))
}

/// The threshold that applies to a patient sex ("F" or "M"), AU; `None`
/// when the sex is unknown or other.
pub fn threshold(sex: Option<&str>) -> Option<f64> {
    match sex.map(|s| s.trim().to_ascii_uppercase()).as_deref() {
        Some("F") => Some(AVC_SEVERE_AU[0]),
        Some("M") => Some(AVC_SEVERE_AU[1]),
        _ => None,
    }
}

/// The category of a score for a patient sex.
pub fn category(agatston: f64, sex: Option<&str>) -> &'static str {
    match threshold(sex) {
        Some(t) if agatston > t => CATEGORY_SEVERE,
        Some(_) => CATEGORY_BELOW,
        None if agatston > AVC_SEVERE_AU[1] => CATEGORY_SEVERE,
        None if agatston > AVC_SEVERE_AU[0] => CATEGORY_IF_FEMALE,
        None => CATEGORY_BELOW,
    }
}

/// The F20 finding of the valve calcium found.
pub fn finding(v: &ValveCalcium, exam: &ExamInfo, thick: bool, slice_mm: f64) -> FindingDraft {
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    let mut d = FindingDraft::new("F20", v.mask.clone());
    d.site = Site {
        structure: Some("aortic valve".into()),
        ..Default::default()
    };
    let mut m = Measurement::new("agatston", round1(v.agatston), "1");
    m.method = Some(if exam.gated {
        "gated".to_string()
    } else {
        "estimated, non-gated".to_string()
    });
    d.measurements.push(m);
    let sex = exam.sex.as_deref();
    let value = category(v.agatston, sex);
    d.category = Some(Category {
        system: CATEGORY_SYSTEM.into(),
        value: value.into(),
        context: exam.context,
    });
    d.morphology = vec!["calcified".into()];
    d.urgency = if value == CATEGORY_BELOW {
        Urgency::Incidental
    } else {
        Urgency::Routine
    };
    d.confidence = 0.8;
    match threshold(sex) {
        Some(t) => {
            d.extra.insert("threshold_au".into(), json!(t));
            d.extra.insert(
                "sex".into(),
                json!(sex.map(|s| s.trim().to_ascii_uppercase())),
            );
        }
        None => {
            d.extra.insert("thresholds_au".into(), json!(AVC_SEVERE_AU));
            d.extra.insert(
                "threshold_note".into(),
                json!(format!(
                    "patient sex unknown: {:.0} AU applies to women, {:.0} AU to men",
                    AVC_SEVERE_AU[0], AVC_SEVERE_AU[1]
                )),
            );
        }
    }
    d.extra.insert(
        "agatston_method".into(),
        json!(format!(
            "mean of the 130 HU-area and partial-volume-area scores, {}",
            v.method
        )),
    );
    d.extra
        .insert("agatston_130hu".into(), json!(round1(v.agatston_130hu)));
    d.extra.insert(
        "agatston_native_scaled".into(),
        json!(round1(v.native_scaled)),
    );
    d.extra.insert(
        "agatston_partial_volume".into(),
        json!(round1(v.partial_volume)),
    );
    d.extra
        .insert("calcium_volume_mm3".into(), json!(round1(v.volume_mm3)));
    if thick {
        d.assessable = false;
        d.extra.insert(
            "limited".into(),
            json!(format!(
                "slice thickness {slice_mm:.1} mm > {CAC_MAX_SLICE_MM} mm: the Agatston score is not reliable (small calcium is averaged below 130 HU, dense calcium spreads over the slice)"
            )),
        );
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_is_the_top_centre_of_the_heart() {
        let zone = Zone {
            frame: HeartFrame {
                centre: [0.0, 0.0, 0.0],
                half: [60.0, 50.0, 50.0],
            },
        };
        // Top centre, a little right and in front: the valve.
        assert!(zone.holds([-6.0, -5.0, 42.0]));
        // The mitral annulus (left, posterior, mid-height), the apex, and
        // the ascending aorta well above the heart.
        assert!(!zone.holds([12.0, 18.0, 0.0]));
        assert!(!zone.holds([30.0, -20.0, -30.0]));
        assert!(!zone.holds([-6.0, -5.0, 75.0]));
    }

    #[test]
    fn the_threshold_follows_the_sex() {
        assert_eq!(category(1500.0, Some("F")), CATEGORY_SEVERE);
        assert_eq!(category(1500.0, Some("M")), CATEGORY_BELOW);
        assert_eq!(category(1500.0, None), CATEGORY_IF_FEMALE);
        assert_eq!(category(2500.0, Some("O")), CATEGORY_SEVERE);
        assert_eq!(category(900.0, None), CATEGORY_BELOW);
        assert_eq!(category(1274.0, Some("f")), CATEGORY_BELOW);
    }
}
