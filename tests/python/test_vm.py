"""The tutorial's pools that need a real kernel (device-mapper, the kernel iSCSI
initiator, NFS, multipath), live in the test VM over `qemu+tcp://`, from Python: the
same scenarios as tests/vm_pools.rs. Logical `kvmvg`, iscsi `storage01` (and with
CHAP), netfs `kvmnfs`, scsi and mpath on the iSCSI session, a disk pool, a full
volume group and a dropped iSCSI session. Each result is checked from inside the
guest (`lvs`, `iscsiadm`, `/proc/mounts`, `multipath -ll`, `lsblk`) or with virsh over
the same URI.

Without the KVMPOOL_VM_ variables the tests skip, naming what is missing; with
KVMPOOL_VM_ERROR (the VM was asked for and did not come up) they fail with it. The
tests share the guest's disks and its iSCSI session: pytest runs them one at a time,
and each first waits until the guest holds no pool, volume group, iSCSI session or
NFS mount (another run may be using it), rather than touching what it did not make.
"""

import filecmp
import os
import shlex
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

import kvmpool
from conftest import allocated, sparse_file, unique

MiB = 1 << 20

# How long, in all, the tests of this module wait for a guest that another run is
# using (KVMPOOL_VM_BUSY_TIMEOUT seconds; one budget, so that a guest left dirty
# fails the module in minutes, not each test after its own wait).
_busy_budget = [float(os.environ.get("KVMPOOL_VM_BUSY_TIMEOUT", "300"))]


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: tests/env/kvmpool-env.sh vm-up writes it with KVMPOOL_VM_URI")
    return value


class Vm:
    """The test VM: its libvirtd over qemu+tcp://, and a shell in the guest."""

    def __init__(self) -> None:
        self.uri = os.environ["KVMPOOL_VM_URI"]
        self.exec_prefix = shlex.split(os.environ["KVMPOOL_VM_EXEC"])

    def conn(self) -> kvmpool.Connection:
        return kvmpool.connect(self.uri)

    def exec(self, cmd: str) -> Tuple[int, str]:
        """Run a shell command in the guest: its exit code and output (stdout + stderr)."""
        out = subprocess.run([*self.exec_prefix, cmd], capture_output=True, text=True)
        return out.returncode, out.stdout + out.stderr

    def sh(self, cmd: str) -> str:
        """Run a shell command in the guest that must succeed; its output."""
        rc, out = self.exec(cmd)
        assert rc == 0, f"in the guest: {cmd}: {out}"
        return out

    def virsh(self, *args: str) -> str:
        """`virsh -c URI ARGS...` from the host: libvirt's own view."""
        out = subprocess.run(["virsh", "-c", self.uri, *args], capture_output=True, text=True)
        assert out.returncode == 0, f"virsh {args}: {out.stdout}{out.stderr}"
        return out.stdout.strip()

    def busy(self) -> str:
        """What another run left in the guest (empty when the guest is free)."""
        pools = self.virsh("pool-list", "--all", "--name")
        _, state = self.exec(
            "vgs --noheadings -o vg_name 2>/dev/null; iscsiadm -m session 2>/dev/null; "
            "awk '$3 ~ /^nfs4?$/' /proc/mounts"
        )
        found = []
        if pools.strip():
            found.append("pools: " + " ".join(pools.split()))
        if state.strip():
            found.append(state.strip())
        return "; ".join(found)

    def wait_until_free(self) -> None:
        start = time.monotonic()
        what = self.busy()
        while what:
            if time.monotonic() - start >= _busy_budget[0]:
                _busy_budget[0] = 0
                pytest.fail(f"the guest is in use by another run (or was left dirty) and stayed so: {what}")
            time.sleep(2)
            what = self.busy()
        _busy_budget[0] -= time.monotonic() - start


def guest() -> Vm:
    """The test VM, once it is free; skips when it was not asked for. Called at the
    start of each test rather than as a fixture, so that a VM that did not come up is
    reported as the test's failure, not as an error of its setup."""
    why = os.environ.get("KVMPOOL_VM_ERROR")
    if why is not None:
        pytest.fail(f"the test VM did not come up: {why}")
    missing = [v for v in ("KVMPOOL_VM_URI", "KVMPOOL_VM_EXEC") if not os.environ.get(v)]
    if missing:
        pytest.skip(
            f"needs the test VM with a real kernel: {' and '.join(missing)} not set "
            "(`make test`, or `make env-up DIR=... VM=1` and `. DIR/env`)"
        )
    v = Vm()
    v.wait_until_free()
    return v


