//! Rib heads: where, in a traced bony component, ribs meet the column.
//! A component may hold several ribs that touch further out (on the
//! tracing grid the first and second ribs touch each other and the
//! shoulder girdle); each head found here seeds one rib when the
//! component is parted ([`crate::ribs_detect`]).
//!
//! Method: the component's voxels beside the column are split into
//! pieces connected in 3D (two ribs' heads and necks lie a level apart and
//! do not touch, even where their shafts do), each piece into runs along z
//! (a gap of more than a slice, at least 5 mm, parts two heads), and runs
//! from different pieces closer in height than [`RIB_HEAD_MERGE_MM`] are
//! joined again (one rib's head and tubercle, parted by the vertebral
//! zone left out around the column).

use std::collections::{HashMap, HashSet, VecDeque};

use crate::constants::RIB_HEAD_MERGE_MM;
use crate::ribs_detect::Geo;

/// One head: side (left), height (patient z, mm) and its voxels.
pub(crate) type Head = (bool, f64, Vec<usize>);

/// Clusters (by side and height) of a component's voxels beside the
/// column: the rib heads it holds, as (left, z mm, voxels). The height is
/// that of the cluster's most medial voxels (the head itself: the rib
/// drops as it runs laterally).
pub(crate) fn head_clusters(geo: &Geo, vox: &[usize]) -> Vec<Head> {
    // (left, z mm, voxel, distance from the track)
    let mut near: Vec<(bool, f64, usize, f64)> = Vec::new();
    for &i in vox {
        let Some((dx, dy, hw, hd)) = geo.offset(i) else {
            continue;
        };
        if dx.abs() <= hw + 30.0 && dy >= -0.2 * hd && dy <= hd + 40.0 {
            near.push((dx > 0.0, geo.mm(i)[2], i, dx.hypot(dy)));
        }
    }
    let piece_of = pieces(geo.coarse.n, near.iter().map(|p| p.2));
    let gap = (1.1 * geo.f.s[2]).max(5.0);
    let mut out: Vec<(usize, Head)> = Vec::new();
    for side in [true, false] {
        let mut side_out: Vec<(usize, Head)> = Vec::new();
        let count = piece_of.values().map(|p| *p + 1).max().unwrap_or(0);
        for piece in 0..count {
            let mut pts: Vec<(f64, usize, f64)> = near
                .iter()
                .filter(|p| p.0 == side && piece_of.get(&p.2) == Some(&piece))
                .map(|p| (p.1, p.2, p.3))
                .collect();
            if pts.is_empty() {
                continue;
            }
            pts.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut cur: Vec<(f64, usize, f64)> = Vec::new();
            for p in pts {
                if let Some(last) = cur.last()
                    && last.0 - p.0 > gap
                {
                    side_out.push((piece, finish_cluster(side, &cur)));
                    cur.clear();
                }
                cur.push(p);
            }
            side_out.push((piece, finish_cluster(side, &cur)));
        }
        // One rib's pieces (head beside the body, tubercle beyond the
        // transverse process) lie at about one height: join them.
        side_out.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
        let mut merged: Vec<(usize, Head)> = Vec::new();
        for (piece, head) in side_out {
            match merged.last_mut() {
                Some((p, last)) if *p != piece && last.1 - head.1 < RIB_HEAD_MERGE_MM => {
                    // Keep the larger part's height.
                    if head.2.len() > last.2.len() {
                        last.1 = head.1;
                    }
                    last.2.extend(head.2);
                }
                _ => merged.push((piece, head)),
            }
        }
        out.extend(merged);
    }
    // Tiny clusters are touches, not heads.
    out.into_iter()
        .map(|(_, h)| h)
        .filter(|c| c.2.len() >= 3)
        .collect()
}

/// The 26-connected pieces of a set of coarse voxels: voxel -> piece
/// index. Written out here because the set is small and sparse
/// (a few hundred voxels of a large grid).
fn pieces(n: [usize; 3], voxels: impl Iterator<Item = usize>) -> HashMap<usize, usize> {
    let set: HashSet<usize> = voxels.collect();
    let mut piece_of = HashMap::new();
    let mut next = 0usize;
    let mut order: Vec<usize> = set.iter().copied().collect();
    order.sort_unstable();
    for start in order {
        if piece_of.contains_key(&start) {
            continue;
        }
        piece_of.insert(start, next);
        let mut queue = VecDeque::from([start]);
        while let Some(i) = queue.pop_front() {
            for_each_neighbour26(n, i, |j| {
                if set.contains(&j) && !piece_of.contains_key(&j) {
                    piece_of.insert(j, next);
                    queue.push_back(j);
                }
            });
        }
        next += 1;
    }
    piece_of
}

fn finish_cluster(side: bool, pts: &[(f64, usize, f64)]) -> (bool, f64, Vec<usize>) {
    // The rib drops as it runs out from the column: fit z against the
    // distance from the column over its first 20 mm and follow the fit
    // back 10 mm towards the joint.
    let r0 = pts.iter().map(|p| p.2).fold(f64::INFINITY, f64::min);
    let near: Vec<(f64, f64)> = pts
        .iter()
        .filter(|p| p.2 <= r0 + 20.0)
        .map(|p| (p.2, p.0))
        .collect();
    let n = near.len().max(1) as f64;
    let mr = near.iter().map(|p| p.0).sum::<f64>() / n;
    let mz = near.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = near.iter().map(|p| (p.0 - mr).powi(2)).sum();
    let sxy: f64 = near.iter().map(|p| (p.0 - mr) * (p.1 - mz)).sum();
    let slope = if sxx > 1e-6 {
        (sxy / sxx).clamp(-1.5, 0.5)
    } else {
        0.0
    };
    let z = mz + slope * (r0 - 10.0 - mr);
    (side, z, pts.iter().map(|p| p.1).collect())
}

/// Calls `f` with the linear index of each 26-neighbour of voxel `i` on a
/// grid of size `n` (x fastest) that lies inside the grid.
pub(crate) fn for_each_neighbour26(n: [usize; 3], i: usize, mut f: impl FnMut(usize)) {
    let [nx, ny, nz] = n;
    let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
    for dz in -1i64..=1 {
        for dy in -1i64..=1 {
            for dx in -1i64..=1 {
                let (qx, qy, qz) = (x as i64 + dx, y as i64 + dy, z as i64 + dz);
                if (dx, dy, dz) == (0, 0, 0)
                    || qx < 0
                    || qy < 0
                    || qz < 0
                    || qx >= nx as i64
                    || qy >= ny as i64
                    || qz >= nz as i64
                {
                    continue;
                }
                f(qx as usize + nx * (qy as usize + ny * qz as usize));
            }
        }
    }
}
