//! Exit statuses: one fixed number per [`ErrorKind`], and the few the command line
//! adds (usage, drift, an apply not confirmed). Numbers are never reused.

use kvmpool_core::ErrorKind;

/// Success (and `drift` when the host matches the manifest).
pub const OK: u8 = 0;
/// A usage error: unknown command or option, missing argument (clap's own status).
pub const USAGE: u8 = 2;
/// `drift`: the host differs from the manifest (the plan is not empty).
pub const DRIFT: u8 = 3;
/// `apply` did nothing: the plan has destructive steps and they were declined, or
/// there was no terminal to ask on and no `--yes`.
pub const NOT_CONFIRMED: u8 = 4;

/// The status for an error of `kind`. Exhaustive, no `_` arm: a new kind does not
/// compile until it has its number.
pub fn code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidSpec => 10,
        ErrorKind::NotFound => 11,
        ErrorKind::AlreadyExists => 12,
        ErrorKind::State => 13,
        ErrorKind::Busy => 14,
        ErrorKind::Unsupported => 15,
        ErrorKind::Connect => 16,
        ErrorKind::Cancelled => 17,
        ErrorKind::Io => 18,
        ErrorKind::Libvirt => 19,
    }
}

/// What each kind means, for the help text and the man page.
fn meaning(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSpec => {
            "invalid argument, spec, XML, size or manifest (nothing was sent)"
        }
        ErrorKind::NotFound => "no such pool, volume or source",
        ErrorKind::AlreadyExists => "a pool or volume of that name already exists",
        ErrorKind::State => "wrong state (e.g. pool not running), or a stale or refused plan",
        ErrorKind::Busy => "libvirt is busy with the object (asynchronous jobs running)",
        ErrorKind::Unsupported => "the driver or pool backend lacks the operation",
        ErrorKind::Connect => "cannot connect to libvirt, or the connection was lost",
        ErrorKind::Cancelled => "cancelled (Ctrl-C during vol-upload or vol-download)",
        ErrorKind::Io => "reading or writing a local file failed",
        ErrorKind::Libvirt => "any other libvirt error",
    }
}

/// Every status with its meaning, in order.
pub fn table() -> Vec<(u8, String)> {
    let mut rows = vec![
        (
            OK,
            "success (drift: the host matches the manifest)".to_owned(),
        ),
        (
            USAGE,
            "usage error (unknown command or option, missing argument)".to_owned(),
        ),
        (
            DRIFT,
            "drift: the host differs from the manifest".to_owned(),
        ),
        (
            NOT_CONFIRMED,
            "apply did nothing: destructive steps declined, or not confirmed (no terminal, \
             no --yes)"
                .to_owned(),
        ),
    ];
    for kind in ErrorKind::ALL {
        rows.push((code(kind), format!("{kind}: {}", meaning(kind))));
    }
    rows
}

/// The exit status table, as `kvmpool --help` shows it.
pub fn help() -> String {
    let mut text = String::from("Exit status:\n");
    for (code, what) in table() {
        text.push_str(&format!("  {code:>3}  {what}\n"));
    }
    text
}

/// The exit status section of the man page (roff).
pub fn man_section() -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for (code, what) in table() {
        let what = what.replace('\\', "\\\\").replace('-', "\\-");
        roff.push_str(&format!(".TP\n\\fB{code}\\fR\n{what}\n"));
    }
    roff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_status() {
        let mut codes: Vec<u8> = ErrorKind::ALL.iter().map(|k| code(*k)).collect();
        codes.extend([OK, USAGE, DRIFT, NOT_CONFIRMED]);
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n, "two meanings share a status");
        let help = help();
        for kind in ErrorKind::ALL {
            assert!(
                help.contains(&format!("{:>3}  {kind}:", code(kind))),
                "{kind} missing from:\n{help}"
            );
        }
    }
}
