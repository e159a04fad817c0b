//! VMDK: hosted sparse extents (`KDMV`, what qemu-img makes), ESX sparse extents
//! (`COWD`) and descriptor files, as qemu's vmdk driver reads them. The parent comes from
//! the descriptor's `parentFileNameHint`, read where qemu and libvirt read it: at 512 in a
//! sparse extent, at 0 in a descriptor file.

use super::fields::{c_string, le32, le64};
use super::source::{refuse, Source, Step};
use super::{file_name, within_qemu_limit, BackingFile, ImageFormat, ImageInfo};

pub(super) const MAGIC: &[u8] = b"KDMV";
pub(super) const MAGIC_ESX: &[u8] = b"COWD";

const HEADER: u64 = 512;
/// Where the embedded descriptor starts, and how much of it qemu reads for the parent.
const EMBEDDED_DESCRIPTOR: u64 = 512;
const PARENT_WINDOW: u64 = 20 * 512;
/// qemu reads at most this much of a descriptor (`vmdk_read_desc`).
const MAX_DESCRIPTOR: u64 = (1 << 20) - 1;
/// qemu's probe looks at this many leading bytes for a descriptor's `version=` line.
const PROBE_WINDOW: u64 = 2048;
const MAX_GRAIN_SECTORS: u64 = 0x20_0000;
const MAX_L1_ENTRIES: u128 = 32 << 20;
const MAX_GTES_PER_GT: u32 = 512;
const MAX_NAME: usize = 4095;

/// A hosted sparse extent: capacity and grain size from the header.
pub(super) fn probe_sparse(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    let h = src.read_exact(0, HEADER, "vmdk.header", "vmdk header")?;
    let version = le32(&h, 4);
    if !(1..=3).contains(&version) {
        return Err(refuse(
            "vmdk.version",
            format!("{version} is not 1, 2 or 3"),
        ));
    }
    let (capacity, grain) = (le64(&h, 12), le64(&h, 20));
    if capacity == 0 && le64(&h, 28) != 0 {
        // No data here: the embedded descriptor lists the extents (qemu does the same).
        return probe_descriptor_at(src, le64(&h, 28).saturating_mul(512));
    }
    let gtes = le32(&h, 44);
    if gtes > MAX_GTES_PER_GT {
        return Err(refuse(
            "vmdk.num_gtes_per_gt",
            format!("{gtes} grain table entries are more than qemu's 512"),
        ));
    }
    check_extent(capacity, grain, u64::from(gtes))?;
    sparse_info(src, capacity, grain)
}

/// An ESX 2 sparse extent (`COWD`): 32-bit capacity and grain size.
pub(super) fn probe_esx(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    let h = src.read_exact(0, 44, "vmdk.header", "vmdk COWD header")?;
    let (capacity, grain) = (u64::from(le32(&h, 12)), u64::from(le32(&h, 16)));
    check_extent(capacity, grain, 4096)?;
    sparse_info(src, capacity, grain)
}

fn sparse_info(src: &mut Source, capacity: u64, grain: u64) -> Step<ImageInfo> {
    let descriptor = src.read(EMBEDDED_DESCRIPTOR, PARENT_WINDOW)?;
    Ok(ImageInfo {
        virtual_size: Some(capacity * 512),
        cluster_size: Some(grain * 512),
        backing: parent(&descriptor)?,
        ..ImageInfo::new(ImageFormat::Vmdk)
    })
}

/// qemu's checks on a sparse extent: grain size, L1 table size, and the size itself.
fn check_extent(capacity: u64, grain: u64, gtes: u64) -> Step<()> {
    if grain == 0 || grain > MAX_GRAIN_SECTORS {
        return Err(refuse(
            "vmdk.granularity",
            format!("{grain} sectors is not a grain size from 1 sector to 1 GiB"),
        ));
    }
    let per_l1 = u128::from(gtes) * u128::from(grain);
    if per_l1 == 0 || u128::from(capacity).div_ceil(per_l1) > MAX_L1_ENTRIES {
        return Err(refuse(
            "vmdk.capacity",
            format!(
                "{capacity} sectors need an L1 table of more than {MAX_L1_ENTRIES} entries, \
                 qemu's limit"
            ),
        ));
    }
    within_qemu_limit("vmdk.capacity", u128::from(capacity) * 512).map(drop)
}

