//! `plan`: compare a manifest with the live host, and list in order what `apply` would
//! do and what it would refuse to do. Only the pools the manifest lists are looked at.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::{BuildPolicy, Manifest, ManifestPool, Policy};
use crate::conn::Connection;
use crate::error::Result;
use crate::options::BuildMode;
use crate::spec::names::string_enum;
use crate::spec::{FieldValue, PoolField, PoolSpec, PoolType, VolumeFormat, VolumeSpec};
use crate::units::Size;

/// The `schema` of [`Plan::to_json`]; it changes only when the JSON does.
pub const PLAN_SCHEMA: &str = "kvmpool-plan/1";

string_enum! {
    /// What a plan would do to one object.
    pub enum ActionKind {
        /// Define a pool that does not exist.
        DefinePool = "define-pool",
        /// Change a pool's definition in place (fields that may change: permissions,
        /// authentication, mount options, ...).
        RedefinePool = "redefine-pool",
        /// Stop, undefine and define a pool again (its type or source changes).
        RecreatePool = "recreate-pool",
        /// Build a pool.
        BuildPool = "build-pool",
        /// Start a pool (building it first if that shows its target missing, when the
        /// manifest leaves building to kvmpool).
        StartPool = "start-pool",
        /// Turn autostart on or off.
        SetAutostart = "set-autostart",
        /// Create a volume.
        CreateVolume = "create-volume",
        /// Create a volume from a disk image (`image`), verified by its checksums.
        ImportVolume = "import-volume",
        /// Grow a volume.
        GrowVolume = "grow-volume",
        /// Shrink a volume (`allow_shrink`).
        ShrinkVolume = "shrink-volume",
        /// Delete a volume the manifest does not list (`prune_volumes`).
        DeleteVolume = "delete-volume",
    }
}

impl ActionKind {
    /// `+` adds, `~` changes, `-` removes, `-/+` replaces.
    fn sign(self) -> &'static str {
        match self {
            ActionKind::DefinePool | ActionKind::CreateVolume | ActionKind::ImportVolume => "+",
            ActionKind::RecreatePool => "-/+",
            ActionKind::DeleteVolume => "-",
            _ => "~",
        }
    }

    /// True for what cannot be undone or removes data: `apply` asks before these.
    pub fn destructive(self) -> bool {
        matches!(
            self,
            ActionKind::RecreatePool
                | ActionKind::DeleteVolume
                | ActionKind::ShrinkVolume
                | ActionKind::BuildPool
        )
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// What is done.
    pub action: ActionKind,
    /// The pool it is done to or in.
    pub pool: String,
    /// The volume, for volume actions.
    pub volume: Option<String>,
    /// Why, for people (`capacity 10 GiB < 20 GiB`).
    pub reason: String,
    /// For (re)definitions: the XML difference, current to wanted, as a unified diff.
    pub diff: Option<String>,
    #[serde(skip)]
    pub(crate) step: Step,
}

/// `create-volume volume guest_images/vm1.qcow2: create (qcow2, 10 GiB)`: the action,
/// its object and its reason, as logs and the command line show a step.
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (action, pool) = (self.action.as_str(), &self.pool);
        match &self.volume {
            Some(v) => write!(f, "{action} volume {pool}/{v}: {}", self.reason),
            None => write!(f, "{action} pool {pool}: {}", self.reason),
        }
    }
}

/// What a plan would have to do but may not, by its policy or by kvmpool's rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocked {
    /// The pool.
    pub pool: String,
    /// The volume, for volume changes.
    pub volume: Option<String>,
    /// What differs, and what would allow it.
    pub reason: String,
    /// For pools: the XML difference.
    pub diff: Option<String>,
}

/// The work behind an action, as `apply` carries it out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    Define(Box<PoolSpec>),
    Redefine {
        old: String,
        new: Box<PoolSpec>,
    },
    Recreate {
        old: String,
        new: Box<PoolSpec>,
        was_active: bool,
    },
    Build(BuildMode),
    Start {
        build_if_missing: Option<BuildMode>,
    },
    Autostart {
        on: bool,
        was: bool,
    },
    Create {
        spec: Box<VolumeSpec>,
        if_missing: bool,
    },
    Import {
        volume: Box<super::ManifestVolume>,
        if_missing: bool,
    },
    Resize {
        from: Size,
        to: Size,
    },
    Delete,
}

