//! Small geometry kit of the phantom: 3-vectors, boxes, smooth profiles
//! along an axis, smooth minimum/maximum, segment distances, and the
//! pixel-footprint coverage used for anti-aliasing. All in the patient
//! frame (millimetres, see [`crate::frame`]).

/// A point or vector in the patient frame, mm.
pub type V3 = [f64; 3];

/// `a + b`.
#[inline]
pub fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// `a - b`.
#[inline]
pub fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// `s * a`.
#[inline]
pub fn scale(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

/// `a + s * b`.
#[inline]
pub fn add_scaled(a: V3, b: V3, s: f64) -> V3 {
    [a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]]
}

/// Dot product.
#[inline]
pub fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Cross product.
#[inline]
pub fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Euclidean length.
#[inline]
pub fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

/// Distance between two points.
#[inline]
pub fn dist(a: V3, b: V3) -> f64 {
    norm(sub(a, b))
}

/// Numerical gradient of `f` at `p` (central differences 0.5 mm either
/// side), per mm.
pub fn gradient(f: impl Fn(V3) -> f64, p: V3) -> V3 {
    let e = 0.5;
    let d = |k: usize| {
        let (mut a, mut b) = (p, p);
        a[k] += e;
        b[k] -= e;
        (f(a) - f(b)) / (2.0 * e)
    };
    [d(0), d(1), d(2)]
}

/// Unit vector along the numerical [`gradient`] of `f` at `p`.
pub fn unit_gradient(f: impl Fn(V3) -> f64, p: V3) -> V3 {
    normalize(gradient(f, p))
}

/// Unit vector along `a` (the x axis for a zero vector).
#[inline]
pub fn normalize(a: V3) -> V3 {
    let n = norm(a);
    if n > 1e-12 {
        scale(a, 1.0 / n)
    } else {
        [1.0, 0.0, 0.0]
    }
}

/// Linear interpolation `a + t (b - a)`.
#[inline]
pub fn lerp3(a: V3, b: V3, t: f64) -> V3 {
    [
        a[0] + t * (b[0] - a[0]),
        a[1] + t * (b[1] - a[1]),
        a[2] + t * (b[2] - a[2]),
    ]
}

/// Linear interpolation of scalars.
#[inline]
pub fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + t * (b - a)
}

/// Hermite smoothstep of `x` between `e0` and `e1` (0 below, 1 above).
#[inline]
pub fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Any unit vector perpendicular to `a` (a unit vector).
pub fn perpendicular(a: V3) -> V3 {
    let helper = if a[2].abs() < 0.9 {
        [0.0, 0.0, 1.0]
    } else {
        [1.0, 0.0, 0.0]
    };
    normalize(cross(a, helper))
}

/// Rotates `v` about the unit axis `k` by `angle` radians (Rodrigues).
pub fn rotate(v: V3, k: V3, angle: f64) -> V3 {
    let (s, c) = angle.sin_cos();
    let kxv = cross(k, v);
    let kdv = dot(k, v);
    [
        v[0] * c + kxv[0] * s + k[0] * kdv * (1.0 - c),
        v[1] * c + kxv[1] * s + k[1] * kdv * (1.0 - c),
        v[2] * c + kxv[2] * s + k[2] * kdv * (1.0 - c),
    ]
}

/// Polynomial smooth minimum of two distances with blend width `k` mm.
#[inline]
pub fn smin(a: f64, b: f64, k: f64) -> f64 {
    if k <= 0.0 {
        return a.min(b);
    }
    let h = (0.5 + 0.5 * (b - a) / k).clamp(0.0, 1.0);
    lerp(b, a, h) - k * h * (1.0 - h)
}

/// Polynomial smooth maximum (intersection) with blend width `k` mm.
#[inline]
pub fn smax(a: f64, b: f64, k: f64) -> f64 {
    -smin(-a, -b, k)
}