/// qemu's probe for a descriptor file: after comment lines and blank lines of spaces,
/// a line `version=1`, `2` or `3`.
pub(super) fn is_descriptor(src: &mut Source, head: &[u8]) -> Step<bool> {
    if !matches!(head.first(), Some(b'#' | b' ' | b'v')) {
        return Ok(false);
    }
    let window = src.read(0, PROBE_WINDOW)?;
    Ok(starts_with_version(&window))
}

fn starts_with_version(buf: &[u8]) -> bool {
    let mut p = 0;
    while p < buf.len() {
        match buf[p] {
            b'#' => {
                p += buf[p..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(buf.len(), |n| n + 1);
            }
            b' ' => {
                while buf.get(p) == Some(&b' ') {
                    p += 1;
                }
                if buf.get(p) == Some(&b'\r') {
                    p += 1;
                }
                if buf.get(p) != Some(&b'\n') {
                    return false;
                }
                p += 1;
            }
            _ => {
                let rest = &buf[p..];
                return ["version=1", "version=2", "version=3"].iter().any(|v| {
                    rest.strip_prefix(v.as_bytes())
                        .is_some_and(|r| r.starts_with(b"\n") || r.starts_with(b"\r\n"))
                });
            }
        }
    }
    false
}

/// A descriptor file: the sum of its read-write extents, their files, its parent.
pub(super) fn probe_descriptor(src: &mut Source, _head: &[u8]) -> Step<ImageInfo> {
    probe_descriptor_at(src, 0)
}

fn probe_descriptor_at(src: &mut Source, offset: u64) -> Step<ImageInfo> {
    let bytes = src.read(offset, MAX_DESCRIPTOR)?;
    let text = c_string(&bytes);
    check_create_type(text)?;
    let extents = extents(text)?;
    let sectors: u128 = extents.iter().map(|e| u128::from(e.sectors)).sum();
    let size = within_qemu_limit("vmdk.extents", sectors * 512)?;
    Ok(ImageInfo {
        virtual_size: Some(size),
        backing: parent(&text[..text.len().min(PARENT_WINDOW as usize)])?,
        data_files: extents.into_iter().map(|e| e.file).collect(),
        ..ImageInfo::new(ImageFormat::Vmdk)
    })
}

/// The create types qemu opens from a descriptor.
const DESCRIPTOR_TYPES: &[&str] = &[
    "monolithicFlat",
    "vmfs",
    "vmfsSparse",
    "seSparse",
    "twoGbMaxExtentSparse",
    "twoGbMaxExtentFlat",
];

fn check_create_type(text: &[u8]) -> Step<()> {
    let Some(value) = quoted_after(text, b"createType") else {
        return Err(refuse(
            "vmdk.createType",
            "the descriptor has no createType=\"...\"",
        ));
    };
    let value = String::from_utf8_lossy(value).into_owned();
    if !DESCRIPTOR_TYPES.contains(&value.as_str()) {
        return Err(refuse(
            "vmdk.createType",
            format!("{value:?} is not a descriptor type qemu opens"),
        ));
    }
    Ok(())
}

/// The value of `name="value"`, as qemu's `vmdk_parse_description` finds it.
fn quoted_after<'a>(text: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let at = find(text, name)? + name.len() + 2;
    let rest = text.get(at..)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    Some(&rest[..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[derive(Debug)]
struct Extent {
    sectors: u64,
    file: String,
}

/// Extent lines `RW <sectors> <type> "<file>" [offset]`; lines of other access modes, or
/// of types qemu does not know, are skipped as qemu skips them.
fn extents(text: &[u8]) -> Step<Vec<Extent>> {
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        if let Some(extent) = extent_line(line)? {
            out.push(extent);
        }
    }
    Ok(out)
}

fn extent_line(line: &[u8]) -> Step<Option<Extent>> {
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let (Some("RW"), Some(sectors), Some(kind)) = (words.next(), words.next(), words.next()) else {
        return Ok(None);
    };
    let Ok(sectors) = sectors.parse::<i64>() else {
        return Ok(None);
    };
    let Some((file, after)) = quoted_name(&line) else {
        return Ok(None);
    };
    let offset = after.split_whitespace().next();
    let invalid = || refuse("vmdk.extents", format!("invalid extent line {line:?}"));
    match kind {
        "FLAT"
            if offset
                .and_then(|o| o.parse::<i64>().ok())
                .is_none_or(|o| o < 0) =>
        {
            return Err(invalid())
        }
        "FLAT" => {}
        _ if offset.is_some() => return Err(invalid()),
        "SPARSE" | "VMFS" | "VMFSSPARSE" | "SESPARSE" => {}
        _ => return Ok(None),
    }
    if sectors <= 0 {
        return Ok(None);
    }
    let file = file_name("vmdk.extents", file.as_bytes())?.unwrap_or_default();
    Ok(Some(Extent {
        sectors: sectors.unsigned_abs(),
        file,
    }))
}

/// The first `"..."` of a line and what follows it.
fn quoted_name(line: &str) -> Option<(&str, &str)> {
    let start = line.find('"')? + 1;
    let len = line[start..].find('"')?;
    Some((&line[start..start + len], &line[start + len + 1..]))
}

/// `parentFileNameHint="..."`, as qemu's `vmdk_parent_open` reads it. A parent is a VMDK,
/// as qemu records it (libvirt probes it).
fn parent(descriptor: &[u8]) -> Step<Option<BackingFile>> {
    let text = c_string(descriptor);
    let Some(at) = find(text, b"parentFileNameHint") else {
        return Ok(None);
    };
    let rest = text
        .get(at + "parentFileNameHint=\"".len()..)
        .unwrap_or(&[]);
    let Some(end) = rest.iter().position(|&b| b == b'"') else {
        return Err(refuse(
            "vmdk.parentFileNameHint",
            "the parent file name has no closing quote",
        ));
    };
    if end > MAX_NAME {
        return Err(refuse(
            "vmdk.parentFileNameHint",
            format!("the parent file name is {end} bytes long; qemu takes at most {MAX_NAME}"),
        ));
    }
    let path = file_name("vmdk.parentFileNameHint", &rest[..end])?;
    Ok(path.map(|path| BackingFile {
        path,
        format: Some(ImageFormat::Vmdk),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    const FLAT: &str = "# Disk DescriptorFile\nversion=1\nCID=cd02bcc9\nparentCID=ffffffff\n\
        createType=\"monolithicFlat\"\n\n# Extent description\nRW 204800 FLAT \"f-flat.vmdk\" 0\n\
        RDONLY 100 FLAT \"ro.vmdk\" 0\n\n# The Disk Data Base\n#DDB\n\nddb.adapterType = \"ide\"\n";

    #[test]
    fn a_sparse_extent_with_a_parent() {
        let img = vmdk_sparse(2097152, 128, Some("base.vmdk"));
        let info = probe_bytes(&img).unwrap();
        assert_eq!(info.format, ImageFormat::Vmdk);
        assert_eq!(info.virtual_size, Some(1 << 30));
        assert_eq!(info.cluster_size, Some(65536));
        assert_eq!(
            info.backing,
            Some(BackingFile {
                path: "base.vmdk".into(),
                format: Some(ImageFormat::Vmdk)
            })
        );
    }

    #[test]
    fn an_esx_sparse_extent_and_an_empty_one_pointing_to_its_descriptor() {
        let mut cowd = vec![0u8; 512];
        cowd[..4].copy_from_slice(b"COWD");
        cowd[4..8].copy_from_slice(&1u32.to_le_bytes());
        cowd[12..16].copy_from_slice(&2048u32.to_le_bytes());
        cowd[16..20].copy_from_slice(&1u32.to_le_bytes());
        let info = probe_bytes(&cowd).unwrap();
        assert_eq!(info.format, ImageFormat::Vmdk);
        assert_eq!(
            (info.virtual_size, info.cluster_size),
            (Some(1 << 20), Some(512))
        );
        cowd[16..20].copy_from_slice(&0u32.to_le_bytes());
        assert_refused(&cowd, "vmdk.granularity", "0 sectors");
        assert_refused(
            &cowd[..40],
            "vmdk.header",
            "vmdk COWD header is 40 bytes long, needs 44",
        );
        // capacity 0: qemu opens the extents the embedded descriptor lists
        let mut empty = vmdk_sparse(0, 128, None);
        let flat = FLAT.as_bytes();
        empty[512..512 + flat.len()].copy_from_slice(flat);
        let info = probe_bytes(&empty).unwrap();
        assert_eq!(info.virtual_size, Some(204800 * 512));
        assert_eq!(info.data_files, vec!["f-flat.vmdk".to_string()]);
    }

    #[test]
    fn a_descriptor_file_sums_its_read_write_extents() {
        let info = probe_bytes(FLAT.as_bytes()).unwrap();
        assert_eq!(info.format, ImageFormat::Vmdk);
        assert_eq!(info.virtual_size, Some(204800 * 512));
        assert_eq!(info.cluster_size, None);
        assert_eq!(info.data_files, vec!["f-flat.vmdk".to_string()]);
        let split = FLAT.replace(
            "RW 204800 FLAT \"f-flat.vmdk\" 0",
            "RW 4194304 SPARSE \"t-s001.vmdk\"\nRW 2097152 SPARSE \"t-s002.vmdk\"",
        );
        let split = split.replace("monolithicFlat", "twoGbMaxExtentSparse");
        let info = probe_bytes(split.as_bytes()).unwrap();
        assert_eq!(info.virtual_size, Some(3 << 30));
        assert_eq!(info.data_files.len(), 2);
    }

    #[test]
    fn descriptor_detection_follows_qemu() {
        assert!(super::starts_with_version(b"# c\n   \nversion=1\n"));
        assert!(super::starts_with_version(b"version=3\r\n"));
        assert!(!super::starts_with_version(b"# c\n\nversion=1\n"));
        assert!(!super::starts_with_version(b"version=4\n"));
        assert!(!super::starts_with_version(b"# only a comment"));
        let text = probe_bytes(b"# notes\nnot a descriptor\n").unwrap();
        assert_eq!(text.format, ImageFormat::Raw);
    }

    #[test]
    fn every_refusal_names_its_field() {
        let set = |at: usize, bytes: &[u8]| {
            let mut img = vmdk_sparse(2097152, 128, None);
            img[at..at + bytes.len()].copy_from_slice(bytes);
            img
        };
        let mut open_quote = vmdk_sparse(2097152, 128, Some("base.vmdk"));
        let name = open_quote
            .windows(10)
            .position(|w| w == b"base.vmdk\"")
            .unwrap();
        // the parent's closing quote, and every later one, gone
        for b in &mut open_quote[name + 9..] {
            if *b == b'"' {
                *b = b' ';
            }
        }
        let cases: Vec<(Vec<u8>, &str, &str)> = vec![
            (
                vmdk_sparse(2097152, 128, None)[..100].to_vec(),
                "vmdk.header",
                "vmdk header is 100 bytes long, needs 512",
            ),
            (
                set(4, &4u32.to_le_bytes()),
                "vmdk.version",
                "4 is not 1, 2 or 3",
            ),
            (
                set(20, &0u64.to_le_bytes()),
                "vmdk.granularity",
                "0 sectors is not a grain size",
            ),
            (
                set(20, &0x20_0001u64.to_le_bytes()),
                "vmdk.granularity",
                "2097153 sectors",
            ),
            (
                set(44, &513u32.to_le_bytes()),
                "vmdk.num_gtes_per_gt",
                "513 grain table entries",
            ),
            (
                set(12, &(1u64 << 50).to_le_bytes()),
                "vmdk.capacity",
                "L1 table of more than 33554432 entries",
            ),
            (
                set(12, &u64::MAX.to_le_bytes()),
                "vmdk.capacity",
                "L1 table",
            ),
            (open_quote, "vmdk.parentFileNameHint", "no closing quote"),
            (
                FLAT.replace("createType=\"monolithicFlat\"", "")
                    .into_bytes(),
                "vmdk.createType",
                "has no createType",
            ),
            (
                FLAT.replace("monolithicFlat", "streamOptimized")
                    .into_bytes(),
                "vmdk.createType",
                "\"streamOptimized\" is not a descriptor type",
            ),
            (
                FLAT.replace("\" 0\n", "\"\n").into_bytes(),
                "vmdk.extents",
                "invalid extent line",
            ),
            (
                FLAT.replace(
                    "204800 FLAT \"f-flat.vmdk\" 0",
                    "204800 SPARSE \"s.vmdk\" 7",
                )
                .into_bytes(),
                "vmdk.extents",
                "invalid extent line",
            ),
            (
                FLAT.replace("204800", "36028797018963967").into_bytes(),
                "vmdk.extents",
                "the most qemu opens",
            ),
        ];
        for (img, field, text) in cases {
            assert_refused(&img, field, text);
        }
    }
}
