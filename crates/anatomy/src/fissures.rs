//! Fissure enhancement and fissure surfaces, for the lobe unit.
//!
//! - [`sheetness`]: a Hessian plate filter for thin bright sheets inside
//!   the lungs (after Lassen et al., "Automatic segmentation of the
//!   pulmonary lobes from chest CT scans based on fissures, vessels, and
//!   bronchi", IEEE TMI 2013, and the sheet measures of Frangi-style
//!   filters): Gaussian smoothing, finite-difference Hessian, eigenvalues
//!   `|l1| <= |l2| <= |l3|`; a bright sheet has `l3 << 0` and small `l1`,
//!   `l2`, so the response is `|l3| (1 - |l2| / |l3|)^2`; the eigenvector
//!   of `l3` is the sheet's normal.
//! - [`HeightField`] and [`fit_surface`]: a fissure modelled as a height
//!   surface over the axial plane (in every column the oblique fissure has
//!   the upper lobe above it and the lower lobe below; the horizontal
//!   fissure the upper lobe above and the middle lobe below). The fit
//!   starts from an anatomical prior, fits a plane robustly to
//!   the sheet voxels near it, then follows the sheets locally by
//!   normalised convolution (Knutsson & Westin 1993), falling back on the
//!   global plane where the fissure is incomplete or invisible.

use rayon::prelude::*;
use volume::{Volume, symmetric_eigenvalues, symmetric_eigenvector};

use aisu::AisuError;

use crate::regions::fail;

/// Plate response and normal orientation of every voxel of a grid.
pub struct Sheets {
    /// Grid size `[x, y, z]`.
    pub dims: [usize; 3],
    /// Sheet response (0 outside the lungs and where there is no sheet).
    pub strength: Vec<f32>,
    /// Unit normal of the sheet (index axes, mm-scaled; sign arbitrary).
    pub normal: Vec<[f32; 3]>,
}

/// The sheet filter on `hu` (any grid) inside `lungs`, at scale
/// `sigma_mm` in-plane; slices thicker than twice the scale are not
/// smoothed across.
pub fn sheetness(
    hu: &Volume<f32>,
    lungs: &Volume<bool>,
    sigma_mm: f64,
) -> Result<Sheets, AisuError> {
    let s = hu.spacing();
    let sz = if s[2] <= 2.0 * sigma_mm {
        sigma_mm
    } else {
        0.0
    };
    let smooth = volume::gaussian_smooth(hu, [sigma_mm, sigma_mm, sz]).map_err(fail)?;
    let [nx, ny, nz] = hu.dims();
    let f = smooth.as_slice();
    let inside = lungs.as_slice();
    let plane = nx * ny;
    let (ix, iy, iz) = (
        1.0 / (s[0] * s[0]),
        1.0 / (s[1] * s[1]),
        1.0 / (s[2] * s[2]),
    );
    let (ixy, ixz, iyz) = (
        0.25 / (s[0] * s[1]),
        0.25 / (s[0] * s[2]),
        0.25 / (s[1] * s[2]),
    );
    // The z scale is the square of sigma over the slice spacing: second
    // derivatives across thick slices are damped so that in-plane
    // structure dominates, as the data support.
    let mut strength = vec![0f32; hu.geometry().len()];
    let mut normal = vec![[0f32; 3]; hu.geometry().len()];
    strength
        .par_chunks_mut(plane)
        .zip(normal.par_chunks_mut(plane))
        .enumerate()
        .for_each(|(z, (st, nzs))| {
            if z == 0 || z + 1 >= nz {
                return;
            }
            for y in 1..ny.saturating_sub(1) {
                for x in 1..nx.saturating_sub(1) {
                    let i = x + nx * y + plane * z;
                    if !inside[i] {
                        continue;
                    }
                    let c = f[i] as f64;
                    let at = |j: usize| f[j] as f64;
                    let hxx = (at(i + 1) - 2.0 * c + at(i - 1)) * ix;
                    let hyy = (at(i + nx) - 2.0 * c + at(i - nx)) * iy;
                    let hzz = (at(i + plane) - 2.0 * c + at(i - plane)) * iz;
                    let hxy =
                        (at(i + 1 + nx) - at(i + 1 - nx) - at(i - 1 + nx) + at(i - 1 - nx)) * ixy;
                    let hxz = (at(i + 1 + plane) - at(i + 1 - plane) - at(i - 1 + plane)
                        + at(i - 1 - plane))
                        * ixz;
                    let hyz = (at(i + nx + plane) - at(i + nx - plane) - at(i - nx + plane)
                        + at(i - nx - plane))
                        * iyz;
                    let a = [hxx, hyy, hzz, hxy, hxz, hyz];
                    let e = symmetric_eigenvalues(a);
                    // Most negative eigenvalue with the largest magnitude.
                    let l3 = e[2];
                    if l3 >= 0.0 || l3.abs() < e[0].abs() {
                        continue;
                    }
                    let l2 = e[0].abs().max(e[1].abs());
                    let plate = 1.0 - l2 / l3.abs();
                    let v = l3.abs() * plate * plate;
                    let xi = x + nx * y;
                    st[xi] = v as f32;
                    let n = symmetric_eigenvector(a, l3);
                    nzs[xi] = [n[0] as f32, n[1] as f32, n[2] as f32];
                }
            }
        });
    Ok(Sheets {
        dims: [nx, ny, nz],
        strength,
        normal,
    })
}

