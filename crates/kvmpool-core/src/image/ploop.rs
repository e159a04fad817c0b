//! ploop (qemu's "parallels"): a 64-byte header, version 2, with the size in sectors.
//! Checked as qemu's `parallels_open` checks it.

use super::fields::{le32, le64};
use super::source::{refuse, Source, Step};
use super::{within_qemu_limit, ImageFormat, ImageInfo};

/// The current magic; libvirt knows only this one.
pub(super) const MAGIC: &[u8] = b"WithouFreSpacExt";
/// The first version's magic, whose size qemu reads as 32 bits.
pub(super) const MAGIC_OLD: &[u8] = b"WithoutFreeSpace";

const HEADER: u64 = 64;
const VERSION: u32 = 2;

pub(super) fn probe(src: &mut Source, head: &[u8]) -> Step<ImageInfo> {
    let h = src.read_exact(0, HEADER, "ploop.header", "ploop header")?;
    let version = le32(&h, 16);
    if version != VERSION {
        return Err(refuse("ploop.version", format!("{version} is not 2")));
    }
    let tracks = le32(&h, 28);
    if tracks == 0 || tracks > i32::MAX as u32 / 513 {
        return Err(refuse(
            "ploop.tracks",
            format!("{tracks} sectors per cluster is not from 1 to 4185966"),
        ));
    }
    let bat_entries = le32(&h, 32);
    if bat_entries > i32::MAX as u32 / 4 {
        return Err(refuse(
            "ploop.bat_entries",
            format!(
                "{bat_entries} entries are more than qemu's {}",
                i32::MAX / 4
            ),
        ));
    }
    let mut sectors = le64(&h, 36);
    if head.starts_with(MAGIC_OLD) {
        sectors &= 0xffff_ffff;
    }
    let size = within_qemu_limit("ploop.nb_sectors", u128::from(sectors) * 512)?;
    Ok(ImageInfo {
        virtual_size: Some(size),
        ..ImageInfo::new(ImageFormat::Ploop)
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn size_is_in_sectors_and_32_bits_in_the_first_version() {
        let info = probe_bytes(&parallels_header(*b"WithouFreSpacExt", 2, 1 << 21)).unwrap();
        assert_eq!(info.format, ImageFormat::Ploop);
        assert_eq!(info.virtual_size, Some(1 << 30));
        let old = parallels_header(*b"WithoutFreeSpace", 2, (1 << 32) + 8);
        assert_eq!(probe_bytes(&old).unwrap().virtual_size, Some(8 * 512));
    }

    #[test]
    fn every_refusal_names_its_field() {
        let with = |at: usize, bytes: &[u8]| {
            let mut img = parallels_header(*b"WithouFreSpacExt", 2, 1 << 21);
            img[at..at + bytes.len()].copy_from_slice(bytes);
            img
        };
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                parallels_header(*b"WithouFreSpacExt", 2, 1)[..40].to_vec(),
                "ploop.header",
                "ploop header is 40 bytes long, needs 64",
            ),
            (
                parallels_header(*b"WithouFreSpacExt", 3, 1),
                "ploop.version",
                "3 is not 2",
            ),
            (
                with(28, &0u32.to_le_bytes()),
                "ploop.tracks",
                "0 sectors per cluster",
            ),
            (
                with(32, &u32::MAX.to_le_bytes()),
                "ploop.bat_entries",
                "4294967295 entries",
            ),
            (
                with(36, &u64::MAX.to_le_bytes()),
                "ploop.nb_sectors",
                "the most qemu opens",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
