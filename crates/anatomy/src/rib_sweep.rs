//! Parting touching ribs by following each one round the chest.
//!
//! On the tracing grid neighbouring ribs touch (the fronts of the upper
//! ribs with each other and the shoulder girdle; shafts on thick slices),
//! and growth from the heads ([`crate::ribs_detect`]) may then give one rib
//! the front half of the next. But at any angle round the chest the ribs of
//! one side are separate runs along z, stacked in their order, and each rib
//! changes height smoothly with the angle. So, per side, the numbered ribs'
//! voxels are pooled and swept by angle about the chest's centre (from the
//! back, where every rib is known by its own head, to the front): at each
//! angle every rib claims the run nearest its expected height, a run
//! claimed by two ribs is shared by nearest height, and a run nobody claims
//! keeps its first owner; a rib that would share a run holding none of
//! its traced bone takes instead a free run between its neighbours' runs,
//! its own if it has one ([`take_own_runs`]). This is the tracking idea of rib-tracing methods
//! that follow a rib from the costovertebral joint (e.g. Staal et al.,
//! MedIA 2007), applied as a re-partition of voxels already traced.

use crate::constants::{
    RIB_SWEEP_BIN_DEG, RIB_SWEEP_FOREIGN_SHARE, RIB_SWEEP_MAX_GAP_DEG, RIB_SWEEP_OWN_BONUS_MM,
    RIB_SWEEP_OWN_RUN_SHARE, RIB_SWEEP_SHARE_MM, RIB_SWEEP_TOLERANCE_MM,
};
use crate::ribs_detect::Coarse;
use crate::skeleton::{Frame, SliceBody};

/// One rib being followed.
#[derive(Debug, Clone, Copy, Default)]
struct Follow {
    /// Height (mm) at the last angle it claimed a run.
    z: Option<f64>,
    /// Height change per bin, mm.
    slope: f64,
    /// The last bin it claimed a run in.
    last: usize,
    /// The first bin its own voxels reach (10th percentile).
    start: usize,
}

