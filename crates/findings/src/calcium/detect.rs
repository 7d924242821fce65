//! Finding calcified lesions in and around the heart and telling the
//! coronary ones from the rest (module docs of [`crate::calcium`]).

use aisu::{AisuError, Mask};
use anatomy::regions::{IndexBox, crop, crop_mask, fail};
use volume::{Geometry, Volume};

use crate::constants::{
    CAC_AIR_MAX_HU, CAC_AORTA_MARGIN_MM, CAC_AORTA_SHARE, CAC_FAT_MAX_HU, CAC_HU,
    CAC_MAX_AIR_SHARE, CAC_MAX_DEPTH_MM, CAC_MIN_FAT_SHARE, CAC_NOISE_K, CAC_OUTSIDE_MM,
    CAC_OUTSIDE_SHARE, CAC_SEARCH_MARGIN_MM, CAC_SHELL_MM, CAC_SOFT_TISSUE_HU,
};

/// Coronary territories in CAC-DRS order.
pub const VESSELS: [&str; 4] = ["LM", "LAD", "LCx", "RCA"];

/// Why a calcified component is not counted as coronary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Coronary calcium, counted.
    Coronary,
    /// Mostly within the aorta mask or its wall (F21 / aortic root).
    Aortic,
    /// Deep in the heart mask (valve, mitral annulus).
    Intracardiac,
    /// No epicardial fat around it (enclosed by soft tissue: annulus,
    /// valve, myocardium).
    NoFat,
    /// Peak within the noise of soft tissue.
    Noise,
    /// On the lung border (pericardium, pleura): air around it.
    LungBorder,
    /// Continues beyond the search region (bone, costal cartilage, the
    /// aorta beyond the heart).
    Outside,
}

/// One 3D connected calcified component in the search region.
#[derive(Debug, Clone)]
pub struct Component {
    /// Crop-grid voxel indices.
    pub voxels: Vec<usize>,
    /// Peak HU.
    pub peak_hu: f32,
    /// Centroid, LPS mm.
    pub centroid: [f64; 3],
    /// Depth of the centroid inside the heart mask, mm (0 outside).
    pub depth_mm: f64,
    /// Share of its voxels near the aorta.
    pub aorta_share: f64,
    /// Share of fat in the shell around it.
    pub fat_share: f64,
    /// Share of air (lung) in the shell around it.
    pub air_share: f64,
    /// Distance of its nearest voxel to the heart mask, mm.
    pub heart_gap_mm: f64,
    /// Mean HU of its voxels.
    pub mean_hu: f32,
    /// Distance of its nearest voxel to the aorta mask, mm (infinite
    /// without one).
    pub aorta_mm: f64,
    /// Decision.
    pub verdict: Verdict,
    /// Territory index into [`VESSELS`] (coronary ones).
    pub vessel: usize,
}

/// The search scene, on a crop of the CT grid.
pub struct Scene {
    /// Crop box on the CT grid.
    pub bbox: IndexBox,
    /// HU on the crop.
    pub hu: Volume<i16>,
    /// Noise SD measured in the epicardial fat, HU.
    pub noise_hu: f32,
    /// Every calcified component, coronary or not.
    pub components: Vec<Component>,
}

/// Heart frame for the territory rule: centroid and half extents, LPS mm.
#[derive(Debug, Clone, Copy)]
pub struct HeartFrame {
    /// Centroid of the heart mask.
    pub centre: [f64; 3],
    /// Half of the heart mask's bounding box extent per axis.
    pub half: [f64; 3],
}

impl HeartFrame {
    /// The frame of a heart mask.
    pub fn of(heart: &Mask) -> Option<HeartFrame> {
        let centre = heart.centroid_lps()?;
        let (lo, hi) = heart.bbox_index()?;
        let g = heart.grid();
        let a = g.index_to_lps([lo[0] as f64, lo[1] as f64, lo[2] as f64]);
        let b = g.index_to_lps([hi[0] as f64, hi[1] as f64, hi[2] as f64]);
        let half = std::array::from_fn(|k| (0.5 * (a[k] - b[k]).abs()).max(1.0));
        Some(HeartFrame { centre, half })
    }

