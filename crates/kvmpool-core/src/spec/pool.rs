//! `PoolSpec`: one variant per libvirt pool type.

use uuid::Uuid;

use super::names::string_enum;
use super::pool_types::*;
use crate::error::Result;

string_enum! {
    /// libvirt's storage pool types.
    pub enum PoolType {
        /// A directory of image files.
        Dir = "dir",
        /// A pre-formatted block device that libvirt mounts.
        Fs = "fs",
        /// A network file system (NFS, CIFS, GlusterFS) that libvirt mounts.
        Netfs = "netfs",
        /// An LVM volume group.
        Logical = "logical",
        /// A whole disk; volumes are partitions.
        Disk = "disk",
        /// An iSCSI target through the kernel initiator.
        Iscsi = "iscsi",
        /// An iSCSI target through libiscsi (userspace).
        IscsiDirect = "iscsi-direct",
        /// A SCSI host adapter.
        Scsi = "scsi",
        /// Multipath devices.
        Mpath = "mpath",
        /// A Ceph RBD pool.
        Rbd = "rbd",
        /// A Sheepdog cluster.
        Sheepdog = "sheepdog",
        /// A GlusterFS volume through libgfapi.
        Gluster = "gluster",
        /// A ZFS pool.
        Zfs = "zfs",
        /// A Virtuozzo storage cluster.
        Vstorage = "vstorage",
    }
}

impl PoolType {
    /// The target path virt-install uses when none is given, for the types that have
    /// one: `/var/lib/libvirt/images/<name>` for dir, fs and netfs, `/dev/disk/by-path`
    /// for iscsi and scsi, `/dev` for disk, `/dev/mapper` for mpath, `/dev/<vg>` for
    /// logical, `/dev/zvol/<pool>` for zfs.
    pub fn default_target(self, name: &str) -> Option<String> {
        match self {
            PoolType::Dir | PoolType::Fs | PoolType::Netfs => {
                Some(format!("/var/lib/libvirt/images/{name}"))
            }
            PoolType::Iscsi | PoolType::Scsi => Some("/dev/disk/by-path".into()),
            PoolType::Disk => Some("/dev".into()),
            PoolType::Mpath => Some("/dev/mapper".into()),
            PoolType::Logical => Some(format!("/dev/{name}")),
            PoolType::Zfs => Some(format!("/dev/zvol/{name}")),
            PoolType::IscsiDirect
            | PoolType::Rbd
            | PoolType::Sheepdog
            | PoolType::Gluster
            | PoolType::Vstorage => None,
        }
    }

    /// True for the types whose volumes live under a local target path.
    pub fn has_target(self) -> bool {
        !matches!(
            self,
            PoolType::Rbd | PoolType::Sheepdog | PoolType::Gluster | PoolType::IscsiDirect
        )
    }
}

/// A storage pool definition, one variant per pool type, each holding exactly the
/// fields that type allows.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolSpec {
    /// `type='dir'`
    Dir(DirPool),
    /// `type='fs'`
    Fs(FsPool),
    /// `type='netfs'`
    Netfs(NetfsPool),
    /// `type='logical'`
    Logical(LogicalPool),
    /// `type='disk'`
    Disk(DiskPool),
    /// `type='iscsi'`
    Iscsi(IscsiPool),
    /// `type='iscsi-direct'`
    IscsiDirect(IscsiDirectPool),
    /// `type='scsi'`
    Scsi(ScsiPool),
    /// `type='mpath'`
    Mpath(MpathPool),
    /// `type='rbd'`
    Rbd(RbdPool),
    /// `type='sheepdog'`
    Sheepdog(SheepdogPool),
    /// `type='gluster'`
    Gluster(GlusterPool),
    /// `type='zfs'`
    Zfs(ZfsPool),
    /// `type='vstorage'`
    Vstorage(VstoragePool),
}

