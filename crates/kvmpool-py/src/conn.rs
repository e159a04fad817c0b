//! `connect`, `Connection`, and what hangs off it: ensure, discovery, capabilities,
//! inventory.

use pyo3::prelude::*;

use kvmpool_core as core;
use kvmpool_core::{
    EnsureAction, EnsureOptions, Host, InventoryOptions, PoolFilter, PoolType, SourceQuery,
};

use crate::convert::{call, opt_enum, parse_enum, uuid};
use crate::errors::to_py;
use crate::events::{PyEventIterator, PyPoolEvent, PySubscription};
use crate::manifest::{PyApplyReport, PyManifest, PyPlan};
use crate::pool::PyPool;
use crate::spec::PyPoolSpec;
use crate::volume::PyVolume;

/// Open a connection: `uri` (`qemu:///system`, `test:///default`, ...), or libvirt's
/// default when None.
#[pyfunction]
#[pyo3(signature = (uri=None, *, read_only=false))]
pub(crate) fn connect(
    py: Python<'_>,
    uri: Option<&str>,
    read_only: bool,
) -> PyResult<PyConnection> {
    // a program configures logging after importing kvmpool: look again now
    crate::logging::refresh_log_levels(py)?;
    let inner = call(py, || match (uri, read_only) {
        (_, true) => core::Connection::open_read_only(uri),
        (Some(u), false) => core::Connection::open(u),
        (None, false) => core::Connection::open_default(),
    })?;
    Ok(PyConnection { inner })
}

/// A connection to libvirt. Safe to share between threads.
#[pyclass(frozen, module = "kvmpool", name = "Connection")]
pub(crate) struct PyConnection {
    pub(crate) inner: core::Connection,
}

/// What `ensure_pool` did: `.pool`, `.actions` (e.g. `["defined", "built", "started"]`),
/// `.changed`.
#[pyclass(frozen, module = "kvmpool", name = "EnsureReport", get_all)]
pub(crate) struct PyEnsureReport {
    /// The pool.
    pool: Py<PyPool>,
    /// The changes made, in order.
    actions: Vec<String>,
    /// True when anything changed.
    changed: bool,
}

fn action_name(a: EnsureAction) -> String {
    match a {
        EnsureAction::Defined => "defined".into(),
        EnsureAction::Redefined => "redefined".into(),
        EnsureAction::Built => "built".into(),
        EnsureAction::Started => "started".into(),
        EnsureAction::Autostart(true) => "autostart-on".into(),
        EnsureAction::Autostart(false) => "autostart-off".into(),
    }
}

/// A pool source libvirt found (`find-storage-pool-sources`).
#[pyclass(frozen, module = "kvmpool", name = "PoolSource")]
pub(crate) struct PyPoolSource {
    inner: core::PoolSource,
}

#[pymethods]
impl PyPoolSource {
    /// The pool type it was found for.
    #[getter]
    fn r#type(&self) -> &'static str {
        self.inner.pool_type.as_str()
    }

    /// Host names.
    #[getter]
    fn hosts(&self) -> Vec<String> {
        self.inner.hosts.iter().map(|h| h.name.clone()).collect()
    }

    /// Device paths (physical volumes, iSCSI target IQNs).
    #[getter]
    fn devices(&self) -> Vec<String> {
        self.inner.devices.iter().map(|d| d.path.clone()).collect()
    }

    /// Exported directory or volume directory.
    #[getter]
    fn dir(&self) -> Option<&str> {
        self.inner.dir.as_deref()
    }

    /// Source name (volume group, gluster volume).
    #[getter]
    fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// Format (`lvm2`, `nfs`, `glusterfs`, ...).
    #[getter]
    fn format(&self) -> Option<&str> {
        self.inner.format.as_deref()
    }

    /// Initiator IQN (iSCSI).
    #[getter]
    fn initiator(&self) -> Option<&str> {
        self.inner.initiator.as_deref()
    }

    /// A pool spec for this source called `name` (target defaults by type).
    #[pyo3(signature = (name, target=None))]
    fn to_spec(&self, name: &str, target: Option<&str>) -> PyResult<PyPoolSpec> {
        self.inner
            .to_spec(name, target)
            .map(Into::into)
            .map_err(to_py)
    }

    fn __repr__(&self) -> String {
        format!(
            "<kvmpool.PoolSource {} {:?}>",
            self.inner.pool_type,
            self.inner.name.as_deref().or(self.inner.dir.as_deref())
        )
    }
}