/// Re-parts the voxels of the numbered ribs of each side (`ribs`: (left,
/// number) -> coarse voxels) by following each rib round the chest.
pub(crate) fn repartition(
    c: &Coarse,
    f: &Frame,
    slices: &[Option<SliceBody>],
    ribs: &mut [((bool, usize), Vec<usize>)],
) {
    let bins = (180.0 / RIB_SWEEP_BIN_DEG).ceil() as usize;
    for left in [true, false] {
        let members: Vec<usize> = (0..ribs.len())
            .filter(|&r| ribs[r].0.0 == left && ribs[r].0.1 >= 1)
            .collect();
        if members.len() < 2 {
            continue;
        }
        // (owner rib, voxel, bin, z mm), per bin.
        let mut by_bin: Vec<Vec<(usize, usize, f64)>> = vec![Vec::new(); bins];
        let mut follow = vec![Follow::default(); ribs.len()];
        for &r in &members {
            let mut own_bins = Vec::new();
            for &i in &ribs[r].1 {
                let p = c.full(i);
                let Some(Some(sb)) = slices.get(p[2] as usize) else {
                    continue;
                };
                let dx = ((p[0] - sb.cx) * f.s[0]).abs();
                let dy = (p[1] - sb.cy) * f.s[1] * f.sign[1];
                // 0 straight behind the centre, pi straight in front.
                let theta = dx.atan2(dy).to_degrees();
                let b = ((theta / RIB_SWEEP_BIN_DEG) as usize).min(bins - 1);
                by_bin[b].push((r, i, f.mm(p)[2]));
                own_bins.push(b);
            }
            follow[r].start = start_bin(own_bins, bins);
        }
        let gap = (1.5 * f.s[2]).max(4.0);
        let mut new_owner: Vec<(usize, usize)> = Vec::new();
        for (b, voxels) in by_bin.iter_mut().enumerate() {
            if voxels.is_empty() {
                continue;
            }
            voxels.sort_by(|a, b| b.2.total_cmp(&a.2));
            // Runs along z: (top, bottom, voxel range).
            let mut runs: Vec<(f64, f64, usize, usize)> = Vec::new();
            for (k, v) in voxels.iter().enumerate() {
                match runs.last_mut() {
                    Some(run) if run.1 - v.2 <= gap => {
                        run.1 = v.2;
                        run.3 = k + 1;
                    }
                    _ => runs.push((v.2, v.2, k, k + 1)),
                }
            }
            // Ribs starting here take their height from their own voxels.
            for &r in &members {
                if follow[r].z.is_none() && b >= follow[r].start {
                    let own: Vec<f64> = voxels.iter().filter(|v| v.0 == r).map(|v| v.2).collect();
                    if let Some(z) = crate::skeleton::median(&own) {
                        follow[r] = Follow {
                            z: Some(z),
                            slope: 0.0,
                            last: b,
                            start: follow[r].start,
                        };
                    }
                }
            }
            // The followed ribs, top to bottom, take runs in their order.
            let max_gap = (RIB_SWEEP_MAX_GAP_DEG / RIB_SWEEP_BIN_DEG).ceil() as usize;
            let mut followed: Vec<(usize, f64)> = members
                .iter()
                .filter_map(|&r| {
                    let fo = follow[r];
                    // A rib that found no run for a while has ended (ribs
                    // 11-12 end at the side, the others at their cartilage).
                    let z = fo.z.filter(|_| b - fo.last <= max_gap)?;
                    Some((r, z + fo.slope * (b - fo.last) as f64))
                })
                .collect();
            // In the order of their numbers: ribs never cross, so a rib
            // whose followed height drifted below the next one's must not
            // swap places (and fronts) with it.
            followed.sort_by_key(|f| ribs[f.0].0.1);
            let spans: Vec<(f64, f64)> = runs.iter().map(|r| (r.0, r.1)).collect();
            let expected: Vec<f64> = followed.iter().map(|f| f.1).collect();
            // Per followed rib, the share of each run traced as its own.
            let owned: Vec<Vec<f64>> = followed
                .iter()
                .map(|&(r, _)| {
                    runs.iter()
                        .map(|run| {
                            let run_voxels = &voxels[run.2..run.3];
                            let own = run_voxels.iter().filter(|v| v.0 == r).count();
                            own as f64 / run_voxels.len().max(1) as f64
                        })
                        .collect()
                })
                .collect();
            let mut claims: Vec<Vec<(usize, f64)>> = vec![Vec::new(); runs.len()];
            let mut assigned = assign_in_order(&expected, &spans, &owned);
            take_own_runs(&mut assigned, &owned);
            tracing::trace!(
                left,
                bin = b,
                runs = ?runs
                    .iter()
                    .map(|r| {
                        let mut by: Vec<(usize, usize)> = Vec::new();
                        for v in &voxels[r.2..r.3] {
                            let n = ribs[v.0].0.1;
                            match by.iter_mut().find(|x| x.0 == n) {
                                Some(x) => x.1 += 1,
                                None => by.push((n, 1)),
                            }
                        }
                        (r.0.round(), r.1.round(), by)
                    })
                    .collect::<Vec<_>>(),
                followed = ?followed
                    .iter()
                    .map(|f| (ribs[f.0].0.1, f.1.round()))
                    .collect::<Vec<_>>(),
                ?assigned,
                "sweep bin"
            );
            for (k, run) in assigned.into_iter().enumerate() {
                if let Some(run) = run {
                    claims[run].push(followed[k]);
                }
            }
            let mut got: Vec<(usize, Vec<f64>)> = Vec::new();
            for (run, claimants) in runs.iter().zip(&claims) {
                if claimants.is_empty() {
                    continue;
                }
                for v in &voxels[run.2..run.3] {
                    let (r, _) = claimants
                        .iter()
                        .min_by(|a, b| (a.1 - v.2).abs().total_cmp(&(b.1 - v.2).abs()))
                        .copied()
                        .unwrap_or((v.0, 0.0));
                    if r != v.0 {
                        new_owner.push((v.1, r));
                    }
                    match got.iter_mut().find(|g| g.0 == r) {
                        Some(g) => g.1.push(v.2),
                        None => got.push((r, vec![v.2])),
                    }
                }
            }
            for (r, zs) in got {
                let Some(z) = crate::skeleton::median(&zs) else {
                    continue;
                };
                let fo = &mut follow[r];
                if let Some(old) = fo.z {
                    let steps = (b - fo.last).max(1) as f64;
                    fo.slope = 0.5 * fo.slope + 0.5 * (z - old) / steps;
                }
                fo.z = Some(z);
                fo.last = b;
            }
        }
        // Move the re-owned voxels.
        let moved: std::collections::HashMap<usize, usize> = new_owner.into_iter().collect();
        if moved.is_empty() {
            continue;
        }
        let mut gained: Vec<Vec<usize>> = vec![Vec::new(); ribs.len()];
        for &r in &members {
            ribs[r].1.retain(|i| match moved.get(i) {
                Some(&to) => {
                    gained[to].push(*i);
                    false
                }
                None => true,
            });
        }
        for (r, g) in gained.into_iter().enumerate() {
            ribs[r].1.extend(g);
        }
    }
}

