//! `airad.abdomen`: the upper-abdominal organs a chest CT shows: liver,
//! spleen and stomach, each declared absent ("not in field of view") when
//! the scan does not reach them.
//!
//! Method (intensity-adaptive region growing, after Campadelli et al.,
//! Artif Intell Med 2009, and the chest-CT liver dome approach of
//! Pickhardt's opportunistic screening work): on a 1.5 mm work grid of the
//! region below the lung bases,
//! - liver: seeded under the dome of the right hemidiaphragm (the column
//!   nearest the centre of the right lung's footprint,
//!   [`LIVER_SEED_DEPTH_MM`](crate::constants::LIVER_SEED_DEPTH_MM) under
//!   its lowest lung voxel; not under the costophrenic recesses, which
//!   reach far lower), its own HU is measured around the seed
//!   (steatosis moves it), voxels within [`LIVER_BAND_HU`](crate::constants::LIVER_BAND_HU) of it are
//!   grown from the seed after an opening of [`LIVER_OPEN_MM`](crate::constants::LIVER_OPEN_MM) (which
//!   cuts the thin contacts with diaphragm, chest wall, IVC, kidney and
//!   stomach wall), then grown back into the band; heart, aorta and lungs
//!   are never liver;
//! - stomach: the largest gas pocket under the left hemidiaphragm, with
//!   the fluid and food lying behind it (patients lie supine), grown
//!   through non-fat tissue in the left upper quadrant, away from the
//!   liver and spleen;
//! - spleen: the largest soft-tissue body under the left lung's
//!   posterolateral base, outside liver and stomach, after an opening.

use aisu::{Aisu, AisuError, Context, Manifest, Mask};
use volume::{Connectivity, Volume, label_components};

use crate::constants::{
    GAS_MAX_HU, LIVER_BAND_HU, LIVER_MIN_ML, LIVER_OPEN_MM, LIVER_SEED_DEPTH_MM, ORGAN_MIN_ML,
    SPLEEN_HU,
};
use crate::medgrid::{WorkGrid, crop_box, grown_bbox};
use crate::util::err;

/// The abdomen unit.
pub struct Abdomen {
    manifest: Manifest,
}

impl Default for Abdomen {
    fn default() -> Self {
        Abdomen {
            manifest: Manifest::new(
                "airad.abdomen",
                env!("CARGO_PKG_VERSION"),
                "Liver, spleen and stomach where the chest CT shows them",
            )
            .requires(&["mask:lung_right", "mask:lung_left", "mask:body"])
            .optional(&["mask:heart", "mask:aorta", "mask:pericardium"])
            .produces(&["mask:liver", "mask:spleen", "mask:stomach"])
            .resources(1, 1200, 60.0)
            .typical(0.4),
        }
    }
}

impl Aisu for Abdomen {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let right = ctx.mask("mask:lung_right")?;
        let left = ctx.mask("mask:lung_left")?;
        let body = ctx.mask("mask:body")?;
        let mut blocked = Vec::new();
        for name in ["mask:heart", "mask:aorta", "mask:pericardium"] {
            if let Some(m) = ctx.mask_opt(name)? {
                blocked.push(m);
            }
        }
        let blocked: Vec<&Mask> = blocked.iter().map(|m| &**m).collect();
        let organs = segment_abdomen(ct, &right, &left, &body, &blocked)?;
        for (name, organ) in [
            ("mask:liver", organs.liver),
            ("mask:spleen", organs.spleen),
            ("mask:stomach", organs.stomach),
        ] {
            match organ {
                Some(m) => ctx.put_mask(name, m)?,
                None => ctx.absent(name, "not in field of view")?,
            }
        }
        Ok(())
    }
}

/// The organs found.
pub struct AbdomenSegmentation {
    /// Liver.
    pub liver: Option<Mask>,
    /// Spleen.
    pub spleen: Option<Mask>,
    /// Stomach (wall, contents and gas).
    pub stomach: Option<Mask>,
}

