//! `Pool`: a storage pool handle. Lifecycle (build, start, destroy, delete, undefine),
//! info, XML, autostart, and its volumes.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use uuid::Uuid;

use crate::conn::{check_arg, Connection};
use crate::error::{Error, ErrorKind, Result};
use crate::libvirt::{self, retry_busy};
use crate::options::{BuildMode, DeleteMode, PoolInfo};
use crate::owned::{PoolObj, VolObj};
use crate::spec::{Allocation, PoolSpec, PoolType, VolumeSpec};
use crate::trace::change;
use crate::units::Size;
use crate::volume::Volume;

/// libvirt's vol-create-from locks the source pool, then the target pool, so copies
/// in opposite directions between two pools (or around a cycle of pools) deadlock
/// the whole daemon (libvirt 9.0 here, and its current source). Copies across pools
/// from this process therefore run one at a time; copies within a pool do not wait.
static CROSS_POOL_COPY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A storage pool. Cheap to clone, `Send + Sync`. The handle is tied to the pool's
/// UUID: after a reconnect it finds the pool again.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Connection,
    name: String,
    uuid: Uuid,
    pool_type: OnceLock<PoolType>,
    /// The libvirt object for a connection generation.
    cached: Mutex<Option<(u64, PoolObj)>>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("name", &self.inner.name)
            .field("uuid", &self.inner.uuid)
            .finish()
    }
}

impl Pool {
    pub(crate) fn from_virt(conn: &Connection, pool: PoolObj, generation: u64) -> Result<Pool> {
        let name = pool.name().map_err(libvirt::error)?;
        let uuid = pool.uuid().map_err(libvirt::error)?;
        Ok(Pool {
            inner: Arc::new(Inner {
                conn: conn.clone(),
                name,
                uuid,
                pool_type: OnceLock::new(),
                cached: Mutex::new(Some((generation, pool))),
            }),
        })
    }

    /// Run `f`, the libvirt call `call`, on the libvirt pool object of the current
    /// connection.
    pub(crate) fn with<T>(
        &self,
        call: &'static str,
        f: impl FnOnce(&PoolObj) -> Result<T>,
    ) -> Result<T> {
        self.with_generation(call, |p, _| f(p))
    }

    /// Like `with`, also passing the connection generation (for new handles).
    fn with_generation<T>(
        &self,
        call: &'static str,
        f: impl FnOnce(&PoolObj, u64) -> Result<T>,
    ) -> Result<T> {
        self.inner.conn.run(call, |c, generation| {
            let pool = {
                let mut cached = self.inner.cached.lock().unwrap_or_else(|e| e.into_inner());
                match &*cached {
                    Some((g, p)) if *g == generation => p.clone(),
                    _ => {
                        let uuid = self.inner.uuid.hyphenated().to_string();
                        let p = c
                            .lookup_storage_pool_by_uuid_string(&uuid)
                            .map_err(libvirt::error)?;
                        *cached = Some((generation, p.clone()));
                        p
                    }
                }
            };
            f(&pool, generation)
        })
    }

    /// The connection this pool belongs to.
    pub fn connection(&self) -> &Connection {
        &self.inner.conn
    }

    /// `pool-name`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// `pool-uuid`.
    pub fn uuid(&self) -> Uuid {
        self.inner.uuid
    }

    /// The pool type (read from its XML once).
    pub fn pool_type(&self) -> Result<PoolType> {
        if let Some(t) = self.inner.pool_type.get() {
            return Ok(*t);
        }
        let ty = self.spec()?.pool_type();
        Ok(*self.inner.pool_type.get_or_init(|| ty))
    }

    /// `pool-info`: state, capacity, allocation, available.
    pub fn info(&self) -> Result<PoolInfo> {
        self.with("virStoragePoolGetInfo", |p| {
            let i = p.info().map_err(libvirt::error)?;
            Ok(PoolInfo {
                state: libvirt::pool_state(i.state),
                capacity: Size::bytes(i.capacity),
                allocation: Size::bytes(i.allocation),
                available: Size::bytes(i.available),
            })
        })
    }

    /// True when the pool is running.
    pub fn is_active(&self) -> Result<bool> {
        self.with("virStoragePoolIsActive", |p| {
            p.is_active().map_err(libvirt::error)
        })
    }

    /// True when the pool has a persistent definition.
    pub fn is_persistent(&self) -> Result<bool> {
        self.with("virStoragePoolIsPersistent", |p| {
            p.is_persistent().map_err(libvirt::error)
        })
    }

