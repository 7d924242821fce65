//! `airad.spine`: the vertebrae C7-L2 in view, each labelled by level
//! (body and posterior elements), the spinal canal, the vertebral body
//! centres and endplate centres, and the column's centreline.
//!
//! Method: the column is tracked and its disc spaces found along it
//! ([`crate::spine_track`]); the levels between discs are named by
//! counting from the ribs ([`crate::ribs_detect`]), as radiologists do:
//! the first rib pair that reaches the front of the chest (the manubrium)
//! articulates with T1, so counting starts there when the level above it
//! is in view; the lowest rib pair is taken as T12 when a rib-free level
//! is in view below it (this assumes 12 rib pairs). Each side gives both
//! counts and they are weighed against each other ([`name_levels`]): a
//! "first rib" fused with the shoulder girdle is not trusted, and a count
//! the anchors disagree on is "limited"; failing
//! both, the carina (at T4-T5: Mi et al., Surg Radiol Anat 2015) gives a
//! guess, and `values:spine` says "limited". Each bony voxel of the
//! vertebral zone takes the level of the disc planes around it, the planes
//! being tilted down behind the body for the steep thoracic spinous
//! processes. The canal is the low-density region grown in each slice
//! from just behind the vertebral body.
//!
//! The unit hands its traced ribs on to `airad.ribs` as
//! `values:rib_candidates` ([`crate::rib_candidates`]), and needs no lung
//! mask: the ribs' lung shell is the CT's aerated lung
//! ([`crate::rib_shell`]).

use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Centreline, Context, Landmarks, Manifest, Mask};
use serde_json::json;
use volume::Volume;

use crate::constants::{
    BONE_MASK_HU, CARINA_LEVELS, RIB1_PIECE_MIN_LATERAL_MM, SPINE_BODY_HU, SPINE_LEVEL_MM,
};
use crate::rib_candidates::{self, RIB_CANDIDATES};
use crate::ribs_detect::{RibCandidate, RibDetection, detect_ribs, in_spine_zone};
use crate::skeleton::{Crop, body_slices, masks_from_labels, median};
use crate::spine_track::{Disc, SpineTrack, find_discs, track_spine};
use crate::util::phase;

/// Level names from C7 (index 0) to L2 (index 14).
pub const LEVELS: [&str; 15] = [
    "C7", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2",
];

/// The spine unit.
pub struct Spine {
    manifest: Manifest,
}

impl Default for Spine {
    fn default() -> Self {
        let mut produces: Vec<String> = LEVELS
            .iter()
            .map(|l| format!("mask:vertebra_{l}"))
            .collect();
        produces.extend(
            [
                "mask:spinal_canal",
                "landmarks:vertebrae",
                "centreline:spine",
                "values:spine",
                RIB_CANDIDATES,
            ]
            .map(String::from),
        );
        let refs: Vec<&str> = produces.iter().map(String::as_str).collect();
        Spine {
            manifest: Manifest::new(
                "airad.spine",
                env!("CARGO_PKG_VERSION"),
                "Vertebrae C7-L2 labelled by level, spinal canal, body and endplate centres",
            )
            .requires(&["mask:body"])
            .optional(&["landmarks:airway", "mask:trachea", "mask:bronchi"])
            .produces(&refs)
            .resources(1, 1200, 60.0)
            .typical(3.3),
        }
    }
}

/// One level between two discs (patient z, mm; superior positive).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    /// Upper bound (disc centre above, or the top of the track).
    pub top: f64,
    /// Lower bound.
    pub bottom: f64,
    /// Superior endplate height, when the disc above is in view.
    pub superior: Option<f64>,
    /// Inferior endplate height, when the disc below is in view.
    pub inferior: Option<f64>,
    /// The label its voxels carry in the column's label map (one more
    /// than the number of discs above it): end slivers too short to name
    /// are dropped from the segments but keep their label, so the two
    /// never drift apart.
    pub label: u8,
}

/// How the levels were named.
#[derive(Debug, Clone)]
pub(crate) struct Naming {
    /// Name index (0 = C7) of segment 0.
    pub first: i64,
    /// "first_rib", "last_rib", "carina", "last_rib_assumed" or "none".
    pub anchor: &'static str,
    /// True when the count could not be anchored on both ends of the
    /// thoracic cage or the anchors disagree.
    pub limited: bool,
    /// Name index of the lowest rib-bearing level, if any.
    pub last_rib: Option<i64>,
    /// Name index of the highest rib-bearing level, if any.
    pub first_rib: Option<i64>,
}

