"""Fixtures: the live environment of `make test`, private test-driver connections,
unique names, loop devices, and cleanup that leaves nothing behind."""

import itertools
import os
import subprocess
import tempfile
import uuid as uuidlib
from pathlib import Path
from typing import Iterator, List

import pytest

import kvmpool

_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


class Live:
    def __init__(self) -> None:
        self.uri = os.environ["KVMPOOL_TEST_URI"]
        self.dir = Path(os.environ["KVMPOOL_TEST_DIR"])

    def conn(self) -> kvmpool.Connection:
        return kvmpool.connect(self.uri)


@pytest.fixture
def live() -> Live:
    if "KVMPOOL_TEST_URI" not in os.environ or "KVMPOOL_TEST_DIR" not in os.environ:
        pytest.skip("needs the live libvirtd: KVMPOOL_TEST_URI/KVMPOOL_TEST_DIR are set by `make test`")
    return Live()


@pytest.fixture
def scratch(live: Live) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(dir=live.dir, prefix="py-") as d:
        yield Path(d)


@pytest.fixture
def test_conn(tmp_path: Path) -> kvmpool.Connection:
    """A test-driver connection with its own state: one running dir pool `default-pool`."""
    node = tmp_path / "node.xml"
    node.write_text(
        "<node><pool type='dir'><name>default-pool</name>"
        f"<uuid>{uuidlib.uuid4()}</uuid><target><path>/default-pool</path></target></pool></node>"
    )
    return kvmpool.connect(f"test://{node}")


class Cleanup:
    """Destroys, deletes and undefines pools at the end of a test, whatever happened."""

    def __init__(self) -> None:
        self.pools: List[kvmpool.Pool] = []

    def add(self, pool: kvmpool.Pool) -> kvmpool.Pool:
        self.pools.append(pool)
        return pool

    def run(self) -> None:
        for pool in reversed(self.pools):
            try:
                for vol in pool.volumes():
                    try:
                        vol.delete()
                    except kvmpool.Error:
                        pass
            except kvmpool.Error:
                pass
            for step in (pool.destroy, pool.delete, pool.undefine):
                try:
                    step()
                except kvmpool.Error:
                    pass


@pytest.fixture
def cleanup() -> Iterator[Cleanup]:
    c = Cleanup()
    yield c
    c.run()


class LoopDevice:
    def __init__(self, directory: Path, size: str) -> None:
        self.backing = directory / f"{unique('loop')}.img"
        subprocess.run(["truncate", "-s", size, str(self.backing)], check=True)
        self.device = subprocess.run(
            ["losetup", "--find", "--show", str(self.backing)], check=True, capture_output=True, text=True
        ).stdout.strip()

    @property
    def name(self) -> str:
        return self.device.removeprefix("/dev/")

    def release(self) -> None:
        subprocess.run(["losetup", "-d", self.device], check=False)


@pytest.fixture
def loop_device(scratch: Path) -> Iterator[LoopDevice]:
    devices: List[LoopDevice] = []

    def make(size: str = "128M") -> LoopDevice:
        d = LoopDevice(scratch, size)
        devices.append(d)
        return d

    yield make  # type: ignore[misc]
    for d in devices:
        d.release()


def sparse_file(path: Path, size: int, data_mib: List[int]) -> None:
    """A file of `size` bytes with random MiB blocks at `data_mib` and holes elsewhere."""
    with open(path, "wb") as f:
        f.truncate(size)
        for mib in data_mib:
            f.seek(mib << 20)
            f.write(os.urandom(1 << 20))


def allocated(path: Path) -> int:
    return os.stat(path).st_blocks * 512
