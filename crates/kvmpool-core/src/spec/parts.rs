//! Building blocks shared by several pool types and by volumes: hosts, devices,
//! adapters, authentication, permissions, targets.

use uuid::Uuid;

use super::check;
use super::names::string_enum;
use crate::error::{Error, Result};

/// A storage server: `<host name='...' port='...'/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Host name or IP address.
    pub name: String,
    /// TCP port; `None` for the protocol's default.
    pub port: Option<u16>,
}

impl Host {
    /// A host on the protocol's default port.
    pub fn new(name: impl Into<String>) -> Self {
        Host {
            name: name.into(),
            port: None,
        }
    }

    /// Set the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    pub(crate) fn validate(&self, field: &str) -> Result<()> {
        check::host_name(&format!("{field}.name"), &self.name)
    }
}

impl From<&str> for Host {
    fn from(name: &str) -> Self {
        Host::new(name)
    }
}

impl From<String> for Host {
    fn from(name: String) -> Self {
        Host::new(name)
    }
}

/// A source device: `<device path='...' part_separator='yes|no'/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDevice {
    /// Device path (or, for iSCSI, the target IQN).
    pub path: String,
    /// Disk pools: whether partition names get a `p` before the number.
    pub part_separator: Option<bool>,
}

impl SourceDevice {
    /// A device by path.
    pub fn new(path: impl Into<String>) -> Self {
        SourceDevice {
            path: path.into(),
            part_separator: None,
        }
    }
}

impl From<&str> for SourceDevice {
    fn from(path: &str) -> Self {
        SourceDevice::new(path)
    }
}

impl From<String> for SourceDevice {
    fn from(path: String) -> Self {
        SourceDevice::new(path)
    }
}

string_enum! {
    /// Pool authentication type.
    pub enum AuthType {
        /// iSCSI CHAP.
        Chap = "chap",
        /// Ceph (cephx).
        Ceph = "ceph",
    }
}

/// A libvirt secret, by UUID or by usage name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// `<secret uuid='...'/>`
    Uuid(Uuid),
    /// `<secret usage='...'/>`
    Usage(String),
}

impl SecretRef {
    pub(crate) fn validate(&self, field: &str) -> Result<()> {
        match self {
            SecretRef::Uuid(_) => Ok(()),
            SecretRef::Usage(u) => check::text(&format!("{field}.usage"), u),
        }
    }
}

/// Authentication to the storage server: `<auth type='chap' username='...'><secret .../></auth>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// CHAP or Ceph.
    pub auth_type: AuthType,
    /// User name.
    pub username: String,
    /// The secret holding the password or key.
    pub secret: SecretRef,
}

impl Auth {
    /// CHAP authentication with a secret.
    pub fn chap(username: impl Into<String>, secret: SecretRef) -> Self {
        Auth {
            auth_type: AuthType::Chap,
            username: username.into(),
            secret,
        }
    }

    /// Ceph authentication with a secret.
    pub fn ceph(username: impl Into<String>, secret: SecretRef) -> Self {
        Auth {
            auth_type: AuthType::Ceph,
            username: username.into(),
            secret,
        }
    }
}

/// A PCI address, as in `<address domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PciAddress {
    /// PCI domain.
    pub domain: u16,
    /// Bus.
    pub bus: u8,
    /// Slot (0-31).
    pub slot: u8,
    /// Function (0-7).
    pub function: u8,
}

/// A Fibre Channel host adapter (NPIV): `<adapter type='fc_host' .../>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcHostAdapter {
    /// World wide node name of the vHBA.
    pub wwnn: String,
    /// World wide port name of the vHBA.
    pub wwpn: String,
    /// Parent HBA by name (`scsi_host5`).
    pub parent: Option<String>,
    /// Parent HBA by WWNN (with `parent_wwpn`).
    pub parent_wwnn: Option<String>,
    /// Parent HBA by WWPN (with `parent_wwnn`).
    pub parent_wwpn: Option<String>,
    /// Parent HBA by fabric WWN.
    pub parent_fabric_wwn: Option<String>,
    /// Whether libvirt created (and will delete) the vHBA.
    pub managed: Option<bool>,
}

impl FcHostAdapter {
    /// An fc_host adapter by WWNN and WWPN.
    pub fn new(wwnn: impl Into<String>, wwpn: impl Into<String>) -> Self {
        FcHostAdapter {
            wwnn: wwnn.into(),
            wwpn: wwpn.into(),
            parent: None,
            parent_wwnn: None,
            parent_wwpn: None,
            parent_fabric_wwn: None,
            managed: None,
        }
    }
}

/// The SCSI host adapter of a `scsi` pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adapter {
    /// `<adapter type='scsi_host' name='host0'/>`
    ScsiHost {
        /// `scsi_hostN` or `hostN`.
        name: String,
    },
    /// `<adapter name='host0'/>`: the form from before adapter types; kept as written.
    LegacyScsiHost {
        /// `hostN`.
        name: String,
    },
    /// A scsi_host found by its parent PCI device, stable across reboots.
    ScsiHostByParent {
        /// The `unique_id` of the scsi_host under that PCI device.
        unique_id: u32,
        /// The PCI address of the parent device.
        address: PciAddress,
    },
    /// A Fibre Channel vHBA.
    FcHost(FcHostAdapter),
}

