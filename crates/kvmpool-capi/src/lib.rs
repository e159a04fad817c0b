//! The C ABI of kvmpool: `libkvmpool.so` / `libkvmpool.a` with the header
//! `include/kvmpool.h`, generated from this crate by cbindgen 0.29.4.
//!
//! The wrapper converts arguments and errors and does nothing else: every function
//! checks its pointers (NULL gives `KVMPOOL_ERR_NULL`) and strings (non-UTF-8 gives
//! `KVMPOOL_ERR_UTF8`), calls one core method, and maps the core's
//! [`kvmpool_core::ErrorKind`] to a [`kvmpool_status`]. Every body runs inside
//! `boundary::ffi_boundary` (or, for functions that cannot fail,
//! `boundary::ffi_infallible`), both built on the one `catch_unwind` in
//! `boundary::guard`, so no panic reaches C.
//!
//! The exported functions are safe `extern "C" fn`s, as in rustls-ffi: their callers
//! are C programs bound by the contract in the header (a pointer is NULL or what this
//! library handed out; strings are NUL-terminated; out-pointers are writable). The
//! few `unsafe` blocks that rely on that contract are all in `boundary.rs`, plus the
//! calls of the C callbacks: progress in `vol.rs`, pool events in `events.rs`.

#![warn(missing_docs)]
#![allow(non_camel_case_types)]

mod abi;
mod boundary;
mod conn;
mod discovery;
mod events;
mod fleet;
mod image;
mod list;
mod log;
mod manifest;
mod pool;
mod pool_spec;
mod status;
mod vol;
mod vol_spec;

pub use abi::*;
pub use conn::*;
pub use discovery::*;
pub use events::*;
pub use fleet::*;
pub use image::*;
pub use list::*;
pub use log::*;
pub use manifest::*;
pub use pool::*;
pub use pool_spec::*;
pub use status::*;
pub use vol::*;
pub use vol_spec::*;

#[cfg(test)]
mod tests;
