//! Shape primitives of the anatomy: tubes along centrelines (circular or
//! elliptical, tapering; aorta, trachea, ribs, coronaries...) and rotated
//! ellipsoids (heart chambers, organs, nodes), each with a signed distance
//! in the patient frame and a per-plane painter that evaluates only the
//! few segments crossing the plane, inside their bounding boxes.

use serde::{Deserialize, Serialize};

use crate::geom::{
    Aabb, V3, add_scaled, band_coverage, cross, dot, lerp, lerp3, norm, normalize, sub,
};
use crate::labels::Label;
use crate::render::canvas::Canvas;

/// Block size (pixels) of the far-block culling in [`Tube::paint`].
const TUBE_BLOCK: usize = 4;

/// A node of a tube centreline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TubeNode {
    /// Centre, patient frame mm.
    pub p: V3,
    /// Semi-axis along `n` (the radius of a circular tube), mm.
    pub ra: f64,
    /// Semi-axis along `tangent x n`, mm.
    pub rb: f64,
    /// Direction of the `ra` axis (perpendicular to the centreline).
    pub n: V3,
}

/// A tube along a polyline: the union of rounded segments whose
/// cross-section interpolates between the nodes' ellipses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tube {
    /// Centreline nodes.
    pub nodes: Vec<TubeNode>,
    /// Bounding box of each segment (grown by its radius).
    seg_boxes: Vec<Aabb>,
    /// Bounding box of the whole tube.
    pub bbox: Aabb,
}

/// Slack (mm) of the box rejection in [`Tube::sdf`]: a segment whose box
/// lies farther than the best distance so far plus this cannot be the
/// nearest (the elliptical-section distance is an approximation within
/// about a millimetre of the true one).
const SDF_PRUNE_SLACK_MM: f64 = 3.0;

impl Tube {
    /// A circular tube through `points` with one radius per point.
    pub fn circular(points: &[V3], radii: &[f64]) -> Tube {
        let nodes = points
            .iter()
            .zip(radii)
            .map(|(&p, &r)| TubeNode {
                p,
                ra: r,
                rb: r,
                n: [1.0, 0.0, 0.0],
            })
            .collect();
        Tube::from_nodes(nodes)
    }

    /// A tube from its nodes (the `n` of each node is made perpendicular
    /// to the local centreline direction).
    pub fn from_nodes(mut nodes: Vec<TubeNode>) -> Tube {
        let m = nodes.len();
        for i in 0..m {
            let t = tangent_at(&nodes, i);
            let n = nodes[i].n;
            let n = sub(n, crate::geom::scale(t, dot(n, t)));
            nodes[i].n = if norm(n) > 1e-6 {
                normalize(n)
            } else {
                crate::geom::perpendicular(t)
            };
        }
        let mut seg_boxes = Vec::with_capacity(m.saturating_sub(1));
        let mut bbox = Aabb::EMPTY;
        for w in nodes.windows(2) {
            let r = w[0].ra.max(w[0].rb).max(w[1].ra).max(w[1].rb);
            let mut b = Aabb::EMPTY;
            b.include(w[0].p);
            b.include(w[1].p);
            let b = b.expand(r);
            bbox = bbox.union(&b);
            seg_boxes.push(b);
        }
        if m == 1 {
            let r = nodes[0].ra.max(nodes[0].rb);
            bbox = Aabb::around(nodes[0].p, [r; 3]);
            seg_boxes.push(bbox);
        }
        Tube {
            nodes,
            seg_boxes,
            bbox,
        }
    }

    /// Centreline points.
    pub fn points(&self) -> Vec<V3> {
        self.nodes.iter().map(|n| n.p).collect()
    }

