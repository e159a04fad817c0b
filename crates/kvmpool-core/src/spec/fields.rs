//! The one table of what each pool type holds, by the names every front end uses: the
//! Python constructors' keywords, the C setters and the manifest keys. On it stand the
//! editing API ([`PoolSpec::from_fields`], [`PoolSpec::set`], [`PoolSpec::fields`]) and
//! [`PoolSpec::validate`]: every rule about a field's value is [`check_value`], used
//! both when a field is set and when a spec is validated, so every front end refuses
//! the same input with the same field and the same words.

use std::fmt;

use uuid::Uuid;

use super::check;
use super::names::{string_enum, UnknownValue};
use super::parts::{Auth, AuthType, Host, Permissions, SecretRef, SourceDevice, Target};
use super::pool::{PoolSpec, PoolType};
use super::pool_types::{DiskFormat, FsFormat, LogicalFormat, NetfsFormat, RefreshAllocation};
use crate::error::{Error, Result};
use crate::xml::pool::PoolParts;
use crate::Adapter;

string_enum! {
    /// A field of a pool spec, by the name all front ends use.
    pub enum PoolField {
        /// The pool name.
        Name = "name",
        /// The pool UUID (libvirt makes one when absent).
        Uuid = "uuid",
        /// The target path (directory, mount point or device directory).
        Target = "target",
        /// Octal mode of the target.
        Mode = "mode",
        /// Owner uid of the target.
        Owner = "owner",
        /// Group gid of the target.
        Group = "group",
        /// Security label of the target.
        Label = "label",
        /// The block device of an fs pool.
        SourceDev = "source_dev",
        /// The disk of a disk pool.
        Device = "device",
        /// Physical volumes (logical) or zpool devices (zfs) for `pool-build`.
        Devices = "devices",
        /// Disk pools: a `p` between device and partition number.
        PartSeparator = "part_separator",
        /// The storage server.
        Host = "host",
        /// Ceph monitors (rbd).
        Hosts = "hosts",
        /// The server's TCP port (every monitor's, for rbd).
        Port = "port",
        /// The exported path of a netfs pool.
        SourcePath = "source_path",
        /// The directory inside a gluster volume.
        Dir = "dir",
        /// File system, protocol, partition table or LVM format.
        Format = "format",
        /// NFS protocol version.
        ProtocolVersion = "protocol_version",
        /// The LVM volume group.
        Vg = "vg",
        /// The Ceph pool (rbd) or Sheepdog source.
        SourceName = "source_name",
        /// The gluster volume.
        Volume = "volume",
        /// The ZFS pool.
        Zpool = "zpool",
        /// The Virtuozzo storage cluster.
        Cluster = "cluster",
        /// The iSCSI target's IQN.
        Iqn = "iqn",
        /// The iSCSI initiator's IQN.
        Initiator = "initiator",
        /// SCSI vendor to match (iscsi).
        Vendor = "vendor",
        /// SCSI product to match (iscsi).
        Product = "product",
        /// Authentication type: `chap` (iscsi) or `ceph` (rbd).
        AuthType = "auth_type",
        /// Authentication user name.
        AuthUsername = "auth_username",
        /// The libvirt secret holding the password or key, by UUID.
        AuthSecretUuid = "auth_secret_uuid",
        /// The libvirt secret holding the password or key, by usage name.
        AuthSecretUsage = "auth_secret_usage",
        /// The scsi_host adapter (`host0`).
        Adapter = "adapter",
        /// Copy-on-write for new files (btrfs).
        Cow = "cow",
        /// Extra mount options.
        MountOptions = "mount_options",
        /// librados options, name and value.
        ConfigOptions = "config_options",
        /// How an rbd pool reports volume allocation on refresh.
        RefreshAllocation = "refresh_allocation",
    }
}

string_enum! {
    /// What a field says about a pool, for comparing one pool across hosts: the
    /// storage it names (source), where it appears on the host (target), per-host
    /// access (permissions, credentials, the host's own initiator) and tuning.
    pub enum FieldRole {
        /// Which pool it is on this host: name and UUID.
        Identity = "identity",
        /// The storage: device, server, export, volume group, IQN, format.
        Source = "source",
        /// Where the pool appears on the host: the target path.
        Target = "target",
        /// Per-host access: target permissions and label, authentication, initiator.
        Access = "access",
        /// How the storage is used: mount and librados options, copy-on-write, ...
        Tuning = "tuning",
    }
}

impl PoolField {
    /// The field's role (see [`FieldRole`]).
    pub fn role(self) -> FieldRole {
        // Exhaustive on purpose: a new field does not compile until it has a role.
        match self {
            F::Name | F::Uuid => FieldRole::Identity,
            F::SourceDev
            | F::Device
            | F::Devices
            | F::PartSeparator
            | F::Host
            | F::Hosts
            | F::Port
            | F::SourcePath
            | F::Dir
            | F::Format
            | F::Vg
            | F::SourceName
            | F::Volume
            | F::Zpool
            | F::Cluster
            | F::Iqn
            | F::Vendor
            | F::Product
            | F::Adapter => FieldRole::Source,
            F::Target => FieldRole::Target,
            F::Mode
            | F::Owner
            | F::Group
            | F::Label
            | F::Initiator
            | F::AuthType
            | F::AuthUsername
            | F::AuthSecretUuid
            | F::AuthSecretUsage => FieldRole::Access,
            F::ProtocolVersion
            | F::Cow
            | F::MountOptions
            | F::ConfigOptions
            | F::RefreshAllocation => FieldRole::Tuning,
        }
    }
}

/// One row of the table: a field a pool type holds, whether it must be given, and
/// whether constructors take it by position (the virsh order: `name`, then the
/// source, then the target).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    /// The field.
    pub field: PoolField,
    /// True when a spec of the type cannot be made without it.
    pub required: bool,
    /// True when constructors take it by position (positional fields come first).
    pub positional: bool,
}

/// Required, by position.
const fn req(field: PoolField) -> FieldRule {
    FieldRule {
        field,
        required: true,
        positional: true,
    }
}

/// Optional, by position.
const fn pos(field: PoolField) -> FieldRule {
    FieldRule {
        field,
        required: false,
        positional: true,
    }
}

/// Optional, by name only.
const fn opt(field: PoolField) -> FieldRule {
    FieldRule {
        field,
        required: false,
        positional: false,
    }
}

use PoolField as F;

