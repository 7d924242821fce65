//! `airad.liver`: hepatic steatosis (FINDINGS.md F32) from the unenhanced
//! attenuation of the liver, compared with the spleen when it is in view.
//!
//! Method (CPU only), after the region-of-interest measurements of Boyce
//! et al. (AJR 2010) and Pickhardt et al. (AJR 2012), who place several
//! round ROIs of 2-3 cm^2 in the liver parenchyma avoiding vessels and
//! edges and read their mean:
//! 1. The anatomy's `mask:liver` is cropped and its distance to the
//!    outside computed (mm, anisotropy honoured); ROI centres are laid on
//!    a grid of [`ROI_STEP_FACTOR`] ROI radii wherever the whole ROI
//!    stays at least [`ROI_MARGIN_MM`] inside the organ (no capsule,
//!    diaphragm or partial-volume edge) and inside the scanned range.
//!    Small organ parts in view shrink the radius down to
//!    [`LIVER_ROI_MIN_MM`].
//! 2. Each ROI's value is the mean of its voxels after trimming those
//!    beyond [`ROI_TRIM_SIGMAS`] robust standard deviations of its median
//!    (vessel cross-sections, which are brighter than a fatty liver and
//!    darker than a normal one, and focal lesions).
//! 3. Heterogeneous ROIs (vessels, fissures, lesions: spread above
//!    [`ROI_MAX_SD_RATIO`] times the median spread) and ROIs whose value
//!    is an outlier among the ROIs are dropped; the organ value is the
//!    median of the remaining ROI values.
//! 4. The spleen is measured the same way with [`SPLEEN_ROI_MM`] ROIs;
//!    a spleen value outside [`SPLEEN_PLAUSIBLE_HU`] (a mis-segmented
//!    stomach or kidney) is not used.
//!
//! Grade: liver <= 40 HU moderate-to-severe steatosis (Boyce 2010);
//! below 48 HU steatosis with high specificity (Pickhardt 2012; "mild"
//! here means between the two cut-offs); liver more than 10 HU below the
//! spleen (Boyce 2010; FINDINGS.md). A finding is emitted only when one
//! of these holds; otherwise `liver_hu` (and `liver_minus_spleen`) go to
//! `exam_measurements`. Contrast-enhanced scans are not assessed (the
//! criteria are for unenhanced CT). The finding's mask is the set of ROIs
//! used, so lesions.nii.gz shows where the liver was measured.

use aisu::{
    Aisu, AisuError, Category, Context, ExamMeasurement, FindingDraft, Manifest, Mask, Measurement,
    Site, Urgency,
};
use anatomy::regions::{IndexBox, crop, crop_mask, embed, from_vec};
use serde_json::json;
use volume::Volume;

use crate::constants::{
    LIVER_MILD_HU, LIVER_MODERATE_SEVERE_HU, LIVER_ROI_MIN_MM, LIVER_ROI_MM, LIVER_SPLEEN_DIFF_HU,
    ROI_MARGIN_MM, ROI_MAX_SD_RATIO, ROI_OUTLIER_SIGMAS, ROI_STEP_FACTOR, ROI_TRIM_SIGMAS,
    SPLEEN_PLAUSIBLE_HU, SPLEEN_ROI_MM,
};

/// Codes this unit emits.
pub const CODES: [&str; 1] = ["F32"];

/// The liver unit.
pub struct Liver {
    manifest: Manifest,
}

impl Default for Liver {
    fn default() -> Self {
        Liver {
            manifest: Manifest::new(
                "airad.liver",
                env!("CARGO_PKG_VERSION"),
                "Hepatic steatosis from liver (and spleen) attenuation",
            )
            .requires(&["mask:liver"])
            .optional(&["mask:spleen"])
            .codes(&CODES)
            .resources(1, 600, 30.0),
        }
    }
}

/// One region of interest.
#[derive(Debug, Clone, Copy)]
pub struct Roi {
    /// Centre, crop index.
    pub centre: [usize; 3],
    /// Trimmed mean, HU.
    pub mean: f64,
    /// Robust spread of its voxels, HU.
    pub sd: f64,
    /// Voxels in it.
    pub voxels: usize,
}