/// Segments liver, spleen and stomach.
pub fn segment_abdomen(
    ct: &Volume<i16>,
    right: &Mask,
    left: &Mask,
    body: &Mask,
    blocked: &[&Mask],
) -> Result<AbdomenSegmentation, AisuError> {
    let none = AbdomenSegmentation {
        liver: None,
        spleen: None,
        stomach: None,
    };
    // Region: the body from the bottom of the scan to the lungs' middle.
    let (Some((blo, bhi)), Some(rb), Some(lb)) =
        (grown_bbox(body, [0.0; 3]), crop_box(right), crop_box(left))
    else {
        return Ok(none);
    };
    let g = ct.geometry();
    let up = g.direction[2][2] >= 0.0;
    let (lo, hi) = if up {
        let top = (rb.0[2] + rb.1[2]) / 2;
        ([blo[0], blo[1], blo[2]], [bhi[0], bhi[1], top.max(blo[2])])
    } else {
        let top = (rb.0[2] + rb.1[2]) / 2;
        ([blo[0], blo[1], top.min(bhi[2])], [bhi[0], bhi[1], bhi[2]])
    };
    let _ = lb;
    let grid = WorkGrid::new(ct, lo, hi, [1.5, 1.5, 2.5], 2.0)?;
    let [nx, ny, nz] = grid.dims();
    let n = nx * ny * nz;
    let s = grid.spacing();
    let hu = grid.hu.as_slice();
    let rl = grid.from_mask(right);
    let ll = grid.from_mask(left);
    let inside = grid.from_mask(body);
    let mut free: Vec<bool> = (0..n)
        .map(|i| inside.as_slice()[i] && !rl.as_slice()[i] && !ll.as_slice()[i])
        .collect();
    for m in blocked {
        let w = grid.from_mask(m);
        for (f, b) in free.iter_mut().zip(w.as_slice()) {
            *f &= !*b;
        }
    }
    let geometry = *grid.hu.geometry();
    let to_volume = |v: Vec<bool>| -> Result<Volume<bool>, AisuError> {
        Volume::new(
            ndarray::Array3::from_shape_vec((nz, ny, nx), v)
                .map_err(|e| AisuError::Failed(e.to_string()))?,
            geometry,
        )
        .map_err(err)
    };
    let voxel_ml = s[0] * s[1] * s[2] / 1000.0;
    let liver = liver(&grid, &rl, &free, &to_volume)?;
    let liver_ml = liver
        .as_ref()
        .map(|l| crate::util::count(l) as f64 * voxel_ml);
    let liver = liver.filter(|_| liver_ml.is_some_and(|ml| ml >= LIVER_MIN_ML));
    if let Some(l) = &liver {
        // Keep other organs off the liver (and a 3 mm margin).
        let near = volume::dilate(l, 3.0).map_err(err)?;
        for (f, b) in free.iter_mut().zip(near.as_slice()) {
            *f &= !*b;
        }
    }
    let stomach = stomach(&grid, &ll, &free, hu, &to_volume)?;
    if let Some(st) = &stomach {
        let near = volume::dilate(st, 3.0).map_err(err)?;
        for (f, b) in free.iter_mut().zip(near.as_slice()) {
            *f &= !*b;
        }
    }
    let spleen = spleen(&grid, &ll, &free, hu, &to_volume)?;
    let big = |v: Option<Volume<bool>>| {
        v.filter(|v| crate::util::count(v) as f64 * voxel_ml >= ORGAN_MIN_ML)
    };
    Ok(AbdomenSegmentation {
        liver: liver.map(|v| grid.to_mask(&v)),
        spleen: big(spleen).map(|v| grid.to_mask(&v)),
        stomach: big(stomach).map(|v| grid.to_mask(&v)),
    })
}

type ToVolume<'a> = dyn Fn(Vec<bool>) -> Result<Volume<bool>, AisuError> + 'a;

