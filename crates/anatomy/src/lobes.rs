//! `airad.lobes`: the five pulmonary lobes, each lung exactly partitioned
//! (every lung voxel in exactly one lobe of its side).
//!
//! Method (fissures, bronchi and anatomy together, after Lassen et al.,
//! IEEE TMI 2013, with the fissures modelled as surfaces):
//! 1. On a grid of about 1.5 mm inside the lungs' bounding box, a Hessian
//!    sheet filter enhances the fissures ([`crate::fissures::sheetness`]).
//! 2. Each fissure is a height surface over the axial plane: the oblique
//!    fissure of each lung has the upper lobe (and the middle lobe) above
//!    it and the lower lobe below; the right horizontal fissure has the
//!    upper lobe above and the middle lobe below. The anatomical prior
//!    of the oblique fissure runs from the posterior lung at about the
//!    T4-T5 level (three tenths of the lung's height below the apex) to
//!    the anterior lung base; the horizontal fissure lies about halfway
//!    down the lung (it meets the oblique fissure at the mid-axillary
//!    line and reaches the anterior chest wall at the 4th costal
//!    cartilage, level with the hilum). When the lobar bronchi are
//!    known (`landmarks:bronchi`), the prior is moved so that the lower
//!    lobe bronchi lie below the oblique fissure and the upper and middle
//!    lobe bronchi above it.
//! 3. Each surface is fitted to the sheets near its prior with the right
//!    orientation ([`crate::fissures::fit_surface`]): a robust global
//!    plane, then local normalised convolution, so the boundary
//!    follows a fissure where it is visible and interpolates smoothly
//!    where it is incomplete or invisible (thick slices).
//! 4. Every lung voxel on the CT grid is labelled by comparing its height
//!    with the surfaces of its column.
//!
//! `values:lobes` gives the lobe volumes and, per fissure, the share of
//! its surface that lies on a visible sheet and the resulting state
//! (complete, incomplete, not seen).

use std::sync::Arc;

use aisu::{Aisu, AisuError, Artefact, Context, Landmarks, Manifest, Mask};
use serde_json::json;
use volume::{Geometry, Volume};

use crate::constants::{
    FISSURE_COMPLETE_SHARE, FISSURE_EVIDENCE_AGREE_MM, FISSURE_MAX_ANGLE_DEG, FISSURE_MAX_HU,
    FISSURE_MIN_AREA_MM2, FISSURE_MIN_SUPPORT, FISSURE_SEEN_SHARE, HORIZONTAL_GAP_CLEARANCE_MM,
    HORIZONTAL_PRIOR_BELOW_APEX, LOBAR_BRONCHI_MIN_SEPARATION_MM, LOBAR_BRONCHUS_HEIGHT_BAND,
    LOBE_GRID_MM, OBLIQUE_POSTERIOR_DROP, VESSEL_GAP_CONFIRMED_CONTRAST, VESSEL_GAP_CONTEXT_FLOOR,
    VESSEL_GAP_CONTEXT_SIGMA_MM, VESSEL_GAP_CONTRAST, VESSEL_GAP_MIN_COVERAGE,
    VESSEL_GAP_MIN_SHARE, VESSEL_GAP_SIGMA_MM,
};
use crate::fissures::{
    Candidate, Evidence, Fit, HeightField, Plane, PlaneSearch, Sheets, best_plane, fit_surface,
    least_cost_plane, mean_cost, sheetness,
};
use crate::regions::{IndexBox, crop, crop_mask, downsample_majority, downsample_mean};
use crate::skeleton::{Crop, masks_from_labels};
use crate::util::phase;

/// The lobes unit.
pub struct Lobes {
    manifest: Manifest,
}

impl Default for Lobes {
    fn default() -> Self {
        Lobes {
            manifest: Manifest::new(
                "airad.lobes",
                env!("CARGO_PKG_VERSION"),
                "Five pulmonary lobes from fissures, lobar bronchi and anatomy",
            )
            .optional(&["mask:lung_right", "mask:lung_left", "landmarks:bronchi"])
            .produces(&[
                "mask:lobe_rul",
                "mask:lobe_rml",
                "mask:lobe_rll",
                "mask:lobe_lul",
                "mask:lobe_lll",
                "values:lobes",
            ])
            .resources(1, 1500, 60.0)
            .typical(2.0),
        }
    }
}

/// Where the oblique fissure is searched for around its prior.
const OBLIQUE_SEARCH: PlaneSearch = PlaneSearch {
    offset_mm: 45.0,
    slope_x: 0.6,
    slope_y: 0.5,
};

/// Where a vessel-free band is searched for around the oblique fissure's
/// prior: narrower than the sheet search, since a band is weaker evidence
/// than a seen fissure (the oblique fissure's inclination varies by about
/// 15 degrees between people).
const OBLIQUE_GAP_SEARCH: PlaneSearch = PlaneSearch {
    offset_mm: 30.0,
    slope_x: 0.3,
    slope_y: 0.25,
};

/// Where the horizontal fissure is searched for around its prior.
const HORIZONTAL_SEARCH: PlaneSearch = PlaneSearch {
    offset_mm: 30.0,
    slope_x: 0.3,
    slope_y: 0.3,
};

/// Where a vessel-free band is searched for around the horizontal
/// fissure's prior (the fissure lies within about 10 degrees of the axial
/// plane: Gray's Anatomy, along the 4th costal cartilage).
const HORIZONTAL_GAP_SEARCH: PlaneSearch = PlaneSearch {
    offset_mm: 30.0,
    slope_x: 0.15,
    slope_y: 0.15,
};

/// Lobe names per side, top to bottom of the label order.
const RIGHT: [&str; 3] = ["lobe_rul", "lobe_rml", "lobe_rll"];
const LEFT: [&str; 2] = ["lobe_lul", "lobe_lll"];

