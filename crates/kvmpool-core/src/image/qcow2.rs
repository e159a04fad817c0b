//! qcow2, versions 2 and 3, as qemu's docs/interop/qcow2.txt lays it out and its
//! `qcow2_do_open` checks it: every header check qemu makes before reading tables is made
//! here, naming the field.

use super::fields::{be32, be64};
use super::source::{refuse, Source, Step};
use super::{file_name, within_qemu_limit, BackingFile, ImageFormat, ImageInfo};
use crate::spec::{EncryptionFormat, VolumeFeature};

/// `QFI\xfb`, shared with qcow version 1.
pub(super) const MAGIC: &[u8] = b"QFI\xfb";

const V2_HEADER: u64 = 72;
const V3_HEADER: u64 = 104;
/// The v3 header up to and including `compression_type`.
const V3_WITH_COMPRESSION: u64 = 105;

/// qemu's limits: clusters of 512 B to 2 MiB, an L1 table of 32 MiB, a refcount table of
/// 8 MiB, 65536 snapshots of 40-byte headers, a backing name of 1023 bytes and a backing
/// format name of 15.
const CLUSTER_BITS: std::ops::RangeInclusive<u32> = 9..=21;
const MAX_L1_ENTRIES: u64 = (32 << 20) / 8;
const MAX_REFTABLE_BYTES: u64 = 8 << 20;
const MAX_SNAPSHOTS: u64 = 65536;
const SNAPSHOT_HEADER_BYTES: u64 = 40;
const MAX_BACKING_NAME: u64 = 1023;
const BACKING_FORMAT_BUFFER: u64 = 16;

/// Incompatible feature bits.
const DATA_FILE: u64 = 1 << 2;
const COMPRESSION_TYPE: u64 = 1 << 3;
const EXTENDED_L2: u64 = 1 << 4;
const KNOWN_INCOMPATIBLE: u64 = 0x1f;
/// Compatible feature bit 0.
const LAZY_REFCOUNTS: u64 = 1;

/// Header extension types.
const EXT_END: u32 = 0;
pub(super) const EXT_BACKING_FORMAT: u32 = 0xe279_2aca;
const EXT_DATA_FILE: u32 = 0x4441_5441;

#[derive(Debug)]
struct Header {
    version: u32,
    backing_file_offset: u64,
    backing_file_size: u32,
    cluster_bits: u32,
    size: u64,
    crypt_method: u32,
    l1_size: u32,
    l1_table_offset: u64,
    refcount_table_offset: u64,
    refcount_table_clusters: u32,
    nb_snapshots: u32,
    snapshots_offset: u64,
    incompatible: u64,
    compatible: u64,
    refcount_order: u32,
    header_length: u64,
    compression_type: u8,
}

impl Header {
    fn cluster_size(&self) -> u64 {
        1 << self.cluster_bits
    }
}

#[derive(Debug, Default)]
struct Extensions {
    backing_format: Option<ImageFormat>,
    data_file: Option<String>,
}

/// Probe a qcow2 image of `version` 2 or 3.
pub(super) fn probe(src: &mut Source, version: u32) -> Step<ImageInfo> {
    let h = read_header(src, version)?;
    check_layout(&h)?;
    check_features(&h)?;
    check_tables(&h)?;
    let virtual_size = check_size(&h)?;
    let ext = read_extensions(src, &h)?;
    if h.incompatible & DATA_FILE != 0 && ext.data_file.is_none() {
        return Err(refuse(
            "qcow2.incompatible_features",
            "the external data file bit is set but no data file name is recorded",
        ));
    }
    let backing = read_backing(src, &h, ext.backing_format)?;
    Ok(ImageInfo {
        virtual_size: Some(virtual_size),
        cluster_size: Some(h.cluster_size()),
        backing,
        data_files: ext.data_file.into_iter().collect(),
        qcow2_version: Some(h.version),
        encryption: encryption(h.crypt_method),
        features: features(&h),
        ..ImageInfo::new(ImageFormat::Qcow2)
    })
}

