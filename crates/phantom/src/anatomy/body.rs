//! The body wall, from the inside out: the thoracic/abdominal *core*
//! (parietal pleura in the chest), the rib/intercostal layer, muscles
//! (pectorals, paraspinals, latissimus, shoulder girdle), subcutaneous fat
//! (habitus), skin; breasts; the arms (down, up or absent); and the
//! scanner table the patient lies on (the back flattens against it).
//!
//! Cross-sections are *radial shapes*: a radius for every direction about
//! the chest axis, a superellipse with separate anterior and posterior
//! half-depths, a spine notch and smooth random harmonics, all varying
//! smoothly with height `w`.

use serde::{Deserialize, Serialize};

use crate::anatomy::body_plane::BodyPlane;
use crate::anatomy::prims::Tube;
use crate::anatomy::spine::Landmarks;
use crate::geom::{Profile, V3, smoothstep};
use crate::params::{Arms, PhantomParams, Sex, ShapeFamily};
use crate::rng::{self, PhantomRng};

/// One smooth random harmonic of a radial shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Harmonic {
    /// Angular order.
    pub k: f64,
    /// Relative amplitude as a function of `w`.
    pub amp: Profile,
    /// Phase, radians.
    pub phase: f64,
}

/// A cross-section shape about the chest axis that varies with height.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadialSpec {
    /// Half-width (left-right), mm.
    pub a: Profile,
    /// Anterior half-depth, mm.
    pub b_ant: Profile,
    /// Posterior half-depth, mm.
    pub b_post: Profile,
    /// Superellipse exponent (2 = ellipse, larger = boxier).
    pub n: Profile,
    /// Random harmonics.
    pub harmonics: Vec<Harmonic>,
    /// Radius at the posterior midline (spine notch), when notched.
    pub notch: Option<Profile>,
    /// The radii tabulated over angle and height (filled by
    /// [`RadialSpec::prepare`] or on first use; not part of the shape).
    #[serde(skip)]
    pub cache: RadiusCache,
}

/// Angular bins of the radius table (0.18 degrees: about 0.5 mm of arc
/// at the widest chest; the shape's harmonics are of order <= 6).
const RADIUS_TABLE_ANGLES: usize = 2048;
/// Height step of the radius table, mm (the profiles vary over tens of mm).
const RADIUS_TABLE_STEP_MM: f64 = 1.0;

/// [`RadialSpec::radius_exact`] tabulated on a regular (height, angle)
/// grid over the heights where the profiles vary (beyond them every
/// profile holds its end value, so clamping the height is exact). Every
/// lung, pleural and wall distance of the generator asks for a radius, per
/// pixel and many times per pixel: the table turns a dozen powers and
/// cosines into a bilinear look-up, within 0.01 mm of the exact radius.
#[derive(Clone, Default)]
pub struct RadiusCache(std::sync::OnceLock<RadiusTable>);

/// The filled table of a [`RadiusCache`].
#[derive(Clone)]
pub struct RadiusTable {
    w0: f64,
    nw: usize,
    radii: Vec<f32>,
}

impl std::fmt::Debug for RadiusCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "RadiusCache(filled)"
        } else {
            "RadiusCache(empty)"
        })
    }
}

/// A cache carries no identity: two shapes are equal when their profiles are.
impl PartialEq for RadiusCache {
    fn eq(&self, _: &RadiusCache) -> bool {
        true
    }
}

impl RadialSpec {
    /// Fills the radius table now (it is otherwise filled on first use).
    pub fn prepare(&self) {
        self.table();
    }

    fn table(&self) -> &RadiusTable {
        // Filled sequentially: a parallel fill inside `get_or_init` could
        // steal a job that asks for the same table and wait on itself.
        self.cache.0.get_or_init(|| {
            let (lo, hi) = self.knot_range();
            let nw = ((hi - lo) / RADIUS_TABLE_STEP_MM).ceil().max(0.0) as usize + 1;
            let mut radii = Vec::with_capacity(nw * RADIUS_TABLE_ANGLES);
            for k in 0..nw {
                let w = lo + k as f64 * RADIUS_TABLE_STEP_MM;
                for i in 0..RADIUS_TABLE_ANGLES {
                    let theta = i as f64 / RADIUS_TABLE_ANGLES as f64 * std::f64::consts::TAU
                        - std::f64::consts::PI;
                    radii.push(self.radius_exact(theta, w) as f32);
                }
            }
            RadiusTable { w0: lo, nw, radii }
        })
    }

