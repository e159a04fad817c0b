//! Pool events on the live daemon, and a long-lived connection that survives a daemon
//! restart (on a private daemon, so other tests keep theirs).

mod support;

use std::time::{Duration, Instant};

use kvmpool::*;
use support::*;

fn wait_for(events: &EventReceiver, pool: &str, kinds: &[PoolEventKind]) -> Vec<PoolEventKind> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while seen.len() < kinds.len() && Instant::now() < deadline {
        if let Some(e) = events.next_timeout(Duration::from_millis(100)) {
            if e.pool == pool {
                seen.push(e.kind);
            }
        }
    }
    seen
}

#[test]
fn events_observe_define_start_refresh_stop_undefine() {
    let Some(live) = live("events_observe_define_start_refresh_stop_undefine") else {
        return;
    };
    let conn = live.conn();
    let all = conn.pool_events(None).unwrap();
    let name = unique("ev");
    let target = live.dir.join(&name);
    let pool = conn
        .define_pool(&DirPool::new(&name, target.to_str().unwrap()).into())
        .unwrap();
    let _cleanup = PoolCleanup::with_delete(&pool);
    use PoolEventKind::*;
    // Events arrive asynchronously: subscribe to the one pool after its "defined" came,
    // or that subscription may see it too.
    assert_eq!(wait_for(&all, &name, &[Defined]), [Defined]);
    let mine = conn.pool_events(Some(&pool)).unwrap();
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    pool.refresh().unwrap();
    pool.destroy().unwrap();
    pool.undefine().unwrap();
    let expected = [Created, Started, Refreshed, Stopped, Undefined];
    assert_eq!(wait_for(&all, &name, &expected), expected);
    assert_eq!(wait_for(&mine, &name, &expected), expected);

    // a callback subscription, dropped: no more calls
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let sub = conn
        .subscribe_pool_events(None, move |_| {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
        .unwrap();
    let other = unique("ev2");
    let p2 = conn
        .define_pool(&DirPool::new(&other, "/nonexistent-ev2").into())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while count.load(std::sync::atomic::Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(count.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    drop(sub);
    let before = count.load(std::sync::atomic::Ordering::SeqCst);
    p2.undefine().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), before);
}

#[test]
fn connection_and_handles_survive_daemon_restart() {
    let Some(live) = live("connection_and_handles_survive_daemon_restart") else {
        return;
    };
    let daemon = PrivateDaemon::start(&live);
    let conn = Connection::open(&daemon.uri()).unwrap();
    let target = daemon.dir.path().join("pool");
    let pool = conn
        .define_pool(&DirPool::new("survivor", target.to_str().unwrap()).into())
        .unwrap();
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    let vol = pool
        .create_volume(&VolumeSpec::new("v.raw", Size::mib(1)))
        .unwrap();
    let events = conn.pool_events(Some(&pool)).unwrap();

    daemon.kill();
    daemon.run("daemon-start");

    // the first call after the restart may report the lost link; then it reconnects
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut connect_errors = 0;
    let info = loop {
        match pool.info() {
            Ok(info) => break info,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
                connect_errors += 1;
                assert!(Instant::now() < deadline, "no reconnect: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    assert!(
        connect_errors <= 1,
        "reconnects on the next call ({connect_errors} errors)"
    );
    assert!(info.capacity > Size::ZERO);
    // handles obtained before work: the volume is found again by its key
    assert_eq!(vol.info().unwrap().capacity, Size::mib(1));
    assert_eq!(conn.pool("survivor").unwrap().uuid(), pool.uuid());

    // event subscriptions were registered again on the new daemon
    if pool.is_active().unwrap() {
        pool.destroy().unwrap();
    }
    pool.start().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got_start = false;
    while !got_start && Instant::now() < deadline {
        got_start = events
            .next_timeout(Duration::from_millis(200))
            .is_some_and(|e| e.kind == PoolEventKind::Started);
    }
    assert!(got_start, "events arrive after the restart");

    // reconnect() on demand
    conn.reconnect().unwrap();
    assert!(conn.is_alive());
    vol.delete(DeleteMode::Normal).unwrap();
    pool.destroy().unwrap();
    pool.delete(DeleteMode::Normal).unwrap();
    pool.undefine().unwrap();
}
