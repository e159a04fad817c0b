//! The command line on a fleet (`--hosts FILE`, `-c` more than once): one inventory
//! table across hosts with a dead host's error as a line of its own, drift exiting 3
//! until apply (canary first) makes every host match, and single-host commands refused
//! as usage errors. Needs the fleet of the test environment (KVMPOOL_FLEET_URIS).

mod support;

use support::*;

fn fleet_uris(test: &str) -> Option<Vec<String>> {
    match std::env::var("KVMPOOL_FLEET_URIS") {
        Ok(u) if u.split_whitespace().count() >= 3 => {
            Some(u.split_whitespace().map(str::to_owned).collect())
        }
        _ => {
            eprintln!("SKIPPED {test}: needs the fleet of the test environment (KVMPOOL_FLEET_URIS, `make test`)");
            None
        }
    }
}

#[test]
fn inventory_plan_apply_drift_across_a_fleet() {
    let (Some(env), Some(uris)) = (
        live("inventory_plan_apply_drift_across_a_fleet"),
        fleet_uris("inventory_plan_apply_drift_across_a_fleet"),
    ) else {
        return;
    };
    let dir = env.scratch("cli-fleet");
    let hosts = dir.path().join("hosts");
    std::fs::write(
        &hosts,
        format!(
            "# three hosts and one that is not there\nh1 {}\nh2 {}\nh3 {}\ndead storage+tcp://127.0.0.1:1/system\n",
            uris[0], uris[1], uris[2]
        ),
    )
    .unwrap();
    let hosts = hosts.to_str().unwrap();
    let pool = unique("kvmc-fleet");
    let _gone: Vec<Gone> = uris[..3]
        .iter()
        .map(|u| Gone {
            uri: u.clone(),
            pools: vec![pool.clone()],
        })
        .collect();
    let manifest = dir.path().join("fleet.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[pool]]\nname = \"{pool}\"\ntype = \"dir\"\ntarget = \"{}/p\"\nautostart = true\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let manifest = manifest.to_str().unwrap();
    let live_hosts = dir.path().join("live-hosts");
    std::fs::write(
        &live_hosts,
        format!("h1 {}\nh2 {}\nh3 {}\n", uris[0], uris[1], uris[2]),
    )
    .unwrap();
    let live_hosts = live_hosts.to_str().unwrap();

    // inventory: one table, the dead host's error on a line, Connect's exit code (16)
    let inv = kvmpool_args(&["--hosts", hosts, "inventory"]).expect(16, "inventory");
    assert!(inv.stdout.starts_with(" Host "), "{}", inv.stdout);
    assert!(
        inv.stdout.contains("dead: error: cannot connect"),
        "{}",
        inv.stdout
    );
    let json = kvmpool_args(&["--hosts", hosts, "inventory", "--json"]).expect(16, "json");
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["schema"], "kvmpool-fleet/1");
    assert_eq!(doc["hosts"].as_array().unwrap().len(), 4);

    // drift before, apply (canary first), drift after
    let drift = kvmpool_args(&["--hosts", live_hosts, "drift", "-f", manifest]).expect(3, "drift");
    assert!(drift.stdout.contains("h2"), "{}", drift.stdout);
    let applied = kvmpool_args(&["--hosts", live_hosts, "apply", "-f", manifest]).ok("apply");
    for h in ["h1", "h2", "h3"] {
        assert!(
            applied.stdout.contains(&format!("{h}: applied")),
            "{}",
            applied.stdout
        );
    }
    for u in &uris[..3] {
        let listed = virsh(u, &["pool-list", "--autostart", "--name"]);
        assert!(listed.lines().any(|l| l.trim() == pool), "{u}: {listed}");
    }
    kvmpool_args(&["--hosts", live_hosts, "drift", "-f", manifest]).ok("in sync");

    // one host's commands are usage errors on a fleet
    kvmpool_args(&["-c", &uris[0], "-c", &uris[1], "pool-list"]).expect(2, "pool-list on a fleet");
}
