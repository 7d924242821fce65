//! `airad.airways`: the trachea down to the carina, the carina, and the
//! tracheal centreline with its calibre (the bronchi below the carina are
//! `airad.bronchi`'s, in [`crate::bronchial_tree`]).
//!
//! Method: the trachea is found on the highest axial slices as a round air
//! lumen near the midline; the tree is grown from it in 3D through air
//! below an adaptive threshold, raised step by step until the grown volume
//! explodes (a leak into the parenchyma), keeping the last safe step. The
//! carina is the first slice, going down, where the lumen splits in two.

use std::collections::VecDeque;
use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Centreline, Context, Landmarks, Manifest, Mask};
use volume::{Connectivity, Volume, label_components};

use crate::constants::{TRACHEA_AREA_MM2, TRACHEA_MAX_HU};
use crate::util::err;

/// Thresholds tried for growing the airway tree, most conservative first.
const GROW_THRESHOLDS: [i16; 6] = [-990, -970, -950, -930, -910, TRACHEA_MAX_HU];
/// A grown tree larger than this (mL) has leaked into the lungs
/// (adult airway tree volume to the segmental level is 50-150 mL).
const MAX_TREE_ML: f64 = 250.0;
/// A step that more than doubles the tree (and adds over 20 mL) is a leak.
const LEAK_GROWTH: f64 = 2.0;
/// The trachea moves less than this between slices, mm.
const TRACK_MM: f64 = 4.0;

/// The airway unit.
pub struct Airways {
    manifest: Manifest,
}

impl Default for Airways {
    fn default() -> Self {
        Airways {
            manifest: Manifest::new(
                "airad.airways",
                env!("CARGO_PKG_VERSION"),
                "Trachea, carina and tracheal centreline",
            )
            .requires(&["mask:body"])
            .produces(&["mask:trachea", "landmarks:airway", "centreline:trachea"])
            .resources(1, 800, 60.0)
            .typical(0.3),
        }
    }
}

impl Aisu for Airways {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let body = ctx.mask("mask:body")?;
        let Some(seg) = segment_airways(ct, &body)? else {
            for name in ["mask:trachea", "landmarks:airway", "centreline:trachea"] {
                ctx.absent(name, "trachea not found in the field of view")?;
            }
            return Ok(());
        };
        ctx.put_mask("mask:trachea", Mask::from_volume(&seg.trachea))?;
        ctx.put(
            "landmarks:airway",
            Artefact::Landmarks(Arc::new(seg.landmarks)),
        )?;
        ctx.put(
            "centreline:trachea",
            Artefact::Centreline(Arc::new(seg.centreline)),
        )
    }
}

/// Result of the airway segmentation.
pub struct AirwaySegmentation {
    /// Tracheal lumen down to the carina.
    pub trachea: Volume<bool>,
    /// "trachea_top", and "carina" when it is in view.
    pub landmarks: Landmarks,
    /// Tracheal centreline (top to carina) with equivalent-circle radii.
    pub centreline: Centreline,
}

/// Segments the airways; `Ok(None)` when no trachea is in view.
pub fn segment_airways(
    ct: &Volume<i16>,
    body: &Mask,
) -> Result<Option<AirwaySegmentation>, AisuError> {
    let Some(seed) = find_trachea_seed(ct, body)? else {
        return Ok(None);
    };
    let voxel_ml = ct.geometry().voxel_volume_mm3() / 1000.0;
    let cap = (MAX_TREE_ML / voxel_ml) as usize;
    let mut tree: Option<Vec<usize>> = None;
    for threshold in GROW_THRESHOLDS {
        match flood(ct, body, seed, threshold, cap) {
            Some(grown) => {
                if let Some(previous) = &tree {
                    let added_ml = (grown.len() - previous.len()) as f64 * voxel_ml;
                    if grown.len() as f64 > LEAK_GROWTH * previous.len() as f64 && added_ml > 20.0 {
                        break;
                    }
                }
                tree = Some(grown);
            }
            None => break,
        }
    }
    let Some(tree) = tree else {
        return Ok(None);
    };
    let mut airway = Volume::filled(*ct.geometry(), false);
    {
        let data = airway.as_slice_mut();
        for i in tree {
            data[i] = true;
        }
    }
    Ok(Some(split_at_carina(airway)))
}