/// Runs `$body` with `$p` bound to the variant's struct, whatever the variant.
macro_rules! each_variant {
    ($spec:expr, $p:ident => $body:expr) => {
        match $spec {
            PoolSpec::Dir($p) => $body,
            PoolSpec::Fs($p) => $body,
            PoolSpec::Netfs($p) => $body,
            PoolSpec::Logical($p) => $body,
            PoolSpec::Disk($p) => $body,
            PoolSpec::Iscsi($p) => $body,
            PoolSpec::IscsiDirect($p) => $body,
            PoolSpec::Scsi($p) => $body,
            PoolSpec::Mpath($p) => $body,
            PoolSpec::Rbd($p) => $body,
            PoolSpec::Sheepdog($p) => $body,
            PoolSpec::Gluster($p) => $body,
            PoolSpec::Zfs($p) => $body,
            PoolSpec::Vstorage($p) => $body,
        }
    };
}

impl PoolSpec {
    /// The pool type.
    pub fn pool_type(&self) -> PoolType {
        match self {
            PoolSpec::Dir(_) => PoolType::Dir,
            PoolSpec::Fs(_) => PoolType::Fs,
            PoolSpec::Netfs(_) => PoolType::Netfs,
            PoolSpec::Logical(_) => PoolType::Logical,
            PoolSpec::Disk(_) => PoolType::Disk,
            PoolSpec::Iscsi(_) => PoolType::Iscsi,
            PoolSpec::IscsiDirect(_) => PoolType::IscsiDirect,
            PoolSpec::Scsi(_) => PoolType::Scsi,
            PoolSpec::Mpath(_) => PoolType::Mpath,
            PoolSpec::Rbd(_) => PoolType::Rbd,
            PoolSpec::Sheepdog(_) => PoolType::Sheepdog,
            PoolSpec::Gluster(_) => PoolType::Gluster,
            PoolSpec::Zfs(_) => PoolType::Zfs,
            PoolSpec::Vstorage(_) => PoolType::Vstorage,
        }
    }

    /// The pool name.
    pub fn name(&self) -> &str {
        each_variant!(self, p => &p.name)
    }

    /// Rename (used by define-as from an existing spec).
    pub fn set_name(&mut self, name: impl Into<String>) {
        each_variant!(self, p => p.name = name.into())
    }

    /// The UUID, when the spec has one (libvirt generates one on define otherwise).
    pub fn uuid(&self) -> Option<Uuid> {
        each_variant!(self, p => p.uuid)
    }

    /// Set or clear the UUID.
    pub fn set_uuid(&mut self, uuid: Option<Uuid>) {
        each_variant!(self, p => p.uuid = uuid)
    }

    /// Where the pool's volumes appear on the host, for the types that have a target.
    pub fn target_path(&self) -> Option<String> {
        self.to_parts().target.map(|t| t.path)
    }

