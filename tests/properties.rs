//! Property tests (stable-Rust fuzzing with proptest): the units parser, XML round
//! trips of generated specs of every pool type and of volumes, and parsers fed
//! arbitrary or mutated documents. `KVMPOOL_PROPTEST_CASES` sets the cases per property
//! (`make test`: 20,000 × 5 properties; `make soak`: 200,000 × 5). Failures proptest
//! finds are saved under proptest-regressions/ and replayed first on every run.

use kvmpool::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

fn config() -> Config {
    let cases = std::env::var("KVMPOOL_PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2_000);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/properties.txt",
        ))),
        ..Config::default()
    }
}

/// Text that XML can carry, with the characters that must be escaped.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 <>&'\"._:=éü€-]{1,24}"
}

/// A pool or volume name kvmpool accepts.
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9<>&'\"_-][a-zA-Z0-9 <>&'\"._-]{0,30}[a-zA-Z0-9<>&'\"_-]"
        .prop_filter("not . or ..", |s| s != "." && s != "..")
}

/// An absolute path in the form libvirt keeps (no `//`, no trailing `/`).
fn path() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zA-Z0-9 <>&'\"_.-]{1,12}", 1..5)
        .prop_map(|parts| format!("/{}", parts.join("/")))
        .prop_filter("no . or .. components", |p| {
            p.split('/').all(|c| c != "." && c != "..")
        })
}

fn host() -> impl Strategy<Value = Host> {
    ("[a-z0-9.:-]{1,20}", prop::option::of(1u16..)).prop_map(|(n, port)| Host { name: n, port })
}

fn permissions() -> impl Strategy<Value = Option<Permissions>> {
    prop::option::of(
        (
            prop::option::of(0u32..=0o777),
            prop::option::of(0i64..65536),
            prop::option::of(0i64..65536),
            prop::option::of(text()),
        )
            .prop_map(|(mode, owner, group, label)| Permissions {
                mode,
                owner,
                group,
                label,
            })
            .prop_filter("libvirt writes no empty <permissions>", |p| !p.is_empty()),
    )
}

fn target() -> impl Strategy<Value = Target> {
    (path(), permissions()).prop_map(|(path, permissions)| Target { path, permissions })
}

fn secret() -> impl Strategy<Value = SecretRef> {
    prop_oneof![
        any::<u128>().prop_map(|u| SecretRef::Uuid(uuid::Uuid::from_u128(u))),
        text().prop_map(SecretRef::Usage)
    ]
}

fn auth() -> impl Strategy<Value = Option<Auth>> {
    prop::option::of(
        (any::<bool>(), text(), secret()).prop_map(|(chap, user, s)| {
            if chap {
                Auth::chap(user, s)
            } else {
                Auth::ceph(user, s)
            }
        }),
    )
}

fn pick<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(all)
}

fn pool_spec() -> impl Strategy<Value = PoolSpec> {
    let uuid = prop::option::of(any::<u128>().prop_map(uuid::Uuid::from_u128));
    prop_oneof![
        (
            name(),
            uuid.clone(),
            target(),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(n, u, t, cow)| {
                let mut p = DirPool::new(n, t);
                p.uuid = u;
                p.cow = cow;
                p.into()
            }),
        (
            name(),
            path(),
            pick(FsFormat::ALL),
            target(),
            prop::collection::vec("[a-z_=0-9]{1,8}", 0..3)
        )
            .prop_map(|(n, dev, f, t, opts)| {
                let mut p = FsPool::new(n, dev.as_str(), t).format(f);
                p.mount_options = opts;
                p.into()
            }),
        (name(), host(), path(), pick(NetfsFormat::ALL), target()).prop_map(|(n, h, src, f, t)| {
            let mut p = NetfsPool::new(n, h, src, t).format(f);
            if matches!(f, NetfsFormat::Nfs | NetfsFormat::Auto) {
                p.protocol_version = Some("4.1".into());
            }
            p.into()
        }),
        (
            name(),
            name(),
            prop::collection::vec(path(), 0..3),
            pick(LogicalFormat::ALL),
            permissions()
        )
            .prop_map(|(n, vg, devs, f, perms)| {
                let mut p = LogicalPool::new(n, vg);
                p.devices = devs.into_iter().map(SourceDevice::new).collect();
                p.format = f;
                p.permissions = perms;
                p.into()
            }),
        (
            name(),
            path(),
            pick(DiskFormat::ALL),
            target(),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(n, dev, f, t, sep)| {
                let mut d = SourceDevice::new(dev);
                d.part_separator = sep;
                DiskPool::new(n, d).format(f).target(t).into()
            }),
        (
            name(),
            host(),
            text(),
            prop::option::of(text()),
            auth(),
            target()
        )
            .prop_map(|(n, h, iqn, init, a, t)| {
                let mut p = IscsiPool::new(n, h, iqn).target(t);
                p.initiator = init;
                p.auth = a;
                p.into()
            }),
        (name(), host(), text(), text(), auth()).prop_map(|(n, h, iqn, init, a)| {
            let mut p = IscsiDirectPool::new(n, h, iqn, init);
            p.auth = a;
            p.into()
        }),
        (name(), "(scsi_)?host[0-9]{1,4}", target()).prop_map(|(n, a, t)| ScsiPool::new(
            n,
            Adapter::scsi_host(a)
        )
        .target(t)
        .into()),
        (name(), target()).prop_map(|(n, t)| MpathPool::new(n).target(t).into()),
        (
            name(),
            prop::collection::vec(host(), 1..4),
            text(),
            auth(),
            prop::collection::vec((text(), text()), 0..3)
        )
            .prop_map(|(n, hosts, src, a, opts)| {
                let mut p = RbdPool::new(n, hosts[0].clone(), src);
                p.hosts = hosts;
                p.auth = a;
                p.config_options = opts;
                p.into()
            }),
        (name(), host(), text()).prop_map(|(n, h, src)| {
            let mut p = SheepdogPool::new(n, h);
            p.source_name = src;
            p.into()
        }),
        (name(), host(), text(), path())
            .prop_map(|(n, h, v, d)| GlusterPool::new(n, h, v).dir(d).into()),
        (name(), name(), permissions()).prop_map(|(n, z, perms)| {
            let mut p = ZfsPool::new(n, z);
            p.permissions = perms;
            p.into()
        }),
        (name(), text(), target()).prop_map(|(n, c, t)| VstoragePool::new(n, c, t).into()),
    ]
}

