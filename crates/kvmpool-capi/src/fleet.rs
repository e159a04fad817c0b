//! Fleets: many libvirt hosts at once over libvirt's remote protocol. Results come
//! back as JSON (schema "kvmpool-fleet/1"), one entry per host with its result or its
//! error: a fleet call succeeds (KVMPOOL_OK) even when hosts fail; only bad arguments
//! fail the call itself.

use std::ffi::c_char;
use std::time::Duration;

use kvmpool_core::{
    Canary, DriftMatrix, Fleet, FleetApplyOptions, FleetOptions, FleetResult, InventoryOptions,
    KeepAlive, Plan,
};

use crate::boundary::{
    check_flags, ffi_boundary, ffi_infallible, free_handle, new_handle, new_string, opt_out,
    try_array, try_opt_str, try_out, try_ref, try_str,
};
use crate::manifest::kvmpool_manifest;
use crate::status::kvmpool_status;

/// kvmpool_fleet_options.flags: open read-only connections.
pub const KVMPOOL_FLEET_READ_ONLY: u32 = 1;
/// kvmpool_fleet_options.flags: no libvirt keepalive on the links.
pub const KVMPOOL_FLEET_NO_KEEPALIVE: u32 = 2;
/// kvmpool_fleet_inventory_json() flags: read each volume's format (one more round
/// trip per volume).
pub const KVMPOOL_FLEET_INVENTORY_FORMATS: u32 = 1;
/// kvmpool_fleet_inventory_json() flags: pools only, no volumes.
pub const KVMPOOL_FLEET_INVENTORY_NO_VOLUMES: u32 = 2;
/// kvmpool_fleet_apply_options.flags: the first host whose plan has changes applies
/// first, alone (ignored when `canary` names a host).
pub const KVMPOOL_FLEET_CANARY_FIRST: u32 = 1;
/// kvmpool_fleet_shared_storage_json() flags: refresh the shared pools first.
pub const KVMPOOL_FLEET_SHARED_REFRESH: u32 = 1;

/// Many libvirt hosts, one connection each. Made by kvmpool_fleet_open(); freed with
/// kvmpool_fleet_free(). Thread-safe: any number of threads may call functions on the
/// same fleet at once.
#[derive(Debug)]
pub struct kvmpool_fleet {
    inner: Fleet,
}

/// Plans of a manifest for every host of a fleet, made by kvmpool_fleet_plan(); freed
/// with kvmpool_fleet_plans_free(). Never changes; may be read from any thread.
#[derive(Debug)]
pub struct kvmpool_fleet_plans {
    inner: FleetResult<Plan>,
}

/// How kvmpool_fleet_open() connects. A 0 takes the default (see
/// kvmpool_fleet_options_default()).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvmpool_fleet_options {
    /// NULL, or one label per URI (each host is otherwise labelled with its URI,
    /// redacted). Labels must be unique and not empty.
    pub labels: *const *const c_char,
    /// Milliseconds to wait for one host's connection to open.
    pub connect_timeout_ms: u32,
    /// Milliseconds a whole fleet call (inventory, plan, drift, ...) may take.
    pub timeout_ms: u32,
    /// libvirt keepalive: seconds without traffic before a probe.
    pub keepalive_interval_s: u32,
    /// libvirt keepalive: unanswered probes before the link is declared dead.
    pub keepalive_count: u32,
    /// How many hosts a read call works on at once.
    pub concurrency: u32,
    /// KVMPOOL_FLEET_READ_ONLY, KVMPOOL_FLEET_NO_KEEPALIVE, or 0.
    pub flags: u32,
}

/// How kvmpool_fleet_apply_json() rolls out.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvmpool_fleet_apply_options {
    /// How many hosts apply at once (0: the default, 4).
    pub concurrency: u32,
    /// NULL, or the label of a host that applies first, alone; when it fails no other
    /// host is touched.
    pub canary: *const c_char,
    /// Milliseconds to wait for the whole rollout (0: until every host is done).
    pub timeout_ms: u32,
    /// KVMPOOL_FLEET_CANARY_FIRST, or 0.
    pub flags: u32,
}

