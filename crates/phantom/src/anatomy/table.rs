//! The scanner table in scanner (LPS) coordinates: a foam mattress on a
//! gently curved carbon-fibre cradle (two thin dense shells around a foam
//! core), wider than the patient. Its top is where the patient's back
//! rests and flattens.

use serde::{Deserialize, Serialize};

use crate::labels;
use crate::params::PhantomParams;
use crate::render::canvas::Canvas;
use crate::rng;

/// The table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// LPS y of the mattress top at x = 0 (the patient's back).
    pub top_y: f64,
    /// Upward curvature of the cradle: rise = c * x^2 (mm^-1).
    pub curvature: f64,
    /// Mattress thickness, mm (0 = none).
    pub mattress: f64,
    /// Shell thickness, mm.
    pub shell: f64,
    /// Core (foam) thickness between the shells, mm.
    pub core: f64,
    /// Half-width, mm.
    pub half_width: f64,
}

/// Draws a table whose mattress top is at LPS y `top_y`.
pub fn build(p: &PhantomParams, top_y: f64) -> Table {
    let r = &mut rng::stream(p.seed, "table");
    Table {
        top_y,
        curvature: rng::uniform(r, 1.0 / 3500.0, 1.0 / 1800.0),
        mattress: if rng::chance(r, 0.6) {
            rng::uniform(r, 5.0, 25.0)
        } else {
            0.0
        },
        shell: rng::uniform(r, 1.5, 3.0),
        core: rng::uniform(r, 25.0, 45.0),
        half_width: rng::uniform(r, 200.0, 240.0),
    }
}

impl Table {
    /// LPS y of the mattress top at LPS x (the cradle rises sideways).
    #[inline]
    pub fn top_at(&self, x: f64) -> f64 {
        self.top_y - self.curvature * x * x
    }

    /// Paints the table under the patient (outside the body: call first).
    pub fn paint(&self, c: &mut Canvas) {
        let g = c.grid;
        let t = c.tissue;
        let foam = t.table_foam as f32;
        let shell_v = t.table_shell as f32;
        let px = g.px as f32;
        let total = self.mattress + 2.0 * self.shell + self.core;
        let nx = g.nx;
        for y in 0..g.ny {
            let ly = g.origin_xy[1] + y as f64 * g.px;
            if ly < self.top_y - self.curvature * self.half_width.powi(2) - 2.0
                || ly > self.top_y + total + 2.0
            {
                continue;
            }
            for x in 0..nx {
                let lx = g.origin_xy[0] + x as f64 * g.px;
                if lx.abs() > self.half_width + 2.0 {
                    continue;
                }
                let depth = (ly - self.top_at(lx)) as f32; // below the mattress top
                let i = y * nx + x;
                let side = (self.half_width - lx.abs()) as f32;
                let a_side = (0.5 + side / px).clamp(0.0, 1.0);
                let m = self.mattress as f32;
                let sh = self.shell as f32;
                let co = self.core as f32;
                // Layers from the top: mattress, shell, core, shell.
                let layers = [
                    (0.0, m, foam),
                    (m, m + sh, shell_v),
                    (m + sh, m + sh + co, foam),
                    (m + sh + co, m + 2.0 * sh + co, shell_v),
                ];
                let mut val = 0.0f32;
                let mut cov = 0.0f32;
                for (a, b, v) in layers {
                    if b <= a {
                        continue;
                    }
                    let lo = (depth - 0.5 * px).max(a);
                    let hi = (depth + 0.5 * px).min(b);
                    let f = ((hi - lo) / px).max(0.0);
                    val += f * v;
                    cov += f;
                }
                if cov > 0.0 {
                    let avg = val / cov;
                    let a = cov.min(1.0) * a_side;
                    c.value[i] += a * (avg - c.value[i]);
                    if depth > 0.0 && depth < total as f32 && side > 0.0 {
                        c.label[i] = labels::TABLE;
                    }
                }
            }
        }
    }
}
