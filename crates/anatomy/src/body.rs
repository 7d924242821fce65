//! `airad.body`: the patient's body outline (skin inwards, lungs and
//! airways included), with the scanner table, pads and clothing removed,
//! and the arms found when they lie apart from the trunk.
//!
//! Method: tissue above [`BODY_MIN_HU`]; connected components; the trunk
//! is the largest component after an opening that detaches the table;
//! arms are large components beside it; the body is the trunk with its
//! holes (lungs, airways, bowel gas) filled slice by slice.

use aisu::{Aisu, AisuError, Artefact, Context, Manifest, Mask};
use serde_json::json;
use volume::{Connectivity, Volume, label_components};

use crate::constants::{ARM_MIN_ML, BODY_MIN_HU, BODY_OPEN_MM};
use crate::util::{and, downsample_majority, err, keep_label, phase, slice_area_mm2, upsample};

/// The body unit.
pub struct Body {
    manifest: Manifest,
}

impl Default for Body {
    fn default() -> Self {
        Body {
            manifest: Manifest::new(
                "airad.body",
                env!("CARGO_PKG_VERSION"),
                "Body outline without table and clothing; arms when separate",
            )
            .produces(&[
                "mask:body",
                "mask:arm_left",
                "mask:arm_right",
                "values:body",
            ])
            .resources(2, 1500, 60.0)
            .typical(1.4),
        }
    }
}

impl Aisu for Body {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let result = segment_body(ct)?;
        ctx.put_mask("mask:body", Mask::from_volume(&result.body))?;
        for (name, arm) in [
            ("mask:arm_left", &result.arm_left),
            ("mask:arm_right", &result.arm_right),
        ] {
            match arm {
                Some(a) => ctx.put_mask(name, Mask::from_volume(a))?,
                None => ctx.absent(name, "no arm apart from the trunk in the field of view")?,
            }
        }
        ctx.put(
            "values:body",
            Artefact::Values(std::sync::Arc::new(json!({
                "arms_beside_trunk": [result.arm_right.is_some(), result.arm_left.is_some()],
                "truncated_in_plane": result.truncated,
                "largest_cross_section_mm2": result.max_area_mm2,
            }))),
        )
    }
}

/// The body, arms and field-of-view facts.
pub struct BodySegmentation {
    /// Body outline, holes filled.
    pub body: Volume<bool>,
    /// Left arm (patient's left, +x in LPS), when apart from the trunk.
    pub arm_left: Option<Volume<bool>>,
    /// Right arm, when apart from the trunk.
    pub arm_right: Option<Volume<bool>>,
    /// True when the body touches the edge of the reconstructed field.
    pub truncated: bool,
    /// Largest axial cross-section, mm^2.
    pub max_area_mm2: f64,
}

/// In-plane pixel size of the coarse grid the body is found on, mm: the
/// opening and components run there (4x fewer voxels on a 512 matrix),
/// the outline is then refined at full resolution.
const COARSE_PIXEL_MM: f64 = 1.5;

/// Segments the body of a CT volume.
pub fn segment_body(ct: &Volume<i16>) -> Result<BodySegmentation, AisuError> {
    let t = phase("coarse");
    let tissue = ct.map(|v| *v > BODY_MIN_HU);
    let factor = ((COARSE_PIXEL_MM / ct.spacing()[0].min(ct.spacing()[1])).round() as usize).max(1);
    let coarse = downsample_majority(&tissue, factor)?;
    // Opening detaches the table and thin pads; the largest component of
    // what remains is the trunk.
    drop(t);
    let t = phase("open");
    let opened = volume::open(&coarse, BODY_OPEN_MM).map_err(err)?;
    drop(t);
    let t = phase("components");
    let mut parts = label_components(&opened, Connectivity::Six).map_err(err)?;
    parts.relabel_by_size();
    let Some(trunk_stats) = parts.stats.first().cloned() else {
        return Err(AisuError::NotAssessable(
            "no body in the field of view".into(),
        ));
    };
    let trunk_core = keep_label(&parts.labels, trunk_stats.label);
    // Give back what the opening shaved off the skin: full-resolution
    // tissue within reach of the trunk.
    drop(t);
    let t = phase("refine");
    let near = volume::dilate(&trunk_core, BODY_OPEN_MM * 1.5).map_err(err)?;
    let trunk = and(&upsample(&near, factor, ct.geometry()), &tissue);
    drop(t);
    let t = phase("fill");
    let body = volume::fill_holes_slicewise(&trunk).map_err(err)?;
    drop(t);
    let _t = phase("arms");

    // Arms: big components beside the trunk, not below it (the table).
    let trunk_x = trunk_stats.centroid_index[0];
    let width = (trunk_stats.bbox_max[0] - trunk_stats.bbox_min[0]) as f64;
    let mut arm_left = None;
    let mut arm_right = None;
    for s in parts.stats.iter().skip(1) {
        if s.volume_ml < ARM_MIN_ML {
            break; // sorted by size
        }
        let height = (s.bbox_max[1] - s.bbox_min[1]) as f64;
        let breadth = (s.bbox_max[0] - s.bbox_min[0]) as f64;
        let flat = height < 0.35 * breadth; // the table is wide and thin
        let lateral = (s.centroid_index[0] - trunk_x).abs() > 0.3 * width;
        if flat || !lateral {
            continue;
        }
        let arm_coarse = keep_label(&parts.labels, s.label);
        let arm = and(&upsample(&arm_coarse, factor, ct.geometry()), &tissue);
        let arm = volume::fill_holes_slicewise(&arm).map_err(err)?;
        // LPS +x is the patient's left; x index increases along direction[0].
        let dx = s.centroid_lps[0] - trunk_stats.centroid_lps[0];
        if dx > 0.0 && arm_left.is_none() {
            arm_left = Some(arm);
        } else if dx < 0.0 && arm_right.is_none() {
            arm_right = Some(arm);
        }
    }
    let [nx, ny, nz] = body.dims();
    let data = body.as_slice();
    let mut edge = 0usize;
    for z in 0..nz {
        for y in 0..ny {
            let row = &data[(z * ny + y) * nx..(z * ny + y + 1) * nx];
            if y == 0 || y == ny - 1 {
                edge += row.iter().filter(|v| **v).count();
            } else {
                edge += usize::from(row[0]) + usize::from(row[nx - 1]);
            }
        }
    }
    let max_area_mm2 = (0..nz)
        .map(|z| slice_area_mm2(&body, z))
        .fold(0.0, f64::max);
    Ok(BodySegmentation {
        body,
        arm_left,
        arm_right,
        truncated: edge > 20 * nz,
        max_area_mm2,
    })
}
