//! `airad.lungs`: the right and left lungs, lesions inside them included.
//!
//! Method:
//! 1. Aerated lung (after Hu, Hoffman & Reinhardt, IEEE TMI 2001): voxels
//!    below [`LUNG_MAX_HU`] inside the body, minus the trachea and the
//!    bronchi, in the body's bounding box. The two lungs are the largest
//!    components on either side of the midline; joined lungs (touching at
//!    a junction line, or through small airways) are parted by erosion on
//!    a coarse grid. Vessels and airways inside each lung are brought in by
//!    filling holes slice by slice. A lung with less than [`LUNG_MIN_ML`]
//!    of air is reported absent, with the reason.
//! 2. The lung envelope ([`crate::lung_envelope`]): dense disease against
//!    the chest wall (masses, consolidation, nodules) leaves a concavity
//!    in the aerated lung's outline; per slice, concavities under the
//!    costal side of the convex hull are filled with their dense content,
//!    in the spirit of adaptive border marching (Pu et al., Comput Med
//!    Imaging Graph 2008), while the mediastinal side, bone and fat are
//!    left out and fluid below the lung (subdiaphragmatic) is not taken.

use aisu::{Aisu, AisuError, Context, Manifest, Mask};
use volume::{Connectivity, Volume, label_components};

use crate::constants::{
    LUNG_JUNCTION_BAND_MM, LUNG_MAX_HU, LUNG_MIN_ML, LUNG_SPLIT_RADII_MM, LUNG_SPLIT_SHARE,
};
use crate::regions::{
    IndexBox, coarse_geometry, crop, crop_mask, downsample_majority, embed, fail,
};
use crate::util::{keep_label, phase};

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
                "Right and left lungs (aerated lung, vessels, airways and lesions inside)",
            )
            .requires(&["mask:body"])
            .optional(&["mask:trachea", "mask:bronchi"])
            .produces(&["mask:lung_right", "mask:lung_left"])
            .resources(1, 1500, 60.0)
            .typical(1.8),
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
                Some(l) => ctx.put_mask(name, l)?,
                None => ctx.absent(name, "no aerated lung on this side in the field of view")?,
            }
        }
        Ok(())
    }
}

/// Both lungs (either may be absent), on the CT grid.
pub struct LungSegmentation {
    /// The patient's right lung (-x side in LPS).
    pub right: Option<Mask>,
    /// The patient's left lung.
    pub left: Option<Mask>,
}

/// Segments the lungs.
pub fn segment_lungs(
    ct: &Volume<i16>,
    body: &Mask,
    airways: &[&Mask],
) -> Result<LungSegmentation, AisuError> {
    let full = *ct.geometry();
    let none = LungSegmentation {
        right: None,
        left: None,
    };
    let Some(b) = IndexBox::of_mask(body) else {
        return Ok(none);
    };
    let hu = crop(ct, &b)?;
    let inside = crop_mask(body, &full, &b)?;
    let g = *hu.geometry();
    let mut air = inside.clone();
    for (a, v) in air.as_slice_mut().iter_mut().zip(hu.as_slice()) {
        *a = *a && *v < LUNG_MAX_HU;
    }
    for airway in airways {
        let a = air.as_slice_mut();
        let [dx, dy, _] = g.dims;
        airway.for_each(|x, y, z| {
            if (0..3).all(|k| [x, y, z][k] >= b.lo[k] && [x, y, z][k] <= b.hi[k]) {
                a[(x - b.lo[0]) + dx * ((y - b.lo[1]) + dy * (z - b.lo[2]))] = false;
            }
        });
    }
    // The body's midline, as an LPS x coordinate.
    let midline = body.centroid_lps().map(|c| c[0]).unwrap_or(0.0);
    let voxel_ml = g.voxel_volume_mm3() / 1000.0;
    let min_voxels = (LUNG_MIN_ML / voxel_ml) as usize;
    let t = phase("components");
    let mut parts = label_components(&air, Connectivity::Six).map_err(fail)?;
    parts.relabel_by_size();
    drop(t);
    let t = phase("split");
    let largest = parts.stats.first().map(|s| s.voxel_count).unwrap_or(0);
    if largest < min_voxels {
        return Ok(none);
    }
    let first = keep_label(&parts.labels, 1);
    let (right_share, left_share) = side_shares(&first, midline);
    let (mut right, mut left) = if right_share > LUNG_SPLIT_SHARE && left_share > LUNG_SPLIT_SHARE {
        // One component holds both lungs: part it by erosion, or, when
        // they meet along a broad front that no erosion parts, along the
        // junction line slice by slice.
        match split_by_erosion(&first, midline)? {
            (Some(r), Some(l)) => (Some(r), Some(l)),
            _ => {
                let (r, l) = split_by_junction(&first, &hu, midline);
                (Some(r), Some(l))
            }
        }
    } else {
        (None, None)
    };
    drop(first);
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
    drop(parts);
    drop(t);
    let _t = phase("finish");
    // The two lungs are finished side by side: much of the work (bounding
    // boxes, crops, the envelope's column scans) is serial per lung.
    let finish = |lung: &Option<Volume<bool>>, other: &Option<Volume<bool>>| match lung {
        Some(l) if crate::util::count(l) >= min_voxels => {
            finish_lung(l, other.as_ref(), &hu, &inside, midline, &full, &b).map(Some)
        }
        _ => Ok(None),
    };
    let (right_done, left_done) = rayon::join(|| finish(&right, &left), || finish(&left, &right));
    Ok(LungSegmentation {
        right: right_done?,
        left: left_done?,
    })
}

