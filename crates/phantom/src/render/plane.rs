//! Paints one fine sub-plane of the phantom, in anatomical order: table,
//! body wall, abdomen, lungs (parenchyma with gravity gradient, texture,
//! dependent atelectasis and fissures, clipped by the mediastinal
//! envelope), mediastinum and heart, pulmonary trees, bones, then the
//! lesions, so that every lesion is blended into the tissue before slab
//! integration, blur and noise.

use crate::anatomy::PhantomModel;
use crate::anatomy::body_plane::BodyPlane;
use crate::geom::{V3, smoothstep};
use crate::labels::{self, Label};
use crate::lesions::Lesion;
use crate::render::canvas::{Canvas, Rect};

/// Pixel step of the grid on which the mediastinal envelope is evaluated
/// (bilinear in between): the envelope is a smooth blended distance
/// (curvature radius >= the smallest airway, ~3 mm, so the interpolated
/// boundary is within ~0.3 mm at 0.7 mm pixels), and evaluating it at
/// every second pixel was a fifth of the generator's time.
const ENV_STEP: usize = 4;

/// Per-phantom painting context.
pub struct Painter<'a> {
    /// The anatomy.
    pub model: &'a PhantomModel,
    /// Lesions with their labels.
    pub lesions: Vec<(&'a dyn Lesion, Label)>,
    /// Body tables precomputed over the scan.
    pub body: crate::anatomy::body_plane::BodyCache,
}

