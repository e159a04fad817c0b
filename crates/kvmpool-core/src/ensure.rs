//! `ensure_pool`: make a pool exist, match a spec, be built, running and autostarted,
//! changing only what differs, and undoing its own changes when a step fails.

use crate::conn::Connection;
use crate::error::Result;
use crate::options::{DeleteMode, EnsureAction, EnsureOptions};
use crate::pool::Pool;
use crate::spec::{PoolSpec, PoolType};

/// What `ensure_pool` found and did.
#[derive(Debug, Clone)]
pub struct EnsureReport {
    /// The pool, as it now is.
    pub pool: Pool,
    /// The changes made, in order; empty when everything already matched.
    pub actions: Vec<EnsureAction>,
}

impl EnsureReport {
    /// True when the call changed anything.
    pub fn changed(&self) -> bool {
        !self.actions.is_empty()
    }
}

/// A step to take back if a later step fails.
enum Undo {
    Undefine(Pool),
    Redefine(Pool, String),
    Delete(Pool),
    Destroy(Pool),
    Autostart(Pool, bool),
}

impl Undo {
    fn run(self) {
        // Best effort: the caller gets the error that started the rollback.
        let _ = match self {
            Undo::Undefine(p) => p.undefine(),
            Undo::Redefine(p, xml) => p
                .connection()
                .define_pool_xml_checked(&xml, p.name())
                .map(|_| ()),
            Undo::Delete(p) => p.delete(DeleteMode::Normal),
            Undo::Destroy(p) => p.destroy(),
            Undo::Autostart(p, was) => p.set_autostart(was),
        };
    }
}

impl Connection {
    /// Make the pool described by `spec` exist and be in the state `options` asks for:
    /// define it if absent, redefine it if its definition differs, build it when this
    /// call (re)defined it, start it, set autostart. Idempotent: a second call with the
    /// same arguments changes nothing and reports no actions. When a step fails, the
    /// steps this call already made are undone (a pool it defined is undefined) and
    /// the first error is returned.
    pub fn ensure_pool(&self, spec: &PoolSpec, options: &EnsureOptions) -> Result<EnsureReport> {
        spec.validate()?;
        self.check_supported(spec)?;
        let mut actions = Vec::new();
        let mut undo = Vec::new();
        match self.ensure_steps(spec, options, &mut actions, &mut undo) {
            Ok(pool) => Ok(EnsureReport { pool, actions }),
            Err(e) => {
                for step in undo.into_iter().rev() {
                    step.run();
                }
                Err(e)
            }
        }
    }

    fn ensure_steps(
        &self,
        spec: &PoolSpec,
        options: &EnsureOptions,
        actions: &mut Vec<EnsureAction>,
        undo: &mut Vec<Undo>,
    ) -> Result<Pool> {
        let pool = match self.find_pool(spec.name())? {
            None => {
                let pool = self.define_pool(spec)?;
                undo.push(Undo::Undefine(pool.clone()));
                actions.push(EnsureAction::Defined);
                pool
            }
            Some(pool) => {
                let current = pool.persistent_spec()?;
                let mut desired = spec.clone();
                desired.set_uuid(Some(pool.uuid()));
                if !desired.satisfied_by(&current) {
                    let old_xml = current.to_xml();
                    pool.edit(&desired)?;
                    undo.push(Undo::Redefine(pool.clone(), old_xml));
                    actions.push(EnsureAction::Redefined);
                }
                pool
            }
        };
        let defined_now = !actions.is_empty();
        if let (Some(mode), true) = (options.build, defined_now) {
            if !pool.is_active()? {
                pool.build(mode)?;
                if *actions == [EnsureAction::Defined] && removable_build(spec.pool_type()) {
                    undo.push(Undo::Delete(pool.clone()));
                }
                actions.push(EnsureAction::Built);
            }
        }
        if options.start && !pool.is_active()? {
            pool.start()?;
            undo.push(Undo::Destroy(pool.clone()));
            actions.push(EnsureAction::Started);
        }
        if let Some(want) = options.autostart {
            let was = pool.autostart()?;
            if was != want {
                pool.set_autostart(want)?;
                undo.push(Undo::Autostart(pool.clone(), was));
                actions.push(EnsureAction::Autostart(want));
            }
        }
        Ok(pool)
    }
}

/// Types whose `build` only makes a directory, which `delete` removes again. Undoing
/// mkfs, a disk label or a volume group is not possible, so those are left alone.
fn removable_build(ty: PoolType) -> bool {
    matches!(ty, PoolType::Dir | PoolType::Fs | PoolType::Netfs)
}
