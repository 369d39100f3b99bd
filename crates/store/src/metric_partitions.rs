//! The day partitions of `metric_raw` (migration
//! `m20261207_000043_partition_metric_raw`): one table per UTC day,
//! `metric_raw_YYYYMMDD`, and `metric_raw_default` for a sample whose day
//! has none yet. The monitor's expiry pass ([`crate::metrics::expire`])
//! creates the coming days ahead and drops the days past retention, so
//! expiring a day of samples is one `DROP TABLE`, not millions of deleted
//! rows.
//!
//! Samples land in the DEFAULT partition only when their day has no
//! partition: a monitor that was stopped across midnight for longer than
//! the days created ahead, or a sample stamped days away. Creating a day's
//! partition moves that day's rows out of DEFAULT into it; rows left in
//! DEFAULT past retention are deleted row by row.

use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::sql::{execute, query};

/// Days created ahead of today.
pub const DAYS_AHEAD: u64 = 2;

/// How long dropping a partition may wait for the table's lock before the
/// pass gives up until next time, so that a long query on `metric_raw` never
/// queues every writer and reader behind the drop.
const LOCK_TIMEOUT: &str = "5s";

/// Serialises partition changes between monitors: two creating the same
/// day at once would otherwise collide on the table's name.
const ADVISORY_KEY: i64 = 0x6d65_7472_6963_7261; // "metricra"

/// The partition of `day`.
pub fn partition_name(day: NaiveDate) -> String {
    format!("metric_raw_{}", day.format("%Y%m%d"))
}

/// The day a partition holds, from its name; `None` for DEFAULT and any
/// table not named by [`partition_name`].
fn day_of(name: &str) -> Option<NaiveDate> {
    let digits = name.strip_prefix("metric_raw_")?;
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| NaiveDate::parse_from_str(digits, "%Y%m%d").ok())
        .flatten()
}

/// `day`'s first instant, as a PostgreSQL literal.
fn bound(day: NaiveDate) -> String {
    format!("{} 00:00:00+00", day.format("%Y-%m-%d"))
}

/// Creates `day`'s partition unless it exists, moving the rows of that
/// day out of DEFAULT into it; returns whether it created it. Safe to
/// run from several monitors at once.
pub async fn create_day<C: ConnectionTrait + TransactionTrait>(db: &C, day: NaiveDate) -> Result<bool, DbErr> {
    let name = partition_name(day);
    let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
    let tx = db.begin().await?;
    execute(&tx, "SELECT pg_advisory_xact_lock($1)", [ADVISORY_KEY.into()]).await?;
    let exists = query(
        &tx,
        "SELECT to_regclass($1) IS NOT NULL AS present",
        [name.clone().into()],
    )
    .await?
    .first()
    .map(|r| r.try_get::<bool>("", "present"))
    .transpose()?
    .unwrap_or(false);
    if exists {
        tx.commit().await?;
        return Ok(false);
    }
    // A plain table first, filled from DEFAULT, then attached: created
    // directly as a partition, it would fail while DEFAULT holds rows of
    // its day.
    execute(
        &tx,
        &format!("CREATE TABLE {name} (LIKE metric_raw INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"),
        [],
    )
    .await?;
    execute(
        &tx,
        &format!(
            "WITH moved AS (
                 DELETE FROM metric_raw_default WHERE at >= $1::timestamptz AND at < $2::timestamptz
                 RETURNING series_id, at, value)
             INSERT INTO {name} (series_id, at, value) SELECT series_id, at, value FROM moved"
        ),
        [bound(day).into(), bound(next).into()],
    )
    .await?;
    execute(
        &tx,
        &format!(
            "ALTER TABLE metric_raw ATTACH PARTITION {name} FOR VALUES FROM ('{}') TO ('{}')",
            bound(day),
            bound(next)
        ),
        [],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Creates the partitions of the day of `now` and the [`DAYS_AHEAD`] days
/// after it that do not exist; returns how many it created.
pub async fn create_ahead<C: ConnectionTrait + TransactionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let today = now.date_naive();
    let mut created = 0;
    for ahead in 0..=DAYS_AHEAD {
        if let Some(day) = today.checked_add_days(Days::new(ahead)) {
            created += u64::from(create_day(db, day).await?);
        }
    }
    Ok(created)
}

/// What [`drop_before`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Whole day partitions dropped.
    pub partitions: u64,
    /// Their rows, as the planner last estimated them.
    pub estimated_rows: u64,
    /// Rows deleted from DEFAULT.
    pub default_rows: u64,
}

/// Drops every day partition whose whole day ended before `cutoff`, and
/// deletes DEFAULT's rows older than it. A partition whose lock cannot be
/// had within a few seconds is left for the next pass.
pub async fn drop_before<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cutoff: DateTime<Utc>,
) -> Result<Dropped, DbErr> {
    let rows = query(
        db,
        "SELECT c.relname::text AS name, greatest(c.reltuples, 0)::bigint AS rows
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'metric_raw'::regclass ORDER BY 1",
        [],
    )
    .await?;
    let mut dropped = Dropped::default();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let Some(day) = day_of(&name) else { continue };
        let Some(end) = day.checked_add_days(Days::new(1)) else {
            continue;
        };
        if end.and_time(chrono::NaiveTime::MIN).and_utc() > cutoff {
            continue;
        }
        let tx = db.begin().await?;
        execute(&tx, "SELECT pg_advisory_xact_lock($1)", [ADVISORY_KEY.into()]).await?;
        execute(&tx, &format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"), []).await?;
        match execute(&tx, &format!("DROP TABLE IF EXISTS {name}"), []).await {
            Ok(_) => {
                tx.commit().await?;
                dropped.partitions += 1;
                let estimate: i64 = row.try_get("", "rows")?;
                dropped.estimated_rows += u64::try_from(estimate).unwrap_or(0);
            }
            Err(e) if e.to_string().contains("lock timeout") => {
                tracing::warn!("left {name} for the next expiry pass: {e}");
                tx.rollback().await?;
            }
            Err(e) => return Err(e),
        }
    }
    dropped.default_rows = execute(db, "DELETE FROM metric_raw_default WHERE at < $1", [cutoff.into()]).await?;
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_is_named_by_its_day_and_read_back() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7);
        assert_eq!(day.map(partition_name).as_deref(), Some("metric_raw_20261207"));
        assert_eq!(day_of("metric_raw_20261207"), day);
        assert_eq!(day_of("metric_raw_default"), None);
        assert_eq!(day_of("metric_raw_2026120"), None);
    }
}
