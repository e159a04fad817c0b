//! Fixtures for the command line's tests: running `kvmpool` and `virsh`, the live test
//! environment (from `make test`, or `. DIR/env`), unique names, and a guard that
//! removes test pools whatever happens.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a command printed and its exit status.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Panic with everything printed unless the status is `want`.
    pub fn expect(self, want: i32, what: &str) -> Run {
        assert_eq!(
            self.status, want,
            "{what}: status {} (wanted {want})\nstdout:\n{}\nstderr:\n{}",
            self.status, self.stdout, self.stderr
        );
        self
    }

    pub fn ok(self, what: &str) -> Run {
        self.expect(0, what)
    }
}

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kvmpool")
}

/// `kvmpool -c URI ARGS...`, stdin closed, not on a terminal.
pub fn kvmpool(uri: &str, args: &[&str]) -> Run {
    let out = Command::new(bin())
        .arg("-c")
        .arg(uri)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the kvmpool binary runs");
    Run::from(out)
}

/// `kvmpool ARGS...` (no -c), stdin closed, not on a terminal.
pub fn kvmpool_args(args: &[&str]) -> Run {
    let out = Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the kvmpool binary runs");
    Run::from(out)
}

/// `virsh -c URI ARGS...`; panics when virsh fails.
pub fn virsh(uri: &str, args: &[&str]) -> String {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(uri)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("virsh runs");
    let run = Run::from(out);
    assert_eq!(
        run.status, 0,
        "virsh {args:?}: {}{}",
        run.stdout, run.stderr
    );
    run.stdout
}

/// virsh's output without the empty line it ends every command with.
pub fn virsh_text(uri: &str, args: &[&str]) -> String {
    let out = virsh(uri, args);
    out.strip_suffix("\n\n")
        .map(|s| format!("{s}\n"))
        .unwrap_or(out)
}

/// The live environment started by `tests/env/kvmpool-env.sh up`.
pub struct Live {
    pub uri: String,
    pub dir: PathBuf,
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

impl Live {
    /// A fresh directory under the scratch space, removed when dropped.
    pub fn scratch(&self, name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir_in(&self.dir)
            .unwrap()
    }
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

/// Removes the named pools (volumes, build, definition) with virsh when dropped.
pub struct Gone {
    pub uri: String,
    pub pools: Vec<String>,
}

impl Drop for Gone {
    fn drop(&mut self) {
        for pool in &self.pools {
            let quiet = |args: &[&str]| {
                let _ = Command::new("virsh")
                    .arg("-c")
                    .arg(&self.uri)
                    .args(args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            };
            if let Ok(out) = Command::new("virsh")
                .args(["-c", &self.uri, "vol-list", pool])
                .stdin(Stdio::null())
                .output()
            {
                for vol in table_rows(&String::from_utf8_lossy(&out.stdout)) {
                    quiet(&["vol-delete", &vol[0], "--pool", pool]);
                }
            }
            quiet(&["pool-destroy", pool]);
            quiet(&["pool-delete", pool]);
            quiet(&["pool-undefine", pool]);
        }
    }
}

/// Table rows as virsh prints them (header and dashes dropped), cells split on the
/// column gaps (three spaces or more; a size like `1.00 GiB` has one).
pub fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim()
                .split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// The row whose first cell is `name`.
pub fn row<'r>(rows: &'r [Vec<String>], name: &str) -> &'r [String] {
    rows.iter()
        .find(|r| r.first().map(String::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in {rows:?}"))
}

/// Write `len` bytes of a pattern that differs in every block to `path`.
pub fn pattern_file(path: &Path, len: usize) {
    let data: Vec<u8> = (0..len)
        .map(|i| ((i / 4096) as u8).wrapping_mul(31) ^ (i as u8))
        .collect();
    std::fs::write(path, data).unwrap();
}
