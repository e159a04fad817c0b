//! pool-* commands, find-storage-pool-sources-as, pool-capabilities and inventory.

use kvmpool_core::{
    BuildMode, ErrorKind, Host, InventoryOptions, Pool, PoolEntry, PoolFilter, PoolSpec, PoolState,
    Result, Size, SourceQuery, VolumeEntry,
};
use serde_json::Value;

use crate::cli::*;
use crate::context::Ctx;
use crate::output::{self, yes_no};
use crate::table;

/// virsh shows sizes for running (and degraded) pools only; `-` otherwise.
fn has_sizes(state: PoolState) -> bool {
    matches!(state, PoolState::Running | PoolState::Degraded)
}

/// A pool entry as JSON without its (empty) volume list.
fn pool_json(entry: &PoolEntry) -> Value {
    let mut v = serde_json::to_value(entry).expect("pool entries serialise");
    if let Value::Object(map) = &mut v {
        map.remove("volumes");
    }
    v
}

fn entry(pool: &Pool) -> Result<PoolEntry> {
    pool.entry()
}

pub fn list(ctx: &Ctx, a: &PoolListArgs) -> Result<()> {
    let pick = |yes: bool, no: bool| match (yes, no) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let filter = PoolFilter {
        active: if a.all { None } else { Some(!a.inactive) },
        persistent: pick(a.persistent, a.transient),
        autostart: pick(a.autostart, a.no_autostart),
        types: a.types.clone(),
    };
    let conn = ctx.conn()?;
    let pools = conn.list_pools(&filter)?;
    if a.name || a.uuid {
        let lines: String = pools
            .iter()
            .map(|p| {
                if a.name {
                    format!("{}\n", p.name())
                } else {
                    format!("{}\n", p.uuid().hyphenated())
                }
            })
            .collect();
        return output::print(&lines);
    }
    let mut entries = Vec::with_capacity(pools.len());
    for p in &pools {
        match entry(p) {
            Ok(e) => entries.push(e),
            // undefined by someone else since the listing
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if a.json {
        return output::json(&Value::Array(entries.iter().map(pool_json).collect()));
    }
    let text = if a.details {
        let size = |e: &PoolEntry, s: Size| {
            if has_sizes(e.state) {
                s.to_virsh_string()
            } else {
                "-".to_owned()
            }
        };
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    e.name.clone(),
                    e.state.as_str().to_owned(),
                    yes_no(e.autostart),
                    yes_no(e.persistent),
                    size(e, e.capacity),
                    size(e, e.allocation),
                    size(e, e.available),
                ]
            })
            .collect();
        table::render(
            &[
                "Name",
                "State",
                "Autostart",
                "Persistent",
                "Capacity",
                "Allocation",
                "Available",
            ],
            &rows,
        )
    } else {
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                let state = if e.state == PoolState::Inactive {
                    "inactive"
                } else {
                    "active"
                };
                vec![e.name.clone(), state.to_owned(), yes_no(e.autostart)]
            })
            .collect();
        table::render(&["Name", "State", "Autostart"], &rows)
    };
    output::print(&text)
}

pub fn info(ctx: &Ctx, a: &PoolInfoArgs) -> Result<()> {
    let pool = ctx.pool(&a.pool.pool)?;
    let e = entry(&pool)?;
    if a.json {
        return output::json(&pool_json(&e));
    }
    let size = |s: Size| {
        if a.bytes {
            s.as_bytes().to_string()
        } else {
            s.to_virsh_string()
        }
    };
    let mut lines = vec![
        ("Name:", e.name.clone()),
        ("UUID:", e.uuid.clone()),
        ("State:", e.state.as_str().to_owned()),
        ("Persistent:", yes_no(e.persistent)),
        ("Autostart:", yes_no(e.autostart)),
    ];
    if has_sizes(e.state) {
        lines.push(("Capacity:", size(e.capacity)));
        lines.push(("Allocation:", size(e.allocation)));
        lines.push(("Available:", size(e.available)));
    }
    output::print(&fields(&lines))
}

