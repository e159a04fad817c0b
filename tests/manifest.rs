//! Declarative storage against the live daemon: a manifest of dir pools with volumes,
//! planned and applied; a second plan is empty; out-of-band changes show as drift and
//! the next apply mends them; an immutable change is refused without allow_recreate
//! and done with it; a failing step undoes the earlier ones; a stale plan and a racing
//! apply are refused. Every result is checked with virsh.

mod support;

use kvmpool::*;
use support::{live, run, unique};

fn virsh(uri: &str, args: &[&str]) -> String {
    let mut all = vec!["-c", uri];
    all.extend_from_slice(args);
    run("virsh", &all)
}

fn kinds(plan: &Plan) -> Vec<(ActionKind, String)> {
    plan.actions
        .iter()
        .map(|a| {
            let object = match &a.volume {
                Some(v) => format!("{}/{v}", a.pool),
                None => a.pool.clone(),
            };
            (a.action, object)
        })
        .collect()
}

/// Undefines the named pools (and their volumes) whatever the test did.
struct Gone<'c>(&'c Connection, Vec<String>);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        for name in &self.1 {
            if let Ok(Some(p)) = self.0.find_pool(name) {
                for v in p.volumes().unwrap_or_default() {
                    let _ = v.delete(DeleteMode::Normal);
                }
                let _ = p.destroy();
                let _ = p.delete(DeleteMode::Normal);
                let _ = p.undefine();
            }
        }
    }
}

