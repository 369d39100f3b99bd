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
/// heartbeats, results) may take: a third of the fence interval, so a hung
/// connection is noticed while the worker still owns its steps, with room
/// for a slow statement on a loaded machine.
pub fn db_deadline(shared: &Shared) -> Duration {
    fence_interval(shared) / 3
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
    // Fenced during the current outage: the fence fires once on time, and
    // afterwards only after a heartbeat failed (for steps claimed since),
    // never in a race with a heartbeat that is about to succeed.
    let mut fenced = false;
    // A heartbeat turn takes at most the statement's deadline.
    let alive = shared.health.heartbeat(
        "heartbeat",
        shared.settings.heartbeat_timeout * 4 + Duration::from_secs(60),
    );
    loop {
        alive.beat();
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let steps = shared.snapshot();
        if steps.is_empty() {
            last_ok = Instant::now();
            fenced = false;
            continue;
        }
        let beat = claims::heartbeat(&shared.db, &steps);
        tokio::pin!(beat);
        let deadline = tokio::time::sleep(db_deadline(&shared));
        tokio::pin!(deadline);
        let outcome = loop {
            tokio::select! {
                outcome = &mut beat => break Some(outcome),
                () = &mut deadline => break None,
                // The fence fires on time even while the statement hangs;
                // the heartbeat goes on, and a success ends the outage.
                () = tokio::time::sleep_until(last_ok + fence_after), if !fenced => {
                    fence(&shared, &steps, last_ok);
                    fenced = true;
                }
            }
        };
        let beat_ok = matches!(outcome, Some(Ok(_)));
        match outcome {
            Some(Ok(owned)) => {
                if fenced {
                    tracing::info!("heartbeat back after {:?}", last_ok.elapsed());
                }
                last_ok = Instant::now();
                fenced = false;
                let owned: HashSet<Uuid> = owned.into_iter().collect();
                let lost: Vec<(Uuid, i32)> = steps.iter().copied().filter(|(id, _)| !owned.contains(id)).collect();
                // Ended attempts whose result was just recorded are not lost.
                let stopped = shared.interrupt(&lost, false);
                if stopped > 0 {
                    tracing::info!(steps = stopped, "interrupted cancelling, cancelled or taken-over steps");
                }
            }
            // Not yet a failure: the fence decides by the time since the
            // last good heartbeat.
            Some(Err(err)) => {
                shared.metrics.heartbeat_failures.inc();
                tracing::warn!("heartbeat failed: {err}");
            }
            None => {
                shared.metrics.heartbeat_failures.inc();
                tracing::warn!("heartbeat not answered within {:?}", db_deadline(&shared));
            }
        }
        if !beat_ok && last_ok.elapsed() >= fence_after {
            // Steps claimed since the last fence and sent with this
            // heartbeat are stopped too.
            fence(&shared, &steps, last_ok);
            fenced = true;
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
