//! F28 rib fracture on a named rib of the phantom's rib cage: a fracture
//! plane across the rib (nearly perpendicular to its centreline) at a
//! point of its posterior, lateral or anterior segment, in three
//! variants:
//!
//! - **undisplaced**: a thin lucent line (0.4-1 mm of haematoma) through
//!   the whole section, cortex included;
//! - **displaced**: a gap plus a step: the distal fragment is shifted
//!   perpendicular to the rib (and pulled apart along it), the shift
//!   fading over a few centimetres as the rib bends back into place;
//! - **healed**: a fusiform mineralised callus round the fracture, the
//!   old line faintly visible inside it, little residual displacement.
//!
//! The rib is re-evaluated from its own tube (the anatomy's rib model)
//! inside the zone around the fracture: the original bone is replaced by
//! soft tissue and the fractured bone painted again, with footprint
//! coverage like every other edge. Voxels of the rib within a few mm of
//! the fracture (and the callus) carry the lesion label; the rest of the
//! rib keeps `rib_<side>_<n>`. Displacement and callus are stated from
//! the model.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::ribs::Rib;
use crate::geom::{Aabb, V3, dot, normalize, rotate, scale, smoothstep, sub};
use crate::labels::{self, Label};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Relative frequency of fractured ribs 1-12: ribs 4-9 break most often
/// (Talbot et al., "Traumatic rib injury", Radiographics 2017; Liman et
/// al., Eur J Cardiothorac Surg 2003).
const RIB_WEIGHTS: [f64; 12] = [
    0.01, 0.03, 0.06, 0.11, 0.13, 0.14, 0.14, 0.13, 0.11, 0.07, 0.04, 0.03,
];
/// Draw weights of displaced, undisplaced and healed fractures
/// (convention: about a third of acute rib fractures on CT are
/// displaced; old healed fractures are a frequent incidental finding).
const KIND_WEIGHTS: [f64; 3] = [0.35, 0.4, 0.25];
/// Relative frequency of posterior, lateral and anterior segment
/// fractures (lateral most common in blunt trauma: Talbot 2017).
const SEGMENT_WEIGHTS: [f64; 3] = [0.3, 0.5, 0.2];
/// Width of the lucent line of an undisplaced fracture, mm (hairline to
/// ~1 mm on thin-section CT: Talbot 2017).
const HAIRLINE_GAP_MM: [f64; 2] = [0.4, 1.0];
/// Step displacement of a displaced fracture, mm (a fracture is called
/// displaced from ~1-2 mm, commonly a few mm up to a shaft width: Talbot
/// 2017).
const DISPLACEMENT_MM: [f64; 2] = [2.0, 8.0];
/// Distraction gap of a displaced fracture along the rib, mm.
const DISPLACED_GAP_MM: [f64; 2] = [1.0, 3.5];
/// Residual displacement of a healed fracture, mm.
const HEALED_DISPLACEMENT_MM: [f64; 2] = [0.0, 2.0];
/// Tilt of the fracture plane from perpendicular, radians (oblique lines).
const PLANE_TILT_RAD: f64 = 0.35;
/// Length over which the fragment's displacement fades back to zero,
/// mm (rib elasticity; convention).
const TAPER_MM: [f64; 2] = [25.0, 40.0];
/// Callus: thickness over the cortex, mm, and half-length along the rib,
/// mm (fusiform callus of healing fractures, 2-6 weeks onward).
const CALLUS_THICKNESS_MM: [f64; 2] = [1.5, 4.0];
/// Half-length of the callus along the rib, mm.
const CALLUS_HALF_LENGTH_MM: [f64; 2] = [6.0, 11.0];
/// Density of mineralised callus, HU (woven bone, less dense than cortex).
const CALLUS_HU: [f64; 2] = [300.0, 650.0];
/// Half-length of the labelled fracture zone along the rib, mm.
const LABEL_HALF_MM: f64 = 3.0;
/// Haematoma in the fracture line, HU above muscle (fresh blood clot).
const HAEMATOMA_EXTRA_HU: [f64; 2] = [5.0, 25.0];
/// Thickest slices on which an undisplaced line is assessable, mm
/// (FINDINGS.md: rib fractures are "limited" on thick slices).
const UNDISPLACED_MAX_SLICE_MM: f64 = 2.5;
/// Thickest slices on which a displaced or healed fracture is assessable,
/// mm.
const VISIBLE_MAX_SLICE_MM: f64 = 5.0;

