//! The exception classes, one per `ErrorKind`, created once; and the one conversion
//! from a core error to a Python exception.

use pyo3::exceptions::{PyException, PyLookupError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use kvmpool_core::{Error, ErrorKind};

/// The exception class of each kind, with its extra standard base when it has one.
fn class_spec(kind: ErrorKind) -> (&'static str, &'static str) {
    // Exhaustive on purpose: a new kind does not compile until it has a class.
    match kind {
        ErrorKind::InvalidSpec => ("InvalidSpecError", "ValueError"),
        ErrorKind::NotFound => ("NotFoundError", "LookupError"),
        ErrorKind::AlreadyExists => ("AlreadyExistsError", ""),
        ErrorKind::State => ("StateError", ""),
        ErrorKind::Busy => ("BusyError", ""),
        ErrorKind::Unsupported => ("UnsupportedError", ""),
        ErrorKind::Connect => ("ConnectError", ""),
        ErrorKind::Cancelled => ("CancelledError", ""),
        ErrorKind::Io => ("IoError", "OSError"),
        ErrorKind::Libvirt => ("LibvirtError", ""),
    }
}

/// The attributes an error may carry besides its kind; `None` by default.
const DETAILS: [&str; 3] = ["libvirt_code", "libvirt_message", "field"];

struct ErrorTypes {
    base: Py<PyType>,
    by_kind: Vec<(ErrorKind, Py<PyType>)>,
}

static TYPES: PyOnceLock<ErrorTypes> = PyOnceLock::new();

fn types(py: Python<'_>) -> PyResult<&ErrorTypes> {
    TYPES.get_or_try_init(py, || {
        let base = PyErr::new_type(
            py,
            c"kvmpool.Error",
            Some(c"Base class of kvmpool's errors: .kind, .libvirt_code, .libvirt_message, .field"),
            Some(&py.get_type::<PyException>()),
            None,
        )?;
        // Class-level defaults, so that every instance has them, also one made by
        // user code (`kvmpool.NotFoundError("x")`): the kind is fixed per class (the
        // base class says Libvirt, the kind of "anything else"); the details are None
        // unless the error that raised it had them.
        let base_class = base.bind(py);
        base_class.setattr("kind", ErrorKind::Libvirt.name())?;
        for detail in DETAILS {
            base_class.setattr(detail, py.None())?;
        }
        let make_type = py.get_type::<PyType>();
        let mut by_kind = Vec::new();
        for kind in ErrorKind::ALL {
            let (name, extra) = class_spec(kind);
            let mut bases = vec![base.bind(py).clone().into_any()];
            match extra {
                "ValueError" => bases.push(py.get_type::<PyValueError>().into_any()),
                "LookupError" => bases.push(py.get_type::<PyLookupError>().into_any()),
                "OSError" => bases.push(py.get_type::<PyOSError>().into_any()),
                _ => {}
            }
            let dict = PyDict::new(py);
            dict.set_item("__module__", "kvmpool")?;
            dict.set_item("__doc__", format!("kvmpool error of kind {kind}."))?;
            dict.set_item("kind", kind.name())?;
            let cls = make_type
                .call1((name, PyTuple::new(py, bases)?, dict))?
                .cast_into::<PyType>()?;
            by_kind.push((kind, cls.unbind()));
        }
        Ok(ErrorTypes { base, by_kind })
    })
}

/// Add the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let t = types(m.py())?;
    m.add("Error", t.base.bind(m.py()))?;
    for (kind, cls) in &t.by_kind {
        m.add(class_spec(*kind).0, cls.bind(m.py()))?;
    }
    Ok(())
}

/// A core error as the exception of its kind, with the libvirt details attached.
pub(crate) fn to_py(err: Error) -> PyErr {
    Python::attach(|py| match build(py, &err) {
        Ok(e) => e,
        Err(e) => e,
    })
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let t = types(py)?;
    let cls = t
        .by_kind
        .iter()
        .find(|(k, _)| *k == err.kind())
        .map(|(_, c)| c.bind(py))
        .expect("every kind has a class");
    let exc = cls.call1((err.to_string(),))?;
    // `kind` comes from the class; the details only where there are any (the class
    // default is None).
    if let Some(code) = err.libvirt_code() {
        exc.setattr("libvirt_code", code)?;
    }
    if let Some(message) = err.libvirt_message() {
        exc.setattr("libvirt_message", message)?;
    }
    if let Some(field) = err.field() {
        exc.setattr("field", field)?;
    }
    Ok(PyErr::from_value(exc))
}

/// A core error as an exception object (not raised): a fleet's per-host errors.
pub(crate) fn to_exception(py: Python<'_>, err: &Error) -> PyResult<Py<PyAny>> {
    Ok(build(py, err)?.into_value(py).into_any())
}

/// An invalid-spec error for a bad argument.
pub(crate) fn invalid(field: &str, reason: impl std::fmt::Display) -> PyErr {
    to_py(Error::invalid(field, reason))
}