/// A surface `height = f(x, y)` over the columns of a grid, in mm of
/// superior height.
#[derive(Debug, Clone)]
pub struct HeightField {
    /// Columns along x and y.
    pub nx: usize,
    /// Rows of columns.
    pub ny: usize,
    /// Height of each column, mm (row-major, x fastest).
    pub values: Vec<f64>,
}

impl HeightField {
    /// A field from a function of the column index.
    pub fn from_fn(nx: usize, ny: usize, f: impl Fn(usize, usize) -> f64) -> Self {
        let mut values = Vec::with_capacity(nx * ny);
        for y in 0..ny {
            for x in 0..nx {
                values.push(f(x, y));
            }
        }
        HeightField { nx, ny, values }
    }

    /// Bilinear value at a continuous column position (clamped).
    pub fn at(&self, x: f64, y: f64) -> f64 {
        let x = x.clamp(0.0, (self.nx - 1) as f64);
        let y = y.clamp(0.0, (self.ny - 1) as f64);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.nx - 1), (y0 + 1).min(self.ny - 1));
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let v = |x: usize, y: usize| self.values[x + self.nx * y];
        (1.0 - fy) * ((1.0 - fx) * v(x0, y0) + fx * v(x1, y0))
            + fy * ((1.0 - fx) * v(x0, y1) + fx * v(x1, y1))
    }
}

/// Sheet evidence of one fissure: per column, the candidate sheet voxels
/// as `(height mm, weight)`.
pub struct Evidence {
    /// Columns along x.
    pub nx: usize,
    /// Columns along y.
    pub ny: usize,
    /// Candidates of each column.
    pub columns: Vec<Vec<(f64, f64)>>,
}

/// What a fit found.
pub struct Fit {
    /// The fitted surface.
    pub surface: HeightField,
    /// Per column, whether a visible sheet lies on the fitted surface.
    pub on_sheet: Vec<bool>,
}

/// A sheet voxel offered as fissure evidence.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// Column index.
    pub column: usize,
    /// Column position, mm (index axes).
    pub x: f64,
    /// Column position, mm.
    pub y: f64,
    /// Superior height, mm.
    pub h: f64,
    /// Sheet response.
    pub w: f64,
    /// Sheet normal (index axes).
    pub n: [f32; 3],
}

/// A plane `h = h0 + bx (x - x0) + by (y - y0)` over the axial plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    /// Reference column position, mm.
    pub x0: f64,
    /// Reference column position, mm.
    pub y0: f64,
    /// Height at the reference, mm.
    pub h0: f64,
    /// Slope along x.
    pub bx: f64,
    /// Slope along y.
    pub by: f64,
}

