//! `airad.heart`: the heart (chambers and myocardium), the pericardial sac,
//! the epicardial fat, landmarks (apex, base, widest axial slice) and the
//! values of the cardiothoracic ratio and heart volume, on non-contrast CT.
//!
//! Without contrast, blood and myocardium both measure about 40 HU: the
//! heart is one soft-tissue blob outlined by epicardial and pericardial fat
//! (-100 HU) and the lungs. Method (after the lung-envelope approach of
//! Isgum et al., Med Phys 2007, and Rodrigues et al., Comput Methods
//! Programs Biomed 2016): on a 1.5 mm work grid, the region between the
//! lungs (each slice's convex hull of both lungs, grown a little forward,
//! minus the lungs) is cut to soft tissue; the great vessels (aorta,
//! pulmonary artery, SVC, when their units found them) are removed; an
//! opening of [`HEART_OPEN_MM`](crate::constants::HEART_OPEN_MM) breaks the thin bridges to the chest wall,
//! the vessels and the oesophagus; the heart is the thickest component
//! (largest inscribed sphere) above the lung bases, grown back into the
//! soft tissue it was opened from. Below the heart, the liver dome meets
//! it through the diaphragm: slices whose soft tissue under the heart
//! spreads beneath the right lung are cut where the heart's outline ends.
//! The sac is the heart with the fat within [`SAC_FAT_MM`](crate::constants::SAC_FAT_MM) around it,
//! closed and filled; the epicardial fat is the fat inside the sac.

use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Centreline, Context, Landmarks, Manifest, Mask};
use serde_json::json;
use volume::{Connectivity, Volume, label_components};

use crate::constants::{
    ARCH_BELOW_APEX_MM, HEART_CENTRE_SHARE, HEART_MAX_HU, HEART_MAX_ML, HEART_MIN_DEPTH_MM,
    HEART_MIN_HU, HEART_MIN_ML, HEART_OPEN_MM, SAC_FAT_MIN_HU, SAC_FAT_MM, SEED_CLEAR_ABOVE_MM,
    SUBPHRENIC_MM,
};
use crate::medgrid::{LungFacts, WorkGrid, convex_hull2d, thorax_grid};
use crate::util::err;

/// The heart unit.
pub struct Heart {
    manifest: Manifest,
}

impl Default for Heart {
    fn default() -> Self {
        Heart {
            manifest: Manifest::new(
                "airad.heart",
                env!("CARGO_PKG_VERSION"),
                "Heart, pericardial sac, epicardial fat, cardiac landmarks and CTR values",
            )
            .requires(&["mask:lung_right", "mask:lung_left", "mask:body"])
            .optional(&[
                "mask:aorta",
                "mask:pulmonary_artery",
                "mask:svc",
                "centreline:aorta",
            ])
            .produces(&[
                "mask:heart",
                "mask:pericardium",
                "mask:epicardial_fat",
                "landmarks:heart",
                "values:heart",
            ])
            .resources(1, 1200, 60.0)
            .typical(0.5),
        }
    }
}

impl Aisu for Heart {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let right = ctx.mask("mask:lung_right")?;
        let left = ctx.mask("mask:lung_left")?;
        let mut vessels = Vec::new();
        for name in ["mask:aorta", "mask:pulmonary_artery", "mask:svc"] {
            if let Some(m) = ctx.mask_opt(name)? {
                vessels.push(m);
            }
        }
        let vessel_refs: Vec<&Mask> = vessels.iter().map(|m| &**m).collect();
        let aorta = match ctx.centreline("centreline:aorta") {
            Ok(c) => Some(c),
            Err(AisuError::Missing { .. }) => None,
            Err(e) => return Err(e),
        };
        match segment_heart(ct, &[&right, &left], &vessel_refs, aorta.as_deref())? {
            Some(h) => {
                ctx.put_mask("mask:heart", h.heart)?;
                ctx.put_mask("mask:pericardium", h.sac)?;
                ctx.put_mask("mask:epicardial_fat", h.fat)?;
                ctx.put(
                    "landmarks:heart",
                    Artefact::Landmarks(Arc::new(h.landmarks)),
                )?;
                ctx.put("values:heart", Artefact::Values(Arc::new(h.values)))
            }
            None => {
                for name in [
                    "mask:heart",
                    "mask:pericardium",
                    "mask:epicardial_fat",
                    "landmarks:heart",
                    "values:heart",
                ] {
                    ctx.absent(name, "heart not found between the lungs")?;
                }
                Ok(())
            }
        }
    }
}

