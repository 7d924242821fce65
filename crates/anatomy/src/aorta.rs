//! `airad.aorta`: the thoracic aorta (outer wall to outer wall), its
//! centreline with radii and a segment name per point (root, ascending,
//! arch, descending, hiatus), and landmarks.
//!
//! Method, for non-contrast CT (Kurugol et al., Med Phys 2015; Xie et al.,
//! IEEE TMI 2014): the descending aorta is found as the best round
//! soft-tissue disc (radius 8-20 mm) in the posterior mediastinum on
//! mid-thoracic slices, left of or at the spine and not behind bone (the
//! spinal canal); from there the tube is tracked with cross-sections
//! perpendicular to its course ([`crate::tubes::track`]) down to the
//! hiatus and beyond while it stays round, and up over the arch and down
//! the ascending aorta until it disappears into the heart at the root.
//! Where the left atrium lies against the descending aorta the two read
//! as one mass and the track is lost; it is picked up again a few
//! centimetres on, straight above or below ([`track_bridged`]). When the upward track does not
//! turn over the arch by itself (it may go on up the left subclavian
//! artery), the arch is tracked from the top of the descending aorta in
//! the directions it may leave it ([`crate::aorta_arch`]); the ascending
//! aorta found on its own is only a fallback, joined to the descending
//! aorta when the gap is a step or two or when an arch track meets it (an
//! aneurysm of the ascending aorta or the arch is wider than an arch track
//! may grow). The carina, when the airway unit gives it (or where its
//! trachea ends), bounds the arch's height: the arch rises at most a few
//! centimetres above it and leaves the descending aorta at about its
//! level. For the mask, each tracked cross-section is refitted on the
//! CT at full resolution ([`crate::tube_wall`]: the half-level edge where
//! the wall meets fat or lung); the mask is the tube of those circles,
//! without lung, and the centreline stays the track. Segments follow the
//! centreline's shape: the arch is the stretch around the highest point
//! that runs more across than up;
//! the root is the lowest 20 mm of the ascending aorta; the hiatus starts
//! where the descending aorta leaves the lungs.

use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Centreline, Context, Landmarks, Manifest, Mask};

use crate::aorta_arch::{arch_tracks, find_ascending, join_at_arch, track_arch, track_ascending};
use crate::constants::{
    AORTA_BRANCH_SHRINK, AORTA_BRIDGE_CONFIRM, AORTA_BRIDGE_DRIFT_MM, AORTA_BRIDGE_FORWARD_MM,
    AORTA_BRIDGE_GROWTH, AORTA_BRIDGE_MM, AORTA_BRIDGES, AORTA_EXTRAPOLATE_MM,
    AORTA_FRONT_BONE_MIN_MM, AORTA_FRONT_BONE_MM, AORTA_MAX_ABOVE_CARINA_MM, AORTA_MAX_BONE_SHARE,
    AORTA_TAPER, AORTIC_ROOT_MM, ARCH_MAX_GAP_MM, ARCH_START_BELOW_CARINA_MM, SEED_DR_MM,
    SEED_DRIFT_MM, TRACHEA_MIN_SPAN_MM,
};
use crate::medgrid::{LungFacts, WorkGrid, thorax_grid, tube_volume};
use crate::tube_wall::refine_tube_wall;
use crate::tubes::{Circle, TubeSpec, axial_circles, dist, extrapolate, smooth, track};

/// Cross-section model of the aorta on non-contrast CT.
pub const AORTA_SPEC: TubeSpec = TubeSpec {
    r_range: (6.0, 30.0),
    lumen: (-20.0, 130.0),
    air_lumen: false,
    outside_below: -50.0,
    outside_above: 180.0,
    min_score: 0.35,
    step_mm: 4.0,
    search_mm: 4.0,
    max_dr: 1.5,
};

/// The aorta unit.
pub struct Aorta {
    manifest: Manifest,
}

impl Default for Aorta {
    fn default() -> Self {
        Aorta {
            manifest: Manifest::new(
                "airad.aorta",
                env!("CARGO_PKG_VERSION"),
                "Thoracic aorta: mask, centreline with radii and segments, landmarks",
            )
            .requires(&["mask:lung_right", "mask:lung_left", "mask:body"])
            .optional(&["landmarks:airway", "centreline:trachea"])
            .produces(&["mask:aorta", "centreline:aorta", "landmarks:aorta"])
            .resources(1, 800, 60.0)
            .typical(0.9),
        }
    }
}

