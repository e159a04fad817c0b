"""The tutorial's walk-through on the live daemon of `make test`: dir, fs and disk on
loop devices, logical at pool level, iscsi-direct and glusterfs netfs on the loopback
servers; transfers, cancellation, every error from a real failure, threads, events."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import kvmpool
from conftest import allocated, sparse_file, unique


def test_tutorial_dir_pool(live, scratch, cleanup):
    conn = live.conn()
    name = unique("test")
    target = scratch / "guest_images"
    pool = cleanup.add(conn.define_pool(kvmpool.PoolSpec.dir(name, target=f"{target}/")))
    assert pool.info().state == "inactive" and pool.autostart is False
    assert name in [p.name for p in conn.pools(active=False)]
    pool.build()
    assert target.is_dir()
    pool.start()
    pool.autostart = True
    info = pool.info()
    assert info.state == "running" and info.capacity >= info.available > 0
    assert conn.pool_by_target_path(str(target)).uuid == pool.uuid

    q = pool.create_volume(kvmpool.VolumeSpec("vm1.qcow2", capacity="10G", format="qcow2"))
    r = pool.create_volume(kvmpool.VolumeSpec("vm1.raw", capacity="16M"))
    assert pool.volume_names() == ["vm1.qcow2", "vm1.raw"]
    assert q.path == str(target / "vm1.qcow2") == q.key
    assert q.info().volume_type == "file" and q.spec().format == "qcow2"
    src = scratch / "data.img"
    sparse_file(src, 16 << 20, list(range(16)))
    r.upload(src)
    out = scratch / "out.img"
    r.download(out)
    assert out.read_bytes() == src.read_bytes()
    c = q.clone("vm2.qcow2")
    assert c.info().capacity == 10 << 30
    q.resize("20G")
    q.resize("5G", delta=True)
    assert q.info().capacity == 25 << 30
    q.resize("15G", shrink=True)
    r.wipe()
    for v in (q, r, c):
        v.delete()
    pool.destroy()
    pool.delete()
    pool.undefine()
    assert conn.find_pool(name) is None


def test_volume_details_read_from_files_match_libvirts(live, scratch, cleanup):
    conn = live.conn()
    target = scratch / "pool"
    pool = cleanup.add(conn.define_pool(kvmpool.PoolSpec.dir(unique("inv"), target=str(target))))
    pool.build()
    pool.start()
    # a file the daemon did not make (the pool directory is the same path for it)
    sparse_file(target / "added.img", 4 << 20, [1])
    pool.refresh()
    for i, fmt in enumerate(["qcow2", "raw", "iso"]):
        pool.create_volume(kvmpool.VolumeSpec(f"v{i}", capacity=f"{i + 1}M", format=fmt))
    rpc = pool.volume_details(formats=True, method="rpc")
    assert [v["name"] for v in rpc] == ["added.img", "v0", "v1", "v2"]
    assert pool.volume_details(formats=True) == rpc
    local = pool.volume_details(formats=True, method="local")
    # the iso volume libvirt made is a raw file of zeros until something is written
    assert local[3]["format"] == "raw" and rpc[3]["format"] == "iso"
    assert local[:3] == rpc[:3] and {**local[3], "format": "iso"} == rpc[3]

    def volumes(inventory):
        return next(p["volumes"] for p in inventory["pools"] if p["name"] == pool.name)

    assert volumes(conn.inventory(formats=True)) == rpc


@pytest.mark.parametrize("method", ["stream", "direct"])
def test_sparse_upload_download_with_progress(live, scratch, cleanup, method):
    conn = live.conn()
    pool = cleanup.add(conn.ensure_pool(kvmpool.PoolSpec.dir(unique("sp"), target=str(scratch / "p"))).pool)
    src = scratch / "sparse.img"
    sparse_file(src, 1 << 30, [100, 900])
    vol = pool.create_volume(kvmpool.VolumeSpec("s.raw", capacity="1G"))
    seen = []
    report = vol.upload(src, sparse=True, method=method,
                        progress=lambda done, total: seen.append((done, total)))
    assert report.method == method
    assert report.data_bytes == 2 << 20 and report.hole_bytes == (1 << 30) - (2 << 20)
    assert seen and seen[-1] == (1 << 30, 1 << 30)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    assert vol.info().allocation <= 3 << 20
    out = scratch / "sparse.out"
    down = vol.download(out, sparse=True, method=method)
    assert (down.method, down.data_bytes) == (method, 2 << 20)
    assert allocated(out) <= 3 << 20
    with open(src, "rb") as a, open(out, "rb") as b:
        while True:
            x, y = a.read(1 << 24), b.read(1 << 24)
            assert x == y
            if not x:
                break


class Stop(Exception):
    pass


def test_transfer_methods_auto_goes_direct_here_and_direct_says_why_not(live, scratch, cleanup):
    conn = live.conn()
    pool = cleanup.add(conn.ensure_pool(kvmpool.PoolSpec.dir(unique("am"), target=str(scratch / "p"))).pool)
    src = scratch / "data.img"
    sparse_file(src, 1 << 20, [0])
    vol = pool.create_volume(kvmpool.VolumeSpec("a.raw", capacity="1M"))
    assert vol.upload(src).method == "direct"
    assert vol.upload(src, method="stream").method == "stream"
    with pytest.raises(kvmpool.InvalidSpecError) as bad:
        vol.upload(src, method="fast")
    assert bad.value.field == "method" and "auto, stream, direct" in str(bad.value)

    test_conn = kvmpool.connect("test:///default")
    tvol = test_conn.pool("default-pool").create_volume(kvmpool.VolumeSpec("t.raw", capacity="1M"))
    try:
        with pytest.raises(kvmpool.UnsupportedError, match="not on this machine"):
            tvol.upload(src, method="direct")
    finally:
        tvol.delete()


@pytest.mark.parametrize("method", ["stream", "direct"])
def test_exception_in_progress_cancels_and_propagates(live, scratch, cleanup, method):
    conn = live.conn()
    pool = cleanup.add(conn.ensure_pool(kvmpool.PoolSpec.dir(unique("cx"), target=str(scratch / "p"))).pool)
    src = scratch / "data.img"
    sparse_file(src, 16 << 20, list(range(16)))

    def stop_halfway(done, total):
        if done > total // 2:
            raise Stop("enough")

    with pytest.raises(Stop):
        pool.create_volume_from_file(kvmpool.VolumeSpec("new.raw", capacity=0), src,
                                     progress=stop_halfway, method=method)
    assert pool.find_volume("new.raw") is None, "the volume the call created is gone"

    vol = pool.create_volume(kvmpool.VolumeSpec("v.raw", capacity="16M"))
    assert vol.upload(src, method=method).method == method
    dest = scratch / "keep.txt"
    dest.write_text("keep me")
    with pytest.raises(kvmpool.CancelledError):
        vol.download(dest, method=method, progress=lambda done, total: done < (4 << 20))
    assert dest.read_text() == "keep me"
    assert not [p for p in scratch.iterdir() if "kvmpool" in p.name]


def test_errors_from_real_failures(live, scratch, cleanup):
    conn = live.conn()
    pool = cleanup.add(conn.define_pool(kvmpool.PoolSpec.dir(unique("er"), target=str(scratch / "p"))))
    pool.build()
    with pytest.raises(kvmpool.StateError):
        pool.create_volume(kvmpool.VolumeSpec("v", capacity="1M"))
    pool.start()
    vol = pool.create_volume(kvmpool.VolumeSpec("v.raw", capacity="4M"))
    with pytest.raises(kvmpool.InvalidSpecError):
        vol.resize("2M")  # shrink without shrink=True
    big = scratch / "big.img"
    sparse_file(big, 8 << 20, [0])
    with pytest.raises(kvmpool.InvalidSpecError) as e:
        vol.upload(big)
    assert e.value.field == "length" and vol.info().allocation == 0
    with pytest.raises(kvmpool.AlreadyExistsError):
        pool.create_volume(kvmpool.VolumeSpec("v.raw", capacity="1M"))
    with pytest.raises(kvmpool.NotFoundError):
        conn.volume_by_path(str(scratch / "nothing"))
    # a pool whose start fails in libvirt's backend (no NFS client in this kernel)
    nfs = cleanup.add(conn.define_pool(kvmpool.PoolSpec.netfs(unique("nfs"), "127.0.0.1", "/x", target=str(scratch / "m"), format="nfs")))
    with pytest.raises(kvmpool.Error) as failed:
        nfs.start()
    assert failed.value.libvirt_code is not None
    assert isinstance(failed.value, (kvmpool.LibvirtError, kvmpool.StateError))


def test_eight_threads_on_one_pool(live, scratch, cleanup):
    conn = live.conn()
    pool = cleanup.add(conn.ensure_pool(kvmpool.PoolSpec.dir(unique("th"), target=str(scratch / "p"))).pool)
    errors = []

    def work(t):
        try:
            for i in range(10):
                v = pool.create_volume(kvmpool.VolumeSpec(f"t{t}-{i}.qcow2", capacity="16M", format="qcow2"))
                v.info()
                if i % 2 == 0:
                    v.delete()
                if i == 5:
                    pool.refresh()
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(pool.volume_names()) == 8 * 5


def test_events(live, scratch, cleanup):
    conn = live.conn()
    events = conn.pool_events()
    got = []
    sub = conn.subscribe_pool_events(lambda e: got.append((e.pool, e.kind)))
    name = unique("ev")
    pool = cleanup.add(conn.define_pool(kvmpool.PoolSpec.dir(name, target=str(scratch / "p"))))
    pool.build()
    pool.start()
    pool.refresh()
    pool.destroy()
    kinds = []
    deadline = time.time() + 10
    while len(kinds) < 5 and time.time() < deadline:
        e = events.next_event(timeout=0.2)
        if e is not None and e.pool == name:
            kinds.append(e.kind)
    assert kinds == ["defined", "created", "started", "refreshed", "stopped"]
    deadline = time.time() + 5
    while len(got) < 5 and time.time() < deadline:
        time.sleep(0.05)
    assert [k for p, k in got if p == name][:5] == kinds
    with sub:
        pass
    events.close()


def test_next_event_with_an_infinite_timeout_waits_for_the_event(live, scratch, cleanup):
    conn = live.conn()
    name = unique("evinf")
    events = conn.pool_events()

    def define_later():
        time.sleep(0.5)
        try:
            cleanup.add(conn.define_pool(kvmpool.PoolSpec.dir(name, target=str(scratch / "p"))))
        except BaseException:
            events.close()  # the wait below then ends with None instead of hanging
            raise

    definer = threading.Thread(target=define_later)
    definer.start()
    started = time.monotonic()
    while True:  # other tests share the daemon: skip their events
        e = events.next_event(timeout=float("inf"))
        assert e is not None
        if e.pool == name:
            break
    definer.join()
    assert e.kind == "defined" and time.monotonic() - started >= 0.4
    events.close()


# The child of the Ctrl-C test: a create-from-file upload without a progress callback.
UPLOAD_UNTIL_INTERRUPTED = r"""
import sys, time
import kvmpool
uri, pool_name, path, vol_name = sys.argv[1:]
pool = kvmpool.connect(uri).pool(pool_name)
try:
    pool.create_volume_from_file(kvmpool.VolumeSpec(vol_name, 0), path)
