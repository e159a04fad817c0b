"""The Python competitors of `make bench`: kvmpool's binding and libvirt-python.

One operation per process, timed in process, printed as JSON lines like the Rust
bench binary (benches/ops.rs) prints them, so benches/compare.py treats all alike.
Opening the connection is not timed; looking pools and volumes up is.

    pyops.py IMPL upload|download URI POOL VOL FILE [--sparse]
    pyops.py IMPL inventory URI POOL details|formats|inventory [--method M] (kvmpool-py)
    pyops.py IMPL create-delete URI POOL COUNT PREFIX
    pyops.py IMPL calls URI POOL VOL COUNT
    pyops.py IMPL xml REPEAT CORPUS_DIR

IMPL is kvmpool-py or libvirt-py (xml: kvmpool-py or etree).
"""

from __future__ import annotations

import errno
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

IMPL = sys.argv[1] if len(sys.argv) > 1 else ""


def emit(line: dict[str, Any], ms: float) -> None:
    line.update(impl=IMPL, ms=ms)
    print(json.dumps(line), flush=True)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t) * 1e3


# --- kvmpool ---------------------------------------------------------------------------


def kv_transfer(op: str, uri: str, pool: str, vol: str, path: str, sparse: bool) -> None:
    import kvmpool

    conn = kvmpool.connect(uri)

    def go() -> Any:
        v = conn.pool(pool).volume(vol)
        return v.upload(path, sparse=sparse) if op == "upload" else v.download(path, sparse=sparse)

    report, ms = timed(go)
    emit({"op": op, "sparse": sparse, "data_bytes": report.data_bytes,
          "hole_bytes": report.hole_bytes, "method": report.method}, ms)


def kv_inventory(uri: str, pool: str, mode: str, *flags: str) -> None:
    import kvmpool

    conn = kvmpool.connect(uri)
    # kvmpool's default method unless `--method M` names one
    kw = {"method": flags[1]} if flags[:1] == ("--method",) else {}

    def go() -> int:
        if mode == "inventory":
            return sum(len(p["volumes"]) for p in conn.inventory(**kw)["pools"])
        return len(conn.pool(pool).volume_details(formats=mode == "formats", **kw))

    n, ms = timed(go)
    emit({"op": "inventory", "mode": mode, "method": kw.get("method", "default"),
          "volumes": n}, ms)


def kv_create_delete(uri: str, pool: str, count: int, prefix: str) -> None:
    import kvmpool

    p = kvmpool.connect(uri).pool(pool)
    names = [f"{prefix}{i:05}.qcow2" for i in range(count)]
    _, create_ms = timed(lambda: [p.create_volume(kvmpool.VolumeSpec(n, "1M", format="qcow2"))
                                  for n in names])

    def delete() -> None:
        for n in names:
            p.volume(n).delete()

    _, delete_ms = timed(delete)
    emit({"op": "create-delete", "count": count, "threads": 1,
          "create_ms": create_ms, "delete_ms": delete_ms}, create_ms + delete_ms)


def kv_calls(uri: str, pool: str, vol: str, count: int) -> None:
    import kvmpool

    p = kvmpool.connect(uri).pool(pool)
    if p.find_volume(vol) is None:
        p.create_volume(kvmpool.VolumeSpec(vol, "1M"))
    v = p.volume(vol)
    call_loop("pool.info", p.info, count)
    call_loop("vol.info", v.info, count)


def call_loop(op: str, call: Callable[[], Any], count: int) -> None:
    def go() -> None:
        for _ in range(count):
            call()

    _, ms = timed(go)
    emit({"op": op, "count": count}, ms)


# --- libvirt-python, written the way its documentation shows ---------------------------


def lv_read(_stream: Any, nbytes: int, fd: int) -> bytes:
    return os.read(fd, nbytes)


def lv_write(_stream: Any, buf: bytes, fd: int) -> int:
    return os.write(fd, buf)


def lv_recv_hole(_stream: Any, length: int, fd: int) -> None:
    os.ftruncate(fd, os.lseek(fd, length, os.SEEK_CUR))


def lv_skip(_stream: Any, length: int, fd: int) -> int:
    return os.lseek(fd, length, os.SEEK_CUR)


def lv_in_data(_stream: Any, fd: int) -> tuple[bool, int]:
    """libvirt-python's sparsestream.py example: is the position in data, and how far."""
    cur = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        data = os.lseek(fd, cur, os.SEEK_DATA)
    except OSError as e:
        if e.errno != errno.ENXIO:
            raise
        data = -1
    if data < 0:
        found = (False, os.lseek(fd, 0, os.SEEK_END) - cur)
    elif data > cur:
        found = (False, data - cur)
    else:
        found = (True, os.lseek(fd, data, os.SEEK_HOLE) - data)
    os.lseek(fd, cur, os.SEEK_SET)
    return found


