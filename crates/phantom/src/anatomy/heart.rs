//! The heart: four chambers as one soft-tissue blob (a smooth union of
//! ellipsoids: LV towards the apex, RV in front, RA on the right, LA at
//! the back), the epicardial fat around it (thicker in the grooves and at
//! the apex), the pericardium as a thin dense line, and the coronary
//! arteries (LM, LAD, LCx, RCA) running on the surface in the fat. The
//! long axis points left, anterior and down, the heart resting on the
//! diaphragm.

use serde::{Deserialize, Serialize};

use crate::anatomy::prims::{Ellipsoid, Tube};
use crate::geom::{Aabb, V3, add, add_scaled, cross, normalize, scale, smin, sub};
use crate::labels;
use crate::params::{HEART_SCALE_RANGE, PhantomParams};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// A coronary artery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coronary {
    /// "LM", "LAD", "LCx" or "RCA".
    pub name: String,
    /// Its course (centreline and lumen radius).
    pub tube: Tube,
}

/// The heart and pericardium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heart {
    /// Chambers: LV, RV, RA, LA.
    pub chambers: [Ellipsoid; 4],
    /// Blend width of the chamber union, mm.
    pub blend: f64,
    /// Unit long axis from base to apex.
    pub long_axis: V3,
    /// Centre of the base (aortic root).
    pub base: V3,
    /// Apex.
    pub apex: V3,
    /// Mean epicardial fat thickness, mm.
    pub fat: f64,
    /// Pericardium thickness, mm.
    pub pericardium: f64,
    /// Coronary arteries.
    pub coronaries: Vec<Coronary>,
    /// Bounding box of the pericardial sac.
    pub bbox: Aabb,
    /// Pericardial fluid between the epicardial fat and the pericardium
    /// (F18), when the phantom has an effusion.
    #[serde(default)]
    pub fluid: Option<PericardialFluid>,
    /// How far the whole heart was moved anteriorly, mm, so that an
    /// enlarged heart grows forward rather than back
    /// ([`LA_BACK_SHARE`], [`build`]); 0 for a heart of normal size.
    #[serde(default)]
    pub forward_mm: f64,
}

/// Share of a heart's growth beyond a scale of 1 by which the left atrium
/// still grows backwards (its offset behind the heart's centre and its
/// radius along `v`). The atrium of a heart of scale 1 already lies on the
/// oesophagus, the descending aorta and the front of the vertebral
/// bodies, which stay in place however large the heart: an enlarged
/// heart fills the retrosternal space and pushes the apex left, and its
/// left atrium enlarges sideways and upwards (the double right heart
/// border and the splayed carina of the radiograph), bulging back only a
/// little (it indents the oesophagus). 0.15 of the growth is about 5 mm at
/// a heart scale of 1.6, under 2 mm for the largest normal heart (1.14).
pub const LA_BACK_SHARE: f64 = 0.15;

/// A pericardial effusion: a fluid layer around the heart, thickest on
/// the dependent side (posterior and inferior in a supine patient) and
/// thinning towards the great vessels, where the pericardium reflects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PericardialFluid {
    /// Layer thickness on the most dependent side, mm.
    pub max_mm: f64,
    /// Thickness on the opposite (anterior) side as a share of `max_mm`:
    /// small effusions lie posteriorly, large ones all round.
    pub anterior_share: f64,
    /// Unit direction in which the layer is thickest.
    pub toward: V3,
    /// Centre the direction is taken from (the chambers' centre).
    pub centre: V3,
    /// Height above which the layer thins out (the heart's base), mm.
    pub top_w: f64,
    /// The layer thins out towards this posterior limit (in front of the
    /// descending aorta), mm along v.
    pub back_v: f64,
    /// Fluid attenuation, HU.
    pub hu: f64,
}

