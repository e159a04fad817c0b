//! Writing to stdout: a closed pipe (`kvmpool pool-list | head -1`) ends the output
//! quietly; any other write error is an Io error.

use std::io::{ErrorKind as IoKind, Write};

use kvmpool_core::{Error, Result};

/// Write `text` to stdout as it is.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == IoKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::io("cannot write to stdout", e)),
    }
}

/// Write `text` and a newline, unless it already ends in one.
pub fn println(text: &str) -> Result<()> {
    if text.ends_with('\n') {
        print(text)
    } else {
        print(&format!("{text}\n"))
    }
}

/// Write a JSON value, pretty, and a newline.
pub fn json(value: &serde_json::Value) -> Result<()> {
    println(&serde_json::to_string_pretty(value).expect("JSON values always serialise"))
}

/// `yes` or `no`, as virsh writes booleans.
pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// A local file's text, read for a command (`pool-define FILE`).
pub fn read_file(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
}
