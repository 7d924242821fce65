//! docs/outputs.md shows the report text as the code writes it today.

#[test]
fn outputs_doc_holds_the_generated_sample() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/outputs.md");
    let docs = std::fs::read_to_string(&path).unwrap();
    assert!(
        docs.contains(&report::sample::markdown_sample()),
        "docs/outputs.md is stale: run `cargo run -p report --example outputs_doc`"
    );
}
