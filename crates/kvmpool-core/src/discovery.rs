//! Source discovery (`find-storage-pool-sources[-as]`) and pool capabilities
//! (`pool-capabilities`).

use std::ffi::CStr;

use crate::conn::Connection;
use crate::error::{Error, ErrorKind, Result};
use crate::libvirt;
use crate::spec::{Adapter, Auth, Host, PoolSpec, PoolType, SourceDevice, Target};
use crate::xml::doc::Doc;
use crate::xml::pool::{read_sources, write_source_only, PoolParts};
use crate::xml::read::Cursor;

/// A pool source that libvirt found: the `<source>` part of a pool definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSource {
    /// The pool type it was found for.
    pub pool_type: PoolType,
    /// Servers.
    pub hosts: Vec<Host>,
    /// Devices (physical volumes, iSCSI targets).
    pub devices: Vec<SourceDevice>,
    /// Exported directory (netfs) or volume directory (gluster).
    pub dir: Option<String>,
    /// Source name (volume group, gluster volume).
    pub name: Option<String>,
    /// Format (`lvm2`, `nfs`, `glusterfs`, ...).
    pub format: Option<String>,
    /// Initiator IQN (iSCSI).
    pub initiator: Option<String>,
    /// SCSI adapter.
    pub adapter: Option<Adapter>,
    /// Authentication.
    pub auth: Option<Auth>,
}

impl PoolSource {
    fn from_parts(p: PoolParts) -> PoolSource {
        PoolSource {
            pool_type: p.pool_type(),
            hosts: p.hosts,
            devices: p.devices,
            dir: p.dir,
            name: p.source_name,
            format: p.format,
            initiator: p.initiator,
            adapter: p.adapter,
            auth: p.auth,
        }
    }

    fn to_parts(&self, name: &str) -> PoolParts {
        let mut p = PoolParts::new(self.pool_type, name);
        p.hosts = self.hosts.clone();
        p.devices = self.devices.clone();
        p.dir = self.dir.clone();
        p.source_name = self.name.clone();
        p.format = self.format.clone();
        p.initiator = self.initiator.clone();
        p.adapter = self.adapter.clone();
        p.auth = self.auth.clone();
        p
    }

    /// A pool spec for this source, called `name`, with `target` (or the default
    /// target of the pool type when `None`).
    pub fn to_spec(&self, name: &str, target: Option<&str>) -> Result<PoolSpec> {
        let mut parts = self.to_parts(name);
        let default = self
            .pool_type
            .default_target(self.name.as_deref().unwrap_or(name));
        if let Some(path) = target.map(str::to_owned).or(default) {
            parts.target = Some(Target::new(path));
        }
        PoolSpec::from_parts(parts)
    }
}

/// Where to look for sources (`find-storage-pool-sources-as TYPE HOST [PORT] --initiator IQN`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceQuery {
    /// The server to ask (netfs, iscsi, iscsi-direct, gluster).
    pub host: Option<Host>,
    /// The initiator IQN to log in as (iscsi, iscsi-direct).
    pub initiator: Option<String>,
}

impl SourceQuery {
    /// Ask `host`.
    pub fn host(host: impl Into<Host>) -> Self {
        SourceQuery {
            host: Some(host.into()),
            initiator: None,
        }
    }

    /// Log in as this initiator.
    pub fn initiator(mut self, iqn: impl Into<String>) -> Self {
        self.initiator = Some(iqn.into());
        self
    }
}

/// What the daemon supports for one pool type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoolTypeCapability {
    /// The pool type.
    #[serde(rename = "type")]
    pub pool_type: PoolType,
    /// Whether the daemon has a backend for it.
    pub supported: bool,
    /// Source formats the type accepts (empty when it has none).
    pub pool_formats: Vec<String>,
    /// The source format used when none is given.
    pub default_pool_format: Option<String>,
    /// Volume formats the type accepts (empty when it has none).
    pub volume_formats: Vec<String>,
    /// The volume format used when none is given.
    pub default_volume_format: Option<String>,
}

/// `pool-capabilities`: what the daemon supports, per pool type. Serialises as
/// `{"pools": [{"type": "dir", "supported": true, "pool_formats": [], ...}]}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoolCapabilities {
    /// One entry per pool type the daemon knows.
    pub pools: Vec<PoolTypeCapability>,
}

impl PoolCapabilities {
    /// The entry for a pool type.
    pub fn get(&self, ty: PoolType) -> Option<&PoolTypeCapability> {
        self.pools.iter().find(|p| p.pool_type == ty)
    }

