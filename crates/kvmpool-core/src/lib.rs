//! kvmpool: libvirt storage pools and volumes as a typed library — everything
//! `virsh pool-*` and `virsh vol-*` do.
//!
//! - [`Connection`]: open libvirt, list and look up pools and volumes, define and
//!   create pools, [`Connection::ensure_pool`].
//! - [`Pool`]: lifecycle, info, XML, autostart, volumes.
//! - [`Volume`]: info, XML, clone, resize, wipe, delete, upload, download,
//!   [`Volume::export`] to an image file.
//! - [`Pool::import_image`]: a disk image (file or http(s) URL) into a new volume.
//! - [`spec`]: typed pool and volume definitions ([`PoolSpec`], [`VolumeSpec`]) with
//!   libvirt-exact XML and validation before anything reaches libvirt.
//! - [`Size`]: sizes with libvirt's unit rules.
//! - [`Fleet`]: many hosts at once over libvirt's remote protocol: inventory, plan,
//!   apply with a canary, drift, shared storage, migration checks.
//! - [`Error`] and [`ErrorKind`]: one taxonomy for every front end.
//!
//! The tutorial's first steps, on libvirt's embedded test driver (no daemon needed):
//!
//! ```
//! use kvmpool_core::*;
//! let conn = Connection::open("test:///default")?;
//! let spec: PoolSpec = DirPool::new("guest_images", "/guest_images").into();
//! let pool = conn.define_pool(&spec)?;
//! pool.build(BuildMode::Normal)?;
//! pool.start()?;
//! pool.set_autostart(true)?;
//! let vol = pool.create_volume(&VolumeSpec::new("vm1.qcow2", Size::gib(10)).format(VolumeFormat::Qcow2))?;
//! println!("{} at {}", vol.name(), vol.path()?);
//! # Ok::<(), kvmpool_core::Error>(())
//! ```

#![warn(missing_docs)]
mod checksum;
mod conn;
mod discovery;
mod ensure;
pub mod error;
mod events;
mod export;
mod fleet;
mod http;
pub mod image;
mod import;
mod inventory;
mod libvirt;
mod local;
pub mod manifest;
mod options;
mod owned;
mod pipe;
mod pool;
mod qemu_img;
pub mod spec;
mod trace;
mod transfer;
pub mod units;
mod uri;
mod volume;
pub mod xml;

pub use checksum::{Checksum, ChecksumAlgorithm};
pub use conn::{Connection, KeepAlive};
pub use discovery::{PoolCapabilities, PoolSource, PoolTypeCapability, SourceQuery};
pub use ensure::EnsureReport;
pub use error::{Error, ErrorKind, LibvirtDetail, Result};
pub use events::{timeout_from_secs, EventReceiver, PoolEvent, PoolEventKind, Subscription};
pub use export::{ExportOptions, ExportReport};
pub use fleet::{
    is_shared_type, ApplyOutcome, Canary, DriftCell, DriftMatrix, DriftState, FieldDifference,
    Fleet, FleetApplyOptions, FleetOptions, FleetResult, HostResult, HostStatus, MigrationCheck,
    SharedPool, SharedSource, SharedStorage, SharedVolume, VolumeSighting, FLEET_SCHEMA,
};
pub use import::{ImportOptions, ImportReport, DEFAULT_IMPORT_TIMEOUT};
pub use inventory::{
    volume_entries_json, Inventory, InventoryMethod, InventoryOptions, PoolEntry, VolumeEntry,
};
pub use manifest::{
    Action, ActionKind, ApplyReport, Blocked, BuildPolicy, Manifest, ManifestPool, ManifestVolume,
    Plan, Policy,
};
pub use options::{
    BuildMode, DeleteMode, EnsureAction, EnsureOptions, PoolFilter, PoolInfo, PoolState, Resize,
    VolumeInfo, WipeAlgorithm,
};
pub use pool::Pool;
pub use spec::*;
pub use transfer::{
    CancelToken, InterruptFn, ProgressFn, TransferMethod, TransferOptions, TransferReport,
    CHUNK_BYTES, INTERRUPT_EVERY,
};
pub use units::Size;
pub use uri::redact_uri;
pub use uuid::Uuid;
pub use volume::Volume;
