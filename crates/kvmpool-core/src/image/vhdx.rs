//! VHDX: the region table at 192 KiB points to the metadata region, whose table points to
//! the virtual disk size and the block size. Checked as qemu's vhdx driver checks them,
//! except the CRC-32C checksums, which are not verified.

use super::fields::{has_at, le16, le32, le64};
use super::source::{refuse, Source, Step};
use super::{ImageFormat, ImageInfo};

pub(super) const MAGIC: &[u8] = b"vhdxfile";

const REGION_TABLE: u64 = 192 << 10;
const MAX_ENTRIES: u64 = 2047;
const MAX_SIZE: u64 = 64 << 40;
const BLOCK_SIZES: std::ops::RangeInclusive<u64> = (1 << 20)..=(256 << 20);
const HAS_PARENT: u32 = 2;

/// A GUID as VHDX stores it: the first three fields little-endian.
const fn guid(a: u32, b: u16, c: u16, d: [u8; 8]) -> [u8; 16] {
    let (a, b, c) = (a.to_le_bytes(), b.to_le_bytes(), c.to_le_bytes());
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5], d[6],
        d[7],
    ]
}

pub(super) const BAT: [u8; 16] = guid(
    0x2dc2_7766,
    0xf623,
    0x4200,
    [0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08],
);
pub(super) const METADATA: [u8; 16] = guid(
    0x8b7c_a206,
    0x4790,
    0x4b9a,
    [0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e],
);
pub(super) const FILE_PARAMETERS: [u8; 16] = guid(
    0xcaa1_6737,
    0xfa36,
    0x4d43,
    [0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b],
);
pub(super) const VIRTUAL_DISK_SIZE: [u8; 16] = guid(
    0x2fa5_4224,
    0xcd1b,
    0x4876,
    [0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8],
);
pub(super) const LOGICAL_SECTOR_SIZE: [u8; 16] = guid(
    0x8141_bf1d,
    0xa96f,
    0x4709,
    [0xba, 0x47, 0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f],
);
pub(super) const PHYSICAL_SECTOR_SIZE: [u8; 16] = guid(
    0xcda3_48c7,
    0x445d,
    0x4471,
    [0x9c, 0xc9, 0xe9, 0x88, 0x52, 0x51, 0xc5, 0x56],
);
const PAGE_83: [u8; 16] = guid(
    0xbeca_12ab,
    0xb2e6,
    0x4523,
    [0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46],
);
const PARENT_LOCATOR: [u8; 16] = guid(
    0xa8d3_5f2d,
    0xb30b,
    0x454d,
    [0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c],
);

/// Where a region or metadata item lies.
#[derive(Debug, Clone, Copy)]
struct Span {
    offset: u64,
    length: u64,
}

pub(super) fn probe(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    let metadata = metadata_region(src)?;
    let items = metadata_items(src, metadata)?;
    let (block_size, flags) = {
        let b = item(src, metadata, items.file_parameters, 8)?;
        (u64::from(le32(&b, 0)), le32(&b, 4))
    };
    let size = le64(&item(src, metadata, items.virtual_disk_size, 8)?, 0);
    let logical = le32(&item(src, metadata, items.logical_sector_size, 4)?, 0);
    let physical = le32(&item(src, metadata, items.physical_sector_size, 4)?, 0);
    check(block_size, flags, size, logical, physical)?;
    Ok(ImageInfo {
        virtual_size: Some(size / u64::from(logical) * u64::from(logical)),
        cluster_size: Some(block_size),
        ..ImageInfo::new(ImageFormat::Vhdx)
    })
}

