//! `set_quota_enforcement`, `set_quota` and `clear_quota`. Enforcement is
//! set on the file system's MGS with `lctl conf_param FS.quota.ost=…` and
//! `FS.quota.mdt=…` (a repeated setting changes nothing); limits with `lfs
//! setquota` on a mounted client mount, then read back with `lfs quota -q`
//! and recorded only when they match.

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::step;
use super::targets::FilesystemRow;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// `set_quota_enforcement`.
pub async fn enforce(shared: &Shared, filesystem_id: Uuid, ost: &str, mdt: &str) -> Result<Value, ActionError> {
    let fs = FilesystemRow::load(shared, filesystem_id).await?;
    let mgs = super::conf_params::mgs_host(shared, &fs).await?;
    let mut ran = Vec::new();
    for (which, value) in [("ost", ost), ("mdt", mdt)] {
        let param = format!("{}.quota.{which}={value}", fs.name);
        mgs.check(shared, &["lctl", "conf_param", &param]).await?;
        ran.push(format!("conf_param {param}"));
    }
    step::update(&shared.db, "record the quota enforcement", |fence| {
        store::quotas::record_enforcement(&shared.db, fence, filesystem_id, ost, mdt)
    })
    .await?;
    Ok(json!({ "filesystem": fs.name, "mgs_host": mgs.name, "ran": ran, "ost": ost, "mdt": mdt }))
}

/// `set_quota` (`clear` false) and `clear_quota` (`clear` true).
pub async fn apply(shared: &Shared, quota_id: Uuid, client_mount_id: Uuid, clear: bool) -> Result<Value, ActionError> {
    let quota = store::quotas::view(&shared.db, quota_id)
        .await
        .map_err(db_error("read the quota"))?
        .ok_or_else(|| ActionError::Bug(format!("quota {quota_id} does not exist")))?;
    let mount = store::client_mounts::view(&shared.db, client_mount_id)
        .await
        .map_err(db_error("read the client mount"))?
        .ok_or_else(|| ActionError::Bug(format!("client mount {client_mount_id} does not exist")))?;
    if mount.state != "mounted" || mount.filesystem_id != quota.filesystem_id {
        return Err(ActionError::Refused(format!(
            "client mount {} on {} is {} (not a mounted client of {})",
            mount.mountpoint, mount.host_name, mount.state, quota.filesystem_name
        )));
    }
    let host = Server::load(shared, mount.host_id).await?;
    let flag = lustre::quota::kind_flag(&quota.kind)
        .ok_or_else(|| ActionError::Bug(format!("quota kind {:?}", quota.kind)))?;
    let qid = quota.qid.to_string();
    let limits = if clear {
        [0; 4]
    } else {
        [quota.block_soft, quota.block_hard, quota.inode_soft, quota.inode_hard]
    };
    let texts: Vec<String> = limits.iter().map(i64::to_string).collect();
    let argv = [
        "lfs",
        "setquota",
        flag,
        qid.as_str(),
        "-b",
        &texts[0],
        "-B",
        &texts[1],
        "-i",
        &texts[2],
        "-I",
        &texts[3],
        mount.mountpoint.as_str(),
    ];
    host.check(shared, &argv).await?;
    let read_argv = ["lfs", "quota", "-q", flag, qid.as_str(), mount.mountpoint.as_str()];
    let out = host.check(shared, &read_argv).await?;
    let line = lustre::quota::parse_quota_line(&out)
        .ok_or_else(|| ActionError::Refused(format!("could not read `lfs quota` output: {out:?}")))?;
    let seen = [line.block_soft, line.block_hard, line.inode_soft, line.inode_hard];
    if seen.iter().zip(limits).any(|(s, l)| i64::try_from(*s).ok() != Some(l)) {
        return Err(ActionError::Refused(format!(
            "lfs quota shows limits {seen:?} for {} {qid} after lfs setquota set {limits:?}",
            quota.kind
        )));
    }
    let usage = store::quotas::Usage {
        block_used: i64::try_from(line.block_used).unwrap_or(i64::MAX),
        inode_used: i64::try_from(line.inode_used).unwrap_or(i64::MAX),
        block_grace: line.block_grace.clone(),
        inode_grace: line.inode_grace.clone(),
    };
    let state = if clear { "removed" } else { "set" };
    step::update(&shared.db, "record the quota", |fence| {
        store::quotas::record_applied(&shared.db, fence, quota_id, state, &usage)
    })
    .await?;
    Ok(json!({
        "host": host.name,
        "mountpoint": mount.mountpoint,
        "kind": quota.kind,
        "id": quota.qid,
        "state": state,
        "block_used_kib": line.block_used,
        "inode_used": line.inode_used,
    }))
}
