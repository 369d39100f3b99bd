//! Recording step results: one statement per batch writes every result
//! whose attempt still owns its step, one `StepsFinished` message tells the
//! scheduler, and only then are the deliveries acknowledged.

use broker::lapin::acker::Acker;
use broker::lapin::options::{BasicAckOptions, BasicNackOptions};
use futures::future::join_all;
use sea_orm::DbErr;
use serde_json::Value;
use std::sync::Arc;
use store::steps::StepResult;
use tokio::sync::{mpsc, Semaphore};
use uuid::Uuid;
use wire::messages::{StepFinished, StepsFinished};

use crate::claims;
use crate::shared::Shared;

/// Results recorded per statement at most.
const BATCH: usize = 512;

/// How a step attempt ended.
#[derive(Debug)]
pub enum Outcome {
    Succeeded(Value),
    /// Failed with `error`; `output` holds the commands it ran, if any.
    Failed {
        error: String,
        output: Option<Value>,
    },
    /// Interrupted: the step is being cancelled, was taken over or is
    /// given back. `stopped` once its remote command (if any) was seen to
    /// end: a `cancelling` step is then recorded `cancelled`. A live worker
    /// keeps killing a command not seen to stop (see `consume::act`); only
    /// when it cannot (its connection is gone) is the attempt let go, and
    /// the step stays `cancelling`, holding its locks, until the recovery
    /// sweep finds its heartbeat stale.
    Interrupted {
        stopped: bool,
    },
}

/// A finished attempt waiting to be recorded and acknowledged.
pub struct Finished {
    pub step_id: Uuid,
    pub job_id: Uuid,
    pub attempt: i32,
    pub outcome: Outcome,
    pub acker: Acker,
}

/// Batches whose report and acks may be in flight at once: recording the
/// next batch need not wait for the broker to confirm the previous one.
const IN_FLIGHT: usize = 4;

/// Records results as they arrive until every sender is gone.
pub async fn run(shared: Arc<Shared>, mut finished: mpsc::UnboundedReceiver<Finished>) {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        if finished.recv_many(&mut batch, BATCH).await == 0 {
            break;
        }
        let recorded = record_until_done(&shared, &batch).await;
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            report_and_ack(&shared, batch, recorded).await;
            drop(permit);
        });
    }
    // Wait for the last reports before returning.
    let _ = permits.acquire_many(IN_FLIGHT as u32).await;
}

