//! The skeleton units (`airad.spine`, `airad.ribs`, `airad.sternum`,
//! `airad.shoulder`) on a phantom, scored against its labels (levels and
//! rib numbers by majority overlap, Dice), and on the real
//! Lung-PET-CT-Dx scans (plausibility: order of levels, sizes, sides,
//! positions relative to each other).

use crate::units;

use std::collections::BTreeMap;
use std::sync::Arc;

use aisu::{Artefact, ArtefactName, Mask};
use imaging_io::testing::real_data;
use pathway::RunOutcome;
use volume::Volume;

/// The units the skeleton needs, and the skeleton units.
const UNITS: [&str; 7] = [
    "airad.body",
    "airad.airways",
    "airad.lungs",
    "airad.spine",
    "airad.ribs",
    "airad.sternum",
    "airad.shoulder",
];

fn analyse(ct: &Volume<i16>) -> RunOutcome {
    units::analyse(ct, &UNITS)
}

fn masks(outcome: &RunOutcome) -> BTreeMap<String, Arc<Mask>> {
    outcome
        .store
        .present
        .iter()
        .filter_map(|(n, a)| match a {
            Artefact::Mask(m) => Some((n.name.clone(), m.clone())),
            _ => None,
        })
        .collect()
}

fn values(outcome: &RunOutcome, name: &str) -> serde_json::Value {
    match outcome
        .store
        .present
        .get(&ArtefactName::parse(name).unwrap())
    {
        Some(Artefact::Values(v)) => (**v).clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn landmarks(outcome: &RunOutcome, name: &str) -> BTreeMap<String, [f64; 3]> {
    match outcome
        .store
        .present
        .get(&ArtefactName::parse(name).unwrap())
    {
        Some(Artefact::Landmarks(l)) => (**l).clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn is_skeletal(n: &str) -> bool {
    n.starts_with("vertebra_") || n.starts_with("rib_")
}

/// Whether a mask is one of the skeleton units' outputs.
fn is_bone_output(n: &str) -> bool {
    is_skeletal(n)
        || n.starts_with("clavicle_")
        || n.starts_with("scapula_")
        || n == "sternum"
        || n == "spinal_canal"
}

/// Per ground-truth structure: (name, voxels, Dice of the same-named
/// mask, name of the predicted mask overlapping it most).
fn score(
    labels: &Volume<u16>,
    legend: &BTreeMap<String, String>,
    masks: &BTreeMap<String, Arc<Mask>>,
) -> Vec<(String, usize, f64, String)> {
    let [nx, ny, _] = labels.dims();
    let data = labels.as_slice();
    let mut out = Vec::new();
    for (value, name) in legend {
        let Ok(v) = value.parse::<u16>() else {
            continue;
        };
        let wanted = is_skeletal(name)
            || [
                "sternum",
                "spinal_canal",
                "clavicle_left",
                "clavicle_right",
                "scapula_left",
                "scapula_right",
            ]
            .contains(&name.as_str());
        if !wanted {
            continue;
        }
        let gt = data.iter().filter(|l| **l == v).count();
        if gt == 0 {
            continue;
        }
        let mut best = (0usize, "-".to_string());
        let mut dice = 0.0;
        // Majority among the skeleton units' masks only (the body and
        // lung masks contain everything).
        for (n, m) in masks.iter().filter(|(n, _)| is_bone_output(n)) {
            let mut k = 0usize;
            m.for_each(|x, y, z| k += usize::from(data[x + nx * (y + ny * z)] == v));
            if k > best.0 {
                best = (k, n.clone());
            }
            if n == name {
                dice = 2.0 * k as f64 / (gt + m.count()) as f64;
            }
        }
        out.push((name.clone(), gt, dice, best.1));
    }
    out
}

/// Names of the labelled structures present on the first or the last
/// slice (cut by the ends of the scan).
fn cut_by_scan_ends(labels: &Volume<u16>, legend: &BTreeMap<String, String>) -> Vec<String> {
    let [nx, ny, nz] = labels.dims();
    let data = labels.as_slice();
    let per = nx * ny;
    let ends = data[..per].iter().chain(&data[(nz - 1) * per..]);
    let mut values: Vec<u16> = ends.copied().filter(|v| *v != 0).collect();
    values.sort_unstable();
    values.dedup();
    values
        .iter()
        .filter_map(|v| legend.get(&v.to_string()).cloned())
        .collect()
}

#[test]
fn phantom_levels_ribs_and_girdle() {
    let mut p = phantom::PhantomParams::from_seed(11);
    p.matrix = 256;
    p.slice_mm = 2.5;
    p.normal = true;
    p.lesions.clear();
    let ph = phantom::generate(&p, &imaging_io::NoProgress).unwrap();
    let outcome = analyse(&ph.ct);
    let m = masks(&outcome);
    let scores = score(&ph.labels, &ph.legend, &m);
    // A vertebra cut by the end of the scan to a sliver (under half the
    // median vertebra) cannot be counted on by a reader either: it may be
    // left unlabelled, but never given another level's name.
    let sizes: Vec<usize> = scores
        .iter()
        .filter(|s| s.0.starts_with("vertebra_"))
        .map(|s| s.1)
        .collect();
    let typical = {
        let mut v = sizes.clone();
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(0)
    };
    let cut = cut_by_scan_ends(&ph.labels, &ph.legend);
    let mut wrong_levels = Vec::new();
    let mut ribs = (0usize, 0usize);
    for (name, gt, dice, best) in &scores {
        println!("{name}: {gt} voxels, Dice {dice:.3}, most overlap {best}");
        let sliver = cut.contains(name) && 2 * gt < typical;
        if name.starts_with("vertebra_") && best != name && !(sliver && best == "-") {
            wrong_levels.push(name.clone());
        }
        if name.starts_with("rib_") {
            ribs.0 += 1;
            ribs.1 += usize::from(best == name);
        }
    }
    println!("{:?}", values(&outcome, "values:spine"));
    println!("{:?}", values(&outcome, "values:ribs"));
    // Every vertebra in view carries its level.
    assert!(wrong_levels.is_empty(), "levels wrong: {wrong_levels:?}");
    assert!(ribs.0 >= 20, "only {} ribs in view", ribs.0);
    let dice = |n: &str| scores.iter().find(|s| s.0 == n).map(|s| s.2).unwrap_or(0.0);
    let vertebrae: Vec<f64> = scores
        .iter()
        .filter(|s| s.0.starts_with("vertebra_"))
        .map(|s| s.2)
        .collect();
    let mean = vertebrae.iter().sum::<f64>() / vertebrae.len().max(1) as f64;
    assert!(mean > 0.6, "mean vertebral Dice {mean:.3}");
    assert!(dice("sternum") > 0.7, "sternum Dice {:.3}", dice("sternum"));
    assert!(
        dice("spinal_canal") > 0.5,
        "canal Dice {:.3}",
        dice("spinal_canal")
    );
    // Ribs 4-12 and the scapulae, clear of the crowded thoracic inlet,
    // are segmented well.
    for (name, _, d, _) in &scores {
        let number = name
            .rsplit('_')
            .next()
            .and_then(|n| n.parse::<usize>().ok());
        if name.starts_with("rib_") && number.is_some_and(|n| (4..=12).contains(&n)) {
            assert!(*d > 0.5, "{name} Dice {d:.3}");
        }
        if name.starts_with("scapula_") {
            assert!(*d > 0.55, "{name} Dice {d:.3}");
        }
    }
    // Landmarks: body centres descend with the level, endplates bracket them.
    let lm = landmarks(&outcome, "landmarks:vertebrae");
    let levels = anatomy::spine::LEVELS;
    let centres: Vec<f64> = levels
        .iter()
        .filter_map(|l| lm.get(*l).map(|p| p[2]))
        .collect();
    assert!(
        centres.windows(2).all(|w| w[0] > w[1]),
        "centres not descending: {centres:?}"
    );
    for l in levels {
        if let (Some(s), Some(c), Some(i)) = (
            lm.get(&format!("{l}_superior")),
            lm.get(l),
            lm.get(&format!("{l}_inferior")),
        ) {
            assert!(
                s[2] > c[2] && c[2] > i[2],
                "{l}: endplates do not bracket the centre"
            );
        }
    }
    // Most ribs carry their number. Ribs 1-3, glued to the shoulder girdle
    // in the bone mask, are the misses today (20 of 25 right on this
    // case): guarded at that level; the target (every rib right in
    // >= 95% of cases) is measured by `airad eval` and not met yet.
    assert!(
        ribs.1 as f64 >= 0.75 * ribs.0 as f64,
        "ribs named right: {} of {}",
        ribs.1,
        ribs.0
    );
}

/// Plausibility on a real scan.
fn check_real(case: &str) {
    let Some(dir) = real_data(&format!("lung-pet-ct-dx/{case}")) else {
        return;
    };
    let image = imaging_io::read_image(
        &dir.join("ct"),
        &Default::default(),
        &imaging_io::NoProgress,
    )
    .unwrap();
    let outcome = analyse(&image.volume);
    let m = masks(&outcome);
    let spine = values(&outcome, "values:spine");
    let ribs = values(&outcome, "values:ribs");
    println!("{case}: {spine}\n{case}: {ribs}");
    let lm = landmarks(&outcome, "landmarks:vertebrae");
    let levels = anatomy::spine::LEVELS;
    // Named levels are contiguous and descend.
    let named: Vec<(usize, f64)> = levels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| lm.get(*l).map(|p| (i, p[2])))
        .collect();
    assert!(named.len() >= 8, "{case}: only {} levels", named.len());
    assert!(
        named
            .windows(2)
            .all(|w| w[1].0 == w[0].0 + 1 && w[0].1 > w[1].1),
        "{case}: {named:?}"
    );
    // Level heights of an adult thoracic spine (body + disc 18-40 mm).
    for w in named.windows(2) {
        let h = w[0].1 - w[1].1;
        assert!((15.0..45.0).contains(&h), "{case}: level height {h:.1} mm");
    }
    for (name, mask) in &m {
        if name.starts_with("vertebra_") {
            let ml = mask.volume_ml();
            println!("{case}: {name} {ml:.1} mL");
            assert!((3.0..120.0).contains(&ml), "{case}: {name} {ml:.1} mL");
        }
    }
    // Ribs: left ones on the left of the canal, right ones on the right.
    let canal = m
        .get("spinal_canal")
        .and_then(|c| c.centroid_lps())
        .expect("canal");
    let mut ribs_seen = 0;
    for (name, mask) in &m {
        if let Some(c) = mask.centroid_lps()
            && name.starts_with("rib_")
        {
            ribs_seen += 1;
            if name.contains("left") {
                assert!(c[0] > canal[0], "{case}: {name} not on the left");
            } else {
                assert!(c[0] < canal[0], "{case}: {name} not on the right");
            }
        }
    }
    assert!(ribs_seen >= 10, "{case}: {ribs_seen} ribs");
    // The sternum lies in front of the spine, near the midline; scapulae
    // behind the canal's front, clavicles in front.
    let sternum = m
        .get("sternum")
        .and_then(|s| s.centroid_lps())
        .expect("sternum");
    assert!(sternum[1] < canal[1] - 80.0, "{case}: sternum not in front");
    assert!(
        (sternum[0] - canal[0]).abs() < 30.0,
        "{case}: sternum off the midline"
    );
    let st_ml = m["sternum"].volume_ml();
    assert!(
        (10.0..150.0).contains(&st_ml),
        "{case}: sternum {st_ml:.1} mL"
    );
    for side in ["left", "right"] {
        let sign = if side == "left" { 1.0 } else { -1.0 };
        if let Some(s) = m
            .get(&format!("scapula_{side}"))
            .and_then(|s| s.centroid_lps())
        {
            assert!(
                sign * (s[0] - canal[0]) > 40.0,
                "{case}: scapula_{side} side"
            );
        }
        if let Some(c) = m
            .get(&format!("clavicle_{side}"))
            .and_then(|s| s.centroid_lps())
        {
            assert!(
                sign * (c[0] - canal[0]) > 15.0,
                "{case}: clavicle_{side} side"
            );
            assert!(c[1] < canal[1], "{case}: clavicle_{side} behind the canal");
        }
    }
    // The count is anchored or says it is limited.
    let anchored = matches!(spine["anchor"].as_str(), Some("first_rib" | "last_rib"));
    assert!(anchored || spine["limited"] == serde_json::Value::Bool(true));
    assert!(anchored || ribs["limited"] == serde_json::Value::Bool(true));
}

#[test]
fn a0001_skeleton() {
    check_real("A0001");
}

#[test]
fn a0002_skeleton() {
    check_real("A0002");
}
