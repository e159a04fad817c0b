//! `Pool::import_image`: a disk image (a local file or an `http://`/`https://` URL) into
//! a new volume, right the first time: the format read from the header, the volume
//! created with that format and the image's virtual size, the bytes streamed sparsely
//! with progress and cancel, the checksum computed on the way and checked before the
//! upload is finished; on any failure the new volume is deleted again.
//!
//! # What libvirt does with a qcow2 image's bytes
//!
//! A qcow2 volume that libvirt creates already holds a qcow2 file (`qemu-img create`:
//! 196,768 bytes for 10 GiB with 64 KiB clusters). `vol-upload` writes the stream over it
//! without truncating: an image smaller than that file (small clusters, no data) keeps
//! libvirt's tail after its own end, and with a sparse stream the image's holes keep
//! libvirt's bytes under them (libvirt applies a hole by seeking over it and truncating
//! the file at the hole's end). After every upload libvirt refreshes the whole pool in
//! a thread of its own, probing each file's format again, and `vol-info` re-reads the
//! volume's header: the header, not the definition, sets a qcow2 volume's capacity.
//! So before sending a qcow2 image (or any image into a file that libvirt created with
//! content), kvmpool cuts the new file to its first byte (a sparse upload of one 1-byte
//! hole) and sends nothing as a hole where old bytes could remain; after the upload it
//! refreshes the pool itself (libvirt's refresh after the cut may have seen a 1-byte raw
//! file) and checks that libvirt reports the image's format and virtual size. The file
//! then ends exactly where the image ends and reads back equal to the source. A
//! capacity above the virtual size is applied afterwards with `vol-resize` (which runs
//! `qemu-img resize`).

use std::fmt;
use std::fs::File;
use std::io::{ErrorKind as IoKind, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::checksum::{self, hash_file, Checksum, Hashers};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{self, Download};
use crate::image::{self, ImageFormat, ImageInfo, PrefixProbe};
use crate::options::{DeleteMode, Resize};
use crate::pipe::{self, Chunk, Feed};
use crate::pool::Pool;
use crate::qemu_img::{self, Convert, TempPath};
use crate::spec::{check, PoolType, VolumeFormat, VolumeSpec, VolumeType};
use crate::trace::change;
use crate::transfer::{
    is_zero, next_data, progress_and_cancel, send_zeros, upload_flags, CancelToken, ProgressFn,
    Ticker, TransferMethod, TransferOptions, TransferReport, VolStream, CHUNK_BYTES,
};
use crate::units::Size;
use crate::volume::Volume;

/// Zero runs of at least this many bytes (aligned to the image) travel as holes.
const ZERO_BLOCK: u64 = 64 * 1024;

/// Bytes read from the source at a time: four zero blocks.
const READ_BYTES: usize = 4 * ZERO_BLOCK as usize;

/// The HTTP timeout when none is given: for connecting, and for each wait for more of
/// the body.
pub const DEFAULT_IMPORT_TIMEOUT: Duration = Duration::from_secs(60);

/// Options of [`Pool::import_image`].
#[derive(Clone)]
pub struct ImportOptions {
    /// The volume's name; default: the file name, or the URL's last path segment (with
    /// `convert_to`, its extension replaced by the new format's).
    pub name: Option<String>,
    /// The format the caller expects; the header must say the same (an ISO may be
    /// imported as `raw`). Default: whatever the header says.
    pub format: Option<ImageFormat>,
    /// The volume's capacity; default: the image's virtual size (raw and ISO: its
    /// length). Larger is allowed, smaller is refused.
    pub capacity: Option<Size>,
    /// Checksums the image must have (of the source's bytes, as published); every one
    /// given is checked.
    pub checksums: Vec<Checksum>,
    /// Keep holes: the source's holes and zero blocks are not written (default on).
    pub sparse: bool,
    /// Called with bytes done and total (0 when the server does not say); `false`
    /// cancels.
    pub progress: Option<ProgressFn>,
    /// Cancels the import.
    pub cancel: Option<CancelToken>,
    /// Replace a volume of the same name (default: refuse, `AlreadyExists`).
    pub overwrite: bool,
    /// The volume of this pool that the image's backing file names. An image with a
    /// backing file is refused without it.
    pub allow_backing: Option<String>,
    /// Convert the image with `qemu-img convert` into this format (`qcow2` or `raw`).
    /// Images that qemu uses best converted (vmdk, vdi, vhdx, vpc, qed, ...) are refused
    /// without it.
    pub convert_to: Option<VolumeFormat>,
    /// Where a download is kept for a conversion, and the converted image; default: the
    /// system's temporary directory.
    pub temp_dir: Option<PathBuf>,
    /// HTTP: the longest wait for a connection and for each part of the body.
    pub timeout: Duration,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            name: None,
            format: None,
            capacity: None,
            checksums: Vec::new(),
            sparse: true,
            progress: None,
            cancel: None,
            overwrite: false,
            allow_backing: None,
            convert_to: None,
            temp_dir: None,
            timeout: DEFAULT_IMPORT_TIMEOUT,
        }
    }
}

impl fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportOptions")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("capacity", &self.capacity)
            .field("checksums", &self.checksums)
            .field("sparse", &self.sparse)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("overwrite", &self.overwrite)
            .field("allow_backing", &self.allow_backing)
            .field("convert_to", &self.convert_to)
            .field("temp_dir", &self.temp_dir)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ImportOptions {
    /// Name the volume.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Expect this format.
    pub fn format(mut self, format: ImageFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Give the volume this capacity (at least the image's virtual size).
    pub fn capacity(mut self, capacity: Size) -> Self {
        self.capacity = Some(capacity);
        self
    }

    /// Check this checksum (may be given once per algorithm).
    pub fn checksum(mut self, checksum: Checksum) -> Self {
        self.checksums.push(checksum);
        self
    }

    /// Keep holes (default) or write every byte.
    pub fn sparse(mut self, on: bool) -> Self {
        self.sparse = on;
        self
    }

    progress_and_cancel!();

    /// Replace an existing volume of the same name.
    pub fn overwrite(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }

    /// Allow a backing file: the image's backing file is the volume `name` of this pool.
    pub fn allow_backing(mut self, name: impl Into<String>) -> Self {
        self.allow_backing = Some(name.into());
        self
    }

    /// Convert the image into `format` (`qcow2` or `raw`).
    pub fn convert_to(mut self, format: VolumeFormat) -> Self {
        self.convert_to = Some(format);
        self
    }

    /// Keep temporary files (a download to convert, the converted image) in `dir`.
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
    }

    /// HTTP timeout for connecting and for each wait for more of the body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn transfer(&self) -> TransferOptions {
        TransferOptions {
            sparse: self.sparse,
            progress: self.progress.clone(),
            cancel: self.cancel.clone(),
            ..TransferOptions::default()
        }
    }
}

