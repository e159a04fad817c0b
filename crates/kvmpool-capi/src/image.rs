//! Image import and export: kvmpool_pool_import_image() and kvmpool_vol_export().

use std::ffi::{c_char, c_void};
use std::time::Duration;

use kvmpool_core::image::ImageFormat;
use kvmpool_core::{
    Checksum, ChecksumAlgorithm, ExportOptions, ImportOptions, VolumeFormat, DEFAULT_IMPORT_TIMEOUT,
};

use crate::boundary::{
    check_flags, ffi_boundary, invalid, new_handle, new_string, opt_out, size, try_opt_str,
    try_out, try_ref, try_str, Failure,
};
use crate::pool::kvmpool_pool;
use crate::status::kvmpool_status;
use crate::vol::{kvmpool_progress_cb, kvmpool_vol, progress_fn};

/// kvmpool_import_options.flags: replace a volume of the same name (without it the
/// import fails with KVMPOOL_ERR_ALREADY_EXISTS).
pub const KVMPOOL_IMPORT_OVERWRITE: u32 = 1;
/// kvmpool_import_options.flags: write every byte, zeros included (without it, holes
/// and whole zero blocks of the image stay holes in the volume).
pub const KVMPOOL_IMPORT_NO_SPARSE: u32 = 2;

/// Options of kvmpool_pool_import_image(). All zero (or a NULL pointer) means the
/// defaults: every string NULL, every number 0, no flag. Strings are read during the
/// call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvmpool_import_options {
    /// The volume's name; NULL: the file name, or the URL's last path segment (with
    /// `convert_to`, its extension replaced by the new format's).
    pub name: *const c_char,
    /// The format the image must have ("qcow2", "raw", "iso", ...), checked against its
    /// header; NULL: whatever the header says.
    pub format: *const c_char,
    /// The volume's capacity in bytes; 0: the image's virtual size. Smaller than that
    /// is refused (KVMPOOL_ERR_INVALID_SPEC, field "capacity").
    pub capacity: u64,
    /// The checksum the image must have: "sha256:HEX" or "sha512:HEX"; NULL: none.
    pub checksum: *const c_char,
    /// KVMPOOL_IMPORT_* flags.
    pub flags: u32,
    /// The volume of the pool that the image's backing file names; NULL: an image with
    /// a backing file is refused.
    pub allow_backing: *const c_char,
    /// Convert the image with qemu-img into "qcow2" or "raw"; NULL: no conversion, and
    /// formats that need one (vmdk, vdi, vhdx, vpc, qed) are refused.
    pub convert_to: *const c_char,
    /// Where a download is kept for a conversion; NULL: the system's temporary directory.
    pub temp_dir: *const c_char,
    /// HTTP: seconds to wait for a connection and for each part of the body; 0: 60.
    pub timeout_seconds: u32,
}

fn opt_parse<T: std::str::FromStr<Err = kvmpool_core::UnknownValue>>(
    ptr: *const c_char,
    arg: &'static str,
) -> Result<Option<T>, Failure> {
    try_opt_str(ptr, arg)?
        .map(|s| s.parse::<T>().map_err(|e| invalid(arg, e)))
        .transpose()
}

fn import_options(o: &kvmpool_import_options) -> Result<ImportOptions, Failure> {
    check_flags(
        o.flags,
        KVMPOOL_IMPORT_OVERWRITE | KVMPOOL_IMPORT_NO_SPARSE,
        "flags",
        "KVMPOOL_IMPORT_*",
    )?;
    Ok(ImportOptions {
        name: try_opt_str(o.name, "name")?.map(str::to_owned),
        format: opt_parse::<ImageFormat>(o.format, "format")?,
        capacity: match o.capacity {
            0 => None,
            c => Some(size("capacity", c)?),
        },
        checksums: try_opt_str(o.checksum, "checksum")?
            .map(|c| Checksum::parse(c, "checksum"))
            .transpose()?
            .into_iter()
            .collect(),
        sparse: o.flags & KVMPOOL_IMPORT_NO_SPARSE == 0,
        overwrite: o.flags & KVMPOOL_IMPORT_OVERWRITE != 0,
        allow_backing: try_opt_str(o.allow_backing, "allow_backing")?.map(str::to_owned),
        convert_to: opt_parse::<VolumeFormat>(o.convert_to, "convert_to")?,
        temp_dir: try_opt_str(o.temp_dir, "temp_dir")?.map(Into::into),
        timeout: match o.timeout_seconds {
            0 => DEFAULT_IMPORT_TIMEOUT,
            s => Duration::from_secs(u64::from(s)),
        },
        ..ImportOptions::default()
    })
}

