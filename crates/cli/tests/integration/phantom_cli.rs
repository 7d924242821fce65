//! `airad phantom`, `airad phantom suite` and `airad demo` end to end on
//! small phantoms: the options reach the phantom, the folder is the
//! contract's, the same seed and options give the same voxels, `airad
//! info` reads the DICOM series back on the grid of ct.nii.gz, an unknown
//! finding code is a usage error naming the supported ones, and the demo
//! writes the analysis outputs beside the phantom and prints the ground
//! truth beside the reported findings.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use common::airad;
use serde_json::Value;

/// Small-size options: quick in a dev build.
const SMALL: [&str; 4] = ["--matrix", "96", "--z-extent-mm", "100"];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn truth_codes(dir: &Path) -> Vec<String> {
    let doc = aisu::FindingsDocument::from_json(
        &std::fs::read_to_string(dir.join("ground_truth.json")).unwrap(),
    )
    .unwrap();
    doc.findings.iter().map(|f| f.code.clone()).collect()
}

fn run_ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = airad(args);
    assert_eq!(code, 0, "airad {args:?} failed:\n{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stdout
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn phantom_is_reproducible_and_reads_back_through_info() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let mut args = vec![
        "phantom",
        "--seed",
        "5",
        "--findings",
        "F01,F14",
        "--slice-mm",
        "5",
        "--noise-hu",
        "30",
        "--kernel",
        "B70f",
        "--family",
        "barrel",
    ];
    args.extend(SMALL);
    let a_args: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--out", a.to_str().unwrap()])
        .collect();
    let stdout = run_ok(&a_args);
    assert!(stdout.contains("F01") && stdout.contains("F14"), "{stdout}");
    assert!(stdout.contains(&a.display().to_string()), "{stdout}");
    for f in [
        "ct.nii.gz",
        "labels.nii.gz",
        "labels.json",
        "ground_truth.json",
        "params.json",
    ] {
        assert!(a.join(f).is_file(), "{f} missing");
    }
    assert!(a.join("dicom").is_dir());

    // The options reached the phantom.
    let params = read_json(&a.join("params.json"));
    assert_eq!(params["seed"], 5);
    assert_eq!(params["slice_mm"], 5.0);
    assert_eq!(params["noise_hu"], 30.0);
    assert_eq!(params["matrix"], 96);
    assert_eq!(params["z_extent_mm"], 100.0);
    assert_eq!(params["kernel"]["name"], "B70f");
    assert_eq!(params["kernel"]["class"], "sharp");
    assert_eq!(params["shape_family"], "barrel");
    assert_eq!(params["normal"], false);
    let codes: BTreeSet<String> = truth_codes(&a).into_iter().collect();
    assert_eq!(
        codes,
        BTreeSet::from(["F01".to_string(), "F14".to_string()])
    );

    // Same seed and options: identical voxels, labels and ground truth.
    let b_args: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--out", b.to_str().unwrap()])
        .collect();
    run_ok(&b_args);
    let ct_a = imaging_io::nifti_io::read_nifti(&a.join("ct.nii.gz")).unwrap();
    let ct_b = imaging_io::nifti_io::read_nifti(&b.join("ct.nii.gz")).unwrap();
    assert_eq!(ct_a.volume.as_slice(), ct_b.volume.as_slice());
    let lab_a = imaging_io::nifti_io::read_nifti_labels(&a.join("labels.nii.gz")).unwrap();
    let lab_b = imaging_io::nifti_io::read_nifti_labels(&b.join("labels.nii.gz")).unwrap();
    assert_eq!(lab_a.as_slice(), lab_b.as_slice());
    assert_eq!(
        std::fs::read_to_string(a.join("ground_truth.json")).unwrap(),
        std::fs::read_to_string(b.join("ground_truth.json")).unwrap()
    );

    // `airad info --json` on dicom/ gives the geometry of ct.nii.gz.
    let dicom = read_info(&a.join("dicom"));
    let nifti = read_info(&a.join("ct.nii.gz"));
    assert_eq!(dicom["dims"], nifti["dims"]);
    assert_eq!(numbers(&dicom["dims"])[2], ct_a.volume.dims()[2] as f64);
    for key in ["spacing", "origin", "direction"] {
        let (d, n) = (numbers(&dicom[key]), numbers(&nifti[key]));
        assert_eq!(d.len(), n.len(), "{key}");
        for (x, y) in d.iter().zip(&n) {
            assert!((x - y).abs() < 1e-4, "{key}: DICOM {d:?} vs NIfTI {n:?}");
        }
    }
    assert_eq!(numbers(&dicom["spacing"])[2], 5.0);
    assert_eq!(dicom["kernel"], "B70f");
    assert_eq!(dicom["modality"], "CT");
}

