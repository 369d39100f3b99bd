//! Granting jobs their locks and dependencies.
//!
//! A job may start when every job it waits for has succeeded and, for each
//! item it locks, no conflicting lock (a write on either side) is held by a
//! running or paused job, or requested by an unfinished job submitted
//! earlier. A cancelled job whose step is still `cancelling` (its command
//! may still run on a server) holds its locks until that step stopped.
//! Locks on one item are thereby granted in submission order, and
//! readers share. Passes are serialised by a transaction-scoped advisory
//! lock, so several schedulers never grant conflicting locks twice.

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::dispatch::{advance, Advanced};
use lustre::JobState;
use store::control::refresh_commands;

/// Jobs looked at per page of a grant pass.
const PASS_LIMIT: i64 = 1_000;

/// Starts every job that may start now, inside `tx`; returns their first
/// steps to publish after commit. Pending jobs are looked at a page at a
/// time, oldest first, so jobs queued behind one busy item never hide
/// independent jobs submitted after them.
pub async fn grant(tx: &impl ConnectionTrait) -> Result<Advanced, DbErr> {
    store::jobs::lock_grant_pass(tx).await?;
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
    let candidates = store::jobs::grant_candidates(tx, after, PASS_LIMIT).await?;
    let full = i64::try_from(candidates.len()).unwrap_or(i64::MAX) >= PASS_LIMIT;
    let last_seq = candidates.last().map(|job| job.seq);
    let (mut runnable, mut blocked) = (vec![], vec![]);
    for job in &candidates {
        if job.runnable {
            runnable.push(job.id);
        } else if job.state == JobState::Pending {
            blocked.push(job.id);
        }
    }
    if !blocked.is_empty() {
        store::jobs::mark_waiting(tx, &blocked).await?;
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
    let started = store::jobs::start(tx, &runnable).await?;
    Ok(Page {
        started: started.iter().map(|job| job.id).collect(),
        commands: started.iter().map(|job| job.command_id).collect(),
        last_seq,
        full,
    })
}
