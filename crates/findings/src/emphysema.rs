//! `airad.emphysema`: emphysema extent by densitometry (FINDINGS.md F05),
//! one finding per lung at 5 %LAA-950 or more.
//!
//! Method (CPU only):
//! 1. The lung field: each lung mask (aerated lung with the vessels and
//!    small airways inside it, as the lungs unit makes it) minus the
//!    trachea and bronchi masks and minus pleural air (`mask:pleural_air`
//!    of the pleura unit: the lung masks take a pneumothorax in, and it
//!    is not emphysema). Vessels stay in the denominator, as in
//!    the usual %LAA of the whole lung field; being dense, they never
//!    count as low attenuation.
//! 2. A 3 x 3 in-plane median filter, then the threshold: a voxel is a
//!    low-attenuation area when its filtered value is below -950 HU
//!    (Gevenois et al., AJRCCM 1996). Noise alone pushes normal lung
//!    under -950 HU and inflates %LAA (den Harder et al., Eur Radiol Exp
//!    2018; sharp kernels: Gallardo-Estrella et al., Eur Radiol 2016);
//!    denoising before thresholding is the usual remedy (de Boer et al.,
//!    Insights Imaging 2019). A median keeps the edges of true lucencies.
//! 3. Per lung and per lobe: %LAA-950 = low-attenuation voxels / lung
//!    field voxels. Upper/lower ratio: %LAA of the upper third over the
//!    lower third of the lung's craniocaudal extent. Distribution: upper
//!    or lower when that ratio is at least [`EMPHYSEMA_PREDOMINANCE`] (or
//!    at most its inverse), else diffuse.
//! 4. Pattern hint: paraseptal when the low-attenuation voxels crowd the
//!    pleura: their density within [`PARASEPTAL_BAND_MM`] of the lung's
//!    surface is at least [`PARASEPTAL_ENRICHMENT`] times their density
//!    deeper in. Centrilobular and panlobular emphysema are not typed:
//!    density alone does not tell them apart (Lynch et al., Radiology
//!    2015 grade them visually).
//! 5. Severity (FINDINGS.md convention): under 5 % none (no finding; the
//!    values go to `exam_measurements`), mild 5-15 %, moderate 15-25 %,
//!    severe over 25 %.
//! 6. Limits: %LAA-950 falls with slice thickness and rises with kernel
//!    sharpness and noise (Gierada et al., Acad Radiol 2010; Boedeker et
//!    al., Radiology 2004). On slices over 2.5 mm or a sharp kernel the
//!    finding carries `limited` with the reason; on thick slices a value
//!    under 5 % cannot exclude mild emphysema, so F05 is then listed in
//!    `not_assessed` (with the value) rather than measured as normal.
//!
//! The finding's mask is the low-attenuation voxels of that lung, so its
//! centroid and box are those of the emphysema, as ground truth states it.

use aisu::{
    Aisu, AisuError, Category, Context, ExamMeasurement, FindingDraft, Manifest, Mask, Measurement,
    Site, Urgency,
};
use anatomy::regions::{IndexBox, crop, crop_mask, from_vec};
use rayon::prelude::*;
use serde_json::json;
use volume::Volume;

use crate::constants::{
    EMPHYSEMA_GRADES, EMPHYSEMA_LIMITED_SLICE_MM, EMPHYSEMA_PREDOMINANCE, LAA_HU,
    PARASEPTAL_BAND_MM, PARASEPTAL_ENRICHMENT, PARASEPTAL_MIN_PERCENT, SHARP_KERNEL_NAMES,
    SHARP_KERNEL_NUMBER, STANDARD_KERNEL_NAMES,
};

/// Codes this unit emits.
pub const CODES: [&str; 1] = ["F05"];

