//! The `QFI\xfb` family: version 1 (qcow) here, versions 2 and 3 in [`super::qcow2`].
//! Version 1 is checked as qemu's `qcow_open` checks it.

use super::fields::{be32, be64};
use super::source::{refuse, Source, Step};
use super::{file_name, qcow2, within_qemu_limit, BackingFile, ImageFormat, ImageInfo};
use crate::spec::EncryptionFormat;

const HEADER: u64 = 48;
const MAX_BACKING_NAME: u64 = 1023;

/// Dispatch on the version: 1 is qcow, 2 and 3 are qcow2, anything else is refused.
pub(super) fn probe_family(src: &mut Source, head: &[u8]) -> Step<ImageInfo> {
    if head.len() < 8 {
        return Err(refuse(
            "qcow2.version",
            "the image ends before the version field",
        ));
    }
    match be32(head, 4) {
        1 => probe_v1(src),
        v @ (2 | 3) => qcow2::probe(src, v),
        v => Err(refuse(
            "qcow2.version",
            format!("{v} is not 1 (qcow), 2 or 3 (qcow2)"),
        )),
    }
}

fn probe_v1(src: &mut Source) -> Step<ImageInfo> {
    let h = src.read_exact(0, HEADER, "qcow.header", "qcow header")?;
    let size = be64(&h, 24);
    let (cluster_bits, l2_bits) = (u32::from(h[32]), u32::from(h[33]));
    let crypt_method = be32(&h, 36);
    check(size, cluster_bits, l2_bits, crypt_method)?;
    let backing = read_backing(src, be64(&h, 8), be32(&h, 16).into())?;
    Ok(ImageInfo {
        // qemu counts whole sectors.
        virtual_size: Some(size / 512 * 512),
        cluster_size: Some(1 << cluster_bits),
        backing,
        encryption: (crypt_method == 1).then_some(EncryptionFormat::Qcow),
        ..ImageInfo::new(ImageFormat::Qcow)
    })
}

fn check(size: u64, cluster_bits: u32, l2_bits: u32, crypt_method: u32) -> Step<()> {
    if size <= 1 {
        return Err(refuse(
            "qcow.size",
            format!("{size} is too small; qemu opens images of at least 2 bytes"),
        ));
    }
    if !(9..=16).contains(&cluster_bits) {
        return Err(refuse(
            "qcow.cluster_bits",
            format!("{cluster_bits} is not between 9 and 16 (clusters of 512 B to 64 KiB)"),
        ));
    }
    if !(6..=13).contains(&l2_bits) {
        return Err(refuse(
            "qcow.l2_bits",
            format!("{l2_bits} is not between 6 and 13 (L2 tables of 512 B to 64 KiB)"),
        ));
    }
    if crypt_method > 1 {
        return Err(refuse(
            "qcow.crypt_method",
            format!("{crypt_method} is not 0 (none) or 1 (AES)"),
        ));
    }
    // qemu's L1 table holds at most INT_MAX / 8 entries of 2^(cluster + l2 bits) bytes.
    let per_entry = 1u128 << (cluster_bits + l2_bits);
    let most = per_entry * (i32::MAX as u128 / 8);
    if u128::from(size) > most {
        return Err(refuse(
            "qcow.size",
            format!(
                "virtual size {size} is larger than {most} bytes, the most a qcow L1 table \
                 addresses with these cluster and L2 sizes"
            ),
        ));
    }
    within_qemu_limit("qcow.size", size.into()).map(drop)
}

fn read_backing(src: &mut Source, offset: u64, len: u64) -> Step<Option<BackingFile>> {
    if offset == 0 {
        return Ok(None);
    }
    if len > MAX_BACKING_NAME {
        return Err(refuse(
            "qcow.backing_file_size",
            format!("{len} bytes is longer than 1023, the longest backing file name qemu reads"),
        ));
    }
    let name = src.read(offset, len)?;
    if (name.len() as u64) < len {
        return Err(refuse(
            "qcow.backing_file_offset",
            format!(
                "the backing file name at byte {offset} ({len} bytes) runs past the end of the \
                 image"
            ),
        ));
    }
    // qcow has no backing format: the backing file is probed.
    let path = file_name("qcow.backing_file", &name)?;
    Ok(path.map(|path| BackingFile { path, format: None }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn version_1_with_backing_file() {
        let info = probe_bytes(&qcow_v1(1 << 30, 12, 9, 0, Some("base.img"))).unwrap();
        assert_eq!(info.format, ImageFormat::Qcow);
        assert_eq!(info.virtual_size, Some(1 << 30));
        assert_eq!(info.cluster_size, Some(4096));
        assert_eq!(info.backing.unwrap().path, "base.img");
        let aes = probe_bytes(&qcow_v1(1 << 30, 12, 9, 1, None)).unwrap();
        assert_eq!(aes.encryption, Some(EncryptionFormat::Qcow));
    }

    #[test]
    fn every_refusal_names_its_field() {
        let mut long_name = qcow_v1(1 << 30, 12, 9, 0, Some("b"));
        long_name[16..20].copy_from_slice(&2000u32.to_be_bytes());
        let mut bad_name = qcow_v1(1 << 30, 12, 9, 0, Some("b"));
        *bad_name.last_mut().unwrap() = 0xff;
        let mut cut = qcow_v1(1 << 30, 12, 9, 0, Some("base"));
        cut.truncate(cut.len() - 1);
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                b"QFI\xfb\0\0".to_vec(),
                "qcow2.version",
                "ends before the version",
            ),
            (
                qcow_v1(1 << 30, 12, 9, 0, None)[..30].to_vec(),
                "qcow.header",
                "qcow header is 30 bytes long, needs 48",
            ),
            (qcow_v1(1, 12, 9, 0, None), "qcow.size", "1 is too small"),
            (
                qcow_v1(1 << 30, 17, 9, 0, None),
                "qcow.cluster_bits",
                "17 is not between 9 and 16",
            ),
            (
                qcow_v1(1 << 30, 12, 5, 0, None),
                "qcow.l2_bits",
                "5 is not between 6 and 13",
            ),
            (
                qcow_v1(1 << 30, 12, 9, 2, None),
                "qcow.crypt_method",
                "2 is not 0 (none) or 1 (AES)",
            ),
            (
                qcow_v1(1 << 62, 9, 6, 0, None),
                "qcow.size",
                "the most a qcow L1 table addresses",
            ),
            (
                qcow_v1(u64::MAX - 10, 16, 13, 0, None),
                "qcow.size",
                "larger than",
            ),
            (
                long_name,
                "qcow.backing_file_size",
                "2000 bytes is longer than 1023",
            ),
            (cut, "qcow.backing_file_offset", "runs past the end"),
            (bad_name, "qcow.backing_file", "not UTF-8"),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
