//! `airad.bone_density` (F30) against the phantom's ground truth: per
//! level trabecular HU of a spine with lowered density (the truth's
//! `trabecular_hu_by_level`) and of a normal spine (the truth's
//! `exam_measurements`), and on the real Lung-PET-CT-Dx scans
//! (plausibility: thoracic trabecular bone 100-300 HU in adults).

use crate::support;

use std::collections::BTreeMap;

use aisu::{ExamContext, FindingsDocument};
use imaging_io::NoProgress;
use support::{exam, run_units};

/// The units the bone density unit needs, then the unit.
const UNITS: [&str; 5] = [
    "airad.body",
    "airad.airways",
    "airad.lungs",
    "airad.spine",
    "airad.bone_density",
];

/// Tolerance on the mean per-level error, HU (the unit's target).
const TOL_HU: f64 = 10.0;

/// Tolerance on any one level, HU. The phantom draws trabecular texture
/// of 35-60 HU SD over the stated value, so even its own small ROIs read
/// 10-20 HU off the truth at the upper thoracic levels (checked: the CT
/// median inside the phantom's ROIs of seed 2 is 65-104 HU for a stated
/// 83-97 HU).
const LEVEL_TOL_HU: f64 = 25.0;

/// Per-level trabecular HU of a document: from an F30 finding's
/// `trabecular_hu_by_level`, else from `exam_measurements`.
fn levels(doc: &FindingsDocument) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for f in doc.findings.iter().filter(|f| f.code == "F30") {
        if let Some(serde_json::Value::Object(m)) = f.extra.get("trabecular_hu_by_level") {
            for (k, v) in m {
                if let Some(v) = v.as_f64() {
                    out.insert(k.clone(), v);
                }
            }
        }
    }
    for m in doc
        .exam_measurements
        .iter()
        .filter(|m| m.code == "F30" && m.name == "trabecular_hu")
    {
        if let Some(l) = m.site.as_ref().and_then(|s| s.vertebra.clone()) {
            out.insert(l, m.value);
        }
    }
    out
}

/// A phantom with low bone density or normal, analysed; (truth, result).
fn case(seed: u64, low: bool) -> (FindingsDocument, FindingsDocument) {
    case_kv(seed, low, 120.0)
}

/// [`case`] at tube voltage `kv`.
fn case_kv(seed: u64, low: bool, kv: f64) -> (FindingsDocument, FindingsDocument) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.kvp = kv;
    p.matrix = 256;
    p.slice_mm = 2.5;
    // Down to L1, usually just below the default range.
    p.z_extent_mm = Some(400.0);
    p.normal = !low;
    p.lesions = if low {
        vec![phantom::lesions::spec_for_code("F30").unwrap()]
    } else {
        Vec::new()
    };
    let ph = phantom::generate(&p, &NoProgress).expect("phantom");
    let mut e = exam(p.slice_mm, ExamContext::Unknown);
    e.kvp = Some(p.kvp);
    let (doc, outcome) = run_units(&ph.ct, e, &UNITS);
    for r in &outcome.reports {
        println!(
            "seed {seed}: {} {:?} {:.2} s {:?}",
            r.id, r.status, r.wall_s, r.reason
        );
    }
    (ph.truth, doc)
}

fn print(doc: &FindingsDocument, what: &str) {
    for f in doc.findings.iter().filter(|f| f.code == "F30") {
        println!(
            "  {what} F30 {:?} trabecular_hu {:?} {:?} assessable {}",
            f.site.vertebra,
            f.measurement("trabecular_hu"),
            f.category.as_ref().map(|c| c.value.clone()),
            f.assessable
        );
    }
    for n in doc.not_assessed.iter().filter(|n| n.code == "F30") {
        println!("  {what} not assessed: {}", n.reason);
    }
    println!("  {what} levels {:?}", levels(doc));
}

