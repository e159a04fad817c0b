//! Validation rules shared by pool and volume specs. Each returns an invalid-spec
//! error naming the field and the reason.

use crate::error::{Error, Result};

/// Longest pool or volume name accepted (NAME_MAX on Linux file systems).
pub const MAX_NAME_BYTES: usize = 255;
/// Longest path accepted (PATH_MAX - 1).
pub const MAX_PATH_BYTES: usize = 4095;

/// A pool or volume name: libvirt refuses `/`; kvmpool also refuses what would
/// make a broken file name or a confusing listing.
pub fn name(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.len() > MAX_NAME_BYTES {
        return Err(Error::invalid(
            field,
            format!("is {} bytes long, more than {MAX_NAME_BYTES}", value.len()),
        ));
    }
    if value.contains('/') {
        return Err(Error::invalid(
            field,
            format!("{value:?} must not contain '/'"),
        ));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid(
            field,
            format!("{value:?} is not a usable name"),
        ));
    }
    no_control_chars(field, value)?;
    if value.trim() != value {
        return Err(Error::invalid(
            field,
            format!("{value:?} has leading or trailing whitespace"),
        ));
    }
    Ok(())
}

/// An absolute, normalised-enough path: starts with `/`, no `..` component.
pub fn absolute_path(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if !value.starts_with('/') {
        return Err(Error::invalid(
            field,
            format!("{value:?} must be an absolute path"),
        ));
    }
    path_text(field, value)
}

/// A path that may be relative (gluster volume directories are): no `..`, no control
/// characters, bounded length.
pub fn path_text(field: &str, value: &str) -> Result<()> {
    if value.len() > MAX_PATH_BYTES {
        return Err(Error::invalid(
            field,
            format!("is {} bytes long, more than {MAX_PATH_BYTES}", value.len()),
        ));
    }
    no_control_chars(field, value)?;
    if value.split('/').any(|part| part == "..") {
        return Err(Error::invalid(
            field,
            format!("{value:?} must not contain '..'"),
        ));
    }
    Ok(())
}

/// Free text written into XML: any printable text (escaping happens on write).
pub fn text(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.len() > MAX_PATH_BYTES {
        return Err(Error::invalid(
            field,
            format!("is {} bytes long, more than {MAX_PATH_BYTES}", value.len()),
        ));
    }
    no_control_chars(field, value)
}

/// A host name or IP address (IPv6 without brackets, as libvirt writes it).
pub fn host_name(field: &str, value: &str) -> Result<()> {
    text(field, value)?;
    if value.len() > 255 {
        return Err(Error::invalid(field, "is longer than 255 bytes"));
    }
    if value.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(Error::invalid(
            field,
            format!("{value:?} is not a host name or address"),
        ));
    }
    Ok(())
}

/// An iSCSI name (RFC 3720 §3.2.6.3): `iqn.YYYY-MM.reverse.domain[:id]`, `eui.` and 16
/// hex digits, or `naa.` and 16 or 32 hex digits.
pub fn iqn(field: &str, value: &str) -> Result<()> {
    text(field, value)?;
    let bad = |why: &str| {
        Err(Error::invalid(
            field,
            format!(
                "{value:?} is not an iSCSI name ({why}); expected iqn.YYYY-MM.reverse.domain[:id], \
                 eui.<16 hex digits> or naa.<16 or 32 hex digits>"
            ),
        ))
    };
    let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(rest) = value.strip_prefix("eui.") {
        return if rest.len() == 16 && is_hex(rest) {
            Ok(())
        } else {
            bad("bad eui")
        };
    }
    if let Some(rest) = value.strip_prefix("naa.") {
        return if (rest.len() == 16 || rest.len() == 32) && is_hex(rest) {
            Ok(())
        } else {
            bad("bad naa")
        };
    }
    let Some(rest) = value.strip_prefix("iqn.") else {
        return bad("unknown prefix");
    };
    let (date, rest) = rest.split_at(rest.len().min(7));
    let date_ok = date.len() == 7
        && date.as_bytes()[4] == b'-'
        && date[..4].bytes().all(|b| b.is_ascii_digit())
        && date[5..].bytes().all(|b| b.is_ascii_digit())
        && matches!(date[5..].parse::<u8>(), Ok(1..=12));
    if !date_ok {
        return bad("the date must be YYYY-MM");
    }
    let Some(rest) = rest.strip_prefix('.') else {
        return bad("a naming authority must follow the date");
    };
    let authority = rest.split(':').next().unwrap_or("");
    let label_ok =
        |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !authority.split('.').all(label_ok) {
        return bad("the naming authority must be a reversed domain name");
    }
    if value.chars().any(|c| c.is_whitespace()) {
        return bad("it contains whitespace");
    }
    Ok(())
}

