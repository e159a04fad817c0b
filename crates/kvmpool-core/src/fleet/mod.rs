//! A fleet: many libvirt hosts at once, over libvirt's own remote protocol
//! (`qemu+tcp://`, `qemu+tls://`, `qemu+ssh://`, or any URI libvirt opens) through
//! libvirt's client; kvmpool adds no transport of its own.
//!
//! ```no_run
//! use kvmpool_core::*;
//! let uris = ["qemu+tcp://10.0.0.1/system", "qemu+tls://10.0.0.2/system"];
//! let fleet = Fleet::open(&uris, &FleetOptions::default())?;
//! for host in &fleet.inventory() {
//!     match &host.result {
//!         Ok(inv) => println!("{}: {} pools", host.host, inv.pools.len()),
//!         Err(e) => println!("{}: {} ({})", host.host, e, e.kind()),
//!     }
//! }
//! let manifest = Manifest::from_file("storage.toml")?;
//! let plans = fleet.plan(&manifest);
//! let applied = fleet.apply(&plans, &FleetApplyOptions::default().canary(Canary::First))?;
//! println!("{}", fleet.drift(&manifest));
//! # Ok::<(), kvmpool_core::Error>(())
//! ```
//!
//! - **One connection per host**, opened concurrently. libvirt's open has no timeout,
//!   so each runs on a thread of its own and nobody waits longer than
//!   [`FleetOptions::connect_timeout`]; a thread that is still waiting goes on in the
//!   background and stores its connection (or error) when libvirt returns (see
//!   `host.rs`). Opening fails only on bad input; a host that cannot be reached is
//!   kept with its error and tried again on each call.
//! - **Keepalive** ([`FleetOptions::keepalive`], `virConnectSetKeepAlive`) on every
//!   link, with libvirt's event loop running, so a host that dies is noticed; the
//!   [`Connection`]'s own reconnect (bounded by the connect timeout here) brings it
//!   back.
//! - **Every call runs on all hosts at once** (at most
//!   [`FleetOptions::concurrency`]) with a deadline for the whole call
//!   ([`FleetOptions::timeout`]): it takes about as long as the slowest host, and a
//!   dead or silent host costs its own entry an error, never the others their result.
//! - **Secrets stay out**: URIs are shown redacted ([`crate::redact_uri`]) in labels,
//!   errors, plans and JSON, and the secrets of a host's URI are scrubbed from its
//!   errors. TLS verification is libvirt's (on, with the certificates of its pkipath;
//!   `?pkipath=DIR` picks another directory); `no_verify=1` only when the URI says so,
//!   and [`HostStatus::tls_verify`] shows it.

mod apply;
mod drift;
mod host;
mod report;
mod run;
mod shared;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::conn::{Connection, KeepAlive};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{self, LoopGuard};
use crate::inventory::{Inventory, InventoryOptions};
use crate::libvirt;
use crate::manifest::{Manifest, Plan};

pub use apply::{ApplyOutcome, Canary, FleetApplyOptions};
pub use drift::{DriftCell, DriftMatrix, DriftState};
pub use report::{FleetResult, HostResult, FLEET_SCHEMA};
pub use shared::{
    is_shared_type, FieldDifference, MigrationCheck, SharedPool, SharedSource, SharedStorage,
    SharedVolume, VolumeSighting,
};

use host::{Host, Status};
use run::{run_on_hosts, Limits};

/// How a fleet connects and how long its calls may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetOptions {
    /// A label per host, in the order of the URIs (empty: each host is labelled with
    /// its redacted URI). Labels must be unique and not empty.
    pub labels: Vec<String>,
    /// How long to wait for one host's connection to open (default 10 s).
    pub connect_timeout: Duration,
    /// How long a whole fleet call (inventory, plan, drift, ...) may take (default
    /// 60 s); hosts without a result by then are reported as not answering.
    pub timeout: Duration,
    /// libvirt's keepalive on every link (default: a probe after 5 s of quiet, the
    /// link dead after 3 unanswered); `None` turns it off.
    pub keepalive: Option<KeepAlive>,
    /// Open read-only connections (inventory, plan and drift work; apply is refused by
    /// libvirt).
    pub read_only: bool,
    /// How many hosts a read call works on at once (default 32).
    pub concurrency: usize,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            labels: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            keepalive: Some(KeepAlive {
                interval: Duration::from_secs(5),
                count: 3,
            }),
            read_only: false,
            concurrency: 32,
        }
    }
}

impl FleetOptions {
    /// Label the hosts (in the order of the URIs).
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Set the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Set the deadline of a whole call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Set (or, with `None`, turn off) keepalive.
    pub fn keepalive(mut self, keepalive: Option<KeepAlive>) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Open read-only connections.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Set how many hosts a read call works on at once.
    pub fn concurrency(mut self, hosts: usize) -> Self {
        self.concurrency = hosts;
        self
    }

