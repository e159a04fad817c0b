"""pool.import_image and vol.export on the live daemon: images made with qemu-img and
xorriso, a local HTTP server (http.server on 127.0.0.1) that also answers 404, closes
half way and is cancelled at 50%; after each failure `virsh vol-list` shows no volume
left behind. Corrupt headers are refused with the field named, fast."""

import hashlib
import http.server
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

import kvmpool
from conftest import allocated, sparse_file, unique

MiB = 1 << 20
GiB = 1 << 30


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def qemu_info(path: str) -> dict:
    return json.loads(run("qemu-img", "info", "--output=json", "-U", path))


def qcow2(directory: Path, name: str, size: str, data_mib: int, *opts: str) -> Path:
    p = directory / name
    run("qemu-img", "create", "-q", "-f", "qcow2", *opts, str(p), size)
    if data_mib:
        run("qemu-io", "-c", f"write -P 0x5a 0 {data_mib}M", str(p))
    return p


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def virsh_volumes(live, pool: kvmpool.Pool) -> List[str]:
    out = run("virsh", "-c", live.uri, "vol-list", pool.name)
    return sorted(line.split()[0] for line in out.splitlines()[2:] if line.strip())


@pytest.fixture
def pool(live, scratch, cleanup) -> kvmpool.Pool:
    spec = kvmpool.PoolSpec.dir(unique("pyimp"), target=str(scratch / "pool"))
    return cleanup.add(live.conn().ensure_pool(spec).pool)


class Routes:
    """What the server answers: path -> (bytes, how)."""

    def __init__(self) -> None:
        self.files: Dict[str, Tuple[bytes, str]] = {}


@pytest.fixture
def server() -> Iterator[Tuple[str, Routes]]:
    routes = Routes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            entry = routes.files.get(self.path.lstrip("/"))
            if entry is None:
                self.send_error(404)
                return
            data, how = entry
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if how == "cut":
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", routes
    srv.shutdown()
    srv.server_close()


def test_qcow2_10g_virtual_2m_data(pool, scratch, live):
    src = qcow2(scratch, "disk.qcow2", "10G", 2)
    seen: List[Tuple[int, int]] = []
    start = time.monotonic()
    vol = pool.import_image(str(src), sha256=sha256(src), progress=lambda d, t: seen.append((d, t)))
    took = time.monotonic() - start
    print(f"python import of a 10 GiB-virtual qcow2 with 2 MiB data: {took:.3f} s")
    assert took < 2.0
    assert vol.name == "disk.qcow2"
    info = qemu_info(vol.path)
    assert info["format"] == "qcow2" and info["virtual-size"] == 10 * GiB
    assert Path(vol.path).read_bytes() == src.read_bytes()
    assert vol.info().capacity == 10 * GiB and vol.spec().format == "qcow2"
    assert seen[-1] == (src.stat().st_size, src.stat().st_size)
    with pytest.raises(kvmpool.AlreadyExistsError):
        pool.import_image(str(src))
    big = pool.import_image(str(src), name="big.qcow2", capacity="20G")
    assert qemu_info(big.path)["virtual-size"] == 20 * GiB
    with pytest.raises(kvmpool.InvalidSpecError) as e:
        pool.import_image(str(src), name="small.qcow2", capacity="1G")
    assert e.value.field == "capacity"
    pool.import_image(str(src), overwrite=True, sparse=False)
    assert virsh_volumes(live, pool) == ["big.qcow2", "disk.qcow2"]


