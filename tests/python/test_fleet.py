"""Fleets from Python: many libvirt hosts at once over libvirt's remote protocol (the
test fleet of `kvmpool-env.sh fleet-up`, the test VM). Results are objects; a host's
error is an exception object in its result, never raised for the whole call."""

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator, List

import pytest

import kvmpool

from conftest import unique

REFUSED = "storage+tcp://127.0.0.1:1/system"


def driver_hosts(tmp_path: Path, n: int) -> List[str]:
    uris = []
    for i in range(n):
        node = tmp_path / f"node{i}.xml"
        node.write_text("<node><pool type='dir'><name>default-pool</name><target><path>/d</path></target></pool></node>")
        uris.append(f"test://{node}")
    return uris


class FleetEnv:
    def __init__(self) -> None:
        self.uris = os.environ["KVMPOOL_FLEET_URIS"].split()
        self.pids = os.environ["KVMPOOL_FLEET_PIDS"].split()
        self.dirs = os.environ["KVMPOOL_FLEET_HOST_DIRS"].split()
        self.tls = os.environ["KVMPOOL_FLEET_TLS_URI"]
        self.bad_tls = os.environ["KVMPOOL_FLEET_BAD_TLS_URI"]
        self.script = os.environ["KVMPOOL_FLEET_ENV_SCRIPT"]

    def script_run(self, *args: str) -> None:
        subprocess.run(["sh", self.script, *args], check=True, capture_output=True)


@pytest.fixture
def fleet_env() -> FleetEnv:
    if "KVMPOOL_FLEET_URIS" not in os.environ:
        pytest.skip("needs the test fleet: KVMPOOL_FLEET_URIS is set by `kvmpool-env.sh fleet-up` and `make test`")
    return FleetEnv()


def virsh(uri: str, *args: str) -> str:
    return subprocess.run(["virsh", "-q", "-c", uri, *args], check=True, capture_output=True, text=True).stdout


def pool_names(uri: str) -> List[str]:
    return [line.strip() for line in virsh(uri, "pool-list", "--all", "--name").splitlines() if line.strip()]


def test_bad_input_raises_naming_the_field(tmp_path: Path) -> None:
    uris = driver_hosts(tmp_path, 2)
    cases = [
        (lambda: kvmpool.Fleet([]), "uris"),
        (lambda: kvmpool.Fleet([uris[0], uris[0]]), "uris[1]"),
        (lambda: kvmpool.Fleet(uris, labels=["a", "a"]), "labels[1]"),
        (lambda: kvmpool.Fleet(uris, labels=["a"]), "labels"),
        (lambda: kvmpool.Fleet(uris, connect_timeout=-1), "connect_timeout"),
        (lambda: kvmpool.Fleet(uris, timeout=0), "timeout"),
    ]
    for make, field in cases:
        with pytest.raises(kvmpool.InvalidSpecError) as info:
            make()
        assert info.value.field == field, info.value


def test_errors_are_objects_per_host_never_one_exception(tmp_path: Path) -> None:
    uris = driver_hosts(tmp_path, 2) + [REFUSED.replace("://", "://admin:pw-s3cret@")]
    fleet = kvmpool.Fleet(uris, labels=["a", "b", "dead"], connect_timeout=5)
    assert len(fleet) == 3 and fleet.labels == ["a", "b", "dead"]
    hosts = fleet.hosts
    assert [h.connected for h in hosts] == [True, True, False]
    assert isinstance(hosts[2].error, kvmpool.ConnectError)
    assert hosts[2].uri == "storage+tcp://admin:***@127.0.0.1:1/system"

    inv = fleet.inventory()
    assert isinstance(inv, kvmpool.FleetResult) and inv.operation == "inventory"
    assert len(inv) == 3 and not inv.ok
    a = inv["a"]
    assert a.ok and a.error is None and a.value["pools"][0]["name"] == "default-pool"
    assert inv[0].host == "a" and inv[-1].host == "dead"
    dead = inv["dead"]
    assert not dead.ok and dead.value is None
    assert isinstance(dead.error, kvmpool.ConnectError) and dead.error.kind == "Connect"
    assert list(inv.errors) == ["dead"]
    assert [h.host for h in inv] == ["a", "b", "dead"]
    doc = json.loads(inv.to_json())
    assert doc["schema"] == "kvmpool-fleet/1" and doc["hosts"][2]["error"]["kind"] == "Connect"
    for text in (inv.to_json(), str(dead.error), repr(fleet)):
        assert "pw-s3cret" not in text


MANIFEST = """
[[pool]]
name = "guest_images"
type = "dir"
target = "/guest_images"
autostart = true

[[pool]]
name = "kvmnfs"
type = "netfs"
host = "nfs.example"
source_path = "/export"
target = "/nfstest"
"""


