//! Pool events: a C function pointer and its userdata subscribed to the lifecycle and
//! refresh events of one pool or all.
//!
//! The core calls subscribers on its event thread and unsubscribes when a
//! `Subscription` is dropped, but a call already under way may still run after the
//! drop. C needs more: once kvmpool_subscription_free() returns, the caller frees its
//! userdata, so no call may be running or start afterwards. [`Target`] gives that: the
//! C callback runs under its mutex and only while `active` is set, and freeing clears
//! `active` and then takes the mutex once, waiting for a call under way.

use std::cell::Cell;
use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kvmpool_core::{PoolEvent, Subscription};

use crate::boundary::{
    ffi_boundary, ffi_infallible, free_handle, guard, new_handle, try_out, try_ref, Failure,
};
use crate::conn::kvmpool_conn;
use crate::pool::kvmpool_pool;
use crate::status::kvmpool_status;

/// A pool event callback: `pool_name` and `uuid` (hyphenated) of the pool, and what
/// happened, `event_kind`: "defined", "undefined", "started", "stopped", "created",
/// "deleted" or "refreshed". The three strings are valid during the call only (copy
/// them to keep them); `userdata` is what was given to
/// kvmpool_conn_subscribe_pool_events().
///
/// Thread-safety contract: the callback runs on kvmpool's event thread, never on the
/// thread that subscribed, so `userdata` and whatever the callback touches must be
/// safe to use from that thread (a mutex or atomics when another thread reads them).
/// Events of all subscriptions are delivered one at a time, in the order libvirt
/// reports them; keep the callback short, since it holds up the others. It may call
/// any kvmpool function, including kvmpool_subscription_free() on its own
/// subscription.
pub type kvmpool_pool_event_cb = Option<
    unsafe extern "C" fn(
        pool_name: *const c_char,
        uuid: *const c_char,
        event_kind: *const c_char,
        userdata: *mut c_void,
    ),
>;

/// An event subscription: while it lives, its callback receives events. Free it
/// with kvmpool_subscription_free() to unsubscribe.
pub struct kvmpool_subscription {
    subscription: Option<Subscription>,
    target: Arc<Target>,
}

impl std::fmt::Debug for kvmpool_subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("kvmpool_subscription")
            .field("subscription", &self.subscription)
            .finish_non_exhaustive()
    }
}

/// The C callback and its userdata, shared by the closure the core calls and the
/// subscription handle that turns it off.
struct Target {
    callback: unsafe extern "C" fn(*const c_char, *const c_char, *const c_char, *mut c_void),
    userdata: *mut c_void,
    /// Cleared by kvmpool_subscription_free(); no call starts once it is clear.
    active: AtomicBool,
    /// Held during each call of `callback`.
    calling: Mutex<()>,
}

// SAFETY: the header obliges the caller to make the callback and `userdata` usable
// from kvmpool's event thread; Rust never dereferences `userdata`, it only hands it
// back to the callback.
unsafe impl Send for Target {}
// SAFETY: as for `Send`; the calls themselves are serialised by `calling`.
unsafe impl Sync for Target {}

thread_local! {
    /// The target whose callback this thread is running (the event thread, during a
    /// call), so that freeing that subscription from inside its callback does not
    /// wait for itself.
    static CALLING: Cell<*const Target> = const { Cell::new(std::ptr::null()) };
}

impl Target {
    /// Deliver one event to C, unless the subscription was freed. Never unwinds.
    fn deliver(&self, event: &PoolEvent) {
        guard(
            |_| (),
            || {
                let _calling = self.calling.lock().unwrap_or_else(|e| e.into_inner());
                if !self.active.load(Ordering::SeqCst) {
                    return;
                }
                // Names and UUIDs come from C strings in libvirt, so they hold no NUL.
                let (Ok(name), Ok(uuid), Ok(kind)) = (
                    CString::new(event.pool.as_str()),
                    CString::new(event.uuid.hyphenated().to_string()),
                    CString::new(event.kind.as_str()),
                ) else {
                    return;
                };
                let outer = CALLING.replace(self);
                // SAFETY: the caller gave a valid function pointer and the userdata it
                // expects, usable on this thread (the header's contract); the strings
                // live until the call returns.
                unsafe {
                    (self.callback)(name.as_ptr(), uuid.as_ptr(), kind.as_ptr(), self.userdata)
                };
                CALLING.set(outer);
            },
        );
    }

    /// Turn the callback off: after this returns no call is running (unless this is
    /// the callback itself freeing its subscription) and none starts.
    fn deactivate(&self) {
        self.active.store(false, Ordering::SeqCst);
        let inside = CALLING.get() == std::ptr::from_ref(self);
        if !inside {
            drop(self.calling.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }
}

/// Subscribe `callback` to the lifecycle events (defined, undefined, started,
/// stopped, created, deleted) and refresh events of `pool`, or of every pool of the
/// connection when `pool` is NULL, until the subscription is freed. The first
/// subscription starts kvmpool's event thread (and a private events connection to
/// the daemon); the thread stops when the last subscription is freed. Events keep
/// coming after the daemon restarts (the events connection reconnects by itself;
/// events during the outage are lost).
///
/// `callback` runs on kvmpool's event thread, not on the caller's (see
/// kvmpool_pool_event_cb for the contract); `userdata` is passed to it as given and
/// must stay valid until kvmpool_subscription_free() returns. On success writes a new
/// subscription to `*subscription_out` (free with kvmpool_subscription_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_subscribe_pool_events(
    conn: *const kvmpool_conn,
    pool: *const kvmpool_pool,
    callback: kvmpool_pool_event_cb,
    userdata: *mut c_void,
    subscription_out: *mut *mut kvmpool_subscription,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let pool = if pool.is_null() {
            None
        } else {
            Some(&try_ref(pool, "pool")?.inner)
        };
        let callback = callback.ok_or(Failure::Null { arg: "callback" })?;
        let out = try_out(subscription_out, "subscription_out")?;
        let target = Arc::new(Target {
            callback,
            userdata,
            active: AtomicBool::new(true),
            calling: Mutex::new(()),
        });
        let for_core = Arc::clone(&target);
        let subscription = conn
            .inner
            .subscribe_pool_events(pool, move |event| for_core.deliver(event))?;
        out.write(new_handle(kvmpool_subscription {
            subscription: Some(subscription),
            target,
        }));
        Ok(())
    })
}

/// Unsubscribe and free the subscription. NULL is ignored. When it returns, the
/// callback is not running and will not be called again, so its userdata may be
/// freed: a call under way on the event thread is waited for (so do not call this
/// while holding a lock the callback takes). It may be called from inside the
/// subscription's own callback; that call then returns first and is the last one.
/// Call it once, from any thread.
#[no_mangle]
pub extern "C" fn kvmpool_subscription_free(subscription: *mut kvmpool_subscription) {
    ffi_infallible((), || free_handle(subscription));
}

impl Drop for kvmpool_subscription {
    fn drop(&mut self) {
        self.target.deactivate();
        let Some(core) = self.subscription.take() else {
            return;
        };
        if CALLING.get().is_null() {
            drop(core);
        } else {
            // Inside an event callback, on the event thread: the last subscription of
            // a connection closes its events connection, which is best not done from
            // inside one of that connection's callbacks. Another thread drops it;
            // `deactivate` already silenced the callback.
            let _ = std::thread::Builder::new()
                .name("kvmpool-unsubscribe".into())
                .spawn(move || drop(core));
        }
    }
}