/// `pool-capabilities`: what the daemon supports per pool type.
#[pyclass(frozen, module = "kvmpool", name = "PoolCapabilities")]
pub(crate) struct PyPoolCapabilities {
    inner: core::PoolCapabilities,
}

#[pymethods]
impl PyPoolCapabilities {
    /// The pool types the daemon knows.
    #[getter]
    fn types(&self) -> Vec<&'static str> {
        self.inner
            .pools
            .iter()
            .map(|p| p.pool_type.as_str())
            .collect()
    }

    /// Whether the daemon has a backend for `pool_type`.
    fn supported(&self, pool_type: &str) -> PyResult<bool> {
        let ty: PoolType = parse_enum("pool_type", pool_type)?;
        Ok(self.inner.get(ty).is_some_and(|c| c.supported))
    }

    /// Source formats `pool_type` accepts.
    fn pool_formats(&self, pool_type: &str) -> PyResult<Vec<String>> {
        let ty: PoolType = parse_enum("pool_type", pool_type)?;
        Ok(self
            .inner
            .get(ty)
            .map(|c| c.pool_formats.clone())
            .unwrap_or_default())
    }

    /// Volume formats `pool_type` accepts.
    fn volume_formats(&self, pool_type: &str) -> PyResult<Vec<String>> {
        let ty: PoolType = parse_enum("pool_type", pool_type)?;
        Ok(self
            .inner
            .get(ty)
            .map(|c| c.volume_formats.clone())
            .unwrap_or_default())
    }

    /// Raise UnsupportedError when the daemon cannot hold `spec`.
    fn check(&self, spec: &PyPoolSpec) -> PyResult<()> {
        self.inner.check(&spec.inner).map_err(to_py)
    }
}

fn filter(
    active: Option<bool>,
    persistent: Option<bool>,
    autostart: Option<bool>,
    types: Option<Vec<String>>,
) -> PyResult<PoolFilter> {
    let types = types
        .unwrap_or_default()
        .iter()
        .map(|t| parse_enum("types", t))
        .collect::<PyResult<Vec<PoolType>>>()?;
    Ok(PoolFilter {
        active,
        persistent,
        autostart,
        types,
    })
}

#[pymethods]
impl PyConnection {
    /// The URI libvirt reports.
    #[getter]
    fn uri(&self, py: Python<'_>) -> PyResult<String> {
        let c = &self.inner;
        call(py, || c.uri())
    }

    /// True when the link to the daemon is up.
    fn is_alive(&self, py: Python<'_>) -> bool {
        let c = &self.inner;
        py.detach(|| c.is_alive())
    }

    /// Open a new link now.
    fn reconnect(&self, py: Python<'_>) -> PyResult<()> {
        let c = &self.inner;
        call(py, || c.reconnect())
    }

