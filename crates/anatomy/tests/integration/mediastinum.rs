//! The mediastinum and upper-abdomen units (heart, aorta, great vessels,
//! oesophagus, liver, spleen, stomach): Dice against phantom labels, and
//! anatomical plausibility on the real Lung-PET-CT-Dx scans (volumes,
//! positions relative to each other, tumours not taken for the heart or
//! the aorta).

use crate::units;

use aisu::{Artefact, ArtefactName, Centreline, Landmarks, Mask};
use imaging_io::testing::real_data;
use imaging_io::{LoadedImage, NoProgress};
use pathway::RunOutcome;
use volume::Volume;

/// The units under test and their parents.
const UNITS: [&str; 8] = [
    "airad.body",
    "airad.airways",
    "airad.lungs",
    "airad.aorta",
    "airad.great-vessels",
    "airad.heart",
    "airad.esophagus",
    "airad.abdomen",
];

fn analyse(ct: &Volume<i16>) -> RunOutcome {
    units::analyse(ct, &UNITS)
}

fn artefact<'a>(outcome: &'a RunOutcome, name: &str) -> Option<&'a Artefact> {
    outcome
        .store
        .present
        .get(&ArtefactName::parse(name).unwrap())
}

fn mask<'a>(outcome: &'a RunOutcome, name: &str) -> Option<&'a Mask> {
    match artefact(outcome, name) {
        Some(Artefact::Mask(m)) => Some(m),
        _ => None,
    }
}

fn landmarks<'a>(outcome: &'a RunOutcome, name: &str) -> Option<&'a Landmarks> {
    match artefact(outcome, name) {
        Some(Artefact::Landmarks(l)) => Some(l),
        _ => None,
    }
}

fn centreline<'a>(outcome: &'a RunOutcome, name: &str) -> Option<&'a Centreline> {
    match artefact(outcome, name) {
        Some(Artefact::Centreline(c)) => Some(c),
        _ => None,
    }
}

fn values(outcome: &RunOutcome, name: &str) -> Option<serde_json::Value> {
    match artefact(outcome, name) {
        Some(Artefact::Values(v)) => Some((**v).clone()),
        _ => None,
    }
}

/// Dice of a mask against the phantom voxels whose label names are in `names`.
fn dice(m: &Mask, labels: &Volume<u16>, names: &[&str]) -> f64 {
    let wanted: Vec<u16> = (0..1000u16)
        .filter(|l| phantom::labels::anatomy_name(*l).is_some_and(|n| names.contains(&n.as_str())))
        .collect();
    let [nx, ny, _] = labels.dims();
    let data = labels.as_slice();
    let truth = data.iter().filter(|l| wanted.contains(l)).count();
    let mut both = 0usize;
    m.for_each(|x, y, z| both += usize::from(wanted.contains(&data[x + nx * (y + ny * z)])));
    2.0 * both as f64 / (truth + m.count()).max(1) as f64
}

fn phantom_case(seed: u64) -> (Volume<i16>, Volume<u16>) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.matrix = 256;
    p.slice_mm = 5.0;
    let ph = phantom::generate(&p, &NoProgress).unwrap();
    (ph.ct, ph.labels)
}

fn check_phantom(seed: u64) {
    let (ct, labels) = phantom_case(seed);
    let outcome = analyse(&ct);
    let score = |name: &str, truth: &[&str]| -> f64 {
        let d = mask(&outcome, &format!("mask:{name}")).map_or(0.0, |m| dice(m, &labels, truth));
        println!("phantom {seed}: dice {name} {d:.3}");
        d
    };
    // Every structure is scored and printed before anything is asserted.
    let heart = score("heart", &["heart"]);
    let aorta = score("aorta", &["aorta"]);
    let liver = score("liver", &["liver"]);
    // The sac holds the heart, the epicardial fat and the pericardium.
    let sac = score("pericardium", &["heart", "epicardial_fat", "pericardium"]);
    let pa = score("pulmonary_artery", &["pulmonary_artery"]);
    let esophagus = score("esophagus", &["esophagus"]);
    score("svc", &["svc"]);
    score("spleen", &["spleen"]);
    score("stomach", &["stomach"]);
    // The targets (heart, aorta, liver >= 0.85) are measured over
    // the 20-case suite by `airad eval` (docs/performance.md). Here they
    // hold for heart and liver; the aorta (0.84-0.86 on these seeds, 0.82
    // over the suite) is guarded a little below its present level, and so
    // is the pulmonary artery (0.30-0.68).
    assert!(heart >= 0.85, "heart Dice {heart:.3}");
    assert!(aorta >= 0.8, "aorta Dice {aorta:.3}");
    assert!(liver >= 0.85, "liver Dice {liver:.3}");
    assert!(sac >= 0.7, "pericardial sac Dice {sac:.3}");
    assert!(pa >= 0.25, "pulmonary artery Dice {pa:.3}");
    assert!(esophagus >= 0.3, "oesophagus Dice {esophagus:.3}");
    let v = values(&outcome, "values:heart").expect("heart values");
    let ctr = v["cardiothoracic_ratio"].as_f64().unwrap();
    assert!((0.3..0.7).contains(&ctr), "CTR {ctr}");
    let line = centreline(&outcome, "centreline:aorta").expect("aorta centreline");
    for segment in ["ascending", "arch", "descending"] {
        assert!(
            line.segments.iter().any(|s| s == segment),
            "no {segment} in {:?}",
            line.segments
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
        );
    }
}

#[test]
fn phantom_mediastinum_seed_3() {
    check_phantom(3);
}

#[test]
fn phantom_mediastinum_seed_6() {
    check_phantom(6);
}

