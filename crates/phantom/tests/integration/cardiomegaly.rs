//! The heart size of built models: normal phantoms keep a true
//! cardiothoracic ratio at or below the normal ceiling, cardiomegaly
//! phantoms reach their drawn ratio, and an explicit ratio is honoured.

use phantom::lesions::LesionSpec;
use phantom::lesions::cardiomegaly::{CardiomegalySpec, NORMAL_MAX_CTR, build_sized, measure};

#[test]
fn normal_and_enlarged_hearts_have_the_ratio_asked_for() {
    for seed in [1u64, 11, 15] {
        let p = phantom::PhantomParams::from_seed(seed);
        let normal = measure(&build_sized(&p, &[]).unwrap());
        println!("seed {seed}: normal {normal:?}");
        assert!(
            normal.ratio <= NORMAL_MAX_CTR + 0.005,
            "seed {seed}: {normal:?}"
        );
        assert!(normal.ratio > 0.3, "seed {seed}: {normal:?}");
        let spec = CardiomegalySpec::default();
        let want = spec.target(seed).unwrap();
        let big = measure(&build_sized(&p, &[LesionSpec::Cardiomegaly(spec)]).unwrap());
        println!("seed {seed}: enlarged {big:?} (target {want})");
        assert!(big.ratio > 0.5, "seed {seed}: {big:?}");
        assert!(
            (big.ratio - want).abs() <= 0.02,
            "seed {seed}: {big:?} vs {want}"
        );
        assert!(big.heart_volume_ml > normal.heart_volume_ml * 1.3);
    }
    let p = phantom::PhantomParams::from_seed(4);
    let spec = CardiomegalySpec { ratio: Some(0.56) };
    let m = measure(&build_sized(&p, &[LesionSpec::Cardiomegaly(spec)]).unwrap());
    assert!((m.ratio - 0.56).abs() <= 0.02, "{m:?}");
    let bad = CardiomegalySpec { ratio: Some(0.45) };
    assert!(build_sized(&p, &[LesionSpec::Cardiomegaly(bad)]).is_err());
}
