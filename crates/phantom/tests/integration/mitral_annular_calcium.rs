//! F39 mitral annular calcification in the phantom: the grade asked for
//! is drawn (arc clear of half the annulus), the truth volume is that of
//! the beads, and the beads render dense under their own label inside the
//! heart.

use crate::common;

use phantom::lesions::LesionSpec;
use phantom::lesions::mitral_annular_calcium::{EXTENSIVE_ARC_DEG, MitralAnnularCalciumSpec};
use phantom::{PhantomParams, generate};

#[test]
fn present_and_extensive_mac_are_drawn_and_rendered() {
    for (seed, extensive) in [(3u64, false), (4, true)] {
        let mut p = PhantomParams::from_seed(seed);
        p.matrix = 192;
        p.slice_mm = 2.5;
        p.normal = false;
        p.lesions = vec![LesionSpec::MitralAnnularCalcium(MitralAnnularCalciumSpec {
            extensive: Some(extensive),
        })];
        let ph = generate(&p, &imaging_io::NoProgress).expect("phantom");
        let f = ph
            .truth
            .findings
            .iter()
            .find(|f| f.code == "F39")
            .expect("F39 truth");
        let arc = f.extra["arc_deg"].as_f64().unwrap();
        let v = f.measurement("calcium_volume").unwrap();
        println!("seed {seed}: arc {arc} degrees, {v} mm3");
        assert_eq!(
            arc >= EXTENSIVE_ARC_DEG,
            extensive,
            "seed {seed}: arc {arc}"
        );
        assert_eq!(
            f.category.as_ref().unwrap().value,
            if extensive { "extensive" } else { "present" }
        );
        // Beads of 2-5 mm along the arc: tens to hundreds of mm^3.
        assert!((20.0..2000.0).contains(&v), "seed {seed}: {v} mm3");
        let label = f.mask_label as u16;
        let (n, dense) = common::label_dense(&ph, label, 130);
        assert!(n > 0, "seed {seed}: no label voxels");
        assert!(
            dense as f64 >= 0.8 * n as f64,
            "seed {seed}: {dense} of {n} label voxels at 130 HU or more"
        );
    }
}
