//! `Volume`: a storage volume handle. Info, XML, clone, resize, wipe, delete.
//! Uploads and downloads are in `stream.rs`.

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::conn::Connection;
use crate::error::{Error, Result};
use crate::libvirt::{self, retry_busy};
use crate::options::{DeleteMode, Resize, VolumeInfo, WipeAlgorithm};
use crate::owned::VolObj;
use crate::pool::Pool;
use crate::spec::{Allocation, PoolType, VolumeSpec};
use crate::trace::change;
use crate::units::Size;

/// A storage volume. Cheap to clone, `Send + Sync`. The handle is tied to the volume's
/// key: after a reconnect it finds the volume again.
#[derive(Clone)]
pub struct Volume {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Connection,
    name: String,
    key: String,
    pool_name: Option<String>,
    cached: Mutex<Option<(u64, VolObj)>>,
}

impl fmt::Debug for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Volume")
            .field("name", &self.inner.name)
            .field("key", &self.inner.key)
            .finish()
    }
}

impl Volume {
    pub(crate) fn from_virt(
        conn: &Connection,
        vol: VolObj,
        pool_name: Option<String>,
        generation: u64,
    ) -> Result<Volume> {
        let name = vol.name().map_err(libvirt::error)?;
        let key = vol.key().map_err(libvirt::error)?;
        Ok(Volume {
            inner: Arc::new(Inner {
                conn: conn.clone(),
                name,
                key,
                pool_name,
                cached: Mutex::new(Some((generation, vol))),
            }),
        })
    }

    /// Run `f` on the libvirt volume object of the current connection.
    pub(crate) fn with<T>(
        &self,
        call: &'static str,
        f: impl FnOnce(&VolObj) -> Result<T>,
    ) -> Result<T> {
        self.inner.conn.run(call, |c, generation| {
            let vol = {
                let mut cached = self.inner.cached.lock().unwrap_or_else(|e| e.into_inner());
                match &*cached {
                    Some((g, v)) if *g == generation => v.clone(),
                    _ => {
                        let v = c
                            .lookup_storage_vol_by_key(&self.inner.key)
                            .map_err(libvirt::error)?;
                        *cached = Some((generation, v.clone()));
                        v
                    }
                }
            };
            f(&vol)
        })
    }

    /// The connection this volume belongs to.
    pub fn connection(&self) -> &Connection {
        &self.inner.conn
    }

    /// `pool/name` (the name alone when the pool is not known), for messages.
    pub(crate) fn display_name(&self) -> String {
        match self.pool_name() {
            Some(pool) => format!("{pool}/{}", self.name()),
            None => self.name().to_owned(),
        }
    }

    /// `vol-name`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// `vol-key`.
    pub fn key(&self) -> &str {
        &self.inner.key
    }

    /// The name of the pool, when the handle came from that pool.
    pub fn pool_name(&self) -> Option<&str> {
        self.inner.pool_name.as_deref()
    }

    /// `vol-path`.
    pub fn path(&self) -> Result<String> {
        self.with("virStorageVolGetPath", |v| v.path().map_err(libvirt::error))
    }

    /// `vol-pool`: the pool holding this volume.
    pub fn pool(&self) -> Result<Pool> {
        if let Some(name) = &self.inner.pool_name {
            return self.inner.conn.pool(name);
        }
        self.inner
            .conn
            .run("virStoragePoolLookupByVolume", |_, generation| {
                self.with("virStoragePoolLookupByVolume", |v| {
                    let p = v.lookup_storage_pool().map_err(libvirt::error)?;
                    Pool::from_virt(&self.inner.conn, p, generation)
                })
            })
    }

    /// `vol-info`: type, capacity, allocation (one round trip).
    pub fn info(&self) -> Result<VolumeInfo> {
        self.with("virStorageVolGetInfo", |v| {
            let i = v.info().map_err(libvirt::error)?;
            Ok(VolumeInfo {
                volume_type: libvirt::volume_type(i.kind),
                capacity: Size::bytes(i.capacity),
                allocation: Size::bytes(i.allocation),
            })
        })
    }

    /// `vol-info --physical`: the size on the host (file size, device size).
    pub fn physical(&self) -> Result<Size> {
        self.with("virStorageVolGetInfoFlags", |v| {
            let i = v
                .info_flags(virt::sys::VIR_STORAGE_VOL_GET_PHYSICAL)
                .map_err(libvirt::error)?;
            Ok(Size::bytes(i.allocation))
        })
    }

    /// `vol-dumpxml`.
    pub fn xml(&self) -> Result<String> {
        self.with("virStorageVolGetXMLDesc", |v| {
            v.xml_desc(0).map_err(libvirt::error)
        })
    }

    /// The definition, parsed (with libvirt's runtime figures in `runtime`).
    pub fn spec(&self) -> Result<VolumeSpec> {
        VolumeSpec::from_xml(&self.xml()?)
    }

    /// `vol-clone`: a copy called `name` in the same pool, same format and capacity.
    /// With `reflink`, a copy-on-write clone where the file system allows it.
    pub fn clone_as(&self, name: &str, reflink: bool) -> Result<Volume> {
        crate::spec::check::name("name", name)?;
        let mut spec = self.spec()?;
        spec.name = name.to_owned();
        spec.key = None;
        spec.path = None;
        let pool = self.pool()?;
        let ty = pool.pool_type()?;
        if ty == PoolType::Logical {
            // A copy of a sparse LV writes its whole capacity: into another sparse LV
            // it would overflow the copy-on-write space, so the clone is a plain LV.
            spec.allocation = Allocation::Full;
        }
        let flags = if reflink {
            virt::sys::VIR_STORAGE_VOL_CREATE_REFLINK
        } else {
            0
        };
        pool.create_from_xml(name, &spec.to_xml_in(ty), self, flags)
    }

    /// `vol-resize`.
    pub fn resize(&self, resize: Resize) -> Result<()> {
        if resize.delta && resize.capacity == Size::ZERO {
            return Err(Error::invalid(
                "capacity",
                "a resize by 0 bytes changes nothing",
            ));
        }
        let flags = libvirt::resize_flags(&resize);
        retry_busy(|| {
            self.with("virStorageVolResize", |v| {
                v.resize(resize.capacity.as_bytes(), flags)
                    .map_err(libvirt::error)
            })
        })?;
        change!("volume {}: resized ({resize})", self.display_name());
        Ok(())
    }

    /// `vol-wipe`.
    pub fn wipe(&self, algorithm: WipeAlgorithm) -> Result<()> {
        let flags = libvirt::wipe_algorithm(algorithm);
        retry_busy(|| {
            self.with("virStorageVolWipePattern", |v| {
                v.wipe_pattern(flags, 0).map_err(libvirt::error)
            })
        })
        .map_err(libvirt::invalid_arg_is_unsupported)?;
        change!("volume {}: wiped ({algorithm})", self.display_name());
        Ok(())
    }

    /// `vol-delete`.
    pub fn delete(&self, mode: DeleteMode) -> Result<()> {
        let flags = libvirt::vol_delete_flags(mode);
        retry_busy(|| {
            self.with("virStorageVolDelete", |v| {
                v.delete(flags).map_err(libvirt::error)
            })
        })?;
        change!("volume {}: deleted", self.display_name());
        Ok(())
    }
}
