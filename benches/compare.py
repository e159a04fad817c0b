"""Driver of `make bench`: kvmpool against virsh, libvirt-python and cp, same run, same data.

benches/run.sh starts a private libvirtd and calls this with its URI. Every competitor
runs `reps` times per case, interleaved (the order rotates each round), and each run is
a fresh process: the Rust bench binary (benches/ops.rs), the Python worker
(benches/pyops.py), virsh, cp. kvmpool and libvirt-python time the operation in process
(connection already open); virsh and cp are timed as whole processes, which is what a
user of them waits for. The fixed cost of one virsh process is measured and reported so
that the reader can subtract it.

The report (benches/results/latest.{md,svg,json}) is written by benches/report.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import report

HERE = Path(__file__).resolve().parent
PYOPS = HERE / "pyops.py"
MIB = 1 << 20
GIB = 1 << 30
# The sparse files hold the same data: EXTENTS pieces of EXTENT bytes, spread evenly, so
# the 8 GiB file has the same number of holes as the 1 GiB one, each 8 times longer.
EXTENTS = 8
EXTENT = 256 * 1024

Runner = Callable[[], dict[str, float]]


class Config:
    """Sizes and repeats; KVMPOOL_BENCH_QUICK=1 shrinks them for a smoke run."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.reps = int(os.environ.get("KVMPOOL_BENCH_REPS", 3 if quick else 5))
        self.upload_bytes = (32 if quick else 256) * MIB
        self.sparse_sizes = [GIB, 8 * GIB]
        self.inventory_sizes = [100, 1000] if quick else [100, 1000, 10000]
        self.create_count = 50 if quick else 1000
        self.virsh_loop_count = 5 if quick else 50
        self.xml_repeat = 20 if quick else 1000
        self.daemon_calls = 1000 if quick else 10000
        self.plan_count = 100 if quick else 1000
        self.local_calls = 10000 if quick else 100000


