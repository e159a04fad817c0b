//! The FFI boundary: the one function that catches panics, the thread's last error,
//! and the helpers that turn C arguments into Rust ones (NULL and UTF-8 checks) and
//! Rust results into C ones (handles, strings, lists, out-parameters).
//!
//! Every pointer these helpers receive comes from a C caller, and the header states
//! the contract for each: NULL, or a live handle made by this library, a
//! NUL-terminated string, or writable memory for the out-parameter's type. The
//! `unsafe` blocks below rely on exactly that contract and on nothing else.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::str::Utf8Error;

use kvmpool_core::{Error, ErrorKind, FieldValue, Size};

use crate::status::kvmpool_status;

/// Why a call failed: a core error, or an argument the wrapper could not convert, or
/// a panic inside the library.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The core reported an error.
    Core(Error),
    /// A required pointer argument was NULL.
    Null { arg: &'static str },
    /// A string argument was not UTF-8.
    Utf8 { arg: &'static str, err: Utf8Error },
    /// A panic was caught at the boundary (an internal bug).
    Panic(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl Failure {
    pub(crate) fn status(&self) -> kvmpool_status {
        match self {
            Failure::Core(e) => kvmpool_status::from_kind(e.kind()),
            Failure::Null { .. } => kvmpool_status::KVMPOOL_ERR_NULL,
            Failure::Utf8 { .. } => kvmpool_status::KVMPOOL_ERR_UTF8,
            Failure::Panic(_) => kvmpool_status::KVMPOOL_ERR_PANIC,
        }
    }

    fn message(&self) -> String {
        match self {
            // The core's message already holds its cause (libvirt's text, the I/O error).
            Failure::Core(e) => e.to_string(),
            Failure::Null { arg } => format!("argument `{arg}` is NULL"),
            Failure::Utf8 { arg, err } => format!("argument `{arg}` is not valid UTF-8: {err}"),
            Failure::Panic(msg) => format!("internal error (a panic was caught): {msg}"),
        }
    }
}

/// An argument error of the wrapper's own (an unknown mode, a bad UUID string):
/// reported as [`ErrorKind::InvalidSpec`] with the argument as the field.
pub(crate) fn invalid(arg: &str, reason: impl std::fmt::Display) -> Failure {
    Failure::Core(Error::invalid(arg, reason))
}

// --- the thread's last error ---------------------------------------------------------

struct LastError {
    message: CString,
    field: Option<CString>,
    libvirt_code: c_int,
}

impl LastError {
    fn none() -> Self {
        LastError {
            message: CString::default(),
            field: None,
            libvirt_code: -1,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = RefCell::new(LastError::none());
}

/// A C string from Rust text, with any NUL byte (which C cannot hold) dropped.
fn cstring_lossy(text: String) -> CString {
    CString::new(text).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).unwrap_or_default()
    })
}

fn set_last_error(failure: &Failure) {
    let (field, code) = match failure {
        Failure::Core(e) => (
            e.field().map(|f| cstring_lossy(f.to_owned())),
            e.libvirt_code().unwrap_or(-1),
        ),
        Failure::Null { arg } | Failure::Utf8 { arg, .. } => {
            (Some(cstring_lossy((*arg).to_owned())), -1)
        }
        Failure::Panic(_) => (None, -1),
    };
    let last = LastError {
        message: cstring_lossy(failure.message()),
        field,
        libvirt_code: code,
    };
    // During thread teardown the slot may be gone; then there is nobody to tell.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = last);
}

fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = LastError::none());
}

/// The thread's last error message ("" when the last call succeeded).
pub(crate) fn last_error_message() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().message.as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// The field at fault in the thread's last error, or NULL.
pub(crate) fn last_error_field() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| {
            slot.borrow()
                .field
                .as_ref()
                .map_or(ptr::null(), |f| f.as_ptr())
        })
        .unwrap_or(ptr::null())
}

/// The libvirt code of the thread's last error, or -1.
pub(crate) fn last_error_libvirt_code() -> c_int {
    LAST_ERROR
        .try_with(|slot| slot.borrow().libvirt_code)
        .unwrap_or(-1)
}

// --- catching panics -----------------------------------------------------------------

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Run `f`, turning a panic into `on_panic(message)`: the only `catch_unwind` of the
/// crate, used by every exported function (directly, or through [`ffi_boundary`]).
pub(crate) fn guard<T>(on_panic: impl FnOnce(String) -> T, f: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => on_panic(panic_message(&*payload)),
    }
}

/// The body of every function that returns a status: clear the thread's last error,
/// run `f`, map its error to a status and record the message; a panic becomes
/// `KVMPOOL_ERR_PANIC`.
pub(crate) fn ffi_boundary(f: impl FnOnce() -> Result<(), Failure>) -> kvmpool_status {
    guard(
        |msg| {
            let failure = Failure::Panic(msg);
            set_last_error(&failure);
            failure.status()
        },
        || {
            clear_last_error();
            match f() {
                Ok(()) => kvmpool_status::KVMPOOL_OK,
                Err(failure) => {
                    set_last_error(&failure);
                    failure.status()
                }
            }
        },
    )
}

/// The body of a function that cannot fail (the `_free` functions, getters of static
/// data): a panic is recorded as the thread's last error and `fallback` returned.
pub(crate) fn ffi_infallible<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    guard(
        |msg| {
            set_last_error(&Failure::Panic(msg));
            fallback
        },
        f,
    )
}