// The table. Order matters: positional fields first, in their constructor order; it is
// also the order in which `validate` reports problems.
#[rustfmt::skip]
const DIR: &[FieldRule] = &[
    req(F::Name), pos(F::Target),
    opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label), opt(F::Cow),
];
#[rustfmt::skip]
const FS: &[FieldRule] = &[
    req(F::Name), req(F::SourceDev), pos(F::Target), pos(F::Format),
    opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label),
    opt(F::MountOptions), opt(F::Cow),
];
#[rustfmt::skip]
const NETFS: &[FieldRule] = &[
    req(F::Name), req(F::Host), req(F::SourcePath), pos(F::Target), pos(F::Format),
    opt(F::Port), opt(F::ProtocolVersion), opt(F::Uuid),
    opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label), opt(F::MountOptions),
];
#[rustfmt::skip]
const LOGICAL: &[FieldRule] = &[
    req(F::Name), pos(F::Vg), pos(F::Devices), pos(F::Target), pos(F::Format),
    opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label),
];
#[rustfmt::skip]
const DISK: &[FieldRule] = &[
    req(F::Name), req(F::Device), pos(F::Format), pos(F::Target),
    opt(F::PartSeparator), opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group),
    opt(F::Label),
];
#[rustfmt::skip]
const ISCSI: &[FieldRule] = &[
    req(F::Name), req(F::Host), req(F::Iqn), pos(F::Target),
    opt(F::Port), opt(F::Initiator), opt(F::Vendor), opt(F::Product),
    opt(F::AuthType), opt(F::AuthUsername), opt(F::AuthSecretUuid), opt(F::AuthSecretUsage),
    opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label),
];
#[rustfmt::skip]
const ISCSI_DIRECT: &[FieldRule] = &[
    req(F::Name), req(F::Host), req(F::Iqn), req(F::Initiator),
    opt(F::Port), opt(F::AuthType), opt(F::AuthUsername), opt(F::AuthSecretUuid),
    opt(F::AuthSecretUsage), opt(F::Uuid),
];
#[rustfmt::skip]
const SCSI: &[FieldRule] = &[
    req(F::Name), req(F::Adapter), pos(F::Target),
    opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label),
];
#[rustfmt::skip]
const MPATH: &[FieldRule] = &[
    req(F::Name), pos(F::Target),
    opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label),
];
#[rustfmt::skip]
const RBD: &[FieldRule] = &[
    req(F::Name), req(F::Hosts), req(F::SourceName),
    opt(F::Port), opt(F::AuthType), opt(F::AuthUsername), opt(F::AuthSecretUuid),
    opt(F::AuthSecretUsage), opt(F::ConfigOptions), opt(F::RefreshAllocation), opt(F::Uuid),
];
#[rustfmt::skip]
const SHEEPDOG: &[FieldRule] = &[
    req(F::Name), req(F::Host),
    opt(F::Port), opt(F::SourceName), opt(F::Uuid),
];
#[rustfmt::skip]
const GLUSTER: &[FieldRule] = &[
    req(F::Name), req(F::Host), req(F::Volume),
    opt(F::Dir), opt(F::Port), opt(F::Uuid),
];
#[rustfmt::skip]
const ZFS: &[FieldRule] = &[
    req(F::Name), pos(F::Zpool), pos(F::Devices),
    opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label),
];
#[rustfmt::skip]
const VSTORAGE: &[FieldRule] = &[
    req(F::Name), req(F::Cluster), req(F::Target),
    opt(F::Uuid), opt(F::Mode), opt(F::Owner), opt(F::Group), opt(F::Label),
];

/// The options of `virsh pool-define-as` (and `pool-create-as`) that name a field, by
/// their virsh name without the dashes.
pub const VIRSH_POOL_OPTIONS: &[&str] = &[
    "source-host",
    "source-path",
    "source-dev",
    "source-name",
    "source-format",
    "target",
    "auth-type",
    "auth-username",
    "secret-usage",
    "secret-uuid",
    "adapter-name",
    "source-protocol-ver",
    "source-initiator",
];

impl PoolType {
    /// The field a `virsh pool-define-as` option sets in a pool of this type
    /// (`--source-dev` is the device of an fs pool, the disk of a disk pool, a physical
    /// volume of a logical pool, the IQN of an iscsi pool), or `None` when the type
    /// has no such field.
    pub fn virsh_option_field(self, option: &str) -> Option<PoolField> {
        let candidates: &[PoolField] = match option {
            "source-host" => &[F::Host, F::Hosts],
            "source-path" => &[F::SourcePath, F::Dir],
            "source-dev" => &[F::SourceDev, F::Device, F::Devices, F::Iqn],
            "source-name" => &[F::Vg, F::SourceName, F::Volume, F::Zpool, F::Cluster],
            "source-format" => &[F::Format],
            "target" => &[F::Target],
            "auth-type" => &[F::AuthType],
            "auth-username" => &[F::AuthUsername],
            "secret-usage" => &[F::AuthSecretUsage],
            "secret-uuid" => &[F::AuthSecretUuid],
            "adapter-name" => &[F::Adapter],
            "source-protocol-ver" => &[F::ProtocolVersion],
            "source-initiator" => &[F::Initiator],
            _ => &[],
        };
        candidates.iter().copied().find(|f| self.has_field(*f))
    }
}

impl PoolSpec {
    /// A spec from `virsh pool-define-as NAME TYPE --option value ...` arguments
    /// (options by their virsh names without dashes; `--source-host` may carry a
    /// `:port`). Options the type has no field for are refused, naming the option.
    pub fn from_virsh_args(ty: PoolType, name: &str, options: &[(&str, &str)]) -> Result<PoolSpec> {
        let mut fields = vec![(F::Name, FieldValue::from(name))];
        for &(option, value) in options {
            let field = ty.virsh_option_field(option).ok_or_else(|| {
                Error::invalid(
                    format!("--{option}"),
                    format!("{ty} pools have no field that this option sets"),
                )
            })?;
            match field {
                F::Host | F::Hosts => {
                    let (host, port) = split_port(value);
                    let host = if field == F::Hosts {
                        FieldValue::List(vec![host.to_owned()])
                    } else {
                        host.into()
                    };
                    fields.push((field, host));
                    if let Some(port) = port {
                        let port = port
                            .parse::<i128>()
                            .map_or(FieldValue::Text(port.to_owned()), FieldValue::Int);
                        fields.push((F::Port, port));
                    }
                }
                F::Devices => fields.push((field, FieldValue::List(vec![value.to_owned()]))),
                _ => fields.push((field, value.into())),
            }
        }
        PoolSpec::from_fields(ty, fields)
    }
}

/// `host:port` as virsh reads `--source-host` (an IPv6 address in brackets).
fn split_port(value: &str) -> (&str, Option<&str>) {
    if let Some(rest) = value.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            return (host, tail.strip_prefix(':'));
        }
    }
    match value.split_once(':') {
        Some((host, port)) if !port.contains(':') => (host, Some(port)),
        _ => (value, None),
    }
}

