//! Rib tracing shared by `airad.spine` (which anchors its level count on
//! the first and last ribs) and `airad.ribs` (which numbers and masks
//! them).
//!
//! Method: bone above [`RIB_BONE_HU`] on a grid coarsened 2x in-plane (max
//! pooling keeps thin cortices), minus the vertebral zone around the spine
//! track ([`in_spine_zone`]), split into 3D components (26-connected). A
//! component whose medial end lies beside the column is a rib (or several
//! touching ribs, parted at their heads by geodesic growth); pieces that
//! do not reach the column (ribs broken by thick slices or fractures) are
//! linked to the nearest rib on their side within [`RIB_LINK_MM`], as in
//! rib-tracing methods that follow the rib from the costovertebral joint
//! (e.g. Staal et al., "Automatic rib segmentation and labeling in
//! computed tomography scans using a general framework for detection,
//! recognition and segmentation of objects in volumetric data", MedIA
//! 2007).

use std::collections::{HashMap, VecDeque};

use aisu::{AisuError, Mask};
use volume::{Connectivity, Geometry, Volume, label_components};

use crate::constants::{
    RIB_BONE_HU, RIB_LINK_MM, RIB_MAX_RADIUS_MM, RIB_PARAVERTEBRAL_MM, RIB_TUBERCLE_BAND_MM,
    RIB1_MAX_HEIGHT_MM, SKIN_MARGIN_MM, STERNUM_HALF_WIDTH_MM,
};
use crate::rib_heads::{for_each_neighbour26, head_clusters};
use crate::rib_shell::{aerated_lung, masks_on_grid, shell_filter};
use crate::skeleton::{BodyExtents, Crop, Frame, SliceBody, fill_slice_holes};
use crate::spine_track::SpineTrack;
use crate::util::err;
use crate::util::phase;

/// Whether an offset from the vertebral body's centre (mm: `dx` towards
/// the left, `dy` posterior) lies in the vertebra's own zone: the body,
/// the arch with its transverse processes, and the spinous process.
pub(crate) fn in_spine_zone(dx: f64, dy: f64, hw: f64, hd: f64) -> bool {
    if dy < -(hd + 5.0) || dy > hd + 85.0 {
        return false;
    }
    if dy < 0.3 * hd {
        dx.abs() <= hw + 5.0
    } else if dy <= hd + 35.0 {
        dx.abs() <= hw + 16.0
    } else {
        dx.abs() <= 14.0
    }
}

/// A traced rib.
#[derive(Debug, Clone)]
pub(crate) struct RibCandidate {
    /// On the patient's left.
    pub left: bool,
    /// Patient z of its medial end (head region), mm.
    pub head_z_mm: f64,
    /// Patient z of the rib just lateral to its tubercle, where it leaves
    /// the transverse process of its own vertebra (see
    /// [`tubercle_z`]); the head's z when the rib has no voxel there.
    pub tubercle_z_mm: f64,
    /// Reaches the front half of the chest (the first rib does, a cervical
    /// rib does not).
    pub long: bool,
    /// Most lateral reach from the track, mm.
    pub lateral_mm: f64,
    /// Craniocaudal extent, mm.
    pub height_mm: f64,
    /// As traced, taller than any upper rib ([`RIB1_MAX_HEIGHT_MM`]):
    /// ribs fused with each other or with the shoulder girdle (the
    /// height may drop once shares are given back to the ribs below).
    pub fused: bool,
    /// Too short to be a rib (lateral reach below the least a rib has):
    /// a transverse process, or the neck of a rib whose shaft merged with
    /// other bone. Kept for the level count's sanity checks only.
    pub stub: bool,
    /// Coarse voxels (linear indices of [`RibDetection::coarse`]).
    pub voxels: Vec<usize>,
}

