//! `airad.bronchi`: the bronchial tree below the carina as deep as the
//! scan resolves it, its lobar bronchi, centreline and calibre.
//!
//! Method: wave-front propagation with per-branch leak control (after
//! Schlathoelter et al., SPIE 2002; Tschirren et al., IEEE TMI 2005; van
//! Rikxoort et al., ISBI 2009). From the carina, air below an
//! adaptive threshold (below the lung parenchyma's own density) is grown
//! in distance shells one slice spacing thick (Dijkstra distances in mm,
//! so fronts are comparable on anisotropic grids). Each shell is split
//! into connected fronts per branch; a branch whose front splits becomes
//! a bifurcation, and a front that swells far beyond its branch's recent
//! fronts is a leak into the parenchyma: it is dropped and that branch
//! stops. The front centroids make the centreline; the lumen radius at
//! each point is the distance to the nearest non-airway voxel.
//! [`crate::bronchial_labels`] names the main, intermediate and lobar
//! bronchi from the branch topology and directions.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Centreline, Context, Manifest, Mask};
use serde_json::json;
use volume::Volume;

use crate::bronchial_labels::{Branch, label_tree};
use crate::constants::{
    BRONCHI_LEAK_RATIO, BRONCHI_MAX_FRONT_MM2, BRONCHI_MAX_ML, BRONCHI_MIN_FRONT_MM2,
    BRONCHI_THRESHOLD_HU, BRONCHI_THRESHOLD_MARGIN_HU,
};

/// The bronchial tree unit.
pub struct Bronchi {
    manifest: Manifest,
}

impl Default for Bronchi {
    fn default() -> Self {
        Bronchi {
            manifest: Manifest::new(
                "airad.bronchi",
                env!("CARGO_PKG_VERSION"),
                "Bronchial tree, lobar bronchi, centreline and calibre",
            )
            .requires(&["mask:body", "mask:trachea"])
            .produces(&[
                "mask:bronchi",
                "landmarks:bronchi",
                "centreline:bronchi",
                "values:bronchi",
            ])
            .resources(1, 800, 60.0)
            .typical(0.1),
        }
    }
}

impl Aisu for Bronchi {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let body = ctx.mask("mask:body")?;
        let trachea = ctx.mask("mask:trachea")?;
        let tree = grow_tree(ct, &body, &trachea)?;
        let names = [
            "mask:bronchi",
            "landmarks:bronchi",
            "centreline:bronchi",
            "values:bronchi",
        ];
        let Some(tree) = tree else {
            for name in names {
                ctx.absent(name, "no bronchus below the carina in the field of view")?;
            }
            return Ok(());
        };
        // A tree larger than any bronchial lumen leaked into the lung past
        // the per-branch leak control; used, it would carve the lungs.
        let ml = tree.bronchi.volume_ml();
        if ml > BRONCHI_MAX_ML {
            tracing::debug!(ml, "bronchi: the grown tree leaked; not used");
            for name in names {
                ctx.absent(
                    name,
                    &format!(
                        "the grown bronchial tree ({ml:.0} mL) is larger than a bronchial lumen can be ({BRONCHI_MAX_ML:.0} mL): it leaked into the lung"
                    ),
                )?;
            }
            return Ok(());
        }
        ctx.put_mask("mask:bronchi", tree.bronchi)?;
        ctx.put(
            "landmarks:bronchi",
            Artefact::Landmarks(Arc::new(tree.landmarks)),
        )?;
        ctx.put(
            "centreline:bronchi",
            Artefact::Centreline(Arc::new(tree.centreline)),
        )?;
        ctx.put("values:bronchi", Artefact::Values(Arc::new(tree.values)))
    }
}

/// The grown tree.
pub struct BronchialTree {
    /// Bronchial lumen below the carina.
    pub bronchi: Mask,
    /// Origins of the lobar bronchi and the bronchus intermedius.
    pub landmarks: aisu::Landmarks,
    /// Centrelines of all branches, one after the other (see `values`),
    /// with lumen radii; the segment name of a point is its bronchus
    /// ("right_main", "bronchus_intermedius", "rul", ...).
    pub centreline: Centreline,
    /// Branches (parent, lobe, generation, point range, length, calibre),
    /// threshold and counts.
    pub values: serde_json::Value,
}

/// Length of trachea above the carina the growth starts from, mm.
const SEED_MM: f64 = 10.0;