impl Aisu for Lobes {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        let ct = ctx.volume();
        let right = ctx.mask_opt("mask:lung_right")?;
        let left = ctx.mask_opt("mask:lung_left")?;
        let bronchi = ctx.landmarks("landmarks:bronchi").ok();
        let seg = segment_lobes(ct, right.as_deref(), left.as_deref(), bronchi.as_deref())?;
        for (name, mask) in seg.masks {
            let full = format!("mask:{name}");
            match mask {
                Some(m) => ctx.put_mask(&full, m)?,
                None => ctx.absent(&full, "its lung is not in the field of view")?,
            }
        }
        ctx.put("values:lobes", Artefact::Values(Arc::new(seg.values)))
    }
}

/// The lobes and their summary.
pub struct LobeSegmentation {
    /// Lobe masks by canonical name (`None` when the lung is absent).
    pub masks: Vec<(&'static str, Option<Mask>)>,
    /// Volumes and fissure visibility.
    pub values: serde_json::Value,
}

/// The working grid: the lungs' bounding box at about [`LOBE_GRID_MM`].
pub struct LobeGrid {
    /// The box on the CT grid.
    pub b: IndexBox,
    /// Coarsening factor per axis.
    pub factor: [usize; 3],
    /// Mean HU on the coarse grid.
    pub hu: Volume<f32>,
    /// Right and left lungs on the coarse grid.
    pub lungs: [Option<Volume<bool>>; 2],
    /// +1 when the z index grows superiorly, else -1.
    pub up: f64,
    /// +1 when the y index grows posteriorly, else -1.
    pub back: f64,
}

impl LobeGrid {
    /// Superior height (mm) of coarse slice `z`.
    pub fn height(&self, z: f64) -> f64 {
        self.up * z * self.hu.spacing()[2]
    }

