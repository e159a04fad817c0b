//! `Volume`, `VolumeInfo`, and transfers with Python progress callbacks.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyBool;

use kvmpool_core as core;
use kvmpool_core::{
    Checksum, ChecksumAlgorithm, ErrorKind, Resize, TransferMethod, TransferOptions,
};

use crate::convert::{call, opt_enum, parse_enum, size};
use crate::errors::to_py;
use crate::pool::PyPool;
use crate::spec::PyVolumeSpec;

/// `vol-info`: type and sizes in bytes.
#[pyclass(frozen, module = "kvmpool", name = "VolumeInfo", get_all, eq)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyVolumeInfo {
    /// "file", "block", "dir", "network", "netdir" or "ploop".
    volume_type: &'static str,
    /// Logical size.
    capacity: u64,
    /// Space used on the host.
    allocation: u64,
}

#[pymethods]
impl PyVolumeInfo {
    fn __repr__(&self) -> String {
        format!(
            "VolumeInfo(volume_type={:?}, capacity={}, allocation={})",
            self.volume_type, self.capacity, self.allocation
        )
    }
}

/// What a transfer moved.
#[pyclass(frozen, module = "kvmpool", name = "TransferReport", get_all)]
pub(crate) struct PyTransferReport {
    /// Bytes of data sent or received.
    data_bytes: u64,
    /// Bytes skipped as holes.
    hole_bytes: u64,
    /// How the bytes moved: "stream" or "direct".
    method: &'static str,
}

impl From<core::TransferReport> for PyTransferReport {
    fn from(r: core::TransferReport) -> Self {
        PyTransferReport {
            data_bytes: r.data_bytes,
            hole_bytes: r.hole_bytes,
            method: r.method.as_str(),
        }
    }
}

#[pymethods]
impl PyTransferReport {
    fn __repr__(&self) -> String {
        format!(
            "TransferReport(data_bytes={}, hole_bytes={}, method={:?})",
            self.data_bytes, self.hole_bytes, self.method
        )
    }
}

/// What an export wrote.
#[pyclass(frozen, module = "kvmpool", name = "ExportReport", get_all)]
pub(crate) struct PyExportReport {
    /// The file's format.
    format: &'static str,
    /// True when it was converted with qemu-img.
    converted: bool,
    /// The file's length.
    bytes: u64,
    /// Bytes of data read from the volume.
    data_bytes: u64,
    /// Bytes read as holes.
    hole_bytes: u64,
    /// The checksums computed of the file: algorithm name to hex digest.
    checksums: std::collections::BTreeMap<&'static str, String>,
}

#[pymethods]
impl PyExportReport {
    fn __repr__(&self) -> String {
        format!(
            "ExportReport(format={:?}, converted={}, bytes={}, checksums={:?})",
            self.format, self.converted, self.bytes, self.checksums
        )
    }
}

/// The expected checksums given as `sha256=` / `sha512=` hex digests.
pub(crate) fn checksums(sha256: Option<&str>, sha512: Option<&str>) -> PyResult<Vec<Checksum>> {
    [
        (ChecksumAlgorithm::Sha256, sha256),
        (ChecksumAlgorithm::Sha512, sha512),
    ]
    .into_iter()
    .filter_map(|(alg, hex)| hex.map(|h| Checksum::from_hex(alg, h, alg.as_str())))
    .collect::<kvmpool_core::Result<_>>()
    .map_err(to_py)
}

/// An exception raised by a progress callback or a signal handler, kept until the
/// transfer returns.
pub(crate) type Failure = Arc<Mutex<Option<PyErr>>>;

/// Keep the first exception of a transfer.
fn keep(failure: &Failure, err: PyErr) {
    failure
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert(err);
}

