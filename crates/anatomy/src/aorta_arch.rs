//! The arch and the ascending aorta of [`crate::aorta`], found from the
//! top of the descending aorta: tracks over the arch ([`arch_tracks`],
//! [`track_arch`]), the ascending aorta found on its own
//! ([`find_ascending`]) and tracked to the root and up, and the joining of
//! the two where neither crosses the whole arch alone ([`join_at_arch`]):
//! an aneurysm of the ascending aorta or the arch grows wider than a
//! track from the descending aorta may (it cannot tell a wide tube from
//! the heart), and the ascending aorta's own track may stop short of the
//! arch or turn up a supra-aortic branch.

use crate::aorta::{AORTA_SPEC, blood_circles, most_recurrent};
use crate::constants::{
    AORTA_BRANCH_SHRINK, ARCH_LIMB_BELOW_APEX_MM, ARCH_MAX_GAP_MM, ARCH_MAX_GROWTH,
    ARCH_MIN_DEPTH_MM, ARCH_MIN_DESCENT_MM, ARCH_START_STEPS, ASCENDING_MAX_GROWTH,
    ASCENDING_MAX_LEFT_MM, ASCENDING_MAX_RIGHT_MM, ASCENDING_MIN_RATIO, ASCENDING_ROOT_GROWTH,
};
use crate::medgrid::{LungFacts, WorkGrid};
use crate::tubes::{Circle, TubeSpec, dist, normalize, track};

/// Finds the ascending aorta below the top of the descending aorta: at
/// least [`ARCH_MIN_DEPTH_MM`] in front of it, not left of it nor more
/// than [`ASCENDING_MAX_LEFT_MM`] left of the midline (further left rises
/// the pulmonary trunk), no more than [`ASCENDING_MAX_RIGHT_MM`] right of
/// the midline (further out lie the SVC and the right atrium), the large
/// round disc that recurs at the same place on the most slices (the
/// pulmonary trunk runs obliquely and recurs on fewer slices), ties going
/// to the better score. It is at least [`ASCENDING_MIN_RATIO`] times as
/// wide as the descending aorta (`desc_r`), which the SVC beside it is
/// not.
pub(crate) fn find_ascending(
    grid: &WorkGrid,
    facts: &LungFacts,
    desc_top: &Circle,
    desc_r: f64,
) -> Option<Circle> {
    let s = grid.spacing();
    let spec = TubeSpec {
        r_range: (11.0, 26.0),
        ..AORTA_SPEC
    };
    let mut found: Vec<Vec<Circle>> = Vec::new();
    let mut z = desc_top.c[2] - 5.0;
    while z >= desc_top.c[2] - 70.0 && z >= 0.0 {
        let k = ((z / s[2]).round() as usize).min(grid.dims()[2] - 1);
        if let Some((ya, _)) = facts.y_extent[k] {
            let roi = (
                facts.mid_x - ASCENDING_MAX_RIGHT_MM,
                desc_top.c[0].min(facts.mid_x + ASCENDING_MAX_LEFT_MM),
                ya,
                desc_top.c[1] - ARCH_MIN_DEPTH_MM,
            );
            if roi.0 < roi.1 && roi.2 < roi.3 {
                found.push(blood_circles(grid, facts, &spec, k, roi, |c| {
                    c.r >= ASCENDING_MIN_RATIO * desc_r
                }));
            }
        }
        z -= 5.0_f64.max(s[2]);
    }
    most_recurrent(&found)
}

/// Tracks the arch and the ascending aorta from the top of the descending
/// aorta (`desc`, top first): the arch leaves it forwards, to the right
/// and upwards over the left main bronchus and the pulmonary artery, then
/// turns down in front of the trachea into the ascending aorta. Tracks
/// with perpendicular cross-sections ([`track`]) are started from the
/// highest descending cross-sections in several directions of that
/// half-space; the one that comes down furthest in front of the
/// descending aorta wins ([`arch_tracks`] gives the tracks). Returns the
/// index of the descending cross-section the arch leaves from and the
/// cross-sections from there on (start excluded) down to the root, or
/// `None` when no track comes down.
pub(crate) fn track_arch(tracks: &[ArchTrack]) -> Option<(usize, Vec<Circle>)> {
    tracks
        .iter()
        .filter(|t| t.descent >= ARCH_MIN_DESCENT_MM && t.in_front)
        .max_by(|a, b| a.descent.total_cmp(&b.descent))
        .map(|t| (t.from, t.circles.clone()))
}

