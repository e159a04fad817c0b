//! The tutorial's directory-pool steps through the command line against the live
//! daemon, each checked with virsh: pool-define-as, pool-list --all (inactive, no
//! autostart), pool-build, pool-start, pool-autostart, vol-create-as, vol-upload and
//! vol-download (compared with cmp), vol-resize, vol-clone, vol-wipe, vol-delete,
//! pool-refresh, pool-destroy, pool-delete, pool-undefine.

mod support;

use std::process::Command;

use support::*;

fn cmp(a: &std::path::Path, b: &std::path::Path) -> bool {
    Command::new("cmp")
        .arg(a)
        .arg(b)
        .status()
        .expect("cmp runs")
        .success()
}

#[test]
fn tutorial_dir_pool_through_the_cli_checked_with_virsh() {
    let Some(env) = live("tutorial_dir_pool_through_the_cli_checked_with_virsh") else {
        return;
    };
    let uri = env.uri.as_str();
    let dir = env.scratch("cli-tutorial");
    let pool = unique("kvmc-test");
    let _gone = Gone {
        uri: uri.into(),
        pools: vec![pool.clone()],
    };
    let target = dir.path().join("guest_images");
    let target_s = target.to_str().unwrap();
    let k = |args: &[&str]| kvmpool(uri, args).ok(&format!("kvmpool {args:?}")).stdout;

    // step 2: virsh pool-define-as test dir --target /guest_images/
    let out = k(&["pool-define-as", &pool, "dir", "--target", target_s]);
    assert_eq!(out, format!("Pool {pool} defined\n"));
    let listed = table_rows(&virsh(uri, &["pool-list", "--all"]));
    assert_eq!(row(&listed, &pool)[1..], ["inactive", "no"]);
    let xml = virsh(uri, &["pool-dumpxml", &pool]);
    assert!(xml.contains(&format!("<path>{target_s}</path>")), "{xml}");
    assert!(!target.exists());
    k(&["pool-build", &pool]);
    assert!(target.is_dir());
    k(&["pool-start", &pool]);
    k(&["pool-autostart", &pool]);
    let listed = table_rows(&virsh(uri, &["pool-list", "--all"]));
    assert_eq!(row(&listed, &pool)[1..], ["active", "yes"]);
    let info = virsh(uri, &["pool-info", &pool]);
    assert!(info.contains("State:          running"), "{info}");
    // the log: nothing by default, the libvirt calls with their times at -vv, the
    // same output on stdout either way
    let quiet = kvmpool(uri, &["pool-info", &pool]).ok("pool-info");
    let loud = kvmpool(uri, &["-vv", "pool-info", &pool]).ok("-vv pool-info");
    assert_eq!(quiet.stderr, "");
    assert_eq!(quiet.stdout, loud.stdout);
    for call in [
        "virConnectOpen",
        "virStoragePoolLookupByName",
        "virStoragePoolGetInfo",
    ] {
        assert!(
            loud.stderr.contains(&format!("kvmpool: {call}: ok in ")),
            "{call}: {}",
            loud.stderr
        );
    }

    // volumes
    assert_eq!(
        k(&[
            "vol-create-as",
            &pool,
            "vm1.qcow2",
            "10G",
            "--format",
            "qcow2"
        ]),
        "Vol vm1.qcow2 created\n"
    );
    k(&["vol-create-as", &pool, "disk.raw", "4M", "--format", "raw"]);
    let vols = table_rows(&virsh(uri, &["vol-list", &pool, "--details"]));
    assert_eq!(row(&vols, "vm1.qcow2")[2..4], ["file", "10.00 GiB"]);
    assert_eq!(row(&vols, "disk.raw")[3], "4.00 MiB");
    let vxml = virsh(uri, &["vol-dumpxml", "vm1.qcow2", "--pool", &pool]);
    assert!(vxml.contains("<format type='qcow2'/>"), "{vxml}");

    // upload and download, compared with cmp
    let data = dir.path().join("data.bin");
    pattern_file(&data, 3 * 1024 * 1024 + 123);
    let up = kvmpool(
        uri,
        &[
            "vol-upload",
            "disk.raw",
            data.to_str().unwrap(),
            "--pool",
            &pool,
        ],
    )
    .ok("vol-upload");
    assert!(up.stdout.is_empty(), "{}", up.stdout);
    let back = dir.path().join("back.bin");
    k(&[
        "vol-download",
        "disk.raw",
        back.to_str().unwrap(),
        "--pool",
        &pool,
        "--length",
        &(3 * 1024 * 1024 + 123).to_string(),
    ]);
    assert!(cmp(&data, &back), "the downloaded bytes differ");
    let by_virsh = dir.path().join("virsh.bin");
    virsh(
        uri,
        &[
            "vol-download",
            "disk.raw",
            by_virsh.to_str().unwrap(),
            "--pool",
            &pool,
            "--length",
            &(3 * 1024 * 1024 + 123).to_string(),
        ],
    );
    assert!(
        cmp(&data, &by_virsh),
        "virsh reads other bytes than were uploaded"
    );
    // the whole volume by path, the tail being zeros
    let whole = dir.path().join("whole.bin");
    let path = target.join("disk.raw");
    k(&[
        "vol-download",
        path.to_str().unwrap(),
        whole.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::metadata(&whole).unwrap().len(), 4 * 1024 * 1024);
    // --method: through libvirt's stream or directly (the daemon is on this machine);
    // the same bytes, the way taken in the -v log
    for method in ["stream", "direct"] {
        let again = dir.path().join(format!("{method}.bin"));
        let args = ["-v", "vol-download", "disk.raw", again.to_str().unwrap()];
        let run = kvmpool(
            uri,
            &[&args[..], &["--pool", &pool, "--method", method]].concat(),
        )
        .ok("vol-download --method");
        // -v logs the change, with the transfer's report
        assert!(
            run.stderr.contains("kvmpool: volume ")
                && run.stderr.contains(": downloaded to ")
                && run.stderr.contains(&format!(" of holes, {method})")),
            "{}",
            run.stderr
        );
        assert!(cmp(&whole, &again), "{method}: other bytes");
    }
    let bad = kvmpool(
        uri,
        &[
            "vol-upload",
            "disk.raw",
            data.to_str().unwrap(),
            "--pool",
            &pool,
            "--method",
            "fast",
        ],
    );
    assert_eq!(bad.status, 2, "a usage error: {}", bad.stderr);
    assert!(
        bad.stderr.contains("auto, stream, direct"),
        "{}",
        bad.stderr
    );

    // resize, clone, wipe
    assert_eq!(
        k(&["vol-resize", "disk.raw", "8M", "--pool", &pool]),
        "Size of volume 'disk.raw' successfully changed to 8M\n"
    );
    let vinfo = virsh(uri, &["vol-info", "disk.raw", "--pool", &pool]);
    assert!(vinfo.contains("Capacity:       8.00 MiB"), "{vinfo}");
    k(&["vol-clone", "disk.raw", "copy.raw", "--pool", &pool]);
    let copy = dir.path().join("copy.bin");
    virsh(
        uri,
        &[
            "vol-download",
            "copy.raw",
            copy.to_str().unwrap(),
            "--pool",
            &pool,
            "--length",
            &(3 * 1024 * 1024 + 123).to_string(),
        ],
    );
    assert!(cmp(&data, &copy), "the clone holds other bytes");
    k(&["vol-wipe", "copy.raw", "--pool", &pool]);
    k(&["vol-delete", "copy.raw", "--pool", &pool]);
    k(&["vol-delete", "disk.raw", "--pool", &pool]);
    k(&["vol-delete", "vm1.qcow2", "--pool", &pool]);
    let left = table_rows(&virsh(uri, &["vol-list", &pool]));
    assert!(left.is_empty(), "{left:?}");
    k(&["pool-refresh", &pool]);

    // and down again
    k(&["pool-autostart", &pool, "--disable"]);
    k(&["pool-destroy", &pool]);
    let listed = table_rows(&virsh(uri, &["pool-list", "--all"]));
    assert_eq!(row(&listed, &pool)[1..], ["inactive", "no"]);
    k(&["pool-delete", &pool]);
    assert!(!target.exists());
    assert_eq!(
        k(&["pool-undefine", &pool]),
        format!("Pool {pool} has been undefined\n")
    );
    let all = virsh(uri, &["pool-list", "--all", "--name"]);
    assert!(!all.lines().any(|l| l == pool), "{all}");
}

/// The tutorial's other pools, as pool-define-as --print-xml writes them (no daemon):
/// the same definition virsh writes for the same arguments (compared parsed).
#[test]
fn tutorial_define_as_forms_print_their_xml() {
    for args in [
        &[
            "pool-define-as",
            "kvmvg",
            "logical",
            "--source-name",
            "kvmvg",
            "--target",
            "/dev/kvmvg",
        ][..],
        &[
            "pool-define-as",
            "--name",
            "storage01",
            "--type",
            "iscsi",
            "--source-host",
            "192.168.2.20",
            "--source-dev",
            "iqn.2017-10.com.cloud.www:storage001",
            "--target",
            "/dev/disk/by-path",
        ][..],
        &[
            "pool-define-as",
            "--name",
            "kvmnfs",
            "--type",
            "netfs",
            "--source-host",
            "192.168.2.20",
            "--source-path",
            "/nfsshare",
            "--target",
            "/nfstest",
        ][..],
    ] {
        let mut ours = args.to_vec();
        ours.push("--print-xml");
        let xml = kvmpool("test:///default", &ours).ok("--print-xml").stdout;
        let theirs = virsh("test:///default", &ours);
        let parse =
            |x: &str| kvmpool_core::PoolSpec::from_xml(x).unwrap_or_else(|e| panic!("{e}\n{x}"));
        assert_eq!(parse(&xml), parse(&theirs), "{args:?}\n{xml}\n{theirs}");
    }
}
