//! F18 pericardial effusion in the phantom: the fluid layer of a built
//! model has the thickness asked for, a second effusion is refused, and
//! a rendered effusion's truth (volume, HU) agrees with its label voxels
//! and image values, measured here independently.

use crate::common;

use common::{erode_inplane, mean_sd};
use phantom::lesions::LesionSpec;
use phantom::lesions::pericardial_effusion::{PericardialEffusionSpec, apply, measure};
use phantom::{KernelClass, PhantomParams, generate};

fn effusion(thickness_mm: f64, hu: f64) -> LesionSpec {
    LesionSpec::PericardialEffusion(PericardialEffusionSpec {
        thickness_mm: Some(thickness_mm),
        hu: Some(hu),
    })
}

#[test]
fn the_fluid_layer_has_the_thickness_asked_for() {
    for seed in [8u64] {
        let p = PhantomParams::from_seed(seed);
        let mut normal = phantom::anatomy::build(&p);
        apply(&mut normal, &[]).unwrap();
        assert!(normal.heart.fluid.is_none());
        let mut small = None;
        for want in [8.0, 22.0] {
            let mut m = phantom::anatomy::build(&p);
            apply(&mut m, &[effusion(want, 10.0)]).unwrap();
            let (t, at, ml) = measure(&m.heart);
            println!("seed {seed}: {want} mm asked: {t:.1} mm at {at:?}, {ml:.0} ml");
            // The largest inscribed sphere.
            assert!(
                (t - want).abs() <= 0.03 * want,
                "seed {seed}: {t:.1} vs {want}"
            );
            // On the dependent side drawn, below the base.
            let fluid = m.heart.fluid.as_ref().unwrap();
            let side: f64 = (0..3)
                .map(|k| (at[k] - fluid.centre[k]) * fluid.toward[k])
                .sum();
            assert!(side > 0.0, "seed {seed}: {at:?}");
            assert!(at[2] < fluid.top_w, "seed {seed}: {at:?}");
            assert!(ml > 40.0, "seed {seed}: {ml:.0} ml");
            if let Some(s) = small {
                assert!(ml > 2.0 * s, "seed {seed}: {ml:.0} vs {s:.0} ml");
            }
            small = Some(ml);
        }
    }
    let p = PhantomParams::from_seed(3);
    let mut m = phantom::anatomy::build(&p);
    assert!(apply(&mut m, &[effusion(10.0, 10.0), effusion(15.0, 10.0)]).is_err());
    assert!(apply(&mut m, &[effusion(50.0, 10.0)]).is_err());
}

#[test]
fn a_rendered_effusion_matches_its_truth() {
    let mut p = PhantomParams::from_seed(21);
    p.matrix = 160;
    p.slice_mm = 2.5;
    p.normal = false;
    p.motion = false;
    p.arms = phantom::Arms::Up;
    p.kernel = phantom::Kernel::of_class(KernelClass::Standard);
    p.noise_hu = 12.0;
    p.lesions = vec![effusion(16.0, 12.0)];
    let ph = generate(&p, &imaging_io::NoProgress).unwrap();
    println!("{}", ph.lesions[0].describe());
    let f = ph
        .truth
        .findings
        .iter()
        .find(|f| f.code == "F18")
        .expect("an F18 truth finding");
    let volume = f.measurement("volume").unwrap();
    let thickness = f.measurement("max_thickness").unwrap();
    assert_eq!(f.measurement("mean_hu"), Some(12.0));
    assert_eq!(f.category.as_ref().unwrap().value, "moderate");
    assert!((10.0..=20.0).contains(&thickness), "{thickness}");
    let lab = f.mask_label as u16;
    let mask: Vec<bool> = ph.labels.as_slice().iter().map(|&l| l == lab).collect();
    let voxel_ml = ph.ct.spacing().iter().product::<f64>() / 1000.0;
    let counted = mask.iter().filter(|&&m| m).count() as f64 * voxel_ml;
    println!("volume: truth {volume} ml, labels {counted:.0} ml");
    assert!(
        (counted - volume).abs() < 0.1 * volume,
        "{counted:.0} vs {volume} ml"
    );
    // The fluid's own value away from its edges.
    let core = erode_inplane(&mask, ph.ct.dims(), 2);
    let (mean, sd, n) = mean_sd(&ph.ct, &core);
    println!("fluid core: {mean:.1} HU (sd {sd:.1}, n {n})");
    assert!(n > 50, "{n} core voxels");
    assert!((mean - 12.0).abs() < 6.0, "{mean:.1} HU");
    ph.truth.validate().unwrap();
}
