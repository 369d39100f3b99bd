//! Reading the Lustre objects for planning and for the API: the planner's
//! snapshot, the locks jobs hold on objects, and the unfinished work on
//! them.

use lustre::domain::{HostState, LnetState, TargetKind, TargetState};
use lustre::plan::{FilesystemFacts, HostFacts, Snapshot, TargetFacts};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::HashMap;
use uuid::Uuid;

use crate::sql::{execute, query};

/// Advisory lock key that serialises planning ("chroma:plan"): two requests
/// never plan from the same snapshot.
const PLAN_LOCK: i64 = 0x6368_726f_6d61_7001;

/// Takes the planning lock until the end of the transaction.
pub async fn lock_planning(tx: &impl ConnectionTrait) -> Result<(), DbErr> {
    execute(tx, "SELECT pg_advisory_xact_lock($1)", [PLAN_LOCK.into()])
        .await
        .map(drop)
}

fn parse<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T, DbErr> {
    text.parse().map_err(DbErr::Custom)
}

/// Every host, target and file system as the planner sees them.
pub async fn snapshot(db: &impl ConnectionTrait) -> Result<Snapshot, DbErr> {
    let mut snap = Snapshot::default();
    for r in query(
        db,
        "SELECT id, COALESCE(nodename, address) AS label, state, lnet_state,
                ARRAY(SELECT c->>'name' FROM jsonb_array_elements(preflight->'checks') c
                      WHERE c->>'status' = 'fail') AS preflight_failed
         FROM host",
        [],
    )
    .await?
    {
        let id: Uuid = r.try_get("", "id")?;
        let state: String = r.try_get("", "state")?;
        let lnet: String = r.try_get("", "lnet_state")?;
        let facts = HostFacts {
            id,
            label: r.try_get("", "label")?,
            state: parse::<HostState>(&state)?,
            lnet: parse::<LnetState>(&lnet)?,
            preflight_failed: r.try_get("", "preflight_failed")?,
        };
        snap.hosts.insert(id, facts);
    }
    for r in query(
        db,
        "SELECT id, name, kind, filesystem_id, target_index, primary_host_id, failover_host_ids,
                active_host_id, state, managed, ha_mode = 'pacemaker' AS pacemaker, drained
         FROM target",
        [],
    )
    .await?
    {
        let id: Uuid = r.try_get("", "id")?;
        let kind: String = r.try_get("", "kind")?;
        let state: String = r.try_get("", "state")?;
        let index: Option<i32> = r.try_get("", "target_index")?;
        let facts = TargetFacts {
            id,
            name: r.try_get("", "name")?,
            kind: parse::<TargetKind>(&kind)?,
            filesystem_id: r.try_get("", "filesystem_id")?,
            index: index.and_then(|i| u16::try_from(i).ok()),
            primary_host_id: r.try_get("", "primary_host_id")?,
            failover_host_ids: r.try_get("", "failover_host_ids")?,
            active_host_id: r.try_get("", "active_host_id")?,
            state: parse::<TargetState>(&state)?,
            managed: r.try_get("", "managed")?,
            pacemaker: r.try_get("", "pacemaker")?,
        };
        if r.try_get::<bool>("", "drained")? {
            snap.drained.insert(id);
        }
        snap.targets.insert(id, facts);
    }
    for r in query(
        db,
        "SELECT id, name, mgs_id, managed, removed, conf_params <> '{}'::jsonb AS has_conf_params FROM filesystem",
        [],
    )
    .await?
    {
        let id: Uuid = r.try_get("", "id")?;
        let facts = FilesystemFacts {
            id,
            name: r.try_get("", "name")?,
            mgs_id: r.try_get("", "mgs_id")?,
            managed: r.try_get("", "managed")?,
            removed: r.try_get("", "removed")?,
            has_conf_params: r.try_get("", "has_conf_params")?,
        };
        snap.filesystems.insert(id, facts);
    }
    for r in query(
        db,
        "SELECT p.id, p.filesystem_id, p.name, p.state,
                ARRAY(SELECT target_id FROM ost_pool_member WHERE pool_id = p.id ORDER BY target_id) AS member_ids
         FROM ost_pool p WHERE p.state <> 'removed'",
        [],
    )
    .await?
    {
        let id: Uuid = r.try_get("", "id")?;
        let facts = lustre::plan::PoolFacts {
            id,
            filesystem_id: r.try_get("", "filesystem_id")?,
            name: r.try_get("", "name")?,
            state: r.try_get("", "state")?,
            member_ids: r.try_get("", "member_ids")?,
        };
        snap.pools.insert(id, facts);
    }
    for r in query(
        db,
        "SELECT DISTINCT (details->>'host_id')::uuid AS host_id FROM alert
         WHERE kind = 'host_unreachable' AND cleared_at IS NULL AND details ? 'host_id'",
        [],
    )
    .await?
    {
        snap.unreachable.insert(r.try_get("", "host_id")?);
    }
    for r in query(
        db,
        "SELECT id, host_id, filesystem_id, mountpoint, state FROM client_mount WHERE state <> 'removed'",
        [],
    )
    .await?
    {
        let id: Uuid = r.try_get("", "id")?;
        let state: String = r.try_get("", "state")?;
        let facts = lustre::plan::ClientMountFacts {
            id,
            host_id: r.try_get("", "host_id")?,
            filesystem_id: r.try_get("", "filesystem_id")?,
            mountpoint: r.try_get("", "mountpoint")?,
            state: lustre::plan::ClientMountState::parse(&state)
                .ok_or_else(|| DbErr::Custom(format!("client mount {id} has state {state:?}")))?,
        };
        snap.client_mounts.insert(id, facts);
    }
    Ok(snap)
}

