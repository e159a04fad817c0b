//! One struct per pool type, holding exactly what that type allows. Constructors take
//! what the type requires; the rest is set through fields or chained setters.
//!
//! Each type converts to and from [`PoolParts`] (libvirt's generic definition, used by
//! the XML code). `from_parts` applies libvirt's parser rules (what `pool-define`
//! refuses); `validate` adds kvmpool's stricter checks before anything is sent.

use std::str::FromStr;
use std::sync::Arc;

use uuid::Uuid;

use super::names::string_enum;
use super::parts::{Adapter, Auth, Host, Permissions, SourceDevice, Target};
use super::pool::PoolType;
use crate::error::{Error, Result};
use crate::xml::pool::PoolParts;
use crate::xml::tree::OwnedElement;

/// What a parsed document held beyond the model, written back by `to_xml`.
pub(crate) type Extra = Option<Arc<OwnedElement>>;

string_enum! {
    /// File system of an `fs` pool's device.
    pub enum FsFormat {
        /// Let `mount` detect it.
        Auto = "auto", Ext2 = "ext2", Ext3 = "ext3", Ext4 = "ext4", Ufs = "ufs",
        Iso9660 = "iso9660", Udf = "udf", Gfs = "gfs", Gfs2 = "gfs2", Vfat = "vfat",
        HfsPlus = "hfs+", Xfs = "xfs", Ocfs2 = "ocfs2", Vmfs = "vmfs",
    }
}

string_enum! {
    /// Network file system of a `netfs` pool.
    pub enum NetfsFormat {
        /// Let `mount` decide (NFS in practice).
        Auto = "auto", Nfs = "nfs", Glusterfs = "glusterfs", Cifs = "cifs",
    }
}

string_enum! {
    /// Partition table of a `disk` pool.
    pub enum DiskFormat {
        /// Whatever is on the disk.
        Unknown = "unknown", Dos = "dos", Dvh = "dvh", Gpt = "gpt", Mac = "mac",
        Bsd = "bsd", Pc98 = "pc98", Sun = "sun", Lvm2 = "lvm2",
    }
}

string_enum! {
    /// Format of a `logical` pool.
    pub enum LogicalFormat {
        /// Whatever LVM finds.
        Unknown = "unknown",
        /// LVM2 (the default).
        Lvm2 = "lvm2",
    }
}

string_enum! {
    /// How an rbd pool reports volume allocation on refresh.
    pub enum RefreshAllocation {
        /// Ask Ceph (slow for many volumes).
        Default = "default",
        /// Report the capacity (fast).
        Capacity = "capacity",
    }
}

// --- helpers shared by the conversions ------------------------------------------------