    /// Indices of the segments within `margin` mm of the plane `w`.
    pub fn segments_near(&self, w: f64, margin: f64) -> Vec<usize> {
        self.seg_boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| w >= b.min[2] - margin && w <= b.max[2] + margin)
            .map(|(i, _)| i)
            .collect()
    }

    /// Bounding box of the segments in `segs`.
    pub fn box_of(&self, segs: &[usize]) -> Aabb {
        segs.iter()
            .fold(Aabb::EMPTY, |b, &i| b.union(&self.seg_boxes[i]))
    }

    /// Segment `i`'s end nodes, its axis vector, the axis length squared
    /// and the unclamped axis parameter of `p`'s projection.
    #[inline]
    fn project(&self, i: usize, p: V3) -> (TubeNode, TubeNode, V3, f64, f64) {
        let (a, b) = if self.nodes.len() == 1 {
            (self.nodes[0], self.nodes[0])
        } else {
            (self.nodes[i], self.nodes[i + 1])
        };
        let ab = sub(b.p, a.p);
        let l2 = dot(ab, ab);
        let t_raw = if l2 > 1e-12 {
            dot(sub(p, a.p), ab) / l2
        } else {
            0.0
        };
        (a, b, ab, l2, t_raw)
    }

    /// Distance of `p` from the axis of segment `i` (the line segment
    /// between its nodes' centres).
    #[inline]
    pub fn axis_distance(&self, i: usize, p: V3) -> f64 {
        let (a, _, ab, _, t_raw) = self.project(i, p);
        norm(sub(p, add_scaled(a.p, ab, t_raw.clamp(0.0, 1.0))))
    }

    /// Signed distance of segment `i` at `p`: (distance, unit direction
    /// from the axis to `p`, the radius-like size there).
    #[inline]
    pub fn segment_sdf(&self, i: usize, p: V3) -> (f64, V3, f64) {
        let (a, b, ab, l2, t_raw) = self.project(i, p);
        let t = t_raw.clamp(0.0, 1.0);
        let c = add_scaled(a.p, ab, t);
        let q = sub(p, c);
        let ra = lerp(a.ra, b.ra, t);
        let rb = lerp(a.rb, b.rb, t);
        let qn = norm(q);
        let rmax = ra.max(rb);
        if qn > rmax + 3.0 {
            // Far: the distance is at least this; direction is radial.
            return (qn - rmax, crate::geom::scale(q, 1.0 / qn), ra.min(rb));
        }
        let dir = if qn > 1e-9 {
            crate::geom::scale(q, 1.0 / qn)
        } else {
            [0.0, 0.0, 1.0]
        };
        if (ra - rb).abs() < 1e-6 {
            return (qn - ra, dir, ra);
        }
        // Elliptical section: local axes n, b = tangent x n.
        let tan = if l2 > 1e-12 {
            crate::geom::scale(ab, 1.0 / l2.sqrt())
        } else {
            [0.0, 0.0, 1.0]
        };
        let n = normalize(lerp3(a.n, b.n, t));
        let bn = cross(tan, n);
        let x = dot(q, n);
        let y = dot(q, bn);
        let s = dot(q, tan); // beyond an end cap when t was clamped
        let k0 = ((x / ra).powi(2) + (y / rb).powi(2)).sqrt();
        let k1 = ((x / (ra * ra)).powi(2) + (y / (rb * rb)).powi(2)).sqrt();
        let d_rad = if k1 > 1e-12 {
            k0 * (k0 - 1.0) / k1
        } else {
            -ra.min(rb)
        };
        let d = if !(0.0..=1.0).contains(&t_raw) && s.abs() > 1e-9 {
            if d_rad > 0.0 {
                (d_rad * d_rad + s * s).sqrt()
            } else {
                s.abs().max(d_rad)
            }
        } else {
            d_rad
        };
        (d, dir, ra.min(rb))
    }

    /// Signed distance of the whole tube at `p` (mm, negative inside).
    pub fn sdf(&self, p: V3) -> f64 {
        self.sdf_among(p, 0..self.seg_boxes.len())
    }

    /// Indices of the segments whose boxes meet `b`.
    pub fn segments_in(&self, b: &Aabb) -> Vec<usize> {
        self.seg_boxes
            .iter()
            .enumerate()
            .filter(|(_, s)| (0..3).all(|k| s.min[k] <= b.max[k] && s.max[k] >= b.min[k]))
            .map(|(i, _)| i)
            .collect()
    }

    /// [`Tube::sdf`] over the segments `segs` only (the caller knows the
    /// others are farther, e.g. from [`Tube::segments_in`]).
    pub fn sdf_among(&self, p: V3, segs: impl Iterator<Item = usize> + Clone) -> f64 {
        let box_d = |i: usize| {
            let b = &self.seg_boxes[i];
            crate::geom::box_distance(b.min, b.max, p)
        };
        // The segment with the nearest box first, so that the bound
        // rejects most of the others.
        let mut first = None;
        let mut first_d = f64::INFINITY;
        for i in segs.clone() {
            let d = box_d(i);
            if d < first_d || first.is_none() {
                first = Some(i);
                first_d = d;
            }
        }
        let Some(first) = first else {
            return f64::INFINITY;
        };
        let mut best = self.segment_sdf(first, p).0;
        for i in segs.filter(|&i| i != first) {
            // Cheap rejection: the box holds the segment's tube, so the
            // distance to it is a lower bound (up to the elliptical
            // section's approximation, which SDF_PRUNE_SLACK_MM covers).
            if box_d(i) > best + SDF_PRUNE_SLACK_MM {
                continue;
            }
            best = best.min(self.segment_sdf(i, p).0);
        }
        best
    }

    /// Paints the tube's cut by the plane of `c` with tissue `value(p, d)`
    /// (`d` the signed distance) and `label`. Each segment crossing the
    /// plane is evaluated only over its own footprint; coverage integrates
    /// the pixel footprint along the surface normal, including the plane's
    /// thickness, so oblique and in-plane tubes get correct partial volume,
    /// and the union of segments takes the largest coverage (joints do not
    /// double up).
    pub fn paint(&self, c: &mut Canvas, label: Label, value: impl Fn(V3, f64) -> f32) {
        self.paint_segments(c, label, 0..usize::MAX, value);
    }

    /// [`Tube::paint`] restricted to the segments whose index is in
    /// `range` (one part of a vessel, painted over a structure drawn
    /// after the rest of it).
    pub fn paint_segments(
        &self,
        c: &mut Canvas,
        label: Label,
        range: std::ops::Range<usize>,
        value: impl Fn(V3, f64) -> f32,
    ) {
        let w = c.w;
        let px = c.grid.px;
        let h = c.h;
        let reach = px + h + 1.0;
        let mut segs = self.segments_near(w, reach);
        segs.retain(|i| range.contains(i));
        if segs.is_empty() {
            return;
        }
        let grid = c.grid;
        let nx = grid.nx;
        for &i in &segs {
            let (a, b) = if self.nodes.len() == 1 {
                (self.nodes[0], self.nodes[0])
            } else {
                (self.nodes[i], self.nodes[i + 1])
            };
            let rmax = a.ra.max(a.rb).max(b.ra).max(b.rb);
            let lim = rmax + reach;
            // In-plane half-extents of the section (ellipse axes n, t x n).
            let tan = crate::geom::normalize(sub(b.p, a.p));
            let ext = |nd: &TubeNode, k: usize| {
                let bn = cross(tan, nd.n);
                nd.ra * nd.n[k].abs() + nd.rb * bn[k].abs() + 0.3 * (nd.ra + nd.rb) * tan[k].abs()
            };
            let eu = ext(&a, 0).max(ext(&b, 0)) + reach;
            let ev = ext(&a, 1).max(ext(&b, 1)) + reach;
            let dz = b.p[2] - a.p[2];
            let (t0, t1) = if dz.abs() < 1e-9 {
                (0.0, 1.0)
            } else {
                let ta = ((w - lim - a.p[2]) / dz).clamp(0.0, 1.0);
                let tb = ((w + lim - a.p[2]) / dz).clamp(0.0, 1.0);
                (ta.min(tb), ta.max(tb))
            };
            let pa = lerp3(a.p, b.p, t0);
            let pb = lerp3(a.p, b.p, t1);
            let Some(rect) = grid.rect(
                pa[0].min(pb[0]) - eu,
                pa[0].max(pb[0]) + eu,
                pa[1].min(pb[1]) - ev,
                pa[1].max(pb[1]) + ev,
            ) else {
                continue;
            };
            // The segment's box is mostly far from an oblique segment (a
            // rib crosses the plane as a long thin band): blocks of
            // TUBE_BLOCK x TUBE_BLOCK pixels whose reference pixel is farther
            // from the axis than the largest radius plus the block's extent
            // are skipped (the axis distance is 1-Lipschitz and the section
            // lies within `rmax` of the axis).
            let skip = rmax + px + h + TUBE_BLOCK as f64 * std::f64::consts::SQRT_2 * px;
            for by in (rect.y0..rect.y1).step_by(TUBE_BLOCK) {
                let ye = (by + TUBE_BLOCK).min(rect.y1);
                for bx in (rect.x0..rect.x1).step_by(TUBE_BLOCK) {
                    let xe = (bx + TUBE_BLOCK).min(rect.x1);
                    let kc = by * nx + bx;
                    if self.axis_distance(i, [grid.u[kc] as f64, grid.v[kc] as f64, w]) > skip {
                        continue;
                    }
                    for y in by..ye {
                        for x in bx..xe {
                            let k = y * nx + x;
                            let p = [grid.u[k] as f64, grid.v[k] as f64, w];
                            let (d, n, r) = self.segment_sdf(i, p);
                            if d > px + h {
                                continue;
                            }
                            let fp = px * (n[0].abs() + n[1].abs()).max(0.7) + h * n[2].abs();
                            let a = band_coverage(d + r, r, fp) as f32;
                            if a > c.tube_cov[k] {
                                c.tube_cov[k] = a;
                            }
                            if (d as f32) < c.tube_d[k] {
                                if c.tube_d[k] == f32::MAX {
                                    c.tube_touched.push(k as u32);
                                }
                                c.tube_d[k] = d as f32;
                            }
                        }
                    }
                }
            }
        }
        // Only the pixels a segment reached (a rib's box of segments spans
        // half the chest; scanning it again was most of a rib's cost).
        let mut touched = std::mem::take(&mut c.tube_touched);
        for &k in &touched {
            let k = k as usize;
            {
                let d = c.tube_d[k];
                let a = c.tube_cov[k];
                c.tube_d[k] = f32::MAX;
                c.tube_cov[k] = 0.0;
                let p = [grid.u[k] as f64, grid.v[k] as f64, w];
                if a > 0.0 {
                    let val = value(p, d as f64);
                    c.value[k] += a.min(1.0) * (val - c.value[k]);
                }
                if d < 0.0 {
                    c.label[k] = label;
                }
            }
        }
        touched.clear();
        c.tube_touched = touched;
    }
}

