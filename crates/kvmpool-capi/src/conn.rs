//! Connections, strings and sizes.

use std::ffi::c_char;

use kvmpool_core::{Connection, InventoryMethod, InventoryOptions, Size};

use crate::boundary::{
    check_flags, ffi_boundary, ffi_infallible, free_handle, free_string, invalid, new_handle,
    new_string, try_opt_str, try_out, try_ref, try_str, Failure,
};
use crate::status::kvmpool_status;

/// A connection to libvirt (`virsh -c URI`). Thread-safe: share one connection between
/// threads rather than opening one per thread. When the daemon goes away, the failing
/// call returns KVMPOOL_ERR_CONNECT and the next call opens a new link by itself.
#[derive(Debug)]
pub struct kvmpool_conn {
    pub(crate) inner: Connection,
}

/// Open a connection to `uri` ("qemu:///system", "test:///default",
/// "storage:///system?socket=/path"), or to libvirt's default URI when `uri` is NULL
/// ($LIBVIRT_DEFAULT_URI, then libvirt's own rules).
///
/// On success writes a new connection to `*conn_out`; the caller owns it and frees
/// it with kvmpool_conn_free(). Fails with KVMPOOL_ERR_CONNECT when libvirt cannot be
/// reached or the URI is not understood. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_connect(
    uri: *const c_char,
    conn_out: *mut *mut kvmpool_conn,
) -> kvmpool_status {
    ffi_boundary(|| {
        let uri = try_opt_str(uri, "uri")?;
        let out = try_out(conn_out, "conn_out")?;
        let inner = match uri {
            Some(u) => Connection::open(u)?,
            None => Connection::open_default()?,
        };
        out.write(new_handle(kvmpool_conn { inner }));
        Ok(())
    })
}

/// Like kvmpool_connect(), read-only: listing and inspecting work, changes are
/// refused by libvirt. `uri` may be NULL for the default URI. On success writes a new
/// connection to `*conn_out` (free with kvmpool_conn_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_connect_read_only(
    uri: *const c_char,
    conn_out: *mut *mut kvmpool_conn,
) -> kvmpool_status {
    ffi_boundary(|| {
        let uri = try_opt_str(uri, "uri")?;
        let out = try_out(conn_out, "conn_out")?;
        let inner = Connection::open_read_only(uri)?;
        out.write(new_handle(kvmpool_conn { inner }));
        Ok(())
    })
}

/// Free a connection handle. NULL is ignored. Pool and volume handles obtained
/// through it stay usable (they share the link, which closes when the last of them is
/// freed). Call it once, after every other call using this handle has returned.
#[no_mangle]
pub extern "C" fn kvmpool_conn_free(conn: *mut kvmpool_conn) {
    ffi_infallible((), || free_handle(conn));
}

/// The URI libvirt reports for this connection. On success writes a new string to
/// `*uri_out` (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_uri(
    conn: *const kvmpool_conn,
    uri_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let out = try_out(uri_out, "uri_out")?;
        out.write(new_string(conn.inner.uri()?)?);
        Ok(())
    })
}

/// True when the link to the daemon is up (a local check, no round trip). False for
/// a NULL handle. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_is_alive(conn: *const kvmpool_conn) -> bool {
    ffi_infallible(false, || {
        try_ref(conn, "conn").is_ok_and(|c| c.inner.is_alive())
    })
}

/// Drop the current link and open a new one now (calls reconnect by themselves when
/// the link was lost; this is for callers that want to do it eagerly). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_reconnect(conn: *const kvmpool_conn) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        conn.inner.reconnect()?;
        Ok(())
    })
}

/// Every pool with its info and, when `volumes` is true, every volume of the running
/// pools with its info, as JSON (sizes in bytes):
/// `{"pools": [{"name", "uuid", "type", "state", "persistent", "autostart",
/// "capacity", "allocation", "available", "target", "volumes": [{"name", "key",
/// "path", "type", "capacity", "allocation", "format"}]}]}`.
/// On success writes a new string to `*json_out` (free with kvmpool_string_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_inventory_json(
    conn: *const kvmpool_conn,
    volumes: bool,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let out = try_out(json_out, "json_out")?;
        let options = InventoryOptions {
            volumes,
            ..InventoryOptions::default()
        };
        out.write(new_string(conn.inner.inventory(&options)?.to_json())?);
        Ok(())
    })
}

/// kvmpool_inventory_options flag: list the volumes of the running pools (otherwise
/// pools only).
pub const KVMPOOL_INVENTORY_VOLUMES: u32 = 1;
/// kvmpool_inventory_options flag: read each volume's format from its XML (one more
/// round trip per volume); the "format" member is null without it.
pub const KVMPOOL_INVENTORY_FORMATS: u32 = 1 << 1;

