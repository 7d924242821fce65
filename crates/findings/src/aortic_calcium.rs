//! `airad.aortic_calcium`: aortic wall calcification (FINDINGS.md F21):
//! calcified plaque in the wall of the thoracic aorta, its volume and a
//! grade.
//!
//! Method, on the aorta unit's mask (the vessel to its outer wall):
//! 1. The wall band: voxels within [`AORTIC_CA_OUTER_MM`] outside the
//!    mask's outline (the wall the mask may miss) and
//!    [`AORTIC_CA_INNER_MM`] inside it (intimal plaque lies in the wall;
//!    deeper lies in the lumen, where calcium is the aortic valve's,
//!    F20, at the root).
//! 2. Calcium is 130 HU or more (the Agatston threshold, as for the
//!    coronaries) after an in-plane smoothing of [`AORTIC_CA_SMOOTH_MM`]
//!    (single noise voxels of a sharp kernel pass 130 HU in the blood). Components (26-connected) are formed over the band
//!    and [`AORTIC_CA_AROUND_MM`] around it, so that calcium continuing
//!    into something else (vertebral body, ribs, tracheal cartilage, a
//!    calcified node) is seen whole: a component counts when at least
//!    [`AORTIC_CA_WALL_SHARE`] of it lies in the band, and when its peak
//!    stands [`AORTIC_CA_NOISE_K`] noise SDs above the blood (the SD
//!    measured inside the aorta), and when it is not the aortic valve's
//!    (F20: in the valve's zone at the top of the heart, when the heart
//!    unit ran, and deeper than [`AORTIC_CA_VALVE_DEPTH_MM`] inside the
//!    mask's outline, in the root's lumen; [`analyse_above_valve`]), and
//!    when at most
//!    [`AORTIC_CA_MAX_AIR_SHARE`] of the voxels within
//!    [`AORTIC_CA_SHELL_MM`] of it are aerated lung (a sharp kernel's
//!    overshoot at the mediastinum's border with the lung passes 130 HU
//!    along the aorta's outer edge; intimal plaque has the wall between it
//!    and the lung).
//! 3. The calcium volume is the counted voxels' volume (the 130 HU
//!    volume of calcium scoring), graded by the project's convention
//!    [`AORTIC_CA_GRADE_MM3`]: mild / moderate / severe (FINDINGS.md F21
//!    leaves the bounds to convention). Each plaque's segment (ascending,
//!    arch, descending) is that of the nearest point of the aorta's
//!    centreline when the aorta unit gives one.
//! 4. Not assessed: no aorta found; an aorta whose blood reads over
//!    [`AORTIC_CA_CONTRAST_HU`] (contrast: the lumen itself passes 130 HU).
//!    On slices over [`AORTIC_CA_MAX_SLICE_MM`] small plaques are averaged
//!    below the threshold and larger ones spread over the slice: the
//!    finding is "limited".

use aisu::{Aisu, AisuError, Category, Context, FindingDraft, Manifest, Mask, Measurement, Site};
use anatomy::regions::{IndexBox, crop, crop_mask, from_vec};
use serde_json::json;
use volume::{Connectivity, Volume};

use crate::calcium::detect::shell_shares;
use crate::constants::{
    AORTIC_CA_AROUND_MM, AORTIC_CA_CONTRAST_HU, AORTIC_CA_EDGE_HU, AORTIC_CA_EDGE_MM,
    AORTIC_CA_GRADE_MM3, AORTIC_CA_INNER_MM, AORTIC_CA_MAX_AIR_SHARE, AORTIC_CA_MAX_SLICE_MM,
    AORTIC_CA_MIN_PEAK_HU, AORTIC_CA_NOISE_K, AORTIC_CA_OUTER_MM, AORTIC_CA_SHELL_MM,
    AORTIC_CA_SMOOTH_MM, AORTIC_CA_VALVE_DEPTH_MM, AORTIC_CA_WALL_SHARE, CAC_AIR_MAX_HU, CAC_HU,
};

/// Codes this unit emits.
pub const CODES: [&str; 1] = ["F21"];