    /// Whether the pool starts with the daemon.
    pub fn autostart(&self) -> Result<bool> {
        self.with("virStoragePoolGetAutostart", |p| {
            p.autostart().map_err(libvirt::error)
        })
    }

    /// `pool-autostart` (and `--disable`).
    pub fn set_autostart(&self, on: bool) -> Result<()> {
        self.with("virStoragePoolSetAutostart", |p| {
            p.set_autostart(on).map_err(libvirt::error)
        })?;
        let state = if on { "on" } else { "off" };
        change!("pool {}: autostart {state}", self.name());
        Ok(())
    }

    /// `pool-build`: create the directory, file system, label or volume group.
    pub fn build(&self, mode: BuildMode) -> Result<()> {
        let flags = libvirt::build_flags(mode);
        retry_busy(|| {
            self.with("virStoragePoolBuild", |p| {
                p.build(flags).map_err(libvirt::error)
            })
        })?;
        change!("pool {}: built ({mode})", self.name());
        Ok(())
    }

    /// `pool-start`.
    pub fn start(&self) -> Result<()> {
        self.start_with_build(None)
    }

    /// `pool-start --build` (and `--overwrite` / `--no-overwrite`).
    pub fn start_with_build(&self, build: Option<BuildMode>) -> Result<()> {
        let flags = libvirt::create_with_build_flags(build);
        retry_busy(|| {
            self.with("virStoragePoolCreate", |p| {
                p.create(flags).map_err(libvirt::error)
            })
        })?;
        match build {
            Some(mode) => change!("pool {}: built ({mode}) and started", self.name()),
            None => change!("pool {}: started", self.name()),
        }
        self.connection().remove_pending();
        Ok(())
    }

    /// `pool-destroy`: stop the pool (unmount, log out); data stays.
    pub fn destroy(&self) -> Result<()> {
        retry_busy(|| {
            self.with("virStoragePoolDestroy", |p| {
                p.destroy().map_err(libvirt::error)
            })
        })?;
        change!("pool {}: stopped", self.name());
        Ok(())
    }

    /// `pool-delete`: remove what `build` made (directory, volume group). The pool
    /// must be inactive.
    pub fn delete(&self, mode: DeleteMode) -> Result<()> {
        let flags = libvirt::pool_delete_flags(mode);
        retry_busy(|| {
            self.with("virStoragePoolDelete", |p| {
                p.delete(flags).map_err(libvirt::error)
            })
        })?;
        change!("pool {}: storage deleted ({mode})", self.name());
        Ok(())
    }

    /// `pool-undefine`: remove the persistent definition.
    pub fn undefine(&self) -> Result<()> {
        retry_busy(|| {
            self.with("virStoragePoolUndefine", |p| {
                p.undefine().map_err(libvirt::error)
            })
        })?;
        change!("pool {}: undefined", self.name());
        Ok(())
    }

    /// `pool-refresh`: rescan volumes.
    pub fn refresh(&self) -> Result<()> {
        retry_busy(|| {
            self.with("virStoragePoolRefresh", |p| {
                p.refresh(0).map_err(libvirt::error)
            })
        })?;
        change!("pool {}: refreshed", self.name());
        Ok(())
    }

    /// `pool-dumpxml`: the live definition.
    pub fn xml(&self) -> Result<String> {
        self.with("virStoragePoolGetXMLDesc", |p| {
            p.xml_desc(0).map_err(libvirt::error)
        })
    }

    /// `pool-dumpxml --inactive`: the definition used at next start.
    pub fn xml_inactive(&self) -> Result<String> {
        self.with("virStoragePoolGetXMLDesc", |p| {
            p.xml_desc(virt::sys::VIR_STORAGE_XML_INACTIVE)
                .map_err(libvirt::error)
        })
        .map_err(|e| {
            // The flag is valid; a driver that rejects it (the test driver) lacks it.
            if e.libvirt_code() == Some(virt::sys::VIR_ERR_INVALID_ARG as i32) {
                e.with_kind(ErrorKind::Unsupported)
            } else {
                e
            }
        })
    }

    /// The live definition, parsed.
    pub fn spec(&self) -> Result<PoolSpec> {
        PoolSpec::from_xml(&self.xml()?)
    }

    /// The definition to edit: inactive when the driver has one, else live.
    pub fn persistent_spec(&self) -> Result<PoolSpec> {
        match self.xml_inactive() {
            Ok(xml) => PoolSpec::from_xml(&xml),
            Err(e) if e.kind() == ErrorKind::Unsupported => self.spec(),
            Err(e) => Err(e),
        }
    }

