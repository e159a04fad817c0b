//! Sizes in bytes, parsed with libvirt's unit rules and shown in binary units.
//!
//! libvirt (`virScaleInteger`): a bare number, `b`, `byte` or `bytes` is bytes; a single
//! letter `k m g t p e` or the same letter followed by `iB` is a power of 1024; the
//! letter followed by `B` is a power of 1000. Case of the letter does not matter.
//! On top of that, kvmpool accepts a decimal fraction (`"1.5T"`) as long as the result
//! is a whole number of bytes, and a space between number and unit.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Result};

/// The largest size libvirt accepts (`off_t` is signed).
pub const MAX_BYTES: u64 = i64::MAX as u64;

/// A number of seconds (as Python and JSON give time) as a [`Duration`]; refused when
/// negative, not a number, or too large.
pub fn seconds(field: &str, secs: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        Error::invalid(
            field,
            format!("{secs} is not a number of seconds (0 or more)"),
        )
    })
}

/// A size in bytes, at most 2^63 - 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Size(u64);

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

impl Size {
    /// Zero bytes.
    pub const ZERO: Size = Size(0);

    /// `n` bytes. Values above [`MAX_BYTES`] are clamped by [`Size::try_bytes`]; this
    /// constructor is for literals and saturates.
    pub const fn bytes(n: u64) -> Size {
        Size(if n > MAX_BYTES { MAX_BYTES } else { n })
    }
    /// `n` KiB (saturating at [`MAX_BYTES`]).
    pub const fn kib(n: u64) -> Size {
        Size::scaled(n, KIB)
    }
    /// `n` MiB (saturating at [`MAX_BYTES`]).
    pub const fn mib(n: u64) -> Size {
        Size::scaled(n, MIB)
    }
    /// `n` GiB (saturating at [`MAX_BYTES`]).
    pub const fn gib(n: u64) -> Size {
        Size::scaled(n, GIB)
    }
    /// `n` TiB (saturating at [`MAX_BYTES`]).
    pub const fn tib(n: u64) -> Size {
        Size::scaled(n, TIB)
    }

    const fn scaled(n: u64, unit: u64) -> Size {
        match n.checked_mul(unit) {
            Some(b) => Size::bytes(b),
            None => Size(MAX_BYTES),
        }
    }

    /// `n` bytes, or an error when `n` is above [`MAX_BYTES`].
    pub fn try_bytes(n: u64) -> Result<Size> {
        if n > MAX_BYTES {
            return Err(Error::invalid(
                "size",
                format!("{n} bytes is more than the maximum of {MAX_BYTES} bytes"),
            ));
        }
        Ok(Size(n))
    }

    /// The number of bytes.
    pub const fn as_bytes(self) -> u64 {
        self.0
    }

    /// Parse `"10G"`, `"10 GiB"`, `"1.5T"`, `"100KB"`, `"4096"`, `"4096 bytes"`.
    ///
    /// ```
    /// use kvmpool_core::{ErrorKind, Size};
    /// assert_eq!(Size::parse("10G")?, Size::gib(10));
    /// assert_eq!(Size::parse("1.5 KiB")?.as_bytes(), 1536);
    /// assert_eq!(Size::parse("100KB")?.as_bytes(), 100_000); // SI units, as virsh
    /// let e = Size::parse("ten gigs").unwrap_err();
    /// assert_eq!((e.kind(), e.field()), (ErrorKind::InvalidSpec, Some("size")));
    /// # Ok::<(), kvmpool_core::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Size> {
        let text = input.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        Size::from_parts(number, unit.trim()).map_err(|reason| {
            Error::invalid("size", format!("{input:?} is not a valid size: {reason}"))
        })
    }

    /// Parse a number and a libvirt unit attribute (`unit='KiB'`), as found in XML.
    pub(crate) fn parse_scaled(number: &str, unit: Option<&str>) -> Result<Size> {
        Size::from_parts(number.trim(), unit.unwrap_or("").trim()).map_err(|reason| {
            let shown = match unit {
                Some(u) => format!("{number:?} with unit {u:?}"),
                None => format!("{number:?}"),
            };
            Error::invalid("size", format!("{shown} is not a valid size: {reason}"))
        })
    }

    fn from_parts(number: &str, unit: &str) -> std::result::Result<Size, String> {
        let scale = unit_scale(unit)?;
        // Plain digits, as libvirt writes sizes, in u64 arithmetic; the decimal and
        // u128 steps below cost several times more. What does not fit falls through
        // to them, which tell why.
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            let bytes = number
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(scale));
            if let Some(bytes) = bytes.filter(|b| *b <= MAX_BYTES) {
                return Ok(Size(bytes));
            }
        }
        let (whole, frac) = parse_decimal(number)?;
        let denominator = 10u128.pow(frac.len() as u32);
        let numerator = whole
            .checked_mul(denominator)
            .and_then(|w| w.checked_add(frac.parse::<u128>().unwrap_or(0)))
            .and_then(|n| n.checked_mul(u128::from(scale)))
            .ok_or_else(|| format!("more than the maximum of {MAX_BYTES} bytes"))?;
        if numerator % denominator != 0 {
            return Err("not a whole number of bytes".into());
        }
        let bytes = numerator / denominator;
        if bytes > u128::from(MAX_BYTES) {
            return Err(format!("more than the maximum of {MAX_BYTES} bytes"));
        }
        Ok(Size(bytes as u64))
    }
}