#[test]
fn manifest_apply_drift_and_mend_on_the_live_daemon() {
    let Some(env) = live("manifest_apply_drift_and_mend_on_the_live_daemon") else {
        return;
    };
    let conn = env.conn();
    let dir = env.scratch("manifest");
    let root = dir.path().display().to_string();
    let (gi, data) = (unique("kvmm-gi"), unique("kvmm-data"));
    let _gone = Gone(&conn, vec![gi.clone(), data.clone()]);
    let manifest = |data_target: &str, policy: &str| {
        format!(
            r#"
[[pool]]
name = "{gi}"
type = "dir"
target = "{root}/gi"
autostart = true

  [[pool.volume]]
  name = "vm1.qcow2"
  capacity = "10G"
  format = "qcow2"

  [[pool.volume]]
  name = "vm2.raw"
  capacity = "64M"

[[pool]]
name = "{data}"
type = "dir"
target = "{root}/{data_target}"
build = "normal"

  [[pool.volume]]
  name = "a.raw"
  capacity = 1048576

[policy]
{policy}
"#
        )
    };
    let m = Manifest::from_toml(&manifest("data", "")).unwrap();

    // 1. everything is new: define, start (building the missing directory), ...
    let plan = conn.plan(&m).unwrap();
    use ActionKind as K;
    assert_eq!(
        kinds(&plan),
        vec![
            (K::DefinePool, gi.clone()),
            (K::StartPool, gi.clone()),
            (K::SetAutostart, gi.clone()),
            (K::CreateVolume, format!("{gi}/vm1.qcow2")),
            (K::CreateVolume, format!("{gi}/vm2.raw")),
            (K::DefinePool, data.clone()),
            (K::BuildPool, data.clone()),
            (K::StartPool, data.clone()),
            (K::CreateVolume, format!("{data}/a.raw")),
        ],
        "{plan}"
    );
    assert!(plan.blocked.is_empty());
    let json: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    assert_eq!(json["schema"], "kvmpool-plan/1");
    assert_eq!(json["actions"][0]["action"], "define-pool");
    assert!(plan.to_string().contains(&format!("+ pool {gi}: define")));
    let report = conn.apply(&plan).unwrap();
    assert_eq!(report.done.len(), 9);
    let listed = virsh(&env.uri, &["pool-list", "--autostart", "--name"]);
    assert!(listed.lines().any(|l| l.trim() == gi), "{listed}");
    let vols = virsh(&env.uri, &["vol-list", &gi]);
    assert!(
        vols.contains("vm1.qcow2") && vols.contains("vm2.raw"),
        "{vols}"
    );
    let info = virsh(&env.uri, &["vol-dumpxml", "vm1.qcow2", "--pool", &gi]);
    assert!(info.contains("<format type='qcow2'/>"), "{info}");

    // 2. idempotent
    let again = conn.plan(&m).unwrap();
    assert!(again.is_empty(), "{again}");

    // 3. drift out of band (a volume shrunk with virsh) shows exactly that, and mends
    virsh(
        &env.uri,
        &["vol-resize", "vm2.raw", "32M", "--pool", &gi, "--shrink"],
    );
    let drift = conn.plan(&m).unwrap();
    assert_eq!(
        kinds(&drift),
        vec![(K::GrowVolume, format!("{gi}/vm2.raw"))],
        "{drift}"
    );
    conn.apply(&drift).unwrap();
    let cap = virsh(&env.uri, &["vol-info", "vm2.raw", "--pool", &gi, "--bytes"]);
    assert!(cap.contains("67108864 bytes"), "{cap}");
    assert!(conn.plan(&m).unwrap().is_empty());

    // 4. a stale plan is refused: the host changed after it was made
    let stale = conn
        .plan(&Manifest::from_toml(&manifest("data", "")).unwrap())
        .unwrap();
    virsh(&env.uri, &["vol-create-as", &gi, "stray.raw", "1M"]);
    let e = conn.apply(&stale).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State, "{e}");
    assert!(e.to_string().contains("plan again"), "{e}");

    // 5. prune_volumes deletes what the manifest does not list, last
    let pruning = Manifest::from_toml(&manifest("data", "prune_volumes = true")).unwrap();
    let plan = conn.plan(&pruning).unwrap();
    assert_eq!(
        kinds(&plan),
        vec![(K::DeleteVolume, format!("{gi}/stray.raw"))]
    );
    conn.apply(&plan).unwrap();
    assert!(!virsh(&env.uri, &["vol-list", &gi]).contains("stray.raw"));

    // 6. an immutable change (the target) is refused without allow_recreate ...
    let moved = Manifest::from_toml(&manifest("data2", "")).unwrap();
    let plan = conn.plan(&moved).unwrap();
    assert!(plan.actions.is_empty(), "{plan}");
    assert_eq!(plan.blocked.len(), 1, "{plan}");
    assert!(plan.blocked[0].reason.contains("allow_recreate"), "{plan}");
    assert!(plan.blocked[0].diff.as_deref().unwrap().contains("data2"));
    let e = conn.apply(&plan).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State);
    // ... and done with it
    let moved = Manifest::from_toml(&manifest("data2", "allow_recreate = true")).unwrap();
    let plan = conn.plan(&moved).unwrap();
    assert_eq!(
        kinds(&plan),
        vec![
            (K::RecreatePool, data.clone()),
            (K::BuildPool, data.clone()),
            (K::StartPool, data.clone()),
            (K::CreateVolume, format!("{data}/a.raw")),
        ],
        "{plan}"
    );
    conn.apply(&plan).unwrap();
    let xml = virsh(&env.uri, &["pool-dumpxml", &data]);
    assert!(xml.contains(&format!("{root}/data2")), "{xml}");
    assert!(conn.plan(&moved).unwrap().is_empty());
}

