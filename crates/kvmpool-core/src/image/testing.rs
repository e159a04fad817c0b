//! Hand-made headers for the unit tests, laid out as the specifications (and qemu-img)
//! lay them out, and the probe helpers the tests share.

use std::io::Cursor;

use super::*;

/// [`probe`] over bytes.
pub(crate) fn probe_bytes(bytes: &[u8]) -> Result<ImageInfo> {
    probe(Cursor::new(bytes), bytes.len() as u64)
}

/// The image is refused naming `field`, with `text` in the reason, from a reader and
/// from a whole stream alike.
pub(crate) fn assert_refused(bytes: &[u8], field: &str, text: &str) {
    let e = match probe_bytes(bytes) {
        Err(e) => e,
        Ok(info) => panic!("{field}: accepted as {info:?}"),
    };
    assert_eq!(e.kind(), crate::ErrorKind::InvalidSpec, "{e}");
    assert_eq!(e.field(), Some(field), "{e}");
    assert!(e.message().contains(text), "{field}: {e} lacks {text:?}");
    let streamed = probe_prefix(bytes, Some(bytes.len() as u64)).unwrap_err();
    assert_eq!(streamed.field(), Some(field), "as a stream: {streamed}");
}

fn put(buf: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    if buf.len() < at + bytes.len() {
        buf.resize(at + bytes.len(), 0);
    }
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

/// A qcow2 header with its extensions and backing file name, as qemu-img writes them:
/// refcount table in cluster 1, L1 table in cluster 3, exactly as many L1 entries as the
/// size needs. Overrides are applied last.
#[derive(Debug, Clone)]
pub(crate) struct Qcow2 {
    version: u32,
    cluster_bits: u32,
    size: u64,
    header_length: u32,
    l1_size: Option<u32>,
    incompatible: u64,
    compatible: u64,
    extensions: Vec<(u32, Vec<u8>)>,
    backing: Option<Vec<u8>>,
    cut: usize,
    overrides: Vec<(usize, Vec<u8>)>,
}

impl Qcow2 {
    pub(crate) fn new(version: u32, cluster_bits: u32, size: u64) -> Self {
        Qcow2 {
            version,
            cluster_bits,
            size,
            header_length: if version == 2 { 72 } else { 112 },
            l1_size: None,
            incompatible: 0,
            compatible: 0,
            extensions: Vec::new(),
            backing: None,
            cut: 0,
            overrides: Vec::new(),
        }
    }

    pub(crate) fn header_length(mut self, len: u32) -> Self {
        self.header_length = len;
        self
    }

    pub(crate) fn l1_size(mut self, n: u32) -> Self {
        self.l1_size = Some(n);
        self
    }

    pub(crate) fn incompatible(mut self, bits: u64) -> Self {
        self.incompatible = bits;
        self
    }

    pub(crate) fn compatible(mut self, bits: u64) -> Self {
        self.compatible = bits;
        self
    }

    pub(crate) fn extension(mut self, kind: u32, data: &[u8]) -> Self {
        self.extensions.push((kind, data.to_vec()));
        self
    }

    /// A backing file, with a backing format extension when `format` is given.
    pub(crate) fn backing(self, path: &str, format: Option<&str>) -> Self {
        let with_format = match format {
            Some(f) => self.extension(super::qcow2::EXT_BACKING_FORMAT, f.as_bytes()),
            None => self,
        };
        with_format.backing_bytes(path.as_bytes())
    }

    pub(crate) fn backing_bytes(mut self, name: &[u8]) -> Self {
        self.backing = Some(name.to_vec());
        self
    }

    /// Cut the last `n` bytes (of the backing file name).
    pub(crate) fn truncate_after_backing(mut self, n: usize) -> Self {
        self.cut = n;
        self
    }

    pub(crate) fn set8(mut self, at: usize, v: u8) -> Self {
        self.overrides.push((at, vec![v]));
        self
    }

    pub(crate) fn set32(mut self, at: usize, v: u32) -> Self {
        self.overrides.push((at, v.to_be_bytes().to_vec()));
        self
    }

    pub(crate) fn set64(mut self, at: usize, v: u64) -> Self {
        self.overrides.push((at, v.to_be_bytes().to_vec()));
        self
    }

    pub(crate) fn build(&self) -> Vec<u8> {
        let cluster = 1u64 << self.cluster_bits;
        let entry = if self.incompatible & (1 << 4) != 0 {
            16
        } else {
            8
        };
        let per_l1 = u128::from(cluster) * u128::from(cluster / entry);
        // As many L1 entries as the size needs, up to qemu's limit.
        let needed = u128::from(self.size).div_ceil(per_l1).min(1 << 22) as u32;
        let mut h = vec![0u8; self.header_length as usize];
        put(&mut h, 0, b"QFI\xfb");
        put(&mut h, 4, &self.version.to_be_bytes());
        put(&mut h, 20, &self.cluster_bits.to_be_bytes());
        put(&mut h, 24, &self.size.to_be_bytes());
        put(&mut h, 36, &self.l1_size.unwrap_or(needed).to_be_bytes());
        put(&mut h, 40, &(3 * cluster).to_be_bytes());
        put(&mut h, 48, &cluster.to_be_bytes());
        put(&mut h, 56, &1u32.to_be_bytes());
        if self.version == 3 {
            put(&mut h, 72, &self.incompatible.to_be_bytes());
            put(&mut h, 80, &self.compatible.to_be_bytes());
            put(&mut h, 96, &4u32.to_be_bytes());
            put(&mut h, 100, &self.header_length.to_be_bytes());
        }
        for (kind, data) in &self.extensions {
            h.extend_from_slice(&kind.to_be_bytes());
            h.extend_from_slice(&(data.len() as u32).to_be_bytes());
            h.extend_from_slice(data);
            h.resize(h.len().next_multiple_of(8), 0);
        }
        h.extend_from_slice(&[0; 8]);
        if let Some(name) = &self.backing {
            let at = h.len();
            h.extend_from_slice(name);
            put(&mut h, 8, &(at as u64).to_be_bytes());
            put(&mut h, 16, &(name.len() as u32).to_be_bytes());
        }
        h.truncate(h.len() - self.cut);
        for (at, bytes) in &self.overrides {
            put(&mut h, *at, bytes);
        }
        h
    }
}

/// A qcow version 1 header, with the backing file name after it.
pub(crate) fn qcow_v1(
    size: u64,
    cluster_bits: u8,
    l2_bits: u8,
    crypt: u32,
    backing: Option<&str>,
) -> Vec<u8> {
    let mut h = vec![0u8; 48];
    put(&mut h, 0, b"QFI\xfb\0\0\0\x01");
    put(&mut h, 24, &size.to_be_bytes());
    h[32] = cluster_bits;
    h[33] = l2_bits;
    put(&mut h, 36, &crypt.to_be_bytes());
    put(&mut h, 40, &4096u64.to_be_bytes());
    if let Some(name) = backing {
        put(&mut h, 8, &48u64.to_be_bytes());
        put(&mut h, 16, &(name.len() as u32).to_be_bytes());
        h.extend_from_slice(name.as_bytes());
    }
    h
}

/// A QED image as qemu-img makes it: 64 KiB clusters, tables of 4 clusters, the L1 table
/// in cluster 1, four clusters long; the backing name after the header.
pub(crate) fn qed_image(size: u64, backing: Option<(&str, bool)>) -> Vec<u8> {
    let mut h = vec![0u8; 4 << 16];
    put(&mut h, 0, b"QED\0");
    put(&mut h, 4, &65536u32.to_le_bytes());
    put(&mut h, 8, &4u32.to_le_bytes());
    put(&mut h, 12, &1u32.to_le_bytes());
    put(&mut h, 40, &65536u64.to_le_bytes());
    put(&mut h, 48, &size.to_le_bytes());
    if let Some((name, raw)) = backing {
        let features = 1u64 | if raw { 4 } else { 0 };
        put(&mut h, 16, &features.to_le_bytes());
        put(&mut h, 56, &64u32.to_le_bytes());
        put(&mut h, 60, &(name.len() as u32).to_le_bytes());
        put(&mut h, 64, name.as_bytes());
    }
    h
}

/// A monolithic sparse VMDK header with its embedded descriptor at sector 1.
pub(crate) fn vmdk_sparse(sectors: u64, grain: u64, parent: Option<&str>) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    put(&mut h, 0, b"KDMV");
    put(&mut h, 4, &1u32.to_le_bytes());
    put(&mut h, 8, &3u32.to_le_bytes());
    put(&mut h, 12, &sectors.to_le_bytes());
    put(&mut h, 20, &grain.to_le_bytes());
    put(&mut h, 28, &1u64.to_le_bytes());
    put(&mut h, 36, &20u64.to_le_bytes());
    put(&mut h, 44, &512u32.to_le_bytes());
    let parent = parent.map_or(String::new(), |p| format!("parentFileNameHint=\"{p}\"\n"));
    let descriptor = format!(
        "# Disk DescriptorFile\nversion=1\nCID=9e6bd59c\nparentCID=ffffffff\n{parent}\
         createType=\"monolithicSparse\"\n\n# Extent description\nRW {sectors} SPARSE \"s.vmdk\"\n"
    );
    put(&mut h, 512, descriptor.as_bytes());
    h.resize(512 + 20 * 512, 0);
    h
}