impl PoolType {
    /// The fields a pool of this type holds: the table every front end is driven by
    /// (Python's constructors are made from it, manifests are read with it).
    pub fn fields(self) -> &'static [FieldRule] {
        match self {
            PoolType::Dir => DIR,
            PoolType::Fs => FS,
            PoolType::Netfs => NETFS,
            PoolType::Logical => LOGICAL,
            PoolType::Disk => DISK,
            PoolType::Iscsi => ISCSI,
            PoolType::IscsiDirect => ISCSI_DIRECT,
            PoolType::Scsi => SCSI,
            PoolType::Mpath => MPATH,
            PoolType::Rbd => RBD,
            PoolType::Sheepdog => SHEEPDOG,
            PoolType::Gluster => GLUSTER,
            PoolType::Zfs => ZFS,
            PoolType::Vstorage => VSTORAGE,
        }
    }

    /// True when a pool of this type holds `field`.
    pub fn has_field(self, field: PoolField) -> bool {
        self.fields().iter().any(|r| r.field == field)
    }

    /// The authentication type this pool type uses, if it has authentication.
    fn auth_type(self) -> Option<AuthType> {
        match self {
            PoolType::Iscsi | PoolType::IscsiDirect => Some(AuthType::Chap),
            PoolType::Rbd => Some(AuthType::Ceph),
            _ => None,
        }
    }
}

/// A value for a field, as front ends and manifests carry them. Each field takes one
/// shape ([`check_value`] says which); `Unset` clears an optional field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Not given: the field's default.
    Unset,
    /// Text.
    Text(String),
    /// An integer (wide enough for any u64 or i64).
    Int(i128),
    /// True or false.
    Bool(bool),
    /// A list of text.
    List(Vec<String>),
    /// A list of name and value pairs.
    Pairs(Vec<(String, String)>),
    /// A value of a shape no field takes (a float, a table), named for the error.
    Other(String),
}

impl fmt::Display for FieldValue {
    /// For people: text quoted, lists as lists, `(unset)` for no value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Unset => f.write_str("(unset)"),
            FieldValue::Text(t) => write!(f, "{t:?}"),
            FieldValue::Int(n) => write!(f, "{n}"),
            FieldValue::Bool(b) => write!(f, "{b}"),
            FieldValue::List(l) => write!(f, "{l:?}"),
            FieldValue::Pairs(p) => write!(f, "{p:?}"),
            FieldValue::Other(o) => f.write_str(o),
        }
    }
}

impl serde::Serialize for FieldValue {
    /// As JSON: null, a string, a number, a boolean, a list of strings, a list of
    /// `[name, value]` pairs.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            FieldValue::Unset => s.serialize_none(),
            FieldValue::Text(t) | FieldValue::Other(t) => s.serialize_str(t),
            FieldValue::Int(n) => match i64::try_from(*n) {
                Ok(n) => s.serialize_i64(n),
                Err(_) => s.serialize_str(&n.to_string()),
            },
            FieldValue::Bool(b) => s.serialize_bool(*b),
            FieldValue::List(l) => l.serialize(s),
            FieldValue::Pairs(p) => p.serialize(s),
        }
    }
}

impl FieldValue {
    /// True for [`FieldValue::Unset`].
    pub fn is_unset(&self) -> bool {
        matches!(self, FieldValue::Unset)
    }

    pub(crate) fn shape(&self) -> &str {
        match self {
            FieldValue::Unset => "nothing",
            FieldValue::Text(_) => "text",
            FieldValue::Int(_) => "an integer",
            FieldValue::Bool(_) => "true or false",
            FieldValue::List(_) => "a list",
            FieldValue::Pairs(_) => "a list of pairs",
            FieldValue::Other(what) => what,
        }
    }

    fn wrong(&self, field: impl fmt::Display, want: &str) -> Error {
        Error::invalid(
            field.to_string(),
            format!("must be {want}, not {}", self.shape()),
        )
    }

    /// The text, or `None` when unset.
    pub(crate) fn text(&self, field: impl fmt::Display) -> Result<Option<&str>> {
        match self {
            FieldValue::Unset => Ok(None),
            FieldValue::Text(t) => Ok(Some(t)),
            other => Err(other.wrong(field, "text")),
        }
    }

    pub(crate) fn int(&self, field: impl fmt::Display) -> Result<Option<i128>> {
        match self {
            FieldValue::Unset => Ok(None),
            FieldValue::Int(n) => Ok(Some(*n)),
            other => Err(other.wrong(field, "an integer")),
        }
    }

    pub(crate) fn bool(&self, field: impl fmt::Display) -> Result<Option<bool>> {
        match self {
            FieldValue::Unset => Ok(None),
            FieldValue::Bool(b) => Ok(Some(*b)),
            other => Err(other.wrong(field, "true or false")),
        }
    }

    pub(crate) fn list(&self, field: impl fmt::Display) -> Result<&[String]> {
        match self {
            FieldValue::Unset => Ok(&[]),
            FieldValue::List(l) => Ok(l),
            other => Err(other.wrong(field, "a list of text")),
        }
    }

    fn pairs(&self, field: impl fmt::Display) -> Result<&[(String, String)]> {
        match self {
            FieldValue::Unset => Ok(&[]),
            FieldValue::Pairs(p) => Ok(p),
            other => Err(other.wrong(field, "a list of [name, value] pairs")),
        }
    }
}

macro_rules! field_value_from {
    ($($t:ty => |$v:ident| $e:expr),+ $(,)?) => {
        $(impl From<$t> for FieldValue {
            fn from($v: $t) -> FieldValue {
                $e
            }
        })+
    };
}

field_value_from! {
    &str => |v| FieldValue::Text(v.to_owned()),
    String => |v| FieldValue::Text(v),
    bool => |v| FieldValue::Bool(v),
    i64 => |v| FieldValue::Int(v.into()),
    u64 => |v| FieldValue::Int(v.into()),
    u32 => |v| FieldValue::Int(v.into()),
    u16 => |v| FieldValue::Int(v.into()),
    i128 => |v| FieldValue::Int(v),
    Vec<String> => |v| FieldValue::List(v),
    Vec<(String, String)> => |v| FieldValue::Pairs(v),
}

impl<T: Into<FieldValue>> From<Option<T>> for FieldValue {
    fn from(v: Option<T>) -> FieldValue {
        v.map_or(FieldValue::Unset, Into::into)
    }
}

// --- the rules ------------------------------------------------------------------------

