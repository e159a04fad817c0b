use super::*;
use crate::spec::{PoolType, VolumeFormat};
use crate::units::Size;

const TUTORIAL: &str = r#"
[[pool]]
name = "guest_images"
type = "dir"
target = "/guest_images"
build = "normal"
autostart = true

  [[pool.volume]]
  name = "vm1.qcow2"
  capacity = "10G"
  format = "qcow2"

[[pool]]
name = "kvmvg"
type = "logical"
vg = "kvmvg"
devices = ["/dev/sdb1"]

[[pool]]
xml = """<pool type='iscsi'><name>storage01</name><source><host name='192.168.2.20'/>
<device path='iqn.2017-10.com.cloud.www:storage001'/></source>
<target><path>/dev/disk/by-path</path></target></pool>"""

[policy]
prune_volumes = false
"#;

#[test]
fn the_tutorial_as_one_manifest() {
    let m = Manifest::from_toml(TUTORIAL).unwrap();
    assert_eq!(m.pools.len(), 3);
    let gi = &m.pools[0];
    assert_eq!(gi.spec.target_path().as_deref(), Some("/guest_images"));
    assert_eq!(gi.build, BuildPolicy::Always(BuildMode::Normal));
    assert_eq!((gi.start, gi.autostart), (true, Some(true)));
    assert_eq!(gi.volumes[0].spec.capacity, Size::gib(10));
    assert_eq!(gi.volumes[0].spec.format, Some(VolumeFormat::Qcow2));
    assert_eq!(m.pools[1].spec.pool_type(), PoolType::Logical);
    assert_eq!(m.pools[1].build, BuildPolicy::WhenMissing);
    assert_eq!(m.pools[2].spec.name(), "storage01");
    assert_eq!(m.policy, Policy::default());
}

#[test]
fn json_is_the_same_structure() {
    let m = Manifest::from_json(
        r#"{"pool": [{"name": "g", "type": "dir", "target": "/g", "autostart": false,
             "volume": [{"name": "a.raw", "capacity": 1048576}]}],
            "policy": {"allow_shrink": true}}"#,
    )
    .unwrap();
    assert_eq!(m.pools[0].volumes[0].spec.capacity, Size::mib(1));
    assert!(m.policy.allow_shrink);
}

/// Each bad manifest: the exact message, with the place in the file.
#[test]
fn bad_manifests_are_located() {
    let cases: &[(&str, &str)] = &[
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\nhost = \"h\"\n",
            "manifest:4:1: pool[0].host: dir pools have no such field; they have name, target, uuid, mode, owner, group, label, cow",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\ntarget = \"relative\"\n",
            "manifest:4:10: pool[0].target: \"relative\" must be an absolute path",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"netfs\"\nhost = \"h\"\nsource_path = \"/x\"\nport = \"2049\"\n",
            "manifest:6:8: pool[0].port: must be an integer, not text",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"warp\"\n",
            "manifest:3:8: pool[0].type: unknown value \"warp\"; expected one of: dir, fs, netfs, logical, disk, iscsi, iscsi-direct, scsi, mpath, rbd, sheepdog, gluster, zfs, vstorage",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\n[[pool]]\nname = \"g\"\ntype = \"dir\"\n",
            "manifest:5:8: pool[1].name: pool \"g\" is listed twice",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\n  [[pool.volume]]\n  name = \"v\"\n  capacity = \"ten\"\n",
            "manifest:6:14: pool[0].volume[0].capacity: \"ten\" is not a valid size: unknown unit \"ten\"",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\n  [[pool.volume]]\n  name = \"v\"\n  capacity = 1\n  colour = \"red\"\n",
            "manifest:7:3: pool[0].volume[0].colour: a volume has no such field; it has name, capacity, format, allocation, preallocation, sparse_lv, mode, owner, group, label, backing_store, backing_format, compat, features, nocow, cluster_size, luks_secret",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"logical\"\ndevices = [\"/dev/sdb\", \"sdc\"]\n",
            "manifest:4:24: pool[0].devices[1]: \"sdc\" must be an absolute path",
        ),
        (
            "[policy]\nprune_volumes = \"yes\"\n",
            "manifest:2:17: policy.prune_volumes: must be true or false, not text",
        ),
        ("[[pool]\n", "manifest:1:8: toml: unclosed array table, expected `]`"),
        (
            "[[pool]]\nxml = \"<pool type='dir'><name>x</name><target><path>/x</path></target></pool>\"\ntarget = \"/y\"\n",
            "manifest:3:1: pool[0].target: a pool given as xml takes its fields from the XML; give either xml or fields",
        ),
        (
            "[[pool]]\nname = \"g\"\ntype = \"dir\"\nbuild = \"sometimes\"\n",
            "manifest:4:9: pool[0].build: unknown value \"sometimes\"; expected one of: normal, overwrite, no-overwrite, or never",
        ),
    ];
    for (text, want) in cases {
        let e = Manifest::from_toml(text).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidSpec);
        assert_eq!(&e.to_string(), want, "{text}");
    }
}
