//! Uploads and downloads (`vol-upload`, `vol-download`): streaming with large buffers,
//! sparse transfers (holes stay holes, found with `SEEK_DATA`/`SEEK_HOLE` and sent as
//! libvirt stream holes), progress reports and cancellation.

use std::cell::Cell;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind as IoKind, Read, Write};
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use virt::sys;

use crate::error::{Error, ErrorKind, Result};
use crate::libvirt;
use crate::options::VolumeInfo;
use crate::owned::{Conn, StreamObj, VolObj};
use crate::pipe::{self, Chunk};
use crate::pool::Pool;
use crate::spec::{PoolType, VolumeSpec, VolumeType};
use crate::units::Size;
use crate::volume::Volume;

/// Bytes per stream message. libvirt's RPC carries at most 256 KiB of payload per
/// message (`VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX`); filling each message keeps the
/// number of round trips low.
pub const CHUNK_BYTES: usize = 256 * 1024 - 24;

/// A progress callback: `(done, total)` in bytes; return `false` to cancel. Called on
/// the thread that called the transfer, during the call only (see
/// [`TransferOptions::progress`]).
pub type ProgressFn = Arc<dyn Fn(u64, u64) -> bool + Send + Sync>;

/// An interruption check: return `true` to cancel the transfer. Called on the thread
/// that called the transfer (see [`TransferOptions::interrupt`]).
pub type InterruptFn = Arc<dyn Fn() -> bool + Send + Sync>;

/// How often a transfer asks its [`TransferOptions::interrupt`] check, at most: the
/// first chunk that ends this long after the last check asks again.
pub const INTERRUPT_EVERY: Duration = Duration::from_millis(100);

/// Cancels a transfer from another thread.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Ask the transfer to stop at the next chunk.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Options of an upload or download.
#[derive(Clone, Default)]
pub struct TransferOptions {
    /// Keep holes: skip zero regions of sparse files (needs libvirt ≥ 3.4).
    pub sparse: bool,
    /// Byte offset in the volume where the transfer starts.
    pub offset: u64,
    /// Bytes to transfer; `None` for the rest of the file (upload) or volume (download).
    pub length: Option<u64>,
    /// Called after every chunk with bytes done and total; see
    /// [`TransferOptions::progress`] for the thread it runs on.
    pub progress: Option<ProgressFn>,
    /// Cancels the transfer when set.
    pub cancel: Option<CancelToken>,
    /// Asked whether to stop; see [`TransferOptions::interrupt`].
    pub interrupt: Option<InterruptFn>,
}

impl fmt::Debug for TransferOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferOptions")
            .field("sparse", &self.sparse)
            .field("offset", &self.offset)
            .field("length", &self.length)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("interrupt", &self.interrupt.is_some())
            .finish()
    }
}

impl TransferOptions {
    /// Keep holes (`--sparse`).
    pub fn sparse(mut self, on: bool) -> Self {
        self.sparse = on;
        self
    }

    /// Start at this byte of the volume (`--offset`).
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Transfer this many bytes (`--length`).
    pub fn length(mut self, length: u64) -> Self {
        self.length = Some(length);
        self
    }

