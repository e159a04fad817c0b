//! Storage pool events (lifecycle and refresh) and the libvirt event loop behind them.
//!
//! The `virt` crate wraps neither pool events nor close callbacks, so this module holds
//! the small `unsafe` shims for them. Design:
//!
//! - **Event loop**: libvirt's default implementation, registered once per process and
//!   run by one thread kvmpool owns. The thread runs while anything needs it: event
//!   subscriptions, and connections opened after the loop was registered (libvirt turns
//!   keepalive on for those, and keepalive needs a running loop). It exits when the last
//!   user goes.
//! - **Hub**: one per `Connection` with subscriptions. It owns a private libvirt
//!   connection for events, registers one lifecycle and one refresh callback for all
//!   pools and fans events out to the subscribers. When that connection closes (daemon
//!   restart), a thread reopens it and registers the callbacks again.

use std::collections::BTreeMap;
use std::ffi::{c_int, c_void, CStr};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread;
use std::time::Duration;

use uuid::Uuid;
use virt::sys;

use crate::conn::Connection;
use crate::error::{Error, Result};
use crate::libvirt;
use crate::owned::Conn;
use crate::pool::Pool;
use crate::spec::names::string_enum;

string_enum! {
    /// What happened to a pool.
    pub enum PoolEventKind {
        Defined = "defined", Undefined = "undefined", Started = "started",
        Stopped = "stopped", Created = "created", Deleted = "deleted",
        /// `pool-refresh` (or a refresh after a volume change).
        Refreshed = "refreshed",
    }
}

/// A pool event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEvent {
    /// The pool's name.
    pub pool: String,
    /// The pool's UUID.
    pub uuid: Uuid,
    /// What happened.
    pub kind: PoolEventKind,
}

type Callback = Arc<dyn Fn(&PoolEvent) + Send + Sync>;

// --- the event loop thread -------------------------------------------------------------

struct LoopState {
    registered: bool,
    users: usize,
    running: bool,
    thread_alive: bool,
}

static LOOP: Mutex<LoopState> = Mutex::new(LoopState {
    registered: false,
    users: 0,
    running: false,
    thread_alive: false,
});

fn lock_loop() -> MutexGuard<'static, LoopState> {
    LOOP.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps the event loop thread running while held.
pub(crate) struct LoopGuard(());

impl fmt::Debug for LoopGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoopGuard")
    }
}

/// Starts a named thread running `body`. Threads are started through this type so
/// that tests can pass one that fails: std's spawn failures (no threads or memory
/// left) cannot be provoked on demand.
pub(crate) type Spawn = fn(&str, Box<dyn FnOnce() + Send>) -> std::io::Result<()>;

/// The real [`Spawn`].
pub(crate) fn spawn_thread(name: &str, body: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
        .map(drop)
}

/// Register libvirt's event loop (once per process) and make sure its thread runs.
pub(crate) fn acquire_loop() -> Result<LoopGuard> {
    add_loop_user(&mut lock_loop(), spawn_thread)?;
    Ok(LoopGuard(()))
}

/// Count one more user of the loop, starting its thread if none runs. The state
/// changes only once nothing can fail any more: a failed spawn leaves no user behind
/// (nobody would release it) and no thread marked alive that does not exist (the
/// loop would never run again).
fn add_loop_user(state: &mut LoopState, spawn: Spawn) -> Result<()> {
    if !state.registered {
        // SAFETY: plain call without arguments; libvirt makes it idempotent per process.
        if unsafe { sys::virEventRegisterDefaultImpl() } < 0 {
            return Err(libvirt::error(virt::error::Error::last_error()));
        }
        state.registered = true;
    }
    if !state.thread_alive {
        // The thread takes the lock before it looks at the state, and the caller
        // holds it until `running` is set below.
        spawn("kvmpool-events", Box::new(run_loop))
            .map_err(|e| Error::io("cannot start the event loop thread", e))?;
        state.thread_alive = true;
    }
    state.users += 1;
    state.running = true;
    Ok(())
}

