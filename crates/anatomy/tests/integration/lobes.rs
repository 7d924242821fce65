//! Lungs and lobes on phantoms against their label maps (the issue's
//! targets: Dice >= 0.95 per lung, >= 0.85 per lobe), across the three
//! shape families and with incomplete fissures as the phantom draws them.

use crate::lung_truth;
use crate::units;

use imaging_io::NoProgress;

/// The units the lungs and lobes need.
const UNITS: [&str; 5] = [
    "airad.body",
    "airad.airways",
    "airad.bronchi",
    "airad.lungs",
    "airad.lobes",
];

fn check(seed: u64, family: phantom::ShapeFamily) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.matrix = 256;
    p.slice_mm = 2.5;
    p.shape_family = family;
    let ph = phantom::generate(&p, &NoProgress).unwrap();
    let truth = lung_truth::truth(&ph.labels);
    let outcome = units::analyse(&ph.ct, &UNITS);
    for (name, t) in [
        ("lung_right", &truth.lung_right),
        ("lung_left", &truth.lung_left),
    ] {
        let d =
            units::mask(&outcome, &format!("mask:{name}")).map_or(0.0, |m| lung_truth::dice(&m, t));
        println!("seed {seed} {family:?}: {name} Dice {d:.3}");
        assert!(d >= 0.95, "seed {seed}: {name} Dice {d:.3}");
    }
    for (k, name) in lung_truth::LOBE_NAMES.iter().enumerate() {
        let d = units::mask(&outcome, &format!("mask:{name}")).map_or(0.0, |m| {
            lung_truth::lobe_dice(&m, &truth.labels, lung_truth::LOBES[k])
        });
        println!("seed {seed} {family:?}: {name} Dice {d:.3}");
        assert!(d >= 0.85, "seed {seed}: {name} Dice {d:.3}");
    }
}

#[test]
fn lungs_and_lobes_on_three_shape_families() {
    for (seed, family) in phantom::ShapeFamily::ALL.iter().enumerate() {
        check(seed as u64 + 21, *family);
    }
}
