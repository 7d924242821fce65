//! `airad.liver` (F32) against the phantom's ground truth (a fatty liver
//! of known HU, and a normal liver whose drawn HU the truth states in
//! `exam_measurements`), and on the real Lung-PET-CT-Dx scans
//! (plausibility: an adult liver reads 30-80 HU unenhanced).

use crate::support;

use aisu::{ExamContext, FindingsDocument};
use imaging_io::NoProgress;
use support::{exam, run_units};

/// The units the liver unit needs, then the liver unit.
const UNITS: [&str; 6] = [
    "airad.body",
    "airad.airways",
    "airad.lungs",
    "airad.heart",
    "airad.abdomen",
    "airad.liver",
];

/// Tolerance on liver HU, HU (the unit's target).
const TOL_HU: f64 = 10.0;

/// An exam measurement of F32 by name.
fn exam_value(doc: &FindingsDocument, name: &str) -> Option<f64> {
    doc.exam_measurements
        .iter()
        .find(|m| m.code == "F32" && m.name == name)
        .map(|m| m.value)
}

/// A phantom with `lesion` ("F32") or normal, analysed; (truth, result).
fn case(seed: u64, steatosis: bool) -> (FindingsDocument, FindingsDocument) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.matrix = 192;
    p.slice_mm = 2.5;
    p.normal = !steatosis;
    p.lesions = if steatosis {
        vec![phantom::lesions::spec_for_code("F32").unwrap()]
    } else {
        Vec::new()
    };
    let ph = phantom::generate(&p, &NoProgress).expect("phantom");
    let t0 = std::time::Instant::now();
    let (doc, outcome) = run_units(&ph.ct, exam(p.slice_mm, ExamContext::Unknown), &UNITS);
    for r in &outcome.reports {
        println!(
            "seed {seed}: {} {:?} {:.2} s {:?}",
            r.id, r.status, r.wall_s, r.reason
        );
    }
    println!("seed {seed}: pathway {:.1} s", t0.elapsed().as_secs_f64());
    (ph.truth, doc)
}

fn print(doc: &FindingsDocument, what: &str) {
    for f in doc.findings.iter().filter(|f| f.code == "F32") {
        println!(
            "  {what} F32 liver_hu {:?} liver_minus_spleen {:?} {:?} at {:?}",
            f.measurement("liver_hu"),
            f.measurement("liver_minus_spleen"),
            f.category.as_ref().map(|c| c.value.clone()),
            f.centroid_lps_mm
        );
    }
    for m in doc.exam_measurements.iter().filter(|m| m.code == "F32") {
        println!("  {what} exam {} {}", m.name, m.value);
    }
    for n in doc.not_assessed.iter().filter(|n| n.code == "F32") {
        println!("  {what} not assessed: {}", n.reason);
    }
}

#[test]
fn fatty_liver_matches_truth() {
    let mut errors = Vec::new();
    for seed in [3, 11] {
        let (truth, doc) = case(seed, true);
        print(&truth, "truth");
        print(&doc, "found");
        let t = truth
            .findings
            .iter()
            .find(|f| f.code == "F32")
            .expect("truth F32");
        let want = t.measurement("liver_hu").unwrap();
        let f = doc
            .findings
            .iter()
            .find(|f| f.code == "F32")
            .unwrap_or_else(|| panic!("seed {seed}: fatty liver ({want} HU) not reported"));
        let got = f.measurement("liver_hu").unwrap();
        errors.push((got - want).abs());
        assert!(
            (got - want).abs() <= TOL_HU,
            "seed {seed}: liver {got} HU vs truth {want} HU"
        );
        // The grade agrees unless the value sits at a cut-off.
        let tc = t.category.as_ref().unwrap().value.clone();
        let fc = f.category.as_ref().unwrap().value.clone();
        let near = (want - 40.0).abs() < 3.0 || (want - 48.0).abs() < 3.0;
        assert!(near || tc == fc, "seed {seed}: grade {fc} vs truth {tc}");
        // The spleen is in view on the phantom: the difference is stated.
        if let (Some(tw), Some(fw)) = (
            t.measurement("liver_minus_spleen"),
            f.measurement("liver_minus_spleen"),
        ) {
            assert!(
                (tw - fw).abs() <= 2.0 * TOL_HU,
                "seed {seed}: liver-spleen {fw} vs truth {tw}"
            );
        }
    }
    println!("liver HU errors {errors:?}");
}

#[test]
fn normal_liver_is_not_reported() {
    for seed in [5, 8] {
        let (truth, doc) = case(seed, false);
        print(&truth, "truth");
        print(&doc, "found");
        assert!(
            doc.findings.iter().all(|f| f.code != "F32"),
            "seed {seed}: steatosis reported on a normal liver"
        );
        let want = exam_value(&truth, "liver_hu").unwrap();
        let got = exam_value(&doc, "liver_hu").expect("normal liver HU measured");
        assert!(
            (got - want).abs() <= TOL_HU,
            "seed {seed}: normal liver {got} HU vs truth {want} HU"
        );
    }
}

/// A scan that stops above the diaphragm: the liver is not in view, so
/// F32 is not assessed, with the reason, and nothing is measured.
#[test]
fn liver_out_of_view_is_not_assessed() {
    let mut p = phantom::PhantomParams::from_seed(6);
    p.matrix = 160;
    p.slice_mm = 5.0;
    p.normal = true;
    p.z_extent_mm = Some(120.0);
    let ph = phantom::generate(&p, &NoProgress).expect("phantom");
    let (doc, _) = run_units(&ph.ct, exam(p.slice_mm, ExamContext::Unknown), &UNITS);
    print(&doc, "upper chest");
    assert!(doc.findings.iter().all(|f| f.code != "F32"));
    assert!(exam_value(&doc, "liver_hu").is_none());
    let reason = doc
        .not_assessed
        .iter()
        .find(|n| n.code == "F32")
        .map(|n| n.reason.clone())
        .expect("F32 not assessed");
    assert!(reason.contains("field of view"), "{reason}");
}

fn real(case: &str) {
    let Some((doc, _)) = support::run_real(case, &UNITS) else {
        return;
    };
    print(&doc, case);
    let value = doc
        .findings
        .iter()
        .find(|f| f.code == "F32")
        .and_then(|f| f.measurement("liver_hu"))
        .or_else(|| exam_value(&doc, "liver_hu"));
    match value {
        Some(v) => assert!(
            (30.0..=80.0).contains(&v),
            "{case}: implausible unenhanced liver attenuation {v} HU"
        ),
        None => assert!(
            doc.not_assessed.iter().any(|n| n.code == "F32"),
            "{case}: neither a liver value nor a reason"
        ),
    }
}

#[test]
fn real_scans_are_plausible() {
    real("A0001");
    real("A0002");
}
