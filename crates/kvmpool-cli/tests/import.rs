//! `kvmpool import POOL SOURCE`: a qcow2 made with qemu-img imported into a dir pool on
//! the live daemon (format and virtual size from the header, checksum verified); a wrong
//! checksum exits with InvalidSpec's or Io's code and leaves no volume (virsh).

mod support;

use std::process::Command;

use support::*;

#[test]
fn import_an_image_through_the_cli() {
    let Some(env) = live("import_an_image_through_the_cli") else {
        return;
    };
    let uri = env.uri.as_str();
    let dir = env.scratch("cli-import");
    let pool = unique("kvmc-import");
    let _gone = Gone {
        uri: uri.into(),
        pools: vec![pool.clone()],
    };
    let target = dir.path().join("p");
    kvmpool(
        uri,
        &[
            "pool-define-as",
            &pool,
            "dir",
            "--target",
            target.to_str().unwrap(),
        ],
    )
    .ok("define");
    kvmpool(uri, &["pool-build", &pool]).ok("build");
    kvmpool(uri, &["pool-start", &pool]).ok("start");
    let image = dir.path().join("cloud.qcow2");
    let made = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&image)
        .arg("2G")
        .status()
        .unwrap();
    assert!(made.success());
    let sum = Command::new("sha256sum").arg(&image).output().unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout);
    let sum = sum.split_whitespace().next().unwrap().to_owned();
    let src = image.to_str().unwrap();

    // a wrong sum: refused after the transfer, the new volume removed
    let bad = "0".repeat(64);
    let run = kvmpool(uri, &["import", &pool, src, "--sha256", &bad]);
    assert_ne!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&bad) && run.stderr.contains(&sum),
        "{}",
        run.stderr
    );
    assert!(!virsh(uri, &["vol-list", &pool]).contains("cloud.qcow2"));

    let out = kvmpool(uri, &["import", &pool, src, "--sha256", &sum]).ok("import");
    assert_eq!(out.stdout, "Vol cloud.qcow2 imported\n");
    let xml = virsh(uri, &["vol-dumpxml", "cloud.qcow2", "--pool", &pool]);
    assert!(xml.contains("<format type='qcow2'/>"), "{xml}");
    assert!(
        xml.contains("<capacity unit='bytes'>2147483648</capacity>"),
        "{xml}"
    );
    // already there: AlreadyExists's code (12)
    kvmpool(uri, &["import", &pool, src]).expect(12, "import again");
}