impl Painter<'_> {
    /// Paints the plane already reset on `c`.
    pub fn paint(&self, c: &mut Canvas, env: &mut Vec<f32>) {
        self.paint_base(c);
        self.paint_interior(c, env);
    }

    /// Paints the table and the body wall (skin, fat, muscle, the
    /// fat-filled core, breasts, arms) on the plane already reset on `c`:
    /// the layer that [`render`](super::render) may paint once per
    /// millimetre and reuse for neighbouring sub-planes.
    pub fn paint_base(&self, c: &mut Canvas) {
        let m = self.model;
        m.table.paint(c);
        if m.body.spans(c.w) {
            let bp = self.body.plane(c.w);
            m.body.paint(c, &bp, m.table.top_y);
        }
    }

    /// Paints everything inside the body wall (organs, trees, bones,
    /// lesions) over the base layer of [`Painter::paint_base`].
    pub fn paint_interior(&self, c: &mut Canvas, env: &mut Vec<f32>) {
        let m = self.model;
        let w = c.w;
        if !m.body.spans(w) {
            return;
        }
        let bp = self.body.plane(w);
        let g = c.grid;
        let core = |i: usize| bp.core.sdf(g.rho[i], g.angle[i]);
        m.abdomen
            .paint(c, &m.lungs, &m.body, &core, bp.core.rmax + 2.0);
        self.paint_lungs(c, &bp, env);
        m.mediastinum.paint(c);
        m.heart.paint(c);
        m.mediastinum.paint_descending_aorta(c);
        m.pulmonary.paint(c);
        m.spine.paint(c);
        m.ribs.paint(c);
        m.girdle.paint(c, &bp);
        for (l, label) in &self.lesions {
            if l.bbox().expand(1.0).spans_w(w) {
                l.paint(c, *label);
            }
        }
    }

    /// Computes the mediastinal envelope distance over `rect` into `env`:
    /// evaluated on every [`ENV_STEP`]-th pixel in x and y (it is a smooth blended
    /// distance), then interpolated bilinearly.
    fn envelope(&self, c: &Canvas, rect: Rect, env: &mut Vec<f32>) {
        let rect = Rect {
            x0: rect.x0 - rect.x0 % ENV_STEP,
            y0: rect.y0 - rect.y0 % ENV_STEP,
            ..rect
        };
        let m = self.model;
        let g = c.grid;
        let w = c.w;
        let n = g.nx * g.ny;
        if env.len() != n {
            env.resize(n, f32::MAX);
        }
        for y in rect.y0..rect.y1 {
            env[y * g.nx + rect.x0..y * g.nx + rect.x1].fill(f32::MAX);
        }
        let heart = &m.heart;
        let shift = c.heart_shift();
        let hb = crate::geom::Aabb {
            min: crate::geom::add(heart.bbox.min, shift),
            max: crate::geom::add(heart.bbox.max, shift),
        };
        if hb.spans_w(w)
            && let Some(r) = g.rect_of(&hb.expand(crate::anatomy::HULL_BLEND))
        {
            let r = Rect {
                x0: r.x0.max(rect.x0),
                x1: r.x1.min(rect.x1),
                y0: r.y0.max(rect.y0),
                y1: r.y1.min(rect.y1),
            };
            heart_envelope(c, r, env, |p| {
                heart.sac_sdf(crate::geom::sub(p, shift), 0.0) + 0.5
            });
        }
        let mut splat = |b: &crate::geom::Aabb, f: &dyn Fn(V3) -> f64| {
            if !b.spans_w(w) {
                return;
            }
            let Some(r) = g.rect_of(&b.expand(crate::anatomy::HULL_BLEND)) else {
                return;
            };
            let r = Rect {
                x0: r.x0.max(rect.x0),
                x1: r.x1.min(rect.x1),
                y0: r.y0.max(rect.y0),
                y1: r.y1.min(rect.y1),
            };
            for y in (r.y0..r.y1).filter(|y| y % ENV_STEP == 0) {
                for x in (r.x0..r.x1).filter(|x| x % ENV_STEP == 0) {
                    let i = y * g.nx + x;
                    let d = f([g.u[i] as f64, g.v[i] as f64, w]);
                    env[i] = crate::geom::smin(env[i] as f64, d, crate::anatomy::HULL_BLEND) as f32;
                }
            }
        };
        for v in &m.spine.vertebrae {
            let b = crate::geom::Aabb::around(
                v.centre,
                [
                    0.5 * v.width + 6.0,
                    0.5 * v.depth + 6.0,
                    0.5 * v.height + 6.0,
                ],
            );
            splat(&b, &|p| v.body_sdf(p) - 4.0);
        }
        for e in &m.mediastinum.thyroid {
            splat(&e.bbox().expand(3.0), &|p| e.sdf(p) - 2.0);
        }
        for (tube, margin) in m.envelope().tubes() {
            let lim = margin + 2.0;
            for s in tube.segments_near(w, lim) {
                let (a, b) = if tube.nodes.len() == 1 {
                    (tube.nodes[0], tube.nodes[0])
                } else {
                    (tube.nodes[s], tube.nodes[s + 1])
                };
                let reach = a.ra.max(a.rb).max(b.ra).max(b.rb) + lim;
                let dz = b.p[2] - a.p[2];
                let (t0, t1) = if dz.abs() < 1e-9 {
                    (0.0, 1.0)
                } else {
                    let ta = ((w - reach - a.p[2]) / dz).clamp(0.0, 1.0);
                    let tb = ((w + reach - a.p[2]) / dz).clamp(0.0, 1.0);
                    (ta.min(tb), ta.max(tb))
                };
                let pa = crate::geom::lerp3(a.p, b.p, t0);
                let pb = crate::geom::lerp3(a.p, b.p, t1);
                let bx = crate::geom::Aabb {
                    min: [pa[0].min(pb[0]) - reach, pa[1].min(pb[1]) - reach, w - 1.0],
                    max: [pa[0].max(pb[0]) + reach, pa[1].max(pb[1]) + reach, w + 1.0],
                };
                splat(&bx, &|p| tube.segment_sdf(s, p).0 - margin);
            }
        }
        // Fill the pixels between grid nodes from the four around them.
        let nx = g.nx;
        let (x1, y1) = (rect.x1.min(nx), rect.y1.min(g.ny));
        let at = |env: &[f32], x: usize, y: usize| -> f32 {
            let xa = x - x % ENV_STEP;
            let ya = y - y % ENV_STEP;
            let xb = if x > xa && xa + ENV_STEP < x1 {
                xa + ENV_STEP
            } else {
                xa
            };
            let yb = if y > ya && ya + ENV_STEP < y1 {
                ya + ENV_STEP
            } else {
                ya
            };
            let fx = if xb > xa {
                (x - xa) as f32 / ENV_STEP as f32
            } else {
                0.0
            };
            let fy = if yb > ya {
                (y - ya) as f32 / ENV_STEP as f32
            } else {
                0.0
            };
            let v = |xx: usize, yy: usize| env[yy * nx + xx].min(1.0e6);
            let top = v(xa, ya) + fx * (v(xb, ya) - v(xa, ya));
            let bot = v(xa, yb) + fx * (v(xb, yb) - v(xa, yb));
            top + fy * (bot - top)
        };
        for y in rect.y0..y1 {
            for x in rect.x0..x1 {
                if x % ENV_STEP != 0 || y % ENV_STEP != 0 {
                    env[y * nx + x] = at(env, x, y);
                }
            }
        }
    }

    /// Paints the lung parenchyma (see [`heart_envelope`] for the heart).
    fn paint_lungs(&self, c: &mut Canvas, bp: &BodyPlane, env: &mut Vec<f32>) {
        let m = self.model;
        let lungs = &m.lungs;
        let w = c.w;
        let lm = &m.landmarks;
        if w > lm.apex + 3.0 || w < lm.recess - 40.0 {
            return;
        }
        let g = c.grid;
        let rmax = bp.core.rmax;
        let Some(rect) = g.rect(-rmax, rmax, -rmax, rmax) else {
            return;
        };
        self.envelope(c, rect, env);
        let t = c.tissue;
        let tex = c.texture;
        let px = g.px;
        let h = c.h;
        let gap = lungs.pleural_gap as f32;
        let band = m.mediastinum.band.at(w) as f32;
        let v_front = -m.body.core.b_ant.at(w);
        let v_back = m.body.core.b_post.at(w);
        let depth = (v_back - v_front).max(50.0);
        let motion = c.motion;
        let fis_v = t.fissure;
        let amp = t.lung_texture;
        let atel = lungs.atelectasis;
        let carina = lm.carina;
        c.paint_cov(rect, |i, u, v| {
            let d_core = bp.core.sdf(g.rho[i], g.angle[i]) + gap;
            if d_core > px as f32 {
                return None;
            }
            let d_env = env[i].min(u.abs() - band);
            if -d_env > px as f32 {
                return None;
            }
            let p = [u as f64, v as f64, w];
            let lw = tex.at2(p, 32.0) as f64;
            let warp = lw * 2.0;
            let (d_caps, nz) = lungs.caps([p[0], p[1], p[2] - motion], warp);
            let mut d = d_core as f64;
            let mut fp = px;
            if -(d_env as f64) > d {
                d = -(d_env as f64);
            }
            if d_caps > d {
                d = d_caps;
                fp = px * (1.0 - nz * nz).sqrt().max(0.5) + h * nz;
            }
            if d > fp {
                return None;
            }
            let a = (0.5 - d / fp).clamp(0.0, 1.0) as f32;
            let lobe = lungs.lobe(p, lw);
            let f = (p[1] - v_front) / depth;
            // Parenchyma: gravity gradient, fine texture, sparse bright
            // sub-resolution vessels and septa (mean-corrected), and
            // patchy heterogeneity.
            let fine = tex.at(p, 2.0) as f64;
            let dots = 5.0 * amp * ((fine - 1.6).max(0.0) - 0.0232);
            let mut val = t.lung_at(f) + amp * (fine + 0.7 * tex.at2(p, 9.0) as f64) + dots;
            // Pleura and subpleural interstitium: a little denser at the edge.
            val += 25.0 * (1.0 - (-(d_core as f64) / 2.5).clamp(0.0, 1.0)).powi(2);
            if atel > 0.0
                && f > 0.72
                && w < carina
                && (lobe == labels::LOBE_RLL || lobe == labels::LOBE_LLL)
            {
                let thick = atel
                    * (0.4
                        + 0.8
                            * smoothstep(
                                -0.6,
                                1.0,
                                tex.at2([p[0], p[1] * 0.5, p[2] * 0.3], 14.0) as f64,
                            ));
                let k = smoothstep(-thick - 1.5, -thick + 0.5, d_core as f64);
                val += k * (-180.0 + 60.0 * tex.at2(p, 3.0) as f64 - val);
            }
            let vis = || tex.at2([p[1] + 91.0, p[0] - 37.0, p[2]], 25.0) as f64;
            let fc = lungs.fissure_cover(p, lw, &vis, px, h);
            if fc > 0.0 {
                val += fc * (fis_v - val);
            }
            Some((a, d < 0.0, val as f32, lobe))
        });
    }
}