class Bench:
    # kvmpool's two ways of moving bytes (TransferMethod); "kvmpool Python" takes the
    # default, auto, which is direct on this local daemon.
    METHODS = ("direct", "stream")

    def __init__(self, uri: str, work: Path, ops: Path, cfg: Config, pylib: Path | None) -> None:
        self.uri, self.work, self.ops, self.cfg = uri, work, ops, cfg
        # the release build of the binding, when run.sh made one (.venv's is a debug build)
        self.py_env = {**os.environ, "PYTHONPATH": str(pylib)} if pylib else None
        self.data = work / "data"
        self.pools = work / "pools"
        self.results = report.Results()
        mib = cfg.upload_bytes // MIB
        self.s_transfer = f"Upload and download, {mib} MiB of random data"
        self.up_case, self.down_case = f"upload {mib} MiB", f"download {mib} MiB"
        self.s_sparse = f"Sparse upload and download, {EXTENTS * EXTENT // MIB} MiB of data"
        self.s_inventory = "Inventory: name, path, type, capacity, allocation"
        self.s_formats = "Inventory with formats (one XML per volume)"
        self.s_calls = "Call overhead: info() in a loop"
        self.s_import = "Image import: a disk image into a new volume"
        self.s_plan = f"Declarative: a manifest of one dir pool with {cfg.plan_count:,} volumes"

    # --- running things --------------------------------------------------------------

    def json_lines(self, cmd: list[str], env: dict[str, str] | None = None) -> list[dict]:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def rust(self, *args: object) -> list[dict]:
        return self.json_lines([str(self.ops), *map(str, args)])

    def rust_xfer(self, op: str, vol: str, path: Path, method: str, *flags: str) -> float:
        """One kvmpool Rust upload or download by `method`; it must have gone that way."""
        line = self.rust(op, self.uri, "bench-data", vol, path, *flags, "--method", method)[0]
        if line["method"] != method:
            raise SystemExit(f"ops {op} --method {method} went by {line['method']}")
        return line["ms"]

    def py(self, impl: str, *args: object) -> list[dict]:
        return self.json_lines([sys.executable, str(PYOPS), impl, *map(str, args)], self.py_env)

    def virsh(self, *args: str, stdin: str | None = None) -> str:
        cmd = ["virsh", "-q", "-c", self.uri, *args]
        return subprocess.run(cmd, check=True, capture_output=True, text=True,
                              input=stdin).stdout

    def wall(self, fn: Callable[[], object]) -> float:
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1e3

    def measure(self, section: str, runners: dict[str, Runner], reps: int | None = None) -> None:
        impls = list(runners)
        for r in range(reps or self.cfg.reps):
            k = r % len(impls)
            for impl in impls[k:] + impls[:k]:
                for case, ms in runners[impl]().items():
                    self.results.add(section, case, impl, ms)
            print(f"  {section}: round {r + 1} done", flush=True)

    # --- setup -----------------------------------------------------------------------

    def setup(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        with open(self.data / "random.bin", "wb") as f:
            for _ in range(self.cfg.upload_bytes // MIB):
                f.write(os.urandom(MIB))
        extent = os.urandom(EXTENT)
        for size in self.cfg.sparse_sizes:
            with open(self.sparse_file(size), "wb") as f:
                for off in self.extent_offsets(size):
                    f.seek(off)
                    f.write(extent)
                f.truncate(size)
        for name in ("data", "inv", "cd"):
            (self.pools / name).mkdir(parents=True, exist_ok=True)
            self.virsh("pool-create-as", f"bench-{name}", "dir", "--target",
                       str(self.pools / name))
        self.virsh("vol-create-as", "bench-data", "up.raw", str(self.cfg.upload_bytes))
        for size in self.cfg.sparse_sizes:
            self.virsh("vol-create-as", "bench-data", self.sparse_vol(size), str(size),
                       "--allocation", "0")

    def sparse_file(self, size: int) -> Path:
        return self.data / f"sparse-{size // GIB}g.bin"

    def sparse_vol(self, size: int) -> str:
        return f"sparse-{size // GIB}g.raw"

    @staticmethod
    def extent_offsets(size: int) -> list[int]:
        return [i * (size // EXTENTS) for i in range(EXTENTS)]

    # --- 1, 2: plain upload and download ---------------------------------------------

    def transfers(self) -> None:
        src, vol = self.data / "random.bin", self.pools / "data" / "up.raw"
        up = self.up_case
        self.measure(self.s_transfer, {
            **{f"kvmpool Rust {m}": self.synced(up, lambda m=m: self.rust_xfer(
                "upload", "up.raw", src, m)) for m in self.METHODS},
            "kvmpool Python": self.synced(up, lambda: self.py(
                "kvmpool-py", "upload", self.uri, "bench-data", "up.raw", src)[0]["ms"]),
            "virsh": self.synced(up, lambda: self.wall(lambda: self.virsh(
                "vol-upload", "--pool", "bench-data", "up.raw", str(src)))),
            "libvirt-python": self.synced(up, lambda: self.py(
                "libvirt-py", "upload", self.uri, "bench-data", "up.raw", src)[0]["ms"]),
            "cp": self.synced(up, lambda: self.cp(src, vol.with_name("cp.raw"), False)),
            "cp + sync": self.synced(up, lambda: self.cp(src, vol.with_name("cp.raw"), True)),
        })
        self.downloads(self.s_transfer, self.down_case, "up.raw", src, sparse=False)

    def downloads(self, section: str, case: str, vol: str, src: Path, sparse: bool) -> None:
        flag = ["--sparse"] if sparse else []

        def out(impl: str) -> Path:
            return self.data / f"down-{impl.replace(' ', '-')}.bin"

        def checked(impl: str, run: Callable[[Path], float]) -> Runner:
            def go() -> dict[str, float]:
                dest = out(impl)
                dest.unlink(missing_ok=True)
                os.sync()
                ms = run(dest)
                self.verify(dest, src, sparse)
                dest.unlink()
                return {case: ms}
            return go

        self.measure(section, {
            **{f"kvmpool Rust {m}": checked(f"kvmpool Rust {m}", lambda d, m=m: self.rust_xfer(
                "download", vol, d, m, *flag)) for m in self.METHODS},
            "kvmpool Python": checked("kvmpool Python", lambda d: self.py(
                "kvmpool-py", "download", self.uri, "bench-data", vol, d, *flag)[0]["ms"]),
            "virsh": checked("virsh", lambda d: self.wall(lambda: self.virsh(
                "vol-download", "--pool", "bench-data", vol, str(d), *flag))),
            "libvirt-python": checked("libvirt-python", lambda d: self.py(
                "libvirt-py", "download", self.uri, "bench-data", vol, d, *flag)[0]["ms"]),
            "cp": checked("cp", lambda d: self.cp(self.pools / "data" / vol, d, False)),
            "cp + sync": checked("cp + sync", lambda d: self.cp(self.pools / "data" / vol, d,
                                                                True)),
        })

    def synced(self, case: str, run: Callable[[], float]) -> Runner:
        """Start each run with no dirty pages left by the one before (untimed)."""
        def go() -> dict[str, float]:
            (self.pools / "data" / "cp.raw").unlink(missing_ok=True)
            os.sync()
            return {case: run()}
        return go

    def cp(self, src: Path, dest: Path, sync: bool) -> float:
        def go() -> None:
            subprocess.run(["cp", str(src), str(dest)], check=True)
            if sync:
                subprocess.run(["sync", str(dest)], check=True)
        return self.wall(go)

    def verify(self, got: Path, want: Path, sparse: bool) -> None:
        """A download that moved the wrong bytes must not become a figure."""
        if got.stat().st_size != want.stat().st_size:
            raise SystemExit(f"{got}: {got.stat().st_size} bytes, want {want.stat().st_size}")
        if not sparse:
            subprocess.run(["cmp", "-s", str(got), str(want)], check=True)
            return
        with open(got, "rb") as g, open(want, "rb") as w:
            for off in self.extent_offsets(want.stat().st_size):
                g.seek(off)
                w.seek(off)
                if g.read(EXTENT) != w.read(EXTENT):
                    raise SystemExit(f"{got}: data at {off} differs from {want}")

    # --- 3: sparse -------------------------------------------------------------------

    def sparse(self) -> None:
        section = self.s_sparse
        self.results.note(
            "Each sparse upload goes into a newly created, empty volume with no allocation "
            "(`vol-create-as --allocation 0`, untimed): libvirt applies a stream hole to a "
            "file volume by seeking past it, so holes are only safe where the volume reads as "
            "zeros, and kvmpool sends zeros instead of holes into a volume with allocated "
            "blocks (`vol-create-as` without `--allocation` preallocates the whole capacity).")
        for size in self.cfg.sparse_sizes:
            src, vol, gib = self.sparse_file(size), self.sparse_vol(size), size // GIB
            case = f"upload {gib} GiB"

            def fresh(run: Callable[[], float], vol: str = vol, size: int = size) -> Runner:
                def go() -> float:
                    self.virsh("vol-delete", "--pool", "bench-data", vol)
                    self.virsh("vol-create-as", "bench-data", vol, str(size), "--allocation",
                               "0")
                    return run()
                return self.synced(case, go)

            self.measure(section, {
                **{f"kvmpool Rust {m}": fresh(lambda m=m, vol=vol, src=src: self.rust_xfer(
                    "upload", vol, src, m, "--sparse")) for m in self.METHODS},
                "kvmpool Python": fresh(lambda: self.py(
                    "kvmpool-py", "upload", self.uri, "bench-data", vol, src,
                    "--sparse")[0]["ms"]),
                "virsh": fresh(lambda: self.wall(lambda: self.virsh(
                    "vol-upload", "--sparse", "--pool", "bench-data", vol, str(src)))),
                "libvirt-python": fresh(lambda: self.py(
                    "libvirt-py", "upload", self.uri, "bench-data", vol, src,
                    "--sparse")[0]["ms"]),
                "cp": self.synced(case, lambda: self.cp(src, self.pools / "data" / "cp.raw",
                                                        False)),
                "cp + sync": self.synced(case, lambda: self.cp(
                    src, self.pools / "data" / "cp.raw", True)),
            })
        for size in self.cfg.sparse_sizes:
            self.downloads(section, f"download {size // GIB} GiB", self.sparse_vol(size),
                           self.sparse_file(size), sparse=True)

    # --- 4: inventory ----------------------------------------------------------------

    def inventory(self) -> None:
        """A pool of mixed volumes (issue 15): qcow2, sparse raw, written raw and ISO in
        turn, copied into the pool directory and found by one `virsh pool-refresh`."""
        template = self.data / "template.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096",
                        str(template), "1M"], check=True)
        written = os.urandom(64 * 1024)
        made = 0
        for n in self.cfg.inventory_sizes:
            for i in range(made, n):
                self.inventory_file(i, template, written)
            made = n
            refresh = self.wall(lambda: self.virsh("pool-refresh", "bench-inv"))
            self.results.note(f"Inventory setup: {n:,} files (qcow2, sparse raw, written raw, "
                              f"ISO in turn) copied into the pool directory, then one `virsh "
                              f"pool-refresh` ({refresh:.0f} ms).")
            self.inventory_round(n)
        self.results.note(
            "Inventory methods (InventoryMethod): `rpc` asks libvirt for each volume "
            "(vol-info; vol-dumpxml with formats), `local` reads the files of this local "
            "daemon's dir pool in process (/proc/PID/root), `auto` (the default, also of "
            "kvmpool Python and inventory()) reads the files where it can and asks libvirt "
            "for the rest; with formats it asks libvirt for raw and ISO files, whose format "
            "libvirt keeps from their creation. tests/inventory_local.rs checks that the "
            "answers are libvirt's, field by field.")

    def inventory_file(self, i: int, template: Path, written: bytes) -> None:
        pool = self.pools / "inv"
        kind = i % 4
        if kind == 0:
            shutil.copyfile(template, pool / f"inv-{i:05}.qcow2")
        elif kind == 1:
            with open(pool / f"inv-{i:05}.raw", "wb") as f:
                f.truncate((i + 1) * 4096)
        elif kind == 2:
            (pool / f"inv-{i:05}.img").write_bytes(written)
        else:
            # ISO 9660: a primary volume descriptor and the terminator after the 32 KiB
            # system area, holes elsewhere
            blocks = 20 + i % 100
            pvd = bytearray(2048)
            pvd[0:7] = b"\x01CD001\x01"
            pvd[80:84] = blocks.to_bytes(4, "little")
            pvd[84:88] = blocks.to_bytes(4, "big")
            pvd[128:130] = (2048).to_bytes(2, "little")
            end = bytearray(2048)
            end[0:7] = b"\xffCD001\x01"
            with open(pool / f"inv-{i:05}.iso", "wb") as f:
                f.seek(32768)
                f.write(pvd + end)
                f.truncate(max(blocks * 2048, 36864))

    def inventory_round(self, n: int) -> None:
        case = f"{n:,} volumes"

        def rust(mode: str, method: str) -> Runner:
            return lambda: {case: self.rust("inventory", self.uri, "bench-inv", mode,
                                            "--method", method)[0]["ms"]}

        def py(impl: str, mode: str) -> Runner:
            return lambda: {case: self.py(impl, "inventory", self.uri, "bench-inv",
                                          mode)[0]["ms"]}

        virsh = self.virsh("vol-list", "--pool", "bench-inv", "--details")
        if len(virsh.splitlines()) != n:
            raise SystemExit(f"virsh vol-list shows {len(virsh.splitlines())} volumes, want {n}")
        self.measure(self.s_inventory, {
            "kvmpool Rust local": rust("details", "local"),
            "kvmpool Rust rpc": rust("details", "rpc"),
            "kvmpool Rust inventory()": rust("inventory", "auto"),
            "kvmpool Python": py("kvmpool-py", "details"),
            "virsh": lambda: {case: self.wall(lambda: self.virsh(
                "vol-list", "--pool", "bench-inv", "--details"))},
            "libvirt-python": py("libvirt-py", "details"),
        })
        self.measure(self.s_formats, {
            "kvmpool Rust auto": rust("formats", "auto"),
            "kvmpool Rust local": rust("formats", "local"),
            "kvmpool Rust rpc": rust("formats", "rpc"),
            "kvmpool Python": py("kvmpool-py", "formats"),
            "libvirt-python": py("libvirt-py", "formats"),
        })

    # --- image import ----------------------------------------------------------------

    def imports(self) -> None:
        """A 10 GiB-virtual qcow2 holding 2 MiB of data into a pool: kvmpool's one call
        (format and capacity from the header, SHA-256 checked) against what virsh needs by
        hand (vol-create-as with the right format and size, then vol-upload --sparse)."""
        image = self.data / "image.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "10G"],
                       check=True)
        subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P 7 0 1M",
                        "-c", "write -P 9 5G 1M", str(image)], check=True, capture_output=True)
        case = "10 GiB qcow2, 2 MiB of data"

        def fresh(run: Callable[[], float]) -> Runner:
            def go() -> dict[str, float]:
                ms = run()
                self.virsh("vol-delete", "--pool", "bench-data", "imported.qcow2")
                return {case: ms}
            return go

        def rust() -> float:
            line = self.rust("import", self.uri, "bench-data", image, "rust.qcow2")[0]
            if (line["format"], line["capacity"]) != ("qcow2", 10 * GIB):
                raise SystemExit(f"ops import made {line}")
            return line["ms"]

        def by_hand() -> float:
            return self.wall(lambda: (
                self.virsh("vol-create-as", "bench-data", "imported.qcow2", "10G",
                           "--format", "qcow2"),
                self.virsh("vol-upload", "--sparse", "--pool", "bench-data", "imported.qcow2",
                           str(image))))

        self.measure(self.s_import, {
            "kvmpool Rust": lambda: {case: rust()},
            "virsh vol-create-as + vol-upload --sparse": fresh(by_hand),
        })

    # --- declarative: plan and apply -------------------------------------------------

    def plan(self) -> None:
        n = self.cfg.plan_count
        target = self.pools / "plan"

        def rust() -> dict[str, float]:
            line = self.rust("plan", self.uri, "bench-plan", target, n)[0]
            if line["volumes"] != n:
                raise SystemExit(f"ops plan made {line['volumes']} volumes, want {n}")
            return {f"plan, {n:,} volumes missing": line["plan_ms"],
                    f"apply, {line['actions']} actions": line["apply_ms"],
                    f"plan again, {n:,} volumes in sync": line["replan_ms"],
                    "inventory() of the host": line["inventory_ms"],
                    "volume_details() of the pool": line["details_ms"]}

        self.measure(self.s_plan, {"kvmpool Rust": rust})

    # --- 5: create and delete --------------------------------------------------------

    def create_delete(self) -> None:
        n, m = self.cfg.create_count, self.cfg.virsh_loop_count

        def split(line: dict) -> dict[str, float]:
            return {f"create {n:,}": line["create_ms"], f"delete {n:,}": line["delete_ms"],
                    f"create + delete {n:,}": line["ms"]}

        def rust(threads: int) -> Runner:
            return lambda: split(self.rust("create-delete", self.uri, "bench-cd", n, threads,
                                           f"r{threads}-")[0])

        def py(impl: str) -> Runner:
            return lambda: split(self.py(impl, "create-delete", self.uri, "bench-cd", n,
                                         impl[0] + "-")[0])

        self.measure(f"Create and delete {n:,} qcow2 volumes of 1 MiB", {
            "kvmpool Rust": rust(1),
            "kvmpool Rust, 4 threads": rust(4),
            "virsh, one process": lambda: split(self.virsh_batch(n)),
            f"virsh loop (measured on {m}, ×{n // m})": lambda: {
                k: v * n / m for k, v in split(self.virsh_loop(m)).items()},
            "libvirt-python": py("libvirt-py"),
        })

    def virsh_batch(self, n: int) -> dict:
        names = [f"vb-{i:05}.qcow2" for i in range(n)]
        create = "".join(f"vol-create-as bench-cd {v} 1M --format qcow2\n" for v in names)
        delete = "".join(f"vol-delete --pool bench-cd {v}\n" for v in names)
        c = self.wall(lambda: self.virsh(stdin=create))
        d = self.wall(lambda: self.virsh(stdin=delete))
        return {"create_ms": c, "delete_ms": d, "ms": c + d}

    def virsh_loop(self, m: int) -> dict:
        names = [f"vl-{i:05}.qcow2" for i in range(m)]
        c = self.wall(lambda: [self.virsh("vol-create-as", "bench-cd", v, "1M", "--format",
                                          "qcow2") for v in names])
        d = self.wall(lambda: [self.virsh("vol-delete", "--pool", "bench-cd", v)
                               for v in names])
        return {"create_ms": c, "delete_ms": d, "ms": c + d}

    # --- 6: XML ----------------------------------------------------------------------

    def xml(self, corpus: Path) -> None:
        k = self.cfg.xml_repeat
        case_rs, case_py = f"Rust: corpus × {k:,}", f"Python: corpus × {k:,}"

        def rust(mode: str) -> Runner:
            return lambda: {case_rs: self.rust("xml", k, mode)[0]["ms"]}

        def py(impl: str) -> Runner:
            return lambda: {case_py: self.py(impl, "xml", k, corpus)[0]["ms"]}

        docs = self.rust("xml", 1, "tokenize")[0]["docs"]
        self.s_xml = f"XML: parse and format the {docs} corpus files"
        self.xml_cases = (case_rs, case_py)
        self.measure(self.s_xml, {
            "kvmpool Rust": rust("typed"),
            "quick-xml tokenising": rust("tokenize"),
            "kvmpool Python": py("kvmpool-py"),
            "Python xml.etree": py("etree"),
        })

    def criterion(self, xml_bench: Path) -> None:
        """The criterion view of the same XML comparison (a cross-check, in µs per pass)."""
        home = self.work / "criterion"
        args = ["--warm-up-time", "1", "--measurement-time", "2"] if self.cfg.quick else []
        subprocess.run([str(xml_bench), "--bench", *args], check=True,
                       env={**os.environ, "CRITERION_HOME": str(home)})
        medians = {}
        for name in ("kvmpool_parse_format", "quick_xml_tokenize"):
            est = json.loads((home / "xml_corpus" / name / "new" / "estimates.json").read_text())
            medians[name] = est["median"]["point_estimate"] / 1e3
        ratio = medians["kvmpool_parse_format"] / medians["quick_xml_tokenize"]
        self.results.note(
            f"criterion (`cargo bench --bench xml`), one pass over the corpus: kvmpool typed "
            f"{medians['kvmpool_parse_format']:.0f} µs, quick-xml tokenising "
            f"{medians['quick_xml_tokenize']:.0f} µs, ratio {ratio:.2f}×.")

    # --- 7: call overhead ------------------------------------------------------------

    def calls(self) -> None:
        vol = "calls.raw"
        self.virsh("vol-create-as", "bench-data", vol, "1M")
        targets = [(self.uri, "bench-data", self.cfg.daemon_calls, "daemon"),
                   ("test:///default", "default-pool", self.cfg.local_calls, "test:///default")]
        for uri, pool, count, where in targets:
            def label(lines: list[dict]) -> dict[str, float]:
                return {f"{x['op']}() ×{count:,}, {where}": x["ms"] for x in lines}

            self.measure(self.s_calls, {
                "kvmpool Python": lambda: label(self.py("kvmpool-py", "calls", uri, pool, vol,
                                                        count)),
                "libvirt-python": lambda: label(self.py("libvirt-py", "calls", uri, pool, vol,
                                                        count)),
                "kvmpool Rust": lambda: label(self.rust("calls", uri, pool, vol, count)),
            })

    def targets(self) -> None:
        """Issue 9's targets, as ratios of medians from this run."""
        t, kv = self.results.target, "kvmpool Rust"
        stream, direct = f"{kv} stream", f"{kv} direct"
        for case in (self.up_case, self.down_case):
            t(f"{case}, stream: ≤ 1.0× virsh", (self.s_transfer, case, stream),
              (self.s_transfer, case, "virsh"), 1.0)
            t(f"{case}, direct: ≤ 1.2× cp + sync", (self.s_transfer, case, direct),
              (self.s_transfer, case, "cp + sync"), 1.2)
        big, small = (f"{s // GIB} GiB" for s in reversed(self.cfg.sparse_sizes))
        for op in ("upload", "download"):
            t(f"sparse {op}, same data: {big} ≤ 1.5× {small} (time follows data)",
              (self.s_sparse, f"{op} {big}", stream), (self.s_sparse, f"{op} {small}", stream),
              1.5)
            t(f"sparse {op} {big}, stream: ≤ 1.0× virsh --sparse",
              (self.s_sparse, f"{op} {big}", stream), (self.s_sparse, f"{op} {big}", "virsh"),
              1.0)
            t(f"sparse {op} {big}, direct: ≤ 1.0× stream", (self.s_sparse, f"{op} {big}", direct),
              (self.s_sparse, f"{op} {big}", stream), 1.0)
        n = f"{self.cfg.inventory_sizes[-1]:,} volumes"
        local, rpc = f"{kv} local", f"{kv} rpc"
        t(f"inventory of {n}, local: ≥ 10× faster than virsh vol-list --details",
          (self.s_inventory, n, local), (self.s_inventory, n, "virsh"), 0.1)
        t(f"inventory of {n}, rpc: ≥ 5× faster than virsh vol-list --details",
          (self.s_inventory, n, rpc), (self.s_inventory, n, "virsh"), 0.2)
        t(f"inventory of {n}, rpc: no slower than libvirt-python", (self.s_inventory, n, rpc),
          (self.s_inventory, n, "libvirt-python"), 1.0)
        t(f"inventory of {n}, local: no slower than rpc", (self.s_inventory, n, local),
          (self.s_inventory, n, rpc), 1.0)
        t("import of a 10 GiB qcow2 with 2 MiB of data: ≤ 2× virsh by hand (issue 14)",
          (self.s_import, "10 GiB qcow2, 2 MiB of data", kv),
          (self.s_import, "10 GiB qcow2, 2 MiB of data",
           "virsh vol-create-as + vol-upload --sparse"), 2.0)
        p = self.cfg.plan_count
        t(f"plan of {p:,} volumes in sync: ≤ 2× one inventory() (issue 13)",
          (self.s_plan, f"plan again, {p:,} volumes in sync", kv),
          (self.s_plan, "inventory() of the host", kv), 2.0)
        if hasattr(self, "s_xml"):
            t("XML corpus: typed ≤ 2× quick-xml tokenising", (self.s_xml, self.xml_cases[0], kv),
              (self.s_xml, self.xml_cases[0], "quick-xml tokenising"), 2.0)
        for case in self.results.data.get(self.s_calls, {}):
            t(f"{case}: kvmpool Python ≤ 1.2× libvirt-python",
              (self.s_calls, case, "kvmpool Python"), (self.s_calls, case, "libvirt-python"),
              1.2)

    def python_module(self) -> None:
        code = "import kvmpool; print(kvmpool._kvmpool.__file__)"
        where = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                               text=True, env=self.py_env).stdout.strip()
        build = "release build" if self.py_env else "the build in .venv"
        self.results.note(f"kvmpool Python: {where} ({build}).")

    def virsh_fixed_cost(self) -> None:
        runs = sorted(self.wall(lambda: self.virsh("pool-info", "bench-data")) for _ in range(5))
        self.results.note(f"One `virsh -c URI pool-info` process (start, connect, one call, "
                          f"exit) takes {runs[2]:.0f} ms (median of 5): the fixed part of "
                          f"every virsh figure.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uri", required=True)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--ops", required=True, type=Path, help="the ops bench binary")
    ap.add_argument("--xml-bench", type=Path, help="the criterion xml bench binary")
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--pylib", type=Path, help="where the release build of kvmpool-py is")
    ap.add_argument("--only", help="comma-separated sections (transfers,sparse,import,plan,"
                    "inventory,create,xml,calls)")
    a = ap.parse_args()
    cfg = Config(os.environ.get("KVMPOOL_BENCH_QUICK", "") not in ("", "0"))
    b = Bench(a.uri, a.work, a.ops, cfg, a.pylib)
    started = time.time()
    b.setup()
    b.python_module()
    b.virsh_fixed_cost()
    steps: dict[str, Callable[[], None]] = {
        # plan before inventory: its inventory() of the host should not include the
        # 10,000 volumes of the inventory pool
        "transfers": b.transfers, "sparse": b.sparse, "import": b.imports, "plan": b.plan,
        "inventory": b.inventory,
        "create": b.create_delete, "xml": lambda: b.xml(a.corpus), "calls": b.calls,
    }
    if not (a.corpus / "pool-in").is_dir():
        b.results.note(f"XML comparison skipped: no corpus at {a.corpus} "
                       "(set KVMPOOL_XML_CORPUS).")
        a.xml_bench = None
        del steps["xml"]
    for name, step in steps.items():
        if a.only and name not in a.only.split(","):
            continue
        print(f"== {name}", flush=True)
        step()
    if a.xml_bench and (not a.only or "xml" in a.only.split(",")):
        b.criterion(a.xml_bench)
    b.targets()
    report.write(b.results, a.out, quick=cfg.quick, reps=cfg.reps,
                 seconds=time.time() - started)


if __name__ == "__main__":
    main()