/// The heart as found.
pub struct HeartSegmentation {
    /// Chambers and myocardium.
    pub heart: Mask,
    /// Pericardial sac (heart, epicardial fat, pericardial fluid).
    pub sac: Mask,
    /// Fat inside the sac.
    pub fat: Mask,
    /// apex, base, centroid, widest_slice, transverse_right, transverse_left.
    pub landmarks: Landmarks,
    /// Diameters, CTR, volumes.
    pub values: serde_json::Value,
}

/// Segments the heart; `Ok(None)` when no plausible heart is found.
pub fn segment_heart(
    ct: &Volume<i16>,
    lungs: &[&Mask],
    vessels: &[&Mask],
    aorta: Option<&Centreline>,
) -> Result<Option<HeartSegmentation>, AisuError> {
    let grid = thorax_grid(ct, lungs, 15.0, 30.0, 0.0, [1.5, 1.5, 2.5])?;
    let Some(facts) = LungFacts::new(&grid, lungs) else {
        return Ok(None);
    };
    let [nx, ny, nz] = grid.dims();
    let s = grid.spacing();
    let g = *grid.hu.geometry();
    let hu = grid.hu.as_slice();
    let lung = facts.lungs.as_slice();
    let mut excluded = vec![false; nx * ny * nz];
    for v in vessels {
        for (e, m) in excluded.iter_mut().zip(grid.from_mask(v).as_slice()) {
            *e |= *m;
        }
    }
    // The space between the lungs, slice by slice.
    let grow = (3.0 / s[0]).round() as usize;
    let mut region = vec![false; nx * ny * nz];
    for z in 0..nz {
        let plane = &lung[z * nx * ny..(z + 1) * nx * ny];
        if !plane.iter().any(|v| *v) {
            continue;
        }
        let hull = convex_hull2d(plane, nx, ny);
        let hull = dilate2d(&hull, nx, ny, grow);
        for i in 0..nx * ny {
            region[z * nx * ny + i] = hull[i] && !plane[i];
        }
    }
    let (z0, z1) = facts.z_range;
    let (ceiling, back, arch_top) = limits(&grid, &facts, aorta);
    let back_limits = back.clone();
    for z in 0..nz {
        let above = z as f64 * s[2] > ceiling;
        for y in 0..ny {
            let behind = y as f64 * s[1] > back[z];
            if above || behind {
                region[z * nx * ny + y * nx..z * nx * ny + (y + 1) * nx].fill(false);
            }
        }
    }
    let soft: Vec<bool> = (0..nx * ny * nz)
        .map(|i| region[i] && !excluded[i] && hu[i] > HEART_MIN_HU && hu[i] < HEART_MAX_HU)
        .collect();
    let soft_v = Volume::new(
        ndarray::Array3::from_shape_vec((nz, ny, nx), soft.clone())
            .map_err(|e| AisuError::Failed(e.to_string()))?,
        g,
    )
    .map_err(err)?;
    let opened = volume::open(&soft_v, HEART_OPEN_MM).map_err(err)?;
    // Seed: the deepest opened voxel above the lowest fifth of the lungs,
    // not far to the right (the liver dome lies there).
    let depth = volume::distance_to_background(&opened);
    // The heart's centre lies 40-140 mm under the top of the aortic arch
    // (the liver dome lower still); without an arch, in the lungs' middle.
    let (zmin, zmax) = match arch_top {
        Some(t) => (t - 140.0, t - 40.0),
        None => (z0 + 0.2 * (z1 - z0), ceiling),
    };
    let (zmin, zmax) = (
        zmin.max(z0 + HEART_CENTRE_SHARE.0 * (z1 - z0)),
        zmax.min(z0 + HEART_CENTRE_SHARE.1 * (z1 - z0)),
    );
    let between = between_lungs(&grid, lungs);
    let roofed = lung_above(&facts, &grid, SEED_CLEAR_ABOVE_MM);
    let mut seed = None;
    let mut best = 0f32;
    for z in 0..nz {
        let zm = z as f64 * s[2];
        if zm < zmin || zm > zmax {
            continue;
        }
        for y in 0..ny {
            for x in 0..nx {
                if (x as f64 * s[0]) < facts.mid_x - 30.0 {
                    continue;
                }
                let i = x + nx * (y + ny * z);
                if !between[i] || roofed[i] {
                    continue;
                }
                let d = depth.as_slice()[i];
                if d.is_finite() && d > best {
                    best = d;
                    seed = Some(i);
                }
            }
        }
    }
    let Some(seed) = seed else {
        return Ok(None);
    };
    if (best as f64) < HEART_MIN_DEPTH_MM {
        return Ok(None);
    }
    let parts = label_components(&opened, Connectivity::Six).map_err(err)?;
    let label = parts.labels.as_slice()[seed];
    let core = parts.labels.map(|l| *l == label && label != 0);
    // Grow back what the opening shaved, within the soft tissue.
    let back = volume::dilate(&core, HEART_OPEN_MM + s[0]).map_err(err)?;
    let mut heart: Vec<bool> = back
        .as_slice()
        .iter()
        .zip(&soft)
        .map(|(a, b)| *a && *b)
        .collect();
    // Nothing lateral to a lung on its row: hilar and juxtamediastinal
    // masses bulge into a lung, which then lies on both sides of them.
    for (h, b) in heart.iter_mut().zip(&between) {
        *h &= *b;
    }
    below_lungs(&mut heart, &facts, &grid, seed / (nx * ny));
    cut_floor(&mut heart, &facts, &grid, seed / (nx * ny), &back_limits);
    keep_component(&mut heart, &grid, seed)?;
    volume::fill_holes_slicewise_in_place(&mut heart, [nx, ny, nz]).map_err(err)?;
    for (h, e) in heart.iter_mut().zip(&excluded) {
        *h &= !*e;
    }
    let heart_v = Volume::new(
        ndarray::Array3::from_shape_vec((nz, ny, nx), heart)
            .map_err(|e| AisuError::Failed(e.to_string()))?,
        g,
    )
    .map_err(err)?;
    let heart_v = volume::keep_largest_components(&heart_v, Connectivity::Six, 1).map_err(err)?;
    let voxel_ml = s[0] * s[1] * s[2] / 1000.0;
    let heart_ml = crate::util::count(&heart_v) as f64 * voxel_ml;
    if !(HEART_MIN_ML..=HEART_MAX_ML).contains(&heart_ml) {
        return Ok(None);
    }
    // The sac: heart plus the fat close around it, closed and filled.
    let near = volume::dilate(&heart_v, SAC_FAT_MM).map_err(err)?;
    let mut sac: Vec<bool> = (0..nx * ny * nz)
        .map(|i| {
            heart_v.as_slice()[i]
                || (near.as_slice()[i]
                    && region[i]
                    && !excluded[i]
                    && hu[i] > SAC_FAT_MIN_HU
                    && hu[i] < HEART_MIN_HU)
        })
        .collect();
    volume::fill_holes_slicewise_in_place(&mut sac, [nx, ny, nz]).map_err(err)?;
    let sac_v = Volume::new(
        ndarray::Array3::from_shape_vec((nz, ny, nx), sac)
            .map_err(|e| AisuError::Failed(e.to_string()))?,
        g,
    )
    .map_err(err)?;
    let sac_v = volume::open(&sac_v, 2.0 * s[0]).map_err(err)?;
    let mut sac_v = volume::keep_largest_components(&sac_v, Connectivity::Six, 1).map_err(err)?;
    for (a, h) in sac_v.as_slice_mut().iter_mut().zip(heart_v.as_slice()) {
        *a |= *h;
    }
    let fat_v = Volume::new(
        ndarray::Array3::from_shape_vec(
            (nz, ny, nx),
            (0..nx * ny * nz)
                .map(|i| sac_v.as_slice()[i] && !heart_v.as_slice()[i] && hu[i] < HEART_MIN_HU)
                .collect(),
        )
        .map_err(|e| AisuError::Failed(e.to_string()))?,
        g,
    )
    .map_err(err)?;
    let (landmarks, values) = measure(&grid, &facts, &heart_v, &sac_v, heart_ml);
    Ok(Some(HeartSegmentation {
        heart: grid.to_mask(&heart_v),
        sac: grid.to_mask(&sac_v),
        fat: grid.to_mask(&fat_v),
        landmarks,
        values,
    }))
}