/// Recompute a VHD footer's checksum.
pub(crate) fn fix_vpc_checksum(img: &mut [u8]) {
    img[64..68].fill(0);
    let sum = img[..512]
        .iter()
        .fold(0u32, |acc, &b| acc.wrapping_add(u32::from(b)));
    img[64..68].copy_from_slice(&(!sum).to_be_bytes());
}

/// A dynamic VHD: the footer copy at 0, the dynamic header at 512 with 2 MiB blocks.
pub(crate) fn vpc_image(creator: &[u8; 4], chs: (u16, u8, u8), current: u64) -> Vec<u8> {
    let mut img = vec![0u8; 512 + 1024];
    put(&mut img, 0, b"conectix");
    put(&mut img, 8, &2u32.to_be_bytes());
    put(&mut img, 12, &0x10000u32.to_be_bytes());
    put(&mut img, 16, &512u64.to_be_bytes());
    put(&mut img, 28, creator);
    put(&mut img, 40, &current.to_be_bytes());
    put(&mut img, 48, &current.to_be_bytes());
    put(&mut img, 56, &chs.0.to_be_bytes());
    img[58] = chs.1;
    img[59] = chs.2;
    put(&mut img, 60, &3u32.to_be_bytes());
    let chs_bytes = u64::from(chs.0) * u64::from(chs.1) * u64::from(chs.2) * 512;
    let entries = current.max(chs_bytes).div_ceil(2 << 20) as u32;
    put(&mut img, 512, b"cxsparse");
    put(&mut img, 512 + 16, &1536u64.to_be_bytes());
    put(&mut img, 512 + 24, &0x10000u32.to_be_bytes());
    put(&mut img, 512 + 28, &entries.to_be_bytes());
    put(&mut img, 512 + 32, &(2u32 << 20).to_be_bytes());
    fix_vpc_checksum(&mut img);
    img
}

