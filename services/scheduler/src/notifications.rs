//! Consuming scheduler notifications (`CommandSubmitted`, `Kick`): kicked
//! jobs are advanced, and each batch asks for a grant pass, which the grant
//! loop coalesces.

use broker::lapin::message::Delivery;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use wire::messages::SchedulerMessage;

use crate::engine::Engine;
use crate::results::{ack_all, advance_jobs};

/// Runs until `shutdown`.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    let queue = engine.broker.topology().jobs.clone();
    broker::consume_batches(&engine.broker, &queue, 200, "scheduler-jobs", &shutdown, |batch| {
        handle(&engine, batch)
    })
    .await;
}

async fn handle(engine: &Engine, batch: Vec<Delivery>) -> anyhow::Result<()> {
    let mut kicked = Vec::new();
    for delivery in &batch {
        match serde_json::from_slice::<SchedulerMessage>(&delivery.data) {
            Ok(SchedulerMessage::Kick { job_ids }) => kicked.extend(job_ids),
            Ok(SchedulerMessage::CommandSubmitted { .. }) => {}
            Err(err) => tracing::error!("dropping malformed scheduler message: {err}"),
        }
    }
    let advanced = advance_jobs(engine, kicked).await?;
    engine.publish_steps(advanced.queued).await;
    // Postgres holds what was submitted; the pass reads it from there. If
    // this process dies before the pass, the recovery sweep runs one.
    engine.grant_wanted.notify_one();
    ack_all(&batch).await
}
