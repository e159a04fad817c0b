//! `PoolSpec` and `VolumeSpec`: the core specs, built from keyword arguments.

use pyo3::prelude::*;

use kvmpool_core as core;
use kvmpool_core::{Adapter, Auth, BackingStore, Host, PoolType, SecretRef, SourceDevice, Target};

use crate::convert::{opt_enum, opt_size, parse_enum, permissions, size, uuid};
use crate::errors::{invalid, to_py};

/// A storage pool definition (one of libvirt's pool types).
#[pyclass(frozen, module = "kvmpool", name = "PoolSpec", eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyPoolSpec {
    pub(crate) inner: core::PoolSpec,
}

impl From<core::PoolSpec> for PyPoolSpec {
    fn from(inner: core::PoolSpec) -> Self {
        PyPoolSpec { inner }
    }
}

fn target_of(
    ty: PoolType,
    name: &str,
    target: Option<String>,
    perms: Option<core::Permissions>,
) -> Target {
    let path = target
        .or_else(|| ty.default_target(name))
        .unwrap_or_default();
    Target {
        path,
        permissions: perms,
    }
}

fn host(name: String, port: Option<u16>) -> Host {
    Host { name, port }
}

fn auth(
    auth_type: core::AuthType,
    username: Option<String>,
    secret_uuid: Option<&str>,
    secret_usage: Option<String>,
) -> PyResult<Option<Auth>> {
    let Some(username) = username else {
        if secret_uuid.is_some() || secret_usage.is_some() {
            return Err(invalid("source.auth.username", "is required with a secret"));
        }
        return Ok(None);
    };
    let secret = match (secret_uuid, secret_usage) {
        (Some(u), None) => SecretRef::Uuid(uuid("source.auth.secret.uuid", u)?),
        (None, Some(usage)) => SecretRef::Usage(usage),
        (Some(_), Some(_)) => {
            return Err(invalid(
                "source.auth.secret",
                "give either a secret uuid or a usage, not both",
            ))
        }
        (None, None) => {
            return Err(invalid(
                "source.auth.secret",
                "a secret uuid or usage is required",
            ))
        }
    };
    Ok(Some(Auth {
        auth_type,
        username,
        secret,
    }))
}

fn set_uuid(spec: &mut core::PoolSpec, value: Option<&str>) -> PyResult<()> {
    if let Some(u) = value {
        spec.set_uuid(Some(uuid("uuid", u)?));
    }
    Ok(())
}

fn finish(mut spec: core::PoolSpec, pool_uuid: Option<&str>) -> PyResult<PyPoolSpec> {
    set_uuid(&mut spec, pool_uuid)?;
    Ok(spec.into())
}

#[pymethods]
impl PyPoolSpec {
    /// A directory pool (`pool-define-as NAME dir --target TARGET`).
    #[staticmethod]
    #[pyo3(signature = (name, target=None, *, uuid=None, mode=None, owner=None, group=None, label=None, cow=None))]
    #[allow(clippy::too_many_arguments)]
    fn dir(
        name: String,
        target: Option<String>,
        uuid: Option<&str>,
        mode: Option<u32>,
        owner: Option<i64>,
        group: Option<i64>,
        label: Option<String>,
        cow: Option<bool>,
    ) -> PyResult<Self> {
        let t = target_of(
            PoolType::Dir,
            &name,
            target,
            permissions(mode, owner, group, label),
        );
        let mut p = core::DirPool::new(name, t);
        p.cow = cow;
        finish(p.into(), uuid)
    }

    /// A file-system pool on a block device (`--source-dev DEV --target TARGET`).
    #[staticmethod]
    #[pyo3(signature = (name, source_dev, target=None, format="auto", *, uuid=None, mode=None, owner=None, group=None, label=None, mount_options=None))]
    #[allow(clippy::too_many_arguments)]
    fn fs(
        name: String,
        source_dev: String,
        target: Option<String>,
        format: &str,
        uuid: Option<&str>,
        mode: Option<u32>,
        owner: Option<i64>,
        group: Option<i64>,
        label: Option<String>,
        mount_options: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let t = target_of(
            PoolType::Fs,
            &name,
            target,
            permissions(mode, owner, group, label),
        );
        let mut p =
            core::FsPool::new(name, source_dev, t).format(parse_enum("source.format", format)?);
        p.mount_options = mount_options.unwrap_or_default();
        finish(p.into(), uuid)
    }

