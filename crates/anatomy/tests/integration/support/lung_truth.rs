//! Reference lungs and lobes from a phantom's label map, and Dice scores,
//! shared by `tests/integration/lobes.rs` and `examples/lungs_lobes.rs`.
//!
//! A lung is scored as the union of its lobes plus the pulmonary vessels,
//! the airways enclosed by it and the lesions inside or against it
//! (shared/design/FINDINGS-JSON.md: "vessels, airways and lesions inside a
//! lung count as part of it"). Lobes are scored on voxels that carry a
//! lobe label only.

#![allow(dead_code)]

use aisu::Mask;
use phantom::labels::{LESION_BASE, LOBE_LLL, LOBE_LUL, LOBE_RLL, LOBE_RML, LOBE_RUL, VESSELS};
use volume::Volume;

/// Lobe label values in the order rul, rml, rll, lul, lll.
pub const LOBES: [u16; 5] = [LOBE_RUL, LOBE_RML, LOBE_RLL, LOBE_LUL, LOBE_LLL];
/// Canonical lobe mask names in the same order.
pub const LOBE_NAMES: [&str; 5] = ["lobe_rul", "lobe_rml", "lobe_rll", "lobe_lul", "lobe_lll"];

/// Reference masks.
pub struct Truth {
    /// Right lung (lobes, vessels, enclosed airways, lesions).
    pub lung_right: Volume<bool>,
    /// Left lung.
    pub lung_left: Volume<bool>,
    /// The label map.
    pub labels: Volume<u16>,
}

/// Builds the reference lungs from a label map.
pub fn truth(labels: &Volume<u16>) -> Truth {
    let g = *labels.geometry();
    let [nx, ny, nz] = g.dims;
    let l = labels.as_slice();
    let is_right = |v: u16| (LOBE_RUL..=LOBE_RLL).contains(&v);
    let is_left = |v: u16| (LOBE_LUL..=LOBE_LLL).contains(&v);
    // Lesions go to the side whose lobes they touch most.
    let mut lesion_side: std::collections::BTreeMap<u16, (usize, usize)> = Default::default();
    for z in 0..nz {
        for y in 1..ny - 1 {
            for x in 1..nx - 1 {
                let v = l[x + nx * (y + ny * z)];
                if v <= LESION_BASE {
                    continue;
                }
                let e = lesion_side.entry(v).or_default();
                for (dx, dy) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
                    let w = l[(x as i64 + dx) as usize + nx * ((y as i64 + dy) as usize + ny * z)];
                    if is_right(w) {
                        e.0 += 1;
                    } else if is_left(w) {
                        e.1 += 1;
                    }
                }
            }
        }
    }
    let mut right = Volume::filled(g, false);
    let mut left = Volume::filled(g, false);
    {
        let (r, lf) = (right.as_slice_mut(), left.as_slice_mut());
        for z in 0..nz {
            for y in 0..ny {
                let row = &l[nx * (y + ny * z)..nx * (y + ny * z + 1)];
                for x in 0..nx {
                    let i = x + nx * (y + ny * z);
                    let v = row[x];
                    if is_right(v) {
                        r[i] = true;
                    } else if is_left(v) {
                        lf[i] = true;
                    } else if v == VESSELS {
                        // The side of the nearest lobe voxel along the row.
                        let mut best: Option<(usize, bool)> = None;
                        for d in 1..nx {
                            for xx in [x.wrapping_sub(d), x + d] {
                                if xx < nx
                                    && (is_right(row[xx]) || is_left(row[xx]))
                                    && best.is_none()
                                {
                                    best = Some((d, is_left(row[xx])));
                                }
                            }
                            if best.is_some() {
                                break;
                            }
                        }
                        if let Some((_, to_left)) = best {
                            if to_left {
                                lf[i] = true;
                            } else {
                                r[i] = true;
                            }
                        }
                    } else if v > LESION_BASE
                        && let Some((a, b)) = lesion_side.get(&v)
                        && a + b > 0
                    {
                        if b > a {
                            lf[i] = true;
                        } else {
                            r[i] = true;
                        }
                    }
                }
            }
        }
    }
    let lung_right = volume::fill_holes_slicewise(&right).expect("fill");
    let lung_left = volume::fill_holes_slicewise(&left).expect("fill");
    Truth {
        lung_right,
        lung_left,
        labels: labels.clone(),
    }
}

/// Dice of a mask against a reference volume.
pub fn dice(pred: &Mask, truth: &Volume<bool>) -> f64 {
    let [nx, ny, _] = truth.dims();
    let t = truth.as_slice();
    let mut both = 0usize;
    let mut p = 0usize;
    pred.for_each(|x, y, z| {
        p += 1;
        if t[x + nx * (y + ny * z)] {
            both += 1;
        }
    });
    let tn = t.iter().filter(|v| **v).count();
    if p + tn == 0 {
        return 1.0;
    }
    2.0 * both as f64 / (p + tn) as f64
}

/// Dice of a predicted lobe against the voxels labelled with `lobe`,
/// counting only predicted voxels that carry some lobe label.
pub fn lobe_dice(pred: &Mask, labels: &Volume<u16>, lobe: u16) -> f64 {
    let [nx, ny, _] = labels.dims();
    let l = labels.as_slice();
    let mut both = 0usize;
    let mut p = 0usize;
    pred.for_each(|x, y, z| {
        let v = l[x + nx * (y + ny * z)];
        if (LOBE_RUL..=LOBE_LLL).contains(&v) {
            p += 1;
            if v == lobe {
                both += 1;
            }
        }
    });
    let tn = l.iter().filter(|v| **v == lobe).count();
    if p + tn == 0 {
        return 1.0;
    }
    2.0 * both as f64 / (p + tn) as f64
}
