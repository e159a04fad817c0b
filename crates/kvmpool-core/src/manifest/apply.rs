//! `apply`: carry out a plan in order, undoing the steps already taken when one fails.

use std::fs::File;

use super::plan::{digest, observe, Action, ActionKind, Plan, Step};
use crate::conn::Connection;
use crate::error::{Error, ErrorKind, Result};
use crate::options::{BuildMode, DeleteMode, Resize};
use crate::pool::Pool;
use crate::spec::PoolType;
use crate::trace::change;

/// What `apply` did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ApplyReport {
    /// The actions carried out, in order.
    pub done: Vec<Action>,
    /// Actions that turned out to have nothing to do (a volume a pool already had
    /// once it started).
    pub skipped: Vec<Action>,
}

/// A step to take back when a later one fails, and what it was for the message.
struct Undo {
    what: String,
    run: Box<dyn FnOnce() -> Result<()>>,
}

impl Undo {
    fn new(what: impl Into<String>, run: impl FnOnce() -> Result<()> + 'static) -> Undo {
        Undo {
            what: what.into(),
            run: Box::new(run),
        }
    }
}

impl Connection {
    /// Carry out `plan` in order. Refused when the plan has blocked changes, or when
    /// the host no longer looks as it did when the plan was made (plan again). When a
    /// step fails, the steps already taken are undone in reverse (a pool defined is
    /// undefined again, a volume created deleted, a pool started stopped) and the
    /// error says which step failed and what was undone. Two applies to one host from
    /// one machine take turns (an advisory lock per host), so the second sees the
    /// first's work and refuses its stale plan.
    pub fn apply(&self, plan: &Plan) -> Result<ApplyReport> {
        self.apply_with(plan, |_| {})
    }

    /// [`Connection::apply`], calling `on_step` with each action just before it is
    /// carried out (for a log or a progress display).
    pub fn apply_with(&self, plan: &Plan, mut on_step: impl FnMut(&Action)) -> Result<ApplyReport> {
        if let Some(b) = plan.blocked.first() {
            return Err(Error::new(
                ErrorKind::State,
                format!(
                    "the plan has {} refused change(s); the first: {} {}",
                    plan.blocked.len(),
                    b.pool,
                    b.reason
                ),
            ));
        }
        let _turn = host_lock(&plan.host)?;
        let now = digest(&observe(self, &plan.pools)?);
        if now != plan.observed {
            return Err(Error::new(
                ErrorKind::State,
                "the host has changed since the plan was made; plan again",
            ));
        }
        let mut report = ApplyReport {
            done: Vec::new(),
            skipped: Vec::new(),
        };
        let mut undo: Vec<Undo> = Vec::new();
        let total = plan.actions.len();
        for (i, a) in plan.actions.iter().enumerate() {
            on_step(a);
            change!("apply: step {} of {total}: {a}", i + 1);
            match self.run_step(a, &mut undo) {
                Ok(true) => report.done.push(a.clone()),
                Ok(false) => {
                    change!("apply: step {} of {total}: nothing to do", i + 1);
                    report.skipped.push(a.clone())
                }
                Err(e) => return Err(roll_back(e, i, plan.actions.len(), a, undo)),
            }
        }
        Ok(report)
    }

    /// Carry out one action; false when it found nothing to do.
    fn run_step(&self, a: &Action, undo: &mut Vec<Undo>) -> Result<bool> {
        let what = describe(a);
        match &a.step {
            Step::Define(spec) => {
                let pool = self.define_pool(spec)?;
                undo.push(Undo::new(what, move || pool.undefine()));
            }
            Step::Redefine { old, new } => {
                let pool = self.pool(&a.pool)?;
                pool.edit(new)?;
                let (conn, old, name) = (self.clone(), old.clone(), a.pool.clone());
                undo.push(Undo::new(what, move || {
                    conn.define_pool_xml_checked(&old, &name).map(drop)
                }));
            }
            Step::Recreate {
                old,
                new,
                was_active,
            } => self.recreate(&a.pool, old, new, *was_active, undo)?,
            Step::Build(mode) => {
                let pool = self.pool(&a.pool)?;
                pool.build(*mode)?;
                undo_build(&pool, what, undo)?;
            }
            Step::Start { build_if_missing } => {
                let pool = self.pool(&a.pool)?;
                start(&pool, *build_if_missing, &what, undo)?;
                undo.push(Undo::new(what, move || pool.destroy()));
            }
            Step::Autostart { on, was } => {
                let pool = self.pool(&a.pool)?;
                pool.set_autostart(*on)?;
                let was = *was;
                undo.push(Undo::new(what, move || pool.set_autostart(was)));
            }
            Step::Create { spec, if_missing } => {
                let pool = self.pool(&a.pool)?;
                if *if_missing && pool.find_volume(&spec.name)?.is_some() {
                    return Ok(false);
                }
                let vol = pool.create_volume(spec)?;
                undo.push(Undo::new(what, move || vol.delete(DeleteMode::Normal)));
            }
            Step::Import { volume, if_missing } => {
                let pool = self.pool(&a.pool)?;
                if *if_missing && pool.find_volume(&volume.spec.name)?.is_some() {
                    return Ok(false);
                }
                let (vol, _) = pool.import_image(&image_source(volume), &import_options(volume))?;
                undo.push(Undo::new(what, move || vol.delete(DeleteMode::Normal)));
            }
            Step::Resize { from, to } => {
                let vol = self.pool(&a.pool)?.volume(volume_name(a))?;
                let shrink = to < from;
                vol.resize(Resize {
                    capacity: *to,
                    delta: false,
                    shrink,
                    allocate: false,
                })?;
                let back = Resize {
                    capacity: *from,
                    delta: false,
                    shrink: !shrink,
                    allocate: false,
                };
                undo.push(Undo::new(what, move || vol.resize(back)));
            }
            Step::Delete => {
                // last in every plan, and not undoable: nothing follows that could fail
                let vol = self.pool(&a.pool)?.volume(volume_name(a))?;
                vol.delete(DeleteMode::Normal)?;
            }
        }
        Ok(true)
    }