/// Widest rim of lumen around the airway unit's trachea mask taken into
/// the trachea, mm (the tracheal wall is 1-3 mm thick; a rim this wide
/// holds the partial-volume band between the two units' thresholds).
const TRACHEA_RIM_MM: f64 = 4.0;

/// Voxel states of the growth.
const UNSEEN: u8 = 0;
const TREE: u8 = 1;
const BLOCKED: u8 = 2;
const PENDING: u8 = 3;

/// The lumen threshold: below the parenchyma's median density by a
/// margin, within [`BRONCHI_THRESHOLD_HU`].
fn threshold(ct: &Volume<i16>, body: &Mask) -> i16 {
    let [nx, ny, _] = ct.dims();
    let data = ct.as_slice();
    let mut lung = Vec::new();
    let mut k = 0usize;
    body.for_each(|x, y, z| {
        k += 1;
        if k.is_multiple_of(7) {
            let v = data[x + nx * (y + ny * z)];
            if (-990..-500).contains(&v) {
                lung.push(v);
            }
        }
    });
    if lung.is_empty() {
        return BRONCHI_THRESHOLD_HU.0;
    }
    let mid = lung.len() / 2;
    let (_, median, _) = lung.select_nth_unstable(mid);
    (*median - BRONCHI_THRESHOLD_MARGIN_HU).clamp(BRONCHI_THRESHOLD_HU.0, BRONCHI_THRESHOLD_HU.1)
}

