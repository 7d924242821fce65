//! `airad.vertebral_fracture` (F29) against the phantom's ground truth:
//! the fractured level, its Genant grade and height loss (the truth's
//! `height_loss_percent`, from the shape it drew), no fracture on normal
//! spines, and the body heights of the real Lung-PET-CT-Dx scans
//! (plausibility: adult T1-L2 bodies 14-32 mm high).

use crate::support;

use aisu::{Artefact, ArtefactName, ExamContext, Finding, FindingsDocument, Landmarks};
use imaging_io::NoProgress;
use support::{exam, run_real, run_units};
use volume::Volume;

/// The units the fracture unit needs, then the unit.
const UNITS: [&str; 5] = [
    "airad.body",
    "airad.airways",
    "airad.lungs",
    "airad.spine",
    "airad.vertebral_fracture",
];

/// Mean absolute height-loss error allowed, percentage points (issue 6
/// acceptance: Genant height-loss error <= 5 points).
const LOSS_TOL_POINTS: f64 = 5.0;

/// Any one fracture's height-loss error allowed, points: at most one
/// grade off (crush fractures read 5-8 points high: the crushed body
/// reads 1-2 mm lower than the truth's heights; seed 4).
const MAX_LOSS_ERROR_POINTS: f64 = 10.0;

/// A phantom with a compression fracture (or a normal one), analysed:
/// (truth, result, per-level heights the unit reads).
fn case(seed: u64, fracture: bool) -> (FindingsDocument, FindingsDocument, Vec<String>) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.matrix = 256;
    p.slice_mm = 2.5;
    // Down to L1, usually just below the default range.
    p.z_extent_mm = Some(400.0);
    p.normal = !fracture;
    p.lesions = if fracture {
        vec![phantom::lesions::spec_for_code("F29").unwrap()]
    } else {
        Vec::new()
    };
    let ph = phantom::generate(&p, &NoProgress).expect("phantom");
    let (doc, outcome) = run_units(&ph.ct, exam(p.slice_mm, ExamContext::Unknown), &UNITS);
    let heights = landmarks(&outcome.store)
        .map(|l| read_heights(&ph.ct, &l))
        .unwrap_or_default();
    (ph.truth, doc, heights)
}

fn landmarks(store: &aisu::ArtefactStore) -> Option<std::sync::Arc<Landmarks>> {
    let name = ArtefactName::parse("landmarks:vertebrae").ok()?;
    match store.present.get(&name)? {
        Artefact::Landmarks(l) => Some(l.clone()),
        _ => None,
    }
}

/// "T7 20.1/21.0/22.3" per level whose heights the unit reads.
fn read_heights(ct: &Volume<i16>, l: &Landmarks) -> Vec<String> {
    findings::vertebral_fracture::LEVELS
        .iter()
        .filter_map(|level| {
            let b = findings::vertebral_fracture::measure_body(ct, l, level)?;
            let [a, m, p] = b.heights;
            Some(format!("{level} {a:.1}/{m:.1}/{p:.1}"))
        })
        .collect()
}

fn f29(doc: &FindingsDocument) -> Vec<&Finding> {
    doc.findings.iter().filter(|f| f.code == "F29").collect()
}

fn show(f: &Finding) -> String {
    format!(
        "{:?} loss {:?} heights {:?}/{:?}/{:?} {:?} {:?}",
        f.site.vertebra,
        f.measurement("height_loss_percent"),
        f.measurement("anterior_height"),
        f.measurement("middle_height"),
        f.measurement("posterior_height"),
        f.category.as_ref().map(|c| c.value.clone()),
        f.morphology
    )
}

