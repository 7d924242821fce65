//! `airad.nodules`: pulmonary nodules and masses (FINDINGS.md F01 solid
//! nodule <= 30 mm, F02 subsolid nodule, F03 mass > 30 mm, F04
//! benign-pattern calcified nodule).
//!
//! Method (CPU only):
//! 1. [`detect`]: the lungs, closed at the pleura so that juxtapleural
//!    lesions an aerated-lung mask leaves out are searched too, with the
//!    soft-tissue lumps the lung wraps round from the mediastinal side
//!    (perihilar masses, [`anatomy::lung_encircled`]) minus the named
//!    vessels (aorta, pulmonary artery, SVC) when their units ran; a
//!    multi-scale Hessian dot filter (Li, Sone & Doi, Med Phys 2003)
//!    that answers to blobs and not to vessels (tubes) or fissures
//!    (plates), at sigmas of 1.2-13.6 mm, each on a grid of about sigma/2.
//! 2. [`segment`]: per seed, half-maximum region growing between the
//!    local lung background and the lesion's level (so ground glass is
//!    segmented at its own level), an opening that cuts attached vessels,
//!    and the vessel test: elongation, running out of the neighbourhood,
//!    and dense structures leaving it (vessel cross-sections and
//!    bifurcations are the main false positives).
//!    Candidates are kept biggest first; the pieces of one mass (a
//!    perihilar mass is searched only where the lung wraps round it, so
//!    it can come in pieces along z) are joined ([`MASS_PIECE_GAP_MM`]),
//!    and a candidate mostly of fat density is mediastinal fat the lung
//!    mask took in ([`MAX_FAT_SHARE`]).
//! 3. [`measure`]: long and short axis (any plane, and axial), mean
//!    diameter, volume, mean and max HU, solid component, calcification.
//! 4. Typing and codes: calcified with a benign pattern (complete or
//!    central) F04; mean diameter over 30 mm F03; solid component at
//!    least 3/4 of the nodule F01; solid component under 2 mm pure
//!    ground glass F02, else part-solid F02.
//! 5. [`grade`]: Lung-RADS v2022 for screening on slices of 2.5 mm or
//!    thinner, Fleischner 2017 for incidental nodules, none otherwise.
//! 6. Thick slices (> 2.5 mm): nodules under 6 mm are reported with
//!    `assessable: false`, typing under 10 mm is marked limited, and F01
//!    and F02 are listed as limited in `not_assessed` (small nodules
//!    cannot be excluded).
//!
//! Site: side and lobe from the lung and lobe masks (majority of the
//! lesion's voxels), zone upper/middle/lower by thirds of the lungs'
//! craniocaudal extent. Each finding's mask is the segmented lesion, so
//! lesions.nii.gz holds it.

pub mod detect;
pub mod grade;
pub mod measure;
pub mod segment;

use aisu::{Aisu, AisuError, Context, FindingDraft, Manifest, Mask, Measurement, Site, Urgency};
use anatomy::regions::{IndexBox, crop, crop_mask, fail, from_vec};
use rayon::prelude::*;
use serde_json::json;
use volume::{Geometry, Volume};

use crate::constants::{
    CALCIFIED_CENTRAL_RADII, CALCIFIED_CENTRAL_SHARE, CALCIFIED_COMPLETE_SHARE, DEFAULT_LUNG_HU,
    GGN_MAX_SOLID_MM, LESION_FAT_HU, LUNG_RADS_MAX_SLICE_MM, MASS_MIN_FILL, MASS_MIN_MM,
    MASS_PIECE_GAP_MM, MASS_PIECE_MIN_HU, MASS_PIECE_MIN_MM, MAX_ELONGATION, MAX_EXIT_SHARE,
    MAX_FAT_SHARE, MAX_MEDIAL_CONTACT_SHARE, MAX_OUTSIDE_LUNG_SHARE, MIN_FILL, MIN_GGN_MM,
    MIN_REPORT_MM, PARENCHYMA_MAX_HU, ROUTINE_MIN_MM, SEARCH_CLOSE_MM, SEGMENT_SMOOTH_MM,
    SOLID_DIAMETER_SHARE, THICK_MIN_NODULE_MM, THICK_MIN_TYPING_MM, TIER3_MIN_MM,
};
use grade::{GradeInput, Kind};
use measure::Measures;
use segment::{Candidate, Scene};

/// Codes this unit emits.
pub const CODES: [&str; 4] = ["F01", "F02", "F03", "F04"];