class Gone:
    """Removes pools at the end of a test, whatever it did: their volumes first when
    asked, then destroy, delete when asked (what build made), undefine."""

    def __init__(self) -> None:
        self.pools: List[Tuple[kvmpool.Pool, bool, bool]] = []

    def add(self, pool: kvmpool.Pool, *, volumes: bool, delete: bool) -> kvmpool.Pool:
        self.pools.append((pool, volumes, delete))
        return pool

    def run(self) -> None:
        for pool, volumes, delete in reversed(self.pools):
            steps: List[Any] = [pool.destroy] + ([pool.delete] if delete else []) + [pool.undefine]
            if volumes:
                try:
                    for v in pool.volumes():
                        try:
                            v.delete()
                        except kvmpool.Error:
                            pass
                except kvmpool.Error:
                    pass
            for step in steps:
                try:
                    step()
                except kvmpool.Error:
                    pass


@pytest.fixture
def gone() -> Iterator[Gone]:
    g = Gone()
    yield g
    g.run()


def lv_attr(vm: Vm, vg: str, lv: str) -> str:
    """The LV attribute string `lvs` prints (`-wi-a-----`, `swi-a-s---`)."""
    return vm.sh(f"lvs --noheadings -o lv_attr {vg}/{lv}").strip()


def lv_names(vm: Vm) -> List[str]:
    return vm.sh("lvs --noheadings -o lv_name").split()


def vg_names(vm: Vm) -> List[str]:
    return vm.sh("vgs --noheadings -o vg_name").split()


def kernel_mark(vm: Vm) -> str:
    """Write a unique line to the guest's kernel log and return it: kernel_since() then
    gives what the kernel logged after it (dmesg holds earlier runs' lines too, and its
    ring buffer wraps, so neither a search nor a count of the whole log will do)."""
    mark = unique(f"kvmpool-test-mark-{time.time_ns()}")
    vm.sh(f"echo {mark} > /dev/kmsg")
    return mark


def kernel_since(vm: Vm, mark: str) -> str:
    log = vm.sh("dmesg")
    assert mark in log, "the mark is still in the kernel's ring buffer"
    return log[log.rindex(mark) :]


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def same_bytes(a: Path, b: Path) -> bool:
    return filecmp.cmp(a, b, shallow=False)