/// Kind of rib fracture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RibFractureKind {
    /// Gap and step between the fragments.
    Displaced,
    /// Thin lucent line only.
    Undisplaced,
    /// Callus round an old fracture.
    Healed,
}

/// Request for a rib fracture; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RibFractureSpec {
    /// Variant (`kind` is taken by the lesion tag).
    #[serde(default)]
    pub variant: Option<RibFractureKind>,
    /// "left" or "right".
    #[serde(default)]
    pub side: Option<String>,
    /// Rib number 1-12.
    #[serde(default)]
    pub rib: Option<u8>,
    /// "posterior", "lateral" or "anterior".
    #[serde(default)]
    pub segment: Option<String>,
    /// Displacement, mm (displaced and healed).
    #[serde(default)]
    pub displacement_mm: Option<f64>,
}

/// A placed rib fracture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RibFracture {
    /// Variant.
    pub kind: RibFractureKind,
    /// The fractured rib (copied from the anatomy).
    pub rib: Rib,
    /// Segment name.
    pub segment: String,
    /// Fracture point on the centreline.
    pub point: V3,
    /// Unit normal of the fracture plane (towards the distal fragment).
    pub normal: V3,
    /// Unit rib direction at the fracture (towards the anterior end).
    pub tangent: V3,
    /// Gap between the fragments, mm.
    pub gap: f64,
    /// Displacement of the distal fragment at the fracture, mm vector.
    pub shift: V3,
    /// Length over which the shift fades, mm.
    pub taper: f64,
    /// Callus thickness and half-length, mm, and density (healed only).
    pub callus: Option<[f64; 3]>,
    /// HU of the line (haematoma) above muscle.
    pub haematoma_extra: f64,
    bbox: Aabb,
}

fn segment_index(name: &str) -> Option<usize> {
    ["posterior", "lateral", "anterior"]
        .iter()
        .position(|s| s.eq_ignore_ascii_case(name))
}

