//! `vol-upload`: a file or reader into a volume, checked before (room, copy-on-write
//! space) and after (the bytes were kept); `Pool::create_volume_from_file`, which
//! removes its volume again on failure.

use std::fs::File;
use std::io::{ErrorKind as IoKind, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::direct::{Direct, DirectUpload, Way};
use super::options::{Ticker, TransferMethod, TransferOptions, TransferReport, CHUNK_BYTES};
use super::shim::{upload_flags, VolStream};
use crate::error::{Error, ErrorKind, Result};
use crate::libvirt;
use crate::options::VolumeInfo;
use crate::pipe::{self, Chunk};
use crate::pool::Pool;
use crate::spec::{PoolType, VolumeSpec, VolumeType};
use crate::units::Size;
use crate::volume::Volume;

/// The next data and hole boundaries of `file` from `at`, or `None` when the rest up
/// to `end` is a hole.
pub(crate) fn next_data(file: &File, at: u64, end: u64) -> std::io::Result<Option<(u64, u64)>> {
    let data = match rustix::fs::seek(file, rustix::fs::SeekFrom::Data(at)) {
        Ok(d) => d,
        Err(rustix::io::Errno::NXIO) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if data >= end {
        return Ok(None);
    }
    let hole = rustix::fs::seek(file, rustix::fs::SeekFrom::Hole(data))?;
    Ok(Some((data, hole.min(end))))
}

impl Volume {
    /// `vol-upload`: write the file's bytes into the volume at `options.offset`.
    ///
    /// Refused before any byte is sent when it would go past the volume's capacity.
    /// On failure or cancellation the volume may hold part of the file; the error says
    /// how much was written. To get all-or-nothing, create the volume with
    /// [`Pool::create_volume_from_file`], which removes it again.
    ///
    /// With `options.sparse`, the file's holes travel as stream holes only where the
    /// volume is known to read as zeros (it has no allocation, or is a block device,
    /// where libvirt writes holes as zeros): libvirt applies a hole to a file volume by
    /// seeking past it, keeping the old bytes, and truncating the volume at its end.
    /// Elsewhere holes are sent as zeros (a preallocated volume stays allocated), so
    /// the volume always ends up holding the file's bytes and keeps its size.
    pub fn upload_file(
        &self,
        path: impl AsRef<Path>,
        options: &TransferOptions,
    ) -> Result<TransferReport> {
        let path = path.as_ref();
        let result = self.upload_file_to(path, options, false);
        super::logged(self, "uploaded from", &path.display(), result)
    }

    /// `upload_file`; `fresh` when the volume was just created (all zeros).
    fn upload_file_to(
        &self,
        path: &Path,
        options: &TransferOptions,
        fresh: bool,
    ) -> Result<TransferReport> {
        let file = File::open(path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
        let file_len = file
            .metadata()
            .map_err(|e| Error::io(format!("cannot stat {}", path.display()), e))?
            .len();
        let total = options.length.map_or(file_len, |l| l.min(file_len));
        let info = self.check_room(options.offset, total)?;
        let capacity = info.capacity.as_bytes();
        let block = info.volume_type == VolumeType::Block;
        let holes = options.sparse && (fresh || block || info.allocation == Size::ZERO);
        // A hole truncates a file volume at its end: close the stream with one that
        // reaches the capacity, so the volume keeps its size.
        let tail = if holes && !block {
            capacity - options.offset - total
        } else {
            0
        };
        if let Some(direct) = self.open_direct(options, &info, Way::Upload, total + tail)? {
            let plan = DirectUpload {
                offset: options.offset,
                file_bytes: total,
                sparse: options.sparse,
                holes,
                min_len: options.offset + total + tail,
            };
            return self.send_direct(direct, total + tail, options, |d, ticker, done| {
                d.upload(&file, &plan, total + tail, ticker, done)?;
                done.hole_bytes += tail;
                Ok(())
            });
        }
        let plan = SendPlan {
            file_bytes: total,
            tail_hole: tail,
            holes,
        };
        self.send(total + tail, holes, options, |stream, ticker, done| {
            upload_from_file(&file, stream, &plan, ticker, done)
        })
    }

    /// `vol-upload` from any reader: `length` bytes, no holes.
    pub fn upload_reader(
        &self,
        reader: impl Read,
        length: u64,
        options: &TransferOptions,
    ) -> Result<TransferReport> {
        let result = self.upload_from_reader(reader, length, options);
        super::logged(self, "uploaded from", &"a reader", result)
    }

    fn upload_from_reader(
        &self,
        mut reader: impl Read,
        length: u64,
        options: &TransferOptions,
    ) -> Result<TransferReport> {
        let info = self.check_room(options.offset, length)?;
        let plain = TransferOptions {
            sparse: false,
            ..options.clone()
        };
        if let Some(direct) = self.open_direct(&plain, &info, Way::Upload, length)? {
            let offset = options.offset;
            return self.send_direct(direct, length, &plain, |d, ticker, done| {
                copy_reader(&mut reader, length, ticker, done, |bytes, at| {
                    d.write_at(bytes, offset + at)
                })?;
                d.flush()
            });
        }
        self.send(length, false, &plain, |stream, ticker, done| {
            copy_reader(&mut reader, length, ticker, done, |bytes, _| {
                stream.send_all(bytes)
            })
        })
    }

    /// Refuse, before a byte is sent, an upload the volume cannot keep: one past its
    /// capacity, or one larger than the copy-on-write space of a sparse LV (which
    /// would turn invalid and lose everything written to it).
    fn check_room(&self, offset: u64, length: u64) -> Result<VolumeInfo> {
        let info = self.info()?;
        let capacity = info.capacity.as_bytes();
        let end = offset.checked_add(length);
        if end.is_none_or(|end| end > capacity) {
            return Err(Error::invalid(
                "length",
                format!(
                    "{length} bytes at offset {offset} do not fit in volume {:?} of {} ({capacity} bytes)",
                    self.name(),
                    Size::bytes(capacity)
                ),
            ));
        }
        // Every byte sent to a block volume is written (holes as zeros) and takes
        // copy-on-write space in a snapshot.
        if let Some(cow) = self.sparse_lv_space(&info)? {
            if length > cow.as_bytes() {
                return Err(Error::invalid(
                    "length",
                    format!(
                        "{} do not fit in the {cow} of copy-on-write space of sparse LV {:?}: \
                         it would turn invalid and lose them (make the volume a plain LV, or \
                         give it more copy-on-write space)",
                        Size::bytes(length),
                        self.name()
                    ),
                ));
            }
        }
        Ok(info)
    }

    /// The copy-on-write space of a sparse LV (a snapshot over a zero device, which
    /// libvirt reports with its copy-on-write space as the allocation), or `None` for
    /// any other volume.
    fn sparse_lv_space(&self, info: &VolumeInfo) -> Result<Option<Size>> {
        if info.volume_type != VolumeType::Block || info.allocation >= info.capacity {
            return Ok(None);
        }
        let logical = self.pool()?.pool_type()? == PoolType::Logical;
        Ok(logical.then_some(info.allocation))
    }

    /// After an upload: libvirt reports success once its daemon has written the stream,
    /// but a sparse LV whose copy-on-write space overflowed has turned invalid by then,
    /// and libvirt hides it. Look again, so that success means the bytes were kept.
    fn check_kept(&self, end: u64, sent: u64) -> Result<()> {
        let pool = self.pool()?;
        if pool.pool_type()? == PoolType::Logical {
            pool.refresh()?;
            if pool.find_volume(self.name())?.is_none() {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!(
                        "volume {:?} is gone after the upload: libvirt no longer lists it (it \
                         hides an LV that turned invalid, as a sparse LV does when its \
                         copy-on-write space overflows); the {sent} bytes sent were not kept",
                        self.name()
                    ),
                ));
            }
        }
        let capacity = self.info()?.capacity.as_bytes();
        if capacity < end {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "volume {:?} holds {capacity} bytes after {end} were written to it",
                    self.name()
                ),
            ));
        }
        Ok(())
    }

    /// Open an upload stream, run `body`, finish the stream.
    fn send(
        &self,
        total: u64,
        holes: bool,
        options: &TransferOptions,
        body: impl FnOnce(&VolStream, &Ticker<'_>, &mut TransferReport) -> Result<()>,
    ) -> Result<TransferReport> {
        let ticker = Ticker::new(options);
        ticker.tick(0, total)?;
        let flags = upload_flags(holes);
        let mut stream = VolStream::open(self, "virStorageVolUpload", |v, s| {
            v.upload(s, options.offset, total, flags)
                .map_err(libvirt::error)
        })?;
        let mut done = TransferReport::new(TransferMethod::Stream);
        let outcome = body(&stream, &ticker, &mut done)
            .and_then(|()| stream.finish())
            .and_then(|()| self.check_kept(options.offset + total, done.total()));
        outcome
            .map(|()| done)
            .map_err(|e| self.partly_written(self.stream_error(e, &stream), &done, total))
    }

    /// Run `body` on a volume opened for a direct upload, close it (libvirt refreshes
    /// its view) and check that the bytes were kept.
    fn send_direct(
        &self,
        direct: Direct,
        total: u64,
        options: &TransferOptions,
        body: impl FnOnce(&Direct, &Ticker<'_>, &mut TransferReport) -> Result<()>,
    ) -> Result<TransferReport> {
        let ticker = Ticker::new(options);
        let mut done = TransferReport::new(TransferMethod::Direct);
        let outcome = ticker
            .tick(0, total)
            .and_then(|()| body(&direct, &ticker, &mut done));
        drop(direct);
        outcome
            .and_then(|()| self.check_kept(options.offset + total, done.total()))
            .map(|()| done)
            .map_err(|e| self.partly_written(e, &done, total))
    }

    /// `e` ended an upload after `done`: say how much of the volume may be written.
    fn partly_written(&self, e: Error, done: &TransferReport, total: u64) -> Error {
        if done.total() == 0 {
            return e;
        }
        e.context(format!(
            "volume {:?} may be partly written: {} of {total} bytes were sent",
            self.name(),
            done.total()
        ))
    }

    /// A stream error after the daemon went away is a connection error.
    pub(crate) fn stream_error(&self, e: Error, stream: &VolStream) -> Error {
        if matches!(
            e.kind(),
            ErrorKind::Cancelled | ErrorKind::Io | ErrorKind::InvalidSpec
        ) {
            return e;
        }
        let lost = stream.own_link_dead();
        if self.connection().forget_if_dead() || lost {
            return e.link_lost();
        }
        e
    }
}

impl Pool {
    /// Create a volume sized for a local file and upload the file into it; when
    /// anything fails or the transfer is cancelled, the new volume is deleted.
    /// A capacity of 0 in the spec means "the file's size".
    ///
    /// A sparse file of 1 MiB of data in 64 MiB, with progress, and back again
    /// (compiled, not run: libvirt's test driver has no volume streams; the same steps
    /// run against a daemon in `tests/transfers.rs`):
    ///
    /// ```no_run
    /// use kvmpool_core::*;
    /// let dir = tempfile::tempdir().unwrap();
    /// let (file, copy) = (dir.path().join("disk.raw"), dir.path().join("copy.raw"));
    /// let f = std::fs::File::create(&file).unwrap();
    /// f.set_len(64 << 20).unwrap();
    /// std::os::unix::fs::FileExt::write_all_at(&f, &[7; 1 << 20], 8 << 20).unwrap();
    ///
    /// let pool = Connection::open("qemu:///system")?.pool("default")?;
    /// let options = TransferOptions::default()
    ///     .sparse(true)
    ///     .progress(|done, total| {
    ///         eprintln!("{done} of {total} bytes");
    ///         true // false cancels
    ///     });
    /// let spec = VolumeSpec::new("disk.raw", Size::ZERO);
    /// let (vol, sent) = pool.create_volume_from_file(&spec, &file, &options)?;
    /// assert_eq!(vol.info()?.capacity, Size::mib(64));
    /// assert_eq!(sent.data_bytes, 1 << 20); // the holes travelled as holes
    /// vol.download_file(&copy, &TransferOptions::default().sparse(true))?;
    /// assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&file).unwrap());
    /// # Ok::<(), kvmpool_core::Error>(())
    /// ```
    pub fn create_volume_from_file(
        &self,
        spec: &VolumeSpec,
        path: impl AsRef<Path>,
        options: &TransferOptions,
    ) -> Result<(Volume, TransferReport)> {
        let path = path.as_ref();
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io(format!("cannot stat {}", path.display()), e))?
            .len();
        let mut spec = spec.clone();
        if spec.capacity == Size::ZERO {
            spec.capacity = Size::try_bytes(len)?;
        }
        let vol = self.create_volume(&spec)?;
        let result = vol.upload_file_to(path, options, true);
        match super::logged(&vol, "uploaded from", &path.display(), result) {
            Ok(report) => Ok((vol, report)),
            Err(e) => Err(self.discard(&vol, e)),
        }
    }

    /// After `e` ended the filling of a volume this call created: delete the volume
    /// and say so in the error. When the daemon is gone, the removal is queued for the
    /// reconnect; when it fails, the error says that too.
    pub(crate) fn discard(&self, vol: &Volume, e: Error) -> Error {
        let name = vol.name();
        match vol.delete(crate::DeleteMode::Normal) {
            Ok(()) => e.context(format!("volume {name:?} was removed again")),
            Err(d) if d.kind() == ErrorKind::Connect => {
                self.connection().remove_later(self.uuid(), name);
                e.context(format!(
                    "volume {name:?} will be removed when the connection is back"
                ))
            }
            Err(d) => e.context(format!("volume {name:?} could not be removed: {d}")),
        }
    }
}