    /// Parse libvirt's `<storagepoolCapabilities>` document.
    pub fn from_xml(xml: &str) -> Result<PoolCapabilities> {
        let mut doc = Doc::parse(xml)?;
        if doc.els[0].name != "storagepoolCapabilities" {
            return Err(Error::invalid(
                "xml",
                format!(
                    "the root element is <{}>, expected <storagepoolCapabilities>",
                    doc.els[0].name
                ),
            ));
        }
        let mut c = Cursor::new(&mut doc, "storagepoolCapabilities");
        let entries = c.children("pool", |p| {
            let ty = p.attr_string("type").unwrap_or_default();
            let supported = p.bool_attr("supported")?.unwrap_or(false);
            let (default_pool_format, pool_formats) =
                p.child("poolOptions", read_options)?.unwrap_or_default();
            let (default_volume_format, volume_formats) =
                p.child("volOptions", read_options)?.unwrap_or_default();
            // A pool type newer than kvmpool is skipped, not an error.
            Ok(ty
                .parse::<PoolType>()
                .ok()
                .map(|pool_type| PoolTypeCapability {
                    pool_type,
                    supported,
                    pool_formats,
                    default_pool_format,
                    volume_formats,
                    default_volume_format,
                }))
        })?;
        Ok(PoolCapabilities {
            pools: entries.into_iter().flatten().collect(),
        })
    }