def test_vm_logical_pool_kvmvg_from_the_tutorial(gone: Gone, tmp_path: Path) -> None:
    vm = guest()
    conn = vm.conn()
    vg = env("KVMPOOL_VM_LVM_VG")
    disk = env("KVMPOOL_VM_LVM_DISK")

    # virsh pool-define-as kvmvg logical --source-dev /dev/vdb --source-name kvmvg
    pool = gone.add(conn.define_pool(kvmpool.PoolSpec.logical(vg, vg, devices=[disk])), volumes=True, delete=True)
    pool.build("overwrite")
    # a second build that must not overwrite refuses the volume group now there
    with pytest.raises(kvmpool.Error) as e:
        pool.build("no-overwrite")
    assert e.value.kind != "InvalidSpec", str(e.value)
    pool.start()
    assert vg in vg_names(vm)
    assert pool.spec().target_path == f"/dev/{vg}"

    # The default: a plain LV of the whole capacity, as `virsh vol-create-as` makes.
    lv1 = pool.create_volume(kvmpool.VolumeSpec("lv1", 64 * MiB))
    attr = lv_attr(vm, vg, "lv1")
    assert attr.startswith("-wi-a"), f"lv1 is a plain LV: {attr}"
    info = lv1.info()
    assert (info.capacity, info.allocation) == (64 * MiB, 64 * MiB)
    assert lv1.path == f"/dev/{vg}/lv1"

    # An allocation below the capacity would be a sparse LV: refused unless asked for.
    with pytest.raises(kvmpool.InvalidSpecError) as e:
        pool.create_volume(kvmpool.VolumeSpec("implicit", 64 * MiB, allocation=0))
    assert e.value.field == "allocation", str(e.value)
    assert "implicit" not in lv_names(vm)

    # Asked for by name: a sparse LV whose copy-on-write space is visible.
    snap = pool.create_volume(kvmpool.VolumeSpec("snap", 64 * MiB, sparse_lv=4 * MiB))
    assert lv_attr(vm, vg, "snap").startswith("swi-a-s")
    info = snap.info()
    assert (info.capacity, info.allocation) == (64 * MiB, 4 * MiB)

    # More than its copy-on-write space: refused before a byte is sent.
    eight = random_file(tmp_path / "eight.img", 8 * MiB)
    with pytest.raises(kvmpool.InvalidSpecError) as e:
        snap.upload(eight)
    assert e.value.field == "length", str(e.value)
    assert "copy-on-write" in str(e.value)
    assert lv_attr(vm, vg, "snap").startswith("swi-a-s")

    # Exactly its copy-on-write space passes that check, but the snapshot's own
    # metadata needs room too: it overflows, turns invalid, and libvirt hides it. The
    # upload must not report success for bytes the volume did not keep.
    four = random_file(tmp_path / "four.img", 4 * MiB)
    mark = kernel_mark(vm)
    with pytest.raises(kvmpool.IoError) as e:
        snap.upload(four)
    assert e.value.kind == "Io", str(e.value)
    assert "were not kept" in str(e.value)
    assert lv_attr(vm, vg, "snap").startswith("swi-I"), "the snapshot is invalid"
    assert "Invalidating snapshot" in kernel_since(vm, mark), "the kernel invalidated it now"
    vm.sh(f"lvremove -f {vg}/snap")

    # A plain LV keeps what it is sent: upload and download, whole and sparse.
    lv1.upload(eight)
    back = tmp_path / "back.img"
    lv1.download(back, length=8 * MiB)
    assert same_bytes(eight, back)
    holes = tmp_path / "holes.img"
    sparse_file(holes, 64 * MiB, [0, 33, 63])
    report = lv1.upload(holes, sparse=True)
    assert report.data_bytes == 3 * MiB
    hback = tmp_path / "holes-back.img"
    lv1.download(hback, sparse=True)
    assert same_bytes(holes, hback)
    assert allocated(hback) < 8 * MiB, "the download kept its holes"

    # clone (a plain LV again), wipe, resize (not in libvirt 9.0's logical backend)
    copy = lv1.clone("lv1-clone")
    assert lv_attr(vm, vg, "lv1-clone").startswith("-wi-a")
    cback = tmp_path / "clone.img"
    copy.download(cback)
    assert same_bytes(holes, cback)
    lv1.wipe("zero")
    lv1.download(back, length=1 * MiB)
    assert back.read_bytes() == bytes(1 * MiB)
    with pytest.raises(kvmpool.UnsupportedError) as e:
        lv1.resize(128 * MiB)
    assert e.value.kind == "Unsupported", str(e.value)
    with pytest.raises(kvmpool.Error) as e:
        lv1.resize(32 * MiB)
    assert e.value.kind != "Io", str(e.value)

    # delete, then the pool: destroy (vgchange -an), delete (vgremove), undefine
    copy.delete()
    lv1.delete()
    assert vm.sh(f"lvs --noheadings {vg}").strip() == ""
    pool.destroy()
    pool.delete()
    assert vg not in vg_names(vm)
    pool.undefine()


def test_vm_logical_pool_full_volume_group(gone: Gone) -> None:
    vm = guest()
    conn = vm.conn()
    vg = unique("fullvg").replace("-", "_")
    disk = env("KVMPOOL_VM_LVM_DISK")
    pool = gone.add(conn.define_pool(kvmpool.PoolSpec.logical(vg, vg, devices=[disk])), volumes=True, delete=True)
    pool.build("overwrite")
    pool.start()
    free = pool.info().available
    # a volume larger than the group: refused by LVM, nothing left behind
    with pytest.raises(kvmpool.LibvirtError) as e:
        pool.create_volume(kvmpool.VolumeSpec("big", free + 64 * MiB))
    assert e.value.kind == "Libvirt", str(e.value)
    assert vm.sh(f"lvs --noheadings {vg}").strip() == ""
    assert pool.volume_names() == []


