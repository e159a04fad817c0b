//! `--json` output validated against the documented schemas in `schemas/`: on libvirt's
//! test driver (always), and on the live daemon with volumes and a plan with actions.

mod support;

use std::path::Path;

use serde_json::Value;
use support::*;

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&doc).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Run `kvmpool ARGS --json`, parse and validate the output; the document.
fn valid(uri: &str, schema_name: &str, args: &[&str]) -> Value {
    valid_with_status(uri, schema_name, args, 0)
}

fn valid_with_status(uri: &str, schema_name: &str, args: &[&str], status: i32) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = kvmpool(uri, &all)
        .expect(status, &format!("kvmpool {all:?}"))
        .stdout;
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{all:?}: {e}\n{out}"));
    let validator = schema(schema_name);
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{all:?} against {schema_name}:\n{}\n{out}",
        errors.join("\n")
    );
    doc
}

#[test]
fn schemas_are_valid_and_reject_what_they_should() {
    let pool = schema("pool-info");
    let bad = serde_json::json!({"name": "p", "uuid": "x", "type": "warp"});
    assert!(!pool.is_valid(&bad));
    let plan = schema("plan");
    assert!(!plan.is_valid(&serde_json::json!({"schema": "kvmpool-plan/2"})));
}

#[test]
fn json_output_matches_the_schemas_on_the_test_driver() {
    let uri = "test:///default";
    let pools = valid(uri, "pool-list", &["pool-list", "--all"]);
    assert_eq!(pools[0]["name"], "default-pool");
    valid(uri, "pool-info", &["pool-info", "default-pool"]);
    valid(uri, "vol-list", &["vol-list", "default-pool"]);
    valid(uri, "inventory", &["inventory"]);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.toml");
    std::fs::write(
        &manifest,
        "[[pool]]\nname = \"guest_images\"\ntype = \"dir\"\ntarget = \"/guest_images\"\n\
         autostart = true\n\n  [[pool.volume]]\n  name = \"vm1.qcow2\"\n  capacity = \"10G\"\n  \
         format = \"qcow2\"\n",
    )
    .unwrap();
    let plan = valid(uri, "plan", &["plan", "-f", manifest.to_str().unwrap()]);
    assert_eq!(plan["actions"][0]["action"], "define-pool");
    // drift: the same document, and status 3 (the host differs)
    let drift = valid_with_status(uri, "plan", &["drift", "-f", manifest.to_str().unwrap()], 3);
    assert_eq!(drift["schema"], "kvmpool-plan/1");
}

#[test]
fn json_output_matches_the_schemas_on_the_live_daemon() {
    let Some(env) = live("json_output_matches_the_schemas_on_the_live_daemon") else {
        return;
    };
    let uri = env.uri.as_str();
    let dir = env.scratch("cli-json");
    let pool = unique("kvmc-json");
    let _gone = Gone {
        uri: uri.into(),
        pools: vec![pool.clone()],
    };
    let target = dir.path().join("p");
    virsh(
        uri,
        &[
            "pool-define-as",
            &pool,
            "dir",
            "--target",
            target.to_str().unwrap(),
        ],
    );
    virsh(uri, &["pool-build", &pool]);
    virsh(uri, &["pool-start", &pool]);
    virsh(
        uri,
        &["vol-create-as", &pool, "v.qcow2", "1G", "--format", "qcow2"],
    );
    virsh(uri, &["vol-create-as", &pool, "w.raw", "1M"]);

    let list = valid(uri, "pool-list", &["pool-list", "--all"]);
    let ours = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == pool.as_str())
        .expect("the pool is listed");
    assert_eq!(ours["state"], "running");
    assert_eq!(ours["target"], target.to_str().unwrap());
    let info = valid(uri, "pool-info", &["pool-info", &pool]);
    assert_eq!(info["type"], "dir");
    let vols = valid(uri, "vol-list", &["vol-list", &pool]);
    assert_eq!(vols[0]["name"], "v.qcow2");
    assert_eq!(vols[0]["capacity"], 1u64 << 30);
    let vol = valid(uri, "vol-info", &["vol-info", "w.raw", "--pool", &pool]);
    assert_eq!(vol["capacity"], 1u64 << 20);
    let inv = valid(uri, "inventory", &["inventory", "--formats"]);
    let entry = inv["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == pool.as_str())
        .unwrap();
    assert_eq!(entry["volumes"][0]["format"], "qcow2");
    let caps = valid(uri, "pool-capabilities", &["pool-capabilities"]);
    assert!(caps["pools"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "dir" && c["supported"] == true));

    let manifest = dir.path().join("m.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[pool]]\nname = \"{pool}\"\ntype = \"dir\"\ntarget = \"{}\"\n\n  [[pool.volume]]\n  \
             name = \"v.qcow2\"\n  capacity = \"2G\"\n  format = \"qcow2\"\n\n[policy]\n\
             prune_volumes = true\n",
            target.display()
        ),
    )
    .unwrap();
    let plan = valid(uri, "plan", &["plan", "-f", manifest.to_str().unwrap()]);
    let actions: Vec<&str> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["grow-volume", "delete-volume"], "{plan}");
}