/// An organ's attenuation from its ROIs.
#[derive(Debug, Clone)]
pub struct OrganHu {
    /// Median of the kept ROI values, HU.
    pub hu: f64,
    /// ROIs kept.
    pub kept: usize,
    /// ROIs placed.
    pub placed: usize,
    /// ROI radius used, mm.
    pub radius_mm: f64,
    /// The kept ROIs on the CT grid.
    pub mask: Mask,
}

impl Aisu for Liver {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let exam = ctx.exam();
        if let Some(agent) = exam
            .contrast_agent
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("none"))
        {
            ctx.not_assessed(
                "F32",
                &format!(
                    "contrast-enhanced scan ({agent}): the liver attenuation criteria hold for \
                     unenhanced CT"
                ),
            )?;
            return Ok(());
        }
        let liver = ctx.mask("mask:liver")?;
        if liver.is_empty() {
            ctx.not_assessed("F32", "liver not in field of view")?;
            return Ok(());
        }
        let Some(l) = organ_hu(ct, &liver, LIVER_ROI_MM, LIVER_ROI_MIN_MM)? else {
            ctx.not_assessed(
                "F32",
                "too little liver in the field of view for a region of interest",
            )?;
            return Ok(());
        };
        ctx.check_cancelled()?;
        let spleen = match ctx.mask_opt("mask:spleen")? {
            Some(m) if !m.is_empty() => organ_hu(ct, &m, SPLEEN_ROI_MM, LIVER_ROI_MIN_MM)?
                .filter(|s| (SPLEEN_PLAUSIBLE_HU[0]..=SPLEEN_PLAUSIBLE_HU[1]).contains(&s.hu)),
            _ => None,
        };
        let round = |x: f64| (x * 10.0).round() / 10.0;
        let liver_hu = round(l.hu);
        let diff = spleen.as_ref().map(|s| round(l.hu - s.hu));
        let grade = grade(liver_hu, diff);
        let method = format!(
            "median of {} ROIs of {:.0} mm radius in the liver avoiding vessels and edges \
             ({} placed)",
            l.kept, l.radius_mm, l.placed
        );
        let Some(value) = grade else {
            ctx.measure(ExamMeasurement {
                code: "F32".into(),
                name: "liver_hu".into(),
                value: liver_hu,
                unit: "HU".into(),
                site: Some(liver_site()),
            })?;
            if let Some(d) = diff {
                ctx.measure(ExamMeasurement {
                    code: "F32".into(),
                    name: "liver_minus_spleen".into(),
                    value: d,
                    unit: "HU".into(),
                    site: Some(liver_site()),
                })?;
            }
            return Ok(());
        };
        let mut d = FindingDraft::new("F32", l.mask.clone());
        d.site = liver_site();
        let mut m = Measurement::new("liver_hu", liver_hu, "HU");
        m.method = Some(method);
        d.measurements = vec![m];
        if let Some(v) = diff {
            d.measurements
                .push(Measurement::new("liver_minus_spleen", v, "HU"));
        }
        d.category = Some(Category {
            system: "liver attenuation (Boyce 2010; Pickhardt 2012)".into(),
            value: value.into(),
            context: exam.context,
        });
        let mut morphology = vec!["diffuse".to_string()];
        if diff.is_some_and(|v| v < LIVER_SPLEEN_DIFF_HU) {
            morphology.push("below spleen".into());
        }
        d.morphology = morphology;
        d.urgency = Urgency::Routine;
        // Confident when far from the cut-off and many ROIs agree.
        let margin = (LIVER_MILD_HU - liver_hu).max(0.0);
        d.confidence = (0.6 + 0.02 * margin + 0.01 * l.kept as f64).clamp(0.5, 0.97);
        if let Some(s) = &spleen {
            d.extra.insert("spleen_hu".into(), json!(round(s.hu)));
        } else {
            d.extra.insert(
                "spleen".into(),
                json!("not in view or not measurable: graded on liver attenuation alone"),
            );
        }
        ctx.emit(d)
    }
}

/// Site of the liver measurement.
fn liver_site() -> Site {
    Site {
        side: Some("right".into()),
        structure: Some("liver".into()),
        ..Default::default()
    }
}

/// The steatosis category, `None` when normal.
pub fn grade(liver_hu: f64, liver_minus_spleen: Option<f64>) -> Option<&'static str> {
    if liver_hu <= LIVER_MODERATE_SEVERE_HU {
        Some("moderate-severe (<= 40 HU)")
    } else if liver_hu < LIVER_MILD_HU {
        Some("mild (< 48 HU)")
    } else if liver_minus_spleen.is_some_and(|d| d < LIVER_SPLEEN_DIFF_HU) {
        Some("liver more than 10 HU below spleen")
    } else {
        None
    }
}