impl Aisu for Spine {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let body = ctx.mask("mask:body")?;
        // The carina only helps when the ribs cannot anchor the count.
        let carina_z = ctx
            .landmarks("landmarks:airway")
            .ok()
            .and_then(|l| l.get("carina").map(|p| p[2]));
        // The ribs' lung shell comes from the aerated lung without the
        // airways (see [`crate::rib_shell`]), not from the lungs unit,
        // which would put the lungs on the pathway's critical path.
        let airways: Vec<Arc<Mask>> = ["mask:trachea", "mask:bronchi"]
            .iter()
            .filter_map(|n| ctx.mask_opt(n).ok().flatten())
            .collect();
        let airways: Vec<&Mask> = airways.iter().map(|m| &**m).collect();
        let result = analyse(ct, &body, &airways, carina_z)?;
        publish(ctx, ct, result)
    }
}

/// Everything the unit found.
pub(crate) struct SpineResult {
    track: SpineTrack,
    discs: Vec<Disc>,
    segments: Vec<Segment>,
    naming: Naming,
    crop: Crop,
    labels: Vec<u8>,
    ribs: RibDetection,
}

/// Tracks the column, finds discs and ribs, names the levels and labels
/// the vertebral voxels. `carina_lps_z` is the carina's LPS z when known.
pub(crate) fn analyse(
    ct: &Volume<i16>,
    body: &Mask,
    airways: &[&Mask],
    carina_lps_z: Option<f64>,
) -> Result<SpineResult, AisuError> {
    let t = phase("track");
    let (track, crop, smooth) = track_spine(ct, body)?;
    drop(t);
    let t = phase("discs");
    let discs = find_discs(&track, &crop, &smooth);
    drop(t);
    let f = track.frame;
    let slices = body_slices(body, f.dims[2]);
    let t = phase("ribs");
    let ribs = detect_ribs(ct, body, &slices, &track, &[], airways)?;
    drop(t);
    let segments = segments(&track, &discs);
    // Carina: LPS z to patient z (same axis up to the origin).
    let carina = carina_lps_z.map(|z| {
        let g = ct.geometry();
        let zi = (z - g.origin[2]) / (g.direction[2][2] * g.spacing[2]);
        f.z_mm(0) + zi * f.s[2] * f.sign[2]
    });
    let naming = name_levels(&segments, &ribs.ribs, carina);
    for r in &ribs.ribs {
        tracing::debug!(
            left = r.left,
            head_z = r.head_z_mm,
            tubercle_z = r.tubercle_z_mm,
            long = r.long,
            lateral = r.lateral_mm,
            height = r.height_mm,
            stub = r.stub,
            fused = r.fused,
            segment = ?segment_of_rib(&segments, r.tubercle_z_mm),
            "rib traced"
        );
    }
    tracing::debug!(
        track = ?track.z_range_mm(),
        discs = ?discs.iter().map(|d| (d.z_mm.round(), d.inferred)).collect::<Vec<_>>(),
        segments = ?segments.iter().map(|s| (s.top.round(), s.bottom.round())).collect::<Vec<_>>(),
        "column parted"
    );
    tracing::debug!(?naming, segments = segments.len(), "levels named");
    let t = phase("label");
    let labels = label_voxels(ct, &track, &crop, &smooth, &discs);
    drop(t);
    Ok(SpineResult {
        track,
        discs,
        segments,
        naming,
        crop,
        labels,
        ribs,
    })
}

