//! The hemithorax: where the costal parietal pleura lies, so that what
//! sits between it and the lung (fluid, air) can be measured.
//!
//! Method, per side, in the axial plane: rays from the centre of that
//! side's lung (one fixed centre for all slices) at [`RAYS`] angles. Along
//! each ray the outermost lung voxel and the first bone beyond it (ribs,
//! the vertebral column) are found; rays crossing the midline stop there
//! (the mediastinum is not chest wall). Between ribs a ray meets no bone,
//! or bone far out (scapula, arm): such gaps are narrow in angle and
//! height, so a grey-level opening of the bone radius over (angle, height)
//! (a flat window of [`WALL_WINDOW_DEG`] x [`WALL_WINDOW_MM`]) bridges
//! them with the neighbouring ribs' radius: the inner surface of the rib
//! cage is smooth, and pleural fluid, as dense as the intercostal
//! muscles, can only be bounded by an estimate of the parietal pleura
//! (fitted as a smooth surface from anatomical landmarks by Yao, Han &
//! Summers, ISBI 2009 and Yao, Bliton & Summers, IEEE TBME 2013). Bone
//! does not bridge the mediastinal side or the costal cartilages: there
//! the wall stays unknown and nothing is measured.
//!
//! The costal pleura lies a little inside the ribs (innermost intercostal
//! muscle, endothoracic fascia, extrapleural fat), further behind than in
//! front. That gap is measured per ray angle as the lower quartile, over
//! the slices and a few neighbouring angles, of the distance from the
//! lung's edge to the bone (where the lung touches the wall; rays with
//! fluid or air in between lie above it), and subtracted.

use aisu::{AisuError, Mask};
use anatomy::regions::{IndexBox, crop, crop_mask, from_vec};
use rayon::prelude::*;
use volume::{Geometry, Volume};

use crate::constants::{
    FLUID_SMOOTH_MM, PLEURA_BONE_HU, PLEURA_SMOOTH_MM, WALL_GAP_MAX_MM, WALL_GAP_MIN_SAMPLES,
    WALL_MARGIN_MM, WALL_WINDOW_DEG, WALL_WINDOW_MM,
};

/// Rays per slice.
pub const RAYS: usize = 240;

/// Step along a ray, mm.
const STEP_MM: f64 = 0.5;

/// The crop of a scan around the lungs with what every pleural detector
/// reads.
pub struct Scene {
    /// Crop box on the CT grid.
    pub b: IndexBox,
    /// The crop's grid.
    pub g: Geometry,
    /// HU.
    pub hu: Volume<i16>,
    /// HU smoothed in-plane ([`PLEURA_SMOOTH_MM`]).
    pub smooth: Volume<f32>,
    /// HU smoothed more ([`FLUID_SMOOTH_MM`]), to tell fluid from denser
    /// tissue in noisy scans.
    pub smooth_wide: Volume<f32>,
    /// 1 right lung, 2 left lung, 0 neither.
    pub lung: Vec<u8>,
    /// Inside the body.
    pub body: Vec<bool>,
    /// LPS x of the body's midline.
    pub midline_x: f64,
    /// Index step (x, y) that points posterior (+1 or -1 per axis' sign
    /// of LPS y).
    pub posterior_y_sign: f64,
}

impl Scene {
    /// The crop of `ct` around both lungs, grown by `margin_mm` in-plane
    /// and `margin_z_mm` along z; only slices `slab` (first and last
    /// slice index of the CT grid) when given, for a unit that reads the
    /// wall at one level.
    pub fn build(
        ct: &Volume<i16>,
        body: &Mask,
        right: Option<&Mask>,
        left: Option<&Mask>,
        (margin_mm, margin_z_mm): (f64, f64),
        slab: Option<(usize, usize)>,
    ) -> Result<Option<Scene>, AisuError> {
        let full = *ct.geometry();
        let mut b: Option<IndexBox> = None;
        for m in right.iter().chain(left.iter()) {
            if let Some(x) = IndexBox::of_mask(m) {
                b = Some(b.map_or(x, |o| o.union(&x)));
            }
        }
        let Some(b) = b else {
            return Ok(None);
        };
        let s = full.spacing;
        let margin = [
            (margin_mm / s[0]).ceil() as usize,
            (margin_mm / s[1]).ceil() as usize,
            (margin_z_mm / s[2]).ceil() as usize,
        ];
        let mut b = b.grown(margin, full.dims);
        if let Some((first, last)) = slab {
            b.lo[2] = b.lo[2].max(first);
            b.hi[2] = b.hi[2].min(last);
            if b.lo[2] > b.hi[2] {
                return Ok(None);
            }
        }
        let hu = crop(ct, &b)?;
        let g = *hu.geometry();
        let smooth = volume::gaussian_smooth(&hu, [PLEURA_SMOOTH_MM, PLEURA_SMOOTH_MM, 0.0])
            .map_err(|e| AisuError::Failed(e.to_string()))?;
        let smooth_wide = volume::gaussian_smooth(&hu, [FLUID_SMOOTH_MM, FLUID_SMOOTH_MM, 0.0])
            .map_err(|e| AisuError::Failed(e.to_string()))?;
        let mut lung = vec![0u8; g.len()];
        for (code, m) in [(1u8, right), (2u8, left)] {
            if let Some(m) = m {
                let v = crop_mask(m, &full, &b)?;
                for (l, inside) in lung.iter_mut().zip(v.as_slice()) {
                    if *inside {
                        *l = code;
                    }
                }
            }
        }
        let body_v = crop_mask(body, &full, &b)?;
        let midline_x = body.centroid_lps().map(|c| c[0]).unwrap_or(0.0);
        let dy = g.index_to_lps([0.0, 1.0, 0.0])[1] - g.index_to_lps([0.0, 0.0, 0.0])[1];
        Ok(Some(Scene {
            b,
            g,
            hu,
            smooth,
            smooth_wide,
            lung,
            body: body_v.as_slice().to_vec(),
            midline_x,
            posterior_y_sign: if dy >= 0.0 { 1.0 } else { -1.0 },
        }))
    }

