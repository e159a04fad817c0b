//! Direct transfers: when the daemon runs on this machine and this process can open
//! the volume's file or device where the daemon sees it, the bytes are copied here
//! (`copy_file_range`, holes found with `SEEK_DATA`) instead of through a libvirt
//! stream, which copies each message about four times on its way.
//!
//! The result is the stream's, byte for byte and block for block: holes are skipped
//! exactly where a sparse stream would leave them and zeroed where it would write
//! zeros (in a device with `BLKZEROOUT`), and the file keeps or takes the size the
//! stream would give it. The file or device
//! is only opened, never created, truncated or renamed, so its owner, mode and
//! security label stay as libvirt made them.
//!
//! libvirt still takes part: a stream over the same range is opened first and aborted
//! when the copy is done. Its checks are the stream's (a volume still being built is
//! refused the same way), the volume counts as in use meanwhile (libvirt refuses to
//! delete, wipe or resize it), and libvirt refreshes its view afterwards as after
//! any upload.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt};

use rustix::fs::FallocateFlags;

use super::options::{Ticker, TransferMethod, TransferOptions, TransferReport};
use super::shim::VolStream;
use super::sinks::Sink;
use super::upload::next_data;
use crate::error::{Error, ErrorKind, Result};
use crate::libvirt;
use crate::local::LocalDaemon;
use crate::options::VolumeInfo;
use crate::spec::VolumeType;
use crate::volume::Volume;

/// Bytes copied between two progress reports.
const DIRECT_CHUNK: u64 = 2 << 20;

/// A volume opened for a direct transfer, and the libvirt stream that holds it.
pub(super) struct Direct {
    pub(super) file: File,
    block: bool,
    /// Aborted on drop, after the copy (see the module's documentation).
    lease: VolStream,
}

/// Which way the bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Way {
    Upload,
    Download,
}

impl Volume {
    /// The volume opened for a direct transfer of `length` bytes at `offset`, or
    /// `None` when the transfer streams: the caller asked for a stream, or asked for
    /// either and a direct one is not possible. Asked for a direct one that is not
    /// possible: [`ErrorKind::Unsupported`] with the reason.
    pub(super) fn open_direct(
        &self,
        options: &TransferOptions,
        info: &VolumeInfo,
        way: Way,
        length: u64,
    ) -> Result<Option<Direct>> {
        if options.method == TransferMethod::Stream {
            return Ok(None);
        }
        let file = match self.local_file(info, way) {
            Ok(file) => file,
            Err(_) if options.method == TransferMethod::Auto => return Ok(None),
            Err(why) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "volume {:?} cannot be transferred directly: {why}",
                        self.name()
                    ),
                ))
            }
        };
        let offset = options.offset;
        let call = match way {
            Way::Upload => "virStorageVolUpload",
            Way::Download => "virStorageVolDownload",
        };
        let lease = VolStream::open(self, call, |v, s| {
            match way {
                Way::Upload => v.upload(s, offset, length, 0),
                Way::Download => v.download(s, offset, length, 0),
            }
            .map_err(libvirt::error)
        })?;
        Ok(Some(Direct {
            file,
            block: info.volume_type == VolumeType::Block,
            lease,
        }))
    }

    /// The volume's file or device as the daemon sees it, opened for `way`; `Err`
    /// says why not.
    fn local_file(&self, info: &VolumeInfo, way: Way) -> std::result::Result<File, String> {
        let block = match info.volume_type {
            VolumeType::File => false,
            VolumeType::Block => true,
            other => return Err(format!("a volume of type {other} is not a local file")),
        };
        let daemon = LocalDaemon::of(self.connection())
            .ok_or("its daemon is not on this machine, or its root cannot be read here")?;
        let path = self.path().map_err(|e| e.to_string())?;
        let here = daemon
            .path(&path)
            .ok_or_else(|| format!("its path {path:?} is not absolute"))?;
        let file = OpenOptions::new()
            .read(way == Way::Download)
            .write(way == Way::Upload)
            .open(&here)
            .map_err(|e| format!("cannot open {path}: {e}"))?;
        same_as_libvirts(&file, info, block).map_err(|why| format!("{path} {why}"))?;
        Ok(file)
    }
}

