//! `kvmpool_status`, the thread's last error, and the library version.

use std::ffi::{c_char, c_int, CStr};

use kvmpool_core::ErrorKind;

use crate::boundary::{self, ffi_infallible};

/// The result of every fallible call. `KVMPOOL_OK` is 0; every other value is an
/// error whose text is in kvmpool_last_error_message(). Values 1 to 99 are the error
/// kinds shared with the Rust and Python front ends; 100 and up are errors of the C
/// layer itself. Numbers are never reused: a retired value stays reserved.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum kvmpool_status {
    /// Success.
    KVMPOOL_OK = 0,
    /// The spec, XML, size or argument is invalid; nothing was sent to libvirt.
    /// kvmpool_last_error_field() names the field at fault.
    KVMPOOL_ERR_INVALID_SPEC = 1,
    /// No such pool, volume or source.
    KVMPOOL_ERR_NOT_FOUND = 2,
    /// A pool or volume with that name (or UUID, or key) already exists.
    KVMPOOL_ERR_ALREADY_EXISTS = 3,
    /// The object is in the wrong state for the operation (e.g. pool not running).
    KVMPOOL_ERR_STATE = 4,
    /// libvirt refused because the object has asynchronous jobs running.
    KVMPOOL_ERR_BUSY = 5,
    /// The driver or the pool backend does not support the operation.
    KVMPOOL_ERR_UNSUPPORTED = 6,
    /// The connection could not be opened, or was lost (the next call reconnects).
    KVMPOOL_ERR_CONNECT = 7,
    /// A progress callback asked to stop.
    KVMPOOL_ERR_CANCELLED = 8,
    /// Reading or writing a local file failed.
    KVMPOOL_ERR_IO = 9,
    /// Any other libvirt error; kvmpool_last_error_libvirt_code() gives libvirt's code.
    KVMPOOL_ERR_LIBVIRT = 10,
    // 11 to 99: reserved for future error kinds.
    /// A required pointer argument (handle, string or out-parameter) was NULL.
    KVMPOOL_ERR_NULL = 100,
    /// A string argument was not valid UTF-8.
    KVMPOOL_ERR_UTF8 = 101,
    /// An internal error (a Rust panic) was caught; the process is unharmed, but the
    /// operation may have stopped part-way. Please report it.
    KVMPOOL_ERR_PANIC = 102,
}

impl kvmpool_status {
    /// Every status, for lookups by number.
    pub(crate) const ALL: [kvmpool_status; 14] = [
        kvmpool_status::KVMPOOL_OK,
        kvmpool_status::KVMPOOL_ERR_INVALID_SPEC,
        kvmpool_status::KVMPOOL_ERR_NOT_FOUND,
        kvmpool_status::KVMPOOL_ERR_ALREADY_EXISTS,
        kvmpool_status::KVMPOOL_ERR_STATE,
        kvmpool_status::KVMPOOL_ERR_BUSY,
        kvmpool_status::KVMPOOL_ERR_UNSUPPORTED,
        kvmpool_status::KVMPOOL_ERR_CONNECT,
        kvmpool_status::KVMPOOL_ERR_CANCELLED,
        kvmpool_status::KVMPOOL_ERR_IO,
        kvmpool_status::KVMPOOL_ERR_LIBVIRT,
        kvmpool_status::KVMPOOL_ERR_NULL,
        kvmpool_status::KVMPOOL_ERR_UTF8,
        kvmpool_status::KVMPOOL_ERR_PANIC,
    ];

    /// The status of an error kind. Exhaustive: a kind added to the core does not
    /// compile here until it has a status of its own.
    pub(crate) fn from_kind(kind: ErrorKind) -> kvmpool_status {
        match kind {
            ErrorKind::InvalidSpec => kvmpool_status::KVMPOOL_ERR_INVALID_SPEC,
            ErrorKind::NotFound => kvmpool_status::KVMPOOL_ERR_NOT_FOUND,
            ErrorKind::AlreadyExists => kvmpool_status::KVMPOOL_ERR_ALREADY_EXISTS,
            ErrorKind::State => kvmpool_status::KVMPOOL_ERR_STATE,
            ErrorKind::Busy => kvmpool_status::KVMPOOL_ERR_BUSY,
            ErrorKind::Unsupported => kvmpool_status::KVMPOOL_ERR_UNSUPPORTED,
            ErrorKind::Connect => kvmpool_status::KVMPOOL_ERR_CONNECT,
            ErrorKind::Cancelled => kvmpool_status::KVMPOOL_ERR_CANCELLED,
            ErrorKind::Io => kvmpool_status::KVMPOOL_ERR_IO,
            ErrorKind::Libvirt => kvmpool_status::KVMPOOL_ERR_LIBVIRT,
        }
    }

