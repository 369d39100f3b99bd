//! The monitor's time series: the name and unit of every metric (the
//! monitor names its series from this table, the API checks requests
//! against it), and the reads behind the charts, each one SQL statement.
//!
//! Samples live in `metric_raw` (kept a day), rolled up into
//! `metric_minute` (kept 35 days) and `metric_hour`. A chart
//! asks for a time range and at most so many points; [`Window::plan`]
//! turns that into a bucket width and the coarsest table fine enough for it,
//! and [`series`] reads the buckets, taking the part of the range that a
//! rollup has not reached yet from the finer tables, so the live edge shows.
//!
//! A file system's series are stored like any other: the monitor derives
//! them from its targets' samples at collection time (see [`FromTargets`]).

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use uuid::Uuid;

pub use crate::metrics::ObjectKind;
use crate::metrics::{MINUTE_RETENTION, RAW_RETENTION};
use crate::sql::query;

/// The narrowest bucket a chart gets: about one collection interval.
pub const MIN_BUCKET_SECONDS: i64 = 10;

/// Bytes (space, memory).
pub const BYTES: &str = "bytes";
/// A number of things (inodes, clients).
pub const COUNT: &str = "count";
/// Bytes per second (bandwidth).
pub const BYTES_PER_SECOND: &str = "bytes/s";
/// Operations per second.
pub const OPS_PER_SECOND: &str = "ops/s";
/// LNet messages per second.
pub const MESSAGES_PER_SECOND: &str = "msgs/s";
/// Percent of the whole (CPU time).
pub const PERCENT: &str = "percent";

/// The table the objects of `kind` live in.
fn object_table(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Host => "host",
        ObjectKind::Target => "target",
        ObjectKind::Filesystem => "filesystem",
        ObjectKind::StorageResource => "storage_resource",
    }
}

/// How a file system's value of a metric combines its targets' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    Sum,
    Max,
}

/// Which targets of a file system the monitor derives a metric of the file
/// system from, and how it combines their values at each collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FromTargets {
    /// `ost` or `mdt`.
    pub target_kind: &'static str,
    pub combine: Combine,
}

/// One metric: its series name, unit, and for target metrics how a file
/// system derives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    /// `None` for host metrics.
    pub from_targets: Option<FromTargets>,
}

const fn target(name: &'static str, unit: &'static str, target_kind: &'static str, combine: Combine) -> Metric {
    Metric {
        name,
        unit,
        from_targets: Some(FromTargets { target_kind, combine }),
    }
}

const fn host(name: &'static str, unit: &'static str) -> Metric {
    Metric {
        name,
        unit,
        from_targets: None,
    }
}

/// A metadata-operation rate of an MDT, `md_ops_<op>`.
macro_rules! md_op {
    ($op:literal) => {
        target(concat!("md_ops_", $op), OPS_PER_SECOND, "mdt", Combine::Sum)
    };
}

/// The metadata operations counted per type (`md_ops_<op>`), as the MDT's
/// `md_stats` names them.
pub const MD_OPS: [&str; 14] = [
    "open", "close", "mknod", "link", "unlink", "mkdir", "rmdir", "rename", "getattr", "setattr", "getxattr",
    "setxattr", "statfs", "sync",
];