    /// Posterior depth (mm) of coarse row `y`.
    pub fn depth(&self, y: f64) -> f64 {
        self.back * y * self.hu.spacing()[1]
    }
}

/// Builds the working grid.
pub fn lobe_grid(
    ct: &Volume<i16>,
    lungs: [Option<&Mask>; 2],
) -> Result<Option<LobeGrid>, AisuError> {
    let full = *ct.geometry();
    let boxes: Vec<IndexBox> = lungs
        .iter()
        .flatten()
        .filter_map(|m| IndexBox::of_mask(m))
        .collect();
    let Some(first) = boxes.first() else {
        return Ok(None);
    };
    let b = boxes
        .iter()
        .fold(*first, |a, x| a.union(x))
        .grown([2, 2, 1], full.dims);
    let s = full.spacing;
    let factor = [
        ((LOBE_GRID_MM / s[0]).round() as usize).max(1),
        ((LOBE_GRID_MM / s[1]).round() as usize).max(1),
        ((LOBE_GRID_MM / s[2]).round() as usize).max(1),
    ];
    let hu = downsample_mean(&crop(ct, &b)?, factor)?;
    let mut coarse = [None, None];
    for (k, m) in lungs.iter().enumerate() {
        if let Some(m) = m {
            coarse[k] = Some(downsample_majority(&crop_mask(m, &full, &b)?, factor)?);
        }
    }
    Ok(Some(LobeGrid {
        b,
        factor,
        hu,
        lungs: coarse,
        up: if full.direction[2][2] >= 0.0 {
            1.0
        } else {
            -1.0
        },
        back: if full.direction[1][1] >= 0.0 {
            1.0
        } else {
            -1.0
        },
    }))
}

/// Scale of the sheet filter, mm: the working grid's spacing, and half
/// the slice spacing on thick slices (where a tilted fissure is smeared
/// over a band as wide as the slice).
pub fn sheet_sigma(grid: &LobeGrid) -> f64 {
    let s = grid.hu.spacing();
    s[0].max(s[1]).max(1.0).max(0.5 * s[2])
}

/// Shape facts of one lung on the coarse grid.
struct LungShape {
    /// Column footprint.
    inside: Vec<bool>,
    /// Highest lung height (apex), mm.
    apex: f64,
    /// Lowest lung height (posterior sulcus), mm.
    base: f64,
    /// Posterior-most and anterior-most depth, mm.
    posterior: f64,
    anterior: f64,
    /// Height of the lung base in the anterior quarter, mm.
    anterior_base: f64,
}

fn lung_shape(grid: &LobeGrid, lung: &Volume<bool>) -> Option<LungShape> {
    let [nx, ny, nz] = lung.dims();
    let data = lung.as_slice();
    let mut inside = vec![false; nx * ny];
    let mut low = vec![f64::INFINITY; nx * ny];
    let (mut apex, mut base) = (f64::NEG_INFINITY, f64::INFINITY);
    let (mut posterior, mut anterior) = (f64::NEG_INFINITY, f64::INFINITY);
    for z in 0..nz {
        let h = grid.height(z as f64);
        for y in 0..ny {
            let d = grid.depth(y as f64);
            for x in 0..nx {
                if data[x + nx * (y + ny * z)] {
                    let c = x + nx * y;
                    inside[c] = true;
                    low[c] = low[c].min(h);
                    apex = apex.max(h);
                    base = base.min(h);
                    posterior = posterior.max(d);
                    anterior = anterior.min(d);
                }
            }
        }
    }
    if apex <= base || posterior <= anterior {
        return None;
    }
    let quarter = anterior + 0.25 * (posterior - anterior);
    let mut lows: Vec<f64> = (0..nx * ny)
        .filter(|&c| inside[c] && grid.depth((c / nx) as f64) <= quarter)
        .map(|c| low[c])
        .collect();
    lows.sort_by(f64::total_cmp);
    let anterior_base = lows.get(lows.len() / 10).copied().unwrap_or(base);
    Some(LungShape {
        inside,
        apex,
        base,
        posterior,
        anterior,
        anterior_base,
    })
}

/// The sheet voxels of one lung that may belong to a fissure: strong
/// enough, not beside a vessel or airway wall, accepted by
/// `accept(column, height, normal)`, and in a connected sheet of at least
/// [`FISSURE_MIN_AREA_MM2`].
fn sheet_voxels(
    grid: &LobeGrid,
    sheets: &Sheets,
    lung: &Volume<bool>,
    threshold: f32,
    accept: &dyn Fn(usize, f64, [f32; 3]) -> bool,
) -> Result<Vec<Candidate>, AisuError> {
    let [nx, ny, nz] = sheets.dims;
    let s = grid.hu.spacing();
    let data = lung.as_slice();
    let hu = grid.hu.as_slice();
    let mut candidate = vec![false; nx * ny * nz];
    for z in 1..nz.saturating_sub(1) {
        let h = grid.height(z as f64);
        for y in 1..ny.saturating_sub(1) {
            for x in 1..nx.saturating_sub(1) {
                let i = x + nx * (y + ny * z);
                if !data[i]
                    || sheets.strength[i] <= threshold
                    || !accept(x + nx * y, h, sheets.normal[i])
                {
                    continue;
                }
                // Not on or beside a vessel or airway wall (sheet-like
                // responses along their sides).
                let near_bright = [i, i - 1, i + 1, i - nx, i + nx, i - nx * ny, i + nx * ny]
                    .iter()
                    .any(|&j| hu[j] >= FISSURE_MAX_HU);
                candidate[i] = !near_bright;
            }
        }
    }
    // Keep large connected sheets only.
    let mask = crate::regions::from_vec(candidate, *grid.hu.geometry())?;
    let parts = volume::label_components(&mask, volume::Connectivity::TwentySix)
        .map_err(crate::regions::fail)?;
    let min_voxels = (FISSURE_MIN_AREA_MM2 / (s[0] * s[1])).ceil() as usize;
    let big: Vec<bool> = std::iter::once(false)
        .chain(
            (1..=parts.len() as u32)
                .map(|l| parts.get(l).is_some_and(|st| st.voxel_count >= min_voxels)),
        )
        .collect();
    let mut out = Vec::new();
    for (i, l) in parts.labels.as_slice().iter().enumerate() {
        if *l > 0 && big.get(*l as usize).copied().unwrap_or(false) {
            let c = i % (nx * ny);
            out.push(Candidate {
                column: c,
                x: (c % nx) as f64 * s[0],
                y: (c / nx) as f64 * s[1],
                h: grid.height((i / (nx * ny)) as f64),
                w: sheets.strength[i] as f64,
                n: sheets.normal[i],
            });
        }
    }
    Ok(out)
}

/// Evidence columns from candidates.
fn columns(cands: &[Candidate], nx: usize, ny: usize) -> Evidence {
    let mut columns = vec![Vec::new(); nx * ny];
    for c in cands {
        columns[c.column].push((c.h, c.w));
    }
    Evidence { nx, ny, columns }
}

/// Whether normal `n` lies within [`FISSURE_MAX_ANGLE_DEG`] of the normal
/// of `surface` at column `c`.
fn aligned(grid: &LobeGrid, surface: &HeightField, c: usize, n: [f32; 3]) -> bool {
    let (nx, ny) = (surface.nx, surface.ny);
    let s = grid.hu.spacing();
    let (x, y) = (c % nx, c / nx);
    let v = |x: usize, y: usize| surface.values[x + nx * y];
    let gx = (v((x + 1).min(nx - 1), y) - v(x.saturating_sub(1), y)) / (2.0 * s[0]);
    let gy = (v(x, (y + 1).min(ny - 1)) - v(x, y.saturating_sub(1))) / (2.0 * s[1]);
    let r = [-gx, -gy, grid.up];
    let len = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
    let a = (n[0] as f64 * r[0] + n[1] as f64 * r[1] + n[2] as f64 * r[2]).abs() / len;
    a >= FISSURE_MAX_ANGLE_DEG.to_radians().cos()
}

/// Finds one fissure: the sheet-supported plane near the prior (when the
/// support suffices), then the surface fitted to the sheets aligned with
/// it. `keep(column, height)` restricts where the fissure may lie;
/// `nz_range` the cranio-caudal component of its normal.
#[allow(clippy::too_many_arguments)]
fn find_fissure(
    grid: &LobeGrid,
    sheets: &Sheets,
    lung: &Volume<bool>,
    shape: &LungShape,
    prior: &HeightField,
    threshold: f32,
    search: PlaneSearch,
    nz_range: (f32, f32),
    keep: &dyn Fn(usize, f64) -> bool,
    gap: Option<Gap>,
) -> Result<Fit, AisuError> {
    let (nx, ny) = (prior.nx, prior.ny);
    let s = grid.hu.spacing();
    let column_mm = [s[0], s[1]];
    let cands = sheet_voxels(grid, sheets, lung, threshold, &|c, h, n| {
        (nz_range.0..=nz_range.1).contains(&n[2].abs()) && keep(c, h)
    })?;
    let plane0 = prior_plane(grid, shape, prior);
    // The support needed scales with the columns where the fissure can
    // lie (the horizontal fissure only in front of the oblique one).
    let n = (0..nx * ny)
        .filter(|&c| {
            shape.inside[c] && keep(c, plane0.at((c % nx) as f64 * s[0], (c / nx) as f64 * s[1]))
        })
        .count()
        .max(1) as f64;
    let found = best_plane(&cands, plane0, search, grid.up, FISSURE_MAX_ANGLE_DEG);
    let min_support = f64::from(threshold) * FISSURE_MIN_SUPPORT * n;
    let field =
        |p: Plane| HeightField::from_fn(nx, ny, |x, y| p.at(x as f64 * s[0], y as f64 * s[1]));
    tracing::debug!(
        ?plane0,
        ?found,
        min_support,
        ?gap,
        "lobes: fissure plane search"
    );
    // Evidence in order: enough sheets; a marked vessel-free band; a
    // weaker band that sheets too few to stand alone agree with (two
    // independent signs of one fissure); else the anatomical prior.
    let agreed = |g: &Gap| {
        found.is_some_and(|(p, _)| {
            plane_distance(grid, shape, p, g.plane) <= FISSURE_EVIDENCE_AGREE_MM
        })
    };
    let reference = match (found, gap) {
        (Some((p, support)), _) if support >= min_support => field(p),
        (_, Some(g)) if g.contrast <= VESSEL_GAP_CONTRAST || agreed(&g) => field(g.plane),
        _ => prior.clone(),
    };
    let aligned_cands: Vec<Candidate> = cands
        .into_iter()
        .filter(|c| aligned(grid, &reference, c.column, c.n))
        .collect();
    let ev = columns(&aligned_cands, nx, ny);
    Ok(fit_surface(
        &ev,
        &reference,
        &shape.inside,
        column_mm,
        &[15.0, 8.0, 5.0],
        10.0,
    ))
}

/// A height field as a plane through the lung's columns (its mean column
/// and mean slopes there).
fn prior_plane(grid: &LobeGrid, shape: &LungShape, prior: &HeightField) -> Plane {
    let (nx, ny) = (prior.nx, prior.ny);
    let s = grid.hu.spacing();
    let inside: Vec<usize> = (0..nx * ny).filter(|&c| shape.inside[c]).collect();
    let n = inside.len().max(1) as f64;
    let (x0, y0) = inside.iter().fold((0.0, 0.0), |a, &c| {
        (
            a.0 + (c % nx) as f64 * s[0] / n,
            a.1 + (c / nx) as f64 * s[1] / n,
        )
    });
    let at = |x: f64, y: f64| prior.at(x / s[0], y / s[1]);
    Plane {
        x0,
        y0,
        h0: at(x0, y0),
        bx: (at(x0 + 10.0, y0) - at(x0 - 10.0, y0)) / 20.0,
        by: (at(x0, y0 + 10.0) - at(x0, y0 - 10.0)) / 20.0,
    }
}

/// Density of vessels and airway walls (voxels of the lungs brighter than
/// [`FISSURE_MAX_HU`]) over [`VESSEL_GAP_SIGMA_MM`], relative to the
/// density of the surrounding lung over [`VESSEL_GAP_CONTEXT_SIGMA_MM`]:
/// low along fissures, which the vessels of neighbouring lobes leave free.
/// Relative, because the absolute density falls from the hilum to the
/// periphery: a plane raised into the vessel-poor lung periphery scored
/// lower than the fissure itself (suite case 020). Both densities are
/// normalised by the lung's own share of the kernel, so the lung's edge
/// does not read as vessel-free.
fn vessel_density(grid: &LobeGrid, lungs: &Volume<bool>) -> Result<Volume<f32>, AisuError> {
    let inside = lungs.as_slice();
    let hu = grid.hu.as_slice();
    let indicator: Vec<f32> = hu
        .iter()
        .zip(inside)
        .map(|(h, l)| if *l && *h >= FISSURE_MAX_HU { 1.0 } else { 0.0 })
        .collect();
    let geometry = *grid.hu.geometry();
    let vessels = crate::regions::from_vec(indicator, geometry)?;
    let lung = crate::regions::from_vec(
        inside.iter().map(|l| f32::from(u8::from(*l))).collect(),
        geometry,
    )?;
    let sz = grid.hu.spacing()[2];
    let smooth = |v: &Volume<f32>, sigma: f64| {
        // Across slices thicker than the kernel there is no smoothing.
        let sigma_z = if sz <= sigma { sigma } else { 0.0 };
        volume::gaussian_smooth(v, [sigma, sigma, sigma_z]).map_err(crate::regions::fail)
    };
    let density = |sigma: f64| -> Result<Vec<f32>, AisuError> {
        let (v, l) = (smooth(&vessels, sigma)?, smooth(&lung, sigma)?);
        Ok(v.as_slice()
            .iter()
            .zip(l.as_slice())
            // Where the lung fills under a twentieth of the kernel the
            // ratio is noise: outside the lung, it is never looked at.
            .map(|(v, l)| if *l > 0.05 { v / l } else { 0.0 })
            .collect())
    };
    let local = density(VESSEL_GAP_SIGMA_MM)?;
    let context = density(VESSEL_GAP_CONTEXT_SIGMA_MM)?;
    // A floor under the context density, so that nearly empty lung (an
    // emphysematous or peripheral region) does not divide by nothing.
    let (sum, n) = context
        .iter()
        .zip(inside)
        .filter(|(_, l)| **l)
        .fold((0.0f64, 0usize), |a, (c, _)| (a.0 + f64::from(*c), a.1 + 1));
    let floor = (VESSEL_GAP_CONTEXT_FLOOR * sum / n.max(1) as f64) as f32;
    let relative: Vec<f32> = local
        .iter()
        .zip(&context)
        .map(|(d, c)| d / (c + floor).max(f32::MIN_POSITIVE))
        .collect();
    crate::regions::from_vec(relative, geometry)
}

/// The plane near `prior` (of a lung, whose columns `shape` gives) along
/// which the vessel density is lowest, where `valid(column, height)`;
/// `None` when fewer than [`VESSEL_GAP_MIN_SHARE`] of the lung's columns
/// are valid for every plane, or when the band is not clearly freer of
/// vessels than the prior's plane ([`VESSEL_GAP_CONFIRMED_CONTRAST`]).
fn vessel_gap_plane(
    grid: &LobeGrid,
    shape: &LungShape,
    lung: &Volume<bool>,
    density: &Volume<f32>,
    prior: &HeightField,
    search: PlaneSearch,
    valid: &(dyn Fn(usize, f64) -> bool + Sync),
) -> Option<Gap> {
    let [nx, ny, nz] = lung.dims();
    let s = grid.hu.spacing();
    let plane0 = prior_plane(grid, shape, prior);
    // Columns on a lattice of about [`VESSEL_GAP_SIGMA_MM`] (the density is
    // smooth on that scale).
    let stride = |k: usize| ((VESSEL_GAP_SIGMA_MM / s[k]).floor() as usize).max(1);
    let (sx, sy) = (stride(0), stride(1));
    let columns: Vec<(f64, f64, usize)> = (0..nx * ny)
        .filter(|&c| shape.inside[c] && (c % nx).is_multiple_of(sx) && (c / nx).is_multiple_of(sy))
        .map(|c| ((c % nx) as f64 * s[0], (c / nx) as f64 * s[1], c))
        .collect();
    let min_columns = (VESSEL_GAP_MIN_SHARE * columns.len() as f64) as usize;
    let data = lung.as_slice();
    let d = density.as_slice();
    let step = grid.up * s[2];
    let cost = |c: usize, h: f64| -> Option<f64> {
        let z = (h / step).round();
        if z < 0.0 || z >= nz as f64 || !valid(c, h) {
            return None;
        }
        let i = c + nx * ny * z as usize;
        data[i].then(|| f64::from(d[i]))
    };
    // Mean cost of a plane over the same columns, and how many count.
    let mean_cost = |p: Plane| mean_cost(&columns, p, &cost);
    let (prior_cost, n) = mean_cost(plane0);
    let found = least_cost_plane(&columns, plane0, search, min_columns, &cost);
    let found_n = found.map(|(p, _)| mean_cost(p).1);
    tracing::debug!(?found, prior_cost, n, found_n, "lobes: vessel gap search");
    // Only a band clearly freer of vessels than the prior's plane is
    // evidence; noise on thick slices makes shallow minima anywhere.
    found
        .filter(|_| n > 0 && prior_cost > 0.0)
        // A plane that leaves the lung over much of the prior's extent
        // scores only the few columns it keeps (a lung base, a periphery).
        .filter(|_| found_n.unwrap_or(0) as f64 >= VESSEL_GAP_MIN_COVERAGE * n as f64)
        .map(|(p, c)| Gap {
            plane: p,
            contrast: c / prior_cost,
        })
        .filter(|g| g.contrast <= VESSEL_GAP_CONFIRMED_CONTRAST)
}

/// A vessel-free plane: where it lies, and its vessel density relative to
/// the anatomical prior's plane.
#[derive(Debug, Clone, Copy)]
struct Gap {
    plane: Plane,
    contrast: f64,
}

/// Mean height difference, mm, between two planes over a lung's columns.
fn plane_distance(grid: &LobeGrid, shape: &LungShape, a: Plane, b: Plane) -> f64 {
    let nx = grid.hu.dims()[0];
    let s = grid.hu.spacing();
    let (sum, n) = (0..shape.inside.len())
        .filter(|&c| shape.inside[c])
        .map(|c| {
            let (x, y) = ((c % nx) as f64 * s[0], (c / nx) as f64 * s[1]);
            (a.at(x, y) - b.at(x, y)).abs()
        })
        .fold((0.0, 0usize), |acc, d| (acc.0 + d, acc.1 + 1));
    sum / n.max(1) as f64
}

/// A robust sheet threshold: a multiple of the median response.
fn sheet_threshold(sheets: &Sheets) -> f32 {
    let mut v: Vec<f32> = sheets
        .strength
        .iter()
        .copied()
        .filter(|s| *s > 0.0)
        .collect();
    if v.is_empty() {
        return f32::INFINITY;
    }
    let k = v.len() / 2;
    let (_, median, _) = v.select_nth_unstable_by(k, f32::total_cmp);
    3.0 * *median
}

/// Segments the lobes.
pub fn segment_lobes(
    ct: &Volume<i16>,
    right: Option<&Mask>,
    left: Option<&Mask>,
    bronchi: Option<&Landmarks>,
) -> Result<LobeSegmentation, AisuError> {
    let full = *ct.geometry();
    let mut masks: Vec<(&'static str, Option<Mask>)> = Vec::new();
    let t = phase("grid");
    let Some(grid) = lobe_grid(ct, [right, left])? else {
        for n in RIGHT.iter().chain(LEFT.iter()) {
            masks.push((n, None));
        }
        return Ok(LobeSegmentation {
            masks,
            values: json!({ "lungs": "absent" }),
        });
    };
    let union = match (&grid.lungs[0], &grid.lungs[1]) {
        (Some(a), Some(b)) => crate::regions::or(a, b),
        (Some(a), None) | (None, Some(a)) => a.clone(),
        (None, None) => return Err(AisuError::Failed("no lung on the lobe grid".into())),
    };
    drop(t);
    let t = phase("sheets");
    let sigma = sheet_sigma(&grid);
    let sheets = sheetness(&grid.hu, &union, sigma)?;
    let threshold = sheet_threshold(&sheets);
    drop(t);
    let t = phase("vessels");
    let density = vessel_density(&grid, &union)?;
    drop(t);
    let t = phase("fissures");
    let [cx, cy, _] = grid.hu.dims();
    let mut fissures = serde_json::Map::new();
    // Surfaces per side: right (oblique, horizontal), left (oblique).
    let mut surfaces: [Vec<HeightField>; 2] = [Vec::new(), Vec::new()];
    for side in 0..2 {
        let Some(lung) = &grid.lungs[side] else {
            continue;
        };
        let Some(shape) = lung_shape(&grid, lung) else {
            continue;
        };
        let name = if side == 0 { "right" } else { "left" };
        let below_apex = |p: [f64; 3]| {
            let h = grid.height(grid_index(&grid, p)[2]);
            (shape.apex - h) / (shape.apex - shape.base).max(1.0)
        };
        let bronchi = bronchi.filter(|lm| lobar_bronchi_plausible(&below_apex, lm, side));
        let oblique_prior = oblique_prior(&grid, &shape, cx, cy, bronchi, side);
        let gap = vessel_gap_plane(
            &grid,
            &shape,
            lung,
            &density,
            &oblique_prior,
            OBLIQUE_GAP_SEARCH,
            &|_, _| true,
        );
        let fit = find_fissure(
            &grid,
            &sheets,
            lung,
            &shape,
            &oblique_prior,
            threshold,
            OBLIQUE_SEARCH,
            (0.2, 0.98),
            &|_, _| true,
            gap,
        )?;
        let visible = visible_share(&grid, lung, &fit, None);
        fissures.insert(format!("{name}_oblique"), fissure_state(visible));
        surfaces[side].push(fit.surface);
        if side == 0 {
            let h0 = horizontal_height(&shape, bronchi, &grid);
            let prior = HeightField::from_fn(cx, cy, |_, _| h0);
            // The horizontal fissure is only looked for in front of (above)
            // the oblique one.
            let oblique = surfaces[0][0].clone();
            let above = |c: usize, h: f64| h > oblique.values[c] + 3.0;
            // Its vessel-free band is looked for clear of the oblique
            // fissure's own band.
            let clear = |c: usize, h: f64| h > oblique.values[c] + HORIZONTAL_GAP_CLEARANCE_MM;
            let gap = vessel_gap_plane(
                &grid,
                &shape,
                lung,
                &density,
                &prior,
                HORIZONTAL_GAP_SEARCH,
                &clear,
            );
            let fit = find_fissure(
                &grid,
                &sheets,
                lung,
                &shape,
                &prior,
                threshold,
                HORIZONTAL_SEARCH,
                (0.8, 1.0),
                &above,
                gap,
            )?;
            let visible = visible_share(&grid, lung, &fit, Some(&oblique));
            fissures.insert("right_horizontal".into(), fissure_state(visible));
            surfaces[0].push(fit.surface);
        }
    }
    drop(t);
    let _t = phase("label");
    // Label the lung voxels of the CT grid.
    let labels = label_lobes(&full, &grid, [right, left], &surfaces)?;
    let names: [&'static str; 5] = ["lobe_rul", "lobe_rml", "lobe_rll", "lobe_lul", "lobe_lll"];
    // One pass finds every lobe's box; each mask is cut from its own.
    let whole = Crop {
        lo: [0; 3],
        n: full.dims,
    };
    let mut cut = masks_from_labels(&full, &whole, labels.as_slice(), &[1, 2, 3, 4, 5]);
    cut.sort_by_key(|(k, _)| *k);
    let built: Vec<Option<Mask>> = cut
        .into_iter()
        .enumerate()
        .map(|(k, (_, mask))| {
            let side_present = if k < 3 {
                right.is_some()
            } else {
                left.is_some()
            };
            side_present.then_some(mask)
        })
        .collect();
    let mut volumes = serde_json::Map::new();
    for (k, m) in built.into_iter().enumerate() {
        if let Some(m) = &m {
            volumes.insert(
                names[k].into(),
                json!((m.volume_ml() * 10.0).round() / 10.0),
            );
        }
        masks.push((names[k], m));
    }
    Ok(LobeSegmentation {
        masks,
        values: json!({
            "volumes_ml": volumes,
            "fissures": fissures,
            "method": "fissure surfaces fitted to a Hessian sheet filter from an anatomical and bronchial prior",
        }),
    })
}

/// The oblique fissure's prior: a plane falling from the posterior lung
/// at [`OBLIQUE_POSTERIOR_DROP`] of the lung height below the apex to the
/// anterior lung base, shifted so that the lobar bronchi, when known, lie
/// on their side of it.
fn oblique_prior(
    grid: &LobeGrid,
    shape: &LungShape,
    cx: usize,
    cy: usize,
    bronchi: Option<&Landmarks>,
    side: usize,
) -> HeightField {
    let top = shape.apex - OBLIQUE_POSTERIOR_DROP * (shape.apex - shape.base);
    let span = (shape.posterior - shape.anterior).max(1.0);
    let plane = |d: f64| {
        let t = ((shape.posterior - d) / span).clamp(0.0, 1.0);
        top + t * (shape.anterior_base - top)
    };
    let mut shift = 0.0;
    if let Some(lm) = bronchi {
        // Upper (and middle) lobe bronchi above, lower lobe bronchus below.
        let (upper, lower) = lobar_names(side);
        let at = |name: &str| -> Option<(f64, f64)> {
            let p = lm.get(name)?;
            let i = grid_index(grid, *p);
            Some((grid.depth(i[1]), grid.height(i[2])))
        };
        for u in upper {
            if let Some((d, h)) = at(u) {
                let f = plane(d);
                if h < f + 5.0 {
                    shift = f64::min(shift, h - 5.0 - f);
                }
            }
        }
        if let Some((d, h)) = at(lower) {
            let f = plane(d) + shift;
            if h > f - 5.0 {
                shift += h + 5.0 - f;
            }
        }
    }
    tracing::debug!(side, top, shift, "lobes: oblique prior");
    let _ = cx;
    HeightField::from_fn(cx, cy, |_, y| plane(grid.depth(y as f64)) + shift)
}

/// The lobar bronchus names of one side: upper (and middle), lower.
fn lobar_names(side: usize) -> (&'static [&'static str], &'static str) {
    if side == 0 {
        (&["rul", "rml"], "rll")
    } else {
        (&["lul"], "lll")
    }
}

/// Whether the bronchial tree's lobar landmarks of one side can place the
/// fissures: each lies in the hilar band of heights
/// ([`LOBAR_BRONCHUS_HEIGHT_BAND`]) and no upper (or middle) lobe bronchus
/// shares the lower lobe bronchus's point
/// ([`LOBAR_BRONCHI_MIN_SEPARATION_MM`]). A tree grown into noise names
/// points anywhere; an unusable tree is ignored, not followed.
/// `below_apex` gives a point's depth below the lung apex as a share of
/// the lung's height.
fn lobar_bronchi_plausible(
    below_apex: &dyn Fn([f64; 3]) -> f64,
    lm: &Landmarks,
    side: usize,
) -> bool {
    let (upper, lower) = lobar_names(side);
    let (band_top, band_bottom) = LOBAR_BRONCHUS_HEIGHT_BAND;
    for &name in upper.iter().chain(std::iter::once(&lower)) {
        let Some(p) = lm.get(name) else { continue };
        let below_apex = below_apex(*p);
        if !(band_top..=band_bottom).contains(&below_apex) {
            tracing::debug!(
                side,
                name,
                below_apex,
                "lobes: a lobar bronchus outside the hilum; bronchial names not used"
            );
            return false;
        }
    }
    if let Some(lp) = lm.get(lower) {
        let fused = upper.iter().filter_map(|n| lm.get(*n)).any(|p| {
            let d2: f64 = (0..3).map(|k| (p[k] - lp[k]).powi(2)).sum();
            d2.sqrt() < LOBAR_BRONCHI_MIN_SEPARATION_MM
        });
        if fused {
            tracing::debug!(
                side,
                "lobes: upper and lower lobe bronchi on one point; bronchial names not used"
            );
            return false;
        }
    }
    true
}

/// The prior height of the right horizontal fissure: halfway down the
/// lung ([`HORIZONTAL_PRIOR_BELOW_APEX`]), kept above the middle lobe
/// bronchus when it is known. (Where the oblique fissure crosses the
/// lung's mid depth, the earlier prior, lay 12 mm too high on average
/// over the 20-case suite, up to 35 mm; a lung cut by the top of the scan
/// was no better placed by it.)
fn horizontal_height(shape: &LungShape, bronchi: Option<&Landmarks>, grid: &LobeGrid) -> f64 {
    let mut h = shape.apex - HORIZONTAL_PRIOR_BELOW_APEX * (shape.apex - shape.base);
    if let Some(p) = bronchi.and_then(|lm| lm.get("rml")) {
        let i = grid_index(grid, *p);
        h = h.max(grid.height(i[2]) + 5.0);
    }
    h
}

/// Continuous coarse-grid index of an LPS point.
fn grid_index(grid: &LobeGrid, p: [f64; 3]) -> [f64; 3] {
    grid.hu.geometry().lps_to_index(p)
}

/// Share of a fitted fissure, over the columns where it runs through the
/// lung (and, for the horizontal fissure, above the oblique one), that
/// lies on a visible sheet.
fn visible_share(
    grid: &LobeGrid,
    lung: &Volume<bool>,
    fit: &Fit,
    below: Option<&HeightField>,
) -> f64 {
    let [nx, ny, nz] = lung.dims();
    let data = lung.as_slice();
    let (mut total, mut seen) = (0usize, 0usize);
    for y in 0..ny {
        for x in 0..nx {
            let c = x + nx * y;
            let h = fit.surface.values[c];
            if below.is_some_and(|b| b.values[c] >= h) {
                continue;
            }
            let z = (h / (grid.up * grid.hu.spacing()[2])).round();
            if z < 0.0 || z >= nz as f64 || !data[x + nx * (y + ny * z as usize)] {
                continue;
            }
            total += 1;
            seen += usize::from(fit.on_sheet[c]);
        }
    }
    if total == 0 {
        0.0
    } else {
        seen as f64 / total as f64
    }
}

/// The state of a fissure from its visible share.
fn fissure_state(visible: f64) -> serde_json::Value {
    let state = if visible >= FISSURE_COMPLETE_SHARE {
        "complete"
    } else if visible >= FISSURE_SEEN_SHARE {
        "incomplete"
    } else {
        "not_seen"
    };
    json!({ "visible_share": (visible * 100.0).round() / 100.0, "state": state })
}

/// Lobe label (1..5 = rul, rml, rll, lul, lll; 0 outside) of every lung
/// voxel of the CT grid.
fn label_lobes(
    full: &Geometry,
    grid: &LobeGrid,
    lungs: [Option<&Mask>; 2],
    surfaces: &[Vec<HeightField>; 2],
) -> Result<Volume<u8>, AisuError> {
    let mut labels = Volume::filled(*full, 0u8);
    let [nx, ny, _] = full.dims;
    let f = grid.factor;
    let sz = grid.hu.spacing()[2];
    let data = labels.as_slice_mut();
    for side in 0..2 {
        let Some(lung) = lungs[side] else {
            continue;
        };
        let s = &surfaces[side];
        lung.for_each(|x, y, z| {
            // Continuous coarse column and height of the voxel.
            let cx =
                (x - grid.b.lo[0]) as f64 / f[0] as f64 - (f[0] as f64 - 1.0) / (2.0 * f[0] as f64);
            let cy =
                (y - grid.b.lo[1]) as f64 / f[1] as f64 - (f[1] as f64 - 1.0) / (2.0 * f[1] as f64);
            let cz = (z as f64 - grid.b.lo[2] as f64) / f[2] as f64
                - (f[2] as f64 - 1.0) / (2.0 * f[2] as f64);
            let h = grid.up * cz * sz;
            let label = if side == 0 {
                match (s.first(), s.get(1)) {
                    (Some(ob), Some(hz)) => {
                        if h < ob.at(cx, cy) {
                            3
                        } else if h < hz.at(cx, cy) {
                            2
                        } else {
                            1
                        }
                    }
                    _ => 1,
                }
            } else {
                match s.first() {
                    Some(ob) if h < ob.at(cx, cy) => 5,
                    _ => 4,
                }
            };
            data[x + nx * (y + ny * z)] = label;
        });
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Heights in these tests: z = 300 mm is the apex, z = 0 the base.
    fn below_apex(p: [f64; 3]) -> f64 {
        (300.0 - p[2]) / 300.0
    }

    fn landmarks(points: &[(&str, [f64; 3])]) -> Landmarks {
        points.iter().map(|(n, p)| (n.to_string(), *p)).collect()
    }

    /// A lung block 100 x 100 x 150 mm whose vessels are dense below
    /// z = 100 mm except for a fissure's 10 mm band at z = 50 mm, and
    /// sparse above (the periphery).
    fn banded_lung() -> (LobeGrid, Volume<bool>) {
        let geometry = Geometry {
            dims: [40, 40, 60],
            spacing: [2.5; 3],
            origin: [0.0; 3],
            direction: volume::IDENTITY_DIRECTION,
        };
        let [nx, ny, nz] = geometry.dims;
        let mut hu = Vec::with_capacity(nx * ny * nz);
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let share = match z {
                        19..=22 => 0.02,
                        0..=39 => 0.3,
                        _ => 0.04,
                    };
                    // A fixed scatter of vessel voxels at that share.
                    let hash = (x * 7919 + y * 104_729 + z * 1_299_709) % 1000;
                    hu.push(if (hash as f64) < share * 1000.0 {
                        0.0
                    } else {
                        -850.0
                    });
                }
            }
        }
        let hu = crate::regions::from_vec(hu, geometry).unwrap();
        let lung = Volume::filled(geometry, true);
        let grid = LobeGrid {
            b: crate::regions::IndexBox {
                lo: [0; 3],
                hi: [nx - 1, ny - 1, nz - 1],
            },
            factor: [1, 1, 1],
            hu,
            lungs: [Some(lung.clone()), None],
            up: 1.0,
            back: 1.0,
        };
        (grid, lung)
    }

