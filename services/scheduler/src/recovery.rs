//! Recovery sweeps that reconcile PostgreSQL with the queues after any
//! process died at any point: jobs nobody granted, running jobs with no step
//! in flight, queued steps whose message was lost, and cancelling steps
//! whose worker died. Everything they do is
//! idempotent, so a sweep racing the normal path changes nothing twice.

use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wire::messages::StepMessage;

use crate::engine::Engine;
use crate::results::advance_jobs;
use store::control::refresh_commands;
use store::sql::transact;

/// Most rows one sweep handles of each kind.
const SWEEP_LIMIT: i64 = 10_000;

/// Runs a full sweep at start (republishing every queued step, since this
/// process cannot know which messages its predecessor published), then a
/// sweep every `sweep_interval` until `shutdown`.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    let mut republish_after = Duration::ZERO;
    // A sweep that has not come round for this long hangs.
    let limit = engine.settings.sweep_interval * 4 + Duration::from_secs(120);
    let heartbeat = engine.health.heartbeat("recovery", limit);
    loop {
        heartbeat.beat();
        let timer = engine.metrics.sweep.start_timer();
        let swept = sweep(&engine, republish_after).await;
        timer.observe_duration();
        if let Err(err) = swept {
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
        engine
            .metrics
            .requeued
            .with_label_values(&["silent_worker"])
            .inc_by(u64::try_from(rescued.len()).unwrap_or(u64::MAX));
        tracing::warn!(
            steps = rescued.len(),
            "re-queued running steps whose worker stopped heartbeating"
        );
        engine.publish_steps(rescued).await;
    }
    let abandoned = end_abandoned_cancels(engine).await?;
    if abandoned > 0 {
        engine
            .metrics
            .cancels_abandoned
            .inc_by(u64::try_from(abandoned).unwrap_or(u64::MAX));
        tracing::warn!(
            steps = abandoned,
            "ended cancelling steps whose worker stopped heartbeating; their commands cannot be proven stopped"
        );
        engine.grant_wanted.notify_one();
    }
    let lost = unstarted_steps(engine, republish_after).await?;
    if !lost.is_empty() {
        engine
            .metrics
            .requeued
            .with_label_values(&["unstarted"])
            .inc_by(u64::try_from(lost.len()).unwrap_or(u64::MAX));
        tracing::info!(steps = lost.len(), "publishing queued steps again");
    }
    // Also retries the outbox when nothing else was due.
    engine.publish_steps(lost).await;
    Ok(())
}

/// Running jobs with no step queued or running: their last result was
/// recorded but never advanced, or a resume left them waiting.
async fn stalled_jobs(engine: &Engine) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    store::jobs::stalled(&engine.db, SWEEP_LIMIT).await
}

/// Queued steps of running jobs not started within `older_than`; their
/// `queued_at` moves to now so that the next sweep waits again before
/// repeating them. (A queued step of a paused job waits for its resume.)
async fn unstarted_steps(engine: &Engine, older_than: Duration) -> Result<Vec<StepMessage>, sea_orm::DbErr> {
    let rescued = store::steps::requeue_unstarted(&engine.db, older_than, SWEEP_LIMIT).await?;
    for step in &rescued {
        let message = format!(
            "step {} ({}) of job {} was queued again: its worker stopped heartbeating and its message was gone",
            step.step_id, step.action, step.job_id
        );
        let details = serde_json::json!({"step_id": step.step_id, "job_id": step.job_id});
        store::events::record(
            &engine.db,
            store::events::EventKind::StepRescued,
            None,
            &message,
            details,
        )
        .await?;
    }
    Ok(rescued)
}

/// `cancelling` steps whose worker stopped heartbeating for the heartbeat
/// timeout: nobody is left to see their command stop (a cancelling step is
/// never taken over), so they end `cancelled`, freeing their job's locks,
/// with an event. A dead worker's remote command cannot be proven stopped:
/// if the server outlived the worker, it may still run. Returns how many.
async fn end_abandoned_cancels(engine: &Engine) -> Result<usize, sea_orm::DbErr> {
    let silent = engine.settings.heartbeat_timeout;
    let ended = store::steps::cancel_abandoned(&engine.db, silent, SWEEP_LIMIT).await?;
    for step in &ended {
        let message = format!(
            "step {} of job {} was being cancelled when its worker stopped heartbeating; it is cancelled now, \
             but its command may have gone on running on its server",
            step.step_id, step.job_id
        );
        let details = serde_json::json!({
            "step_id": step.step_id,
            "job_id": step.job_id,
            "last_heartbeat": step.heartbeat_at,
        });
        store::events::record(
            &engine.db,
            store::events::EventKind::StepCancelAbandoned,
            None,
            &message,
            details,
        )
        .await?;
    }
    Ok(ended.len())
}

/// Commands left unfinished although all their jobs finished.
async fn refresh_finished_commands(engine: &Engine) -> Result<(), sea_orm::DbErr> {
    let ids = store::commands::open_with_jobs_finished(&engine.db, SWEEP_LIMIT).await?;
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
    let silent = engine.settings.heartbeat_timeout * 3;
    let limit = i32::try_from(engine.settings.delivery_limit).unwrap_or(i32::MAX);
    let failed = store::steps::fail_silent(&engine.db, silent, limit, SWEEP_LIMIT).await?;
    if !failed.is_empty() {
        let advanced = advance_jobs(engine, failed).await?;
        engine.publish_steps(advanced.queued).await;
        engine.grant_wanted.notify_one();
    }
    let rescued = store::steps::requeue_silent(&engine.db, silent, SWEEP_LIMIT).await?;
    for step in &rescued {
        let message = format!(
            "step {} ({}) of job {} was queued again: its worker stopped heartbeating and its message was gone",
            step.step_id, step.action, step.job_id
        );
        let details = serde_json::json!({"step_id": step.step_id, "job_id": step.job_id});
        store::events::record(
            &engine.db,
            store::events::EventKind::StepRescued,
            None,
            &message,
            details,
        )
        .await?;
    }
    Ok(rescued)
}