    /// Index of voxel (x, y, z) in the crop.
    #[inline]
    pub fn at(&self, x: usize, y: usize, z: usize) -> usize {
        let [nx, ny, _] = self.g.dims;
        x + nx * (y + ny * z)
    }

    /// A mask of the crop put back on the CT grid.
    pub fn to_mask(&self, bits: &[bool], full: &Geometry) -> Result<Mask, AisuError> {
        // Crop to the set voxels' box first.
        let [nx, ny, nz] = self.g.dims;
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    if bits[x + nx * (y + ny * z)] {
                        lo = [lo[0].min(x), lo[1].min(y), lo[2].min(z)];
                        hi = [hi[0].max(x), hi[1].max(y), hi[2].max(z)];
                    }
                }
            }
        }
        if lo[0] == usize::MAX {
            return Ok(Mask::empty(*full));
        }
        let dims: [usize; 3] = std::array::from_fn(|a| hi[a] - lo[a] + 1);
        let mut out = Vec::with_capacity(dims[0] * dims[1] * dims[2]);
        for z in lo[2]..=hi[2] {
            for y in lo[1]..=hi[1] {
                for x in lo[0]..=hi[0] {
                    out.push(bits[x + nx * (y + ny * z)]);
                }
            }
        }
        let offset = std::array::from_fn(|a| self.b.lo[a] + lo[a]);
        Mask::from_crop(*full, offset, dims, out).map_err(AisuError::Failed)
    }

    /// A boolean crop volume from bits.
    pub fn volume_of(&self, bits: Vec<bool>) -> Result<Volume<bool>, AisuError> {
        from_vec(bits, self.g)
    }
}

/// The wall model of one side.
pub struct Hemithorax {
    /// The patient's right side (lung code 1) or left (2).
    pub right: bool,
    /// Ray centre, crop index (x, y).
    pub centre: [f64; 2],
    /// Slices.
    pub nz: usize,
    /// Costal pleura radius per (z, ray), mm (`INFINITY` unknown).
    pub wall: Vec<f32>,
    /// Outermost lung radius per (z, ray), mm (`NAN` no lung on the ray).
    pub lung_out: Vec<f32>,
    /// Lung-edge-to-bone gap subtracted, mm (median over rays).
    pub gap: f64,
    /// The gap per ray angle, mm.
    pub gap_by_ray: Vec<f64>,
    /// Lung code of this side.
    pub code: u8,
    spacing: [f64; 2],
    /// Sign of index x towards the midline.
    pub medial_x: f64,
}

