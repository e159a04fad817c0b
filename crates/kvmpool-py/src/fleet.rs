//! `Fleet` and its results: the core's fleet, converted. A host's error is an
//! exception object in its `HostResult.error`, never raised for the whole call.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use kvmpool_core as core;
use kvmpool_core::units::seconds;

use crate::conn::PyConnection;
use crate::convert::call;
use crate::errors::{to_exception, to_py};
use crate::manifest::{action, apply_report, blocked, PyAction, PyApplyReport, PyManifest, PyPlan};
use crate::spec::to_python;

/// Many libvirt hosts at once over libvirt's remote protocol (qemu+tcp, qemu+tls,
/// qemu+ssh URIs): one connection per host, opened concurrently; a host that cannot be
/// reached is kept with its error and tried again on each call.
#[pyclass(frozen, module = "kvmpool", name = "Fleet")]
pub(crate) struct PyFleet {
    inner: core::Fleet,
}

/// One host of a fleet and where it stands.
#[pyclass(frozen, module = "kvmpool", name = "FleetHost", get_all)]
pub(crate) struct PyFleetHost {
    /// Its label.
    label: String,
    /// Its URI, redacted.
    uri: String,
    /// True when its connection is open and its link up.
    connected: bool,
    /// Why it is not (an exception object), or None.
    error: Option<Py<PyAny>>,
    /// False only when the URI turns TLS certificate checks off (no_verify=1).
    tls_verify: bool,
}

/// One host's part of a fleet call: `.value` or `.error` (an exception object).
#[pyclass(frozen, module = "kvmpool", name = "HostResult", get_all)]
pub(crate) struct PyHostResult {
    /// The host's label.
    host: String,
    /// Its URI, redacted.
    uri: String,
    /// True when the call worked on this host.
    ok: bool,
    /// What it gave: an inventory dict, a Plan, or an ApplyOutcome; None on error.
    value: Py<PyAny>,
    /// Why it failed there (a kvmpool.Error subclass instance), or None.
    error: Option<Py<PyAny>>,
    /// Seconds the host took.
    elapsed: f64,
}

#[pymethods]
impl PyHostResult {
    fn __repr__(&self) -> String {
        let state = if self.ok { "ok" } else { "error" };
        format!("<kvmpool.HostResult {} {state}>", self.host)
    }
}

/// The core result a FleetResult was made from (kept for `to_json` and `apply`).
enum Inner {
    Inventory(core::FleetResult<core::Inventory>),
    Plan(core::FleetResult<core::Plan>),
    Apply(core::FleetResult<core::ApplyOutcome>),
}

/// A fleet call's results, one HostResult per host in the fleet's order: iterate, index
/// by position or label, `.errors`, `.to_json()`.
#[pyclass(frozen, module = "kvmpool", name = "FleetResult")]
pub(crate) struct PyFleetResult {
    inner: Inner,
    hosts: Vec<Py<PyHostResult>>,
}

/// What happened on a host during `Fleet.apply`: status "applied" (with `.report`) or
/// "skipped" (with `.reason`: the canary failed).
#[pyclass(frozen, module = "kvmpool", name = "ApplyOutcome", get_all)]
pub(crate) struct PyApplyOutcome {
    /// "applied" or "skipped".
    status: String,
    /// What was done, when applied.
    report: Option<Py<PyApplyReport>>,
    /// Why not, when skipped.
    reason: Option<String>,
}

fn host_result<T>(
    py: Python<'_>,
    h: &core::HostResult<T>,
    value: impl FnOnce(&T) -> PyResult<Py<PyAny>>,
) -> PyResult<Py<PyHostResult>> {
    let (value, error) = match &h.result {
        Ok(v) => (value(v)?, None),
        Err(e) => (py.None(), Some(to_exception(py, e)?)),
    };
    Py::new(
        py,
        PyHostResult {
            host: h.host.clone(),
            uri: h.uri.clone(),
            ok: error.is_none(),
            value,
            error,
            elapsed: h.elapsed.as_secs_f64(),
        },
    )
}

fn json_value(py: Python<'_>, json: &str) -> PyResult<Py<PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (json,))?.unbind())
}

