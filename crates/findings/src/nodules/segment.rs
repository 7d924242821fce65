//! Segmentation of one seed and the vessel test.
//!
//! - Level: a low percentile ([`LESION_LEVEL_PERCENTILE`]) of the lightly
//!   smoothed HU in a ball at the seed (the ground-glass level of a
//!   part-solid nodule, the tissue level of a solid one); background: the
//!   median parenchyma of the neighbourhood.
//! - Region growing (6-connected) from the seed over voxels at or above
//!   half way between the two (half maximum), inside the search region
//!   and a ball of [`GROW_RADII`] estimated radii.
//! - An opening with a ball of [`OPEN_RADIUS_FRACTION`] of the lesion's
//!   inscribed radius near the seed (the largest depth of the grown
//!   region there) cuts attached vessels; the piece holding the seed is
//!   the lesion.
//! - Vessel test (vessel cross-sections and bifurcations are the main
//!   false positives): the lesion's elongation (ratio of its principal
//!   axes), whether it runs to the edge of its growth ball (a tube leaving
//!   the neighbourhood), and the dense structures leaving it through a
//!   thin shell, as a share of its own cross-section (a vessel passing
//!   through or branching exits with about its own calibre on two or
//!   three sides; a nodule's feeding vessels are much thinner).

use aisu::AisuError;
use anatomy::regions::{fail, from_vec};
use volume::{Connectivity, Geometry, Volume, label_components};

use crate::constants::{
    DEFAULT_LUNG_HU, EXIT_SHELL_MM, GROW_MAX_MM, GROW_MIN_MM, GROW_RADII, LESION_LEVEL_PERCENTILE,
    MIN_EXIT_SHARE, OPEN_RADIUS_FRACTION, PARENCHYMA_MAX_HU, RADIUS_PER_SIGMA,
    SEED_MIN_CONTRAST_HU, SEGMENT_LEVEL_FRACTION,
};
use crate::nodules::detect::Seed;

/// The cropped scan a unit run works on.
pub struct Scene {
    /// Geometry of the crop.
    pub grid: Geometry,
    /// Lightly smoothed HU.
    pub seg: Volume<f32>,
    /// Union of the lung masks.
    pub lung: Volume<bool>,
    /// Search region (lungs closed at the pleura).
    pub region: Volume<bool>,
    /// Global lung background, HU.
    pub background: f32,
}

/// A segmented seed.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The seed.
    pub seed: Seed,
    /// Linear crop indices of the lesion's voxels.
    pub voxels: Vec<usize>,
    /// Local lung background, HU.
    pub background: f32,
    /// Lesion level, HU.
    pub level: f32,
    /// Ratio of the first to the third principal axis.
    pub elongation: f64,
    /// True when it reaches the edge of its growth ball.
    pub touches_edge: bool,
    /// Cross-section of dense structures leaving it, as a share of its own.
    pub exit_share: f64,
    /// Number of those structures of at least [`MIN_EXIT_SHARE`].
    pub exits: usize,
}

/// An inclusive local box on the crop grid.
#[derive(Debug, Clone, Copy)]
struct Local {
    lo: [usize; 3],
    dims: [usize; 3],
}

impl Local {
    fn len(&self) -> usize {
        self.dims[0] * self.dims[1] * self.dims[2]
    }
    fn crop_index(&self, l: usize, crop_dims: [usize; 3]) -> usize {
        let [dx, dy, _] = self.dims;
        let (x, y, z) = (l % dx, (l / dx) % dy, l / (dx * dy));
        (x + self.lo[0]) + crop_dims[0] * ((y + self.lo[1]) + crop_dims[1] * (z + self.lo[2]))
    }
}

/// Value at `fraction` of the sorted values (0 = min, 1 = max).
pub fn percentile(values: &mut [f32], fraction: f64) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    let k = ((values.len() - 1) as f64 * fraction.clamp(0.0, 1.0)).round() as usize;
    let (_, v, _) = values.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    Some(*v)
}