/// Where [`vhdx_image`] puts the metadata region and its items.
pub(crate) const VHDX_METADATA_AT: u64 = 1 << 20;
pub(crate) const VHDX_ITEMS_AT: u64 = VHDX_METADATA_AT + (64 << 10);

/// A VHDX with a region table (BAT, metadata) and the four required metadata items:
/// file parameters, virtual disk size, logical and physical sector sizes.
pub(crate) fn vhdx_image(size: u64, block_size: u32, logical: u32) -> Vec<u8> {
    let mut img = vec![0u8; 2 << 20];
    put(&mut img, 0, b"vhdxfile");
    let rt = 192 << 10;
    put(&mut img, rt, b"regi");
    put(&mut img, rt + 8, &2u32.to_le_bytes());
    let regions = [(vhdx::BAT, 3u64 << 20), (vhdx::METADATA, VHDX_METADATA_AT)];
    for (i, (id, offset)) in regions.iter().enumerate() {
        let e = rt + 16 + i * 32;
        put(&mut img, e, id);
        put(&mut img, e + 16, &offset.to_le_bytes());
        put(&mut img, e + 24, &(1u32 << 20).to_le_bytes());
        put(&mut img, e + 28, &1u32.to_le_bytes());
    }
    let md = VHDX_METADATA_AT as usize;
    put(&mut img, md, b"metadata");
    put(&mut img, md + 10, &4u16.to_le_bytes());
    let items = [
        (vhdx::FILE_PARAMETERS, 0u32, 8u32),
        (vhdx::VIRTUAL_DISK_SIZE, 8, 8),
        (vhdx::LOGICAL_SECTOR_SIZE, 16, 4),
        (vhdx::PHYSICAL_SECTOR_SIZE, 20, 4),
    ];
    for (i, (id, offset, len)) in items.iter().enumerate() {
        let e = md + 32 + i * 32;
        put(&mut img, e, id);
        put(&mut img, e + 16, &((64 << 10) + offset).to_le_bytes());
        put(&mut img, e + 20, &len.to_le_bytes());
        put(&mut img, e + 24, &4u32.to_le_bytes());
    }
    let items_at = VHDX_ITEMS_AT as usize;
    put(&mut img, items_at, &block_size.to_le_bytes());
    put(&mut img, items_at + 8, &size.to_le_bytes());
    put(&mut img, items_at + 16, &logical.to_le_bytes());
    put(&mut img, items_at + 20, &512u32.to_le_bytes());
    img
}

/// A VDI 1.1 header as qemu-img writes it (1 MiB blocks).
pub(crate) fn vdi_image(size: u64) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    put(&mut h, 0, b"<<< QEMU VM Virtual Disk Image >>>\n");
    put(&mut h, 64, b"\x7f\x10\xda\xbe");
    put(&mut h, 68, &0x0001_0001u32.to_le_bytes());
    put(&mut h, 72, &400u32.to_le_bytes());
    put(&mut h, 76, &1u32.to_le_bytes());
    put(&mut h, 340, &512u32.to_le_bytes());
    put(&mut h, 344, &4096u32.to_le_bytes());
    put(&mut h, 360, &512u32.to_le_bytes());
    put(&mut h, 368, &size.to_le_bytes());
    put(&mut h, 376, &(1u32 << 20).to_le_bytes());
    put(&mut h, 384, &(size.div_ceil(1 << 20) as u32).to_le_bytes());
    h
}

