//! `inventory`: every pool with its info and every volume with its info, in one call,
//! with as few round trips as libvirt allows.
//!
//! libvirt has no bulk call for volume details: through libvirt the cost is one `info`
//! round trip per volume (plus `path` where the key is not the path, plus XML when
//! formats are asked for), spread over a few threads ([`rpc`]). When the daemon runs
//! on this machine, the volumes of its file pools (dir, fs, netfs) are read from the
//! files instead, the way libvirt reads them ([`local`]): one listing call per pool,
//! then a `stat` and a header read per file. [`InventoryMethod`] chooses.

mod local;
mod rpc;

use std::thread;

use serde::Serialize;

use crate::conn::Connection;
use crate::error::{Error, ErrorKind, Result};
use crate::libvirt;
use crate::local::LocalDaemon;
use crate::options::{PoolFilter, PoolState};
use crate::owned::VolObj;
use crate::pool::Pool;
use crate::spec::names::string_enum;
use crate::spec::{PoolType, VolumeType};
use crate::units::Size;
use crate::volume::Volume;

use local::{Found, PoolFiles};

string_enum! {
    /// How volume details are read.
    ///
    /// - `auto` (the default): from the files when the connection's daemon runs on
    ///   this machine and the pool is a running dir, fs or netfs pool, as libvirt reads
    ///   them; through libvirt for everything else and for each volume the local read
    ///   cannot answer exactly (not a regular file or directory, a ploop directory, a
    ///   file this process may not open, the format of a raw or ISO file when formats
    ///   are asked for: libvirt keeps the format such a volume was created with).
    /// - `rpc`: libvirt's per-volume calls only (`vol-info`, and `vol-dumpxml` for
    ///   formats), as `virsh vol-list --details` makes them.
    /// - `local`: the local read for every volume of the dir, fs and netfs pools,
    ///   formats probed from the files; what it cannot read (a remote or test
    ///   connection, a pool directory not reachable from here, a volume `auto` would
    ///   ask libvirt about) is an [`ErrorKind::Unsupported`] error. Pools of other
    ///   types have no files to read: their volumes come from libvirt.
    ///
    /// libvirt re-reads a file's size, allocation and header on each `vol-info`, but
    /// reads the header in the format its last pool refresh probed (or the volume was
    /// created with). The local read probes the header as that refresh does, so both
    /// agree unless a file's header was rewritten behind libvirt's back since then (a
    /// guest writing an image or LUKS header onto its raw disk): libvirt then answers
    /// from the format it last saw, the local read from the file as it is, which is
    /// libvirt's answer after its next refresh. `rpc` gives libvirt's answer then.
    #[derive(Default)]
    pub enum InventoryMethod {
        #[default]
        Auto = "auto",
        Rpc = "rpc",
        Local = "local",
    }
}

/// What `inventory` collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventoryOptions {
    /// List volumes (otherwise pools only).
    pub volumes: bool,
    /// Each volume's format as libvirt's XML gives it (through libvirt: one more round
    /// trip per volume).
    pub formats: bool,
    /// Threads used for per-volume calls and file reads.
    pub threads: usize,
    /// How volume details are read.
    pub method: InventoryMethod,
}

impl Default for InventoryOptions {
    fn default() -> Self {
        InventoryOptions {
            volumes: true,
            formats: false,
            threads: 8,
            method: InventoryMethod::Auto,
        }
    }
}

/// Every pool and volume of a connection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inventory {
    /// Pools, sorted by name.
    pub pools: Vec<PoolEntry>,
}

/// A pool in an inventory (`pool-list --details` plus type and target).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolEntry {
    /// Name.
    pub name: String,
    /// UUID.
    pub uuid: String,
    /// Type.
    #[serde(rename = "type")]
    pub pool_type: PoolType,
    /// State.
    pub state: PoolState,
    /// Persistent definition.
    pub persistent: bool,
    /// Starts with the daemon.
    pub autostart: bool,
    /// Total size.
    pub capacity: Size,
    /// Used.
    pub allocation: Size,
    /// Free.
    pub available: Size,
    /// Target path, for types that have one.
    pub target: Option<String>,
    /// Volumes, sorted by name (empty for inactive pools).
    pub volumes: Vec<VolumeEntry>,
}