impl Aisu for Aorta {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let right = ctx.mask("mask:lung_right")?;
        let left = ctx.mask("mask:lung_left")?;
        // The carina, or where the tracked trachea ends when the split
        // was not seen (the airway unit may stop a few millimetres above
        // it); a trachea shorter than a few centimetres says nothing.
        let carina = ctx
            .landmarks("landmarks:airway")
            .ok()
            .and_then(|l| l.get("carina").copied())
            .or_else(|| {
                let trachea = ctx.centreline("centreline:trachea").ok()?;
                let (first, last) = (trachea.points.first()?, trachea.points.last()?);
                ((first[2] - last[2]).abs() >= TRACHEA_MIN_SPAN_MM).then_some(*last)
            });
        match segment_aorta(ct, &[&right, &left], carina)? {
            Some(a) => {
                ctx.put_mask("mask:aorta", a.mask)?;
                ctx.put(
                    "centreline:aorta",
                    Artefact::Centreline(Arc::new(a.centreline)),
                )?;
                ctx.put(
                    "landmarks:aorta",
                    Artefact::Landmarks(Arc::new(a.landmarks)),
                )
            }
            None => {
                let why = "no aorta found: no round soft-tissue tube beside the spine";
                for name in ["mask:aorta", "centreline:aorta", "landmarks:aorta"] {
                    ctx.absent(name, why)?;
                }
                Ok(())
            }
        }
    }
}

/// The aorta as found.
pub struct AortaSegmentation {
    /// Outer wall to outer wall.
    pub mask: Mask,
    /// From the root (or the highest point found) down to the hiatus.
    pub centreline: Centreline,
    /// root, arch_apex, arch_start, arch_end, hiatus, end (those found).
    pub landmarks: Landmarks,
    /// The tracked cross-sections in work millimetres (root first).
    pub path: Vec<Circle>,
}

/// The circles on slice `k` within `roi` (x from, x to, y from, y to, mm)
/// that hold blood (0-100 HU inside), lie outside the lungs and that
/// `keep` accepts.
pub(crate) fn blood_circles(
    grid: &WorkGrid,
    facts: &LungFacts,
    spec: &TubeSpec,
    k: usize,
    roi: (f64, f64, f64, f64),
    keep: impl Fn(&Circle) -> bool,
) -> Vec<Circle> {
    axial_circles(grid, None, spec, k as f64 * grid.spacing()[2], roi)
        .into_iter()
        .filter(|c| (0.0..=100.0).contains(&c.inner_hu) && !facts.is_lung(grid, c.c) && keep(c))
        .collect()
}

/// Finds the descending aorta's seed on mid-thoracic slices: among the
/// round soft-tissue discs of the posterior mediastinum, the one that
/// recurs at the same place and size on the most slices (the descending
/// aorta is a straight vertical tube over 15-20 cm; hilar vessels, nodes
/// and the oesophagus are round over a few centimetres at most, or
/// smaller), ties going to the better score.
pub fn find_descending_seed(grid: &WorkGrid, facts: &LungFacts) -> Option<Circle> {
    let (z0, z1) = facts.z_range;
    let h = z1 - z0;
    let s = grid.spacing();
    let spec = TubeSpec {
        r_range: (8.0, 20.0),
        min_score: 0.45,
        ..AORTA_SPEC
    };
    let mut found: Vec<Vec<Circle>> = Vec::new();
    let mut z = z0 + 0.3 * h;
    while z <= z0 + 0.62 * h {
        let k = ((z / s[2]).round() as usize).min(grid.dims()[2] - 1);
        if let Some((ya, yp)) = facts.y_extent[k] {
            let roi = (
                facts.mid_x - 35.0,
                facts.mid_x + 60.0,
                (ya + yp) / 2.0,
                yp - 5.0,
            );
            found.push(blood_circles(grid, facts, &spec, k, roi, |c| {
                bone_share(grid, c) < AORTA_MAX_BONE_SHARE && !behind_bone(grid, c)
            }));
        }
        z += 10.0_f64.max(s[2]);
    }
    most_recurrent(&found)
}

