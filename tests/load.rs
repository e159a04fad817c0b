//! Load: 8 threads × 200 mixed operations (create, clone, resize, upload, delete, and
//! copies across pools) on one pool and across two pools of the live daemon. Each
//! thread keeps a model of what it should leave behind; afterwards each pool holds
//! exactly the union of the models, with the capacities the models say, and no Busy
//! error reached a caller. `KVMPOOL_LOAD_OPS` sets the operations per thread.

mod support;

use std::collections::BTreeMap;

use kvmpool::*;
use support::*;

const THREADS: usize = 8;

fn ops_per_thread() -> usize {
    std::env::var("KVMPOOL_LOAD_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// What a thread expects to exist: (pool index, volume name) → capacity.
type Model = BTreeMap<(usize, String), Size>;

/// A small deterministic generator, so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// One thread's work: `ops` operations on `pools`, touching only its own volumes.
fn worker(thread: usize, pools: &[Pool], ops: usize) -> Model {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((thread as u64 + 1) * 0x1000_0001));
    let mut model = Model::new();
    let mut next = 0;
    let payload = vec![thread as u8; 64 << 10];
    for op in 0..ops {
        let mine: Vec<(usize, String)> = model.keys().cloned().collect();
        let pick = (!mine.is_empty()).then(|| mine[rng.below(mine.len())].clone());
        let choice = if pick.is_none() { 0 } else { rng.below(6) };
        let what = |e: Error| format!("thread {thread} op {op}: {e}");
        match (choice, pick) {
            (1, Some((p, name))) => {
                next += 1;
                let copy = format!("t{thread}-{next}.raw");
                pools[p]
                    .volume(&name)
                    .and_then(|v| v.clone_as(&copy, false))
                    .unwrap_or_else(|e| panic!("clone {}", what(e)));
                let capacity = model[&(p, name)];
                model.insert((p, copy), capacity);
            }
            (2, Some((p, name))) => {
                pools[p]
                    .volume(&name)
                    .and_then(|v| v.resize(Resize::grow_by(Size::mib(1))))
                    .unwrap_or_else(|e| panic!("resize {}", what(e)));
                let capacity = model.get_mut(&(p, name)).unwrap();
                *capacity = Size::bytes(capacity.as_bytes() + (1 << 20));
            }
            (3, Some((p, name))) => {
                let v = pools[p]
                    .volume(&name)
                    .unwrap_or_else(|e| panic!("{}", what(e)));
                v.upload_reader(
                    &payload[..],
                    payload.len() as u64,
                    &TransferOptions::default(),
                )
                .unwrap_or_else(|e| panic!("upload {}", what(e)));
            }
            (4, Some((p, name))) => {
                pools[p]
                    .volume(&name)
                    .and_then(|v| v.delete(DeleteMode::Normal))
                    .unwrap_or_else(|e| panic!("delete {}", what(e)));
                model.remove(&(p, name));
            }
            (5, Some((p, name))) if pools.len() > 1 => {
                // A copy into the other pool (vol-create-from across pools).
                let to = 1 - p;
                next += 1;
                let copy = format!("t{thread}-{next}.raw");
                let capacity = model[&(p, name.clone())];
                let source = pools[p]
                    .volume(&name)
                    .unwrap_or_else(|e| panic!("{}", what(e)));
                pools[to]
                    .create_volume_from(&VolumeSpec::new(&copy, capacity), &source)
                    .unwrap_or_else(|e| panic!("create-from {}", what(e)));
                model.insert((to, copy), capacity);
            }
            _ => {
                next += 1;
                let p = rng.below(pools.len());
                let name = format!("t{thread}-{next}.raw");
                let capacity = Size::mib(1 + rng.below(4) as u64);
                pools[p]
                    .create_volume(&VolumeSpec::new(&name, capacity))
                    .unwrap_or_else(|e| panic!("create {}", what(e)));
                model.insert((p, name), capacity);
            }
        }
    }
    model
}

/// Run the workers and check that each pool holds exactly what the models say.
fn run_load(pools: &[Pool]) {
    let ops = ops_per_thread();
    let started = std::time::Instant::now();
    let _watchdog = watchdog(std::time::Duration::from_secs(60 + ops as u64));
    let models: Vec<Model> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| scope.spawn(move || worker(t, pools, ops)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let expected: Model = models.into_iter().flatten().collect();
    for (i, pool) in pools.iter().enumerate() {
        pool.refresh().unwrap();
        let actual: Model = pool
            .volume_details(false)
            .unwrap()
            .into_iter()
            .map(|v| ((i, v.name), v.capacity))
            .collect();
        let wanted: Model = expected
            .iter()
            .filter(|((p, _), _)| *p == i)
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        assert_eq!(actual, wanted, "pool {}", pool.name());
    }
    eprintln!(
        "load: {THREADS} threads x {ops} ops on {} pool(s) in {:.1} s, {} volumes left",
        pools.len(),
        started.elapsed().as_secs_f64(),
        expected.len()
    );
}

/// Ends the test process when the load runs past `limit`: a hang (a libvirt call that
/// never returns) must fail the run, not stall it. Disarmed when dropped.
fn watchdog(limit: std::time::Duration) -> std::sync::mpsc::Sender<()> {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
            eprintln!("load: no end after {limit:?}: a call hangs; failing the run");
            std::process::exit(101);
        }
    });
    done
}

fn dir_pool(conn: &Connection, live: &Live, prefix: &str) -> (Pool, PoolCleanup) {
    let name = unique(prefix);
    let pool = conn
        .define_pool(&DirPool::new(&name, live.dir.join(&name).to_str().unwrap()).into())
        .unwrap();
    let cleanup = PoolCleanup::with_delete(&pool);
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    (pool, cleanup)
}

#[test]
fn eight_threads_of_mixed_operations_on_one_pool() {
    let Some(live) = live("eight_threads_of_mixed_operations_on_one_pool") else {
        return;
    };
    let conn = live.conn();
    let (pool, _cleanup) = dir_pool(&conn, &live, "load1");
    run_load(&[pool]);
}

#[test]
fn eight_threads_of_mixed_operations_across_two_pools() {
    let Some(live) = live("eight_threads_of_mixed_operations_across_two_pools") else {
        return;
    };
    let conn = live.conn();
    let (a, _ca) = dir_pool(&conn, &live, "load2a");
    let (b, _cb) = dir_pool(&conn, &live, "load2b");
    run_load(&[a, b]);
}