/// The coarse grid: `f` x `f` in-plane blocks of a full-resolution crop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coarse {
    /// Block size in-plane.
    pub f: usize,
    /// The full-resolution crop covered.
    pub crop: Crop,
    /// Coarse size `[x, y, z]`.
    pub n: [usize; 3],
}

impl Coarse {
    /// Full-resolution index of a coarse voxel's centre.
    pub fn full(&self, i: usize) -> [f64; 3] {
        let [nx, ny, _] = self.n;
        let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
        let h = (self.f as f64 - 1.0) / 2.0;
        [
            (self.crop.lo[0] + x * self.f) as f64 + h,
            (self.crop.lo[1] + y * self.f) as f64 + h,
            (self.crop.lo[2] + z) as f64,
        ]
    }

    /// Coarse index of a full-grid voxel, `None` outside the crop.
    #[inline]
    pub fn index(&self, x: usize, y: usize, z: usize) -> Option<usize> {
        let c = &self.crop;
        c.contains(x, y, z).then(|| {
            (x - c.lo[0]) / self.f
                + self.n[0] * ((y - c.lo[1]) / self.f + self.n[1] * (z - c.lo[2]))
        })
    }

    /// The grid as a geometry of its own (origin 0, spacing in mm).
    pub fn geometry(&self, f: &Frame) -> Geometry {
        Geometry::new(
            self.n,
            [f.s[0] * self.f as f64, f.s[1] * self.f as f64, f.s[2]],
            [0.0; 3],
        )
    }
}

/// All ribs traced on one scan.
#[derive(Debug, Clone)]
pub(crate) struct RibDetection {
    /// The coarse grid the voxels refer to.
    pub coarse: Coarse,
    /// The ribs, in no particular order.
    pub ribs: Vec<RibCandidate>,
}

/// The coarse grid ribs are traced on: the body's bounding box, 2x
/// coarser in-plane when pixels are under 0.9 mm.
pub(crate) fn coarse_grid(body: &Mask, f: &Frame) -> Result<Coarse, AisuError> {
    let (lo, hi) = body
        .bbox_index()
        .ok_or_else(|| AisuError::NotAssessable("no body in the field of view".into()))?;
    let crop = Crop::new(
        [lo[0] as i64, lo[1] as i64, lo[2] as i64],
        [hi[0] as i64, hi[1] as i64, hi[2] as i64],
        f.dims,
    )
    .ok_or_else(|| AisuError::NotAssessable("empty body".into()))?;
    let k = if f.s[0] < 0.9 { 2 } else { 1 };
    let n = [crop.n[0].div_ceil(k), crop.n[1].div_ceil(k), crop.n[2]];
    Ok(Coarse { f: k, crop, n })
}

