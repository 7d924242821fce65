//! `airad.vertebral_fracture`: vertebral compression fractures
//! (FINDINGS.md F29) graded by Genant's semi-quantitative method from the
//! anterior, middle and posterior heights of each body T1-L2.
//!
//! Method (CPU only), as a reader measures on the mid-sagittal reformat:
//! 1. Per level, the body centre and the superior and inferior endplate
//!    centres come from `landmarks:vertebrae` (the `airad.spine` unit);
//!    the left-right position is the column's midline from the
//!    neighbouring levels. All profiles are means over a thin slab
//!    ([`FRACTURE_SLAB_HALF_MM`] either side of the midline).
//! 2. The anterior and posterior walls are the outer edges of the body
//!    on an anteroposterior profile through the centre, averaged over the
//!    mid-body slices. An outer edge is the first marked fall of the
//!    profile walking out of the body (cortex to disc, to soft tissue or
//!    to the canal), placed half-way down that fall with sub-voxel
//!    interpolation ([`outer_edge`]): porotic trabecular bone can be as
//!    dark as a disc, so the cortex, not a threshold, bounds the body.
//! 3. Heights run between the superior and inferior endplates (the
//!    centres of their cortical plates, [`plate_centre`], plus one plate
//!    thickness [`FRACTURE_ENDPLATE_MM`]) on profiles along the column's
//!    axis (from the neighbouring body centres: a vertical line near the
//!    wall of a tilted body would leave it through the wall), traced from
//!    the middle of the body towards each wall in small steps
//!    ([`FRACTURE_TRACE_STEP_MM`]), each profile starting at the previous
//!    one's mid-height (a depressed endplate can reach below the body's
//!    centre). The anterior and posterior heights are read
//!    [`FRACTURE_WALL_INSET_MM`] inside the walls, the middle one
//!    half-way.
//! 4. The reference height is the larger of the body's own tallest height
//!    and the mean tallest height of its measured neighbours (a crush
//!    fracture lowers all three of its own heights). The height loss is
//!    the shortest height's shortfall from it; Genant grade 1 from 20 %,
//!    2 from 25 %, 3 from 40 % ([`FRACTURE_GENANT_BOUNDS`]). The shape is
//!    wedge (anterior shortest), biconcave (middle shortest) or crush (all
//!    three short against the neighbours).
//!
//! A fracture's age cannot be told from one CT without a prior or MRI:
//! the finding says "age indeterminate" and stays routine; the reader
//! decides whether it is new (FINDINGS.md: new fractures are tier 3).
//! Levels with both endplates in view whose heights could not be read are
//! named in `not_assessed`; slices thicker than [`FRACTURE_MAX_SLICE_MM`]
//! are not read, and on slices thicker than [`FRACTURE_MILD_MAX_SLICE_MM`]
//! a fracture is reported (limited) only when its height loss exceeds a
//! fracture's by more than one slice ([`beyond_a_slice`]).

use aisu::{
    Aisu, AisuError, Category, Context, FindingDraft, Landmarks, Manifest, Mask, Measurement, Site,
    Urgency,
};
use serde_json::json;
use volume::Volume;

use crate::bone_density::{local_midline, mask_of};

mod profile;

use crate::constants::{
    FRACTURE_DEPTH_RANGE_MM, FRACTURE_EDGE_MAX_JUMP_MM, FRACTURE_ENDPLATE_MM,
    FRACTURE_GENANT_BOUNDS, FRACTURE_HEIGHT_RANGE_MM, FRACTURE_MAX_SLICE_MM,
    FRACTURE_MILD_MAX_SLICE_MM, FRACTURE_SEARCH_BEYOND_MM, FRACTURE_SLAB_HALF_MM,
    FRACTURE_TRACE_MIN_REACH, FRACTURE_TRACE_STEP_MM, FRACTURE_WALL_INSET_MM,
    FRACTURE_WALL_SEARCH_MM,
};
use profile::Slab;
pub use profile::{outer_edge, plate_centre};

