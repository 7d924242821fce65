//! A CT series written by imaging-io reads back through imaging-io's own
//! DICOM reader with identical voxels, geometry and metadata, on an oblique
//! anisotropic grid and on the real A0001 scan.

use imaging_io::dicom_read::{DicomReadOptions, read_dicom};
use imaging_io::dicom_write::{CtSeriesOptions, write_ct_series};
use imaging_io::testing::real_data;
use imaging_io::{Geometry, NoProgress, ScanMeta, Volume};
use ndarray::Array3;

fn oblique_volume() -> Volume<i16> {
    let (a, b) = (0.25f64, -0.15f64);
    let (ca, sa, cb, sb) = (a.cos(), a.sin(), b.cos(), b.sin());
    let geometry = Geometry {
        dims: [40, 30, 12],
        spacing: [0.65, 0.9, 1.25],
        origin: [-150.25, 42.5, -310.0],
        direction: [
            [ca, sa * cb, sa * sb],
            [-sa, ca * cb, ca * sb],
            [0.0, -sb, cb],
        ],
    };
    let data = Array3::from_shape_fn((12, 30, 40), |(z, y, x)| {
        ((x * 53 + y * 97 + z * 1013) % 6000) as i16 - 3024
    });
    Volume::new(data, geometry).unwrap()
}

fn assert_same(written: &Volume<i16>, read: &Volume<i16>) {
    assert_eq!(read.as_slice(), written.as_slice(), "voxels differ");
    let (g, h) = (written.geometry(), read.geometry());
    assert!(g.same_grid(h, 1e-4), "geometry differs:\n{g:?}\n{h:?}");
}

#[test]
fn oblique_series_round_trips() {
    let volume = oblique_volume();
    let meta = ScanMeta {
        patient_sex: Some("M".into()),
        patient_age_years: Some(71.0),
        kvp: Some(100.0),
        kernel: Some("B45f".into()),
        slice_thickness_mm: Some(1.25),
        ..ScanMeta::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let written = write_ct_series(dir.path(), &volume, &meta, &CtSeriesOptions::default()).unwrap();
    let image = read_dicom(dir.path(), &DicomReadOptions::default(), &NoProgress).unwrap();
    assert_same(&volume, &image.volume);
    assert!(image.warnings.is_empty(), "{:?}", image.warnings);
    assert_eq!(
        image.meta.series_uid.as_deref(),
        Some(written.series_uid.as_str())
    );
    assert_eq!(image.meta.kvp, Some(100.0));
    assert_eq!(image.meta.kernel.as_deref(), Some("B45f"));
    assert_eq!(image.meta.patient_age_years, Some(71.0));
    let uids: Vec<String> = image
        .meta
        .slice_sop_instance_uids
        .iter()
        .flatten()
        .cloned()
        .collect();
    assert_eq!(uids, written.sop_instance_uids, "z order of SOP instances");
}

#[test]
fn real_scan_round_trips() {
    let Some(source) = real_data("lung-pet-ct-dx/A0001/ct") else {
        return;
    };
    let original = read_dicom(&source, &DicomReadOptions::default(), &NoProgress).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_ct_series(
        dir.path(),
        &original.volume,
        &original.meta,
        &CtSeriesOptions::default(),
    )
    .unwrap();
    let again = read_dicom(dir.path(), &DicomReadOptions::default(), &NoProgress).unwrap();
    assert_same(&original.volume, &again.volume);
    assert_eq!(
        again.meta.study_uid, original.meta.study_uid,
        "source study kept"
    );
    assert_ne!(
        again.meta.series_uid, original.meta.series_uid,
        "new series"
    );
}
