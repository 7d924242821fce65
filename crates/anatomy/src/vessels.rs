//! `airad.great-vessels`: the pulmonary trunk with the main pulmonary
//! arteries, and the superior vena cava, on non-contrast CT.
//!
//! Method: both are found relative to the ascending aorta (Kurugol et al.,
//! Med Phys 2015, locate the pulmonary trunk by its position to the left
//! of the ascending aorta at the level of the bifurcation). The trunk is
//! the best round soft-tissue disc (radius 8-20 mm) left of the ascending
//! aorta below the arch; it is tracked with perpendicular cross-sections
//! ([`crate::tubes::track`]) down towards the right-ventricular outflow
//! until it merges with the heart, and up over the left main bronchus into
//! the left pulmonary artery until the hilum. The right pulmonary artery
//! is tracked from the upper trunk towards the patient's right, behind
//! the ascending aorta; its starting point is the bifurcation. The SVC is
//! the round disc (radius 6-14 mm) right of and behind the ascending
//! aorta, tracked from the arch level down to the right atrium. The aorta
//! reads as "outside" in every cross-section, so touching vessels part.

use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Centreline, Context, Landmarks, Manifest, Mask};
use volume::Volume;

use crate::aorta::AORTA_SPEC;
use crate::medgrid::{LungFacts, WorkGrid, thorax_grid, tube_volume};
use crate::tubes::{Circle, TubeSpec, axial_circles, dist, normalize, smooth, track};

/// Cross-section model of the pulmonary arteries.
const PA_SPEC: TubeSpec = TubeSpec {
    r_range: (5.0, 22.0),
    ..AORTA_SPEC
};

/// Cross-section model of the SVC (thinner, often oval).
const SVC_SPEC: TubeSpec = TubeSpec {
    r_range: (5.0, 15.0),
    min_score: 0.3,
    step_mm: 3.0,
    search_mm: 3.0,
    max_dr: 1.0,
    ..AORTA_SPEC
};

/// The great-vessels unit.
pub struct GreatVessels {
    manifest: Manifest,
}

impl Default for GreatVessels {
    fn default() -> Self {
        GreatVessels {
            manifest: Manifest::new(
                "airad.great-vessels",
                env!("CARGO_PKG_VERSION"),
                "Pulmonary trunk and main pulmonary arteries, superior vena cava",
            )
            .requires(&[
                "mask:lung_right",
                "mask:lung_left",
                "mask:aorta",
                "centreline:aorta",
            ])
            .produces(&[
                "mask:pulmonary_artery",
                "mask:svc",
                "landmarks:great_vessels",
            ])
            .resources(1, 600, 60.0)
            .typical(0.4),
        }
    }
}

impl Aisu for GreatVessels {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let right = ctx.mask("mask:lung_right")?;
        let left = ctx.mask("mask:lung_left")?;
        let aorta = ctx.mask("mask:aorta")?;
        let line = ctx.centreline("centreline:aorta")?;
        let found = segment_great_vessels(ct, &[&right, &left], &aorta, &line)?;
        let mut landmarks = Landmarks::new();
        match found.pulmonary {
            Some((mask, marks)) => {
                ctx.put_mask("mask:pulmonary_artery", mask)?;
                landmarks.extend(marks);
            }
            None => ctx.absent(
                "mask:pulmonary_artery",
                "pulmonary trunk not found beside the ascending aorta",
            )?,
        }
        match found.svc {
            Some((mask, marks)) => {
                ctx.put_mask("mask:svc", mask)?;
                landmarks.extend(marks);
            }
            None => ctx.absent("mask:svc", "superior vena cava not found")?,
        }
        if landmarks.is_empty() {
            ctx.absent("landmarks:great_vessels", "no great vessel found")
        } else {
            ctx.put(
                "landmarks:great_vessels",
                Artefact::Landmarks(Arc::new(landmarks)),
            )
        }
    }
}

/// What the unit found.
pub struct GreatVesselSegmentation {
    /// Pulmonary trunk and main arteries, with landmarks (pa_bifurcation,
    /// pa_trunk_low, pa_left_end, pa_right_end).
    pub pulmonary: Option<(Mask, Landmarks)>,
    /// SVC with landmarks (svc_top, svc_bottom).
    pub svc: Option<(Mask, Landmarks)>,
}

