//! Claiming steps in PostgreSQL. A claim moves a step to `running` and
//! increments its attempt number, which fences off results of any older
//! attempt. A running step is taken over only when its heartbeat is stale,
//! so a redelivered message never runs a step twice at the same time.

use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

use store::sql::{execute, query};

/// A step this worker now owns.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub step_id: Uuid,
    pub job_id: Uuid,
    pub attempt: i32,
    pub action: String,
    pub args: serde_json::Value,
}

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
    let rows = query(
        db,
        "UPDATE step SET state = 'running', attempts = step.attempts + 1, worker = $2,
                         heartbeat_at = now(), started_at = now()
         FROM job j
         WHERE step.id = ANY($1) AND j.id = step.job_id
           AND ((step.state = 'queued' AND j.state = 'running')
                OR (step.state = 'running' AND j.state IN ('running', 'paused')
                    AND step.heartbeat_at < now() - make_interval(secs => $3)))
         RETURNING step.id, step.job_id, step.attempts, step.action, step.args",
        [
            ids.to_vec().into(),
            worker.to_owned().into(),
            stale_after.as_secs_f64().into(),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Claimed {
                step_id: row.try_get("", "id")?,
                job_id: row.try_get("", "job_id")?,
                attempt: row.try_get("", "attempts")?,
                action: row.try_get("", "action")?,
                args: row.try_get("", "args")?,
            })
        })
        .collect()
}

/// Decides what to do with deliveries whose steps were not claimed. A step
/// queued for a paused job goes back to `pending`; resuming queues it again.
pub async fn classify(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Verdict>, DbErr> {
    let rows = query(
        db,
        "SELECT s.id, s.job_id, s.state, s.attempts, j.state AS job_state
         FROM step s JOIN job j ON j.id = s.job_id WHERE s.id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await?;
    let mut verdicts: HashMap<Uuid, Verdict> = ids.iter().map(|id| (*id, Verdict::Drop)).collect();
    let mut unqueue = Vec::new();
    for row in &rows {
        let id: Uuid = row.try_get("", "id")?;
        let state: String = row.try_get("", "state")?;
        let job_state: String = row.try_get("", "job_state")?;
        let verdict = match state.as_str() {
            "succeeded" | "failed" => Verdict::Finished {
                job_id: row.try_get("", "job_id")?,
                attempt: row.try_get("", "attempts")?,
            },
            "running" => Verdict::Hold,
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
        let rows = query(
            db,
            "UPDATE step SET state = 'pending', queued_at = NULL
             WHERE id = ANY($1) AND state = 'queued'
               AND (SELECT state FROM job WHERE job.id = step.job_id) = 'paused'
             RETURNING id",
            [unqueue.clone().into()],
        )
        .await?;
        let unqueued: Vec<Uuid> = rows.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?;
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
    let (ids, attempts): (Vec<Uuid>, Vec<i32>) = steps.into_iter().unzip();
    execute(
        db,
        "UPDATE step SET state = 'queued', queued_at = now(), worker = NULL, heartbeat_at = NULL
         FROM unnest($1::uuid[], $2::int[]) AS u(id, attempt)
         WHERE step.id = u.id AND step.attempts = u.attempt AND step.state = 'running'",
        [ids.into(), attempts.into()],
    )
    .await?;
    Ok(())
}

/// Refreshes the heartbeat of `steps` (`(id, attempt)`); returns the ids
/// this worker still owns. A missing id was cancelled or taken over.
pub async fn heartbeat(db: &DatabaseConnection, steps: &[(Uuid, i32)]) -> Result<Vec<Uuid>, DbErr> {
    let (ids, attempts): (Vec<Uuid>, Vec<i32>) = steps.iter().copied().unzip();
    let rows = query(
        db,
        "UPDATE step SET heartbeat_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS u(id, attempt)
         WHERE step.id = u.id AND step.attempts = u.attempt AND step.state = 'running'
         RETURNING step.id",
        [ids.into(), attempts.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "id")).collect()
}
