//! Pool events: a callback subscription, or an iterator.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;

use kvmpool_core as core;

use crate::errors::to_py;

/// A pool event: `.pool` (name), `.uuid`, `.kind` ("defined", "undefined", "started",
/// "stopped", "created", "deleted", "refreshed").
#[pyclass(frozen, module = "kvmpool", name = "PoolEvent", get_all, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyPoolEvent {
    /// Pool name.
    pool: String,
    /// Pool UUID.
    uuid: String,
    /// What happened.
    kind: &'static str,
}

impl From<&core::PoolEvent> for PyPoolEvent {
    fn from(e: &core::PoolEvent) -> Self {
        PyPoolEvent {
            pool: e.pool.clone(),
            uuid: e.uuid.hyphenated().to_string(),
            kind: e.kind.as_str(),
        }
    }
}

#[pymethods]
impl PyPoolEvent {
    fn __repr__(&self) -> String {
        format!("PoolEvent(pool={:?}, kind={:?})", self.pool, self.kind)
    }
}

/// An event subscription; `close()` (or leaving a `with` block) unsubscribes.
#[pyclass(frozen, module = "kvmpool", name = "Subscription")]
pub(crate) struct PySubscription {
    inner: Mutex<Option<core::Subscription>>,
}

impl PySubscription {
    pub(crate) fn new(sub: core::Subscription) -> Self {
        PySubscription {
            inner: Mutex::new(Some(sub)),
        }
    }
}

#[pymethods]
impl PySubscription {
    /// Stop the callbacks.
    fn close(&self, py: Python<'_>) {
        let sub = self.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
        py.detach(|| drop(sub));
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<Bound<'_, PyAny>>,
        _exc: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) {
        self.close(py);
    }
}

/// Pool events as an iterator; `next_event(timeout)` waits at most `timeout` seconds.
#[pyclass(frozen, module = "kvmpool", name = "EventIterator")]
pub(crate) struct PyEventIterator {
    inner: Mutex<Option<core::EventReceiver>>,
}

impl PyEventIterator {
    pub(crate) fn new(rx: core::EventReceiver) -> Self {
        PyEventIterator {
            inner: Mutex::new(Some(rx)),
        }
    }

    /// Wait for an event, in short slices so that Ctrl-C (and other signals) get
    /// through; `None` after `timeout`.
    fn wait(&self, py: Python<'_>, timeout: Option<Duration>) -> PyResult<Option<PyPoolEvent>> {
        // A limit too far ahead for an Instant is no limit.
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        loop {
            let slice = match deadline {
                Some(d) => d
                    .saturating_duration_since(std::time::Instant::now())
                    .min(SLICE),
                None => SLICE,
            };
            let got = py.detach(|| {
                let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
                guard.as_ref().map(|rx| rx.next_timeout(slice))
            });
            match got {
                None => return Ok(None),
                Some(Some(e)) => return Ok(Some(PyPoolEvent::from(&e))),
                Some(None) => {}
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Ok(None);
            }
        }
    }
}

const SLICE: Duration = Duration::from_millis(100);

#[pymethods]
impl PyEventIterator {
    /// The next event, or None after `timeout` seconds without one (None or infinity:
    /// wait until an event comes or the iterator is closed).
    #[pyo3(signature = (timeout=None))]
    fn next_event(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<PyPoolEvent>> {
        let limit = match timeout {
            None => None,
            Some(t) => core::timeout_from_secs("timeout", t).map_err(to_py)?,
        };
        self.wait(py, limit)
    }

    /// Stop receiving events.
    fn close(&self, py: Python<'_>) {
        let rx = self.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
        py.detach(|| drop(rx));
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyPoolEvent>> {
        self.wait(py, None)
    }
}
