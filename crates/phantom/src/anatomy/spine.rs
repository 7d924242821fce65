//! The vertebral column C7-L2: vertebral bodies (cortex shell around
//! trabecular bone whose HU falls from T1 to L1), intervertebral discs,
//! posterior elements (pedicles, laminae, spinous and transverse
//! processes) around the spinal canal, on a kyphotic curve. The column is
//! the anatomy's backbone: its levels place everything else
//! ([`Landmarks`]).

use serde::{Deserialize, Serialize};

use crate::anatomy::prims::Tube;
use crate::geom::{Aabb, Profile, V3, add_scaled, cross, dot, normalize, sub};
use crate::labels::{self, Label};
use crate::params::PhantomParams;
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};
use crate::tissue::TissueValues;

/// Body heights (mm) of C7..L2 for an average adult man.
const HEIGHTS: [f64; 15] = [
    14.0, 16.0, 17.0, 17.5, 18.0, 18.5, 19.0, 19.5, 20.0, 21.0, 22.0, 23.0, 24.0, 25.5, 26.5,
];
/// Disc heights below each body (mm).
const DISCS: [f64; 15] = [
    4.5, 3.8, 3.8, 4.0, 4.0, 4.2, 4.4, 4.6, 4.8, 5.0, 5.4, 5.8, 6.5, 8.5, 9.0,
];
/// Body widths (LR, mm).
const WIDTHS: [f64; 15] = [
    22.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.5, 33.0, 34.5, 36.0, 38.0, 40.0, 42.0, 44.0, 45.0,
];
/// Body depths (AP, mm).
const DEPTHS: [f64; 15] = [
    16.0, 17.0, 18.0, 20.0, 22.0, 24.0, 25.5, 27.0, 28.0, 29.0, 30.0, 30.5, 31.0, 31.5, 32.0,
];

/// One vertebra.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vertebra {
    /// Index from C7 (0) through T1 (1) .. T12 (12), L1 (13), L2 (14).
    pub index: usize,
    /// Level name, e.g. "T7".
    pub name: String,
    /// Centre of the vertebral body.
    pub centre: V3,
    /// Unit superior direction of the body axis.
    pub axis: V3,
    /// Unit posterior direction perpendicular to the axis.
    pub posterior: V3,
    /// Body height along the axis, mm.
    pub height: f64,
    /// Body width (left-right), mm.
    pub width: f64,
    /// Body depth (anteroposterior), mm.
    pub depth: f64,
    /// Cortical shell thickness, mm.
    pub cortex: f64,
    /// Trabecular HU of the body.
    pub trabecular_hu: f64,
    /// Centre of the spinal canal at mid-body height.
    pub canal_centre: V3,
    /// Canal radius, mm.
    pub canal_radius: f64,
    /// Posterior elements (pedicles, laminae, processes) as tubes.
    pub processes: Vec<Tube>,
    /// Tips of the left and right transverse processes (rib tubercles
    /// articulate there).
    pub transverse_tips: [V3; 2],
    /// Bounding box of the whole vertebra.
    pub bbox: Aabb,
}

impl Vertebra {
    /// Local coordinates (left, posterior, superior) of `p`.
    #[inline]
    fn local(&self, p: V3) -> V3 {
        let q = sub(p, self.centre);
        let left = cross(self.posterior, self.axis);
        [dot(q, left), dot(q, self.posterior), dot(q, self.axis)]
    }

    /// Signed distance to the vertebral body (a rounded elliptic cylinder
    /// with a flattened posterior wall).
    pub fn body_sdf(&self, p: V3) -> f64 {
        let l = self.local(p);
        let a = 0.5 * self.width;
        let b = 0.5 * self.depth;
        // Posterior wall flatter: squash the posterior half.
        let y = if l[1] > 0.0 { l[1] * 1.25 } else { l[1] };
        let k0 = ((l[0] / a).powi(2) + (y / b).powi(2)).sqrt();
        let k1 = ((l[0] / (a * a)).powi(2) + (y / (b * b)).powi(2)).sqrt();
        let dxy = if k1 > 1e-12 { k0 * (k0 - 1.0) / k1 } else { -b };
        // Slight waist: the mid-height section is 1.5 mm narrower.
        let waist = 1.5 * (1.0 - (2.0 * l[2] / self.height).powi(2)).max(0.0);
        let dxy = dxy + waist;
        let dz = l[2].abs() - 0.5 * self.height;
        let r = 1.5;
        let qx = (dxy + r).max(0.0);
        let qz = (dz + r).max(0.0);
        (qx * qx + qz * qz).sqrt() + (dxy + r).max(dz + r).min(0.0) - r
    }

