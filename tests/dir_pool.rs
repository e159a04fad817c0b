//! The tutorial's directory pool, every pool and volume operation, on the live daemon
//! (uploads and downloads: tests/transfers.rs).

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