// --- arguments -----------------------------------------------------------------------

/// A handle argument: `Err(KVMPOOL_ERR_NULL)` for NULL.
pub(crate) fn try_ref<'a, T>(ptr: *const T, arg: &'static str) -> Result<&'a T, Failure> {
    // SAFETY: the C caller passes NULL or a pointer to a live handle made by this
    // library (the header's contract); `as_ref` handles NULL.
    unsafe { ptr.as_ref() }.ok_or(Failure::Null { arg })
}

/// A handle argument that the call changes (spec setters).
pub(crate) fn try_mut<'a, T>(ptr: *mut T, arg: &'static str) -> Result<&'a mut T, Failure> {
    // SAFETY: as in `try_ref`; the header forbids using a spec concurrently with a
    // setter on it, so this is the only reference for the call's duration.
    unsafe { ptr.as_mut() }.ok_or(Failure::Null { arg })
}

/// A required string argument.
pub(crate) fn try_str<'a>(ptr: *const c_char, arg: &'static str) -> Result<&'a str, Failure> {
    try_opt_str(ptr, arg)?.ok_or(Failure::Null { arg })
}

/// An optional string argument: NULL gives `None`.
pub(crate) fn try_opt_str<'a>(
    ptr: *const c_char,
    arg: &'static str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, and the C caller passes a NUL-terminated string that stays
    // valid for the duration of the call (the header's contract).
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map(Some)
        .map_err(|err| Failure::Utf8 { arg, err })
}

/// A required array argument of `count` elements (the caller checks `count > 0`
/// first when an empty array may be NULL).
pub(crate) fn try_array<'a, T>(
    ptr: *const T,
    count: usize,
    arg: &'static str,
) -> Result<&'a [T], Failure> {
    if ptr.is_null() {
        return Err(Failure::Null { arg });
    }
    // SAFETY: non-NULL, and the C caller passes an array of at least `count`
    // initialised elements that stays valid for the duration of the call (the
    // header's contract).
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// An out-parameter, checked for NULL before the call does anything; written (once,
/// at the end) only when the call succeeds.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    pub(crate) fn write(self, value: T) {
        // SAFETY: non-NULL (checked in `try_out`), and the C caller passes writable,
        // aligned memory for a `T` (the header's contract). The old value is plain
        // data (a pointer, a number or a C struct) and is not dropped.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// A required out-parameter.
pub(crate) fn try_out<T>(ptr: *mut T, arg: &'static str) -> Result<Out<T>, Failure> {
    NonNull::new(ptr).map(Out).ok_or(Failure::Null { arg })
}

/// An optional out-parameter: NULL means the caller does not want the value.
pub(crate) fn opt_out<T>(ptr: *mut T) -> Option<Out<T>> {
    NonNull::new(ptr).map(Out)
}

/// Permissions from C: a negative mode, owner or group leaves it unset, a NULL label
/// means none.
/// The C permission arguments as the core's fields: a negative number or NULL means
/// "leave unset" (C has no optional integers).
pub(crate) fn permission_fields(
    mode: i32,
    owner: i64,
    group: i64,
    label: *const c_char,
) -> Result<[FieldValue; 4], Failure> {
    let id = |n: i64| (n >= 0).then_some(n).into();
    Ok([
        (mode >= 0).then_some(i64::from(mode)).into(),
        id(owner),
        id(group),
        try_opt_str(label, "label")?.into(),
    ])
}

/// A flag word from C: refused (naming `arg`) when it holds a bit outside `known`,
/// which are the `family` constants.
pub(crate) fn check_flags(flags: u32, known: u32, arg: &str, family: &str) -> Result<(), Failure> {
    if flags & !known != 0 {
        return Err(invalid(
            arg,
            format!("{flags:#x} holds bits that are no {family} flag"),
        ));
    }
    Ok(())
}

/// A size in bytes from C (at most 2^63 - 1, as libvirt takes).
pub(crate) fn size(arg: &str, bytes: u64) -> Result<Size, Failure> {
    Size::try_bytes(bytes).map_err(|e| invalid(arg, e.message()))
}

// --- results -------------------------------------------------------------------------

/// A new handle for C; freed with [`free_handle`].
pub(crate) fn new_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Free a handle made by [`new_handle`]; NULL is ignored.
pub(crate) fn free_handle<T>(ptr: *mut T) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: non-NULL pointers passed to a `_free` function were made by
    // `new_handle` (Box::into_raw) for this type and are freed once (the header's
    // contract).
    drop(unsafe { Box::from_raw(ptr) });
}

/// Text for C: fails (rather than truncating) if it holds a NUL byte.
pub(crate) fn c_string(text: impl Into<Vec<u8>>) -> Result<CString, Failure> {
    CString::new(text).map_err(|_| {
        Failure::Core(Error::new(
            ErrorKind::Libvirt,
            "libvirt returned text holding a NUL byte, which C cannot represent",
        ))
    })
}

/// A string for C, owned by the caller and freed with `kvmpool_string_free`.
pub(crate) fn new_string(text: impl Into<Vec<u8>>) -> Result<*mut c_char, Failure> {
    c_string(text).map(CString::into_raw)
}

/// Free a string made by [`new_string`]; NULL is ignored.
pub(crate) fn free_string(ptr: *mut c_char) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: non-NULL pointers passed to `kvmpool_string_free` were made by
    // `CString::into_raw` in `new_string` and are freed once (the header's contract).
    drop(unsafe { CString::from_raw(ptr) });
}
