//! `<volume>` XML, following libvirt's `virStorageVolDefParseXML` and
//! `virStorageVolDefFormat`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::doc::Doc;
use super::parts::{
    read_permissions, read_secret_ref, write_permissions, write_secret_ref, write_size,
};
use super::read::Cursor;
use super::write::XmlWriter;
use crate::error::{Error, Result};
use crate::spec::volume::check_compat;
use crate::spec::{
    Allocation, BackingStore, Cipher, Encryption, EncryptionSecret, Extent, Ivgen, PoolType,
    Timestamps, VolumeFeature, VolumeFormat, VolumeSpec, VolumeType,
};
use crate::units::Size;

/// Parse a `<volume>` document.
pub(crate) fn read(xml: &str) -> Result<VolumeSpec> {
    let mut doc = Doc::parse(xml)?;
    if doc.els[0].name != "volume" {
        return Err(Error::invalid(
            "xml",
            format!(
                "the root element is <{}>, expected <volume>",
                doc.els[0].name
            ),
        ));
    }
    let mut c = Cursor::new(&mut doc, "");
    let volume_type: Option<VolumeType> = c.parsed_attr("type")?;
    let name = c
        .child_text("name")?
        .ok_or_else(|| Error::invalid("name", "the volume name is required"))?;
    let mut v = VolumeSpec::new(name, Size::ZERO);
    v.volume_type = volume_type;
    v.key = c.child_text("key")?;
    v.runtime.extents = c
        .child("source", |s| {
            let per_device = s.children("device", |d| {
                let device = d.required_attr("path")?;
                d.children("extent", |e| {
                    Ok(Extent {
                        device: device.clone(),
                        start: e.parsed_attr("start")?.unwrap_or(0),
                        end: e.parsed_attr("end")?.unwrap_or(0),
                    })
                })
            })?;
            Ok(per_device.into_iter().flatten().collect())
        })?
        .unwrap_or_default();
    v.backing_store = c
        .child("backingStore", |b| {
            let Some(path) = b.child_text("path")? else {
                return Ok(None);
            };
            Ok(Some(BackingStore {
                path,
                format: read_format(b)?,
                permissions: read_permissions(b)?,
            }))
        })?
        .flatten();
    // Missing capacity is 0, as libvirt reads definitions for create-from (which takes
    // the source's capacity); creating from scratch checks it in `validate`.
    v.capacity = c.child_size("capacity")?.unwrap_or(Size::ZERO);
    // libvirt's rule: no <allocation> is all of the capacity.
    v.allocation = c
        .child_size("allocation")?
        .map_or(Allocation::Full, Allocation::Bytes);
    v.runtime.physical = c.child_size("physical")?;
    c.child("target", |t| read_target(t, &mut v))?;
    v.extra = c.into_residue().map(Arc::new);
    Ok(v)
}

fn read_format(c: &mut Cursor<'_, '_>) -> Result<Option<VolumeFormat>> {
    match c.child_attr("format", "type")? {
        None => Ok(None),
        Some(f) => f
            .parse()
            .map(Some)
            .map_err(|e| Error::invalid(c.field("format"), e)),
    }
}

fn read_target(t: &mut Cursor<'_, '_>, v: &mut VolumeSpec) -> Result<()> {
    v.path = t.child_text("path")?;
    // a format this model lacks is kept as text: libvirt ignores it where the pool
    // type has no volume formats (validate_for refuses it where it has)
    match t.child_attr("format", "type")? {
        None => {}
        Some(f) => match f.parse() {
            Ok(known) => v.format = Some(known),
            Err(_) => v.other_format = Some(f),
        },
    }
    v.permissions = read_permissions(t)?;
    v.runtime.timestamps = t.child("timestamps", |ts| {
        let mut time = |name: &str| -> Result<Option<SystemTime>> {
            match ts.child_str(name)? {
                None => Ok(None),
                Some(text) => parse_timestamp(&text).map(Some).ok_or_else(|| {
                    ts.invalid(name, format!("{text:?} is not seconds[.nanoseconds]"))
                }),
            }
        };
        Ok(Timestamps {
            atime: time("atime")?,
            mtime: time("mtime")?,
            ctime: time("ctime")?,
            btime: time("btime")?,
        })
    })?;
    v.encryption = t.child("encryption", read_encryption)?;
    v.compat = t.child_text("compat")?;
    if let Some(compat) = &v.compat {
        check_compat(compat).map_err(|e| {
            Error::invalid(
                t.field("compat"),
                e.message().trim_start_matches("compat: "),
            )
        })?;
    }
    v.nocow = t.child("nocow", |_| Ok(()))?.is_some();
    v.cluster_size = t.child_size("clusterSize")?;
    v.features = t.child("features", |f| {
        let mut features = Vec::new();
        f.each_child(|c, name| {
            let feature: VolumeFeature = name
                .parse()
                .map_err(|e| c.invalid_here(format!("unsupported feature: {e}")))?;
            // libvirt keeps features in a bitmap: a repeated one counts once.
            if !features.contains(&feature) {
                features.push(feature);
            }
            Ok(())
        })?;
        Ok(features)
    })?;
    // libvirt: a volume with features is at least qcow2 1.1.
    if v.features.is_some() && v.compat.is_none() {
        v.compat = Some("1.1".into());
    }
    Ok(())
}

