//! vol-upload and vol-download: a progress bar (bytes, rate, ETA) on a terminal, plain
//! progress lines otherwise, and Ctrl-C cancelling through the transfer's CancelToken.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kvmpool_core::{CancelToken, ImportOptions, Size, TransferOptions, TransferReport};

/// The transfer Ctrl-C cancels; without one, Ctrl-C ends the process (status 130).
static RUNNING: Mutex<Option<CancelToken>> = Mutex::new(None);

/// Install the Ctrl-C handler (once per process): the first press cancels the
/// running transfer, which then stops at the next chunk and cleans up; a second
/// press, or one with no transfer running, ends the process.
pub fn install_interrupt_handler() {
    let installed = ctrlc::set_handler(|| {
        let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        match running.as_ref() {
            Some(token) if !token.is_cancelled() => {
                token.cancel();
                eprintln!("\nkvmpool: cancelling (Ctrl-C again to quit at once)");
            }
            _ => std::process::exit(130),
        }
    });
    if let Err(e) = installed {
        tracing::warn!(target: "kvmpool", "no Ctrl-C handler: {e}");
    }
}

/// How progress is shown.
enum Display {
    Bar(ProgressBar),
    Lines(Mutex<Lines>),
}

/// Plain lines: at most one per second or per tenth of the transfer.
struct Lines {
    start: Instant,
    last_at: Instant,
    last_tenth: u64,
    done: u64,
}

/// The progress of one transfer.
pub struct Progress {
    verb: &'static str,
    display: Display,
    token: CancelToken,
}

impl Progress {
    /// Progress for `verb` ("uploaded", "downloaded") of `what`; a bar when stderr is
    /// a terminal. Registers the transfer with the Ctrl-C handler.
    pub fn start(verb: &'static str, what: &str) -> Arc<Progress> {
        let display = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} \
                     {binary_bytes_per_sec} ETA {eta} {percent}%",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_message(what.to_owned());
            Display::Bar(bar)
        } else {
            let now = Instant::now();
            Display::Lines(Mutex::new(Lines {
                start: now,
                last_at: now,
                last_tenth: 0,
                done: 0,
            }))
        };
        let token = CancelToken::new();
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        Arc::new(Progress {
            verb,
            display,
            token,
        })
    }

    /// Import options that report here and cancel through the Ctrl-C token.
    pub fn import_options(self: &Arc<Self>, base: ImportOptions) -> ImportOptions {
        let me = Arc::clone(self);
        base.cancel_token(self.token.clone())
            .progress(move |done, total| {
                me.update(done, total);
                true
            })
    }

    /// Transfer options that report here and cancel through the Ctrl-C token.
    pub fn options(self: &Arc<Self>, base: TransferOptions) -> TransferOptions {
        let me = Arc::clone(self);
        base.cancel_token(self.token.clone())
            .progress(move |done, total| {
                me.update(done, total);
                true
            })
    }

    fn update(&self, done: u64, total: u64) {
        match &self.display {
            Display::Bar(bar) => {
                bar.set_length(total);
                bar.set_position(done);
            }
            Display::Lines(lines) => {
                let mut l = lines.lock().unwrap_or_else(|e| e.into_inner());
                l.done = done;
                let tenth = (done * 10).checked_div(total).unwrap_or(10);
                let now = Instant::now();
                let due = tenth > l.last_tenth || now - l.last_at >= Duration::from_secs(1);
                if due && done < total {
                    l.last_tenth = tenth;
                    l.last_at = now;
                    eprintln!("{}", self.line(&l, total));
                }
            }
        }
    }

    fn line(&self, l: &Lines, total: u64) -> String {
        let percent = (l.done * 100).checked_div(total).unwrap_or(100);
        let secs = l.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            Size::bytes((l.done as f64 / secs) as u64).to_virsh_string()
        } else {
            "-".to_owned()
        };
        format!(
            "{} {} of {} bytes ({percent}%, {rate}/s)",
            self.verb, l.done, total
        )
    }

    /// The transfer ended (`None`: it failed): the bar at 100% or the last line; on
    /// failure the bar stays where it stopped.
    pub fn finish(&self, report: Option<&TransferReport>) {
        *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = None;
        match (&self.display, report) {
            (Display::Bar(bar), Some(report)) => {
                bar.set_length(report.total());
                bar.set_position(report.total());
                bar.finish();
            }
            (Display::Bar(bar), None) => bar.abandon(),
            (Display::Lines(lines), Some(report)) => {
                let mut l = lines.lock().unwrap_or_else(|e| e.into_inner());
                l.done = report.total();
                eprintln!("{}", self.line(&l, report.total()));
            }
            (Display::Lines(_), None) => {}
        }
    }
}
