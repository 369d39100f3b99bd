//! The grant loop: one pass whenever something may have released a lock
//! or submitted a job, and at every sweep.

use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::locks::grant;
use store::sql::transact;

/// How often the idle grant loop shows it is alive.
const IDLE_BEAT: Duration = Duration::from_secs(5);
/// How long a grant pass may hang before the scheduler is not live.
const HUNG_AFTER: Duration = Duration::from_secs(120);

/// Runs until `shutdown`.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    let heartbeat = engine.health.heartbeat("grants", HUNG_AFTER);
    loop {
        heartbeat.beat();
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = engine.grant_wanted.notified() => {}
            () = tokio::time::sleep(IDLE_BEAT) => continue,
        }
        if let Err(err) = pass(&engine).await {
            tracing::error!("grant pass failed, retrying: {err}");
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            engine.grant_wanted.notify_one();
        }
    }
}

/// One grant pass, then publication of the started jobs' first steps.
pub async fn pass(engine: &Engine) -> Result<(), sea_orm::DbErr> {
    let timer = engine.metrics.grant_pass.start_timer();
    let advanced = transact(&engine.db, |tx| Box::pin(grant(tx))).await?;
    timer.observe_duration();
    if !advanced.queued.is_empty() {
        tracing::debug!(steps = advanced.queued.len(), "granted jobs");
    }
    engine.publish_steps(advanced.queued).await;
    Ok(())
}
