//! How long identifying an image takes: `kvmpool::image::probe` on warm files made with
//! qemu-img (and the file's open, for `probe_path`). Run with `cargo bench --bench image`.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};
use kvmpool::image::{probe, probe_as_libvirt, probe_path};

fn create(dir: &Path, name: &str, args: &[&str]) {
    let ok = Command::new("qemu-img")
        .args(["create", "-q"])
        .args(&args[..args.len() - 1])
        .arg(name)
        .arg(args[args.len() - 1])
        .current_dir(dir)
        .status()
        .expect("qemu-img (qemu-utils)")
        .success();
    assert!(ok, "qemu-img create {name}");
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    create(d, "base.raw", &["-f", "raw", "10G"]);
    create(
        d,
        "disk.qcow2",
        &["-f", "qcow2", "-b", "base.raw", "-F", "raw", "10G"],
    );
    create(d, "disk.raw", &["-f", "raw", "10G"]);
    create(d, "disk.vhdx", &["-f", "vhdx", "10G"]);
    let mut group = c.benchmark_group("image_probe");
    let qcow2 = d.join("disk.qcow2");
    let mut file = File::open(&qcow2).unwrap();
    let len = file.seek(SeekFrom::End(0)).unwrap();
    group.bench_function("qcow2_open_file", |b| {
        b.iter(|| probe(&mut file, len).unwrap())
    });
    group.bench_function("qcow2_path", |b| b.iter(|| probe_path(&qcow2).unwrap()));
    group.bench_function("qcow2_as_libvirt", |b| {
        b.iter(|| probe_as_libvirt(&mut file, len).unwrap())
    });
    for name in ["disk.raw", "disk.vhdx"] {
        let path = d.join(name);
        group.bench_function(format!("{}_path", name.replace("disk.", "")), |b| {
            b.iter(|| probe_path(&path).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