/// Segments the pulmonary arteries and the SVC.
pub fn segment_great_vessels(
    ct: &Volume<i16>,
    lungs: &[&Mask],
    aorta: &Mask,
    line: &Centreline,
) -> Result<GreatVesselSegmentation, AisuError> {
    let none = GreatVesselSegmentation {
        pulmonary: None,
        svc: None,
    };
    let grid = thorax_grid(ct, lungs, 10.0, 0.0, 0.0, [1.5, 1.5, 2.5])?;
    let Some(facts) = LungFacts::new(&grid, lungs) else {
        return Ok(none);
    };
    let ascending: Vec<Circle> = line
        .points
        .iter()
        .zip(&line.segments)
        .zip(&line.radii_mm)
        .filter(|((_, s), _)| *s == "ascending" || *s == "root")
        .map(|((p, _), r)| Circle {
            c: grid.work_mm(*p),
            r: *r,
            score: 1.0,
            inner_hu: 0.0,
        })
        .collect();
    let Some(asc_top) = ascending
        .iter()
        .max_by(|a, b| a.c[2].total_cmp(&b.c[2]))
        .copied()
    else {
        return Ok(none);
    };
    let apex_z = line
        .points
        .iter()
        .map(|p| grid.work_mm(*p)[2])
        .fold(f64::MIN, f64::max);
    let mut excluded = grid.from_mask(aorta);
    let in_lung = |c: &Circle| facts.is_lung(&grid, c.c);
    let asc_at = |z: f64| -> Circle {
        *ascending
            .iter()
            .min_by(|a, b| (a.c[2] - z).abs().total_cmp(&(b.c[2] - z).abs()))
            .unwrap_or(&asc_top)
    };
    // Pulmonary trunk: left of the ascending aorta, under the arch.
    let mut trunk_seed: Option<Circle> = None;
    let s = grid.spacing();
    let mut z = asc_top.c[2];
    while z >= asc_top.c[2] - 60.0 && z >= 0.0 {
        let a = asc_at(z);
        let roi = (a.c[0] + 10.0, a.c[0] + 70.0, a.c[1] - 40.0, a.c[1] + 40.0);
        let spec = TubeSpec {
            r_range: (8.0, 20.0),
            ..PA_SPEC
        };
        for c in axial_circles(&grid, Some(&excluded), &spec, z, roi) {
            let ok = (0.0..=100.0).contains(&c.inner_hu) && !in_lung(&c);
            if ok && trunk_seed.is_none_or(|t| c.score > t.score) {
                trunk_seed = Some(c);
            }
        }
        z -= 5.0_f64.max(s[2]);
    }
    let pulmonary = trunk_seed.map(|seed| {
        let to_heart = |c: &Circle| in_lung(c) || c.r > 1.3 * seed.r;
        let down = track(
            &grid,
            Some(&excluded),
            &PA_SPEC,
            &seed,
            [0.0, 0.0, -1.0],
            80.0,
            &to_heart,
        );
        let up = track(
            &grid,
            Some(&excluded),
            &PA_SPEC,
            &seed,
            [0.0, 0.0, 1.0],
            120.0,
            &in_lung,
        );
        let mut main: Vec<Circle> = down.into_iter().rev().collect();
        main.push(seed);
        main.extend(up);
        smooth(&mut main, 1);
        // Right pulmonary artery: from the upper trunk towards the right.
        let mut best_rpa: Vec<Circle> = Vec::new();
        let mut bifurcation = None;
        let top_z = main.iter().map(|c| c.c[2]).fold(f64::MIN, f64::max);
        for start in main.iter().filter(|c| c.c[2] > top_z - 40.0) {
            let dir = normalize([-1.0, 0.35, -0.1]);
            let start = Circle {
                r: start.r.min(12.0),
                ..*start
            };
            let rpa = track(
                &grid,
                Some(&excluded),
                &PA_SPEC,
                &start,
                dir,
                90.0,
                &in_lung,
            );
            let length = rpa.last().map(|l| dist(l.c, start.c)).unwrap_or(0.0);
            let best_len = best_rpa
                .last()
                .map(|l| dist(l.c, bifurcation.unwrap_or(start).c))
                .unwrap_or(0.0);
            if length >= 20.0 && length > best_len {
                best_rpa = rpa;
                bifurcation = Some(start);
            }
        }
        let mut marks = Landmarks::new();
        if let Some(first) = main.first() {
            marks.insert("pa_trunk_low".into(), grid.lps(first.c));
        }
        if let Some(last) = main.last() {
            marks.insert("pa_left_end".into(), grid.lps(last.c));
        }
        let mut vol = render(&grid, &main, aorta);
        if let Some(b) = bifurcation {
            marks.insert("pa_bifurcation".into(), grid.lps(b.c));
            let mut rpa = vec![b];
            rpa.extend(best_rpa);
            smooth(&mut rpa, 1);
            if let Some(last) = rpa.last() {
                marks.insert("pa_right_end".into(), grid.lps(last.c));
            }
            let r = render(&grid, &rpa, aorta);
            for (a, b) in vol.as_slice_mut().iter_mut().zip(r.as_slice()) {
                *a |= *b;
            }
        }
        (Mask::from_volume(&vol), marks)
    });
    if let Some((mask, _)) = &pulmonary {
        // The pulmonary arteries read as outside for the SVC search.
        let pa = grid.from_mask(mask);
        for (e, t) in excluded.as_slice_mut().iter_mut().zip(pa.as_slice()) {
            *e |= *t;
        }
    }
    // SVC: right of and behind the ascending aorta, around the arch level.
    let mut svc_seed: Option<Circle> = None;
    let mut z = asc_top.c[2] + 10.0;
    while z >= asc_top.c[2] - 30.0 && z >= 0.0 {
        let a = asc_at(z);
        let roi = (a.c[0] - 55.0, a.c[0] - 8.0, a.c[1] - 20.0, a.c[1] + 35.0);
        for c in axial_circles(&grid, Some(&excluded), &SVC_SPEC, z, roi) {
            let ok = (0.0..=100.0).contains(&c.inner_hu) && !in_lung(&c);
            if ok && svc_seed.is_none_or(|t| c.score > t.score) {
                svc_seed = Some(c);
            }
        }
        z -= 5.0_f64.max(s[2]);
    }
    let svc = svc_seed.map(|seed| {
        let up_stop = |c: &Circle| in_lung(c) || c.c[2] > apex_z + 15.0;
        let down_stop = |c: &Circle| in_lung(c) || c.r > 1.4 * seed.r;
        let up = track(
            &grid,
            Some(&excluded),
            &SVC_SPEC,
            &seed,
            [0.0, 0.0, 1.0],
            60.0,
            &up_stop,
        );
        let down = track(
            &grid,
            Some(&excluded),
            &SVC_SPEC,
            &seed,
            [0.0, 0.0, -1.0],
            80.0,
            &down_stop,
        );
        let mut path: Vec<Circle> = up.into_iter().rev().collect();
        path.push(seed);
        path.extend(down);
        smooth(&mut path, 1);
        let mut marks = Landmarks::new();
        if let (Some(a), Some(b)) = (path.first(), path.last()) {
            marks.insert("svc_top".into(), grid.lps(a.c));
            marks.insert("svc_bottom".into(), grid.lps(b.c));
        }
        (Mask::from_volume(&render(&grid, &path, aorta)), marks)
    });
    Ok(GreatVesselSegmentation { pulmonary, svc })
}

/// The tube of a path on the CT grid, outside the aorta.
fn render(grid: &WorkGrid, path: &[Circle], aorta: &Mask) -> Volume<bool> {
    let points: Vec<[f64; 3]> = path.iter().map(|c| grid.lps(c.c)).collect();
    let radii: Vec<f64> = path.iter().map(|c| c.r).collect();
    let g = *grid.ct_geometry();
    tube_volume(&g, &points, &radii, |x, y, z| !aorta.contains(x, y, z))
}
