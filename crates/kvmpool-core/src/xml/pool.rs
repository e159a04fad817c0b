//! `<pool>` XML, following libvirt's `storage_conf.c`: which source elements a pool
//! type reads and writes, in libvirt's order and with libvirt's defaults.

use std::sync::Arc;

use uuid::Uuid;

use super::doc::Doc;
use super::parts::{
    read_permissions, read_secret_ref, write_permissions, write_secret_ref, write_size,
};
use super::read::Cursor;
use super::tree::OwnedElement;
use super::write::XmlWriter;
use crate::error::{Error, Result};
use crate::spec::parts::sanitize_path;
use crate::spec::{
    Adapter, Auth, FcHostAdapter, Host, PciAddress, PoolType, RefreshAllocation, SourceDevice,
    Target,
};
use crate::units::Size;

/// Namespace of `<fs:mount_opts>` (fs and netfs pools).
pub const FS_NAMESPACE: &str = "http://libvirt.org/schemas/storagepool/fs/1.0";
/// Namespace of `<rbd:config_opts>` (rbd pools).
pub const RBD_NAMESPACE: &str = "http://libvirt.org/schemas/storagepool/rbd/1.0";

/// libvirt's generic pool definition: every field any type has. The typed specs
/// convert to and from it; which fields a type reads and writes is decided here,
/// by [`Layout`].
#[derive(Debug, Clone, Default)]
pub(crate) struct PoolParts {
    pub ty: Option<PoolType>,
    pub name: String,
    pub uuid: Option<Uuid>,
    pub cow: Option<bool>,
    pub hosts: Vec<Host>,
    pub devices: Vec<SourceDevice>,
    pub dir: Option<String>,
    pub adapter: Option<Adapter>,
    pub source_name: Option<String>,
    pub initiator: Option<String>,
    pub format: Option<String>,
    pub auth: Option<Auth>,
    pub protocol_ver: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub target: Option<Target>,
    pub refresh: Option<RefreshAllocation>,
    pub mount_opts: Vec<String>,
    pub config_opts: Vec<(String, String)>,
    pub extra: Option<Arc<OwnedElement>>,
}

impl PoolParts {
    pub fn new(ty: PoolType, name: &str) -> Self {
        PoolParts {
            ty: Some(ty),
            name: name.to_owned(),
            ..PoolParts::default()
        }
    }

    pub fn pool_type(&self) -> PoolType {
        self.ty.expect("pool parts always have a type")
    }

    /// Take the values this definition leaves open from `other`.
    pub fn fill_unset_from(&mut self, other: &PoolParts) {
        fn fill<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        fill(&mut self.uuid, &other.uuid);
        fill(&mut self.cow, &other.cow);
        fill(&mut self.initiator, &other.initiator);
        fill(&mut self.auth, &other.auth);
        fill(&mut self.protocol_ver, &other.protocol_ver);
        fill(&mut self.vendor, &other.vendor);
        fill(&mut self.product, &other.product);
        fill(&mut self.refresh, &other.refresh);
        for (mine, theirs) in self.hosts.iter_mut().zip(&other.hosts) {
            if mine.name == theirs.name {
                fill(&mut mine.port, &theirs.port);
            }
        }
        for (mine, theirs) in self.devices.iter_mut().zip(&other.devices) {
            if mine.path == theirs.path {
                fill(&mut mine.part_separator, &theirs.part_separator);
            }
        }
        if let (Some(mine), Some(theirs)) = (&mut self.target, &other.target) {
            match (&mut mine.permissions, &theirs.permissions) {
                (None, t) => mine.permissions.clone_from(t),
                (Some(m), Some(t)) => {
                    fill(&mut m.mode, &t.mode);
                    fill(&mut m.owner, &t.owner);
                    fill(&mut m.group, &t.group);
                    fill(&mut m.label, &t.label);
                }
                (Some(_), None) => {}
            }
        }
    }
}

/// How many of an element a type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    None,
    One,
    Many,
}

/// Which source elements a type has (libvirt's `poolTypeInfo` flags) and which of the
/// optional parts it accepts.
#[derive(Debug, Clone, Copy)]
struct Layout {
    hosts: Count,
    devices: Count,
    dir: bool,
    adapter: bool,
    name: bool,
    initiator: bool,
    format: bool,
    auth: bool,
    protocol: bool,
    vendor_product: bool,
    cow: bool,
    mount_opts: bool,
    config_opts: bool,
}