/// Every rule about the value of one field of a pool of type `ty`, naming the field.
pub fn check_value(ty: PoolType, field: PoolField, value: &FieldValue) -> Result<()> {
    let f = field.as_str();
    match field {
        F::Name => required_text(value, f).and_then(|v| check::name(f, v)),
        F::Vg | F::Zpool => opt_text(value, f, check::name),
        F::Uuid => value
            .text(f)?
            .map_or(Ok(()), |v| parse_uuid(f, v).map(drop)),
        F::AuthSecretUuid => value
            .text(f)?
            .map_or(Ok(()), |v| parse_uuid(f, v).map(drop)),
        F::Target | F::SourceDev | F::Device | F::Dir => opt_text(value, f, check::absolute_path),
        F::Devices => each_text(value, f, check::absolute_path),
        F::Host => opt_text(value, f, check::host_name),
        F::Hosts => {
            let hosts = value.list(f)?;
            if hosts.is_empty() {
                return Err(Error::invalid(f, "at least one host is required"));
            }
            each_text(value, f, check::host_name)
        }
        F::Port => value.int(f)?.map_or(Ok(()), |p| port(f, p).map(drop)),
        F::Mode => value.int(f)?.map_or(Ok(()), |m| mode(f, m).map(drop)),
        F::Owner | F::Group => value.int(f)?.map_or(Ok(()), |id| owner_id(f, id).map(drop)),
        F::SourcePath => opt_text(value, f, |f, v| {
            check::text(f, v)?;
            check::path_text(f, v)
        }),
        F::Label
        | F::SourceName
        | F::Volume
        | F::Cluster
        | F::Vendor
        | F::Product
        | F::AuthUsername
        | F::AuthSecretUsage => opt_text(value, f, check::text),
        F::Iqn | F::Initiator => opt_text(value, f, check::iqn),
        F::Adapter => opt_text(value, f, check::scsi_host),
        F::Format => value.text(f)?.map_or(Ok(()), |v| check_format(ty, v)),
        F::ProtocolVersion => opt_text(value, f, protocol_version),
        F::AuthType => match value.text(f)? {
            None => Ok(()),
            Some(v) => parse::<AuthType>(f, v).and_then(|t| check_auth_type(ty, t)),
        },
        F::RefreshAllocation => value
            .text(f)?
            .map_or(Ok(()), |v| parse::<RefreshAllocation>(f, v).map(drop)),
        F::Cow | F::PartSeparator => value.bool(f).map(drop),
        F::MountOptions => each_text(value, f, |f, o| {
            check::text(f, o)?;
            if o.contains(',') {
                return Err(Error::invalid(
                    f,
                    format!("{o:?}: give one option per entry, without commas"),
                ));
            }
            Ok(())
        }),
        F::ConfigOptions => {
            for (i, (name, val)) in value.pairs(f)?.iter().enumerate() {
                check::text(&format!("{f}[{i}].name"), name)?;
                check::text(&format!("{f}[{i}].value"), val)?;
            }
            Ok(())
        }
    }
}

fn required_text<'v>(value: &'v FieldValue, f: &str) -> Result<&'v str> {
    value
        .text(f)?
        .ok_or_else(|| Error::invalid(f, "must be given"))
}

fn opt_text(value: &FieldValue, f: &str, rule: fn(&str, &str) -> Result<()>) -> Result<()> {
    value.text(f)?.map_or(Ok(()), |v| rule(f, v))
}

fn each_text(value: &FieldValue, f: &str, rule: fn(&str, &str) -> Result<()>) -> Result<()> {
    for (i, item) in value.list(f)?.iter().enumerate() {
        rule(&format!("{f}[{i}]"), item)?;
    }
    Ok(())
}

fn parse<T: std::str::FromStr<Err = UnknownValue>>(f: &str, v: &str) -> Result<T> {
    v.parse().map_err(|e| Error::invalid(f, e))
}

/// A UUID as libvirt reads one (`virUUIDParse`): surrounding whitespace is ignored.
pub fn parse_uuid(f: &str, v: &str) -> Result<Uuid> {
    Uuid::parse_str(v.trim()).map_err(|e| Error::invalid(f, format!("{v:?} is not a UUID: {e}")))
}

fn port(f: &str, p: i128) -> Result<u16> {
    u16::try_from(p)
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| Error::invalid(f, format!("{p} is not a TCP port (1 to 65535)")))
}

fn mode(f: &str, m: i128) -> Result<u32> {
    u32::try_from(m)
        .ok()
        .filter(|&m| m <= 0o777)
        .ok_or_else(|| Error::invalid(f, format!("{m:#o} is not a mode from 0 to 0777")))
}

fn owner_id(f: &str, id: i128) -> Result<i64> {
    // -1 is libvirt's "unchanged"; u32::MAX is (uid_t)-1, never a real id
    i64::try_from(id)
        .ok()
        .filter(|&id| (-1..i64::from(u32::MAX)).contains(&id))
        .ok_or_else(|| Error::invalid(f, format!("{id} is not a valid id")))
}

fn check_format(ty: PoolType, v: &str) -> Result<()> {
    let f = F::Format.as_str();
    match ty {
        PoolType::Fs => parse::<FsFormat>(f, v).map(drop),
        PoolType::Netfs => parse::<NetfsFormat>(f, v).map(drop),
        PoolType::Disk => parse::<DiskFormat>(f, v).map(drop),
        PoolType::Logical => parse::<LogicalFormat>(f, v).map(drop),
        _ => Err(no_field(ty, F::Format)),
    }
}

fn protocol_version(f: &str, v: &str) -> Result<()> {
    let numeric = v
        .split('.')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if !numeric || v.split('.').count() > 2 {
        return Err(Error::invalid(
            f,
            format!("{v:?} is not a version like 3, 4 or 4.1"),
        ));
    }
    Ok(())
}

fn check_auth_type(ty: PoolType, t: AuthType) -> Result<()> {
    match ty.auth_type() {
        Some(expected) if expected == t => Ok(()),
        Some(expected) => Err(Error::invalid(
            F::AuthType.as_str(),
            format!("{ty} pools authenticate with {expected}, not {t}"),
        )),
        None => Err(no_field(ty, F::AuthType)),
    }
}

fn no_field(ty: PoolType, field: PoolField) -> Error {
    Error::invalid(field.as_str(), format!("{ty} pools have no such field"))
}

fn required(ty: PoolType, field: PoolField) -> Error {
    Error::invalid(field.as_str(), format!("is required for {ty} pools"))
}

// --- reading and writing fields -------------------------------------------------------