    /// A network file system pool (`--source-host HOST --source-path PATH`).
    #[staticmethod]
    #[pyo3(signature = (name, host, source_path, target=None, format="auto", *, port=None, protocol_version=None, uuid=None, mode=None, owner=None, group=None, label=None, mount_options=None))]
    #[allow(clippy::too_many_arguments)]
    fn netfs(
        name: String,
        host: String,
        source_path: String,
        target: Option<String>,
        format: &str,
        port: Option<u16>,
        protocol_version: Option<String>,
        uuid: Option<&str>,
        mode: Option<u32>,
        owner: Option<i64>,
        group: Option<i64>,
        label: Option<String>,
        mount_options: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let t = target_of(
            PoolType::Netfs,
            &name,
            target,
            permissions(mode, owner, group, label),
        );
        let mut p = core::NetfsPool::new(name, self::host(host, port), source_path, t)
            .format(parse_enum("source.format", format)?);
        p.protocol_version = protocol_version;
        p.mount_options = mount_options.unwrap_or_default();
        finish(p.into(), uuid)
    }

    /// An LVM volume group pool (`--source-name VG`); its target is `/dev/VG`.
    #[staticmethod]
    #[pyo3(signature = (name, vg=None, devices=None, target=None, format="lvm2", *, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn logical(
        name: String,
        vg: Option<String>,
        devices: Option<Vec<String>>,
        target: Option<String>,
        format: &str,
        uuid: Option<&str>,
        mode: Option<u32>,
        owner: Option<i64>,
        group: Option<i64>,
        label: Option<String>,
    ) -> PyResult<Self> {
        let vg = vg.unwrap_or_else(|| name.clone());
        let mut p = core::LogicalPool::new(name, vg);
        if let Some(t) = target {
            if t.trim_end_matches('/') != p.target_path() {
                return Err(invalid(
                    "target.path",
                    format!("a logical pool's target is {}, not {t:?}", p.target_path()),
                ));
            }
        }
        p.devices = devices
            .unwrap_or_default()
            .into_iter()
            .map(SourceDevice::new)
            .collect();
        p.format = parse_enum("source.format", format)?;
        p.permissions = permissions(mode, owner, group, label);
        finish(p.into(), uuid)
    }

    /// A whole-disk pool (`--source-dev /dev/sdc --source-format gpt`); volumes are partitions.
    #[staticmethod]
    #[pyo3(signature = (name, device, format="unknown", target=None, *, part_separator=None, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn disk(
        name: String,
        device: String,
        format: &str,
        target: Option<String>,
        part_separator: Option<bool>,
        uuid: Option<&str>,
        mode: Option<u32>,
        owner: Option<i64>,
        group: Option<i64>,
        label: Option<String>,
    ) -> PyResult<Self> {
        let t = target_of(
            PoolType::Disk,
            &name,
            target,
            permissions(mode, owner, group, label),
        );
        let mut dev = SourceDevice::new(device);
        dev.part_separator = part_separator;
        let p = core::DiskPool::new(name, dev)
            .format(parse_enum("source.format", format)?)
            .target(t);
        finish(p.into(), uuid)
    }

    /// An iSCSI pool through the kernel initiator (`--source-host HOST --source-dev IQN`).
    #[staticmethod]
    #[pyo3(signature = (name, host, iqn, target=None, *, port=None, initiator=None, vendor=None, product=None, auth_username=None, auth_secret_uuid=None, auth_secret_usage=None, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn iscsi(
        name: String,
        host: String,
        iqn: String,
        target: Option<String>,
        port: Option<u16>,
        initiator: Option<String>,
        vendor: Option<String>,
        product: Option<String>,
        auth_username: Option<String>,
        auth_secret_uuid: Option<&str>,
        auth_secret_usage: Option<String>,
        uuid: Option<&str>,
        mode: Option<u32>,
        owner: Option<i64>,
        group: Option<i64>,
        label: Option<String>,
    ) -> PyResult<Self> {
        let t = target_of(
            PoolType::Iscsi,
            &name,
            target,
            permissions(mode, owner, group, label),
        );
        let mut p = core::IscsiPool::new(name, self::host(host, port), iqn).target(t);
        p.initiator = initiator;
        p.vendor = vendor;
        p.product = product;
        p.auth = auth(
            core::AuthType::Chap,
            auth_username,
            auth_secret_uuid,
            auth_secret_usage,
        )?;
        finish(p.into(), uuid)
    }

    /// An iSCSI pool through libiscsi (no kernel initiator); needs an initiator IQN.
    #[staticmethod]
    #[pyo3(signature = (name, host, iqn, initiator, *, port=None, auth_username=None, auth_secret_uuid=None, auth_secret_usage=None, uuid=None))]
    #[allow(clippy::too_many_arguments)]
    fn iscsi_direct(
        name: String,
        host: String,
        iqn: String,
        initiator: String,
        port: Option<u16>,
        auth_username: Option<String>,
        auth_secret_uuid: Option<&str>,
        auth_secret_usage: Option<String>,
        uuid: Option<&str>,
    ) -> PyResult<Self> {
        let mut p = core::IscsiDirectPool::new(name, self::host(host, port), iqn, initiator);
        p.auth = auth(
            core::AuthType::Chap,
            auth_username,
            auth_secret_uuid,
            auth_secret_usage,
        )?;
        finish(p.into(), uuid)
    }

    /// A SCSI host adapter pool (`adapter` is the scsi_host name, e.g. `host0`).
    #[staticmethod]
    #[pyo3(signature = (name, adapter, target=None, *, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn scsi(
        name: String,
        adapter: String,
        target: Option<String>,
        uuid: Option<&str>,
        mode: Option<u32>,
        owner: Option<i64>,
        group: Option<i64>,
        label: Option<String>,
    ) -> PyResult<Self> {
        let t = target_of(
            PoolType::Scsi,
            &name,
            target,
            permissions(mode, owner, group, label),
        );
        finish(
            core::ScsiPool::new(name, Adapter::scsi_host(adapter))
                .target(t)
                .into(),
            uuid,
        )
    }

    /// A multipath pool (target `/dev/mapper`).
    #[staticmethod]
    #[pyo3(signature = (name, target=None, *, uuid=None))]
    fn mpath(name: String, target: Option<String>, uuid: Option<&str>) -> PyResult<Self> {
        let t = target_of(PoolType::Mpath, &name, target, None);
        finish(core::MpathPool::new(name).target(t).into(), uuid)
    }

    /// A Ceph RBD pool: monitors, and the Ceph pool name.
    #[staticmethod]
    #[pyo3(signature = (name, hosts, source_name, *, port=None, auth_username=None, auth_secret_uuid=None, auth_secret_usage=None, config_options=None, uuid=None))]
    #[allow(clippy::too_many_arguments)]
    fn rbd(
        name: String,
        hosts: Vec<String>,
        source_name: String,
        port: Option<u16>,
        auth_username: Option<String>,
        auth_secret_uuid: Option<&str>,
        auth_secret_usage: Option<String>,
        config_options: Option<Vec<(String, String)>>,
        uuid: Option<&str>,
    ) -> PyResult<Self> {
        let mut monitors = hosts.into_iter().map(|h| self::host(h, port));
        let first = monitors
            .next()
            .ok_or_else(|| invalid("source.host", "at least one monitor is required"))?;
        let mut p = core::RbdPool::new(name, first, source_name);
        p.hosts.extend(monitors);
        p.auth = auth(
            core::AuthType::Ceph,
            auth_username,
            auth_secret_uuid,
            auth_secret_usage,
        )?;
        p.config_options = config_options.unwrap_or_default();
        finish(p.into(), uuid)
    }

    /// A Sheepdog pool.
    #[staticmethod]
    #[pyo3(signature = (name, host, *, port=None, source_name=None, uuid=None))]
    fn sheepdog(
        name: String,
        host: String,
        port: Option<u16>,
        source_name: Option<String>,
        uuid: Option<&str>,
    ) -> PyResult<Self> {
        let mut p = core::SheepdogPool::new(name, self::host(host, port));
        if let Some(s) = source_name {
            p.source_name = s;
        }
        finish(p.into(), uuid)
    }

    /// A GlusterFS volume through libgfapi (`dir` inside the volume, `/` for all of it).
    #[staticmethod]
    #[pyo3(signature = (name, host, volume, *, dir="/", port=None, uuid=None))]
    fn gluster(
        name: String,
        host: String,
        volume: String,
        dir: &str,
        port: Option<u16>,
        uuid: Option<&str>,
    ) -> PyResult<Self> {
        finish(
            core::GlusterPool::new(name, self::host(host, port), volume)
                .dir(dir)
                .into(),
            uuid,
        )
    }

    /// A ZFS pool (`zpool` defaults to the pool name); its target is `/dev/zvol/ZPOOL`.
    #[staticmethod]
    #[pyo3(signature = (name, zpool=None, devices=None, *, uuid=None))]
    fn zfs(
        name: String,
        zpool: Option<String>,
        devices: Option<Vec<String>>,
        uuid: Option<&str>,
    ) -> PyResult<Self> {
        let zpool = zpool.unwrap_or_else(|| name.clone());
        let mut p = core::ZfsPool::new(name, zpool);
        p.devices = devices
            .unwrap_or_default()
            .into_iter()
            .map(SourceDevice::new)
            .collect();
        finish(p.into(), uuid)
    }

    /// A Virtuozzo storage cluster mounted on `target`.
    #[staticmethod]
    #[pyo3(signature = (name, cluster, target, *, uuid=None))]
    fn vstorage(
        name: String,
        cluster: String,
        target: String,
        uuid: Option<&str>,
    ) -> PyResult<Self> {
        finish(core::VstoragePool::new(name, cluster, target).into(), uuid)
    }

    /// Parse libvirt pool XML (`pool-dumpxml`, or a file for `pool-define`).
    #[staticmethod]
    fn from_xml(xml: &str) -> PyResult<Self> {
        core::PoolSpec::from_xml(xml).map(Into::into).map_err(to_py)
    }

    /// The pool XML (unknown elements of a parsed document are written back).
    fn to_xml(&self) -> String {
        self.inner.to_xml()
    }

    /// Check against libvirt's rules and kvmpool's stricter ones; raises InvalidSpecError.
    fn validate(&self) -> PyResult<()> {
        self.inner.validate().map_err(to_py)
    }

    /// True when `current` (a pool's definition) already is what this spec asks for.
    fn satisfied_by(&self, current: &PyPoolSpec) -> bool {
        self.inner.satisfied_by(&current.inner)
    }

    /// True when both define the same pool after libvirt's normalisation.
    fn same_definition(&self, other: &PyPoolSpec) -> bool {
        self.inner.same_definition(&other.inner)
    }

    /// The pool name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The pool type (`"dir"`, `"fs"`, ...).
    #[getter]
    fn r#type(&self) -> &'static str {
        self.inner.pool_type().as_str()
    }

    /// The UUID, when the spec has one.
    #[getter]
    fn uuid(&self) -> Option<String> {
        self.inner.uuid().map(|u| u.hyphenated().to_string())
    }

    /// Where the pool's volumes appear on the host, for types with a target.
    #[getter]
    fn target_path(&self) -> Option<String> {
        self.inner.target_path()
    }

    fn __repr__(&self) -> String {
        format!(
            "PoolSpec.{}({:?})",
            self.inner.pool_type().as_str().replace('-', "_"),
            self.inner.name()
        )
    }
}

