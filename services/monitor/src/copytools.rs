//! HSM copytool supervision: each round, every copytool Chroma keeps
//! started (or found failed) is looked for on its host with `pgrep -a -f
//! lhsmtool_posix`. One that is gone is marked `failed`, the
//! `copytool_failed` alert is raised, and a restart command is submitted
//! (planned like `PATCH /api/copytool/{id} {"state": "started"}`; the
//! scheduler's sweep picks it up). What an operator expects of a daemon
//! the manager started: it comes back by itself, and the alert says it
//! was down. The alert clears once the copytool runs again. A copytool
//! with unfinished work (being started or stopped) is left alone.

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::time::Duration;
use store::alerts::{self, AlertKind, Raise};

use crate::inventory::Inventory;

/// The command line the worker starts a copytool with.
fn cmdline(ct: &store::hsm::CopytoolView) -> String {
    format!(
        "lhsmtool_posix --daemon --hsm-root {} --archive {} {}",
        ct.archive_path, ct.archive_id, ct.mountpoint
    )
}

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
        let want = cmdline(&ct);
        let alive = output
            .stdout
            .lines()
            .any(|l| l.split_once(' ').is_some_and(|(_, rest)| rest.trim() == want));
        let raise = Raise {
            kind: AlertKind::CopytoolFailed,
            item: item.clone(),
            message: format!(
                "the copytool of {} archive {} on {} is not running",
                ct.filesystem_name, ct.archive_id, ct.host_name
            ),
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
        alerts::set(db, true, raise).await?;
        if let Err(e) = restart(db, &ct).await {
            tracing::warn!(copytool = %ct.id, "cannot submit the copytool's restart: {e:#}");
        }
    }
    Ok(())
}

/// Plans and stores the restart of a failed copytool.
async fn restart(db: &DatabaseConnection, ct: &store::hsm::CopytoolView) -> anyhow::Result<()> {
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
        return Ok(());
    }
    let message = format!(
        "Restart the copytool of {} archive {} on {}",
        ct.filesystem_name, ct.archive_id, ct.host_name
    );
    store::commands::insert(&tx, &plan.into_command(message)).await?;
    tx.commit().await?;
    Ok(())
}
