//! Overlay figures of a run's anatomy on its scan: an axial, a coronal
//! and a sagittal plane with lobes, heart and great vessels, vertebrae and
//! ribs (alternating shades so that neighbouring levels and numbers stay
//! apart) and, for annotated real cases, the tumour box outlined. These
//! are the pictures docs/anatomy.md publishes; they are rendered by the
//! project from the run itself, never edited by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use imaging_io::IoError;
use imaging_io::picture::{Overlay, Picture, Plane, Window, render};
use volume::Volume;

/// Whether a voxel `[x, y, z]` belongs to a drawn group.
type VoxelTest<'a> = Box<dyn Fn(usize, usize, usize) -> bool + Sync + 'a>;

/// A group of anatomy labels drawn in one colour.
struct Group {
    /// Label values in the group.
    labels: Vec<u16>,
    /// Fill colour.
    colour: [u8; 3],
    /// Outline only.
    outline: bool,
}

/// Colour of a canonical structure name, or `None` when it is not drawn.
/// Vertebrae and ribs alternate between two shades by level or number.
fn colour_of(name: &str) -> Option<([u8; 3], bool)> {
    let parity = |s: &str| {
        s.rsplit('_')
            .next()
            .and_then(|t| t.trim_start_matches(['C', 'T', 'L']).parse::<u32>().ok())
            .map(|n| n % 2 == 0)
    };
    let fixed = match name {
        "lobe_rul" => Some([230, 80, 80]),
        "lobe_rml" => Some([240, 160, 60]),
        "lobe_rll" => Some([220, 220, 70]),
        "lobe_lul" => Some([70, 130, 240]),
        "lobe_lll" => Some([70, 210, 220]),
        "lung_right" => Some([200, 120, 120]),
        "lung_left" => Some([120, 140, 210]),
        "heart" => Some([230, 80, 220]),
        "aorta" => Some([255, 40, 40]),
        "pulmonary_artery" => Some([60, 90, 255]),
        "svc" => Some([150, 90, 255]),
        "esophagus" => Some([255, 170, 200]),
        "trachea" | "bronchi" => Some([170, 255, 255]),
        "liver" => Some([170, 110, 60]),
        "spleen" => Some([220, 120, 160]),
        "stomach" => Some([200, 200, 150]),
        "sternum" => Some([255, 255, 255]),
        _ => None,
    };
    if let Some(c) = fixed {
        return Some((c, false));
    }
    if name.starts_with("vertebra_") {
        let even = parity(name).unwrap_or(false);
        return Some((if even { [60, 220, 90] } else { [30, 140, 60] }, false));
    }
    if name.starts_with("rib_") {
        let even = parity(name).unwrap_or(false);
        return Some((if even { [255, 215, 0] } else { [255, 120, 0] }, false));
    }
    if name.starts_with("clavicle_") || name.starts_with("scapula_") {
        return Some(([235, 235, 235], false));
    }
    None
}

/// Groups the legend's labels by drawing colour.
fn groups(legend: &BTreeMap<String, String>) -> Vec<Group> {
    let mut by_colour: BTreeMap<([u8; 3], bool), Vec<u16>> = BTreeMap::new();
    for (value, name) in legend {
        let (Ok(value), Some(key)) = (value.parse::<u16>(), colour_of(name)) else {
            continue;
        };
        by_colour.entry(key).or_default().push(value);
    }
    by_colour
        .into_iter()
        .map(|((colour, outline), labels)| Group {
            labels,
            colour,
            outline,
        })
        .collect()
}

/// The planes to show: through the tumour box centre when there is one,
/// else through the centre of the labelled anatomy (axial at the slice
/// with most labelled voxels).
fn planes(labels: &Volume<u16>, focus_lps: Option<[f64; 3]>) -> [Plane; 3] {
    let g = labels.geometry();
    let [nx, ny, nz] = g.dims;
    let clamp = |v: f64, n: usize| (v.round().max(0.0) as usize).min(n.saturating_sub(1));
    if let Some(p) = focus_lps {
        let i = g.lps_to_index(p);
        return [
            Plane::Axial(clamp(i[2], nz)),
            Plane::Coronal(clamp(i[1], ny)),
            Plane::Sagittal(clamp(i[0], nx)),
        ];
    }
    let mut per_slice = vec![0usize; nz];
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
    for ((z, y, x), &v) in labels.data().indexed_iter() {
        if v != 0 {
            per_slice[z] += 1;
            sx += x as f64;
            sy += y as f64;
            n += 1;
        }
    }
    let z = per_slice
        .iter()
        .enumerate()
        .max_by_key(|(_, c)| **c)
        .map(|(z, _)| z)
        .unwrap_or(nz / 2);
    let (cx, cy) = if n > 0 {
        (sx / n as f64, sy / n as f64)
    } else {
        (nx as f64 / 2.0, ny as f64 / 2.0)
    };
    [
        Plane::Axial(z),
        Plane::Coronal(clamp(cy, ny)),
        Plane::Sagittal(clamp(cx, nx)),
    ]
}