/// Compares per-level values; returns the errors.
fn compare(seed: u64, truth: &FindingsDocument, doc: &FindingsDocument) -> Vec<f64> {
    let t = levels(truth);
    let f = levels(doc);
    let mut errors = Vec::new();
    for (level, want) in &t {
        if let Some(got) = f.get(level) {
            errors.push((got - want).abs());
            assert!(
                (got - want).abs() <= LEVEL_TOL_HU,
                "seed {seed} {level}: {got} HU vs truth {want} HU"
            );
        }
    }
    assert!(
        errors.len() * 2 >= t.len().min(13),
        "seed {seed}: only {} of {} levels measured",
        errors.len(),
        t.len()
    );
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    println!(
        "seed {seed}: {} levels, mean error {mean:.1} HU",
        errors.len()
    );
    assert!(
        mean <= TOL_HU,
        "seed {seed}: mean per-level error {mean:.1} HU"
    );
    errors
}

#[test]
fn low_density_matches_truth() {
    let mut all = Vec::new();
    for seed in [2, 7] {
        let (truth, doc) = case(seed, true);
        print(&truth, "truth");
        print(&doc, "found");
        all.extend(compare(seed, &truth, &doc));
        let t = truth.findings.iter().find(|f| f.code == "F30").unwrap();
        if t.site.vertebra.as_deref() == Some("L1") {
            let f = doc
                .findings
                .iter()
                .find(|f| f.code == "F30")
                .unwrap_or_else(|| panic!("seed {seed}: low L1 density not reported"));
            let want = t.measurement("trabecular_hu").unwrap();
            let got = f.measurement("trabecular_hu").unwrap();
            println!("seed {seed}: L1 {got} HU vs truth {want} HU");
            assert!(
                (got - want).abs() <= LEVEL_TOL_HU,
                "seed {seed}: L1 {got} vs {want}"
            );
            let tc = t.category.as_ref().map(|c| c.value.clone());
            let fc = f.category.as_ref().map(|c| c.value.clone());
            assert!(
                (want - 110.0).abs() < 5.0 || tc == fc,
                "seed {seed}: {fc:?} vs truth {tc:?}"
            );
        } else {
            println!("seed {seed}: L1 not in the phantom's range");
        }
    }
    let mean = all.iter().sum::<f64>() / all.len().max(1) as f64;
    let max = all.iter().copied().fold(0.0, f64::max);
    println!(
        "per-level errors: n {} mean {mean:.1} max {max:.1} HU",
        all.len()
    );
}

#[test]
fn normal_spine_is_not_reported() {
    let (truth, doc) = case(4, false);
    print(&truth, "truth");
    print(&doc, "found");
    assert!(
        doc.findings.iter().all(|f| f.code != "F30"),
        "low bone density reported on a normal spine"
    );
    let errors = compare(4, &truth, &doc);
    println!("per-level errors {errors:?}");
}

/// At 100 kV the L1 cut-offs do not hold: low density is reported
/// without a category, not assessable, and F30 is listed as not assessed
/// with the voltage.
#[test]
fn other_tube_voltage_has_no_category() {
    let (truth, doc) = case_kv(7, true, 100.0);
    print(&truth, "truth");
    print(&doc, "found");
    if let Some(f) = doc.findings.iter().find(|f| f.code == "F30") {
        assert!(f.category.is_none(), "a category at 100 kV");
        assert!(!f.assessable);
    }
    let reason = doc
        .not_assessed
        .iter()
        .find(|n| n.code == "F30")
        .map(|n| n.reason.clone())
        .expect("F30 not assessed at 100 kV");
    assert!(reason.contains("kV"), "{reason}");
}

fn real(case: &str) {
    let Some((doc, _)) = support::run_real(case, &UNITS) else {
        return;
    };
    print(&doc, case);
    let v = levels(&doc);
    assert!(!v.is_empty(), "{case}: no level measured");
    for (level, hu) in &v {
        assert!(
            (80.0..=350.0).contains(hu),
            "{case} {level}: implausible trabecular attenuation {hu} HU"
        );
    }
}

#[test]
fn real_scans_are_plausible() {
    real("A0001");
    real("A0002");
}