fn ms(n: u32) -> Duration {
    Duration::from_millis(u64::from(n))
}

/// The defaults of kvmpool_fleet_open(): no labels, connect timeout 10 s, 60 s per
/// call, keepalive 5 s x 3, 32 hosts at once, no flags. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_options_default() -> kvmpool_fleet_options {
    let d = FleetOptions::default();
    let k = d.keepalive.unwrap_or_default();
    let n = |v: u128| u32::try_from(v).unwrap_or(u32::MAX);
    kvmpool_fleet_options {
        labels: std::ptr::null(),
        connect_timeout_ms: n(d.connect_timeout.as_millis()),
        timeout_ms: n(d.timeout.as_millis()),
        keepalive_interval_s: n(u128::from(k.interval.as_secs())),
        keepalive_count: k.count,
        concurrency: n(d.concurrency as u128),
        flags: 0,
    }
}

/// Open a connection to each of the `count` hosts of `uris` (libvirt URIs:
/// qemu+tcp://, qemu+tls://, qemu+ssh://, ...), concurrently, waiting at most the
/// connect timeout; `options` may be NULL (the defaults). Fails only on bad input
/// (no hosts, a URI twice, labels empty or repeated: KVMPOOL_ERR_INVALID_SPEC); a
/// host that cannot be reached is kept with its error (kvmpool_fleet_hosts_json())
/// and tried again on each call. On success writes a new fleet to `*fleet_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_open(
    uris: *const *const c_char,
    count: usize,
    options: *const kvmpool_fleet_options,
    fleet_out: *mut *mut kvmpool_fleet,
) -> kvmpool_status {
    ffi_boundary(|| {
        let out = try_out(fleet_out, "fleet_out")?;
        let uris: Vec<&str> = if count == 0 {
            Vec::new()
        } else {
            try_array(uris, count, "uris")?
                .iter()
                .map(|u| try_str(*u, "uris"))
                .collect::<Result<_, _>>()?
        };
        let mut o = FleetOptions::default();
        if !options.is_null() {
            let c = try_ref(options, "options")?;
            check_flags(
                c.flags,
                KVMPOOL_FLEET_READ_ONLY | KVMPOOL_FLEET_NO_KEEPALIVE,
                "flags",
                "KVMPOOL_FLEET_READ_ONLY or _NO_KEEPALIVE",
            )?;
            if !c.labels.is_null() && count > 0 {
                let labels = try_array(c.labels, count, "labels")?
                    .iter()
                    .map(|l| try_str(*l, "labels").map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()?;
                o = o.labels(labels);
            }
            if c.connect_timeout_ms != 0 {
                o = o.connect_timeout(ms(c.connect_timeout_ms));
            }
            if c.timeout_ms != 0 {
                o = o.timeout(ms(c.timeout_ms));
            }
            if c.concurrency != 0 {
                o = o.concurrency(c.concurrency as usize);
            }
            let mut k = o.keepalive.unwrap_or_default();
            if c.keepalive_interval_s != 0 {
                k.interval = Duration::from_secs(u64::from(c.keepalive_interval_s));
            }
            if c.keepalive_count != 0 {
                k.count = c.keepalive_count;
            }
            let keepalive: Option<KeepAlive> =
                (c.flags & KVMPOOL_FLEET_NO_KEEPALIVE == 0).then_some(k);
            o = o
                .keepalive(keepalive)
                .read_only(c.flags & KVMPOOL_FLEET_READ_ONLY != 0);
        }
        let inner = Fleet::open(&uris, &o)?;
        out.write(new_handle(kvmpool_fleet { inner }));
        Ok(())
    })
}

/// Free a fleet (its connections are closed on a thread of their own, so this never
/// waits for a host that does not answer). NULL is ignored. Every other call using
/// the fleet must have returned.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_free(fleet: *mut kvmpool_fleet) {
    ffi_infallible((), || free_handle(fleet));
}

