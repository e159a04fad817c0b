//! Where a probe reads from — a seekable reader, or the buffered first bytes of a stream —
//! and the hard bounds on what one probe may read.

use std::io::{ErrorKind as IoKind, Read, Seek, SeekFrom};

use crate::error::Error;

/// The most bytes one [`probe`](super::probe) reads from a reader, whatever the header
/// claims. The largest legitimate read is a qcow2 header cluster of 2 MiB.
pub const MAX_READ_BYTES: u64 = 4 << 20;

/// The longest prefix [`probe_prefix`](super::probe_prefix) asks for. VHDX keeps its
/// metadata furthest in (qemu-img puts it at 3 MiB).
pub const MAX_PREFIX_BYTES: u64 = 8 << 20;

/// Reads below this offset are served from one growing buffer of the file's start, so
/// that walking a header in small steps costs few system calls.
const HEAD_LIMIT: u64 = (2 << 20) + (4 << 10);

/// The first read from a reader: the ISO 9660 descriptors at 32 KiB, a 64 KiB qcow2
/// cluster with its extensions and backing name, a VMDK's embedded descriptor.
const FIRST_READ: u64 = 64 << 10;

/// Why a probe stopped early.
#[derive(Debug)]
pub(super) enum Stop {
    /// The image is refused, or reading it failed.
    Refused(Error),
    /// A stream prefix is too short: the probe needs the first `n` bytes.
    NeedBytes(u64),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Refused(e)
    }
}

/// A probe step: a value, or why the probe stops.
pub(super) type Step<T> = std::result::Result<T, Stop>;