    /// The lowest and highest knot height of every profile of the shape.
    fn knot_range(&self) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let profiles = [&self.a, &self.b_ant, &self.b_post, &self.n]
            .into_iter()
            .chain(self.harmonics.iter().map(|h| &h.amp))
            .chain(self.notch.iter());
        for p in profiles {
            for &(x, _) in &p.knots {
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) }
    }

    /// Radius (mm) in direction `theta` (0 = left, pi/2 = posterior) at
    /// `w`, from the table (bilinear).
    #[inline]
    pub fn radius(&self, theta: f64, w: f64) -> f64 {
        let t = self.table();
        let fw = ((w - t.w0) / RADIUS_TABLE_STEP_MM).clamp(0.0, (t.nw - 1) as f64);
        let k0 = (fw as usize).min(t.nw.saturating_sub(2));
        let k1 = (k0 + 1).min(t.nw - 1);
        let tw = (fw - k0 as f64) as f32;
        let n = RADIUS_TABLE_ANGLES;
        let fa = ((theta + std::f64::consts::PI) / std::f64::consts::TAU * n as f64)
            .rem_euclid(n as f64);
        let i0 = (fa as usize).min(n - 1);
        let i1 = (i0 + 1) % n;
        let ta = (fa - i0 as f64) as f32;
        let row = |k: usize| {
            let r = &t.radii[k * n..(k + 1) * n];
            r[i0] + ta * (r[i1] - r[i0])
        };
        let (a, b) = (row(k0), row(k1));
        (a + tw * (b - a)) as f64
    }

    /// Radius (mm) in direction `theta` (0 = left, pi/2 = posterior) at
    /// `w`, evaluated from the profiles.
    pub fn radius_exact(&self, theta: f64, w: f64) -> f64 {
        let (s, c) = theta.sin_cos();
        let a = self.a.at(w).max(1.0);
        let b = if s > 0.0 {
            self.b_post.at(w)
        } else {
            self.b_ant.at(w)
        }
        .max(1.0);
        let n = self.n.at(w);
        let mut r = ((c / a).abs().powf(n) + (s / b).abs().powf(n)).powf(-1.0 / n);
        let mut f = 1.0;
        for h in &self.harmonics {
            f += h.amp.at(w) * (h.k * theta + h.phase).cos();
        }
        r *= f;
        if let Some(notch) = &self.notch {
            let nr = notch.at(w);
            let g = (-((theta - std::f64::consts::FRAC_PI_2) / 0.26).powi(2)).exp();
            r = r + g * (nr.min(r) - r);
        }
        r
    }
}

/// A smooth bump of muscle or fat thickness over an angular range and a
/// height range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bump {
    /// Centre angle, radians.
    pub theta: f64,
    /// Angular half-width (Gaussian sigma), radians.
    pub sigma: f64,
    /// Height range `[w_low, w_high]` with smooth edges of `edge` mm.
    pub w_range: [f64; 2],
    /// Edge softness, mm.
    pub edge: f64,
    /// Thickness at the centre, mm.
    pub amp: f64,
}

impl Bump {
    #[inline]
    fn at(&self, theta: f64, w: f64) -> f64 {
        let mut d = (theta - self.theta).abs();
        if d > std::f64::consts::PI {
            d = std::f64::consts::TAU - d;
        }
        let g = (-(d / self.sigma).powi(2)).exp();
        let hz = smoothstep(self.w_range[0] - self.edge, self.w_range[0] + self.edge, w)
            * (1.0 - smoothstep(self.w_range[1] - self.edge, self.w_range[1] + self.edge, w));
        self.amp * g * hz
    }
}

