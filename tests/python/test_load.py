"""Load on the live daemon of `make test` (issue 10, "Load"): 8 Python threads x 200
mixed operations (create, clone, resize, small upload, delete, plus listings, pool
refreshes that make libvirt answer "busy", and creates that libvirt refuses) on one dir pool, and across two dir pools
with create-from between them.

Each thread works on volumes of its own (names start with `t<thread>-`) in the shared
pools, with its own seeded RNG, and keeps a model of what it should have left: name ->
capacity, per pool. Afterwards the volumes of each pool (names and capacities, as
libvirt lists them, again after a refresh, and as files in the target directory) must
be exactly the union of the models, and no call may have failed: in particular no
BusyError may reach the caller (kvmpool retries those).

KVMPOOL_LOAD_OPS overrides the 200 operations per thread; KVMPOOL_LOAD_SEED the seed
(a failure message names both, so a run can be repeated).
"""

import os
import random
import subprocess
import threading
import time
from collections import Counter, deque
from pathlib import Path
from typing import Callable, Deque, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest

import kvmpool
from conftest import unique

THREADS = 8
OPS = int(os.environ.get("KVMPOOL_LOAD_OPS", "200"))
SEED = int(os.environ.get("KVMPOOL_LOAD_SEED", "20261130"))
MiB = 1 << 20
# Volumes a thread keeps at most in one pool (beyond it, it deletes): bounds disk use.
MAX_OWN = 8
# Errors a thread records before it stops (one wrong step tends to cascade).
MAX_ERRORS = 5
# A deadlock guard, not a speed requirement: when no operation of any thread has
# finished for this long, the run is declared stuck (the slowest single operation here
# takes well under a second).
STALL_S = 120


