//! Running one call on many hosts at once: a few worker threads take hosts from a
//! queue, the caller collects results until they are all in or the deadline passes.
//!
//! The workers are plain (not scoped) threads, because the caller must be able to stop
//! waiting for a host that does not answer. At the deadline the caller gives up: hosts
//! not started yet are reported as such and never started; a host whose call is under
//! way is reported as not answering, and marked stuck until that call returns (see
//! [`Host::check_not_stuck`]). The worker finishes that one call, drops its result and
//! ends; nothing else waits for it.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::host::Host;
use super::report::HostResult;
use crate::conn::Connection;
use crate::error::{Error, ErrorKind, Result};

/// Where one host's task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Queued,
    Running(Instant),
    Done,
    /// The caller stopped waiting for it.
    GivenUp,
}

struct Shared<F> {
    f: F,
    hosts: Vec<Arc<Host>>,
    queue: Mutex<VecDeque<usize>>,
    slots: Vec<Mutex<Slot>>,
    given_up: AtomicBool,
    connect_timeout: Duration,
    deadline: Option<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What one call needs besides the work: how many hosts at once, how long a host may
/// take to connect, and when the caller stops waiting (`None`: never).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) concurrency: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) deadline: Option<Instant>,
}

/// Run `f(i, connection)` for every host (`i` its position in `hosts`), at most
/// `limits.concurrency` at a time; the results in the order of `hosts`. Every error is
/// scrubbed of its host's URI secrets.
pub(crate) fn run_on_hosts<T, F>(hosts: Vec<Arc<Host>>, limits: Limits, f: F) -> Vec<HostResult<T>>
where
    T: Send + 'static,
    F: Fn(usize, &Connection) -> Result<T> + Send + Sync + 'static,
{
    let n = hosts.len();
    if n == 0 {
        return Vec::new();
    }
    let shared = Arc::new(Shared {
        f,
        hosts,
        queue: Mutex::new((0..n).collect()),
        slots: (0..n).map(|_| Mutex::new(Slot::Queued)).collect(),
        given_up: AtomicBool::new(false),
        connect_timeout: limits.connect_timeout,
        deadline: limits.deadline,
    });
    let (tx, rx) = mpsc::channel::<(usize, Result<T>, Duration)>();
    let mut results: Vec<Option<(Result<T>, Duration)>> = (0..n).map(|_| None).collect();
    let mut started = 0;
    let mut spawn_error = None;
    for _ in 0..limits.concurrency.clamp(1, n.max(1)) {
        let (shared, tx) = (Arc::clone(&shared), tx.clone());
        match thread::Builder::new()
            .name("kvmpool-fleet".into())
            .spawn(move || worker(&shared, &tx))
        {
            Ok(_) => started += 1,
            Err(e) => {
                spawn_error = Some(e);
                break;
            }
        }
    }
    if let (0, Some(e)) = (started, spawn_error) {
        let e = Error::io("cannot start a thread for the fleet call", e);
        for r in &mut results {
            *r = Some((Err(e.duplicate()), Duration::ZERO));
        }
    }
    drop(tx);
    let mut pending = results.iter().filter(|r| r.is_none()).count();
    while pending > 0 {
        let got = match limits.deadline {
            Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok((i, r, elapsed)) => {
                if results[i].is_none() {
                    pending -= 1;
                }
                results[i] = Some((r, elapsed));
            }
            Err(_) => break,
        }
    }
    if pending > 0 {
        give_up(&shared, &mut results);
        // results of tasks that finished while giving up
        while let Ok((i, r, elapsed)) = rx.try_recv() {
            results[i] = Some((r, elapsed));
        }
    }
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let host = &shared.hosts[i];
            let (result, elapsed) = r.unwrap_or_else(|| {
                let e = Error::new(
                    ErrorKind::Connect,
                    format!("{}: the call ended without a result", host.shown_uri()),
                );
                (Err(e), Duration::ZERO)
            });
            HostResult {
                host: host.label.clone(),
                uri: host.shown_uri().to_owned(),
                result: result.map_err(|e| e.scrubbed(&host.redactor)),
                elapsed,
            }
        })
        .collect()
}

/// The deadline passed: stop every task that has no result yet.
fn give_up<T, F>(shared: &Shared<F>, results: &mut [Option<(Result<T>, Duration)>]) {
    shared.given_up.store(true, Ordering::SeqCst);
    for (i, r) in results.iter_mut().enumerate() {
        if r.is_some() {
            continue;
        }
        let host = &shared.hosts[i];
        let mut slot = lock(&shared.slots[i]);
        match *slot {
            Slot::Queued => {
                *slot = Slot::GivenUp;
                let e = Error::new(
                    ErrorKind::Connect,
                    format!(
                        "{}: not started before the deadline (other hosts took the time)",
                        host.shown_uri()
                    ),
                );
                *r = Some((Err(e), Duration::ZERO));
            }
            Slot::Running(since) => {
                *slot = Slot::GivenUp;
                host.mark_stuck(since);
                let e = Error::new(
                    ErrorKind::Connect,
                    format!(
                        "{}: no answer within the deadline ({:.1} s); the call goes on in \
                         the background, and the host is not asked again until it returns",
                        host.shown_uri(),
                        since.elapsed().as_secs_f64()
                    ),
                );
                *r = Some((Err(e), since.elapsed()));
            }
            // its result is in the channel
            Slot::Done | Slot::GivenUp => {}
        }
    }
}

fn worker<T, F>(shared: &Shared<F>, tx: &mpsc::Sender<(usize, Result<T>, Duration)>)
where
    F: Fn(usize, &Connection) -> Result<T>,
{
    loop {
        let Some(i) = lock(&shared.queue).pop_front() else {
            return;
        };
        let start = Instant::now();
        {
            let mut slot = lock(&shared.slots[i]);
            if shared.given_up.load(Ordering::SeqCst) || *slot != Slot::Queued {
                return;
            }
            *slot = Slot::Running(start);
        }
        let host = &shared.hosts[i];
        // a panic is this host's error, and the worker goes on with the next host
        let result = catch_unwind(AssertUnwindSafe(|| {
            host.check_not_stuck()
                .and_then(|()| host.connection(shared.connect_timeout, shared.deadline))
                .and_then(|conn| (shared.f)(i, &conn))
        }))
        .unwrap_or_else(|p| {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::new(
                ErrorKind::Libvirt,
                format!("internal error: a panic on this host's thread: {what}"),
            ))
        });
        let mut slot = lock(&shared.slots[i]);
        if *slot == Slot::GivenUp {
            host.unmark_stuck();
        } else {
            *slot = Slot::Done;
            let _ = tx.send((i, result, start.elapsed()));
        }
    }
}
