//! `kvmpool::image` against the tools that make images: each image made with
//! `qemu-img create`/`convert` is probed and every field compared with
//! `qemu-img info --output=json`, then probed again from growing prefixes as a download
//! would be; ISOs made with xorriso are checked against their primary volume descriptor
//! (util-linux's `isosize`). Property tests feed random and mutated headers (mutations of
//! real qemu-img headers) and check that a probe never panics, never reads past the file
//! or more than its bound, and says the same from a stream. With the live daemon
//! (`make test`), `probe_as_libvirt` is compared with what libvirt itself reports.
//! `KVMPOOL_PROPTEST_CASES` sets the cases per property, as in tests/properties.rs.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kvmpool::image::*;
use kvmpool::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use serde_json::Value;

// ---- making images ----------------------------------------------------------------

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (tests/env/kvmpool-env.sh install): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `qemu-img create -q -f <fmt> <options...> <name> [size]` in `dir` (a size is the last
/// argument when it starts with a digit); returns the image's path.
fn create(dir: &Path, name: &str, fmt: &str, args: &[&str]) -> PathBuf {
    let (options, size) = match args.split_last() {
        Some((size, rest)) if size.starts_with(|c: char| c.is_ascii_digit()) => (rest, Some(*size)),
        _ => (args, None),
    };
    // relative backing files and extents resolve against the image's directory
    let out = Command::new("qemu-img")
        .args(["create", "-q", "-f", fmt])
        .args(options)
        .arg(name)
        .args(size)
        .current_dir(dir)
        .output()
        .expect("qemu-img (qemu-utils, tests/env/kvmpool-env.sh install)");
    assert!(
        out.status.success(),
        "qemu-img create {fmt} {name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join(name)
}

fn qemu_info(path: &Path) -> Value {
    let dir = path.parent().unwrap();
    let out = Command::new("qemu-img")
        .args(["info", "--output=json", path.to_str().unwrap()])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "qemu-img info {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

// ---- comparing with qemu-img ------------------------------------------------------------

/// Probe `path` and compare every field with `qemu-img info`; then probe it as a stream.
fn assert_matches_qemu(path: &Path) -> ImageInfo {
    let info = probe_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let q = qemu_info(path);
    let shown = path.display();
    match q["format"].as_str().unwrap() {
        // libvirt's model of a LUKS container: raw with LUKS encryption
        "luks" => {
            assert_eq!(info.format, ImageFormat::Raw, "{shown}");
            assert_eq!(info.encryption, Some(EncryptionFormat::Luks), "{shown}");
        }
        qemu => assert_eq!(info.format.qemu_name(), Some(qemu), "{shown}"),
    }
    let qemu_size = q["virtual-size"].as_u64();
    if info.format == ImageFormat::Raw && info.encryption.is_none() {
        // qemu rounds a raw file up to whole sectors; its virtual size is the file
        assert_eq!(
            info.virtual_size.map(|s| s.next_multiple_of(512)),
            qemu_size,
            "{shown}"
        );
    } else {
        assert_eq!(info.virtual_size, qemu_size, "{shown}: virtual size");
    }
    if info.format == ImageFormat::Vmdk && !info.data_files.is_empty() {
        // a descriptor's grain size is in its extent files, which qemu opens and a probe
        // of the descriptor does not
        assert_eq!(info.cluster_size, None, "{shown}");
    } else {
        assert_eq!(
            info.cluster_size,
            q["cluster-size"].as_u64(),
            "{shown}: cluster size"
        );
    }
    assert_eq!(
        info.encrypted(),
        q["encrypted"].as_bool().unwrap_or(false),
        "{shown}"
    );
    assert_backing(&info, &q, path);
    assert_format_specific(&info, &q, path);
    assert_stream_agrees(path, &info);
    info
}

fn assert_backing(info: &ImageInfo, q: &Value, path: &Path) {
    let shown = path.display();
    let backing = info.backing.as_ref();
    assert_eq!(
        backing.map(|b| b.path.as_str()),
        q["backing-filename"].as_str(),
        "{shown}: backing file"
    );
    assert_eq!(
        backing
            .and_then(|b| b.format)
            .and_then(ImageFormat::qemu_name),
        q["backing-filename-format"].as_str(),
        "{shown}: backing format"
    );
}

fn assert_format_specific(info: &ImageInfo, q: &Value, path: &Path) {
    let shown = path.display();
    let data = &q["format-specific"]["data"];
    if info.format == ImageFormat::Qcow2 {
        assert_eq!(info.compat(), data["compat"].as_str(), "{shown}: compat");
        let has = |f| info.features.contains(&f);
        let flag = |k: &str| data[k].as_bool().unwrap_or(false);
        assert_eq!(
            has(VolumeFeature::LazyRefcounts),
            flag("lazy-refcounts"),
            "{shown}"
        );
        assert_eq!(
            has(VolumeFeature::ExtendedL2),
            flag("extended-l2"),
            "{shown}"
        );
        assert_eq!(
            info.data_files.first().map(String::as_str),
            data["data-file"].as_str(),
            "{shown}: data file"
        );
    }
    if info.format == ImageFormat::Vmdk {
        // a sparse extent is the disk; a descriptor lists the files that are
        let extents = data["extents"].as_array().map_or(0, Vec::len);
        match data["create-type"].as_str() {
            Some("monolithicSparse" | "streamOptimized") => {
                assert!(info.data_files.is_empty(), "{shown}")
            }
            _ => assert_eq!(info.data_files.len(), extents, "{shown}: extents"),
        }
    }
}

/// Probe the image from growing prefixes, as a download is probed: each answer asks for
/// more than it had, and the last is the file's probe. Returns the bytes that sufficed.
fn assert_stream_agrees(path: &Path, info: &ImageInfo) -> u64 {
    let mut file = fs::File::open(path).unwrap();
    let len = file.seek(SeekFrom::End(0)).unwrap();
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).unwrap();
    file.take(MAX_PREFIX_BYTES).read_to_end(&mut bytes).unwrap();
    let mut n = 512.min(len);
    loop {
        match probe_prefix(&bytes[..n as usize], Some(len)).unwrap() {
            PrefixProbe::Complete(streamed) => {
                assert_eq!(&streamed, info, "{}: streamed", path.display());
                let bound = prefix_bound(info).min(len);
                assert!(
                    n <= bound,
                    "{}: needed {n} bytes, more than {bound}",
                    path.display()
                );
                return n;
            }
            PrefixProbe::NeedBytes(more) => {
                assert!(
                    more > n && more <= len.min(MAX_PREFIX_BYTES),
                    "{more} after {n}"
                );
                n = more;
            }
        }
    }
}

/// How many leading bytes the module documentation promises each format needs, for the
/// layouts qemu-img and xorriso write.
fn prefix_bound(info: &ImageInfo) -> u64 {
    match info.format {
        // the header and its extensions up to the end marker, then the backing name
        ImageFormat::Qcow2 => 512 + 1024,
        // the header, then the 20-sector descriptor window at 512; a descriptor file whole
        ImageFormat::Vmdk => 512 + 20 * 512,
        ImageFormat::Vpc => 1024,
        ImageFormat::Vhdx => (3 << 20) + (64 << 10) + 4096,
        ImageFormat::Iso => 34816,
        ImageFormat::Raw if info.encryption.is_some() => 592,
        ImageFormat::Raw => 32774,
        _ => 512 + 1024,
    }
}

fn tempdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kvmpool-image-{name}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn qcow2_versions_cluster_sizes_and_features_match_qemu_img() {
    let dir = tempdir("qcow2");
    let d = dir.path();
    let cases: &[(&str, &[&str])] = &[
        ("v2.qcow2", &["-o", "compat=0.10", "1G"]),
        ("v3.qcow2", &["-o", "compat=1.1", "1G"]),
        ("ten.qcow2", &["10G"]),
        ("c2m.qcow2", &["-o", "cluster_size=2M", "10G"]),
        ("c512.qcow2", &["-o", "cluster_size=512", "100M"]),
        ("v2c2m.qcow2", &["-o", "compat=0.10,cluster_size=2M", "10G"]),
        ("lazy.qcow2", &["-o", "lazy_refcounts=on", "1G"]),
        ("extl2.qcow2", &["-o", "extended_l2=on", "1G"]),
        ("zstd.qcow2", &["-o", "compression_type=zstd", "1G"]),
        ("meta.qcow2", &["-o", "preallocation=metadata", "64M"]),
        ("odd.qcow2", &["1000000000"]),
        ("zero.qcow2", &["0"]),
        ("huge.qcow2", &["-o", "cluster_size=2M", "2E"]),
        (
            "data.qcow2",
            &["-o", "data_file=data.raw,data_file_raw=on", "1G"],
        ),
    ];
    for (name, args) in cases {
        let info = assert_matches_qemu(&create(d, name, "qcow2", args));
        let want = if name.starts_with("v2") { 2 } else { 3 };
        assert_eq!(info.qcow2_version, Some(want), "{name}");
    }
}

#[test]
fn qcow2_backing_files_and_formats_match_qemu_img() {
    let dir = tempdir("backing");
    let d = dir.path();
    create(d, "base.raw", "raw", &["1G"]);
    let base = create(d, "base.qcow2", "qcow2", &["1G"]);
    let cases: &[(&str, &[&str])] = &[
        ("over-qcow2.qcow2", &["-b", "base.qcow2", "-F", "qcow2"]),
        ("over-raw.qcow2", &["-b", "base.raw", "-F", "raw"]),
        (
            "v2-over-raw.qcow2",
            &["-o", "compat=0.10", "-b", "base.raw", "-F", "raw"],
        ),
        (
            "absolute.qcow2",
            &["-b", base.to_str().unwrap(), "-F", "qcow2"],
        ),
        ("bigger.qcow2", &["-b", "base.qcow2", "-F", "qcow2", "20G"]),
    ];
    for (name, args) in cases {
        let info = assert_matches_qemu(&create(d, name, "qcow2", args));
        assert!(info.backing.unwrap().format.is_some(), "{name}");
    }
}

#[test]
fn encrypted_images_match_qemu_img() {
    let dir = tempdir("crypt");
    let d = dir.path();
    let secret = ["--object", "secret,id=s0,data=kvmpool"];
    let qcow2 = [
        &secret[..],
        &[
            "-o",
            "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10",
            "64M",
        ],
    ]
    .concat();
    let info = assert_matches_qemu(&create(d, "luks.qcow2", "qcow2", &qcow2));
    assert_eq!(info.encryption, Some(EncryptionFormat::Luks));
    let luks = [&secret[..], &["-o", "key-secret=s0,iter-time=10", "16M"]].concat();
    let info = assert_matches_qemu(&create(d, "disk.luks", "luks", &luks));
    assert_eq!(info.virtual_size, Some(16 << 20));
}

#[test]
fn raw_files_are_raw_sized_by_their_length() {
    let dir = tempdir("raw");
    let sparse = create(dir.path(), "sparse.raw", "raw", &["10G"]);
    assert_eq!(assert_matches_qemu(&sparse).virtual_size, Some(10 << 30));
    let odd = dir.path().join("odd.raw");
    fs::write(&odd, vec![7u8; 1000]).unwrap();
    assert_eq!(assert_matches_qemu(&odd).virtual_size, Some(1000));
}

#[test]
fn vmdk_subformats_match_qemu_img() {
    let dir = tempdir("vmdk");
    let d = dir.path();
    let base = create(d, "base.vmdk", "vmdk", &["1G"]);
    assert_eq!(assert_matches_qemu(&base).cluster_size, Some(65536));
    let cases: &[(&str, &[&str])] = &[
        ("stream.vmdk", &["-o", "subformat=streamOptimized", "100M"]),
        ("flat.vmdk", &["-o", "subformat=monolithicFlat", "100M"]),
        (
            "split.vmdk",
            &["-o", "subformat=twoGbMaxExtentSparse", "5G"],
        ),
        (
            "splitflat.vmdk",
            &["-o", "subformat=twoGbMaxExtentFlat", "3G"],
        ),
        ("child.vmdk", &["-b", "base.vmdk", "-F", "vmdk"]),
    ];
    for (name, args) in cases {
        assert_matches_qemu(&create(d, name, "vmdk", args));
    }
    let flat = probe_path(d.join("flat.vmdk")).unwrap();
    assert_eq!(flat.data_files, vec!["flat-flat.vmdk".to_string()]);
    let split = probe_path(d.join("split.vmdk")).unwrap();
    assert_eq!(split.data_files.len(), 3);
}

#[test]
fn other_qemu_formats_match_qemu_img() {
    let dir = tempdir("others");
    let d = dir.path();
    create(d, "base.raw", "raw", &["1G"]);
    let cases: &[(&str, &str, &[&str])] = &[
        ("disk.vdi", "vdi", &["1G"]),
        ("disk.vhdx", "vhdx", &["1G"]),
        ("big.vhdx", "vhdx", &["-o", "block_size=128M", "100G"]),
        ("disk.qed", "qed", &["1G"]),
        ("child.qed", "qed", &["-b", "base.raw", "-F", "raw"]),
        ("disk.vhd", "vpc", &["1G"]),
        ("exact.vhd", "vpc", &["-o", "force_size=on", "1G"]),
        ("disk.hds", "parallels", &["1G"]),
        ("disk.qcow", "qcow", &["1G"]),
        ("child.qcow", "qcow", &["-b", "base.raw", "-F", "raw"]),
    ];
    for (name, fmt, args) in cases {
        assert_matches_qemu(&create(d, name, fmt, args));
    }
}

/// qemu-img cannot make bochs and cloop images; these are made by hand as their drivers
/// read them, and qemu-img is the judge.
#[test]
fn hand_made_bochs_and_cloop_images_match_qemu_img() {
    let dir = tempdir("readonly");
    for version in [1u32, 2] {
        let (size, extent) = (10u64 << 20, 65536u32);
        let catalog = (size / u64::from(extent)) as u32;
        let mut h = vec![0u8; 512];
        h[..22].copy_from_slice(b"Bochs Virtual HD Image");
        h[32..39].copy_from_slice(b"Redolog");
        h[48..55].copy_from_slice(b"Growing");
        h[64..68].copy_from_slice(&(version << 16).to_le_bytes());
        h[68..72].copy_from_slice(&512u32.to_le_bytes());
        h[72..76].copy_from_slice(&catalog.to_le_bytes());
        h[76..80].copy_from_slice(&(extent / 4096).to_le_bytes());
        h[80..84].copy_from_slice(&extent.to_le_bytes());
        let at = if version == 1 { 84 } else { 88 };
        h[at..at + 8].copy_from_slice(&size.to_le_bytes());
        h.extend(std::iter::repeat_n(0xff, catalog as usize * 4));
        let path = dir.path().join(format!("v{version}.bochs"));
        fs::write(&path, h).unwrap();
        assert_matches_qemu(&path);
    }
    let mut c =
        b"#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"
            .to_vec();
    c.resize(128, 0);
    let (block, blocks) = (65536u32, 160u32);
    c.extend_from_slice(&block.to_be_bytes());
    c.extend_from_slice(&blocks.to_be_bytes());
    let first = 136 + (u64::from(blocks) + 1) * 8;
    for _ in 0..=blocks {
        c.extend_from_slice(&first.to_be_bytes());
    }
    let path = dir.path().join("disk.cloop");
    fs::write(&path, c).unwrap();
    assert_matches_qemu(&path);
}

#[test]
fn iso_images_are_sized_by_their_primary_volume_descriptor() {
    let dir = tempdir("iso");
    let d = dir.path();
    let content = d.join("content");
    fs::create_dir(&content).unwrap();
    fs::write(content.join("hello.txt"), "hello").unwrap();
    fs::write(content.join("big"), vec![1u8; 300 << 10]).unwrap();
    let src = content.to_str().unwrap();
    for (name, extra) in [
        ("pad.iso", &[][..]),
        ("nopad.iso", &["-no-pad"]),
        ("joliet.iso", &["-J", "-R"]),
    ] {
        let iso = d.join(name);
        let mut args = vec!["-as", "mkisofs", "-quiet", "-o", iso.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(src);
        run("xorriso", &args);
        let info = probe_path(&iso).unwrap();
        assert_eq!(info.format, ImageFormat::Iso);
        // isosize -x: "sector count: 334, sector size: 2048"
        let pvd = run("isosize", &["-x", iso.to_str().unwrap()]);
        let numbers: Vec<u64> = pvd
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        assert_eq!(
            info.virtual_size,
            Some(numbers[0] * numbers[1]),
            "{name}: {pvd}"
        );
        let len = fs::metadata(&iso).unwrap().len();
        assert_stream_agrees(&iso, &info);
        // libvirt reports an ISO's file size
        let view = probe_as_libvirt(fs::File::open(&iso).unwrap(), len).unwrap();
        assert_eq!((view.format, view.capacity), (VolumeFormat::Iso, len));
    }
}

/// libvirt tries ISO's magic first; qemu, and kvmpool, the one at offset 0.
#[test]
fn a_qcow2_holding_cd001_at_32769_is_qcow2() {
    let dir = tempdir("cd001");
    let path = create(dir.path(), "disk.qcow2", "qcow2", &["1G"]);
    let mut bytes = fs::read(&path).unwrap();
    // inside the unused rest of the header cluster, which qemu ignores
    bytes[32768..32774].copy_from_slice(b"\x01CD001");
    fs::write(&path, &bytes).unwrap();
    assert_eq!(assert_matches_qemu(&path).format, ImageFormat::Qcow2);
    let view = LibvirtView::from_header(&bytes, bytes.len() as u64);
    assert_eq!(view.format, VolumeFormat::Iso);
}

#[test]
fn format_names_cover_libvirt_volume_formats() {
    for f in ImageFormat::ALL {
        assert_eq!(f.as_str().parse::<ImageFormat>().unwrap(), *f);
        if let Some(v) = f.volume_format() {
            assert_eq!(v.as_str(), f.as_str());
        }
    }
}

// ---- libvirt's own answers ------------------------------------------------------------

#[test]
fn libvirt_view_matches_the_live_daemon() {
    let Some(live) = support::live("libvirt_view_matches_the_live_daemon") else {
        return;
    };
    let conn = live.conn();
    let name = support::unique("imgprobe");
    let target = live.dir.join(&name);
    let spec: PoolSpec = DirPool::new(&name, target.to_str().unwrap()).into();
    let pool = conn.define_pool(&spec).unwrap();
    let _cleanup = support::PoolCleanup::with_delete(&pool);
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    make_libvirt_fixtures(&target);
    pool.refresh().unwrap();
    let mut checked = 0;
    for entry in fs::read_dir(&target).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let len = fs::metadata(&path).unwrap().len();
        let view = probe_as_libvirt(fs::File::open(&path).unwrap(), len).unwrap();
        let vol = pool.volume(&file).unwrap();
        let spec = vol.spec().unwrap();
        assert_eq!(Some(view.format), spec.format, "{file}: format");
        assert_eq!(
            view.capacity,
            vol.info().unwrap().capacity.as_bytes(),
            "{file}: capacity"
        );
        assert_eq!(
            view.encryption,
            spec.encryption.map(|e| e.format),
            "{file}: encryption"
        );
        checked += 1;
    }
    assert!(checked >= 15, "{checked} volumes");
}

/// One file of each kind whose libvirt answer is worth checking, quirks included.
fn make_libvirt_fixtures(d: &Path) {
    let secret = ["--object", "secret,id=s0,data=kvmpool"];
    let plain: &[(&str, &str, &[&str])] = &[
        ("v2.qcow2", "qcow2", &["-o", "compat=0.10", "1G"]),
        ("v3.qcow2", "qcow2", &["10G"]),
        ("zero.qcow2", "qcow2", &["0"]),
        ("c2m.qcow2", "qcow2", &["-o", "cluster_size=2M", "10G"]),
        ("disk.vmdk", "vmdk", &["1G"]),
        (
            "flat.vmdk",
            "vmdk",
            &["-o", "subformat=monolithicFlat", "10M"],
        ),
        ("disk.vdi", "vdi", &["1G"]),
        ("disk.vhdx", "vhdx", &["1G"]),
        ("disk.qed", "qed", &["1G"]),
        ("disk.vhd", "vpc", &["1G"]),
        ("disk.hds", "parallels", &["1G"]),
        ("disk.qcow", "qcow", &["1G"]),
        ("sparse.raw", "raw", &["1G"]),
    ];
    for (name, fmt, args) in plain {
        create(d, name, fmt, args);
    }
    let luks = [&secret[..], &["-o", "key-secret=s0,iter-time=10", "16M"]].concat();
    create(d, "disk.luks", "luks", &luks);
    let qcow2 = [
        &secret[..],
        &[
            "-o",
            "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10",
            "64M",
        ],
    ]
    .concat();
    create(d, "luks.qcow2", "qcow2", &qcow2);
    let cd001 = create(d, "cd001.qcow2", "qcow2", &["1G"]);
    let mut bytes = fs::read(&cd001).unwrap();
    bytes[32768..32774].copy_from_slice(b"\x01CD001");
    fs::write(&cd001, bytes).unwrap();
    let v4 = create(d, "v4.qcow2", "qcow2", &["1G"]);
    let mut bytes = fs::read(&v4).unwrap();
    bytes[4..8].copy_from_slice(&4u32.to_be_bytes());
    fs::write(&v4, bytes).unwrap();
    fs::write(d.join("odd.raw"), vec![0u8; 1000]).unwrap();
    let content = d.join("iso-content");
    fs::create_dir(&content).unwrap();
    fs::write(content.join("a"), "a").unwrap();
    let iso = d.join("disk.iso");
    run(
        "xorriso",
        &[
            "-as",
            "mkisofs",
            "-quiet",
            "-o",
            iso.to_str().unwrap(),
            content.to_str().unwrap(),
        ],
    );
    fs::remove_dir_all(content).unwrap();
}

// ---- properties ---------------------------------------------------------------------------

fn config() -> Config {
    let cases = std::env::var("KVMPOOL_PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2_000);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/image_probe.txt",
        ))),
        ..Config::default()
    }
}