    /// Normalised position: x left +, y posterior +, z superior +, in
    /// half extents from the centre.
    pub fn local(&self, p: [f64; 3]) -> [f64; 3] {
        std::array::from_fn(|k| (p[k] - self.centre[k]) / self.half[k])
    }
}

/// Territory of a coronary lesion by its position relative to the heart
/// (module docs of [`crate::calcium`]): right of the heart's centre RCA;
/// left and posterior LCx; left, anterior and in the top quarter of the
/// heart beside the aorta LM; else LAD.
pub fn territory(frame: &HeartFrame, p: [f64; 3], near_aorta_mm: f64) -> usize {
    let [u, v, w] = frame.local(p);
    if u < crate::constants::CAC_RCA_MAX_U {
        3
    } else if v > crate::constants::CAC_LCX_MIN_V {
        2
    } else if w > crate::constants::CAC_LM_MIN_W
        && near_aorta_mm < crate::constants::CAC_LM_AORTA_MM
    {
        0
    } else {
        1
    }
}

/// Robust SD (1.4826 x median absolute deviation) of at least 50 values.
fn robust_sd(v: Vec<f32>) -> Option<f32> {
    if v.len() < 50 {
        return None;
    }
    crate::median_robust_sd(v).map(|(_, sd)| sd)
}