impl PyFleetResult {
    fn new(py: Python<'_>, inner: Inner) -> PyResult<Self> {
        let hosts = match &inner {
            Inner::Inventory(r) => r
                .iter()
                .map(|h| host_result(py, h, |inv| json_value(py, &inv.to_json())))
                .collect::<PyResult<_>>()?,
            Inner::Plan(r) => r
                .iter()
                .map(|h| {
                    host_result(py, h, |plan| {
                        Ok(Py::new(
                            py,
                            PyPlan {
                                inner: plan.clone(),
                            },
                        )?
                        .into_any())
                    })
                })
                .collect::<PyResult<_>>()?,
            Inner::Apply(r) => r
                .iter()
                .map(|h| host_result(py, h, |outcome| apply_outcome(py, outcome)))
                .collect::<PyResult<_>>()?,
        };
        Ok(PyFleetResult { inner, hosts })
    }
}

fn apply_outcome(py: Python<'_>, outcome: &core::ApplyOutcome) -> PyResult<Py<PyAny>> {
    let o = match outcome {
        core::ApplyOutcome::Applied(r) => PyApplyOutcome {
            status: "applied".into(),
            report: Some(Py::new(py, apply_report(py, r)?)?),
            reason: None,
        },
        core::ApplyOutcome::Skipped { reason } => PyApplyOutcome {
            status: "skipped".into(),
            report: None,
            reason: Some(reason.clone()),
        },
    };
    Ok(Py::new(py, o)?.into_any())
}

#[pymethods]
impl PyFleetResult {
    /// "inventory", "plan" or "apply".
    #[getter]
    fn operation(&self) -> &'static str {
        match &self.inner {
            Inner::Inventory(r) => r.operation,
            Inner::Plan(r) => r.operation,
            Inner::Apply(r) => r.operation,
        }
    }

    /// Seconds the whole call took.
    #[getter]
    fn elapsed(&self) -> f64 {
        match &self.inner {
            Inner::Inventory(r) => r.elapsed.as_secs_f64(),
            Inner::Plan(r) => r.elapsed.as_secs_f64(),
            Inner::Apply(r) => r.elapsed.as_secs_f64(),
        }
    }

    /// One HostResult per host.
    #[getter]
    fn hosts(&self, py: Python<'_>) -> Vec<Py<PyHostResult>> {
        self.hosts.iter().map(|h| h.clone_ref(py)).collect()
    }

    /// True when every host answered without error.
    #[getter]
    fn ok(&self) -> bool {
        self.hosts.iter().all(|h| h.get().ok)
    }

    /// {label: exception} for the hosts that failed.
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for h in &self.hosts {
            if let Some(e) = &h.get().error {
                d.set_item(&h.get().host, e.clone_ref(py))?;
            }
        }
        Ok(d)
    }

    /// The results as JSON (schema "kvmpool-fleet/1").
    fn to_json(&self) -> String {
        match &self.inner {
            Inner::Inventory(r) => r.to_json(),
            Inner::Plan(r) => r.to_json(),
            Inner::Apply(r) => r.to_json(),
        }
    }

    fn __len__(&self) -> usize {
        self.hosts.len()
    }

    /// By position (as a list: negative indices, slices), or by label.
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(label) = key.extract::<String>() {
            return self
                .hosts
                .iter()
                .find(|h| h.get().host == label)
                .map(|h| h.bind(py).clone().into_any())
                .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(label));
        }
        PyList::new(py, &self.hosts)?.as_any().get_item(key)
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(PyList::new(py, &self.hosts)?
            .try_iter()?
            .into_any()
            .unbind())
    }

    fn __repr__(&self) -> String {
        let failed = self.hosts.iter().filter(|h| !h.get().ok).count();
        format!(
            "<kvmpool.FleetResult {} of {} hosts, {failed} failed>",
            self.operation(),
            self.hosts.len()
        )
    }
}

/// One host × pool cell of a DriftMatrix.
#[pyclass(frozen, module = "kvmpool", name = "DriftCell", get_all)]
pub(crate) struct PyDriftCell {
    /// The host's label.
    host: String,
    /// The pool.
    pool: String,
    /// "in-sync", "drifted", "missing", "unreachable" or "failed".
    state: String,
    /// What apply would do to this pool on this host.
    actions: Vec<Py<PyAction>>,
    /// What it would have to do but may not (as Actions, action "refused").
    blocked: Vec<Py<PyAction>>,
    /// Why, for unreachable and failed hosts (an exception object), else None.
    error: Option<Py<PyAny>>,
}