#[test]
fn a_failing_step_undoes_the_earlier_ones() {
    let Some(env) = live("a_failing_step_undoes_the_earlier_ones") else {
        return;
    };
    let conn = env.conn();
    let dir = env.scratch("manifest-fail");
    let name = unique("kvmm-fail");
    let _gone = Gone(&conn, vec![name.clone()]);
    let text = format!(
        r#"
[[pool]]
name = "{name}"
type = "dir"
target = "{}/p"
autostart = true
  [[pool.volume]]
  name = "small.raw"
  capacity = "1M"
  [[pool.volume]]
  name = "huge.raw"
  capacity = "1E"
  preallocation = "full"
"#,
        dir.path().display()
    );
    let m = Manifest::from_toml(&text).unwrap();
    let plan = conn.plan(&m).unwrap();
    let e = conn.apply(&plan).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("step 5 of 5 (create volume {name}/huge.raw)")),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "undone: create volume {name}/small.raw, set autostart {name}, start pool {name}"
        )),
        "{msg}"
    );
    assert!(msg.contains(&format!("define pool {name}")), "{msg}");
    let pools = virsh(&env.uri, &["pool-list", "--all", "--name"]);
    assert!(!pools.lines().any(|l| l.trim() == name), "{pools}");
    assert!(
        !dir.path().join("p").exists(),
        "the directory it built is gone too"
    );
}

#[test]
fn two_applies_of_one_plan_take_turns() {
    let Some(env) = live("two_applies_of_one_plan_take_turns") else {
        return;
    };
    let conn = env.conn();
    let dir = env.scratch("manifest-race");
    let name = unique("kvmm-race");
    let _gone = Gone(&conn, vec![name.clone()]);
    let text = format!(
        "[[pool]]\nname = \"{name}\"\ntype = \"dir\"\ntarget = \"{}/p\"\n  [[pool.volume]]\n  name = \"v.raw\"\n  capacity = \"1M\"\n",
        dir.path().display()
    );
    let plan = conn.plan(&Manifest::from_toml(&text).unwrap()).unwrap();
    let results: Vec<Result<ApplyReport>> = std::thread::scope(|s| {
        let a = s.spawn(|| env.conn().apply(&plan));
        let b = s.spawn(|| env.conn().apply(&plan));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:#?}");
    let refused = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(refused.kind(), ErrorKind::State, "{refused}");
    let vols = virsh(&env.uri, &["vol-list", &name]);
    assert_eq!(
        vols.lines().filter(|l| l.contains("v.raw")).count(),
        1,
        "{vols}"
    );
}

#[test]
fn a_volume_from_an_image_is_imported_once_and_checked() {
    let Some(env) = live("a_volume_from_an_image_is_imported_once_and_checked") else {
        return;
    };
    let conn = env.conn();
    let dir = env.scratch("manifest-image");
    let image = dir.path().join("base.qcow2");
    run(
        "qemu-img",
        &["create", "-q", "-f", "qcow2", image.to_str().unwrap(), "1G"],
    );
    let sum = run("sha256sum", &[image.to_str().unwrap()]);
    let sum = sum.split_whitespace().next().unwrap();
    let name = unique("kvmm-img");
    let _gone = Gone(&conn, vec![name.clone()]);
    let text = |sha: &str| {
        format!(
            "[[pool]]\nname = \"{name}\"\ntype = \"dir\"\ntarget = \"{}/p\"\n  [[pool.volume]]\n  \
             name = \"vm.qcow2\"\n  image = \"{}\"\n  sha256 = \"{sha}\"\n",
            dir.path().display(),
            image.display()
        )
    };
    // a wrong checksum: the import fails and everything the apply did is undone
    let bad = Manifest::from_toml(&text(&"0".repeat(64))).unwrap();
    let e = conn.apply(&conn.plan(&bad).unwrap()).unwrap_err();
    assert!(e.to_string().contains("undone"), "{e}");
    assert!(conn.find_pool(&name).unwrap().is_none());

    let m = Manifest::from_toml(&text(sum)).unwrap();
    let plan = conn.plan(&m).unwrap();
    assert_eq!(
        plan.actions.last().map(|a| a.action),
        Some(ActionKind::ImportVolume),
        "{plan}"
    );
    conn.apply(&plan).unwrap();
    let vol = conn.pool(&name).unwrap().volume("vm.qcow2").unwrap();
    let info = run("qemu-img", &["info", &vol.path().unwrap()]);
    assert!(
        info.contains("file format: qcow2") && info.contains("virtual size: 1 GiB"),
        "{info}"
    );
    assert!(conn.plan(&m).unwrap().is_empty(), "imported once");
}
