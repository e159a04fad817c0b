//! One host of a fleet: its connection, opened (and opened again) on a thread of its
//! own so that nobody waits on it longer than the connect timeout.
//!
//! libvirt's `virConnectOpen` has no timeout: against a host that accepts the TCP
//! connection and never answers it waits for ever. So every open runs on a thread of
//! its own ("kvmpool-open"), and callers wait for it on a condition variable at most
//! the connect timeout. A caller that stops waiting leaves the thread running: it
//! ends when libvirt's open returns (the host answers, refuses, or closes the socket)
//! and then stores the new connection, or its error, in the host's slot, where the
//! next call finds it. At most one such thread runs per host: while it does, callers
//! are told at once that the host is still connecting, instead of starting another.
//! If the fleet is gone by then, the thread drops what it opened and ends.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::conn::{Connection, KeepAlive};
use crate::error::{Error, ErrorKind, Result};
use crate::uri::Redactor;

/// A host of a fleet. Shared (through `Arc`) by the fleet, its open thread and the
/// threads of calls that are still running.
pub(crate) struct Host {
    /// Its label in the fleet.
    pub(crate) label: String,
    /// The URI as given (it may hold a password): only ever passed to libvirt.
    uri: String,
    /// The URI's shown form and its secrets, scrubbed from every error of this host.
    pub(crate) redactor: Redactor,
    read_only: bool,
    keepalive: Option<KeepAlive>,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// The connection, once an open succeeded (its link may have died since).
    conn: Option<Connection>,
    /// Why the last open (or reopen) failed.
    error: Option<Error>,
    /// When the open thread in flight started.
    opening: Option<Instant>,
    /// Calls whose caller stopped waiting at a deadline and that have not returned,
    /// and when the oldest of them started.
    stuck: usize,
    stuck_since: Option<Instant>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("label", &self.label)
            .field("uri", &self.redactor.shown)
            .finish_non_exhaustive()
    }
}

/// What [`Host::status`] reports.
pub(crate) enum Status {
    Connected,
    Connecting(Duration),
    Failed(Error),
}

impl Host {
    pub(crate) fn new(
        label: String,
        uri: String,
        read_only: bool,
        keepalive: Option<KeepAlive>,
    ) -> Host {
        Host {
            label,
            redactor: Redactor::new(&uri),
            uri,
            read_only,
            keepalive,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        }
    }

    /// The URI as it may be shown.
    pub(crate) fn shown_uri(&self) -> &str {
        &self.redactor.shown
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start opening (or, when the link died, reconnecting) unless a connection is
    /// usable or an open is in flight.
    pub(crate) fn start_open(self: &Arc<Self>) {
        let mut st = self.lock();
        if !usable(&st) {
            self.spawn_open(&mut st);
        }
    }

    fn spawn_open(self: &Arc<Self>, st: &mut State) {
        if st.opening.is_some() {
            return;
        }
        st.opening = Some(Instant::now());
        let host = Arc::clone(self);
        let existing = st.conn.clone();
        let spawned = thread::Builder::new()
            .name("kvmpool-open".into())
            .spawn(move || {
                let opened = match existing {
                    Some(conn) => conn.reconnect().map(|()| conn),
                    None => Connection::open_with(
                        Some(host.uri.clone()),
                        host.read_only,
                        host.keepalive,
                    ),
                };
                host.opened(opened);
            });
        if let Err(e) = spawned {
            st.opening = None;
            st.error = Some(Error::io("cannot start a thread to connect", e));
        }
    }

    /// Store what the open thread got, and wake whoever waits for it.
    fn opened(&self, opened: Result<Connection>) {
        let mut st = self.lock();
        st.opening = None;
        match opened {
            Ok(conn) => {
                st.conn = Some(conn);
                st.error = None;
            }
            Err(e) => st.error = Some(e.scrubbed(&self.redactor)),
        }
        self.changed.notify_all();
    }

    /// The host's connection: the current one when its link is up, else one opened
    /// again, waiting at most until `connect_timeout` after that open started (and
    /// never past `deadline`).
    pub(crate) fn connection(
        self: &Arc<Self>,
        connect_timeout: Duration,
        deadline: Option<Instant>,
    ) -> Result<Connection> {
        let mut st = self.lock();
        if usable(&st) {
            return Ok(st.conn.clone().expect("usable"));
        }
        self.spawn_open(&mut st);
        if let Some(since) = st.opening {
            let mut until = since + connect_timeout;
            if let Some(d) = deadline {
                until = until.min(d);
            }
            while st.opening == Some(since) {
                let now = Instant::now();
                if now >= until {
                    return Err(self.no_answer(since.elapsed()));
                }
                st = self
                    .changed
                    .wait_timeout(st, until - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
        match (&st.error, &st.conn) {
            (Some(e), _) => Err(e.duplicate()),
            (None, Some(conn)) => Ok(conn.clone()),
            (None, None) => Err(self.no_answer(Duration::ZERO)),
        }
    }

    fn no_answer(&self, waited: Duration) -> Error {
        Error::new(
            ErrorKind::Connect,
            format!(
                "cannot connect to {}: no answer after {:.1} s (libvirt's open has no \
                 timeout: it goes on in a background thread, and the host is tried \
                 again once it returns)",
                self.shown_uri(),
                waited.as_secs_f64()
            ),
        )
    }

    /// Where the host stands, without waiting.
    pub(crate) fn status(&self) -> Status {
        let st = self.lock();
        if let Some(since) = st.opening {
            return Status::Connecting(since.elapsed());
        }
        if usable(&st) {
            return Status::Connected;
        }
        match &st.error {
            Some(e) => Status::Failed(e.duplicate()),
            None => Status::Failed(Error::new(
                ErrorKind::Connect,
                format!(
                    "the connection to {} was lost; it is opened again on the next call",
                    self.shown_uri()
                ),
            )),
        }
    }

    /// Refuse a call while an earlier one whose caller gave up has not returned: a
    /// host that does not answer gets one waiting thread, not one per call.
    pub(crate) fn check_not_stuck(&self) -> Result<()> {
        let st = self.lock();
        match st.stuck_since {
            Some(since) if st.stuck > 0 => Err(Error::new(
                ErrorKind::Connect,
                format!(
                    "{} has not answered a call for {:.1} s; it is not asked again until \
                     that call returns",
                    self.shown_uri(),
                    since.elapsed().as_secs_f64()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A call running since `since` was given up by its caller.
    pub(crate) fn mark_stuck(&self, since: Instant) {
        let mut st = self.lock();
        st.stuck += 1;
        st.stuck_since = Some(st.stuck_since.map_or(since, |s| s.min(since)));
    }

    /// A given-up call returned.
    pub(crate) fn unmark_stuck(&self) {
        let mut st = self.lock();
        st.stuck = st.stuck.saturating_sub(1);
        if st.stuck == 0 {
            st.stuck_since = None;
        }
    }

    /// The connection, taken out (when the fleet is dropped).
    pub(crate) fn take_connection(&self) -> Option<Connection> {
        self.lock().conn.take()
    }
}

/// A connection whose link is up (a local check, no round trip).
fn usable(st: &State) -> bool {
    st.conn.as_ref().is_some_and(Connection::is_alive)
}