/// The heart's ceiling (work-mm z: 35 mm under the top of the aortic
/// arch, or three quarters up the lungs) and, per slice, its back wall
/// (work-mm y: the descending aorta's front wall, or 70% of the way back
/// through the lungs).
fn limits(
    grid: &WorkGrid,
    facts: &LungFacts,
    aorta: Option<&Centreline>,
) -> (f64, Vec<f64>, Option<f64>) {
    let [_, _, nz] = grid.dims();
    let s = grid.spacing();
    let (z0, z1) = facts.z_range;
    let mut ceiling = z0 + 0.75 * (z1 - z0);
    let mut back: Vec<Option<f64>> = vec![None; nz];
    let mut arch_top = None;
    if let Some(c) = aorta {
        let pts: Vec<[f64; 3]> = c.points.iter().map(|p| grid.work_mm(*p)).collect();
        // An arch above the lung apices or in the lower half of the
        // lungs is a tracking error, not a landmark.
        if c.segments.iter().any(|s| s == "arch")
            && let Some(top) = pts.iter().map(|p| p[2]).reduce(f64::max)
            && top < z1 - ARCH_BELOW_APEX_MM
            && top > z0 + 0.5 * (z1 - z0)
        {
            ceiling = top - 35.0;
            arch_top = Some(top);
        }
        // The oesophagus and the azygos vein lie beside the aorta, behind
        // the left atrium: the heart ends at the aorta's front wall.
        for ((p, seg), r) in pts.iter().zip(&c.segments).zip(&c.radii_mm) {
            if seg == "descending" || seg == "hiatus" {
                let k = (p[2] / s[2]).round();
                if k >= 0.0 && (k as usize) < nz {
                    back[k as usize] = Some(p[1] - r);
                }
            }
        }
    }
    let fallback: Vec<f64> = (0..nz)
        .map(|z| match facts.y_extent[z] {
            Some((a, p)) => a + 0.7 * (p - a),
            None => f64::MAX,
        })
        .collect();
    // Fill slices without aorta from the nearest slice with it.
    let known: Vec<usize> = (0..nz).filter(|z| back[*z].is_some()).collect();
    let back = (0..nz)
        .map(|z| {
            known
                .iter()
                .min_by_key(|k| k.abs_diff(z))
                .and_then(|k| back[*k])
                .unwrap_or(fallback[z])
        })
        .collect();
    (ceiling, back, arch_top)
}

