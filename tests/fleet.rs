//! Fleets of real libvirt daemons over libvirt's remote protocol (`kvmpool-env.sh
//! fleet-up`: storage-only libvirtds on loopback TCP and one on TLS, the test VM over
//! qemu+tcp): inventory of every host at once with one stopped, frozen, or only
//! accepting TCP; the tutorial's manifest (a dir pool and a netfs pool on the gluster
//! volume gv0) applied with a canary, one host failing and rolled back alone, then
//! converging; drift; shared-storage views and a migration check; TLS with a good and
//! a foreign client certificate. Every outcome is checked against the hosts with virsh.

mod support;

use std::net::TcpListener;
use std::process::Command;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use kvmpool::*;
use support::{run, unique};

/// Tests that stop or freeze a fleet host take this for writing, the others for
/// reading: a host one test stops must not fail another that uses it.
static HOSTS: RwLock<()> = RwLock::new(());

/// The fleet of `kvmpool-env.sh fleet-up`, from its environment variables.
struct FleetEnv {
    uris: Vec<String>,
    pids: Vec<String>,
    dirs: Vec<String>,
    tls: String,
    bad_tls: String,
    script: String,
}

fn split(name: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn fleet_env(test: &str) -> Option<FleetEnv> {
    let uris = split("KVMPOOL_FLEET_URIS");
    if uris.is_empty() {
        eprintln!(
            "SKIPPED {test}: needs the test fleet (KVMPOOL_FLEET_URIS, set by \
             `tests/env/kvmpool-env.sh fleet-up DIR` and `make test`)"
        );
        return None;
    }
    let var = |n: &str| support::env(n);
    Some(FleetEnv {
        pids: split("KVMPOOL_FLEET_PIDS"),
        dirs: split("KVMPOOL_FLEET_HOST_DIRS"),
        tls: var("KVMPOOL_FLEET_TLS_URI"),
        bad_tls: var("KVMPOOL_FLEET_BAD_TLS_URI"),
        script: var("KVMPOOL_FLEET_ENV_SCRIPT"),
        uris,
    })
}

fn labels(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("h{i}")).collect()
}

fn virsh(uri: &str, args: &[&str]) -> String {
    let mut all = vec!["-q", "-c", uri];
    all.extend_from_slice(args);
    run("virsh", &all)
}

fn pool_names(uri: &str) -> Vec<String> {
    virsh(uri, &["pool-list", "--all", "--name"])
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// Wakes (SIGCONT) and restarts the fleet hosts a test froze or stopped, whatever the
/// test did.
struct Revive<'e> {
    env: &'e FleetEnv,
    stopped: Vec<usize>,
    frozen: Vec<usize>,
}

impl Revive<'_> {
    fn stop(&mut self, i: usize) {
        run("sh", &[&self.env.script, "daemon-stop", &self.env.dirs[i]]);
        self.stopped.push(i);
    }

    fn start(&mut self, i: usize) {
        run("sh", &[&self.env.script, "daemon-start", &self.env.dirs[i]]);
        self.stopped.retain(|s| *s != i);
    }

    fn pid(&self, i: usize) -> String {
        std::fs::read_to_string(format!("{}/libvirtd.pid", self.env.dirs[i]))
            .unwrap_or_else(|_| self.env.pids[i].clone())
            .trim()
            .to_owned()
    }

    fn freeze(&mut self, i: usize) {
        run("kill", &["-STOP", &self.pid(i)]);
        self.frozen.push(i);
    }

    fn thaw(&mut self, i: usize) {
        run("kill", &["-CONT", &self.pid(i)]);
        self.frozen.retain(|s| *s != i);
    }
}

impl Drop for Revive<'_> {
    fn drop(&mut self) {
        for i in self.frozen.clone() {
            let _ = Command::new("kill").args(["-CONT", &self.pid(i)]).status();
        }
        for i in self.stopped.clone() {
            let _ = Command::new("sh")
                .args([&self.env.script, "daemon-start", &self.env.dirs[i]])
                .status();
        }
    }
}

