//! libvirt URIs as kvmpool shows them: a password in the user part and the values of
//! query parameters that could hold secrets are replaced by `***` before a URI reaches
//! an error message, a plan, a log or a JSON document; and the same secrets scrubbed
//! from text libvirt wrote (its messages may quote the URI as it was given).
//!
//! Kept as they are: the scheme, the user name, host, port and path, and the query
//! parameters libvirt's remote driver reads that name no secret (`socket`, `pkipath`,
//! `no_verify`, `keyfile` (a path), ...). Anything else in the query is redacted: kvmpool
//! cannot know what a parameter it does not know holds.

/// What a redacted value is replaced by.
const MASK: &str = "***";

/// Query parameters of libvirt's remote driver whose values are no secret (names of
/// files, sockets, programs, modes and switches).
const SAFE_PARAMS: &[&str] = &[
    "name",
    "command",
    "socket",
    "auth",
    "netcat",
    "keyfile",
    "sshauth",
    "no_verify",
    "no_tty",
    "pkipath",
    "known_hosts",
    "known_hosts_verify",
    "tls_priority",
    "mode",
    "proxy",
];

/// `uri` as it may be shown: a password in the user part and the values of query
/// parameters other than libvirt's known harmless ones replaced by `***`
/// (`qemu+ssh://root:***@host/system?keyfile=/root/.ssh/id&token=***`).
pub fn redact_uri(uri: &str) -> String {
    Redactor::new(uri).shown
}

/// The secrets of one URI and its shown form: scrubs them from any text.
#[derive(Clone)]
pub(crate) struct Redactor {
    /// The URI as it may be shown.
    pub(crate) shown: String,
    /// (secret text, what replaces it), longest first.
    replace: Vec<(String, String)>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("shown", &self.shown)
            .finish_non_exhaustive()
    }
}

/// A URI cut into the parts redaction looks at (`scheme://userinfo@host/path?query#fragment`).
struct Parts<'a> {
    /// Everything before the user part (`qemu+ssh://`), or the whole URI before the
    /// query when it has no `//` authority.
    head: &'a str,
    userinfo: Option<&'a str>,
    /// Host, port and path.
    rest: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split(uri: &str) -> Parts<'_> {
    let (before_fragment, fragment) = match uri.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (uri, None),
    };
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (before_fragment, None),
    };
    let Some(start) = before_query.find("://").map(|i| i + 3) else {
        return Parts {
            head: before_query,
            userinfo: None,
            rest: "",
            query,
            fragment,
        };
    };
    let authority_end = before_query[start..]
        .find('/')
        .map_or(before_query.len(), |i| start + i);
    let authority = &before_query[start..authority_end];
    match authority.rfind('@') {
        Some(at) => Parts {
            head: &before_query[..start],
            userinfo: Some(&authority[..at]),
            rest: &before_query[start + at + 1..],
            query,
            fragment,
        },
        None => Parts {
            head: &before_query[..start],
            userinfo: None,
            rest: &before_query[start..],
            query,
            fragment,
        },
    }
}

/// `%XX` escapes decoded (libvirt decodes them before use, and may print either form).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Scrub `raw`, and its `%`-decoded form, into `masked`.
fn add(replace: &mut Vec<(String, String)>, raw: &str, masked: &str) {
    if raw.is_empty() {
        return;
    }
    replace.push((raw.to_owned(), masked.to_owned()));
    let decoded = percent_decoded(raw);
    if decoded != raw {
        replace.push((decoded, masked.to_owned()));
    }
}

/// Scrub a secret value wherever it stands alone, when it is long enough that doing so
/// cannot garble a message (replacing every `1` would); shorter ones are scrubbed where
/// they appear in context (`user:pw@`, `key=value`, the whole URI).
fn add_bare(replace: &mut Vec<(String, String)>, value: &str) {
    if value.chars().count() >= 4 {
        add(replace, value, MASK);
    }
}

