//! `VolumeSpec`: a storage volume definition (`<volume>`).

use std::time::SystemTime;

use super::check;
use super::names::string_enum;
use super::parts::{Permissions, SecretRef};
use super::pool::PoolType;
use super::pool_types::Extra;
use crate::error::{Error, Result};
use crate::units::Size;

string_enum! {
    /// Volume formats: libvirt's file formats (`virStorageFileFormat`) and, for disk
    /// pools, partition types (`virStorageVolFormatDisk`).
    pub enum VolumeFormat {
        /// No format (disk pools: no file system type).
        None = "none",
        Raw = "raw", Dir = "dir", Bochs = "bochs", Cloop = "cloop", Dmg = "dmg",
        Iso = "iso", Vpc = "vpc", Vdi = "vdi", Fat = "fat", Vhd = "vhd", Ploop = "ploop",
        Cow = "cow", Qcow = "qcow", Qcow2 = "qcow2", Qed = "qed", Vmdk = "vmdk",
        /// Partition types (disk pools).
        Linux = "linux", Fat16 = "fat16", Fat32 = "fat32", LinuxSwap = "linux-swap",
        LinuxLvm = "linux-lvm", LinuxRaid = "linux-raid", Extended = "extended",
    }
}

impl VolumeFormat {
    /// True for the partition types of disk pools (and `none`).
    pub fn is_partition_type(self) -> bool {
        matches!(
            self,
            VolumeFormat::None
                | VolumeFormat::Linux
                | VolumeFormat::Fat16
                | VolumeFormat::Fat32
                | VolumeFormat::LinuxSwap
                | VolumeFormat::LinuxLvm
                | VolumeFormat::LinuxRaid
                | VolumeFormat::Extended
        )
    }

    /// The format libvirt assumes for a pool type when none is given, if the pool
    /// type has formats at all.
    pub fn default_for(pool: PoolType) -> Option<VolumeFormat> {
        match pool {
            PoolType::Dir
            | PoolType::Fs
            | PoolType::Netfs
            | PoolType::Gluster
            | PoolType::Vstorage
            | PoolType::Rbd => Some(VolumeFormat::Raw),
            PoolType::Disk => Some(VolumeFormat::None),
            _ => None,
        }
    }
}

string_enum! {
    /// What a volume is on the host (`<volume type=...>`); libvirt sets it from the pool.
    pub enum VolumeType {
        File = "file", Block = "block", Dir = "dir", Network = "network",
        Netdir = "netdir", Ploop = "ploop",
    }
}

impl VolumeType {
    /// The type libvirt gives volumes of a pool type.
    pub fn default_for(pool: PoolType) -> VolumeType {
        match pool {
            PoolType::Dir | PoolType::Fs | PoolType::Netfs | PoolType::Vstorage => VolumeType::File,
            PoolType::Logical
            | PoolType::Disk
            | PoolType::Iscsi
            | PoolType::Scsi
            | PoolType::Mpath
            | PoolType::Zfs => VolumeType::Block,
            PoolType::IscsiDirect | PoolType::Rbd | PoolType::Sheepdog | PoolType::Gluster => {
                VolumeType::Network
            }
        }
    }
}

string_enum! {
    /// qcow2 features.
    pub enum VolumeFeature {
        /// Lazy refcounts (qcow2 1.1).
        LazyRefcounts = "lazy_refcounts",
        /// Extended L2 entries (subclusters).
        ExtendedL2 = "extended_l2",
    }
}

string_enum! {
    /// Volume encryption format.
    pub enum EncryptionFormat {
        Default = "default", Qcow = "qcow", Luks = "luks", Luks2 = "luks2", LuksAny = "luks-any",
    }
}

string_enum! {
    /// How much of a new volume to allocate up front (the named choices).
    #[derive(Default)]
    pub enum Preallocation {
        /// Nothing: a sparse file (virt-install's default for file-backed pools). Not
        /// possible in logical pools, where "sparse" is a snapshot-backed LV: ask for
        /// one with [`VolumeSpec::sparse_lv`].
        #[default]
        Sparse = "sparse",
        /// qcow2 metadata only (`VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA`).
        Metadata = "metadata",
        /// The whole capacity.
        Full = "full",
    }
}

