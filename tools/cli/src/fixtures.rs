//! Whole API objects for the unit tests, as the server sends them: each
//! starts from a complete object of its type and takes the fields a test
//! cares about, so the tests read the API's own types.

use serde_json::{json, Value};

/// The `n`th test id, a UUID.
pub fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// `base` with `fields` written over it.
fn with(mut base: Value, fields: Value) -> Value {
    if let (Some(base), Value::Object(fields)) = (base.as_object_mut(), fields) {
        base.extend(fields);
    }
    base
}

/// A page holding `objects`.
pub fn page(objects: Vec<Value>) -> Value {
    let count = objects.len();
    json!({"objects": objects, "meta": {"total_count": count, "limit": count, "offset": 0}})
}

/// A host.
pub fn host(fields: Value) -> Value {
    let base = json!({
        "id": id(0), "address": "10.0.0.1", "port": 22, "fingerprint": null, "state": "managed",
        "nodename": null, "kernel": null, "lustre_version": null, "lnet_state": "lnet_unknown", "nids": [],
        "lnet_networks": null, "pacemaker_version": null, "corosync_version": null, "ha_node": null,
        "ha_cluster_id": null, "preflight": null, "preflight_at": null, "serves_lustre": true,
        "available_transitions": [], "lnet_transitions": [], "locks": [],
        "created_at": "2026-11-26T09:00:00Z"
    });
    with(base, fields)
}

/// A volume.
pub fn volume(fields: Value) -> Value {
    let base = json!({"id": id(0), "serial": "SER", "size_bytes": 0, "target_id": null, "target": null, "nodes": []});
    with(base, fields)
}

/// A target.
pub fn target(fields: Value) -> Value {
    let base = json!({
        "id": id(0), "name": "T", "kind": "ost", "filesystem_id": null, "filesystem": null, "index": null,
        "volume_id": id(0), "volume_serial": "SER", "primary_host_id": id(0), "primary_host": null,
        "failover_host_ids": [], "active_host_id": null, "active_host": null, "failed_over": false,
        "state": "unmounted", "managed": true, "ha_mode": "none", "ha_resource": null, "backfstype": "ldiskfs",
        "zpool": null, "available_transitions": [], "locks": [], "created_at": "2026-11-26T09:00:00Z"
    });
    with(base, fields)
}

/// A file system.
pub fn filesystem(fields: Value) -> Value {
    let base = json!({
        "id": id(0), "name": "fs", "state": "available", "managed": true, "mgs_id": id(0),
        "client_mount_source": null, "conf_params": {}, "available_transitions": [], "locks": [],
        "quota_ost": "none", "quota_mdt": "none", "quota_grace": [],
        "targets": [], "created_at": "2026-11-26T09:00:00Z"
    });
    with(base, fields)
}

/// A command.
pub fn command(fields: Value) -> Value {
    let base = json!({
        "id": id(0), "message": "", "state": "pending", "created_at": "2026-11-26T09:00:00Z",
        "finished_at": null, "jobs": []
    });
    with(base, fields)
}

/// A job of command `id(0)`.
pub fn job(fields: Value) -> Value {
    let base = json!({
        "id": id(0), "command": id(0), "key": "k", "description": "", "state": "pending", "error": null,
        "created_at": "2026-11-26T09:00:00Z", "started_at": null, "finished_at": null
    });
    with(base, fields)
}

/// A step of a job.
pub fn step(fields: Value) -> Value {
    let base = json!({
        "id": id(0), "index": 0, "action": "", "args": {}, "state": "pending", "attempts": 0, "worker": null,
        "queued_at": null, "started_at": null, "finished_at": null, "output": null, "error": null
    });
    with(base, fields)
}
