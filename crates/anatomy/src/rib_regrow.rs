//! Regrowth of ribs the lung-shell filter cut ([`crate::ribs_detect`]).
//!
//! The filter drops bone far outside the lungs in the upper chest, where
//! the shoulder girdle lies beside the cage. Where a pleural effusion
//! holds the lung away from the chest wall it drops rib shafts too,
//! leaving stubs that end at the edge of the paravertebral zone. Those
//! take back the filtered bone continuous with them by geodesic growth;
//! the growth stops, per rib, where its front widens from a rib's section
//! into a plate or a block (the scapula or the humerus glued to the
//! shaft), the leak test of region-growing airway and vessel trackers
//! (e.g. Tschirren et al., IEEE TMI 2005, stop a wave whose front
//! suddenly grows).
//!
//! Past the cut, the fronts of neighbouring cut ribs may touch in pairs
//! and form pieces as large as a whole bone, which the tracing set aside;
//! those lying where rib fronts lie are linked back to the regrown ribs
//! ([`link_fronts_to_regrown`]).

use std::collections::VecDeque;

use crate::constants::{
    RIB_CUT_MARGIN_MM, RIB_PARAVERTEBRAL_MM, RIB_REGROW_LEAK_FACTOR, RIB_REGROW_ROLLBACK,
    RIB1_MAX_HEIGHT_MM,
};
use crate::rib_heads::for_each_neighbour26;
use crate::ribs_detect::{Geo, RibCandidate, link_fragments, measure_shape};

/// Gives back to the ribs the shell filter cut the bone it took from
/// them. A rib whose lateral reach ends at the edge of the paravertebral
/// zone (within [`RIB_CUT_MARGIN_MM`] of [`RIB_PARAVERTEBRAL_MM`]) as a
/// stub was cut there: its shaft runs on beyond the zone further than
/// [`crate::constants::RIB_SHELL_MM`] from the lungs. It takes back the
/// filtered bone continuous with it (geodesic growth from the cut ribs
/// together, in waves, bone of other ribs left alone) until its wave
/// leaks ([`leaked`]): the last [`RIB_REGROW_ROLLBACK`] waves before the
/// leak, the contact, are given up with it. Its reach and height are then
/// measured again; a rib grown taller than [`RIB1_MAX_HEIGHT_MM`] all the
/// same (ribs fused with the shoulder girdle) stays as traced. `cut_off`
/// marks the coarse voxels the filter took. Returns the indices of the
/// ribs it lengthened.
pub(crate) fn regrow_cut_ribs(
    geo: &Geo,
    ribs: &mut [RibCandidate],
    cut_off: &[bool],
) -> Vec<usize> {
    let cut: Vec<usize> = ribs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.stub && r.lateral_mm >= RIB_PARAVERTEBRAL_MM - RIB_CUT_MARGIN_MM)
        .map(|(k, _)| k)
        .collect();
    if cut.is_empty() {
        return Vec::new();
    }
    let n = geo.coarse.n;
    let mut owner = vec![usize::MAX; cut_off.len()];
    for (k, r) in ribs.iter().enumerate() {
        for &i in &r.voxels {
            owner[i] = k;
        }
    }
    // Per cut rib (index into `cut`): voxels gained per wave, and whether
    // it has stopped.
    let slot = |k: usize| cut.iter().position(|&c| c == k);
    let mut waves: Vec<Vec<Vec<usize>>> = vec![Vec::new(); cut.len()];
    let mut stopped = vec![false; cut.len()];
    let mut front: VecDeque<usize> = cut.iter().flat_map(|&k| ribs[k].voxels.clone()).collect();
    while !front.is_empty() {
        let mut gained: Vec<Vec<usize>> = vec![Vec::new(); cut.len()];
        for i in front.drain(..) {
            let Some(s) = slot(owner[i]) else { continue };
            if stopped[s] {
                continue;
            }
            for_each_neighbour26(n, i, |j| {
                if cut_off[j] && owner[j] == usize::MAX {
                    owner[j] = cut[s];
                    gained[s].push(j);
                }
            });
        }
        for (s, g) in gained.into_iter().enumerate() {
            if g.is_empty() {
                continue;
            }
            let sizes: Vec<usize> = waves[s].iter().map(Vec::len).collect();
            if leaked(&sizes, g.len()) {
                stopped[s] = true;
                // Give up the leak and the contact before it (marked
                // as taken, so no other cut rib grows through them).
                let keep = waves[s].len().saturating_sub(RIB_REGROW_ROLLBACK);
                waves[s].truncate(keep);
                continue;
            }
            front.extend(g.iter().copied());
            waves[s].push(g);
        }
    }
    let mut regrown = Vec::new();
    for (s, &k) in cut.iter().enumerate() {
        let r = &mut ribs[k];
        let len = r.voxels.len();
        r.voxels.extend(waves[s].iter().flatten().copied());
        let height = geo.height(&r.voxels);
        tracing::debug!(
            left = r.left,
            head_z = r.head_z_mm,
            traced = len,
            grown = r.voxels.len(),
            height,
            leaked = stopped[s],
            "cut rib regrown"
        );
        if height > RIB1_MAX_HEIGHT_MM {
            r.voxels.truncate(len);
            continue;
        }
        if r.voxels.len() > len {
            regrown.push(k);
        }
        measure_shape(geo, r);
    }
    regrown
}

