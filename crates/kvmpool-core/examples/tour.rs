//! The tutorial's walk-through ("KVM storage pools with virsh"), done through kvmpool.
//!
//! `cargo run --example tour` runs it on libvirt's embedded test driver
//! (`test:///default`: no daemon, nothing on the host changes). Give a URI to run it
//! against a real daemon: `cargo run --example tour -- qemu:///system`; pools are then
//! made under a temporary directory and the upload/download step shows a progress bar.

use std::time::Duration;

use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};
use indicatif::{ProgressBar, ProgressStyle};
use kvmpool_core::*;

fn main() {
    if let Err(e) = run() {
        eprintln!("tour failed: {e}");
        std::process::exit(1);
    }
}

fn step(title: &str) {
    println!("\n== {title}");
}

fn run() -> Result<()> {
    let uri = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "test:///default".into());
    let test_driver = uri.starts_with("test://");
    let conn = Connection::open(&uri)?;
    println!("Connected to {}", conn.uri()?);
    let scratch = std::env::temp_dir().join(format!("kvmpool-tour-{}", std::process::id()));
    let base = if test_driver {
        String::new()
    } else {
        scratch.display().to_string()
    };

    step("1. Look around: pool-list --details, pool-info, vol-list");
    print_pools(&conn)?;
    if let Some(first) = conn.pools()?.into_iter().next() {
        print_pool_info(&first)?;
        print_volumes(&first)?;
    }

    step("2. Directory pool: pool-define-as test dir --target /guest_images/");
    let spec: PoolSpec = DirPool::new("test", format!("{base}/guest_images/")).into();
    let test = conn.define_pool(&spec)?;
    println!("Pool test defined");
    print_pools(&conn)?;
    test.build(BuildMode::Normal)?;
    println!("Pool test built");
    test.start()?;
    println!("Pool test started");
    test.set_autostart(true)?;
    println!("Pool test marked as autostarted");
    print_pool_info(&test)?;

    let mut others: Vec<Pool> = Vec::new();
    step("3. Filesystem pool: pool-define-as test_fs fs --source-dev /dev/sdc1 --target /guest_images_fs");
    let fs: PoolSpec = FsPool::new("test_fs", "/dev/sdc1", format!("{base}/guest_images_fs"))
        .format(FsFormat::Ext4)
        .into();
    others.push(define_and_maybe_start(&conn, &fs, test_driver)?);

    step("4. Whole-disk pool from XML: pool-define test.xml");
    let disk_xml = "<pool type='disk'>\n  <name>test_disk</name>\n  <source>\n    \
                    <device path='/dev/sdc'/>\n    <format type='gpt'/>\n  </source>\n  \
                    <target>\n    <path>/dev</path>\n  </target>\n</pool>";
    println!("{disk_xml}");
    let disk = PoolSpec::from_xml(disk_xml)?;
    others.push(define_and_maybe_start(&conn, &disk, test_driver)?);

    step("5. LVM pool: pool-define-as kvmvg logical --source-name kvmvg --target /dev/kvmvg");
    let lvm: PoolSpec = LogicalPool::new("kvmvg", "kvmvg").into();
    others.push(define_and_maybe_start(&conn, &lvm, test_driver)?);

    step("6. iSCSI pool: pool-define-as --name storage01 --type iscsi ...");
    let iscsi: PoolSpec = IscsiPool::new(
        "storage01",
        "192.168.2.20",
        "iqn.2017-10.com.cloud.www:storage001",
    )
    .into();
    others.push(define_and_maybe_start(&conn, &iscsi, test_driver)?);

    step("7. NFS pool: pool-define-as --name kvmnfs --type netfs ...");
    let nfs: PoolSpec = NetfsPool::new(
        "kvmnfs",
        "192.168.2.20",
        "/nfsshare",
        format!("{base}/nfstest"),
    )
    .into();
    others.push(define_and_maybe_start(&conn, &nfs, test_driver)?);
    print_pools(&conn)?;

    step("Volumes: vol-create-as test vm1.qcow2 10G --format qcow2, and a raw one");
    let qcow2 = test
        .create_volume(&VolumeSpec::new("vm1.qcow2", Size::gib(10)).format(VolumeFormat::Qcow2))?;
    let raw = test.create_volume(&VolumeSpec::new("data.raw", Size::mib(64)))?;
    print_volumes(&test)?;
    print_volume_info(&qcow2)?;

    step("vol-clone test vm1.qcow2 vm2.qcow2");
    let clone = qcow2.clone_as("vm2.qcow2", false)?;
    print_volume_info(&clone)?;

    step("vol-resize vm1.qcow2 20G");
    match qcow2.resize(Resize::to(Size::gib(20))) {
        Ok(()) => print_volume_info(&qcow2)?,
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            println!("(not on the test driver: {e}; run `make tour URI=...` against a daemon)")
        }
        Err(e) => return Err(e),
    }

    step("vol-upload / vol-download data.raw");
    if test_driver {
        println!("(the test driver has no data path; run `make tour URI=...` to see a transfer)");
    } else {
        transfer(&raw, &scratch)?;
    }

    step("vol-delete, pool-destroy, pool-delete, pool-undefine");
    for vol in test.volumes()? {
        vol.delete(DeleteMode::Normal)?;
        println!("Vol {} deleted", vol.name());
    }
    test.destroy()?;
    test.delete(DeleteMode::Normal)?;
    test.undefine()?;
    println!("Pool test destroyed, deleted and undefined");
    for pool in others {
        if pool.is_active()? {
            pool.destroy()?;
        }
        pool.undefine()?;
        println!("Pool {} undefined", pool.name());
    }
    print_pools(&conn)?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// On the test driver every type starts; on a real daemon the tutorial's devices