/// Check that `file` is the volume libvirt describes in `info`: a file with the
/// allocation libvirt just read from it, or a device of its capacity. A volume seen
/// through another mount than the daemon's fails here.
fn same_as_libvirts(
    file: &File,
    info: &VolumeInfo,
    block: bool,
) -> std::result::Result<(), String> {
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot be read: {e}"))?;
    if block {
        let size = device_size(file).map_err(|e| format!("cannot be read: {e}"))?;
        if !meta.file_type().is_block_device() || size != info.capacity.as_bytes() {
            return Err(format!(
                "here is not the device libvirt sees ({size} bytes, libvirt says {})",
                info.capacity.as_bytes()
            ));
        }
        return Ok(());
    }
    let allocation = meta.blocks() * 512;
    if !meta.is_file() || allocation != info.allocation.as_bytes() {
        return Err(format!(
            "here is not the file libvirt sees ({allocation} bytes allocated, libvirt says {})",
            info.allocation.as_bytes()
        ));
    }
    Ok(())
}

fn device_size(file: &File) -> io::Result<u64> {
    Ok(rustix::fs::seek(file, rustix::fs::SeekFrom::End(0))?)
}

/// What a direct upload writes: `file_bytes` of the source at `offset`; its holes
/// left alone (`skip_holes`: the volume reads zeros there) or zeroed; and the size
/// the volume ends with at least (`min_len`, for files).
pub(super) struct DirectUpload {
    pub(super) offset: u64,
    pub(super) file_bytes: u64,
    pub(super) sparse: bool,
    /// Holes count as holes in the report (as the stream sends them as holes).
    pub(super) holes: bool,
    pub(super) min_len: u64,
}

impl Direct {
    /// Copy `plan.file_bytes` of `src` into the volume, then flush it to the disk.
    pub(super) fn upload(
        &self,
        src: &File,
        plan: &DirectUpload,
        total: u64,
        ticker: &Ticker<'_>,
        done: &mut TransferReport,
    ) -> Result<()> {
        let mut at = 0;
        while at < plan.file_bytes {
            let (data, end) = if plan.sparse {
                next_data(src, at, plan.file_bytes)
                    .map_err(|e| Error::io("cannot find data in the file", e))?
                    .unwrap_or((plan.file_bytes, plan.file_bytes))
            } else {
                (at, plan.file_bytes)
            };
            if data > at {
                self.hole(plan, at, data - at, done)?;
                ticker.tick(done.total(), total)?;
                at = data;
            }
            while at < end {
                let len = (end - at).min(DIRECT_CHUNK);
                copy_range(src, at, &self.file, plan.offset + at, len)?;
                done.data_bytes += len;
                at += len;
                ticker.tick(done.total(), total)?;
            }
        }
        self.finish_upload(plan)
    }

    /// A hole of the source: left as it is where the volume reads zeros, else zeroed.
    fn hole(
        &self,
        plan: &DirectUpload,
        at: u64,
        len: u64,
        done: &mut TransferReport,
    ) -> Result<()> {
        if plan.holes {
            done.hole_bytes += len;
        } else {
            done.data_bytes += len;
        }
        if plan.holes && !self.block {
            return Ok(());
        }
        let at = plan.offset + at;
        let zeroed = if self.block {
            zero_device_range(&self.file, at, len)
        } else {
            write_zeros(&self.file, at, len)
        };
        zeroed.map_err(|e| Error::io("cannot write zeros into the volume", e))
    }

    /// Write `bytes` at `at` of the volume (an upload from a reader).
    pub(super) fn write_at(&self, bytes: &[u8], at: u64) -> Result<()> {
        self.file
            .write_all_at(bytes, at)
            .map_err(|e| Error::io("cannot write the volume", e))
    }

