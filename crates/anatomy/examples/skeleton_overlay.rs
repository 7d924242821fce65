//! Runs the anatomy units on a real scan or a phantom, prints the skeleton
//! units' values and (for phantoms) Dice and level agreement against the
//! phantom's labels, and writes bone-window overlays (sagittal through the
//! spine, coronal, axial) for looking at the result.
//!
//! ```text
//! cargo run --release -p anatomy --example skeleton_overlay -- --scan DICOM_DIR --out DIR
//! cargo run --release -p anatomy --example skeleton_overlay -- --seed 3 [--slice 2.5] [--matrix 256] [--normal] --out DIR
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use aisu::{Artefact, ExamInfo, Mask};
use imaging_io::picture::{Overlay, Picture, Plane, Window, render};
use pathway::{PathwaySpec, Plan, Registry, Silent, run};
use volume::Volume;

/// A voxel predicate drawn as an overlay.
type Region = Box<dyn Fn(usize, usize, usize) -> bool + Sync>;

fn colour(k: usize) -> [u8; 3] {
    const C: [[u8; 3]; 10] = [
        [255, 80, 80],
        [80, 200, 255],
        [80, 255, 120],
        [255, 200, 60],
        [220, 120, 255],
        [255, 255, 255],
        [255, 140, 0],
        [0, 255, 255],
        [160, 160, 255],
        [255, 0, 160],
    ];
    C[k % C.len()]
}

