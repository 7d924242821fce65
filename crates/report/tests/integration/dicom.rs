//! SR and SEG from a synthetic DICOM CT series: structure checked by
//! dcmtk (dsrdump), dicom3tools (dciodvfy) and highdicom, values checked
//! against the findings document and the lesion label map.

use std::path::Path;
use std::process::Command;

use aisu::{FindingsDocument, Site, Urgency};
use imaging_io::dicom_write::{CtSeriesOptions, write_ct_series};
use imaging_io::testing::{program, python_with};
use imaging_io::{LoadedImage, ScanMeta};
use report::assemble::ReportInput;
use report::outputs::{DicomSource, Format, OutputOptions, write_outputs};
use report::sample;
use volume::{Geometry, Volume};

/// A 48 x 40 x 12 CT series on disk, read back; a lesion map with two
/// lesions; a document of three findings (the third without voxels).
fn fixture(dir: &Path) -> (LoadedImage, Volume<u16>, FindingsDocument) {
    let mut g = Geometry::new([48, 40, 12], [0.8, 0.7, 2.5], [-20.0, -15.0, -120.0]);
    g.direction = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let mut ct = Volume::filled(g, -1000i16);
    for (i, v) in ct.data_mut().iter_mut().enumerate() {
        *v = -900 + (i % 97) as i16;
    }
    let meta = ScanMeta {
        patient_name: Some("Test^Patient".into()),
        patient_id: Some("P-0001".into()),
        patient_sex: Some("F".into()),
        study_date: Some("20250301".into()),
        accession_number: Some("ACC1".into()),
        kvp: Some(120.0),
        ..ScanMeta::default()
    };
    let series = dir.join("dicom");
    write_ct_series(&series, &ct, &meta, &CtSeriesOptions::default()).unwrap();
    let loaded =
        imaging_io::read_image(&series, &Default::default(), &imaging_io::NoProgress).unwrap();
    assert_eq!(loaded.meta.slice_sop_instance_uids.len(), 12);
    let mut lesions = Volume::filled(*loaded.volume.geometry(), 0u16);
    let [nx, ny, _] = lesions.dims();
    {
        let data = lesions.data_mut();
        for ((z, y, x), v) in data.indexed_iter_mut() {
            let d2 = (x as f64 - 12.0).powi(2)
                + (y as f64 - 10.0).powi(2)
                + ((z as f64 - 5.0) * 3.0).powi(2);
            if d2 <= 16.0 {
                *v = 1;
            }
            if (30..40).contains(&x) && (25..35).contains(&y) && (2..9).contains(&z) {
                *v = 2;
            }
        }
    }
    assert!(nx > 40 && ny > 35);
    let mut doc = FindingsDocument::new(sample::study(aisu::ExamContext::Screening));
    doc.study.study_uid = loaded.meta.study_uid.clone();
    doc.study.series_uid = loaded.meta.series_uid.clone();
    let mut f1 = sample::finding(
        1,
        "F01",
        sample::site("right", "RUL"),
        &[
            ("mean_diameter", 6.4, "mm"),
            ("volume", 0.137, "mL"),
            ("mean_hu", -12.0, "HU"),
        ],
        Urgency::Routine,
    );
    f1.category = sample::grade("Lung-RADS v2022", "3", aisu::ExamContext::Screening);
    let f2 = sample::finding(
        2,
        "F14",
        sample::site("left", ""),
        &[("volume", 12.5, "mL"), ("max_depth", 8.0, "mm")],
        Urgency::Tier2,
    );
    let f3 = sample::finding(
        3,
        "F19",
        Site::default(),
        &[("agatston", 120.0, "1")],
        Urgency::Routine,
    );
    doc.findings = vec![f1, f2, f3];
    (loaded, lesions, doc)
}

fn write(dir: &Path, loaded: &LoadedImage, lesions: &Volume<u16>, doc: &FindingsDocument) {
    let input = ReportInput::new(doc);
    let options = OutputOptions {
        formats: [Format::Sr, Format::Seg, Format::Fhir]
            .into_iter()
            .collect(),
        ct: Some(&loaded.volume),
        lesions: Some(lesions),
        dicom: Some(DicomSource {
            meta: loaded.meta.clone(),
            geometry: *loaded.volume.geometry(),
        }),
        pdf: None,
    };
    let written = write_outputs(dir, &input, &options).unwrap();
    assert!(written.notices.is_empty(), "{:?}", written.notices);
    assert!(dir.join("sr.dcm").is_file() && dir.join("seg.dcm").is_file());
}

