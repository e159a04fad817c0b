//! cloop (compressed loop, V2.0): a shell preamble, then block size and count. The
//! offsets table after them is not read.

use super::fields::be32;
use super::source::{refuse, Source, Step};
use super::{ImageFormat, ImageInfo};

pub(super) const MAGIC: &[u8] = b"#!/bin/sh\n#V2.0 Format\n\
    modprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n";

const HEADER: u64 = 136;
const MAX_BLOCK_SIZE: u32 = 64 << 20;
/// qemu reads at most 512 MiB of 8-byte offsets, one more than there are blocks.
const MAX_OFFSETS_BYTES: u64 = 512 << 20;

pub(super) fn probe(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    let h = src.read_exact(0, HEADER, "cloop.header", "cloop header")?;
    let block_size = be32(&h, 128);
    if block_size == 0 || block_size % 512 != 0 || block_size > MAX_BLOCK_SIZE {
        return Err(refuse(
            "cloop.block_size",
            format!("{block_size} is not a multiple of 512 from 512 to 64 MiB"),
        ));
    }
    let blocks = be32(&h, 132);
    if (u64::from(blocks) + 1) * 8 > MAX_OFFSETS_BYTES {
        return Err(refuse(
            "cloop.n_blocks",
            format!("{blocks} blocks need more offsets than qemu reads (512 MiB)"),
        ));
    }
    Ok(ImageInfo {
        virtual_size: Some(u64::from(blocks) * u64::from(block_size)),
        ..ImageInfo::new(ImageFormat::Cloop)
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn size_is_blocks_times_block_size() {
        let info = probe_bytes(&cloop_image(65536, 160)).unwrap();
        assert_eq!(info.format, ImageFormat::Cloop);
        assert_eq!(info.virtual_size, Some(160 * 65536));
    }

    #[test]
    fn every_refusal_names_its_field() {
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                cloop_image(65536, 1)[..130].to_vec(),
                "cloop.header",
                "cloop header is 130 bytes long, needs 136",
            ),
            (
                cloop_image(1000, 1),
                "cloop.block_size",
                "1000 is not a multiple of 512",
            ),
            (cloop_image(0, 1), "cloop.block_size", "0 is not"),
            (cloop_image(128 << 20, 1), "cloop.block_size", "134217728"),
            (
                cloop_image(65536, u32::MAX),
                "cloop.n_blocks",
                "4294967295 blocks",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
