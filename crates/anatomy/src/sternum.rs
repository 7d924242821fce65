//! `airad.sternum`: the sternum (manubrium, body and ossified xiphoid)
//! with its jugular notch, sternal angle and lower tip.
//!
//! Method: bone above [`BONE_MASK_HU`] in front of the chest, within
//! [`STERNUM_HALF_WIDTH_MM`] of the trunk's midline and in the anterior
//! [`STERNUM_DEPTH_FRACTION`] of its depth, marrow filled slice by slice;
//! the sternum is the set of 3D components centred on the midline (the
//! manubriosternal joint may part manubrium and body). The sternal angle
//! is the narrowest (least bony) level 25-75 mm below the notch, where the
//! manubrium's broad lower edge meets the narrower body (manubrium length
//! 45-55 mm: Selthofer et al., Coll Antropol 2006).

use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Context, Landmarks, Manifest};
use volume::{Connectivity, Volume, label_components};

use crate::constants::{
    BONE_MASK_HU, SKIN_MARGIN_MM, STERNUM_DEPTH_FRACTION, STERNUM_HALF_WIDTH_MM, STERNUM_OPEN_MM,
};
use crate::skeleton::{BodyExtents, Crop, Frame, body_slices, masks_from_labels, open_2d};
use crate::util::err;

/// The sternum unit.
pub struct Sternum {
    manifest: Manifest,
}

impl Default for Sternum {
    fn default() -> Self {
        Sternum {
            manifest: Manifest::new(
                "airad.sternum",
                env!("CARGO_PKG_VERSION"),
                "Sternum (manubrium and body) with notch, sternal angle and lower tip",
            )
            .requires(&["mask:body"])
            .produces(&["mask:sternum", "landmarks:sternum"])
            .resources(1, 600, 60.0)
            .typical(0.8),
        }
    }
}

