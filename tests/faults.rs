//! Faults under real storage: the daemon killed in the middle of an upload and of a
//! download, a loop device detached under an fs pool, a pool file system turned
//! read-only, and a full disk during an upload. Each fault must give the right error
//! kind and leave the host consistent, which the tests check with virsh afterwards.
//! (The daemon restarted between calls is `events_reconnect.rs`.)
//!
//! Every test runs its own libvirtd (`PrivateDaemon`), so killing it or breaking its
//! storage disturbs no other test.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kvmpool::*;
use support::*;

const FILE_MIB: u64 = 256;
/// The daemon is killed once this much has been transferred.
const KILL_AT: u64 = 32 << 20;

/// A private daemon with a running dir pool `faults` in its directory.
struct Setup {
    daemon: PrivateDaemon,
    conn: Connection,
    pool: Pool,
    target: PathBuf,
}

impl Setup {
    fn new(live: &Live) -> Setup {
        let daemon = PrivateDaemon::start(live);
        let conn = Connection::open(&daemon.uri()).unwrap();
        let target = daemon.dir.path().join("pool");
        let pool = conn
            .define_pool(&DirPool::new("faults", target.to_str().unwrap()).into())
            .unwrap();
        pool.build(BuildMode::Normal).unwrap();
        pool.start().unwrap();
        pool.set_autostart(true).unwrap();
        Setup {
            daemon,
            conn,
            pool,
            target,
        }
    }

