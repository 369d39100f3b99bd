//! What every scheduler loop shares: the database, the broker, the step
//! publisher with its outbox, and the signal that asks for a grant pass.

use broker::{Broker, Publisher};
use sea_orm::DatabaseConnection;
use setup::ops::{prometheus, Health};
use setup::Settings;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, Semaphore};
use wire::messages::StepMessage;

use crate::metrics::Metrics;

/// State shared by the scheduler's loops.
pub struct Engine {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub broker: Broker,
    publisher: Publisher,
    /// Step messages whose publication failed, retried before new ones.
    outbox: Mutex<Vec<StepMessage>>,
    /// Wakes the grant loop; notifications coalesce.
    pub grant_wanted: Notify,
    /// Bounds result batches whose steps are being published and acked.
    pub in_flight: Arc<Semaphore>,
    /// Liveness and readiness checks, and the registry of `metrics`.
    pub health: Health,
    pub metrics: Metrics,
}

/// Result batches that may publish and ack at once.
const IN_FLIGHT: usize = 4;

impl Engine {
    /// Shares `db` and `broker` among the loops; registers the
    /// scheduler's metrics on `health`.
    pub fn new(
        settings: Settings,
        db: DatabaseConnection,
        broker: Broker,
        health: Health,
    ) -> Result<Self, prometheus::Error> {
        Ok(Self {
            settings,
            db,
            publisher: Publisher::new(broker.clone()),
            broker,
            outbox: Mutex::new(Vec::new()),
            grant_wanted: Notify::new(),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
            metrics: Metrics::new(&health)?,
            health,
        })
    }

    /// Publishes step messages (and any left over from a failed attempt).
    /// On failure they stay in the outbox for the next call; the steps are
    /// `queued` in the database either way, so the recovery sweep finds
    /// them even if this process dies.
    pub async fn publish_steps(&self, steps: Vec<StepMessage>) -> bool {
        let mut batch = std::mem::take(&mut *self.lock_outbox());
        batch.extend(steps);
        if batch.is_empty() {
            return true;
        }
        // A step may be in the outbox and published again by a sweep.
        let mut seen = std::collections::HashSet::new();
        batch.retain(|step| seen.insert(step.step_id));
        let count = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        match self.publisher.publish_json(&self.broker.topology().steps, &batch).await {
            Ok(()) => {
                self.metrics.steps_dispatched.inc_by(count);
                true
            }
            Err(err) => {
                self.metrics.publish_failures.inc_by(count);
                tracing::warn!(count = batch.len(), "could not publish steps, will retry: {err}");
                self.lock_outbox().extend(batch);
                false
            }
        }
    }

    /// Waits (up to `within`) for result batches still publishing, then
    /// publishes what the outbox holds. Called once the loops stopped.
    pub async fn flush(&self, within: std::time::Duration) {
        let permits = u32::try_from(IN_FLIGHT).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(within, self.in_flight.acquire_many(permits)).await;
        self.publish_steps(Vec::new()).await;
    }

    fn lock_outbox(&self) -> std::sync::MutexGuard<'_, Vec<StepMessage>> {
        // A poisoned lock only means a panic elsewhere; the Vec is still valid.
        self.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
