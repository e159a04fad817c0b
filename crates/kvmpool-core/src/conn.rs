//! `Connection`: opening libvirt, looking pools and volumes up, defining and creating
//! pools. A connection notices when the daemon goes away (the failing call returns
//! [`ErrorKind::Connect`]) and opens a new link on the next call; handles obtained
//! before look themselves up again by UUID or key.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;

use uuid::Uuid;

use crate::discovery::PoolCapabilities;
use crate::error::{Error, ErrorKind, Result};
use crate::events::{self, Hub, LoopGuard};
use crate::libvirt;
use crate::options::PoolFilter;
use crate::owned::Conn;
use crate::pool::Pool;
use crate::spec::{PoolSpec, PoolType};
use crate::trace::{self, change};
use crate::uri::Redactor;
use crate::volume::Volume;

/// A connection to libvirt (`virsh -c URI`). Cheap to clone; clones share the link.
/// `Send + Sync`: use it from any number of threads.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    /// As given to `open`; `None` means libvirt's default URI.
    uri: Option<String>,
    read_only: bool,
    /// libvirt's keepalive, set on every link this connection opens.
    keepalive: Option<KeepAlive>,
    link: RwLock<Link>,
    /// `pool-capabilities`, fetched once; `None` when the driver lacks the call.
    capabilities: OnceLock<Option<Arc<PoolCapabilities>>>,
    /// Event subscriptions of this connection, while there are any.
    events: Mutex<Weak<Hub>>,
    /// Held when the link was opened after libvirt's event loop was registered:
    /// libvirt then uses keepalive on it, which needs the loop running.
    loop_guard: Mutex<Option<LoopGuard>>,
    /// Volumes that a failed call created and could not remove because the daemon
    /// was gone; removed once the link is back and their pool runs.
    pending_removals: Mutex<Vec<PendingRemoval>>,
}

/// A volume to remove later, by pool UUID and name (its key may name a path that a
/// new volume takes over).
#[derive(Debug)]
struct PendingRemoval {
    pool: Uuid,
    volume: String,
}

/// libvirt's keepalive on a remote link (`virConnectSetKeepAlive`): a probe after
/// `interval` without traffic, and the link declared dead (calls on it fail at once
/// with [`ErrorKind::Connect`]) after `count` probes go unanswered. Needs libvirt's
/// event loop, which kvmpool runs while such a connection exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// Quiet time before a probe (whole seconds; at least one).
    pub interval: Duration,
    /// Unanswered probes before the link is dead.
    pub count: u32,
}

impl Default for KeepAlive {
    /// libvirt's defaults: 5 s, 5 probes.
    fn default() -> Self {
        KeepAlive {
            interval: Duration::from_secs(5),
            count: 5,
        }
    }
}

/// The current libvirt connection and a counter that changes on every reconnect, so
/// handles know when their cached libvirt objects are stale.
struct Link {
    conn: Option<Conn>,
    generation: u64,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("uri", &self.inner.uri)
            .field("read_only", &self.inner.read_only)
            .finish()
    }
}

impl Connection {
    /// Open `uri` (`qemu:///system`, `test:///default`, `storage:///system?socket=...`).
    pub fn open(uri: &str) -> Result<Connection> {
        Connection::open_with(Some(uri.to_owned()), false, None)
    }

    /// Open libvirt's default URI (`$LIBVIRT_DEFAULT_URI`, then libvirt's own rules).
    pub fn open_default() -> Result<Connection> {
        Connection::open_with(None, false, None)
    }

    /// Open read-only: listing and inspection work, changes are refused by libvirt.
    pub fn open_read_only(uri: Option<&str>) -> Result<Connection> {
        Connection::open_with(uri.map(str::to_owned), true, None)
    }