    /// Report progress; the callback returns `false` to cancel.
    ///
    /// Contract: the callback is called on the thread that called the transfer
    /// (`upload_file`, `upload_reader`, `download_file`, `download_writer`,
    /// `Pool::create_volume_from_file`), and only while that call runs; never on a
    /// worker thread of the transfer. Front ends rely on this: the C API passes a C
    /// callback and its `void *userdata` (not thread-safe in general) through it, and
    /// Python calls back into the interpreter from it.
    pub fn progress(mut self, f: impl Fn(u64, u64) -> bool + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Cancel through this token.
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Ask `check` whether to stop, on the thread that called the transfer: once
    /// before the first byte moves and then between chunks, at most every
    /// [`INTERRUPT_EVERY`] (so a check may take a lock or a GIL); as long as data
    /// moves, that is at least every [`INTERRUPT_EVERY`] plus one chunk's time. When it
    /// returns `true` the transfer stops as a cancelled one does: the stream is
    /// aborted, `Pool::create_volume_from_file` removes its volume, a download leaves
    /// the destination as it was, and the call returns [`ErrorKind::Cancelled`].
    ///
    /// For checks that are not progress: Python's wrapper checks for signals here, so
    /// that Ctrl-C stops a transfer that has no progress callback.
    pub fn interrupt(mut self, check: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.interrupt = Some(Arc::new(check));
        self
    }
}

/// One transfer's calls of its options' callbacks, all on the calling thread: progress
/// and the cancel token after every chunk, the interrupt check when it is due.
pub(crate) struct Ticker<'o> {
    options: &'o TransferOptions,
    last_interrupt_check: Cell<Option<Instant>>,
}

impl<'o> Ticker<'o> {
    pub(crate) fn new(options: &'o TransferOptions) -> Self {
        Ticker {
            options,
            last_interrupt_check: Cell::new(None),
        }
    }

    /// Report progress; `Err` (cancelled) when the caller asked to stop.
    pub(crate) fn tick(&self, done: u64, total: u64) -> Result<()> {
        let keep_going = self
            .options
            .progress
            .as_ref()
            .is_none_or(|p| p(done, total));
        let cancelled = self
            .options
            .cancel
            .as_ref()
            .is_some_and(CancelToken::is_cancelled);
        if !keep_going || cancelled {
            return Err(Error::new(
                ErrorKind::Cancelled,
                format!("transfer cancelled after {done} of {total} bytes"),
            ));
        }
        if self.interrupted() {
            return Err(Error::new(
                ErrorKind::Cancelled,
                format!("transfer interrupted after {done} of {total} bytes"),
            ));
        }
        Ok(())
    }

    /// The interrupt check's answer when one is due, else `false`.
    fn interrupted(&self) -> bool {
        let Some(check) = &self.options.interrupt else {
            return false;
        };
        let now = Instant::now();
        if self
            .last_interrupt_check
            .get()
            .is_some_and(|last| now.duration_since(last) < INTERRUPT_EVERY)
        {
            return false;
        }
        self.last_interrupt_check.set(Some(now));
        check()
    }
}

/// What a transfer moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransferReport {
    /// Bytes of data sent or received.
    pub data_bytes: u64,
    /// Bytes skipped as holes (sparse transfers).
    pub hole_bytes: u64,
}

impl TransferReport {
    /// Data and holes together: the length of the range transferred.
    pub fn total(&self) -> u64 {
        self.data_bytes + self.hole_bytes
    }
}

/// A libvirt stream with the sparse calls the `virt` crate does not wrap. Aborts on
/// drop unless finished, so an error part-way never leaves the daemon waiting.
/// A stream and, for daemons, the connection it runs on. libvirt's client shares a
/// connection's socket between a stream and other threads' calls, and under load both
/// sides can end up waiting forever (libvirt 9.0: the daemon idle, nothing queued in
/// the socket, one thread in virStreamSend, one waiting for a reply). A transfer
/// therefore gets a connection of its own, used by no other thread. The stream is
/// declared first so that it is finished or aborted before its connection closes.
pub(crate) struct VolStream {
    stream: Option<StreamObj>,
    link: Option<Conn>,
}

enum Received {
    Data(usize),
    Hole(u64),
    End,
}