/// The liver, grown from under the right dome.
fn liver(
    grid: &WorkGrid,
    right_lung: &Volume<bool>,
    free: &[bool],
    to_volume: &ToVolume<'_>,
) -> Result<Option<Volume<bool>>, AisuError> {
    let [nx, ny, nz] = grid.dims();
    let s = grid.spacing();
    let plane = nx * ny;
    let rl = right_lung.as_slice();
    let hu = grid.hu.as_slice();
    // The dome: the right hemidiaphragm bulges highest under the middle
    // of the hemithorax, so the seed column is the one nearest the centre
    // of the right lung's footprint (each column counted once) that has
    // tissue under its lowest lung voxel. The centroid of the lung's
    // lowest voxels would not do: the posterior costophrenic recess
    // reaches far below the dome, often to the bottom of a chest scan,
    // and the tissue under it is the posterior chest wall, retroperitoneal
    // fat or the bare area, not the liver.
    let depth = ((LIVER_SEED_DEPTH_MM / s[2]).round() as usize).max(1);
    let lowest: Vec<Option<usize>> = (0..plane)
        .map(|i| (0..nz).find(|z| rl[z * plane + i]))
        .collect();
    let (mut sx, mut sy, mut count) = (0.0, 0.0, 0usize);
    for (i, zb) in lowest.iter().enumerate() {
        if zb.is_some() {
            sx += (i % nx) as f64;
            sy += (i / nx) as f64;
            count += 1;
        }
    }
    if count == 0 {
        return Ok(None);
    }
    let (mx, my) = (
        (sx / count as f64).round() as usize,
        (sy / count as f64).round() as usize,
    );
    // The nearest column with lung and liver-like tissue under it, deep
    // enough in the grid that the seed is not clamped to its floor.
    let mut dome: Option<(usize, usize, usize)> = None;
    for (i, zb) in lowest.iter().enumerate() {
        let Some(zb) = *zb else {
            continue;
        };
        if zb < depth {
            continue;
        }
        let (x, y) = (i % nx, i / nx);
        let d = x.abs_diff(mx) + y.abs_diff(my);
        let j = (zb - depth) * plane + i;
        if !free[j] || !(-40.0..=110.0).contains(&hu[j]) {
            continue;
        }
        if dome.is_none_or(|b| d < b.2) {
            dome = Some((i, zb, d));
        }
    }
    let Some((column, zb, _)) = dome else {
        return Ok(None);
    };
    let zs = zb - depth;
    // The liver's own HU: median over a 10 mm neighbourhood.
    let (cx, cy) = (column % nx, column / nx);
    let rx = (10.0 / s[0]).round() as usize;
    let rz = (10.0 / s[2]).round() as usize;
    let mut around: Vec<f32> = Vec::new();
    for z in zs.saturating_sub(rz)..=(zs + rz).min(nz - 1) {
        for y in cy.saturating_sub(rx)..=(cy + rx).min(ny - 1) {
            for x in cx.saturating_sub(rx)..=(cx + rx).min(nx - 1) {
                let i = x + nx * (y + ny * z);
                if free[i] {
                    around.push(hu[i]);
                }
            }
        }
    }
    if around.len() < 10 {
        return Ok(None);
    }
    around.sort_by(|a, b| a.total_cmp(b));
    let median = around[around.len() / 2];
    if !(-40.0..=110.0).contains(&median) {
        return Ok(None);
    }
    let band: Vec<bool> = (0..nx * ny * nz)
        .map(|i| free[i] && (hu[i] - median).abs() <= LIVER_BAND_HU)
        .collect();
    let band_v = to_volume(band.clone())?;
    let opened = volume::open(&band_v, LIVER_OPEN_MM).map_err(err)?;
    let parts = label_components(&opened, Connectivity::Six).map_err(err)?;
    // The component most present within 25 mm of the seed.
    let mut votes: std::collections::BTreeMap<u32, usize> = Default::default();
    let (vx, vz) = (
        (25.0 / s[0]).round() as usize,
        (25.0 / s[2]).round() as usize,
    );
    for z in zs.saturating_sub(vz)..=(zs + vz).min(nz - 1) {
        for y in cy.saturating_sub(vx)..=(cy + vx).min(ny - 1) {
            for x in cx.saturating_sub(vx)..=(cx + vx).min(nx - 1) {
                let l = parts.labels.as_slice()[x + nx * (y + ny * z)];
                if l != 0 {
                    *votes.entry(l).or_default() += 1;
                }
            }
        }
    }
    let Some((&label, _)) = votes.iter().max_by_key(|(_, n)| **n) else {
        return Ok(None);
    };
    let core = parts.labels.map(|l| *l == label);
    let back = volume::dilate(&core, LIVER_OPEN_MM + s[0]).map_err(err)?;
    let mut liver: Vec<bool> = back
        .as_slice()
        .iter()
        .zip(&band)
        .map(|(a, b)| *a && *b)
        .collect();
    volume::fill_holes_slicewise_in_place(&mut liver, [nx, ny, nz]).map_err(err)?;
    for (l, f) in liver.iter_mut().zip(free) {
        *l &= *f;
    }
    let v = to_volume(liver)?;
    Ok(Some(
        volume::keep_largest_components(&v, Connectivity::Six, 1).map_err(err)?,
    ))
}

