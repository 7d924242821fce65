//! Renders axial, coronal and sagittal views of a phantom (lung and soft
//! tissue windows), side by side with the same views of a real scan when
//! one is available, into PNG files.
//!
//! ```text
//! cargo run --release -p phantom --example render_pngs -- \
//!     [--seed N] [--slice MM] [--matrix N] [--noise HU] [--kernel K] \
//!     [--arms up|down|absent] [--family ovoid|tapered|barrel] [--normal] \
//!     [--real DICOM_DIR] [--out DIR]
//! ```
//! Defaults: seed 1, slice 5 mm, 512 matrix, out `docs/phantom`, real scan
//! `$AIRAD_REAL_DATA/lung-pet-ct-dx/A0001/ct` or `../shared/data/...`.

use std::path::{Path, PathBuf};

use phantom::{PhantomParams, generate};
use volume::Volume;

/// Window centre and width.
const LUNG: (f32, f32) = (-600.0, 1500.0);
const SOFT: (f32, f32) = (40.0, 400.0);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seed: u64 = get("--seed").map(|s| s.parse()).transpose()?.unwrap_or(1);
    let mut p = PhantomParams::from_seed(seed);
    p.slice_mm = get("--slice")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5.0);
    p.matrix = get("--matrix")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(512);
    if let Some(n) = get("--noise") {
        p.noise_hu = n.parse()?;
    }
    if let Some(k) = get("--kernel") {
        p.kernel = k.parse()?;
    }
    if let Some(a) = get("--arms") {
        p.arms = a.parse()?;
    }
    if let Some(f) = get("--family") {
        p.shape_family = f.parse()?;
    }
    if args.iter().any(|a| a == "--normal") {
        p.normal = true;
        p.lesions.clear();
    }
    let out = PathBuf::from(get("--out").unwrap_or_else(|| "docs/phantom".into()));
    std::fs::create_dir_all(&out)?;
    let t = std::time::Instant::now();
    let ph = generate(&p, &imaging_io::NoProgress)?;
    eprintln!(
        "generated {:?} in {:.1} s",
        ph.ct.dims(),
        t.elapsed().as_secs_f64()
    );
    for l in &ph.lesions {
        eprintln!("  {}", l.describe());
    }
    let real_dir = get("--real").map(PathBuf::from).or_else(default_real);
    let real = real_dir.as_ref().and_then(|d| {
        imaging_io::dicom_read::read_dicom(d, &Default::default(), &imaging_io::NoProgress)
            .map_err(|e| eprintln!("real scan not read: {e}"))
            .ok()
    });
    let key = ph.truth.findings.first().map(|f| f.key_slice);
    let views = [
        ("axial_upper", View::Axial(0.78)),
        ("axial_hilum", View::Axial(0.62)),
        ("axial_heart", View::Axial(0.42)),
        ("axial_base", View::Axial(0.2)),
        ("coronal", View::Coronal(0.5)),
        ("sagittal", View::Sagittal(0.38)),
    ];
    for (name, view) in views {
        for (wname, win) in [("lung", LUNG), ("soft", SOFT)] {
            let a = view.render(&ph.ct, win);
            let img = match &real {
                Some(r) => side_by_side(&a, &view.render(&r.volume, win)),
                None => a,
            };
            write_png(&out.join(format!("{name}_{wname}.png")), &img)?;
        }
    }
    if let Some(k) = key {
        let z = k as f64 / (ph.ct.dims()[2].max(2) - 1) as f64;
        let img = View::Axial(z).render(&ph.ct, LUNG);
        write_png(&out.join("nodule_lung.png"), &img)?;
    }
    eprintln!("wrote PNGs to {}", out.display());
    Ok(())
}

fn default_real() -> Option<PathBuf> {
    let base = std::env::var("AIRAD_REAL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("../shared/data"));
    let d = base.join("lung-pet-ct-dx/A0001/ct");
    d.is_dir().then_some(d)
}

/// A sampler of a view: (u, v) in 0..1 to a voxel value.
type Sampler<'a> = Box<dyn Fn(f64, f64) -> i16 + 'a>;

/// A greyscale image.
struct Gray {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

/// A view at a relative position (0 = inferior/right/anterior .. 1).
#[derive(Clone, Copy)]
enum View {
    Axial(f64),
    Coronal(f64),
    Sagittal(f64),
}

fn window(v: i16, (c, w): (f32, f32)) -> u8 {
    ((v as f32 - (c - 0.5 * w)) / w * 255.0).clamp(0.0, 255.0) as u8
}

impl View {
    /// Renders to 512 pixels wide, physical aspect ratio.
    fn render(&self, vol: &Volume<i16>, win: (f32, f32)) -> Gray {
        let [nx, ny, nz] = vol.dims();
        let sp = vol.spacing();
        let at = |x: usize, y: usize, z: usize| vol.as_slice()[x + nx * (y + ny * z)];
        let (w_mm, h_mm, sample): (f64, f64, Sampler) = match *self {
            View::Axial(f) => {
                let z = ((nz - 1) as f64 * f).round() as usize;
                (
                    nx as f64 * sp[0],
                    ny as f64 * sp[1],
                    Box::new(move |u, v| at((u * nx as f64) as usize, (v * ny as f64) as usize, z)),
                )
            }
            View::Coronal(f) => {
                let y = ((ny - 1) as f64 * f).round() as usize;
                (
                    nx as f64 * sp[0],
                    nz as f64 * sp[2],
                    Box::new(move |u, v| {
                        at(
                            (u * nx as f64) as usize,
                            y,
                            nz - 1 - (v * nz as f64) as usize,
                        )
                    }),
                )
            }
            View::Sagittal(f) => {
                let x = ((nx - 1) as f64 * f).round() as usize;
                (
                    ny as f64 * sp[1],
                    nz as f64 * sp[2],
                    Box::new(move |u, v| {
                        at(
                            x,
                            (u * ny as f64) as usize,
                            nz - 1 - (v * nz as f64) as usize,
                        )
                    }),
                )
            }
        };
        let w = 512;
        let h = ((h_mm / w_mm) * w as f64).round().max(1.0) as usize;
        let mut px = Vec::with_capacity(w * h);
        for j in 0..h {
            for i in 0..w {
                let u = ((i as f64 + 0.5) / w as f64).min(0.999_999);
                let v = ((j as f64 + 0.5) / h as f64).min(0.999_999);
                px.push(window(sample(u, v), win));
            }
        }
        Gray { w, h, px }
    }
}

fn side_by_side(a: &Gray, b: &Gray) -> Gray {
    let h = a.h.max(b.h);
    let w = a.w + 8 + b.w;
    let mut px = vec![0u8; w * h];
    for (img, x0) in [(a, 0), (b, a.w + 8)] {
        for y in 0..img.h {
            px[y * w + x0..y * w + x0 + img.w].copy_from_slice(&img.px[y * img.w..(y + 1) * img.w]);
        }
    }
    for y in 0..h {
        for x in a.w..a.w + 8 {
            px[y * w + x] = 128;
        }
    }
    Gray { w, h, px }
}

fn write_png(path: &Path, img: &Gray) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = png::Encoder::new(file, img.w as u32, img.h as u32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header()?;
    wr.write_image_data(&img.px)?;
    Ok(())
}
