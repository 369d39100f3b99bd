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
use store::control::refresh_commands;
use store::sql::{query, transact};

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
    refresh_finished_commands(engine).await?;
    let rescued = rescue_silent_steps(engine).await?;
    if !rescued.is_empty() {
        tracing::warn!(
            steps = rescued.len(),
            "re-queued running steps whose worker stopped heartbeating"
        );
        engine.publish_steps(rescued).await;
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
           -- Again on the locked row: another scheduler may have done it.
           AND state = 'queued' AND queued_at <= now() - make_interval(secs => $1)
         RETURNING id, job_id, attempts, action, args",
        [older_than.as_secs_f64().into(), SWEEP_LIMIT.into()],
    )
    .await?;
    let rescued: Vec<StepMessage> = rows.iter().map(step_message).collect::<Result<_, _>>()?;
    for step in &rescued {
        let message = format!(
            "step {} ({}) of job {} was queued again: its worker stopped heartbeating and its message was gone",
            step.step_id, step.action, step.job_id
        );
        let details = serde_json::json!({"step_id": step.step_id, "job_id": step.job_id});
        store::users::event(&engine.db, "step_rescued", None, &message, details).await?;
    }
    Ok(rescued)
}

/// Commands left unfinished although all their jobs finished.
async fn refresh_finished_commands(engine: &Engine) -> Result<(), sea_orm::DbErr> {
    let rows = query(
        &engine.db,
        "SELECT c.id FROM command c
         WHERE c.state IN ('pending', 'running')
           AND NOT EXISTS (SELECT 1 FROM job j WHERE j.command_id = c.id
                           AND j.state IN ('pending', 'waiting', 'running', 'paused'))
         LIMIT $1",
        [SWEEP_LIMIT.into()],
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(());
    }
    tracing::warn!(commands = ids.len(), "finishing commands whose jobs all finished");
    let ids = std::sync::Arc::new(ids);
    transact(&engine.db, move |tx| {
        let ids = ids.clone();
        Box::pin(async move { refresh_commands(tx, &ids).await.map(|_| ()) })
    })
    .await
}

/// Running steps whose heartbeat stopped long ago while no worker took
/// them over (their message is gone too): queue them again. A redelivered
/// message normally rescues such a step within the heartbeat timeout; this
/// waits three times as long. A step rescued this way as often as the
/// delivery limit fails instead, like a dead-lettered one.
async fn rescue_silent_steps(engine: &Engine) -> Result<Vec<StepMessage>, sea_orm::DbErr> {
    let silent = (engine.settings.heartbeat_timeout * 3).as_secs_f64();
    let limit = i32::try_from(engine.settings.delivery_limit).unwrap_or(i32::MAX);
    let failed = query(
        &engine.db,
        "UPDATE step SET state = 'failed', finished_at = now(), heartbeat_at = NULL,
                         error = 'its workers stopped heartbeating ' || attempts || ' times while running it'
         WHERE id IN (SELECT s.id FROM job j JOIN step s ON s.job_id = j.id
                      WHERE j.state IN ('running', 'paused') AND s.state = 'running' AND s.attempts >= $2
                        AND s.heartbeat_at < now() - make_interval(secs => $1) LIMIT $3)
           AND state = 'running' AND heartbeat_at < now() - make_interval(secs => $1)
         RETURNING job_id",
        [silent.into(), limit.into(), SWEEP_LIMIT.into()],
    )
    .await?;
    if !failed.is_empty() {
        let jobs: Vec<Uuid> = failed
            .iter()
            .map(|r| r.try_get("", "job_id"))
            .collect::<Result<_, _>>()?;
        let advanced = advance_jobs(engine, jobs).await?;
        engine.publish_steps(advanced.queued).await;
        engine.grant_wanted.notify_one();
    }
    let rows = query(
        &engine.db,
        "UPDATE step SET state = 'queued', queued_at = now(), worker = NULL, heartbeat_at = NULL
         WHERE id IN (SELECT s.id FROM job j JOIN step s ON s.job_id = j.id
                      WHERE j.state IN ('running', 'paused') AND s.state = 'running'
                        AND s.heartbeat_at < now() - make_interval(secs => $1) LIMIT $2)
           AND state = 'running' AND heartbeat_at < now() - make_interval(secs => $1)
         RETURNING id, job_id, attempts, action, args",
        [silent.into(), SWEEP_LIMIT.into()],
    )
    .await?;
    let rescued: Vec<StepMessage> = rows.iter().map(step_message).collect::<Result<_, _>>()?;
    for step in &rescued {
        let message = format!(
            "step {} ({}) of job {} was queued again: its worker stopped heartbeating and its message was gone",
            step.step_id, step.action, step.job_id
        );
        let details = serde_json::json!({"step_id": step.step_id, "job_id": step.job_id});
        store::users::event(&engine.db, "step_rescued", None, &message, details).await?;
    }
    Ok(rescued)
}
