//! Fixtures for the integration tests: the live test environment (from `make test`),
//! unique names, loop devices, private test-driver connections, and guards that leave
//! nothing behind when a test fails.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kvmpool::{Connection, DeleteMode, Pool};

/// The live environment started by `tests/env/kvmpool-env.sh up` and exported by
/// `make test`.
pub struct Live {
    pub uri: String,
    pub dir: PathBuf,
}

impl Live {
    pub fn conn(&self) -> Connection {
        Connection::open(&self.uri).expect("the live daemon answers")
    }

    /// A fresh directory under the scratch space, removed when dropped.
    pub fn scratch(&self, name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir_in(&self.dir)
            .unwrap()
    }
}

/// The live environment, or `None` after printing why the test is skipped.
pub fn live(test: &str) -> Option<Live> {
    match (
        std::env::var("KVMPOOL_TEST_URI"),
        std::env::var("KVMPOOL_TEST_DIR"),
    ) {
        (Ok(uri), Ok(dir)) => Some(Live {
            uri,
            dir: PathBuf::from(dir),
        }),
        _ => {
            eprintln!(
                "SKIPPED {test}: needs the live libvirtd (KVMPOOL_TEST_URI/KVMPOOL_TEST_DIR are \
                 set by `make test`)"
            );
            None
        }
    }
}

/// An environment variable of the live environment.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by tests/env/kvmpool-env.sh up"))
}

/// A name unique in this run: `prefix-<pid>-<n>`.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A connection to the test driver with private state: each call gets its own copy of
/// a node with one running dir pool called `default-pool` (as `test:///default` has).
pub fn private_test_conn() -> (Connection, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("node.xml");
    std::fs::write(
        &node,
        "<node>\n  <pool type='dir'>\n    <name>default-pool</name>\n    \
         <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>\n    \
         <target><path>/default-pool</path></target>\n  </pool>\n</node>\n",
    )
    .unwrap();
    let conn = Connection::open(&format!("test://{}", node.display())).unwrap();
    (conn, dir)
}

/// Destroys, deletes (optionally) and undefines a pool when dropped, so a failing test
/// leaves nothing behind.
pub struct PoolCleanup {
    pub pool: Pool,
    pub delete: bool,
}

impl PoolCleanup {
    pub fn new(pool: &Pool) -> Self {
        PoolCleanup {
            pool: pool.clone(),
            delete: false,
        }
    }

    pub fn with_delete(pool: &Pool) -> Self {
        PoolCleanup {
            pool: pool.clone(),
            delete: true,
        }
    }
}

impl Drop for PoolCleanup {
    fn drop(&mut self) {
        if let Ok(vols) = self.pool.volumes() {
            if self.delete {
                for v in vols {
                    let _ = v.delete(DeleteMode::Normal);
                }
            }
        }
        if self.pool.is_active().unwrap_or(false) {
            let _ = self.pool.destroy();
        }
        if self.delete {
            let _ = self.pool.delete(DeleteMode::Normal);
        }
        let _ = self.pool.undefine();
    }
}

/// A loop device over a sparse file; detached when dropped.
pub struct LoopDevice {
    pub device: String,
    pub backing: PathBuf,
    detached: bool,
}

impl LoopDevice {
    pub fn new(dir: &Path, size: &str) -> LoopDevice {
        let backing = dir.join(format!("{}.img", unique("loop")));
        run("truncate", &["-s", size, backing.to_str().unwrap()]);
        let device = run("losetup", &["--find", "--show", backing.to_str().unwrap()]);
        LoopDevice {
            device,
            backing,
            detached: false,
        }
    }

    /// Detach the device now (a fault a test injects). Its number may then go to
    /// another test's device, so it is not detached again when this is dropped.
    pub fn detach(&mut self) {
        run("losetup", &["-d", &self.device]);
        self.detached = true;
    }

    /// The device name without `/dev/` (`loop3`).
    pub fn name(&self) -> &str {
        self.device.trim_start_matches("/dev/")
    }
}

impl Drop for LoopDevice {
    fn drop(&mut self) {
        if !self.detached {
            let _ = Command::new("losetup").args(["-d", &self.device]).status();
        }
        let _ = std::fs::remove_file(&self.backing);
    }
}

