//! `airad.heart_size`: cardiomegaly (FINDINGS.md F17) from the axial
//! cardiothoracic ratio and the heart volume.
//!
//! The heart unit (`airad.heart`) outlines the heart (chambers and
//! myocardium, without the epicardial fat). This unit measures, on the
//! axial slice where that outline is widest, its left-right extent over
//! the inner thoracic diameter on the same slice (the axial-CT convention
//! of FINDINGS.md F17), and grades the ratio:
//!
//! - CTR above [`CTR_CUTOFF`] (FINDINGS.md F17): a finding with the
//!   ratio, the heart volume and both diameters; its mask is the heart.
//! - Otherwise the ratio and the volume go to `exam_measurements` (the
//!   normal values the report states).
//! - A heart cut by the scan's first or last slice may be widest out of
//!   view: the ratio is then stated "limited" and the volume left out.
//! - A widest slice with less lung than [`CTR_MIN_THORAX_MM`] across (a
//!   scan ending above the heart, one lung collapsed) is not assessed.
//! - At the heart's bottom the outline can run on into the liver dome
//!   beneath the right lung (thick slices): slices that widen abruptly
//!   there are left out ([`widest_slice`]), and the volume with them.
//!
//! The thoracic diameter is the lungs' extent where they touch the wall.
//! Where fluid or collapse holds a lung off the lateral wall at that
//! level, the lungs would shorten it and raise the ratio (suite case-005:
//! CTR 0.543 for a true 0.46): the costal pleura of the pleura unit's
//! wall model (the rib cage, bridged over the intercostal gaps) is then
//! taken when it lies more than [`CTR_WALL_BEYOND_MM`] beyond the lungs,
//! and the finding is "limited": the heart unit's outline may run into
//! fluid or collapsed lung against the heart. Without a body mask, lungs
//! much narrower there than at their widest make it "limited" (see
//! [`CTR_MIN_LUNG_SHARE`]).

use aisu::{
    Aisu, AisuError, Context, ExamMeasurement, FindingDraft, Manifest, Mask, Measurement, Site,
    Urgency,
};
use anatomy::regions::{IndexBox, crop_mask};
use serde_json::json;
use volume::Geometry;

use crate::constants::{
    CTR_CUTOFF, CTR_MIN_LUNG_SHARE, CTR_MIN_THORAX_MM, CTR_OPEN_MM, CTR_SPREAD_MM,
    CTR_SPREAD_SHARE, CTR_WALL_BEYOND_MM, CTR_WALL_SLAB_MM,
};
use crate::pleura::wall::{Hemithorax, Scene};

/// Codes this unit emits.
pub const CODES: [&str; 1] = ["F17"];

/// The heart size unit.
pub struct HeartSize {
    manifest: Manifest,
}

impl Default for HeartSize {
    fn default() -> Self {
        HeartSize {
            manifest: Manifest::new(
                "airad.heart_size",
                env!("CARGO_PKG_VERSION"),
                "Cardiomegaly from the axial cardiothoracic ratio and heart volume",
            )
            .requires(&[
                "mask:heart",
                "values:heart",
                "mask:lung_right",
                "mask:lung_left",
            ])
            .optional(
                &[
                    crate::pericardium::READS_OPTIONAL.as_slice(),
                    &["mask:body"],
                ]
                .concat(),
            )
            .codes(&CODES)
            .resources(1, 300, 10.0),
        }
    }
}

/// The widths of a mask, slice by slice.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceWidths {
    /// Left-right extent on each slice, mm (0 where the mask is empty).
    pub mm: Vec<f64>,
}

impl SliceWidths {
    /// Left-right extents of the union of `masks` on each slice.
    pub fn of(masks: &[&Mask], nz: usize, pixel_mm: f64) -> SliceWidths {
        let mut lo = vec![usize::MAX; nz];
        let mut hi = vec![0usize; nz];
        for m in masks {
            let Some((a, b)) = m.bbox_index() else {
                continue;
            };
            for z in a[2]..=b[2].min(nz - 1) {
                for y in a[1]..=b[1] {
                    for x in a[0]..=b[0] {
                        if m.contains(x, y, z) {
                            lo[z] = lo[z].min(x);
                            hi[z] = hi[z].max(x);
                        }
                    }
                }
            }
        }
        SliceWidths {
            mm: (0..nz)
                .map(|z| {
                    if lo[z] == usize::MAX {
                        0.0
                    } else {
                        (hi[z] - lo[z] + 1) as f64 * pixel_mm
                    }
                })
                .collect(),
        }
    }
}