/// Codes this unit emits.
pub const CODES: [&str; 1] = ["F29"];

/// Levels whose heights are read, cranial to caudal (C7 only as T1's
/// neighbour).
pub const LEVELS: [&str; 16] = [
    "C7", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2",
    "L3",
];

/// Position of a level in [`LEVELS`] (0 for an unknown name).
fn level_index(level: &str) -> usize {
    LEVELS.iter().position(|n| *n == level).unwrap_or(0)
}

/// The vertebral fracture unit.
pub struct VertebralFracture {
    manifest: Manifest,
}

impl Default for VertebralFracture {
    fn default() -> Self {
        let mut optional: Vec<String> = LEVELS
            .iter()
            .map(|l| format!("mask:vertebra_{l}"))
            .collect();
        optional.push("landmarks:vertebrae".into());
        let refs: Vec<&str> = optional.iter().map(String::as_str).collect();
        VertebralFracture {
            manifest: Manifest::new(
                "airad.vertebral_fracture",
                env!("CARGO_PKG_VERSION"),
                "Vertebral compression fractures T1-L2: body heights and Genant grade",
            )
            .optional(&refs)
            .codes(&CODES)
            .resources(1, 300, 30.0),
        }
    }
}

/// The heights of one body.
#[derive(Debug, Clone)]
pub struct BodyHeights {
    /// Level name.
    pub level: &'static str,
    /// Anterior, middle and posterior heights along the column's axis, mm.
    pub heights: [f64; 3],
    /// Body depth (anterior to posterior wall), mm.
    pub depth_mm: f64,
    /// Walls, fractional CT y index: anterior, posterior.
    pub walls_y: [f64; 2],
    /// Lowest and highest fractional slice index of the endplate edges
    /// found.
    pub z_span: [f64; 2],
    /// Body centre, fractional CT index.
    pub centre_index: [f64; 3],
}

impl BodyHeights {
    /// The tallest of the three heights, mm.
    pub fn tallest(&self) -> f64 {
        self.heights.iter().copied().fold(0.0, f64::max)
    }
}

/// A graded level.
#[derive(Debug, Clone, PartialEq)]
pub struct Grading {
    /// Height loss, fraction of the reference height.
    pub loss: f64,
    /// Reference height, mm.
    pub reference_mm: f64,
    /// Whether the reference came from the neighbours (else the body's
    /// own tallest height).
    pub from_neighbours: bool,
    /// Genant grade 0-3.
    pub grade: u8,
    /// "wedge", "biconcave" or "crush".
    pub shape: &'static str,
}

/// Genant grade of a height-loss fraction (0 under 20 %).
pub fn genant_grade(loss: f64) -> u8 {
    FRACTURE_GENANT_BOUNDS
        .iter()
        .filter(|b| loss >= **b)
        .count() as u8
}

/// Grades one body against the tallest heights of its measured
/// neighbours (`neighbours`, mm; empty when none).
pub fn grade(body: &BodyHeights, neighbours: &[f64]) -> Grading {
    let own = body.tallest();
    let expected =
        (!neighbours.is_empty()).then(|| neighbours.iter().sum::<f64>() / neighbours.len() as f64);
    let reference = expected.map_or(own, |e| e.max(own));
    let [a, m, p] = body.heights;
    let shortest = a.min(m).min(p);
    let loss = (1.0 - shortest / reference).max(0.0);
    let from_neighbours = reference > own;
    // Crush: even the tallest of its own heights is short of the
    // neighbours by a fracture's margin.
    let crush = from_neighbours && 1.0 - own / reference >= FRACTURE_GENANT_BOUNDS[0];
    let shape = if crush {
        "crush"
    } else if m <= a && m <= p {
        "biconcave"
    } else if a <= p {
        "wedge"
    } else {
        // Posterior shortest: a reverse wedge, read as a crush of the back
        // of the body (Genant's crush includes posterior height loss).
        "crush"
    };
    Grading {
        loss,
        reference_mm: reference,
        from_neighbours,
        grade: genant_grade(loss),
        shape,
    }
}