/// Metrics of a target, and of a file system (from its targets).
pub const TARGET_METRICS: [Metric; 26] = [
    target("space_total", BYTES, "ost", Combine::Sum),
    target("space_free", BYTES, "ost", Combine::Sum),
    target("space_avail", BYTES, "ost", Combine::Sum),
    target("space_used", BYTES, "ost", Combine::Sum),
    target("inodes_total", COUNT, "mdt", Combine::Sum),
    target("inodes_free", COUNT, "mdt", Combine::Sum),
    target("inodes_used", COUNT, "mdt", Combine::Sum),
    target("read_bytes", BYTES_PER_SECOND, "ost", Combine::Sum),
    target("write_bytes", BYTES_PER_SECOND, "ost", Combine::Sum),
    target("read_iops", OPS_PER_SECOND, "ost", Combine::Sum),
    target("write_iops", OPS_PER_SECOND, "ost", Combine::Sum),
    target("clients", COUNT, "mdt", Combine::Max),
    md_op!("open"),
    md_op!("close"),
    md_op!("mknod"),
    md_op!("link"),
    md_op!("unlink"),
    md_op!("mkdir"),
    md_op!("rmdir"),
    md_op!("rename"),
    md_op!("getattr"),
    md_op!("setattr"),
    md_op!("getxattr"),
    md_op!("setxattr"),
    md_op!("statfs"),
    md_op!("sync"),
];

/// Metrics of a host.
pub const HOST_METRICS: [Metric; 13] = [
    host("cpu_user", PERCENT),
    host("cpu_system", PERCENT),
    host("cpu_iowait", PERCENT),
    host("cpu_used", PERCENT),
    host("mem_total", BYTES),
    host("mem_free", BYTES),
    host("mem_used", BYTES),
    // Memory the Lustre modules hold (`lctl get_param memused`).
    host("lustre_mem_used", BYTES),
    host("lnet_send", MESSAGES_PER_SECOND),
    host("lnet_recv", MESSAGES_PER_SECOND),
    host("lnet_drop", MESSAGES_PER_SECOND),
    host("lnet_send_bytes", BYTES_PER_SECOND),
    host("lnet_recv_bytes", BYTES_PER_SECOND),
];

/// The metrics an object of `kind` has.
pub fn metrics(kind: ObjectKind) -> &'static [Metric] {
    match kind {
        ObjectKind::Host => &HOST_METRICS,
        ObjectKind::Target | ObjectKind::Filesystem => &TARGET_METRICS,
        // Declared by each plugin's classes, not known here.
        ObjectKind::StorageResource => &[],
    }
}

/// The metric `name` of an object of `kind`, if there is one.
pub fn metric(kind: ObjectKind, name: &str) -> Option<&'static Metric> {
    metrics(kind).iter().find(|m| m.name == name)
}

/// The sample table buckets are read from (plus finer ones for the part of
/// the range its rollup has not reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Raw,
    Minute,
    Hour,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Raw => "raw",
            Resolution::Minute => "minute",
            Resolution::Hour => "hour",
        }
    }
}

/// The time range of a chart cut into buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start of the first bucket (included).
    pub begin: DateTime<Utc>,
    /// End of the range (excluded).
    pub end: DateTime<Utc>,
    /// Bucket width in whole seconds.
    pub width_seconds: i64,
    pub resolution: Resolution,
}

impl Window {
    /// Buckets for `[begin, end)` (`begin < end`) in at most `max_points`
    /// (at least 1): the width is the range over `max_points`, rounded up to
    /// whole seconds and at least [`MIN_BUCKET_SECONDS`]. Buckets under a
    /// minute read `metric_raw`, under an hour `metric_minute`, others
    /// `metric_hour`; but a table whose retention (counted back from `now`)
    /// does not reach `begin` gives way to the next coarser one.
    pub fn plan(begin: DateTime<Utc>, end: DateTime<Utc>, max_points: u32, now: DateTime<Utc>) -> Self {
        let span_ms = (end - begin).num_milliseconds().max(1);
        let per_point_ms = i64::from(max_points.max(1)) * 1000;
        let width_seconds = ((span_ms + per_point_ms - 1) / per_point_ms).max(MIN_BUCKET_SECONDS);
        let mut resolution = match width_seconds {
            w if w < 60 => Resolution::Raw,
            w if w < 3600 => Resolution::Minute,
            _ => Resolution::Hour,
        };
        // Whether a table keeping `retention` has lost samples from `begin`.
        let lost = |retention: std::time::Duration| {
            TimeDelta::from_std(retention)
                .ok()
                .and_then(|kept| now.checked_sub_signed(kept))
                .is_some_and(|oldest| begin < oldest)
        };
        if resolution == Resolution::Raw && lost(RAW_RETENTION) {
            resolution = Resolution::Minute;
        }
        if resolution == Resolution::Minute && lost(MINUTE_RETENTION) {
            resolution = Resolution::Hour;
        }
        Self {
            begin,
            end,
            width_seconds,
            resolution,
        }
    }
}

