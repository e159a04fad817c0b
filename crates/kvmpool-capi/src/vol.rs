//! Volumes: create, clone, look up, info, XML, resize, wipe, delete, list, upload and
//! download.

use std::ffi::{c_char, c_int, c_void};

use std::sync::Arc;

use kvmpool_core::{
    ProgressFn, Resize, TransferMethod, TransferOptions, Volume, VolumeType, WipeAlgorithm,
};

use crate::boundary::{
    check_flags, ffi_boundary, ffi_infallible, free_handle, invalid, new_handle, new_string, size,
    try_opt_str, try_out, try_ref, try_str, Failure, Out,
};
use crate::conn::kvmpool_conn;
use crate::list::{kvmpool_strings, kvmpool_vols, new_strings, new_vols};
use crate::pool::{delete_mode, kvmpool_pool};
use crate::status::kvmpool_status;
use crate::vol_spec::kvmpool_vol_spec;

/// A storage volume. Thread-safe. The handle follows the volume by key, also across a
/// reconnect. Free with kvmpool_vol_free().
#[derive(Debug)]
pub struct kvmpool_vol {
    pub(crate) inner: Volume,
}

/// What a volume is on the host, with libvirt's numbering (virStorageVolType).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum kvmpool_vol_type {
    /// A regular file.
    KVMPOOL_VOL_FILE = 0,
    /// A block device.
    KVMPOOL_VOL_BLOCK = 1,
    /// A directory.
    KVMPOOL_VOL_DIR = 2,
    /// A network volume (rbd, gluster, iscsi-direct).
    KVMPOOL_VOL_NETWORK = 3,
    /// A network directory.
    KVMPOOL_VOL_NETDIR = 4,
    /// A ploop directory.
    KVMPOOL_VOL_PLOOP = 5,
}

impl From<VolumeType> for kvmpool_vol_type {
    fn from(t: VolumeType) -> Self {
        match t {
            VolumeType::File => kvmpool_vol_type::KVMPOOL_VOL_FILE,
            VolumeType::Block => kvmpool_vol_type::KVMPOOL_VOL_BLOCK,
            VolumeType::Dir => kvmpool_vol_type::KVMPOOL_VOL_DIR,
            VolumeType::Network => kvmpool_vol_type::KVMPOOL_VOL_NETWORK,
            VolumeType::Netdir => kvmpool_vol_type::KVMPOOL_VOL_NETDIR,
            VolumeType::Ploop => kvmpool_vol_type::KVMPOOL_VOL_PLOOP,
        }
    }
}

/// `vol-info`: type and sizes in bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvmpool_vol_details {
    /// What the volume is on the host.
    pub vol_type: kvmpool_vol_type,
    /// Logical size.
    pub capacity: u64,
    /// Space used on the host.
    pub allocation: u64,
}

/// kvmpool_vol_resize() flag: `capacity` is added to the current capacity (or, with
/// KVMPOOL_RESIZE_SHRINK, taken away).
pub const KVMPOOL_RESIZE_DELTA: u32 = 1;
/// kvmpool_vol_resize() flag: allow the capacity to go down.
pub const KVMPOOL_RESIZE_SHRINK: u32 = 2;
/// kvmpool_vol_resize() flag: allocate the new space instead of leaving it sparse.
pub const KVMPOOL_RESIZE_ALLOCATE: u32 = 4;

/// A progress callback for uploads and downloads: called with the bytes done so far
/// and the total (first with done = 0, then after every chunk). Return 0 to go on;
/// any other value cancels the transfer, which then fails with
/// KVMPOOL_ERR_CANCELLED. It runs on the thread that called the transfer, during the
/// call only, and receives the `userdata` given to that call. To cancel from another
/// thread, let that thread set a flag (an atomic_int in `userdata`) and return it from
/// the callback: the transfer stops after the chunk under way.
pub type kvmpool_progress_cb =
    Option<unsafe extern "C" fn(done: u64, total: u64, userdata: *mut c_void) -> c_int>;

fn write_vol(out: Out<*mut kvmpool_vol>, inner: Volume) {
    out.write(new_handle(kvmpool_vol { inner }));
}

