//! Argument conversion and the one helper every libvirt call goes through.

use std::str::FromStr;

use pyo3::prelude::*;
use pyo3::types::PyString;

use kvmpool_core::{Permissions, Size, UnknownValue};

use crate::errors::{invalid, to_py};

/// Run `f` without the GIL (libvirt calls block) and turn its error into the exception
/// of its kind.
pub(crate) fn call<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> kvmpool_core::Result<T> + Send,
) -> PyResult<T> {
    py.detach(f).map_err(to_py)
}

/// A size given as a number of bytes or a string such as `"10G"`.
pub(crate) fn size(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Size> {
    if let Ok(text) = value.cast::<PyString>() {
        return Size::parse(&text.to_cow()?)
            .map_err(|e| invalid(field, e.message().trim_start_matches("size: ")));
    }
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(invalid(
            field,
            "a size is a number of bytes or a string like \"10G\", not a bool",
        ));
    }
    match value.extract::<i128>() {
        Ok(n) if n < 0 => Err(invalid(field, format!("{n} is negative"))),
        Ok(n) => u64::try_from(n)
            .map_err(|_| invalid(field, format!("{n} bytes is too large")))
            .and_then(|n| {
                Size::try_bytes(n)
                    .map_err(|e| invalid(field, e.message().trim_start_matches("size: ")))
            }),
        Err(_) => Err(invalid(
            field,
            format!(
                "a size is a number of bytes or a string like \"10G\", not {}",
                value.get_type().name()?
            ),
        )),
    }
}

/// An optional size.
pub(crate) fn opt_size(field: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Size>> {
    value.map(|v| size(field, v)).transpose()
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

/// Permissions from keyword arguments, `None` when none is given.
pub(crate) fn permissions(
    mode: Option<u32>,
    owner: Option<i64>,
    group: Option<i64>,
    label: Option<String>,
) -> Option<Permissions> {
    let p = Permissions {
        mode,
        owner,
        group,
        label,
    };
    (!p.is_empty()).then_some(p)
}

/// A UUID given as a string.
pub(crate) fn uuid(field: &str, value: &str) -> PyResult<kvmpool_core::Uuid> {
    kvmpool_core::Uuid::parse_str(value.trim())
        .map_err(|e| invalid(field, format!("{value:?}: {e}")))
}