impl VolStream {
    /// A stream on `vol`, started with `start` (virStorageVolUpload or Download).
    pub(crate) fn open(
        vol: &Volume,
        start: impl FnOnce(&VolObj, &StreamObj) -> Result<()>,
    ) -> Result<VolStream> {
        if !vol.connection().is_in_process() {
            let link = vol.connection().open_link()?;
            let on_link = link
                .lookup_storage_vol_by_key(vol.key())
                .map_err(libvirt::error)
                .and_then(|v| {
                    let stream = link.new_stream(0).map_err(libvirt::error)?;
                    start(&v, &stream).map(|()| stream)
                });
            return match on_link {
                Ok(stream) => Ok(VolStream {
                    stream: Some(stream),
                    link: Some(link),
                }),
                Err(e) if !link.is_alive().unwrap_or(false) => Err(e.link_lost()),
                Err(e) => Err(e),
            };
        }
        // The test driver runs in this process: no socket to share, and a second
        // connection to a test:// file would be a second, separate host.
        let stream = vol
            .connection()
            .run(|c, _| c.new_stream(0).map_err(libvirt::error))?;
        vol.with(|v| start(v, &stream))?;
        Ok(VolStream {
            stream: Some(stream),
            link: None,
        })
    }

    /// True when the transfer's own connection is gone.
    pub(crate) fn own_link_dead(&self) -> bool {
        self.link
            .as_ref()
            .is_some_and(|l| !l.is_alive().unwrap_or(false))
    }

    fn raw(&self) -> &StreamObj {
        self.stream.as_ref().expect("stream used after finish")
    }

    pub(crate) fn send_all(&self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let sent = self.raw().send(data).map_err(libvirt::error)?;
            if sent <= 0 {
                return Err(Error::new(
                    ErrorKind::Libvirt,
                    "libvirt stream accepted no data",
                ));
            }
            data = &data[sent as usize..];
        }
        Ok(())
    }

    pub(crate) fn send_hole(&self, length: u64) -> Result<()> {
        let length = i64::try_from(length)
            .map_err(|_| Error::invalid("length", "hole longer than 2^63 bytes"))?;
        // SAFETY: the stream pointer is valid while `self.stream` holds the Stream;
        // virStreamSendHole only reads its arguments.
        let rc = unsafe { sys::virStreamSendHole(self.raw().as_ptr(), length, 0) };
        if rc < 0 {
            return Err(libvirt::error(virt::error::Error::last_error()));
        }
        Ok(())
    }

    fn recv(&self, buf: &mut [u8], sparse: bool) -> Result<Received> {
        if !sparse {
            let n = self.raw().recv(buf).map_err(libvirt::error)?;
            return Ok(if n == 0 {
                Received::End
            } else {
                Received::Data(n as usize)
            });
        }
        // SAFETY: `buf` is a valid writable buffer of `buf.len()` bytes for the duration
        // of the call, and the stream pointer is valid while `self.stream` holds it.
        let n = unsafe {
            sys::virStreamRecvFlags(
                self.raw().as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                sys::VIR_STREAM_RECV_STOP_AT_HOLE,
            )
        };
        match n {
            0 => Ok(Received::End),
            n if n > 0 => Ok(Received::Data(n as usize)),
            -3 => {
                let mut length: std::os::raw::c_longlong = 0;
                // SAFETY: `length` is a valid out-pointer for the duration of the call.
                let rc = unsafe { sys::virStreamRecvHole(self.raw().as_ptr(), &mut length, 0) };
                if rc < 0 {
                    return Err(libvirt::error(virt::error::Error::last_error()));
                }
                Ok(Received::Hole(length.max(0) as u64))
            }
            _ => Err(libvirt::error(virt::error::Error::last_error())),
        }
    }

    pub(crate) fn finish(&mut self) -> Result<()> {
        let stream = self.stream.take().expect("finish called once");
        stream.finish()
    }
}

impl Drop for VolStream {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            // An abort error means the stream is already gone; nothing to clean up.
            let _ = stream.abort();
        }
    }
}

pub(crate) fn upload_flags(sparse: bool) -> u32 {
    if sparse {
        sys::VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM
    } else {
        0
    }
}