/// The levels between consecutive discs, top to bottom; partial levels at
/// the ends of the track are kept when at least 8 mm of them is in view
/// (the end slices count with their whole thickness).
/// Each keeps the label its voxels carry in the label map (the count of
/// discs above plus one), so a dropped top sliver shifts no name.
fn segments(track: &SpineTrack, discs: &[Disc]) -> Vec<Segment> {
    let Some((lo, hi)) = track.z_range_mm() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut top = hi;
    let mut superior = None;
    let label = |above: usize| (above + 1).min(254) as u8;
    // The end slices of the track show half a slice beyond their centres.
    let half_slice = 0.5 * track.frame.s[2];
    for (above, d) in discs.iter().enumerate() {
        let beyond = if above == 0 { half_slice } else { 0.0 };
        if top - d.z_mm + beyond >= 8.0 {
            out.push(Segment {
                top,
                bottom: d.z_mm,
                superior,
                inferior: Some(d.upper_mm),
                label: label(above),
            });
        }
        top = d.z_mm;
        superior = Some(d.lower_mm);
    }
    let beyond = if discs.is_empty() {
        2.0 * half_slice
    } else {
        half_slice
    };
    if top - lo + beyond >= 8.0 {
        out.push(Segment {
            top,
            bottom: lo,
            superior,
            inferior: None,
            label: label(discs.len()),
        });
    }
    out
}

/// Typical level height of the segments (full ones), mm.
pub(crate) fn level_height(segments: &[Segment]) -> f64 {
    let full: Vec<f64> = segments
        .iter()
        .filter(|s| s.superior.is_some() && s.inferior.is_some())
        .map(|s| s.top - s.bottom)
        .collect();
    median(&full).unwrap_or(SPINE_LEVEL_MM)
}

/// The segment whose vertebra bears a rib, from the rib's height at its
/// tubercle ([`RibCandidate::tubercle_z_mm`]), which lies near its own
/// vertebra's mid-height.
pub(crate) fn segment_of_rib(segments: &[Segment], tubercle_z: f64) -> Option<usize> {
    segments
        .iter()
        .position(|s| tubercle_z <= s.top && tubercle_z > s.bottom)
}

/// The segment of a rib for the level count: [`segment_of_rib`], or the
/// end segment when the rib's tubercle lies just beyond a partial end
/// segment (the scan cuts the vertebra, the rib is still its own).
pub(crate) fn count_segment_of_rib(segments: &[Segment], tubercle_z: f64, h: f64) -> Option<usize> {
    if let Some(k) = segment_of_rib(segments, tubercle_z) {
        return Some(k);
    }
    let (first, last) = (segments.first()?, segments.last()?);
    if last.inferior.is_none() && tubercle_z <= last.bottom && tubercle_z > last.bottom - 0.5 * h {
        return Some(segments.len() - 1);
    }
    if first.superior.is_none() && tubercle_z > first.top && tubercle_z <= first.top + 0.5 * h {
        return Some(0);
    }
    None
}

/// One reading of the level count: the name index of segment 0 and how
/// much it is trusted.
#[derive(Debug, Clone, Copy)]
struct Vote {
    first: i64,
    weight: u32,
    top: bool,
}