/// A Fibre Channel world wide name: 16 hex digits, optionally with `0x`.
pub fn wwn(field: &str, value: &str) -> Result<()> {
    let digits = value.strip_prefix("0x").unwrap_or(value);
    if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            field,
            format!("{value:?} is not a WWN (16 hex digits)"),
        ));
    }
    Ok(())
}

/// A SCSI host as libvirt names it (`host0`, `scsi_host5`): libvirt reads the number
/// out of the name and writes the name back unescaped, so nothing else may pass.
pub(crate) fn scsi_host(field: &str, name: &str) -> Result<()> {
    let digits = name
        .strip_prefix("scsi_host")
        .or_else(|| name.strip_prefix("host"))
        .unwrap_or("");
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            format!("{name:?} is not a SCSI host name (hostN or scsi_hostN)"),
        ));
    }
    Ok(())
}

/// Control characters, and U+FFFE/U+FFFF, which XML 1.0 cannot carry.
fn no_control_chars(field: &str, value: &str) -> Result<()> {
    if let Some(c) = value
        .chars()
        .find(|&c| c.is_control() || c == '\u{fffe}' || c == '\u{ffff}')
    {
        let what = match c {
            '\0' => "a NUL byte".to_string(),
            '\n' => "a newline".to_string(),
            other if other.is_control() => format!("the control character {other:?}"),
            other => format!("{other:?}, which XML cannot carry"),
        };
        return Err(Error::invalid(
            field,
            format!("{value:?} must not contain {what}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in [
            "guest_images",
            "vm1.qcow2",
            "a b",
            "ünïcode",
            &"x".repeat(255),
        ] {
            name("name", good).unwrap();
        }
        for (bad, why) in [
            ("", "empty"),
            ("a/b", "'/'"),
            (".", "usable"),
            ("..", "usable"),
            ("a\nb", "newline"),
            ("a\0b", "NUL"),
            ("test ", "whitespace"),
            (&"x".repeat(256) as &str, "256 bytes"),
        ] {
            let e = name("name", bad).unwrap_err();
            assert_eq!(e.field(), Some("name"));
            assert!(e.to_string().contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn paths() {
        absolute_path("target.path", "/guest_images").unwrap();
        absolute_path("target.path", "/var/lib/libvirt/images/").unwrap();
        for bad in ["", "guest_images", "./x", "/a/../b", "/a/..", "/a\nb"] {
            let e = absolute_path("target.path", bad).unwrap_err();
            assert_eq!(e.field(), Some("target.path"), "{bad:?}");
        }
    }

    #[test]
    fn iscsi_names() {
        for good in [
            "iqn.2017-10.com.cloud.www:storage001",
            "iqn.2024-01.kvmpool.test:t1",
            "iqn.2013-06.com.example",
            "eui.02004567A425678D",
            "naa.52004567BA64678D",
            "naa.62004567BA64678D0123456789ABCDEF",
        ] {
            iqn("iqn", good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in [
            "demo-target",
            "iqn.17-10.com.x",
            "iqn.2017-13.com.x",
            "iqn.2017-10",
            "iqn.2017-10.",
            "iqn.2017-10.com..x",
            "eui.123",
            "naa.XYZ",
            "iqn.2017-10.com.x:a b",
        ] {
            assert!(iqn("iqn", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wwns() {
        wwn("wwnn", "20000000c9831b4b").unwrap();
        wwn("wwnn", "0x20000000c9831b4b").unwrap();
        assert!(wwn("wwnn", "2000").is_err());
    }
}
