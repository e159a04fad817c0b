//! XML for the pieces that pools and volumes share: permissions, secrets, sizes.

use uuid::Uuid;

use super::read::Cursor;
use super::write::XmlWriter;
use crate::error::Result;
use crate::spec::{Permissions, SecretRef};
use crate::units::Size;

/// `<permissions><mode/><owner/><group/><label/></permissions>` (libvirt's
/// `virStorageDefParsePerms`: mode is octal, owner and group decimal, `-1` accepted).
pub(crate) fn read_permissions(c: &mut Cursor<'_, '_>) -> Result<Option<Permissions>> {
    c.child("permissions", |p| {
        let mode = match p.child_str("mode")? {
            None => None,
            Some(text) => Some(
                u32::from_str_radix(text.trim(), 8)
                    .ok()
                    .filter(|m| *m <= 0o777)
                    .ok_or_else(|| {
                        p.invalid("mode", format!("{text:?} is not an octal mode up to 0777"))
                    })?,
            ),
        };
        let mut id = |name: &str| -> Result<Option<i64>> {
            match p.child_str(name)? {
                None => Ok(None),
                Some(text) => text
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|v| *v >= -1 && *v < i64::from(u32::MAX))
                    .map(Some)
                    .ok_or_else(|| p.invalid(name, format!("{text:?} is not a valid id"))),
            }
        };
        let owner = id("owner")?;
        let group = id("group")?;
        let label = p.child_text("label")?;
        Ok(Permissions {
            mode,
            owner,
            group,
            label,
        })
    })
}

pub(crate) fn write_permissions(w: &mut XmlWriter<'_>, p: &Permissions) {
    if p.is_empty() {
        return;
    }
    w.open("permissions");
    if let Some(mode) = p.mode {
        w.fmt_element("mode", format_args!("0{mode:o}"));
    }
    if let Some(owner) = p.owner {
        w.number_element("owner", owner);
    }
    if let Some(group) = p.group {
        w.number_element("group", group);
    }
    w.opt_text_element("label", p.label.as_deref());
    w.close();
}

/// The `uuid=`/`usage=` pair of a `<secret>` element: exactly one of them.
pub(crate) fn read_secret_ref(c: &mut Cursor<'_, '_>) -> Result<SecretRef> {
    let uuid = c.attr_string("uuid");
    let usage = c.attr_string("usage");
    match (uuid, usage) {
        (Some(_), Some(_)) => {
            Err(c.invalid("uuid", "give either a secret uuid or a usage, not both"))
        }
        (None, None) => Err(c.invalid("uuid", "a secret needs a uuid or a usage")),
        (Some(u), None) => Uuid::parse_str(u.trim())
            .map(SecretRef::Uuid)
            .map_err(|e| c.invalid("uuid", format!("{u:?}: {e}"))),
        (None, Some(usage)) => Ok(SecretRef::Usage(usage)),
    }
}

pub(crate) fn write_secret_ref(w: &mut XmlWriter<'_>, secret: &SecretRef) {
    match secret {
        SecretRef::Uuid(u) => w.attr("uuid", &u.hyphenated().to_string()),
        SecretRef::Usage(usage) => w.attr("usage", usage),
    };
}

/// `<name unit='bytes'>n</name>`, the way libvirt always writes sizes.
pub(crate) fn write_size(w: &mut XmlWriter<'_>, name: &'static str, size: Size) {
    w.open(name)
        .attr("unit", "bytes")
        .text_number(size.as_bytes())
        .close();
}