/// Host × pool: in sync, drifted, missing, unreachable (or failed). `str()` is a table.
#[pyclass(frozen, module = "kvmpool", name = "DriftMatrix")]
pub(crate) struct PyDriftMatrix {
    inner: core::DriftMatrix,
    cells: Vec<Py<PyDriftCell>>,
}

impl PyDriftMatrix {
    fn new(py: Python<'_>, inner: core::DriftMatrix) -> PyResult<Self> {
        let list = |acts: Vec<PyAction>| -> PyResult<Vec<Py<PyAction>>> {
            acts.into_iter().map(|a| Py::new(py, a)).collect()
        };
        let cells = inner
            .cells
            .iter()
            .map(|c| {
                let cell = PyDriftCell {
                    host: c.host.clone(),
                    pool: c.pool.clone(),
                    state: c.state.as_str().to_owned(),
                    actions: list(c.actions.iter().map(action).collect())?,
                    blocked: list(c.blocked.iter().map(blocked).collect())?,
                    error: c.error.as_ref().map(|e| to_exception(py, e)).transpose()?,
                };
                Py::new(py, cell)
            })
            .collect::<PyResult<_>>()?;
        Ok(PyDriftMatrix { inner, cells })
    }
}

#[pymethods]
impl PyDriftMatrix {
    /// The hosts' labels (the rows).
    #[getter]
    fn hosts(&self) -> Vec<String> {
        self.inner.hosts.clone()
    }

    /// The manifest's pools (the columns).
    #[getter]
    fn pools(&self) -> Vec<String> {
        self.inner.pools.clone()
    }

    /// Every cell, host by host.
    #[getter]
    fn cells(&self, py: Python<'_>) -> Vec<Py<PyDriftCell>> {
        self.cells.iter().map(|c| c.clone_ref(py)).collect()
    }

    /// True when every cell is in sync.
    #[getter]
    fn in_sync(&self) -> bool {
        self.inner.in_sync()
    }

    /// The cell of `host` × `pool`, or None.
    fn cell(&self, py: Python<'_>, host: &str, pool: &str) -> Option<Py<PyDriftCell>> {
        self.cells
            .iter()
            .find(|c| c.get().host == host && c.get().pool == pool)
            .map(|c| c.clone_ref(py))
    }

    /// As JSON (schema "kvmpool-fleet/1", operation "drift").
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "<kvmpool.DriftMatrix {} hosts x {} pools>",
            self.inner.hosts.len(),
            self.inner.pools.len()
        )
    }
}

/// One host's view of a shared volume.
#[pyclass(frozen, module = "kvmpool", name = "VolumeSighting", get_all)]
pub(crate) struct PyVolumeSighting {
    /// The host's label.
    host: String,
    /// The pool it is seen through.
    pool: String,
    /// Its key there.
    key: String,
    /// Its path there.
    path: String,
    /// Capacity in bytes.
    capacity: u64,
    /// Allocation in bytes.
    allocation: u64,
}

/// A volume of a shared source and which hosts see it.
#[pyclass(frozen, module = "kvmpool", name = "SharedVolume", get_all)]
pub(crate) struct PySharedVolume {
    /// Its name.
    name: String,
    /// Each host that sees it.
    seen: Vec<Py<PyVolumeSighting>>,
    /// Hosts whose pool on the source runs but does not list it.
    missing_on: Vec<String>,
    /// True when every host reports the same capacity.
    sizes_agree: bool,
    /// True when every host reports the same key.
    keys_agree: bool,
}

/// A host's pool on a shared source.
#[pyclass(frozen, module = "kvmpool", name = "SharedPool", get_all)]
pub(crate) struct PySharedPool {
    /// The host's label.
    host: String,
    /// The pool's name there.
    pool: String,
    /// Its target there.
    target: Option<String>,
    /// Whether it runs.
    running: bool,
}