/// A guard when the loop is registered (connections opened from then on use it).
pub(crate) fn loop_guard_if_registered() -> Result<Option<LoopGuard>> {
    if lock_loop().registered {
        acquire_loop().map(Some)
    } else {
        Ok(None)
    }
}

impl Drop for LoopGuard {
    fn drop(&mut self) {
        let mut state = lock_loop();
        state.users -= 1;
        if state.users == 0 {
            state.running = false;
            drop(state);
            wake_loop();
        }
    }
}

fn run_loop() {
    loop {
        // SAFETY: the default implementation was registered before this thread started.
        unsafe { sys::virEventRunDefaultImpl() };
        // Deciding to exit under the lock means a concurrent `acquire_loop` either sees
        // the thread alive (and keeps it running) or starts a new one.
        let mut state = lock_loop();
        if !state.running {
            state.thread_alive = false;
            return;
        }
    }
}

/// Make `virEventRunDefaultImpl` return: a one-shot timer that removes itself.
fn wake_loop() {
    unsafe extern "C" fn fire_once(timer: c_int, _opaque: *mut c_void) {
        // SAFETY: `timer` is the id libvirt passed for this very timer.
        unsafe { sys::virEventRemoveTimeout(timer) };
    }
    // SAFETY: the callback has the signature libvirt expects; no opaque data is owned.
    unsafe { sys::virEventAddTimeout(0, Some(fire_once), std::ptr::null_mut(), None) };
}

// --- subscriptions ---------------------------------------------------------------------

/// An active event subscription; dropping it unsubscribes.
pub struct Subscription {
    hub: Arc<Hub>,
    id: u64,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.lock().subs.remove(&self.id);
    }
}

/// Events as an iterator (a channel fed by a subscription).
#[derive(Debug)]
pub struct EventReceiver {
    rx: Receiver<PoolEvent>,
    _subscription: Subscription,
}

impl EventReceiver {
    /// The next event, waiting at most `timeout`; `None` when none came.
    pub fn next_timeout(&self, timeout: Duration) -> Option<PoolEvent> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// Every event already received, without waiting.
    pub fn drain(&self) -> Vec<PoolEvent> {
        self.rx.try_iter().collect()
    }
}

/// A wait limit given in seconds, as the front ends take one (Python's
/// `next_event(timeout=...)`): `None` means no limit, and so do infinity and any number
/// of seconds too large for a [`Duration`]; NaN and negative numbers are refused.
pub fn timeout_from_secs(field: &str, seconds: f64) -> Result<Option<Duration>> {
    if seconds.is_nan() {
        return Err(Error::invalid(
            field,
            "must be a number of seconds, not NaN",
        ));
    }
    if seconds < 0.0 {
        return Err(Error::invalid(
            field,
            format!("must be 0 or more seconds (infinity: no limit), not {seconds}"),
        ));
    }
    // `try_from_secs_f64` fails only for infinity and overflow here: both "wait forever".
    Ok(Duration::try_from_secs_f64(seconds).ok())
}

impl Iterator for EventReceiver {
    type Item = PoolEvent;
    fn next(&mut self) -> Option<PoolEvent> {
        self.rx.recv().ok()
    }
}

struct Sub {
    pool: Option<Uuid>,
    callback: Callback,
}

/// Per-connection event state; see the module documentation.
pub(crate) struct Hub {
    uri: Option<String>,
    state: Mutex<HubState>,
    /// Starts the reconnect thread ([`spawn_thread`] but in tests).
    spawn: Spawn,
    _loop: LoopGuard,
}

struct HubState {
    /// The events connection; after it closed, kept until the reconnect thread
    /// drops it (never on the event loop thread, which runs the close callback).
    link: Option<EventLink>,
    subs: BTreeMap<u64, Sub>,
    next_id: u64,
    /// True while a reconnect thread exists: set only once it was started.
    reconnecting: bool,
    /// True while a timer is set to try starting that thread again.
    respawn_pending: bool,
    /// Event connections opened so far (the first one included).
    links_opened: u64,
}

/// After a reconnect thread could not be started, try again this much later.
const RESPAWN_AFTER_MS: c_int = 500;

