//! `airad.nodules` on the real Lung-PET-CT-Dx scans: each annotated lung
//! tumour (PASCAL-VOC boxes, named by SOP Instance UID) is reported as a
//! nodule or mass at the box, with a size consistent with the box.

use crate::support;

use aisu::{ExamContext, ExamInfo};
use imaging_io::NoProgress;
use imaging_io::testing::real_data;
use support::{describe, run};

/// Union of the boxes in LPS mm and the largest in-plane box extent (mm).
fn tumour_box(dir: &std::path::Path, image: &imaging_io::LoadedImage) -> ([[f64; 3]; 2], f64) {
    let g = image.volume.geometry();
    let uids = &image.meta.slice_sop_instance_uids;
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    let mut extent: f64 = 0.0;
    for entry in std::fs::read_dir(dir.join("boxes")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let grab = |tag: &str| -> f64 {
            let a = text.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
            let b = text[a..].find('<').unwrap() + a;
            text[a..b].trim().parse().unwrap()
        };
        let (x0, y0, x1, y1) = (grab("xmin"), grab("ymin"), grab("xmax"), grab("ymax"));
        let uid = path.file_stem().unwrap().to_string_lossy().to_string();
        let z = uids
            .iter()
            .position(|u| u.as_deref() == Some(uid.as_str()))
            .expect("box on a slice of the series");
        for c in [[x0, y0], [x1, y1]] {
            let p = g.index_to_lps([c[0], c[1], z as f64]);
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let s = g.spacing;
        extent = extent.max(((x1 - x0) * s[0]).max((y1 - y0) * s[1]));
    }
    ([lo, hi], extent)
}

fn check(case: &str) {
    let Some(dir) = real_data(&format!("lung-pet-ct-dx/{case}")) else {
        return;
    };
    let image = imaging_io::read_image(&dir.join("ct"), &Default::default(), &NoProgress).unwrap();
    let (bbox, extent) = tumour_box(&dir, &image);
    let exam = ExamInfo {
        context: ExamContext::Unknown,
        slice_thickness_mm: Some(image.volume.spacing()[2]),
        ..Default::default()
    };
    let (doc, outcome) = run(&image.volume, exam);
    for r in &outcome.reports {
        println!(
            "{case} {} {:?} {:.2} s {:?}",
            r.id, r.status, r.wall_s, r.reason
        );
    }
    println!(
        "{case}: box [{:.0}, {:.0}, {:.0}]-[{:.0}, {:.0}, {:.0}] largest extent {extent:.1} mm",
        bbox[0][0], bbox[0][1], bbox[0][2], bbox[1][0], bbox[1][1], bbox[1][2]
    );
    let tol = 5.0;
    let mut at_box = None;
    for f in &doc.findings {
        let hit = (0..3).all(|k| {
            f.bbox_lps_mm[0][k] <= bbox[1][k] + tol && f.bbox_lps_mm[1][k] >= bbox[0][k] - tol
        });
        println!(
            "{case}: {} {}",
            if hit { "AT BOX" } else { "other " },
            describe(f)
        );
        if hit && ["F01", "F02", "F03"].contains(&f.code.as_str()) && at_box.is_none() {
            at_box = Some(f.clone());
        }
    }
    let f = at_box.unwrap_or_else(|| panic!("{case}: no nodule or mass at the tumour box"));
    let size = ["max_diameter", "long_axis", "mean_diameter"]
        .iter()
        .find_map(|n| f.measurement(n))
        .unwrap();
    println!(
        "{case}: tumour reported as {} of {size:.1} mm (box {extent:.1} mm)",
        f.code
    );
    assert!(
        size >= 0.6 * extent && size <= 1.6 * extent + 5.0,
        "{case}: size {size:.1} mm is not consistent with the box ({extent:.1} mm)"
    );
}

#[test]
fn a0001_tumour() {
    check("A0001");
}

/// A0002: a right perihilar mass against the mediastinum, found by the
/// wrap-round search (`anatomy::lung_encircled`).
#[test]
fn a0002_tumour() {
    check("A0002");
}
