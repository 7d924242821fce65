//! F01 solid pulmonary nodule: a rotated ellipsoid, optionally lobulated
//! (smooth directional bulges) or spiculated (thin tapering spicules),
//! placed inside a lobe (intraparenchymal), against the pleura
//! (juxtapleural: the part beyond the lung is clipped, giving a broad
//! pleural contact) or against a pulmonary vessel (juxtavascular). Its
//! true volume, axes and HU come from the shape itself (quasi-Monte-Carlo
//! integration of the clipped implicit shape), never from the image.

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::anatomy::PhantomModel;
use crate::anatomy::prims::{Ellipsoid, Tube};
use crate::geom::{Aabb, V3, add, add_scaled, dot, normalize, perpendicular, scale, smin, sub};
use crate::labels::{self, Label};
use crate::lesions::{FindingContext, Lesion};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// Where the nodule sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoduleVariant {
    /// Surrounded by lung.
    Intraparenchymal,
    /// Against the costal pleura.
    Juxtapleural,
    /// Against a pulmonary vessel.
    Juxtavascular,
}

/// Margin of the nodule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoduleShape {
    /// Smooth ellipsoid.
    Round,
    /// Lobulated contour.
    Lobulated,
    /// Spiculated margin.
    Spiculated,
}

/// Request for a nodule; missing fields are drawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoduleSpec {
    /// Nominal diameter, mm (4-30).
    #[serde(default)]
    pub diameter_mm: Option<f64>,
    /// Placement.
    #[serde(default)]
    pub variant: Option<NoduleVariant>,
    /// Margin.
    #[serde(default)]
    pub shape: Option<NoduleShape>,
    /// Lobe: "RUL", "RML", "RLL", "LUL" or "LLL".
    #[serde(default)]
    pub lobe: Option<String>,
    /// Attenuation, HU.
    #[serde(default)]
    pub hu: Option<f64>,
}

/// A placed nodule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nodule {
    /// Body shape.
    pub body: Ellipsoid,
    /// Lobulation bulges: unit direction and height (mm).
    pub bulges: Vec<(V3, f64)>,
    /// Spicules.
    pub spicules: Vec<Tube>,
    /// Attenuation, HU.
    pub hu: f64,
    /// Placement.
    pub variant: NoduleVariant,
    /// Margin.
    pub shape: NoduleShape,
    /// Lobe label.
    pub lobe: Label,
    /// True volume (clipped to the lung), mm^3.
    pub volume_mm3: f64,
    /// True long axis (body, clipped), mm.
    pub long_axis: f64,
    /// True short axis perpendicular to it, mm.
    pub short_axis: f64,
    /// Whether the lung boundary clips it.
    pub clipped: bool,
    bbox: Aabb,
}

/// Lobe label of a lobe name ("RUL" ... "LLL", any case).
pub(crate) fn lobe_label(name: &str) -> Option<Label> {
    match name.to_ascii_uppercase().as_str() {
        "RUL" => Some(labels::LOBE_RUL),
        "RML" => Some(labels::LOBE_RML),
        "RLL" => Some(labels::LOBE_RLL),
        "LUL" => Some(labels::LOBE_LUL),
        "LLL" => Some(labels::LOBE_LLL),
        _ => None,
    }
}

/// Lobe name ("RUL" ... "LLL") of a lobe label.
pub(crate) fn lobe_name(l: Label) -> &'static str {
    match l {
        labels::LOBE_RUL => "RUL",
        labels::LOBE_RML => "RML",
        labels::LOBE_RLL => "RLL",
        labels::LOBE_LUL => "LUL",
        _ => "LLL",
    }
}

/// A uniformly distributed unit vector.
pub(crate) fn random_dir(r: &mut PhantomRng) -> V3 {
    let z = rng::uniform(r, -1.0, 1.0);
    let a = rng::uniform(r, 0.0, std::f64::consts::TAU);
    let s = (1.0 - z * z).sqrt();
    [s * a.cos(), s * a.sin(), z]
}

