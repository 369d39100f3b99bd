//! The HA stack of each cluster Chroma configured, as a round saw it: the
//! alerts about stopped daemons, missing peers, quorum, fencing, failed
//! resources and fenced nodes are raised and cleared, and what Pacemaker
//! showed (fencing, quorum) is recorded on the cluster. The rules are pure
//! ([`rules`], [`fences`]); this module reads and writes.

pub mod fences;
pub mod rules;

use chrono::{DateTime, Utc};
use lustre::Item;
use sea_orm::DatabaseConnection;
use std::collections::{HashMap, HashSet};
use store::alerts;
use uuid::Uuid;

use crate::inventory::{Cluster, Inventory, TargetRow};
use crate::parse::Reading;
use rules::{Kind, Member};

/// Evaluates every configured cluster of `inventory` from this round's
/// `readings` (taken at `at`); objects in `busy` are left as they are.
pub async fn record(
    db: &DatabaseConnection,
    inventory: &Inventory,
    readings: &HashMap<Uuid, &Reading>,
    busy: &HashSet<Item>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    alerts::clear_ha_outsiders(db).await?;
    for cluster in &inventory.clusters {
        // A job setting the cluster up starts and stops its daemons.
        if busy.contains(&Item::HaCluster(cluster.id)) {
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
            let seen = store::ha::ConfiguredStatus {
                stonith_enabled: status.stonith_enabled,
                fence_devices: i32::try_from(status.fence_devices()).unwrap_or(i32::MAX),
                quorate: status.quorate,
            };
            store::ha::record_seen(db, cluster.id, seen).await?;
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
    busy: &HashSet<Item>,
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
        let item = Item::Host(member.host.id);
        let Some(node) = member.node() else { continue };
        if busy.contains(&item) {
            continue;
        }
        let online = view.map(|(_, s)| s.node(node).is_some_and(|n| n.online && !n.unclean));
        let newest = fences::newest(node, &crm, &journal, since);
        match fences::decide(newest, reported(db, &item).await?, online) {
            fences::Decision::Raise(seen) => {
                // Fenced again while the last fence's alert is active: the
                // alert tells of the newest fence.
                let verdict = fences::verdict(cluster, member, node, &seen);
                alerts::raise_or_update(db, verdict.raise()).await?;
            }
            fences::Decision::Clear => {
                alerts::clear(db, &Kind::NodeFenced.alert(), &item).await?;
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
    Ok(store::logs::fencer_operations(db, &ids, since).await?)
}

/// When the fence last reported on `item` completed.
async fn reported(db: &DatabaseConnection, item: &lustre::Item) -> anyhow::Result<Option<DateTime<Utc>>> {
    let completed = alerts::latest_detail(db, &Kind::NodeFenced.alert(), item, "completed").await?;
    Ok(completed
        .flatten()
        .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
        .map(|t| t.with_timezone(&Utc)))
}
