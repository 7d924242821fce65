//! What the scanner adds to a noise-free slice: the in-plane point spread
//! function of the reconstruction kernel (Gaussian, plus edge overshoot
//! for sharp kernels), beam-hardening dark bands between dense bones,
//! photon-starvation streaks along the most attenuating rays, and
//! correlated quantum noise whose texture follows the kernel (band-pass
//! filtered white noise: blotchy for soft kernels, fine-grained for sharp
//! ones) and whose amplitude follows the attenuation of the rays through
//! each pixel (more in the body centre and laterally through the
//! shoulders), with partial tube-current modulation between slices.
//! Everything is separable or per-ray: no 2D transforms.

use rand_distr::{Distribution, StandardNormal};

use crate::params::KernelClass;
use crate::rng::PhantomRng;

/// Scanner settings of one phantom.
#[derive(Debug, Clone)]
pub struct ScannerModel {
    /// Pixel size, mm.
    pub px: f64,
    /// PSF Gaussian sigma, mm.
    pub psf_sigma: f64,
    /// Edge enhancement gain (sharp kernels) and its scale (mm).
    pub edge_gain: f64,
    /// Scale of the edge enhancement, mm.
    pub edge_sigma: f64,
    /// Noise filter: narrow and wide Gaussian sigmas (mm) and the weight of the wide one.
    pub noise_filter: (f64, f64, f64),
    /// Target noise sigma at the body centre of a reference slice, HU.
    pub noise_hu: f64,
    /// Effective attenuation for noise weighting, per mm of water.
    pub mu: f64,
    /// Variance of the reference (average chest) slice centre.
    pub reference_var: f64,
    /// Tube-current modulation strength (0 none, 1 full).
    pub tcm: f64,
    /// Beam-hardening band strength, HU per (bone mm)^2.
    pub beam_hardening: f64,
    /// Streak strength.
    pub streaks: f64,
}

impl ScannerModel {
    /// Kernel-dependent settings.
    pub fn new(class: KernelClass, px: f64, noise_hu: f64, r: &mut PhantomRng) -> ScannerModel {
        use crate::rng::uniform;
        let (psf, gain, nf) = match class {
            KernelClass::Soft => (uniform(r, 0.7, 0.9), 0.0, (uniform(r, 0.8, 1.0), 2.6, 0.8)),
            KernelClass::Standard => (
                uniform(r, 0.5, 0.65),
                uniform(r, 0.05, 0.2),
                (uniform(r, 0.55, 0.7), 1.9, 0.75),
            ),
            KernelClass::Sharp => (
                uniform(r, 0.32, 0.42),
                uniform(r, 0.4, 0.8),
                (uniform(r, 0.32, 0.42), 1.3, 0.65),
            ),
        };
        ScannerModel {
            px,
            psf_sigma: psf,
            edge_gain: gain,
            edge_sigma: 1.1,
            noise_filter: nf,
            noise_hu,
            mu: uniform(r, 0.011, 0.015),
            reference_var: 1.0,
            tcm: uniform(r, 0.55, 0.85),
            beam_hardening: uniform(r, 0.04, 0.1),
            streaks: uniform(r, 0.6, 1.2),
        }
    }
}

/// Sampled normalised Gaussian kernel for sigma in pixels.
fn kernel(sigma_px: f64) -> Vec<f32> {
    if sigma_px < 1e-3 {
        return vec![1.0];
    }
    let r = (3.0 * sigma_px).ceil() as i64;
    let w: Vec<f64> = (-r..=r)
        .map(|i| (-0.5 * (i as f64 / sigma_px).powi(2)).exp())
        .collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|x| (x / s) as f32).collect()
}

/// Separable Gaussian blur of an `nx` x `ny` image (edges replicated).
pub fn blur(img: &[f32], nx: usize, ny: usize, sigma_px: f64) -> Vec<f32> {
    let k = kernel(sigma_px);
    let r = (k.len() / 2) as isize;
    let mut tmp = vec![0.0f32; nx * ny];
    let ru = r as usize;
    let mut padded = vec![0.0f32; nx + 2 * ru];
    for y in 0..ny {
        let row = &img[y * nx..(y + 1) * nx];
        padded[..ru].fill(row[0]);
        padded[ru..ru + nx].copy_from_slice(row);
        padded[ru + nx..].fill(row[nx - 1]);
        let out = &mut tmp[y * nx..(y + 1) * nx];
        for (j, kv) in k.iter().enumerate() {
            let src = &padded[j..j + nx];
            for (o, v) in out.iter_mut().zip(src) {
                *o += kv * v;
            }
        }
    }
    let mut out = vec![0.0f32; nx * ny];
    for y in 0..ny {
        let o = &mut out[y * nx..(y + 1) * nx];
        for (j, kv) in k.iter().enumerate() {
            let yy = (y as isize + j as isize - r).clamp(0, ny as isize - 1) as usize;
            let src = &tmp[yy * nx..(yy + 1) * nx];
            for x in 0..nx {
                o[x] += kv * src[x];
            }
        }
    }
    out
}