impl Layout {
    fn of(ty: PoolType) -> Layout {
        use Count::*;
        let none = Layout {
            hosts: None,
            devices: None,
            dir: false,
            adapter: false,
            name: false,
            initiator: false,
            format: false,
            auth: false,
            protocol: false,
            vendor_product: false,
            cow: false,
            mount_opts: false,
            config_opts: false,
        };
        match ty {
            PoolType::Dir => Layout { cow: true, ..none },
            PoolType::Fs => Layout {
                devices: One,
                format: true,
                cow: true,
                mount_opts: true,
                ..none
            },
            PoolType::Netfs => Layout {
                hosts: One,
                dir: true,
                format: true,
                protocol: true,
                mount_opts: true,
                ..none
            },
            PoolType::Logical => Layout {
                devices: Many,
                name: true,
                format: true,
                ..none
            },
            PoolType::Disk => Layout {
                devices: One,
                format: true,
                ..none
            },
            PoolType::Iscsi => Layout {
                hosts: One,
                devices: One,
                initiator: true,
                auth: true,
                vendor_product: true,
                ..none
            },
            PoolType::IscsiDirect => Layout {
                hosts: One,
                devices: One,
                initiator: true,
                auth: true,
                ..none
            },
            PoolType::Scsi => Layout {
                adapter: true,
                ..none
            },
            PoolType::Mpath => none,
            PoolType::Rbd => Layout {
                hosts: Many,
                name: true,
                auth: true,
                config_opts: true,
                ..none
            },
            PoolType::Sheepdog => Layout {
                hosts: One,
                name: true,
                ..none
            },
            PoolType::Gluster => Layout {
                hosts: One,
                dir: true,
                name: true,
                ..none
            },
            PoolType::Zfs => Layout {
                devices: Many,
                name: true,
                ..none
            },
            PoolType::Vstorage => Layout { name: true, ..none },
        }
    }
}

/// Parse a `<pool>` document.
pub(crate) fn read(xml: &str) -> Result<PoolParts> {
    let mut doc = Doc::parse(xml)?;
    if doc.els[0].name != "pool" {
        return Err(Error::invalid(
            "xml",
            format!("the root element is <{}>, expected <pool>", doc.els[0].name),
        ));
    }
    let mut c = Cursor::new(&mut doc, "");
    let ty: PoolType = c
        .parsed_attr("type")?
        .ok_or_else(|| Error::invalid("type", "the pool type is required"))?;
    let layout = Layout::of(ty);
    let fs_prefix = take_namespace(&mut c, layout.mount_opts, FS_NAMESPACE);
    let rbd_prefix = take_namespace(&mut c, layout.config_opts, RBD_NAMESPACE);

    let mut p = PoolParts::new(ty, "");
    let name = c.child_text("name")?;
    // An empty <uuid/> is no UUID: libvirt generates one, as when it is absent.
    p.uuid = match c.child_str("uuid")?.filter(|u| !u.trim().is_empty()) {
        None => None,
        Some(u) => Some(
            Uuid::parse_str(u.trim()).map_err(|e| Error::invalid("uuid", format!("{u:?}: {e}")))?,
        ),
    };
    // Runtime figures: checked, not kept (libvirt's parser ignores them too).
    for size in ["capacity", "allocation", "available"] {
        c.child_size(size)?;
    }
    p.cow = c
        .child("features", |f| f.child("cow", |cow| cow.bool_attr("state")))?
        .flatten()
        .flatten();
    if p.cow.is_some() && !layout.cow {
        return Err(Error::invalid(
            "features.cow",
            "copy-on-write control is only for dir and fs pools",
        ));
    }
    c.child("source", |s| read_source(s, layout, &mut p))?;
    // libvirt takes the name of an rbd pool's Ceph pool from nowhere else
    if ty == PoolType::Rbd && p.source_name.is_none() {
        return Err(Error::invalid("source.name", "is required for rbd pools"));
    }
    p.name = match (name, &p.source_name) {
        (Some(n), _) => n,
        (None, Some(source_name)) if layout.name => source_name.clone(),
        _ => return Err(Error::invalid("name", "the pool name is required")),
    };
    if layout.name && p.source_name.is_none() {
        p.source_name = Some(p.name.clone());
    }
    if ty == PoolType::Gluster && p.dir.is_none() {
        p.dir = Some("/".into());
    }
    if ty.has_target() {
        p.target = c.child("target", |t| {
            let path = t.child_text("path")?.map(|s| sanitize_path(&s));
            let permissions = read_permissions(t)?;
            Ok(Target {
                path: path.unwrap_or_default(),
                permissions,
            })
        })?;
    }
    if ty == PoolType::Rbd {
        p.refresh = c
            .child("refresh", |r| {
                r.child("volume", |v| v.parsed_attr("allocation"))
            })?
            .flatten()
            .flatten();
    }
    if let Some(prefix) = fs_prefix {
        let opts = format!("{prefix}:mount_opts");
        let option = format!("{prefix}:option");
        p.mount_opts = c
            .child(&opts, |m| m.children(&option, |o| o.required_attr("name")))?
            .unwrap_or_default();
    }
    if let Some(prefix) = rbd_prefix {
        let opts = format!("{prefix}:config_opts");
        let option = format!("{prefix}:option");
        p.config_opts = c
            .child(&opts, |m| {
                m.children(&option, |o| {
                    Ok((o.required_attr("name")?, o.required_attr("value")?))
                })
            })?
            .unwrap_or_default();
    }
    p.extra = c.into_residue().map(Arc::new);
    Ok(p)
}