/// `Name:           value` lines, as virsh's `%-15s %s`.
pub fn fields(lines: &[(&str, String)]) -> String {
    lines
        .iter()
        .map(|(k, v)| format!("{k:<15} {v}\n"))
        .collect()
}

pub fn dumpxml(ctx: &Ctx, a: &PoolDumpxmlArgs) -> Result<()> {
    let pool = ctx.pool(&a.pool.pool)?;
    let xml = if a.inactive {
        pool.xml_inactive()?
    } else {
        pool.xml()?
    };
    output::println(&xml)
}

pub fn uuid(ctx: &Ctx, a: &PoolArg) -> Result<()> {
    let pool = ctx.pool(&a.pool)?;
    output::println(&pool.uuid().hyphenated().to_string())
}

pub fn name(ctx: &Ctx, a: &PoolNameArgs) -> Result<()> {
    let pool = ctx.pool(&a.uuid)?;
    output::println(pool.name())
}

pub fn find_sources(ctx: &Ctx, a: &FindSourcesArgs) -> Result<()> {
    let query = SourceQuery {
        host: a.host.as_ref().map(|h| Host {
            name: h.clone(),
            port: a.port,
        }),
        initiator: a.initiator.clone(),
    };
    let conn = ctx.conn()?;
    let xml = conn.find_pool_sources_xml(a.pool_type, &query)?;
    output::println(&xml)
}

pub fn capabilities(ctx: &Ctx, a: &PoolCapabilitiesArgs) -> Result<()> {
    let conn = ctx.conn()?;
    if a.json {
        let caps = conn.pool_capabilities()?;
        return output::json(&serde_json::to_value(&caps).expect("capabilities serialise"));
    }
    let xml = conn.pool_capabilities_xml()?;
    output::println(&xml)
}

pub fn inventory(ctx: &Ctx, a: &InventoryArgs) -> Result<()> {
    let conn = ctx.conn()?;
    let options = InventoryOptions {
        formats: a.formats,
        method: a.method.method,
        ..InventoryOptions::default()
    };
    let inv = conn.inventory(&options)?;
    if a.json {
        return output::println(&inv.to_json());
    }
    let rows: Vec<Vec<String>> = inv
        .pools
        .iter()
        .map(|e| {
            let size = |s: Size| {
                if has_sizes(e.state) {
                    s.to_virsh_string()
                } else {
                    "-".to_owned()
                }
            };
            vec![
                e.name.clone(),
                e.pool_type.as_str().to_owned(),
                e.state.as_str().to_owned(),
                yes_no(e.autostart),
                yes_no(e.persistent),
                size(e.capacity),
                size(e.allocation),
                size(e.available),
                e.volumes.len().to_string(),
            ]
        })
        .collect();
    let mut text = table::render(
        &[
            "Name",
            "Type",
            "State",
            "Autostart",
            "Persistent",
            "Capacity",
            "Allocation",
            "Available",
            "Volumes",
        ],
        &rows,
    );
    for e in inv.pools.iter().filter(|e| !e.volumes.is_empty()) {
        text.push_str(&format!("\nPool {}:\n", e.name));
        text.push_str(&volume_table(&e.volumes, true, a.formats));
    }
    output::print(&text)
}

/// vol-list's table (with `details`: type and sizes; with `formats`: the format).
pub fn volume_table(vols: &[VolumeEntry], details: bool, formats: bool) -> String {
    let rows: Vec<Vec<String>> = vols
        .iter()
        .map(|v| {
            let mut row = vec![v.name.clone(), v.path.clone()];
            if details {
                row.push(v.volume_type.as_str().to_owned());
                row.push(v.capacity.to_virsh_string());
                row.push(v.allocation.to_virsh_string());
            }
            if formats {
                row.push(v.format.clone().unwrap_or_else(|| "-".into()));
            }
            row
        })
        .collect();
    let mut header = vec!["Name", "Path"];
    if details {
        header.extend(["Type", "Capacity", "Allocation"]);
    }
    if formats {
        header.push("Format");
    }
    table::render(&header, &rows)
}

