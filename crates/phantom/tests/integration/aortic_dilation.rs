//! The aorta of built models: normal aortas stay under the F22 cut-offs
//! with a margin, a requested dilation reaches its diameter in its own
//! segment only, and two dilations in one phantom are refused.

use phantom::lesions::LesionSpec;
use phantom::lesions::aortic_dilation::{
    AorticDilationSpec, AorticSegment, NORMAL_MARGIN_MM, apply, segment_diameters,
};

fn dilation(segment: AorticSegment, d: f64) -> LesionSpec {
    LesionSpec::AorticDilation(AorticDilationSpec {
        segment: Some(segment),
        diameter_mm: Some(d),
    })
}

#[test]
fn normal_and_dilated_aortas_have_the_diameters_asked_for() {
    for seed in [2u64, 6, 13] {
        let p = phantom::PhantomParams::from_seed(seed);
        let mut normal = phantom::anatomy::build(&p);
        apply(&mut normal, &[]).unwrap();
        for (segment, d, _) in segment_diameters(&normal) {
            println!("seed {seed}: normal {} {d:.1} mm", segment.name());
            assert!(
                d <= segment.cutoffs()[0] - NORMAL_MARGIN_MM + 1e-9,
                "seed {seed}"
            );
            assert!(d >= 18.0, "seed {seed}: {} {d:.1} mm", segment.name());
        }
        for (segment, want) in [
            (AorticSegment::Ascending, 52.0),
            (AorticSegment::Descending, 36.0),
        ] {
            let mut m = phantom::anatomy::build(&p);
            apply(&mut m, &[dilation(segment, want)]).unwrap();
            for (s, d, _) in segment_diameters(&m) {
                println!(
                    "seed {seed}: {} dilated: {} {d:.1} mm",
                    segment.name(),
                    s.name()
                );
                if s == segment {
                    assert!((d - want).abs() <= 1.0, "seed {seed}: {d:.1} vs {want}");
                } else {
                    assert!(
                        d < s.cutoffs()[0],
                        "seed {seed}: {} spilled to {d:.1}",
                        s.name()
                    );
                }
            }
        }
    }
    let p = phantom::PhantomParams::from_seed(2);
    let mut m = phantom::anatomy::build(&p);
    let two = [
        dilation(AorticSegment::Ascending, 45.0),
        dilation(AorticSegment::Descending, 35.0),
    ];
    assert!(apply(&mut m, &two).is_err());
    assert!(apply(&mut m, &[dilation(AorticSegment::Descending, 20.0)]).is_err());
}