/// The layered body wall and outline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// Inner surface of the chest and abdominal wall (parietal pleura in the chest).
    pub core: RadialSpec,
    /// Thickness of the rib and intercostal layer by height, mm.
    pub wall: Profile,
    /// Base muscle thickness by height, mm.
    pub muscle_base: Profile,
    /// Muscle groups.
    pub muscles: Vec<Bump>,
    /// Subcutaneous fat thickness by height (before angular factors), mm.
    pub fat: Profile,
    /// Angular fat modulation (breasts, flanks, back).
    pub fat_bumps: Vec<Bump>,
    /// Skin thickness, mm.
    pub skin: f64,
    /// Top and bottom of the modelled body, `w` mm.
    pub w_range: [f64; 2],
    /// Arm soft tissue (left, right), when in view.
    pub arms: Vec<Arm>,
    /// Glandular breast tissue regions (women).
    pub breasts: Vec<crate::anatomy::prims::Ellipsoid>,
    /// Patient `v` of the surface the back rests on (the soft tissue of
    /// the back spreads down to it at every level); `None` before the
    /// table is placed.
    pub back_v: Option<f64>,
}

/// One arm's soft tissue around its axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// True for the left arm.
    pub left: bool,
    /// Outer (skin) surface around the arm axis.
    pub outer: Tube,
    /// Subcutaneous fat thickness, mm.
    pub fat: f64,
}

/// Radii of the body layers in one direction.
#[derive(Debug, Clone, Copy)]
pub struct Layers {
    /// Core (inner wall) radius.
    pub core: f64,
    /// Outer surface of the rib layer.
    pub wall: f64,
    /// Outer surface of the muscles.
    pub muscle: f64,
    /// Skin surface.
    pub skin: f64,
}

impl Body {
    /// Layer radii in direction `theta` at height `w`.
    pub fn layers(&self, theta: f64, w: f64) -> Layers {
        let core = self.core.radius(theta, w);
        let wall = core + self.wall.at(w);
        let mut m = self.muscle_base.at(w);
        for b in &self.muscles {
            m += b.at(theta, w);
        }
        let muscle = wall + m;
        let s = theta.sin();
        // More fat laterally and posteriorly, less over the sternum.
        let ang = 1.0 + 0.25 * theta.cos().abs() - 0.2 * (-s).max(0.0).powi(2) + 0.1 * s.max(0.0);
        let mut f = self.fat.at(w) * ang;
        for b in &self.fat_bumps {
            f += b.at(theta, w);
        }
        Layers {
            core,
            wall,
            muscle,
            skin: muscle + f.max(1.0) + self.skin,
        }
    }

    /// Tables of the layers at `w`.
    pub fn plane(&self, w: f64) -> BodyPlane {
        BodyPlane::from_layers(&self.ring(w))
    }

    /// Layer radii in every table direction at `w`. The skin is smoothed
    /// over angle (subcutaneous fat fills the grooves between muscles),
    /// never coming closer than 2 mm to the muscles.
    pub fn ring(&self, w: f64) -> Vec<Layers> {
        let n = crate::render::canvas::ANGLES;
        let mut l: Vec<Layers> = (0..n)
            .map(|i| self.layers(crate::render::canvas::bin_angle(i), w))
            .collect();
        let half = n / 40;
        let skin: Vec<f64> = l.iter().map(|x| x.skin).collect();
        // Circular moving average by prefix sums over three turns.
        let mut pre = vec![0.0; 3 * n + 1];
        for k in 0..3 * n {
            pre[k + 1] = pre[k] + skin[k % n];
        }
        for i in 0..n {
            let avg = (pre[i + n + half + 1] - pre[i + n - half]) / (2 * half + 1) as f64;
            l[i].skin = avg.max(l[i].muscle + 2.0 + self.skin);
        }
        if let Some(bv) = self.back_v {
            // The back rests on the mattress at every level: where this
            // level's outline falls short of it, the posterior soft tissue
            // bulges smoothly down to it (the flattening then cuts a
            // contact patch).
            let lowest = l
                .iter()
                .enumerate()
                .map(|(i, li)| li.skin * crate::render::canvas::bin_angle(i).sin())
                .fold(f64::NEG_INFINITY, f64::max);
            let extra = (bv + 8.0 - lowest).clamp(0.0, 60.0);
            if extra > 0.0 {
                for (i, li) in l.iter_mut().enumerate() {
                    let s = crate::render::canvas::bin_angle(i).sin();
                    if s > 0.0 {
                        li.skin += extra * s.powi(4);
                    }
                }
            }
        }
        l
    }