#[test]
fn inventory_of_four_hosts_with_one_stopped_takes_the_time_of_one() {
    let Some(env) = fleet_env("inventory_of_four_hosts_with_one_stopped_takes_the_time_of_one")
    else {
        return;
    };
    let _hosts = HOSTS.write().unwrap_or_else(|e| e.into_inner());
    assert!(env.uris.len() >= 4, "the fleet has 4 TCP hosts");
    let uris = &env.uris[..4];
    let mut revive = Revive {
        env: &env,
        stopped: Vec::new(),
        frozen: Vec::new(),
    };
    let options = FleetOptions::default()
        .labels(labels(4))
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(20))
        .keepalive(Some(KeepAlive {
            interval: Duration::from_secs(1),
            count: 2,
        }));

    // every host gets a dir pool of 300 volumes (files made from outside in the host's
    // private /var/lib/libvirt), so that an inventory has work to do
    let volumes = 300;
    let name = unique("fleet-inv");
    let mut pools = Cleanup {
        uris: uris.to_vec(),
        pools: vec![name.clone()],
        unmount: Vec::new(),
        volumes: Vec::new(),
        dirs: Vec::new(),
    };
    for (i, uri) in uris.iter().enumerate() {
        let dir = format!("{}/lib/{name}", env.dirs[i]);
        std::fs::create_dir_all(&dir).unwrap();
        pools.dirs.push(dir.clone());
        for v in 0..volumes {
            let f = std::fs::File::create(format!("{dir}/v{v:03}.raw")).unwrap();
            f.set_len(1 << 20).unwrap();
        }
        let conn = Connection::open(uri).unwrap();
        let spec: PoolSpec = DirPool::new(&name, format!("/var/lib/libvirt/{name}")).into();
        conn.define_pool(&spec).unwrap().start().unwrap();
    }
    let best = |fleet: &Fleet| {
        (0..3)
            .map(|_| {
                let r = fleet.inventory();
                assert!(r.all_ok(), "{:?}", r.errors().collect::<Vec<_>>());
                let pool = r.hosts[0]
                    .result
                    .as_ref()
                    .unwrap()
                    .pools
                    .iter()
                    .find(|p| p.name == name);
                assert_eq!(pool.unwrap().volumes.len(), volumes);
                (r.elapsed, r.iter().map(|h| h.elapsed).sum::<Duration>())
            })
            .min()
            .unwrap()
    };
    let one = Fleet::open(&uris[..1], &options.clone().labels(["h1"])).unwrap();
    let (t_one, _) = best(&one);
    let all = Fleet::open(uris, &options).unwrap();
    let (t_all, sum_all) = best(&all);
    eprintln!(
        "timing: inventory ({volumes} volumes per host) of 1 host {} ms, of 4 hosts {} ms \
         (the 4 hosts' own times add up to {} ms)",
        ms(t_one),
        ms(t_all),
        ms(sum_all)
    );
    // the hosts overlap: the call takes less than its hosts' times added up
    assert!(t_all < sum_all, "{t_all:?} vs {sum_all:?}");
    drop(all);

    // h4's daemon stopped: open and inventory do not wait for it
    revive.stop(3);
    let t = Instant::now();
    let fleet = Fleet::open(uris, &options).unwrap();
    let t_open = t.elapsed();
    let status = fleet.hosts();
    assert!(status[..3].iter().all(|h| h.connected), "{status:?}");
    let e = status[3].error.as_ref().expect("h4 is down");
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert!(t_open < Duration::from_secs(2), "open took {t_open:?}");

    let inv = fleet.inventory();
    let ok: Vec<&str> = inv
        .iter()
        .filter(|h| h.result.is_ok())
        .map(|h| h.host.as_str())
        .collect();
    assert_eq!(ok, ["h1", "h2", "h3"]);
    let dead = inv.get("h4").unwrap().result.as_ref().unwrap_err();
    assert_eq!(dead.kind(), ErrorKind::Connect, "{dead}");
    let slowest = inv.iter().map(|h| h.elapsed).max().unwrap();
    let sum: Duration = inv.iter().map(|h| h.elapsed).sum();
    eprintln!(
        "timing: open of 4 hosts (1 stopped) {} ms; inventory of 4 hosts (1 stopped) {} ms \
         (slowest host {} ms, sum over hosts {} ms)",
        ms(t_open),
        ms(inv.elapsed),
        ms(slowest),
        ms(sum)
    );
    // the call takes about as long as its slowest host, not the sum
    assert!(
        inv.elapsed < slowest + Duration::from_millis(500),
        "{:?} vs slowest {slowest:?}",
        inv.elapsed
    );
    assert!(inv.elapsed < Duration::from_secs(3), "{:?}", inv.elapsed);

    // h4 back: the next call reconnects it
    revive.start(3);
    let inv = fleet.inventory();
    assert!(inv.all_ok(), "{:?}", inv.errors().collect::<Vec<_>>());

    // h2 frozen (SIGSTOP: the kernel still accepts TCP, the daemon answers nothing):
    // keepalive declares its link dead, the others answer; the next call's reopen
    // waits the connect timeout at most
    revive.freeze(1);
    let t = Instant::now();
    let inv = fleet.inventory();
    let frozen = inv.get("h2").unwrap().result.as_ref().unwrap_err();
    assert_eq!(frozen.kind(), ErrorKind::Connect, "{frozen}");
    assert_eq!(inv.errors().count(), 1);
    eprintln!(
        "timing: inventory with h2 frozen {} ms ({frozen})",
        ms(t.elapsed())
    );
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let t = Instant::now();
    let inv = fleet.inventory();
    assert!(inv.get("h2").unwrap().result.is_err());
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    eprintln!(
        "timing: next inventory, h2 still frozen {} ms",
        ms(t.elapsed())
    );

    // thawed: the open that was waiting completes, h2 answers again
    revive.thaw(1);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let inv = fleet.inventory();
        if inv.all_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "h2 did not come back: {:?}",
            inv.errors().collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_host_that_accepts_tcp_but_never_answers_blocks_nobody() {
    let _hosts = HOSTS.read().unwrap_or_else(|e| e.into_inner());
    // the live fleet's hosts when there is one, else test-driver hosts
    let dir = tempfile::tempdir().unwrap();
    let mut uris: Vec<String> = split("KVMPOOL_FLEET_URIS").into_iter().take(2).collect();
    if uris.is_empty() {
        for i in 0..2 {
            let node = dir.path().join(format!("n{i}.xml"));
            std::fs::write(
                &node,
                "<node><pool type='dir'><name>p</name><target><path>/p</path></target>\
                 </pool></node>",
            )
            .unwrap();
            uris.push(format!("test://{}", node.display()));
        }
    }
    // listens, never accepts, never reads: libvirt's open waits for an answer for ever
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    uris.push(format!(
        "storage+tcp://127.0.0.1:{}/system",
        silent.local_addr().unwrap().port()
    ));
    let options = FleetOptions::default()
        .labels(["a", "b", "silent"])
        .connect_timeout(Duration::from_millis(1500));
    let t = Instant::now();
    let fleet = Fleet::open(&uris, &options).unwrap();
    let t_open = t.elapsed();
    eprintln!("timing: open with a silent host {} ms", ms(t_open));
    assert!(t_open >= Duration::from_millis(1400), "{t_open:?}");
    assert!(t_open < Duration::from_secs(4), "{t_open:?}");
    let silent_status = &fleet.hosts()[2];
    assert!(!silent_status.connected);
    let e = silent_status.error.as_ref().unwrap();
    assert!(e.to_string().contains("still connecting"), "{e}");

    // the open is still waiting: calls report that at once instead of waiting again
    let t = Instant::now();
    let inv = fleet.inventory();
    eprintln!(
        "timing: inventory with the silent host {} ms",
        ms(t.elapsed())
    );
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(inv.get("a").unwrap().result.is_ok());
    assert!(inv.get("b").unwrap().result.is_ok());
    let e = inv.get("silent").unwrap().result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);
    assert!(e.to_string().contains("no answer after"), "{e}");

    // closing the socket ends libvirt's open; its thread stores the error and ends
    drop(silent);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = &fleet.hosts()[2];
        let e = status.error.as_ref().unwrap().to_string();
        if !e.contains("still connecting") {
            eprintln!("the silent host's open returned: {e}");
            break;
        }
        assert!(Instant::now() < deadline, "the open thread never returned");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Removes the test's pools from every host and the read-only mount it made, whatever