/// Transfer options whose progress calls `progress(done, total)` with the GIL held;
/// an exception (or a `False` return) cancels the transfer. Their interrupt check runs
/// the signal handlers (`Python::check_signals`, with the GIL taken briefly), so that
/// Ctrl-C cancels a transfer without a progress callback too; the handler's exception
/// (KeyboardInterrupt) is raised once the transfer has cleaned up.
pub(crate) fn transfer_options(
    sparse: bool,
    offset: u64,
    length: Option<u64>,
    progress: Option<Py<PyAny>>,
    method: TransferMethod,
) -> (TransferOptions, Failure) {
    let failure: Failure = Arc::new(Mutex::new(None));
    let signalled = failure.clone();
    let mut opts = TransferOptions {
        sparse,
        offset,
        length,
        method,
        ..TransferOptions::default()
    }
    .interrupt(move || {
        Python::attach(|py| match py.check_signals() {
            Ok(()) => false,
            Err(e) => {
                keep(&signalled, e);
                true
            }
        })
    });
    if let Some(cb) = progress {
        let raised = failure.clone();
        opts = opts.progress(move |done, total| {
            Python::attach(|py| match cb.call1(py, (done, total)) {
                // Only an explicit False cancels; None (no return) goes on.
                Ok(ret) => !ret.bind(py).is(PyBool::new(py, false)),
                Err(e) => {
                    keep(&raised, e);
                    false
                }
            })
        });
    }
    (opts, failure)
}

/// The transfer's result; a cancellation caused by an exception in the progress
/// callback or a signal handler raises that exception.
pub(crate) fn finish_transfer<T>(result: core::Result<T>, failure: Failure) -> PyResult<T> {
    result.map_err(|e| {
        let raised = failure.lock().unwrap_or_else(|p| p.into_inner()).take();
        match raised {
            Some(py_err) if e.kind() == ErrorKind::Cancelled => py_err,
            _ => to_py(e),
        }
    })
}

/// A storage volume. Safe to share between threads.
#[pyclass(frozen, module = "kvmpool", name = "Volume")]
pub(crate) struct PyVolume {
    pub(crate) inner: core::Volume,
}

impl From<core::Volume> for PyVolume {
    fn from(inner: core::Volume) -> Self {
        PyVolume { inner }
    }
}

#[pymethods]
impl PyVolume {
    /// `vol-name`.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// `vol-key`.
    #[getter]
    fn key(&self) -> &str {
        self.inner.key()
    }

    /// `vol-path`.
    #[getter]
    fn path(&self, py: Python<'_>) -> PyResult<String> {
        let v = &self.inner;
        call(py, || v.path())
    }

    /// `vol-pool`.
    fn pool(&self, py: Python<'_>) -> PyResult<PyPool> {
        let v = &self.inner;
        call(py, || v.pool()).map(Into::into)
    }

    /// `vol-info`.
    fn info(&self, py: Python<'_>) -> PyResult<PyVolumeInfo> {
        let v = &self.inner;
        let i = call(py, || v.info())?;
        Ok(PyVolumeInfo {
            volume_type: i.volume_type.as_str(),
            capacity: i.capacity.as_bytes(),
            allocation: i.allocation.as_bytes(),
        })
    }

    /// Size on the host (`vol-info --physical`), in bytes.
    fn physical(&self, py: Python<'_>) -> PyResult<u64> {
        let v = &self.inner;
        call(py, || v.physical()).map(|s| s.as_bytes())
    }

    /// `vol-dumpxml`.
    fn xml(&self, py: Python<'_>) -> PyResult<String> {
        let v = &self.inner;
        call(py, || v.xml())
    }

    /// The definition, parsed.
    fn spec(&self, py: Python<'_>) -> PyResult<PyVolumeSpec> {
        let v = &self.inner;
        call(py, || v.spec()).map(|inner| PyVolumeSpec { inner })
    }

    /// `vol-clone`: a copy called `name` in the same pool.
    #[pyo3(signature = (name, *, reflink=false))]
    fn clone(&self, py: Python<'_>, name: &str, reflink: bool) -> PyResult<PyVolume> {
        let v = &self.inner;
        call(py, || v.clone_as(name, reflink)).map(Into::into)
    }

    /// `vol-resize`: `capacity` absolute, or with `delta=True` added; `shrink=True`
    /// allows going down, `allocate=True` allocates the new space.
    #[pyo3(signature = (capacity, *, delta=false, shrink=false, allocate=false))]
    fn resize(
        &self,
        py: Python<'_>,
        capacity: &Bound<'_, PyAny>,
        delta: bool,
        shrink: bool,
        allocate: bool,
    ) -> PyResult<()> {
        let r = Resize {
            capacity: size("capacity", capacity)?,
            delta,
            shrink,
            allocate,
        };
        let v = &self.inner;
        call(py, || v.resize(r))
    }

