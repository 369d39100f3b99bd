//! Advancing jobs from the state of their steps: queue the next step, or
//! finish the job. Decisions read only committed rows under the job's row
//! lock, so running it twice for the same job changes nothing the second
//! time; every caller (results, grants, recovery) shares it.

use common::messages::StepMessage;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use store::control::{cancel_dependents, refresh_commands};
use store::sql::{execute, query};

/// What one advance did.
#[derive(Debug, Default)]
pub struct Advanced {
    /// Steps now `queued`, to publish once the transaction commits.
    pub queued: Vec<StepMessage>,
    /// Whether any job finished, releasing its locks.
    pub released: bool,
}

/// Advances each running or paused job in `job_ids`, inside `tx`.
pub async fn advance(tx: &impl ConnectionTrait, job_ids: &[Uuid]) -> Result<Advanced, DbErr> {
    let mut job_ids = job_ids.to_vec();
    job_ids.sort();
    job_ids.dedup();
    let rows = query(
        tx,
        "SELECT j.id, j.command_id, j.state, s.id AS step_id, s.state AS step_state, s.error AS step_error
         FROM job j
         LEFT JOIN LATERAL (
             SELECT id, state, error FROM step
             WHERE step.job_id = j.id AND step.state <> 'succeeded'
             ORDER BY idx LIMIT 1) s ON true
         WHERE j.id = ANY($1) AND j.state IN ('running', 'paused')
         ORDER BY j.id
         FOR UPDATE OF j",
        [job_ids.into()],
    )
    .await?;
    let (mut to_queue, mut succeeded, mut failed, mut failed_errors, mut commands) =
        (vec![], vec![], vec![], vec![], vec![]);
    for row in &rows {
        let job: Uuid = row.try_get("", "id")?;
        let job_state: String = row.try_get("", "state")?;
        let step: Option<Uuid> = row.try_get("", "step_id")?;
        let step_state: Option<String> = row.try_get("", "step_state")?;
        match (step, step_state.as_deref()) {
            (None, _) => {
                succeeded.push(job);
                commands.push(row.try_get::<Uuid>("", "command_id")?);
            }
            (Some(_), Some("failed")) => {
                let error: Option<String> = row.try_get("", "step_error")?;
                failed.push(job);
                failed_errors.push(error.unwrap_or_else(|| "a step failed".into()));
                commands.push(row.try_get::<Uuid>("", "command_id")?);
            }
            (Some(step), Some("pending")) if job_state == "running" => to_queue.push(step),
            // In flight (queued, running), paused, or already cancelled.
            _ => {}
        }
    }
    let mut advanced = Advanced::default();
    if !to_queue.is_empty() {
        advanced.queued = queue_steps(tx, &to_queue).await?;
    }
    if !succeeded.is_empty() {
        execute(
            tx,
            "UPDATE job SET state = 'succeeded', finished_at = now() WHERE id = ANY($1)",
            [succeeded.into()],
        )
        .await?;
        advanced.released = true;
    }
    if !failed.is_empty() {
        execute(
            tx,
            "UPDATE job SET state = 'failed', finished_at = now(), error = u.error
             FROM unnest($1::uuid[], $2::text[]) AS u(id, error) WHERE job.id = u.id",
            [failed.clone().into(), failed_errors.into()],
        )
        .await?;
        execute(
            tx,
            "UPDATE step SET state = 'cancelled', finished_at = now() WHERE job_id = ANY($1) AND state = 'pending'",
            [failed.clone().into()],
        )
        .await?;
        commands.extend(cancel_dependents(tx, &failed).await?);
        advanced.released = true;
    }
    if !commands.is_empty() {
        commands.sort();
        commands.dedup();
        refresh_commands(tx, &commands).await?;
    }
    Ok(advanced)
}

/// Marks pending steps `queued` and returns their messages.
async fn queue_steps(tx: &impl ConnectionTrait, step_ids: &[Uuid]) -> Result<Vec<StepMessage>, DbErr> {
    let rows = query(
        tx,
        // clock_timestamp(): the moment the step became ready, not the
        // start of the (batched) transaction that got to it.
        "UPDATE step SET state = 'queued', queued_at = clock_timestamp()
         WHERE id = ANY($1) AND state = 'pending'
         RETURNING id, job_id, attempts, action, args",
        [step_ids.to_vec().into()],
    )
    .await?;
    rows.iter().map(step_message).collect()
}

/// The message of a step row (`id, job_id, attempts, action, args`).
pub fn step_message(row: &sea_orm::QueryResult) -> Result<StepMessage, DbErr> {
    Ok(StepMessage {
        step_id: row.try_get("", "id")?,
        job_id: row.try_get("", "job_id")?,
        attempt: row.try_get("", "attempts")?,
        action: row.try_get("", "action")?,
        args: row.try_get("", "args")?,
    })
}