pub use api_types::locks::HeldLock;

/// The locks held on `items`, by item: those of running and paused jobs,
/// and of cancelled jobs whose step is still being stopped (`cancelling`);
/// released locks (finished jobs') are skipped through their index.
pub async fn held_locks(
    db: &impl ConnectionTrait,
    items: Vec<String>,
) -> Result<HashMap<String, Vec<HeldLock>>, DbErr> {
    let rows = query(
        db,
        "SELECT l.item, l.write, j.id, j.command_id, j.description
         FROM job_lock l JOIN job j ON j.id = l.job_id
         WHERE l.item = ANY($1) AND NOT l.released
           AND (j.state IN ('running', 'paused')
                OR EXISTS (SELECT 1 FROM step s WHERE s.job_id = j.id AND s.state = 'cancelling'))
         ORDER BY j.seq",
        [items.into()],
    )
    .await?;
    let mut held: HashMap<String, Vec<HeldLock>> = HashMap::new();
    for r in rows {
        let lock = HeldLock {
            item: r.try_get("", "item")?,
            write: r.try_get("", "write")?,
            job_id: r.try_get("", "id")?,
            command_id: r.try_get("", "command_id")?,
            description: r.try_get("", "description")?,
        };
        held.entry(lock.item.clone()).or_default().push(lock);
    }
    Ok(held)
}

/// Unfinished jobs that lock any of `items`: `(item, job description,
/// command id)`. A new plan for those objects would be planned from states
/// that are about to change. A cancelled job whose step is still being
/// stopped counts: its command may yet change them.
pub async fn unfinished_work(
    db: &impl ConnectionTrait,
    items: Vec<String>,
) -> Result<Vec<(String, String, Uuid)>, DbErr> {
    let rows = query(
        db,
        "SELECT l.item, j.description, j.command_id
         FROM job_lock l JOIN job j ON j.id = l.job_id
         WHERE l.item = ANY($1) AND l.write AND NOT l.released
           AND (j.state IN ('pending', 'waiting', 'running', 'paused')
                OR EXISTS (SELECT 1 FROM step s WHERE s.job_id = j.id AND s.state = 'cancelling'))
         ORDER BY j.seq",
        [items.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "item")?,
                r.try_get("", "description")?,
                r.try_get("", "command_id")?,
            ))
        })
        .collect()
}
