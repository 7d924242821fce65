//! `airad.ribs`: every rib in view, numbered and sided (`rib_left_1` ..
//! `rib_left_12`, `rib_left_13` and `rib_cervical_left` when present, the
//! same on the right), with head, angle and anterior-end landmarks and the
//! count per side with the variants found.
//!
//! Method: ribs are traced from the costovertebral junction round the
//! chest ([`crate::ribs_detect`]); rib n articulates with vertebra Tn, so
//! each rib takes the number of the level where it leaves its
//! costotransverse joint (its tubercle, at its own vertebra's mid-height;
//! the head spans the disc above for ribs 2-9), read from the
//! spine unit's levels (`landmarks:vertebrae`): a rib on C7 is a cervical
//! rib, one on L1 a 13th rib, and with 11 pairs T12 bears none. The spine
//! counts its levels from the first rib (the one reaching the manubrium),
//! so the numbering runs from the top; counting up from T12 must agree,
//! and `values:ribs` says so when it does not (11 or 13 pairs) or when the
//! count could not be anchored ("limited"). A stub (a head and neck
//! whose shaft was traced with a neighbour, as on thick slices) is that
//! level's rib when its side has ribs on the levels above and below and
//! none on its own, or, on the first level, the second rib of its side
//! and the first of the other ([`gap_levels`]); the sweep
//! ([`crate::rib_sweep`]) then follows it out from its head.

use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Centreline, Context, Landmarks, Manifest};
use serde_json::json;
use volume::Volume;

use crate::constants::BONE_MASK_HU;
use crate::rib_candidates::{self, RIB_CANDIDATES};
use crate::rib_sweep;
use crate::ribs_detect::{RibDetection, coarse_grid, detect_ribs};
use crate::skeleton::{Frame, SliceBody, body_slices, masks_from_labels};
use crate::spine::{LEVELS, Segment, count_segment_of_rib, level_height};
use crate::spine_track::SpineTrack;
use crate::util::phase;

/// Rib names of one side, by number (0 = cervical, 1-13).
fn rib_name(left: bool, number: usize) -> String {
    let side = if left { "left" } else { "right" };
    if number == 0 {
        format!("rib_cervical_{side}")
    } else {
        format!("rib_{side}_{number}")
    }
}

/// The ribs unit.
pub struct Ribs {
    manifest: Manifest,
}

impl Default for Ribs {
    fn default() -> Self {
        let mut produces = Vec::new();
        for left in [true, false] {
            for n in 0..=13 {
                produces.push(format!("mask:{}", rib_name(left, n)));
            }
        }
        produces.push("landmarks:ribs".to_string());
        produces.push("values:ribs".to_string());
        let refs: Vec<&str> = produces.iter().map(String::as_str).collect();
        Ribs {
            manifest: Manifest::new(
                "airad.ribs",
                env!("CARGO_PKG_VERSION"),
                "Ribs numbered by the vertebra they articulate with, per side, with variants",
            )
            .requires(&["mask:body", "landmarks:vertebrae", "centreline:spine"])
            .optional(&[
                "values:spine",
                RIB_CANDIDATES,
                "mask:lung_left",
                "mask:lung_right",
            ])
            .produces(&refs)
            .resources(1, 1200, 60.0)
            .typical(0.5),
        }
    }
}

impl Aisu for Ribs {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let body = ctx.mask("mask:body")?;
        let vertebrae = ctx.landmarks("landmarks:vertebrae")?;
        let centreline = ctx.centreline("centreline:spine")?;
        let spine_values = ctx.values("values:spine").ok();
        let f = Frame::new(ct.geometry())?;
        let track = track_from_centreline(ct, &f, &centreline)?;
        let slices = body_slices(&body, f.dims[2]);
        let lungs: Vec<Arc<aisu::Mask>> = ["mask:lung_left", "mask:lung_right"]
            .iter()
            .filter_map(|n| ctx.mask_opt(n).ok().flatten())
            .collect();
        let lungs: Vec<&aisu::Mask> = lungs.iter().map(|m| &**m).collect();
        // The spine unit's tracing when it traced on this grid, else our own.
        let traced = ctx
            .values(RIB_CANDIDATES)
            .ok()
            .zip(coarse_grid(&body, &f).ok())
            .and_then(|(v, grid)| rib_candidates::decode(&v, &grid));
        let detection = match traced {
            Some(d) => d,
            None => {
                let _t = phase("detect");
                detect_ribs(ct, &body, &slices, &track, &lungs, &[])?
            }
        };
        let levels = segments_from_centreline(ct, &f, &centreline, &vertebrae);
        let anchor = spine_values
            .as_ref()
            .and_then(|v| v.get("anchor").and_then(|a| a.as_str()).map(String::from))
            .unwrap_or_else(|| "unknown".into());
        let spine_limited = spine_values
            .as_ref()
            .and_then(|v| v.get("limited").and_then(|a| a.as_bool()))
            .unwrap_or(true);
        publish(
            ctx,
            ct,
            &f,
            &track,
            detection,
            &levels,
            &anchor,
            spine_limited,
            &slices,
        )
    }
}