/// Grows the tree from the bottom of the trachea; `None` when nothing lies
/// below the carina.
pub fn grow_tree(
    ct: &Volume<i16>,
    body: &Mask,
    trachea: &Mask,
) -> Result<Option<BronchialTree>, AisuError> {
    let g = *ct.geometry();
    let [nx, ny, nz] = g.dims;
    let s = g.spacing;
    let plane = nx * ny;
    let up = g.direction[2][2] >= 0.0;
    let Some((lo, hi)) = trachea.bbox_index() else {
        return Ok(None);
    };
    // Seeds: the trachea's lowest [`SEED_MM`] above the carina; the rest
    // of the trachea is taken as grown so that nothing grows upwards.
    let bottom = if up { lo[2] } else { hi[2] };
    let seed_slices = ((SEED_MM / s[2]).round() as usize).max(1);
    let near_bottom = |z: usize| z.abs_diff(bottom) < seed_slices;
    let t = threshold(ct, body);
    let hu = ct.as_slice();
    let mut state = vec![UNSEEN; g.len()];
    let mut seeds = Vec::new();
    // The trachea mask was grown at a stricter threshold than the bronchi
    // are: the rim of lumen between the two thresholds belongs to the
    // trachea too (in its own slices), or it would start as a ring of
    // fragments taken for a leak.
    for i in trachea_lumen(hu, trachea, [nx, ny, nz], s, t) {
        if near_bottom(i / plane) {
            seeds.push(i);
        } else {
            state[i] = TREE;
        }
    }
    if seeds.is_empty() {
        return Ok(None);
    }
    let step = s[0].max(s[1]).max(s[2]);
    let voxel_mm3 = g.voxel_volume_mm3();
    let max_front = (BRONCHI_MAX_FRONT_MM2 * step / voxel_mm3).ceil() as usize;
    let min_front = ((BRONCHI_MIN_FRONT_MM2 * step / voxel_mm3).ceil() as usize).max(2);
    // On thick slices a shell cuts an oblique bronchus at changing angles,
    // so its volume varies more from shell to shell.
    let ratio = BRONCHI_LEAK_RATIO * (step / s[0].min(s[1])).sqrt().max(1.0);
    let mut root = Branch::root();
    // The trachea's shell volume, for leak control of the first fronts.
    root.fronts
        .push(((seeds.len() as f64 / seed_slices as f64) * step / s[2]).round() as usize);
    let mut branches = vec![root];
    let mut branch_of: HashMap<usize, u32> = HashMap::new();
    let mut dist: HashMap<usize, f32> = HashMap::new();
    let mut heap: BinaryHeap<(Reverse<u32>, usize, usize)> = BinaryHeap::new();
    let key = |d: f32| Reverse((d * 1000.0) as u32);
    let neighbours = |i: usize| -> [(Option<usize>, f32); 6] {
        let (x, y, z) = (i % nx, (i / nx) % ny, i / plane);
        [
            ((x > 0).then(|| i - 1), s[0] as f32),
            ((x + 1 < nx).then(|| i + 1), s[0] as f32),
            ((y > 0).then(|| i - nx), s[1] as f32),
            ((y + 1 < ny).then(|| i + nx), s[1] as f32),
            ((z > 0).then(|| i - plane), s[2] as f32),
            ((z + 1 < nz).then(|| i + plane), s[2] as f32),
        ]
    };
    // The seeds are grown already; the first shell is their neighbours.
    for &i in &seeds {
        state[i] = TREE;
        branch_of.insert(i, 0);
    }
    for &i in &seeds {
        for (j, w) in neighbours(i) {
            let Some(j) = j else { continue };
            if state[j] != UNSEEN || hu[j] >= t {
                continue;
            }
            let (jx, jy, jz) = (j % nx, (j / nx) % ny, j / plane);
            if body.contains(jx, jy, jz) {
                state[j] = PENDING;
                dist.insert(j, w);
                heap.push((key(w), j, i));
            }
        }
    }
    let mut shell = 0u32;
    while !heap.is_empty() && shell < 2000 {
        let limit = (shell + 1) as f32 * step as f32;
        // Collect this shell: voxels reached below `limit`, expanding
        // within the shell as they come.
        let mut layer: Vec<(usize, usize)> = Vec::new();
        while let Some(&(Reverse(k), i, parent)) = heap.peek() {
            if k as f32 / 1000.0 >= limit {
                break;
            }
            heap.pop();
            if state[i] != PENDING
                || (i != parent && state[parent] != TREE && state[parent] != PENDING)
            {
                continue;
            }
            layer.push((i, parent));
            let d = dist.get(&i).copied().unwrap_or(0.0);
            for (j, w) in neighbours(i) {
                let Some(j) = j else { continue };
                if state[j] != UNSEEN || hu[j] >= t {
                    continue;
                }
                let (jx, jy, jz) = (j % nx, (j / nx) % ny, j / plane);
                if !body.contains(jx, jy, jz) {
                    continue;
                }
                state[j] = PENDING;
                dist.insert(j, d + w);
                heap.push((key(d + w), j, i));
            }
        }
        shell += 1;
        if layer.is_empty() {
            continue;
        }
        // Branch of every voxel of the shell: that of its parent (a
        // parent in the same shell passes its own on, in order).
        let mut in_layer: HashMap<usize, u32> = HashMap::new();
        for &(i, parent) in &layer {
            let b = branch_of
                .get(&parent)
                .copied()
                .or_else(|| in_layer.get(&parent).copied())
                .unwrap_or(0);
            in_layer.insert(i, b);
        }
        let mut by_branch: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, b) in &in_layer {
            by_branch.entry(*b).or_default().push(*i);
        }
        let mut keys: Vec<u32> = by_branch.keys().copied().collect();
        keys.sort_unstable();
        for b in keys {
            let voxels = &by_branch[&b];
            let (fronts, crumbs): (Vec<Vec<usize>>, Vec<Vec<usize>>) =
                components_26(voxels, [nx, ny, nz])
                    .into_iter()
                    .partition(|f| f.len() >= min_front);
            // Crumbs (noise below the threshold beside the lumen) are dropped.
            for f in crumbs {
                for i in f {
                    state[i] = BLOCKED;
                }
            }
            let br = &branches[b as usize];
            let recent = br.recent_front();
            let limit = (ratio * recent).min(ratio * br.cap) + 8.0;
            // A front that swells, or splits into more than three, leaks.
            let leak = fronts.len() > 3
                || fronts
                    .iter()
                    .any(|f| f.len() > max_front || (recent > 0.0 && f.len() as f64 > limit));
            if std::env::var("DBG_BRONCHI").is_ok() && b < 12 {
                eprintln!(
                    "DBG shell {shell} branch {b} fronts {:?} crumbs? recent {recent:.0} limit {limit:.0} leak {leak} alive {}",
                    fronts.iter().map(|f| f.len()).collect::<Vec<_>>(),
                    br.alive
                );
            }
            if leak || !br.alive {
                for f in &fronts {
                    for &i in f {
                        state[i] = BLOCKED;
                    }
                }
                branches[b as usize].alive = false;
                continue;
            }
            let split = fronts.len() > 1;
            for front in fronts {
                let id = if split {
                    branches.push(Branch::child(b, &branches[b as usize]));
                    (branches.len() - 1) as u32
                } else {
                    b
                };
                let centroid = centroid(&front, [nx, ny]);
                let br = &mut branches[id as usize];
                br.points.push(g.index_to_lps(centroid));
                br.fronts.push(front.len());
                for &i in &front {
                    state[i] = TREE;
                    branch_of.insert(i, id);
                }
                br.voxels += front.len();
            }
            if split {
                branches[b as usize].alive = false;
            }
        }
    }
    if std::env::var("DBG_BRONCHI").is_ok() {
        eprintln!(
            "DBG tree: threshold {t}, shells {shell}, branches {}, voxels {}, seeds {}, max_front {max_front}",
            branches.len(),
            branch_of.len(),
            seeds.len()
        );
        for (k, b) in branches.iter().enumerate().take(25) {
            eprintln!(
                "DBG  branch {k} parent {:?} alive {} pts {} first {:?} last {:?} fronts {:?}",
                b.parent,
                b.alive,
                b.points.len(),
                b.points
                    .first()
                    .map(|p| [p[0].round(), p[1].round(), p[2].round()]),
                b.points
                    .last()
                    .map(|p| [p[0].round(), p[1].round(), p[2].round()]),
                &b.fronts[..b.fronts.len().min(20)]
            );
        }
    }
    // Voxels still pending were never accepted.
    let tree_voxels: Vec<usize> = branch_of.keys().copied().collect();
    finish(ct, trachea, &state, &tree_voxels, branches, &branch_of, t)
}