/// A phantom's label map and its legend (label value -> name).
type Truth = (Volume<u16>, BTreeMap<String, String>);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let out = std::path::PathBuf::from(get("--out").unwrap_or_else(|| "/tmp/skeleton".into()));
    std::fs::create_dir_all(&out).unwrap();
    let (ct, truth): (Volume<i16>, Option<Truth>) = if let Some(scan) = get("--scan") {
        let image = imaging_io::read_image(
            std::path::Path::new(&scan),
            &Default::default(),
            &imaging_io::NoProgress,
        )
        .unwrap();
        (image.volume, None)
    } else {
        let seed: u64 = get("--seed").and_then(|s| s.parse().ok()).unwrap_or(1);
        let mut p = phantom::PhantomParams::from_seed(seed);
        if let Some(s) = get("--slice") {
            p.slice_mm = s.parse().unwrap();
        }
        if let Some(m) = get("--matrix") {
            p.matrix = m.parse().unwrap();
        }
        if args.iter().any(|a| a == "--normal") {
            p.normal = true;
            p.lesions.clear();
        }
        let t = Instant::now();
        let ph = phantom::generate(&p, &imaging_io::NoProgress).unwrap();
        let ribs: Vec<_> = ph
            .model
            .ribs
            .ribs
            .iter()
            .filter(|r| r.left)
            .map(|r| r.number)
            .collect();
        let gt: Vec<String> = ph
            .model
            .spine
            .vertebrae
            .iter()
            .map(|v| format!("{} {:.0}", v.name, ph.model.to_lps(v.centre)[2]))
            .collect();
        eprintln!("truth centres: {}", gt.join(", "));
        let heads: Vec<String> = ph
            .model
            .ribs
            .ribs
            .iter()
            .filter(|r| r.left)
            .map(|r| format!("{} {:.0}", r.number, ph.model.to_lps(r.bone.nodes[0].p)[2]))
            .collect();
        eprintln!("truth left rib heads: {}", heads.join(", "));
        eprintln!(
            "phantom {seed} ({:?}) in {:.1} s, left ribs {:?}",
            ph.ct.dims(),
            t.elapsed().as_secs_f64(),
            ribs
        );
        (ph.ct, Some((ph.labels, ph.legend)))
    };
    let mut registry = Registry::new();
    // The skeleton units and what they need, unless `--all`.
    let all = args.iter().any(|a| a == "--all");
    let needed = [
        "airad.body",
        "airad.airways",
        "airad.lungs",
        "airad.spine",
        "airad.ribs",
        "airad.sternum",
        "airad.shoulder",
    ];
    for unit in anatomy::units() {
        if all || needed.contains(&unit.manifest().id.as_str()) {
            registry.register(unit).unwrap();
        }
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("anatomy", &registry), &registry).unwrap();
    let outcome = run(
        &plan,
        Arc::new(ct.clone()),
        Arc::new(ExamInfo::default()),
        &Silent,
    );
    for r in &outcome.reports {
        println!("{} {:?} {:.2} s {:?}", r.id, r.status, r.wall_s, r.reason);
    }
    let mut masks: Vec<(String, Arc<Mask>)> = Vec::new();
    for (n, a) in &outcome.store.present {
        match a {
            Artefact::Mask(m) => masks.push((n.name.clone(), m.clone())),
            Artefact::Values(v) => println!("{n}: {v}"),
            Artefact::Landmarks(l) if n.name == "vertebrae" || n.name == "sternum" => {
                let mut v: Vec<(&String, f64)> = l.iter().map(|(k, p)| (k, p[2])).collect();
                v.sort_by(|a, b| b.1.total_cmp(&a.1));
                let text: Vec<String> = v.iter().map(|(k, z)| format!("{k} {z:.0}")).collect();
                println!("{n}: {}", text.join(", "));
            }
            _ => {}
        }
    }
    let skeletal = |n: &str| {
        n.starts_with("vertebra_")
            || n.starts_with("rib_")
            || [
                "sternum",
                "clavicle_left",
                "clavicle_right",
                "scapula_left",
                "scapula_right",
                "spinal_canal",
            ]
            .contains(&n)
    };
    masks.retain(|(n, _)| skeletal(n));
    let only: Option<Vec<String>> = get("--only").map(|s| s.split(',').map(String::from).collect());
    for (name, m) in &masks {
        println!("{name}: {:.1} mL", m.volume_ml());
    }
    if let Some((labels, legend)) = &truth {
        score(&ct, labels, legend, &masks);
    }
    // Pictures.
    if let Some(only) = &only {
        masks.retain(|(n, _)| only.contains(n));
    }
    let closures: Vec<Region> = masks
        .iter()
        .map(|(_, m)| {
            let m = m.clone();
            Box::new(move |x, y, z| m.contains(x, y, z)) as Region
        })
        .collect();
    let overlays: Vec<Overlay> = closures
        .iter()
        .enumerate()
        .map(|(i, c)| Overlay {
            contains: c.as_ref(),
            colour: colour(i),
            outline: false,
        })
        .collect();
    // The second panel: the phantom's truth for the same names (same
    // colours) when there is one, else the bare image.
    let truth_regions: Vec<Region> = match &truth {
        Some((labels, legend)) => masks
            .iter()
            .map(|(n, _)| {
                let v: u16 = legend
                    .iter()
                    .find(|(_, name)| *name == n)
                    .and_then(|(k, _)| k.parse().ok())
                    .unwrap_or(u16::MAX);
                let labels = labels.clone();
                let [lx, ly, _] = labels.dims();
                Box::new(move |x, y, z| labels.as_slice()[x + lx * (y + ly * z)] == v) as Region
            })
            .collect(),
        None => Vec::new(),
    };
    let second: Vec<Overlay> = truth_regions
        .iter()
        .enumerate()
        .map(|(i, c)| Overlay {
            contains: c.as_ref(),
            colour: colour(i),
            outline: false,
        })
        .collect();
    let [nx, ny, nz] = ct.dims();
    // Sagittal through the spine: the canal's mean x, else the middle.
    let sx = masks
        .iter()
        .find(|(n, _)| n == "spinal_canal")
        .and_then(|(_, m)| m.centroid_lps())
        .map(|c| ct.geometry().lps_to_index(c)[0].round() as usize)
        .unwrap_or(nx / 2)
        .min(nx - 1);
    let sy = masks
        .iter()
        .find(|(n, _)| n == "spinal_canal")
        .and_then(|(_, m)| m.centroid_lps())
        .map(|c| ct.geometry().lps_to_index(c)[1].round() as usize)
        .unwrap_or(ny / 2)
        .min(ny - 1);
    let a = render(&ct, Plane::Sagittal(sx), Window::BONE, &overlays);
    let b = render(&ct, Plane::Sagittal(sx), Window::BONE, &second);
    Picture::side_by_side(&[a, b])
        .write_png(&out.join("sagittal.png"))
        .unwrap();
    let sy = get("--cy").and_then(|v| v.parse().ok()).unwrap_or(sy);
    let c = render(&ct, Plane::Coronal(sy), Window::BONE, &overlays);
    let d = render(&ct, Plane::Coronal(sy), Window::BONE, &second);
    Picture::side_by_side(&[c, d])
        .write_png(&out.join("coronal.png"))
        .unwrap();
    let zs: Vec<usize> = match get("--z") {
        Some(list) => list.split(',').filter_map(|s| s.parse().ok()).collect(),
        None => vec![nz / 5, 2 * nz / 5, 3 * nz / 5, 4 * nz / 5],
    };
    for z in zs {
        let a = render(&ct, Plane::Axial(z.min(nz - 1)), Window::BONE, &overlays);
        let b = render(&ct, Plane::Axial(z.min(nz - 1)), Window::BONE, &second);
        Picture::side_by_side(&[a, b])
            .write_png(&out.join(format!("axial_{z:03}.png")))
            .unwrap();
    }
    println!(
        "legend: {:?}",
        masks
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), colour(i)))
            .collect::<Vec<_>>()
    );
}

