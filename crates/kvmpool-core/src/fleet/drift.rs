//! The drift matrix: for each host and each pool of a manifest, whether the host
//! matches it, read off the host's plan.

use std::fmt;

use serde_json::{json, Value};

use super::report::{document, error_json, FleetResult};
use super::Fleet;
use crate::error::{Error, ErrorKind};
use crate::manifest::{Action, ActionKind, Blocked, Manifest, Plan};
use crate::spec::names::string_enum;

string_enum! {
    /// How one pool stands on one host.
    pub enum DriftState {
        /// The host matches the manifest for this pool.
        InSync = "in-sync",
        /// The pool is there but differs: the plan's actions (and refused changes)
        /// for it say how.
        Drifted = "drifted",
        /// The pool is not defined on the host.
        Missing = "missing",
        /// The host could not be reached ([`ErrorKind::Connect`]).
        Unreachable = "unreachable",
        /// Planning failed on the host for another reason (the error says which).
        Failed = "failed",
    }
}

/// One host × pool cell.
#[derive(Debug)]
pub struct DriftCell {
    /// The host's label.
    pub host: String,
    /// The pool.
    pub pool: String,
    /// How it stands.
    pub state: DriftState,
    /// What apply would do to this pool on this host.
    pub actions: Vec<Action>,
    /// What it would have to do but may not (by the manifest's policy).
    pub blocked: Vec<Blocked>,
    /// For unreachable and failed hosts: why.
    pub error: Option<Error>,
}

/// Host × pool: in sync, drifted, missing, unreachable (or failed).
#[derive(Debug)]
pub struct DriftMatrix {
    /// The hosts' labels, in the fleet's order (the rows).
    pub hosts: Vec<String>,
    /// The manifest's pools, in its order (the columns).
    pub pools: Vec<String>,
    /// Every cell, row by row (host by host).
    pub cells: Vec<DriftCell>,
}

impl DriftMatrix {
    /// The matrix of `manifest` from plans made for it ([`Fleet::plan`]).
    pub fn from_plans(manifest: &Manifest, plans: &FleetResult<Plan>) -> DriftMatrix {
        let pools: Vec<String> = manifest
            .pools
            .iter()
            .map(|p| p.spec.name().to_owned())
            .collect();
        let mut cells = Vec::with_capacity(pools.len() * plans.hosts.len());
        for h in &plans.hosts {
            for pool in &pools {
                cells.push(cell(&h.host, pool, &h.result));
            }
        }
        DriftMatrix {
            hosts: plans.hosts.iter().map(|h| h.host.clone()).collect(),
            pools,
            cells,
        }
    }

    /// The cell of `host` × `pool`.
    pub fn cell(&self, host: &str, pool: &str) -> Option<&DriftCell> {
        self.cells.iter().find(|c| c.host == host && c.pool == pool)
    }

    /// True when every cell is in sync.
    pub fn in_sync(&self) -> bool {
        self.cells.iter().all(|c| c.state == DriftState::InSync)
    }

    /// The matrix as JSON (schema `kvmpool-fleet/1`, operation `drift`):
    /// `{ "hosts": [labels], "pools": [names], "cells": [ { "host", "pool", "state",
    /// "actions": [as in a plan], "blocked": [as in a plan], "error": null or
    /// { "kind", "message", "field", "libvirt_code" } } ] }`, `state` one of
    /// `in-sync`, `drifted`, `missing`, `unreachable`, `failed`.
    pub fn to_json(&self) -> String {
        let cells: Vec<Value> = self
            .cells
            .iter()
            .map(|c| {
                json!({
                    "host": c.host,
                    "pool": c.pool,
                    "state": c.state,
                    "actions": c.actions,
                    "blocked": c.blocked,
                    "error": c.error.as_ref().map_or(Value::Null, error_json),
                })
            })
            .collect();
        document(
            "drift",
            json!({ "hosts": self.hosts, "pools": self.pools, "cells": cells }),
        )
    }
}