    /// Check a spec against these capabilities: the type must be supported and its
    /// source format among the ones the daemon accepts.
    pub fn check(&self, spec: &PoolSpec) -> Result<()> {
        let ty = spec.pool_type();
        let Some(cap) = self.get(ty) else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the daemon does not know {ty} pools"),
            ));
        };
        if !cap.supported {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the daemon has no backend for {ty} pools (pool-capabilities says supported='no')"),
            ));
        }
        if let Some(format) = spec.to_parts().format {
            if !cap.pool_formats.is_empty() && !cap.pool_formats.contains(&format) {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "{ty} pools on this daemon do not support source format {format:?} (supported: {})",
                        cap.pool_formats.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

type FormatOptions = (Option<String>, Vec<String>);

fn read_options(c: &mut Cursor<'_, '_>) -> Result<FormatOptions> {
    let default = c.child_attr("defaultFormat", "type")?;
    let values = c
        .child("enum", |e| {
            e.children("value", |v| Ok(v.text().unwrap_or_default()))
        })?
        .unwrap_or_default();
    Ok((default, values))
}

impl Connection {
    /// `find-storage-pool-sources-as`: ask the daemon which sources of pool type `ty`
    /// exist (volume groups, NFS exports, gluster volumes, iSCSI targets).
    pub fn find_pool_sources(&self, ty: PoolType, query: &SourceQuery) -> Result<Vec<PoolSource>> {
        let xml = self.find_pool_sources_xml(ty, query)?;
        let mut sources: Vec<PoolSource> = read_sources(&xml, ty)?
            .into_iter()
            .map(PoolSource::from_parts)
            .collect();
        for s in &mut sources {
            if s.initiator.is_none() {
                s.initiator.clone_from(&query.initiator);
            }
        }
        Ok(sources)
    }

    /// `find-storage-pool-sources-as` as virsh prints it: libvirt's `<sources>`
    /// document, unparsed.
    pub fn find_pool_sources_xml(&self, ty: PoolType, query: &SourceQuery) -> Result<String> {
        let spec = source_query_xml(ty, query)?;
        self.run("virConnectFindStoragePoolSources", |c, _| {
            c.find_storage_pool_sources(ty.as_str(), spec.as_deref(), 0)
                .map_err(libvirt::error)
        })
    }

    /// `pool-capabilities`, parsed. [`ErrorKind::Unsupported`] when the driver lacks
    /// the call (the test driver does).
    pub fn pool_capabilities(&self) -> Result<PoolCapabilities> {
        PoolCapabilities::from_xml(&self.pool_capabilities_xml()?)
    }

    /// `pool-capabilities` as virsh prints it: libvirt's document, unparsed.
    pub fn pool_capabilities_xml(&self) -> Result<String> {
        self.run("virConnectGetStoragePoolCapabilities", |c, _| {
            // SAFETY: the connection pointer is valid while `c` is borrowed; libvirt
            // returns a heap string (or NULL) that we own and free below.
            let raw = unsafe { virt::sys::virConnectGetStoragePoolCapabilities(c.as_ptr(), 0) };
            if raw.is_null() {
                return Err(libvirt::error(virt::error::Error::last_error()));
            }
            // SAFETY: `raw` is a valid NUL-terminated string from libvirt.
            let text = unsafe { CStr::from_ptr(raw) }
                .to_string_lossy()
                .into_owned();
            // SAFETY: libvirt allocated `raw` with malloc; it is freed once, here.
            unsafe { libc::free(raw.cast()) };
            Ok(text)
        })
    }

    /// Check a spec against the daemon's capabilities before defining it. Drivers
    /// without `pool-capabilities` (the test driver) are not checked: the spec rules
    /// already ran.
    pub fn check_supported(&self, spec: &PoolSpec) -> Result<()> {
        match self.cached_capabilities()? {
            Some(caps) => caps.check(spec),
            None => Ok(()),
        }
    }
}

fn source_query_xml(ty: PoolType, query: &SourceQuery) -> Result<Option<String>> {
    if query.host.is_none() && query.initiator.is_none() {
        return Ok(None);
    }
    let mut parts = PoolParts::new(ty, "");
    if let Some(h) = &query.host {
        h.validate("host")?;
        parts.hosts = vec![h.clone()];
    }
    if let Some(iqn) = &query.initiator {
        crate::spec::check::iqn("initiator", iqn)?;
        parts.initiator = Some(iqn.clone());
    }
    Ok(Some(write_source_only(&parts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: &str = "<storagepoolCapabilities>
      <pool type='dir' supported='yes'><volOptions><defaultFormat type='raw'/>
        <enum name='targetFormatType'><value>raw</value><value>qcow2</value></enum></volOptions></pool>
      <pool type='fs' supported='yes'><poolOptions><defaultFormat type='auto'/>
        <enum name='sourceFormatType'><value>auto</value><value>ext4</value></enum></poolOptions></pool>
      <pool type='vstorage' supported='no'/>
      <pool type='future' supported='yes'/>
    </storagepoolCapabilities>";

    #[test]
    fn capabilities_parse_and_check() {
        let caps = PoolCapabilities::from_xml(CAPS).unwrap();
        assert_eq!(caps.pools.len(), 3);
        let dir = caps.get(PoolType::Dir).unwrap();
        assert_eq!(dir.volume_formats, ["raw", "qcow2"]);
        assert_eq!(dir.default_volume_format.as_deref(), Some("raw"));
        caps.check(&crate::DirPool::new("d", "/d").into()).unwrap();
        let fs: PoolSpec = crate::FsPool::new("f", "/dev/x", "/f")
            .format(crate::FsFormat::Ext4)
            .into();
        caps.check(&fs).unwrap();
        let xfs: PoolSpec = crate::FsPool::new("f", "/dev/x", "/f")
            .format(crate::FsFormat::Xfs)
            .into();
        let e = caps.check(&xfs).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.to_string().contains("xfs"), "{e}");
        let vs: PoolSpec = crate::VstoragePool::new("v", "c", "/v").into();
        assert!(caps
            .check(&vs)
            .unwrap_err()
            .to_string()
            .contains("vstorage"));
        let mp: PoolSpec = crate::MpathPool::new("m").into();
        assert_eq!(caps.check(&mp).unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn sources_become_specs() {
        let xml = "<sources><source><device path='/dev/sda20'/><name>testvg1</name>\
                   <format type='lvm2'/></source></sources>";
        let parts = read_sources(xml, PoolType::Logical).unwrap();
        let src = PoolSource::from_parts(parts.into_iter().next().unwrap());
        assert_eq!(src.name.as_deref(), Some("testvg1"));
        let spec = src.to_spec("vg", None).unwrap();
        let PoolSpec::Logical(l) = &spec else {
            panic!()
        };
        assert_eq!(l.vg_name, "testvg1");
        assert_eq!(l.devices[0].path, "/dev/sda20");
        spec.validate().unwrap();
    }

    #[test]
    fn query_xml_has_host_and_initiator() {
        let q = SourceQuery::host(Host::new("127.0.0.1").port(3260)).initiator("iqn.2024-01.a.b:c");
        let xml = source_query_xml(PoolType::IscsiDirect, &q)
            .unwrap()
            .unwrap();
        assert!(
            xml.contains("<host name='127.0.0.1' port='3260'/>"),
            "{xml}"
        );
        assert!(xml.contains("<iqn name='iqn.2024-01.a.b:c'/>"), "{xml}");
        assert!(source_query_xml(PoolType::Logical, &SourceQuery::default())
            .unwrap()
            .is_none());
    }
}
