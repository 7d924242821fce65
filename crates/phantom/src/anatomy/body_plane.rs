//! The body wall on one plane: radial tables of its layers
//! ([`BodyPlane`]), a cache of them over the scan ([`BodyCache`]), and the
//! painter of skin, subcutaneous fat, muscles (with fat marbling and
//! intermuscular planes), the fat-filled core, breasts and arms, with the
//! back flattened against the mattress.

use crate::anatomy::body::{Body, Layers};
use crate::labels;
use crate::render::canvas::{Canvas, RadialTable};

/// The body's tables on one plane.
pub struct BodyPlane {
    /// Core table.
    pub core: RadialTable,
    /// Rib-layer table.
    pub wall: RadialTable,
    /// Muscle table.
    pub muscle: RadialTable,
    /// Skin (outline) table.
    pub skin: RadialTable,
}

/// Body layer rings precomputed every `step` mm over a height range, so
/// a plane's tables come from interpolation instead of re-evaluation.
pub struct BodyCache {
    w0: f64,
    step: f64,
    rings: Vec<Vec<Layers>>,
}

impl BodyCache {
    /// Rings of `body` from `w0` to `w1` every `step` mm (in parallel).
    pub fn new(body: &Body, w0: f64, w1: f64, step: f64) -> BodyCache {
        use rayon::prelude::*;
        let n = ((w1 - w0) / step).ceil().max(1.0) as usize + 2;
        let rings = (0..n)
            .into_par_iter()
            .map(|k| body.ring(w0 + k as f64 * step))
            .collect();
        BodyCache { w0, step, rings }
    }

    /// The tables at `w` (linear interpolation between cached rings).
    pub fn plane(&self, w: f64) -> BodyPlane {
        let f = ((w - self.w0) / self.step).clamp(0.0, (self.rings.len() - 1) as f64);
        let k = (f as usize).min(self.rings.len().saturating_sub(2));
        let t = f - k as f64;
        let (a, b) = (
            &self.rings[k],
            &self.rings[(k + 1).min(self.rings.len() - 1)],
        );
        let l: Vec<Layers> = a
            .iter()
            .zip(b)
            .map(|(x, y)| Layers {
                core: x.core + t * (y.core - x.core),
                wall: x.wall + t * (y.wall - x.wall),
                muscle: x.muscle + t * (y.muscle - x.muscle),
                skin: x.skin + t * (y.skin - x.skin),
            })
            .collect();
        BodyPlane::from_layers(&l)
    }
}

impl BodyPlane {
    /// Tables from one ring of layer radii.
    pub fn from_layers(l: &[Layers]) -> BodyPlane {
        let tab = |f: fn(&Layers) -> f64| {
            let vals: Vec<f64> = l.iter().map(f).collect();
            RadialTable::new(|th| {
                let x = (th + std::f64::consts::PI) / std::f64::consts::TAU
                    * crate::render::canvas::ANGLES as f64;
                vals[(x.round() as usize) % crate::render::canvas::ANGLES]
            })
        };
        BodyPlane {
            core: tab(|l| l.core),
            wall: tab(|l| l.wall),
            muscle: tab(|l| l.muscle),
            skin: tab(|l| l.skin),
        }
    }
}