/// Lobe masks read, with their names and side (true = right).
const LOBES: [(&str, &str, bool); 5] = [
    ("mask:lobe_rul", "RUL", true),
    ("mask:lobe_rml", "RML", true),
    ("mask:lobe_rll", "RLL", true),
    ("mask:lobe_lul", "LUL", false),
    ("mask:lobe_lll", "LLL", false),
];

/// The emphysema unit.
pub struct Emphysema {
    manifest: Manifest,
}

impl Default for Emphysema {
    fn default() -> Self {
        Emphysema {
            manifest: Manifest::new(
                "airad.emphysema",
                env!("CARGO_PKG_VERSION"),
                "Emphysema extent (%LAA-950) per lung and lobe, distribution and severity",
            )
            .optional(&[
                "mask:lung_right",
                "mask:lung_left",
                "mask:lobe_rul",
                "mask:lobe_rml",
                "mask:lobe_rll",
                "mask:lobe_lul",
                "mask:lobe_lll",
                "mask:trachea",
                "mask:bronchi",
                "mask:pleural_air",
            ])
            .codes(&CODES)
            .resources(2, 1500, 60.0),
        }
    }
}

/// Low-attenuation statistics of one region (a lung or a lobe).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LaaCount {
    /// Lung-field voxels.
    pub voxels: usize,
    /// Of which below the threshold.
    pub low: usize,
}

impl LaaCount {
    /// %LAA, or `None` for an empty region.
    pub fn percent(&self) -> Option<f64> {
        (self.voxels > 0).then(|| 100.0 * self.low as f64 / self.voxels as f64)
    }

    fn add(&mut self, low: bool) {
        self.voxels += 1;
        self.low += usize::from(low);
    }
}

/// What [`measure_lung`] found in one lung.
#[derive(Debug, Clone)]
pub struct LungLaa {
    /// Right (true) or left lung.
    pub right: bool,
    /// The whole lung field.
    pub total: LaaCount,
    /// Upper and lower thirds of the lung's height.
    pub upper: LaaCount,
    /// See [`LungLaa::upper`].
    pub lower: LaaCount,
    /// Within [`PARASEPTAL_BAND_MM`] of the lung's surface, and deeper.
    pub subpleural: LaaCount,
    /// See [`LungLaa::subpleural`].
    pub deep: LaaCount,
    /// Per lobe of this side (name, counts).
    pub lobes: Vec<(&'static str, LaaCount)>,
    /// The low-attenuation voxels, on the CT grid.
    pub mask: Mask,
}

impl LungLaa {
    /// %LAA of the lung (0 when empty).
    pub fn percent(&self) -> f64 {
        self.total.percent().unwrap_or(0.0)
    }

    /// Upper-third over lower-third %LAA (`None` when the lower third has
    /// none; capped at 99).
    pub fn upper_lower_ratio(&self) -> Option<f64> {
        let u = self.upper.percent()?;
        let l = self.lower.percent()?;
        if l > 0.0 {
            Some((u / l).min(99.0))
        } else if u > 0.0 {
            Some(99.0)
        } else {
            None
        }
    }

    /// "upper", "lower" or "diffuse".
    pub fn distribution(&self) -> &'static str {
        match self.upper_lower_ratio() {
            Some(r) if r >= EMPHYSEMA_PREDOMINANCE => "upper",
            Some(r) if r <= 1.0 / EMPHYSEMA_PREDOMINANCE => "lower",
            _ => "diffuse",
        }
    }

    /// Density of low attenuation under the pleura over its density deeper
    /// in (`None` when either part is empty or has none deeper in).
    pub fn subpleural_enrichment(&self) -> Option<f64> {
        let a = self.subpleural.percent()?;
        let b = self.deep.percent()?;
        (b > 0.0).then(|| a / b).or((a > 0.0).then_some(99.0))
    }

    /// True when the lucencies crowd the pleura (paraseptal pattern).
    pub fn paraseptal(&self) -> bool {
        self.percent() >= PARASEPTAL_MIN_PERCENT
            && self
                .subpleural_enrichment()
                .is_some_and(|e| e >= PARASEPTAL_ENRICHMENT)
    }
}

