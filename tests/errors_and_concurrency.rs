//! Every error kind from a real failure (test driver and live daemon), nothing left
//! behind, and many threads on one pool.

mod support;

use std::sync::Arc;

use kvmpool::*;
use support::*;

#[test]
fn test_driver_failures_have_the_right_kind() {
    let (conn, _dir) = private_test_conn();
    let pool = conn.pool("default-pool").unwrap();

    let e = conn.pool("no-such-pool").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.libvirt_code(), Some(49), "VIR_ERR_NO_STORAGE_POOL");
    assert_eq!(pool.volume("nope").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        conn.volume_by_key("/nope").unwrap_err().kind(),
        ErrorKind::NotFound
    );

    pool.create_volume(&VolumeSpec::new("dup", Size::mib(1)))
        .unwrap();
    let e = pool
        .create_volume(&VolumeSpec::new("dup", Size::mib(1)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    let e = conn
        .define_pool(&DirPool::new("default-pool", "/x").into())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);

    let idle = conn
        .define_pool(&DirPool::new("idle", "/idle").into())
        .unwrap();
    let e = idle
        .create_volume(&VolumeSpec::new("v", Size::mib(1)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State, "pool not running: {e}");
    assert_eq!(idle.destroy().unwrap_err().kind(), ErrorKind::State);
    idle.start().unwrap();
    assert_eq!(idle.start().unwrap_err().kind(), ErrorKind::State);

    let e = Connection::open("test:///no/such/file.xml").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);
    let e = Connection::open("nosuchdriver:///x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);

    let bad: PoolSpec = DirPool::new("a/b", "relative").into();
    let e = conn.define_pool(&bad).unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidSpec, Some("name"))
    );
    assert!(conn.find_pool("a/b").unwrap_or(None).is_none());
    let e = conn
        .define_pool_xml("<pool type='dir'><name>x</name>")
        .unwrap_err();
    assert_eq!((e.kind(), e.field()), (ErrorKind::InvalidSpec, Some("xml")));
    assert!(conn.find_pool("x").unwrap().is_none());

    let e = pool
        .volume("dup")
        .unwrap()
        .download_file("/nonexistent-dir/out", &TransferOptions::default());
    assert!(matches!(
        e.unwrap_err().kind(),
        ErrorKind::Io | ErrorKind::Unsupported
    ));
    let e = pool
        .volume("dup")
        .unwrap()
        .upload_file("/nonexistent-file", &TransferOptions::default());
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Io);
}

#[test]
fn live_failures_have_the_right_kind_and_leave_nothing() {
    let Some(live) = live("live_failures_have_the_right_kind_and_leave_nothing") else {
        return;
    };
    let conn = live.conn();
    let name = unique("err");
    let pool = conn
        .define_pool(&DirPool::new(&name, live.dir.join(&name).to_str().unwrap()).into())
        .unwrap();
    let _cleanup = PoolCleanup::with_delete(&pool);
    pool.build(BuildMode::Normal).unwrap();
    // not running
    assert_eq!(
        pool.create_volume(&VolumeSpec::new("v", Size::mib(1)))
            .unwrap_err()
            .kind(),
        ErrorKind::State
    );
    pool.start().unwrap();
    let vol = pool
        .create_volume(&VolumeSpec::new("v.raw", Size::mib(4)))
        .unwrap();
    // shrink without the flag
    let e = vol.resize(Resize::to(Size::mib(2))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidSpec, "{e}");
    assert_eq!(vol.info().unwrap().capacity, Size::mib(4));
    // upload longer than the capacity: refused before a byte is sent
    let scratch = live.scratch("err");
    let big = scratch.path().join("big.img");
    sparse_file(&big, 8 << 20, &[0]);
    let e = vol
        .upload_file(&big, &TransferOptions::default())
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidSpec, Some("length"))
    );
    assert_eq!(
        vol.info().unwrap().allocation,
        Size::ZERO,
        "nothing was written"
    );
    // volume already exists, pool in use
    assert_eq!(
        pool.create_volume(&VolumeSpec::new("v.raw", Size::mib(1)))
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        pool.delete(DeleteMode::Normal).unwrap_err().kind(),
        ErrorKind::State
    );
    // wipe algorithms that need scrub work (scrub is installed by the env)
    vol.wipe(WipeAlgorithm::Nnsa).unwrap();
    // a bad format for the pool type never reaches libvirt
    let e = pool
        .create_volume(&VolumeSpec::new("p1", Size::mib(1)).format(VolumeFormat::LinuxSwap))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidSpec, Some("format"))
    );
    assert_eq!(pool.volume_names().unwrap(), ["v.raw"]);
}

fn hammer(pool: &Pool, threads: usize, per_thread: usize) {
    let pool = Arc::new(pool.clone());
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    let name = format!("t{t}-v{i}.qcow2");
                    let v = pool
                        .create_volume(
                            &VolumeSpec::new(&name, Size::mib(16)).format(VolumeFormat::Qcow2),
                        )
                        .unwrap_or_else(|e| panic!("create {name}: {e}"));
                    v.info().unwrap();
                    if i % 2 == 0 {
                        v.delete(DeleteMode::Normal)
                            .unwrap_or_else(|e| panic!("delete {name}: {e}"));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker succeeded");
    }
}

#[test]
fn eight_threads_create_and_delete_in_one_pool() {
    let (conn, _dir) = private_test_conn();
    let pool = conn.pool("default-pool").unwrap();
    hammer(&pool, 8, 25);
    assert_eq!(pool.volume_names().unwrap().len(), 8 * 12);

    let Some(live) = live("eight_threads_create_and_delete_in_one_pool (live part)") else {
        return;
    };
    let conn = live.conn();
    let name = unique("threads");
    let pool = conn
        .define_pool(&DirPool::new(&name, live.dir.join(&name).to_str().unwrap()).into())
        .unwrap();
    let _cleanup = PoolCleanup::with_delete(&pool);
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    // refreshes in parallel make libvirt refuse with "asynchronous jobs running"
    let refresher = {
        let pool = pool.clone();
        std::thread::spawn(move || {
            for _ in 0..20 {
                pool.refresh().unwrap();
            }
        })
    };
    hammer(&pool, 8, 10);
    refresher.join().unwrap();
    assert_eq!(pool.volume_names().unwrap().len(), 8 * 5);
}
