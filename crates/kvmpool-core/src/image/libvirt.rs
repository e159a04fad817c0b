//! What libvirt's storage driver reports for a file in a dir pool, for an inventory that
//! must agree with it: a transcription of libvirt 9's `virStorageFileProbeFormatFromBuf`
//! and `virStorageFileProbeGetMetadata` (the `fileTypeInfo` table of magics, versions,
//! size offsets and multipliers) on the first 33 KiB, with the capacity rules of its
//! volume refresh. Its quirks are kept: ISO is tried first, `QFI` and `QED` are matched
//! on three bytes, a magic with an unknown version is raw. Checked against libvirt 9.0's
//! daemon by tests/image_probe.rs.

use std::io::{Read, Seek};

use serde::Serialize;

use super::fields::{be16, be32, be64, has_at, le32, le64};
use super::source::read_head;
use crate::error::Result;
use crate::spec::{EncryptionFormat, VolumeFormat};

/// libvirt's `VIR_STORAGE_MAX_HEADER`: how much of a file it reads to probe it.
pub const LIBVIRT_HEADER_BYTES: u64 = 0x8200;

/// What libvirt reports for a file volume: `vol-dumpxml`'s format and encryption and
/// `vol-info`'s capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LibvirtView {
    /// The format libvirt detects.
    pub format: VolumeFormat,
    /// The capacity libvirt reports, in bytes.
    pub capacity: u64,
    /// The encryption libvirt detects (LUKS in a raw file, qcow/qcow2 encryption).
    pub encryption: Option<EncryptionFormat>,
}

/// What libvirt reports for the `file_len`-byte file `reader` holds. Reads the first
/// [`LIBVIRT_HEADER_BYTES`] only; never refuses a header.
pub fn probe_as_libvirt(mut reader: impl Read + Seek, file_len: u64) -> Result<LibvirtView> {
    let head = read_head(&mut reader, file_len.min(LIBVIRT_HEADER_BYTES))?;
    Ok(LibvirtView::from_header(&head, file_len))
}

#[derive(Clone, Copy)]
enum Endian {
    Little,
    Big,
}