impl Nodule {
    /// Places a nodule on the model.
    pub fn place(
        spec: &NoduleSpec,
        model: &PhantomModel,
        r: &mut PhantomRng,
    ) -> Result<Nodule, PhantomError> {
        let d = spec
            .diameter_mm
            .unwrap_or_else(|| (rng::uniform(r, 4.0f64.ln(), 24.0f64.ln())).exp());
        if !(2.0..=30.0).contains(&d) {
            return Err(PhantomError::Params(format!(
                "nodule diameter {d} mm outside 2-30"
            )));
        }
        let variant = spec.variant.unwrap_or_else(|| {
            [
                NoduleVariant::Intraparenchymal,
                NoduleVariant::Juxtapleural,
                NoduleVariant::Juxtavascular,
            ][rng::weighted(r, &[0.45, 0.3, 0.25])]
        });
        let shape = spec.shape.unwrap_or_else(|| {
            [
                NoduleShape::Round,
                NoduleShape::Lobulated,
                NoduleShape::Spiculated,
            ][rng::weighted(r, &[0.45, 0.35, 0.2])]
        });
        let want_lobe = match &spec.lobe {
            Some(n) => Some(
                lobe_label(n).ok_or_else(|| PhantomError::Params(format!("unknown lobe {n:?}")))?,
            ),
            None => None,
        };
        let hu = spec
            .hu
            .unwrap_or_else(|| rng::uniform(r, 15.0, 55.0).round());
        let rad = 0.5 * d;
        let radii = [
            rad * rng::uniform(r, 1.0, 1.12),
            rad * rng::uniform(r, 0.88, 1.0),
            rad * rng::uniform(r, 0.75, 0.95),
        ];
        let centre = find_centre(model, variant, want_lobe, rad, r)?;
        Ok(Nodule::shaped(
            model, centre, rad, radii, shape, variant, hu, r,
        ))
    }

