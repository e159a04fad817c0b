//! VDI (VirtualBox), version 1.1, checked as qemu's `vdi_open` checks it.

use super::fields::le32;
use super::fields::le64;
use super::source::{refuse, Source, Step};
use super::{ImageFormat, ImageInfo};

/// The signature `0xbeda107f`, little-endian at 64, after a text banner.
const SIGNATURE: &[u8] = b"\x7f\x10\xda\xbe";
const SIGNATURE_AT: usize = 64;
const HEADER: u64 = 512;
const VERSION_1_1: u32 = 0x0001_0001;
/// qemu reads blocks of 1 MiB only, at most 2^30 - 1 of them.
const BLOCK_SIZE: u32 = 1 << 20;
const MAX_BLOCKS: u32 = 0x3fff_ffff;

pub(super) fn matches(head: &[u8]) -> bool {
    super::fields::has_at(head, SIGNATURE_AT, SIGNATURE)
}

pub(super) fn probe(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    let h = src.read_exact(0, HEADER, "vdi.header", "vdi header")?;
    let version = le32(&h, 68);
    if version != VERSION_1_1 {
        return Err(refuse(
            "vdi.version",
            format!(
                "{}.{} is not 1.1, the version qemu reads",
                version >> 16,
                version & 0xffff
            ),
        ));
    }
    check_layout(&h)?;
    let disk_size = le64(&h, 368);
    check_blocks(&h, disk_size)?;
    Ok(ImageInfo {
        // qemu ignores a last partial sector.
        virtual_size: Some(disk_size / 512 * 512),
        cluster_size: Some(BLOCK_SIZE.into()),
        ..ImageInfo::new(ImageFormat::Vdi)
    })
}

fn check_layout(h: &[u8]) -> Step<()> {
    for (field, at) in [("vdi.offset_bmap", 340), ("vdi.offset_data", 344)] {
        let offset = le32(h, at);
        if offset % 512 != 0 {
            return Err(refuse(
                field,
                format!("{offset:#x} is not a multiple of 512"),
            ));
        }
    }
    let sector = le32(h, 360);
    if sector != 512 {
        return Err(refuse("vdi.sector_size", format!("{sector} is not 512")));
    }
    let block = le32(h, 376);
    if block != BLOCK_SIZE {
        return Err(refuse(
            "vdi.block_size",
            format!("{block} is not 1 MiB, the block size qemu reads"),
        ));
    }
    Ok(())
}

fn check_blocks(h: &[u8], disk_size: u64) -> Step<()> {
    let blocks = le32(h, 384);
    let room = u64::from(blocks) * u64::from(BLOCK_SIZE);
    if disk_size > room {
        return Err(refuse(
            "vdi.disk_size",
            format!("{disk_size} bytes do not fit in {blocks} blocks of 1 MiB"),
        ));
    }
    for (field, at, what) in [
        ("vdi.uuid_link", 424, "link"),
        ("vdi.uuid_parent", 440, "parent"),
    ] {
        if h.get(at..at + 16)
            .is_some_and(|u| u.iter().any(|&b| b != 0))
        {
            return Err(refuse(
                field,
                format!(
                    "differencing VDI images (with a {what} UUID) are not supported, as in qemu"
                ),
            ));
        }
    }
    if blocks > MAX_BLOCKS {
        return Err(refuse(
            "vdi.blocks_in_image",
            format!("{blocks} blocks are more than qemu's {MAX_BLOCKS}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn size_comes_from_the_header() {
        let info = probe_bytes(&vdi_image(1 << 30)).unwrap();
        assert_eq!(info.format, ImageFormat::Vdi);
        assert_eq!(info.virtual_size, Some(1 << 30));
        assert_eq!(info.cluster_size, Some(1 << 20));
    }

    #[test]
    fn every_refusal_names_its_field() {
        let with = |at: usize, bytes: &[u8]| {
            let mut img = vdi_image(1 << 30);
            img[at..at + bytes.len()].copy_from_slice(bytes);
            img
        };
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                vdi_image(1 << 30)[..200].to_vec(),
                "vdi.header",
                "vdi header is 200 bytes long, needs 512",
            ),
            (
                with(68, &0x0001_0000u32.to_le_bytes()),
                "vdi.version",
                "1.0 is not 1.1",
            ),
            (
                with(340, &100u32.to_le_bytes()),
                "vdi.offset_bmap",
                "0x64 is not a multiple of 512",
            ),
            (with(344, &100u32.to_le_bytes()), "vdi.offset_data", "0x64"),
            (
                with(360, &4096u32.to_le_bytes()),
                "vdi.sector_size",
                "4096 is not 512",
            ),
            (
                with(376, &(2u32 << 20).to_le_bytes()),
                "vdi.block_size",
                "2097152 is not 1 MiB",
            ),
            (
                with(368, &(2u64 << 30).to_le_bytes()),
                "vdi.disk_size",
                "2147483648 bytes do not fit in 1024 blocks",
            ),
            (with(424, &[1]), "vdi.uuid_link", "link UUID"),
            (with(440, &[1]), "vdi.uuid_parent", "parent UUID"),
            (
                with(384, &u32::MAX.to_le_bytes()),
                "vdi.blocks_in_image",
                "4294967295 blocks",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
