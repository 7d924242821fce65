//! DICOM Comprehensive 3D SR (`sr.dcm`) following TID 1500 "Measurement
//! Report":
//!
//! ```text
//! CONTAINER Imaging Measurement Report (126000, DCM), TID 1500
//!   Language (121049) = en-US; Observer Type = Device, Device Observer UID/Name
//!   Procedure reported (121058) = 24627-2 LN "CT Chest"
//!   CONTAINER Imaging Measurements (126010)
//!     CONTAINER Measurement Group (125007), TID 1411 (1501 without a segment)
//!       TEXT Tracking Identifier (112039) = finding id
//!       UIDREF Tracking Unique Identifier (112040) = shared with the SEG segment
//!       CODE Finding (121071) = SNOMED CT or 99AIRAD code
//!       IMAGE Referenced Segment (121191) -> seg.dcm, segment number
//!       UIDREF Source series for segmentation (121232)
//!       CODE Finding Site (363698007, SCT)
//!       NUM one per measurement (UCUM units)
//!       CODE qualitative evaluations: airad catalogue code, grade, urgency
//!   CONTAINER Qualitative Evaluations (126011): exam Lung-RADS (screening)
//! ```
//!
//! The document is PRELIMINARY / PARTIAL / UNVERIFIED until signed, and
//! references every source image and the SEG in its evidence.

use std::path::Path;

use dicom_core::VR;
use dicom_dictionary_std::{tags, uids};

use super::seg::Segment;
use super::{DicomSource, Obj, ObjectUids, clip, code_item, contributing_equipment, now};
use crate::ReportError;
use crate::assemble::{ExamLungRads, Report};
use crate::codes::{self, Code};

fn content(rel: &str, value_type: &str, name: &Code) -> Obj {
    let mut o = Obj::new();
    o.text(tags::RELATIONSHIP_TYPE, VR::CS, rel)
        .text(tags::VALUE_TYPE, VR::CS, value_type)
        .seq(tags::CONCEPT_NAME_CODE_SEQUENCE, vec![code_item(name)]);
    o
}

fn code_content(rel: &str, name: &Code, value: &Code) -> Obj {
    let mut o = content(rel, "CODE", name);
    o.seq(tags::CONCEPT_CODE_SEQUENCE, vec![code_item(value)]);
    o
}

fn text_content(rel: &str, name: &Code, text: &str) -> Obj {
    let mut o = content(rel, "TEXT", name);
    o.text(tags::TEXT_VALUE, VR::UT, text);
    o
}

fn uid_content(rel: &str, name: &Code, uid: &str) -> Obj {
    let mut o = content(rel, "UIDREF", name);
    o.text(tags::UID, VR::UI, uid);
    o
}

fn num_content(name: &Code, value: f64, unit: &str) -> Obj {
    let (ucum, meaning) = codes::ucum(unit);
    let unit_code = Code {
        scheme: "UCUM",
        value: ucum,
        meaning,
    };
    let mut mv = Obj::new();
    mv.seq(
        tags::MEASUREMENT_UNITS_CODE_SEQUENCE,
        vec![code_item(&unit_code)],
    )
    .ds(tags::NUMERIC_VALUE, &[value])
    .fd(tags::FLOATING_POINT_VALUE, value);
    let mut o = content("CONTAINS", "NUM", name);
    o.seq(tags::MEASURED_VALUE_SEQUENCE, vec![mv]);
    o
}

fn template(id: &str) -> Obj {
    let mut t = Obj::new();
    t.text(tags::MAPPING_RESOURCE, VR::CS, "DCMR")
        .text(tags::TEMPLATE_IDENTIFIER, VR::CS, id);
    t
}

fn container(rel: &str, name: &Code, tid: Option<&str>, children: Vec<Obj>) -> Obj {
    let mut o = content(rel, "CONTAINER", name);
    o.text(tags::CONTINUITY_OF_CONTENT, VR::CS, "SEPARATE");
    if let Some(t) = tid {
        o.seq(tags::CONTENT_TEMPLATE_SEQUENCE, vec![template(t)]);
    }
    o.seq(tags::CONTENT_SEQUENCE, children);
    o
}

/// The concept naming airad's catalogue code as a qualitative evaluation.
pub fn catalogue_code_concept() -> Code {
    Code::airad("catalogue-code", "airad finding catalogue code")
}

/// The concept naming the urgency tier as a qualitative evaluation.
pub fn urgency_concept() -> Code {
    Code::airad("urgency", "ACR actionable finding urgency")
}