    fn check(&self, hosts: usize) -> Result<()> {
        if self.connect_timeout.is_zero() {
            return Err(Error::invalid("connect_timeout", "must be more than 0"));
        }
        if self.timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be more than 0"));
        }
        if self.concurrency == 0 {
            return Err(Error::invalid("concurrency", "must be at least 1"));
        }
        if let Some(k) = self.keepalive {
            if k.interval.as_secs() == 0 {
                return Err(Error::invalid(
                    "keepalive.interval",
                    "must be at least 1 s (None turns keepalive off)",
                ));
            }
        }
        if !self.labels.is_empty() && self.labels.len() != hosts {
            return Err(Error::invalid(
                "labels",
                format!(
                    "{} labels for {hosts} hosts: give one per URI, or none",
                    self.labels.len()
                ),
            ));
        }
        Ok(())
    }
}

/// Where a host of a fleet stands (see [`Fleet::hosts`]).
#[derive(Debug)]
pub struct HostStatus {
    /// Its label.
    pub label: String,
    /// Its URI, redacted.
    pub uri: String,
    /// True when its connection is open and its link up.
    pub connected: bool,
    /// Why it is not connected (a failed open, an open still waiting, a lost link).
    pub error: Option<Error>,
    /// False only when the URI turns TLS certificate checks off (`no_verify=1`).
    pub tls_verify: bool,
}

/// Many libvirt hosts, one connection each (see the module documentation). `Send +
/// Sync`: calls may come from any number of threads.
pub struct Fleet {
    hosts: Vec<Arc<Host>>,
    options: FleetOptions,
    /// libvirt's event loop, which keepalive needs, runs while the fleet exists.
    _event_loop: LoopGuard,
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// Open a connection to every host, concurrently, waiting at most
    /// `options.connect_timeout`. Fails only on bad input (no hosts, a URI given
    /// twice, labels missing, empty or given twice, zero timeouts); a host that cannot
    /// be reached is kept with its error ([`Fleet::hosts`]), and each call tries it
    /// again.
    ///
    /// One host that answers and one that does not (nothing listens on port 1):
    ///
    /// ```
    /// use kvmpool_core::*;
    /// use std::time::Duration;
    /// let options = FleetOptions::default().connect_timeout(Duration::from_secs(5));
    /// let fleet = Fleet::open(&["test:///default", "qemu+tcp://127.0.0.1:1/system"], &options)?;
    /// let hosts = fleet.inventory().hosts;
    /// assert!(hosts[0].result.is_ok());
    /// let e = hosts[1].result.as_ref().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Connect);
    /// # Ok::<(), kvmpool_core::Error>(())
    /// ```
    pub fn open<S: AsRef<str>>(uris: &[S], options: &FleetOptions) -> Result<Fleet> {
        libvirt::init();
        if uris.is_empty() {
            return Err(Error::invalid("uris", "a fleet needs at least one host"));
        }
        options.check(uris.len())?;
        let mut seen_uris: HashMap<&str, usize> = HashMap::new();
        let mut seen_labels: HashMap<String, usize> = HashMap::new();
        let mut hosts = Vec::with_capacity(uris.len());
        for (i, uri) in uris.iter().enumerate() {
            let uri = uri.as_ref();
            if uri.is_empty() || uri.contains('\0') {
                return Err(Error::invalid(
                    format!("uris[{i}]"),
                    "must be a libvirt URI (not empty, no NUL byte)",
                ));
            }
            if let Some(first) = seen_uris.insert(uri, i) {
                return Err(Error::invalid(
                    format!("uris[{i}]"),
                    format!(
                        "{} is also uris[{first}]: one connection per host",
                        crate::uri::redact_uri(uri)
                    ),
                ));
            }
            let (field, label) = match options.labels.get(i) {
                Some(l) => (format!("labels[{i}]"), l.clone()),
                None => (format!("uris[{i}]"), crate::uri::redact_uri(uri)),
            };
            if label.is_empty() || label.contains('\0') {
                return Err(Error::invalid(
                    field,
                    "a label must not be empty or hold NUL",
                ));
            }
            if let Some(first) = seen_labels.insert(label.clone(), i) {
                return Err(Error::invalid(
                    field,
                    format!("{label:?} is also the label of host {first}: labels must be unique"),
                ));
            }
            hosts.push(Arc::new(Host::new(
                label,
                uri.to_owned(),
                options.read_only,
                options.keepalive,
            )));
        }
        let event_loop = events::acquire_loop()?;
        let fleet = Fleet {
            hosts,
            options: options.clone(),
            _event_loop: event_loop,
        };
        for h in &fleet.hosts {
            h.start_open();
        }
        for h in &fleet.hosts {
            // the error (if any) stays in the host's slot, for `hosts()` and each call
            let _ = h.connection(options.connect_timeout, None);
        }
        Ok(fleet)
    }

