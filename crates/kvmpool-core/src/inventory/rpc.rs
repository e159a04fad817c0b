//! Volume entries through libvirt: one `info` round trip per volume (plus `path`
//! where the key is not the path, plus the XML when formats are asked for), spread
//! over a few threads: the daemon serves the requests of one connection in parallel,
//! so their latencies overlap.

use super::{parallel, InventoryOptions, VolumeEntry};
use crate::error::{ErrorKind, Result};
use crate::libvirt;
use crate::owned::VolObj;
use crate::spec::VolumeSpec;
use crate::units::Size;

/// The entries of `vols`; volumes deleted since the listing are left out.
pub(super) fn entries(
    vols: &[&VolObj],
    key_is_path: bool,
    options: &InventoryOptions,
) -> Result<Vec<VolumeEntry>> {
    parallel(vols, options.threads, |v| {
        match volume_entry(v, key_is_path, options.formats) {
            Ok(e) => Ok(Some(e)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    })
}

pub(super) fn volume_entry(v: &VolObj, key_is_path: bool, formats: bool) -> Result<VolumeEntry> {
    let name = v.name().map_err(libvirt::error)?;
    let key = v.key().map_err(libvirt::error)?;
    let info = v.info().map_err(libvirt::error)?;
    let path = if key_is_path {
        key.clone()
    } else {
        v.path().map_err(libvirt::error)?
    };
    let format = if formats {
        let xml = v.xml_desc(0).map_err(libvirt::error)?;
        VolumeSpec::from_xml(&xml)?
            .format
            .map(|f| f.as_str().to_owned())
    } else {
        None
    };
    Ok(VolumeEntry {
        name,
        key,
        path,
        volume_type: libvirt::volume_type(info.kind),
        capacity: Size::bytes(info.capacity),
        allocation: Size::bytes(info.allocation),
        format,
    })
}
