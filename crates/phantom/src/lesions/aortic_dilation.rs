//! F22 thoracic aortic dilation and aneurysm: a fusiform widening of one
//! aortic segment, and the true segment diameters of every phantom.
//!
//! Like cardiomegaly, the dilation is a change of the anatomy, made on
//! the built model before anything is rendered ([`apply`]): the aorta's
//! outer-wall radii grow under a smooth cos^2 bump lying inside the
//! segment, and the centreline moves outwards by the growth, so the wall
//! facing the spine, the pulmonary artery or the trachea stays where it
//! was and the aneurysm bulges the way real ones do (the ascending aorta
//! forwards and to the right, the descending aorta forwards and to the
//! left, the arch upwards). The lungs give way by themselves (their
//! surface is computed from the mediastinal tubes).
//!
//! Normal phantoms are kept below the dilation cut-offs by a margin
//! ([`NORMAL_MARGIN_MM`]): an older, larger patient's aorta drawn wider
//! than that is scaled down as a whole ([`keep_normal`]).
//!
//! The truth is the tube's own outer radius ([`segment_diameters`]), the
//! outer-wall-to-outer-wall diameter perpendicular to the centreline of
//! FINDINGS.md F22, never measured on the image.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::prims::Tube;
use crate::geom::{Aabb, V3, add_scaled, dist, dot, normalize, sub};
use crate::labels::Label;
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// An aortic segment that can dilate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AorticSegment {
    /// Ascending aorta (sinotubular junction to the brachiocephalic trunk).
    Ascending,
    /// Aortic arch.
    Arch,
    /// Descending thoracic aorta.
    Descending,
}

impl AorticSegment {
    /// All three, in course order.
    pub const ALL: [AorticSegment; 3] = [
        AorticSegment::Ascending,
        AorticSegment::Arch,
        AorticSegment::Descending,
    ];

    /// The name used in `site.aortic_segment`.
    pub fn name(self) -> &'static str {
        match self {
            AorticSegment::Ascending => "ascending",
            AorticSegment::Arch => "arch",
            AorticSegment::Descending => "descending",
        }
    }

    /// (dilated, aneurysm) cut-offs, mm (FINDINGS.md F22: ascending >= 40
    /// and >= 50, descending >= 30 and >= 40; the arch takes the
    /// ascending values by convention).
    pub fn cutoffs(self) -> [f64; 2] {
        match self {
            AorticSegment::Ascending | AorticSegment::Arch => [40.0, 50.0],
            AorticSegment::Descending => [30.0, 40.0],
        }
    }

    /// Node range of the segment in the aorta's tube (`segment_starts`
    /// holds root, ascending, arch, descending, hiatus).
    fn nodes(self, starts: &[usize; 5], n: usize) -> std::ops::Range<usize> {
        let (a, b) = match self {
            AorticSegment::Ascending => (starts[1], starts[2]),
            AorticSegment::Arch => (starts[2], starts[3]),
            AorticSegment::Descending => (starts[3], starts[4]),
        };
        a.min(n)..b.min(n)
    }

    /// The way the segment bulges (patient frame: u left, v posterior, w up).
    fn bulge(self) -> V3 {
        match self {
            AorticSegment::Ascending => normalize([-0.5, -0.85, 0.0]),
            AorticSegment::Arch => [0.0, 0.0, 1.0],
            AorticSegment::Descending => normalize([0.6, -0.8, 0.0]),
        }
    }
}

/// A normal aorta stays this far below each segment's dilation cut-off, mm.
pub const NORMAL_MARGIN_MM: f64 = 2.5;
/// A drawn diameter stays this far from a cut-off, mm (the truth is no
/// coin toss at the threshold).
const CUTOFF_MARGIN_MM: f64 = 1.5;
/// Largest drawn aneurysm, mm (ascending; descending 55).
const MAX_ANEURYSM_MM: [f64; 2] = [62.0, 55.0];
/// Chance of each segment when drawn (ascending, arch, descending): the
/// ascending aorta carries most thoracic aneurysms, the arch fewest.
const SEGMENT_WEIGHTS: [f64; 3] = [0.55, 0.1, 0.35];
/// Chance that a drawn dilation is an aneurysm.
const ANEURYSM_CHANCE: f64 = 0.45;
/// Bump length as a share of the segment's length (ascending, arch) or
/// in mm (descending).
const BUMP_SHARE: [f64; 2] = [0.65, 1.0];
/// Bump length on the descending aorta, mm.
const DESCENDING_BUMP_MM: [f64; 2] = [45.0, 95.0];

/// Request for an aortic dilation; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AorticDilationSpec {
    /// Segment.
    #[serde(default)]
    pub segment: Option<AorticSegment>,
    /// Largest outer diameter, mm (at least the segment's dilation
    /// cut-off plus 1.5 mm, at most 65).
    #[serde(default)]
    pub diameter_mm: Option<f64>,
}

