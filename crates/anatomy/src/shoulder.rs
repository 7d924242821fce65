//! `airad.shoulder`: the clavicles and scapulae.
//!
//! Method: bone above [`RIB_BONE_HU`] on a grid coarsened 2x in-plane,
//! without the vertebral zone (from `centreline:spine`), the ribs (as the
//! spine unit traced them, `values:rib_candidates`: waiting for the ribs
//! unit's masks would put it on the pathway's critical path) and the
//! sternum (its mask), dilated, in 3D components. Pieces lateral to the
//! midline are shoulder-girdle bone: in front of [`CLAVICLE_MAX_FRACTION`]
//! of the chest's depth they are clavicle, behind it scapula (the
//! acromioclavicular joint often joins the two on CT). The humeral head
//! and shaft, which touch the glenoid, are removed as the parts thicker
//! than [`HUMERUS_MIN_RADIUS_MM`] (an opening; the scapular blade is 2-5
//! mm thick and the clavicle's shaft 10-15 mm wide: Bernat et al., 2014).

use aisu::{Aisu, AisuError, Context, Manifest};
use volume::{Connectivity, Geometry, Volume, label_components};

use crate::constants::{
    BONE_MASK_HU, CLAVICLE_MAX_FRACTION, HUMERUS_MIN_RADIUS_MM, RIB_BONE_HU, SKIN_MARGIN_MM,
};
use crate::rib_candidates::{self, RIB_CANDIDATES};
use crate::rib_shell::masks_on_grid;
use crate::ribs_detect::{coarse_grid, in_spine_zone};
use crate::skeleton::{BodyExtents, Frame, body_slices, label_boxes, masks_from_labels};
use crate::util::{err, phase};

/// The shoulder-girdle unit.
pub struct Shoulder {
    manifest: Manifest,
}

impl Default for Shoulder {
    fn default() -> Self {
        Shoulder {
            manifest: Manifest::new(
                "airad.shoulder",
                env!("CARGO_PKG_VERSION"),
                "Clavicles and scapulae",
            )
            .requires(&["mask:body"])
            .optional(&["mask:sternum", "centreline:spine", RIB_CANDIDATES])
            .produces(&[
                "mask:clavicle_left",
                "mask:clavicle_right",
                "mask:scapula_left",
                "mask:scapula_right",
            ])
            .resources(1, 800, 60.0)
            .typical(1.3),
        }
    }
}

