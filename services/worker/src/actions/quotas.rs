//! `set_quota_enforcement`, `set_quota` and `clear_quota`. Enforcement is
//! set on the file system's MGS with `lctl conf_param FS.quota.ost=…` and
//! `FS.quota.mdt=…` (a repeated setting changes nothing), then read back
//! from the quota slave of every mounted MDT and OST (`lctl get_param -n
//! osd-*.TARGET.quota_slave.enabled`, Lustre 2.15 `qsd_lib.c`), which
//! takes it up once the MGS's configuration lock reaches it; it is
//! recorded only when every one shows it. Limits are set with `lfs
//! setquota` on a mounted client mount, then read back with `lfs quota
//! -q` and recorded only when they match. Grace times are set with `lfs
//! setquota -t` there and read back with `lfs quota -t`.

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use super::servers::Server;
use super::step;
use super::targets::FilesystemRow;
use crate::error::{db_error, ActionError};
use crate::shared::Shared;

/// How long the targets have to take up a new enforcement.
const ENFORCEMENT_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_secs(1);

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
    let seen = wait_for_slaves(shared, filesystem_id, ost, mdt).await?;
    step::update(&shared.db, "record the quota enforcement", |fence| {
        store::quotas::record_enforcement(&shared.db, fence, filesystem_id, ost, mdt)
    })
    .await?;
    Ok(json!({
        "filesystem": fs.name, "mgs_host": mgs.name, "ran": ran, "ost": ost, "mdt": mdt, "quota_slaves": seen,
    }))
}

/// Polls the quota slave of each mounted MDT and OST of the file system
/// until each shows the enforcement asked (`mdt` on MDTs, `ost` on OSTs);
/// returns what each showed. Still different after
/// [`ENFORCEMENT_TIMEOUT`]: a transient error, so the step is tried again.
async fn wait_for_slaves(shared: &Shared, filesystem_id: Uuid, ost: &str, mdt: &str) -> Result<Value, ActionError> {
    let targets = store::targets::views(
        &shared.db,
        store::targets::TargetSelection::Matching {
            filesystem_id: Some(filesystem_id),
            kind: None,
            state: Some("mounted".into()),
            host_id: None,
        },
    )
    .await
    .map_err(db_error("read the mounted targets"))?;
    let mut slaves = Vec::new();
    for t in targets.into_iter().filter(|t| t.kind == "mdt" || t.kind == "ost") {
        let Some(host_id) = t.active_host_id else { continue };
        let want = if t.kind == "mdt" { mdt } else { ost };
        slaves.push((t.name, want, Server::load(shared, host_id).await?));
    }
    let deadline = tokio::time::Instant::now() + ENFORCEMENT_TIMEOUT;
    let mut seen = serde_json::Map::new();
    for (name, want, host) in &slaves {
        let param = format!("osd-*.{name}.quota_slave.enabled");
        loop {
            let shown = host.check(shared, &["lctl", "get_param", "-n", &param]).await?;
            let shown = shown.trim();
            if shown == *want {
                seen.insert(name.clone(), json!(shown));
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ActionError::Unreachable(format!(
                    "{name} on {} still enforces {shown:?}, not {want:?}, {} s after lctl conf_param \
                     (quota_slave.enabled); the step will be tried again",
                    host.name,
                    ENFORCEMENT_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }
    Ok(Value::Object(seen))
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
    // With a target down `lfs quota` prints the line (its usage in
    // brackets) and exits 5: the limits are still the quota master's.
    let out = host.exec(shared, &read_argv).await?;
    let line = lustre::quota::parse_quota_line(&out.stdout).ok_or_else(|| {
        if out.success() {
            ActionError::Refused(format!("could not read `lfs quota` output: {:?}", out.stdout))
        } else {
            host.failed(&read_argv, &out)
        }
    })?;
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
        inaccurate: line.inaccurate,
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
        "inaccurate": line.inaccurate,
    }))
}

/// `set_quota_grace`: `lfs setquota -t -u|-g|-p [-b SECS] [-i SECS] MNT`
/// on a mounted client mount of the file system, read back with `lfs quota
/// -t` and recorded only when it shows the times given.
pub async fn grace(
    shared: &Shared,
    filesystem_id: Uuid,
    client_mount_id: Uuid,
    kind: &str,
    block_secs: Option<u64>,
    inode_secs: Option<u64>,
) -> Result<Value, ActionError> {
    let mount = store::client_mounts::view(&shared.db, client_mount_id)
        .await
        .map_err(db_error("read the client mount"))?
        .ok_or_else(|| ActionError::Bug(format!("client mount {client_mount_id} does not exist")))?;
    if mount.state != "mounted" || mount.filesystem_id != filesystem_id {
        return Err(ActionError::Refused(format!(
            "client mount {} on {} is {} (not a mounted client of file system {filesystem_id})",
            mount.mountpoint, mount.host_name, mount.state
        )));
    }
    let host = Server::load(shared, mount.host_id).await?;
    let flag = lustre::quota::kind_flag(kind).ok_or_else(|| ActionError::Bug(format!("quota kind {kind:?}")))?;
    let mut argv: Vec<String> = ["lfs", "setquota", "-t", flag].map(String::from).into();
    for (option, secs) in [("-b", block_secs), ("-i", inode_secs)] {
        if let Some(secs) = secs {
            argv.extend([option.to_string(), secs.to_string()]);
        }
    }
    argv.push(mount.mountpoint.clone());
    host.check(shared, &argv).await?;
    let shown = host
        .check(shared, &["lfs", "quota", "-t", flag, mount.mountpoint.as_str()])
        .await?;
    let (block, inode) = lustre::quota::parse_grace_times(&shown)
        .ok_or_else(|| ActionError::Refused(format!("could not read `lfs quota -t` output: {shown:?}")))?;
    let mismatch = |want: Option<u64>, seen: u64| want.is_some_and(|w| w != seen);
    if mismatch(block_secs, block) || mismatch(inode_secs, inode) {
        return Err(ActionError::Refused(format!(
            "lfs quota -t shows {kind} grace times block {block} s, inode {inode} s after lfs setquota -t set \
             {block_secs:?}, {inode_secs:?}"
        )));
    }
    let as_i64 = |secs: u64| i64::try_from(secs).unwrap_or(i64::MAX);
    step::update(&shared.db, "record the quota grace times", |fence| {
        store::quotas::record_grace(&shared.db, fence, filesystem_id, kind, as_i64(block), as_i64(inode))
    })
    .await?;
    Ok(json!({
        "host": host.name,
        "mountpoint": mount.mountpoint,
        "kind": kind,
        "block_grace_secs": block,
        "inode_grace_secs": inode,
    }))
}
