//! Runs the anatomy pathway and shows the lungs, lobes and bronchial tree:
//! unit timings, volumes, `values:lobes`, bronchial landmarks, overlay
//! PNGs (axial, coronal, sagittal) and, on a phantom, Dice per structure.
//!
//! ```text
//! lungs_lobes scan SCAN OUT [--dz MM] [z ...]
//! lungs_lobes phantom SEED OUT [--matrix N] [--slice MM] [--family F]
//! ```
//! `--dz` resamples the scan to that slice spacing first (e.g. 1 mm to
//! time a 300-slice volume).

#[path = "../tests/integration/support/lung_truth.rs"]
mod lung_truth;

use std::sync::Arc;

use aisu::{Artefact, ArtefactName, ExamInfo, Mask};
use imaging_io::picture::{Overlay, Picture, Plane, Window, render};
use pathway::{PathwaySpec, Plan, Registry, RunOutcome, Silent, run};
use volume::Volume;

type Region = Box<dyn Fn(usize, usize, usize) -> bool + Sync>;

const LOBE_COLOURS: [[u8; 3]; 5] = [
    [255, 200, 60],
    [80, 255, 120],
    [80, 160, 255],
    [255, 120, 220],
    [0, 230, 230],
];

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn mask(outcome: &RunOutcome, name: &str) -> Option<Arc<Mask>> {
    match outcome.store.present.get(&ArtefactName::parse(name).ok()?) {
        Some(Artefact::Mask(m)) => Some(m.clone()),
        _ => None,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args[1].as_str();
    let out = std::path::PathBuf::from(&args[3]);
    std::fs::create_dir_all(&out).unwrap();
    let positional: Vec<usize> = args[4..]
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[4 + i - 1].starts_with("--")))
        .filter_map(|(_, a)| a.parse().ok())
        .collect();
    let (ct, truth) = match mode {
        "scan" => {
            let image = imaging_io::read_image(
                std::path::Path::new(&args[2]),
                &Default::default(),
                &imaging_io::NoProgress,
            )
            .unwrap();
            let mut ct = image.volume;
            if let Some(dz) = flag(&args, "--dz") {
                let dz: f64 = dz.parse().unwrap();
                let s = ct.spacing();
                ct = volume::resample_to_spacing(
                    &ct,
                    [s[0], s[1], dz],
                    volume::Interpolation::Linear,
                    -1024,
                )
                .unwrap();
            }
            (ct, None)
        }
        "phantom" => {
            let mut p = phantom::PhantomParams::from_seed(args[2].parse().unwrap());
            p.matrix = flag(&args, "--matrix").map_or(256, |m| m.parse().unwrap());
            p.slice_mm = flag(&args, "--slice").map_or(2.5, |m| m.parse().unwrap());
            if let Some(f) = flag(&args, "--family") {
                p.shape_family = f.parse().unwrap();
            }
            let t = std::time::Instant::now();
            let ph = phantom::generate(&p, &imaging_io::NoProgress).unwrap();
            println!(
                "phantom {:?} {:?} slice {} mm, {:?} in {:.1} s",
                p.shape_family,
                p.kernel.class,
                p.slice_mm,
                ph.ct.dims(),
                t.elapsed().as_secs_f64()
            );
            if args.iter().any(|a| a == "--airway-stats") {
                for (name, lab) in [
                    ("trachea", phantom::labels::TRACHEA),
                    ("bronchi", phantom::labels::BRONCHI),
                ] {
                    let mut h = [0usize; 12];
                    for (v, l) in ph.ct.as_slice().iter().zip(ph.labels.as_slice()) {
                        if *l == lab {
                            h[((*v as i32 + 1100).clamp(0, 1199) / 100) as usize] += 1;
                        }
                    }
                    println!("{name} HU histogram from -1100 by 100: {h:?}");
                }
            }
            let truth = lung_truth::truth(&ph.labels);
            (ph.ct, Some(truth))
        }
        _ => panic!("mode is scan or phantom"),
    };
    println!("volume {:?} spacing {:?}", ct.dims(), ct.spacing());
    if let Some(probe) = flag(&args, "--probe") {
        probe_hu(&ct, &probe);
    }
    let mut registry = Registry::new();
    // Only the units named with --units (ids without "airad."), by default
    // those the lungs, lobes and airways need.
    let wanted =
        flag(&args, "--units").unwrap_or_else(|| "body,airways,bronchi,lungs,lobes".into());
    for unit in anatomy::units() {
        let id = unit.manifest().id.trim_start_matches("airad.").to_string();
        if wanted == "all" || wanted.split(',').any(|w| w == id) {
            registry.register(unit).unwrap();
        }
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("anatomy", &registry), &registry).unwrap();
    let t = std::time::Instant::now();
    let outcome = run(
        &plan,
        Arc::new(ct.clone()),
        Arc::new(ExamInfo::default()),
        &Silent,
    );
    println!("pathway wall {:.2} s", t.elapsed().as_secs_f64());
    for r in &outcome.reports {
        println!("  {} {:?} {:.2} s {:?}", r.id, r.status, r.wall_s, r.reason);
    }
    for (name, a) in &outcome.store.present {
        match a {
            Artefact::Mask(m) => println!("  {name}: {:.1} mL", m.volume_ml()),
            Artefact::Values(v) => println!("  {name}: {v}"),
            Artefact::Landmarks(l) => {
                for (k, p) in l.iter() {
                    let i = ct.geometry().lps_to_index(*p);
                    println!(
                        "  {name} {k}: [{:.1}, {:.1}, {:.1}] index [{:.0}, {:.0}, {:.0}]",
                        p[0], p[1], p[2], i[0], i[1], i[2]
                    );
                }
            }
            Artefact::Centreline(c) => println!("  {name}: {} points", c.points.len()),
        }
    }
    for (name, reason) in &outcome.store.absent {
        println!("  absent {name}: {reason}");
    }
    if let Some(truth) = &truth {
        for (name, t) in [
            ("lung_right", &truth.lung_right),
            ("lung_left", &truth.lung_left),
        ] {
            let d = mask(&outcome, &format!("mask:{name}")).map(|m| lung_truth::dice(&m, t));
            println!("DICE {name}: {d:.3?}");
        }
        let voxel_ml = ct.geometry().voxel_volume_mm3() / 1000.0;
        for (k, name) in lung_truth::LOBE_NAMES.iter().enumerate() {
            let d = mask(&outcome, &format!("mask:{name}"))
                .map(|m| lung_truth::lobe_dice(&m, &truth.labels, lung_truth::LOBES[k]));
            let ml = truth
                .labels
                .as_slice()
                .iter()
                .filter(|l| **l == lung_truth::LOBES[k])
                .count() as f64
                * voxel_ml;
            println!("DICE {name}: {d:.3?} (truth {ml:.0} mL)");
        }
    }
    pictures(&ct, &outcome, truth.as_ref(), &positional, &out);
    if args.iter().any(|a| a == "--sheets") {
        sheet_pictures(&ct, &outcome, &out);
    }
}

