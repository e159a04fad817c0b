//! libvirt objects owned so that releasing them never panics.
//!
//! The `virt` crate (0.5) releases its objects in `Drop` and panics when libvirt
//! reports an error there. A panic while another one unwinds aborts the process, and
//! the C header promises that kvmpool never aborts its host, so kvmpool never lets a
//! `virt` object reach its own `Drop`. What each `Drop` does (virt 0.5.0):
//!
//! - `Connect`: `virConnectClose`; panics when it returns -1.
//! - `StoragePool`: `virStoragePoolFree`; panics when it returns -1.
//! - `StorageVol`: `virStorageVolFree`; panics when it returns -1.
//! - `Stream`: `virStreamEventRemoveCallback` when a callback was added (panics when
//!   that fails; kvmpool adds none), then `virStreamFree`; panics when it returns -1.
//!   `Stream::finish` and `Stream::abort` take the stream by value and drop it.
//!
//! libvirt's free functions fail only for a pointer that is not a live object of their
//! type (`virCheck*Return`), which kvmpool never holds; the point is that no bug and no
//! future libvirt can turn a release into an abort.
//!
//! Every such object kvmpool holds is an [`Owned`]: it keeps the `virt` value in a
//! `ManuallyDrop`, so `virt`'s `Drop` never runs, and releases it with the libvirt call
//! itself. [`Owned::release`] returns that call's error; dropping an `Owned` ignores it
//! (there is nothing left to free). The `virt` calls that hand out new objects have
//! `Owned` counterparts here with the same names (so call sites read as before), and
//! `clippy.toml` forbids calling `virt`'s own anywhere else. Where kvmpool got `virt`
//! objects before (and now gets `Owned` ones):
//!
//! - `Connect`: a connection's link (`conn.rs`; dropped on reconnect and with the
//!   connection), its per-call clones (`Connection::run`), a transfer's own link
//!   (`stream.rs`), the events link (`events.rs`, dropped on the reconnect thread).
//! - `StoragePool`: lookups and listings (`conn.rs`), the handle's cached object
//!   (`pool.rs`, replaced after a reconnect), `vol-pool` (`volume.rs`).
//! - `StorageVol`: lookups, listings and creations (`conn.rs`, `pool.rs`,
//!   `inventory.rs`), the handle's cached object (`volume.rs`), a transfer's volume on
//!   its own link (`stream.rs`).
//! - `Stream`: transfers (`stream.rs`), finished or aborted through [`Owned`]'s own
//!   `finish` and `abort`.

use std::ffi::c_int;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::Deref;

use virt::connect::Connect;
use virt::error::Error as VirtError;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;
use virt::sys;

use crate::error::Result;
use crate::libvirt;

/// A `virt` object type and the libvirt call that releases one reference to it.
pub(crate) trait Release {
    /// Release the reference `self` holds; libvirt's return value (-1: error).
    ///
    /// # Safety
    /// Called at most once per reference, and the object is not used afterwards.
    unsafe fn release_raw(&self) -> c_int;
}

impl Release for Connect {
    unsafe fn release_raw(&self) -> c_int {
        // SAFETY: the caller's contract; the pointer is the one this value holds.
        unsafe { sys::virConnectClose(self.as_ptr()) }
    }
}

impl Release for StoragePool {
    unsafe fn release_raw(&self) -> c_int {
        // SAFETY: as above.
        unsafe { sys::virStoragePoolFree(self.as_ptr()) }
    }
}

impl Release for StorageVol {
    unsafe fn release_raw(&self) -> c_int {
        // SAFETY: as above.
        unsafe { sys::virStorageVolFree(self.as_ptr()) }
    }
}

impl Release for Stream {
    unsafe fn release_raw(&self) -> c_int {
        // kvmpool never adds a stream event callback, so there is none to remove
        // (virt's Drop would remove it first, and its boxed closure would leak here).
        // SAFETY: as above.
        unsafe { sys::virStreamFree(self.as_ptr()) }
    }
}

/// One reference to a libvirt object, released without panicking (see the module
/// documentation). Derefs to the `virt` type for everything else.
pub(crate) struct Owned<T: Release>(ManuallyDrop<T>);

/// A libvirt connection.
pub(crate) type Conn = Owned<Connect>;
/// A libvirt storage pool object.
pub(crate) type PoolObj = Owned<StoragePool>;
/// A libvirt storage volume object.
pub(crate) type VolObj = Owned<StorageVol>;
/// A libvirt stream.
pub(crate) type StreamObj = Owned<Stream>;

impl<T: Release> Owned<T> {
    /// Take over the reference `obj` holds.
    pub(crate) fn new(obj: T) -> Self {
        Owned(ManuallyDrop::new(obj))
    }