/// Whether a growth wave of `size` voxels, after waves of `sizes`, has
/// leaked out of a rib: more than [`RIB_REGROW_LEAK_FACTOR`] times the
/// median wave so far (at least one voxel), once three waves are in.
/// Down a rib's shaft each wave is about one section of the rib; where
/// the wave enters a plate of bone it widens with every step.
fn leaked(sizes: &[usize], size: usize) -> bool {
    if sizes.len() < 3 {
        return false;
    }
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2].max(1);
    size as f64 > RIB_REGROW_LEAK_FACTOR * median as f64
}

/// Of the bone pieces too large for a rib fragment (set aside by the
/// tracing as whole bones), those that may be the fronts of cut ribs
/// touching in pairs: wholly in front of the vertebral bodies' centre and
/// on one side of the column, clear of its body. The sternum crosses the
/// midline and the scapula lies behind the column's centre; the humeral
/// head straddles it beside the glenoid.
pub(crate) fn front_pieces(geo: &Geo, large: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
    large
        .into_iter()
        .filter(|piece| {
            // The side of the first voxel; every voxel clears the column's
            // body (|dx| > hw), so none sits on the midline.
            let Some(left) = piece
                .first()
                .and_then(|&i| geo.offset(i))
                .map(|(dx, ..)| dx > 0.0)
            else {
                return false;
            };
            piece.iter().all(|&i| {
                geo.offset(i)
                    .is_some_and(|(dx, dy, hw, _)| dy < 0.0 && dx.abs() > hw && (dx > 0.0) == left)
            })
        })
        .collect()
}