impl Redactor {
    pub(crate) fn new(uri: &str) -> Redactor {
        let parts = split(uri);
        let mut shown = String::from(parts.head);
        let mut replace: Vec<(String, String)> = Vec::new();
        if let Some(userinfo) = parts.userinfo {
            match userinfo.split_once(':') {
                Some((user, password)) => {
                    shown.push_str(&format!("{user}:{MASK}@"));
                    add(
                        &mut replace,
                        &format!("{userinfo}@"),
                        &format!("{user}:{MASK}@"),
                    );
                    add(&mut replace, &format!(":{password}@"), &format!(":{MASK}@"));
                    add_bare(&mut replace, password);
                }
                None => shown.push_str(&format!("{userinfo}@")),
            }
        }
        shown.push_str(parts.rest);
        if let Some(query) = parts.query {
            shown.push('?');
            // keep libvirt's separators (`&` or `;`) as they were
            for param in query.split_inclusive(['&', ';']) {
                let (param, separator) = match param.strip_suffix(['&', ';']) {
                    Some(p) => (p, &param[p.len()..]),
                    None => (param, ""),
                };
                let (key, value) = param.split_once('=').unwrap_or((param, ""));
                if value.is_empty() || SAFE_PARAMS.contains(&key) {
                    shown.push_str(param);
                } else {
                    shown.push_str(&format!("{key}={MASK}"));
                    add(&mut replace, param, &format!("{key}={MASK}"));
                    add_bare(&mut replace, value);
                }
                shown.push_str(separator);
            }
        }
        if let Some(fragment) = parts.fragment {
            if fragment.is_empty() {
                shown.push('#');
            } else {
                shown.push_str(&format!("#{MASK}"));
                add(&mut replace, &format!("#{fragment}"), &format!("#{MASK}"));
                add_bare(&mut replace, fragment);
            }
        }
        if shown != uri {
            replace.push((uri.to_owned(), shown.clone()));
        }
        // The whole URI first, then the longer secrets, so that no shorter one cuts
        // into a longer one before it is replaced.
        replace.sort_by_key(|r| std::cmp::Reverse(r.0.len()));
        replace.dedup_by(|a, b| a.0 == b.0);
        Redactor { shown, replace }
    }

    /// True when the URI holds something that is not shown.
    #[cfg(test)]
    pub(crate) fn has_secrets(&self) -> bool {
        !self.replace.is_empty()
    }

    /// `text` with every secret of the URI replaced by what may be shown.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (secret, masked) in &self.replace {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), masked);
            }
        }
        out
    }
}

/// The value of query parameter `key` in `uri`, if it is there.
pub(crate) fn query_param<'a>(uri: &'a str, key: &str) -> Option<&'a str> {
    split(uri)
        .query?
        .split(['&', ';'])
        .find_map(|p| match p.split_once('=') {
            Some((k, v)) if k == key => Some(v),
            None if p == key => Some(""),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_uris_are_shown_as_they_are() {
        for uri in [
            "qemu:///system",
            "test:///default",
            "qemu+tcp://127.0.0.1:16509/system",
            "qemu+ssh://root@host.example/system?keyfile=/root/.ssh/id_ed25519&no_verify=1",
            "qemu+tls://h/system?pkipath=/etc/pki/kvmpool",
            "storage:///system?socket=/tmp/x/sock/libvirt-sock",
            "storage+tcp://127.0.0.1:16610/system",
        ] {
            assert_eq!(redact_uri(uri), uri);
            assert!(!Redactor::new(uri).has_secrets(), "{uri}");
        }
    }

    #[test]
    fn passwords_and_unknown_parameters_are_masked() {
        let uri =
            "qemu+tls://admin:s3cr%65t@h:16514/system?pkipath=/p&token=abcd1234;mode=direct#frag";
        let r = Redactor::new(uri);
        assert_eq!(
            r.shown,
            "qemu+tls://admin:***@h:16514/system?pkipath=/p&token=***;mode=direct#***"
        );
        let message = format!(
            "no connection driver available for {uri}; user admin:s3cr%65t@ or s3cret, token abcd1234"
        );
        let clean = r.scrub(&message);
        for secret in ["s3cr%65t", "s3cret", "abcd1234", "frag"] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(clean.contains(&r.shown), "{clean}");
    }

    #[test]
    fn short_secrets_are_masked_in_context_only() {
        let r = Redactor::new("qemu+tcp://u:1@h:1/system?token=1");
        assert_eq!(r.shown, "qemu+tcp://u:***@h:1/system?token=***");
        assert_eq!(
            r.scrub("port 1 of h refused u:1@ (token=1)"),
            "port 1 of h refused u:***@ (token=***)"
        );
    }

    #[test]
    fn query_params_are_found() {
        let uri = "qemu+tls://h/system?pkipath=/p&no_verify=1";
        assert_eq!(query_param(uri, "no_verify"), Some("1"));
        assert_eq!(query_param(uri, "pkipath"), Some("/p"));
        assert_eq!(query_param(uri, "socket"), None);
        assert_eq!(query_param("qemu:///system", "no_verify"), None);
    }
}
