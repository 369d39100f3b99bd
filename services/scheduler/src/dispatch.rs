//! Advancing jobs from the state of their steps: queue the next step, or
//! finish the job. Decisions read only committed rows under the job's row
//! lock, so running it twice for the same job changes nothing the second
//! time; every caller (results, grants, recovery) shares it.

use lustre::{JobState, StepState};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;
use wire::messages::StepMessage;

use store::control::{any_cancelled, cancel_dependents, refresh_commands};

/// What one advance did.
#[derive(Debug, Default)]
pub struct Advanced {
    /// Steps now `queued`, to publish once the transaction commits.
    pub queued: Vec<StepMessage>,
    /// Whether any job finished, releasing its locks (or a cancelled job's
    /// `cancelling` step stopped, releasing the locks it kept).
    pub released: bool,
}

/// Advances each running or paused job in `job_ids`, inside `tx`.
pub async fn advance(tx: &impl ConnectionTrait, job_ids: &[Uuid]) -> Result<Advanced, DbErr> {
    let mut job_ids = job_ids.to_vec();
    job_ids.sort();
    job_ids.dedup();
    let jobs = store::jobs::lock_progress(tx, &job_ids).await?;
    // A cancelled job's step reported: it stopped, freeing the locks the
    // job kept while it was cancelling.
    let stopped_cancelling = jobs.len() < job_ids.len() && any_cancelled(tx, &job_ids).await?;
    if stopped_cancelling {
        // Their locks can go once no step is left cancelling.
        store::jobs::release_locks(tx, &job_ids).await?;
    }
    let (mut to_queue, mut succeeded, mut failed, mut failed_errors, mut commands) =
        (vec![], vec![], vec![], vec![], vec![]);
    for job in jobs {
        match job.next_step {
            None => {
                succeeded.push(job.id);
                commands.push(job.command_id);
            }
            Some(step) if step.state == StepState::Failed => {
                failed.push(job.id);
                failed_errors.push(step.error.unwrap_or_else(|| "a step failed".into()));
                commands.push(job.command_id);
            }
            Some(step) if step.state == StepState::Pending && job.state == JobState::Running => to_queue.push(step.id),
            // In flight (queued, running), paused, or already cancelled.
            Some(_) => {}
        }
    }
    let mut advanced = Advanced {
        released: stopped_cancelling,
        ..Advanced::default()
    };
    if !to_queue.is_empty() {
        advanced.queued = store::steps::queue_pending(tx, &to_queue).await?;
    }
    if !succeeded.is_empty() {
        store::jobs::mark_succeeded(tx, &succeeded).await?;
        advanced.released = true;
    }
    if !failed.is_empty() {
        store::jobs::mark_failed(tx, &failed, &failed_errors).await?;
        // Active until acknowledged: a failed job has no condition to end.
        for job in store::jobs::failed(tx, &failed).await? {
            store::alerts::raise(tx, store::alerts::Raise::job_failed(&job)).await?;
        }
        store::steps::cancel_pending(tx, &failed).await?;
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