/// Fills one lung's holes and dense concavities inside its own bounding
/// box, and puts it on the CT grid.
fn finish_lung(
    lung: &Volume<bool>,
    other: Option<&Volume<bool>>,
    hu: &Volume<i16>,
    body: &Volume<bool>,
    midline: f64,
    full: &volume::Geometry,
    b: &IndexBox,
) -> Result<Mask, AisuError> {
    let Some(own) =
        volume::bounding_box(lung.as_slice(), lung.dims()).map(|(lo, hi)| IndexBox { lo, hi })
    else {
        return Ok(Mask::empty(*full));
    };
    let l = crop(lung, &own)?;
    let filled = volume::fill_holes_slicewise(&l).map_err(fail)?;
    let other = other.map(|o| crop(o, &own)).transpose()?;
    let grown = crate::lung_envelope::envelope(
        &filled,
        other.as_ref(),
        &crop(hu, &own)?,
        &crop(body, &own)?,
        midline,
    )?;
    let grown = volume::fill_holes_slicewise(&grown).map_err(fail)?;
    let at = IndexBox {
        lo: [
            b.lo[0] + own.lo[0],
            b.lo[1] + own.lo[1],
            b.lo[2] + own.lo[2],
        ],
        hi: [
            b.lo[0] + own.hi[0],
            b.lo[1] + own.hi[1],
            b.lo[2] + own.hi[2],
        ],
    };
    Ok(embed(&grown, full, &at))
}

/// Fractions of a mask's voxels right and left of an LPS x midline.
fn side_shares(mask: &Volume<bool>, midline: f64) -> (f64, f64) {
    let g = mask.geometry();
    let [nx, _, _] = g.dims;
    // The LPS x of each column (axial slices are not tilted in practice;
    // the row and slice offsets are added exactly below).
    let (mut r, mut l) = (0usize, 0usize);
    let data = mask.as_slice();
    let [_, ny, nz] = g.dims;
    for z in 0..nz {
        for y in 0..ny {
            let row = &data[nx * (y + ny * z)..nx * (y + ny * z + 1)];
            let p0 = g.index_to_lps([0.0, y as f64, z as f64])[0];
            let p1 = g.index_to_lps([1.0, y as f64, z as f64])[0] - p0;
            for (x, v) in row.iter().enumerate() {
                if *v {
                    if p0 + p1 * x as f64 > midline {
                        l += 1;
                    } else {
                        r += 1;
                    }
                }
            }
        }
    }
    let n = (r + l).max(1) as f64;
    (r as f64 / n, l as f64 / n)
}

/// Grid spacing on which joined lungs are parted, mm: coarse enough to be
/// cheap, fine enough that a 4 mm erosion still parts a junction line.
const SPLIT_GRID_MM: f64 = 3.0;