/// Take the `xmlns:PREFIX='uri'` declaration of a namespace the type uses.
fn take_namespace(c: &mut Cursor<'_, '_>, used: bool, uri: &str) -> Option<String> {
    if !used {
        return None;
    }
    let names = c.attr_names();
    let key = names
        .into_iter()
        .find(|k| k.starts_with("xmlns:") && c.peek_attr(k) == Some(uri))?;
    c.attr(&key);
    Some(key["xmlns:".len()..].to_owned())
}

fn read_source(s: &mut Cursor<'_, '_>, layout: Layout, p: &mut PoolParts) -> Result<()> {
    if layout.hosts != Count::None {
        let mut hosts = Vec::new();
        s.children("host", |h| {
            if layout.hosts == Count::One && !hosts.is_empty() {
                return Ok(());
            }
            let name = h.required_attr("name")?;
            let port = match h.parsed_attr::<i64>("port")? {
                None | Some(0) => None,
                Some(n) => Some(
                    u16::try_from(n)
                        .map_err(|_| h.invalid("port", format!("{n} is outside 0-65535")))?,
                ),
            };
            hosts.push(Host { name, port });
            Ok(())
        })?;
        p.hosts = hosts;
    }
    if layout.devices != Count::None {
        let mut devices = Vec::new();
        s.children("device", |d| {
            if layout.devices == Count::One && !devices.is_empty() {
                return Ok(());
            }
            devices.push(SourceDevice {
                path: d.required_attr("path")?,
                part_separator: d.bool_attr("part_separator")?,
            });
            Ok(())
        })?;
        p.devices = devices;
    }
    if layout.dir {
        p.dir = s.child_attr("dir", "path")?.map(|d| sanitize_path(&d));
    }
    if layout.adapter {
        p.adapter = s.child("adapter", read_adapter)?;
    }
    if layout.name {
        p.source_name = s.child_text("name")?;
    }
    if layout.initiator {
        p.initiator = s
            .child("initiator", |i| i.child_attr("iqn", "name"))?
            .flatten();
    }
    if layout.format {
        p.format = s.child_attr("format", "type")?;
    }
    if layout.auth {
        p.auth = s.child("auth", |a| {
            let auth_type = a
                .parsed_attr("type")?
                .ok_or_else(|| a.invalid("type", "the auth type is required (chap or ceph)"))?;
            let username = a.required_attr("username")?;
            let secret = a
                .child("secret", read_secret_ref)?
                .ok_or_else(|| a.invalid("secret", "is required"))?;
            Ok(Auth {
                auth_type,
                username,
                secret,
            })
        })?;
    }
    if layout.protocol {
        p.protocol_ver = s.child_attr("protocol", "ver")?;
    }
    if layout.vendor_product {
        p.vendor = s.child_attr("vendor", "name")?;
        p.product = s.child_attr("product", "name")?;
    }
    Ok(())
}

