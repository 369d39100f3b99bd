//! What a run measured, read from the bench database once every command
//! finished: step timestamps give throughput, per-stage latencies, and —
//! since `now()` is fixed per statement — how many steps each worker and
//! scheduler statement handled at once.

use sea_orm::DatabaseConnection;
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

impl From<store::steps::StagePercentiles> for Pcts {
    fn from(p: store::steps::StagePercentiles) -> Self {
        Self {
            p50: p.p50,
            p90: p.p90,
            p99: p.p99,
            max: p.max,
            mean: p.mean,
        }
    }
}

/// The stages of a step's life that [`stages`] measures.
pub use store::steps::STAGES;

/// Every step's time span and outcome.
pub use store::steps::Span;

/// How many steps each statement handled, from distinct timestamps.
pub use store::steps::Batching;

/// The tables whose rows have a state.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    Command,
    Job,
    Step,
}

/// Commands that reached a final state.
pub async fn finished_commands(db: &DatabaseConnection) -> anyhow::Result<i64> {
    Ok(store::commands::count_finished(db).await?)
}

/// `table state: count, …` for a failure report.
pub async fn state_counts(db: &DatabaseConnection, table: Table) -> anyhow::Result<String> {
    fn parts<S: std::fmt::Display>(counts: Vec<(S, i64)>) -> Vec<String> {
        counts.iter().map(|(state, n)| format!("{state} {n}")).collect()
    }
    let (name, parts) = match table {
        Table::Command => ("command", parts(store::commands::count_by_state(db).await?)),
        Table::Job => ("job", parts(store::jobs::count_by_state(db).await?)),
        Table::Step => ("step", parts(store::steps::count_by_state(db).await?)),
    };
    Ok(format!(
        "{name}: {}",
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    ))
}

/// A few distinct errors of failed or cancelled jobs.
pub async fn job_errors(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    Ok(store::jobs::some_errors(db).await?)
}

/// Every step's time span and outcome.
pub async fn span(db: &DatabaseConnection) -> anyhow::Result<Span> {
    Ok(store::steps::span(db).await?)
}

/// Percentiles of every stage in [`STAGES`], computed by PostgreSQL over
/// all steps (`percentile_cont`).
pub async fn stages(db: &DatabaseConnection) -> anyhow::Result<Vec<Pcts>> {
    Ok(store::steps::stage_percentiles(db)
        .await?
        .into_iter()
        .map(Pcts::from)
        .collect())
}

/// How claims and records were batched, and the steps of each worker.
pub async fn batching(db: &DatabaseConnection) -> anyhow::Result<Batching> {
    Ok(store::steps::batching(db).await?)
}

/// Steps finished in each second since the first step started.
pub async fn timeline(db: &DatabaseConnection) -> anyhow::Result<Vec<(i64, i64)>> {
    Ok(store::steps::finished_per_second(db).await?)
}