/// Median of a non-empty slice (sorted in place).
pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Median and robust standard deviation (1.4826 MAD) of a non-empty slice.
pub(crate) fn robust(v: &mut [f64]) -> (f64, f64) {
    let m = median(v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    (m, 1.4826 * median(&mut dev))
}

/// The attenuation of an organ from ROIs of `radius_mm` (down to
/// `min_radius_mm` when the organ in view is small) placed deep inside
/// its mask; `None` when no ROI fits.
pub fn organ_hu(
    ct: &Volume<i16>,
    organ: &Mask,
    radius_mm: f64,
    min_radius_mm: f64,
) -> Result<Option<OrganHu>, AisuError> {
    let full = *ct.geometry();
    let Some(b) = IndexBox::of_mask(organ) else {
        return Ok(None);
    };
    let b = b.grown([1, 1, 1], full.dims);
    let m = crop_mask(organ, &full, &b)?;
    let v = crop(ct, &b)?;
    let depth = volume::distance_to_background(&m);
    let s = full.spacing;
    let nz_full = full.dims[2];
    let mut radius = radius_mm;
    loop {
        let rois = place_rois(&v, &m, &depth, radius, b.lo[2], nz_full);
        if !rois.is_empty() {
            return summarise(rois, &m, radius, s, &full, &b);
        }
        if radius <= min_radius_mm {
            return Ok(None);
        }
        radius = (radius * 0.75).max(min_radius_mm);
    }
}

/// ROIs of `radius` mm on a grid inside the organ.
fn place_rois(
    v: &Volume<i16>,
    m: &Volume<bool>,
    depth: &Volume<f32>,
    radius: f64,
    z0: usize,
    nz_full: usize,
) -> Vec<Roi> {
    let s = v.spacing();
    let [nx, ny, nz] = v.dims();
    let step: [usize; 3] =
        std::array::from_fn(|a| ((ROI_STEP_FACTOR * radius / s[a]).round() as usize).max(1));
    let reach: [usize; 3] = std::array::from_fn(|a| (radius / s[a]).floor() as usize);
    let need = (radius + ROI_MARGIN_MM) as f32;
    let d = depth.as_slice();
    let hu = v.as_slice();
    let inside = m.as_slice();
    let mut rois = Vec::new();
    let mut z = 0;
    while z < nz {
        // The whole ROI within the scanned slices.
        let zf = z0 + z;
        if zf < reach[2] || zf + reach[2] >= nz_full {
            z += 1;
            continue;
        }
        for y in (0..ny).step_by(step[1]) {
            for x in (0..nx).step_by(step[0]) {
                if d[x + nx * (y + ny * z)] < need {
                    continue;
                }
                let mut vals = Vec::new();
                for_each_in_ball([x, y, z], [nx, ny, nz], reach, s, radius, |idx| {
                    if inside[idx] {
                        vals.push(f64::from(hu[idx]));
                    }
                });
                if vals.len() < 5 {
                    continue;
                }
                let n = vals.len();
                let (med, sd) = robust(&mut vals);
                let band = ROI_TRIM_SIGMAS * sd.max(1.0);
                let kept: Vec<f64> = vals
                    .iter()
                    .copied()
                    .filter(|x| (x - med).abs() <= band)
                    .collect();
                let mean = kept.iter().sum::<f64>() / kept.len().max(1) as f64;
                rois.push(Roi {
                    centre: [x, y, z],
                    mean,
                    sd,
                    voxels: n,
                });
            }
        }
        z += step[2];
    }
    rois
}

/// Calls `f` with the flat index of every voxel of a grid of `dims`
/// within `radius` mm of voxel `centre` (`reach` voxels per axis, spacing
/// `s`): the ROI ball, shared by sampling and the ROI mask.
fn for_each_in_ball(
    centre: [usize; 3],
    dims: [usize; 3],
    reach: [usize; 3],
    s: [f64; 3],
    radius: f64,
    mut f: impl FnMut(usize),
) {
    let [x, y, z] = centre;
    let [nx, ny, nz] = dims;
    for k in z.saturating_sub(reach[2])..=(z + reach[2]).min(nz - 1) {
        let dz = (k as f64 - z as f64) * s[2];
        for j in y.saturating_sub(reach[1])..=(y + reach[1]).min(ny - 1) {
            let dy = (j as f64 - y as f64) * s[1];
            for i in x.saturating_sub(reach[0])..=(x + reach[0]).min(nx - 1) {
                let dx = (i as f64 - x as f64) * s[0];
                if dx * dx + dy * dy + dz * dz <= radius * radius {
                    f(i + nx * (j + ny * k));
                }
            }
        }
    }
}
/// Drops heterogeneous and outlying ROIs and takes the median.
fn summarise(
    rois: Vec<Roi>,
    m: &Volume<bool>,
    radius: f64,
    s: [f64; 3],
    full: &volume::Geometry,
    b: &IndexBox,
) -> Result<Option<OrganHu>, AisuError> {
    let placed = rois.len();
    let mut sds: Vec<f64> = rois.iter().map(|r| r.sd).collect();
    let sd_ref = median(&mut sds).max(1.0);
    let homogeneous: Vec<Roi> = rois
        .into_iter()
        .filter(|r| r.sd <= ROI_MAX_SD_RATIO * sd_ref)
        .collect();
    let mut means: Vec<f64> = homogeneous.iter().map(|r| r.mean).collect();
    let (centre, spread) = robust(&mut means);
    // ROI means vary far less than voxels: a floor keeps noise-free
    // phantoms from dropping everything.
    let band = ROI_OUTLIER_SIGMAS * spread.max(2.0);
    let kept: Vec<Roi> = homogeneous
        .into_iter()
        .filter(|r| (r.mean - centre).abs() <= band)
        .collect();
    if kept.is_empty() {
        return Ok(None);
    }
    let mut values: Vec<f64> = kept.iter().map(|r| r.mean).collect();
    let hu = median(&mut values);
    // The mask: the kept ROIs.
    let [nx, ny, nz] = m.dims();
    let reach: [usize; 3] = std::array::from_fn(|a| (radius / s[a]).floor() as usize);
    let inside = m.as_slice();
    let mut bits = vec![false; nx * ny * nz];
    for r in &kept {
        for_each_in_ball(r.centre, [nx, ny, nz], reach, s, radius, |idx| {
            if inside[idx] {
                bits[idx] = true;
            }
        });
    }
    let part = from_vec(bits, *m.geometry())?;
    Ok(Some(OrganHu {
        hu,
        kept: kept.len(),
        placed,
        radius_mm: radius,
        mask: embed(&part, full, b),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_by_the_cut_offs() {
        assert_eq!(grade(35.0, None), Some("moderate-severe (<= 40 HU)"));
        assert_eq!(grade(40.0, Some(-20.0)), Some("moderate-severe (<= 40 HU)"));
        assert_eq!(grade(45.0, None), Some("mild (< 48 HU)"));
        assert_eq!(grade(48.0, None), None);
        assert_eq!(
            grade(55.0, Some(-12.0)),
            Some("liver more than 10 HU below spleen")
        );
        assert_eq!(grade(55.0, Some(-10.0)), None);
        assert_eq!(grade(62.0, Some(8.0)), None);
    }

    #[test]
    fn roi_median_ignores_a_vessel() {
        // A 60 HU block with a 30 HU "vessel" slab through part of it.
        let g = volume::Geometry::new([40, 40, 20], [1.0, 1.0, 2.0], [0.0; 3]);
        let mut ct = Volume::filled(g, 60i16);
        let [nx, ny, _] = g.dims;
        for z in 0..20 {
            for y in 18..21 {
                for x in 0..nx {
                    ct.as_slice_mut()[x + nx * (y + ny * z)] = 30;
                }
            }
        }
        let organ = Volume::filled(g, true).map(|_| true);
        let mut m = organ.clone();
        // Leave a border outside the organ.
        for (i, b) in m.as_slice_mut().iter_mut().enumerate() {
            let x = i % nx;
            let y = (i / nx) % ny;
            let z = i / (nx * ny);
            *b = (2..38).contains(&x) && (2..38).contains(&y) && (1..19).contains(&z);
        }
        let mask = Mask::from_volume(&m);
        let o = organ_hu(&ct, &mask, 5.0, 3.0).unwrap().unwrap();
        assert!((o.hu - 60.0).abs() < 1.0, "{}", o.hu);
        assert!(o.kept >= 1);
    }
}
