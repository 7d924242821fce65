//! Image formation: turns the analytic model into a CT volume (int16 HU)
//! and its label map on exactly the same grid. Each slice integrates fine
//! sub-planes through the slice profile (an odd number, at most 0.5 mm
//! apart, so a thin vessel smears to a faint blob on a 5 mm slice); labels
//! are those of the central sub-plane at pixel centres. Then the scanner
//! model ([`post`]) blurs, adds artefacts and noise. Slices are rendered
//! in parallel, each with its own seeded noise stream.

pub mod canvas;
pub mod plane;
pub mod post;

use ndarray::{Array3, Axis};
use rayon::prelude::*;
use volume::{Geometry, Volume};

use crate::anatomy::PhantomModel;
use crate::frame::grid_geometry;
use crate::labels::Label;
use crate::lesions::Lesion;
use crate::rng;
use canvas::{Canvas, PlaneGrid};

/// Largest spacing of the fine sub-planes, mm.
pub const MAX_SUBPLANE_MM: f64 = 0.5;

/// The CT grid of a model: slices of `slice_mm` covering its scan range.
pub fn geometry(model: &PhantomModel) -> Geometry {
    let p = &model.params;
    let [bottom, top] = model.scan_w;
    let n = ((top - bottom) / p.slice_mm).round().max(1.0) as usize;
    let w0 = bottom + 0.5 * p.slice_mm;
    grid_geometry(
        p.matrix,
        p.fov_mm,
        n,
        p.slice_mm,
        w0 + model.frame.origin_lps[2],
    )
}

/// Height over which one painting of the body wall (table, skin, fat,
/// muscle, breasts, arms) serves all sub-planes, mm. The wall is a smooth
/// surface whose outline moves little per millimetre of height (the body
/// cache itself is tabulated every millimetre), so its partial volume
/// through the slice profile is kept at millimetre resolution, while the
/// organs, vessels and lesions inside it are still integrated over every
/// sub-plane; painting it on every sub-plane was a tenth of the
/// generator's time. Sub-planes share the wall painted at the nearest
/// multiple of this height from the slice centre, so the central
/// sub-plane (whose labels are kept) always uses its own.
pub const BODY_REUSE_MM: f64 = 1.0;

/// Number of sub-planes per slice (odd, spacing at most [`MAX_SUBPLANE_MM`]).
pub fn subplanes(slice_mm: f64) -> usize {
    let n = (slice_mm / MAX_SUBPLANE_MM).ceil().max(1.0) as usize;
    if n.is_multiple_of(2) { n + 1 } else { n.max(3) }
}