/// What [`Pool::import_image`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The format the source's header declares.
    pub source_format: ImageFormat,
    /// True when the image was converted with `qemu-img convert`.
    pub converted: bool,
    /// The header of the image the volume holds (the converted one, if converted).
    pub image: ImageInfo,
    /// The volume's format.
    pub format: VolumeFormat,
    /// The volume's capacity.
    pub capacity: Size,
    /// Bytes read from the source.
    pub source_bytes: u64,
    /// What was sent to libvirt: data, and holes (zero blocks and the tail up to the
    /// capacity of a raw volume).
    pub transfer: TransferReport,
    /// The checksums that were asked for, as computed (all matched).
    pub checksums: Vec<Checksum>,
}

// --- where the image comes from --------------------------------------------------------

enum Origin {
    File(PathBuf),
    Url(String),
}

impl Origin {
    fn parse(source: &str) -> Result<Origin> {
        if source.is_empty() {
            return Err(Error::invalid("source", "must not be empty"));
        }
        if http::is_url(source) {
            return Ok(Origin::Url(source.to_owned()));
        }
        if let Some(path) = strip_prefix_ignore_case(source, "file://") {
            if !path.starts_with('/') {
                return Err(Error::invalid(
                    "source",
                    format!("{source:?}: a file:// URL needs an absolute path"),
                ));
            }
            return Ok(Origin::File(path.into()));
        }
        if let Some((scheme, _)) = source.split_once("://") {
            if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Error::invalid(
                    "source",
                    format!(
                        "{scheme}:// is not supported: give a local file or an http:// or \
                         https:// URL"
                    ),
                ));
            }
        }
        Ok(Origin::File(source.into()))
    }

    /// For messages and logs: a URL without its password and query (which may hold a
    /// token).
    fn shown(&self) -> String {
        match self {
            Origin::File(p) => p.display().to_string(),
            Origin::Url(u) => http::redacted(u),
        }
    }

    /// The default volume name; with a conversion, the extension names the new format.
    fn default_name(&self, converted_to: Option<VolumeFormat>) -> Result<String> {
        let base = match self {
            Origin::File(p) => p.file_name().and_then(|n| n.to_str()).map(str::to_owned),
            Origin::Url(u) => http::last_segment(u),
        }
        .ok_or_else(|| {
            Error::invalid(
                "name",
                format!(
                    "no volume name can be taken from {}: give one",
                    self.shown()
                ),
            )
        })?;
        Ok(match converted_to {
            None => base,
            Some(to) => match base.rsplit_once('.') {
                Some((stem, _)) if !stem.is_empty() => format!("{stem}.{to}"),
                _ => format!("{base}.{to}"),
            },
        })
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The source, open, its header read.
struct Opened {
    info: ImageInfo,
    /// Bytes in the source; `None` when a server does not say.
    len: Option<u64>,
    body: Body,
}

enum Body {
    File(File),
    /// The response, and the first bytes already read from it (for the probe).
    Http(Download, Vec<u8>),
}

impl Opened {
    fn file(path: &Path) -> Result<Opened> {
        let shown = path.display();
        let meta =
            std::fs::metadata(path).map_err(|e| Error::io(format!("cannot open {shown}"), e))?;
        if meta.is_dir() {
            return Err(Error::invalid(
                "source",
                format!("{shown} is a directory, not a disk image"),
            ));
        }
        let mut file =
            File::open(path).map_err(|e| Error::io(format!("cannot open {shown}"), e))?;
        // Seeking to the end also sizes block devices, whose metadata length is 0.
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io(format!("cannot size {shown}"), e))?;
        let info = image::probe(&mut file, len).map_err(|e| e.context(&shown))?;
        Ok(Opened {
            info,
            len: Some(len),
            body: Body::File(file),
        })
    }

    /// GET the URL and read as much of the body as the probe needs.
    fn url(url: &str, options: &ImportOptions) -> Result<Opened> {
        let mut download = http::get(url, options.timeout)?;
        let length = download.length;
        let mut prefix = Vec::new();
        let mut ended = false;
        let info = loop {
            let total = if ended {
                Some(prefix.len() as u64)
            } else {
                length
            };
            match image::probe_prefix(&prefix, total)
                .map_err(|e| e.context(crate::http::redacted(url)))?
            {
                PrefixProbe::Complete(info) => break info,
                PrefixProbe::NeedBytes(_) if ended => {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!(
                            "{}: the probe asked for more than the whole download",
                            crate::http::redacted(url)
                        ),
                    ))
                }
                PrefixProbe::NeedBytes(n) => {
                    let want = n.max(READ_BYTES as u64) as usize;
                    read_into(&mut download.body, &mut prefix, want)
                        .map_err(|e| download_error(url, prefix.len() as u64, length, e))?;
                    if prefix.len() < want {
                        ended = true;
                        check_complete(url, prefix.len() as u64, length)?;
                    }
                }
            }
        };
        Ok(Opened {
            info,
            len: if ended {
                Some(prefix.len() as u64)
            } else {
                length
            },
            body: Body::Http(download, prefix),
        })
    }

    fn is_local(&self) -> bool {
        matches!(self.body, Body::File(_))
    }
}

