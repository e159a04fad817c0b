//! `PoolSpec` and `VolumeSpec`: keyword arguments handed to the core's field table
//! (`PoolSpec::from_fields`, `VolumeSpec::from_fields`), which owns every rule,
//! default and message. The keywords are the table's field names.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};

use kvmpool_core as core;
use kvmpool_core::{FieldValue, PoolField as F, PoolType, VolumeField as V};

use crate::convert::parse_enum;
use crate::errors::to_py;

/// A Python value as the core takes field values: only its shape is read here.
pub(crate) fn value(obj: Option<&Bound<'_, PyAny>>) -> FieldValue {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return FieldValue::Unset;
    };
    if let Ok(b) = obj.cast::<PyBool>() {
        return FieldValue::Bool(b.is_true());
    }
    if obj.is_instance_of::<PyInt>() {
        return match obj.extract::<i128>() {
            Ok(n) => FieldValue::Int(n),
            Err(_) => FieldValue::Other("an integer beyond 128 bits".into()),
        };
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_cow().map_or_else(
            |_| FieldValue::Other("text that is not UTF-8".into()),
            |t| FieldValue::Text(t.into_owned()),
        );
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        if let Ok(items) = obj.extract::<Vec<String>>() {
            return FieldValue::List(items);
        }
        if let Ok(pairs) = obj.extract::<Vec<(String, String)>>() {
            return FieldValue::Pairs(pairs);
        }
        return FieldValue::Other("a list of mixed values".into());
    }
    let what = obj
        .get_type()
        .name()
        .map_or_else(|_| "an object".into(), |n| format!("a {n}"));
    FieldValue::Other(what)
}

/// A value as Python sees it.
fn to_python<'py>(py: Python<'py>, v: FieldValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        FieldValue::Unset | FieldValue::Other(_) => py.None().into_bound(py),
        FieldValue::Text(t) => t.into_pyobject(py)?.into_any(),
        FieldValue::Int(n) => n.into_pyobject(py)?.into_any(),
        FieldValue::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        FieldValue::List(l) => l.into_pyobject(py)?.into_any(),
        FieldValue::Pairs(p) => p.into_pyobject(py)?.into_any(),
    })
}

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

type Arg<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

fn build<const N: usize>(ty: PoolType, args: [(F, Arg<'_, '_>); N]) -> PyResult<PyPoolSpec> {
    let fields = args.map(|(f, a)| (f, value(a)));
    core::PoolSpec::from_fields(ty, fields)
        .map(Into::into)
        .map_err(to_py)
}