/// One network storage source (gluster volume, NFS export, iSCSI target, Ceph pool).
#[pyclass(frozen, module = "kvmpool", name = "SharedSource", get_all)]
pub(crate) struct PySharedSource {
    /// The pool type it is used through.
    r#type: String,
    /// Its source fields ({"host": ..., "source_path": ..., ...}).
    source: Py<PyDict>,
    /// The hosts' pools on it.
    pools: Vec<Py<PySharedPool>>,
    /// Its volumes.
    volumes: Vec<Py<PySharedVolume>>,
}

/// The fleet's shared storage: `.sources`, `.errors` ({label: exception}),
/// `.volume(name)`.
#[pyclass(frozen, module = "kvmpool", name = "SharedStorage")]
pub(crate) struct PySharedStorage {
    inner: core::SharedStorage,
    sources: Vec<Py<PySharedSource>>,
}

fn shared_source(py: Python<'_>, s: &core::SharedSource) -> PyResult<PySharedSource> {
    let source = PyDict::new(py);
    for (k, v) in &s.source {
        source.set_item(k, to_python(py, v.clone())?)?;
    }
    let pools = s
        .pools
        .iter()
        .map(|p| {
            Py::new(
                py,
                PySharedPool {
                    host: p.host.clone(),
                    pool: p.pool.clone(),
                    target: p.target.clone(),
                    running: p.running,
                },
            )
        })
        .collect::<PyResult<_>>()?;
    let volumes = s
        .volumes
        .iter()
        .map(|v| {
            let seen = v
                .seen
                .iter()
                .map(|x| {
                    Py::new(
                        py,
                        PyVolumeSighting {
                            host: x.host.clone(),
                            pool: x.pool.clone(),
                            key: x.key.clone(),
                            path: x.path.clone(),
                            capacity: x.capacity.as_bytes(),
                            allocation: x.allocation.as_bytes(),
                        },
                    )
                })
                .collect::<PyResult<_>>()?;
            Py::new(
                py,
                PySharedVolume {
                    name: v.name.clone(),
                    seen,
                    missing_on: v.missing_on.clone(),
                    sizes_agree: v.sizes_agree,
                    keys_agree: v.keys_agree,
                },
            )
        })
        .collect::<PyResult<_>>()?;
    Ok(PySharedSource {
        r#type: s.pool_type.as_str().to_owned(),
        source: source.unbind(),
        pools,
        volumes,
    })
}

#[pymethods]
impl PySharedStorage {
    /// Every shared source some host uses.
    #[getter]
    fn sources(&self, py: Python<'_>) -> Vec<Py<PySharedSource>> {
        self.sources.iter().map(|s| s.clone_ref(py)).collect()
    }

    /// {label: exception} for the hosts that could not be asked.
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (host, e) in &self.inner.errors {
            d.set_item(host, to_exception(py, e)?)?;
        }
        Ok(d)
    }

    /// The volume called `name` (of the first source that has one), or None.
    fn volume(&self, py: Python<'_>, name: &str) -> Option<Py<PySharedVolume>> {
        self.sources.iter().find_map(|s| {
            s.get()
                .volumes
                .iter()
                .find(|v| v.get().name == name)
                .map(|v| v.clone_ref(py))
        })
    }

    /// As JSON (schema "kvmpool-fleet/1", operation "shared-storage").
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// A field that differs between two hosts.
#[pyclass(frozen, module = "kvmpool", name = "FieldDifference", get_all)]
pub(crate) struct PyFieldDifference {
    /// The field's name (the PoolSpec keyword), or "type".
    field: String,
    /// Its value on the first host.
    a: Py<PyAny>,
    /// Its value on the second host.
    b: Py<PyAny>,
}

/// Whether a pool is the same on two hosts, as migrating a guest needs.
#[pyclass(frozen, module = "kvmpool", name = "MigrationCheck")]
pub(crate) struct PyMigrationCheck {
    /// The pool.
    #[pyo3(get)]
    pool: String,
    /// The first host's label.
    #[pyo3(get)]
    host_a: String,
    /// The second host's label.
    #[pyo3(get)]
    host_b: String,
    /// True when nothing stands in the way.
    #[pyo3(get)]
    compatible: bool,
    /// True when the pool type is network storage.
    #[pyo3(get)]
    shared: bool,
    /// Type, source and target fields that differ.
    #[pyo3(get)]
    differences: Vec<Py<PyFieldDifference>>,
    /// Access and tuning fields that differ (not in the way).
    #[pyo3(get)]
    other_differences: Vec<Py<PyFieldDifference>>,
    /// What else stands in the way.
    #[pyo3(get)]
    problems: Vec<String>,
    /// The check as JSON (schema "kvmpool-fleet/1", operation "migration-check").
    json: String,
}

