//! Recovery sweeps that reconcile PostgreSQL with the queues after any
//! process died at any point: jobs nobody granted, running jobs with no step
//! in flight, and queued steps whose message was lost. Everything they do is
//! idempotent, so a sweep racing the normal path changes nothing twice.

use common::messages::StepMessage;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::dispatch::step_message;
use crate::engine::Engine;
use crate::results::advance_jobs;
use store::sql::query;

/// Most rows one sweep handles of each kind.
const SWEEP_LIMIT: i64 = 10_000;

/// Runs a full sweep at start (republishing every queued step, since this
/// process cannot know which messages its predecessor published), then a
/// sweep every `sweep_interval` until `shutdown`.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    let mut republish_after = Duration::ZERO;
    loop {
        if let Err(err) = sweep(&engine, republish_after).await {
            tracing::warn!("recovery sweep failed: {err}");
        } else {
            republish_after = engine.settings.requeue_after;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(engine.settings.sweep_interval) => {}
        }
    }
}

/// One sweep; queued steps older than `republish_after` are published again.
pub async fn sweep(engine: &Engine, republish_after: Duration) -> Result<(), sea_orm::DbErr> {
    crate::grants::pass(engine).await?;
    let stalled = stalled_jobs(engine).await?;
    if !stalled.is_empty() {
        tracing::info!(jobs = stalled.len(), "advancing running jobs with no step in flight");
        let advanced = advance_jobs(engine, stalled).await?;
        engine.publish_steps(advanced.queued).await;
        if advanced.released {
            engine.grant_wanted.notify_one();
        }
    }
    let lost = unstarted_steps(engine, republish_after).await?;
    if !lost.is_empty() {
        tracing::info!(steps = lost.len(), "publishing queued steps again");
    }
    // Also retries the outbox when nothing else was due.
    engine.publish_steps(lost).await;
    Ok(())
}

/// Running jobs with no step queued or running: their last result was
/// recorded but never advanced, or a resume left them waiting.
async fn stalled_jobs(engine: &Engine) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    let rows = query(
        &engine.db,
        "SELECT j.id FROM job j
         WHERE j.state = 'running'
           AND NOT EXISTS (SELECT 1 FROM step s WHERE s.job_id = j.id AND s.state IN ('queued', 'running'))
         LIMIT $1",
        [SWEEP_LIMIT.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get("", "id")).collect()
}

/// Queued steps of running jobs not started within `older_than`; their
/// `queued_at` moves to now so that the next sweep waits again before
/// repeating them. (A queued step of a paused job waits for its resume.)
async fn unstarted_steps(engine: &Engine, older_than: Duration) -> Result<Vec<StepMessage>, sea_orm::DbErr> {
    let rows = query(
        &engine.db,
        "UPDATE step SET queued_at = now()
         WHERE id IN (SELECT s.id FROM job j JOIN step s ON s.job_id = j.id
                      WHERE j.state = 'running' AND s.state = 'queued'
                        AND s.queued_at <= now() - make_interval(secs => $1)
                      LIMIT $2)
         RETURNING id, job_id, attempts, action, args",
        [older_than.as_secs_f64().into(), SWEEP_LIMIT.into()],
    )
    .await?;
    rows.iter().map(step_message).collect()
}