def test_vm_iscsi_pool_storage01_from_the_tutorial(gone: Gone) -> None:
    vm = guest()
    conn = vm.conn()
    host = env("KVMPOOL_VM_ISCSI_HOST")
    port = env("KVMPOOL_VM_ISCSI_PORT")
    iqn = env("KVMPOOL_VM_ISCSI_IQN")

    # find-storage-pool-sources-as iscsi 127.0.0.1
    found = conn.find_pool_sources("iscsi", host)
    assert any(iqn in s.devices for s in found), [s.devices for s in found]

    # pool-define-as storage01 iscsi --source-host ... --source-dev IQN --target /dev/disk/by-path
    pool = gone.add(conn.define_pool(kvmpool.PoolSpec.iscsi("storage01", host, iqn)), volumes=False, delete=False)
    pool.start()
    assert iqn in vm.sh("iscsiadm -m session")
    vols = pool.volume_details()
    assert len(vols) == 2, vols
    for lun, v in enumerate(vols):
        assert v["name"] == f"unit:0:0:{lun}"
        assert v["path"] == f"/dev/disk/by-path/ip-{host}:{port}-iscsi-{iqn}-lun-{lun}"
        assert v["capacity"] == 64 * MiB
    assert pool.info().capacity == 128 * MiB
    pool.refresh()
    assert len(pool.volume_names()) == 2
    pool.autostart = True
    assert pool.autostart
    pool.destroy()
    _, sessions = vm.exec("iscsiadm -m session")
    assert iqn not in sessions, f"stop logs out: {sessions}"
    pool.undefine()


def test_vm_iscsi_pool_with_chap(gone: Gone, tmp_path: Path) -> None:
    vm = guest()
    conn = vm.conn()
    host = env("KVMPOOL_VM_ISCSI_HOST")
    iqn = env("KVMPOOL_VM_ISCSI_CHAP_IQN")
    usage = unique("kvmpool-chap")
    # The CHAP password in a libvirt secret (kvmpool names secrets, it does not store them).
    xml = tmp_path / "secret.xml"
    xml.write_text(
        f"<secret ephemeral='no' private='yes'><usage type='iscsi'><target>{usage}</target></usage></secret>"
    )
    secret = vm.virsh("secret-define", str(xml)).split()[1]
    try:
        password = tmp_path / "password"
        password.write_text(env("KVMPOOL_VM_CHAP_PASSWORD"))
        vm.virsh("secret-set-value", secret, "--file", str(password), "--plain")

        spec = kvmpool.PoolSpec.iscsi(
            "kvmchap", host, iqn, auth_username=env("KVMPOOL_VM_CHAP_USER"), auth_secret_usage=usage
        )
        pool = gone.add(conn.define_pool(spec), volumes=False, delete=False)
        pool.start()
        assert iqn in vm.sh("iscsiadm -m session")
        assert len(pool.volume_names()) == 1
        assert usage in pool.spec().to_xml()
        pool.destroy()
        pool.undefine()
    finally:
        gone.run()
        gone.pools.clear()
        vm.virsh("secret-undefine", secret)


def iscsi_scsi_host(vm: Vm) -> str:
    """The scsi_host of the guest's iSCSI session (hosts 0 and 1 are the IDE controller)."""
    hosts = vm.sh(
        "for h in /sys/class/scsi_host/host*; do grep -q iscsi_tcp $h/proc_name && basename $h; done"
    ).split()
    assert hosts, "an iscsi_tcp scsi_host"
    return hosts[0]