/// A track started from the top of the descending aorta towards the arch
/// ([`arch_tracks`]).
pub(crate) struct ArchTrack {
    /// Index of the descending cross-section it starts from.
    pub from: usize,
    /// The cross-sections beyond the start, nearest first.
    pub circles: Vec<Circle>,
    /// How far (mm) it comes down below its highest point.
    pub descent: f64,
    /// Whether it ends at least [`ARCH_MIN_DEPTH_MM`] in front of its
    /// start, its way down (below [`ARCH_LIMB_BELOW_APEX_MM`] under its
    /// highest point) on average no more than [`ASCENDING_MAX_LEFT_MM`]
    /// left of the midline, where the pulmonary trunk comes down.
    pub in_front: bool,
}

/// Tracks from the highest descending cross-sections (`desc`, top first),
/// none lower than `lowest_start` (work mm) when given, in the directions
/// the arch may leave them: forwards, to the right and
/// upwards over the left main bronchus and the pulmonary artery. Tracks
/// with perpendicular cross-sections ([`track`]) stop where the tube grows
/// wider than [`ARCH_MAX_GROWTH`] times the descending seed's radius
/// (`seed_r`), narrows into a branch, enters lung or comes back down onto
/// the descending aorta.
pub(crate) fn arch_tracks(
    grid: &WorkGrid,
    facts: &LungFacts,
    desc: &[Circle],
    seed_r: f64,
    lowest_start: Option<f64>,
) -> Vec<ArchTrack> {
    if desc.is_empty() {
        return Vec::new();
    }
    // The tube is no wider than the ascending aorta (wider is the heart
    // or a mass) and no narrower than where a branch leaves; it must not
    // come back down onto the descending aorta below where it started
    // (the descending cross-sections above and just below the start are
    // where the arch leaves it, or the left subclavian artery or a
    // neighbour the upward track went on into).
    let stop = |c: &Circle, start: &Circle| {
        facts.is_lung(grid, c.c)
            || c.r > ARCH_MAX_GROWTH * seed_r
            || c.r < AORTA_BRANCH_SHRINK * seed_r
            || desc
                .iter()
                .filter(|d| d.c[2] < start.c[2] - ARCH_MIN_DESCENT_MM)
                .any(|d| dist(d.c, c.c) < d.r + c.r)
    };
    let mut tracks = Vec::new();
    // The arch leaves the descending aorta somewhere in its top few
    // centimetres (the tracker may have gone on up the left subclavian
    // artery, which continues the descending aorta's vertical course).
    for (k, start) in desc.iter().enumerate().take(ARCH_START_STEPS).step_by(2) {
        if lowest_start.is_some_and(|z| start.c[2] < z) {
            break;
        }
        let stop = |c: &Circle| stop(c, start);
        for (dx, dy) in [
            (0.0, -1.0),
            (-0.5, -0.87),
            (-0.87, -0.5),
            (0.5, -0.87),
            (-1.0, 0.0),
        ] {
            for dz in [0.7, 0.25, -0.2] {
                let dir = normalize([dx, dy, dz]);
                let mut t = track(grid, None, &AORTA_SPEC, start, dir, 320.0, &stop);
                let root = extend_to_root(grid, facts, &t, seed_r);
                t.extend(root);
                let Some(apex) = t.iter().map(|c| c.c[2]).reduce(f64::max) else {
                    continue;
                };
                let apex = apex.max(start.c[2]);
                let Some(end) = t.last() else { continue };
                let descent = apex - end.c[2];
                // The ascending aorta ends well in front of the descending,
                // and comes down right of the pulmonary trunk (a track may
                // enter the left pulmonary artery under the arch and come
                // down the trunk, left of the midline).
                let limb: Vec<f64> = t
                    .iter()
                    .filter(|c| c.c[2] < apex - ARCH_LIMB_BELOW_APEX_MM)
                    .map(|c| c.c[0])
                    .collect();
                let limb_x = if limb.is_empty() {
                    end.c[0]
                } else {
                    limb.iter().sum::<f64>() / limb.len() as f64
                };
                let in_front = end.c[1] < start.c[1] - ARCH_MIN_DEPTH_MM
                    && limb_x <= facts.mid_x + ASCENDING_MAX_LEFT_MM;
                tracks.push(ArchTrack {
                    from: k,
                    circles: t,
                    descent,
                    in_front,
                });
            }
        }
    }
    tracks
}