/// Traces the ribs beside a spine track. The lung shell
/// ([`shell_filter`]) comes from `lungs` when given, else from the
/// aerated lung of the CT without the `airways` ([`aerated_lung`]).
pub(crate) fn detect_ribs(
    ct: &Volume<i16>,
    body: &Mask,
    slices: &[Option<SliceBody>],
    track: &SpineTrack,
    lungs: &[&Mask],
    airways: &[&Mask],
) -> Result<RibDetection, AisuError> {
    let f = track.frame;
    let coarse = coarse_grid(body, &f)?;
    let (crop, k, n) = (coarse.crop, coarse.f, coarse.n);
    let [nx, ny, nz] = f.dims;
    let data = ct.as_slice();
    let inner = BodyExtents::new(body, f.dims);
    let mx = (SKIN_MARGIN_MM / f.s[0]).ceil() as usize;
    let my = (SKIN_MARGIN_MM / f.s[1]).ceil() as usize;
    let t = phase("shell");
    let lung = if lungs.is_empty() {
        aerated_lung(&coarse, &f, ct, body, airways)?
    } else {
        masks_on_grid(&coarse, lungs)
    };
    let far = shell_filter(&coarse, &f, lung)?;
    drop(t);
    let t = phase("bone");
    let front_fraction = |_x: usize, y: usize, z: usize| -> f64 {
        match slices.get(z) {
            Some(Some(sb)) => {
                (y as f64 - sb.anterior_y(&f) as f64).abs() * f.s[1] / sb.depth_mm(&f).max(1.0)
            }
            _ => 1.0,
        }
    };
    let mut bone = vec![false; n[0] * n[1] * n[2]];
    // Bone too far outside the lungs (see [`shell_filter`]), dropped once
    // thick bone is removed.
    let mut beyond_shell = vec![false; n[0] * n[1] * n[2]];
    for cz in 0..n[2] {
        let z = crop.lo[2] + cz;
        let Some(c) = track.centre[z] else { continue };
        let (hw, hd) = (track.half_width[z], track.half_depth[z]);
        for y in crop.lo[1]..crop.lo[1] + crop.n[1] {
            let row = (z * ny + y) * nx;
            for x in crop.lo[0]..crop.lo[0] + crop.n[0] {
                if data[row + x] < RIB_BONE_HU || !inner.inside(x, y, z, mx, my) {
                    continue;
                }
                let dx = (x as f64 - c[0]) * f.s[0] * f.sign[0];
                let dy = (y as f64 - c[1]) * f.s[1] * f.sign[1];
                if in_spine_zone(dx, dy, hw, hd) {
                    continue;
                }
                // Part left from right in front of the column, and leave
                // out the sternum: ribs end well lateral to it (their
                // cartilages reach it).
                if dx.abs() < 2.5 && dy < 0.0 {
                    continue;
                }
                if dx.abs() < STERNUM_HALF_WIDTH_MM && front_fraction(x, y, z) < 0.3 {
                    continue;
                }
                let i = (x - crop.lo[0]) / k + n[0] * ((y - crop.lo[1]) / k + n[1] * cz);
                bone[i] = true;
                // Beside the column (rib heads and necks, above the apex
                // for the first rib) the girdle is not near.
                let paravertebral = dx.abs() <= hw + RIB_PARAVERTEBRAL_MM && dy > -hd;
                if !paravertebral && far.as_ref().is_some_and(|d| d.0[i]) {
                    beyond_shell[i] = true;
                }
            }
        }
    }
    let _ = nz;
    drop(t);
    let t = phase("thick");
    // Thickness is judged on whole bones: the shell filter would cut the
    // humerus's ring of cortex open, and an open ring is as thin as a rib.
    remove_thick(&mut bone, &coarse, &f, &front_fraction)?;
    // What the shell filter takes, for the ribs it cuts (see
    // [`crate::rib_regrow::regrow_cut_ribs`]).
    let cut_off: Vec<bool> = bone
        .iter()
        .zip(&beyond_shell)
        .map(|(b, f)| *b && *f)
        .collect();
    for (b, beyond) in bone.iter_mut().zip(&beyond_shell) {
        *b &= !beyond;
    }
    drop(t);
    let t = phase("trace");
    let g = coarse.geometry(&f);
    let arr = ndarray::Array3::from_shape_vec((n[2], n[1], n[0]), bone)
        .map_err(|e| AisuError::Failed(e.to_string()))?;
    let vol = Volume::new(arr, g).map_err(err)?;
    let comps = label_components(&vol, Connectivity::Six).map_err(err)?;
    let voxel_ml = g.voxel_volume_mm3() / 1000.0;
    let min_voxels = (0.04 / voxel_ml).ceil() as usize;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); comps.len() + 1];
    for (i, l) in comps.labels.as_slice().iter().enumerate() {
        if *l != 0 && comps.stats[*l as usize - 1].voxel_count >= min_voxels {
            members[*l as usize].push(i);
        }
    }
    let geo = Geo {
        f,
        coarse,
        track,
        slices,
    };
    let mut ribs: Vec<RibCandidate> = Vec::new();
    let mut fragments: Vec<Vec<usize>> = Vec::new();
    for vox in members.into_iter().filter(|m| !m.is_empty()) {
        let heads = head_clusters(&geo, &vox);
        if heads.is_empty() {
            fragments.push(vox);
            continue;
        }
        for (left, z_mm, part) in split_by_heads(&geo, &vox, &heads) {
            ribs.push(RibCandidate {
                left,
                head_z_mm: z_mm,
                tubercle_z_mm: z_mm,
                long: false,
                lateral_mm: 0.0,
                height_mm: 0.0,
                fused: false,
                stub: false,
                voxels: part,
            });
        }
    }
    // Whole bones (sternum, scapula, clavicle, humerus) are not rib pieces;
    // those that may be the fronts of cut ribs are kept aside.
    let max_fragment = (20.0 / voxel_ml) as usize;
    let (large, fragments): (Vec<_>, Vec<_>) =
        fragments.into_iter().partition(|v| v.len() > max_fragment);
    link_fragments(&geo, &mut ribs, fragments);
    for r in &mut ribs {
        r.tubercle_z_mm = tubercle_z(&geo, &r.voxels).unwrap_or(r.head_z_mm);
        measure_shape(&geo, r);
    }
    drop(t);
    let _t = phase("regrow");
    let regrown = crate::rib_regrow::regrow_cut_ribs(&geo, &mut ribs, &cut_off);
    let fronts = crate::rib_regrow::front_pieces(&geo, large);
    crate::rib_regrow::link_fronts_to_regrown(&geo, &mut ribs, regrown, fronts);
    return_glued_shares(&geo, &mut ribs);
    Ok(RibDetection { coarse, ribs })
}