    #[test]
    fn a_fissure_band_is_sparser_than_the_periphery_relative_to_its_surroundings() {
        let (grid, lung) = banded_lung();
        let density = vessel_density(&grid, &lung).unwrap();
        let [nx, ny, _] = lung.dims();
        let mean_at = |z: usize| {
            let d = density.as_slice();
            let plane = &d[nx * ny * z..nx * ny * (z + 1)];
            plane.iter().map(|v| f64::from(*v)).sum::<f64>() / plane.len() as f64
        };
        let (band, periphery, lobe) = (mean_at(20), mean_at(50), mean_at(10));
        // In absolute terms the band and the periphery hold about as few
        // vessels; relative to its surroundings the band is the gap.
        assert!(band < 0.6 * periphery, "band {band}, periphery {periphery}");
        assert!(band < 0.6 * lobe, "band {band}, lobe {lobe}");
    }

    #[test]
    fn planes_differ_by_their_mean_height_gap_over_the_lung() {
        let (grid, lung) = banded_lung();
        let shape = lung_shape(&grid, &lung).unwrap();
        let flat = Plane {
            x0: 50.0,
            y0: 50.0,
            h0: 50.0,
            bx: 0.0,
            by: 0.0,
        };
        let raised = Plane { h0: 62.0, ..flat };
        assert!((plane_distance(&grid, &shape, flat, raised) - 12.0).abs() < 1e-9);
        // A tilt about the lung's middle column averages to about half the
        // rise at the lung's edges (columns 0-97.5 mm).
        let tilted = Plane { by: 0.2, ..flat };
        let d = plane_distance(&grid, &shape, flat, tilted);
        assert!((d - 0.2 * 25.0).abs() < 0.5, "{d}");
    }