/// Line integrals of water-equivalent length (mm) along rows, columns and
/// both diagonals.
struct Rays {
    rows: Vec<f64>,
    cols: Vec<f64>,
    diag: Vec<f64>,
    anti: Vec<f64>,
}

fn rays(img: &[f32], nx: usize, ny: usize, px: f64, bone: bool) -> Rays {
    let mut rows = vec![0.0; ny];
    let mut cols = vec![0.0; nx];
    let mut diag = vec![0.0; nx + ny];
    let mut anti = vec![0.0; nx + ny];
    let sq2 = std::f64::consts::SQRT_2;
    for y in 0..ny {
        for x in 0..nx {
            let v = img[y * nx + x] as f64;
            let a = if bone {
                ((v - 300.0) / 1000.0).max(0.0)
            } else {
                ((v + 1000.0) / 1000.0).max(0.0)
            };
            if a == 0.0 {
                continue;
            }
            rows[y] += a * px;
            cols[x] += a * px;
            diag[x + ny - 1 - y] += a * px * sq2;
            anti[x + y] += a * px * sq2;
        }
    }
    Rays {
        rows,
        cols,
        diag,
        anti,
    }
}

/// Applies PSF, artefacts and noise to a noise-free slice (HU) in place.
/// `centre` is the pixel nearest the patient axis.
pub fn finish_slice(
    img: &mut Vec<f32>,
    nx: usize,
    ny: usize,
    s: &ScannerModel,
    centre: (usize, usize),
    r: &mut PhantomRng,
) {
    let px = s.px;
    // Attenuation along rays (before blur; blur does not change integrals).
    let att = rays(img, nx, ny, px, false);
    let bone = rays(img, nx, ny, px, true);
    // PSF and edge enhancement.
    let mut out = blur(img, nx, ny, s.psf_sigma / px);
    if s.edge_gain > 0.0 {
        let wide = blur(&out, nx, ny, s.edge_sigma / px);
        for (o, w) in out.iter_mut().zip(&wide) {
            *o += s.edge_gain as f32 * (*o - w);
        }
    }
    beam_hardening(&mut out, img, nx, ny, &bone, s);
    // Noise variance map from four view directions.
    let e = |v: &[f64]| -> Vec<f64> { v.iter().map(|l| 0.25 * (s.mu * l).exp()).collect() };
    let (er, ec, ed, ea) = (e(&att.rows), e(&att.cols), e(&att.diag), e(&att.anti));
    let var_at = |x: usize, y: usize| -> f64 { er[y] + ec[x] + ed[x + ny - 1 - y] + ea[x + y] };
    let vc = var_at(centre.0.min(nx - 1), centre.1.min(ny - 1)).max(1e-9);
    // Partial tube-current modulation: the dose follows the slice's
    // attenuation, so the centre variance moves only (1 - tcm) of the way.
    let scale_c = s.noise_hu * (vc / s.reference_var).powf(0.5 * (1.0 - s.tcm)) / vc.sqrt();
    let (s1, s2, beta) = s.noise_filter;
    let white: Vec<f32> = (0..nx * ny)
        .map(|_| {
            let z: f64 = StandardNormal.sample(r);
            z as f32
        })
        .collect();
    let n1 = blur(&white, nx, ny, s1 / px);
    let n2 = blur(&white, nx, ny, s2 / px);
    let norm = noise_norm(s1 / px, s2 / px, beta);
    for y in 0..ny {
        for x in 0..nx {
            let i = y * nx + x;
            let n = (n1[i] - beta as f32 * n2[i]) / norm as f32;
            out[i] += (scale_c * var_at(x, y).sqrt()) as f32 * n;
        }
    }
    streaks(&mut out, nx, ny, &att, s, scale_c, r);
    *img = out;
}

/// Standard deviation of `G(s1) * n - beta G(s2) * n` for unit white noise.
fn noise_norm(s1: f64, s2: f64, beta: f64) -> f64 {
    let k1 = kernel(s1);
    let k2 = kernel(s2);
    let r1 = (k1.len() / 2) as isize;
    let r2 = (k2.len() / 2) as isize;
    let r = r1.max(r2);
    let g = |k: &[f32], rk: isize, i: isize| -> f64 {
        if i.abs() > rk {
            0.0
        } else {
            k[(i + rk) as usize] as f64
        }
    };
    let mut s = 0.0;
    for j in -r..=r {
        for i in -r..=r {
            let v = g(&k1, r1, i) * g(&k1, r1, j) - beta * g(&k2, r2, i) * g(&k2, r2, j);
            s += v * v;
        }
    }
    s.sqrt().max(1e-9)
}

