//! `airad.rib_fractures`: rib fractures (FINDINGS.md F28), acute
//! (displaced or not) and healed, on every rib the anatomy numbered.
//!
//! Method (CPU only), as a reader scrolls an unfolded rib:
//! 1. Each numbered rib (`mask:rib_<side>_<n>`) gets a centreline from
//!    its head (`landmarks:ribs`): centroids of geodesic-distance bins
//!    through the mask, smoothed, resampled every
//!    [`RIBFX_STEP_MM`] ([`straight`]).
//! 2. The CT is sampled on sections perpendicular to it (a curved planar
//!    reformat). A fracture line is a station where the shaft's bone,
//!    on the best of a few tilted planes, is a valley along the rib:
//!    darker on average than the same pixels 1.5-4 mm on both sides, by
//!    at least [`RIBFX_MIN_LINE_SD`] robust deviations of that drop along
//!    the same rib ([`lines`]). A line is read only where the shaft on
//!    both sides is whole and centred on the centreline, where no other
//!    bone crosses (crossings and tracing slips are not fractures) and
//!    away from the head and the costochondral end.
//! 3. The step between the fragments (each side's centroids carried to
//!    the line) gives `displacement`; a bone area well above the rib's
//!    running median round the line is a callus: healed.
//!
//! Acute fractures are urgency tier 3 (the reader decides whether they
//! are new), healed ones incidental; three or more consecutive ribs of a
//! side each broken twice are a flail segment (tier 1). Slices thicker
//! than [`RIBFX_MAX_SLICE_MM`] are not read; between
//! [`RIBFX_HAIRLINE_MAX_SLICE_MM`] and that, hairline fractures cannot
//! be excluded and the code says so.

use std::sync::Arc;

use aisu::{Aisu, AisuError, Context, FindingDraft, Manifest, Mask, Measurement, Site, Urgency};
use rayon::prelude::*;
use serde_json::json;
use volume::Volume;

use crate::constants::{
    RIBFX_DISPLACED_MM, RIBFX_FLAIL_RIBS, RIBFX_HAIRLINE_MAX_SLICE_MM, RIBFX_MASK_RADIUS_MM,
    RIBFX_MAX_SLICE_MM, RIBFX_MIN_LINE_SD, RIBFX_MIN_RIB_MM, RIBFX_STEP_MM,
};

pub mod lines;
pub mod straight;

use lines::{Line, find_lines};

/// Codes this unit emits.
pub const CODES: [&str; 1] = ["F28"];

/// The rib fracture unit.
pub struct RibFractures {
    manifest: Manifest,
}

/// Rib names read, with side and number.
fn ribs() -> Vec<(String, &'static str, u8)> {
    let mut out = Vec::new();
    for side in ["left", "right"] {
        for n in 1..=13u8 {
            out.push((format!("rib_{side}_{n}"), side, n));
        }
    }
    out
}

impl Default for RibFractures {
    fn default() -> Self {
        let mut optional: Vec<String> = ribs()
            .into_iter()
            .map(|r| format!("mask:{}", r.0))
            .collect();
        optional.push("landmarks:ribs".into());
        let refs: Vec<&str> = optional.iter().map(String::as_str).collect();
        RibFractures {
            manifest: Manifest::new(
                "airad.rib_fractures",
                env!("CARGO_PKG_VERSION"),
                "Rib fractures: acute (displaced or not) and healed, per numbered rib",
            )
            .optional(&refs)
            .codes(&CODES)
            .resources(2, 600, 60.0),
        }
    }
}