/// Sagittal pictures of the sheet filter's candidates on the lobe grid.
fn sheet_pictures(ct: &Volume<i16>, outcome: &RunOutcome, out: &std::path::Path) {
    let right = mask(outcome, "mask:lung_right");
    let left = mask(outcome, "mask:lung_left");
    let Some(grid) = anatomy::lobes::lobe_grid(ct, [right.as_deref(), left.as_deref()]).unwrap()
    else {
        return;
    };
    let union = match (&grid.lungs[0], &grid.lungs[1]) {
        (Some(a), Some(b)) => anatomy::regions::or(a, b),
        (Some(a), None) | (None, Some(a)) => a.clone(),
        _ => return,
    };
    let sigma = anatomy::lobes::sheet_sigma(&grid);
    let sheets = anatomy::fissures::sheetness(&grid.hu, &union, sigma).unwrap();
    let mut v: Vec<f32> = sheets
        .strength
        .iter()
        .copied()
        .filter(|s| *s > 0.0)
        .collect();
    v.sort_by(f32::total_cmp);
    let q = |f: f64| v[((v.len() - 1) as f64 * f) as usize];
    println!(
        "sheets: {} voxels > 0; quantiles 50% {:.1} 90% {:.1} 99% {:.1}",
        v.len(),
        q(0.5),
        q(0.9),
        q(0.99)
    );
    let t = 3.0 * q(0.5);
    let hu = grid.hu.map(|h| *h as i16);
    let [nx, ny, _] = sheets.dims;
    let st = sheets.strength.clone();
    let nzv: Vec<f32> = sheets.normal.iter().map(|n| n[2].abs()).collect();
    let oblique = move |x: usize, y: usize, z: usize| {
        let i = x + nx * (y + ny * z);
        st[i] > t && (0.25..0.97).contains(&nzv[i])
    };
    let st = sheets.strength.clone();
    let nzv: Vec<f32> = sheets.normal.iter().map(|n| n[2].abs()).collect();
    let flat = move |x: usize, y: usize, z: usize| {
        let i = x + nx * (y + ny * z);
        st[i] > t && nzv[i] >= 0.97
    };
    let overlays = [
        Overlay {
            contains: &oblique,
            colour: [255, 80, 80],
            outline: false,
        },
        Overlay {
            contains: &flat,
            colour: [80, 255, 80],
            outline: false,
        },
    ];
    for (k, name) in [(0, "right"), (1, "left")] {
        let Some(l) = &grid.lungs[k] else { continue };
        let [lx, _, _] = l.dims();
        let xs: Vec<usize> = l
            .as_slice()
            .iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| i % lx)
            .collect();
        let x = xs.iter().sum::<usize>() / xs.len().max(1);
        for (j, dx) in [-12i64, 0, 12].iter().enumerate() {
            let xx = (x as i64 + dx).clamp(0, lx as i64 - 1) as usize;
            let a = render(&hu, Plane::Sagittal(xx), Window::LUNG, &overlays);
            let b = render(&hu, Plane::Sagittal(xx), Window::LUNG, &[]);
            upscale(&Picture::side_by_side(&[a, b]), 3)
                .write_png(&out.join(format!("sheets_{name}_{j}.png")))
                .unwrap();
        }
    }
}