/// Writes `min(env, sdf)` over `rect` on 4 x 4 blocks, skipping blocks far
/// outside the shape (the heart sac is the most expensive envelope part).
fn heart_envelope(c: &Canvas, rect: Rect, env: &mut [f32], sdf: impl Fn(V3) -> f64) {
    let g = c.grid;
    let w = c.w;
    let step = 4usize;
    let skip = (step as f64 * g.px * 1.5 + 2.0) as f32;
    let mut y = rect.y0;
    while y < rect.y1 {
        let mut x = rect.x0;
        while x < rect.x1 {
            let i = y * g.nx + x;
            let d0 = sdf([g.u[i] as f64, g.v[i] as f64, w]) as f32;
            let (xe, ye) = ((x + step).min(rect.x1), (y + step).min(rect.y1));
            if d0 > skip + 20.0 {
                // Far: everything in the block is positive and large.
                for yy in y..ye {
                    for xx in x..xe {
                        let k = yy * g.nx + xx;
                        env[k] = crate::geom::smin(
                            env[k] as f64,
                            (d0 - skip) as f64,
                            crate::anatomy::HULL_BLEND,
                        ) as f32;
                    }
                }
            } else {
                for yy in (y..ye).filter(|v| v % ENV_STEP == 0) {
                    for xx in (x..xe).filter(|v| v % ENV_STEP == 0) {
                        let k = yy * g.nx + xx;
                        let d = sdf([g.u[k] as f64, g.v[k] as f64, w]);
                        env[k] =
                            crate::geom::smin(env[k] as f64, d, crate::anatomy::HULL_BLEND) as f32;
                    }
                }
            }
            x += step;
        }
        y += step;
    }
}