fn read_adapter(a: &mut Cursor<'_, '_>) -> Result<Adapter> {
    let ty = a.attr_string("type");
    match ty.as_deref() {
        None => {
            if a.has_attr("wwnn") || a.has_attr("wwpn") || a.has_attr("parent") {
                return Err(a.invalid("type", "wwnn, wwpn and parent need type='fc_host'"));
            }
            let name = a.required_attr("name")?;
            Ok(Adapter::LegacyScsiHost { name })
        }
        Some("scsi_host") => {
            let name = a.attr_string("name");
            let parent = a.child("parentaddr", |pa| {
                let unique_id = pa
                    .parsed_attr::<u32>("unique_id")?
                    .ok_or_else(|| pa.invalid("unique_id", "is required"))?;
                let address = pa
                    .child("address", read_pci_address)?
                    .ok_or_else(|| pa.invalid("address", "is required"))?;
                Ok((unique_id, address))
            })?;
            match (name, parent) {
                (Some(name), None) => Ok(Adapter::ScsiHost { name }),
                (None, Some((unique_id, address))) => {
                    Ok(Adapter::ScsiHostByParent { unique_id, address })
                }
                (Some(_), Some(_)) => {
                    Err(a.invalid("name", "give either a name or a parentaddr, not both"))
                }
                (None, None) => {
                    Err(a.invalid("name", "a scsi_host adapter needs a name or a parentaddr"))
                }
            }
        }
        Some("fc_host") => {
            let managed = a.bool_attr("managed")?;
            let mut fc = FcHostAdapter::new(a.required_attr("wwnn")?, a.required_attr("wwpn")?);
            fc.parent = a.attr_string("parent");
            fc.parent_wwnn = a.attr_string("parent_wwnn");
            fc.parent_wwpn = a.attr_string("parent_wwpn");
            fc.parent_fabric_wwn = a.attr_string("parent_fabric_wwn");
            fc.managed = managed;
            Ok(Adapter::FcHost(fc))
        }
        Some(other) => Err(a.invalid("type", format!("unknown adapter type {other:?}"))),
    }
}

fn read_pci_address(a: &mut Cursor<'_, '_>) -> Result<PciAddress> {
    // Each part may be left out, meaning 0 (libvirt's virPCIDeviceAddressParseXML).
    fn number(a: &mut Cursor<'_, '_>, name: &str, max: u32) -> Result<u32> {
        let Some(text) = a.attr_string(name) else {
            return Ok(0);
        };
        let t = text.trim();
        let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => t.parse(),
        };
        parsed
            .ok()
            .filter(|v| *v <= max)
            .ok_or_else(|| a.invalid(name, format!("{text:?} is not a number up to {max:#x}")))
    }
    Ok(PciAddress {
        domain: number(a, "domain", 0xffff)? as u16,
        bus: number(a, "bus", 0xff)? as u8,
        slot: number(a, "slot", 0x1f)? as u8,
        function: number(a, "function", 0x7)? as u8,
    })
}

/// Parse the `<sources>` document of `virConnectFindStoragePoolSources`: one set of
/// parts per `<source>`, read with the layout of `ty`.
pub(crate) fn read_sources(xml: &str, ty: PoolType) -> Result<Vec<PoolParts>> {
    let mut doc = Doc::parse(xml)?;
    if doc.els[0].name != "sources" {
        return Err(Error::invalid(
            "xml",
            format!(
                "the root element is <{}>, expected <sources>",
                doc.els[0].name
            ),
        ));
    }
    let mut c = Cursor::new(&mut doc, "sources");
    let layout = Layout::of(ty);
    c.children("source", |s| {
        let mut p = PoolParts::new(ty, "");
        read_source(s, layout, &mut p)?;
        Ok(p)
    })
}

/// A lone `<source>` element, as `find-storage-pool-sources` takes it.
pub(crate) fn write_source_only(p: &PoolParts) -> String {
    let mut w = XmlWriter::new(None);
    write_source(&mut w, Layout::of(p.pool_type()), p);
    w.finish()
}