// --- changing ----------------------------------------------------------------------

fn spec_from_args(a: &PoolAsArgs) -> Result<PoolSpec> {
    PoolSpec::from_virsh_args(a.pool_type(), a.name(), &a.options())
}

pub fn define_as(ctx: &Ctx, a: &PoolAsArgs) -> Result<()> {
    let spec = spec_from_args(a)?;
    if a.print_xml {
        return output::println(&spec.to_xml());
    }
    let conn = ctx.conn()?;
    let pool = conn.define_pool(&spec)?;
    output::println(&format!("Pool {} defined", pool.name()))
}

pub fn create_as(ctx: &Ctx, a: &PoolCreateAsArgs) -> Result<()> {
    let spec = spec_from_args(&a.pool)?;
    if a.pool.print_xml {
        return output::println(&spec.to_xml());
    }
    let conn = ctx.conn()?;
    let build = a.build.mode();
    let pool = conn.create_pool(&spec, build)?;
    output::println(&format!("Pool {} created", pool.name()))
}

pub fn define(ctx: &Ctx, a: &PoolDefineArgs) -> Result<()> {
    let xml = output::read_file(&a.file)?;
    let conn = ctx.conn()?;
    let pool = conn.define_pool_xml(&xml)?;
    output::println(&format!(
        "Pool {} defined from {}",
        pool.name(),
        a.file.display()
    ))
}

pub fn create(ctx: &Ctx, a: &PoolCreateArgs) -> Result<()> {
    let xml = output::read_file(&a.file)?;
    let conn = ctx.conn()?;
    let build = a.build.mode();
    let pool = conn.create_pool_xml(&xml, build)?;
    output::println(&format!(
        "Pool {} created from {}",
        pool.name(),
        a.file.display()
    ))
}

/// A lifecycle command on one pool: look it up, call, say what was done.
fn lifecycle(ctx: &Ctx, name: &str, done: &str, f: impl FnOnce(&Pool) -> Result<()>) -> Result<()> {
    let pool = ctx.pool(name)?;
    f(&pool)?;
    output::println(&format!("Pool {} {done}", pool.name()))
}

pub fn build(ctx: &Ctx, a: &PoolBuildArgs) -> Result<()> {
    let mode = if a.overwrite {
        BuildMode::Overwrite
    } else if a.no_overwrite {
        BuildMode::NoOverwrite
    } else {
        BuildMode::Normal
    };
    lifecycle(ctx, &a.pool.pool, "built", |p| p.build(mode))
}

pub fn start(ctx: &Ctx, a: &PoolStartArgs) -> Result<()> {
    let build = a.build.mode();
    lifecycle(ctx, &a.pool.pool, "started", |p| p.start_with_build(build))
}

pub fn destroy(ctx: &Ctx, a: &PoolArg) -> Result<()> {
    lifecycle(ctx, &a.pool, "destroyed", Pool::destroy)
}

pub fn delete(ctx: &Ctx, a: &PoolArg) -> Result<()> {
    lifecycle(ctx, &a.pool, "deleted", |p| {
        p.delete(kvmpool_core::DeleteMode::Normal)
    })
}

pub fn undefine(ctx: &Ctx, a: &PoolArg) -> Result<()> {
    lifecycle(ctx, &a.pool, "has been undefined", Pool::undefine)
}

pub fn refresh(ctx: &Ctx, a: &PoolArg) -> Result<()> {
    lifecycle(ctx, &a.pool, "refreshed", Pool::refresh)
}

pub fn autostart(ctx: &Ctx, a: &PoolAutostartArgs) -> Result<()> {
    let on = !a.disable;
    let done = if on {
        "marked as autostarted"
    } else {
        "unmarked as autostarted"
    };
    lifecycle(ctx, &a.pool.pool, done, |p| p.set_autostart(on))
}