/// Segments the aorta; `Ok(None)` when it cannot be found. The carina
/// (LPS mm), when known, bounds the arch: the descending aorta is not
/// followed up more than [`AORTA_MAX_ABOVE_CARINA_MM`] above it, and the
/// arch is not looked for leaving it more than
/// [`ARCH_START_BELOW_CARINA_MM`] below it.
pub fn segment_aorta(
    ct: &volume::Volume<i16>,
    lungs: &[&Mask],
    carina: Option<[f64; 3]>,
) -> Result<Option<AortaSegmentation>, AisuError> {
    let grid = thorax_grid(ct, lungs, 10.0, 80.0, 20.0, [1.5, 1.5, 2.5])?;
    let Some(facts) = LungFacts::new(&grid, lungs) else {
        return Ok(None);
    };
    let Some(seed) = find_descending_seed(&grid, &facts) else {
        return Ok(None);
    };
    let carina_z = carina.map(|p| grid.work_mm(p)[2]);
    let stop_in_lung = |c: &Circle| facts.is_lung(&grid, c.c);
    // Growth past these factors of the seed's radius means the tracker
    // slid into the heart (or a mass); aneurysms grow more slowly.
    let grown = |c: &Circle, base: f64, f: f64| c.r > f * base;
    // Shrinking below this factor means it left the aorta for a branch
    // (subclavian and carotid arteries are a third to half its radius).
    // Above the carina by more than the arch ever rises, the upward track
    // has left the aorta (up the oesophagus or a supra-aortic branch).
    let above_arch = |c: &Circle| carina_z.is_some_and(|z| c.c[2] > z + AORTA_MAX_ABOVE_CARINA_MM);
    let stop_desc = |c: &Circle| {
        stop_in_lung(c)
            || grown(c, seed.r, 1.6)
            || c.r < AORTA_BRANCH_SHRINK * seed.r
            || above_arch(c)
    };
    let up = track_bridged(&grid, &facts, &seed, &AORTA_SPEC, true, 500.0, &stop_desc);
    // Downwards the aorta neither branches nor narrows much (about 1 mm
    // per 10 cm); a fit that shrinks is a neighbour (left atrium,
    // oesophagus) pressing on the ring, so the radius is held.
    let down_spec = TubeSpec {
        r_range: (AORTA_TAPER * seed.r, AORTA_SPEC.r_range.1),
        ..AORTA_SPEC
    };
    let stop_down = |c: &Circle| stop_in_lung(c) || grown(c, seed.r, 1.6);
    let mut down = track_bridged(&grid, &facts, &seed, &down_spec, false, 300.0, &stop_down);
    // Through the diaphragm's crura the wall is lost (muscle as dense as
    // blood all round) while the lumen still shows: the aorta is carried
    // on straight down, as it runs there (in front of the vertebral
    // bodies), while it does.
    let end = *down.last().unwrap_or(&seed);
    let keep = |c: &Circle| !stop_in_lung(c);
    let below = extrapolate(
        &grid,
        &AORTA_SPEC,
        &end,
        [0.0, 0.0, -1.0],
        AORTA_EXTRAPOLATE_MM,
        &keep,
    );
    down.extend(below);
    // The descending aorta from its highest point down.
    let mut descending: Vec<Circle> = up.iter().rev().cloned().collect();
    descending.push(seed);
    descending.extend(down);
    let top = (0..descending.len())
        .max_by(|a, b| descending[*a].c[2].total_cmp(&descending[*b].c[2]))
        .unwrap_or(0);
    let came_down = descending[top].c[2] - descending[0].c[2] > 30.0;
    let path = if came_down {
        // The tracker went over the arch and down the ascending aorta.
        descending
    } else {
        let desc = descending[top..].to_vec();
        let lowest_start = carina_z.map(|z| z - ARCH_START_BELOW_CARINA_MM);
        let tracks = arch_tracks(&grid, &facts, &desc, seed.r, lowest_start);
        if let Some((k, arch)) = track_arch(&tracks) {
            // The arch and ascending aorta as tracked, root first, then
            // the descending aorta from where the arch left it.
            let mut path: Vec<Circle> = arch.into_iter().rev().collect();
            path.extend_from_slice(&desc[k..]);
            path
        } else if let Some(asc_seed) = find_ascending(&grid, &facts, &desc[0], seed.r) {
            // Find the ascending aorta on its own and track it up over
            // the arch towards the descending aorta.
            let mut path = track_ascending(&grid, &facts, &asc_seed, &desc);
            // A short gap (a step or two the fit lost) is closed; else an
            // arch track that meets the ascending aorta joins the two; a
            // long gap is left open rather than guessed.
            let gap = path
                .last()
                .map_or(f64::MAX, |a| dist(a.c, desc[0].c) - a.r - desc[0].r);
            if gap <= ARCH_MAX_GAP_MM {
                path.extend(desc);
                path
            } else {
                join_at_arch(&path, &tracks, &desc).unwrap_or(desc)
            }
        } else {
            desc
        }
    };
    let mut path = path;
    if path.len() < 6 {
        return Ok(None);
    }
    smooth(&mut path, 1);
    let segments = name_segments(&path, &grid, &facts);
    let points: Vec<[f64; 3]> = path.iter().map(|c| grid.lps(c.c)).collect();
    let radii: Vec<f64> = path.iter().map(|c| c.r).collect();
    // The mask is the tube of the walls refitted on the CT itself; the
    // centreline stays the track (it bridges what the tracker could not
    // follow, such as an aneurysm's widest part, in one step, and a
    // measuring unit reads its own cross-sections along it).
    let (wall_points, wall_radii) = refine_tube_wall(ct, &points, &radii);
    let values = ct.as_slice();
    let g = *ct.geometry();
    let [nx, ny, _] = g.dims;
    let tube = tube_volume(&g, &wall_points, &wall_radii, |x, y, z| {
        values[x + nx * (y + ny * z)] > -400
    });
    let mask = Mask::from_volume(&tube);
    let mut landmarks = Landmarks::new();
    let find = |name: &str| segments.iter().position(|s| s == name);
    if let Some(i) = find("root").or_else(|| find("ascending")) {
        landmarks.insert("root".into(), points[i]);
    }
    let apex = (0..path.len())
        .max_by(|a, b| path[*a].c[2].total_cmp(&path[*b].c[2]))
        .unwrap_or(0);
    landmarks.insert("arch_apex".into(), points[apex]);
    if let Some(i) = find("arch") {
        landmarks.insert("arch_start".into(), points[i]);
    }
    if let Some(i) = segments.iter().rposition(|s| s == "arch") {
        landmarks.insert("arch_end".into(), points[i]);
    }
    if let Some(i) = find("hiatus") {
        landmarks.insert("hiatus".into(), points[i]);
    }
    if let Some(p) = points.last() {
        landmarks.insert("end".into(), *p);
    }
    Ok(Some(AortaSegmentation {
        mask,
        centreline: Centreline {
            points,
            radii_mm: radii,
            segments,
        },
        landmarks,
        path,
    }))
}