impl RibFracture {
    /// Places the fracture on the model's rib cage.
    pub fn place(
        spec: &RibFractureSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<RibFracture, PhantomError> {
        let kind = spec.variant.unwrap_or_else(|| {
            [
                RibFractureKind::Displaced,
                RibFractureKind::Undisplaced,
                RibFractureKind::Healed,
            ][rng::weighted(r, &KIND_WEIGHTS)]
        });
        let want_left = match spec.side.as_deref() {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("left") => Some(true),
            Some(s) if s.eq_ignore_ascii_case("right") => Some(false),
            Some(s) => return Err(PhantomError::Params(format!("unknown side {s:?}"))),
        };
        if let Some(n) = spec.rib
            && !(1..=12).contains(&n)
        {
            return Err(PhantomError::Params(format!("rib number {n} outside 1-12")));
        }
        let want_seg = match &spec.segment {
            Some(s) => Some(
                segment_index(s)
                    .ok_or_else(|| PhantomError::Params(format!("unknown rib segment {s:?}")))?,
            ),
            None => None,
        };
        let [w_lo, w_hi] = model.scan_w;
        for _ in 0..400 {
            let left = want_left.unwrap_or_else(|| rng::chance(r, 0.5));
            let number = spec
                .rib
                .unwrap_or_else(|| 1 + rng::weighted(r, &RIB_WEIGHTS) as u8);
            let seg = want_seg.unwrap_or_else(|| rng::weighted(r, &SEGMENT_WEIGHTS));
            let Some(rib) = model
                .ribs
                .ribs
                .iter()
                .find(|x| x.left == left && x.number == number)
            else {
                continue;
            };
            let nodes = &rib.bone.nodes;
            let m = nodes.len();
            if m < 8 {
                continue;
            }
            // Stay off the head/neck (first 15 %) and the costochondral end.
            let s0 = rib.segment_starts[seg].max(m * 15 / 100);
            let s1 = if seg == 2 {
                m * 95 / 100
            } else {
                rib.segment_starts[seg + 1]
            };
            if s1 <= s0 + 1 {
                continue;
            }
            let i = (rng::uniform(r, s0 as f64, s1 as f64) as usize).clamp(1, m - 2);
            let point = nodes[i].p;
            if point[2] < w_lo + 12.0 || point[2] > w_hi - 12.0 {
                continue;
            }
            let tangent = normalize(sub(nodes[i + 1].p, nodes[i - 1].p));
            let tilt_axis = crate::geom::perpendicular(tangent);
            let normal = normalize(rotate(
                tangent,
                rotate(
                    tilt_axis,
                    tangent,
                    rng::uniform(r, 0.0, std::f64::consts::TAU),
                ),
                rng::uniform(r, -PLANE_TILT_RAD, PLANE_TILT_RAD),
            ));
            let (gap, disp) = match kind {
                RibFractureKind::Undisplaced => {
                    (rng::uniform(r, HAIRLINE_GAP_MM[0], HAIRLINE_GAP_MM[1]), 0.0)
                }
                RibFractureKind::Displaced => (
                    rng::uniform(r, DISPLACED_GAP_MM[0], DISPLACED_GAP_MM[1]),
                    spec.displacement_mm
                        .unwrap_or_else(|| rng::uniform(r, DISPLACEMENT_MM[0], DISPLACEMENT_MM[1])),
                ),
                RibFractureKind::Healed => (
                    rng::uniform(r, HAIRLINE_GAP_MM[0], HAIRLINE_GAP_MM[1]),
                    spec.displacement_mm.unwrap_or_else(|| {
                        rng::uniform(r, HEALED_DISPLACEMENT_MM[0], HEALED_DISPLACEMENT_MM[1])
                    }),
                ),
            };
            if !(0.0..=20.0).contains(&disp) {
                return Err(PhantomError::Params(format!(
                    "rib fracture displacement {disp} mm outside 0-20"
                )));
            }
            let dir = rotate(
                crate::geom::perpendicular(tangent),
                tangent,
                rng::uniform(r, 0.0, std::f64::consts::TAU),
            );
            let shift = scale(normalize(sub(dir, scale(tangent, dot(dir, tangent)))), disp);
            let taper = rng::uniform(r, TAPER_MM[0], TAPER_MM[1]);
            let callus = (kind == RibFractureKind::Healed).then(|| {
                [
                    rng::uniform(r, CALLUS_THICKNESS_MM[0], CALLUS_THICKNESS_MM[1]),
                    rng::uniform(r, CALLUS_HALF_LENGTH_MM[0], CALLUS_HALF_LENGTH_MM[1]),
                    rng::uniform(r, CALLUS_HU[0], CALLUS_HU[1]).round(),
                ]
            });
            let reach = taper + 6.0;
            let mut bbox = Aabb::EMPTY;
            for n in nodes {
                if crate::geom::dist(n.p, point) < reach {
                    bbox.include(n.p);
                }
            }
            let thick = nodes[i].ra.max(nodes[i].rb);
            let bbox = bbox.expand(thick + disp + callus.map_or(0.0, |c| c[0]) + 3.0);
            return Ok(RibFracture {
                kind,
                rib: rib.clone(),
                segment: ["posterior", "lateral", "anterior"][seg].to_string(),
                point,
                normal,
                tangent,
                gap,
                shift,
                taper,
                callus,
                haematoma_extra: rng::uniform(r, HAEMATOMA_EXTRA_HU[0], HAEMATOMA_EXTRA_HU[1])
                    .round(),
                bbox,
            });
        }
        Err(PhantomError::Placement(
            "no rib fracture site found in the scanned range".into(),
        ))
    }

    /// Displacement magnitude, mm.
    pub fn displacement(&self) -> f64 {
        crate::geom::norm(self.shift)
    }

    /// Weight of the shift at signed distance `s` beyond the fracture
    /// plane: the fragment is rigid near the fracture and bends back.
    #[inline]
    fn shift_weight(&self, s: f64) -> f64 {
        if s <= 0.0 {
            0.0
        } else {
            1.0 - smoothstep(0.35 * self.taper, self.taper, s)
        }
    }

    /// Signed distance of the fractured bone at `p` and the point in the
    /// rib's own (unbroken) frame whose tissue it shows.
    #[inline]
    fn fractured_sdf(&self, p: V3, segs: &[usize]) -> (f64, V3) {
        let s = dot(sub(p, self.point), self.normal);
        let half = 0.5 * self.gap;
        if s < 0.0 {
            (self.bone_sdf(p, segs).max(s + half), p)
        } else {
            let q = sub(p, scale(self.shift, self.shift_weight(s)));
            let sq = dot(sub(q, self.point), self.normal);
            (self.bone_sdf(q, segs).max(half - sq), q)
        }
    }

    /// The rib's bone segments that can be nearest to a point of the
    /// lesion's box or its displaced image (the rest of the rib is
    /// farther than any distance the painter uses).
    fn near_segments(&self) -> Vec<usize> {
        let reach = crate::geom::norm(self.shift) + 10.0;
        self.rib.bone.segments_in(&self.bbox.expand(reach))
    }

    /// Distance to the unbroken rib over the segments `segs`.
    #[inline]
    fn bone_sdf(&self, p: V3, segs: &[usize]) -> f64 {
        self.rib.bone.sdf_among(p, segs.iter().copied())
    }
}

impl Lesion for RibFracture {
    fn code(&self) -> &'static str {
        "F28"
    }