/// How the objects' series combine into one per metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// The sum of the objects' bucket averages.
    Sum,
    /// The mean of the objects' bucket averages.
    Average,
}

/// Which objects a request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objects<'a> {
    /// One object by id.
    One(Uuid),
    /// Every object of the kind that has samples in the range; for targets
    /// optionally only those of one file system and of one kind.
    All {
        filesystem_id: Option<Uuid>,
        target_kind: Option<&'a str>,
    },
}

/// What a chart asks for.
#[derive(Debug, Clone)]
pub struct SeriesRequest<'a> {
    pub kind: ObjectKind,
    pub objects: Objects<'a>,
    /// Metrics of `kind` (see [`metric`]), at least one.
    pub metrics: Vec<&'static Metric>,
    pub window: Window,
    /// `None`: one series per object and metric.
    pub reduce: Option<Reduce>,
}

/// One series of bucket averages, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// `None` when objects were reduced into one series.
    pub object_id: Option<Uuid>,
    pub metric: &'static Metric,
    /// `(bucket start, value)`; buckets without samples are left out.
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// The sample rows (`at, value`) of the series `s.id` in `[$6, $7)` in
/// `resolution`: a rollup table holds only buckets before its
/// `metric_rollup.upto`, so the rest of the range comes from the finer
/// tables.
fn samples_sql(resolution: Resolution) -> String {
    // One series' time range by primary key (`(series_id, at)`, which also
    // carries `value`, so the scan need not visit the table). Joined to all
    // the series at once instead, the planner cannot tell how few series
    // match and reads the time range of every series.
    let from = |table: &str, lower: &str, upper: &str| {
        format!("SELECT x.at, x.value FROM {table} x WHERE x.series_id = s.id AND x.at >= {lower} AND x.at < {upper}")
    };
    let (mu, hu) = ("(SELECT mu FROM upto)", "(SELECT hu FROM upto)");
    match resolution {
        Resolution::Raw => from("metric_raw", "$6", "$7"),
        Resolution::Minute => [
            from("metric_minute", "$6", &format!("LEAST($7, {mu})")),
            from("metric_raw", &format!("GREATEST($6, {mu})"), "$7"),
        ]
        .join(" UNION ALL "),
        Resolution::Hour => [
            from("metric_hour", "$6", &format!("LEAST($7, {hu})")),
            from(
                "metric_minute",
                &format!("GREATEST($6, {hu})"),
                &format!("LEAST($7, {mu})"),
            ),
            from("metric_raw", &format!("GREATEST($6, {hu}, {mu})"), "$7"),
        ]
        .join(" UNION ALL "),
    }
}