class Worker(threading.Thread):
    """One thread's operations and its model of what it should have left."""

    def __init__(
        self,
        tid: int,
        pools: List[kvmpool.Pool],
        scratch: Path,
        barrier: threading.Barrier,
        weights: Dict[str, int],
    ) -> None:
        super().__init__(name=f"load-{tid}", daemon=True)
        self.tid = tid
        self.pools = pools
        self.rng = random.Random(SEED * 1000 + tid)
        # Per pool: name -> capacity in bytes (what must be left), and name -> format.
        self.model: List[Dict[str, int]] = [{} for _ in pools]
        self.formats: List[Dict[str, str]] = [{} for _ in pools]
        self.errors: List[Tuple[int, str, BaseException]] = []
        self.done: Counter = Counter()
        self.recent: Deque[str] = deque(maxlen=12)
        self.current = "starting"
        self.finished = 0  # operations finished, failed or not (the stall guard watches it)
        self.barrier = barrier
        self.ops = list(weights)
        self.weights = [weights[o] for o in self.ops]
        self.local = scratch / f"upload-{tid}.bin"
        self.back = scratch / f"download-{tid}.bin"
        self.serial = 0

    # -- helpers ----------------------------------------------------------------------

    def new_name(self, fmt: str) -> str:
        self.serial += 1
        return f"t{self.tid}-{self.serial}.{'qcow2' if fmt == 'qcow2' else 'img'}"

    def pick(self, p: int, raw_only: bool = False) -> Optional[str]:
        names = sorted(n for n in self.model[p] if not raw_only or self.formats[p][n] == "raw")
        return self.rng.choice(names) if names else None

    def expect(self, cond: bool, what: str) -> None:
        if not cond:
            raise AssertionError(what)

    def capacity_of(self, vol: kvmpool.Volume) -> int:
        return vol.info().capacity

    # -- operations ---------------------------------------------------------------------

    def op_create(self, p: int) -> str:
        fmt = "qcow2" if self.rng.random() < 0.25 else "raw"
        name = self.new_name(fmt)
        cap = self.rng.randint(1, 8) * MiB
        vol = self.pools[p].create_volume(kvmpool.VolumeSpec(name, capacity=cap, format=fmt))
        self.model[p][name] = cap
        self.formats[p][name] = fmt
        self.expect(vol.name == name, f"created {name}, handle says {vol.name}")
        got = self.capacity_of(vol)
        self.expect(got == cap, f"created {name} with {cap} bytes, info says {got}")
        return f"create {name} {fmt} {cap}"

    def op_clone(self, p: int) -> str:
        src = self.pick(p)
        if src is None:
            return self.op_create(p)
        fmt = self.formats[p][src]
        name = self.new_name(fmt)
        vol = self.pools[p].volume(src).clone(name)
        self.model[p][name] = self.model[p][src]
        self.formats[p][name] = fmt
        got = self.capacity_of(vol)
        self.expect(got == self.model[p][src], f"clone {name} of {src}: capacity {got}")
        return f"clone {src} -> {name}"

    def op_resize(self, p: int) -> str:
        name = self.pick(p)
        if name is None:
            return self.op_create(p)
        cap = self.model[p][name]
        vol = self.pools[p].volume(name)
        if self.formats[p][name] == "raw" and cap > MiB and self.rng.random() < 0.3:
            new = cap - MiB
            vol.resize(new, shrink=True)
        else:
            new = cap + self.rng.randint(1, 4) * MiB
            vol.resize(new)
        self.model[p][name] = new
        got = self.capacity_of(vol)
        self.expect(got == new, f"resized {name} from {cap} to {new}, info says {got}")
        return f"resize {name} {cap} -> {new}"

    def op_upload(self, p: int) -> str:
        name = self.pick(p, raw_only=True)
        if name is None:
            return self.op_create(p)
        cap = self.model[p][name]
        length = self.rng.randint(1, 64) * 1024
        offset = self.rng.randrange(0, cap - length + 1)
        data = self.rng.randbytes(length)
        self.local.write_bytes(data)
        vol = self.pools[p].volume(name)
        vol.upload(self.local, offset=offset)
        vol.download(self.back, offset=offset, length=length)
        self.expect(self.back.read_bytes() == data, f"{name}: downloaded bytes differ from uploaded")
        got = self.capacity_of(vol)
        self.expect(got == cap, f"upload into {name} changed its capacity {cap} -> {got}")
        return f"upload {name} {length}@{offset}"

    def op_delete(self, p: int) -> str:
        name = self.pick(p)
        if name is None:
            return self.op_create(p)
        self.pools[p].volume(name).delete()
        del self.model[p][name]
        del self.formats[p][name]
        self.expect(self.pools[p].find_volume(name) is None, f"{name} still listed after delete")
        return f"delete {name}"

    def op_copy(self, p: int) -> str:
        """vol-create-from into another pool (or the same one)."""
        src = self.pick(p)
        if src is None:
            return self.op_create(p)
        q = self.rng.randrange(len(self.pools))
        fmt = self.formats[p][src]
        name = self.new_name(fmt)
        cap = self.model[p][src]
        # Capacity 0 takes the source's; a larger one grows a raw copy. (A qcow2 copy
        # is made by `qemu-img convert` and keeps the source's size whatever the spec
        # says: libvirt's own behaviour, `virsh vol-create-from` does the same.)
        want = self.rng.choice([0, cap, cap + MiB] if fmt == "raw" else [0, cap])
        vol = self.pools[q].create_volume_from(
            kvmpool.VolumeSpec(name, capacity=want, format=fmt), self.pools[p].volume(src)
        )
        new = want or cap
        self.model[q][name] = new
        self.formats[q][name] = fmt
        got = self.capacity_of(vol)
        self.expect(got == new, f"create-from {src} -> {name} ({want}): capacity {got}, wanted {new}")
        return f"create-from {p}:{src} -> {q}:{name} {want}"

    def op_bad_create(self, p: int) -> str:
        """A create that libvirt refuses part-way (qcow2 over a missing backing file), as
        an operator's mistake would be: it must fail, leave nothing, and touch nothing
        else, other threads' newly created volumes included."""
        name = self.new_name("qcow2")
        spec = kvmpool.VolumeSpec(
            name, capacity=MiB, format="qcow2",
            backing_store=f"/nonexistent-kvmpool-load/{name}", backing_format="qcow2",
        )
        try:
            self.pools[p].create_volume(spec)
        except kvmpool.BusyError:
            raise
        except kvmpool.Error as e:
            self.expect(
                "removed the partly created volume" not in str(e),
                f"the failed create of {name} removed volumes that other calls had created: {e}",
            )
            self.expect(self.pools[p].find_volume(name) is None, f"the failed create left {name} behind")
            return f"bad-create {name} refused ({type(e).__name__})"
        raise AssertionError(f"creating {name} over a missing backing file succeeded")

    def op_list(self, p: int) -> str:
        """Its own volumes, as the pool lists them while the others work."""
        mine = {
            v.name: v.info().capacity
            for v in self.pools[p].volumes()
            if v.name.startswith(f"t{self.tid}-")
        }
        self.expect(mine == self.model[p], f"listing shows {sorted(mine.items())}, model {sorted(self.model[p].items())}")
        return f"list {len(mine)}"

    def op_refresh(self, p: int) -> str:
        # libvirt refuses a refresh while another thread's volume is being built
        # ("pool has asynchronous jobs running"): kvmpool must retry, not raise.
        self.pools[p].refresh()
        return "refresh"

    # -- the thread -----------------------------------------------------------------------

    def run(self) -> None:
        self.barrier.wait()
        for i in range(OPS):
            p = self.rng.randrange(len(self.pools))
            op = self.rng.choices(self.ops, self.weights)[0]
            if len(self.model[p]) >= MAX_OWN and op in ("create", "clone", "copy"):
                op = "delete"
            self.current = f"#{i} pool{p} {op}"
            try:
                what = getattr(self, f"op_{op}")(p)
                self.done[what.split()[0]] += 1
                self.recent.append(f"#{i} pool{p} {what}")
            except BaseException as e:  # noqa: B036 - every failure is reported
                self.recent.append(f"#{i} pool{p} {op}: FAILED {type(e).__name__}: {e}")
                self.errors.append((i, f"pool{p} {op}", e))
                if len(self.errors) >= MAX_ERRORS:
                    return
            finally:
                self.finished += 1
        self.current = "done"


