//! `inventory`: every pool with its info and every volume with its info, in one call,
//! with as few round trips as libvirt allows.
//!
//! libvirt has no bulk call for volume details, so the cost is one `info` round trip
//! per volume (plus `path` where the key is not the path, plus XML only when formats
//! are asked for). Those calls are spread over a few threads: the daemon serves
//! requests of one connection in parallel, so latency overlaps.

use std::thread;

use serde::Serialize;

use crate::conn::Connection;
use crate::error::{ErrorKind, Result};
use crate::libvirt;
use crate::options::{PoolFilter, PoolState};
use crate::owned::VolObj;
use crate::pool::Pool;
use crate::spec::{PoolType, VolumeSpec, VolumeType};
use crate::units::Size;
use crate::volume::Volume;

/// What `inventory` collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventoryOptions {
    /// List volumes (otherwise pools only).
    pub volumes: bool,
    /// Read each volume's format from its XML (one more round trip per volume).
    pub formats: bool,
    /// Threads used for per-volume calls.
    pub threads: usize,
}

impl Default for InventoryOptions {
    fn default() -> Self {
        InventoryOptions {
            volumes: true,
            formats: false,
            threads: 8,
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
        let pools = self.list_pools(&PoolFilter::all())?;
        let mut entries = Vec::with_capacity(pools.len());
        for pool in &pools {
            match pool_entry(pool, options) {
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
    /// (and format when `formats`), sorted by name, read in parallel.
    pub fn volume_details(&self, formats: bool) -> Result<Vec<VolumeEntry>> {
        let options = InventoryOptions {
            formats,
            ..InventoryOptions::default()
        };
        volume_entries(self, self.pool_type()?, &options)
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
        pool_entry(self, &options)
    }
}

impl Volume {
    /// The volume as `vol-list --details` shows it (with key, and format when
    /// `formats`).
    pub fn entry(&self, formats: bool) -> Result<VolumeEntry> {
        let key_is_path = false;
        self.with("virStorageVolGetInfo", |v| {
            volume_entry(v, key_is_path, formats)
        })
    }
}

/// Volume entries as JSON (sizes in bytes).
pub fn volume_entries_json(entries: &[VolumeEntry]) -> String {
    serde_json::to_string_pretty(entries).expect("volume entries always serialise")
}

fn pool_entry(pool: &Pool, options: &InventoryOptions) -> Result<PoolEntry> {
    let info = pool.info()?;
    let spec = pool.spec()?;
    let pool_type = spec.pool_type();
    let volumes = if options.volumes && info.state == PoolState::Running {
        match volume_entries(pool, pool_type, options) {
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
        target: spec.target_path(),
        volumes,
    })
}

fn volume_entries(
    pool: &Pool,
    ty: PoolType,
    options: &InventoryOptions,
) -> Result<Vec<VolumeEntry>> {
    let vols = pool.with("virStoragePoolListAllVolumes", |p| {
        p.list_all_volumes(0).map_err(libvirt::error)
    })?;
    // File-based pools use the path as the key, which saves a round trip per volume.
    let key_is_path = matches!(ty, PoolType::Dir | PoolType::Fs | PoolType::Netfs);
    let threads = options.threads.clamp(1, 64);
    let per_thread = vols.len().div_ceil(threads).max(1);
    let mut entries = thread::scope(|scope| {
        let workers: Vec<_> = vols
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || volume_chunk(chunk, key_is_path, options.formats)))
            .collect();
        let mut all = Vec::with_capacity(vols.len());
        for w in workers {
            all.extend(w.join().expect("inventory worker panicked")?);
        }
        Ok::<_, crate::Error>(all)
    })?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// Entries for a slice of volumes; volumes deleted since the listing are skipped.
fn volume_chunk(chunk: &[VolObj], key_is_path: bool, formats: bool) -> Result<Vec<VolumeEntry>> {
    let mut out = Vec::with_capacity(chunk.len());
    for v in chunk {
        match volume_entry(v, key_is_path, formats) {
            Ok(e) => out.push(e),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn volume_entry(v: &VolObj, key_is_path: bool, formats: bool) -> Result<VolumeEntry> {
    let name = v.name().map_err(libvirt::error)?;
    let key = v.key().map_err(libvirt::error)?;
    let info = v.info().map_err(libvirt::error)?;
    let path = if key_is_path {
        key.clone()
    } else {
        v.path().map_err(libvirt::error)?
    };
    let format = if formats {
        let xml = v.xml_desc(0).map_err(libvirt::error)?;
        VolumeSpec::from_xml(&xml)?
            .format
            .map(|f| f.as_str().to_owned())
    } else {
        None
    };
    Ok(VolumeEntry {
        name,
        key,
        path,
        volume_type: libvirt::volume_type(info.kind),
        capacity: Size::bytes(info.capacity),
        allocation: Size::bytes(info.allocation),
        format,
    })
}