impl Aisu for VertebralFracture {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let exam = ctx.exam();
        let slice_mm = crate::slice_thickness_mm(exam, ct);
        if slice_mm > FRACTURE_MAX_SLICE_MM + 1e-6 {
            ctx.not_assessed(
                "F29",
                &format!(
                    "slice thickness {slice_mm:.1} mm > {FRACTURE_MAX_SLICE_MM} mm: vertebral \
                     heights not measurable"
                ),
            )?;
            return Ok(());
        }
        let Ok(landmarks) = ctx.landmarks("landmarks:vertebrae") else {
            ctx.not_assessed("F29", "vertebral levels not found: no body centres")?;
            return Ok(());
        };
        let mut bodies: Vec<BodyHeights> = Vec::new();
        let mut unread: Vec<&'static str> = Vec::new();
        let mut masks: Vec<Option<std::sync::Arc<Mask>>> = Vec::new();
        for level in LEVELS {
            let mask = ctx.mask_opt(&format!("mask:vertebra_{level}"))?;
            let in_view = landmarks.contains_key(&format!("{level}_superior"))
                && landmarks.contains_key(&format!("{level}_inferior"));
            if !in_view {
                continue;
            }
            match measure_body(ct, &landmarks, level) {
                Some(b) => {
                    tracing::debug!(
                        level,
                        heights = ?b.heights.map(|h| (h * 10.0).round() / 10.0),
                        depth = (b.depth_mm * 10.0).round() / 10.0,
                        "vertebral body heights"
                    );
                    bodies.push(b);
                    masks.push(mask);
                }
                None if level != "C7" => unread.push(level),
                None => {}
            }
        }
        overlapping_dropped(&mut bodies, &mut masks, &mut unread);
        if !unread.is_empty() {
            unread.sort_by_key(|l| LEVELS.iter().position(|n| n == l));
            let why = if slice_mm > FRACTURE_MILD_MAX_SLICE_MM + 1e-6 {
                format!(
                    "endplates not resolved on {slice_mm:.1} mm slices (thoracic discs are 4-6 mm)"
                )
            } else {
                "endplates or walls not found".to_string()
            };
            ctx.not_assessed(
                "F29",
                &format!(
                    "body heights not measurable at {} ({why})",
                    unread.join(", ")
                ),
            )?;
        }
        if bodies.is_empty() {
            if unread.is_empty() {
                ctx.not_assessed("F29", "no vertebral body T1-L2 in view with both endplates")?;
            }
            return Ok(());
        }
        for (k, body) in bodies.iter().enumerate() {
            if body.level == "C7" {
                continue;
            }
            let i = level_index(body.level);
            let neighbours: Vec<f64> = bodies
                .iter()
                .filter(|o| level_index(o.level).abs_diff(i) == 1)
                .map(BodyHeights::tallest)
                .collect();
            let g = grade(body, &neighbours);
            if g.grade == 0 || !beyond_a_slice(body, &g, slice_mm) {
                continue;
            }
            let mask = body_mask(ct, masks[k].as_deref(), body)?;
            ctx.emit(draft(body, &g, mask, slice_mm, exam.context))?;
        }
        Ok(())
    }
}

/// On slices thicker than [`FRACTURE_MILD_MAX_SLICE_MM`] an endplate is
/// placed to within a slice, so a body is reported only when its shortest
/// height falls short of the reference by a fracture's 20 % plus one
/// slice thickness (a 5 mm slice is a quarter of a thoracic body: mild
/// and many moderate fractures hide in it, and a normal body can read a
/// slice short). Always true on thinner slices.
fn beyond_a_slice(body: &BodyHeights, g: &Grading, slice_mm: f64) -> bool {
    if slice_mm <= FRACTURE_MILD_MAX_SLICE_MM + 1e-6 {
        return true;
    }
    let shortest = body.heights.iter().copied().fold(f64::INFINITY, f64::min);
    g.reference_mm - shortest - slice_mm >= FRACTURE_GENANT_BOUNDS[0] * g.reference_mm
}