/// The aortic wall calcium unit.
pub struct AorticCalcium {
    manifest: Manifest,
}

impl Default for AorticCalcium {
    fn default() -> Self {
        AorticCalcium {
            manifest: Manifest::new(
                "airad.aortic_calcium",
                env!("CARGO_PKG_VERSION"),
                "Aortic wall calcification: calcium volume and grade of the thoracic aorta",
            )
            .requires(&["mask:aorta"])
            .optional(&["centreline:aorta", "mask:heart"])
            .codes(&CODES)
            .resources(1, 600, 30.0),
        }
    }
}

/// What [`analyse`] found.
#[derive(Debug, Clone)]
pub struct WallCalcium {
    /// Counted calcium voxels.
    pub mask: Mask,
    /// Their volume, mm^3.
    pub volume_mm3: f64,
    /// Centroid of each counted component, LPS mm.
    pub plaques: Vec<[f64; 3]>,
    /// Median HU inside the aorta (blood and wall).
    pub blood_hu: f32,
    /// Noise SD inside the aorta, HU.
    pub noise_hu: f32,
}

/// The wall calcium of the aorta `aorta` on `ct`; `None` when the mask
/// is empty.
pub fn analyse(ct: &Volume<i16>, aorta: &Mask) -> Result<Option<WallCalcium>, AisuError> {
    analyse_above_valve(ct, aorta, None)
}

