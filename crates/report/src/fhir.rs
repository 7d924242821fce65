//! FHIR R4 output (`fhir.json`): a Bundle of type `collection` holding
//! - a Patient (identifier and gender, when known);
//! - an ImagingStudy identified by the Study Instance UID
//!   (`urn:dicom:uid`, value `urn:oid:<uid>`);
//! - one Observation per finding: `code` (SNOMED CT when established, and
//!   always airad's private code), `bodySite`, `valueQuantity` for a single
//!   measurement or one `component` per measurement (UCUM units),
//!   `interpretation` for the grade, `note` with the English sentence;
//! - a DiagnosticReport, status `preliminary` (`final` once signed), LOINC
//!   24627-2 "CT Chest", with the Impression as `conclusion`, one
//!   `conclusionCode` per Impression item, the Observations as `result`,
//!   the ImagingStudy and the plain-text report as `presentedForm`.
//!
//! Resource ids and `urn:uuid:` full URLs are version-5 UUIDs of the study
//! UID and the resource's role, so the same input gives the same Bundle.

use aisu::Finding;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::assemble::{GroupRole, Report};
use crate::codes::{self, Code, UCUM_SYSTEM};
use crate::render::{Rendered, SectionKind, html::base64};
use crate::wording::{Ctx, Lang, finding_sentence, iso_date};

fn coding(c: &Code) -> Value {
    json!({"system": c.fhir_system(), "code": c.value, "display": c.meaning})
}

fn quantity(value: f64, unit: &str) -> Value {
    let (code, _) = codes::ucum(unit);
    json!({"value": value, "unit": unit, "system": UCUM_SYSTEM, "code": code})
}

/// The Observation of one finding.
fn observation(report: &Report, f: &Finding, id: &str, subject: &str, study: &str) -> Value {
    let mut codings = vec![coding(&codes::finding(&f.code))];
    if codes::finding(&f.code).scheme != codes::AIRAD_SCHEME {
        codings.push(coding(&codes::finding_private(&f.code)));
    }
    let title = aisu::catalogue::entry(&f.code).map_or("finding", |e| e.title);
    let ctx = Ctx {
        f,
        role: GroupRole::Single,
        change: report.comparison.as_ref().and_then(|c| c.change_of(&f.id)),
        slice_mm: report.study.slice_thickness_mm,
        prior_date: report
            .comparison
            .as_ref()
            .and_then(|c| c.prior_date.as_deref()),
    };
    let sentence = finding_sentence(Lang::En, &ctx);
    let site_text = crate::wording::en::location(&f.site).unwrap_or_else(|| title.to_string());
    let mut obs = json!({
        "resourceType": "Observation",
        "id": id,
        "identifier": [{"system": "urn:airad:finding-id", "value": f.id}],
        "status": if report.sign_off.is_signed() { "final" } else { "preliminary" },
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "imaging", "display": "Imaging"}]}],
        "code": {"coding": codings, "text": title},
        "subject": {"reference": subject},
        "derivedFrom": [{"reference": study}],
        "bodySite": {"coding": [coding(&codes::site(&f.code, &f.site))], "text": site_text},
        "note": [{"text": sentence}],
    });
    if let Some(d) = report.study.study_date.as_deref() {
        obs["effectiveDateTime"] = json!(iso_date(d));
    }
    match f.measurements.as_slice() {
        [] => {}
        [m] => obs["valueQuantity"] = quantity(m.value, &m.unit),
        many => {
            obs["component"] = many
                .iter()
                .map(|m| {
                    json!({
                        "code": {"coding": [coding(&codes::measurement(&m.name))], "text": m.name},
                        "valueQuantity": quantity(m.value, &m.unit),
                    })
                })
                .collect();
        }
    }
    if let Some(g) = &f.category {
        let system = codes::grade_system(&g.system);
        let context = serde_json::to_value(g.context).unwrap_or(Value::Null);
        obs["interpretation"] = json!([{
            "coding": [{"system": codes::AIRAD_SYSTEM,
                        "code": format!("{}:{}", system.value, g.value),
                        "display": format!("{} {}", g.system, g.value)}],
            "text": format!("{} {} ({})", g.system, g.value, context.as_str().unwrap_or("")),
        }]);
    }
    obs
}