    /// Release the reference now, with libvirt's error if it reports one.
    pub(crate) fn release(self) -> Result<()> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so this is the only release.
        unsafe { this.release_once() }
    }

    /// # Safety
    /// Called once, by `release` or `drop`.
    unsafe fn release_once(&self) -> Result<()> {
        // SAFETY: the caller's contract; the `virt` value itself is never dropped.
        if unsafe { self.0.release_raw() } < 0 {
            return Err(libvirt::error(VirtError::last_error()));
        }
        Ok(())
    }
}

impl<T: Release> Drop for Owned<T> {
    fn drop(&mut self) {
        // A failure means libvirt did not know the object: there is nothing to free.
        // SAFETY: drop runs once, and `release` keeps it from running after itself.
        let _ = unsafe { self.release_once() };
    }
}

impl<T: Release> Deref for Owned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A new reference (`virConnectRef` and the like, through `virt`'s `Clone`, which
/// panics only when libvirt does not know the object: never for one held here, and a
/// panic there unwinds normally, it is no release).
impl<T: Release + Clone> Clone for Owned<T> {
    fn clone(&self) -> Self {
        Owned::new((*self.0).clone())
    }
}

impl<T: Release + fmt::Debug> fmt::Debug for Owned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn own_all<T: Release>(
    objs: std::result::Result<Vec<T>, VirtError>,
) -> std::result::Result<Vec<Owned<T>>, VirtError> {
    objs.map(|v| v.into_iter().map(Owned::new).collect())
}

// The `virt` calls that make new objects, as `Owned` ones. Same names and results as
// `virt`'s, so the callers map errors as before.
#[allow(clippy::disallowed_methods)]
impl Conn {
    /// `virConnectOpen`, or `virConnectOpenReadOnly` with `read_only`.
    pub(crate) fn open(uri: Option<&str>, read_only: bool) -> std::result::Result<Conn, VirtError> {
        let opened = if read_only {
            Connect::open_read_only(uri)
        } else {
            Connect::open(uri)
        };
        opened.map(Owned::new)
    }

    pub(crate) fn list_all_storage_pools(
        &self,
        flags: u32,
    ) -> std::result::Result<Vec<PoolObj>, VirtError> {
        own_all(self.0.list_all_storage_pools(flags))
    }

    pub(crate) fn lookup_storage_pool_by_name(
        &self,
        name: &str,
    ) -> std::result::Result<PoolObj, VirtError> {
        self.0.lookup_storage_pool_by_name(name).map(Owned::new)
    }

    pub(crate) fn lookup_storage_pool_by_uuid_string(
        &self,
        uuid: &str,
    ) -> std::result::Result<PoolObj, VirtError> {
        self.0
            .lookup_storage_pool_by_uuid_string(uuid)
            .map(Owned::new)
    }

    pub(crate) fn lookup_storage_pool_by_target_path(
        &self,
        path: &str,
    ) -> std::result::Result<PoolObj, VirtError> {
        self.0
            .lookup_storage_pool_by_target_path(path)
            .map(Owned::new)
    }

    pub(crate) fn define_storage_pool_xml(
        &self,
        xml: &str,
        flags: u32,
    ) -> std::result::Result<PoolObj, VirtError> {
        self.0.define_storage_pool_xml(xml, flags).map(Owned::new)
    }

    pub(crate) fn create_storage_pool_xml(
        &self,
        xml: &str,
        flags: u32,
    ) -> std::result::Result<PoolObj, VirtError> {
        self.0.create_storage_pool_xml(xml, flags).map(Owned::new)
    }

    pub(crate) fn lookup_storage_vol_by_key(
        &self,
        key: &str,
    ) -> std::result::Result<VolObj, VirtError> {
        self.0.lookup_storage_vol_by_key(key).map(Owned::new)
    }

    pub(crate) fn lookup_storage_vol_by_path(
        &self,
        path: &str,
    ) -> std::result::Result<VolObj, VirtError> {
        self.0.lookup_storage_vol_by_path(path).map(Owned::new)
    }

    /// `virStreamNew` on this connection.
    pub(crate) fn new_stream(&self, flags: u32) -> std::result::Result<StreamObj, VirtError> {
        Stream::new(&self.0, flags).map(Owned::new)
    }
}

#[allow(clippy::disallowed_methods)]
impl PoolObj {
    pub(crate) fn list_all_volumes(
        &self,
        flags: u32,
    ) -> std::result::Result<Vec<VolObj>, VirtError> {
        own_all(self.0.list_all_volumes(flags))
    }

    pub(crate) fn lookup_storage_vol_by_name(
        &self,
        name: &str,
    ) -> std::result::Result<VolObj, VirtError> {
        self.0.lookup_storage_vol_by_name(name).map(Owned::new)
    }

    /// `virStorageVolCreateXML` in this pool.
    pub(crate) fn create_vol_xml(
        &self,
        xml: &str,
        flags: u32,
    ) -> std::result::Result<VolObj, VirtError> {
        StorageVol::create_xml(&self.0, xml, flags).map(Owned::new)
    }

    /// `virStorageVolCreateXMLFrom` in this pool, copying `source`.
    pub(crate) fn create_vol_xml_from(
        &self,
        xml: &str,
        source: &VolObj,
        flags: u32,
    ) -> std::result::Result<VolObj, VirtError> {
        StorageVol::create_xml_from(&self.0, xml, &source.0, flags).map(Owned::new)
    }
}

#[allow(clippy::disallowed_methods)]
impl VolObj {
    pub(crate) fn lookup_storage_pool(&self) -> std::result::Result<PoolObj, VirtError> {
        self.0.lookup_storage_pool().map(Owned::new)
    }
}

impl StreamObj {
    /// `virStreamFinish`, then release the stream.
    pub(crate) fn finish(self) -> Result<()> {
        // SAFETY: the stream pointer is valid while `self` holds it.
        let finished = unsafe { sys::virStreamFinish(self.as_ptr()) };
        self.after(finished)
    }

    /// `virStreamAbort`, then release the stream.
    pub(crate) fn abort(self) -> Result<()> {
        // SAFETY: as above.
        let aborted = unsafe { sys::virStreamAbort(self.as_ptr()) };
        self.after(aborted)
    }

    /// The error of a stream call that returned `rc` (read before the release
    /// resets libvirt's last error), then the release's own.
    fn after(self, rc: c_int) -> Result<()> {
        let call = if rc < 0 {
            Err(libvirt::error(VirtError::last_error()))
        } else {
            Ok(())
        };
        let released = self.release();
        call.and(released)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::ptr::null_mut;

    /// Objects libvirt does not know: what a release would meet after a bug.
    fn unknown_objects() -> (Connect, StoragePool, StorageVol, Stream) {
        // SAFETY: null pointers, which libvirt's calls check and refuse; the values are
        // only released, never used.
        unsafe {
            (
                Connect::from_ptr(null_mut()),
                StoragePool::from_ptr(null_mut()),
                StorageVol::from_ptr(null_mut()),
                Stream::from_ptr(null_mut()),
            )
        }
    }

    fn unknown_objects_owned() -> (Conn, PoolObj, VolObj, StreamObj) {
        let (c, p, v, s) = unknown_objects();
        (Owned::new(c), Owned::new(p), Owned::new(v), Owned::new(s))
    }

    #[test]
    fn virt_drops_panic_when_libvirt_refuses_the_release() {
        // Why `Owned` exists: each of these panics (and during an unwind, aborts).
        libvirt::init();
        let (c, p, v, s) = unknown_objects();
        assert!(catch_unwind(AssertUnwindSafe(|| drop(c))).is_err());
        assert!(catch_unwind(AssertUnwindSafe(|| drop(p))).is_err());
        assert!(catch_unwind(AssertUnwindSafe(|| drop(v))).is_err());
        assert!(catch_unwind(AssertUnwindSafe(|| drop(s))).is_err());
    }

    #[test]
    fn owned_objects_report_a_refused_release_and_never_panic() {
        libvirt::init();
        let (c, p, v, s) = unknown_objects();
        for (what, released) in [
            ("connection", Owned::new(c).release()),
            ("pool", Owned::new(p).release()),
            ("volume", Owned::new(v).release()),
            ("stream", Owned::new(s).release()),
        ] {
            let e = released.expect_err(what);
            assert!(e.libvirt_code().is_some(), "{what}: {e}");
        }
        let (c, p, v, s) = unknown_objects();
        let dropped = catch_unwind(AssertUnwindSafe(|| {
            drop(Owned::new(c));
            drop(Owned::new(p));
            drop(Owned::new(v));
            drop(Owned::new(s));
        }));
        assert!(dropped.is_ok());
        // finish and abort report the call's error, then release without panicking
        let (c, p, v, s) = unknown_objects();
        let (c, p, v) = (Owned::new(c), Owned::new(p), Owned::new(v));
        assert!(Owned::new(s).finish().is_err());
        let (_, _, _, s) = unknown_objects_owned();
        assert!(s.abort().is_err());
        // and during an unwind, dropping them is harmless
        let unwound = catch_unwind(AssertUnwindSafe(move || {
            let _held = (c, p, v);
            panic!("an unrelated panic");
        }));
        assert!(unwound.is_err());
    }

    #[test]
    fn owned_objects_release_real_ones() {
        libvirt::init();
        let conn = Conn::open(Some("test:///default"), false).unwrap();
        let pools = conn.list_all_storage_pools(0).unwrap();
        assert!(!pools.is_empty());
        let pool = pools[0].clone();
        drop(pools);
        let vols = pool.list_all_volumes(0).unwrap();
        for v in vols {
            v.release().unwrap();
        }
        let other = conn.clone();
        pool.release().unwrap();
        other.release().unwrap();
        conn.release().unwrap();
        let conn = Conn::open(Some("test:///default"), true).unwrap();
        let stream = conn.new_stream(0).unwrap();
        stream.abort().unwrap();
        assert_eq!(
            conn.lookup_storage_pool_by_name("no-such-pool")
                .map_err(libvirt::error)
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    }
}