/// dciodvfy warnings documented in docs/outputs.md (substring of the
/// message): any other warning fails the test, so the docs stay complete.
const KNOWN_WARNINGS: [&str; 3] = [
    "Missing attribute or value that would be needed to build DICOMDIR - Study Time",
    "Missing attribute or value that would be needed to build DICOMDIR - Study ID",
    "Unrecognized defined term <99AIRAD> for value 1 of attribute <Coding Scheme Designator>",
];

/// dsrdump renders the SR with one measurement group per finding;
/// dciodvfy finds no error in SR and SEG and only documented warnings.
/// Each tool missing is skipped with a printed reason.
fn check_with_dcmtk_and_dciodvfy(dir: &Path, doc: &FindingsDocument) {
    if let Some(dsrdump) = program("dsrdump") {
        let out = Command::new(dsrdump)
            .arg("+Pc")
            .arg(dir.join("sr.dcm"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("Imaging Measurement Report"), "{text}");
        assert_eq!(
            text.matches("\"Measurement Group\"").count(),
            doc.findings.len(),
            "{text}"
        );
        assert!(text.contains("Preliminary Flag    : PRELIMINARY"), "{text}");
        assert!(
            text.contains("(121191,DCM,\"Referenced Segment\")"),
            "{text}"
        );
        for f in &doc.findings {
            assert!(
                text.contains(&format!("\"{}\"", f.id)),
                "{} in {text}",
                f.id
            );
        }
    }
    if let Some(dciodvfy) = program("dciodvfy") {
        for name in ["sr.dcm", "seg.dcm"] {
            let out = Command::new(&dciodvfy)
                .arg(dir.join(name))
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stderr).to_string()
                + &String::from_utf8_lossy(&out.stdout);
            let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("Error")).collect();
            assert!(errors.is_empty(), "{name}:\n{text}");
            let unknown: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with("Warning"))
                .filter(|l| !KNOWN_WARNINGS.iter().any(|k| l.contains(k)))
                .collect();
            assert!(
                unknown.is_empty(),
                "{name}: warnings not documented in docs/outputs.md:\n{}",
                unknown.join("\n")
            );
            let mut lines: Vec<&str> = text.lines().collect();
            lines.dedup();
            eprintln!("{name} dciodvfy:\n{}", lines.join("\n"));
        }
    }
}

#[test]
fn sr_and_seg_pass_dciodvfy_and_dsrdump() {
    let tmp = tempfile::tempdir().unwrap();
    let (loaded, lesions, doc) = fixture(tmp.path());
    write(tmp.path(), &loaded, &lesions, &doc);
    check_with_dcmtk_and_dciodvfy(tmp.path(), &doc);
}

const CHECK: &str = r#"
import json, sys
import highdicom as hd
out = {"groups": [], "segments": {}}
sr = hd.sr.srread(sys.argv[1])
assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"
groups = list(sr.content.get_volumetric_roi_measurement_groups()) + list(sr.content.get_image_measurement_groups())
for g in groups:
    seg = None
    if hasattr(g, "referenced_segment") and g.referenced_segment is not None:
        seg = int(g.referenced_segment.referenced_segment_numbers[0])
        assert g.referenced_segment.source_series_for_segmentation.value == sys.argv[4]
    out["groups"].append({
        "tracking_id": g.tracking_identifier,
        "tracking_uid": str(g.tracking_uid),
        "finding": g.finding_type.value,
        "segment": seg,
        "measurements": {m.name.value: [m.value, m.unit.value] for m in g.get_measurements()},
        "evaluations": {q.name.value: q.value.value for q in g.get_qualitative_evaluations()},
    })
s = hd.seg.segread(sys.argv[2])
uids = json.loads(sys.argv[3])
for d in s.SegmentSequence:
    n = int(d.SegmentNumber)
    px = s.get_pixels_by_source_instance(uids, segment_numbers=[n], assert_missing_frames_are_empty=True)
    z, r, c, _ = px.nonzero()
    out["segments"][str(d.TrackingID)] = {"number": n, "uid": str(d.TrackingUID),
        "voxels": sorted([int(a), int(b), int(e)] for a, b, e in zip(z, r, c))}
print(json.dumps(out))
"#;

