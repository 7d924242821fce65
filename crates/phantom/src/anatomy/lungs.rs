//! The lungs as constructive geometry: inside the chest wall (the body
//! core, less an extrapleural fat line), below the apical domes, above the
//! hemidiaphragms (right dome higher, deep posterior costophrenic
//! recesses), and outside the mediastinal envelope (heart and pericardial
//! fat, great vessels, airways, oesophagus, spine, midline fat band), so
//! the cardiac and aortic impressions come out by themselves. Oblique and
//! horizontal fissures split them into five lobes; fissures are painted as
//! thin dense sheets (sometimes incomplete). Parenchyma density rises
//! towards the dependent (posterior) lung, with occasional dependent
//! subpleural atelectasis.

use serde::{Deserialize, Serialize};

use crate::anatomy::spine::Landmarks;
use crate::geom::{V3, band_coverage, smoothstep};
use crate::labels::{self, Label};
use crate::params::{PhantomParams, ShapeFamily};
use crate::rng;

/// A hemidiaphragm dome: the height of its upper surface over `(u, v)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dome {
    /// Highest point.
    pub peak: V3,
    /// Horizontal radii: lateral, medial, anterior, posterior (mm).
    pub radii: [f64; 4],
    /// Drop at unit normalised radius, mm.
    pub depth: f64,
    /// Steepening towards the periphery.
    pub beta: f64,
}

impl Dome {
    /// Surface height at `(u, v)` and the squared slope there.
    #[inline]
    pub fn height(&self, u: f64, v: f64) -> (f64, f64) {
        let du = u - self.peak[0];
        let dv = v - self.peak[1];
        let lateral = du * self.peak[0] > 0.0;
        let ru = if lateral {
            self.radii[0]
        } else {
            self.radii[1]
        };
        let rv = if dv < 0.0 {
            self.radii[2]
        } else {
            self.radii[3]
        };
        let x = du / ru;
        let y = dv / rv;
        let q = x * x + y * y;
        let drop = self.depth * q * (1.0 + self.beta * q);
        let ddq = self.depth * (1.0 + 2.0 * self.beta * q);
        let gu = ddq * 2.0 * x / ru;
        let gv = ddq * 2.0 * y / rv;
        (self.peak[2] - drop, gu * gu + gv * gv)
    }

    /// Signed distance to the dome surface, positive below it.
    #[inline]
    pub fn below(&self, p: V3) -> (f64, f64) {
        let (h, g2) = self.height(p[0], p[1]);
        let n = (1.0 + g2).sqrt();
        ((h - p[2]) / n, 1.0 / n)
    }
}

/// Depth below the apex over which the apical cupola acts, mm.
pub const APEX_DEPTH: f64 = 75.0;

/// An apical dome: the lung top `w <= peak - D tanh(r^2 / (2 R D))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Apex {
    /// Top of the apex.
    pub peak: V3,
    /// Radius of curvature, mm.
    pub curvature: f64,
}

impl Apex {
    /// Signed distance to the apical surface, positive above it, and the
    /// vertical component of its normal.
    #[inline]
    pub fn above(&self, p: V3) -> (f64, f64) {
        let du = p[0] - self.peak[0];
        let dv = (p[1] - self.peak[1]) * 1.15;
        // The cupola flattens out below the thoracic inlet (saturating
        // drop), so it never cuts the lung lower down.
        let drop = (du * du + dv * dv) / (2.0 * self.curvature);
        // tanh(x) for x >= 0 through one exp (libm's tanh, with its
        // expm1, was ~4% of the generator's time on every lung pixel).
        let e = (-2.0 * drop / APEX_DEPTH).exp();
        let t = (1.0 - e) / (1.0 + e);
        let h = self.peak[2] - APEX_DEPTH * t;
        let k = 1.0 - t * t;
        let gu = k * du / self.curvature;
        let gv = k * dv * 1.15 / self.curvature;
        let n = (1.0 + gu * gu + gv * gv).sqrt();
        ((p[2] - h) / n, 1.0 / n)
    }
}

/// A fissure as a height surface `w = h(u, v)` with smooth warps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fissure {
    /// Height at `v = v0`, mm.
    pub w0: f64,
    /// Reference `v`.
    pub v0: f64,
    /// Rise per mm towards posterior.
    pub slope_v: f64,
    /// Curvature in `v` (concave anteriorly when positive).
    pub curve_v: f64,
    /// Rise per mm laterally (from `u = 0`).
    pub slope_u: f64,
    /// Warp amplitude, mm.
    pub warp: f64,
    /// Fraction of the surface drawn as a visible line (1 = complete).
    pub completeness: f64,
    /// Half-thickness of the visible sheet, mm.
    pub half_thickness: f64,
}

