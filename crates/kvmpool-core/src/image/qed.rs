//! QED, checked as qemu's `bdrv_qed_do_open` checks it.

use super::fields::{le32, le64};
use super::source::{refuse, Source, Step};
use super::{file_name, within_qemu_limit, BackingFile, ImageFormat, ImageInfo};

pub(super) const MAGIC: &[u8] = b"QED\0";

const HEADER: u64 = 64;
const BACKING_FILE: u64 = 1;
const BACKING_FORMAT_NO_PROBE: u64 = 4;
const KNOWN_FEATURES: u64 = 7;
/// qemu reads the backing name into a PATH_MAX buffer.
const MAX_BACKING_NAME: u64 = 4095;

struct Header {
    cluster_size: u32,
    table_size: u32,
    header_size: u32,
    features: u64,
    l1_table_offset: u64,
    image_size: u64,
    backing_offset: u32,
    backing_size: u32,
}

pub(super) fn probe(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    let b = src.read_exact(0, HEADER, "qed.header", "qed header")?;
    let h = Header {
        cluster_size: le32(&b, 4),
        table_size: le32(&b, 8),
        header_size: le32(&b, 12),
        features: le64(&b, 16),
        l1_table_offset: le64(&b, 40),
        image_size: le64(&b, 48),
        backing_offset: le32(&b, 56),
        backing_size: le32(&b, 60),
    };
    check(&h, src.len())?;
    Ok(ImageInfo {
        virtual_size: Some(h.image_size),
        cluster_size: Some(h.cluster_size.into()),
        backing: read_backing(src, &h)?,
        ..ImageInfo::new(ImageFormat::Qed)
    })
}

fn check(h: &Header, file_len: Option<u64>) -> Step<()> {
    let unknown = h.features & !KNOWN_FEATURES;
    if unknown != 0 {
        return Err(refuse(
            "qed.features",
            format!("unknown feature bits {unknown:#x}: qemu cannot open the image"),
        ));
    }
    let cluster = u64::from(h.cluster_size);
    if !cluster.is_power_of_two() || !(4096..=64 << 20).contains(&cluster) {
        return Err(refuse(
            "qed.cluster_size",
            format!("{cluster} is not a power of two from 4 KiB to 64 MiB"),
        ));
    }
    if !h.table_size.is_power_of_two() || h.table_size > 16 {
        return Err(refuse(
            "qed.table_size",
            format!(
                "{} is not a power of two from 1 to 16 clusters",
                h.table_size
            ),
        ));
    }
    check_image_size(h)?;
    let header_bytes = u64::from(h.header_size) * cluster;
    let past_end = file_len.is_some_and(|len| h.l1_table_offset >= len);
    if h.l1_table_offset % cluster != 0 || h.l1_table_offset < header_bytes || past_end {
        return Err(refuse(
            "qed.l1_table_offset",
            format!(
                "{} is not a cluster-aligned offset past the header and inside the image",
                h.l1_table_offset
            ),
        ));
    }
    Ok(())
}

/// qemu's `qed_is_image_size_valid`: whole sectors, within what two table levels address.
fn check_image_size(h: &Header) -> Step<()> {
    let size = h.image_size;
    let cluster = u128::from(h.cluster_size);
    let entries = u128::from(h.table_size) * cluster / 8;
    let most = (entries * entries * cluster).min(i64::MAX as u128);
    if u128::from(size) > most {
        return Err(refuse(
            "qed.image_size",
            format!(
                "virtual size {size} is larger than {most} bytes, the most these tables address"
            ),
        ));
    }
    if size % 512 != 0 {
        return Err(refuse(
            "qed.image_size",
            format!("{size} is not a whole number of 512-byte sectors"),
        ));
    }
    within_qemu_limit("qed.image_size", size.into()).map(drop)
}

fn read_backing(src: &mut Source, h: &Header) -> Step<Option<BackingFile>> {
    if h.features & BACKING_FILE == 0 {
        return Ok(None);
    }
    let (offset, len) = (u64::from(h.backing_offset), u64::from(h.backing_size));
    let header_bytes = u64::from(h.header_size) * u64::from(h.cluster_size);
    if offset + len > header_bytes {
        return Err(refuse(
            "qed.backing_filename_offset",
            format!(
                "the backing file name at byte {offset} ({len} bytes) is past the header's \
                 {header_bytes} bytes"
            ),
        ));
    }
    if len > MAX_BACKING_NAME {
        return Err(refuse(
            "qed.backing_filename_size",
            format!("{len} bytes is longer than 4095, the longest backing file name qemu reads"),
        ));
    }
    let name = src.read_exact(
        offset,
        len,
        "qed.backing_filename_offset",
        "the backing file name",
    )?;
    let format = (h.features & BACKING_FORMAT_NO_PROBE != 0).then_some(ImageFormat::Raw);
    let path = file_name("qed.backing_filename", &name)?;
    Ok(path.map(|path| BackingFile { path, format }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn a_qed_image_with_a_raw_backing_file() {
        let img = qed_image(1 << 30, Some(("base.raw", true)));
        let info = probe_bytes(&img).unwrap();
        assert_eq!(info.format, ImageFormat::Qed);
        assert_eq!(info.virtual_size, Some(1 << 30));
        assert_eq!(info.cluster_size, Some(65536));
        let backing = info.backing.unwrap();
        assert_eq!(backing.path, "base.raw");
        assert_eq!(backing.format, Some(ImageFormat::Raw));
        let probed = probe_bytes(&qed_image(1 << 30, Some(("b", false)))).unwrap();
        assert_eq!(probed.backing.unwrap().format, None);
    }

    #[test]
    fn every_refusal_names_its_field() {
        let with = |at: usize, bytes: &[u8]| {
            let mut img = qed_image(1 << 30, Some(("base", false)));
            img[at..at + bytes.len()].copy_from_slice(bytes);
            img
        };
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                qed_image(1 << 30, None)[..50].to_vec(),
                "qed.header",
                "qed header is 50 bytes long, needs 64",
            ),
            (with(16, &[9]), "qed.features", "unknown feature bits 0x8"),
            (
                with(4, &1000u32.to_le_bytes()),
                "qed.cluster_size",
                "1000 is not a power of two",
            ),
            (
                with(8, &32u32.to_le_bytes()),
                "qed.table_size",
                "32 is not a power of two",
            ),
            (
                with(48, &1000u64.to_le_bytes()),
                "qed.image_size",
                "not a whole number of 512-byte sectors",
            ),
            (
                with(48, &(1u64 << 62).to_le_bytes()),
                "qed.image_size",
                "the most these tables address",
            ),
            (
                with(40, &100u64.to_le_bytes()),
                "qed.l1_table_offset",
                "100 is not a cluster-aligned offset",
            ),
            (
                with(40, &(1u64 << 40).to_le_bytes()),
                "qed.l1_table_offset",
                "inside the image",
            ),
            (
                with(56, &65534u32.to_le_bytes()),
                "qed.backing_filename_offset",
                "past the header's 65536 bytes",
            ),
            (with(64, b"\xff"), "qed.backing_filename", "not UTF-8"),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
        // a two-cluster header leaves room for a name longer than qemu reads
        let mut long = qed_image(1 << 30, Some(("base", false)));
        long[12..16].copy_from_slice(&2u32.to_le_bytes());
        long[40..48].copy_from_slice(&(2u64 << 16).to_le_bytes());
        long[60..64].copy_from_slice(&5000u32.to_le_bytes());
        assert_refused(
            &long,
            "qed.backing_filename_size",
            "5000 bytes is longer than 4095",
        );
    }
}
