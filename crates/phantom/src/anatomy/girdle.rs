//! The shoulder girdle and arms' bones: S-shaped clavicles from the
//! sternoclavicular joints to the acromia, scapulae as thin curved blades
//! on the posterior chest wall (thick lateral border, spine and acromion,
//! glenoid), and the humeri (head in the glenoid, shaft along the arm).

use serde::{Deserialize, Serialize};

use crate::anatomy::body::{Body, shoulder_joint};
use crate::anatomy::body_plane::BodyPlane;
use crate::anatomy::prims::{Ellipsoid, Tube, TubeNode};
use crate::anatomy::ribs::{Sternum, side_theta};
use crate::anatomy::spine::Landmarks;
use crate::geom::{Aabb, V3, add, add_scaled, catmull_rom, normalize};
use crate::labels::{self, Label};
use crate::params::{Arms, PhantomParams};
use crate::render::canvas::{ANGLES, Canvas};
use crate::rng::{self, PhantomRng};

/// One scapula: a blade following the chest wall between angular and
/// height bounds, plus its spine/acromion and glenoid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scapula {
    /// True on the left.
    pub left: bool,
    /// Blade outline in (angle from the posterior midline `phi`, `w`):
    /// superior angle, inferior angle, glenoid corner.
    pub corners: [[f64; 2]; 3],
    /// Blade distance outside the rib layer, mm.
    pub offset: f64,
    /// Blade half-thickness, mm.
    pub half_thickness: f64,
    /// Spine of the scapula and acromion.
    pub spine: Tube,
    /// Lateral (axillary) border, thick.
    pub border: Tube,
    /// Glenoid and neck.
    pub glenoid: Ellipsoid,
    /// Bounding box.
    pub bbox: Aabb,
}

/// A humerus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Humerus {
    /// True on the left.
    pub left: bool,
    /// Head.
    pub head: Ellipsoid,
    /// Shaft (when the arm is in view).
    pub shaft: Option<Tube>,
}

/// Clavicles, scapulae, humeri.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Girdle {
    /// Left then right clavicle.
    pub clavicles: Vec<(bool, Tube)>,
    /// Scapulae.
    pub scapulae: Vec<Scapula>,
    /// Humeri.
    pub humeri: Vec<Humerus>,
}

/// Builds the girdle.
pub fn build(p: &PhantomParams, lm: &Landmarks, body: &Body, sternum: &Sternum) -> Girdle {
    let r = &mut rng::stream(p.seed, "girdle");
    let s = lm.size;
    let sn = lm.sternal_notch;
    let w_sh = lm.sternal_notch + 14.0 * s;
    let mut clavicles = Vec::new();
    let mut scapulae = Vec::new();
    let mut humeri = Vec::new();
    for left in [true, false] {
        let sg = if left { 1.0 } else { -1.0 };
        let joint = shoulder_joint(body, left, w_sh, s);
        let raise = if p.arms == Arms::Up { 14.0 * s } else { 0.0 };
        let acromion = [
            joint[0] - sg * 4.0 * s,
            joint[1] - 2.0 * s,
            joint[2] + 26.0 * s + raise,
        ];
        let medial = [
            sg * (sternum.half_width.at(sn) + 5.0 * s),
            sternum.v.at(sn) - 2.0 * s,
            sn + 3.0 * s,
        ];
        let ctrl = [
            medial,
            [
                sg * 40.0 * s,
                medial[1] - 10.0 * s,
                sn + 8.0 * s + 0.3 * raise,
            ],
            [
                sg * (0.55 * acromion[0].abs() + 20.0 * s),
                -8.0 * s,
                sn + 14.0 * s + 0.6 * raise,
            ],
            acromion,
        ];
        let pts = catmull_rom(&ctrl, 6);
        let m = pts.len();
        let nodes = pts
            .iter()
            .enumerate()
            .map(|(i, &q)| {
                let f = i as f64 / (m - 1) as f64;
                TubeNode {
                    p: q,
                    ra: (7.5 - 3.5 * f) * s,
                    rb: (7.0 + 2.0 * f) * s,
                    n: [0.0, 0.0, 1.0],
                }
            })
            .collect();
        clavicles.push((left, Tube::from_nodes(nodes)));
        scapulae.push(scapula(left, lm, body, joint, acromion, raise, r));
        let head_r = rng::uniform(r, 21.0, 25.0) * s;
        let head_c = add(joint, [sg * 6.0 * s, 0.0, 0.0]);
        let shaft = match p.arms {
            Arms::Absent => None,
            Arms::Down => body.arms.iter().find(|a| a.left == left).map(|arm| {
                let pts: Vec<V3> = arm
                    .outer
                    .points()
                    .iter()
                    .map(|q| add(*q, [-sg * 4.0 * s, 6.0 * s, 0.0]))
                    .collect();
                let mut pts = pts;
                if let Some(first) = pts.first_mut() {
                    *first = head_c;
                }
                Tube::circular(&pts, &vec![11.0 * s; pts.len()])
            }),
            Arms::Up => {
                let dir = normalize([sg * 0.45, 0.2, 1.0]);
                Some(Tube::circular(
                    &[head_c, add_scaled(head_c, dir, 220.0)],
                    &[12.0 * s, 10.5 * s],
                ))
            }
        };
        humeri.push(Humerus {
            left,
            head: Ellipsoid::aligned(head_c, [head_r, head_r, head_r * 1.05]),
            shaft,
        });
    }
    Girdle {
        clavicles,
        scapulae,
        humeri,
    }
}

