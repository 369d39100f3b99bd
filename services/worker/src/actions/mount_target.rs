//! `mount_target` and `unmount_target`. Both first look for the target on
//! its primary and failover hosts (`mount -t lustre`, `svname=NAME` on its
//! volume), so a redelivered step finds the work done and only records it.
//! A volume is mounted only if it carries the target's label. A target
//! kept by Pacemaker is never mounted or unmounted here: Pacemaker starts
//! and stops it ([`super::ha::resource`]).

use serde_json::{json, Value};
use uuid::Uuid;

use super::register_target::MOUNT_TIMEOUT;
use super::targets::{self, TargetRow};
use super::{mounts, zfs};
use crate::error::ActionError;
use crate::shared::Shared;

/// Mounts the target on its primary host unless it is mounted on one of its
/// hosts already; `mounted` there.
pub async fn mount(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    if target.ha_resource.is_some() {
        return super::ha::resource::start(shared, &target).await;
    }
    let hosts = target.hosts(shared).await?;
    let seen = mounts::locate(shared, &target, &hosts).await;
    let unknown: Vec<String> = seen.unknown_hosts().into_iter().map(str::to_owned).collect();
    if let Some((host, mount)) = seen.mounted {
        targets::record(shared, target_id, "mounted", Some(host.id)).await?;
        return Ok(json!({ "target": target.name, "host": host.name, "dir": mount.dir, "mounted": false }));
    }
    // A host that could not be asked cannot hide a mount: the device is
    // exclusive (MMP), so the mount below would fail as busy.
    let primary = hosts
        .first()
        .ok_or_else(|| ActionError::Bug(format!("{} has no primary host", target.name)))?;
    let (device, _) = zfs::open(shared, &target, primary).await?;
    let dir = target.mountpoint();
    primary.check(shared, &["mkdir", "-p", &dir]).await?;
    let argv = ["mount", "-t", "lustre", &device, &dir];
    let output = primary.exec_for(shared, &argv, MOUNT_TIMEOUT).await?;
    if !output.success() {
        // A pool imported for nothing would keep the partner from it.
        let _ = zfs::release(shared, &target, primary).await;
        return Err(primary.failed(&argv, &output));
    }
    targets::record(shared, target_id, "mounted", Some(primary.id)).await?;
    Ok(json!({ "target": target.name, "host": primary.name, "dir": dir, "mounted": true, "unreachable": unknown }))
}

/// Unmounts the target wherever it is mounted; `unmounted`.
pub async fn unmount(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    if target.ha_resource.is_some() {
        return super::ha::resource::stop(shared, &target).await;
    }
    let hosts = target.hosts(shared).await?;
    let seen = mounts::locate(shared, &target, &hosts).await.complete(&target.name)?;
    let unmounted = match seen.mounted {
        Some((host, mount)) => {
            host.check_for(shared, &["umount", &mount.dir], MOUNT_TIMEOUT).await?;
            zfs::release(shared, &target, &host).await?;
            Some((host.name, mount.dir))
        }
        None => {
            zfs::release_anywhere(shared, &target, &hosts).await?;
            None
        }
    };
    targets::record(shared, target_id, "unmounted", None).await?;
    Ok(json!({
        "target": target.name,
        "host": unmounted.as_ref().map(|u| &u.0),
        "dir": unmounted.as_ref().map(|u| &u.1),
        "unmounted": unmounted.is_some(),
    }))
}

/// `unmount_removed_ost`: an OST deactivated for removal is unmounted
/// where it is seen mounted; servers that do not answer (a dead OSS) are
/// recorded as `unchecked` rather than failing the step, since nothing
/// else could be done on them: if one returns with the OST mounted, the
/// operator unmounts it by hand (the dry run says so). `unmounted`.
pub async fn unmount_removed(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    if target.ha_resource.is_some() {
        return super::ha::resource::stop(shared, &target).await;
    }
    let hosts = target.hosts(shared).await?;
    let seen = mounts::locate(shared, &target, &hosts).await;
    let unchecked: Vec<String> = seen.unknown_hosts().into_iter().map(str::to_owned).collect();
    let unmounted = match seen.mounted {
        Some((host, mount)) => {
            host.check_for(shared, &["umount", &mount.dir], MOUNT_TIMEOUT).await?;
            zfs::release(shared, &target, &host).await?;
            Some((host.name, mount.dir))
        }
        None => {
            let answered: Vec<_> = hosts.iter().filter(|h| !unchecked.contains(&h.name)).cloned().collect();
            zfs::release_anywhere(shared, &target, &answered).await?;
            None
        }
    };
    targets::record(shared, target_id, "unmounted", None).await?;
    Ok(json!({
        "target": target.name,
        "host": unmounted.as_ref().map(|u| &u.0),
        "dir": unmounted.as_ref().map(|u| &u.1),
        "unmounted": unmounted.is_some(),
        "unchecked_hosts": unchecked,
    }))
}