/// `virsh vol-create-as`: create a volume in `pool` from a spec. The spec is checked
/// against the pool type first; a volume of that name must not exist
/// (KVMPOOL_ERR_ALREADY_EXISTS); if libvirt fails after creating something, it is
/// removed. On success writes a new volume handle to `*vol_out` (free with
/// kvmpool_vol_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_create(
    pool: *const kvmpool_pool,
    spec: *const kvmpool_vol_spec,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let pool = try_ref(pool, "pool")?;
        let spec = try_ref(spec, "spec")?;
        let out = try_out(vol_out, "vol_out")?;
        write_vol(out, pool.inner.create_volume(&spec.inner)?);
        Ok(())
    })
}

/// `virsh vol-create POOL file.xml`: create a volume from XML (parsed first). On
/// success writes a new volume handle to `*vol_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_create_xml(
    pool: *const kvmpool_pool,
    xml: *const c_char,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let pool = try_ref(pool, "pool")?;
        let xml = try_str(xml, "xml")?;
        let out = try_out(vol_out, "vol_out")?;
        write_vol(out, pool.inner.create_volume_xml(xml)?);
        Ok(())
    })
}

/// `virsh vol-create-from`: a new volume in `pool` holding a copy of `source` (which
/// may be in another pool); a capacity of 0 in the spec takes the source's. On
/// success writes a new volume handle to `*vol_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_create_from(
    pool: *const kvmpool_pool,
    spec: *const kvmpool_vol_spec,
    source: *const kvmpool_vol,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let pool = try_ref(pool, "pool")?;
        let spec = try_ref(spec, "spec")?;
        let source = try_ref(source, "source")?;
        let out = try_out(vol_out, "vol_out")?;
        write_vol(
            out,
            pool.inner.create_volume_from(&spec.inner, &source.inner)?,
        );
        Ok(())
    })
}

/// Create a volume in `pool` from `spec` sized for the local file at `path` (a
/// capacity of 0 in the spec takes the file's size) and upload the file into it
/// (`vol-create-as` + `vol-upload`), all or nothing: when the upload fails or is
/// cancelled, the new volume is deleted again and the error says so. `flags`,
/// `progress` and `userdata` as for kvmpool_vol_upload_file() (a non-zero return
/// from `progress` cancels: KVMPOOL_ERR_CANCELLED, no volume left behind). On
/// success writes a new volume handle to `*vol_out` (free with kvmpool_vol_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_create_from_file(
    pool: *const kvmpool_pool,
    spec: *const kvmpool_vol_spec,
    path: *const c_char,
    flags: u32,
    progress: kvmpool_progress_cb,
    userdata: *mut c_void,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let pool = try_ref(pool, "pool")?;
        let spec = try_ref(spec, "spec")?;
        let path = try_str(path, "path")?;
        let out = try_out(vol_out, "vol_out")?;
        let options = transfer_options(0, 0, flags, progress, userdata)?;
        let (vol, _report) = pool
            .inner
            .create_volume_from_file(&spec.inner, path, &options)?;
        write_vol(out, vol);
        Ok(())
    })
}

/// `virsh vol-clone`: a copy of `vol` called `name` in the same pool, same format and
/// capacity; with `reflink`, a copy-on-write clone where the file system allows it.
/// On success writes a new volume handle to `*vol_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_clone(
    vol: *const kvmpool_vol,
    name: *const c_char,
    reflink: bool,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let vol = try_ref(vol, "vol")?;
        let name = try_str(name, "name")?;
        let out = try_out(vol_out, "vol_out")?;
        write_vol(out, vol.inner.clone_as(name, reflink)?);
        Ok(())
    })
}

/// Look up the volume called `name` in `pool` (KVMPOOL_ERR_NOT_FOUND if there is
/// none; KVMPOOL_ERR_STATE if the pool is not running). On success writes a new
/// volume handle to `*vol_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_lookup(
    pool: *const kvmpool_pool,
    name: *const c_char,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let pool = try_ref(pool, "pool")?;
        let name = try_str(name, "name")?;
        let out = try_out(vol_out, "vol_out")?;
        write_vol(out, pool.inner.volume(name)?);
        Ok(())
    })
}

/// Look up a volume by key (`virsh vol-info --key`), in any pool of the connection.
/// On success writes a new volume handle to `*vol_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_lookup_by_key(
    conn: *const kvmpool_conn,
    key: *const c_char,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let key = try_str(key, "key")?;
        let out = try_out(vol_out, "vol_out")?;
        write_vol(out, conn.inner.volume_by_key(key)?);
        Ok(())
    })
}

/// Look up a volume by path (`virsh vol-info /path`), in any pool of the connection.
/// On success writes a new volume handle to `*vol_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_lookup_by_path(
    conn: *const kvmpool_conn,
    path: *const c_char,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let path = try_str(path, "path")?;
        let out = try_out(vol_out, "vol_out")?;
        write_vol(out, conn.inner.volume_by_path(path)?);
        Ok(())
    })
}