/// What an upload sends: the file's bytes, then (for a sparse stream into a file
/// volume) a hole up to the volume's end; holes as holes or as zeros.
struct SendPlan {
    file_bytes: u64,
    tail_hole: u64,
    holes: bool,
}

/// Read the file on a second thread while this one sends to libvirt.
fn upload_from_file(
    file: &File,
    stream: &VolStream,
    plan: &SendPlan,
    ticker: &Ticker<'_>,
    done: &mut TransferReport,
) -> Result<()> {
    let (feed, drain) = pipe::queue(CHUNK_BYTES);
    let total = plan.file_bytes + plan.tail_hole;
    let sparse = ticker.options.sparse;
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_chunks(file, plan.file_bytes, sparse, &feed));
        let sent = send_chunks(stream, &drain, total, plan.holes, ticker, done);
        // A reader blocked on a full queue sees it close and stops.
        drop(drain);
        sent.and(join(reader))
    })?;
    if plan.tail_hole > 0 {
        stream.send_hole(plan.tail_hole)?;
        done.hole_bytes += plan.tail_hole;
    }
    Ok(())
}

/// The file's data (and, when sparse, its holes) in order, as chunks.
fn read_chunks(file: &File, total: u64, sparse: bool, feed: &pipe::Feed) -> Result<()> {
    let mut at = 0u64;
    while at < total {
        let (data_start, data_end) = if sparse {
            next_data(file, at, total)
                .map_err(|e| Error::io("cannot find data in the file", e))?
                .unwrap_or((total, total))
        } else {
            (at, total)
        };
        if data_start > at {
            if !feed.send(Chunk::Hole {
                at,
                len: data_start - at,
            }) {
                return Ok(());
            }
            at = data_start;
        }
        while at < data_end {
            let mut buf = feed.buffer();
            let want = (data_end - at).min(buf.len() as u64) as usize;
            let n = file
                .read_at(&mut buf[..want], at)
                .map_err(|e| Error::io("cannot read the file", e))?;
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::Io,
                    "the file became shorter during the upload",
                ));
            }
            if !feed.send(Chunk::Data { at, buf, len: n }) {
                return Ok(());
            }
            at += n as u64;
        }
    }
    Ok(())
}

