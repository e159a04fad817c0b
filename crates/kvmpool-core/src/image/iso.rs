//! ISO 9660: `CD001` in the volume descriptors from sector 16 (byte 32768); the virtual
//! size is the primary volume descriptor's block count × logical block size. libvirt
//! reports the file size instead (its table has no size field for ISO): see
//! [`super::probe_as_libvirt`].

use super::fields::{has_at, le16, le32};
use super::source::{refuse, Source, Step};
use super::{ImageFormat, ImageInfo};

const DESCRIPTORS: u64 = 32768;
const SECTOR: u64 = 2048;
const IDENTIFIER: &[u8] = b"CD001";
/// A disc rarely has more than a boot record and a Joliet descriptor before the primary
/// one; the walk stops after this many.
const MAX_DESCRIPTORS: u64 = 16;
const PRIMARY: u8 = 1;
const TERMINATOR: u8 = 255;

/// `CD001` at 32769, where libvirt and the kernel look.
pub(super) fn matches(src: &mut Source) -> Step<bool> {
    let id = src.read(DESCRIPTORS + 1, IDENTIFIER.len() as u64)?;
    Ok(id == IDENTIFIER)
}

pub(super) fn probe(src: &mut Source) -> Step<ImageInfo> {
    let pvd = primary_descriptor(src)?;
    let blocks = le32(&pvd, 80);
    let block_size = le16(&pvd, 128);
    if !block_size.is_power_of_two() || !(512..=2048).contains(&block_size) {
        return Err(refuse(
            "iso.logical_block_size",
            format!("{block_size} is not 512, 1024 or 2048"),
        ));
    }
    if blocks == 0 {
        return Err(refuse(
            "iso.volume_space_size",
            "the primary volume descriptor counts 0 blocks",
        ));
    }
    Ok(ImageInfo {
        virtual_size: Some(u64::from(blocks) * u64::from(block_size)),
        ..ImageInfo::new(ImageFormat::Iso)
    })
}

/// The first primary volume descriptor of the descriptor set.
fn primary_descriptor(src: &mut Source) -> Step<Vec<u8>> {
    for i in 0..MAX_DESCRIPTORS {
        let at = DESCRIPTORS + i * SECTOR;
        let d = src.read_exact(at, SECTOR, "iso.volume_descriptor", "a volume descriptor")?;
        if !has_at(&d, 1, IDENTIFIER) {
            break;
        }
        match d[0] {
            PRIMARY => return Ok(d),
            TERMINATOR => break,
            _ => {}
        }
    }
    Err(refuse(
        "iso.primary_volume_descriptor",
        "the volume descriptor set has no primary volume descriptor",
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn size_comes_from_the_primary_volume_descriptor() {
        let info = probe_bytes(&iso_image(334, 2048, true)).unwrap();
        assert_eq!(info.format, ImageFormat::Iso);
        assert_eq!(info.virtual_size, Some(334 * 2048));
        // a boot record before the primary descriptor is skipped
        let booted = probe_bytes(&iso_image(334, 2048, false)).unwrap();
        assert_eq!(booted.virtual_size, Some(334 * 2048));
    }

    #[test]
    fn a_prefix_needs_the_primary_descriptor() {
        let img = iso_image(334, 2048, true);
        assert_eq!(
            probe_prefix(&img[..32774], None).unwrap(),
            PrefixProbe::NeedBytes(34816)
        );
        let PrefixProbe::Complete(info) = probe_prefix(&img[..34816], None).unwrap() else {
            panic!("34816 bytes hold the primary descriptor")
        };
        assert_eq!(info.virtual_size, Some(334 * 2048));
    }

    #[test]
    fn every_refusal_names_its_field() {
        let with = |at: usize, bytes: &[u8]| {
            let mut img = iso_image(334, 2048, true);
            img[at..at + bytes.len()].copy_from_slice(bytes);
            img
        };
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                iso_image(334, 2048, true)[..33000].to_vec(),
                "iso.volume_descriptor",
                "a volume descriptor is 232 bytes long, needs 2048",
            ),
            (
                with(32768 + 128, &1000u16.to_le_bytes()),
                "iso.logical_block_size",
                "1000 is not 512",
            ),
            (
                with(32768 + 80, &0u32.to_le_bytes()),
                "iso.volume_space_size",
                "0 blocks",
            ),
            (
                with(32768, &[255]),
                "iso.primary_volume_descriptor",
                "no primary volume descriptor",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