/// The Bundle as JSON.
pub fn bundle(report: &Report, english: &Rendered, english_text: &str) -> Value {
    let seed = report
        .study
        .study_uid
        .clone()
        .unwrap_or_else(|| "no-study-uid".into());
    let ns = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"airad-fhir");
    let uuid = |role: &str| Uuid::new_v5(&ns, format!("{seed}\0{role}").as_bytes()).to_string();
    let url = |id: &str| format!("urn:uuid:{id}");
    let (patient_id, study_id, report_id) = (uuid("patient"), uuid("study"), uuid("report"));
    let (subject, study_ref) = (url(&patient_id), url(&study_id));
    let mut patient = json!({"resourceType": "Patient", "id": patient_id});
    if let Some(pid) = &report.study.patient_id {
        patient["identifier"] = json!([{"value": pid}]);
    }
    patient["gender"] = json!(match report.study.patient_sex.as_deref() {
        Some("M") => "male",
        Some("F") => "female",
        Some("O") => "other",
        _ => "unknown",
    });
    let mut study = json!({
        "resourceType": "ImagingStudy", "id": study_id, "status": "available",
        "subject": {"reference": subject},
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
    });
    if let Some(uid) = &report.study.study_uid {
        study["identifier"] =
            json!([{"system": "urn:dicom:uid", "value": format!("urn:oid:{uid}")}]);
    }
    if let Some(d) = report.study.study_date.as_deref() {
        study["started"] = json!(iso_date(d));
    }
    let mut entries = vec![
        json!({"fullUrl": url(&patient_id), "resource": patient}),
        json!({"fullUrl": study_ref, "resource": study}),
    ];
    let mut results = Vec::new();
    for f in &report.findings {
        let id = uuid(&format!("observation/{}", f.id));
        results.push(json!({"reference": url(&id)}));
        entries.push(json!({"fullUrl": url(&id),
            "resource": observation(report, f, &id, &subject, &study_ref)}));
    }
    let conclusion: Vec<String> = english
        .section(SectionKind::Impression)
        .map(|s| {
            s.blocks
                .iter()
                .flat_map(|b| b.sentences.iter().map(|t| t.text.clone()))
                .collect()
        })
        .unwrap_or_default();
    let conclusion_codes: Vec<Value> = report
        .impression
        .iter()
        .filter_map(|i| report.finding(&i.lead))
        .map(|f| {
            let title = aisu::catalogue::entry(&f.code).map_or("finding", |e| e.title);
            json!({"coding": [coding(&codes::finding(&f.code))], "text": title})
        })
        .collect();
    let mut dr = json!({
        "resourceType": "DiagnosticReport", "id": report_id,
        "status": if report.sign_off.is_signed() { "final" } else { "preliminary" },
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                   "code": "RAD", "display": "Radiology"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "24627-2", "display": "CT Chest"}],
                 "text": "CT chest"},
        "subject": {"reference": subject},
        "imagingStudy": [{"reference": study_ref}],
        "result": results,
        "conclusion": conclusion.join("\n"),
        "presentedForm": [{"contentType": "text/plain; charset=utf-8", "language": "en",
                           "title": "report.txt", "data": base64(english_text.as_bytes())}],
    });
    if !conclusion_codes.is_empty() {
        dr["conclusionCode"] = Value::Array(conclusion_codes);
    }
    if let Some(d) = report.study.study_date.as_deref() {
        dr["effectiveDateTime"] = json!(iso_date(d));
    }
    entries.push(json!({"fullUrl": url(&report_id), "resource": dr}));
    json!({"resourceType": "Bundle", "id": uuid("bundle"), "type": "collection", "entry": entries})
}