/// A file of seed bytes with some bytes changed, read through a counter.
struct Mutated<'a> {
    seed: &'a [u8],
    changes: BTreeMap<u64, u8>,
    pos: u64,
    /// Bytes handed out, and the furthest offset read.
    read: u64,
    furthest: u64,
}

impl<'a> Mutated<'a> {
    fn new(seed: &'a [u8], changes: BTreeMap<u64, u8>) -> Self {
        Mutated {
            seed,
            changes,
            pos: 0,
            read: 0,
            furthest: 0,
        }
    }

    fn contents(&self) -> Vec<u8> {
        let mut out = self.seed.to_vec();
        for (&at, &b) in &self.changes {
            out[at as usize] = b;
        }
        out
    }
}

impl Read for Mutated<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let start = self.pos.min(self.seed.len() as u64) as usize;
        let n = buf.len().min(self.seed.len() - start);
        buf[..n].copy_from_slice(&self.seed[start..start + n]);
        for (&at, &b) in self.changes.range(start as u64..(start + n) as u64) {
            buf[at as usize - start] = b;
        }
        self.pos += n as u64;
        self.read += n as u64;
        self.furthest = self.furthest.max(self.pos);
        Ok(n)
    }
}

impl Seek for Mutated<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => (self.seed.len() as i64 + d) as u64,
            SeekFrom::Current(d) => (self.pos as i64 + d) as u64,
        };
        Ok(self.pos)
    }
}

