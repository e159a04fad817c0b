"""The whole API against libvirt's test driver (no daemon): every pool type,
volumes, errors, ensure, discovery, inventory."""

import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import kvmpool
from test_specs import EVERY_TYPE

ROOT = Path(__file__).resolve().parents[2]


def test_every_pool_type_defines_starts_and_undefines(test_conn):
    for spec in EVERY_TYPE:
        pool = test_conn.define_pool(spec)
        pool.build()
        pool.start()
        pool.autostart = True
        assert pool.autostart is True
        info = pool.info()
        assert info.state == "running" and info.capacity > 0
        assert pool.type == spec.type
        # The test driver drops <rbd:config_opts>: only the rbd backend registers
        # that namespace, so libvirt there does not store the options.
        if spec.type != "rbd":
            assert spec.satisfied_by(pool.spec()), spec.type
        pool.refresh()
        pool.destroy()
        pool.undefine()
        assert test_conn.find_pool(spec.name) is None


def test_listing_and_lookups(test_conn):
    a = test_conn.define_pool(kvmpool.PoolSpec.dir("a", target="/a"))
    test_conn.create_pool(kvmpool.PoolSpec.dir("b", target="/b"))
    a.start()
    names = lambda **f: [p.name for p in test_conn.pools(**f)]  # noqa: E731
    assert names() == ["a", "b", "default-pool"]
    assert names(persistent=False) == ["b"]
    assert names(active=False) == []
    assert names(types=["dir"]) == ["a", "b", "default-pool"]
    assert test_conn.pool_by_uuid(a.uuid).name == "a"
    # pool_by_target_path is not in the test driver (tested on the live daemon)
    assert not test_conn.pool("b").is_persistent()


def test_volumes(test_conn):
    pool = test_conn.pool("default-pool")
    v = pool.create_volume(kvmpool.VolumeSpec("vm1.qcow2", capacity="10G", format="qcow2"))
    r = pool.create_volume(kvmpool.VolumeSpec("vm1.raw", capacity=1 << 30))
    assert pool.volume_names() == ["vm1.qcow2", "vm1.raw"]
    assert [x.name for x in pool.volumes()] == ["vm1.qcow2", "vm1.raw"]
    assert v.path == "/default-pool/vm1.qcow2"
    assert test_conn.volume_by_key(v.key).name == "vm1.qcow2"
    assert test_conn.volume_by_path("/default-pool/vm1.raw").pool().name == "default-pool"
    assert v.spec().format == "qcow2"
    details = pool.volume_details(formats=True)
    assert [(d["name"], d["format"], d["capacity"]) for d in details] == [
        ("vm1.qcow2", "qcow2", 10 << 30), ("vm1.raw", "raw", 1 << 30),
    ]
    c = v.clone("vm2.qcow2")
    assert c.info().capacity == 10 << 30
    copy = pool.create_volume_from(kvmpool.VolumeSpec("copy", capacity=0), r)
    assert copy.info().capacity == 1 << 30
    for vol in (v, r, c, copy):
        vol.delete()
    assert pool.volume_names() == []


def test_every_exception_class_from_a_real_failure(test_conn, tmp_path):
    pool = test_conn.pool("default-pool")
    with pytest.raises(kvmpool.NotFoundError) as nf:
        test_conn.pool("nope")
    assert isinstance(nf.value, LookupError) and nf.value.libvirt_code == 49
    assert nf.value.libvirt_message and nf.value.kind == "NotFound"
    pool.create_volume(kvmpool.VolumeSpec("dup", capacity="1M"))
    with pytest.raises(kvmpool.AlreadyExistsError):
        pool.create_volume(kvmpool.VolumeSpec("dup", capacity="1M"))
    idle = test_conn.define_pool(kvmpool.PoolSpec.dir("idle", target="/idle"))
    with pytest.raises(kvmpool.StateError):
        idle.create_volume(kvmpool.VolumeSpec("v", capacity="1M"))
    with pytest.raises(kvmpool.UnsupportedError) as un:
        pool.volume("dup").resize("2M")
    assert un.value.libvirt_code == 3
    with pytest.raises(kvmpool.ConnectError):
        kvmpool.connect("nosuchdriver:///x")
    with pytest.raises(kvmpool.InvalidSpecError):
        test_conn.define_pool(kvmpool.PoolSpec.dir("a/b", target="/x"))
    with pytest.raises(kvmpool.IoError) as io:
        pool.volume("dup").upload(tmp_path / "missing.img")
    assert isinstance(io.value, OSError)
    # Cancelled and Busy come from the live daemon (test_live.py); Libvirt (anything
    # else) from a failing pool start there too. All are kvmpool.Error:
    for cls in (
        kvmpool.InvalidSpecError, kvmpool.NotFoundError, kvmpool.AlreadyExistsError,
        kvmpool.StateError, kvmpool.BusyError, kvmpool.UnsupportedError,
        kvmpool.ConnectError, kvmpool.CancelledError, kvmpool.IoError, kvmpool.LibvirtError,
    ):
        assert issubclass(cls, kvmpool.Error)