/// Unit direction of the centreline at node `i`.
fn tangent_at(nodes: &[TubeNode], i: usize) -> V3 {
    let m = nodes.len();
    if m < 2 {
        return [0.0, 0.0, 1.0];
    }
    let a = nodes[i.saturating_sub(1)].p;
    let b = nodes[(i + 1).min(m - 1)].p;
    normalize(sub(b, a))
}

/// A rotated ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ellipsoid {
    /// Centre.
    pub c: V3,
    /// Orthonormal axes.
    pub axes: [V3; 3],
    /// Semi-axes along `axes`, mm.
    pub r: V3,
}

impl Ellipsoid {
    /// An ellipsoid aligned with the patient axes.
    pub fn aligned(c: V3, r: V3) -> Ellipsoid {
        Ellipsoid {
            c,
            axes: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            r,
        }
    }

    /// An ellipsoid whose first axis points along `dir`, the second
    /// perpendicular to it and as close as possible to `up_hint`.
    pub fn oriented(c: V3, dir: V3, up_hint: V3, r: V3) -> Ellipsoid {
        let a0 = normalize(dir);
        let a2 = normalize(cross(a0, up_hint));
        let a1 = cross(a2, a0);
        Ellipsoid {
            c,
            axes: [a0, a1, a2],
            r,
        }
    }