/// (/dev/sdc, 192.168.2.20) do not exist, so those pools are only defined.
fn define_and_maybe_start(conn: &Connection, spec: &PoolSpec, start: bool) -> Result<Pool> {
    let pool = conn.define_pool(spec)?;
    println!("Pool {} defined ({} pool)", pool.name(), spec.pool_type());
    if start {
        pool.start()?;
        pool.set_autostart(true)?;
        println!("Pool {} started, autostart on", pool.name());
    } else {
        println!(
            "Pool {} left inactive: its device is the tutorial's example",
            pool.name()
        );
    }
    Ok(pool)
}

fn transfer(vol: &Volume, scratch: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(scratch).map_err(|e| Error::io("scratch directory", e))?;
    let src = scratch.join("data.img");
    let data: Vec<u8> = (0..64u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&src, &data).map_err(|e| Error::io("writing the sample file", e))?;
    for (label, upload) in [("upload", true), ("download", false)] {
        let bar = ProgressBar::new(data.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>9} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(label);
        let b = bar.clone();
        let opts = TransferOptions::default().progress(move |done, _| {
            b.set_position(done);
            true
        });
        let report = if upload {
            vol.upload_file(&src, &opts)?
        } else {
            vol.download_file(scratch.join("data.out"), &opts)?
        };
        bar.finish();
        println!(
            "{label}: {} in {:?}",
            Size::bytes(report.total()),
            bar.elapsed().max(Duration::from_millis(1))
        );
    }
    let back = std::fs::read(scratch.join("data.out"))
        .map_err(|e| Error::io("reading the download", e))?;
    println!("downloaded bytes equal uploaded bytes: {}", back == data);
    Ok(())
}

fn print_pools(conn: &Connection) -> Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header([
        "Name",
        "State",
        "Autostart",
        "Persistent",
        "Capacity",
        "Allocation",
        "Available",
    ]);
    for pool in conn.pools()? {
        let info = pool.info()?;
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let size = |s: Size| {
            if info.state == PoolState::Running {
                s.to_string()
            } else {
                "-".into()
            }
        };
        table.add_row([
            pool.name().to_owned(),
            info.state.to_string(),
            yes_no(pool.autostart()?).to_owned(),
            yes_no(pool.is_persistent()?).to_owned(),
            size(info.capacity),
            size(info.allocation),
            size(info.available),
        ]);
    }
    println!("{table}");
    Ok(())
}

fn print_pool_info(pool: &Pool) -> Result<()> {
    let info = pool.info()?;
    println!("Name:           {}", pool.name());
    println!("UUID:           {}", pool.uuid());
    println!("State:          {}", info.state);
    println!(
        "Persistent:     {}",
        if pool.is_persistent()? { "yes" } else { "no" }
    );
    println!(
        "Autostart:      {}",
        if pool.autostart()? { "yes" } else { "no" }
    );
    println!("Capacity:       {}", info.capacity);
    println!("Allocation:     {}", info.allocation);
    println!("Available:      {}", info.available);
    Ok(())
}

fn print_volumes(pool: &Pool) -> Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header([
        "Name",
        "Path",
        "Type",
        "Capacity",
        "Allocation",
    ]);
    for vol in pool.volumes()? {
        let info = vol.info()?;
        table.add_row([
            vol.name().to_owned(),
            vol.path()?,
            info.volume_type.to_string(),
            info.capacity.to_string(),
            info.allocation.to_string(),
        ]);
    }
    println!("Volumes of {}:\n{table}", pool.name());
    Ok(())
}

fn print_volume_info(vol: &Volume) -> Result<()> {
    let info = vol.info()?;
    println!("Name:           {}", vol.name());
    println!("Key:            {}", vol.key());
    println!("Type:           {}", info.volume_type);
    println!("Capacity:       {}", info.capacity);
    println!("Allocation:     {}", info.allocation);
    Ok(())
}
