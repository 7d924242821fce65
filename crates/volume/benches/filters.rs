//! Times each filter of the `volume` crate on a synthetic 512 x 512 x 300
//! chest-like CT (0.75 x 0.75 x 1.0 mm) and prints a table. Plain
//! `std::time`, no criterion: run with `cargo bench -p volume`. Besides
//! wall time it prints the process CPU time of each step (Linux), which
//! stays meaningful when other jobs load the machine: with 2 free cores a
//! well-parallelised step takes about half its CPU time in wall time.

use std::time::Instant;

use volume::{
    Connectivity, Geometry, Interpolation, Volume, close, dilate, distance_to_foreground, erode,
    fill_holes, fill_holes_slicewise, gaussian_smooth, keep_largest_components, label_components,
    label_components_with_intensity, open, remove_small_components, resample, resample_isotropic,
    resample_nearest, signed_distance,
};

const DIMS: [usize; 3] = [512, 512, 300];
const SPACING: [f64; 3] = [0.75, 0.75, 1.0];

/// A deterministic hash of an integer to `[0, 1)`.
fn hash(mut z: u64) -> f64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Body ellipse (40 HU) with two lungs (-850 HU), 300 nodules/vessels
/// (spheres of 1-5 mm, 40 HU) in the lungs and +-30 HU noise; air -1000.
fn synthetic_ct() -> Volume<i16> {
    let g = Geometry::new(DIMS, SPACING, [-192.0, -192.0, -150.0]);
    let mut v = Volume::filled(g, -1000i16);
    let [nx, ny, _] = DIMS;
    let mut blobs = Vec::new();
    for k in 0..300u64 {
        let side = if k % 2 == 0 { -1.0 } else { 1.0 };
        let c = [
            side * (60.0 + 40.0 * (hash(3 * k) - 0.5)),
            -10.0 + 80.0 * (hash(3 * k + 1) - 0.5),
            200.0 * (hash(3 * k + 2) - 0.5),
        ];
        blobs.push((c, 1.0 + 4.0 * hash(k + 1000)));
    }
    let lung = |p: [f64; 3]| -> bool {
        let side = if p[0] < 0.0 { -1.0 } else { 1.0 };
        let q = [
            (p[0] - side * 65.0) / 55.0,
            (p[1] + 10.0) / 80.0,
            p[2] / 130.0,
        ];
        q[0] * q[0] + q[1] * q[1] + q[2] * q[2] < 1.0
    };
    use rayon::prelude::*;
    v.as_slice_mut()
        .par_chunks_mut(nx * ny)
        .enumerate()
        .for_each(|(z, slice)| {
            let pz = g.index_to_lps([0.0, 0.0, z as f64])[2];
            let near: Vec<_> = blobs
                .iter()
                .filter(|(c, r)| (c[2] - pz).abs() < *r)
                .collect();
            for (i, hu) in slice.iter_mut().enumerate() {
                let (x, y) = (i % nx, i / nx);
                let p = g.index_to_lps([x as f64, y as f64, z as f64]);
                let noise = 60.0 * (hash((i + nx * ny * z) as u64) - 0.5);
                let body = (p[0] / 170.0).powi(2) + ((p[1] + 10.0) / 120.0).powi(2) < 1.0;
                let base = if !body {
                    -1000.0
                } else if lung(p) {
                    let vessel = near.iter().any(|(c, r)| {
                        (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2)
                            < r * r
                    });
                    if vessel { 40.0 } else { -850.0 }
                } else {
                    40.0
                };
                *hu = (base + noise) as i16;
            }
        });
    v
}

