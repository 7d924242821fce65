//! Space-filling branching trees for the pulmonary arteries, veins and
//! bronchi, after Kitaoka, Takaki & Suki (J Appl Physiol 1999): each
//! branch supplies a territory (a cloud of points sampled in its lobe);
//! the territory is split in two across its longest extent, each child
//! heads for the centroid of its half, and radii follow the flow they
//! carry (Murray's law, r ~ flow^(1/2.8)). Branches stop when their
//! territory is small, so terminal vessels reach ~1 mm near the pleura.
//!
//! A [`Tree`] keeps its segments with a height index, so one plane only
//! looks at the few dozen segments that cross it; [`Tree::splat`] writes
//! their anti-aliased coverage (max over segments, so joints do not double
//! up) into a scratch buffer of the canvas.

use serde::{Deserialize, Serialize};

use crate::geom::{V3, add_scaled, band_coverage, dist, dot, lerp3, norm, normalize, sub};
use crate::labels::Label;
use crate::render::canvas::Canvas;

/// One straight branch segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// Start (towards the hilum).
    pub a: V3,
    /// End (towards the periphery).
    pub b: V3,
    /// Radius at the start, mm.
    pub ra: f64,
    /// Radius at the end, mm.
    pub rb: f64,
    /// Index of the parent branch, if any.
    pub parent: Option<u32>,
    /// Generation below the tree root (root = 0).
    pub generation: u16,
    /// Lobe it supplies.
    pub lobe: Label,
    /// Number of territory points it supplies (relative flow).
    pub territory: u32,
}

/// Growth settings.
#[derive(Debug, Clone, Copy)]
pub struct GrowParams {
    /// Radius of the root branch, mm.
    pub root_radius: f64,
    /// Territory size (points) below which a branch is terminal.
    pub min_points: usize,
    /// Fraction of the way to the child territory centroid a branch goes.
    pub reach: f64,
    /// Shortest branch, mm.
    pub min_length: f64,
    /// Longest branch, mm.
    pub max_length: f64,
    /// Murray exponent (radius ~ flow^(1/exponent)).
    pub murray: f64,
}

/// Grows a tree from a root segment `start -> end` over `points` (all in
/// lobe `lobe`). `inside` tells whether a point lies well inside the
/// lung; branches are shortened to stay inside.
pub fn grow(
    start: V3,
    end: V3,
    points: Vec<V3>,
    lobe: Label,
    g: &GrowParams,
    inside: &dyn Fn(V3) -> bool,
) -> Vec<Branch> {
    let total = points.len().max(1);
    let mut out = vec![Branch {
        a: start,
        b: end,
        ra: g.root_radius,
        rb: g.root_radius * 0.97,
        parent: None,
        generation: 0,
        lobe,
        territory: total as u32,
    }];
    let mut stack: Vec<(usize, Vec<V3>)> = vec![(0, points)];
    while let Some((parent, pts)) = stack.pop() {
        let pb = out[parent];
        let e = pb.b;
        if pts.len() < g.min_points || pb.rb < 0.35 {
            // Terminal: reach into the middle of the territory.
            if !pts.is_empty() {
                let c = centroid(&pts);
                let l = dist(e, c);
                if l > 1.0 {
                    let tip = shorten_inside(e, c, inside);
                    out.push(Branch {
                        a: e,
                        b: tip,
                        ra: pb.rb,
                        rb: pb.rb * 0.85,
                        parent: Some(parent as u32),
                        generation: pb.generation + 1,
                        lobe,
                        territory: pts.len() as u32,
                    });
                }
            }
            continue;
        }
        let c = centroid(&pts);
        let dir = normalize(sub(c, e));
        let axis = principal_axis(&pts, c, dir);
        let (left, right): (Vec<V3>, Vec<V3>) =
            pts.into_iter().partition(|&q| dot(sub(q, c), axis) < 0.0);
        let n = (left.len() + right.len()) as f64;
        for part in [left, right] {
            if part.is_empty() {
                continue;
            }
            let cc = centroid(&part);
            let to = sub(cc, e);
            let l = norm(to);
            let len = (g.reach * l)
                .clamp(g.min_length, g.max_length)
                .min(l.max(g.min_length));
            let target = add_scaled(e, normalize(to), len);
            let tip = shorten_inside(e, target, inside);
            let flow = part.len() as f64 / n;
            let r = pb.rb * flow.powf(1.0 / g.murray);
            out.push(Branch {
                a: e,
                b: tip,
                ra: r,
                rb: r * 0.96,
                parent: Some(parent as u32),
                generation: pb.generation + 1,
                lobe,
                territory: part.len() as u32,
            });
            let idx = out.len() - 1;
            stack.push((idx, part));
        }
    }
    out
}