/// Named vessels the lung wraps round at the hila and in the upper
/// mediastinum: never part of an encircled lump (when their units ran).
const NAMED_VESSELS: [&str; 3] = ["mask:aorta", "mask:pulmonary_artery", "mask:svc"];

/// Lobe masks read for the site, with their names.
const LOBES: [(&str, &str); 5] = [
    ("mask:lobe_rul", "RUL"),
    ("mask:lobe_rml", "RML"),
    ("mask:lobe_rll", "RLL"),
    ("mask:lobe_lul", "LUL"),
    ("mask:lobe_lll", "LLL"),
];

/// The nodule unit.
pub struct Nodules {
    manifest: Manifest,
}

impl Default for Nodules {
    fn default() -> Self {
        Nodules {
            manifest: Manifest::new(
                "airad.nodules",
                env!("CARGO_PKG_VERSION"),
                "Pulmonary nodules and masses: solid, subsolid, mass, benign calcified",
            )
            // Optional rather than required: with one lung absent
            // (pneumonectomy, collapse) the other is still read; with
            // neither, the codes are not assessed with the reason.
            .optional(&[
                "mask:lung_right",
                "mask:lung_left",
                "mask:lobe_rul",
                "mask:lobe_rml",
                "mask:lobe_rll",
                "mask:lobe_lul",
                "mask:lobe_lll",
                "mask:aorta",
                "mask:pulmonary_artery",
                "mask:svc",
            ])
            .codes(&CODES)
            .resources(2, 2000, 90.0),
        }
    }
}

/// A lesion found, on the CT grid.
#[derive(Debug, Clone)]
pub struct Lesion {
    /// Its voxels.
    pub mask: Mask,
    /// Its measurements.
    pub measures: Measures,
    /// Type.
    pub kind: Kind,
    /// Right (true) or left lung, by majority of voxels.
    pub right: bool,
    /// Touches the pleura (the edge of the lung search region).
    pub juxtapleural: bool,
    /// Dot response of its seed, HU.
    pub response: f32,
    /// Calcification pattern word, when calcified.
    pub calcification: Option<&'static str>,
    /// Centroid z (LPS, mm) relative to the lungs' extent, 0 base .. 1 apex.
    pub height: f64,
}

/// What [`detect_lesions`] found.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    /// Lesions, largest first.
    pub lesions: Vec<Lesion>,
    /// Seeds examined.
    pub seeds: usize,
    /// Lung background, HU.
    pub background: f32,
}

impl Aisu for Nodules {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let exam = ctx.exam();
        let right = ctx.mask_opt("mask:lung_right")?;
        let left = ctx.mask_opt("mask:lung_left")?;
        let lungs: Vec<&Mask> = right.iter().chain(left.iter()).map(|m| &**m).collect();
        if lungs.iter().all(|m| m.is_empty()) {
            for code in CODES {
                ctx.not_assessed(code, "no lung was found in the field of view")?;
            }
            return Ok(());
        }
        let mut lobes = Vec::new();
        for (name, lobe) in LOBES {
            if let Some(m) = ctx.mask_opt(name)? {
                lobes.push((lobe, m));
            }
        }
        let risk: Option<String> = ctx.param("risk")?;
        let high_risk = risk.as_deref() != Some("low");
        let slice_mm = crate::slice_thickness_mm(exam, ct);
        let cancel = || ctx.cancelled();
        let mut named = Vec::new();
        for name in NAMED_VESSELS {
            if let Some(m) = ctx.mask_opt(name)? {
                named.push(m);
            }
        }
        let named: Vec<&Mask> = named.iter().map(|m| &**m).collect();
        let found = detect_lesions(ct, right.as_deref(), left.as_deref(), &named, &cancel)?;
        let thick = slice_mm > LUNG_RADS_MAX_SLICE_MM + 1e-6;
        if thick {
            let reason = format!(
                "slice thickness {slice_mm:.1} mm > {LUNG_RADS_MAX_SLICE_MM} mm: nodules under \
                 {THICK_MIN_NODULE_MM} mm cannot be excluded and typing under \
                 {THICK_MIN_TYPING_MM} mm is limited"
            );
            ctx.not_assessed("F01", &reason)?;
            ctx.not_assessed("F02", &reason)?;
        }
        let nodule_count = found
            .lesions
            .iter()
            .filter(|l| matches!(l.kind, Kind::Solid | Kind::GroundGlass | Kind::PartSolid))
            .count();
        for lesion in found.lesions {
            let draft = draft(
                lesion,
                &lobes,
                exam,
                slice_mm,
                high_risk,
                risk.is_none(),
                nodule_count > 1,
            );
            ctx.emit(draft)?;
        }
        Ok(())
    }
}

