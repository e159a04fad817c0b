//! The one place that knows libvirt's numbers: error codes to [`ErrorKind`], typed
//! options to flags, states to enums. Everything else talks in kvmpool's types.

use std::sync::Once;
use std::thread::sleep;
use std::time::{Duration, Instant};

use virt::sys;

use crate::error::{Error, ErrorKind, LibvirtDetail, Result};
use crate::options::{BuildMode, DeleteMode, PoolFilter, PoolState, WipeAlgorithm};
use crate::spec::{PoolType, VolumeType};

/// Switch off libvirt's default error printing (to stderr) once per process: kvmpool
/// reports every error through its own types.
pub(crate) fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(virt::error::clear_error_callback);
}

/// Map a libvirt error to kvmpool's taxonomy by its code.
pub(crate) fn error(e: virt::error::Error) -> Error {
    let code = e.code().to_raw() as i32;
    let detail = LibvirtDetail {
        code,
        domain: e.domain().to_raw() as i32,
        message: e.message().to_owned(),
    };
    Error::from_libvirt(kind_of(code as u32, e.message()), detail)
}

fn kind_of(code: u32, message: &str) -> ErrorKind {
    match code {
        sys::VIR_ERR_NO_STORAGE_POOL | sys::VIR_ERR_NO_STORAGE_VOL | sys::VIR_ERR_NO_SECRET => {
            ErrorKind::NotFound
        }
        sys::VIR_ERR_STORAGE_VOL_EXIST | sys::VIR_ERR_STORAGE_POOL_BUILT => {
            ErrorKind::AlreadyExists
        }
        sys::VIR_ERR_RESOURCE_BUSY => ErrorKind::Busy,
        // libvirt has no code for "busy": it reports running jobs as an internal error or
        // an invalid operation, so the message is the only signal (see storage_driver.c).
        sys::VIR_ERR_INTERNAL_ERROR | sys::VIR_ERR_OPERATION_INVALID
            if is_busy_message(message) =>
        {
            ErrorKind::Busy
        }
        sys::VIR_ERR_OPERATION_INVALID => ErrorKind::State,
        sys::VIR_ERR_NO_SUPPORT | sys::VIR_ERR_OPERATION_UNSUPPORTED | sys::VIR_WAR_NO_STORAGE => {
            ErrorKind::Unsupported
        }
        sys::VIR_ERR_NO_CONNECT
        | sys::VIR_ERR_INVALID_CONN
        | sys::VIR_ERR_AUTH_FAILED
        | sys::VIR_ERR_AUTH_CANCELLED
        | sys::VIR_ERR_AUTH_UNAVAILABLE => ErrorKind::Connect,
        sys::VIR_ERR_XML_ERROR
        | sys::VIR_ERR_XML_DETAIL
        | sys::VIR_ERR_XML_INVALID_SCHEMA
        | sys::VIR_ERR_INVALID_ARG
        | sys::VIR_ERR_CONFIG_UNSUPPORTED => ErrorKind::InvalidSpec,
        sys::VIR_ERR_OPERATION_ABORTED => ErrorKind::Cancelled,
        _ => ErrorKind::Libvirt,
    }
}

