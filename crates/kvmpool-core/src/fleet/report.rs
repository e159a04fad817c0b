//! Per-host results of a fleet call, and their JSON (schema `kvmpool-fleet/1`).

use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// The `schema` of every fleet JSON document; it changes only when the JSON does.
pub const FLEET_SCHEMA: &str = "kvmpool-fleet/1";

/// One host's part of a fleet call.
#[derive(Debug)]
pub struct HostResult<T> {
    /// The host's label.
    pub host: String,
    /// The host's URI, redacted ([`crate::redact_uri`]).
    pub uri: String,
    /// What the call gave on this host, or why it failed there (a host that could not
    /// be reached: [`crate::ErrorKind::Connect`]).
    pub result: Result<T>,
    /// How long the host took (connecting included).
    pub elapsed: Duration,
}

/// A fleet call's results: one per host, in the fleet's order.
#[derive(Debug)]
pub struct FleetResult<T> {
    /// What was done: `inventory`, `plan` or `apply`.
    pub operation: &'static str,
    /// One entry per host.
    pub hosts: Vec<HostResult<T>>,
    /// The whole call (about the slowest host's time, not the sum).
    pub elapsed: Duration,
}

impl<T> FleetResult<T> {
    /// The entry of the host labelled `label`.
    pub fn get(&self, label: &str) -> Option<&HostResult<T>> {
        self.hosts.iter().find(|h| h.host == label)
    }

    /// The entries, in the fleet's order.
    pub fn iter(&self) -> std::slice::Iter<'_, HostResult<T>> {
        self.hosts.iter()
    }

    /// True when every host answered without error.
    pub fn all_ok(&self) -> bool {
        self.hosts.iter().all(|h| h.result.is_ok())
    }

    /// The hosts that failed, with their errors.
    pub fn errors(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.hosts
            .iter()
            .filter_map(|h| h.result.as_ref().err().map(|e| (h.host.as_str(), e)))
    }
}

impl<'a, T> IntoIterator for &'a FleetResult<T> {
    type Item = &'a HostResult<T>;
    type IntoIter = std::slice::Iter<'a, HostResult<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.hosts.iter()
    }
}

impl<T: Serialize> FleetResult<T> {
    /// The results as JSON, for programs:
    ///
    /// ```json
    /// { "schema": "kvmpool-fleet/1", "operation": "inventory", "elapsed_ms": 41,
    ///   "hosts": [
    ///     { "host": "a", "uri": "qemu+tcp://a/system", "ok": true, "elapsed_ms": 40,
    ///       "result": { "pools": [ … ] }, "error": null },
    ///     { "host": "b", "uri": "qemu+tls://b/system", "ok": false, "elapsed_ms": 3,
    ///       "result": null,
    ///       "error": { "kind": "Connect", "message": "…", "field": null, "libvirt_code": 38 } } ] }
    /// ```
    ///
    /// `result` is, per operation: `inventory` the host's inventory (as
    /// [`crate::Inventory::to_json`]), `plan` the host's plan (schema
    /// `kvmpool-plan/1`), `apply` `{ "status": "applied", "done": [actions],
    /// "skipped": [actions] }` or `{ "status": "skipped", "reason": "…" }`. `kind` is
    /// an [`crate::ErrorKind`] name. URIs are redacted; keys are never removed or
    /// renamed within a schema version.
    pub fn to_json(&self) -> String {
        let hosts: Vec<Value> = self
            .hosts
            .iter()
            .map(|h| {
                let (result, error) = match &h.result {
                    Ok(v) => (
                        serde_json::to_value(v).expect("fleet results always serialise"),
                        Value::Null,
                    ),
                    Err(e) => (Value::Null, error_json(e)),
                };
                json!({
                    "host": h.host,
                    "uri": h.uri,
                    "ok": h.result.is_ok(),
                    "elapsed_ms": millis(h.elapsed),
                    "result": result,
                    "error": error,
                })
            })
            .collect();
        document(
            self.operation,
            json!({ "elapsed_ms": millis(self.elapsed), "hosts": hosts }),
        )
    }
}

/// A fleet JSON document: the schema, the operation, then `body`'s keys.
pub(crate) fn document(operation: &str, body: Value) -> String {
    let mut doc = json!({ "schema": FLEET_SCHEMA, "operation": operation });
    if let (Value::Object(doc), Value::Object(body)) = (&mut doc, body) {
        doc.extend(body);
    }
    serde_json::to_string_pretty(&doc).expect("a JSON value always serialises")
}

/// An error as fleet JSON shows it.
pub(crate) fn error_json(e: &Error) -> Value {
    json!({
        "kind": e.kind().name(),
        "message": e.to_string(),
        "field": e.field(),
        "libvirt_code": e.libvirt_code(),
    })
}

/// Whole milliseconds, for JSON.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
