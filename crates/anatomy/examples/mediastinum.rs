//! Runs the body, airway and lung units and the mediastinum / upper-abdomen
//! units on a scan or a phantom, prints volumes, landmarks, values and
//! timings, scores Dice against phantom labels when they are available,
//! and writes soft-tissue overlay PNGs (axial slices, coronal and sagittal
//! reformats through the heart) for looking at the result.
//!
//! ```text
//! cargo run --release -p anatomy --example mediastinum -- INPUT OUT_DIR [z ...]
//! ```
//! INPUT is a DICOM folder or image file, a phantom folder (`ct.nii.gz` and
//! `labels.nii.gz`), or `phantom:SEED[:SLICE_MM[:MATRIX]]` (generated and
//! cached under /tmp/airad-phantoms). Add `--resample MM` to resample the
//! scan to MM-thick slices first (for timing on ~300-slice volumes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aisu::{Artefact, ExamInfo, Mask};
use imaging_io::picture::{Overlay, Picture, Plane, Window, render};
use pathway::{PathwaySpec, Plan, Registry, Silent, run};
use volume::Volume;

/// Units run (the parents of the mediastinum units and the units themselves).
const UNITS: [&str; 10] = [
    "airad.body",
    "airad.airways",
    "airad.lungs",
    "airad.heart",
    "airad.aorta",
    "airad.great-vessels",
    "airad.esophagus",
    "airad.abdomen",
    "airad.thyroid",
    "airad.mediastinum",
];

/// Structures drawn and scored, with their colours.
const DRAWN: [(&str, [u8; 3]); 13] = [
    ("heart", [255, 60, 60]),
    ("pericardium", [255, 170, 170]),
    ("aorta", [255, 220, 0]),
    ("pulmonary_artery", [60, 140, 255]),
    ("svc", [180, 80, 255]),
    ("esophagus", [0, 255, 160]),
    ("liver", [160, 100, 40]),
    ("spleen", [255, 0, 255]),
    ("stomach", [0, 200, 255]),
    ("thyroid", [255, 128, 0]),
    ("trachea", [200, 200, 200]),
    ("lung_right", [90, 90, 160]),
    ("lung_left", [90, 160, 90]),
];

fn load(input: &str) -> (Volume<i16>, Option<Volume<u16>>) {
    if let Some(spec) = input.strip_prefix("phantom:") {
        let parts: Vec<&str> = spec.split(':').collect();
        let seed: u64 = parts[0].parse().expect("seed");
        let slice: f64 = parts
            .get(1)
            .map(|s| s.parse().expect("slice"))
            .unwrap_or(2.5);
        let matrix: usize = parts
            .get(2)
            .map(|s| s.parse().expect("matrix"))
            .unwrap_or(512);
        let dir = PathBuf::from(format!("/tmp/airad-phantoms/{seed}_{slice}_{matrix}"));
        if !dir.join("labels.nii.gz").exists() {
            let mut p = phantom::PhantomParams::from_seed(seed);
            p.slice_mm = slice;
            p.matrix = matrix;
            let ph = phantom::generate(&p, &imaging_io::NoProgress).expect("phantom");
            std::fs::create_dir_all(&dir).unwrap();
            imaging_io::nifti_io::write_nifti(&dir.join("ct.nii.gz"), &ph.ct).unwrap();
            imaging_io::nifti_io::write_nifti(&dir.join("labels.nii.gz"), &ph.labels).unwrap();
        }
        return load(dir.to_str().unwrap());
    }
    let path = Path::new(input);
    if path.join("labels.nii.gz").exists() {
        let ct = imaging_io::nifti_io::read_nifti(&path.join("ct.nii.gz")).unwrap();
        let labels = imaging_io::nifti_io::read_nifti_labels(&path.join("labels.nii.gz")).unwrap();
        return (ct.volume, Some(labels));
    }
    let image = imaging_io::read_image(path, &Default::default(), &imaging_io::NoProgress).unwrap();
    (image.volume, None)
}