/// Run a command, panic with its output when it fails, return its trimmed stdout.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Write a file of `size` bytes with random data in the given MiB-aligned ranges and
/// holes elsewhere.
pub fn sparse_file(path: &Path, size: u64, data_mib: &[u64]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::File::create(path).unwrap();
    f.set_len(size).unwrap();
    let mut state = 0x2545f4914f6cdd1du64;
    for &mib in data_mib {
        let mut block = vec![0u8; 1 << 20];
        for b in block.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        f.seek(SeekFrom::Start(mib << 20)).unwrap();
        f.write_all(&block).unwrap();
    }
}

/// Bytes allocated on disk for a file.
pub fn allocated(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().blocks() * 512
}

/// True when two files have the same bytes.
pub fn same_bytes(a: &Path, b: &Path) -> bool {
    Command::new("cmp")
        .args(["-s", a.to_str().unwrap(), b.to_str().unwrap()])
        .status()
        .unwrap()
        .success()
}

/// A storage-only libvirtd of its own (`kvmpool-env.sh daemon-start`), for tests that
/// kill or restart it; stopped when dropped.
pub struct PrivateDaemon {
    script: String,
    pub dir: tempfile::TempDir,
}

impl PrivateDaemon {
    pub fn start(live: &Live) -> PrivateDaemon {
        let script = env("KVMPOOL_TEST_ENV_SCRIPT");
        let dir = live.scratch("daemon");
        let d = PrivateDaemon { script, dir };
        d.run("daemon-start");
        d
    }

    pub fn run(&self, cmd: &str) {
        run(
            "sh",
            &[&self.script, cmd, self.dir.path().to_str().unwrap()],
        );
    }

    pub fn uri(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("uri"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// The daemon's process id.
    pub fn pid(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("libvirtd.pid"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// SIGKILL the daemon and wait until it is gone.
    pub fn kill(&self) {
        let pid = self.pid();
        run("kill", &["-9", pid.trim()]);
        // wait until it is gone (a zombie counts as gone: PID 1 may not reap it)
        let stat = Path::new("/proc").join(pid.trim()).join("stat");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match std::fs::read_to_string(&stat) {
                Ok(s) if s.split_whitespace().nth(2).is_none_or(|st| st != "Z") => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => return,
            }
        }
    }
}

impl Drop for PrivateDaemon {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .args([
                &self.script,
                "daemon-stop",
                self.dir.path().to_str().unwrap(),
            ])
            .status();
    }
}

/// The test VM (`kvmpool-env.sh vm-up`): a Debian kernel with device-mapper, the
/// kernel iSCSI initiator, an LIO target, NFS and multipath, and its libvirtd reached
/// over `qemu+tcp://`.
pub struct Vm {
    pub uri: String,
    exec: String,
}

/// The test VM, or `None` after printing why the test is skipped. When the
/// environment tried to start it and failed, the test fails with the reason: a VM
/// that could not start is a failure, not a skip.
pub fn vm(test: &str) -> Option<Vm> {
    if let Ok(why) = std::env::var("KVMPOOL_VM_ERROR") {
        panic!("{test}: the test VM did not come up: {why}");
    }
    match (
        std::env::var("KVMPOOL_VM_URI"),
        std::env::var("KVMPOOL_VM_EXEC"),
    ) {
        (Ok(uri), Ok(exec)) => Some(Vm { uri, exec }),
        _ => {
            eprintln!(
                "SKIPPED {test}: needs the test VM with a real kernel (KVMPOOL_VM_URI is set by \
                 `make test`, or `make env-up DIR=... VM=1`)"
            );
            None
        }
    }
}

impl Vm {
    pub fn conn(&self) -> Connection {
        Connection::open(&self.uri).expect("the VM's libvirtd answers")
    }

    /// Run a shell command in the guest: its exit code and output.
    pub fn exec(&self, cmd: &str) -> (i32, String) {
        let mut words = self.exec.split_whitespace();
        let out = Command::new(words.next().unwrap())
            .args(words)
            .arg(cmd)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }

    /// Run a shell command in the guest that must succeed; its output.
    pub fn sh(&self, cmd: &str) -> String {
        let (rc, out) = self.exec(cmd);
        assert_eq!(rc, 0, "in the guest: {cmd}: {out}");
        out
    }

    /// `virsh -c URI ARGS...` from the host: libvirt's own view.
    pub fn virsh(&self, args: &[&str]) -> String {
        let mut all = vec!["-c", &self.uri];
        all.extend_from_slice(args);
        run("virsh", &all)
    }
}
