//! Identify a disk image from its header: format, virtual size, cluster size, backing
//! file, encryption. Never from the file name.
//!
//! [`probe`] reads only the bytes it needs from a seekable reader (at most
//! [`MAX_READ_BYTES`], whatever the header claims); [`probe_path`] opens a file (a
//! directory is [`ImageFormat::Dir`]); [`probe_prefix`] works on the buffered first bytes
//! of a stream (an HTTP download) and says how many more it needs; [`probe_as_libvirt`]
//! gives exactly what libvirt's storage driver reports for the same file.
//!
//! # What each format's detection reads
//!
//! Formats are recognised in qemu's way: a magic at offset 0 (or, for VDI, 64) wins,
//! then ISO 9660's `CD001` at 32769, and raw is what is left. The last column is how
//! many leading bytes [`probe_prefix`] needs (fewer when the stream is shorter).
//!
//! | format | magic | what is read | prefix needed |
//! | --- | --- | --- | --- |
//! | qcow2 | `QFI\xfb`, version 2 or 3 | header (72 bytes; v3 `header_length`), the extensions up to the end marker (backing format, external data file), the backing file name | 512 for qemu-img's images, plus the backing name; at most one cluster (2 MiB) + 1023 |
//! | qcow (v1) | `QFI\xfb`, version 1 | 48-byte header, backing file name | 512 + backing name |
//! | qed | `QED\0` | 64-byte header, backing file name | 512 + backing name |
//! | vmdk | `KDMV` (or ESX 2's `COWD`) | 512-byte header, the descriptor window at 512 (`parentFileNameHint`) | 10752 |
//! | vmdk descriptor | text whose first line after comments is `version=1..3` | the descriptor (up to 1 MiB): create type, extents, parent | the whole file |
//! | vpc | `conectix` (a dynamic VHD; a fixed VHD has its footer only at the end and is raw, in qemu and libvirt too) | footer copy, dynamic disk header | 1024 |
//! | vhdx | `vhdxfile` | region table at 192 KiB, metadata table and items (size, block size, sector sizes) | the metadata items: 3211304 for qemu-img's layout |
//! | vdi | `0xbeda107f` at 64 | 512-byte header | 512 |
//! | ploop | `WithouFreSpacExt` (or the older `WithoutFreeSpace`) | 64-byte header | 512 |
//! | cow (UML) | `OOOM`, version 2 | 1044-byte header | 1044 |
//! | bochs | `Bochs Virtual HD Image` | 512-byte header | 512 |
//! | cloop | its V2.0 `#!/bin/sh` preamble | block size and count at 128 | 512 |
//! | LUKS | `LUKS\xba\xbe` (raw with LUKS encryption, as libvirt models it) | 592-byte header (payload offset) | 592 |
//! | iso | `CD001` at 32769 | the volume descriptors from 32 KiB up to the primary one | 34816 (32 KiB + 2 KiB) |
//! | raw | nothing above | — | 32774 (to rule out ISO) |
//!
//! DMG has no header signature (its `koly` trailer is at the end; qemu picks it by the
//! file name), so it is never detected: [`ImageFormat::Dmg`] exists for backing-format
//! names and the mapping to [`VolumeFormat`].
//!
//! # Sizes
//!
//! `virtual_size` is what a guest sees, as qemu computes it: header sizes that are not a
//! whole number of sectors are rounded down as qemu does (qcow2, qcow, vdi, bochs, vhdx
//! to its logical sector); vpc follows qemu 10 (CHS geometry for images made by Virtual
//! PC and old qemu, the footer's current size otherwise); raw is the file length (qemu
//! rounds it up to 512); LUKS is the file minus the LUKS header. An ISO's virtual size is
//! the primary volume descriptor's block count × block size. libvirt reports something
//! else for an ISO — the file size, as for raw — which [`probe_as_libvirt`] gives.
//!
//! # Refusals
//!
//! A header that qemu would refuse to open is refused with [`Error::invalid`] naming the
//! field (`"qcow2.cluster_bits"`, `"vmdk.version"`, ...), as is a virtual size above what
//! qemu can address: 2^63 - 2^30 bytes for any format (`BDRV_MAX_LENGTH`), less where
//! the format's tables limit it (qcow2: an L1 table of at most 2^22 entries). A magic
//! with a version nobody defines is refused too: libvirt calls such files raw with a
//! warning, but copying one as a raw disk would be wrong either way.
//!
//! # Differences from libvirt's probe (`virStorageFileProbeFormatFromBuf`)
//!
//! - Formats with a magic at offset 0 win over ISO's `CD001` at 32769: libvirt tries ISO
//!   first (its table order) and calls a qcow2 that holds `CD001` at 32769 an ISO.
//! - Whole magics: libvirt matches `QFI` and `QED` (3 bytes), qemu and kvmpool the 4.
//! - vhdx, bochs, cloop, VMDK descriptor files and ESX `COWD` VMDKs are recognised, as
//!   qemu does; libvirt calls them raw.
//! - The qcow2 extension walk follows the specification (8-byte aligned extensions,
//!   ending at the backing file name or the end of the first cluster); libvirt does not
//!   round lengths up and stops at its 33 KiB buffer.
//! - Unknown versions and corrupt headers are refused instead of being called raw.
//!
//! [`probe_as_libvirt`] reproduces libvirt 9's answers, these differences included.