fn scapula(
    left: bool,
    lm: &Landmarks,
    body: &Body,
    joint: V3,
    acromion: V3,
    raise: f64,
    r: &mut PhantomRng,
) -> Scapula {
    let s = lm.size;
    let sg = if left { 1.0 } else { -1.0 };
    let sup_w = lm.sternal_notch + rng::uniform(r, 10.0, 22.0) * s + 0.6 * raise;
    let inf_w = lm.vertebra(7) + rng::jitter(r, 12.0) + 0.8 * raise;
    let phi_med = rng::uniform(r, 0.42, 0.55);
    let phi_lat = rng::uniform(r, 1.15, 1.3) - 0.15 * raise / (14.0 * s).max(1.0);
    let corners = [
        [phi_med, sup_w],
        [phi_med + 0.22, inf_w],
        [phi_lat, joint[2] - 8.0 * s],
    ];
    let offset = rng::uniform(r, 6.0, 10.0) * s;
    let on_wall = |phi: f64, w: f64, out: f64| -> V3 {
        let th = side_theta(left, phi);
        let l = body.layers(th, w);
        let rad = l.wall + out;
        [rad * th.cos(), rad * th.sin(), w]
    };
    let spine_pts = catmull_rom(
        &[
            on_wall(phi_med + 0.02, sup_w - 28.0 * s, offset + 4.0 * s),
            on_wall(
                0.5 * (phi_med + phi_lat),
                sup_w - 14.0 * s,
                offset + 9.0 * s,
            ),
            on_wall(phi_lat + 0.05, sup_w + 2.0 * s, offset + 10.0 * s),
            acromion,
        ],
        6,
    );
    let spine = Tube::circular(&spine_pts, &vec![4.5 * s; spine_pts.len()]);
    let border_pts = catmull_rom(
        &[
            on_wall(corners[1][0], corners[1][1] + 4.0, offset),
            on_wall(
                0.5 * (corners[1][0] + phi_lat),
                0.5 * (inf_w + joint[2]),
                offset + 2.0 * s,
            ),
            add(joint, [-sg * 20.0 * s, 12.0 * s, -14.0 * s]),
        ],
        6,
    );
    let border = Tube::circular(&border_pts, &vec![4.2 * s; border_pts.len()]);
    let gl_c = add(joint, [-sg * 24.0 * s, 6.0 * s, -2.0 * s]);
    let glenoid = Ellipsoid::oriented(
        gl_c,
        [sg, 0.3, 0.0],
        [0.0, 0.0, 1.0],
        [14.0 * s, 16.0 * s, 10.0 * s],
    );
    let mut bbox = spine.bbox.union(&border.bbox).union(&glenoid.bbox());
    for k in 0..=8 {
        for j in 0..=8 {
            let phi = corners[0][0] + (corners[2][0] + 0.1 - corners[0][0]) * k as f64 / 8.0;
            let w = inf_w + (sup_w - inf_w) * j as f64 / 8.0;
            bbox.include(on_wall(phi, w, offset));
        }
    }
    Scapula {
        left,
        corners,
        offset,
        half_thickness: rng::uniform(r, 1.4, 2.2) * s,
        spine,
        border,
        glenoid,
        bbox: bbox.expand(6.0),
    }
}