def test_vm_scsi_and_mpath_pools_on_the_iscsi_luns(gone: Gone) -> None:
    vm = guest()
    conn = vm.conn()
    host = env("KVMPOOL_VM_ISCSI_HOST")
    iqn = env("KVMPOOL_VM_ISCSI_IQN")
    iscsi = gone.add(conn.create_pool(kvmpool.PoolSpec.iscsi("kvmsess", host, iqn)), volumes=False, delete=False)

    adapter = iscsi_scsi_host(vm)
    scsi = gone.add(conn.define_pool(kvmpool.PoolSpec.scsi("kvmscsi", adapter)), volumes=False, delete=False)
    scsi.start()
    names = scsi.volume_names()
    assert len(names) == 2, names
    assert "unit:0:0:1" in names, names
    scsi.destroy()
    scsi.undefine()

    mpath = gone.add(conn.define_pool(kvmpool.PoolSpec.mpath("kvmmpath")), volumes=False, delete=False)
    mpath.start()
    vols = mpath.volume_details()
    assert len(vols) == 2, vols
    assert all(v["path"].startswith("/dev/mapper/mpath") for v in vols), vols
    maps = vm.sh("multipath -ll")
    assert "mpath" in maps, maps
    mpath.destroy()
    mpath.undefine()
    iscsi.destroy()


def test_vm_iscsi_session_dropped_under_a_running_pool(gone: Gone, tmp_path: Path) -> None:
    vm = guest()
    conn = vm.conn()
    host = env("KVMPOOL_VM_ISCSI_HOST")
    iqn = env("KVMPOOL_VM_ISCSI_IQN")
    pool = gone.add(conn.define_pool(kvmpool.PoolSpec.iscsi("kvmdrop", host, iqn)), volumes=False, delete=False)
    pool.start()
    vol = pool.volume("unit:0:0:0")
    vm.sh(f"iscsiadm -m node -T {iqn} -u")
    # libvirt cannot refresh a pool whose session is gone: an error that says so, at
    # once; a volume handle from before fails too, and leaves no file behind
    with pytest.raises(kvmpool.LibvirtError) as e:
        pool.refresh()
    assert e.value.kind == "Libvirt", str(e.value)
    assert "session" in str(e.value)
    with pytest.raises(kvmpool.Error) as failed:
        vol.download(tmp_path / "x")
    assert failed.value.kind != "InvalidSpec", str(failed.value)
    assert not (tmp_path / "x").exists()
    # libvirt stops a pool it cannot refresh: the definition stays, and starting it
    # logs in again
    assert not pool.is_active()
    pool.start()
    assert len(pool.volume_names()) == 2
    pool.destroy()
    pool.undefine()


def test_vm_netfs_pool_kvmnfs_from_the_tutorial(gone: Gone, tmp_path: Path) -> None:
    vm = guest()
    conn = vm.conn()
    host = env("KVMPOOL_VM_NFS_HOST")
    export = env("KVMPOOL_VM_NFS_EXPORT")
    found = conn.find_pool_sources("netfs", host)
    assert any(s.dir == export for s in found), [(s.hosts, s.dir) for s in found]
    data = random_file(tmp_path / "data.img", 3 * MiB)

    for name, fmt in (("kvmnfs", "nfs"), ("kvmnfsauto", "auto")):
        # pool-define-as kvmnfs netfs --source-host ... --source-path /export --target /nfstest
        target = f"/mnt/{name}"
        spec = kvmpool.PoolSpec.netfs(name, host, export, target, format=fmt)
        pool = gone.add(conn.define_pool(spec), volumes=True, delete=False)
        pool.build()
        pool.start()
        mounts = vm.sh("cat /proc/mounts")
        assert any(f" {target} nfs" in line for line in mounts.splitlines()), mounts
        raw = pool.create_volume(kvmpool.VolumeSpec("vol1.img", 64 * MiB))
        qcow2 = pool.create_volume(kvmpool.VolumeSpec("vol2.qcow2", 64 * MiB, format="qcow2"))
        assert raw.info().allocation < 1 * MiB, "files stay sparse"
        raw.upload(data)
        back = tmp_path / f"{name}.back"
        raw.download(back, length=3 * MiB)
        assert same_bytes(data, back)
        assert "qcow2" in vm.sh(f"qemu-img info {target}/vol2.qcow2")
        qcow2.delete()
        raw.delete()
        pool.destroy()
        assert f" {target} " not in vm.sh("cat /proc/mounts")
        pool.undefine()


