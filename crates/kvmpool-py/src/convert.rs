//! Argument conversion and the one helper every libvirt call goes through.

use std::str::FromStr;

use pyo3::prelude::*;

use kvmpool_core::{Size, UnknownValue};

use crate::errors::{invalid, to_py};

/// Run `f` without the GIL (libvirt calls block) and turn its error into the exception
/// of its kind.
pub(crate) fn call<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> kvmpool_core::Result<T> + Send,
) -> PyResult<T> {
    py.detach(f).map_err(to_py)
}

/// A size given as a number of bytes or a string such as `"10G"` (the core reads it).
pub(crate) fn size(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Size> {
    kvmpool_core::required_size(field, &crate::spec::value(Some(value))).map_err(to_py)
}

/// A libvirt enum spelled as a string (`"qcow2"`, `"no-overwrite"`).
pub(crate) fn parse_enum<T: FromStr<Err = UnknownValue>>(field: &str, value: &str) -> PyResult<T> {
    value.parse().map_err(|e: UnknownValue| invalid(field, e))
}

/// An optional enum.
pub(crate) fn opt_enum<T: FromStr<Err = UnknownValue>>(
    field: &str,
    value: Option<&str>,
) -> PyResult<Option<T>> {
    value.map(|v| parse_enum(field, v)).transpose()
}

/// A UUID given as a string.
pub(crate) fn uuid(field: &str, value: &str) -> PyResult<kvmpool_core::Uuid> {
    kvmpool_core::parse_uuid(field, value).map_err(to_py)
}
