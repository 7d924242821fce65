//! Tests of the CT series writer: `dciodvfy` finds no error, dicom-object
//! and pydicom read back the voxels and geometry exactly, seeded output is
//! byte-identical, and bad options give errors rather than panics.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use dicom_dictionary_std::{tags, uids};
use dicom_object::{DefaultDicomObject, open_file};
use imaging_io::dicom_write::{CtSeriesOptions, CtSeriesWritten, write_ct_series};
use imaging_io::testing::python_with;
use imaging_io::uid::is_valid_uid;
use imaging_io::{Geometry, IoError, ScanMeta, Volume};
use ndarray::Array3;

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dicom_write-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 64x48x10 voxels of 0.7x0.8x2.5 mm on an oblique grid, values covering
/// -2048..=3071 HU.
fn phantom() -> Volume<i16> {
    let (a, b) = (0.3f64, 0.2f64);
    let (ca, sa, cb, sb) = (a.cos(), a.sin(), b.cos(), b.sin());
    // Rotation about z by a, then about x by b: orthonormal columns.
    let direction = [
        [ca, sa * cb, sa * sb],
        [-sa, ca * cb, ca * sb],
        [0.0, -sb, cb],
    ];
    let geometry = Geometry {
        dims: [64, 48, 10],
        spacing: [0.7, 0.8, 2.5],
        origin: [-123.456_789_012, 87.654_321_098, -456.789_012_345],
        direction,
    };
    let data = Array3::from_shape_fn((10, 48, 64), |(z, y, x)| {
        ((x * 37 + y * 101 + z * 1009) % 5120) as i16 - 2048
    });
    let mut volume = Volume::new(data, geometry).unwrap();
    volume.data_mut()[(0, 0, 0)] = -2048;
    volume.data_mut()[(9, 47, 63)] = 3071;
    volume
}

/// Metadata of a source scan, with a non-ASCII name.
fn full_meta() -> ScanMeta {
    ScanMeta {
        modality: Some("CT".into()),
        patient_age_years: Some(65.4),
        patient_sex: Some("F".into()),
        study_date: Some("20240131".into()),
        study_uid: Some("1.2.826.0.1.3680043.8.498.1".into()),
        frame_of_reference_uid: Some("1.2.826.0.1.3680043.8.498.2".into()),
        series_uid: Some("1.2.826.0.1.3680043.8.498.3".into()),
        patient_id: Some("P-0001".into()),
        patient_name: Some("Wang^Fang=王^芳".into()),
        accession_number: Some("ACC123".into()),
        manufacturer: Some("SIEMENS".into()),
        model: Some("SOMATOM Force".into()),
        kvp: Some(120.0),
        kernel: Some("Br40d\\3".into()),
        slice_thickness_mm: Some(2.0),
        contrast_agent: Some("Iomeprol".into()),
        contrast_route: Some("IV".into()),
        body_part: Some("Chest".into()),
        ctdi_vol_mgy: Some(7.5),
        study_description: Some("CT THORAX".into()),
        ..ScanMeta::default()
    }
}

/// Options that make the output reproducible.
fn seeded(seed: &str) -> CtSeriesOptions {
    CtSeriesOptions {
        uid_seed: Some(seed.into()),
        timestamp: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        patient_id: Some("PHANTOM-1".into()),
        series_description: Some("airad phantom".into()),
        ..CtSeriesOptions::default()
    }
}

fn floats(obj: &DefaultDicomObject, tag: dicom_core::Tag) -> Vec<f64> {
    obj.element(tag).unwrap().to_multi_float64().unwrap()
}

fn text(obj: &DefaultDicomObject, tag: dicom_core::Tag) -> String {
    let s = obj.element(tag).unwrap().to_str().unwrap();
    s.trim_end_matches(['\0', ' ']).to_string()
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-4, "{what}: {got:?} vs {want:?}");
    }
}

