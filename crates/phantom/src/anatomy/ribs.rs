//! The rib cage: 12 rib pairs (sometimes 11 or 13, a cervical rib or a
//! bifid rib) from the costovertebral joints round the chest just outside
//! the pleura, sloping down towards the front; costal cartilages to the
//! sternum (ribs 1-7) or to the cartilage above (8-10), calcified with
//! age; and the sternum (manubrium, body, xiphoid). Each rib keeps its
//! centreline so fractures can be placed on it.

use serde::{Deserialize, Serialize};

use crate::anatomy::body::Body;
use crate::anatomy::prims::{Tube, TubeNode};
use crate::anatomy::spine::{Landmarks, Spine};
use crate::geom::{Aabb, Profile, V3, add, catmull_rom, lerp, smoothstep};
use crate::labels::{self, Label};
use crate::params::{PhantomParams, Sex};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// One rib.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rib {
    /// True on the patient's left.
    pub left: bool,
    /// Number 1-13, or 0 for a cervical rib.
    pub number: u8,
    /// Label painted.
    pub label: Label,
    /// Bone from head to costochondral junction (flat elliptical section).
    pub bone: Tube,
    /// Costal cartilage, when present.
    pub cartilage: Option<Tube>,
    /// Node indices where the posterior, lateral and anterior segments
    /// start.
    pub segment_starts: [usize; 3],
    /// Cortex thickness, mm.
    pub cortex: f64,
    /// Extra prong of a bifid rib.
    pub fork: Option<Tube>,
}

/// The sternum as a stack of rounded-rectangle sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sternum {
    /// Top (jugular notch) and bottom (xiphoid tip) heights.
    pub w_range: [f64; 2],
    /// Centre `v` by height.
    pub v: Profile,
    /// Half-width by height.
    pub half_width: Profile,
    /// Half-thickness by height.
    pub half_thickness: Profile,
    /// Manubriosternal junction height.
    pub angle_w: f64,
    /// Cortex thickness.
    pub cortex: f64,
}

impl Sternum {
    /// Signed distance.
    pub fn sdf(&self, p: V3) -> f64 {
        let w = p[2].clamp(self.w_range[0], self.w_range[1]);
        let hw = self.half_width.at(w);
        let ht = self.half_thickness.at(w);
        let r = ht.min(4.0);
        let dx = p[0].abs() - hw + r;
        let dy = (p[1] - self.v.at(w)).abs() - ht + r;
        let (ex, ey) = (dx.max(0.0), dy.max(0.0));
        let d2 = (ex * ex + ey * ey).sqrt() + dx.max(dy).min(0.0) - r;
        let dz = (p[2] - self.w_range[1]).max(self.w_range[0] - p[2]);
        if dz > 0.0 {
            (d2.max(0.0).powi(2) + dz * dz).sqrt()
        } else {
            d2.max(dz)
        }
    }

    /// Bounding box.
    pub fn bbox(&self) -> Aabb {
        let mut b = Aabb::EMPTY;
        for k in 0..=10 {
            let w = lerp(self.w_range[0], self.w_range[1], k as f64 / 10.0);
            let hw = self.half_width.at(w);
            let ht = self.half_thickness.at(w);
            let v = self.v.at(w);
            b.include([-hw, v - ht, w]);
            b.include([hw, v + ht, w]);
        }
        b.expand(2.0)
    }
}

/// Ribs, cartilages and sternum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RibCage {
    /// Every rib, both sides.
    pub ribs: Vec<Rib>,
    /// The sternum.
    pub sternum: Sternum,
    /// Calcified-cartilage pattern: 0 none, else the fraction of
    /// cartilage volume calcified (rim in men, central in women).
    pub cartilage_calcification: f64,
}

/// Angle about the chest axis for an angle `phi` measured from the
/// posterior midline round one side (0 posterior, pi/2 lateral, pi anterior).
pub fn side_theta(left: bool, phi: f64) -> f64 {
    let fp = std::f64::consts::FRAC_PI_2;
    let t = if left { fp - phi } else { fp + phi };
    if t > std::f64::consts::PI {
        t - std::f64::consts::TAU
    } else {
        t
    }
}

/// Builds the cage.
pub fn build(p: &PhantomParams, lm: &Landmarks, spine: &Spine, body: &Body) -> RibCage {
    let r = &mut rng::stream(p.seed, "ribs");
    let s = lm.size;
    let sternum = build_sternum(lm, body, r);
    let count = [11u8, 12, 13][rng::weighted(r, &[0.05, 0.9, 0.05])];
    let cervical = if rng::chance(r, 0.05) {
        Some(rng::chance(r, 0.5))
    } else {
        None
    };
    let bifid = if rng::chance(r, 0.05) {
        Some((rng::chance(r, 0.5), 3 + (rng::chance(r, 0.5) as u8)))
    } else {
        None
    };
    let mut ribs = Vec::new();
    let age = p.age_years;
    for left in [true, false] {
        if cervical == Some(left) {
            ribs.push(make_rib(left, 0, spine, body, &sternum, s, r));
        }
        for number in 1..=count {
            let mut rib = make_rib(left, number, spine, body, &sternum, s, r);
            if bifid == Some((left, number)) {
                rib.fork = fork(&rib, s, r);
            }
            ribs.push(rib);
        }
    }
    let calc = ((age - 35.0) / 45.0).clamp(0.0, 0.85) * rng::uniform(r, 0.3, 1.0);
    let _ = p.sex == Sex::Male;
    RibCage {
        ribs,
        sternum,
        cartilage_calcification: calc,
    }
}