/// The value of `field` in `p` (libvirt's generic definition).
fn get(p: &PoolParts, field: PoolField) -> FieldValue {
    let first_device = || p.devices.first().map(|d| d.path.clone()).into();
    let first_host = p.hosts.first();
    let perms = p.target.as_ref().and_then(|t| t.permissions.as_ref());
    let auth = p.auth.as_ref();
    match field {
        F::Name => p.name.clone().into(),
        F::Uuid => p.uuid.map(|u| u.hyphenated().to_string()).into(),
        F::Target => p.target.as_ref().map(|t| t.path.clone()).into(),
        F::Mode => perms.and_then(|p| p.mode).into(),
        F::Owner => perms.and_then(|p| p.owner).into(),
        F::Group => perms.and_then(|p| p.group).into(),
        F::Label => perms.and_then(|p| p.label.clone()).into(),
        F::SourceDev | F::Device | F::Iqn => first_device(),
        F::Devices => list(p.devices.iter().map(|d| d.path.clone())),
        F::PartSeparator => p.devices.first().and_then(|d| d.part_separator).into(),
        F::Host => first_host.map(|h| h.name.clone()).into(),
        F::Hosts => list(p.hosts.iter().map(|h| h.name.clone())),
        F::Port => first_host.and_then(|h| h.port).into(),
        F::SourcePath | F::Dir => p.dir.clone().into(),
        F::Format => p.format.clone().into(),
        F::ProtocolVersion => p.protocol_ver.clone().into(),
        F::Vg | F::SourceName | F::Volume | F::Zpool | F::Cluster => p.source_name.clone().into(),
        F::Initiator => p.initiator.clone().into(),
        F::Vendor => p.vendor.clone().into(),
        F::Product => p.product.clone().into(),
        F::AuthType => auth.map(|a| a.auth_type.as_str()).into(),
        F::AuthUsername => auth.map(|a| a.username.clone()).into(),
        F::AuthSecretUuid => match auth.map(|a| &a.secret) {
            Some(SecretRef::Uuid(u)) => u.hyphenated().to_string().into(),
            _ => FieldValue::Unset,
        },
        F::AuthSecretUsage => match auth.map(|a| &a.secret) {
            Some(SecretRef::Usage(u)) => u.clone().into(),
            _ => FieldValue::Unset,
        },
        F::Adapter => match &p.adapter {
            Some(Adapter::ScsiHost { name } | Adapter::LegacyScsiHost { name }) => {
                name.clone().into()
            }
            _ => FieldValue::Unset,
        },
        F::Cow => p.cow.into(),
        F::MountOptions => list(p.mount_opts.iter().cloned()),
        F::ConfigOptions if p.config_opts.is_empty() => FieldValue::Unset,
        F::ConfigOptions => FieldValue::Pairs(p.config_opts.clone()),
        F::RefreshAllocation => p.refresh.map(|r| r.as_str()).into(),
    }
}

/// A list field with one more item (text onto a list, pairs onto pairs).
pub(crate) fn join(current: FieldValue, item: FieldValue) -> FieldValue {
    match (current, item) {
        (FieldValue::List(mut l), FieldValue::Text(t)) => {
            l.push(t);
            FieldValue::List(l)
        }
        (FieldValue::Pairs(mut p), FieldValue::Pairs(more)) => {
            p.extend(more);
            FieldValue::Pairs(p)
        }
        (FieldValue::Unset, FieldValue::Text(t)) => FieldValue::List(vec![t]),
        (_, item) => item,
    }
}

fn list(items: impl Iterator<Item = String>) -> FieldValue {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        FieldValue::Unset
    } else {
        FieldValue::List(items)
    }
}

/// The authentication being edited: applied field by field, checked as a whole.
#[derive(Default)]
struct AuthDraft {
    touched: bool,
    /// The type was given in this edit (not only kept from before).
    type_given: bool,
    auth_type: Option<AuthType>,
    username: Option<String>,
    uuid: Option<Uuid>,
    usage: Option<String>,
}

impl AuthDraft {
    fn from(auth: Option<&Auth>) -> Self {
        let Some(a) = auth else {
            return AuthDraft::default();
        };
        let (uuid, usage) = match &a.secret {
            SecretRef::Uuid(u) => (Some(*u), None),
            SecretRef::Usage(u) => (None, Some(u.clone())),
        };
        AuthDraft {
            touched: false,
            type_given: false,
            auth_type: Some(a.auth_type),
            username: Some(a.username.clone()),
            uuid,
            usage,
        }
    }

    /// The finished `<auth>`, or the first thing missing or in conflict.
    fn finish(self, ty: PoolType) -> Result<Option<Auth>> {
        let Some(username) = self.username else {
            if self.uuid.is_some() || self.usage.is_some() {
                return Err(Error::invalid(
                    F::AuthUsername.as_str(),
                    "is required with a secret",
                ));
            }
            if self.type_given && self.auth_type.is_some() {
                return Err(Error::invalid(
                    F::AuthUsername.as_str(),
                    "is required with auth_type",
                ));
            }
            return Ok(None);
        };
        let secret =
            match (self.uuid, self.usage) {
                (Some(u), None) => SecretRef::Uuid(u),
                (None, Some(u)) => SecretRef::Usage(u),
                (Some(_), Some(_)) => {
                    return Err(Error::invalid(
                        F::AuthSecretUsage.as_str(),
                        "give either auth_secret_uuid or auth_secret_usage, not both",
                    ))
                }
                (None, None) => return Err(Error::invalid(
                    F::AuthSecretUuid.as_str(),
                    "an auth_secret_uuid or an auth_secret_usage is required with auth_username",
                )),
            };
        let auth_type = self
            .auth_type
            .or(ty.auth_type())
            .ok_or_else(|| no_field(ty, F::AuthUsername))?;
        Ok(Some(Auth {
            auth_type,
            username,
            secret,
        }))
    }
}