/// Split `"12.50"` into `(12, "50")`. Signs are refused: sizes are never negative.
fn parse_decimal(number: &str) -> std::result::Result<(u128, &str), String> {
    if number.is_empty() {
        return Err("no number".into());
    }
    if number.starts_with('-') {
        return Err("sizes cannot be negative".into());
    }
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) || (whole.is_empty() && frac.is_empty()) {
        return Err(format!("{number:?} is not a number"));
    }
    if frac.len() > 18 {
        return Err("too many decimal places".into());
    }
    let whole = if whole.is_empty() {
        0
    } else {
        // More than 30 digits overflows u128 and is far above the maximum anyway.
        if whole.trim_start_matches('0').len() > 30 {
            return Err(format!("more than the maximum of {MAX_BYTES} bytes"));
        }
        whole.parse::<u128>().map_err(|e| e.to_string())?
    };
    Ok((whole, frac))
}

/// libvirt's unit rules: see the module documentation.
fn unit_scale(unit: &str) -> std::result::Result<u64, String> {
    let is = |word: &str| unit.eq_ignore_ascii_case(word);
    if unit.is_empty() || is("b") || is("byte") || is("bytes") {
        return Ok(1);
    }
    let unknown = || format!("unknown unit {unit:?}");
    let mut chars = unit.chars();
    let power = match chars.next().map(|c| c.to_ascii_lowercase()) {
        Some('k') => 1,
        Some('m') => 2,
        Some('g') => 3,
        Some('t') => 4,
        Some('p') => 5,
        Some('e') => 6,
        _ => return Err(unknown()),
    };
    let rest = chars.as_str();
    let base: u64 = if rest.is_empty() || rest.eq_ignore_ascii_case("ib") {
        1024
    } else if rest.eq_ignore_ascii_case("b") {
        1000
    } else {
        return Err(unknown());
    };
    Ok(base.pow(power))
}

/// Sizes serialise as a number of bytes.
impl serde::Serialize for Size {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl FromStr for Size {
    type Err = Error;
    fn from_str(s: &str) -> Result<Size> {
        Size::parse(s)
    }
}

impl From<Size> for u64 {
    fn from(s: Size) -> u64 {
        s.0
    }
}

impl TryFrom<u64> for Size {
    type Error = Error;
    fn try_from(n: u64) -> Result<Size> {
        Size::try_bytes(n)
    }
}

impl Size {
    /// The size as virsh prints it in `pool-list --details`, `pool-info`, `vol-list
    /// --details` and `vol-info`: binary units and always two decimals (`38.28 GiB`,
    /// `10.00 GiB`, `512.00 B`, `0.00 B`), as its `vshPrettyCapacity` and `%.2lf` do.
    pub fn to_virsh_string(self) -> String {
        let (value, unit) = self.scaled_unit();
        format!("{:.2} {unit}", self.0 as f64 / value as f64)
    }