fn read_header(src: &mut Source, version: u32) -> Step<Header> {
    let mut buf = if version == 2 {
        src.read_exact(0, V2_HEADER, "qcow2.header", "qcow2 header")?
    } else {
        src.read_exact(0, V3_HEADER, "qcow2.header", "qcow2 version 3 header")?
    };
    let header_length = match version {
        2 => V2_HEADER,
        _ => u64::from(be32(&buf, 100)),
    };
    if header_length > V3_HEADER {
        // qemu reads a missing compression type as 0 (zlib), as `fields` does.
        buf = src.read(0, V3_WITH_COMPRESSION)?;
    }
    let v3 = |at: usize| if version == 2 { 0 } else { be64(&buf, at) };
    Ok(Header {
        version,
        backing_file_offset: be64(&buf, 8),
        backing_file_size: be32(&buf, 16),
        cluster_bits: be32(&buf, 20),
        size: be64(&buf, 24),
        crypt_method: be32(&buf, 32),
        l1_size: be32(&buf, 36),
        l1_table_offset: be64(&buf, 40),
        refcount_table_offset: be64(&buf, 48),
        refcount_table_clusters: be32(&buf, 56),
        nb_snapshots: be32(&buf, 60),
        snapshots_offset: be64(&buf, 64),
        incompatible: v3(72),
        compatible: v3(80),
        refcount_order: if version == 2 { 4 } else { be32(&buf, 96) },
        header_length,
        compression_type: if header_length > V3_HEADER {
            buf.get(104).copied().unwrap_or(0)
        } else {
            0
        },
    })
}

/// Cluster size, header length, backing file offset: where things are.
fn check_layout(h: &Header) -> Step<()> {
    if !CLUSTER_BITS.contains(&h.cluster_bits) {
        return Err(refuse(
            "qcow2.cluster_bits",
            format!(
                "{} is not between 9 and 21 (clusters of 512 B to 2 MiB)",
                h.cluster_bits
            ),
        ));
    }
    let cluster = h.cluster_size();
    if h.version == 3 && h.header_length < V3_HEADER {
        return Err(refuse(
            "qcow2.header_length",
            format!(
                "{} is less than 104, the length of a version 3 header",
                h.header_length
            ),
        ));
    }
    if h.header_length > cluster {
        return Err(refuse(
            "qcow2.header_length",
            format!(
                "a header of {} bytes does not fit in a {cluster}-byte cluster",
                h.header_length
            ),
        ));
    }
    if h.backing_file_offset > cluster {
        return Err(refuse(
            "qcow2.backing_file_offset",
            format!(
                "{} is past the end of the first cluster ({cluster} bytes)",
                h.backing_file_offset
            ),
        ));
    }
    Ok(())
}

/// Feature bits, compression, refcount width and encryption: what qemu must understand.
fn check_features(h: &Header) -> Step<()> {
    check_compression(h)?;
    let unknown = h.incompatible & !KNOWN_INCOMPATIBLE;
    if unknown != 0 {
        return Err(refuse(
            "qcow2.incompatible_features",
            format!("unknown incompatible feature bits {unknown:#x}: qemu cannot open the image"),
        ));
    }
    if h.incompatible & EXTENDED_L2 != 0 && h.cluster_bits < 14 {
        return Err(refuse(
            "qcow2.cluster_bits",
            format!(
                "extended L2 entries need clusters of at least 16 KiB, not {} bytes",
                h.cluster_size()
            ),
        ));
    }
    if h.refcount_order > 6 {
        return Err(refuse(
            "qcow2.refcount_order",
            format!("{} is more than 6 (refcounts of 64 bits)", h.refcount_order),
        ));
    }
    if h.crypt_method > 2 {
        return Err(refuse(
            "qcow2.crypt_method",
            format!("{} is not 0 (none), 1 (AES) or 2 (LUKS)", h.crypt_method),
        ));
    }
    Ok(())
}