    /// Level name for a vertebra index.
    pub fn level_name(index: usize) -> &'static str {
        labels::VERTEBRA_NAMES[index.min(14)]
    }
}

/// An intervertebral disc between two bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disc {
    /// Centre.
    pub centre: V3,
    /// Unit superior direction.
    pub axis: V3,
    /// Height, mm.
    pub height: f64,
    /// Semi-axes (left-right, anteroposterior), mm.
    pub radii: [f64; 2],
}

/// The column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spine {
    /// Vertebrae from C7 to L2.
    pub vertebrae: Vec<Vertebra>,
    /// Discs below each vertebra but the last.
    pub discs: Vec<Disc>,
    /// Anteroposterior position of the body centres as a function of `w`.
    pub curve_v: Profile,
}

/// Vertical landmarks (patient `w`, mm) that place the other organs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Landmarks {
    /// Body centres of C7..L2.
    pub vertebra_w: Vec<f64>,
    /// Size factor of the patient (1 = average man).
    pub size: f64,
    /// Sternal notch.
    pub sternal_notch: f64,
    /// Carina.
    pub carina: f64,
    /// Top of the aortic arch.
    pub arch_top: f64,
    /// Highest point of the lung apices.
    pub apex: f64,
    /// Peak of the right hemidiaphragm dome.
    pub dome_right: f64,
    /// Peak of the left hemidiaphragm dome.
    pub dome_left: f64,
    /// Deepest point of the posterior costophrenic recesses.
    pub recess: f64,
    /// Oesophageal hiatus.
    pub hiatus: f64,
}

impl Landmarks {
    /// `w` of the body centre of a vertebra index (0 = C7 .. 14 = L2).
    pub fn vertebra(&self, index: usize) -> f64 {
        self.vertebra_w[index.min(14)]
    }
}

/// Builds the column and the vertical landmarks.
pub fn build(p: &PhantomParams, t: &TissueValues, size: f64) -> (Spine, Landmarks) {
    let r = &mut rng::stream(p.seed, "spine");
    let hscale = size * rng::normal(r, 1.0, 0.025, 0.94, 1.06);
    // Body centres: T1 top at w = 0, C7 above.
    let mut centre_w = [0.0f64; 15];
    centre_w[1] = -0.5 * HEIGHTS[1] * hscale;
    centre_w[0] = (DISCS[0] + 0.5 * HEIGHTS[0]) * hscale;
    for i in 2..15 {
        centre_w[i] =
            centre_w[i - 1] - (0.5 * HEIGHTS[i - 1] + DISCS[i - 1] + 0.5 * HEIGHTS[i]) * hscale;
    }
    // Kyphosis: mid-thoracic bodies lie more posteriorly.
    let kyph = rng::normal(r, 24.0, 5.0, 12.0, 36.0);
    let v_mid = rng::normal(r, 44.0, 3.0, 38.0, 50.0) * size;
    let w7 = centre_w[7];
    let span = centre_w[1] - centre_w[13];
    let curve_v = Profile::new(
        (0..=20)
            .map(|k| {
                let w = centre_w[0] + 30.0 - k as f64 * (span + 80.0) / 20.0;
                let x = (w - w7) / (0.62 * span);
                (w, v_mid + kyph * (1.0 - x * x).max(-0.6))
            })
            .collect(),
    );
    let mut vertebrae = Vec::with_capacity(15);
    for (i, &w) in centre_w.iter().enumerate() {
        vertebrae.push(make_vertebra(i, w, &curve_v, hscale, size, t, r));
    }
    let mut discs = Vec::with_capacity(14);
    for i in 0..14 {
        let (a, b) = (&vertebrae[i], &vertebrae[i + 1]);
        let top = add_scaled(a.centre, a.axis, -0.5 * a.height);
        let bot = add_scaled(b.centre, b.axis, 0.5 * b.height);
        discs.push(Disc {
            centre: crate::geom::lerp3(top, bot, 0.5),
            axis: normalize(sub(top, bot)),
            height: crate::geom::dist(top, bot) + 1.0,
            radii: [
                0.5 * 0.5 * (a.width + b.width),
                0.5 * 0.5 * (a.depth + b.depth),
            ],
        });
    }
    let v = |i: usize| centre_w[i];
    let lm = Landmarks {
        vertebra_w: centre_w.to_vec(),
        size,
        sternal_notch: 0.5 * (v(2) + v(3)) + rng::jitter(r, 6.0),
        carina: 0.5 * (v(4) + v(5)) + rng::jitter(r, 8.0),
        arch_top: v(4) + 0.3 * (v(3) - v(4)) + rng::jitter(r, 6.0),
        apex: v(1) + rng::uniform(r, 6.0, 20.0),
        dome_right: 0.5 * (v(9) + v(10)) + rng::jitter(r, 10.0),
        dome_left: 0.0,
        recess: v(12) + rng::jitter(r, 8.0),
        hiatus: v(10),
    };
    let lm = Landmarks {
        dome_left: lm.dome_right - rng::uniform(r, 8.0, 24.0),
        ..lm
    };
    (
        Spine {
            vertebrae,
            discs,
            curve_v,
        },
        lm,
    )
}