fn is_busy_message(message: &str) -> bool {
    [
        "asynchronous jobs running",
        "still being allocated",
        "still in use",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// libvirt rejects a flag or algorithm that a driver or backend lacks as an invalid
/// argument; kvmpool only passes valid ones, so for those calls it means unsupported.
pub(crate) fn invalid_arg_is_unsupported(e: Error) -> Error {
    if e.libvirt_code() == Some(sys::VIR_ERR_INVALID_ARG as i32) {
        e.with_kind(ErrorKind::Unsupported)
    } else {
        e
    }
}

/// How long kvmpool keeps retrying an operation that libvirt refuses as busy.
const BUSY_RETRY_FOR: Duration = Duration::from_secs(60);

/// Run `f`, retrying with backoff while libvirt says the object is busy (another
/// thread's volume build, a refresh), so callers never see transient Busy errors.
pub(crate) fn retry_busy<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let start = Instant::now();
    let mut wait = Duration::from_millis(5);
    loop {
        match f() {
            Err(e) if e.kind() == ErrorKind::Busy && start.elapsed() < BUSY_RETRY_FOR => {
                sleep(wait);
                wait = (wait * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

pub(crate) fn build_flags(mode: BuildMode) -> u32 {
    match mode {
        BuildMode::Normal => sys::VIR_STORAGE_POOL_BUILD_NEW,
        BuildMode::Overwrite => sys::VIR_STORAGE_POOL_BUILD_OVERWRITE,
        BuildMode::NoOverwrite => sys::VIR_STORAGE_POOL_BUILD_NO_OVERWRITE,
    }
}

pub(crate) fn create_with_build_flags(mode: Option<BuildMode>) -> u32 {
    match mode {
        None => sys::VIR_STORAGE_POOL_CREATE_NORMAL,
        Some(BuildMode::Normal) => sys::VIR_STORAGE_POOL_CREATE_WITH_BUILD,
        Some(BuildMode::Overwrite) => sys::VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE,
        Some(BuildMode::NoOverwrite) => sys::VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE,
    }
}

pub(crate) fn pool_delete_flags(mode: DeleteMode) -> u32 {
    match mode {
        DeleteMode::Normal => sys::VIR_STORAGE_POOL_DELETE_NORMAL,
        DeleteMode::Zeroed => sys::VIR_STORAGE_POOL_DELETE_ZEROED,
    }
}

pub(crate) fn vol_delete_flags(mode: DeleteMode) -> u32 {
    match mode {
        DeleteMode::Normal => sys::VIR_STORAGE_VOL_DELETE_NORMAL,
        DeleteMode::Zeroed => sys::VIR_STORAGE_VOL_DELETE_ZEROED,
    }
}

pub(crate) fn wipe_algorithm(alg: WipeAlgorithm) -> u32 {
    match alg {
        WipeAlgorithm::Zero => sys::VIR_STORAGE_VOL_WIPE_ALG_ZERO,
        WipeAlgorithm::Nnsa => sys::VIR_STORAGE_VOL_WIPE_ALG_NNSA,
        WipeAlgorithm::Dod => sys::VIR_STORAGE_VOL_WIPE_ALG_DOD,
        WipeAlgorithm::Bsi => sys::VIR_STORAGE_VOL_WIPE_ALG_BSI,
        WipeAlgorithm::Gutmann => sys::VIR_STORAGE_VOL_WIPE_ALG_GUTMANN,
        WipeAlgorithm::Schneier => sys::VIR_STORAGE_VOL_WIPE_ALG_SCHNEIER,
        WipeAlgorithm::Pfitzner7 => sys::VIR_STORAGE_VOL_WIPE_ALG_PFITZNER7,
        WipeAlgorithm::Pfitzner33 => sys::VIR_STORAGE_VOL_WIPE_ALG_PFITZNER33,
        WipeAlgorithm::Random => sys::VIR_STORAGE_VOL_WIPE_ALG_RANDOM,
        WipeAlgorithm::Trim => sys::VIR_STORAGE_VOL_WIPE_ALG_TRIM,
    }
}

pub(crate) fn resize_flags(r: &crate::options::Resize) -> u32 {
    let mut flags = 0;
    if r.delta {
        flags |= sys::VIR_STORAGE_VOL_RESIZE_DELTA;
    }
    if r.shrink {
        flags |= sys::VIR_STORAGE_VOL_RESIZE_SHRINK;
    }
    if r.allocate {
        flags |= sys::VIR_STORAGE_VOL_RESIZE_ALLOCATE;
    }
    flags
}

pub(crate) fn list_flags(filter: &PoolFilter) -> u32 {
    let pick = |v: Option<bool>, yes: u32, no: u32| match v {
        None => 0,
        Some(true) => yes,
        Some(false) => no,
    };
    let mut flags = pick(
        filter.active,
        sys::VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE,
        sys::VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE,
    ) | pick(
        filter.persistent,
        sys::VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT,
        sys::VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT,
    ) | pick(
        filter.autostart,
        sys::VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART,
        sys::VIR_CONNECT_LIST_STORAGE_POOLS_NO_AUTOSTART,
    );
    for ty in &filter.types {
        flags |= list_type_flag(*ty);
    }
    flags
}

fn list_type_flag(ty: PoolType) -> u32 {
    match ty {
        PoolType::Dir => sys::VIR_CONNECT_LIST_STORAGE_POOLS_DIR,
        PoolType::Fs => sys::VIR_CONNECT_LIST_STORAGE_POOLS_FS,
        PoolType::Netfs => sys::VIR_CONNECT_LIST_STORAGE_POOLS_NETFS,
        PoolType::Logical => sys::VIR_CONNECT_LIST_STORAGE_POOLS_LOGICAL,
        PoolType::Disk => sys::VIR_CONNECT_LIST_STORAGE_POOLS_DISK,
        PoolType::Iscsi => sys::VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI,
        PoolType::IscsiDirect => sys::VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI_DIRECT,
        PoolType::Scsi => sys::VIR_CONNECT_LIST_STORAGE_POOLS_SCSI,
        PoolType::Mpath => sys::VIR_CONNECT_LIST_STORAGE_POOLS_MPATH,
        PoolType::Rbd => sys::VIR_CONNECT_LIST_STORAGE_POOLS_RBD,
        PoolType::Sheepdog => sys::VIR_CONNECT_LIST_STORAGE_POOLS_SHEEPDOG,
        PoolType::Gluster => sys::VIR_CONNECT_LIST_STORAGE_POOLS_GLUSTER,
        PoolType::Zfs => sys::VIR_CONNECT_LIST_STORAGE_POOLS_ZFS,
        PoolType::Vstorage => sys::VIR_CONNECT_LIST_STORAGE_POOLS_VSTORAGE,
    }
}

pub(crate) fn pool_state(state: u32) -> PoolState {
    match state {
        sys::VIR_STORAGE_POOL_BUILDING => PoolState::Building,
        sys::VIR_STORAGE_POOL_RUNNING => PoolState::Running,
        sys::VIR_STORAGE_POOL_DEGRADED => PoolState::Degraded,
        sys::VIR_STORAGE_POOL_INACCESSIBLE => PoolState::Inaccessible,
        _ => PoolState::Inactive,
    }
}

pub(crate) fn volume_type(kind: u32) -> VolumeType {
    match kind {
        sys::VIR_STORAGE_VOL_BLOCK => VolumeType::Block,
        sys::VIR_STORAGE_VOL_DIR => VolumeType::Dir,
        sys::VIR_STORAGE_VOL_NETWORK => VolumeType::Network,
        sys::VIR_STORAGE_VOL_NETDIR => VolumeType::Netdir,
        sys::VIR_STORAGE_VOL_PLOOP => VolumeType::Ploop,
        _ => VolumeType::File,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(
            kind_of(sys::VIR_ERR_NO_STORAGE_POOL, ""),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind_of(sys::VIR_ERR_NO_STORAGE_VOL, ""),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind_of(sys::VIR_ERR_STORAGE_VOL_EXIST, ""),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            kind_of(
                sys::VIR_ERR_OPERATION_INVALID,
                "storage pool 'x' is not active"
            ),
            ErrorKind::State
        );
        assert_eq!(
            kind_of(
                sys::VIR_ERR_INTERNAL_ERROR,
                "pool 'x' has asynchronous jobs running."
            ),
            ErrorKind::Busy
        );
        assert_eq!(
            kind_of(sys::VIR_ERR_INTERNAL_ERROR, "anything else"),
            ErrorKind::Libvirt
        );
        assert_eq!(kind_of(sys::VIR_ERR_NO_SUPPORT, ""), ErrorKind::Unsupported);
        assert_eq!(kind_of(sys::VIR_ERR_XML_ERROR, ""), ErrorKind::InvalidSpec);
        assert_eq!(kind_of(sys::VIR_ERR_NO_CONNECT, ""), ErrorKind::Connect);
    }

    #[test]
    fn busy_is_retried_then_succeeds() {
        let mut n = 0;
        let r = retry_busy(|| {
            n += 1;
            if n < 3 {
                Err(Error::new(ErrorKind::Busy, "busy"))
            } else {
                Ok(n)
            }
        });
        assert_eq!(r.unwrap(), 3);
    }
}