impl PericardialFluid {
    /// Layer thickness outside the epicardial fat at `p`, mm.
    pub fn thickness(&self, p: V3) -> f64 {
        let dir = normalize(sub(p, self.centre));
        let k = (0.5 * (1.0 + crate::geom::dot(dir, self.toward))).powi(2);
        let top = crate::geom::smoothstep(self.top_w, self.top_w - 20.0, p[2]);
        let back = crate::geom::smoothstep(self.back_v, self.back_v - 12.0, p[1]);
        self.max_mm * (self.anterior_share + (1.0 - self.anterior_share) * k) * top * back
    }
}

impl Heart {
    /// Signed distance to the heart muscle and chambers.
    pub fn sdf(&self, p: V3) -> f64 {
        let mut d = self.chambers[0].sdf(p);
        for e in &self.chambers[1..] {
            d = smin(d, e.sdf(p), self.blend);
        }
        d
    }

    /// Local epicardial fat thickness at `p` near the surface: more at the
    /// apex and in the atrioventricular groove.
    pub fn fat_at(&self, p: V3, noise: f64) -> f64 {
        let x = crate::geom::dot(sub(p, self.base), self.long_axis);
        let len = crate::geom::dist(self.base, self.apex);
        let apex = crate::geom::smoothstep(0.55 * len, len, x);
        let groove = (-((x - 0.3 * len) / 12.0).powi(2)).exp();
        // Fat pads in the cardiophrenic angles (lowest part).
        let low = crate::geom::smoothstep(self.apex[2] + 30.0, self.apex[2] - 5.0, p[2]);
        (self.fat * (0.6 + 1.2 * apex + 1.0 * groove + 1.4 * low + 0.5 * noise)).max(0.5)
    }

    /// Pericardial fluid thickness at `p` (0 without an effusion), mm.
    pub fn fluid_at(&self, p: V3) -> f64 {
        self.fluid.as_ref().map_or(0.0, |f| f.thickness(p))
    }

    /// Signed distance to the outer surface of the epicardial fat.
    pub fn fat_sdf(&self, p: V3) -> f64 {
        self.sdf(p) - self.fat_at(p, 0.0)
    }

    /// Signed distance to the outer surface of the pericardial fluid,
    /// given `d_fat`, the [`Heart::fat_sdf`] at `p`. The fat's distance
    /// field grows slower than 1 per mm where the fat thickens outwards
    /// (the fat pads at the apex and the cardiophrenic angles): the local
    /// fluid thickness is scaled by its gradient, so the layer is as thick
    /// as drawn everywhere.
    pub fn fluid_sdf(&self, p: V3, d_fat: f64) -> f64 {
        let t = self.fluid_at(p);
        if t <= 0.0 {
            return d_fat;
        }
        let grad = crate::geom::norm(crate::geom::gradient(|q| self.fat_sdf(q), p));
        d_fat - t * grad.clamp(0.2, 1.5)
    }

    /// Signed distance to the outer surface of the pericardium.
    pub fn sac_sdf(&self, p: V3, noise: f64) -> f64 {
        let d_fat = self.sdf(p) - self.fat_at(p, noise);
        self.fluid_sdf(p, d_fat) - self.pericardium
    }
}

