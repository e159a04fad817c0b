//! The typed model of libvirt's storage XML: pool specs (one type per pool type),
//! volume specs, and the parts they share. Everything here is checkable without a
//! daemon.

pub(crate) mod check;
mod fields;
pub(crate) mod names;
pub(crate) mod parts;
mod pool;
mod pool_types;
pub(crate) mod volume;
mod volume_fields;

pub use fields::{
    check_value, parse_uuid, FieldRole, FieldRule, FieldValue, PoolField, VIRSH_POOL_OPTIONS,
};
pub use names::UnknownValue;
pub use parts::{
    Adapter, Auth, AuthType, FcHostAdapter, Host, PciAddress, Permissions, SecretRef, SourceDevice,
    Target,
};
pub use pool::{PoolSpec, PoolType};
pub use pool_types::{
    DirPool, DiskFormat, DiskPool, FsFormat, FsPool, GlusterPool, IscsiDirectPool, IscsiPool,
    LogicalFormat, LogicalPool, MpathPool, NetfsFormat, NetfsPool, RbdPool, RefreshAllocation,
    ScsiPool, SheepdogPool, VstoragePool, ZfsPool,
};
pub use volume::{
    Allocation, BackingStore, Cipher, Encryption, EncryptionFormat, EncryptionSecret, Extent,
    Ivgen, Preallocation, Timestamps, VolumeFeature, VolumeFormat, VolumeRuntime, VolumeSpec,
    VolumeType,
};
pub use volume_fields::{required_size, size as parse_size, VolumeField, VIRSH_VOLUME_OPTIONS};