    /// True when `w` is inside the modelled body height.
    pub fn spans(&self, w: f64) -> bool {
        w >= self.w_range[0] && w <= self.w_range[1]
    }
}

/// Builds the body for a patient.
pub fn build(p: &PhantomParams, lm: &Landmarks, spine_v: &Profile) -> Body {
    let r = &mut rng::stream(p.seed, "body");
    let s = lm.size;
    let ls = p.lung_scale.cbrt();
    let v = |i: usize| lm.vertebra(i);
    let fam = p.shape_family;
    let (fa, fb_ant, fb_post, n_exp, top_narrow) = match fam {
        ShapeFamily::Ovoid => (1.0, 1.0, 1.0, 2.35, 1.0),
        ShapeFamily::Tapered => (0.97, 0.9, 0.97, 2.05, 0.86),
        ShapeFamily::Barrel => (0.95, 1.16, 1.1, 2.15, 0.98),
    };
    let k = |x: f64| x * s * ls;
    let top = lm.apex + 60.0;
    let bottom = lm.recess - 80.0;
    // Half-widths of the inner chest wall (lungs) and its continuation.
    let a = Profile::new(vec![
        (top, 48.0 * s),
        (v(0) + 12.0, 56.0 * s),
        (v(1), k(72.0) * top_narrow),
        (v(2), k(95.0) * top_narrow),
        (v(4), k(117.0) * (0.5 + 0.5 * top_narrow)),
        (v(6), k(128.0)),
        (v(8), k(134.0)),
        (v(10), k(136.0)),
        (v(12), k(134.0)),
        (v(14), k(130.0)),
        (bottom, k(128.0)),
    ])
    .scaled(1.06 * fa * rng::normal(r, 1.0, 0.03, 0.92, 1.08));
    let b_ant = Profile::new(vec![
        (top, 22.0 * s),
        (v(0) + 12.0, 30.0 * s),
        (v(1), k(40.0)),
        (v(2), k(52.0)),
        (v(4), k(68.0)),
        (v(6), k(80.0)),
        (v(8), k(86.0)),
        (v(10), k(88.0)),
        (v(12), k(90.0)),
        (bottom, k(88.0)),
    ])
    .scaled(1.1 * fb_ant * rng::normal(r, 1.0, 0.04, 0.9, 1.1));
    let b_post = Profile::new(vec![
        (top, 38.0 * s),
        (v(0) + 12.0, 46.0 * s),
        (v(1), k(68.0)),
        (v(3), k(92.0)),
        (v(5), k(102.0)),
        (v(8), k(106.0)),
        (v(11), k(104.0)),
        (v(13), k(96.0)),
        (bottom, k(86.0)),
    ])
    .scaled(1.05 * fb_post * rng::normal(r, 1.0, 0.03, 0.92, 1.08));
    let harmonics = (2..=6)
        .map(|kk| {
            let amp = rng::uniform(r, 0.004, 0.018) / (kk as f64 - 1.0).sqrt();
            Harmonic {
                k: kk as f64,
                amp: Profile::new(
                    (0..6)
                        .map(|j| {
                            (
                                top - j as f64 * (top - bottom) / 5.0,
                                amp * rng::uniform(r, 0.3, 1.3),
                            )
                        })
                        .collect(),
                ),
                phase: rng::uniform(r, 0.0, std::f64::consts::TAU),
            }
        })
        .collect();
    // The notch keeps lungs in front of the posterior elements.
    let notch = Profile::new(
        (0..24)
            .map(|j| {
                let w = top - j as f64 * (top - bottom) / 23.0;
                (w, spine_v.at(w) + 14.0 * s)
            })
            .collect(),
    );
    let core = RadialSpec {
        a,
        b_ant,
        b_post,
        n: Profile::new(vec![(top, 2.0), (v(2), n_exp), (bottom, n_exp - 0.1)]),
        harmonics,
        notch: Some(notch),
        cache: RadiusCache::default(),
    };
    core.prepare();
    let wall = Profile::new(vec![
        (top, 2.0),
        (v(0) + 10.0, 5.0),
        (v(1), 11.0 * s),
        (v(12), 11.0 * s),
        (v(14), 9.0 * s),
    ]);
    let male = p.sex == Sex::Male;
    let muscular = if male { 1.0 } else { 0.75 } * rng::normal(r, 1.0, 0.12, 0.7, 1.3);
    let pi = std::f64::consts::PI;
    let mut muscles = vec![
        // Pectoralis major and minor.
        bump(
            -0.5 * pi - 0.75,
            0.5,
            [v(6), lm.sternal_notch + 5.0],
            25.0,
            22.0 * s * muscular,
        ),
        bump(
            -0.5 * pi + 0.75,
            0.5,
            [v(6), lm.sternal_notch + 5.0],
            25.0,
            22.0 * s * muscular,
        ),
        // Paraspinal (erector spinae), both sides of the spinous processes.
        bump(
            0.5 * pi - 0.2,
            0.2,
            [bottom - 50.0, top + 50.0],
            20.0,
            36.0 * s * muscular.sqrt(),
        ),
        bump(
            0.5 * pi + 0.2,
            0.2,
            [bottom - 50.0, top + 50.0],
            20.0,
            36.0 * s * muscular.sqrt(),
        ),
        // Latissimus dorsi and serratus, posterolateral lower chest.
        bump(0.5 * pi - 1.0, 0.4, [v(12), v(5)], 40.0, 6.0 * s * muscular),
        bump(0.5 * pi + 1.0, 0.4, [v(12), v(5)], 40.0, 6.0 * s * muscular),
        // Shoulder girdle muscles around the scapulae (trapezius,
        // supraspinatus, infraspinatus, subscapularis).
        bump(
            0.5 * pi - 0.85,
            0.42,
            [v(6), top],
            30.0,
            20.0 * s * muscular.sqrt(),
        ),
        bump(
            0.5 * pi + 0.85,
            0.42,
            [v(6), top],
            30.0,
            20.0 * s * muscular.sqrt(),
        ),
        // Neck muscles.
        bump(0.5 * pi, 1.2, [v(1), top + 40.0], 15.0, 25.0 * s),
        bump(
            -0.5 * pi,
            0.9,
            [lm.sternal_notch + 10.0, top + 40.0],
            10.0,
            12.0 * s,
        ),
    ];
    // Shoulders: deltoids over the humeral heads widen the upper body.
    let shoulder_w = lm.sternal_notch + 10.0;
    let (sh_amp, sh_range) = match p.arms {
        Arms::Down => (68.0 * s, [shoulder_w - 55.0, shoulder_w + 40.0]),
        Arms::Up => (40.0 * s, [shoulder_w - 30.0, shoulder_w + 60.0]),
        Arms::Absent => (45.0 * s, [shoulder_w - 40.0, shoulder_w + 35.0]),
    };
    for th in [0.05, pi - 0.05] {
        muscles.push(bump(th, 0.5, sh_range, 22.0, sh_amp * muscular.sqrt()));
    }
    // Abdominal wall muscles (rectus) anteriorly low.
    muscles.push(bump(
        -0.5 * pi,
        0.55,
        [bottom - 40.0, v(10)],
        30.0,
        9.0 * s * muscular,
    ));
    let fat_mm =
        (4.0 + (p.bmi - 19.0) * 2.1).clamp(3.0, 55.0) * rng::normal(r, 1.0, 0.12, 0.75, 1.25);
    let fat = Profile::new(vec![
        (top, fat_mm * 0.35),
        (lm.sternal_notch, fat_mm * 0.8),
        (v(6), fat_mm),
        (v(11), fat_mm * 1.15),
        (bottom, fat_mm * 1.35),
    ]);
    let mut fat_bumps = Vec::new();
    let mut breasts = Vec::new();
    if !male {
        let size = rng::uniform(r, 12.0, 30.0) + 0.9 * (p.bmi - 22.0).max(0.0);
        let wb = 0.5 * (v(5) + v(6)) + rng::jitter(r, 10.0);
        for sgn in [1.0, -1.0] {
            let th = -0.5 * pi + sgn * 0.72;
            fat_bumps.push(bump(th, 0.38, [wb - 45.0, wb + 35.0], 30.0, size * s));
            let dir = [th.cos(), th.sin(), 0.0];
            let base = core.radius(th, wb) + wall.at(wb) + 20.0 * s;
            let c = crate::geom::add_scaled([0.0, 0.0, wb - 10.0], dir, base + 0.35 * size * s);
            breasts.push(crate::anatomy::prims::Ellipsoid::oriented(
                c,
                dir,
                [0.0, 0.0, 1.0],
                [0.35 * size * s + 6.0, 45.0 * s, 40.0 * s],
            ));
        }
    } else if p.bmi > 28.0 {
        let size = (p.bmi - 28.0) * 1.2;
        let wb = 0.5 * (v(5) + v(6));
        for sgn in [1.0, -1.0] {
            fat_bumps.push(bump(
                -0.5 * pi + sgn * 0.75,
                0.35,
                [wb - 40.0, wb + 30.0],
                30.0,
                size * s,
            ));
        }
    }
    // Flank and back fat folds.
    fat_bumps.push(bump(0.5 * pi, 0.7, [bottom, v(8)], 40.0, 0.25 * fat_mm));
    let mut body = Body {
        core,
        wall,
        muscle_base: Profile::new(vec![(top, 6.0 * s), (v(1), 5.0 * s), (bottom, 4.0 * s)]),
        muscles,
        fat,
        fat_bumps,
        skin: rng::uniform(r, 1.6, 2.6),
        w_range: [bottom, top],
        arms: Vec::new(),
        breasts,
        back_v: None,
    };
    body.arms = arms(p, lm, &body, r);
    body
}

