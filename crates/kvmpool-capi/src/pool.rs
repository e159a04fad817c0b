//! Pools: define, create, look up, lifecycle, info, XML, autostart, list, ensure.

use std::ffi::c_char;

use kvmpool_core::{
    BuildMode, DeleteMode, EnsureAction, EnsureOptions, Pool, PoolFilter, PoolState, PoolType,
};

use crate::boundary::{
    check_flags, ffi_boundary, ffi_infallible, free_handle, invalid, new_handle, new_string,
    opt_out, try_array, try_out, try_ref, try_str, Failure, Out,
};
use crate::conn::kvmpool_conn;
use crate::discovery::parse_pool_type;
use crate::list::{kvmpool_pools, new_pools};
use crate::pool_spec::kvmpool_pool_spec;
use crate::status::kvmpool_status;

/// A storage pool. Thread-safe. The handle follows the pool by UUID, also across a
/// reconnect. Free with kvmpool_pool_free().
#[derive(Debug)]
pub struct kvmpool_pool {
    pub(crate) inner: Pool,
}

/// `pool-build` mode: libvirt's default for the pool type.
pub const KVMPOOL_BUILD_NORMAL: u32 = 0;
/// `pool-build --overwrite`: overwrite existing data (mkfs, new label, new volume group).
pub const KVMPOOL_BUILD_OVERWRITE: u32 = 1;
/// `pool-build --no-overwrite`: refuse when the device already holds data.
pub const KVMPOOL_BUILD_NO_OVERWRITE: u32 = 2;

/// Delete mode (`pool-delete`, `vol-delete`): just remove.
pub const KVMPOOL_DELETE_NORMAL: u32 = 0;
/// Delete mode: zero the data first.
pub const KVMPOOL_DELETE_ZEROED: u32 = 1;

/// kvmpool_pool_list() filter: running pools (with KVMPOOL_LIST_INACTIVE: both).
pub const KVMPOOL_LIST_ACTIVE: u32 = 1;
/// kvmpool_pool_list() filter: pools that are not running.
pub const KVMPOOL_LIST_INACTIVE: u32 = 2;
/// kvmpool_pool_list() filter: pools with a persistent definition.
pub const KVMPOOL_LIST_PERSISTENT: u32 = 4;
/// kvmpool_pool_list() filter: transient pools.
pub const KVMPOOL_LIST_TRANSIENT: u32 = 8;
/// kvmpool_pool_list() filter: pools that start with the daemon.
pub const KVMPOOL_LIST_AUTOSTART: u32 = 16;
/// kvmpool_pool_list() filter: pools that do not start with the daemon.
pub const KVMPOOL_LIST_NO_AUTOSTART: u32 = 32;

/// kvmpool_pool_ensure() change: the pool did not exist and was defined.
pub const KVMPOOL_ENSURED_DEFINED: u32 = 1;
/// kvmpool_pool_ensure() change: the pool existed with another definition and was
/// redefined.
pub const KVMPOOL_ENSURED_REDEFINED: u32 = 2;
/// kvmpool_pool_ensure() change: the pool was built.
pub const KVMPOOL_ENSURED_BUILT: u32 = 4;
/// kvmpool_pool_ensure() change: the pool was started.
pub const KVMPOOL_ENSURED_STARTED: u32 = 8;
/// kvmpool_pool_ensure() change: autostart was switched (on or off, as asked).
pub const KVMPOOL_ENSURED_AUTOSTART: u32 = 16;

/// Pool state, with libvirt's numbering (virStoragePoolState).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum kvmpool_pool_state {
    /// Not running.
    KVMPOOL_POOL_INACTIVE = 0,
    /// Being built.
    KVMPOOL_POOL_BUILDING = 1,
    /// Running normally.
    KVMPOOL_POOL_RUNNING = 2,
    /// Running degraded.
    KVMPOOL_POOL_DEGRADED = 3,
    /// Running, but its storage cannot be reached.
    KVMPOOL_POOL_INACCESSIBLE = 4,
}

impl From<PoolState> for kvmpool_pool_state {
    fn from(s: PoolState) -> Self {
        match s {
            PoolState::Inactive => kvmpool_pool_state::KVMPOOL_POOL_INACTIVE,
            PoolState::Building => kvmpool_pool_state::KVMPOOL_POOL_BUILDING,
            PoolState::Running => kvmpool_pool_state::KVMPOOL_POOL_RUNNING,
            PoolState::Degraded => kvmpool_pool_state::KVMPOOL_POOL_DEGRADED,
            PoolState::Inaccessible => kvmpool_pool_state::KVMPOOL_POOL_INACCESSIBLE,
        }
    }
}