fn build_sternum(lm: &Landmarks, body: &Body, r: &mut PhantomRng) -> Sternum {
    let s = lm.size;
    let top = lm.sternal_notch;
    let man = rng::uniform(r, 45.0, 55.0) * s;
    let bodyl = rng::uniform(r, 85.0, 110.0) * s;
    let xiph = rng::uniform(r, 20.0, 40.0) * s;
    let bottom = top - man - bodyl - xiph;
    let ant = -std::f64::consts::FRAC_PI_2;
    let knots: Vec<(f64, f64)> = (0..=12)
        .map(|k| {
            let w = lerp(bottom, top, k as f64 / 12.0);
            let ht = if w > top - man {
                7.0
            } else if w > bottom + xiph {
                5.5
            } else {
                2.5
            } * s;
            (w, -(body.core.radius(ant, w) + body.wall.at(w) * 0.35 + ht))
        })
        .collect();
    let hw = Profile::new(vec![
        (top, 27.0 * s),
        (top - 0.7 * man, 20.0 * s),
        (top - man, 14.0 * s),
        (top - man - 0.5 * bodyl, 16.0 * s),
        (bottom + xiph, 13.0 * s),
        (bottom + 0.5 * xiph, 8.0 * s),
        (bottom, 4.0 * s),
    ]);
    let ht = Profile::new(vec![
        (top, 7.5 * s),
        (top - man, 6.0 * s),
        (bottom + xiph, 5.0 * s),
        (bottom, 2.0 * s),
    ]);
    Sternum {
        w_range: [bottom, top],
        v: Profile::new(knots),
        half_width: hw,
        half_thickness: ht,
        angle_w: top - man,
        cortex: rng::uniform(r, 0.8, 1.3),
    }
}

/// Where the costal cartilage of rib `n` meets the sternum (height).
fn sternal_level(st: &Sternum, n: u8) -> f64 {
    let top = st.w_range[1];
    let junction = st.angle_w;
    let xi = st.w_range[0] + 0.25 * (junction - st.w_range[0]);
    match n {
        1 => top - 0.3 * (top - junction),
        2 => junction,
        k => lerp(junction, xi, (k as f64 - 2.0) / 5.0),
    }
}