    /// `pool-list` with filters (None: either).
    #[pyo3(signature = (*, active=None, persistent=None, autostart=None, types=None))]
    fn pools(
        &self,
        py: Python<'_>,
        active: Option<bool>,
        persistent: Option<bool>,
        autostart: Option<bool>,
        types: Option<Vec<String>>,
    ) -> PyResult<Vec<PyPool>> {
        let f = filter(active, persistent, autostart, types)?;
        let c = &self.inner;
        Ok(call(py, || c.list_pools(&f))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The pool called `name` (NotFoundError if none).
    fn pool(&self, py: Python<'_>, name: &str) -> PyResult<PyPool> {
        let c = &self.inner;
        call(py, || c.pool(name)).map(Into::into)
    }

    /// The pool called `name`, or None.
    fn find_pool(&self, py: Python<'_>, name: &str) -> PyResult<Option<PyPool>> {
        let c = &self.inner;
        Ok(call(py, || c.find_pool(name))?.map(Into::into))
    }

    /// The pool with this UUID.
    fn pool_by_uuid(&self, py: Python<'_>, pool_uuid: &str) -> PyResult<PyPool> {
        let u = uuid("uuid", pool_uuid)?;
        let c = &self.inner;
        call(py, || c.pool_by_uuid(u)).map(Into::into)
    }

    /// The pool whose target is `path`.
    fn pool_by_target_path(&self, py: Python<'_>, path: &str) -> PyResult<PyPool> {
        let c = &self.inner;
        call(py, || c.pool_by_target_path(path)).map(Into::into)
    }

    /// `pool-define-as`: a persistent pool from a spec (validated first).
    fn define_pool(&self, py: Python<'_>, spec: &PyPoolSpec) -> PyResult<PyPool> {
        let (c, s) = (&self.inner, &spec.inner);
        call(py, || c.define_pool(s)).map(Into::into)
    }

    /// `pool-define FILE`: a persistent pool from XML.
    fn define_pool_xml(&self, py: Python<'_>, xml: &str) -> PyResult<PyPool> {
        let c = &self.inner;
        call(py, || c.define_pool_xml(xml)).map(Into::into)
    }

    /// `pool-create-as`: a transient, running pool (with `build=` a build mode).
    #[pyo3(signature = (spec, build=None))]
    fn create_pool(
        &self,
        py: Python<'_>,
        spec: &PyPoolSpec,
        build: Option<&str>,
    ) -> PyResult<PyPool> {
        let build = opt_enum("build", build)?;
        let (c, s) = (&self.inner, &spec.inner);
        call(py, || c.create_pool(s, build)).map(Into::into)
    }

    /// `pool-create FILE`: a transient pool from XML.
    #[pyo3(signature = (xml, build=None))]
    fn create_pool_xml(&self, py: Python<'_>, xml: &str, build: Option<&str>) -> PyResult<PyPool> {
        let build = opt_enum("build", build)?;
        let c = &self.inner;
        call(py, || c.create_pool_xml(xml, build)).map(Into::into)
    }

    /// Make the pool exist, match `spec`, be built (when this call defines it), started
    /// and autostarted; idempotent; undoes its own steps when one fails.
    #[pyo3(signature = (spec, *, build="normal", start=true, autostart=None))]
    fn ensure_pool(
        &self,
        py: Python<'_>,
        spec: &PyPoolSpec,
        build: Option<&str>,
        start: bool,
        autostart: Option<bool>,
    ) -> PyResult<PyEnsureReport> {
        let options = EnsureOptions {
            build: opt_enum("build", build)?,
            start,
            autostart,
        };
        let (c, s) = (&self.inner, &spec.inner);
        let report = call(py, || c.ensure_pool(s, &options))?;
        Ok(PyEnsureReport {
            changed: report.changed(),
            actions: report.actions.iter().copied().map(action_name).collect(),
            pool: Py::new(py, PyPool::from(report.pool))?,
        })
    }

    /// The volume with this key.
    fn volume_by_key(&self, py: Python<'_>, key: &str) -> PyResult<PyVolume> {
        let c = &self.inner;
        call(py, || c.volume_by_key(key)).map(Into::into)
    }

    /// The volume at this path.
    fn volume_by_path(&self, py: Python<'_>, path: &str) -> PyResult<PyVolume> {
        let c = &self.inner;
        call(py, || c.volume_by_path(path)).map(Into::into)
    }

    /// `find-storage-pool-sources-as TYPE [HOST [PORT]] [--initiator IQN]`.
    #[pyo3(signature = (pool_type, host=None, *, port=None, initiator=None))]
    fn find_pool_sources(
        &self,
        py: Python<'_>,
        pool_type: &str,
        host: Option<String>,
        port: Option<u16>,
        initiator: Option<String>,
    ) -> PyResult<Vec<PyPoolSource>> {
        let ty: PoolType = parse_enum("pool_type", pool_type)?;
        let query = SourceQuery {
            host: host.map(|name| Host { name, port }),
            initiator,
        };
        let c = &self.inner;
        let found = call(py, || c.find_pool_sources(ty, &query))?;
        Ok(found
            .into_iter()
            .map(|inner| PyPoolSource { inner })
            .collect())
    }

    /// `pool-capabilities` (UnsupportedError where the driver lacks it).
    fn pool_capabilities(&self, py: Python<'_>) -> PyResult<PyPoolCapabilities> {
        let c = &self.inner;
        call(py, || c.pool_capabilities()).map(|inner| PyPoolCapabilities { inner })
    }

    /// Raise UnsupportedError when the daemon cannot hold `spec` (no check where the
    /// driver has no pool-capabilities).
    fn check_supported(&self, py: Python<'_>, spec: &PyPoolSpec) -> PyResult<()> {
        let (c, s) = (&self.inner, &spec.inner);
        call(py, || c.check_supported(s))
    }

    /// Compare `manifest` with this host: a Plan of what `apply` would do (nothing is
    /// changed).
    fn plan(&self, py: Python<'_>, manifest: &PyManifest) -> PyResult<PyPlan> {
        crate::manifest::plan(py, &self.inner, manifest)
    }

    /// Carry out `plan`, undoing its own steps when one fails.
    fn apply(&self, py: Python<'_>, plan: &PyPlan) -> PyResult<PyApplyReport> {
        crate::manifest::apply(py, &self.inner, plan)
    }

    /// Every pool and volume with their info, as JSON (sizes in bytes). `method` as
    /// for Pool.volume_details.
    #[pyo3(signature = (*, formats=false, method="auto"))]
    fn inventory_json(&self, py: Python<'_>, formats: bool, method: &str) -> PyResult<String> {
        let options = InventoryOptions {
            formats,
            method: parse_enum("method", method)?,
            ..InventoryOptions::default()
        };
        let c = &self.inner;
        call(py, || c.inventory(&options)).map(|i| i.to_json())
    }

    /// Every pool and volume with their info, as a dict (`json.loads(inventory_json())`).
    #[pyo3(signature = (*, formats=false, method="auto"))]
    fn inventory<'py>(
        &self,
        py: Python<'py>,
        formats: bool,
        method: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let json = self.inventory_json(py, formats, method)?;
        py.import("json")?.call_method1("loads", (json,))
    }

    /// Call `callback(event)` (on kvmpool's event thread) for lifecycle and refresh
    /// events of `pool`, or of every pool; until the subscription is closed.
    #[pyo3(signature = (callback, pool=None))]
    fn subscribe_pool_events(
        &self,
        py: Python<'_>,
        callback: Py<PyAny>,
        pool: Option<PyRef<'_, PyPool>>,
    ) -> PyResult<PySubscription> {
        let pool = pool.map(|p| p.inner.clone());
        let c = &self.inner;
        let sub = call(py, || {
            c.subscribe_pool_events(pool.as_ref(), move |e| {
                Python::attach(|py| {
                    if let Err(err) = callback.call1(py, (PyPoolEvent::from(e),)) {
                        err.write_unraisable(py, Some(callback.bind(py)));
                    }
                })
            })
        })?;
        Ok(PySubscription::new(sub))
    }

    /// Pool events as an iterator (of `pool`, or of every pool).
    #[pyo3(signature = (pool=None))]
    fn pool_events(
        &self,
        py: Python<'_>,
        pool: Option<PyRef<'_, PyPool>>,
    ) -> PyResult<PyEventIterator> {
        let pool = pool.map(|p| p.inner.clone());
        let c = &self.inner;
        call(py, || c.pool_events(pool.as_ref())).map(PyEventIterator::new)
    }

    /// Shows the URI given to `connect`: a repr never calls libvirt (no reconnect,
    /// nothing to block on, nothing to raise when the daemon is gone).
    fn __repr__(&self) -> String {
        match self.inner.requested_uri() {
            Some(uri) => format!("<kvmpool.Connection {uri:?}>"),
            None => "<kvmpool.Connection (default URI)>".to_owned(),
        }
    }
}