/// Put a checked value into `p`.
fn put(p: &mut PoolParts, field: PoolField, v: &FieldValue, auth: &mut AuthDraft) -> Result<()> {
    let f = field.as_str();
    let text = || v.text(f).map(|t| t.map(str::to_owned));
    match field {
        F::Name => p.name = text()?.unwrap_or_default(),
        F::Uuid => p.uuid = v.text(f)?.map(|u| parse_uuid(f, u)).transpose()?,
        F::Target => match text()? {
            Some(path) => target(p).path = path,
            None => p.target = None,
        },
        F::Mode | F::Owner | F::Group | F::Label => put_permission(permissions(p), field, v)?,
        F::SourceDev | F::Device | F::Iqn => match text()? {
            Some(path) => match p.devices.first_mut() {
                Some(d) => d.path = path,
                None => p.devices.push(SourceDevice::new(path)),
            },
            None => p.devices.clear(),
        },
        F::Devices => {
            p.devices = v
                .list(f)?
                .iter()
                .map(|d| SourceDevice::new(d.as_str()))
                .collect()
        }
        F::PartSeparator => match p.devices.first_mut() {
            Some(d) => d.part_separator = v.bool(f)?,
            None => {
                return Err(Error::invalid(f, "needs the device it applies to"));
            }
        },
        F::Host => match text()? {
            Some(name) => match p.hosts.first_mut() {
                Some(h) => h.name = name,
                None => p.hosts.push(Host::new(name)),
            },
            None => p.hosts.clear(),
        },
        F::Hosts => {
            let port = p.hosts.first().and_then(|h| h.port);
            p.hosts = v
                .list(f)?
                .iter()
                .map(|h| Host {
                    name: h.clone(),
                    port,
                })
                .collect();
        }
        F::Port => {
            let port = v.int(f)?.map(|n| port(f, n)).transpose()?;
            if p.hosts.is_empty() {
                return Err(Error::invalid(f, "needs the host it applies to"));
            }
            p.hosts.iter_mut().for_each(|h| h.port = port);
        }
        F::SourcePath | F::Dir => p.dir = text()?,
        F::Format => p.format = text()?,
        F::ProtocolVersion => p.protocol_ver = text()?,
        F::Vg | F::SourceName | F::Volume | F::Zpool | F::Cluster => p.source_name = text()?,
        F::Initiator => p.initiator = text()?,
        F::Vendor => p.vendor = text()?,
        F::Product => p.product = text()?,
        F::AuthType => {
            auth.auth_type = v.text(f)?.map(|t| parse(f, t)).transpose()?;
            auth.type_given = true;
        }
        F::AuthUsername => auth.username = text()?,
        F::AuthSecretUuid => auth.uuid = v.text(f)?.map(|u| parse_uuid(f, u)).transpose()?,
        F::AuthSecretUsage => auth.usage = text()?,
        F::Adapter => p.adapter = text()?.map(|name| Adapter::ScsiHost { name }),
        F::Cow => p.cow = v.bool(f)?,
        F::MountOptions => p.mount_opts = v.list(f)?.to_vec(),
        F::ConfigOptions => p.config_opts = v.pairs(f)?.to_vec(),
        F::RefreshAllocation => p.refresh = v.text(f)?.map(|r| parse(f, r)).transpose()?,
    }
    auth.touched |= matches!(
        field,
        F::AuthType | F::AuthUsername | F::AuthSecretUuid | F::AuthSecretUsage
    );
    Ok(())
}

/// Put one of `mode`, `owner`, `group`, `label` into `p` (pools and volumes).
pub(crate) fn put_permission(p: &mut Permissions, field: PoolField, v: &FieldValue) -> Result<()> {
    let f = field.as_str();
    match field {
        F::Mode => p.mode = v.int(f)?.map(|m| mode(f, m)).transpose()?,
        F::Owner => p.owner = v.int(f)?.map(|id| owner_id(f, id)).transpose()?,
        F::Group => p.group = v.int(f)?.map(|id| owner_id(f, id)).transpose()?,
        _ => p.label = v.text(f)?.map(str::to_owned),
    }
    Ok(())
}

/// The rule for one of `mode`, `owner`, `group`, `label` (pools and volumes).
pub(crate) fn check_permission(field: PoolField, v: &FieldValue) -> Result<()> {
    // the rules do not depend on the pool type
    check_value(PoolType::Dir, field, v)
}

/// Every permission of `p` through its rule.
pub(crate) fn check_permissions(p: &Permissions) -> Result<()> {
    check_permission(F::Mode, &p.mode.into())?;
    check_permission(F::Owner, &p.owner.into())?;
    check_permission(F::Group, &p.group.into())?;
    check_permission(F::Label, &p.label.clone().into())
}

fn target(p: &mut PoolParts) -> &mut Target {
    p.target.get_or_insert_with(|| Target::new(""))
}

fn permissions(p: &mut PoolParts) -> &mut Permissions {
    target(p)
        .permissions
        .get_or_insert_with(Permissions::default)
}

/// Check and apply `fields` to `p`, a definition of type `ty`: each field must belong
/// to the type and be given once; the authentication is checked as a whole.
fn apply(ty: PoolType, p: &mut PoolParts, fields: &[(PoolField, FieldValue)]) -> Result<()> {
    // in the table's order, whatever the caller's: a port after its host
    let position = |f: &PoolField| ty.fields().iter().position(|r| r.field == *f);
    let mut fields = fields.to_vec();
    fields.sort_by_key(|(f, _)| position(f).unwrap_or(usize::MAX));
    let fields = &fields[..];
    let mut auth = AuthDraft::from(p.auth.as_ref());
    // a logical pool's target follows from its volume group: remember what was asked
    let mut logical_target = None;
    for (i, (field, value)) in fields.iter().enumerate() {
        if !ty.has_field(*field) {
            return Err(no_field(ty, *field));
        }
        if fields[..i].iter().any(|(f, _)| f == field) {
            return Err(Error::invalid(field.as_str(), "is given twice"));
        }
        if value.is_unset() && ty.fields().iter().any(|r| r.field == *field && r.required) {
            return Err(required(ty, *field));
        }
        check_value(ty, *field, value)?;
        if ty == PoolType::Logical && *field == F::Target {
            logical_target = value.text(field.as_str())?.map(str::to_owned);
            continue;
        }
        put(p, *field, value, &mut auth)?;
    }
    if auth.touched {
        p.auth = auth.finish(ty)?;
    }
    if let Some(t) = logical_target {
        let vg = p.source_name.as_deref().unwrap_or(&p.name);
        let expected = format!("/dev/{vg}");
        if super::parts::sanitize_path(&t) != expected {
            return Err(Error::invalid(
                F::Target.as_str(),
                format!("a logical pool's target is {expected}, not {t:?}"),
            ));
        }
    }
    Ok(())
}

impl PoolSpec {
    /// A spec of type `ty` from named fields: what the Python constructors, the C
    /// constructors and manifests make specs with. Fields the type does not have,
    /// fields given twice, missing required fields and bad values are refused naming
    /// the field; a missing target is virt-install's default
    /// ([`PoolType::default_target`]); the spec is validated.
    pub fn from_fields(
        ty: PoolType,
        fields: impl IntoIterator<Item = (PoolField, FieldValue)>,
    ) -> Result<PoolSpec> {
        let fields: Vec<_> = fields.into_iter().filter(|(_, v)| !v.is_unset()).collect();
        for rule in ty.fields().iter().filter(|r| r.required) {
            if !fields.iter().any(|(f, _)| *f == rule.field) {
                return Err(required(ty, rule.field));
            }
        }
        let mut p = PoolParts::new(ty, "");
        apply(ty, &mut p, &fields)?;
        if p.target.as_ref().is_none_or(|t| t.path.is_empty()) {
            if let Some(path) = ty.default_target(&p.name) {
                target(&mut p).path = path;
            }
        }
        // checked before libvirt's parse rules, so that errors name the caller's fields
        validate(&p)?;
        PoolSpec::from_parts(p)
    }

