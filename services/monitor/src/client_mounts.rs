//! Lustre client mounts read back each round: on every managed host with
//! a live client mount, `/proc/mounts` is read and each mount's state
//! recorded as the host shows it (an operator's `umount`, or a reboot
//! whose fstab did not mount it again, makes it `unmounted`). While Chroma
//! keeps a mount mounted (`wanted`) and the host lacks it, the
//! `client_mount_lost` alert is active; it clears when the mount is back
//! (a reboot mounting the fstab line, or a mount job) or no longer wanted.
//! A mount with unfinished work is left to its job.

use sea_orm::DatabaseConnection;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use store::alerts::{self, AlertKind, Raise};
use store::client_mounts::Watched;
use uuid::Uuid;

use crate::inventory::Inventory;

/// Reads each client host's `/proc/mounts` and records what it shows.
pub async fn observe(
    db: &DatabaseConnection,
    pools: &chroma_ssh::Pools,
    inventory: &Inventory,
    timeout: Duration,
) -> anyhow::Result<()> {
    let mut by_host: BTreeMap<Uuid, Vec<Watched>> = BTreeMap::new();
    for m in store::client_mounts::watched(db).await? {
        by_host.entry(m.host_id).or_default().push(m);
    }
    for (host_id, mounts) in by_host {
        let Some(host) = inventory.hosts.iter().find(|h| h.id == host_id) else {
            continue;
        };
        let argv = ["cat", "/proc/mounts"];
        let proc_mounts = match pools.exec(&host.target, &host.fingerprint, &argv, timeout).await {
            Ok(o) if o.success() => o.stdout,
            Ok(o) => {
                tracing::warn!(host = %host.name, "cannot read /proc/mounts: {}", o.stderr.trim());
                continue;
            }
            Err(e) => {
                tracing::warn!(host = %host.name, "cannot read /proc/mounts: {e}");
                continue;
            }
        };
        for m in mounts {
            record(db, &m, &proc_mounts).await?;
        }
    }
    Ok(())
}

/// Records one mount as `/proc/mounts` shows it, and its alert.
async fn record(db: &DatabaseConnection, m: &Watched, proc_mounts: &str) -> anyhow::Result<()> {
    let item = lustre::Item::ClientMount(m.id);
    if !store::domain::unfinished_work(db, vec![item.to_string()])
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let seen = lustre::mounts::client_mount_at(proc_mounts, &m.mountpoint).filter(|c| c.is_of(&m.filesystem_name));
    let state = if seen.is_some() { "mounted" } else { "unmounted" };
    if state != m.state {
        let source = seen.as_ref().map(|c| c.source.as_str());
        if store::client_mounts::observe(db, m.id, m.updated_at, state, source).await? == 0 {
            // A job recorded it since it was read: its word stands.
            return Ok(());
        }
        tracing::info!(mount = %m.id, host = %m.host_name, dir = %m.mountpoint, state, "client mount changed on its host");
    }
    let raise = Raise {
        kind: AlertKind::ClientMountLost,
        item,
        message: format!(
            "{} is not mounted on {} at {}, where Chroma keeps it mounted",
            m.filesystem_name, m.host_name, m.mountpoint
        ),
        details: json!({"host": m.host_name, "filesystem": m.filesystem_name, "mountpoint": m.mountpoint}),
    };
    alerts::set(db, m.wanted && seen.is_none(), raise).await?;
    Ok(())
}