    /// Check the spec against libvirt's rules and kvmpool's stricter ones (names,
    /// absolute paths, iSCSI names, ports, modes), naming the field at fault.
    /// `define_pool` and friends call this before anything reaches libvirt.
    ///
    /// ```
    /// use kvmpool_core::*;
    /// let spec: PoolSpec = DirPool::new("guest_images", "guest_images").into();
    /// let e = spec.validate().unwrap_err();
    /// assert_eq!((e.kind(), e.field()), (ErrorKind::InvalidSpec, Some("target")));
    /// println!("{e}"); // names the field and the reason
    ///
    /// let spec: PoolSpec = LogicalPool::new("kvmvg", "kvmvg").device("/dev/sdb1").into();
    /// spec.validate()?;
    /// assert!(spec.to_xml().contains("<name>kvmvg</name>"));
    /// # Ok::<(), kvmpool_core::Error>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        super::fields::validate(&self.to_parts())
    }

    /// Format as libvirt pool XML. Unknown elements and attributes of a parsed
    /// document are written back in place.
    pub fn to_xml(&self) -> String {
        crate::xml::pool::write(&self.to_parts())
    }

    /// Parse libvirt pool XML (`virsh pool-dumpxml`, or a file for `pool-define`).
    /// Accepts what libvirt's parser accepts; run [`PoolSpec::validate`] for the
    /// stricter checks.
    pub fn from_xml(xml: &str) -> Result<PoolSpec> {
        let parts = crate::xml::pool::read(xml)?;
        PoolSpec::from_parts(parts)
    }

    /// True when both define the same pool as libvirt would store it: compared after
    /// libvirt's normalisation (paths cleaned up, defaults filled in), ignoring XML
    /// that the model does not know (libvirt drops it too).
    pub fn same_definition(&self, other: &PoolSpec) -> bool {
        self.normalized_xml() == other.normalized_xml()
    }

    /// True when `current` (a pool's definition as libvirt reports it) already is what
    /// this spec asks for: every field this spec sets is equal, after libvirt's
    /// normalisation; fields it leaves open (UUID, permissions, ports, ...) may hold
    /// whatever libvirt filled in. `ensure_pool` redefines only when this is false.
    pub fn satisfied_by(&self, current: &PoolSpec) -> bool {
        if self.pool_type() != current.pool_type() {
            return false;
        }
        let mut wanted = self.to_parts();
        wanted.fill_unset_from(&current.to_parts());
        normalized(wanted) == current.normalized_xml()
    }

    fn normalized_xml(&self) -> String {
        normalized(self.to_parts())
    }

    pub(crate) fn to_parts(&self) -> crate::xml::pool::PoolParts {
        each_variant!(self, p => p.to_parts())
    }

    pub(crate) fn from_parts(parts: crate::xml::pool::PoolParts) -> Result<PoolSpec> {
        Ok(match parts.pool_type() {
            PoolType::Dir => DirPool::from_parts(parts)?.into(),
            PoolType::Fs => FsPool::from_parts(parts)?.into(),
            PoolType::Netfs => NetfsPool::from_parts(parts)?.into(),
            PoolType::Logical => LogicalPool::from_parts(parts)?.into(),
            PoolType::Disk => DiskPool::from_parts(parts)?.into(),
            PoolType::Iscsi => IscsiPool::from_parts(parts)?.into(),
            PoolType::IscsiDirect => IscsiDirectPool::from_parts(parts)?.into(),
            PoolType::Scsi => ScsiPool::from_parts(parts)?.into(),
            PoolType::Mpath => MpathPool::from_parts(parts)?.into(),
            PoolType::Rbd => RbdPool::from_parts(parts)?.into(),
            PoolType::Sheepdog => SheepdogPool::from_parts(parts)?.into(),
            PoolType::Gluster => GlusterPool::from_parts(parts)?.into(),
            PoolType::Zfs => ZfsPool::from_parts(parts)?.into(),
            PoolType::Vstorage => VstoragePool::from_parts(parts)?.into(),
        })
    }
}

/// The XML of `parts` as libvirt would store it, without unknown XML.
fn normalized(mut parts: crate::xml::pool::PoolParts) -> String {
    parts.extra = None;
    let xml = crate::xml::pool::write(&parts);
    PoolSpec::from_xml(&xml).map_or(xml, |s| s.to_xml())
}

macro_rules! into_pool_spec {
    ($($ty:ident => $variant:ident),+ $(,)?) => {
        $(impl From<$ty> for PoolSpec {
            fn from(p: $ty) -> PoolSpec {
                PoolSpec::$variant(p)
            }
        })+
    };
}

into_pool_spec! {
    DirPool => Dir, FsPool => Fs, NetfsPool => Netfs, LogicalPool => Logical,
    DiskPool => Disk, IscsiPool => Iscsi, IscsiDirectPool => IscsiDirect,
    ScsiPool => Scsi, MpathPool => Mpath, RbdPool => Rbd, SheepdogPool => Sheepdog,
    GlusterPool => Gluster, ZfsPool => Zfs, VstoragePool => Vstorage,
}