/// The region table: the metadata region (and a BAT), no unknown required region.
fn metadata_region(src: &mut Source) -> Step<Span> {
    let head = src.read_exact(REGION_TABLE, 16, "vhdx.region_table", "the region table")?;
    if !has_at(&head, 0, b"regi") {
        return Err(refuse(
            "vhdx.region_table",
            "there is no region table (\"regi\") at 192 KiB",
        ));
    }
    let count = u64::from(le32(&head, 8));
    if count > MAX_ENTRIES {
        return Err(refuse(
            "vhdx.region_table",
            format!("{count} regions are more than 2047"),
        ));
    }
    let table = src.read_exact(
        REGION_TABLE + 16,
        count * 32,
        "vhdx.region_table",
        "the region table",
    )?;
    let (mut bat, mut metadata) = (None, None);
    for entry in table.chunks_exact(32) {
        let span = Span {
            offset: le64(entry, 16),
            length: le32(entry, 24).into(),
        };
        match &entry[..16] {
            id if id == BAT => bat = Some(span),
            id if id == METADATA => metadata = Some(span),
            _ if le32(entry, 28) & 1 != 0 => {
                return Err(refuse(
                    "vhdx.region_table",
                    "a required region is of a kind qemu does not know",
                ))
            }
            _ => {}
        }
    }
    match (bat, metadata) {
        (Some(_), Some(m)) => inside_image(src, m, "vhdx.region_table", "the metadata region"),
        _ => Err(refuse(
            "vhdx.region_table",
            "the BAT or the metadata region is missing",
        )),
    }
}

fn inside_image(src: &Source, span: Span, field: &str, what: &str) -> Step<Span> {
    let end = span.offset.saturating_add(span.length);
    if src.len().is_some_and(|len| end > len) {
        return Err(refuse(
            field,
            format!("{what} ends at byte {end}, past the end of the image"),
        ));
    }
    Ok(span)
}

#[derive(Default)]
struct Items {
    file_parameters: Option<Span>,
    virtual_disk_size: Option<Span>,
    logical_sector_size: Option<Span>,
    physical_sector_size: Option<Span>,
}

/// The metadata table's entries, by kind.
fn metadata_items(src: &mut Source, region: Span) -> Step<Items> {
    let head = src.read_exact(region.offset, 32, "vhdx.metadata", "the metadata table")?;
    if !has_at(&head, 0, b"metadata") {
        return Err(refuse(
            "vhdx.metadata",
            format!("there is no metadata table at byte {}", region.offset),
        ));
    }
    let count = u64::from(le16(&head, 10));
    if count > MAX_ENTRIES {
        return Err(refuse(
            "vhdx.metadata",
            format!("{count} metadata entries are more than 2047"),
        ));
    }
    let table = src.read_exact(
        region.offset + 32,
        count * 32,
        "vhdx.metadata",
        "the metadata table",
    )?;
    let mut items = Items::default();
    for entry in table.chunks_exact(32) {
        let span = Some(Span {
            offset: le32(entry, 16).into(),
            length: le32(entry, 20).into(),
        });
        match &entry[..16] {
            id if id == FILE_PARAMETERS => items.file_parameters = span,
            id if id == VIRTUAL_DISK_SIZE => items.virtual_disk_size = span,
            id if id == LOGICAL_SECTOR_SIZE => items.logical_sector_size = span,
            id if id == PHYSICAL_SECTOR_SIZE => items.physical_sector_size = span,
            id if id == PAGE_83 || id == PARENT_LOCATOR => {}
            _ if le32(entry, 24) & 4 != 0 => {
                return Err(refuse(
                    "vhdx.metadata",
                    "a required metadata item is of a kind qemu does not know",
                ))
            }
            _ => {}
        }
    }
    Ok(items)
}

/// The first `need` bytes of a metadata item, which must lie inside its region.
fn item(src: &mut Source, region: Span, span: Option<Span>, need: u64) -> Step<Vec<u8>> {
    let Some(span) = span.filter(|s| s.length >= need && s.offset + need <= region.length) else {
        return Err(refuse(
            "vhdx.metadata",
            "a required metadata item is missing or lies outside the metadata region",
        ));
    };
    src.read_exact(
        region.offset + span.offset,
        need,
        "vhdx.metadata",
        "a metadata item",
    )
}

