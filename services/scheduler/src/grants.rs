//! The grant loop: one pass whenever something may have released a lock
//! or submitted a job, and at every sweep.

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::locks::grant;
use store::sql::transact;

/// Runs until `shutdown`.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = engine.grant_wanted.notified() => {}
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
    let advanced = transact(&engine.db, |tx| Box::pin(grant(tx))).await?;
    if !advanced.queued.is_empty() {
        tracing::debug!(steps = advanced.queued.len(), "granted jobs");
    }
    engine.publish_steps(advanced.queued).await;
    Ok(())
}