/// Names the segments by counting from the ribs (see the module docs).
///
/// Each side gives a count from the top (its first rib reaching the
/// front, when the level above is in view, articulates with T1) and one
/// from the bottom (its lowest rib, when a rib-free level is in view
/// below, is taken as the 12th). A top rib taller than
/// [`crate::constants::RIB1_MAX_HEIGHT_MM`] is not a first rib but ribs glued to the
/// shoulder girdle (the girdle's hollow bones survive the thick-bone
/// removal); when rib pieces (necks cut from their shafts) lie on the
/// level above, that level bears the first rib, and so it does when
/// pieces lie on both sides there, one running round the side (rib 1
/// broken by thick slices, [`RIB1_PIECE_MIN_LATERAL_MM`]). A first rib on
/// the top segment counts it as T1 when the disc above is in view and the
/// carina, if found, then lies at T3-T6. The reading with most
/// weight wins (a sound first rib outweighs the bottom count, which is
/// wrong with 11 or 13 pairs); disagreement makes the count "limited".
pub(crate) fn name_levels(
    segments: &[Segment],
    ribs: &[RibCandidate],
    carina_z: Option<f64>,
) -> Naming {
    let n = segments.len();
    let h = level_height(segments);
    // Per side (0 left, 1 right): ribs per segment, long ribs' greatest
    // height per segment; pieces (stubs included) per segment.
    let mut any = [vec![false; n], vec![false; n]];
    let mut long: [Vec<Option<bool>>; 2] = [vec![None; n], vec![None; n]];
    let mut piece = vec![false; n];
    let mut piece_side = [vec![false; n], vec![false; n]];
    // Per segment: a rib piece that does not reach the front but runs
    // round the side, further than a cervical rib ([`RIB1_PIECE_MIN_LATERAL_MM`]).
    let mut rib1_piece = vec![false; n];
    for r in ribs {
        let Some(k) = count_segment_of_rib(segments, r.tubercle_z_mm, h) else {
            continue;
        };
        piece[k] = true;
        piece_side[usize::from(!r.left)][k] = true;
        if r.stub {
            continue;
        }
        if !r.long && r.lateral_mm >= RIB1_PIECE_MIN_LATERAL_MM {
            rib1_piece[k] = true;
        }
        let s = usize::from(!r.left);
        any[s][k] = true;
        if r.long {
            long[s][k] = Some(long[s][k].unwrap_or(false) || r.fused);
        }
    }
    // The carina lies at T3-T6 ([`CARINA_LEVELS`]): the segment index it
    // gives, if known.
    let carina_segment = carina_z.and_then(|c| {
        segments
            .iter()
            .position(|s| c - 0.3 * h <= s.top && c - 0.3 * h > s.bottom)
    });
    let mut votes: Vec<Vote> = Vec::new();
    for s in 0..2 {
        let first_long = (0..n).find(|&k| long[s][k].is_some());
        // A first rib on the top segment, with the disc above it in view
        // (too little of the level above to name) and the carina, when
        // found, where it lies below T1: the top segment is T1.
        if first_long == Some(0)
            && long[s][0] == Some(false)
            && segments[0].superior.is_some()
            && carina_segment.is_none_or(|k| CARINA_LEVELS.contains(&(k as i64 + 1)))
        {
            votes.push(Vote {
                first: 1,
                weight: 2,
                top: true,
            });
        }
        if let Some(t) = first_long
            && t >= 1
        {
            // Rib 1 broken into pieces on thick slices: a piece running
            // round the side on the level above, and pieces on both sides
            // there, make this first long rib the second.
            let rib1_above = rib1_piece[t - 1] && piece_side[0][t - 1] && piece_side[1][t - 1];
            let sound = long[s][t] == Some(false) && !rib1_above;
            let vote = if sound {
                Vote {
                    first: 1 - t as i64,
                    weight: 3,
                    top: true,
                }
            } else if piece[t - 1] || rib1_above {
                Vote {
                    first: 2 - t as i64,
                    weight: 2,
                    top: true,
                }
            } else {
                Vote {
                    first: 1 - t as i64,
                    weight: 1,
                    top: true,
                }
            };
            votes.push(vote);
        }
        if let Some(b) = (0..n).rev().find(|&k| any[s][k])
            && b + 1 < n
        {
            votes.push(Vote {
                first: 12 - b as i64,
                weight: 1,
                top: false,
            });
        }
    }
    let any_side = |k: usize| any[0][k] || any[1][k];
    let best = votes
        .iter()
        .map(|v| {
            let w: u32 = votes
                .iter()
                .filter(|u| u.first == v.first)
                .map(|u| u.weight)
                .sum();
            (w, v.top, v.first)
        })
        .max();
    let (first, anchor, limited) = match best {
        // A rib reaching the front above T1 would be a cervical rib (in
        // under 1% of people): more likely a first rib whose partner was
        // missed, so the count is flagged for a reader to confirm.
        Some((_, top, first)) => (
            first,
            if top { "first_rib" } else { "last_rib" },
            votes.iter().any(|v| v.first != first)
                || (0..n).any(|k| first + k as i64 <= 0 && long.iter().any(|l| l[k].is_some())),
        ),
        None => {
            let last_any = (0..n).rev().find(|&k| any_side(k));
            match (carina_segment, last_any) {
                (Some(k), _) => (5 - k as i64, "carina", true),
                (None, Some(b)) => (12 - b as i64, "last_rib_assumed", true),
                (None, None) => (0, "none", true),
            }
        }
    };
    let rib_levels: Vec<i64> = (0..n)
        .filter(|&k| any_side(k))
        .map(|k| first + k as i64)
        .collect();
    Naming {
        first,
        anchor,
        limited,
        last_rib: rib_levels.last().copied(),
        first_rib: rib_levels.first().copied(),
    }
}