/// The private events connection and what is registered on it.
struct EventLink {
    conn: Conn,
    callback_ids: Vec<c_int>,
    // Owned here rather than handed to libvirt with a free function: drivers without
    // close-callback support (test:///) accept the registration, keep nothing and
    // would never call the free function. Declared after `conn`, so it outlives it.
    close_opaque: Box<Weak<Hub>>,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn new(uri: Option<String>) -> Result<Arc<Hub>> {
        Hub::with_spawn(uri, spawn_thread)
    }

    fn with_spawn(uri: Option<String>, spawn: Spawn) -> Result<Arc<Hub>> {
        let guard = acquire_loop()?;
        let hub = Arc::new(Hub {
            uri,
            state: Mutex::new(HubState {
                link: None,
                subs: BTreeMap::new(),
                next_id: 1,
                reconnecting: false,
                respawn_pending: false,
                links_opened: 0,
            }),
            spawn,
            _loop: guard,
        });
        let link = EventLink::open(hub.uri.as_deref(), &hub)?;
        let mut state = hub.lock();
        state.link = Some(link);
        state.links_opened += 1;
        drop(state);
        Ok(hub)
    }

    fn subscribers(&self, uuid: Uuid) -> Vec<Callback> {
        self.lock()
            .subs
            .values()
            .filter(|s| s.pool.is_none_or(|p| p == uuid))
            .map(|s| s.callback.clone())
            .collect()
    }

    /// The events connection closed: reopen it on a thread of its own, with backoff,
    /// for as long as the hub lives. When that thread cannot be started, nothing is
    /// marked as reconnecting and a timer on the event loop tries again shortly, so
    /// the subscriptions are never left waiting on a reconnect that nobody runs.
    fn link_closed(self: &Arc<Hub>) {
        let mut state = self.lock();
        if state.reconnecting || state.respawn_pending {
            return;
        }
        let weak = Arc::downgrade(self);
        // The thread takes the lock first, so it sees `reconnecting` set.
        match (self.spawn)(
            "kvmpool-events-reconnect",
            Box::new(move || reconnect(weak)),
        ) {
            Ok(()) => state.reconnecting = true,
            Err(_) => {
                state.respawn_pending = true;
                drop(state);
                self.link_closed_later();
            }
        }
    }

    /// Call `link_closed` again in [`RESPAWN_AFTER_MS`], from the event loop thread.
    fn link_closed_later(self: &Arc<Hub>) {
        unsafe extern "C" fn fire(timer: c_int, opaque: *mut c_void) {
            // SAFETY: `timer` is the id libvirt passed for this very timer; libvirt
            // frees `opaque` (with `free_weak`) only after the callback returned.
            unsafe { sys::virEventRemoveTimeout(timer) };
            let _ = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: `opaque` is the `weak_box` pointer registered below.
                if let Some(hub) = unsafe { hub_of(opaque) } {
                    hub.lock().respawn_pending = false;
                    hub.link_closed();
                }
            }));
        }
        let opaque = weak_box(self);
        // SAFETY: the callback has the signature libvirt expects; the opaque box is
        // freed by `free_weak` when the timer is removed.
        let id = unsafe {
            sys::virEventAddTimeout(RESPAWN_AFTER_MS, Some(fire), opaque, Some(free_weak))
        };
        if id < 0 {
            // SAFETY: libvirt refused the timer and kept nothing (no event loop
            // registered): the box is still ours, and freed once.
            unsafe { free_weak(opaque) };
            // The next close of the link tries again.
            self.lock().respawn_pending = false;
        }
    }
}

fn reconnect(weak: Weak<Hub>) {
    // The dead link is dropped here, off the event loop thread (see `HubState::link`).
    let dead = match weak.upgrade() {
        Some(hub) => hub.lock().link.take(),
        None => return,
    };
    drop(dead);
    let mut wait = Duration::from_millis(50);
    loop {
        thread::sleep(wait);
        let Some(hub) = weak.upgrade() else { return };
        if let Ok(link) = EventLink::open(hub.uri.as_deref(), &hub) {
            let mut state = hub.lock();
            state.link = Some(link);
            state.links_opened += 1;
            state.reconnecting = false;
            return;
        }
        wait = (wait * 2).min(Duration::from_secs(2));
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let link = self.lock().link.take();
        drop(link);
    }
}