/// the test did.
struct Cleanup {
    uris: Vec<String>,
    pools: Vec<String>,
    unmount: Vec<(String, String)>,
    /// (URI, pool, volume)
    volumes: Vec<(String, String, String)>,
    /// Directories to remove at the end.
    dirs: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for (uri, pool, vol) in &self.volumes {
            let _ = Command::new("virsh")
                .args(["-q", "-c", uri, "vol-delete", vol, "--pool", pool])
                .output();
        }
        for (pid, path) in &self.unmount {
            let _ = Command::new("nsenter")
                .args(["-t", pid, "-m", "umount", path])
                .status();
        }
        for uri in &self.uris {
            for p in &self.pools {
                for cmd in [
                    vec!["pool-destroy", p],
                    vec!["pool-delete", p],
                    vec!["pool-undefine", p],
                ] {
                    let _ = Command::new("virsh")
                        .args(["-q", "-c", uri])
                        .args(&cmd)
                        .output();
                }
            }
        }
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn applied(r: &HostResult<ApplyOutcome>) -> bool {
    matches!(r.result, Ok(ApplyOutcome::Applied(_)))
}

#[test]
fn the_tutorial_manifest_across_the_fleet() {
    let Some(env) = fleet_env("the_tutorial_manifest_across_the_fleet") else {
        return;
    };
    let _hosts = HOSTS.read().unwrap_or_else(|e| e.into_inner());
    let gluster = support::env("KVMPOOL_TEST_GLUSTER_HOST");
    let uris = env.uris[..4].to_vec();
    let (gi, nfs) = (unique("fleet-gi"), unique("fleet-nfs"));
    // under /var/lib/libvirt, which is each host's own (every daemon has a private one)
    let parent = format!("/var/lib/libvirt/{}", unique("fleet-mnt"));
    let mut cleanup = Cleanup {
        uris: uris.clone(),
        pools: vec![gi.clone(), nfs.clone()],
        unmount: Vec::new(),
        volumes: Vec::new(),
        dirs: Vec::new(),
    };
    let text = format!(
        r#"
# the tutorial's directory pool and its NFS pool (here: gluster over netfs)
[[pool]]
name = "{gi}"
type = "dir"
autostart = true

[[pool]]
name = "{nfs}"
type = "netfs"
host = "{gluster}"
source_path = "/gv0"
format = "glusterfs"
target = "{parent}/{nfs}"
"#
    );
    let m = Manifest::from_toml(&text).unwrap();
    let fleet = Fleet::open(&uris, &FleetOptions::default().labels(labels(4))).unwrap();
    assert!(fleet.hosts().iter().all(|h| h.connected));

    // h3 cannot make the netfs target: a read-only file system over its parent,
    // in h3's mount namespace only
    let h3_lib = format!(
        "{}/lib/{}",
        env.dirs[2],
        parent.trim_start_matches("/var/lib/libvirt/")
    );
    std::fs::create_dir_all(&h3_lib).unwrap();
    run(
        "nsenter",
        &[
            "-t",
            &env.pids[2],
            "-m",
            "mount",
            "-t",
            "tmpfs",
            "-o",
            "ro,size=64k",
            "kvmpool-ro",
            &parent,
        ],
    );
    cleanup.unmount.push((env.pids[2].clone(), parent.clone()));

    // 1. h3 as the canary: it fails, is rolled back, and nobody else is touched
    let plans = fleet.plan(&m);
    assert!(plans.all_ok());
    let r = fleet
        .apply(
            &plans,
            &FleetApplyOptions::default().canary(Canary::Host("h3".into())),
        )
        .unwrap();
    let e = r.get("h3").unwrap().result.as_ref().unwrap_err();
    assert!(e.to_string().contains("undone"), "{e}");
    for h in ["h1", "h2", "h4"] {
        assert!(
            matches!(r.get(h).unwrap().result, Ok(ApplyOutcome::Skipped { .. })),
            "{h}: {:?}",
            r.get(h).unwrap().result
        );
    }
    for uri in &uris {
        let names = pool_names(uri);
        assert!(
            !names.contains(&gi) && !names.contains(&nfs),
            "{uri}: {names:?}"
        );
    }

    // 2. the first host as canary, two at a time: h3 fails again, alone
    let plans = fleet.plan(&m);
    let t = Instant::now();
    let r = fleet
        .apply(
            &plans,
            &FleetApplyOptions::default()
                .canary(Canary::First)
                .concurrency(2),
        )
        .unwrap();
    eprintln!(
        "timing: apply to 4 hosts (canary, 2 at a time) {} ms",
        ms(t.elapsed())
    );
    let e = r.get("h3").unwrap().result.as_ref().unwrap_err();
    eprintln!("h3, rolled back: {e}");
    assert!(e.to_string().contains("undone: "), "{e}");
    for (i, uri) in uris.iter().enumerate() {
        let names = pool_names(uri);
        let has = names.contains(&gi) && names.contains(&nfs);
        if i == 2 {
            assert!(
                !names.contains(&gi) && !names.contains(&nfs),
                "h3: {names:?}"
            );
        } else {
            assert!(has && applied(&r.hosts[i]), "h{}: {names:?}", i + 1);
            let info = virsh(uri, &["pool-info", &nfs]);
            assert!(info.contains("running"), "{info}");
        }
    }
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["schema"], "kvmpool-fleet/1");
    assert_eq!(json["hosts"][2]["ok"], false);

