//! DICOM reading on the real scans of ../shared/data: the grid of both
//! Lung-PET-CT-Dx series, and every voxel against pydicom's
//! `pixel_array * slope + intercept` at the same patient position.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use imaging_io::dicom_read::{DicomReadOptions, read_dicom};
use imaging_io::testing::{python_with, real_data};
use imaging_io::{LoadedImage, NoProgress};

fn load(case: &str) -> Option<LoadedImage> {
    let dir = real_data(&format!("lung-pet-ct-dx/{case}/ct"))?;
    Some(read_dicom(&dir, &DicomReadOptions::default(), &NoProgress).expect("real series reads"))
}

#[test]
fn a0001_grid_and_metadata() {
    let Some(image) = load("A0001") else { return };
    let g = image.volume.geometry();
    assert_eq!(g.dims, [512, 512, 64]);
    assert!((g.spacing[0] - 0.84).abs() < 0.01, "{:?}", g.spacing);
    assert!((g.spacing[1] - 0.84).abs() < 0.01);
    assert!((g.spacing[2] - 5.0).abs() < 1e-3);
    assert!(image.warnings.is_empty(), "{:?}", image.warnings);
    let meta = &image.meta;
    assert_eq!(meta.modality.as_deref(), Some("CT"));
    assert_eq!(meta.patient_sex.as_deref(), Some("M"));
    assert_eq!(meta.patient_age_years, Some(58.0));
    assert_eq!(meta.kvp, Some(120.0));
    assert_eq!(meta.slice_thickness_mm, Some(5.0));
    assert_eq!(meta.slice_sop_instance_uids.len(), 64);
    assert!(meta.slice_sop_instance_uids.iter().all(Option::is_some));
}

#[test]
fn a0002_grid() {
    let Some(image) = load("A0002") else { return };
    let g = image.volume.geometry();
    assert_eq!(g.dims, [512, 512, 30]);
    assert!((g.spacing[0] - 0.65).abs() < 0.01, "{:?}", g.spacing);
    assert_eq!(image.meta.kernel.as_deref(), Some("B40f"));
}

/// Writes the volume as raw int16 and its geometry, and lets pydicom check
/// every file's HU slice against the voxels at its Image Position Patient.
fn compare_with_pydicom(case: &str) {
    let Some(dir) = real_data(&format!("lung-pet-ct-dx/{case}/ct")) else {
        return;
    };
    let Some(python) = python_with(&["pydicom", "numpy"]) else {
        return;
    };
    let image = read_dicom(&dir, &DicomReadOptions::default(), &NoProgress).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("volume.i16");
    let mut file = std::fs::File::create(&raw).unwrap();
    let bytes: Vec<u8> = image
        .volume
        .as_slice()
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    file.write_all(&bytes).unwrap();
    let g = image.volume.geometry();
    let geometry = serde_json::json!({
        "dims": g.dims, "spacing": g.spacing, "origin": g.origin, "direction": g.direction,
    });
    std::fs::write(tmp.path().join("geometry.json"), geometry.to_string()).unwrap();
    let output = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_pydicom.py"))
        .arg(&dir)
        .arg(tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}{stderr}");
    assert!(
        output.status.success(),
        "pydicom disagrees: {stdout}{stderr}"
    );
    assert!(stdout.contains(&format!("checked {} slices", g.dims[2])));
}

#[test]
fn a0001_every_voxel_matches_pydicom() {
    compare_with_pydicom("A0001");
}

#[test]
fn a0002_every_voxel_matches_pydicom() {
    compare_with_pydicom("A0002");
}