/// Segments one seed; `None` when there is no lesion at it.
pub fn segment(scene: &Scene, seed: &Seed) -> Result<Option<Candidate>, AisuError> {
    let g = scene.grid;
    let s = g.spacing;
    let dims = g.dims;
    let r_est = RADIUS_PER_SIGMA * seed.sigma_mm;
    let grow = (GROW_RADII * r_est).clamp(GROW_MIN_MM, GROW_MAX_MM);
    let margin = grow + EXIT_SHELL_MM + 1.0;
    let mut lo = [0usize; 3];
    let mut ld = [0usize; 3];
    for a in 0..3 {
        let m = (margin / s[a]).ceil();
        let l = (seed.index[a] - m).max(0.0).floor() as usize;
        let h = ((seed.index[a] + m).ceil() as usize).min(dims[a].saturating_sub(1));
        if h < l {
            return Ok(None);
        }
        lo[a] = l;
        ld[a] = h - l + 1;
    }
    let local = Local { lo, dims: ld };
    let seg = scene.seg.as_slice();
    let lung = scene.lung.as_slice();
    let region = scene.region.as_slice();
    // Distance (mm^2) of a local voxel from the seed.
    let d2 = |l: usize| -> f64 {
        let (x, y, z) = (l % ld[0], (l / ld[0]) % ld[1], l / (ld[0] * ld[1]));
        let p = [x + lo[0], y + lo[1], z + lo[2]];
        (0..3)
            .map(|a| ((p[a] as f64 - seed.index[a]) * s[a]).powi(2))
            .sum()
    };
    // Local background and lesion level.
    let inner = (0.4 * r_est).max(0.75 * s[0].max(s[1]));
    let mut parenchyma = Vec::new();
    let mut core = Vec::new();
    for l in 0..local.len() {
        let i = local.crop_index(l, dims);
        let v = seg[i];
        if lung[i] && v < PARENCHYMA_MAX_HU {
            parenchyma.push(v);
        }
        if region[i] && d2(l) <= inner * inner {
            core.push(v);
        }
    }
    let background = if parenchyma.len() >= 50 {
        percentile(&mut parenchyma, 0.5).unwrap_or(scene.background)
    } else if scene.background.is_finite() {
        scene.background
    } else {
        DEFAULT_LUNG_HU
    };
    let Some(level) = percentile(&mut core, LESION_LEVEL_PERCENTILE) else {
        return Ok(None);
    };
    if level - background < SEED_MIN_CONTRAST_HU {
        return Ok(None);
    }
    let threshold = background + SEGMENT_LEVEL_FRACTION * (level - background);
    // Start: the voxel nearest the seed at or above the threshold.
    let start = (0..local.len())
        .filter(|&l| {
            let i = local.crop_index(l, dims);
            region[i] && seg[i] >= threshold && d2(l) <= inner * inner
        })
        .min_by(|&a, &b| d2(a).total_cmp(&d2(b)));
    let Some(start) = start else {
        return Ok(None);
    };
    // Region growing inside the ball.
    let mut grown = vec![false; local.len()];
    let mut queue = std::collections::VecDeque::from([start]);
    grown[start] = true;
    let plane = ld[0] * ld[1];
    while let Some(l) = queue.pop_front() {
        let (x, y, z) = (l % ld[0], (l / ld[0]) % ld[1], l / plane);
        let mut next = [usize::MAX; 6];
        if x > 0 {
            next[0] = l - 1;
        }
        if x + 1 < ld[0] {
            next[1] = l + 1;
        }
        if y > 0 {
            next[2] = l - ld[0];
        }
        if y + 1 < ld[1] {
            next[3] = l + ld[0];
        }
        if z > 0 {
            next[4] = l - plane;
        }
        if z + 1 < ld[2] {
            next[5] = l + plane;
        }
        for n in next {
            if n == usize::MAX || grown[n] {
                continue;
            }
            let i = local.crop_index(n, dims);
            if region[i] && seg[i] >= threshold && d2(n) <= grow * grow {
                grown[n] = true;
                queue.push_back(n);
            }
        }
    }
    let mut lg = g;
    lg.dims = ld;
    lg.origin = g.index_to_lps([lo[0] as f64, lo[1] as f64, lo[2] as f64]);
    let grown_vol = from_vec(grown, lg)?;
    // The lesion's inscribed radius near the seed sets the opening: vessels
    // thinner than that share of it are cut off.
    let depth = volume::distance_to_background(&grown_vol);
    let r_in = depth
        .as_slice()
        .iter()
        .enumerate()
        .filter(|(l, v)| v.is_finite() && d2(*l) <= (0.5 * r_est).max(inner).powi(2))
        .map(|(_, v)| f64::from(*v))
        .fold(0.0, f64::max);
    drop(depth);
    let radius = OPEN_RADIUS_FRACTION * r_in;
    let opened = if radius >= 0.5 * s[0].min(s[1]) {
        volume::open(&grown_vol, radius).map_err(fail)?
    } else {
        grown_vol.clone()
    };
    let parts = label_components(&opened, Connectivity::Six).map_err(fail)?;
    let labels = parts.labels.as_slice();
    let mut body: Vec<usize> = if labels[start] != 0 {
        let want = labels[start];
        (0..local.len()).filter(|&l| labels[l] == want).collect()
    } else {
        // The opening removed the seed's voxel: the nearest piece within
        // the inner ball, else the grown region itself (a small nodule).
        let near = (0..local.len())
            .filter(|&l| labels[l] != 0 && d2(l) <= inner * inner)
            .min_by(|&a, &b| d2(a).total_cmp(&d2(b)));
        match near {
            Some(n) => {
                let want = labels[n];
                (0..local.len()).filter(|&l| labels[l] == want).collect()
            }
            None => {
                let gv = grown_vol.as_slice();
                (0..local.len()).filter(|&l| gv[l]).collect()
            }
        }
    };
    if body.is_empty() {
        return Ok(None);
    }
    // Shape.
    let edge = grow - 1.5 * s[0].max(s[1]).max(s[2].min(grow / 3.0));
    let touches_edge = body.iter().any(|&l| d2(l) > edge * edge);
    let elongation = elongation(&body, ld, s);
    // Dense structures leaving through a shell around the body.
    let mut body_vol = vec![false; local.len()];
    for &l in &body {
        body_vol[l] = true;
    }
    let body_vol = from_vec(body_vol, lg)?;
    let shell = volume::dilate(&body_vol, EXIT_SHELL_MM).map_err(fail)?;
    let gv = grown_vol.as_slice();
    let ring: Vec<bool> = shell
        .as_slice()
        .iter()
        .zip(body_vol.as_slice())
        .zip(gv)
        .map(|((sh, b), gr)| *sh && !*b && *gr)
        .collect();
    let ring = from_vec(ring, lg)?;
    let voxel_mm3 = s[0] * s[1] * s[2];
    let r_eq = super::measure::equivalent_radius_mm(body.len(), voxel_mm3);
    let own = (std::f64::consts::PI * r_eq * r_eq).max(1e-9);
    let pieces = label_components(&ring, Connectivity::TwentySix).map_err(fail)?;
    let shares: Vec<f64> = pieces
        .stats
        .iter()
        .map(|p| p.voxel_count as f64 * voxel_mm3 / EXIT_SHELL_MM / own)
        .collect();
    let exit_share = shares.iter().sum::<f64>();
    let exits = shares.iter().filter(|v| **v >= MIN_EXIT_SHARE).count();
    for l in body.iter_mut() {
        *l = local.crop_index(*l, dims);
    }
    Ok(Some(Candidate {
        seed: *seed,
        voxels: body,
        background,
        level,
        elongation,
        touches_edge,
        exit_share,
        exits,
    }))
}

