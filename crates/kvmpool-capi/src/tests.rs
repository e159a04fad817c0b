//! Unit tests of the boundary (panics, NULL, UTF-8, last error) and a smoke run of the
//! exported functions on the test driver. The C programs in tests/c cover the API
//! from C.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use crate::boundary::{ffi_boundary, try_str};
use crate::*;

fn last_message() -> String {
    // SAFETY: kvmpool_last_error_message never returns NULL and the text stays valid
    // until the next kvmpool call on this thread.
    unsafe { CStr::from_ptr(kvmpool_last_error_message()) }
        .to_str()
        .unwrap()
        .to_owned()
}

fn last_field() -> Option<String> {
    let p = kvmpool_last_error_field();
    // SAFETY: NULL or a NUL-terminated string valid until the next call.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

/// Take a string the library returned.
fn take(s: *mut c_char) -> String {
    assert!(!s.is_null());
    // SAFETY: a string from new_string, read before it is freed.
    let text = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned();
    kvmpool_string_free(s);
    text
}

#[test]
fn a_panic_becomes_a_status_and_a_message() {
    let status = ffi_boundary(|| panic!("boom {}", 42));
    assert_eq!(status, kvmpool_status::KVMPOOL_ERR_PANIC);
    assert!(last_message().contains("boom 42"), "{}", last_message());
    assert_eq!(kvmpool_last_error_libvirt_code(), -1);
    // The next call clears it.
    assert_eq!(ffi_boundary(|| Ok(())), kvmpool_status::KVMPOOL_OK);
    assert_eq!(last_message(), "");
}

#[test]
fn null_and_utf8_arguments_are_errors() {
    let mut spec = ptr::null_mut();
    let status = kvmpool_pool_spec_dir(ptr::null(), c"/x".as_ptr(), &mut spec);
    assert_eq!(status, kvmpool_status::KVMPOOL_ERR_NULL);
    assert!(spec.is_null(), "out-parameter untouched on failure");
    assert_eq!(last_field().as_deref(), Some("name"));

    let bad = CString::new(vec![b'a', 0xff, b'b']).unwrap();
    let status = ffi_boundary(|| try_str(bad.as_ptr(), "name").map(|_| ()));
    assert_eq!(status, kvmpool_status::KVMPOOL_ERR_UTF8);
    assert!(last_message().contains("UTF-8"), "{}", last_message());

    let status = kvmpool_pool_spec_dir(c"p".as_ptr(), c"/x".as_ptr(), ptr::null_mut());
    assert_eq!(status, kvmpool_status::KVMPOOL_ERR_NULL);
    assert_eq!(last_field().as_deref(), Some("spec_out"));

    // Every free accepts NULL.
    kvmpool_conn_free(ptr::null_mut());
    kvmpool_pool_free(ptr::null_mut());
    kvmpool_vol_free(ptr::null_mut());
    kvmpool_pool_spec_free(ptr::null_mut());
    kvmpool_vol_spec_free(ptr::null_mut());
    kvmpool_string_free(ptr::null_mut());
    kvmpool_strings_free(ptr::null_mut());
    kvmpool_pools_free(ptr::null_mut());
    kvmpool_vols_free(ptr::null_mut());
    kvmpool_pool_sources_free(ptr::null_mut());
    // and every list accessor: a NULL list is empty
    assert_eq!(kvmpool_strings_len(ptr::null()), 0);
    assert!(kvmpool_strings_get(ptr::null(), 0).is_null());
    assert_eq!(kvmpool_pools_len(ptr::null()), 0);
    assert!(kvmpool_pools_get(ptr::null(), 0).is_null());
    assert_eq!(kvmpool_vols_len(ptr::null()), 0);
    assert!(kvmpool_vols_get(ptr::null(), 0).is_null());
    assert_eq!(kvmpool_pool_sources_len(ptr::null()), 0);
    assert!(kvmpool_pool_sources_get(ptr::null(), 0).is_null());
}

#[test]
fn last_error_is_per_thread() {
    let mut bytes = 0u64;
    let status = kvmpool_size_parse(c"ten gigs".as_ptr(), &mut bytes);
    assert_eq!(status, kvmpool_status::KVMPOOL_ERR_INVALID_SPEC);
    let here = last_message();
    assert!(!here.is_empty());
    std::thread::spawn(|| assert_eq!(last_message(), ""))
        .join()
        .unwrap();
    assert_eq!(last_message(), here);
    assert_eq!(
        kvmpool_size_parse(c"10G".as_ptr(), &mut bytes),
        kvmpool_status::KVMPOOL_OK
    );
    assert_eq!(bytes, 10 << 30);
}

#[test]
fn setters_refuse_fields_the_type_lacks() {
    let mut spec = ptr::null_mut();
    assert_eq!(
        kvmpool_pool_spec_dir(c"p".as_ptr(), ptr::null(), &mut spec),
        kvmpool_status::KVMPOOL_OK
    );
    let mut path = ptr::null_mut();
    assert_eq!(
        kvmpool_pool_spec_target_path(spec, &mut path),
        kvmpool_status::KVMPOOL_OK
    );
    assert_eq!(take(path), "/var/lib/libvirt/images/p");
    assert_eq!(
        kvmpool_pool_spec_set_format(spec, c"ext4".as_ptr()),
        kvmpool_status::KVMPOOL_ERR_INVALID_SPEC
    );
    assert_eq!(last_field().as_deref(), Some("format"));
    assert_eq!(
        kvmpool_pool_spec_set_uuid(spec, c"not-a-uuid".as_ptr()),
        kvmpool_status::KVMPOOL_ERR_INVALID_SPEC
    );
    kvmpool_pool_spec_free(spec);
}

#[test]
fn smoke_on_the_test_driver() {
    // A private test driver state (a fixture file) so parallel tests do not meet.
    let dir = std::env::temp_dir().join(format!("kvmpool-capi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let node = dir.join("node.xml");
    std::fs::write(&node, "<node></node>").unwrap();
    let uri = CString::new(format!("test://{}", node.display())).unwrap();

    let mut conn = ptr::null_mut();
    let status = kvmpool_connect(uri.as_ptr(), &mut conn);
    assert_eq!(status, kvmpool_status::KVMPOOL_OK, "{}", last_message());

    let mut spec = ptr::null_mut();
    assert_eq!(
        kvmpool_pool_spec_dir(c"smoke".as_ptr(), c"/smoke".as_ptr(), &mut spec),
        kvmpool_status::KVMPOOL_OK
    );
    let mut pool = ptr::null_mut();
    assert_eq!(
        kvmpool_pool_define(conn, spec, &mut pool),
        kvmpool_status::KVMPOOL_OK,
        "{}",
        last_message()
    );
    let mut again = ptr::null_mut();
    assert_eq!(
        kvmpool_pool_define(conn, spec, &mut again),
        kvmpool_status::KVMPOOL_ERR_ALREADY_EXISTS
    );
    assert!(again.is_null());
    assert_eq!(kvmpool_pool_start(pool), kvmpool_status::KVMPOOL_OK);

    let mut info = kvmpool_pool_details {
        state: kvmpool_pool_state::KVMPOOL_POOL_INACTIVE,
        capacity: 0,
        allocation: 0,
        available: 0,
    };
    assert_eq!(
        kvmpool_pool_info(pool, &mut info),
        kvmpool_status::KVMPOOL_OK
    );
    assert_eq!(info.state, kvmpool_pool_state::KVMPOOL_POOL_RUNNING);

    let mut vspec = ptr::null_mut();
    assert_eq!(
        kvmpool_vol_spec_new(c"v.qcow2".as_ptr(), 1 << 30, &mut vspec),
        kvmpool_status::KVMPOOL_OK
    );
    assert_eq!(
        kvmpool_vol_spec_set_format(vspec, c"qcow2".as_ptr()),
        kvmpool_status::KVMPOOL_OK
    );
    let mut vol = ptr::null_mut();
    assert_eq!(
        kvmpool_vol_create(pool, vspec, &mut vol),
        kvmpool_status::KVMPOOL_OK,
        "{}",
        last_message()
    );
    let mut name = ptr::null_mut();
    assert_eq!(kvmpool_vol_name(vol, &mut name), kvmpool_status::KVMPOOL_OK);
    assert_eq!(take(name), "v.qcow2");

    let mut vols = ptr::null_mut();
    assert_eq!(
        kvmpool_vol_list(pool, &mut vols),
        kvmpool_status::KVMPOOL_OK
    );
    assert_eq!(kvmpool_vols_len(vols), 1);
    let listed = kvmpool_vols_get(vols, 0);
    assert!(!listed.is_null() && kvmpool_vols_get(vols, 1).is_null());
    let mut listed_name = ptr::null_mut();
    assert_eq!(
        kvmpool_vol_name(listed, &mut listed_name),
        kvmpool_status::KVMPOOL_OK
    );
    assert_eq!(take(listed_name), "v.qcow2");
    kvmpool_vols_free(vols);

    let mut names = ptr::null_mut();
    assert_eq!(
        kvmpool_vol_list_names(pool, &mut names),
        kvmpool_status::KVMPOOL_OK
    );
    assert_eq!(kvmpool_strings_len(names), 1);
    // SAFETY: a string of the list, read before the list is freed.
    let first = unsafe { CStr::from_ptr(kvmpool_strings_get(names, 0)) };
    assert_eq!(first.to_str().unwrap(), "v.qcow2");
    assert!(kvmpool_strings_get(names, 1).is_null());
    assert!(kvmpool_strings_get(names, usize::MAX).is_null());
    kvmpool_strings_free(names);

    let status = kvmpool_vol_upload_file(
        vol,
        c"/nonexistent/file".as_ptr(),
        0,
        0,
        0,
        None,
        ptr::null_mut(),
    );
    assert_eq!(status, kvmpool_status::KVMPOOL_ERR_IO);

    assert_eq!(
        kvmpool_vol_delete(vol, KVMPOOL_DELETE_NORMAL),
        kvmpool_status::KVMPOOL_OK
    );
    assert_eq!(kvmpool_pool_destroy(pool), kvmpool_status::KVMPOOL_OK);
    assert_eq!(kvmpool_pool_undefine(pool), kvmpool_status::KVMPOOL_OK);
    kvmpool_vol_free(vol);
    kvmpool_vol_spec_free(vspec);
    // Freed before the pool: handles keep the link alive.
    kvmpool_conn_free(conn);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(spec);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn option_flags_on_the_test_driver_refuse_unknown_bits() {
    let mut conn = ptr::null_mut();
    assert_eq!(
        kvmpool_connect(c"test:///default".as_ptr(), &mut conn),
        kvmpool_status::KVMPOOL_OK
    );
    let mut json = ptr::null_mut();
    let mut options = kvmpool_inventory_options_default();
    assert_eq!(options.flags, KVMPOOL_INVENTORY_VOLUMES);
    options.flags |= 1 << 7;
    assert_eq!(
        kvmpool_conn_inventory_json_with_options(conn, &options, &mut json),
        kvmpool_status::KVMPOOL_ERR_INVALID_SPEC
    );
    assert_eq!(last_field().as_deref(), Some("options.flags"));
    assert!(json.is_null());
    options.flags = KVMPOOL_INVENTORY_VOLUMES | KVMPOOL_INVENTORY_FORMATS;
    assert_eq!(
        kvmpool_conn_inventory_json_with_options(conn, &options, &mut json),
        kvmpool_status::KVMPOOL_OK
    );
    assert!(take(json).contains("default-pool"));

    let mut spec = ptr::null_mut();
    assert_eq!(
        kvmpool_pool_spec_dir(c"flags-pool".as_ptr(), c"/flags-pool".as_ptr(), &mut spec),
        kvmpool_status::KVMPOOL_OK
    );
    let mut ensure = kvmpool_ensure_options_default();
    assert_eq!(ensure.flags, KVMPOOL_ENSURE_BUILD | KVMPOOL_ENSURE_START);
    assert_eq!(ensure.autostart, -1);
    ensure.flags = u32::MAX;
    let mut pool = ptr::null_mut();
    assert_eq!(
        kvmpool_pool_ensure(conn, spec, &ensure, &mut pool, ptr::null_mut()),
        kvmpool_status::KVMPOOL_ERR_INVALID_SPEC
    );
    assert_eq!(last_field().as_deref(), Some("options.flags"));
    assert!(pool.is_null());
    kvmpool_pool_spec_free(spec);
    kvmpool_conn_free(conn);
}

#[test]
fn inventory_flags_choose_the_method() {
    use kvmpool_core::InventoryMethod;
    let method = |flags| crate::conn::inventory_method(flags).ok();
    assert_eq!(
        method(KVMPOOL_INVENTORY_VOLUMES),
        Some(InventoryMethod::Auto)
    );
    assert_eq!(method(KVMPOOL_INVENTORY_RPC), Some(InventoryMethod::Rpc));
    assert_eq!(
        method(KVMPOOL_INVENTORY_LOCAL),
        Some(InventoryMethod::Local)
    );
    assert_eq!(
        method(KVMPOOL_INVENTORY_RPC | KVMPOOL_INVENTORY_LOCAL),
        None
    );
    let defaults = kvmpool_inventory_options_default();
    assert_eq!(method(defaults.flags), Some(InventoryMethod::Auto));
}
