//! What kvmpool tells a log, all under the target `kvmpool`: every change it makes to a
//! host (a pool defined or started, a volume created, uploaded to, deleted, a plan step
//! applied) as an `info` event, and every libvirt call as a `debug` span closed by an
//! event with its outcome and time.
//!
//! Nothing is written unless the program asks: with a `tracing` subscriber installed
//! (the `kvmpool` command line installs one for `-v`), the events and spans go to it;
//! without one, the events go through the `log` crate (the Python module forwards them
//! to its `logging` module, logger `kvmpool`).

use std::time::Instant;

use crate::error::Result;

/// A change made to a host, logged at `info`: `change!("pool {name}: started")`.
macro_rules! change {
    ($($arg:tt)+) => {
        tracing::info!(target: "kvmpool", $($arg)+)
    };
}
pub(crate) use change;

/// Run `f`, the libvirt call `call` (libvirt's function name), inside a `debug` span,
/// and log its outcome and time.
pub(crate) fn libvirt_call<T>(call: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let span = tracing::debug_span!(target: "kvmpool", "libvirt", call);
    // Nobody listens (no subscriber wants the span, no `log` logger wants debug): the
    // call costs no clock reads.
    if span.is_disabled() && log::max_level() < log::LevelFilter::Debug {
        return f();
    }
    let _inside = span.enter();
    let start = Instant::now();
    let result = f();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    match &result {
        Ok(_) => tracing::debug!(target: "kvmpool", "{call}: ok in {ms:.2} ms"),
        Err(e) => tracing::debug!(target: "kvmpool", "{call}: {} in {ms:.2} ms: {e}", e.kind()),
    }
    result
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use crate::{Connection, DirPool, ErrorKind, VolumeSpec};

    /// What a subscriber wrote, one line per event.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Lines;
        fn make_writer(&'a self) -> Lines {
            self.clone()
        }
    }

    /// The messages logged at `level` or above while `f` ran on this thread.
    fn logged(level: tracing::Level, f: impl FnOnce()) -> Vec<String> {
        let lines = Lines::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(lines.clone())
            .without_time()
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn changes_are_info_and_libvirt_calls_debug_spans() {
        let conn = Connection::open("test:///default").unwrap();
        let changes = logged(tracing::Level::INFO, || {
            let pool = conn
                .define_pool(&DirPool::new("traced", "/traced").into())
                .unwrap();
            pool.start().unwrap();
            pool.create_volume(&VolumeSpec::new("a.raw", crate::Size::mib(1)))
                .unwrap();
            pool.info().unwrap();
        });
        let ends: Vec<&str> = changes
            .iter()
            .map(|l| l.split("kvmpool: ").nth(1).unwrap_or(l))
            .collect();
        assert_eq!(
            ends,
            [
                "pool traced: defined",
                "pool traced: started",
                "volume traced/a.raw: created"
            ],
            "{changes:#?}"
        );

        let calls = logged(tracing::Level::DEBUG, || {
            let pool = conn.pool("traced").unwrap();
            assert_eq!(
                pool.volume("b.raw").unwrap_err().kind(),
                ErrorKind::NotFound
            );
            pool.destroy().unwrap();
            pool.undefine().unwrap();
        });
        let has = |part: &str| calls.iter().any(|l| l.contains(part));
        // the span names the call; its closing event the outcome and the time
        assert!(has("libvirt{call=\"virStoragePoolDestroy\"}"), "{calls:#?}");
        assert!(has("virStoragePoolDestroy: ok in "), "{calls:#?}");
        assert!(has("virStorageVolLookupByName: NotFound in "), "{calls:#?}");
        assert!(has("pool traced: undefined"), "{calls:#?}");
    }
}