    /// The number of hosts.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Always false: a fleet has at least one host.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The hosts' labels, in order.
    pub fn labels(&self) -> Vec<&str> {
        self.hosts.iter().map(|h| h.label.as_str()).collect()
    }

    /// Every host and where it stands now (no round trip, no waiting).
    pub fn hosts(&self) -> Vec<HostStatus> {
        self.hosts
            .iter()
            .map(|h| {
                let (connected, error) = match h.status() {
                    Status::Connected => (true, None),
                    Status::Connecting(waited) => (
                        false,
                        Some(Error::new(
                            ErrorKind::Connect,
                            format!(
                                "{}: still connecting after {:.1} s",
                                h.shown_uri(),
                                waited.as_secs_f64()
                            ),
                        )),
                    ),
                    Status::Failed(e) => (false, Some(e)),
                };
                HostStatus {
                    label: h.label.clone(),
                    uri: h.shown_uri().to_owned(),
                    connected,
                    error,
                    tls_verify: crate::uri::query_param(h.shown_uri(), "no_verify")
                        .is_none_or(|v| v.trim() == "0"),
                }
            })
            .collect()
    }

    /// [`Fleet::hosts`] as JSON (schema `kvmpool-fleet/1`, operation `hosts`):
    /// `{ "hosts": [ { "host", "uri", "connected", "tls_verify", "error": null or
    /// { "kind", "message", "field", "libvirt_code" } } ] }`.
    pub fn hosts_json(&self) -> String {
        let hosts: Vec<serde_json::Value> = self
            .hosts()
            .iter()
            .map(|h| {
                serde_json::json!({
                    "host": h.label,
                    "uri": h.uri,
                    "connected": h.connected,
                    "tls_verify": h.tls_verify,
                    "error": h.error.as_ref().map_or(serde_json::Value::Null, report::error_json),
                })
            })
            .collect();
        report::document("hosts", serde_json::json!({ "hosts": hosts }))
    }

    /// The connection of the host labelled `label` (opened again first if its link
    /// is down, waiting at most the connect timeout): for what the fleet calls do not
    /// cover.
    pub fn connection(&self, label: &str) -> Result<Connection> {
        let host = self.host(label)?;
        host.connection(self.options.connect_timeout, None)
            .map_err(|e| e.scrubbed(&host.redactor))
    }

    fn host(&self, label: &str) -> Result<&Arc<Host>> {
        self.hosts.iter().find(|h| h.label == label).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "no host labelled {label:?} in this fleet (labels: {})",
                    self.labels().join(", ")
                ),
            )
        })
    }

    /// Every host's inventory (pools and volumes with their info), concurrently:
    /// per host the inventory or the error.
    pub fn inventory(&self) -> FleetResult<Inventory> {
        self.inventory_with(&InventoryOptions::default())
    }

    /// [`Fleet::inventory`] with options (volumes, formats).
    pub fn inventory_with(&self, options: &InventoryOptions) -> FleetResult<Inventory> {
        let options = *options;
        self.run_all("inventory", move |_, c| c.inventory(&options))
    }

    /// Plan `manifest` on every host, concurrently (nothing is changed): per host its
    /// plan or the error. Apply with [`Fleet::apply`].
    pub fn plan(&self, manifest: &Manifest) -> FleetResult<Plan> {
        let manifest = Arc::new(manifest.clone());
        self.run_all("plan", move |_, c| c.plan(&manifest))
    }

    /// Run `f` on every host with the read limits: all at once (up to the
    /// concurrency), within the fleet's timeout.
    fn run_all<T, F>(&self, operation: &'static str, f: F) -> FleetResult<T>
    where
        T: Send + 'static,
        F: Fn(usize, &Connection) -> Result<T> + Send + Sync + 'static,
    {
        let start = Instant::now();
        let limits = Limits {
            concurrency: self.options.concurrency,
            connect_timeout: self.options.connect_timeout,
            deadline: Some(start + self.options.timeout),
        };
        FleetResult {
            operation,
            hosts: run_on_hosts(self.hosts.clone(), limits, f),
            elapsed: start.elapsed(),
        }
    }
}

impl Drop for Fleet {
    /// Closing a remote connection waits for the daemon's answer (or for keepalive to
    /// give up on it): the connections are closed on a thread of their own, so that
    /// dropping a fleet never waits for a host that does not answer.
    fn drop(&mut self) {
        let conns: Vec<Connection> = self
            .hosts
            .iter()
            .filter_map(|h| h.take_connection())
            .collect();
        if conns.is_empty() {
            return;
        }
        // detached; should no thread start, the closure and the connections in it are
        // dropped (closed) right here instead
        let _ = std::thread::Builder::new()
            .name("kvmpool-close".into())
            .spawn(move || drop(conns));
    }
}

#[cfg(test)]
mod tests;