fn make_vertebra(
    i: usize,
    w: f64,
    curve: &Profile,
    hscale: f64,
    size: f64,
    t: &TissueValues,
    r: &mut PhantomRng,
) -> Vertebra {
    let centre = [rng::jitter(r, 0.8), curve.at(w), w];
    let dv = (curve.at(w + 5.0) - curve.at(w - 5.0)) / 10.0;
    let axis = normalize([0.0, dv, 1.0]);
    let posterior = normalize(cross(axis, [1.0, 0.0, 0.0]));
    let posterior = if posterior[1] < 0.0 {
        crate::geom::scale(posterior, -1.0)
    } else {
        posterior
    };
    let left = cross(posterior, axis);
    let width = WIDTHS[i] * size * rng::normal(r, 1.0, 0.03, 0.92, 1.08);
    let depth = DEPTHS[i] * size * rng::normal(r, 1.0, 0.03, 0.92, 1.08);
    let height = HEIGHTS[i] * hscale;
    // The canal is wider at the cervicothoracic and thoracolumbar ends.
    let canal_radius = (if i == 0 || i >= 13 { 8.5 } else { 7.5 }) * size;
    let canal_centre = add_scaled(centre, posterior, 0.5 * depth + canal_radius + 0.5);
    let at = |l: f64, pst: f64, up: f64| {
        add_scaled(
            add_scaled(add_scaled(centre, left, l), posterior, pst),
            axis,
            up,
        )
    };
    let cr = canal_radius;
    let hd = 0.5 * depth;
    let mut processes = Vec::new();
    let mut tips = [[0.0; 3]; 2];
    let lumbar = i >= 13;
    for (k, s) in [1.0f64, -1.0].into_iter().enumerate() {
        // Pedicle: body posterolateral corner to the arch.
        let p0 = at(s * (cr + 1.5), hd - 3.0, 0.0);
        let p1 = at(s * (cr + 2.5), hd + cr + 1.0, 0.0);
        processes.push(Tube::circular(&[p0, p1], &[3.8 * size, 3.6 * size]));
        // Lamina: arch to the spinous base.
        let base = at(0.0, hd + 2.0 * cr + 3.5, -1.5);
        processes.push(Tube::circular(&[p1, base], &[3.2 * size, 3.0 * size]));
        // Transverse process: lateral and posterior (lumbar: lateral).
        let tip = if lumbar {
            at(s * (0.5 * width + 22.0 * size), hd + cr, -2.0)
        } else {
            at(s * (0.5 * width + 12.0 * size), hd + cr + 9.0 * size, -2.0)
        };
        tips[k] = tip;
        processes.push(Tube::circular(&[p1, tip], &[4.5 * size, 3.8 * size]));
    }
    // Spinous process: thoracic ones slope steeply down.
    let base = at(0.0, hd + 2.0 * cr + 3.5, -1.5);
    let (len, drop) = if i == 0 || lumbar {
        (30.0, 6.0)
    } else {
        (
            34.0,
            14.0 + 10.0 * (1.0 - ((i as f64 - 7.0) / 6.0).powi(2)).max(0.0),
        )
    };
    let tip = at(0.0, hd + 2.0 * cr + 3.5 + len * size, -drop * hscale);
    processes.push(Tube::circular(&[base, tip], &[4.2 * size, 3.2 * size]));
    let mut bbox = Aabb::around(
        centre,
        [0.5 * width + 2.0, 0.5 * depth + 2.0, 0.5 * height + 2.0],
    );
    for tb in &processes {
        bbox = bbox.union(&tb.bbox);
    }
    Vertebra {
        index: i,
        name: Vertebra::level_name(i).to_string(),
        centre,
        axis,
        posterior,
        height,
        width,
        depth,
        cortex: rng::uniform(r, 0.9, 1.4),
        trabecular_hu: t.trabecular_at(i),
        canal_centre,
        canal_radius,
        processes,
        transverse_tips: tips,
        bbox,
    }
}