/// A traced rib's shape from its voxels: whether it reaches the front,
/// its lateral reach and height, and what they make it.
pub(crate) fn measure_shape(geo: &Geo, r: &mut RibCandidate) {
    r.long = geo.reaches_front(&r.voxels);
    r.lateral_mm = geo.lateral_reach(&r.voxels);
    r.height_mm = geo.height(&r.voxels);
    // A rib runs far lateral; short stubs are transverse processes or
    // costotransverse remnants.
    r.stub = r.lateral_mm < geo.min_lateral(r.head_z_mm);
    r.fused = r.height_mm > RIB1_MAX_HEIGHT_MM;
}

/// A traced rib's index and one of its points (mm).
type RibPoint = (usize, [f64; 3]);

/// Removes bone thicker than a rib (what survives an opening by a ball of
/// [`RIB_MAX_RADIUS_MM`] once holes are filled in each slice, grown back
/// by one voxel) outside the front quarter of the chest: humeri and the
/// glenoid, which touch the upper ribs.
fn remove_thick(
    bone: &mut [bool],
    c: &Coarse,
    f: &Frame,
    front_fraction: &dyn Fn(usize, usize, usize) -> f64,
) -> Result<(), AisuError> {
    let n = c.n;
    let g = c.geometry(f);
    let arr = ndarray::Array3::from_shape_vec((n[2], n[1], n[0]), bone.to_vec())
        .map_err(|e| AisuError::Failed(e.to_string()))?;
    let mut vol = Volume::new(arr, g).map_err(err)?;
    // Hollow bones (the humeral shaft's cortex round fatty marrow) count
    // by their outer section; larger holes (the chest inside a ring of
    // ribs) stay open.
    let max_hole = (std::f64::consts::PI * 9.0 * 9.0 / (g.spacing[0] * g.spacing[1])) as usize;
    let t = phase("holes");
    fill_slice_holes(vol.as_slice_mut(), n, max_hole as f64, None);
    drop(t);
    let _t = phase("open");
    let thick = volume::open(&vol, RIB_MAX_RADIUS_MM).map_err(err)?;
    let grown = volume::dilate(&thick, 1.01 * g.spacing[0]).map_err(err)?;
    // Not in the front quarter of the chest, where the clavicle lies on
    // the first rib: removing it there would cut the first rib, whose
    // reach to the front anchors the count.
    for (i, (b, t)) in bone.iter_mut().zip(grown.as_slice()).enumerate() {
        if *t {
            let p = c.full(i);
            if front_fraction(p[0] as usize, p[1] as usize, p[2] as usize) >= 0.25 {
                *b = false;
            }
        }
    }
    Ok(())
}

