//! The upper abdomen under the diaphragm: the diaphragm muscle sheet,
//! visceral fat, liver (right dome, left lobe across the midline), spleen,
//! stomach (air anteriorly over fluid, with a wall), kidney upper poles,
//! inferior vena cava, gallbladder and the splenic flexure of the colon.

use serde::{Deserialize, Serialize};

use crate::anatomy::body::Body;
use crate::anatomy::lungs::Lungs;
use crate::anatomy::prims::{Ellipsoid, Tube, paint_sdf};
use crate::anatomy::spine::{Landmarks, Spine};
use crate::geom::{Aabb, V3, catmull_rom, smax};
use crate::labels;
use crate::params::PhantomParams;
use crate::render::canvas::Canvas;
use crate::rng;

/// Upper abdominal organs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Abdomen {
    /// Left edge of the liver: `u = a + b * (-v)` (mm).
    pub liver_left: [f64; 2],
    /// Inferior edge of the liver: `w = c0 + c1 * u`.
    pub liver_bottom: [f64; 2],
    /// Spleen.
    pub spleen: Ellipsoid,
    /// Stomach (outer wall) along its axis.
    pub stomach: Tube,
    /// Stomach wall thickness, mm.
    pub stomach_wall: f64,
    /// Air-fluid level in the stomach (`v` above which is air).
    pub stomach_air_v: f64,
    /// Kidneys (left, right).
    pub kidneys: [Ellipsoid; 2],
    /// Inferior vena cava.
    pub ivc: Tube,
    /// Gallbladder, when drawn.
    pub gallbladder: Option<Ellipsoid>,
    /// Splenic flexure of the colon.
    pub colon: Tube,
}

/// Builds the abdomen below the domes.
pub fn build(
    p: &PhantomParams,
    lm: &Landmarks,
    spine: &Spine,
    lungs: &Lungs,
    heart_ra: V3,
    bottom: f64,
) -> Abdomen {
    let r = &mut rng::stream(p.seed, "abdomen");
    let s = lm.size;
    let dl = lungs.domes[1].peak[2];
    let dr = lungs.domes[0].peak[2];
    let sv = |w: f64| spine.curve_v.at(w);
    let spleen = Ellipsoid::oriented(
        [86.0 * s, sv(dl - 60.0) + 8.0 * s, dl - 62.0 * s],
        crate::geom::normalize([0.5, 0.55, -0.65]),
        [-1.0, 0.6, 0.0],
        [
            rng::uniform(r, 48.0, 62.0) * s,
            rng::uniform(r, 32.0, 40.0) * s,
            rng::uniform(r, 18.0, 24.0) * s,
        ],
    );
    let st_ctrl = [
        [44.0 * s, 8.0 * s, dl - 28.0 * s],
        [52.0 * s, -20.0 * s, dl - 70.0 * s],
        [30.0 * s, -50.0 * s, dl - 110.0 * s],
        [0.0, -58.0 * s, dl - 150.0 * s],
    ];
    let st_pts = catmull_rom(&st_ctrl, 6);
    let n = st_pts.len();
    let fill = rng::uniform(r, 0.6, 1.1);
    let st_r: Vec<f64> = (0..n)
        .map(|i| (36.0 - 12.0 * i as f64 / (n - 1) as f64) * s * fill)
        .collect();
    let kid = |sg: f64, lower: f64, r: &mut rng::PhantomRng| {
        let w = lm.vertebra(13) - 5.0 - lower;
        Ellipsoid::oriented(
            [sg * 62.0 * s, sv(w) + 12.0 * s, w - 20.0 * s],
            crate::geom::normalize([sg * 0.25, 0.2, 1.0]),
            [sg, -0.3, 0.0],
            [
                rng::uniform(r, 50.0, 58.0) * s,
                rng::uniform(r, 24.0, 30.0) * s,
                rng::uniform(r, 20.0, 24.0) * s,
            ],
        )
    };
    let kidneys = [kid(1.0, 0.0, r), kid(-1.0, rng::uniform(r, 8.0, 20.0), r)];
    let ivc_pts = catmull_rom(
        &[
            [-24.0 * s, sv(bottom) - 20.0 * s, bottom - 20.0],
            [-26.0 * s, sv(dr - 40.0) - 24.0 * s, dr - 40.0],
            [-28.0 * s, sv(dr) - 30.0 * s, dr - 5.0],
            heart_ra,
        ],
        6,
    );
    let ivc = Tube::circular(
        &ivc_pts,
        &vec![rng::uniform(r, 10.0, 13.0) * s; ivc_pts.len()],
    );
    let gallbladder = rng::chance(r, 0.8).then(|| {
        Ellipsoid::oriented(
            [-45.0 * s, -55.0 * s, dr - 115.0 * s],
            crate::geom::normalize([0.3, -0.4, -1.0]),
            [1.0, 0.0, 0.0],
            [rng::uniform(r, 28.0, 40.0) * s, 14.0 * s, 13.0 * s],
        )
    });
    let colon_pts = catmull_rom(
        &[
            [70.0 * s, -50.0 * s, bottom - 10.0],
            [92.0 * s, 5.0 * s, dl - 110.0 * s],
            [95.0 * s, 30.0 * s, bottom - 30.0],
        ],
        6,
    );
    let colon = Tube::circular(
        &colon_pts,
        &vec![rng::uniform(r, 16.0, 24.0) * s; colon_pts.len()],
    );
    Abdomen {
        liver_left: [rng::uniform(r, 0.0, 14.0) * s, rng::uniform(r, 0.45, 0.7)],
        liver_bottom: [
            dr - rng::uniform(r, 150.0, 180.0) * s,
            rng::uniform(r, 0.55, 0.8),
        ],
        spleen,
        stomach: Tube::circular(&st_pts, &st_r),
        stomach_wall: rng::uniform(r, 3.0, 5.0),
        stomach_air_v: rng::uniform(r, -40.0, 0.0) * s,
        kidneys,
        ivc,
        gallbladder,
        colon,
    }
}