/// What `plan` found to do, in order, against the host state it saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Always [`PLAN_SCHEMA`].
    pub schema: &'static str,
    /// The connection's URI as libvirt reports it, redacted ([`crate::redact_uri`]:
    /// no password or secret parameter).
    pub host: String,
    /// A digest of what the plan saw of the host: `apply` refuses a plan when the host
    /// no longer looks like this.
    pub observed: String,
    /// The manifest's policy.
    pub policy: PolicyView,
    /// The steps, in the order `apply` takes them.
    pub actions: Vec<Action>,
    /// Changes the plan needs but may not make; `apply` refuses while there are any.
    pub blocked: Vec<Blocked>,
    #[serde(skip)]
    pub(crate) pools: Vec<String>,
}

/// The policy, as the plan's JSON shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PolicyView {
    /// See [`Policy::prune_volumes`].
    pub prune_volumes: bool,
    /// See [`Policy::allow_recreate`].
    pub allow_recreate: bool,
    /// See [`Policy::allow_shrink`].
    pub allow_shrink: bool,
}

impl From<Policy> for PolicyView {
    fn from(p: Policy) -> Self {
        PolicyView {
            prune_volumes: p.prune_volumes,
            allow_recreate: p.allow_recreate,
            allow_shrink: p.allow_shrink,
        }
    }
}

impl Plan {
    /// True when the host already is what the manifest says: nothing to do, nothing
    /// refused (a second plan after a successful apply is empty).
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.blocked.is_empty()
    }

    /// The plan as JSON, for review by people and programs. The document:
    ///
    /// ```json
    /// { "schema": "kvmpool-plan/1", "host": "qemu:///system", "observed": "9f0c…",
    ///   "policy": { "prune_volumes": false, "allow_recreate": false, "allow_shrink": false },
    ///   "actions": [ { "action": "define-pool", "pool": "guest_images", "volume": null,
    ///                  "reason": "…", "diff": "…" } ],
    ///   "blocked": [ { "pool": "kvmvg", "volume": null, "reason": "…", "diff": "…" } ] }
    /// ```
    ///
    /// `action` is one of `define-pool`, `redefine-pool`, `recreate-pool`,
    /// `build-pool`, `start-pool`, `set-autostart`, `create-volume`, `grow-volume`,
    /// `shrink-volume`, `delete-volume`. Keys are never removed or renamed within a
    /// schema version.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan always serialises")
    }
}

impl fmt::Display for Plan {
    /// The human view: one line per action, `+` add, `~` change, `-` remove, `!`
    /// refused; XML differences indented under their action.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |signs: &[&str]| {
            self.actions
                .iter()
                .filter(|a| signs.contains(&a.action.sign()))
                .count()
        };
        if self.is_empty() {
            return writeln!(
                f,
                "{}: no changes; the host matches the manifest",
                self.host
            );
        }
        writeln!(
            f,
            "{}: {} to add, {} to change, {} to remove, {} refused",
            self.host,
            count(&["+"]),
            count(&["~", "-/+"]),
            count(&["-"]),
            self.blocked.len()
        )?;
        for a in &self.actions {
            let object = match &a.volume {
                Some(v) => format!("volume {}/{v}", a.pool),
                None => format!("pool {}", a.pool),
            };
            writeln!(f, "{:>3} {object}: {}", a.action.sign(), a.reason)?;
            write_diff(f, a.diff.as_deref())?;
        }
        for b in &self.blocked {
            let object = match &b.volume {
                Some(v) => format!("volume {}/{v}", b.pool),
                None => format!("pool {}", b.pool),
            };
            writeln!(f, "  ! {object}: {}", b.reason)?;
            write_diff(f, b.diff.as_deref())?;
        }
        Ok(())
    }
}

fn write_diff(f: &mut fmt::Formatter<'_>, diff: Option<&str>) -> fmt::Result {
    for line in diff.unwrap_or("").lines() {
        writeln!(f, "      {line}")?;
    }
    Ok(())
}

// --- looking at the host ----------------------------------------------------------------

/// What the plan saw of one listed pool.
pub(crate) struct Seen {
    pub spec: Option<PoolSpec>,
    pub active: bool,
    pub autostart: bool,
    /// Volumes of a running pool: name → (capacity, format).
    pub volumes: BTreeMap<String, (Size, Option<String>)>,
}

/// Look at every pool the manifest lists.
pub(crate) fn observe(conn: &Connection, names: &[String]) -> Result<Vec<Seen>> {
    names.iter().map(|n| observe_pool(conn, n)).collect()
}

