//! Granting jobs their locks and dependencies.
//!
//! A job may start when every job it waits for has succeeded and, for each
//! item it locks, no conflicting lock (a write on either side) is held by a
//! running or paused job, or requested by an unfinished job submitted
//! earlier. Locks on one item are thereby granted in submission order, and
//! readers share. Passes are serialised by a transaction-scoped advisory
//! lock, so several schedulers never grant conflicting locks twice.

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::dispatch::{advance, Advanced};
use store::control::refresh_commands;
use store::sql::{execute, query};

/// Advisory lock key of grant passes ("chroma:grant").
const GRANT_LOCK: i64 = 0x6368_726f_6d61_6701;
/// Most jobs looked at in one pass; the rest wait for the next.
const PASS_LIMIT: i64 = 5_000;

/// Starts every job that may start now, inside `tx`; returns their first
/// steps to publish after commit.
pub async fn grant(tx: &impl ConnectionTrait) -> Result<Advanced, DbErr> {
    execute(tx, "SELECT pg_advisory_xact_lock($1)", [GRANT_LOCK.into()]).await?;
    let rows = query(
        tx,
        "SELECT j.id, j.state,
            NOT EXISTS (
                SELECT 1 FROM job_dependency d JOIN job dj ON dj.id = d.depends_on
                WHERE d.job_id = j.id AND dj.state <> 'succeeded')
            AND NOT EXISTS (
                SELECT 1 FROM job_lock l
                JOIN job_lock o ON o.item = l.item AND o.job_id <> l.job_id AND (l.write OR o.write)
                JOIN job oj ON oj.id = o.job_id
                WHERE l.job_id = j.id
                  AND (oj.state IN ('running', 'paused')
                       OR (oj.state IN ('pending', 'waiting') AND oj.seq < j.seq))) AS runnable
         FROM job j
         WHERE j.state IN ('pending', 'waiting')
         ORDER BY j.seq
         LIMIT $1",
        [PASS_LIMIT.into()],
    )
    .await?;
    let (mut runnable, mut blocked) = (vec![], vec![]);
    for row in &rows {
        let id: Uuid = row.try_get("", "id")?;
        if row.try_get::<bool>("", "runnable")? {
            runnable.push(id);
        } else if row.try_get::<String>("", "state")? == "pending" {
            blocked.push(id);
        }
    }
    if !blocked.is_empty() {
        execute(
            tx,
            "UPDATE job SET state = 'waiting' WHERE id = ANY($1) AND state = 'pending'",
            [blocked.into()],
        )
        .await?;
    }
    if runnable.is_empty() {
        return Ok(Advanced::default());
    }
    runnable.sort();
    let started = query(
        tx,
        "UPDATE job SET state = 'running', started_at = now()
         WHERE id = ANY($1) AND state IN ('pending', 'waiting')
         RETURNING id, command_id",
        [runnable.into()],
    )
    .await?;
    let ids: Vec<Uuid> = started.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?;
    let mut commands: Vec<Uuid> = started
        .iter()
        .map(|r| r.try_get("", "command_id"))
        .collect::<Result<_, _>>()?;
    commands.sort();
    commands.dedup();
    refresh_commands(tx, &commands).await?;
    advance(tx, &ids).await
}
