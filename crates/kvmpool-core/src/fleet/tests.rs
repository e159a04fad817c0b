//! Fleet tests without a daemon: hosts are libvirt test-driver files (each connection
//! to one has its own state) and URIs nothing answers on.

use std::time::Duration;

use super::*;
use crate::manifest::ActionKind;
use crate::spec::{FieldValue, NetfsFormat, NetfsPool, PoolSpec, PoolType};

/// `n` test-driver hosts (one running dir pool `default-pool` each) in `dir`.
fn test_hosts(dir: &tempfile::TempDir, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let node = dir.path().join(format!("node{i}.xml"));
            std::fs::write(
                &node,
                "<node>\n  <pool type='dir'>\n    <name>default-pool</name>\n    \
                 <target><path>/default-pool</path></target>\n  </pool>\n</node>\n",
            )
            .unwrap();
            format!("test://{}", node.display())
        })
        .collect()
}

/// A URI on which nothing listens: libvirt's client is refused at once.
const REFUSED: &str = "storage+tcp://127.0.0.1:1/system";

fn quick() -> FleetOptions {
    FleetOptions::default()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
}

#[test]
fn bad_input_is_refused_and_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let uris = test_hosts(&dir, 2);
    let none: [&str; 0] = [];
    let cases: Vec<(Result<Fleet>, &str)> = vec![
        (Fleet::open(&none, &quick()), "uris"),
        (
            Fleet::open(&[&uris[0], &uris[1], &uris[0]], &quick()),
            "uris[2]",
        ),
        (Fleet::open(&uris, &quick().labels(["a"])), "labels"),
        (Fleet::open(&uris, &quick().labels(["a", "a"])), "labels[1]"),
        (Fleet::open(&uris, &quick().labels(["a", ""])), "labels[1]"),
        (Fleet::open(&[""], &quick()), "uris[0]"),
        (
            Fleet::open(&uris, &quick().connect_timeout(Duration::ZERO)),
            "connect_timeout",
        ),
        (Fleet::open(&uris, &quick().concurrency(0)), "concurrency"),
    ];
    for (result, field) in cases {
        let e = result.expect_err(field);
        assert_eq!(e.kind(), ErrorKind::InvalidSpec, "{e}");
        assert_eq!(e.field(), Some(field), "{e}");
    }
}

#[test]
fn an_unreachable_host_is_kept_with_its_error_and_the_others_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut uris = test_hosts(&dir, 2);
    uris.push(REFUSED.to_owned());
    let fleet = Fleet::open(&uris, &quick().labels(["a", "b", "dead"])).unwrap();
    assert_eq!(fleet.labels(), ["a", "b", "dead"]);
    let hosts = fleet.hosts();
    assert!(hosts[0].connected && hosts[1].connected && !hosts[2].connected);
    let e = hosts[2].error.as_ref().unwrap();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(e.to_string().contains(REFUSED), "{e}");
    assert!(hosts.iter().all(|h| h.tls_verify));

    let inv = fleet.inventory();
    assert_eq!(inv.operation, "inventory");
    assert_eq!(inv.hosts.len(), 3);
    for label in ["a", "b"] {
        let pools = &inv.get(label).unwrap().result.as_ref().unwrap().pools;
        assert_eq!(pools[0].name, "default-pool");
    }
    let dead = inv.get("dead").unwrap().result.as_ref().unwrap_err();
    assert_eq!(dead.kind(), ErrorKind::Connect);
    assert_eq!(inv.errors().count(), 1);

    let json: serde_json::Value = serde_json::from_str(&inv.to_json()).unwrap();
    assert_eq!(json["schema"], FLEET_SCHEMA);
    assert_eq!(json["operation"], "inventory");
    assert_eq!(json["hosts"][0]["ok"], true);
    assert_eq!(
        json["hosts"][0]["result"]["pools"][0]["name"],
        "default-pool"
    );
    assert_eq!(json["hosts"][2]["ok"], false);
    assert_eq!(json["hosts"][2]["error"]["kind"], "Connect");
    assert!(json["hosts"][2]["result"].is_null());
}

#[test]
fn secrets_of_a_uri_never_show() {
    let dir = tempfile::tempdir().unwrap();
    let mut uris = test_hosts(&dir, 1);
    uris.push("storage+tcp://admin:hunter2@127.0.0.1:1/system?token=sekret-token".into());
    let fleet = Fleet::open(&uris, &quick()).unwrap();
    let shown = "storage+tcp://admin:***@127.0.0.1:1/system?token=***";
    assert_eq!(fleet.labels()[1], shown);
    let inv = fleet.inventory();
    let status = fleet.hosts();
    let texts = [
        format!("{fleet:?}"),
        format!("{:?}", status[1]),
        status[1].error.as_ref().unwrap().to_string(),
        format!("{:?}", inv.hosts[1]),
        inv.to_json(),
        fleet.connection(shown).unwrap_err().to_string(),
    ];
    for text in &texts {
        assert!(
            !text.contains("hunter2") && !text.contains("sekret"),
            "{text}"
        );
    }
    assert!(texts[2].contains(shown), "{}", texts[2]);
}