impl Plane {
    /// Height at `(x, y)` mm.
    pub fn at(&self, x: f64, y: f64) -> f64 {
        self.h0 + self.bx * (x - self.x0) + self.by * (y - self.y0)
    }
}

/// Search ranges of [`best_plane`] around the prior: height offset (mm)
/// and slopes.
#[derive(Debug, Clone, Copy)]
pub struct PlaneSearch {
    /// Largest height offset, mm.
    pub offset_mm: f64,
    /// Largest change of the x slope.
    pub slope_x: f64,
    /// Largest change of the y slope.
    pub slope_y: f64,
}

/// The plane near `prior` best supported by the candidates (sheets within
/// 4 mm, normals within `max_angle_deg` of the plane's), found by a coarse
/// then fine grid search (a Hough transform restricted to plausible
/// fissure positions); `None` when the support is negligible. `up` is the
/// sign of the z index's superior direction. Returns the plane and its
/// support (sum of weights).
pub fn best_plane(
    candidates: &[Candidate],
    prior: Plane,
    search: PlaneSearch,
    up: f64,
    max_angle_deg: f64,
) -> Option<(Plane, f64)> {
    if candidates.is_empty() {
        return None;
    }
    let cos = max_angle_deg.to_radians().cos();
    let score = |p: &Plane| -> f64 {
        let len = (p.bx * p.bx + p.by * p.by + 1.0).sqrt();
        let n = [-p.bx / len, -p.by / len, up / len];
        let mut s = 0.0;
        for c in candidates {
            let d = (c.h - p.at(c.x, c.y)).abs();
            if d > 4.0 {
                continue;
            }
            let a = (c.n[0] as f64 * n[0] + c.n[1] as f64 * n[1] + c.n[2] as f64 * n[2]).abs();
            if a >= cos {
                s += c.w * (1.0 - (d / 4.0).powi(2));
            }
        }
        s
    };
    let mut best = (prior, score(&prior));
    let mut centre = prior;
    let mut steps = (
        search.offset_mm / 6.0,
        search.slope_x / 4.0,
        search.slope_y / 4.0,
    );
    let mut range = (search.offset_mm, search.slope_x, search.slope_y);
    for _ in 0..3 {
        let n = |r: f64, st: f64| (r / st).round() as i64;
        let (no, nbx, nby) = (
            n(range.0, steps.0),
            n(range.1, steps.1),
            n(range.2, steps.2),
        );
        for io in -no..=no {
            for ix in -nbx..=nbx {
                for iy in -nby..=nby {
                    let p = Plane {
                        h0: centre.h0 + io as f64 * steps.0,
                        bx: centre.bx + ix as f64 * steps.1,
                        by: centre.by + iy as f64 * steps.2,
                        ..centre
                    };
                    let s = score(&p);
                    if s > best.1 {
                        best = (p, s);
                    }
                }
            }
        }
        centre = best.0;
        range = (2.0 * steps.0, 2.0 * steps.1, 2.0 * steps.2);
        steps = (steps.0 / 3.0, steps.1 / 3.0, steps.2 / 3.0);
    }
    (best.1 > 0.0).then_some(best)
}

/// Mean of `cost(column, height)` along `plane` over `columns` (`(x mm,
/// y mm, column)`) where it applies, and on how many columns it does.
pub fn mean_cost(
    columns: &[(f64, f64, usize)],
    plane: Plane,
    cost: &(dyn Fn(usize, f64) -> Option<f64> + Sync),
) -> (f64, usize) {
    let (sum, n) = columns
        .iter()
        .filter_map(|&(x, y, c)| cost(c, plane.at(x, y)))
        .fold((0.0, 0usize), |a, v| (a.0 + v, a.1 + 1));
    (sum / n.max(1) as f64, n)
}