fn make_rib(
    left: bool,
    number: u8,
    spine: &Spine,
    body: &Body,
    st: &Sternum,
    s: f64,
    r: &mut PhantomRng,
) -> Rib {
    let sg = if left { 1.0 } else { -1.0 };
    let vi = (number as usize).clamp(0, 14);
    let vert = &spine.vertebrae[vi];
    let side = if left { 0 } else { 1 };
    let head = add(
        add(
            vert.centre,
            crate::geom::scale(vert.posterior, 0.5 * vert.depth - 3.0),
        ),
        [sg * (0.5 * vert.width + 2.0), 0.0, 0.45 * vert.height],
    );
    let tub = add(vert.transverse_tips[side], [0.0, 4.0 * s, 0.0]);
    // Slope and extent by rib number.
    let n = number as f64;
    // Total descent to the lowest (lateral) point, then the anterior
    // rise towards the costochondral junction.
    let (drop, rise, phi_end) = match number {
        0 => (8.0, 0.0, 0.9),
        1 => (30.0, 0.0, 2.55),
        2 => (52.0, 4.0, 2.62),
        3..=7 => (72.0 + 6.0 * (n - 3.0), 12.0, 2.66 - 0.03 * (n - 3.0)),
        8..=10 => (100.0 + 4.0 * (n - 8.0), 6.0, 2.42 - 0.1 * (n - 8.0)),
        11 => (62.0, 0.0, 1.85),
        _ => (42.0, 0.0, 1.45),
    };
    let rise = rise * s;
    let drop = drop * s * rng::normal(r, 1.0, 0.07, 0.85, 1.15);
    let phi_end = phi_end + rng::jitter(r, 0.05);
    let w_head = tub[2];
    let phi0 = 0.48;
    let steps = 14;
    let mut ctrl = vec![head, tub];
    for k in 0..=steps {
        let f = k as f64 / steps as f64;
        let phi = phi0 + f * (phi_end - phi0);
        let th = side_theta(left, phi);
        let g = smoothstep(0.02, 0.72, f);
        let w = w_head + 3.0 * s * (f * 6.0).min(1.0) * (1.0 - f) - drop * g + rise * f * f * f;
        let rad = body.core.radius(th, w) + body.wall.at(w) * 0.45;
        ctrl.push([rad * th.cos(), rad * th.sin(), w]);
    }
    let pts = catmull_rom(&ctrl, 3);
    let m = pts.len();
    let (h0, t0) = match number {
        0 => (3.5, 3.0),
        1 => (5.5, 3.2),
        2 => (6.0, 3.3),
        _ => (6.8, 3.4),
    };
    let nodes: Vec<TubeNode> = pts
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let f = i as f64 / (m - 1) as f64;
            let th = q[1].atan2(q[0]);
            let near_head = (1.0 - f * 6.0).max(0.0);
            let height = lerp(h0, h0 * 1.25, f) * s;
            let thick = t0 * s;
            let (ra, rb) = (
                lerp(thick, 4.3 * s, near_head),
                lerp(height, 4.3 * s, near_head),
            );
            let outward = if number == 1 {
                [0.0, 0.0, 1.0]
            } else {
                [th.cos(), th.sin(), 0.0]
            };
            // Rib 1 lies flat: thin vertically, wide horizontally.
            let (ra, rb) = if number == 1 {
                (ra, rb * 1.1)
            } else {
                (ra, rb)
            };
            TubeNode {
                p: q,
                ra,
                rb,
                n: outward,
            }
        })
        .collect();
    let end = pts[m - 1];
    let label = if number == 0 {
        if left {
            labels::RIB_CERVICAL_LEFT
        } else {
            labels::RIB_CERVICAL_RIGHT
        }
    } else {
        labels::rib(left, number)
    };
    let cartilage = match number {
        1..=7 => {
            let sw = sternal_level(st, number);
            let target = [sg * (st.half_width.at(sw) - 2.0), st.v.at(sw) + 1.0, sw];
            let mid = [
                lerp(end[0], target[0], 0.55),
                lerp(end[1], target[1], 0.6) - 3.0 * s,
                lerp(end[2], target[2], 0.35),
            ];
            Some(cartilage_tube(&[end, mid, target], s))
        }
        8..=10 => {
            let th_up = side_theta(left, phi_end + 0.22);
            let w = end[2] + 26.0 * s;
            let rad = body.core.radius(th_up, w) + body.wall.at(w) * 0.4;
            let target = [rad * th_up.cos(), rad * th_up.sin(), w];
            Some(cartilage_tube(
                &[end, crate::geom::lerp3(end, target, 0.5), target],
                s,
            ))
        }
        _ => None,
    };
    Rib {
        left,
        number,
        label,
        bone: Tube::from_nodes(nodes),
        cartilage,
        segment_starts: [0, m / 3, 2 * m / 3],
        cortex: rng::uniform(r, 0.9, 1.5),
        fork: None,
    }
}

fn cartilage_tube(ctrl: &[V3], s: f64) -> Tube {
    let pts = catmull_rom(ctrl, 4);
    Tube::circular(&pts, &vec![4.8 * s; pts.len()])
}

fn fork(rib: &Rib, s: f64, r: &mut PhantomRng) -> Option<Tube> {
    let n = rib.bone.nodes.len();
    let a = rib.bone.nodes.get(n * 3 / 4)?.p;
    let b = rib.bone.nodes.last()?.p;
    let tip = add(b, [0.0, 0.0, -rng::uniform(r, 10.0, 16.0) * s]);
    let pts = catmull_rom(&[a, crate::geom::lerp3(a, tip, 0.5), tip], 4);
    Some(Tube::circular(&pts, &vec![3.5 * s; pts.len()]))
}

impl RibCage {
    /// Paints ribs (cortex and marrow), cartilages and the sternum.
    pub fn paint(&self, c: &mut Canvas) {
        let t = c.tissue;
        let tex = c.texture;
        let cort = t.cortical as f32;
        let marrow = t.marrow as f32;
        let amp = (0.6 * t.bone_texture) as f32;
        let cart = t.cartilage as f32;
        let calc_v = t.calcified_cartilage as f32;
        let calc = self.cartilage_calcification;
        for rib in &self.ribs {
            let ct = rib.cortex;
            let bone = |p: V3, d: f64| {
                if d > -ct {
                    cort
                } else {
                    marrow + amp * tex.at(p, 1.4)
                }
            };
            rib.bone.paint(c, rib.label, bone);
            if let Some(f) = &rib.fork {
                f.paint(c, rib.label, bone);
            }
            if let Some(ca) = &rib.cartilage {
                ca.paint(c, labels::COSTAL_CARTILAGE, |p, d| {
                    let speck = tex.at(p, 1.8) as f64;
                    let rim = d > -1.2 && speck > 1.0 - 2.0 * calc;
                    let core = d < -2.0 && speck > 1.9 - 2.5 * calc;
                    if calc > 0.05 && (rim || core) {
                        calc_v
                    } else {
                        cart
                    }
                });
            }
        }
        let st = &self.sternum;
        let ct = st.cortex;
        crate::anatomy::prims::paint_sdf(
            c,
            &st.bbox(),
            labels::STERNUM,
            |p| st.sdf(p),
            |p, d| {
                if d > -ct {
                    cort
                } else {
                    marrow + amp * tex.at(p, 1.4)
                }
            },
        );
    }
}