def test_raw_iso_vmdk_backing_and_export(pool, scratch):
    raw = scratch / "disk.img"
    sparse_file(raw, GiB, [5, 600])
    vol = pool.import_image(str(raw))
    assert qemu_info(vol.path)["format"] == "raw" and vol.info().capacity == GiB
    assert allocated(Path(vol.path)) <= 3 * MiB
    assert run("cmp", str(raw), vol.path) == ""

    tree = scratch / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("kvmpool\n")
    iso = scratch / "cd.iso"
    run("xorriso", "-as", "mkisofs", "-quiet", "-o", str(iso), str(tree))
    cd = pool.import_image(str(iso))
    assert cd.spec().format == "iso" and qemu_info(cd.path)["format"] == "raw"
    assert Path(cd.path).read_bytes() == iso.read_bytes()

    vmdk = scratch / "app.vmdk"
    run("qemu-img", "create", "-q", "-f", "vmdk", str(vmdk), "32M")
    run("qemu-io", "-f", "vmdk", "-c", "write -P 0x42 0 1M", str(vmdk))
    with pytest.raises(kvmpool.InvalidSpecError) as e:
        pool.import_image(str(vmdk))
    assert e.value.field == "convert_to"
    conv = pool.import_image(str(vmdk), convert_to="qcow2")
    assert conv.name == "app.qcow2" and qemu_info(conv.path)["format"] == "qcow2"
    run("qemu-img", "compare", "-U", "-f", "vmdk", "-F", "qcow2", str(vmdk), conv.path)

    base = qcow2(scratch, "base.qcow2", "256M", 1)
    pool.import_image(str(base))
    overlay = scratch / "overlay.qcow2"
    run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", str(overlay))
    with pytest.raises(kvmpool.InvalidSpecError) as e:
        pool.import_image(str(overlay))
    assert e.value.field == "allow_backing"
    top = pool.import_image(str(overlay), allow_backing="base.qcow2")
    assert qemu_info(top.path)["backing-filename"] == "base.qcow2"

    out = scratch / "out.raw"
    report = conv.export(out, format="raw", checksum="sha256")
    assert report.converted and report.format == "raw" and report.bytes == 32 * MiB
    assert report.checksums["sha256"] == sha256(out)
    run("qemu-img", "compare", "-f", "raw", "-F", "vmdk", str(out), str(vmdk))
    with pytest.raises(kvmpool.AlreadyExistsError):
        conv.export(out)
    with pytest.raises(kvmpool.InvalidSpecError) as e:
        conv.export(scratch / "bad.qcow2", sha512="0" * 128)
    assert e.value.field == "sha512" and not (scratch / "bad.qcow2").exists()


def test_downloads_and_failures_leave_nothing(pool, scratch, server, live):
    base_url, routes = server
    src = qcow2(scratch, "web.qcow2", "10G", 8)
    data = src.read_bytes()
    routes.files["img/web.qcow2"] = (data, "full")
    routes.files["cut.qcow2"] = (data, "cut")
    vol = pool.import_image(f"{base_url}/img/web.qcow2", sha256=sha256(src))
    assert vol.name == "web.qcow2" and Path(vol.path).read_bytes() == data
    before = virsh_volumes(live, pool)

    with pytest.raises(kvmpool.NotFoundError):
        pool.import_image(f"{base_url}/missing.qcow2")
    assert virsh_volumes(live, pool) == before

    with pytest.raises(kvmpool.IoError) as io:
        pool.import_image(f"{base_url}/cut.qcow2")
    assert "removed again" in str(io.value)
    assert virsh_volumes(live, pool) == before

    with pytest.raises(kvmpool.InvalidSpecError) as e:
        pool.import_image(f"{base_url}/img/web.qcow2", name="w2.qcow2", sha256="ab" * 32)
    assert e.value.field == "sha256" and sha256(src) in str(e.value) and "ab" * 32 in str(e.value)
    assert virsh_volumes(live, pool) == before

    with pytest.raises(kvmpool.CancelledError):
        pool.import_image(f"{base_url}/img/web.qcow2", name="w3.qcow2", progress=lambda d, t: d < t // 2)
    assert virsh_volumes(live, pool) == before

    class Stop(Exception):
        pass

    def boom(done: int, total: int) -> None:
        if done >= total // 2:
            raise Stop()

    with pytest.raises(Stop):
        pool.import_image(f"{base_url}/img/web.qcow2", name="w4.qcow2", progress=boom)
    assert virsh_volumes(live, pool) == before


def test_corrupt_headers_refused_with_field_fast(pool, scratch, live):
    good = qcow2(scratch, "good.qcow2", "1G", 0)
    header = good.read_bytes()
    truncated = scratch / "truncated.qcow2"
    truncated.write_bytes(header[:40])
    absurd = scratch / "absurd.qcow2"
    absurd.write_bytes(header[:24] + (1 << 62).to_bytes(8, "big") + header[32:])
    magic = scratch / "magic.qcow2"
    magic.write_bytes(b"QFJ\xfb" + header[4:])
    for path, kwargs, field in [
        (truncated, {}, "qcow2.header"),
        (absurd, {}, "qcow2.size"),
        (magic, {"format": "qcow2"}, "format"),
    ]:
        start = time.monotonic()
        with pytest.raises(kvmpool.InvalidSpecError) as e:
            pool.import_image(str(path), **kwargs)
        assert time.monotonic() - start < 0.5
        assert e.value.field == field, str(e.value)
    for bad, field in [({"sha256": "xyz"}, "sha256"), ({"format": "qcow3"}, "format"), ({"convert_to": "vmdk"}, "convert_to")]:
        with pytest.raises(kvmpool.InvalidSpecError) as e:
            pool.import_image(str(good), name="x.qcow2", **bad)
        assert e.value.field == field
    assert virsh_volumes(live, pool) == []