/// The statement behind [`series`]. Parameters: `$1` to `$5` as in
/// [`series_filter`], `$6` begin, `$7` end, `$8` bucket width in seconds.
///
/// Each series is bucketed on its own (a lateral subquery per series, so
/// each reads its rows by primary key and sorts only its own buckets), and
/// a result row carries a whole series as two arrays, `buckets` and
/// `averages`, in the same (unspecified) order: a heat map of 2,000 OSTs
/// returns 2,000 rows rather than 120,000.
fn series_sql(request: &SeriesRequest<'_>) -> String {
    let series = series_filter(request.kind);
    // The bucket averages of the series `s`.
    let buckets = format!(
        "SELECT date_bin($8::bigint * interval '1 second', x.at, $6) AS bucket, avg(x.value) AS value
         FROM ({}) AS x GROUP BY 1",
        samples_sql(request.window.resolution)
    );
    let result = match request.reduce {
        None => format!(
            "SELECT s.object_id, s.name, b.buckets, b.averages FROM series s
             CROSS JOIN LATERAL (
                 SELECT array_agg(p.bucket) AS buckets, array_agg(p.value) AS averages FROM ({buckets}) AS p
             ) AS b
             WHERE b.buckets IS NOT NULL"
        ),
        Some(reduce) => {
            let f = match reduce {
                Reduce::Sum => "sum",
                Reduce::Average => "avg",
            };
            format!(
                "SELECT NULL::uuid, r.name, array_agg(r.bucket), array_agg(r.value)
                 FROM (
                     SELECT s.name, p.bucket, {f}(p.value) AS value
                     FROM series s CROSS JOIN LATERAL ({buckets}) AS p
                     GROUP BY s.name, p.bucket
                 ) AS r
                 GROUP BY r.name"
            )
        }
    };
    // A row of NULLs says that the one object asked for does not exist.
    let missing = format!(
        "SELECT NULL::uuid, NULL::text, NULL::timestamptz[], NULL::float8[]
         WHERE $2::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} WHERE id = $2)",
        object_table(request.kind)
    );
    format!(
        "WITH upto AS (
             SELECT COALESCE((SELECT upto FROM metric_rollup WHERE name = 'minute'), '-infinity') AS mu,
                    COALESCE((SELECT upto FROM metric_rollup WHERE name = 'hour'), '-infinity') AS hu
         ),
         series AS ({series})
         SELECT object_id, name, buckets, averages FROM ({result}) AS r(object_id, name, buckets, averages)
         UNION ALL {missing}
         ORDER BY 1, 2"
    )
}

/// Most sample rows a chart may read: beyond it, [`fit`] reads a coarser
/// table (about 150 ms of PostgreSQL time on the benchmark machine).
pub const ROW_BUDGET: i64 = 200_000;

/// Seconds between the rows of one series in a table (raw: a sample per
/// default monitoring interval).
fn row_seconds(resolution: Resolution) -> i64 {
    match resolution {
        Resolution::Raw => 10,
        Resolution::Minute => 60,
        Resolution::Hour => 3600,
    }
}

impl Window {
    /// This range read from coarser tables until `series` series of it fit
    /// [`ROW_BUDGET`] rows (the hour table always answers); buckets are
    /// never finer than the table's rows.
    pub fn within_budget(mut self, series: i64) -> Window {
        let span = (self.end - self.begin).num_seconds().max(1);
        while self.resolution != Resolution::Hour && series * (span / row_seconds(self.resolution)) > ROW_BUDGET {
            self.resolution = match self.resolution {
                Resolution::Raw => Resolution::Minute,
                _ => Resolution::Hour,
            };
            self.width_seconds = self.width_seconds.max(row_seconds(self.resolution));
        }
        self
    }
}

/// `request` with a window that keeps it within [`ROW_BUDGET`]: a chart of
/// every OST over a day reads hourly rows rather than 1.4 million minutes.
/// One object's series always fit.
pub async fn fit<'a>(db: &impl ConnectionTrait, mut request: SeriesRequest<'a>) -> Result<SeriesRequest<'a>, DbErr> {
    let Objects::All {
        filesystem_id,
        target_kind,
    } = request.objects
    else {
        return Ok(request);
    };
    let names: Vec<String> = request.metrics.iter().map(|m| m.name.to_owned()).collect();
    let rows = query(
        db,
        &format!("SELECT count(*) AS n FROM ({}) AS series", series_filter(request.kind)),
        [
            names.into(),
            Option::<Uuid>::None.into(),
            request.kind.as_str().into(),
            filesystem_id.into(),
            target_kind.map(str::to_owned).into(),
        ],
    )
    .await?;
    let count: i64 = rows.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    request.window = request.window.within_budget(count);
    Ok(request)
}

