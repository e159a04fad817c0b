//! `Volume::export`: a volume into a local image file, converted with `qemu-img convert`
//! when asked, sparse, with checksums, renamed into place only when complete.

use std::fmt;
use std::fs::File;
use std::path::Path;

use crate::checksum::{self, hash_file, Checksum, ChecksumAlgorithm, Hashers};
use crate::error::{Error, ErrorKind, Result};
use crate::image::ImageFormat;
use crate::qemu_img::{self, Convert, TempPath};
use crate::spec::VolumeFormat;
use crate::trace::change;
use crate::transfer::{
    is_block_device, progress_and_cancel, CancelToken, FileSink, ProgressFn, Sink, TempFile,
    TransferOptions, TransferReport,
};
use crate::units::Size;
use crate::volume::Volume;

/// Options of [`Volume::export`].
#[derive(Clone)]
pub struct ExportOptions {
    /// Write the image in this format (`qemu-img convert`); default: the volume's own,
    /// byte for byte.
    pub format: Option<ImageFormat>,
    /// Leave zero regions as holes in the file (default on).
    pub sparse: bool,
    /// Compute this checksum of the file written (reported).
    pub checksum: Option<ChecksumAlgorithm>,
    /// Checksums the file written must have; on a mismatch nothing is written.
    pub checksums: Vec<Checksum>,
    /// Replace an existing file (default: refuse, `AlreadyExists`).
    pub overwrite: bool,
    /// Called with bytes done and total while the volume is read; `false` cancels.
    pub progress: Option<ProgressFn>,
    /// Cancels the export.
    pub cancel: Option<CancelToken>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            format: None,
            sparse: true,
            checksum: None,
            checksums: Vec::new(),
            overwrite: false,
            progress: None,
            cancel: None,
        }
    }
}

impl fmt::Debug for ExportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportOptions")
            .field("format", &self.format)
            .field("sparse", &self.sparse)
            .field("checksum", &self.checksum)
            .field("checksums", &self.checksums)
            .field("overwrite", &self.overwrite)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl ExportOptions {
    /// Convert into `format`.
    pub fn format(mut self, format: ImageFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Leave holes (default) or write every byte.
    pub fn sparse(mut self, on: bool) -> Self {
        self.sparse = on;
        self
    }

    /// Compute this checksum of the file.
    pub fn compute(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.checksum = Some(algorithm);
        self
    }

    /// The file must have this checksum.
    pub fn checksum(mut self, checksum: Checksum) -> Self {
        self.checksums.push(checksum);
        self
    }

    /// Replace an existing file.
    pub fn overwrite(mut self, on: bool) -> Self {
        self.overwrite = on;
        self
    }

    progress_and_cancel!();
}

/// What [`Volume::export`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// The file's format.
    pub format: ImageFormat,
    /// True when it was converted with `qemu-img convert`.
    pub converted: bool,
    /// The file's length.
    pub bytes: u64,
    /// What was read from the volume.
    pub transfer: TransferReport,
    /// The checksums computed of the file (those asked for and those checked).
    pub checksums: Vec<Checksum>,
}

/// The format of a volume's bytes: its libvirt format (never a probe of the data: a
/// raw volume's guest may have written any header), raw for partitions and none.
fn image_format(format: Option<VolumeFormat>) -> ImageFormat {
    format
        .and_then(|f| ImageFormat::from_name(f.as_str()))
        .unwrap_or(ImageFormat::Raw)
}

/// A sink that hashes what goes by (holes as zeros), in order.
struct Hashing<'s> {
    inner: FileSink<'s>,
    hashers: Hashers,
}

impl Sink for Hashing<'_> {
    fn data(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        self.hashers.update(bytes);
        self.inner.data(at, bytes)
    }

    fn hole(&mut self, at: u64, len: u64) -> Result<()> {
        self.hashers.update_zeros(len);
        self.inner.hole(at, len)
    }

    fn finish(&mut self, total: u64) -> Result<()> {
        self.inner.finish(total)
    }
}