/// Where each host stands now (no round trip), as JSON (operation "hosts": host,
/// uri, connected, tls_verify, error). On success writes a new string to `*json_out`
/// (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_hosts_json(
    fleet: *const kvmpool_fleet,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let fleet = try_ref(fleet, "fleet")?;
        let out = try_out(json_out, "json_out")?;
        out.write(new_string(fleet.inner.hosts_json())?);
        Ok(())
    })
}

/// Every host's inventory, all hosts at once, as JSON (operation "inventory"): per
/// host "ok", "result" (pools with their volumes) or "error" ({"kind", "message",
/// ...}). `flags`: KVMPOOL_FLEET_INVENTORY_FORMATS, _NO_VOLUMES, or 0. Returns
/// KVMPOOL_OK when hosts fail too (their errors are in the JSON). On success writes a
/// new string to `*json_out` (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_inventory_json(
    fleet: *const kvmpool_fleet,
    flags: u32,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let fleet = try_ref(fleet, "fleet")?;
        let out = try_out(json_out, "json_out")?;
        check_flags(
            flags,
            KVMPOOL_FLEET_INVENTORY_FORMATS | KVMPOOL_FLEET_INVENTORY_NO_VOLUMES,
            "flags",
            "KVMPOOL_FLEET_INVENTORY_*",
        )?;
        let options = InventoryOptions {
            formats: flags & KVMPOOL_FLEET_INVENTORY_FORMATS != 0,
            volumes: flags & KVMPOOL_FLEET_INVENTORY_NO_VOLUMES == 0,
            ..InventoryOptions::default()
        };
        out.write(new_string(fleet.inner.inventory_with(&options).to_json())?);
        Ok(())
    })
}

/// Plan `manifest` on every host at once (nothing is changed). On success writes new
/// plans to `*plans_out` (read with kvmpool_fleet_plan_json(), carry out with
/// kvmpool_fleet_apply_json(), free with kvmpool_fleet_plans_free()); hosts where
/// planning failed carry their error. Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_plan(
    fleet: *const kvmpool_fleet,
    manifest: *const kvmpool_manifest,
    plans_out: *mut *mut kvmpool_fleet_plans,
) -> kvmpool_status {
    ffi_boundary(|| {
        let fleet = try_ref(fleet, "fleet")?;
        let manifest = try_ref(manifest, "manifest")?;
        let out = try_out(plans_out, "plans_out")?;
        let inner = fleet.inner.plan(&manifest.inner);
        out.write(new_handle(kvmpool_fleet_plans { inner }));
        Ok(())
    })
}

/// The plans as JSON (operation "plan"): per host its plan (schema "kvmpool-plan/1")
/// or its error. On success writes a new string to `*json_out` (free with
/// kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_plan_json(
    plans: *const kvmpool_fleet_plans,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let plans = try_ref(plans, "plans")?;
        let out = try_out(json_out, "json_out")?;
        out.write(new_string(plans.inner.to_json())?);
        Ok(())
    })
}

/// Free plans. NULL is ignored.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_plans_free(plans: *mut kvmpool_fleet_plans) {
    ffi_infallible((), || free_handle(plans));
}

