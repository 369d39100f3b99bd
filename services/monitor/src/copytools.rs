//! HSM copytool supervision: each round, every copytool Chroma keeps
//! started (or found failed) is looked for on its host with `pgrep -a -f
//! lhsmtool_posix`. One that is gone is marked `failed`, the
//! `copytool_failed` alert is raised, and a restart command is submitted
//! (planned like `PATCH /api/copytool/{id} {"state": "started"}`; the
//! scheduler's sweep picks it up). What an operator expects of a daemon
//! the manager started: it comes back by itself, and the alert says it
//! was down. The alert clears once the copytool runs again. A copytool
//! with unfinished work (being started or stopped) is left alone.
//!
//! One that keeps dying is restarted less and less often (at once, then
//! after 15 s, 30 s, 60 s, 120 s: [`lustre::hsm::restart`]) and left
//! stopped after five restarts within an hour, the alert saying so. None
//! is restarted while its file system's coordinator is not `enabled` (a
//! stopped coordinator refuses the agent; a disabled one gives it
//! nothing) or its client mount is not mounted: the alert says which.

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::time::Duration;
use store::alerts::{self, AlertKind, Raise};

use crate::inventory::Inventory;

/// Looks for every copytool that should run.
pub async fn observe(
    db: &DatabaseConnection,
    pools: &chroma_ssh::Pools,
    inventory: &Inventory,
    timeout: Duration,
) -> anyhow::Result<()> {
    let tools = store::hsm::copytools(db, None, None).await?;
    for ct in tools
        .into_iter()
        .filter(|c| c.state == "started" || c.state == "failed")
    {
        let item = lustre::Item::Copytool(ct.id);
        let busy = store::domain::unfinished_work(db, vec![item.to_string()]).await?;
        if !busy.is_empty() {
            continue;
        }
        let Some(host) = inventory.hosts.iter().find(|h| h.id == ct.host_id) else {
            continue;
        };
        let argv = ["pgrep", "-a", "-f", "lhsmtool_posix"];
        let output = match pools.exec(&host.target, &host.fingerprint, &argv, timeout).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(host = %host.name, "cannot look for copytools: {e}");
                continue;
            }
        };
        let argv = lustre::hsm::copytool_argv(ct.id, &ct.archive_path, ct.archive_id, &ct.mountpoint);
        let alive = lustre::hsm::copytool_pid(&output.stdout, &argv).is_some();
        let down = format!(
            "the copytool of {} archive {} on {} is not running",
            ct.filesystem_name, ct.archive_id, ct.host_name
        );
        let mut raise = Raise {
            kind: AlertKind::CopytoolFailed,
            item: item.clone(),
            message: down.clone(),
            details: json!({"host": ct.host_name, "filesystem": ct.filesystem_name,
                "archive_id": ct.archive_id, "archive_path": ct.archive_path}),
        };
        if alive {
            if ct.state == "started" {
                alerts::set(db, false, raise).await?;
            }
            continue;
        }
        if ct.state == "started" && store::hsm::mark_copytool_failed(db, ct.id).await? == 0 {
            continue;
        }
        if let Some(why) = held_back(db, &ct).await? {
            raise.message = format!("{down}; not restarted while {why}");
            alerts::raise_or_update(db, raise).await?;
            continue;
        }
        let restarts = store::hsm::restarts(db, ct.id).await?;
        let since = restarts
            .last_at
            .map(|at| (chrono::Utc::now() - at).num_seconds().max(0));
        let count = u32::try_from(restarts.count).unwrap_or(0);
        match lustre::hsm::restart(count, since) {
            lustre::hsm::Restart::GiveUp => {
                raise.message = format!(
                    "{down}; gave up after {} restarts within an hour (start it again to retry)",
                    lustre::hsm::MAX_RESTARTS
                );
                alerts::raise_or_update(db, raise).await?;
            }
            lustre::hsm::Restart::Wait { secs } => {
                alerts::raise_or_update(db, raise).await?;
                tracing::debug!(copytool = %ct.id, secs, "waiting before restarting the copytool");
            }
            lustre::hsm::Restart::Now { n } => {
                alerts::raise_or_update(db, raise).await?;
                match restart(db, &ct).await {
                    Ok(true) => {
                        store::hsm::record_restart(db, ct.id, i32::try_from(n).unwrap_or(i32::MAX)).await?;
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!(copytool = %ct.id, "cannot submit the copytool's restart: {e:#}"),
                }
            }
        }
    }
    Ok(())
}

/// Why a dead copytool is not restarted now, if it is not: its file
/// system's coordinator (as the servers last showed it) is not `enabled`,
/// or its client mount is not mounted.
async fn held_back(db: &DatabaseConnection, ct: &store::hsm::CopytoolView) -> anyhow::Result<Option<String>> {
    if let Some(status) = store::hsm::status(db, ct.filesystem_id).await? {
        if status.control != "enabled" {
            return Ok(Some(format!(
                "the HSM coordinator of {} is {}",
                ct.filesystem_name, status.control
            )));
        }
    }
    let mount = store::client_mounts::view(db, ct.client_mount_id).await?;
    match mount {
        Some(m) if m.state == "mounted" => Ok(None),
        Some(m) => Ok(Some(format!("its client mount {} is {}", m.mountpoint, m.state))),
        None => Ok(Some(format!("its client mount {} is gone", ct.mountpoint))),
    }
}

/// Plans and stores the restart of a failed copytool; whether it did
/// (not when other work holds what it would lock).
async fn restart(db: &DatabaseConnection, ct: &store::hsm::CopytoolView) -> anyhow::Result<bool> {
    let tx = db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let snapshot = store::domain::snapshot(&tx).await?;
    let goal = lustre::plan::Goal::Copytool {
        copytool: lustre::plan::CopytoolFacts {
            id: ct.id,
            host_id: ct.host_id,
            filesystem_id: ct.filesystem_id,
            client_mount_id: ct.client_mount_id,
            archive_id: ct.archive_id,
            state: "failed".into(),
        },
        want: "started".into(),
    };
    let plan = lustre::plan::Plan::new(&snapshot, &goal)?;
    let mut items = plan.locked_items();
    items.extend(goal.items(&snapshot));
    if !store::domain::unfinished_work(&tx, items).await?.is_empty() || plan.jobs.is_empty() {
        return Ok(false);
    }
    let message = format!(
        "Restart the copytool of {} archive {} on {}",
        ct.filesystem_name, ct.archive_id, ct.host_name
    );
    store::commands::insert(&tx, &plan.into_command(message)).await?;
    tx.commit().await?;
    Ok(true)
}