/// Tracks the descending aorta from `seed` up (`up`) or down with
/// `spec` ([`track`]), bridging stretches where it is lost: the left
/// atrium (or a node, the oesophagus) lies against its front over a few
/// centimetres, where the two read as one soft-tissue mass and the fit
/// shrinks or fails. The descending aorta runs on nearly straight beside
/// the spine, so a disc of about its radius is looked for right beyond
/// where the track ended, up to [`AORTA_BRIDGE_MM`] on; it is taken when
/// it can itself be tracked on for [`AORTA_BRIDGE_CONFIRM`] steps.
/// Returns the cross-sections beyond the seed, nearest first.
fn track_bridged(
    grid: &WorkGrid,
    facts: &LungFacts,
    seed: &Circle,
    spec: &TubeSpec,
    up: bool,
    max_len_mm: f64,
    stop: &dyn Fn(&Circle) -> bool,
) -> Vec<Circle> {
    let s = grid.spacing();
    let sign = if up { 1.0 } else { -1.0 };
    let dir = [0.0, 0.0, sign];
    let mut out = track(grid, None, spec, seed, dir, max_len_mm, stop);
    let find_spec = TubeSpec {
        r_range: (AORTA_TAPER * seed.r, AORTA_BRIDGE_GROWTH * seed.r),
        ..AORTA_SPEC
    };
    for _ in 0..AORTA_BRIDGES {
        let last = *out.last().unwrap_or(seed);
        // Only a track lost on its way along the spine: one that has
        // turned over the arch (forwards, then down the ascending aorta)
        // ended where the descending aorta does.
        let furthest = out.iter().all(|c| sign * c.c[2] <= sign * last.c[2]);
        if !furthest || (up && seed.c[1] - last.c[1] > AORTA_BRIDGE_FORWARD_MM) {
            break;
        }
        let walked = (last.c[2] - seed.c[2]).abs();
        let mut gap = AORTA_SPEC.step_mm;
        let mut resumed = None;
        while gap <= AORTA_BRIDGE_MM && walked + gap < max_len_mm {
            let z = last.c[2] + sign * gap;
            gap += AORTA_SPEC.step_mm.max(s[2]);
            if z < 0.0 {
                break;
            }
            let k = ((z / s[2]).round() as usize).min(grid.dims()[2] - 1);
            let roi = (
                last.c[0] - AORTA_BRIDGE_DRIFT_MM,
                last.c[0] + AORTA_BRIDGE_DRIFT_MM,
                last.c[1] - AORTA_BRIDGE_DRIFT_MM,
                last.c[1] + AORTA_BRIDGE_DRIFT_MM,
            );
            let candidate = axial_circles(grid, None, &find_spec, k as f64 * s[2], roi)
                .into_iter()
                .find(|c| {
                    (0.0..=100.0).contains(&c.inner_hu)
                        && !facts.is_lung(grid, c.c)
                        && bone_share(grid, c) < AORTA_MAX_BONE_SHARE
                        && !stop(c)
                });
            if let Some(c) = candidate {
                let on = track(grid, None, spec, &c, dir, max_len_mm - walked - gap, stop);
                if on.len() >= AORTA_BRIDGE_CONFIRM {
                    resumed = Some((c, on));
                    break;
                }
            }
        }
        let Some((c, on)) = resumed else { break };
        out.push(c);
        out.extend(on);
    }
    out
}

