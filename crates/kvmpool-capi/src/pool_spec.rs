//! Pool specs: one constructor per pool type with the required fields, setters for
//! the optional ones, XML in and out.
//!
//! Every constructor and setter hands its arguments to the core's field table
//! (`PoolSpec::from_fields`, `PoolSpec::set`), which holds every rule, default and
//! message: a setter on a type without the field, or with a wrong value, fails with
//! `KVMPOOL_ERR_INVALID_SPEC` naming the field, and the spec stays as it was.

use std::ffi::c_char;

use kvmpool_core::{FieldValue, PoolField as F, PoolSpec, PoolType};

use crate::boundary::{
    ffi_boundary, ffi_infallible, free_handle, new_handle, new_string, permission_fields, try_mut,
    try_opt_str, try_out, try_ref, try_str, Failure, Out,
};
use crate::status::kvmpool_status;

/// A storage pool definition (what `virsh pool-define-as` takes, or a `<pool>` XML
/// document), one of the 14 pool types. Made by a `kvmpool_pool_spec_<type>()`
/// constructor (which refuses bad input at once) or kvmpool_pool_spec_from_xml(),
/// changed by the setters (which check each value), freed with
/// kvmpool_pool_spec_free(). Defining or creating a pool validates it as a whole.
#[derive(Debug)]
pub struct kvmpool_pool_spec {
    pub(crate) inner: PoolSpec,
}

fn write_spec(
    out: *mut *mut kvmpool_pool_spec,
    make: impl FnOnce() -> Result<PoolSpec, Failure>,
) -> kvmpool_status {
    ffi_boundary(|| {
        let out: Out<*mut kvmpool_pool_spec> = try_out(out, "spec_out")?;
        let inner = make()?;
        out.write(new_handle(kvmpool_pool_spec { inner }));
        Ok(())
    })
}

/// A spec of `ty` from C arguments: the core checks everything.
fn build<const N: usize>(ty: PoolType, fields: [(F, FieldValue); N]) -> Result<PoolSpec, Failure> {
    Ok(PoolSpec::from_fields(ty, fields)?)
}

fn text(s: &str) -> FieldValue {
    FieldValue::Text(s.to_owned())
}

fn opt_text(s: Option<&str>) -> FieldValue {
    s.map_or(FieldValue::Unset, text)
}

/// A `dir` pool (`virsh pool-define-as NAME dir --target TARGET`): a directory of image
/// files. `target` may be NULL for virt-install's default,
/// /var/lib/libvirt/images/NAME. On success writes a new spec to `*spec_out` (free
/// with kvmpool_pool_spec_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_dir(
    name: *const c_char,
    target: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let target = try_opt_str(target, "target")?;
        build(
            PoolType::Dir,
            [(F::Name, text(name)), (F::Target, opt_text(target))],
        )
    })
}

/// An `fs` pool: the pre-formatted block device `source_dev` (e.g. "/dev/sdc1"),
/// mounted by libvirt on `target` (NULL for /var/lib/libvirt/images/NAME). The file
/// system is detected unless set with kvmpool_pool_spec_set_format() ("ext4", "xfs",
/// ...). On success writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_fs(
    name: *const c_char,
    source_dev: *const c_char,
    target: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let dev = try_str(source_dev, "source_dev")?;
        let target = try_opt_str(target, "target")?;
        build(
            PoolType::Fs,
            [
                (F::Name, text(name)),
                (F::SourceDev, text(dev)),
                (F::Target, opt_text(target)),
            ],
        )
    })
}

/// A `netfs` pool: `host:source_path` (an NFS export, CIFS share or GlusterFS volume)
/// mounted on `target` (NULL for /var/lib/libvirt/images/NAME). The protocol is
/// "auto" unless set with kvmpool_pool_spec_set_format() ("nfs", "glusterfs", "cifs").
/// On success writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_netfs(
    name: *const c_char,
    host: *const c_char,
    source_path: *const c_char,
    target: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let host = try_str(host, "host")?;
        let path = try_str(source_path, "source_path")?;
        let target = try_opt_str(target, "target")?;
        build(
            PoolType::Netfs,
            [
                (F::Name, text(name)),
                (F::Host, text(host)),
                (F::SourcePath, text(path)),
                (F::Target, opt_text(target)),
            ],
        )
    })
}