fn check_compression(h: &Header) -> Step<()> {
    let flagged = h.incompatible & COMPRESSION_TYPE != 0;
    match h.compression_type {
        0 if flagged => Err(refuse(
            "qcow2.incompatible_features",
            "the compression type bit is set but the compression type is zlib",
        )),
        0 => Ok(()),
        1 if !flagged => Err(refuse(
            "qcow2.compression_type",
            "zstd (1) needs the compression type feature bit, which is not set",
        )),
        1 => Ok(()),
        t => Err(refuse(
            "qcow2.compression_type",
            format!("{t} is neither zlib (0) nor zstd (1)"),
        )),
    }
}

/// The refcount, snapshot and L1 tables: sizes within qemu's limits, cluster-aligned
/// offsets (qemu's `qcow2_validate_table`).
fn check_tables(h: &Header) -> Step<()> {
    if h.refcount_table_clusters == 0 {
        return Err(refuse(
            "qcow2.refcount_table_clusters",
            "0: the image has no reference count table",
        ));
    }
    let cluster = h.cluster_size();
    let tables = [
        Table {
            offset: h.refcount_table_offset,
            entries: h.refcount_table_clusters.into(),
            entry_bytes: cluster,
            max_bytes: MAX_REFTABLE_BYTES,
            count_field: "qcow2.refcount_table_clusters",
            offset_field: "qcow2.refcount_table_offset",
        },
        Table {
            offset: h.snapshots_offset,
            entries: h.nb_snapshots.into(),
            entry_bytes: SNAPSHOT_HEADER_BYTES,
            max_bytes: SNAPSHOT_HEADER_BYTES * MAX_SNAPSHOTS,
            count_field: "qcow2.nb_snapshots",
            offset_field: "qcow2.snapshots_offset",
        },
        Table {
            offset: h.l1_table_offset,
            entries: h.l1_size.into(),
            entry_bytes: 8,
            max_bytes: MAX_L1_ENTRIES * 8,
            count_field: "qcow2.l1_size",
            offset_field: "qcow2.l1_table_offset",
        },
    ];
    tables.iter().try_for_each(|t| t.check(cluster))
}

struct Table {
    offset: u64,
    entries: u64,
    entry_bytes: u64,
    max_bytes: u64,
    count_field: &'static str,
    offset_field: &'static str,
}

impl Table {
    fn check(&self, cluster: u64) -> Step<()> {
        let most = self.max_bytes / self.entry_bytes;
        if self.entries > most {
            return Err(refuse(
                self.count_field,
                format!(
                    "{} entries are more than qemu's limit of {most}",
                    self.entries
                ),
            ));
        }
        // qemu passes offsets on as int64_t, so the table must end below 2^63.
        let bytes = self.entries * self.entry_bytes;
        if (i64::MAX as u64) - bytes < self.offset || self.offset % cluster != 0 {
            return Err(refuse(
                self.offset_field,
                format!(
                    "{} is not a cluster-aligned offset of a table that ends below 2^63",
                    self.offset
                ),
            ));
        }
        Ok(())
    }
}

/// The virtual size, refused beyond what qemu addresses: 2^63 - 2^30 bytes, and an L1
/// table of at most 2^22 entries, which the header's `l1_size` must also cover.
fn check_size(h: &Header) -> Step<u64> {
    let size = within_qemu_limit("qcow2.size", h.size.into())?;
    let cluster = u128::from(h.cluster_size());
    let entry_bytes = if h.incompatible & EXTENDED_L2 != 0 {
        16
    } else {
        8
    };
    let per_l1_entry = cluster * (cluster / entry_bytes);
    let needed = u128::from(size).div_ceil(per_l1_entry);
    if needed > u128::from(MAX_L1_ENTRIES) {
        let most = per_l1_entry * u128::from(MAX_L1_ENTRIES);
        return Err(refuse(
            "qcow2.size",
            format!(
                "virtual size {size} is larger than {most} bytes, the most qemu addresses with \
                 {cluster}-byte clusters (an L1 table of at most {MAX_L1_ENTRIES} entries)"
            ),
        ));
    }
    if needed > u128::from(h.l1_size) {
        return Err(refuse(
            "qcow2.l1_size",
            format!(
                "an L1 table of {} entries is too small for a virtual size of {size} bytes, \
                 which needs {needed}",
                h.l1_size
            ),
        ));
    }
    // qemu counts whole sectors.
    Ok(size / 512 * 512)
}

