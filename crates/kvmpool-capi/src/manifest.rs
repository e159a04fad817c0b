//! Declarative storage: manifests, plans and apply.

use std::ffi::c_char;

use kvmpool_core::{Manifest, Plan};

use crate::boundary::{
    ffi_boundary, ffi_infallible, free_handle, new_handle, new_string, try_out, try_ref, try_str,
    Failure,
};
use crate::conn::kvmpool_conn;
use crate::status::kvmpool_status;

/// A manifest: the pools and volumes a host should have (TOML or JSON). Made by
/// kvmpool_manifest_from_toml(), _from_json() or _from_file(); freed with
/// kvmpool_manifest_free().
#[derive(Debug)]
pub struct kvmpool_manifest {
    pub(crate) inner: Manifest,
}

/// A plan: what kvmpool_plan_apply() would do to a host, made by kvmpool_conn_plan();
/// freed with kvmpool_plan_free().
#[derive(Debug)]
pub struct kvmpool_plan {
    inner: Plan,
}

fn write_manifest(
    out: *mut *mut kvmpool_manifest,
    read: impl FnOnce() -> Result<Manifest, Failure>,
) -> kvmpool_status {
    ffi_boundary(|| {
        let out = try_out(out, "manifest_out")?;
        let inner = read()?;
        out.write(new_handle(kvmpool_manifest { inner }));
        Ok(())
    })
}

/// Read a TOML manifest. A bad manifest fails with KVMPOOL_ERR_INVALID_SPEC; the
/// message starts with `manifest:LINE:COLUMN`, kvmpool_last_error_field() names the
/// field (`pool[0].target`). On success writes a new manifest to `*manifest_out`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_manifest_from_toml(
    text: *const c_char,
    manifest_out: *mut *mut kvmpool_manifest,
) -> kvmpool_status {
    write_manifest(manifest_out, || {
        Ok(Manifest::from_toml(try_str(text, "text")?)?)
    })
}

/// Read a JSON manifest (the same structure as TOML). As kvmpool_manifest_from_toml().
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_manifest_from_json(
    text: *const c_char,
    manifest_out: *mut *mut kvmpool_manifest,
) -> kvmpool_status {
    write_manifest(manifest_out, || {
        Ok(Manifest::from_json(try_str(text, "text")?)?)
    })
}

/// Read a manifest file (JSON when its name ends in ".json", TOML otherwise); errors
/// are located in that file. Fails with KVMPOOL_ERR_IO when it cannot be read.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_manifest_from_file(
    path: *const c_char,
    manifest_out: *mut *mut kvmpool_manifest,
) -> kvmpool_status {
    write_manifest(manifest_out, || {
        Ok(Manifest::from_file(try_str(path, "path")?)?)
    })
}

/// Free a manifest. NULL is ignored.
#[no_mangle]
pub extern "C" fn kvmpool_manifest_free(manifest: *mut kvmpool_manifest) {
    ffi_infallible((), || free_handle(manifest));
}

/// Compare `manifest` with the host of `conn`: the ordered actions that would make the
/// host match it, and what it needs but may not do. Nothing is changed. On success
/// writes a new plan to `*plan_out` (free with kvmpool_plan_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_conn_plan(
    conn: *const kvmpool_conn,
    manifest: *const kvmpool_manifest,
    plan_out: *mut *mut kvmpool_plan,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let manifest = try_ref(manifest, "manifest")?;
        let out = try_out(plan_out, "plan_out")?;
        let inner = conn.inner.plan(&manifest.inner)?;
        out.write(new_handle(kvmpool_plan { inner }));
        Ok(())
    })
}

/// The plan as JSON (schema "kvmpool-plan/1": host, observed, policy, actions,
/// blocked). On success writes a new string to `*json_out` (free with
/// kvmpool_string_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_plan_json(
    plan: *const kvmpool_plan,
    json_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let plan = try_ref(plan, "plan")?;
        let out = try_out(json_out, "json_out")?;
        out.write(new_string(plan.inner.to_json())?);
        Ok(())
    })
}

/// The plan for people: one line per action (`+` add, `~` change, `-` remove, `!`
/// refused). On success writes a new string to `*text_out` (free with
/// kvmpool_string_free()).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_plan_text(
    plan: *const kvmpool_plan,
    text_out: *mut *mut c_char,
) -> kvmpool_status {
    ffi_boundary(|| {
        let plan = try_ref(plan, "plan")?;
        let out = try_out(text_out, "text_out")?;
        out.write(new_string(plan.inner.to_string())?);
        Ok(())
    })
}

/// The number of actions and of refused changes in the plan (both 0: the host matches
/// the manifest, there is no drift).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_plan_counts(
    plan: *const kvmpool_plan,
    actions_out: *mut usize,
    blocked_out: *mut usize,
) -> kvmpool_status {
    ffi_boundary(|| {
        let plan = try_ref(plan, "plan")?;
        let actions = try_out(actions_out, "actions_out")?;
        let blocked = try_out(blocked_out, "blocked_out")?;
        actions.write(plan.inner.actions.len());
        blocked.write(plan.inner.blocked.len());
        Ok(())
    })
}

/// Carry out `plan` on the host of `conn`, in order. Refused with KVMPOOL_ERR_STATE
/// when the plan has refused changes or the host changed since the plan was made.
/// When a step fails, the steps already taken are undone and the message says which
/// step failed and what was undone.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn kvmpool_plan_apply(
    conn: *const kvmpool_conn,
    plan: *const kvmpool_plan,
) -> kvmpool_status {
    ffi_boundary(|| {
        let conn = try_ref(conn, "conn")?;
        let plan = try_ref(plan, "plan")?;
        conn.inner.apply(&plan.inner)?;
        Ok(())
    })
}

/// Free a plan. NULL is ignored.
#[no_mangle]
pub extern "C" fn kvmpool_plan_free(plan: *mut kvmpool_plan) {
    ffi_infallible((), || free_handle(plan));
}