/// Geometry helpers over the coarse grid.
pub(crate) struct Geo<'a> {
    pub f: Frame,
    pub coarse: Coarse,
    pub track: &'a SpineTrack,
    pub slices: &'a [Option<SliceBody>],
}

impl Geo<'_> {
    /// Patient mm of a coarse voxel.
    pub fn mm(&self, i: usize) -> [f64; 3] {
        self.f.mm(self.coarse.full(i))
    }

    /// Offset from the track (dx left, dy posterior, mm), half width and
    /// half depth of the body there; `None` off the track.
    pub fn offset(&self, i: usize) -> Option<(f64, f64, f64, f64)> {
        let p = self.coarse.full(i);
        let z = p[2] as usize;
        let c = self.track.centre.get(z).copied().flatten()?;
        Some((
            (p[0] - c[0]) * self.f.s[0] * self.f.sign[0],
            (p[1] - c[1]) * self.f.s[1] * self.f.sign[1],
            self.track.half_width[z],
            self.track.half_depth[z],
        ))
    }

    fn reaches_front(&self, vox: &[usize]) -> bool {
        vox.iter().any(|&i| {
            let p = self.coarse.full(i);
            let Some(Some(sb)) = self.slices.get(p[2] as usize) else {
                return false;
            };
            let ant = sb.anterior_y(&self.f) as f64;
            let depth = sb.depth_mm(&self.f).max(1.0);
            let from_front = (p[1] - ant).abs() * self.f.s[1];
            from_front / depth < 0.45
        })
    }

    pub(crate) fn lateral_reach(&self, vox: &[usize]) -> f64 {
        vox.iter()
            .filter_map(|&i| self.offset(i).map(|o| o.0.abs() - o.2))
            .fold(0.0, f64::max)
    }

    /// Craniocaudal extent of voxels, mm.
    pub(crate) fn height(&self, vox: &[usize]) -> f64 {
        let (lo, hi) = vox
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &i| {
                let z = self.mm(i)[2];
                (a.0.min(z), a.1.max(z))
            });
        if hi >= lo { hi - lo + self.f.s[2] } else { 0.0 }
    }

    /// Least lateral reach beyond the body's edge for a rib, mm.
    fn min_lateral(&self, _z_mm: f64) -> f64 {
        38.0
    }
}

/// Patient z (mm) of a rib where it leaves the costotransverse joint:
/// the median height of its voxels in a band [`RIB_TUBERCLE_BAND_MM`]
/// lateral to the vertebral body's edge, behind the body's centre. The
/// tubercle articulates with the transverse process of the rib's own
/// vertebra at about the body's mid-height, and the rib runs nearly level
/// there before it turns down at its angle, so this height falls inside
/// the rib's own level, away from the discs (the head itself articulates
/// across the disc above for ribs 2-9: Gray's Anatomy, 42nd ed., ch. 53).
fn tubercle_z(geo: &Geo, vox: &[usize]) -> Option<f64> {
    let (lo, hi) = RIB_TUBERCLE_BAND_MM;
    let zs: Vec<f64> = vox
        .iter()
        .filter_map(|&i| {
            let (dx, dy, hw, hd) = geo.offset(i)?;
            let out = dx.abs() - hw;
            (out >= lo && out <= hi && dy >= 0.3 * hd).then(|| geo.mm(i)[2])
        })
        .collect();
    if zs.len() < 3 {
        return None;
    }
    crate::skeleton::median(&zs)
}

