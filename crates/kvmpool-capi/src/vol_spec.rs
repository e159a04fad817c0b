//! Volume specs: a name and a capacity, setters for the rest, XML in and out.

use std::ffi::c_char;

use kvmpool_core::{Preallocation, VolumeField as V, VolumeSpec};

use crate::boundary::{
    ffi_boundary, ffi_infallible, free_handle, invalid, new_handle, new_string, permission_fields,
    try_mut, try_opt_str, try_out, try_ref, try_str, Failure,
};
use crate::status::kvmpool_status;

/// A storage volume definition (what `virsh vol-create-as` takes, or a `<volume>`
/// XML document). Made by kvmpool_vol_spec_new() or kvmpool_vol_spec_from_xml(),
/// changed by the setters, freed with kvmpool_vol_spec_free().
#[derive(Debug)]
pub struct kvmpool_vol_spec {
    pub(crate) inner: VolumeSpec,
}

/// Preallocation: nothing up front, a sparse file (virt-install's default).
pub const KVMPOOL_PREALLOC_SPARSE: u32 = 0;
/// Preallocation: qcow2 metadata only.
pub const KVMPOOL_PREALLOC_METADATA: u32 = 1;
/// Preallocation: the whole capacity (as set when this is applied).
pub const KVMPOOL_PREALLOC_FULL: u32 = 2;

/// A volume called `name` of `capacity` bytes in the pool's default format,
/// allocated as suits the pool type (`virsh vol-create-as POOL NAME CAPACITY`);
/// kvmpool_size_parse() turns "10G" into bytes. A bad name or capacity fails at once
/// with KVMPOOL_ERR_INVALID_SPEC. On success writes a new spec to `*spec_out` (free with
/// kvmpool_vol_spec_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_new(
    name: *const c_char,
    capacity: u64,
    spec_out: *mut *mut kvmpool_vol_spec,
) -> kvmpool_status {
    ffi_boundary(|| {
        let name = try_str(name, "name")?;
        let out = try_out(spec_out, "spec_out")?;
        let inner =
            VolumeSpec::from_fields([(V::Name, name.into()), (V::Capacity, capacity.into())])?;
        out.write(new_handle(kvmpool_vol_spec { inner }));
        Ok(())
    })
}

/// Parse libvirt volume XML (`virsh vol-dumpxml`, or a file for `virsh vol-create`).
/// On success writes a new spec to `*spec_out` (free with kvmpool_vol_spec_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_from_xml(
    xml: *const c_char,
    spec_out: *mut *mut kvmpool_vol_spec,
) -> kvmpool_status {
    ffi_boundary(|| {
        let xml = try_str(xml, "xml")?;
        let out = try_out(spec_out, "spec_out")?;
        let inner = VolumeSpec::from_xml(xml)?;
        out.write(new_handle(kvmpool_vol_spec { inner }));
        Ok(())
    })
}

/// The spec as libvirt volume XML. On success writes a new string to `*xml_out` (free
/// with kvmpool_string_free()).
/// Thread-safe as long as no setter runs on the same spec meanwhile.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_to_xml(
    spec: *const kvmpool_vol_spec,
    xml_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let spec = try_ref(spec, "spec")?;
        let out = try_out(xml_out, "xml_out")?;
        out.write(new_string(spec.inner.to_xml())?);
        Ok(())
    })
}

/// Check the spec on its own (name, sizes, qcow2-only options) without libvirt;
/// creating a volume runs the same check plus the pool type's formats. Fails with
/// KVMPOOL_ERR_INVALID_SPEC; kvmpool_last_error_field() names the field.
/// Thread-safe as long as no setter runs on the same spec meanwhile.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_validate(spec: *const kvmpool_vol_spec) -> kvmpool_status {
    ffi_boundary(|| {
        try_ref(spec, "spec")?.inner.validate()?;
        Ok(())
    })
}

/// Free a spec. NULL is ignored. Volumes created from it are not affected.
/// Any thread may free it, once, after every other call using it has returned.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_free(spec: *mut kvmpool_vol_spec) {
    ffi_infallible((), || free_handle(spec));
}

fn set(
    spec: *mut kvmpool_vol_spec,
    f: impl FnOnce(&mut VolumeSpec) -> Result<(), Failure>,
) -> kvmpool_status {
    ffi_boundary(|| f(&mut try_mut(spec, "spec")?.inner))
}

/// Rename the spec.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_name(
    spec: *mut kvmpool_vol_spec,
    name: *const c_char,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(V::Name, try_str(name, "name")?)?))
}

/// Set the capacity in bytes. For kvmpool_vol_create_from(), 0 means the source's.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_capacity(
    spec: *mut kvmpool_vol_spec,
    capacity: u64,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(V::Capacity, capacity)?))
}