/// Dark bands along rows and columns that cross two separate dense bones,
/// between the outermost bone pixels.
fn beam_hardening(
    out: &mut [f32],
    img: &[f32],
    nx: usize,
    ny: usize,
    bone: &Rays,
    s: &ScannerModel,
) {
    let k = s.beam_hardening as f32;
    let thresh = 500.0f32;
    let mut band = vec![0.0f32; nx * ny];
    let mut any = false;
    for y in 0..ny {
        let b = bone.rows[y] as f32;
        if b < 4.0 {
            continue;
        }
        let row = &img[y * nx..(y + 1) * nx];
        let first = row.iter().position(|&v| v > thresh);
        let last = row.iter().rposition(|&v| v > thresh);
        if let (Some(a), Some(z)) = (first, last)
            && (z - a) as f64 * s.px > 40.0
        {
            for x in a..z {
                if row[x] < thresh {
                    band[y * nx + x] -= k * b * b;
                    any = true;
                }
            }
        }
    }
    for x in 0..nx {
        let b = bone.cols[x] as f32;
        if b < 4.0 {
            continue;
        }
        let col = |y: usize| img[y * nx + x];
        let first = (0..ny).find(|&y| col(y) > thresh);
        let last = (0..ny).rev().find(|&y| col(y) > thresh);
        if let (Some(a), Some(z)) = (first, last)
            && (z - a) as f64 * s.px > 40.0
        {
            for y in a..z {
                if col(y) < thresh {
                    band[y * nx + x] -= 0.6 * k * b * b;
                    any = true;
                }
            }
        }
    }
    if !any {
        return;
    }
    let soft = blur(&band, nx, ny, 1.5 / s.px);
    for (o, b) in out.iter_mut().zip(&soft) {
        *o += b.max(-120.0);
    }
}

/// Photon-starvation streaks: for rays near the most attenuating direction
/// (lateral through shoulders and arms), high-pass 1D noise across the ray
/// positions is smeared along the rays, weighted by how starved they are.
fn streaks(
    out: &mut [f32],
    nx: usize,
    ny: usize,
    att: &Rays,
    s: &ScannerModel,
    scale_c: f64,
    r: &mut PhantomRng,
) {
    let max_row = att.rows.iter().cloned().fold(0.0, f64::max);
    let max_col = att.cols.iter().cloned().fold(0.0, f64::max);
    let threshold = 250.0;
    let (lmax, horizontal) = if max_row >= max_col {
        (max_row, true)
    } else {
        (max_col, false)
    };
    if lmax < threshold {
        return;
    }
    let n = if horizontal { ny } else { nx };
    let profile = if horizontal { &att.rows } else { &att.cols };
    let angles = 9;
    for a in 0..angles {
        let slope = (a as f64 - (angles - 1) as f64 / 2.0) * 0.035;
        let mut noise: Vec<f64> = (0..n + 2)
            .map(|_| {
                let z: f64 = StandardNormal.sample(r);
                z
            })
            .collect();
        // High-pass (ramp-like) across neighbouring rays.
        for i in (1..n + 1).rev() {
            noise[i] -= 0.5 * (noise[i - 1] + noise[i + 1]);
        }
        let gain = s.streaks * scale_c / (angles as f64).sqrt();
        let weight: Vec<f64> = (0..n)
            .map(|i| {
                let l = profile[i];
                if l < threshold {
                    0.0
                } else {
                    ((s.mu * 1.4 * (l - threshold)).exp() - 1.0).min(12.0)
                }
            })
            .collect();
        if weight.iter().all(|&w| w == 0.0) {
            continue;
        }
        // Draw each starved ray across the image (nearest pixel along the
        // ray, split between the two pixels it passes between).
        let (along, across) = if horizontal { (nx, ny) } else { (ny, nx) };
        let c0 = along as f64 / 2.0;
        for (k, &wk) in weight.iter().enumerate() {
            if wk == 0.0 {
                continue;
            }
            let amp = gain * wk * noise[k + 1];
            for t in 0..along {
                let pos = k as f64 + slope * (t as f64 - c0);
                if pos < 0.0 || pos >= (across - 1) as f64 {
                    continue;
                }
                let j = pos as usize;
                let f = pos - j as f64;
                let (i0, i1) = if horizontal {
                    (j * nx + t, (j + 1) * nx + t)
                } else {
                    (t * nx + j, t * nx + j + 1)
                };
                out[i0] += (amp * (1.0 - f)) as f32;
                out[i1] += (amp * f) as f32;
            }
        }
    }
}
