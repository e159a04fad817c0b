//! User-Mode Linux COW, version 2: in libvirt's table, long gone from qemu. Read as
//! libvirt reads it: the size at 1036, the backing file name at 8.

use super::fields::{be32, be64};
use super::source::{refuse, Source, Step};
use super::{file_name, within_qemu_limit, BackingFile, ImageFormat, ImageInfo};

pub(super) const MAGIC: &[u8] = b"OOOM";

const HEADER: u64 = 1044;
const BACKING_NAME: std::ops::Range<usize> = 8..1032;

pub(super) fn probe(src: &mut Source, head: &[u8]) -> Step<ImageInfo> {
    let version = be32(head, 4);
    if version != 2 {
        return Err(refuse("cow.version", format!("{version} is not 2")));
    }
    let h = src.read_exact(0, HEADER, "cow.header", "cow header")?;
    let size = within_qemu_limit("cow.size", be64(&h, 1036).into())?;
    let path = file_name("cow.backing_file", &h[BACKING_NAME])?;
    Ok(ImageInfo {
        virtual_size: Some(size),
        backing: path.map(|path| BackingFile { path, format: None }),
        ..ImageInfo::new(ImageFormat::Cow)
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn size_and_backing_file() {
        let info = probe_bytes(&cow_header(2, 1 << 30, "/base.img")).unwrap();
        assert_eq!(info.format, ImageFormat::Cow);
        assert_eq!(info.virtual_size, Some(1 << 30));
        assert_eq!(info.backing.unwrap().path, "/base.img");
        assert_eq!(probe_bytes(&cow_header(2, 512, "")).unwrap().backing, None);
    }

    #[test]
    fn every_refusal_names_its_field() {
        let mut bad_name = cow_header(2, 512, "");
        bad_name[8] = 0xff;
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (cow_header(3, 1 << 30, ""), "cow.version", "3 is not 2"),
            (
                cow_header(2, 1 << 30, "")[..1000].to_vec(),
                "cow.header",
                "cow header is 1000 bytes long, needs 1044",
            ),
            (
                cow_header(2, u64::MAX, ""),
                "cow.size",
                "the most qemu opens",
            ),
            (bad_name, "cow.backing_file", "not UTF-8"),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
