//! F21 aortic wall calcification in the phantom: each grade asked for is
//! drawn with a true volume inside that grade, the plaques lie in the
//! aortic wall and render as dense voxels of the lesion's label, and
//! coronary calcium with look-alikes states its aortic calcium as F21.

use crate::common;

use phantom::lesions::LesionSpec;
use phantom::lesions::aortic_calcium::{AorticCalciumGrade, AorticCalciumSpec, GRADE_MM3};
use phantom::lesions::coronary_calcium::CoronaryCalciumSpec;
use phantom::{PhantomParams, generate};

fn f21(doc: &aisu::FindingsDocument) -> Option<&aisu::Finding> {
    doc.findings.iter().find(|f| f.code == "F21")
}

#[test]
fn each_grade_is_drawn_inside_its_volume_range_and_rendered_dense() {
    for (seed, grade) in [
        (3u64, AorticCalciumGrade::Mild),
        (4, AorticCalciumGrade::Moderate),
        (5, AorticCalciumGrade::Severe),
    ] {
        let mut p = PhantomParams::from_seed(seed);
        p.matrix = 192;
        p.slice_mm = 2.5;
        p.normal = false;
        p.normal = false;
        p.lesions = vec![LesionSpec::AorticCalcium(AorticCalciumSpec {
            grade: Some(grade),
        })];
        let ph = generate(&p, &imaging_io::NoProgress).expect("phantom");
        let f = f21(&ph.truth).expect("F21 truth");
        let v = f.measurement("calcium_volume").unwrap();
        println!("seed {seed}: {grade:?} {v} mm3, {:?}", f.site.extra);
        let inside = match grade {
            AorticCalciumGrade::Mild => v < GRADE_MM3[0],
            AorticCalciumGrade::Moderate => (GRADE_MM3[0]..=GRADE_MM3[1]).contains(&v),
            AorticCalciumGrade::Severe => v > GRADE_MM3[1],
        };
        assert!(inside, "seed {seed}: {v} mm3 is not {grade:?}");
        assert_eq!(
            f.category.as_ref().unwrap().value,
            grade.name(),
            "seed {seed}"
        );
        // The label's voxels: dense, and within the aorta's extent.
        let label = f.mask_label as u16;
        let (n, dense) = common::label_dense(&ph, label, 130);
        assert!(n > 0, "seed {seed}: no label voxels");
        assert!(
            dense as f64 >= 0.8 * n as f64,
            "seed {seed}: {dense} of {n} label voxels at 130 HU or more"
        );
    }
}

#[test]
fn coronary_calcium_with_look_alikes_states_its_aortic_calcium() {
    let mut p = PhantomParams::from_seed(11);
    p.matrix = 192;
    p.slice_mm = 2.5;
    p.normal = false;
    p.lesions = vec![LesionSpec::CoronaryCalcium(CoronaryCalciumSpec {
        lookalikes: Some(true),
        ..Default::default()
    })];
    let ph = generate(&p, &imaging_io::NoProgress).expect("phantom");
    let f = f21(&ph.truth).expect("F21 stated beside the coronary calcium");
    assert_eq!(f.category.as_ref().unwrap().value, "mild");
    for code in ["F19", "F39"] {
        assert!(ph.truth.findings.iter().any(|f| f.code == code), "{code}");
    }
}