/// Rebuilds the spine track (per-slice centre and size) from the
/// published centreline.
fn track_from_centreline(
    ct: &Volume<i16>,
    f: &Frame,
    cl: &Centreline,
) -> Result<SpineTrack, AisuError> {
    let g = ct.geometry();
    let nz = f.dims[2];
    let mut centre = vec![None; nz];
    let mut half_width = vec![0.0; nz];
    let mut half_depth = vec![0.0; nz];
    for (p, r) in cl.points.iter().zip(&cl.radii_mm) {
        let i = g.lps_to_index(*p);
        let z = i[2].round();
        if !(0.0..nz as f64).contains(&z) {
            continue;
        }
        let z = z as usize;
        centre[z] = Some([i[0], i[1]]);
        half_width[z] = *r;
        // The body's depth is about three quarters of its width.
        half_depth[z] = 0.75 * *r;
    }
    if centre.iter().all(Option::is_none) {
        return Err(AisuError::NotAssessable(
            "the spine's centreline is empty".into(),
        ));
    }
    Ok(SpineTrack {
        frame: *f,
        centre,
        half_width,
        half_depth,
    })
}

/// The named levels as segments (patient z), top to bottom, with their
/// name index (0 = C7), exactly as the spine unit named them: each
/// centreline point carries its level, so a rib is numbered by the same
/// level bounds (disc planes) the spine counted it on. Endplate heights
/// come from the landmarks (`Tn_superior`, `Tn_inferior`).
fn segments_from_centreline(
    ct: &Volume<i16>,
    f: &Frame,
    cl: &Centreline,
    lm: &Landmarks,
) -> Vec<(usize, Segment)> {
    let g = ct.geometry();
    let z_of = |p: &[f64; 3]| f.z_mm(0) + g.lps_to_index(*p)[2] * f.s[2] * f.sign[2];
    let half_slice = 0.5 * f.s[2];
    // (level index, highest z, lowest z) per level, in centreline order.
    let mut runs: Vec<(usize, f64, f64)> = Vec::new();
    for (p, name) in cl.points.iter().zip(&cl.segments) {
        let Some(i) = LEVELS.iter().position(|l| l == name) else {
            continue;
        };
        let z = z_of(p);
        match runs.iter_mut().find(|r| r.0 == i) {
            Some(r) => {
                r.1 = r.1.max(z);
                r.2 = r.2.min(z);
            }
            None => runs.push((i, z, z)),
        }
    }
    runs.sort_by(|a, b| b.1.total_cmp(&a.1));
    runs.into_iter()
        .map(|(i, hi, lo)| {
            let endplate = |tag: &str| lm.get(&format!("{}_{tag}", LEVELS[i])).map(z_of);
            (
                i,
                Segment {
                    top: hi + half_slice,
                    bottom: lo - half_slice,
                    superior: endplate("superior"),
                    inferior: endplate("inferior"),
                    // No label map here: the ribs count on bounds only.
                    label: 0,
                },
            )
        })
        .collect()
}