def test_plan_apply_canary_drift_and_migration_on_test_hosts(tmp_path: Path) -> None:
    fleet = kvmpool.Fleet(driver_hosts(tmp_path, 3), labels=["a", "b", "c"])
    m = kvmpool.Manifest.from_toml(MANIFEST)
    plans = fleet.plan(m)
    assert isinstance(plans["a"].value, kvmpool.Plan)
    assert plans["a"].value.actions[0].action == "define-pool"
    # c changes after its plan: as the canary it fails, the others are left alone
    fleet.connection("c").define_pool(kvmpool.PoolSpec.netfs("kvmnfs", "other.example", "/x", target="/y"))
    r = fleet.apply(plans, canary="c")
    assert isinstance(r["c"].error, kvmpool.StateError)
    assert r["a"].value.status == "skipped" and "canary host c" in r["a"].value.reason
    fleet.connection("c").pool("kvmnfs").undefine()

    r = fleet.apply(fleet.plan(m), canary=True, concurrency=2)
    assert r.ok, r.errors
    assert r["b"].value.status == "applied" and r["b"].value.report.done
    assert fleet.drift(m).in_sync

    fleet.connection("b").pool("kvmnfs").destroy()
    drift = fleet.drift(m)
    cell = drift.cell("b", "kvmnfs")
    assert cell is not None and cell.state == "drifted" and cell.actions[0].action == "start-pool"
    assert drift.hosts == ["a", "b", "c"] and drift.pools == ["guest_images", "kvmnfs"]
    assert "drifted" in str(drift)
    assert json.loads(drift.to_json())["operation"] == "drift"

    fleet.connection("b").pool("kvmnfs").start()
    check = fleet.migration_check("a", "b", "kvmnfs")
    assert check.compatible and check.shared
    c = fleet.connection("c").pool("kvmnfs")
    c.destroy()
    spec = kvmpool.PoolSpec.netfs("kvmnfs", "nfs.example", "/export", target="/elsewhere")
    c.edit(spec)
    c.start()
    check = fleet.migration_check("a", "c", "kvmnfs")
    assert not check.compatible
    assert [(d.field, d.a, d.b) for d in check.differences] == [("target", "/nfstest", "/elsewhere")]
    assert json.loads(check.to_json())["differences"][0]["field"] == "target"