    // 3. h3 mended: plan and apply again converge; a second plan is empty everywhere
    run("nsenter", &["-t", &env.pids[2], "-m", "umount", &parent]);
    cleanup.unmount.clear();
    let r = fleet
        .apply(&fleet.plan(&m), &FleetApplyOptions::default())
        .unwrap();
    assert!(r.all_ok(), "{:?}", r.errors().collect::<Vec<_>>());
    let plans = fleet.plan(&m);
    for p in &plans {
        assert!(
            p.result.as_ref().unwrap().is_empty(),
            "{}: {}",
            p.host,
            p.result.as_ref().unwrap()
        );
    }
    assert!(fleet.drift(&m).in_sync());

    // 4. shared storage: a volume made on gv0 through h1 is seen by every host (after a
    // refresh) with the same size
    let vol = format!("{}.raw", unique("fleet-shared"));
    let h1 = fleet.connection("h1").unwrap();
    let made = h1
        .pool(&nfs)
        .unwrap()
        .create_volume(&VolumeSpec::new(&vol, Size::mib(16)))
        .unwrap();
    cleanup
        .volumes
        .push((uris[0].clone(), nfs.clone(), vol.clone()));
    let shared = fleet.shared_storage(true);
    assert!(shared.errors.is_empty(), "{:?}", shared.errors);
    let (source, seen) = shared.volume(&vol).expect("the volume is seen");
    assert_eq!(source.pool_type, PoolType::Netfs);
    assert_eq!(
        source.source.get("source_path"),
        Some(&FieldValue::Text("/gv0".into()))
    );
    let hosts: Vec<&str> = seen.seen.iter().map(|s| s.host.as_str()).collect();
    assert_eq!(hosts, ["h1", "h2", "h3", "h4"], "{seen:?}");
    assert!(seen.sizes_agree && seen.missing_on.is_empty(), "{seen:?}");
    assert!(seen.seen.iter().all(|s| s.capacity == Size::mib(16)));
    assert!(seen
        .seen
        .iter()
        .all(|s| s.path == format!("{parent}/{nfs}/{vol}")));

