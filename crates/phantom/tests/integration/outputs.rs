//! The phantom folder layout: DICOM series, NIfTI CT and labels on one
//! grid, legend and ground truth that parse back; and suites with their
//! `suite.json`, reproducible from the seed.

use crate::common;

use std::path::Path;

use common::small;
use phantom::{generate, output, write_phantom};

fn tiny(seed: u64, normal: bool) -> phantom::PhantomParams {
    let mut p = small(seed, normal);
    p.matrix = 64;
    p.slice_mm = 8.0;
    p.z_extent_mm = Some(160.0);
    p
}

#[test]
fn phantom_folder_reads_back() {
    let mut p = tiny(3, false);
    p.slice_mm = 6.0;
    let ph = generate(&p, &imaging_io::NoProgress).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_phantom(dir.path(), &ph).unwrap();
    for f in [
        "ct.nii.gz",
        "labels.nii.gz",
        "labels.json",
        "ground_truth.json",
        "params.json",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    // NIfTI CT and labels: same voxels, same grid.
    let ct = imaging_io::nifti_io::read_nifti(&dir.path().join("ct.nii.gz")).unwrap();
    assert_eq!(ct.volume.as_slice(), ph.ct.as_slice());
    let lab = imaging_io::nifti_io::read_nifti_labels(&dir.path().join("labels.nii.gz")).unwrap();
    assert_eq!(lab.as_slice(), ph.labels.as_slice());
    assert!(lab.geometry().same_grid(ct.volume.geometry(), 1e-3));
    // DICOM series: one file per slice, the same HU and geometry.
    let dcm = imaging_io::dicom_read::read_dicom(
        &dir.path().join("dicom"),
        &Default::default(),
        &imaging_io::NoProgress,
    )
    .unwrap();
    assert_eq!(dcm.volume.dims(), ph.ct.dims());
    assert_eq!(dcm.volume.as_slice(), ph.ct.as_slice());
    assert!(dcm.volume.geometry().same_grid(ph.ct.geometry(), 1e-3));
    assert_eq!(dcm.meta.kernel.as_deref(), Some(p.kernel.name.as_str()));
    assert_eq!(dcm.meta.study_uid, ph.truth.study.study_uid);
    // Legend and ground truth parse and agree with the labels.
    let legend: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("labels.json")).unwrap())
            .unwrap();
    assert_eq!(legend, ph.legend);
    let truth = aisu::FindingsDocument::from_json(
        &std::fs::read_to_string(dir.path().join("ground_truth.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(truth.study.slice_thickness_mm, Some(6.0));
    assert_eq!(truth.study.kernel.as_deref(), Some(p.kernel.name.as_str()));
    assert!(!truth.findings.is_empty());
    for f in &truth.findings {
        assert!(legend.contains_key(&f.mask_label.to_string()));
        assert_eq!(f.aisu.id, "airad.phantom");
    }
    let liver = truth
        .exam_measurements
        .iter()
        .find(|m| m.name == "liver_hu")
        .unwrap();
    assert_eq!(liver.value, ph.model.tissue.liver);
    // Parameters regenerate the same phantom.
    let back: phantom::PhantomParams =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("params.json")).unwrap())
            .unwrap();
    assert_eq!(back, p);
}

#[test]
fn normal_phantom_has_no_findings() {
    let ph = generate(&tiny(8, true), &imaging_io::NoProgress).unwrap();
    assert!(ph.truth.findings.is_empty());
    assert!(ph.lesions.is_empty());
    assert!(
        ph.labels
            .as_slice()
            .iter()
            .all(|&l| l < phantom::labels::LESION_BASE)
    );
    assert!(ph.truth.exam_measurements.iter().any(|m| m.code == "F30"));
}

#[test]
fn suites_are_listed_and_reproducible() {
    let params: Vec<_> = output::suite_params(10, 99)
        .into_iter()
        .map(|mut p| {
            // Small and thick, but the whole chest: suite cases carry
            // findings of every organ (heart, liver, spine, ...).
            p.matrix = 48;
            p.slice_mm = p.slice_mm.max(6.0);
            p
        })
        .collect();
    // The plan: about a fifth normal, a range of noise and thickness.
    let all = output::suite_params(10, 99);
    assert_eq!(all.iter().filter(|p| p.normal).count(), 2);
    let noise: Vec<f64> = all.iter().map(|p| p.noise_hu).collect();
    assert!(noise.iter().cloned().fold(f64::INFINITY, f64::min) < 15.0);
    assert!(noise.iter().cloned().fold(0.0, f64::max) > 30.0);
    let slices: std::collections::BTreeSet<u64> =
        all.iter().map(|p| (p.slice_mm * 1000.0) as u64).collect();
    assert!(slices.len() >= 5);
    assert_eq!(all, output::suite_params(10, 99));

    let dir = tempfile::tempdir().unwrap();
    let two: Vec<_> = params.into_iter().take(3).collect();
    let summary =
        output::write_suite(99, two.clone(), dir.path(), &imaging_io::NoProgress).unwrap();
    assert_eq!(summary.cases.len(), 3);
    let listed: output::SuiteSummary =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("suite.json")).unwrap())
            .unwrap();
    assert_eq!(listed, summary);
    for (i, case) in listed.cases.iter().enumerate() {
        assert_eq!(case.case, format!("case-{:03}", i + 1));
        assert!(Path::new(&dir.path().join(&case.case).join("ground_truth.json")).is_file());
        assert_eq!(case.params, two[i]);
        assert_eq!(case.findings == 0, case.params.normal);
    }
}
