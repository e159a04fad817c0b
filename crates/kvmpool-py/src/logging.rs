//! kvmpool's log (core's events, target `kvmpool`) into Python's `logging`, logger
//! `kvmpool`, through pyo3-log. Only the events cross: tracing's own span bookkeeping
//! (`tracing::span` targets) stays out.

use std::sync::OnceLock;

use pyo3::prelude::*;
use pyo3_log::{Caching, Logger, ResetHandle};

static RESET: OnceLock<ResetHandle> = OnceLock::new();

/// Install the bridge (once per process). Levels are cached, so that a call whose
/// events nobody wants never takes the GIL again to ask.
pub fn install(py: Python<'_>) -> PyResult<()> {
    if RESET.get().is_some() {
        return Ok(());
    }
    let logger = Logger::new(py, Caching::LoggersAndLevels)?
        .filter_target("tracing".to_owned(), log::LevelFilter::Off);
    // Another extension in the process may own the `log` crate's logger already;
    // kvmpool then logs through it.
    if let Ok(reset) = logger.install() {
        let _ = RESET.set(reset);
    }
    Ok(())
}

/// Forget the cached levels of the `kvmpool` logger: call it after changing them
/// (`logging.getLogger("kvmpool").setLevel(...)`) once kvmpool has logged.
#[pyfunction]
pub fn refresh_log_levels() {
    if let Some(reset) = RESET.get() {
        reset.reset();
    }
}