    fn recreate(
        &self,
        name: &str,
        old: &str,
        new: &crate::spec::PoolSpec,
        was_active: bool,
        undo: &mut Vec<Undo>,
    ) -> Result<()> {
        let pool = self.pool(name)?;
        if was_active {
            pool.destroy()?;
            let p = pool.clone();
            undo.push(Undo::new(format!("stop pool {name}"), move || p.start()));
        }
        pool.undefine()?;
        let (conn, xml, n) = (self.clone(), old.to_owned(), name.to_owned());
        undo.push(Undo::new(format!("undefine pool {name}"), move || {
            conn.define_pool_xml_checked(&xml, &n).map(drop)
        }));
        let fresh = self.define_pool(new)?;
        undo.push(Undo::new(format!("define pool {name} anew"), move || {
            fresh.undefine()
        }));
        Ok(())
    }
}

/// Start `pool`; when that fails and building is allowed, build it (never over
/// existing data) and start again: the pool's target was missing.
fn start(
    pool: &Pool,
    build_if_missing: Option<BuildMode>,
    what: &str,
    undo: &mut Vec<Undo>,
) -> Result<()> {
    let first = match pool.start() {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let Some(mode) = build_if_missing else {
        return Err(first);
    };
    pool.build(mode)
        .map_err(|e| e.context(format!("starting failed ({first}), and so did building")))?;
    undo_build(pool, format!("{what}: build"), undo)?;
    pool.start()
}

/// What undoes a build: removing the directory it made (dir, fs, netfs). Making a file
/// system, a label or a volume group cannot be undone; those are left.
fn undo_build(pool: &Pool, what: impl Into<String>, undo: &mut Vec<Undo>) -> Result<()> {
    if matches!(
        pool.pool_type()?,
        PoolType::Dir | PoolType::Fs | PoolType::Netfs
    ) {
        let p = pool.clone();
        undo.push(Undo::new(what, move || p.delete(DeleteMode::Normal)));
    }
    Ok(())
}

fn image_source(v: &super::ManifestVolume) -> String {
    v.image
        .as_ref()
        .map(|i| i.source.clone())
        .unwrap_or_default()
}

/// A manifest volume's import: its name, format and capacity where the manifest gives
/// them, the image's otherwise.
fn import_options(v: &super::ManifestVolume) -> crate::ImportOptions {
    let mut o = crate::ImportOptions::default().name(v.spec.name.clone());
    if v.spec.capacity != crate::Size::ZERO {
        o = o.capacity(v.spec.capacity);
    }
    if let Some(f) = v.spec.format.and_then(|f| f.as_str().parse().ok()) {
        o = o.format(f);
    }
    o.checksums = v
        .image
        .as_ref()
        .map(|i| i.checksums.clone())
        .unwrap_or_default();
    o
}

fn volume_name(a: &Action) -> &str {
    a.volume.as_deref().unwrap_or_default()
}

fn describe(a: &Action) -> String {
    let kind = a.action.as_str().replace('-', " ");
    match &a.volume {
        Some(v) => format!("{kind} {}/{v}", a.pool),
        None => format!("{kind} {}", a.pool),
    }
}

/// Undo what was done, newest first; the error says where it stopped and what was
/// undone (and what could not be).
fn roll_back(e: Error, index: usize, total: usize, failed: &Action, undo: Vec<Undo>) -> Error {
    let mut undone = Vec::new();
    let mut kept = Vec::new();
    for step in undo.into_iter().rev() {
        match (step.run)() {
            Ok(()) => undone.push(step.what),
            Err(u) => kept.push(format!("{} ({u})", step.what)),
        }
    }
    let mut note = format!(
        "apply stopped at step {} of {total} ({})",
        index + 1,
        describe(failed)
    );
    note.push_str(&match undone.is_empty() {
        true => "; nothing to undo".to_owned(),
        false => format!("; undone: {}", undone.join(", ")),
    });
    if !kept.is_empty() {
        note.push_str(&format!("; could not undo: {}", kept.join(", ")));
    }
    if failed.action == ActionKind::DeleteVolume {
        note.push_str("; deleted volumes cannot be brought back");
    }
    e.context(note)
}

/// An advisory lock for `host` on this machine, held while applying.
fn host_lock(host: &str) -> Result<File> {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in host.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    let path = std::env::temp_dir().join(format!("kvmpool-apply-{h:016x}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| Error::io(format!("cannot lock {}", path.display()), e.into()))?;
    Ok(file)
}