/// Share of an axial ring just outside a circle that is bone (the spinal
/// canal is a round, vertical, fluid-filled tube walled by bone all round;
/// the aorta touches the spine only on one side).
fn bone_share(grid: &WorkGrid, c: &Circle) -> f64 {
    let n = 24;
    let r = c.r + 3.0;
    let bone = (0..n)
        .filter(|k| {
            let t = *k as f64 * std::f64::consts::TAU / n as f64;
            let v = grid.sample_mm([c.c[0] + r * t.cos(), c.c[1] + r * t.sin(), c.c[2]]);
            v > AORTA_SPEC.outside_above
        })
        .count();
    bone as f64 / n as f64
}

/// Whether bone lies straight in front of a circle (within
/// [`AORTA_FRONT_BONE_MM`] of its wall): the spinal canal, a round,
/// vertical, fluid-filled tube like the aorta, lies behind the vertebral
/// body, where the bony ring around it opens at the intervertebral discs
/// and foramina; nothing but soft tissue and air lies in front of the
/// descending aorta (oesophagus, left atrium, left main bronchus).
fn behind_bone(grid: &WorkGrid, c: &Circle) -> bool {
    // Work y grows backwards (LPS): in front is towards smaller y.
    [-0.35f64, 0.0, 0.35].iter().any(|t| {
        let (dx, dy) = (t.sin(), -t.cos());
        let bone = (0..AORTA_FRONT_BONE_MM as usize)
            .filter(|k| {
                let d = c.r + 2.0 + *k as f64;
                grid.sample_mm([c.c[0] + d * dx, c.c[1] + d * dy, c.c[2]])
                    > AORTA_SPEC.outside_above
            })
            .count();
        bone as f64 >= AORTA_FRONT_BONE_MIN_MM
    })
}