/// Real headers to mutate: one image of each format qemu-img makes, read whole (they
/// are small or sparse), plus an ISO.
fn seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = tempdir("seeds");
        let d = dir.path();
        create(d, "base.raw", "raw", &["64M"]);
        create(d, "base.vmdk", "vmdk", &["64M"]);
        let made: &[(&str, &str, &[&str])] = &[
            (
                "v2.qcow2",
                "qcow2",
                &["-o", "compat=0.10", "-b", "base.raw", "-F", "raw"],
            ),
            (
                "v3.qcow2",
                "qcow2",
                &["-o", "lazy_refcounts=on,data_file=d.raw", "1G"],
            ),
            ("child.qcow2", "qcow2", &["-b", "base.raw", "-F", "raw"]),
            ("small.qcow2", "qcow2", &["-o", "cluster_size=512", "1M"]),
            ("disk.vmdk", "vmdk", &["-b", "base.vmdk", "-F", "vmdk"]),
            (
                "flat.vmdk",
                "vmdk",
                &["-o", "subformat=monolithicFlat", "1M"],
            ),
            ("disk.vdi", "vdi", &["64M"]),
            ("disk.vhdx", "vhdx", &["64M"]),
            ("disk.qed", "qed", &["-b", "base.raw", "-F", "raw"]),
            ("disk.vhd", "vpc", &["64M"]),
            ("disk.hds", "parallels", &["64M"]),
            ("disk.qcow", "qcow", &["-b", "base.raw", "-F", "raw"]),
        ];
        let mut out = Vec::new();
        for (name, fmt, args) in made {
            let path = create(d, name, fmt, args);
            out.push((name.to_string(), fs::read(path).unwrap()));
        }
        let content = d.join("c");
        fs::create_dir(&content).unwrap();
        fs::write(content.join("a"), "a").unwrap();
        let iso = d.join("disk.iso");
        run(
            "xorriso",
            &[
                "-as",
                "mkisofs",
                "-quiet",
                "-no-pad",
                "-o",
                iso.to_str().unwrap(),
                content.to_str().unwrap(),
            ],
        );
        out.push(("disk.iso".into(), fs::read(iso).unwrap()));
        out
    })
}

