//! Uploads and downloads (`vol-upload`, `vol-download`): streaming with large buffers,
//! sparse transfers (holes stay holes, found with `SEEK_DATA`/`SEEK_HOLE` and sent as
//! libvirt stream holes), progress reports and cancellation.
//!
//! - `options`: what a transfer is asked and how it reports and stops;
//! - `shim`: the libvirt stream itself;
//! - `upload`, `download`: the transfers;
//! - `direct`: the same without a stream, when the daemon is on this machine;
//! - `sinks`: where downloaded bytes go.

mod direct;
mod download;
mod options;
mod shim;
mod sinks;
mod upload;

pub(crate) use options::{progress_and_cancel, Ticker};
pub use options::{
    CancelToken, InterruptFn, ProgressFn, TransferMethod, TransferOptions, TransferReport,
    CHUNK_BYTES, INTERRUPT_EVERY,
};
pub(crate) use shim::{upload_flags, VolStream};
pub(crate) use sinks::{is_block_device, is_zero, FileSink, Sink, TempFile};
pub(crate) use upload::{next_data, send_zeros};

use crate::error::Result;
use crate::trace::change;
use crate::volume::Volume;

/// `result`, a transfer of `vol` `way` (`uploaded from`, `downloaded to`) `other`,
/// logged as a change when it succeeded.
fn logged(
    vol: &Volume,
    way: &str,
    other: &dyn std::fmt::Display,
    result: Result<TransferReport>,
) -> Result<TransferReport> {
    if let Ok(report) = &result {
        change!("volume {}: {way} {other} ({report})", vol.display_name());
    }
    result
}