/// Append from `reader` to `buf` until it holds `want` bytes or the reader ends.
fn read_into(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<()> {
    let mut taken = reader.take((want.saturating_sub(buf.len())) as u64);
    loop {
        match taken.read_to_end(buf) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == IoKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn download_error(url: &str, got: u64, length: Option<u64>, e: std::io::Error) -> Error {
    let of = length.map_or(String::new(), |l| format!(" of {l}"));
    Error::io(
        format!("the download of {url} failed after {got}{of} bytes"),
        e,
    )
}

/// A body that ended: it must have all of its announced length.
fn check_complete(url: &str, got: u64, length: Option<u64>) -> Result<()> {
    match length {
        Some(l) if got != l => Err(Error::new(
            ErrorKind::Io,
            format!(
                "the download of {url} ended after {got} of {l} bytes (the server closed the \
                 connection early)"
            ),
        )),
        _ => Ok(()),
    }
}

// --- what to do with it ----------------------------------------------------------------

/// How an image becomes a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    /// The image's bytes are the volume's.
    AsIs(AsIs),
    /// The image is converted with qemu-img first.
    Convert(VolumeFormat),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AsIs {
    format: VolumeFormat,
    /// The capacity the volume is created with.
    capacity: Size,
    /// A larger capacity applied after the upload (qcow2).
    resize_to: Option<Size>,
}

/// Formats whose bytes make a volume as they are.
fn stored_as_is(format: ImageFormat) -> bool {
    matches!(
        format,
        ImageFormat::Raw | ImageFormat::Iso | ImageFormat::Qcow2
    )
}

/// Pool types whose volumes are files, where a qcow2 image can be stored.
fn holds_files(pool: PoolType) -> bool {
    VolumeType::default_for(pool) == VolumeType::File
}

/// Decide, from the header alone, how the image is imported, or why it is not.
fn plan(
    info: &ImageInfo,
    len: Option<u64>,
    options: &ImportOptions,
    pool: PoolType,
    local: bool,
) -> Result<Plan> {
    let detected = info.format;
    if let Some(expected) = options.format {
        let fits =
            expected == detected || (expected == ImageFormat::Raw && detected == ImageFormat::Iso);
        if !fits {
            return Err(Error::invalid(
                "format",
                format!(
                    "{expected} was expected, but the image's header says {detected} (the \
                     format is read from the header, never from the name)"
                ),
            ));
        }
    }
    if detected == ImageFormat::Dir {
        return Err(Error::invalid("source", "is a directory, not a disk image"));
    }
    if let Some(enc) = info.encryption {
        return Err(Error::invalid(
            "source",
            format!("the image is encrypted ({enc}); only unencrypted images are imported"),
        ));
    }
    // An ISO asked for as raw is stored as raw: qemu reads ISOs as raw anyway.
    let format = match (options.format, detected) {
        (Some(ImageFormat::Raw), ImageFormat::Iso) => ImageFormat::Raw,
        _ => detected,
    };
    if let Some(to) = options.convert_to {
        if !matches!(to, VolumeFormat::Qcow2 | VolumeFormat::Raw) {
            return Err(Error::invalid(
                "convert_to",
                format!("images are converted to qcow2 or raw, not {to}"),
            ));
        }
        if to == VolumeFormat::Qcow2 && !holds_files(pool) {
            return Err(Error::invalid(
                "convert_to",
                format!("a {pool} pool holds raw volumes only: convert to raw"),
            ));
        }
        let same = format.volume_format() == Some(to)
            || (to == VolumeFormat::Raw && format == ImageFormat::Iso);
        if !same {
            if let Some(backing) = &info.backing {
                return Err(Error::invalid(
                    "convert_to",
                    format!(
                        "the image has a backing file {:?}; a conversion would read it from \
                         this host: import the image as it is, or convert a flattened copy",
                        backing.path
                    ),
                ));
            }
            if !info.data_files.is_empty() && !local {
                return Err(Error::invalid(
                    "source",
                    format!(
                        "the image keeps its data in other files ({}), which a download \
                         does not bring",
                        info.data_files.join(", ")
                    ),
                ));
            }
            if format.qemu_name().is_none() {
                return Err(Error::invalid(
                    "source",
                    format!("qemu-img cannot read {format} images"),
                ));
            }
            return Ok(Plan::Convert(to));
        }
    }
    if !stored_as_is(format) {
        return Err(Error::invalid(
            "convert_to",
            format!(
                "a {format} image is not stored as it is (qemu runs it best converted, and \
                 libvirt's tools expect qcow2 or raw): ask for convert_to qcow2 or raw"
            ),
        ));
    }
    if format == ImageFormat::Qcow2 && !holds_files(pool) {
        return Err(Error::invalid(
            "convert_to",
            format!(
                "a {pool} pool holds raw volumes: a qcow2 image goes there only converted \
                 (convert_to raw)"
            ),
        ));
    }
    if !info.data_files.is_empty() {
        return Err(Error::invalid(
            "source",
            format!(
                "the image keeps its data in other files ({}): import a self-contained image",
                info.data_files.join(", ")
            ),
        ));
    }
    if let Some(backing) = &info.backing {
        if options.allow_backing.is_none() {
            return Err(Error::invalid(
                "allow_backing",
                format!(
                    "the image has a backing file {:?}: name the volume of this pool that it \
                     is backed by with allow_backing",
                    backing.path
                ),
            ));
        }
    }
    let virtual_size = match format {
        ImageFormat::Qcow2 => info.virtual_size,
        _ => len,
    };
    if let (ImageFormat::Iso, Some(pvd), Some(len)) = (format, info.virtual_size, len) {
        if pvd > len {
            return Err(Error::invalid(
                "source",
                format!(
                    "the ISO image is cut short: its volume descriptor says {pvd} bytes, the \
                     image has {len}"
                ),
            ));
        }
    }
    let capacity = match (virtual_size, options.capacity) {
        (Some(v), Some(c)) if c.as_bytes() < v => {
            return Err(Error::invalid(
                "capacity",
                format!(
                    "{c} ({} bytes) is smaller than the image's virtual size of {} ({v} bytes)",
                    c.as_bytes(),
                    Size::bytes(v)
                ),
            ))
        }
        (_, Some(c)) => c,
        (Some(v), None) => Size::try_bytes(v).map_err(|e| e.with_field("capacity"))?,
        (None, None) => {
            return Err(Error::invalid(
                "capacity",
                "the server did not say how long the raw image is (no Content-Length): give \
                 the capacity",
            ))
        }
    };
    let volume_format = format.volume_format().unwrap_or(VolumeFormat::Raw);
    Ok(Plan::AsIs(match volume_format {
        VolumeFormat::Qcow2 => {
            let v = Size::bytes(virtual_size.unwrap_or_default());
            AsIs {
                format: volume_format,
                capacity: v,
                resize_to: (capacity > v).then_some(capacity),
            }
        }
        _ => AsIs {
            format: volume_format,
            capacity,
            resize_to: None,
        },
    }))
}

// --- the import --------------------------------------------------------------------------

impl Pool {
    /// Import a disk image into a new volume of this pool. `source` is a local file or
    /// an `http://` / `https://` URL.
    ///
    /// The format is read from the image's header (never its name); raw, ISO and qcow2
    /// images are stored as they are, other formats converted with `qemu-img convert`
    /// when [`ImportOptions::convert_to`] asks for it (and refused otherwise). The
    /// volume is created with that format and the image's virtual size (or the larger
    /// capacity asked for), then the image is streamed into it: holes and zero blocks
    /// stay holes, progress is reported, and the checksums asked for are computed on the
    /// way and checked before the upload is finished. A download that ends early is a
    /// failure. On any failure or cancel the new volume is deleted again (when the
    /// daemon went away, as soon as the connection is back) and the error says what
    /// happened.
    ///
    /// With `overwrite`, an existing volume of that name is deleted after every check
    /// that needs no volume passed, and just before the new one is created: a failure
    /// after that leaves neither.
    ///
    /// A wrong checksum leaves no volume behind; the right one imports (compiled, not
    /// run: libvirt's test driver has no volume streams; `tests/import.rs` runs this
    /// against a daemon):
    ///
    /// ```no_run
    /// use kvmpool_core::{image::ImageFormat, *};
    /// let dir = tempfile::tempdir().unwrap();
    /// let image = dir.path().join("seed.img");
    /// std::fs::write(&image, b"#cloud-config\n").unwrap();
    /// let source = image.to_str().unwrap();
    /// let pool = Connection::open("qemu:///system")?.pool("default")?;
    ///
    /// let wrong = Checksum::parse(&format!("sha256:{}", "0".repeat(64)), "sha256")?;
    /// let e = pool
    ///     .import_image(source, &ImportOptions::default().checksum(wrong))
    ///     .unwrap_err();
    /// println!("{e}"); // names both sums
    /// assert!(pool.volume("seed.img").is_err(), "nothing left");
    ///
    /// let (vol, report) = pool.import_image(source, &ImportOptions::default())?;
    /// assert_eq!((vol.name(), report.source_format), ("seed.img", ImageFormat::Raw));
    /// # Ok::<(), kvmpool_core::Error>(())
    /// ```
    pub fn import_image(
        &self,
        source: &str,
        options: &ImportOptions,
    ) -> Result<(Volume, ImportReport)> {
        let origin = Origin::parse(source)?;
        if let Some(name) = &options.name {
            check::name("name", name)?;
        }
        if let Some(c) = options.capacity {
            Size::try_bytes(c.as_bytes()).map_err(|e| e.with_field("capacity"))?;
        }
        let cancel_only = TransferOptions {
            cancel: options.cancel.clone(),
            ..TransferOptions::default()
        };
        Ticker::new(&cancel_only).tick(0, 0)?;
        let pool_type = self.pool_type()?;
        let opened = match &origin {
            Origin::File(path) => Opened::file(path)?,
            Origin::Url(url) => Opened::url(url, options)?,
        };
        let local = opened.is_local();
        let imported = match plan(&opened.info, opened.len, options, pool_type, local)? {
            Plan::AsIs(plan) => {
                let name = match &options.name {
                    Some(n) => n.clone(),
                    None => origin.default_name(None)?,
                };
                check::name("name", &name)?;
                let source_format = opened.info.format;
                self.import_as_is(&name, opened, &plan, options, &options.checksums)
                    .map(|(vol, report)| {
                        (
                            vol,
                            ImportReport {
                                source_format,
                                ..report
                            },
                        )
                    })
            }
            Plan::Convert(to) => self.import_converted(&origin, opened, to, options),
        }?;
        let (vol, report) = &imported;
        change!(
            "volume {}: imported from {} ({}, {})",
            vol.display_name(),
            origin.shown(),
            report.format,
            report.capacity
        );
        Ok(imported)
    }

    /// Create the volume and stream the image into it; delete it again on failure.
    fn import_as_is(
        &self,
        name: &str,
        opened: Opened,
        plan: &AsIs,
        options: &ImportOptions,
        expected: &[Checksum],
    ) -> Result<(Volume, ImportReport)> {
        self.check_backing(&opened.info, options)?;
        if let Some(old) = self.find_volume(name)? {
            if !options.overwrite {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "pool {:?} already has a volume {name:?} (overwrite replaces it)",
                        self.name()
                    ),
                ));
            }
            old.delete(DeleteMode::Normal)
                .map_err(|e| e.context(format!("cannot replace volume {name:?}")))?;
        }
        let spec = VolumeSpec::new(name, plan.capacity).format(plan.format);
        let vol = self.create_volume(&spec)?;
        match self.fill(&vol, opened, plan, options, expected) {
            Ok(report) => Ok((vol, report)),
            Err(e) => Err(self.discard(&vol, e)),
        }
    }

    /// An image with a backing file: `allow_backing` names a volume of this pool, and
    /// the header's backing file is that volume (its name, relative to the image's
    /// directory, or its path), of the format the header records.
    fn check_backing(&self, info: &ImageInfo, options: &ImportOptions) -> Result<()> {
        let Some(backing) = &info.backing else {
            return Ok(());
        };
        let Some(name) = options.allow_backing.as_deref() else {
            return Err(Error::invalid(
                "allow_backing",
                format!("the image has a backing file {:?}", backing.path),
            ));
        };
        let vol = match self.find_volume(name)? {
            Some(v) => v,
            None => {
                return Err(Error::invalid(
                    "allow_backing",
                    format!("pool {:?} has no volume {name:?}", self.name()),
                ))
            }
        };
        let path = vol.path()?;
        let named = backing.path.trim_start_matches("./");
        let same = if backing.path.starts_with('/') {
            backing.path == path
        } else {
            named == name
        };
        if !same {
            return Err(Error::invalid(
                "allow_backing",
                format!(
                    "the image's backing file is {:?}, not volume {name:?} ({path}): the \
                     imported image would not find its backing volume",
                    backing.path
                ),
            ));
        }
        if let Some(format) = backing.format {
            let has = vol.spec()?.format.unwrap_or(VolumeFormat::Raw);
            if format.volume_format() != Some(has) {
                return Err(Error::invalid(
                    "allow_backing",
                    format!(
                        "the image records a {format} backing file, but volume {name:?} is \
                         {has}"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Fetch (and hash) the source as a local file, convert it, import the result.
    fn import_converted(
        &self,
        origin: &Origin,
        opened: Opened,
        to: VolumeFormat,
        options: &ImportOptions,
    ) -> Result<(Volume, ImportReport)> {
        let name = match &options.name {
            Some(n) => n.clone(),
            None => origin.default_name(Some(to))?,
        };
        check::name("name", &name)?;
        if !options.overwrite && self.find_volume(&name)?.is_some() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!(
                    "pool {:?} already has a volume {name:?} (overwrite replaces it)",
                    self.name()
                ),
            ));
        }
        let dir = options.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let transfer = options.transfer();
        let ticker = Ticker::new(&transfer);
        let source_format = opened.info.format;
        let source_len = opened.len;
        let hashers = Hashers::for_expected(&options.checksums);
        let (input, download_copy, fetched) = match (origin, opened.body) {
            (Origin::File(path), Body::File(file)) => {
                let (bytes, sums) = hash_file(&file, source_len.unwrap_or(0), hashers, &transfer)?;
                (path.clone(), None, (bytes, sums))
            }
            (_, Body::Http(download, prefix)) => {
                let temp = TempPath::new(&dir, &name);
                let fetched = save(download, prefix, temp.path(), hashers, &ticker)?;
                (temp.path().to_owned(), Some(temp), fetched)
            }
            (Origin::Url(_), Body::File(_)) => unreachable!("a URL is opened as a download"),
        };
        let (source_bytes, checksums) = fetched;
        checksum::verify(&options.checksums, &checksums, "the image")?;
        let output = TempPath::new(&dir, &name);
        let target = if to == VolumeFormat::Qcow2 {
            ImageFormat::Qcow2
        } else {
            ImageFormat::Raw
        };
        qemu_img::convert(
            &input,
            output.path(),
            Convert {
                from: source_format,
                to: target,
                sparse: true,
                cancel: options.cancel.as_ref(),
            },
        )?;
        drop(download_copy);
        let converted = Opened::file(output.path())?;
        let plain = ImportOptions {
            format: Some(target),
            convert_to: None,
            checksums: Vec::new(),
            ..options.clone()
        };
        let Plan::AsIs(plan) = plan(
            &converted.info,
            converted.len,
            &plain,
            self.pool_type()?,
            true,
        )?
        else {
            unreachable!("a converted image is qcow2 or raw")
        };
        let (vol, report) = self.import_as_is(&name, converted, &plan, options, &[])?;
        Ok((
            vol,
            ImportReport {
                source_format,
                converted: true,
                source_bytes,
                checksums,
                ..report
            },
        ))
    }

    /// Stream the image into the new volume `vol` and check what it holds.
    fn fill(
        &self,
        vol: &Volume,
        opened: Opened,
        plan: &AsIs,
        options: &ImportOptions,
        expected: &[Checksum],
    ) -> Result<ImportReport> {
        let transfer = options.transfer();
        let ticker = Ticker::new(&transfer);
        let info = vol.info()?;
        let file_volume = info.volume_type == VolumeType::File;
        // Bytes below this offset may hold what libvirt wrote at creation: no holes there.
        let mut dirty = 0;
        if file_volume && info.allocation > Size::ZERO {
            cut_to_first_byte(vol)?;
            dirty = 1;
        }
        let capacity = plan.capacity.as_bytes();
        let is_qcow2 = plan.format == VolumeFormat::Qcow2;
        // A raw or ISO volume is its capacity long: the image, then zeros (a hole).
        let pad_to = (!is_qcow2).then_some(capacity);
        let holes = options.sparse || dirty > 0;
        // The tail of a raw volume is sent, as a hole where the stream has holes, or as
        // zeros to a block volume; a new file volume without holes is that long already.
        let send_tail = holes || !file_volume;
        let declared = match (opened.len, pad_to) {
            (Some(len), Some(end)) if send_tail => end.max(len),
            (Some(len), _) => len,
            (None, _) => 0, // no limit: the length is known at the end
        };
        let total = opened.len.unwrap_or(0);
        ticker.tick(0, total)?;
        let mut stream = VolStream::open(vol, "virStorageVolUpload", |v, s| {
            v.upload(s, 0, declared, upload_flags(holes))
                .map_err(crate::libvirt::error)
        })?;
        let limit = if is_qcow2 { None } else { Some(capacity) };
        let image = opened.info.clone();
        let hashers = Hashers::for_expected(expected);
        let mut done = TransferReport::new(TransferMethod::Stream);
        let outcome = (|| {
            let produced = send_image(
                &stream,
                opened,
                Produce {
                    sparse: options.sparse,
                    limit,
                    hashers,
                },
                Rules {
                    holes: options.sparse,
                    dirty,
                    total,
                },
                &ticker,
                &mut done,
            )?;
            checksum::verify(expected, &produced.checksums, "the image")?;
            if let Some(end) = pad_to {
                let tail = end.saturating_sub(produced.bytes);
                if tail > 0 && holes {
                    stream.send_hole(tail)?;
                    done.hole_bytes += tail;
                } else if tail > 0 && send_tail {
                    send_zeros(
                        &stream,
                        tail,
                        tail,
                        &Ticker::new(&TransferOptions::default()),
                        &mut done,
                    )?;
                }
            }
            stream.finish()?;
            Ok(produced)
        })();
        let produced = outcome.map_err(|e| vol.stream_error(e, &stream))?;
        drop(stream);
        let final_len = pad_to.unwrap_or(produced.bytes);
        self.check_imported(vol, plan, &image, final_len, file_volume, dirty > 0)?;
        Ok(ImportReport {
            source_format: image.format,
            converted: false,
            image,
            format: plan.format,
            capacity: plan.resize_to.unwrap_or(plan.capacity),
            source_bytes: produced.bytes,
            transfer: done,
            checksums: produced.checksums,
        })
    }

    /// After the upload: the volume is as long as it should be, libvirt sees the format
    /// and virtual size of the image, and a larger capacity is applied.
    fn check_imported(
        &self,
        vol: &Volume,
        plan: &AsIs,
        image: &ImageInfo,
        final_len: u64,
        file_volume: bool,
        cut: bool,
    ) -> Result<()> {
        if file_volume {
            let physical = vol.physical()?.as_bytes();
            if physical != final_len {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!(
                        "volume {:?} holds {physical} bytes after the upload, not {final_len}",
                        vol.name()
                    ),
                ));
            }
        }
        if cut {
            // libvirt refreshes the pool after every upload, probing each file's format:
            // the refresh after the 1-byte cut may have seen a raw file, and the one after
            // the upload may not have run yet. A refresh now (refreshes of a pool run one
            // at a time, and this one starts after the upload finished) settles it.
            self.refresh()?;
        }
        // libvirt's view of a qcow2 or ISO volume comes from its header: check it took.
        if matches!(plan.format, VolumeFormat::Qcow2 | VolumeFormat::Iso) {
            let spec = vol.spec()?;
            let virtual_size = match plan.format {
                VolumeFormat::Qcow2 => image.virtual_size.unwrap_or_default(),
                _ => plan.capacity.as_bytes(),
            };
            if spec.format != Some(plan.format) || spec.capacity.as_bytes() != virtual_size {
                return Err(Error::new(
                    ErrorKind::Libvirt,
                    format!(
                        "after the upload libvirt reports volume {:?} as {} of {} bytes, not \
                         {} of {virtual_size}",
                        vol.name(),
                        spec.format
                            .map_or("no format".to_owned(), |f| f.to_string()),
                        spec.capacity.as_bytes(),
                        plan.format
                    ),
                ));
            }
        }
        if let Some(capacity) = plan.resize_to {
            vol.resize(Resize::to(capacity))?;
        }
        Ok(())
    }
}

/// Cut a file volume that libvirt created with content (a qcow2 file) to its first byte:
/// a sparse upload of one 1-byte hole (libvirt truncates the file at a hole's end).
fn cut_to_first_byte(vol: &Volume) -> Result<()> {
    let mut stream = VolStream::open(vol, "virStorageVolUpload", |v, s| {
        v.upload(s, 0, 1, upload_flags(true))
            .map_err(crate::libvirt::error)
    })?;
    stream
        .send_hole(1)
        .and_then(|()| stream.finish())
        .map_err(|e| vol.stream_error(e, &stream))
}

// --- streaming ---------------------------------------------------------------------------

/// What the reading side does.
struct Produce {
    sparse: bool,
    /// The most bytes the source may have (a raw image of unknown length: the capacity).
    limit: Option<u64>,
    hashers: Hashers,
}

/// What the sending side does.
#[derive(Debug, Clone, Copy)]
struct Rules {
    /// Stream holes may be sent.
    holes: bool,
    /// Below this offset holes are sent as zeros.
    dirty: u64,
    /// The source's length for progress (0: unknown).
    total: u64,
}

/// What the reading side read.
struct Produced {
    bytes: u64,
    checksums: Vec<Checksum>,
}

/// Read the source on a thread of its own (hashing it, finding holes and zero blocks)
/// while this thread sends to libvirt. The reader is not joined when sending fails: a
/// download stalled in a read then cannot hold up the error (or the cancel); it ends
/// at its next read or timeout.
fn send_image(
    stream: &VolStream,
    opened: Opened,
    produce: Produce,
    rules: Rules,
    ticker: &Ticker<'_>,
    done: &mut TransferReport,
) -> Result<Produced> {
    let (feed, drain) = pipe::queue(READ_BYTES);
    let len = opened.len;
    let reader = std::thread::Builder::new()
        .name("kvmpool-import".into())
        .spawn(move || read_source(opened.body, len, produce, feed))
        .map_err(|e| Error::io("cannot start the import's reader thread", e))?;
    while let Some(chunk) = drain.next() {
        let position = match chunk {
            Chunk::Data { at, buf, len } => {
                for piece in buf[..len].chunks(CHUNK_BYTES) {
                    stream.send_all(piece)?;
                }
                done.data_bytes += len as u64;
                drain.recycle(buf);
                at + len as u64
            }
            Chunk::Hole { at, len } => {
                let zeros = if rules.holes {
                    rules.dirty.saturating_sub(at).min(len)
                } else {
                    len
                };
                if zeros > 0 {
                    send_zeros(
                        stream,
                        zeros,
                        u64::MAX,
                        &Ticker::new(&TransferOptions::default()),
                        done,
                    )?;
                }
                if len > zeros {
                    stream.send_hole(len - zeros)?;
                    done.hole_bytes += len - zeros;
                }
                at + len
            }
        };
        ticker.tick(position, rules.total)?;
    }
    reader.join().unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::Io,
            "the import's reader thread panicked",
        ))
    })
}