impl Fissure {
    /// Height of the fissure at `(u, v)` (without warp) and its slope norm factor.
    #[inline]
    pub fn height(&self, u: f64, v: f64) -> (f64, f64) {
        let dv = v - self.v0;
        let h = self.w0 + self.slope_v * dv + self.curve_v * dv * dv + self.slope_u * u.abs();
        let gv = self.slope_v + 2.0 * self.curve_v * dv;
        (
            h,
            1.0 / (1.0 + gv * gv + self.slope_u * self.slope_u).sqrt(),
        )
    }
}

/// Lung geometry beyond the chest wall and mediastinum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lungs {
    /// Right and left hemidiaphragms.
    pub domes: [Dome; 2],
    /// Right and left apices.
    pub apices: [Apex; 2],
    /// Right and left oblique fissures.
    pub oblique: [Fissure; 2],
    /// Right horizontal fissure.
    pub horizontal: Fissure,
    /// Extrapleural fat between chest wall and lung, mm.
    pub pleural_gap: f64,
    /// Thickness of dependent subpleural atelectasis (0 when none), mm.
    pub atelectasis: f64,
    /// Diaphragm muscle thickness, mm.
    pub diaphragm: f64,
}

/// Builds the domes, apices and fissures.
pub fn build(p: &PhantomParams, lm: &Landmarks) -> Lungs {
    let r = &mut rng::stream(p.seed, "lungs");
    let s = lm.size * p.lung_scale.cbrt();
    let (depth_f, beta, lift) = match p.shape_family {
        ShapeFamily::Ovoid => (1.0, 0.55, 0.0),
        ShapeFamily::Tapered => (1.15, 0.7, 8.0),
        ShapeFamily::Barrel => (0.65, 0.35, -18.0),
    };
    let lift = lift - 25.0 * (p.lung_scale - 1.0);
    let dome = |side: f64, peak_w: f64, r: &mut rng::PhantomRng| Dome {
        peak: [
            side * rng::uniform(r, 48.0, 64.0) * s,
            rng::uniform(r, -20.0, 5.0) * s,
            peak_w + lift,
        ],
        radii: [
            rng::uniform(r, 68.0, 82.0) * s,
            rng::uniform(r, 85.0, 100.0) * s,
            rng::uniform(r, 120.0, 145.0) * s,
            rng::uniform(r, 70.0, 80.0) * s,
        ],
        depth: (lm.dome_right - lm.recess).max(40.0) / 2.4 * depth_f * rng::uniform(r, 0.9, 1.1),
        beta,
    };
    let domes = [dome(-1.0, lm.dome_right, r), dome(1.0, lm.dome_left, r)];
    let apex = |side: f64, r: &mut rng::PhantomRng| Apex {
        peak: [
            side * rng::uniform(r, 44.0, 54.0) * s,
            rng::uniform(r, 14.0, 28.0) * s,
            lm.apex + rng::jitter(r, 5.0),
        ],
        curvature: rng::uniform(r, 48.0, 62.0) * s,
    };
    let apices = [apex(-1.0, r), apex(1.0, r)];
    let w4 = lm.vertebra(4);
    let oblique = |w_post: f64, r: &mut rng::PhantomRng| {
        // Height of the fissure: w_post at the posterior wall (v = 90 s),
        // reaching the anterior diaphragm.
        let v_post = 90.0 * s;
        let v_ant = -70.0 * s;
        let w_ant = lm.dome_right - 10.0;
        let slope = (w_post - w_ant) / (v_post - v_ant);
        Fissure {
            w0: w_post - slope * v_post,
            v0: 0.0,
            slope_v: slope,
            curve_v: rng::uniform(r, -0.0008, 0.0015),
            slope_u: rng::uniform(r, 0.2, 0.45),
            warp: rng::uniform(r, 2.0, 5.0),
            completeness: rng::uniform(r, 0.55, 1.0),
            half_thickness: rng::uniform(r, 0.25, 0.45),
        }
    };
    let ob_r = oblique(w4 + rng::jitter(r, 12.0), r);
    let ob_l = oblique(lm.vertebra(3) + rng::jitter(r, 12.0), r);
    let horizontal = Fissure {
        w0: lm.vertebra(7) + rng::jitter(r, 10.0),
        v0: 0.0,
        slope_v: rng::uniform(r, -0.05, 0.1),
        curve_v: 0.0,
        slope_u: rng::uniform(r, 0.0, 0.12),
        warp: rng::uniform(r, 1.5, 4.0),
        completeness: rng::uniform(r, 0.3, 0.95),
        half_thickness: rng::uniform(r, 0.25, 0.4),
    };
    Lungs {
        domes,
        apices,
        oblique: [ob_r, ob_l],
        horizontal,
        pleural_gap: rng::uniform(r, 0.8, 2.0),
        atelectasis: if rng::chance(r, 0.45) {
            rng::uniform(r, 2.0, 6.0)
        } else {
            0.0
        },
        diaphragm: rng::uniform(r, 2.5, 4.5),
    }
}