fn pictures(
    ct: &Volume<i16>,
    outcome: &RunOutcome,
    truth: Option<&lung_truth::Truth>,
    zs: &[usize],
    out: &std::path::Path,
) {
    let lobes: Vec<Option<Arc<Mask>>> = lung_truth::LOBE_NAMES
        .iter()
        .map(|n| mask(outcome, &format!("mask:{n}")))
        .collect();
    let mut regions: Vec<(Region, [u8; 3], bool)> = Vec::new();
    for (k, m) in lobes.iter().enumerate() {
        if let Some(m) = m.clone() {
            regions.push((
                Box::new(move |x, y, z| m.contains(x, y, z)),
                LOBE_COLOURS[k],
                false,
            ));
        }
    }
    for (name, colour) in [
        ("lung_right", [255, 80, 80]),
        ("lung_left", [255, 80, 80]),
        ("bronchi", [255, 255, 255]),
        ("trachea", [255, 255, 255]),
    ] {
        if let Some(m) = mask(outcome, &format!("mask:{name}")) {
            regions.push((Box::new(move |x, y, z| m.contains(x, y, z)), colour, true));
        }
    }
    let overlays: Vec<Overlay> = regions
        .iter()
        .map(|(c, colour, outline)| Overlay {
            contains: c.as_ref(),
            colour: *colour,
            outline: *outline,
        })
        .collect();
    let truth_regions: Vec<(Region, [u8; 3])> = match truth {
        Some(t) => lung_truth::LOBES
            .iter()
            .enumerate()
            .map(|(k, lobe)| {
                let labels = t.labels.clone();
                let lobe = *lobe;
                let [nx, ny, _] = labels.dims();
                (
                    Box::new(move |x: usize, y: usize, z: usize| {
                        labels.as_slice()[x + nx * (y + ny * z)] == lobe
                    }) as Region,
                    LOBE_COLOURS[k],
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let truth_overlays: Vec<Overlay> = truth_regions
        .iter()
        .map(|(c, colour)| Overlay {
            contains: c.as_ref(),
            colour: *colour,
            outline: false,
        })
        .collect();
    let [nx, ny, nz] = ct.dims();
    let right = mask(outcome, "mask:lung_right");
    let left = mask(outcome, "mask:lung_left");
    let (zlo, zhi) = match (&right, &left) {
        (Some(r), Some(l)) => {
            let (a, b) = (r.bbox_index().unwrap(), l.bbox_index().unwrap());
            (a.0[2].min(b.0[2]), a.1[2].max(b.1[2]))
        }
        _ => (0, nz - 1),
    };
    let zs: Vec<usize> = if zs.is_empty() {
        [0.25, 0.45, 0.6, 0.75]
            .iter()
            .map(|f| zlo + ((zhi - zlo) as f64 * f) as usize)
            .collect()
    } else {
        zs.to_vec()
    };
    let panel = |plane: Plane| -> Picture {
        let mut p = vec![render(ct, plane, Window::LUNG, &overlays)];
        if truth.is_some() {
            p.push(render(ct, plane, Window::LUNG, &truth_overlays));
        } else {
            p.push(render(ct, plane, Window::LUNG, &[]));
        }
        let p = Picture::side_by_side(&p);
        // Small matrices are enlarged so that fissures can be told apart.
        if nx < 384 { upscale(&p, 2) } else { p }
    };
    for z in zs {
        panel(Plane::Axial(z))
            .write_png(&out.join(format!("axial_{z:03}.png")))
            .unwrap();
    }
    let cy = right
        .as_ref()
        .and_then(|m| m.centroid_lps())
        .map(|c| ct.geometry().lps_to_index(c)[1] as usize)
        .unwrap_or(ny / 2);
    panel(Plane::Coronal(cy.min(ny - 1)))
        .write_png(&out.join("coronal.png"))
        .unwrap();
    // The airway tree projected over a 50 mm coronal slab at the carina.
    let carina = match outcome
        .store
        .present
        .get(&ArtefactName::parse("landmarks:airway").unwrap())
    {
        Some(Artefact::Landmarks(l)) => l.get("carina").copied(),
        _ => None,
    };
    if let Some(c) = carina {
        let cy = ct.geometry().lps_to_index(c)[1].round() as i64;
        let half = (25.0 / ct.spacing()[1]).round() as i64;
        let mut tree: Vec<(Region, [u8; 3], bool)> = Vec::new();
        let names = ["trachea", "bronchi"];
        for (k, name) in names.iter().enumerate() {
            if let Some(m) = mask(outcome, &format!("mask:{name}")) {
                let ny = ny as i64;
                tree.push((
                    Box::new(move |x, _y, z| {
                        (cy - half..=cy + half)
                            .filter(|yy| *yy >= 0 && *yy < ny)
                            .any(|yy| m.contains(x, yy as usize, z))
                    }),
                    if k == 0 { [255, 255, 0] } else { [255, 80, 80] },
                    false,
                ));
            }
        }
        let ov: Vec<Overlay> = tree
            .iter()
            .map(|(c, colour, outline)| Overlay {
                contains: c.as_ref(),
                colour: *colour,
                outline: *outline,
            })
            .collect();
        let cyu = cy.clamp(0, ny as i64 - 1) as usize;
        Picture::side_by_side(&[
            render(ct, Plane::Coronal(cyu), Window::LUNG, &ov),
            render(ct, Plane::Coronal(cyu), Window::LUNG, &[]),
        ])
        .write_png(&out.join("airways.png"))
        .unwrap();
    }
    for (name, m) in [("right", &right), ("left", &left)] {
        if let Some(m) = m {
            let c = ct.geometry().lps_to_index(m.centroid_lps().unwrap());
            let x = (c[0] as usize).min(nx - 1);
            panel(Plane::Sagittal(x))
                .write_png(&out.join(format!("sagittal_{name}.png")))
                .unwrap();
        }
    }
}

/// Nearest-neighbour enlargement of a picture.
fn upscale(p: &Picture, k: usize) -> Picture {
    let (w, h) = (p.width * k, p.height * k);
    let mut rgb = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let s = ((y / k) * p.width + x / k) * 3;
            rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&p.rgb[s..s + 3]);
        }
    }
    Picture {
        width: w,
        height: h,
        rgb,
    }
}

/// Prints HU / 100 (clamped to one character) around an LPS point on a few
/// slices: `--probe L,P,S,HALF_WIDTH_PX,SLICES`.
fn probe_hu(ct: &Volume<i16>, spec: &str) {
    let v: Vec<f64> = spec.split(',').map(|t| t.parse().unwrap()).collect();
    let c = ct.geometry().lps_to_index([v[0], v[1], v[2]]);
    let (h, n) = (v[3] as i64, v[4] as i64);
    let [nx, ny, nz] = ct.dims();
    for dz in 0..n {
        let z = c[2].round() as i64 - dz;
        if z < 0 || z >= nz as i64 {
            continue;
        }
        println!("slice {z}");
        for y in (c[1] as i64 - h)..=(c[1] as i64 + h) {
            let row: String = ((c[0] as i64 - h)..=(c[0] as i64 + h))
                .map(|x| {
                    if x < 0 || y < 0 || x >= nx as i64 || y >= ny as i64 {
                        return ' ';
                    }
                    let hu = ct.as_slice()[x as usize + nx * (y as usize + ny * z as usize)];
                    match hu {
                        ..-950 => '#',
                        -950..-900 => 'O',
                        -900..-800 => 'o',
                        -800..-600 => ':',
                        -600..-200 => '.',
                        _ => ' ',
                    }
                })
                .collect();
            println!("  {row}");
        }
    }
}