#[pymethods]
impl PyMigrationCheck {
    /// As JSON.
    fn to_json(&self) -> String {
        self.json.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "<kvmpool.MigrationCheck {} {} -> {}: {}>",
            self.pool,
            self.host_a,
            self.host_b,
            if self.compatible {
                "compatible"
            } else {
                "not compatible"
            }
        )
    }
}

fn differences(
    py: Python<'_>,
    list: &[core::FieldDifference],
) -> PyResult<Vec<Py<PyFieldDifference>>> {
    list.iter()
        .map(|d| {
            Py::new(
                py,
                PyFieldDifference {
                    field: d.field.clone(),
                    a: to_python(py, d.a.clone())?.unbind(),
                    b: to_python(py, d.b.clone())?.unbind(),
                },
            )
        })
        .collect()
}

/// `keepalive=` as the core's: True its default, False none, or (interval s, count).
fn keepalive(value: &Bound<'_, PyAny>) -> PyResult<Option<core::KeepAlive>> {
    if let Ok(on) = value.extract::<bool>() {
        return Ok(on
            .then(|| core::FleetOptions::default().keepalive)
            .flatten());
    }
    let (interval, count): (f64, u32) = value.extract()?;
    Ok(Some(core::KeepAlive {
        interval: seconds("keepalive", interval).map_err(to_py)?,
        count,
    }))
}

