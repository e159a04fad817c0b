//! The read commands against virsh on the same live host: the same names, states and
//! sizes, in the same tables. The pools are made with virsh (not with kvmpool), and
//! are private to the test, so nothing refreshes them between the two readings.

mod support;

use support::*;

#[test]
fn read_commands_match_virsh_on_the_live_daemon() {
    let Some(env) = live("read_commands_match_virsh_on_the_live_daemon") else {
        return;
    };
    let uri = env.uri.as_str();
    let dir = env.scratch("cli-virsh");
    let (running, stopped) = (unique("kvmc-run"), unique("kvmc-off"));
    let _gone = Gone {
        uri: uri.into(),
        pools: vec![running.clone(), stopped.clone()],
    };
    for (pool, sub) in [(&running, "run"), (&stopped, "off")] {
        let target = dir.path().join(sub);
        virsh(
            uri,
            &[
                "pool-define-as",
                pool,
                "dir",
                "--target",
                target.to_str().unwrap(),
            ],
        );
        virsh(uri, &["pool-build", pool]);
    }
    virsh(uri, &["pool-start", &running]);
    virsh(uri, &["pool-autostart", &running]);
    for (vol, size, format) in [
        ("a.raw", "1M", "raw"),
        ("b.qcow2", "10G", "qcow2"),
        ("c.raw", "1500", "raw"),
    ] {
        virsh(
            uri,
            &["vol-create-as", &running, vol, size, "--format", format],
        );
    }

    // pool-list: the same columns; our pools' rows cell for cell
    for args in [
        &["pool-list", "--all", "--details"][..],
        &["pool-list", "--all"][..],
        &["pool-list", "--inactive", "--details"][..],
        &["pool-list", "--all", "--details", "--type", "dir"][..],
    ] {
        let ours = kvmpool(uri, args).ok("kvmpool pool-list").stdout;
        let theirs = virsh_text(uri, args);
        assert_eq!(
            ours.lines().next(),
            theirs.lines().next(),
            "{args:?}: header\n{ours}\n{theirs}"
        );
        let (ours, theirs) = (table_rows(&ours), table_rows(&theirs));
        for pool in [&running, &stopped] {
            if args.contains(&"--inactive") && pool == &running {
                assert!(!ours.iter().any(|r| &r[0] == pool), "{args:?}: {ours:?}");
                continue;
            }
            assert_eq!(row(&ours, pool), row(&theirs, pool), "{args:?}");
        }
    }
    let details = table_rows(&kvmpool(uri, &["pool-list", "--all", "--details"]).stdout);
    assert_eq!(
        row(&details, &stopped)[1..],
        ["inactive", "no", "yes", "-", "-", "-"]
    );
    assert_eq!(row(&details, &running)[1..4], ["running", "yes", "yes"]);

    // pool-info, vol-list, vol-info: byte for byte (virsh adds an empty line)
    let mut same = vec![
        vec!["pool-info", running.as_str()],
        vec!["pool-info", stopped.as_str()],
        vec!["pool-info", running.as_str(), "--bytes"],
        vec!["vol-list", running.as_str()],
        vec!["vol-list", running.as_str(), "--details"],
        // the files read here and libvirt's calls, both as virsh shows them
        vec![
            "vol-list",
            running.as_str(),
            "--details",
            "--method",
            "local",
        ],
        vec!["vol-list", running.as_str(), "--details", "--method", "rpc"],
        vec!["pool-uuid", running.as_str()],
        vec!["pool-dumpxml", running.as_str()],
        vec!["pool-dumpxml", stopped.as_str(), "--inactive"],
    ];
    for vol in ["a.raw", "b.qcow2", "c.raw"] {
        for cmd in ["vol-info", "vol-key", "vol-path", "vol-dumpxml"] {
            same.push(vec![cmd, vol, "--pool", running.as_str()]);
        }
        same.push(vec!["vol-info", vol, "--pool", running.as_str(), "--bytes"]);
    }
    let path = dir.path().join("run/b.qcow2");
    let path = path.to_str().unwrap();
    same.push(vec!["vol-name", path]);
    same.push(vec!["vol-pool", path]);
    same.push(vec!["vol-pool", path, "--uuid"]);
    same.push(vec!["vol-info", path]);
    let uuid = virsh(uri, &["pool-uuid", &running]).trim().to_owned();
    same.push(vec!["pool-name", uuid.as_str()]);
    same.push(vec!["pool-info", uuid.as_str()]);
    for args in &same {
        let ours = kvmpool(uri, args).ok(&format!("kvmpool {args:?}")).stdout;
        let virsh_args = args.split(|a| *a == "--method").next().unwrap();
        let theirs = virsh_text(uri, virsh_args);
        assert_eq!(ours, theirs, "{args:?}");
    }

    // the sizes virsh shows, in virsh's form
    let info = kvmpool(uri, &["vol-info", "b.qcow2", "--pool", &running]).stdout;
    assert!(info.contains("Capacity:       10.00 GiB\n"), "{info}");
    let info = kvmpool(uri, &["vol-info", "c.raw", "--pool", &running]).stdout;
    assert!(info.contains("Capacity:       1.46 KiB\n"), "{info}");
}