/// Parts a component among its heads by geodesic (26-connected BFS)
/// growth from each head.
fn split_by_heads(
    geo: &Geo,
    vox: &[usize],
    heads: &[(bool, f64, Vec<usize>)],
) -> Vec<(bool, f64, Vec<usize>)> {
    if heads.len() == 1 {
        return vec![(heads[0].0, heads[0].1, vox.to_vec())];
    }
    let mut owner: HashMap<usize, usize> = vox.iter().map(|&i| (i, usize::MAX)).collect();
    let mut queue = VecDeque::new();
    for (h, (_, _, seeds)) in heads.iter().enumerate() {
        for &s in seeds {
            if let Some(o) = owner.get_mut(&s)
                && *o == usize::MAX
            {
                *o = h;
                queue.push_back(s);
            }
        }
    }
    while let Some(i) = queue.pop_front() {
        let h = owner[&i];
        for_each_neighbour26(geo.coarse.n, i, |j| {
            if let Some(o) = owner.get_mut(&j)
                && *o == usize::MAX
            {
                *o = h;
                queue.push_back(j);
            }
        });
    }
    let mut parts: Vec<Vec<usize>> = vec![Vec::new(); heads.len()];
    for (i, o) in owner {
        if let Some(p) = parts.get_mut(o) {
            p.push(i);
        }
    }
    heads
        .iter()
        .zip(parts)
        .map(|((side, z, _), p)| (*side, *z, p))
        .collect()
}

/// Gives back to the ribs below it what a top rib fused with the shoulder
/// girdle took from them.
///
/// On the tracing grid the upper ribs touch each other and the girdle's
/// hollow bones (which the thick-bone removal misses): one piece, taller
/// than any single upper rib ([`RIB1_MAX_HEIGHT_MM`]), holds the front of
/// the rib below, whose back is traced on its own but stops short of the
/// front. The piece is shared by geodesic growth between its own head and
/// the voxels next to each such rib (within [`RIB_LINK_MM`]).
fn return_glued_shares(geo: &Geo, ribs: &mut [RibCandidate]) {
    for left in [true, false] {
        let mut side: Vec<usize> = (0..ribs.len())
            .filter(|&r| ribs[r].left == left && !ribs[r].stub)
            .collect();
        side.sort_by(|a, b| ribs[*b].head_z_mm.total_cmp(&ribs[*a].head_z_mm));
        // The upper chest: the top three ribs of the side.
        let Some(&g) = side
            .iter()
            .take(3)
            .find(|&&r| ribs[r].long && ribs[r].fused)
        else {
            continue;
        };
        let glued = &ribs[g];
        let own: Vec<usize> = head_clusters(geo, &glued.voxels)
            .into_iter()
            .filter(|c| c.0 == left)
            .min_by(|a, b| {
                (a.1 - glued.head_z_mm)
                    .abs()
                    .total_cmp(&(b.1 - glued.head_z_mm).abs())
            })
            .map(|c| c.2)
            .unwrap_or_default();
        if own.is_empty() {
            continue;
        }
        let own_set: std::collections::HashSet<usize> = own.iter().copied().collect();
        let pts: Vec<(usize, [f64; 3])> = glued
            .voxels
            .iter()
            .filter(|i| !own_set.contains(i))
            .map(|&i| (i, geo.mm(i)))
            .collect();
        let mut heads = vec![(left, glued.head_z_mm, own)];
        let mut donors = Vec::new();
        for &d in &side {
            let r = &ribs[d];
            if d == g || r.long || r.head_z_mm >= glued.head_z_mm {
                continue;
            }
            // Seeds next to the rib's broken end only (its outermost
            // centimetre): along its back it runs beside the piece's own rib.
            let theirs: Vec<[f64; 3]> = r
                .voxels
                .iter()
                .filter(|&&i| {
                    geo.offset(i)
                        .is_some_and(|o| o.0.abs() - o.2 >= r.lateral_mm - 10.0)
                })
                .map(|&i| geo.mm(i))
                .collect();
            let seeds: Vec<usize> = pts
                .iter()
                .filter(|(_, p)| {
                    theirs.iter().any(|q| {
                        (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)
                            <= RIB_LINK_MM * RIB_LINK_MM
                    })
                })
                .map(|(i, _)| *i)
                .collect();
            if !seeds.is_empty() {
                heads.push((left, r.head_z_mm, seeds));
                donors.push(d);
            }
        }
        if donors.is_empty() {
            continue;
        }
        let parts = split_by_heads(geo, &ribs[g].voxels, &heads);
        for (k, (_, _, part)) in parts.into_iter().enumerate() {
            if k == 0 {
                ribs[g].voxels = part;
            } else {
                ribs[donors[k - 1]].voxels.extend(part);
            }
        }
        // The fused piece keeps its traced reach (`long`, `fused`) for the
        // level count, which judges the first rib as traced.
        for r in std::iter::once(g).chain(donors) {
            let v = &ribs[r].voxels;
            let (long, lateral, height) =
                (geo.reaches_front(v), geo.lateral_reach(v), geo.height(v));
            let rib = &mut ribs[r];
            rib.long |= long && r != g;
            rib.lateral_mm = lateral;
            rib.height_mm = height;
        }
    }
}

