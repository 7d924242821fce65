//! Runs the anatomy units on a scan and writes overlay PNGs (axial slices
//! and a coronal reformat) for looking at the result.
//!
//! `cargo run --release -p anatomy --example overlay -- SCAN OUT_DIR [z ...]`

use std::sync::Arc;

use aisu::{Artefact, ExamInfo, Mask};
use imaging_io::picture::{Overlay, Picture, Plane, Window, render};
use pathway::{PathwaySpec, Plan, Registry, Silent, run};

/// A voxel predicate drawn as an overlay.
type Region = Box<dyn Fn(usize, usize, usize) -> bool + Sync>;

const COLOURS: [[u8; 3]; 8] = [
    [255, 80, 80],
    [80, 200, 255],
    [80, 255, 120],
    [255, 200, 60],
    [220, 120, 255],
    [255, 255, 255],
    [255, 140, 0],
    [0, 255, 255],
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scan = std::path::Path::new(&args[1]);
    let out = std::path::Path::new(&args[2]);
    std::fs::create_dir_all(out).unwrap();
    let image = imaging_io::read_image(scan, &Default::default(), &imaging_io::NoProgress).unwrap();
    let mut registry = Registry::new();
    for unit in anatomy::units() {
        registry.register(unit).unwrap();
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("anatomy", &registry), &registry).unwrap();
    let outcome = run(
        &plan,
        Arc::new(image.volume.clone()),
        Arc::new(ExamInfo::default()),
        &Silent,
    );
    for r in &outcome.reports {
        println!("{} {:?} {:.2} s {:?}", r.id, r.status, r.wall_s, r.reason);
    }
    let masks: Vec<(String, Arc<Mask>)> = outcome
        .store
        .present
        .iter()
        .filter_map(|(n, a)| match a {
            Artefact::Mask(m) => Some((n.name.clone(), m.clone())),
            _ => None,
        })
        .collect();
    for (name, m) in &masks {
        println!("{name}: {:.1} mL", m.volume_ml());
    }
    for (name, reason) in &outcome.store.absent {
        println!("absent {name}: {reason}");
    }
    let closures: Vec<Region> = masks
        .iter()
        .map(|(_, m)| {
            let m = m.clone();
            Box::new(move |x, y, z| m.contains(x, y, z))
                as Box<dyn Fn(usize, usize, usize) -> bool + Sync>
        })
        .collect();
    let overlays: Vec<Overlay> = closures
        .iter()
        .enumerate()
        .map(|(i, c)| Overlay {
            contains: c.as_ref(),
            colour: COLOURS[i % COLOURS.len()],
            outline: true,
        })
        .collect();
    let [_, ny, nz] = image.volume.dims();
    let zs: Vec<usize> = if args.len() > 3 {
        args[3..].iter().map(|s| s.parse().unwrap()).collect()
    } else {
        vec![nz / 4, nz / 2, 3 * nz / 4]
    };
    for z in zs {
        let a = render(&image.volume, Plane::Axial(z), Window::LUNG, &overlays);
        let b = render(&image.volume, Plane::Axial(z), Window::LUNG, &[]);
        Picture::side_by_side(&[a, b])
            .write_png(&out.join(format!("axial_{z:03}.png")))
            .unwrap();
    }
    let c = render(
        &image.volume,
        Plane::Coronal(ny / 2),
        Window::LUNG,
        &overlays,
    );
    c.write_png(&out.join("coronal.png")).unwrap();
    println!(
        "legend: {:?}",
        masks.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
}