/// Finds the calcified components around the heart and classifies them.
/// The search region takes in the aortic valve's zone when given
/// ([`super::valve::Zone`]): the valve lies at the top of the heart and
/// in the root, which the heart and sac masks may leave out.
pub fn find(
    ct: &Volume<i16>,
    heart: &Mask,
    sac: Option<&Mask>,
    fat: Option<&Mask>,
    aorta: Option<&Mask>,
    zone: Option<&super::valve::Zone>,
) -> Result<Option<Scene>, AisuError> {
    let full = *ct.geometry();
    let Some(mut b) = IndexBox::of_mask(heart) else {
        return Ok(None);
    };
    if let Some(sb) = sac.and_then(IndexBox::of_mask) {
        b = b.union(&sb);
    }
    if let Some(rb) = zone.and_then(|z| z.index_box(&full)) {
        b = b.union(&rb);
    }
    let s = full.spacing;
    let margin = std::array::from_fn(|a| {
        ((CAC_SEARCH_MARGIN_MM + CAC_SHELL_MM + CAC_OUTSIDE_MM) / s[a]).ceil() as usize + 1
    });
    let b = b.grown(margin, full.dims);
    let hu = crop(ct, &b)?;
    let g = *hu.geometry();
    let heart_c = crop_mask(heart, &full, &b)?;
    let mut region = heart_c.clone();
    if let Some(sac) = sac {
        let sac_c = crop_mask(sac, &full, &b)?;
        for (r, v) in region.as_slice_mut().iter_mut().zip(sac_c.as_slice()) {
            *r |= *v;
        }
    }
    let mut region = volume::dilate(&region, CAC_SEARCH_MARGIN_MM).map_err(fail)?;
    if let Some(z) = zone {
        let g = *region.geometry();
        let [nx, ny, _] = g.dims;
        for (i, v) in region.as_slice_mut().iter_mut().enumerate() {
            if !*v {
                let p = [
                    (i % nx) as f64,
                    ((i / nx) % ny) as f64,
                    (i / (nx * ny)) as f64,
                ];
                *v = z.holds(g.index_to_lps(p));
            }
        }
    }
    // Depth inside the heart (calcium holes filled).
    let filled = volume::fill_holes_slicewise(&heart_c).map_err(fail)?;
    let depth = volume::distance_to_background(&filled);
    let gap = volume::distance_to_foreground(&filled);
    let near_aorta = match aorta {
        Some(a) => {
            let a_c = crop_mask(a, &full, &b)?;
            if a_c.as_slice().iter().any(|v| *v) {
                Some(volume::distance_to_foreground(&a_c))
            } else {
                None
            }
        }
        None => None,
    };
    // Noise in the epicardial fat (else fat-range voxels of the region).
    let hu_s = hu.as_slice();
    let fat_vals: Vec<f32> = match fat {
        Some(f) => {
            let f_c = crop_mask(f, &full, &b)?;
            hu_s.iter()
                .zip(f_c.as_slice())
                .filter(|(_, m)| **m)
                .map(|(v, _)| f32::from(*v))
                .collect()
        }
        None => Vec::new(),
    };
    let fat_vals = if fat_vals.len() >= 50 {
        fat_vals
    } else {
        hu_s.iter()
            .zip(region.as_slice())
            .filter(|(v, r)| **r && f32::from(**v) < CAC_FAT_MAX_HU && **v > -250)
            .map(|(v, _)| f32::from(*v))
            .collect()
    };
    let noise_hu = robust_sd(fat_vals).unwrap_or(20.0);
    // Components of >= 130 HU (26-connected) with a voxel in the region;
    // those continuing well beyond it are not cardiac.
    let [nx, ny, _] = g.dims;
    let plane = nx * ny;
    let reg = region.as_slice();
    let bright =
        anatomy::regions::from_vec(hu_s.iter().map(|v| f32::from(*v) >= CAC_HU).collect(), g)?;
    let labelled = volume::components::label_components(&bright, volume::Connectivity::TwentySix)
        .map_err(fail)?;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); labelled.len() + 1];
    for (i, &l) in labelled.labels.as_slice().iter().enumerate() {
        if l > 0 {
            members[l as usize].push(i);
        }
    }
    let mut components = Vec::new();
    for voxels in members.into_iter().filter(|v| !v.is_empty()) {
        let inside = voxels.iter().filter(|&&i| reg[i]).count();
        if inside > 0 {
            let outside = (voxels.len() - inside) as f64 / voxels.len() as f64;
            components.push((voxels, outside));
        }
    }
    let d_s = depth.as_slice();
    let gap_s = gap.as_slice();
    let a_s = near_aorta.as_ref().map(|v| v.as_slice());
    let noise_floor = CAC_SOFT_TISSUE_HU + CAC_NOISE_K * noise_hu;
    let out: Vec<Component> = components
        .into_iter()
        .map(|(voxels, outside)| {
            let n = voxels.len() as f64;
            let peak_hu = voxels
                .iter()
                .map(|&i| f32::from(hu_s[i]))
                .fold(f32::MIN, f32::max);
            let mut c = [0.0; 3];
            for &i in &voxels {
                c[0] += (i % nx) as f64;
                c[1] += ((i / nx) % ny) as f64;
                c[2] += (i / plane) as f64;
            }
            let ci = c.map(|v| v / n);
            let centroid = g.index_to_lps(ci);
            let depth_mm = {
                let mut d: Vec<f32> = voxels.iter().map(|&i| d_s[i]).collect();
                let mid = d.len() / 2;
                d.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
                f64::from(d[mid])
            };
            let aorta_share = a_s.map_or(0.0, |a| {
                voxels
                    .iter()
                    .filter(|&&i| f64::from(a[i]) <= CAC_AORTA_MARGIN_MM)
                    .count() as f64
                    / n
            });
            let aorta_mm = a_s.map_or(f64::INFINITY, |a| {
                voxels
                    .iter()
                    .map(|&i| f64::from(a[i]))
                    .fold(f64::INFINITY, f64::min)
            });
            let heart_gap_mm = voxels
                .iter()
                .map(|&i| f64::from(gap_s[i]))
                .fold(f64::INFINITY, f64::min);
            let mean_hu = (voxels.iter().map(|&i| f64::from(hu_s[i])).sum::<f64>() / n) as f32;
            let (fat_share, air_share) = shell_shares(&voxels, &g, hu_s, CAC_SHELL_MM);
            let verdict = if outside > CAC_OUTSIDE_SHARE {
                Verdict::Outside
            } else if aorta_share > CAC_AORTA_SHARE {
                Verdict::Aortic
            } else if peak_hu < noise_floor {
                Verdict::Noise
            } else if depth_mm > CAC_MAX_DEPTH_MM {
                Verdict::Intracardiac
            } else if air_share > CAC_MAX_AIR_SHARE {
                Verdict::LungBorder
            } else if fat_share < CAC_MIN_FAT_SHARE {
                Verdict::NoFat
            } else {
                Verdict::Coronary
            };
            Component {
                voxels,
                peak_hu,
                centroid,
                depth_mm,
                aorta_share,
                fat_share,
                air_share,
                heart_gap_mm,
                mean_hu,
                aorta_mm,
                verdict,
                vessel: 1,
            }
        })
        .collect();
    Ok(Some(Scene {
        bbox: b,
        hu,
        noise_hu,
        components: out,
    }))
}

