//! Anatomy scoring: Dice, mean symmetric surface distance and the 95th
//! percentile Hausdorff distance per canonical structure, comparing a
//! predicted anatomy map with a ground-truth label map by name.
//!
//! Structures are compared as FINDINGS-JSON.md says: a lung is the union
//! of its lobes, and vessels, airways and lesions inside a lung count as
//! part of it (an "inner" voxel belongs to a structure when, on its axial
//! slice, it is enclosed by that structure). Both maps are treated alike.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use volume::{Geometry, Volume};

/// Label names that count as part of the lung or lobe that encloses them.
const INNER: [&str; 5] = [
    "vessels",
    "bronchi",
    "pulmonary_veins",
    "airway_wall",
    "lesion_",
];

/// The names a structure is made of (its own name for most).
fn members(structure: &str) -> Vec<&'static str> {
    match structure {
        "lung_right" => vec!["lung_right", "lobe_rul", "lobe_rml", "lobe_rll"],
        "lung_left" => vec!["lung_left", "lobe_lul", "lobe_lll"],
        _ => Vec::new(),
    }
}

/// Structures whose enclosed inner voxels count as theirs.
fn takes_inner(structure: &str) -> bool {
    structure.starts_with("lung_") || structure.starts_with("lobe_")
}

/// The score of one structure in one case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StructureScore {
    /// Canonical name.
    pub name: String,
    /// Dice coefficient (0 when predicted absent).
    pub dice: f64,
    /// Mean symmetric surface distance, mm (None when either is empty).
    pub assd_mm: Option<f64>,
    /// 95th percentile symmetric surface distance, mm.
    pub hd95_mm: Option<f64>,
    /// Ground-truth volume, mL.
    pub truth_ml: f64,
    /// Predicted volume, mL.
    pub predicted_ml: f64,
    /// Whether the prediction's legend names the structure (or one of its
    /// parts) at all: a unit of the pathway produces it. A structure no
    /// unit produces is listed, not scored as a miss.
    pub produced: bool,
}

/// Scores every anatomy structure of the truth that airad's canonical list
/// names, against the prediction.
pub fn score_anatomy(
    predicted: &Volume<u16>,
    predicted_legend: &BTreeMap<String, String>,
    truth: &Volume<u16>,
    truth_legend: &BTreeMap<String, String>,
) -> Vec<StructureScore> {
    let truth_names = names_by_label(truth_legend);
    let predicted_names = names_by_label(predicted_legend);
    let mut structures: BTreeSet<String> = BTreeSet::new();
    for name in truth_names.values() {
        if aisu::anatomy::label_of(name).is_some() {
            structures.insert(name.clone());
        }
    }
    // Lungs are scored whenever lobes are in the truth.
    if truth_names.values().any(|n| n.starts_with("lobe_r")) {
        structures.insert("lung_right".into());
    }
    if truth_names.values().any(|n| n.starts_with("lobe_l")) {
        structures.insert("lung_left".into());
    }
    // Finer tissues are not anatomy units' business.
    for skip in [
        "skin",
        "fat",
        "muscle",
        "table",
        "vessels",
        "epicardial_fat",
    ] {
        structures.remove(skip);
    }
    structures
        .into_par_iter()
        .map(|name| {
            let t = structure_mask(truth, &truth_names, &name);
            let p = structure_mask(predicted, &predicted_names, &name);
            let mut score = compare(&name, &p, &t, truth.geometry());
            score.produced = !own_labels(&predicted_names, &name).is_empty();
            score
        })
        .collect()
}

fn names_by_label(legend: &BTreeMap<String, String>) -> BTreeMap<u16, String> {
    legend
        .iter()
        .filter_map(|(k, v)| Some((k.parse::<u16>().ok()?, v.clone())))
        .collect()
}

/// The labels of a legend that make up `structure` (itself or its parts).
fn own_labels(names: &BTreeMap<u16, String>, structure: &str) -> BTreeSet<u16> {
    let group = members(structure);
    names
        .iter()
        .filter(|(_, name)| *name == structure || group.contains(&name.as_str()))
        .map(|(label, _)| *label)
        .collect()
}