    /// Set one field by name (what the C setters do). The type must have the field and
    /// the value must be right for it; otherwise the spec is left as it was.
    pub fn set(&mut self, field: PoolField, value: impl Into<FieldValue>) -> Result<()> {
        self.set_fields([(field, value.into())])
    }

    /// Set several fields at once, all or none: fields that are only right together
    /// (a user name and its secret) are checked together.
    pub fn set_fields(
        &mut self,
        fields: impl IntoIterator<Item = (PoolField, FieldValue)>,
    ) -> Result<()> {
        let fields: Vec<_> = fields.into_iter().collect();
        let ty = self.pool_type();
        let mut p = self.to_parts();
        apply(ty, &mut p, &fields)?;
        *self = PoolSpec::from_parts(p)?;
        Ok(())
    }

    /// Add a monitor to an rbd pool (`port`: `None` for Ceph's default).
    pub fn add_host(&mut self, name: &str, tcp_port: Option<i128>) -> Result<()> {
        let ty = self.pool_type();
        if !ty.has_field(F::Hosts) {
            return Err(no_field(ty, F::Hosts));
        }
        let i = match self.get(F::Hosts) {
            FieldValue::List(l) => l.len(),
            _ => 0,
        };
        let f = format!("{}[{i}]", F::Hosts.as_str());
        check::host_name(&f, name)?;
        let port = tcp_port.map(|n| port(F::Port.as_str(), n)).transpose()?;
        let mut p = self.to_parts();
        p.hosts.push(Host {
            name: name.to_owned(),
            port,
        });
        *self = PoolSpec::from_parts(p)?;
        Ok(())
    }

    /// Append to a list field: text to `devices`, `hosts` or `mount_options`, a pair
    /// (`FieldValue::Pairs`) to `config_options`.
    pub fn add(&mut self, field: PoolField, item: impl Into<FieldValue>) -> Result<()> {
        let joined = join(self.get(field), item.into());
        self.set(field, joined)
    }

    /// Set the source's name, whatever the type calls it (`vg`, `source_name`,
    /// `volume`, `zpool`, `cluster`).
    pub fn set_source_name(&mut self, value: impl Into<FieldValue>) -> Result<()> {
        let field = [F::Vg, F::SourceName, F::Volume, F::Zpool, F::Cluster]
            .into_iter()
            .find(|f| self.pool_type().has_field(*f))
            .unwrap_or(F::SourceName);
        self.set(field, value)
    }

    /// Set the source directory, whatever the type calls it (`source_path` for netfs,
    /// `dir` for gluster).
    pub fn set_source_dir(&mut self, value: impl Into<FieldValue>) -> Result<()> {
        let field = if self.pool_type().has_field(F::Dir) {
            F::Dir
        } else {
            F::SourcePath
        };
        self.set(field, value)
    }

    /// The value of one field (`Unset` when the spec leaves it to its default or the
    /// type has no such field).
    pub fn get(&self, field: PoolField) -> FieldValue {
        if !self.pool_type().has_field(field) {
            return FieldValue::Unset;
        }
        get(&self.to_parts(), field)
    }

    /// Every field the spec sets, in the table's order: what a manifest or a Python
    /// `repr` shows.
    pub fn fields(&self) -> Vec<(PoolField, FieldValue)> {
        let p = self.to_parts();
        self.pool_type()
            .fields()
            .iter()
            .map(|r| (r.field, get(&p, r.field)))
            .filter(|(_, v)| !v.is_unset())
            .collect()
    }
}