/// Parts joined lungs: on a grid of about [`SPLIT_GRID_MM`], erodes with growing
/// radii until two large pieces lie on either side of the midline, grows
/// them back inside the joined mask, and gives every voxel of the joined
/// mask to the piece that holds its coarse voxel (ties and orphans by side
/// of the midline). Each side keeps its largest piece.
#[allow(clippy::type_complexity)]
fn split_by_erosion(
    joined: &Volume<bool>,
    midline: f64,
) -> Result<(Option<Volume<bool>>, Option<Volume<bool>>), AisuError> {
    let g = *joined.geometry();
    let s = g.spacing;
    let factor = [
        ((SPLIT_GRID_MM / s[0]).round() as usize).max(1),
        ((SPLIT_GRID_MM / s[1]).round() as usize).max(1),
        ((SPLIT_GRID_MM / s[2]).round() as usize).max(1),
    ];
    let coarse = downsample_majority(joined, factor)?;
    let cg = coarse_geometry(&g, factor);
    let depth = volume::distance_to_background(&coarse);
    for radius in LUNG_SPLIT_RADII_MM {
        let core = depth.map(|d| f64::from(*d) > radius);
        let mut parts = label_components(&core, Connectivity::Six).map_err(fail)?;
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
        // Grow both cores back through the joined mask, breadth first.
        let owner = grow_seeds(&coarse, &parts.labels, [a.label, b.label]);
        let a_is_left = a.centroid_lps[0] > midline;
        let [nx, ny, nz] = g.dims;
        let [cx, cy, _] = cg.dims;
        let mut right = Volume::filled(g, false);
        let mut left = Volume::filled(g, false);
        {
            let (r, l) = (right.as_slice_mut(), left.as_slice_mut());
            let src = joined.as_slice();
            for z in 0..nz {
                for y in 0..ny {
                    let p0 = g.index_to_lps([0.0, y as f64, z as f64])[0];
                    let p1 = g.index_to_lps([1.0, y as f64, z as f64])[0] - p0;
                    for x in 0..nx {
                        let i = x + nx * (y + ny * z);
                        if !src[i] {
                            continue;
                        }
                        let c = [x / factor[0], y / factor[1], z / factor[2]];
                        let o = match owner[c[0] + cx * (c[1] + cy * c[2])] {
                            0 => neighbour_owner(&owner, cg.dims, c),
                            o => o,
                        };
                        let to_left = match o {
                            1 => a_is_left,
                            2 => !a_is_left,
                            _ => p0 + p1 * x as f64 > midline,
                        };
                        if to_left {
                            l[i] = true;
                        } else {
                            r[i] = true;
                        }
                    }
                }
            }
        }
        return Ok((Some(right), Some(left)));
    }
    Ok((None, None))
}

