//! One fine axial sub-plane being painted: the value (HU) and label of
//! every pixel at patient height `w`, plus scratch buffers. Structures
//! paint themselves in order (later ones cover earlier ones) with an
//! anti-aliased coverage computed from their signed distance over the
//! pixel footprint, so that edges carry partial volume exactly like the
//! rest of the image; labels are point samples at pixel centres.
//!
//! [`PlaneGrid`] holds what is the same for every plane: the patient
//! coordinates `(u, v)` of every pixel centre and their polar form about
//! the chest axis (for the radial body shapes).

use crate::frame::PatientFrame;
use crate::geom::{Aabb, edge_coverage};
use crate::labels::Label;
use crate::texture::Texture;
use crate::tissue::TissueValues;

/// Number of angular bins of radial tables.
pub const ANGLES: usize = 1024;

/// Pixel positions shared by every plane of one phantom.
#[derive(Debug, Clone)]
pub struct PlaneGrid {
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
    /// Pixel size, mm.
    pub px: f64,
    /// LPS x of column 0 and LPS y of row 0 (pixel centres).
    pub origin_xy: [f64; 2],
    /// Patient frame.
    pub frame: PatientFrame,
    /// Patient `u` of each pixel centre.
    pub u: Vec<f32>,
    /// Patient `v` of each pixel centre.
    pub v: Vec<f32>,
    /// Distance of each pixel centre from the chest axis, mm.
    pub rho: Vec<f32>,
    /// Angle of each pixel centre as a fractional index into radial
    /// tables of [`ANGLES`] bins (0 = patient left, increasing towards
    /// posterior).
    pub angle: Vec<f32>,
}

/// A rectangle of pixels: columns `x0..x1`, rows `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// First column.
    pub x0: usize,
    /// One past the last column.
    pub x1: usize,
    /// First row.
    pub y0: usize,
    /// One past the last row.
    pub y1: usize,
}

impl PlaneGrid {
    /// Pixel positions of an `nx` x `ny` grid of `px` mm pixels whose
    /// pixel (0, 0) centre is at LPS `origin_xy`.
    pub fn new(nx: usize, ny: usize, px: f64, origin_xy: [f64; 2], frame: PatientFrame) -> Self {
        let n = nx * ny;
        let (mut u, mut v, mut rho, mut angle) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for j in 0..ny {
            for i in 0..nx {
                let x = origin_xy[0] + i as f64 * px;
                let y = origin_xy[1] + j as f64 * px;
                let p = frame.to_patient([x, y, frame.origin_lps[2]]);
                u.push(p[0] as f32);
                v.push(p[1] as f32);
                rho.push(p[0].hypot(p[1]) as f32);
                angle.push(angle_index(p[0], p[1]) as f32);
            }
        }
        PlaneGrid {
            nx,
            ny,
            px,
            origin_xy,
            frame,
            u,
            v,
            rho,
            angle,
        }
    }

    /// The pixels whose centres may lie in the patient-frame rectangle
    /// `[umin, umax] x [vmin, vmax]` (grown by one pixel), or `None` when
    /// it misses the image.
    pub fn rect(&self, umin: f64, umax: f64, vmin: f64, vmax: f64) -> Option<Rect> {
        if !(umin <= umax && vmin <= vmax) {
            return None;
        }
        let (mut xmin, mut xmax, mut ymin, mut ymax) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for (cu, cv) in [(umin, vmin), (umin, vmax), (umax, vmin), (umax, vmax)] {
            let l = self.frame.to_lps([cu, cv, 0.0]);
            let fx = (l[0] - self.origin_xy[0]) / self.px;
            let fy = (l[1] - self.origin_xy[1]) / self.px;
            xmin = xmin.min(fx);
            xmax = xmax.max(fx);
            ymin = ymin.min(fy);
            ymax = ymax.max(fy);
        }
        let x0 = (xmin - 1.0).floor().max(0.0);
        let y0 = (ymin - 1.0).floor().max(0.0);
        let x1 = (xmax + 2.0).ceil().min(self.nx as f64);
        let y1 = (ymax + 2.0).ceil().min(self.ny as f64);
        if x0 >= x1 || y0 >= y1 {
            return None;
        }
        Some(Rect {
            x0: x0 as usize,
            x1: x1 as usize,
            y0: y0 as usize,
            y1: y1 as usize,
        })
    }

    /// The pixel rectangle of a box's footprint (its u, v extent).
    pub fn rect_of(&self, b: &Aabb) -> Option<Rect> {
        self.rect(b.min[0], b.max[0], b.min[1], b.max[1])
    }

    /// The whole image.
    pub fn full(&self) -> Rect {
        Rect {
            x0: 0,
            x1: self.nx,
            y0: 0,
            y1: self.ny,
        }
    }
}

/// Fractional radial-table index of the direction `(u, v)`.
#[inline]
pub fn angle_index(u: f64, v: f64) -> f64 {
    let a = v.atan2(u); // -pi..pi
    let f = (a + std::f64::consts::PI) / std::f64::consts::TAU * ANGLES as f64;
    if f >= ANGLES as f64 { 0.0 } else { f }
}