/// Closest point parameter `t` in [0, 1] on segment `a`-`b` to `p`, and the
/// distance.
#[inline]
pub fn segment_closest(p: V3, a: V3, b: V3) -> (f64, f64) {
    let ab = sub(b, a);
    let ap = sub(p, a);
    let l2 = dot(ab, ab);
    let t = if l2 > 1e-12 {
        (dot(ap, ab) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let q = add_scaled(a, ab, t);
    (t, dist(p, q))
}

/// Fraction of a box footprint of full width `width`, centred at distance
/// `rho` from the centre of a layer `|x| < half` (a tube of radius `half`
/// seen across its axis, or a sheet), that lies inside the layer: the
/// exact 1D overlap. Near the outer surface of a thick layer this equals
/// the edge coverage `clamp(0.5 - (rho - half) / width)`; for a thin one
/// it conserves the layer's area (`2 half / width` at most).
#[inline]
pub fn band_coverage(rho: f64, half: f64, width: f64) -> f64 {
    let lo = (rho - 0.5 * width).max(-half);
    let hi = (rho + 0.5 * width).min(half);
    ((hi - lo) / width).clamp(0.0, 1.0)
}

/// Coverage of a pixel of width `width` whose centre lies at signed
/// distance `d` (negative inside) from a large smooth surface.
#[inline]
pub fn edge_coverage(d: f64, width: f64) -> f64 {
    (0.5 - d / width).clamp(0.0, 1.0)
}

/// Distance from `p` to the box `[lo, hi]` (0 inside).
#[inline]
pub fn box_distance(lo: V3, hi: V3, p: V3) -> f64 {
    let e = |k: usize| (lo[k] - p[k]).max(p[k] - hi[k]).max(0.0);
    let (a, b, c) = (e(0), e(1), e(2));
    (a * a + b * b + c * c).sqrt()
}

/// Axis-aligned box in the patient frame.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Aabb {
    /// Lower corner.
    pub min: V3,
    /// Upper corner.
    pub max: V3,
}

impl Aabb {
    /// The empty box (min > max).
    pub const EMPTY: Aabb = Aabb {
        min: [f64::INFINITY; 3],
        max: [f64::NEG_INFINITY; 3],
    };

    /// Box around a centre with half-sizes.
    pub fn around(c: V3, half: V3) -> Aabb {
        Aabb {
            min: sub(c, half),
            max: add(c, half),
        }
    }

    /// Grows the box to include `p`.
    pub fn include(&mut self, p: V3) {
        for ((lo, hi), x) in self.min.iter_mut().zip(self.max.iter_mut()).zip(p) {
            *lo = lo.min(x);
            *hi = hi.max(x);
        }
    }

    /// Union of two boxes.
    pub fn union(&self, o: &Aabb) -> Aabb {
        let mut b = *self;
        b.include(o.min);
        b.include(o.max);
        b
    }

    /// The box grown by `m` mm on every side.
    pub fn expand(&self, m: f64) -> Aabb {
        Aabb {
            min: sub(self.min, [m; 3]),
            max: add(self.max, [m; 3]),
        }
    }

    /// True when the plane `w` (patient z) crosses the box.
    #[inline]
    pub fn spans_w(&self, w: f64) -> bool {
        w >= self.min[2] && w <= self.max[2]
    }

    /// True when `p` is inside.
    pub fn contains(&self, p: V3) -> bool {
        (0..3).all(|k| p[k] >= self.min[k] && p[k] <= self.max[k])
    }

    /// True when the box holds no point.
    pub fn is_empty(&self) -> bool {
        (0..3).any(|k| self.min[k] > self.max[k])
    }

    /// Centre.
    pub fn centre(&self) -> V3 {
        lerp3(self.min, self.max, 0.5)
    }
}

/// A scalar function of one variable given by knots, interpolated with a
/// monotone-safe Catmull-Rom spline (clamped at the ends).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// `(x, value)` knots with increasing x.
    pub knots: Vec<(f64, f64)>,
}

impl Profile {
    /// A profile through the knots (sorted by x).
    pub fn new(mut knots: Vec<(f64, f64)>) -> Profile {
        knots.sort_by(|a, b| a.0.total_cmp(&b.0));
        Profile { knots }
    }

    /// A constant.
    pub fn constant(v: f64) -> Profile {
        Profile {
            knots: vec![(0.0, v)],
        }
    }