/// highdicom reads SR and SEG back: one measurement group per finding
/// with the values, units and grades of the document; SR and SEG share
/// tracking UIDs; each segment holds exactly the voxels of its finding's
/// `mask_label` in `lesions`; a finding without voxels has no segment.
fn check_with_highdicom(
    dir: &Path,
    loaded: &LoadedImage,
    lesions: &Volume<u16>,
    doc: &FindingsDocument,
) {
    let Some(python) = python_with(&["highdicom"]) else {
        return;
    };
    let uids: Vec<String> = loaded
        .meta
        .slice_sop_instance_uids
        .iter()
        .flatten()
        .cloned()
        .collect();
    let out = Command::new(python)
        .args(["-c", CHECK])
        .arg(dir.join("sr.dcm"))
        .arg(dir.join("seg.dcm"))
        .arg(serde_json::to_string(&uids).unwrap())
        .arg(loaded.meta.series_uid.clone().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(
        groups.len(),
        doc.findings.len(),
        "one measurement group per finding"
    );
    let [nx, ny, nz] = lesions.dims();
    let data = lesions.as_slice();
    let segments = v["segments"].as_object().unwrap();
    let mut with_voxels = 0;
    for f in &doc.findings {
        let g = groups
            .iter()
            .find(|g| g["tracking_id"] == f.id.as_str())
            .unwrap();
        assert_eq!(g["evaluations"]["catalogue-code"], f.code.as_str());
        let m = g["measurements"].as_object().unwrap();
        assert_eq!(m.len(), f.measurements.len(), "{}", f.id);
        for fm in &f.measurements {
            let concept = report::codes::measurement(&fm.name);
            let got = &m[&concept.value];
            assert!(
                (got[0].as_f64().unwrap() - fm.value).abs() <= 1e-9 * fm.value.abs().max(1.0),
                "{} {}: {} vs {}",
                f.id,
                fm.name,
                got[0],
                fm.value
            );
            assert_eq!(
                report::codes::unit_of_ucum(got[1].as_str().unwrap()),
                fm.unit
            );
        }
        if let Some(c) = &f.category {
            let key = c.system.split_whitespace().next().unwrap().to_lowercase();
            assert_eq!(g["evaluations"][key.as_str()], c.value.as_str(), "{}", f.id);
        }
        let mut expected = Vec::new();
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    if u32::from(data[x + nx * (y + ny * z)]) == f.mask_label {
                        expected.push(serde_json::json!([z, y, x]));
                    }
                }
            }
        }
        if expected.is_empty() {
            // No voxels: no segment, a TID 1501 group.
            assert!(g["segment"].is_null(), "{}", f.id);
            assert!(segments.get(&f.id).is_none(), "{}", f.id);
            continue;
        }
        with_voxels += 1;
        let s = &segments[&f.id];
        assert_eq!(
            s["uid"], g["tracking_uid"],
            "SR and SEG share the tracking UID"
        );
        assert_eq!(s["number"], g["segment"]);
        assert_eq!(
            s["voxels"].as_array().unwrap(),
            &expected,
            "{} voxels",
            f.id
        );
    }
    assert_eq!(
        segments.len(),
        with_voxels,
        "one segment per finding with voxels"
    );
}

#[test]
fn highdicom_reads_back_the_same_values_and_voxels() {
    let tmp = tempfile::tempdir().unwrap();
    let (loaded, lesions, doc) = fixture(tmp.path());
    write(tmp.path(), &loaded, &lesions, &doc);
    // The third finding has no voxels.
    assert!(!lesions.as_slice().contains(&3));
    check_with_highdicom(tmp.path(), &loaded, &lesions, &doc);
}

