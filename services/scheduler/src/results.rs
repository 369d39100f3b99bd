//! Consuming `StepsFinished` from workers: advance the jobs in one
//! transaction per batch, publish their next steps, then acknowledge.

use broker::lapin::message::Delivery;
use broker::lapin::options::BasicAckOptions;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wire::messages::StepsFinished;

use crate::dispatch::{advance, Advanced};
use crate::engine::Engine;
use store::sql::transact;

/// Deliveries handled in one batch at most.
const PREFETCH: u16 = 500;

/// Runs until `shutdown`.
pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken) {
    let queue = engine.broker.topology().results.clone();
    broker::consume_batches(
        &engine.broker,
        &queue,
        PREFETCH,
        "scheduler-results",
        &shutdown,
        |batch| handle(&engine, batch),
    )
    .await;
}

async fn handle(engine: &Arc<Engine>, batch: Vec<Delivery>) -> anyhow::Result<()> {
    let mut job_ids: Vec<Uuid> = Vec::new();
    for delivery in &batch {
        match serde_json::from_slice::<StepsFinished>(&delivery.data) {
            Ok(finished) => {
                engine
                    .metrics
                    .results
                    .inc_by(u64::try_from(finished.steps.len()).unwrap_or(u64::MAX));
                job_ids.extend(finished.steps.iter().map(|s| s.job_id));
            }
            Err(err) => tracing::error!("dropping malformed StepsFinished message: {err}"),
        }
    }
    let advanced = advance_jobs(engine, job_ids).await?;
    if advanced.released {
        engine.grant_wanted.notify_one();
    }
    // Publishing and acking overlap with the next batch's transaction; the
    // acks are per delivery since batches may finish out of order.
    let permit = engine.in_flight.clone().acquire_owned().await?;
    let engine = engine.clone();
    tokio::spawn(async move {
        engine.publish_steps(advanced.queued).await;
        ack_each(&batch).await;
        drop(permit);
    });
    Ok(())
}

/// Acknowledges each delivery of a batch.
async fn ack_each(batch: &[Delivery]) {
    let acks = batch.iter().map(|d| d.acker.ack(BasicAckOptions::default()));
    for outcome in futures::future::join_all(acks).await {
        if let Err(err) = outcome {
            // Redelivered later; advancing again changes nothing.
            tracing::warn!("cannot acknowledge a result message: {err}");
        }
    }
}

/// Advances `job_ids` in one retried transaction.
pub async fn advance_jobs(engine: &Engine, job_ids: Vec<Uuid>) -> Result<Advanced, sea_orm::DbErr> {
    if job_ids.is_empty() {
        return Ok(Advanced::default());
    }
    let job_ids = Arc::new(job_ids);
    transact(&engine.db, move |tx| {
        let job_ids = job_ids.clone();
        Box::pin(async move { advance(tx, &job_ids).await })
    })
    .await
}

/// Acknowledges a batch handled in delivery order on one channel.
pub async fn ack_all(batch: &[Delivery]) -> anyhow::Result<()> {
    if let Some(last) = batch.last() {
        last.acker.ack(BasicAckOptions { multiple: true }).await?;
    }
    Ok(())
}
