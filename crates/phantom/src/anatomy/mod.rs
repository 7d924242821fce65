//! The analytic anatomy of a phantom ([`PhantomModel`]): every structure
//! as explicit geometry in the patient frame (centrelines, tree segments,
//! rib paths, vertebral bodies, lobe boundaries...), so that lesions can
//! be placed on it and ground truth read from it. Built in dependency
//! order: spine (levels) -> body wall -> lungs' caps -> heart ->
//! mediastinum -> central airways -> lobe sampling and pulmonary trees ->
//! ribs, girdle, abdomen -> table.

pub mod abdomen;
pub mod body;
pub mod body_plane;
pub mod girdle;
pub mod heart;
pub mod lungs;
pub mod mediastinum;
pub mod prims;
pub mod pulmonary;
pub mod ribs;
pub mod spine;
pub mod table;
pub mod trees;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::frame::PatientFrame;
use crate::geom::{V3, add, smin};
use crate::labels::{self, Label};
use crate::params::{PhantomParams, body_size_factor};
use crate::rng;
use crate::texture::Texture;
use crate::tissue::TissueValues;

/// Everything the phantom is made of.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhantomModel {
    /// The parameters it was built from.
    pub params: PhantomParams,
    /// Patient frame in LPS.
    pub frame: PatientFrame,
    /// Vertical landmarks.
    pub landmarks: spine::Landmarks,
    /// Tissue HU values.
    pub tissue: TissueValues,
    /// Scanned range of `w`: `[bottom, top]`, mm.
    pub scan_w: [f64; 2],
    /// Vertebral column.
    pub spine: spine::Spine,
    /// Body wall, arms, breasts.
    pub body: body::Body,
    /// Lung caps and fissures.
    pub lungs: lungs::Lungs,
    /// Heart, pericardium and coronaries.
    pub heart: heart::Heart,
    /// Great vessels, trachea, oesophagus, thyroid, nodes.
    pub mediastinum: mediastinum::Mediastinum,
    /// Bronchi, pulmonary arteries and veins.
    pub pulmonary: pulmonary::Pulmonary,
    /// Ribs, cartilages, sternum.
    pub ribs: ribs::RibCage,
    /// Clavicles, scapulae, humeri.
    pub girdle: girdle::Girdle,
    /// Upper abdomen.
    pub abdomen: abdomen::Abdomen,
    /// Scanner table.
    pub table: table::Table,
    /// Texture and warp field (not serialised: rebuilt from the seed).
    #[serde(skip, default = "default_texture")]
    pub texture: Texture,
    /// Jittered samples of each lung, drawn once on first use and shared
    /// by the lesions that integrate over the lung (effusion,
    /// pneumothorax, emphysema); not serialised.
    #[serde(skip)]
    pub lung_samples: crate::lesions::pleura::LungSampleCache,
}

fn default_texture() -> Texture {
    Texture::new(0, "texture")
}

/// The mediastinal envelope the lungs stay out of.
pub struct Envelope<'a> {
    spine: &'a spine::Spine,
    heart: &'a heart::Heart,
    med: &'a mediastinum::Mediastinum,
    central: &'a pulmonary::CentralAirways,
}

impl<'a> Envelope<'a> {
    /// Every tube of the envelope with its margin.
    pub fn tubes(&self) -> Vec<(&'a prims::Tube, f64)> {
        let mut v = self.med.envelope_tubes();
        for (_, t) in &self.central.bronchi {
            v.push((t, 1.5));
        }
        for t in self
            .central
            .artery_links
            .iter()
            .chain(&self.central.vein_links)
        {
            v.push((t, 1.0));
        }
        v
    }

    /// Signed distance (negative inside the envelope): a smooth union
    /// ([`HULL_BLEND`]) of its parts, so fat fills the gaps between
    /// neighbouring vessels as in a real mediastinum.
    pub fn sdf(&self, p: V3) -> f64 {
        let k = HULL_BLEND;
        let mut d = f64::MAX;
        if self.heart.bbox.expand(5.0).contains(p) {
            d = smin(d, self.heart.sac_sdf(p, 0.0) + 0.5, k);
        }
        for v in &self.spine.vertebrae {
            if v.bbox.expand(10.0).contains(p) {
                d = smin(d, v.body_sdf(p) - 4.0, k);
            }
        }
        for e in &self.med.thyroid {
            d = smin(d, e.sdf(p) - 2.0, k);
        }
        for (t, m) in self.tubes() {
            if box_distance(&t.bbox, p) - m < d + k {
                d = smin(d, t.sdf(p) - m, k);
            }
        }
        d.min(self.med.band_sdf(p))
    }
}

/// Least room an enlarged heart, moved forward, leaves between its
/// pericardial sac and the inner surface of the anterior chest wall (the
/// body core), mm: a heart filling the retrosternal space still has the
/// pleural reflections and a thin fat plane in front of it.
pub const HEART_FRONT_MARGIN_MM: f64 = 3.0;

