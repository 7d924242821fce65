//! The lung envelope: brings dense disease that lies against the chest
//! wall (masses, consolidation, atelectasis, juxtapleural nodules) into a
//! lung mask made of aerated lung, while leaving out the mediastinum, the
//! chest wall and what lies below the lung.
//!
//! Method, per axial slice (after the convex-hull and border-marching
//! corrections of lung masks: Pu et al., "Adaptive border marching
//! algorithm", Comput Med Imaging Graph 2008; Armato & Sensakovic, Acad
//! Radiol 2004): dense tissue against the costal pleura leaves a concavity
//! in the outline of aerated lung. The lung's convex hull bridges it with
//! a chord; every concavity pixel belongs to the hull edge nearest to it
//! (a breadth-first propagation from the hull inwards). Edges facing the
//! mediastinum (outward normal within 60 degrees of the medial direction)
//! or running through bone bound normal anatomy and are skipped; under the
//! other (costal) edges, pixels of soft-tissue density ([`LESION_HU`], fat
//! excluded) down to [`ENVELOPE_MAX_DEPTH_MM`] are added when the
//! concavity is deep and large enough and they connect to the lung.
//! Pixels with no lung below them in their column (the liver and heart
//! under the domes) are never added.

use std::collections::VecDeque;

use aisu::AisuError;
use rayon::prelude::*;
use volume::Volume;

use crate::constants::{
    BONE_MIN_HU, ENVELOPE_MAX_DEPTH_MM, ENVELOPE_MIN_AREA_MM2, ENVELOPE_MIN_DEPTH_MM, FAT_HU,
    LESION_HU, MEDIASTINAL_FACE_COS,
};
use crate::regions::{convex_polygon_mask, from_vec, outline_hull};

/// The lung `lung` (on the grid of `hu`) with its dense chest-wall
/// concavities filled. `other` is the other lung, `body` the body mask,
/// `midline` the LPS x of the body's midline.
pub fn envelope(
    lung: &Volume<bool>,
    other: Option<&Volume<bool>>,
    hu: &Volume<i16>,
    body: &Volume<bool>,
    midline: f64,
) -> Result<Volume<bool>, AisuError> {
    let g = *lung.geometry();
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    let data = lung.as_slice();
    // Which way along x is medial (towards the midline)?
    let mut sum_x = 0.0;
    let mut n = 0usize;
    for (i, v) in data.iter().enumerate() {
        if *v {
            sum_x += (i % nx) as f64;
            n += 1;
        }
    }
    if n == 0 {
        return Ok(lung.clone());
    }
    let cx = sum_x / n as f64;
    let mid_index = g.lps_to_index([midline, g.origin[1], g.origin[2]])[0];
    let medial_sign = if mid_index > cx { 1.0 } else { -1.0 };
    // Most inferior lung slice of each column, in "inferior rank" (larger
    // is more inferior), so that a pixel has lung below it when the rank
    // there exceeds its own.
    let inferior_up = g.direction[2][2] >= 0.0; // z index grows superiorly
    let rank = |z: usize| if inferior_up { nz - 1 - z } else { z };
    let mut lowest = vec![-1i64; plane];
    for z in 0..nz {
        let s = &data[z * plane..(z + 1) * plane];
        for (i, v) in s.iter().enumerate() {
            if *v {
                lowest[i] = lowest[i].max(rank(z) as i64);
            }
        }
    }
    let added: Vec<Vec<usize>> = (0..nz)
        .into_par_iter()
        .map(|z| {
            let r = rank(z) as i64;
            let lung = &data[z * plane..(z + 1) * plane];
            // The slice's lung bounding box holds its convex hull.
            let (mut x0, mut x1, mut y0, mut y1) = (nx, 0, ny, 0);
            for y in 0..ny {
                for x in 0..nx {
                    if lung[x + nx * y] {
                        x0 = x0.min(x);
                        x1 = x1.max(x);
                        y0 = y0.min(y);
                        y1 = y1.max(y);
                    }
                }
            }
            if x0 > x1 {
                return Vec::new();
            }
            let (wx, wy) = (x1 - x0 + 1, y1 - y0 + 1);
            let window = |src: &[bool]| -> Vec<bool> {
                let mut w = Vec::with_capacity(wx * wy);
                for y in y0..=y1 {
                    w.extend_from_slice(&src[x0 + nx * y..=x1 + nx * y]);
                }
                w
            };
            let hu_slice = &hu.as_slice()[z * plane..(z + 1) * plane];
            let mut hu_w = Vec::with_capacity(wx * wy);
            for y in y0..=y1 {
                hu_w.extend_from_slice(&hu_slice[x0 + nx * y..=x1 + nx * y]);
            }
            let below: Vec<bool> = (y0..=y1)
                .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
                .map(|(x, y)| lowest[x + nx * y] > r)
                .collect();
            let slice = Slice {
                lung: window(lung),
                other: other.map(|o| window(&o.as_slice()[z * plane..(z + 1) * plane])),
                hu: hu_w,
                body: window(&body.as_slice()[z * plane..(z + 1) * plane]),
                below,
                nx: wx,
                ny: wy,
                spacing: [g.spacing[0], g.spacing[1]],
                medial_sign,
            };
            slice
                .concavities()
                .into_iter()
                .map(|i| (x0 + i % wx) + nx * (y0 + i / wx))
                .collect()
        })
        .collect();
    let mut out = data.to_vec();
    for (z, pixels) in added.iter().enumerate() {
        for &i in pixels {
            out[z * plane + i] = true;
        }
    }
    from_vec(out, g)
}