/// A `logical` (LVM) pool on volume group `vg_name` (NULL: the pool name); its target
/// is /dev/VG. Add physical volumes for `pool-build` with
/// kvmpool_pool_spec_add_device(). On success writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_logical(
    name: *const c_char,
    vg_name: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let vg = try_opt_str(vg_name, "vg_name")?;
        build(
            PoolType::Logical,
            [(F::Name, text(name)), (F::Vg, opt_text(vg))],
        )
    })
}

/// A `disk` pool on the whole disk `device` (e.g. "/dev/sdc"); volumes are its
/// partitions, target /dev. The partition table is detected unless set with
/// kvmpool_pool_spec_set_format() ("gpt", "dos", ...). On success writes a new spec
/// to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_disk(
    name: *const c_char,
    device: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let device = try_str(device, "device")?;
        build(
            PoolType::Disk,
            [(F::Name, text(name)), (F::Device, text(device))],
        )
    })
}

/// An `iscsi` pool: target `iqn` on portal `host` (port with
/// kvmpool_pool_spec_set_port()), logged in through the kernel initiator; target
/// /dev/disk/by-path. On success writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_iscsi(
    name: *const c_char,
    host: *const c_char,
    iqn: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let host = try_str(host, "host")?;
        let iqn = try_str(iqn, "iqn")?;
        build(
            PoolType::Iscsi,
            [
                (F::Name, text(name)),
                (F::Host, text(host)),
                (F::Iqn, text(iqn)),
            ],
        )
    })
}

/// An `iscsi-direct` pool: target `iqn` on portal `host`, reached through libiscsi as
/// `initiator` (an IQN, required for this type). On success writes a new spec to
/// `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_iscsi_direct(
    name: *const c_char,
    host: *const c_char,
    iqn: *const c_char,
    initiator: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let host = try_str(host, "host")?;
        let iqn = try_str(iqn, "iqn")?;
        let initiator = try_str(initiator, "initiator")?;
        build(
            PoolType::IscsiDirect,
            [
                (F::Name, text(name)),
                (F::Host, text(host)),
                (F::Iqn, text(iqn)),
                (F::Initiator, text(initiator)),
            ],
        )
    })
}

/// A `scsi` pool on the SCSI host adapter `adapter` (e.g. "host0"); target
/// /dev/disk/by-path. Fibre Channel (vHBA) and parent-address adapters: use
/// kvmpool_pool_spec_from_xml(). On success writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_scsi(
    name: *const c_char,
    adapter: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let adapter = try_str(adapter, "adapter")?;
        build(
            PoolType::Scsi,
            [(F::Name, text(name)), (F::Adapter, text(adapter))],
        )
    })
}

/// An `mpath` pool: the host's multipath devices, target /dev/mapper. On success
/// writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_mpath(
    name: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        build(PoolType::Mpath, [(F::Name, text(name))])
    })
}

/// An `rbd` pool: Ceph pool `ceph_pool` reached through the monitor `monitor` (more
/// with kvmpool_pool_spec_add_host(), cephx with kvmpool_pool_spec_set_auth()). On
/// success writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_rbd(
    name: *const c_char,
    monitor: *const c_char,
    ceph_pool: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let monitor = try_str(monitor, "monitor")?;
        let ceph_pool = try_str(ceph_pool, "ceph_pool")?;
        build(
            PoolType::Rbd,
            [
                (F::Name, text(name)),
                (F::Hosts, FieldValue::List(vec![monitor.to_owned()])),
                (F::SourceName, text(ceph_pool)),
            ],
        )
    })
}

/// A `sheepdog` pool reached through cluster node `host`; the source name is the
/// pool name unless set with kvmpool_pool_spec_set_source_name(). On success writes a
/// new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_sheepdog(
    name: *const c_char,
    host: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let host = try_str(host, "host")?;
        build(
            PoolType::Sheepdog,
            [(F::Name, text(name)), (F::Host, text(host))],
        )
    })
}