mod bochs;
mod cloop;
mod cow;
mod fields;
mod iso;
mod libvirt;
mod luks;
mod ploop;
mod qcow;
mod qcow2;
mod qed;
mod source;
mod vdi;
mod vhdx;
mod vmdk;
mod vpc;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::spec::names::string_enum;
use crate::spec::{EncryptionFormat, VolumeFeature, VolumeFormat};
use source::{refuse, Source, Step, Stop};

pub use libvirt::{probe_as_libvirt, LibvirtView, LIBVIRT_HEADER_BYTES};
pub use source::{MAX_PREFIX_BYTES, MAX_READ_BYTES};

string_enum! {
    /// An image format, spelled as libvirt spells it (`vhdx`, which libvirt does not
    /// know, as qemu spells it).
    pub enum ImageFormat {
        Raw = "raw", Dir = "dir", Bochs = "bochs", Cloop = "cloop", Dmg = "dmg",
        Iso = "iso", Vpc = "vpc", Vdi = "vdi", Ploop = "ploop", Cow = "cow",
        Qcow = "qcow", Qcow2 = "qcow2", Qed = "qed", Vmdk = "vmdk", Vhdx = "vhdx",
    }
}

impl ImageFormat {
    /// The libvirt volume format, where libvirt has one (all but vhdx).
    pub fn volume_format(self) -> Option<VolumeFormat> {
        Some(match self {
            ImageFormat::Raw => VolumeFormat::Raw,
            ImageFormat::Dir => VolumeFormat::Dir,
            ImageFormat::Bochs => VolumeFormat::Bochs,
            ImageFormat::Cloop => VolumeFormat::Cloop,
            ImageFormat::Dmg => VolumeFormat::Dmg,
            ImageFormat::Iso => VolumeFormat::Iso,
            ImageFormat::Vpc => VolumeFormat::Vpc,
            ImageFormat::Vdi => VolumeFormat::Vdi,
            ImageFormat::Ploop => VolumeFormat::Ploop,
            ImageFormat::Cow => VolumeFormat::Cow,
            ImageFormat::Qcow => VolumeFormat::Qcow,
            ImageFormat::Qcow2 => VolumeFormat::Qcow2,
            ImageFormat::Qed => VolumeFormat::Qed,
            ImageFormat::Vmdk => VolumeFormat::Vmdk,
            ImageFormat::Vhdx => return None,
        })
    }