/// Voxels that no part of the right lung lies left of and no part of the
/// left lung lies right of, on the same row: the heart lies between the
/// two lungs, while the liver dome and the spleen rise into the bases
/// with one lung all round them.
fn between_lungs(grid: &WorkGrid, lungs: &[&Mask]) -> Vec<bool> {
    let [nx, ny, nz] = grid.dims();
    let mut out = vec![true; nx * ny * nz];
    let (Some(right), Some(left)) = (lungs.first(), lungs.get(1)) else {
        return out;
    };
    let (r, l) = (grid.from_mask(right), grid.from_mask(left));
    let (r, l) = (r.as_slice(), l.as_slice());
    for row in 0..ny * nz {
        let base = row * nx;
        // Rightmost-to-the-left: the largest x of right lung on the row,
        // and the smallest x of left lung.
        let r_max = (0..nx).rev().find(|x| r[base + x]);
        let l_min = (0..nx).find(|x| l[base + x]);
        for x in 0..nx {
            let lateral_to_right = r_max.is_some_and(|m| m > x);
            let lateral_to_left = l_min.is_some_and(|m| m < x);
            out[base + x] = !lateral_to_right && !lateral_to_left;
        }
    }
    out
}

/// Voxels with lung above them in their column within `reach_mm`: the
/// liver dome and the spleen lie under the lung bases, the heart's centre
/// under its base and the great vessels.
fn lung_above(facts: &LungFacts, grid: &WorkGrid, reach_mm: f64) -> Vec<bool> {
    let [nx, ny, nz] = grid.dims();
    let s = grid.spacing();
    let plane = nx * ny;
    let lung = facts.lungs.as_slice();
    let mut out = vec![false; plane * nz];
    for i in 0..plane {
        let mut nearest: Option<usize> = None;
        for z in (0..nz).rev() {
            if let Some(k) = nearest {
                out[z * plane + i] = (k - z) as f64 * s[2] <= reach_mm;
            }
            if lung[z * plane + i] {
                nearest = Some(z);
            }
        }
    }
    out
}