/// The series of a request: `$1` metric names, `$2` the one object (or
/// NULL), `$3` the object kind, `$4` file system and `$5` target kind.
fn series_filter(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Target => {
            "SELECT s.id, s.object_id, s.name FROM metric_series s
             JOIN target t ON t.id = s.object_id
             WHERE s.object_kind = $3 AND s.name = ANY($1::text[]) AND ($2::uuid IS NULL OR s.object_id = $2)
               AND ($4::uuid IS NULL OR t.filesystem_id = $4) AND ($5::text IS NULL OR t.kind = $5)"
        }
        ObjectKind::Host | ObjectKind::Filesystem | ObjectKind::StorageResource => {
            "SELECT s.id, s.object_id, s.name FROM metric_series s
             WHERE s.object_kind = $3 AND s.name = ANY($1::text[]) AND ($2::uuid IS NULL OR s.object_id = $2)
               AND $4::uuid IS NULL AND $5::text IS NULL"
        }
    }
}

/// Reads the bucket averages of `request`; `None` when the one object it
/// names does not exist. For one object, or reduced, there is one series
/// per metric asked for, in that order (empty without samples); otherwise
/// one per object and metric with samples in the range, by object.
#[tracing::instrument(skip_all, fields(kind = request.kind.as_str()))]
pub async fn series(db: &impl ConnectionTrait, request: &SeriesRequest<'_>) -> Result<Option<Vec<Series>>, DbErr> {
    let names: Vec<String> = request.metrics.iter().map(|m| m.name.to_owned()).collect();
    let (one, filesystem_id, target_kind) = match request.objects {
        Objects::One(id) => (Some(id), None, None),
        Objects::All {
            filesystem_id,
            target_kind,
        } => (None, filesystem_id, target_kind.map(str::to_owned)),
    };
    let window = request.window;
    let rows = query(
        db,
        &series_sql(request),
        [
            names.into(),
            one.into(),
            request.kind.as_str().into(),
            filesystem_id.into(),
            target_kind.into(),
            window.begin.into(),
            window.end.into(),
            window.width_seconds.into(),
        ],
    )
    .await?;
    let mut out: Vec<Series> = Vec::new();
    if one.is_some() || request.reduce.is_some() {
        out.extend(request.metrics.iter().map(|metric| Series {
            object_id: one,
            metric,
            points: Vec::new(),
        }));
    }
    for row in &rows {
        let Some(name) = row.try_get::<Option<String>>("", "name")? else {
            return Ok(None);
        };
        push_series(&mut out, request, row, &name)?;
    }
    Ok(Some(out))
}

/// Adds one result row, a whole series (`buckets` and `averages`), to `out`:
/// rows come ordered by object and name.
fn push_series(out: &mut Vec<Series>, request: &SeriesRequest<'_>, row: &QueryResult, name: &str) -> Result<(), DbErr> {
    let object_id: Option<Uuid> = row.try_get("", "object_id")?;
    let buckets: Vec<DateTime<Utc>> = row.try_get::<Option<_>>("", "buckets")?.unwrap_or_default();
    let averages: Vec<f64> = row.try_get::<Option<_>>("", "averages")?.unwrap_or_default();
    let Some(metric) = request.metrics.iter().copied().find(|m| m.name == name) else {
        return Ok(());
    };
    // A NaN or infinite average has no JSON form.
    let mut points: Vec<(DateTime<Utc>, f64)> = buckets
        .into_iter()
        .zip(averages)
        .filter(|(_, value)| value.is_finite())
        .collect();
    points.sort_by_key(|(bucket, _)| *bucket);
    let fixed = matches!(request.objects, Objects::One(_)) || request.reduce.is_some();
    match out.iter_mut().find(|s| fixed && s.metric.name == name) {
        Some(series) => series.points = points,
        // An object's series is listed when it has a point to show.
        None if !points.is_empty() => out.push(Series {
            object_id,
            metric,
            points,
        }),
        None => {}
    }
    Ok(())
}