    /// The status with this number, if there is one.
    pub(crate) fn from_u32(value: u32) -> Option<kvmpool_status> {
        Self::ALL.into_iter().find(|s| *s as u32 == value)
    }

    /// The C name of the status, as a static C string.
    pub(crate) fn c_name(self) -> &'static CStr {
        match self {
            kvmpool_status::KVMPOOL_OK => c"KVMPOOL_OK",
            kvmpool_status::KVMPOOL_ERR_INVALID_SPEC => c"KVMPOOL_ERR_INVALID_SPEC",
            kvmpool_status::KVMPOOL_ERR_NOT_FOUND => c"KVMPOOL_ERR_NOT_FOUND",
            kvmpool_status::KVMPOOL_ERR_ALREADY_EXISTS => c"KVMPOOL_ERR_ALREADY_EXISTS",
            kvmpool_status::KVMPOOL_ERR_STATE => c"KVMPOOL_ERR_STATE",
            kvmpool_status::KVMPOOL_ERR_BUSY => c"KVMPOOL_ERR_BUSY",
            kvmpool_status::KVMPOOL_ERR_UNSUPPORTED => c"KVMPOOL_ERR_UNSUPPORTED",
            kvmpool_status::KVMPOOL_ERR_CONNECT => c"KVMPOOL_ERR_CONNECT",
            kvmpool_status::KVMPOOL_ERR_CANCELLED => c"KVMPOOL_ERR_CANCELLED",
            kvmpool_status::KVMPOOL_ERR_IO => c"KVMPOOL_ERR_IO",
            kvmpool_status::KVMPOOL_ERR_LIBVIRT => c"KVMPOOL_ERR_LIBVIRT",
            kvmpool_status::KVMPOOL_ERR_NULL => c"KVMPOOL_ERR_NULL",
            kvmpool_status::KVMPOOL_ERR_UTF8 => c"KVMPOOL_ERR_UTF8",
            kvmpool_status::KVMPOOL_ERR_PANIC => c"KVMPOOL_ERR_PANIC",
        }
    }
}

/// The name of a status as a static string ("KVMPOOL_OK", "KVMPOOL_ERR_NOT_FOUND",
/// ...), or "KVMPOOL_UNKNOWN_STATUS" for a number that is no status. Never NULL;
/// never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_status_name(status: u32) -> *const c_char {
    ffi_infallible(c"KVMPOOL_UNKNOWN_STATUS".as_ptr(), || {
        kvmpool_status::from_u32(status)
            .map_or(c"KVMPOOL_UNKNOWN_STATUS", kvmpool_status::c_name)
            .as_ptr()
    })
}

/// The message of the last error on the calling thread: what failed and why,
/// including libvirt's own message when libvirt reported the error. "" when the last
/// call that returns a kvmpool_status succeeded. Never NULL. The text belongs to the
/// library and stays valid until the calling thread's next kvmpool call; copy it to
/// keep it. Each thread has its own last error.
#[no_mangle]
pub extern "C" fn kvmpool_last_error_message() -> *const c_char {
    ffi_infallible(c"".as_ptr(), boundary::last_error_message)
}

/// The libvirt error code (virErrorNumber, e.g. 49 for VIR_ERR_NO_STORAGE_POOL) of the
/// last error on the calling thread, or -1 when that error did not come from libvirt
/// (an invalid spec checked before any call, a local I/O error, NULL or UTF-8
/// arguments, a cancelled transfer) or the last call succeeded. libvirt never uses 0
/// (VIR_ERR_OK) for an error, so any value >= 1 is a real libvirt code.
#[no_mangle]
pub extern "C" fn kvmpool_last_error_libvirt_code() -> c_int {
    ffi_infallible(-1, boundary::last_error_libvirt_code)
}

