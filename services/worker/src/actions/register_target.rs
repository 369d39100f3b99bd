//! `register_target`: the first mount of a target registers it with its
//! MGS (which writes it into the file system's configuration logs and
//! relabels it `fs1:OST0000` → `fs1-OST0000`); then it is unmounted again.
//! A redelivered step finds the target mounted, or already relabelled, and
//! does not mount it twice. A volume is mounted only if it carries the
//! target's label.

use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use super::servers::Server;
use super::targets::{self, TargetRow};
use super::{mounts, zfs};
use crate::error::ActionError;
use crate::shared::Shared;

/// Mounting a target may wait for recovery or the MGS.
pub const MOUNT_TIMEOUT: Duration = Duration::from_secs(600);

pub async fn run(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    let hosts = target.hosts(shared).await?;
    let primary = hosts
        .first()
        .ok_or_else(|| ActionError::Bug(format!("{} has no primary host", target.name)))?;
    let seen = mounts::locate(shared, &target, &hosts).await;
    let (host, dir, mounted_now) = match seen.mounted {
        Some((host, mount)) => (host, mount.dir, false),
        None => match mount_unregistered(shared, &target, primary).await? {
            Some(dir) => (primary.clone(), dir, true),
            None => {
                targets::record(shared, target_id, "registered", None).await?;
                return Ok(json!({ "target": target.name, "mounted": false, "label": target.name }));
            }
        },
    };
    host.check_for(shared, &["umount", &dir], MOUNT_TIMEOUT).await?;
    zfs::release(shared, &target, &host).await?;
    targets::record(shared, target_id, "registered", None).await?;
    Ok(json!({ "target": target.name, "mounted": mounted_now, "host": host.name, "unmounted": dir }))
}

/// Mounts the target on `primary` unless its label says it is registered
/// already; returns where it mounted it.
async fn mount_unregistered(
    shared: &Shared,
    target: &TargetRow,
    primary: &Server,
) -> Result<Option<String>, ActionError> {
    let (device, label) = zfs::open(shared, target, primary).await?;
    // The MGT's label never changes; MDTs and OSTs lose the colon.
    if target.kind != "mgt" && label.as_deref() == Some(target.name.as_str()) {
        zfs::release(shared, target, primary).await?;
        return Ok(None);
    }
    let dir = target.mountpoint();
    primary.check(shared, &["mkdir", "-p", &dir]).await?;
    let argv = ["mount", "-t", "lustre", &device, &dir];
    let output = primary.exec_for(shared, &argv, MOUNT_TIMEOUT).await?;
    if !output.success() {
        let _ = zfs::release(shared, target, primary).await;
        return Err(primary.failed(&argv, &output));
    }
    Ok(Some(dir))
}