/// A window of one axial slice around the lung.
struct Slice {
    lung: Vec<bool>,
    other: Option<Vec<bool>>,
    hu: Vec<i16>,
    body: Vec<bool>,
    /// Whether the column of each pixel has lung further down.
    below: Vec<bool>,
    nx: usize,
    ny: usize,
    spacing: [f64; 2],
    medial_sign: f64,
}

impl Slice {
    /// Pixels (slice indices) to add to the lung.
    fn concavities(&self) -> Vec<usize> {
        let (nx, ny) = (self.nx, self.ny);
        let [sx, sy] = self.spacing;
        let (hull, count) = outline_hull(&self.lung, nx, ny, self.spacing);
        if (count as f64) * sx * sy < 4.0 * ENVELOPE_MIN_AREA_MM2 {
            return Vec::new();
        }
        let m = hull.len();
        if m < 3 {
            return Vec::new();
        }
        let c = hull.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
        let c = (c.0 / m as f64, c.1 / m as f64);
        // Classify the hull edges.
        let mut costal = vec![false; m];
        for (k, flag) in costal.iter_mut().enumerate() {
            let (a, b) = (hull[k], hull[(k + 1) % m]);
            let (ex, ey) = (b.0 - a.0, b.1 - a.1);
            let len = (ex * ex + ey * ey).sqrt();
            if len < 1e-9 {
                continue;
            }
            let mut normal = (ey / len, -ex / len);
            let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
            if normal.0 * (mid.0 - c.0) + normal.1 * (mid.1 - c.1) < 0.0 {
                normal = (-normal.0, -normal.1);
            }
            if normal.0 * self.medial_sign > MEDIASTINAL_FACE_COS {
                continue;
            }
            // Bone along the chord: the hull cuts through the chest wall.
            let steps = len.ceil().max(1.0) as usize;
            let mut bone = 0usize;
            for s in 0..=steps {
                let t = s as f64 / steps as f64;
                let x = ((a.0 + t * ex) / sx).round() as usize;
                let y = ((a.1 + t * ey) / sy).round() as usize;
                if x < nx && y < ny && self.hu[x + nx * y] > BONE_MIN_HU {
                    bone += 1;
                }
            }
            *flag = bone * 5 < steps + 1;
        }
        if !costal.iter().any(|c| *c) {
            return Vec::new();
        }
        // Concavity pixels: inside the hull, in the body, not lung.
        let inside = convex_polygon_mask(&hull, nx, ny, [sx, sy]);
        let deficit: Vec<bool> = (0..nx * ny)
            .map(|i| inside[i] && !self.lung[i] && self.body[i])
            .collect();
        // Nearest hull edge of every concavity pixel: breadth-first from
        // the hull's edges inwards, with chamfer distances in mm.
        let mut edge_of = vec![u32::MAX; nx * ny];
        let mut depth = vec![f32::INFINITY; nx * ny];
        let mut queue = VecDeque::new();
        for k in 0..m {
            let (a, b) = (hull[k], hull[(k + 1) % m]);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            let steps = (2.0 * len / sx.min(sy)).ceil().max(1.0) as usize;
            for s in 0..=steps {
                let t = s as f64 / steps as f64;
                let x = ((a.0 + t * (b.0 - a.0)) / sx).round() as usize;
                let y = ((a.1 + t * (b.1 - a.1)) / sy).round() as usize;
                if x < nx && y < ny {
                    let i = x + nx * y;
                    if deficit[i] && edge_of[i] == u32::MAX {
                        edge_of[i] = k as u32;
                        depth[i] = 0.0;
                        queue.push_back(i);
                    }
                }
            }
        }
        let diag = (sx * sx + sy * sy).sqrt() as f32;
        let steps: [(i64, i64, f32); 8] = [
            (-1, 0, sx as f32),
            (1, 0, sx as f32),
            (0, -1, sy as f32),
            (0, 1, sy as f32),
            (-1, -1, diag),
            (1, -1, diag),
            (-1, 1, diag),
            (1, 1, diag),
        ];
        while let Some(i) = queue.pop_front() {
            let (x, y) = ((i % nx) as i64, (i / nx) as i64);
            for (dx, dy, w) in steps {
                let (qx, qy) = (x + dx, y + dy);
                if qx < 0 || qy < 0 || qx >= nx as i64 || qy >= ny as i64 {
                    continue;
                }
                let j = qx as usize + nx * qy as usize;
                if deficit[j] && depth[i] + w < depth[j] - 1e-3 {
                    depth[j] = depth[i] + w;
                    edge_of[j] = edge_of[i];
                    queue.push_back(j);
                }
            }
        }
        // Candidates under costal edges, and each edge's concavity size.
        let mut area = vec![0.0f64; m];
        let mut deepest = vec![0.0f32; m];
        let mut candidate = vec![false; nx * ny];
        for i in 0..nx * ny {
            let k = edge_of[i];
            if k == u32::MAX || !costal[k as usize] {
                continue;
            }
            let v = self.hu[i];
            let dense =
                (LESION_HU.0..=LESION_HU.1).contains(&v) && !(FAT_HU.0..=FAT_HU.1).contains(&v);
            let other = self.other.as_ref().is_some_and(|o| o[i]);
            if dense && !other && depth[i] <= ENVELOPE_MAX_DEPTH_MM as f32 && self.below[i] {
                candidate[i] = true;
                area[k as usize] += sx * sy;
                deepest[k as usize] = deepest[k as usize].max(depth[i]);
            }
        }
        for i in 0..nx * ny {
            if candidate[i] {
                let k = edge_of[i] as usize;
                if area[k] < ENVELOPE_MIN_AREA_MM2 || (deepest[k] as f64) < ENVELOPE_MIN_DEPTH_MM {
                    candidate[i] = false;
                }
            }
        }
        // Keep the candidates connected to the lung.
        let mut out = Vec::new();
        let mut seen = vec![false; nx * ny];
        let mut queue = VecDeque::new();
        for i in 0..nx * ny {
            if !candidate[i] {
                continue;
            }
            let (x, y) = (i % nx, i / nx);
            let touches = (x > 0 && self.lung[i - 1])
                || (x + 1 < nx && self.lung[i + 1])
                || (y > 0 && self.lung[i - nx])
                || (y + 1 < ny && self.lung[i + nx]);
            if touches {
                seen[i] = true;
                queue.push_back(i);
            }
        }
        while let Some(i) = queue.pop_front() {
            out.push(i);
            let (x, y) = (i % nx, i / nx);
            let mut visit = |j: usize| {
                if candidate[j] && !seen[j] {
                    seen[j] = true;
                    queue.push_back(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < nx {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - nx);
            }
            if y + 1 < ny {
                visit(i + nx);
            }
        }
        out
    }
}