def run_load(
    pools_per_conn: List[List[kvmpool.Pool]],
    scratch: Path,
    weights: Dict[str, int],
    on_stall: Optional[Callable[[], None]] = None,
) -> List[Worker]:
    barrier = threading.Barrier(THREADS)
    workers = [
        Worker(t, pools_per_conn[t % len(pools_per_conn)], scratch, barrier, weights) for t in range(THREADS)
    ]
    start = time.monotonic()
    for w in workers:
        w.start()
    finished, last_progress, stalled = -1, time.monotonic(), ""
    while any(w.is_alive() for w in workers):
        time.sleep(0.5)
        now_finished = sum(w.finished for w in workers)
        if now_finished != finished:
            finished, last_progress = now_finished, time.monotonic()
        elif time.monotonic() - last_progress > STALL_S:
            stalled = "; ".join(f"thread {w.tid}: {w.current}" for w in workers if w.is_alive())
            break
    if stalled:
        if on_stall is not None:
            on_stall()  # e.g. kill a private daemon, so that the blocked calls return
        pytest.fail(
            f"no operation finished for {STALL_S} s: deadlock (seed {SEED}); in flight: {stalled}",
            pytrace=False,
        )
    elapsed = time.monotonic() - start
    done: Counter = Counter()
    for w in workers:
        done.update(w.done)
    print(f"\n{THREADS} threads x {OPS} ops (seed {SEED}) in {elapsed:.1f} s: {dict(sorted(done.items()))}")
    return workers


def check_no_errors(workers: List[Worker]) -> None:
    busy = [(w.tid, i, op, e) for w in workers for i, op, e in w.errors if isinstance(e, kvmpool.BusyError)]
    errors = [(w.tid, i, op, e) for w in workers for i, op, e in w.errors]

    def describe(items: Sequence[Tuple[int, int, str, BaseException]]) -> str:
        lines = [f"thread {t} op #{i} {op}: {type(e).__name__}: {e}" for t, i, op, e in items[:10]]
        for t in sorted({t for t, _, _, _ in items})[:3]:
            lines.append(f"thread {t}'s last operations: " + " | ".join(workers[t].recent))
        return f"(seed {SEED}, {OPS} ops per thread)\n" + "\n".join(lines)

    assert not busy, "BusyError reached the caller " + describe(busy)
    # kvmpool's clean-up after a failed create deletes every volume that appeared in
    # the pool meanwhile: under load, those are other calls' new volumes.
    clobbered = [x for x in errors if "removed the partly created volume" in str(x[3])]
    assert not clobbered, "failed creates deleted volumes that other calls had just created " + describe(clobbered)
    assert not errors, f"{len(errors)} operations failed " + describe(errors)