    /// Open with libvirt's keepalive on every link (a fleet's hosts). The caller holds
    /// libvirt's event loop (`events::acquire_loop`), which keepalive needs.
    pub(crate) fn open_with(
        uri: Option<String>,
        read_only: bool,
        keepalive: Option<KeepAlive>,
    ) -> Result<Connection> {
        libvirt::init();
        if let Some(u) = &uri {
            if u.contains('\0') {
                return Err(Error::invalid("uri", "must not contain a NUL byte"));
            }
        }
        let loop_guard = events::loop_guard_if_registered()?;
        let conn = connect(uri.as_deref(), read_only, keepalive)?;
        Ok(Connection {
            inner: Arc::new(Inner {
                uri,
                read_only,
                keepalive,
                link: RwLock::new(Link {
                    conn: Some(conn),
                    generation: 1,
                }),
                capabilities: OnceLock::new(),
                events: Mutex::new(Weak::new()),
                loop_guard: Mutex::new(loop_guard),
                pending_removals: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The URI as given to [`Connection::open`] (`None`: libvirt's default URI). A
    /// local read: no call to libvirt, so it never blocks, reconnects or fails.
    pub fn requested_uri(&self) -> Option<&str> {
        self.inner.uri.as_deref()
    }

    /// The URI libvirt reports for this connection (a call to libvirt).
    pub fn uri(&self) -> Result<String> {
        self.run("virConnectGetURI", |c, _| c.uri().map_err(libvirt::error))
    }

    /// True when the link to the daemon is up (a local check, no round trip).
    pub fn is_alive(&self) -> bool {
        let link = self.inner.link.read().unwrap_or_else(|e| e.into_inner());
        link.conn
            .as_ref()
            .is_some_and(|c| c.is_alive().unwrap_or(false))
    }

    /// Drop the current link and open a new one now.
    pub fn reconnect(&self) -> Result<()> {
        {
            let mut link = self.inner.link.write().unwrap_or_else(|e| e.into_inner());
            link.conn = None;
            link.conn = Some(self.open_link()?);
            link.generation += 1;
        }
        self.remove_pending();
        Ok(())
    }

    /// Remove `volume` of `pool` as soon as the link is back (after a reconnect or
    /// when the pool starts): a call created it and failed while the daemon was gone.
    pub(crate) fn remove_later(&self, pool: Uuid, volume: &str) {
        self.pending().push(PendingRemoval {
            pool,
            volume: volume.to_owned(),
        });
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<PendingRemoval>> {
        self.inner
            .pending_removals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Try the pending removals; keep those whose pool is not running or whose
    /// daemon is gone again, drop those done or whose pool or volume is gone.
    pub(crate) fn remove_pending(&self) {
        let pending = std::mem::take(&mut *self.pending());
        for removal in pending {
            if self.removal_must_wait(&removal) {
                self.pending().push(removal);
            }
        }
    }

    /// Try one removal; true when it has to wait for the link or for its pool to run.
    fn removal_must_wait(&self, removal: &PendingRemoval) -> bool {
        let result = self.pool_by_uuid(removal.pool).and_then(|pool| {
            if !pool.is_active()? {
                return Err(Error::new(ErrorKind::State, "pool not running"));
            }
            pool.volume(&removal.volume)?
                .delete(crate::DeleteMode::Normal)
        });
        result.is_err_and(|e| matches!(e.kind(), ErrorKind::Connect | ErrorKind::State))
    }

    /// True for libvirt's test driver, which runs inside this process (`test://`):
    /// every connection to a `test://` file is a host of its own.
    pub(crate) fn is_in_process(&self) -> bool {
        self.inner
            .uri
            .as_deref()
            .is_some_and(|u| u.starts_with("test:"))
    }

    /// Open a new libvirt link, holding the event loop if libvirt will use it (also
    /// a transfer's own connection, see `stream.rs`).
    pub(crate) fn open_link(&self) -> Result<Conn> {
        let guard = events::loop_guard_if_registered()?;
        let conn = connect(
            self.inner.uri.as_deref(),
            self.inner.read_only,
            self.inner.keepalive,
        )?;
        let mut held = self
            .inner
            .loop_guard
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if held.is_none() {
            *held = guard;
        }
        Ok(conn)
    }

    /// The connection's event hub, created with the first subscription.
    pub(crate) fn event_hub(&self) -> Result<Arc<Hub>> {
        events::hub_for(&self.inner.events, self.inner.uri.clone())
    }

    /// The current libvirt connection and its generation, reconnecting if the last
    /// call found the daemon gone.
    pub(crate) fn current(&self) -> Result<(Conn, u64)> {
        {
            let link = self.inner.link.read().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = &link.conn {
                return Ok((c.clone(), link.generation));
            }
        }
        let (conn, generation, reconnected) = {
            let mut link = self.inner.link.write().unwrap_or_else(|e| e.into_inner());
            let reconnected = link.conn.is_none();
            if reconnected {
                link.conn = Some(self.open_link()?);
                link.generation += 1;
            }
            let c = link.conn.as_ref().expect("just set");
            (c.clone(), link.generation, reconnected)
        };
        if reconnected {
            self.remove_pending();
        }
        Ok((conn, generation))
    }

    /// Run `f`, the libvirt call `call` (logged as such), on the current link. When it
    /// fails and the link is dead, forget the
    /// link (the next call reconnects) and report [`ErrorKind::Connect`].
    pub(crate) fn run<T>(
        &self,
        call: &'static str,
        f: impl FnOnce(&Conn, u64) -> Result<T>,
    ) -> Result<T> {
        let (conn, generation) = self.current()?;
        trace::libvirt_call(call, || f(&conn, generation)).map_err(|e| {
            if e.kind() != ErrorKind::Connect && conn.is_alive().unwrap_or(false) {
                return e;
            }
            self.forget(generation);
            e.link_lost()
        })
    }

    /// The daemon's pool capabilities, fetched on first use.
    pub(crate) fn cached_capabilities(&self) -> Result<Option<Arc<PoolCapabilities>>> {
        if let Some(caps) = self.inner.capabilities.get() {
            return Ok(caps.clone());
        }
        let caps = match self.pool_capabilities() {
            Ok(c) => Some(Arc::new(c)),
            Err(e) if e.kind() == ErrorKind::Unsupported => None,
            Err(e) => return Err(e),
        };
        Ok(self.inner.capabilities.get_or_init(|| caps).clone())
    }

    /// If the link is dead, forget it so the next call reconnects; true if it was.
    pub(crate) fn forget_if_dead(&self) -> bool {
        let mut link = self.inner.link.write().unwrap_or_else(|e| e.into_inner());
        let dead = link
            .conn
            .as_ref()
            .is_some_and(|c| !c.is_alive().unwrap_or(false));
        if dead {
            link.conn = None;
        }
        dead || link.conn.is_none()
    }

    fn forget(&self, generation: u64) {
        let mut link = self.inner.link.write().unwrap_or_else(|e| e.into_inner());
        if link.generation == generation {
            link.conn = None;
        }
    }

    // --- pools ------------------------------------------------------------------------

    /// Every pool (`pool-list --all`).
    pub fn pools(&self) -> Result<Vec<Pool>> {
        self.list_pools(&PoolFilter::all())
    }

    /// Pools matching a filter (`pool-list` with `--inactive`, `--transient`,
    /// `--autostart`, `--type`, ...). Sorted by name.
    pub fn list_pools(&self, filter: &PoolFilter) -> Result<Vec<Pool>> {
        let flags = libvirt::list_flags(filter);
        let mut pools = self.run("virConnectListAllStoragePools", |c, generation| {
            let found = c.list_all_storage_pools(flags).map_err(libvirt::error)?;
            found
                .into_iter()
                .map(|p| Pool::from_virt(self, p, generation))
                .collect::<Result<Vec<_>>>()
        })?;
        pools.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(pools)
    }

    /// The pool called `name` (`pool-info name`).
    pub fn pool(&self, name: &str) -> Result<Pool> {
        check_arg("name", name)?;
        self.run("virStoragePoolLookupByName", |c, generation| {
            let p = c
                .lookup_storage_pool_by_name(name)
                .map_err(libvirt::error)?;
            Pool::from_virt(self, p, generation)
        })
    }

    /// The pool with this UUID.
    pub fn pool_by_uuid(&self, uuid: Uuid) -> Result<Pool> {
        self.run("virStoragePoolLookupByUUIDString", |c, generation| {
            let p = c
                .lookup_storage_pool_by_uuid_string(&uuid.hyphenated().to_string())
                .map_err(libvirt::error)?;
            Pool::from_virt(self, p, generation)
        })
    }

    /// The pool whose target is `path`.
    pub fn pool_by_target_path(&self, path: &str) -> Result<Pool> {
        check_arg("path", path)?;
        self.run("virStoragePoolLookupByTargetPath", |c, generation| {
            let p = c
                .lookup_storage_pool_by_target_path(path)
                .map_err(libvirt::error)?;
            Pool::from_virt(self, p, generation)
        })
    }

    /// The pool a virsh argument names (`virsh pool-info POOL`): by UUID when the
    /// argument is one, else (and when no pool has that UUID) by name.
    pub fn lookup_pool(&self, name_or_uuid: &str) -> Result<Pool> {
        if let Ok(uuid) = Uuid::parse_str(name_or_uuid) {
            match self.pool_by_uuid(uuid) {
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                found => return found,
            }
        }
        self.pool(name_or_uuid)
    }

    /// The volume a virsh argument names (`virsh vol-info VOL [--pool POOL]`): a
    /// volume of `pool` by name, then any volume by key, then by path. The error is
    /// the last look-up's.
    pub fn lookup_volume(&self, volume: &str, pool: Option<&Pool>) -> Result<Volume> {
        check_arg("volume", volume)?;
        if let Some(pool) = pool {
            match pool.volume(volume) {
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                found => return found,
            }
        }
        match self.volume_by_key(volume) {
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            found => return found,
        }
        self.volume_by_path(volume)
    }

    /// The pool called `name`, if there is one.
    pub fn find_pool(&self, name: &str) -> Result<Option<Pool>> {
        match self.pool(name) {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Define a persistent pool from a spec (`pool-define-as`). The spec is validated
    /// first; a pool of that name must not exist yet.
    pub fn define_pool(&self, spec: &PoolSpec) -> Result<Pool> {
        spec.validate()?;
        self.check_supported(spec)?;
        self.refuse_existing(spec.name())?;
        self.define_pool_xml_checked(&spec.to_xml(), spec.name())
    }

    /// Define a persistent pool from XML (`pool-define file.xml`). The XML is parsed
    /// first, so malformed documents never reach libvirt.
    pub fn define_pool_xml(&self, xml: &str) -> Result<Pool> {
        let spec = PoolSpec::from_xml(xml)?;
        spec.validate()?;
        self.check_supported(&spec)?;
        self.refuse_existing(spec.name())?;
        self.define_pool_xml_checked(xml, spec.name())
    }

    /// Redefine `name` from XML (used by `Pool::edit`): libvirt updates a pool when
    /// the name and UUID match.
    pub(crate) fn define_pool_xml_checked(&self, xml: &str, name: &str) -> Result<Pool> {
        let result = self.run("virStoragePoolDefineXML", |c, generation| {
            let p = c.define_storage_pool_xml(xml, 0).map_err(libvirt::error)?;
            Pool::from_virt(self, p, generation)
        });
        let pool = result.map_err(|e| self.explain_define_failure(e, name))?;
        change!("pool {name}: defined");
        Ok(pool)
    }

    /// Create and start a transient pool (`pool-create-as`), optionally building it
    /// first (`pool-create-as --build`).
    pub fn create_pool(&self, spec: &PoolSpec, build: Option<crate::BuildMode>) -> Result<Pool> {
        spec.validate()?;
        self.check_supported(spec)?;
        self.refuse_existing(spec.name())?;
        self.create_pool_xml_unchecked(&spec.to_xml(), spec.name(), build)
    }

    /// Create and start a transient pool from XML (`pool-create file.xml`).
    pub fn create_pool_xml(&self, xml: &str, build: Option<crate::BuildMode>) -> Result<Pool> {
        let spec = PoolSpec::from_xml(xml)?;
        spec.validate()?;
        self.check_supported(&spec)?;
        self.refuse_existing(spec.name())?;
        self.create_pool_xml_unchecked(xml, spec.name(), build)
    }

    fn create_pool_xml_unchecked(
        &self,
        xml: &str,
        name: &str,
        build: Option<crate::BuildMode>,
    ) -> Result<Pool> {
        let flags = libvirt::create_with_build_flags(build);
        let result = self.run("virStoragePoolCreateXML", |c, generation| {
            let p = c
                .create_storage_pool_xml(xml, flags)
                .map_err(libvirt::error)?;
            Pool::from_virt(self, p, generation)
        });
        let pool = result.map_err(|e| self.explain_define_failure(e, name))?;
        change!("pool {name}: created (transient) and started");
        Ok(pool)
    }

    /// libvirt reports a name or UUID clash as a generic "operation failed"; tell it
    /// apart by looking, not by reading the message.
    fn explain_define_failure(&self, e: Error, name: &str) -> Error {
        if e.kind() == ErrorKind::Libvirt && matches!(self.find_pool(name), Ok(Some(_))) {
            return e.with_kind(ErrorKind::AlreadyExists);
        }
        e
    }

    fn refuse_existing(&self, name: &str) -> Result<()> {
        if self.find_pool(name)?.is_some() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("a storage pool named {name:?} already exists"),
            ));
        }
        Ok(())
    }

    // --- volumes ----------------------------------------------------------------------

    /// The volume with this key (`vol-info --key`).
    pub fn volume_by_key(&self, key: &str) -> Result<Volume> {
        check_arg("key", key)?;
        self.run("virStorageVolLookupByKey", |c, generation| {
            let v = c.lookup_storage_vol_by_key(key).map_err(libvirt::error)?;
            Volume::from_virt(self, v, None, generation)
        })
    }

    /// The volume at this path (`vol-info /path`).
    pub fn volume_by_path(&self, path: &str) -> Result<Volume> {
        check_arg("path", path)?;
        self.run("virStorageVolLookupByPath", |c, generation| {
            let v = c.lookup_storage_vol_by_path(path).map_err(libvirt::error)?;
            Volume::from_virt(self, v, None, generation)
        })
    }

    /// The target path virt-install would use for a new pool of `ty` called `name`.
    pub fn default_target(ty: PoolType, name: &str) -> Option<String> {
        ty.default_target(name)
    }
}

/// Open a libvirt link; a failure is [`ErrorKind::Connect`] with the URI shown redacted.
pub(crate) fn connect(
    uri: Option<&str>,
    read_only: bool,
    keepalive: Option<KeepAlive>,
) -> Result<Conn> {
    // Never show what the URI holds beyond its shown form (a password, a token): libvirt
    // quotes the URI as given in some of its messages. (Scrubbed before the log sees it.)
    let redactor = uri.map(Redactor::new);
    let fail = |e: Error| match &redactor {
        Some(r) => e
            .scrubbed(r)
            .context(format!("cannot connect to {}", r.shown)),
        None => e.context("cannot connect to the default URI"),
    };
    let conn = trace::libvirt_call("virConnectOpen", || {
        Conn::open(uri, read_only)
            .map_err(|e| fail(libvirt::error(e).with_kind(ErrorKind::Connect)))
    })?;
    if let Some(k) = keepalive {
        let interval = i32::try_from(k.interval.as_secs().max(1)).unwrap_or(i32::MAX);
        match conn
            .set_keep_alive(interval, k.count)
            .map_err(libvirt::error)
        {
            // drivers inside this process (test://) have no link to keep alive
            Err(e) if e.kind() == ErrorKind::Unsupported => {}
            Err(e) => return Err(fail(e.context("cannot turn libvirt's keepalive on"))),
            Ok(()) => {}
        }
    }
    Ok(conn)
}

/// Arguments passed to libvirt as C strings must not hold NUL bytes.
pub(crate) fn check_arg(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.contains('\0') {
        return Err(Error::invalid(field, "must not contain a NUL byte"));
    }
    Ok(())
}