/// Where mutations land: mostly in headers and the structures they point to.
fn offset(len: usize) -> impl Strategy<Value = u64> {
    let len = len.max(1) as u64;
    prop_oneof![
        4 => 0..len.min(1024),
        2 => 0..len.min(64 << 10),
        1 => (32768..34816u64).prop_map(move |o| o % len),
        1 => (192 << 10..(192 << 10) + 4096u64).prop_map(move |o| o % len),
        1 => 0..len,
    ]
}

/// A mutation: single bytes, or a field overwritten with a value a parser fears.
fn changes(len: usize) -> impl Strategy<Value = BTreeMap<u64, u8>> {
    let field = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(vec![0xff; 8]),
        Just(vec![0; 8]),
        Just(vec![0x7f, 0xff, 0xff, 0xff]),
        any::<u32>().prop_map(|v| v.to_be_bytes().to_vec()),
        any::<u64>().prop_map(|v| v.to_le_bytes().to_vec()),
    ];
    prop::collection::vec((offset(len), field), 1..8).prop_map(move |edits| {
        let mut map = BTreeMap::new();
        for (at, bytes) in edits {
            for (i, b) in bytes.into_iter().enumerate() {
                let at = at + i as u64;
                if (at as usize) < len {
                    map.insert(at, b);
                }
            }
        }
        map
    })
}

