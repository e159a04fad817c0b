//! `Manifest`, `Plan`, `Action`, `ApplyReport`: the core's declarative storage.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use kvmpool_core as core;

use crate::convert::call;
use crate::errors::to_py;

/// What a host should have: pools with their volumes (TOML, JSON or a dict).
#[pyclass(frozen, module = "kvmpool", name = "Manifest")]
pub(crate) struct PyManifest {
    pub(crate) inner: core::Manifest,
}

#[pymethods]
impl PyManifest {
    /// Read a TOML manifest; errors name `file:line:column` and the field.
    #[staticmethod]
    #[pyo3(signature = (text, *, file="manifest"))]
    fn from_toml(text: &str, file: &str) -> PyResult<Self> {
        core::Manifest::from_toml_named(file, text)
            .map(|inner| PyManifest { inner })
            .map_err(to_py)
    }

    /// Read a JSON manifest (the same structure).
    #[staticmethod]
    #[pyo3(signature = (text, *, file="manifest"))]
    fn from_json(text: &str, file: &str) -> PyResult<Self> {
        core::Manifest::from_json_named(file, text)
            .map(|inner| PyManifest { inner })
            .map_err(to_py)
    }

    /// Read a manifest file: JSON when its name ends in `.json`, TOML otherwise.
    #[staticmethod]
    fn from_file(path: std::path::PathBuf) -> PyResult<Self> {
        core::Manifest::from_file(path)
            .map(|inner| PyManifest { inner })
            .map_err(to_py)
    }

    /// A manifest from a dict of the same structure (as `json.loads` would give).
    #[staticmethod]
    fn from_dict(py: Python<'_>, data: &Bound<'_, PyDict>) -> PyResult<Self> {
        let text: String = py
            .import("json")?
            .call_method1("dumps", (data,))?
            .extract()?;
        core::Manifest::from_json_named("dict", &text)
            .map(|inner| PyManifest { inner })
            .map_err(to_py)
    }

    /// The names of the pools it lists, in order.
    #[getter]
    fn pools(&self) -> Vec<String> {
        self.inner
            .pools
            .iter()
            .map(|p| p.spec.name().to_owned())
            .collect()
    }

    fn __repr__(&self) -> String {
        format!("Manifest(pools={:?})", self.pools())
    }
}

/// One step of a plan (or a refused change, in `Plan.blocked`).
#[pyclass(frozen, module = "kvmpool", name = "Action", get_all)]
pub(crate) struct PyAction {
    /// `define-pool`, `create-volume`, ... (`refused` for a blocked change).
    action: String,
    /// The pool.
    pool: String,
    /// The volume, for volume actions.
    volume: Option<String>,
    /// Why, for people.
    reason: String,
    /// The XML difference, for (re)definitions.
    diff: Option<String>,
}

#[pymethods]
impl PyAction {
    fn __repr__(&self) -> String {
        format!(
            "Action({:?}, pool={:?}, volume={:?})",
            self.action, self.pool, self.volume
        )
    }
}

pub(crate) fn action(a: &core::Action) -> PyAction {
    PyAction {
        action: a.action.as_str().to_owned(),
        pool: a.pool.clone(),
        volume: a.volume.clone(),
        reason: a.reason.clone(),
        diff: a.diff.clone(),
    }
}

/// A refused change as an Action (`action` "refused").
pub(crate) fn blocked(b: &core::Blocked) -> PyAction {
    PyAction {
        action: "refused".into(),
        pool: b.pool.clone(),
        volume: b.volume.clone(),
        reason: b.reason.clone(),
        diff: b.diff.clone(),
    }
}

/// What `Connection.apply(plan)` would do: `.actions`, `.blocked`, `str(plan)` for
/// people, `.to_json()` for programs.
#[pyclass(frozen, module = "kvmpool", name = "Plan")]
pub(crate) struct PyPlan {
    pub(crate) inner: core::Plan,
}

#[pymethods]
impl PyPlan {
    /// The steps, in order.
    #[getter]
    fn actions(&self) -> Vec<PyAction> {
        self.inner.actions.iter().map(action).collect()
    }

    /// Changes the plan needs but may not make (apply refuses while there are any).
    #[getter]
    fn blocked(&self) -> Vec<PyAction> {
        self.inner.blocked.iter().map(blocked).collect()
    }

    /// True when the host already matches the manifest (no drift).
    #[getter]
    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The plan as JSON (schema `kvmpool-plan/1`).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "Plan({} actions, {} blocked)",
            self.inner.actions.len(),
            self.inner.blocked.len()
        )
    }
}

/// What `Connection.apply` did: `.done`, `.skipped` (lists of Action).
#[pyclass(frozen, module = "kvmpool", name = "ApplyReport", get_all)]
pub(crate) struct PyApplyReport {
    /// The actions carried out.
    done: Vec<Py<PyAction>>,
    /// Actions that found nothing to do.
    skipped: Vec<Py<PyAction>>,
}

pub(crate) fn plan(py: Python<'_>, conn: &core::Connection, m: &PyManifest) -> PyResult<PyPlan> {
    let inner = call(py, || conn.plan(&m.inner))?;
    Ok(PyPlan { inner })
}

pub(crate) fn apply(
    py: Python<'_>,
    conn: &core::Connection,
    p: &PyPlan,
) -> PyResult<PyApplyReport> {
    let report = call(py, || conn.apply(&p.inner))?;
    apply_report(py, &report)
}

/// A core apply report as Python's.
pub(crate) fn apply_report(py: Python<'_>, report: &core::ApplyReport) -> PyResult<PyApplyReport> {
    let list = |acts: &[core::Action]| -> PyResult<Vec<Py<PyAction>>> {
        acts.iter().map(|a| Py::new(py, action(a))).collect()
    };
    Ok(PyApplyReport {
        done: list(&report.done)?,
        skipped: list(&report.skipped)?,
    })
}
