//! `airad convert` and `airad info --json` on the real scans, checked by
//! independent tools: nibabel opens the NIfTI and its RAS affine places
//! every DICOM slice (read by pydicom) where its Image Position Patient
//! says, with exactly the HU values of the file.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{airad, python_with, real_data};

#[test]
fn info_json_reports_the_grid() {
    for (case, slices, pixel) in [("A0001", 64, 0.84), ("A0002", 30, 0.65)] {
        let Some(dir) = real_data(&format!("lung-pet-ct-dx/{case}/ct")) else {
            return;
        };
        let (code, stdout, stderr) = airad(&["info", dir.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON alone");
        assert_eq!(
            json["dims"],
            serde_json::json!([512, 512, slices]),
            "{case}"
        );
        let spacing = json["spacing"][0].as_f64().unwrap();
        assert!((spacing - pixel).abs() < 0.01, "{case} spacing {spacing}");
        assert_eq!(json["direction"].as_array().unwrap().len(), 9);
        assert_eq!(json["modality"], "CT");
        assert!(json["warnings"].as_array().unwrap().is_empty());
    }
}

#[test]
fn converted_nifti_matches_pydicom_through_nibabel() {
    let Some(dir) = real_data("lung-pet-ct-dx/A0001/ct") else {
        return;
    };
    let Some(python) = python_with(&["nibabel", "pydicom", "numpy"]) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let nii = out.path().join("a0001.nii.gz");
    let (code, _, stderr) = airad(&["convert", dir.to_str().unwrap(), nii.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let script = r#"
import sys, pathlib
import numpy as np, nibabel as nib, pydicom
img = nib.load(sys.argv[1])
data = np.asanyarray(img.dataobj)
assert data.dtype == np.int16, data.dtype
assert img.header.get_sform(coded=True)[1] > 0 and img.header.get_qform(coded=True)[1] > 0
assert np.allclose(img.header.get_sform(), img.header.get_qform(), atol=1e-4)
inverse = np.linalg.inv(img.affine)
checked = 0
for path in sorted(pathlib.Path(sys.argv[2]).iterdir()):
    ds = pydicom.dcmread(path)
    hu = ds.pixel_array.astype(np.int32) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
    lps = np.array([float(v) for v in ds.ImagePositionPatient])
    ras = np.array([-lps[0], -lps[1], lps[2], 1.0])
    i, j, k = (inverse @ ras)[:3]
    assert abs(i) < 1e-3 and abs(j) < 1e-3 and abs(k - round(k)) < 1e-3, (path, i, j, k)
    # The DICOM row direction is increasing NIfTI i (columns), rows are j.
    row = np.array([float(v) for v in ds.ImageOrientationPatient[:3]])
    step = img.affine[:3, 0] / np.linalg.norm(img.affine[:3, 0])
    assert np.allclose(step, [-row[0], -row[1], row[2]], atol=1e-4)
    assert np.array_equal(data[:, :, int(round(k))].T, hu), path
    checked += 1
print("checked", checked)
"#;
    let output = Command::new(python)
        .args(["-c", script])
        .arg(&nii)
        .arg(Path::new(&dir))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("checked 64"), "{stdout}");
}

#[test]
fn nrrd_and_metaimage_inputs_keep_their_geometry() {
    let Some(dir) = real_data("lung-pet-ct-dx/A0002/ct") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let dicom = airad(&["info", dir.to_str().unwrap(), "--json"]);
    assert_eq!(dicom.0, 0, "{}", dicom.2);
    let reference: serde_json::Value = serde_json::from_str(&dicom.1).unwrap();
    // Write the scan as NRRD and MHA with the library, then read both through the CLI.
    let image = imaging_io::read_image(&dir, &Default::default(), &imaging_io::NoProgress).unwrap();
    for name in ["scan.nrrd", "scan.mha"] {
        let path = out.path().join(name);
        if name.ends_with("nrrd") {
            imaging_io::nrrd::write_nrrd(&path, &image.volume).unwrap();
        } else {
            imaging_io::metaimage::write_metaimage(&path, &image.volume).unwrap();
        }
        let (code, stdout, stderr) = airad(&["info", path.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(json["dims"], reference["dims"], "{name}");
        assert_eq!(json["hu_range"], reference["hu_range"], "{name}");
        for key in ["spacing", "origin", "direction"] {
            let a = json[key].as_array().unwrap();
            let b = reference[key].as_array().unwrap();
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-4,
                    "{name} {key}"
                );
            }
        }
    }
}