/// Least distance, mm, from the front of the pericardial sac straight
/// ahead (along -v) to the inner surface of the chest wall (the body
/// core), over columns of the heart every 2 mm; negative where the sac
/// already reaches past it.
fn heart_front_gap(heart: &heart::Heart, body: &body::Body) -> f64 {
    let b = heart.bbox;
    let inside = |u: f64, v: f64, w: f64| u.hypot(v) < body.core.radius(v.atan2(u), w);
    let mut gap = f64::INFINITY;
    let mut w = b.min[2];
    while w <= b.max[2] {
        let mut u = b.min[0];
        while u <= b.max[0] {
            let mut v = b.min[1];
            while v <= b.max[1] && heart.sac_sdf([u, v, w], 0.0) >= 0.0 {
                v += 1.0;
            }
            if v <= b.max[1] {
                let mut t = 0.0;
                if inside(u, v, w) {
                    while t < 200.0 && inside(u, v - t - 0.5, w) {
                        t += 0.5;
                    }
                } else {
                    while t > -200.0 && !inside(u, v - t, w) {
                        t -= 0.5;
                    }
                }
                gap = gap.min(t);
            }
            u += 2.0;
        }
        w += 2.0;
    }
    gap
}

/// Blend width of the mediastinal hull, mm.
pub const HULL_BLEND: f64 = 9.0;

/// Distance from `p` to a box (0 inside).
fn box_distance(b: &crate::geom::Aabb, p: V3) -> f64 {
    crate::geom::box_distance(b.min, b.max, p)
}

/// Signed distance to the lungs from the body core, the caps and the envelope.
fn lung_sdf_parts(
    body: &body::Body,
    lungs: &lungs::Lungs,
    env: &Envelope,
    tex: &Texture,
    p: V3,
) -> f64 {
    let th = p[1].atan2(p[0]);
    let rho = p[0].hypot(p[1]);
    let d_core = (rho - body.core.radius(th, p[2])) * 0.95 + lungs.pleural_gap;
    let d_caps = lungs.caps(p, tex.at2(p, 32.0) as f64 * 2.0).0;
    let d = d_core.max(d_caps);
    if d > 0.0 {
        return d;
    }
    d.max(-env.sdf(p))
}

impl PhantomModel {
    /// The mediastinal envelope.
    pub fn envelope(&self) -> Envelope<'_> {
        Envelope {
            spine: &self.spine,
            heart: &self.heart,
            med: &self.mediastinum,
            central: &self.pulmonary.central,
        }
    }

    /// Signed distance to the lungs (either side), mm, negative inside.
    pub fn lung_sdf(&self, p: V3) -> f64 {
        lung_sdf_parts(&self.body, &self.lungs, &self.envelope(), &self.texture, p)
    }

    /// The lobe of a point inside the lungs (`None` outside).
    pub fn lobe_at(&self, p: V3) -> Option<Label> {
        (self.lung_sdf(p) < 0.0).then(|| self.lungs.lobe(p, self.texture.at2(p, 32.0) as f64))
    }

    /// Patient-frame point to LPS.
    pub fn to_lps(&self, p: V3) -> V3 {
        self.frame.to_lps(p)
    }
}

