//! Benchmark (acceptance): a 512 x 512 x 300 phantom with ten lesions
//! (solid nodules of every variant: the lesion kinds that exist) in under
//! 20 s on 2 cores, release build. Plain `std::time`; run with
//! `cargo bench -p phantom`. Also times writing the outputs.

use std::time::Instant;

use phantom::lesions::LesionSpec;
use phantom::lesions::nodule::{NoduleShape, NoduleSpec, NoduleVariant};
use phantom::{PhantomParams, generate, write_phantom};

fn main() {
    let mut p = PhantomParams::from_seed(2024);
    p.matrix = 512;
    p.slice_mm = 1.0;
    p.z_extent_mm = Some(300.0);
    p.normal = false;
    let variants = [
        NoduleVariant::Intraparenchymal,
        NoduleVariant::Juxtapleural,
        NoduleVariant::Juxtavascular,
    ];
    let shapes = [
        NoduleShape::Round,
        NoduleShape::Lobulated,
        NoduleShape::Spiculated,
    ];
    p.lesions = (0..10)
        .map(|i| {
            LesionSpec::Nodule(NoduleSpec {
                diameter_mm: Some(4.0 + 2.2 * i as f64),
                variant: Some(variants[i % 3]),
                shape: Some(shapes[(i / 3) % 3]),
                ..Default::default()
            })
        })
        .collect();
    let threads = rayon::current_num_threads();
    let t = Instant::now();
    let ph = match generate(&p, &imaging_io::NoProgress) {
        Ok(ph) => ph,
        Err(e) => {
            eprintln!("generation failed: {e}");
            std::process::exit(1);
        }
    };
    let gen_s = t.elapsed().as_secs_f64();
    let dims = ph.ct.dims();
    println!(
        "generate: {}x{}x{} phantom with {} lesions in {:.2} s on {} threads (target < 20 s)",
        dims[0],
        dims[1],
        dims[2],
        ph.lesions.len(),
        gen_s,
        threads
    );
    let dir = std::env::temp_dir().join(format!("airad-phantom-bench-{}", std::process::id()));
    let t = Instant::now();
    if let Err(e) = write_phantom(&dir, &ph) {
        eprintln!("writing failed: {e}");
    } else {
        println!(
            "write_phantom (DICOM + NIfTI + JSON): {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    if gen_s > 20.0 {
        println!("WARNING: slower than the 20 s target");
    }
}