    /// Put what was written on the disk, and confirm that libvirt held the volume
    /// all along.
    pub(super) fn flush(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io("cannot write the volume", e))?;
        self.lease.confirm_held()
    }

    fn finish_upload(&self, plan: &DirectUpload) -> Result<()> {
        let write_error = |e| Error::io("cannot write the volume", e);
        if !self.block {
            let len = self.file.metadata().map_err(write_error)?.len();
            if len < plan.min_len {
                self.file.set_len(plan.min_len).map_err(write_error)?;
            }
        }
        self.flush()
    }

    /// Copy `total` bytes of the volume from `offset` into `sink`, holes as holes when
    /// `sparse` (a device has none).
    pub(super) fn download(
        &self,
        offset: u64,
        total: u64,
        sparse: bool,
        sink: &mut (dyn Sink + Send),
        ticker: &Ticker<'_>,
        done: &mut TransferReport,
    ) -> Result<()> {
        // A file volume ends where its file ends (a qcow2 file is shorter than its
        // capacity); libvirt's stream ends there too.
        let mut end = offset + total;
        if !self.block {
            let len = self
                .file
                .metadata()
                .map_err(|e| Error::io("cannot read the volume", e))?
                .len();
            end = end.min(len).max(offset);
        }
        let mut at = offset;
        while at < end {
            let (data, data_end) = if sparse && !self.block {
                next_data(&self.file, at, end)
                    .map_err(|e| Error::io("cannot find data in the volume", e))?
                    .unwrap_or((end, end))
            } else {
                (at, end)
            };
            if data > at {
                sink.hole(at - offset, data - at)?;
                done.hole_bytes += data - at;
                ticker.tick(done.total(), total)?;
                at = data;
            }
            while at < data_end {
                let len = (data_end - at).min(DIRECT_CHUNK);
                sink.copy_from(&self.file, at, at - offset, len)?;
                done.data_bytes += len;
                at += len;
                ticker.tick(done.total(), total)?;
            }
        }
        self.lease.confirm_held()?;
        sink.finish(done.total())
    }
}

/// Copy `len` bytes of `src` at `src_at` to `dst` at `dst_at`: in the kernel
/// (`copy_file_range`, a reflink where the file system can), else through a buffer.
pub(super) fn copy_range(src: &File, src_at: u64, dst: &File, dst_at: u64, len: u64) -> Result<()> {
    let (mut from, mut to, end) = (src_at, dst_at, src_at + len);
    while from < end {
        let want = usize::try_from(end - from).unwrap_or(usize::MAX);
        match rustix::fs::copy_file_range(src, Some(&mut from), dst, Some(&mut to), want) {
            Ok(0) => return Err(shorter()),
            Ok(_) => {}
            // Not between these two (another file system, a device, an old kernel).
            Err(_) if from == src_at => return copy_buffered(src, src_at, dst, dst_at, len),
            Err(e) => return Err(Error::io("cannot copy into the volume", e.into())),
        }
    }
    Ok(())
}

fn copy_buffered(src: &File, src_at: u64, dst: &File, dst_at: u64, len: u64) -> Result<()> {
    let mut buf = vec![0u8; len.min(DIRECT_CHUNK) as usize];
    let mut off = 0;
    while off < len {
        let want = (len - off).min(buf.len() as u64) as usize;
        let n = src
            .read_at(&mut buf[..want], src_at + off)
            .map_err(|e| Error::io("cannot read for the copy", e))?;
        if n == 0 {
            return Err(shorter());
        }
        dst.write_all_at(&buf[..n], dst_at + off)
            .map_err(|e| Error::io("cannot write the copy", e))?;
        off += n as u64;
    }
    Ok(())
}

fn shorter() -> Error {
    Error::new(ErrorKind::Io, "the file became shorter during the transfer")
}

/// Zero `len` bytes of a device at `at` the device's own way (`BLKZEROOUT`, which
/// the kernel carries out by writing zeros where the device has nothing faster).
fn zero_device_range(device: &File, at: u64, len: u64) -> io::Result<()> {
    let flags = FallocateFlags::ZERO_RANGE | FallocateFlags::KEEP_SIZE;
    match rustix::fs::fallocate(device, flags, at, len) {
        Ok(()) => Ok(()),
        Err(_) => write_zeros(device, at, len),
    }
}

/// Write zeros, as the stream does: in a file, unlike `FALLOC_FL_ZERO_RANGE`, this
/// leaves the extents (and so the allocation) just as a stream leaves them.
fn write_zeros(file: &File, at: u64, len: u64) -> io::Result<()> {
    let zeros = vec![0u8; len.min(DIRECT_CHUNK) as usize];
    let mut off = 0;
    while off < len {
        let n = (len - off).min(zeros.len() as u64) as usize;
        file.write_all_at(&zeros[..n], at + off)?;
        off += n as u64;
    }
    Ok(())
}