/// Format a pool definition as libvirt does (`virStoragePoolDefFormatBuf`).
pub(crate) fn write(p: &PoolParts) -> String {
    let ty = p.pool_type();
    let layout = Layout::of(ty);
    let mut w = XmlWriter::new(p.extra.as_deref());
    w.open("pool").attr("type", ty.as_str());
    if layout.mount_opts && !p.mount_opts.is_empty() {
        w.attr("xmlns:fs", FS_NAMESPACE);
    }
    if layout.config_opts && !p.config_opts.is_empty() {
        w.attr("xmlns:rbd", RBD_NAMESPACE);
    }
    w.text_element("name", &p.name);
    if let Some(uuid) = p.uuid {
        w.text_element(
            "uuid",
            uuid.hyphenated().encode_lower(&mut Uuid::encode_buffer()),
        );
    }
    // A definition has no figures yet; libvirt writes zeros until the pool is refreshed.
    for size in ["capacity", "allocation", "available"] {
        write_size(&mut w, size, Size::ZERO);
    }
    if let Some(cow) = p.cow {
        w.open("features")
            .attr_element("cow", "state", if cow { "yes" } else { "no" })
            .close();
    }
    write_source(&mut w, layout, p);
    if ty.has_target() {
        if let Some(target) = &p.target {
            w.open("target").text_element("path", &target.path);
            if let Some(perms) = &target.permissions {
                write_permissions(&mut w, perms);
            }
            w.close();
        }
    }
    if let Some(refresh) = p.refresh {
        w.open("refresh")
            .attr_element("volume", "allocation", refresh.as_str())
            .close();
    }
    if layout.mount_opts && !p.mount_opts.is_empty() {
        w.open("fs:mount_opts");
        for opt in &p.mount_opts {
            w.attr_element("fs:option", "name", opt);
        }
        w.close();
    }
    if layout.config_opts && !p.config_opts.is_empty() {
        w.open("rbd:config_opts");
        for (name, value) in &p.config_opts {
            w.open("rbd:option")
                .attr("name", name)
                .attr("value", value)
                .close();
        }
        w.close();
    }
    w.close();
    w.finish()
}

fn write_source(w: &mut XmlWriter<'_>, layout: Layout, p: &PoolParts) {
    w.open("source");
    for host in &p.hosts {
        w.open("host").attr("name", &host.name);
        if let Some(port) = host.port {
            w.attr("port", &port.to_string());
        }
        w.close();
    }
    for dev in &p.devices {
        w.open("device").attr("path", &dev.path);
        if let Some(sep) = dev.part_separator {
            w.attr("part_separator", if sep { "yes" } else { "no" });
        }
        w.close();
    }
    if layout.dir {
        w.opt_attr_element("dir", "path", p.dir.as_deref());
    }
    if let Some(adapter) = &p.adapter {
        write_adapter(w, adapter);
    }
    if layout.name {
        w.opt_text_element("name", p.source_name.as_deref());
    }
    if let Some(iqn) = &p.initiator {
        w.open("initiator").attr_element("iqn", "name", iqn).close();
    }
    if layout.format {
        w.opt_attr_element("format", "type", p.format.as_deref());
    }
    if let Some(auth) = &p.auth {
        w.open("auth")
            .attr("type", auth.auth_type.as_str())
            .attr("username", &auth.username);
        w.open("secret");
        write_secret_ref(w, &auth.secret);
        w.close().close();
    }
    w.opt_attr_element("protocol", "ver", p.protocol_ver.as_deref());
    w.opt_attr_element("vendor", "name", p.vendor.as_deref());
    w.opt_attr_element("product", "name", p.product.as_deref());
    w.close();
}

fn write_adapter(w: &mut XmlWriter<'_>, adapter: &Adapter) {
    w.open("adapter");
    match adapter {
        Adapter::LegacyScsiHost { name } => {
            w.attr("name", name);
        }
        Adapter::ScsiHost { name } => {
            w.attr("type", "scsi_host").attr("name", name);
        }
        Adapter::ScsiHostByParent { unique_id, address } => {
            w.attr("type", "scsi_host");
            w.open("parentaddr")
                .attr("unique_id", &unique_id.to_string());
            w.open("address")
                .attr("domain", &format!("{:#06x}", address.domain))
                .attr("bus", &format!("{:#04x}", address.bus))
                .attr("slot", &format!("{:#04x}", address.slot))
                .attr("function", &format!("{:#x}", address.function))
                .close();
            w.close();
        }
        Adapter::FcHost(fc) => {
            w.attr("type", "fc_host")
                .opt_attr("parent", fc.parent.as_deref())
                .opt_attr("parent_wwnn", fc.parent_wwnn.as_deref())
                .opt_attr("parent_wwpn", fc.parent_wwpn.as_deref())
                .opt_attr("parent_fabric_wwn", fc.parent_fabric_wwn.as_deref());
            if let Some(managed) = fc.managed {
                w.attr("managed", if managed { "yes" } else { "no" });
            }
            w.attr("wwnn", &fc.wwnn).attr("wwpn", &fc.wwpn);
        }
    }
    w.close();
}
