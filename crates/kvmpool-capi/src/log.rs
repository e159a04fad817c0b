//! kvmpool's log for C: core's `tracing` events (target `kvmpool`) handed to a C
//! callback. One subscriber is installed for the process on first use; the level and
//! the callback can be changed at any time.

use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::boundary::{ffi_boundary, invalid, Failure};
use crate::status::kvmpool_status;

/// Log level: nothing (kvmpool_set_log() `max_level`).
pub const KVMPOOL_LOG_OFF: u32 = 0;
/// Log level: errors.
pub const KVMPOOL_LOG_ERROR: u32 = 1;
/// Log level: warnings.
pub const KVMPOOL_LOG_WARN: u32 = 2;
/// Log level: every change kvmpool makes to a host ("pool guest_images: started",
/// "volume guest_images/vm1.qcow2: created", each plan step applied).
pub const KVMPOOL_LOG_INFO: u32 = 3;
/// Log level: also every libvirt call, with its outcome and time
/// ("virStoragePoolGetInfo: ok in 0.08 ms").
pub const KVMPOOL_LOG_DEBUG: u32 = 4;

/// A log callback: the message's `level` (KVMPOOL_LOG_ERROR to KVMPOOL_LOG_DEBUG),
/// the `message` (valid during the call only) and the `userdata` given to
/// kvmpool_set_log().
///
/// Thread-safety contract: the callback runs on the thread that logs: the caller's
/// own for its calls, kvmpool's event thread, a fleet's worker threads. It must be
/// safe to call from any thread and at the same time from several, and must not call
/// kvmpool_set_log().
pub type kvmpool_log_cb =
    Option<unsafe extern "C" fn(level: u32, message: *const c_char, userdata: *mut c_void)>;

struct Target {
    callback: unsafe extern "C" fn(u32, *const c_char, *mut c_void),
    userdata: *mut c_void,
}

// SAFETY: the callback and its userdata are used from several threads; the caller
// promised that this is safe (see kvmpool_log_cb).
unsafe impl Send for Target {}
// SAFETY: as above.
unsafe impl Sync for Target {}

static MAX_LEVEL: AtomicU32 = AtomicU32::new(KVMPOOL_LOG_OFF);
static TARGET: RwLock<Option<Target>> = RwLock::new(None);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// Send kvmpool's log messages up to `max_level` (KVMPOOL_LOG_OFF to
/// KVMPOOL_LOG_DEBUG) to `callback` with `userdata`; KVMPOOL_LOG_OFF or a NULL
/// callback turns the log off. Once this returns, the previous callback is no longer
/// called (a call under way has finished). Without this call kvmpool logs nothing.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_set_log(
    max_level: u32,
    callback: kvmpool_log_cb,
    userdata: *mut c_void,
) -> kvmpool_status {
    ffi_boundary(|| {
        if max_level > KVMPOOL_LOG_DEBUG {
            return Err(invalid(
                "max_level",
                format!("{max_level} is no log level (0 to {KVMPOOL_LOG_DEBUG})"),
            ));
        }
        install()?;
        let mut target = TARGET.write().unwrap_or_else(|e| e.into_inner());
        *target = callback.map(|callback| Target { callback, userdata });
        let level = if target.is_some() {
            max_level
        } else {
            KVMPOOL_LOG_OFF
        };
        MAX_LEVEL.store(level, Ordering::SeqCst);
        Ok(())
    })
}

/// The process-wide subscriber, once.
fn install() -> Result<(), Failure> {
    let installed = INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(ToCallback);
        tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())
    });
    installed.clone().map_err(|e| {
        Failure::Core(kvmpool_core::Error::new(
            kvmpool_core::ErrorKind::State,
            format!("kvmpool cannot log: another tracing subscriber is installed ({e})"),
        ))
    })
}

fn number(level: &Level) -> u32 {
    match *level {
        Level::ERROR => KVMPOOL_LOG_ERROR,
        Level::WARN => KVMPOOL_LOG_WARN,
        Level::INFO => KVMPOOL_LOG_INFO,
        _ => KVMPOOL_LOG_DEBUG,
    }
}

/// The layer that hands events to the C callback.
struct ToCallback;

impl<S: Subscriber> Layer<S> for ToCallback {
    // The level can change at any time: never let tracing cache a verdict.
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.target() == "kvmpool"
            && number(metadata.level()) <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        let text = CString::new(message.0.replace('\0', "\\0")).unwrap_or_default();
        let target = TARGET.read().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = target.as_ref() {
            // SAFETY: a function pointer and userdata the caller registered for this
            // (see kvmpool_log_cb); the string outlives the call.
            unsafe { (t.callback)(number(event.metadata().level()), text.as_ptr(), t.userdata) };
        }
    }
}

/// An event's `message` field.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_owned();
        }
    }
}