/// Severity word by %LAA-950 (FINDINGS.md convention), `None` under the
/// first step.
pub fn severity(percent: f64) -> Option<&'static str> {
    let [mild, moderate, severe] = EMPHYSEMA_GRADES;
    if percent > severe {
        Some("severe")
    } else if percent >= moderate {
        Some("moderate")
    } else if percent >= mild {
        Some("mild")
    } else {
        None
    }
}

/// Whether a reconstruction kernel is sharp (a lung, bone or edge kernel):
/// `Some(true)` sharp, `Some(false)` soft or standard, `None` unknown.
/// Siemens-style names (B70f, Br64, I50f, Q40f) are sharp from the number
/// [`SHARP_KERNEL_NUMBER`]; Canon FC numbers likewise from 30 (bone and
/// lung FC30-FC86); GE and Philips names by [`SHARP_KERNEL_NAMES`] and
/// [`STANDARD_KERNEL_NAMES`].
pub fn kernel_is_sharp(kernel: &str) -> Option<bool> {
    let k = kernel.trim().to_ascii_uppercase();
    // Multi-valued Convolution Kernel (e.g. "B70f\\LUNG"): sharp if any is.
    let parts: Vec<&str> = k.split(['\\', '/', ',']).map(str::trim).collect();
    let mut verdict = None;
    for p in parts.iter().filter(|p| !p.is_empty()) {
        let v = if SHARP_KERNEL_NAMES.contains(p) {
            Some(true)
        } else if STANDARD_KERNEL_NAMES.contains(p) {
            Some(false)
        } else if let Some(n) = p.strip_prefix("FC").and_then(|d| d.parse::<u32>().ok()) {
            Some(n >= 30)
        } else {
            // Letters, a two-digit number, an optional suffix letter.
            let letters: String = p.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
            let digits: String = p[letters.len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let rest = &p[letters.len() + digits.len()..];
            (!letters.is_empty() && letters.len() <= 2 && digits.len() == 2 && rest.len() <= 1)
                .then(|| digits.parse::<u32>().map(|n| n >= SHARP_KERNEL_NUMBER).ok())
                .flatten()
        };
        verdict = match (verdict, v) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), _) | (_, Some(false)) => Some(false),
            _ => None,
        };
    }
    verdict
}