class NfsServerStopped:
    """The guest's NFS server stopped for the `with` block, started again after."""

    def __init__(self, vm: Vm) -> None:
        self.vm = vm

    def __enter__(self) -> "NfsServerStopped":
        self.vm.sh("rpc.nfsd 0")
        return self

    def __exit__(self, *exc: object) -> None:
        self.vm.sh(f"rpc.nfsd -H {env('KVMPOOL_VM_NFS_HOST')} 4")


def download_when_back(vol: kvmpool.Volume, out: Path, length: int) -> None:
    """Download until it works (a server that comes back holds state for its grace
    period first), for up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            vol.download(out, length=length)
            return
        except kvmpool.Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def test_vm_netfs_pool_with_the_nfs_server_stopped(gone: Gone, tmp_path: Path) -> None:
    """Hard mount (NFS's default): a download waits for the server and completes once
    it is back. Soft mount: it fails instead of waiting, the destination untouched,
    and works again once the server is back."""
    vm = guest()
    conn = vm.conn()
    host = env("KVMPOOL_VM_NFS_HOST")
    export = env("KVMPOOL_VM_NFS_EXPORT")
    data = random_file(tmp_path / "data.img", 3 * MiB)
    for name, options in (("pynfshard", None), ("pynfssoft", ["soft", "timeo=10", "retrans=1"])):
        spec = kvmpool.PoolSpec.netfs(
            name, host, export, f"/mnt/{name}", format="nfs", mount_options=options
        )
        pool = gone.add(conn.define_pool(spec), volumes=True, delete=False)
        pool.build()
        pool.start()
        vol = pool.create_volume(kvmpool.VolumeSpec(f"{name}.img", 8 * MiB))
        vol.upload(data)
        vm.sh("sync; echo 3 > /proc/sys/vm/drop_caches")  # reads must reach the server
        out = tmp_path / f"{name}.back"
        if options:
            out.write_bytes(b"keep me")
            with NfsServerStopped(vm):
                started = time.monotonic()
                with pytest.raises((kvmpool.LibvirtError, kvmpool.IoError)):
                    vol.download(out, length=3 * MiB)
                assert time.monotonic() - started < 60, "a soft mount answers"
                assert out.read_bytes() == b"keep me"
            download_when_back(vol, out, 3 * MiB)
        else:
            result: List[Any] = []
            with NfsServerStopped(vm):
                worker = threading.Thread(
                    target=lambda: result.append(vol.download(out, length=3 * MiB))
                )
                worker.start()
                worker.join(5)
                assert worker.is_alive(), "the download waits for the server"
            worker.join(120)
            assert result, "the download completed once the server was back"
        assert same_bytes(data, out)
        pool.refresh()
        vol.delete()
        pool.destroy()
        pool.undefine()


def test_vm_disk_pool_creates_and_deletes_partitions(gone: Gone) -> None:
    vm = guest()
    conn = vm.conn()
    disk = env("KVMPOOL_VM_DISK_POOL_DISK")
    dev = disk.rsplit("/", 1)[-1]
    pool = gone.add(conn.define_pool(kvmpool.PoolSpec.disk("kvmdisk", disk, format="gpt")), volumes=True, delete=False)
    pool.build("overwrite")
    pool.start()
    p1 = pool.create_volume(kvmpool.VolumeSpec(f"{dev}1", 32 * MiB))
    p2 = pool.create_volume(kvmpool.VolumeSpec(f"{dev}2", 16 * MiB))
    assert f"{dev}2" in vm.sh(f"lsblk -nro NAME {disk}").split()
    # a wrong name is refused before libvirt makes (and leaks) a partition
    with pytest.raises(kvmpool.InvalidSpecError) as e:
        pool.create_volume(kvmpool.VolumeSpec("bogus", 8 * MiB))
    assert e.value.field == "name", str(e.value)
    assert sorted(vm.sh(f"lsblk -nro NAME {disk}").split()) == [dev, f"{dev}1", f"{dev}2"]
    # vol-delete works here (libvirt 9.0 gets it wrong for loop devices only)
    p2.delete()
    p1.delete()
    assert pool.volume_names() == []
    assert f"{dev}1" not in vm.sh(f"lsblk -nro NAME {disk}").split()
    pool.destroy()
    pool.undefine()
