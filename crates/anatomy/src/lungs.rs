//! `airad.lungs`: the right and left lungs.
//!
//! Method (after Hu, Hoffman & Reinhardt, IEEE TMI 2001): aerated voxels
//! inside the body, minus the trachea and main bronchi; the two lungs are
//! the largest components on either side of the midline (joined lungs,
//! touching at a junction line or through bronchi, are parted by
//! erosion); vessels and airways inside each lung are brought in by
//! filling holes slice by slice. A lung with less than
//! [`LUNG_MIN_ML`] of air is reported absent, with the reason.

use aisu::{Aisu, AisuError, Context, Manifest, Mask};
use volume::{Connectivity, Volume, label_components};

use crate::constants::{LUNG_MAX_HU, LUNG_MIN_ML, LUNG_SPLIT_RADII_MM, LUNG_SPLIT_SHARE};
use crate::util::{err, keep_label};

/// The lungs unit.
pub struct Lungs {
    manifest: Manifest,
}

impl Default for Lungs {
    fn default() -> Self {
        Lungs {
            manifest: Manifest::new(
                "airad.lungs",
                env!("CARGO_PKG_VERSION"),
                "Right and left lungs (aerated lung, vessels and airways inside)",
            )
            .requires(&["mask:body"])
            .optional(&["mask:trachea", "mask:bronchi"])
            .produces(&["mask:lung_right", "mask:lung_left"])
            .resources(2, 1500, 60.0),
        }
    }
}

impl Aisu for Lungs {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let body = ctx.mask("mask:body")?;
        let trachea = ctx.mask_opt("mask:trachea")?;
        let bronchi = ctx.mask_opt("mask:bronchi")?;
        let airways: Vec<&Mask> = trachea.iter().chain(bronchi.iter()).map(|m| &**m).collect();
        let lungs = segment_lungs(ct, &body, &airways)?;
        for (name, lung) in [
            ("mask:lung_right", lungs.right),
            ("mask:lung_left", lungs.left),
        ] {
            match lung {
                Some(l) => ctx.put_mask(name, Mask::from_volume(&l))?,
                None => ctx.absent(name, "no aerated lung on this side in the field of view")?,
            }
        }
        Ok(())
    }
}

/// Both lungs (either may be absent).
pub struct LungSegmentation {
    /// The patient's right lung (-x side in LPS).
    pub right: Option<Volume<bool>>,
    /// The patient's left lung.
    pub left: Option<Volume<bool>>,
}

/// Segments the lungs.
pub fn segment_lungs(
    ct: &Volume<i16>,
    body: &Mask,
    airways: &[&Mask],
) -> Result<LungSegmentation, AisuError> {
    let g = *ct.geometry();
    let [nx, ny, _] = ct.dims();
    let values = ct.as_slice();
    let mut air = Volume::filled(g, false);
    {
        let a = air.as_slice_mut();
        body.for_each(|x, y, z| {
            let i = x + nx * (y + ny * z);
            a[i] = values[i] < LUNG_MAX_HU;
        });
        for airway in airways {
            airway.for_each(|x, y, z| a[x + nx * (y + ny * z)] = false);
        }
    }
    // The body's midline, as an LPS x coordinate.
    let midline = body.centroid_lps().map(|c| c[0]).unwrap_or(0.0);
    let voxel_ml = g.voxel_volume_mm3() / 1000.0;
    let min_voxels = (LUNG_MIN_ML / voxel_ml) as usize;
    let mut parts = label_components(&air, Connectivity::Six).map_err(err)?;
    parts.relabel_by_size();
    let largest = parts.stats.first().map(|s| s.voxel_count).unwrap_or(0);
    if largest < min_voxels {
        return Ok(LungSegmentation {
            right: None,
            left: None,
        });
    }
    let first = keep_label(&parts.labels, 1);
    let (right_share, left_share) = side_shares(&first, midline);
    let (mut right, mut left) = if right_share > LUNG_SPLIT_SHARE && left_share > LUNG_SPLIT_SHARE {
        // One component holds both lungs: part it by erosion.
        split_by_erosion(&first, midline)?
    } else {
        (None, None)
    };
    if right.is_none() && left.is_none() {
        // The largest component on each side of the midline, if big
        // enough; gas below the lungs (stomach, bowel) is smaller.
        for s in &parts.stats {
            if s.voxel_count < min_voxels || s.voxel_count * 10 < largest {
                break;
            }
            let slot = if s.centroid_lps[0] > midline {
                &mut left
            } else {
                &mut right
            };
            if slot.is_none() {
                *slot = Some(keep_label(&parts.labels, s.label));
            }
            if left.is_some() && right.is_some() {
                break;
            }
        }
    }
    let finish = |lung: Option<Volume<bool>>| -> Result<Option<Volume<bool>>, AisuError> {
        match lung {
            Some(l) if crate::util::count(&l) >= min_voxels => {
                volume::fill_holes_slicewise(&l).map(Some).map_err(err)
            }
            _ => Ok(None),
        }
    };
    Ok(LungSegmentation {
        right: finish(right)?,
        left: finish(left)?,
    })
}

