//! Encircled lesions: dense lumps that a lung wraps round in-plane from
//! the mediastinal side (perihilar and juxtamediastinal masses), which a
//! mask of aerated lung leaves out and which [`crate::lung_envelope`]
//! does not bring in (it fills costal concavities only, because the
//! mediastinal face of the lung is indented by the heart and hila in
//! every chest).
//!
//! Method, per axial slice and lung: the soft-tissue pixels inside the
//! lung's convex hull that are not lung ([`ENCIRCLED_HU`] after an
//! in-plane smoothing of [`ENCIRCLED_SMOOTH_MM`]) each cast
//! [`ENCIRCLED_RAYS`] rays in-plane; the share of rays that meet the lung
//! within [`ENCIRCLED_RAY_MM`] says how far the lung wraps round the
//! pixel. The heart, the great vessels and a normal hilum lie against the
//! lung along one face (about half the rays); a mass that bulges into the
//! lung has lung on most sides ([`ENCIRCLED_MIN_SHARE`]). Of those
//! pixels, the slice's connected regions with an inscribed radius of at
//! least [`ENCIRCLED_MIN_RADIUS_MM`] are kept: vessel stubs at the hila
//! are thinner. Vessels that pass the test over a run of slices (the
//! aorta or the superior vena cava where lung surrounds them) are left to
//! the consumer's shape tests (the nodule unit's vessel test), which see
//! them whole in 3D.

use aisu::AisuError;
use rayon::prelude::*;
use volume::Volume;

use crate::constants::{
    ENCIRCLED_HU, ENCIRCLED_MIN_RADIUS_MM, ENCIRCLED_MIN_SHARE, ENCIRCLED_ORIGIN_MM,
    ENCIRCLED_RAY_MM, ENCIRCLED_RAYS, ENCIRCLED_SMOOTH_MM, ENCIRCLED_STEP_MM,
};
use crate::regions::{convex_polygon_mask, from_vec, outline_hull};

/// The dense pixels each of `lungs` encircles (see the module docs), on
/// the grid of the lungs and `hu` (one grid). The lungs themselves are
/// not included.
pub fn encircled(lungs: &[&Volume<bool>], hu: &Volume<i16>) -> Result<Volume<bool>, AisuError> {
    let g = *hu.geometry();
    if lungs.iter().any(|l| l.dims() != g.dims) {
        return Err(AisuError::Failed(
            "encircled lesions: the lung and CT grids differ".into(),
        ));
    }
    let soft = volume::gaussian_smooth(hu, [ENCIRCLED_SMOOTH_MM, ENCIRCLED_SMOOTH_MM, 0.0])
        .map_err(|e| AisuError::Failed(format!("encircled lesions: {e}")))?;
    let [nx, ny, _] = g.dims;
    let plane = nx * ny;
    let spacing = [g.spacing[0], g.spacing[1]];
    let mut out = vec![false; g.len()];
    for lung in lungs {
        out.par_chunks_mut(plane)
            .zip(lung.as_slice().par_chunks(plane))
            .zip(soft.as_slice().par_chunks(plane))
            .try_for_each(|((out, lung), soft)| -> Result<(), AisuError> {
                let plane = Plane { lung, soft, nx, ny };
                for i in slice_encircled(plane, spacing, &g)? {
                    out[i] = true;
                }
                Ok(())
            })?;
    }
    from_vec(out, g)
}

/// One axial plane: a lung and the smoothed HU, `nx` x `ny` pixels.
struct Plane<'a> {
    lung: &'a [bool],
    soft: &'a [f32],
    nx: usize,
    ny: usize,
}