fn bump(theta: f64, sigma: f64, w_range: [f64; 2], edge: f64, amp: f64) -> Bump {
    Bump {
        theta,
        sigma,
        w_range,
        edge,
        amp,
    }
}

/// Shoulder joint centre (humeral head) of a side at height `w_sh`.
pub fn shoulder_joint(body: &Body, left: bool, w_sh: f64, size: f64) -> V3 {
    let th = if left {
        0.08
    } else {
        std::f64::consts::PI - 0.08
    };
    let l = body.layers(th, w_sh);
    let u = (l.wall + 10.0 * size) * if left { 1.0 } else { -1.0 };
    [u, 12.0 * size, w_sh]
}

fn arms(p: &PhantomParams, lm: &Landmarks, body: &Body, r: &mut PhantomRng) -> Vec<Arm> {
    let s = lm.size;
    let fat = (3.0 + (p.bmi - 19.0) * 1.6).clamp(3.0, 40.0);
    let w_sh = lm.sternal_notch + 14.0 * s;
    let mut out = Vec::new();
    for left in [true, false] {
        let sg = if left { 1.0 } else { -1.0 };
        let joint = shoulder_joint(body, left, w_sh, s);
        let rad = 36.0 * s + fat;
        match p.arms {
            Arms::Down => {
                let gap = rng::uniform(r, 0.0, 18.0);
                let mut pts = Vec::new();
                let mut radii = Vec::new();
                for j in 0..12 {
                    let w = w_sh - j as f64 * 32.0;
                    let th = if left { 0.0 } else { std::f64::consts::PI };
                    let outline = body.layers(th, w).skin;
                    let taper = 1.0 - 0.12 * (j as f64 / 11.0);
                    let rr = rad * taper;
                    let u = if j == 0 {
                        joint[0]
                    } else {
                        sg * (outline + rr + gap * smoothstep(0.0, 3.0, j as f64))
                            .max(joint[0].abs())
                    };
                    pts.push([u, 5.0 * s + 3.0 * j as f64, w]);
                    radii.push(rr * if j == 0 { 1.05 } else { 1.0 });
                }
                out.push(Arm {
                    left,
                    outer: Tube::circular(&pts, &radii),
                    fat,
                });
            }
            Arms::Up => {
                let dir = crate::geom::normalize([sg * 0.45, 0.2, 1.0]);
                let pts: Vec<V3> = (0..6)
                    .map(|j| crate::geom::add_scaled(joint, dir, 55.0 * s + j as f64 * 40.0))
                    .collect();
                let radii: Vec<f64> = (0..6).map(|j| rad * (1.0 - 0.02 * j as f64)).collect();
                out.push(Arm {
                    left,
                    outer: Tube::circular(&pts, &radii),
                    fat,
                });
            }
            Arms::Absent => {}
        }
    }
    out
}