/// [`analyse`], leaving out the aortic valve's calcium: a component whose
/// centroid lies in the valve's zone at the top of the heart `valve`
/// ([`crate::calcium::valve::Zone`]) and whose voxels lie, by their
/// median, deeper than [`AORTIC_CA_VALVE_DEPTH_MM`] inside the aorta
/// mask's outline is in the root's lumen: the valve's hinge and
/// commissure calcium (F20), within the wall band but not in the wall.
pub fn analyse_above_valve(
    ct: &Volume<i16>,
    aorta: &Mask,
    valve: Option<&crate::calcium::valve::Zone>,
) -> Result<Option<WallCalcium>, AisuError> {
    let full = *ct.geometry();
    let Some(b) = IndexBox::of_mask(aorta) else {
        return Ok(None);
    };
    let s = full.spacing;
    let reach = AORTIC_CA_OUTER_MM + AORTIC_CA_AROUND_MM;
    let margin = [0, 1, 2].map(|k| (reach / s[k]).ceil() as usize + 1);
    let b = b.grown(margin, full.dims);
    let hu = crop(ct, &b)?;
    let inside = crop_mask(aorta, &full, &b)?;
    let fail = |e: volume::VolumeError| AisuError::Failed(format!("aortic calcium: {e}"));
    let outer = volume::dilate(&inside, AORTIC_CA_OUTER_MM).map_err(fail)?;
    let core = volume::erode(&inside, AORTIC_CA_INNER_MM).map_err(fail)?;
    let around = volume::dilate(&inside, reach).map_err(fail)?;
    // Lightly smoothed: a sharp kernel's noise passes 130 HU in single
    // voxels all through the blood (real A0001).
    let smooth = volume::gaussian_smooth(&hu, [AORTIC_CA_SMOOTH_MM, AORTIC_CA_SMOOTH_MM, 0.0])
        .map_err(fail)?;
    let h = smooth.as_slice();
    let blood: Vec<f32> = core
        .as_slice()
        .iter()
        .zip(h)
        .filter(|(c, _)| **c)
        .map(|(_, v)| *v)
        .collect();
    let (blood_hu, noise_hu) = crate::median_robust_sd(blood).unwrap_or((40.0, 20.0));
    let near_air = near_air_in_plane(&hu, AORTIC_CA_EDGE_MM);
    let calcified = from_vec(
        h.iter()
            .zip(around.as_slice())
            .zip(&near_air)
            .map(|((v, a), air)| *a && *v >= CAC_HU && !(*air && *v < AORTIC_CA_EDGE_HU))
            .collect(),
        *hu.geometry(),
    )?;
    let parts = volume::label_components(&calcified, Connectivity::TwentySix).map_err(fail)?;
    let n = parts.len() + 1;
    let mut in_wall = vec![0usize; n];
    let mut total = vec![0usize; n];
    let mut peak = vec![f32::MIN; n];
    let labels = parts.labels.as_slice();
    let (o, c) = (outer.as_slice(), core.as_slice());
    for (i, l) in labels.iter().enumerate() {
        let l = *l as usize;
        if l == 0 {
            continue;
        }
        total[l] += 1;
        if o[i] && !c[i] {
            in_wall[l] += 1;
        }
        peak[l] = peak[l].max(h[i]);
    }
    let floor = (blood_hu + AORTIC_CA_NOISE_K * noise_hu).max(AORTIC_CA_MIN_PEAK_HU);
    let mut keep: Vec<bool> = (0..n)
        .map(|l| {
            l > 0 && in_wall[l] as f64 >= AORTIC_CA_WALL_SHARE * total[l] as f64 && peak[l] >= floor
        })
        .collect();
    // Against the lung: a sharp kernel's overshoot at the mediastinum's
    // border with the lung passes 130 HU along the aorta's outer edge
    // (real A0001); intimal plaque has the wall between it and the lung.
    let mut voxels: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, l) in labels.iter().enumerate() {
        if keep[*l as usize] {
            voxels[*l as usize].push(i);
        }
    }
    for (l, v) in voxels.iter().enumerate() {
        if keep[l] {
            let (_, air) = shell_shares(v, hu.geometry(), hu.as_slice(), AORTIC_CA_SHELL_MM);
            keep[l] = air <= AORTIC_CA_MAX_AIR_SHARE;
        }
    }
    if let Some(zone) = valve {
        let depth = volume::distance_to_background(&inside);
        let d = depth.as_slice();
        for st in &parts.stats {
            let l = st.label as usize;
            if keep[l] && zone.holds(st.centroid_lps) {
                let mut v: Vec<f32> = voxels[l].iter().map(|&i| d[i]).collect();
                let mid = v.len() / 2;
                v.select_nth_unstable_by(mid, f32::total_cmp);
                keep[l] = f64::from(v[mid]) <= AORTIC_CA_VALVE_DEPTH_MM;
            }
        }
    }
    // Each component's volume at its own half maximum over the blood:
    // the blur of the scan spreads a dense plaque's 130 HU outline well
    // beyond the plaque (phantoms: twice its volume and more).
    let half: Vec<f32> = (0..n)
        .map(|l| ((blood_hu + peak[l]) / 2.0).max(CAC_HU))
        .collect();
    let bits: Vec<bool> = labels
        .iter()
        .zip(h)
        .map(|(l, v)| keep[*l as usize] && *v >= half[*l as usize])
        .collect();
    let count = bits.iter().filter(|x| **x).count();
    let plaques: Vec<[f64; 3]> = parts
        .stats
        .iter()
        .filter(|st| keep[st.label as usize])
        .map(|st| st.centroid_lps)
        .collect();
    let mask = if count > 0 {
        Mask::from_crop(full, b.lo, hu.dims(), bits).map_err(AisuError::Failed)?
    } else {
        Mask::empty(full)
    };
    Ok(Some(WallCalcium {
        mask,
        volume_mm3: count as f64 * full.voxel_volume_mm3(),
        plaques,
        blood_hu,
        noise_hu,
    }))
}

/// Voxels within `reach_mm` in-plane of aerated lung or air (below
/// [`CAC_AIR_MAX_HU`]) on their slice.
fn near_air_in_plane(hu: &Volume<i16>, reach_mm: f64) -> Vec<bool> {
    let [nx, ny, nz] = hu.dims();
    let s = hu.spacing();
    let (rx, ry) = (
        (reach_mm / s[0]).round() as isize,
        (reach_mm / s[1]).round() as isize,
    );
    let h = hu.as_slice();
    let mut out = vec![false; h.len()];
    for z in 0..nz {
        let base = z * nx * ny;
        for y in 0..ny {
            for x in 0..nx {
                if f32::from(h[base + x + nx * y]) >= CAC_AIR_MAX_HU {
                    continue;
                }
                for dy in -ry..=ry {
                    for dx in -rx..=rx {
                        let (xx, yy) = (x as isize + dx, y as isize + dy);
                        let inside = (dx * dx) as f64 * s[0] * s[0]
                            + (dy * dy) as f64 * s[1] * s[1]
                            <= reach_mm * reach_mm;
                        if inside && xx >= 0 && yy >= 0 && (xx as usize) < nx && (yy as usize) < ny
                        {
                            out[base + xx as usize + nx * yy as usize] = true;
                        }
                    }
                }
            }
        }
    }
    out
}