    /// `pool-edit`: redefine the pool from a changed spec. The name and type must stay;
    /// the UUID is kept, and so is whatever the spec holds beyond kvmpool's model.
    pub fn edit(&self, spec: &PoolSpec) -> Result<()> {
        spec.validate()?;
        if spec.name() != self.name() {
            return Err(Error::invalid(
                "name",
                format!(
                    "a pool cannot be renamed ({:?} to {:?})",
                    self.name(),
                    spec.name()
                ),
            ));
        }
        let current = self.pool_type()?;
        if spec.pool_type() != current {
            return Err(Error::invalid(
                "type",
                format!("a {current} pool cannot become a {} pool", spec.pool_type()),
            ));
        }
        if let Some(u) = spec.uuid() {
            if u != self.uuid() {
                return Err(Error::invalid("uuid", "the UUID of a pool cannot change"));
            }
        }
        let mut spec = spec.clone();
        spec.set_uuid(Some(self.uuid()));
        self.inner
            .conn
            .define_pool_xml_checked(&spec.to_xml(), self.name())
            .map(|_| ())
    }

    // --- volumes ----------------------------------------------------------------------

    /// `vol-list`: the pool's volumes, sorted by name.
    pub fn volumes(&self) -> Result<Vec<Volume>> {
        let name = self.name().to_owned();
        let mut vols = self.with_generation("virStoragePoolListAllVolumes", |p, generation| {
            p.list_all_volumes(0)
                .map_err(libvirt::error)?
                .into_iter()
                .map(|v| Volume::from_virt(&self.inner.conn, v, Some(name.clone()), generation))
                .collect::<Result<Vec<_>>>()
        })?;
        vols.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(vols)
    }

    /// The names of the pool's volumes, sorted.
    pub fn volume_names(&self) -> Result<Vec<String>> {
        // Not virStoragePoolListVolumes: the virt crate reads at most 1024 names.
        let vols = self.with("virStoragePoolListAllVolumes", |p| {
            p.list_all_volumes(0).map_err(libvirt::error)
        })?;
        let mut names = vols
            .iter()
            .map(|v| v.name().map_err(libvirt::error))
            .collect::<Result<Vec<_>>>()?;
        names.sort();
        Ok(names)
    }

    /// The volume called `name` in this pool.
    pub fn volume(&self, name: &str) -> Result<Volume> {
        check_arg("name", name)?;
        let pool_name = self.name().to_owned();
        self.with_generation("virStorageVolLookupByName", |p, generation| {
            let v = p.lookup_storage_vol_by_name(name).map_err(libvirt::error)?;
            Volume::from_virt(&self.inner.conn, v, Some(pool_name), generation)
        })
    }

    /// The path `virsh vol-create-as --backing-vol` means: the path of the volume
    /// that `backing` names (a volume of this pool by name, any volume by key or by
    /// path), or `backing` itself when no volume does (a file libvirt does not manage).
    pub fn backing_path(&self, backing: &str) -> Result<String> {
        match self.inner.conn.lookup_volume(backing, Some(self)) {
            Ok(v) => v.path(),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(backing.to_owned()),
            Err(e) => Err(e),
        }
    }

