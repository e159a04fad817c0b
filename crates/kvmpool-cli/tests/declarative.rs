//! plan, apply and drift through the command line: against the live daemon (dir
//! pools under $KVMPOOL_TEST_DIR, checked with virsh), drift's exit status, a
//! destructive apply refused without --yes off a terminal; and bad manifests refused
//! with file:line:column and the field, in core's words (no daemon needed).

mod support;

use support::*;

fn manifest(root: &str, gi: &str, data: &str, volumes: &str, policy: &str) -> String {
    format!(
        r#"
[[pool]]
name = "{gi}"
type = "dir"
target = "{root}/gi"
autostart = true
{volumes}
[[pool]]
name = "{data}"
type = "dir"
target = "{root}/data"

[policy]
{policy}
"#
    )
}

const TWO_VOLUMES: &str = r#"
  [[pool.volume]]
  name = "vm1.qcow2"
  capacity = "10G"
  format = "qcow2"

  [[pool.volume]]
  name = "vm2.raw"
  capacity = "64M"
"#;

const ONE_VOLUME: &str = r#"
  [[pool.volume]]
  name = "vm1.qcow2"
  capacity = "10G"
  format = "qcow2"
"#;

fn volumes(uri: &str, pool: &str) -> Vec<String> {
    table_rows(&virsh(uri, &["vol-list", pool]))
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

#[test]
fn plan_apply_drift_on_the_live_daemon() {
    let Some(env) = live("plan_apply_drift_on_the_live_daemon") else {
        return;
    };
    let uri = env.uri.as_str();
    let dir = env.scratch("cli-manifest");
    let root = dir.path().display().to_string();
    let (gi, data) = (unique("kvmc-gi"), unique("kvmc-data"));
    let _gone = Gone {
        uri: uri.into(),
        pools: vec![gi.clone(), data.clone()],
    };
    let file = dir.path().join("storage.toml");
    let f = file.to_str().unwrap();
    std::fs::write(&file, manifest(&root, &gi, &data, TWO_VOLUMES, "")).unwrap();

    // nothing there yet: drift says so with status 3; plan lists the steps
    let drift = kvmpool(uri, &["drift", "-f", f]).expect(3, "drift before apply");
    assert!(
        drift.stdout.contains(&format!("+ pool {gi}")),
        "{}",
        drift.stdout
    );
    let plan = kvmpool(uri, &["plan", "-f", f]).ok("plan");
    assert_eq!(plan.stdout, drift.stdout);
    assert!(
        plan.stdout.contains(&format!("+ volume {gi}/vm1.qcow2")),
        "{}",
        plan.stdout
    );

    // no destructive step: apply goes ahead without --yes and without a terminal;
    // -v logs each step on stderr
    let applied = kvmpool(uri, &["-v", "apply", "-f", f]).ok("first apply");
    assert!(applied.stdout.contains("Applied: "), "{}", applied.stdout);
    assert!(
        applied
            .stderr
            .contains(&format!(": define-pool pool {gi}: define (")),
        "{}",
        applied.stderr
    );
    assert!(
        applied.stderr.contains("kvmpool: apply: step 1 of "),
        "{}",
        applied.stderr
    );
    assert!(
        applied
            .stderr
            .contains(&format!("kvmpool: pool {gi}: defined")),
        "{}",
        applied.stderr
    );
    let pools = table_rows(&virsh(uri, &["pool-list", "--all"]));
    assert_eq!(row(&pools, &gi)[1..], ["active", "yes"]);
    assert_eq!(row(&pools, &data)[1], "active");
    assert_eq!(volumes(uri, &gi), ["vm1.qcow2", "vm2.raw"]);
    let info = virsh(uri, &["vol-info", "vm1.qcow2", "--pool", &gi]);
    assert!(info.contains("10.00 GiB"), "{info}");

    // the host matches: drift 0, plan empty
    let drift = kvmpool(uri, &["drift", "-f", f]).ok("drift after apply");
    assert!(drift.stdout.contains("no changes"), "{}", drift.stdout);

    // out-of-band change: drift sees it, apply mends it
    virsh(uri, &["vol-delete", "vm2.raw", "--pool", &gi]);
    let drift = kvmpool(uri, &["drift", "-f", f]).expect(3, "drift after vol-delete");
    assert!(
        drift.stdout.contains(&format!("+ volume {gi}/vm2.raw")),
        "{}",
        drift.stdout
    );
    kvmpool(uri, &["apply", "-f", f]).ok("apply mends");
    assert_eq!(volumes(uri, &gi), ["vm1.qcow2", "vm2.raw"]);

    // a destructive plan (prune a volume): refused off a terminal without --yes
    std::fs::write(
        &file,
        manifest(&root, &gi, &data, ONE_VOLUME, "prune_volumes = true"),
    )
    .unwrap();
    let refused = kvmpool(uri, &["apply", "-f", f]).expect(4, "destructive apply, no --yes");
    assert!(
        refused.stdout.contains(&format!("- volume {gi}/vm2.raw")),
        "{}",
        refused.stdout
    );
    assert!(
        refused
            .stderr
            .starts_with("error: the plan has 1 destructive step(s) (delete-volume)"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        volumes(uri, &gi),
        ["vm1.qcow2", "vm2.raw"],
        "nothing was done"
    );
    kvmpool(uri, &["drift", "-f", f]).expect(3, "still drifting");
    kvmpool(uri, &["apply", "-f", f, "--yes"]).ok("apply --yes");
    assert_eq!(volumes(uri, &gi), ["vm1.qcow2"]);
    kvmpool(uri, &["drift", "-f", f]).ok("no drift at the end");

    // a JSON manifest of the same structure plans the same way
    let json = dir.path().join("storage.json");
    std::fs::write(
        &json,
        format!(
            r#"{{"pool": [{{"name": "{gi}", "type": "dir", "target": "{root}/gi",
                "autostart": true,
                "volume": [{{"name": "vm1.qcow2", "capacity": "10G", "format": "qcow2"}}]}}]}}"#
        ),
    )
    .unwrap();
    kvmpool(uri, &["drift", "-f", json.to_str().unwrap()]).ok("json manifest, no drift");
}