    /// Restart the killed daemon and make the connection find it again (the first
    /// call may still report the lost link).
    fn restart(&self) {
        self.daemon.run("daemon-start");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.pool.is_active() {
                Ok(true) => return,
                Ok(false) => {
                    self.pool.start().unwrap();
                    return;
                }
                Err(e) => {
                    eprintln!("fault: {e}");
                    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
                    assert!(Instant::now() < deadline, "no reconnect: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }

    /// `virsh vol-list` of the pool, as the operator would check it.
    fn virsh_volumes(&self) -> Vec<String> {
        let out = run(
            "virsh",
            &["-q", "-c", &self.daemon.uri(), "vol-list", "faults"],
        );
        out.lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    }

    /// Transfer options by `method` whose progress callback kills the daemon at
    /// `KILL_AT` bytes.
    fn killing_options(&self, method: TransferMethod) -> (TransferOptions, Arc<AtomicBool>) {
        let pid = self.daemon.pid();
        let killed = Arc::new(AtomicBool::new(false));
        let flag = killed.clone();
        let options = TransferOptions::default()
            .method(method)
            .progress(move |done, _total| {
                if done >= KILL_AT && !flag.swap(true, Ordering::SeqCst) {
                    run("kill", &["-9", &pid]);
                }
                true
            });
        (options, killed)
    }
}

fn random_file(dir: &Path, mib: u64) -> PathBuf {
    let path = dir.join("random.bin");
    let mut data = vec![0u8; (mib << 20) as usize];
    let mut state = 0x9e3779b97f4a7c15u64;
    for word in data.chunks_exact_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        word.copy_from_slice(&state.to_le_bytes());
    }
    std::fs::write(&path, data).unwrap();
    path
}

/// Both ways of moving the bytes: a fault must end the same on each.
const METHODS: [TransferMethod; 2] = [TransferMethod::Stream, TransferMethod::Direct];

#[test]
fn daemon_killed_mid_upload_leaves_no_new_volume_and_reports_a_partial_one() {
    let Some(live) =
        live("daemon_killed_mid_upload_leaves_no_new_volume_and_reports_a_partial_one")
    else {
        return;
    };
    let s = Setup::new(&live);
    let scratch = live.scratch("faults-upload");
    let file = random_file(scratch.path(), FILE_MIB);
    for method in METHODS {
        eprintln!("method: {method}");
        killed_mid_upload(&s, &file, method);
    }
}

fn killed_mid_upload(s: &Setup, file: &Path, method: TransferMethod) {
    // A volume the call creates: removed once the daemon is back.
    let (options, killed) = s.killing_options(method);
    let spec = VolumeSpec::new("new.raw", Size::ZERO);
    let e = s
        .pool
        .create_volume_from_file(&spec, file, &options)
        .unwrap_err();
    assert!(killed.load(Ordering::SeqCst), "the daemon was killed");
    eprintln!("fault: {e}");
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(
        e.to_string()
            .contains("will be removed when the connection is back"),
        "{e}"
    );
    s.restart();
    assert!(!s.virsh_volumes().contains(&"new.raw".to_owned()));
    assert!(!s.target.join("new.raw").exists());

    // A volume that existed before: kept, and reported as possibly partial.
    let vol = s
        .pool
        .create_volume(&VolumeSpec::new("old.raw", Size::mib(FILE_MIB)))
        .unwrap();
    let (options, _) = s.killing_options(method);
    let e = vol.upload_file(file, &options).unwrap_err();
    eprintln!("fault: {e}");
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(e.to_string().contains("may be partly written"), "{e}");
    s.restart();
    assert_eq!(s.virsh_volumes(), ["old.raw"]);
    assert_eq!(vol.info().unwrap().capacity, Size::mib(FILE_MIB));

    // The pool works as before: the same upload now succeeds.
    let plain = TransferOptions::default().method(method);
    vol.upload_file(file, &plain).unwrap();
    assert!(same_bytes(file, &s.target.join("old.raw")));
    vol.delete(DeleteMode::Normal).unwrap();
}

#[test]
fn daemon_killed_mid_download_leaves_the_destination_untouched() {
    let Some(live) = live("daemon_killed_mid_download_leaves_the_destination_untouched") else {
        return;
    };
    let s = Setup::new(&live);
    let scratch = live.scratch("faults-download");
    let file = random_file(scratch.path(), FILE_MIB);
    let (vol, _) = s
        .pool
        .create_volume_from_file(
            &VolumeSpec::new("src.raw", Size::ZERO),
            &file,
            &TransferOptions::default(),
        )
        .unwrap();
    for method in METHODS {
        eprintln!("method: {method}");
        let out = scratch.path().join(format!("out-{method}"));
        std::fs::create_dir(&out).unwrap();
        killed_mid_download(&s, &vol, &out, method);
        assert!(same_bytes(&file, &out.join("copy.raw")));
    }
}

/// A download into `out` interrupted twice, then done once the daemon is back. A
/// direct download reads the file without the daemon, but libvirt's hold on the
/// volume ends with it, so it fails the same way.
fn killed_mid_download(s: &Setup, vol: &Volume, out: &Path, method: TransferMethod) {
    // A new destination: not created.
    let dest = out.join("copy.raw");
    let (options, killed) = s.killing_options(method);
    let e = vol.download_file(&dest, &options).unwrap_err();
    assert!(killed.load(Ordering::SeqCst));
    eprintln!("fault: {e}");
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert_eq!(std::fs::read_dir(out).unwrap().count(), 0, "no file left");

    // An existing destination: keeps its old content.
    s.restart();
    std::fs::write(&dest, b"old content").unwrap();
    let (options, _) = s.killing_options(method);
    let e = vol.download_file(&dest, &options).unwrap_err();
    eprintln!("fault: {e}");
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"old content");
    assert_eq!(
        std::fs::read_dir(out).unwrap().count(),
        1,
        "no temp file left"
    );

    s.restart();
    assert_eq!(s.virsh_volumes(), ["src.raw"]);
    vol.download_file(&dest, &TransferOptions::default().method(method))
        .unwrap();
}

/// Held by the tests that use loop devices: a device the detach test lets go can be
/// given to another test's `losetup --find`, and starting the detached pool again
/// would then mount that test's file system.
static LOOP_DEVICES: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn loop_devices() -> std::sync::MutexGuard<'static, ()> {
    LOOP_DEVICES.lock().unwrap_or_else(|e| e.into_inner())
}

/// An ext4 fs pool on a loop device of `size`, running on the private daemon.
fn fs_pool(s: &Setup, dev: &LoopDevice, name: &str) -> (Pool, PathBuf) {
    let target = s.daemon.dir.path().join(name);
    let spec: PoolSpec = FsPool::new(name, dev.device.as_str(), target.to_str().unwrap())
        .format(FsFormat::Ext4)
        .into();
    let pool = s.conn.define_pool(&spec).unwrap();
    pool.build(BuildMode::Overwrite).unwrap();
    pool.start().unwrap();
    (pool, target)
}

/// Whether `target` is a mount point in the daemon's mount namespace.
fn mounted_in_daemon(s: &Setup, target: &Path) -> bool {
    let mounts = std::fs::read_to_string(format!("/proc/{}/mounts", s.daemon.pid())).unwrap();
    let target = target.to_str().unwrap();
    mounts
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(target))
}

