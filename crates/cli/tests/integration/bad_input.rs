//! Bad input gets a one-line error naming the file and the problem, exit
//! status 1, and no panic; a missing slice is only a warning. The damaged
//! series are made from the real A0001 scan, edited with dicom-object.

use crate::common;

use std::path::{Path, PathBuf};

use common::{airad, assert_bad_input, real_data};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::open_file;

/// Copies the first `n` files of A0001 into a fresh folder.
fn a0001_subset(n: usize) -> Option<(tempfile::TempDir, Vec<PathBuf>)> {
    let source = real_data("lung-pet-ct-dx/A0001/ct")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&source)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let dir = tempfile::tempdir().unwrap();
    let copies = files
        .iter()
        .take(n)
        .map(|f| {
            let to = dir.path().join(f.file_name().unwrap());
            std::fs::copy(f, &to).unwrap();
            to
        })
        .collect();
    Some((dir, copies))
}

/// Rewrites one element of a DICOM file.
fn edit(path: &Path, element: DataElement<dicom_object::InMemDicomObject>) {
    let mut obj = open_file(path).unwrap();
    obj.put(element);
    obj.write_to_file(path).unwrap();
}

#[test]
fn missing_path() {
    let path = Path::new("/nonexistent/scan");
    assert_bad_input(&airad(&["info", "/nonexistent/scan"]), path, "no such file");
}

#[test]
fn empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().to_str().unwrap();
    assert_bad_input(&airad(&["info", p]), dir.path(), "holds no files");
}

#[test]
fn folder_without_dicom() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an image").unwrap();
    std::fs::write(dir.path().join("image.dcm"), vec![7u8; 4000]).unwrap();
    let p = dir.path().to_str().unwrap();
    assert_bad_input(&airad(&["info", p]), dir.path(), "no DICOM image");
}

#[test]
fn single_non_dicom_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scan.dcm");
    std::fs::write(&file, b"hello").unwrap();
    assert_bad_input(
        &airad(&["info", file.to_str().unwrap()]),
        &file,
        "not a DICOM image",
    );
}

#[test]
fn truncated_dicom() {
    let Some((dir, files)) = a0001_subset(6) else {
        return;
    };
    let victim = &files[3];
    let bytes = std::fs::read(victim).unwrap();
    std::fs::write(victim, &bytes[..bytes.len() / 2]).unwrap();
    let result = airad(&["info", dir.path().to_str().unwrap()]);
    assert_bad_input(&result, victim, "truncated");
}

#[test]
fn truncated_inside_header() {
    let Some((dir, files)) = a0001_subset(4) else {
        return;
    };
    let victim = &files[1];
    let bytes = std::fs::read(victim).unwrap();
    std::fs::write(victim, &bytes[..400]).unwrap();
    let result = airad(&["info", dir.path().to_str().unwrap()]);
    assert_bad_input(&result, victim, "malformed DICOM header");
}

#[test]
fn mixed_orientations() {
    let Some((dir, files)) = a0001_subset(6) else {
        return;
    };
    edit(
        &files[2],
        DataElement::new(
            tags::IMAGE_ORIENTATION_PATIENT,
            VR::DS,
            PrimitiveValue::from("1\\0\\0\\0\\0\\-1"),
        ),
    );
    let result = airad(&["info", dir.path().to_str().unwrap()]);
    assert_bad_input(&result, dir.path(), "mixed orientations");
}

#[test]
fn non_ct_modality_is_refused_unless_allowed() {
    let Some((dir, files)) = a0001_subset(4) else {
        return;
    };
    for f in &files {
        edit(
            f,
            DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("MR")),
        );
    }
    let p = dir.path().to_str().unwrap();
    assert_bad_input(&airad(&["info", p]), dir.path(), "--allow-non-ct");
    let (code, stdout, stderr) = airad(&["info", p, "--allow-non-ct", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["modality"], "MR");
}

#[test]
fn absurd_rows_are_refused_before_allocating() {
    let Some((dir, files)) = a0001_subset(4) else {
        return;
    };
    edit(
        &files[1],
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(60000u16)),
    );
    let result = airad(&["info", dir.path().to_str().unwrap()]);
    assert_bad_input(&result, &files[1], "exceeds");
}

#[test]
fn missing_slice_is_a_warning() {
    let Some((dir, files)) = a0001_subset(8) else {
        return;
    };
    // Files are not named in position order on every scanner; remove the
    // one whose position is in the middle of the stack.
    let mut by_z: Vec<(f64, &PathBuf)> = files
        .iter()
        .map(|f| {
            let obj = open_file(f).unwrap();
            let ipp = obj
                .element(tags::IMAGE_POSITION_PATIENT)
                .unwrap()
                .to_multi_float64()
                .unwrap();
            (ipp[2], f)
        })
        .collect();
    by_z.sort_by(|a, b| a.0.total_cmp(&b.0));
    std::fs::remove_file(by_z[4].1).unwrap();
    let (code, stdout, stderr) = airad(&["info", dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["dims"][2], 8,
        "the gap is filled, the grid stays regular"
    );
    let warnings = json["warnings"].to_string();
    assert!(warnings.contains("missing slice"), "{warnings}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = airad(&["info"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = airad(&["no-such-command"]);
    assert_eq!(code, 2);
    let (code, _, stderr) = airad(&["convert", "/tmp", "/tmp/out.png"]);
    assert_eq!(code, 2, "{stderr}");
}