def test_ensure_pool_is_idempotent(test_conn):
    spec = kvmpool.PoolSpec.dir("ens", target="/ens")
    first = test_conn.ensure_pool(spec, autostart=True)
    assert first.actions == ["defined", "built", "started", "autostart-on"]
    assert first.changed
    second = test_conn.ensure_pool(spec, autostart=True)
    assert second.actions == [] and not second.changed
    assert second.pool.uuid == first.pool.uuid


def test_discovery_and_capabilities(test_conn):
    vgs = test_conn.find_pool_sources("logical")
    assert [s.name for s in vgs] == ["testvg1", "testvg2"]
    spec = vgs[0].to_spec("vg")
    assert spec.type == "logical"
    test_conn.define_pool(spec)
    shares = test_conn.find_pool_sources("netfs", "127.0.0.1")
    assert shares[0].dir == "/testshare"
    with pytest.raises(kvmpool.UnsupportedError):
        test_conn.pool_capabilities()
    test_conn.check_supported(spec)


def test_inventory_as_dict_and_json(test_conn):
    pool = test_conn.pool("default-pool")
    pool.create_volume(kvmpool.VolumeSpec("a.qcow2", capacity="1G", format="qcow2"))
    inv = test_conn.inventory(formats=True)
    entry = inv["pools"][0]
    assert entry["name"] == "default-pool" and entry["type"] == "dir"
    assert entry["volumes"][0]["format"] == "qcow2"
    assert json.loads(test_conn.inventory_json()) == test_conn.inventory()


def test_inventory_methods_on_the_test_driver(test_conn):
    pool = test_conn.pool("default-pool")
    pool.create_volume(kvmpool.VolumeSpec("a.qcow2", capacity="1G", format="qcow2"))
    assert pool.volume_details(formats=True, method="rpc") == pool.volume_details(formats=True)
    assert test_conn.inventory(method="rpc") == test_conn.inventory(method="auto")
    # no daemon on this machine whose files could be read
    with pytest.raises(kvmpool.UnsupportedError, match='inventory method "local"'):
        test_conn.inventory(method="local")
    with pytest.raises(kvmpool.UnsupportedError):
        pool.volume_details(method="local")
    with pytest.raises(kvmpool.InvalidSpecError, match="method"):
        test_conn.inventory_json(method="fast")  # type: ignore[arg-type]


def test_inventory_example_script():
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples/python/inventory.py"), "test:///default", "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    data = json.loads(out)
    assert any(p["name"] == "default-pool" for p in data["pools"])
    table = subprocess.run(
        [sys.executable, str(ROOT / "examples/python/inventory.py"), "test:///default"],
        check=True, capture_output=True, text=True,
    ).stdout
    assert "default-pool" in table and "Capacity" in table


def test_next_event_refuses_nan_and_negative_timeouts(test_conn):
    events = test_conn.pool_events()
    for bad in (float("nan"), -1.0, -0.001, float("-inf")):
        with pytest.raises(ValueError) as e:
            events.next_event(timeout=bad)
        assert isinstance(e.value, kvmpool.InvalidSpecError) and e.value.field == "timeout"
    assert events.next_event(timeout=0) is None
    assert events.next_event(timeout=0.05) is None
    events.close()


