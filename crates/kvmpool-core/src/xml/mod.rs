//! libvirt storage XML with quick-xml: a small tree (`tree`), a consuming reader that
//! keeps what the model does not know (`read`), a writer that puts it back (`write`),
//! and the `<pool>` and `<volume>` mappings.

pub(crate) mod doc;
pub(crate) mod parts;
pub(crate) mod pool;
pub(crate) mod read;
pub(crate) mod tree;
pub(crate) mod volume;
pub(crate) mod write;

pub use pool::{FS_NAMESPACE, RBD_NAMESPACE};

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod lenient_tests;