fn read_encryption(e: &mut Cursor<'_, '_>) -> Result<Encryption> {
    let format = e
        .parsed_attr("format")?
        .ok_or_else(|| e.invalid("format", "the encryption format is required"))?;
    let secrets = e.children("secret", |s| {
        Ok(EncryptionSecret {
            secret_type: s.required_attr("type")?,
            secret: read_secret_ref(s)?,
        })
    })?;
    let cipher = e.child("cipher", |c| {
        Ok(Cipher {
            name: c.required_attr("name")?,
            size: c
                .parsed_attr("size")?
                .ok_or_else(|| c.invalid("size", "is required"))?,
            mode: c.attr_string("mode"),
            hash: c.attr_string("hash"),
        })
    })?;
    if cipher.is_none() && e.has_child("ivgen") {
        return Err(e.invalid("ivgen", "an ivgen needs a cipher"));
    }
    let ivgen = e.child("ivgen", |i| {
        Ok(Ivgen {
            name: i.required_attr("name")?,
            hash: i.attr_string("hash"),
        })
    })?;
    Ok(Encryption {
        format,
        secrets,
        cipher,
        ivgen,
    })
}

fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let (secs, nanos) = match text.trim().split_once('.') {
        Some((s, n)) => (s, n),
        None => (text.trim(), ""),
    };
    let secs: u64 = secs.parse().ok()?;
    let nanos: u32 = if nanos.is_empty() {
        0
    } else if nanos.len() <= 9 && nanos.bytes().all(|b| b.is_ascii_digit()) {
        format!("{nanos:0<9}").parse().ok()?
    } else {
        return None;
    };
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// Format a volume. With `pool`, as libvirt formats a volume of that pool type: the
/// volume type and the default format filled in, formats dropped for pool types that
/// have none.
pub(crate) fn write(v: &VolumeSpec, pool: Option<PoolType>) -> String {
    let mut w = XmlWriter::new(v.extra.as_deref());
    w.open("volume");
    if let Some(ty) = v.volume_type.or(pool.map(VolumeType::default_for)) {
        w.attr("type", ty.as_str());
    }
    w.text_element("name", &v.name);
    w.opt_text_element("key", v.key.as_deref());
    // A capacity of 0 over a backing store means "the backing store's": libvirt reads
    // that from an absent <capacity>, which is how it was given.
    if v.capacity != Size::ZERO || v.backing_store.is_none() {
        write_size(&mut w, "capacity", v.capacity);
    }
    write_size(&mut w, "allocation", v.allocation.bytes(v.capacity, pool));

    w.open("target");
    w.opt_text_element("path", v.path.as_deref());
    match &v.other_format {
        Some(other) if pool.is_none_or(|p| VolumeFormat::default_for(p).is_some()) => {
            w.attr_element("format", "type", other);
        }
        _ => write_format(&mut w, v.format, pool),
    }
    if let Some(p) = &v.permissions {
        write_permissions(&mut w, p);
    }
    if let Some(e) = &v.encryption {
        write_encryption(&mut w, e);
    }
    let compat = match (&v.compat, &v.features) {
        (Some(c), _) => Some(c.as_str()),
        (None, Some(_)) => Some("1.1"),
        (None, None) => None,
    };
    w.opt_text_element("compat", compat);
    if let Some(size) = v.cluster_size {
        w.open("clusterSize")
            .attr("unit", "B")
            .text_number(size.as_bytes())
            .close();
    }
    if let Some(features) = &v.features {
        w.open("features");
        for f in features {
            w.open(f.as_str()).close();
        }
        w.close();
    }
    if v.nocow {
        w.open("nocow").close();
    }
    w.close();

    if let Some(b) = &v.backing_store {
        w.open("backingStore").text_element("path", &b.path);
        write_format(&mut w, b.format, pool);
        if let Some(p) = &b.permissions {
            write_permissions(&mut w, p);
        }
        w.close();
    }
    w.close();
    w.finish()
}

fn write_format(w: &mut XmlWriter<'_>, format: Option<VolumeFormat>, pool: Option<PoolType>) {
    let format = match pool {
        None => format,
        Some(pool) => VolumeFormat::default_for(pool).map(|d| format.unwrap_or(d)),
    };
    if let Some(f) = format {
        w.attr_element("format", "type", f.as_str());
    }
}

fn write_encryption(w: &mut XmlWriter<'_>, e: &Encryption) {
    w.open("encryption").attr("format", e.format.as_str());
    for s in &e.secrets {
        w.open("secret").attr("type", &s.secret_type);
        write_secret_ref(w, &s.secret);
        w.close();
    }
    if let Some(c) = &e.cipher {
        w.open("cipher")
            .attr("name", &c.name)
            .attr("size", &c.size.to_string())
            .opt_attr("mode", c.mode.as_deref())
            .opt_attr("hash", c.hash.as_deref())
            .close();
    }
    if let Some(i) = &e.ivgen {
        w.open("ivgen")
            .attr("name", &i.name)
            .opt_attr("hash", i.hash.as_deref())
            .close();
    }
    w.close();
}
