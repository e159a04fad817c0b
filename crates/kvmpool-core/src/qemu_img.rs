//! `qemu-img convert` for imports and exports that change an image's format, and the
//! temporary files around it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::image::ImageFormat;
use crate::transfer::CancelToken;

/// How `qemu-img convert` is asked to write its output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Convert<'a> {
    pub from: ImageFormat,
    pub to: ImageFormat,
    /// Leave zero regions unallocated (qemu-img's default, `-S 4k`); otherwise `-S 0`.
    pub sparse: bool,
    pub cancel: Option<&'a CancelToken>,
}

/// qemu's driver name of a format, or the format refused under `field`.
fn driver(format: ImageFormat, field: &str) -> Result<&'static str> {
    format.qemu_name().ok_or_else(|| {
        Error::invalid(
            field,
            format!("qemu-img has no driver for {format} images, so it cannot convert them"),
        )
    })
}

/// Convert `input` into a new file `output` (which must not exist). Formats are always
/// given (`-f`, `-O`): qemu never guesses. The cancel token is checked every 50 ms; a
/// cancelled conversion is killed. On failure `output` may exist; the caller removes it.
pub(crate) fn convert(input: &Path, output: &Path, c: Convert<'_>) -> Result<()> {
    let from = driver(c.from, "format")?;
    let to = driver(c.to, "convert_to")?;
    let mut cmd = Command::new("qemu-img");
    cmd.args(["convert", "-q", "-f", from, "-O", to]);
    if !c.sparse {
        cmd.args(["-S", "0"]);
    }
    cmd.arg(input)
        .arg(output)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(
                ErrorKind::Unsupported,
                "converting an image needs qemu-img, which is not installed (Debian: qemu-utils)",
            )
        } else {
            Error::io("cannot run qemu-img", e)
        }
    })?;
    // stderr is read on its own thread so that a chatty qemu-img never blocks on it.
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = std::io::Read::read_to_string(s, &mut text);
        }
        text
    });
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::io("cannot wait for qemu-img", e))?
        {
            break status;
        }
        if c.cancel.is_some_and(CancelToken::is_cancelled) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::new(
                ErrorKind::Cancelled,
                format!("the conversion from {} to {} was cancelled", c.from, c.to),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let message = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "qemu-img convert from {} to {} failed ({status}): {}",
                c.from,
                c.to,
                message.trim()
            ),
        ));
    }
    Ok(())
}

/// A path for a temporary file in `dir` (nothing is created); removed when dropped,
/// unless kept.
#[derive(Debug)]
pub(crate) struct TempPath {
    path: PathBuf,
    keep: bool,
}

impl TempPath {
    /// `dir/.NAME.kvmpool-UUID.part`.
    pub(crate) fn new(dir: &Path, name: &str) -> TempPath {
        TempPath {
            path: dir.join(format!(
                ".{name}.kvmpool-{}.part",
                uuid::Uuid::new_v4().simple()
            )),
            keep: false,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Move the file to `dest` (replacing it); the temporary path is then gone.
    pub(crate) fn rename_to(mut self, dest: &Path) -> Result<()> {
        std::fs::rename(&self.path, dest)
            .map_err(|e| Error::io(format!("cannot move the file to {}", dest.display()), e))?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
