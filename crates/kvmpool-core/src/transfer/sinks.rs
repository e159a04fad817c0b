//! Where downloaded bytes go (a file, kept sparse or not; any writer) and the
//! temporary file a download is written to before it replaces its destination.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::path::{Path, PathBuf};

use super::options::CHUNK_BYTES;
use crate::error::{Error, ErrorKind, Result};

/// Where downloaded bytes go.
pub(crate) trait Sink {
    fn data(&mut self, at: u64, bytes: &[u8]) -> Result<()>;
    fn hole(&mut self, at: u64, len: u64) -> Result<()>;
    fn finish(&mut self, total: u64) -> Result<()>;

    /// `len` bytes of `src` from `src_at`, written as data at `at` (a direct download).
    fn copy_from(&mut self, src: &File, src_at: u64, at: u64, len: u64) -> Result<()> {
        copy_through(self, src, src_at, at, len)
    }
}

/// `len` bytes of `src` from `src_at`, read into a buffer and given to `sink` as data
/// at `at`.
fn copy_through<S: Sink + ?Sized>(
    sink: &mut S,
    src: &File,
    src_at: u64,
    at: u64,
    len: u64,
) -> Result<()> {
    let mut buf = vec![0u8; len.min(4 * CHUNK_BYTES as u64) as usize];
    let mut off = 0;
    while off < len {
        let want = (len - off).min(buf.len() as u64) as usize;
        let n = src
            .read_at(&mut buf[..want], src_at + off)
            .map_err(|e| Error::io("cannot read the volume", e))?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::Io,
                "the volume became shorter during the download",
            ));
        }
        sink.data(at + off, &buf[..n])?;
        off += n as u64;
    }
    Ok(())
}

/// A file: data written at its offset, holes left unwritten (and the length set at
/// the end) when sparse, zeros otherwise. A sparse sink's file is new (it reads as
/// zeros everywhere), so zeros need not be written at all.
pub(crate) struct FileSink<'f> {
    file: &'f mut File,
    sparse: bool,
}

impl<'f> FileSink<'f> {
    pub(crate) fn new(file: &'f mut File, sparse: bool) -> Self {
        FileSink { file, sparse }
    }
}

/// The block size zeros are looked for in: a file-system block is allocated when a
/// byte of it is written.
const HOLE_BLOCK: usize = 4096;

impl FileSink<'_> {
    fn write(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all_at(bytes, at)
            .map_err(|e| Error::io("cannot write the file", e))
    }
}

impl Sink for FileSink<'_> {
    /// Without holes to find, the kernel copies (a sparse download reads, to leave
    /// holes where whole blocks are zeros).
    fn copy_from(&mut self, src: &File, src_at: u64, at: u64, len: u64) -> Result<()> {
        if self.sparse {
            return copy_through(self, src, src_at, at, len);
        }
        super::direct::copy_range(src, src_at, self.file, at, len)
    }

    /// A sparse download also leaves holes where the data is zeros: a block volume
    /// (an LV, a LUN) cannot tell libvirt where its holes are, so its zeros arrive
    /// as data. Zeros are skipped per piece of a block, also where a block is split
    /// between two calls, so that a block is allocated exactly when a byte of it is
    /// not zero, wherever the chunks of the transfer happen to end.
    fn data(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        if !self.sparse {
            return self.write(at, bytes);
        }
        let mut run_start = None;
        let mut off = 0;
        while off < bytes.len() {
            // blocks aligned to the file, so that holes are whole file-system blocks
            let len = (HOLE_BLOCK - ((at as usize + off) % HOLE_BLOCK)).min(bytes.len() - off);
            let block = &bytes[off..off + len];
            let zero = is_zero(block);
            match (zero, run_start) {
                (false, None) => run_start = Some(off),
                (true, Some(start)) => {
                    self.write(at + start as u64, &bytes[start..off])?;
                    run_start = None;
                }
                _ => {}
            }
            off += len;
        }
        match run_start {
            Some(start) => self.write(at + start as u64, &bytes[start..]),
            None => Ok(()),
        }
    }

    fn hole(&mut self, at: u64, len: u64) -> Result<()> {
        if self.sparse {
            return Ok(());
        }
        write_zeros(&mut |chunk, off| self.data(at + off, chunk), len)
    }

    fn finish(&mut self, total: u64) -> Result<()> {
        if self.sparse {
            self.file
                .set_len(total)
                .map_err(|e| Error::io("cannot set the file length", e))?;
        }
        Ok(())
    }
}

pub(crate) struct WriterSink<W: Write + Send>(pub(crate) W);

impl<W: Write + Send> Sink for WriterSink<W> {
    fn data(&mut self, _at: u64, bytes: &[u8]) -> Result<()> {
        self.0
            .write_all(bytes)
            .map_err(|e| Error::io("cannot write the output", e))
    }

    fn hole(&mut self, _at: u64, len: u64) -> Result<()> {
        write_zeros(&mut |chunk, _| self.data(0, chunk), len)
    }

    fn finish(&mut self, _total: u64) -> Result<()> {
        self.0
            .flush()
            .map_err(|e| Error::io("cannot flush the output", e))
    }
}

pub(crate) fn is_zero(block: &[u8]) -> bool {
    // an OR over the whole block (no early exit) compiles to vector code
    block.iter().fold(0u8, |acc, &b| acc | b) == 0
}

fn write_zeros(write: &mut dyn FnMut(&[u8], u64) -> Result<()>, len: u64) -> Result<()> {
    let zeros = vec![0u8; CHUNK_BYTES.min(len as usize)];
    let mut off = 0;
    while off < len {
        let n = (len - off).min(zeros.len() as u64) as usize;
        write(&zeros[..n], off)?;
        off += n as u64;
    }
    Ok(())
}

pub(crate) fn is_block_device(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

/// A file next to the destination that replaces it only when complete; removed if
/// dropped before `commit`.
pub(crate) struct TempFile {
    path: PathBuf,
    pub(crate) file: File,
    committed: bool,
}

impl TempFile {
    pub(crate) fn create(dest: &Path) -> Result<TempFile> {
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dest.file_name().ok_or_else(|| {
            Error::invalid("path", format!("{} is not a file path", dest.display()))
        })?;
        let path = dir.join(format!(
            ".{}.kvmpool-{}.part",
            name.to_string_lossy(),
            uuid::Uuid::new_v4().simple()
        ));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
        Ok(TempFile {
            path,
            file,
            committed: false,
        })
    }

    /// Where the file is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn commit(mut self, dest: &Path) -> Result<()> {
        self.file
            .flush()
            .map_err(|e| Error::io("cannot flush the download", e))?;
        std::fs::rename(&self.path, dest)
            .map_err(|e| Error::io(format!("cannot move the download to {}", dest.display()), e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