/// [`PoolSpec::validate`]: every field of the table through [`check_value`], then what
/// only holds between fields.
pub(crate) fn validate(p: &PoolParts) -> Result<()> {
    let ty = p.pool_type();
    for rule in ty.fields() {
        let value = get(p, rule.field);
        // fc_host and parent-address adapters have no one-text form: checked below
        let present = !value.is_unset() || (rule.field == F::Adapter && p.adapter.is_some());
        if !present && rule.required {
            return Err(required(ty, rule.field));
        }
        check_value(ty, rule.field, &value)?;
    }
    if let Some(adapter) = &p.adapter {
        adapter.validate(F::Adapter.as_str())?;
    }
    if let Some(a) = &p.auth {
        check_auth_type(ty, a.auth_type)?;
    }
    if let (Some(_), Some(format)) = (&p.protocol_ver, &p.format) {
        if !matches!(format.as_str(), "auto" | "nfs") {
            return Err(Error::invalid(
                F::ProtocolVersion.as_str(),
                format!("a protocol version is only for nfs, not {format}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value of the right shape for every field, valid for `ty`.
    fn sample(ty: PoolType, field: PoolField) -> FieldValue {
        match field {
            F::Name => "p".into(),
            F::Uuid | F::AuthSecretUuid => "8c7c1f1e-1a2b-4c3d-9e8f-0a1b2c3d4e5f".into(),
            F::Target if ty == PoolType::Logical => "/dev/p".into(),
            F::Target | F::SourceDev | F::Device | F::Dir => "/srv/x".into(),
            F::Devices => FieldValue::List(vec!["/dev/sdb".into()]),
            F::Hosts => FieldValue::List(vec!["mon1".into()]),
            F::Mode => FieldValue::Int(0o755),
            F::Owner | F::Group | F::Port => FieldValue::Int(107),
            F::Iqn | F::Initiator => "iqn.2024-01.org.example:t".into(),
            F::Adapter => "host0".into(),
            F::Format => match ty {
                PoolType::Fs => "ext4",
                PoolType::Netfs => "nfs",
                PoolType::Disk => "gpt",
                _ => "lvm2",
            }
            .into(),
            F::ProtocolVersion => "4".into(),
            F::AuthType => ty.auth_type().map(|t| t.as_str()).unwrap_or("chap").into(),
            F::Cow | F::PartSeparator => true.into(),
            F::MountOptions => FieldValue::List(vec!["noatime".into()]),
            F::ConfigOptions => FieldValue::Pairs(vec![("a".into(), "b".into())]),
            F::RefreshAllocation => "capacity".into(),
            F::Vg | F::Zpool => "p".into(),
            _ => "x".into(),
        }
    }

    /// Every field of every type, alone on top of the required ones.
    #[test]
    fn every_field_of_the_table_round_trips() {
        for &ty in PoolType::ALL {
            let required: Vec<_> = ty
                .fields()
                .iter()
                .filter(|r| r.required)
                .map(|r| (r.field, sample(ty, r.field)))
                .collect();
            let base =
                PoolSpec::from_fields(ty, required.clone()).unwrap_or_else(|e| panic!("{ty}: {e}"));
            for rule in ty.fields() {
                let value = sample(ty, rule.field);
                let mut fields = required.clone();
                fields.retain(|(f, _)| *f != rule.field);
                fields.push((rule.field, value.clone()));
                if matches!(rule.field, F::AuthUsername | F::AuthType) {
                    fields.push((F::AuthSecretUsage, "s".into()));
                }
                if rule.field == F::AuthType {
                    fields.push((F::AuthUsername, "u".into()));
                }
                if matches!(rule.field, F::AuthSecretUuid | F::AuthSecretUsage) {
                    fields.push((F::AuthUsername, "u".into()));
                }
                let spec = PoolSpec::from_fields(ty, fields)
                    .unwrap_or_else(|e| panic!("{ty} {}: {e}", rule.field));
                assert_eq!(spec.get(rule.field), value, "{ty} {}", rule.field);
                // the same through a setter on a spec of the type
                let mut edited = base.clone();
                if !matches!(
                    rule.field,
                    F::AuthType | F::AuthUsername | F::AuthSecretUuid | F::AuthSecretUsage
                ) {
                    edited
                        .set(rule.field, value.clone())
                        .unwrap_or_else(|e| panic!("{ty} set {}: {e}", rule.field));
                }
            }
        }
    }

    #[test]
    fn fields_a_type_lacks_are_refused_by_name() {
        for &ty in PoolType::ALL {
            let required = ty
                .fields()
                .iter()
                .filter(|r| r.required)
                .map(|r| (r.field, sample(ty, r.field)));
            let base = PoolSpec::from_fields(ty, required).unwrap();
            for &field in PoolField::ALL.iter().filter(|f| !ty.has_field(**f)) {
                let e = base.clone().set(field, sample(ty, field)).unwrap_err();
                assert_eq!(e.field(), Some(field.as_str()), "{e}");
                assert_eq!(
                    e.to_string(),
                    format!("{field}: {ty} pools have no such field")
                );
            }
        }
    }

    #[test]
    fn required_fields_and_defaults() {
        let e = PoolSpec::from_fields(PoolType::Netfs, [(F::Name, "n".into())]).unwrap_err();
        assert_eq!(e.to_string(), "host: is required for netfs pools");
        let dir = PoolSpec::from_fields(PoolType::Dir, [(F::Name, "d".into())]).unwrap();
        assert_eq!(
            dir.target_path().as_deref(),
            Some("/var/lib/libvirt/images/d")
        );
        let lv = PoolSpec::from_fields(PoolType::Logical, [(F::Name, "kvmvg".into())]).unwrap();
        assert_eq!(lv.target_path().as_deref(), Some("/dev/kvmvg"));
        let e = PoolSpec::from_fields(
            PoolType::Logical,
            [(F::Name, "kvmvg".into()), (F::Target, "/dev/other".into())],
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("target"));
    }

    #[test]
    fn auth_is_checked_as_a_whole() {
        let base = [
            (F::Name, FieldValue::from("s")),
            (F::Host, "h".into()),
            (F::Iqn, "iqn.2024-01.org.example:t".into()),
        ];
        let both = base.iter().cloned().chain([
            (F::AuthUsername, "u".into()),
            (
                F::AuthSecretUuid,
                "8c7c1f1e-1a2b-4c3d-9e8f-0a1b2c3d4e5f".into(),
            ),
            (F::AuthSecretUsage, "x".into()),
        ]);
        let e = PoolSpec::from_fields(PoolType::Iscsi, both).unwrap_err();
        assert_eq!(
            e.to_string(),
            "auth_secret_usage: give either auth_secret_uuid or auth_secret_usage, not both"
        );
        let alone = base
            .iter()
            .cloned()
            .chain([(F::AuthSecretUsage, "x".into())]);
        let e = PoolSpec::from_fields(PoolType::Iscsi, alone).unwrap_err();
        assert_eq!(e.field(), Some("auth_username"));
        let ceph = base.iter().cloned().chain([(F::AuthType, "ceph".into())]);
        let e = PoolSpec::from_fields(PoolType::Iscsi, ceph).unwrap_err();
        assert_eq!(
            e.to_string(),
            "auth_type: iscsi pools authenticate with chap, not ceph"
        );
    }

    #[test]
    fn values_of_the_wrong_shape_are_refused() {
        let e = PoolSpec::from_fields(
            PoolType::Netfs,
            [
                (F::Name, "n".into()),
                (F::Host, "h".into()),
                (F::SourcePath, "/x".into()),
                (F::Port, "2049".into()),
            ],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "port: must be an integer, not text");
        let e = PoolSpec::from_fields(PoolType::Dir, [(F::Name, FieldValue::Int(3))]).unwrap_err();
        assert_eq!(e.to_string(), "name: must be text, not an integer");
    }

    #[test]
    fn virsh_pool_define_as_arguments() {
        // the tutorial's steps, as virsh gives them
        let iscsi = PoolSpec::from_virsh_args(
            PoolType::Iscsi,
            "storage01",
            &[
                ("source-host", "192.168.2.20"),
                ("source-dev", "iqn.2017-10.com.cloud.www:storage001"),
                ("target", "/dev/disk/by-path"),
            ],
        )
        .unwrap();
        assert_eq!(
            iscsi.get(F::Iqn),
            "iqn.2017-10.com.cloud.www:storage001".into()
        );
        let nfs = PoolSpec::from_virsh_args(
            PoolType::Netfs,
            "kvmnfs",
            &[
                ("source-host", "192.168.2.20:2049"),
                ("source-path", "/nfsshare"),
                ("target", "/nfstest"),
            ],
        )
        .unwrap();
        assert_eq!(nfs.get(F::Port), FieldValue::Int(2049));
        let lv = PoolSpec::from_virsh_args(
            PoolType::Logical,
            "kvmvg",
            &[("source-name", "kvmvg"), ("target", "/dev/kvmvg")],
        )
        .unwrap();
        assert_eq!(lv.target_path().as_deref(), Some("/dev/kvmvg"));
        let e = PoolSpec::from_virsh_args(PoolType::Dir, "d", &[("source-host", "h")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--source-host: dir pools have no field that this option sets"
        );
        assert_eq!(split_port("[::1]:3260"), ("::1", Some("3260")));
        assert_eq!(split_port("fe80::1"), ("fe80::1", None));
    }
}
