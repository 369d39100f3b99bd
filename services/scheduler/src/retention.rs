//! Retention: once an hour, deletes the history older than its setting
//! (`Settings::retention`, docs/data.md "Retention"): ended API tokens,
//! events, cleared alerts, finished commands with their jobs and steps,
//! removed storage resources and server log lines. Each kind goes in
//! batches, so no statement holds its locks for long; several schedulers
//! may run it at once, as deleting twice deletes nothing more.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::DbErr;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;

/// How often history is trimmed.
const INTERVAL: Duration = Duration::from_secs(3600);
/// Rows deleted by one statement.
const BATCH: u64 = 1000;
/// A pause between batches, leaving the database to the work that matters.
const PAUSE: Duration = Duration::from_millis(50);

/// Trims history at start and every hour until `shutdown`.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    loop {
        match trim(&engine, &shutdown).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted history past its retention"),
            Err(err) => tracing::warn!("retention failed: {err}"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
}

/// Deletes every kind of history past its retention; returns the rows deleted.
pub async fn trim(engine: &Engine, shutdown: &CancellationToken) -> Result<u64, DbErr> {
    let keep = &engine.settings.retention;
    let db = &engine.db;
    let mut deleted = 0;
    for kind in [
        Kind::Tokens,
        Kind::Events,
        Kind::Alerts,
        Kind::Commands,
        Kind::Storage,
        Kind::Logs,
    ] {
        let age = match kind {
            Kind::Tokens => keep.tokens,
            Kind::Events => keep.events,
            Kind::Alerts => keep.alerts,
            Kind::Commands => keep.commands,
            Kind::Storage => keep.storage,
            Kind::Logs => keep.logs,
        };
        let cutoff = Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX);
        loop {
            let n = match kind {
                Kind::Tokens => store::retention::delete_ended_tokens(db, cutoff, BATCH).await?,
                Kind::Events => store::retention::delete_events(db, cutoff, BATCH).await?,
                Kind::Alerts => store::retention::delete_cleared_alerts(db, cutoff, BATCH).await?,
                Kind::Commands => store::retention::delete_finished_commands(db, cutoff, BATCH).await?,
                Kind::Storage => store::retention::delete_removed_storage(db, cutoff, BATCH).await?,
                Kind::Logs => store::retention::delete_log_lines(db, cutoff, BATCH).await?,
            };
            deleted += n;
            if n < BATCH || shutdown.is_cancelled() {
                break;
            }
            tokio::time::sleep(PAUSE).await;
        }
    }
    Ok(deleted)
}

#[derive(Clone, Copy)]
enum Kind {
    Tokens,
    Events,
    Alerts,
    Commands,
    Storage,
    Logs,
}