/// A small phantom (crates/phantom) with nodules, a subsolid nodule and
/// a mass in the upper chest, written as a DICOM series and read back;
/// its lesion labels as lesions.nii.gz; its ground truth as findings.
fn phantom_fixture(dir: &Path) -> (LoadedImage, Volume<u16>, FindingsDocument) {
    use phantom::lesions::{
        LesionSpec, mass::MassSpec, nodule::NoduleSpec, subsolid::SubsolidSpec,
    };
    let mut p = phantom::PhantomParams::from_seed(23);
    p.matrix = 96;
    p.slice_mm = 2.5;
    p.z_extent_mm = Some(110.0);
    p.normal = false;
    p.motion = false;
    p.arms = phantom::Arms::Up;
    p.kernel = phantom::Kernel::of_class(phantom::KernelClass::Standard);
    p.context = aisu::ExamContext::Screening;
    let nodule = |lobe: &str, d: f64| {
        LesionSpec::Nodule(NoduleSpec {
            lobe: Some(lobe.into()),
            diameter_mm: Some(d),
            ..Default::default()
        })
    };
    p.lesions = vec![
        nodule("RUL", 14.0),
        nodule("LUL", 9.0),
        LesionSpec::Subsolid(SubsolidSpec {
            lobe: Some("RUL".into()),
            diameter_mm: Some(16.0),
            ..Default::default()
        }),
        LesionSpec::Mass(MassSpec {
            lobe: Some("LUL".into()),
            diameter_mm: Some(40.0),
            ..Default::default()
        }),
    ];
    let ph = phantom::generate(&p, &imaging_io::NoProgress).unwrap();
    let meta = ScanMeta {
        patient_name: Some("Phantom^Seed23".into()),
        patient_id: Some("PH-23".into()),
        patient_sex: Some("M".into()),
        study_date: Some("20250301".into()),
        study_uid: ph.truth.study.study_uid.clone(),
        series_uid: ph.truth.study.series_uid.clone(),
        kvp: Some(p.kvp),
        kernel: Some(p.kernel.name.clone()),
        ..ScanMeta::default()
    };
    let series = dir.join("dicom");
    write_ct_series(&series, &ph.ct, &meta, &CtSeriesOptions::default()).unwrap();
    let loaded =
        imaging_io::read_image(&series, &Default::default(), &imaging_io::NoProgress).unwrap();
    assert!(loaded.volume.geometry().same_grid(ph.ct.geometry(), 1e-3));
    assert_eq!(loaded.volume.as_slice(), ph.ct.as_slice());
    let first = phantom::labels::LESION_BASE + 1;
    let mut lesions = Volume::filled(*loaded.volume.geometry(), 0u16);
    for (out, &l) in lesions.as_slice_mut().iter_mut().zip(ph.labels.as_slice()) {
        if l >= first {
            *out = l;
        }
    }
    let mut doc = ph.truth.clone();
    doc.study.study_uid = loaded.meta.study_uid.clone();
    doc.study.series_uid = loaded.meta.series_uid.clone();
    (loaded, lesions, doc)
}

#[test]
fn phantom_sr_and_seg_match_ground_truth_and_lesion_voxels() {
    let tmp = tempfile::tempdir().unwrap();
    let (loaded, lesions, doc) = phantom_fixture(tmp.path());
    assert!(doc.findings.len() >= 4, "{:?}", doc.findings);
    let with_voxels = doc
        .findings
        .iter()
        .filter(|f| lesions.as_slice().contains(&(f.mask_label as u16)))
        .count();
    assert!(with_voxels >= 3, "most phantom lesions own voxels");
    eprintln!(
        "phantom findings {:?}, {with_voxels} with voxels",
        doc.findings
            .iter()
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>()
    );
    write(tmp.path(), &loaded, &lesions, &doc);
    check_with_dcmtk_and_dciodvfy(tmp.path(), &doc);
    check_with_highdicom(tmp.path(), &loaded, &lesions, &doc);
    // The phantom's fhir.json validates against fhir.resources too.
    if let Some(python) = python_with(&["fhir.resources"]) {
        let script = "import sys, json\n\
            from fhir.resources.R4B.bundle import Bundle\n\
            b = Bundle.model_validate(json.load(open(sys.argv[1])))\n\
            print(sum(e.resource.get_resource_type() == 'Observation' for e in b.entry))\n";
        let out = Command::new(python)
            .args(["-c", script])
            .arg(tmp.path().join("fhir.json"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let observations: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert_eq!(observations, doc.findings.len());
    }
}

#[test]
fn non_dicom_input_gets_a_notice_instead_of_sr_and_seg() {
    let tmp = tempfile::tempdir().unwrap();
    let doc = sample::ten_findings();
    let input = ReportInput::new(&doc);
    let options = OutputOptions {
        formats: [Format::Sr, Format::Seg].into_iter().collect(),
        ..Default::default()
    };
    let written = write_outputs(tmp.path(), &input, &options).unwrap();
    assert!(written.files.is_empty());
    assert!(
        written.notices[0].contains("need a DICOM source"),
        "{:?}",
        written.notices
    );
}
