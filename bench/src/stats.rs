//! What a run measured, read from the bench database once every command
//! finished: step timestamps give throughput, per-stage latencies, and —
//! since `now()` is fixed per statement — how many steps each worker and
//! scheduler statement handled at once.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pcts {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Pcts {
    /// Percentiles of `values` (sorted in place); zeros when empty.
    pub fn of(values: &mut [f64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        Self {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: at(1.0),
            mean,
        }
    }

    pub fn json(&self) -> Value {
        json!({ "p50": self.p50, "p90": self.p90, "p99": self.p99, "max": self.max, "mean": self.mean })
    }
}

impl std::fmt::Display for Pcts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}  (mean {:.1}) ms",
            self.p50, self.p90, self.p99, self.max, self.mean
        )
    }
}

/// The stages of a step's life, as expressions over `step` (alias `s`)
/// with `prev_finished` (the previous step of its job) and `job_created`.
pub const STAGES: [(&str, &str, &str); 4] = [
    (
        "dispatch",
        "step ready → started (queued_at → started_at)",
        "s.started_at - s.queued_at",
    ),
    (
        "run",
        "started → result recorded (started_at → finished_at)",
        "s.finished_at - s.started_at",
    ),
    (
        "handoff",
        "previous step recorded → next queued",
        "s.queued_at - s.prev_finished",
    ),
    (
        "grant",
        "job submitted → first step queued",
        "CASE WHEN s.idx = 0 THEN s.queued_at - s.job_created END",
    ),
];

/// Every step's time span and outcome.
pub struct Span {
    pub steps: i64,
    pub succeeded: i64,
    pub first_started: Option<DateTime<Utc>>,
    pub last_finished: Option<DateTime<Utc>>,
}

/// How many steps each statement handled, from distinct timestamps.
pub struct Batching {
    pub claim_statements: i64,
    pub record_statements: i64,
    pub per_worker: Vec<(String, i64)>,
}

fn stmt(sql: &str) -> Statement {
    Statement::from_string(sea_orm::DbBackend::Postgres, sql.to_owned())
}

async fn rows(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Vec<sea_orm::QueryResult>> {
    Ok(db.query_all(stmt(sql)).await?)
}

async fn one(db: &DatabaseConnection, sql: &str) -> anyhow::Result<sea_orm::QueryResult> {
    db.query_one(stmt(sql))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row from: {sql}"))
}

/// Commands that reached a final state.
pub async fn finished_commands(db: &DatabaseConnection) -> anyhow::Result<i64> {
    let row = one(
        db,
        "SELECT count(*) AS n FROM command WHERE state IN ('succeeded', 'failed', 'cancelled')",
    )
    .await?;
    Ok(row.try_get("", "n")?)
}

/// `table state: count, …` for a failure report.
pub async fn state_counts(db: &DatabaseConnection, table: &str) -> anyhow::Result<String> {
    let found = rows(
        db,
        &format!("SELECT state, count(*) AS n FROM {table} GROUP BY state ORDER BY state"),
    )
    .await?;
    let mut parts = Vec::new();
    for row in found {
        parts.push(format!(
            "{} {}",
            row.try_get::<String>("", "state")?,
            row.try_get::<i64>("", "n")?
        ));
    }
    Ok(format!(
        "{table}: {}",
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    ))
}

/// A few distinct errors of failed or cancelled jobs.
pub async fn job_errors(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let found = rows(db, "SELECT DISTINCT error FROM job WHERE error IS NOT NULL LIMIT 5").await?;
    found.iter().map(|r| Ok(r.try_get::<String>("", "error")?)).collect()
}

pub async fn span(db: &DatabaseConnection) -> anyhow::Result<Span> {
    let row = one(
        db,
        "SELECT count(*) AS steps, count(*) FILTER (WHERE state = 'succeeded') AS succeeded,
                min(started_at) AS first_started, max(finished_at) AS last_finished
         FROM step",
    )
    .await?;
    Ok(Span {
        steps: row.try_get("", "steps")?,
        succeeded: row.try_get("", "succeeded")?,
        first_started: row.try_get("", "first_started")?,
        last_finished: row.try_get("", "last_finished")?,
    })
}

/// Percentiles of every stage in [`STAGES`], computed by PostgreSQL over
/// all steps (`percentile_cont`).
pub async fn stages(db: &DatabaseConnection) -> anyhow::Result<Vec<Pcts>> {
    let mut columns = Vec::new();
    for (name, _, expr) in STAGES {
        let ms = format!("(extract(epoch FROM {expr}) * 1000)::float8");
        for (q, label) in [("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99")] {
            columns.push(format!(
                "percentile_cont({q}) WITHIN GROUP (ORDER BY {ms}) AS {name}_{label}"
            ));
        }
        columns.push(format!("max({ms}) AS {name}_max, avg({ms}) AS {name}_mean"));
    }
    let sql = format!(
        "SELECT {} FROM (
             SELECT step.*, job.created_at AS job_created,
                    lag(step.finished_at) OVER (PARTITION BY step.job_id ORDER BY step.idx) AS prev_finished
             FROM step JOIN job ON job.id = step.job_id) s",
        columns.join(",\n")
    );
    let row = one(db, &sql).await?;
    let get = |name: &str, label: &str| -> anyhow::Result<f64> {
        Ok(row
            .try_get::<Option<f64>>("", &format!("{name}_{label}"))?
            .unwrap_or(0.0))
    };
    STAGES
        .iter()
        .map(|(name, _, _)| {
            Ok(Pcts {
                p50: get(name, "p50")?,
                p90: get(name, "p90")?,
                p99: get(name, "p99")?,
                max: get(name, "max")?,
                mean: get(name, "mean")?,
            })
        })
        .collect()
}

pub async fn batching(db: &DatabaseConnection) -> anyhow::Result<Batching> {
    let row = one(
        db,
        "SELECT count(DISTINCT started_at) AS claims, count(DISTINCT finished_at) AS records FROM step",
    )
    .await?;
    let workers = rows(
        db,
        "SELECT coalesce(worker, '?') AS worker, count(*) AS n FROM step GROUP BY 1 ORDER BY 1",
    )
    .await?;
    Ok(Batching {
        claim_statements: row.try_get("", "claims")?,
        record_statements: row.try_get("", "records")?,
        per_worker: workers
            .iter()
            .map(|r| Ok((r.try_get("", "worker")?, r.try_get("", "n")?)))
            .collect::<anyhow::Result<_>>()?,
    })
}

/// Steps finished in each second since the first step started.
pub async fn timeline(db: &DatabaseConnection) -> anyhow::Result<Vec<(i64, i64)>> {
    let found = rows(
        db,
        "SELECT floor(extract(epoch FROM finished_at - (SELECT min(started_at) FROM step)))::bigint AS sec,
                count(*) AS n
         FROM step WHERE finished_at IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    .await?;
    found
        .iter()
        .map(|r| Ok((r.try_get("", "sec")?, r.try_get("", "n")?)))
        .collect()
}
