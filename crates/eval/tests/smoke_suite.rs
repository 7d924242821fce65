//! The smoke evaluation CI runs: a two-case phantom suite (one normal, one
//! with findings, 256 x 256 matrix to keep it quick) generated, analysed
//! by the built-in pathway and scored end to end, exactly as
//! `airad eval --suite` does on the full 20-case suite (the benchmark in
//! docs/performance.md).

use imaging_io::NoProgress;

#[test]
fn two_case_suite_is_scored_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut normal = phantom::PhantomParams::from_seed(101);
    normal.normal = true;
    let mut abnormal = phantom::PhantomParams::from_seed(102);
    abnormal.normal = false;
    abnormal.lesions = phantom::lesions::spec_for_code("F01").into_iter().collect();
    for p in [&mut normal, &mut abnormal] {
        p.matrix = 256;
        p.slice_mm = 2.5;
    }
    phantom::output::write_suite(7, vec![normal, abnormal], dir.path(), &NoProgress).unwrap();

    let options = eval::EvalOptions {
        suite: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let report = eval::run_eval(&options, &NoProgress).unwrap();
    assert_eq!(report.cases.len(), 2);
    assert_eq!(report.cases.iter().filter(|c| c.normal).count(), 1);
    assert_eq!(report.normal_flags.0, 1, "one normal phantom scored");

    for case in &report.cases {
        let dice = |name: &str| {
            case.anatomy
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.dice)
                .unwrap_or(0.0)
        };
        for s in &case.anatomy {
            println!(
                "{} {}: Dice {:.3}, ASSD {:?} mm",
                case.name, s.name, s.dice, s.assd_mm
            );
        }
        // The smoke run checks the whole chain, not the final targets
        // (Dice >= 0.95 on the 20-case suite at 512 x 512): lungs found on
        // the right grid and side.
        assert!(dice("lung_right") > 0.9, "{}: right lung", case.name);
        assert!(dice("lung_left") > 0.9, "{}: left lung", case.name);
        assert!(case.wall_s > 0.0 && !case.unit_seconds.is_empty());
    }
    // The inserted nodule is counted as a truth positive of F01 (found or
    // missed), so the finding score covers the case.
    let f01 = report
        .findings
        .iter()
        .find(|c| c.code == "F01")
        .expect("F01 scored");
    assert!(f01.sensitivity.total >= 1, "{f01:?}");

    let text = eval::markdown(&report, "airad eval --suite SMOKE");
    assert!(text.contains("lung_right"), "{text}");
    assert!(text.contains("F01"), "{text}");
}
