//! The consume loop: claim each batch of deliveries in one statement, start
//! the claimed steps, report steps found already finished, and hold
//! deliveries whose step another live worker runs. On shutdown it stops
//! taking steps, lets running ones finish for a grace period, and hands the
//! rest back.

use broker::lapin::message::Delivery;
use broker::lapin::options::{BasicAckOptions, BasicCancelOptions};
use futures::{FutureExt, StreamExt};
use lustre::Action;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wire::messages::{StepFinished, StepMessage, StepsFinished};

use crate::actions::StepAttempt;
use crate::claims::{self, Verdict};
use crate::results::{Finished, Outcome};
use crate::shared::Shared;

/// Consumes steps until `shutdown`, reconnecting after broker failures.
pub async fn run(shared: Arc<Shared>, finished: mpsc::UnboundedSender<Finished>, shutdown: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    let heartbeat = shared.health.heartbeat("consume", HUNG_AFTER);
    while !shutdown.is_cancelled() {
        heartbeat.beat();
        match consume(&shared, &finished, &shutdown, &mut backoff, &heartbeat).await {
            Ok(()) => return,
            Err(err) => {
                shared
                    .health
                    .set("steps", Err(format!("not consuming the steps queue: {err:#}")));
                tracing::warn!("step consumer stopped, reconnecting in {backoff:?}: {err:#}");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    // Stopped while disconnected: the broker already requeued the
    // messages, but running actions still finish or are handed back.
    drain(&shared).await;
}

/// How long the consume loop may be stuck in one turn before the worker
/// is not live.
const HUNG_AFTER: Duration = Duration::from_secs(120);
/// How often the idle consume loop shows it is alive.
const IDLE_BEAT: Duration = Duration::from_secs(5);

async fn consume(
    shared: &Arc<Shared>,
    finished: &mpsc::UnboundedSender<Finished>,
    shutdown: &CancellationToken,
    backoff: &mut Duration,
    heartbeat: &setup::ops::Heartbeat,
) -> anyhow::Result<()> {
    // Steps still running from before a reconnect keep their slots.
    let busy = u16::try_from(shared.busy()).unwrap_or(u16::MAX);
    let prefetch = shared.settings.worker_concurrency.saturating_sub(busy).max(1);
    let tag = format!("worker-{}", shared.worker_id);
    let (channel, mut consumer) = shared
        .broker
        .consume(&shared.broker.topology().steps, prefetch, &tag)
        .await?;
    *backoff = Duration::from_millis(100);
    tracing::info!(worker = %shared.worker_id, prefetch, "taking steps");
    shared.health.set("steps", Ok(()));
    let mut idle = tokio::time::interval(IDLE_BEAT);
    let mut held: Vec<Delivery> = Vec::new();
    let mut recheck = tokio::time::interval(shared.settings.heartbeat_interval);
    let outcome = loop {
        heartbeat.beat();
        tokio::select! {
            () = shutdown.cancelled() => break Ok(()),
            _ = idle.tick() => {}
            _ = recheck.tick(), if !held.is_empty() => {
                let batch = std::mem::take(&mut held);
                held = take(shared, finished, batch).await?;
            }
            next = consumer.next() => {
                let mut batch = match next {
                    Some(delivery) => vec![delivery?],
                    None => break Err(anyhow::anyhow!("the broker closed the step consumer")),
                };
                while let Some(Some(delivery)) = consumer.next().now_or_never() {
                    batch.push(delivery?);
                }
                held.extend(take(shared, finished, batch).await?);
            }
        }
    };
    if outcome.is_ok() {
        // Stop deliveries, then drain on the open channel so acks still work.
        let _ = channel.basic_cancel(&tag, BasicCancelOptions::default()).await;
        drain(shared).await;
    }
    // Whatever is still unacknowledged goes back to the queue.
    let _ = channel.close(200, "worker stopping").await;
    outcome
}

/// Claims a batch and acts on each delivery; returns the ones to hold.
async fn take(
    shared: &Arc<Shared>,
    finished: &mpsc::UnboundedSender<Finished>,
    batch: Vec<Delivery>,
) -> anyhow::Result<Vec<Delivery>> {
    let mut by_step: HashMap<Uuid, Delivery> = HashMap::with_capacity(batch.len());
    for delivery in batch {
        match serde_json::from_slice::<StepMessage>(&delivery.data) {
            Ok(message) => {
                // A duplicate of a message already in hand is simply done.
                if let Some(older) = by_step.insert(message.step_id, delivery) {
                    older.acker.ack(BasicAckOptions::default()).await?;
                }
            }
            Err(err) => {
                tracing::error!("dropping malformed step message: {err}");
                delivery.acker.ack(BasicAckOptions::default()).await?;
            }
        }
    }
    // A database error keeps the deliveries in hand and retries later:
    // returning them to the queue would count against the delivery limit
    // and could dead-letter healthy steps during a database outage.
    let mut ids: Vec<Uuid> = by_step.keys().copied().collect();
    ids.sort();
    let stale = shared.settings.heartbeat_timeout;
    let deadline = crate::heartbeat::db_deadline(shared);
    let claimed = match claims::bounded(deadline, claims::claim(&shared.db, &ids, &shared.worker_id, stale)).await {
        Ok(claimed) => claimed,
        Err(err) => {
            tracing::warn!(steps = ids.len(), "cannot claim steps, retrying: {err}");
            return Ok(by_step.into_values().collect());
        }
    };
    for claimed in claimed {
        if let Some(delivery) = by_step.remove(&claimed.step_id) {
            start(shared, finished, claimed, delivery);
        }
    }
    if by_step.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = by_step.keys().copied().collect();
    let verdicts = match claims::bounded(deadline, claims::classify(&shared.db, &ids)).await {
        Ok(verdicts) => verdicts,
        Err(err) => {
            tracing::warn!(steps = ids.len(), "cannot look up steps, retrying: {err}");
            return Ok(by_step.into_values().collect());
        }
    };
    let mut held = Vec::new();
    let mut report = Vec::new();
    for (step_id, delivery) in by_step {
        match verdicts.get(&step_id).copied().unwrap_or(Verdict::Drop) {
            Verdict::Hold => held.push(delivery),
            Verdict::Drop => delivery.acker.ack(BasicAckOptions::default()).await?,
            Verdict::Finished { job_id, attempt } => {
                report.push(StepFinished {
                    step_id,
                    job_id,
                    attempt,
                });
                held.push(delivery);
            }
        }
    }
    if !report.is_empty() {
        // The result was recorded but perhaps never reported: report it,
        // then ack (a held delivery is found finished and acked next time
        // only if this publish failed).
        let topology = shared.broker.topology();
        shared
            .publisher
            .publish_json(&topology.results, &[StepsFinished { steps: report.clone() }])
            .await?;
        let reported: Vec<Uuid> = report.iter().map(|r| r.step_id).collect();
        let (done, keep): (Vec<Delivery>, Vec<Delivery>) = held
            .into_iter()
            .partition(|d| serde_json::from_slice::<StepMessage>(&d.data).is_ok_and(|m| reported.contains(&m.step_id)));
        for delivery in done {
            delivery.acker.ack(BasicAckOptions::default()).await?;
        }
        held = keep;
    }
    Ok(held)
}

/// Runs a claimed step in its own task.
fn start(
    shared: &Arc<Shared>,
    finished: &mpsc::UnboundedSender<Finished>,
    claimed: claims::Claimed,
    delivery: Delivery,
) {
    let cancel = shared.start(claimed.step_id, claimed.attempt);
    let finished = finished.clone();
    let shared = shared.clone();
    tokio::spawn(async move {
        let step = StepAttempt {
            step_id: claimed.step_id,
            attempt: claimed.attempt,
        };
        let metrics = &shared.metrics;
        metrics.running.inc();
        let started = std::time::Instant::now();
        // The action's name, from the fixed set of actions: a bounded label.
        let (name, outcome) = match Action::parse(&claimed.action, &claimed.args) {
            Err(err) => (
                "unknown",
                Outcome::Failed {
                    error: format!("cannot run step: {err}"),
                    output: None,
                },
            ),
            Ok(action) => (action.name(), act(&shared, step, &action, &cancel).await),
        };
        metrics.running.dec();
        metrics
            .step_duration
            .with_label_values(&[name])
            .observe(started.elapsed().as_secs_f64());
        let ended = match outcome {
            Outcome::Succeeded(_) => "succeeded",
            Outcome::Failed { .. } => "failed",
            Outcome::Interrupted { .. } => "interrupted",
        };
        metrics.steps.with_label_values(&[ended]).inc();
        shared.ended(claimed.step_id, claimed.attempt);
        // The receiver lives as long as the worker; if it is gone the
        // delivery is requeued when the channel closes.
        let _ = finished.send(Finished {
            step_id: claimed.step_id,
            job_id: claimed.job_id,
            attempt: claimed.attempt,
            outcome,
            acker: delivery.acker,
        });
    });
}

/// How long an interrupted action has to end when no remote command of it
/// runs; one whose command is being killed is waited for as long as that
/// takes (see [`chroma_ssh::interrupt`]).
const STOP_GRACE: Duration = Duration::from_secs(25);

/// Runs `action` for attempt `step` until it ends or `cancel` fires. An
/// interrupted action is not simply dropped, which would leave its remote
/// command running: its exec kills the command and waits for its end, and
/// the outcome says whether it was seen to stop. Meanwhile the attempt is
/// held here and heartbeaten, so a step being cancelled keeps its job's
/// locks for as long as its command may run and this worker lives.
async fn act(shared: &Shared, step: StepAttempt, action: &Action, cancel: &CancellationToken) -> Outcome {
    let interrupt = chroma_ssh::Interrupt::new();
    let acting = interrupt.scope(crate::actions::run_step(shared, step, action));
    tokio::pin!(acting);
    let result = tokio::select! {
        () = cancel.cancelled() => None,
        result = &mut acting => Some(result),
    };
    match result {
        Some(Ok(output)) => Outcome::Succeeded(output),
        Some(Err(failed)) => Outcome::Failed {
            error: failed.error.to_string(),
            output: failed.output,
        },
        None => {
            interrupt.interrupt();
            let mut ended = tokio::time::timeout(STOP_GRACE, &mut acting).await.is_ok();
            if !ended && interrupt.running() > 0 {
                tracing::warn!(
                    step_id = %step.step_id,
                    "an interrupted step's command is still being killed; holding the step until it ends"
                );
                let _ = (&mut acting).await;
                ended = true;
            }
            // Dropped while no command ran, the action left nothing behind.
            let stopped = !interrupt.unconfirmed() && (ended || interrupt.running() == 0);
            if !stopped {
                tracing::error!(
                    step_id = %step.step_id,
                    "an interrupted step's command was not seen to stop; it may still run on its server"
                );
            }
            Outcome::Interrupted { stopped }
        }
    }
}

/// Waits for running steps to finish, up to the grace period; then
/// interrupts the rest and hands them back to the queue (the result task
/// releases them in the database, then nacks their messages).
async fn drain(shared: &Shared) {
    let deadline = tokio::time::Instant::now() + shared.settings.drain_timeout;
    while shared.active() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left = shared.active();
    if left > 0 {
        tracing::info!(steps = left, "handing unfinished steps back");
    }
    shared.hand_back_all();
    // Let the result task record, release and acknowledge before the
    // channel closes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while shared.busy() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
