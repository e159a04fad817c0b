//! kvmpool's log (core's events, target `kvmpool`) into Python's `logging`, logger
//! `kvmpool`, through pyo3-log. Only the events cross: tracing's own span bookkeeping
//! (`tracing::span` targets) stays out.

use std::sync::OnceLock;

use pyo3::prelude::*;
use pyo3_log::{Caching, Logger, ResetHandle};

static RESET: OnceLock<ResetHandle> = OnceLock::new();

/// Install the bridge (once per process). Levels are cached, so that a call whose
/// events nobody wants never takes the GIL again to ask; and the `log` crate's
/// maximum level follows the `kvmpool` logger's, so that such events cost a compare.
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
        follow_level(py)?;
    }
    Ok(())
}

/// The `log` crate's maximum level from the `kvmpool` logger's effective level.
fn follow_level(py: Python<'_>) -> PyResult<()> {
    let level: u32 = py
        .import("logging")?
        .call_method1("getLogger", ("kvmpool",))?
        .call_method0("getEffectiveLevel")?
        .extract()?;
    log::set_max_level(match level {
        0..=5 => log::LevelFilter::Trace,
        6..=10 => log::LevelFilter::Debug,
        11..=20 => log::LevelFilter::Info,
        21..=30 => log::LevelFilter::Warn,
        31..=40 => log::LevelFilter::Error,
        _ => log::LevelFilter::Off,
    });
    Ok(())
}

/// Read the levels of the `kvmpool` logger again: call it after changing them
/// (`logging.getLogger("kvmpool").setLevel(...)`, `logging.basicConfig(...)` after
/// importing kvmpool).
#[pyfunction]
pub fn refresh_log_levels(py: Python<'_>) -> PyResult<()> {
    if let Some(reset) = RESET.get() {
        reset.reset();
        follow_level(py)?;
    }
    Ok(())
}