#[test]
fn loop_device_detached_under_a_running_fs_pool() {
    let Some(live) = live("loop_device_detached_under_a_running_fs_pool") else {
        return;
    };
    let s = Setup::new(&live);
    let _serial = loop_devices();
    let scratch = live.scratch("faults-loop");
    let mut dev = LoopDevice::new(scratch.path(), "64M");
    let (pool, target) = fs_pool(&s, &dev, "detached");
    pool.create_volume(&VolumeSpec::new("a.raw", Size::mib(1)))
        .unwrap();

    // Detaching a mounted loop device only marks it: the pool keeps working.
    dev.detach();
    pool.refresh().unwrap();
    assert_eq!(pool.volume("a.raw").unwrap().name(), "a.raw");

    // Unmounting releases the device; starting again finds no device.
    pool.destroy().unwrap();
    assert!(!mounted_in_daemon(&s, &target));
    let e = pool.start().unwrap_err();
    eprintln!("fault: {e}");
    // libvirt reports the failed mount as an internal error.
    assert_eq!(e.kind(), ErrorKind::Libvirt, "{e}");
    assert!(e.to_string().contains(&dev.device), "names the device: {e}");
    assert!(!pool.is_active().unwrap(), "the pool stays inactive");
    assert!(!mounted_in_daemon(&s, &target), "nothing mounted");
    let listed = run(
        "virsh",
        &["-q", "-c", &s.daemon.uri(), "pool-list", "--inactive"],
    );
    assert!(listed.contains("detached"), "still defined: {listed}");
    pool.undefine().unwrap();
}

#[test]
fn read_only_pool_file_system_refuses_changes_and_keeps_volumes() {
    let Some(live) = live("read_only_pool_file_system_refuses_changes_and_keeps_volumes") else {
        return;
    };
    let s = Setup::new(&live);
    let _serial = loop_devices();
    let scratch = live.scratch("faults-ro");
    let dev = LoopDevice::new(scratch.path(), "64M");
    let (pool, target) = fs_pool(&s, &dev, "readonly");
    let vol = pool
        .create_volume(&VolumeSpec::new("keep.raw", Size::mib(1)))
        .unwrap();

    // Root ignores file modes: make the file system itself read-only, where the
    // daemon mounted it.
    run(
        "nsenter",
        &[
            "-t",
            &s.daemon.pid(),
            "-m",
            "mount",
            "-o",
            "remount,ro",
            target.to_str().unwrap(),
        ],
    );
    let e = pool
        .create_volume(&VolumeSpec::new("new.raw", Size::mib(1)))
        .unwrap_err();
    eprintln!("fault: {e}");
    assert_eq!(e.kind(), ErrorKind::Libvirt, "{e}");
    assert!(e.to_string().contains("Read-only file system"), "{e}");
    let e = vol.delete(DeleteMode::Normal).unwrap_err();
    eprintln!("fault: {e}");
    assert_eq!(e.kind(), ErrorKind::Libvirt, "{e}");
    let e = vol.resize(Resize::to(Size::mib(2))).unwrap_err();
    eprintln!("fault: {e}");
    assert_eq!(e.kind(), ErrorKind::Libvirt, "{e}");

    pool.refresh().unwrap();
    let names = pool.volume_names().unwrap();
    assert!(names.contains(&"keep.raw".to_owned()), "{names:?}");
    assert!(!names.contains(&"new.raw".to_owned()), "{names:?}");
    assert_eq!(vol.info().unwrap().capacity, Size::mib(1));
    pool.destroy().unwrap();
    pool.undefine().unwrap();
}

#[test]
fn disk_full_during_upload_removes_the_new_volume() {
    let Some(live) = live("disk_full_during_upload_removes_the_new_volume") else {
        return;
    };
    let s = Setup::new(&live);
    let _serial = loop_devices();
    let scratch = live.scratch("faults-full");
    let dev = LoopDevice::new(scratch.path(), "32M");
    let (pool, _) = fs_pool(&s, &dev, "full");
    let file = random_file(scratch.path(), 64);
    let free_before = pool.info().unwrap().available;

    for method in METHODS {
        let options = TransferOptions::default().method(method);
        let e = pool
            .create_volume_from_file(&VolumeSpec::new("big.raw", Size::ZERO), &file, &options)
            .unwrap_err();
        eprintln!("fault ({method}): {e}");
        // The daemon's failed write is libvirt's error; this process's own is an I/O one.
        let kind = match method {
            TransferMethod::Direct => ErrorKind::Io,
            _ => ErrorKind::Libvirt,
        };
        assert_eq!(e.kind(), kind, "{e}");
        assert!(e.to_string().contains("No space left on device"), "{e}");
        assert!(e.to_string().contains("was removed again"), "{e}");
        pool.refresh().unwrap();
        assert!(!pool.volume_names().unwrap().contains(&"big.raw".to_owned()));
        assert_eq!(pool.info().unwrap().available, free_before, "space is back");
    }

    // A file that fits still goes in.
    let small = scratch.path().join("small.bin");
    std::fs::write(&small, vec![7u8; 4 << 20]).unwrap();
    pool.create_volume_from_file(
        &VolumeSpec::new("small.raw", Size::ZERO),
        &small,
        &TransferOptions::default(),
    )
    .unwrap();
    pool.destroy().unwrap();
    pool.undefine().unwrap();
}
