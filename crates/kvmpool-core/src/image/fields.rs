//! Integer and string fields of a header buffer. A field that lies (partly) past the
//! buffer reads as zero: callers check lengths first, and no input can make a read panic.

fn array<const N: usize>(buf: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(bytes) = at.checked_add(N).and_then(|end| buf.get(at..end)) {
        out.copy_from_slice(bytes);
    }
    out
}

pub(super) fn be16(buf: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(array(buf, at))
}

pub(super) fn be32(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(array(buf, at))
}

pub(super) fn be64(buf: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(array(buf, at))
}

pub(super) fn le16(buf: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(array(buf, at))
}

pub(super) fn le32(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(array(buf, at))
}

pub(super) fn le64(buf: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(array(buf, at))
}

/// True when `buf` holds `magic` at `at`.
pub(super) fn has_at(buf: &[u8], at: usize, magic: &[u8]) -> bool {
    at.checked_add(magic.len())
        .and_then(|end| buf.get(at..end))
        .is_some_and(|bytes| bytes == magic)
}

/// The bytes up to the first NUL, as C code reading the same field would see them.
pub(super) fn c_string(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_past_the_buffer_read_as_zero() {
        let buf = [0x12, 0x34, 0x56, 0x78];
        assert_eq!(be32(&buf, 0), 0x1234_5678);
        assert_eq!(le16(&buf, 2), 0x7856);
        assert_eq!(be32(&buf, 1), 0);
        assert_eq!(le64(&buf, usize::MAX), 0);
        assert!(has_at(&buf, 1, &[0x34, 0x56]));
        assert!(!has_at(&buf, 3, &[0x78, 0]));
        assert!(!has_at(&buf, usize::MAX, b"x"));
        assert_eq!(c_string(b"ab\0cd"), b"ab");
    }
}
