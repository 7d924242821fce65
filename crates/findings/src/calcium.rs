//! `airad.calcium`: coronary artery calcification (FINDINGS.md F19),
//! scored by the Agatston method on non-gated chest CT, and, among the
//! calcium it does not count as coronary, aortic valve calcification
//! (F20, [`valve`]: the calcium at the aortic root, scored by the same
//! Agatston method) and mitral annular calcification (F39, [`mitral`]:
//! the rest of the intracardiac calcium in the left heart).
//!
//! Method (CPU only):
//! 1. [`detect`]: the search region is the pericardial sac and the heart
//!    (masks of `airad.heart`) grown by
//!    [`CAC_SEARCH_MARGIN_MM`](crate::constants::CAC_SEARCH_MARGIN_MM):
//!    the coronary arteries run in the epicardial fat of the AV and
//!    interventricular grooves, on the heart's surface. Voxels of 130 HU
//!    or more there form 26-connected components. A component is *not*
//!    coronary when it lies mostly within
//!    [`CAC_AORTA_MARGIN_MM`](crate::constants::CAC_AORTA_MARGIN_MM) of
//!    the aorta mask (aortic root and wall calcium), when its peak is
//!    within the noise of soft tissue (40 HU +
//!    [`CAC_NOISE_K`](crate::constants::CAC_NOISE_K) noise SDs, the SD
//!    measured in the epicardial fat), when its median voxel lies deeper
//!    than [`CAC_MAX_DEPTH_MM`](crate::constants::CAC_MAX_DEPTH_MM) in the
//!    heart mask (valves, mitral annulus), or when less than
//!    [`CAC_MIN_FAT_SHARE`](crate::constants::CAC_MIN_FAT_SHARE) of the
//!    voxels within [`CAC_SHELL_MM`](crate::constants::CAC_SHELL_MM) of it
//!    are fat (calcium enclosed by blood and myocardium: annulus, valve),
//!    or more than
//!    [`CAC_MAX_AIR_SHARE`](crate::constants::CAC_MAX_AIR_SHARE) of them
//!    are aerated lung (the pericardium and pleura at the heart's border,
//!    where noise and pericardial calcification reach 130 HU; coronary
//!    arteries lie in the fat of the grooves, not against the lung).
//!    Components are grown over the whole neighbourhood (the search
//!    region grown by [`CAC_OUTSIDE_MM`](crate::constants::CAC_OUTSIDE_MM)):
//!    one with more than
//!    [`CAC_OUTSIDE_SHARE`](crate::constants::CAC_OUTSIDE_SHARE) of its
//!    voxels outside the region continues into something else (sternum,
//!    ribs, costal cartilage, spine, aortic wall beyond the heart, a
//!    calcified node) and is never coronary, even where an imperfect
//!    heart or sac mask reaches it.
//! 2. Territory, by the lesion's centroid in the heart's frame (centroid
//!    of the heart mask, coordinates in half extents of its bounding box;
//!    x towards the patient's left, y posterior, z superior): x below
//!    [`CAC_RCA_MAX_U`](crate::constants::CAC_RCA_MAX_U) RCA (right AV
//!    groove and its posterior descending course); otherwise y above
//!    [`CAC_LCX_MIN_V`](crate::constants::CAC_LCX_MIN_V) LCx (left AV
//!    groove, posterior-left); otherwise, in the top of the heart
//!    (z above [`CAC_LM_MIN_W`](crate::constants::CAC_LM_MIN_W)) and within
//!    [`CAC_LM_AORTA_MM`](crate::constants::CAC_LM_AORTA_MM) of the aorta,
//!    LM; otherwise LAD (anterior interventricular groove, anterior-left).
//! 3. [`agatston`]: Agatston et al., JACC 1990: per axial slice,
//!    8-connected lesions of >= 130 HU and >= 1 mm^2, area x weight 1-4 by
//!    the lesion's peak HU (130/200/300/400). On 3 mm slices the native
//!    slices are scored. Thinner scans are scored on 3 mm slabs averaged
//!    from the native slices (each weighted by its overlap, slabs from the
//!    outer edge of the scan's first slice): the method's own slice
//!    thickness, so partial volume and noise match those Agatston
//!    thresholds were set on. The score of the native slices scaled by
//!    spacing / 3 mm (the slice-thickness correction of scores obtained on
//!    other than 3 mm slices, e.g. the MESA/CARDIA protocol, Carr et al.,
//!    Radiology 2005) is stated beside it in `extra` and is the score on
//!    slices thicker than 3 mm. `extra.agatston_partial_volume` repeats
//!    the score with each lesion's area taken as its calcium excess over
//!    soft tissue divided by its peak excess (no larger than its 130 HU
//!    area): on coarse pixels the 130 HU area overstates small dense
//!    plaques and this lower estimate understates them; on the phantoms
//!    the ideal score lay between the two in 5 of 6 cases.
//! 4. Grade: CAC-DRS (Hecht et al., J Cardiovasc Comput Tomogr 2018)
//!    A0 / A1 1-99 / A2 100-299 / A3 >= 300 with the vessel count (e.g.
//!    A2/N3); on non-gated CT (all chest CTs read here) the SCCT/STR 2016
//!    ordinal grade none/mild/moderate/severe by the same bounds, and the
//!    Agatston score is labelled "estimated".
//! 5. Slices thicker than 3 mm: small calcium is averaged below 130 HU,
//!    so CAC = 0 cannot be asserted: with nothing found F19 is listed in
//!    `not_assessed` with that reason; a finding is marked limited and not
//!    assessable. CAC = 0 on <= 3 mm slices goes to `exam_measurements`.
//!
//! The finding's mask is the counted calcium voxels (lesions.nii.gz).