impl Spine {
    /// Signed distance to the bony column (bodies and processes) and the
    /// discs: what the lungs and mediastinum must keep away from.
    pub fn sdf(&self, p: V3) -> f64 {
        let mut d = f64::INFINITY;
        for v in &self.vertebrae {
            if v.bbox.expand(5.0).contains(p) || d > 60.0 {
                d = d.min(v.body_sdf(p));
            }
        }
        d
    }

    /// Paints discs, bodies, posterior elements and the canal.
    pub fn paint(&self, c: &mut Canvas) {
        let t = c.tissue;
        let tex = c.texture;
        let w = c.w;
        for disc in &self.discs {
            let b = Aabb::around(
                disc.centre,
                [disc.radii[0] + 2.0, disc.radii[1] + 2.0, disc.height],
            );
            let dz = disc.height * 0.5;
            let disc_v = t.disc as f32;
            let annulus = (t.disc + 25.0) as f32;
            crate::anatomy::prims::paint_sdf(
                c,
                &b,
                labels::DISC,
                |p| {
                    let q = sub(p, disc.centre);
                    let z = dot(q, disc.axis);
                    let x = q[0] / disc.radii[0];
                    let y = (q[1] - disc.axis[1] * z) / disc.radii[1];
                    let k = (x * x + y * y).sqrt();
                    ((k - 1.0) * disc.radii[0].min(disc.radii[1])).max(z.abs() - dz)
                },
                |_, d| if d > -3.0 { annulus } else { disc_v },
            );
        }
        for v in &self.vertebrae {
            if !v.bbox.spans_w(w) {
                continue;
            }
            let label: Label = labels::vertebra(v.index);
            let trab = v.trabecular_hu as f32;
            let cort = t.cortical as f32;
            let amp = t.bone_texture as f32;
            let shell = v.cortex;
            let bone = |p: V3, d: f64| -> f32 {
                if d > -shell {
                    cort
                } else {
                    let k = ((-d - shell) / 1.5).min(1.0) as f32;
                    let tr = trab + amp * tex.fbm(p, 1.6);
                    cort + k * (tr - cort)
                }
            };
            for tb in &v.processes {
                tb.paint(c, label, |p, d| {
                    if d > -1.2 {
                        cort
                    } else {
                        (trab + 0.5 * (cort - trab)) + 0.5 * amp * tex.at(p, 1.2)
                    }
                });
            }
            let bb = Aabb::around(
                v.centre,
                [
                    0.5 * v.width + 3.0,
                    0.5 * v.depth + 3.0,
                    0.5 * v.height + 5.0,
                ],
            );
            crate::anatomy::prims::paint_sdf(c, &bb, label, |p| v.body_sdf(p), bone);
            // The canal: cord and CSF inside the arch.
            let canal = Tube::circular(
                &[
                    add_scaled(v.canal_centre, v.axis, -0.5 * v.height - 4.0),
                    add_scaled(v.canal_centre, v.axis, 0.5 * v.height + 4.0),
                ],
                &[v.canal_radius, v.canal_radius],
            );
            let cv = t.canal as f32;
            canal.paint(c, labels::SPINAL_CANAL, |_, _| cv);
        }
    }
}