fn read_info(path: &Path) -> Value {
    let stdout = run_ok(&["info", path.to_str().unwrap(), "--json"]);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("info --json: {e}\n{stdout}"))
}

#[test]
fn normal_phantom_has_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("n");
    let normal = |slice_mm: &str| {
        run_ok(&[
            "phantom",
            "--seed",
            "9",
            "--normal",
            "--matrix",
            "64",
            "--z-extent-mm",
            "80",
            "--slice-mm",
            slice_mm,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    normal("4");
    assert_eq!(std::fs::read_dir(out.join("dicom")).unwrap().count(), 20);
    // Written again over the first, with half the slices: one clean series.
    let stdout = normal("8");
    assert!(stdout.contains("no finding"), "{stdout}");
    assert!(truth_codes(&out).is_empty());
    assert_eq!(read_json(&out.join("params.json"))["normal"], true);
    assert_eq!(std::fs::read_dir(out.join("dicom")).unwrap().count(), 10);
    assert_eq!(numbers(&read_info(&out.join("dicom"))["dims"])[2], 10.0);
}

#[test]
fn unknown_finding_code_is_a_usage_error_listing_supported_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let (code, _, stderr) = airad(&[
        "phantom",
        "--seed",
        "1",
        "--findings",
        "F01,F77",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(lines[0].contains("F77"), "{stderr}");
    for c in phantom::lesions::supported_codes() {
        assert!(lines[0].contains(c), "{c} not listed: {stderr}");
    }
    assert!(!out.exists(), "nothing is written on a usage error");

    // --normal and --findings contradict each other; --seed is required.
    let (code, _, _) = airad(&[
        "phantom",
        "--seed",
        "1",
        "--normal",
        "--findings",
        "F01",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    let (code, _, _) = airad(&["phantom", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    let (code, _, _) = airad(&[
        "phantom",
        "suite",
        "--count",
        "0",
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
}

#[test]
fn suite_of_two_is_listed_with_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("suite");
    let stdout = run_ok(&[
        "phantom",
        "suite",
        "--count",
        "2",
        "--seed",
        "4",
        // The whole chest (cases carry findings of any organ), coarse.
        "--matrix",
        "48",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("case-001") && stdout.contains("case-002"),
        "{stdout}"
    );
    let suite = read_json(&out.join("suite.json"));
    assert_eq!(suite["seed"], 4);
    let cases = suite["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for (i, case) in cases.iter().enumerate() {
        let name = format!("case-{:03}", i + 1);
        assert_eq!(case["case"], name.as_str());
        let folder = out.join(&name);
        assert!(folder.join("dicom").is_dir() && folder.join("ct.nii.gz").is_file());
        let listed: Vec<String> = case["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(listed, truth_codes(&folder), "{name}");
        // Two cases: both abnormal, each with at least one finding.
        assert!(!listed.is_empty(), "{name} has no finding");
        assert_eq!(case["params"]["matrix"], 48);
        assert!(case["params"]["z_extent_mm"].is_null());
    }
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let stdout = run_ok(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--seed",
        "3",
        "--matrix",
        "96",
    ]);
    for f in [
        "phantom/ground_truth.json",
        "phantom/dicom",
        "findings.json",
        "run.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let reported = aisu::FindingsDocument::from_json(
        &std::fs::read_to_string(out.join("findings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        read_json(&out.join("run.json"))["input"],
        out.join("phantom/dicom").display().to_string()
    );
    let truth = truth_codes(&out.join("phantom"));
    assert!(!truth.is_empty());
    // The side-by-side lists every ground-truth and every reported finding.
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Ground truth vs airad"))
        .skip(2)
        .take_while(|l| l.contains(" | "))
        .collect();
    let pairs = eval_pairs(&out);
    assert_eq!(
        table.len(),
        (truth.len() + reported.findings.len() - pairs).max(1),
        "{stdout}"
    );
    let left: Vec<&str> = table
        .iter()
        .map(|l| l.split(" | ").next().unwrap())
        .collect();
    for code in &truth {
        assert!(
            left.iter().any(|l| l.contains(code.as_str())),
            "{code}: {stdout}"
        );
    }
    for f in &reported.findings {
        assert!(
            table.iter().any(|l| l.contains(&f.id)),
            "{}: {stdout}",
            f.id
        );
    }
}

/// Matched pairs between the demo's findings and its ground truth.
fn eval_pairs(out: &Path) -> usize {
    let read =
        |p: &Path| aisu::FindingsDocument::from_json(&std::fs::read_to_string(p).unwrap()).unwrap();
    let truth = read(&out.join("phantom/ground_truth.json"));
    let reported = read(&out.join("findings.json"));
    eval::finding_score::match_findings(&reported.findings, &truth.findings).len()
}