/// `virsh vol-list`: the volumes of a running pool, sorted by name. On success writes
/// a new list of volume handles to `*vols_out` (possibly empty): read it with
/// kvmpool_vols_len() and kvmpool_vols_get(), free it with kvmpool_vols_free().
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_list(
    pool: *const kvmpool_pool,
    vols_out: *mut *mut kvmpool_vols,
) -> kvmpool_status {
    ffi_boundary(|| {
        let pool = try_ref(pool, "pool")?;
        let vols_out = try_out(vols_out, "vols_out")?;
        let vols = pool
            .inner
            .volumes()?
            .into_iter()
            .map(|inner| kvmpool_vol { inner })
            .collect();
        vols_out.write(new_vols(vols));
        Ok(())
    })
}

/// The names of a running pool's volumes, sorted (cheaper than kvmpool_vol_list()).
/// On success writes a new string list to `*names_out` (possibly empty; free it with
/// kvmpool_strings_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_list_names(
    pool: *const kvmpool_pool,
    names_out: *mut *mut kvmpool_strings,
) -> kvmpool_status {
    ffi_boundary(|| {
        let pool = try_ref(pool, "pool")?;
        let names_out = try_out(names_out, "names_out")?;
        names_out.write(new_strings(pool.inner.volume_names()?)?);
        Ok(())
    })
}

/// Free a volume handle. NULL is ignored. The volume itself is not touched. Call it
/// once, after every other call using this handle has returned.
#[no_mangle]
pub extern "C" fn kvmpool_vol_free(vol: *mut kvmpool_vol) {
    ffi_infallible((), || free_handle(vol));
}

fn vol_op(
    vol: *const kvmpool_vol,
    f: impl FnOnce(&Volume) -> Result<(), Failure>,
) -> kvmpool_status {
    ffi_boundary(|| f(&try_ref(vol, "vol")?.inner))
}

fn vol_string(
    vol: *const kvmpool_vol,
    out: *mut *mut c_char,
    arg: &'static str,
    f: impl FnOnce(&Volume) -> Result<String, Failure>,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let out = try_out(out, arg)?;
        out.write(new_string(f(v)?)?);
        Ok(())
    })
}

/// `virsh vol-name`. On success writes a new string to `*name_out` (free with
/// kvmpool_string_free()). No round trip. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_name(
    vol: *const kvmpool_vol,
    name_out: *mut *mut c_char,
) -> kvmpool_status {
    vol_string(vol, name_out, "name_out", |v| Ok(v.name().to_owned()))
}

/// `virsh vol-key`. On success writes a new string to `*key_out` (free with
/// kvmpool_string_free()). No round trip. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_key(
    vol: *const kvmpool_vol,
    key_out: *mut *mut c_char,
) -> kvmpool_status {
    vol_string(vol, key_out, "key_out", |v| Ok(v.key().to_owned()))
}

/// `virsh vol-path`. On success writes a new string to `*path_out` (free with
/// kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_path(
    vol: *const kvmpool_vol,
    path_out: *mut *mut c_char,
) -> kvmpool_status {
    vol_string(vol, path_out, "path_out", |v| Ok(v.path()?))
}

/// `virsh vol-dumpxml`. On success writes a new string to `*xml_out` (free with
/// kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_xml(
    vol: *const kvmpool_vol,
    xml_out: *mut *mut c_char,
) -> kvmpool_status {
    vol_string(vol, xml_out, "xml_out", |v| Ok(v.xml()?))
}

/// The volume's definition, parsed from its XML. On success writes a new spec to
/// `*spec_out` (free with kvmpool_vol_spec_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_get_spec(
    vol: *const kvmpool_vol,
    spec_out: *mut *mut kvmpool_vol_spec,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let out = try_out(spec_out, "spec_out")?;
        let inner = v.spec()?;
        out.write(new_handle(kvmpool_vol_spec { inner }));
        Ok(())
    })
}

/// `virsh vol-pool`: the pool holding the volume. On success writes a new pool handle
/// to `*pool_out` (free with kvmpool_pool_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_pool(
    vol: *const kvmpool_vol,
    pool_out: *mut *mut kvmpool_pool,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let out = try_out(pool_out, "pool_out")?;
        let inner = v.pool()?;
        out.write(new_handle(kvmpool_pool { inner }));
        Ok(())
    })
}