/// How much of a new volume is allocated when libvirt creates it (`<allocation>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Allocation {
    /// What suits the pool type, as virsh and virt-install do
    /// ([`Allocation::default_for`]): nothing up front where the backend makes real
    /// sparse volumes (files, rbd and zfs), all of the capacity elsewhere. In a
    /// logical pool that is a plain LV, never a snapshot-backed one.
    #[default]
    PoolDefault,
    /// All of the capacity (also what libvirt assumes when `<allocation>` is absent).
    Full,
    /// Exactly this much. In a logical pool anything below the capacity would be a
    /// snapshot-backed sparse LV, so it is refused there: see [`Allocation::SparseLv`].
    Bytes(Size),
    /// Logical pools only: a sparse LV (`lvcreate --virtualsize`), a snapshot with
    /// `cow` bytes of copy-on-write space over a zero device of the full capacity.
    /// It turns invalid, losing everything written to it, once more than about `cow`
    /// bytes have been written; kvmpool refuses uploads that cannot fit.
    SparseLv(Size),
}

impl Allocation {
    /// The allocation [`Allocation::PoolDefault`] stands for in a pool of `pool` type:
    /// sparse (0) for dir, fs, netfs, gluster and vstorage files, rbd images and zfs
    /// volumes, which stay sparse as they are written; the whole capacity for
    /// logical (where sparse means a snapshot that can overflow), disk partitions and
    /// the pools that cannot create volumes.
    pub fn default_for(pool: PoolType) -> Allocation {
        match pool {
            PoolType::Dir
            | PoolType::Fs
            | PoolType::Netfs
            | PoolType::Gluster
            | PoolType::Vstorage
            | PoolType::Rbd
            | PoolType::Zfs => Allocation::Bytes(Size::ZERO),
            PoolType::Logical
            | PoolType::Disk
            | PoolType::Iscsi
            | PoolType::IscsiDirect
            | PoolType::Scsi
            | PoolType::Mpath
            | PoolType::Sheepdog => Allocation::Full,
        }
    }

    /// The bytes to ask libvirt for, for a volume of `capacity` in a pool of `pool`
    /// type (`None`: the pool type is not known, so nothing below the capacity).
    pub fn bytes(self, capacity: Size, pool: Option<PoolType>) -> Size {
        let resolved = match (self, pool) {
            (Allocation::PoolDefault, Some(pool)) => Allocation::default_for(pool),
            (other, _) => other,
        };
        match resolved {
            Allocation::PoolDefault | Allocation::Full => capacity,
            Allocation::Bytes(b) | Allocation::SparseLv(b) => b,
        }
    }
}

/// A secret of an encrypted volume: `<secret type='passphrase' uuid='...'/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionSecret {
    /// Secret type (`passphrase`).
    pub secret_type: String,
    /// The libvirt secret.
    pub secret: SecretRef,
}

/// LUKS cipher: `<cipher name='aes' size='256' mode='xts' hash='sha256'/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cipher {
    /// Cipher name (`aes`, `serpent`, ...).
    pub name: String,
    /// Key size in bits.
    pub size: u32,
    /// Mode (`cbc`, `xts`).
    pub mode: Option<String>,
    /// Hash (`sha256`).
    pub hash: Option<String>,
}

/// LUKS IV generator: `<ivgen name='plain64' hash='sha256'/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ivgen {
    /// Generator name.
    pub name: String,
    /// Hash.
    pub hash: Option<String>,
}

/// `<encryption>` of a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    /// Format.
    pub format: EncryptionFormat,
    /// Secrets.
    pub secrets: Vec<EncryptionSecret>,
    /// LUKS cipher.
    pub cipher: Option<Cipher>,
    /// LUKS IV generator.
    pub ivgen: Option<Ivgen>,
}

impl Encryption {
    /// LUKS with the passphrase in a libvirt secret.
    pub fn luks(secret: SecretRef) -> Self {
        Encryption {
            format: EncryptionFormat::Luks,
            secrets: vec![EncryptionSecret {
                secret_type: "passphrase".into(),
                secret,
            }],
            cipher: None,
            ivgen: None,
        }
    }
}