impl EventLink {
    /// Open the events connection and register the close, lifecycle and refresh
    /// callbacks, each holding a weak reference to the hub.
    fn open(uri: Option<&str>, hub: &Arc<Hub>) -> Result<EventLink> {
        let conn = crate::conn::connect(uri, false, None)?;
        let mut link = EventLink {
            conn,
            callback_ids: Vec::new(),
            close_opaque: Box::new(Arc::downgrade(hub)),
        };
        let close_opaque: *const Weak<Hub> = &*link.close_opaque;
        // SAFETY: the connection is valid; the opaque pointer stays valid until the
        // link is dropped, which unregisters the callback (and closes the connection)
        // before freeing it; `on_close` has the virConnectCloseFunc signature.
        let rc = unsafe {
            sys::virConnectRegisterCloseCallback(
                link.conn.as_ptr(),
                Some(on_close),
                close_opaque.cast_mut().cast(),
                None,
            )
        };
        if rc < 0 {
            return Err(libvirt::error(virt::error::Error::last_error()));
        }
        // SAFETY: libvirt calls lifecycle callbacks with the lifecycle signature
        // (conn, pool, event, detail, opaque); the API takes them cast to the generic
        // type, exactly as libvirt's VIR_STORAGE_POOL_EVENT_CALLBACK macro does.
        let lifecycle: sys::virConnectStoragePoolEventGenericCallback = Some(unsafe {
            std::mem::transmute::<
                unsafe extern "C" fn(
                    sys::virConnectPtr,
                    sys::virStoragePoolPtr,
                    c_int,
                    c_int,
                    *mut c_void,
                ),
                unsafe extern "C" fn(sys::virConnectPtr, sys::virStoragePoolPtr, *mut c_void),
            >(on_lifecycle)
        });
        let refresh: sys::virConnectStoragePoolEventGenericCallback = Some(on_refresh);
        for (event_id, cb) in [
            (sys::VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, lifecycle),
            (sys::VIR_STORAGE_POOL_EVENT_ID_REFRESH, refresh),
        ] {
            // SAFETY: as above; a NULL pool means "every pool"; the opaque box is freed
            // by `free_weak` when the callback is deregistered.
            let id = unsafe {
                sys::virConnectStoragePoolEventRegisterAny(
                    link.conn.as_ptr(),
                    std::ptr::null_mut(),
                    event_id as c_int,
                    cb,
                    weak_box(hub),
                    Some(free_weak),
                )
            };
            if id < 0 {
                return Err(libvirt::error(virt::error::Error::last_error()));
            }
            link.callback_ids.push(id);
        }
        Ok(link)
    }
}

impl Drop for EventLink {
    fn drop(&mut self) {
        for id in self.callback_ids.drain(..) {
            // SAFETY: `id` was returned by RegisterAny on this connection. Failure (a
            // dead connection) is harmless: libvirt frees callbacks with the connection.
            unsafe { sys::virConnectStoragePoolEventDeregisterAny(self.conn.as_ptr(), id) };
        }
        // SAFETY: unregisters the callback registered in `open`; failure is harmless.
        unsafe { sys::virConnectUnregisterCloseCallback(self.conn.as_ptr(), Some(on_close)) };
    }
}

fn weak_box(hub: &Arc<Hub>) -> *mut c_void {
    Box::into_raw(Box::new(Arc::downgrade(hub))).cast()
}

unsafe extern "C" fn free_weak(opaque: *mut c_void) {
    // SAFETY: `opaque` came from `weak_box` and libvirt frees it exactly once.
    drop(unsafe { Box::from_raw(opaque.cast::<Weak<Hub>>()) });
}