/// `pool-info`: state and sizes in bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvmpool_pool_details {
    /// State.
    pub state: kvmpool_pool_state,
    /// Total size.
    pub capacity: u64,
    /// Used by volumes.
    pub allocation: u64,
    /// Free.
    pub available: u64,
}

/// kvmpool_ensure_options flag: build the pool (with `build_mode`) when the call
/// defines or redefines it.
pub const KVMPOOL_ENSURE_BUILD: u32 = 1;
/// kvmpool_ensure_options flag: start the pool if it is not running.
pub const KVMPOOL_ENSURE_START: u32 = 1 << 1;

/// What kvmpool_pool_ensure() should make true. Start from
/// kvmpool_ensure_options_default(). Integers only (no `bool` members), so memory the
/// caller did not set is still a value the library checks, never undefined behaviour.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvmpool_ensure_options {
    /// KVMPOOL_ENSURE_* bits; any other bit gives KVMPOOL_ERR_INVALID_SPEC (field
    /// "options.flags").
    pub flags: u32,
    /// KVMPOOL_BUILD_NORMAL, KVMPOOL_BUILD_OVERWRITE or KVMPOOL_BUILD_NO_OVERWRITE
    /// (read only with KVMPOOL_ENSURE_BUILD).
    pub build_mode: u32,
    /// Autostart: 1 on, 0 off, -1 leave as it is; anything else gives
    /// KVMPOOL_ERR_INVALID_SPEC (field "options.autostart").
    pub autostart: i32,
}

pub(crate) fn build_mode(mode: u32) -> Result<BuildMode, Failure> {
    match mode {
        KVMPOOL_BUILD_NORMAL => Ok(BuildMode::Normal),
        KVMPOOL_BUILD_OVERWRITE => Ok(BuildMode::Overwrite),
        KVMPOOL_BUILD_NO_OVERWRITE => Ok(BuildMode::NoOverwrite),
        other => Err(invalid(
            "mode",
            format!("{other} is not a KVMPOOL_BUILD_* mode"),
        )),
    }
}

pub(crate) fn delete_mode(mode: u32) -> Result<DeleteMode, Failure> {
    match mode {
        KVMPOOL_DELETE_NORMAL => Ok(DeleteMode::Normal),
        KVMPOOL_DELETE_ZEROED => Ok(DeleteMode::Zeroed),
        other => Err(invalid(
            "mode",
            format!("{other} is not a KVMPOOL_DELETE_* mode"),
        )),
    }
}

fn write_pool(out: Out<*mut kvmpool_pool>, inner: Pool) {
    out.write(new_handle(kvmpool_pool { inner }));
}

/// Define a persistent pool from a spec (`virsh pool-define-as`); it is not started.
/// The spec is validated first (KVMPOOL_ERR_INVALID_SPEC) and a pool of that name must
/// not exist (KVMPOOL_ERR_ALREADY_EXISTS). On success writes a new pool handle to
/// `*pool_out` (free with kvmpool_pool_free()). The spec is not consumed. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_define(
    conn: *const kvmpool_conn,
    spec: *const kvmpool_pool_spec,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let spec = try_ref(spec, "spec")?;
        let out = try_out(pool_out, "pool_out")?;
        write_pool(out, conn.inner.define_pool(&spec.inner)?);
        Ok(())
    })
}

/// Define a persistent pool from XML (`virsh pool-define file.xml`); the XML is parsed
/// first, so malformed documents never reach libvirt. On success writes a new pool
/// handle to `*pool_out` (free with kvmpool_pool_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_define_xml(
    conn: *const kvmpool_conn,
    xml: *const c_char,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let xml = try_str(xml, "xml")?;
        let out = try_out(pool_out, "pool_out")?;
        write_pool(out, conn.inner.define_pool_xml(xml)?);
        Ok(())
    })
}

/// Create and start a transient pool from a spec (`virsh pool-create-as`): it
/// disappears when destroyed. On success writes a new pool handle to `*pool_out`
/// (free with kvmpool_pool_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_create(
    conn: *const kvmpool_conn,
    spec: *const kvmpool_pool_spec,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let spec = try_ref(spec, "spec")?;
        let out = try_out(pool_out, "pool_out")?;
        write_pool(out, conn.inner.create_pool(&spec.inner, None)?);
        Ok(())
    })
}