/// Walk the header extensions, from the end of the header to the backing file name (or
/// the end of the first cluster), as qemu's `qcow2_read_extensions` does.
fn read_extensions(src: &mut Source, h: &Header) -> Step<Extensions> {
    let end = match h.backing_file_offset {
        0 => h.cluster_size(),
        offset => offset,
    };
    let mut ext = Extensions::default();
    let mut at = h.header_length;
    while at < end {
        let head = src.read(at, 8)?;
        if head.len() < 8 {
            // The file ends: qemu reads zeros there, the end marker.
            break;
        }
        let (kind, len) = (be32(&head, 0), u64::from(be32(&head, 4)));
        let data = at + 8;
        if data > end || len > end - data {
            return Err(refuse(
                "qcow2.extensions",
                format!(
                    "extension {kind:#010x} at byte {at} is {len} bytes long, past the end of \
                     the extension area at {end}"
                ),
            ));
        }
        match kind {
            EXT_END => break,
            EXT_BACKING_FORMAT => ext.backing_format = read_backing_format(src, data, len)?,
            EXT_DATA_FILE => {
                let name = src.read_exact(data, len, "qcow2.data_file", "the data file name")?;
                ext.data_file = file_name("qcow2.data_file", &name)?;
            }
            _ => {}
        }
        at = data + len.next_multiple_of(8);
    }
    Ok(ext)
}

fn read_backing_format(src: &mut Source, at: u64, len: u64) -> Step<Option<ImageFormat>> {
    if len >= BACKING_FORMAT_BUFFER {
        return Err(refuse(
            "qcow2.backing_format",
            format!("the format name is {len} bytes long; qemu takes at most 15"),
        ));
    }
    let name = src.read_exact(at, len, "qcow2.backing_format", "the backing format name")?;
    // A name qemu knows but kvmpool does not (luks, a protocol) leaves the format to probe.
    Ok(std::str::from_utf8(&name)
        .ok()
        .and_then(ImageFormat::from_name))
}

fn read_backing(
    src: &mut Source,
    h: &Header,
    format: Option<ImageFormat>,
) -> Step<Option<BackingFile>> {
    if h.backing_file_offset == 0 {
        return Ok(None);
    }
    let len = u64::from(h.backing_file_size);
    if len > MAX_BACKING_NAME {
        return Err(refuse(
            "qcow2.backing_file_size",
            format!("{len} bytes is longer than 1023, the longest backing file name qemu reads"),
        ));
    }
    let name = src.read(h.backing_file_offset, len)?;
    if (name.len() as u64) < len {
        return Err(refuse(
            "qcow2.backing_file_offset",
            format!(
                "the backing file name at byte {} ({len} bytes) runs past the end of the image",
                h.backing_file_offset
            ),
        ));
    }
    let path = file_name("qcow2.backing_file", &name)?;
    Ok(path.map(|path| BackingFile { path, format }))
}

fn encryption(crypt_method: u32) -> Option<EncryptionFormat> {
    match crypt_method {
        1 => Some(EncryptionFormat::Qcow),
        2 => Some(EncryptionFormat::Luks),
        _ => None,
    }
}