    // 5. migration: h1 and h2 agree; h4's netfs pool moved to another target out of
    // band, and the check names that field
    let check = fleet.migration_check("h1", "h2", &nfs).unwrap();
    assert!(check.compatible && check.shared, "{check:?}");
    let h4 = fleet.connection("h4").unwrap();
    let pool = h4.pool(&nfs).unwrap();
    pool.destroy().unwrap();
    let mut spec = pool.persistent_spec().unwrap();
    spec.set(PoolField::Target, format!("{parent}/{nfs}-moved"))
        .unwrap();
    pool.edit(&spec).unwrap();
    pool.build(BuildMode::Normal).unwrap();
    pool.start().unwrap();
    let check = fleet.migration_check("h1", "h4", &nfs).unwrap();
    assert!(!check.compatible, "{check:?}");
    let fields: Vec<&str> = check.differences.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["target"], "{check:?}");

    // 6. drift: h4's pool drifted (its target cannot change in place), h2's dir pool
    // undefined out of band is missing, everything else in sync
    let h2 = fleet.connection("h2").unwrap();
    let p = h2.pool(&gi).unwrap();
    p.destroy().unwrap();
    p.undefine().unwrap();
    let drift = fleet.drift(&m);
    eprintln!("{drift}");
    for h in labels(4) {
        for pool in [&gi, &nfs] {
            let want = match (h.as_str(), pool == &gi) {
                ("h4", false) => DriftState::Drifted,
                ("h2", true) => DriftState::Missing,
                _ => DriftState::InSync,
            };
            assert_eq!(
                drift.cell(&h, pool).unwrap().state,
                want,
                "{h} {pool}\n{drift}"
            );
        }
    }
    let cell = drift.cell("h4", &nfs).unwrap();
    assert!(
        cell.blocked[0].reason.contains("target"),
        "{:?}",
        cell.blocked
    );
    made.delete(DeleteMode::Normal).unwrap();
    cleanup.volumes.clear();
}