/// Builds the heart resting on the diaphragm at height `floor_w` (the
/// diaphragm under the heart centre), centred at `(u, v)`.
///
/// A heart of normal size ([`HEART_SCALE_RANGE`]) grows about its centre.
/// The growth of an enlarged one beyond the normal range goes forward:
/// the whole heart moves anteriorly by the growth of the left
/// ventricle's posterior wall (at most `forward_cap_mm`, the room in front
/// of it), so that the ventricle's back wall stays where it is. The left
/// atrium keeps its posterior wall near that of a heart of scale 1
/// whatever the scale ([`LA_BACK_SHARE`]).
pub fn build(
    p: &PhantomParams,
    size: f64,
    centre_uv: [f64; 2],
    floor_w: f64,
    forward_cap_mm: f64,
) -> Heart {
    let r = &mut rng::stream(p.seed, "heart");
    let hs = size * p.heart_scale;
    let normal_top = p.heart_scale.min(HEART_SCALE_RANGE[1]);
    // Scale of the left atrium's posterior extent (= hs up to a scale of 1).
    let hb = size
        * p.heart_scale
            .min(1.0 + LA_BACK_SHARE * (p.heart_scale - 1.0));
    let axis = normalize([
        rng::normal(r, 0.7, 0.06, 0.55, 0.85),
        rng::normal(r, -0.55, 0.06, -0.7, -0.4),
        rng::normal(r, -0.5, 0.07, -0.7, -0.3),
    ]);
    // Local frame: x along the long axis, y anterior-ish, z up-ish.
    let up = normalize(cross(cross(axis, [0.0, 0.0, 1.0]), axis));
    let side = normalize(cross(axis, up));
    let centre = [centre_uv[0], centre_uv[1], floor_w + 48.0 * hs];
    let at = |x: f64, y: f64, z: f64| {
        add(
            add(add_scaled(centre, axis, x), scale(up, y)),
            scale(side, z),
        )
    };
    let j = |r: &mut PhantomRng| rng::normal(r, 1.0, 0.05, 0.88, 1.12);
    let lv = Ellipsoid::oriented(
        at(18.0 * hs, -4.0 * hs, -8.0 * hs),
        axis,
        up,
        [47.0 * hs * j(r), 29.0 * hs * j(r), 30.0 * hs * j(r)],
    );
    let rv = Ellipsoid::oriented(
        at(2.0 * hs, -10.0 * hs, 22.0 * hs),
        normalize(add(axis, [0.0, 0.0, 0.1])),
        up,
        [43.0 * hs * j(r), 21.0 * hs * j(r), 27.0 * hs * j(r)],
    );
    // The left ventricle's back wall grows by this much beyond that of a
    // heart at the top of the normal range: the heart moves forward by it.
    let lv_back = lv.bbox().max[1] - centre[1];
    let forward = (lv_back * (1.0 - normal_top / p.heart_scale))
        .min(forward_cap_mm)
        .max(0.0);
    let ra = Ellipsoid::oriented(
        add(centre, [-48.0 * hs, 12.0 * hs, 14.0 * hs]),
        [0.0, 0.0, 1.0],
        [0.0, -1.0, 0.0],
        [30.0 * hs * j(r), 24.0 * hs * j(r), 27.0 * hs * j(r)],
    );
    // Placed `forward` behind its place in the moved heart: its back wall
    // stays put.
    let la = Ellipsoid::oriented(
        add(centre, [-8.0 * hs, 36.0 * hb + forward, 30.0 * hs]),
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0],
        [34.0 * hs * j(r), 20.0 * hs * j(r), 24.0 * hb * j(r)],
    );
    let base = add(centre, [-14.0 * hs, 4.0 * hs, 34.0 * hs]);
    let apex = add_scaled(lv.c, axis, lv.r[0] - 4.0);
    let ahead = |q: V3| [q[0], q[1] - forward, q[2]];
    let (base, apex) = (ahead(base), ahead(apex));
    let [lv, rv, ra, la] = [lv, rv, ra, la].map(|e| Ellipsoid { c: ahead(e.c), ..e });
    let fat = (rng::uniform(r, 2.0, 4.5)
        + 0.12 * (p.bmi - 22.0).max(0.0)
        + 0.03 * (p.age_years - 40.0).max(0.0))
    .clamp(1.5, 9.0);
    let mut heart = Heart {
        chambers: [lv, rv, ra, la],
        blend: 9.0,
        long_axis: axis,
        base,
        apex,
        fat,
        pericardium: rng::uniform(r, 1.0, 1.8),
        coronaries: Vec::new(),
        bbox: Aabb::EMPTY,
        fluid: None,
        forward_mm: forward,
    };
    let mut bbox = Aabb::EMPTY;
    for e in &heart.chambers {
        bbox = bbox.union(&e.bbox());
    }
    heart.bbox = bbox.expand(3.0 * fat + 8.0);
    heart.coronaries = coronaries(&heart, hs, r);
    heart
}

