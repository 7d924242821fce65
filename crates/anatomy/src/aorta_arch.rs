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
    AORTA_BRANCH_SHRINK, ARCH_MAX_GAP_MM, ARCH_MAX_GROWTH, ARCH_MIN_DEPTH_MM, ARCH_MIN_DESCENT_MM,
    ARCH_START_STEPS, ASCENDING_MAX_RIGHT_MM, ASCENDING_MIN_RATIO, ASCENDING_ROOT_GROWTH,
};
use crate::medgrid::{LungFacts, WorkGrid};
use crate::tubes::{Circle, TubeSpec, dist, normalize, track};

/// Finds the ascending aorta below the top of the descending aorta: at
/// least [`ARCH_MIN_DEPTH_MM`] in front of it, to its right but no more
/// than [`ASCENDING_MAX_RIGHT_MM`] right of the midline (further out lie
/// the SVC and the right atrium), the large round disc that recurs at the
/// same place on the most slices (the pulmonary trunk runs obliquely and
/// recurs on fewer slices), ties going to the better score. It is at
/// least [`ASCENDING_MIN_RATIO`] times as wide as the descending aorta
/// (`desc_r`), which the SVC beside it is not.
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
                desc_top.c[0] - 10.0,
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
    /// Whether it ends at least [`ARCH_MIN_DEPTH_MM`] in front of its start.
    pub in_front: bool,
}

/// Tracks from the highest descending cross-sections (`desc`, top first)
/// in the directions the arch may leave them: forwards, to the right and
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
) -> Vec<ArchTrack> {
    let Some(top) = desc.first() else {
        return Vec::new();
    };
    // The tube is no wider than the ascending aorta (wider is the heart
    // or a mass) and no narrower than where a branch leaves; it must not
    // come back down onto the descending aorta.
    let stop = |c: &Circle| {
        facts.is_lung(grid, c.c)
            || c.r > ARCH_MAX_GROWTH * seed_r
            || c.r < AORTA_BRANCH_SHRINK * seed_r
            || desc
                .iter()
                .filter(|d| d.c[2] < top.c[2] - ARCH_MIN_DESCENT_MM)
                .any(|d| dist(d.c, c.c) < d.r + c.r)
    };
    let mut tracks = Vec::new();
    // The arch leaves the descending aorta somewhere in its top few
    // centimetres (the tracker may have gone on up the left subclavian
    // artery, which continues the descending aorta's vertical course).
    for (k, start) in desc.iter().enumerate().take(ARCH_START_STEPS).step_by(2) {
        for (dx, dy) in [
            (0.0, -1.0),
            (-0.5, -0.87),
            (-0.87, -0.5),
            (0.5, -0.87),
            (-1.0, 0.0),
        ] {
            for dz in [0.7, 0.25, -0.2] {
                let dir = normalize([dx, dy, dz]);
                let t = track(grid, None, &AORTA_SPEC, start, dir, 320.0, &stop);
                let Some(apex) = t.iter().map(|c| c.c[2]).reduce(f64::max) else {
                    continue;
                };
                let apex = apex.max(start.c[2]);
                let Some(end) = t.last() else { continue };
                let descent = apex - end.c[2];
                // The ascending aorta ends well in front of the descending.
                let in_front = end.c[1] < start.c[1] - ARCH_MIN_DEPTH_MM;
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