/// Numbers the ribs and publishes everything.
#[allow(clippy::too_many_arguments)]
fn publish(
    ctx: &mut Context<'_>,
    ct: &Volume<i16>,
    f: &Frame,
    track: &SpineTrack,
    det: RibDetection,
    levels: &[(usize, Segment)],
    anchor: &str,
    spine_limited: bool,
    slices: &[Option<SliceBody>],
) -> Result<(), AisuError> {
    let segs: Vec<Segment> = levels.iter().map(|l| l.1).collect();
    let h = level_height(&segs);
    tracing::debug!(?levels, "rib levels");
    // (left, number) -> coarse voxels.
    let mut found: Vec<((bool, usize), Vec<usize>)> = Vec::new();
    let mut unplaced = 0usize;
    let number_of = |r: &crate::ribs_detect::RibCandidate| {
        count_segment_of_rib(&segs, r.tubercle_z_mm, h).and_then(|k| match levels[k].0 {
            0 => Some(0),
            i @ 1..=13 => Some(i),
            _ => None,
        })
    };
    let (ribs, stubs): (Vec<_>, Vec<_>) = det.ribs.into_iter().partition(|r| !r.stub);
    for r in ribs {
        let number = number_of(&r);
        tracing::debug!(
            left = r.left,
            tubercle_z = r.tubercle_z_mm,
            ?number,
            voxels = r.voxels.len(),
            "rib numbered"
        );
        let Some(number) = number else {
            unplaced += 1;
            continue;
        };
        add_rib(&mut found, (r.left, number), r.voxels);
    }
    // A stub (a rib's head and neck, its shaft traced with a neighbour:
    // ribs merge on thick slices) on a level of its side that bears no
    // rib between two that do is that level's rib: the sweep follows it
    // out from its head. Elsewhere a stub may be a transverse process.
    let numbered: Vec<(bool, usize)> = found.iter().map(|(k, _)| *k).collect();
    let stubs: Vec<((bool, usize), crate::ribs_detect::RibCandidate)> = stubs
        .into_iter()
        .filter_map(|r| Some(((r.left, number_of(&r)?), r)))
        .collect();
    let stub_keys: Vec<(bool, usize)> = stubs.iter().map(|(k, _)| *k).collect();
    let gaps = gap_levels(&numbered, &stub_keys);
    for (key, r) in stubs {
        if !gaps.contains(&key) {
            continue;
        }
        tracing::debug!(left = r.left, number = key.1, "rib stub numbered");
        add_rib(&mut found, key, r.voxels);
    }
    found.sort_by_key(|(k, _)| (!k.0, k.1));
    let t = phase("sweep");
    rib_sweep::repartition(&det.coarse, f, slices, &mut found);
    drop(t);
    let t = phase("masks");
    // Full-resolution masks: bone voxels of the coarse blocks of each rib.
    let c = det.coarse;
    let mut coarse_label = vec![0u8; c.n[0] * c.n[1] * c.n[2]];
    for (k, (_, vox)) in found.iter().enumerate() {
        for &i in vox {
            coarse_label[i] = k as u8 + 1;
        }
    }
    let [nx, ny, _] = f.dims;
    let data = ct.as_slice();
    let crop = c.crop;
    let mut labels = vec![0u8; crop.len()];
    for z in 0..crop.n[2] {
        for y in 0..crop.n[1] {
            for x in 0..crop.n[0] {
                let ci = x / c.f + c.n[0] * (y / c.f + c.n[1] * z);
                let l = coarse_label[ci];
                if l != 0
                    && data[(x + crop.lo[0]) + nx * ((y + crop.lo[1]) + ny * (z + crop.lo[2]))]
                        >= BONE_MASK_HU
                {
                    labels[x + crop.n[0] * (y + crop.n[1] * z)] = l;
                }
            }
        }
    }
    let wanted: Vec<u8> = (1..=found.len() as u8).collect();
    let masks = masks_from_labels(ct.geometry(), &crop, &labels, &wanted);
    drop(t);
    let g = ct.geometry();
    let mut lm = Landmarks::new();
    let mut published: Vec<(bool, usize)> = Vec::new();
    for (label, mask) in masks {
        let Some(((left, number), vox)) = found.get(label as usize - 1) else {
            continue;
        };
        if mask.is_empty() {
            continue;
        }
        let name = rib_name(*left, *number);
        ctx.put_mask(&format!("mask:{name}"), mask)?;
        published.push((*left, *number));
        for (tag, p) in rib_points(&c, f, track, vox) {
            lm.insert(format!("{name}_{tag}"), g.index_to_lps(p));
        }
    }
    let in_view = |i: usize| levels.iter().any(|l| l.0 == i);
    for left in [true, false] {
        for n in 0..=13usize {
            if published.contains(&(left, n)) {
                continue;
            }
            let reason = match n {
                0 => "no cervical rib",
                13 => "no 13th rib",
                _ if in_view(n) => "not found at its level",
                _ => "not in field of view",
            };
            ctx.absent(&format!("mask:{}", rib_name(left, n)), reason)?;
        }
    }
    ctx.put("landmarks:ribs", Artefact::Landmarks(Arc::new(lm)))?;
    let numbers = |left: bool| -> Vec<usize> {
        published
            .iter()
            .filter(|p| p.0 == left)
            .map(|p| p.1)
            .collect()
    };
    let (nl, nr) = (numbers(true), numbers(false));
    let mut variants = Vec::new();
    for (side, list) in [("left", &nl), ("right", &nr)] {
        if list.contains(&0) {
            variants.push(format!("cervical rib ({side})"));
        }
        if list.contains(&13) {
            variants.push(format!("13th rib ({side})"));
        }
    }
    let both_in_view = in_view(12) && in_view(13);
    let eleven = both_in_view
        && !nl.contains(&12)
        && !nr.contains(&12)
        && (nl.contains(&11) || nr.contains(&11));
    if eleven {
        variants.push("11 rib pairs (no rib on T12)".to_string());
    }
    let last = nl.iter().chain(&nr).copied().filter(|n| *n >= 1).max();
    let first = nl.iter().chain(&nr).copied().filter(|n| *n >= 1).min();
    // Counting up from the lowest rib (taken as 12) agrees with counting
    // down from the first when the lowest rib is number 12.
    let agree = match (anchor, last, both_in_view) {
        (_, Some(l), true) => Some(l == 12),
        _ => None,
    };
    let limited = spine_limited || !(anchor == "first_rib" || anchor == "last_rib");
    let values = json!({
        "count_left": nl.iter().filter(|n| **n >= 1).count(),
        "count_right": nr.iter().filter(|n| **n >= 1).count(),
        "numbers_left": nl,
        "numbers_right": nr,
        "variants": variants,
        "anchor": anchor,
        "limited": limited,
        "numbering": if limited { "limited: the count could not be anchored on the first rib or on T12" } else { "anchored" },
        "first_rib_number": first,
        "last_rib_number": last,
        "top_and_bottom_counts_agree": agree,
        "pieces_not_numbered": unplaced,
    });
    ctx.put("values:ribs", Artefact::Values(Arc::new(values)))
}

