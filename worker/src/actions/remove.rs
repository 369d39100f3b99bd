//! `remove_target`, `remove_filesystem` and `remove_host`: Chroma forgets
//! an object once nothing live depends on it; nothing on a volume is
//! erased. `erase_configuration` drops a removed file system's logs on an
//! MGS that stays.

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::{db_error, Server};
use super::targets::{self, FilesystemRow, TargetRow};
use super::{mounts, step};
use crate::shared::Shared;
use store::sql::query;

/// `remove_target`: refuses while the target is mounted on one of its
/// hosts; `removed`. A host that cannot be asked is named in the output: a
/// dead host must not keep its targets forever.
pub async fn target(shared: &Shared, target_id: Uuid) -> Result<Value, String> {
    let target = TargetRow::load(shared, target_id).await?;
    let hosts = target.hosts(shared).await?;
    let seen = mounts::locate(shared, &target, &hosts).await;
    if let Some((host, mount)) = &seen.mounted {
        return Err(format!(
            "{} is mounted on {} at {}; unmount it before removing it",
            target.name, host.name, mount.dir
        ));
    }
    let resource = match target.ha_resource {
        Some(_) => Some(super::ha::resource::remove(shared, &target).await?),
        None => None,
    };
    // Best effort: a dead server keeps no target, and its pool is not
    // mounted anywhere (checked above).
    let _ = super::zfs::release_anywhere(shared, &target, &hosts).await;
    targets::record(shared, target_id, "removed", None).await?;
    Ok(json!({
        "target": target.name,
        "removed": true,
        "unchecked_hosts": seen.unknown_hosts(),
        "pacemaker": resource,
    }))
}

/// `erase_configuration`: `lctl erase_lcfg FSNAME` where the file
/// system's MGS runs, once none of its targets is mounted anywhere (the
/// plan unmounts them first; this checks again). Without it the MGS keeps
/// the name's indices and refuses a new file system of that name
/// ("index is already in use"). Logs already erased are not an error.
pub async fn erase_configuration(shared: &Shared, filesystem_id: Uuid) -> Result<Value, String> {
    let fs = FilesystemRow::load(shared, filesystem_id).await?;
    let mounted = live_names(
        shared,
        "SELECT name FROM target WHERE filesystem_id = $1 AND state = 'mounted' ORDER BY name",
        filesystem_id,
    )
    .await?;
    if !mounted.is_empty() {
        return Err(format!(
            "cannot erase the configuration of {}: {} still mounted",
            fs.name,
            mounted.join(", ")
        ));
    }
    let mgs = super::conf_params::mgs_host(shared, &fs).await?;
    let argv = ["lctl", "erase_lcfg", fs.name.as_str()];
    let output = mgs.exec(shared, &argv).await?;
    let erased = output.success();
    // Logs already gone: the erase ioctl finds none (ENOENT). The same
    // words from opening /dev/obd mean Lustre is not loaded there.
    if !erased
        && !output
            .stderr
            .contains("OBD_IOC_LCFG_ERASE failed: No such file or directory")
    {
        return Err(mgs.failed(&argv, &output));
    }
    step::update(
        &shared.db,
        "record the erased configuration",
        "UPDATE filesystem SET logs_erased = true WHERE id = $1",
        vec![filesystem_id.into()],
    )
    .await?;
    Ok(json!({ "filesystem": fs.name, "mgs_host": mgs.name, "erased": erased }))
}

/// `remove_filesystem`: refuses while any of its targets is not removed.
pub async fn filesystem(shared: &Shared, filesystem_id: Uuid) -> Result<Value, String> {
    let live = live_names(
        shared,
        "SELECT name FROM target WHERE filesystem_id = $1 AND state <> 'removed' ORDER BY name",
        filesystem_id,
    )
    .await?;
    if !live.is_empty() {
        return Err(format!(
            "file system {filesystem_id} still has targets that are not removed: {}",
            live.join(", ")
        ));
    }
    let changed = step::update(
        &shared.db,
        "record the file system's removal",
        "UPDATE filesystem SET removed = true WHERE id = $1",
        vec![filesystem_id.into()],
    )
    .await?;
    if changed == 0 {
        return Err(format!("file system {filesystem_id} does not exist"));
    }
    Ok(json!({ "filesystem": filesystem_id, "removed": true }))
}

/// `remove_host`: refuses while a target that is not removed uses the host
/// as primary, failover or active host; `removed`.
pub async fn host(shared: &Shared, host_id: Uuid) -> Result<Value, String> {
    let server = Server::load(shared, host_id).await?;
    let live = live_names(
        shared,
        "SELECT name FROM target WHERE state <> 'removed'
           AND (primary_host_id = $1 OR $1 = ANY(failover_host_ids) OR active_host_id = $1) ORDER BY name",
        host_id,
    )
    .await?;
    if !live.is_empty() {
        return Err(format!(
            "{} still serves targets that are not removed: {}",
            server.name,
            live.join(", ")
        ));
    }
    step::update(
        &shared.db,
        "record the host's removal",
        "UPDATE host SET state = 'removed' WHERE id = $1",
        vec![host_id.into()],
    )
    .await?;
    // Its pooled sessions are of no further use.
    shared.ssh.remove(&server.target);
    Ok(json!({ "host": server.name, "removed": true }))
}

/// The `name` column of the rows `sql` returns for `id`.
async fn live_names(shared: &Shared, sql: &str, id: Uuid) -> Result<Vec<String>, String> {
    let rows = query(&shared.db, sql, [id.into()])
        .await
        .map_err(db_error("read the targets"))?;
    rows.iter()
        .map(|r| r.try_get("", "name").map_err(|e| format!("bad target row: {e}")))
        .collect()
}