/// Like kvmpool_pool_create(), building the pool first (`pool-create-as --build`,
/// `--overwrite`, `--no-overwrite` for `mode` KVMPOOL_BUILD_NORMAL, _OVERWRITE,
/// _NO_OVERWRITE). On success writes a new pool handle to `*pool_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_create_with_build(
    conn: *const kvmpool_conn,
    spec: *const kvmpool_pool_spec,
    mode: u32,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let spec = try_ref(spec, "spec")?;
        let mode = build_mode(mode)?;
        let out = try_out(pool_out, "pool_out")?;
        write_pool(out, conn.inner.create_pool(&spec.inner, Some(mode))?);
        Ok(())
    })
}

/// Create and start a transient pool from XML (`virsh pool-create file.xml`). On
/// success writes a new pool handle to `*pool_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_create_xml(
    conn: *const kvmpool_conn,
    xml: *const c_char,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let xml = try_str(xml, "xml")?;
        let out = try_out(pool_out, "pool_out")?;
        write_pool(out, conn.inner.create_pool_xml(xml, None)?);
        Ok(())
    })
}

/// Make the pool described by `spec` exist and be in the state `options` asks for
/// (NULL: build when defined, start, leave autostart): define it if absent, redefine
/// it if its definition differs, build it when this call (re)defined it, start it,
/// set autostart. Idempotent: a second call changes nothing. When a step fails, the
/// steps this call made are undone and the first error is returned.
///
/// On success writes a new pool handle to `*pool_out` (free with kvmpool_pool_free())
/// and, if `changes_out` is not NULL, the KVMPOOL_ENSURED_* bits of what was changed
/// (0: nothing) to `*changes_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_ensure(
    conn: *const kvmpool_conn,
    spec: *const kvmpool_pool_spec,
    options: *const kvmpool_ensure_options,
    pool_out: *mut *mut kvmpool_pool,
    changes_out: *mut u32,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let spec = try_ref(spec, "spec")?;
        let options = if options.is_null() {
            EnsureOptions::default()
        } else {
            let o = try_ref(options, "options")?;
            check_flags(
                o.flags,
                KVMPOOL_ENSURE_BUILD | KVMPOOL_ENSURE_START,
                "options.flags",
                "KVMPOOL_ENSURE_*",
            )?;
            EnsureOptions {
                build: if o.flags & KVMPOOL_ENSURE_BUILD != 0 {
                    Some(build_mode(o.build_mode)?)
                } else {
                    None
                },
                start: o.flags & KVMPOOL_ENSURE_START != 0,
                autostart: match o.autostart {
                    -1 => None,
                    0 => Some(false),
                    1 => Some(true),
                    other => {
                        return Err(invalid(
                            "options.autostart",
                            format!("{other} is not -1, 0 or 1"),
                        ))
                    }
                },
            }
        };
        let out = try_out(pool_out, "pool_out")?;
        let changes = opt_out(changes_out);
        let report = conn.inner.ensure_pool(&spec.inner, &options)?;
        let bits = report.actions.iter().fold(0, |bits, action| {
            bits | match action {
                EnsureAction::Defined => KVMPOOL_ENSURED_DEFINED,
                EnsureAction::Redefined => KVMPOOL_ENSURED_REDEFINED,
                EnsureAction::Built => KVMPOOL_ENSURED_BUILT,
                EnsureAction::Started => KVMPOOL_ENSURED_STARTED,
                EnsureAction::Autostart(_) => KVMPOOL_ENSURED_AUTOSTART,
            }
        });
        write_pool(out, report.pool);
        if let Some(c) = changes {
            c.write(bits);
        }
        Ok(())
    })
}

/// The defaults of kvmpool_pool_ensure(): build (KVMPOOL_BUILD_NORMAL) when the call
/// defines the pool, start it, leave autostart as it is.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_ensure_options_default() -> kvmpool_ensure_options {
    let d = EnsureOptions::default();
    let build = if d.build.is_some() {
        KVMPOOL_ENSURE_BUILD
    } else {
        0
    };
    let start = if d.start { KVMPOOL_ENSURE_START } else { 0 };
    kvmpool_ensure_options {
        flags: build | start,
        build_mode: match d.build.unwrap_or(BuildMode::Normal) {
            BuildMode::Normal => KVMPOOL_BUILD_NORMAL,
            BuildMode::Overwrite => KVMPOOL_BUILD_OVERWRITE,
            BuildMode::NoOverwrite => KVMPOOL_BUILD_NO_OVERWRITE,
        },
        autostart: match d.autostart {
            None => -1,
            Some(false) => 0,
            Some(true) => 1,
        },
    }
}