fn volume_spec() -> impl Strategy<Value = VolumeSpec> {
    (
        name(),
        0u64..(1 << 50),
        prop::option::of(0u64..(1 << 40)),
        prop::option::of(pick(VolumeFormat::ALL)),
        permissions(),
        prop::option::of((path(), prop::option::of(pick(VolumeFormat::ALL)))),
        prop::option::of(prop::collection::vec(pick(VolumeFeature::ALL), 0..2)),
        prop::option::of(9u32..22),
        any::<bool>(),
    )
        .prop_map(
            |(n, cap, alloc, format, perms, backing, features, cluster, nocow)| {
                let mut v = VolumeSpec::new(n, Size::bytes(cap));
                v.allocation = alloc.map_or(Allocation::PoolDefault, |a| {
                    Allocation::Bytes(Size::bytes(a))
                });
                v.format = format;
                v.permissions = perms;
                v.backing_store = backing.map(|(path, format)| BackingStore {
                    path,
                    format,
                    permissions: None,
                });
                if features.is_some() {
                    v.compat = Some("1.1".into());
                }
                v.features = features;
                v.cluster_size = cluster.map(|c| Size::bytes(1 << c));
                v.nocow = nocow;
                v
            },
        )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sizes_parse_with_libvirt_units(n in 0u64..1_000_000, unit in pick(&[
        ("", 1u64), ("b", 1), ("bytes", 1), ("k", 1 << 10), ("KiB", 1 << 10), ("KB", 1000),
        ("M", 1 << 20), ("MiB", 1 << 20), ("mb", 1_000_000), ("G", 1 << 30), ("GiB", 1 << 30),
        ("GB", 1_000_000_000), ("T", 1 << 40), ("TB", 1_000_000_000_000),
    ]), space in any::<bool>(), junk in "\\PC{0,12}") {
        let text = format!("{n}{}{}", if space { " " } else { "" }, unit.0);
        prop_assert_eq!(Size::parse(&text).unwrap().as_bytes(), n * unit.1);
        // anything at all: an answer, never a panic
        let _ = Size::parse(&junk);
        let _ = Size::parse(&format!("{n}{junk}"));
    }

    #[test]
    fn pool_specs_round_trip_through_xml(spec in pool_spec()) {
        let xml = spec.to_xml();
        let back = PoolSpec::from_xml(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        prop_assert_eq!(&back, &spec, "{}", xml);
        prop_assert_eq!(back.to_xml(), xml);
    }

    #[test]
    fn volume_specs_round_trip_through_xml(mut spec in volume_spec()) {
        let xml = spec.to_xml();
        let back = VolumeSpec::from_xml(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        // without a pool type, an allocation left to the pool is written as the capacity
        spec.allocation = Allocation::Bytes(spec.allocation.bytes(spec.capacity, None));
        prop_assert_eq!(&back, &spec, "{}", xml);
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_text(doc in "\\PC{0,300}", wrapped in "[<>/a-z '=\"&;]{0,200}") {
        let _ = PoolSpec::from_xml(&doc);
        let _ = VolumeSpec::from_xml(&doc);
        let _ = PoolSpec::from_xml(&format!("<pool type='dir'>{wrapped}</pool>"));
        let _ = VolumeSpec::from_xml(&format!("<volume>{wrapped}</volume>"));
    }

    #[test]
    fn parsers_never_panic_on_mutated_documents(
        spec in pool_spec(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = spec.to_xml().into_bytes();
        for (at, byte) in cuts {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Ok(doc) = String::from_utf8(bytes) {
            if let Ok(parsed) = PoolSpec::from_xml(&doc) {
                // whatever parses formats, and what it formats parses again
                let again = parsed.to_xml();
                prop_assert!(PoolSpec::from_xml(&again).is_ok(), "{}", again);
            }
        }
    }
}