/// The finding of one lesion.
fn draft(
    lesion: Lesion,
    lobes: &[(&str, std::sync::Arc<Mask>)],
    exam: &aisu::ExamInfo,
    slice_mm: f64,
    high_risk: bool,
    risk_assumed: bool,
    multiple: bool,
) -> FindingDraft {
    let m = &lesion.measures;
    let code = match lesion.kind {
        Kind::Solid => "F01",
        Kind::GroundGlass | Kind::PartSolid => "F02",
        Kind::Mass => "F03",
        Kind::Calcified => "F04",
    };
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    let mut d = FindingDraft::new(code, lesion.mask.clone());
    // Site.
    let mut votes = vec![0usize; lobes.len()];
    lesion.mask.for_each(|x, y, z| {
        for (k, (_, lobe)) in lobes.iter().enumerate() {
            if lobe.contains(x, y, z) {
                votes[k] += 1;
            }
        }
    });
    let lobe = votes
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > 0)
        .max_by_key(|(_, v)| **v)
        .map(|(k, _)| lobes[k].0.to_string());
    let side = match lobe.as_deref() {
        Some(l) => l.starts_with('R'),
        None => lesion.right,
    };
    d.site = Site {
        side: Some(if side { "right" } else { "left" }.into()),
        lobe,
        zone: Some(
            if lesion.height > 2.0 / 3.0 {
                "upper"
            } else if lesion.height > 1.0 / 3.0 {
                "middle"
            } else {
                "lower"
            }
            .into(),
        ),
        ..Default::default()
    };
    // Measurements.
    let mm = |name: &str, v: f64| Measurement::new(name, round1(v), "mm");
    let volume = Measurement::new("volume", (m.volume_ml * 1000.0).round() / 1000.0, "mL");
    let mean_hu = Measurement::new("mean_hu", m.mean_hu.round(), "HU");
    d.measurements = match lesion.kind {
        Kind::Calcified => vec![
            mm("mean_diameter", m.mean_diameter),
            Measurement::new("max_hu", m.max_hu.round(), "HU"),
            mm("long_axis", m.long_axis),
            mm("short_axis", m.short_axis),
            volume,
        ],
        Kind::Mass => vec![
            mm("long_axis", m.long_axis),
            mm("short_axis", m.short_axis),
            mm("max_diameter", m.long_axis),
            volume,
            mm("mean_diameter", m.mean_diameter),
            mean_hu,
        ],
        _ => {
            let mut v = vec![
                mm("long_axis", m.long_axis),
                mm("short_axis", m.short_axis),
                mm("mean_diameter", m.mean_diameter),
                volume,
                mean_hu,
            ];
            if code == "F02" {
                v.push(mm("solid_diameter", m.solid_diameter));
            }
            v
        }
    };
    let mut axial = mm("axial_long_axis", m.axial_long);
    axial.method = Some("longest extent on one axial slice".into());
    d.measurements.push(axial);
    let mut axial = mm("axial_short_axis", m.axial_short);
    axial.method = Some("perpendicular extent on that slice".into());
    d.measurements.push(axial);
    // Morphology.
    let mut morphology: Vec<String> = vec![
        match lesion.kind {
            Kind::Solid | Kind::Mass => "solid",
            Kind::GroundGlass => "ground-glass",
            Kind::PartSolid => "part-solid",
            Kind::Calcified => "calcified",
        }
        .into(),
    ];
    if let Some(p) = lesion.calcification {
        morphology.push(p.into());
    }
    if lesion.juxtapleural {
        morphology.push("juxtapleural".into());
    }
    d.morphology = morphology;
    // Grade and urgency.
    let input = GradeInput {
        kind: lesion.kind,
        mean_diameter: m.mean_diameter,
        solid_diameter: m.solid_diameter,
        // Smoothness is not measured: the benign perifissural rule is
        // left to the reader (a conservative category).
        perifissural_smooth: false,
        multiple,
    };
    d.category = grade::category(&input, exam.context, slice_mm, exam.age_years, high_risk);
    if risk_assumed
        && d.category
            .as_ref()
            .is_some_and(|c| c.system.starts_with("Fleischner"))
    {
        d.extra.insert(
            "fleischner_risk".into(),
            json!("high (assumed: risk not given)"),
        );
    }
    let lung_rads_4b = d
        .category
        .as_ref()
        .is_some_and(|c| c.system.starts_with("Lung-RADS") && c.value == "4B");
    d.urgency = match lesion.kind {
        Kind::Mass => Urgency::Tier3,
        Kind::Calcified => Urgency::Incidental,
        _ if lung_rads_4b || m.mean_diameter >= TIER3_MIN_MM => Urgency::Tier3,
        _ if m.mean_diameter >= ROUTINE_MIN_MM => Urgency::Routine,
        _ => Urgency::Incidental,
    };
    // Confidence grows with the blob response and the size.
    let strength = 1.0 - (-f64::from(lesion.response) / 60.0).exp();
    let size = (m.mean_diameter / 10.0).min(1.0);
    d.confidence = (0.4 + 0.35 * strength + 0.2 * size).clamp(0.0, 0.99);
    // Thick slices.
    let thick = slice_mm > LUNG_RADS_MAX_SLICE_MM + 1e-6;
    if thick && m.mean_diameter < THICK_MIN_NODULE_MM && lesion.kind != Kind::Mass {
        d.assessable = false;
        d.extra.insert(
            "limited".into(),
            json!(format!(
                "slice thickness {slice_mm:.1} mm: a nodule under {THICK_MIN_NODULE_MM} mm is not reliably measured"
            )),
        );
    } else if thick && m.mean_diameter < THICK_MIN_TYPING_MM && lesion.kind != Kind::Mass {
        d.extra.insert(
            "limited".into(),
            json!(format!(
                "slice thickness {slice_mm:.1} mm: solid/ground-glass typing under {THICK_MIN_TYPING_MM} mm is limited"
            )),
        );
    }
    d
}