/// Look up the pool called `name` (KVMPOOL_ERR_NOT_FOUND if there is none). On success
/// writes a new pool handle to `*pool_out` (free with kvmpool_pool_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_lookup(
    conn: *const kvmpool_conn,
    name: *const c_char,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let name = try_str(name, "name")?;
        let out = try_out(pool_out, "pool_out")?;
        write_pool(out, conn.inner.pool(name)?);
        Ok(())
    })
}

/// Look up a pool by UUID ("8c7c1f1e-..."). On success writes a new pool handle to
/// `*pool_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_lookup_by_uuid(
    conn: *const kvmpool_conn,
    uuid: *const c_char,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let uuid = kvmpool_core::parse_uuid("uuid", try_str(uuid, "uuid")?)?;
        let out = try_out(pool_out, "pool_out")?;
        write_pool(out, conn.inner.pool_by_uuid(uuid)?);
        Ok(())
    })
}

/// Look up the pool whose target is `path`. On success writes a new pool handle to
/// `*pool_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_lookup_by_target_path(
    conn: *const kvmpool_conn,
    path: *const c_char,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let path = try_str(path, "path")?;
        let out = try_out(pool_out, "pool_out")?;
        write_pool(out, conn.inner.pool_by_target_path(path)?);
        Ok(())
    })
}

/// List pools (`virsh pool-list`), sorted by name. `flags` is 0 for all pools
/// (`--all`) or KVMPOOL_LIST_* bits; within each pair (ACTIVE/INACTIVE,
/// PERSISTENT/TRANSIENT, AUTOSTART/NO_AUTOSTART) giving one bit restricts the list and
/// giving none or both does not.
///
/// On success writes a new list of pool handles to `*pools_out` (possibly empty):
/// read it with kvmpool_pools_len() and kvmpool_pools_get(), free it with
/// kvmpool_pools_free(). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_list(
    conn: *const kvmpool_conn,
    flags: u32,
    pools_out: *mut *mut kvmpool_pools,
) -> kvmpool_status {
    ffi_boundary(|| list_pools(conn, flags, Vec::new(), pools_out))
}

/// Like kvmpool_pool_list(), only pools of the given types (`virsh pool-list --type
/// dir,logical`): `types` is an array of `type_count` pool types as libvirt spells
/// them ("dir", "iscsi-direct", ...); NULL with a count of 0 lists every type.
/// KVMPOOL_ERR_INVALID_SPEC for a string that is no pool type. On success writes the
/// list as kvmpool_pool_list() does (free with kvmpool_pools_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_list_by_type(
    conn: *const kvmpool_conn,
    flags: u32,
    types: *const *const c_char,
    type_count: usize,
    pools_out: *mut *mut kvmpool_pools,
) -> kvmpool_status {
    ffi_boundary(|| {
        let types = if type_count == 0 {
            Vec::new()
        } else {
            try_array(types, type_count, "types")?
                .iter()
                .map(|t| parse_pool_type(*t, "types"))
                .collect::<Result<Vec<_>, _>>()?
        };
        list_pools(conn, flags, types, pools_out)
    })
}

fn list_pools(
    conn: *const kvmpool_conn,
    flags: u32,
    types: Vec<PoolType>,
    pools_out: *mut *mut kvmpool_pools,
) -> Result<(), Failure> {
    let conn = try_ref(conn, "conn")?;
    let pools_out = try_out(pools_out, "pools_out")?;
    let known = KVMPOOL_LIST_ACTIVE
        | KVMPOOL_LIST_INACTIVE
        | KVMPOOL_LIST_PERSISTENT
        | KVMPOOL_LIST_TRANSIENT
        | KVMPOOL_LIST_AUTOSTART
        | KVMPOOL_LIST_NO_AUTOSTART;
    check_flags(flags, known, "flags", "KVMPOOL_LIST_*")?;
    let pair = |yes: u32, no: u32| match (flags & yes != 0, flags & no != 0) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };
    let filter = PoolFilter {
        active: pair(KVMPOOL_LIST_ACTIVE, KVMPOOL_LIST_INACTIVE),
        persistent: pair(KVMPOOL_LIST_PERSISTENT, KVMPOOL_LIST_TRANSIENT),
        autostart: pair(KVMPOOL_LIST_AUTOSTART, KVMPOOL_LIST_NO_AUTOSTART),
        types,
    };
    let pools = conn
        .inner
        .list_pools(&filter)?
        .into_iter()
        .map(|inner| kvmpool_pool { inner })
        .collect();
    pools_out.write(new_pools(pools));
    Ok(())
}