/// The builder methods that pool types share, written once: `uuid` and `validate` on
/// every type, and the setters named, each with its type's documentation.
macro_rules! shared_methods {
    ($ty:ident $(, $(#[$doc:meta])* $setter:ident)* $(,)?) => {
        impl $ty {
            /// Set the UUID.
            pub fn uuid(mut self, uuid: Uuid) -> Self {
                self.uuid = Some(uuid);
                self
            }

            /// See [`PoolSpec::validate`](super::PoolSpec::validate).
            pub fn validate(&self) -> Result<()> {
                super::fields::validate(&self.to_parts())
            }

            $(shared_methods!(@setter $(#[$doc])* $setter);)*
        }
    };
    (@setter $(#[$doc:meta])* target) => {
        $(#[$doc])*
        pub fn target(mut self, target: impl Into<Target>) -> Self {
            self.target = target.into();
            self
        }
    };
    (@setter $(#[$doc:meta])* permissions) => {
        $(#[$doc])*
        pub fn permissions(mut self, permissions: Permissions) -> Self {
            self.target.permissions = Some(permissions);
            self
        }
    };
    (@setter $(#[$doc:meta])* auth) => {
        $(#[$doc])*
        pub fn auth(mut self, auth: Auth) -> Self {
            self.auth = Some(auth);
            self
        }
    };
    (@setter $(#[$doc:meta])* mount_option) => {
        $(#[$doc])*
        pub fn mount_option(mut self, option: impl Into<String>) -> Self {
            self.mount_options.push(option.into());
            self
        }
    };
    (@setter $(#[$doc:meta])* device) => {
        $(#[$doc])*
        pub fn device(mut self, device: impl Into<SourceDevice>) -> Self {
            self.devices.push(device.into());
            self
        }
    };
}

fn check_parsed_name(p: &PoolParts) -> Result<()> {
    if p.name.contains('/') {
        return Err(Error::invalid(
            "name",
            format!("{:?} must not contain '/'", p.name),
        ));
    }
    Ok(())
}

fn required_target(p: &mut PoolParts) -> Result<Target> {
    match p.target.take() {
        Some(t) if !t.path.is_empty() => Ok(t),
        _ => Err(Error::invalid(
            "target.path",
            format!("is required for {} pools", p.pool_type()),
        )),
    }
}

fn required_host(p: &mut PoolParts) -> Result<Host> {
    if p.hosts.is_empty() {
        return Err(Error::invalid(
            "source.host",
            format!("is required for {} pools", p.pool_type()),
        ));
    }
    Ok(p.hosts.remove(0))
}

fn required_device(p: &mut PoolParts) -> Result<SourceDevice> {
    if p.devices.is_empty() {
        return Err(Error::invalid(
            "source.device",
            format!("is required for {} pools", p.pool_type()),
        ));
    }
    Ok(p.devices.remove(0))
}

fn required_dir(p: &mut PoolParts) -> Result<String> {
    p.dir.take().ok_or_else(|| {
        Error::invalid(
            "source.dir",
            format!("is required for {} pools", p.pool_type()),
        )
    })
}

fn source_name(p: &mut PoolParts) -> String {
    p.source_name.take().unwrap_or_else(|| p.name.clone())
}

fn format_or<T: FromStr<Err = super::names::UnknownValue>>(p: &PoolParts, default: T) -> Result<T> {
    match &p.format {
        None => Ok(default),
        Some(f) => f.parse().map_err(|e| Error::invalid("source.format", e)),
    }
}

fn target_permissions(p: &mut PoolParts) -> Option<Permissions> {
    p.target.take().and_then(|t| t.permissions)
}

fn parts(ty: PoolType, name: &str, uuid: Option<Uuid>, extra: &Extra) -> PoolParts {
    let mut p = PoolParts::new(ty, name);
    p.uuid = uuid;
    p.extra = extra.clone();
    p
}

// --- dir --------------------------------------------------------------------------------

/// `type='dir'`: a directory of image files.
#[derive(Debug, Clone, PartialEq)]
pub struct DirPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The directory.
    pub target: Target,
    /// Copy-on-write for new files (btrfs `nocow` control): `<features><cow state=/>`.
    pub cow: Option<bool>,
    pub(crate) extra: Extra,
}

impl DirPool {
    /// A directory pool at `target`.
    pub fn new(name: impl Into<String>, target: impl Into<Target>) -> Self {
        DirPool {
            name: name.into(),
            uuid: None,
            target: target.into(),
            cow: None,
            extra: None,
        }
    }

    /// Turn copy-on-write on or off for new files.
    pub fn cow(mut self, on: bool) -> Self {
        self.cow = Some(on);
        self
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Dir, &self.name, self.uuid, &self.extra);
        p.target = Some(self.target.clone());
        p.cow = self.cow;
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(DirPool {
            target: required_target(&mut p)?,
            cow: p.cow,
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    DirPool,
    /// Set the target's permissions.
    permissions,
}

// --- fs ---------------------------------------------------------------------------------

/// `type='fs'`: a pre-formatted block device that libvirt mounts on the target.
#[derive(Debug, Clone, PartialEq)]
pub struct FsPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The block device (`/dev/sdc1`).
    pub device: SourceDevice,
    /// Its file system.
    pub format: FsFormat,
    /// The mount point.
    pub target: Target,
    /// Copy-on-write for new files.
    pub cow: Option<bool>,
    /// Extra mount options (`<fs:mount_opts>`).
    pub mount_options: Vec<String>,
    pub(crate) extra: Extra,
}

impl FsPool {
    /// A file-system pool: `device` mounted on `target`, format detected.
    pub fn new(
        name: impl Into<String>,
        device: impl Into<SourceDevice>,
        target: impl Into<Target>,
    ) -> Self {
        FsPool {
            name: name.into(),
            uuid: None,
            device: device.into(),
            format: FsFormat::Auto,
            target: target.into(),
            cow: None,
            mount_options: Vec::new(),
            extra: None,
        }
    }

    /// Set the file system.
    pub fn format(mut self, format: FsFormat) -> Self {
        self.format = format;
        self
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Fs, &self.name, self.uuid, &self.extra);
        p.devices = vec![self.device.clone()];
        p.format = Some(self.format.as_str().into());
        p.target = Some(self.target.clone());
        p.cow = self.cow;
        p.mount_opts = self.mount_options.clone();
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(FsPool {
            device: required_device(&mut p)?,
            format: format_or(&p, FsFormat::Auto)?,
            target: required_target(&mut p)?,
            cow: p.cow,
            mount_options: p.mount_opts,
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    FsPool,
    /// Set the target's permissions.
    permissions,
    /// Add a mount option.
    mount_option,
}

// --- netfs ------------------------------------------------------------------------------

/// `type='netfs'`: a network file system (NFS, CIFS, GlusterFS) mounted on the target.
#[derive(Debug, Clone, PartialEq)]
pub struct NetfsPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The file server.
    pub host: Host,
    /// The exported path (NFS), share (CIFS) or volume (GlusterFS).
    pub source_path: String,
    /// The network file system.
    pub format: NetfsFormat,
    /// NFS protocol version (`3`, `4`, `4.1`).
    pub protocol_version: Option<String>,
    /// The mount point.
    pub target: Target,
    /// Extra mount options (`<fs:mount_opts>`).
    pub mount_options: Vec<String>,
    pub(crate) extra: Extra,
}

impl NetfsPool {
    /// A network file system pool: `host:source_path` mounted on `target`.
    pub fn new(
        name: impl Into<String>,
        host: impl Into<Host>,
        source_path: impl Into<String>,
        target: impl Into<Target>,
    ) -> Self {
        NetfsPool {
            name: name.into(),
            uuid: None,
            host: host.into(),
            source_path: source_path.into(),
            format: NetfsFormat::Auto,
            protocol_version: None,
            target: target.into(),
            mount_options: Vec::new(),
            extra: None,
        }
    }

    /// Set the network file system.
    pub fn format(mut self, format: NetfsFormat) -> Self {
        self.format = format;
        self
    }

    /// Set the NFS protocol version.
    pub fn protocol_version(mut self, version: impl Into<String>) -> Self {
        self.protocol_version = Some(version.into());
        self
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Netfs, &self.name, self.uuid, &self.extra);
        p.hosts = vec![self.host.clone()];
        p.dir = Some(self.source_path.clone());
        p.format = Some(self.format.as_str().into());
        p.protocol_ver = self.protocol_version.clone();
        p.target = Some(self.target.clone());
        p.mount_opts = self.mount_options.clone();
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        let format = format_or(&p, NetfsFormat::Auto)?;
        if p.protocol_ver.is_some() && !matches!(format, NetfsFormat::Auto | NetfsFormat::Nfs) {
            return Err(Error::invalid(
                "source.protocol.ver",
                format!("a protocol version is only for nfs, not {format}"),
            ));
        }
        Ok(NetfsPool {
            host: required_host(&mut p)?,
            source_path: required_dir(&mut p)?,
            format,
            protocol_version: p.protocol_ver.take(),
            target: required_target(&mut p)?,
            mount_options: p.mount_opts,
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    NetfsPool,
    /// Set the target's permissions.
    permissions,
    /// Add a mount option.
    mount_option,
}

// --- logical ----------------------------------------------------------------------------

/// `type='logical'`: an LVM volume group; volumes are logical volumes in `/dev/<vg>`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The volume group.
    pub vg_name: String,
    /// Physical volumes `pool-build` puts in a new group (none to use an existing one).
    pub devices: Vec<SourceDevice>,
    /// LVM format.
    pub format: LogicalFormat,
    /// Permissions of `/dev/<vg>`.
    pub permissions: Option<Permissions>,
    pub(crate) extra: Extra,
}

impl LogicalPool {
    /// A pool on volume group `vg_name`; its target is `/dev/<vg_name>`.
    pub fn new(name: impl Into<String>, vg_name: impl Into<String>) -> Self {
        LogicalPool {
            name: name.into(),
            uuid: None,
            vg_name: vg_name.into(),
            devices: Vec::new(),
            format: LogicalFormat::Lvm2,
            permissions: None,
            extra: None,
        }
    }

    /// The target path libvirt uses: `/dev/<vg>`.
    pub fn target_path(&self) -> String {
        format!("/dev/{}", self.vg_name)
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Logical, &self.name, self.uuid, &self.extra);
        p.devices = self.devices.clone();
        p.source_name = Some(self.vg_name.clone());
        p.format = Some(self.format.as_str().into());
        p.target = Some(Target {
            path: self.target_path(),
            permissions: self.permissions.clone(),
        });
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(LogicalPool {
            vg_name: source_name(&mut p),
            devices: std::mem::take(&mut p.devices),
            format: format_or(&p, LogicalFormat::Lvm2)?,
            permissions: target_permissions(&mut p),
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    LogicalPool,
    /// Add a physical volume for `pool-build`.
    device,
}

// --- disk -------------------------------------------------------------------------------

/// `type='disk'`: a whole disk; volumes are its partitions.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The disk (`/dev/sdc`).
    pub device: SourceDevice,
    /// Partition table.
    pub format: DiskFormat,
    /// Where partitions appear (`/dev`).
    pub target: Target,
    pub(crate) extra: Extra,
}

impl DiskPool {
    /// A disk pool on `device`, partition table detected, target `/dev`.
    pub fn new(name: impl Into<String>, device: impl Into<SourceDevice>) -> Self {
        DiskPool {
            name: name.into(),
            uuid: None,
            device: device.into(),
            format: DiskFormat::Unknown,
            target: Target::new("/dev"),
            extra: None,
        }
    }

    /// Set the partition table format (`pool-build` writes it).
    pub fn format(mut self, format: DiskFormat) -> Self {
        self.format = format;
        self
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Disk, &self.name, self.uuid, &self.extra);
        p.devices = vec![self.device.clone()];
        p.format = Some(self.format.as_str().into());
        p.target = Some(self.target.clone());
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(DiskPool {
            device: required_device(&mut p)?,
            format: format_or(&p, DiskFormat::Unknown)?,
            target: required_target(&mut p)?,
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    DiskPool,
    /// Set the target.
    target,
}

// --- iscsi ------------------------------------------------------------------------------

/// `type='iscsi'`: an iSCSI target logged in through the kernel initiator.
#[derive(Debug, Clone, PartialEq)]
pub struct IscsiPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The portal.
    pub host: Host,
    /// The target IQN (`<device path=...>`).
    pub target_iqn: String,
    /// Initiator IQN to log in as (the host's default when absent).
    pub initiator: Option<String>,
    /// CHAP authentication.
    pub auth: Option<Auth>,
    /// SCSI vendor to match.
    pub vendor: Option<String>,
    /// SCSI product to match.
    pub product: Option<String>,
    /// Where LUNs appear (`/dev/disk/by-path`).
    pub target: Target,
    pub(crate) extra: Extra,
}

impl IscsiPool {
    /// An iSCSI pool on `host` for target `iqn`, target `/dev/disk/by-path`.
    pub fn new(name: impl Into<String>, host: impl Into<Host>, iqn: impl Into<String>) -> Self {
        IscsiPool {
            name: name.into(),
            uuid: None,
            host: host.into(),
            target_iqn: iqn.into(),
            initiator: None,
            auth: None,
            vendor: None,
            product: None,
            target: Target::new("/dev/disk/by-path"),
            extra: None,
        }
    }

    /// Log in as this initiator IQN.
    pub fn initiator(mut self, iqn: impl Into<String>) -> Self {
        self.initiator = Some(iqn.into());
        self
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Iscsi, &self.name, self.uuid, &self.extra);
        p.hosts = vec![self.host.clone()];
        p.devices = vec![SourceDevice::new(self.target_iqn.clone())];
        p.initiator = self.initiator.clone();
        p.auth = self.auth.clone();
        p.vendor = self.vendor.clone();
        p.product = self.product.clone();
        p.target = Some(self.target.clone());
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(IscsiPool {
            host: required_host(&mut p)?,
            target_iqn: required_device(&mut p)?.path,
            initiator: p.initiator.take(),
            auth: p.auth.take(),
            vendor: p.vendor.take(),
            product: p.product.take(),
            target: required_target(&mut p)?,
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    IscsiPool,
    /// Use CHAP authentication.
    auth,
    /// Set the target.
    target,
}

// --- iscsi-direct -----------------------------------------------------------------------

/// `type='iscsi-direct'`: an iSCSI target reached through libiscsi (no kernel initiator,
/// no local device nodes).
#[derive(Debug, Clone, PartialEq)]
pub struct IscsiDirectPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The portal.
    pub host: Host,
    /// The target IQN.
    pub target_iqn: String,
    /// The initiator IQN (required by libvirt for this type).
    pub initiator: String,
    /// CHAP authentication.
    pub auth: Option<Auth>,
    pub(crate) extra: Extra,
}

impl IscsiDirectPool {
    /// An iscsi-direct pool: `host`, target `iqn`, logging in as `initiator`.
    pub fn new(
        name: impl Into<String>,
        host: impl Into<Host>,
        iqn: impl Into<String>,
        initiator: impl Into<String>,
    ) -> Self {
        IscsiDirectPool {
            name: name.into(),
            uuid: None,
            host: host.into(),
            target_iqn: iqn.into(),
            initiator: initiator.into(),
            auth: None,
            extra: None,
        }
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::IscsiDirect, &self.name, self.uuid, &self.extra);
        p.hosts = vec![self.host.clone()];
        p.devices = vec![SourceDevice::new(self.target_iqn.clone())];
        p.initiator = Some(self.initiator.clone());
        p.auth = self.auth.clone();
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        let initiator = p.initiator.take().ok_or_else(|| {
            Error::invalid("source.initiator.iqn", "is required for iscsi-direct pools")
        })?;
        Ok(IscsiDirectPool {
            host: required_host(&mut p)?,
            target_iqn: required_device(&mut p)?.path,
            initiator,
            auth: p.auth.take(),
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    IscsiDirectPool,
    /// Use CHAP authentication.
    auth,
}

// --- scsi -------------------------------------------------------------------------------

/// `type='scsi'`: the LUNs of a SCSI host adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct ScsiPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The adapter.
    pub adapter: Adapter,
    /// Where LUNs appear (`/dev/disk/by-path`).
    pub target: Target,
    pub(crate) extra: Extra,
}

impl ScsiPool {
    /// A SCSI pool on `adapter`, target `/dev/disk/by-path`.
    pub fn new(name: impl Into<String>, adapter: Adapter) -> Self {
        ScsiPool {
            name: name.into(),
            uuid: None,
            adapter,
            target: Target::new("/dev/disk/by-path"),
            extra: None,
        }
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Scsi, &self.name, self.uuid, &self.extra);
        p.adapter = Some(self.adapter.clone());
        p.target = Some(self.target.clone());
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        let adapter = p
            .adapter
            .take()
            .ok_or_else(|| Error::invalid("source.adapter", "is required for scsi pools"))?;
        Ok(ScsiPool {
            adapter,
            target: required_target(&mut p)?,
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    ScsiPool,
    /// Set the target.
    target,
}

// --- mpath ------------------------------------------------------------------------------

/// `type='mpath'`: the host's multipath devices.
#[derive(Debug, Clone, PartialEq)]
pub struct MpathPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// Where multipath devices appear (`/dev/mapper`).
    pub target: Target,
    pub(crate) extra: Extra,
}

impl MpathPool {
    /// A multipath pool with target `/dev/mapper`.
    pub fn new(name: impl Into<String>) -> Self {
        MpathPool {
            name: name.into(),
            uuid: None,
            target: Target::new("/dev/mapper"),
            extra: None,
        }
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Mpath, &self.name, self.uuid, &self.extra);
        p.target = Some(self.target.clone());
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(MpathPool {
            target: required_target(&mut p)?,
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    MpathPool,
    /// Set the target.
    target,
}

// --- rbd --------------------------------------------------------------------------------

/// `type='rbd'`: a Ceph RBD pool.
#[derive(Debug, Clone, PartialEq)]
pub struct RbdPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// Ceph monitors.
    pub hosts: Vec<Host>,
    /// The Ceph pool.
    pub source_name: String,
    /// Cephx authentication.
    pub auth: Option<Auth>,
    /// How refresh reports volume allocation.
    pub refresh_allocation: Option<RefreshAllocation>,
    /// librados options (`<rbd:config_opts>`), name and value.
    pub config_options: Vec<(String, String)>,
    pub(crate) extra: Extra,
}

impl RbdPool {
    /// An RBD pool on Ceph pool `source_name` with one monitor.
    pub fn new(
        name: impl Into<String>,
        monitor: impl Into<Host>,
        source_name: impl Into<String>,
    ) -> Self {
        RbdPool {
            name: name.into(),
            uuid: None,
            hosts: vec![monitor.into()],
            source_name: source_name.into(),
            auth: None,
            refresh_allocation: None,
            config_options: Vec::new(),
            extra: None,
        }
    }

    /// Add a monitor.
    pub fn monitor(mut self, host: impl Into<Host>) -> Self {
        self.hosts.push(host.into());
        self
    }

    /// Add a librados option.
    pub fn config_option(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config_options.push((name.into(), value.into()));
        self
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Rbd, &self.name, self.uuid, &self.extra);
        p.hosts = self.hosts.clone();
        p.source_name = Some(self.source_name.clone());
        p.auth = self.auth.clone();
        p.refresh = self.refresh_allocation;
        p.config_opts = self.config_options.clone();
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        if p.hosts.is_empty() {
            return Err(Error::invalid("source.host", "is required for rbd pools"));
        }
        Ok(RbdPool {
            hosts: std::mem::take(&mut p.hosts),
            source_name: source_name(&mut p),
            auth: p.auth.take(),
            refresh_allocation: p.refresh,
            config_options: std::mem::take(&mut p.config_opts),
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    RbdPool,
    /// Use cephx authentication.
    auth,
}

// --- sheepdog ---------------------------------------------------------------------------

/// `type='sheepdog'`: a Sheepdog cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct SheepdogPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// A cluster node.
    pub host: Host,
    /// The source name (defaults to the pool name).
    pub source_name: String,
    pub(crate) extra: Extra,
}

impl SheepdogPool {
    /// A Sheepdog pool reached through `host`.
    pub fn new(name: impl Into<String>, host: impl Into<Host>) -> Self {
        let name = name.into();
        SheepdogPool {
            source_name: name.clone(),
            name,
            uuid: None,
            host: host.into(),
            extra: None,
        }
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Sheepdog, &self.name, self.uuid, &self.extra);
        p.hosts = vec![self.host.clone()];
        p.source_name = Some(self.source_name.clone());
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(SheepdogPool {
            host: required_host(&mut p)?,
            source_name: source_name(&mut p),
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods!(SheepdogPool);

// --- gluster ----------------------------------------------------------------------------

/// `type='gluster'`: a GlusterFS volume reached through libgfapi.
#[derive(Debug, Clone, PartialEq)]
pub struct GlusterPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// A gluster server.
    pub host: Host,
    /// The gluster volume.
    pub volume: String,
    /// Directory inside the volume (`/` for the whole volume).
    pub dir: String,
    pub(crate) extra: Extra,
}

impl GlusterPool {
    /// A pool on gluster volume `volume` of `host`, whole volume.
    pub fn new(name: impl Into<String>, host: impl Into<Host>, volume: impl Into<String>) -> Self {
        GlusterPool {
            name: name.into(),
            uuid: None,
            host: host.into(),
            volume: volume.into(),
            dir: "/".into(),
            extra: None,
        }
    }

    /// Use a directory inside the volume.
    pub fn dir(mut self, dir: impl Into<String>) -> Self {
        self.dir = dir.into();
        self
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Gluster, &self.name, self.uuid, &self.extra);
        p.hosts = vec![self.host.clone()];
        p.source_name = Some(self.volume.clone());
        p.dir = Some(self.dir.clone());
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(GlusterPool {
            host: required_host(&mut p)?,
            volume: source_name(&mut p),
            dir: p.dir.take().unwrap_or_else(|| "/".into()),
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods!(GlusterPool);

// --- zfs --------------------------------------------------------------------------------

/// `type='zfs'`: a ZFS pool; volumes are zvols in `/dev/zvol/<pool>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ZfsPool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The ZFS pool (zpool) name.
    pub zpool: String,
    /// Devices `pool-build` creates the zpool on.
    pub devices: Vec<SourceDevice>,
    /// Permissions of the target.
    pub permissions: Option<Permissions>,
    pub(crate) extra: Extra,
}

impl ZfsPool {
    /// A pool on zpool `zpool`; target `/dev/zvol/<zpool>`.
    pub fn new(name: impl Into<String>, zpool: impl Into<String>) -> Self {
        ZfsPool {
            name: name.into(),
            uuid: None,
            zpool: zpool.into(),
            devices: Vec::new(),
            permissions: None,
            extra: None,
        }
    }

    /// The target path libvirt uses: `/dev/zvol/<zpool>`.
    pub fn target_path(&self) -> String {
        format!("/dev/zvol/{}", self.zpool)
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Zfs, &self.name, self.uuid, &self.extra);
        p.devices = self.devices.clone();
        p.source_name = Some(self.zpool.clone());
        p.target = Some(Target {
            path: self.target_path(),
            permissions: self.permissions.clone(),
        });
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(ZfsPool {
            zpool: source_name(&mut p),
            devices: std::mem::take(&mut p.devices),
            permissions: target_permissions(&mut p),
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods! {
    ZfsPool,
    /// Add a device for `pool-build`.
    device,
}

// --- vstorage ---------------------------------------------------------------------------

/// `type='vstorage'`: a Virtuozzo storage cluster mounted on the target.
#[derive(Debug, Clone, PartialEq)]
pub struct VstoragePool {
    /// Pool name.
    pub name: String,
    /// UUID; libvirt generates one when absent.
    pub uuid: Option<Uuid>,
    /// The cluster name.
    pub cluster: String,
    /// The mount point.
    pub target: Target,
    pub(crate) extra: Extra,
}

impl VstoragePool {
    /// A pool on cluster `cluster` mounted on `target`.
    pub fn new(
        name: impl Into<String>,
        cluster: impl Into<String>,
        target: impl Into<Target>,
    ) -> Self {
        VstoragePool {
            name: name.into(),
            uuid: None,
            cluster: cluster.into(),
            target: target.into(),
            extra: None,
        }
    }

    pub(crate) fn to_parts(&self) -> PoolParts {
        let mut p = parts(PoolType::Vstorage, &self.name, self.uuid, &self.extra);
        p.source_name = Some(self.cluster.clone());
        p.target = Some(self.target.clone());
        p
    }

    pub(crate) fn from_parts(mut p: PoolParts) -> Result<Self> {
        check_parsed_name(&p)?;
        Ok(VstoragePool {
            cluster: source_name(&mut p),
            target: required_target(&mut p)?,
            name: p.name,
            uuid: p.uuid,
            extra: p.extra,
        })
    }
}

shared_methods!(VstoragePool);
