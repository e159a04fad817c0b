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
use virt::connect::Connect;
use virt::sys;

use crate::conn::Connection;
use crate::error::{Error, Result};
use crate::libvirt;
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

/// Register libvirt's event loop (once per process) and make sure its thread runs.
pub(crate) fn acquire_loop() -> Result<LoopGuard> {
    let mut state = lock_loop();
    if !state.registered {
        // SAFETY: plain call without arguments; libvirt makes it idempotent per process.
        if unsafe { sys::virEventRegisterDefaultImpl() } < 0 {
            return Err(libvirt::error(virt::error::Error::last_error()));
        }
        state.registered = true;
    }
    state.users += 1;
    state.running = true;
    if !state.thread_alive {
        state.thread_alive = true;
        thread::Builder::new()
            .name("kvmpool-events".into())
            .spawn(run_loop)
            .map_err(|e| Error::io("cannot start the event loop thread", e))?;
    }
    Ok(LoopGuard(()))
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
    _loop: LoopGuard,
}

struct HubState {
    link: Option<EventLink>,
    subs: BTreeMap<u64, Sub>,
    next_id: u64,
    reconnecting: bool,
}

/// The private events connection and what is registered on it.
struct EventLink {
    conn: Connect,
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
        let guard = acquire_loop()?;
        let hub = Arc::new(Hub {
            uri,
            state: Mutex::new(HubState {
                link: None,
                subs: BTreeMap::new(),
                next_id: 1,
                reconnecting: false,
            }),
            _loop: guard,
        });
        let link = EventLink::open(hub.uri.as_deref(), &hub)?;
        hub.lock().link = Some(link);
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

    /// The events connection closed: reopen it in the background, with backoff, for
    /// as long as the hub lives.
    fn link_closed(self: &Arc<Hub>) {
        {
            let mut state = self.lock();
            if state.reconnecting {
                return;
            }
            state.reconnecting = true;
            // Drop the dead link later, off the event loop thread.
            let dead = state.link.take();
            thread::spawn(move || drop(dead));
        }
        let weak = Arc::downgrade(self);
        let spawned = thread::Builder::new()
            .name("kvmpool-events-reconnect".into())
            .spawn(move || reconnect(weak));
        if spawned.is_err() {
            self.lock().reconnecting = false;
        }
    }
}

fn reconnect(weak: Weak<Hub>) {
    let mut wait = Duration::from_millis(50);
    loop {
        thread::sleep(wait);
        let Some(hub) = weak.upgrade() else { return };
        if let Ok(link) = EventLink::open(hub.uri.as_deref(), &hub) {
            let mut state = hub.lock();
            state.link = Some(link);
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