pub mod agatston;
pub mod detect;
pub mod mitral;
pub mod valve;

use aisu::{
    Aisu, AisuError, Category, Context, ExamMeasurement, FindingDraft, Manifest, Mask, Measurement,
    Site, Urgency,
};
use serde_json::json;

use crate::constants::{CAC_DRS_BOUNDS, CAC_MAX_SLICE_MM};
use detect::{HeartFrame, VESSELS, Verdict};

/// Codes this unit emits.
pub const CODES: [&str; 3] = ["F19", "F20", "F39"];

/// The coronary calcium unit.
pub struct Calcium {
    manifest: Manifest,
}

impl Default for Calcium {
    fn default() -> Self {
        Calcium {
            manifest: Manifest::new(
                "airad.calcium",
                env!("CARGO_PKG_VERSION"),
                "Coronary artery calcification (estimated Agatston score per vessel, CAC-DRS), \
                 aortic valve calcification (Agatston score) and mitral annular calcification",
            )
            .optional(&[
                "mask:heart",
                "mask:pericardium",
                "mask:epicardial_fat",
                "mask:aorta",
            ])
            .codes(&CODES)
            .resources(1, 800, 60.0),
        }
    }
}

/// What [`analyse`] found.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Agatston score per vessel (LM, LAD, LCx, RCA).
    pub by_vessel: [f64; 4],
    /// Per vessel on native slices scaled by spacing / 3 mm.
    pub native_scaled: [f64; 4],
    /// Per vessel with partial-volume lesion areas.
    pub partial_volume: [f64; 4],
    /// Method of `by_vessel`.
    pub method: &'static str,
    /// Counted calcium voxels.
    pub mask: Mask,
    /// Calcium volume, mm^3.
    pub volume_mm3: f64,
    /// Noise SD in the epicardial fat, HU.
    pub noise_hu: f32,
    /// Components by verdict: coronary, aortic, intracardiac, no fat,
    /// noise, outside, lung border.
    pub counts: [usize; 7],
    /// Every component (for diagnostics): centroid, peak, depth, fat
    /// share, aorta share, verdict, vessel.
    pub components: Vec<detect::Component>,
    /// Mitral annular calcification: its voxels, volume (mm^3) and the
    /// measurement of [`mitral::find`].
    pub mac: Option<(Mask, f64, mitral::Mac)>,
    /// Aortic valve calcification (`None` without calcium in the valve
    /// zone).
    pub valve: Option<valve::ValveCalcium>,
}

/// CAC-DRS Agatston category 0-3 of a total.
pub fn cac_drs(total: f64) -> u8 {
    let a = total.round();
    if a <= 0.0 {
        0
    } else if a < CAC_DRS_BOUNDS[0] {
        1
    } else if a < CAC_DRS_BOUNDS[1] {
        2
    } else {
        3
    }
}

