//! Realism check: a normal 5 mm phantom against a real chest CT
//! (Lung-PET-CT-Dx A0001: 5 mm slices, 0.84 mm pixels, Philips kernel),
//! measured the same way on both: medians of the lung, fat and soft-tissue
//! HU bands, lung 5th/95th percentiles inside the lungs (real: threshold +
//! largest components; phantom: its labels), and the noise in fat from
//! neighbour differences. Prints the side-by-side table and asserts the
//! bounds. Skips (with a message) when the real data is absent; set
//! AIRAD_REAL_DATA to the folder holding `lung-pet-ct-dx/`.

use crate::common;

use std::path::PathBuf;

use common::{band_median, erode_inplane, noise_sigma, percentile};
use phantom::{Arms, PhantomParams, ShapeFamily, generate, labels};
use volume::{Connectivity, Volume, fill_holes_slicewise, keep_largest_components};

fn real_dir() -> Option<PathBuf> {
    let base = std::env::var("AIRAD_REAL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let d = base.join("lung-pet-ct-dx/A0001/ct");
    d.is_dir().then_some(d)
}

/// Measurements of one scan.
struct Stats {
    lung_band: f64,
    fat_band: f64,
    soft_band: f64,
    lung_p5: f64,
    lung_p95: f64,
    fat_noise: f64,
    lung_noise: f64,
}

fn measure(ct: &Volume<i16>, lung_mask: &[bool]) -> Stats {
    let mut lung: Vec<f64> = ct
        .as_slice()
        .iter()
        .zip(lung_mask)
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v as f64)
        .collect();
    let fat: Vec<bool> = ct
        .as_slice()
        .iter()
        .map(|&v| (-200..=-40).contains(&v))
        .collect();
    let fat = erode_inplane(&fat, ct.dims(), 2);
    Stats {
        lung_band: band_median(ct, -950, -600),
        fat_band: band_median(ct, -200, -40),
        soft_band: band_median(ct, 0, 100),
        lung_p5: percentile(&mut lung, 5.0),
        lung_p95: percentile(&mut lung, 95.0),
        fat_noise: noise_sigma(ct, &fat),
        lung_noise: noise_sigma(ct, &erode_inplane(lung_mask, ct.dims(), 3)),
    }
}

/// Lungs of a real scan: air-like voxels inside the body outline (filled
/// slice by slice), the two largest 6-connected components.
fn real_lungs(ct: &Volume<i16>) -> Vec<bool> {
    let body = ct.map(|&v| v > -500);
    let body = keep_largest_components(&body, Connectivity::Six, 1).expect("components");
    let body = fill_holes_slicewise(&body).expect("fill");
    let cand = Volume::new(
        ndarray::Array3::from_shape_vec(
            ct.data().raw_dim(),
            ct.as_slice()
                .iter()
                .zip(body.as_slice())
                .map(|(&v, &b)| b && v < -400)
                .collect(),
        )
        .expect("shape"),
        *ct.geometry(),
    )
    .expect("volume");
    let lungs = keep_largest_components(&cand, Connectivity::Six, 2).expect("components");
    lungs.as_slice().to_vec()
}

#[test]
fn phantom_statistics_match_a_real_chest_ct() {
    let Some(dir) = real_dir() else {
        println!(
            "SKIPPED realism check: real scan not found (set AIRAD_REAL_DATA to the folder with lung-pet-ct-dx/)"
        );
        return;
    };
    let real =
        imaging_io::dicom_read::read_dicom(&dir, &Default::default(), &imaging_io::NoProgress)
            .expect("read A0001");
    let real_stats = measure(&real.volume, &real_lungs(&real.volume));

    // A normal phantom acquired like it: 5 mm, ~0.84 mm pixels, a soft to
    // standard kernel at comparable noise.
    let mut p = PhantomParams::from_seed(7);
    p.normal = true;
    p.lesions.clear();
    p.slice_mm = 5.0;
    p.fov_mm = 430.0;
    p.matrix = 512;
    // Its kernel, Philips "L", is a sharp (lung) kernel.
    p.kernel = "L".parse().expect("kernel");
    p.noise_hu = 38.0;
    p.arms = Arms::Up;
    p.shape_family = ShapeFamily::Ovoid;
    p.motion = false;
    let ph = generate(&p, &imaging_io::NoProgress).expect("phantom");
    let lung_mask: Vec<bool> = ph
        .labels
        .as_slice()
        .iter()
        .map(|&l| labels::is_lobe(l))
        .collect();
    let ph_stats = measure(&ph.ct, &lung_mask);

    let rows = [
        (
            "median, lung band -950..-600 HU",
            real_stats.lung_band,
            ph_stats.lung_band,
            50.0,
            false,
        ),
        (
            "median, fat band -200..-40 HU",
            real_stats.fat_band,
            ph_stats.fat_band,
            30.0,
            false,
        ),
        (
            "median, soft band 0..100 HU",
            real_stats.soft_band,
            ph_stats.soft_band,
            25.0,
            false,
        ),
        (
            "lung 5th percentile",
            real_stats.lung_p5,
            ph_stats.lung_p5,
            60.0,
            false,
        ),
        (
            "lung 95th percentile",
            real_stats.lung_p95,
            ph_stats.lung_p95,
            60.0,
            false,
        ),
        (
            "noise sigma in fat (HU)",
            real_stats.fat_noise,
            ph_stats.fat_noise,
            0.30,
            true,
        ),
    ];
    println!("\nrealism: phantom seed {} vs {}", p.seed, dir.display());
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9}",
        "measure", "A0001", "phantom", "diff", "bound"
    );
    println!(
        "{:<34} {:>9.1} {:>9.1}   (information: noise plus fine lung texture)",
        "neighbour sigma in lung (HU)", real_stats.lung_noise, ph_stats.lung_noise
    );
    let mut failures = Vec::new();
    for (name, r, s, bound, relative) in rows {
        let diff = if relative { (s - r) / r } else { s - r };
        let ok = diff.abs() <= bound;
        let b = if relative {
            format!("{:.0}%", bound * 100.0)
        } else {
            format!("{bound:.0}")
        };
        let d = if relative {
            format!("{:+.0}%", diff * 100.0)
        } else {
            format!("{diff:+.1}")
        };
        println!(
            "{name:<34} {r:>9.1} {s:>9.1} {d:>9} {b:>9} {}",
            if ok { "" } else { "FAIL" }
        );
        if !ok {
            failures.push(name);
        }
    }
    assert!(failures.is_empty(), "outside bounds: {failures:?}");
}