fn group(
    f: &aisu::Finding,
    uids: &ObjectUids,
    segment: Option<&Segment>,
    source_series: &str,
) -> Obj {
    let mut items = vec![
        text_content(
            "HAS OBS CONTEXT",
            &Code::dcm("112039", "Tracking Identifier"),
            &f.id,
        ),
        uid_content(
            "HAS OBS CONTEXT",
            &Code::dcm("112040", "Tracking Unique Identifier"),
            uids.tracking_of(&f.id).unwrap_or_default(),
        ),
        code_content(
            "CONTAINS",
            &Code::dcm("121071", "Finding"),
            &codes::finding(&f.code),
        ),
    ];
    if let Some(s) = segment {
        let mut r = Obj::new();
        r.text(
            tags::REFERENCED_SOP_CLASS_UID,
            VR::UI,
            uids::SEGMENTATION_STORAGE,
        )
        .text(
            tags::REFERENCED_SOP_INSTANCE_UID,
            VR::UI,
            &uids.seg_instance,
        )
        .us(tags::REFERENCED_SEGMENT_NUMBER, s.number);
        let mut image = content(
            "CONTAINS",
            "IMAGE",
            &Code::dcm("121191", "Referenced Segment"),
        );
        image.seq(tags::REFERENCED_SOP_SEQUENCE, vec![r]);
        items.push(image);
        items.push(uid_content(
            "CONTAINS",
            &Code::dcm("121232", "Source series for segmentation"),
            source_series,
        ));
    }
    items.push(code_content(
        "HAS CONCEPT MOD",
        &Code::sct("363698007", "Finding Site"),
        &codes::site(&f.code, &f.site),
    ));
    for m in &f.measurements {
        items.push(num_content(&codes::measurement(&m.name), m.value, &m.unit));
    }
    let title = aisu::catalogue::entry(&f.code).map_or("finding", |e| e.title);
    items.push(code_content(
        "CONTAINS",
        &catalogue_code_concept(),
        &Code::airad(&f.code, title),
    ));
    if let Some(g) = &f.category {
        let context = serde_json::to_value(g.context)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        items.push(code_content(
            "CONTAINS",
            &codes::grade_system(&g.system),
            &Code::airad(
                &clip(&g.value, 16),
                &clip(&format!("{} {} ({context})", g.system, g.value), 64),
            ),
        ));
    }
    let tier = serde_json::to_value(f.urgency)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    items.push(code_content(
        "CONTAINS",
        &urgency_concept(),
        &Code::airad(&tier, &tier),
    ));
    let tid = if segment.is_some() { "1411" } else { "1501" };
    container(
        "CONTAINS",
        &Code::dcm("125007", "Measurement Group"),
        Some(tid),
        items,
    )
}

