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