impl Aisu for Emphysema {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let exam = ctx.exam();
        let right = ctx.mask_opt("mask:lung_right")?;
        let left = ctx.mask_opt("mask:lung_left")?;
        if right.iter().chain(left.iter()).all(|m| m.is_empty()) {
            ctx.not_assessed("F05", "no lung was found in the field of view")?;
            return Ok(());
        }
        let mut lobes = Vec::new();
        for (name, lobe, side) in LOBES {
            if let Some(m) = ctx.mask_opt(name)? {
                lobes.push((lobe, side, m));
            }
        }
        let mut excluded = Vec::new();
        for name in ["mask:trachea", "mask:bronchi", "mask:pleural_air"] {
            if let Some(m) = ctx.mask_opt(name)? {
                excluded.push(m);
            }
        }
        let slice_mm = crate::slice_thickness_mm(exam, ct);
        let thick = slice_mm > EMPHYSEMA_LIMITED_SLICE_MM + 1e-6;
        let sharp = exam.kernel.as_deref().and_then(kernel_is_sharp) == Some(true);
        let lobe_refs: Vec<(&'static str, bool, &Mask)> =
            lobes.iter().map(|(n, s, m)| (*n, *s, &**m)).collect();
        let excluded_refs: Vec<&Mask> = excluded.iter().map(|m| &**m).collect();
        let measured = measure(
            ct,
            right.as_deref(),
            left.as_deref(),
            &lobe_refs,
            &excluded_refs,
        )?;
        ctx.check_cancelled()?;
        let mut limits = Vec::new();
        if thick {
            limits.push(format!(
                "slice thickness {slice_mm:.1} mm > {EMPHYSEMA_LIMITED_SLICE_MM} mm lowers %LAA-950"
            ));
        }
        if sharp {
            limits.push(format!(
                "sharp kernel {} raises %LAA-950 (a 3 x 3 median reduces, not removes, the noise)",
                exam.kernel.as_deref().unwrap_or("")
            ));
        }
        let limited = (!limits.is_empty()).then(|| limits.join("; "));
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        let total = measured.iter().fold(LaaCount::default(), |a, l| LaaCount {
            voxels: a.voxels + l.total.voxels,
            low: a.low + l.total.low,
        });
        let any_finding = measured
            .iter()
            .any(|l| severity(l.percent()).is_some() && l.total.voxels > 0);
        if !any_finding && thick {
            // A low value on thick slices does not exclude mild emphysema.
            ctx.not_assessed(
                "F05",
                &format!(
                    "%LAA-950 {:.1} % on {slice_mm:.1} mm slices, which lower it: mild emphysema \
                     cannot be excluded",
                    total.percent().unwrap_or(0.0)
                ),
            )?;
        } else {
            if let Some(p) = total.percent() {
                ctx.measure(exam_measurement(round1(p), None))?;
            }
            for l in &measured {
                let side = if l.right { "right" } else { "left" };
                if let Some(p) = l.total.percent() {
                    ctx.measure(exam_measurement(
                        round1(p),
                        Some(Site {
                            side: Some(side.into()),
                            ..Default::default()
                        }),
                    ))?;
                }
                for (lobe, c) in &l.lobes {
                    if let Some(p) = c.percent() {
                        ctx.measure(exam_measurement(
                            round1(p),
                            Some(Site {
                                side: Some(side.into()),
                                lobe: Some((*lobe).into()),
                                ..Default::default()
                            }),
                        ))?;
                    }
                }
            }
        }
        for l in measured {
            let percent = l.percent();
            let Some(grade) = severity(percent) else {
                continue;
            };
            if l.mask.is_empty() {
                continue;
            }
            let mut d = FindingDraft::new("F05", l.mask.clone());
            let distribution = l.distribution();
            d.site = Site {
                side: Some(if l.right { "right" } else { "left" }.into()),
                zone: (distribution != "diffuse").then(|| distribution.to_string()),
                ..Default::default()
            };
            let mut laa = Measurement::new("laa950_percent", round1(percent), "%");
            laa.method = Some(
                "voxels under -950 HU after a 3 x 3 in-plane median, share of the lung field"
                    .into(),
            );
            d.measurements.push(laa);
            if let Some(r) = l.upper_lower_ratio() {
                let mut m = Measurement::new("upper_lower_ratio", (r * 100.0).round() / 100.0, "1");
                m.method = Some("%LAA-950 of the upper over the lower third of the lung".into());
                d.measurements.push(m);
            }
            d.category = Some(Category {
                system: "LAA-950 extent (convention)".into(),
                value: grade.into(),
                context: exam.context,
            });
            if l.paraseptal() {
                d.morphology.push("paraseptal".into());
            }
            d.urgency = Urgency::Routine;
            d.confidence = if limited.is_some() { 0.6 } else { 0.85 };
            d.extra.insert("distribution".into(), json!(distribution));
            let lobes: serde_json::Map<String, serde_json::Value> = l
                .lobes
                .iter()
                .filter_map(|(k, c)| c.percent().map(|p| (k.to_string(), json!(round1(p)))))
                .collect();
            d.extra.insert(
                "laa950_percent_by_lobe".into(),
                serde_json::Value::Object(lobes),
            );
            if let Some(e) = l.subpleural_enrichment() {
                d.extra.insert(
                    "subpleural_enrichment".into(),
                    json!((e * 100.0).round() / 100.0),
                );
            }
            if let Some(reason) = &limited {
                d.extra.insert("limited".into(), json!(reason));
            }
            ctx.emit(d)?;
        }
        Ok(())
    }
}