/// The ascending aorta followed on down from where an arch track
/// (`arch`, from the descending aorta, nearest first) ended: that track
/// stops where the tube grows past [`ARCH_MAX_GROWTH`] times the
/// descending aorta's radius (`seed_r`), and the ascending aorta is often
/// wider (dilated ascending aortas are common). Down from there, in the
/// arch track's last direction, it is tracked until it widens past
/// [`ASCENDING_ROOT_GROWTH`] times its radius over the last few
/// cross-sections (the root's sinuses, the heart beyond), grows past
/// [`ASCENDING_MAX_GROWTH`] times `seed_r`, or enters lung. Returns the
/// cross-sections beyond the arch track's end, nearest first (none when
/// the track was not coming down).
fn extend_to_root(grid: &WorkGrid, facts: &LungFacts, arch: &[Circle], seed_r: f64) -> Vec<Circle> {
    let n = arch.len();
    if n < 2 {
        return Vec::new();
    }
    let (prev, end) = (arch[n - 2], arch[n - 1]);
    let dir = normalize([
        end.c[0] - prev.c[0],
        end.c[1] - prev.c[1],
        end.c[2] - prev.c[2],
    ]);
    if dir[2] > -0.3 {
        return Vec::new();
    }
    let recent =
        std::cell::RefCell::new(arch.iter().rev().take(3).map(|c| c.r).collect::<Vec<f64>>());
    let to_root = |c: &Circle| {
        // The last (at most) three radii, newest first.
        let mut r = recent.borrow_mut();
        let mean = r.iter().sum::<f64>() / r.len().max(1) as f64;
        let stop = facts.is_lung(grid, c.c)
            || c.r > ASCENDING_MAX_GROWTH * seed_r
            || c.r > ASCENDING_ROOT_GROWTH * mean;
        if !stop {
            r.insert(0, c.r);
            r.truncate(3);
        }
        stop
    };
    track(grid, None, &AORTA_SPEC, &end, dir, 150.0, &to_root)
}

/// The ascending aorta tracked from `asc_seed` ([`find_ascending`]) down
/// to the root (until it grows wider than [`ASCENDING_ROOT_GROWTH`] times
/// the seed's radius) and up towards the arch, root first. Going up it stops on
/// the descending aorta (`desc`, top first), in lung, or where it narrows
/// into a supra-aortic branch (below [`AORTA_BRANCH_SHRINK`] of its
/// radius: the brachiocephalic trunk rises from the top of the arch in the
/// ascending aorta's line).
pub(crate) fn track_ascending(
    grid: &WorkGrid,
    facts: &LungFacts,
    asc_seed: &Circle,
    desc: &[Circle],
) -> Vec<Circle> {
    let in_lung = |c: &Circle| facts.is_lung(grid, c.c);
    let near_desc = |c: &Circle| {
        in_lung(c)
            || c.r < AORTA_BRANCH_SHRINK * asc_seed.r
            || desc.iter().take(8).any(|d| dist(d.c, c.c) < d.r + c.r)
    };
    let to_root = |c: &Circle| in_lung(c) || c.r > ASCENDING_ROOT_GROWTH * asc_seed.r;
    let down = track(
        grid,
        None,
        &AORTA_SPEC,
        asc_seed,
        [0.0, 0.0, -1.0],
        150.0,
        &to_root,
    );
    let up = track(
        grid,
        None,
        &AORTA_SPEC,
        asc_seed,
        [0.0, 0.0, 1.0],
        150.0,
        &near_desc,
    );
    let mut path: Vec<Circle> = down.into_iter().rev().collect();
    path.push(*asc_seed);
    path.extend(up);
    path
}

/// Joins the ascending aorta (`asc`, root first) to the descending aorta
/// (`desc`, top first) through an arch track ([`arch_tracks`]) that meets
/// it: the track's cross-section and an ascending one lie within
/// [`ARCH_MAX_GAP_MM`] of each other, wall to wall. Of the tracks that
/// meet it, the one reaching it in the fewest steps from the top of the
/// descending aorta is taken (the arch is the shortest way over). Returns
/// the whole path, root first, or `None` when no track meets it.
pub(crate) fn join_at_arch(
    asc: &[Circle],
    tracks: &[ArchTrack],
    desc: &[Circle],
) -> Option<Vec<Circle>> {
    let mut best: Option<(usize, &ArchTrack, usize, usize)> = None;
    for t in tracks {
        let meeting = t.circles.iter().enumerate().find_map(|(j, c)| {
            (0..asc.len())
                .rev()
                .find(|i| dist(asc[*i].c, c.c) - asc[*i].r - c.r <= ARCH_MAX_GAP_MM)
                .map(|i| (j, i))
        });
        if let Some((j, i)) = meeting
            && best.is_none_or(|(steps, ..)| t.from + j < steps)
        {
            best = Some((t.from + j, t, j, i));
        }
    }
    let (_, t, j, i) = best?;
    let mut path: Vec<Circle> = asc[..=i].to_vec();
    path.extend(t.circles[..=j].iter().rev());
    path.extend_from_slice(&desc[t.from..]);
    Some(path)
}
