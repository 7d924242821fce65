//! Shared by the finding tests: phantoms, running the anatomy units and a
//! finding unit through the pathway, the real scans, and eval-style
//! matching.

#![allow(dead_code)]

use std::sync::Arc;

use aisu::{ExamContext, ExamInfo, Finding, FindingsDocument, StudyInfo};
use pathway::{PathwaySpec, Plan, Registry, RunOutcome, Silent, UnitSpec};
use volume::Volume;

/// Units the nodule unit needs, then the nodule unit.
pub const UNITS: [&str; 6] = [
    "airad.body",
    "airad.airways",
    "airad.bronchi",
    "airad.lungs",
    "airad.lobes",
    "airad.nodules",
];

/// Runs the units above on a CT.
pub fn run(ct: &Volume<i16>, exam: ExamInfo) -> (FindingsDocument, RunOutcome) {
    run_units(ct, exam, &UNITS)
}

/// Runs the named units (every dependency listed) on a CT.
pub fn run_units(
    ct: &Volume<i16>,
    exam: ExamInfo,
    units: &[&str],
) -> (FindingsDocument, RunOutcome) {
    let mut registry = Registry::new();
    for unit in anatomy::units().into_iter().chain(findings::units()) {
        registry.register(unit).unwrap();
    }
    let spec = PathwaySpec {
        name: "nodules-test".into(),
        description: String::new(),
        threads: Some(2),
        units: units
            .iter()
            .map(|id| UnitSpec {
                id: id.to_string(),
                params: toml::Table::new(),
                timeout_s: None,
            })
            .collect(),
    };
    let plan = Plan::resolve(&spec, &registry).unwrap();
    let outcome = pathway::run(&plan, Arc::new(ct.clone()), Arc::new(exam.clone()), &Silent);
    let study = StudyInfo {
        slice_thickness_mm: exam.slice_thickness_mm,
        context: exam.context,
        ..Default::default()
    };
    let doc = pathway::merge(&outcome, ct.geometry(), study).document;
    (doc, outcome)
}

/// Runs `units` on the real scan `lung-pet-ct-dx/<case>` (exam info from
/// its DICOM: slice thickness, kVp, contrast agent), printing each unit's
/// status; `None` (with the reason printed) when the data is absent.
pub fn run_real(case: &str, units: &[&str]) -> Option<(FindingsDocument, RunOutcome)> {
    let dir = imaging_io::testing::real_data(&format!("lung-pet-ct-dx/{case}"))?;
    let image = imaging_io::read_image(
        &dir.join("ct"),
        &Default::default(),
        &imaging_io::NoProgress,
    )
    .unwrap();
    let mut e = exam(image.volume.spacing()[2], ExamContext::Unknown);
    e.kvp = image.meta.kvp;
    e.sex = image.meta.patient_sex.clone();
    e.contrast_agent = image.meta.contrast_agent.clone();
    println!(
        "{case}: kVp {:?}, contrast agent {:?}",
        image.meta.kvp, image.meta.contrast_agent
    );
    let (doc, outcome) = run_units(&image.volume, e, units);
    for r in &outcome.reports {
        println!(
            "{case} {} {:?} {:.2} s {:?}",
            r.id, r.status, r.wall_s, r.reason
        );
    }
    Some((doc, outcome))
}

/// Exam info of a phantom.
pub fn exam(slice_mm: f64, context: ExamContext) -> ExamInfo {
    ExamInfo {
        context,
        slice_thickness_mm: Some(slice_mm),
        age_years: Some(60.0),
        ..Default::default()
    }
}

/// Runs `units` on phantom `ph` (slice thickness from its parameters,
/// context unknown) and prints each unit's status and the truth and
/// found findings of `code`.
#[allow(dead_code)]
pub fn run_phantom(ph: &phantom::Phantom, units: &[&str], code: &str) -> FindingsDocument {
    let p = ph.params();
    let mut e = exam(p.slice_mm, aisu::ExamContext::Unknown);
    // The sex as the phantom's DICOM states it.
    e.sex = Some(p.sex.to_string().to_uppercase());
    let (doc, outcome) = run_units(&ph.ct, e, units);
    for r in &outcome.reports {
        println!(
            "seed {}: {} {:?} {:.2} s {:?}",
            p.seed, r.id, r.status, r.wall_s, r.reason
        );
    }
    for (what, d) in [("truth", &ph.truth), ("found", &doc)] {
        for f in d.findings.iter().filter(|f| f.code == code) {
            println!("  {what} {}", describe(f));
        }
    }
    doc
}

/// Distance between two LPS points, mm.
pub fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

// Not every test binary that includes this module matches findings.
#[allow(unused_imports)]
pub use aisu::matching::match_findings;

/// One line about a finding.
pub fn describe(f: &Finding) -> String {
    let m = |n: &str| {
        f.measurement(n)
            .map(|v| format!("{v:.1}"))
            .unwrap_or("-".into())
    };
    format!(
        "{} at [{:.0}, {:.0}, {:.0}] md {} long {} short {} solid {} vol {} hu {} {:?} {:?} assessable {}",
        f.code,
        f.centroid_lps_mm[0],
        f.centroid_lps_mm[1],
        f.centroid_lps_mm[2],
        m("mean_diameter"),
        m("long_axis"),
        m("short_axis"),
        m("solid_diameter"),
        m("volume"),
        m("mean_hu"),
        f.site.lobe,
        f.category.as_ref().map(|c| c.value.clone()),
        f.assessable
    )
}

/// Asserts that `doc` reports no `code` finding (`what`, for the
/// message) on the phantom of `seed`.
#[allow(dead_code)]
pub fn assert_not_reported(doc: &FindingsDocument, code: &str, what: &str, seed: u64) {
    let found = doc.findings.iter().find(|f| f.code == code);
    assert!(
        found.is_none(),
        "seed {seed}: {what} reported: {:?}",
        found.map(describe)
    );
}

/// Runs `units` on the real scans A0001 and A0002 (skipped with a note
/// when absent) and checks that a `code` finding, when reported, has a
/// `measurement` in `range`.
#[allow(dead_code)]
pub fn real_scans_plausible(
    units: &[&str],
    code: &str,
    measurement: &str,
    range: std::ops::Range<f64>,
) {
    for case in ["A0001", "A0002"] {
        let Some((doc, _)) = run_real(case, units) else {
            continue;
        };
        match doc.findings.iter().find(|f| f.code == code) {
            Some(f) => {
                let v = f.measurement(measurement).unwrap();
                println!("{case}: {} {measurement} {v}", describe(f));
                assert!(
                    range.contains(&v),
                    "{case}: implausible {code} {measurement} {v}"
                );
            }
            None => println!("{case}: no {code}"),
        }
    }
}