/// The trachea's seed voxel: on the highest slices, a round air lumen of
/// tracheal size near the body's midline.
fn find_trachea_seed(ct: &Volume<i16>, body: &Mask) -> Result<Option<usize>, AisuError> {
    let [nx, ny, nz] = ct.dims();
    let s = ct.spacing();
    let pixel_mm2 = s[0] * s[1];
    let Some((body_lo, body_hi)) = body.bbox_index() else {
        return Ok(None);
    };
    let body_mid_x = (body_lo[0] + body_hi[0]) as f64 / 2.0;
    let body_width = (body_hi[0] - body_lo[0]) as f64;
    // Slices from the top (largest z is most superior for an axial
    // series sorted along +S; otherwise from the other end).
    let superior_first = ct.geometry().direction[2][2] >= 0.0;
    let order: Vec<usize> = if superior_first {
        (0..nz).rev().collect()
    } else {
        (0..nz).collect()
    };
    for &z in order.iter().take(nz.div_ceil(2)) {
        let slice_geometry = volume::Geometry::new([nx, ny, 1], s, [0.0; 3]);
        let air_slice: Vec<bool> = (0..nx * ny)
            .map(|i| {
                let (x, y) = (i % nx, i / nx);
                ct.as_slice()[z * nx * ny + i] < TRACHEA_MAX_HU && body.contains(x, y, z)
            })
            .collect();
        let air = Volume::new(
            ndarray::Array3::from_shape_vec((1, ny, nx), air_slice)
                .map_err(|e| AisuError::Failed(e.to_string()))?,
            slice_geometry,
        )
        .map_err(err)?;
        let parts = label_components(&air, Connectivity::Six).map_err(err)?;
        let best = parts
            .stats
            .iter()
            .filter(|c| {
                let area = c.voxel_count as f64 * pixel_mm2;
                let w = (c.bbox_max[0] - c.bbox_min[0] + 1) as f64 * s[0];
                let h = (c.bbox_max[1] - c.bbox_min[1] + 1) as f64 * s[1];
                let fill = area / (w * h);
                let central = (c.centroid_index[0] - body_mid_x).abs() < 0.15 * body_width;
                (TRACHEA_AREA_MM2.0..=TRACHEA_AREA_MM2.1).contains(&area)
                    && fill > 0.55
                    && w / h < 2.0
                    && h / w < 2.0
                    && central
            })
            .max_by_key(|c| c.voxel_count);
        if let Some(c) = best {
            let x = c.centroid_index[0].round() as usize;
            let y = c.centroid_index[1].round() as usize;
            let i = x + nx * (y + ny * z);
            if parts.labels.as_slice()[x + nx * y] == c.label {
                return Ok(Some(i));
            }
            // Centroid outside a crescent-shaped lumen: take any voxel of it.
            if let Some(j) = parts.labels.as_slice().iter().position(|l| *l == c.label) {
                return Ok(Some(j + z * nx * ny));
            }
        }
    }
    Ok(None)
}

/// 6-connected flood fill from `seed` through voxels below `threshold`
/// inside the body; `None` when it exceeds `cap` voxels (a leak).
fn flood(
    ct: &Volume<i16>,
    body: &Mask,
    seed: usize,
    threshold: i16,
    cap: usize,
) -> Option<Vec<usize>> {
    let [nx, ny, nz] = ct.dims();
    let data = ct.as_slice();
    let mut seen = vec![false; data.len()];
    let mut queue = VecDeque::from([seed]);
    seen[seed] = true;
    let mut out = Vec::new();
    while let Some(i) = queue.pop_front() {
        out.push(i);
        if out.len() > cap {
            return None;
        }
        let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
        let mut visit = |j: usize, jx: usize, jy: usize, jz: usize| {
            if !seen[j] && data[j] < threshold && body.contains(jx, jy, jz) {
                seen[j] = true;
                queue.push_back(j);
            }
        };
        if x > 0 {
            visit(i - 1, x - 1, y, z);
        }
        if x + 1 < nx {
            visit(i + 1, x + 1, y, z);
        }
        if y > 0 {
            visit(i - nx, x, y - 1, z);
        }
        if y + 1 < ny {
            visit(i + nx, x, y + 1, z);
        }
        if z > 0 {
            visit(i - nx * ny, x, y, z - 1);
        }
        if z + 1 < nz {
            visit(i + nx * ny, x, y, z + 1);
        }
    }
    Some(out)
}