/// Finds and scores the coronary calcium, and the valve's and the mitral
/// annulus'; `None` without a heart.
pub fn analyse(
    ct: &volume::Volume<i16>,
    heart: &Mask,
    sac: Option<&Mask>,
    fat: Option<&Mask>,
    aorta: Option<&Mask>,
) -> Result<Option<Analysis>, AisuError> {
    let Some(frame) = HeartFrame::of(heart) else {
        return Ok(None);
    };
    let zone = valve::Zone { frame };
    let Some(mut scene) = detect::find(ct, heart, sac, fat, aorta, Some(&zone))? else {
        return Ok(None);
    };
    let g = *scene.hu.geometry();
    let mut owner = vec![0u8; g.len()];
    let mut counts = [0usize; 7];
    let mut n_voxels = 0usize;
    for c in scene.components.iter_mut() {
        let k = match c.verdict {
            Verdict::Coronary => 0,
            Verdict::Aortic => 1,
            Verdict::Intracardiac => 2,
            Verdict::NoFat => 3,
            Verdict::Noise => 4,
            Verdict::Outside => 5,
            Verdict::LungBorder => 6,
        };
        counts[k] += 1;
        if c.verdict != Verdict::Coronary {
            continue;
        }
        c.vessel = detect::territory(&frame, c.centroid, c.aorta_mm);
        for &i in &c.voxels {
            owner[i] = c.vessel as u8 + 1;
        }
        n_voxels += c.voxels.len();
    }
    let score = agatston::score(&scene.hu, &owner, scene.bbox.lo[2]);
    let full = *ct.geometry();
    let valve_parts = valve::find(&scene.components, &zone, scene.noise_hu);
    let valve = valve::measure(&scene, &valve_parts, full)?;
    for (k, c) in scene.components.iter().enumerate() {
        let l = frame.local(c.centroid);
        if c.peak_hu >= crate::constants::AVC_MIN_PEAK_HU && l[2] > 0.3 && l[2] < 1.5 {
            tracing::debug!(
                "calcium: component {k}: {} voxels, peak {:.0} HU, {:?}, heart frame \
                 [{:.2}, {:.2}, {:.2}], valve {}",
                c.voxels.len(),
                c.peak_hu,
                c.verdict,
                l[0],
                l[1],
                l[2],
                valve_parts.contains(&k)
            );
        }
    }
    let [cx, cy, _] = g.dims;
    let mac = mitral::find(
        &scene.components,
        &valve_parts,
        &frame,
        scene.hu.as_slice(),
        |i| {
            g.index_to_lps([
                (i % cx) as f64,
                ((i / cx) % cy) as f64,
                (i / (cx * cy)) as f64,
            ])
        },
    )
    .map(|m| {
        let mut bits = vec![false; g.len()];
        for &i in &m.voxels {
            bits[i] = true;
        }
        let volume = m.voxels.len() as f64 * g.voxel_volume_mm3();
        Mask::from_crop(full, scene.bbox.lo, g.dims, bits)
            .map(|mask| (mask, volume, m))
            .map_err(AisuError::Failed)
    })
    .transpose()?;
    let dims = g.dims;
    let bits: Vec<bool> = owner.iter().map(|o| *o > 0).collect();
    let mask = if n_voxels > 0 {
        Mask::from_crop(full, scene.bbox.lo, dims, bits).map_err(AisuError::Failed)?
    } else {
        Mask::empty(full)
    };
    Ok(Some(Analysis {
        by_vessel: score.by_vessel,
        native_scaled: score.native_scaled,
        partial_volume: score.partial_volume,
        method: score.method,
        mask,
        volume_mm3: n_voxels as f64 * g.voxel_volume_mm3(),
        noise_hu: scene.noise_hu,
        counts,
        components: scene.components,
        mac,
        valve,
    }))
}

/// The F39 finding of the mitral annular calcium found.
fn mac_finding(
    mask: &Mask,
    volume_mm3: f64,
    mac: &mitral::Mac,
    context: aisu::ExamContext,
    thick: bool,
    slice_mm: f64,
) -> FindingDraft {
    let mut d = FindingDraft::new("F39", mask.clone());
    d.site = Site {
        structure: Some("mitral annulus".into()),
        ..Default::default()
    };
    let mut m = Measurement::new("calcium_volume", (volume_mm3 * 10.0).round() / 10.0, "mm3");
    m.method = Some("voxels at each lesion's half maximum over soft tissue".into());
    d.measurements.push(m);
    d.category = Some(Category {
        system: "mitral annular calcification (FINDINGS.md F39)".into(),
        value: if mac.extensive() {
            "extensive".into()
        } else {
            "present".into()
        },
        context,
    });
    d.morphology = vec!["calcified".into()];
    d.urgency = Urgency::Incidental;
    d.confidence = if mac.arc_deg.is_some() { 0.8 } else { 0.6 };
    match mac.arc_deg {
        Some(a) => {
            d.extra.insert("arc_deg".into(), json!(a.round()));
        }
        None => {
            d.extra.insert(
                "limited".into(),
                json!("the calcium does not lie on a ring of the annulus' size: its arc is not measured"),
            );
        }
    }
    if thick {
        d.extra.insert(
            "slice_note".into(),
            json!(format!(
                "slice thickness {slice_mm:.1} mm: small calcium is averaged below 130 HU"
            )),
        );
    }
    d
}

