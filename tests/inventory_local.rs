//! Volume details read from the files of a local daemon's pools
//! (`InventoryMethod::Auto` and `::Local`) against libvirt's own per-volume answers:
//! `vol-info`, `vol-key`, `vol-path` and the format of `vol-dumpxml`, one call each per
//! volume, field by field. The pools are filled by writing files into their
//! directories (through `/proc/PID/root` where the daemon mounted them in its own
//! namespace) and refreshing them, as an administrator would.

mod support;

use std::fs;
use std::os::unix::fs::{symlink, FileExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use kvmpool::*;
use support::{live, run, unique, Live, LoopDevice, PoolCleanup};

// ---- libvirt's answers and the comparison ----------------------------------------------

/// libvirt's answer for every volume of `pool`: the listing, then `vol-info`,
/// `vol-path` and `vol-dumpxml` for each volume (`Volume::entry`), on 8 threads.
fn libvirt_answers(pool: &Pool) -> Vec<VolumeEntry> {
    let vols = pool.volumes().unwrap();
    let per_thread = vols.len().div_ceil(8).max(1);
    let mut all: Vec<VolumeEntry> = std::thread::scope(|s| {
        let workers: Vec<_> = vols
            .chunks(per_thread)
            .map(|chunk| {
                s.spawn(move || {
                    let entry = |v: &Volume| v.entry(true).unwrap();
                    chunk.iter().map(entry).collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

fn details(pool: &Pool, method: InventoryMethod, formats: bool) -> Vec<VolumeEntry> {
    let options = InventoryOptions {
        formats,
        method,
        ..InventoryOptions::default()
    };
    pool.volume_details_with(&options)
        .unwrap_or_else(|e| panic!("volume_details_with({options:?}): {e}"))
}

fn without_formats(entries: &[VolumeEntry]) -> Vec<VolumeEntry> {
    let strip = |e: &VolumeEntry| VolumeEntry {
        format: None,
        ..e.clone()
    };
    entries.iter().map(strip).collect()
}

/// Every field of every volume equal; the first differences named when not.
fn assert_same(expected: &[VolumeEntry], got: &[VolumeEntry], what: &str) {
    let names = |v: &[VolumeEntry]| v.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(expected), names(got), "{what}: the volume names");
    let differ: Vec<String> = expected
        .iter()
        .zip(got)
        .filter(|(e, g)| e != g)
        .take(10)
        .map(|(e, g)| format!("libvirt {e:?}\n   got {g:?}"))
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: {} volumes differ, first ones:\n{}",
        expected.iter().zip(got).filter(|(e, g)| e != g).count(),
        differ.join("\n")
    );
}

/// Both methods that read files (`auto`, and `local`, which fails rather than ask
/// libvirt) give libvirt's answers, with and without formats.
fn assert_local_reads_match(pool: &Pool, expected: &[VolumeEntry]) {
    for method in [InventoryMethod::Auto, InventoryMethod::Local] {
        assert_same(expected, &details(pool, method, true), &format!("{method}"));
        assert_same(
            &without_formats(expected),
            &details(pool, method, false),
            &format!("{method}, no formats"),
        );
    }
}

fn dir_pool(live: &Live, target: &Path) -> (Pool, PoolCleanup) {
    let spec: PoolSpec = DirPool::new(unique("invl"), target.to_str().unwrap()).into();
    let pool = live.conn().define_pool(&spec).unwrap();
    // No volume deletes: the files go with the scratch directory.
    let cleanup = PoolCleanup::new(&pool);
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    (pool, cleanup)
}

// ---- files ---------------------------------------------------------------------------------

/// A file's content: its data blocks (holes elsewhere) and its length.
#[derive(Clone)]
struct Sparse {
    blocks: Vec<(u64, Vec<u8>)>,
    len: u64,
}

impl Sparse {
    /// Holes only.
    fn holes(len: u64) -> Sparse {
        Sparse {
            blocks: Vec::new(),
            len,
        }
    }

    /// `bytes`, written through.
    fn written(bytes: Vec<u8>) -> Sparse {
        let len = bytes.len() as u64;
        Sparse::holes(len).at(0, bytes)
    }

    /// The file at `path`, its zero 4 KiB blocks left out.
    fn read(path: &Path) -> Sparse {
        let bytes = fs::read(path).unwrap();
        let mut file = Sparse::holes(bytes.len() as u64);
        for (i, block) in bytes.chunks(4096).enumerate() {
            if block.iter().any(|&b| b != 0) {
                file = file.at(i as u64 * 4096, block.to_vec());
            }
        }
        file
    }

    /// With `bytes` at `offset`.
    fn at(mut self, offset: u64, bytes: Vec<u8>) -> Sparse {
        self.blocks.push((offset, bytes));
        self
    }

    fn write(&self, path: &Path) {
        let f = fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (offset, bytes) in &self.blocks {
            f.write_all_at(bytes, *offset).unwrap();
        }
        f.set_len(self.len).unwrap();
    }
}

/// `len` (under 512 KiB) bytes of a fixed xorshift sequence, from a place that
/// depends on `seed`, never starting with an image magic.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    static NOISE: OnceLock<Vec<u8>> = OnceLock::new();
    let all = NOISE.get_or_init(|| {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut step = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        (0..512 << 10).map(|_| step()).collect()
    });
    let start = (seed as usize * 7919) % (all.len() - len);
    let mut out = all[start..start + len].to_vec();
    if let Some(first) = out.first_mut() {
        *first = b'#';
    }
    out
}

/// An ISO 9660 image of `blocks` 2 KiB blocks: a primary volume descriptor and the
/// set terminator after the 32 KiB system area, holes elsewhere.
fn iso(blocks: u32) -> Sparse {
    let descriptor = |kind: u8| {
        let mut d = vec![0u8; 2048];
        d[0] = kind;
        d[1..6].copy_from_slice(b"CD001");
        d[6] = 1;
        d
    };
    let mut primary = descriptor(1);
    primary[80..84].copy_from_slice(&blocks.to_le_bytes());
    primary[84..88].copy_from_slice(&blocks.to_be_bytes());
    primary[128..130].copy_from_slice(&2048u16.to_le_bytes());
    Sparse::holes((u64::from(blocks) * 2048).max(36864))
        .at(32768, primary)
        .at(34816, descriptor(255))
}

/// A file made by `qemu-img create -f FMT ARGS... PATH` (the size is in ARGS), read back.
fn qemu_img(dir: &Path, name: &str, fmt: &str, args: &[&str]) -> Sparse {
    let path = dir.join(name);
    let mut all = vec!["create", "-q", "-f", fmt];
    let (size, options) = args.split_last().unwrap();
    all.extend(options);
    all.extend([path.to_str().unwrap(), size]);
    run("qemu-img", &all);
    Sparse::read(&path)
}

/// A qcow2 image with `data` bytes of data in 4 KiB clusters.
fn qcow2_with_data(dir: &Path, name: &str, data: usize, seed: u64) -> Sparse {
    let raw = dir.join(format!("{name}.in"));
    fs::write(&raw, noise(data, seed)).unwrap();
    let out = dir.join(name);
    let (raw_s, out_s) = (raw.to_str().unwrap(), out.to_str().unwrap());
    run(
        "qemu-img",
        &[
            "convert",
            "-q",
            "-O",
            "qcow2",
            "-o",
            "cluster_size=4096",
            raw_s,
            out_s,
        ],
    );
    Sparse::read(&out)
}

/// Images of every format libvirt tells apart, made once and copied many times.
fn templates(dir: &Path) -> Vec<(&'static str, Sparse)> {
    let secret = "secret,id=s0,data=kvmpool";
    let small = ["-o", "cluster_size=4096"];
    vec![
        (
            "qcow2",
            qemu_img(dir, "a", "qcow2", &[&small[..], &["1M"]].concat()),
        ),
        (
            "qcow2",
            qemu_img(dir, "b", "qcow2", &[&small[..], &["1G"]].concat()),
        ),
        (
            "qcow2",
            qemu_img(dir, "c", "qcow2", &[&small[..], &["10G"]].concat()),
        ),
        // 64 KiB clusters: 4 KiB ones would need a 6 MiB L1 table for 3 TiB
        ("qcow2", qemu_img(dir, "d", "qcow2", &["3298534883840"])),
        (
            "qcow2",
            qemu_img(dir, "e", "qcow2", &[&small[..], &["0"]].concat()),
        ),
        (
            "qcow2",
            qemu_img(
                dir,
                "f",
                "qcow2",
                &["-o", "compat=0.10,cluster_size=4096", "5G"],
            ),
        ),
        ("qcow2", qcow2_with_data(dir, "g", 64 << 10, 7)),
        ("qcow2", qcow2_with_data(dir, "h", 300 << 10, 11)),
        ("vmdk", qemu_img(dir, "i", "vmdk", &["1G"])),
        ("vdi", qemu_img(dir, "j", "vdi", &["1G"])),
        ("vhd", qemu_img(dir, "k", "vpc", &["1G"])),
        ("qed", qemu_img(dir, "l", "qed", &["1G"])),
        ("qcow", qemu_img(dir, "m", "qcow", &["1G"])),
        ("hds", qemu_img(dir, "n", "parallels", &["1G"])),
        (
            "luks",
            qemu_img(
                dir,
                "o",
                "luks",
                &[
                    "--object",
                    secret,
                    "-o",
                    "key-secret=s0,iter-time=10",
                    "16M",
                ],
            ),
        ),
        (
            "qcow2",
            qemu_img(
                dir,
                "p",
                "qcow2",
                &[
                    "--object",
                    secret,
                    "-o",
                    "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10",
                    "64M",
                ],
            ),
        ),
    ]
}

/// File `i` of a mixed pool: its name and content (`None`: a directory).
fn mixed_file(i: usize, templates: &[(&'static str, Sparse)]) -> (String, Option<Sparse>) {
    let k = i as u64;
    let (name, content) = match i % 20 {
        // qcow2 of many virtual sizes, some holding data, some encrypted
        0..=7 => (
            format!("q{i:05}.qcow2"),
            templates[(i / 20 + i) % 8].1.clone(),
        ),
        // raw: sparse, odd sizes, some data in a hole, written through
        8..=10 => (format!("r{i:05}.img"), Sparse::holes((k + 1) * 1_048_573)),
        11 | 12 => (
            format!("s{i:05}.raw"),
            Sparse::holes(64 << 20).at((k * 4096) % (1 << 20), noise(4096, k)),
        ),
        13 | 14 => (
            format!("w{i:05}.raw"),
            Sparse::written(noise(4096 + (i % 97) * 1000, k)),
        ),
        15 | 16 => (format!("cd{i:05}.iso"), iso(20 + (i % 300) as u32)),
        // the other formats libvirt knows, LUKS, and a parallels image (type ploop)
        17 => {
            let (ext, content) = &templates[8 + (i / 20) % 8];
            (format!("o{i:05}.{ext}"), content.clone())
        }
        // names libvirt lists as they are: dot files, spaces, non-ASCII
        18 => {
            let name = [".hidden-", "with space ", "é-"][(i / 20) % 3];
            (format!("{name}{i:05}"), Sparse::written(noise(512, k)))
        }
        // a directory now and then (type dir), raw otherwise
        _ if i % 500 == 19 => return (format!("dir{i:05}"), None),
        _ => (format!("z{i:05}"), Sparse::holes(k * 4096)),
    };
    (name, Some(content))
}

/// `n` mixed files, a few of them symbolic links to others, in the pool directory
/// `target` (written to `here`, where this process sees it).
fn make_mixed_files(target: &Path, here: &Path, n: usize, templates_dir: &Path) {
    let templates = templates(templates_dir);
    let links = 8;
    for i in 0..n - links {
        let (name, content) = mixed_file(i, &templates);
        let path = here.join(&name);
        match content {
            Some(content) => content.write(&path),
            None => {
                fs::create_dir(&path).unwrap();
                fs::write(path.join("inside"), "a file in a directory volume").unwrap();
            }
        }
    }
    // libvirt follows links, absolute ones inside its own root
    for j in 0..links {
        let name = mixed_file(j * 41, &templates).0;
        let link = here.join(format!("link{j}"));
        if j % 2 == 0 {
            symlink(&name, link).unwrap();
        } else {
            symlink(target.join(&name), link).unwrap();
        }
    }
}

/// Where the daemon's `path` is for this process (its mounts may be its own).
fn daemon_path(path: &Path) -> PathBuf {
    let pid = support::env("KVMPOOL_TEST_DAEMON_PID");
    Path::new("/proc")
        .join(pid)
        .join("root")
        .join(path.strip_prefix("/").unwrap())
}

// ---- tests ---------------------------------------------------------------------------------

#[test]
fn local_read_matches_libvirt_on_10000_mixed_volumes() {
    let Some(live) = live("local_read_matches_libvirt_on_10000_mixed_volumes") else {
        return;
    };
    let scratch = live.scratch("invl-10k");
    let target = scratch.path().join("pool");
    let (pool, _cleanup) = dir_pool(&live, &target);
    let t = Instant::now();
    make_mixed_files(&target, &daemon_path(&target), 10_000, scratch.path());
    eprintln!("10,000 files written in {:?}", t.elapsed());
    let t = Instant::now();
    pool.refresh().unwrap();
    eprintln!("pool refreshed in {:?}", t.elapsed());

    let t = Instant::now();
    let expected = libvirt_answers(&pool);
    eprintln!(
        "libvirt, vol-info + vol-path + vol-dumpxml each: {:?}",
        t.elapsed()
    );
    assert_eq!(expected.len(), 10_000);
    let seen = |f: &dyn Fn(&VolumeEntry) -> bool| expected.iter().filter(|e| f(e)).count();
    for format in [
        "qcow2", "raw", "iso", "vmdk", "vdi", "vpc", "qed", "qcow", "ploop", "dir",
    ] {
        assert!(
            seen(&|e| e.format.as_deref() == Some(format)) > 0,
            "no {format} volume"
        );
    }
    assert!(seen(&|e| e.volume_type == VolumeType::Ploop) > 0);
    assert!(seen(&|e| e.volume_type == VolumeType::Dir) > 0);
    assert!(
        seen(&|e| e.allocation < e.capacity) > 1000,
        "sparse volumes"
    );
    assert!(
        seen(&|e| e.allocation >= e.capacity) > 500,
        "written volumes"
    );

    let t = Instant::now();
    assert_local_reads_match(&pool, &expected);
    eprintln!(
        "auto and local, with and without formats: {:?}",
        t.elapsed()
    );
    let timed = |method| {
        let t = Instant::now();
        details(&pool, method, false);
        t.elapsed()
    };
    eprintln!(
        "volume_details: local {:?}, rpc {:?}",
        timed(InventoryMethod::Local),
        timed(InventoryMethod::Rpc)
    );
}

#[test]
fn volumes_the_local_read_leaves_to_libvirt() {
    let Some(live) = live("volumes_the_local_read_leaves_to_libvirt") else {
        return;
    };
    let scratch = live.scratch("invl-odd");
    let target = scratch.path().join("pool");
    let (pool, _cleanup) = dir_pool(&live, &target);
    let files = daemon_path(&target);
    // a ploop directory (libvirt reads its numbers from root.hds)
    let ploop = files.join("ct.ploop");
    fs::create_dir(&ploop).unwrap();
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "parallels",
            ploop.join("root.hds").to_str().unwrap(),
            "1G",
        ],
    );
    fs::write(ploop.join("DiskDescriptor.xml"), "<Parallels_disk_image/>").unwrap();
    // a block device (through a link): libvirt lists it as a file of the device's size
    let dev = LoopDevice::new(scratch.path(), "4M");
    symlink(&dev.device, files.join("blk")).unwrap();
    fs::write(files.join("plain.raw"), noise(8192, 3)).unwrap();
    pool.refresh().unwrap();
    // libvirt keeps the format it creates a volume with: iso, for a raw file of zeros
    pool.create_volume(&VolumeSpec::new("empty.iso", Size::mib(4)).format(VolumeFormat::Iso))
        .unwrap();

    let expected = libvirt_answers(&pool);
    let names: Vec<&str> = expected.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["blk", "ct.ploop", "empty.iso", "plain.raw"]);
    assert_eq!(expected[0].volume_type, VolumeType::File);
    assert_eq!(expected[1].volume_type, VolumeType::Ploop);
    assert_eq!(expected[2].format.as_deref(), Some("iso"));
    assert_same(
        &expected,
        &details(&pool, InventoryMethod::Auto, true),
        "auto",
    );
    assert_same(
        &without_formats(&expected),
        &details(&pool, InventoryMethod::Auto, false),
        "auto, no formats",
    );

    // `local` refuses what it would have to ask libvirt
    let options = InventoryOptions {
        method: InventoryMethod::Local,
        ..InventoryOptions::default()
    };
    let e = pool.volume_details_with(&options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    let named = |v: &str| e.message().contains(&format!("volume {v}:"));
    assert!(named("blk") || named("ct.ploop"), "{e}");
    fs::remove_file(files.join("blk")).unwrap();
    fs::remove_dir_all(&ploop).unwrap();
    pool.refresh().unwrap();
    // ... and reads the format of the zeros libvirt calls iso from the file, as
    // libvirt's next refresh does
    let local = details(&pool, InventoryMethod::Local, true);
    assert_eq!(local[0].name, "empty.iso");
    assert_eq!(local[0].format.as_deref(), Some("raw"));
    assert_same(&libvirt_answers(&pool), &local, "local after a refresh");
}

#[test]
fn volumes_made_through_libvirt_read_the_same() {
    let test = "volumes_made_through_libvirt_read_the_same";
    let Some(live) = live(test) else { return };
    let scratch = live.scratch("invl-made");
    let target = scratch.path().join("pool");
    let (pool, _cleanup) = dir_pool(&live, &target);
    let create = |spec: VolumeSpec| pool.create_volume(&spec).unwrap();
    // every format the dir backend creates here (ploop needs the ploop tools)
    for (name, format) in [
        ("a.qcow2", VolumeFormat::Qcow2),
        ("b.raw", VolumeFormat::Raw),
        ("c.iso", VolumeFormat::Iso),
        ("d.vmdk", VolumeFormat::Vmdk),
        ("e.vdi", VolumeFormat::Vdi),
        ("f.vpc", VolumeFormat::Vpc),
        ("g.qed", VolumeFormat::Qed),
        ("h.qcow", VolumeFormat::Qcow),
        ("i.dir", VolumeFormat::Dir),
    ] {
        create(VolumeSpec::new(name, Size::mib(16)).format(format));
    }
    // sparse raw; qcow2 of the old compat on a backing volume
    create(
        VolumeSpec::new("j.raw", Size::gib(1))
            .format(VolumeFormat::Raw)
            .allocation(Size::ZERO),
    );
    let backing = target.join("a.qcow2");
    create(
        VolumeSpec::new("k.qcow2", Size::gib(2))
            .format(VolumeFormat::Qcow2)
            .compat("0.10")
            .backing_store(BackingStore::new(
                backing.to_str().unwrap(),
                VolumeFormat::Qcow2,
            )),
    );
    // a clone, a conversion, two resizes, a wipe
    let a = pool.volume("a.qcow2").unwrap();
    a.clone_as("l.qcow2", false).unwrap();
    let b = pool.volume("b.raw").unwrap();
    pool.create_volume_from(
        &VolumeSpec::new("m.qcow2", Size::mib(16)).format(VolumeFormat::Qcow2),
        &b,
    )
    .unwrap();
    pool.volume("j.raw")
        .unwrap()
        .resize(Resize::to(Size::gib(3)))
        .unwrap();
    pool.volume("l.qcow2")
        .unwrap()
        .resize(Resize::to(Size::gib(4)))
        .unwrap();
    create(VolumeSpec::new("n.qcow2", Size::mib(16)).format(VolumeFormat::Qcow2));
    pool.volume("n.qcow2")
        .unwrap()
        .wipe(WipeAlgorithm::Zero)
        .unwrap();
    // a qcow2 image uploaded into raw volumes, both ways: libvirt refreshes the pool
    // after an upload (in a thread of its own) and then calls them qcow2
    let image = scratch.path().join("upload.qcow2");
    run(
        "qemu-img",
        &["create", "-q", "-f", "qcow2", image.to_str().unwrap(), "5G"],
    );
    let uploaded = ["o-stream.raw", "o-direct.raw"];
    for (name, method) in uploaded
        .iter()
        .zip([TransferMethod::Stream, TransferMethod::Direct])
    {
        let vol = create(VolumeSpec::new(*name, Size::mib(64)).format(VolumeFormat::Raw));
        let report = vol
            .upload_file(&image, &TransferOptions::default().method(method))
            .unwrap();
        assert_eq!(report.method, method);
    }
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    for name in uploaded {
        let vol = pool.volume(name).unwrap();
        while vol.entry(true).unwrap().format.as_deref() != Some("qcow2") {
            assert!(Instant::now() < deadline, "libvirt did not refresh {name}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    let expected = libvirt_answers(&pool);
    assert_eq!(expected.len(), 16);
    let find = |name: &str| expected.iter().find(|e| e.name == name).unwrap();
    assert_eq!(find("o-direct.raw").capacity, Size::gib(5));
    assert_eq!(find("l.qcow2").capacity, Size::gib(4));
    assert_eq!(find("i.dir").volume_type, VolumeType::Dir);
    assert_same(
        &expected,
        &details(&pool, InventoryMethod::Auto, true),
        "auto",
    );
    assert_same(
        &without_formats(&expected),
        &details(&pool, InventoryMethod::Auto, false),
        "auto, no formats",
    );
    // `local` reads every format from the files, where libvirt keeps the one a volume
    // was made with: the iso volume is a raw file of zeros, and so is the wiped qcow2
    let mut from_files = expected.clone();
    for e in &mut from_files {
        if e.name == "c.iso" || e.name == "n.qcow2" {
            e.format = Some("raw".to_owned());
        }
    }
    assert_same(
        &from_files,
        &details(&pool, InventoryMethod::Local, true),
        "local",
    );
}

#[test]
fn a_header_rewritten_behind_libvirts_back_reads_as_libvirts_next_refresh_will() {
    let test = "a_header_rewritten_behind_libvirts_back_reads_as_libvirts_next_refresh_will";
    let Some(live) = live(test) else { return };
    let scratch = live.scratch("invl-rewrite");
    let target = scratch.path().join("pool");
    let (pool, _cleanup) = dir_pool(&live, &target);
    let file = daemon_path(&target).join("guest.raw");
    Sparse::holes(64 << 20).write(&file);
    pool.refresh().unwrap();
    // a guest writes a qcow2 image onto its raw disk
    let header = qemu_img(scratch.path(), "h", "qcow2", &["5G"]);
    let guest = fs::OpenOptions::new().write(true).open(&file).unwrap();
    guest.write_all_at(&header.blocks[0].1[..512], 0).unwrap();
    let rpc = details(&pool, InventoryMethod::Rpc, true);
    assert_eq!(
        rpc[0].format.as_deref(),
        Some("raw"),
        "libvirt's last probe"
    );
    assert_eq!(rpc[0].capacity, Size::mib(64), "the size of a raw file");
    let auto = details(&pool, InventoryMethod::Auto, false);
    assert_eq!(
        auto[0].capacity,
        Size::gib(5),
        "the header, as a refresh reads it"
    );
    pool.refresh().unwrap();
    assert_same(
        &details(&pool, InventoryMethod::Rpc, false),
        &auto,
        "after a refresh",
    );
}

#[test]
fn fs_pool_on_loop_device_is_read_through_the_daemons_mount_namespace() {
    let test = "fs_pool_on_loop_device_is_read_through_the_daemons_mount_namespace";
    let Some(live) = live(test) else { return };
    let scratch = live.scratch("invl-fs");
    let dev = LoopDevice::new(scratch.path(), "256M");
    let target = scratch.path().join("mnt");
    let spec: PoolSpec = FsPool::new(
        unique("invlfs"),
        dev.device.as_str(),
        target.to_str().unwrap(),
    )
    .format(FsFormat::Ext4)
    .into();
    let pool = live.conn().define_pool(&spec).unwrap();
    let _cleanup = PoolCleanup::with_delete(&pool);
    pool.build(BuildMode::Overwrite).unwrap();
    pool.start().unwrap();
    // mounted in the daemon's namespace only: not under the target path here
    assert!(fs::read_dir(&target).unwrap().next().is_none());
    make_mixed_files(&target, &daemon_path(&target), 300, scratch.path());
    pool.refresh().unwrap();
    let expected = libvirt_answers(&pool);
    // ext4's lost+found (a directory libvirt lists) and the 300 files
    assert_eq!(expected.len(), 301);
    assert!(expected.iter().any(|e| e.name == "lost+found"));
    assert_local_reads_match(&pool, &expected);
    pool.destroy().unwrap();
}

#[test]
fn remote_connections_answer_through_libvirt() {
    let Ok(uris) = std::env::var("KVMPOOL_FLEET_URIS") else {
        eprintln!(
            "SKIPPED remote_connections_answer_through_libvirt: needs a daemon over TCP \
             (KVMPOOL_FLEET_URIS, set by `make test`)"
        );
        return;
    };
    let uri = uris.split_whitespace().next().unwrap();
    let conn = Connection::open(uri).unwrap();
    let target = format!("/tmp/{}", unique("invl-remote"));
    let spec: PoolSpec = DirPool::new(unique("invlr"), target.as_str()).into();
    let pool = conn.define_pool(&spec).unwrap();
    let _cleanup = PoolCleanup::with_delete(&pool);
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    for (i, format) in [VolumeFormat::Qcow2, VolumeFormat::Raw, VolumeFormat::Iso]
        .iter()
        .enumerate()
    {
        let spec = VolumeSpec::new(format!("v{i}"), Size::mib(i as u64 + 1)).format(*format);
        pool.create_volume(&spec).unwrap();
    }
    let expected = libvirt_answers(&pool);
    assert_eq!(expected.len(), 3);
    assert_same(
        &expected,
        &details(&pool, InventoryMethod::Auto, true),
        "auto",
    );
    let local = InventoryOptions {
        method: InventoryMethod::Local,
        ..InventoryOptions::default()
    };
    let e = pool.volume_details_with(&local).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert_eq!(
        conn.inventory(&local).unwrap_err().kind(),
        ErrorKind::Unsupported
    );
}

#[test]
fn test_driver_answers_through_libvirt_and_refuses_local() {
    let (conn, _dir) = support::private_test_conn();
    let pool = conn.pool("default-pool").unwrap();
    for i in 0..5 {
        let spec =
            VolumeSpec::new(format!("v{i}.qcow2"), Size::mib(i + 1)).format(VolumeFormat::Qcow2);
        pool.create_volume(&spec).unwrap();
    }
    let auto = details(&pool, InventoryMethod::Auto, true);
    assert_eq!(auto.len(), 5);
    assert_eq!(auto, details(&pool, InventoryMethod::Rpc, true));
    assert_eq!(auto, libvirt_answers(&pool));
    let options = InventoryOptions {
        method: InventoryMethod::Local,
        ..InventoryOptions::default()
    };
    let e = conn.inventory(&options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("inventory method \"local\""), "{e}");
    assert_eq!(InventoryOptions::default().method, InventoryMethod::Auto);
    assert_eq!(
        "rpc".parse::<InventoryMethod>().unwrap(),
        InventoryMethod::Rpc
    );
    assert!("fast".parse::<InventoryMethod>().is_err());
}