/// A rib to read: name, side, number, mask and head (LPS).
type RibToRead = (String, &'static str, u8, Arc<Mask>, [f64; 3]);

/// A fracture found, with its rib.
struct Found {
    side: &'static str,
    number: u8,
    line: Line,
    point: [f64; 3],
    segment: &'static str,
    /// The rib's voxels round the line.
    voxels: Vec<[usize; 3]>,
}

impl Aisu for RibFractures {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let exam = ctx.exam();
        let slice_mm = crate::slice_thickness_mm(exam, ct);
        if slice_mm > RIBFX_MAX_SLICE_MM + 1e-6 {
            ctx.not_assessed(
                "F28",
                &format!(
                    "slice thickness {slice_mm:.1} mm > {RIBFX_MAX_SLICE_MM} mm: rib fractures \
                     not readable"
                ),
            )?;
            return Ok(());
        }
        let Ok(heads) = ctx.landmarks("landmarks:ribs") else {
            ctx.not_assessed("F28", "ribs not found: no rib heads")?;
            return Ok(());
        };
        let mut work: Vec<RibToRead> = Vec::new();
        let mut no_head: Vec<String> = Vec::new();
        for (name, side, n) in ribs() {
            let Some(mask) = ctx.mask_opt(&format!("mask:{name}"))? else {
                continue;
            };
            if mask.is_empty() {
                continue;
            }
            match heads.get(&format!("{name}_head")) {
                Some(h) => work.push((name, side, n, mask, *h)),
                None => no_head.push(name),
            }
        }
        if work.is_empty() && no_head.is_empty() {
            ctx.not_assessed("F28", "no numbered rib in view")?;
            return Ok(());
        }
        let read: Vec<(String, Option<Vec<Found>>)> = work
            .par_iter()
            .map(|(name, side, n, mask, head)| (name.clone(), read_rib(ct, mask, *head, side, *n)))
            .collect();
        let mut short: Vec<String> = Vec::new();
        let mut found: Vec<Found> = Vec::new();
        for (name, r) in read {
            match r {
                Some(f) => found.extend(f),
                None => short.push(name),
            }
        }
        for (names, why) in [
            (&no_head, "no head found".to_string()),
            (&short, format!("traced under {RIBFX_MIN_RIB_MM} mm")),
        ] {
            if !names.is_empty() {
                ctx.not_assessed(
                    "F28",
                    &format!("ribs not read ({why}): {}", names.join(", ")),
                )?;
            }
        }
        if slice_mm > RIBFX_HAIRLINE_MAX_SLICE_MM + 1e-6 {
            ctx.not_assessed(
                "F28",
                &format!(
                    "undisplaced (hairline) fractures not excluded on {slice_mm:.1} mm slices \
                     (> {RIBFX_HAIRLINE_MAX_SLICE_MM} mm)"
                ),
            )?;
        }
        let flail = flail_ribs(&found);
        for f in found {
            let in_flail = flail.contains(&(f.side, f.number));
            ctx.emit(draft(ct, f, in_flail, slice_mm)?)?;
        }
        Ok(())
    }
}

/// Reads one rib; `None` when it is too short to read.
fn read_rib(
    ct: &Volume<i16>,
    mask: &Mask,
    head: [f64; 3],
    side: &'static str,
    number: u8,
) -> Option<Vec<Found>> {
    let centres = straight::centreline(mask, head)?;
    let length = centres.len() as f64 * RIBFX_STEP_MM;
    if length < RIBFX_MIN_RIB_MM {
        return None;
    }
    let st = straight::straighten(ct, mask, centres);
    let lines = find_lines(&st);
    tracing::debug!(
        rib = format!("rib_{side}_{number}"),
        length_mm = length.round(),
        lines = ?lines
            .iter()
            .map(|l| (l.station as f64 * RIBFX_STEP_MM, (l.strength_sd * 100.0).round() / 100.0, l.step_mm, (l.area_ratio * 100.0).round() / 100.0))
            .collect::<Vec<_>>(),
        "rib read"
    );
    let g = ct.geometry();
    Some(
        lines
            .into_iter()
            .map(|line| {
                let point = st.centres[line.station];
                let third = line.station as f64 / st.len() as f64;
                let segment = if third < 1.0 / 3.0 {
                    "posterior"
                } else if third < 2.0 / 3.0 {
                    "lateral"
                } else {
                    "anterior"
                };
                let mut voxels = Vec::new();
                mask.for_each(|x, y, z| {
                    let p = g.index_to_lps([x as f64, y as f64, z as f64]);
                    let d = volume::norm([p[0] - point[0], p[1] - point[1], p[2] - point[2]]);
                    if d <= RIBFX_MASK_RADIUS_MM {
                        voxels.push([x, y, z]);
                    }
                });
                Found {
                    side,
                    number,
                    line,
                    point,
                    segment,
                    voxels,
                }
            })
            .collect(),
    )
}

/// The finding's mask: `voxels`, else the voxel at `point`.
fn mask_of(ct: &Volume<i16>, voxels: &[[usize; 3]], point: [f64; 3]) -> Result<Mask, AisuError> {
    let g = ct.geometry();
    let mut list = voxels.to_vec();
    if list.is_empty() {
        let i = g.lps_to_index(point).map(|c| c.round().max(0.0) as usize);
        let [nx, ny, nz] = g.dims;
        list.push([i[0].min(nx - 1), i[1].min(ny - 1), i[2].min(nz - 1)]);
    }
    crate::bone_density::mask_of(g, &list)
}

