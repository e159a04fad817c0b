//! One error type for the whole library, with a `Copy` kind that the Python
//! exception classes and the C status codes are derived from.

use std::fmt;

/// What went wrong, coarse enough to act on. Every front end maps these one to one
/// (Python exception classes, C status codes) with exhaustive matches, so adding a
/// kind fails to compile until every layer handles it (hence not `#[non_exhaustive]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The spec, XML, size or argument is invalid; nothing was sent to libvirt. Also an
    /// image refused for what its header says, and an image whose checksum is not the
    /// one given (what was sent is removed again).
    InvalidSpec,
    /// No such pool, volume or source (an image URL that answers 404 or 410).
    NotFound,
    /// A pool or volume with that name (or UUID, or key) already exists.
    AlreadyExists,
    /// The object is in the wrong state for the operation (e.g. pool not running).
    State,
    /// libvirt refused because the object has asynchronous jobs running.
    Busy,
    /// The driver or the pool backend does not support the operation.
    Unsupported,
    /// The connection could not be opened, or was lost.
    Connect,
    /// A progress callback asked to stop.
    Cancelled,
    /// Reading or writing a local file failed, or a download did (refused, cut short,
    /// timed out).
    Io,
    /// Any other libvirt error; the libvirt code and message are attached.
    Libvirt,
}

impl ErrorKind {
    /// Every kind, in declaration order (used by the front ends' exhaustiveness tests).
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::InvalidSpec,
        ErrorKind::NotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::State,
        ErrorKind::Busy,
        ErrorKind::Unsupported,
        ErrorKind::Connect,
        ErrorKind::Cancelled,
        ErrorKind::Io,
        ErrorKind::Libvirt,
    ];

    /// A stable name, the same in every front end (`"InvalidSpec"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidSpec => "InvalidSpec",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::AlreadyExists => "AlreadyExists",
            ErrorKind::State => "State",
            ErrorKind::Busy => "Busy",
            ErrorKind::Unsupported => "Unsupported",
            ErrorKind::Connect => "Connect",
            ErrorKind::Cancelled => "Cancelled",
            ErrorKind::Io => "Io",
            ErrorKind::Libvirt => "Libvirt",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error libvirt reported, when there was one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtDetail {
    /// libvirt's `virErrorNumber` (e.g. 49 for `VIR_ERR_NO_STORAGE_POOL`).
    pub code: i32,
    /// libvirt's `virErrorDomain`.
    pub domain: i32,
    /// libvirt's message, as libvirt formatted it.
    pub message: String,
}

/// The kvmpool error: a kind, a message, and where it applies the field at fault
/// and the libvirt error behind it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    field: Option<String>,
    libvirt: Option<LibvirtDetail>,
    #[source]
    source: Option<std::io::Error>,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            field: None,
            libvirt: None,
            source: None,
        }
    }

    /// An invalid-spec error naming the field and the reason: "`field`: reason".
    pub fn invalid(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        let field = field.into();
        Error {
            kind: ErrorKind::InvalidSpec,
            message: format!("{field}: {reason}"),
            field: Some(field),
            libvirt: None,
            source: None,
        }
    }

    /// An I/O error on a local file, with what was being done.
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        Error {
            kind: ErrorKind::Io,
            message: format!("{context}: {err}"),
            field: None,
            libvirt: None,
            source: Some(err),
        }
    }

    /// An error of `kind` that carries libvirt's code and message.
    pub fn from_libvirt(kind: ErrorKind, detail: LibvirtDetail) -> Self {
        Error {
            kind,
            message: detail.message.clone(),
            field: None,
            libvirt: Some(detail),
            source: None,
        }
    }

    /// The kind, for matching.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message (without the kind).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The spec field at fault, for [`ErrorKind::InvalidSpec`] (e.g. `"source.host[0].port"`).
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// libvirt's error, when libvirt reported one.
    pub fn libvirt(&self) -> Option<&LibvirtDetail> {
        self.libvirt.as_ref()
    }

    /// libvirt's error code, when libvirt reported one.
    pub fn libvirt_code(&self) -> Option<i32> {
        self.libvirt.as_ref().map(|d| d.code)
    }

    /// libvirt's message, when libvirt reported one.
    pub fn libvirt_message(&self) -> Option<&str> {
        self.libvirt.as_ref().map(|d| d.message.as_str())
    }

    /// Prefix the message with context, keeping kind, field and libvirt detail.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The same error reported under another field name: the name the caller used
    /// for it (an argument, a manifest key, a place in a document).
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        if let Some(old) = &self.field {
            if let Some(reason) = self.message.strip_prefix(&format!("{old}: ")) {
                self.message = format!("{field}: {reason}");
            }
        }
        self.field = Some(field);
        self
    }

    /// A copy (the I/O cause as its kind and text): an error reported more than once,
    /// such as a fleet host's failed open on every call until it answers.
    pub(crate) fn duplicate(&self) -> Self {
        Error {
            kind: self.kind,
            message: self.message.clone(),
            field: self.field.clone(),
            libvirt: self.libvirt.clone(),
            source: self
                .source
                .as_ref()
                .map(|e| std::io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// The same error with the secrets of a URI scrubbed from its texts.
    pub(crate) fn scrubbed(mut self, redactor: &crate::uri::Redactor) -> Self {
        self.message = redactor.scrub(&self.message);
        if let Some(d) = &mut self.libvirt {
            d.message = redactor.scrub(&d.message);
        }
        self
    }

    /// The same error as a lost connection to the daemon.
    pub(crate) fn link_lost(self) -> Self {
        self.with_kind(ErrorKind::Connect)
            .context("the connection to libvirt was lost")
    }

    /// The same error, reclassified (e.g. a libvirt error that means the link is gone).
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_field_and_reason() {
        let e = Error::invalid("name", "must not be empty");
        assert_eq!(e.kind(), ErrorKind::InvalidSpec);
        assert_eq!(e.field(), Some("name"));
        assert_eq!(e.to_string(), "name: must not be empty");
    }

    #[test]
    fn kinds_have_distinct_names() {
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }
}
