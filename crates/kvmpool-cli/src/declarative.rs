//! plan, apply and drift: a manifest against the host.

use std::io::{BufRead, IsTerminal, Write};

use kvmpool_core::{Manifest, Plan, Result};

use crate::cli::{ApplyArgs, PlanArgs};
use crate::context::Ctx;
use crate::exit;
use crate::output;

/// `+ pool x: reason` (the plan's own words), for log lines.
fn plan_for(ctx: &Ctx, file: &std::path::Path) -> Result<Plan> {
    let manifest = Manifest::from_file(file)?;
    let conn = ctx.conn()?;
    conn.plan(&manifest)
}

fn show(plan: &Plan, json: bool) -> Result<()> {
    if json {
        output::println(&plan.to_json())
    } else {
        output::print(&plan.to_string())
    }
}

pub fn plan(ctx: &Ctx, a: &PlanArgs) -> Result<u8> {
    show(&plan_for(ctx, &a.file)?, a.json)?;
    Ok(exit::OK)
}

/// The plan, then the drift status: 0 when the host matches, 3 when it differs.
pub fn drift(ctx: &Ctx, a: &PlanArgs) -> Result<u8> {
    let plan = plan_for(ctx, &a.file)?;
    show(&plan, a.json)?;
    Ok(if plan.is_empty() {
        exit::OK
    } else {
        exit::DRIFT
    })
}

pub fn apply(ctx: &Ctx, a: &ApplyArgs) -> Result<u8> {
    let plan = plan_for(ctx, &a.file)?;
    show(&plan, false)?;
    if plan.is_empty() {
        return Ok(exit::OK);
    }
    let destructive: Vec<String> = plan
        .actions
        .iter()
        .filter(|x| x.action.destructive())
        .map(|x| x.action.as_str().to_owned())
        .collect();
    if !destructive.is_empty() && !a.yes && plan.blocked.is_empty() && !confirmed(&destructive) {
        return Ok(exit::NOT_CONFIRMED);
    }
    let conn = ctx.conn()?;
    let report = conn.apply(&plan)?;
    output::println(&format!(
        "Applied: {} step(s) done, {} with nothing to do",
        report.done.len(),
        report.skipped.len()
    ))?;
    Ok(exit::OK)
}

/// Whether to carry out the destructive steps `kinds`: asked on a terminal; without
/// one, no (the caller gives --yes after reviewing the plan).
pub fn confirmed(kinds: &[String]) -> bool {
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !terminal {
        eprintln!(
            "error: the plan has {} destructive step(s) ({}); not on a terminal to ask, \
             so nothing was done: review the plan and run apply with --yes",
            kinds.len(),
            kinds.join(", ")
        );
        return false;
    }
    let yes = confirm(&format!(
        "Carry out {} destructive step(s) ({})? [y/N] ",
        kinds.len(),
        kinds.join(", ")
    ));
    if !yes {
        eprintln!("apply: nothing was done");
    }
    yes
}

/// Ask on stderr, read a line from stdin: true for y or yes.
fn confirm(question: &str) -> bool {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
