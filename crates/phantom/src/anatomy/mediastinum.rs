//! The mediastinum around the heart: aorta (root, ascending, arch,
//! descending to the hiatus and on into the abdomen) with its centreline
//! and named segments, supra-aortic branches, pulmonary trunk and main
//! pulmonary arteries, SVC and brachiocephalic veins, azygos vein,
//! trachea, oesophagus (sometimes with air), thyroid and a few normal
//! lymph nodes in the fat.

use serde::{Deserialize, Serialize};

use crate::anatomy::heart::Heart;
use crate::anatomy::prims::{Ellipsoid, Tube, TubeNode};
use crate::anatomy::spine::{Landmarks, Spine};
use crate::geom::{Aabb, Profile, V3, add, catmull_rom, lerp};
use crate::labels::{self, Label};
use crate::params::{PhantomParams, Sex};
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// A named vessel or hollow organ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vessel {
    /// Name, e.g. "aorta", "svc".
    pub name: String,
    /// Label painted.
    pub label: Label,
    /// Course.
    pub tube: Tube,
}

/// The aorta with its segment boundaries (indices into the centreline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aorta {
    /// The tube (outer wall).
    pub tube: Tube,
    /// Node index where each segment starts: root, ascending, arch,
    /// descending, hiatus.
    pub segment_starts: [usize; 5],
    /// Wall thickness, mm.
    pub wall: f64,
}

/// The oesophagus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Esophagus {
    /// Outer wall.
    pub tube: Tube,
    /// Wall thickness, mm.
    pub wall: f64,
    /// Air in the lumen (collapsed when false).
    pub air: bool,
}

/// Mediastinal structures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mediastinum {
    /// Thoracic (and upper abdominal) aorta.
    pub aorta: Aorta,
    /// Pulmonary trunk, right and left pulmonary arteries.
    pub pulmonary: Vec<Vessel>,
    /// SVC, brachiocephalic veins, supra-aortic arteries, azygos.
    pub vessels: Vec<Vessel>,
    /// Trachea outer wall (elliptical, flattened posteriorly).
    pub trachea: Tube,
    /// Trachea wall thickness, mm.
    pub trachea_wall: f64,
    /// Oesophagus.
    pub esophagus: Esophagus,
    /// Thyroid lobes and isthmus.
    pub thyroid: Vec<Ellipsoid>,
    /// Normal lymph nodes.
    pub nodes: Vec<Ellipsoid>,
    /// Half-width of the anterior mediastinal fat band by height, mm.
    pub band: Profile,
    /// Points where the pulmonary arteries reach each hilum (right, left).
    pub hilum_artery: [V3; 2],
}