fn check(block_size: u64, flags: u32, size: u64, logical: u32, physical: u32) -> Step<()> {
    if flags & HAS_PARENT != 0 {
        return Err(refuse(
            "vhdx.file_parameters",
            "differencing VHDX images are not supported (qemu cannot open them either)",
        ));
    }
    if !block_size.is_power_of_two() || !BLOCK_SIZES.contains(&block_size) {
        return Err(refuse(
            "vhdx.block_size",
            format!("{block_size} is not a power of two from 1 MiB to 256 MiB"),
        ));
    }
    for (field, value) in [
        ("vhdx.logical_sector_size", logical),
        ("vhdx.physical_sector_size", physical),
    ] {
        if value != 512 && value != 4096 {
            return Err(refuse(field, format!("{value} is neither 512 nor 4096")));
        }
    }
    if size > MAX_SIZE {
        return Err(refuse(
            "vhdx.virtual_disk_size",
            format!("virtual size {size} is larger than 64 TiB, the most VHDX holds"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn size_and_block_size_come_from_the_metadata() {
        let info = probe_bytes(&vhdx_image(1 << 30, 32 << 20, 512)).unwrap();
        assert_eq!(info.format, ImageFormat::Vhdx);
        assert_eq!(info.virtual_size, Some(1 << 30));
        assert_eq!(info.cluster_size, Some(32 << 20));
    }

    #[test]
    fn every_refusal_names_its_field() {
        let img = || vhdx_image(1 << 30, 32 << 20, 512);
        let with = |at: usize, bytes: &[u8]| {
            let mut v = img();
            v[at..at + bytes.len()].copy_from_slice(bytes);
            v
        };
        let meta = VHDX_METADATA_AT as usize;
        let mut unknown_required = with((192 << 10) + 16, &[1; 16]);
        unknown_required[(192 << 10) + 16 + 28] = 1;
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                img()[..100_000].to_vec(),
                "vhdx.region_table",
                "the region table is 0 bytes long, needs 16",
            ),
            (
                with(192 << 10, b"xxxx"),
                "vhdx.region_table",
                "no region table",
            ),
            (
                with((192 << 10) + 8, &3000u32.to_le_bytes()),
                "vhdx.region_table",
                "3000 regions",
            ),
            (
                with((192 << 10) + 16, &[0; 32]),
                "vhdx.region_table",
                "missing",
            ),
            (
                unknown_required,
                "vhdx.region_table",
                "a required region is of a kind",
            ),
            (
                with((192 << 10) + 32 + 32, &(1u64 << 40).to_le_bytes()),
                "vhdx.region_table",
                "past the end of the image",
            ),
            (
                with(meta, b"notmeta!"),
                "vhdx.metadata",
                "no metadata table",
            ),
            (
                with(meta + 32, &[0; 32]),
                "vhdx.metadata",
                "missing or lies outside",
            ),
            (
                with(VHDX_ITEMS_AT as usize + 4, &2u32.to_le_bytes()),
                "vhdx.file_parameters",
                "differencing",
            ),
            (
                with(VHDX_ITEMS_AT as usize, &(3u32 << 20).to_le_bytes()),
                "vhdx.block_size",
                "3145728 is not a power of two",
            ),
            (
                with(VHDX_ITEMS_AT as usize + 8, &(65u64 << 40).to_le_bytes()),
                "vhdx.virtual_disk_size",
                "larger than 64 TiB",
            ),
            (
                with(VHDX_ITEMS_AT as usize + 16, &1024u32.to_le_bytes()),
                "vhdx.logical_sector_size",
                "1024 is neither",
            ),
            (
                with(VHDX_ITEMS_AT as usize + 20, &0u32.to_le_bytes()),
                "vhdx.physical_sector_size",
                "0 is neither",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
