//! Bochs growing redolog images, versions 1 and 2, as qemu's bochs driver reads them.

use super::fields::{c_string, le32, le64};
use super::source::{refuse, Source, Step};
use super::{ImageFormat, ImageInfo};

/// The magic with its NUL: qemu compares it as a C string.
pub(super) const MAGIC: &[u8] = b"Bochs Virtual HD Image\0";

const HEADER: u64 = 512;
const VERSION_1: u32 = 0x0001_0000;
const VERSION_2: u32 = 0x0002_0000;
const MAX_CATALOG: u32 = 0x10_0000;
const MAX_EXTENT: u32 = 0x80_0000;

pub(super) fn probe(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    let h = src.read_exact(0, HEADER, "bochs.header", "bochs header")?;
    for (field, range, want) in [
        ("bochs.type", 32..48, b"Redolog".as_slice()),
        ("bochs.subtype", 48..64, b"Growing".as_slice()),
    ] {
        let got = c_string(&h[range]);
        if got != want {
            return Err(refuse(
                field,
                format!(
                    "{:?} is not {:?}: only growing redologs are images",
                    String::from_utf8_lossy(got),
                    String::from_utf8_lossy(want)
                ),
            ));
        }
    }
    // Version 2 added a timestamp before the disk size.
    let disk = match le32(&h, 64) {
        VERSION_1 => le64(&h, 84),
        VERSION_2 => le64(&h, 88),
        v => {
            return Err(refuse(
                "bochs.version",
                format!("{v:#x} is not 0x10000 or 0x20000"),
            ))
        }
    };
    let sectors = disk / 512;
    check_tables(le32(&h, 72), le32(&h, 80), sectors)?;
    Ok(ImageInfo {
        // At most 2^20 catalog entries of 8 MiB extents: far below qemu's limit.
        virtual_size: Some(sectors * 512),
        ..ImageInfo::new(ImageFormat::Bochs)
    })
}

/// qemu's checks on the catalog and the extent size.
fn check_tables(catalog: u32, extent: u32, sectors: u64) -> Step<()> {
    if catalog > MAX_CATALOG {
        return Err(refuse(
            "bochs.catalog",
            format!("{catalog} entries are more than qemu's {MAX_CATALOG}"),
        ));
    }
    if extent < 512 || !extent.is_power_of_two() || extent > MAX_EXTENT {
        return Err(refuse(
            "bochs.extent",
            format!("{extent} is not a power of two from 512 to 8 MiB"),
        ));
    }
    let needed = sectors.div_ceil(u64::from(extent / 512));
    if u64::from(catalog) < needed {
        return Err(refuse(
            "bochs.catalog",
            format!("{catalog} entries are too few for the disk, which needs {needed}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn versions_1_and_2_keep_the_size_in_different_places() {
        let v2 = probe_bytes(&bochs_image(2, 10 << 20, 65536)).unwrap();
        assert_eq!(v2.format, ImageFormat::Bochs);
        assert_eq!(v2.virtual_size, Some(10 << 20));
        let v1 = probe_bytes(&bochs_image(1, 10 << 20, 65536)).unwrap();
        assert_eq!(v1.virtual_size, Some(10 << 20));
    }

    #[test]
    fn every_refusal_names_its_field() {
        let with = |at: usize, bytes: &[u8]| {
            let mut img = bochs_image(2, 10 << 20, 65536);
            img[at..at + bytes.len()].copy_from_slice(bytes);
            img
        };
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                bochs_image(2, 10 << 20, 65536)[..100].to_vec(),
                "bochs.header",
                "bochs header is 100 bytes long, needs 512",
            ),
            (
                with(32, b"Undoable"),
                "bochs.type",
                "\"Undoable\" is not \"Redolog\"",
            ),
            (
                with(48, b"Volatile"),
                "bochs.subtype",
                "\"Volatile\" is not \"Growing\"",
            ),
            (with(64, &3u32.to_le_bytes()), "bochs.version", "0x3 is not"),
            (
                with(72, &(super::MAX_CATALOG + 1).to_le_bytes()),
                "bochs.catalog",
                "1048577 entries are more",
            ),
            (
                with(80, &1000u32.to_le_bytes()),
                "bochs.extent",
                "1000 is not a power of two",
            ),
            (
                with(72, &1u32.to_le_bytes()),
                "bochs.catalog",
                "1 entries are too few",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
