"""From Python, on a libvirtd of the test's own that it kills: a long-lived connection
and its handles work again once the daemon is back, event subscriptions are registered
again, and a volume whose upload the kill interrupted is removed once the link is back.
Also the live daemon's pool capabilities."""

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator, List

import pytest

import kvmpool

from conftest import Live


class Daemon:
    """A storage-only libvirtd of its own (`kvmpool-env.sh daemon-start DIR`)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.script = os.environ["KVMPOOL_TEST_ENV_SCRIPT"]
        self.run("daemon-start")
        self.uri = (directory / "uri").read_text().strip()

    def run(self, command: str) -> None:
        subprocess.run(["sh", self.script, command, str(self.dir)], check=True,
                       stdout=subprocess.DEVNULL)

    def pid(self) -> int:
        return int((self.dir / "libvirtd.pid").read_text())

    def kill(self) -> None:
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split()[2]
            except FileNotFoundError:
                return
            if state == "Z":  # PID 1 here may not reap it
                return
            time.sleep(0.02)


@pytest.fixture
def daemon(live: Live, scratch: Path) -> Iterator[Daemon]:
    d = Daemon(scratch / "daemon")
    yield d
    d.run("daemon-stop")


def wait_for_link(pool: kvmpool.Pool) -> int:
    """Call until the daemon answers; returns how many calls reported ConnectError."""
    errors = 0
    deadline = time.monotonic() + 20
    while True:
        try:
            if not pool.is_active():
                pool.start()
            return errors
        except kvmpool.ConnectError:
            errors += 1
            assert time.monotonic() < deadline, "no reconnect"
            time.sleep(0.1)


def test_connection_handles_and_events_survive_a_daemon_restart(daemon: Daemon) -> None:
    conn = kvmpool.connect(daemon.uri)
    pool = conn.define_pool(kvmpool.PoolSpec.dir("survivor", str(daemon.dir / "pool")))
    pool.build()
    pool.start()
    pool.autostart = True
    vol = pool.create_volume(kvmpool.VolumeSpec("v.raw", "1M"))
    seen: List[str] = []
    subscription = conn.subscribe_pool_events(lambda e: seen.append(e.kind), pool=pool)

    daemon.kill()
    daemon.run("daemon-start")
    assert wait_for_link(pool) <= 1, "reconnects on the next call"
    assert vol.info().capacity == 1 << 20
    assert conn.pool("survivor").uuid == pool.uuid

    pool.destroy()
    pool.start()
    deadline = time.monotonic() + 10
    while "started" not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "started" in seen, f"events after the restart: {seen}"
    subscription.close()
    conn.reconnect()
    assert conn.is_alive()
    vol.delete()
    pool.destroy()
    pool.delete()
    pool.undefine()


def test_upload_cut_by_the_daemon_dying_leaves_no_volume(daemon: Daemon, scratch: Path) -> None:
    conn = kvmpool.connect(daemon.uri)
    pool = conn.define_pool(kvmpool.PoolSpec.dir("cut", str(daemon.dir / "pool")))
    pool.build()
    pool.start()
    pool.autostart = True
    data = scratch / "data.bin"
    data.write_bytes(os.urandom(128 << 20))

    def kill_at_16m(done: int, total: int) -> None:
        if done >= 16 << 20 and not killed:
            killed.append(True)
            daemon.kill()

    killed: List[bool] = []
    with pytest.raises(kvmpool.ConnectError, match="removed when the connection is back"):
        pool.create_volume_from_file(kvmpool.VolumeSpec("cut.raw", 0), data, progress=kill_at_16m)
    daemon.run("daemon-start")
    wait_for_link(pool)
    listed = subprocess.run(["virsh", "-q", "-c", daemon.uri, "vol-list", "cut"], check=True,
                            capture_output=True, text=True).stdout
    assert "cut.raw" not in listed
    assert pool.volume_names() == []


def test_live_pool_capabilities(live: Live) -> None:
    caps = live.conn().pool_capabilities()
    assert "dir" in caps.types
    assert caps.supported("dir")
    assert "qcow2" in caps.volume_formats("dir")
    live.conn().check_supported(kvmpool.PoolSpec.dir("never-defined", "/nowhere"))


def test_repr_of_a_connection_whose_daemon_is_gone_makes_no_call(daemon: Daemon) -> None:
    conn = kvmpool.connect(daemon.uri)
    shown = repr(conn)
    assert daemon.uri in shown
    daemon.kill()
    with pytest.raises(kvmpool.ConnectError):
        conn.pools()  # the link is now known dead: the next call reconnects
    started = time.monotonic()
    for _ in range(3):
        # A repr that called libvirt would try to reconnect to a daemon that is not
        # there (and show "" or raise).
        assert repr(conn) == shown
    assert time.monotonic() - started < 0.5
    assert repr(kvmpool.connect("test:///default")) == '<kvmpool.Connection "test:///default">'
    daemon.run("daemon-start")
    assert repr(conn) == shown
    assert not conn.is_alive(), "repr reconnected (and would have run pending removals)"
    conn.pools()
    assert conn.is_alive()
