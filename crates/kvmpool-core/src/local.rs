//! The daemon behind a local connection, for work that is cheaper done in this process
//! than through one RPC per step: reading a volume's file (inventory) or copying into
//! it (direct transfers).
//!
//! A local URI (`qemu:///system`, `storage:///system?socket=...`) reaches a daemon over
//! a unix socket; the socket's peer credentials name its process, and
//! `/proc/PID/root` is the root the daemon resolves its paths under: the same files
//! even when the daemon runs in a mount namespace of its own (a pool mounted only
//! there, a private test daemon). Anything else (a remote URI, libvirt's in-process
//! test driver, a socket that cannot be found or a `/proc` this process may not read)
//! is not local, and callers use libvirt's calls as always.

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};

use crate::conn::Connection;
use crate::uri;

/// A daemon on this machine whose files this process can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalDaemon {
    /// The daemon's process id.
    pub(crate) pid: u32,
    /// Where the daemon's `/` is, seen from this process.
    root: PathBuf,
}

impl LocalDaemon {
    /// The daemon of `conn`, when it is local and its root can be read.
    pub(crate) fn of(conn: &Connection) -> Option<LocalDaemon> {
        let uri = match conn.requested_uri() {
            Some(u) => u.to_owned(),
            None => conn.uri().ok()?,
        };
        let socket = socket_candidates(&uri)?
            .into_iter()
            .find_map(|path| UnixStream::connect(path).ok())?;
        let pid = rustix::net::sockopt::socket_peercred(&socket).ok()?.pid;
        let pid = u32::try_from(pid.as_raw_nonzero().get()).ok()?;
        LocalDaemon::with_pid(pid)
    }

    /// The daemon with this process id, when its root can be read.
    fn with_pid(pid: u32) -> Option<LocalDaemon> {
        let root = PathBuf::from(format!("/proc/{pid}/root"));
        std::fs::read_dir(&root).ok()?;
        Some(LocalDaemon { pid, root })
    }

    /// Where the daemon's absolute `path` is, seen from this process; `None` for a
    /// path that is not absolute (a network volume's name, an RBD image).
    pub(crate) fn path(&self, path: &str) -> Option<PathBuf> {
        let relative = Path::new(path).strip_prefix("/").ok()?;
        Some(self.root.join(relative))
    }

    /// The daemon's root, open, for opening many of its paths.
    pub(crate) fn open_root(&self) -> io::Result<DaemonRoot> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::open(&self.root, flags, Mode::empty())?;
        Ok(DaemonRoot { fd })
    }
}

/// A local daemon's root directory, open. Paths opened through it resolve as the
/// daemon resolves them, symbolic links included: an absolute link target is taken
/// inside the daemon's root, not this process's (`/proc/PID/root/...` walks follow
/// such a link out of it).
#[derive(Debug)]
pub(crate) struct DaemonRoot {
    fd: OwnedFd,
}

impl DaemonRoot {
    /// Open the daemon's absolute `path` with `flags` (`openat2` with
    /// `RESOLVE_IN_ROOT`, Linux 5.6 and later; older kernels give `ENOSYS`).
    pub(crate) fn open(&self, path: &str, flags: OFlags) -> io::Result<OwnedFd> {
        let relative = path.strip_prefix('/').ok_or(io::ErrorKind::InvalidInput)?;
        let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        // EAGAIN: a rename elsewhere in the tree raced the walk; the kernel asks for
        // a retry rather than risk a wrong answer.
        let mut tries = 0;
        loop {
            match rustix::fs::openat2(&self.fd, relative, flags, Mode::empty(), resolve) {
                Err(rustix::io::Errno::AGAIN) if tries < 3 => tries += 1,
                other => return other.map_err(io::Error::from),
            }
        }
    }
}

/// The unix sockets a local `uri` may use, in libvirt's order: `socket=` when given;
/// else the monolithic libvirtd's socket, then the driver's own daemon's
/// (`virtqemud-sock`, `virtstoraged-sock`), read-write before read-only. `None` for a
/// URI that is not local over a unix socket.
fn socket_candidates(uri: &str) -> Option<Vec<PathBuf>> {
    let (scheme, rest) = uri.split_once("://")?;
    let (driver, transport) = scheme.split_once('+').unwrap_or((scheme, "unix"));
    let host_end = rest.find('/').unwrap_or(rest.len());
    if transport != "unix" || driver == "test" || !rest[..host_end].is_empty() {
        return None;
    }
    if let Some(socket) = uri::query_param(uri, "socket") {
        return Some(vec![PathBuf::from(socket)]);
    }
    let path = rest[host_end..].split(['?', '#']).next().unwrap_or("");
    let dir = match path {
        "/system" => PathBuf::from("/run/libvirt"),
        "/session" => std::env::var_os("XDG_RUNTIME_DIR")
            .map(|d| PathBuf::from(d).join("libvirt"))
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/libvirt"))
            })?,
        _ => return None,
    };
    let names = [
        "libvirt-sock".to_owned(),
        format!("virt{driver}d-sock"),
        "libvirt-sock-ro".to_owned(),
        format!("virt{driver}d-sock-ro"),
    ];
    Some(names.iter().map(|n| dir.join(n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_unix_uris_have_sockets() {
        for uri in [
            "test:///default",
            "qemu+tcp://127.0.0.1:16509/system",
            "qemu+ssh://root@h/system",
            "qemu://h/system",
            "qemu:///embed?root=/tmp/x",
        ] {
            assert_eq!(socket_candidates(uri), None, "{uri}");
        }
    }

    #[test]
    fn the_socket_parameter_wins_then_libvirts_default_sockets() {
        assert_eq!(
            socket_candidates("storage:///system?socket=/tmp/kv/sock/libvirt-sock"),
            Some(vec![PathBuf::from("/tmp/kv/sock/libvirt-sock")])
        );
        let system = socket_candidates("qemu+unix:///system").unwrap();
        assert_eq!(
            system,
            [
                "/run/libvirt/libvirt-sock",
                "/run/libvirt/virtqemud-sock",
                "/run/libvirt/libvirt-sock-ro",
                "/run/libvirt/virtqemud-sock-ro"
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn this_process_is_its_own_local_daemon() {
        let me = LocalDaemon::with_pid(std::process::id()).expect("own /proc entry");
        let seen = me.path("/proc/self/status").unwrap();
        assert!(seen.starts_with(format!("/proc/{}/root", std::process::id())));
        assert!(seen.exists());
        assert_eq!(me.path("relative/name"), None);
    }

    #[test]
    fn absolute_links_resolve_inside_the_daemons_root() {
        // A daemon whose root is a temporary directory (built by hand: `with_pid`
        // takes a real /proc entry).
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("pool")).unwrap();
        std::fs::write(root.join("pool/disk"), "inside").unwrap();
        std::os::unix::fs::symlink("/pool/disk", root.join("pool/link")).unwrap();
        let daemon = LocalDaemon { pid: 0, root };
        let root = daemon.open_root().unwrap();
        let read = |path: &str| {
            let fd = root.open(path, OFlags::RDONLY | OFlags::CLOEXEC)?;
            std::io::read_to_string(std::fs::File::from(fd))
        };
        assert_eq!(read("/pool/link").unwrap(), "inside");
        assert_eq!(read("/pool/../../pool/disk").unwrap(), "inside");
        assert_eq!(
            read("/pool/missing").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(
            read("pool/disk").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