    /// Builds the nodule's shape around `centre` (orientation, lobulation,
    /// spicules) and measures it: the part of [`Nodule::place`] after the
    /// centre is chosen, shared with the other nodule-like lesions
    /// (subsolid nodules, masses).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn shaped(
        model: &PhantomModel,
        centre: V3,
        rad: f64,
        radii: V3,
        shape: NoduleShape,
        variant: NoduleVariant,
        hu: f64,
        r: &mut PhantomRng,
    ) -> Nodule {
        let body = Ellipsoid::oriented(centre, random_dir(r), random_dir(r), radii);
        let bulges = if shape == NoduleShape::Lobulated {
            (0..rng::uniform(r, 4.0, 8.0) as usize)
                .map(|_| (random_dir(r), rad * rng::uniform(r, 0.12, 0.3)))
                .collect()
        } else {
            Vec::new()
        };
        let spicules = if shape == NoduleShape::Spiculated {
            (0..rng::uniform(r, 6.0, 14.0) as usize)
                .map(|_| {
                    let dir = random_dir(r);
                    let len = rad * rng::uniform(r, 0.5, 1.2) + rng::uniform(r, 2.0, 6.0);
                    let a = add_scaled(centre, dir, 0.6 * rad);
                    let b = add_scaled(centre, dir, rad + len);
                    Tube::circular(&[a, b], &[rng::uniform(r, 0.6, 1.0), 0.2])
                })
                .collect()
        } else {
            Vec::new()
        };
        let extent = rad * 1.4
            + if shape == NoduleShape::Spiculated {
                1.3 * rad + 7.0
            } else {
                0.0
            };
        let bbox = Aabb::around(centre, [extent; 3]);
        let lobe = model.lobe_at(centre).unwrap_or(labels::LOBE_RUL);
        let mut n = Nodule {
            body,
            bulges,
            spicules,
            hu,
            variant,
            shape,
            lobe,
            volume_mm3: 0.0,
            long_axis: 0.0,
            short_axis: 0.0,
            clipped: model.lung_sdf(centre) > -(extent + 2.0),
            bbox,
        };
        n.measure(model);
        n
    }

    /// Signed distance of the nodule body (no spicules).
    #[inline]
    pub fn body_sdf(&self, p: V3) -> f64 {
        let mut d = self.body.sdf(p);
        if !self.bulges.is_empty() {
            let dir = normalize(sub(p, self.body.c));
            let mut bump = 0.0;
            for (n, h) in &self.bulges {
                bump += h * (6.0 * (dot(dir, *n) - 1.0)).exp();
            }
            d -= bump;
        }
        d
    }

    /// Signed distance of the whole nodule.
    #[inline]
    pub fn sdf(&self, p: V3) -> f64 {
        const SPICULE_BLEND_MM: f64 = 0.8;
        let mut d = self.body_sdf(p);
        for s in &self.spicules {
            // smin(d, x, k) == d when x >= d + k: skip spicules whose box
            // is that far, with 1 mm for the elliptical-section
            // approximation (no change to the shape).
            if crate::geom::box_distance(s.bbox.min, s.bbox.max, p) >= d + SPICULE_BLEND_MM + 1.0 {
                continue;
            }
            d = smin(d, s.sdf(p), SPICULE_BLEND_MM);
        }
        d
    }

    /// Volume and axes of the shape clipped to the lung, by integration
    /// over a fine jittered grid.
    fn measure(&mut self, model: &PhantomModel) {
        self.measure_clipped(model, &|_| true);
    }

    /// [`Nodule::measure`] keeping only points where `keep` holds too
    /// (e.g. outside a pleural effusion that clips a mass).
    pub(crate) fn measure_clipped(&mut self, model: &PhantomModel, keep: &dyn Fn(V3) -> bool) {
        let b = self.bbox;
        let size = [
            b.max[0] - b.min[0],
            b.max[1] - b.min[1],
            b.max[2] - b.min[2],
        ];
        let step = (size[0] / 48.0).max(0.08);
        let n = [
            (size[0] / step) as usize,
            (size[1] / step) as usize,
            (size[2] / step) as usize,
        ];
        let mut count = 0usize;
        let mut body_pts = Vec::new();
        let mut r = rng::stream(7, "nodule-measure");
        for k in 0..n[2] {
            for j in 0..n[1] {
                for i in 0..n[0] {
                    let p = [
                        b.min[0] + (i as f64 + rng::uniform(&mut r, 0.0, 1.0)) * step,
                        b.min[1] + (j as f64 + rng::uniform(&mut r, 0.0, 1.0)) * step,
                        b.min[2] + (k as f64 + rng::uniform(&mut r, 0.0, 1.0)) * step,
                    ];
                    if self.sdf(p) >= 0.0 {
                        continue;
                    }
                    if self.clipped && model.lung_sdf(p) >= 0.0 {
                        continue;
                    }
                    if !keep(p) {
                        continue;
                    }
                    count += 1;
                    if self.body_sdf(p) < 0.0 {
                        body_pts.push(p);
                    }
                }
            }
        }
        self.volume_mm3 = count as f64 * step * step * step;
        // Axes: largest extent over many directions, then the largest
        // extent perpendicular to it.
        let extent = |d: V3| -> f64 {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for p in &body_pts {
                let x = dot(*p, d);
                lo = lo.min(x);
                hi = hi.max(x);
            }
            (hi - lo + step).max(0.0)
        };
        let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
        let mut best = (0.0, [1.0, 0.0, 0.0]);
        for i in 0..300 {
            let z = 1.0 - (i as f64 + 0.5) / 300.0;
            let s = (1.0 - z * z).sqrt();
            let d = [
                s * (golden * i as f64).cos(),
                s * (golden * i as f64).sin(),
                z,
            ];
            let e = extent(d);
            if e > best.0 {
                best = (e, d);
            }
        }
        let u = perpendicular(best.1);
        let v = crate::geom::cross(best.1, u);
        let mut short: f64 = 0.0;
        for i in 0..90 {
            let a = std::f64::consts::PI * i as f64 / 90.0;
            short = short.max(extent(add(scale(u, a.cos()), scale(v, a.sin()))));
        }
        self.long_axis = best.0;
        self.short_axis = short;
    }

    /// Mean diameter (long + short) / 2, mm.
    pub fn mean_diameter(&self) -> f64 {
        0.5 * (self.long_axis + self.short_axis)
    }
}