/// Writes `sr.dcm`. `segments` are those written to the SEG (empty when
/// none was written).
pub fn write_sr(
    path: &Path,
    report: &Report,
    source: &DicomSource,
    uids: &ObjectUids,
    segments: &[Segment],
) -> Result<(), ReportError> {
    let m = &source.meta;
    let source_series = m
        .series_uid
        .clone()
        .ok_or_else(|| ReportError::Unsupported("the source has no Series Instance UID".into()))?;
    let (date, time) = now();
    let mut o = Obj::new();
    let study_uid = super::patient_and_study(&mut o, m)?;
    let signed = report.sign_off.is_signed();
    o.text(tags::INSTANCE_CREATION_DATE, VR::DA, &date)
        .text(tags::INSTANCE_CREATION_TIME, VR::TM, &time)
        .text(tags::CONTENT_DATE, VR::DA, &date)
        .text(tags::CONTENT_TIME, VR::TM, &time)
        .text(tags::MODALITY, VR::CS, "SR")
        .text(tags::SERIES_INSTANCE_UID, VR::UI, &uids.sr_series)
        .text(tags::SERIES_NUMBER, VR::IS, "902")
        .text(tags::SERIES_DESCRIPTION, VR::LO, "airad measurement report")
        .text(tags::INSTANCE_NUMBER, VR::IS, "1")
        .seq(tags::REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE, vec![])
        .text(tags::MANUFACTURER, VR::LO, "airad")
        .text(tags::SOFTWARE_VERSIONS, VR::LO, env!("CARGO_PKG_VERSION"))
        .seq(
            tags::CONTRIBUTING_EQUIPMENT_SEQUENCE,
            contributing_equipment(&super::units_of(&report.findings)),
        )
        .text(
            tags::COMPLETION_FLAG,
            VR::CS,
            if signed { "COMPLETE" } else { "PARTIAL" },
        )
        .text(
            tags::VERIFICATION_FLAG,
            VR::CS,
            if signed { "VERIFIED" } else { "UNVERIFIED" },
        )
        .text(
            tags::PRELIMINARY_FLAG,
            VR::CS,
            if signed { "FINAL" } else { "PRELIMINARY" },
        )
        .seq(tags::PERFORMED_PROCEDURE_CODE_SEQUENCE, vec![]);
    if let (true, Some(who), Some(when)) = (
        signed,
        report.sign_off.signed_by.as_deref(),
        report.sign_off.signed_at.as_deref(),
    ) {
        let dt: String = when.chars().filter(char::is_ascii_digit).take(14).collect();
        let mut v = Obj::new();
        v.text(tags::VERIFYING_OBSERVER_NAME, VR::PN, &clip(who, 64))
            .seq(
                tags::VERIFYING_OBSERVER_IDENTIFICATION_CODE_SEQUENCE,
                vec![],
            )
            .text(tags::VERIFYING_ORGANIZATION, VR::LO, "")
            .text(tags::VERIFICATION_DATE_TIME, VR::DT, &dt);
        o.seq(tags::VERIFYING_OBSERVER_SEQUENCE, vec![v]);
    }
    // Evidence: the source images and the SEG.
    let class = m
        .sop_class_uid
        .clone()
        .unwrap_or_else(|| uids::CT_IMAGE_STORAGE.to_string());
    let sop = |c: &str, i: &str| {
        let mut r = Obj::new();
        r.text(tags::REFERENCED_SOP_CLASS_UID, VR::UI, c).text(
            tags::REFERENCED_SOP_INSTANCE_UID,
            VR::UI,
            i,
        );
        r
    };
    let series_item = |series: &str, sops: Vec<Obj>| {
        let mut s = Obj::new();
        s.seq(tags::REFERENCED_SOP_SEQUENCE, sops)
            .text(tags::SERIES_INSTANCE_UID, VR::UI, series);
        s
    };
    let images: Vec<Obj> = m
        .slice_sop_instance_uids
        .iter()
        .flatten()
        .map(|u| sop(&class, u))
        .collect();
    let mut series = vec![series_item(&source_series, images)];
    if !segments.is_empty() {
        series.push(series_item(
            &uids.seg_series,
            vec![sop(uids::SEGMENTATION_STORAGE, &uids.seg_instance)],
        ));
    }
    let mut evidence = Obj::new();
    evidence.seq(tags::REFERENCED_SERIES_SEQUENCE, series).text(
        tags::STUDY_INSTANCE_UID,
        VR::UI,
        &study_uid,
    );
    o.seq(
        tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE,
        vec![evidence],
    );
    // Content tree.
    let device_uid = imaging_io::uid::seeded_uid(imaging_io::uid::UUID_ROOT, "airad", "device")
        .unwrap_or_default();
    let groups: Vec<Obj> = report
        .findings
        .iter()
        .map(|f| {
            let s = segments.iter().find(|s| s.finding_id == f.id);
            group(f, uids, s, &source_series)
        })
        .collect();
    let mut root = vec![
        code_content(
            "HAS CONCEPT MOD",
            &Code::dcm("121049", "Language of Content Item and Descendants"),
            &Code {
                scheme: "RFC5646",
                value: "en-US".into(),
                meaning: "English (United States)".into(),
            },
        ),
        code_content(
            "HAS OBS CONTEXT",
            &Code::dcm("121005", "Observer Type"),
            &Code::dcm("121007", "Device"),
        ),
        uid_content(
            "HAS OBS CONTEXT",
            &Code::dcm("121012", "Device Observer UID"),
            &device_uid,
        ),
        text_content(
            "HAS OBS CONTEXT",
            &Code::dcm("121013", "Device Observer Name"),
            "airad",
        ),
        code_content(
            "HAS CONCEPT MOD",
            &Code::dcm("121058", "Procedure reported"),
            &Code {
                scheme: "LN",
                value: "24627-2".into(),
                meaning: "CT Chest".into(),
            },
        ),
        container(
            "CONTAINS",
            &Code::dcm("126010", "Imaging Measurements"),
            None,
            groups,
        ),
    ];
    if let Some(ExamLungRads::Category { value, s_modifier }) = &report.exam_lung_rads {
        let v = format!("{value}{}", if *s_modifier { " S" } else { "" });
        root.push(container(
            "CONTAINS",
            &Code::dcm("126011", "Qualitative Evaluations"),
            None,
            vec![code_content(
                "CONTAINS",
                &Code::airad("lung-rads-exam", "Lung-RADS v2022 exam category"),
                &Code::airad(&v, &format!("Lung-RADS v2022 {v}")),
            )],
        ));
    }
    o.text(tags::VALUE_TYPE, VR::CS, "CONTAINER")
        .seq(
            tags::CONCEPT_NAME_CODE_SEQUENCE,
            vec![code_item(&Code::dcm(
                "126000",
                "Imaging Measurement Report",
            ))],
        )
        .text(tags::CONTINUITY_OF_CONTENT, VR::CS, "SEPARATE")
        .seq(tags::CONTENT_TEMPLATE_SEQUENCE, vec![template("1500")])
        .seq(tags::CONTENT_SEQUENCE, root);
    super::write_file(path, o, uids::COMPREHENSIVE3_DSR_STORAGE, &uids.sr_instance)
}