/// Side index: 0 right (u < 0), 1 left.
#[inline]
pub fn side_of(u: f64) -> usize {
    usize::from(u >= 0.0)
}

impl Lungs {
    /// Diaphragm surface height at `(u, v)`: the higher of the two domes
    /// on its own side, smoothly joined under the heart.
    pub fn diaphragm_height(&self, u: f64, v: f64) -> f64 {
        let hr = self.domes[0].height(u, v).0;
        let hl = self.domes[1].height(u, v).0;
        crate::geom::smax(hr, hl, 25.0)
    }

    /// Signed distance to the lung bounds other than the chest wall and
    /// mediastinum (apex above, diaphragm below), positive outside, with
    /// the vertical component of the active normal.
    #[inline]
    pub fn caps(&self, p: V3, warp: f64) -> (f64, f64) {
        let side = side_of(p[0]);
        let (d_dome, nz_dome) = self.domes[side].below([p[0], p[1], p[2] + warp]);
        let (d_apex, nz_apex) = self.apices[side].above(p);
        if d_dome > d_apex {
            (d_dome, nz_dome)
        } else {
            (d_apex, nz_apex)
        }
    }

    /// Lobe label of a point in the lungs (`warp` from the texture field).
    #[inline]
    pub fn lobe(&self, p: V3, warp: f64) -> Label {
        let side = side_of(p[0]);
        let ob = &self.oblique[side];
        let (h, _) = ob.height(p[0], p[1]);
        if p[2] < h + ob.warp * warp {
            return if side == 0 {
                labels::LOBE_RLL
            } else {
                labels::LOBE_LLL
            };
        }
        if side == 1 {
            return labels::LOBE_LUL;
        }
        let (hh, _) = self.horizontal.height(p[0], p[1]);
        if p[2] < hh + self.horizontal.warp * warp {
            labels::LOBE_RML
        } else {
            labels::LOBE_RUL
        }
    }

    /// Coverage (0..1) of the visible fissure sheets at `p` for a pixel
    /// footprint `px` and plane thickness `h`; `warp` and `vis` come from
    /// texture fields (`vis()`, about -2..2, decides incompleteness; read
    /// only near a fissure).
    #[inline]
    pub fn fissure_cover(&self, p: V3, warp: f64, vis: &dyn Fn() -> f64, px: f64, h: f64) -> f64 {
        let side = side_of(p[0]);
        let mut best = 0.0f64;
        let ob = &self.oblique[side];
        let (ho, no) = ob.height(p[0], p[1]);
        let d_ob = (p[2] - ho - ob.warp * warp) * no;
        if d_ob.abs() < 3.0 {
            let show = smoothstep(-0.3, 0.3, vis() + 2.5 * ob.completeness - 1.6);
            let fp = px * (1.0 - no * no).sqrt().max(0.3) + h * no;
            best = best.max(show * band_coverage(d_ob, ob.half_thickness, fp + px * 0.3));
        }
        if side == 0 && d_ob > 0.0 {
            let hz = &self.horizontal;
            let (hh, nh) = hz.height(p[0], p[1]);
            let d_h = (p[2] - hh - hz.warp * warp) * nh;
            if d_h.abs() < 3.0 {
                let show = smoothstep(-0.3, 0.3, vis() + 2.5 * hz.completeness - 1.6);
                let fp = px * (1.0 - nh * nh).sqrt().max(0.3) + h * nh;
                best = best.max(show * band_coverage(d_h, hz.half_thickness, fp + px * 0.3));
            }
        }
        best
    }
}