/// Index box of the union of the lung masks, grown by `margin_mm`.
fn lung_box(lungs: &[&Mask], dims: [usize; 3], s: [f64; 3], margin_mm: f64) -> Option<IndexBox> {
    let mut out: Option<IndexBox> = None;
    for m in lungs {
        if let Some(b) = IndexBox::of_mask(m) {
            out = Some(match out {
                Some(o) => o.union(&b),
                None => b,
            });
        }
    }
    let margin = std::array::from_fn(|a| (margin_mm / s[a]).ceil() as usize + 1);
    out.map(|b| b.grown(margin, dims))
}

/// One lung closed with a ball of [`SEARCH_CLOSE_MM`] on a grid of about
/// 2 mm, put back on the crop grid (nearest coarse voxel).
fn closed_lung(lung: &Volume<bool>) -> Result<Volume<bool>, AisuError> {
    let s = lung.spacing();
    let factor: [usize; 3] = std::array::from_fn(|a| ((2.0 / s[a]).floor() as usize).max(1));
    let coarse = detect::downsample_any(lung, factor)?;
    let closed = volume::close(&coarse, SEARCH_CLOSE_MM).map_err(fail)?;
    let [nx, ny, nz] = lung.dims();
    let [cx, cy, _] = closed.dims();
    let c = closed.as_slice();
    let src = lung.as_slice();
    let mut out = vec![false; src.len()];
    out.par_chunks_mut(nx * ny)
        .enumerate()
        .for_each(|(z, slab)| {
            for y in 0..ny {
                for x in 0..nx {
                    let i = x + nx * y;
                    slab[i] = src[i + nx * ny * z]
                        || c[x / factor[0] + cx * (y / factor[1] + cy * (z / factor[2]))];
                }
            }
        });
    let _ = nz;
    from_vec(out, *lung.geometry())
}