/// The backing store of a copy-on-write volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackingStore {
    /// Path (or key) of the backing volume.
    pub path: String,
    /// Its format.
    pub format: Option<VolumeFormat>,
    /// Its permissions (as libvirt reports them).
    pub permissions: Option<Permissions>,
}

impl BackingStore {
    /// A backing file of the given format.
    pub fn new(path: impl Into<String>, format: VolumeFormat) -> Self {
        BackingStore {
            path: path.into(),
            format: Some(format),
            permissions: None,
        }
    }
}

/// A physical extent of a volume (logical and disk pools), from libvirt's dumpxml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extent {
    /// The device holding it.
    pub device: String,
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

/// File timestamps, from libvirt's dumpxml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timestamps {
    /// Last access.
    pub atime: Option<SystemTime>,
    /// Last modification.
    pub mtime: Option<SystemTime>,
    /// Last status change.
    pub ctime: Option<SystemTime>,
    /// Creation.
    pub btime: Option<SystemTime>,
}

/// What libvirt reports about an existing volume beyond its definition. Read from
/// dumpxml; never written (libvirt's parser ignores it too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeRuntime {
    /// Physical size on the host (`<physical>`).
    pub physical: Option<Size>,
    /// File timestamps.
    pub timestamps: Option<Timestamps>,
    /// Physical extents.
    pub extents: Vec<Extent>,
}

/// A storage volume definition.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSpec {
    /// Volume name (for disk pools: the partition name, e.g. `sdc1`).
    pub name: String,
    /// Key (set by libvirt; read from dumpxml).
    pub key: Option<String>,
    /// Volume type; libvirt derives it from the pool.
    pub volume_type: Option<VolumeType>,
    /// Capacity.
    pub capacity: Size,
    /// How much to allocate up front; by default what suits the pool type.
    pub allocation: Allocation,
    /// Format; `None` for the pool's default.
    pub format: Option<VolumeFormat>,
    /// Target path (set by libvirt; read from dumpxml).
    pub path: Option<String>,
    /// Permissions of the new file or device.
    pub permissions: Option<Permissions>,
    /// Backing store (copy-on-write over another volume).
    pub backing_store: Option<BackingStore>,
    /// Encryption.
    pub encryption: Option<Encryption>,
    /// qcow2 compatibility level (`0.10`, `1.1`).
    pub compat: Option<String>,
    /// qcow2 features; `Some(vec![])` writes an empty `<features/>`.
    pub features: Option<Vec<VolumeFeature>>,
    /// Turn off copy-on-write of the file (btrfs).
    pub nocow: bool,
    /// qcow2 cluster size.
    pub cluster_size: Option<Size>,
    /// Preallocate qcow2 metadata on create (a create flag, not XML).
    pub preallocate_metadata: bool,
    /// What libvirt reported beyond the definition (dumpxml only).
    pub runtime: VolumeRuntime,
    /// A `<format type=...>` kvmpool does not know (`unknown`, `dos`): libvirt ignores
    /// it in pools without volume formats and printed it in older versions; kept so
    /// that it is written back, refused for pools that have formats.
    pub(crate) other_format: Option<String>,
    pub(crate) extra: Extra,
}

impl VolumeSpec {
    /// A volume of `capacity` in the pool's default format, allocated as suits the
    /// pool type ([`Allocation::default_for`]).
    pub fn new(name: impl Into<String>, capacity: Size) -> Self {
        VolumeSpec {
            name: name.into(),
            key: None,
            volume_type: None,
            capacity,
            allocation: Allocation::PoolDefault,
            format: None,
            path: None,
            permissions: None,
            backing_store: None,
            encryption: None,
            compat: None,
            features: None,
            nocow: false,
            cluster_size: None,
            preallocate_metadata: false,
            runtime: VolumeRuntime::default(),
            other_format: None,
            extra: None,
        }
    }