/// Import a disk image into a new volume of `pool`: `source` is a local file or an
/// http:// or https:// URL. The format is read from the image's header (never its
/// name); the volume is created with that format and the image's virtual size, the
/// image streamed into it (holes stay holes) and the checksum, if given, computed on the
/// way: a mismatch fails with KVMPOOL_ERR_INVALID_SPEC (field "sha256" or "sha512")
/// and a message naming both sums. A corrupt header fails before anything is created,
/// with the header field in kvmpool_last_error_field(). On any failure or cancel the
/// new volume is deleted again. `options` may be NULL (the defaults). `progress` may be
/// NULL; otherwise it is called on this thread with the bytes done and the total (0
/// when a server does not say), and a non-zero return cancels (KVMPOOL_ERR_CANCELLED).
/// Errors: KVMPOOL_ERR_NOT_FOUND for a URL that answers 404 or 410, KVMPOOL_ERR_IO
/// when reading the file or the download fails (also a download cut short),
/// KVMPOOL_ERR_ALREADY_EXISTS when the name is taken. On success writes a new volume
/// handle to `*vol_out` (free with kvmpool_vol_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_pool_import_image(
    pool: *const kvmpool_pool,
    source: *const c_char,
    options: *const kvmpool_import_options,
    progress: kvmpool_progress_cb,
    userdata: *mut c_void,
    vol_out: *mut *mut kvmpool_vol,
) -> kvmpool_status {
    ffi_boundary(|| {
        let pool = try_ref(pool, "pool")?;
        let source = try_str(source, "source")?;
        let mut opts = if options.is_null() {
            ImportOptions::default()
        } else {
            import_options(try_ref(options, "options")?)?
        };
        opts.progress = progress_fn(progress, userdata);
        let out = try_out(vol_out, "vol_out")?;
        let (vol, _report) = pool.inner.import_image(source, &opts)?;
        out.write(new_handle(kvmpool_vol { inner: vol }));
        Ok(())
    })
}

/// kvmpool_export_options.flags: replace an existing file (without it the export fails
/// with KVMPOOL_ERR_ALREADY_EXISTS).
pub const KVMPOOL_EXPORT_OVERWRITE: u32 = 1;
/// kvmpool_export_options.flags: write every byte (without it, zero regions stay holes
/// in the file).
pub const KVMPOOL_EXPORT_NO_SPARSE: u32 = 2;

/// Options of kvmpool_vol_export(). All zero (or a NULL pointer) means the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvmpool_export_options {
    /// Write the image in this format ("qcow2", "raw", "vmdk", ...) with qemu-img;
    /// NULL: the volume's own format, byte for byte.
    pub format: *const c_char,
    /// Compute this checksum of the file: "sha256" or "sha512"; NULL: none.
    pub compute: *const c_char,
    /// The checksum the file must have: "sha256:HEX" or "sha512:HEX"; NULL: none.
    pub checksum: *const c_char,
    /// KVMPOOL_EXPORT_* flags.
    pub flags: u32,
}

fn export_options(o: &kvmpool_export_options) -> Result<ExportOptions, Failure> {
    check_flags(
        o.flags,
        KVMPOOL_EXPORT_OVERWRITE | KVMPOOL_EXPORT_NO_SPARSE,
        "flags",
        "KVMPOOL_EXPORT_*",
    )?;
    Ok(ExportOptions {
        format: opt_parse::<ImageFormat>(o.format, "format")?,
        sparse: o.flags & KVMPOOL_EXPORT_NO_SPARSE == 0,
        checksum: opt_parse::<ChecksumAlgorithm>(o.compute, "compute")?,
        checksums: try_opt_str(o.checksum, "checksum")?
            .map(|c| Checksum::parse(c, "checksum"))
            .transpose()?
            .into_iter()
            .collect(),
        overwrite: o.flags & KVMPOOL_EXPORT_OVERWRITE != 0,
        ..ExportOptions::default()
    })
}

/// Write the volume to the image file `path`: its bytes as they are, or converted with
/// qemu-img into `options->format`. The file is written next to `path` and renamed
/// into place only when complete and matching `options->checksum`, so a failed or
/// cancelled export leaves `path` as it was. `options` may be NULL (the defaults).
/// `progress` and `userdata` as for kvmpool_vol_upload_file(). When `checksum_out` is
/// not NULL it receives, on success, the checksum asked for with `options->compute`
/// as "ALGORITHM:HEX" (free with kvmpool_string_free()), or NULL when none was asked
/// for. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_vol_export(
    vol: *const kvmpool_vol,
    path: *const c_char,
    options: *const kvmpool_export_options,
    progress: kvmpool_progress_cb,
    userdata: *mut c_void,
    checksum_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let vol = try_ref(vol, "vol")?;
        let path = try_str(path, "path")?;
        let mut opts = if options.is_null() {
            ExportOptions::default()
        } else {
            export_options(try_ref(options, "options")?)?
        };
        opts.progress = progress_fn(progress, userdata);
        let out = opt_out(checksum_out);
        let report = vol.inner.export(path, &opts)?;
        if let Some(out) = out {
            let sum = opts
                .checksum
                .and_then(|a| report.checksums.iter().find(|c| c.algorithm() == a));
            let text = match sum {
                Some(c) => new_string(c.to_string())?,
                None => std::ptr::null_mut(),
            };
            out.write(text);
        }
        Ok(())
    })
}