impl Aisu for Sternum {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let body = ctx.mask("mask:body")?;
        let f = Frame::new(ct.geometry())?;
        let slices = body_slices(&body, f.dims[2]);
        let Some((lo, hi)) = body.bbox_index() else {
            return Err(AisuError::NotAssessable(
                "no body in the field of view".into(),
            ));
        };
        let crop = Crop::new(
            [lo[0] as i64, lo[1] as i64, lo[2] as i64],
            [hi[0] as i64, hi[1] as i64, hi[2] as i64],
            f.dims,
        )
        .ok_or_else(|| AisuError::NotAssessable("empty body".into()))?;
        let [nx, ny, _] = f.dims;
        let [cx, cy, cz] = crop.n;
        let data = ct.as_slice();
        let inner = BodyExtents::new(&body, f.dims);
        let mx = (SKIN_MARGIN_MM / f.s[0]).ceil() as usize;
        let my = (SKIN_MARGIN_MM / f.s[1]).ceil() as usize;
        let mut bone = vec![false; crop.len()];
        for z in 0..cz {
            let zf = z + crop.lo[2];
            let Some(sb) = slices[zf] else { continue };
            let ant = sb.anterior_y(&f) as f64;
            let depth = sb.depth_mm(&f);
            for y in 0..cy {
                let from_front = ((y + crop.lo[1]) as f64 - ant).abs() * f.s[1];
                if from_front > STERNUM_DEPTH_FRACTION * depth {
                    continue;
                }
                for x in 0..cx {
                    let dx = ((x + crop.lo[0]) as f64 - sb.cx).abs() * f.s[0];
                    if dx > STERNUM_HALF_WIDTH_MM {
                        continue;
                    }
                    let (gx, gy) = (x + crop.lo[0], y + crop.lo[1]);
                    bone[x + cx * (y + cy * z)] = data[gx + nx * (gy + ny * zf)] >= BONE_MASK_HU
                        && inner.inside(gx, gy, zf, mx, my);
                }
            }
        }
        let arr = ndarray::Array3::from_shape_vec((cz, cy, cx), bone)
            .map_err(|e| AisuError::Failed(e.to_string()))?;
        let vol = Volume::new(arr, crop.geometry(f.s)).map_err(err)?;
        let filled = volume::fill_holes_slicewise(&vol).map_err(err)?;
        // Thin bright lines (edge overshoot, pericardial calcification)
        // are not sternum.
        let (arr, _) = filled.into_parts();
        let filled = open_2d(arr.into_raw_vec_and_offset().0, &crop, f.s, STERNUM_OPEN_MM)?;
        let arr = ndarray::Array3::from_shape_vec((cz, cy, cx), filled)
            .map_err(|e| AisuError::Failed(e.to_string()))?;
        let filled = Volume::new(arr, crop.geometry(f.s)).map_err(err)?;
        let comps = label_components(&filled, Connectivity::TwentySix).map_err(err)?;
        // Components centred on the midline, of at least 1 mL and 15 mm tall.
        let mut keep = vec![false; comps.len() + 1];
        for s in &comps.stats {
            let mid: Vec<f64> = (s.bbox_min[2]..=s.bbox_max[2])
                .filter_map(|z| slices[z + crop.lo[2]].map(|b| b.cx))
                .collect();
            let mid = mid.iter().sum::<f64>() / mid.len().max(1) as f64;
            let off = ((s.centroid_index[0] + crop.lo[0] as f64) - mid).abs() * f.s[0];
            let tall = (s.bbox_max[2] - s.bbox_min[2] + 1) as f64 * f.s[2];
            if s.volume_ml >= 1.0 && off <= 12.0 && tall >= 15.0 {
                keep[s.label as usize] = true;
            }
        }
        let labels: Vec<u8> = comps
            .labels
            .as_slice()
            .iter()
            .map(|l| u8::from(keep[*l as usize]))
            .collect();
        if !labels.contains(&1) {
            ctx.absent("mask:sternum", "not in field of view")?;
            return ctx.absent("landmarks:sternum", "not in field of view");
        }
        // Landmarks from the per-slice extent.
        let mut area = vec![0usize; cz];
        let mut sum = vec![[0.0f64; 2]; cz];
        for (i, l) in labels.iter().enumerate() {
            if *l == 1 {
                let (x, y, z) = (i % cx, (i / cx) % cy, i / (cx * cy));
                area[z] += 1;
                sum[z][0] += (x + crop.lo[0]) as f64;
                sum[z][1] += (y + crop.lo[1]) as f64;
            }
        }
        let g = ct.geometry();
        let centre = |z: usize| {
            let n = area[z].max(1) as f64;
            g.index_to_lps([sum[z][0] / n, sum[z][1] / n, (z + crop.lo[2]) as f64])
        };
        let present: Vec<usize> = (0..cz).filter(|z| area[*z] > 0).collect();
        let mut lm = Landmarks::new();
        let up = |a: usize, b: usize| f.z_mm(a + crop.lo[2]) > f.z_mm(b + crop.lo[2]);
        let (top, bottom) = match (present.first(), present.last()) {
            (Some(&a), Some(&b)) if up(a, b) => (a, b),
            (Some(&a), Some(&b)) => (b, a),
            _ => return Err(AisuError::Failed("sternum vanished".into())),
        };
        lm.insert("sternum_top".into(), centre(top));
        lm.insert("sternum_bottom".into(), centre(bottom));
        let top_z = f.z_mm(top + crop.lo[2]);
        let angle = present
            .iter()
            .filter(|&&z| {
                let d = top_z - f.z_mm(z + crop.lo[2]);
                (25.0..=75.0).contains(&d)
            })
            .min_by_key(|&&z| area[z]);
        if let Some(&z) = angle {
            lm.insert("sternal_angle".into(), centre(z));
        }
        let masks = masks_from_labels(g, &crop, &labels, &[1]);
        for (_, m) in masks {
            ctx.put_mask("mask:sternum", m)?;
        }
        ctx.put("landmarks:sternum", Artefact::Landmarks(Arc::new(lm)))
    }
}