/// Whose jobs [`top_jobs`] ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobScope {
    /// The targets of a file system, or only `target_id` among them.
    Filesystem { id: Uuid, target_id: Option<Uuid> },
    /// One target.
    Target(Uuid),
}

/// One job's I/O over a time range, estimated from `metric_job`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobUsage {
    /// The job id as Lustre's `job_stats` names it.
    pub job: String,
    pub read_bytes: f64,
    pub write_bytes: f64,
    pub ops: f64,
}

/// The jobs that moved the most bytes (read + write) in `[begin, end)`,
/// at most `limit`, most first; `None` when the file system or target does
/// not exist.
///
/// `metric_job` holds per-second rates with the seconds each one covers
/// (since the previous reading of that job on that target): a job's bytes
/// are the sum of rate × seconds.
#[tracing::instrument(skip_all)]
pub async fn top_jobs(
    db: &impl ConnectionTrait,
    scope: JobScope,
    begin: DateTime<Utc>,
    end: DateTime<Utc>,
    limit: u64,
) -> Result<Option<Vec<JobUsage>>, DbErr> {
    let (table, id, target_id, targets) = match scope {
        JobScope::Filesystem { id, target_id } => (
            "filesystem",
            id,
            target_id,
            "j.target_id IN (SELECT id FROM target WHERE filesystem_id = $1) AND ($2::uuid IS NULL OR j.target_id = $2)",
        ),
        JobScope::Target(id) => ("target", id, None, "j.target_id = $1 AND $2::uuid IS NULL"),
    };
    let sql = format!(
        "WITH jobs AS (
             SELECT j.job,
                    sum(j.read_bytes * j.seconds) AS read_bytes,
                    sum(j.write_bytes * j.seconds) AS write_bytes,
                    sum(j.ops * j.seconds) AS ops
             FROM metric_job j
             WHERE {targets} AND j.at >= $3 AND j.at < $4
             GROUP BY j.job
             ORDER BY sum((j.read_bytes + j.write_bytes) * j.seconds) DESC, j.job
             LIMIT $5
         )
         SELECT found.found, jobs.* FROM (SELECT EXISTS (SELECT 1 FROM {table} WHERE id = $1) AS found) AS found
         LEFT JOIN jobs ON true"
    );
    let rows = query(
        db,
        &sql,
        [
            id.into(),
            target_id.into(),
            begin.into(),
            end.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    )
    .await?;
    let mut jobs = Vec::new();
    for row in &rows {
        if !row.try_get::<bool>("", "found")? {
            return Ok(None);
        }
        let Some(job) = row.try_get::<Option<String>>("", "job")? else {
            continue;
        };
        let number = |column: &str| -> Result<f64, DbErr> {
            Ok(row
                .try_get::<Option<f64>>("", column)?
                .filter(|v| v.is_finite())
                .unwrap_or(0.0))
        };
        jobs.push(JobUsage {
            job,
            read_bytes: number("read_bytes")?,
            write_bytes: number("write_bytes")?,
            ops: number("ops")?,
        });
    }
    jobs.sort_by(|a, b| {
        (b.read_bytes + b.write_bytes)
            .total_cmp(&(a.read_bytes + a.write_bytes))
            .then_with(|| a.job.cmp(&b.job))
    });
    Ok(Some(jobs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn the_window_picks_width_and_table() {
        let now = at("2026-06-01T12:00:00Z");
        let hour_ago = now - TimeDelta::hours(1);
        // An hour in 300 points: 12 s buckets from the raw samples.
        let w = Window::plan(hour_ago, now, 300, now);
        assert_eq!((w.width_seconds, w.resolution), (12, Resolution::Raw));
        // Never narrower than 10 s.
        let w = Window::plan(now - TimeDelta::minutes(5), now, 5000, now);
        assert_eq!(w.width_seconds, 10);
        // A day in 300 points: 288 s buckets from minutes.
        let w = Window::plan(now - TimeDelta::days(1), now, 300, now);
        assert_eq!((w.width_seconds, w.resolution), (288, Resolution::Minute));
        // A week: 2016 s, still minutes; 60 points of a week: hours.
        let w = Window::plan(now - TimeDelta::days(7), now, 300, now);
        assert_eq!(w.resolution, Resolution::Minute);
        let w = Window::plan(now - TimeDelta::days(7), now, 60, now);
        assert_eq!((w.width_seconds, w.resolution), (10_080, Resolution::Hour));
        // Two days ago is past the raw retention: minutes, although fine.
        let begin = now - TimeDelta::days(2);
        let w = Window::plan(begin, begin + TimeDelta::minutes(10), 300, now);
        assert_eq!((w.width_seconds, w.resolution), (10, Resolution::Minute));
        // Forty days ago is past the minutes' retention too.
        let begin = now - TimeDelta::days(40);
        let w = Window::plan(begin, begin + TimeDelta::minutes(10), 300, now);
        assert_eq!(w.resolution, Resolution::Hour);
        // The buckets never outnumber max_points.
        let w = Window::plan(hour_ago, now + TimeDelta::milliseconds(1), 7, now);
        assert!(3600 / w.width_seconds <= 7 && 3601 / w.width_seconds <= 7, "{w:?}");
    }

    #[test]
    fn every_metric_is_named_once_with_a_unit() {
        for kind in [ObjectKind::Host, ObjectKind::Target] {
            let all = metrics(kind);
            for (i, m) in all.iter().enumerate() {
                assert!(all[..i].iter().all(|o| o.name != m.name), "{} twice", m.name);
                assert!(!m.unit.is_empty());
                assert_eq!(m.from_targets.is_some(), kind == ObjectKind::Target, "{}", m.name);
            }
        }
        assert!(MD_OPS
            .iter()
            .all(|op| metric(ObjectKind::Filesystem, &format!("md_ops_{op}")).is_some()));
        assert_eq!(
            metric(ObjectKind::Filesystem, "clients").and_then(|m| m.from_targets),
            Some(FromTargets {
                target_kind: "mdt",
                combine: Combine::Max
            })
        );
        assert!(metric(ObjectKind::Host, "space_free").is_none());
    }

    #[test]
    fn each_resolution_reads_its_tables_up_to_the_rollups() {
        let raw = samples_sql(Resolution::Raw);
        assert!(raw.contains("metric_raw") && !raw.contains("metric_minute"));
        let minute = samples_sql(Resolution::Minute);
        assert!(minute.contains("metric_minute") && minute.contains("GREATEST($6, (SELECT mu FROM upto))"));
        let hour = samples_sql(Resolution::Hour);
        assert!(hour.contains("metric_hour") && hour.contains("metric_minute") && hour.contains("metric_raw"));
    }

    #[test]
    fn many_series_read_coarser_tables() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let day = Window::plan(now - TimeDelta::hours(24), now, 96, now);
        assert_eq!((day.resolution, day.width_seconds), (Resolution::Minute, 900));
        // One series: 1,440 minutes is nothing.
        assert_eq!(day.within_budget(1), day);
        // A heat map of 1,000 OSTs: 1.44 million minutes, read as hours.
        let heat = day.within_budget(1000);
        assert_eq!((heat.resolution, heat.width_seconds), (Resolution::Hour, 3600));
        let hour = Window::plan(now - TimeDelta::hours(1), now, 360, now);
        assert_eq!(hour.resolution, Resolution::Raw);
        assert_eq!(hour.within_budget(1000).resolution, Resolution::Minute);
    }
}