/// The reading side: the source's bytes as data chunks and holes, in order.
fn read_source(body: Body, len: Option<u64>, p: Produce, feed: Feed) -> Result<Produced> {
    let mut out = Emitter {
        feed,
        sparse: p.sparse,
        pending: None,
        stopped: false,
        hashers: p.hashers,
    };
    let bytes = match body {
        Body::File(file) => read_file(&file, len.unwrap_or(0), &mut out)?,
        Body::Http(download, prefix) => read_download(download, prefix, p.limit, &mut out)?,
    };
    out.flush();
    Ok(Produced {
        bytes,
        checksums: out.hashers.finish(),
    })
}

fn read_file(file: &File, len: u64, out: &mut Emitter) -> Result<u64> {
    let mut at = 0u64;
    while at < len && !out.stopped {
        let (data_start, data_end) = if out.sparse {
            next_data(file, at, len)
                .map_err(|e| Error::io("cannot find data in the image", e))?
                .unwrap_or((len, len))
        } else {
            (at, len)
        };
        if data_start > at {
            out.hole(at, data_start - at);
            at = data_start;
        }
        while at < data_end && !out.stopped {
            let end = aligned_end(at, data_end);
            let mut buf = out.feed.buffer();
            let want = (end - at) as usize;
            let mut got = 0;
            while got < want {
                let n = file
                    .read_at(&mut buf[got..want], at + got as u64)
                    .map_err(|e| Error::io("cannot read the image", e))?;
                if n == 0 {
                    return Err(Error::new(
                        ErrorKind::Io,
                        "the image became shorter during the import",
                    ));
                }
                got += n;
            }
            out.data(at, buf, want);
            at = end;
        }
    }
    Ok(at)
}