/// `virsh vol-info`: type, capacity, allocation (bytes), in one round trip. On
/// success fills `*info_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_info(
    vol: *const kvmpool_vol,
    info_out: *mut kvmpool_vol_details,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let out = try_out(info_out, "info_out")?;
        let i = v.info()?;
        out.write(kvmpool_vol_details {
            vol_type: i.volume_type.into(),
            capacity: i.capacity.as_bytes(),
            allocation: i.allocation.as_bytes(),
        });
        Ok(())
    })
}

/// `virsh vol-info --physical`: the size on the host (file size, device size). On
/// success writes the number of bytes to `*bytes_out`. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_physical(
    vol: *const kvmpool_vol,
    bytes_out: *mut u64,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let out = try_out(bytes_out, "bytes_out")?;
        out.write(v.physical()?.as_bytes());
        Ok(())
    })
}

/// `virsh vol-resize`: set the capacity to `capacity` bytes, or with
/// KVMPOOL_RESIZE_DELTA change it by that much; KVMPOOL_RESIZE_SHRINK allows going
/// down, KVMPOOL_RESIZE_ALLOCATE allocates the new space. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_resize(
    vol: *const kvmpool_vol,
    capacity: u64,
    flags: u32,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let known = KVMPOOL_RESIZE_DELTA | KVMPOOL_RESIZE_SHRINK | KVMPOOL_RESIZE_ALLOCATE;
        check_flags(flags, known, "flags", "KVMPOOL_RESIZE_*")?;
        let resize = Resize {
            capacity: size("capacity", capacity)?,
            delta: flags & KVMPOOL_RESIZE_DELTA != 0,
            shrink: flags & KVMPOOL_RESIZE_SHRINK != 0,
            allocate: flags & KVMPOOL_RESIZE_ALLOCATE != 0,
        };
        Ok(v.resize(resize)?)
    })
}

/// `virsh vol-wipe`: overwrite the volume's data. `algorithm` as libvirt spells it
/// ("zero", "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7", "pfitzner33",
/// "random", "trim"; all but zero and trim need the scrub tool on the host), or NULL
/// for "zero". Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_wipe(
    vol: *const kvmpool_vol,
    algorithm: *const c_char,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let algorithm = match try_opt_str(algorithm, "algorithm")? {
            Some(a) => a
                .parse::<WipeAlgorithm>()
                .map_err(|e| invalid("algorithm", e))?,
            None => WipeAlgorithm::Zero,
        };
        Ok(v.wipe(algorithm)?)
    })
}

/// `virsh vol-delete`: remove the volume; `mode` is KVMPOOL_DELETE_NORMAL or
/// KVMPOOL_DELETE_ZEROED. The handle stays to be freed. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_delete(vol: *const kvmpool_vol, mode: u32) -> kvmpool_status {
    vol_op(vol, |v| Ok(v.delete(delete_mode(mode)?)?))
}

/// The C callback and its userdata, callable from the core's progress closure.
#[derive(Clone, Copy)]
struct Progress {
    callback: unsafe extern "C" fn(u64, u64, *mut c_void) -> c_int,
    userdata: *mut c_void,
}

// SAFETY: the core keeps the progress closure only for the duration of the transfer
// call and runs it on the calling thread: the documented contract of
// `kvmpool_core::TransferOptions::progress`, tested in tests/dir_pool.rs
// (`progress_runs_on_the_calling_thread`). `userdata` is never dereferenced by Rust,
// only handed back to the caller's callback.
unsafe impl Send for Progress {}
// SAFETY: as for `Send`: the closure is not shared with other threads.
unsafe impl Sync for Progress {}

impl Progress {
    fn call(&self, done: u64, total: u64) -> bool {
        // SAFETY: the caller gave a valid function pointer and the userdata it
        // expects; it is called with exactly the documented arguments.
        let rc = unsafe { (self.callback)(done, total, self.userdata) };
        rc == 0
    }
}

/// kvmpool_vol_upload_file() and friends, `flags`: holes in the file stay holes in
/// the volume (`--sparse`; in a download, holes in the volume stay holes in the file).
pub const KVMPOOL_TRANSFER_SPARSE: u32 = 1;
/// `flags`: move the bytes through a libvirt stream, as virsh does (works over any
/// connection). Without this flag and KVMPOOL_TRANSFER_DIRECT: direct when possible.
pub const KVMPOOL_TRANSFER_STREAM: u32 = 1 << 1;
/// `flags`: copy the bytes in this process, into or out of the volume's file or
/// device, which needs a daemon on this machine; KVMPOOL_ERR_UNSUPPORTED with the
/// reason where that is not possible. Same bytes, checks and errors as a stream.
pub const KVMPOOL_TRANSFER_DIRECT: u32 = 1 << 2;