/// Angle (radians, -pi..pi) of radial-table bin `i`.
#[inline]
pub fn bin_angle(i: usize) -> f64 {
    i as f64 / ANGLES as f64 * std::f64::consts::TAU - std::f64::consts::PI
}

/// A radial shape cut at one height: its radius in every direction about
/// the chest axis, and the factor turning a radial difference into an
/// approximate normal distance.
#[derive(Debug, Clone)]
pub struct RadialTable {
    /// Radius per bin, mm (0 where the shape is absent).
    pub r: Vec<f32>,
    /// `cos` of the angle between the ray and the boundary normal.
    pub cosn: Vec<f32>,
    /// Largest radius (for bounding boxes).
    pub rmax: f64,
}

impl RadialTable {
    /// Tabulates `radius(angle)` over [`ANGLES`] bins.
    pub fn new(radius: impl Fn(f64) -> f64) -> RadialTable {
        let r: Vec<f64> = (0..ANGLES).map(|i| radius(bin_angle(i)).max(0.0)).collect();
        let dth = std::f64::consts::TAU / ANGLES as f64;
        let cosn = (0..ANGLES)
            .map(|i| {
                let dr = (r[(i + 1) % ANGLES] - r[(i + ANGLES - 1) % ANGLES]) / (2.0 * dth);
                let ri = r[i].max(1e-3);
                (ri / (ri * ri + dr * dr).sqrt()) as f32
            })
            .collect();
        let rmax = r.iter().cloned().fold(0.0, f64::max);
        RadialTable {
            r: r.into_iter().map(|x| x as f32).collect(),
            cosn,
            rmax,
        }
    }

    /// Signed distance (mm, negative inside) of a pixel with polar
    /// coordinates `rho`, fractional bin `a`.
    #[inline]
    pub fn sdf(&self, rho: f32, a: f32) -> f32 {
        let ia = a as usize;
        let i = ia % ANGLES;
        let j = (i + 1) % ANGLES;
        let f = a - ia as f32;
        let r = self.r[i] + f * (self.r[j] - self.r[i]);
        (rho - r) * self.cosn[i]
    }

    /// Radius at a fractional bin.
    #[inline]
    pub fn radius(&self, a: f32) -> f32 {
        let ia = a as usize;
        let i = ia % ANGLES;
        let j = (i + 1) % ANGLES;
        let f = a - ia as f32;
        self.r[i] + f * (self.r[j] - self.r[i])
    }
}

/// One sub-plane being painted.
pub struct Canvas<'a> {
    /// Pixel positions.
    pub grid: &'a PlaneGrid,
    /// Tissue values of the phantom.
    pub tissue: &'a TissueValues,
    /// Tissue texture.
    pub texture: &'a Texture,
    /// Patient height of the plane, mm.
    pub w: f64,
    /// Thickness represented by the plane (sub-plane spacing), mm.
    pub h: f64,
    /// Cardiac/respiratory displacement for this plane, mm (motion artefact).
    pub motion: f64,
    /// HU per pixel.
    pub value: Vec<f32>,
    /// Label per pixel.
    pub label: Vec<Label>,
    /// Scratch coverage buffers (cleared by their users).
    pub scratch: [Vec<f32>; 3],
    /// Tube painting: largest coverage per pixel (kept at 0 between uses).
    pub tube_cov: Vec<f32>,
    /// Tube painting: smallest distance per pixel (kept at `f32::MAX`).
    pub tube_d: Vec<f32>,
    /// Tube painting: the pixels whose `tube_d` was set (emptied by its user).
    pub tube_touched: Vec<u32>,
}