/// Reads every file back with dicom-object and compares with the volume.
fn check_read_back(volume: &Volume<i16>, written: &CtSeriesWritten) {
    let g = volume.geometry();
    let [nx, ny, nz] = g.dims;
    assert_eq!(written.files.len(), nz);
    for (z, path) in written.files.iter().enumerate() {
        let obj = open_file(path).unwrap();
        assert_eq!(
            obj.meta().transfer_syntax(),
            uids::EXPLICIT_VR_LITTLE_ENDIAN
        );
        assert_eq!(text(&obj, tags::SOP_CLASS_UID), uids::CT_IMAGE_STORAGE);
        assert_eq!(
            text(&obj, tags::SOP_INSTANCE_UID),
            written.sop_instance_uids[z]
        );
        assert_eq!(text(&obj, tags::SERIES_INSTANCE_UID), written.series_uid);
        assert_eq!(text(&obj, tags::STUDY_INSTANCE_UID), written.study_uid);
        assert_eq!(
            text(&obj, tags::FRAME_OF_REFERENCE_UID),
            written.frame_of_reference_uid
        );
        assert_eq!(text(&obj, tags::INSTANCE_NUMBER), (z + 1).to_string());
        assert_eq!(
            obj.element(tags::ROWS).unwrap().to_int::<usize>().unwrap(),
            ny
        );
        assert_eq!(
            obj.element(tags::COLUMNS)
                .unwrap()
                .to_int::<usize>()
                .unwrap(),
            nx
        );
        assert_eq!(
            obj.element(tags::PIXEL_REPRESENTATION)
                .unwrap()
                .to_int::<u16>()
                .unwrap(),
            1
        );
        assert_close("slope", &floats(&obj, tags::RESCALE_SLOPE), &[1.0]);
        assert_close("intercept", &floats(&obj, tags::RESCALE_INTERCEPT), &[0.0]);
        let ipp = g.index_to_lps([0.0, 0.0, z as f64]);
        assert_close("IPP", &floats(&obj, tags::IMAGE_POSITION_PATIENT), &ipp);
        let [r, c] = [g.direction[0], g.direction[1]];
        let iop = [r[0], r[1], r[2], c[0], c[1], c[2]];
        assert_close("IOP", &floats(&obj, tags::IMAGE_ORIENTATION_PATIENT), &iop);
        let spacing = [g.spacing[1], g.spacing[0]];
        assert_close("PixelSpacing", &floats(&obj, tags::PIXEL_SPACING), &spacing);
        assert_close(
            "SpacingBetweenSlices",
            &floats(&obj, tags::SPACING_BETWEEN_SLICES),
            &[g.spacing[2]],
        );
        let bytes = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
        let pixels: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let want: Vec<i16> = volume.slice_z(z).iter().copied().collect();
        assert_eq!(pixels, want, "pixels of slice {z}");
    }
}

/// Runs dciodvfy on every file; fails on any line with "Error". Returns the
/// report of the first file, or `None` when dciodvfy is missing.
fn check_dciodvfy(files: &[PathBuf]) -> Option<String> {
    let tool = Path::new("/usr/bin/dciodvfy");
    if !tool.exists() {
        eprintln!("skipping dciodvfy: /usr/bin/dciodvfy is missing (Debian dicom3tools)");
        return None;
    }
    let mut first = None;
    for file in files {
        let out = Command::new(tool).arg(file).output().unwrap();
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let errors: Vec<&str> = report.lines().filter(|l| l.contains("Error")).collect();
        assert!(errors.is_empty(), "dciodvfy {}:\n{report}", file.display());
        first.get_or_insert(report);
    }
    first
}

const PYDICOM_CHECK: &str = r#"
import sys, glob, os, numpy as np, pydicom
folder, raw, nx, ny, nz = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
want = np.fromfile(raw, dtype="<i2").reshape(nz, ny, nx)
ds = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(folder, "IM*.dcm")))]
ds.sort(key=lambda d: int(d.InstanceNumber))
assert len(ds) == nz, len(ds)
for z, d in enumerate(ds):
    hu = d.pixel_array.astype(np.float64) * float(d.RescaleSlope) + float(d.RescaleIntercept)
    assert hu.shape == (ny, nx), hu.shape
    bad = np.argwhere(hu != want[z])
    assert bad.size == 0, f"slice {z}: {len(bad)} voxels differ, first at {bad[0]}"
    assert d.RescaleType == "HU" and d.Modality == "CT"
print("pydicom OK", len(ds), "slices, range", int(want.min()), int(want.max()))
"#;

/// Checks the voxels with pydicom when a Python with it is available.
fn check_pydicom(dir: &Path, volume: &Volume<i16>) {
    let Some(python) = python_with(&["pydicom", "numpy"]) else {
        return;
    };
    let raw = dir.with_extension("raw");
    let bytes: Vec<u8> = volume
        .as_slice()
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(&raw, bytes).unwrap();
    let [nx, ny, nz] = volume.dims().map(|d| d.to_string());
    let out = Command::new(python)
        .args(["-c", PYDICOM_CHECK])
        .arg(dir)
        .arg(&raw)
        .args([nx, ny, nz])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pydicom check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim());
    let _ = std::fs::remove_file(raw);
}

