//! `Pool` and `PoolInfo`.

use std::path::PathBuf;

use pyo3::prelude::*;

use kvmpool_core as core;

use crate::convert::{call, opt_enum, parse_enum, size};
use crate::spec::{PyPoolSpec, PyVolumeSpec};
use crate::volume::{checksums, transfer_options, PyTransferReport, PyVolume};

/// `pool-info`: state and sizes in bytes.
#[pyclass(frozen, module = "kvmpool", name = "PoolInfo", get_all, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyPoolInfo {
    /// "inactive", "building", "running", "degraded" or "inaccessible".
    state: &'static str,
    /// Total size.
    capacity: u64,
    /// Used.
    allocation: u64,
    /// Free.
    available: u64,
}

#[pymethods]
impl PyPoolInfo {
    fn __repr__(&self) -> String {
        format!(
            "PoolInfo(state={:?}, capacity={}, allocation={}, available={})",
            self.state, self.capacity, self.allocation, self.available
        )
    }
}

impl From<core::PoolInfo> for PyPoolInfo {
    fn from(i: core::PoolInfo) -> Self {
        PyPoolInfo {
            state: i.state.as_str(),
            capacity: i.capacity.as_bytes(),
            allocation: i.allocation.as_bytes(),
            available: i.available.as_bytes(),
        }
    }
}

/// A storage pool. Safe to share between threads.
#[pyclass(frozen, module = "kvmpool", name = "Pool")]
pub(crate) struct PyPool {
    pub(crate) inner: core::Pool,
}

impl From<core::Pool> for PyPool {
    fn from(inner: core::Pool) -> Self {
        PyPool { inner }
    }
}

#[pymethods]
impl PyPool {
    /// `pool-name`.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// `pool-uuid`.
    #[getter]
    fn uuid(&self) -> String {
        self.inner.uuid().hyphenated().to_string()
    }

    /// Whether the pool starts with the daemon (`pool-autostart`); settable.
    #[getter]
    fn autostart(&self, py: Python<'_>) -> PyResult<bool> {
        let p = &self.inner;
        call(py, || p.autostart())
    }

    #[setter]
    fn set_autostart(&self, py: Python<'_>, on: bool) -> PyResult<()> {
        let p = &self.inner;
        call(py, || p.set_autostart(on))
    }