impl<'a> Canvas<'a> {
    /// An air-filled plane.
    pub fn new(grid: &'a PlaneGrid, tissue: &'a TissueValues, texture: &'a Texture) -> Self {
        let n = grid.nx * grid.ny;
        Canvas {
            grid,
            tissue,
            texture,
            w: 0.0,
            h: 0.5,
            motion: 0.0,
            value: vec![tissue.air as f32; n],
            label: vec![0; n],
            scratch: [vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            tube_cov: vec![0.0; n],
            tube_d: vec![f32::MAX; n],
            tube_touched: Vec::new(),
        }
    }

    /// Resets to air at height `w`.
    pub fn reset(&mut self, w: f64, h: f64, motion: f64) {
        self.w = w;
        self.h = h;
        self.motion = motion;
        let air = self.tissue.air as f32;
        self.value.iter_mut().for_each(|x| *x = air);
        self.label.iter_mut().for_each(|x| *x = 0);
    }

    /// Starts a plane at `w` from a previously painted base layer (values
    /// and labels of the same grid) instead of air.
    pub fn reset_from(&mut self, w: f64, h: f64, motion: f64, value: &[f32], label: &[Label]) {
        self.w = w;
        self.h = h;
        self.motion = motion;
        self.value.copy_from_slice(value);
        self.label.copy_from_slice(label);
    }

    /// Paints a structure over `rect`: `f(index, u, v)` returns the signed
    /// distance (mm, negative inside) and the tissue value there, or `None`
    /// to leave the pixel alone. Coverage is the pixel-footprint overlap;
    /// the label is set where the pixel centre is inside.
    #[inline]
    pub fn paint<F>(&mut self, rect: Rect, label: Label, mut f: F)
    where
        F: FnMut(usize, f32, f32) -> Option<(f32, f32)>,
    {
        let px = self.grid.px as f32;
        let nx = self.grid.nx;
        for y in rect.y0..rect.y1 {
            let row = y * nx;
            for x in rect.x0..rect.x1 {
                let i = row + x;
                if let Some((d, val)) = f(i, self.grid.u[i], self.grid.v[i]) {
                    let a = (0.5 - d / px).clamp(0.0, 1.0);
                    if a > 0.0 {
                        self.value[i] += a * (val - self.value[i]);
                        if d < 0.0 {
                            self.label[i] = label;
                        }
                    }
                }
            }
        }
    }

    /// Like [`Canvas::paint`] but `f` returns the coverage (0..1), whether
    /// the pixel centre is inside, the value and the label itself.
    #[inline]
    pub fn paint_cov<F>(&mut self, rect: Rect, mut f: F)
    where
        F: FnMut(usize, f32, f32) -> Option<(f32, bool, f32, Label)>,
    {
        let nx = self.grid.nx;
        for y in rect.y0..rect.y1 {
            let row = y * nx;
            for x in rect.x0..rect.x1 {
                let i = row + x;
                if let Some((a, inside, val, lab)) = f(i, self.grid.u[i], self.grid.v[i]) {
                    if a > 0.0 {
                        self.value[i] += a.min(1.0) * (val - self.value[i]);
                    }
                    if inside {
                        self.label[i] = lab;
                    }
                }
            }
        }
    }

    /// [`Canvas::paint_cov`] over the 4 x 4 pixel blocks of `rect` that
    /// may matter: `cull(u, v)` (a signed distance, 1-Lipschitz) is read
    /// at block corners and blocks farther than `margin` mm outside are
    /// skipped, so expensive shapes cost little away from themselves.
    pub fn paint_cov_culled<C, F>(&mut self, rect: Rect, cull: C, margin: f32, mut f: F)
    where
        C: Fn(f32, f32) -> f32,
        F: FnMut(usize, f32, f32) -> Option<(f32, bool, f32, Label)>,
    {
        const B: usize = 4;
        let nx = self.grid.nx;
        let bw = (rect.x1 - rect.x0).div_ceil(B);
        let bh = (rect.y1 - rect.y0).div_ceil(B);
        let px = self.grid.px as f32;
        let (sa, ca) = self.grid.frame.rotation_rad.sin_cos();
        let o = self.grid.origin_xy;
        let fr = self.grid.frame;
        // Corner values on the block lattice (in patient coordinates).
        let mut corner = vec![0.0f32; (bw + 1) * (bh + 1)];
        for by in 0..=bh {
            for bx in 0..=bw {
                let x = o[0] + (rect.x0 + bx * B) as f64 * self.grid.px - fr.origin_lps[0];
                let y = o[1] + (rect.y0 + by * B) as f64 * self.grid.px - fr.origin_lps[1];
                let u = ca * x + sa * y;
                let v = -sa * x + ca * y;
                corner[by * (bw + 1) + bx] = cull(u as f32, v as f32);
            }
        }
        let reach = margin + B as f32 * px * 1.5;
        for by in 0..bh {
            for bx in 0..bw {
                let m = corner[by * (bw + 1) + bx]
                    .min(corner[by * (bw + 1) + bx + 1])
                    .min(corner[(by + 1) * (bw + 1) + bx])
                    .min(corner[(by + 1) * (bw + 1) + bx + 1]);
                if m > reach {
                    continue;
                }
                for y in rect.y0 + by * B..(rect.y0 + (by + 1) * B).min(rect.y1) {
                    for x in rect.x0 + bx * B..(rect.x0 + (bx + 1) * B).min(rect.x1) {
                        let i = y * nx + x;
                        if let Some((a, inside, val, lab)) = f(i, self.grid.u[i], self.grid.v[i]) {
                            if a > 0.0 {
                                self.value[i] += a.min(1.0) * (val - self.value[i]);
                            }
                            if inside {
                                self.label[i] = lab;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Displacement of the heart and everything on it in this plane
    /// (cardiac motion moves it left-forwards), mm.
    pub fn heart_shift(&self) -> crate::geom::V3 {
        [self.motion * 0.6, -self.motion * 0.5, 0.0]
    }

    /// Edge coverage of a pixel at signed distance `d` (mm).
    #[inline]
    pub fn coverage(&self, d: f64) -> f64 {
        edge_coverage(d, self.grid.px)
    }
}