/// Builds the mediastinum around the heart and in front of the spine.
pub fn build(
    p: &PhantomParams,
    lm: &Landmarks,
    spine: &Spine,
    heart: &Heart,
    top: f64,
    bottom: f64,
) -> Mediastinum {
    let r = &mut rng::stream(p.seed, "mediastinum");
    let s = lm.size;
    let sv = |w: f64| spine.curve_v.at(w);
    let front = |w: f64| sv(w) - 12.0 * s; // anterior surface of the vertebral bodies
    let age = (p.age_years - 50.0) * 0.07;
    let scale_a = s * rng::normal(r, 1.0, 0.04, 0.9, 1.1);
    let a_r = |base: f64| (base + age) * scale_a;
    let root = heart.base;
    let arch_top = lm.arch_top;
    // Aorta centreline.
    let ctrl = vec![
        root,
        add(root, [-4.0 * s, -6.0 * s, 22.0 * s]),
        [-8.0 * s, -18.0 * s + 0.4 * root[1], arch_top - 32.0],
        [-5.0 * s, -6.0 * s, arch_top - 9.0],
        [4.0 * s, 10.0 * s, arch_top - 1.0],
        [14.0 * s, front(arch_top) - 8.0 * s, arch_top - 10.0],
        [20.0 * s, front(arch_top - 40.0) - 4.0 * s, arch_top - 40.0],
        [
            19.0 * s,
            front(lm.carina - 60.0) - 6.0 * s,
            lm.carina - 60.0,
        ],
        [12.0 * s, front(lm.hiatus) - 10.0 * s, lm.hiatus],
        [5.0 * s, front(lm.hiatus - 40.0) - 8.0 * s, lm.hiatus - 40.0],
        [3.0 * s, front(bottom) - 6.0 * s, bottom - 20.0],
    ];
    let pts = catmull_rom(&ctrl, 8);
    let n = pts.len();
    let (r_root, r_asc, r_arch, r_desc, r_abd) =
        (a_r(16.0), a_r(15.0), a_r(13.5), a_r(11.8), a_r(10.0));
    let radii: Vec<f64> = (0..n)
        .map(|i| {
            let f = i as f64 / (n - 1) as f64 * (ctrl.len() - 1) as f64;
            let knots = [
                r_root, r_asc, r_asc, r_arch, r_arch, r_desc, r_desc, r_desc, r_desc, r_abd, r_abd,
            ];
            let k = (f.floor() as usize).min(knots.len() - 2);
            lerp(knots[k], knots[k + 1], f - k as f64)
        })
        .collect();
    let seg = |k: usize| k * 8;
    let aorta = Aorta {
        tube: Tube::circular(&pts, &radii),
        segment_starts: [0, seg(1), seg(3), seg(5), seg(8)],
        wall: rng::uniform(r, 1.5, 2.5),
    };
    // Supra-aortic branches from the arch up into the neck.
    let branch =
        |a: V3, b: V3, c: V3, rad: f64| Tube::circular(&catmull_rom(&[a, b, c], 6), &[rad; 13]);
    let bct = branch(
        [-3.0 * s, -4.0 * s, arch_top + 2.0],
        [-12.0 * s, -6.0 * s, lm.sternal_notch + 5.0],
        [-22.0 * s, -2.0 * s, top + 10.0],
        6.5 * s,
    );
    let lcca = branch(
        [6.0 * s, 4.0 * s, arch_top + 3.0],
        [12.0 * s, 2.0 * s, lm.sternal_notch + 8.0],
        [22.0 * s, 4.0 * s, top + 10.0],
        4.6 * s,
    );
    let lsa = branch(
        [14.0 * s, 16.0 * s, arch_top],
        [24.0 * s, 16.0 * s, lm.sternal_notch + 12.0],
        [52.0 * s, 12.0 * s, top + 10.0],
        5.0 * s,
    );
    // Veins: brachiocephalic veins join into the SVC which enters the RA.
    let conf = [-26.0 * s, -16.0 * s, arch_top + 6.0];
    let ra_top = add(
        heart.chambers[2].c,
        [4.0 * s, -2.0 * s, heart.chambers[2].r[0] * 0.8],
    );
    let svc = branch(
        conf,
        [-28.0 * s, -12.0 * s, 0.5 * (conf[2] + ra_top[2])],
        ra_top,
        9.5 * s,
    );
    let rbcv = branch(
        [-42.0 * s, -6.0 * s, top + 10.0],
        [-34.0 * s, -14.0 * s, lm.sternal_notch],
        conf,
        7.0 * s,
    );
    let lbcv = branch(
        [48.0 * s, -4.0 * s, lm.sternal_notch + 4.0],
        [12.0 * s, -26.0 * s, arch_top + 14.0],
        conf,
        6.5 * s,
    );
    // Azygos: right paravertebral, arching over the right main bronchus.
    let az = catmull_rom(
        &[
            [-14.0 * s, front(bottom) + 4.0, bottom - 10.0],
            [-14.0 * s, front(lm.hiatus) + 4.0, lm.hiatus],
            [-12.0 * s, front(lm.carina - 10.0) + 2.0, lm.carina - 10.0],
            [
                -16.0 * s,
                front(lm.carina + 12.0) - 20.0 * s,
                lm.carina + 14.0,
            ],
            [-24.0 * s, -10.0 * s, lm.carina + 18.0],
            add(conf, [0.0, 6.0 * s, -22.0]),
        ],
        6,
    );
    let azygos = Tube::circular(&az, &vec![4.0 * s; az.len()]);
    let vessels = vec![
        Vessel {
            name: "svc".into(),
            label: labels::SVC,
            tube: svc,
        },
        Vessel {
            name: "brachiocephalic_vein_right".into(),
            label: labels::BRACHIOCEPHALIC_VEINS,
            tube: rbcv,
        },
        Vessel {
            name: "brachiocephalic_vein_left".into(),
            label: labels::BRACHIOCEPHALIC_VEINS,
            tube: lbcv,
        },
        Vessel {
            name: "brachiocephalic_trunk".into(),
            label: labels::AORTIC_BRANCHES,
            tube: bct,
        },
        Vessel {
            name: "left_common_carotid".into(),
            label: labels::AORTIC_BRANCHES,
            tube: lcca,
        },
        Vessel {
            name: "left_subclavian".into(),
            label: labels::AORTIC_BRANCHES,
            tube: lsa,
        },
        Vessel {
            name: "azygos".into(),
            label: labels::AZYGOS,
            tube: azygos,
        },
    ];
    // Pulmonary trunk from the RV outflow, bifurcating under the arch.
    let pa_r = (13.0 + 0.04 * (p.age_years - 50.0)) * s * rng::normal(r, 1.0, 0.05, 0.88, 1.12);
    let rvot = add(heart.base, [22.0 * s, -22.0 * s, 4.0]);
    let bif = [10.0 * s, -4.0 * s, lm.carina - 14.0];
    let trunk = branch(
        rvot,
        add(lerp3_(rvot, bif, 0.5), [4.0 * s, -6.0 * s, 0.0]),
        bif,
        pa_r,
    );
    let hil_r = [-46.0 * s, 8.0 * s, lm.carina - 22.0];
    let hil_l = [46.0 * s, 18.0 * s, lm.carina - 16.0];
    let rpa = branch(
        bif,
        [-24.0 * s, 2.0 * s, lm.carina - 18.0],
        hil_r,
        0.78 * pa_r,
    );
    let lpa = branch(
        bif,
        [34.0 * s, 12.0 * s, lm.carina - 6.0],
        hil_l,
        0.74 * pa_r,
    );
    let pulmonary = vec![
        Vessel {
            name: "pulmonary_trunk".into(),
            label: labels::PULMONARY_ARTERY,
            tube: trunk,
        },
        Vessel {
            name: "right_pulmonary_artery".into(),
            label: labels::PULMONARY_ARTERY,
            tube: rpa,
        },
        Vessel {
            name: "left_pulmonary_artery".into(),
            label: labels::PULMONARY_ARTERY,
            tube: lpa,
        },
    ];
    // Trachea: in front of the oesophagus, slightly right at the arch.
    let tr_r =
        if p.sex == Sex::Male { 9.2 } else { 8.0 } * s * rng::normal(r, 1.0, 0.06, 0.85, 1.15);
    let tr_ctrl = [
        [0.0, front(top) - 20.0 * s, top + 10.0],
        [0.0, front(lm.sternal_notch) - 22.0 * s, lm.sternal_notch],
        [-3.0 * s, front(arch_top) - 20.0 * s, arch_top],
        [-s, front(lm.carina) - 22.0 * s, lm.carina],
    ];
    let tr_pts = catmull_rom(&tr_ctrl, 8);
    let trachea = Tube::from_nodes(
        tr_pts
            .iter()
            .map(|&q| TubeNode {
                p: q,
                ra: tr_r * 1.05,
                rb: tr_r * 0.92,
                n: [1.0, 0.0, 0.0],
            })
            .collect(),
    );
    // Oesophagus: behind the trachea, left of midline, to the hiatus and
    // the cardia (left, anterior).
    let es_ctrl = [
        [3.0 * s, front(top) - 6.0 * s, top + 10.0],
        [5.0 * s, front(arch_top) - 5.0 * s, arch_top],
        [4.0 * s, front(lm.carina - 50.0) - 7.0 * s, lm.carina - 50.0],
        [
            10.0 * s,
            front(lm.hiatus + 20.0) - 22.0 * s,
            lm.hiatus + 20.0,
        ],
        [
            30.0 * s,
            front(lm.hiatus - 20.0) - 45.0 * s,
            lm.hiatus - 25.0,
        ],
    ];
    let es_pts = catmull_rom(&es_ctrl, 8);
    let es_ra = rng::uniform(r, 8.0, 11.0) * s;
    let es_rb = rng::uniform(r, 5.0, 7.0) * s;
    let esophagus = Esophagus {
        tube: Tube::from_nodes(
            es_pts
                .iter()
                .map(|&q| TubeNode {
                    p: q,
                    ra: es_ra,
                    rb: es_rb,
                    n: [1.0, 0.0, 0.0],
                })
                .collect(),
        ),
        wall: rng::uniform(r, 2.5, 3.8),
        air: rng::chance(r, 0.35),
    };
    // Thyroid: lobes beside the trachea above the sternal notch.
    let wt = lm.sternal_notch + rng::uniform(r, 28.0, 40.0);
    let ty_v = front(wt) - 24.0 * s;
    let lobe = |sg: f64, r: &mut PhantomRng| {
        Ellipsoid::oriented(
            [sg * (tr_r + 9.0 * s), ty_v, wt],
            [0.0, 0.0, 1.0],
            [0.0, -1.0, 0.0],
            [
                rng::uniform(r, 20.0, 26.0) * s,
                9.0 * s,
                rng::uniform(r, 7.0, 10.0) * s,
            ],
        )
    };
    let thyroid = vec![
        lobe(1.0, r),
        lobe(-1.0, r),
        Ellipsoid::aligned(
            [0.0, ty_v - tr_r - 2.0 * s, wt - 6.0],
            [12.0 * s, 3.0 * s, 6.0 * s],
        ),
    ];
    let nodes = lymph_nodes(lm, s, &front, r);
    let band = Profile::new(vec![
        (top + 40.0, 9.0 * s),
        (lm.sternal_notch, 7.0 * s),
        (arch_top, 5.0 * s),
        (lm.carina - 30.0, rng::uniform(r, 1.5, 4.0) * s),
        (bottom, 1.5 * s),
    ]);
    Mediastinum {
        aorta,
        pulmonary,
        vessels,
        trachea,
        trachea_wall: rng::uniform(r, 1.2, 2.0),
        esophagus,
        thyroid,
        nodes,
        band,
        hilum_artery: [hil_r, hil_l],
    }
}