fn seed_and_changes() -> impl Strategy<Value = (usize, BTreeMap<u64, u8>)> {
    (0..seeds().len()).prop_flat_map(|i| (Just(i), changes(seeds()[i].1.len())))
}

/// The probe of a reader obeys its bounds, and a stream of the same bytes gets the same
/// answer.
fn check_probe(reader: &mut Mutated) -> Result<(), TestCaseError> {
    let len = reader.seed.len() as u64;
    let result = probe(&mut *reader, len);
    prop_assert!(reader.read <= MAX_READ_BYTES, "read {} bytes", reader.read);
    prop_assert!(
        reader.furthest <= len,
        "read up to {} of {len}",
        reader.furthest
    );
    let bytes = reader.contents();
    let whole = probe_prefix(&bytes, Some(len));
    match (&result, whole) {
        (Ok(info), Ok(PrefixProbe::Complete(streamed))) => prop_assert_eq!(info, &streamed),
        (Err(e), Err(s)) => prop_assert_eq!(e.field(), s.field()),
        (r, s) => prop_assert!(false, "file {r:?} but stream {s:?}"),
    }
    if let Ok(info) = result {
        if let Some(size) = info.virtual_size {
            prop_assert!(size <= QEMU_MAX_VIRTUAL_SIZE);
        }
    }
    // libvirt's view takes any bytes too; it has nothing to refuse
    let _ = LibvirtView::from_header(&bytes, len);
    Ok(())
}