/// The C callback and its userdata as the core's progress closure (`None` for NULL).
pub(crate) fn progress_fn(
    progress: kvmpool_progress_cb,
    userdata: *mut c_void,
) -> Option<ProgressFn> {
    let p = Progress {
        callback: progress?,
        userdata,
    };
    Some(Arc::new(move |done, total| p.call(done, total)))
}

pub(crate) fn transfer_options(
    offset: u64,
    length: u64,
    flags: u32,
    progress: kvmpool_progress_cb,
    userdata: *mut c_void,
) -> Result<TransferOptions, Failure> {
    let known = KVMPOOL_TRANSFER_SPARSE | KVMPOOL_TRANSFER_STREAM | KVMPOOL_TRANSFER_DIRECT;
    check_flags(flags, known, "flags", "KVMPOOL_TRANSFER_*")?;
    let method = match (
        flags & KVMPOOL_TRANSFER_STREAM != 0,
        flags & KVMPOOL_TRANSFER_DIRECT != 0,
    ) {
        (false, false) => TransferMethod::Auto,
        (true, false) => TransferMethod::Stream,
        (false, true) => TransferMethod::Direct,
        (true, true) => {
            return Err(invalid(
                "flags",
                "KVMPOOL_TRANSFER_STREAM and KVMPOOL_TRANSFER_DIRECT exclude each other",
            ))
        }
    };
    Ok(TransferOptions {
        sparse: flags & KVMPOOL_TRANSFER_SPARSE != 0,
        offset,
        length: (length != 0).then_some(length),
        progress: progress_fn(progress, userdata),
        method,
        ..TransferOptions::default()
    })
}

/// `virsh vol-upload`: write the local file at `path` into the volume, starting at
/// byte `offset` of the volume, `length` bytes of the file (0: all of it). `flags`:
/// KVMPOOL_TRANSFER_SPARSE keeps the file's holes as holes (`--sparse`);
/// KVMPOOL_TRANSFER_STREAM or KVMPOOL_TRANSFER_DIRECT choose how the bytes move (by
/// default directly when the daemon is on this machine, else through a stream).
/// Refused before any byte is sent (KVMPOOL_ERR_INVALID_SPEC) when it would go past
/// the volume's capacity. `progress` may be NULL; otherwise it is called on this
/// thread with `userdata` as the transfer goes, and a non-zero return cancels it
/// (KVMPOOL_ERR_CANCELLED). A failed or cancelled upload may leave part of the file
/// in the volume; the error message says how much. KVMPOOL_ERR_IO when the file
/// cannot be read; KVMPOOL_ERR_UNSUPPORTED on drivers without uploads
/// (test:///default). Thread-safe (the volume may be used by other threads
/// meanwhile).
#[no_mangle]
pub extern "C" fn kvmpool_vol_upload_file(
    vol: *const kvmpool_vol,
    path: *const c_char,
    offset: u64,
    length: u64,
    flags: u32,
    progress: kvmpool_progress_cb,
    userdata: *mut c_void,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let path = try_str(path, "path")?;
        let options = transfer_options(offset, length, flags, progress, userdata)?;
        v.upload_file(path, &options)?;
        Ok(())
    })
}

/// `virsh vol-download`: write the volume's bytes from `offset`, `length` bytes (0:
/// to the end of the volume), to the local file at `path`. `flags` as for
/// kvmpool_vol_upload_file() (with KVMPOOL_TRANSFER_SPARSE, holes stay holes in the
/// file). The file is written next to `path` and renamed into place only
/// when complete, so a failed or cancelled download leaves `path` as it was (a block
/// device is written in place). `progress` and `userdata` as for
/// kvmpool_vol_upload_file(). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_download_file(
    vol: *const kvmpool_vol,
    path: *const c_char,
    offset: u64,
    length: u64,
    flags: u32,
    progress: kvmpool_progress_cb,
    userdata: *mut c_void,
) -> kvmpool_status {
    vol_op(vol, |v| {
        let path = try_str(path, "path")?;
        let options = transfer_options(offset, length, flags, progress, userdata)?;
        v.download_file(path, &options)?;
        Ok(())
    })
}
