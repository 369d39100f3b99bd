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
/// Jobs looked at per page of a grant pass.
const PASS_LIMIT: i64 = 1_000;

/// Starts every job that may start now, inside `tx`; returns their first
/// steps to publish after commit. Pending jobs are looked at a page at a
/// time, oldest first, so jobs queued behind one busy item never hide
/// independent jobs submitted after them.
pub async fn grant(tx: &impl ConnectionTrait) -> Result<Advanced, DbErr> {
    execute(tx, "SELECT pg_advisory_xact_lock($1)", [GRANT_LOCK.into()]).await?;
    let (mut started, mut commands) = (Vec::new(), Vec::new());
    let mut after = 0i64;
    loop {
        let page = grant_page(tx, after).await?;
        started.extend(page.started);
        commands.extend(page.commands);
        match page.last_seq {
            Some(last) if page.full => after = last,
            _ => break,
        }
    }
    if started.is_empty() {
        return Ok(Advanced::default());
    }
    commands.sort();
    commands.dedup();
    refresh_commands(tx, &commands).await?;
    advance(tx, &started).await
}

/// What one page of a grant pass did.
struct Page {
    started: Vec<Uuid>,
    commands: Vec<Uuid>,
    last_seq: Option<i64>,
    full: bool,
}

/// Grants the runnable jobs among the next `PASS_LIMIT` pending or waiting
/// jobs after `after` (in submission order); marks the others waiting.
/// Jobs started on earlier pages count as running here.
async fn grant_page(tx: &impl ConnectionTrait, after: i64) -> Result<Page, DbErr> {
    let rows = query(
        tx,
        "SELECT j.id, j.state, j.seq,
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
         WHERE j.state IN ('pending', 'waiting') AND j.seq > $2
         ORDER BY j.seq
         LIMIT $1",
        [PASS_LIMIT.into(), after.into()],
    )
    .await?;
    let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= PASS_LIMIT;
    let last_seq = match rows.last() {
        Some(row) => Some(row.try_get::<i64>("", "seq")?),
        None => None,
    };
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
        return Ok(Page {
            started: Vec::new(),
            commands: Vec::new(),
            last_seq,
            full,
        });
    }
    runnable.sort();
    let rows = query(
        tx,
        "UPDATE job SET state = 'running', started_at = now()
         WHERE id = ANY($1) AND state IN ('pending', 'waiting')
         RETURNING id, command_id",
        [runnable.into()],
    )
    .await?;
    Ok(Page {
        started: rows.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?,
        commands: rows
            .iter()
            .map(|r| r.try_get("", "command_id"))
            .collect::<Result<_, _>>()?,
        last_seq,
        full,
    })
}