/// Finds a centre for a nodule of radius `rad` in the wanted lobe.
pub(crate) fn find_centre(
    model: &PhantomModel,
    variant: NoduleVariant,
    lobe: Option<Label>,
    rad: f64,
    r: &mut PhantomRng,
) -> Result<V3, PhantomError> {
    let lm = &model.landmarks;
    let s = lm.size;
    // Inside the scanned range, and in the wanted lobe.
    let (w_lo, w_hi) = (model.scan_w[0] + rad + 2.0, model.scan_w[1] - rad - 2.0);
    let in_lobe =
        |p: V3| p[2] > w_lo && p[2] < w_hi && lobe.is_none_or(|l| model.lobe_at(p) == Some(l));
    for _ in 0..6000 {
        let p = [
            rng::uniform(r, -140.0, 140.0) * s,
            rng::uniform(r, -90.0, 110.0) * s,
            rng::uniform(r, lm.recess.max(w_lo), (lm.apex - 10.0).min(w_hi)),
        ];
        let d = model.lung_sdf(p);
        if d > -2.0 || !in_lobe(p) {
            continue;
        }
        match variant {
            NoduleVariant::Intraparenchymal => {
                // Clear of vessels thicker than 1.5 mm (smaller ones pass
                // through or beside any real nodule).
                let big = nearest_vessel(model, p, 0.4 * rad).is_some_and(|(_, _, rv)| rv > 1.5);
                if d < -(rad + 6.0) && !big {
                    return Ok(p);
                }
            }
            NoduleVariant::Juxtapleural => {
                if d > -25.0 {
                    // Walk outwards along the gradient to sit 0.7 r deep.
                    let g = crate::geom::unit_gradient(|q| model.lung_sdf(q), p);
                    let c = add_scaled(p, g, -d - 0.7 * rad);
                    let dc = model.lung_sdf(c);
                    if (dc + 0.7 * rad).abs() < 1.5 && in_lobe(c) && model.mediastinum_clear(c, rad)
                    {
                        return Ok(c);
                    }
                }
            }
            NoduleVariant::Juxtavascular => {
                if let Some((a, b, rv)) = nearest_vessel(model, p, 12.0) {
                    if !(1.0..=4.5).contains(&rv) {
                        continue;
                    }
                    let t = rng::uniform(r, 0.25, 0.75);
                    let q = crate::geom::lerp3(a, b, t);
                    let axis = normalize(sub(b, a));
                    let side = normalize(crate::geom::cross(axis, random_dir(r)));
                    let c = add_scaled(q, side, rv + 0.6 * rad);
                    if model.lung_sdf(c) < -(rad + 3.0) && in_lobe(c) {
                        return Ok(c);
                    }
                }
            }
        }
    }
    Err(PhantomError::Placement(format!(
        "no place found for a {variant:?} nodule of {:.1} mm",
        2.0 * rad
    )))
}

/// The pulmonary vessel segment nearest to `p` within `within` mm of its
/// surface: (start, end, radius).
pub(crate) fn nearest_vessel(model: &PhantomModel, p: V3, within: f64) -> Option<(V3, V3, f64)> {
    let mut best: Option<(f64, V3, V3, f64)> = None;
    for tree in [&model.pulmonary.arteries, &model.pulmonary.veins] {
        for &i in tree.near(p[2]) {
            let b = &tree.branches[i as usize];
            let (_, d) = crate::geom::segment_closest(p, b.a, b.b);
            let gap = d - b.ra;
            if gap < within && best.is_none_or(|x| gap < x.0) {
                best = Some((gap, b.a, b.b, b.ra));
            }
        }
    }
    best.map(|(_, a, b, r)| (a, b, r))
}

impl PhantomModel {
    /// True when a sphere of radius `rad` at `c` stays clear of the
    /// mediastinal envelope (so a juxtapleural lesion touches the costal
    /// pleura, not the heart).
    pub fn mediastinum_clear(&self, c: V3, rad: f64) -> bool {
        self.envelope().sdf(c) > rad + 4.0
    }
}

