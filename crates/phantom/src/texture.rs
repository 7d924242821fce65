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

    /// The lattice cell of `p` at `scale`: the fractional position in it
    /// and its eight corner values (index bit 0: x + 1, bit 1: y + 1,
    /// bit 2: z + 1).
    #[inline]
    fn cell(&self, p: V3, scale: f64) -> ([f64; 3], [f32; 8]) {
        let inv = 1.0 / scale;
        let f = p.map(|c| c * inv + 1000.0 * SIDE as f64);
        // The offsets keep coordinates positive: truncation is floor.
        let i = f.map(|c| (c as u64) as f64);
        let lo = i.map(|c| c as usize & MASK);
        let hi = lo.map(|c| (c + 1) & MASK);
        let g = |k: usize| {
            let x = if k & 1 == 0 { lo[0] } else { hi[0] };
            let y = if k & 2 == 0 { lo[1] } else { hi[1] };
            let z = if k & 4 == 0 { lo[2] } else { hi[2] };
            self.data[(z * SIDE + y) * SIDE + x]
        };
        (
            [f[0] - i[0], f[1] - i[1], f[2] - i[2]],
            [g(0), g(1), g(2), g(3), g(4), g(5), g(6), g(7)],
        )
    }

    /// The field at `p` (mm) with correlation length about `scale` mm.
    #[inline]
    pub fn at(&self, p: V3, scale: f64) -> f32 {
        let (r, g) = self.cell(p, scale);
        blend(r.map(smooth), &g).value
    }

    /// The field at `p` as [`Texture::at`], with its gradient (per mm): the
    /// derivative of the same smoothstep-trilinear interpolation, from the
    /// same eight lattice values (three finite differences would cost three
    /// more look-ups).
    #[inline]
    pub fn at_grad(&self, p: V3, scale: f64) -> (f32, [f32; 3]) {
        let (r, g) = self.cell(p, scale);
        let t = r.map(smooth);
        let [ty, tz] = [t[1], t[2]];
        let Blend {
            x_lerps: [c00, c10, c01, c11],
            y_lerps: [c0, c1],
            value,
        } = blend(t, &g);
        // d/dtx: the x differences interpolated in y and z.
        let e0 = (g[1] - g[0]) + ty * ((g[3] - g[2]) - (g[1] - g[0]));
        let e1 = (g[5] - g[4]) + ty * ((g[7] - g[6]) - (g[5] - g[4]));
        let d_tx = e0 + tz * (e1 - e0);
        let d_ty = (c10 - c00) + tz * ((c11 - c01) - (c10 - c00));
        let d_tz = c1 - c0;
        let inv = 1.0 / scale;
        let ds = |t: f64| (6.0 * t * (1.0 - t) * inv) as f32;
        (value, [d_tx * ds(r[0]), d_ty * ds(r[1]), d_tz * ds(r[2])])
    }

    /// Two octaves (`scale` and `scale / 2.7`), unit variance overall.
    #[inline]
    pub fn fbm(&self, p: V3, scale: f64) -> f32 {
        let a = self.at(p, scale);
        let b = self.at([p[2] + 17.3, p[0] - 5.1, p[1] + 9.7], scale / 2.7);
        a * 0.8 + b * 0.6
    }
}

/// The stages of a trilinear blend of a cell's corners.
struct Blend {
    /// Along x, at (y0, z0), (y1, z0), (y0, z1), (y1, z1).
    x_lerps: [f32; 4],
    /// Then along y, at z0 and z1.
    y_lerps: [f32; 2],
    /// Then along z.
    value: f32,
}

/// Blends the corners `g` (as [`Texture::cell`] orders them) with weights `t`.
#[inline]
fn blend(t: [f32; 3], g: &[f32; 8]) -> Blend {
    let [tx, ty, tz] = t;
    let x = [
        g[0] + tx * (g[1] - g[0]),
        g[2] + tx * (g[3] - g[2]),
        g[4] + tx * (g[5] - g[4]),
        g[6] + tx * (g[7] - g[6]),
    ];
    let y = [x[0] + ty * (x[1] - x[0]), x[2] + ty * (x[3] - x[2])];
    Blend {
        x_lerps: x,
        y_lerps: y,
        value: y[0] + tz * (y[1] - y[0]),
    }
}

/// The smoothstep weight of a fractional lattice position.
#[inline]
fn smooth(t: f64) -> f32 {
    (t * t * (3.0 - 2.0 * t)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let t = Texture::new(5, "g");
        let e = 1e-4;
        for k in 0..200 {
            let p = [
                k as f64 * 1.37 - 90.0,
                k as f64 * 0.91 - 40.0,
                k as f64 * 0.53,
            ];
            let (v, g) = t.at_grad(p, 3.0);
            assert_eq!(v, t.at(p, 3.0));
            for (axis, gk) in g.iter().enumerate() {
                let mut q = p;
                q[axis] += e;
                let mut r = p;
                r[axis] -= e;
                let fd = (t.at(q, 3.0) as f64 - t.at(r, 3.0) as f64) / (2.0 * e);
                assert!(
                    (fd - *gk as f64).abs() < 2e-2,
                    "axis {axis} at {p:?}: {fd} vs {gk}"
                );
            }
        }
    }

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