/// Set the format as libvirt spells it: "raw", "qcow2", ... for file pools, a
/// partition type ("linux", "linux-swap", ...) for disk pools; NULL for the pool's
/// default.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_format(
    spec: *mut kvmpool_vol_spec,
    format: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set(V::Format, try_opt_str(format, "format")?)?)
    })
}

/// Set the allocation (bytes allocated up front; at most the capacity). In a logical
/// pool anything below the capacity is refused when the volume is created: see
/// kvmpool_vol_spec_set_sparse_lv().
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_allocation(
    spec: *mut kvmpool_vol_spec,
    allocation: u64,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(V::Allocation, allocation)?))
}

/// Logical pools only: make the volume a sparse LV, a snapshot with `cow_bytes` of
/// copy-on-write space over a zero device of the full capacity (`lvcreate
/// --virtualsize`). It turns invalid, losing its data, once more than about
/// `cow_bytes` are written. Without this call a logical volume is a plain LV of the
/// whole capacity, whatever the allocation.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_sparse_lv(
    spec: *mut kvmpool_vol_spec,
    cow_bytes: u64,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(V::SparseLv, cow_bytes)?))
}

/// Choose how much to allocate up front: KVMPOOL_PREALLOC_SPARSE, _METADATA (qcow2
/// only) or _FULL (the whole capacity).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_preallocation(
    spec: *mut kvmpool_vol_spec,
    mode: u32,
) -> kvmpool_status {
    set(spec, |s| {
        let p = match mode {
            KVMPOOL_PREALLOC_SPARSE => Preallocation::Sparse,
            KVMPOOL_PREALLOC_METADATA => Preallocation::Metadata,
            KVMPOOL_PREALLOC_FULL => Preallocation::Full,
            other => {
                return Err(invalid(
                    "preallocation",
                    format!("{other} is not a KVMPOOL_PREALLOC_* mode"),
                ))
            }
        };
        Ok(s.set(V::Preallocation, p.as_str())?)
    })
}

/// Set the permissions of the new file or device: `mode` (e.g. 0600; negative: leave
/// unset), `owner` and `group` ids (negative: leave unset), SELinux `label` (NULL:
/// none).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_permissions(
    spec: *mut kvmpool_vol_spec,
    mode: i32,
    owner: i64,
    group: i64,
    label: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        let [m, o, g, l] = permission_fields(mode, owner, group, label)?;
        Ok(s.set_fields([(V::Mode, m), (V::Owner, o), (V::Group, g), (V::Label, l)])?)
    })
}

/// Put the volume over a backing store (copy-on-write): the backing volume's `path`
/// and its `format` ("qcow2", "raw"; NULL to let libvirt probe). With a backing store
/// the capacity may be 0 to take the backing volume's.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_backing_store(
    spec: *mut kvmpool_vol_spec,
    path: *const c_char,
    format: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        let path = try_str(path, "path")?;
        let format = try_opt_str(format, "format")?;
        Ok(s.set_fields([
            (V::BackingStore, path.into()),
            (V::BackingFormat, format.into()),
        ])?)
    })
}

/// Set the qcow2 compatibility level ("0.10", "1.1"), or clear it with NULL.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_compat(
    spec: *mut kvmpool_vol_spec,
    compat: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set(V::Compat, try_opt_str(compat, "compat")?)?)
    })
}

/// Add a qcow2 feature ("lazy_refcounts", "extended_l2"); sets compat 1.1 unless a
/// compat level is set.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_add_feature(
    spec: *mut kvmpool_vol_spec,
    feature: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.add(V::Features, try_str(feature, "feature")?)?)
    })
}

/// Turn off copy-on-write for the new file (btrfs).
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_nocow(
    spec: *mut kvmpool_vol_spec,
    on: bool,
) -> kvmpool_status {
    set(spec, |s| Ok(s.set(V::Nocow, on)?))
}

/// Set the qcow2 cluster size in bytes (a power of two from 512 to 2 MiB); 0 clears
/// it.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_cluster_size(
    spec: *mut kvmpool_vol_spec,
    bytes: u64,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set(V::ClusterSize, (bytes != 0).then_some(bytes))?)
    })
}

/// Encrypt the volume with LUKS, the passphrase in the libvirt secret `secret_uuid`;
/// NULL removes the encryption.
/// Changes `spec`: no other thread may use the same spec during the call.
#[no_mangle]
pub extern "C" fn kvmpool_vol_spec_set_luks(
    spec: *mut kvmpool_vol_spec,
    secret_uuid: *const c_char,
) -> kvmpool_status {
    set(spec, |s| {
        Ok(s.set(V::LuksSecret, try_opt_str(secret_uuid, "secret_uuid")?)?)
    })
}