fn download_flags(sparse: bool) -> u32 {
    if sparse {
        sys::VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM
    } else {
        0
    }
}

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
        self.upload_file_to(path.as_ref(), options, false)
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
        mut reader: impl Read,
        length: u64,
        options: &TransferOptions,
    ) -> Result<TransferReport> {
        self.check_room(options.offset, length)?;
        let plain = TransferOptions {
            sparse: false,
            ..options.clone()
        };
        self.send(length, false, &plain, |stream, ticker, done| {
            let mut buf = vec![0u8; CHUNK_BYTES];
            while done.data_bytes < length {
                let want = (length - done.data_bytes).min(buf.len() as u64) as usize;
                let n = read_some(&mut reader, &mut buf[..want])?;
                if n == 0 {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!(
                            "the reader ended after {} of {length} bytes",
                            done.data_bytes
                        ),
                    ));
                }
                stream.send_all(&buf[..n])?;
                done.data_bytes += n as u64;
                ticker.tick(done.total(), length)?;
            }
            Ok(())
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
        let mut stream = VolStream::open(self, |v, s| {
            v.upload(s, options.offset, total, flags)
                .map_err(libvirt::error)
        })?;
        let mut done = TransferReport::default();
        let outcome = body(&stream, &ticker, &mut done)
            .and_then(|()| stream.finish())
            .and_then(|()| self.check_kept(options.offset + total, done.total()));
        outcome.map(|()| done).map_err(|e| {
            let e = self.stream_error(e, &stream);
            if done.total() == 0 {
                return e;
            }
            e.context(format!(
                "volume {:?} may be partly written: {} of {total} bytes were sent",
                self.name(),
                done.total()
            ))
        })
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

    /// `vol-download`: write the volume (from `options.offset`, `options.length`
    /// bytes) to a file. The file is written next to `path` and renamed into place
    /// only when complete, so a failed or cancelled download leaves `path` as it was.
    pub fn download_file(
        &self,
        path: impl AsRef<Path>,
        options: &TransferOptions,
    ) -> Result<TransferReport> {
        let path = path.as_ref();
        if is_block_device(path) {
            let mut file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
            return self.receive(options, &mut FileSink::new(&mut file, false));
        }
        let mut temp = TempFile::create(path)?;
        let report = self.receive(options, &mut FileSink::new(&mut temp.file, options.sparse))?;
        temp.commit(path)?;
        Ok(report)
    }

    /// `vol-download` into any writer. Holes are written as zeros.
    pub fn download_writer(
        &self,
        writer: impl Write + Send,
        options: &TransferOptions,
    ) -> Result<TransferReport> {
        self.receive(options, &mut WriterSink(writer))
    }

    pub(crate) fn receive(
        &self,
        options: &TransferOptions,
        sink: &mut (dyn Sink + Send),
    ) -> Result<TransferReport> {
        let capacity = self.info()?.capacity.as_bytes();
        let available = capacity.saturating_sub(options.offset);
        let total = options.length.map_or(available, |l| l.min(available));
        let ticker = Ticker::new(options);
        ticker.tick(0, total)?;
        let flags = download_flags(options.sparse);
        let mut stream = VolStream::open(self, |v, s| {
            v.download(s, options.offset, total, flags)
                .map_err(libvirt::error)
        })?;
        let mut done = TransferReport::default();
        let outcome = (|| {
            let (feed, drain) = pipe::queue(CHUNK_BYTES);
            std::thread::scope(|scope| {
                let sink = &mut *sink;
                let writer = scope.spawn(move || write_chunks(&drain, sink));
                let received = receive_chunks(&stream, &feed, &ticker, total, &mut done);
                drop(feed);
                received.and(join(writer))
            })?;
            sink.finish(done.total())?;
            stream.finish()
        })();
        outcome
            .map_err(|e| self.stream_error(e, &stream))
            .map(|()| done)
    }
}