/// Free a pool handle. NULL is ignored. The pool itself is not touched. Call it once,
/// after every other call using this handle has returned.
#[no_mangle]
pub extern "C" fn kvmpool_pool_free(pool: *mut kvmpool_pool) {
    ffi_infallible((), || free_handle(pool));
}

/// Run a pool operation that returns nothing.
fn pool_op(
    pool: *const kvmpool_pool,
    f: impl FnOnce(&Pool) -> Result<(), Failure>,
) -> kvmpool_status {
    ffi_boundary(|| f(&try_ref(pool, "pool")?.inner))
}

/// `virsh pool-build`: create the directory, file system, label or volume group;
/// `mode` is KVMPOOL_BUILD_NORMAL, _OVERWRITE or _NO_OVERWRITE. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_build(pool: *const kvmpool_pool, mode: u32) -> kvmpool_status {
    pool_op(pool, |p| Ok(p.build(build_mode(mode)?)?))
}

/// `virsh pool-start`. KVMPOOL_ERR_STATE if it is already running. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_start(pool: *const kvmpool_pool) -> kvmpool_status {
    pool_op(pool, |p| Ok(p.start()?))
}

/// `virsh pool-start --build` (`mode` as for kvmpool_pool_build()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_start_with_build(
    pool: *const kvmpool_pool,
    mode: u32,
) -> kvmpool_status {
    pool_op(pool, |p| Ok(p.start_with_build(Some(build_mode(mode)?))?))
}

/// `virsh pool-destroy`: stop the pool (unmount, log out); the data stays. A
/// transient pool disappears. KVMPOOL_ERR_STATE if it is not running. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_destroy(pool: *const kvmpool_pool) -> kvmpool_status {
    pool_op(pool, |p| Ok(p.destroy()?))
}

/// `virsh pool-delete`: remove what build made (directory, volume group); the pool
/// must not be running. `mode` is KVMPOOL_DELETE_NORMAL or KVMPOOL_DELETE_ZEROED.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_delete(pool: *const kvmpool_pool, mode: u32) -> kvmpool_status {
    pool_op(pool, |p| Ok(p.delete(delete_mode(mode)?)?))
}

/// `virsh pool-undefine`: remove the persistent definition (a running pool becomes
/// transient). The handle stays to be freed. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_undefine(pool: *const kvmpool_pool) -> kvmpool_status {
    pool_op(pool, |p| Ok(p.undefine()?))
}

/// `virsh pool-refresh`: rescan the pool's volumes. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_refresh(pool: *const kvmpool_pool) -> kvmpool_status {
    pool_op(pool, |p| Ok(p.refresh()?))
}

/// `virsh pool-autostart` (`on` true) or `pool-autostart --disable` (false).
/// Transient pools cannot autostart. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_set_autostart(
    pool: *const kvmpool_pool,
    on: bool,
) -> kvmpool_status {
    pool_op(pool, |p| Ok(p.set_autostart(on)?))
}

/// `virsh pool-edit`: redefine the pool from a changed spec (get the current one with
/// kvmpool_pool_get_spec()). The name and type cannot change; the UUID is kept.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_edit(
    pool: *const kvmpool_pool,
    spec: *const kvmpool_pool_spec,
) -> kvmpool_status {
    pool_op(pool, |p| {
        let spec = try_ref(spec, "spec")?;
        Ok(p.edit(&spec.inner)?)
    })
}

/// Whether the pool starts with the daemon. On success writes it to `*on_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_autostart(
    pool: *const kvmpool_pool,
    on_out: *mut bool,
) -> kvmpool_status {
    pool_op(pool, |p| {
        let out = try_out(on_out, "on_out")?;
        out.write(p.autostart()?);
        Ok(())
    })
}