/// Voxel indices of a structure in a label map.
fn structure_mask(map: &Volume<u16>, names: &BTreeMap<u16, String>, structure: &str) -> Vec<bool> {
    let own = own_labels(names, structure);
    let data = map.as_slice();
    let mut mask: Vec<bool> = data.par_iter().map(|l| own.contains(l)).collect();
    if takes_inner(structure) && !own.is_empty() {
        let inner: BTreeSet<u16> = names
            .iter()
            .filter(|(_, n)| INNER.iter().any(|p| n.starts_with(p)))
            .map(|(l, _)| *l)
            .collect();
        add_enclosed(&mut mask, data, &inner, map.geometry());
    }
    mask
}

/// Adds voxels with an inner label that are enclosed, on their axial
/// slice, by the mask (4-connected flood from the slice border through
/// non-mask voxels marks the outside).
fn add_enclosed(mask: &mut [bool], labels: &[u16], inner: &BTreeSet<u16>, g: &Geometry) {
    let [nx, ny, nz] = g.dims;
    let plane = nx * ny;
    mask.par_chunks_mut(plane)
        .zip(labels.par_chunks(plane))
        .for_each(|(m, l)| {
            if !m.iter().any(|v| *v) {
                return;
            }
            let mut outside = vec![false; plane];
            let mut stack = Vec::new();
            for x in 0..nx {
                stack.push(x);
                stack.push(x + nx * (ny - 1));
            }
            for y in 0..ny {
                stack.push(nx * y);
                stack.push(nx - 1 + nx * y);
            }
            while let Some(i) = stack.pop() {
                if outside[i] || m[i] {
                    continue;
                }
                outside[i] = true;
                let (x, y) = (i % nx, i / nx);
                if x > 0 {
                    stack.push(i - 1);
                }
                if x + 1 < nx {
                    stack.push(i + 1);
                }
                if y > 0 {
                    stack.push(i - nx);
                }
                if y + 1 < ny {
                    stack.push(i + nx);
                }
            }
            for i in 0..plane {
                if !m[i] && !outside[i] && inner.contains(&l[i]) {
                    m[i] = true;
                }
            }
        });
    let _ = nz;
}

fn compare(name: &str, p: &[bool], t: &[bool], g: &Geometry) -> StructureScore {
    let voxel_ml = g.voxel_volume_mm3() / 1000.0;
    let (both, np, nt) = p
        .par_iter()
        .zip(t.par_iter())
        .map(|(a, b)| (usize::from(*a && *b), usize::from(*a), usize::from(*b)))
        .reduce(|| (0, 0, 0), |x, y| (x.0 + y.0, x.1 + y.1, x.2 + y.2));
    let dice = if np + nt == 0 {
        1.0
    } else {
        2.0 * both as f64 / (np + nt) as f64
    };
    let (assd, hd95) = if np > 0 && nt > 0 {
        surface_distances(p, t, g)
    } else {
        (None, None)
    };
    StructureScore {
        name: name.to_string(),
        dice,
        assd_mm: assd,
        hd95_mm: hd95,
        truth_ml: nt as f64 * voxel_ml,
        predicted_ml: np as f64 * voxel_ml,
        produced: true,
    }
}