/// The hub behind a callback's opaque pointer, if it still lives.
///
/// # Safety
/// `opaque` must come from `weak_box` and not be freed yet (libvirt guarantees this
/// while the callback is registered).
unsafe fn hub_of(opaque: *mut c_void) -> Option<Arc<Hub>> {
    // SAFETY: per the function's contract.
    unsafe { &*opaque.cast::<Weak<Hub>>() }.upgrade()
}

unsafe extern "C" fn on_close(_conn: sys::virConnectPtr, _reason: c_int, opaque: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libvirt passes back the opaque pointer registered with this callback.
        if let Some(hub) = unsafe { hub_of(opaque) } {
            hub.link_closed();
        }
    }));
}

unsafe extern "C" fn on_lifecycle(
    _conn: sys::virConnectPtr,
    pool: sys::virStoragePoolPtr,
    event: c_int,
    _detail: c_int,
    opaque: *mut c_void,
) {
    let kind = match event as u32 {
        sys::VIR_STORAGE_POOL_EVENT_DEFINED => PoolEventKind::Defined,
        sys::VIR_STORAGE_POOL_EVENT_UNDEFINED => PoolEventKind::Undefined,
        sys::VIR_STORAGE_POOL_EVENT_STARTED => PoolEventKind::Started,
        sys::VIR_STORAGE_POOL_EVENT_STOPPED => PoolEventKind::Stopped,
        sys::VIR_STORAGE_POOL_EVENT_CREATED => PoolEventKind::Created,
        sys::VIR_STORAGE_POOL_EVENT_DELETED => PoolEventKind::Deleted,
        _ => return,
    };
    // SAFETY: libvirt passes a valid pool and the registered opaque pointer.
    unsafe { dispatch(pool, opaque, kind) };
}

unsafe extern "C" fn on_refresh(
    _conn: sys::virConnectPtr,
    pool: sys::virStoragePoolPtr,
    opaque: *mut c_void,
) {
    // SAFETY: libvirt passes a valid pool and the registered opaque pointer.
    unsafe { dispatch(pool, opaque, PoolEventKind::Refreshed) };
}

/// Call the subscribers of the pool's events. Never unwinds into libvirt.
///
/// # Safety
/// `pool` must be a valid pool pointer for the duration of the call and `opaque` a
/// registered `weak_box` pointer.
unsafe fn dispatch(pool: sys::virStoragePoolPtr, opaque: *mut c_void, kind: PoolEventKind) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: per the function's contract.
        let Some(hub) = (unsafe { hub_of(opaque) }) else {
            return;
        };
        // SAFETY: `pool` is valid during the callback; the name belongs to it.
        let name_ptr = unsafe { sys::virStoragePoolGetName(pool) };
        if name_ptr.is_null() {
            return;
        }
        // SAFETY: libvirt returns a NUL-terminated string owned by the pool.
        let name = unsafe { CStr::from_ptr(name_ptr) }
            .to_string_lossy()
            .into_owned();
        let mut raw = [0u8; sys::VIR_UUID_BUFLEN as usize];
        // SAFETY: `raw` has room for VIR_UUID_BUFLEN bytes, as the call requires.
        if unsafe { sys::virStoragePoolGetUUID(pool, raw.as_mut_ptr()) } < 0 {
            return;
        }
        let event = PoolEvent {
            pool: name,
            uuid: Uuid::from_bytes(raw),
            kind,
        };
        for callback in hub.subscribers(event.uuid) {
            // A panicking subscriber must not keep the others from their event.
            let _ = catch_unwind(AssertUnwindSafe(|| callback(&event)));
        }
    }));
}

impl Connection {
    /// Call `callback` (on kvmpool's event thread) for every lifecycle and refresh
    /// event of `pool`, or of every pool when `None`, until the subscription is
    /// dropped. Events keep coming after the daemon restarts.
    pub fn subscribe_pool_events(
        &self,
        pool: Option<&Pool>,
        callback: impl Fn(&PoolEvent) + Send + Sync + 'static,
    ) -> Result<Subscription> {
        let hub = self.event_hub()?;
        let id = {
            let mut state = hub.lock();
            let id = state.next_id;
            state.next_id += 1;
            state.subs.insert(
                id,
                Sub {
                    pool: pool.map(Pool::uuid),
                    callback: Arc::new(callback),
                },
            );
            id
        };
        Ok(Subscription { hub, id })
    }

