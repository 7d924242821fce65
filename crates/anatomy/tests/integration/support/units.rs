//! Running a chosen set of anatomy units on a volume, shared by the
//! anatomy tests: every unit must finish (its status and time printed).

#![allow(dead_code)]

use std::sync::Arc;

use aisu::{Artefact, ExamInfo, Mask};
use pathway::{PathwaySpec, Plan, Registry, RunOutcome, Silent, UnitStatus, run};
use volume::Volume;

/// Runs the anatomy units whose ids are in `units` (their parents must be
/// listed too) on `ct` and asserts that each finished.
pub fn analyse(ct: &Volume<i16>, units: &[&str]) -> RunOutcome {
    let mut registry = Registry::new();
    for unit in anatomy::units() {
        if units.contains(&unit.manifest().id.as_str()) {
            registry.register(unit).unwrap();
        }
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("test", &registry), &registry).unwrap();
    let outcome = run(
        &plan,
        Arc::new(ct.clone()),
        Arc::new(ExamInfo::default()),
        &Silent,
    );
    for r in &outcome.reports {
        println!("{} {:?} {:.2} s {:?}", r.id, r.status, r.wall_s, r.reason);
        assert_eq!(r.status, UnitStatus::Ok, "{} {:?}", r.id, r.reason);
    }
    outcome
}

/// The mask artefact `name` (e.g. "mask:heart"), if present.
pub fn mask(outcome: &RunOutcome, name: &str) -> Option<Arc<Mask>> {
    outcome.store.present.iter().find_map(|(n, a)| match a {
        Artefact::Mask(m) if n.to_string() == name => Some(m.clone()),
        _ => None,
    })
}