    #[test]
    fn hilar_lobar_bronchi_are_used() {
        let right = landmarks(&[
            ("rul", [-60.0, 0.0, 190.0]),
            ("rml", [-55.0, -15.0, 165.0]),
            ("rll", [-55.0, 5.0, 160.0]),
        ]);
        assert!(lobar_bronchi_plausible(&below_apex, &right, 0));
        // A side without names is not contradicted.
        assert!(lobar_bronchi_plausible(&below_apex, &landmarks(&[]), 1));
    }

    #[test]
    fn a_bronchus_at_the_apex_is_not_a_lobar_bronchus() {
        let left = landmarks(&[("lul", [60.0, 0.0, 290.0]), ("lll", [60.0, 10.0, 160.0])]);
        assert!(!lobar_bronchi_plausible(&below_apex, &left, 1));
        let low = landmarks(&[("lul", [60.0, 0.0, 180.0]), ("lll", [60.0, 10.0, 30.0])]);
        assert!(!lobar_bronchi_plausible(&below_apex, &low, 1));
    }

    #[test]
    fn upper_and_lower_bronchi_on_one_point_are_not_used() {
        let fused = landmarks(&[
            ("rul", [-60.0, 0.0, 190.0]),
            ("rml", [-55.0, -15.0, 165.0]),
            ("rll", [-55.0, -14.0, 163.0]),
        ]);
        assert!(!lobar_bronchi_plausible(&below_apex, &fused, 0));
    }
}