/// Finds, segments, measures and types the lesions of a scan.
pub fn detect_lesions(
    ct: &Volume<i16>,
    right: Option<&Mask>,
    left: Option<&Mask>,
    named: &[&Mask],
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Detection, AisuError> {
    let full = *ct.geometry();
    let lungs: Vec<&Mask> = right.iter().chain(left.iter()).copied().collect();
    let Some(b) = lung_box(&lungs, full.dims, full.spacing, SEARCH_CLOSE_MM + 2.0) else {
        return Ok(Detection::default());
    };
    let hu = crop(ct, &b)?;
    let g = *hu.geometry();
    let lung_r = right.map(|m| crop_mask(m, &full, &b)).transpose()?;
    let lung_l = left.map(|m| crop_mask(m, &full, &b)).transpose()?;
    let mut lung = Volume::filled(g, false);
    let mut region = Volume::filled(g, false);
    for part in lung_r.iter().chain(lung_l.iter()) {
        let closed = closed_lung(part)?;
        for ((l, r), (p, c)) in lung
            .as_slice_mut()
            .iter_mut()
            .zip(region.as_slice_mut().iter_mut())
            .zip(part.as_slice().iter().zip(closed.as_slice()))
        {
            *l |= *p;
            *r |= *c;
        }
    }
    if cancelled() {
        return Err(AisuError::Cancelled);
    }
    // Lung background: median parenchyma (every 7th voxel suffices).
    let mut parenchyma: Vec<f32> = hu
        .as_slice()
        .iter()
        .zip(lung.as_slice())
        .step_by(7)
        .filter(|(v, l)| **l && f32::from(**v) < PARENCHYMA_MAX_HU)
        .map(|(v, _)| f32::from(*v))
        .collect();
    let background = segment::percentile(&mut parenchyma, 0.5).unwrap_or(DEFAULT_LUNG_HU);
    drop(parenchyma);
    let s = g.spacing;
    let sz = if s[2] <= 2.0 * SEGMENT_SMOOTH_MM {
        SEGMENT_SMOOTH_MM
    } else {
        0.0
    };
    let seg =
        volume::gaussian_smooth(&hu, [SEGMENT_SMOOTH_MM, SEGMENT_SMOOTH_MM, sz]).map_err(fail)?;
    // Perihilar and juxtamediastinal masses the lung wraps round are lung
    // disease, searched like the rest of the lung; the named vessels the
    // lung also wraps round at the hila are not.
    let vessels: Vec<Volume<bool>> = named
        .iter()
        .map(|m| crop_mask(m, &full, &b))
        .collect::<Result<_, _>>()?;
    let parts: Vec<&Volume<bool>> = lung_r.iter().chain(lung_l.iter()).collect();
    let t_wrapped = std::time::Instant::now();
    let wrapped = anatomy::lung_encircled::encircled(&parts, &hu)?;
    tracing::debug!(
        seconds = t_wrapped.elapsed().as_secs_f64(),
        voxels = wrapped.as_slice().iter().filter(|v| **v).count(),
        "nodules: encircled lumps"
    );
    for (i, w) in wrapped.as_slice().iter().enumerate() {
        if *w && !vessels.iter().any(|v| v.as_slice()[i]) {
            lung.as_slice_mut()[i] = true;
            region.as_slice_mut()[i] = true;
        }
    }
    let mut masked = seg.clone();
    for (v, r) in masked.as_slice_mut().iter_mut().zip(region.as_slice()) {
        if !*r {
            *v = background;
        }
    }
    let mut seeds = detect::find_seeds(&masked, &region, background, cancelled)?;
    drop(masked);
    seeds.extend(detect::mass_seeds(&seg, &lung)?);
    let scene = Scene {
        grid: g,
        seg,
        lung,
        region,
        background,
    };
    let candidates: Vec<Candidate> = seeds
        .par_iter()
        .map(|seed| {
            if cancelled() {
                return Ok(None);
            }
            segment::segment(&scene, seed)
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .filter(|c| {
            let vessel = is_vessel(c, g.voxel_volume_mm3());
            tracing::debug!(
                seed = ?c.seed.index.map(|v| v.round()),
                sigma = c.seed.sigma_mm,
                voxels = c.voxels.len(),
                touches_edge = c.touches_edge,
                elongation = c.elongation,
                exit_share = c.exit_share,
                vessel,
                "nodule candidate"
            );
            !vessel
        })
        .collect();
    if cancelled() {
        return Err(AisuError::Cancelled);
    }
    // Biggest first; a candidate mostly inside an accepted one is the same
    // lesion.
    let mut candidates = candidates;
    candidates.sort_by_key(|c| std::cmp::Reverse(c.voxels.len()));
    let mut claimed = vec![false; g.len()];
    let mut kept: Vec<Candidate> = Vec::new();
    let lung_s = scene.lung.as_slice();
    for mut c in candidates {
        let overlap = c.voxels.iter().filter(|&&i| claimed[i]).count();
        if overlap * 5 > c.voxels.len() {
            continue;
        }
        c.voxels.retain(|&i| !claimed[i]);
        let outside = c.voxels.iter().filter(|&&i| !lung_s[i]).count();
        if outside as f64 > MAX_OUTSIDE_LUNG_SHARE * c.voxels.len() as f64 {
            tracing::debug!(
                seed = ?c.seed.index.map(|v| v.round()),
                outside,
                voxels = c.voxels.len(),
                "nodule candidate mostly outside the lung"
            );
            continue;
        }
        for &i in &c.voxels {
            claimed[i] = true;
        }
        kept.push(c);
    }
    let kept = merge_mass_pieces(kept, &g, scene.seg.as_slice());
    let hu_s = hu.as_slice();
    let seg_s = scene.seg.as_slice();
    let region_s = scene.region.as_slice();
    let lr = lung_r.as_ref().map(|v| v.as_slice());
    // Lung craniocaudal extent (LPS z of the crop's first and last slice
    // holding lung).
    let z_of = |k: usize| g.index_to_lps([0.0, 0.0, k as f64])[2];
    let plane = g.dims[0] * g.dims[1];
    let slices_with_lung: Vec<usize> = (0..g.dims[2])
        .filter(|&z| lung_s[z * plane..(z + 1) * plane].iter().any(|v| *v))
        .collect();
    let (z_a, z_b) = match (slices_with_lung.first(), slices_with_lung.last()) {
        (Some(&a), Some(&b)) => (z_of(a), z_of(b)),
        _ => (0.0, 1.0),
    };
    let (z_lo, z_hi) = (z_a.min(z_b), z_a.max(z_b));
    // The midline: half way between the lungs' centroids (or the body of
    // the one lung's side when only one is there).
    let centroids: Vec<f64> = lungs
        .iter()
        .filter_map(|m| m.centroid_lps().map(|c| c[0]))
        .collect();
    let midline_x = if centroids.len() == 2 {
        0.5 * (centroids[0] + centroids[1])
    } else {
        g.index_to_lps([g.dims[0] as f64 / 2.0, 0.0, 0.0])[0]
    };
    let mut lesions: Vec<Lesion> = kept
        .par_iter()
        .filter_map(|c| {
            let m = measure::measure(&c.voxels, &g, hu_s, seg_s, lung_s);
            if m.mean_diameter < MIN_REPORT_MM {
                return None;
            }
            // Mostly fat: mediastinal or pericardial fat the lung mask
            // took in, not a lung lesion (a fat-containing hamartoma is
            // small and mostly soft tissue).
            let fat = c
                .voxels
                .iter()
                .filter(|&&i| (LESION_FAT_HU.0..=LESION_FAT_HU.1).contains(&seg_s[i]))
                .count();
            if fat as f64 >= MAX_FAT_SHARE * c.voxels.len() as f64 {
                tracing::debug!(
                    seed = ?c.seed.index.map(|v| v.round()),
                    fat,
                    voxels = c.voxels.len(),
                    "nodule candidate mostly fat"
                );
                return None;
            }
            let ellipsoid = std::f64::consts::PI / 6.0 * m.long_axis * m.short_axis * m.short_axis;
            let min_fill = if m.mean_diameter > MASS_MIN_MM {
                MASS_MIN_FILL
            } else {
                MIN_FILL
            };
            if m.volume_ml * 1000.0 < min_fill * ellipsoid {
                tracing::debug!(
                    seed = ?c.seed.index.map(|v| v.round()),
                    volume_ml = m.volume_ml,
                    long_axis = m.long_axis,
                    short_axis = m.short_axis,
                    "nodule candidate fills too little of its ellipsoid"
                );
                return None;
            }
            let (kind, calcification) = classify(&m);
            if matches!(kind, Kind::GroundGlass | Kind::PartSolid) && m.mean_diameter < MIN_GGN_MM {
                return None;
            }
            if kind != Kind::Mass
                && medial_contact(&c.voxels, &g, region_s, seg_s, midline_x, c.background)
                    > MAX_MEDIAL_CONTACT_SHARE
            {
                return None;
            }
            let right_votes = lr
                .map(|r| c.voxels.iter().filter(|&&i| r[i]).count())
                .unwrap_or(0);
            let right_side = match (right, left) {
                (Some(_), None) => true,
                (None, Some(_)) => false,
                _ => right_votes * 2 >= c.voxels.len(),
            };
            let juxtapleural = touches_border(&c.voxels, region_s, g.dims);
            let mask = lesion_mask(&c.voxels, &g, &b, &full).ok()?;
            let cz = mask.centroid_lps().map(|p| p[2]).unwrap_or(z_lo);
            let height = ((cz - z_lo) / (z_hi - z_lo).max(1.0)).clamp(0.0, 1.0);
            Some(Lesion {
                mask,
                measures: m,
                kind,
                right: right_side,
                juxtapleural,
                response: c.seed.response,
                calcification,
                height,
            })
        })
        .collect();
    lesions.sort_by(|a, b| b.measures.volume_ml.total_cmp(&a.measures.volume_ml));
    tracing::debug!(
        "nodules: background {background:.0} HU, {} seeds, {} lesions",
        seeds.len(),
        lesions.len()
    );
    Ok(Detection {
        lesions,
        seeds: seeds.len(),
        background,
    })
}

/// Joins the pieces of one mass: a mass that meets the mediastinum over
/// part of its height is searched only where the lung wraps round it
/// ([`anatomy::lung_encircled`]), so its seeds can segment it as pieces
/// stacked along z with the broad contact between them left out. A
/// candidate at least [`MASS_PIECE_MIN_MM`] across takes in every
/// candidate that comes within [`MASS_PIECE_GAP_MM`] of it, both of
/// soft tissue on average ([`MASS_PIECE_MIN_HU`]: fat beside a mass is
/// not tumour);
/// the largest piece gives the seed and the background.
fn merge_mass_pieces(kept: Vec<Candidate>, g: &Geometry, seg: &[f32]) -> Vec<Candidate> {
    let [nx, ny, _] = g.dims;
    let mean_hu: Vec<f32> = kept
        .iter()
        .map(|c| c.voxels.iter().map(|&i| seg[i]).sum::<f32>() / c.voxels.len().max(1) as f32)
        .collect();
    let s = g.spacing;
    let at = |i: usize| -> [f64; 3] {
        [
            (i % nx) as f64 * s[0],
            ((i / nx) % ny) as f64 * s[1],
            (i / (nx * ny)) as f64 * s[2],
        ]
    };
    // Bounding boxes (mm) and a thinned point set of each candidate (every
    // voxel of small ones, a sample of about 4000 of large ones).
    let boxes: Vec<([f64; 3], [f64; 3])> = kept
        .iter()
        .map(|c| {
            let mut lo = [f64::INFINITY; 3];
            let mut hi = [f64::NEG_INFINITY; 3];
            for &i in &c.voxels {
                let p = at(i);
                for a in 0..3 {
                    lo[a] = lo[a].min(p[a]);
                    hi[a] = hi[a].max(p[a]);
                }
            }
            (lo, hi)
        })
        .collect();
    let points: Vec<Vec<[f64; 3]>> = kept
        .iter()
        .map(|c| {
            let step = (c.voxels.len() / 4000).max(1);
            c.voxels.iter().step_by(step).map(|&i| at(i)).collect()
        })
        .collect();
    let mut parent: Vec<usize> = (0..kept.len()).collect();
    fn root(parent: &mut [usize], mut k: usize) -> usize {
        while parent[k] != k {
            parent[k] = parent[parent[k]];
            k = parent[k];
        }
        k
    }
    let gap = MASS_PIECE_GAP_MM + s[0].max(s[1]).max(s[2]);
    for k in 0..kept.len() {
        let across =
            2.0 * measure::equivalent_radius_mm(kept[k].voxels.len(), g.voxel_volume_mm3());
        if across < MASS_PIECE_MIN_MM || mean_hu[k] < MASS_PIECE_MIN_HU {
            continue;
        }
        for j in 0..kept.len() {
            if j == k || mean_hu[j] < MASS_PIECE_MIN_HU {
                continue;
            }
            let (a, b) = (boxes[k], boxes[j]);
            if (0..3).any(|x| a.0[x] > b.1[x] + gap || b.0[x] > a.1[x] + gap) {
                continue;
            }
            let near = points[k].iter().any(|p| {
                points[j]
                    .iter()
                    .any(|q| (0..3).map(|x| (p[x] - q[x]).powi(2)).sum::<f64>() <= gap * gap)
            });
            if near {
                let (ra, rb) = (root(&mut parent, k), root(&mut parent, j));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    // Candidates come biggest first, so each group's root is its largest.
    let roots: Vec<usize> = (0..kept.len()).map(|k| root(&mut parent, k)).collect();
    let mut groups: Vec<Option<Candidate>> = Vec::with_capacity(kept.len());
    for (k, c) in kept.into_iter().enumerate() {
        let r = roots[k];
        if r == k {
            groups.push(Some(c));
        } else {
            groups.push(None);
            if let Some(Some(g)) = groups.get_mut(r) {
                tracing::debug!(
                    seed = ?c.seed.index.map(|v| v.round()),
                    into = ?g.seed.index.map(|v| v.round()),
                    "mass piece joined"
                );
                g.voxels.extend(c.voxels);
            }
        }
    }
    groups.into_iter().flatten().collect()
}

/// The vessel test (module docs of [`segment`]).
/// A candidate reaching the edge of its growth ball runs out of its
/// neighbourhood: a tube, or a larger lesion that a seed of its own scale
/// segments whole.
fn is_vessel(c: &Candidate, voxel_mm3: f64) -> bool {
    // Vessels leave a mass with much less than its own calibre: the exit
    // test is for nodule-sized candidates.
    let r_eq = measure::equivalent_radius_mm(c.voxels.len(), voxel_mm3);
    c.touches_edge
        || c.elongation > MAX_ELONGATION
        || (c.exit_share > MAX_EXIT_SHARE && r_eq < 0.5 * MASS_MIN_MM)
}

/// Type and calcification pattern from the measurements.
fn classify(m: &Measures) -> (Kind, Option<&'static str>) {
    if m.calcified_share >= CALCIFIED_COMPLETE_SHARE {
        return (Kind::Calcified, Some("complete calcification"));
    }
    if m.calcified_share >= CALCIFIED_CENTRAL_SHARE && m.calcified_offset <= CALCIFIED_CENTRAL_RADII
    {
        return (Kind::Calcified, Some("central calcification"));
    }
    let eccentric = (m.calcified_share > 0.0).then_some("eccentric calcification");
    if m.mean_diameter > MASS_MIN_MM {
        return (Kind::Mass, eccentric);
    }
    if m.solid_diameter >= SOLID_DIAMETER_SHARE * m.mean_diameter {
        (Kind::Solid, eccentric)
    } else if m.solid_diameter < GGN_MAX_SOLID_MM {
        (Kind::GroundGlass, eccentric)
    } else {
        (Kind::PartSolid, eccentric)
    }
}

/// Contact of a lesion with dense tissue across the medial edge of the
/// search region (voxels whose neighbour towards the midline lies outside
/// the region and is denser than half way from the background to soft
/// tissue), as a share of the lesion's own cross-section.
fn medial_contact(
    voxels: &[usize],
    g: &Geometry,
    region: &[bool],
    seg: &[f32],
    midline_x: f64,
    background: f32,
) -> f64 {
    let [nx, ny, _] = g.dims;
    let s = g.spacing;
    let dense = 0.5 * background;
    // LPS x grows with the column index when the first direction cosine
    // is positive.
    let x_step = g.index_to_lps([1.0, 0.0, 0.0])[0] - g.index_to_lps([0.0, 0.0, 0.0])[0];
    let mut contact = 0usize;
    for &i in voxels {
        let x = i % nx;
        let p = g.index_to_lps([x as f64, ((i / nx) % ny) as f64, (i / (nx * ny)) as f64]);
        let towards_plus = (midline_x - p[0]) * x_step > 0.0;
        let j = if towards_plus {
            (x + 1 < nx).then_some(i + 1)
        } else {
            (x > 0).then(|| i - 1)
        };
        if let Some(j) = j
            && !region[j]
            && seg[j] > dense
        {
            contact += 1;
        }
    }
    let r_eq = measure::equivalent_radius_mm(voxels.len(), s[0] * s[1] * s[2]);
    contact as f64 * s[1] * s[2] / (std::f64::consts::PI * r_eq * r_eq).max(1e-9)
}

/// True when at least a tenth of the lesion's voxels touch the edge of the
/// search region (the pleura).
fn touches_border(voxels: &[usize], region: &[bool], dims: [usize; 3]) -> bool {
    let plane = dims[0] * dims[1];
    let on_edge = voxels
        .iter()
        .filter(|&&i| {
            let (x, y, z) = (i % dims[0], (i / dims[0]) % dims[1], i / plane);
            x == 0
                || y == 0
                || z == 0
                || x + 1 >= dims[0]
                || y + 1 >= dims[1]
                || z + 1 >= dims[2]
                || !region[i - 1]
                || !region[i + 1]
                || !region[i - dims[0]]
                || !region[i + dims[0]]
        })
        .count();
    on_edge * 10 >= voxels.len()
}

/// A lesion's mask on the CT grid from crop indices.
fn lesion_mask(
    voxels: &[usize],
    g: &Geometry,
    b: &IndexBox,
    full: &Geometry,
) -> Result<Mask, AisuError> {
    let [nx, ny, _] = g.dims;
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for &i in voxels {
        let p = [i % nx, (i / nx) % ny, i / (nx * ny)];
        for a in 0..3 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    if lo[0] == usize::MAX {
        return Ok(Mask::empty(*full));
    }
    let dims: [usize; 3] = std::array::from_fn(|a| hi[a] - lo[a] + 1);
    let mut bits = vec![false; dims[0] * dims[1] * dims[2]];
    for &i in voxels {
        let p = [i % nx, (i / nx) % ny, i / (nx * ny)];
        bits[(p[0] - lo[0]) + dims[0] * ((p[1] - lo[1]) + dims[1] * (p[2] - lo[2]))] = true;
    }
    let offset = std::array::from_fn(|a| b.lo[a] + lo[a]);
    Mask::from_crop(*full, offset, dims, bits).map_err(AisuError::Failed)
}