/// Dilates a slice mask by a square of half-width `r` pixels.
fn dilate2d(mask: &[bool], nx: usize, ny: usize, r: usize) -> Vec<bool> {
    let mut rows = vec![false; nx * ny];
    for y in 0..ny {
        for x in 0..nx {
            if mask[x + nx * y] {
                for xx in x.saturating_sub(r)..=(x + r).min(nx - 1) {
                    rows[xx + nx * y] = true;
                }
            }
        }
    }
    let mut out = vec![false; nx * ny];
    for y in 0..ny {
        for x in 0..nx {
            if rows[x + nx * y] {
                for yy in y.saturating_sub(r)..=(y + r).min(ny - 1) {
                    out[x + nx * yy] = true;
                }
            }
        }
    }
    out
}

/// Below the heart's centre, removes tissue with lung directly above it
/// within [`SUBPHRENIC_MM`](crate::constants::SUBPHRENIC_MM): it lies under a lung base, so under the
/// diaphragm (liver, stomach, spleen), while the heart below its
/// widest level lies under more heart.
fn below_lungs(heart: &mut [bool], facts: &LungFacts, grid: &WorkGrid, seed_z: usize) {
    let [nx, ny, nz] = grid.dims();
    let s = grid.spacing();
    let plane = nx * ny;
    let reach = ((SUBPHRENIC_MM / s[2]).round() as usize).max(1);
    let lung = facts.lungs.as_slice();
    for z in 0..seed_z.min(nz) {
        for i in 0..plane {
            let idx = z * plane + i;
            if heart[idx] && (z + 1..=(z + reach).min(nz - 1)).any(|k| lung[k * plane + i]) {
                heart[idx] = false;
            }
        }
    }
}