/// Adjacent bodies whose measured spans overlap: one was read from a
/// start in the disc between them (the spine unit's endplates were off),
/// and that one is the shorter; it is dropped and named unread.
fn overlapping_dropped(
    bodies: &mut Vec<BodyHeights>,
    masks: &mut Vec<Option<std::sync::Arc<Mask>>>,
    unread: &mut Vec<&'static str>,
) {
    loop {
        let clash = (1..bodies.len()).find(|&k| {
            let (a, b) = (&bodies[k - 1], &bodies[k]);
            let (lo, hi) = (a.z_span, b.z_span);
            level_index(b.level) == level_index(a.level) + 1 && lo[0] < hi[1] && hi[0] < lo[1]
        });
        let Some(k) = clash else {
            return;
        };
        let drop = if bodies[k].tallest() < bodies[k - 1].tallest() {
            k
        } else {
            k - 1
        };
        let gone = bodies.remove(drop);
        masks.remove(drop);
        if gone.level != "C7" {
            unread.push(gone.level);
        }
    }
}

/// The finding of one fractured body.
fn draft(
    body: &BodyHeights,
    g: &Grading,
    mask: Mask,
    slice_mm: f64,
    context: aisu::ExamContext,
) -> FindingDraft {
    let r1 = |x: f64| (x * 10.0).round() / 10.0;
    let mut d = FindingDraft::new("F29", mask);
    d.site = Site {
        vertebra: Some(body.level.to_string()),
        side: Some("midline".into()),
        ..Default::default()
    };
    let height = |name: &str, v: f64| {
        let mut m = Measurement::new(name, r1(v), "mm");
        m.method = Some(
            "mid-sagittal outer endplate edges, along the column's axis (six-point morphometry)"
                .into(),
        );
        m
    };
    let mut loss = Measurement::new("height_loss_percent", r1(100.0 * g.loss), "%");
    loss.method = Some(format!(
        "shortest height against {}",
        if g.from_neighbours {
            "the adjacent bodies' heights"
        } else {
            "the body's own tallest height"
        }
    ));
    let [a, m, p] = body.heights;
    d.measurements = vec![
        loss,
        height("anterior_height", a),
        height("middle_height", m),
        height("posterior_height", p),
    ];
    d.category = Some(Category {
        system: "Genant".into(),
        value: format!("grade {}", g.grade),
        context,
    });
    d.morphology = vec![g.shape.into()];
    d.urgency = Urgency::Routine;
    d.extra
        .insert("reference_height_mm".into(), json!(r1(g.reference_mm)));
    d.extra.insert(
        "age".into(),
        json!("indeterminate: compare with prior imaging, or MRI, to tell a new fracture"),
    );
    if slice_mm > FRACTURE_MILD_MAX_SLICE_MM + 1e-6 {
        d.extra.insert(
            "limited".into(),
            json!(format!(
                "slice thickness {slice_mm:.1} mm > {FRACTURE_MILD_MAX_SLICE_MM} mm: heights \
                 are read to within a slice; reported only where the height loss exceeds a \
                 fracture's by more than one slice"
            )),
        );
    }
    d.key_slice = Some(body.centre_index[2].round().max(0.0) as usize);
    d.confidence = (0.55 + 2.0 * (g.loss - FRACTURE_GENANT_BOUNDS[0])).clamp(0.5, 0.95);
    d
}

