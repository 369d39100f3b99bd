//! Consuming dead-lettered steps: a step whose message exceeded the
//! delivery limit (its workers kept dying while running it) fails, and so
//! does its job, with a reason that says so.
//!
//! Anyone who can publish to the dead-letter exchange can put a message
//! there, and an old copy of a step's message can be dead-lettered long
//! after the step moved on, so a dead letter is acted on only when it can
//! be tied to the step's own delivery: the broker dead-lettered it from
//! this installation's steps queue for reaching the delivery limit (its
//! `x-death` header), it was published at the step's current attempt, and
//! nobody runs the step any more. Anything else is logged and dropped.

use broker::lapin::message::Delivery;
use broker::lapin::types::AMQPValue;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use wire::messages::StepMessage;

use crate::dispatch::advance;
use crate::engine::Engine;
use crate::results::ack_all;
use lustre::StepState;
use store::sql::transact;
use store::steps::Delivered;

/// The `x-death` reasons that mean a step message was given up on. The
/// steps queue is a quorum queue with a delivery limit and nothing else
/// that dead-letters (no TTL, so no `expired`; no length limit, so no
/// `maxlen`; workers never reject without requeueing, so no `rejected`):
/// RabbitMQ gives the reason `delivery_limit` when the limit is reached.
const GIVEN_UP: &[&str] = &["delivery_limit"];

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
                engine.metrics.dead_letters.with_label_values(&["ignored"]).inc();
                tracing::warn!("ignoring a malformed dead-lettered message: {err}");
                continue;
            }
        };
        if let Err(why) = died_on_steps_queue(delivery, &engine.broker.topology().steps) {
            engine.metrics.dead_letters.with_label_values(&["ignored"]).inc();
            tracing::warn!(step_id = %step.step_id, attempt = step.attempt, "ignoring a dead letter {why}");
            continue;
        }
        let delivered = Delivered {
            step_id: step.step_id,
            attempt: step.attempt,
            max_claims: max_claims(engine),
        };
        match abandoned_attempt(engine, delivered).await? {
            Ok(()) => fail(engine, delivered).await?,
            Err(why) => {
                engine.metrics.dead_letters.with_label_values(&["ignored"]).inc();
                tracing::warn!(step_id = %step.step_id, attempt = step.attempt, "ignoring a dead letter: {why}");
            }
        }
    }
    ack_all(&batch).await
}

/// How many claims the deliveries of one message can have made: it is
/// delivered once, then again after each of up to `delivery_limit`
/// returns, and each delivery claims the step at most once.
fn max_claims(engine: &Engine) -> i32 {
    i32::try_from(engine.settings.delivery_limit)
        .unwrap_or(i32::MAX)
        .saturating_add(1)
}

/// Whether the broker itself dead-lettered `delivery` from the steps queue
/// `steps` for reaching the delivery limit: the most recent entry of its
/// `x-death` header (RabbitMQ puts the latest first) names that queue and
/// reason. A message published straight to the dead-letter exchange has
/// no such entry; `Err` says what was found instead.
fn died_on_steps_queue(delivery: &Delivery, steps: &str) -> Result<(), String> {
    let latest = delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get("x-death"))
        .and_then(AMQPValue::as_array)
        .and_then(|deaths| deaths.as_slice().first())
        .and_then(AMQPValue::as_field_table)
        .ok_or("without an x-death header: the broker did not dead-letter it")?;
    let text = |key: &str| match latest.inner().get(key) {
        Some(AMQPValue::LongString(s)) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        Some(AMQPValue::ShortString(s)) => s.as_str().to_owned(),
        _ => String::new(),
    };
    let (queue, reason) = (text("queue"), text("reason"));
    if queue != steps {
        return Err(format!("from queue {queue:?}, not the steps queue {steps:?}"));
    }
    if !GIVEN_UP.contains(&reason.as_str()) {
        return Err(format!("for reason {reason:?}, not the delivery limit"));
    }
    Ok(())
}