/// One row of libvirt's `fileTypeInfo` (the rows with a magic, in its order).
struct Row {
    format: VolumeFormat,
    magic_at: usize,
    magic: &'static [u8],
    endian: Endian,
    /// Where the version is (4 bytes) and the values accepted; `None`: any version.
    version: Option<(usize, &'static [u32])>,
    /// Where the 8-byte size is and its multiplier; `None`: the file size.
    size: Option<(usize, u64)>,
}

const fn row(
    format: VolumeFormat,
    magic_at: usize,
    magic: &'static [u8],
    endian: Endian,
    version: Option<(usize, &'static [u32])>,
    size: Option<(usize, u64)>,
) -> Row {
    Row {
        format,
        magic_at,
        magic,
        endian,
        version,
        size,
    }
}

const TABLE: &[Row] = &[
    row(
        VolumeFormat::Iso,
        32769,
        b"CD001",
        Endian::Little,
        None,
        None,
    ),
    row(
        VolumeFormat::Vpc,
        0,
        b"conectix",
        Endian::Big,
        Some((12, &[0x10000])),
        Some((40, 1)),
    ),
    row(
        VolumeFormat::Vdi,
        64,
        b"\x7f\x10\xda\xbe",
        Endian::Little,
        Some((68, &[0x0001_0001])),
        Some((368, 1)),
    ),
    row(
        VolumeFormat::Ploop,
        0,
        b"WithouFreSpacExt",
        Endian::Little,
        None,
        Some((36, 512)),
    ),
    row(
        VolumeFormat::Cow,
        0,
        b"OOOM",
        Endian::Big,
        Some((4, &[2])),
        Some((1036, 1)),
    ),
    row(
        VolumeFormat::Qcow,
        0,
        b"QFI",
        Endian::Big,
        Some((4, &[1])),
        Some((24, 1)),
    ),
    row(
        VolumeFormat::Qcow2,
        0,
        b"QFI",
        Endian::Big,
        Some((4, &[2, 3])),
        Some((24, 1)),
    ),
    row(
        VolumeFormat::Qed,
        0,
        b"QED",
        Endian::Little,
        None,
        Some((48, 1)),
    ),
    row(
        VolumeFormat::Vmdk,
        0,
        b"KDMV",
        Endian::Little,
        Some((4, &[1, 2, 3])),
        Some((12, 512)),
    ),
];

impl Row {
    fn matches(&self, head: &[u8]) -> bool {
        has_at(head, self.magic_at, self.magic)
            && self.version.is_none_or(|(at, accepted)| {
                at + 4 <= head.len() && accepted.contains(&self.u32_at(head, at))
            })
    }

    fn u32_at(&self, head: &[u8], at: usize) -> u32 {
        match self.endian {
            Endian::Little => le32(head, at),
            Endian::Big => be32(head, at),
        }
    }

    /// The header's size, as libvirt reads it: 0 when missing or when it would overflow.
    fn header_size(&self, head: &[u8]) -> u64 {
        let Some((at, multiplier)) = self.size else {
            return 0;
        };
        if at + 8 > head.len() {
            return 0;
        }
        let value = match self.endian {
            Endian::Little => le64(head, at),
            Endian::Big => be64(head, at),
        };
        value.checked_mul(multiplier).unwrap_or(0)
    }
}

impl LibvirtView {
    /// libvirt's answer from a file's first bytes (libvirt looks at
    /// [`LIBVIRT_HEADER_BYTES`]; more are ignored) and its length.
    pub fn from_header(head: &[u8], file_len: u64) -> LibvirtView {
        let head = &head[..head.len().min(LIBVIRT_HEADER_BYTES as usize)];
        let row = TABLE.iter().find(|r| r.matches(head));
        let format = row.map_or(VolumeFormat::Raw, |r| r.format);
        let encryption = encryption(format, head);
        let mut capacity = match row.map_or(0, |r| r.header_size(head)) {
            // A refresh of a ploop volume resets it to the file size (libvirt 9.0).
            0 => file_len,
            _ if format == VolumeFormat::Ploop => file_len,
            size => size,
        };
        if encryption == Some(EncryptionFormat::Luks) && format == VolumeFormat::Raw {
            // The LUKS payload offset, in sectors, at 104.
            capacity = capacity.saturating_sub(u64::from(be32(head, 104)) * 512);
        }
        LibvirtView {
            format,
            capacity,
            encryption,
        }
    }
}

/// libvirt's encryption rows: LUKS version 1 in raw files, the crypt method of qcow (at
/// 36) and qcow2 (at 32).
fn encryption(format: VolumeFormat, head: &[u8]) -> Option<EncryptionFormat> {
    let method = |at: usize| (at + 4 <= head.len()).then(|| be32(head, at));
    match format {
        VolumeFormat::Raw if has_at(head, 0, b"LUKS\xba\xbe") && be16(head, 6) == 1 => {
            Some(EncryptionFormat::Luks)
        }
        VolumeFormat::Qcow if method(36) == Some(1) => Some(EncryptionFormat::Qcow),
        VolumeFormat::Qcow2 => match method(32) {
            Some(1) => Some(EncryptionFormat::Qcow),
            Some(2) => Some(EncryptionFormat::Luks),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn view(bytes: &[u8]) -> LibvirtView {
        LibvirtView::from_header(bytes, bytes.len() as u64)
    }

    #[test]
    fn qcow2_capacity_is_the_header_size_or_the_file_size_when_zero() {
        let img = Qcow2::new(3, 16, 10 << 30).build();
        assert_eq!(view(&img).format, VolumeFormat::Qcow2);
        assert_eq!(view(&img).capacity, 10 << 30);
        let empty = Qcow2::new(3, 16, 0).build();
        assert_eq!(view(&empty).capacity, empty.len() as u64);
    }

    #[test]
    fn libvirt_quirks_are_kept() {
        // ISO is tried first: a qcow2 holding CD001 at 32769 is an ISO to libvirt
        let mut img = Qcow2::new(3, 16, 1 << 30).build();
        img.resize(40000, 0);
        img[32769..32774].copy_from_slice(b"CD001");
        assert_eq!(view(&img).format, VolumeFormat::Iso);
        assert_eq!(view(&img).capacity, 40000);
        // an unknown version is raw; three bytes of magic are enough
        let v4 = Qcow2::new(3, 16, 1 << 30).set32(4, 4).build();
        assert_eq!(view(&v4).format, VolumeFormat::Raw);
        let mut qfi = Qcow2::new(3, 16, 1 << 30).build();
        qfi[3] = 0;
        assert_eq!(view(&qfi).format, VolumeFormat::Qcow2);
        // vhdx is raw to libvirt
        assert_eq!(view(b"vhdxfile").format, VolumeFormat::Raw);
    }

    #[test]
    fn luks_capacity_leaves_out_the_header_and_ploop_is_its_file_size() {
        let mut luks = luks_header(1, 4096);
        luks.resize(4096 * 512 + 1000, 0);
        let v = view(&luks);
        assert_eq!(v.format, VolumeFormat::Raw);
        assert_eq!(v.encryption, Some(EncryptionFormat::Luks));
        assert_eq!(v.capacity, 1000);
        let ploop = parallels_header(*b"WithouFreSpacExt", 2, 1 << 21);
        assert_eq!(view(&ploop).format, VolumeFormat::Ploop);
        assert_eq!(view(&ploop).capacity, 64);
    }
}