def check_pool(pool: kvmpool.Pool, target: Path, expected: Dict[str, int]) -> None:
    def compare(actual: Dict[str, int], how: str) -> None:
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        wrong = sorted((n, actual[n], c) for n, c in expected.items() if n in actual and actual[n] != c)
        assert not (missing or extra or wrong), (
            f"pool {pool.name} {how} (seed {SEED}): missing {missing}, not expected {extra}, "
            f"wrong capacity (name, has, should have) {wrong}"
        )

    compare({d["name"]: d["capacity"] for d in pool.volume_details()}, "as listed")
    pool.refresh()
    compare({d["name"]: d["capacity"] for d in pool.volume_details()}, "after a refresh")
    files = {f.name for f in target.iterdir()}
    assert files == set(expected), (
        f"files in {target}: missing {sorted(set(expected) - files)}, not expected {sorted(files - set(expected))}"
    )


def union(workers: List[Worker], p: int) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for w in workers:
        assert not set(out) & set(w.model[p])  # names are per thread: never shared
        out.update(w.model[p])
    return out


def dir_pool(conn: kvmpool.Connection, cleanup, target: Path) -> kvmpool.Pool:
    spec = kvmpool.PoolSpec.dir(unique("load"), target=str(target))
    return cleanup.add(conn.ensure_pool(spec).pool)


def test_load_one_dir_pool(live, scratch, cleanup):
    """8 threads sharing one connection and one pool handle."""
    conn = live.conn()
    target = scratch / "pool"
    pool = dir_pool(conn, cleanup, target)
    weights = {
        "create": 22, "clone": 14, "resize": 18, "upload": 18, "delete": 18, "list": 6, "refresh": 4,
        "bad_create": 3,
    }
    workers = run_load([[pool]], scratch, weights)
    check_no_errors(workers)
    check_pool(pool, target, union(workers, 0))


@pytest.fixture
def private_daemon(live, scratch) -> Iterator[Tuple[str, Callable[[], None]]]:
    """A libvirtd of this test's own (`kvmpool-env.sh daemon-start`): (uri, stop)."""
    script = os.environ.get("KVMPOOL_TEST_ENV_SCRIPT") or str(Path(__file__).parents[1] / "env" / "kvmpool-env.sh")
    d = scratch / "daemon"
    started = subprocess.run(["sh", script, "daemon-start", str(d)], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"{script} daemon-start {d} failed:\n{started.stdout}{started.stderr}")

    def stop() -> None:
        subprocess.run(["sh", script, "daemon-stop", str(d)], capture_output=True, check=False)

    yield (d / "uri").read_text().strip(), stop
    stop()
    # Shown by pytest with a failure ("Captured stdout teardown"): the daemon's side.
    log = d / "libvirtd.log"
    if log.exists():
        print(f"--- the end of {log}:\n" + "".join(log.read_text(errors="replace").splitlines(True)[-40:]))


def test_load_two_dir_pools(private_daemon, scratch, cleanup):
    """8 threads on two connections (4 each) across two pools, with create-from
    between the pools (both ways at once).

    On a daemon of its own: libvirtd (9.0, and upstream still) takes the two pool locks
    of a cross-pool vol-create-from in opposite orders for opposite directions
    (storageVolCreateXMLFrom holds the source pool while re-locking the target), so two
    such calls at once can deadlock the daemon for good. If that happens the stall guard
    fails the test and kills this daemon, not the shared one the other suites use."""
    uri, stop = private_daemon
    conns = [kvmpool.connect(uri), kvmpool.connect(uri)]
    targets = [scratch / "pool-a", scratch / "pool-b"]
    pools = [dir_pool(conns[0], cleanup, t) for t in targets]
    handles = [pools, [conns[1].pool(p.name) for p in pools]]
    weights = {
        "create": 18, "clone": 10, "copy": 14, "resize": 16, "upload": 16, "delete": 18,
        "list": 5, "refresh": 3, "bad_create": 3,
    }
    workers = run_load(handles, scratch, weights, on_stall=stop)
    check_no_errors(workers)
    for p, (pool, target) in enumerate(zip(pools, targets)):
        check_pool(pool, target, union(workers, p))