/// The end of the next read from `at`: at most [`READ_BYTES`], on a zero-block boundary
/// when the data goes on.
fn aligned_end(at: u64, data_end: u64) -> u64 {
    let end = (at + READ_BYTES as u64) / ZERO_BLOCK * ZERO_BLOCK;
    if end <= at {
        (at + READ_BYTES as u64).min(data_end)
    } else {
        end.min(data_end)
    }
}

fn read_download(
    mut download: Download,
    prefix: Vec<u8>,
    limit: Option<u64>,
    out: &mut Emitter,
) -> Result<u64> {
    let url = download.url.clone();
    let length = download.length;
    let mut at = prefix.len() as u64;
    let too_long = |got: u64| -> Result<()> {
        match limit {
            Some(l) if length.is_none() && got > l => Err(Error::invalid(
                "capacity",
                format!("the download of {url} is longer than the capacity of {l} bytes"),
            )),
            _ => Ok(()),
        }
    };
    too_long(at)?;
    if !prefix.is_empty() {
        let n = prefix.len();
        out.data(0, prefix, n);
    }
    loop {
        if out.stopped {
            return Ok(at);
        }
        let end = aligned_end(at, u64::MAX);
        let want = (end - at) as usize;
        let mut buf = out.feed.buffer();
        let mut got = 0;
        while got < want {
            match download.body.read(&mut buf[got..want]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == IoKind::Interrupted => {}
                Err(e) => return Err(download_error(&url, at + got as u64, length, e)),
            }
        }
        if got > 0 {
            out.data(at, buf, got);
            at += got as u64;
            too_long(at)?;
        }
        if got < want {
            check_complete(&url, at, length)?;
            return Ok(at);
        }
    }
}