/// Left-right extents of the heart after an opening of [`CTR_OPEN_MM`]:
/// the outline's thin attachments (pulmonary veins entering the left
/// atrium, a vessel stump) are not heart width. `None` when the opening
/// leaves nothing (a sliver of heart in view).
fn opened_widths(heart: &Mask, geometry: &Geometry) -> Result<Option<SliceWidths>, AisuError> {
    let Some(b) = IndexBox::of_mask(heart) else {
        return Ok(None);
    };
    let b = b.grown([2, 2, 1], geometry.dims);
    let crop = crop_mask(heart, geometry, &b)?;
    let opened = volume::open(&crop, CTR_OPEN_MM)
        .map_err(|e| AisuError::Failed(format!("heart opening: {e}")))?;
    let opened = Mask::from_crop(*geometry, b.lo, opened.dims(), opened.as_slice().to_vec())
        .map_err(AisuError::Failed)?;
    let widths = SliceWidths::of(&[&opened], geometry.dims[2], geometry.spacing[0]);
    Ok(widths.mm.iter().any(|w| *w > 0.0).then_some(widths))
}

/// The slice the heart is measured on, and the lowest slices left out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WidestSlice {
    /// Slice index.
    pub z: usize,
    /// Slices at the heart's bottom left out because its outline spreads
    /// there (into the liver dome under the right lung).
    pub excluded: usize,
}

/// The heart's widest slice. `up` is +1 when slice indices run upwards
/// (inferior to superior), -1 otherwise. Walking down from the middle of
/// the heart, a slice wider than the one above by [`CTR_SPREAD_SHARE`]
/// and [`CTR_SPREAD_MM`] is where the outline left the heart (the heart
/// narrows towards the diaphragm; the liver dome beneath the right lung
/// does not): it and the slices below it are left out.
pub fn widest_slice(heart: &SliceWidths, up: i64) -> Option<WidestSlice> {
    let present: Vec<usize> = (0..heart.mm.len()).filter(|&z| heart.mm[z] > 0.0).collect();
    let (&first, &last) = (present.first()?, present.last()?);
    // Indices from the top of the heart to its bottom.
    let top_down: Vec<usize> = if up > 0 {
        (first..=last).rev().collect()
    } else {
        (first..=last).collect()
    };
    let mut kept = top_down.len();
    for k in (top_down.len() / 2).max(1)..top_down.len() {
        let (above, here) = (heart.mm[top_down[k - 1]], heart.mm[top_down[k]]);
        if k > 0
            && above > 0.0
            && here > above * (1.0 + CTR_SPREAD_SHARE)
            && here > above + CTR_SPREAD_MM
        {
            kept = k;
            break;
        }
    }
    let z = top_down[..kept]
        .iter()
        .copied()
        .max_by(|a, b| heart.mm[*a].total_cmp(&heart.mm[*b]))?;
    Some(WidestSlice {
        z,
        excluded: top_down.len() - kept,
    })
}

/// The distance between the right and left costal pleura on slice `z`
/// (CT grid), mm, from the pleura unit's wall model (ribs bridged over
/// the intercostal gaps) on a slab around it: per side the farther of the
/// pleura and the lung. `None` when either side's wall is unknown.
fn pleural_width(
    ct: &volume::Volume<i16>,
    body: &Mask,
    right: &Mask,
    left: &Mask,
    z: usize,
) -> Result<Option<f64>, AisuError> {
    let g = ct.geometry();
    let half = (CTR_WALL_SLAB_MM / g.spacing[2]).ceil() as usize;
    let slab = (z.saturating_sub(half), z + half);
    let Some(scene) = Scene::build(ct, body, Some(right), Some(left), (40.0, 0.0), Some(slab))?
    else {
        return Ok(None);
    };
    let Some(z_crop) = z.checked_sub(scene.b.lo[2]) else {
        return Ok(None);
    };
    let mut sides = Vec::with_capacity(2);
    for is_right in [true, false] {
        let Some(h) = Hemithorax::build(&scene, is_right) else {
            return Ok(None);
        };
        let (pleura, lung) = h.lateral_reach(z_crop);
        let Some(pleura) = pleura else {
            return Ok(None);
        };
        sides.push(h.centre_x_mm() - h.medial_x * pleura.max(lung));
    }
    Ok(Some((sides[0] - sides[1]).abs()))
}

