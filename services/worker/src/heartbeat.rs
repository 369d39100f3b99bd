//! Heartbeats: every interval, one statement refreshes every attempt this
//! worker holds; an attempt missing from the answer is being cancelled,
//! was cancelled or taken over, and is interrupted (a cancelling one goes
//! on being heartbeaten until its command has stopped).
//!
//! A worker that cannot heartbeat for the fence interval (most of the
//! heartbeat timeout) stops its own actions and gives them back, since
//! another worker is about to take them over. The fence does not wait for
//! the heartbeat statement to answer: a hung database connection never
//! does, so each statement has a deadline, and the fence fires at its time
//! whatever the statement is doing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::claims;
use crate::shared::Shared;

/// How long a database statement of the worker's own bookkeeping (claims,
/// heartbeats, results) may take: well under the fence interval, so a hung
/// connection is noticed while the worker still owns its steps.
pub fn db_deadline(shared: &Shared) -> Duration {
    shared.settings.heartbeat_interval.min(fence_interval(shared) / 4)
}

/// How long a worker may go without a heartbeat before it stops its steps.
pub fn fence_interval(shared: &Shared) -> Duration {
    shared.settings.heartbeat_timeout.mul_f64(0.8)
}

/// Runs until `stop`.
pub async fn run(shared: Arc<Shared>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(shared.settings.heartbeat_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let fence_after = fence_interval(&shared);
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
        let beat = tokio::time::timeout(db_deadline(&shared), claims::heartbeat(&shared.db, &steps));
        let outcome = tokio::select! {
            outcome = beat => outcome,
            // The fence fires on time even while the statement hangs.
            () = tokio::time::sleep_until(last_ok + fence_after) => {
                fence(&shared, &steps, last_ok);
                continue;
            }
        };
        match outcome {
            Ok(Ok(owned)) => {
                last_ok = Instant::now();
                let owned: HashSet<Uuid> = owned.into_iter().collect();
                let lost: Vec<(Uuid, i32)> = steps.iter().copied().filter(|(id, _)| !owned.contains(id)).collect();
                // Ended attempts whose result was just recorded are not lost.
                let stopped = shared.interrupt(&lost, false);
                if stopped > 0 {
                    tracing::info!(steps = stopped, "interrupted cancelling, cancelled or taken-over steps");
                }
            }
            Ok(Err(err)) => {
                tracing::warn!("heartbeat failed: {err}");
                if last_ok.elapsed() >= fence_after {
                    fence(&shared, &steps, last_ok);
                }
            }
            Err(_) => {
                tracing::warn!("heartbeat timed out after {:?}", db_deadline(&shared));
                if last_ok.elapsed() >= fence_after {
                    fence(&shared, &steps, last_ok);
                }
            }
        }
    }
}

/// Stops the running actions among `steps` and gives them back.
fn fence(shared: &Shared, steps: &[(Uuid, i32)], last_ok: Instant) {
    let stopped = shared.interrupt(steps, true);
    if stopped > 0 {
        tracing::error!(
            steps = stopped,
            "no heartbeat for {:?}: stopping and giving back running steps",
            last_ok.elapsed()
        );
    }
}