def lv_transfer(op: str, uri: str, pool: str, vol: str, path: str, sparse: bool) -> None:
    import libvirt

    conn = libvirt.open(uri)
    if op == "upload":
        fd = os.open(path, os.O_RDONLY)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def go() -> None:
        v = conn.storagePoolLookupByName(pool).storageVolLookupByName(vol)
        st = conn.newStream(0)
        if op == "upload":
            v.upload(st, 0, 0, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM if sparse else 0)
            if sparse:
                st.sparseSendAll(lv_read, lv_in_data, lv_skip, fd)
            else:
                st.sendAll(lv_read, fd)
        else:
            v.download(st, 0, 0, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM if sparse else 0)
            if sparse:
                st.sparseRecvAll(lv_write, lv_recv_hole, fd)
            else:
                st.recvAll(lv_write, fd)
        st.finish()
        os.close(fd)

    _, ms = timed(go)
    emit({"op": op, "sparse": sparse}, ms)


def lv_inventory(uri: str, pool: str, mode: str) -> None:
    import libvirt

    conn = libvirt.open(uri)

    def go() -> int:
        rows = []
        for v in conn.storagePoolLookupByName(pool).listAllVolumes(0):
            kind, capacity, allocation = v.info()
            row = [v.name(), v.path(), kind, capacity, allocation]
            if mode == "formats":
                fmt = ET.fromstring(v.XMLDesc(0)).find("target/format")
                row.append(None if fmt is None else fmt.get("type"))
            rows.append(row)
        return len(rows)

    n, ms = timed(go)
    emit({"op": "inventory", "mode": mode, "volumes": n}, ms)


LV_VOLUME_XML = ("<volume><name>{}</name><capacity unit='bytes'>1048576</capacity>"
                 "<target><format type='qcow2'/></target></volume>")


def lv_create_delete(uri: str, pool: str, count: int, prefix: str) -> None:
    import libvirt

    p = libvirt.open(uri).storagePoolLookupByName(pool)
    names = [f"{prefix}{i:05}.qcow2" for i in range(count)]
    _, create_ms = timed(lambda: [p.createXML(LV_VOLUME_XML.format(n), 0) for n in names])
    _, delete_ms = timed(lambda: [p.storageVolLookupByName(n).delete(0) for n in names])
    emit({"op": "create-delete", "count": count, "threads": 1,
          "create_ms": create_ms, "delete_ms": delete_ms}, create_ms + delete_ms)


def lv_calls(uri: str, pool: str, vol: str, count: int) -> None:
    import libvirt

    p = libvirt.open(uri).storagePoolLookupByName(pool)
    if vol not in p.listVolumes():
        p.createXML(f"<volume><name>{vol}</name><capacity>1048576</capacity></volume>", 0)
    v = p.storageVolLookupByName(vol)
    call_loop("pool.info", p.info, count)
    call_loop("vol.info", v.info, count)


# --- XML -------------------------------------------------------------------------------


def corpus(root: str) -> list[tuple[bool, str]]:
    docs = []
    for sub, is_pool in (("pool-in", True), ("pool-out", True), ("vol-in", False),
                         ("vol-out", False)):
        for f in sorted((Path(root) / sub).iterdir()):
            docs.append((is_pool, f.read_text()))
    return docs


def xml(repeat: int, root: str) -> None:
    docs = corpus(root)
    if IMPL == "etree":
        def one(is_pool: bool, doc: str) -> int:
            return len(ET.tostring(ET.fromstring(doc), encoding="unicode"))
    else:
        import kvmpool

        def one(is_pool: bool, doc: str) -> int:
            if is_pool:
                return len(kvmpool.PoolSpec.from_xml(doc).to_xml())
            return len(kvmpool.VolumeSpec.from_xml(doc).to_xml())

    def go() -> int:
        return sum(one(p, d) for _ in range(repeat) for p, d in docs)

    check, ms = timed(go)
    emit({"op": "xml", "docs": len(docs), "repeat": repeat, "check": check}, ms)


def main(argv: list[str]) -> None:
    impl, op, args = argv[0], argv[1], argv[2:]
    kv = impl == "kvmpool-py"
    if op in ("upload", "download"):
        uri, pool, vol, path = args[:4]
        (kv_transfer if kv else lv_transfer)(op, uri, pool, vol, path, args[4:] == ["--sparse"])
    elif op == "inventory":
        (kv_inventory if kv else lv_inventory)(*args)
    elif op == "create-delete":
        (kv_create_delete if kv else lv_create_delete)(args[0], args[1], int(args[2]), args[3])
    elif op == "calls":
        (kv_calls if kv else lv_calls)(args[0], args[1], args[2], int(args[3]))
    elif op == "xml":
        xml(int(args[0]), args[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