@pytest.mark.parametrize("timeout", [float("inf"), 1e300, 1e18, None])
def test_next_event_without_a_limit_waits_until_the_iterator_is_closed(test_conn, timeout):
    events = test_conn.pool_events()
    got = []
    waiter = threading.Thread(target=lambda: got.append(events.next_event(timeout=timeout)))
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive(), "an unlimited wait returned before any event"
    events.close()
    waiter.join(timeout=5)
    assert not waiter.is_alive() and got == [None]


ERROR_CLASSES = {
    "InvalidSpec": kvmpool.InvalidSpecError, "NotFound": kvmpool.NotFoundError,
    "AlreadyExists": kvmpool.AlreadyExistsError, "State": kvmpool.StateError,
    "Busy": kvmpool.BusyError, "Unsupported": kvmpool.UnsupportedError,
    "Connect": kvmpool.ConnectError, "Cancelled": kvmpool.CancelledError,
    "Io": kvmpool.IoError, "Libvirt": kvmpool.LibvirtError,
}


@pytest.mark.parametrize("kind", sorted(ERROR_CLASSES))
def test_exceptions_made_by_user_code_have_every_attribute(kind):
    cls = ERROR_CLASSES[kind]
    assert cls.kind == kind
    e = cls("made by hand")
    assert e.kind == kind
    assert e.field is None and e.libvirt_code is None and e.libvirt_message is None
    assert str(e) == "made by hand"
    with pytest.raises(kvmpool.Error) as raised:
        raise cls("x")
    assert raised.value.kind == kind


def test_exception_base_class_defaults():
    e = kvmpool.Error("plain")
    assert e.kind == "Libvirt"
    assert e.field is None and e.libvirt_code is None and e.libvirt_message is None


def test_raised_exceptions_keep_their_details_and_the_class_defaults_stay(test_conn):
    with pytest.raises(kvmpool.NotFoundError) as nf:
        test_conn.pool("nope")
    assert nf.value.kind == "NotFound" and nf.value.libvirt_code == 49
    assert nf.value.libvirt_message and nf.value.field is None
    with pytest.raises(kvmpool.InvalidSpecError) as bad:
        kvmpool.PoolSpec.dir("a/b", target="/x").validate()
    assert bad.value.field == "name" and bad.value.libvirt_code is None
    # the details were set on the instances only
    assert kvmpool.NotFoundError.libvirt_code is None and kvmpool.InvalidSpecError.field is None


def test_logging_gets_changes_at_info_and_libvirt_calls_at_debug(test_conn, caplog):
    # the levels are cached once kvmpool has logged: read them again after setting
    caplog.set_level(logging.DEBUG, logger="kvmpool")
    kvmpool.refresh_log_levels()
    pool = test_conn.define_pool(kvmpool.PoolSpec.dir("logged", target="/logged"))
    pool.start()
    pool.create_volume(kvmpool.VolumeSpec("a.raw", capacity="1M"))
    pool.info()
    records = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    info = [m for name, level, m in records if level == "INFO" and name == "kvmpool"]
    assert info == [
        "pool logged: defined",
        "pool logged: started",
        "volume logged/a.raw: created",
    ], records
    debug = [m for name, level, m in records if level == "DEBUG"]
    assert any(m.startswith("virStoragePoolDefineXML: ok in ") for m in debug), debug
    assert any(m.startswith("virStoragePoolGetInfo: ok in ") for m in debug), debug
    assert all(name == "kvmpool" for name, _, _ in records), "no span bookkeeping"

    # a failed call is logged with its kind; at WARNING nothing is
    with pytest.raises(kvmpool.NotFoundError):
        pool.volume("missing.raw")
    assert any(
        r.getMessage().startswith("virStorageVolLookupByName: NotFound in ")
        for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="kvmpool")
    kvmpool.refresh_log_levels()
    pool.destroy()
    pool.undefine()
    assert caplog.records == []


def test_logging_configured_after_import_is_read_when_a_connection_opens(caplog):
    caplog.set_level(logging.WARNING, logger="kvmpool")
    kvmpool.refresh_log_levels()
    caplog.set_level(logging.INFO, logger="kvmpool")  # no refresh: connect reads it
    conn = kvmpool.connect("test:///default")
    pool = conn.define_pool(kvmpool.PoolSpec.dir("logged-late", target="/logged-late"))
    pool.undefine()
    assert [r.getMessage() for r in caplog.records] == [
        "pool logged-late: defined",
        "pool logged-late: undefined",
    ]
