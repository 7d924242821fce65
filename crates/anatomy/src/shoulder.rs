//! `airad.shoulder`: the clavicles and scapulae.
//!
//! Method: bone above [`RIB_BONE_HU`] on a grid coarsened 2x in-plane,
//! without the vertebral zone (from `centreline:spine`), the ribs and the
//! sternum (their masks, dilated), in 3D components. Pieces lateral to the
//! midline are shoulder-girdle bone: in front of [`CLAVICLE_MAX_FRACTION`]
//! of the chest's depth they are clavicle, behind it scapula (the
//! acromioclavicular joint often joins the two on CT). The humeral head
//! and shaft, which touch the glenoid, are removed as the parts thicker
//! than [`HUMERUS_MIN_RADIUS_MM`] (an opening; the scapular blade is 2-5
//! mm thick and the clavicle's shaft 10-15 mm wide: Bernat et al., 2014).

use aisu::{Aisu, AisuError, Context, Manifest, Mask};
use volume::{Connectivity, Geometry, Volume, label_components};

use crate::constants::{
    BONE_MASK_HU, CLAVICLE_MAX_FRACTION, HUMERUS_MIN_RADIUS_MM, RIB_BONE_HU, SKIN_MARGIN_MM,
};
use crate::ribs_detect::in_spine_zone;
use crate::skeleton::{BodyExtents, Crop, Frame, body_slices, masks_from_labels};
use crate::util::err;

/// Optional inputs: masks that are not shoulder bone.
fn excluded_masks() -> Vec<String> {
    let mut v = vec!["mask:sternum".to_string()];
    for side in ["left", "right"] {
        for n in 1..=13 {
            v.push(format!("mask:rib_{side}_{n}"));
        }
        v.push(format!("mask:rib_cervical_{side}"));
    }
    v
}

/// The shoulder-girdle unit.
pub struct Shoulder {
    manifest: Manifest,
}

impl Default for Shoulder {
    fn default() -> Self {
        let mut optional = excluded_masks();
        optional.push("centreline:spine".into());
        let refs: Vec<&str> = optional.iter().map(String::as_str).collect();
        Shoulder {
            manifest: Manifest::new(
                "airad.shoulder",
                env!("CARGO_PKG_VERSION"),
                "Clavicles and scapulae",
            )
            .requires(&["mask:body"])
            .optional(&refs)
            .produces(&[
                "mask:clavicle_left",
                "mask:clavicle_right",
                "mask:scapula_left",
                "mask:scapula_right",
            ])
            .resources(1, 800, 60.0)
            .typical(1.0),
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
        let mut others: Vec<std::sync::Arc<Mask>> = Vec::new();
        for name in excluded_masks() {
            if let Some(m) = ctx.mask_opt(&name)? {
                others.push(m);
            }
        }
        let spine = ctx.centreline("centreline:spine").ok();
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
        let k = if f.s[0] < 0.9 { 2 } else { 1 };
        let n = [crop.n[0].div_ceil(k), crop.n[1].div_ceil(k), crop.n[2]];
        let cidx = |x: usize, y: usize, z: usize| {
            (x - crop.lo[0]) / k + n[0] * ((y - crop.lo[1]) / k + n[1] * (z - crop.lo[2]))
        };
        // Coarse voxels taken by other bones, dilated in-plane by one
        // coarse voxel (a dense grid: the masks hold some 10^5 voxels).
        let phase = |name: &'static str| tracing::debug_span!("phase", name).entered();
        let t = phase("taken");
        let mut marked = vec![false; n[0] * n[1] * n[2]];
        for m in &others {
            m.for_each(|x, y, z| {
                if crop.contains(x, y, z) {
                    marked[cidx(x, y, z)] = true;
                }
            });
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
                    let i = cidx(x, y, z);
                    if !taken[i] {
                        bone[i] = true;
                    }
                }
            }
        }
        drop(t);
        let t = phase("girdle");
        let g = Geometry::new(n, [f.s[0] * k as f64, f.s[1] * k as f64, f.s[2]], [0.0; 3]);
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
        // Keep the largest 3D piece of each bone.
        for label in 1..=4u8 {
            let mask = coarse_label.iter().map(|l| *l == label).collect::<Vec<_>>();
            let arr = ndarray::Array3::from_shape_vec((n[2], n[1], n[0]), mask)
                .map_err(|e| AisuError::Failed(e.to_string()))?;
            let v = Volume::new(arr, g).map_err(err)?;
            let keep =
                volume::keep_largest_components(&v, Connectivity::TwentySix, 1).map_err(err)?;
            for (l, kk) in coarse_label.iter_mut().zip(keep.as_slice()) {
                if *l == label && !*kk {
                    *l = 0;
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