    /// The volume called `name`, if there is one.
    pub fn find_volume(&self, name: &str) -> Result<Option<Volume>> {
        match self.volume(name) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `vol-create-as`: create a volume from a spec. The spec is checked against the
    /// pool type first; if libvirt fails after creating something, it is removed.
    pub fn create_volume(&self, spec: &VolumeSpec) -> Result<Volume> {
        let ty = self.pool_type()?;
        spec.validate_for(ty)?;
        if ty == PoolType::Disk {
            self.check_partition_name(&spec.name)?;
        }
        let flags = if spec.preallocate_metadata {
            virt::sys::VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA
        } else {
            0
        };
        let xml = spec.to_xml_in(ty);
        self.create_checked(&spec.name, "virStorageVolCreateXML", |p| {
            p.create_vol_xml(&xml, flags)
        })
    }

    /// `vol-create file.xml`: create a volume from XML (parsed first).
    pub fn create_volume_xml(&self, xml: &str) -> Result<Volume> {
        let spec = VolumeSpec::from_xml(xml)?;
        let ty = self.pool_type()?;
        spec.validate_for(ty)?;
        if ty == PoolType::Disk {
            self.check_partition_name(&spec.name)?;
        }
        self.create_checked(&spec.name, "virStorageVolCreateXML", |p| {
            p.create_vol_xml(xml, 0)
        })
    }

    /// `vol-create-from`: a new volume in this pool holding a copy of `source` (which
    /// may be in another pool). A zero capacity in the spec takes the source's.
    pub fn create_volume_from(&self, spec: &VolumeSpec, source: &Volume) -> Result<Volume> {
        let ty = self.pool_type()?;
        let mut spec = spec.clone();
        if spec.capacity == Size::ZERO {
            // libvirt's backends do this too, but not every driver (the test driver).
            spec.capacity = source.info()?.capacity;
            if let Allocation::Bytes(a) | Allocation::SparseLv(a) = &mut spec.allocation {
                *a = (*a).min(spec.capacity);
            }
        }
        spec.validate_for(ty)?;
        let xml = spec.to_xml_in(ty);
        self.create_from_xml(&spec.name, &xml, source, 0)
    }

    pub(crate) fn create_from_xml(
        &self,
        name: &str,
        xml: &str,
        source: &Volume,
        flags: u32,
    ) -> Result<Volume> {
        let source_pool = match source.pool_name() {
            Some(n) => n.to_owned(),
            None => source.pool()?.name().to_owned(),
        };
        let _one_at_a_time = (source_pool != self.name())
            .then(|| CROSS_POOL_COPY.lock().unwrap_or_else(|e| e.into_inner()));
        source.with("virStorageVolCreateXMLFrom", |src| {
            self.create_checked(name, "virStorageVolCreateXMLFrom", |p| {
                p.create_vol_xml_from(xml, src, flags)
            })
        })
    }

    /// Create through `create`, refusing an existing name up front and removing what
    /// libvirt leaves behind when it fails part-way.
    fn create_checked(
        &self,
        name: &str,
        call: &'static str,
        create: impl Fn(&PoolObj) -> std::result::Result<VolObj, virt::error::Error>,
    ) -> Result<Volume> {
        if self.find_volume(name)?.is_some() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("pool {:?} already has a volume {name:?}", self.name()),
            ));
        }
        let pool_name = self.name().to_owned();
        let created = self.with_generation(call, |p, generation| {
            let v = retry_busy(|| create(p).map_err(libvirt::error))?;
            Volume::from_virt(&self.inner.conn, v, Some(pool_name.clone()), generation)
        });
        let vol = created.map_err(|e| self.remove_leftover(name, e))?;
        change!("volume {pool_name}/{name}: created");
        Ok(vol)
    }

    /// After a failed create: delete volumes that appeared during it, and say so.
    /// After a failed create, remove a volume called `name` if libvirt left one. Only
    /// that name: other volumes that appeared meanwhile belong to other callers. When
    /// libvirt refused the name as taken, the volume there is someone else's.
    fn remove_leftover(&self, name: &str, err: Error) -> Error {
        if matches!(err.kind(), ErrorKind::Connect | ErrorKind::AlreadyExists)
            || self.refresh().is_err()
        {
            return err;
        }
        let note = match self.find_volume(name) {
            Ok(Some(v)) => match v.delete(DeleteMode::Normal) {
                Ok(()) => format!("removed the partly created volume {name:?}"),
                Err(e) => format!("could not remove the partly created volume {name:?}: {e}"),
            },
            _ => return err,
        };
        err.context(note)
    }

    /// Disk pools name a new partition after the device and the next partition number,
    /// and libvirt 9 leaks the partition when the name is wrong: check it first.
    fn check_partition_name(&self, name: &str) -> Result<()> {
        let PoolSpec::Disk(disk) = self.spec()? else {
            return Ok(());
        };
        let device = disk
            .device
            .path
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let separator = match disk.device.part_separator {
            Some(true) => "p",
            Some(false) => "",
            None if device.ends_with(|c: char| c.is_ascii_digit()) => "p",
            None => "",
        };
        let used: Vec<u32> = self
            .volume_names()?
            .iter()
            .filter_map(|n| {
                n.strip_prefix(&device)?
                    .strip_prefix(separator)?
                    .parse()
                    .ok()
            })
            .collect();
        let next = (1..).find(|n| !used.contains(n)).unwrap_or(1);
        let expected = format!("{device}{separator}{next}");
        if name != expected {
            return Err(Error::invalid(
                "name",
                format!(
                    "the next partition of disk pool {:?} is {expected:?}, not {name:?}",
                    self.name()
                ),
            ));
        }
        Ok(())
    }
}