/// Ribs (side, number) in a flail segment: runs of at least
/// [`RIBFX_FLAIL_RIBS`] consecutive ribs of one side each broken in two
/// or more places.
fn flail_ribs(found: &[Found]) -> Vec<(&'static str, u8)> {
    let mut out = Vec::new();
    for side in ["left", "right"] {
        let twice: Vec<u8> = (1..=13u8)
            .filter(|&n| {
                found
                    .iter()
                    .filter(|f| f.side == side && f.number == n)
                    .count()
                    >= 2
            })
            .collect();
        let mut run: Vec<u8> = Vec::new();
        for n in twice.iter().copied().chain([u8::MAX]) {
            if run.last().is_some_and(|&l| n == l + 1) {
                run.push(n);
                continue;
            }
            if run.len() >= RIBFX_FLAIL_RIBS {
                out.extend(run.iter().map(|&r| (side, r)));
            }
            run = vec![n];
        }
    }
    out
}

/// The finding of one fracture.
fn draft(
    ct: &Volume<i16>,
    f: Found,
    in_flail: bool,
    slice_mm: f64,
) -> Result<FindingDraft, AisuError> {
    let healed = f.line.healed();
    let displaced = !healed && f.line.step_mm >= RIBFX_DISPLACED_MM;
    let mut d = FindingDraft::new("F28", mask_of(ct, &f.voxels, f.point)?);
    d.site = Site {
        side: Some(f.side.into()),
        rib: Some(f.number),
        segment: Some(f.segment.into()),
        ..Default::default()
    };
    let mut disp = Measurement::new("displacement", f.line.step_mm, "mm");
    disp.method = Some(
        "step between the fragments' bone centroids across the rib, each side's line carried \
         to the fracture (straightened rib)"
            .into(),
    );
    let mut callus = Measurement::new("callus", if healed { 1.0 } else { 0.0 }, "1");
    callus.method = Some(format!(
        "bone area near the line {:.2} x the rib's running median",
        f.line.area_ratio
    ));
    d.measurements = vec![disp, callus];
    d.morphology = if healed {
        vec!["healed".into(), "callus".into()]
    } else if displaced {
        vec!["displaced".into(), "acute".into()]
    } else {
        vec!["nondisplaced".into(), "acute".into()]
    };
    d.urgency = if in_flail {
        Urgency::Tier1
    } else if healed {
        Urgency::Incidental
    } else {
        Urgency::Tier3
    };
    if in_flail {
        d.extra.insert(
            "flail_segment".into(),
            json!(format!(
                "{} or more consecutive {} ribs each broken in two or more places",
                RIBFX_FLAIL_RIBS, f.side
            )),
        );
    }
    if !healed {
        d.extra.insert(
            "age".into(),
            json!("acute or subacute: compare with prior imaging to tell a new fracture"),
        );
    }
    if slice_mm > RIBFX_HAIRLINE_MAX_SLICE_MM + 1e-6 {
        d.extra.insert(
            "limited".into(),
            json!(format!(
                "slice thickness {slice_mm:.1} mm > {RIBFX_HAIRLINE_MAX_SLICE_MM} mm: lines \
                 read through partial volume"
            )),
        );
    }
    d.extra.insert(
        "line_strength_sd".into(),
        json!((f.line.strength_sd * 100.0).round() / 100.0),
    );
    let z = ct.geometry().lps_to_index(f.point)[2];
    d.key_slice = Some(z.round().max(0.0) as usize);
    // 0.5 at the threshold, 0.9 from 20 SDs above it.
    d.confidence = (0.5 + 0.02 * (f.line.strength_sd - RIBFX_MIN_LINE_SD)).clamp(0.5, 0.9);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(side: &'static str, number: u8) -> Found {
        Found {
            side,
            number,
            line: Line {
                station: 0,
                strength_sd: 20.0,
                step_mm: 0.0,
                area_ratio: 1.0,
            },
            point: [0.0; 3],
            segment: "lateral",
            voxels: Vec::new(),
        }
    }

    #[test]
    fn flail_needs_three_consecutive_ribs_broken_twice() {
        let mut f: Vec<Found> = [4, 4, 5, 5, 6, 6, 8, 8]
            .iter()
            .map(|&n| found("left", n))
            .collect();
        let flail = flail_ribs(&f);
        assert_eq!(flail, vec![("left", 4), ("left", 5), ("left", 6)]);
        f.retain(|x| x.number != 5);
        assert!(flail_ribs(&f).is_empty());
        let once: Vec<Found> = [4, 5, 6, 7].iter().map(|&n| found("right", n)).collect();
        assert!(flail_ribs(&once).is_empty());
    }
}