impl Abdomen {
    /// Signed distance to the liver given the diaphragm distance `d_dia`
    /// (positive above the lower diaphragm surface) and the core distance.
    #[inline]
    pub fn liver_sdf(&self, p: V3, d_dia: f64, d_core: f64) -> f64 {
        // Left edge: the left lobe reaches across the midline anteriorly,
        // curving back towards the right posteriorly.
        let dv = -p[1] + 20.0;
        let edge = self.liver_left[0] + self.liver_left[1] * dv.max(-70.0) - 0.004 * dv * dv;
        let left = (p[0] - edge) * 0.85;
        let low = self.liver_bottom[0] + self.liver_bottom[1] * (p[0] + 60.0).max(0.0) - p[2];
        smax(smax(d_dia, d_core, 6.0), smax(left, low, 14.0), 8.0)
    }

    /// Paints the abdomen at the plane of `c`: `core` gives the core signed
    /// distance of a pixel index, `rmax` bounds the core's radius.
    pub fn paint(
        &self,
        c: &mut Canvas,
        lungs: &Lungs,
        body: &Body,
        core: &dyn Fn(usize) -> f32,
        rmax: f64,
    ) {
        let w = c.w;
        let t = c.tissue;
        let tex = c.texture;
        let top = lungs.domes[0].peak[2].max(lungs.domes[1].peak[2]) + 4.0 + c.motion.abs();
        if w > top || !body.spans(w) {
            return;
        }
        let g = c.grid;
        let Some(rect) = g.rect(-rmax, rmax, -rmax, rmax) else {
            return;
        };
        let dt = lungs.diaphragm as f32;
        let mus = t.muscle as f32;
        let fat = t.fat as f32;
        let liver = t.liver as f32;
        let soft = t.soft_texture as f32;
        let shift = c.motion;
        let px = g.px as f32;
        let cov = |d: f32| (0.5 - d / px).clamp(0.0, 1.0);
        let dia_d = |u: f32, v: f32| -> (f32, f32) {
            let h = lungs.diaphragm_height(u as f64, v as f64) + shift;
            let d = (w - h) as f32 * 0.8;
            (d, d + dt)
        };
        // Diaphragm muscle, visceral fat below it, liver: one pass.
        c.paint_cov(rect, |i, u, v| {
            let dc = core(i);
            if dc > px {
                return None;
            }
            let (d_top, d_low) = dia_d(u, v);
            if d_top > px {
                return None;
            }
            let p = [u as f64, v as f64, w];
            let mut val = mus;
            let mut label = labels::DIAPHRAGM;
            let a_fat = cov(d_low);
            if a_fat > 0.0 {
                val += a_fat * (fat + soft * tex.at2(p, 2.5) - val);
                if d_low < 0.0 {
                    label = labels::FAT;
                }
            }
            let d_l = self.liver_sdf(p, d_low as f64 + 1.0, dc as f64 + 1.0) as f32;
            let a_l = cov(d_l);
            if a_l > 0.0 {
                val += a_l * (liver + 0.6 * soft * tex.at2(p, 3.0) - val);
                if d_l < 0.0 {
                    label = labels::LIVER;
                }
            }
            let d = d_top.max(dc);
            Some((cov(d), d < 0.0, val, label))
        });
        let spleen = t.spleen as f32;
        let e = self.spleen;
        paint_sdf(
            c,
            &e.bbox(),
            labels::SPLEEN,
            |p| {
                let (dd, _) = dia_d(p[0] as f32, p[1] as f32);
                e.sdf(p).max(dd as f64 + dt as f64 + 1.0)
            },
            |p, _| spleen + 0.6 * soft * tex.at2(p, 3.0),
        );
        let kidney = t.kidney as f32;
        for (k, e) in self.kidneys.iter().enumerate() {
            let label = if k == 0 {
                labels::KIDNEY_LEFT
            } else {
                labels::KIDNEY_RIGHT
            };
            paint_sdf(
                c,
                &e.bbox(),
                label,
                |p| e.sdf(p),
                |p, _| kidney + 0.5 * soft * tex.at2(p, 3.0),
            );
        }
        if let Some(gb) = &self.gallbladder {
            let fl = (t.fluid + 5.0) as f32;
            paint_sdf(c, &gb.bbox(), labels::LIVER, |p| gb.sdf(p), |_, _| fl);
        }
        // Stomach: wall, then air over fluid.
        let wall = self.stomach_wall;
        let air_v = self.stomach_air_v;
        let (bw, airv, fluid) = (t.bowel_wall as f32, t.air as f32, (t.fluid + 15.0) as f32);
        let st = &self.stomach;
        st.paint(c, labels::STOMACH, |p, d| {
            if d > -wall {
                bw
            } else if p[1] < air_v {
                airv
            } else {
                fluid + 6.0 * tex.at2(p, 4.0)
            }
        });
        self.colon.paint(c, labels::COLON, |p, d| {
            if d > -2.5 {
                bw
            } else if tex.at2(p, 7.0) > -0.6 {
                airv
            } else {
                (t.fluid + 20.0) as f32
            }
        });
        let blood = t.blood as f32;
        self.ivc.paint(c, labels::IVC, |_, _| blood);
    }

    /// Bounding box of the organs.
    pub fn bbox(&self) -> Aabb {
        self.spleen
            .bbox()
            .union(&self.stomach.bbox)
            .union(&self.kidneys[0].bbox())
    }
}