/// A volume in an inventory (`vol-list --details` plus key and format).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolumeEntry {
    /// Name.
    pub name: String,
    /// Key.
    pub key: String,
    /// Path.
    pub path: String,
    /// Type.
    #[serde(rename = "type")]
    pub volume_type: VolumeType,
    /// Capacity.
    pub capacity: Size,
    /// Allocation.
    pub allocation: Size,
    /// Format, when asked for.
    pub format: Option<String>,
}

impl Inventory {
    /// The inventory as JSON (sizes in bytes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("inventory values always serialise")
    }
}

impl Connection {
    /// Every pool with its info and, for running pools, every volume with its info.
    pub fn inventory(&self, options: &InventoryOptions) -> Result<Inventory> {
        let daemon = local_daemon(self, options.method)?;
        let pools = self.list_pools(&PoolFilter::all())?;
        let mut entries = Vec::with_capacity(pools.len());
        for pool in &pools {
            match pool_entry(pool, options, daemon.as_ref()) {
                Ok(entry) => entries.push(entry),
                // Undefined by someone else since the listing: not part of the snapshot.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Inventory { pools: entries })
    }
}

impl Pool {
    /// `vol-list --details`: every volume with path, type, capacity and allocation
    /// (and format when `formats`), sorted by name.
    pub fn volume_details(&self, formats: bool) -> Result<Vec<VolumeEntry>> {
        self.volume_details_with(&InventoryOptions {
            formats,
            ..InventoryOptions::default()
        })
    }

    /// [`Pool::volume_details`] with `options`' formats, threads and method (its
    /// `volumes` is ignored: the volumes are what is asked for).
    pub fn volume_details_with(&self, options: &InventoryOptions) -> Result<Vec<VolumeEntry>> {
        let daemon = local_daemon(self.connection(), options.method)?;
        let spec = self.spec()?;
        let target = spec.target_path();
        volume_entries(
            self,
            spec.pool_type(),
            target.as_deref(),
            options,
            daemon.as_ref(),
        )
    }
}

impl Pool {
    /// The pool as `pool-list --details` shows it (with type and target), without
    /// its volumes.
    pub fn entry(&self) -> Result<PoolEntry> {
        let options = InventoryOptions {
            volumes: false,
            ..InventoryOptions::default()
        };
        pool_entry(self, &options, None)
    }
}

impl Volume {
    /// The volume as `vol-list --details` shows it (with key, and format when
    /// `formats`).
    pub fn entry(&self, formats: bool) -> Result<VolumeEntry> {
        let key_is_path = false;
        self.with("virStorageVolGetInfo", |v| {
            rpc::volume_entry(v, key_is_path, formats)
        })
    }
}

/// Volume entries as JSON (sizes in bytes).
pub fn volume_entries_json(entries: &[VolumeEntry]) -> String {
    serde_json::to_string_pretty(entries).expect("volume entries always serialise")
}

/// The daemon whose files `method` may read: `None` for `rpc` and for a connection
/// whose daemon is not local; `local` without one is an error.
fn local_daemon(conn: &Connection, method: InventoryMethod) -> Result<Option<LocalDaemon>> {
    if method == InventoryMethod::Rpc {
        return Ok(None);
    }
    let daemon = LocalDaemon::of(conn);
    if daemon.is_none() && method == InventoryMethod::Local {
        return Err(unsupported(
            "the connection's daemon is not one on this machine whose files this process \
             can read (a remote or test:// URI, or no access to its /proc entry)",
        ));
    }
    Ok(daemon)
}

fn unsupported(reason: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("inventory method \"local\": {reason}"),
    )
}

fn pool_entry(
    pool: &Pool,
    options: &InventoryOptions,
    daemon: Option<&LocalDaemon>,
) -> Result<PoolEntry> {
    let info = pool.info()?;
    let spec = pool.spec()?;
    let pool_type = spec.pool_type();
    let target = spec.target_path();
    let volumes = if options.volumes && info.state == PoolState::Running {
        match volume_entries(pool, pool_type, target.as_deref(), options, daemon) {
            // Stopped by someone else since its info was read.
            Err(e) if e.kind() == ErrorKind::State => Vec::new(),
            other => other?,
        }
    } else {
        Vec::new()
    };
    Ok(PoolEntry {
        name: pool.name().to_owned(),
        uuid: pool.uuid().hyphenated().to_string(),
        pool_type,
        state: info.state,
        persistent: pool.is_persistent()?,
        autostart: pool.autostart()?,
        capacity: info.capacity,
        allocation: info.allocation,
        available: info.available,
        target,
        volumes,
    })
}

/// The entries of a pool's volumes, sorted by name, from the files where they can be
/// read, through libvirt for the rest.
fn volume_entries(
    pool: &Pool,
    ty: PoolType,
    target: Option<&str>,
    options: &InventoryOptions,
    daemon: Option<&LocalDaemon>,
) -> Result<Vec<VolumeEntry>> {
    let vols = pool.with("virStoragePoolListAllVolumes", |p| {
        p.list_all_volumes(0).map_err(libvirt::error)
    })?;
    // File-based pools use the path as the key, which saves a round trip per volume.
    let key_is_path = is_file_pool(ty);
    let files = pool_files(pool, ty, target, options.method, daemon)?;
    let mut entries = match &files {
        Some(files) => local_then_rpc(&vols, files, options)?,
        None => rpc::entries(&vols.iter().collect::<Vec<_>>(), key_is_path, options)?,
    };
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

fn is_file_pool(ty: PoolType) -> bool {
    matches!(ty, PoolType::Dir | PoolType::Fs | PoolType::Netfs)
}

/// The pool's files as this process reaches them, when `method` reads them locally.
fn pool_files(
    pool: &Pool,
    ty: PoolType,
    target: Option<&str>,
    method: InventoryMethod,
    daemon: Option<&LocalDaemon>,
) -> Result<Option<PoolFiles>> {
    let (Some(daemon), Some(target)) = (daemon, target) else {
        return Ok(None);
    };
    if !is_file_pool(ty) {
        return Ok(None);
    }
    let strict = method == InventoryMethod::Local;
    match PoolFiles::open(daemon, target) {
        Ok(files) => Ok(Some(files)),
        Err(e) if strict => Err(unsupported(format!(
            "pool {}: its directory {target} cannot be opened here: {e}",
            pool.name()
        ))),
        Err(_) => Ok(None),
    }
}

/// Read every volume's file; volumes only libvirt can answer for go through libvirt
/// (`auto`) or fail the call (`local`).
fn local_then_rpc(
    vols: &[VolObj],
    files: &PoolFiles,
    options: &InventoryOptions,
) -> Result<Vec<VolumeEntry>> {
    let strict = options.method == InventoryMethod::Local;
    let found = parallel(vols, options.threads, |v| {
        let name = v.name().map_err(libvirt::error)?;
        let key = v.key().map_err(libvirt::error)?;
        Ok(Some(files.read(name, key, options.formats)))
    })?;
    let mut entries = Vec::with_capacity(vols.len());
    let mut ask_libvirt = Vec::new();
    for (vol, found) in vols.iter().zip(found) {
        match found {
            // libvirt's format for these is the one the volume was created with.
            Found::Entry(e) if options.formats && !strict && local::format_may_be_older(&e) => {
                ask_libvirt.push(vol)
            }
            Found::Entry(entry) => entries.push(entry),
            Found::AskLibvirt { name, why } if strict => {
                return Err(unsupported(format!("volume {name}: {why}")))
            }
            Found::AskLibvirt { .. } => ask_libvirt.push(vol),
        }
    }
    tracing::debug!(
        target: "kvmpool",
        "inventory: {} volumes read from their files, {} asked of libvirt",
        entries.len(),
        ask_libvirt.len()
    );
    entries.extend(rpc::entries(&ask_libvirt, true, options)?);
    Ok(entries)
}

/// `f` on every item, on up to `threads` threads (1 to 64), results in item order;
/// `Ok(None)` leaves an item out; the first error (in item order) is returned.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Result<Option<R>> + Sync,
) -> Result<Vec<R>> {
    let per_thread = items.len().div_ceil(threads.clamp(1, 64)).max(1);
    let f = &f;
    thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(chunk.len());
                    for item in chunk {
                        out.extend(f(item)?);
                    }
                    Ok::<_, Error>(out)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(items.len());
        for w in workers {
            all.extend(w.join().expect("inventory worker panicked")?);
        }
        Ok(all)
    })
}