/// The drawn dilation, before it is applied.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Drawn {
    segment: AorticSegment,
    diameter_mm: f64,
    /// Bump centre as a share of the segment's length.
    centre: f64,
    /// Bump length as a share of the segment (ascending, arch) or mm.
    length: f64,
}

fn draw(spec: &AorticDilationSpec, seed: u64) -> Result<Drawn, PhantomError> {
    let r = &mut rng::stream(seed, "aortic-dilation");
    let segment = spec
        .segment
        .unwrap_or(AorticSegment::ALL[rng::weighted(r, &SEGMENT_WEIGHTS)]);
    let [dilated, aneurysm] = segment.cutoffs();
    let top = if segment == AorticSegment::Descending {
        MAX_ANEURYSM_MM[1]
    } else {
        MAX_ANEURYSM_MM[0]
    };
    let drawn_diameter = if rng::chance(r, ANEURYSM_CHANCE) {
        rng::uniform(r, aneurysm + CUTOFF_MARGIN_MM, top)
    } else {
        rng::uniform(r, dilated + CUTOFF_MARGIN_MM, aneurysm - CUTOFF_MARGIN_MM)
    };
    let diameter_mm = match spec.diameter_mm {
        Some(d) if (dilated + CUTOFF_MARGIN_MM..=65.0).contains(&d) => d,
        Some(d) => {
            return Err(PhantomError::Params(format!(
                "aortic dilation of {d} mm: the {} aorta takes {}-65 mm",
                segment.name(),
                dilated + CUTOFF_MARGIN_MM
            )));
        }
        None => (drawn_diameter * 10.0).round() / 10.0,
    };
    let (centre, length) = if segment == AorticSegment::Descending {
        (
            rng::uniform(r, 0.3, 0.6),
            rng::uniform(r, DESCENDING_BUMP_MM[0], DESCENDING_BUMP_MM[1]),
        )
    } else {
        (0.5, rng::uniform(r, BUMP_SHARE[0], BUMP_SHARE[1]))
    };
    Ok(Drawn {
        segment,
        diameter_mm,
        centre,
        length,
    })
}

/// Arc length at each node, mm.
fn arc_lengths(points: &[V3]) -> Vec<f64> {
    let mut s = vec![0.0; points.len()];
    for i in 1..points.len() {
        s[i] = s[i - 1] + dist(points[i - 1], points[i]);
    }
    s
}

/// The largest outer diameter of each segment, mm (with its node).
pub fn segment_diameters(model: &PhantomModel) -> Vec<(AorticSegment, f64, usize)> {
    let a = &model.mediastinum.aorta;
    let n = a.tube.nodes.len();
    AorticSegment::ALL
        .iter()
        .filter_map(|&seg| {
            seg.nodes(&a.segment_starts, n)
                .map(|i| (2.0 * a.tube.nodes[i].ra, i))
                .max_by(|x, y| x.0.total_cmp(&y.0))
                .map(|(d, i)| (seg, d, i))
        })
        .collect()
}

/// Scales a normal aorta down as a whole when a segment comes within
/// [`NORMAL_MARGIN_MM`] of its dilation cut-off.
pub fn keep_normal(model: &mut PhantomModel) {
    let factor = segment_diameters(model)
        .iter()
        .map(|&(seg, d, _)| ((seg.cutoffs()[0] - NORMAL_MARGIN_MM) / d).min(1.0))
        .fold(1.0, f64::min);
    if factor < 1.0 {
        let a = &mut model.mediastinum.aorta;
        let points: Vec<V3> = a.tube.nodes.iter().map(|x| x.p).collect();
        let radii: Vec<f64> = a.tube.nodes.iter().map(|x| x.ra * factor).collect();
        a.tube = Tube::circular(&points, &radii);
    }
}

