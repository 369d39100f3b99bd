//! Heartbeats: every interval, one statement refreshes every attempt this
//! worker holds; an attempt missing from the answer was cancelled or taken
//! over and is interrupted. A worker that cannot heartbeat for most of the
//! heartbeat timeout stops its own actions and gives them back, since
//! another worker is about to take them over.

use std::collections::HashSet;
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::claims;
use crate::shared::Shared;

/// Runs until `stop`.
pub async fn run(shared: Arc<Shared>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(shared.settings.heartbeat_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let fence_after = shared.settings.heartbeat_timeout.mul_f64(0.8);
    let mut last_ok = Instant::now();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let steps = shared.snapshot();
        if steps.is_empty() {
            last_ok = Instant::now();
            continue;
        }
        match claims::heartbeat(&shared.db, &steps).await {
            Ok(owned) => {
                last_ok = Instant::now();
                let owned: HashSet<Uuid> = owned.into_iter().collect();
                let lost: Vec<(Uuid, i32)> = steps.iter().copied().filter(|(id, _)| !owned.contains(id)).collect();
                // Ended attempts whose result was just recorded are not lost.
                let stopped = shared.interrupt(&lost, false);
                if stopped > 0 {
                    tracing::info!(steps = stopped, "interrupted cancelled or taken-over steps");
                }
            }
            Err(err) => {
                tracing::warn!("heartbeat failed: {err}");
                if last_ok.elapsed() >= fence_after {
                    let stopped = shared.interrupt(&steps, true);
                    if stopped > 0 {
                        tracing::error!(
                            steps = stopped,
                            "no heartbeat for {:?}: stopping and giving back running steps",
                            last_ok.elapsed()
                        );
                    }
                }
            }
        }
    }
}