/// Labels every bony voxel of the vertebral zone in the crop with its
/// segment index + 1 (0: none; the canal gets 255).
fn label_voxels(
    ct: &Volume<i16>,
    track: &SpineTrack,
    crop: &Crop,
    smooth: &[f32],
    discs: &[Disc],
) -> Vec<u8> {
    let f = track.frame;
    let planes: Vec<([f64; 3], [f64; 3])> = discs
        .iter()
        .filter_map(|d| {
            track
                .point_mm(d.z_mm)
                .map(|c| (c, track.tangent_mm(d.z_mm)))
        })
        .collect();
    let [nx, ny, _] = f.dims;
    let data = ct.as_slice();
    let [cx, cy, cz] = crop.n;
    let mut labels = vec![0u8; crop.len()];
    for z in 0..cz {
        let zf = z + crop.lo[2];
        let Some(c) = track.centre[zf] else { continue };
        let (hw, hd) = (track.half_width[zf], track.half_depth[zf]);
        for y in 0..cy {
            for x in 0..cx {
                let (gx, gy) = (x + crop.lo[0], y + crop.lo[1]);
                let i = x + cx * (y + cy * z);
                let dx = (gx as f64 - c[0]) * f.s[0] * f.sign[0];
                let dy = (gy as f64 - c[1]) * f.s[1] * f.sign[1];
                if !in_spine_zone(dx, dy, hw, hd) {
                    continue;
                }
                let v = data[gx + nx * (gy + ny * zf)];
                let core = dy < 0.6 * hd && dx.abs() < hw && smooth[i] >= SPINE_BODY_HU;
                if v < BONE_MASK_HU && !core {
                    continue;
                }
                let mut p = f.mm([gx as f64, gy as f64, zf as f64]);
                p[2] += 0.5 * (dy - (hd + 20.0)).max(0.0);
                let level = planes
                    .iter()
                    .take_while(|(q, t)| {
                        (p[0] - q[0]) * t[0] + (p[1] - q[1]) * t[1] + (p[2] - q[2]) * t[2] < 0.0
                    })
                    .count();
                labels[i] = (level + 1).min(254) as u8;
            }
        }
    }
    canal(ct, track, crop, smooth, &mut labels);
    labels
}

/// Grows the spinal canal in each slice from just behind the vertebral
/// body through low-density pixels (cord, CSF, epidural fat), at most 12
/// mm from the seed; its pixels get label 255.
fn canal(ct: &Volume<i16>, track: &SpineTrack, crop: &Crop, smooth: &[f32], labels: &mut [u8]) {
    let f = track.frame;
    let [cx, cy, cz] = crop.n;
    let _ = ct;
    for z in 0..cz {
        let zf = z + crop.lo[2];
        let Some(c) = track.centre[zf] else { continue };
        let hd = track.half_depth[zf];
        let base = cx * cy * z;
        let low = |x: usize, y: usize| {
            let v = smooth[base + x + cx * y];
            (-250.0..70.0).contains(&v)
        };
        // Seed: the first low pixel behind the body along the AP line.
        let mut seed = None;
        for k in 0..30 {
            let off = hd + 2.0 + k as f64 * 0.5;
            let sy = c[1] + off / (f.s[1] * f.sign[1]);
            let (sx, sy) = (
                c[0].round() as i64 - crop.lo[0] as i64,
                sy.round() as i64 - crop.lo[1] as i64,
            );
            if sx < 0 || sy < 0 || sx >= cx as i64 || sy >= cy as i64 {
                break;
            }
            if low(sx as usize, sy as usize) {
                // Step 5 mm further in: the canal's middle.
                let mid = c[1] + (off + 5.0) / (f.s[1] * f.sign[1]);
                let my = mid.round() as i64 - crop.lo[1] as i64;
                if my >= 0 && my < cy as i64 && low(sx as usize, my as usize) {
                    seed = Some((sx as usize, my as usize));
                } else {
                    seed = Some((sx as usize, sy as usize));
                }
                break;
            }
        }
        let Some((sx, sy)) = seed else { continue };
        let mut stack = vec![(sx, sy)];
        let r2 = 12.0f64 * 12.0;
        while let Some((x, y)) = stack.pop() {
            let i = base + x + cx * y;
            if labels[i] != 0 {
                continue;
            }
            labels[i] = 255;
            for (dx, dy) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
                let (qx, qy) = (x as i64 + dx, y as i64 + dy);
                if qx < 0 || qy < 0 || qx >= cx as i64 || qy >= cy as i64 {
                    continue;
                }
                let (qx, qy) = (qx as usize, qy as usize);
                let ddx = (qx as f64 - sx as f64) * f.s[0];
                let ddy = (qy as f64 - sy as f64) * f.s[1];
                if ddx * ddx + ddy * ddy <= r2 && labels[base + qx + cx * qy] == 0 && low(qx, qy) {
                    stack.push((qx, qy));
                }
            }
        }
    }
}