/// Ratio of the largest to the smallest principal axis of local voxels.
fn elongation(voxels: &[usize], ld: [usize; 3], s: [f64; 3]) -> f64 {
    let n = voxels.len() as f64;
    if voxels.len() < 4 {
        return 1.0;
    }
    let pos = |l: usize| -> [f64; 3] {
        [
            (l % ld[0]) as f64 * s[0],
            ((l / ld[0]) % ld[1]) as f64 * s[1],
            (l / (ld[0] * ld[1])) as f64 * s[2],
        ]
    };
    let mut mean = [0.0; 3];
    for &l in voxels {
        let p = pos(l);
        for a in 0..3 {
            mean[a] += p[a] / n;
        }
    }
    let mut c = [0.0; 6];
    for &l in voxels {
        let p = pos(l);
        let d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
        c[0] += d[0] * d[0];
        c[1] += d[1] * d[1];
        c[2] += d[2] * d[2];
        c[3] += d[0] * d[1];
        c[4] += d[0] * d[2];
        c[5] += d[1] * d[2];
    }
    // A voxel's own extent (variance of a uniform box, s^2 / 12) keeps
    // one-slice objects from looking flat.
    c[0] += n * s[0] * s[0] / 12.0;
    c[1] += n * s[1] * s[1] / 12.0;
    c[2] += n * s[2] * s[2] / 12.0;
    let e = volume::symmetric_eigenvalues(c);
    (e[0].max(1e-12) / e[2].max(1e-12)).sqrt()
}