def test_a_host_that_accepts_tcp_but_never_answers_blocks_nobody(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        uri = f"storage+tcp://127.0.0.1:{silent.getsockname()[1]}/system"
        t = time.monotonic()
        fleet = kvmpool.Fleet(driver_hosts(tmp_path, 2) + [uri], labels=["a", "b", "silent"], connect_timeout=1.0)
        opened = time.monotonic() - t
        assert 0.9 < opened < 3, opened
        t = time.monotonic()
        inv = fleet.inventory()
        assert time.monotonic() - t < 1
        assert inv["a"].ok and inv["b"].ok
        assert isinstance(inv["silent"].error, kvmpool.ConnectError)
        print(f"timing: open with a silent host {opened * 1000:.0f} ms, inventory {inv.elapsed * 1000:.0f} ms")


class Revive:
    """Restarts the fleet hosts a test stopped, whatever the test did."""

    def __init__(self, env: FleetEnv) -> None:
        self.env = env
        self.stopped: List[int] = []

    def stop(self, i: int) -> None:
        self.env.script_run("daemon-stop", self.env.dirs[i])
        self.stopped.append(i)

    def start(self, i: int) -> None:
        self.env.script_run("daemon-start", self.env.dirs[i])
        self.stopped.remove(i)

    def run(self) -> None:
        for i in self.stopped:
            subprocess.run(["sh", self.env.script, "daemon-start", self.env.dirs[i]], check=False)


@pytest.fixture
def revive(fleet_env: FleetEnv) -> Iterator[Revive]:
    r = Revive(fleet_env)
    yield r
    r.run()


def test_inventory_of_four_hosts_with_one_stopped(fleet_env: FleetEnv, revive: Revive) -> None:
    uris = fleet_env.uris[:4]
    labels = ["h1", "h2", "h3", "h4"]
    one = kvmpool.Fleet(uris[:1], labels=["h1"])
    t_one = min(one.inventory().elapsed for _ in range(3))
    revive.stop(3)
    t = time.monotonic()
    fleet = kvmpool.Fleet(uris, labels=labels, connect_timeout=2)
    t_open = time.monotonic() - t
    inv = fleet.inventory()
    assert [h.ok for h in inv] == [True, True, True, False]
    assert isinstance(inv["h4"].error, kvmpool.ConnectError)
    print(
        f"timing: open {t_open * 1000:.0f} ms; inventory of 1 host {t_one * 1000:.0f} ms, "
        f"of 4 (1 stopped) {inv.elapsed * 1000:.0f} ms"
    )
    assert t_open < 2 and inv.elapsed < max(h.elapsed for h in inv) + 0.5
    revive.start(3)
    assert fleet.inventory().ok


def test_the_tutorial_manifest_across_the_fleet(fleet_env: FleetEnv) -> None:
    gluster = os.environ.get("KVMPOOL_TEST_GLUSTER_HOST")
    if not gluster:
        pytest.skip("needs the gluster volume gv0: KVMPOOL_TEST_GLUSTER_HOST is set by `make test`")
    uris = fleet_env.uris[:4]
    gi, nfs = unique("pyfleet-gi"), unique("pyfleet-nfs")
    parent = f"/var/lib/libvirt/{unique('pyfleet-mnt')}"
    m = kvmpool.Manifest.from_dict(
        {
            "pool": [
                {"name": gi, "type": "dir", "autostart": True},
                {
                    "name": nfs, "type": "netfs", "host": gluster, "source_path": "/gv0",
                    "format": "glusterfs", "target": f"{parent}/{nfs}",
                },
            ]
        }
    )
    fleet = kvmpool.Fleet(uris, labels=["h1", "h2", "h3", "h4"])
    h3_dir = Path(fleet_env.dirs[2]) / "lib" / parent.removeprefix("/var/lib/libvirt/")
    h3_dir.mkdir(parents=True)
    pid = fleet_env.pids[2]
    subprocess.run(["nsenter", "-t", pid, "-m", "mount", "-t", "tmpfs", "-o", "ro,size=64k", "kvmpool-ro", parent], check=True)
    mounted = True
    vol = f"{unique('pyfleet-shared')}.raw"
    try:
        r = fleet.apply(fleet.plan(m), canary=True, concurrency=2)
        assert isinstance(r["h3"].error, kvmpool.Error) and "undone" in str(r["h3"].error)
        assert [h.ok for h in r] == [True, True, False, True]
        assert gi not in pool_names(uris[2]) and nfs not in pool_names(uris[2])
        subprocess.run(["nsenter", "-t", pid, "-m", "umount", parent], check=True)
        mounted = False
        r = fleet.apply(fleet.plan(m))
        assert r.ok, r.errors
        assert all(h.value.is_empty for h in fleet.plan(m))

        fleet.connection("h2").pool(nfs).create_volume(kvmpool.VolumeSpec(vol, capacity="8M"))
        seen = fleet.shared_storage(refresh=True).volume(vol)
        assert seen is not None
        assert [s.host for s in seen.seen] == ["h1", "h2", "h3", "h4"]
        assert seen.sizes_agree and {s.capacity for s in seen.seen} == {8 << 20}
        assert fleet.migration_check("h1", "h3", nfs).compatible

        p = fleet.connection("h1").pool(gi)
        p.destroy()
        drift = fleet.drift(m)
        print(drift)
        assert drift.cell("h1", gi).state == "drifted"
        assert sum(c.state == "in-sync" for c in drift.cells) == 7
    finally:
        if mounted:
            subprocess.run(["nsenter", "-t", pid, "-m", "umount", parent], check=False)
        for uri in uris:
            subprocess.run(["virsh", "-q", "-c", uri, "vol-delete", vol, "--pool", nfs], check=False, capture_output=True)
            for cmd in ("pool-destroy", "pool-delete", "pool-undefine"):
                for p_name in (gi, nfs):
                    subprocess.run(["virsh", "-q", "-c", uri, cmd, p_name], check=False, capture_output=True)


def test_tls_good_certificate_connects_foreign_one_is_refused(fleet_env: FleetEnv) -> None:
    bad = fleet_env.bad_tls.replace("storage+tls://", "storage+tls://kvmpool:pw-hunter2@", 1) + "&token=tok-s3cret"
    fleet = kvmpool.Fleet([fleet_env.tls, bad], labels=["tls", "foreign"])
    inv = fleet.inventory()
    assert inv["tls"].ok
    err = inv["foreign"].error
    assert isinstance(err, kvmpool.ConnectError)
    for text in (str(err), inv.to_json(), repr(fleet.hosts[1].error)):
        assert "pw-hunter2" not in text and "tok-s3cret" not in text


def test_the_test_vm_joins_the_fleet(fleet_env: FleetEnv) -> None:
    if "KVMPOOL_VM_ERROR" in os.environ:
        pytest.fail(f"the test VM did not come up: {os.environ['KVMPOOL_VM_ERROR']}")
    vm = os.environ.get("KVMPOOL_VM_URI")
    if not vm:
        pytest.skip("no test VM (KVMPOOL_VM_URI; `make test` starts one unless VM=0)")
    inv = kvmpool.Fleet(fleet_env.uris + [vm]).inventory()
    assert inv.ok, inv.errors
    assert "pools" in inv[vm].value
