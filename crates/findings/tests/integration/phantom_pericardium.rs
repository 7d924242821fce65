//! `airad.pericardium` (F18) against the phantom's ground truth: drawn
//! pericardial effusions are found with their thickness, volume and
//! attenuation; normal hearts, at thin and thick slices, give none; on
//! the real Lung-PET-CT-Dx scans whatever is reported is plausible.

use crate::support;

use aisu::{ExamContext, FindingsDocument};
use imaging_io::NoProgress;
use phantom::lesions::LesionSpec;
use phantom::lesions::pericardial_effusion::PericardialEffusionSpec;
use support::{exam, run_units};

/// The units the pericardium unit needs, then the unit.
const UNITS: [&str; 8] = [
    "airad.body",
    "airad.airways",
    "airad.lungs",
    "airad.aorta",
    "airad.great-vessels",
    "airad.esophagus",
    "airad.heart",
    "airad.pericardium",
];

/// A phantom (an effusion of `thickness` mm and `hu`, or normal),
/// analysed; (truth, result).
fn case(
    seed: u64,
    slice_mm: f64,
    effusion: Option<(f64, f64)>,
) -> (FindingsDocument, FindingsDocument) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    // The suite's matrix: at about 2 mm pixels (matrix 192) a thin fat
    // line and the pericardium blur into a fluid-like band.
    p.matrix = 256;
    p.slice_mm = slice_mm;
    p.normal = effusion.is_none();
    p.lesions = effusion
        .map(|(t, hu)| {
            vec![LesionSpec::PericardialEffusion(PericardialEffusionSpec {
                thickness_mm: Some(t),
                hu: Some(hu),
            })]
        })
        .unwrap_or_default();
    let ph = phantom::generate(&p, &NoProgress).expect("phantom");
    let (doc, outcome) = run_units(&ph.ct, exam(p.slice_mm, ExamContext::Unknown), &UNITS);
    for r in &outcome.reports {
        println!(
            "seed {seed}: {} {:?} {:.2} s {:?}",
            r.id, r.status, r.wall_s, r.reason
        );
    }
    for (what, d) in [("truth", &ph.truth), ("found", &doc)] {
        for f in d.findings.iter().filter(|f| f.code == "F18") {
            println!(
                "  {what} F18 {:?} {:?}",
                f.measurements
                    .iter()
                    .map(|m| (m.name.as_str(), m.value))
                    .collect::<Vec<_>>(),
                f.category.as_ref().map(|c| c.value.as_str())
            );
        }
    }
    (ph.truth, doc)
}

fn measured(doc: &FindingsDocument, name: &str) -> f64 {
    doc.findings
        .iter()
        .find(|f| f.code == "F18")
        .and_then(|f| f.measurement(name))
        .unwrap_or_else(|| panic!("no F18 {name}"))
}

/// Measured against the truth, the layer's thickness is read low where
/// the thickest fluid lies under the heart (below the slices the profiles
/// run on) and its volume misses the thinnest parts: the bounds say so.
#[test]
fn effusions_are_found_and_measured() {
    for (seed, slice_mm, thickness, hu) in [
        (24u64, 1.25, 14.0, 10.0),
        (4, 2.5, 12.0, 18.0),
        (23, 5.0, 18.0, 48.0),
    ] {
        let (truth, doc) = case(seed, slice_mm, Some((thickness, hu)));
        let f = doc
            .findings
            .iter()
            .find(|f| f.code == "F18")
            .unwrap_or_else(|| panic!("seed {seed}: the {thickness} mm effusion was not found"));
        let (t, v) = (
            measured(&truth, "max_thickness"),
            measured(&truth, "volume"),
        );
        let (got_t, got_v) = (measured(&doc, "max_thickness"), measured(&doc, "volume"));
        let got_hu = measured(&doc, "mean_hu");
        println!("seed {seed}: thickness {got_t} vs {t}, volume {got_v} vs {v}, {got_hu} HU");
        assert!(
            got_t >= 0.5 * t && got_t <= 1.2 * t,
            "seed {seed}: {got_t} vs {t} mm"
        );
        // A layer as dense as the heart is read only where the fat line
        // separates it (it is not grown at its half level with the heart).
        let low = if hu > 30.0 { 0.15 } else { 0.3 };
        assert!(
            got_v >= low * v && got_v <= 1.3 * v,
            "seed {seed}: {got_v} vs {v} ml"
        );
        let haemo = f.extra.contains_key("possible_haemopericardium");
        if hu > 30.0 {
            assert!(
                haemo,
                "seed {seed}: {hu} HU fluid not flagged ({got_hu} HU)"
            );
        } else {
            assert!(!haemo, "seed {seed}: {hu} HU fluid flagged");
            assert!(
                (got_hu - hu).abs() <= 12.0,
                "seed {seed}: {got_hu} vs {hu} HU"
            );
        }
    }
}

#[test]
fn normal_hearts_have_no_effusion() {
    for (seed, slice_mm) in [(5u64, 2.5), (8, 5.0), (9, 1.25)] {
        let (_, doc) = case(seed, slice_mm, None);
        assert!(
            doc.findings.iter().all(|f| f.code != "F18"),
            "seed {seed}: an effusion reported on a normal heart"
        );
    }
}

fn real(case: &str) {
    let Some((doc, _)) = support::run_real(case, &UNITS) else {
        return;
    };
    for f in doc.findings.iter().filter(|f| f.code == "F18") {
        let t = f.measurement("max_thickness").unwrap();
        println!("{case}: F18 {:?}", f.measurements);
        assert!((4.0..=60.0).contains(&t), "{case}: implausible {t} mm");
    }
}

#[test]
fn real_scans_are_plausible() {
    real("A0001");
    real("A0002");
}
