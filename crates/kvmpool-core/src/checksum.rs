//! Checksums of imported and exported images: `sha256:HEX` and `sha512:HEX`, computed
//! while the bytes go by.

use std::fmt;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::str::FromStr;

use sha2::{Digest, Sha256, Sha512};

use crate::error::{Error, ErrorKind, Result};
use crate::spec::names::string_enum;
use crate::transfer::TransferOptions;

string_enum! {
    /// A checksum algorithm.
    pub enum ChecksumAlgorithm {
        Sha256 = "sha256", Sha512 = "sha512",
    }
}

impl ChecksumAlgorithm {
    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Sha256 => 32,
            ChecksumAlgorithm::Sha512 => 64,
        }
    }
}

/// A checksum: an algorithm and its digest, written `sha256:HEX` (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    digest: Vec<u8>,
}

impl Checksum {
    /// A checksum from a hex digest (either case); errors name `field` (the caller's
    /// name for the value: `sha256`, `checksum`).
    pub fn from_hex(algorithm: ChecksumAlgorithm, hex: &str, field: &str) -> Result<Checksum> {
        let want = algorithm.digest_len() * 2;
        if hex.len() != want {
            return Err(Error::invalid(
                field,
                format!(
                    "a {algorithm} digest is {want} hex digits, not {}",
                    hex.chars().count()
                ),
            ));
        }
        let digest = decode_hex(hex).ok_or_else(|| {
            Error::invalid(
                field,
                format!("{hex:?} is not a hexadecimal {algorithm} digest"),
            )
        })?;
        Ok(Checksum { algorithm, digest })
    }

    /// `sha256:HEX` or `sha512:HEX`; errors name `field`.
    pub fn parse(text: &str, field: &str) -> Result<Checksum> {
        let Some((name, hex)) = text.split_once(':') else {
            return Err(Error::invalid(
                field,
                format!("{text:?} is not ALGORITHM:HEX (sha256:... or sha512:...)"),
            ));
        };
        let algorithm = name
            .to_ascii_lowercase()
            .parse::<ChecksumAlgorithm>()
            .map_err(|e| Error::invalid(field, e))?;
        Checksum::from_hex(algorithm, hex, field)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// The digest's bytes.
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// The digest in lower-case hex.
    pub fn hex(&self) -> String {
        self.digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex())
    }
}

impl FromStr for Checksum {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Checksum::parse(s, "checksum")
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(*pair.get(1)?)?))
        .collect()
}

enum Hasher {
    Sha256(Box<Sha256>),
    Sha512(Box<Sha512>),
}

/// Running digests of one byte stream, one per algorithm asked for (none: free).
pub(crate) struct Hashers(Vec<Hasher>);

impl Hashers {
    /// Digests for these algorithms (each once).
    pub(crate) fn new(algorithms: impl IntoIterator<Item = ChecksumAlgorithm>) -> Hashers {
        let mut list: Vec<ChecksumAlgorithm> = Vec::new();
        for a in algorithms {
            if !list.contains(&a) {
                list.push(a);
            }
        }
        Hashers(
            list.into_iter()
                .map(|a| match a {
                    ChecksumAlgorithm::Sha256 => Hasher::Sha256(Box::default()),
                    ChecksumAlgorithm::Sha512 => Hasher::Sha512(Box::default()),
                })
                .collect(),
        )
    }

    /// Digests for the algorithms of `expected`.
    pub(crate) fn for_expected(expected: &[Checksum]) -> Hashers {
        Hashers::new(expected.iter().map(Checksum::algorithm))
    }

    /// True when nothing is computed.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        for h in &mut self.0 {
            match h {
                Hasher::Sha256(h) => h.update(bytes),
                Hasher::Sha512(h) => h.update(bytes),
            }
        }
    }

    /// Add `len` zero bytes (a hole of the source).
    pub(crate) fn update_zeros(&mut self, mut len: u64) {
        if self.is_empty() {
            return;
        }
        static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
        while len > 0 {
            let n = len.min(ZEROS.len() as u64) as usize;
            self.update(&ZEROS[..n]);
            len -= n as u64;
        }
    }

    pub(crate) fn finish(self) -> Vec<Checksum> {
        self.0
            .into_iter()
            .map(|h| match h {
                Hasher::Sha256(h) => Checksum {
                    algorithm: ChecksumAlgorithm::Sha256,
                    digest: h.finalize().to_vec(),
                },
                Hasher::Sha512(h) => Checksum {
                    algorithm: ChecksumAlgorithm::Sha512,
                    digest: h.finalize().to_vec(),
                },
            })
            .collect()
    }
}

