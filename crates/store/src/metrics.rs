//! Writing statistics: samples of named metrics of hosts, targets and file
//! systems (see the `metric_*` tables), their per-minute and per-hour
//! rollups, and retention. Reading them is [`crate::metric_query`].

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

use crate::sql::{execute, query};

/// Raw samples are kept this long, then only the rollups.
pub const RAW_RETENTION: Duration = Duration::from_secs(24 * 3600);
/// Per-minute rollups are kept this long.
pub const MINUTE_RETENTION: Duration = Duration::from_secs(35 * 24 * 3600);
/// Per-hour rollups are kept this long.
pub const HOUR_RETENTION: Duration = Duration::from_secs(400 * 24 * 3600);
/// Per-job samples are kept this long.
pub const JOB_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// The kind of object a metric describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Host,
    Target,
    Filesystem,
    StorageResource,
}

impl ObjectKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Host => "host",
            ObjectKind::Target => "target",
            ObjectKind::Filesystem => "filesystem",
            ObjectKind::StorageResource => "storage_resource",
        }
    }
}

/// One metric of one object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    pub kind: ObjectKind,
    pub object_id: Uuid,
    pub name: String,
}

/// One value of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub key: SeriesKey,
    pub value: f64,
}

/// One job's I/O on one target over an interval, as rates.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSample {
    pub target_id: Uuid,
    pub job: String,
    pub read_bytes: f64,
    pub write_bytes: f64,
    pub ops: f64,
    /// The rates are over this many seconds before the sample's time.
    pub seconds: f64,
}

/// Writes samples, remembering the id of every series it has seen so a
/// steady stream costs one statement per batch.
#[derive(Debug, Default)]
pub struct Writer {
    series: HashMap<SeriesKey, i32>,
}

impl Writer {
    /// A writer that knows no series yet.
    pub fn new() -> Writer {
        Writer::default()
    }

    /// Stores `samples` taken at `at` (a sample already stored for a
    /// series at that instant is kept); returns how many rows were new.
    pub async fn write(
        &mut self,
        db: &impl ConnectionTrait,
        at: DateTime<Utc>,
        samples: &[Sample],
    ) -> Result<u64, DbErr> {
        self.resolve(db, samples.iter().map(|s| &s.key)).await?;
        let mut ids = Vec::with_capacity(samples.len());
        let mut values = Vec::with_capacity(samples.len());
        for sample in samples.iter().filter(|s| s.value.is_finite()) {
            if let Some(id) = self.series.get(&sample.key) {
                ids.push(*id);
                values.push(sample.value);
            }
        }
        if ids.is_empty() {
            return Ok(0);
        }
        execute(
            db,
            "INSERT INTO metric_raw (series_id, at, value)
             SELECT s, $2, v FROM unnest($1::integer[], $3::double precision[]) AS t(s, v)
             ON CONFLICT DO NOTHING",
            [ids.into(), at.into(), values.into()],
        )
        .await
    }

    /// Learns the ids of `keys`, creating the series that do not exist.
    async fn resolve<'k>(
        &mut self,
        db: &impl ConnectionTrait,
        keys: impl Iterator<Item = &'k SeriesKey>,
    ) -> Result<(), DbErr> {
        let mut missing: Vec<&SeriesKey> = keys.filter(|k| !self.series.contains_key(*k)).collect();
        missing.sort_by(|a, b| (a.kind.as_str(), a.object_id, &a.name).cmp(&(b.kind.as_str(), b.object_id, &b.name)));
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        let kinds: Vec<String> = missing.iter().map(|k| k.kind.as_str().to_owned()).collect();
        let objects: Vec<Uuid> = missing.iter().map(|k| k.object_id).collect();
        let names: Vec<String> = missing.iter().map(|k| k.name.clone()).collect();
        execute(
            db,
            "INSERT INTO metric_series (object_kind, object_id, name)
             SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[])
             ON CONFLICT DO NOTHING",
            [kinds.clone().into(), objects.clone().into(), names.clone().into()],
        )
        .await?;
        let rows = query(
            db,
            "SELECT s.id, s.object_kind, s.object_id, s.name FROM metric_series s
             JOIN unnest($1::text[], $2::uuid[], $3::text[]) AS t(k, o, n)
               ON s.object_kind = t.k AND s.object_id = t.o AND s.name = t.n",
            [kinds.into(), objects.into(), names.into()],
        )
        .await?;
        for row in rows {
            let kind: String = row.try_get("", "object_kind")?;
            let kind = match kind.as_str() {
                "host" => ObjectKind::Host,
                "target" => ObjectKind::Target,
                _ => ObjectKind::Filesystem,
            };
            let key = SeriesKey {
                kind,
                object_id: row.try_get("", "object_id")?,
                name: row.try_get("", "name")?,
            };
            self.series.insert(key, row.try_get("", "id")?);
        }
        Ok(())
    }
}