/// The bin where a rib is first followed, from the bins of its traced
/// voxels (`bins` in all, the first straight behind the chest's centre):
/// the 10th percentile, which skips stray voxels, of those in the back
/// half. A rib glued to the shoulder girdle or to the next rib's front
/// holds much bone at the side and front; a start taken over all of it
/// would skip the rib's back, where its own head makes it known, and
/// start it on the glued bone at the height of the girdle.
fn start_bin(mut own_bins: Vec<usize>, bins: usize) -> usize {
    own_bins.sort_unstable();
    let back: Vec<usize> = own_bins.iter().copied().filter(|&b| b < bins / 2).collect();
    let from = if back.is_empty() { &own_bins } else { &back };
    from.get(from.len() / 10).copied().unwrap_or(bins)
}

/// Moves a rib that shares a run holding none of its traced voxels to a
/// run that nobody claims between the runs of its neighbours in order:
/// one mostly its own, else the first below the shared run (`assigned`:
/// per rib, top to bottom, its run; `owned[rib][run]`: the share of the
/// run traced as the rib's). Such a rib's followed height lags behind its
/// steep course (the first two ribs curve down to the front together,
/// merged with the shoulder girdle on the tracing grid): it rides along
/// in its neighbour's run, within reach of its height, while its own run,
/// apart below (traced as its own, or glued to the neighbour's tracing),
/// has fallen out of reach; a share there is the neighbour's bone, and
/// the rib would follow the neighbour round to the front.
fn take_own_runs(assigned: &mut [Option<usize>], owned: &[Vec<f64>]) {
    let share = |i: usize, k: usize| owned.get(i).and_then(|o| o.get(k)).copied().unwrap_or(0.0);
    for i in 0..assigned.len() {
        let Some(k) = assigned[i] else { continue };
        let shared = assigned
            .iter()
            .enumerate()
            .any(|(j, a)| j != i && *a == Some(k));
        if !shared || share(i, k) >= RIB_SWEEP_FOREIGN_SHARE {
            continue;
        }
        let above = assigned[..i].iter().rev().find_map(|a| *a);
        let below = assigned[i + 1..].iter().find_map(|a| *a);
        let runs = owned.get(i).map_or(0, Vec::len);
        let fits = |q: usize| {
            !assigned.contains(&Some(q))
                && above.is_none_or(|a| q > a)
                && below.is_none_or(|b| q < b)
        };
        let free = (0..runs)
            .find(|&q| fits(q) && share(i, q) >= RIB_SWEEP_OWN_RUN_SHARE)
            .or_else(|| (k + 1..runs).find(|&q| fits(q)));
        if let Some(q) = free {
            assigned[i] = Some(q);
        }
    }
}

/// Distance (mm) from a height to a run's span (0 inside it).
fn distance_to_span(z: f64, span: (f64, f64)) -> f64 {
    if z > span.0 {
        z - span.0
    } else if z < span.1 {
        span.1 - z
    } else {
        0.0
    }
}

