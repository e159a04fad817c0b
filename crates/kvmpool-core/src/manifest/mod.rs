//! Declarative storage: a manifest says which pools and volumes a host has;
//! [`Connection::plan`](crate::Connection::plan) compares it with the host and lists
//! what would change; [`Connection::apply`](crate::Connection::apply) makes it so,
//! undoing its own steps when one fails.
//!
//! A manifest is TOML (or the same structure as JSON). The keys of a pool are the
//! fields of its type, by the names every front end uses (the Python constructors'
//! keywords: [`PoolType::fields`](crate::PoolType::fields)); the keys of a volume
//! are the [`VolumeField`](crate::VolumeField)s:
//!
//! ```toml
//! [[pool]]
//! name = "guest_images"
//! type = "dir"
//! target = "/guest_images"
//! build = "normal"     # never | normal | no-overwrite | overwrite (default: when starting shows the target missing)
//! start = true         # default true
//! autostart = true     # default: leave as is
//!
//!   [[pool.volume]]
//!   name = "vm1.qcow2"
//!   capacity = "10G"
//!   format = "qcow2"
//!
//!   [[pool.volume]]
//!   name = "debian.qcow2"
//!   image = "https://example.org/debian-12.qcow2"   # imported when the volume is missing
//!   sha256 = "..."                                   # capacity: the image's virtual size
//!
//! [[pool]]
//! xml = """<pool type='iscsi'>...</pool>"""   # any pool may be given as libvirt XML
//!
//! [policy]
//! prune_volumes = false    # delete volumes the manifest does not list
//! allow_recreate = false   # stop, undefine and define again when the type or source changes
//! allow_shrink = false
//! ```
//!
//! Everything wrong (unknown keys, wrong types, a key the pool type does not have,
//! duplicate names, values the spec rules refuse) is refused with the file, line and
//! column and the field, before anything is touched.

mod apply;
mod plan;
mod read;
mod tree;

use crate::options::BuildMode;
use crate::spec::{PoolSpec, VolumeSpec};

pub use apply::ApplyReport;
pub use plan::{Action, ActionKind, Blocked, Plan, PolicyView, PLAN_SCHEMA};

/// What a host should have: pools with their volumes, and how far `apply` may go.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The pools, in the order they are listed (and applied).
    pub pools: Vec<ManifestPool>,
    /// What `apply` may do beyond defining, starting and creating.
    pub policy: Policy,
}

/// A pool of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestPool {
    /// Its definition.
    pub spec: PoolSpec,
    /// When to build it.
    pub build: BuildPolicy,
    /// Whether it should be running (default: yes).
    pub start: bool,
    /// Whether it should start with the daemon; `None` leaves it as it is.
    pub autostart: Option<bool>,
    /// Its volumes (only these are looked at, unless `prune_volumes`).
    pub volumes: Vec<ManifestVolume>,
}

/// When `apply` builds a pool it defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildPolicy {
    /// Build (normally) when starting the new pool shows its target missing: a
    /// directory not there yet, a volume group not created yet. Leaves existing
    /// storage alone.
    #[default]
    WhenMissing,
    /// Never build.
    Never,
    /// Build the new pool in this mode before starting it.
    Always(BuildMode),
}

/// A volume of a manifest pool.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestVolume {
    /// Its definition. For a volume made from an image, a capacity of 0 means the
    /// image's virtual size and no format means the image's.
    pub spec: VolumeSpec,
    /// The disk image (a local file or an http(s) URL) a new volume is imported from
    /// (`image = "..."`, with `sha256`/`sha512` to verify it).
    pub image: Option<ManifestImage>,
}

/// Where a manifest volume's content comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestImage {
    /// A local path or an http(s) URL.
    pub source: String,
    /// Checksums the image must have.
    pub checksums: Vec<crate::Checksum>,
}

/// How far `apply` may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Delete volumes of listed pools that the manifest does not list.
    pub prune_volumes: bool,
    /// Stop, undefine and define a pool again when a field that cannot change in
    /// place (type, source, target) differs. Otherwise the plan refuses.
    pub allow_recreate: bool,
    /// Shrink volumes whose capacity is above the manifest's.
    pub allow_shrink: bool,
}

impl Manifest {
    /// Read a TOML manifest. Errors are located as `manifest:LINE:COLUMN`.
    ///
    /// Plan, apply, and plan again (empty: apply converged), on the test driver:
    ///
    /// ```
    /// use kvmpool_core::*;
    /// let manifest = Manifest::from_toml(r#"
    ///     [[pool]]
    ///     name = "guest_images"
    ///     type = "dir"
    ///     target = "/guest_images"
    ///
    ///       [[pool.volume]]
    ///       name = "vm1.qcow2"
    ///       capacity = "10G"
    ///       format = "qcow2"
    /// "#)?;
    /// let conn = Connection::open("test:///default")?;
    /// let plan = conn.plan(&manifest)?;
    /// assert!(!plan.is_empty());
    /// print!("{plan}");
    /// conn.apply(&plan)?;
    /// assert!(conn.plan(&manifest)?.is_empty());
    ///
    /// let e = Manifest::from_toml("[[pool]]\nname = 'p'\ntype = 'dir'\ntarget = '/p'\nvg = 'x'\n")
    ///     .unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidSpec);
    /// assert!(e.to_string().contains("manifest:5:1"), "{e}");
    /// # Ok::<(), kvmpool_core::Error>(())
    /// ```
    pub fn from_toml(text: &str) -> crate::Result<Manifest> {
        Manifest::from_toml_named("manifest", text)
    }

    /// Read a TOML manifest, locating errors in `file`.
    pub fn from_toml_named(file: &str, text: &str) -> crate::Result<Manifest> {
        let source = tree::Source { file, text };
        read::manifest(&source, tree::from_toml(&source)?)
    }

    /// Read a JSON manifest (the same structure). Errors are located by their field
    /// path (JSON keeps no positions), syntax errors by line and column.
    pub fn from_json(text: &str) -> crate::Result<Manifest> {
        Manifest::from_json_named("manifest", text)
    }

    /// Read a JSON manifest, naming `file` in errors.
    pub fn from_json_named(file: &str, text: &str) -> crate::Result<Manifest> {
        let source = tree::Source { file, text };
        read::manifest(&source, tree::from_json(&source)?)
    }

    /// Read a manifest file: JSON when its name ends in `.json`, TOML otherwise.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> crate::Result<Manifest> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::io(format!("cannot read {}", path.display()), e))?;
        let name = path.display().to_string();
        if path.extension().is_some_and(|e| e == "json") {
            Manifest::from_json_named(&name, &text)
        } else {
            Manifest::from_toml_named(&name, &text)
        }
    }
}

#[cfg(test)]
mod tests;