/// The body's voxels: the level's vertebra mask (else bone of the body
/// box) between the walls and the endplate edges found.
fn body_mask(
    ct: &Volume<i16>,
    vertebra: Option<&Mask>,
    body: &BodyHeights,
) -> Result<Mask, AisuError> {
    let g = ct.geometry();
    let [nx, ny, nz] = g.dims;
    let (y0, y1) = (
        body.walls_y[0].min(body.walls_y[1]).floor().max(0.0) as usize,
        (body.walls_y[0].max(body.walls_y[1]).ceil() as usize).min(ny - 1),
    );
    let (z0, z1) = (
        body.z_span[0].floor().max(0.0) as usize,
        (body.z_span[1].ceil() as usize).min(nz - 1),
    );
    let half_x = (0.5 * body.depth_mm / g.spacing[0]).ceil() as i64 + 2;
    let cx = body.centre_index[0].round() as i64;
    let (x0, x1) = (
        (cx - half_x).max(0) as usize,
        ((cx + half_x).max(0) as usize).min(nx - 1),
    );
    let data = ct.as_slice();
    let mut voxels = Vec::new();
    for z in z0..=z1 {
        for y in y0..=y1 {
            for x in x0..=x1 {
                let inside = match vertebra {
                    Some(m) => m.contains(x, y, z),
                    None => data[x + nx * (y + ny * z)] >= 100,
                };
                if inside {
                    voxels.push([x, y, z]);
                }
            }
        }
    }
    mask_of(g, &voxels)
}