impl Body {
    /// Paints skin, subcutaneous fat, muscles and the wall layer, the core
    /// filled with fat, breasts and arms. `table_y` is the LPS y of the
    /// mattress top (the back is flattened against it).
    pub fn paint(&self, c: &mut Canvas, bp: &BodyPlane, table_y: f64) {
        let t = c.tissue;
        let tex = c.texture;
        let w = c.w;
        let g = c.grid;
        let rmax = bp.skin.rmax + 2.0;
        let Some(rect) = g.rect(-rmax, rmax, -rmax, rmax) else {
            return;
        };
        // LPS y of a pixel from its patient coordinates.
        let (sa, ca) = g.frame.rotation_rad.sin_cos();
        let (sa, ca, oy) = (sa as f32, ca as f32, g.frame.origin_lps[1] as f32);
        let ty = table_y as f32;
        let skin_v = t.skin as f32;
        let fat_v = t.fat as f32;
        let mus_v = t.muscle as f32;
        let mfat = t.mediastinal_fat as f32;
        let soft = t.soft_texture as f32;
        let skin_mm = self.skin as f32;
        let px = g.px as f32;
        let cov = |d: f32| (0.5 - d / px).clamp(0.0, 1.0);
        c.paint_cov(rect, |i, u, v| {
            let (rho, a) = (g.rho[i], g.angle[i]);
            let back = ty - (oy + sa * u + ca * v);
            let s_skin = bp.skin.sdf(rho, a);
            let d_skin = s_skin.max(-back);
            if d_skin > px {
                return None;
            }
            let d_core = bp.core.sdf(rho, a);
            if d_core < -px && d_skin < -px {
                // Deep in the core (most pixels): fat until organs cover it.
                return Some((1.0, true, mfat, labels::MEDIASTINAL_FAT));
            }
            let p = [u as f64, v as f64, w];
            let d_fat = (s_skin + skin_mm).max(skin_mm - back);
            let d_mus = bp.muscle.sdf(rho, a).max(4.0 - back);
            let mut val = skin_v;
            let mut label = labels::SKIN;
            let a_fat = cov(d_fat);
            if a_fat > 0.0 {
                val += a_fat * (fat_v + soft * tex.at2(p, 2.5) - val);
                if d_fat < 0.0 {
                    label = labels::FAT;
                }
            }
            let a_mus = cov(d_mus);
            if a_mus > 0.0 {
                let m = tex.at2([p[0] * 0.7 + 53.0, p[1] * 0.7, p[2] * 0.25], 3.0);
                let k = ((m - 1.6) * 0.8).clamp(0.0, 0.7);
                let rw = bp.wall.radius(a);
                let rel = (rho - rw) / (bp.muscle.radius(a) - rw).max(1.0);
                // Intermuscular fat plane (pectoralis major/minor, serratus).
                let ant = (-(v / rho.max(1.0))).clamp(0.0, 1.0);
                let plane = (1.0 - ((rel - 0.55).abs() / 0.04)).clamp(0.0, 1.0) * 0.6 * ant;
                let k = k.max(plane);
                let mv = mus_v + k * (fat_v - mus_v) + soft * 0.5 * m;
                val += a_mus * (mv - val);
                if d_mus < 0.0 {
                    label = labels::MUSCLE;
                }
            }
            let a_core = cov(d_core);
            if a_core > 0.0 {
                val += a_core * (mfat - val);
                if d_core < 0.0 {
                    label = labels::MEDIASTINAL_FAT;
                }
            }
            Some((cov(d_skin), d_skin < 0.0, val, label))
        });
        // Breasts: fibroglandular tissue in the fat.
        let gland = t.breast_gland as f32;
        for e in &self.breasts {
            let label = if e.c[0] > 0.0 {
                labels::BREAST_LEFT
            } else {
                labels::BREAST_RIGHT
            };
            crate::anatomy::prims::paint_sdf(
                c,
                &e.bbox(),
                label,
                |p| e.sdf(p) + 6.0 * tex.at2(p, 9.0) as f64,
                |p, _| {
                    let m = (0.5 + 0.6 * tex.fbm(p, 2.2)).clamp(0.0, 1.0);
                    fat_v + m * (gland - fat_v)
                },
            );
        }
        // Arms: skin, fat, muscle around the axis (the humerus is bone).
        for arm in &self.arms {
            let label = if arm.left {
                labels::ARM_LEFT
            } else {
                labels::ARM_RIGHT
            };
            let fat_arm = arm.fat;
            let skin = self.skin;
            arm.outer.paint(c, label, |p, d| {
                if d > -skin {
                    skin_v
                } else if d > -skin - fat_arm {
                    fat_v + soft * tex.at2(p, 2.5)
                } else {
                    mus_v + soft * tex.at2(p, 1.5)
                }
            });
        }
    }
}