/// Carry out `plans` (from kvmpool_fleet_plan() on this fleet), each on its host.
/// With a canary (options->canary, or KVMPOOL_FLEET_CANARY_FIRST) that host goes
/// first, alone; when it fails the others are skipped. Then the rest,
/// options->concurrency at a time; a host that fails undoes its own steps, alone.
/// `options` may be NULL (no canary, 4 at a time, no deadline). The JSON (operation
/// "apply") has per host {"status": "applied", "done", "skipped"} or {"status":
/// "skipped", "reason"} or an error saying what was undone. Fails only on bad
/// arguments (an unknown canary: KVMPOOL_ERR_INVALID_SPEC). On success writes a new
/// string to `*json_out` (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_apply_json(
    fleet: *const kvmpool_fleet,
    plans: *const kvmpool_fleet_plans,
    options: *const kvmpool_fleet_apply_options,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let fleet = try_ref(fleet, "fleet")?;
        let plans = try_ref(plans, "plans")?;
        let out = try_out(json_out, "json_out")?;
        let mut o = FleetApplyOptions::default();
        if !options.is_null() {
            let c = try_ref(options, "options")?;
            check_flags(
                c.flags,
                KVMPOOL_FLEET_CANARY_FIRST,
                "flags",
                "KVMPOOL_FLEET_CANARY_FIRST",
            )?;
            let canary = match try_opt_str(c.canary, "canary")? {
                Some(label) => Canary::Host(label.to_owned()),
                None if c.flags & KVMPOOL_FLEET_CANARY_FIRST != 0 => Canary::First,
                None => Canary::None,
            };
            o = o.canary(canary);
            if c.concurrency != 0 {
                o = o.concurrency(c.concurrency as usize);
            }
            if c.timeout_ms != 0 {
                o = o.timeout(Some(ms(c.timeout_ms)));
            }
        }
        let applied = fleet.inner.apply(&plans.inner, &o)?;
        out.write(new_string(applied.to_json())?);
        Ok(())
    })
}

/// The drift matrix of `manifest` (plan on every host; host x pool: "in-sync",
/// "drifted", "missing", "unreachable" or "failed") as JSON (operation "drift"), and,
/// when `text_out` is not NULL, as a table for people. On success writes new strings
/// (free each with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_drift_json(
    fleet: *const kvmpool_fleet,
    manifest: *const kvmpool_manifest,
    json_out: *mut *mut c_char,
    text_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let fleet = try_ref(fleet, "fleet")?;
        let manifest = try_ref(manifest, "manifest")?;
        let out = try_out(json_out, "json_out")?;
        let text = opt_out(text_out);
        let drift: DriftMatrix = fleet.inner.drift(&manifest.inner);
        let json = new_string(drift.to_json())?;
        if let Some(text) = text {
            match new_string(drift.to_string()) {
                Ok(t) => text.write(t),
                Err(e) => {
                    crate::boundary::free_string(json);
                    return Err(e);
                }
            }
        }
        out.write(json);
        Ok(())
    })
}

/// The fleet's shared storage (pools of netfs, gluster, iscsi, iscsi-direct, rbd, ...
/// grouped by source; per volume which hosts see it, with key, path and sizes, and
/// whether the sizes agree) as JSON (operation "shared-storage"). `flags`:
/// KVMPOOL_FLEET_SHARED_REFRESH or 0. On success writes a new string to `*json_out`
/// (free with kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_shared_storage_json(
    fleet: *const kvmpool_fleet,
    flags: u32,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let fleet = try_ref(fleet, "fleet")?;
        let out = try_out(json_out, "json_out")?;
        check_flags(
            flags,
            KVMPOOL_FLEET_SHARED_REFRESH,
            "flags",
            "KVMPOOL_FLEET_SHARED_REFRESH",
        )?;
        let shared = fleet
            .inner
            .shared_storage(flags & KVMPOOL_FLEET_SHARED_REFRESH != 0);
        out.write(new_string(shared.to_json())?);
        Ok(())
    })
}

/// Whether `pool` is the same on the hosts labelled `host_a` and `host_b` (type,
/// source and target; the differing fields named), as JSON (operation
/// "migration-check": compatible, shared, differences, other_differences, problems).
/// Fails when a label is unknown (KVMPOOL_ERR_NOT_FOUND) or a host cannot be reached
/// (KVMPOOL_ERR_CONNECT). On success writes a new string to `*json_out` (free with
/// kvmpool_string_free()). Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_fleet_migration_check_json(
    fleet: *const kvmpool_fleet,
    host_a: *const c_char,
    host_b: *const c_char,
    pool: *const c_char,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let fleet = try_ref(fleet, "fleet")?;
        let a = try_str(host_a, "host_a")?;
        let b = try_str(host_b, "host_b")?;
        let pool = try_str(pool, "pool")?;
        let out = try_out(json_out, "json_out")?;
        let check = fleet.inner.migration_check(a, b, pool)?;
        out.write(new_string(check.to_json())?);
        Ok(())
    })
}