/// A `gluster` pool: gluster volume `volume` of server `host` through libgfapi, the
/// whole volume unless a directory is set with kvmpool_pool_spec_set_source_dir().
/// On success writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_gluster(
    name: *const c_char,
    host: *const c_char,
    volume: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let host = try_str(host, "host")?;
        let volume = try_str(volume, "volume")?;
        build(
            PoolType::Gluster,
            [
                (F::Name, text(name)),
                (F::Host, text(host)),
                (F::Volume, text(volume)),
            ],
        )
    })
}

/// A `zfs` pool on zpool `zpool` (NULL: the pool name); target /dev/zvol/ZPOOL. Add
/// devices for `pool-build` with kvmpool_pool_spec_add_device(). On success writes a
/// new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_zfs(
    name: *const c_char,
    zpool: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let zpool = try_opt_str(zpool, "zpool")?;
        build(
            PoolType::Zfs,
            [(F::Name, text(name)), (F::Zpool, opt_text(zpool))],
        )
    })
}

/// A `vstorage` pool: Virtuozzo storage cluster `cluster` mounted on `target`. On
/// success writes a new spec to `*spec_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_vstorage(
    name: *const c_char,
    cluster: *const c_char,
    target: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let name = try_str(name, "name")?;
        let cluster = try_str(cluster, "cluster")?;
        let target = try_str(target, "target")?;
        build(
            PoolType::Vstorage,
            [
                (F::Name, text(name)),
                (F::Cluster, text(cluster)),
                (F::Target, text(target)),
            ],
        )
    })
}

/// Parse libvirt pool XML (`virsh pool-dumpxml`, or a file for `virsh pool-define`).
/// Whatever the XML holds beyond kvmpool's model is kept and written back by
/// kvmpool_pool_spec_to_xml(). On success writes a new spec to `*spec_out`; fails with
/// KVMPOOL_ERR_INVALID_SPEC for XML libvirt would refuse.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_from_xml(
    xml: *const c_char,
    spec_out: *mut *mut kvmpool_pool_spec,
) -> kvmpool_status {
    write_spec(spec_out, || {
        let xml = try_str(xml, "xml")?;
        Ok(PoolSpec::from_xml(xml)?)
    })
}

/// The spec as libvirt pool XML. On success writes a new string to `*xml_out` (free
/// with kvmpool_string_free()).
/// Thread-safe as long as no setter runs on the same spec meanwhile.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_to_xml(
    spec: *const kvmpool_pool_spec,
    xml_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let spec = try_ref(spec, "spec")?;
        let out = try_out(xml_out, "xml_out")?;
        out.write(new_string(spec.inner.to_xml())?);
        Ok(())
    })
}

/// Check the spec against libvirt's rules and kvmpool's stricter ones (names,
/// absolute paths, IQNs, ports, modes) without talking to libvirt. Defining or
/// creating a pool runs the same check. Fails with KVMPOOL_ERR_INVALID_SPEC;
/// kvmpool_last_error_field() names the field.
/// Thread-safe as long as no setter runs on the same spec meanwhile.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_validate(spec: *const kvmpool_pool_spec) -> kvmpool_status {
    ffi_boundary(|| {
        try_ref(spec, "spec")?.inner.validate()?;
        Ok(())
    })
}

/// The pool name. On success writes a new string to `*name_out` (free with
/// kvmpool_string_free()).
/// Thread-safe as long as no setter runs on the same spec meanwhile.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_name(
    spec: *const kvmpool_pool_spec,
    name_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let spec = try_ref(spec, "spec")?;
        let out = try_out(name_out, "name_out")?;
        out.write(new_string(spec.inner.name())?);
        Ok(())
    })
}

/// The pool type as libvirt spells it ("dir", "iscsi-direct", ...). On success writes
/// a new string to `*type_out` (free with kvmpool_string_free()).
/// Thread-safe as long as no setter runs on the same spec meanwhile.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_type(
    spec: *const kvmpool_pool_spec,
    type_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let spec = try_ref(spec, "spec")?;
        let out = try_out(type_out, "type_out")?;
        out.write(new_string(spec.inner.pool_type().as_str())?);
        Ok(())
    })
}

