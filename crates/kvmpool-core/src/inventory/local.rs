//! The volumes of a dir, fs or netfs pool read from their files, with libvirt's
//! answers, for a daemon on this machine: no round trip per volume.
//!
//! What libvirt 9.0's fs backend answers, and what this reads to give the same:
//!
//! - The list: libvirt's own, from its last pool refresh and the volumes created and
//!   deleted through it since (the caller lists it). A refresh lists every directory
//!   entry but `.` and `..` (dot files are volumes), skipping names with control
//!   characters and what `virStorageBackendVolOpen` refuses: FIFOs, sockets, character
//!   devices, dangling links, files it may not open. Such entries are not in the list,
//!   so they are not read here either.
//! - Key and path: `<target>/<name>` (checked; anything else is asked of libvirt).
//! - `vol-info` (`virStorageBackendVolRefreshLocal`) re-reads the file on every call:
//!   `open` of the path (links followed), `fstat`; for a regular file allocation
//!   `st_blocks * 512` and capacity `st_size`, or the size in the header for a format
//!   that has one, read anew ([`probe_as_libvirt`], with libvirt's LUKS and ploop
//!   rules); 0 and 0 for a directory.
//! - Type and format are the ones libvirt last probed (at the refresh, or given at
//!   creation): `dir` for a directory, `ploop` for a parallels image, `file` for the
//!   rest. The header is probed here the same way, so the answers agree while the
//!   header is the one libvirt last saw (see [`super::InventoryMethod`]); the formats
//!   of raw and ISO files are the exception libvirt makes itself, see
//!   [`format_may_be_older`].
//!
//! Anything else (a block device, a ploop directory, a file this process may not
//! open, a header read error) is [`Found::AskLibvirt`]: the caller asks libvirt.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;

use rustix::fs::{AtFlags, OFlags};
use rustix::io::Errno;

use super::VolumeEntry;
use crate::image::probe_as_libvirt;
use crate::local::{DaemonRoot, LocalDaemon};
use crate::spec::{VolumeFormat, VolumeType};
use crate::units::Size;

/// What reading one volume's file found.
pub(super) enum Found {
    /// libvirt's answer, read from the file.
    Entry(VolumeEntry),
    /// A volume only libvirt can answer for exactly, and why.
    AskLibvirt { name: String, why: String },
}

/// True when libvirt may report another format than the file's header shows, with
/// nothing in the file to tell: libvirt keeps the format a volume was created with
/// until its next refresh, and a volume created as `iso` (which libvirt makes with
/// `qemu-img create -f raw`) or copied as `raw` from an ISO holds what the other
/// format would. The capacity does not depend on it: both are the file's size.
pub(super) fn format_may_be_older(entry: &VolumeEntry) -> bool {
    matches!(entry.format.as_deref(), Some("raw" | "iso"))
}

/// A pool's files as the daemon sees them.
pub(super) struct PoolFiles {
    root: DaemonRoot,
    /// The pool's target path as libvirt has it.
    target: String,
}

/// The numbers libvirt reports for a file.
struct Facts {
    volume_type: VolumeType,
    capacity: u64,
    allocation: u64,
    format: VolumeFormat,
}

impl PoolFiles {
    /// The files of the pool whose target path is `target`, when its directory can be
    /// opened from here (mounted where the daemon mounted it, readable).
    pub(super) fn open(daemon: &LocalDaemon, target: &str) -> io::Result<PoolFiles> {
        let root = daemon.open_root()?;
        root.open(target, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC)?;
        Ok(PoolFiles {
            root,
            target: target.to_owned(),
        })
    }

    /// The entry of the volume `name` with key `key` (and its format when `formats`).
    pub(super) fn read(&self, name: String, key: String, formats: bool) -> Found {
        let facts = if self.holds(&name, &key) {
            self.facts(&key)
        } else {
            Err(format!(
                "its key {key:?} is not the pool's target and its name"
            ))
        };
        match facts {
            Ok(f) => Found::Entry(VolumeEntry {
                path: key.clone(),
                key,
                name,
                volume_type: f.volume_type,
                capacity: Size::bytes(f.capacity),
                allocation: Size::bytes(f.allocation),
                format: formats.then(|| f.format.as_str().to_owned()),
            }),
            Err(why) => Found::AskLibvirt { name, why },
        }
    }

    /// True for a key libvirt's fs backend gives a volume `name` of this pool.
    fn holds(&self, name: &str, key: &str) -> bool {
        let file = key
            .strip_prefix(self.target.as_str())
            .and_then(|rest| rest.strip_prefix('/'));
        file == Some(name) && !name.contains('/')
    }

    fn facts(&self, path: &str) -> Result<Facts, String> {
        // libvirt's flags: a FIFO or a terminal can neither block the open nor
        // become the controlling terminal.
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = self
            .root
            .open(path, flags)
            .map_err(|e| format!("cannot be opened here: {e}"))?;
        let file = File::from(fd);
        let meta = file.metadata().map_err(|e| format!("fstat: {e}"))?;
        if meta.is_dir() {
            return directory(&file);
        }
        if !meta.is_file() {
            return Err("not a regular file or a directory".to_owned());
        }
        let view = probe_as_libvirt(&file, meta.len()).map_err(|e| e.to_string())?;
        let volume_type = match view.format {
            VolumeFormat::Ploop => VolumeType::Ploop,
            _ => VolumeType::File,
        };
        Ok(Facts {
            volume_type,
            capacity: view.capacity,
            // DEV_BSIZE, the unit of st_blocks
            allocation: meta.blocks() * 512,
            format: view.format,
        })
    }
}

/// A directory is a `dir` volume of capacity and allocation 0, unless it holds both
/// `root.hds` and `DiskDescriptor.xml` (libvirt's test for a ploop image, whose
/// numbers it reads from the image): that one is asked of libvirt.
fn directory(dir: &File) -> Result<Facts, String> {
    let plain = Facts {
        volume_type: VolumeType::Dir,
        capacity: 0,
        allocation: 0,
        format: VolumeFormat::Dir,
    };
    for name in ["root.hds", "DiskDescriptor.xml"] {
        // Not following links: a link there, even a dangling one, is left to libvirt.
        match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => return Ok(plain),
            Ok(_) => {}
            Err(e) => return Err(format!("{name}: {e}")),
        }
    }
    Err("a ploop image directory".to_owned())
}