/// The plane near `prior` along which `cost(column, height)` is lowest on
/// average over `columns` (`(x mm, y mm, column)`), among planes where the
/// cost applies (is `Some`) on at least `min_columns` columns: a fissure
/// seen as the band that the vessels of two lobes leave free between them
/// (Lassen et al., IEEE TMI 2013; Kuhnigk et al., 2005). Coarse then fine
/// grid search as in [`best_plane`]; returns the plane and its mean cost.
pub fn least_cost_plane(
    columns: &[(f64, f64, usize)],
    prior: Plane,
    search: PlaneSearch,
    min_columns: usize,
    cost: &(dyn Fn(usize, f64) -> Option<f64> + Sync),
) -> Option<(Plane, f64)> {
    if columns.is_empty() {
        return None;
    }
    let score = |p: &Plane| -> f64 {
        let (mean, n) = mean_cost(columns, *p, cost);
        if n < min_columns.max(1) {
            f64::INFINITY
        } else {
            mean
        }
    };
    let mut best = (prior, score(&prior));
    let mut centre = prior;
    let mut steps = (
        search.offset_mm / 10.0,
        search.slope_x / 3.0,
        search.slope_y / 3.0,
    );
    let mut range = (search.offset_mm, search.slope_x, search.slope_y);
    for _ in 0..3 {
        let n = |r: f64, st: f64| (r / st).round() as i64;
        let (no, nbx, nby) = (
            n(range.0, steps.0),
            n(range.1, steps.1),
            n(range.2, steps.2),
        );
        let planes: Vec<Plane> = (-no..=no)
            .flat_map(|io| {
                (-nbx..=nbx).flat_map(move |ix| {
                    (-nby..=nby).map(move |iy| Plane {
                        h0: centre.h0 + io as f64 * steps.0,
                        bx: centre.bx + ix as f64 * steps.1,
                        by: centre.by + iy as f64 * steps.2,
                        ..centre
                    })
                })
            })
            .collect();
        let found = planes
            .par_iter()
            .map(|p| (*p, score(p)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some(f) = found
            && f.1 < best.1
        {
            best = f;
        }
        centre = best.0;
        range = steps;
        steps = (steps.0 / 2.0, steps.1 / 2.0, steps.2 / 2.0);
    }
    best.1.is_finite().then_some(best)
}

/// Gaussian blur of a column field (separable, sigma in columns).
fn blur(values: &[f64], nx: usize, ny: usize, sigma: f64) -> Vec<f64> {
    let k: Vec<f64> = volume::gaussian_kernel(sigma)
        .iter()
        .map(|v| *v as f64)
        .collect();
    let r = (k.len() / 2) as i64;
    let mut tmp = vec![0.0; nx * ny];
    for y in 0..ny {
        for x in 0..nx {
            let mut acc = 0.0;
            for (t, w) in k.iter().enumerate() {
                let xx = x as i64 + t as i64 - r;
                if xx >= 0 && xx < nx as i64 {
                    acc += w * values[xx as usize + nx * y];
                }
            }
            tmp[x + nx * y] = acc;
        }
    }
    let mut out = vec![0.0; nx * ny];
    for y in 0..ny {
        for x in 0..nx {
            let mut acc = 0.0;
            for (t, w) in k.iter().enumerate() {
                let yy = y as i64 + t as i64 - r;
                if yy >= 0 && yy < ny as i64 {
                    acc += w * tmp[x + nx * yy as usize];
                }
            }
            out[x + nx * y] = acc;
        }
    }
    out
}

/// Weighted least-squares plane `h = c0 + c1 x + c2 y` (x, y in mm),
/// `None` when singular.
#[allow(clippy::needless_range_loop)] // matrix indices read clearer
fn fit_plane(points: &[(f64, f64, f64, f64)]) -> Option<[f64; 3]> {
    let mut m = [[0.0f64; 4]; 3];
    for &(x, y, h, w) in points {
        let b = [1.0, x, y];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += w * b[i] * b[j];
            }
            m[i][3] += w * b[i] * h;
        }
    }
    // Gaussian elimination with partial pivoting.
    for c in 0..3 {
        let p = (c..3).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))?;
        if m[p][c].abs() < 1e-9 {
            return None;
        }
        m.swap(c, p);
        for r in 0..3 {
            if r != c {
                let f = m[r][c] / m[c][c];
                for k in c..4 {
                    m[r][k] -= f * m[c][k];
                }
            }
        }
    }
    Some([m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]])
}