/// Where the pool's volumes appear on the host. On success writes a new string to
/// `*path_out` (free with kvmpool_string_free()), or NULL for the types without a
/// local target (rbd, sheepdog, gluster, iscsi-direct).
/// Thread-safe as long as no setter runs on the same spec meanwhile.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_target_path(
    spec: *const kvmpool_pool_spec,
    path_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let spec = try_ref(spec, "spec")?;
        let out = try_out(path_out, "path_out")?;
        let path = match spec.inner.target_path() {
            Some(p) => new_string(p)?,
            None => std::ptr::null_mut(),
        };
        out.write(path);
        Ok(())
    })
}

/// Free a spec. NULL is ignored. Pools defined from it are not affected.
/// Any thread may free it, once, after every other call using it has returned.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_free(spec: *mut kvmpool_pool_spec) {
    ffi_infallible((), || free_handle(spec));
}

// --- setters -------------------------------------------------------------------------

/// Run a setter body on the spec.
fn set(
    spec: *mut kvmpool_pool_spec,
    f: impl FnOnce(&mut PoolSpec) -> Result<(), Failure>,
) -> kvmpool_status {
    ffi_boundary(|| f(&mut try_mut(spec, "spec")?.inner))
}

/// Rename the spec (define-as from an existing definition).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_name(
    spec: *mut kvmpool_pool_spec,
    name: *const c_char,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(F::Name, try_str(name, "name")?)?))
}

/// Set the pool UUID ("8c7c1f1e-..."), or clear it with NULL (libvirt then generates
/// one). Fails with KVMPOOL_ERR_INVALID_SPEC for text that is no UUID.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_uuid(
    spec: *mut kvmpool_pool_spec,
    uuid: *const c_char,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(F::Uuid, try_opt_str(uuid, "uuid")?)?))
}

/// Set the target path, keeping its permissions. For dir, fs, netfs, disk, iscsi,
/// scsi, mpath and vstorage pools (a logical pool's target must be /dev/VG; zfs
/// targets follow from the zpool name).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_target(
    spec: *mut kvmpool_pool_spec,
    path: *const c_char,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(F::Target, try_str(path, "path")?)?))
}

/// Set the permissions libvirt applies to the target: `mode` (e.g. 0755; negative:
/// leave unset), `owner` and `group` ids (negative: leave unset), SELinux `label`
/// (NULL: none). For the types with a local target: dir, fs, netfs, logical, disk,
/// iscsi, scsi, mpath, zfs and vstorage.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_permissions(
    spec: *mut kvmpool_pool_spec,
    mode: i32,
    owner: i64,
    group: i64,
    label: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        let [m, o, g, l] = permission_fields(mode, owner, group, label)?;
        Ok(s.set_fields([(F::Mode, m), (F::Owner, o), (F::Group, g), (F::Label, l)])?)
    })
}

/// Set the source format, as libvirt spells it: the file system of an fs pool
/// ("auto", "ext4", "xfs", ...), the protocol of a netfs pool ("auto", "nfs",
/// "glusterfs", "cifs"), the partition table of a disk pool ("unknown", "gpt", "dos",
/// ...), the format of a logical pool ("unknown", "lvm2").
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_format(
    spec: *mut kvmpool_pool_spec,
    format: *const c_char,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(F::Format, try_str(format, "format")?)?))
}

/// Set the port of the source host (of every monitor of an rbd pool); 0 for the
/// protocol's default. For netfs, iscsi, iscsi-direct, rbd, sheepdog and gluster.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_port(
    spec: *mut kvmpool_pool_spec,
    port: u16,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(F::Port, (port != 0).then_some(port))?))
}

/// Add a Ceph monitor to an rbd pool (`port` 0 for the default).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_add_host(
    spec: *mut kvmpool_pool_spec,
    host: *const c_char,
    port: u16,
) -> kvmpool_status {
    set(spec, |s| {
        let host = try_str(host, "host")?;
        Ok(s.add_host(host, (port != 0).then_some(port.into()))?)
    })
}

/// Add a device: a physical volume `pool-build` puts in a new volume group (logical),
/// or a device the zpool is built on (zfs).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_add_device(
    spec: *mut kvmpool_pool_spec,
    path: *const c_char,
) -> kvmpool_status {
    set(spec, |s| Ok(s.add(F::Devices, try_str(path, "path")?)?))
}