fn lerp3_(a: V3, b: V3, t: f64) -> V3 {
    crate::geom::lerp3(a, b, t)
}

fn lymph_nodes(
    lm: &Landmarks,
    s: f64,
    front: &dyn Fn(f64) -> f64,
    r: &mut PhantomRng,
) -> Vec<Ellipsoid> {
    // Stations: 4R, 4L, 7 (subcarinal), 5 (AP window), 2R, 10R, 10L.
    let sites = [
        [-14.0, front(lm.carina + 15.0) - 30.0, lm.carina + 15.0],
        [12.0, front(lm.carina + 10.0) - 26.0, lm.carina + 10.0],
        [0.0, front(lm.carina - 18.0) - 10.0, lm.carina - 18.0],
        [18.0, front(lm.arch_top - 25.0) - 40.0, lm.arch_top - 22.0],
        [
            -12.0,
            front(lm.sternal_notch - 10.0) - 34.0,
            lm.sternal_notch - 10.0,
        ],
        [-34.0, front(lm.carina - 10.0) - 22.0, lm.carina - 12.0],
        [32.0, front(lm.carina - 8.0) - 16.0, lm.carina - 8.0],
    ];
    let keep: Vec<bool> = sites.iter().map(|_| rng::chance(r, 0.7)).collect();
    sites
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(q, _)| {
            let c = [
                q[0] * s + rng::jitter(r, 3.0),
                q[1] * s,
                q[2] + rng::jitter(r, 5.0),
            ];
            let short = rng::uniform(r, 2.0, 4.0) * s;
            Ellipsoid::oriented(
                c,
                crate::geom::normalize([rng::jitter(r, 1.0), rng::jitter(r, 1.0), 1.0]),
                [1.0, 0.0, 0.0],
                [
                    short * rng::uniform(r, 1.3, 2.0),
                    short,
                    short * rng::uniform(r, 1.0, 1.4),
                ],
            )
        })
        .collect()
}