/// Adds pieces that do not reach the column to the nearest rib on their
/// side, repeatedly, so that chains of pieces follow a rib round the chest.
pub(crate) fn link_fragments(geo: &Geo, ribs: &mut [RibCandidate], mut fragments: Vec<Vec<usize>>) {
    let cell = RIB_LINK_MM;
    let key = |p: [f64; 3]| {
        (
            (p[0] / cell).floor() as i64,
            (p[1] / cell).floor() as i64,
            (p[2] / cell).floor() as i64,
        )
    };
    let mut grid: HashMap<(i64, i64, i64), Vec<RibPoint>> = HashMap::new();
    for (r, rib) in ribs.iter().enumerate() {
        for &i in &rib.voxels {
            let p = geo.mm(i);
            grid.entry(key(p)).or_default().push((r, p));
        }
    }
    for _pass in 0..8 {
        let mut changed = false;
        let mut rest = Vec::new();
        for frag in fragments {
            let side = {
                let s: f64 = frag
                    .iter()
                    .filter_map(|&i| geo.offset(i))
                    .map(|o| o.0)
                    .sum();
                s / frag.len().max(1) as f64
            };
            let mut best: Option<(f64, usize)> = None;
            // Sample the fragment for speed: every voxel of small pieces.
            let stride = (frag.len() / 400).max(1);
            for &i in frag.iter().step_by(stride) {
                let p = geo.mm(i);
                let (a, b, c) = key(p);
                for da in -1..=1 {
                    for db in -1..=1 {
                        for dc in -1..=1 {
                            let Some(list) = grid.get(&(a + da, b + db, c + dc)) else {
                                continue;
                            };
                            for (r, q) in list {
                                let d = ((p[0] - q[0]).powi(2)
                                    + (p[1] - q[1]).powi(2)
                                    + (p[2] - q[2]).powi(2))
                                .sqrt();
                                if d <= RIB_LINK_MM && best.is_none_or(|b| d < b.0) {
                                    best = Some((d, *r));
                                }
                            }
                        }
                    }
                }
            }
            match best {
                Some((_, r)) if (side > 0.0) == ribs[r].left && side.abs() > 12.0 => {
                    for &i in &frag {
                        let p = geo.mm(i);
                        grid.entry(key(p)).or_default().push((r, p));
                    }
                    ribs[r].voxels.extend(frag);
                    changed = true;
                }
                _ => rest.push(frag),
            }
        }
        fragments = rest;
        if !changed {
            break;
        }
    }
}