    /// The largest binary unit not above the size (bytes below 1 KiB), and its scale.
    fn scaled_unit(self) -> (u64, &'static str) {
        const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let mut unit = 0;
        let mut scale = 1u64;
        while unit + 1 < UNITS.len() && self.0 >= scale * 1024 {
            scale *= 1024;
            unit += 1;
        }
        (scale, UNITS[unit])
    }
}

/// Human form in binary units, as short as exact: `10 GiB`, `38.28 GiB`, `512 B`
/// (virsh's own form, always with two decimals, is [`Size::to_virsh_string`]).
impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scale, unit) = self.scaled_unit();
        if self.0 % scale == 0 {
            write!(f, "{} {unit}", self.0 / scale)
        } else {
            write!(f, "{:.2} {unit}", self.0 as f64 / scale as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn p(s: &str) -> u64 {
        Size::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .as_bytes()
    }

    #[test]
    fn single_letters_and_iec_are_binary() {
        assert_eq!(p("10G"), 10 * GIB);
        assert_eq!(p("10 GiB"), 10 * GIB);
        assert_eq!(p("512M"), 512 * MIB);
        assert_eq!(p("512MiB"), 512 * MIB);
        assert_eq!(p("1k"), 1024);
        assert_eq!(p("1E"), 1 << 60);
    }

    #[test]
    fn si_units_are_decimal() {
        assert_eq!(p("100KB"), 100_000);
        assert_eq!(p("1 GB"), 1_000_000_000);
        assert_eq!(p("1.5 TB"), 1_500_000_000_000);
        assert_eq!(p("1mb"), 1_000_000);
    }

    #[test]
    fn bytes_forms() {
        assert_eq!(p("4096"), 4096);
        assert_eq!(p("4096 bytes"), 4096);
        assert_eq!(p("4096B"), 4096);
        assert_eq!(p("4096 byte"), 4096);
        assert_eq!(p("0"), 0);
    }

    #[test]
    fn fractions_must_give_whole_bytes() {
        assert_eq!(p("1.5T"), 3 * TIB / 2);
        assert_eq!(p("0.5K"), 512);
        assert_eq!(p(".5K"), 512);
        let e = Size::parse("1.5").unwrap_err();
        assert!(e.to_string().contains("whole number of bytes"), "{e}");
        assert!(Size::parse("0.3K").is_err());
    }

    #[test]
    fn rejects_bad_input_naming_it() {
        for bad in [
            "", "-1", "-5G", "ten", "10X", "10 GiBs", "1..5G", "1.5.2G", "G", ".",
        ] {
            let e = Size::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidSpec, "{bad}");
            assert!(e.to_string().contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }

    #[test]
    fn limit_is_i64_max() {
        assert_eq!(p("9223372036854775807"), MAX_BYTES);
        assert!(Size::parse("9223372036854775808").is_err());
        assert!(Size::parse("8E").is_err());
        assert!(Size::parse("99999999999999999999999999999999999999999999G").is_err());
        assert!(Size::try_bytes(u64::MAX).is_err());
        assert_eq!(Size::tib(u64::MAX).as_bytes(), MAX_BYTES);
    }

    #[test]
    fn xml_units() {
        assert_eq!(Size::parse_scaled("5", Some("G")).unwrap(), Size::gib(5));
        assert_eq!(
            Size::parse_scaled("10", Some("GB")).unwrap().as_bytes(),
            10_000_000_000
        );
        assert_eq!(
            Size::parse_scaled("294912", None).unwrap().as_bytes(),
            294912
        );
        assert!(Size::parse_scaled("1", Some("parsecs")).is_err());
    }

    #[test]
    fn display_is_human() {
        assert_eq!(Size::gib(10).to_string(), "10 GiB");
        assert_eq!(Size::bytes(512).to_string(), "512 B");
        assert_eq!(Size::bytes(41_103_081_472).to_string(), "38.28 GiB");
        assert_eq!(Size::kib(1536).to_string(), "1.50 MiB");
        assert_eq!(Size::ZERO.to_string(), "0 B");
    }

    /// virsh's `%.2lf` of `vshPrettyCapacity`, as its tables showed on a live host.
    #[test]
    fn virsh_form_has_two_decimals() {
        assert_eq!(Size::bytes(41_103_081_472).to_virsh_string(), "38.28 GiB");
        assert_eq!(Size::gib(10).to_virsh_string(), "10.00 GiB");
        assert_eq!(Size::mib(1).to_virsh_string(), "1.00 MiB");
        assert_eq!(Size::kib(196).to_virsh_string(), "196.00 KiB");
        assert_eq!(Size::bytes(1500).to_virsh_string(), "1.46 KiB");
        assert_eq!(Size::bytes(1023).to_virsh_string(), "1023.00 B");
        assert_eq!(Size::ZERO.to_virsh_string(), "0.00 B");
    }
}