/// Moves `to` back towards `from` until `inside` holds (at most halfway
/// steps); returns `from` plus a tiny step when nothing inside is found.
fn shorten_inside(from: V3, to: V3, inside: &dyn Fn(V3) -> bool) -> V3 {
    let mut t = 1.0;
    for _ in 0..5 {
        let q = lerp3(from, to, t);
        if inside(q) {
            return q;
        }
        t *= 0.6;
    }
    lerp3(from, to, 0.05)
}

fn centroid(pts: &[V3]) -> V3 {
    let mut c = [0.0; 3];
    for p in pts {
        for k in 0..3 {
            c[k] += p[k];
        }
    }
    let n = pts.len().max(1) as f64;
    [c[0] / n, c[1] / n, c[2] / n]
}

/// Direction of largest spread of `pts` about `c`, perpendicular to `dir`
/// (power iteration on the covariance).
fn principal_axis(pts: &[V3], c: V3, dir: V3) -> V3 {
    let mut m = [[0.0f64; 3]; 3];
    for p in pts {
        let q = sub(*p, c);
        let q = sub(q, crate::geom::scale(dir, dot(q, dir)));
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += q[i] * q[j];
            }
        }
    }
    let mut v = crate::geom::perpendicular(dir);
    for _ in 0..12 {
        let w = [dot(m[0], v), dot(m[1], v), dot(m[2], v)];
        let n = norm(w);
        if n < 1e-12 {
            break;
        }
        v = crate::geom::scale(w, 1.0 / n);
    }
    v
}

/// Height bucket size of the index, mm.
const BUCKET: f64 = 4.0;

/// A set of segments with a height index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// The segments.
    pub branches: Vec<Branch>,
    /// `w` of bucket 0.
    w0: f64,
    /// Segment indices per height bucket.
    buckets: Vec<Vec<u32>>,
}

impl Tree {
    /// Indexes `branches`.
    pub fn new(branches: Vec<Branch>) -> Tree {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for b in &branches {
            lo = lo.min(b.a[2].min(b.b[2]) - b.ra - 2.0);
            hi = hi.max(b.a[2].max(b.b[2]) + b.ra + 2.0);
        }
        if branches.is_empty() {
            return Tree {
                branches,
                w0: 0.0,
                buckets: Vec::new(),
            };
        }
        let nb = ((hi - lo) / BUCKET).ceil() as usize + 1;
        let mut buckets = vec![Vec::new(); nb];
        for (i, b) in branches.iter().enumerate() {
            let z0 = b.a[2].min(b.b[2]) - b.ra.max(b.rb) - 2.0;
            let z1 = b.a[2].max(b.b[2]) + b.ra.max(b.rb) + 2.0;
            let k0 = ((z0 - lo) / BUCKET).floor().max(0.0) as usize;
            let k1 = (((z1 - lo) / BUCKET).floor() as usize).min(nb - 1);
            for bucket in buckets.iter_mut().take(k1 + 1).skip(k0) {
                bucket.push(i as u32);
            }
        }
        Tree {
            branches,
            w0: lo,
            buckets,
        }
    }

    /// Segments that may cross the plane `w`.
    pub fn near(&self, w: f64) -> &[u32] {
        if self.buckets.is_empty() {
            return &[];
        }
        let k = ((w - self.w0) / BUCKET).floor();
        if k < 0.0 || k as usize >= self.buckets.len() {
            return &[];
        }
        &self.buckets[k as usize]
    }