impl Mediastinum {
    /// Every tube that the lungs must stay out of, with its margin (mm).
    pub fn envelope_tubes(&self) -> Vec<(&Tube, f64)> {
        let mut v: Vec<(&Tube, f64)> = vec![
            (&self.aorta.tube, 2.5),
            (&self.trachea, 2.0),
            (&self.esophagus.tube, 2.0),
        ];
        for x in self.pulmonary.iter().chain(&self.vessels) {
            v.push((&x.tube, 2.0));
        }
        v
    }

    /// Signed distance to the anterior/posterior midline fat band.
    #[inline]
    pub fn band_sdf(&self, p: V3) -> f64 {
        p[0].abs() - self.band.at(p[2])
    }

    /// Paints the aorta's segments in `range` (wall and blood).
    fn paint_aorta(&self, c: &mut Canvas, range: std::ops::Range<usize>) {
        let t = c.tissue;
        let tex = c.texture;
        let blood = t.blood as f32;
        let st = t.soft_texture as f32;
        let wall = self.aorta.wall;
        let wall_v = (t.soft_tissue + 5.0) as f32;
        self.aorta
            .tube
            .paint_segments(c, labels::AORTA, range, |p, d| {
                if d > -wall {
                    wall_v
                } else {
                    blood + 0.5 * st * tex.at(p, 3.0)
                }
            });
    }

