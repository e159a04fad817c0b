//! Shared storage across a fleet: which hosts see the same network storage (the same
//! source: a gluster volume, an NFS export, an iSCSI target, a Ceph pool), which of
//! its volumes each sees, with what key, path and size; and whether a pool is the
//! same on two hosts, as migrating a guest between them needs.
//!
//! Pools are compared through the field table ([`PoolSpec::fields`]) and each field's
//! [`FieldRole`]: the source fields say which storage it is, the target where it
//! appears; access fields (permissions, credentials, the host's own initiator) and
//! tuning may differ between hosts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Value};

use super::report::{document, error_json};
use super::run::{run_on_hosts, Limits};
use super::Fleet;
use crate::error::{Error, ErrorKind, Result};
use crate::inventory::VolumeEntry;
use crate::options::PoolFilter;
use crate::spec::{FieldRole, FieldValue, PoolField, PoolSpec, PoolType};
use crate::units::Size;

/// True for pool types whose storage lives on the network, so that several hosts can
/// use it at once: netfs, gluster, iscsi, iscsi-direct, rbd, sheepdog, vstorage.
pub fn is_shared_type(ty: PoolType) -> bool {
    matches!(
        ty,
        PoolType::Netfs
            | PoolType::Gluster
            | PoolType::Iscsi
            | PoolType::IscsiDirect
            | PoolType::Rbd
            | PoolType::Sheepdog
            | PoolType::Vstorage
    )
}

/// One network storage source and what the fleet's hosts see of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedSource {
    /// The pool type it is used through.
    #[serde(rename = "type")]
    pub pool_type: PoolType,
    /// Its source fields (host, export, volume, IQN, format, ...), by name.
    pub source: BTreeMap<String, FieldValue>,
    /// The pools on the hosts that use it.
    pub pools: Vec<SharedPool>,
    /// Its volumes, by name, and who sees them.
    pub volumes: Vec<SharedVolume>,
}

/// A host's pool on a shared source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedPool {
    /// The host's label.
    pub host: String,
    /// The pool's name there.
    pub pool: String,
    /// Its target there.
    pub target: Option<String>,
    /// Whether it runs (only running pools show volumes).
    pub running: bool,
}

/// A volume of a shared source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedVolume {
    /// Its name (the same on every host that sees it).
    pub name: String,
    /// Each host that sees it, with its key, path and sizes there.
    pub seen: Vec<VolumeSighting>,
    /// Hosts whose pool on this source runs but does not list it (refresh it).
    pub missing_on: Vec<String>,
    /// True when every host reports the same capacity.
    pub sizes_agree: bool,
    /// True when every host reports the same key (netfs keys are local paths, so they
    /// agree only where the targets do).
    pub keys_agree: bool,
}

/// One host's view of a shared volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeSighting {
    /// The host's label.
    pub host: String,
    /// The pool it is seen through.
    pub pool: String,
    /// The volume's key there.
    pub key: String,
    /// Its path there.
    pub path: String,
    /// Its capacity there.
    pub capacity: Size,
    /// Its allocation there.
    pub allocation: Size,
}

/// The fleet's shared storage: each source with its pools and volumes; the hosts that
/// could not be asked, with why.
#[derive(Debug)]
pub struct SharedStorage {
    /// Every shared source some host uses, ordered by type and source.
    pub sources: Vec<SharedSource>,
    /// Hosts that could not be asked: label and error.
    pub errors: Vec<(String, Error)>,
}

impl SharedStorage {
    /// The volume called `name`, with its source (the first source that has one).
    pub fn volume(&self, name: &str) -> Option<(&SharedSource, &SharedVolume)> {
        self.sources
            .iter()
            .find_map(|s| s.volumes.iter().find(|v| v.name == name).map(|v| (s, v)))
    }

    /// As JSON (schema `kvmpool-fleet/1`, operation `shared-storage`): `{ "sources":
    /// [ { "type", "source": {field: value}, "pools": [ { "host", "pool", "target",
    /// "running" } ], "volumes": [ { "name", "seen": [ { "host", "pool", "key",
    /// "path", "capacity", "allocation" } ], "missing_on": [labels], "sizes_agree",
    /// "keys_agree" } ] } ], "errors": [ { "host", "error" } ] }` (sizes in bytes).
    pub fn to_json(&self) -> String {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|(h, e)| json!({ "host": h, "error": error_json(e) }))
            .collect();
        document(
            "shared-storage",
            json!({ "sources": self.sources, "errors": errors }),
        )
    }
}

