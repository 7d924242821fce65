//! docs/findings.schema.json is the published JSON Schema of findings.json
//! and ground_truth.json. It is generated from the Rust model; this test
//! fails when the two drift apart. Regenerate with
//! `AIRAD_BLESS=1 cargo test -p aisu --test schema`.

use std::path::PathBuf;

#[test]
fn published_schema_matches_the_model() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/findings.schema.json");
    let generated = serde_json::to_string_pretty(&aisu::model::json_schema()).unwrap() + "\n";
    if std::env::var_os("AIRAD_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == generated,
        "docs/findings.schema.json is out of date: run AIRAD_BLESS=1 cargo test -p aisu --test schema"
    );
}