    /// `vol-wipe` (algorithm "zero" by default; others need `scrub` on the host).
    #[pyo3(signature = (algorithm="zero"))]
    fn wipe(&self, py: Python<'_>, algorithm: &str) -> PyResult<()> {
        let alg = parse_enum("algorithm", algorithm)?;
        let v = &self.inner;
        call(py, || v.wipe(alg))
    }

    /// `vol-delete` (mode "normal" or "zeroed").
    #[pyo3(signature = (mode="normal"))]
    fn delete(&self, py: Python<'_>, mode: &str) -> PyResult<()> {
        let mode = parse_enum("mode", mode)?;
        let v = &self.inner;
        call(py, || v.delete(mode))
    }

    /// `vol-upload`: a local file into the volume. `progress(done, total)` is called
    /// per chunk; raising in it cancels and the exception propagates.
    #[pyo3(signature = (
        path, *, sparse=false, offset=0, length=None, progress=None, method="auto",
    ))]
    #[allow(clippy::too_many_arguments)]
    fn upload(
        &self,
        py: Python<'_>,
        path: PathBuf,
        sparse: bool,
        offset: u64,
        length: Option<u64>,
        progress: Option<Py<PyAny>>,
        method: &str,
    ) -> PyResult<PyTransferReport> {
        let method = parse_enum("method", method)?;
        let (opts, failure) = transfer_options(sparse, offset, length, progress, method);
        let v = &self.inner;
        finish_transfer(py.detach(|| v.upload_file(&path, &opts)), failure).map(Into::into)
    }

    /// `vol-download`: the volume into a local file (replaced only when complete).
    #[pyo3(signature = (
        path, *, sparse=false, offset=0, length=None, progress=None, method="auto",
    ))]
    #[allow(clippy::too_many_arguments)]
    fn download(
        &self,
        py: Python<'_>,
        path: PathBuf,
        sparse: bool,
        offset: u64,
        length: Option<u64>,
        progress: Option<Py<PyAny>>,
        method: &str,
    ) -> PyResult<PyTransferReport> {
        let method = parse_enum("method", method)?;
        let (opts, failure) = transfer_options(sparse, offset, length, progress, method);
        let v = &self.inner;
        finish_transfer(py.detach(|| v.download_file(&path, &opts)), failure).map(Into::into)
    }

    /// Write the volume to the image file `path` (renamed into place when complete):
    /// as it is, or converted into `format` with qemu-img; `checksum` ("sha256" or
    /// "sha512") computes a sum of the file, `sha256=`/`sha512=` must match.
    #[pyo3(signature = (
        path, *, format=None, sparse=true, checksum=None, sha256=None, sha512=None,
        overwrite=false, progress=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn export(
        &self,
        py: Python<'_>,
        path: PathBuf,
        format: Option<&str>,
        sparse: bool,
        checksum: Option<&str>,
        sha256: Option<&str>,
        sha512: Option<&str>,
        overwrite: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyExportReport> {
        let (transfer, failure) = transfer_options(sparse, 0, None, progress, TransferMethod::Auto);
        let options = core::ExportOptions {
            format: opt_enum("format", format)?,
            sparse,
            checksum: opt_enum("checksum", checksum)?,
            checksums: checksums(sha256, sha512)?,
            overwrite,
            progress: transfer.progress,
            cancel: None,
        };
        let v = &self.inner;
        let r = finish_transfer(py.detach(|| v.export(&path, &options)), failure)?;
        Ok(PyExportReport {
            format: r.format.as_str(),
            converted: r.converted,
            bytes: r.bytes,
            data_bytes: r.transfer.data_bytes,
            hole_bytes: r.transfer.hole_bytes,
            checksums: r
                .checksums
                .iter()
                .map(|c| (c.algorithm().as_str(), c.hex()))
                .collect(),
        })
    }

    fn __repr__(&self) -> String {
        format!("<kvmpool.Volume {:?}>", self.inner.name())
    }
}