impl Pool {
    /// Create a volume sized for a local file and upload the file into it; when
    /// anything fails or the transfer is cancelled, the new volume is deleted.
    /// A capacity of 0 in the spec means "the file's size".
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
        match vol.upload_file_to(path, options, true) {
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

fn receive_chunks(
    stream: &VolStream,
    feed: &pipe::Feed,
    ticker: &Ticker<'_>,
    total: u64,
    done: &mut TransferReport,
) -> Result<()> {
    loop {
        let mut buf = feed.buffer();
        let at = done.total();
        let chunk = match stream.recv(&mut buf, ticker.options.sparse)? {
            Received::End => return Ok(()),
            Received::Data(n) => {
                done.data_bytes += n as u64;
                Chunk::Data { at, buf, len: n }
            }
            Received::Hole(len) => {
                done.hole_bytes += len;
                Chunk::Hole { at, len }
            }
        };
        if !feed.send(chunk) {
            // The writer stopped: its error is reported by the caller.
            return Ok(());
        }
        ticker.tick(done.total(), total)?;
    }
}

fn write_chunks(drain: &pipe::Drain, sink: &mut (dyn Sink + Send)) -> Result<()> {
    while let Some(chunk) = drain.next() {
        match chunk {
            Chunk::Data { at, buf, len } => {
                sink.data(at, &buf[..len])?;
                drain.recycle(buf);
            }
            Chunk::Hole { at, len } => sink.hole(at, len)?,
        }
    }
    Ok(())
}

/// The result of a scoped worker; a panic there is reported, not propagated.
fn join(worker: std::thread::ScopedJoinHandle<'_, Result<()>>) -> Result<()> {
    worker.join().unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::Io,
            "a transfer worker thread panicked",
        ))
    })
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

/// Where downloaded bytes go.
pub(crate) trait Sink {
    fn data(&mut self, at: u64, bytes: &[u8]) -> Result<()>;
    fn hole(&mut self, at: u64, len: u64) -> Result<()>;
    fn finish(&mut self, total: u64) -> Result<()>;
}

/// A file: data written at its offset, holes left unwritten (and the length set at
/// the end) when sparse, zeros otherwise.
pub(crate) struct FileSink<'f> {
    file: &'f mut File,
    sparse: bool,
}

impl<'f> FileSink<'f> {
    pub(crate) fn new(file: &'f mut File, sparse: bool) -> Self {
        FileSink { file, sparse }
    }
}

/// Zero runs shorter than this are written; longer ones left as holes.
const HOLE_BLOCK: usize = 4096;

impl FileSink<'_> {
    fn write(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all_at(bytes, at)
            .map_err(|e| Error::io("cannot write the file", e))
    }
}

impl Sink for FileSink<'_> {
    /// A sparse download also leaves holes where the data is all zeros in whole
    /// blocks: a block volume (an LV, a LUN) cannot tell libvirt where its holes are,
    /// so its zeros arrive as data.
    fn data(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        if !self.sparse {
            return self.write(at, bytes);
        }
        let mut run_start = None;
        let mut off = 0;
        while off < bytes.len() {
            // blocks aligned to the file, so that holes are whole file-system blocks
            let len = (HOLE_BLOCK - ((at as usize + off) % HOLE_BLOCK)).min(bytes.len() - off);
            let block = &bytes[off..off + len];
            let zero = len == HOLE_BLOCK && is_zero(block);
            match (zero, run_start) {
                (false, None) => run_start = Some(off),
                (true, Some(start)) => {
                    self.write(at + start as u64, &bytes[start..off])?;
                    run_start = None;
                }
                _ => {}
            }
            off += len;
        }
        match run_start {
            Some(start) => self.write(at + start as u64, &bytes[start..]),
            None => Ok(()),
        }
    }

    fn hole(&mut self, at: u64, len: u64) -> Result<()> {
        if self.sparse {
            return Ok(());
        }
        write_zeros(&mut |chunk, off| self.data(at + off, chunk), len)
    }

    fn finish(&mut self, total: u64) -> Result<()> {
        if self.sparse {
            self.file
                .set_len(total)
                .map_err(|e| Error::io("cannot set the file length", e))?;
        }
        Ok(())
    }
}

