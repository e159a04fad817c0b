//! Many hosts at once (`-c URI -c URI ...` or `--hosts FILE`): inventory, plan, apply
//! and drift on every host through kvmpool's Fleet, printed as one table; one host's
//! failure is a line of its own, never the end of the others.

use std::path::Path;

use kvmpool_core::{
    ApplyOutcome, Canary, Error, Fleet, FleetApplyOptions, FleetOptions, FleetResult, Manifest,
    Plan, Result, Size,
};

use crate::cli::{ApplyArgs, Command, InventoryArgs, PlanArgs};
use crate::exit;
use crate::output;
use crate::table;

/// The hosts of a fleet: labels and URIs.
pub struct Hosts {
    labels: Vec<String>,
    uris: Vec<String>,
}

/// The fleet the command line names, if it names one: `-c` more than once, or
/// `--hosts FILE` (lines `URI` or `LABEL URI`, `#` comments).
pub fn hosts(connect: &[String], file: Option<&Path>) -> Result<Option<Hosts>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        let mut hosts = Hosts {
            labels: Vec::new(),
            uris: Vec::new(),
        };
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let words: Vec<&str> = line.split_whitespace().collect();
            let (label, uri) = match words.as_slice() {
                [] => continue,
                [uri] => (None, *uri),
                [label, uri] => (Some(*label), *uri),
                _ => {
                    return Err(Error::invalid(
                        "--hosts",
                        format!("{line:?} is not `URI` or `LABEL URI`"),
                    ))
                }
            };
            hosts.labels.push(label.unwrap_or(uri).to_owned());
            hosts.uris.push(uri.to_owned());
        }
        return Ok(Some(hosts));
    }
    if connect.len() < 2 {
        return Ok(None);
    }
    Ok(Some(Hosts {
        labels: Vec::new(),
        uris: connect.to_vec(),
    }))
}

/// Run `command` on the fleet; the commands that are not fleet commands are usage
/// errors (exit 2).
pub fn run(hosts: &Hosts, command: &Command) -> Result<u8> {
    let open = || -> Result<Fleet> {
        let mut options = FleetOptions::default();
        if !hosts.labels.is_empty() {
            options = options.labels(hosts.labels.clone());
        }
        Fleet::open(&hosts.uris, &options)
    };
    match command {
        Command::Inventory(a) => inventory(&open()?, a),
        Command::Plan(a) => plan(&open()?, a, false),
        Command::Drift(a) => plan(&open()?, a, true),
        Command::Apply(a) => apply(&open()?, a),
        _ => {
            eprintln!(
                "error: this command works on one host; with several (-c more than once, or \
                 --hosts) only inventory, plan, apply and drift run"
            );
            Ok(exit::USAGE)
        }
    }
}

/// `host: error: ...` lines for the hosts that failed.
fn errors<T>(result: &FleetResult<T>) -> String {
    result
        .errors()
        .map(|(host, e)| format!("{host}: error: {e}\n"))
        .collect()
}

/// The first failed host's exit status, or ok.
fn status<T>(result: &FleetResult<T>) -> u8 {
    result
        .errors()
        .next()
        .map_or(exit::OK, |(_, e)| exit::code(e.kind()))
}

fn inventory(fleet: &Fleet, a: &InventoryArgs) -> Result<u8> {
    let options = kvmpool_core::InventoryOptions {
        formats: a.formats,
        method: a.method.method,
        ..Default::default()
    };
    let result = fleet.inventory_with(&options);
    if a.json {
        output::println(&result.to_json())?;
        return Ok(status(&result));
    }
    let mut rows = Vec::new();
    for h in &result {
        let Ok(inv) = &h.result else { continue };
        for e in &inv.pools {
            let size = |s: Size| s.to_virsh_string();
            rows.push(vec![
                h.host.clone(),
                e.name.clone(),
                e.pool_type.as_str().to_owned(),
                e.state.as_str().to_owned(),
                size(e.capacity),
                size(e.allocation),
                size(e.available),
                e.volumes.len().to_string(),
            ]);
        }
    }
    let mut text = table::render(
        &[
            "Host",
            "Name",
            "Type",
            "State",
            "Capacity",
            "Allocation",
            "Available",
            "Volumes",
        ],
        &rows,
    );
    text.push_str(&errors(&result));
    output::print(&text)?;
    Ok(status(&result))
}

fn plans(fleet: &Fleet, file: &Path) -> Result<(Manifest, FleetResult<Plan>)> {
    let manifest = Manifest::from_file(file)?;
    let plans = fleet.plan(&manifest);
    Ok((manifest, plans))
}

/// `plan`: each host's plan; `drift`: the host × pool matrix, exit 3 when any drifts.
fn plan(fleet: &Fleet, a: &PlanArgs, drift: bool) -> Result<u8> {
    let (manifest, plans) = plans(fleet, &a.file)?;
    if drift {
        let matrix = kvmpool_core::DriftMatrix::from_plans(&manifest, &plans);
        if a.json {
            output::println(&matrix.to_json())?;
        } else {
            output::print(&format!("{matrix}{}", errors(&plans)))?;
        }
        return Ok(if !plans.all_ok() {
            status(&plans)
        } else if matrix.in_sync() {
            exit::OK
        } else {
            exit::DRIFT
        });
    }
    if a.json {
        output::println(&plans.to_json())?;
    } else {
        let mut text = String::new();
        for h in &plans {
            match &h.result {
                Ok(plan) => text.push_str(&format!("== {}\n{plan}", h.host)),
                Err(e) => text.push_str(&format!("== {}\nerror: {e}\n", h.host)),
            }
        }
        output::print(&text)?;
    }
    Ok(status(&plans))
}

/// `apply`: every host's plan, confirmation as for one host, then the first host alone
/// (a canary: if it fails, the others are left as they are), then the others.
fn apply(fleet: &Fleet, a: &ApplyArgs) -> Result<u8> {
    let (_, plans) = plans(fleet, &a.file)?;
    let destructive: Vec<String> = plans
        .iter()
        .filter_map(|h| h.result.as_ref().ok())
        .flat_map(|p| p.actions.iter())
        .filter(|x| x.action.destructive())
        .map(|x| x.action.as_str().to_owned())
        .collect();
    for h in &plans {
        if let Ok(plan) = &h.result {
            output::print(&format!("== {}\n{plan}", h.host))?;
        }
    }
    if !destructive.is_empty() && !a.yes && !crate::declarative::confirmed(&destructive) {
        return Ok(exit::NOT_CONFIRMED);
    }
    let options = FleetApplyOptions::default().canary(Canary::First);
    let outcome = fleet.apply(&plans, &options)?;
    let mut text = String::new();
    for h in &outcome {
        match &h.result {
            Ok(ApplyOutcome::Applied(report)) => text.push_str(&format!(
                "{}: applied: {} step(s) done, {} with nothing to do\n",
                h.host,
                report.done.len(),
                report.skipped.len()
            )),
            Ok(ApplyOutcome::Skipped { reason }) => {
                text.push_str(&format!("{}: skipped: {reason}\n", h.host))
            }
            Err(e) => text.push_str(&format!("{}: error: {e}\n", h.host)),
        }
    }
    output::print(&text)?;
    let skipped = outcome
        .iter()
        .any(|h| matches!(h.result, Ok(ApplyOutcome::Skipped { .. })));
    Ok(match status(&outcome) {
        exit::OK if skipped => exit::code(kvmpool_core::ErrorKind::State),
        s => s,
    })
}