#[pymethods]
impl PyFleet {
    /// Open every host of `uris` concurrently. Keywords left out take the core's
    /// defaults (connect_timeout 10 s, timeout 60 s for a whole call, keepalive on,
    /// 32 hosts at once). Raises only on bad input (no hosts, a URI twice, labels
    /// missing or repeated); unreachable hosts are kept with their error.
    #[new]
    #[pyo3(signature = (uris, *, labels=None, connect_timeout=None, timeout=None, keepalive=None, read_only=false, concurrency=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        uris: Vec<String>,
        labels: Option<Vec<String>>,
        connect_timeout: Option<f64>,
        timeout: Option<f64>,
        keepalive: Option<&Bound<'_, PyAny>>,
        read_only: bool,
        concurrency: Option<usize>,
    ) -> PyResult<Self> {
        crate::logging::refresh_log_levels(py)?;
        let mut o = core::FleetOptions::default().read_only(read_only);
        if let Some(l) = labels {
            o = o.labels(l);
        }
        if let Some(t) = connect_timeout {
            o = o.connect_timeout(seconds("connect_timeout", t).map_err(to_py)?);
        }
        if let Some(t) = timeout {
            o = o.timeout(seconds("timeout", t).map_err(to_py)?);
        }
        if let Some(k) = keepalive {
            o = o.keepalive(self::keepalive(k)?);
        }
        if let Some(c) = concurrency {
            o = o.concurrency(c);
        }
        let inner = call(py, || core::Fleet::open(&uris, &o))?;
        Ok(PyFleet { inner })
    }

    /// The hosts' labels.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.inner.labels().into_iter().map(str::to_owned).collect()
    }

    /// Every host and where it stands now (no round trip).
    #[getter]
    fn hosts(&self, py: Python<'_>) -> PyResult<Vec<PyFleetHost>> {
        self.inner
            .hosts()
            .into_iter()
            .map(|h| {
                Ok(PyFleetHost {
                    label: h.label,
                    uri: h.uri,
                    connected: h.connected,
                    error: h.error.as_ref().map(|e| to_exception(py, e)).transpose()?,
                    tls_verify: h.tls_verify,
                })
            })
            .collect()
    }

    /// The Connection of the host labelled `label` (for what the fleet calls do not
    /// cover).
    fn connection(&self, py: Python<'_>, label: &str) -> PyResult<PyConnection> {
        let f = &self.inner;
        let inner = call(py, || f.connection(label))?;
        Ok(PyConnection { inner })
    }

    /// Every host's inventory at once: a FleetResult whose values are dicts (as
    /// Connection.inventory gives).
    #[pyo3(signature = (*, formats=false))]
    fn inventory(&self, py: Python<'_>, formats: bool) -> PyResult<PyFleetResult> {
        let options = core::InventoryOptions {
            formats,
            ..core::InventoryOptions::default()
        };
        let f = &self.inner;
        let r = py.detach(|| f.inventory_with(&options));
        PyFleetResult::new(py, Inner::Inventory(r))
    }

    /// Plan `manifest` on every host (nothing is changed): values are Plans.
    fn plan(&self, py: Python<'_>, manifest: &PyManifest) -> PyResult<PyFleetResult> {
        let (f, m) = (&self.inner, &manifest.inner);
        let r = py.detach(|| f.plan(m));
        PyFleetResult::new(py, Inner::Plan(r))
    }

    /// Carry out the plans of `plan()`: canary=True (the first host with changes) or a
    /// label applies there first, alone, and stops if it fails; then the others,
    /// `concurrency` at a time. Values are ApplyOutcomes; a failed host's error says
    /// what was undone there.
    #[pyo3(signature = (plans, *, canary=None, concurrency=None, timeout=None))]
    fn apply(
        &self,
        py: Python<'_>,
        plans: &PyFleetResult,
        canary: Option<&Bound<'_, PyAny>>,
        concurrency: Option<usize>,
        timeout: Option<f64>,
    ) -> PyResult<PyFleetResult> {
        let Inner::Plan(plans) = &plans.inner else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "plans: expected the FleetResult of Fleet.plan()",
            ));
        };
        let canary = match canary {
            None => core::Canary::None,
            Some(c) => match c.extract::<bool>() {
                Ok(true) => core::Canary::First,
                Ok(false) => core::Canary::None,
                Err(_) => core::Canary::Host(c.extract()?),
            },
        };
        let mut o = core::FleetApplyOptions::default().canary(canary);
        if let Some(c) = concurrency {
            o = o.concurrency(c);
        }
        if let Some(t) = timeout {
            o = o.timeout(Some(seconds("timeout", t).map_err(to_py)?));
        }
        let f = &self.inner;
        let r = call(py, || f.apply(plans, &o))?;
        PyFleetResult::new(py, Inner::Apply(r))
    }

    /// Host × pool of `manifest`: in sync / drifted / missing / unreachable.
    fn drift(&self, py: Python<'_>, manifest: &PyManifest) -> PyResult<PyDriftMatrix> {
        let (f, m) = (&self.inner, &manifest.inner);
        let d = py.detach(|| f.drift(m));
        PyDriftMatrix::new(py, d)
    }

    /// Which hosts see which volumes of shared storage (netfs, gluster, iscsi, rbd,
    /// ...), with keys, paths and sizes; refresh=True refreshes those pools first.
    #[pyo3(signature = (*, refresh=false))]
    fn shared_storage(&self, py: Python<'_>, refresh: bool) -> PyResult<PySharedStorage> {
        let f = &self.inner;
        let inner = py.detach(|| f.shared_storage(refresh));
        let sources = inner
            .sources
            .iter()
            .map(|s| Py::new(py, shared_source(py, s)?))
            .collect::<PyResult<_>>()?;
        Ok(PySharedStorage { inner, sources })
    }

    /// Whether `pool` is the same on hosts `host_a` and `host_b` (type, source,
    /// target), with the differing fields named.
    fn migration_check(
        &self,
        py: Python<'_>,
        host_a: &str,
        host_b: &str,
        pool: &str,
    ) -> PyResult<PyMigrationCheck> {
        let f = &self.inner;
        let c = call(py, || f.migration_check(host_a, host_b, pool))?;
        Ok(PyMigrationCheck {
            differences: differences(py, &c.differences)?,
            other_differences: differences(py, &c.other_differences)?,
            json: c.to_json(),
            pool: c.pool,
            host_a: c.host_a,
            host_b: c.host_b,
            compatible: c.compatible,
            shared: c.shared,
            problems: c.problems,
        })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!("<kvmpool.Fleet {:?}>", self.inner.labels())
    }
}