    /// Local coordinates of `p`.
    #[inline]
    pub fn local(&self, p: V3) -> V3 {
        let q = sub(p, self.c);
        [
            dot(q, self.axes[0]),
            dot(q, self.axes[1]),
            dot(q, self.axes[2]),
        ]
    }

    /// Approximate signed distance (exact on the surface, good near it).
    #[inline]
    pub fn sdf(&self, p: V3) -> f64 {
        let x = self.local(p);
        let k0 =
            ((x[0] / self.r[0]).powi(2) + (x[1] / self.r[1]).powi(2) + (x[2] / self.r[2]).powi(2))
                .sqrt();
        let k1 = ((x[0] / (self.r[0] * self.r[0])).powi(2)
            + (x[1] / (self.r[1] * self.r[1])).powi(2)
            + (x[2] / (self.r[2] * self.r[2])).powi(2))
        .sqrt();
        if k1 < 1e-12 {
            return -self.r[0].min(self.r[1]).min(self.r[2]);
        }
        k0 * (k0 - 1.0) / k1
    }

    /// Exact axis-aligned bounding box.
    pub fn bbox(&self) -> Aabb {
        let mut half = [0.0; 3];
        for (j, h) in half.iter_mut().enumerate() {
            *h = (0..3)
                .map(|i| (self.r[i] * self.axes[i][j]).powi(2))
                .sum::<f64>()
                .sqrt();
        }
        Aabb::around(self.c, half)
    }