/// The grade of a calcium volume, mm^3.
pub fn grade(volume_mm3: f64) -> &'static str {
    if volume_mm3 < AORTIC_CA_GRADE_MM3[0] {
        "mild"
    } else if volume_mm3 <= AORTIC_CA_GRADE_MM3[1] {
        "moderate"
    } else {
        "severe"
    }
}

impl Aisu for AorticCalcium {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let exam = ctx.exam();
        let slice_mm = crate::slice_thickness_mm(exam, ct).max(ct.spacing()[2]);
        let aorta = ctx.mask("mask:aorta")?;
        let valve = ctx
            .mask_opt("mask:heart")?
            .and_then(|h| crate::calcium::detect::HeartFrame::of(&h))
            .map(|frame| crate::calcium::valve::Zone { frame });
        let Some(found) = analyse_above_valve(ct, &aorta, valve.as_ref())? else {
            return ctx.not_assessed("F21", "no aorta was found in the field of view");
        };
        if found.blood_hu > AORTIC_CA_CONTRAST_HU {
            return ctx.not_assessed(
                "F21",
                &format!(
                    "the aorta's blood reads {:.0} HU (contrast-enhanced?): wall calcium is not \
                     told from the lumen",
                    found.blood_hu
                ),
            );
        }
        if found.plaques.is_empty() {
            return Ok(());
        }
        let line = ctx.centreline("centreline:aorta").ok();
        let mut segments: Vec<String> = Vec::new();
        if let Some(line) = &line {
            for p in &found.plaques {
                let nearest = line
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, q)| (i, (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>()))
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                if let Some(name) = nearest.and_then(|(i, _)| line.segments.get(i))
                    && !name.is_empty()
                    && !segments.contains(name)
                {
                    segments.push(name.clone());
                }
            }
        }
        let order = ["root", "ascending", "arch", "descending", "abdominal"];
        segments.sort_by_key(|s| order.iter().position(|o| o == s).unwrap_or(order.len()));
        let volume = (found.volume_mm3 * 10.0).round() / 10.0;
        let g = grade(volume);
        let mut d = FindingDraft::new("F21", found.mask.clone());
        let mut site = Site {
            structure: Some("aorta".into()),
            ..Default::default()
        };
        if !segments.is_empty() {
            site.extra.insert("segments".into(), json!(segments));
        }
        d.site = site;
        let mut m = Measurement::new("calcium_volume", volume, "mm3");
        m.method = Some(format!(
            "voxels of {CAC_HU} HU or more in the aortic wall, {} plaque(s)",
            found.plaques.len()
        ));
        d.measurements.push(m);
        d.category = Some(Category {
            system: "aortic wall calcification (FINDINGS.md F21, convention)".into(),
            value: g.into(),
            context: exam.context,
        });
        d.morphology = vec!["calcified".into()];
        d.confidence = if g == "mild" { 0.7 } else { 0.85 };
        d.extra.insert("plaques".into(), json!(found.plaques.len()));
        if slice_mm > AORTIC_CA_MAX_SLICE_MM + 1e-6 {
            d.extra.insert(
                "limited".into(),
                json!(format!(
                    "slice thickness {slice_mm:.1} mm > {AORTIC_CA_MAX_SLICE_MM} mm: small \
                     plaques are averaged below 130 HU and larger ones spread over the slice"
                )),
            );
        }
        ctx.emit(d)
    }
}
