//! The scheduler starts the ready unit heading the longest chain of
//! typical times first, whatever the pathway's listing order, and a plan
//! records each unit's chain.

use std::sync::{Arc, Mutex};

use aisu::{Aisu, AisuError, Context, ExamInfo, Manifest, Mask};
use pathway::{PathwaySpec, Plan, Registry, RunObserver, UnitReport, UnitStatus, run};
use volume::{Geometry, Volume};

/// A unit that makes the masks it declares (a threshold of the volume).
struct MaskMaker {
    manifest: Manifest,
}

impl Aisu for MaskMaker {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        for name in self.manifest.produces.clone() {
            let mask = Mask::from_fn(ctx.volume(), |v| *v < -500);
            ctx.put_mask(&name, mask)?;
        }
        Ok(())
    }
}

fn unit(id: &str, typical_s: f64, requires: &[&str], produces: &[&str]) -> Arc<dyn Aisu> {
    Arc::new(MaskMaker {
        manifest: Manifest::new(id, "1.0.0", "test unit")
            .requires(requires)
            .produces(produces)
            .typical(typical_s),
    })
}

/// Records the order in which units start.
#[derive(Default)]
struct StartOrder(Mutex<Vec<String>>);

impl RunObserver for StartOrder {
    fn started(&self, id: &str) {
        self.0.lock().unwrap().push(id.to_string());
    }
    fn ended(&self, _report: &UnitReport) {}
}

#[test]
fn the_longest_chain_starts_first() {
    // Listed short side branches first; the long chain is head -> tail.
    let mut registry = Registry::new();
    for u in [
        unit("t.side-a", 0.5, &[], &["mask:lung_right"]),
        unit("t.side-b", 0.5, &[], &["mask:liver"]),
        unit("t.head", 1.0, &[], &["mask:lung_left"]),
        unit("t.tail", 4.0, &["mask:lung_left"], &["mask:heart"]),
    ] {
        registry.register(u).unwrap();
    }
    let mut spec = PathwaySpec::all_of("test", &registry);
    spec.threads = Some(1);
    let plan = Plan::resolve(&spec, &registry).unwrap();
    let chain = |id: &str| {
        plan.units
            .iter()
            .find(|u| u.unit.manifest().id == id)
            .map(|u| u.chain_s)
            .unwrap()
    };
    assert_eq!(chain("t.head"), 5.0);
    assert_eq!(chain("t.tail"), 4.0);
    assert_eq!(chain("t.side-a"), 0.5);

    let g = Geometry::new([8, 8, 4], [1.0, 1.0, 2.0], [0.0; 3]);
    let order = StartOrder::default();
    let outcome = run(
        &plan,
        Arc::new(Volume::filled(g, -800i16)),
        Arc::new(ExamInfo::default()),
        &order,
    );
    assert!(outcome.reports.iter().all(|r| r.status == UnitStatus::Ok));
    // One thread: units run one at a time, so the start order is the
    // scheduler's choice: the chain first, then the side branches in
    // pathway order.
    assert_eq!(
        *order.0.lock().unwrap(),
        ["t.head", "t.tail", "t.side-a", "t.side-b"]
    );
}
