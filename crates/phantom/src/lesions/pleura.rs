//! Shared pieces of the lung and pleura lesions: the side of the chest,
//! the distance to the costal parietal pleura, jittered samples of one
//! hemithorax's lung (for ground truth by integration over the object
//! model), the gravity-level layer that bounds a pleural collection
//! (fluid in the dependent, air in the non-dependent pleural space of a
//! supine patient, with a meniscus climbing along the chest wall), and
//! the un-blending of partial-lung pixels at the lung's edge, so that a
//! lesion filling the lung up to the chest wall leaves no dark rim.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::anatomy::PhantomModel;
use crate::anatomy::body::RadialSpec;
use crate::geom::{Aabb, V3};
use crate::labels::{self, Label};
use crate::render::canvas::Canvas;
use crate::rng;
use crate::tissue::TissueValues;

/// Side of the chest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The patient's right (patient `u < 0`).
    Right,
    /// The patient's left (`u > 0`).
    Left,
}

impl Side {
    /// Sign of patient `u` on this side.
    pub fn sign(self) -> f64 {
        match self {
            Side::Right => -1.0,
            Side::Left => 1.0,
        }
    }

    /// Canonical site word ("right", "left").
    pub fn name(self) -> &'static str {
        match self {
            Side::Right => "right",
            Side::Left => "left",
        }
    }

    /// Index of the side in two-element model arrays (0 right, 1 left).
    pub fn index(self) -> usize {
        match self {
            Side::Right => 0,
            Side::Left => 1,
        }
    }

    /// The side a patient `u` lies on.
    pub fn of_u(u: f64) -> Side {
        if u < 0.0 { Side::Right } else { Side::Left }
    }

    /// Draws a side with equal odds.
    pub fn draw(r: &mut rng::PhantomRng) -> Side {
        if rng::chance(r, 0.5) {
            Side::Right
        } else {
            Side::Left
        }
    }
}

/// The costal parietal pleura: the body core and the extrapleural fat
/// line, copied from the model so that a lesion can paint without it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wall {
    /// Body core (inner surface of the chest wall).
    pub core: RadialSpec,
    /// Extrapleural fat between the core and the lung, mm.
    pub gap: f64,
}

impl Wall {
    /// The wall of a model.
    pub fn of(model: &PhantomModel) -> Wall {
        Wall {
            core: model.body.core.clone(),
            gap: model.lungs.pleural_gap,
        }
    }

    /// Signed distance (mm, negative inside the chest) to the costal
    /// pleura, as the lung boundary is computed from the body core.
    #[inline]
    pub fn distance(&self, p: V3) -> f64 {
        let th = p[1].atan2(p[0]);
        let rho = p[0].hypot(p[1]);
        (rho - self.core.radius(th, p[2])) * 0.95 + self.gap
    }

    /// Relative anteroposterior depth (0 anterior .. 1 posterior inner
    /// chest wall) of patient `v` at height `w`, as the lung painter uses
    /// for the gravity gradient.
    #[inline]
    pub fn relative_depth(&self, v: f64, w: f64) -> f64 {
        let front = -self.core.b_ant.at(w);
        let depth = (self.core.b_post.at(w) + self.core.b_ant.at(w)).max(50.0);
        (v - front) / depth
    }

    /// Estimate of the aerated lung value at `(v, w)` (gravity gradient
    /// plus the subpleural increase), for un-blending edge pixels.
    #[inline]
    pub fn lung_estimate(&self, t: &TissueValues, v: f64, w: f64) -> f32 {
        (t.lung_at(self.relative_depth(v, w)) + 12.0) as f32
    }
}

/// Jittered samples of one lung, inside the scanned range.
#[derive(Debug, Clone, Default)]
pub struct LungSamples {
    /// Grid step, mm (each sample stands for `step^3` mm^3).
    pub step: f64,
    /// Sample points (patient frame).
    pub points: Vec<V3>,
    /// Signed distance of each point to the costal pleura.
    pub wall: Vec<f64>,
}

impl LungSamples {
    /// Volume one sample stands for, mm^3.
    pub fn cell(&self) -> f64 {
        self.step * self.step * self.step
    }

    /// Bounding box of the samples (grown by one step).
    pub fn bbox(&self) -> Aabb {
        let mut b = Aabb::EMPTY;
        for p in &self.points {
            b.include(*p);
        }
        b.expand(self.step)
    }
}

/// Grid step of the shared lung samples ([`lung_samples`]), mm: ~60 000
/// samples per lung, so a 50 mL collection still spans ~3 000 of them.
pub const LUNG_SAMPLE_MM: f64 = 2.5;

/// The shared jittered samples of each lung (right, left), drawn on first
/// use; see [`lung_samples`].
#[derive(Debug, Clone, Default)]
pub struct LungSampleCache([std::sync::OnceLock<LungSamples>; 2]);