/// The stomach: the largest gas pocket under the left lung, with its
/// contents.
fn stomach(
    grid: &WorkGrid,
    left_lung: &Volume<bool>,
    free: &[bool],
    hu: &[f32],
    to_volume: &ToVolume<'_>,
) -> Result<Option<Volume<bool>>, AisuError> {
    let [nx, ny, nz] = grid.dims();
    let s = grid.spacing();
    let plane = nx * ny;
    let ll = left_lung.as_slice();
    // Columns under the left lung.
    let mut under = vec![false; plane];
    for i in 0..plane {
        under[i] = (0..nz).any(|z| ll[z * plane + i]);
    }
    let gas: Vec<bool> = (0..nx * ny * nz)
        .map(|i| free[i] && hu[i] < GAS_MAX_HU && under[i % plane])
        .collect();
    let gas_v = to_volume(gas)?;
    let mut parts = label_components(&gas_v, Connectivity::Six).map_err(err)?;
    parts.relabel_by_size();
    let Some(first) = parts.stats.first() else {
        return Ok(None);
    };
    if first.volume_ml < 5.0 {
        return Ok(None);
    }
    let bubble = parts.labels.map(|l| *l == 1);
    // Contents: non-fat tissue within 60 mm of the bubble, grown from it.
    let near = volume::dilate(&bubble, 60.0).map_err(err)?;
    let content: Vec<bool> = (0..nx * ny * nz)
        .map(|i| {
            free[i]
                && near.as_slice()[i]
                && under[i % plane]
                && (bubble.as_slice()[i] || (hu[i] > -20.0 && hu[i] < 90.0) || hu[i] < GAS_MAX_HU)
        })
        .collect();
    let content_v = to_volume(content)?;
    let opened = volume::open(&content_v, 4.0).map_err(err)?;
    let mut seeded = opened.clone();
    for (a, b) in seeded.as_slice_mut().iter_mut().zip(bubble.as_slice()) {
        *a |= *b;
    }
    let parts = label_components(&seeded, Connectivity::Six).map_err(err)?;
    let Some(seed) = bubble.as_slice().iter().position(|v| *v) else {
        return Ok(None);
    };
    let label = parts.labels.as_slice()[seed];
    let mut stomach: Vec<bool> = parts
        .labels
        .as_slice()
        .iter()
        .map(|l| *l == label)
        .collect();
    volume::fill_holes_slicewise_in_place(&mut stomach, [nx, ny, nz]).map_err(err)?;
    let _ = s;
    Ok(Some(to_volume(stomach)?))
}

/// The spleen: the largest soft-tissue body under the back of the left
/// lung base.
fn spleen(
    grid: &WorkGrid,
    left_lung: &Volume<bool>,
    free: &[bool],
    hu: &[f32],
    to_volume: &ToVolume<'_>,
) -> Result<Option<Volume<bool>>, AisuError> {
    let [nx, ny, nz] = grid.dims();
    let plane = nx * ny;
    let ll = left_lung.as_slice();
    // Back half of the left lung's footprint.
    let mut foot = vec![false; plane];
    let (mut ylo, mut yhi, mut xlo, mut xhi) = (usize::MAX, 0, usize::MAX, 0);
    for i in 0..plane {
        if (0..nz).any(|z| ll[z * plane + i]) {
            foot[i] = true;
            ylo = ylo.min(i / nx);
            yhi = yhi.max(i / nx);
            xlo = xlo.min(i % nx);
            xhi = xhi.max(i % nx);
        }
    }
    if ylo == usize::MAX {
        return Ok(None);
    }
    // The spleen lies in the back, outer part (kidney, crura and the
    // paraspinal muscles are nearer the midline).
    let ymid = (ylo + yhi) / 2;
    let xmid = (xlo + xhi) / 2;
    let tissue: Vec<bool> = (0..nx * ny * nz)
        .map(|i| {
            let p = i % plane;
            free[i]
                && foot[p]
                && p / nx >= ymid
                && p % nx >= xmid
                && hu[i] >= SPLEEN_HU.0
                && hu[i] <= SPLEEN_HU.1
        })
        .collect();
    let opened = volume::open(&to_volume(tissue)?, 5.0).map_err(err)?;
    let kept = volume::keep_largest_components(&opened, Connectivity::Six, 1).map_err(err)?;
    Ok(Some(kept))
}
