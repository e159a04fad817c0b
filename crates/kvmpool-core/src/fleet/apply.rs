//! `apply` across a fleet: a canary first when asked, then the other hosts a few at a
//! time. Each host's apply is the core's ([`Connection::apply`]): a host that fails
//! mid-way undoes its own steps, on that host alone, and its error says what was
//! undone; the other hosts go on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::report::{FleetResult, HostResult};
use super::run::{run_on_hosts, Limits};
use super::Fleet;
use crate::error::{Error, Result};
use crate::manifest::{ApplyReport, Plan};

/// Which host goes first, alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Canary {
    /// No canary: every host at once (up to the concurrency).
    #[default]
    None,
    /// The first host (in the fleet's order) whose plan has something to do.
    First,
    /// The host with this label.
    Host(String),
}

/// How [`Fleet::apply`] rolls out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetApplyOptions {
    /// How many hosts apply at once (default 4).
    pub concurrency: usize,
    /// A host that applies first, alone; when it fails, no other host is touched.
    pub canary: Canary,
    /// How long to wait for the whole rollout (`None`, the default: until every host
    /// is done). A host still applying at the deadline is reported as not answering;
    /// its apply goes on, so plan again to see what it did.
    pub timeout: Option<Duration>,
}

impl Default for FleetApplyOptions {
    fn default() -> Self {
        FleetApplyOptions {
            concurrency: 4,
            canary: Canary::None,
            timeout: None,
        }
    }
}

impl FleetApplyOptions {
    /// Set the canary.
    pub fn canary(mut self, canary: Canary) -> Self {
        self.canary = canary;
        self
    }

    /// Set how many hosts apply at once.
    pub fn concurrency(mut self, hosts: usize) -> Self {
        self.concurrency = hosts;
        self
    }

    /// Set the deadline of the rollout.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What happened on a host that did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyOutcome {
    /// The plan was carried out (an empty plan: nothing was done).
    Applied(ApplyReport),
    /// The host was left alone: the canary failed.
    Skipped {
        /// Why.
        reason: String,
    },
}

impl Serialize for ApplyOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let value = match self {
            ApplyOutcome::Applied(r) => serde_json::json!({
                "status": "applied", "done": r.done, "skipped": r.skipped,
            }),
            ApplyOutcome::Skipped { reason } => serde_json::json!({
                "status": "skipped", "reason": reason,
            }),
        };
        value.serialize(s)
    }
}

impl Fleet {
    /// Carry out the plans of [`Fleet::plan`], each on its host. With a canary, that
    /// host applies first, alone; if it fails, every other host is
    /// [`ApplyOutcome::Skipped`]. Then the other hosts, `options.concurrency` at a
    /// time; one failing does not stop the others. A host whose plan failed gets that
    /// error again. Per host: what was done, or the error (a failed step is undone on
    /// that host, and the error says what was undone). Applying again after a fix
    /// converges: plan, apply.
    ///
    /// Fails only on bad input: plans for a host that is not in this fleet, a canary
    /// label that is not, a concurrency of 0.
    pub fn apply(
        &self,
        plans: &FleetResult<Plan>,
        options: &FleetApplyOptions,
    ) -> Result<FleetResult<ApplyOutcome>> {
        if options.concurrency == 0 {
            return Err(Error::invalid("concurrency", "must be at least 1"));
        }
        let mut hosts = Vec::with_capacity(plans.hosts.len());
        for (i, p) in plans.hosts.iter().enumerate() {
            let host = self.host(&p.host).map_err(|_| {
                Error::invalid(
                    format!("plans[{i}]"),
                    format!("host {:?} is not in this fleet", p.host),
                )
            })?;
            hosts.push(Arc::clone(host));
        }
        let canary = match &options.canary {
            Canary::None => None,
            Canary::First => plans
                .hosts
                .iter()
                .position(|p| p.result.as_ref().is_ok_and(|plan| !plan.is_empty())),
            Canary::Host(label) => Some(
                plans
                    .hosts
                    .iter()
                    .position(|p| &p.host == label)
                    .ok_or_else(|| {
                        Error::invalid(
                            "canary",
                            format!("host {label:?} has no plan here (not in this fleet?)"),
                        )
                    })?,
            ),
        };
        let start = Instant::now();
        let limits = Limits {
            concurrency: options.concurrency,
            connect_timeout: self.options.connect_timeout,
            deadline: options.timeout.map(|t| start + t),
        };
        let mut results: Vec<Option<HostResult<ApplyOutcome>>> =
            plans.hosts.iter().map(|_| None).collect();
        let mut rest: Vec<usize> = (0..plans.hosts.len()).collect();
        if let Some(c) = canary {
            rest.retain(|i| *i != c);
            let mut done = self.apply_on(plans, &hosts, &[c], limits);
            let first = done.pop().expect("one result for one host");
            let failed = first.result.is_err();
            results[c] = Some(first);
            if failed {
                for i in rest.drain(..) {
                    let p = &plans.hosts[i];
                    let result = match &p.result {
                        Ok(_) => Ok(ApplyOutcome::Skipped {
                            reason: format!(
                                "not applied: the canary host {} failed",
                                plans.hosts[c].host
                            ),
                        }),
                        Err(e) => Err(no_plan(e)),
                    };
                    results[i] = Some(HostResult {
                        host: p.host.clone(),
                        uri: p.uri.clone(),
                        result,
                        elapsed: Duration::ZERO,
                    });
                }
            }
        }
        for (i, r) in rest.iter().zip(self.apply_on(plans, &hosts, &rest, limits)) {
            results[*i] = Some(r);
        }
        Ok(FleetResult {
            operation: "apply",
            hosts: results
                .into_iter()
                .map(|r| r.expect("every host has a result"))
                .collect(),
            elapsed: start.elapsed(),
        })
    }

    /// Apply the plans at positions `picks` (hosts whose plan failed get its error).
    fn apply_on(
        &self,
        plans: &FleetResult<Plan>,
        hosts: &[Arc<super::Host>],
        picks: &[usize],
        limits: Limits,
    ) -> Vec<HostResult<ApplyOutcome>> {
        let mut out: Vec<Option<HostResult<ApplyOutcome>>> = picks.iter().map(|_| None).collect();
        let mut runnable = Vec::new();
        let mut their_plans = Vec::new();
        for (k, &i) in picks.iter().enumerate() {
            let p = &plans.hosts[i];
            match &p.result {
                Ok(plan) => {
                    runnable.push((k, Arc::clone(&hosts[i])));
                    their_plans.push(plan.clone());
                }
                Err(e) => {
                    out[k] = Some(HostResult {
                        host: p.host.clone(),
                        uri: p.uri.clone(),
                        result: Err(no_plan(e)),
                        elapsed: Duration::ZERO,
                    })
                }
            }
        }
        let (positions, run_hosts): (Vec<usize>, Vec<_>) = runnable.into_iter().unzip();
        let their_plans = Arc::new(their_plans);
        let done = run_on_hosts(run_hosts, limits, move |j, conn| {
            conn.apply(&their_plans[j]).map(ApplyOutcome::Applied)
        });
        for (k, r) in positions.into_iter().zip(done) {
            out[k] = Some(r);
        }
        out.into_iter()
            .map(|r| r.expect("every pick has a result"))
            .collect()
    }
}

/// A host whose plan failed: the plan's error, said to be that.
fn no_plan(e: &Error) -> Error {
    e.duplicate()
        .context("not applied: there is no plan for this host")
}