/// The heights of one body, `None` when its walls or endplates are not
/// found or are implausible.
pub fn measure_body(ct: &Volume<i16>, landmarks: &Landmarks, level: &str) -> Option<BodyHeights> {
    let g = ct.geometry();
    let s = g.spacing;
    let mut centre = *landmarks.get(level)?;
    if let Some(x) = local_midline(landmarks, level) {
        centre[0] = x;
    }
    let sup = *landmarks.get(&format!("{level}_superior"))?;
    let inf = *landmarks.get(&format!("{level}_inferior"))?;
    let c = g.lps_to_index(centre);
    let k_of = |z: f64| g.lps_to_index([centre[0], centre[1], z])[2];
    // Index directions: +1 slice towards superior? +1 y towards anterior?
    let up: i64 = if k_of(centre[2] + 1.0) > c[2] { 1 } else { -1 };
    let dy_lps = g.index_to_lps([0.0, 1.0, 0.0])[1] - g.index_to_lps([0.0, 0.0, 0.0])[1];
    let anterior: f64 = if dy_lps > 0.0 { -1.0 } else { 1.0 };
    let half_x = (FRACTURE_SLAB_HALF_MM / s[0]).round() as i64;
    let cx = c[0].round() as i64;
    if cx < 0 || cx >= g.dims[0] as i64 {
        return None;
    }
    let slab = Slab {
        data: ct.as_slice(),
        dims: g.dims,
        xs: (cx - half_x).max(0) as usize..=((cx + half_x) as usize).min(g.dims[0] - 1),
    };
    // Walls: an anteroposterior profile over the mid-body slices.
    let (k_sup, k_inf) = (k_of(sup[2]), k_of(inf[2]));
    let k_mid = 0.5 * (k_sup + k_inf);
    let quarter = 0.25 * (k_sup - k_inf).abs();
    let mid_slices: Vec<i64> =
        ((k_mid - quarter).round() as i64..=(k_mid + quarter).round() as i64).collect();
    let reach = (FRACTURE_WALL_SEARCH_MM / s[1]).round() as usize;
    // The column's axis: y index shift per slice. Profiles run along it
    // (a vertical line near the wall of a tilted body leaves it through
    // the wall, not the endplate).
    let tilt = axis_tilt(g, landmarks, level);
    let ap_profile = |dir: f64| -> Option<Vec<f64>> {
        (0..=reach)
            .map(|i| {
                let vals: Vec<f64> = mid_slices
                    .iter()
                    .filter_map(|&k| slab.at(c[1] + tilt * (k as f64 - k_mid) + dir * i as f64, k))
                    .collect();
                (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
            })
            .collect()
    };
    let front = outer_edge(&ap_profile(anterior)?)?;
    let back = outer_edge(&ap_profile(-anterior)?)?;
    let depth_mm = (front + back) * s[1];
    if !(FRACTURE_DEPTH_RANGE_MM[0]..=FRACTURE_DEPTH_RANGE_MM[1]).contains(&depth_mm) {
        return None;
    }
    let wall_front = c[1] + anterior * front;
    let wall_back = c[1] - anterior * back;
    // Heights: vertical profiles traced from the middle to each wall.
    let beyond = FRACTURE_SEARCH_BEYOND_MM / s[2];
    let k_hi = k_sup.max(k_inf) + beyond;
    let k_lo = k_sup.min(k_inf) - beyond;
    // Fractional slice index of the upper and lower outer edges of the
    // column at `y`, starting inside at slice `start`.
    let column = |y: f64, start: f64| -> Option<[f64; 2]> {
        let k0 = start.round() as i64;
        let walk = |dir: i64| -> Option<f64> {
            let limit = if dir > 0 { k_hi - start } else { start - k_lo };
            let n = limit.max(1.0).ceil() as i64;
            // Up to the scan's end: a plate beyond it is not found.
            let p: Vec<f64> = (0..=n)
                .map_while(|i| {
                    let k = k0 + dir * i;
                    slab.at(y + tilt * (k as f64 - k_mid), k)
                })
                .collect();
            plate_centre(&p).map(|e| k0 as f64 + dir as f64 * e)
        };
        let a = walk(up)?;
        let b = walk(-up)?;
        Some([a.min(b), a.max(b)])
    };
    let y_mid = 0.5 * (wall_front + wall_back);
    let inset = (FRACTURE_WALL_INSET_MM / s[1]).copysign(wall_back - wall_front);
    let targets = [wall_front + inset, wall_back - inset];
    let middle = column(y_mid, k_mid)?;
    let mut span = middle;
    let mut ends = [middle; 2];
    for (t, target) in targets.iter().enumerate() {
        let steps = ((target - y_mid).abs() * s[1] / FRACTURE_TRACE_STEP_MM)
            .ceil()
            .max(1.0);
        // The outermost profile clear of the wall's cortex (its blur can
        // reach past the inset on coarse pixels) is the one read.
        let mut edges = middle;
        let mut reached = 0;
        let mut traced: Vec<(f64, [f64; 2])> = Vec::new();
        for i in 1..=steps as usize {
            let y = y_mid + (target - y_mid) * i as f64 / steps;
            let Some(next) = column(y, 0.5 * (edges[0] + edges[1])) else {
                break;
            };
            // An endplate is a smooth surface: a jump is another plate
            // (a tilted wall's cortex crossing the profile).
            if (0..2).any(|e| (next[e] - edges[e]).abs() * s[2] > FRACTURE_EDGE_MAX_JUMP_MM) {
                break;
            }
            edges = next;
            reached = i;
            traced.push((i as f64 / steps, next));
        }
        // A height read less than half-way to its wall is not that
        // height (thick slices, a wall that hides the endplates).
        if (reached as f64) < FRACTURE_TRACE_MIN_REACH * steps {
            return None;
        }
        // Stopped short of the point: the endplates are carried on to it
        // along the lines through the outer half of the trace (a wedge's
        // endplate is planar between the middle and the corner; read
        // where the trace stopped, its anterior height would be too tall).
        if reached < steps as usize {
            let outer = &traced[traced.len() / 2..];
            edges = std::array::from_fn(|e| {
                let line: Vec<(f64, f64)> = outer.iter().map(|(x, v)| (*x, v[e])).collect();
                fit_at(&line, 1.0).unwrap_or(edges[e])
            });
        }
        ends[t] = edges;
        span = [span[0].min(edges[0]), span[1].max(edges[1])];
    }
    // Length along the axis per slice, mm.
    let per_slice = (s[2] * s[2] + (tilt * s[1]).powi(2)).sqrt();
    let h = |e: [f64; 2]| (e[1] - e[0]) * per_slice + FRACTURE_ENDPLATE_MM;
    let heights = [h(ends[0]), h(middle), h(ends[1])];
    if heights
        .iter()
        .any(|x| !(FRACTURE_HEIGHT_RANGE_MM[0]..=FRACTURE_HEIGHT_RANGE_MM[1]).contains(x))
    {
        return None;
    }
    Some(BodyHeights {
        level: LEVELS.iter().find(|l| **l == level)?,
        heights,
        depth_mm,
        walls_y: [wall_front, wall_back],
        z_span: span,
        centre_index: [c[0], y_mid, 0.5 * (middle[0] + middle[1])],
    })
}

/// The least-squares line through `points` evaluated at `x`; `None` with
/// fewer than two distinct abscissae.
fn fit_at(points: &[(f64, f64)], x: f64) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 1e-12).then(|| my + sxy / sxx * (x - mx))
}