impl Volume {
    /// Write the volume to the image file `path`: its bytes as they are, or converted
    /// into `options.format` with `qemu-img convert` (the source format is the volume's
    /// libvirt format, never guessed). Holes stay holes when `sparse`. The file is
    /// written next to `path` and renamed into place only when complete and matching
    /// every checksum asked for, so a failed or cancelled export leaves `path` as it
    /// was. An existing file is replaced only with `overwrite`.
    pub fn export(&self, path: impl AsRef<Path>, options: &ExportOptions) -> Result<ExportReport> {
        let path = path.as_ref();
        if path.is_dir() || is_block_device(path) {
            return Err(Error::invalid(
                "path",
                format!("{} is not a file", path.display()),
            ));
        }
        if !options.overwrite && path.symlink_metadata().is_ok() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("{} already exists (overwrite replaces it)", path.display()),
            ));
        }
        let spec = self.spec()?;
        let own = image_format(spec.format);
        let target = options.format.unwrap_or(own);
        let convert = target != own && !(target == ImageFormat::Raw && own == ImageFormat::Iso);
        if convert && spec.backing_store.is_some() {
            return Err(Error::invalid(
                "format",
                format!(
                    "volume {:?} has a backing store: a conversion would need it beside the \
                     copy; export it as it is",
                    self.name()
                ),
            ));
        }
        let transfer = TransferOptions {
            sparse: options.sparse,
            progress: options.progress.clone(),
            cancel: options.cancel.clone(),
            ..TransferOptions::default()
        };
        let algorithms = options
            .checksums
            .iter()
            .map(Checksum::algorithm)
            .chain(options.checksum);
        let mut temp = TempFile::create(path)?;
        let (file, transfer_report, checksums) = if !convert {
            let mut sink = Hashing {
                inner: FileSink::new(&mut temp.file, options.sparse),
                hashers: Hashers::new(algorithms),
            };
            let report = self.receive(&transfer, &mut sink)?;
            let sums = sink.hashers.finish();
            (Written::Temp(temp), report, sums)
        } else {
            let report = self.receive(&transfer, &mut FileSink::new(&mut temp.file, true))?;
            let name = path
                .file_name()
                .map_or("export".into(), |n| n.to_string_lossy().into_owned());
            let dir = temp.path().parent().unwrap_or(Path::new(".")).to_owned();
            let out = TempPath::new(&dir, &name);
            qemu_img::convert(
                temp.path(),
                out.path(),
                Convert {
                    from: own,
                    to: target,
                    sparse: options.sparse,
                    cancel: options.cancel.as_ref(),
                },
            )?;
            drop(temp);
            let file = File::open(out.path())
                .map_err(|e| Error::io(format!("cannot open {}", out.path().display()), e))?;
            let len = file
                .metadata()
                .map_err(|e| Error::io("cannot size the converted image", e))?
                .len();
            let cancel_only = TransferOptions {
                cancel: options.cancel.clone(),
                ..TransferOptions::default()
            };
            let (_, sums) = hash_file(&file, len, Hashers::new(algorithms), &cancel_only)?;
            (Written::Converted(out), report, sums)
        };
        checksum::verify(&options.checksums, &checksums, "the exported image")?;
        let bytes = file.finish(path)?;
        change!(
            "volume {}: exported to {} ({target}, {})",
            self.display_name(),
            path.display(),
            Size::bytes(bytes)
        );
        Ok(ExportReport {
            format: target,
            converted: convert,
            bytes,
            transfer: transfer_report,
            checksums,
        })
    }
}

/// The complete file, before it is moved into place.
enum Written {
    Temp(TempFile),
    Converted(TempPath),
}

impl Written {
    /// Flush it to disk and rename it to `dest`; its length.
    fn finish(self, dest: &Path) -> Result<u64> {
        let sync = |file: &File| {
            file.sync_all()
                .map_err(|e| Error::io("cannot write the image to disk", e))?;
            file.metadata()
                .map(|m| m.len())
                .map_err(|e| Error::io("cannot size the image", e))
        };
        match self {
            Written::Temp(temp) => {
                let len = sync(&temp.file)?;
                temp.commit(dest)?;
                Ok(len)
            }
            Written::Converted(out) => {
                let file = File::open(out.path())
                    .map_err(|e| Error::io(format!("cannot open {}", out.path().display()), e))?;
                let len = sync(&file)?;
                out.rename_to(dest)?;
                Ok(len)
            }
        }
    }
}