impl Hemithorax {
    /// The wall model of the side `right` (`None` when that lung is absent).
    pub fn build(scene: &Scene, right: bool) -> Option<Hemithorax> {
        let code = if right { 1u8 } else { 2u8 };
        let g = &scene.g;
        let [nx, ny, nz] = g.dims;
        let plane = nx * ny;
        let (mut sx, mut sy, mut n) = (0.0f64, 0.0f64, 0usize);
        for (i, l) in scene.lung.iter().enumerate() {
            if *l == code {
                sx += (i % nx) as f64;
                sy += ((i / nx) % ny) as f64;
                n += 1;
            }
        }
        if n < 100 {
            return None;
        }
        let centre = [sx / n as f64, sy / n as f64];
        let mid_index = g.lps_to_index([scene.midline_x, g.origin[1], g.origin[2]])[0];
        let medial_x = if mid_index > centre[0] { 1.0 } else { -1.0 };
        let sp = [g.spacing[0], g.spacing[1]];
        let r_max = 0.75 * (nx as f64 * sp[0]).max(ny as f64 * sp[1]);
        let steps = (r_max / STEP_MM) as usize;
        let mut bone = vec![f32::INFINITY; nz * RAYS];
        let mut lung_out = vec![f32::NAN; nz * RAYS];
        let sm = scene.smooth.as_slice();
        bone.par_chunks_mut(RAYS)
            .zip(lung_out.par_chunks_mut(RAYS))
            .enumerate()
            .for_each(|(z, (bone_z, lung_z))| {
                let base = z * plane;
                for j in 0..RAYS {
                    let th = j as f64 / RAYS as f64 * std::f64::consts::TAU;
                    let (c, s) = (th.cos(), th.sin());
                    let mut last_lung = f64::NAN;
                    let mut bones: Vec<f64> = Vec::new();
                    for k in 1..steps {
                        let r = k as f64 * STEP_MM;
                        let fx = centre[0] + r * c / sp[0];
                        let fy = centre[1] + r * s / sp[1];
                        if fx < 0.0 || fy < 0.0 {
                            break;
                        }
                        let (x, y) = (fx.round() as usize, fy.round() as usize);
                        if x >= nx || y >= ny {
                            break;
                        }
                        // Stop at the midline.
                        if (x as f64 - mid_index) * medial_x > 0.0 {
                            break;
                        }
                        let i = base + x + nx * y;
                        if !scene.body[i] {
                            break;
                        }
                        if scene.lung[i] == code {
                            last_lung = r;
                        }
                        if sm[i] > PLEURA_BONE_HU {
                            bones.push(r);
                        }
                    }
                    lung_z[j] = last_lung as f32;
                    let from = if last_lung.is_nan() {
                        0.0
                    } else {
                        last_lung - 2.0
                    };
                    if let Some(r) = bones.iter().find(|r| **r >= from) {
                        bone_z[j] = *r as f32;
                    }
                }
            });
        // Opening over (angle, height): erosion then dilation.
        let kt = ((WALL_WINDOW_DEG / 2.0) / (360.0 / RAYS as f64))
            .round()
            .max(1.0) as isize;
        let kz = ((WALL_WINDOW_MM / 2.0) / g.spacing[2]).round().max(1.0) as isize;
        let eroded = window(&bone, nz, kt, kz, f32::min);
        let wall = window(&eroded, nz, kt, kz, f32::max);
        let mut h = Hemithorax {
            right,
            centre,
            nz,
            wall,
            lung_out,
            gap: 0.0,
            gap_by_ray: vec![0.0; RAYS],
            code,
            spacing: sp,
            medial_x,
        };
        // Lung-edge-to-bone gap where the lung meets the wall, per ray
        // angle: the lower quartile over the slices where the ray meets
        // both (slices with fluid or air between lung and wall lie above
        // it; the ribs stand further off the pleura behind than in
        // front), over a few neighbouring angles.
        let mut all: Vec<f32> = Vec::new();
        let mut per: Vec<Option<f64>> = vec![None; RAYS];
        for (j, slot) in per.iter_mut().enumerate() {
            let mut gaps: Vec<f32> = Vec::new();
            for d in -3isize..=3 {
                let jj = (j as isize + d).rem_euclid(RAYS as isize) as usize;
                for z in 0..nz {
                    let k = z * RAYS + jj;
                    let (w, l) = (h.wall[k], h.lung_out[k]);
                    if w.is_finite() && !l.is_nan() && w - l < WALL_GAP_MAX_MM as f32 {
                        gaps.push(w - l);
                    }
                }
            }
            if gaps.len() >= WALL_GAP_MIN_SAMPLES {
                let m = gaps.len() / 4;
                let (_, q, _) = gaps.select_nth_unstable_by(m, |a, b| a.total_cmp(b));
                *slot = Some(f64::from(*q).max(0.0));
                all.push(*q);
            }
        }
        if !all.is_empty() {
            let m = all.len() / 2;
            let (_, q, _) = all.select_nth_unstable_by(m, |a, b| a.total_cmp(b));
            h.gap = f64::from(*q).max(0.0);
        }
        h.gap_by_ray = per.into_iter().map(|g| g.unwrap_or(h.gap)).collect();
        Some(h)
    }

    /// Radius (mm) and ray angle bin (fractional) of crop voxel (x, y).
    #[inline]
    pub fn polar(&self, x: usize, y: usize) -> (f64, f64) {
        let dx = (x as f64 - self.centre[0]) * self.spacing[0];
        let dy = (y as f64 - self.centre[1]) * self.spacing[1];
        let th = dy.atan2(dx).rem_euclid(std::f64::consts::TAU);
        (
            (dx * dx + dy * dy).sqrt(),
            th / std::f64::consts::TAU * RAYS as f64,
        )
    }

