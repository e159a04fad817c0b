//! What a transfer is asked to do (`TransferOptions`), how it reports and stops
//! (progress, cancel token, interrupt check, all on the caller's thread) and what it
//! moved (`TransferReport`).

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::spec::names::string_enum;
use crate::units::Size;

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

string_enum! {
    /// How a transfer moves its bytes.
    ///
    /// - `auto` (the default): `direct` when it is possible, else `stream`;
    /// - `stream`: through a libvirt stream (`virsh vol-upload` / `vol-download`), which
    ///   works over any connection;
    /// - `direct`: copied by this process into or out of the volume's file or device,
    ///   for a daemon on this machine whose volume this process can open (a file or
    ///   block volume, opened where the daemon sees it); refused with
    ///   [`ErrorKind::Unsupported`] and the reason when that is not so.
    ///
    /// Both give the same bytes, sizes and allocation, the same checks, progress,
    /// cancellation and errors; the direct one is several times faster, as libvirt's
    /// stream copies each message about four times.
    #[derive(Default)]
    pub enum TransferMethod {
        #[default]
        Auto = "auto",
        Stream = "stream",
        Direct = "direct",
    }
}

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

/// `progress` and `cancel_token`, the same on the options of every call that moves
/// bytes ([`TransferOptions`], `ImportOptions`, `ExportOptions`): fields `progress`
/// and `cancel`.
macro_rules! progress_and_cancel {
    () => {
        /// Report progress; the callback returns `false` to cancel.
        ///
        /// Contract: the callback is called on the thread that called the transfer
        /// (`upload_file`, `upload_reader`, `download_file`, `download_writer`,
        /// `Pool::create_volume_from_file`, `Pool::import_image`, `Volume::export`),
        /// and only while that call runs; never on a worker thread of the transfer.
        /// Front ends rely on this: the C API passes a C callback and its
        /// `void *userdata` (not thread-safe in general) through it, and Python calls
        /// back into the interpreter from it.
        pub fn progress(mut self, f: impl Fn(u64, u64) -> bool + Send + Sync + 'static) -> Self {
            self.progress = Some(std::sync::Arc::new(f));
            self
        }

        /// Cancel through this token.
        pub fn cancel_token(mut self, token: $crate::transfer::CancelToken) -> Self {
            self.cancel = Some(token);
            self
        }
    };
}
pub(crate) use progress_and_cancel;

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
    /// Through a libvirt stream, directly, or whichever is possible (the default).
    pub method: TransferMethod,
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
            .field("method", &self.method)
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

    /// Move the bytes this way (see [`TransferMethod`]).
    pub fn method(mut self, method: TransferMethod) -> Self {
        self.method = method;
        self
    }

    progress_and_cancel!();

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
    pub(crate) options: &'o TransferOptions,
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
    /// How the bytes moved: [`TransferMethod::Stream`] or [`TransferMethod::Direct`].
    pub method: TransferMethod,
}

impl TransferReport {
    /// Nothing moved yet, by `method`.
    pub(crate) fn new(method: TransferMethod) -> Self {
        TransferReport {
            data_bytes: 0,
            hole_bytes: 0,
            method,
        }
    }

    /// Data and holes together: the length of the range transferred.
    pub fn total(&self) -> u64 {
        self.data_bytes + self.hole_bytes
    }
}

/// `256 MiB of data, 7.75 GiB of holes, direct`.
impl fmt::Display for TransferReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (data, holes) = (Size::bytes(self.data_bytes), Size::bytes(self.hole_bytes));
        write!(f, "{data} of data, {holes} of holes, {}", self.method)
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