/// Renders the CT (HU) and the labels. `lesions[i]` gets label
/// `labels::LESION_BASE + 1 + i`.
pub fn render(
    model: &PhantomModel,
    lesions: &[Box<dyn Lesion>],
    progress: &dyn imaging_io::Progress,
) -> (Volume<i16>, Volume<u16>) {
    let p = &model.params;
    let geo = geometry(model);
    let [nx, ny, nz] = geo.dims;
    let px = geo.spacing[0];
    let grid = PlaneGrid::new(nx, ny, px, [geo.origin[0], geo.origin[1]], model.frame);
    let painter = plane::Painter {
        model,
        lesions: lesions
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_ref(), crate::labels::LESION_BASE + 1 + i as Label))
            .collect(),
        body: crate::anatomy::body_plane::BodyCache::new(
            &model.body,
            model.scan_w[0] - 10.0,
            model.scan_w[1] + 10.0,
            1.0,
        ),
    };
    let mut sr = rng::stream(p.seed, "scanner");
    let mut scanner = post::ScannerModel::new(p.kernel.class, px, p.noise_hu, &mut sr);
    scanner.reference_var = reference_variance(model, scanner.mu);
    let motion_amp = if p.motion {
        rng::uniform(&mut sr, 2.5, 6.0)
    } else {
        0.0
    };
    let motion_phase = rng::uniform(&mut sr, 0.0, std::f64::consts::TAU);
    // Pixel nearest the patient axis (for noise normalisation).
    let o = model.frame.origin_lps;
    let centre = (
        ((o[0] - geo.origin[0]) / px)
            .round()
            .clamp(0.0, (nx - 1) as f64) as usize,
        ((o[1] - geo.origin[1]) / px)
            .round()
            .clamp(0.0, (ny - 1) as f64) as usize,
    );
    let nsub = subplanes(p.slice_mm);
    let h = p.slice_mm / nsub as f64;
    // Sub-planes per body-wall painting (whole sub-planes, at least one).
    let body_group = h * (BODY_REUSE_MM / h).round().max(1.0);
    let mut ct = Array3::<i16>::zeros((nz, ny, nx));
    let mut lab = Array3::<u16>::zeros((nz, ny, nx));
    progress.start("rendering slices", nz as u64);
    ct.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(lab.axis_iter_mut(Axis(0)).into_par_iter())
        .enumerate()
        .for_each_init(
            || {
                (
                    Canvas::new(&grid, &model.tissue, &model.texture),
                    Vec::new(),
                    vec![0.0f32; nx * ny],
                    BaseLayer::new(nx * ny),
                )
            },
            |(canvas, env, acc, base), (k, (mut ct_slice, mut lab_slice))| {
                let wc = geo.origin[2] + k as f64 * geo.spacing[2] - model.frame.origin_lps[2];
                acc.iter_mut().for_each(|x| *x = 0.0);
                for j in 0..nsub {
                    let w = wc - 0.5 * p.slice_mm + (j as f64 + 0.5) * h;
                    let motion = motion_amp
                        * (motion_phase
                            + 0.9 * k as f64
                            + std::f64::consts::TAU * j as f64 / nsub as f64)
                            .sin();
                    let w_base = wc + body_group * ((w - wc) / body_group).round();
                    if base.w != Some(w_base) {
                        canvas.reset(w_base, h, 0.0);
                        painter.paint_base(canvas);
                        base.value.copy_from_slice(&canvas.value);
                        base.label.copy_from_slice(&canvas.label);
                        base.w = Some(w_base);
                    }
                    canvas.reset_from(w, h, motion, &base.value, &base.label);
                    painter.paint_interior(canvas, env);
                    for (a, v) in acc.iter_mut().zip(&canvas.value) {
                        *a += v;
                    }
                    if j == nsub / 2 {
                        for (dst, src) in lab_slice.iter_mut().zip(&canvas.label) {
                            *dst = *src;
                        }
                    }
                }
                let inv = 1.0 / nsub as f32;
                let mut img: Vec<f32> = acc.iter().map(|a| a * inv).collect();
                let mut nr = rng::stream_indexed(p.seed, "noise", k as u64);
                post::finish_slice(&mut img, nx, ny, &scanner, centre, &mut nr);
                for (dst, v) in ct_slice.iter_mut().zip(&img) {
                    *dst = v.round().clamp(-1024.0, 3071.0) as i16;
                }
                progress.advance(1);
            },
        );
    progress.finish();
    // Shapes agree by construction; failures here would be programming errors.
    let ct = Volume::new(ct, geo).unwrap_or_else(|_| Volume::filled(geo, -1000));
    let lab = Volume::new(lab, geo).unwrap_or_else(|_| Volume::filled(geo, 0));
    (ct, lab)
}

/// One rendering thread's body-wall layer ([`plane::Painter::paint_base`])
/// and the height it was painted at.
struct BaseLayer {
    w: Option<f64>,
    value: Vec<f32>,
    label: Vec<Label>,
}

impl BaseLayer {
    fn new(n: usize) -> BaseLayer {
        BaseLayer {
            w: None,
            value: vec![0.0; n],
            label: vec![0; n],
        }
    }
}

/// Noise variance at the centre of an average chest slice (carina level)
/// of this patient, from its body outline: the slice where `noise_hu` holds.
fn reference_variance(model: &PhantomModel, mu: f64) -> f64 {
    let w = model.landmarks.carina;
    let l = |th: f64| model.body.layers(th, w).skin;
    let lr = (l(0.0) + l(std::f64::consts::PI)) * 0.62;
    let ap = (l(std::f64::consts::FRAC_PI_2) + l(-std::f64::consts::FRAC_PI_2)) * 0.8;
    let e = |x: f64| (mu * x).exp();
    0.25 * (e(lr) + e(ap) + 2.0 * e(0.5 * (lr + ap) * 1.1))
}
