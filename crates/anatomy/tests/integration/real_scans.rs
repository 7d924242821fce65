//! Anatomy on the real Lung-PET-CT-Dx scans: lungs, airways and body are
//! found and plausible, and each annotated tumour lies inside or at the
//! border of the lung mask.

use std::path::Path;
use std::sync::Arc;

use aisu::{Artefact, ArtefactName, ExamInfo, Mask};
use imaging_io::testing::real_data;
use imaging_io::{LoadedImage, NoProgress};
use pathway::{PathwaySpec, Plan, Registry, RunOutcome, Silent, UnitStatus, run};

fn load(case: &str) -> Option<(LoadedImage, std::path::PathBuf)> {
    let dir = real_data(&format!("lung-pet-ct-dx/{case}"))?;
    let image = imaging_io::read_image(&dir.join("ct"), &Default::default(), &NoProgress).unwrap();
    Some((image, dir))
}

fn analyse(image: &LoadedImage) -> RunOutcome {
    let mut registry = Registry::new();
    for unit in anatomy::units() {
        registry.register(unit).unwrap();
    }
    let plan = Plan::resolve(&PathwaySpec::all_of("anatomy", &registry), &registry).unwrap();
    run(
        &plan,
        Arc::new(image.volume.clone()),
        Arc::new(ExamInfo::default()),
        &Silent,
    )
}

fn mask<'a>(outcome: &'a RunOutcome, name: &str) -> Option<&'a Mask> {
    match outcome
        .store
        .present
        .get(&ArtefactName::parse(name).unwrap())
    {
        Some(Artefact::Mask(m)) => Some(m),
        _ => None,
    }
}

/// The boxes (pixel x/y ranges) and the SOP Instance UID they sit on.
fn boxes(dir: &Path) -> Vec<(String, [usize; 4])> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir.join("boxes")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let grab = |tag: &str| -> usize {
            let a = text.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
            let b = text[a..].find('<').unwrap() + a;
            text[a..b].trim().parse().unwrap()
        };
        let uid = path.file_stem().unwrap().to_string_lossy().to_string();
        out.push((
            uid,
            [grab("xmin"), grab("ymin"), grab("xmax"), grab("ymax")],
        ));
    }
    out
}

fn check_case(case: &str) {
    let Some((image, dir)) = load(case) else {
        return;
    };
    let outcome = analyse(&image);
    for r in &outcome.reports {
        println!(
            "{case} {} {:?} {:.2} s {:?}",
            r.id, r.status, r.wall_s, r.reason
        );
        assert_eq!(r.status, UnitStatus::Ok, "{case}: {} {:?}", r.id, r.reason);
    }
    let right = mask(&outcome, "mask:lung_right").expect("right lung");
    let left = mask(&outcome, "mask:lung_left").expect("left lung");
    let body = mask(&outcome, "mask:body").expect("body");
    let trachea = mask(&outcome, "mask:trachea");
    println!(
        "{case}: body {:.0} mL, right lung {:.0} mL, left lung {:.0} mL, trachea {:?} mL",
        body.volume_ml(),
        right.volume_ml(),
        left.volume_ml(),
        trachea.map(|t| t.volume_ml())
    );
    // Right lung on the patient's right (LPS -x).
    assert!(right.centroid_lps().unwrap()[0] < left.centroid_lps().unwrap()[0]);
    for lung in [right, left] {
        assert!(
            (300.0..4000.0).contains(&lung.volume_ml()),
            "lung volume {}",
            lung.volume_ml()
        );
    }
    // Tumours: the lung mask reaches into every annotated box (the tumour
    // lies inside the lung or at its border).
    let uids = &image.meta.slice_sop_instance_uids;
    for (uid, b) in boxes(&dir) {
        let Some(z) = uids.iter().position(|u| u.as_deref() == Some(uid.as_str())) else {
            panic!("{case}: box on unknown slice {uid}");
        };
        let mut inside = 0usize;
        for y in b[1]..=b[3] {
            for x in b[0]..=b[2] {
                if right.contains(x, y, z) || left.contains(x, y, z) {
                    inside += 1;
                }
            }
        }
        let area = (b[2] - b[0] + 1) * (b[3] - b[1] + 1);
        println!("{case}: box {b:?} slice {z}: {inside} of {area} pixels in a lung");
        assert!(
            inside > 0,
            "{case}: tumour box {b:?} on slice {z} does not touch a lung"
        );
    }
}

#[test]
fn a0001_anatomy() {
    check_case("A0001");
}

#[test]
fn a0002_anatomy() {
    check_case("A0002");
}