/// The features libvirt reports, in its order.
fn features(h: &Header) -> Vec<VolumeFeature> {
    let mut out = Vec::new();
    if h.compatible & LAZY_REFCOUNTS != 0 {
        out.push(VolumeFeature::LazyRefcounts);
    }
    if h.incompatible & EXTENDED_L2 != 0 {
        out.push(VolumeFeature::ExtendedL2);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    fn v3() -> Qcow2 {
        Qcow2::new(3, 16, 10 << 30)
    }

    #[test]
    fn a_version_3_image_with_backing_file_and_format() {
        let img = v3()
            .backing("base.qcow2", Some("qcow2"))
            .compatible(1)
            .build();
        let info = probe_bytes(&img).unwrap();
        assert_eq!(info.format, ImageFormat::Qcow2);
        assert_eq!(info.virtual_size, Some(10 << 30));
        assert_eq!(info.cluster_size, Some(65536));
        assert_eq!(info.qcow2_version, Some(3));
        assert_eq!(info.compat(), Some("1.1"));
        assert_eq!(info.features, vec![VolumeFeature::LazyRefcounts]);
        assert_eq!(
            info.backing,
            Some(BackingFile {
                path: "base.qcow2".into(),
                format: Some(ImageFormat::Qcow2)
            })
        );
    }

    #[test]
    fn a_version_2_image_has_no_extension_fields() {
        let info = probe_bytes(&Qcow2::new(2, 16, 1 << 30).build()).unwrap();
        assert_eq!(info.qcow2_version, Some(2));
        assert_eq!(info.compat(), Some("0.10"));
        assert!(info.features.is_empty() && info.backing.is_none());
    }

    #[test]
    fn encryption_data_file_and_extended_l2_are_reported() {
        let img = v3()
            .set32(32, 2)
            .incompatible(super::DATA_FILE | super::EXTENDED_L2)
            .extension(super::EXT_DATA_FILE, b"disk.data")
            .build();
        let info = probe_bytes(&img).unwrap();
        assert_eq!(info.encryption, Some(EncryptionFormat::Luks));
        assert!(info.encrypted());
        assert_eq!(info.data_files, vec!["disk.data".to_string()]);
        assert_eq!(info.features, vec![VolumeFeature::ExtendedL2]);
        let aes = probe_bytes(&v3().set32(32, 1).build()).unwrap();
        assert_eq!(aes.encryption, Some(EncryptionFormat::Qcow));
    }

    #[test]
    fn an_unknown_backing_format_name_leaves_the_format_to_probe() {
        let img = v3().backing("base", Some("luks")).build();
        let backing = probe_bytes(&img).unwrap().backing.unwrap();
        assert_eq!((backing.path.as_str(), backing.format), ("base", None));
    }

    #[test]
    fn extensions_are_walked_eight_bytes_aligned() {
        // an unknown 3-byte extension before the backing format: libvirt's walk, which
        // does not pad, would miss the format
        let img = v3()
            .extension(0x1234_5678, b"abc")
            .backing("b.raw", Some("raw"))
            .build();
        let backing = probe_bytes(&img).unwrap().backing.unwrap();
        assert_eq!(backing.format, Some(ImageFormat::Raw));
    }

    #[test]
    fn sizes_are_whole_sectors_as_qemu_counts_them() {
        let info = probe_bytes(&Qcow2::new(3, 16, 1000).build()).unwrap();
        assert_eq!(info.virtual_size, Some(512));
    }

    #[test]
    fn the_largest_sizes_qemu_addresses_are_accepted() {
        // 2 MiB clusters: 2^22 L1 entries of 2^39 bytes each
        let most = Qcow2::new(3, 21, 1 << 61).l1_size(1 << 22).build();
        assert_eq!(probe_bytes(&most).unwrap().virtual_size, Some(1 << 61));
        let pib2 = Qcow2::new(3, 16, 1 << 51).l1_size(1 << 22).build();
        assert!(probe_bytes(&pib2).is_ok());
    }

    #[test]
    fn every_refusal_names_its_field() {
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (v3().build()[..40].to_vec(), "qcow2.header", "qcow2 version 3 header is 40 bytes long, needs 104"),
            (Qcow2::new(2, 16, 1).build()[..40].to_vec(), "qcow2.header", "qcow2 header is 40 bytes long, needs 72"),
            (v3().set32(4, 4).build(), "qcow2.version", "4 is not 1 (qcow), 2 or 3 (qcow2)"),
            (v3().set32(20, 8).build(), "qcow2.cluster_bits", "8 is not between 9 and 21"),
            (v3().set32(20, 22).build(), "qcow2.cluster_bits", "22 is not between 9 and 21"),
            (v3().set32(100, 96).build(), "qcow2.header_length", "96 is less than 104"),
            (Qcow2::new(3, 9, 1 << 20).set32(100, 520).build(), "qcow2.header_length", "does not fit in a 512-byte cluster"),
            (v3().set64(8, 65537).build(), "qcow2.backing_file_offset", "past the end of the first cluster"),
            (v3().incompatible(1 << 5).build(), "qcow2.incompatible_features", "unknown incompatible feature bits 0x20"),
            (v3().incompatible(super::COMPRESSION_TYPE).build(), "qcow2.incompatible_features", "compression type is zlib"),
            (v3().header_length(112).set8(104, 1).build(), "qcow2.compression_type", "needs the compression type feature bit"),
            (v3().header_length(112).set8(104, 2).build(), "qcow2.compression_type", "2 is neither zlib (0) nor zstd (1)"),
            (Qcow2::new(3, 13, 1 << 20).incompatible(super::EXTENDED_L2).build(), "qcow2.cluster_bits", "at least 16 KiB"),
            (v3().set32(96, 7).build(), "qcow2.refcount_order", "7 is more than 6"),
            (v3().set32(32, 3).build(), "qcow2.crypt_method", "3 is not 0 (none)"),
            (v3().set32(56, 0).build(), "qcow2.refcount_table_clusters", "no reference count table"),
            (v3().set32(56, 129).build(), "qcow2.refcount_table_clusters", "129 entries are more than qemu's limit of 128"),
            (v3().set64(48, 100).build(), "qcow2.refcount_table_offset", "100 is not a cluster-aligned offset"),
            (v3().set32(60, 65537).build(), "qcow2.nb_snapshots", "65537 entries"),
            (v3().set64(64, 3).build(), "qcow2.snapshots_offset", "3 is not a cluster-aligned"),
            (v3().set64(40, 1 << 63).build(), "qcow2.l1_table_offset", "is not a cluster-aligned"),
            (v3().l1_size((1 << 22) + 1).build(), "qcow2.l1_size", "4194305 entries are more than qemu's limit of 4194304"),
            (v3().l1_size(19).build(), "qcow2.l1_size", "an L1 table of 19 entries is too small for a virtual size of 10737418240 bytes, which needs 20"),
            (Qcow2::new(3, 16, u64::MAX).build(), "qcow2.size", "virtual size 18446744073709551615 is larger than 9223372035781033984 bytes, the most qemu opens"),
            (Qcow2::new(3, 16, 1 << 62).build(), "qcow2.size", "the most qemu addresses with 65536-byte clusters"),
            (Qcow2::new(3, 16, 3 << 50).build(), "qcow2.size", "larger than 2251799813685248 bytes"),
            (v3().extension(0x1111, &[0; 70000]).build(), "qcow2.extensions", "past the end of the extension area at 65536"),
            (v3().extension(super::EXT_BACKING_FORMAT, b"0123456789abcdef").build(), "qcow2.backing_format", "16 bytes long; qemu takes at most 15"),
            (v3().incompatible(super::DATA_FILE).build(), "qcow2.incompatible_features", "no data file name"),
            (v3().backing("x", None).set32(16, 1024).build(), "qcow2.backing_file_size", "1024 bytes is longer than 1023"),
            (v3().backing("base", None).truncate_after_backing(2).build(), "qcow2.backing_file_offset", "runs past the end of the image"),
            (v3().backing_bytes(b"\xff\xfe").build(), "qcow2.backing_file", "not UTF-8"),
            (v3().incompatible(super::DATA_FILE).extension(super::EXT_DATA_FILE, b"\xff").build(), "qcow2.data_file", "not UTF-8"),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
