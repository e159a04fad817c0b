//! kvmpool: libvirt storage pools and volumes as a typed library.
//!
//! This crate re-exports [`kvmpool_core`], where everything lives; it exists so that
//! users depend on the short name and so that the workspace has one home for the
//! end-to-end tests and benches.
#![warn(missing_docs)]
pub use kvmpool_core::*;