    /// qemu's driver name (`qemu-img -f`): `parallels` for ploop, `raw` for an ISO;
    /// `None` for what qemu has no driver for (dir, the long-removed cow).
    pub fn qemu_name(self) -> Option<&'static str> {
        match self {
            ImageFormat::Iso => Some("raw"),
            ImageFormat::Ploop => Some("parallels"),
            ImageFormat::Dir | ImageFormat::Cow => None,
            other => Some(other.as_str()),
        }
    }

    /// The format a name stands for, in libvirt's or qemu's spelling (as a qcow2
    /// backing-format extension holds it); `None` for names of neither.
    pub fn from_name(name: &str) -> Option<ImageFormat> {
        match name {
            "parallels" => Some(ImageFormat::Ploop),
            other => other.parse().ok(),
        }
    }
}

/// The backing file of a copy-on-write image, as its header records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackingFile {
    /// The name as stored: a path (relative ones are relative to the image's directory)
    /// or a qemu URL / `json:` pseudo-path.
    pub path: String,
    /// The backing file's format when the image records it (qcow2's backing-format
    /// extension, qed's no-probe flag for raw, a VMDK's parent); `None` means it must be
    /// probed.
    pub format: Option<ImageFormat>,
}

/// What a header says about an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageInfo {
    /// The format.
    pub format: ImageFormat,
    /// The size the guest sees, in bytes (see the module documentation); `None` where the
    /// header does not say (a directory, raw data of unknown length, LUKS2).
    pub virtual_size: Option<u64>,
    /// The allocation unit, where qemu reports one (`qemu-img info`'s `cluster-size`);
    /// `None` for a VMDK descriptor file, whose grain size is in its extent files.
    pub cluster_size: Option<u64>,
    /// The backing file.
    pub backing: Option<BackingFile>,
    /// Files holding guest data besides this one (a qcow2 external data file, the
    /// extents of a VMDK descriptor): copying the image alone does not copy the disk.
    pub data_files: Vec<String>,
    /// 2 or 3 for qcow2 (libvirt's compat 0.10 and 1.1).
    pub qcow2_version: Option<u32>,
    /// The encryption the header declares.
    pub encryption: Option<EncryptionFormat>,
    /// qcow2 features libvirt knows (`lazy_refcounts`, `extended_l2`).
    pub features: Vec<VolumeFeature>,
}

impl ImageInfo {
    fn new(format: ImageFormat) -> Self {
        ImageInfo {
            format,
            virtual_size: None,
            cluster_size: None,
            backing: None,
            data_files: Vec::new(),
            qcow2_version: None,
            encryption: None,
            features: Vec::new(),
        }
    }

    /// True when the header declares encryption.
    pub fn encrypted(&self) -> bool {
        self.encryption.is_some()
    }

    /// The qcow2 compatibility level: `"0.10"` for version 2, `"1.1"` for version 3.
    pub fn compat(&self) -> Option<&'static str> {
        match self.qcow2_version {
            Some(2) => Some("0.10"),
            Some(3) => Some("1.1"),
            _ => None,
        }
    }
}

/// Identify the image `reader` holds; it is `file_len` bytes long (reads never go past
/// it). Reads at most [`MAX_READ_BYTES`]. I/O errors are [`ErrorKind::Io`]; a corrupt or
/// unsupported header is [`ErrorKind::InvalidSpec`] naming the field.
///
/// [`ErrorKind::Io`]: crate::ErrorKind::Io
/// [`ErrorKind::InvalidSpec`]: crate::ErrorKind::InvalidSpec
pub fn probe(mut reader: impl Read + Seek, file_len: u64) -> Result<ImageInfo> {
    let mut src = Source::reader(&mut reader, file_len);
    match probe_source(&mut src) {
        Ok(info) => Ok(info),
        Err(Stop::Refused(e)) => Err(e),
        // A reader can always read further; a request beyond its end reads nothing.
        Err(Stop::NeedBytes(n)) => Err(Error::invalid(
            "image",
            format!("the probe asked for the first {n} bytes of a file"),
        )),
    }
}

