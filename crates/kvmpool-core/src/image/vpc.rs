//! VPC (VHD) with its footer copy at offset 0: dynamic disks. The size follows qemu 10's
//! `vpc_open`: CHS geometry for images made by Virtual PC and old qemu (`vpc `, `qemu`),
//! the footer's current size for every other creator and for the largest geometry.

use super::fields::{be16, be32, be64};
use super::source::{refuse, Source, Step};
use super::{ImageFormat, ImageInfo};

pub(super) const MAGIC: &[u8] = b"conectix";

const FOOTER: u64 = 512;
const DYNAMIC_HEADER: u64 = 512;
const DIFFERENCING: u32 = 4;
const MAX_GEOMETRY: u64 = 65535 * 16 * 255;
/// qemu's `VHD_MAX_SECTORS`: 2040 GiB.
const MAX_SECTORS: u64 = 0xff00_0000;

pub(super) fn probe(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    let footer = src.read_exact(0, FOOTER, "vpc.footer", "vpc footer")?;
    check_checksum(&footer)?;
    if be32(&footer, 60) == DIFFERENCING {
        return Err(refuse(
            "vpc.disk_type",
            "differencing VHD images are not supported (qemu reads them without their parent)",
        ));
    }
    let sectors = sectors(&footer)?;
    let block_size = read_block_size(src, be64(&footer, 16), sectors)?;
    Ok(ImageInfo {
        virtual_size: Some(sectors * 512),
        cluster_size: Some(block_size),
        ..ImageInfo::new(ImageFormat::Vpc)
    })
}

/// The one's complement of the byte sum with the checksum field zeroed.
fn check_checksum(footer: &[u8]) -> Step<()> {
    let stored = be32(footer, 64);
    let sum = footer
        .iter()
        .enumerate()
        .filter(|(i, _)| !(64..68).contains(i))
        .fold(0u32, |acc, (_, &b)| acc.wrapping_add(u32::from(b)));
    if !sum != stored {
        return Err(refuse(
            "vpc.checksum",
            format!("{stored:#010x} does not match the footer ({:#010x})", !sum),
        ));
    }
    Ok(())
}

fn sectors(footer: &[u8]) -> Step<u64> {
    let chs = u64::from(be16(footer, 56)) * u64::from(footer[58]) * u64::from(footer[59]);
    let creator = &footer[28..32];
    if (creator == b"vpc " || creator == b"qemu") && chs != MAX_GEOMETRY {
        // Never more than 2040 GiB: 65535 × 16 × 255 sectors is the largest geometry.
        return Ok(chs);
    }
    let sectors = be64(footer, 48) / 512;
    if sectors > MAX_SECTORS {
        return Err(refuse(
            "vpc.current_size",
            format!(
                "{sectors} sectors is more than {MAX_SECTORS} (2040 GiB), the largest VHD qemu \
                 opens"
            ),
        ));
    }
    Ok(sectors)
}

/// The dynamic disk header's block size, checked as qemu checks it.
fn read_block_size(src: &mut Source, offset: u64, sectors: u64) -> Step<u64> {
    let h = src.read(offset, DYNAMIC_HEADER)?;
    if !h.starts_with(b"cxsparse") || (h.len() as u64) < DYNAMIC_HEADER {
        return Err(refuse(
            "vpc.data_offset",
            format!("there is no dynamic disk header (cxsparse) at byte {offset}"),
        ));
    }
    let block_size = u64::from(be32(&h, 32));
    if !block_size.is_power_of_two() || block_size < 512 {
        return Err(refuse(
            "vpc.block_size",
            format!("{block_size} is not a power of two of at least 512"),
        ));
    }
    let bytes = sectors * 512;
    if bytes / block_size > u64::from(u32::MAX) {
        return Err(refuse(
            "vpc.block_size",
            format!("{block_size}-byte blocks are too small for {bytes} bytes"),
        ));
    }
    let entries = u64::from(be32(&h, 28));
    if entries > (i32::MAX / 4) as u64 || entries * block_size < bytes {
        return Err(refuse(
            "vpc.max_table_entries",
            format!("{entries} blocks of {block_size} bytes do not hold {bytes} bytes"),
        ));
    }
    Ok(block_size)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn qemu_images_use_the_geometry_and_others_the_current_size() {
        // 2080 × 16 × 63 sectors is what qemu-img makes for 1 GiB
        let chs = probe_bytes(&vpc_image(b"qemu", (2080, 16, 63), 1 << 30)).unwrap();
        assert_eq!(chs.format, ImageFormat::Vpc);
        assert_eq!(chs.virtual_size, Some(2080 * 16 * 63 * 512));
        assert_eq!(chs.cluster_size, Some(2 << 20));
        let win = probe_bytes(&vpc_image(b"win ", (2080, 16, 63), 1 << 30)).unwrap();
        assert_eq!(win.virtual_size, Some(1 << 30));
        let max = probe_bytes(&vpc_image(b"vpc ", (65535, 16, 255), 3 << 40)).unwrap_err();
        assert_eq!(max.field(), Some("vpc.current_size"));
    }

    #[test]
    fn every_refusal_names_its_field() {
        let base = || vpc_image(b"win ", (2080, 16, 63), 1 << 30);
        let mut bad_sum = base();
        bad_sum[100] ^= 1;
        let resum = |mut img: Vec<u8>| {
            fix_vpc_checksum(&mut img);
            img
        };
        let with = |at: usize, bytes: &[u8]| {
            let mut img = base();
            img[at..at + bytes.len()].copy_from_slice(bytes);
            img
        };
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                base()[..300].to_vec(),
                "vpc.footer",
                "vpc footer is 300 bytes long, needs 512",
            ),
            (bad_sum, "vpc.checksum", "does not match the footer"),
            (
                resum(with(60, &4u32.to_be_bytes())),
                "vpc.disk_type",
                "differencing",
            ),
            (
                resum(with(48, &(3u64 << 40).to_be_bytes())),
                "vpc.current_size",
                "2040 GiB",
            ),
            (
                resum(with(16, &4096u64.to_be_bytes())),
                "vpc.data_offset",
                "no dynamic disk header",
            ),
            (
                with(512 + 32, &1000u32.to_be_bytes()),
                "vpc.block_size",
                "1000 is not a power of two",
            ),
            (
                with(512 + 28, &10u32.to_be_bytes()),
                "vpc.max_table_entries",
                "10 blocks of 2097152 bytes",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