/// The circle, among circles found on successive slices, that has a
/// neighbour of similar position and radius on the most other slices
/// (ties to the better score).
pub(crate) fn most_recurrent(found: &[Vec<Circle>]) -> Option<Circle> {
    let mut best: Option<(usize, Circle)> = None;
    for (i, slice) in found.iter().enumerate() {
        for c in slice {
            let support = found
                .iter()
                .enumerate()
                .filter(|(j, other)| {
                    *j != i
                        && other.iter().any(|o| {
                            (o.c[0] - c.c[0]).hypot(o.c[1] - c.c[1]) < SEED_DRIFT_MM
                                && (o.r - c.r).abs() <= SEED_DR_MM
                        })
                })
                .count();
            if best.is_none_or(|(n, b)| support > n || (support == n && c.score > b.score)) {
                best = Some((support, *c));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// Names each point of the path (root first): root, ascending, arch,
/// descending, hiatus.
fn name_segments(path: &[Circle], grid: &WorkGrid, facts: &LungFacts) -> Vec<String> {
    let n = path.len();
    let apex = (0..n)
        .max_by(|a, b| path[*a].c[2].total_cmp(&path[*b].c[2]))
        .unwrap_or(0);
    let zt = path[apex].c[2];
    // Arch: around the apex while the course runs more across than up, or
    // stays within 15 mm of the top.
    let flat = |i: usize| -> bool {
        let a = path[i.saturating_sub(1)].c;
        let b = path[(i + 1).min(n - 1)].c;
        let d = crate::tubes::normalize([b[0] - a[0], b[1] - a[1], b[2] - a[2]]);
        d[2].abs() < 0.6 || path[i].c[2] > zt - 15.0
    };
    let mut a0 = apex;
    while a0 > 0 && flat(a0 - 1) {
        a0 -= 1;
    }
    let mut a1 = apex;
    while a1 + 1 < n && flat(a1 + 1) {
        a1 += 1;
    }
    // Is there an ascending limb (the path comes down before the arch)?
    let ascending = a0 > 0 && zt - path[0].c[2] > 30.0;
    let mut names = vec![String::new(); n];
    for (i, name) in names.iter_mut().enumerate() {
        *name = if i < a0 {
            "ascending".into()
        } else if i <= a1 {
            "arch".into()
        } else {
            "descending".into()
        };
    }
    if !ascending {
        // A short limb before the arch that does not come down far is
        // still the arch.
        for name in names.iter_mut().take(a0) {
            *name = "arch".into();
        }
    }
    if ascending {
        // Root: the lowest 20 mm of the ascending aorta, at most its lower
        // half when the tracked limb is short.
        let limb: f64 = (0..a0)
            .map(|i| crate::tubes::dist(path[i].c, path[i + 1].c))
            .sum();
        let root_mm = AORTIC_ROOT_MM.min(limb / 2.0);
        let mut len = 0.0;
        for i in 0..a0 {
            if len > root_mm {
                break;
            }
            names[i] = "root".into();
            len += crate::tubes::dist(path[i].c, path[i + 1].c);
        }
    }
    // Hiatus: below the lowest descending point with lung within 25 mm.
    let s = grid.spacing();
    let [nx, ny, nz] = grid.dims();
    let lungs = facts.lungs.as_slice();
    let mut last_lung = None;
    for (i, point) in path.iter().enumerate().take(n).skip(a1 + 1) {
        let c = point.c;
        let k = ((c[2] / s[2]).round().max(0.0) as usize).min(nz - 1);
        let (cx, cy) = (c[0] / s[0], c[1] / s[1]);
        let rx = (25.0 / s[0]).ceil() as i64;
        let ry = (25.0 / s[1]).ceil() as i64;
        let mut near = false;
        'search: for dy in -ry..=ry {
            for dx in -rx..=rx {
                let (x, y) = (cx as i64 + dx, cy as i64 + dy);
                if x < 0 || y < 0 || x >= nx as i64 || y >= ny as i64 {
                    continue;
                }
                if ((dx as f64 * s[0]).powi(2) + (dy as f64 * s[1]).powi(2)).sqrt() > 25.0 {
                    continue;
                }
                if lungs[x as usize + nx * (y as usize + ny * k)] {
                    near = true;
                    break 'search;
                }
            }
        }
        if near {
            last_lung = Some(i);
        }
    }
    if let Some(l) = last_lung {
        let zl = path[l].c[2] + 15.0;
        for i in a1 + 1..n {
            if path[i].c[2] <= zl {
                names[i] = "hiatus".into();
            }
        }
    }
    names
}
