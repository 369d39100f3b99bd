//! `remove_target`, `remove_filesystem` and `remove_host`: Chroma forgets
//! an object once nothing live depends on it; nothing on a volume is
//! erased. `erase_configuration` drops a removed file system's logs on an
//! MGS that stays.

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::targets::{self, FilesystemRow, TargetRow};
use super::{mounts, step};
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// `remove_target`: refuses while the target is mounted on one of its
/// hosts; `removed`. A host that cannot be asked is named in the output: a
/// dead host must not keep its targets forever.
pub async fn target(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    let hosts = target.hosts(shared).await?;
    let seen = mounts::locate(shared, &target, &hosts).await;
    if let Some((host, mount)) = &seen.mounted {
        return Err(ActionError::Refused(format!(
            "{} is mounted on {} at {}; unmount it before removing it",
            target.name, host.name, mount.dir
        )));
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
pub async fn erase_configuration(shared: &Shared, filesystem_id: Uuid) -> Result<Value, ActionError> {
    let fs = FilesystemRow::load(shared, filesystem_id).await?;
    let mounted = store::targets::mounted_names_in_filesystem(&shared.db, filesystem_id)
        .await
        .map_err(db_error("read the targets"))?;
    if !mounted.is_empty() {
        return Err(ActionError::Refused(format!(
            "cannot erase the configuration of {}: {} still mounted",
            fs.name,
            mounted.join(", ")
        )));
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
    step::update(&shared.db, "record the erased configuration", |fence| {
        store::filesystems::record_logs_erased(&shared.db, fence, filesystem_id)
    })
    .await?;
    Ok(json!({ "filesystem": fs.name, "mgs_host": mgs.name, "erased": erased }))
}

/// `remove_filesystem`: refuses while any of its targets is not removed.
pub async fn filesystem(shared: &Shared, filesystem_id: Uuid) -> Result<Value, ActionError> {
    let live = store::targets::live_names_in_filesystem(&shared.db, filesystem_id)
        .await
        .map_err(db_error("read the targets"))?;
    if !live.is_empty() {
        return Err(ActionError::Refused(format!(
            "file system {filesystem_id} still has targets that are not removed: {}",
            live.join(", ")
        )));
    }
    let changed = step::update(&shared.db, "record the file system's removal", |fence| {
        store::filesystems::record_removed(&shared.db, fence, filesystem_id)
    })
    .await?;
    if changed == 0 {
        return Err(ActionError::Bug(format!("file system {filesystem_id} does not exist")));
    }
    Ok(json!({ "filesystem": filesystem_id, "removed": true }))
}

/// `remove_host`: refuses while a target that is not removed uses the host
/// as primary, failover or active host; `removed`.
pub async fn host(shared: &Shared, host_id: Uuid) -> Result<Value, ActionError> {
    let server = Server::load(shared, host_id).await?;
    let live = store::targets::live_names_on_host(&shared.db, host_id)
        .await
        .map_err(db_error("read the targets"))?;
    if !live.is_empty() {
        return Err(ActionError::Refused(format!(
            "{} still serves targets that are not removed: {}",
            server.name,
            live.join(", ")
        )));
    }
    step::update(&shared.db, "record the host's removal", |fence| {
        store::hosts::record_removed(&shared.db, fence, host_id)
    })
    .await?;
    // Its pooled sessions are of no further use.
    shared.ssh.remove(&server.target);
    Ok(json!({ "host": server.name, "removed": true }))
}