fn cell(host: &str, pool: &str, plan: &crate::Result<Plan>) -> DriftCell {
    let mut c = DriftCell {
        host: host.to_owned(),
        pool: pool.to_owned(),
        state: DriftState::InSync,
        actions: Vec::new(),
        blocked: Vec::new(),
        error: None,
    };
    match plan {
        Err(e) => {
            c.state = if e.kind() == ErrorKind::Connect {
                DriftState::Unreachable
            } else {
                DriftState::Failed
            };
            c.error = Some(e.duplicate());
        }
        Ok(plan) => {
            c.actions = plan
                .actions
                .iter()
                .filter(|a| a.pool == pool)
                .cloned()
                .collect();
            c.blocked = plan
                .blocked
                .iter()
                .filter(|b| b.pool == pool)
                .cloned()
                .collect();
            c.state = if c.actions.iter().any(|a| a.action == ActionKind::DefinePool) {
                DriftState::Missing
            } else if c.actions.is_empty() && c.blocked.is_empty() {
                DriftState::InSync
            } else {
                DriftState::Drifted
            };
        }
    }
    c
}

impl fmt::Display for DriftMatrix {
    /// A table, one row per host and one column per pool, then what differs:
    ///
    /// ```text
    /// host   guest_images  kvmnfs
    /// a      in sync       in sync
    /// b      drifted       missing
    /// c      unreachable   unreachable
    ///
    /// b / guest_images: ~ start-pool: start
    /// c: cannot connect to qemu+tcp://c/system: …
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = |s: DriftState| s.as_str().replace('-', " ");
        let mut widths = vec![self.hosts.iter().map(String::len).max().unwrap_or(0).max(4)];
        for (j, pool) in self.pools.iter().enumerate() {
            let w = self
                .cells
                .iter()
                .skip(j)
                .step_by(self.pools.len().max(1))
                .map(|c| label(c.state).len())
                .max()
                .unwrap_or(0);
            widths.push(w.max(pool.len()));
        }
        let row = |f: &mut fmt::Formatter<'_>, items: Vec<String>| {
            let line: Vec<String> = items
                .iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s:<w$}"))
                .collect();
            writeln!(f, "{}", line.join("  ").trim_end())
        };
        let mut head = vec!["host".to_owned()];
        head.extend(self.pools.iter().cloned());
        row(f, head)?;
        for (i, host) in self.hosts.iter().enumerate() {
            let mut items = vec![host.clone()];
            let n = self.pools.len();
            items.extend(
                self.cells[i * n..(i + 1) * n]
                    .iter()
                    .map(|c| label(c.state)),
            );
            row(f, items)?;
        }
        let mut details = Vec::new();
        for (i, host) in self.hosts.iter().enumerate() {
            let n = self.pools.len();
            let row = &self.cells[i * n..(i + 1) * n];
            if let Some(e) = row.iter().find_map(|c| c.error.as_ref()) {
                details.push(format!("{host}: {e}"));
                continue;
            }
            for c in row {
                for a in &c.actions {
                    let object = a
                        .volume
                        .as_deref()
                        .map_or(String::new(), |v| format!("/{v}"));
                    details.push(format!(
                        "{host} / {}{object}: {} ({})",
                        c.pool, a.action, a.reason
                    ));
                }
                for b in &c.blocked {
                    details.push(format!("{host} / {}: refused: {}", c.pool, b.reason));
                }
            }
        }
        if !details.is_empty() {
            writeln!(f)?;
            for d in details {
                writeln!(f, "{d}")?;
            }
        }
        Ok(())
    }
}

impl Fleet {
    /// The drift matrix of `manifest`: plan it on every host ([`Fleet::plan`]) and
    /// read, per host and pool, in sync / drifted / missing / unreachable.
    pub fn drift(&self, manifest: &Manifest) -> DriftMatrix {
        DriftMatrix::from_plans(manifest, &self.plan(manifest))
    }
}