/// [`probe`] on a file or block device. A directory is [`ImageFormat::Dir`], or, holding
/// `root.hds` and `DiskDescriptor.xml`, a ploop image described by `root.hds` (as
/// libvirt's dir pools treat them).
pub fn probe_path(path: impl AsRef<Path>) -> Result<ImageInfo> {
    let path = path.as_ref();
    if path.is_dir() {
        let root = path.join("root.hds");
        if root.is_file() && path.join("DiskDescriptor.xml").is_file() {
            return probe_path(root);
        }
        return Ok(ImageInfo::new(ImageFormat::Dir));
    }
    let shown = path.display();
    let mut file = File::open(path).map_err(|e| Error::io(format!("opening {shown}"), e))?;
    // Seeking to the end also sizes block devices, whose metadata length is 0.
    let len = file
        .seek(SeekFrom::End(0))
        .map_err(|e| Error::io(format!("sizing {shown}"), e))?;
    probe(&mut file, len).map_err(|e| e.context(shown))
}

/// The result of [`probe_prefix`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixProbe {
    /// The image is identified.
    Complete(ImageInfo),
    /// The probe needs the first `n` bytes of the stream (never more than
    /// [`MAX_PREFIX_BYTES`]); call again with at least that many, or with the whole
    /// stream and its length when it ends sooner.
    NeedBytes(u64),
}

/// Identify an image from the first bytes of a stream, before the rest arrives (an HTTP
/// download). `total_len` is the stream's length when known (`Content-Length`): without
/// it a raw image's virtual size is unknown. How many bytes each format needs is in the
/// module documentation: 34816 (32 KiB + 2 KiB) settle every format but vhdx (about
/// 3 MiB), a VMDK descriptor file longer than that, and a qcow2 image whose extensions
/// or backing file name lie further in.
pub fn probe_prefix(buf: &[u8], total_len: Option<u64>) -> Result<PrefixProbe> {
    let mut src = Source::prefix(buf, total_len);
    match probe_source(&mut src) {
        Ok(info) => Ok(PrefixProbe::Complete(info)),
        Err(Stop::NeedBytes(n)) => Ok(PrefixProbe::NeedBytes(n)),
        Err(Stop::Refused(e)) => Err(e),
    }
}

/// Bytes read first: every magic at offset 0 and VDI's at 64, and whole headers of the
/// small formats.
const HEAD_BYTES: u64 = 512;

type Parser = fn(&mut Source, &[u8]) -> Step<ImageInfo>;

/// Formats known by a magic at offset 0, with their parsers.
const LEADING_MAGICS: &[(&[u8], Parser)] = &[
    (qcow2::MAGIC, qcow::probe_family),
    (qed::MAGIC, qed::probe),
    (vmdk::MAGIC, vmdk::probe_sparse),
    (vmdk::MAGIC_ESX, vmdk::probe_esx),
    (vpc::MAGIC, vpc::probe),
    (vhdx::MAGIC, vhdx::probe),
    (ploop::MAGIC, ploop::probe),
    (ploop::MAGIC_OLD, ploop::probe),
    (cow::MAGIC, cow::probe),
    (luks::MAGIC, luks::probe),
    (bochs::MAGIC, bochs::probe),
    (cloop::MAGIC, cloop::probe),
];

fn probe_source(src: &mut Source) -> Step<ImageInfo> {
    let head = src.read(0, HEAD_BYTES)?;
    for (magic, parse) in LEADING_MAGICS {
        if head.starts_with(magic) {
            return parse(src, &head);
        }
    }
    if vmdk::is_descriptor(src, &head)? {
        return vmdk::probe_descriptor(src, &head);
    }
    if vdi::matches(&head) {
        return vdi::probe(src, &head);
    }
    if iso::matches(src)? {
        return iso::probe(src);
    }
    Ok(raw(src.len()))
}

fn raw(len: Option<u64>) -> ImageInfo {
    ImageInfo {
        virtual_size: len,
        ..ImageInfo::new(ImageFormat::Raw)
    }
}

