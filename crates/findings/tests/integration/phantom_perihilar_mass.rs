//! `airad.nodules` on perihilar masses: a central lung cancer against the
//! mediastinum or hilum, which a mask of aerated lung leaves out and the
//! lung wraps round (Lung-PET-CT-Dx A0002's kind). Each must be reported
//! as a mass at its place (eval's matching) with its size.

use crate::support;

use aisu::ExamContext;
use phantom::lesions::LesionSpec;
use phantom::lesions::mass::{MassSpec, MassVariant};
use support::{describe, exam, match_findings, run};

#[test]
fn perihilar_masses_are_found_and_measured() {
    let (mut found, mut wanted, mut false_positives) = (0, 0, 0);
    let mut errors = Vec::new();
    for seed in [31, 32, 33, 34] {
        let mut p = phantom::PhantomParams::from_seed(seed);
        p.normal = false;
        p.matrix = 256;
        p.slice_mm = 2.5;
        p.lesions = vec![LesionSpec::Mass(MassSpec {
            variant: Some(MassVariant::Perihilar),
            ..Default::default()
        })];
        let ph = phantom::generate(&p, &imaging_io::NoProgress).unwrap();
        let (doc, _) = run(&ph.ct, exam(p.slice_mm, ExamContext::Unknown));
        let pick = |d: &aisu::FindingsDocument| -> Vec<aisu::Finding> {
            d.findings
                .iter()
                .filter(|f| ["F01", "F02", "F03"].contains(&f.code.as_str()))
                .cloned()
                .collect()
        };
        let (predicted, truth) = (pick(&doc), pick(&ph.truth));
        for t in &truth {
            println!("seed {seed} truth {}", describe(t));
        }
        for f in &predicted {
            println!("seed {seed} found {}", describe(f));
        }
        let pairs = match_findings(&predicted, &truth);
        for (j, t) in truth.iter().enumerate() {
            if !t.assessable {
                continue;
            }
            wanted += 1;
            if let Some((i, _)) = pairs.iter().find(|(_, tj)| *tj == j) {
                found += 1;
                let long = |f: &aisu::Finding| f.measurement("long_axis").unwrap_or(0.0);
                errors.push((long(&predicted[*i]) - long(t)) / long(t));
            }
        }
        // Masses reported where there is none (the small-nodule false
        // positives are phantom_nodules.rs's business).
        false_positives += (0..predicted.len())
            .filter(|&i| predicted[i].code == "F03" && !pairs.iter().any(|(pi, _)| *pi == i))
            .count();
    }
    println!(
        "perihilar masses: found {found}/{wanted}, false positives {false_positives}, long-axis errors {errors:.2?}"
    );
    assert_eq!(wanted, 4, "every perihilar mass is assessable");
    assert!(found >= 3, "found {found} of {wanted} perihilar masses");
    // A large mass whose broad mediastinal contact parts its pieces by
    // more than MASS_PIECE_GAP_MM is measured by its larger piece
    // (seed 33: 42 of 77 mm); the others within 25 %, none overstated.
    let close = errors.iter().filter(|e| e.abs() <= 0.25).count();
    assert!(
        close >= 3,
        "long axis within 25 % for {close}: {errors:.2?}"
    );
    assert!(
        errors.iter().all(|e| *e <= 0.25),
        "no mass overstated: {errors:.2?}"
    );
    // Other masses reported: fat and hilar vessels the lung mask or the
    // wrap-round search took in (issue 5 notes).
    assert!(false_positives <= 6, "{false_positives} false masses");
}