/// The samples of the lung of `side` on a jittered grid of
/// [`LUNG_SAMPLE_MM`], drawn once per model (stream `lung-samples-<side>`)
/// and shared by every lesion that integrates over the lung: drawing them
/// was the costliest step of placing those lesions.
///
/// [`crate::lesions::place_all`] draws them before placing lesions in
/// parallel, so that no placement waits on another's draw.
pub fn lung_samples(model: &PhantomModel, side: Side) -> &LungSamples {
    let k = match side {
        Side::Right => 0,
        Side::Left => 1,
    };
    model.lung_samples.0[k].get_or_init(|| {
        sample_lung(
            model,
            side,
            LUNG_SAMPLE_MM,
            &format!("lung-samples-{}", side.name()),
        )
    })
}

/// Samples the lung of `side` on a jittered grid of `step` mm inside the
/// scanned range (stream `name`: independent of every other draw).
pub fn sample_lung(model: &PhantomModel, side: Side, step: f64, name: &str) -> LungSamples {
    let lm = &model.landmarks;
    let s = lm.size;
    let wall = Wall::of(model);
    let sg = side.sign();
    let (u0, u1) = if sg < 0.0 {
        (-175.0 * s, 0.0)
    } else {
        (0.0, 175.0 * s)
    };
    let (v0, v1) = (-140.0 * s, 150.0 * s);
    let w0 = model.scan_w[0].max(lm.recess - 45.0);
    let w1 = model.scan_w[1].min(lm.apex + 10.0);
    let nu = ((u1 - u0) / step).ceil() as usize;
    let nv = ((v1 - v0) / step).ceil() as usize;
    let nw = ((w1 - w0) / step).ceil().max(0.0) as usize;
    let seed = model.params.seed;
    let rows: Vec<Vec<(V3, f64)>> = (0..nw)
        .into_par_iter()
        .map(|k| {
            let mut r = rng::stream_indexed(seed, name, k as u64);
            let mut out = Vec::new();
            for j in 0..nv {
                for i in 0..nu {
                    let p = [
                        u0 + (i as f64 + rng::uniform(&mut r, 0.0, 1.0)) * step,
                        v0 + (j as f64 + rng::uniform(&mut r, 0.0, 1.0)) * step,
                        w0 + (k as f64 + rng::uniform(&mut r, 0.0, 1.0)) * step,
                    ];
                    if p[2] > w1 {
                        continue;
                    }
                    let d = wall.distance(p);
                    if d >= 0.0 {
                        continue;
                    }
                    let warp = model.texture.at2(p, 32.0) as f64 * 2.0;
                    if model.lungs.caps(p, warp).0 >= 0.0 || model.lung_sdf(p) >= 0.0 {
                        continue;
                    }
                    out.push((p, d));
                }
            }
            out
        })
        .collect();
    let mut out = LungSamples {
        step,
        ..Default::default()
    };
    for (p, d) in rows.into_iter().flatten() {
        out.points.push(p);
        out.wall.push(d);
    }
    out
}

/// A pleural collection bounded by a gravity level: fluid below it
/// (dependent, posterior in a supine patient) or air above it
/// (non-dependent, anterior), with a meniscus `M exp(wall / lambda)`
/// that lets the collection climb along the costal pleura. Tables are
/// sampled along `w`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Side of the chest.
    pub side: Side,
    /// Fluid (dependent) or air (non-dependent).
    pub dependent: bool,
    /// Height of the first table entry, mm.
    pub w0: f64,
    /// Table spacing along `w`, mm.
    pub dw: f64,
    /// Level (patient `v`) per height.
    pub level: Vec<f64>,
    /// Meniscus height per height, mm.
    pub meniscus: Vec<f64>,
    /// Decay length of the meniscus away from the wall, mm.
    pub lambda: f64,
}

impl Layer {
    #[inline]
    fn table(&self, t: &[f64], w: f64) -> f64 {
        if t.is_empty() {
            return 0.0;
        }
        let x = ((w - self.w0) / self.dw).clamp(0.0, (t.len() - 1) as f64);
        let i = (x as usize).min(t.len().saturating_sub(2));
        let f = x - i as f64;
        if t.len() == 1 {
            return t[0];
        }
        t[i] + f * (t[i + 1] - t[i])
    }

    /// Level and meniscus at height `w`.
    #[inline]
    pub fn at(&self, w: f64) -> (f64, f64) {
        (self.table(&self.level, w), self.table(&self.meniscus, w))
    }

    /// Rate of change of the level with height (for the footprint).
    pub fn slope(&self, w: f64) -> f64 {
        (self.table(&self.level, w + 1.0) - self.table(&self.level, w - 1.0)) / 2.0
    }

    /// Approximate signed distance (mm, negative inside the collection)
    /// of `p`, whose distance to the costal pleura is `wall`.
    #[inline]
    pub fn sdf(&self, p: V3, wall: f64) -> f64 {
        let (lev, m) = self.at(p[2]);
        self.sdf_with(p[1], wall, lev, m)
    }