impl Aisu for HeartSize {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let heart = ctx.mask("mask:heart")?;
        // A pericardial effusion inside the heart's outline is not heart
        // (the radiograph's silhouette counts it; CT tells it apart).
        let effusion = crate::pericardium::surroundings_fluid(ctx, &heart)?;
        let heart = match &effusion {
            Some(f) => {
                let mut without = heart.to_volume();
                let fluid = f.mask.to_volume();
                for (h, x) in without.as_slice_mut().iter_mut().zip(fluid.as_slice()) {
                    *h &= !*x;
                }
                std::sync::Arc::new(Mask::from_volume(&without))
            }
            None => heart,
        };
        let right = ctx.mask("mask:lung_right")?;
        let left = ctx.mask("mask:lung_left")?;
        let geometry = *ctx.volume().geometry();
        let nz = geometry.dims[2];
        let Some((lo, hi)) = heart.bbox_index() else {
            ctx.not_assessed("F17", "heart not in field of view")?;
            return Ok(());
        };
        let pixel = geometry.spacing[0];
        let hearts = opened_widths(&heart, &geometry)?
            .unwrap_or_else(|| SliceWidths::of(&[&heart], nz, pixel));
        let lungs = SliceWidths::of(&[&right, &left], nz, pixel);
        let up = if nz > 1
            && geometry.index_to_lps([0.0, 0.0, 1.0])[2] < geometry.index_to_lps([0.0; 3])[2]
        {
            -1
        } else {
            1
        };
        let Some(widest) = widest_slice(&hearts, up) else {
            ctx.not_assessed("F17", "heart not in field of view")?;
            return Ok(());
        };
        let heart_mm = hearts.mm[widest.z];
        let lungs_mm = lungs.mm[widest.z];
        let body = ctx.mask_opt("mask:body")?;
        let pleura_mm = match &body {
            Some(body) => pleural_width(ctx.volume(), body, &right, &left, widest.z)?,
            None => None,
        };
        // The inner thoracic wall: the costal pleura where the rib cage
        // shows it clearly beyond the lungs (fluid between lung and
        // wall), else the lungs (where they touch the wall the two agree
        // within a few mm, and the lungs' edge is the sharper).
        let from_wall = pleura_mm.is_some_and(|p| p > lungs_mm + CTR_WALL_BEYOND_MM);
        let thorax_mm = match pleura_mm {
            Some(p) if from_wall => p,
            _ => lungs_mm,
        };
        if thorax_mm < CTR_MIN_THORAX_MM {
            ctx.not_assessed(
                "F17",
                &format!(
                    "lungs only {thorax_mm:.0} mm across at the heart's widest slice: no \
                     thoracic diameter"
                ),
            )?;
            return Ok(());
        }
        let cut = lo[2] == 0 || hi[2] + 1 >= nz;
        let widest_lungs = lungs.mm.iter().copied().fold(0.0, f64::max);
        let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
        let ratio = round3(heart_mm / thorax_mm);
        // The volume holds when the whole heart is in view and its
        // outline did not spread beneath the lung.
        let volume = (!cut && widest.excluded == 0)
            .then(|| (heart.count() as f64 * geometry.voxel_volume_mm3() / 1000.0).round());
        let mut limited = Vec::new();
        if cut {
            limited.push(
                "heart cut by the scan's end: the widest level may be out of view".to_string(),
            );
        }
        if from_wall {
            // The diameter holds; the heart's border against fluid or
            // collapsed lung of the same density may not (the heart unit
            // outlines soft tissue, and atelectasis beside the heart is as
            // dense as it: phantoms with 2 l effusions read the heart up
            // to 30 mm wide).
            limited.push(
                "fluid or collapsed lung between the lung and the chest wall at the heart's \
                 widest level: the thorax is measured on the rib cage, and the heart's \
                 border against fluid or collapsed lung may be overstated"
                    .to_string(),
            );
        } else if thorax_mm < CTR_MIN_LUNG_SHARE * widest_lungs {
            limited.push(
                "lungs narrower at the heart's widest level than elsewhere (effusion or \
                 collapse?): the ratio may overstate the heart"
                    .to_string(),
            );
        }
        let site = Site {
            structure: Some("heart".into()),
            ..Default::default()
        };
        if ratio <= CTR_CUTOFF {
            ctx.measure(ExamMeasurement {
                code: "F17".into(),
                name: "cardiothoracic_ratio".into(),
                value: ratio,
                unit: "1".into(),
                site: Some(site.clone()),
            })?;
            if let Some(volume) = volume {
                ctx.measure(ExamMeasurement {
                    code: "F17".into(),
                    name: "heart_volume".into(),
                    value: volume,
                    unit: "ml".into(),
                    site: Some(site),
                })?;
            }
            return Ok(());
        }
        let mut d = FindingDraft::new("F17", (*heart).clone());
        d.site = site;
        let mut m = Measurement::new("cardiothoracic_ratio", ratio, "1");
        let mut method = if from_wall {
            format!(
                "axial: heart {heart_mm:.1} mm / thorax {thorax_mm:.1} mm across on the \
                 heart's widest slice (inner thoracic wall from the rib cage: the lungs, \
                 {lungs_mm:.1} mm, lie off the wall there)"
            )
        } else {
            format!(
                "axial: heart {heart_mm:.1} mm / lungs {thorax_mm:.1} mm across on the heart's \
                 widest slice"
            )
        };
        if effusion.is_some() {
            method.push_str(" (the pericardial effusion left out of the heart)");
        }
        if widest.excluded > 0 {
            method.push_str(&format!(
                " ({} lowest slice(s) left out: the outline spreads beneath the lung there)",
                widest.excluded
            ));
        }
        m.method = Some(method);
        d.measurements.push(m);
        if let Some(volume) = volume {
            d.measurements
                .push(Measurement::new("heart_volume", volume, "ml"));
        }
        d.category = Some(aisu::Category {
            system: "axial cardiothoracic ratio (FINDINGS.md F17)".into(),
            value: "enlarged (> 0.5)".into(),
            context: ctx.exam().context,
        });
        d.urgency = Urgency::Routine;
        d.key_slice = Some(widest.z);
        // Confident well above the cut-off, less so near it or limited.
        d.confidence = (0.6 + 4.0 * (ratio - CTR_CUTOFF)).clamp(0.55, 0.95)
            - if limited.is_empty() { 0.0 } else { 0.15 };
        d.extra.insert(
            "heart_diameter_mm".into(),
            json!((heart_mm * 10.0).round() / 10.0),
        );
        d.extra.insert(
            "thorax_diameter_mm".into(),
            json!((thorax_mm * 10.0).round() / 10.0),
        );
        if !limited.is_empty() {
            d.extra.insert("limited".into(), json!(limited.join("; ")));
        }
        ctx.emit(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(mm: &[f64]) -> SliceWidths {
        SliceWidths { mm: mm.to_vec() }
    }

    #[test]
    fn the_widest_slice_is_the_widest_when_the_heart_narrows_downwards() {
        // Slice 0 is the lowest (indices run upwards).
        let h = widths(&[0.0, 90.0, 120.0, 130.0, 125.0, 110.0, 80.0, 0.0]);
        let w = widest_slice(&h, 1).unwrap();
        assert_eq!(w, WidestSlice { z: 3, excluded: 0 });
        // The same heart with indices running downwards.
        let mut rev = h.mm.clone();
        rev.reverse();
        assert_eq!(widest_slice(&widths(&rev), -1).unwrap().z, 4);
    }

    #[test]
    fn slices_spreading_onto_the_liver_dome_are_left_out() {
        // A0002-like: the heart outline widens by 11 % (14 mm) on its
        // third-lowest slice, where it reached the liver dome.
        let h = widths(&[
            67.2, 128.0, 146.1, 131.9, 138.3, 130.6, 124.1, 115.1, 104.7, 90.5,
        ]);
        let w = widest_slice(&h, 1).unwrap();
        assert_eq!(w.z, 4, "{w:?}");
        assert_eq!(w.excluded, 3);
    }
}