/// A field that differs between two hosts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDifference {
    /// The field's name ([`PoolField`] names, or `type`).
    pub field: String,
    /// Its value on the first host.
    pub a: FieldValue,
    /// Its value on the second host.
    pub b: FieldValue,
}

/// Whether a pool is the same on two hosts (see [`Fleet::migration_check`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrationCheck {
    /// The pool's name.
    pub pool: String,
    /// The first host's label.
    pub host_a: String,
    /// The second host's label.
    pub host_b: String,
    /// True when a guest's disks in this pool are at the same place on both hosts,
    /// on the same shared storage: the pool exists and runs on both, it is of a
    /// shared type, and type, source and target agree.
    pub compatible: bool,
    /// True when the pool type is network storage ([`is_shared_type`]).
    pub shared: bool,
    /// Type, source and target fields that differ.
    pub differences: Vec<FieldDifference>,
    /// Access and tuning fields that differ (permissions, credentials, initiator,
    /// mount options): worth knowing, not in the way of a migration.
    pub other_differences: Vec<FieldDifference>,
    /// What else stands in the way: a pool missing or stopped on a host, storage that
    /// is not shared.
    pub problems: Vec<String>,
}

impl MigrationCheck {
    /// As JSON (schema `kvmpool-fleet/1`, operation `migration-check`), with the
    /// keys of this struct.
    pub fn to_json(&self) -> String {
        document(
            "migration-check",
            serde_json::to_value(self).expect("a migration check always serialises"),
        )
    }
}

/// What one host has of a pool, as the shared views read it.
struct SeenPool {
    name: String,
    spec: PoolSpec,
    running: bool,
    volumes: Vec<VolumeEntry>,
}

/// The source fields of a spec, by name: what says which storage it is.
fn source_of(spec: &PoolSpec) -> BTreeMap<String, FieldValue> {
    spec.fields()
        .into_iter()
        .filter(|(f, _)| f.role() == FieldRole::Source)
        .map(|(f, v)| (f.as_str().to_owned(), v))
        .collect()
}

