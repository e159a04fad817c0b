//! Source discovery (`virsh find-storage-pool-sources-as`) and pool capabilities
//! (`virsh pool-capabilities`).

use std::ffi::c_char;

use kvmpool_core::{Host, PoolCapabilities, PoolSource, PoolType, PoolTypeCapability, SourceQuery};

use crate::boundary::{
    ffi_boundary, ffi_infallible, free_handle, invalid, new_handle, new_string, opt_out,
    try_opt_str, try_out, try_ref, try_str, Failure,
};
use crate::conn::kvmpool_conn;
use crate::list::{kvmpool_pool_sources, kvmpool_strings, new_pool_sources, new_strings};
use crate::pool_spec::kvmpool_pool_spec;
use crate::status::kvmpool_status;

/// A pool source that libvirt found (the `<source>` part of a pool definition): made
/// by kvmpool_conn_find_pool_sources(), read with the kvmpool_pool_source_*()
/// accessors, turned into a spec with kvmpool_pool_source_to_spec(). Immutable, so
/// any number of threads may read it at once. Belongs to the list it came in
/// (kvmpool_pool_sources_get()) and is freed with it.
#[derive(Debug)]
pub struct kvmpool_pool_source {
    pub(crate) inner: PoolSource,
}

/// What the daemon supports, per pool type (`virsh pool-capabilities`): made by
/// kvmpool_conn_pool_capabilities(), read with the kvmpool_pool_caps_*() accessors,
/// freed with kvmpool_pool_caps_free(). Immutable, so any number of threads may read
/// it at once.
#[derive(Debug)]
pub struct kvmpool_pool_caps {
    pub(crate) inner: PoolCapabilities,
}

/// A pool type argument, as libvirt spells it ("dir", "iscsi-direct", ...).
pub(crate) fn parse_pool_type(text: *const c_char, arg: &'static str) -> Result<PoolType, Failure> {
    try_str(text, arg)?
        .parse::<PoolType>()
        .map_err(|e| invalid(arg, e))
}

/// A list of strings for C (free with kvmpool_strings_free).
fn write_strings(
    items: impl IntoIterator<Item = String>,
    list_out: *mut *mut kvmpool_strings,
    list_arg: &'static str,
) -> Result<(), Failure> {
    let list_out = try_out(list_out, list_arg)?;
    list_out.write(new_strings(items)?);
    Ok(())
}

/// An optional string for C: a new string, or NULL for `None`.
fn opt_string(text: Option<&str>) -> Result<*mut c_char, Failure> {
    text.map_or(Ok(std::ptr::null_mut()), new_string)
}

// --- source discovery ----------------------------------------------------------------

/// `virsh find-storage-pool-sources-as TYPE [HOST [PORT]] [--initiator IQN]`: ask the
/// daemon which sources of pool type `pool_type` ("logical", "netfs", "iscsi",
/// "iscsi-direct", "gluster", "fs", "disk", ...) exist: volume groups, NFS exports,
/// gluster volumes, iSCSI targets. `host` is the server to ask (NULL: none; needed by
/// netfs, iscsi, iscsi-direct and gluster), `port` its port (0: the protocol's
/// default), `initiator` the initiator IQN to log in as (NULL: none; iscsi-direct
/// needs one). Backends that find nothing give an empty list; a type that cannot be
/// searched gives KVMPOOL_ERR_UNSUPPORTED (libvirt's VIR_ERR_NO_SUPPORT) or, where
/// libvirt reports it otherwise (a backend the daemon lacks, the test driver's dir),
/// KVMPOOL_ERR_LIBVIRT; a type that needs a host searched without one gives
/// KVMPOOL_ERR_INVALID_SPEC.
///
/// On success writes a new list of the sources to `*sources_out` (possibly empty):
/// read it with kvmpool_pool_sources_len() and kvmpool_pool_sources_get(), free it
/// with kvmpool_pool_sources_free(). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_find_pool_sources(
    conn: *const kvmpool_conn,
    pool_type: *const c_char,
    host: *const c_char,
    port: u16,
    initiator: *const c_char,
    sources_out: *mut *mut kvmpool_pool_sources,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let ty = parse_pool_type(pool_type, "pool_type")?;
        let host = try_opt_str(host, "host")?;
        let initiator = try_opt_str(initiator, "initiator")?;
        let sources_out = try_out(sources_out, "sources_out")?;
        let host = match (host, port) {
            (Some(name), 0) => Some(Host::new(name)),
            (Some(name), port) => Some(Host::new(name).port(port)),
            (None, 0) => None,
            (None, port) => {
                return Err(invalid(
                    "port",
                    format!("port {port} is given without a host"),
                ))
            }
        };
        let query = SourceQuery {
            host,
            initiator: initiator.map(str::to_owned),
        };
        let sources = conn
            .inner
            .find_pool_sources(ty, &query)?
            .into_iter()
            .map(|inner| kvmpool_pool_source { inner })
            .collect();
        sources_out.write(new_pool_sources(sources));
        Ok(())
    })
}

