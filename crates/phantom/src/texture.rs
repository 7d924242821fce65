//! Tissue texture and smooth random deformation: a periodic 3D lattice of
//! Gaussian values, read with smoothed trilinear interpolation at any
//! scale. Sampling it at a few incommensurate scales gives lung parenchyma
//! its mottled look, fat and muscle their fine strands, trabecular bone
//! its coarse pattern, and shapes their gentle irregularity. Cheap (one
//! lattice, no allocation per sample) and seeded.

use rand_distr::{Distribution, StandardNormal};

use crate::geom::V3;
use crate::rng;

/// Lattice side (a power of two).
const SIDE: usize = 64;
const MASK: usize = SIDE - 1;

/// Side of the 2D lattice (a power of two).
const SIDE2: usize = 256;
const MASK2: usize = SIDE2 - 1;

/// A seeded periodic random field with unit standard deviation.
#[derive(Debug, Clone)]
pub struct Texture {
    data: Vec<f32>,
    flat: Vec<f32>,
}

impl Texture {
    /// The field of phantom `seed` (and `name`, for independent fields).
    pub fn new(seed: u64, name: &str) -> Texture {
        let mut r = rng::stream(seed, name);
        let mut data: Vec<f32> = (0..SIDE * SIDE * SIDE)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut r);
                z as f32
            })
            .collect();
        let mut flat: Vec<f32> = (0..SIDE2 * SIDE2)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut r);
                z as f32
            })
            .collect();
        // Normalise the interpolated fields to unit standard deviation,
        // measured on a fixed set of off-lattice points.
        let t = Texture {
            data: data.clone(),
            flat: flat.clone(),
        };
        let mut s2 = 0.0f64;
        let n = 4000;
        for k in 0..n {
            let f = k as f64;
            let p = [f * 0.731, f * 0.377 + 3.1, f * 0.219 + 7.7];
            let x = t.at(p, 1.0) as f64;
            s2 += x * x;
        }
        let sd = (s2 / n as f64).sqrt().max(1e-6);
        for x in data.iter_mut() {
            *x /= sd as f32;
        }
        let mut s2 = 0.0f64;
        for k in 0..n {
            let f = k as f64;
            let x = t.at2([f * 0.731, f * 0.377 + 3.1, f * 0.219 + 7.7], 1.0) as f64;
            s2 += x * x;
        }
        let sd2 = (s2 / n as f64).sqrt().max(1e-6);
        for x in flat.iter_mut() {
            *x /= sd2 as f32;
        }
        Texture { data, flat }
    }

    /// A cheaper pseudo-3D field: a 2D lattice read at `(u, v)` shifted
    /// along `w`, so it still changes continuously from plane to plane.
    #[inline]
    pub fn at2(&self, p: V3, scale: f64) -> f32 {
        let inv = 1.0 / scale;
        let fx = (p[0] + 0.43 * p[2]) * inv + 1000.0 * SIDE2 as f64;
        let fy = (p[1] - 0.61 * p[2]) * inv + 1000.0 * SIDE2 as f64;
        let (ix, iy) = ((fx.max(0.0) as u64) as f64, (fy.max(0.0) as u64) as f64);
        let s = |t: f64| (t * t * (3.0 - 2.0 * t)) as f32;
        let (tx, ty) = (s(fx - ix), s(fy - iy));
        let (x0, y0) = (ix as usize & MASK2, iy as usize & MASK2);
        let (x1, y1) = ((x0 + 1) & MASK2, (y0 + 1) & MASK2);
        let g = |x: usize, y: usize| self.flat[y * SIDE2 + x];
        let c0 = g(x0, y0) + tx * (g(x1, y0) - g(x0, y0));
        let c1 = g(x0, y1) + tx * (g(x1, y1) - g(x0, y1));
        c0 + ty * (c1 - c0)
    }

    /// The field at `p` (mm) with correlation length about `scale` mm.
    #[inline]
    pub fn at(&self, p: V3, scale: f64) -> f32 {
        let inv = 1.0 / scale;
        let fx = p[0] * inv + 1000.0 * SIDE as f64;
        let fy = p[1] * inv + 1000.0 * SIDE as f64;
        let fz = p[2] * inv + 1000.0 * SIDE as f64;
        // The offsets keep coordinates positive: truncation is floor.
        let (ix, iy, iz) = ((fx as u64) as f64, (fy as u64) as f64, (fz as u64) as f64);
        let s = |t: f64| (t * t * (3.0 - 2.0 * t)) as f32;
        let (tx, ty, tz) = (s(fx - ix), s(fy - iy), s(fz - iz));
        let (x0, y0, z0) = (ix as usize & MASK, iy as usize & MASK, iz as usize & MASK);
        let (x1, y1, z1) = ((x0 + 1) & MASK, (y0 + 1) & MASK, (z0 + 1) & MASK);
        let g = |x: usize, y: usize, z: usize| self.data[(z * SIDE + y) * SIDE + x];
        let c00 = g(x0, y0, z0) + tx * (g(x1, y0, z0) - g(x0, y0, z0));
        let c10 = g(x0, y1, z0) + tx * (g(x1, y1, z0) - g(x0, y1, z0));
        let c01 = g(x0, y0, z1) + tx * (g(x1, y0, z1) - g(x0, y0, z1));
        let c11 = g(x0, y1, z1) + tx * (g(x1, y1, z1) - g(x0, y1, z1));
        let c0 = c00 + ty * (c10 - c00);
        let c1 = c01 + ty * (c11 - c01);
        c0 + tz * (c1 - c0)
    }

    /// Two octaves (`scale` and `scale / 2.7`), unit variance overall.
    #[inline]
    pub fn fbm(&self, p: V3, scale: f64) -> f32 {
        let a = self.at(p, scale);
        let b = self.at([p[2] + 17.3, p[0] - 5.1, p[1] + 9.7], scale / 2.7);
        a * 0.8 + b * 0.6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_variance_and_smooth() {
        let t = Texture::new(3, "t");
        let mut s2 = 0.0;
        let mut jump: f32 = 0.0;
        for k in 0..2000 {
            let p = [k as f64 * 1.37, k as f64 * 0.91, k as f64 * 0.53];
            let x = t.at(p, 2.0);
            s2 += (x * x) as f64;
            jump = jump.max((t.at([p[0] + 0.01, p[1], p[2]], 2.0) - x).abs());
        }
        let sd = (s2 / 2000.0).sqrt();
        assert!((0.8..1.25).contains(&sd), "sd {sd}");
        assert!(jump < 0.05);
    }
}
