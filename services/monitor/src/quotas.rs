//! Quota usage: each round, for every file system that enforces quotas
//! and has a mounted client mount on a managed host, one `lfs quota -q`
//! per live quota on that client; the usage is recorded and the
//! `quota_soft_limit_exceeded` alert raised while a soft limit is passed,
//! cleared once back under.

use sea_orm::DatabaseConnection;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use store::alerts::{self, AlertKind, Raise};
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
    let mut by_fs: BTreeMap<Uuid, Vec<store::quotas::QuotaView>> = BTreeMap::new();
    for q in quotas.into_iter().filter(|q| q.state == "set") {
        by_fs.entry(q.filesystem_id).or_default().push(q);
    }
    for (fs_id, quotas) in by_fs {
        let Some((ost, mdt)) = store::quotas::enforcement(db, fs_id).await? else {
            continue;
        };
        if ost == "none" && mdt == "none" {
            continue;
        }
        let Some((_, host_id, mountpoint)) = store::client_mounts::mounted_for_filesystem(db, fs_id).await? else {
            continue;
        };
        let Some(host) = inventory.hosts.iter().find(|h| h.id == host_id) else {
            continue;
        };
        for q in quotas {
            let Some(flag) = lustre::quota::kind_flag(&q.kind) else {
                continue;
            };
            let qid = q.qid.to_string();
            let argv = ["lfs", "quota", "-q", flag, qid.as_str(), mountpoint.as_str()];
            let output = match pools.exec(&host.target, &host.fingerprint, &argv, timeout).await {
                Ok(o) if o.success() => o,
                Ok(o) => {
                    tracing::warn!(host = %host.name, stderr = %o.stderr, "lfs quota failed");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(host = %host.name, "cannot read quota usage: {e}");
                    continue;
                }
            };
            let Some(line) = lustre::quota::parse_quota_line(&output.stdout) else {
                tracing::warn!(host = %host.name, stdout = %output.stdout, "unreadable lfs quota output");
                continue;
            };
            record(db, &q, &line).await?;
        }
    }
    Ok(())
}

async fn record(
    db: &DatabaseConnection,
    q: &store::quotas::QuotaView,
    line: &lustre::quota::QuotaLine,
) -> anyhow::Result<()> {
    let usage = store::quotas::Usage {
        block_used: i64::try_from(line.block_used).unwrap_or(i64::MAX),
        inode_used: i64::try_from(line.inode_used).unwrap_or(i64::MAX),
        block_grace: line.block_grace.clone(),
        inode_grace: line.inode_grace.clone(),
    };
    store::quotas::record_usage(db, q.id, &usage).await?;
    let over_blocks = q.block_soft > 0 && usage.block_used > q.block_soft;
    let over_inodes = q.inode_soft > 0 && usage.inode_used > q.inode_soft;
    let what = match (over_blocks, over_inodes) {
        (true, true) => format!(
            "{} KiB (soft limit {} KiB) and {} inodes (soft limit {})",
            usage.block_used, q.block_soft, usage.inode_used, q.inode_soft
        ),
        (true, false) => format!("{} KiB (soft limit {} KiB)", usage.block_used, q.block_soft),
        _ => format!("{} inodes (soft limit {})", usage.inode_used, q.inode_soft),
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
                "block_soft": q.block_soft,
                "inode_used": usage.inode_used,
                "inode_soft": q.inode_soft,
                "block_grace": usage.block_grace,
            }),
        },
    )
    .await?;
    Ok(())
}