/// Fits a fissure surface to `evidence`, starting from `prior`.
///
/// `inside[c]` marks the columns of the lung; `column_mm` is the column
/// spacing in mm (x, y); `windows_mm` the search half-widths of the
/// successive passes (the first is the global plane pass);
/// `sigma_mm` the smoothing of the local passes.
pub fn fit_surface(
    evidence: &Evidence,
    prior: &HeightField,
    inside: &[bool],
    column_mm: [f64; 2],
    windows_mm: &[f64],
    sigma_mm: f64,
) -> Fit {
    let (nx, ny) = (evidence.nx, evidence.ny);
    let mut current = prior.clone();
    let pick = |surface: &HeightField, window: f64| -> Vec<Option<(f64, f64)>> {
        (0..nx * ny)
            .map(|c| {
                if !inside[c] {
                    return None;
                }
                let h0 = surface.values[c];
                let mut best: Option<(f64, f64)> = None;
                for &(h, w) in &evidence.columns[c] {
                    let d = (h - h0).abs();
                    if d > window {
                        continue;
                    }
                    // Prefer strong sheets near the current surface.
                    let score = w * (1.0 - 0.5 * d / window);
                    if best.is_none_or(|(_, s)| score > s) {
                        best = Some((h, score));
                    }
                }
                best
            })
            .collect()
    };
    let total_inside = inside.iter().filter(|v| **v).count().max(1);
    let Some((&first, rest)) = windows_mm.split_first() else {
        return Fit {
            surface: current,
            on_sheet: vec![false; nx * ny],
        };
    };
    // Global pass: a robust plane through the sheets near the prior.
    let picked = pick(&current, first);
    let found = picked.iter().filter(|p| p.is_some()).count();
    if found * 20 >= total_inside {
        let mut weights: Vec<f64> = picked.iter().map(|p| p.map_or(0.0, |(_, w)| w)).collect();
        let mut coef = None;
        for _ in 0..4 {
            let pts: Vec<(f64, f64, f64, f64)> = (0..nx * ny)
                .filter_map(|c| {
                    let (h, _) = picked[c]?;
                    let w = weights[c];
                    (w > 0.0).then(|| {
                        (
                            (c % nx) as f64 * column_mm[0],
                            (c / nx) as f64 * column_mm[1],
                            h,
                            w,
                        )
                    })
                })
                .collect();
            let Some(k) = fit_plane(&pts) else {
                break;
            };
            coef = Some(k);
            // Tukey biweight on the residuals (scale 12 mm).
            for c in 0..nx * ny {
                if let Some((h, w)) = picked[c] {
                    let (x, y) = (
                        (c % nx) as f64 * column_mm[0],
                        (c / nx) as f64 * column_mm[1],
                    );
                    let q = k[0] + k[1] * x + k[2] * y;
                    let u = (h - q) / 12.0;
                    weights[c] = if u.abs() < 1.0 {
                        w * (1.0 - u * u).powi(2)
                    } else {
                        0.0
                    };
                }
            }
        }
        if let Some(k) = coef {
            // Blend with the prior so that a fit from a few sheets cannot
            // run away far from the lung's anatomy.
            let share = (found as f64 / total_inside as f64 * 3.0).min(1.0);
            current = HeightField::from_fn(nx, ny, |x, y| {
                let (xm, ym) = (x as f64 * column_mm[0], y as f64 * column_mm[1]);
                let q = k[0] + k[1] * xm + k[2] * ym;
                let p = prior.values[x + nx * y];
                let q = q.clamp(p - first, p + first);
                share * q + (1.0 - share) * p
            });
        }
    }
    // Local passes: normalised convolution of the picked heights, the
    // global surface filling in where nothing is seen.
    let sigma = sigma_mm / column_mm[0].min(column_mm[1]);
    let mut last = vec![None; nx * ny];
    for &window in rest {
        let picked = pick(&current, window);
        let mut num = vec![0.0; nx * ny];
        let mut den = vec![0.0; nx * ny];
        let mut max_w: f64 = 0.0;
        for c in 0..nx * ny {
            if let Some((h, w)) = picked[c] {
                num[c] = w * h;
                den[c] = w;
                max_w = max_w.max(w);
            }
        }
        if max_w <= 0.0 {
            break;
        }
        let num = blur(&num, nx, ny, sigma);
        let den = blur(&den, nx, ny, sigma);
        let floor = 0.02 * max_w;
        let base = current.clone();
        current = HeightField::from_fn(nx, ny, |x, y| {
            let c = x + nx * y;
            (num[c] + floor * base.values[c]) / (den[c] + floor)
        });
        last = picked;
    }
    let on_sheet = (0..nx * ny)
        .map(|c| inside[c] && last[c].is_some_and(|(h, _)| (h - current.values[c]).abs() < 4.0))
        .collect();
    Fit {
        surface: current,
        on_sheet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_of_a_diagonal_matrix() {
        let e = symmetric_eigenvalues([3.0, -5.0, 1.0, 0.0, 0.0, 0.0]);
        assert!(
            (e[0] - 3.0).abs() < 1e-9 && (e[1] - 1.0).abs() < 1e-9 && (e[2] + 5.0).abs() < 1e-9
        );
        let v = symmetric_eigenvector([3.0, -5.0, 1.0, 0.0, 0.0, 0.0], -5.0);
        assert!((v[1].abs() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_flat_sheet_is_found_with_a_vertical_normal() {
        let g = volume::Geometry::new([20, 20, 20], [1.0; 3], [0.0; 3]);
        let mut v = Volume::filled(g, -850.0f32);
        for y in 0..20 {
            for x in 0..20 {
                v.as_slice_mut()[x + 20 * (y + 20 * 10)] = -600.0;
            }
        }
        let lungs = Volume::filled(g, true);
        let s = sheetness(&v, &lungs, 1.0).unwrap();
        let i = 10 + 20 * (10 + 20 * 10);
        assert!(s.strength[i] > 10.0);
        assert!(s.normal[i][2].abs() > 0.99);
        assert!(s.strength[10 + 20 * (10 + 20 * 5)] < 0.1 * s.strength[i]);
    }

    #[test]
    fn a_tilted_plane_is_fitted_through_noise() {
        let (nx, ny) = (30, 30);
        let truth = |x: usize, y: usize| 50.0 + 0.8 * y as f64 * 2.0 - 0.1 * x as f64 * 2.0;
        let columns = (0..nx * ny)
            .map(|c| {
                let (x, y) = (c % nx, c / nx);
                if (x + y) % 3 == 0 {
                    vec![(truth(x, y), 10.0), (truth(x, y) + 15.0, 2.0)]
                } else {
                    Vec::new()
                }
            })
            .collect();
        let ev = Evidence { nx, ny, columns };
        let prior = HeightField::from_fn(nx, ny, |_, y| 40.0 + 1.0 * y as f64 * 2.0);
        let inside = vec![true; nx * ny];
        let fit = fit_surface(&ev, &prior, &inside, [2.0, 2.0], &[25.0, 8.0, 5.0], 6.0);
        for (x, y) in [(5, 5), (15, 20), (25, 10)] {
            assert!((fit.surface.values[x + nx * y] - truth(x, y)).abs() < 2.0);
        }
        assert!(fit.on_sheet.iter().filter(|v| **v).count() > nx * ny / 5);
    }
}
