//! Log lines on stderr: quiet by default, `-v` for the steps, `-vv` for every library
//! call (each is one or a few libvirt calls) with its outcome and time.

use std::fmt::Display;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

static LEVEL: AtomicU8 = AtomicU8::new(0);

/// Set the verbosity (the number of `-v`).
pub fn set_level(level: u8) {
    LEVEL.store(level, Ordering::Relaxed);
}

fn level() -> u8 {
    LEVEL.load(Ordering::Relaxed)
}

/// A step: a change made, a plan or apply step (`-v`).
pub fn step(message: impl Display) {
    if level() >= 1 {
        eprintln!("kvmpool: {message}");
    }
}

/// Run one library call, logging it and its outcome with `-vv`.
pub fn call<T>(
    what: impl FnOnce() -> String,
    f: impl FnOnce() -> kvmpool_core::Result<T>,
) -> kvmpool_core::Result<T> {
    if level() < 2 {
        return f();
    }
    let what = what();
    eprintln!("kvmpool: call {what}");
    let start = Instant::now();
    let result = f();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(_) => eprintln!("kvmpool: ok   {what} ({ms:.1} ms)"),
        Err(e) => eprintln!("kvmpool: fail {what} ({ms:.1} ms): {}: {e}", e.kind()),
    }
    result
}