impl Lesion for Nodule {
    fn code(&self) -> &'static str {
        "F01"
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
        let px = c.grid.px;
        let h = c.h;
        let tex = c.texture;
        let hu = self.hu as f32;
        let soft = c.tissue.soft_texture as f32;
        let ctr = self.body.c;
        let nx = c.grid.nx;
        for y in rect.y0..rect.y1 {
            for x in rect.x0..rect.x1 {
                let i = y * nx + x;
                let l = c.label[i];
                if !(labels::is_lobe(l)
                    || l == labels::VESSELS
                    || l == labels::BRONCHI
                    || l == label)
                {
                    continue;
                }
                let p = [c.grid.u[i] as f64, c.grid.v[i] as f64, w];
                let d = self.sdf(p);
                if d > px + h {
                    continue;
                }
                let n = normalize(sub(p, ctr));
                let fp = px * (n[0].abs() + n[1].abs()).max(0.7) + h * n[2].abs();
                let a = (0.5 - d / fp).clamp(0.0, 1.0) as f32;
                let val = hu + soft * tex.at(p, 1.5);
                c.value[i] += a * (val - c.value[i]);
                if d < 0.0 {
                    c.label[i] = label;
                }
            }
        }
    }

    fn finding(&self, ctx: &FindingContext) -> aisu::Finding {
        let mut f = ctx.base("F01");
        let lm = &ctx.model.landmarks;
        let c = self.body.c;
        let rel = ((c[2] - lm.recess) / (lm.apex - lm.recess)).clamp(0.0, 1.0);
        f.site = aisu::Site {
            side: Some(if c[0] < 0.0 { "right" } else { "left" }.to_string()),
            lobe: Some(lobe_name(self.lobe).to_string()),
            zone: Some(
                if rel > 0.62 {
                    "upper"
                } else if rel > 0.36 {
                    "middle"
                } else {
                    "lower"
                }
                .to_string(),
            ),
            ..Default::default()
        };
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        let md = self.mean_diameter();
        f.measurements = vec![
            aisu::Measurement::new("long_axis", round1(self.long_axis), "mm"),
            aisu::Measurement::new("short_axis", round1(self.short_axis), "mm"),
            aisu::Measurement::new("mean_diameter", round1(md), "mm"),
            aisu::Measurement::new(
                "volume",
                (self.volume_mm3 / 1000.0 * 1000.0).round() / 1000.0,
                "mL",
            ),
            aisu::Measurement::new("mean_hu", self.hu, "HU"),
        ];
        let mut morph = vec!["solid".to_string()];
        morph.push(
            match self.shape {
                NoduleShape::Round => "smooth",
                NoduleShape::Lobulated => "lobulated",
                NoduleShape::Spiculated => "spiculated",
            }
            .to_string(),
        );
        match self.variant {
            NoduleVariant::Juxtapleural => morph.push("juxtapleural".into()),
            NoduleVariant::Juxtavascular => morph.push("juxtavascular".into()),
            NoduleVariant::Intraparenchymal => {}
        }
        f.morphology = morph;
        // Lung-RADS v2022 baseline, solid (FINDINGS.md F01): only for
        // screening on slices of 2.5 mm or thinner.
        if ctx.context == aisu::ExamContext::Screening && ctx.slice_mm <= 2.5 {
            let benign_pleural = self.variant == NoduleVariant::Juxtapleural
                && self.shape == NoduleShape::Round
                && md < 10.0;
            let v = if benign_pleural || md < 6.0 {
                "2"
            } else if md < 8.0 {
                "3"
            } else if md < 15.0 {
                "4A"
            } else {
                "4B"
            };
            f.category = Some(aisu::Category {
                system: "Lung-RADS v2022".into(),
                value: v.into(),
                context: aisu::ExamContext::Screening,
            });
        }
        f.urgency = if md >= 15.0 {
            aisu::Urgency::Tier3
        } else if md >= 6.0 {
            aisu::Urgency::Routine
        } else {
            aisu::Urgency::Incidental
        };
        // A nodule smaller than thick slices cannot be reliably detected.
        f.assessable = md >= 3.0 && (ctx.slice_mm <= 2.5 || md >= ctx.slice_mm);
        f.extra.insert(
            "variant".into(),
            serde_json::to_value(self.variant).unwrap_or_default(),
        );
        f.extra.insert(
            "true_centre_lps_mm".into(),
            serde_json::json!(ctx.model.to_lps(c)),
        );
        f.extra.insert(
            "true_volume_mm3".into(),
            serde_json::json!((self.volume_mm3 * 10.0).round() / 10.0),
        );
        f
    }

    fn describe(&self) -> String {
        format!(
            "F01 {:?} {:?} nodule {:.1} mm in {}, {} HU",
            self.shape,
            self.variant,
            self.mean_diameter(),
            lobe_name(self.lobe),
            self.hu
        )
    }
}
