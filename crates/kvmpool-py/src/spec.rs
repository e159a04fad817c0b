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
pub(crate) fn to_python<'py>(py: Python<'py>, v: FieldValue) -> PyResult<Bound<'py, PyAny>> {
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

/// `{keyword: value}` as the core's fields (keywords the table does not know are
/// refused by the core's enum parsing, naming the keyword).
fn dict_fields<T>(fields: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(T, FieldValue)>>
where
    T: std::str::FromStr<Err = kvmpool_core::UnknownValue>,
{
    let mut out = Vec::new();
    for (key, v) in fields.into_iter().flatten() {
        let key: String = key.extract()?;
        out.push((parse_enum::<T>(&key, &key)?, value(Some(&v))));
    }
    Ok(out)
}

#[pymethods]
impl PyPoolSpec {
    /// A spec of `pool_type` from its fields: what the per-type constructors
    /// (`PoolSpec.dir(...)`, made in `kvmpool/__init__.py` from `pool_fields()`) call.
    #[staticmethod]
    #[pyo3(signature = (pool_type, fields=None))]
    fn _build(pool_type: &str, fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let ty: PoolType = parse_enum("pool_type", pool_type)?;
        core::PoolSpec::from_fields(ty, dict_fields(fields)?)
            .map(Into::into)
            .map_err(to_py)
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
        let mut spec = self.inner.clone();
        spec.set_fields(dict_fields::<F>(changes)?).map_err(to_py)?;
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
    /// copy-on-write space) says otherwise. The keywords are the core's volume fields.
    #[new]
    #[pyo3(signature = (name, capacity, **fields))]
    fn new(
        name: &Bound<'_, PyAny>,
        capacity: &Bound<'_, PyAny>,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut all = vec![
            (V::Name, value(Some(name))),
            (V::Capacity, value(Some(capacity))),
        ];
        all.extend(dict_fields::<V>(fields)?);
        core::VolumeSpec::from_fields(all)
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
        let mut inner = self.inner.clone();
        inner
            .set_fields(dict_fields::<V>(changes)?)
            .map_err(to_py)?;
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

/// The fields a pool of `pool_type` holds (the keywords of its constructor):
/// `[(name, required, positional), ...]`, positional ones first, in order.
#[pyfunction]
pub(crate) fn pool_fields(pool_type: &str) -> PyResult<Vec<(&'static str, bool, bool)>> {
    let ty: PoolType = parse_enum("pool_type", pool_type)?;
    Ok(ty
        .fields()
        .iter()
        .map(|r| (r.field.as_str(), r.required, r.positional))
        .collect())
}

/// The keywords `VolumeSpec` takes besides `name` and `capacity`.
#[pyfunction]
pub(crate) fn volume_fields() -> Vec<&'static str> {
    V::ALL.iter().skip(2).map(|f| f.as_str()).collect()
}