/// Disk pools: whether partition names get a "p" before the number (`sdc1` vs
/// `nvme0n1p1`; libvirt's part_separator).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_part_separator(
    spec: *mut kvmpool_pool_spec,
    on: bool,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(F::PartSeparator, on)?))
}

/// Add a mount option (one per call, no commas) for fs and netfs pools.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_add_mount_option(
    spec: *mut kvmpool_pool_spec,
    option: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.add(F::MountOptions, try_str(option, "option")?)?)
    })
}

/// Set the NFS protocol version of a netfs pool ("3", "4", "4.1"), or clear it with
/// NULL.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_protocol_version(
    spec: *mut kvmpool_pool_spec,
    version: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set(F::ProtocolVersion, try_opt_str(version, "version")?)?)
    })
}

/// Set the initiator IQN of an iscsi pool (NULL: the host's default) or an
/// iscsi-direct pool (required there).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_initiator(
    spec: *mut kvmpool_pool_spec,
    iqn: *const c_char,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(F::Initiator, try_opt_str(iqn, "iqn")?)?))
}

/// Set authentication to the storage server for iscsi, iscsi-direct ("chap") and rbd
/// ("ceph") pools: `auth_type` (NULL: the pool type's), `username`, and the libvirt
/// secret holding the password or key, by `secret_uuid` or by `secret_usage`
/// (exactly one non-NULL).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_auth(
    spec: *mut kvmpool_pool_spec,
    auth_type: *const c_char,
    username: *const c_char,
    secret_uuid: *const c_char,
    secret_usage: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        let fields = [
            (F::AuthType, try_opt_str(auth_type, "auth_type")?.into()),
            (F::AuthUsername, try_str(username, "username")?.into()),
            (
                F::AuthSecretUuid,
                try_opt_str(secret_uuid, "secret_uuid")?.into(),
            ),
            (
                F::AuthSecretUsage,
                try_opt_str(secret_usage, "secret_usage")?.into(),
            ),
        ];
        Ok(s.set_fields(fields)?)
    })
}

/// Set the SCSI vendor an iscsi pool matches (NULL: any).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_vendor(
    spec: *mut kvmpool_pool_spec,
    vendor: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set(F::Vendor, try_opt_str(vendor, "vendor")?)?)
    })
}

/// Set the SCSI product an iscsi pool matches (NULL: any).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_product(
    spec: *mut kvmpool_pool_spec,
    product: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set(F::Product, try_opt_str(product, "product")?)?)
    })
}

/// Set the source name: the volume group (logical), Ceph pool (rbd), sheepdog source,
/// gluster volume, zpool (zfs) or cluster (vstorage).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_source_name(
    spec: *mut kvmpool_pool_spec,
    source_name: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set_source_name(try_str(source_name, "source_name")?)?)
    })
}

/// Set the source directory: the exported path of a netfs pool, or the directory
/// inside the volume of a gluster pool ("/" for all of it).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_source_dir(
    spec: *mut kvmpool_pool_spec,
    dir: *const c_char,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set_source_dir(try_str(dir, "dir")?)?))
}

/// Turn copy-on-write on or off for new files of a dir or fs pool (btrfs nocow).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_cow(
    spec: *mut kvmpool_pool_spec,
    on: bool,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(F::Cow, on)?))
}

/// Add a librados option (`<rbd:config_opts>`) to an rbd pool.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_add_config_option(
    spec: *mut kvmpool_pool_spec,
    name: *const c_char,
    value: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        let pair = (
            try_str(name, "name")?.to_owned(),
            try_str(value, "value")?.to_owned(),
        );
        Ok(s.add(F::ConfigOptions, FieldValue::Pairs(vec![pair]))?)
    })
}

/// How an rbd pool reports volume allocation on refresh: "default" (ask Ceph) or
/// "capacity" (fast); NULL to leave it to libvirt.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_pool_spec_set_refresh_allocation(
    spec: *mut kvmpool_pool_spec,
    mode: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set(F::RefreshAllocation, try_opt_str(mode, "mode")?)?)
    })
}