fn observe_pool(conn: &Connection, name: &str) -> Result<Seen> {
    let Some(pool) = conn.find_pool(name)? else {
        return Ok(Seen {
            spec: None,
            active: false,
            autostart: false,
            volumes: BTreeMap::new(),
        });
    };
    let active = pool.is_active()?;
    let volumes = if active {
        pool.volume_details(true)?
            .into_iter()
            .map(|v| (v.name, (v.capacity, v.format)))
            .collect()
    } else {
        BTreeMap::new()
    };
    Ok(Seen {
        spec: Some(pool.persistent_spec()?),
        active,
        autostart: pool.autostart()?,
        volumes,
    })
}

/// A digest of what was seen (FNV-1a over a canonical text): equal when the host
/// still looks the same.
pub(crate) fn digest(seen: &[Seen]) -> String {
    let mut text = String::new();
    for s in seen {
        match &s.spec {
            None => text.push_str("absent\n"),
            Some(spec) => {
                text.push_str(&spec.to_xml());
                text.push_str(&format!("\n{} {}\n", s.active, s.autostart));
                for (name, (cap, format)) in &s.volumes {
                    text.push_str(&format!("{name} {} {format:?}\n", cap.as_bytes()));
                }
            }
        }
    }
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

impl Connection {
    /// Compare `manifest` with this host: the ordered actions that would make the
    /// host match it, and the changes it needs but may not make (by its policy).
    /// Nothing is changed. Only the pools the manifest lists are looked at, and their
    /// volumes only as far as the manifest (and `prune_volumes`) says.
    pub fn plan(&self, manifest: &Manifest) -> Result<Plan> {
        let names: Vec<String> = manifest
            .pools
            .iter()
            .map(|p| p.spec.name().to_owned())
            .collect();
        let seen = observe(self, &names)?;
        let mut plan = Plan {
            schema: PLAN_SCHEMA,
            host: crate::uri::redact_uri(&self.uri().unwrap_or_default()),
            observed: digest(&seen),
            policy: manifest.policy.into(),
            actions: Vec::new(),
            blocked: Vec::new(),
            pools: names,
        };
        for (want, seen) in manifest.pools.iter().zip(&seen) {
            plan_pool(&mut plan, want, seen, &manifest.policy)?;
        }
        // removals last: nothing is deleted before everything else has worked
        plan.actions
            .sort_by_key(|a| a.action == ActionKind::DeleteVolume);
        for a in &plan.actions {
            tracing::debug!(target: "kvmpool", "plan: {a}");
        }
        for b in &plan.blocked {
            tracing::debug!(target: "kvmpool", "plan: refused: pool {}: {}", b.pool, b.reason);
        }
        Ok(plan)
    }
}

fn action(
    kind: ActionKind,
    pool: &str,
    volume: Option<&str>,
    reason: String,
    step: Step,
) -> Action {
    Action {
        action: kind,
        pool: pool.to_owned(),
        volume: volume.map(str::to_owned),
        reason,
        diff: None,
        step,
    }
}

fn plan_pool(plan: &mut Plan, want: &ManifestPool, seen: &Seen, policy: &Policy) -> Result<()> {
    let name = want.spec.name();
    let ty = want.spec.pool_type();
    // whether the pool is (or will be) defined anew by this plan
    let mut fresh = false;
    match &seen.spec {
        None => {
            let mut a = action(
                ActionKind::DefinePool,
                name,
                None,
                format!("define ({ty}; not on the host)"),
                Step::Define(Box::new(want.spec.clone())),
            );
            a.diff = Some(diff("", &want.spec.to_xml()));
            plan.actions.push(a);
            fresh = true;
        }
        Some(current) => {
            let mut desired = want.spec.clone();
            desired.set_uuid(current.uuid());
            if !desired.satisfied_by(current) {
                fresh = plan_redefinition(plan, &desired, current, seen.active, policy);
            }
        }
    }
    if fresh {
        if let BuildPolicy::Always(mode) = want.build {
            plan.actions.push(action(
                ActionKind::BuildPool,
                name,
                None,
                format!("build ({mode})"),
                Step::Build(mode),
            ));
        }
    }
    let running = seen.active && !fresh;
    if want.start && !running {
        let build_if_missing =
            (fresh && want.build == BuildPolicy::WhenMissing).then_some(careful_build(ty));
        let reason = match build_if_missing {
            Some(_) => "start (building it first if its target is missing)".to_owned(),
            None => "start".to_owned(),
        };
        plan.actions.push(action(
            ActionKind::StartPool,
            name,
            None,
            reason,
            Step::Start { build_if_missing },
        ));
    }
    if let Some(on) = want.autostart {
        let was = seen.autostart && !fresh;
        if on != was {
            plan.actions.push(action(
                ActionKind::SetAutostart,
                name,
                None,
                format!("autostart {}", if on { "on" } else { "off" }),
                Step::Autostart { on, was },
            ));
        }
    }
    if want.volumes.is_empty() && !(policy.prune_volumes && running) {
        return Ok(());
    }
    if !want.start && !running {
        plan.blocked.push(Blocked {
            pool: name.to_owned(),
            volume: None,
            reason: "its volumes need the pool running, and the manifest says start = false".into(),
            diff: None,
        });
        return Ok(());
    }
    plan_volumes(plan, want, seen, running, ty, policy);
    Ok(())
}

/// A pool whose definition differs: in place, recreated, or refused. True when the
/// pool will be defined anew.
fn plan_redefinition(
    plan: &mut Plan,
    desired: &PoolSpec,
    current: &PoolSpec,
    active: bool,
    policy: &Policy,
) -> bool {
    let name = desired.pool_type();
    let pool = desired.name().to_owned();
    let changes = changed_fields(desired, current);
    let immutable: Vec<String> = changes
        .iter()
        .filter(|(f, _, _)| !mutable_in_place(*f))
        .map(|(f, old, new)| format!("{f} {old} → {new}"))
        .collect();
    let xml_diff = diff(&current.to_xml(), &desired.to_xml());
    let type_changes = desired.pool_type() != current.pool_type();
    if type_changes || !immutable.is_empty() {
        let what = if type_changes {
            format!("type {} → {name}", current.pool_type())
        } else {
            immutable.join(", ")
        };
        if !policy.allow_recreate {
            plan.blocked.push(Blocked {
                pool,
                volume: None,
                reason: format!(
                    "{what}: this cannot change in place; it needs the pool stopped, \
                     undefined and defined again (policy allow_recreate)"
                ),
                diff: Some(xml_diff),
            });
            return false;
        }
        let mut a = action(
            ActionKind::RecreatePool,
            &pool,
            None,
            format!("recreate: {what}"),
            Step::Recreate {
                old: current.to_xml(),
                new: Box::new(desired.clone()),
                was_active: active,
            },
        );
        a.diff = Some(xml_diff);
        plan.actions.push(a);
        return true;
    }
    let listed: Vec<String> = changes
        .iter()
        .map(|(f, old, new)| format!("{f} {old} → {new}"))
        .collect();
    let mut reason = format!(
        "redefine in place: {}",
        if listed.is_empty() {
            "the definition differs".to_owned()
        } else {
            listed.join(", ")
        }
    );
    if active {
        reason.push_str(" (takes effect when the pool next starts)");
    }
    let mut a = action(
        ActionKind::RedefinePool,
        &pool,
        None,
        reason,
        Step::Redefine {
            old: current.to_xml(),
            new: Box::new(desired.clone()),
        },
    );
    a.diff = Some(xml_diff);
    plan.actions.push(a);
    false
}

/// Fields libvirt can change in a pool's definition without it becoming another pool.
fn mutable_in_place(f: PoolField) -> bool {
    use PoolField as F;
    matches!(
        f,
        F::Uuid
            | F::Mode
            | F::Owner
            | F::Group
            | F::Label
            | F::MountOptions
            | F::Cow
            | F::AuthType
            | F::AuthUsername
            | F::AuthSecretUuid
            | F::AuthSecretUsage
            | F::Initiator
            | F::Vendor
            | F::Product
            | F::RefreshAllocation
            | F::ConfigOptions
    )
}

/// The fields the manifest sets that differ on the host (after libvirt's
/// normalisation of the wanted spec): (field, host's value, manifest's value).
fn changed_fields(
    desired: &PoolSpec,
    current: &PoolSpec,
) -> Vec<(PoolField, FieldValue, FieldValue)> {
    let normal = PoolSpec::from_xml(&desired.to_xml()).unwrap_or_else(|_| desired.clone());
    normal
        .fields()
        .into_iter()
        .filter(|(f, _)| *f != PoolField::Uuid)
        .filter_map(|(f, want)| {
            let have = current.get(f);
            (have != want).then_some((f, have, want))
        })
        .collect()
}

/// The build that makes a missing target without ever overwriting data: a plain
/// build where it only makes a directory, no-overwrite where it writes to a device.
fn careful_build(ty: PoolType) -> BuildMode {
    match ty {
        PoolType::Fs | PoolType::Logical | PoolType::Disk | PoolType::Zfs => BuildMode::NoOverwrite,
        _ => BuildMode::Normal,
    }
}

/// Capacities may come back rounded up (an LV to its extent size, a file to a
/// sector): only a difference beyond this is a change.
fn rounding(ty: PoolType) -> u64 {
    match ty {
        PoolType::Logical => 4 << 20,
        _ => 512,
    }
}

fn plan_volumes(
    plan: &mut Plan,
    want: &ManifestPool,
    seen: &Seen,
    running: bool,
    ty: PoolType,
    policy: &Policy,
) {
    let pool = want.spec.name();
    for v in &want.volumes {
        let name = v.spec.name.as_str();
        let current = running.then(|| seen.volumes.get(name)).flatten();
        let Some((capacity, format)) = current else {
            if let Some(image) = &v.image {
                let reason = format!("import from {}", crate::http::redacted(&image.source));
                plan.actions.push(action(
                    ActionKind::ImportVolume,
                    pool,
                    Some(name),
                    reason,
                    Step::Import {
                        volume: Box::new(v.clone()),
                        if_missing: !running,
                    },
                ));
                continue;
            }
            let format = v.spec.format.map(|f| format!(" {f}")).unwrap_or_default();
            let reason = if running {
                format!("create {}{format}", v.spec.capacity)
            } else {
                format!(
                    "create {}{format} (unless the pool has it once started)",
                    v.spec.capacity
                )
            };
            plan.actions.push(action(
                ActionKind::CreateVolume,
                pool,
                Some(name),
                reason,
                Step::Create {
                    spec: Box::new(v.spec.clone()),
                    if_missing: !running,
                },
            ));
            continue;
        };
        if let (Some(wanted), Some(have)) = (v.spec.format, format) {
            if have.parse::<VolumeFormat>().ok() != Some(wanted) {
                plan.blocked.push(Blocked {
                    pool: pool.to_owned(),
                    volume: Some(name.to_owned()),
                    reason: format!(
                        "format {have} → {wanted}: a volume's format cannot change; \
                         kvmpool does not recreate volumes (that would lose their data)"
                    ),
                    diff: None,
                });
                continue;
            }
        }
        // an image's volume: only a capacity the manifest gives is kept up
        if v.image.is_none() || v.spec.capacity != Size::ZERO {
            plan_capacity(plan, pool, name, *capacity, v.spec.capacity, ty, policy);
        }
    }
    if policy.prune_volumes && running {
        for name in seen.volumes.keys() {
            if !want.volumes.iter().any(|v| &v.spec.name == name) {
                plan.actions.push(action(
                    ActionKind::DeleteVolume,
                    pool,
                    Some(name),
                    "delete (not in the manifest; prune_volumes)".into(),
                    Step::Delete,
                ));
            }
        }
    }
}

fn plan_capacity(
    plan: &mut Plan,
    pool: &str,
    name: &str,
    have: Size,
    want: Size,
    ty: PoolType,
    policy: &Policy,
) {
    let (h, w) = (have.as_bytes(), want.as_bytes());
    if h < w {
        plan.actions.push(action(
            ActionKind::GrowVolume,
            pool,
            Some(name),
            format!("grow {have} → {want}"),
            Step::Resize {
                from: have,
                to: want,
            },
        ));
    } else if h - w >= rounding(ty) {
        if policy.allow_shrink {
            plan.actions.push(action(
                ActionKind::ShrinkVolume,
                pool,
                Some(name),
                format!("shrink {have} → {want} (allow_shrink)"),
                Step::Resize {
                    from: have,
                    to: want,
                },
            ));
        } else {
            plan.blocked.push(Blocked {
                pool: pool.to_owned(),
                volume: Some(name.to_owned()),
                reason: format!(
                    "capacity {have} → {want}: shrinking loses data at the end (policy allow_shrink)"
                ),
                diff: None,
            });
        }
    }
}

/// A unified line diff of two small documents (longest common subsequence).
pub(crate) fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}