    fn bbox(&self) -> Aabb {
        self.bbox
    }

    fn paint(&self, c: &mut Canvas, label: Label) {
        let w = c.w;
        if !self.bbox.spans_w(w) {
            return;
        }
        let Some(rect) = c.grid.rect_of(&self.bbox) else {
            return;
        };
        let t = c.tissue;
        let tex = c.texture;
        let px = c.grid.px;
        let h = c.h;
        let cort = t.cortical as f32;
        let marrow = t.marrow as f32;
        let amp = (0.6 * t.bone_texture) as f32;
        let soft = (t.muscle + self.haematoma_extra) as f32;
        let ct = self.rib.cortex;
        let own = self.rib.label;
        let nx = c.grid.nx;
        let reach = self.taper + 2.0;
        let segs = self.near_segments();
        // Blocks of BLOCK x BLOCK pixels farther from the rib's axis than
        // any surface the painter touches (old bone, displaced fragment,
        // callus) are skipped: the axis distance is 1-Lipschitz, the bone
        // lies within its largest radius of the axis, and the fragment
        // within the shift of it.
        const BLOCK: usize = 4;
        let bone = &self.rib.bone;
        let rmax = segs
            .iter()
            .flat_map(|&k| [k, (k + 1).min(bone.nodes.len() - 1)])
            .map(|k| bone.nodes[k].ra.max(bone.nodes[k].rb))
            .fold(0.0, f64::max);
        let callus = self.callus.map_or(0.0, |[th, _, _]| th);
        let skip = rmax
            + crate::geom::norm(self.shift)
            + callus
            + px
            + h
            + BLOCK as f64 * std::f64::consts::SQRT_2 * px;
        let mut far_block = vec![false; rect.x1.div_ceil(BLOCK) + 1];
        for y in rect.y0..rect.y1 {
            if (y - rect.y0) % BLOCK == 0 {
                for (bx, far) in (rect.x0..rect.x1).step_by(BLOCK).zip(far_block.iter_mut()) {
                    let k = y * nx + bx;
                    let p = [c.grid.u[k] as f64, c.grid.v[k] as f64, w];
                    *far = segs.iter().all(|&sg| bone.axis_distance(sg, p) > skip);
                }
            }
            for x in rect.x0..rect.x1 {
                if far_block[(x - rect.x0) / BLOCK] {
                    continue;
                }
                let i = y * nx + x;
                let p = [c.grid.u[i] as f64, c.grid.v[i] as f64, w];
                let s = dot(sub(p, self.point), self.normal);
                if s.abs() > reach {
                    continue;
                }
                let d_old = self.bone_sdf(p, &segs);
                let (d_new, q) = self.fractured_sdf(p, &segs);
                let d_cal = self.callus.map(|[th, hl, _]| {
                    let bump = (1.0 - (s / hl).powi(2)).max(0.0);
                    self.bone_sdf(q, &segs) - th * bump * bump.sqrt()
                });
                let lim = px + h;
                let near_cal = d_cal.is_some_and(|d| d < lim);
                if d_old > lim && d_new > lim && !near_cal {
                    continue;
                }
                if (d_new - d_old).abs() < 1e-9 && !near_cal {
                    continue;
                }
                // Footprint along the rib's cross-section (mostly in-plane
                // for ribs; the plane thickness adds a little).
                let fp = px + 0.5 * h;
                let cov = |d: f64| (0.5 - d / fp).clamp(0.0, 1.0) as f32;
                let l = c.label[i];
                let mine = l == own || l == label;
                // Only the rib and the soft tissue or lung round it are
                // repainted (never a scapula or vertebra painted over it).
                let open = mine
                    || l == labels::MUSCLE
                    || l == labels::FAT
                    || l == labels::BODY
                    || labels::is_lobe(l);
                if !open {
                    continue;
                }
                // Remove the old bone.
                {
                    let a = cov(d_old);
                    if a > 0.0 {
                        c.value[i] += a * (soft - c.value[i]);
                    }
                    if d_old < 0.0 && mine {
                        c.label[i] = labels::MUSCLE;
                    }
                }
                if let (Some(dc), Some([_, _, hu])) = (d_cal, self.callus) {
                    let a = cov(dc);
                    if a > 0.0 {
                        let val = hu as f32 + 0.8 * amp * tex.at(q, 1.2);
                        c.value[i] += a * (val - c.value[i]);
                    }
                    if dc < 0.0 {
                        c.label[i] = label;
                    }
                }
                let a = cov(d_new);
                if a > 0.0 {
                    let db = self.bone_sdf(q, &segs);
                    let val = if db > -ct {
                        cort
                    } else {
                        marrow + amp * tex.at(q, 1.4)
                    };
                    c.value[i] += a * (val - c.value[i]);
                }
                if d_new < 0.0 {
                    c.label[i] = if s.abs() < LABEL_HALF_MM + 0.5 * self.gap {
                        label
                    } else {
                        own
                    };
                } else if self.callus.is_none()
                    && d_old < 0.0
                    && s.abs() < LABEL_HALF_MM + 0.5 * self.gap
                {
                    // The fracture line itself belongs to the lesion.
                    c.label[i] = label;
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F28");
        let side = if self.rib.left { "left" } else { "right" };
        f.site = aisu::Site {
            side: Some(side.into()),
            rib: Some(self.rib.number),
            segment: Some(self.segment.clone()),
            ..Default::default()
        };
        let disp = (self.displacement() * 10.0).round() / 10.0;
        f.measurements = vec![
            aisu::Measurement::new("displacement", disp, "mm"),
            aisu::Measurement::new("callus", if self.callus.is_some() { 1.0 } else { 0.0 }, "1"),
        ];
        f.morphology = match self.kind {
            RibFractureKind::Displaced => vec!["displaced".into(), "acute".into()],
            RibFractureKind::Undisplaced => vec!["nondisplaced".into(), "acute".into()],
            RibFractureKind::Healed => vec!["healed".into(), "callus".into()],
        };
        // ACR: new fractures are tier 3; healed ones are incidental.
        f.urgency = match self.kind {
            RibFractureKind::Healed => aisu::Urgency::Incidental,
            _ => aisu::Urgency::Tier3,
        };
        let px = ctx.model.params.pixel_mm();
        f.assessable = match self.kind {
            RibFractureKind::Undisplaced => ctx.slice_mm <= UNDISPLACED_MAX_SLICE_MM && px <= 1.0,
            _ => ctx.slice_mm <= VISIBLE_MAX_SLICE_MM,
        };
        f.extra.insert(
            "rib_label".into(),
            serde_json::json!(format!("rib_{side}_{}", self.rib.number)),
        );
        f.extra.insert(
            "kind".into(),
            serde_json::to_value(self.kind).unwrap_or_default(),
        );
        f.extra.insert(
            "true_point_lps_mm".into(),
            serde_json::json!(ctx.model.to_lps(self.point)),
        );
        f.extra.insert(
            "gap_mm".into(),
            serde_json::json!((self.gap * 10.0).round() / 10.0),
        );
        if let Some([th, hl, hu]) = self.callus {
            f.extra.insert(
                "callus_model".into(),
                serde_json::json!({"thickness_mm": th, "half_length_mm": hl, "hu": hu}),
            );
        }
        f
    }

    fn describe(&self) -> String {
        format!(
            "F28 {:?} fracture of the {} rib {} ({}), displacement {:.1} mm",
            self.kind,
            if self.rib.left { "left" } else { "right" },
            self.rib.number,
            self.segment,
            self.displacement()
        )
    }
}