/// Publishes masks, landmarks, centreline and values.
fn publish(ctx: &mut Context<'_>, ct: &Volume<i16>, r: SpineResult) -> Result<(), AisuError> {
    let g = *ct.geometry();
    let f = r.track.frame;
    let to_lps = |p: [f64; 3]| g.index_to_lps(f.index(p));
    // Segment k carries its own label and has name index first + k.
    let mut wanted: Vec<u8> = Vec::new();
    let mut name_of: Vec<(u8, usize)> = Vec::new();
    for (k, seg) in r.segments.iter().enumerate() {
        let idx = r.naming.first + k as i64;
        if r.naming.anchor != "none" && (0..15).contains(&idx) && seg.label < 254 {
            wanted.push(seg.label);
            name_of.push((seg.label, idx as usize));
        }
    }
    wanted.push(255);
    let masks = masks_from_labels(&g, &r.crop, &r.labels, &wanted);
    let mut published = [false; 15];
    for (label, mask) in masks {
        if label == 255 {
            if mask.is_empty() {
                ctx.absent("mask:spinal_canal", "spinal canal not found")?;
            } else {
                ctx.put_mask("mask:spinal_canal", mask)?;
            }
            continue;
        }
        let Some(&(_, idx)) = name_of.iter().find(|(l, _)| *l == label) else {
            continue;
        };
        if mask.is_empty() {
            continue;
        }
        published[idx] = true;
        ctx.put_mask(&format!("mask:vertebra_{}", LEVELS[idx]), mask)?;
    }
    let reason = if r.naming.anchor == "none" {
        "vertebral levels could not be anchored (no rib or carina in view)"
    } else {
        "not in field of view"
    };
    for (idx, name) in LEVELS.iter().enumerate() {
        if !published[idx] {
            ctx.absent(&format!("mask:vertebra_{name}"), reason)?;
        }
    }
    // Landmarks: body centre, superior and inferior endplate centres.
    let mut lm = Landmarks::new();
    for &(label, idx) in &name_of {
        let Some(&s) = r.segments.iter().find(|s| s.label == label) else {
            continue;
        };
        let name = LEVELS[idx];
        let top = s.superior.unwrap_or(s.top);
        let bottom = s.inferior.unwrap_or(s.bottom);
        if let Some(p) = r.track.point_mm(0.5 * (top + bottom)) {
            lm.insert(name.to_string(), to_lps(p));
        }
        if let Some(z) = s.superior
            && let Some(p) = r.track.point_mm(z)
        {
            lm.insert(format!("{name}_superior"), to_lps(p));
        }
        if let Some(z) = s.inferior
            && let Some(p) = r.track.point_mm(z)
        {
            lm.insert(format!("{name}_inferior"), to_lps(p));
        }
    }
    ctx.put("landmarks:vertebrae", Artefact::Landmarks(Arc::new(lm)))?;
    // Centreline: one point per slice, radius = half width, level name.
    let mut cl = Centreline::default();
    for z in (0..f.dims[2]).rev() {
        let z = if f.sign[2] > 0.0 {
            z
        } else {
            f.dims[2] - 1 - z
        };
        let Some(c) = r.track.centre[z] else { continue };
        let p = f.mm([c[0], c[1], z as f64]);
        let level = r
            .segments
            .iter()
            .position(|s| p[2] <= s.top && p[2] > s.bottom)
            .map(|k| r.naming.first + k as i64)
            .filter(|i| (0..15).contains(i) && r.naming.anchor != "none")
            .map(|i| LEVELS[i as usize].to_string())
            .unwrap_or_default();
        cl.points.push(to_lps(p));
        cl.radii_mm.push(r.track.half_width[z]);
        cl.segments.push(level);
    }
    ctx.put("centreline:spine", Artefact::Centreline(Arc::new(cl)))?;
    let name = |i: Option<i64>| {
        i.and_then(|i| usize::try_from(i).ok())
            .and_then(|i| LEVELS.get(i).copied())
    };
    let values = json!({
        "anchor": r.naming.anchor,
        "limited": r.naming.limited,
        "levels_in_view": name_of.iter().map(|(_, i)| LEVELS[*i]).collect::<Vec<_>>(),
        "first_rib_level": name(r.naming.first_rib),
        "last_rib_level": name(r.naming.last_rib),
        "discs_found": r.discs.iter().filter(|d| !d.inferred).count(),
        "discs_inferred": r.discs.iter().filter(|d| d.inferred).count(),
        "ribs_traced": r.ribs.ribs.iter().filter(|rib| !rib.stub).count(),
    });
    ctx.put("values:spine", Artefact::Values(Arc::new(values)))?;
    ctx.put(
        RIB_CANDIDATES,
        Artefact::Values(Arc::new(rib_candidates::encode(&r.ribs))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skeleton::Frame;

    /// `n` full levels of 25 mm from z = 0 down.
    fn levels(n: usize) -> Vec<Segment> {
        (0..n)
            .map(|k| {
                let top = -25.0 * k as f64;
                Segment {
                    top,
                    bottom: top - 25.0,
                    superior: Some(top - 2.0),
                    inferior: Some(top - 23.0),
                    label: k as u8 + 1,
                }
            })
            .collect()
    }

    /// A straight column of a scan of `n` slices of 2.5 mm (slice 0 at
    /// z = 0, superior up), tracked on the slices `tracked`.
    fn straight_track(n: usize, tracked: std::ops::Range<usize>) -> SpineTrack {
        let g = volume::Geometry::new([8, 8, n], [1.0, 1.0, 2.5], [0.0; 3]);
        SpineTrack {
            frame: Frame::new(&g).unwrap(),
            centre: (0..n)
                .map(|z| tracked.contains(&z).then_some([4.0, 4.0]))
                .collect(),
            half_width: vec![15.0; n],
            half_depth: vec![12.0; n],
        }
    }

    fn disc(z_mm: f64) -> Disc {
        Disc {
            z_mm,
            upper_mm: z_mm + 2.0,
            lower_mm: z_mm - 2.0,
            inferred: false,
        }
    }

    #[test]
    fn a_dropped_top_sliver_keeps_the_labels_of_the_levels_below() {
        let discs = [270.0, 250.0, 230.0].map(disc);
        // Tracked to 297.5 mm: the level above the first disc is in view
        // and every level's label follows the discs above it.
        let segs = segments(&straight_track(120, 0..120), &discs);
        let got: Vec<(f64, f64, u8)> = segs.iter().map(|s| (s.top, s.bottom, s.label)).collect();
        assert_eq!(
            got,
            vec![
                (297.5, 270.0, 1),
                (270.0, 250.0, 2),
                (250.0, 230.0, 3),
                (230.0, 0.0, 4)
            ]
        );
        // Tracked to 275 mm, 5 mm above the first disc: that sliver is not
        // a level, and the next keeps the label its voxels carry (2).
        let segs = segments(&straight_track(120, 0..111), &discs);
        assert_eq!((segs[0].top, segs[0].label), (270.0, 2));
        assert_eq!(segs.len(), 3);
        // Tracked to 277.5 mm: 7.5 mm between the centres, 8.75 mm with
        // the top slice's upper half, is a level in view.
        let segs = segments(&straight_track(120, 0..112), &discs);
        assert_eq!((segs[0].top, segs[0].label), (277.5, 1));
        assert_eq!(segs.len(), 4);
    }

    /// A rib on `left` whose tubercle lies mid-way down segment `k`.
    fn rib(left: bool, k: usize, long: bool, height: f64, stub: bool) -> RibCandidate {
        let z = -25.0 * k as f64 - 12.5;
        RibCandidate {
            left,
            head_z_mm: z,
            tubercle_z_mm: z,
            long,
            lateral_mm: if stub { 20.0 } else { 100.0 },
            height_mm: height,
            fused: height > crate::constants::RIB1_MAX_HEIGHT_MM,
            stub,
            voxels: Vec::new(),
        }
    }

    /// Ribs on both sides from segment `from` to `to`, the first `fused`.
    fn cage(from: usize, to: usize, fused: bool) -> Vec<RibCandidate> {
        let mut out = Vec::new();
        for left in [true, false] {
            for k in from..=to {
                let h = if k == from && fused { 115.0 } else { 60.0 };
                out.push(rib(left, k, true, h, false));
            }
        }
        out
    }

    #[test]
    fn a_sound_first_rib_names_its_level_t1() {
        // C7 free, ribs on segments 1-12, L1 free: both ends agree.
        let n = name_levels(&levels(14), &cage(1, 12, false), None);
        assert_eq!((n.first, n.anchor, n.limited), (0, "first_rib", false));
    }

    #[test]
    fn a_rib_fused_with_the_girdle_under_a_neck_stub_is_not_the_first() {
        // Rib 1 is only neck stubs on segment 1; ribs 2-3 fused with the
        // girdle on segment 2: segment 1 is still T1.
        let mut ribs = cage(2, 12, true);
        ribs.push(rib(true, 1, false, 2.0, true));
        ribs.push(rib(false, 1, false, 2.0, true));
        let n = name_levels(&levels(14), &ribs, None);
        assert_eq!((n.first, n.anchor), (0, "first_rib"));
    }

    #[test]
    fn eleven_pairs_keep_the_top_count_and_say_limited() {
        // Ribs on T1-T11 only: the bottom count (last rib = T12) would
        // shift every level; the sound first rib wins and the count is
        // flagged.
        let n = name_levels(&levels(14), &cage(1, 11, false), None);
        assert_eq!((n.first, n.anchor, n.limited), (0, "first_rib", true));
    }

    #[test]
    fn a_first_rib_on_the_top_level_under_a_disc_is_rib_one() {
        // The scan starts in C7, too little of it to name, but the C7/T1
        // disc is seen: segment 0 bears the first ribs and is T1, though
        // only 11 pairs make the bottom count say T2.
        let n = name_levels(&levels(13), &cage(0, 10, false), None);
        assert_eq!((n.first, n.anchor), (1, "first_rib"));
        // Not when the carina would then lie at T1 (a scan starting
        // lower, at T5, its top rib the fifth).
        let n = name_levels(&levels(13), &cage(0, 10, false), Some(0.0));
        assert_eq!(n.first, 2, "the bottom count is kept");
    }

    #[test]
    fn rib_pieces_on_both_sides_above_make_the_first_long_rib_the_second() {
        // 8 mm slices: rib 1 is traced as a piece round the side on the
        // left and a stub on the right, on segment 1; rib 2 is the first
        // to reach the front.
        let mut ribs = cage(2, 12, false);
        ribs.push(rib(true, 1, false, 16.0, false));
        ribs.push(rib(false, 1, false, 16.0, true));
        let n = name_levels(&levels(14), &ribs, None);
        assert_eq!(n.first, 0, "segment 1 is T1");
    }

    #[test]
    fn cervical_ribs_do_not_shift_the_count() {
        // One side.
        let mut ribs = cage(1, 12, false);
        ribs.push(rib(true, 0, false, 17.0, false));
        let n = name_levels(&levels(14), &ribs, None);
        assert_eq!(n.first, 0, "segment 0 is C7");
        // Both sides, short (ending in the neck).
        let mut ribs = cage(1, 12, false);
        for left in [true, false] {
            let mut cervical = rib(left, 0, false, 17.0, false);
            cervical.lateral_mm = 48.0;
            ribs.push(cervical);
        }
        let n = name_levels(&levels(14), &ribs, None);
        assert_eq!(n.first, 0, "segment 0 is C7");
    }

    #[test]
    fn a_rib_just_below_a_cut_last_level_is_its_own() {
        let mut segs = levels(13);
        let last = segs.len() - 1;
        segs[last].inferior = None;
        // Rib 12 of the last (cut) level lies 5 mm below its bottom.
        let mut ribs = cage(1, 11, false);
        for left in [true, false] {
            let mut r = rib(left, last, false, 40.0, false);
            r.tubercle_z_mm = segs[last].bottom - 5.0;
            ribs.push(r);
        }
        let n = name_levels(&segs, &ribs, None);
        assert_eq!(n.last_rib, Some(12));
    }
}