impl Aisu for Calcium {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let exam = ctx.exam();
        let slice_mm = crate::slice_thickness_mm(exam, ct).max(ct.spacing()[2]);
        let heart = ctx.mask_opt("mask:heart")?;
        let Some(heart) = heart.filter(|h| !h.is_empty()) else {
            for code in CODES {
                ctx.not_assessed(code, "no heart was found in the field of view")?;
            }
            return Ok(());
        };
        let sac = ctx.mask_opt("mask:pericardium")?;
        let fat = ctx.mask_opt("mask:epicardial_fat")?;
        let aorta = ctx.mask_opt("mask:aorta")?;
        ctx.check_cancelled()?;
        let Some(r) = analyse(ct, &heart, sac.as_deref(), fat.as_deref(), aorta.as_deref())? else {
            for code in CODES {
                ctx.not_assessed(code, "no heart was found in the field of view")?;
            }
            return Ok(());
        };
        let thick = slice_mm > CAC_MAX_SLICE_MM + 1e-6;
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        if let Some(v) = &r.valve {
            ctx.emit(valve::finding(v, exam, thick, slice_mm))?;
        }
        if let Some((mask, volume, mac)) = &r.mac {
            ctx.emit(mac_finding(
                mask,
                *volume,
                mac,
                exam.context,
                thick,
                slice_mm,
            ))?;
        }
        let by_vessel = r.by_vessel.map(round1);
        let total = round1(by_vessel.iter().sum());
        tracing::debug!(
            "calcium: total {total}, by vessel {by_vessel:?}, components {:?}, noise {:.0} HU",
            r.counts,
            r.noise_hu
        );
        if total <= 0.0 {
            if thick {
                return ctx.not_assessed(
                    "F19",
                    &format!(
                        "slice thickness {slice_mm:.1} mm > {CAC_MAX_SLICE_MM} mm: CAC = 0 cannot be asserted"
                    ),
                );
            }
            return ctx.measure(ExamMeasurement {
                code: "F19".into(),
                name: "agatston".into(),
                value: 0.0,
                unit: "1".into(),
                site: None,
            });
        }
        let involved: Vec<&str> = VESSELS
            .iter()
            .zip(by_vessel)
            .filter(|(_, a)| *a > 0.0)
            .map(|(v, _)| *v)
            .collect();
        let n = involved.len();
        let cat = cac_drs(total);
        let ordinal = ["none", "mild", "moderate", "severe"][cat as usize];
        let mut d = FindingDraft::new("F19", r.mask.clone());
        let mut site = Site {
            structure: Some("coronary arteries".into()),
            ..Default::default()
        };
        site.extra.insert("vessels".into(), json!(involved));
        d.site = site;
        let method = Some("estimated, non-gated".to_string());
        let mut m = Measurement::new("agatston", total, "1");
        m.method = method.clone();
        d.measurements.push(m);
        for (v, a) in VESSELS.iter().zip(by_vessel) {
            let mut m = Measurement::new(format!("agatston_{}", v.to_ascii_lowercase()), a, "1");
            m.method = method.clone();
            d.measurements.push(m);
        }
        d.measurements
            .push(Measurement::new("vessels_involved", n as f64, "1"));
        d.category = Some(Category {
            system: "CAC-DRS".into(),
            value: if cat == 0 {
                "A0".into()
            } else {
                format!("A{cat}/N{n}")
            },
            context: exam.context,
        });
        d.morphology = vec!["calcified".into(), ordinal.into()];
        d.urgency = if cat >= 2 {
            Urgency::Routine
        } else {
            Urgency::Incidental
        };
        d.confidence = (0.6 + 0.1 * f64::from(cat)).min(0.95);
        d.extra.insert("scct_str_2016".into(), json!(ordinal));
        d.extra.insert("agatston_method".into(), json!(r.method));
        d.extra.insert(
            "agatston_native_scaled".into(),
            json!(round1(r.native_scaled.iter().sum())),
        );
        d.extra.insert(
            "agatston_partial_volume".into(),
            json!(round1(r.partial_volume.iter().sum())),
        );
        d.extra
            .insert("calcium_volume_mm3".into(), json!(round1(r.volume_mm3)));
        if thick {
            d.assessable = false;
            d.extra.insert(
                "limited".into(),
                json!(format!(
                    "slice thickness {slice_mm:.1} mm > {CAC_MAX_SLICE_MM} mm: the Agatston score is underestimated and CAC = 0 cannot be asserted"
                )),
            );
        }
        ctx.emit(d)
    }
}