/// The column's local axis through the neighbouring body centres, as
/// the CT y index shift per slice (0 without neighbours). Tilts beyond
/// 40 degrees from the slice normal are not trusted and taken as 0.
fn axis_tilt(g: &volume::Geometry, landmarks: &Landmarks, level: &str) -> f64 {
    let Some(i) = LEVELS.iter().position(|n| *n == level) else {
        return 0.0;
    };
    let at = |k: Option<usize>| {
        k.and_then(|k| LEVELS.get(k))
            .and_then(|n| landmarks.get(*n))
    };
    let here = landmarks.get(level);
    let ends = match (at(i.checked_sub(1)), at(Some(i + 1))) {
        (Some(a), Some(b)) => Some((a, b)),
        (Some(a), None) => here.map(|h| (a, h)),
        (None, Some(b)) => here.map(|h| (h, b)),
        (None, None) => None,
    };
    let Some((a, b)) = ends else {
        return 0.0;
    };
    let (a, b) = (g.lps_to_index(*a), g.lps_to_index(*b));
    let (dy, dk) = (b[1] - a[1], b[2] - a[2]);
    if dk.abs() < 1e-6 {
        return 0.0;
    }
    let tilt = dy / dk;
    let angle = (tilt * g.spacing[1] / g.spacing[2]).atan().abs();
    if angle > 40f64.to_radians() {
        0.0
    } else {
        tilt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(heights: [f64; 3]) -> BodyHeights {
        BodyHeights {
            level: "T8",
            heights,
            depth_mm: 30.0,
            walls_y: [0.0, 30.0],
            z_span: [0.0, 10.0],
            centre_index: [0.0; 3],
        }
    }

    #[test]
    fn genant_grades_and_shapes() {
        // Normal body with a physiological anterior wedge of 10 %.
        let g = grade(&body([19.8, 21.0, 22.0]), &[21.5, 22.5]);
        assert_eq!(g.grade, 0);
        // Wedge: anterior 30 % short of the posterior height.
        let g = grade(&body([15.4, 20.0, 22.0]), &[21.5, 22.5]);
        assert_eq!((g.grade, g.shape), (2, "wedge"));
        assert!((g.loss - 0.3).abs() < 1e-9);
        // Biconcave: middle 22 % short.
        let g = grade(&body([22.0, 17.16, 21.8]), &[]);
        assert_eq!((g.grade, g.shape), (1, "biconcave"));
        // Crush: all heights 45 % short of the neighbours'.
        let g = grade(&body([11.5, 12.0, 12.1]), &[21.0, 23.0]);
        assert_eq!((g.grade, g.shape), (3, "crush"));
        assert!(g.from_neighbours);
    }

    #[test]
    fn thick_slices_report_only_losses_beyond_a_slice() {
        // 30 % short of 22 mm: 6.6 mm, a fracture on 2.5 mm slices; on
        // 5 mm slices 6.6 - 5 = 1.6 mm is under 20 % of 22 mm.
        let b = body([15.4, 20.0, 22.0]);
        let g = grade(&b, &[]);
        assert!(beyond_a_slice(&b, &g, 2.5));
        assert!(!beyond_a_slice(&b, &g, 5.0));
        // 55 % short (12.1 mm): 12.1 - 5 = 7.1 mm is 32 % of 22 mm.
        let b = body([9.9, 20.0, 22.0]);
        let g = grade(&b, &[]);
        assert!(beyond_a_slice(&b, &g, 5.0));
    }
}