/// An ISO 9660 image: the primary volume descriptor at sector 16 (after a boot record
/// when `pvd_first` is false), then the set terminator.
pub(crate) fn iso_image(blocks: u32, block_size: u16, pvd_first: bool) -> Vec<u8> {
    let mut img = vec![0u8; (blocks as usize * block_size as usize).max(40 << 10)];
    let mut sector = 16;
    if !pvd_first {
        put(&mut img, sector * 2048, b"\0CD001\x01");
        sector += 1;
    }
    let pvd = sector * 2048;
    put(&mut img, pvd, b"\x01CD001\x01");
    put(&mut img, pvd + 80, &blocks.to_le_bytes());
    put(&mut img, pvd + 84, &blocks.to_be_bytes());
    put(&mut img, pvd + 128, &block_size.to_le_bytes());
    put(&mut img, pvd + 130, &block_size.to_be_bytes());
    put(&mut img, (sector + 1) * 2048, b"\xffCD001\x01");
    img
}

/// A LUKS header (592 bytes) with the payload at `payload` sectors.
pub(crate) fn luks_header(version: u16, payload: u32) -> Vec<u8> {
    let mut h = vec![0u8; 592];
    put(&mut h, 0, b"LUKS\xba\xbe");
    put(&mut h, 6, &version.to_be_bytes());
    put(&mut h, 8, b"aes");
    put(&mut h, 40, b"xts-plain64");
    put(&mut h, 72, b"sha256");
    put(&mut h, 104, &payload.to_be_bytes());
    h
}

/// A ploop (parallels) header of `sectors` sectors with 1 MiB clusters.
pub(crate) fn parallels_header(magic: [u8; 16], version: u32, sectors: u64) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    put(&mut h, 0, &magic);
    put(&mut h, 16, &version.to_le_bytes());
    put(&mut h, 20, &16u32.to_le_bytes());
    put(&mut h, 28, &2048u32.to_le_bytes());
    put(&mut h, 32, &(sectors.div_ceil(2048) as u32).to_le_bytes());
    put(&mut h, 36, &sectors.to_le_bytes());
    put(&mut h, 48, &2048u32.to_le_bytes());
    h
}

/// A User-Mode Linux COW version-2 header.
pub(crate) fn cow_header(version: u32, size: u64, backing: &str) -> Vec<u8> {
    let mut h = vec![0u8; 1048];
    put(&mut h, 0, b"OOOM");
    put(&mut h, 4, &version.to_be_bytes());
    put(&mut h, 8, backing.as_bytes());
    put(&mut h, 1036, &size.to_be_bytes());
    put(&mut h, 1044, &512u32.to_be_bytes());
    h
}

/// A bochs growing redolog of `size` bytes in `extent`-byte extents, catalog all
/// unallocated, as qemu's bochs driver reads it.
pub(crate) fn bochs_image(version: u32, size: u64, extent: u32) -> Vec<u8> {
    let catalog = size.div_ceil(u64::from(extent)) as u32;
    let mut h = vec![0u8; 512];
    put(&mut h, 0, b"Bochs Virtual HD Image");
    put(&mut h, 32, b"Redolog");
    put(&mut h, 48, b"Growing");
    put(&mut h, 64, &(version << 16).to_le_bytes());
    put(&mut h, 68, &512u32.to_le_bytes());
    put(&mut h, 72, &catalog.to_le_bytes());
    put(&mut h, 76, &(extent / 512 / 8).to_le_bytes());
    put(&mut h, 80, &extent.to_le_bytes());
    let disk_at = if version == 1 { 84 } else { 88 };
    put(&mut h, disk_at, &size.to_le_bytes());
    h.extend(std::iter::repeat_n(0xff, catalog as usize * 4));
    h
}

/// A cloop V2.0 header: preamble, block size, block count, then (for small images) the
/// offsets of blocks that are all empty.
pub(crate) fn cloop_image(block_size: u32, blocks: u32) -> Vec<u8> {
    let mut h = vec![0u8; 128];
    put(&mut h, 0, super::cloop::MAGIC);
    h.extend_from_slice(&block_size.to_be_bytes());
    h.extend_from_slice(&blocks.to_be_bytes());
    if blocks < 4096 {
        let first = 136 + (u64::from(blocks) + 1) * 8;
        for _ in 0..=blocks {
            h.extend_from_slice(&first.to_be_bytes());
        }
    }
    h
}