    /// Pool events as a blocking iterator (see [`Connection::subscribe_pool_events`]).
    pub fn pool_events(&self, pool: Option<&Pool>) -> Result<EventReceiver> {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let subscription = self.subscribe_pool_events(pool, move |e| {
            let _ = tx.lock().unwrap_or_else(|p| p.into_inner()).send(e.clone());
        })?;
        Ok(EventReceiver {
            rx,
            _subscription: subscription,
        })
    }
}

/// The connection's hub, created on first use and shared by its subscriptions.
pub(crate) fn hub_for(slot: &Mutex<Weak<Hub>>, uri: Option<String>) -> Result<Arc<Hub>> {
    let mut weak = slot.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hub) = weak.upgrade() {
        return Ok(hub);
    }
    let hub = Hub::new(uri)?;
    *weak = Arc::downgrade(&hub);
    Ok(hub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    fn no_thread(_name: &str, _body: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
        Err(std::io::Error::other("no thread left (test)"))
    }

    #[test]
    fn a_failed_event_loop_spawn_leaves_the_loop_state_as_it_was() {
        let mut state = LoopState {
            registered: true,
            users: 0,
            running: false,
            thread_alive: false,
        };
        let e = add_loop_user(&mut state, no_thread).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        // no user to release, and no thread marked alive: the next user starts one
        assert_eq!(state.users, 0);
        assert!(!state.thread_alive && !state.running);
    }

    static RECONNECT_SPAWNS: AtomicUsize = AtomicUsize::new(0);

    /// Fails the first two times, then starts real threads.
    fn fail_twice(name: &str, body: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
        if RECONNECT_SPAWNS.fetch_add(1, Ordering::SeqCst) < 2 {
            return no_thread(name, body);
        }
        spawn_thread(name, body)
    }

    #[test]
    fn a_failed_reconnect_spawn_is_tried_again_and_the_link_comes_back() {
        libvirt::init();
        let hub = Hub::with_spawn(Some("test:///default".into()), fail_twice).unwrap();
        hub.link_closed();
        {
            let state = hub.lock();
            assert!(
                !state.reconnecting,
                "no thread runs, so none may be waited for"
            );
            assert!(
                state.link.is_some(),
                "the link stays until a thread drops it"
            );
            assert_eq!(state.links_opened, 1);
        }
        // A second close while the retry is pending changes nothing.
        hub.link_closed();
        assert!(!hub.lock().reconnecting);
        assert_eq!(RECONNECT_SPAWNS.load(Ordering::SeqCst), 1);
        // The event loop's timer tries again until a thread starts; it reconnects.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            {
                let state = hub.lock();
                if state.links_opened == 2 && !state.reconnecting && state.link.is_some() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "the events link never came back");
            thread::sleep(Duration::from_millis(20));
        }
        assert!(RECONNECT_SPAWNS.load(Ordering::SeqCst) >= 3);
        // and a later close reconnects straight away
        hub.link_closed();
        let deadline = Instant::now() + Duration::from_secs(20);
        while hub.lock().links_opened < 3 {
            assert!(Instant::now() < deadline, "no second reconnect");
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn timeouts_in_seconds() {
        assert_eq!(
            timeout_from_secs("timeout", 0.0).unwrap(),
            Some(Duration::ZERO)
        );
        assert_eq!(
            timeout_from_secs("timeout", 1.5).unwrap(),
            Some(Duration::from_millis(1500))
        );
        // no limit: infinity, and numbers past what a Duration holds
        assert_eq!(timeout_from_secs("timeout", f64::INFINITY).unwrap(), None);
        assert_eq!(timeout_from_secs("timeout", 1e300).unwrap(), None);
        for bad in [f64::NAN, -1.0, -0.5, f64::NEG_INFINITY] {
            let e = timeout_from_secs("timeout", bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidSpec, "{bad}");
            assert_eq!(e.field(), Some("timeout"), "{bad}");
        }
    }
}