/// Stores per-job samples taken at `at`.
pub async fn write_jobs(db: &impl ConnectionTrait, at: DateTime<Utc>, jobs: &[JobSample]) -> Result<u64, DbErr> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let targets: Vec<Uuid> = jobs.iter().map(|j| j.target_id).collect();
    let names: Vec<String> = jobs.iter().map(|j| j.job.clone()).collect();
    let reads: Vec<f64> = jobs.iter().map(|j| j.read_bytes).collect();
    let writes: Vec<f64> = jobs.iter().map(|j| j.write_bytes).collect();
    let ops: Vec<f64> = jobs.iter().map(|j| j.ops).collect();
    let seconds: Vec<f64> = jobs.iter().map(|j| j.seconds).collect();
    execute(
        db,
        "INSERT INTO metric_job (target_id, at, job, read_bytes, write_bytes, ops, seconds)
         SELECT t, $2, j, r, w, o, s
         FROM unnest($1::uuid[], $3::text[], $4::double precision[], $5::double precision[], $6::double precision[],
                     $7::double precision[])
              AS x(t, j, r, w, o, s)
         ON CONFLICT DO NOTHING",
        [
            targets.into(),
            at.into(),
            names.into(),
            reads.into(),
            writes.into(),
            ops.into(),
            seconds.into(),
        ],
    )
    .await
}

/// Rolls raw samples up into minutes and minutes into hours, for every
/// whole bucket that ended more than `settle` ago (samples may arrive that
/// late). Each rollup is one transaction that moves its watermark, so a
/// crash repeats at most the last step, which rewrites the same rows.
/// Returns the rows written (minutes, hours).
pub async fn roll_up<C: ConnectionTrait + TransactionTrait>(db: &C, settle: Duration) -> Result<(u64, u64), DbErr> {
    let settle = settle.as_secs_f64();
    let minutes = roll(
        db,
        "minute",
        "INSERT INTO metric_minute (series_id, at, value, min, max, samples)
         SELECT series_id, date_trunc('minute', at), avg(value), min(value), max(value), count(*)
         FROM metric_raw WHERE at >= $1 AND at < $2 GROUP BY 1, 2
         ON CONFLICT (series_id, at) DO UPDATE SET value = excluded.value, min = excluded.min,
             max = excluded.max, samples = excluded.samples",
        &format!("date_trunc('minute', now() - make_interval(secs => {settle}))"),
        "date_trunc('minute', now() - interval '1 day')",
    )
    .await?;
    let hours = roll(
        db,
        "hour",
        "INSERT INTO metric_hour (series_id, at, value, min, max, samples)
         SELECT series_id, date_trunc('hour', at), sum(value * samples) / sum(samples), min(min), max(max),
                sum(samples)
         FROM metric_minute WHERE at >= $1 AND at < $2 GROUP BY 1, 2
         ON CONFLICT (series_id, at) DO UPDATE SET value = excluded.value, min = excluded.min,
             max = excluded.max, samples = excluded.samples",
        "date_trunc('hour', (SELECT upto FROM metric_rollup WHERE name = 'minute'))",
        "date_trunc('hour', now() - interval '35 days')",
    )
    .await?;
    Ok((minutes, hours))
}