/// Shares of fat (< [`CAC_FAT_MAX_HU`]) and air (< [`CAC_AIR_MAX_HU`],
/// lung) among the voxels within `shell_mm` of the component (voxel
/// indices on grid `g`) and not in it.
pub(crate) fn shell_shares(
    voxels: &[usize],
    g: &Geometry,
    hu: &[i16],
    shell_mm: f64,
) -> (f64, f64) {
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    let s = g.spacing;
    let r: [i64; 3] = std::array::from_fn(|a| (shell_mm / s[a]).floor() as i64);
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for &i in voxels {
        let p = [i % nx, (i / nx) % ny, i / plane];
        for a in 0..3 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    let lo: [usize; 3] = std::array::from_fn(|a| lo[a].saturating_sub(r[a] as usize));
    let hi: [usize; 3] = std::array::from_fn(|a| (hi[a] + r[a] as usize).min(g.dims[a] - 1));
    let d: [usize; 3] = std::array::from_fn(|a| hi[a] - lo[a] + 1);
    let mut inside = vec![false; d[0] * d[1] * d[2]];
    let mut shell = vec![false; inside.len()];
    let local = |p: [usize; 3]| (p[0] - lo[0]) + d[0] * ((p[1] - lo[1]) + d[1] * (p[2] - lo[2]));
    for &i in voxels {
        inside[local([i % nx, (i / nx) % ny, i / plane])] = true;
    }
    let r2 = shell_mm * shell_mm;
    for &i in voxels {
        let p = [i % nx, (i / nx) % ny, i / plane];
        for dz in -r[2]..=r[2] {
            for dy in -r[1]..=r[1] {
                for dx in -r[0]..=r[0] {
                    let dd = (dx as f64 * s[0]).powi(2)
                        + (dy as f64 * s[1]).powi(2)
                        + (dz as f64 * s[2]).powi(2);
                    if dd > r2 {
                        continue;
                    }
                    let q = [p[0] as i64 + dx, p[1] as i64 + dy, p[2] as i64 + dz];
                    if (0..3).any(|a| q[a] < lo[a] as i64 || q[a] > hi[a] as i64) {
                        continue;
                    }
                    let q = [q[0] as usize, q[1] as usize, q[2] as usize];
                    let l = local(q);
                    if !inside[l] {
                        shell[l] = true;
                    }
                }
            }
        }
    }
    let _ = nz;
    let (mut n, mut f, mut air) = (0usize, 0usize, 0usize);
    for z in 0..d[2] {
        for y in 0..d[1] {
            for x in 0..d[0] {
                let l = x + d[0] * (y + d[1] * z);
                if shell[l] {
                    n += 1;
                    let i = (x + lo[0]) + nx * ((y + lo[1]) + ny * (z + lo[2]));
                    let v = f32::from(hu[i]);
                    if v < CAC_AIR_MAX_HU {
                        air += 1;
                    } else if v < CAC_FAT_MAX_HU {
                        f += 1;
                    }
                }
            }
        }
    }
    if n == 0 {
        (0.0, 0.0)
    } else {
        (f as f64 / n as f64, air as f64 / n as f64)
    }
}