/// The field or argument at fault in the last error on the calling thread, when
/// there is one: the spec field for KVMPOOL_ERR_INVALID_SPEC (e.g. "target.path",
/// "source.host.name"), the argument name for KVMPOOL_ERR_NULL and KVMPOOL_ERR_UTF8
/// (e.g. "name", "pool_out"). NULL otherwise. Valid until the thread's next kvmpool
/// call.
#[no_mangle]
pub extern "C" fn kvmpool_last_error_field() -> *const c_char {
    ffi_infallible(std::ptr::null(), boundary::last_error_field)
}

/// Version of this header, as numbers and as a string (compare with kvmpool_version()
/// to check that the library you run is the one you compiled against).
pub const KVMPOOL_VERSION_MAJOR: u32 = 0;
/// Minor version.
pub const KVMPOOL_VERSION_MINOR: u32 = 1;
/// Patch version.
pub const KVMPOOL_VERSION_PATCH: u32 = 0;
// The version string, KVMPOOL_VERSION, is written into the header by cbindgen.toml's
// `after_includes` (cbindgen does not export string constants); a test checks it.

const RUNTIME_VERSION: &CStr = {
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the package version holds a NUL byte"),
    }
};

/// The version of the library that is running ("0.1.0"), a static string. Never NULL;
/// never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_version() -> *const c_char {
    RUNTIME_VERSION.as_ptr()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_kind_has_its_own_status() {
        let mut seen = HashSet::new();
        for kind in ErrorKind::ALL {
            let status = kvmpool_status::from_kind(kind);
            assert_ne!(status, kvmpool_status::KVMPOOL_OK, "{kind}");
            assert!(
                seen.insert(status),
                "{kind} shares {status:?} with another kind"
            );
            let n = status as u32;
            assert!((1..100).contains(&n), "{kind}: kinds are numbered 1 to 99");
            // SAFETY: kvmpool_status_name returns a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(kvmpool_status_name(n)) };
            let name = name.to_str().unwrap();
            assert!(name.starts_with("KVMPOOL_ERR_"), "{kind}: {name}");
            assert_eq!(format!("{status:?}"), name);
            // The C name spells the kind: InvalidSpec -> INVALID_SPEC.
            let mut spelled = String::new();
            for (i, c) in kind.name().chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    spelled.push('_');
                }
                spelled.push(c.to_ascii_uppercase());
            }
            assert_eq!(name, format!("KVMPOOL_ERR_{spelled}"));
        }
        assert_eq!(seen.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn statuses_are_numbered_once_and_named() {
        let mut numbers = HashSet::new();
        for status in kvmpool_status::ALL {
            assert!(numbers.insert(status as u32), "{status:?} reuses a number");
            assert_eq!(kvmpool_status::from_u32(status as u32), Some(status));
            assert_eq!(
                status.c_name().to_str().unwrap(),
                format!("{status:?}"),
                "name of {status:?}"
            );
        }
        assert_eq!(kvmpool_status::KVMPOOL_OK as u32, 0);
        assert_eq!(kvmpool_status::KVMPOOL_ERR_NULL as u32, 100);
        assert_eq!(kvmpool_status::KVMPOOL_ERR_UTF8 as u32, 101);
        assert_eq!(kvmpool_status::KVMPOOL_ERR_PANIC as u32, 102);
        // SAFETY: a static NUL-terminated string.
        let unknown = unsafe { CStr::from_ptr(kvmpool_status_name(77)) };
        assert_eq!(unknown.to_str().unwrap(), "KVMPOOL_UNKNOWN_STATUS");
    }

    #[test]
    fn version_macros_match_the_package() {
        assert_eq!(
            KVMPOOL_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            KVMPOOL_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            KVMPOOL_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(RUNTIME_VERSION.to_str().unwrap(), version);
        let config = include_str!("../cbindgen.toml");
        let define = format!("#define KVMPOOL_VERSION \"{version}\"");
        assert!(config.contains(&define), "cbindgen.toml lacks {define}");
    }
}
