//! Heartbeats: every interval, one statement refreshes all steps this
//! worker runs; a step missing from the answer was cancelled or taken over
//! and is interrupted.

use std::collections::HashSet;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::claims;
use crate::shared::Shared;

/// Runs until `stop`.
pub async fn run(shared: Arc<Shared>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(shared.settings.heartbeat_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let steps = shared.snapshot();
        if steps.is_empty() {
            continue;
        }
        match claims::heartbeat(&shared.db, &steps).await {
            Ok(owned) => {
                let owned: HashSet<Uuid> = owned.into_iter().collect();
                let lost: Vec<Uuid> = steps
                    .iter()
                    .map(|(id, _)| *id)
                    .filter(|id| !owned.contains(id))
                    .collect();
                if !lost.is_empty() {
                    tracing::info!(steps = lost.len(), "interrupting cancelled or taken-over steps");
                    shared.interrupt(lost.into_iter());
                }
            }
            Err(err) => tracing::warn!("heartbeat failed: {err}"),
        }
    }
}
