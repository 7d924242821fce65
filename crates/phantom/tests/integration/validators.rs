//! The phantom folder checked by independent tools: `dciodvfy` (Debian
//! dicom3tools) finds no error in the DICOM series, and nibabel reads
//! `labels.nii.gz` on exactly the grid and affine (sform and qform) of
//! `ct.nii.gz`, with every label value named in `labels.json`. Each check
//! skips with a printed reason when its tool is absent.

use crate::common;

use std::process::Command;

use common::small;
use imaging_io::testing::{program, python_with};
use phantom::{generate, write_phantom};

/// A small abnormal phantom written to a fresh folder.
fn written(seed: u64) -> (tempfile::TempDir, phantom::Phantom) {
    let mut p = small(seed, false);
    p.matrix = 64;
    p.slice_mm = 8.0;
    p.z_extent_mm = Some(160.0);
    let ph = generate(&p, &imaging_io::NoProgress).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_phantom(dir.path(), &ph).unwrap();
    (dir, ph)
}

#[test]
fn dciodvfy_finds_no_error_in_the_series() {
    let Some(tool) = program("dciodvfy") else {
        return;
    };
    let (dir, ph) = written(31);
    let mut files: Vec<_> = std::fs::read_dir(dir.path().join("dicom"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), ph.ct.dims()[2], "one file per slice");
    let mut warnings = 0;
    for file in &files {
        let out = Command::new(&tool).arg(file).output().unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let errors: Vec<&str> = report.lines().filter(|l| l.contains("Error")).collect();
        assert!(errors.is_empty(), "dciodvfy {}:\n{report}", file.display());
        assert!(
            report.contains("CTImage"),
            "dciodvfy did not recognise a CT image in {}:\n{report}",
            file.display()
        );
        warnings += report.lines().filter(|l| l.contains("Warning")).count();
    }
    eprintln!(
        "dciodvfy: {} files, no error, {warnings} warning line(s)",
        files.len()
    );
}

const NIBABEL_CHECK: &str = r#"
import sys, json, numpy as np, nibabel as nib
folder = sys.argv[1]
ct = nib.load(folder + "/ct.nii.gz")
lab = nib.load(folder + "/labels.nii.gz")
assert ct.shape == lab.shape, (ct.shape, lab.shape)
for img, name in ((ct, "ct"), (lab, "labels")):
    s, sc = img.header.get_sform(coded=True)
    q, qc = img.header.get_qform(coded=True)
    assert sc > 0 and qc > 0, (name, sc, qc)
    assert np.allclose(s, q, atol=1e-4), (name, s, q)
assert np.array_equal(ct.header.get_sform(), lab.header.get_sform()), "sforms differ"
assert np.allclose(ct.header.get_qform(), lab.header.get_qform(), atol=1e-6), "qforms differ"
assert np.issubdtype(lab.get_data_dtype(), np.integer), lab.get_data_dtype()
legend = json.load(open(folder + "/labels.json"))
values = np.unique(np.asarray(lab.dataobj))
missing = [int(v) for v in values if v != 0 and str(int(v)) not in legend]
assert not missing, missing
print("nibabel OK", ct.shape, len(values), "labels")
"#;

#[test]
fn labels_lie_on_the_ct_grid_and_affine_for_nibabel() {
    let Some(python) = python_with(&["nibabel", "numpy"]) else {
        return;
    };
    let (dir, _) = written(32);
    let out = Command::new(python)
        .args(["-c", NIBABEL_CHECK])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "nibabel check failed:\n{text}");
    assert!(text.contains("nibabel OK"), "{text}");
}