/// Run a source getter that gives an optional string (NULL when the source lacks it).
fn source_string(
    source: *const kvmpool_pool_source,
    out: *mut *mut c_char,
    arg: &'static str,
    f: impl FnOnce(&PoolSource) -> Option<&str>,
) -> kvmpool_status {
    ffi_boundary(|| {
        let source = try_ref(source, "source")?;
        let out = try_out(out, arg)?;
        out.write(opt_string(f(&source.inner))?);
        Ok(())
    })
}

/// The pool type the source was found for, as libvirt spells it. On success writes a
/// new string to `*type_out` (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_source_type(
    source: *const kvmpool_pool_source,
    type_out: *mut *mut c_char,
) -> kvmpool_status {
    source_string(source, type_out, "type_out", |s| Some(s.pool_type.as_str()))
}

/// The source's (first) server: on success writes a new string to `*host_out` (free
/// with kvmpool_string_free()), or NULL when the source names no host, and, when
/// `port_out` is not NULL, its port to `*port_out` (0: the protocol's default, or no
/// host). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_source_host(
    source: *const kvmpool_pool_source,
    host_out: *mut *mut c_char,
    port_out: *mut u16,
) -> kvmpool_status {
    ffi_boundary(|| {
        let source = try_ref(source, "source")?;
        let host_out = try_out(host_out, "host_out")?;
        let port_out = opt_out(port_out);
        let host = source.inner.hosts.first();
        host_out.write(opt_string(host.map(|h| h.name.as_str()))?);
        if let Some(p) = port_out {
            p.write(host.and_then(|h| h.port).unwrap_or(0));
        }
        Ok(())
    })
}

/// The source's devices: the physical volumes of a volume group, the device of a
/// file system or disk, the target IQN of an iSCSI source. On success writes a new
/// string list to `*devices_out` (possibly empty; free it with
/// kvmpool_strings_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_source_devices(
    source: *const kvmpool_pool_source,
    devices_out: *mut *mut kvmpool_strings,
) -> kvmpool_status {
    ffi_boundary(|| {
        let source = try_ref(source, "source")?;
        let paths = source.inner.devices.iter().map(|d| d.path.clone());
        write_strings(paths, devices_out, "devices_out")
    })
}

/// The exported directory (netfs) or the directory in a gluster volume. On success
/// writes a new string to `*dir_out` (free with kvmpool_string_free()), or NULL when
/// the source has none. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_source_dir(
    source: *const kvmpool_pool_source,
    dir_out: *mut *mut c_char,
) -> kvmpool_status {
    source_string(source, dir_out, "dir_out", |s| s.dir.as_deref())
}

/// The source name: the volume group (logical), the gluster volume. On success
/// writes a new string to `*name_out` (free with kvmpool_string_free()), or NULL when
/// the source has none. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_source_name(
    source: *const kvmpool_pool_source,
    name_out: *mut *mut c_char,
) -> kvmpool_status {
    source_string(source, name_out, "name_out", |s| s.name.as_deref())
}

/// The source format ("lvm2", "nfs", "glusterfs", ...). On success writes a new
/// string to `*format_out` (free with kvmpool_string_free()), or NULL when the source
/// has none. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_source_format(
    source: *const kvmpool_pool_source,
    format_out: *mut *mut c_char,
) -> kvmpool_status {
    source_string(source, format_out, "format_out", |s| s.format.as_deref())
}