#[test]
fn synthetic_series_is_valid_and_exact() {
    let volume = phantom();
    let dir = scratch("defaults");
    let written = write_ct_series(
        &dir,
        &volume,
        &ScanMeta::default(),
        &CtSeriesOptions::default(),
    )
    .unwrap();
    for uid in [
        &written.study_uid,
        &written.series_uid,
        &written.frame_of_reference_uid,
    ]
    .into_iter()
    .chain(&written.sop_instance_uids)
    {
        assert!(is_valid_uid(uid) && uid.starts_with("2.25."), "{uid}");
    }
    let mut distinct = written.sop_instance_uids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    assert_eq!(written.files[0].file_name().unwrap(), "IM00001.dcm");
    check_read_back(&volume, &written);
    if let Some(report) = check_dciodvfy(&written.files) {
        eprintln!("dciodvfy {}:\n{report}", written.files[0].display());
    }
    check_pydicom(&dir, &volume);
    let obj = open_file(&written.files[0]).unwrap();
    assert_eq!(text(&obj, tags::IMAGE_TYPE), "DERIVED\\SECONDARY\\AXIAL");
    assert_eq!(text(&obj, tags::MANUFACTURER), "airad");
    assert_close("thickness", &floats(&obj, tags::SLICE_THICKNESS), &[2.5]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn source_metadata_is_carried() {
    let volume = phantom();
    let dir = scratch("meta");
    let meta = full_meta();
    let written = write_ct_series(&dir, &volume, &meta, &seeded("meta")).unwrap();
    assert_eq!(written.study_uid, "1.2.826.0.1.3680043.8.498.1");
    assert_eq!(
        written.frame_of_reference_uid,
        "1.2.826.0.1.3680043.8.498.2"
    );
    assert_ne!(written.series_uid, "1.2.826.0.1.3680043.8.498.3");
    check_read_back(&volume, &written);
    if let Some(report) = check_dciodvfy(&written.files) {
        eprintln!("dciodvfy with source metadata:\n{report}");
    }
    check_pydicom(&dir, &volume);
    let obj = open_file(&written.files[3]).unwrap();
    assert_eq!(text(&obj, tags::SPECIFIC_CHARACTER_SET), "ISO_IR 192");
    assert_eq!(text(&obj, tags::PATIENT_NAME), "Wang^Fang=王^芳");
    assert_eq!(text(&obj, tags::PATIENT_ID), "PHANTOM-1");
    assert_eq!(text(&obj, tags::PATIENT_AGE), "065Y");
    assert_eq!(text(&obj, tags::PATIENT_SEX), "F");
    assert_eq!(text(&obj, tags::STUDY_DATE), "20240131");
    assert_eq!(text(&obj, tags::SERIES_DATE), "20231114");
    assert_eq!(text(&obj, tags::CONVOLUTION_KERNEL), "Br40d\\3");
    assert_eq!(text(&obj, tags::MANUFACTURER), "SIEMENS");
    assert_eq!(text(&obj, tags::BODY_PART_EXAMINED), "CHEST");
    assert_eq!(text(&obj, tags::SERIES_DESCRIPTION), "airad phantom");
    assert_close("kVp", &floats(&obj, tags::KVP), &[120.0]);
    assert_close("thickness", &floats(&obj, tags::SLICE_THICKNESS), &[2.0]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn seeded_output_is_byte_identical() {
    let volume = phantom();
    let (a, b, c) = (scratch("seed-a"), scratch("seed-b"), scratch("seed-c"));
    let wa = write_ct_series(&a, &volume, &ScanMeta::default(), &seeded("case-7")).unwrap();
    let wb = write_ct_series(&b, &volume, &ScanMeta::default(), &seeded("case-7")).unwrap();
    let wc = write_ct_series(&c, &volume, &ScanMeta::default(), &seeded("case-8")).unwrap();
    assert_eq!(wa.series_uid, wb.series_uid);
    assert_eq!(wa.sop_instance_uids, wb.sop_instance_uids);
    for (fa, fb) in wa.files.iter().zip(&wb.files) {
        assert_eq!(
            std::fs::read(fa).unwrap(),
            std::fs::read(fb).unwrap(),
            "{fa:?}"
        );
    }
    assert_ne!(wa.study_uid, wc.study_uid);
    assert_ne!(wa.series_uid, wc.series_uid);
    assert!(
        wa.sop_instance_uids
            .iter()
            .all(|u| !wc.sop_instance_uids.contains(u))
    );
    for dir in [a, b, c] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn bad_options_and_paths_are_errors() {
    let volume = phantom();
    let dir = scratch("errors");
    let meta = ScanMeta::default();
    let bad_root = CtSeriesOptions {
        uid_root: "1.02.3".into(),
        ..CtSeriesOptions::default()
    };
    let err = write_ct_series(&dir, &volume, &meta, &bad_root).unwrap_err();
    assert!(matches!(err, IoError::BadInput { .. }), "{err}");
    let bad_uid = CtSeriesOptions {
        series_uid: Some("1.2.abc".into()),
        ..CtSeriesOptions::default()
    };
    let err = write_ct_series(&dir, &volume, &meta, &bad_uid).unwrap_err();
    assert!(err.to_string().contains("1.2.abc"), "{err}");
    let bad_image_type = CtSeriesOptions {
        image_type: vec!["DERIVED".into()],
        ..CtSeriesOptions::default()
    };
    assert!(write_ct_series(&dir, &volume, &meta, &bad_image_type).is_err());
    // A file where the folder should be.
    let blocker = dir.join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let target = blocker.join("series");
    let err = write_ct_series(&target, &volume, &meta, &CtSeriesOptions::default()).unwrap_err();
    assert!(matches!(err, IoError::Io { .. }), "{err}");
    assert_eq!(err.path(), target);
    std::fs::remove_dir_all(&dir).unwrap();
}