/// Splits the airway tree at the carina: going down from the top, the
/// trachea is the lumen that continues the previous slice's (within
/// [`TRACK_MM`]); the first slice where two such lumens of bronchial size
/// appear is the carina. Air the flood reached elsewhere (a leak at the
/// thoracic inlet, the oesophagus) is not trachea.
fn split_at_carina(airway: Volume<bool>) -> AirwaySegmentation {
    let g = *airway.geometry();
    let [nx, ny, nz] = g.dims;
    let s = g.spacing;
    let superior_first = g.direction[2][2] >= 0.0;
    let order: Vec<usize> = if superior_first {
        (0..nz).rev().collect()
    } else {
        (0..nz).collect()
    };
    let mut centreline = Centreline::default();
    let mut landmarks = Landmarks::new();
    let mut trachea = Volume::filled(g, false);
    let mut previous: Option<Vec<bool>> = None;
    let reach = (TRACK_MM / s[0].min(s[1])).ceil() as i64;
    for &z in &order {
        let slice = airway.slice_z(z);
        let pixels: Vec<(usize, usize)> = slice
            .indexed_iter()
            .filter(|(_, v)| **v)
            .map(|((y, x), _)| (x, y))
            .collect();
        let lumens = lumens_2d(&pixels, nx, ny, 20.0 / (s[0] * s[1]));
        let linked: Vec<&Vec<(usize, usize)>> = match &previous {
            None => lumens.iter().take(1).collect(),
            Some(p) => lumens
                .iter()
                .filter(|l| l.iter().any(|(x, y)| p[x + nx * y]))
                .collect(),
        };
        if linked.is_empty() {
            if previous.is_some() {
                break;
            }
            continue;
        }
        if linked.len() >= 2 && previous.is_some() {
            if let Some(last) = centreline.points.last() {
                landmarks.insert("carina".into(), *last);
            }
            break;
        }
        let main = linked[0];
        let n = main.len() as f64;
        let cx = main.iter().map(|p| p.0 as f64).sum::<f64>() / n;
        let cy = main.iter().map(|p| p.1 as f64).sum::<f64>() / n;
        let p = g.index_to_lps([cx, cy, z as f64]);
        if centreline.points.is_empty() {
            landmarks.insert("trachea_top".into(), p);
        }
        centreline.points.push(p);
        centreline
            .radii_mm
            .push((n * s[0] * s[1] / std::f64::consts::PI).sqrt());
        centreline.segments.push("trachea".into());
        let mut near = vec![false; nx * ny];
        let t = trachea.as_slice_mut();
        for &(x, y) in main {
            t[x + nx * (y + ny * z)] = true;
            for dy in -reach..=reach {
                for dx in -reach..=reach {
                    let (qx, qy) = (x as i64 + dx, y as i64 + dy);
                    if qx >= 0 && qy >= 0 && qx < nx as i64 && qy < ny as i64 {
                        near[qx as usize + nx * qy as usize] = true;
                    }
                }
            }
        }
        previous = Some(near);
    }
    AirwaySegmentation {
        trachea,
        landmarks,
        centreline,
    }
}

/// 8-connected 2D components of `pixels`, largest first, keeping those of
/// at least `min_pixels`.
fn lumens_2d(
    pixels: &[(usize, usize)],
    nx: usize,
    ny: usize,
    min_pixels: f64,
) -> Vec<Vec<(usize, usize)>> {
    let mut grid = vec![false; nx * ny];
    for &(x, y) in pixels {
        grid[x + nx * y] = true;
    }
    let mut out = Vec::new();
    for &(x0, y0) in pixels {
        if !grid[x0 + nx * y0] {
            continue;
        }
        grid[x0 + nx * y0] = false;
        let mut part = vec![(x0, y0)];
        let mut k = 0;
        while k < part.len() {
            let (x, y) = part[k];
            k += 1;
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (qx, qy) = (x as i64 + dx, y as i64 + dy);
                    if qx < 0 || qy < 0 || qx >= nx as i64 || qy >= ny as i64 {
                        continue;
                    }
                    let j = qx as usize + nx * qy as usize;
                    if grid[j] {
                        grid[j] = false;
                        part.push((qx as usize, qy as usize));
                    }
                }
            }
        }
        if part.len() as f64 >= min_pixels {
            out.push(part);
        }
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.len()));
    out
}