/// The trachea's lumen at threshold `t`: the mask and, in each of its
/// slices, the air below `t` joined to it in-plane within
/// [`TRACHEA_RIM_MM`].
fn trachea_lumen(hu: &[i16], trachea: &Mask, dims: [usize; 3], s: [f64; 3], t: i16) -> Vec<usize> {
    let [nx, ny, _] = dims;
    let mut depth: HashMap<usize, f64> = HashMap::new();
    let mut queue = std::collections::VecDeque::new();
    trachea.for_each(|x, y, z| {
        let i = x + nx * (y + ny * z);
        depth.insert(i, 0.0);
        queue.push_back(i);
    });
    while let Some(i) = queue.pop_front() {
        let d = depth[&i];
        let (x, y) = (i % nx, (i / nx) % ny);
        let steps = [
            ((x > 0).then(|| i - 1), s[0]),
            ((x + 1 < nx).then(|| i + 1), s[0]),
            ((y > 0).then(|| i - nx), s[1]),
            ((y + 1 < ny).then(|| i + nx), s[1]),
        ];
        for (j, w) in steps {
            let Some(j) = j else { continue };
            if d + w > TRACHEA_RIM_MM || hu[j] >= t || depth.contains_key(&j) {
                continue;
            }
            depth.insert(j, d + w);
            queue.push_back(j);
        }
    }
    let mut out: Vec<usize> = depth.into_keys().collect();
    out.sort_unstable();
    out
}

/// 26-connected components of a set of voxels.
fn components_26(voxels: &[usize], dims: [usize; 3]) -> Vec<Vec<usize>> {
    let [nx, ny, nz] = dims;
    let plane = nx * ny;
    let mut left: HashSet<usize> = voxels.iter().copied().collect();
    let mut out = Vec::new();
    for &start in voxels {
        if !left.remove(&start) {
            continue;
        }
        let mut part = vec![start];
        let mut k = 0;
        while k < part.len() {
            let i = part[k];
            k += 1;
            let (x, y, z) = ((i % nx) as i64, ((i / nx) % ny) as i64, (i / plane) as i64);
            for dz in -1i64..=1 {
                for dy in -1i64..=1 {
                    for dx in -1i64..=1 {
                        let (qx, qy, qz) = (x + dx, y + dy, z + dz);
                        if qx < 0
                            || qy < 0
                            || qz < 0
                            || qx >= nx as i64
                            || qy >= ny as i64
                            || qz >= nz as i64
                        {
                            continue;
                        }
                        let j = qx as usize + nx * (qy as usize + ny * qz as usize);
                        if left.remove(&j) {
                            part.push(j);
                        }
                    }
                }
            }
        }
        out.push(part);
    }
    out
}

/// Mean index of a set of voxels.
fn centroid(voxels: &[usize], dims: [usize; 2]) -> [f64; 3] {
    let [nx, ny] = dims;
    let mut c = [0.0; 3];
    for &i in voxels {
        c[0] += (i % nx) as f64;
        c[1] += ((i / nx) % ny) as f64;
        c[2] += (i / (nx * ny)) as f64;
    }
    let n = voxels.len().max(1) as f64;
    [c[0] / n, c[1] / n, c[2] / n]
}