/// Hands the source to the sending side: hashes every byte (holes as zeros), turns whole
/// zero blocks into holes when sparse, and joins adjacent holes.
struct Emitter {
    feed: Feed,
    sparse: bool,
    /// A hole not sent yet: (offset, length).
    pending: Option<(u64, u64)>,
    /// The sending side stopped (it failed): read no further.
    stopped: bool,
    hashers: Hashers,
}

impl Emitter {
    fn send(&mut self, chunk: Chunk) {
        if !self.stopped && !self.feed.send(chunk) {
            self.stopped = true;
        }
    }

    fn hole(&mut self, at: u64, len: u64) {
        self.hashers.update_zeros(len);
        self.add_hole(at, len);
    }

    fn add_hole(&mut self, at: u64, len: u64) {
        match &mut self.pending {
            Some((start, l)) if *start + *l == at => *l += len,
            _ => {
                self.flush();
                self.pending = Some((at, len));
            }
        }
    }

    fn flush(&mut self) {
        if let Some((at, len)) = self.pending.take() {
            self.send(Chunk::Hole { at, len });
        }
    }

    /// `buf[..len]`, the source's bytes at `at`.
    fn data(&mut self, at: u64, buf: Vec<u8>, len: usize) {
        self.hashers.update(&buf[..len]);
        if !self.sparse {
            self.send(Chunk::Data { at, buf, len });
            return;
        }
        // Runs of data and of whole zero blocks (aligned to the image).
        let mut runs: Vec<(bool, usize, usize)> = Vec::new();
        let mut off = 0usize;
        while off < len {
            let pos = at + off as u64;
            let block_end = ((pos / ZERO_BLOCK + 1) * ZERO_BLOCK - at) as usize;
            let end = block_end.min(len);
            let zero = end - off == ZERO_BLOCK as usize && is_zero(&buf[off..end]);
            match runs.last_mut() {
                Some((z, _, e)) if *z == zero => *e = end,
                _ => runs.push((zero, off, end)),
            }
            off = end;
        }
        if let [(false, _, _)] = runs.as_slice() {
            self.flush();
            self.send(Chunk::Data { at, buf, len });
            return;
        }
        for (zero, start, end) in runs {
            let pos = at + start as u64;
            if zero {
                self.add_hole(pos, (end - start) as u64);
            } else {
                self.flush();
                // a prefix read for the probe may be longer than one buffer
                for (i, part) in buf[start..end].chunks(READ_BYTES).enumerate() {
                    let mut piece = self.feed.buffer();
                    piece.resize(piece.len().max(part.len()), 0);
                    piece[..part.len()].copy_from_slice(part);
                    self.send(Chunk::Data {
                        at: pos + (i * READ_BYTES) as u64,
                        buf: piece,
                        len: part.len(),
                    });
                }
            }
        }
    }
}

