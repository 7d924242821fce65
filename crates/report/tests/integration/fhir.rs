//! fhir.json: structure checked here, validity by fhir.resources (R4B
//! models, the closest to R4 that package has).

use std::process::Command;

use imaging_io::testing::python_with;
use report::assemble::ReportInput;
use report::outputs::{Format, OutputOptions, write_outputs};
use report::sample;
use serde_json::Value;

fn bundle() -> (tempfile::TempDir, Value) {
    let tmp = tempfile::tempdir().unwrap();
    let doc = sample::ten_findings();
    let options = OutputOptions {
        formats: [Format::Fhir].into_iter().collect(),
        ..Default::default()
    };
    write_outputs(tmp.path(), &ReportInput::new(&doc), &options).unwrap();
    let text = std::fs::read_to_string(tmp.path().join("fhir.json")).unwrap();
    (tmp, serde_json::from_str(&text).unwrap())
}

fn resources<'a>(b: &'a Value, kind: &str) -> Vec<&'a Value> {
    b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

#[test]
fn bundle_holds_the_report_one_observation_per_finding_and_the_study() {
    let (_tmp, b) = bundle();
    let doc = sample::ten_findings();
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["type"], "collection");
    let reports = resources(&b, "DiagnosticReport");
    assert_eq!(reports.len(), 1);
    let dr = reports[0];
    assert_eq!(dr["status"], "preliminary");
    assert_eq!(dr["result"].as_array().unwrap().len(), doc.findings.len());
    assert!(
        dr["conclusion"]
            .as_str()
            .unwrap()
            .starts_with("Left pneumothorax")
    );
    assert_eq!(dr["conclusionCode"].as_array().unwrap().len(), 7);
    let study = resources(&b, "ImagingStudy");
    assert_eq!(
        study[0]["identifier"][0]["value"],
        "urn:oid:2.25.1234567890"
    );
    assert_eq!(
        dr["imagingStudy"][0]["reference"].as_str(),
        b["entry"][1]["fullUrl"].as_str()
    );
    let obs = resources(&b, "Observation");
    assert_eq!(obs.len(), doc.findings.len());
    // Every reference resolves to an entry of the bundle.
    let urls: Vec<&str> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    for r in dr["result"].as_array().unwrap() {
        assert!(urls.contains(&r["reference"].as_str().unwrap()));
    }
    for (f, o) in doc.findings.iter().zip(&obs) {
        assert_eq!(o["identifier"][0]["value"], f.id.as_str());
        assert_eq!(o["status"], "preliminary");
        match f.measurements.len() {
            1 => assert_eq!(
                o["valueQuantity"]["value"].as_f64(),
                Some(f.measurements[0].value)
            ),
            n => assert_eq!(o["component"].as_array().unwrap().len(), n),
        }
        assert_eq!(
            o["interpretation"].is_array(),
            f.category.is_some(),
            "{}",
            f.id
        );
        assert!(o["bodySite"]["coding"][0]["code"].is_string());
    }
    let nodule = obs[0];
    assert_eq!(
        nodule["code"]["coding"][0]["system"],
        "http://snomed.info/sct"
    );
    assert_eq!(nodule["code"]["coding"][1]["code"], "F01");
    assert_eq!(nodule["bodySite"]["coding"][0]["code"], "45653009");
    assert_eq!(
        nodule["interpretation"][0]["coding"][0]["code"],
        "lung-rads:4A"
    );
    let hu = obs[4]["component"][2]["valueQuantity"].clone();
    assert_eq!(hu["code"], "[hnsf'U]");
}

#[test]
fn bundle_validates_against_fhir_resources() {
    let Some(python) = python_with(&["fhir.resources"]) else {
        return;
    };
    let (tmp, _) = bundle();
    let script = "import sys, json\n\
        from fhir.resources.R4B.bundle import Bundle\n\
        b = Bundle.model_validate(json.load(open(sys.argv[1])))\n\
        kinds = sorted({e.resource.get_resource_type() for e in b.entry})\n\
        print(json.dumps(kinds))\n";
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
    let kinds: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        kinds,
        ["DiagnosticReport", "ImagingStudy", "Observation", "Patient"]
    );
}