fn main() {
    let n = DIMS.iter().product::<usize>() as f64;
    println!(
        "volume filters on {}x{}x{} = {:.1} Mvoxels, spacing {:?} mm, {} threads",
        DIMS[0],
        DIMS[1],
        DIMS[2],
        n / 1e6,
        SPACING,
        rayon::current_num_threads()
    );
    let t = Instant::now();
    let ct = synthetic_ct();
    println!(
        "(synthetic volume built in {:.2} s)\n",
        t.elapsed().as_secs_f64()
    );
    let body = ct.map(|&h| h > -500);
    let lungs = ct.map(|&h| h < -500);
    // The lungs: air below -500 HU not reaching the border, i.e. holes of the body.
    let lungs = {
        let filled = fill_holes_slicewise(&body).expect("fill");
        let mut m = lungs;
        for (a, &b) in m.as_slice_mut().iter_mut().zip(filled.as_slice()) {
            *a &= b;
        }
        m
    };
    let noise = ct.map(|&h| (h as i64 * 7919 % 10).abs() < 3);

    println!(
        "{:<50} {:>9} {:>9} {:>9}",
        "operation", "wall ms", "cpu ms", "Mvox/s"
    );
    println!("{}", "-".repeat(80));
    let row = |name: &str, f: &mut dyn FnMut() -> String| {
        let cpu = cpu_seconds();
        let t = Instant::now();
        let note = f();
        let dt = t.elapsed().as_secs_f64();
        let cpu = match (cpu, cpu_seconds()) {
            (Some(a), Some(b)) => format!("{:.0}", (b - a) * 1e3),
            _ => "n/a".to_string(),
        };
        println!(
            "{:<50} {:>9.0} {:>9} {:>9.1}   {note}",
            name,
            dt * 1e3,
            cpu,
            n / dt / 1e6
        );
    };

    let iso = volume::geometry_with_spacing(ct.geometry(), [1.0; 3]).expect("geometry");
    row("resample linear i16 -> 1 mm iso", &mut || {
        let r = resample(&ct, &iso, Interpolation::Linear, -1024).expect("resample");
        format!("{:?}", r.dims())
    });
    row("resample nearest bool -> 1 mm iso", &mut || {
        let r = resample_nearest(&lungs, &iso, false).expect("resample");
        format!("{:?}", r.dims())
    });
    row(
        "resample linear i16 -> 0.75 mm iso (same extent)",
        &mut || {
            let r = resample_isotropic(&ct, 0.75, Interpolation::Linear, -1024).expect("resample");
            format!("{:?}", r.dims())
        },
    );
    row("gaussian i16 sigma 1 mm", &mut || {
        let s = gaussian_smooth(&ct, [1.0; 3]).expect("gauss");
        format!("v0 {:.1}", s.as_slice()[0])
    });
    row("gaussian i16 sigma 3 mm", &mut || {
        let s = gaussian_smooth(&ct, [3.0; 3]).expect("gauss");
        format!("v0 {:.1}", s.as_slice()[0])
    });
    row("EDT distance to foreground (lungs)", &mut || {
        let d = distance_to_foreground(&lungs);
        format!("corner {:.1} mm", d.as_slice()[0])
    });
    row("signed distance (body)", &mut || {
        let d = signed_distance(&body);
        format!("corner {:.1} mm", d.as_slice()[0])
    });
    row("dilate lungs r = 5 mm", &mut || {
        count(&dilate(&lungs, 5.0).expect("dilate"))
    });
    row("erode lungs r = 5 mm", &mut || {
        count(&erode(&lungs, 5.0).expect("erode"))
    });
    row("close lungs r = 10 mm", &mut || {
        count(&close(&lungs, 10.0).expect("close"))
    });
    row("open body r = 3 mm", &mut || {
        count(&open(&body, 3.0).expect("open"))
    });
    row("dilate body r = 20 mm", &mut || {
        count(&dilate(&body, 20.0).expect("dilate"))
    });
    row("components 26 (body > -500 HU)", &mut || {
        let c = label_components(&body, Connectivity::TwentySix).expect("label");
        format!("{} components", c.len())
    });
    row("components 6 + intensity (body > -500 HU)", &mut || {
        let c = label_components_with_intensity(&body, Connectivity::Six, &ct).expect("label");
        format!("{} components", c.len())
    });
    row(
        "components 26 on 30% random noise (worst case)",
        &mut || {
            let c = label_components(&noise, Connectivity::TwentySix).expect("label");
            format!("{} components", c.len())
        },
    );
    row("keep largest 2 components (lungs, 26)", &mut || {
        count(&keep_largest_components(&lungs, Connectivity::TwentySix, 2).expect("keep"))
    });
    row("remove components < 100 voxels (body, 6)", &mut || {
        count(&remove_small_components(&body, Connectivity::Six, 100).expect("remove"))
    });
    row("fill holes 3D (body)", &mut || {
        count(&fill_holes(&body).expect("fill"))
    });
    row("fill holes slice-wise (body)", &mut || {
        count(&fill_holes_slicewise(&body).expect("fill"))
    });
}

/// CPU time (user + system, all threads) of this process in seconds, from
/// `/proc/self/stat` (Linux; 100 ticks per second assumed). Unlike wall
/// time it is not inflated when other processes share the cores.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn count(m: &Volume<bool>) -> String {
    format!("{} voxels", m.as_slice().iter().filter(|&&b| b).count())
}