/// Assigns ribs (expected heights, top to bottom) to runs (spans (top,
/// bottom), top to bottom) keeping their order, each within
/// [`RIB_SWEEP_TOLERANCE_MM`] of its run or none, at the least total
/// distance; two ribs share a run only when that beats the next run by
/// [`RIB_SWEEP_SHARE_MM`] (touching ribs), a rib left out costs the
/// tolerance, and a run traced as the rib's own (`owned[rib][run]`, the
/// share of its voxels) is preferred by up to [`RIB_SWEEP_OWN_BONUS_MM`]:
/// the tracing is right far more often than a followed height that drifts
/// where runs merge. A small dynamic programme: a dozen ribs, a dozen
/// runs.
fn assign_in_order(
    expected: &[f64],
    spans: &[(f64, f64)],
    owned: &[Vec<f64>],
) -> Vec<Option<usize>> {
    let (m, n) = (expected.len(), spans.len());
    // cost[i][j]: the first i ribs placed, the last run used j (0: none
    // yet, k + 1: run k).
    let mut cost = vec![vec![f64::INFINITY; n + 1]; m + 1];
    let mut back: Vec<Vec<(usize, Option<usize>)>> = vec![vec![(0, None); n + 1]; m + 1];
    cost[0][0] = 0.0;
    for i in 0..m {
        for j in 0..=n {
            let here = cost[i][j];
            if !here.is_finite() {
                continue;
            }
            let skip = here + RIB_SWEEP_TOLERANCE_MM;
            if skip < cost[i + 1][j] {
                cost[i + 1][j] = skip;
                back[i + 1][j] = (j, None);
            }
            for k in j.max(1)..=n {
                let d = distance_to_span(expected[i], spans[k - 1]);
                if d > RIB_SWEEP_TOLERANCE_MM {
                    continue;
                }
                let own = owned
                    .get(i)
                    .and_then(|o| o.get(k - 1))
                    .copied()
                    .unwrap_or(0.0);
                let c = here + d + if k == j { RIB_SWEEP_SHARE_MM } else { 0.0 }
                    - RIB_SWEEP_OWN_BONUS_MM * own;
                if c < cost[i + 1][k] {
                    cost[i + 1][k] = c;
                    back[i + 1][k] = (j, Some(k - 1));
                }
            }
        }
    }
    let mut j = (0..=n)
        .min_by(|a, b| cost[m][*a].total_cmp(&cost[m][*b]))
        .unwrap_or(0);
    let mut out = vec![None; m];
    for i in (1..=m).rev() {
        let (prev, run) = back[i][j];
        out[i - 1] = run;
        j = prev;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ribs_keep_their_order_and_share_only_touching_runs() {
        // Rib 1 expected at 242 lags behind its steep front (a run at
        // 237-232); rib 2 expected at 225 has its own run at 222-216.
        let spans = [(237.0, 232.0), (222.0, 216.0)];
        assert_eq!(
            assign_in_order(&[242.0, 225.0], &spans, &[]),
            vec![Some(0), Some(1)]
        );
        // One run holding two touching ribs is shared.
        let spans = [(240.0, 215.0)];
        assert_eq!(
            assign_in_order(&[238.0, 218.0], &spans, &[]),
            vec![Some(0), Some(0)]
        );
        // A rib with no run near is left out; the order never crosses.
        let spans = [(200.0, 195.0)];
        assert_eq!(
            assign_in_order(&[240.0, 199.0], &spans, &[]),
            vec![None, Some(0)]
        );
    }

    #[test]
    fn a_rib_glued_to_the_girdle_starts_at_its_back() {
        // 60 bins; the rib's back runs over bins 5-29 (one voxel each),
        // and 300 voxels of girdle glued to it lie at bins 31-41: over
        // all its voxels the 10th percentile falls on the girdle.
        let mut own: Vec<usize> = (5..30).collect();
        own.extend((0..300).map(|k| 31 + k % 11));
        assert_eq!(start_bin(own.clone(), 60), 7);
        let all = {
            let mut v = own;
            v.sort_unstable();
            v[v.len() / 10]
        };
        assert!(all >= 31);
        // A rib with no voxel in the back half starts where it is.
        assert_eq!(start_bin((40..50).collect(), 60), 41);
    }

    #[test]
    fn a_rib_takes_its_own_run_over_sharing_a_merged_one() {
        // Rib 2 (expected at 221) drifted into the run where rib 1 and the
        // clavicle merge (255-220); its own traced run lies 6 mm below.
        let spans = [(255.0, 220.0), (215.0, 198.0)];
        let owned = vec![vec![0.9, 0.0], vec![0.1, 1.0]];
        assert_eq!(
            assign_in_order(&[244.0, 221.0], &spans, &owned),
            vec![Some(0), Some(1)]
        );
        // By height alone it shares the merged run.
        assert_eq!(
            assign_in_order(&[244.0, 221.0], &spans, &[]),
            vec![Some(0), Some(0)]
        );
    }

    /// `take_own_runs` on a copy of `assigned`.
    fn retaken(owned: &[Vec<f64>], assigned: &[Option<usize>]) -> Vec<Option<usize>> {
        let mut out = assigned.to_vec();
        take_own_runs(&mut out, owned);
        out
    }

    #[test]
    fn a_rib_riding_in_its_neighbours_run_takes_its_own() {
        let (a, b, c) = (
            vec![1.0, 0.0, 0.0],
            vec![0.0, 0.95, 0.0],
            vec![0.0, 0.0, 1.0],
        );
        // Runs: rib 1's (with the girdle), rib 2's own, rib 3's. Rib 2's
        // followed height lagged into rib 1's run, which holds none of it.
        let riding = [Some(0), Some(0), Some(2)];
        let fixed = vec![Some(0), Some(1), Some(2)];
        assert_eq!(retaken(&[a, b, c.clone()], &riding), fixed);
        // Its own run traced as rib 1's (glued to it): the free run below
        // the shared one, above rib 3's, is taken all the same.
        let glued = vec![1.0, 1.0, 0.0];
        assert_eq!(retaken(&[glued, vec![0.0; 3], c], &riding), fixed);
        // Two ribs merged in one run traced as both keep sharing it.
        let merged = [vec![0.6, 0.0], vec![0.4, 0.9]];
        assert_eq!(retaken(&merged, &[Some(0), Some(0)]), [Some(0), Some(0)]);
        // Its own run out of order (above its upper neighbour's), and no
        // free run below: it stays.
        let above = [vec![0.0, 1.0], vec![0.9, 0.0]];
        assert_eq!(retaken(&above, &[Some(1), Some(1)]), [Some(1), Some(1)]);
    }
}