fn send_chunks(
    stream: &VolStream,
    drain: &pipe::Drain,
    total: u64,
    holes: bool,
    ticker: &Ticker<'_>,
    done: &mut TransferReport,
) -> Result<()> {
    while let Some(chunk) = drain.next() {
        match chunk {
            Chunk::Hole { len, .. } if holes => {
                stream.send_hole(len)?;
                done.hole_bytes += len;
            }
            Chunk::Hole { len, .. } => send_zeros(stream, len, total, ticker, done)?,
            Chunk::Data { buf, len, .. } => {
                stream.send_all(&buf[..len])?;
                done.data_bytes += len as u64;
                drain.recycle(buf);
            }
        }
        ticker.tick(done.total(), total)?;
    }
    Ok(())
}

/// A hole sent as zeros, where a stream hole would not read back as zeros.
pub(crate) fn send_zeros(
    stream: &VolStream,
    len: u64,
    total: u64,
    ticker: &Ticker<'_>,
    done: &mut TransferReport,
) -> Result<()> {
    static ZEROS: [u8; CHUNK_BYTES] = [0; CHUNK_BYTES];
    let mut left = len;
    while left > 0 {
        let n = left.min(CHUNK_BYTES as u64) as usize;
        stream.send_all(&ZEROS[..n])?;
        done.data_bytes += n as u64;
        left -= n as u64;
        ticker.tick(done.total(), total)?;
    }
    Ok(())
}

/// The result of a scoped worker; a panic there is reported, not propagated.
pub(super) fn join(worker: std::thread::ScopedJoinHandle<'_, Result<()>>) -> Result<()> {
    worker.join().unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::Io,
            "a transfer worker thread panicked",
        ))
    })
}

/// `length` bytes of `reader`, each chunk given to `put` with its offset.
fn copy_reader(
    reader: &mut impl Read,
    length: u64,
    ticker: &Ticker<'_>,
    done: &mut TransferReport,
    mut put: impl FnMut(&[u8], u64) -> Result<()>,
) -> Result<()> {
    let mut buf = vec![0u8; CHUNK_BYTES];
    while done.data_bytes < length {
        let want = (length - done.data_bytes).min(buf.len() as u64) as usize;
        let n = read_some(reader, &mut buf[..want])?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "the reader ended after {} of {length} bytes",
                    done.data_bytes
                ),
            ));
        }
        put(&buf[..n], done.data_bytes)?;
        done.data_bytes += n as u64;
        ticker.tick(done.total(), length)?;
    }
    Ok(())
}

fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    loop {
        match reader.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == IoKind::Interrupted => continue,
            Err(e) => return Err(Error::io("cannot read the input", e)),
        }
    }
}