/// The largest virtual size qemu opens (`BDRV_MAX_LENGTH`: 2^63 - 1 rounded down to
/// 1 GiB).
pub const QEMU_MAX_VIRTUAL_SIZE: u64 = (i64::MAX as u64) & !((1 << 30) - 1);

/// `bytes`, or the image refused when qemu could not open a disk that large.
fn within_qemu_limit(field: &str, bytes: u128) -> Step<u64> {
    if bytes > u128::from(QEMU_MAX_VIRTUAL_SIZE) {
        return Err(refuse(
            field,
            format!(
                "virtual size {bytes} is larger than {QEMU_MAX_VIRTUAL_SIZE} bytes, the most \
                 qemu opens"
            ),
        ));
    }
    Ok(bytes as u64)
}

/// A backing or extent file name: the bytes up to the first NUL, UTF-8; `None` if empty.
fn file_name(field: &str, bytes: &[u8]) -> Step<Option<String>> {
    let name = fields::c_string(bytes);
    if name.is_empty() {
        return Ok(None);
    }
    match std::str::from_utf8(name) {
        Ok(s) => Ok(Some(s.to_owned())),
        Err(_) => Err(refuse(field, "the file name is not UTF-8")),
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;
    use testing::*;

    #[test]
    fn nothing_known_is_raw_sized_by_the_file() {
        let info = probe_bytes(&[0u8; 40000]).unwrap();
        assert_eq!(info.format, ImageFormat::Raw);
        assert_eq!(info.virtual_size, Some(40000));
        assert_eq!(probe_bytes(&[]).unwrap().virtual_size, Some(0));
    }

    #[test]
    fn a_prefix_of_raw_data_needs_enough_to_rule_out_iso() {
        let zeros = [0u8; 512];
        assert_eq!(
            probe_prefix(&zeros, None).unwrap(),
            PrefixProbe::NeedBytes(32774)
        );
        let Ok(PrefixProbe::Complete(short)) = probe_prefix(&zeros, Some(512)) else {
            panic!("a whole 512-byte stream is identified")
        };
        assert_eq!(short.virtual_size, Some(512));
        let zeros = vec![0u8; 32774];
        let Ok(PrefixProbe::Complete(open)) = probe_prefix(&zeros, None) else {
            panic!("32774 bytes rule out ISO")
        };
        assert_eq!((open.format, open.virtual_size), (ImageFormat::Raw, None));
    }

    #[test]
    fn format_names_map_to_libvirt_and_qemu() {
        assert_eq!(
            ImageFormat::from_name("parallels"),
            Some(ImageFormat::Ploop)
        );
        assert_eq!(ImageFormat::from_name("qcow2"), Some(ImageFormat::Qcow2));
        assert_eq!(ImageFormat::from_name("luks"), None);
        assert_eq!(ImageFormat::Ploop.qemu_name(), Some("parallels"));
        assert_eq!(ImageFormat::Vhdx.volume_format(), None);
        for f in ImageFormat::ALL {
            if let Some(v) = f.volume_format() {
                assert_eq!(v.as_str(), f.as_str(), "libvirt's spelling");
            }
        }
    }

    #[test]
    fn a_directory_is_dir_and_a_ploop_directory_is_its_root_image() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(probe_path(dir.path()).unwrap().format, ImageFormat::Dir);
        let mut root = parallels_header(*b"WithouFreSpacExt", 2, 2048);
        root.resize(4096, 0);
        std::fs::write(dir.path().join("root.hds"), &root).unwrap();
        std::fs::write(
            dir.path().join("DiskDescriptor.xml"),
            "<Parallels_disk_image/>",
        )
        .unwrap();
        let info = probe_path(dir.path()).unwrap();
        assert_eq!(info.format, ImageFormat::Ploop);
        assert_eq!(info.virtual_size, Some(2048 * 512));
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let e = probe_path("/nonexistent/kvmpool-image").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Io);
        assert!(e.message().contains("/nonexistent/kvmpool-image"), "{e}");
    }
}