/// Links rib-front pieces ([`front_pieces`]) to the ribs regrowth
/// lengthened (`regrown`, from [`regrow_cut_ribs`]), each to the
/// nearest such rib on its side within [`crate::constants::RIB_LINK_MM`]
/// (chains of pieces follow on). Only regrown ribs take them: where the
/// shell filter cut a rib's shaft, what continues past the cut is that
/// rib's front whatever its size, while a rib never cut (every rib of a
/// side without effusion) keeps the tracing's rule that a whole bone is
/// not a rib piece. Pieces no regrown rib reaches are left out.
pub(crate) fn link_fronts_to_regrown(
    geo: &Geo,
    ribs: &mut [RibCandidate],
    regrown: Vec<usize>,
    fronts: Vec<Vec<usize>>,
) {
    if regrown.is_empty() || fronts.is_empty() {
        return;
    }
    let mut grown: Vec<RibCandidate> = regrown.iter().map(|&k| ribs[k].clone()).collect();
    link_fragments(geo, &mut grown, fronts);
    for (k, rib) in regrown.into_iter().zip(grown) {
        if rib.voxels.len() != ribs[k].voxels.len() {
            tracing::debug!(
                left = rib.left,
                head_z = rib.head_z_mm,
                before = ribs[k].voxels.len(),
                after = rib.voxels.len(),
                "rib front piece linked"
            );
            ribs[k] = rib;
            measure_shape(geo, &mut ribs[k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ribs_detect::Coarse;
    use crate::skeleton::{Crop, Frame};
    use crate::spine_track::SpineTrack;
    use volume::Geometry;

    /// A 120 x 40 x 60 grid of 1 x 1 x 2.5 mm with the column's centre at
    /// x = 10, y = 20 (half width and depth 10 mm) on every slice.
    fn geo_parts() -> (Frame, SpineTrack, Coarse) {
        let dims = [120, 40, 60];
        let g = Geometry::new(dims, [1.0, 1.0, 2.5], [0.0; 3]);
        let f = Frame::new(&g).unwrap();
        let track = SpineTrack {
            frame: f,
            centre: vec![Some([10.0, 20.0]); dims[2]],
            half_width: vec![10.0; dims[2]],
            half_depth: vec![10.0; dims[2]],
        };
        let crop = Crop::new([0; 3], [119, 39, 59], dims).unwrap();
        (
            f,
            track,
            Coarse {
                f: 1,
                crop,
                n: dims,
            },
        )
    }

    fn stub(voxels: Vec<usize>) -> RibCandidate {
        RibCandidate {
            left: true,
            head_z_mm: 75.0,
            tubercle_z_mm: 75.0,
            long: false,
            lateral_mm: 0.0,
            height_mm: 0.0,
            fused: false,
            stub: true,
            voxels,
        }
    }

    #[test]
    fn a_rib_cut_by_the_shell_filter_takes_its_shaft_back() {
        let (f, track, coarse) = geo_parts();
        let slices = vec![None; 60];
        let n = coarse.n;
        let geo = Geo {
            f,
            coarse,
            track: &track,
            slices: &slices,
        };
        let at = |x: usize, z: usize| x + n[0] * (20 + n[1] * z);
        // A rib traced from the body's edge (x = 20) to the zone's edge
        // (x = 49, 29 mm beyond it); its shaft runs on to x = 110, all of
        // it taken by the filter.
        let mut rib = stub((20..50).map(|x| at(x, 30)).collect());
        rib.lateral_mm = geo.lateral_reach(&rib.voxels);
        let mut cut_off = vec![false; n[0] * n[1] * n[2]];
        for x in 50..111 {
            cut_off[at(x, 30)] = true;
        }
        let mut ribs = vec![rib.clone()];
        regrow_cut_ribs(&geo, &mut ribs, &cut_off);
        assert_eq!(ribs[0].voxels.len(), 30 + 61);
        assert!(!ribs[0].stub && ribs[0].lateral_mm >= 89.0);
        // A stub ending well inside the zone (a transverse process) is no
        // cut rib.
        let mut short = stub((20..40).map(|x| at(x, 30)).collect());
        short.lateral_mm = geo.lateral_reach(&short.voxels);
        for x in 40..50 {
            cut_off[at(x, 30)] = true;
        }
        let mut ribs = vec![short];
        regrow_cut_ribs(&geo, &mut ribs, &cut_off);
        assert_eq!(ribs[0].voxels.len(), 20);
        // Filtered bone 125 mm tall beyond the cut (the shoulder girdle)
        // is not given to it.
        let mut cut_off = vec![false; n[0] * n[1] * n[2]];
        for z in 10..60 {
            for x in 50..111 {
                cut_off[at(x, z)] = true;
            }
        }
        let mut ribs = vec![rib];
        regrow_cut_ribs(&geo, &mut ribs, &cut_off);
        assert_eq!(ribs[0].voxels.len(), 30);
        assert!(ribs[0].stub);
        // Its shaft, filtered, runs on to x = 80 and there meets a plate
        // 125 mm tall (the scapula): the growth stops before the plate.
        let mut rib = stub((20..50).map(|x| at(x, 30)).collect());
        rib.lateral_mm = geo.lateral_reach(&rib.voxels);
        let mut cut_off = vec![false; n[0] * n[1] * n[2]];
        for x in 50..81 {
            cut_off[at(x, 30)] = true;
        }
        for z in 10..60 {
            for x in 81..111 {
                cut_off[at(x, z)] = true;
            }
        }
        let mut ribs = vec![rib];
        regrow_cut_ribs(&geo, &mut ribs, &cut_off);
        let r = &ribs[0];
        let xs: Vec<usize> = r.voxels.iter().map(|i| i % n[0]).collect();
        assert!(xs.iter().all(|&x| x < 81), "no plate taken");
        assert!(r.voxels.len() >= 30 + 25, "the shaft is regrown");
        assert!(!r.stub);
    }
}
