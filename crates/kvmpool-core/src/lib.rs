//! kvmpool: libvirt storage pools and volumes as a typed library.
//!
//! - [`spec`]: typed pool and volume definitions ([`PoolSpec`], [`VolumeSpec`]) with
//!   libvirt-exact XML and validation before anything reaches libvirt.
//! - [`Size`]: sizes with libvirt's unit rules.
//! - [`Error`] and [`ErrorKind`]: one taxonomy for every front end.

pub mod error;
pub mod spec;
pub mod units;
pub mod xml;

pub use error::{Error, ErrorKind, LibvirtDetail, Result};
pub use spec::*;
pub use units::Size;