/// The initiator IQN (iSCSI sources; the one the search logged in as when libvirt
/// does not report one). On success writes a new string to `*initiator_out` (free with
/// kvmpool_string_free()), or NULL when there is none. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_source_initiator(
    source: *const kvmpool_pool_source,
    initiator_out: *mut *mut c_char,
) -> kvmpool_status {
    source_string(source, initiator_out, "initiator_out", |s| {
        s.initiator.as_deref()
    })
}

/// A pool spec for this source, called `name`, with target `target` (NULL: the
/// default target of the pool type, as for the `kvmpool_pool_spec_<type>()`
/// constructors). `target` is not used by the types whose target is fixed (logical:
/// `/dev/<vg>`; zfs: `/dev/zvol/<pool>`) or that have none (iscsi-direct, rbd, sheepdog,
/// gluster). As with the constructors, the spec rules (an absolute target, a name
/// libvirt takes) are checked by kvmpool_pool_spec_validate() and at define. Define
/// it with kvmpool_pool_define(). On success writes a new spec to `*spec_out` (free
/// with kvmpool_pool_spec_free()); fails with KVMPOOL_ERR_INVALID_SPEC when the
/// source lacks what the pool type requires. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_source_to_spec(
    source: *const kvmpool_pool_source,
    name: *const c_char,
    target: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    ffi_boundary(|| {
        let source = try_ref(source, "source")?;
        let name = try_str(name, "name")?;
        let target = try_opt_str(target, "target")?;
        let out = try_out(spec_out, "spec_out")?;
        let inner = source.inner.to_spec(name, target)?;
        out.write(new_handle(kvmpool_pool_spec { inner }));
        Ok(())
    })
}

// --- pool capabilities ---------------------------------------------------------------

/// `virsh pool-capabilities`: what the daemon supports for each pool type. Fails with
/// KVMPOOL_ERR_UNSUPPORTED on drivers without the call (test:///default). On success
/// writes a new capabilities handle to `*caps_out` (free with
/// kvmpool_pool_caps_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_pool_capabilities(
    conn: *const kvmpool_conn,
    caps_out: *mut *mut kvmpool_pool_caps,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let out = try_out(caps_out, "caps_out")?;
        let inner = conn.inner.pool_capabilities()?;
        out.write(new_handle(kvmpool_pool_caps { inner }));
        Ok(())
    })
}

/// Check a spec against the daemon's capabilities without defining anything: fails
/// with KVMPOOL_ERR_UNSUPPORTED, naming the type and what is missing, when the daemon
/// has no backend for the pool type or does not accept its source format.
/// kvmpool_pool_define(), kvmpool_pool_create() and kvmpool_pool_ensure() run the same
/// check. On drivers without pool capabilities (test:///default) there is nothing to
/// check against and the call succeeds. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_check_supported(
    conn: *const kvmpool_conn,
    spec: *const kvmpool_pool_spec,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let spec = try_ref(spec, "spec")?;
        conn.inner.check_supported(&spec.inner)?;
        Ok(())
    })
}

/// Free a capabilities handle. NULL is ignored.
/// Any thread may free it, once, after every other call using it has returned.
#[no_mangle]
pub extern "C" fn kvmpool_pool_caps_free(caps: *mut kvmpool_pool_caps) {
    ffi_infallible((), || free_handle(caps));
}

/// Run a capabilities getter for one pool type; `None` when the daemon does not list
/// the type.
fn caps_op(
    caps: *const kvmpool_pool_caps,
    pool_type: *const c_char,
    f: impl FnOnce(Option<&PoolTypeCapability>) -> Result<(), Failure>,
) -> kvmpool_status {
    ffi_boundary(|| {
        let caps = try_ref(caps, "caps")?;
        let ty = parse_pool_type(pool_type, "pool_type")?;
        f(caps.inner.get(ty))
    })
}

/// The pool types the daemon lists, as libvirt spells them (supported or not), in
/// the daemon's order. On success writes a new string list to `*types_out` (free it
/// with kvmpool_strings_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_caps_types(
    caps: *const kvmpool_pool_caps,
    types_out: *mut *mut kvmpool_strings,
) -> kvmpool_status {
    ffi_boundary(|| {
        let caps = try_ref(caps, "caps")?;
        let types = caps
            .inner
            .pools
            .iter()
            .map(|p| p.pool_type.as_str().to_owned());
        write_strings(types, types_out, "types_out")
    })
}