    /// The costal pleura's radius along the direction of (x, y) on slice z
    /// (bone radius minus the side's gap), `None` where unknown.
    #[inline]
    pub fn pleura_at(&self, x: usize, y: usize, z: usize) -> Option<(f64, f64)> {
        let (r, t) = self.polar(x, y);
        let j0 = t.floor() as usize % RAYS;
        let j1 = (j0 + 1) % RAYS;
        let f = t - t.floor();
        let w0 = self.wall[z * RAYS + j0];
        let w1 = self.wall[z * RAYS + j1];
        if !(w0.is_finite() && w1.is_finite()) {
            return None;
        }
        let w = f64::from(w0) * (1.0 - f) + f64::from(w1) * f;
        let gap = self.gap_by_ray[j0] * (1.0 - f) + self.gap_by_ray[j1] * f;
        Some((r, w - gap - WALL_MARGIN_MM))
    }

    /// Outermost lung radius (mm) along the direction of (x, y) on slice
    /// z: the larger of the two nearest rays'; 0 when neither meets lung.
    #[inline]
    pub fn lung_edge_at(&self, x: usize, y: usize, z: usize) -> f64 {
        let (_, t) = self.polar(x, y);
        let j0 = t.floor() as usize % RAYS;
        let j1 = (j0 + 1) % RAYS;
        let a = self.lung_out[z * RAYS + j0];
        let b = self.lung_out[z * RAYS + j1];
        f64::from(match (a.is_nan(), b.is_nan()) {
            (true, true) => 0.0,
            (true, false) => b,
            (false, true) => a,
            (false, false) => a.max(b),
        })
    }

    /// How far the costal pleura and the lung reach sideways on slice z:
    /// the largest distance (mm) from the ray centre, along x away from
    /// the midline, over rays within 60 degrees of that direction (the
    /// costal pleura where the wall is known there, else `None`; the
    /// outermost lung, 0 where no ray meets lung).
    pub fn lateral_reach(&self, z: usize) -> (Option<f64>, f64) {
        let lateral = -self.medial_x;
        let (mut pleura, mut lung) = (None::<f64>, 0.0f64);
        for j in 0..RAYS {
            let th = j as f64 / RAYS as f64 * std::f64::consts::TAU;
            let along = th.cos() * lateral;
            if along < 0.5 {
                continue;
            }
            let k = z * RAYS + j;
            let w = self.wall[k];
            if w.is_finite() {
                let r = f64::from(w) - self.gap_by_ray[j] - WALL_MARGIN_MM;
                pleura = Some(pleura.map_or(r * along, |p| p.max(r * along)));
            }
            let l = self.lung_out[k];
            if !l.is_nan() {
                lung = lung.max(f64::from(l) * along);
            }
        }
        (pleura, lung)
    }

    /// The ray centre's x on the crop grid, mm from the crop's first
    /// column.
    pub fn centre_x_mm(&self) -> f64 {
        self.centre[0] * self.spacing[0]
    }

    /// The lung-to-bone gap along the direction of (x, y), mm.
    pub fn gap_at(&self, x: usize, y: usize) -> f64 {
        let (_, t) = self.polar(x, y);
        self.gap_by_ray[t.floor() as usize % RAYS]
    }

    /// True when x lies on this side of the midline.
    #[inline]
    pub fn on_side(&self, x: usize, mid_index: f64) -> bool {
        (x as f64 - mid_index) * self.medial_x <= 0.0
    }
}

/// A flat min or max filter over (ray, slice), circular over rays.
fn window(v: &[f32], nz: usize, kt: isize, kz: isize, f: fn(f32, f32) -> f32) -> Vec<f32> {
    let n = RAYS as isize;
    let mut a = vec![0.0f32; v.len()];
    for z in 0..nz {
        for j in 0..RAYS as isize {
            let mut acc = v[z * RAYS + j as usize];
            for d in -kt..=kt {
                let jj = (j + d).rem_euclid(n) as usize;
                acc = f(acc, v[z * RAYS + jj]);
            }
            a[z * RAYS + j as usize] = acc;
        }
    }
    let mut out = vec![0.0f32; v.len()];
    for z in 0..nz as isize {
        for j in 0..RAYS {
            let mut acc = a[z as usize * RAYS + j];
            for d in -kz..=kz {
                let zz = z + d;
                if zz < 0 || zz >= nz as isize {
                    continue;
                }
                acc = f(acc, a[zz as usize * RAYS + j]);
            }
            out[z as usize * RAYS + j] = acc;
        }
    }
    out
}