/// Case 12 of the 20-case evaluation suite (`airad phantom suite`, seed
/// 2026): a large heart over a scan that stops a few centimetres under the
/// lung bases, where the posterior costophrenic recess reaches the bottom
/// slices. The liver seed was once taken under the lowest lung voxels (that
/// recess), landed on the scan's floor in retroperitoneal fat, and the
/// liver came out absent (Dice 0); cases 6 (steatosis) and 7 (effusion)
/// failed the same way (0.18, 0.58).
#[test]
fn phantom_liver_seeded_under_the_dome() {
    let mut p = phantom::output::suite_params(20, 2026).swap_remove(11);
    p.slice_mm = 5.0;
    let ph = phantom::generate(&p, &NoProgress).unwrap();
    let outcome = units::analyse(
        &ph.ct,
        &[
            "airad.body",
            "airad.airways",
            "airad.lungs",
            "airad.aorta",
            "airad.heart",
            "airad.abdomen",
        ],
    );
    let liver = mask(&outcome, "mask:liver").map_or(0.0, |m| dice(m, &ph.labels, &["liver"]));
    println!("suite case 12: dice liver {liver:.3}");
    assert!(liver >= 0.85, "liver Dice {liver:.3}");
}

fn load(case: &str) -> Option<LoadedImage> {
    let dir = real_data(&format!("lung-pet-ct-dx/{case}"))?;
    Some(imaging_io::read_image(&dir.join("ct"), &Default::default(), &NoProgress).unwrap())
}

/// Share of a tumour box's pixels (columns x, rows y on slice z) in a mask.
fn box_share(m: &Mask, b: [usize; 4], z: usize) -> f64 {
    let mut inside = 0usize;
    for y in b[1]..=b[3] {
        for x in b[0]..=b[2] {
            inside += usize::from(m.contains(x, y, z));
        }
    }
    inside as f64 / ((b[2] - b[0] + 1) * (b[3] - b[1] + 1)) as f64
}

fn check_real(case: &str) {
    let Some(image) = load(case) else {
        println!("{case}: real data not available, skipped");
        return;
    };
    let outcome = analyse(&image.volume);
    let heart = mask(&outcome, "mask:heart").expect("heart");
    let aorta = mask(&outcome, "mask:aorta").expect("aorta");
    let liver = mask(&outcome, "mask:liver").expect("liver");
    let ml = heart.volume_ml();
    println!(
        "{case}: heart {ml:.0} mL, aorta {:.0} mL, liver {:.0} mL",
        aorta.volume_ml(),
        liver.volume_ml()
    );
    assert!((300.0..1300.0).contains(&ml), "heart {ml} mL");
    let hc = heart.centroid_lps().unwrap();
    let lc = liver.centroid_lps().unwrap();
    // The liver lies right of and below the heart.
    assert!(lc[0] < hc[0] && lc[2] < hc[2], "liver {lc:?} heart {hc:?}");
    // The descending aorta lies behind the heart, left of the midline of
    // the trachea; the ascending aorta in front of the descending one.
    let line = centreline(&outcome, "centreline:aorta").expect("aorta centreline");
    let at = |name: &str| -> Vec<[f64; 3]> {
        line.points
            .iter()
            .zip(&line.segments)
            .filter(|(_, s)| *s == name)
            .map(|(p, _)| *p)
            .collect()
    };
    let desc = at("descending");
    assert!(desc.len() >= 5);
    let mean = |pts: &[[f64; 3]]| -> [f64; 3] {
        let n = pts.len() as f64;
        let s = pts
            .iter()
            .fold([0.0; 3], |a, p| [a[0] + p[0], a[1] + p[1], a[2] + p[2]]);
        [s[0] / n, s[1] / n, s[2] / n]
    };
    let d = mean(&desc);
    assert!(
        d[1] > hc[1],
        "descending aorta {d:?} not behind the heart {hc:?}"
    );
    let carina = landmarks(&outcome, "landmarks:airway").and_then(|l| l.get("carina").copied());
    if let Some(c) = carina {
        assert!(
            d[0] > c[0] - 10.0,
            "descending aorta {d:?} right of the carina {c:?}"
        );
    }
    let asc: Vec<[f64; 3]> = at("ascending").into_iter().chain(at("root")).collect();
    if !asc.is_empty() {
        let a = mean(&asc);
        assert!(
            a[1] < d[1] - 20.0,
            "ascending {a:?} not in front of descending {d:?}"
        );
    }
    for r in &line.radii_mm {
        assert!((6.0..=30.0).contains(r), "aortic radius {r}");
    }
    // Tumours are neither heart nor aorta.
    let dir = real_data(&format!("lung-pet-ct-dx/{case}")).unwrap();
    let uids = &image.meta.slice_sop_instance_uids;
    for entry in std::fs::read_dir(dir.join("boxes")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let grab = |tag: &str| -> usize {
            let a = text.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
            let b = text[a..].find('<').unwrap() + a;
            text[a..b].trim().parse().unwrap()
        };
        let uid = path.file_stem().unwrap().to_string_lossy().to_string();
        let Some(z) = uids.iter().position(|u| u.as_deref() == Some(uid.as_str())) else {
            continue;
        };
        let b = [grab("xmin"), grab("ymin"), grab("xmax"), grab("ymax")];
        for (name, m) in [("heart", heart), ("aorta", aorta)] {
            let share = box_share(m, b, z);
            println!("{case}: tumour box {b:?} slice {z}: {share:.2} in the {name}");
            // A box is a rectangle round the tumour: a heart or aorta the
            // tumour abuts fills some of its corners legitimately; a
            // tumour taken for the organ would fill most of it.
            assert!(share < 0.25, "{case}: tumour taken for the {name}");
        }
    }
}

#[test]
fn a0001_mediastinum() {
    check_real("A0001");
}

#[test]
fn a0002_mediastinum() {
    check_real("A0002");
}
