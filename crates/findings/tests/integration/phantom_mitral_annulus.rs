//! Mitral annular calcification (F39, unit `airad.calcium`) against the
//! phantom's ground truth: drawn MAC is found with its grade (present or
//! extensive, by the calcified arc) and a volume near the truth; coronary
//! calcium alone and normal hearts give none; on the real Lung-PET-CT-Dx
//! scans whatever is reported is plausible. Neither MAC nor coronary
//! calcium nor a normal heart is reported as aortic valve calcium (F20,
//! the same unit): asserted here on these phantoms rather than on copies
//! of them in the valve test.

use crate::support;

use aisu::{Finding, FindingsDocument};
use imaging_io::NoProgress;
use phantom::lesions::LesionSpec;
use phantom::lesions::coronary_calcium::CoronaryCalciumSpec;
use phantom::lesions::mitral_annular_calcium::MitralAnnularCalciumSpec;

/// The units the calcium unit needs, then the unit.
const UNITS: [&str; 8] = [
    "airad.body",
    "airad.airways",
    "airad.bronchi",
    "airad.lungs",
    "airad.aorta",
    "airad.great-vessels",
    "airad.heart",
    "airad.calcium",
];

/// Largest relative error of the calcium volume (beads of 2-5 mm at
/// about 1.5 mm pixels).
const VOLUME_TOL: f64 = 0.6;

/// A phantom with `lesions` (normal when empty), analysed; (truth,
/// result).
fn case(
    seed: u64,
    slice_mm: f64,
    lesions: Vec<LesionSpec>,
) -> (FindingsDocument, FindingsDocument) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.matrix = 256;
    p.slice_mm = slice_mm;
    p.normal = lesions.is_empty();
    p.lesions = lesions;
    let ph = phantom::generate(&p, &NoProgress).expect("phantom");
    let doc = support::run_phantom(&ph, &UNITS, "F39");
    for f in ph.truth.findings.iter().chain(&doc.findings) {
        if f.code == "F39" {
            println!(
                "  F39 {:?} {:?} arc {:?}",
                f.measurement("calcium_volume"),
                f.category.as_ref().map(|c| &c.value),
                f.extra.get("arc_deg")
            );
        }
    }
    (ph.truth, doc)
}

fn f39(doc: &FindingsDocument) -> Option<&Finding> {
    doc.findings.iter().find(|f| f.code == "F39")
}

fn mac(extensive: bool) -> LesionSpec {
    LesionSpec::MitralAnnularCalcium(MitralAnnularCalciumSpec {
        extensive: Some(extensive),
    })
}

#[test]
fn mac_is_found_and_graded_by_its_arc() {
    for (seed, slice, extensive) in [(41, 1.25, false), (42, 2.5, true), (43, 1.25, true)] {
        let (truth, doc) = case(seed, slice, vec![mac(extensive)]);
        support::assert_not_reported(&doc, "F20", "valve calcium", seed);
        let want = f39(&truth).expect("truth F39");
        let got = f39(&doc).unwrap_or_else(|| panic!("seed {seed}: MAC not found"));
        let (v_want, v_got) = (
            want.measurement("calcium_volume").unwrap(),
            got.measurement("calcium_volume").unwrap(),
        );
        assert!(
            (v_got - v_want).abs() <= VOLUME_TOL * v_want,
            "seed {seed}: volume {v_got} vs truth {v_want} mm3"
        );
        let g = |f: &Finding| f.category.as_ref().unwrap().value.clone();
        assert_eq!(g(got), g(want), "seed {seed}: grade");
    }
}

#[test]
fn coronary_calcium_and_normal_hearts_give_no_mac() {
    let coronary = LesionSpec::CoronaryCalcium(CoronaryCalciumSpec {
        lookalikes: Some(false),
        ..Default::default()
    });
    for (seed, slice, lesions) in [
        (44, 1.25, vec![coronary.clone()]),
        (45, 2.5, vec![coronary]),
        (46, 2.5, vec![]),
    ] {
        let (_, doc) = case(seed, slice, lesions);
        support::assert_not_reported(&doc, "F20", "valve calcium", seed);
        support::assert_not_reported(&doc, "F39", "MAC", seed);
    }
}

#[test]
fn real_scans_are_plausible() {
    support::real_scans_plausible(&UNITS, "F39", "calcium_volume", 1.0..5000.0);
}