/// Dice per skeletal structure and majority-overlap naming.
fn score(
    ct: &Volume<i16>,
    labels: &Volume<u16>,
    legend: &BTreeMap<String, String>,
    masks: &[(String, Arc<Mask>)],
) {
    let hu = ct.as_slice();
    let [nx, ny, _] = labels.dims();
    let data = labels.as_slice();
    let value_of: BTreeMap<&str, u16> = legend
        .iter()
        .filter_map(|(k, v)| k.parse::<u16>().ok().map(|k| (v.as_str(), k)))
        .collect();
    // Predicted name per voxel for skeletal masks.
    let mut truth_names: Vec<&str> = value_of
        .keys()
        .copied()
        .filter(|n| {
            n.starts_with("vertebra_")
                || n.starts_with("rib_")
                || [
                    "sternum",
                    "clavicle_left",
                    "clavicle_right",
                    "scapula_left",
                    "scapula_right",
                    "spinal_canal",
                ]
                .contains(n)
        })
        .collect();
    truth_names.sort();
    let mut wrong = Vec::new();
    for name in &truth_names {
        let v = value_of[name];
        let gt = data.iter().filter(|l| **l == v).count();
        if gt == 0 {
            continue;
        }
        let inside: Vec<i16> = data
            .iter()
            .zip(hu)
            .filter(|(l, _)| **l == v)
            .map(|(_, h)| *h)
            .collect();
        let above = |t: i16| inside.iter().filter(|h| **h >= t).count() as f64 / gt as f64;
        let mean = inside.iter().map(|h| *h as f64).sum::<f64>() / gt as f64;
        let hu_text = format!(
            "mean {mean:.0} HU, >=150 {:.2}, >=250 {:.2}",
            above(150),
            above(250)
        );
        let mut overlaps: Vec<(usize, &str)> = Vec::new();
        for (n, m) in masks {
            let mut k = 0usize;
            m.for_each(|x, y, z| {
                if data[x + nx * (y + ny * z)] == v {
                    k += 1;
                }
            });
            if k > 0 {
                overlaps.push((k, n.as_str()));
            }
        }
        overlaps.sort_by_key(|o| std::cmp::Reverse(o.0));
        let own = masks.iter().find(|(n, _)| n == name);
        let dice = own.map(|(_, m)| {
            let mut k = 0usize;
            m.for_each(|x, y, z| {
                if data[x + nx * (y + ny * z)] == v {
                    k += 1;
                }
            });
            2.0 * k as f64 / (gt + m.count()) as f64
        });
        let best = overlaps.first().map(|o| o.1).unwrap_or("-");
        let ok = best == *name;
        if !ok && (name.starts_with("vertebra_") || name.starts_with("rib_")) {
            wrong.push(format!("{name}->{best}"));
        }
        println!(
            "score {name}: gt {gt} vox, dice {:.3}, majority {best} {} ({hu_text})",
            dice.unwrap_or(0.0),
            if ok { "ok" } else { "WRONG" }
        );
    }
    println!("naming errors: {wrong:?}");
}