/// Adds a rib's voxels to its (side, number) entry of `found`, opening the
/// entry when it is the first of that number.
fn add_rib(found: &mut Vec<((bool, usize), Vec<usize>)>, key: (bool, usize), voxels: Vec<usize>) {
    match found.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => v.extend(voxels),
        None => found.push((key, voxels)),
    }
}

/// The (side, number) slots of `stubs` that fill a gap in the ribs
/// numbered on their side (`numbered`): no rib of that number, one on
/// either side of it (ribs 2-11), or, for the first rib, the second on
/// its side and the first on the other (the first rib curves over the
/// lung's apex, where the lung-shell filter may cut it from its neck).
/// At the lower end of the cage a stub may be a transverse process of T12
/// or L1, and the count of 11 or 13 pairs is the bottom count's to make.
fn gap_levels(numbered: &[(bool, usize)], stubs: &[(bool, usize)]) -> Vec<(bool, usize)> {
    let has = |left: bool, m: usize| numbered.contains(&(left, m));
    let mut out: Vec<(bool, usize)> = stubs
        .iter()
        .copied()
        .filter(|&(left, n)| {
            let between = (2..=11).contains(&n) && has(left, n - 1) && has(left, n + 1);
            let first = n == 1 && has(left, 2) && has(!left, 1);
            !has(left, n) && (between || first)
        })
        .collect();
    out.dedup();
    out
}

/// Head (most medial point), angle (most posterior point lateral to the
/// column) and anterior end (most anterior point) of a rib, as continuous
/// full-grid indices.
fn rib_points(
    c: &crate::ribs_detect::Coarse,
    f: &Frame,
    track: &SpineTrack,
    vox: &[usize],
) -> Vec<(&'static str, [f64; 3])> {
    let mut head: Option<(f64, [f64; 3])> = None;
    let mut angle: Option<(f64, [f64; 3])> = None;
    let mut front: Option<(f64, [f64; 3])> = None;
    for &i in vox {
        let p = c.full(i);
        let Some(Some(cen)) = track.centre.get(p[2] as usize) else {
            continue;
        };
        let hw = track.half_width[p[2] as usize];
        let dx = (p[0] - cen[0]) * f.s[0];
        let dy = (p[1] - cen[1]) * f.s[1] * f.sign[1];
        let r = dx.hypot(dy);
        if head.is_none_or(|h| r < h.0) {
            head = Some((r, p));
        }
        if dx.abs() > hw + 20.0 && angle.is_none_or(|a| dy > a.0) {
            angle = Some((dy, p));
        }
        if front.is_none_or(|a| -dy > a.0) {
            front = Some((-dy, p));
        }
    }
    [("head", head), ("angle", angle), ("anterior", front)]
        .into_iter()
        .filter_map(|(t, v)| v.map(|v| (t, v.1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stub_fills_a_gap_between_numbered_ribs_only() {
        let numbered = [(true, 5), (true, 7), (true, 12), (false, 6)];
        let stubs = [(true, 6), (true, 6), (true, 13), (false, 7), (true, 11)];
        // Left 6 lies between left 5 and 7; left 13 and 11 have no rib
        // below or above them; right 7 has no right 8.
        assert_eq!(gap_levels(&numbered, &stubs), vec![(true, 6)]);
        // A first rib's stub under a second rib, the other side's first
        // rib found; not without it.
        let numbered = [(true, 1), (true, 2), (false, 2)];
        assert_eq!(gap_levels(&numbered, &[(false, 1)]), vec![(false, 1)]);
        assert_eq!(gap_levels(&[(false, 2)], &[(false, 1)]), vec![]);
    }
}
