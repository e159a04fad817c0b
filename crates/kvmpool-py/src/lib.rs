//! Python bindings for kvmpool: module `kvmpool._kvmpool`, re-exported by the pure
//! Python package `kvmpool`. Conversion only: every feature lives in kvmpool-core.

use pyo3::prelude::*;

mod conn;
mod convert;
mod errors;
mod events;
mod fleet;
mod logging;
mod manifest;
mod pool;
mod spec;
mod volume;

/// Parse a size with libvirt's units (`"10G"`, `"512MiB"`, `"1.5 TB"`) into bytes.
#[pyfunction]
fn parse_size(text: &str) -> PyResult<u64> {
    kvmpool_core::Size::parse(text)
        .map(|s| s.as_bytes())
        .map_err(errors::to_py)
}

/// A byte count in binary units, like virsh (`"10 GiB"`, `"38.28 GiB"`).
#[pyfunction]
fn format_size(bytes: u64) -> String {
    kvmpool_core::Size::bytes(bytes).to_string()
}

#[pymodule]
fn _kvmpool(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    logging::install(m.py())?;
    m.add_function(wrap_pyfunction!(logging::refresh_log_levels, m)?)?;
    m.add_function(wrap_pyfunction!(conn::connect, m)?)?;
    m.add_function(wrap_pyfunction!(parse_size, m)?)?;
    m.add_function(wrap_pyfunction!(format_size, m)?)?;
    m.add_function(wrap_pyfunction!(spec::default_target, m)?)?;
    m.add_function(wrap_pyfunction!(spec::pool_types, m)?)?;
    m.add_function(wrap_pyfunction!(spec::pool_fields, m)?)?;
    m.add_function(wrap_pyfunction!(spec::volume_fields, m)?)?;
    m.add_class::<conn::PyConnection>()?;
    m.add_class::<conn::PyEnsureReport>()?;
    m.add_class::<conn::PyPoolSource>()?;
    m.add_class::<conn::PyPoolCapabilities>()?;
    m.add_class::<pool::PyPool>()?;
    m.add_class::<pool::PyPoolInfo>()?;
    m.add_class::<volume::PyVolume>()?;
    m.add_class::<volume::PyVolumeInfo>()?;
    m.add_class::<volume::PyTransferReport>()?;
    m.add_class::<volume::PyExportReport>()?;
    m.add_class::<spec::PyPoolSpec>()?;
    m.add_class::<spec::PyVolumeSpec>()?;
    m.add_class::<events::PyPoolEvent>()?;
    m.add_class::<events::PySubscription>()?;
    m.add_class::<events::PyEventIterator>()?;
    m.add_class::<manifest::PyManifest>()?;
    m.add_class::<manifest::PyPlan>()?;
    m.add_class::<manifest::PyAction>()?;
    m.add_class::<manifest::PyApplyReport>()?;
    m.add_class::<fleet::PyFleet>()?;
    m.add_class::<fleet::PyFleetHost>()?;
    m.add_class::<fleet::PyHostResult>()?;
    m.add_class::<fleet::PyFleetResult>()?;
    m.add_class::<fleet::PyApplyOutcome>()?;
    m.add_class::<fleet::PyDriftCell>()?;
    m.add_class::<fleet::PyDriftMatrix>()?;
    m.add_class::<fleet::PyVolumeSighting>()?;
    m.add_class::<fleet::PySharedVolume>()?;
    m.add_class::<fleet::PySharedPool>()?;
    m.add_class::<fleet::PySharedSource>()?;
    m.add_class::<fleet::PySharedStorage>()?;
    m.add_class::<fleet::PyFieldDifference>()?;
    m.add_class::<fleet::PyMigrationCheck>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
