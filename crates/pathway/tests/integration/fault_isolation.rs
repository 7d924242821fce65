//! A pathway with failing, panicking, slow and dependent units still
//! produces the findings of the healthy units, with `not_assessed` entries
//! for every code of a unit that did not finish, and the reason.

use std::sync::Arc;
use std::time::Duration;

use aisu::{Aisu, AisuError, Context, ExamInfo, FindingDraft, Manifest, Mask};
use pathway::{PathwaySpec, Plan, Registry, Silent, UnitStatus, merge, run};
use volume::{Geometry, Volume};

enum Behaviour {
    MakeMask,
    Fail,
    Panic,
    Sleep,
    UseMask,
}

struct TestUnit {
    manifest: Manifest,
    behaviour: Behaviour,
}

impl Aisu for TestUnit {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn run(&self, ctx: &mut Context<'_>) -> Result<(), AisuError> {
        match self.behaviour {
            Behaviour::MakeMask => {
                let lung = Mask::from_fn(ctx.volume(), |v| *v < -500);
                ctx.put_mask("mask:lung_left", lung)
            }
            Behaviour::Fail => Err(AisuError::Failed("no pleura found".into())),
            Behaviour::Panic => panic!("index out of bounds in test unit"),
            Behaviour::Sleep => {
                while !ctx.cancelled() {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(AisuError::Cancelled)
            }
            Behaviour::UseMask => {
                let lung = ctx.mask("mask:lung_left")?;
                let nodule = Mask::from_fn(ctx.volume(), |v| *v > 0);
                let mut draft = FindingDraft::new("F01", nodule);
                draft
                    .measurements
                    .push(aisu::Measurement::new("volume", lung.volume_ml(), "mL"));
                ctx.emit(draft)
            }
        }
    }
}

fn unit(id: &str, behaviour: Behaviour, configure: impl Fn(Manifest) -> Manifest) -> Arc<dyn Aisu> {
    Arc::new(TestUnit {
        manifest: configure(Manifest::new(id, "1.0.0", "test unit")),
        behaviour,
    })
}

fn phantom() -> Volume<i16> {
    let g = Geometry::new([16, 16, 8], [1.0, 1.0, 2.0], [0.0; 3]);
    let mut v = Volume::filled(g, -800i16);
    v.as_slice_mut()[5 + 16 * (5 + 16 * 3)] = 40;
    v
}

#[test]
fn failures_become_not_assessed_and_the_rest_runs() {
    let mut registry = Registry::new();
    registry
        .register(unit("t.lungs", Behaviour::MakeMask, |m| {
            m.produces(&["mask:lung_left"])
        }))
        .unwrap();
    registry
        .register(unit("t.pleura", Behaviour::Fail, |m| {
            m.codes(&["F14", "F16"]).produces(&["mask:pleura"])
        }))
        .unwrap();
    registry
        .register(unit("t.crash", Behaviour::Panic, |m| m.codes(&["F15"])))
        .unwrap();
    registry
        .register(unit("t.slow", Behaviour::Sleep, |m| {
            m.codes(&["F05"]).resources(1, 100, 0.3)
        }))
        .unwrap();
    registry
        .register(unit("t.after-pleura", Behaviour::UseMask, |m| {
            m.requires(&["mask:pleura"]).codes(&["F06"])
        }))
        .unwrap();
    registry
        .register(unit("t.nodule", Behaviour::UseMask, |m| {
            m.requires(&["mask:lung_left"]).codes(&["F01"])
        }))
        .unwrap();
    let spec = PathwaySpec::all_of("test", &registry);
    let plan = Plan::resolve(&spec, &registry).unwrap();
    let volume = Arc::new(phantom());
    let outcome = run(
        &plan,
        volume.clone(),
        Arc::new(ExamInfo::default()),
        &Silent,
    );

    let status = |id: &str| {
        outcome
            .reports
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.status.clone())
            .unwrap()
    };
    assert_eq!(status("t.lungs"), UnitStatus::Ok);
    assert_eq!(status("t.nodule"), UnitStatus::Ok);
    assert_eq!(status("t.pleura"), UnitStatus::Failed);
    assert_eq!(status("t.crash"), UnitStatus::Failed);
    assert_eq!(status("t.slow"), UnitStatus::TimedOut);
    assert_eq!(status("t.after-pleura"), UnitStatus::Skipped);

    let result = merge(&outcome, volume.geometry(), Default::default());
    let doc = &result.document;
    doc.validate().unwrap();
    assert_eq!(doc.findings.len(), 1);
    let nodule = &doc.findings[0];
    assert_eq!((nodule.code.as_str(), nodule.mask_label), ("F01", 1));
    assert_eq!(nodule.aisu.id, "t.nodule");
    assert_eq!(
        result
            .lesions
            .as_slice()
            .iter()
            .filter(|v| **v == 1)
            .count(),
        1
    );
    let reason = |code: &str| {
        doc.not_assessed
            .iter()
            .find(|n| n.code == code)
            .map(|n| n.reason.clone())
            .unwrap_or_else(|| panic!("{code} missing from not_assessed"))
    };
    assert!(reason("F14").contains("no pleura found"));
    assert!(reason("F16").contains("t.pleura failed"));
    assert!(reason("F15").contains("panicked"));
    assert!(reason("F05").contains("time-out"));
    assert!(reason("F06").contains("mask:pleura"));
    // The lung mask made it into the anatomy map under its canonical label.
    assert_eq!(
        result.anatomy_legend.get("3").map(String::as_str),
        Some("lung_left")
    );
}

#[test]
fn graph_errors_are_clear() {
    let mut registry = Registry::new();
    registry
        .register(unit("t.a", Behaviour::MakeMask, |m| {
            m.requires(&["mask:b"]).produces(&["mask:a"])
        }))
        .unwrap();
    registry
        .register(unit("t.b", Behaviour::MakeMask, |m| {
            m.requires(&["mask:a"]).produces(&["mask:b"])
        }))
        .unwrap();
    registry
        .register(unit("t.c", Behaviour::MakeMask, |m| {
            m.requires(&["mask:nothing"])
        }))
        .unwrap();
    let cycle =
        PathwaySpec::from_toml("name = 'x'\n[[units]]\nid = 't.a'\n[[units]]\nid = 't.b'").unwrap();
    let err = Plan::resolve(&cycle, &registry).err().unwrap().to_string();
    assert!(err.contains("cycle"), "{err}");
    let missing = PathwaySpec::from_toml("name = 'x'\n[[units]]\nid = 't.c'").unwrap();
    let err = Plan::resolve(&missing, &registry)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("mask:nothing") && err.contains("no unit"),
        "{err}"
    );
    let unknown = PathwaySpec::from_toml("name = 'x'\n[[units]]\nid = 't.zzz'").unwrap();
    assert!(Plan::resolve(&unknown, &registry).is_err());
    assert!(PathwaySpec::from_toml("name = 'x'\nunits = []").is_err());
}