/// Whether the pool is running. On success writes it to `*active_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_is_active(
    pool: *const kvmpool_pool,
    active_out: *mut bool,
) -> kvmpool_status {
    pool_op(pool, |p| {
        let out = try_out(active_out, "active_out")?;
        out.write(p.is_active()?);
        Ok(())
    })
}

/// Whether the pool has a persistent definition. On success writes it to
/// `*persistent_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_is_persistent(
    pool: *const kvmpool_pool,
    persistent_out: *mut bool,
) -> kvmpool_status {
    pool_op(pool, |p| {
        let out = try_out(persistent_out, "persistent_out")?;
        out.write(p.is_persistent()?);
        Ok(())
    })
}

/// `virsh pool-info`: state, capacity, allocation, available (bytes), in one round
/// trip. On success fills `*info_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_info(
    pool: *const kvmpool_pool,
    info_out: *mut kvmpool_pool_details,
) -> kvmpool_status {
    pool_op(pool, |p| {
        let out = try_out(info_out, "info_out")?;
        let i = p.info()?;
        out.write(kvmpool_pool_details {
            state: i.state.into(),
            capacity: i.capacity.as_bytes(),
            allocation: i.allocation.as_bytes(),
            available: i.available.as_bytes(),
        });
        Ok(())
    })
}

/// Run a pool getter that gives a string.
fn pool_string(
    pool: *const kvmpool_pool,
    out: *mut *mut c_char,
    arg: &'static str,
    f: impl FnOnce(&Pool) -> Result<String, Failure>,
) -> kvmpool_status {
    pool_op(pool, |p| {
        let out = try_out(out, arg)?;
        out.write(new_string(f(p)?)?);
        Ok(())
    })
}

/// `virsh pool-name`. On success writes a new string to `*name_out` (free with
/// kvmpool_string_free()). No round trip. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_name(
    pool: *const kvmpool_pool,
    name_out: *mut *mut c_char,
) -> kvmpool_status {
    pool_string(pool, name_out, "name_out", |p| Ok(p.name().to_owned()))
}

/// `virsh pool-uuid`, hyphenated. On success writes a new string to `*uuid_out` (free
/// with kvmpool_string_free()). No round trip. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_uuid(
    pool: *const kvmpool_pool,
    uuid_out: *mut *mut c_char,
) -> kvmpool_status {
    pool_string(pool, uuid_out, "uuid_out", |p| {
        Ok(p.uuid().hyphenated().to_string())
    })
}

/// The pool type as libvirt spells it ("dir", "iscsi-direct", ...). On success writes
/// a new string to `*type_out` (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_type(
    pool: *const kvmpool_pool,
    type_out: *mut *mut c_char,
) -> kvmpool_status {
    pool_string(pool, type_out, "type_out", |p| {
        Ok(p.pool_type()?.as_str().to_owned())
    })
}

/// `virsh pool-dumpxml`: the live definition. On success writes a new string to
/// `*xml_out` (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_xml(
    pool: *const kvmpool_pool,
    xml_out: *mut *mut c_char,
) -> kvmpool_status {
    pool_string(pool, xml_out, "xml_out", |p| Ok(p.xml()?))
}

/// `virsh pool-dumpxml --inactive`: the definition used at the next start
/// (KVMPOOL_ERR_UNSUPPORTED on drivers without it, such as test:///default). On
/// success writes a new string to `*xml_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_xml_inactive(
    pool: *const kvmpool_pool,
    xml_out: *mut *mut c_char,
) -> kvmpool_status {
    pool_string(pool, xml_out, "xml_out", |p| Ok(p.xml_inactive()?))
}

/// The pool's live definition, parsed. On success writes a new spec to `*spec_out`
/// (free with kvmpool_pool_spec_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_get_spec(
    pool: *const kvmpool_pool,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    pool_op(pool, |p| {
        let out = try_out(spec_out, "spec_out")?;
        let inner = p.spec()?;
        out.write(new_handle(kvmpool_pool_spec { inner }));
        Ok(())
    })
}

/// The definition to edit with kvmpool_pool_edit(): the one used at the next start
/// (`pool-dumpxml --inactive`) where the driver keeps one, else the live one, parsed.
/// On success writes a new spec to `*spec_out` (free with kvmpool_pool_spec_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_get_persistent_spec(
    pool: *const kvmpool_pool,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    pool_op(pool, |p| {
        let out = try_out(spec_out, "spec_out")?;
        let inner = p.persistent_spec()?;
        out.write(new_handle(kvmpool_pool_spec { inner }));
        Ok(())
    })
}
