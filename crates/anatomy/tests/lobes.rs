//! Lungs and lobes on phantoms against their label maps (the issue's
//! targets: Dice >= 0.95 per lung, >= 0.85 per lobe), across the three
//! shape families and with incomplete fissures as the phantom draws them.

#[path = "support/lung_truth.rs"]
mod lung_truth;

use std::sync::Arc;

use aisu::{Artefact, ExamInfo, Mask};
use imaging_io::NoProgress;
use pathway::{PathwaySpec, Plan, Registry, RunOutcome, Silent, run};

fn analyse(ct: &volume::Volume<i16>) -> RunOutcome {
    let mut registry = Registry::new();
    for unit in anatomy::units() {
        let id = unit.manifest().id.clone();
        if [
            "airad.body",
            "airad.airways",
            "airad.bronchi",
            "airad.lungs",
            "airad.lobes",
        ]
        .contains(&id.as_str())
        {
            registry.register(unit).unwrap();
        }
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("lungs", &registry), &registry).unwrap();
    run(
        &plan,
        Arc::new(ct.clone()),
        Arc::new(ExamInfo::default()),
        &Silent,
    )
}

fn mask(outcome: &RunOutcome, name: &str) -> Option<Arc<Mask>> {
    outcome.store.present.iter().find_map(|(n, a)| match a {
        Artefact::Mask(m) if n.to_string() == name => Some(m.clone()),
        _ => None,
    })
}

fn check(seed: u64, family: phantom::ShapeFamily) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.matrix = 256;
    p.slice_mm = 2.5;
    p.shape_family = family;
    let ph = phantom::generate(&p, &NoProgress).unwrap();
    let truth = lung_truth::truth(&ph.labels);
    let outcome = analyse(&ph.ct);
    for (name, t) in [
        ("lung_right", &truth.lung_right),
        ("lung_left", &truth.lung_left),
    ] {
        let d = mask(&outcome, &format!("mask:{name}")).map_or(0.0, |m| lung_truth::dice(&m, t));
        println!("seed {seed} {family:?}: {name} Dice {d:.3}");
        assert!(d >= 0.95, "seed {seed}: {name} Dice {d:.3}");
    }
    for (k, name) in lung_truth::LOBE_NAMES.iter().enumerate() {
        let d = mask(&outcome, &format!("mask:{name}")).map_or(0.0, |m| {
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