/// Refuse the image, naming the header field at fault.
pub(super) fn refuse(field: &str, reason: impl std::fmt::Display) -> Stop {
    Stop::Refused(Error::invalid(field, reason))
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

enum Input<'a> {
    Reader(&'a mut dyn ReadSeek),
    Prefix(&'a [u8]),
}

/// The bytes of an image as the format parsers see them: `read` gives what the image
/// holds at an offset, fewer bytes where the image ends.
pub(super) struct Source<'a> {
    input: Input<'a>,
    len: Option<u64>,
    /// Reader only: the file's first bytes, read once and grown on demand.
    head: Vec<u8>,
    /// Reader only: bytes taken from the reader so far.
    taken: u64,
}

impl<'a> Source<'a> {
    /// A reader holding `len` bytes.
    pub(super) fn reader<R: Read + Seek>(reader: &'a mut R, len: u64) -> Self {
        Source {
            input: Input::Reader(reader),
            len: Some(len),
            head: Vec::new(),
            taken: 0,
        }
    }

    /// The first bytes of a stream of `total` bytes (unknown when `None`).
    pub(super) fn prefix(buf: &'a [u8], total: Option<u64>) -> Self {
        Source {
            input: Input::Prefix(buf),
            len: total,
            head: Vec::new(),
            taken: 0,
        }
    }

    /// The image's length, when known.
    pub(super) fn len(&self) -> Option<u64> {
        self.len
    }

    /// Bytes `offset..offset + count`, fewer where the image ends first.
    pub(super) fn read(&mut self, offset: u64, count: u64) -> Step<Vec<u8>> {
        let wanted = offset.saturating_add(count);
        let end = self.len.map_or(wanted, |len| wanted.min(len));
        if end <= offset {
            return Ok(Vec::new());
        }
        match self.input {
            Input::Prefix(buf) => prefix_slice(buf, offset, end).map(<[u8]>::to_vec),
            Input::Reader(_) if end <= HEAD_LIMIT => {
                self.grow_head(end)?;
                Ok(slice_upto(&self.head, offset, end).to_vec())
            }
            Input::Reader(_) => self.read_direct(offset, end),
        }
    }

    /// Exactly `count` bytes at `offset`, or the image is refused as truncated:
    /// "`what` is N bytes long, needs `count`".
    pub(super) fn read_exact(
        &mut self,
        offset: u64,
        count: u64,
        field: &str,
        what: &str,
    ) -> Step<Vec<u8>> {
        let bytes = self.read(offset, count)?;
        if (bytes.len() as u64) < count {
            let got = bytes.len();
            return Err(refuse(
                field,
                format!("{what} is {got} bytes long, needs {count}"),
            ));
        }
        Ok(bytes)
    }

    fn grow_head(&mut self, end: u64) -> Step<()> {
        let have = self.head.len() as u64;
        if end <= have {
            return Ok(());
        }
        // Grow geometrically so that a header walked in small steps costs few reads.
        let mut target = end.max(FIRST_READ).max(have.saturating_mul(2));
        target = target.next_multiple_of(4096).min(HEAD_LIMIT);
        if let Some(len) = self.len {
            target = target.min(len);
        }
        let more = self.read_direct(have, target)?;
        let short = (more.len() as u64) < target - have;
        self.head.extend_from_slice(&more);
        if short {
            // The reader ended before the length it was given: that is the end.
            self.len = Some(self.head.len() as u64);
        }
        Ok(())
    }

    fn read_direct(&mut self, offset: u64, end: u64) -> Step<Vec<u8>> {
        let count = end - offset;
        if self.taken.saturating_add(count) > MAX_READ_BYTES {
            return Err(refuse(
                "image",
                format!(
                    "probing it would read more than {MAX_READ_BYTES} bytes; its header \
                     points too far"
                ),
            ));
        }
        let Input::Reader(reader) = &mut self.input else {
            return Ok(Vec::new());
        };
        self.taken += count;
        read_at(&mut **reader, offset, count).map_err(Stop::Refused)
    }
}

/// The bytes `offset..end` of a stream prefix, or how many leading bytes are needed.
fn prefix_slice(buf: &[u8], offset: u64, end: u64) -> Step<&[u8]> {
    if end <= buf.len() as u64 {
        return Ok(slice_upto(buf, offset, end));
    }
    if end > MAX_PREFIX_BYTES {
        return Err(refuse(
            "image",
            format!(
                "its header points to byte {end}, beyond the first {MAX_PREFIX_BYTES} bytes \
                 that a stream probe reads"
            ),
        ));
    }
    Err(Stop::NeedBytes(end))
}

/// `buf[offset..end]`, clipped to the buffer.
fn slice_upto(buf: &[u8], offset: u64, end: u64) -> &[u8] {
    let len = buf.len() as u64;
    let (start, stop) = (offset.min(len) as usize, end.min(len) as usize);
    &buf[start..stop]
}

/// The first `count` bytes of a reader (fewer if it is shorter).
pub(super) fn read_head<R: Read + Seek>(reader: &mut R, count: u64) -> Result<Vec<u8>, Error> {
    read_at(reader, 0, count)
}

/// Up to `count` bytes at `offset`: fewer only where the reader ends.
fn read_at(reader: &mut dyn ReadSeek, offset: u64, count: u64) -> Result<Vec<u8>, Error> {
    let io = |e| Error::io(format!("reading the image at byte {offset}"), e);
    reader.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut out = Vec::with_capacity(count as usize);
    let mut limited = reader.take(count);
    loop {
        match limited.read_to_end(&mut out) {
            Ok(_) => return Ok(out),
            Err(e) if e.kind() == IoKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reads_stop_at_the_end_of_the_image() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut cursor = Cursor::new(data.clone());
        let mut src = Source::reader(&mut cursor, 100);
        assert_eq!(src.read(90, 20).unwrap(), &data[90..]);
        assert!(src.read(200, 4).unwrap().is_empty());
        let e = match src.read_exact(96, 8, "x.header", "x header") {
            Err(Stop::Refused(e)) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(e.field(), Some("x.header"));
        assert_eq!(e.message(), "x.header: x header is 4 bytes long, needs 8");
    }

    #[test]
    fn a_reader_shorter_than_its_length_ends_where_it_ends() {
        let mut cursor = Cursor::new(vec![7u8; 10]);
        let mut src = Source::reader(&mut cursor, 1000);
        assert_eq!(src.read(0, 512).unwrap().len(), 10);
        assert_eq!(src.len(), Some(10));
    }

    #[test]
    fn a_prefix_asks_for_what_it_lacks() {
        let buf = [1u8; 16];
        let mut open = Source::prefix(&buf, None);
        assert_eq!(open.read(0, 8).unwrap().len(), 8);
        assert!(matches!(open.read(8, 16), Err(Stop::NeedBytes(24))));
        // a known total clips the request: the stream ends at 20
        let mut known = Source::prefix(&buf, Some(20));
        assert!(matches!(known.read(8, 100), Err(Stop::NeedBytes(20))));
        let mut whole = Source::prefix(&buf, Some(16));
        assert_eq!(whole.read(8, 100).unwrap().len(), 8);
        assert!(matches!(
            open.read(MAX_PREFIX_BYTES, 1),
            Err(Stop::Refused(_))
        ));
    }

    #[test]
    fn a_reader_is_never_read_past_the_budget() {
        let mut cursor = Cursor::new(Vec::new());
        let mut src = Source::reader(&mut cursor, u64::MAX);
        assert!(src.read(1 << 40, MAX_READ_BYTES).is_ok());
        assert!(matches!(src.read(1 << 41, 1), Err(Stop::Refused(_))));
    }
}