/// Parts joined lungs along the junction line (after Hu, Hoffman &
/// Reinhardt, IEEE TMI 2001): on each axial slice, the cheapest path from
/// the front of the image to the back within [`LUNG_JUNCTION_BAND_MM`] of
/// the midline, moving at most one column per row, where crossing lung
/// costs more the darker it is (the junction line is denser than aerated
/// lung) and crossing anything else is free. Voxels on the patient's right
/// of the path go to the right lung, those on the left to the left lung;
/// the path itself to neither, so the two stay apart.
fn split_by_junction(
    joined: &Volume<bool>,
    hu: &Volume<i16>,
    midline: f64,
) -> (Volume<bool>, Volume<bool>) {
    let g = *joined.geometry();
    let [nx, ny, nz] = g.dims;
    let mut right = Volume::filled(g, false);
    let mut left = Volume::filled(g, false);
    let src = joined.as_slice();
    let values = hu.as_slice();
    // Column step in LPS x (its sign says which way is the patient's left).
    let dx_mm = g.index_to_lps([1.0, 0.0, 0.0])[0] - g.index_to_lps([0.0, 0.0, 0.0])[0];
    let half_band = (LUNG_JUNCTION_BAND_MM / dx_mm.abs().max(1e-6)).round() as i64;
    for z in 0..nz {
        let plane = nx * ny * z;
        if !src[plane..plane + nx * ny].iter().any(|v| *v) {
            continue;
        }
        // The midline's column on this slice.
        let origin = g.index_to_lps([0.0, 0.0, z as f64])[0];
        let centre = ((midline - origin) / dx_mm).round() as i64;
        let lo = (centre - half_band).clamp(0, nx as i64 - 1) as usize;
        let hi = (centre + half_band).clamp(0, nx as i64 - 1) as usize;
        let width = hi - lo + 1;
        let cost = |x: usize, y: usize| -> f64 {
            let i = x + nx * y + plane;
            if src[i] {
                1.0 + f64::from((LUNG_MAX_HU - values[i]).max(0)) / 100.0
            } else {
                0.0
            }
        };
        // Dynamic programming over rows: best[y][k] = cheapest path to
        // (lo + k, y); from[y][k] = the column it came from.
        let mut best = vec![0.0f64; width];
        let mut from = vec![0u32; width * ny];
        for (k, b) in best.iter_mut().enumerate() {
            *b = cost(lo + k, 0);
        }
        let mut next = vec![0.0f64; width];
        for y in 1..ny {
            for k in 0..width {
                let mut choice = k;
                for j in [k.saturating_sub(1), k + 1] {
                    if j < width && best[j] < best[choice] {
                        choice = j;
                    }
                }
                next[k] = best[choice] + cost(lo + k, y);
                from[k + width * y] = choice as u32;
            }
            std::mem::swap(&mut best, &mut next);
        }
        let mut k = (0..width)
            .min_by(|a, b| best[*a].total_cmp(&best[*b]))
            .unwrap_or(0);
        let mut path = vec![0usize; ny];
        for y in (0..ny).rev() {
            path[y] = lo + k;
            k = from[k + width * y] as usize;
        }
        let (r, l) = (right.as_slice_mut(), left.as_slice_mut());
        for (y, &cut) in path.iter().enumerate() {
            for x in 0..nx {
                let i = x + nx * y + plane;
                if !src[i] || x == cut {
                    continue;
                }
                // LPS x grows to the patient's left.
                let to_left = (x > cut) == (dx_mm > 0.0);
                if to_left {
                    l[i] = true;
                } else {
                    r[i] = true;
                }
            }
        }
    }
    (right, left)
}

/// The owner most common among the 26 neighbours of coarse voxel `c`
/// (0 when none is owned).
fn neighbour_owner(owner: &[u8], dims: [usize; 3], c: [usize; 3]) -> u8 {
    let mut votes = [0usize; 3];
    for dz in -1i64..=1 {
        for dy in -1i64..=1 {
            for dx in -1i64..=1 {
                let q = [c[0] as i64 + dx, c[1] as i64 + dy, c[2] as i64 + dz];
                if (0..3).all(|a| q[a] >= 0 && q[a] < dims[a] as i64) {
                    let j = q[0] as usize + dims[0] * (q[1] as usize + dims[1] * q[2] as usize);
                    votes[owner[j] as usize] += 1;
                }
            }
        }
    }
    if votes[1] == 0 && votes[2] == 0 {
        0
    } else if votes[1] >= votes[2] {
        1
    } else {
        2
    }
}

/// Multi-source breadth-first growth of two labelled seeds through a mask
/// (6-connected): 1 for voxels reached first from `seeds[0]`, 2 from
/// `seeds[1]`, 0 when unreached.
fn grow_seeds(mask: &Volume<bool>, labels: &Volume<u32>, seeds: [u32; 2]) -> Vec<u8> {
    let [nx, ny, nz] = mask.dims();
    let m = mask.as_slice();
    let mut owner = vec![0u8; m.len()];
    let mut queue = std::collections::VecDeque::new();
    for (i, l) in labels.as_slice().iter().enumerate() {
        let o = if *l == seeds[0] {
            1
        } else if *l == seeds[1] {
            2
        } else {
            continue;
        };
        owner[i] = o;
        queue.push_back(i);
    }
    while let Some(i) = queue.pop_front() {
        let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
        let o = owner[i];
        let mut visit = |j: usize| {
            if m[j] && owner[j] == 0 {
                owner[j] = o;
                queue.push_back(j);
            }
        };
        if x > 0 {
            visit(i - 1);
        }
        if x + 1 < nx {
            visit(i + 1);
        }
        if y > 0 {
            visit(i - nx);
        }
        if y + 1 < ny {
            visit(i + nx);
        }
        if z > 0 {
            visit(i - nx * ny);
        }
        if z + 1 < nz {
            visit(i + nx * ny);
        }
    }
    owner
}
