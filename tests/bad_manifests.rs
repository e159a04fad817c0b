//! The bad-manifest table (tests/bad_manifests/cases.json), from Rust: each refused
//! with InvalidSpec, its field, and exactly its message (file, line and column first).
//! Python, C and the command line read the same table.

use kvmpool::{ErrorKind, Manifest};

#[test]
fn every_bad_manifest_is_refused_where_it_is_wrong() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/bad_manifests/cases.json"
    );
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut failures = Vec::new();
    for case in table["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let e = match Manifest::from_toml(case["toml"].as_str().unwrap()) {
            Ok(_) => {
                failures.push(format!("{id}: accepted"));
                continue;
            }
            Err(e) => e,
        };
        if e.kind() != ErrorKind::InvalidSpec
            || e.field() != case["field"].as_str()
            || e.to_string() != case["message"].as_str().unwrap()
        {
            failures.push(format!(
                "{id}: {:?} on {:?}: {e}\n  wanted {} on {}",
                e.kind(),
                e.field(),
                case["message"],
                case["field"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