#[test]
fn tls_a_good_client_certificate_connects_a_foreign_one_is_refused() {
    let Some(env) = fleet_env("tls_a_good_client_certificate_connects_a_foreign_one_is_refused")
    else {
        return;
    };
    let _hosts = HOSTS.read().unwrap_or_else(|e| e.into_inner());
    // a password and a token in the URI: neither may show anywhere
    let bad = env
        .bad_tls
        .replacen("storage+tls://", "storage+tls://kvmpool:pw-hunter2@", 1)
        + "&token=tok-s3cret";
    let fleet = Fleet::open(
        &[env.tls.as_str(), bad.as_str()],
        &FleetOptions::default().labels(["tls", "foreign"]),
    )
    .unwrap();
    let status = fleet.hosts();
    assert!(status[0].connected, "{:?}", status[0].error);
    assert!(status[0].tls_verify && status[1].tls_verify);
    let inv = fleet.inventory();
    assert!(inv.get("tls").unwrap().result.is_ok());
    let e = inv.get("foreign").unwrap().result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    eprintln!("the foreign certificate: {e}");
    let key = std::fs::read_to_string(
        env.bad_tls.split("pkipath=").nth(1).unwrap().to_owned() + "/clientkey.pem",
    )
    .unwrap();
    let key_line = key.lines().nth(1).unwrap();
    for text in [
        e.to_string(),
        inv.to_json(),
        format!("{fleet:?}"),
        format!("{status:?}"),
    ] {
        for secret in ["pw-hunter2", "tok-s3cret", key_line] {
            assert!(!text.contains(secret), "{secret} shows in {text}");
        }
    }
    assert!(e.to_string().contains("kvmpool:***@"), "{e}");
}

#[test]
fn the_test_vm_joins_the_fleet_over_qemu_tcp() {
    let Some(env) = fleet_env("the_test_vm_joins_the_fleet_over_qemu_tcp") else {
        return;
    };
    if let Ok(error) = std::env::var("KVMPOOL_VM_ERROR") {
        panic!("the test VM did not come up: {error}");
    }
    let Ok(vm) = std::env::var("KVMPOOL_VM_URI") else {
        eprintln!(
            "SKIPPED the_test_vm_joins_the_fleet_over_qemu_tcp: no test VM (KVMPOOL_VM_URI; \
             `make test` starts one unless VM=0)"
        );
        return;
    };
    let _hosts = HOSTS.read().unwrap_or_else(|e| e.into_inner());
    let mut uris = env.uris.clone();
    uris.push(vm.clone());
    let fleet = Fleet::open(&uris, &FleetOptions::default()).unwrap();
    // other tests use the VM too: pools there before and after the inventory must be in it
    let before = pool_names(&vm);
    let inv = fleet.inventory();
    let after = pool_names(&vm);
    assert!(inv.all_ok(), "{:?}", inv.errors().collect::<Vec<_>>());
    let vm_inv = inv.get(&vm).unwrap().result.as_ref().unwrap();
    let names: Vec<&str> = vm_inv.pools.iter().map(|p| p.name.as_str()).collect();
    for name in before.iter().filter(|n| after.contains(n)) {
        assert!(names.contains(&name.as_str()), "{name} not in {names:?}");
    }
    eprintln!(
        "timing: inventory of {} hosts with the VM {} ms (VM {} ms)",
        uris.len(),
        ms(inv.elapsed),
        ms(inv.get(&vm).unwrap().elapsed)
    );
}