/// Applies the dilation request to a built model (at most one per
/// phantom), after keeping the rest of the aorta normal.
pub fn apply(model: &mut PhantomModel, specs: &[super::LesionSpec]) -> Result<(), PhantomError> {
    keep_normal(model);
    let requests: Vec<&AorticDilationSpec> = specs
        .iter()
        .filter_map(|s| match s {
            super::LesionSpec::AorticDilation(d) => Some(d),
            _ => None,
        })
        .collect();
    if requests.len() > 1 {
        return Err(PhantomError::Params(
            "one aortic dilation per phantom (F22 was requested more than once)".into(),
        ));
    }
    let Some(spec) = requests.first() else {
        return Ok(());
    };
    let d = draw(spec, model.params.seed)?;
    let a = &mut model.mediastinum.aorta;
    let n = a.tube.nodes.len();
    let range = d.segment.nodes(&a.segment_starts, n);
    if range.len() < 3 {
        return Err(PhantomError::Placement(format!(
            "the {} aorta is too short to dilate",
            d.segment.name()
        )));
    }
    let points: Vec<V3> = a.tube.nodes.iter().map(|x| x.p).collect();
    let radii: Vec<f64> = a.tube.nodes.iter().map(|x| x.ra).collect();
    let s = arc_lengths(&points);
    let (s0, s1) = (s[range.start], s[range.end - 1]);
    let seg_len = s1 - s0;
    let length = if d.segment == AorticSegment::Descending {
        d.length.min(seg_len)
    } else {
        d.length * seg_len
    };
    let centre = (s0 + d.centre * seg_len).clamp(s0 + 0.5 * length, s1 - 0.5 * length);
    let half = 0.5 * length;
    let bump = |si: f64| {
        let x = (si - centre) / half;
        if x.abs() >= 1.0 {
            0.0
        } else {
            (std::f64::consts::FRAC_PI_2 * x).cos().powi(2)
        }
    };
    // The base radius under the bump's centre sets the growth.
    let c = range
        .clone()
        .min_by(|&i, &j| (s[i] - centre).abs().total_cmp(&(s[j] - centre).abs()))
        .unwrap_or(range.start);
    let grow = 0.5 * d.diameter_mm - radii[c];
    let out = d.segment.bulge();
    let mut new_points = points.clone();
    let mut new_radii = radii.clone();
    for i in range {
        let b = bump(s[i]);
        if b <= 0.0 {
            continue;
        }
        let dr = grow * b;
        new_radii[i] = radii[i] + dr;
        // Outwards, perpendicular to the course.
        let t = normalize(sub(points[(i + 1).min(n - 1)], points[i.saturating_sub(1)]));
        let o = normalize(add_scaled(out, t, -dot(out, t)));
        new_points[i] = add_scaled(points[i], o, dr);
    }
    a.tube = Tube::circular(&new_points, &new_radii);
    Ok(())
}

/// An aortic dilation as applied to the model.
#[derive(Debug)]
pub struct AorticDilation {
    segment: AorticSegment,
    /// Largest outer diameter of the segment, mm.
    diameter_mm: f64,
    /// Where it is largest (patient frame).
    at: V3,
    /// Box around the widest cross-section.
    bbox: Aabb,
}

impl AorticDilation {
    /// Reads the dilated segment of a model [`apply`] changed.
    pub fn place(
        spec: &AorticDilationSpec,
        model: &PhantomModel,
        _r: &mut PhantomRng,
    ) -> Result<Self, PhantomError> {
        let drawn = draw(spec, model.params.seed)?;
        let (segment, diameter_mm, node) = segment_diameters(model)
            .into_iter()
            .find(|x| x.0 == drawn.segment)
            .ok_or_else(|| PhantomError::Placement("no aortic segment to dilate".into()))?;
        if diameter_mm < segment.cutoffs()[0] {
            return Err(PhantomError::Placement(format!(
                "the {} aorta reached only {diameter_mm:.1} mm",
                segment.name()
            )));
        }
        let at = model.mediastinum.aorta.tube.nodes[node].p;
        let r = 0.5 * diameter_mm;
        Ok(AorticDilation {
            segment,
            diameter_mm,
            at,
            bbox: Aabb::around(at, [r, r, r]),
        })
    }
}

impl Lesion for AorticDilation {
    fn code(&self) -> &'static str {
        "F22"
    }

    fn bbox(&self) -> Aabb {
        self.bbox
    }

    /// The anatomy already drew the wide aorta; it keeps its label.
    fn paint(&self, _c: &mut Canvas, _label: Label) {}

    fn owns_voxels(&self) -> bool {
        false
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F22");
        let c = ctx.model.to_lps(self.at);
        f.centroid_lps_mm = c;
        f.site = aisu::Site {
            aortic_segment: Some(self.segment.name().into()),
            structure: Some("aorta".into()),
            ..Default::default()
        };
        let d = (self.diameter_mm * 10.0).round() / 10.0;
        f.measurements = vec![aisu::Measurement::new("max_diameter", d, "mm")];
        let aneurysm = d >= self.segment.cutoffs()[1];
        let value = if aneurysm { "aneurysm" } else { "dilated" };
        f.category = Some(aisu::Category {
            system: "thoracic aortic diameter (FINDINGS.md F22)".into(),
            value: value.into(),
            context: ctx.context,
        });
        f.morphology = vec!["fusiform".into()];
        f.urgency = if aneurysm {
            aisu::Urgency::Routine
        } else {
            aisu::Urgency::Incidental
        };
        f
    }

    fn describe(&self) -> String {
        format!(
            "F22 {} aorta {:.1} mm at ({:.0}, {:.0}, {:.0})",
            self.segment.name(),
            self.diameter_mm,
            self.at[0],
            self.at[1],
            self.at[2]
        )
    }
}