/// Projects `p` onto the heart surface plus `offset` mm (few Newton steps
/// along the numerical gradient).
fn onto_surface(h: &Heart, mut p: V3, offset: f64) -> V3 {
    for _ in 0..6 {
        let d = h.sdf(p) - offset;
        let g = crate::geom::unit_gradient(|q| h.sdf(q), p);
        p = add_scaled(p, g, -d);
    }
    p
}

fn coronaries(h: &Heart, hs: f64, r: &mut PhantomRng) -> Vec<Coronary> {
    let axis = h.long_axis;
    let base = h.base;
    let len = crate::geom::dist(base, h.apex);
    let up = normalize(cross(cross(axis, [0.0, 0.0, 1.0]), axis));
    let side = normalize(cross(axis, up));
    let off = 0.45 * h.fat + 1.2;
    let course = |pts: Vec<V3>, r0: f64, r1: f64| -> Tube {
        let pts: Vec<V3> = pts.into_iter().map(|q| onto_surface(h, q, off)).collect();
        let smooth = crate::geom::catmull_rom(&pts, 6);
        let n = smooth.len();
        let radii: Vec<f64> = (0..n)
            .map(|i| r0 + (r1 - r0) * i as f64 / (n.max(2) - 1) as f64)
            .collect();
        Tube::circular(&smooth, &radii)
    };
    let ring = |x: f64, angle: f64, rad: f64| -> V3 {
        let (s, c) = angle.sin_cos();
        add(
            add_scaled(base, axis, x),
            add(scale(up, c * rad), scale(side, s * rad)),
        )
    };
    let jit = |r: &mut PhantomRng| rng::jitter(r, 0.15);
    // LM: from the left aortic sinus, short, leftwards.
    let lm_start = add(base, [14.0 * hs, -6.0 * hs, 2.0]);
    let lm_end = add(base, [26.0 * hs, -8.0 * hs, -4.0]);
    let lm = course(vec![lm_start, lm_end], 2.2, 2.0);
    // LAD: anterior interventricular groove to the apex.
    let lad_pts: Vec<V3> = (0..7)
        .map(|k| {
            let f = k as f64 / 6.0;
            let a = -0.9 + 0.2 * f + jit(r);
            ring(0.1 * len + f * 0.95 * len, a, 40.0 * hs * (1.0 - 0.6 * f))
        })
        .collect();
    let mut lad_all = vec![lm_end];
    lad_all.extend(lad_pts);
    let lad = course(lad_all, 1.8, 0.8);
    // LCx: left atrioventricular groove, posteriorly.
    let lcx_pts: Vec<V3> = (0..6)
        .map(|k| {
            let f = k as f64 / 5.0;
            ring(0.28 * len, -0.6 + 2.2 * f + jit(r), 46.0 * hs)
        })
        .collect();
    let mut lcx_all = vec![lm_end];
    lcx_all.extend(lcx_pts);
    let lcx = course(lcx_all, 1.7, 0.9);
    // RCA: right atrioventricular groove, round to the posterior.
    let rca_start = add(base, [-4.0 * hs, -14.0 * hs, 0.0]);
    let rca_pts: Vec<V3> = (0..8)
        .map(|k| {
            let f = k as f64 / 7.0;
            ring(
                0.25 * len + 0.1 * len * f,
                -1.3 - 2.4 * f + jit(r),
                48.0 * hs,
            )
        })
        .collect();
    let mut rca_all = vec![rca_start];
    rca_all.extend(rca_pts);
    let rca = course(rca_all, 1.9, 1.0);
    [("LM", lm), ("LAD", lad), ("LCx", lcx), ("RCA", rca)]
        .into_iter()
        .map(|(n, tube)| Coronary {
            name: n.to_string(),
            tube,
        })
        .collect()
}

