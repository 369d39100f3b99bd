//! Consuming dead-lettered steps: a step whose message exceeded the
//! delivery limit (its workers kept dying while running it) fails, and so
//! does its job, with a reason that says so.

use broker::lapin::message::Delivery;
use common::messages::StepMessage;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::dispatch::advance;
use crate::engine::Engine;
use crate::results::ack_all;
use store::sql::{execute, transact};

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
    let limit = engine.settings.delivery_limit;
    for delivery in &batch {
        let step = match serde_json::from_slice::<StepMessage>(&delivery.data) {
            Ok(step) => step,
            Err(err) => {
                tracing::error!("dropping malformed dead-lettered message: {err}");
                continue;
            }
        };
        tracing::error!(step_id = %step.step_id, job_id = %step.job_id, "step dead-lettered");
        let reason = format!(
            "step {} ({}) was dead-lettered: it was delivered more than {limit} times and every \
             worker running it stopped before finishing (a poison step)",
            step.step_id, step.action
        );
        let advanced = transact(&engine.db, |tx| {
            let reason = reason.clone();
            Box::pin(async move {
                execute(
                    tx,
                    "UPDATE step SET state = 'failed', finished_at = now(), error = $2
                     WHERE id = $1 AND state IN ('pending', 'queued', 'running')",
                    [step.step_id.into(), reason.into()],
                )
                .await?;
                advance(tx, &[step.job_id]).await
            })
        })
        .await?;
        engine.publish_steps(advanced.queued).await;
        if advanced.released {
            engine.grant_wanted.notify_one();
        }
    }
    ack_all(&batch).await
}