except KeyboardInterrupt:
    print(f"KeyboardInterrupt at {time.monotonic()}", flush=True)
    sys.exit(42)
print("the upload finished", flush=True)
"""


def test_ctrl_c_stops_an_upload_without_a_progress_callback(live, scratch, cleanup):
    conn = live.conn()
    name = unique("sigint")
    spec = kvmpool.PoolSpec.dir(name, target=str(scratch / "pool"))
    pool = cleanup.add(conn.create_pool(spec, build="normal"))
    data = scratch / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB without a zero byte: no holes anywhere
    with open(data, "wb") as f:
        for _ in range(2048):  # 2 GiB: seconds of upload
            f.write(block)
    child = subprocess.Popen(
        [sys.executable, "-c", UPLOAD_UNTIL_INTERRUPTED, live.uri, name, str(data), "big.raw"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # Signal once the upload runs: the volume exists and data arrives in it.
        deadline = time.monotonic() + 60
        while True:
            assert child.poll() is None, child.communicate()
            vol = pool.find_volume("big.raw")
            if vol is not None and vol.info().allocation >= 64 << 20:
                break
            assert time.monotonic() < deadline, "the upload never started"
            time.sleep(0.01)
        assert vol.info().allocation < 2 << 30, "the upload finished before the signal"
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 42, (out, err)
    raised_at = float(out.split("KeyboardInterrupt at ")[1])
    assert raised_at - sent < 1.0, f"KeyboardInterrupt {raised_at - sent:.2f} s after SIGINT"
    pool.refresh()
    assert pool.find_volume("big.raw") is None, "the volume of the interrupted call is gone"


def test_fs_pool_ext4_on_loop_device(live, scratch, cleanup, loop_device):
    dev = loop_device("128M")
    conn = live.conn()
    spec = kvmpool.PoolSpec.fs(unique("fs"), dev.device, target=str(scratch / "mnt"), format="ext4")
    pool = cleanup.add(conn.define_pool(spec))
    pool.build("overwrite")
    pool.start()
    pool.autostart = True
    assert "lost+found" in pool.volume_names()
    v = pool.create_volume(kvmpool.VolumeSpec("a.qcow2", capacity="64M", format="qcow2"))
    assert v.clone("b.qcow2").info().capacity == 64 << 20
    pool.destroy()


def test_disk_pool_from_tutorial_xml_on_loop_device(live, scratch, cleanup, loop_device):
    dev = loop_device("128M")
    conn = live.conn()
    name = unique("disk")
    xml = (
        f"<pool type='disk'><name>{name}</name><source><device path='{dev.device}'/>"
        "<format type='gpt'/></source><target><path>/dev</path></target></pool>"
    )
    pool = cleanup.add(conn.define_pool_xml(xml))
    pool.build("overwrite")
    pool.start()
    pool.autostart = True
    with pytest.raises(kvmpool.InvalidSpecError):
        pool.create_volume(kvmpool.VolumeSpec("foo", capacity="16M"))
    part = pool.create_volume(kvmpool.VolumeSpec(f"{dev.name}p1", capacity="32M"))
    assert part.info().volume_type == "block"
    src = scratch / "p.img"
    sparse_file(src, 1 << 20, [0])
    part.upload(src)
    out = scratch / "p.out"
    part.download(out, length=1 << 20)
    assert out.read_bytes() == src.read_bytes()
    # vol-delete is broken for loop devices in libvirt 9.0 ('p' separator); pool
    # delete (in cleanup) removes the label instead.
    pool.destroy()


def test_logical_pool_level_on_loop_device(live, scratch, cleanup, loop_device):
    dev = loop_device("256M")
    conn = live.conn()
    vg = unique("pyvg").replace("-", "_")
    pool = cleanup.add(conn.define_pool(kvmpool.PoolSpec.logical(vg, devices=[dev.device])))
    pool.build()
    pool.start()
    pool.refresh()
    assert 200 << 20 < pool.info().capacity < 256 << 20
    # Volume creation needs device-mapper, which this kernel lacks.
    pool.destroy()


def test_iscsi_direct_against_loopback_target(live, cleanup):
    conn = live.conn()
    host, port = os.environ["KVMPOOL_TEST_ISCSI_HOST"], int(os.environ["KVMPOOL_TEST_ISCSI_PORT"])
    iqn, initiator = os.environ["KVMPOOL_TEST_ISCSI_IQN"], os.environ["KVMPOOL_TEST_ISCSI_INITIATOR"]
    sources = conn.find_pool_sources("iscsi-direct", host, port=port, initiator=initiator)
    assert any(iqn in s.devices for s in sources)
    spec = kvmpool.PoolSpec.iscsi_direct(unique("iscsid"), host, iqn, initiator, port=port)
    pool = cleanup.add(conn.define_pool(spec))
    pool.start()
    sizes = sorted(v.info().capacity >> 20 for v in pool.volumes())
    assert sizes[-2:] == [31, 63] or sizes[-2:] == [32, 64], sizes
    with pytest.raises(kvmpool.UnsupportedError):
        pool.create_volume(kvmpool.VolumeSpec("x", capacity="1M"))
    pool.destroy()


def test_glusterfs_netfs(live, scratch, cleanup):
    conn = live.conn()
    gh, gv = os.environ["KVMPOOL_TEST_GLUSTER_HOST"], os.environ["KVMPOOL_TEST_GLUSTER_VOLUME"]
    spec = kvmpool.PoolSpec.netfs(unique("glfs"), gh, f"/{gv}", target=str(scratch / "mnt"), format="glusterfs")
    pool = cleanup.add(conn.define_pool(spec))
    pool.build()
    pool.start()
    src = scratch / "d.img"
    sparse_file(src, 4 << 20, [0, 3])
    v = pool.create_volume(kvmpool.VolumeSpec(unique("g") + ".raw", capacity="4M"))
    v.upload(src, sparse=True)
    out = scratch / "d.out"
    v.download(out)
    assert out.read_bytes() == src.read_bytes()
    v.clone(unique("gc") + ".raw").delete()
    v.delete()
    pool.destroy()