/// Phantom label values that make up a canonical structure.
fn truth_of(labels: &Volume<u16>, name: &str) -> Vec<bool> {
    let wanted: Vec<u16> = (0..2000u16)
        .filter(|l| {
            let n = phantom::labels::anatomy_name(*l);
            match name {
                "lung_right" => phantom::labels::LUNG_RIGHT_PARTS.contains(l),
                "lung_left" => phantom::labels::LUNG_LEFT_PARTS.contains(l),
                // The sac: heart, epicardial fat and pericardium.
                "pericardium" => matches!(
                    n.as_deref(),
                    Some("heart" | "pericardium" | "epicardial_fat")
                ),
                _ => n.as_deref() == Some(name),
            }
        })
        .collect();
    labels
        .as_slice()
        .iter()
        .map(|l| wanted.contains(l))
        .collect()
}

/// A membership test on voxel indices.
type VoxelTest = Box<dyn Fn(usize, usize, usize) -> bool + Sync>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut rest: Vec<String> = Vec::new();
    let mut resample_mm = None;
    let mut i = 1;
    while i < args.len() {
        if args[i] == "--resample" {
            resample_mm = Some(args[i + 1].parse::<f64>().unwrap());
            i += 2;
        } else {
            rest.push(args[i].clone());
            i += 1;
        }
    }
    let out = PathBuf::from(&rest[1]);
    std::fs::create_dir_all(&out).unwrap();
    let (mut ct, mut labels) = load(&rest[0]);
    if let Some(mm) = resample_mm {
        let s = ct.spacing();
        ct = volume::resample_to_spacing(
            &ct,
            [s[0], s[1], mm],
            volume::Interpolation::Linear,
            -1024,
        )
        .unwrap();
        labels = None;
    }
    println!("dims {:?} spacing {:?}", ct.dims(), ct.spacing());
    let mut registry = Registry::new();
    for unit in anatomy::units() {
        if UNITS.contains(&unit.manifest().id.as_str()) {
            registry.register(unit).unwrap();
        }
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("mediastinum", &registry), &registry).unwrap();
    let outcome = run(
        &plan,
        Arc::new(ct.clone()),
        Arc::new(ExamInfo::default()),
        &Silent,
    );
    for r in &outcome.reports {
        println!("{} {:?} {:.2} s {:?}", r.id, r.status, r.wall_s, r.reason);
    }
    println!("total {:.2} s", outcome.wall_s);
    let mut masks: BTreeMap<String, Arc<Mask>> = BTreeMap::new();
    for (n, a) in &outcome.store.present {
        match a {
            Artefact::Mask(m) => {
                println!("mask {}: {:.1} mL", n.name, m.volume_ml());
                masks.insert(n.name.clone(), m.clone());
            }
            Artefact::Landmarks(l) => {
                for (k, p) in l.iter() {
                    println!(
                        "landmark {}.{k}: [{:.1}, {:.1}, {:.1}]",
                        n.name, p[0], p[1], p[2]
                    );
                }
            }
            Artefact::Values(v) => println!("values {}: {v}", n.name),
            Artefact::Centreline(c) => {
                let mut seg: Vec<(String, usize, f64)> = Vec::new();
                for (s, r) in c.segments.iter().zip(&c.radii_mm) {
                    match seg.last_mut() {
                        Some(last) if &last.0 == s => {
                            last.1 += 1;
                            last.2 = last.2.max(2.0 * r);
                        }
                        _ => seg.push((s.clone(), 1, 2.0 * r)),
                    }
                }
                println!(
                    "centreline {}: {} points; segments (name, points, max diameter mm) {:?}",
                    n.name,
                    c.points.len(),
                    seg
                );
            }
        }
    }
    for (name, reason) in &outcome.store.absent {
        println!("absent {name}: {reason}");
    }
    if let Some(labels) = &labels {
        for (name, _) in DRAWN {
            let truth = truth_of(labels, name);
            let t = truth.iter().filter(|v| **v).count();
            let Some(m) = masks.get(name) else {
                println!("dice {name}: no mask (truth {t} voxels)");
                continue;
            };
            let [nx, ny, _] = ct.dims();
            let mut both = 0usize;
            m.for_each(|x, y, z| both += usize::from(truth[x + nx * (y + ny * z)]));
            let dice = 2.0 * both as f64 / (t + m.count()).max(1) as f64;
            println!(
                "dice {name}: {dice:.3} (mask {} truth {t} voxels)",
                m.count()
            );
        }
    }
    let regions: Vec<(String, [u8; 3], Arc<Mask>)> = DRAWN
        .iter()
        .filter_map(|(n, c)| masks.get(*n).map(|m| (n.to_string(), *c, m.clone())))
        .collect();
    let closures: Vec<VoxelTest> = regions
        .iter()
        .map(|(_, _, m)| {
            let m = m.clone();
            Box::new(move |x, y, z| m.contains(x, y, z))
                as Box<dyn Fn(usize, usize, usize) -> bool + Sync>
        })
        .collect();
    let truth_name = std::env::var("TRUTH").ok();
    let truth_mask: Option<Vec<bool>> = match (&labels, &truth_name) {
        (Some(l), Some(n)) => Some(truth_of(l, n)),
        _ => None,
    };
    let [tnx, tny, _] = ct.dims();
    let truth_fn = move |x: usize, y: usize, z: usize| -> bool {
        truth_mask
            .as_ref()
            .is_some_and(|t| t[x + tnx * (y + tny * z)])
    };
    let mut overlays: Vec<Overlay> = closures
        .iter()
        .zip(&regions)
        .map(|(c, r)| Overlay {
            contains: c.as_ref(),
            colour: r.1,
            outline: true,
        })
        .collect();
    if truth_name.is_some() {
        overlays.push(Overlay {
            contains: &truth_fn,
            colour: [255, 255, 255],
            outline: true,
        });
    }
    let [nx, ny, nz] = ct.dims();
    let zs: Vec<usize> = if rest.len() > 2 {
        rest[2..].iter().map(|s| s.parse().unwrap()).collect()
    } else {
        (1..9).map(|k| k * nz / 9).collect()
    };
    for z in zs {
        let a = render(&ct, Plane::Axial(z), Window::SOFT_TISSUE, &overlays);
        let b = render(&ct, Plane::Axial(z), Window::SOFT_TISSUE, &[]);
        Picture::side_by_side(&[a, b])
            .write_png(&out.join(format!("axial_{z:03}.png")))
            .unwrap();
    }
    let focus = std::env::var("FOCUS").unwrap_or_else(|_| "heart".into());
    let centre = masks
        .get(focus.as_str())
        .or_else(|| masks.get("heart"))
        .or_else(|| masks.get("aorta"))
        .and_then(|m| m.centroid_lps())
        .map(|c| ct.geometry().lps_to_index(c))
        .unwrap_or([nx as f64 / 2.0, ny as f64 / 2.0, nz as f64 / 2.0]);
    let cy = (centre[1].round() as usize).min(ny - 1);
    let cx = (centre[0].round() as usize).min(nx - 1);
    let c = render(&ct, Plane::Coronal(cy), Window::SOFT_TISSUE, &overlays);
    let c0 = render(&ct, Plane::Coronal(cy), Window::SOFT_TISSUE, &[]);
    Picture::side_by_side(&[c, c0])
        .write_png(&out.join("coronal.png"))
        .unwrap();
    let s = render(&ct, Plane::Sagittal(cx), Window::SOFT_TISSUE, &overlays);
    let s0 = render(&ct, Plane::Sagittal(cx), Window::SOFT_TISSUE, &[]);
    Picture::side_by_side(&[s, s0])
        .write_png(&out.join("sagittal.png"))
        .unwrap();
    println!(
        "legend: {:?}",
        regions.iter().map(|r| (&r.0, r.1)).collect::<Vec<_>>()
    );
}
