//! Quota usage: each round, every live quota (its limits set or being
//! set) of a file system that enforces quotas is read with one `lfs quota
//! -q` on a mounted client mount on a managed host; the usage is recorded
//! and the `quota_soft_limit_exceeded` alert raised while the line shows
//! usage over a soft limit of a type the file system enforces, cleared
//! once back under. A quota that can no longer be judged (its type no
//! longer enforced, no client to read it from, or `lfs quota` printing no
//! line) has its alert cleared; removed quotas' alerts are cleared with
//! other removed objects' (`store::alerts::clear_removed_objects`). With a
//! target down `lfs quota` exits 5 but prints the line, its usage in
//! brackets: it is recorded, marked inaccurate.

use sea_orm::DatabaseConnection;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use store::alerts::{self, AlertKind, Raise};
use store::quotas::QuotaView;
use uuid::Uuid;

use crate::inventory::Inventory;

/// Reads and records every live quota's usage.
pub async fn observe(
    db: &DatabaseConnection,
    pools: &chroma_ssh::Pools,
    inventory: &Inventory,
    timeout: Duration,
) -> anyhow::Result<()> {
    let quotas = store::quotas::views(db, store::quotas::Selection::default()).await?;
    let mut by_fs: BTreeMap<Uuid, Vec<QuotaView>> = BTreeMap::new();
    for q in quotas {
        by_fs.entry(q.filesystem_id).or_default().push(q);
    }
    for (fs_id, quotas) in by_fs {
        // Another monitor's file system (see `crate::share`).
        if !inventory.looks_after(fs_id) {
            continue;
        }
        let (ost, mdt) = store::quotas::enforcement(db, fs_id)
            .await?
            .unwrap_or_else(|| ("none".into(), "none".into()));
        let enforced = Enforced { ost, mdt };
        let client = store::client_mounts::mounted_for_filesystem(db, fs_id).await?;
        let host = client
            .as_ref()
            .and_then(|(_, host_id, _)| inventory.hosts.iter().find(|h| h.id == *host_id));
        for q in quotas {
            let (Some(host), Some((_, _, mountpoint)), Some(flag)) =
                (host, client.as_ref(), lustre::quota::kind_flag(&q.kind))
            else {
                alerts::clear(db, &AlertKind::QuotaSoftLimitExceeded, &lustre::Item::Quota(q.id)).await?;
                continue;
            };
            if !enforced.blocks(&q.kind) && !enforced.inodes(&q.kind) {
                alerts::clear(db, &AlertKind::QuotaSoftLimitExceeded, &lustre::Item::Quota(q.id)).await?;
                continue;
            }
            let qid = q.qid.to_string();
            let argv = ["lfs", "quota", "-q", flag, qid.as_str(), mountpoint.as_str()];
            let output = match pools.exec(&host.target, &host.fingerprint, &argv, timeout).await {
                Ok(o) => o,
                Err(e) => {
                    // Unknown, not changed: the alert stays as it was.
                    tracing::warn!(host = %host.name, "cannot read quota usage: {e}");
                    continue;
                }
            };
            let Some(line) = lustre::quota::parse_quota_line(&output.stdout) else {
                tracing::warn!(host = %host.name, stdout = %output.stdout, stderr = %output.stderr, "unreadable lfs quota output");
                alerts::clear(db, &AlertKind::QuotaSoftLimitExceeded, &lustre::Item::Quota(q.id)).await?;
                continue;
            };
            record(db, &q, &line, &enforced).await?;
        }
    }
    Ok(())
}

/// The quota types a file system enforces.
struct Enforced {
    ost: String,
    mdt: String,
}

impl Enforced {
    fn has(setting: &str, kind: &str) -> bool {
        let letter = match kind {
            "user" => 'u',
            "group" => 'g',
            _ => 'p',
        };
        setting != "none" && setting.contains(letter)
    }

    /// Block limits of `kind` are enforced (on the OSTs).
    fn blocks(&self, kind: &str) -> bool {
        Self::has(&self.ost, kind)
    }

    /// Inode limits of `kind` are enforced (on the MDTs).
    fn inodes(&self, kind: &str) -> bool {
        Self::has(&self.mdt, kind)
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn record(
    db: &DatabaseConnection,
    q: &QuotaView,
    line: &lustre::quota::QuotaLine,
    enforced: &Enforced,
) -> anyhow::Result<()> {
    let usage = store::quotas::Usage {
        block_used: to_i64(line.block_used),
        inode_used: to_i64(line.inode_used),
        block_grace: line.block_grace.clone(),
        inode_grace: line.inode_grace.clone(),
        inaccurate: line.inaccurate,
    };
    store::quotas::record_usage(db, q.id, &usage).await?;
    // The limits the file system holds, which may differ from those
    // stored while a change is pending or after one made elsewhere.
    let over_blocks = enforced.blocks(&q.kind) && line.block_soft > 0 && line.block_used > line.block_soft;
    let over_inodes = enforced.inodes(&q.kind) && line.inode_soft > 0 && line.inode_used > line.inode_soft;
    let what = match (over_blocks, over_inodes) {
        (true, true) => format!(
            "{} KiB (soft limit {} KiB) and {} inodes (soft limit {})",
            line.block_used, line.block_soft, line.inode_used, line.inode_soft
        ),
        (true, false) => format!("{} KiB (soft limit {} KiB)", line.block_used, line.block_soft),
        _ => format!("{} inodes (soft limit {})", line.inode_used, line.inode_soft),
    };
    alerts::set(
        db,
        over_blocks || over_inodes,
        Raise {
            kind: AlertKind::QuotaSoftLimitExceeded,
            item: lustre::Item::Quota(q.id),
            message: format!("{} {} uses {what} on file system {}", q.kind, q.qid, q.filesystem_name),
            details: json!({
                "filesystem": q.filesystem_name,
                "kind": q.kind,
                "id": q.qid,
                "block_used": usage.block_used,
                "block_soft": to_i64(line.block_soft),
                "inode_used": usage.inode_used,
                "inode_soft": to_i64(line.inode_soft),
                "block_grace": usage.block_grace,
                "inaccurate": line.inaccurate,
            }),
        },
    )
    .await?;
    Ok(())
}
