"""Declarative storage from Python: the bad-manifest table (the same one Rust, C and the
command line read), and a manifest planned and applied on the live daemon, with drift
mended and a stale plan refused, checked with virsh."""

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

import kvmpool

from conftest import Live, unique

TABLE = json.loads((Path(__file__).resolve().parents[1] / "bad_manifests" / "cases.json").read_text())
CASES: List[Dict[str, Any]] = TABLE["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_manifest_is_refused_where_it_is_wrong(case: Dict[str, Any]) -> None:
    with pytest.raises(kvmpool.InvalidSpecError) as info:
        kvmpool.Manifest.from_toml(case["toml"])
    assert info.value.field == case["field"]
    assert str(info.value) == case["message"]


def test_manifest_from_dict_and_json_are_the_same_structure() -> None:
    data = {"pool": [{"name": "g", "type": "dir", "target": "/g", "volume": [{"name": "a.raw", "capacity": "1M"}]}]}
    assert kvmpool.Manifest.from_dict(data).pools == ["g"]
    assert kvmpool.Manifest.from_json(json.dumps(data)).pools == ["g"]
    with pytest.raises(kvmpool.InvalidSpecError) as info:
        kvmpool.Manifest.from_dict({"pool": [{"name": "g", "type": "dir", "colour": "red"}]})
    assert info.value.field == "pool[0].colour"


def virsh(uri: str, *args: str) -> str:
    return subprocess.run(["virsh", "-c", uri, *args], check=True, capture_output=True, text=True).stdout


def test_plan_apply_drift_on_the_live_daemon(live: Live, scratch: Path) -> None:
    conn = live.conn()
    name = unique("kvmm-py")
    text = f"""
[[pool]]
name = "{name}"
type = "dir"
target = "{scratch}/p"
autostart = true
  [[pool.volume]]
  name = "vm1.qcow2"
  capacity = "1G"
  format = "qcow2"
  [[pool.volume]]
  name = "data.raw"
  capacity = "8M"
"""
    path = scratch / "m.toml"
    path.write_text(text)
    manifest = kvmpool.Manifest.from_file(path)
    try:
        plan = conn.plan(manifest)
        assert [a.action for a in plan.actions] == [
            "define-pool", "start-pool", "set-autostart", "create-volume", "create-volume"]
        assert not plan.blocked and not plan.is_empty
        assert f"+ pool {name}: define" in str(plan)
        assert json.loads(plan.to_json())["schema"] == "kvmpool-plan/1"
        report = conn.apply(plan)
        assert [a.action for a in report.done] == [a.action for a in plan.actions]
        assert "vm1.qcow2" in virsh(live.uri, "vol-list", name)
        assert conn.plan(manifest).is_empty

        # drift out of band, mended by the next apply
        virsh(live.uri, "vol-resize", "data.raw", "4M", "--pool", name, "--shrink")
        drift = conn.plan(manifest)
        assert [(a.action, a.volume) for a in drift.actions] == [("grow-volume", "data.raw")]
        stale = drift
        conn.apply(drift)
        assert "8388608 bytes" in virsh(live.uri, "vol-info", "data.raw", "--pool", name, "--bytes")
        # the same plan again: the host changed since it was made
        with pytest.raises(kvmpool.StateError):
            conn.apply(stale)
        assert conn.plan(manifest).is_empty
    finally:
        pool = conn.find_pool(name)
        if pool is not None:
            for v in pool.volumes():
                v.delete()
            pool.destroy()
            pool.delete()
            pool.undefine()