    /// Set the format.
    pub fn format(mut self, format: VolumeFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Allocate exactly `allocation` bytes up front.
    pub fn allocation(mut self, allocation: Size) -> Self {
        self.allocation = Allocation::Bytes(allocation);
        self
    }

    /// Choose how much to allocate up front.
    pub fn preallocation(mut self, p: Preallocation) -> Self {
        (self.allocation, self.preallocate_metadata) = match p {
            Preallocation::Sparse => (Allocation::Bytes(Size::ZERO), false),
            Preallocation::Metadata => (Allocation::Bytes(Size::ZERO), true),
            Preallocation::Full => (Allocation::Full, false),
        };
        self
    }

    /// Logical pools: make a sparse LV, a snapshot with `cow` bytes of copy-on-write
    /// space over a zero device of the full capacity ([`Allocation::SparseLv`]).
    pub fn sparse_lv(mut self, cow: Size) -> Self {
        self.allocation = Allocation::SparseLv(cow);
        self
    }

    /// Set the permissions.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// Put the volume over a backing store.
    pub fn backing_store(mut self, backing: BackingStore) -> Self {
        self.backing_store = Some(backing);
        self
    }

    /// Encrypt the volume.
    pub fn encryption(mut self, encryption: Encryption) -> Self {
        self.encryption = Some(encryption);
        self
    }

    /// Set the qcow2 compatibility level.
    pub fn compat(mut self, compat: impl Into<String>) -> Self {
        self.compat = Some(compat.into());
        self
    }

    /// Add a qcow2 feature (implies compat 1.1 unless set, as in libvirt).
    pub fn feature(mut self, feature: VolumeFeature) -> Self {
        self.features.get_or_insert_with(Vec::new).push(feature);
        if self.compat.is_none() {
            self.compat = Some("1.1".into());
        }
        self
    }

    /// Turn off copy-on-write for the file.
    pub fn nocow(mut self, on: bool) -> Self {
        self.nocow = on;
        self
    }

    /// Set the qcow2 cluster size.
    pub fn cluster_size(mut self, size: Size) -> Self {
        self.cluster_size = Some(size);
        self
    }

    /// Check the spec on its own (names, sizes, qcow2-only options), naming the field.
    pub fn validate(&self) -> Result<()> {
        check::name("name", &self.name)?;
        if let Allocation::Bytes(a) | Allocation::SparseLv(a) = self.allocation {
            if a > self.capacity {
                return Err(Error::invalid(
                    "allocation",
                    format!("{a} is more than the capacity {}", self.capacity),
                ));
            }
        }
        let qcow2 = self.format == Some(VolumeFormat::Qcow2);
        if self.features.as_ref().is_some_and(|f| !f.is_empty()) && !qcow2 {
            return Err(Error::invalid(
                "features",
                "only qcow2 volumes have features",
            ));
        }
        if let Some(compat) = &self.compat {
            check_compat(compat)?;
            if !qcow2 {
                return Err(Error::invalid(
                    "compat",
                    "only qcow2 volumes have a compat level",
                ));
            }
        }
        if let Some(size) = self.cluster_size {
            let b = size.as_bytes();
            if !qcow2 {
                return Err(Error::invalid(
                    "cluster_size",
                    "only qcow2 volumes have a cluster size",
                ));
            }
            if !b.is_power_of_two() || !(512..=2 << 20).contains(&b) {
                return Err(Error::invalid(
                    "cluster_size",
                    format!("{size} is not a power of two from 512 B to 2 MiB"),
                ));
            }
        }
        if self.preallocate_metadata && !qcow2 {
            return Err(Error::invalid(
                "preallocation",
                "metadata preallocation is only for qcow2 volumes",
            ));
        }
        if let Some(p) = &self.permissions {
            super::fields::check_permissions(p)?;
        }
        if let Some(b) = &self.backing_store {
            check::text("backing_store", &b.path)?;
            check::path_text("backing_store", &b.path)?;
        }
        if let Some(e) = &self.encryption {
            for (i, s) in e.secrets.iter().enumerate() {
                s.secret.validate(&format!("encryption.secret[{i}]"))?;
            }
        }
        // A capacity of 0 is allowed, as libvirt allows it (an empty volume).
        Ok(())
    }

    /// Check the spec for a pool of `pool` type: [`VolumeSpec::validate`] plus the
    /// formats that pool type can hold.
    pub fn validate_for(&self, pool: PoolType) -> Result<()> {
        self.validate()?;
        self.check_allocation_for(pool)?;
        if let (Some(other), Some(_)) = (&self.other_format, VolumeFormat::default_for(pool)) {
            let known: Vec<_> = VolumeFormat::ALL.iter().map(|f| f.as_str()).collect();
            return Err(Error::invalid(
                "format",
                format!(
                    "{pool} pools have no volume format {other:?}; expected one of: {}",
                    known.join(", ")
                ),
            ));
        }
        let Some(format) = self.format else {
            return Ok(());
        };
        match VolumeFormat::default_for(pool) {
            None if format != VolumeFormat::Raw => Err(Error::invalid(
                "format",
                format!("{pool} pools hold raw devices; {format} is not possible"),
            )),
            Some(VolumeFormat::None) if !format.is_partition_type() => Err(Error::invalid(
                "format",
                format!("disk pool volumes are partitions; {format} is not a partition type"),
            )),
            Some(VolumeFormat::Raw)
                if format.is_partition_type() && format != VolumeFormat::None =>
            {
                Err(Error::invalid(
                    "format",
                    format!("{format} is a partition type, only for disk pools"),
                ))
            }
            Some(VolumeFormat::Raw) if pool == PoolType::Rbd && format != VolumeFormat::Raw => {
                Err(Error::invalid("format", "rbd volumes are raw"))
            }
            _ => Ok(()),
        }
    }

    /// Sparse LVs only when asked for by name, and only in logical pools: libvirt turns
    /// any allocation below the capacity into one, and one that overflows loses data.
    fn check_allocation_for(&self, pool: PoolType) -> Result<()> {
        match (self.allocation, pool) {
            (Allocation::SparseLv(_), PoolType::Logical) => Ok(()),
            (Allocation::SparseLv(_), _) => Err(Error::invalid(
                "allocation",
                format!("sparse LVs exist only in logical pools, not in {pool} pools"),
            )),
            (Allocation::Bytes(a), PoolType::Logical) if a < self.capacity => Err(Error::invalid(
                "allocation",
                format!(
                    "{a} is less than the capacity {}: in a logical pool that makes a \
                         snapshot-backed sparse LV, which turns invalid and loses its data once \
                         more than {a} is written; ask for one explicitly (sparse_lv) or leave \
                         the allocation to the pool",
                    self.capacity
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Format as libvirt volume XML (what `virsh vol-create` takes). Unknown elements of
    /// a parsed document are written back in place. An allocation left to the pool
    /// type is written as the whole capacity (the safe choice for any pool); use
    /// [`VolumeSpec::to_xml_in`] for a given pool type.
    pub fn to_xml(&self) -> String {
        crate::xml::volume::write(self, None)
    }

    /// Format as libvirt formats a volume of a pool of `pool` type: the volume type and
    /// default format filled in, formats dropped for pools that have none.
    pub fn to_xml_in(&self, pool: PoolType) -> String {
        crate::xml::volume::write(self, Some(pool))
    }

    /// Parse libvirt volume XML (`virsh vol-dumpxml`, or a file for `vol-create`).
    pub fn from_xml(xml: &str) -> Result<VolumeSpec> {
        crate::xml::volume::read(xml)
    }
}

/// libvirt's `virStorageCheckCompat`: `N.M` with decimal numbers.
pub(crate) fn check_compat(compat: &str) -> Result<()> {
    let ok = compat.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    });
    if !ok {
        return Err(Error::invalid(
            "compat",
            format!("{compat:?} is not a version like 1.1"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let cases: Vec<(VolumeSpec, &str)> = vec![
            (VolumeSpec::new("", Size::gib(1)), "name"),
            (VolumeSpec::new("a/b", Size::gib(1)), "name"),
            (
                VolumeSpec::new("v", Size::gib(1)).allocation(Size::gib(2)),
                "allocation",
            ),
            (VolumeSpec::new("v", Size::gib(1)).compat("1.1"), "compat"),
            (
                VolumeSpec::new("v", Size::gib(1))
                    .format(VolumeFormat::Qcow2)
                    .compat("one"),
                "compat",
            ),
            (
                VolumeSpec::new("v", Size::gib(1)).feature(VolumeFeature::LazyRefcounts),
                "features",
            ),
            (
                VolumeSpec::new("v", Size::gib(1))
                    .format(VolumeFormat::Qcow2)
                    .cluster_size(Size::bytes(1000)),
                "cluster_size",
            ),
            (
                VolumeSpec::new("v", Size::gib(1)).preallocation(Preallocation::Metadata),
                "preallocation",
            ),
        ];
        for (spec, field) in cases {
            let e = spec.validate().unwrap_err();
            assert_eq!(e.field(), Some(field), "{e}");
        }
        VolumeSpec::new("v", Size::gib(1))
            .format(VolumeFormat::Qcow2)
            .feature(VolumeFeature::LazyRefcounts)
            .cluster_size(Size::kib(64))
            .preallocation(Preallocation::Metadata)
            .validate()
            .unwrap();
    }

    #[test]
    fn allocation_follows_the_pool_type() {
        let lv = VolumeSpec::new("lv1", Size::mib(64));
        // the tutorial's logical pool: a plain LV of the whole capacity, as virsh makes
        assert!(lv
            .to_xml_in(PoolType::Logical)
            .contains("<allocation unit='bytes'>67108864<"));
        // files stay sparse
        assert!(lv
            .to_xml_in(PoolType::Dir)
            .contains("<allocation unit='bytes'>0<"));
        // without a pool type, nothing below the capacity
        assert!(lv.to_xml().contains("<allocation unit='bytes'>67108864<"));
        for ty in PoolType::ALL {
            lv.validate_for(*ty).unwrap();
        }
    }

    #[test]
    fn sparse_lvs_only_when_asked_for() {
        for implicit in [
            VolumeSpec::new("lv", Size::mib(64)).allocation(Size::ZERO),
            VolumeSpec::new("lv", Size::mib(64)).allocation(Size::mib(4)),
            VolumeSpec::new("lv", Size::mib(64)).preallocation(Preallocation::Sparse),
        ] {
            let e = implicit.validate_for(PoolType::Logical).unwrap_err();
            assert_eq!(e.field(), Some("allocation"), "{e}");
            assert!(e.to_string().contains("sparse_lv"), "{e}");
            implicit.validate_for(PoolType::Dir).unwrap();
        }
        let sparse = VolumeSpec::new("lv", Size::mib(64)).sparse_lv(Size::mib(4));
        sparse.validate_for(PoolType::Logical).unwrap();
        assert!(sparse
            .to_xml_in(PoolType::Logical)
            .contains("<allocation unit='bytes'>4194304<"));
        let e = sparse.validate_for(PoolType::Dir).unwrap_err();
        assert_eq!(e.field(), Some("allocation"));
        let too_big = VolumeSpec::new("lv", Size::mib(4)).sparse_lv(Size::mib(64));
        assert_eq!(too_big.validate().unwrap_err().field(), Some("allocation"));
        // a full allocation is fine anywhere
        VolumeSpec::new("lv", Size::mib(64))
            .allocation(Size::mib(64))
            .validate_for(PoolType::Logical)
            .unwrap();
    }

    #[test]
    fn formats_per_pool_type() {
        let qcow2 = VolumeSpec::new("v", Size::gib(1)).format(VolumeFormat::Qcow2);
        qcow2.validate_for(PoolType::Dir).unwrap();
        assert!(qcow2.validate_for(PoolType::Logical).is_err());
        assert!(qcow2.validate_for(PoolType::Disk).is_err());
        assert!(qcow2.validate_for(PoolType::Rbd).is_err());
        let part = VolumeSpec::new("sdc1", Size::mib(32)).format(VolumeFormat::Linux);
        part.validate_for(PoolType::Disk).unwrap();
        assert!(part.validate_for(PoolType::Dir).is_err());
        VolumeSpec::new("lv", Size::gib(1))
            .validate_for(PoolType::Logical)
            .unwrap();
    }
}