impl Heart {
    /// Paints pericardium, epicardial fat, the heart, and the coronaries.
    pub fn paint(&self, c: &mut Canvas) {
        let w = c.w;
        // Motion: the whole heart shifts by the plane's displacement.
        let shift = c.heart_shift();
        if !self.bbox.expand(c.motion.abs() + 2.0).spans_w(w) {
            return;
        }
        let t = c.tissue;
        let tex = c.texture;
        let b = Aabb {
            min: add(self.bbox.min, shift),
            max: add(self.bbox.max, shift),
        };
        let Some(rect) = c.grid.rect_of(&b) else {
            return;
        };
        let peri = t.soft_tissue as f32;
        let fat = t.mediastinal_fat as f32;
        let myo = t.myocardium as f32;
        let blood = t.blood as f32;
        let soft = t.soft_texture as f32;
        let pt = self.pericardium as f32;
        let px = c.grid.px as f32;
        let max_fluid = self.fluid.as_ref().map_or(0.0, |f| f.max_mm);
        let fluid_hu = self.fluid.as_ref().map_or(0.0, |f| f.hu) as f32;
        let max_fat = (self.fat * 4.7 + self.pericardium + max_fluid) as f32;
        c.paint_cov_culled(
            rect,
            |u, v| self.sdf(sub([u as f64, v as f64, w], shift)) as f32 - max_fat,
            px,
            |_, u, v| {
                let p = sub([u as f64, v as f64, w], shift);
                let dh = self.sdf(p);
                if dh > 40.0 + max_fluid {
                    return None;
                }
                let fat_mm = self.fat_at(p, 0.0);
                let d_fat = (dh - fat_mm) as f32; // epicardial fat outer surface
                let d_fluid = if max_fluid > 0.0 && d_fat > -px {
                    self.fluid_sdf(p, d_fat as f64) as f32 // fluid outer surface
                } else {
                    d_fat
                };
                let d_sac = d_fluid - pt;
                if d_sac > px {
                    return None;
                }
                let a_sac = (0.5 - d_sac / px).clamp(0.0, 1.0);
                let a_fluid = (0.5 - d_fluid / px).clamp(0.0, 1.0);
                let a_fat = (0.5 - d_fat / px).clamp(0.0, 1.0);
                let a_h = (0.5 - dh as f32 / px).clamp(0.0, 1.0);
                // Composite inside-out: pericardium shell, fat, heart.
                let inner = if dh < -4.0 {
                    blood + soft * tex.at2(p, 3.0)
                } else {
                    myo
                };
                let fatv = fat + soft * tex.at2(p, 2.5);
                let v_in = fatv + a_h * (inner - fatv);
                // Without an effusion the fluid layer is empty (a_fluid =
                // a_fat): the fat-in-pericardium composite.
                let v_fl = if max_fluid > 0.0 {
                    let fluidv = fluid_hu + 0.6 * soft * tex.at2(p, 3.0);
                    fluidv + (a_fat / a_fluid.max(1e-6)).min(1.0) * (v_in - fluidv)
                } else {
                    v_in
                };
                let val = peri + (a_fluid / a_sac.max(1e-6)).min(1.0) * (v_fl - peri);
                let label = if dh < 0.0 {
                    labels::HEART
                } else if d_fat < 0.0 {
                    labels::EPICARDIAL_FAT
                } else {
                    labels::PERICARDIUM
                };
                Some((a_sac, d_sac < 0.0, val, label))
            },
        );
        let names = [
            labels::CORONARY_LM,
            labels::CORONARY_LAD,
            labels::CORONARY_LCX,
            labels::CORONARY_RCA,
        ];
        for (cor, label) in self.coronaries.iter().zip(names) {
            if c.motion.abs() > 0.0 {
                continue_shifted(c, &cor.tube, label, blood, shift);
            } else {
                cor.tube.paint(c, label, |_, _| blood);
            }
        }
    }
}

/// Paints a tube displaced by `shift` (motion).
fn continue_shifted(c: &mut Canvas, tube: &Tube, label: labels::Label, value: f32, shift: V3) {
    let moved = Tube::from_nodes(
        tube.nodes
            .iter()
            .map(|n| crate::anatomy::prims::TubeNode {
                p: add(n.p, shift),
                ..*n
            })
            .collect(),
    );
    moved.paint(c, label, |_, _| value);
}