/// A storage volume definition.
#[pyclass(frozen, module = "kvmpool", name = "VolumeSpec", eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyVolumeSpec {
    pub(crate) inner: core::VolumeSpec,
}

#[pymethods]
impl PyVolumeSpec {
    /// A volume of `capacity` (bytes, or a string like `"10G"`), allocated as suits the
    /// pool type unless `allocation` or `preallocation` ("sparse", "metadata", "full")
    /// says otherwise; `sparse_lv` (logical pools) asks for a snapshot-backed sparse LV
    /// with that much copy-on-write space.
    #[new]
    #[pyo3(signature = (name, capacity, *, format=None, allocation=None, preallocation=None, sparse_lv=None, mode=None, owner=None, group=None, label=None, backing_store=None, backing_format=None, compat=None, features=None, nocow=false, cluster_size=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: String,
        capacity: &Bound<'_, PyAny>,
        format: Option<&str>,
        allocation: Option<&Bound<'_, PyAny>>,
        preallocation: Option<&str>,
        sparse_lv: Option<&Bound<'_, PyAny>>,
        mode: Option<u32>,
        owner: Option<i64>,
        group: Option<i64>,
        label: Option<String>,
        backing_store: Option<String>,
        backing_format: Option<&str>,
        compat: Option<String>,
        features: Option<Vec<String>>,
        nocow: bool,
        cluster_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut v = core::VolumeSpec::new(name, size("capacity", capacity)?);
        v.format = opt_enum("format", format)?;
        v = match preallocation {
            None => v,
            Some("sparse") => v.preallocation(core::Preallocation::Sparse),
            Some("metadata") => v.preallocation(core::Preallocation::Metadata),
            Some("full") => v.preallocation(core::Preallocation::Full),
            Some(other) => {
                return Err(invalid(
                    "preallocation",
                    format!("{other:?} is not sparse, metadata or full"),
                ))
            }
        };
        if let Some(a) = opt_size("allocation", allocation)? {
            v.allocation = core::Allocation::Bytes(a);
        }
        if let Some(cow) = opt_size("sparse_lv", sparse_lv)? {
            v.allocation = core::Allocation::SparseLv(cow);
        }
        v.permissions = permissions(mode, owner, group, label);
        v.backing_store = match backing_store {
            None => None,
            Some(path) => Some(BackingStore {
                path,
                format: opt_enum("backing_store.format", backing_format)?,
                permissions: None,
            }),
        };
        v.compat = compat;
        if let Some(names) = features {
            let parsed = names
                .iter()
                .map(|f| parse_enum("features", f))
                .collect::<PyResult<Vec<core::VolumeFeature>>>()?;
            if v.compat.is_none() {
                v.compat = Some("1.1".into());
            }
            v.features = Some(parsed);
        }
        v.nocow = nocow;
        v.cluster_size = opt_size("cluster_size", cluster_size)?;
        Ok(PyVolumeSpec { inner: v })
    }

    /// Parse libvirt volume XML (`vol-dumpxml`, or a file for `vol-create`).
    #[staticmethod]
    fn from_xml(xml: &str) -> PyResult<Self> {
        core::VolumeSpec::from_xml(xml)
            .map(|inner| PyVolumeSpec { inner })
            .map_err(to_py)
    }

    /// The volume XML.
    fn to_xml(&self) -> String {
        self.inner.to_xml()
    }

    /// The XML as libvirt formats a volume of a pool of `pool_type`.
    fn to_xml_in(&self, pool_type: &str) -> PyResult<String> {
        Ok(self.inner.to_xml_in(parse_enum("pool_type", pool_type)?))
    }

    /// Check the spec; raises InvalidSpecError naming the field.
    fn validate(&self) -> PyResult<()> {
        self.inner.validate().map_err(to_py)
    }

    /// The volume name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Capacity in bytes.
    #[getter]
    fn capacity(&self) -> u64 {
        self.inner.capacity.as_bytes()
    }

    /// Allocation in bytes (`None`: what suits the pool type it is created in).
    #[getter]
    fn allocation(&self) -> Option<u64> {
        match self.inner.allocation {
            core::Allocation::PoolDefault => None,
            other => Some(other.bytes(self.inner.capacity, None).as_bytes()),
        }
    }

    /// The format (`"qcow2"`, `"raw"`, ...), when set.
    #[getter]
    fn format(&self) -> Option<&'static str> {
        self.inner.format.map(|f| f.as_str())
    }

    /// The key (from `vol-dumpxml`).
    #[getter]
    fn key(&self) -> Option<&str> {
        self.inner.key.as_deref()
    }

    /// The target path (from `vol-dumpxml`).
    #[getter]
    fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }

    /// The backing store path, when the volume has one.
    #[getter]
    fn backing_store(&self) -> Option<&str> {
        self.inner.backing_store.as_ref().map(|b| b.path.as_str())
    }

    fn __repr__(&self) -> String {
        format!(
            "VolumeSpec({:?}, capacity={})",
            self.inner.name,
            self.inner.capacity.as_bytes()
        )
    }
}

/// The target path virt-install uses for a new pool of `pool_type` called `name`.
#[pyfunction]
pub(crate) fn default_target(pool_type: &str, name: &str) -> PyResult<Option<String>> {
    Ok(parse_enum::<PoolType>("pool_type", pool_type)?.default_target(name))
}

/// The pool types kvmpool knows, as libvirt spells them.
#[pyfunction]
pub(crate) fn pool_types() -> Vec<&'static str> {
    PoolType::ALL.iter().map(|t| t.as_str()).collect()
}