    /// The pool type (`"dir"`, ...).
    #[getter]
    fn r#type(&self, py: Python<'_>) -> PyResult<&'static str> {
        let p = &self.inner;
        call(py, || p.pool_type().map(|t| t.as_str()))
    }

    /// `pool-info`.
    fn info(&self, py: Python<'_>) -> PyResult<PyPoolInfo> {
        let p = &self.inner;
        call(py, || p.info()).map(Into::into)
    }

    /// True when the pool is running.
    fn is_active(&self, py: Python<'_>) -> PyResult<bool> {
        let p = &self.inner;
        call(py, || p.is_active())
    }

    /// True when the pool has a persistent definition.
    fn is_persistent(&self, py: Python<'_>) -> PyResult<bool> {
        let p = &self.inner;
        call(py, || p.is_persistent())
    }

    /// `pool-build` (mode "normal", "overwrite" or "no-overwrite").
    #[pyo3(signature = (mode="normal"))]
    fn build(&self, py: Python<'_>, mode: &str) -> PyResult<()> {
        let mode = parse_enum("mode", mode)?;
        let p = &self.inner;
        call(py, || p.build(mode))
    }

    /// `pool-start` (with `build=` a build mode: `pool-start --build`).
    #[pyo3(signature = (build=None))]
    fn start(&self, py: Python<'_>, build: Option<&str>) -> PyResult<()> {
        let build = build.map(|b| parse_enum("build", b)).transpose()?;
        let p = &self.inner;
        call(py, || p.start_with_build(build))
    }

    /// `pool-destroy`.
    fn destroy(&self, py: Python<'_>) -> PyResult<()> {
        let p = &self.inner;
        call(py, || p.destroy())
    }

    /// `pool-delete` (mode "normal" or "zeroed").
    #[pyo3(signature = (mode="normal"))]
    fn delete(&self, py: Python<'_>, mode: &str) -> PyResult<()> {
        let mode = parse_enum("mode", mode)?;
        let p = &self.inner;
        call(py, || p.delete(mode))
    }

    /// `pool-undefine`.
    fn undefine(&self, py: Python<'_>) -> PyResult<()> {
        let p = &self.inner;
        call(py, || p.undefine())
    }

    /// `pool-refresh`.
    fn refresh(&self, py: Python<'_>) -> PyResult<()> {
        let p = &self.inner;
        call(py, || p.refresh())
    }

    /// `pool-dumpxml`.
    fn xml(&self, py: Python<'_>) -> PyResult<String> {
        let p = &self.inner;
        call(py, || p.xml())
    }

    /// `pool-dumpxml --inactive`.
    fn xml_inactive(&self, py: Python<'_>) -> PyResult<String> {
        let p = &self.inner;
        call(py, || p.xml_inactive())
    }

    /// The live definition, parsed.
    fn spec(&self, py: Python<'_>) -> PyResult<PyPoolSpec> {
        let p = &self.inner;
        call(py, || p.spec()).map(Into::into)
    }

    /// The definition to edit (inactive when the driver has one).
    fn persistent_spec(&self, py: Python<'_>) -> PyResult<PyPoolSpec> {
        let p = &self.inner;
        call(py, || p.persistent_spec()).map(Into::into)
    }

    /// `pool-edit`: redefine from a changed spec (same name and type; UUID kept).
    fn edit(&self, py: Python<'_>, spec: &PyPoolSpec) -> PyResult<()> {
        let (p, s) = (&self.inner, &spec.inner);
        call(py, || p.edit(s))
    }

    /// `vol-list`: the volumes, sorted by name.
    fn volumes(&self, py: Python<'_>) -> PyResult<Vec<PyVolume>> {
        let p = &self.inner;
        Ok(call(py, || p.volumes())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// `vol-list --details`: dicts with name, key, path, type, capacity, allocation
    /// and (with `formats=True`) format. `method`: "auto" (files read in this process
    /// where the daemon is local), "rpc" (libvirt's per-volume calls) or "local".
    #[pyo3(signature = (*, formats=false, method="auto"))]
    fn volume_details<'py>(
        &self,
        py: Python<'py>,
        formats: bool,
        method: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = core::InventoryOptions {
            formats,
            method: parse_enum("method", method)?,
            ..core::InventoryOptions::default()
        };
        let p = &self.inner;
        let json = call(py, || {
            p.volume_details_with(&options)
                .map(|v| core::volume_entries_json(&v))
        })?;
        py.import("json")?.call_method1("loads", (json,))
    }

    /// The volume names, sorted.
    fn volume_names(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let p = &self.inner;
        call(py, || p.volume_names())
    }

    /// The volume called `name` (NotFoundError if there is none).
    fn volume(&self, py: Python<'_>, name: &str) -> PyResult<PyVolume> {
        let p = &self.inner;
        call(py, || p.volume(name)).map(Into::into)
    }

    /// The volume called `name`, or None.
    fn find_volume(&self, py: Python<'_>, name: &str) -> PyResult<Option<PyVolume>> {
        let p = &self.inner;
        Ok(call(py, || p.find_volume(name))?.map(Into::into))
    }

    /// `vol-create-as`: a new volume from a spec.
    fn create_volume(&self, py: Python<'_>, spec: &PyVolumeSpec) -> PyResult<PyVolume> {
        let (p, s) = (&self.inner, &spec.inner);
        call(py, || p.create_volume(s)).map(Into::into)
    }

    /// `vol-create FILE`: a new volume from XML.
    fn create_volume_xml(&self, py: Python<'_>, xml: &str) -> PyResult<PyVolume> {
        let p = &self.inner;
        call(py, || p.create_volume_xml(xml)).map(Into::into)
    }

    /// `vol-create-from`: a copy of `source` (any pool) as a new volume here.
    fn create_volume_from(
        &self,
        py: Python<'_>,
        spec: &PyVolumeSpec,
        source: &PyVolume,
    ) -> PyResult<PyVolume> {
        let (p, s, src) = (&self.inner, &spec.inner, &source.inner);
        call(py, || p.create_volume_from(s, src)).map(Into::into)
    }

    /// Create a volume and upload a file into it; removed again if anything fails.
    #[pyo3(signature = (spec, path, *, sparse=false, progress=None, method="auto"))]
    fn create_volume_from_file(
        &self,
        py: Python<'_>,
        spec: &PyVolumeSpec,
        path: PathBuf,
        sparse: bool,
        progress: Option<Py<PyAny>>,
        method: &str,
    ) -> PyResult<(PyVolume, PyTransferReport)> {
        let method = parse_enum("method", method)?;
        let (opts, failure) = transfer_options(sparse, 0, None, progress, method);
        let (p, s) = (&self.inner, &spec.inner);
        let result = py.detach(|| p.create_volume_from_file(s, &path, &opts));
        crate::volume::finish_transfer(result, failure).map(|(v, r)| (v.into(), r.into()))
    }

    /// Import a disk image (a local file or an http(s) URL) into a new volume: the
    /// format from its header, the volume created with it and the image's virtual
    /// size, the bytes streamed sparsely, the checksums checked on the way; on any
    /// failure or cancel the new volume is deleted again.
    #[pyo3(signature = (
        source, *, name=None, format=None, capacity=None, sha256=None, sha512=None,
        sparse=true, progress=None, overwrite=false, allow_backing=None, convert_to=None,
        temp_dir=None, timeout=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn import_image(
        &self,
        py: Python<'_>,
        source: &str,
        name: Option<String>,
        format: Option<&str>,
        capacity: Option<&Bound<'_, PyAny>>,
        sha256: Option<&str>,
        sha512: Option<&str>,
        sparse: bool,
        progress: Option<Py<PyAny>>,
        overwrite: bool,
        allow_backing: Option<String>,
        convert_to: Option<&str>,
        temp_dir: Option<PathBuf>,
        timeout: Option<u64>,
    ) -> PyResult<PyVolume> {
        let (transfer, failure) =
            transfer_options(sparse, 0, None, progress, core::TransferMethod::Auto);
        let options = core::ImportOptions {
            name,
            format: opt_enum("format", format)?,
            capacity: capacity.map(|c| size("capacity", c)).transpose()?,
            checksums: checksums(sha256, sha512)?,
            sparse,
            progress: transfer.progress,
            overwrite,
            allow_backing,
            convert_to: opt_enum("convert_to", convert_to)?,
            temp_dir,
            timeout: timeout.map_or(core::DEFAULT_IMPORT_TIMEOUT, std::time::Duration::from_secs),
            ..core::ImportOptions::default()
        };
        let p = &self.inner;
        let result = py.detach(|| p.import_image(source, &options));
        crate::volume::finish_transfer(result, failure).map(|(v, _report)| v.into())
    }

    fn __repr__(&self) -> String {
        format!("<kvmpool.Pool {:?}>", self.inner.name())
    }
}