/// Records a batch, retrying while the database is away: until written,
/// the results exist only here. A try that overran its deadline may have
/// committed all the same; the retry then finds those results already in
/// place, and reports them too, so the scheduler hears of every one.
async fn record_until_done(shared: &Shared, batch: &[Finished]) -> Vec<StepFinished> {
    let mut retried = false;
    loop {
        let deadline = crate::heartbeat::db_deadline(shared);
        let recorded = claims::bounded(deadline, async {
            let results = results(batch);
            let recorded = record(shared, &results).await?;
            if retried {
                already_recorded(shared, &results, recorded).await
            } else {
                Ok(recorded)
            }
        })
        .await;
        match recorded {
            Ok(recorded) => return recorded,
            Err(err) => {
                tracing::error!("cannot record {} step results, retrying: {err}", batch.len());
                retried = true;
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
}

/// Adds to `recorded` the `results` an earlier try wrote: their step ended
/// in that state at that attempt.
async fn already_recorded(
    shared: &Shared,
    results: &[StepResult],
    mut recorded: Vec<StepFinished>,
) -> Result<Vec<StepFinished>, DbErr> {
    let missing: Vec<Uuid> = results
        .iter()
        .map(|r| r.step_id)
        .filter(|id| !recorded.iter().any(|f| f.step_id == *id))
        .collect();
    if missing.is_empty() {
        return Ok(recorded);
    }
    for row in store::steps::states_with_jobs(&shared.db, &missing).await? {
        let written = results
            .iter()
            .any(|r| r.step_id == row.step_id && r.attempt == row.attempts && r.state == row.state);
        if written {
            recorded.push(StepFinished {
                step_id: row.step_id,
                job_id: row.job_id,
                attempt: row.attempts,
            });
        }
    }
    Ok(recorded)
}

/// Tells the scheduler about recorded results, then acknowledges the
/// batch's deliveries (requeues them if the report failed). Interrupted
/// attempts being given back are released in the database first, so that
/// another worker can claim them at once.
async fn report_and_ack(shared: &Shared, batch: Vec<Finished>, recorded: Vec<StepFinished>) {
    let done: Vec<(Uuid, i32)> = recorded.iter().map(|r| (r.step_id, r.attempt)).collect();
    let published = recorded.is_empty()
        || shared
            .publisher
            .publish_json(&shared.broker.topology().results, &[StepsFinished { steps: recorded }])
            .await
            .map_err(|err| tracing::warn!("cannot publish step results: {err}"))
            .is_ok();
    let given_back: Vec<(Uuid, i32)> = batch
        .iter()
        .filter(|f| matches!(f.outcome, Outcome::Interrupted { .. }) && shared.gives_back(f.step_id, f.attempt))
        // A cancelling step recorded `cancelled` is done, not given back.
        .filter(|f| !done.contains(&(f.step_id, f.attempt)))
        .map(|f| (f.step_id, f.attempt))
        .collect();
    if !given_back.is_empty() {
        let deadline = crate::heartbeat::db_deadline(shared);
        if let Err(err) = claims::bounded(deadline, claims::release(&shared.db, &given_back)).await {
            tracing::warn!("cannot hand steps back; they are taken over when their heartbeat goes stale: {err}");
        }
    }
    let requeue = BasicNackOptions {
        requeue: true,
        ..BasicNackOptions::default()
    };
    let acks = batch.iter().map(|f| async {
        let outcome = if given_back.contains(&(f.step_id, f.attempt)) || !published {
            // Given back, or not reported: redelivered, the step is claimed
            // again or found finished and reported again.
            f.acker.nack(requeue).await
        } else {
            f.acker.ack(BasicAckOptions::default()).await
        };
        if let Err(err) = outcome {
            tracing::warn!(step_id = %f.step_id, "cannot acknowledge step message: {err}");
        }
    });
    join_all(acks).await;
    shared.forget(batch.iter().map(|f| (f.step_id, f.attempt)));
}

/// The results of a batch to write, in one lock order.
fn results(batch: &[Finished]) -> Vec<StepResult> {
    // One lock order for every multi-row statement.
    let mut batch: Vec<&Finished> = batch.iter().collect();
    batch.sort_by_key(|f| f.step_id);
    batch
        .into_iter()
        .filter_map(|f| {
            let (state, output, error) = match &f.outcome {
                Outcome::Succeeded(output) => ("succeeded", Some(without_nul(output.clone())), None),
                Outcome::Failed { error, output } => {
                    ("failed", output.clone().map(without_nul), Some(error.replace('\0', "")))
                }
                // Lands only on a step being cancelled (see record_results),
                // whether or not the attempt is also being given back: a
                // running step given back is released instead.
                Outcome::Interrupted { stopped: true } => (
                    "cancelled",
                    None,
                    Some("cancelled; stopped before it finished".to_owned()),
                ),
                // Its command may still run: nothing to record, and a live
                // worker does not get here (see consume::act).
                Outcome::Interrupted { stopped: false } => return None,
            };
            Some(StepResult {
                step_id: f.step_id,
                attempt: f.attempt,
                state,
                output,
                error,
            })
        })
        .collect()
}

/// Writes the results whose attempt still owns its step.
async fn record(shared: &Shared, results: &[StepResult]) -> Result<Vec<StepFinished>, DbErr> {
    let recorded = store::steps::record_results(&shared.db, results).await?;
    Ok(recorded
        .into_iter()
        .map(|r| StepFinished {
            step_id: r.step_id,
            job_id: r.job_id,
            attempt: r.attempt,
        })
        .collect())
}

/// PostgreSQL refuses NUL characters in text and jsonb; a step's output
/// (one day, a server's command output) must not wedge the recorder.
fn without_nul(value: Value) -> Value {
    match value {
        Value::String(text) if text.contains('\0') => Value::String(text.replace('\0', "")),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nul).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.replace('\0', ""), without_nul(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::without_nul;
    use serde_json::json;

    #[test]
    fn strips_nul_everywhere() {
        let dirty = json!({"a\u{0}": ["x\u{0}y", {"b": "\u{0}"}], "n": 1});
        assert_eq!(without_nul(dirty), json!({"a": ["xy", {"b": ""}], "n": 1}));
    }
}
