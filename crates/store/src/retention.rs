//! Retention: what Chroma deletes once it is older than its setting
//! (docs/data.md, "Retention"). Each statement deletes at most `batch`
//! rows, so none holds its locks for long or grows a huge transaction;
//! each function returns how many rows it deleted: call it again until it
//! deletes fewer than `batch`. Times are Chroma's: a cut-off is compared
//! with what Chroma wrote, never with a time a managed server reported.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::sql::{execute, query};

fn limit(batch: u64) -> i64 {
    i64::try_from(batch).unwrap_or(i64::MAX)
}

/// API tokens and sessions that expired or were revoked before `ended_before`.
pub async fn delete_ended_tokens(
    db: &impl ConnectionTrait,
    ended_before: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    execute(
        db,
        "DELETE FROM api_token WHERE id IN (
             SELECT id FROM api_token WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2)",
        [ended_before.into(), limit(batch).into()],
    )
    .await
}

/// Events that happened before `before`.
pub async fn delete_events(db: &impl ConnectionTrait, before: DateTime<Utc>, batch: u64) -> Result<u64, DbErr> {
    execute(
        db,
        "DELETE FROM event WHERE id IN (SELECT id FROM event WHERE at < $1 LIMIT $2)",
        [before.into(), limit(batch).into()],
    )
    .await
}

/// Alerts cleared before `cleared_before` (active alerts stay however old).
pub async fn delete_cleared_alerts(
    db: &impl ConnectionTrait,
    cleared_before: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    execute(
        db,
        "DELETE FROM alert WHERE id IN (SELECT id FROM alert WHERE cleared_at < $1 LIMIT $2)",
        [cleared_before.into(), limit(batch).into()],
    )
    .await
}

/// Commands that finished (succeeded, failed or were cancelled) before
/// `finished_before`, with their jobs, steps, locks and dependencies.
/// Unfinished commands stay however old.
pub async fn delete_finished_commands(
    db: &impl ConnectionTrait,
    finished_before: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    execute(
        db,
        "DELETE FROM command WHERE id IN (
             SELECT id FROM command
              WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < $1 LIMIT $2)",
        [finished_before.into(), limit(batch).into()],
    )
    .await
}

/// The tables of statistics samples, keyed by `series_id`; they have no
/// foreign key to `metric_series`, so deleting a series leaves its samples.
const SAMPLE_TABLES: [&str; 3] = ["metric_raw", "metric_minute", "metric_hour"];

/// Storage resources their plugin stopped reporting before
/// `removed_before`, with their relationships, statistics series and the
/// series' samples. The samples go first, at most `batch` per table per
/// call; the resources and series once none are left, so a series is
/// never deleted before its samples. Returns the rows deleted, resources
/// and samples.
pub async fn delete_removed_storage(
    db: &impl ConnectionTrait,
    removed_before: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    let mut samples = 0;
    let mut more_samples = false;
    for table in SAMPLE_TABLES {
        let n = execute(
            db,
            &format!(
                "DELETE FROM {table} WHERE (series_id, at) IN (
                     SELECT m.series_id, m.at
                       FROM {table} m
                       JOIN metric_series s ON s.id = m.series_id
                       JOIN storage_resource r ON s.object_kind = 'storage_resource' AND s.object_id = r.id
                      WHERE r.removed_at < $1
                      LIMIT $2)"
            ),
            [removed_before.into(), limit(batch).into()],
        )
        .await?;
        samples += n;
        more_samples |= n >= batch;
    }
    if more_samples {
        return Ok(samples);
    }
    let rows = query(
        db,
        "WITH gone AS (
             DELETE FROM storage_resource WHERE id IN (
                 SELECT id FROM storage_resource WHERE removed_at < $1 LIMIT $2)
             RETURNING id),
         series AS (
             DELETE FROM metric_series s USING gone
              WHERE s.object_kind = 'storage_resource' AND s.object_id = gone.id)
         SELECT count(*) AS n FROM gone",
        [removed_before.into(), limit(batch).into()],
    )
    .await?;
    let n: i64 = rows.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(samples + u64::try_from(n).unwrap_or(0))
}

/// Log lines Chroma received before `received_before`, whatever time
/// their server gave them.
pub async fn delete_log_lines(
    db: &impl ConnectionTrait,
    received_before: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    execute(
        db,
        "DELETE FROM log_line WHERE id IN (SELECT id FROM log_line WHERE received_at < $1 LIMIT $2)",
        [received_before.into(), limit(batch).into()],
    )
    .await
}