/// Cuts the heart at the diaphragm under it, estimated as the plane
/// through the lung bases around the heart's footprint (the cardiophrenic
/// angles and the domes beside the heart, behind which the posterior
/// recesses reach lower and are left out).
fn cut_floor(heart: &mut [bool], facts: &LungFacts, grid: &WorkGrid, seed_z: usize, back: &[f64]) {
    let [nx, ny, nz] = grid.dims();
    let s = grid.spacing();
    let plane = nx * ny;
    let lung = facts.lungs.as_slice();
    let hu = grid.hu.as_slice();
    let Some(footprint) = heart.get(seed_z * plane..(seed_z + 1) * plane) else {
        return;
    };
    let ring = dilate2d(footprint, nx, ny, (40.0 / s[0]).round() as usize);
    let mut pts: Vec<(f64, f64, f64)> = Vec::new();
    for y in 0..ny {
        if y as f64 * s[1] > back[seed_z] {
            continue;
        }
        for x in 0..nx {
            let i = x + nx * y;
            if !ring[i] {
                continue;
            }
            // The lowest lung voxel of the column, with tissue under it.
            if let Some(zb) = (1..nz).find(|z| lung[z * plane + i])
                && zb < seed_z
                && !lung[(zb - 1) * plane + i]
                && hu[(zb - 1) * plane + i] > -200.0
            {
                pts.push((x as f64 * s[0], y as f64 * s[1], zb as f64 * s[2]));
            }
        }
    }
    let mut coef = None;
    let mut used = pts.clone();
    for _ in 0..3 {
        if used.len() < 30 {
            return;
        }
        let Some(c) = fit_plane(&used) else {
            return;
        };
        coef = Some(c);
        used.retain(|p| (p.2 - (c[0] + c[1] * p.0 + c[2] * p.1)).abs() < 15.0);
    }
    let Some(c) = coef else {
        return;
    };
    for z in 0..seed_z.min(nz) {
        for y in 0..ny {
            for x in 0..nx {
                let floor = c[0] + c[1] * x as f64 * s[0] + c[2] * y as f64 * s[1];
                if (z as f64) * s[2] < floor {
                    heart[z * plane + x + nx * y] = false;
                }
            }
        }
    }
}

/// Least-squares plane z = a + b x + c y through points.
fn fit_plane(pts: &[(f64, f64, f64)]) -> Option<[f64; 3]> {
    let n = pts.len() as f64;
    let (mx, my, mz) = pts
        .iter()
        .fold((0.0, 0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1, a.2 + p.2));
    let (mx, my, mz) = (mx / n, my / n, mz / n);
    let (mut sxx, mut sxy, mut syy, mut sxz, mut syz) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in pts {
        let (dx, dy, dz) = (p.0 - mx, p.1 - my, p.2 - mz);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
        sxz += dx * dz;
        syz += dy * dz;
    }
    let det = sxx * syy - sxy * sxy;
    if det.abs() < 1e-9 {
        return None;
    }
    let b = (sxz * syy - syz * sxy) / det;
    let c = (syz * sxx - sxz * sxy) / det;
    Some([mz - b * mx - c * my, b, c])
}

/// Keeps the 6-connected component of `mask` holding voxel `seed`.
fn keep_component(mask: &mut [bool], grid: &WorkGrid, seed: usize) -> Result<(), AisuError> {
    let [nx, ny, nz] = grid.dims();
    let v = Volume::new(
        ndarray::Array3::from_shape_vec((nz, ny, nx), mask.to_vec())
            .map_err(|e| AisuError::Failed(e.to_string()))?,
        *grid.hu.geometry(),
    )
    .map_err(err)?;
    let parts = label_components(&v, Connectivity::Six).map_err(err)?;
    let label = parts.labels.as_slice()[seed];
    for (m, l) in mask.iter_mut().zip(parts.labels.as_slice()) {
        *m = label != 0 && *l == label;
    }
    Ok(())
}