fn manifest(volume_size: &str) -> Manifest {
    Manifest::from_toml(&format!(
        r#"
[[pool]]
name = "guest_images"
type = "dir"
target = "/guest_images"
autostart = true

  [[pool.volume]]
  name = "vm1.qcow2"
  capacity = "{volume_size}"
  format = "qcow2"

[[pool]]
name = "kvmnfs"
type = "netfs"
host = "nfs.example"
source_path = "/export"
target = "/nfstest"
"#
    ))
    .unwrap()
}

#[test]
fn plan_apply_with_a_canary_then_drift() {
    let dir = tempfile::tempdir().unwrap();
    let mut uris = test_hosts(&dir, 3);
    uris.push(REFUSED.to_owned());
    let fleet = Fleet::open(&uris, &quick().labels(["a", "b", "c", "dead"])).unwrap();
    let m = manifest("1G");

    let plans = fleet.plan(&m);
    assert_eq!(plans.operation, "plan");
    for label in ["a", "b", "c"] {
        let plan = plans.get(label).unwrap().result.as_ref().unwrap();
        assert_eq!(plan.actions[0].action, ActionKind::DefinePool);
    }
    let drift = DriftMatrix::from_plans(&m, &plans);
    assert_eq!(drift.pools, ["guest_images", "kvmnfs"]);
    assert_eq!(
        drift.cell("a", "kvmnfs").unwrap().state,
        DriftState::Missing
    );
    assert_eq!(
        drift.cell("dead", "guest_images").unwrap().state,
        DriftState::Unreachable
    );

    // the canary is the first host with something to do; the dead host gets its error
    let applied = fleet
        .apply(
            &plans,
            &FleetApplyOptions::default()
                .canary(Canary::First)
                .concurrency(2),
        )
        .unwrap();
    assert_eq!(applied.operation, "apply");
    for label in ["a", "b", "c"] {
        match applied.get(label).unwrap().result.as_ref().unwrap() {
            ApplyOutcome::Applied(r) => assert!(!r.done.is_empty()),
            other => panic!("{label}: {other:?}"),
        }
    }
    let dead = applied.get("dead").unwrap().result.as_ref().unwrap_err();
    assert!(dead.to_string().contains("no plan"), "{dead}");
    let json: serde_json::Value = serde_json::from_str(&applied.to_json()).unwrap();
    assert_eq!(json["hosts"][0]["result"]["status"], "applied");

    // converged: the test hosts are in sync
    let drift = fleet.drift(&m);
    for label in ["a", "b", "c"] {
        for pool in ["guest_images", "kvmnfs"] {
            assert_eq!(drift.cell(label, pool).unwrap().state, DriftState::InSync);
        }
    }

    // out of band: b's pool stopped, c's undefined
    fleet
        .connection("b")
        .unwrap()
        .pool("kvmnfs")
        .unwrap()
        .destroy()
        .unwrap();
    let c = fleet.connection("c").unwrap();
    let p = c.pool("kvmnfs").unwrap();
    p.destroy().unwrap();
    p.undefine().unwrap();
    let drift = fleet.drift(&m);
    let b = drift.cell("b", "kvmnfs").unwrap();
    assert_eq!(b.state, DriftState::Drifted);
    assert_eq!(b.actions[0].action, ActionKind::StartPool);
    assert_eq!(
        drift.cell("c", "kvmnfs").unwrap().state,
        DriftState::Missing
    );
    assert_eq!(drift.cell("a", "kvmnfs").unwrap().state, DriftState::InSync);
    let table = drift.to_string();
    assert!(table.lines().next().unwrap().starts_with("host"), "{table}");
    assert!(
        table.contains("drifted") && table.contains("unreachable"),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&drift.to_json()).unwrap();
    assert_eq!(json["operation"], "drift");
    assert_eq!(json["cells"][3]["state"], "drifted");
}