/// Fractions of a mask's voxels right and left of an LPS x midline.
fn side_shares(mask: &Volume<bool>, midline: f64) -> (f64, f64) {
    let g = mask.geometry();
    let [nx, ny, _] = g.dims;
    let (mut r, mut l) = (0usize, 0usize);
    for (i, v) in mask.as_slice().iter().enumerate() {
        if *v {
            let p = g.index_to_lps([
                (i % nx) as f64,
                ((i / nx) % ny) as f64,
                (i / (nx * ny)) as f64,
            ]);
            if p[0] > midline {
                l += 1;
            } else {
                r += 1;
            }
        }
    }
    let n = (r + l).max(1) as f64;
    (r as f64 / n, l as f64 / n)
}

/// Parts joined lungs: erodes with growing radii until two large pieces
/// lie on either side of the midline, then gives every voxel of the
/// joined mask to the piece whose grown-back region holds it (ties and
/// orphans by side of the midline).
#[allow(clippy::type_complexity)]
fn split_by_erosion(
    joined: &Volume<bool>,
    midline: f64,
) -> Result<(Option<Volume<bool>>, Option<Volume<bool>>), AisuError> {
    for radius in LUNG_SPLIT_RADII_MM {
        let eroded = volume::erode(joined, radius).map_err(err)?;
        let mut parts = label_components(&eroded, Connectivity::Six).map_err(err)?;
        parts.relabel_by_size();
        if parts.len() < 2 {
            continue;
        }
        let (a, b) = (&parts.stats[0], &parts.stats[1]);
        let total: usize = parts.stats.iter().map(|s| s.voxel_count).sum();
        let opposite = (a.centroid_lps[0] - midline) * (b.centroid_lps[0] - midline) < 0.0;
        if !(opposite && b.voxel_count as f64 > 0.15 * total as f64) {
            continue;
        }
        let grow = |label: u32| -> Result<Volume<bool>, AisuError> {
            let seed = keep_label(&parts.labels, label);
            let grown = volume::dilate(&seed, radius + 2.0 * joined.spacing()[0]).map_err(err)?;
            Ok(crate::util::and(&grown, joined))
        };
        let (ga, gb) = (grow(a.label)?, grow(b.label)?);
        let g = *joined.geometry();
        let [nx, ny, _] = g.dims;
        let mut right = Volume::filled(g, false);
        let mut left = Volume::filled(g, false);
        let a_is_left = a.centroid_lps[0] > midline;
        {
            let (r, l) = (right.as_slice_mut(), left.as_slice_mut());
            for (i, v) in joined.as_slice().iter().enumerate() {
                if !*v {
                    continue;
                }
                let in_a = ga.as_slice()[i];
                let in_b = gb.as_slice()[i];
                let to_left = match (in_a, in_b) {
                    (true, false) => a_is_left,
                    (false, true) => !a_is_left,
                    _ => {
                        let p = g.index_to_lps([
                            (i % nx) as f64,
                            ((i / nx) % ny) as f64,
                            (i / (nx * ny)) as f64,
                        ]);
                        p[0] > midline
                    }
                };
                if to_left {
                    l[i] = true;
                } else {
                    r[i] = true;
                }
            }
        }
        // Keep each side's main piece (the split may leave crumbs).
        let right = volume::keep_largest_components(&right, Connectivity::Six, 1).map_err(err)?;
        let left = volume::keep_largest_components(&left, Connectivity::Six, 1).map_err(err)?;
        return Ok((Some(right), Some(left)));
    }
    Ok((None, None))
}