#[pymethods]
impl PyPoolSpec {
    /// A directory pool (`pool-define-as NAME dir --target TARGET`).
    #[staticmethod]
    #[pyo3(signature = (name, target=None, *, uuid=None, mode=None, owner=None, group=None, label=None, cow=None))]
    #[allow(clippy::too_many_arguments)]
    fn dir(
        name: &Bound<'_, PyAny>,
        target: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
        cow: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Dir,
            [
                (F::Name, Some(name)),
                (F::Target, target),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
                (F::Cow, cow),
            ],
        )
    }

    /// A file-system pool on a block device (`--source-dev DEV --target TARGET`).
    #[staticmethod]
    #[pyo3(signature = (name, source_dev, target=None, format=None, *, uuid=None, mode=None, owner=None, group=None, label=None, mount_options=None, cow=None))]
    #[allow(clippy::too_many_arguments)]
    fn fs(
        name: &Bound<'_, PyAny>,
        source_dev: &Bound<'_, PyAny>,
        target: Arg,
        format: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
        mount_options: Arg,
        cow: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Fs,
            [
                (F::Name, Some(name)),
                (F::SourceDev, Some(source_dev)),
                (F::Target, target),
                (F::Format, format),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
                (F::MountOptions, mount_options),
                (F::Cow, cow),
            ],
        )
    }

    /// A network file system pool (`--source-host HOST --source-path PATH`).
    #[staticmethod]
    #[pyo3(signature = (name, host, source_path, target=None, format=None, *, port=None, protocol_version=None, uuid=None, mode=None, owner=None, group=None, label=None, mount_options=None))]
    #[allow(clippy::too_many_arguments)]
    fn netfs(
        name: &Bound<'_, PyAny>,
        host: &Bound<'_, PyAny>,
        source_path: &Bound<'_, PyAny>,
        target: Arg,
        format: Arg,
        port: Arg,
        protocol_version: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
        mount_options: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Netfs,
            [
                (F::Name, Some(name)),
                (F::Host, Some(host)),
                (F::SourcePath, Some(source_path)),
                (F::Target, target),
                (F::Format, format),
                (F::Port, port),
                (F::ProtocolVersion, protocol_version),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
                (F::MountOptions, mount_options),
            ],
        )
    }

    /// An LVM volume group pool (`--source-name VG`); its target is `/dev/VG`.
    #[staticmethod]
    #[pyo3(signature = (name, vg=None, devices=None, target=None, format=None, *, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn logical(
        name: &Bound<'_, PyAny>,
        vg: Arg,
        devices: Arg,
        target: Arg,
        format: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Logical,
            [
                (F::Name, Some(name)),
                (F::Vg, vg),
                (F::Devices, devices),
                (F::Target, target),
                (F::Format, format),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
            ],
        )
    }

    /// A whole-disk pool (`--source-dev /dev/sdc --source-format gpt`); volumes are partitions.
    #[staticmethod]
    #[pyo3(signature = (name, device, format=None, target=None, *, part_separator=None, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn disk(
        name: &Bound<'_, PyAny>,
        device: &Bound<'_, PyAny>,
        format: Arg,
        target: Arg,
        part_separator: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Disk,
            [
                (F::Name, Some(name)),
                (F::Device, Some(device)),
                (F::Format, format),
                (F::Target, target),
                (F::PartSeparator, part_separator),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
            ],
        )
    }

    /// An iSCSI pool through the kernel initiator (`--source-host HOST --source-dev IQN`).
    #[staticmethod]
    #[pyo3(signature = (name, host, iqn, target=None, *, port=None, initiator=None, vendor=None, product=None, auth_type=None, auth_username=None, auth_secret_uuid=None, auth_secret_usage=None, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn iscsi(
        name: &Bound<'_, PyAny>,
        host: &Bound<'_, PyAny>,
        iqn: &Bound<'_, PyAny>,
        target: Arg,
        port: Arg,
        initiator: Arg,
        vendor: Arg,
        product: Arg,
        auth_type: Arg,
        auth_username: Arg,
        auth_secret_uuid: Arg,
        auth_secret_usage: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Iscsi,
            [
                (F::Name, Some(name)),
                (F::Host, Some(host)),
                (F::Iqn, Some(iqn)),
                (F::Target, target),
                (F::Port, port),
                (F::Initiator, initiator),
                (F::Vendor, vendor),
                (F::Product, product),
                (F::AuthType, auth_type),
                (F::AuthUsername, auth_username),
                (F::AuthSecretUuid, auth_secret_uuid),
                (F::AuthSecretUsage, auth_secret_usage),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
            ],
        )
    }

    /// An iSCSI pool through libiscsi (no kernel initiator); needs an initiator IQN.
    #[staticmethod]
    #[pyo3(signature = (name, host, iqn, initiator, *, port=None, auth_type=None, auth_username=None, auth_secret_uuid=None, auth_secret_usage=None, uuid=None))]
    #[allow(clippy::too_many_arguments)]
    fn iscsi_direct(
        name: &Bound<'_, PyAny>,
        host: &Bound<'_, PyAny>,
        iqn: &Bound<'_, PyAny>,
        initiator: &Bound<'_, PyAny>,
        port: Arg,
        auth_type: Arg,
        auth_username: Arg,
        auth_secret_uuid: Arg,
        auth_secret_usage: Arg,
        uuid: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::IscsiDirect,
            [
                (F::Name, Some(name)),
                (F::Host, Some(host)),
                (F::Iqn, Some(iqn)),
                (F::Initiator, Some(initiator)),
                (F::Port, port),
                (F::AuthType, auth_type),
                (F::AuthUsername, auth_username),
                (F::AuthSecretUuid, auth_secret_uuid),
                (F::AuthSecretUsage, auth_secret_usage),
                (F::Uuid, uuid),
            ],
        )
    }

    /// A SCSI host adapter pool (`adapter` is the scsi_host name, e.g. `host0`).
    #[staticmethod]
    #[pyo3(signature = (name, adapter, target=None, *, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn scsi(
        name: &Bound<'_, PyAny>,
        adapter: &Bound<'_, PyAny>,
        target: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Scsi,
            [
                (F::Name, Some(name)),
                (F::Adapter, Some(adapter)),
                (F::Target, target),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
            ],
        )
    }

    /// A multipath pool (target `/dev/mapper`).
    #[staticmethod]
    #[pyo3(signature = (name, target=None, *, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn mpath(
        name: &Bound<'_, PyAny>,
        target: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Mpath,
            [
                (F::Name, Some(name)),
                (F::Target, target),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
            ],
        )
    }

    /// A Ceph RBD pool: monitors, and the Ceph pool name.
    #[staticmethod]
    #[pyo3(signature = (name, hosts, source_name, *, port=None, auth_type=None, auth_username=None, auth_secret_uuid=None, auth_secret_usage=None, config_options=None, refresh_allocation=None, uuid=None))]
    #[allow(clippy::too_many_arguments)]
    fn rbd(
        name: &Bound<'_, PyAny>,
        hosts: &Bound<'_, PyAny>,
        source_name: &Bound<'_, PyAny>,
        port: Arg,
        auth_type: Arg,
        auth_username: Arg,
        auth_secret_uuid: Arg,
        auth_secret_usage: Arg,
        config_options: Arg,
        refresh_allocation: Arg,
        uuid: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Rbd,
            [
                (F::Name, Some(name)),
                (F::Hosts, Some(hosts)),
                (F::SourceName, Some(source_name)),
                (F::Port, port),
                (F::AuthType, auth_type),
                (F::AuthUsername, auth_username),
                (F::AuthSecretUuid, auth_secret_uuid),
                (F::AuthSecretUsage, auth_secret_usage),
                (F::ConfigOptions, config_options),
                (F::RefreshAllocation, refresh_allocation),
                (F::Uuid, uuid),
            ],
        )
    }

    /// A Sheepdog pool.
    #[staticmethod]
    #[pyo3(signature = (name, host, *, port=None, source_name=None, uuid=None))]
    fn sheepdog(
        name: &Bound<'_, PyAny>,
        host: &Bound<'_, PyAny>,
        port: Arg,
        source_name: Arg,
        uuid: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Sheepdog,
            [
                (F::Name, Some(name)),
                (F::Host, Some(host)),
                (F::Port, port),
                (F::SourceName, source_name),
                (F::Uuid, uuid),
            ],
        )
    }

    /// A GlusterFS volume through libgfapi (`dir` inside the volume, `/` for all of it).
    #[staticmethod]
    #[pyo3(signature = (name, host, volume, *, dir=None, port=None, uuid=None))]
    fn gluster(
        name: &Bound<'_, PyAny>,
        host: &Bound<'_, PyAny>,
        volume: &Bound<'_, PyAny>,
        dir: Arg,
        port: Arg,
        uuid: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Gluster,
            [
                (F::Name, Some(name)),
                (F::Host, Some(host)),
                (F::Volume, Some(volume)),
                (F::Dir, dir),
                (F::Port, port),
                (F::Uuid, uuid),
            ],
        )
    }

    /// A ZFS pool (`zpool` defaults to the pool name); its target is `/dev/zvol/ZPOOL`.
    #[staticmethod]
    #[pyo3(signature = (name, zpool=None, devices=None, *, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn zfs(
        name: &Bound<'_, PyAny>,
        zpool: Arg,
        devices: Arg,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Zfs,
            [
                (F::Name, Some(name)),
                (F::Zpool, zpool),
                (F::Devices, devices),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
            ],
        )
    }

    /// A Virtuozzo storage cluster mounted on `target`.
    #[staticmethod]
    #[pyo3(signature = (name, cluster, target, *, uuid=None, mode=None, owner=None, group=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn vstorage(
        name: &Bound<'_, PyAny>,
        cluster: &Bound<'_, PyAny>,
        target: &Bound<'_, PyAny>,
        uuid: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
    ) -> PyResult<Self> {
        build(
            PoolType::Vstorage,
            [
                (F::Name, Some(name)),
                (F::Cluster, Some(cluster)),
                (F::Target, Some(target)),
                (F::Uuid, uuid),
                (F::Mode, mode),
                (F::Owner, owner),
                (F::Group, group),
                (F::Label, label),
            ],
        )
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

    /// A copy with some fields changed (the constructor's keywords); `None` resets a
    /// field to its default.
    #[pyo3(signature = (**changes))]
    fn replace(&self, changes: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut fields = Vec::new();
        for (key, v) in changes.into_iter().flatten() {
            let key: String = key.extract()?;
            let field = parse_enum::<F>(&key, &key)?;
            fields.push((field, value(Some(&v))));
        }
        let mut spec = self.inner.clone();
        spec.set_fields(fields).map_err(to_py)?;
        Ok(spec.into())
    }

    /// The fields the spec sets, by keyword, as a dict.
    #[getter]
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (f, v) in self.inner.fields() {
            d.set_item(f.as_str(), to_python(py, v)?)?;
        }
        Ok(d)
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
    /// pool type unless `allocation`, `preallocation` ("sparse", "metadata", "full")
    /// or `sparse_lv` (logical pools: a snapshot-backed LV with that much
    /// copy-on-write space) says otherwise.
    #[new]
    #[pyo3(signature = (name, capacity, *, format=None, allocation=None, preallocation=None, sparse_lv=None, mode=None, owner=None, group=None, label=None, backing_store=None, backing_format=None, compat=None, features=None, nocow=None, cluster_size=None, luks_secret=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: &Bound<'_, PyAny>,
        capacity: &Bound<'_, PyAny>,
        format: Arg,
        allocation: Arg,
        preallocation: Arg,
        sparse_lv: Arg,
        mode: Arg,
        owner: Arg,
        group: Arg,
        label: Arg,
        backing_store: Arg,
        backing_format: Arg,
        compat: Arg,
        features: Arg,
        nocow: Arg,
        cluster_size: Arg,
        luks_secret: Arg,
    ) -> PyResult<Self> {
        let fields = [
            (V::Name, Some(name)),
            (V::Capacity, Some(capacity)),
            (V::Format, format),
            (V::Allocation, allocation),
            (V::Preallocation, preallocation),
            (V::SparseLv, sparse_lv),
            (V::Mode, mode),
            (V::Owner, owner),
            (V::Group, group),
            (V::Label, label),
            (V::BackingStore, backing_store),
            (V::BackingFormat, backing_format),
            (V::Compat, compat),
            (V::Features, features),
            (V::Nocow, nocow),
            (V::ClusterSize, cluster_size),
            (V::LuksSecret, luks_secret),
        ];
        core::VolumeSpec::from_fields(fields.map(|(f, a)| (f, value(a))))
            .map(|inner| PyVolumeSpec { inner })
            .map_err(to_py)
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

    /// A copy with some fields changed (the constructor's keywords).
    #[pyo3(signature = (**changes))]
    fn replace(&self, changes: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut fields = Vec::new();
        for (key, v) in changes.into_iter().flatten() {
            let key: String = key.extract()?;
            let field = parse_enum::<V>(&key, &key)?;
            fields.push((field, value(Some(&v))));
        }
        let mut inner = self.inner.clone();
        inner.set_fields(fields).map_err(to_py)?;
        Ok(PyVolumeSpec { inner })
    }

    /// The fields the spec sets, by keyword, as a dict.
    #[getter]
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (f, v) in self.inner.fields() {
            d.set_item(f.as_str(), to_python(py, v)?)?;
        }
        Ok(d)
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

/// The fields a pool of `pool_type` holds (the keywords of its constructor), and
/// whether each is required: `[(name, required), ...]`.
#[pyfunction]
pub(crate) fn pool_fields(pool_type: &str) -> PyResult<Vec<(&'static str, bool)>> {
    let ty: PoolType = parse_enum("pool_type", pool_type)?;
    Ok(ty
        .fields()
        .iter()
        .map(|r| (r.field.as_str(), r.required))
        .collect())
}
