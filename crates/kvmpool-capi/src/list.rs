//! Lists for C: opaque handles read with `_len` and `_get` and freed with `_free`, as
//! in rustls-ffi. A list owns its items; `_get` lends one out until the list is
//! freed. Nothing of a list's layout, and no count, comes back from C: a free cannot
//! be given a wrong length.

use std::ffi::{c_char, CString};
use std::ptr;

use crate::boundary::{c_string, ffi_infallible, free_handle, new_handle, try_ref, Failure};
use crate::discovery::kvmpool_pool_source;
use crate::pool::kvmpool_pool;
use crate::vol::kvmpool_vol;

/// A list of strings made by kvmpool (volume names, device paths, pool types,
/// formats): read with kvmpool_strings_len() and kvmpool_strings_get(), freed with
/// kvmpool_strings_free(). Immutable: any number of threads may read it at once.
#[derive(Debug)]
pub struct kvmpool_strings {
    items: Vec<CString>,
}

/// A list of pool handles (kvmpool_pool_list()): read with kvmpool_pools_len() and
/// kvmpool_pools_get(), freed with kvmpool_pools_free(). The list may be read from
/// any number of threads at once, and its pools used as any pool handle is.
#[derive(Debug)]
pub struct kvmpool_pools {
    items: Vec<kvmpool_pool>,
}

/// A list of volume handles (kvmpool_vol_list()): read with kvmpool_vols_len() and
/// kvmpool_vols_get(), freed with kvmpool_vols_free(). The list may be read from any
/// number of threads at once, and its volumes used as any volume handle is.
#[derive(Debug)]
pub struct kvmpool_vols {
    items: Vec<kvmpool_vol>,
}

/// A list of pool sources (kvmpool_conn_find_pool_sources()): read with
/// kvmpool_pool_sources_len() and kvmpool_pool_sources_get(), freed with
/// kvmpool_pool_sources_free(). Immutable: any number of threads may read it at once.
#[derive(Debug)]
pub struct kvmpool_pool_sources {
    items: Vec<kvmpool_pool_source>,
}

/// A new string list handle for C; fails (rather than truncating) when a string holds
/// a NUL byte.
pub(crate) fn new_strings(
    items: impl IntoIterator<Item = String>,
) -> Result<*mut kvmpool_strings, Failure> {
    let items = items
        .into_iter()
        .map(c_string)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(new_handle(kvmpool_strings { items }))
}

pub(crate) fn new_pools(items: Vec<kvmpool_pool>) -> *mut kvmpool_pools {
    new_handle(kvmpool_pools { items })
}

pub(crate) fn new_vols(items: Vec<kvmpool_vol>) -> *mut kvmpool_vols {
    new_handle(kvmpool_vols { items })
}

pub(crate) fn new_pool_sources(items: Vec<kvmpool_pool_source>) -> *mut kvmpool_pool_sources {
    new_handle(kvmpool_pool_sources { items })
}

/// The items of a list handle argument; none for NULL.
fn items<'a, L: 'a, T>(list: *const L, f: impl FnOnce(&'a L) -> &'a [T]) -> &'a [T] {
    try_ref(list, "list").map_or(&[], f)
}

/// Item `index` of a list, lent out; NULL past the end.
fn item<T>(items: &[T], index: usize) -> *const T {
    items.get(index).map_or(ptr::null(), ptr::from_ref)
}

/// The number of strings in `list`; 0 for NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_strings_len(list: *const kvmpool_strings) -> usize {
    ffi_infallible(0, || items(list, |l| &l.items).len())
}

/// String `index` of `list` (0 to kvmpool_strings_len() - 1), NUL-terminated; NULL
/// when `index` is past the end or `list` is NULL. The string belongs to the list:
/// valid until kvmpool_strings_free(list), not to be freed by itself (copy it to keep
/// it). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_strings_get(list: *const kvmpool_strings, index: usize) -> *const c_char {
    ffi_infallible(ptr::null(), || {
        items(list, |l| &l.items)
            .get(index)
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// Free a string list and its strings. NULL is ignored. Any thread may free it, once,
/// after every other call using it (or one of its strings) has returned.
#[no_mangle]
pub extern "C" fn kvmpool_strings_free(list: *mut kvmpool_strings) {
    ffi_infallible((), || free_handle(list));
}

/// The number of pools in `list`; 0 for NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pools_len(list: *const kvmpool_pools) -> usize {
    ffi_infallible(0, || items(list, |l| &l.items).len())
}

/// Pool `index` of `list` (0 to kvmpool_pools_len() - 1); NULL when `index` is past
/// the end or `list` is NULL. The handle belongs to the list: use it with any
/// kvmpool_pool_*() function that takes a `const kvmpool_pool *` until
/// kvmpool_pools_free(list), but do not free it by itself. To keep a pool beyond the
/// list, look it up again (kvmpool_pool_lookup_by_uuid()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pools_get(
    list: *const kvmpool_pools,
    index: usize,
) -> *const kvmpool_pool {
    ffi_infallible(ptr::null(), || item(items(list, |l| &l.items), index))
}

/// Free a pool list and the handles in it (the pools themselves are not touched).
/// NULL is ignored. Any thread may free it, once, after every other call using it or
/// one of its handles has returned.
#[no_mangle]
pub extern "C" fn kvmpool_pools_free(list: *mut kvmpool_pools) {
    ffi_infallible((), || free_handle(list));
}

/// The number of volumes in `list`; 0 for NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vols_len(list: *const kvmpool_vols) -> usize {
    ffi_infallible(0, || items(list, |l| &l.items).len())
}

/// Volume `index` of `list` (0 to kvmpool_vols_len() - 1); NULL when `index` is past
/// the end or `list` is NULL. The handle belongs to the list: use it with any
/// kvmpool_vol_*() function that takes a `const kvmpool_vol *` until
/// kvmpool_vols_free(list), but do not free it by itself. To keep a volume beyond the
/// list, look it up again (kvmpool_vol_lookup_by_key()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vols_get(list: *const kvmpool_vols, index: usize) -> *const kvmpool_vol {
    ffi_infallible(ptr::null(), || item(items(list, |l| &l.items), index))
}

/// Free a volume list and the handles in it (the volumes themselves are not touched).
/// NULL is ignored. Any thread may free it, once, after every other call using it or
/// one of its handles has returned.
#[no_mangle]
pub extern "C" fn kvmpool_vols_free(list: *mut kvmpool_vols) {
    ffi_infallible((), || free_handle(list));
}

/// The number of sources in `list`; 0 for NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_sources_len(list: *const kvmpool_pool_sources) -> usize {
    ffi_infallible(0, || items(list, |l| &l.items).len())
}

/// Source `index` of `list` (0 to kvmpool_pool_sources_len() - 1); NULL when `index`
/// is past the end or `list` is NULL. The source belongs to the list: read it with the
/// kvmpool_pool_source_*() functions until kvmpool_pool_sources_free(list) (specs made
/// from it with kvmpool_pool_source_to_spec() are the caller's). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_sources_get(
    list: *const kvmpool_pool_sources,
    index: usize,
) -> *const kvmpool_pool_source {
    ffi_infallible(ptr::null(), || item(items(list, |l| &l.items), index))
}

/// Free a source list and its sources. NULL is ignored. Specs made from the sources
/// are not affected. Any thread may free it, once, after every other call using it or
/// one of its sources has returned.
#[no_mangle]
pub extern "C" fn kvmpool_pool_sources_free(list: *mut kvmpool_pool_sources) {
    ffi_infallible((), || free_handle(list));
}
