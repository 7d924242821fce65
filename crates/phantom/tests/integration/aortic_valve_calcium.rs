//! F20 aortic valve calcification in the phantom: each grade's true
//! Agatston score lies on its side of the severe aortic stenosis
//! thresholds (mild below both, heavy above both, moderate between), the
//! category follows the patient's sex, and the nodules render dense under
//! their own label inside the heart, at the aortic root.

use crate::common;

use phantom::lesions::LesionSpec;
use phantom::lesions::aortic_valve_calcium::{
    AorticValveCalciumSpec, AvcGrade, CATEGORY_BELOW, CATEGORY_SEVERE, SEVERE_AU,
};
use phantom::{PhantomParams, Sex, generate};

#[test]
fn each_grade_is_drawn_on_its_side_of_the_thresholds_and_rendered() {
    for (seed, grade, sex) in [
        (5u64, AvcGrade::Mild, Sex::Male),
        (6, AvcGrade::Moderate, Sex::Female),
        (7, AvcGrade::Moderate, Sex::Male),
        (8, AvcGrade::Heavy, Sex::Female),
    ] {
        let mut p = PhantomParams::from_seed(seed);
        p.matrix = 192;
        p.slice_mm = 2.5;
        p.normal = false;
        p.sex = sex;
        p.lesions = vec![LesionSpec::AorticValveCalcium(AorticValveCalciumSpec {
            grade: Some(grade),
        })];
        let ph = generate(&p, &imaging_io::NoProgress).expect("phantom");
        let f = ph
            .truth
            .findings
            .iter()
            .find(|f| f.code == "F20")
            .expect("F20 truth");
        let a = f.measurement("agatston").unwrap();
        let category = f.category.as_ref().unwrap().value.clone();
        println!("seed {seed} {grade:?} {sex:?}: Agatston {a}, {category}");
        match grade {
            AvcGrade::Mild => assert!(a < 0.9 * SEVERE_AU[0], "seed {seed}: {a}"),
            AvcGrade::Moderate => assert!(
                a > 1.05 * SEVERE_AU[0] && a < 0.95 * SEVERE_AU[1],
                "seed {seed}: {a}"
            ),
            AvcGrade::Heavy => assert!(a > 1.1 * SEVERE_AU[1], "seed {seed}: {a}"),
        }
        let severe = match sex {
            Sex::Female => a > SEVERE_AU[0],
            Sex::Male => a > SEVERE_AU[1],
        };
        assert_eq!(
            category,
            if severe {
                CATEGORY_SEVERE
            } else {
                CATEGORY_BELOW
            },
            "seed {seed}"
        );
        assert!(f.assessable, "seed {seed}: not assessable");
        let label = f.mask_label as u16;
        let (n, dense) = common::label_dense(&ph, label, 130);
        assert!(n > 0, "seed {seed}: no label voxels");
        assert!(
            dense as f64 >= 0.8 * n as f64,
            "seed {seed}: {dense} of {n} label voxels at 130 HU or more"
        );
    }
}
