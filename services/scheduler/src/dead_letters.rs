//! Consuming dead-lettered steps: a step whose message exceeded the
//! delivery limit (its workers kept dying while running it) fails, and so
//! does its job, with a reason that says so.

use broker::lapin::message::Delivery;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use wire::messages::StepMessage;

use crate::dispatch::advance;
use crate::engine::Engine;
use crate::results::ack_all;
use lustre::StepState;
use store::sql::transact;

/// Runs until `shutdown`.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    let queue = engine.broker.topology().dead_steps.clone();
    broker::consume_batches(
        &engine.broker,
        &queue,
        50,
        "scheduler-dead-letters",
        &shutdown,
        |batch| handle(&engine, batch),
    )
    .await;
}

async fn handle(engine: &Engine, batch: Vec<Delivery>) -> anyhow::Result<()> {
    for delivery in &batch {
        let step = match serde_json::from_slice::<StepMessage>(&delivery.data) {
            Ok(step) => step,
            Err(err) => {
                tracing::error!("dropping malformed dead-lettered message: {err}");
                continue;
            }
        };
        if is_abandoned(engine, &step).await? {
            fail(engine, &step).await?;
        }
    }
    ack_all(&batch).await
}

/// Whether nobody runs the step any more. Returns to the queue (a held
/// duplicate, a hand-back) also count towards the delivery limit, so a
/// dead-lettered copy may belong to a step another worker runs well: that
/// one is left alone. A step whose worker just died still has a recent
/// heartbeat; wait until it is either refreshed (alive) or stale (dead).
async fn is_abandoned(engine: &Engine, step: &StepMessage) -> anyhow::Result<bool> {
    let mut arrived: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        let Some(step_now) =
            store::steps::liveness(&engine.db, step.step_id, engine.settings.heartbeat_timeout).await?
        else {
            return Ok(false);
        };
        let since = *arrived.get_or_insert(step_now.now);
        match step_now.state {
            StepState::Queued => return Ok(true),
            StepState::Running if step_now.stale != Some(false) => return Ok(true),
            StepState::Running if step_now.heartbeat_at.is_some_and(|h| h > since) => {
                tracing::info!(step_id = %step.step_id, "ignoring a dead-lettered copy of a step that is running well");
                return Ok(false);
            }
            StepState::Running => tokio::time::sleep(engine.settings.heartbeat_interval).await,
            _ => return Ok(false),
        }
    }
}

async fn fail(engine: &Engine, step: &StepMessage) -> anyhow::Result<()> {
    let limit = engine.settings.delivery_limit;
    tracing::error!(step_id = %step.step_id, job_id = %step.job_id, "step dead-lettered");
    let reason = format!(
        "step {} ({}) was dead-lettered: it was delivered more than {limit} times and every \
         worker running it stopped before finishing (a poison step)",
        step.step_id, step.action
    );
    let (step_id, job_id) = (step.step_id, step.job_id);
    // Checked again under the row lock: a worker may have taken it over.
    let timeout = engine.settings.heartbeat_timeout;
    let advanced = transact(&engine.db, |tx| {
        let reason = reason.clone();
        Box::pin(async move {
            store::steps::fail_abandoned(tx, step_id, &reason, timeout).await?;
            advance(tx, &[job_id]).await
        })
    })
    .await?;
    engine.publish_steps(advanced.queued).await;
    if advanced.released {
        engine.grant_wanted.notify_one();
    }
    let details = serde_json::json!({"step_id": step_id, "job_id": job_id, "action": step.action});
    store::events::record(
        &engine.db,
        store::events::EventKind::StepDeadLettered,
        None,
        &reason,
        details.clone(),
    )
    .await?;
    // Stays active until someone acknowledges it.
    store::alerts::raise(
        &engine.db,
        store::alerts::Raise {
            kind: store::alerts::AlertKind::StepDeadLettered,
            item: lustre::Item::Job(job_id),
            message: reason,
            details,
        },
    )
    .await?;
    Ok(())
}
