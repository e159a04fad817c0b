//! The tutorial's directory pool, every pool and volume operation, on the live daemon.

mod support;

use kvmpool::*;
use support::*;

fn dir_pool(live: &Live, prefix: &str) -> (Pool, PoolCleanup, std::path::PathBuf) {
    let conn = live.conn();
    let target = live.dir.join(unique(prefix));
    let name = unique(prefix);
    let spec: PoolSpec = DirPool::new(&name, target.to_str().unwrap()).into();
    let pool = conn.define_pool(&spec).unwrap();
    let cleanup = PoolCleanup::with_delete(&pool);
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    (pool, cleanup, target)
}

#[test]
fn tutorial_define_build_start_autostart() {
    let Some(live) = live("tutorial_define_build_start_autostart") else {
        return;
    };
    let conn = live.conn();
    let name = unique("test");
    let target = live.dir.join(&name);
    // pool-define-as test dir --target "/guest_images/"
    let spec: PoolSpec = DirPool::new(&name, format!("{}/", target.display())).into();
    let pool = conn.define_pool(&spec).unwrap();
    let _cleanup = PoolCleanup::with_delete(&pool);

    // pool-list --all: inactive, autostart no, persistent
    let listed = conn.list_pools(&PoolFilter::all()).unwrap();
    assert!(listed.iter().any(|p| p.name() == name));
    assert!(!conn
        .list_pools(&PoolFilter::active())
        .unwrap()
        .iter()
        .any(|p| p.name() == name));
    assert_eq!(pool.info().unwrap().state, PoolState::Inactive);
    assert!(!pool.autostart().unwrap());
    assert!(pool.is_persistent().unwrap());

    // the target does not exist yet: pool-build, then pool-start, pool-autostart
    assert!(!target.exists());
    pool.build(BuildMode::Normal).unwrap();
    assert!(target.is_dir());
    pool.start().unwrap();
    pool.set_autostart(true).unwrap();

    let info = pool.info().unwrap();
    assert_eq!(info.state, PoolState::Running);
    assert!(info.capacity > Size::ZERO && info.available <= info.capacity);
    assert!(pool.autostart().unwrap());
    let running = conn
        .list_pools(&PoolFilter {
            autostart: Some(true),
            ..PoolFilter::active()
        })
        .unwrap();
    assert!(running.iter().any(|p| p.name() == name));

    // pool-uuid, pool-name and the other lookups find the same pool
    assert_eq!(conn.pool_by_uuid(pool.uuid()).unwrap().name(), name);
    assert_eq!(conn.pool(&name).unwrap().uuid(), pool.uuid());
    assert_eq!(
        conn.pool_by_target_path(target.to_str().unwrap())
            .unwrap()
            .name(),
        name
    );

    // pool-dumpxml gives back the definition, path cleaned up as libvirt does
    let PoolSpec::Dir(d) = pool.spec().unwrap() else {
        panic!("not a dir pool")
    };
    assert_eq!(d.target.path, target.to_str().unwrap());
    assert_eq!(d.uuid, Some(pool.uuid()));
    assert!(spec.satisfied_by(&PoolSpec::from_xml(&pool.xml_inactive().unwrap()).unwrap()));

    pool.refresh().unwrap();
    pool.destroy().unwrap();
    assert!(!pool.is_active().unwrap());
    pool.delete(DeleteMode::Normal).unwrap();
    assert!(!target.exists());
    pool.undefine().unwrap();
    assert_eq!(conn.pool(&name).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn volumes_create_list_info_clone_resize_wipe_delete() {
    let Some(live) = live("volumes_create_list_info_clone_resize_wipe_delete") else {
        return;
    };
    let (pool, _cleanup, target) = dir_pool(&live, "vols");
    let conn = pool.connection().clone();

    // vol-create-as qcow2 and raw
    let q = pool
        .create_volume(&VolumeSpec::new("vm1.qcow2", Size::gib(10)).format(VolumeFormat::Qcow2))
        .unwrap();
    let r = pool
        .create_volume(&VolumeSpec::new("vm1.raw", Size::mib(64)))
        .unwrap();
    assert_eq!(pool.volume_names().unwrap(), ["vm1.qcow2", "vm1.raw"]);
    assert_eq!(
        pool.volumes()
            .unwrap()
            .iter()
            .map(|v| v.name().to_owned())
            .collect::<Vec<_>>(),
        ["vm1.qcow2", "vm1.raw"]
    );

    // vol-info, vol-key, vol-path, vol-name, vol-pool, vol-dumpxml
    let info = q.info().unwrap();
    assert_eq!(info.volume_type, VolumeType::File);
    assert_eq!(info.capacity, Size::gib(10));
    assert!(
        info.allocation < Size::mib(1),
        "qcow2 starts small: {info:?}"
    );
    let path = q.path().unwrap();
    assert_eq!(path, target.join("vm1.qcow2").to_str().unwrap());
    assert_eq!(q.key(), path);
    assert_eq!(conn.volume_by_key(q.key()).unwrap().name(), "vm1.qcow2");
    assert_eq!(conn.volume_by_path(&path).unwrap().name(), "vm1.qcow2");
    assert_eq!(
        conn.volume_by_path(&path).unwrap().pool().unwrap().name(),
        pool.name()
    );
    let qspec = q.spec().unwrap();
    assert_eq!(qspec.format, Some(VolumeFormat::Qcow2));
    assert_eq!(qspec.key.as_deref(), Some(path.as_str()));
    assert!(r.physical().unwrap() >= Size::ZERO);

    // vol-clone keeps format and capacity
    let c = q.clone_as("vm2.qcow2", false).unwrap();
    assert_eq!(c.info().unwrap().capacity, Size::gib(10));
    assert_eq!(c.spec().unwrap().format, Some(VolumeFormat::Qcow2));

    // vol-create-from into another pool
    let (other, _other_cleanup, _) = dir_pool(&live, "other");
    let copy = other
        .create_volume_from(
            &VolumeSpec::new("copy.raw", Size::ZERO).format(VolumeFormat::Raw),
            &r,
        )
        .unwrap();
    assert_eq!(copy.info().unwrap().capacity, Size::mib(64));
    assert_eq!(copy.pool().unwrap().name(), other.name());

    // vol-resize: absolute grow, delta grow, shrink needs the flag, allocate
    r.resize(Resize::to(Size::mib(96))).unwrap();
    assert_eq!(r.info().unwrap().capacity, Size::mib(96));
    r.resize(Resize::grow_by(Size::mib(32))).unwrap();
    assert_eq!(r.info().unwrap().capacity, Size::mib(128));
    let e = r.resize(Resize::to(Size::mib(64))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidSpec, "{e}");
    r.resize(Resize::to(Size::mib(64)).shrink()).unwrap();
    assert_eq!(r.info().unwrap().capacity, Size::mib(64));
    r.resize(Resize::to(Size::mib(80)).allocate()).unwrap();
    assert!(r.info().unwrap().allocation >= Size::mib(80));
    q.resize(Resize::to(Size::gib(20))).unwrap();
    q.resize(Resize::to(Size::gib(15)).shrink()).unwrap();
    assert_eq!(q.info().unwrap().capacity, Size::gib(15));

    // vol-wipe (zero), then vol-delete
    r.wipe(WipeAlgorithm::Zero).unwrap();
    for v in [q, r, c] {
        v.delete(DeleteMode::Normal).unwrap();
    }
    assert!(pool.volume_names().unwrap().is_empty());
    copy.delete(DeleteMode::Normal).unwrap();
}

#[test]
fn upload_and_download_keep_bytes() {
    let Some(live) = live("upload_and_download_keep_bytes") else {
        return;
    };
    let (pool, _cleanup, _) = dir_pool(&live, "xfer");
    let scratch = live.scratch("xfer-files");
    let work = scratch.path();
    let src = work.join("data.img");
    sparse_file(&src, 32 << 20, &(0..32).collect::<Vec<_>>());
    let vol = pool
        .create_volume(&VolumeSpec::new("data.raw", Size::mib(32)))
        .unwrap();

    let progress = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = progress.clone();
    let opts = TransferOptions::default().progress(move |done, total| {
        seen.lock().unwrap().push((done, total));
        true
    });
    let up = vol.upload_file(&src, &opts).unwrap();
    assert_eq!(up.data_bytes, 32 << 20);
    let calls = progress.lock().unwrap().clone();
    assert!(calls.len() > 10, "progress reported per chunk");
    assert_eq!(calls.last().copied(), Some((32 << 20, 32 << 20)));
    assert!(
        calls.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress only grows"
    );

    let out = work.join("out.img");
    vol.download_file(&out, &TransferOptions::default())
        .unwrap();
    assert!(same_bytes(&src, &out));

    // offset and length: 1 MiB from offset 3 MiB
    let part = work.join("part.img");
    vol.download_file(
        &part,
        &TransferOptions::default().offset(3 << 20).length(1 << 20),
    )
    .unwrap();
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 1 << 20);
    let mut buf = Vec::new();
    vol.download_writer(
        &mut buf,
        &TransferOptions::default().offset(3 << 20).length(1 << 20),
    )
    .unwrap();
    assert_eq!(buf, std::fs::read(&part).unwrap());
    let whole = std::fs::read(&src).unwrap();
    assert_eq!(&buf[..], &whole[3 << 20..4 << 20]);

    // upload from a reader at an offset
    let patch = vec![0xabu8; 4096];
    vol.upload_reader(
        &patch[..],
        4096,
        &TransferOptions::default().offset(1 << 20),
    )
    .unwrap();
    let mut back = Vec::new();
    vol.download_writer(
        &mut back,
        &TransferOptions::default().offset(1 << 20).length(4096),
    )
    .unwrap();
    assert_eq!(back, patch);
}

/// TransferOptions::progress's contract: the callback runs on the thread that called
/// the transfer (the C API's `void *userdata` and Python rely on it), although every
/// transfer moves its data through a worker thread.
#[test]
fn progress_runs_on_the_calling_thread() {
    let Some(live) = live("progress_runs_on_the_calling_thread") else {
        return;
    };
    let (pool, _cleanup, _) = dir_pool(&live, "thread");
    let scratch = live.scratch("thread-files");
    let src = scratch.path().join("data.img");
    sparse_file(&src, 16 << 20, &[0, 1, 2, 5, 9, 15]);

    /// Options whose progress records the thread of each call; and the records.
    fn recording() -> (
        TransferOptions,
        std::sync::Arc<std::sync::Mutex<Vec<std::thread::ThreadId>>>,
    ) {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let opts = TransferOptions::default().progress(move |_, _| {
            record.lock().unwrap().push(std::thread::current().id());
            true
        });
        (opts, seen)
    }
    // Each transfer runs on a thread of its own, so that "the caller's thread" is
    // not simply the test's.
    let on_new_thread = |what: &str, transfer: &(dyn Fn(&TransferOptions) + Sync)| {
        for sparse in [false, true] {
            let (opts, seen) = recording();
            let opts = opts.sparse(sparse);
            let caller = std::thread::scope(|s| {
                s.spawn(|| {
                    transfer(&opts);
                    std::thread::current().id()
                })
                .join()
                .unwrap()
            });
            let seen = seen.lock().unwrap();
            assert!(
                seen.len() > 4,
                "{what} (sparse {sparse}): {} calls",
                seen.len()
            );
            assert!(
                seen.iter().all(|id| *id == caller),
                "{what} (sparse {sparse}): progress ran on another thread"
            );
        }
    };

    let vol = pool
        .create_volume(&VolumeSpec::new("t.raw", Size::mib(16)))
        .unwrap();
    on_new_thread("upload_file", &|o| {
        vol.upload_file(&src, o).unwrap();
    });
    on_new_thread("upload_reader", &|o| {
        let data = std::fs::read(&src).unwrap();
        vol.upload_reader(&data[..], data.len() as u64, o).unwrap();
    });
    on_new_thread("download_file", &|o| {
        vol.download_file(scratch.path().join("out.img"), o)
            .unwrap();
    });
    on_new_thread("download_writer", &|o| {
        vol.download_writer(std::io::sink(), o).unwrap();
    });
    on_new_thread("create_volume_from_file", &|o| {
        let name = unique("from-file");
        let (v, _) = pool
            .create_volume_from_file(&VolumeSpec::new(name.as_str(), Size::ZERO), &src, o)
            .unwrap();
        v.delete(DeleteMode::Normal).unwrap();
    });
}

#[test]
fn sparse_transfer_of_1gib_with_2mib_data() {
    let Some(live) = live("sparse_transfer_of_1gib_with_2mib_data") else {
        return;
    };
    let (pool, _cleanup, _) = dir_pool(&live, "sparse");
    let scratch = live.scratch("sparse-files");
    let work = scratch.path();
    let src = work.join("sparse.img");
    sparse_file(&src, 1 << 30, &[100, 900]);
    assert!(allocated(&src) <= 3 << 20);
    let vol = pool
        .create_volume(&VolumeSpec::new("s.raw", Size::gib(1)))
        .unwrap();

    let report = vol
        .upload_file(&src, &TransferOptions::default().sparse(true))
        .unwrap();
    assert_eq!(report.data_bytes, 2 << 20);
    assert_eq!(report.total(), 1 << 30);
    let info = vol.info().unwrap();
    assert!(
        info.allocation <= Size::mib(3),
        "holes stayed holes in the volume: {info:?}"
    );

    let out = work.join("sparse.out");
    let down = vol
        .download_file(&out, &TransferOptions::default().sparse(true))
        .unwrap();
    assert_eq!(down.data_bytes, 2 << 20);
    assert!(same_bytes(&src, &out));
    assert!(allocated(&out) <= 3 << 20, "holes stayed holes in the file");
}

/// libvirt applies a stream hole to a file volume by seeking past it and truncating
/// there: a sparse upload must neither shrink the volume nor leave old bytes where the
/// file has holes.
#[test]
fn sparse_upload_keeps_size_and_writes_the_files_holes_as_zeros() {
    let Some(live) = live("sparse_upload_keeps_size_and_writes_the_files_holes_as_zeros") else {
        return;
    };
    let (pool, _cleanup, target) = dir_pool(&live, "sparse-keep");
    let scratch = live.scratch("sparse-keep-files");
    // 3.5 MiB: data in MiB 0 and 2, holes in MiB 1 and the last half MiB.
    let src = scratch.path().join("src.img");
    sparse_file(&src, 7 << 19, &[0, 2]);
    let expect = |old_tail: u8| {
        let mut want = std::fs::read(&src).unwrap();
        want.resize(8 << 20, old_tail);
        want
    };
    let sparse = TransferOptions::default().sparse(true);

    // Into a volume full of old data: the holes overwrite it, the tail stays.
    let old = pool
        .create_volume(&VolumeSpec::new("old.raw", Size::mib(8)))
        .unwrap();
    old.upload_reader(
        &vec![0xaa; 8 << 20][..],
        8 << 20,
        &TransferOptions::default(),
    )
    .unwrap();
    old.upload_file(&src, &sparse).unwrap();
    assert_eq!(old.info().unwrap().capacity, Size::mib(8));
    assert!(std::fs::read(target.join("old.raw")).unwrap() == expect(0xaa));

    // A preallocated volume (libvirt will not shrink it): holes go as zeros.
    let whole = scratch.path().join("whole.img");
    sparse_file(&whole, 8 << 20, &[0, 2]);
    let full = pool
        .create_volume(&VolumeSpec::new("full.raw", Size::mib(8)).allocation(Size::mib(8)))
        .unwrap();
    full.upload_reader(
        &vec![0xbb; 8 << 20][..],
        8 << 20,
        &TransferOptions::default(),
    )
    .unwrap();
    let report = full.upload_file(&whole, &sparse).unwrap();
    assert_eq!((report.data_bytes, report.hole_bytes), (8 << 20, 0));
    assert_eq!(full.info().unwrap().capacity, Size::mib(8));
    assert!(std::fs::read(target.join("full.raw")).unwrap() == std::fs::read(&whole).unwrap());

    // Into an empty volume, and into one created for the file: holes stay holes.
    let empty = pool
        .create_volume(&VolumeSpec::new("empty.raw", Size::mib(8)))
        .unwrap();
    let report = empty.upload_file(&src, &sparse).unwrap();
    assert_eq!(report.data_bytes, 2 << 20);
    let (fresh, _) = pool
        .create_volume_from_file(&VolumeSpec::new("fresh.raw", Size::mib(8)), &src, &sparse)
        .unwrap();
    for vol in [&empty, &fresh] {
        let info = vol.info().unwrap();
        assert_eq!(info.capacity, Size::mib(8), "{}", vol.name());
        assert!(info.allocation <= Size::mib(3), "{}: {info:?}", vol.name());
        assert!(std::fs::read(target.join(vol.name())).unwrap() == expect(0));
    }
}

#[test]
fn cancelled_transfers_leave_nothing_behind() {
    let Some(live) = live("cancelled_transfers_leave_nothing_behind") else {
        return;
    };
    let (pool, _cleanup, _) = dir_pool(&live, "cancel");
    let scratch = live.scratch("cancel-files");
    let work = scratch.path();
    let src = work.join("data.img");
    sparse_file(&src, 16 << 20, &(0..16).collect::<Vec<_>>());

    // a volume created by the call is removed when the progress callback says stop
    let stop_half = TransferOptions::default().progress(|done, total| done < total / 2);
    let e = pool
        .create_volume_from_file(&VolumeSpec::new("new.raw", Size::ZERO), &src, &stop_half)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(pool.find_volume("new.raw").unwrap().is_none());

    // a cancelled download leaves the destination as it was
    let vol = pool
        .create_volume(&VolumeSpec::new("v.raw", Size::mib(16)))
        .unwrap();
    vol.upload_file(&src, &TransferOptions::default()).unwrap();
    let dest = work.join("existing.txt");
    std::fs::write(&dest, b"keep me").unwrap();
    let token = CancelToken::new();
    let t = token.clone();
    let opts = TransferOptions::default()
        .cancel_token(token)
        .progress(move |done, _| {
            if done > 4 << 20 {
                t.cancel();
            }
            true
        });
    assert_eq!(
        vol.download_file(&dest, &opts).unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");
    let leftovers: Vec<_> = std::fs::read_dir(work)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("kvmpool"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no partial download files: {leftovers:?}"
    );

    // an upload into an existing volume that is cancelled says it may be partial
    let e = vol
        .upload_file(
            &src,
            &TransferOptions::default().progress(|done, _| done < 1 << 20),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(e.to_string().contains("partly written"), "{e}");
}

/// TransferOptions::interrupt (what Python's Ctrl-C goes through): asked on the
/// calling thread while the transfer runs, and `true` stops it as a cancellation does.
#[test]
fn interrupted_transfers_stop_and_clean_up() {
    let Some(live) = live("interrupted_transfers_stop_and_clean_up") else {
        return;
    };
    let (pool, _cleanup, _) = dir_pool(&live, "interrupt");
    let scratch = live.scratch("interrupt-files");
    let work = scratch.path();
    let src = work.join("data.img");
    sparse_file(&src, 32 << 20, &(0..32).collect::<Vec<_>>());

    // Interrupts on the third check, from the thread that called.
    let third_check = || {
        let caller = std::thread::current().id();
        let checks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = checks.clone();
        let options = TransferOptions::default().interrupt(move || {
            assert_eq!(std::thread::current().id(), caller);
            // slow enough that the next check is due after the next chunk
            std::thread::sleep(INTERRUPT_EVERY);
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2
        });
        (options, checks)
    };

    let (options, checks) = third_check();
    let e = pool
        .create_volume_from_file(&VolumeSpec::new("new.raw", Size::ZERO), &src, &options)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(e.to_string().contains("interrupted"), "{e}");
    assert!(e.to_string().contains("removed again"), "{e}");
    assert_eq!(checks.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(pool.find_volume("new.raw").unwrap().is_none());

    let vol = pool
        .create_volume(&VolumeSpec::new("v.raw", Size::mib(32)))
        .unwrap();
    vol.upload_file(&src, &TransferOptions::default()).unwrap();
    let dest = work.join("existing.txt");
    std::fs::write(&dest, b"keep me").unwrap();
    let (options, _) = third_check();
    assert_eq!(
        vol.download_file(&dest, &options).unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");

    // a check that never interrupts changes nothing
    let options = TransferOptions::default().interrupt(|| false);
    let report = vol.download_file(work.join("whole.img"), &options).unwrap();
    assert_eq!(report.total(), 32 << 20);
}

#[test]
fn edit_keeps_unknown_xml_and_uuid() {
    let Some(live) = live("edit_keeps_unknown_xml_and_uuid") else {
        return;
    };
    let (pool, _cleanup, _) = dir_pool(&live, "edit");
    let mut spec = pool.persistent_spec().unwrap();
    let PoolSpec::Dir(d) = &mut spec else {
        panic!()
    };
    d.target.permissions = Some(Permissions::mode(0o750));
    pool.edit(&spec).unwrap();
    let PoolSpec::Dir(now) = pool.persistent_spec().unwrap() else {
        panic!()
    };
    assert_eq!(now.target.permissions.and_then(|p| p.mode), Some(0o750));
    assert_eq!(now.uuid, Some(pool.uuid()));

    let mut renamed = spec.clone();
    renamed.set_name("other-name");
    assert_eq!(
        pool.edit(&renamed).unwrap_err().kind(),
        ErrorKind::InvalidSpec
    );
}

#[test]
fn ensure_pool_is_idempotent_and_rolls_back() {
    let Some(live) = live("ensure_pool_is_idempotent_and_rolls_back") else {
        return;
    };
    let conn = live.conn();
    let name = unique("ensure");
    let target = live.dir.join(&name);
    let spec: PoolSpec = DirPool::new(&name, target.to_str().unwrap()).into();
    let options = EnsureOptions {
        autostart: Some(true),
        ..EnsureOptions::default()
    };
    let first = conn.ensure_pool(&spec, &options).unwrap();
    let _cleanup = PoolCleanup::with_delete(&first.pool);
    assert_eq!(
        first.actions,
        [
            EnsureAction::Defined,
            EnsureAction::Built,
            EnsureAction::Started,
            EnsureAction::Autostart(true)
        ]
    );
    let second = conn.ensure_pool(&spec, &options).unwrap();
    assert!(
        !second.changed(),
        "second call changes nothing: {:?}",
        second.actions
    );
    assert_eq!(second.pool.uuid(), first.pool.uuid());

    // a changed spec is a redefinition
    let changed: PoolSpec = DirPool::new(&name, target.to_str().unwrap())
        .permissions(Permissions::mode(0o750))
        .into();
    let third = conn.ensure_pool(&changed, &options).unwrap();
    assert_eq!(third.actions, [EnsureAction::Redefined]);

    // a failing step undoes what the call did: here start fails (target is a file)
    let bad_name = unique("ensure-bad");
    let blocker = live.dir.join(&bad_name);
    std::fs::write(&blocker, b"not a directory").unwrap();
    let bad: PoolSpec = DirPool::new(&bad_name, blocker.to_str().unwrap()).into();
    let err = conn
        .ensure_pool(
            &bad,
            &EnsureOptions {
                build: None,
                ..options
            },
        )
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::InvalidSpec, "{err}");
    assert!(
        conn.find_pool(&bad_name).unwrap().is_none(),
        "the pool it defined is gone"
    );
}

#[test]
fn inventory_lists_pools_and_volumes_as_json() {
    let Some(live) = live("inventory_lists_pools_and_volumes_as_json") else {
        return;
    };
    let (pool, _cleanup, _) = dir_pool(&live, "inv");
    for i in 0..20 {
        pool.create_volume(
            &VolumeSpec::new(format!("v{i:02}.qcow2"), Size::mib(1)).format(VolumeFormat::Qcow2),
        )
        .unwrap();
    }
    let conn = pool.connection();
    let inv = conn
        .inventory(&InventoryOptions {
            formats: true,
            ..InventoryOptions::default()
        })
        .unwrap();
    let entry = inv.pools.iter().find(|p| p.name == pool.name()).unwrap();
    assert_eq!(entry.volumes.len(), 20);
    assert_eq!(entry.volumes[0].name, "v00.qcow2");
    assert_eq!(entry.volumes[0].format.as_deref(), Some("qcow2"));
    assert_eq!(
        entry.volumes[3].path,
        pool.volume("v03.qcow2").unwrap().path().unwrap()
    );
    assert_eq!(entry.pool_type, PoolType::Dir);
    let json: serde_json::Value = serde_json::from_str(&inv.to_json()).unwrap();
    let pools = json["pools"].as_array().unwrap();
    let p = pools.iter().find(|p| p["name"] == pool.name()).unwrap();
    assert_eq!(p["volumes"].as_array().unwrap().len(), 20);
    assert_eq!(p["type"], "dir");
    assert_eq!(p["volumes"][0]["capacity"], 1 << 20);
}