/// Bad manifests: status 10 (InvalidSpec) and core's message with the file's path,
/// line and column and the field (the cases of core's manifest tests).
#[test]
fn bad_manifests_are_refused_with_file_line_column_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\nhost = \"h\"\n",
            ":4:1: pool[0].host: dir pools have no such field; they have name, target, uuid, mode, owner, group, label, cow",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\ntarget = \"relative\"\n",
            ":4:10: pool[0].target: \"relative\" must be an absolute path",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"warp\"\n",
            ":3:8: pool[0].type: unknown value \"warp\"; expected one of: dir, fs, netfs, logical, disk, iscsi, iscsi-direct, scsi, mpath, rbd, sheepdog, gluster, zfs, vstorage",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\n  [[pool.volume]]\n  name = \"v\"\n  capacity = \"ten\"\n",
            ":6:14: pool[0].volume[0].capacity: \"ten\" is not a valid size: unknown unit \"ten\"",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\nbuild = \"sometimes\"\n",
            ":4:9: pool[0].build: unknown value \"sometimes\"; expected one of: normal, overwrite, no-overwrite, or never",
        ),
        ("[[pool]\n", ":1:8: toml: unclosed array table, expected `]`"),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let f = file.to_str().unwrap();
        for cmd in ["plan", "apply", "drift"] {
            // the manifest is read before connecting: no daemon is needed
            let run = kvmpool("test:///default", &[cmd, "-f", f]).expect(10, text);
            assert_eq!(run.stderr, format!("error: {f}{want}\n"), "{cmd} {text}");
            assert!(run.stdout.is_empty());
        }
    }
    let missing = dir.path().join("none.toml");
    let run = kvmpool(
        "test:///default",
        &["plan", "-f", missing.to_str().unwrap()],
    )
    .expect(18, "a missing manifest is an Io error");
    assert!(
        run.stderr.starts_with("error: cannot read "),
        "{}",
        run.stderr
    );
}

/// plan, apply and drift on the test driver (no daemon): a plan to apply, apply
/// carries it out within the one process, drift's status.
#[test]
fn plan_and_apply_on_the_test_driver() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    std::fs::write(
        &file,
        "[[pool]]\nname = \"guest_images\"\ntype = \"dir\"\ntarget = \"/guest_images\"\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let plan = kvmpool("test:///default", &["plan", "-f", f]).ok("plan");
    assert!(
        plan.stdout
            .starts_with("test:///default: 1 to add, 1 to change"),
        "{}",
        plan.stdout
    );
    kvmpool("test:///default", &["drift", "-f", f]).expect(3, "drift");
    let applied = kvmpool("test:///default", &["apply", "-f", f]).ok("apply");
    assert!(
        applied.stdout.contains("Applied: 2 step(s) done"),
        "{}",
        applied.stdout
    );
}

/// On a terminal (a pseudo-terminal from util-linux `script`), apply asks before a
/// destructive step (here build-pool): "n" does nothing (status 4), "y" applies.
#[test]
fn apply_asks_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    std::fs::write(
        &file,
        "[[pool]]\nname = \"guest_images\"\ntype = \"dir\"\ntarget = \"/guest_images\"\n\
         build = \"normal\"\n",
    )
    .unwrap();
    let cmd = format!(
        "'{}' -c test:///default apply -f '{}'",
        bin(),
        file.to_str().unwrap()
    );
    for (answer, status, says) in [
        ("n\n", 4, "apply: nothing was done"),
        ("y\n", 0, "Applied: 3 step(s) done"),
    ] {
        let mut child = std::process::Command::new("script")
            .args(["-q", "-e", "-c", &cmd, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let screen = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(status), "{screen}");
        assert!(
            screen.contains("Carry out 1 destructive step(s) (build-pool)? [y/N]"),
            "{screen}"
        );
        assert!(screen.contains(says), "{screen}");
    }
}