impl Adapter {
    /// A scsi_host adapter by name (`host0`).
    pub fn scsi_host(name: impl Into<String>) -> Self {
        Adapter::ScsiHost { name: name.into() }
    }

    pub(crate) fn validate(&self, field: &str) -> Result<()> {
        match self {
            Adapter::ScsiHost { name } | Adapter::LegacyScsiHost { name } => {
                check::scsi_host(&format!("{field}.name"), name)
            }
            Adapter::ScsiHostByParent { .. } => Ok(()),
            Adapter::FcHost(fc) => {
                check::wwn(&format!("{field}.wwnn"), &fc.wwnn)?;
                check::wwn(&format!("{field}.wwpn"), &fc.wwpn)?;
                match (&fc.parent_wwnn, &fc.parent_wwpn) {
                    (Some(n), Some(p)) => {
                        check::wwn(&format!("{field}.parent_wwnn"), n)?;
                        check::wwn(&format!("{field}.parent_wwpn"), p)?;
                    }
                    (Some(_), None) => {
                        return Err(Error::invalid(
                            format!("{field}.parent_wwpn"),
                            "is required when parent_wwnn is given",
                        ))
                    }
                    (None, Some(_)) => {
                        return Err(Error::invalid(
                            format!("{field}.parent_wwnn"),
                            "is required when parent_wwpn is given",
                        ))
                    }
                    (None, None) => {}
                }
                if let Some(f) = &fc.parent_fabric_wwn {
                    check::wwn(&format!("{field}.parent_fabric_wwn"), f)?;
                }
                if let Some(p) = &fc.parent {
                    check::scsi_host(&format!("{field}.parent"), p)?;
                }
                Ok(())
            }
        }
    }
}

/// Ownership, mode and security label: `<permissions>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    /// Octal mode, at most `0o777`.
    pub mode: Option<u32>,
    /// Owner uid (`-1`, which older libvirt wrote, means "unchanged").
    pub owner: Option<i64>,
    /// Group gid (`-1` means "unchanged").
    pub group: Option<i64>,
    /// Security label (SELinux context).
    pub label: Option<String>,
}

impl Permissions {
    /// Permissions with only a mode.
    pub fn mode(mode: u32) -> Self {
        Permissions {
            mode: Some(mode),
            ..Permissions::default()
        }
    }

    /// Set the owner uid.
    pub fn owner(mut self, uid: u32) -> Self {
        self.owner = Some(i64::from(uid));
        self
    }

    /// Set the group gid.
    pub fn group(mut self, gid: u32) -> Self {
        self.group = Some(i64::from(gid));
        self
    }

    /// Set the security label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// True when nothing is set (libvirt then writes no `<permissions>`).
    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.owner.is_none() && self.group.is_none() && self.label.is_none()
    }
}

/// Where a pool's volumes appear on the host: `<target><path/><permissions/></target>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Absolute path (directory or device directory).
    pub path: String,
    /// Permissions libvirt applies to the path.
    pub permissions: Option<Permissions>,
}

impl Target {
    /// A target path without permissions.
    pub fn new(path: impl Into<String>) -> Self {
        Target {
            path: path.into(),
            permissions: None,
        }
    }
}

impl From<&str> for Target {
    fn from(path: &str) -> Self {
        Target::new(path)
    }
}

impl From<String> for Target {
    fn from(path: String) -> Self {
        Target::new(path)
    }
}

/// libvirt's path clean-up (`virFileSanitizePath`): collapse repeated `/` and drop a
/// trailing one, keeping a leading `//` as POSIX allows.
pub(crate) fn sanitize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let keep_double = path.starts_with("//") && !path.starts_with("///");
    let mut prev_slash = false;
    for c in path.chars() {
        if c == '/' && prev_slash {
            continue;
        }
        prev_slash = c == '/';
        out.push(c);
    }
    if keep_double {
        out.insert(0, '/');
    }
    while out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_matches_libvirt() {
        assert_eq!(
            sanitize_path("///var/////lib/libvirt/images//"),
            "/var/lib/libvirt/images"
        );
        assert_eq!(sanitize_path("/"), "/");
        assert_eq!(sanitize_path("//srv/x"), "//srv/x");
        assert_eq!(sanitize_path("volume"), "volume");
        assert_eq!(sanitize_path("/sub/"), "/sub");
    }

    #[test]
    fn fc_parent_pairs() {
        let mut fc = FcHostAdapter::new("20000000c9831b4b", "10000000c9831b4b");
        Adapter::FcHost(fc.clone())
            .validate("source.adapter")
            .unwrap();
        fc.parent_wwnn = Some("20000000c9831b4b".into());
        let e = Adapter::FcHost(fc).validate("source.adapter").unwrap_err();
        assert_eq!(e.field(), Some("source.adapter.parent_wwpn"));
    }
}
