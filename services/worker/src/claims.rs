//! Claiming steps in PostgreSQL. A claim moves a step to `running` and
//! increments its attempt number, which fences off results of any older
//! attempt. A running step is taken over only when its heartbeat is stale,
//! so a redelivered message never runs a step twice at the same time.

use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Runs the database call `call` within `deadline`: a hung connection
/// must not hold up the worker's bookkeeping past its fence (see
/// [`crate::heartbeat`]). A call that overran is an error, whether or not
/// the database applied it; every caller's statement is safe to repeat.
pub async fn bounded<T>(
    deadline: Duration,
    call: impl std::future::Future<Output = Result<T, DbErr>>,
) -> Result<T, DbErr> {
    tokio::time::timeout(deadline, call).await.unwrap_or_else(|_| {
        Err(DbErr::Custom(format!(
            "no answer from the database within {deadline:?}"
        )))
    })
}

/// A step this worker now owns.
pub use store::steps::Claimed;

/// What to do with a delivery whose step could not be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The step has a recorded result: tell the scheduler again, then ack.
    Finished { job_id: Uuid, attempt: i32 },
    /// Nothing to run (cancelled, not yet due, unknown): ack.
    Drop,
    /// Another worker runs it and still heartbeats: keep the message
    /// unacknowledged and look again later.
    Hold,
}

/// Claims the steps in `ids` that are queued for a running job, or running
/// with a heartbeat older than `stale_after`.
pub async fn claim(
    db: &DatabaseConnection,
    ids: &[Uuid],
    worker: &str,
    stale_after: Duration,
) -> Result<Vec<Claimed>, DbErr> {
    store::steps::claim(db, ids, worker, stale_after).await
}

/// Decides what to do with deliveries whose steps were not claimed. A step
/// queued for a paused job goes back to `pending`; resuming queues it again.
pub async fn classify(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Verdict>, DbErr> {
    let rows = store::steps::states_with_jobs(db, ids).await?;
    let mut verdicts: HashMap<Uuid, Verdict> = ids.iter().map(|id| (*id, Verdict::Drop)).collect();
    let mut unqueue = Vec::new();
    for row in rows {
        let id = row.step_id;
        let job_state = row.job_state;
        let verdict = match row.state.as_str() {
            "succeeded" | "failed" => Verdict::Finished {
                job_id: row.job_id,
                attempt: row.attempts,
            },
            "running" => Verdict::Hold,
            // Its worker is stopping it, or died doing so (the recovery
            // sweep ends it): nothing to run.
            "cancelling" => Verdict::Drop,
            "queued" if job_state == "paused" => {
                unqueue.push(id);
                Verdict::Drop
            }
            // A queued step of a running job that the claim missed was
            // claimed by someone else in between: look again.
            "queued" if job_state == "running" => Verdict::Hold,
            _ => Verdict::Drop,
        };
        verdicts.insert(id, verdict);
    }
    if !unqueue.is_empty() {
        let unqueued = store::steps::unqueue_paused(db, &unqueue).await?;
        // Resumed in between: look again rather than drop its message.
        for id in unqueue.iter().filter(|id| !unqueued.contains(id)) {
            verdicts.insert(*id, Verdict::Hold);
        }
    }
    Ok(verdicts)
}

/// Hands steps this worker will not finish back to the queue.
pub async fn release(db: &DatabaseConnection, steps: &[(Uuid, i32)]) -> Result<(), DbErr> {
    let mut steps = steps.to_vec();
    steps.sort();
    store::steps::release(db, &steps).await
}

/// Refreshes the heartbeat of `steps` (`(id, attempt)`); returns the ids
/// this worker still owns. A missing id was cancelled or taken over.
pub async fn heartbeat(db: &DatabaseConnection, steps: &[(Uuid, i32)]) -> Result<Vec<Uuid>, DbErr> {
    store::steps::heartbeat(db, steps).await
}