/// Builds the whole model from the parameters.
pub fn build(p: &PhantomParams) -> PhantomModel {
    let tissue = TissueValues::draw(p);
    let texture = Texture::new(p.seed, "texture");
    let mut r = rng::stream(p.seed, "model");
    let size = body_size_factor(p, &mut r);
    let (spine, lm) = spine::build(p, &tissue, size);
    let body = body::build(p, &lm, &spine.curve_v);
    let lungs = lungs::build(p, &lm);
    let s = lm.size;
    let hc = [
        rng::normal(&mut r, 30.0, 4.0, 20.0, 40.0) * s,
        rng::normal(&mut r, -8.0, 4.0, -18.0, 2.0) * s,
    ];
    let floor = lungs.diaphragm_height(hc[0], hc[1] - 10.0 * s) + 4.0;
    // An enlarged heart moves forward into the retrosternal space, but
    // stays clear of the anterior chest wall.
    let mut heart = heart::build(p, s, hc, floor, f64::INFINITY);
    if heart.forward_mm > 0.0 {
        let gap = heart_front_gap(&heart, &body);
        if gap < HEART_FRONT_MARGIN_MM {
            let cap = heart.forward_mm - (HEART_FRONT_MARGIN_MM - gap);
            heart = heart::build(p, s, hc, floor, cap.max(0.0));
        }
    }
    let top = lm.apex + rng::uniform(&mut r, 14.0, 26.0);
    let bottom_anat = lm.recess - rng::uniform(&mut r, 15.0, 30.0);
    let bottom = match p.z_extent_mm {
        Some(e) => top - e,
        None => bottom_anat,
    };
    let mediastinum = mediastinum::build(p, &lm, &spine, &heart, top, bottom);
    let central = pulmonary::central(p, s, &mediastinum.trachea, &heart, mediastinum.hilum_artery);
    let pulm = {
        let env = Envelope {
            spine: &spine,
            heart: &heart,
            med: &mediastinum,
            central: &central,
        };
        let sdf = |q: V3| lung_sdf_parts(&body, &lungs, &env, &texture, q);
        let inside = |q: V3| sdf(q) < -1.0;
        let lobe_points = sample_lobes(p.seed, s, &lm, &sdf, &|q| {
            lungs.lobe(q, texture.at2(q, 32.0) as f64)
        });
        let points = |lobe: Label, salt: u64| -> Vec<V3> {
            let k = (lobe - labels::LOBE_RUL) as usize;
            lobe_points[salt as usize - 1][k].clone()
        };
        pulmonary::grow(p, s, central.clone(), &points, &inside)
    };
    let ribs = ribs::build(p, &lm, &spine, &body);
    let girdle = girdle::build(p, &lm, &body, &ribs.sternum);
    let ra_top = add(
        heart.chambers[2].c,
        [0.0, 0.0, -0.6 * heart.chambers[2].r[0]],
    );
    let abdomen = abdomen::build(p, &lm, &spine, &lungs, ra_top, bottom);
    let rot = p.rotation_deg.to_radians();
    let cz = -rng::uniform(&mut r, 120.0, 220.0);
    let frame = PatientFrame {
        origin_lps: [p.offset_mm[0], p.offset_mm[1] - 18.0 * s, cz],
        rotation_rad: rot,
    };
    // The back rests on the mattress: find the most posterior skin point
    // (LPS y) and put the table a little in front of it (compression).
    let mut body = body;
    let mut back: f64 = f64::NEG_INFINITY;
    for j in 0..40 {
        let w = bottom + (top - bottom) * j as f64 / 39.0;
        for k in 0..41 {
            let th = 0.35 + (std::f64::consts::PI - 0.7) * k as f64 / 40.0;
            let rad = body.layers(th, w).skin;
            let q = frame.to_lps([rad * th.cos(), rad * th.sin(), w]);
            back = back.max(q[1]);
        }
    }
    let table = table::build(p, back - rng::uniform(&mut r, 6.0, 16.0));
    body.back_v = Some(table.top_y - frame.origin_lps[1]);
    PhantomModel {
        params: p.clone(),
        frame,
        landmarks: lm,
        tissue,
        scan_w: [bottom, top],
        spine,
        body,
        lungs,
        heart,
        mediastinum,
        pulmonary: pulm,
        ribs,
        girdle,
        abdomen,
        table,
        texture,
        lung_samples: Default::default(),
    }
}

/// Samples the five lobes on two jittered grids (salts 1 and 2): the
/// territories of the bronchovascular and the venous trees.
fn sample_lobes(
    seed: u64,
    s: f64,
    lm: &spine::Landmarks,
    sdf: &(dyn Fn(V3) -> f64 + Sync),
    lobe: &(dyn Fn(V3) -> Label + Sync),
) -> Vec<Vec<Vec<V3>>> {
    let step = 5.2 * s;
    let (u0, u1) = (-160.0 * s, 160.0 * s);
    let (v0, v1) = (-110.0 * s, 125.0 * s);
    let (w0, w1) = (lm.recess - 30.0, lm.apex + 5.0);
    let nu = ((u1 - u0) / step) as usize;
    let nv = ((v1 - v0) / step) as usize;
    let nw = ((w1 - w0) / step) as usize;
    (1..=2u64)
        .map(|salt| {
            let rows: Vec<Vec<(Label, V3)>> = (0..nw)
                .into_par_iter()
                .map(|k| {
                    let mut r = rng::stream_indexed(seed, &format!("lobe-points-{salt}"), k as u64);
                    let mut out = Vec::new();
                    for j in 0..nv {
                        for i in 0..nu {
                            let q = [
                                u0 + (i as f64 + rng::uniform(&mut r, 0.1, 0.9)) * step,
                                v0 + (j as f64 + rng::uniform(&mut r, 0.1, 0.9)) * step,
                                w0 + (k as f64 + rng::uniform(&mut r, 0.1, 0.9)) * step,
                            ];
                            if sdf(q) < -2.0 {
                                out.push((lobe(q), q));
                            }
                        }
                    }
                    out
                })
                .collect();
            let mut lobes = vec![Vec::new(); 5];
            for row in rows {
                for (l, q) in row {
                    if labels::is_lobe(l) {
                        lobes[(l - labels::LOBE_RUL) as usize].push(q);
                    }
                }
            }
            lobes
        })
        .collect()
}
