//! `airad.esophagus`: the oesophagus from the thoracic inlet to the
//! hiatus, as a mask and a centreline with radii.
//!
//! Method: the oesophagus is a collapsed muscular tube (sometimes with
//! air or fluid) behind the trachea above the carina and behind the left
//! atrium below it, right of and in front of the descending aorta
//! (Fritscher et al., 2015, use the same neighbours as landmarks). It is
//! seeded as the best small round disc (radius 5-13 mm, soft tissue or
//! air inside) just behind the trachea above the aortic arch, and tracked
//! down and up with perpendicular cross-sections ([`crate::tubes::track`])
//! in which the aorta, the heart and the airways read as "outside", so the
//! tube cannot slide into them.

use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Centreline, Context, Manifest, Mask};
use volume::Volume;

use crate::aorta::AORTA_SPEC;
use crate::medgrid::{LungFacts, thorax_grid, tube_volume};
use crate::tubes::{Circle, TubeSpec, axial_circles, smooth, track};

/// Cross-section model of the oesophagus.
const ESOPHAGUS_SPEC: TubeSpec = TubeSpec {
    r_range: (5.0, 13.0),
    lumen: (-40.0, 120.0),
    air_lumen: true,
    min_score: 0.25,
    step_mm: 4.0,
    search_mm: 4.0,
    max_dr: 1.0,
    ..AORTA_SPEC
};

/// The oesophagus unit.
pub struct Esophagus {
    manifest: Manifest,
}

impl Default for Esophagus {
    fn default() -> Self {
        Esophagus {
            manifest: Manifest::new(
                "airad.esophagus",
                env!("CARGO_PKG_VERSION"),
                "Oesophagus mask and centreline",
            )
            .requires(&["mask:lung_right", "mask:lung_left", "centreline:trachea"])
            .optional(&[
                "mask:trachea",
                "mask:bronchi",
                "mask:aorta",
                "mask:heart",
                "centreline:aorta",
            ])
            .produces(&["mask:esophagus", "centreline:esophagus"])
            .resources(1, 600, 60.0)
            .typical(0.15),
        }
    }
}

impl Aisu for Esophagus {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let right = ctx.mask("mask:lung_right")?;
        let left = ctx.mask("mask:lung_left")?;
        let trachea_line = ctx.centreline("centreline:trachea")?;
        let mut blocked = Vec::new();
        for name in ["mask:trachea", "mask:bronchi", "mask:aorta", "mask:heart"] {
            if let Some(m) = ctx.mask_opt(name)? {
                blocked.push(m);
            }
        }
        let aorta_line = match ctx.centreline("centreline:aorta") {
            Ok(c) => Some(c),
            Err(AisuError::Missing { .. }) => None,
            Err(e) => return Err(e),
        };
        let blocked: Vec<&Mask> = blocked.iter().map(|m| &**m).collect();
        match segment_esophagus(
            ct,
            &[&right, &left],
            &trachea_line,
            &blocked,
            aorta_line.as_deref(),
        )? {
            Some((mask, line)) => {
                ctx.put_mask("mask:esophagus", mask)?;
                ctx.put("centreline:esophagus", Artefact::Centreline(Arc::new(line)))
            }
            None => {
                let why = "oesophagus not found behind the trachea";
                ctx.absent("mask:esophagus", why)?;
                ctx.absent("centreline:esophagus", why)
            }
        }
    }
}

/// Segments the oesophagus: its mask and centreline (top first).
pub fn segment_esophagus(
    ct: &Volume<i16>,
    lungs: &[&Mask],
    trachea: &Centreline,
    blocked: &[&Mask],
    aorta: Option<&Centreline>,
) -> Result<Option<(Mask, Centreline)>, AisuError> {
    let grid = thorax_grid(ct, lungs, 10.0, 30.0, 0.0, [1.5, 1.5, 2.5])?;
    let Some(facts) = LungFacts::new(&grid, lungs) else {
        return Ok(None);
    };
    let mut excluded = Volume::filled(*grid.hu.geometry(), false);
    for m in blocked {
        for (e, b) in excluded
            .as_slice_mut()
            .iter_mut()
            .zip(grid.from_mask(m).as_slice())
        {
            *e |= *b;
        }
    }
    let tpts: Vec<[f64; 3]> = trachea.points.iter().map(|p| grid.work_mm(*p)).collect();
    if tpts.is_empty() {
        return Ok(None);
    }
    // Seed level: above the aortic arch (or in the upper third of the
    // lungs), where the oesophagus lies right behind the trachea.
    let (z0, z1) = facts.z_range;
    let arch_top = aorta.and_then(|a| {
        a.points
            .iter()
            .map(|p| grid.work_mm(*p)[2])
            .reduce(f64::max)
    });
    let z_seed = arch_top
        .map(|t| t + 10.0)
        .unwrap_or(z0 + 0.8 * (z1 - z0))
        .min(z1 - 5.0);
    let mut seed: Option<Circle> = None;
    for dz in [0.0, -8.0, 8.0, -16.0] {
        let z = z_seed + dz;
        let Some(t) = tpts
            .iter()
            .min_by(|a, b| (a[2] - z).abs().total_cmp(&(b[2] - z).abs()))
        else {
            continue;
        };
        if (t[2] - z).abs() > 20.0 {
            continue;
        }
        let roi = (t[0] - 20.0, t[0] + 25.0, t[1] + 6.0, t[1] + 35.0);
        for c in axial_circles(&grid, Some(&excluded), &ESOPHAGUS_SPEC, z, roi) {
            if !facts.is_lung(&grid, c.c) && seed.is_none_or(|b| c.score > b.score) {
                seed = Some(c);
            }
        }
    }
    let Some(seed) = seed else {
        return Ok(None);
    };
    let stop = |c: &Circle| facts.is_lung(&grid, c.c) || c.c[2] < z0 - 25.0 || c.c[2] > z1;
    let up = track(
        &grid,
        Some(&excluded),
        &ESOPHAGUS_SPEC,
        &seed,
        [0.0, 0.0, 1.0],
        150.0,
        &stop,
    );
    let down = track(
        &grid,
        Some(&excluded),
        &ESOPHAGUS_SPEC,
        &seed,
        [0.0, 0.0, -1.0],
        350.0,
        &stop,
    );
    let mut path: Vec<Circle> = up.into_iter().rev().collect();
    path.push(seed);
    path.extend(down);
    if path.len() < 5 {
        return Ok(None);
    }
    smooth(&mut path, 2);
    let points: Vec<[f64; 3]> = path.iter().map(|c| grid.lps(c.c)).collect();
    let radii: Vec<f64> = path.iter().map(|c| c.r.clamp(5.0, 12.0)).collect();
    let g = *ct.geometry();
    let tube = tube_volume(&g, &points, &radii, |x, y, z| {
        !blocked.iter().any(|m| m.contains(x, y, z))
    });
    let line = Centreline {
        segments: vec!["esophagus".to_string(); points.len()],
        points,
        radii_mm: radii,
    };
    Ok(Some((Mask::from_volume(&tube), line)))
}