/// Whether the daemon has a backend for pool type `pool_type` ("dir",
/// "iscsi-direct", ...): on success writes it to `*supported_out` (false for a type
/// the daemon does not list). KVMPOOL_ERR_INVALID_SPEC for a string that is no pool
/// type. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_caps_supported(
    caps: *const kvmpool_pool_caps,
    pool_type: *const c_char,
    supported_out: *mut bool,
) -> kvmpool_status {
    caps_op(caps, pool_type, |cap| {
        let out = try_out(supported_out, "supported_out")?;
        out.write(cap.is_some_and(|c| c.supported));
        Ok(())
    })
}

/// The source formats pool type `pool_type` accepts (for
/// kvmpool_pool_spec_set_format(): file systems of fs, protocols of netfs, partition
/// tables of disk, "lvm2" of logical). On success writes a new string list to
/// `*formats_out` (empty when the type has no source format, or the daemon does not
/// list it); free it with kvmpool_strings_free(). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_caps_pool_formats(
    caps: *const kvmpool_pool_caps,
    pool_type: *const c_char,
    formats_out: *mut *mut kvmpool_strings,
) -> kvmpool_status {
    caps_op(caps, pool_type, |cap| {
        let formats = cap.map(|c| c.pool_formats.clone()).unwrap_or_default();
        write_strings(formats, formats_out, "formats_out")
    })
}

/// The volume formats pool type `pool_type` accepts (for
/// kvmpool_vol_spec_set_format(): "raw", "qcow2", ... for file pools, partition types
/// for disk pools). On success writes a new string list to `*formats_out` (empty
/// when the type takes no volume format, or the daemon does not list it); free it
/// with kvmpool_strings_free(). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_caps_volume_formats(
    caps: *const kvmpool_pool_caps,
    pool_type: *const c_char,
    formats_out: *mut *mut kvmpool_strings,
) -> kvmpool_status {
    caps_op(caps, pool_type, |cap| {
        let formats = cap.map(|c| c.volume_formats.clone()).unwrap_or_default();
        write_strings(formats, formats_out, "formats_out")
    })
}

/// The source format pool type `pool_type` uses when none is given. On success
/// writes a new string to `*format_out` (free with kvmpool_string_free()), or NULL
/// when there is no default. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_caps_default_pool_format(
    caps: *const kvmpool_pool_caps,
    pool_type: *const c_char,
    format_out: *mut *mut c_char,
) -> kvmpool_status {
    caps_op(caps, pool_type, |cap| {
        let out = try_out(format_out, "format_out")?;
        out.write(opt_string(
            cap.and_then(|c| c.default_pool_format.as_deref()),
        )?);
        Ok(())
    })
}

/// The volume format pool type `pool_type` uses when none is given ("raw" for dir
/// pools). On success writes a new string to `*format_out` (free with
/// kvmpool_string_free()), or NULL when there is no default. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_caps_default_volume_format(
    caps: *const kvmpool_pool_caps,
    pool_type: *const c_char,
    format_out: *mut *mut c_char,
) -> kvmpool_status {
    caps_op(caps, pool_type, |cap| {
        let out = try_out(format_out, "format_out")?;
        out.write(opt_string(
            cap.and_then(|c| c.default_volume_format.as_deref()),
        )?);
        Ok(())
    })
}

/// Check a spec against these capabilities (the same check as
/// kvmpool_conn_check_supported(), without a round trip): KVMPOOL_ERR_UNSUPPORTED,
/// naming the type and what is missing, when the type has no backend or its source
/// format is not accepted. Thread-safe as long as no setter runs on the spec
/// meanwhile.
#[no_mangle]
pub extern "C" fn kvmpool_pool_caps_check(
    caps: *const kvmpool_pool_caps,
    spec: *const kvmpool_pool_spec,
) -> kvmpool_status {
    ffi_boundary(|| {
        let caps = try_ref(caps, "caps")?;
        let spec = try_ref(spec, "spec")?;
        caps.inner.check(&spec.inner)?;
        Ok(())
    })
}