/// One rollup from its watermark to `until_sql` (an SQL expression).
async fn roll<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    name: &str,
    insert: &str,
    until_sql: &str,
    first_sql: &str,
) -> Result<u64, DbErr> {
    let tx = db.begin().await?;
    let rows = query(
        &tx,
        &format!(
            "INSERT INTO metric_rollup (name, upto) VALUES ($1, {first_sql})
             ON CONFLICT (name) DO UPDATE SET upto = metric_rollup.upto
             RETURNING upto, {until_sql} AS until"
        ),
        [name.into()],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(0);
    };
    let from: DateTime<Utc> = row.try_get("", "upto")?;
    let until: Option<DateTime<Utc>> = row.try_get("", "until")?;
    let Some(until) = until.filter(|u| *u > from) else {
        tx.commit().await?;
        return Ok(0);
    };
    let written = execute(&tx, insert, [from.into(), until.into()]).await?;
    execute(
        &tx,
        "UPDATE metric_rollup SET upto = $2 WHERE name = $1",
        [name.into(), until.into()],
    )
    .await?;
    tx.commit().await?;
    Ok(written)
}

/// Deletes what is older than its retention; returns the rows deleted.
/// Raw samples go a whole UTC day at a time: a day's partition is dropped
/// once the day ended more than [`RAW_RETENTION`] ago (so raw samples are
/// kept between one and two days), and its rows are counted by the
/// planner's estimate. The same pass creates the partitions of today and
/// the next days ahead ([`crate::metric_partitions`]).
/// (Log lines expire by the time Chroma received them: `store::retention`.)
pub async fn expire<C: ConnectionTrait + TransactionTrait>(db: &C) -> Result<u64, DbErr> {
    let now = Utc::now();
    crate::metric_partitions::create_ahead(db, now).await?;
    let raw_cutoff = now - chrono::Duration::from_std(RAW_RETENTION).unwrap_or(chrono::Duration::days(1));
    let raw = crate::metric_partitions::drop_before(db, raw_cutoff).await?;
    let mut deleted = raw.estimated_rows + raw.default_rows;
    for (table, keep) in [
        ("metric_minute", MINUTE_RETENTION),
        ("metric_hour", HOUR_RETENTION),
        ("metric_job", JOB_RETENTION),
    ] {
        deleted += execute(
            db,
            &format!("DELETE FROM {table} WHERE at < now() - make_interval(secs => $1)"),
            [keep.as_secs_f64().into()],
        )
        .await?;
    }
    Ok(deleted)
}

/// Writes a day of random per-minute history (and its hourly roll-up)
/// for every file system's `filesystem_metrics` and every OST's space and
/// bandwidth, marks both roll-ups done up to now, and analyzes the tables
/// (a benchmark's fixture). Returns the minute and hour rows written.
pub async fn seed_random_day(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_metrics: &[String],
) -> Result<u64, sea_orm::DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO metric_series (object_kind, object_id, name)
         SELECT 'filesystem', f.id, n FROM filesystem f, unnest($1::text[]) n
         UNION ALL
         SELECT 'target', t.id, n FROM target t,
                unnest(ARRAY['read_bytes', 'write_bytes', 'space_used', 'space_total']) n WHERE t.kind = 'ost'",
        [filesystem_metrics.to_vec().into()],
    )
    .await?;
    let rows = crate::sql::execute(
        db,
        "INSERT INTO metric_minute (series_id, at, value, min, max, samples)
         SELECT s.id, m, random() * 1e9, 0, 2e9, 6
         FROM metric_series s,
              generate_series(date_trunc('minute', now() - interval '24 hours'),
                              date_trunc('minute', now()) - interval '1 minute', interval '1 minute') m",
        [],
    )
    .await?;
    let hours = crate::sql::execute(
        db,
        "INSERT INTO metric_hour (series_id, at, value, min, max, samples)
         SELECT series_id, date_trunc('hour', at), avg(value), min(min), max(max), sum(samples)
         FROM metric_minute WHERE at < date_trunc('hour', now()) GROUP BY 1, 2",
        [],
    )
    .await?;
    crate::sql::execute(
        db,
        "INSERT INTO metric_rollup (name, upto)
         VALUES ('minute', date_trunc('minute', now())), ('hour', date_trunc('hour', now()))
         ON CONFLICT (name) DO UPDATE SET upto = excluded.upto",
        [],
    )
    .await?;
    crate::sql::execute(db, "ANALYZE", []).await?;
    Ok(rows + hours)
}