impl Fleet {
    /// Every shared source the hosts use (pools of [`is_shared_type`] types), and for
    /// each of its volumes which hosts see it, by key and path, and whether their
    /// sizes agree. With `refresh`, every running shared pool is refreshed first (a
    /// volume made through one host shows on the others only after a refresh).
    pub fn shared_storage(&self, refresh: bool) -> SharedStorage {
        let results = self.run_all("shared-storage", move |_, conn| {
            let mut seen = Vec::new();
            for pool in conn.list_pools(&PoolFilter::all())? {
                let spec = match pool.spec() {
                    Ok(s) => s,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                if !is_shared_type(spec.pool_type()) {
                    continue;
                }
                let mut running = pool.is_active()?;
                if running && refresh {
                    match pool.refresh() {
                        Err(e) if e.kind() == ErrorKind::State => running = false,
                        other => other?,
                    }
                }
                let volumes = if running {
                    pool.volume_details(false)?
                } else {
                    Vec::new()
                };
                seen.push(SeenPool {
                    name: pool.name().to_owned(),
                    spec,
                    running,
                    volumes,
                });
            }
            Ok(seen)
        });
        let mut by_source: BTreeMap<String, SharedSource> = BTreeMap::new();
        let mut errors = Vec::new();
        // volume name -> sightings, per source key
        let mut sightings: BTreeMap<String, BTreeMap<String, Vec<VolumeSighting>>> =
            BTreeMap::new();
        for h in results.hosts {
            let pools = match h.result {
                Ok(p) => p,
                Err(e) => {
                    errors.push((h.host, e));
                    continue;
                }
            };
            for p in pools {
                let source = source_of(&p.spec);
                let key = format!("{} {source:?}", p.spec.pool_type());
                let entry = by_source
                    .entry(key.clone())
                    .or_insert_with(|| SharedSource {
                        pool_type: p.spec.pool_type(),
                        source,
                        pools: Vec::new(),
                        volumes: Vec::new(),
                    });
                entry.pools.push(SharedPool {
                    host: h.host.clone(),
                    pool: p.name.clone(),
                    target: p.spec.target_path(),
                    running: p.running,
                });
                let vols = sightings.entry(key).or_default();
                for v in p.volumes {
                    vols.entry(v.name).or_default().push(VolumeSighting {
                        host: h.host.clone(),
                        pool: p.name.clone(),
                        key: v.key,
                        path: v.path,
                        capacity: v.capacity,
                        allocation: v.allocation,
                    });
                }
            }
        }
        for (key, source) in &mut by_source {
            let running: Vec<&str> = source
                .pools
                .iter()
                .filter(|p| p.running)
                .map(|p| p.host.as_str())
                .collect();
            for (name, seen) in sightings.remove(key).unwrap_or_default() {
                let missing_on = running
                    .iter()
                    .filter(|h| !seen.iter().any(|s| s.host == **h))
                    .map(|h| (*h).to_owned())
                    .collect();
                source.volumes.push(SharedVolume {
                    sizes_agree: seen.windows(2).all(|w| w[0].capacity == w[1].capacity),
                    keys_agree: seen.windows(2).all(|w| w[0].key == w[1].key),
                    name,
                    seen,
                    missing_on,
                });
            }
        }
        SharedStorage {
            sources: by_source.into_values().collect(),
            errors,
        }
    }

    /// Whether `pool` is the same on hosts `a` and `b` (labels), as migrating a guest
    /// whose disks are in it needs: the pool defined and running on both, of a shared
    /// type, with the same type, source and target (each field compared through the
    /// field table; the differing ones are named). Read from the running definitions.
    /// Fails when a label is unknown, the two are the same, or a host cannot be
    /// reached.
    pub fn migration_check(&self, a: &str, b: &str, pool: &str) -> Result<MigrationCheck> {
        if a == b {
            return Err(Error::invalid("host_b", "must be another host than host_a"));
        }
        let hosts = vec![Arc::clone(self.host(a)?), Arc::clone(self.host(b)?)];
        let name = pool.to_owned();
        let start = Instant::now();
        let limits = Limits {
            concurrency: 2,
            connect_timeout: self.options.connect_timeout,
            deadline: Some(start + self.options.timeout),
        };
        let mut seen = run_on_hosts(hosts, limits, move |_, conn| {
            let Some(p) = conn.find_pool(&name)? else {
                return Ok(None);
            };
            Ok(Some((p.spec()?, p.is_active()?)))
        })
        .into_iter()
        .map(|h| {
            let label = h.host;
            h.result.map_err(|e| e.context(format!("host {label}")))
        });
        let (sa, sb) = (
            seen.next().expect("two hosts")?,
            seen.next().expect("two hosts")?,
        );
        let mut check = MigrationCheck {
            pool: pool.to_owned(),
            host_a: a.to_owned(),
            host_b: b.to_owned(),
            compatible: false,
            shared: false,
            differences: Vec::new(),
            other_differences: Vec::new(),
            problems: Vec::new(),
        };
        for (label, s) in [(a, &sa), (b, &sb)] {
            match s {
                None => check
                    .problems
                    .push(format!("no pool {pool:?} is defined on {label}")),
                Some((_, false)) => check
                    .problems
                    .push(format!("pool {pool:?} is not running on {label}")),
                Some(_) => {}
            }
        }
        if let (Some((spec_a, _)), Some((spec_b, _))) = (&sa, &sb) {
            compare(&mut check, spec_a, spec_b);
        }
        check.compatible = check.problems.is_empty() && check.differences.is_empty();
        Ok(check)
    }
}

/// Fill in `check` from the two definitions.
fn compare(check: &mut MigrationCheck, a: &PoolSpec, b: &PoolSpec) {
    let (ta, tb) = (a.pool_type(), b.pool_type());
    check.shared = is_shared_type(ta) && is_shared_type(tb);
    if ta != tb {
        check.differences.push(FieldDifference {
            field: "type".into(),
            a: FieldValue::Text(ta.as_str().into()),
            b: FieldValue::Text(tb.as_str().into()),
        });
    }
    if !check.shared {
        let local = if is_shared_type(ta) { tb } else { ta };
        check.problems.push(format!(
            "{local} pools are local to each host: the same target holds different data \
             on each (a migration must copy the disks)"
        ));
    }
    let mut fields: Vec<PoolField> = a.fields().into_iter().map(|(f, _)| f).collect();
    for (f, _) in b.fields() {
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    for f in fields {
        let (va, vb) = (a.get(f), b.get(f));
        if va == vb {
            continue;
        }
        let diff = FieldDifference {
            field: f.as_str().to_owned(),
            a: va,
            b: vb,
        };
        match f.role() {
            FieldRole::Identity => {}
            FieldRole::Source | FieldRole::Target => check.differences.push(diff),
            FieldRole::Access | FieldRole::Tuning => check.other_differences.push(diff),
        }
    }
}