/// Encircled pixels of one slice (indices into the slice), worked out in
/// the window of the slice's lung (which holds its hull).
fn slice_encircled(
    plane: Plane<'_>,
    spacing: [f64; 2],
    g: &volume::Geometry,
) -> Result<Vec<usize>, AisuError> {
    let Plane { lung, soft, nx, ny } = plane;
    let (mut x0, mut x1, mut y0, mut y1) = (nx, 0, ny, 0);
    for (i, _) in lung.iter().enumerate().filter(|(_, v)| **v) {
        let (x, y) = (i % nx, i / nx);
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return Ok(Vec::new());
    }
    let (wx, wy) = (x1 - x0 + 1, y1 - y0 + 1);
    let mut lung_w = Vec::with_capacity(wx * wy);
    let mut soft_w = Vec::with_capacity(wx * wy);
    for y in y0..=y1 {
        lung_w.extend_from_slice(&lung[x0 + nx * y..=x1 + nx * y]);
        soft_w.extend_from_slice(&soft[x0 + nx * y..=x1 + nx * y]);
    }
    let window = Plane {
        lung: &lung_w,
        soft: &soft_w,
        nx: wx,
        ny: wy,
    };
    Ok(window_encircled(window, spacing, g)?
        .into_iter()
        .map(|i| (x0 + i % wx) + nx * (y0 + i / wx))
        .collect())
}

