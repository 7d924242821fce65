//! `airad.rib_fractures` (F28) against the phantom's ground truth: acute
//! displaced fractures drawn on named ribs are found at their place (the
//! evaluation's matching: same code, nearest centroid within 10 mm), on
//! the right side and rib, called displaced; few lines elsewhere; and on
//! the real Lung-PET-CT-Dx scans the unit either reads the ribs or says
//! why not, without a burst of findings.

use crate::support;

use aisu::{ExamContext, Finding, FindingsDocument};
use imaging_io::NoProgress;
use phantom::lesions::LesionSpec;
use phantom::lesions::rib_fracture::{RibFractureKind, RibFractureSpec};
use support::{describe, exam, match_findings, run_real, run_units};

/// The units the fracture unit needs, then the unit.
const UNITS: [&str; 6] = [
    "airad.body",
    "airad.airways",
    "airad.lungs",
    "airad.spine",
    "airad.ribs",
    "airad.rib_fractures",
];

/// Lines reported beyond the truth allowed per phantom (the unit's
/// false positives on the 12-phantom development set: 8 at the
/// committed threshold, most on one 40 HU sharp-kernel case).
const MAX_EXTRA: usize = 1;

fn fractures(doc: &FindingsDocument) -> Vec<&Finding> {
    doc.findings.iter().filter(|f| f.code == "F28").collect()
}

/// A phantom with displaced fractures of the lateral left 5th and right
/// 7th ribs, analysed: (truth, result).
fn case(seed: u64) -> (FindingsDocument, FindingsDocument) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.matrix = 384;
    p.slice_mm = 1.25;
    p.normal = false;
    p.lesions = [("left", 5), ("right", 7)]
        .into_iter()
        .map(|(side, rib)| {
            LesionSpec::RibFracture(RibFractureSpec {
                variant: Some(RibFractureKind::Displaced),
                side: Some(side.into()),
                rib: Some(rib),
                segment: Some("lateral".into()),
                displacement_mm: Some(5.0),
            })
        })
        .collect();
    let ph = phantom::generate(&p, &NoProgress).expect("phantom");
    let (doc, outcome) = run_units(&ph.ct, exam(p.slice_mm, ExamContext::Unknown), &UNITS);
    for r in &outcome.reports {
        println!("seed {seed}: {} {:?} {:?}", r.id, r.status, r.reason);
    }
    (ph.truth, doc)
}

#[test]
fn displaced_fractures_found_on_their_ribs() {
    for seed in [7u64] {
        let (truth, doc) = case(seed);
        let t = fractures(&truth);
        let found = fractures(&doc);
        for f in &t {
            println!("  truth {} {:?}", describe(f), f.site);
        }
        for f in &found {
            println!("  found {} {:?} {:?}", describe(f), f.site, f.morphology);
        }
        assert_eq!(t.len(), 2, "seed {seed}: the phantom drew both fractures");
        let pairs = match_findings(&doc.findings, &truth.findings);
        for tf in &t {
            let j = truth
                .findings
                .iter()
                .position(|x| std::ptr::eq(x, *tf))
                .unwrap();
            let Some(&(i, _)) = pairs.iter().find(|(_, jj)| *jj == j) else {
                panic!("seed {seed}: fracture {:?} not found", tf.site);
            };
            let p = &doc.findings[i];
            assert_eq!(p.site.side, tf.site.side, "seed {seed}: side");
            assert_eq!(p.site.rib, tf.site.rib, "seed {seed}: rib number");
            assert!(
                p.morphology.iter().any(|m| m == "displaced"),
                "seed {seed}: a 5 mm step is displaced: {:?} {:?}",
                p.morphology,
                p.measurement("displacement")
            );
        }
        assert!(
            found.len() <= t.len() + MAX_EXTRA,
            "seed {seed}: {} lines for {} fractures",
            found.len(),
            t.len()
        );
    }
}

#[test]
fn real_scans_read_or_explained() {
    for case in ["A0001", "A0002"] {
        let Some((doc, _)) = run_real(case, &UNITS) else {
            println!("skipped: real data absent (../shared/data or AIRAD_REAL_DATA)");
            return;
        };
        let found = fractures(&doc);
        for f in &found {
            println!("{case}: {} {:?} {:?}", describe(f), f.site, f.morphology);
        }
        let reasons: Vec<&str> = doc
            .not_assessed
            .iter()
            .filter(|n| n.code == "F28")
            .map(|n| n.reason.as_str())
            .collect();
        println!("{case}: not assessed: {reasons:?}");
        // No fracture is known on these scans; the developers' reading of
        // the key images is in docs/performance.md.
        assert!(found.len() <= 2, "{case}: {} rib fractures", found.len());
        for f in &found {
            assert!(
                f.site.rib.is_some() && f.site.side.is_some(),
                "{case}: unplaced"
            );
        }
        // Both scans have 5 mm or thicker slices: hairline fractures are
        // not excluded there (or nothing is read), and the document says so.
        assert!(!reasons.is_empty(), "{case}: thick slices not stated");
    }
}