    /// Volume, mm^3.
    pub fn volume(&self) -> f64 {
        4.0 / 3.0 * std::f64::consts::PI * self.r[0] * self.r[1] * self.r[2]
    }

    /// The same ellipsoid grown by `m` mm along every axis.
    pub fn grown(&self, m: f64) -> Ellipsoid {
        Ellipsoid {
            r: [self.r[0] + m, self.r[1] + m, self.r[2] + m],
            ..*self
        }
    }
}

/// Paints `sdf` (signed distance, mm) over the footprint of `bbox` on the
/// plane of `c`, with tissue `value(p, d)`. Skips planes outside the box.
pub fn paint_sdf(
    c: &mut Canvas,
    bbox: &Aabb,
    label: Label,
    sdf: impl Fn(V3) -> f64,
    value: impl Fn(V3, f64) -> f32,
) {
    let w = c.w;
    if !bbox.expand(1.0).spans_w(w) {
        return;
    }
    let Some(rect) = c.grid.rect_of(bbox) else {
        return;
    };
    c.paint(rect, label, |_, u, v| {
        let p = [u as f64, v as f64, w];
        let d = sdf(p);
        if d > 3.0 {
            None
        } else {
            Some((d as f32, value(p, d)))
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circular_tube_distance() {
        let t = Tube::circular(&[[0.0, 0.0, 0.0], [0.0, 0.0, 10.0]], &[2.0, 2.0]);
        assert!((t.sdf([5.0, 0.0, 5.0]) - 3.0).abs() < 1e-9);
        assert!((t.sdf([0.0, 0.0, 5.0]) + 2.0).abs() < 1e-9);
        assert!((t.sdf([0.0, 0.0, 13.0]) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn elliptical_tube_axes() {
        let node = |z: f64| TubeNode {
            p: [0.0, 0.0, z],
            ra: 6.0,
            rb: 2.0,
            n: [1.0, 0.0, 0.0],
        };
        let t = Tube::from_nodes(vec![node(0.0), node(10.0)]);
        assert!(t.sdf([6.0, 0.0, 5.0]).abs() < 1e-6);
        assert!(t.sdf([0.0, 2.0, 5.0]).abs() < 1e-6);
        assert!(t.sdf([0.0, 3.0, 5.0]) > 0.5);
        assert!(t.sdf([3.0, 0.0, 5.0]) < -1.0);
    }

    #[test]
    fn ellipsoid_distance_and_box() {
        let e = Ellipsoid::oriented(
            [1.0, 2.0, 3.0],
            [1.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [10.0, 5.0, 3.0],
        );
        let tip = add_scaled(e.c, e.axes[0], 10.0);
        assert!(e.sdf(tip).abs() < 1e-9);
        assert!(e.sdf(add_scaled(e.c, e.axes[0], 12.0)) > 1.5);
        assert!(e.bbox().contains(tip));
    }
}