#[test]
fn a_failing_canary_leaves_the_other_hosts_alone() {
    let dir = tempfile::tempdir().unwrap();
    let uris = test_hosts(&dir, 3);
    let fleet = Fleet::open(&uris, &quick().labels(["a", "b", "c"])).unwrap();
    let m = manifest("1G");
    let plans = fleet.plan(&m);
    // c changes after its plan was made: its apply refuses the stale plan
    let c = fleet.connection("c").unwrap();
    c.define_pool(&NetfsPool::new("kvmnfs", "other.example", "/x", "/y").into())
        .unwrap();
    let applied = fleet
        .apply(
            &plans,
            &FleetApplyOptions::default().canary(Canary::Host("c".into())),
        )
        .unwrap();
    let e = applied.get("c").unwrap().result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State, "{e}");
    for label in ["a", "b"] {
        match applied.get(label).unwrap().result.as_ref().unwrap() {
            ApplyOutcome::Skipped { reason } => {
                assert!(reason.contains("canary host c"), "{reason}")
            }
            other => panic!("{label}: {other:?}"),
        }
        let conn = fleet.connection(label).unwrap();
        assert!(conn.find_pool("guest_images").unwrap().is_none());
    }
    let json: serde_json::Value = serde_json::from_str(&applied.to_json()).unwrap();
    assert_eq!(json["hosts"][0]["result"]["status"], "skipped");
    // an unknown canary is bad input
    let e = fleet
        .apply(
            &plans,
            &FleetApplyOptions::default().canary(Canary::Host("zz".into())),
        )
        .unwrap_err();
    assert_eq!(e.field(), Some("canary"));
}

#[test]
fn migration_check_names_the_fields_that_differ() {
    let dir = tempfile::tempdir().unwrap();
    let uris = test_hosts(&dir, 3);
    let fleet = Fleet::open(&uris, &quick().labels(["a", "b", "c"])).unwrap();
    let nfs = |target: &str| -> PoolSpec {
        NetfsPool::new("share", "nfs.example", "/export", target)
            .format(NetfsFormat::Nfs)
            .into()
    };
    for (label, target) in [
        ("a", "/mnt/share"),
        ("b", "/mnt/share"),
        ("c", "/mnt/other"),
    ] {
        let p = fleet
            .connection(label)
            .unwrap()
            .define_pool(&nfs(target))
            .unwrap();
        p.start().unwrap();
    }
    let same = fleet.migration_check("a", "b", "share").unwrap();
    assert!(same.compatible && same.shared, "{same:?}");
    assert!(same.differences.is_empty());

    let differ = fleet.migration_check("a", "c", "share").unwrap();
    assert!(!differ.compatible);
    assert_eq!(differ.differences.len(), 1, "{differ:?}");
    assert_eq!(differ.differences[0].field, "target");
    assert_eq!(
        differ.differences[0].b,
        FieldValue::Text("/mnt/other".into())
    );
    let json: serde_json::Value = serde_json::from_str(&differ.to_json()).unwrap();
    assert_eq!(json["operation"], "migration-check");
    assert_eq!(json["differences"][0]["field"], "target");

    // a dir pool is no shared storage; a pool missing on one side is named
    let local = fleet.migration_check("a", "b", "default-pool").unwrap();
    assert!(!local.compatible && !local.shared, "{local:?}");
    let missing = fleet.migration_check("a", "b", "nope").unwrap();
    assert_eq!(missing.problems.len(), 2, "{missing:?}");
    assert_eq!(
        fleet
            .migration_check("a", "zz", "share")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn shared_storage_groups_hosts_by_source() {
    let dir = tempfile::tempdir().unwrap();
    let uris = test_hosts(&dir, 3);
    let fleet = Fleet::open(&uris, &quick().labels(["a", "b", "c"])).unwrap();
    let spec: PoolSpec = NetfsPool::new("share", "nfs.example", "/export", "/mnt/share").into();
    for (label, size) in [("a", 1 << 20), ("b", 1 << 20), ("c", 0)] {
        let p = fleet.connection(label).unwrap().define_pool(&spec).unwrap();
        p.start().unwrap();
        if size > 0 {
            // test-driver hosts share nothing: make the "same" volume on each
            p.create_volume(&crate::VolumeSpec::new(
                "disk.raw",
                crate::Size::bytes(size),
            ))
            .unwrap();
        }
    }
    let shared = fleet.shared_storage(true);
    assert!(shared.errors.is_empty());
    assert_eq!(shared.sources.len(), 1, "{:?}", shared.sources);
    let (source, vol) = shared.volume("disk.raw").unwrap();
    assert_eq!(source.pool_type, PoolType::Netfs);
    assert_eq!(source.pools.len(), 3);
    assert_eq!(
        source.source.get("host"),
        Some(&FieldValue::Text("nfs.example".into()))
    );
    let hosts: Vec<&str> = vol.seen.iter().map(|s| s.host.as_str()).collect();
    assert_eq!(hosts, ["a", "b"]);
    assert!(vol.sizes_agree);
    assert_eq!(vol.missing_on, ["c"]);
    let json: serde_json::Value = serde_json::from_str(&shared.to_json()).unwrap();
    assert_eq!(
        json["sources"][0]["volumes"][0]["seen"][1]["capacity"],
        1 << 20
    );
}