#[test]
fn fractures_found_at_their_level_with_their_height_loss() {
    let mut errors = Vec::new();
    for seed in [1, 2, 3, 4, 5, 6] {
        let (truth, doc, heights) = case(seed, true);
        println!("seed {seed} heights read: {}", heights.join(", "));
        let t = f29(&truth)[0];
        println!("seed {seed} truth: {} assessable {}", show(t), t.assessable);
        for f in f29(&doc) {
            println!("seed {seed} found: {}", show(f));
        }
        for n in doc.not_assessed.iter().filter(|n| n.code == "F29") {
            println!("seed {seed} not assessed: {}", n.reason);
        }
        let found = f29(&doc)
            .into_iter()
            .find(|f| f.site.vertebra == t.site.vertebra);
        let Some(found) = found else {
            errors.push((seed, f64::NAN));
            continue;
        };
        let want = t.measurement("height_loss_percent").unwrap();
        let got = found.measurement("height_loss_percent").unwrap();
        errors.push((seed, got - want));
    }
    println!("height-loss errors (found - truth, points): {errors:?}");
    for (seed, e) in &errors {
        assert!(
            !e.is_nan(),
            "seed {seed}: the fracture was not found at its level"
        );
        assert!(
            e.abs() <= MAX_LOSS_ERROR_POINTS,
            "seed {seed}: height loss off by {e:.1} points"
        );
    }
    let mean = errors.iter().map(|(_, e)| e.abs()).sum::<f64>() / errors.len() as f64;
    println!("mean absolute height-loss error {mean:.1} points");
    assert!(
        mean <= LOSS_TOL_POINTS,
        "mean height-loss error {mean:.1} points"
    );
}

#[test]
fn normal_spines_have_no_fracture() {
    for seed in [4, 8] {
        let (_, doc, heights) = case(seed, false);
        println!("seed {seed} heights read: {}", heights.join(", "));
        for f in f29(&doc) {
            println!("seed {seed} found: {}", show(f));
        }
        assert!(
            f29(&doc).is_empty(),
            "seed {seed}: a fracture reported on a normal spine"
        );
        assert!(
            heights.len() >= 10,
            "seed {seed}: heights read at only {} levels",
            heights.len()
        );
    }
}

/// On the real scans (adults with no fracture in their annotations, which
/// cover the tumours only): most levels in view are read, every height
/// lies in the adult range, and whatever is reported is printed for the
/// developers' reading in docs/performance.md.
#[test]
fn real_scans_heights_are_plausible() {
    for case in ["A0001", "A0002"] {
        let Some(dir) = imaging_io::testing::real_data(&format!("lung-pet-ct-dx/{case}")) else {
            continue;
        };
        let image =
            imaging_io::read_image(&dir.join("ct"), &Default::default(), &NoProgress).unwrap();
        let Some((doc, outcome)) = run_real(case, &UNITS) else {
            continue;
        };
        for f in f29(&doc) {
            println!("{case} found: {}", show(f));
        }
        for n in doc.not_assessed.iter().filter(|n| n.code == "F29") {
            println!("{case} not assessed: {}", n.reason);
        }
        let l = landmarks(&outcome.store).expect("vertebral landmarks");
        let heights = read_heights(&image.volume, &l);
        println!("{case} heights read: {}", heights.join(", "));
        let levels = findings::vertebral_fracture::LEVELS
            .iter()
            .filter(|n| l.contains_key(&format!("{n}_superior")))
            .count();
        let slice_mm = image.volume.spacing()[2];
        println!("{case}: {slice_mm} mm slices");
        assert!(
            slice_mm > 3.0 || heights.len() * 2 >= levels,
            "{case}: heights read at {} of {levels} levels",
            heights.len()
        );
        for level in findings::vertebral_fracture::LEVELS {
            if let Some(b) = findings::vertebral_fracture::measure_body(&image.volume, &l, level) {
                for h in b.heights {
                    assert!(
                        (8.0..=35.0).contains(&h),
                        "{case} {level}: height {h:.1} mm"
                    );
                }
            }
        }
    }
}

#[test]
#[ignore]
fn explore() {
    if let Ok(path) = std::env::var("CT") {
        let image = imaging_io::read_image(
            std::path::Path::new(&path),
            &Default::default(),
            &NoProgress,
        )
        .unwrap();
        let (_, outcome) = run_units(&image.volume, exam(1.0, ExamContext::Unknown), &UNITS);
        let l = landmarks(&outcome.store).unwrap();
        println!("{:?}", read_heights(&image.volume, &l));
        return;
    }
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let (_, _, heights) = case(seed, std::env::var("NORMAL").is_err());
    println!("{heights:?}");
}