/// Symmetric surface distances between two masks, computed on their
/// joint bounding box (plus a margin) with exact anisotropic EDTs.
fn surface_distances(p: &[bool], t: &[bool], g: &Geometry) -> (Option<f64>, Option<f64>) {
    let [nx, ny, nz] = g.dims;
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for (i, (a, b)) in p.iter().zip(t).enumerate() {
        if *a || *b {
            let c = [i % nx, (i / nx) % ny, i / (nx * ny)];
            for k in 0..3 {
                lo[k] = lo[k].min(c[k]);
                hi[k] = hi[k].max(c[k]);
            }
        }
    }
    let margin = 3;
    let lo = [
        lo[0].saturating_sub(margin),
        lo[1].saturating_sub(margin),
        lo[2].saturating_sub(margin),
    ];
    let hi = [
        (hi[0] + margin).min(nx - 1),
        (hi[1] + margin).min(ny - 1),
        (hi[2] + margin).min(nz - 1),
    ];
    let dims = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
    let crop_geometry = Geometry::new(dims, g.spacing, [0.0; 3]);
    let crop = |m: &[bool]| -> Volume<bool> {
        let mut v = Volume::filled(crop_geometry, false);
        let out = v.as_slice_mut();
        for z in 0..dims[2] {
            for y in 0..dims[1] {
                for x in 0..dims[0] {
                    out[x + dims[0] * (y + dims[1] * z)] =
                        m[(x + lo[0]) + nx * ((y + lo[1]) + ny * (z + lo[2]))];
                }
            }
        }
        v
    };
    let (cp, ct) = (crop(p), crop(t));
    let surface = |m: &Volume<bool>| -> Vec<usize> {
        let d = m.as_slice();
        let [cx, cy, cz] = dims;
        (0..d.len())
            .filter(|&i| {
                if !d[i] {
                    return false;
                }
                let (x, y, z) = (i % cx, (i / cx) % cy, i / (cx * cy));
                x == 0
                    || y == 0
                    || z == 0
                    || x + 1 == cx
                    || y + 1 == cy
                    || z + 1 == cz
                    || !d[i - 1]
                    || !d[i + 1]
                    || !d[i - cx]
                    || !d[i + cx]
                    || !d[i - cx * cy]
                    || !d[i + cx * cy]
            })
            .collect()
    };
    let (sp, st) = (surface(&cp), surface(&ct));
    let to_mask = |s: &[usize]| -> Volume<bool> {
        let mut v = Volume::filled(crop_geometry, false);
        let d = v.as_slice_mut();
        for &i in s {
            d[i] = true;
        }
        v
    };
    let dist_to_p = volume::distance_to_foreground(&to_mask(&sp));
    let dist_to_t = volume::distance_to_foreground(&to_mask(&st));
    let mut all: Vec<f64> = st
        .iter()
        .map(|&i| dist_to_p.as_slice()[i] as f64)
        .chain(sp.iter().map(|&i| dist_to_t.as_slice()[i] as f64))
        .collect();
    if all.is_empty() {
        return (None, None);
    }
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    all.sort_by(f64::total_cmp);
    let p95 = all[((all.len() as f64 * 0.95) as usize).min(all.len() - 1)];
    (Some(mean), Some(p95))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A legend (label -> name) from pairs.
    pub(crate) fn legend(pairs: &[(u16, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(l, n)| (l.to_string(), n.to_string()))
            .collect()
    }

    #[test]
    fn lobes_make_lungs_and_enclosed_vessels_count() {
        let g = Geometry::new([12, 12, 2], [1.0, 1.0, 2.0], [0.0; 3]);
        let mut truth = Volume::filled(g, 0u16);
        let mut predicted = Volume::filled(g, 0u16);
        for z in 0..2 {
            for y in 2..10 {
                for x in 2..10 {
                    let i = x + 12 * (y + 12 * z);
                    truth.as_slice_mut()[i] = if x < 6 { 10 } else { 12 };
                    predicted.as_slice_mut()[i] = 2;
                }
            }
            // A vessel inside the truth lung.
            truth.as_slice_mut()[5 + 12 * (5 + 12 * z)] = 17;
        }
        let truth_legend = legend(&[(10, "lobe_rul"), (12, "lobe_rll"), (17, "vessels")]);
        let predicted_legend = legend(&[(2, "lung_right")]);
        let scores = score_anatomy(&predicted, &predicted_legend, &truth, &truth_legend);
        let lung = scores.iter().find(|s| s.name == "lung_right").unwrap();
        assert!((lung.dice - 1.0).abs() < 1e-12, "{lung:?}");
        assert_eq!(lung.assd_mm, Some(0.0));
        let rul = scores.iter().find(|s| s.name == "lobe_rul").unwrap();
        assert_eq!(rul.dice, 0.0, "no lobes predicted");
        // The lung is produced (by name); lobes are not: listed, not missed.
        assert!(lung.produced);
        assert!(!rul.produced);
    }

    #[test]
    fn shifted_box_has_known_distances() {
        let g = Geometry::new([20, 20, 1], [1.0, 1.0, 1.0], [0.0; 3]);
        let mut a = Volume::filled(g, 0u16);
        let mut b = Volume::filled(g, 0u16);
        for y in 5..15 {
            for x in 5..15 {
                a.as_slice_mut()[x + 20 * y] = 11;
                b.as_slice_mut()[x + 1 + 20 * y] = 11;
            }
        }
        let l = legend(&[(11, "heart")]);
        let s = &score_anatomy(&a, &l, &b, &l)[0];
        assert!((s.dice - 0.9).abs() < 1e-12);
        assert!(s.hd95_mm.unwrap() <= 1.0 + 1e-9);
    }
}