    /// Writes the coverage of every segment crossing the plane of `c`
    /// into `c.scratch[slot]` (max over segments; `2 + coverage` where the
    /// pixel centre is inside). `radius(branch)` gives the drawn (start,
    /// end) radii, or `None` to skip the branch. Returns the touched
    /// pixel bounds `[x0, x1, y0, y1]` (empty when x0 >= x1).
    pub fn splat(
        &self,
        c: &mut Canvas,
        slot: usize,
        radius: &dyn Fn(&Branch) -> Option<(f64, f64)>,
    ) -> [usize; 4] {
        let w = c.w;
        let px = c.grid.px;
        let h = c.h;
        let mut bounds = [usize::MAX, 0, usize::MAX, 0];
        let grid = c.grid;
        let buf = &mut c.scratch[slot];
        for &i in self.near(w) {
            let br = &self.branches[i as usize];
            let Some((ra, rb)) = radius(br) else { continue };
            let rmax = ra.max(rb);
            let reach = rmax + px + h;
            let (za, zb) = (br.a[2], br.b[2]);
            if w < za.min(zb) - reach || w > za.max(zb) + reach {
                continue;
            }
            // Part of the segment within `reach` of the plane.
            let dz = zb - za;
            let (t0, t1) = if dz.abs() < 1e-9 {
                (0.0, 1.0)
            } else {
                let ta = ((w - reach - za) / dz).clamp(0.0, 1.0);
                let tb = ((w + reach - za) / dz).clamp(0.0, 1.0);
                (ta.min(tb), ta.max(tb))
            };
            let pa = lerp3(br.a, br.b, t0);
            let pb = lerp3(br.a, br.b, t1);
            let Some(rect) = grid.rect(
                pa[0].min(pb[0]) - reach,
                pa[0].max(pb[0]) + reach,
                pa[1].min(pb[1]) - reach,
                pa[1].max(pb[1]) + reach,
            ) else {
                continue;
            };
            bounds[0] = bounds[0].min(rect.x0);
            bounds[1] = bounds[1].max(rect.x1);
            bounds[2] = bounds[2].min(rect.y0);
            bounds[3] = bounds[3].max(rect.y1);
            let ab = sub(br.b, br.a);
            let l2 = dot(ab, ab).max(1e-12);
            for y in rect.y0..rect.y1 {
                let row = y * grid.nx;
                for x in rect.x0..rect.x1 {
                    let k = row + x;
                    let p = [grid.u[k] as f64, grid.v[k] as f64, w];
                    let ap = sub(p, br.a);
                    let t = (dot(ap, ab) / l2).clamp(0.0, 1.0);
                    let q = sub(ap, crate::geom::scale(ab, t));
                    let d = norm(q);
                    let r = ra + t * (rb - ra);
                    if d > r + px + h {
                        continue;
                    }
                    let (nu, nv, nw) = if d > 1e-6 {
                        (q[0] / d, q[1] / d, q[2] / d)
                    } else {
                        (0.7, 0.7, 0.0)
                    };
                    let fp = px * (nu.abs() + nv.abs()).max(0.7) + h * nw.abs();
                    let a = band_coverage(d, r, fp) as f32;
                    let val = if d < r { 2.0 + a } else { a };
                    if val > buf[k] {
                        buf[k] = val;
                    }
                }
            }
        }
        bounds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_fills_its_territory_and_tapers() {
        let mut pts = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                for k in 0..10 {
                    pts.push([i as f64 * 5.0, j as f64 * 5.0, k as f64 * 5.0 + 10.0]);
                }
            }
        }
        let g = GrowParams {
            root_radius: 5.0,
            min_points: 6,
            reach: 0.45,
            min_length: 2.0,
            max_length: 40.0,
            murray: 2.8,
        };
        let b = grow([50.0, 50.0, -20.0], [50.0, 50.0, 0.0], pts, 10, &g, &|_| {
            true
        });
        assert!(b.len() > 300, "{} branches", b.len());
        let smallest = b.iter().map(|x| x.rb).fold(f64::INFINITY, f64::min);
        assert!(
            smallest < 1.0 && smallest > 0.2,
            "smallest radius {smallest}"
        );
        // Children are never wider than their parent.
        for x in &b {
            if let Some(p) = x.parent {
                assert!(x.ra <= b[p as usize].rb + 1e-9);
            }
        }
        let t = Tree::new(b);
        assert!(!t.near(25.0).is_empty());
        assert!(t.near(500.0).is_empty());
    }
}