impl Aisu for Shoulder {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let body = ctx.mask("mask:body")?;
        let f = Frame::new(ct.geometry())?;
        let slices = body_slices(&body, f.dims[2]);
        let sternum = ctx.mask_opt("mask:sternum")?;
        let spine = ctx.centreline("centreline:spine").ok();
        // The grid the spine unit traced the ribs on.
        let coarse = coarse_grid(&body, &f)?;
        let (crop, k, n) = (coarse.crop, coarse.f, coarse.n);
        // Coarse voxels taken by other bones, dilated in-plane by one
        // coarse voxel (a dense grid: the masks hold some 10^5 voxels).
        let t = phase("taken");
        let sternum: Vec<&aisu::Mask> = sternum.iter().map(|m| &**m).collect();
        let mut marked = masks_on_grid(&coarse, &sternum);
        let ribs = ctx
            .values(RIB_CANDIDATES)
            .ok()
            .and_then(|v| rib_candidates::decode(&v, &coarse));
        for rib in ribs.iter().flat_map(|d| &d.ribs) {
            for &i in &rib.voxels {
                marked[i] = true;
            }
        }
        let mut taken = marked.clone();
        for (i, _) in marked.iter().enumerate().filter(|(_, m)| **m) {
            let (x, y) = (i % n[0], (i / n[0]) % n[1]);
            for qy in y.saturating_sub(1)..(y + 2).min(n[1]) {
                for qx in x.saturating_sub(1)..(x + 2).min(n[0]) {
                    taken[i - x - n[0] * y + qx + n[0] * qy] = true;
                }
            }
        }
        drop(marked);
        drop(t);
        // Spine centre per slice, from the centreline.
        let mut centre: Vec<Option<([f64; 2], f64)>> = vec![None; f.dims[2]];
        if let Some(cl) = &spine {
            for (p, r) in cl.points.iter().zip(&cl.radii_mm) {
                let i = ct.geometry().lps_to_index(*p);
                let z = i[2].round();
                if (0.0..f.dims[2] as f64).contains(&z) {
                    centre[z as usize] = Some(([i[0], i[1]], *r));
                }
            }
        }
        let [nx, ny, _] = f.dims;
        let data = ct.as_slice();
        let inner = BodyExtents::new(&body, f.dims);
        let mx = (SKIN_MARGIN_MM / f.s[0]).ceil() as usize;
        let my = (SKIN_MARGIN_MM / f.s[1]).ceil() as usize;
        let t = phase("bone");
        let mut bone = vec![false; n[0] * n[1] * n[2]];
        for z in crop.lo[2]..crop.lo[2] + crop.n[2] {
            for y in crop.lo[1]..crop.lo[1] + crop.n[1] {
                for x in crop.lo[0]..crop.lo[0] + crop.n[0] {
                    if data[x + nx * (y + ny * z)] < RIB_BONE_HU || !inner.inside(x, y, z, mx, my) {
                        continue;
                    }
                    if let Some((c, hw)) = centre[z] {
                        let dx = (x as f64 - c[0]) * f.s[0] * f.sign[0];
                        let dy = (y as f64 - c[1]) * f.s[1] * f.sign[1];
                        if in_spine_zone(dx, dy, hw, 0.75 * hw) {
                            continue;
                        }
                    }
                    if let Some(i) = coarse.index(x, y, z)
                        && !taken[i]
                    {
                        bone[i] = true;
                    }
                }
            }
        }
        drop(t);
        let t = phase("girdle");
        let g = coarse.geometry(&f);
        let arr = ndarray::Array3::from_shape_vec((n[2], n[1], n[0]), bone)
            .map_err(|e| AisuError::Failed(e.to_string()))?;
        let vol = Volume::new(arr, g).map_err(err)?;
        let filled = volume::fill_holes_slicewise(&vol).map_err(err)?;
        let thick = volume::open(&filled, HUMERUS_MIN_RADIUS_MM).map_err(err)?;
        let humerus = volume::dilate(&thick, 2.0 * g.spacing[0]).map_err(err)?;
        let girdle = filled.map(|v| *v);
        let mut girdle = girdle;
        for (v, h) in girdle.as_slice_mut().iter_mut().zip(humerus.as_slice()) {
            *v = *v && !*h;
        }
        let comps = label_components(&girdle, Connectivity::TwentySix).map_err(err)?;
        let voxel_ml = g.voxel_volume_mm3() / 1000.0;
        // Coarse label: 1 clavicle left, 2 clavicle right, 3 scapula left,
        // 4 scapula right.
        let mut coarse_label = vec![0u8; n[0] * n[1] * n[2]];
        for (i, l) in comps.labels.as_slice().iter().enumerate() {
            if *l == 0 || comps.stats[*l as usize - 1].voxel_count as f64 * voxel_ml < 1.0 {
                continue;
            }
            let (x, y, z) = (i % n[0], (i / n[0]) % n[1], i / (n[0] * n[1]));
            let Some(sb) = slices[z + crop.lo[2]] else {
                continue;
            };
            let gx = (x * k + crop.lo[0]) as f64;
            let gy = (y * k + crop.lo[1]) as f64;
            let dx = (gx - sb.cx) * f.s[0] * f.sign[0];
            if dx.abs() < 20.0 {
                continue;
            }
            let frac = (gy - sb.anterior_y(&f) as f64).abs() * f.s[1] / sb.depth_mm(&f).max(1.0);
            let left = dx > 0.0;
            let clavicle = frac < CLAVICLE_MAX_FRACTION;
            if !clavicle && dx.abs() < 35.0 {
                continue;
            }
            coarse_label[i] = match (clavicle, left) {
                (true, true) => 1,
                (true, false) => 2,
                (false, true) => 3,
                (false, false) => 4,
            };
        }
        drop(t);
        let _t = phase("pieces");
        // Keep the largest 3D piece of each bone, within the bone's own
        // bounding box (a bone is a small part of the grid).
        let boxes = label_boxes(&coarse_label, n);
        for label in 1..=4u8 {
            let Some((lo, hi)) = boxes[label as usize] else {
                continue;
            };
            let m = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
            let at =
                |x: usize, y: usize, z: usize| lo[0] + x + n[0] * (lo[1] + y + n[1] * (lo[2] + z));
            let mut mask = Vec::with_capacity(m[0] * m[1] * m[2]);
            for z in 0..m[2] {
                for y in 0..m[1] {
                    mask.extend((0..m[0]).map(|x| coarse_label[at(x, y, z)] == label));
                }
            }
            let arr = ndarray::Array3::from_shape_vec((m[2], m[1], m[0]), mask)
                .map_err(|e| AisuError::Failed(e.to_string()))?;
            let v = Volume::new(arr, Geometry::new(m, g.spacing, [0.0; 3])).map_err(err)?;
            let keep =
                volume::keep_largest_components(&v, Connectivity::TwentySix, 1).map_err(err)?;
            let kept = keep.as_slice();
            for z in 0..m[2] {
                for y in 0..m[1] {
                    for x in 0..m[0] {
                        let l = &mut coarse_label[at(x, y, z)];
                        if *l == label && !kept[x + m[0] * (y + m[1] * z)] {
                            *l = 0;
                        }
                    }
                }
            }
        }
        let mut labels = vec![0u8; crop.len()];
        for z in 0..crop.n[2] {
            for y in 0..crop.n[1] {
                for x in 0..crop.n[0] {
                    let l = coarse_label[x / k + n[0] * (y / k + n[1] * z)];
                    let v =
                        data[(x + crop.lo[0]) + nx * ((y + crop.lo[1]) + ny * (z + crop.lo[2]))];
                    if l != 0 && v >= BONE_MASK_HU {
                        labels[x + crop.n[0] * (y + crop.n[1] * z)] = l;
                    }
                }
            }
        }
        let names = [
            "clavicle_left",
            "clavicle_right",
            "scapula_left",
            "scapula_right",
        ];
        for (label, mask) in masks_from_labels(ct.geometry(), &crop, &labels, &[1, 2, 3, 4]) {
            let name = format!("mask:{}", names[label as usize - 1]);
            if mask.volume_ml() < 2.0 {
                ctx.absent(&name, "not in field of view")?;
            } else {
                ctx.put_mask(&name, mask)?;
            }
        }
        Ok(())
    }
}