/// Landmarks and values of the heart.
fn measure(
    grid: &WorkGrid,
    facts: &LungFacts,
    heart: &Volume<bool>,
    sac: &Volume<bool>,
    heart_ml: f64,
) -> (Landmarks, serde_json::Value) {
    let [nx, ny, nz] = grid.dims();
    let s = grid.spacing();
    let h = heart.as_slice();
    let mut landmarks = Landmarks::new();
    // Centroid and long-axis extremes (apex: left, anterior, inferior).
    let (mut c, mut n) = ([0.0; 3], 0usize);
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                if h[x + nx * (y + ny * z)] {
                    c[0] += x as f64 * s[0];
                    c[1] += y as f64 * s[1];
                    c[2] += z as f64 * s[2];
                    n += 1;
                }
            }
        }
    }
    if n == 0 {
        return (landmarks, json!({}));
    }
    c = [c[0] / n as f64, c[1] / n as f64, c[2] / n as f64];
    let axis = crate::tubes::normalize([0.6, -0.55, -0.55]);
    let (mut amax, mut amin) = ((f64::MIN, c), (f64::MAX, c));
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                if h[x + nx * (y + ny * z)] {
                    let p = [x as f64 * s[0], y as f64 * s[1], z as f64 * s[2]];
                    let t =
                        (p[0] - c[0]) * axis[0] + (p[1] - c[1]) * axis[1] + (p[2] - c[2]) * axis[2];
                    if t > amax.0 {
                        amax = (t, p);
                    }
                    if t < amin.0 {
                        amin = (t, p);
                    }
                }
            }
        }
    }
    landmarks.insert("centroid".into(), grid.lps(c));
    landmarks.insert("apex".into(), grid.lps(amax.1));
    landmarks.insert("base".into(), grid.lps(amin.1));
    // Widest transverse extent, slice by slice.
    let extent = |m: &[bool], z: usize| -> Option<(usize, usize, usize)> {
        let (mut lo, mut hi, mut row) = (usize::MAX, 0usize, 0usize);
        for y in 0..ny {
            for x in 0..nx {
                if m[x + nx * (y + ny * z)] {
                    if x < lo {
                        lo = x;
                        row = y;
                    }
                    hi = hi.max(x);
                }
            }
        }
        (lo != usize::MAX).then_some((lo, hi, row))
    };
    let mut widest: Option<(usize, usize, usize, usize)> = None;
    for z in 0..nz {
        if let Some((lo, hi, row)) = extent(h, z)
            && widest.is_none_or(|w| hi - lo > w.1 - w.0)
        {
            widest = Some((lo, hi, row, z));
        }
    }
    let mut values = json!({ "heart_volume_ml": heart_ml });
    if let Some((lo, hi, row, z)) = widest {
        let diameter = (hi - lo + 1) as f64 * s[0];
        let zm = z as f64 * s[2];
        let ym = row as f64 * s[1];
        landmarks.insert(
            "widest_slice".into(),
            grid.lps([(lo + hi) as f64 / 2.0 * s[0], ym, zm]),
        );
        landmarks.insert(
            "transverse_right".into(),
            grid.lps([lo as f64 * s[0], ym, zm]),
        );
        landmarks.insert(
            "transverse_left".into(),
            grid.lps([hi as f64 * s[0], ym, zm]),
        );
        values["max_transverse_diameter_mm"] = json!(diameter);
        if let Some((slo, shi, _)) = extent(sac.as_slice(), z) {
            values["max_transverse_diameter_sac_mm"] = json!((shi - slo + 1) as f64 * s[0]);
        }
        if let Some((llo, lhi, _)) = extent(facts.lungs.as_slice(), z) {
            let thorax = (lhi - llo + 1) as f64 * s[0];
            values["internal_thoracic_diameter_mm"] = json!(thorax);
            values["cardiothoracic_ratio"] = json!(diameter / thorax);
        }
        values["widest_slice_z_mm"] = json!(grid.lps([0.0, 0.0, zm])[2]);
    }
    let sac_ml = crate::util::count(sac) as f64 * s[0] * s[1] * s[2] / 1000.0;
    values["pericardium_volume_ml"] = json!(sac_ml);
    (landmarks, values)
}