/// Every expected checksum must be among the computed ones, equal; the error names the
/// field of the first that is not and gives both sums.
pub(crate) fn verify(expected: &[Checksum], computed: &[Checksum], what: &str) -> Result<()> {
    for want in expected {
        let got = computed.iter().find(|c| c.algorithm == want.algorithm);
        match got {
            Some(got) if got == want => {}
            Some(got) => {
                return Err(Error::invalid(
                    want.algorithm.as_str(),
                    format!("checksum mismatch: expected {want}, {what} has {got}"),
                ))
            }
            None => {
                return Err(Error::invalid(
                    want.algorithm.as_str(),
                    format!("no {} was computed of {what}", want.algorithm),
                ))
            }
        }
    }
    Ok(())
}

/// Bytes read at a time by [`hash_file`].
const HASH_READ_BYTES: usize = 1 << 20;

/// Read a file of `len` bytes once to hash it (progress and cancel through `transfer`).
pub(crate) fn hash_file(
    file: &File,
    len: u64,
    mut hashers: Hashers,
    transfer: &TransferOptions,
) -> Result<(u64, Vec<Checksum>)> {
    let ticker = crate::transfer::Ticker::new(transfer);
    if hashers.is_empty() {
        return Ok((len, Vec::new()));
    }
    let mut buf = vec![0u8; HASH_READ_BYTES];
    let mut at = 0u64;
    while at < len {
        let want = (len - at).min(HASH_READ_BYTES as u64) as usize;
        let n = file
            .read_at(&mut buf[..want], at)
            .map_err(|e| Error::io("cannot read the image", e))?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::Io,
                "the image became shorter during the import",
            ));
        }
        hashers.update(&buf[..n]);
        at += n as u64;
        ticker.tick(at, len)?;
    }
    Ok((at, hashers.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_and_prints_algorithm_and_hex() {
        let c = Checksum::parse(
            &format!("SHA256:{}", EMPTY_SHA256.to_uppercase()),
            "checksum",
        )
        .unwrap();
        assert_eq!(c.algorithm(), ChecksumAlgorithm::Sha256);
        assert_eq!(c.to_string(), format!("sha256:{EMPTY_SHA256}"));
        assert_eq!(c.digest().len(), 32);
    }

    #[test]
    fn bad_checksums_name_the_field() {
        for (text, reason) in [
            ("abc", "is not ALGORITHM:HEX"),
            ("md5:abc", "unknown value \"md5\""),
            ("sha256:abc", "64 hex digits, not 3"),
            (
                &format!("sha256:{}", "g".repeat(64)),
                "is not a hexadecimal",
            ),
            (&format!("sha512:{EMPTY_SHA256}"), "128 hex digits, not 64"),
        ] {
            let e = Checksum::parse(text, "checksum").unwrap_err();
            assert_eq!(e.field(), Some("checksum"), "{text}");
            assert!(e.message().contains(reason), "{text}: {e}");
        }
        let e = Checksum::from_hex(ChecksumAlgorithm::Sha256, "é".repeat(32).as_str(), "sha256")
            .unwrap_err();
        assert_eq!(e.field(), Some("sha256"));
    }

    #[test]
    fn hashers_compute_each_algorithm_once_and_verify_names_both_sums() {
        let mut h = Hashers::new([
            ChecksumAlgorithm::Sha256,
            ChecksumAlgorithm::Sha256,
            ChecksumAlgorithm::Sha512,
        ]);
        h.update(b"");
        h.update_zeros(0);
        let sums = h.finish();
        assert_eq!(sums.len(), 2);
        assert_eq!(sums[0].hex(), EMPTY_SHA256);
        let want = Checksum::parse(&format!("sha256:{EMPTY_SHA256}"), "c").unwrap();
        verify(std::slice::from_ref(&want), &sums, "the image").unwrap();

        let mut z = Hashers::new([ChecksumAlgorithm::Sha256]);
        z.update_zeros(100_000);
        let mut d = Hashers::new([ChecksumAlgorithm::Sha256]);
        d.update(&vec![0u8; 100_000]);
        let (z, d) = (z.finish(), d.finish());
        assert_eq!(z, d);
        let e = verify(std::slice::from_ref(&want), &z, "the download").unwrap_err();
        assert_eq!(e.field(), Some("sha256"));
        assert!(e.message().contains(&want.to_string()), "{e}");
        assert!(e.message().contains(&z[0].to_string()), "{e}");
    }
}