/// [`slice_encircled`] on a window.
fn window_encircled(
    plane: Plane<'_>,
    spacing: [f64; 2],
    g: &volume::Geometry,
) -> Result<Vec<usize>, AisuError> {
    let Plane { lung, soft, nx, ny } = plane;
    let [sx, sy] = spacing;
    let (hull, _) = outline_hull(lung, nx, ny, spacing);
    if hull.len() < 3 {
        return Ok(Vec::new());
    }
    let inside = convex_polygon_mask(&hull, nx, ny, spacing);
    let dense =
        |i: usize| inside[i] && !lung[i] && (ENCIRCLED_HU.0..=ENCIRCLED_HU.1).contains(&soft[i]);
    // Rays in steps of ENCIRCLED_STEP_MM (a lung layer thinner than a
    // step may be stepped over, which only lowers a share), cast from the
    // centre of each block of about ENCIRCLED_ORIGIN_MM: the answer holds
    // for the block's dense pixels (a lesion worth keeping is over 16 mm
    // across).
    let stride = ((ENCIRCLED_ORIGIN_MM / sx.min(sy)).round() as usize).max(1);
    let steps = (ENCIRCLED_RAY_MM / ENCIRCLED_STEP_MM).ceil() as usize;
    let rays: Vec<(f64, f64)> = (0..ENCIRCLED_RAYS)
        .map(|k| {
            let a = k as f64 * std::f64::consts::TAU / ENCIRCLED_RAYS as f64;
            (
                a.cos() * ENCIRCLED_STEP_MM / sx,
                a.sin() * ENCIRCLED_STEP_MM / sy,
            )
        })
        .collect();
    let need = (ENCIRCLED_MIN_SHARE * ENCIRCLED_RAYS as f64).ceil() as usize;
    let misses_allowed = ENCIRCLED_RAYS - need;
    let wrapped = |x: usize, y: usize| -> bool {
        let (mut hits, mut misses) = (0usize, 0usize);
        for &(dx, dy) in &rays {
            if hits >= need {
                return true;
            }
            let hit = (1..=steps).any(|s| {
                let px = (x as f64 + dx * s as f64).round();
                let py = (y as f64 + dy * s as f64).round();
                px >= 0.0
                    && py >= 0.0
                    && (px as usize) < nx
                    && (py as usize) < ny
                    && lung[px as usize + nx * py as usize]
            });
            if hit {
                hits += 1;
            } else {
                misses += 1;
                if misses > misses_allowed {
                    return false;
                }
            }
        }
        true
    };
    let mut enc = vec![false; nx * ny];
    let mut any = false;
    for by in (0..ny).step_by(stride) {
        for bx in (0..nx).step_by(stride) {
            let block = || {
                (by..(by + stride).min(ny))
                    .flat_map(move |y| (bx..(bx + stride).min(nx)).map(move |x| x + nx * y))
            };
            if !block().any(dense) {
                continue;
            }
            let (cx, cy) = ((bx + stride / 2).min(nx - 1), (by + stride / 2).min(ny - 1));
            if wrapped(cx, cy) {
                for i in block() {
                    if dense(i) {
                        enc[i] = true;
                        any = true;
                    }
                }
            }
        }
    }
    if !any {
        return Ok(Vec::new());
    }
    // Inscribed radius: the in-plane depth of each encircled pixel (a
    // one-slice grid, so the distance is in-plane).
    let mut g2 = *g;
    g2.dims = [nx, ny, 1];
    let mask = from_vec(enc, g2)?;
    let depth = volume::distance_to_background(&mask);
    let parts = volume::label_components(&mask, volume::Connectivity::Six)
        .map_err(|e| AisuError::Failed(format!("encircled lesions: {e}")))?;
    let labels = parts.labels.as_slice();
    let mut deepest = vec![0.0f32; parts.stats.len() + 1];
    for (l, d) in labels.iter().zip(depth.as_slice()) {
        let l = *l as usize;
        if l > 0 && d.is_finite() {
            deepest[l] = deepest[l].max(*d);
        }
    }
    Ok(labels
        .iter()
        .enumerate()
        .filter(|(_, l)| **l > 0 && f64::from(deepest[**l as usize]) >= ENCIRCLED_MIN_RADIUS_MM)
        .map(|(i, _)| i)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use volume::Geometry;

    /// A 1 mm slice, 200 x 200: "mediastinum" soft tissue for x < 60 and
    /// aerated lung for x >= 60, with a soft-tissue disc of radius `r`
    /// centred at (`cx`, 100); a disc off the mediastinum is joined to it
    /// by a neck of 0.8 `r`.
    fn scene(r: f64, cx: f64) -> (Volume<bool>, Volume<i16>) {
        let n = 200;
        let g = Geometry::new([n, n, 1], [1.0, 1.0, 5.0], [0.0; 3]);
        let mut lung = vec![false; n * n];
        let mut hu = vec![40i16; n * n];
        for y in 0..n {
            for x in 0..n {
                let (dx, dy) = (x as f64 - cx, y as f64 - 100.0);
                let in_disc = (dx * dx + dy * dy).sqrt() <= r;
                let in_neck = dy.abs() <= 0.4 * r && (x as f64) <= cx;
                if x >= 60 && !in_disc && !in_neck {
                    lung[x + n * y] = true;
                    hu[x + n * y] = -850;
                }
            }
        }
        (from_vec(lung, g).unwrap(), from_vec(hu, g).unwrap())
    }

    fn at(v: &Volume<bool>, x: usize, y: usize) -> bool {
        v.as_slice()[x + 200 * y]
    }

    #[test]
    fn a_mass_the_lung_wraps_round_is_encircled() {
        // A 36 mm mass 40 mm off the mediastinum, on a neck.
        let (lung, hu) = scene(18.0, 100.0);
        let e = encircled(&[&lung], &hu).unwrap();
        assert!(at(&e, 100, 100), "the mass centre is encircled");
        assert!(!at(&e, 30, 100), "the mediastinum is not");
    }

    #[test]
    fn a_bulge_of_the_mediastinum_is_not_encircled() {
        // The same disc centred on the mediastinal border: lung on one
        // side only (the heart or the aorta against the lung).
        let (lung, hu) = scene(20.0, 60.0);
        let e = encircled(&[&lung], &hu).unwrap();
        assert!(e.as_slice().iter().all(|v| !*v));
    }

    #[test]
    fn a_small_lump_is_left_to_the_lung_mask() {
        // Radius 6 mm: under the inscribed-radius floor.
        let (lung, hu) = scene(6.0, 100.0);
        let e = encircled(&[&lung], &hu).unwrap();
        assert!(e.as_slice().iter().all(|v| !*v));
    }
}
