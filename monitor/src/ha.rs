//! The HA stack of each cluster Chroma configured, as a round saw it: the
//! alerts about stopped daemons, missing peers, quorum, fencing, failed
//! resources and fenced nodes are raised and cleared, and what Pacemaker
//! showed (fencing, quorum) is recorded on the cluster. The rules are pure
//! ([`rules`], [`fences`]); this module reads and writes.

pub mod fences;
pub mod rules;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::collections::{HashMap, HashSet};
use store::alerts;
use store::sql::{execute, query};
use uuid::Uuid;

use crate::inventory::{Cluster, Inventory, TargetRow};
use crate::parse::Reading;
use rules::{Kind, Member, Object};

/// Evaluates every configured cluster of `inventory` from this round's
/// `readings` (taken at `at`); objects in `busy` are left as they are.
pub async fn record(
    db: &DatabaseConnection,
    inventory: &Inventory,
    readings: &HashMap<Uuid, &Reading>,
    busy: &HashSet<String>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    clear_outsiders(db).await?;
    for cluster in &inventory.clusters {
        // A job setting the cluster up starts and stops its daemons.
        if busy.contains(&format!("ha_cluster/{}", cluster.id)) {
            continue;
        }
        let members: Vec<Member<'_>> = inventory
            .hosts
            .iter()
            .filter(|h| h.ha_cluster_id == Some(cluster.id))
            .map(|host| Member {
                host,
                reading: readings.get(&host.id).copied(),
            })
            .collect();
        let targets: Vec<&TargetRow> = inventory
            .targets
            .iter()
            .filter(|t| t.ha_resource.is_some() && members.iter().any(|m| m.host.id == t.primary_host_id))
            .collect();
        for verdict in rules::evaluate(cluster, &members, &targets, busy) {
            alerts::set(db, verdict.active, verdict.raise()).await?;
        }
        if let Some((_, status)) = rules::view(&members) {
            execute(
                db,
                "UPDATE ha_cluster SET stonith_enabled = $2, fence_devices = $3, quorate = $4, seen_at = now()
                 WHERE id = $1 AND state = 'configured'",
                [
                    cluster.id.into(),
                    status.stonith_enabled.into(),
                    i32::try_from(status.fence_devices()).unwrap_or(i32::MAX).into(),
                    status.quorate.into(),
                ],
            )
            .await?;
        }
        fenced(db, cluster, &members, busy, at).await?;
    }
    Ok(())
}

/// Raises or clears `ha_node_fenced` of each member.
async fn fenced(
    db: &DatabaseConnection,
    cluster: &Cluster,
    members: &[Member<'_>],
    busy: &HashSet<String>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let since = at - fences::HORIZON;
    let crm: Vec<crate::parse::Fence> = members
        .iter()
        .filter_map(|m| m.reading)
        .flat_map(|r| r.fences.iter().cloned())
        .collect();
    let journal = fenced_lines(db, members, since).await?;
    let view = rules::view(members);
    for member in members {
        let item = format!("host/{}", member.host.id);
        let Some(node) = member.node() else { continue };
        if busy.contains(&item) {
            continue;
        }
        let online = view.map(|(_, s)| s.node(node).is_some_and(|n| n.online && !n.unclean));
        let newest = fences::newest(node, &crm, &journal, since);
        match fences::decide(newest, reported(db, &item).await?, online) {
            fences::Decision::Raise(seen) => {
                let verdict = fences::verdict(cluster, member, node, &seen);
                if !alerts::raise(db, verdict.raise()).await? {
                    // Fenced again while the last fence's alert is active.
                    execute(
                        db,
                        "UPDATE alert SET message = $3, details = $4
                         WHERE kind = $1 AND item = $2 AND cleared_at IS NULL",
                        [
                            Kind::NodeFenced.as_str().into(),
                            item.into(),
                            verdict.message.into(),
                            verdict.details.into(),
                        ],
                    )
                    .await?;
                }
            }
            fences::Decision::Clear => {
                alerts::clear(db, Kind::NodeFenced.as_str(), &item).await?;
            }
            fences::Decision::Keep => {}
        }
    }
    Ok(())
}

/// `pacemaker-fenced` lines of `members` since `since` (time, message),
/// however they were read (a poll or a live stream).
async fn fenced_lines(
    db: &DatabaseConnection,
    members: &[Member<'_>],
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<(DateTime<Utc>, String)>> {
    let ids: Vec<Uuid> = members.iter().map(|m| m.host.id).collect();
    let rows = query(
        db,
        "SELECT at, message FROM log_line
         WHERE host_id = ANY($1) AND at >= $2 AND source = 'pacemaker-fenced' AND message LIKE '%Operation %'",
        [ids.into(), since.into()],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get("", "at")?, r.try_get("", "message")?)))
        .collect::<Result<_, sea_orm::DbErr>>()?)
}

/// When the fence last reported on `item` completed.
async fn reported(db: &DatabaseConnection, item: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    let rows = query(
        db,
        "SELECT details->>'completed' AS completed FROM alert WHERE kind = $1 AND item = $2
         ORDER BY raised_at DESC LIMIT 1",
        [Kind::NodeFenced.as_str().into(), item.into()],
    )
    .await?;
    let Some(row) = rows.first() else { return Ok(None) };
    let completed: Option<String> = row.try_get("", "completed")?;
    Ok(completed
        .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// Clears the HA alerts of hosts no longer managed members of a configured
/// cluster, of clusters no longer configured, and of targets Pacemaker no
/// longer keeps.
async fn clear_outsiders(db: &DatabaseConnection) -> anyhow::Result<()> {
    execute(
        db,
        "UPDATE alert SET cleared_at = now()
         WHERE cleared_at IS NULL AND (
             (kind = ANY($1) AND item NOT IN (
                 SELECT 'host/' || h.id FROM host h JOIN ha_cluster c ON c.id = h.ha_cluster_id
                 WHERE c.state = 'configured' AND h.state = 'managed'))
             OR (kind = ANY($2) AND item NOT IN (SELECT 'ha_cluster/' || id FROM ha_cluster WHERE state = 'configured'))
             OR (kind = ANY($3) AND item NOT IN (
                 SELECT 'target/' || id FROM target WHERE ha_resource IS NOT NULL AND state <> 'removed')))",
        [
            Kind::about(Object::Host).into(),
            Kind::about(Object::Cluster).into(),
            Kind::about(Object::Target).into(),
        ],
    )
    .await?;
    Ok(())
}