/// Magics that send a probe down each parser.
const MAGICS: &[&[u8]] = &[
    b"",
    b"QFI\xfb",
    b"QFI\xfb\0\0\0\x01",
    b"QFI\xfb\0\0\0\x03",
    b"QED\0",
    b"KDMV\x01\0\0\0",
    b"COWD",
    b"conectix",
    b"vhdxfile",
    b"WithouFreSpacExt\x02\0\0\0",
    b"OOOM\0\0\0\x02",
    b"LUKS\xba\xbe\0\x01",
    b"Bochs Virtual HD Image\0",
    b"# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\nRW 100 FLAT \"x\" 0\n",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_headers_never_panic_nor_read_past_the_bound((seed, edits) in seed_and_changes()) {
        let mut reader = Mutated::new(&seeds()[seed].1, edits);
        check_probe(&mut reader)?;
    }

    #[test]
    fn random_bytes_never_panic_nor_read_past_the_bound(
        magic in prop::sample::select(MAGICS),
        body in prop::collection::vec(any::<u8>(), 0..4096),
        pad in 0usize..40_000,
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&body);
        bytes.resize(bytes.len() + pad, 0);
        let mut reader = Mutated::new(&bytes, BTreeMap::new());
        check_probe(&mut reader)?;
        // and a prefix without a known length only ever asks for more, within the bound
        let cut = &bytes[..bytes.len().min(512)];
        if let Ok(PrefixProbe::NeedBytes(n)) = probe_prefix(cut, None) {
            prop_assert!(n > cut.len() as u64 && n <= MAX_PREFIX_BYTES);
        }
    }
}

#[test]
fn seeds_are_what_they_say() {
    for (name, bytes) in seeds() {
        let info = probe(Cursor::new(bytes), bytes.len() as u64).unwrap();
        let ext = name.rsplit('.').next().unwrap();
        let want = match ext {
            "vhd" => ImageFormat::Vpc,
            "hds" => ImageFormat::Ploop,
            other => other.parse().unwrap(),
        };
        assert_eq!(info.format, want, "{name}");
    }
}