    /// The value at `x` (the end values beyond the knots).
    pub fn at(&self, x: f64) -> f64 {
        let k = &self.knots;
        match k.len() {
            0 => 0.0,
            1 => k[0].1,
            n => {
                if x <= k[0].0 {
                    return k[0].1;
                }
                if x >= k[n - 1].0 {
                    return k[n - 1].1;
                }
                let i = k.partition_point(|q| q.0 <= x).saturating_sub(1).min(n - 2);
                let (x1, y1) = k[i];
                let (x2, y2) = k[i + 1];
                let t = (x - x1) / (x2 - x1);
                let m1 = if i > 0 {
                    (y2 - k[i - 1].1) / (x2 - k[i - 1].0) * (x2 - x1)
                } else {
                    y2 - y1
                };
                let m2 = if i + 2 < n {
                    (k[i + 2].1 - y1) / (k[i + 2].0 - x1) * (x2 - x1)
                } else {
                    y2 - y1
                };
                let t2 = t * t;
                let t3 = t2 * t;
                (2.0 * t3 - 3.0 * t2 + 1.0) * y1
                    + (t3 - 2.0 * t2 + t) * m1
                    + (-2.0 * t3 + 3.0 * t2) * y2
                    + (t3 - t2) * m2
            }
        }
    }

    /// The same profile with every value multiplied by `s`.
    pub fn scaled(&self, s: f64) -> Profile {
        Profile {
            knots: self.knots.iter().map(|&(x, y)| (x, y * s)).collect(),
        }
    }
}

/// Samples a polyline at arc-length steps of about `step` mm (keeps the
/// end points).
pub fn resample_polyline(points: &[V3], step: f64) -> Vec<V3> {
    if points.len() < 2 {
        return points.to_vec();
    }
    let mut out = vec![points[0]];
    for w in points.windows(2) {
        let l = dist(w[0], w[1]);
        let n = (l / step).ceil().max(1.0) as usize;
        for i in 1..=n {
            out.push(lerp3(w[0], w[1], i as f64 / n as f64));
        }
    }
    out
}

/// A smooth curve through control points (centripetal-free uniform
/// Catmull-Rom), sampled with `per_span` points per span.
pub fn catmull_rom(ctrl: &[V3], per_span: usize) -> Vec<V3> {
    let n = ctrl.len();
    if n < 3 {
        return ctrl.to_vec();
    }
    let get = |i: isize| -> V3 {
        if i < 0 {
            add(ctrl[0], sub(ctrl[0], ctrl[1]))
        } else if i as usize >= n {
            add(ctrl[n - 1], sub(ctrl[n - 1], ctrl[n - 2]))
        } else {
            ctrl[i as usize]
        }
    };
    let mut out = Vec::with_capacity((n - 1) * per_span + 1);
    for i in 0..n - 1 {
        let (p0, p1, p2, p3) = (
            get(i as isize - 1),
            get(i as isize),
            get(i as isize + 1),
            get(i as isize + 2),
        );
        for s in 0..per_span {
            let t = s as f64 / per_span as f64;
            let t2 = t * t;
            let t3 = t2 * t;
            let mut q = [0.0; 3];
            for k in 0..3 {
                q[k] = 0.5
                    * (2.0 * p1[k]
                        + (-p0[k] + p2[k]) * t
                        + (2.0 * p0[k] - 5.0 * p1[k] + 4.0 * p2[k] - p3[k]) * t2
                        + (-p0[k] + 3.0 * p1[k] - 3.0 * p2[k] + p3[k]) * t3);
            }
            out.push(q);
        }
    }
    out.push(ctrl[n - 1]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_interpolates_knots() {
        let p = Profile::new(vec![(0.0, 1.0), (10.0, 3.0), (20.0, 2.0)]);
        assert!((p.at(0.0) - 1.0).abs() < 1e-12);
        assert!((p.at(10.0) - 3.0).abs() < 1e-12);
        assert!((p.at(25.0) - 2.0).abs() < 1e-12);
        assert!(p.at(5.0) > 1.0 && p.at(5.0) < 3.2);
    }

    #[test]
    fn coverage_is_a_box_overlap() {
        assert!((band_coverage(0.0, f64::INFINITY, 1.0) - 1.0).abs() < 1e-12);
        assert!((band_coverage(2.0, 2.0, 1.0) - 0.5).abs() < 1e-12);
        assert!((band_coverage(0.0, 0.1, 1.0) - 0.2).abs() < 1e-12);
        assert!((band_coverage(0.0, 0.25, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(band_coverage(2.0, 0.25, 1.0), 0.0);
        assert!((edge_coverage(-0.25, 1.0) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn smooth_min_is_below_both() {
        assert!(smin(1.0, 1.0, 0.5) < 1.0);
        assert_eq!(smin(0.0, 5.0, 0.5), 0.0);
        assert!((smax(1.0, 3.0, 0.1) - 3.0).abs() < 1e-12);
    }
}