fn exam_measurement(value: f64, site: Option<Site>) -> ExamMeasurement {
    ExamMeasurement {
        code: "F05".into(),
        name: "laa950_percent".into(),
        value,
        unit: "%".into(),
        site,
    }
}

/// Median of the 3 x 3 in-plane neighbourhood of `(x, y)` on slice `s`
/// (rows of `nx`, `ny` rows), clamped at the edges.
#[inline]
pub(crate) fn median9(s: &[i16], nx: usize, ny: usize, x: usize, y: usize) -> i16 {
    let mut v = [0i16; 9];
    let mut k = 0;
    for dy in [-1isize, 0, 1] {
        let yy = (y as isize + dy).clamp(0, ny as isize - 1) as usize;
        for dx in [-1isize, 0, 1] {
            let xx = (x as isize + dx).clamp(0, nx as isize - 1) as usize;
            v[k] = s[xx + nx * yy];
            k += 1;
        }
    }
    *v.select_nth_unstable(4).1
}

/// %LAA-950 of each lung present, with its lobes, thirds, subpleural band
/// and low-attenuation mask; `excluded` masks (airways, pleural air) are
/// left out of the lung field.
pub fn measure(
    ct: &Volume<i16>,
    right: Option<&Mask>,
    left: Option<&Mask>,
    lobes: &[(&'static str, bool, &Mask)],
    excluded: &[&Mask],
) -> Result<Vec<LungLaa>, AisuError> {
    let full = *ct.geometry();
    let lungs: Vec<(bool, &Mask)> = [(true, right), (false, left)]
        .into_iter()
        .filter_map(|(r, m)| m.filter(|m| !m.is_empty()).map(|m| (r, m)))
        .collect();
    let mut b: Option<IndexBox> = None;
    for (_, m) in &lungs {
        if let Some(x) = IndexBox::of_mask(m) {
            b = Some(b.map_or(x, |o| o.union(&x)));
        }
    }
    let Some(b) = b else {
        return Ok(Vec::new());
    };
    // A voxel of margin, so the lung's surface has background around it.
    let b = b.grown([2, 2, 1], full.dims);
    let hu = crop(ct, &b)?;
    let g = *hu.geometry();
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    // 0 outside, 1 right lung, 2 left lung (excluded masks removed).
    let mut side = vec![0u8; g.len()];
    let mut union = vec![false; g.len()];
    for (r, m) in &lungs {
        let v = crop_mask(m, &full, &b)?;
        for ((s, u), inside) in side.iter_mut().zip(union.iter_mut()).zip(v.as_slice()) {
            if *inside {
                *s = if *r { 1 } else { 2 };
                *u = true;
            }
        }
    }
    for a in excluded {
        let v = crop_mask(a, &full, &b)?;
        for (s, inside) in side.iter_mut().zip(v.as_slice()) {
            if *inside {
                *s = 0;
            }
        }
    }
    // Lobe index (1-based into `lobes`) per voxel.
    let mut lobe_of = vec![0u8; g.len()];
    for (k, (_, _, m)) in lobes.iter().enumerate() {
        let v = crop_mask(m, &full, &b)?;
        for (l, inside) in lobe_of.iter_mut().zip(v.as_slice()) {
            if *inside {
                *l = k as u8 + 1;
            }
        }
    }
    // Depth below the lung's surface (airways kept inside: their walls
    // are not pleura).
    let depth = volume::distance_to_background(&from_vec(union, g)?);
    let depth = depth.as_slice();
    // Filtered low attenuation, slice by slice.
    let src = hu.as_slice();
    let mut low = vec![false; g.len()];
    low.par_chunks_mut(plane)
        .zip(side.par_chunks(plane))
        .enumerate()
        .for_each(|(z, (out, sides))| {
            let s = &src[z * plane..(z + 1) * plane];
            for y in 0..ny {
                for x in 0..nx {
                    let i = x + nx * y;
                    if sides[i] != 0 {
                        out[i] = f32::from(median9(s, nx, ny, x, y)) < LAA_HU;
                    }
                }
            }
        });
    // Craniocaudal extent of each lung, as LPS z of its slices.
    let z_of = |k: usize| g.index_to_lps([0.0, 0.0, k as f64])[2];
    let mut out = Vec::new();
    for (r, _) in &lungs {
        let code = if *r { 1u8 } else { 2u8 };
        let slices: Vec<usize> = (0..nz)
            .filter(|&z| side[z * plane..(z + 1) * plane].contains(&code))
            .collect();
        let (Some(&first), Some(&last)) = (slices.first(), slices.last()) else {
            continue;
        };
        let (za, zb) = (z_of(first), z_of(last));
        let (z_lo, z_hi) = (za.min(zb), za.max(zb));
        let third = (z_hi - z_lo) / 3.0;
        let mut l = LungLaa {
            right: *r,
            total: LaaCount::default(),
            upper: LaaCount::default(),
            lower: LaaCount::default(),
            subpleural: LaaCount::default(),
            deep: LaaCount::default(),
            lobes: lobes
                .iter()
                .filter(|(_, s, _)| s == r)
                .map(|(n, _, _)| (*n, LaaCount::default()))
                .collect(),
            mask: Mask::empty(full),
        };
        let lobe_slot: Vec<Option<usize>> = lobes
            .iter()
            .map(|(n, _, _)| l.lobes.iter().position(|(m, _)| m == n))
            .collect();
        let mut bits = vec![false; g.len()];
        for z in 0..nz {
            let zc = z_of(z);
            let zone = if zc > z_hi - third {
                1
            } else if zc < z_lo + third {
                -1
            } else {
                0
            };
            for i in z * plane..(z + 1) * plane {
                if side[i] != code {
                    continue;
                }
                let v = low[i];
                bits[i] = v;
                l.total.add(v);
                match zone {
                    1 => l.upper.add(v),
                    -1 => l.lower.add(v),
                    _ => {}
                }
                if f64::from(depth[i]) <= PARASEPTAL_BAND_MM {
                    l.subpleural.add(v);
                } else {
                    l.deep.add(v);
                }
                let k = lobe_of[i] as usize;
                if k > 0
                    && let Some(slot) = lobe_slot[k - 1]
                {
                    l.lobes[slot].1.add(v);
                }
            }
        }
        l.mask = Mask::from_crop(full, b.lo, g.dims, bits).map_err(AisuError::Failed)?;
        out.push(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_are_classed() {
        assert_eq!(kernel_is_sharp("B70f"), Some(true));
        assert_eq!(kernel_is_sharp("Br64"), Some(true));
        assert_eq!(kernel_is_sharp("B30f"), Some(false));
        assert_eq!(kernel_is_sharp("B45f"), Some(false));
        assert_eq!(kernel_is_sharp("LUNG"), Some(true));
        assert_eq!(kernel_is_sharp("STANDARD"), Some(false));
        assert_eq!(kernel_is_sharp("L"), Some(true));
        assert_eq!(kernel_is_sharp("B"), Some(false));
        assert_eq!(kernel_is_sharp("FC52"), Some(true));
        assert_eq!(kernel_is_sharp("FC13"), Some(false));
        assert_eq!(kernel_is_sharp("XYZ"), None);
        assert_eq!(kernel_is_sharp("B30f\\LUNG"), Some(true));
    }

    #[test]
    fn severity_follows_the_convention() {
        assert_eq!(severity(4.9), None);
        assert_eq!(severity(5.0), Some("mild"));
        assert_eq!(severity(15.0), Some("moderate"));
        assert_eq!(severity(25.0), Some("moderate"));
        assert_eq!(severity(25.1), Some("severe"));
    }
}
