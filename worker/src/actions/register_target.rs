//! `register_target`: the first mount of a target registers it with its
//! MGS (which writes it into the file system's configuration logs and
//! relabels it `fs1:OST0000` → `fs1-OST0000`); then it is unmounted again.
//! A redelivered step finds the target mounted, or already relabelled, and
//! does not mount it twice.

use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

use super::targets::{self, TargetRow};
use super::{blkid, mounts};
use crate::shared::Shared;

/// Mounting a target may wait for recovery or the MGS.
pub const MOUNT_TIMEOUT: Duration = Duration::from_secs(600);

pub async fn run(shared: &Shared, target_id: Uuid) -> Result<Value, String> {
    let target = TargetRow::load(shared, target_id).await?;
    let hosts = target.hosts(shared).await?;
    let primary = hosts
        .first()
        .ok_or_else(|| format!("{} has no primary host", target.name))?;
    let device = target.device_on(shared, primary).await?;
    let seen = mounts::locate(shared, &hosts, &target.name).await;
    let (host, dir, mounted_now) = match seen.mounted {
        Some((host, mount)) => (host, mount.dir, false),
        None => {
            // The MGT's label never changes; MDTs and OSTs lose the colon.
            let label = blkid::label(shared, primary, &device).await?;
            let registered = target.kind != "mgt" && label.as_deref() == Some(target.name.as_str());
            if registered {
                targets::record(shared, target_id, "registered", None).await?;
                return Ok(json!({ "target": target.name, "mounted": false, "label": label }));
            }
            let dir = target.mountpoint();
            primary.check(shared, &["mkdir", "-p", &dir]).await?;
            let argv = ["mount", "-t", "lustre", &device, &dir];
            let output = primary.exec_for(shared, &argv, MOUNT_TIMEOUT).await?;
            if !output.success() {
                return Err(primary.failed(&argv, &output));
            }
            (primary.clone(), dir, true)
        }
    };
    host.check_for(shared, &["umount", &dir], MOUNT_TIMEOUT).await?;
    targets::record(shared, target_id, "registered", None).await?;
    Ok(json!({ "target": target.name, "mounted": mounted_now, "host": host.name, "unmounted": dir }))
}
