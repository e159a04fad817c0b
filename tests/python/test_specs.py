"""Specs, XML round trips, sizes and bad input (no daemon needed)."""

import pytest

import kvmpool

EVERY_TYPE = [
    kvmpool.PoolSpec.dir("d", target="/guest_images"),
    kvmpool.PoolSpec.fs("f", "/dev/sdc1", target="/guest_images", format="ext4"),
    kvmpool.PoolSpec.netfs("n", "192.168.2.20", "/nfsshare", target="/nfstest", format="nfs", protocol_version="4.1"),
    kvmpool.PoolSpec.logical("kvmvg", devices=["/dev/sdb1"]),
    kvmpool.PoolSpec.disk("k", "/dev/sdc", format="gpt"),
    kvmpool.PoolSpec.iscsi("storage01", "192.168.2.20", "iqn.2017-10.com.cloud.www:storage001"),
    kvmpool.PoolSpec.iscsi_direct(
        "id", "192.168.2.20", "iqn.2017-10.com.cloud.www:s1", "iqn.2017-10.com.cloud.www:init",
        auth_username="admin", auth_secret_usage="iscsi-secret",
    ),
    kvmpool.PoolSpec.scsi("s", "host0"),
    kvmpool.PoolSpec.mpath("m"),
    kvmpool.PoolSpec.rbd("r", ["mon1", "mon2"], "rbd", port=6789, config_options=[("client_mount_timeout", "45")]),
    kvmpool.PoolSpec.sheepdog("sd", "localhost", port=7000),
    kvmpool.PoolSpec.gluster("g", "gl1", "gv0", dir="/sub"),
    kvmpool.PoolSpec.zfs("z", "tank", devices=["/dev/ada1"]),
    kvmpool.PoolSpec.vstorage("v", "cluster1", "/mnt/vstorage"),
]


def test_every_pool_type_has_a_constructor_and_round_trips():
    assert sorted(s.type for s in EVERY_TYPE) == sorted(kvmpool.pool_types())
    for spec in EVERY_TYPE:
        spec.validate()
        back = kvmpool.PoolSpec.from_xml(spec.to_xml())
        assert back == spec, spec.type
        assert back.to_xml() == spec.to_xml()


def test_defaults_follow_virt_install():
    assert kvmpool.PoolSpec.dir("gi").target_path == "/var/lib/libvirt/images/gi"
    assert kvmpool.PoolSpec.iscsi("i", "h", "iqn.2017-10.com.x:y").target_path == "/dev/disk/by-path"
    assert kvmpool.PoolSpec.logical("kvmvg").target_path == "/dev/kvmvg"
    assert kvmpool.PoolSpec.disk("d", "/dev/sdc").target_path == "/dev"
    assert kvmpool.default_target("zfs", "tank") == "/dev/zvol/tank"


def test_unknown_xml_is_kept():
    xml = (
        "<pool type='dir' xmlns:x='urn:x'><name>d</name><x:note a='1'>keep</x:note>"
        "<target><path>/d</path><x:extra/></target></pool>"
    )
    out = kvmpool.PoolSpec.from_xml(xml).to_xml()
    assert "<x:note a='1'>keep</x:note>" in out
    assert "<x:extra/>" in out
    assert "xmlns:x='urn:x'" in out


def test_xml_special_characters_are_escaped_never_injected():
    name = "a<b>&'\"c"
    spec = kvmpool.PoolSpec.dir(name, target="/x/</path><evil/>")
    back = kvmpool.PoolSpec.from_xml(spec.to_xml())
    assert back.name == name
    assert back.target_path == "/x/</path><evil/>"
    assert "<evil/>" not in spec.to_xml()


def test_volume_specs():
    v = kvmpool.VolumeSpec("vm1.qcow2", capacity="10G", format="qcow2", features=["lazy_refcounts"])
    assert v.capacity == 10 << 30
    assert v.allocation is None  # what suits the pool type it is created in
    assert "<allocation unit='bytes'>0</allocation>" in v.to_xml_in("dir")
    assert f"<allocation unit='bytes'>{10 << 30}</allocation>" in v.to_xml_in("logical")
    assert v.format == "qcow2"
    back = kvmpool.VolumeSpec.from_xml(v.to_xml())
    assert back == v.replace(allocation=v.capacity)
    assert "<volume type='file'>" in v.to_xml_in("dir")
    full = kvmpool.VolumeSpec("f.raw", capacity=1 << 20, preallocation="full")
    assert full.allocation == 1 << 20
    cow = kvmpool.VolumeSpec("c.qcow2", capacity=0, format="qcow2", backing_store="/b.raw", backing_format="raw")
    assert cow.backing_store == "/b.raw"


def test_sizes():
    assert kvmpool.parse_size("10G") == 10 << 30
    assert kvmpool.parse_size("100KB") == 100_000
    assert kvmpool.parse_size("1.5 TiB") == 3 << 39
    assert kvmpool.format_size(41_103_081_472) == "38.28 GiB"
    assert kvmpool.format_size(10 << 30) == "10 GiB"