/// Whether the dead-lettered message is the step's own delivery and
/// nobody runs the step any more; `Err` says why not.
///
/// A message carries the number of attempts made when it was published,
/// and every claim raises the step's count by one. So the message stands
/// for a queued step only at exactly its attempt (a step queued at a later
/// attempt was queued again, and a newer message or the recovery sweep
/// stands for it), and for a running step only at an attempt one of its
/// own deliveries claimed: above its attempt by at most [`max_claims`].
/// Returns to the queue (a held duplicate, a hand-back) also count towards
/// the delivery limit, so a dead-lettered copy may belong to a step another
/// worker runs well: that one is left alone. A step whose worker just died
/// still has a recent heartbeat; wait until it is either refreshed (alive)
/// or stale (dead). The same conditions are checked again under the row
/// lock when the step is failed.
async fn abandoned_attempt(engine: &Engine, delivered: Delivered) -> anyhow::Result<Result<(), String>> {
    let attempt = delivered.attempt;
    let mut arrived: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        let Some(now) =
            store::steps::attempt_liveness(&engine.db, delivered.step_id, engine.settings.heartbeat_timeout).await?
        else {
            return Ok(Err("no such step".into()));
        };
        let (step, attempts) = (now.liveness, now.attempts);
        let since = *arrived.get_or_insert(step.now);
        let claimed_by_it = attempts > attempt && attempts - attempt <= delivered.max_claims;
        match step.state {
            StepState::Queued if attempts == attempt => return Ok(Ok(())),
            StepState::Queued => {
                return Ok(Err(format!(
                    "the step is queued at attempt {attempts}, the message was published at attempt {attempt}"
                )))
            }
            StepState::Running if !claimed_by_it => {
                return Ok(Err(format!(
                    "the step runs attempt {attempts}, which no delivery of a message published at attempt \
                     {attempt} claimed"
                )))
            }
            StepState::Running if step.stale != Some(false) => return Ok(Ok(())),
            StepState::Running if step.heartbeat_at.is_some_and(|h| h > since) => {
                return Ok(Err("a live worker still runs the step".into()));
            }
            StepState::Running => tokio::time::sleep(engine.settings.heartbeat_interval).await,
            state => return Ok(Err(format!("the step is already {}", state.as_str()))),
        }
    }
}

async fn fail(engine: &Engine, delivered: Delivered) -> anyhow::Result<()> {
    let limit = engine.settings.delivery_limit;
    let step_id = delivered.step_id;
    let reason = format!(
        "step {step_id} was dead-lettered: it was delivered more than {limit} times and every worker \
         running it stopped before finishing (a poison step)"
    );
    // Checked again under the row lock: a worker may have taken it over.
    // The job and action come from the database, not from the message.
    let timeout = engine.settings.heartbeat_timeout;
    let outcome = transact(&engine.db, |tx| {
        let reason = reason.clone();
        Box::pin(async move {
            let Some(failed) = store::steps::fail_dead_lettered(tx, delivered, &reason, timeout).await? else {
                return Ok::<_, sea_orm::DbErr>(None);
            };
            let advanced = advance(tx, &[failed.job_id]).await?;
            Ok(Some((failed, advanced)))
        })
    })
    .await?;
    let Some((failed, advanced)) = outcome else {
        engine.metrics.dead_letters.with_label_values(&["ignored"]).inc();
        tracing::warn!(%step_id, attempt = delivered.attempt, "ignoring a dead letter: the step was taken over meanwhile");
        return Ok(());
    };
    let job_id = failed.job_id;
    engine.metrics.dead_letters.with_label_values(&["failed"]).inc();
    tracing::error!(%step_id, %job_id, "step dead-lettered");
    engine.publish_steps(advanced.queued).await;
    if advanced.released {
        engine.grant_wanted.notify_one();
    }
    let details = serde_json::json!({"step_id": step_id, "job_id": job_id, "action": failed.action});
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
