//! LUKS: libvirt models a LUKS container as a raw volume with LUKS encryption, and so does
//! kvmpool. The guest sees what follows the LUKS header (version 1: the payload offset;
//! version 2 keeps it in a JSON area, which is not read, so its size is left unknown).

use super::fields::{be16, be32};
use super::source::{refuse, Source, Step};
use super::{ImageFormat, ImageInfo};
use crate::spec::EncryptionFormat;

pub(super) const MAGIC: &[u8] = b"LUKS\xba\xbe";

/// The LUKS1 header with its eight key slots.
const V1_HEADER: u64 = 592;

pub(super) fn probe(src: &mut Source, head: &[u8]) -> Step<ImageInfo> {
    let raw = ImageInfo::new(ImageFormat::Raw);
    match be16(head, 6) {
        1 => {
            let h = src.read_exact(0, V1_HEADER, "luks.header", "LUKS header")?;
            let payload = u64::from(be32(&h, 104)) * 512;
            Ok(ImageInfo {
                virtual_size: payload_size(payload, src.len())?,
                encryption: Some(EncryptionFormat::Luks),
                ..raw
            })
        }
        2 => Ok(ImageInfo {
            encryption: Some(EncryptionFormat::Luks2),
            ..raw
        }),
        v => Err(refuse("luks.version", format!("{v} is not 1 or 2"))),
    }
}

/// The bytes after the payload offset, which must lie past the header and in the image.
fn payload_size(payload: u64, len: Option<u64>) -> Step<Option<u64>> {
    if payload < V1_HEADER {
        return Err(refuse(
            "luks.payload_offset",
            format!("the payload at byte {payload} overlaps the LUKS header"),
        ));
    }
    match len {
        Some(len) if payload > len => Err(refuse(
            "luks.payload_offset",
            format!("the payload at byte {payload} is past the end of the image ({len} bytes)"),
        )),
        Some(len) => Ok(Some(len - payload)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn a_luks1_container_is_raw_with_luks_encryption() {
        let mut img = luks_header(1, 4096);
        img.resize((4096 * 512) + (1 << 20), 0);
        let info = probe_bytes(&img).unwrap();
        assert_eq!(info.format, ImageFormat::Raw);
        assert_eq!(info.encryption, Some(EncryptionFormat::Luks));
        assert_eq!(info.virtual_size, Some(1 << 20));
        let v2 = probe_bytes(&luks_header(2, 0)).unwrap();
        assert_eq!(v2.encryption, Some(EncryptionFormat::Luks2));
        assert_eq!(v2.virtual_size, None);
    }

    #[test]
    fn every_refusal_names_its_field() {
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (luks_header(3, 4096), "luks.version", "3 is not 1 or 2"),
            (
                luks_header(1, 4096)[..300].to_vec(),
                "luks.header",
                "LUKS header is 300 bytes long, needs 592",
            ),
            (
                luks_header(1, 1),
                "luks.payload_offset",
                "overlaps the LUKS header",
            ),
            (
                luks_header(1, 4096),
                "luks.payload_offset",
                "past the end of the image (592 bytes)",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