struct WriterSink<W: Write + Send>(W);

impl<W: Write + Send> Sink for WriterSink<W> {
    fn data(&mut self, _at: u64, bytes: &[u8]) -> Result<()> {
        self.0
            .write_all(bytes)
            .map_err(|e| Error::io("cannot write the output", e))
    }

    fn hole(&mut self, _at: u64, len: u64) -> Result<()> {
        write_zeros(&mut |chunk, _| self.data(0, chunk), len)
    }

    fn finish(&mut self, _total: u64) -> Result<()> {
        self.0
            .flush()
            .map_err(|e| Error::io("cannot flush the output", e))
    }
}

pub(crate) fn is_zero(block: &[u8]) -> bool {
    // an OR over the whole block (no early exit) compiles to vector code
    block.iter().fold(0u8, |acc, &b| acc | b) == 0
}

fn write_zeros(write: &mut dyn FnMut(&[u8], u64) -> Result<()>, len: u64) -> Result<()> {
    let zeros = vec![0u8; CHUNK_BYTES.min(len as usize)];
    let mut off = 0;
    while off < len {
        let n = (len - off).min(zeros.len() as u64) as usize;
        write(&zeros[..n], off)?;
        off += n as u64;
    }
    Ok(())
}

pub(crate) fn is_block_device(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

/// A file next to the destination that replaces it only when complete; removed if
/// dropped before `commit`.
pub(crate) struct TempFile {
    path: PathBuf,
    pub(crate) file: File,
    committed: bool,
}

impl TempFile {
    pub(crate) fn create(dest: &Path) -> Result<TempFile> {
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dest.file_name().ok_or_else(|| {
            Error::invalid("path", format!("{} is not a file path", dest.display()))
        })?;
        let path = dir.join(format!(
            ".{}.kvmpool-{}.part",
            name.to_string_lossy(),
            uuid::Uuid::new_v4().simple()
        ));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
        Ok(TempFile {
            path,
            file,
            committed: false,
        })
    }

    /// Where the file is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn commit(mut self, dest: &Path) -> Result<()> {
        self.file
            .flush()
            .map_err(|e| Error::io("cannot flush the download", e))?;
        std::fs::rename(&self.path, dest)
            .map_err(|e| Error::io(format!("cannot move the download to {}", dest.display()), e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::thread::sleep;

    fn counting(answer: bool) -> (TransferOptions, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let options = TransferOptions::default().interrupt(move || {
            seen.fetch_add(1, Ordering::SeqCst);
            answer
        });
        (options, calls)
    }

    #[test]
    fn the_interrupt_check_is_asked_first_then_at_most_every_interval() {
        let (options, calls) = counting(false);
        let ticker = Ticker::new(&options);
        ticker.tick(0, 100).unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "asked before any byte moves"
        );
        for done in 1..50 {
            ticker.tick(done, 100).unwrap();
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "not again within the interval"
        );
        sleep(INTERRUPT_EVERY);
        ticker.tick(50, 100).unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "again once the interval passed"
        );
    }

    #[test]
    fn an_interrupt_cancels() {
        let (options, calls) = counting(true);
        let e = Ticker::new(&options).tick(7, 100).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
        assert!(
            e.to_string().contains("interrupted after 7 of 100 bytes"),
            "{e}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // without a check, nothing is interrupted
        Ticker::new(&TransferOptions::default())
            .tick(7, 100)
            .unwrap();
    }

    #[test]
    fn progress_and_the_token_still_cancel_between_interrupt_checks() {
        let (options, _) = counting(false);
        let token = CancelToken::new();
        let options = options.cancel_token(token.clone());
        let ticker = Ticker::new(&options);
        ticker.tick(0, 10).unwrap();
        token.cancel();
        let e = ticker.tick(1, 10).unwrap_err();
        assert!(e.to_string().contains("cancelled after 1 of 10"), "{e}");
    }
}