/// kvmpool_inventory_options flag: libvirt's per-volume calls only. Without it or
/// KVMPOOL_INVENTORY_LOCAL, the volumes of a local daemon's dir, fs and netfs pools are
/// read from their files in this process, and through libvirt everything else and
/// every volume the files cannot answer for exactly.
pub const KVMPOOL_INVENTORY_RPC: u32 = 1 << 2;
/// kvmpool_inventory_options flag: the files of the dir, fs and netfs pools only
/// (other pool types through libvirt); what the files cannot answer (a remote or test
/// connection, a volume the default would ask libvirt about) gives
/// KVMPOOL_ERR_UNSUPPORTED. Not with KVMPOOL_INVENTORY_RPC.
pub const KVMPOOL_INVENTORY_LOCAL: u32 = 1 << 3;

/// What kvmpool_conn_inventory_json_with_options() collects. Start from
/// kvmpool_inventory_options_default(). Integers only (no `bool` members), so memory
/// the caller did not set is still a value the library checks, never undefined
/// behaviour.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvmpool_inventory_options {
    /// KVMPOOL_INVENTORY_* bits; any other bit gives KVMPOOL_ERR_INVALID_SPEC (field
    /// "options.flags").
    pub flags: u32,
    /// Threads for the per-volume calls (0: the default; at most 64 are used).
    pub threads: u32,
}

/// The defaults of kvmpool_conn_inventory_json_with_options(): volumes
/// (KVMPOOL_INVENTORY_VOLUMES), no formats, 8 threads, files read where they can be.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_inventory_options_default() -> kvmpool_inventory_options {
    let d = InventoryOptions::default();
    kvmpool_inventory_options {
        flags: flag(d.volumes, KVMPOOL_INVENTORY_VOLUMES)
            | flag(d.formats, KVMPOOL_INVENTORY_FORMATS)
            | flag(d.method == InventoryMethod::Rpc, KVMPOOL_INVENTORY_RPC)
            | flag(d.method == InventoryMethod::Local, KVMPOOL_INVENTORY_LOCAL),
        threads: u32::try_from(d.threads).unwrap_or(u32::MAX),
    }
}

/// The method the flags choose.
pub(crate) fn inventory_method(flags: u32) -> Result<InventoryMethod, Failure> {
    match (
        flags & KVMPOOL_INVENTORY_RPC,
        flags & KVMPOOL_INVENTORY_LOCAL,
    ) {
        (0, 0) => Ok(InventoryMethod::Auto),
        (_, 0) => Ok(InventoryMethod::Rpc),
        (0, _) => Ok(InventoryMethod::Local),
        _ => Err(invalid(
            "options.flags",
            "KVMPOOL_INVENTORY_RPC and KVMPOOL_INVENTORY_LOCAL exclude each other",
        )),
    }
}

/// `bit` when `on`.
fn flag(on: bool, bit: u32) -> u32 {
    if on {
        bit
    } else {
        0
    }
}

/// Like kvmpool_conn_inventory_json(), with options (NULL: the defaults of
/// kvmpool_inventory_options_default()); with `formats`, each volume's "format" is
/// filled in ("qcow2", "raw", ...). On success writes a new string to `*json_out`
/// (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_inventory_json_with_options(
    conn: *const kvmpool_conn,
    options: *const kvmpool_inventory_options,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let defaults = InventoryOptions::default();
        let options = if options.is_null() {
            defaults
        } else {
            let o = try_ref(options, "options")?;
            check_flags(
                o.flags,
                KVMPOOL_INVENTORY_VOLUMES
                    | KVMPOOL_INVENTORY_FORMATS
                    | KVMPOOL_INVENTORY_RPC
                    | KVMPOOL_INVENTORY_LOCAL,
                "options.flags",
                "KVMPOOL_INVENTORY_*",
            )?;
            InventoryOptions {
                volumes: o.flags & KVMPOOL_INVENTORY_VOLUMES != 0,
                formats: o.flags & KVMPOOL_INVENTORY_FORMATS != 0,
                threads: match o.threads {
                    0 => defaults.threads,
                    n => usize::try_from(n).unwrap_or(usize::MAX),
                },
                method: inventory_method(o.flags)?,
            }
        };
        let out = try_out(json_out, "json_out")?;
        out.write(new_string(conn.inner.inventory(&options)?.to_json())?);
        Ok(())
    })
}

/// Free a string returned by kvmpool (through a `char **` out-parameter). NULL is
/// ignored. Do not pass strings from kvmpool_last_error_message(),
/// kvmpool_status_name() or kvmpool_version(): those belong to the library.
/// Any thread may free it, once, after every other call using it has returned.
#[no_mangle]
pub extern "C" fn kvmpool_string_free(s: *mut c_char) {
    ffi_infallible((), || free_string(s));
}

/// Parse a size with libvirt's unit rules: "10G" and "10GiB" are 10 * 2^30 bytes,
/// "10GB" is 10 * 10^9, "512M", "1.5T", "4096" (bytes). On success writes the number
/// of bytes to `*bytes_out`; fails with KVMPOOL_ERR_INVALID_SPEC for text that is no
/// size. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_size_parse(text: *const c_char, bytes_out: *mut u64) -> kvmpool_status {
    ffi_boundary(|| {
        let text = try_str(text, "text")?;
        let out = try_out(bytes_out, "bytes_out")?;
        out.write(Size::parse(text)?.as_bytes());
        Ok(())
    })
}