    /// [`Layer::sdf`] with the level and meniscus of the plane given.
    #[inline]
    pub fn sdf_with(&self, v: f64, wall: f64, lev: f64, m: f64) -> f64 {
        let s = if self.dependent { 1.0 } else { -1.0 };
        let e = m * (wall.min(0.0) / self.lambda).exp();
        let k = e / self.lambda;
        (s * (lev - v) - e) / (1.0 + k * k).sqrt()
    }

    /// True when `v` is so far from the level (on the lung side) that no
    /// point of the plane can be within `margin` of the collection.
    #[inline]
    pub fn far(&self, v: f64, lev: f64, m: f64, margin: f64) -> bool {
        let s = if self.dependent { 1.0 } else { -1.0 };
        s * (lev - v) - m > margin
    }
}

/// Anteroposterior thickness of a collection from lung samples flagged
/// `inside`, per column (`u`, `w` bins of `bin` mm): for every `w` bin
/// (centre height, largest column thickness in it), and the largest
/// thickness overall. Only columns in the middle of the hemithorax are
/// read (`|u|` within 25-75 % of the chest's half-width, about the
/// mid-clavicular line), where the anteroposterior thickness is the
/// distance between the pleural layers; at the lateral wall a thin
/// meniscus would read as a long column.
pub fn column_thickness(
    samples: &LungSamples,
    inside: &[bool],
    bin: f64,
    wall: &Wall,
) -> (f64, Vec<(f64, f64)>) {
    use std::collections::BTreeMap;
    let mut cols: BTreeMap<(i64, i64), [f64; 2]> = BTreeMap::new();
    for (k, p) in samples.points.iter().enumerate() {
        if !inside[k] {
            continue;
        }
        let half = wall.core.a.at(p[2]).max(1.0);
        if !(0.25..=0.75).contains(&(p[0].abs() / half)) {
            continue;
        }
        let key = ((p[2] / bin).floor() as i64, (p[0] / bin).floor() as i64);
        let e = cols
            .entry(key)
            .or_insert([f64::INFINITY, f64::NEG_INFINITY]);
        e[0] = e[0].min(p[1]);
        e[1] = e[1].max(p[1]);
    }
    let mut levels: BTreeMap<i64, f64> = BTreeMap::new();
    for (&(wk, _), e) in &cols {
        let t = e[1] - e[0] + samples.step;
        let x = levels.entry(wk).or_insert(0.0);
        *x = x.max(t);
    }
    let per: Vec<(f64, f64)> = levels
        .into_iter()
        .map(|(wk, t)| ((wk as f64 + 0.5) * bin, t))
        .collect();
    let max = per.iter().map(|x| x.1).fold(0.0, f64::max);
    (max, per)
}

/// Inner anteroposterior depth of the chest (pleura to pleura) at `w`,
/// mm: the hemithorax dimension of the AP-quartile method.
pub fn chest_depth(wall: &Wall, w: f64) -> f64 {
    ((wall.core.b_ant.at(w) + wall.core.b_post.at(w)) - 2.0 * wall.gap / 0.95).max(50.0)
}

/// True for labels that are part of a lung (lobes, vessels, airways) or
/// the lesion itself.
#[inline]
pub fn lungish(l: Label, own: Label) -> bool {
    labels::is_lobe(l) || l == labels::VESSELS || l == labels::BRONCHI || l == own
}

/// True when a 4-neighbour of pixel `i` is lung (see [`lungish`]).
#[inline]
pub fn touches_lung(c: &Canvas, i: usize, own: Label) -> bool {
    let nx = c.grid.nx;
    let n = c.label.len();
    (!i.is_multiple_of(nx) && lungish(c.label[i - 1], own))
        || (i % nx + 1 < nx && lungish(c.label[i + 1], own))
        || (i >= nx && lungish(c.label[i - nx], own))
        || (i + nx < n && lungish(c.label[i + nx], own))
}

/// Fraction of aerated lung in a boundary pixel labelled `l` (its centre
/// in the wall, mediastinum or diaphragm) whose value is `v`, given the
/// lung value `lung` there: the value is a blend of the labelled tissue
/// and lung, so the fraction follows from the two.
#[inline]
pub fn lung_fraction(v: f32, l: Label, t: &TissueValues, lung: f32) -> f32 {
    let o = match l {
        labels::FAT | labels::EPICARDIAL_FAT => t.fat,
        labels::MEDIASTINAL_FAT => t.mediastinal_fat,
        labels::LIVER => t.liver,
        labels::SPLEEN => t.spleen,
        _ => t.muscle,
    } as f32;
    if o - lung < 1.0 {
        return 0.0;
    }
    ((o - v) / (o - lung)).clamp(0.0, 1.0)
}
