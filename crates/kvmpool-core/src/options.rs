//! Typed options and results of pool and volume operations. libvirt's numeric flags
//! and states are mapped to and from these in `libvirt.rs` only.

use crate::spec::names::string_enum;
use crate::spec::{PoolType, VolumeType};
use crate::units::Size;

string_enum! {
    /// How `pool-build` treats what is already there.
    pub enum BuildMode {
        /// libvirt's default for the pool type.
        Normal = "normal",
        /// Overwrite existing data (mkfs, new label, new volume group).
        Overwrite = "overwrite",
        /// Refuse when the device already holds data.
        NoOverwrite = "no-overwrite",
    }
}

string_enum! {
    /// How `pool-delete` and `vol-delete` remove data.
    pub enum DeleteMode {
        /// Remove.
        Normal = "normal",
        /// Zero the data first.
        Zeroed = "zeroed",
    }
}

string_enum! {
    /// `vol-wipe` algorithms. All but `zero` (and `trim`) need the `scrub` tool on the host.
    pub enum WipeAlgorithm {
        Zero = "zero", Nnsa = "nnsa", Dod = "dod", Bsi = "bsi", Gutmann = "gutmann",
        Schneier = "schneier", Pfitzner7 = "pfitzner7", Pfitzner33 = "pfitzner33",
        Random = "random", Trim = "trim",
    }
}

/// `vol-wipe` without `--algorithm`: libvirt's default, zeros.
impl Default for WipeAlgorithm {
    fn default() -> Self {
        WipeAlgorithm::Zero
    }
}

string_enum! {
    /// Pool state, as libvirt reports it.
    pub enum PoolState {
        Inactive = "inactive", Building = "building", Running = "running",
        Degraded = "degraded", Inaccessible = "inaccessible",
    }
}

/// `pool-info`: state and sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolInfo {
    /// State.
    pub state: PoolState,
    /// Total size.
    pub capacity: Size,
    /// Used by volumes.
    pub allocation: Size,
    /// Free.
    pub available: Size,
}

/// `vol-info`: type and sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumeInfo {
    /// What the volume is on the host.
    pub volume_type: VolumeType,
    /// Logical size.
    pub capacity: Size,
    /// Space used on the host.
    pub allocation: Size,
}

/// How `vol-resize` changes the capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resize {
    /// The new capacity, or with `delta` the amount to add (or, with `shrink`, remove).
    pub capacity: Size,
    /// `capacity` is relative to the current capacity.
    pub delta: bool,
    /// Allow the capacity to go down (libvirt refuses otherwise).
    pub shrink: bool,
    /// Allocate the new space instead of leaving it sparse.
    pub allocate: bool,
}

/// `to 2 GiB`, `by +1 GiB`, `by -1 GiB`, as a log shows it.
impl std::fmt::Display for Resize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.delta, self.shrink) {
            (false, _) => write!(f, "to {}", self.capacity),
            (true, false) => write!(f, "by +{}", self.capacity),
            (true, true) => write!(f, "by -{}", self.capacity),
        }
    }
}

impl Resize {
    /// Set the capacity to exactly `capacity` (grow only).
    pub fn to(capacity: Size) -> Self {
        Resize {
            capacity,
            delta: false,
            shrink: false,
            allocate: false,
        }
    }

    /// `virsh vol-resize VOL CAPACITY [--delta] [--shrink] [--allocate]`: `capacity`
    /// is a size (`"2G"`); virsh allows a leading `-` for convenience, only with
    /// `--shrink` (the amount is then taken without its sign).
    pub fn from_virsh(
        capacity: &str,
        delta: bool,
        shrink: bool,
        allocate: bool,
    ) -> crate::Result<Resize> {
        let text = capacity.trim_start();
        let text = match text.strip_prefix('-') {
            Some(_) if !shrink => {
                return Err(crate::Error::invalid(
                    "capacity",
                    format!("{capacity:?}: a negative size needs --shrink"),
                ))
            }
            Some(rest) => rest,
            None => text,
        };
        let capacity = Size::parse(text).map_err(|e| e.with_field("capacity"))?;
        Ok(Resize {
            capacity,
            delta,
            shrink,
            allocate,
        })
    }

    /// Grow by `by`.
    pub fn grow_by(by: Size) -> Self {
        Resize {
            delta: true,
            ..Resize::to(by)
        }
    }

    /// Allow shrinking.
    pub fn shrink(mut self) -> Self {
        self.shrink = true;
        self
    }

    /// Allocate the new space.
    pub fn allocate(mut self) -> Self {
        self.allocate = true;
        self
    }
}

/// Which pools `list_pools` returns; `None` means "either".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolFilter {
    /// Only running (`true`) or only inactive (`false`) pools.
    pub active: Option<bool>,
    /// Only persistent (`true`) or only transient (`false`) pools.
    pub persistent: Option<bool>,
    /// Only pools with (`true`) or without (`false`) autostart.
    pub autostart: Option<bool>,
    /// Only pools of these types (empty: all types).
    pub types: Vec<PoolType>,
}

impl PoolFilter {
    /// Every pool (`pool-list --all`).
    pub fn all() -> Self {
        PoolFilter::default()
    }

    /// Running pools only (`pool-list`).
    pub fn active() -> Self {
        PoolFilter {
            active: Some(true),
            ..PoolFilter::default()
        }
    }
}

/// What `ensure_pool` should make true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnsureOptions {
    /// Build the pool (with this mode) when this call defines or redefines it.
    pub build: Option<BuildMode>,
    /// Start the pool if it is not running.
    pub start: bool,
    /// Set autostart to this value.
    pub autostart: Option<bool>,
}

impl Default for EnsureOptions {
    fn default() -> Self {
        EnsureOptions {
            build: Some(BuildMode::Normal),
            start: true,
            autostart: None,
        }
    }
}

/// A change `ensure_pool` made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnsureAction {
    /// The pool did not exist and was defined.
    Defined,
    /// The pool existed with a different definition and was redefined.
    Redefined,
    /// The pool was built.
    Built,
    /// The pool was started.
    Started,
    /// Autostart was set to this value.
    Autostart(bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virsh_resize_arguments() {
        let r = Resize::from_virsh("2G", false, false, false).unwrap();
        assert_eq!(r, Resize::to(Size::gib(2)));
        let r = Resize::from_virsh("-1M", true, true, false).unwrap();
        assert_eq!(r, Resize::grow_by(Size::mib(1)).shrink());
        let e = Resize::from_virsh("-1M", true, false, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "capacity: \"-1M\": a negative size needs --shrink"
        );
        let e = Resize::from_virsh("lots", false, false, false).unwrap_err();
        assert_eq!(e.field(), Some("capacity"));
        assert_eq!(e.kind(), crate::ErrorKind::InvalidSpec);
    }
}
