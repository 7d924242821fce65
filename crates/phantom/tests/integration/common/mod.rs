//! Helpers shared by the phantom's integration tests: small phantoms,
//! masks eroded in-plane, noise estimates and percentiles measured from
//! images only.
#![allow(dead_code)]

use phantom::{Arms, KernelClass, PhantomParams};
use volume::Volume;

/// A small, quick phantom: 128 x 128 over the usual field of view, thick
/// slices, no motion.
pub fn small(seed: u64, normal: bool) -> PhantomParams {
    let mut p = PhantomParams::from_seed(seed);
    p.matrix = 128;
    p.slice_mm = 5.0;
    p.normal = normal;
    p.lesions.clear();
    p.motion = false;
    p.arms = Arms::Up;
    p.kernel = phantom::Kernel::of_class(KernelClass::Standard);
    p
}

/// `mask` eroded `n` times by the 4 in-plane neighbours.
pub fn erode_inplane(mask: &[bool], dims: [usize; 3], n: usize) -> Vec<bool> {
    let [nx, ny, nz] = dims;
    let mut m = mask.to_vec();
    for _ in 0..n {
        let prev = m.clone();
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let i = x + nx * (y + ny * z);
                    if !prev[i] {
                        continue;
                    }
                    let keep = x > 0
                        && x + 1 < nx
                        && y > 0
                        && y + 1 < ny
                        && prev[i - 1]
                        && prev[i + 1]
                        && prev[i - nx]
                        && prev[i + nx];
                    m[i] = keep;
                }
            }
        }
    }
    m
}

/// Noise standard deviation from horizontal neighbour differences inside
/// `mask` (both voxels in the mask): std(diff) / sqrt(2).
pub fn noise_sigma(ct: &Volume<i16>, mask: &[bool]) -> f64 {
    let [nx, _, _] = ct.dims();
    let d = ct.as_slice();
    let mut s = 0.0;
    let mut s2 = 0.0;
    let mut n = 0.0;
    for i in 0..d.len() - 1 {
        if (i + 1) % nx == 0 || !mask[i] || !mask[i + 1] {
            continue;
        }
        let x = d[i + 1] as f64 - d[i] as f64;
        s += x;
        s2 += x * x;
        n += 1.0;
    }
    if n < 2.0 {
        return f64::NAN;
    }
    ((s2 / n - (s / n).powi(2)).max(0.0) / 2.0).sqrt()
}

/// Mean and standard deviation of the CT inside `mask`.
pub fn mean_sd(ct: &Volume<i16>, mask: &[bool]) -> (f64, f64, usize) {
    let mut s = 0.0;
    let mut s2 = 0.0;
    let mut n = 0usize;
    for (v, m) in ct.as_slice().iter().zip(mask) {
        if *m {
            let x = *v as f64;
            s += x;
            s2 += x * x;
            n += 1;
        }
    }
    let mean = s / n.max(1) as f64;
    (
        mean,
        (s2 / n.max(1) as f64 - mean * mean).max(0.0).sqrt(),
        n,
    )
}

/// Percentile `q` (0-100) of a list (sorted in place).
pub fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let k = ((q / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[k.min(v.len() - 1)]
}

/// Median of the CT values within `[lo, hi]` HU.
pub fn band_median(ct: &Volume<i16>, lo: i16, hi: i16) -> f64 {
    let mut v: Vec<f64> = ct
        .as_slice()
        .iter()
        .filter(|&&x| x >= lo && x <= hi)
        .map(|&x| x as f64)
        .collect();
    percentile(&mut v, 50.0)
}

/// Voxels of `label` in a phantom and how many of them read `hu` or more.
pub fn label_dense(ph: &phantom::Phantom, label: u16, hu: i16) -> (usize, usize) {
    let (mut n, mut dense) = (0usize, 0usize);
    for (l, h) in ph.labels.as_slice().iter().zip(ph.ct.as_slice()) {
        if *l == label {
            n += 1;
            if *h >= hu {
                dense += 1;
            }
        }
    }
    (n, dense)
}