/// Signed distance (mm) of `(x, y)` to the triangle `t` (counter-clockwise or not).
fn triangle_sdf(x: f64, y: f64, t: &[[f64; 2]; 3]) -> f64 {
    let mut d = f64::INFINITY;
    let mut sign_pos = 0;
    for i in 0..3 {
        let a = t[i];
        let b = t[(i + 1) % 3];
        let e = [b[0] - a[0], b[1] - a[1]];
        let q = [x - a[0], y - a[1]];
        let l2 = (e[0] * e[0] + e[1] * e[1]).max(1e-12);
        let h = ((q[0] * e[0] + q[1] * e[1]) / l2).clamp(0.0, 1.0);
        d = d.min((q[0] - h * e[0]).hypot(q[1] - h * e[1]));
        if e[0] * q[1] - e[1] * q[0] > 0.0 {
            sign_pos += 1;
        }
    }
    if sign_pos == 3 || sign_pos == 0 {
        -d
    } else {
        d
    }
}

impl Girdle {
    /// Paints clavicles, scapulae and humeri (needs the body tables of the plane).
    pub fn paint(&self, c: &mut Canvas, bp: &BodyPlane) {
        let t = c.tissue;
        let tex = c.texture;
        let cort = t.cortical as f32;
        let marrow = t.marrow as f32;
        let amp = (0.6 * t.bone_texture) as f32;
        let bone = move |ct: f64| {
            move |p: V3, d: f64| {
                if d > -ct {
                    cort
                } else {
                    marrow + amp * tex.at(p, 1.4)
                }
            }
        };
        for (left, cl) in &self.clavicles {
            let label = if *left {
                labels::CLAVICLE_LEFT
            } else {
                labels::CLAVICLE_RIGHT
            };
            cl.paint(c, label, bone(1.8));
        }
        let w = c.w;
        for sc in &self.scapulae {
            if !sc.bbox.spans_w(w) {
                continue;
            }
            let label: Label = if sc.left {
                labels::SCAPULA_LEFT
            } else {
                labels::SCAPULA_RIGHT
            };
            sc.spine.paint(c, label, bone(1.5));
            sc.border.paint(c, label, bone(1.5));
            crate::anatomy::prims::paint_sdf(
                c,
                &sc.glenoid.bbox(),
                label,
                |p| sc.glenoid.sdf(p),
                bone(1.5),
            );
            let Some(rect) = c.grid.rect_of(&sc.bbox) else {
                continue;
            };
            let g = c.grid;
            let left = sc.left;
            let ht = sc.half_thickness as f32;
            c.paint(rect, label, |i, u, _| {
                if (u > 0.0) != left {
                    return None;
                }
                let a = g.angle[i];
                let th = (a as f64 / ANGLES as f64) * std::f64::consts::TAU - std::f64::consts::PI;
                let phi = if left {
                    std::f64::consts::FRAC_PI_2 - th
                } else {
                    let x = th - std::f64::consts::FRAC_PI_2;
                    if x < 0.0 {
                        x + std::f64::consts::TAU
                    } else {
                        x
                    }
                };
                let rad = bp.wall.radius(a) as f64 + sc.offset;
                let d_surf = (g.rho[i] as f64 - rad).abs() as f32 - ht;
                if d_surf > 2.0 {
                    return None;
                }
                // Outline in (arc length, w) coordinates.
                let tri = sc.corners.map(|q| [q[0] * rad, q[1]]);
                let d_out = triangle_sdf(phi * rad, w, &tri) as f32;
                let d = d_surf.max(d_out);
                (d < 2.0).then_some((d, cort))
            });
        }
        for h in &self.humeri {
            let label = if h.left {
                labels::HUMERUS_LEFT
            } else {
                labels::HUMERUS_RIGHT
            };
            crate::anatomy::prims::paint_sdf(
                c,
                &h.head.bbox(),
                label,
                |p| h.head.sdf(p),
                bone(1.2),
            );
            if let Some(sh) = &h.shaft {
                sh.paint(c, label, |p, d| {
                    if d > -3.0 {
                        cort
                    } else {
                        (t.fat + 40.0) as f32 + 10.0 * tex.at(p, 2.0)
                    }
                });
            }
        }
    }
}
