//! Image downloads over `http://` and `https://`: a blocking GET with ureq (TLS by
//! rustls with the Mozilla roots, no system OpenSSL), the body as it was sent (no
//! content decoding), and errors that say what happened.

use std::io::Read;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// A response body being read.
pub(crate) struct Download {
    /// The URL asked for (for messages).
    pub url: String,
    /// `Content-Length`, when the server sent one.
    pub length: Option<u64>,
    /// The body.
    pub body: Box<dyn Read + Send>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("url", &self.url)
            .field("length", &self.length)
            .finish()
    }
}

/// A source as it may be shown in messages, plans and logs: a URL without the
/// password of its user part and without its query (where signed URLs carry tokens).
pub(crate) fn redacted(source: &str) -> String {
    if !is_url(source) {
        return source.to_owned();
    }
    let (scheme, rest) = source.split_once("://").unwrap_or(("", source));
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{user}:***@{host}")
        }
        None => authority.to_owned(),
    };
    let path = match path.split_once('?') {
        Some((p, _)) => format!("{p}?..."),
        None => path.to_owned(),
    };
    format!("{scheme}://{authority}{path}")
}

/// True for the URLs this module fetches.
pub(crate) fn is_url(source: &str) -> bool {
    let lower = source.get(..8).unwrap_or(source).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// GET `url`. `timeout` bounds connecting and each wait for more of the body (a stalled
/// server fails the download instead of hanging it). A 404 or 410 is
/// [`ErrorKind::NotFound`]; any other failure [`ErrorKind::Io`].
pub(crate) fn get(url: &str, timeout: Duration) -> Result<Download> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_per_read(Some(timeout))
        .user_agent(concat!("kvmpool/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot download {}: {e}", redacted(url)),
        )
    })?;
    let status = response.status();
    if !status.is_success() {
        let kind = match status.as_u16() {
            404 | 410 => ErrorKind::NotFound,
            _ => ErrorKind::Io,
        };
        return Err(Error::new(
            kind,
            format!(
                "cannot download {}: the server answered {status}",
                redacted(url)
            ),
        ));
    }
    let body = response.into_body();
    let length = body.content_length();
    Ok(Download {
        // for messages: never the password or the query of the URL
        url: redacted(url),
        length,
        body: Box::new(body.into_reader()),
    })
}

/// The last segment of a URL's path, percent-decoded (the default volume name).
pub(crate) fn last_segment(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let (_, path) = path.split_once('/')?;
    let segment = path.rsplit('/').next()?;
    let decoded = percent_decode(segment)?;
    (!decoded.is_empty()).then_some(decoded)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_urls_are_not_shown() {
        assert_eq!(
            redacted("https://bob:hunter2@example.org/img.qcow2?X-Amz-Signature=abc"),
            "https://bob:***@example.org/img.qcow2?..."
        );
        assert_eq!(redacted("/srv/img.qcow2"), "/srv/img.qcow2");
        assert_eq!(redacted("http://example.org/a"), "http://example.org/a");
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("http://x/a.qcow2"));
        assert!(is_url("HTTPS://x/a.qcow2"));
        assert!(!is_url("/srv/http://x"));
        assert!(!is_url("disk.qcow2"));
        assert!(!is_url("ftp://x/a"));
    }

    #[test]
    fn the_last_path_segment_names_the_volume() {
        assert_eq!(
            last_segment("https://h:8080/images/debian-12.qcow2?sig=1#x").as_deref(),
            Some("debian-12.qcow2")
        );
        assert_eq!(
            last_segment("http://h/a/my%20disk.img").as_deref(),
            Some("my disk.img")
        );
        assert_eq!(last_segment("http://h/"), None);
        assert_eq!(last_segment("http://h"), None);
        assert_eq!(last_segment("http://h/a/"), None);
        assert_eq!(last_segment("http://h/%zz"), None);
        assert_eq!(last_segment("http://h/50%"), Some("50%".to_owned()));
    }
}