/// Save a download to `path` (before a conversion), hashing it.
fn save(
    mut download: Download,
    prefix: Vec<u8>,
    path: &Path,
    mut hashers: Hashers,
    ticker: &Ticker<'_>,
) -> Result<(u64, Vec<Checksum>)> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
    let write_err = |e| Error::io(format!("cannot write {}", path.display()), e);
    let total = download.length.unwrap_or(0);
    hashers.update(&prefix);
    file.write_all(&prefix).map_err(write_err)?;
    let mut at = prefix.len() as u64;
    let mut buf = vec![0u8; READ_BYTES];
    loop {
        ticker.tick(at, total)?;
        let n = match download.body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == IoKind::Interrupted => continue,
            Err(e) => return Err(download_error(&download.url, at, download.length, e)),
        };
        hashers.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(write_err)?;
        at += n as u64;
    }
    check_complete(&download.url, at, download.length)?;
    Ok((at, hashers.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::BackingFile;

    fn info(format: ImageFormat, virtual_size: Option<u64>) -> ImageInfo {
        let mut i = image::probe(std::io::Cursor::new(Vec::new()), 0).unwrap();
        i.format = format;
        i.virtual_size = virtual_size;
        i
    }

    fn field(r: Result<Plan>) -> String {
        r.unwrap_err().field().unwrap_or("(none)").to_owned()
    }

    const GIB: u64 = 1 << 30;

    #[test]
    fn raw_iso_and_qcow2_are_stored_as_they_are() {
        let o = ImportOptions::default();
        let raw = plan(
            &info(ImageFormat::Raw, Some(1000)),
            Some(1000),
            &o,
            PoolType::Dir,
            true,
        );
        assert_eq!(
            raw.unwrap(),
            Plan::AsIs(AsIs {
                format: VolumeFormat::Raw,
                capacity: Size::bytes(1000),
                resize_to: None
            })
        );
        let q = info(ImageFormat::Qcow2, Some(10 * GIB));
        let big = ImportOptions::default().capacity(Size::gib(20));
        assert_eq!(
            plan(&q, Some(3 << 20), &big, PoolType::Dir, true).unwrap(),
            Plan::AsIs(AsIs {
                format: VolumeFormat::Qcow2,
                capacity: Size::gib(10),
                resize_to: Some(Size::gib(20))
            })
        );
        let iso = info(ImageFormat::Iso, Some(4096));
        let Plan::AsIs(p) = plan(&iso, Some(8192), &o, PoolType::Dir, true).unwrap() else {
            panic!()
        };
        assert_eq!(
            (p.format, p.capacity),
            (VolumeFormat::Iso, Size::bytes(8192))
        );
        let as_raw = ImportOptions::default().format(ImageFormat::Raw);
        let Plan::AsIs(p) = plan(&iso, Some(8192), &as_raw, PoolType::Dir, true).unwrap() else {
            panic!()
        };
        assert_eq!(p.format, VolumeFormat::Raw);
        assert_eq!(
            field(plan(&iso, Some(1024), &o, PoolType::Dir, true)),
            "source",
            "an ISO shorter than its descriptor says is cut short"
        );
    }

    #[test]
    fn refusals_name_the_option_to_change() {
        let o = ImportOptions::default();
        let q = info(ImageFormat::Qcow2, Some(10 * GIB));
        let small = ImportOptions::default().capacity(Size::gib(1));
        let e = plan(&q, Some(1 << 20), &small, PoolType::Dir, true).unwrap_err();
        assert_eq!(e.field(), Some("capacity"));
        assert!(
            e.message()
                .contains("smaller than the image's virtual size"),
            "{e}"
        );
        let wrong = ImportOptions::default().format(ImageFormat::Qcow2);
        let e = plan(
            &info(ImageFormat::Raw, Some(10)),
            Some(10),
            &wrong,
            PoolType::Dir,
            true,
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("format"));
        assert!(e.message().contains("header says raw"), "{e}");
        let vmdk = info(ImageFormat::Vmdk, Some(GIB));
        assert_eq!(
            field(plan(&vmdk, Some(1 << 20), &o, PoolType::Dir, true)),
            "convert_to"
        );
        assert_eq!(
            field(plan(&q, Some(1 << 20), &o, PoolType::Logical, true)),
            "convert_to",
            "qcow2 into a pool of block volumes"
        );
        let to_vmdk = ImportOptions::default().convert_to(VolumeFormat::Vmdk);
        assert_eq!(
            field(plan(&vmdk, Some(1), &to_vmdk, PoolType::Dir, true)),
            "convert_to"
        );
        assert_eq!(
            field(plan(
                &info(ImageFormat::Raw, None),
                None,
                &o,
                PoolType::Dir,
                false
            )),
            "capacity",
            "a raw download of unknown length needs a capacity"
        );
        let mut enc = q.clone();
        enc.encryption = Some(crate::spec::EncryptionFormat::Luks);
        assert_eq!(
            field(plan(&enc, Some(1), &o, PoolType::Dir, true)),
            "source"
        );
        let mut backed = q.clone();
        backed.backing = Some(BackingFile {
            path: "base.qcow2".into(),
            format: Some(ImageFormat::Qcow2),
        });
        assert_eq!(
            field(plan(&backed, Some(1), &o, PoolType::Dir, true)),
            "allow_backing"
        );
        let allowed = ImportOptions::default().allow_backing("base.qcow2");
        assert!(plan(&backed, Some(1), &allowed, PoolType::Dir, true).is_ok());
        let to_raw = ImportOptions::default().convert_to(VolumeFormat::Raw);
        assert_eq!(
            field(plan(&backed, Some(1), &to_raw, PoolType::Dir, true)),
            "convert_to"
        );
        let mut external = q.clone();
        external.data_files = vec!["data.raw".into()];
        assert_eq!(
            field(plan(&external, Some(1), &o, PoolType::Dir, true)),
            "source"
        );
    }

    #[test]
    fn conversions_are_asked_for_and_same_format_is_no_conversion() {
        let vmdk = info(ImageFormat::Vmdk, Some(GIB));
        let to_q = ImportOptions::default().convert_to(VolumeFormat::Qcow2);
        assert_eq!(
            plan(&vmdk, Some(1 << 20), &to_q, PoolType::Dir, true).unwrap(),
            Plan::Convert(VolumeFormat::Qcow2)
        );
        let q = info(ImageFormat::Qcow2, Some(GIB));
        assert!(matches!(
            plan(&q, Some(1 << 20), &to_q, PoolType::Dir, true).unwrap(),
            Plan::AsIs(_)
        ));
        let to_raw = ImportOptions::default().convert_to(VolumeFormat::Raw);
        assert_eq!(
            plan(&q, Some(1 << 20), &to_raw, PoolType::Logical, true).unwrap(),
            Plan::Convert(VolumeFormat::Raw)
        );
    }

    #[test]
    fn sources_and_default_names() {
        assert!(matches!(Origin::parse("/a/b.qcow2"), Ok(Origin::File(_))));
        assert!(matches!(Origin::parse("b.qcow2"), Ok(Origin::File(_))));
        assert!(matches!(
            Origin::parse("https://h/x.img"),
            Ok(Origin::Url(_))
        ));
        let Ok(Origin::File(p)) = Origin::parse("FILE:///srv/x.iso") else {
            panic!()
        };
        assert_eq!(p, PathBuf::from("/srv/x.iso"));
        for bad in ["", "ftp://h/x", "s3://b/k", "file://relative"] {
            assert_eq!(
                Origin::parse(bad).err().unwrap().field(),
                Some("source"),
                "{bad}"
            );
        }
        let f = Origin::parse("/srv/disk.vmdk").unwrap();
        assert_eq!(f.default_name(None).unwrap(), "disk.vmdk");
        assert_eq!(
            f.default_name(Some(VolumeFormat::Qcow2)).unwrap(),
            "disk.qcow2"
        );
        let u = Origin::parse("http://h/images/disk").unwrap();
        assert_eq!(u.default_name(Some(VolumeFormat::Raw)).unwrap(), "disk.raw");
        let e = Origin::parse("http://h/")
            .unwrap()
            .default_name(None)
            .unwrap_err();
        assert_eq!(e.field(), Some("name"));
    }

    fn emitted(data: &[u8], at: u64, sparse: bool) -> (Vec<(bool, u64, u64)>, Vec<Checksum>) {
        let (feed, drain) = pipe::queue(READ_BYTES);
        let mut e = Emitter {
            feed,
            sparse,
            pending: None,
            stopped: false,
            hashers: Hashers::new([crate::checksum::ChecksumAlgorithm::Sha256]),
        };
        let handle = std::thread::spawn(move || {
            let mut out = Vec::new();
            while let Some(c) = drain.next() {
                out.push(match c {
                    Chunk::Data { at, len, .. } => (false, at, len as u64),
                    Chunk::Hole { at, len } => (true, at, len),
                });
            }
            out
        });
        let mut buf = vec![0u8; READ_BYTES];
        buf[..data.len()].copy_from_slice(data);
        e.data(at, buf, data.len());
        e.hole(at + data.len() as u64, 10);
        e.flush();
        let sums = std::mem::replace(&mut e.hashers, Hashers::new([])).finish();
        drop(e);
        (handle.join().unwrap(), sums)
    }

    #[test]
    fn whole_zero_blocks_become_holes_joined_with_the_next_hole() {
        let b = ZERO_BLOCK as usize;
        let mut data = vec![0u8; 3 * b];
        data[b + 5] = 1;
        let (runs, sums) = emitted(&data, 0, true);
        let bz = ZERO_BLOCK;
        assert_eq!(
            runs,
            vec![(true, 0, bz), (false, bz, bz), (true, 2 * bz, bz + 10)]
        );
        // zeros that fill no aligned block stay data
        let (runs, _) = emitted(&data[..b], 100, true);
        assert_eq!(runs, vec![(false, 100, bz), (true, bz + 100, 10)]);
        let (plain, plain_sums) = emitted(&data, 0, false);
        assert_eq!(plain, vec![(false, 0, 3 * bz), (true, 3 * bz, 10)]);
        assert_eq!(sums, plain_sums, "holes are hashed as zeros");
    }

    #[test]
    fn a_long_mixed_prefix_is_sent_in_buffer_sized_pieces() {
        let (feed, drain) = pipe::queue(READ_BYTES);
        let mut e = Emitter {
            feed,
            sparse: true,
            pending: None,
            stopped: false,
            hashers: Hashers::new([]),
        };
        let handle = std::thread::spawn(move || {
            let mut out = Vec::new();
            while let Some(c) = drain.next() {
                if let Chunk::Data { at, buf, len } = c {
                    assert!(buf[..len].iter().all(|&b| b == 7));
                    out.push((at, len));
                }
            }
            out
        });
        let mut prefix = vec![7u8; 3 * READ_BYTES + ZERO_BLOCK as usize];
        prefix.extend(vec![0u8; 2 * ZERO_BLOCK as usize]);
        let n = prefix.len();
        e.data(0, prefix, n);
        e.flush();
        drop(e);
        let r = READ_BYTES;
        assert_eq!(
            handle.join().unwrap(),
            vec![
                (0, r),
                (r as u64, r),
                (2 * r as u64, r),
                (3 * r as u64, ZERO_BLOCK as usize)
            ]
        );
    }

    #[test]
    fn reads_end_on_zero_block_boundaries() {
        let r = READ_BYTES as u64;
        assert_eq!(aligned_end(0, u64::MAX), r);
        assert_eq!(aligned_end(100, u64::MAX), r);
        assert_eq!(aligned_end(100, 200), 200);
        assert_eq!(aligned_end(r, 10 * r), 2 * r);
    }
}