    /// Paints the descending aorta again, over the heart painted after
    /// the mediastinum: the left atrium's ellipsoid reaches back into the
    /// descending aorta's course, and the aorta, outside the pericardium,
    /// must keep its own voxels there (it dents the atrium instead).
    pub fn paint_descending_aorta(&self, c: &mut Canvas) {
        self.paint_aorta(c, self.aorta.segment_starts[3]..usize::MAX);
    }

    /// Paints the vessels, airways walls, oesophagus, thyroid and nodes.
    pub fn paint(&self, c: &mut Canvas) {
        let t = c.tissue;
        let tex = c.texture;
        let blood = t.blood as f32;
        let soft = t.soft_tissue as f32;
        let st = t.soft_texture as f32;
        for x in self.vessels.iter().chain(&self.pulmonary) {
            x.tube
                .paint(c, x.label, |p, _| blood + 0.5 * st * tex.at(p, 3.0));
        }
        self.paint_aorta(c, 0..usize::MAX);
        // Oesophagus: muscular wall, collapsed lumen with mucus or air.
        let e = &self.esophagus;
        let ew = e.wall;
        let air = e.air;
        let lumen = if air {
            t.air as f32
        } else {
            (t.fluid + 10.0) as f32
        };
        e.tube.paint(c, labels::ESOPHAGUS, |p, d| {
            if d > -ew {
                t.muscle as f32
            } else if air && d < -ew - 2.0 && tex.at2(p, 8.0) > 0.6 {
                lumen
            } else {
                (t.muscle - 10.0) as f32
            }
        });
        // Trachea: wall with cartilage rings, air lumen.
        let tw = self.trachea_wall;
        let cart = t.cartilage as f32;
        let airv = t.air as f32;
        self.trachea.paint(c, labels::TRACHEA, |p, d| {
            if d > -tw {
                let ring = (((p[2] / 4.0).fract() - 0.5).abs() < 0.3) as u8 as f32;
                soft + 0.5 * ring * (cart - soft)
            } else {
                airv
            }
        });
        let thy = t.thyroid as f32;
        for e in &self.thyroid {
            crate::anatomy::prims::paint_sdf(
                c,
                &e.bbox(),
                labels::THYROID,
                |p| e.sdf(p),
                |p, _| thy + 4.0 * tex.at(p, 2.0),
            );
        }
        for e in &self.nodes {
            crate::anatomy::prims::paint_sdf(
                c,
                &e.bbox(),
                labels::LYMPH_NODE,
                |p| e.sdf(p),
                |_, _| soft,
            );
        }
    }

    /// Bounding box of everything drawn here.
    pub fn bbox(&self) -> Aabb {
        let mut b = self.aorta.tube.bbox.union(&self.trachea.bbox);
        for x in self.vessels.iter().chain(&self.pulmonary) {
            b = b.union(&x.tube.bbox);
        }
        b
    }
}