/// Lumen radius at an LPS point: distance to the nearest voxel that is not
/// airway, searched in growing boxes.
fn lumen_radius(state: &[u8], g: &volume::Geometry, p: [f64; 3]) -> f64 {
    let [nx, ny, nz] = g.dims;
    let s = g.spacing;
    let c = g.lps_to_index(p);
    let c = [
        c[0].round() as i64,
        c[1].round() as i64,
        c[2].round() as i64,
    ];
    let mut r = 2.0;
    while r <= 32.0 {
        let h = [
            (r / s[0]).ceil() as i64,
            (r / s[1]).ceil() as i64,
            (r / s[2]).ceil() as i64,
        ];
        let mut best = f64::INFINITY;
        for dz in -h[2]..=h[2] {
            for dy in -h[1]..=h[1] {
                for dx in -h[0]..=h[0] {
                    let q = [c[0] + dx, c[1] + dy, c[2] + dz];
                    let outside = q
                        .iter()
                        .zip([nx, ny, nz])
                        .any(|(v, n)| *v < 0 || *v >= n as i64);
                    let air = !outside
                        && state[q[0] as usize + nx * (q[1] as usize + ny * q[2] as usize)] == TREE;
                    if !air {
                        let d = ((dx as f64 * s[0]).powi(2)
                            + (dy as f64 * s[1]).powi(2)
                            + (dz as f64 * s[2]).powi(2))
                        .sqrt();
                        best = best.min(d);
                    }
                }
            }
        }
        if best <= r {
            // Half a voxel: the lumen edge lies between the last airway
            // voxel and the first wall voxel.
            return (best - 0.5 * s[0].min(s[1])).max(0.5 * s[0].min(s[1]));
        }
        r *= 2.0;
    }
    r
}

/// Names the tree, builds the centreline, the mask and the values.
fn finish(
    ct: &Volume<i16>,
    trachea: &Mask,
    state: &[u8],
    tree_voxels: &[usize],
    mut branches: Vec<Branch>,
    branch_of: &HashMap<usize, u32>,
    threshold_hu: i16,
) -> Result<Option<BronchialTree>, AisuError> {
    let g = *ct.geometry();
    let [nx, ny, _] = g.dims;
    let plane = nx * ny;
    let mut lumen = Volume::filled(g, false);
    {
        let l = lumen.as_slice_mut();
        for &i in tree_voxels {
            if !trachea.contains(i % nx, (i / nx) % ny, i / plane) {
                l[i] = true;
            }
        }
    }
    let bronchi = Mask::from_volume(&lumen);
    if bronchi.count() == 0 || branches.len() < 2 {
        return Ok(None);
    }
    let _ = branch_of;
    let landmarks = label_tree(&mut branches);
    // Centreline: every branch's points, thinned to about one per 2 mm.
    let mut centreline = Centreline::default();
    let mut list = Vec::new();
    for (id, b) in branches.iter().enumerate() {
        let start = centreline.points.len();
        let mut last: Option<[f64; 3]> = None;
        let mut radii = Vec::new();
        let mut length = 0.0;
        for p in &b.points {
            if let Some(q) = last {
                let d =
                    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
                if d < 2.0 {
                    continue;
                }
                length += d;
            }
            last = Some(*p);
            let r = lumen_radius(state, &g, *p);
            radii.push(r);
            centreline.points.push(*p);
            centreline.radii_mm.push(r);
            centreline.segments.push(b.name.clone());
        }
        if radii.is_empty() {
            continue;
        }
        let mean = radii.iter().sum::<f64>() / radii.len() as f64;
        let min = radii.iter().copied().fold(f64::INFINITY, f64::min);
        let max = radii.iter().copied().fold(0.0, f64::max);
        list.push(json!({
            "id": id,
            "parent": b.parent,
            "name": b.name,
            "generation": b.generation,
            "points": [start, centreline.points.len()],
            "length_mm": (length * 10.0).round() / 10.0,
            "radius_mm": { "mean": (mean * 100.0).round() / 100.0, "min": (min * 100.0).round() / 100.0, "max": (max * 100.0).round() / 100.0 },
        }));
    }
    let max_generation = branches.iter().map(|b| b.generation).max().unwrap_or(0);
    let values = json!({
        "threshold_hu": threshold_hu,
        "volume_ml": (bronchi.volume_ml() * 10.0).round() / 10.0,
        "branches": list,
        "max_generation": max_generation,
        "radius": "lumen radius (distance from the centreline to the lumen edge), mm",
    });
    Ok(Some(BronchialTree {
        bronchi,
        landmarks,
        centreline,
        values,
    }))
}