# Bad input: the same cases the Rust and C suites use.
BAD_POOL_SPECS = [
    (lambda: kvmpool.PoolSpec.dir("", target="/x"), "name"),
    (lambda: kvmpool.PoolSpec.dir("x" * 256, target="/x"), "name"),
    (lambda: kvmpool.PoolSpec.dir("a/b", target="/x"), "name"),
    (lambda: kvmpool.PoolSpec.dir("a\nb", target="/x"), "name"),
    (lambda: kvmpool.PoolSpec.dir("a\0b", target="/x"), "name"),
    (lambda: kvmpool.PoolSpec.dir("..", target="/x"), "name"),
    (lambda: kvmpool.PoolSpec.dir("d", target="relative"), "target"),
    (lambda: kvmpool.PoolSpec.dir("d", target="/a/../b"), "target"),
    (lambda: kvmpool.PoolSpec.dir("d", target="/d", mode=0o1777), "mode"),
    (lambda: kvmpool.PoolSpec.netfs("n", "h", "/p", target="/t", format="cifs", protocol_version="3"), "protocol_version"),
    (lambda: kvmpool.PoolSpec.iscsi("i", "h", "demo-target"), "iqn"),
    (lambda: kvmpool.PoolSpec.iscsi_direct("i", "h", "iqn.2017-10.com.x:y", "not-an-iqn"), "initiator"),
    (lambda: kvmpool.PoolSpec.fs("f", "sdc1", target="/t"), "source_dev"),
    (lambda: kvmpool.PoolSpec.netfs("n", "h", "/p", port="2049"), "port"),
    (lambda: kvmpool.PoolSpec.dir("d", cow="yes"), "cow"),
    (lambda: kvmpool.PoolSpec.iscsi("i", "h", "iqn.2017-10.com.x:y", auth_secret_usage="s"), "auth_username"),
]


@pytest.mark.parametrize("make,field", BAD_POOL_SPECS)
def test_bad_pool_specs_are_refused_at_construction(make, field):
    with pytest.raises(kvmpool.InvalidSpecError) as info:
        make()
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "InvalidSpec"


@pytest.mark.parametrize("pool_type", kvmpool.pool_types())
def test_constructor_keywords_are_the_field_table(pool_type):
    """The keywords of each constructor are exactly the core's fields for the type (the
    same names manifests and the C setters use), the required ones positional."""
    import inspect

    make = getattr(kvmpool.PoolSpec, pool_type.replace("-", "_"))
    params = inspect.signature(make).parameters
    table = {name: (required, positional) for name, required, positional in kvmpool.pool_fields(pool_type)}
    assert list(params) == list(table), pool_type
    for name, (required, positional) in table.items():
        assert (params[name].default is inspect.Parameter.empty) == required, (pool_type, name)
        keyword_only = params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert keyword_only == (not positional), (pool_type, name)


def test_volume_spec_stub_lists_the_core_fields():
    """VolumeSpec takes **fields at run time; its stub must name exactly the core's."""
    import ast
    from pathlib import Path

    stub = Path(kvmpool.__file__).with_name("__init__.pyi").read_text()
    cls = next(n for n in ast.parse(stub).body if isinstance(n, ast.ClassDef) and n.name == "VolumeSpec")
    new = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__new__")
    assert [a.arg for a in new.args.kwonlyargs] == kvmpool.volume_fields()


def test_replace_and_fields_go_through_the_table():
    spec = kvmpool.PoolSpec.netfs("n", "h", "/p", format="nfs")
    assert spec.fields["host"] == "h" and spec.fields["format"] == "nfs"
    moved = spec.replace(host="h2", port=2049)
    assert moved.fields["host"] == "h2" and moved.fields["port"] == 2049
    assert spec.fields["host"] == "h"  # specs are values
    with pytest.raises(kvmpool.InvalidSpecError) as info:
        spec.replace(adapter="host0")
    assert str(info.value) == "adapter: netfs pools have no such field"
    v = kvmpool.VolumeSpec("v", "1G", format="qcow2").replace(compat="1.1")
    assert v.fields == {"name": "v", "capacity": 1 << 30, "format": "qcow2", "compat": "1.1"}


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"capacity": -1}, "capacity"),
        ({"capacity": "-5G"}, "capacity"),
        ({"capacity": 2**64}, "capacity"),
        ({"capacity": "9E"}, "capacity"),
        ({"capacity": "10 parsecs"}, "capacity"),
        ({"capacity": "1.5"}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"capacity": "1G", "format": "qcow3"}, "format"),
        ({"capacity": "1G", "preallocation": "some"}, "preallocation"),
        ({"capacity": "1G", "features": ["turbo"]}, "features"),
        ({"capacity": "1G", "allocation": "1M", "preallocation": "full"}, "preallocation"),
        ({"capacity": "1G", "backing_format": "raw"}, "backing_format"),
        ({"capacity": 1.5}, "capacity"),
    ],
)
def test_bad_volume_arguments_name_the_field(kwargs, field):
    with pytest.raises(kvmpool.InvalidSpecError) as info:
        kvmpool.VolumeSpec("v", **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(
    "xml",
    [
        "<pool type='dir'><name>x</name>",
        "<pool type='dir'><name>x</name></pool><pool/>",
        "<volume><name>x</name><capacity>1</capacity></volume>",
        "<pool type='warp'><name>x</name></pool>",
        "<!DOCTYPE p [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]><pool type='dir'><name>&b;</name></pool>",
        "<pool type='dir' a='" + "x" * (10 << 20) + "'/>",
        "<a>" * 5000 + "</a>" * 5000,
        "",
    ],
)
def test_hostile_xml_is_invalid_spec(xml):
    with pytest.raises(kvmpool.InvalidSpecError):
        kvmpool.PoolSpec.from_xml(xml)