/// Renders the anatomy overlays of one case into `dir` as
/// `<case>-axial.png`, `<case>-coronal.png` and `<case>-sagittal.png`;
/// returns the files written. `box_lps` outlines an annotated box (LPS
/// corners) in yellow and sets the planes through its centre.
pub fn anatomy_figures(
    ct: &Volume<i16>,
    labels: &Volume<u16>,
    legend: &BTreeMap<String, String>,
    box_lps: Option<[[f64; 3]; 2]>,
    dir: &Path,
    case: &str,
) -> Result<Vec<PathBuf>, IoError> {
    std::fs::create_dir_all(dir).map_err(|e| IoError::io(dir, e))?;
    let groups = groups(legend);
    let data = labels.as_slice();
    let [nx, ny, _] = labels.dims();
    let at = move |x: usize, y: usize, z: usize| data[x + nx * (y + ny * z)];
    let tests: Vec<VoxelTest<'_>> = groups
        .iter()
        .map(|g| {
            let labels = g.labels.clone();
            Box::new(move |x, y, z| {
                let v = at(x, y, z);
                v != 0 && labels.contains(&v)
            }) as VoxelTest<'_>
        })
        .collect();
    let mut overlays: Vec<Overlay<'_>> = groups
        .iter()
        .zip(&tests)
        .map(|(g, t)| Overlay {
            contains: t.as_ref(),
            colour: g.colour,
            outline: g.outline,
        })
        .collect();
    let index_box = box_lps.map(|[a, b]| {
        let g = labels.geometry();
        let (ia, ib) = (g.lps_to_index(a), g.lps_to_index(b));
        let lo: [f64; 3] = std::array::from_fn(|k| ia[k].min(ib[k]) - 0.5);
        let hi: [f64; 3] = std::array::from_fn(|k| ia[k].max(ib[k]) + 0.5);
        (lo, hi)
    });
    let in_box = move |x: usize, y: usize, z: usize| {
        index_box.is_some_and(|(lo, hi)| {
            let p = [x as f64, y as f64, z as f64];
            (0..3).all(|k| p[k] >= lo[k] && p[k] <= hi[k])
        })
    };
    if box_lps.is_some() {
        overlays.push(Overlay {
            contains: &in_box,
            colour: [255, 255, 0],
            outline: true,
        });
    }
    let focus = box_lps.map(|[a, b]| std::array::from_fn(|k| (a[k] + b[k]) / 2.0));
    let window = Window {
        center: 40.0,
        width: 1400.0,
    };
    let mut written = Vec::new();
    for (plane, name) in planes(labels, focus)
        .into_iter()
        .zip(["axial", "coronal", "sagittal"])
    {
        let picture: Picture = render(ct, plane, window, &overlays);
        let path = dir.join(format!("{case}-{name}.png"));
        picture.write_png(&path)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use volume::Geometry;

    #[test]
    fn figures_are_written_through_the_box() {
        let g = Geometry::new([20, 20, 10], [1.0, 1.0, 2.0], [0.0; 3]);
        let ct = Volume::filled(g, -1000i16);
        let mut labels = Volume::filled(g, 0u16);
        for z in 2..8 {
            for y in 5..15 {
                for x in 5..15 {
                    labels.data_mut()[[z, y, x]] = 2;
                }
            }
        }
        let legend = BTreeMap::from([("2".to_string(), "lobe_rul".to_string())]);
        let dir = tempfile::tempdir().unwrap();
        let files = anatomy_figures(
            &ct,
            &labels,
            &legend,
            Some([[6.0, 6.0, 6.0], [9.0, 9.0, 10.0]]),
            dir.path(),
            "c",
        )
        .unwrap();
        assert_eq!(files.len(), 3);
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            assert_eq!(&bytes[1..4], b"PNG", "{}", f.display());
        }
        let planes = planes(&labels, Some([7.5, 7.5, 8.0]));
        assert_eq!(planes[0], Plane::Axial(4));
        assert_eq!(colour_of("rib_left_3").map(|c| c.0), Some([255, 120, 0]));
        assert_eq!(colour_of("vertebra_T4").map(|c| c.0), Some([60, 220, 90]));
        assert!(colour_of("body").is_none());
    }
}
