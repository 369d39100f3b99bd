//! The dead-letter consumer against a real, migrated PostgreSQL database
//! and the real RabbitMQ, one behaviour each: a step message the broker
//! dead-lettered for reaching the delivery limit fails its step when nobody
//! runs it (queued, or running with a stale heartbeat), with its job, and
//! the jobs waiting on it are cancelled; a dead-lettered copy of a step
//! that already finished, that a live worker still runs, or that was queued
//! again at a later attempt changes nothing, and neither does a message
//! published straight to the dead-letter queue.

use broker::lapin::options::{BasicGetOptions, BasicNackOptions};
use lustre::submission::{NewCommand, NewJob};
use lustre::Action;
use migrations::MigratorTrait;
use scheduler::engine::Engine;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use setup::Settings;
use std::sync::Arc;
use std::time::Duration;
use store::sql::{execute, query};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wire::messages::StepMessage;

/// An engine on a fresh migrated database and queues of its own.
async fn engine() -> anyhow::Result<(Arc<Engine>, String)> {
    let id = Uuid::now_v7().simple().to_string();
    let suffix = &id[id.len() - 10..];
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("chroma_test_dead_{suffix}");
    let mut settings = Settings::from_env()?;
    settings.database_url = format!("{server}/{name}").into();
    settings.queue_prefix = format!("test-dead-{suffix}");
    settings.heartbeat_interval = Duration::from_millis(100);
    settings.heartbeat_timeout = Duration::from_secs(2);
    // Few deliveries before the broker dead-letters a message.
    settings.delivery_limit = 1;
    store::ensure_database(&format!("{server}/{name}")).await?;
    let db = sea_orm::Database::connect(format!("{server}/{name}")).await?;
    migrations::Migrator::up(&db, None).await?;
    let broker = broker::Broker::new(&settings)?;
    Ok((
        Arc::new(Engine::new(
            settings,
            db,
            broker,
            setup::ops::Health::new("scheduler")?,
        )?),
        name,
    ))
}

/// Drops the engine's queues and database.
async fn clean_up(engine: Arc<Engine>, name: &str) -> anyhow::Result<()> {
    let channel = engine.broker.channel().await?;
    let topology = engine.settings.topology();
    for queue in [&topology.jobs, &topology.steps, &topology.results, &topology.dead_steps] {
        channel.queue_delete(queue, Default::default()).await?;
    }
    channel
        .exchange_delete(&topology.dead_letter_exchange, Default::default())
        .await?;
    engine.broker.close().await;
    engine.db.clone().close().await?;
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let admin = sea_orm::Database::connect(format!("{server}/postgres")).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    Ok(())
}

/// A one-step job locking `item` and waiting for the jobs at `wait_for`.
fn job(key: &str, item: &str, wait_for: &[usize]) -> NewJob {
    NewJob {
        key: key.into(),
        description: key.into(),
        steps: vec![Action::Noop],
        locks: vec![(item.into(), true)],
        wait_for: wait_for.to_vec(),
    }
}

/// Stores a command of `jobs` and runs a grant pass; the job ids in order
/// and the messages of the steps it queued (not published).
async fn submit_and_grant(db: &DatabaseConnection, jobs: Vec<NewJob>) -> anyhow::Result<(Vec<Uuid>, Vec<StepMessage>)> {
    let stored = store::commands::insert(
        db,
        &NewCommand {
            message: "test".into(),
            jobs,
        },
    )
    .await?;
    let tx = db.begin().await?;
    let advanced = scheduler::locks::grant(&tx).await?;
    tx.commit().await?;
    Ok((stored.jobs.into_iter().map(|(id, _)| id).collect(), advanced.queued))
}

/// Dead-letters `steps` as the broker does, in order: publishes each to
/// the steps queue, then takes and returns it until its deliveries exceed
/// the delivery limit and the broker moves it to the dead-letter exchange
/// (workers dying while they hold it look the same to the broker).
async fn dead_letter(engine: &Engine, steps: &[StepMessage]) -> anyhow::Result<()> {
    let publisher = broker::Publisher::new(engine.broker.clone());
    let channel = engine.broker.channel().await?;
    let queue = engine.settings.topology().steps;
    for step in steps {
        publisher.publish_json(&queue, std::slice::from_ref(step)).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut deliveries = 0;
        loop {
            match channel.basic_get(&queue, BasicGetOptions::default()).await? {
                Some(message) => {
                    deliveries += 1;
                    let requeue = BasicNackOptions {
                        requeue: true,
                        ..BasicNackOptions::default()
                    };
                    message.delivery.acker.nack(requeue).await?;
                }
                // Gone after more deliveries than the limit: dead-lettered.
                None if deliveries > engine.settings.delivery_limit => break,
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "step {} was still not dead-lettered after {deliveries} deliveries",
                step.step_id
            );
        }
    }
    Ok(())
}

/// Publishes `steps` straight to the dead-step queue, as anyone allowed to
/// publish there could: the broker did not dead-letter them.
async fn forge_dead_letters(engine: &Engine, steps: &[StepMessage]) -> anyhow::Result<()> {
    let publisher = broker::Publisher::new(engine.broker.clone());
    publisher
        .publish_json(&engine.settings.topology().dead_steps, steps)
        .await?;
    Ok(())
}

async fn text(db: &DatabaseConnection, sql: &str, id: Uuid) -> anyhow::Result<Option<String>> {
    let rows = query(db, sql, [id.into()]).await?;
    Ok(rows.first().map(|r| r.try_get("", "v")).transpose()?.flatten())
}

async fn job_state(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<String> {
    Ok(text(db, "SELECT state AS v FROM job WHERE id = $1", id)
        .await?
        .unwrap_or_default())
}

async fn step_state(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<String> {
    Ok(text(db, "SELECT state AS v FROM step WHERE id = $1", id)
        .await?
        .unwrap_or_default())
}

/// Waits (up to 20 s) until job `id` is `state`.
async fn wait_for_job(db: &DatabaseConnection, id: Uuid, state: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = job_state(db, id).await?;
        if now == state {
            return Ok(());
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "job {id} is {now}, not {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Alerts about job `id` of the dead-letter kind.
async fn dead_letter_alerts(db: &DatabaseConnection, job: Uuid) -> anyhow::Result<i64> {
    let rows = query(
        db,
        "SELECT count(*) AS n FROM alert WHERE kind = 'step_dead_lettered' AND item = $1",
        [format!("job/{job}").into()],
    )
    .await?;
    Ok(rows.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}

/// Runs the dead-letter consumer until the returned token is cancelled.
fn consume(engine: &Arc<Engine>) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(scheduler::dead_letters::run(engine.clone(), shutdown.clone()));
    (shutdown, task)
}

#[tokio::test]
async fn a_dead_lettered_queued_step_fails_its_job_and_cancels_its_dependents() -> anyhow::Result<()> {
    let (engine, name) = engine().await?;
    let (jobs, queued) = submit_and_grant(
        &engine.db,
        vec![job("format", "target/1", &[]), job("mount", "target/2", &[0])],
    )
    .await?;
    let (format, mount) = (jobs[0], jobs[1]);
    assert_eq!(queued.len(), 1, "only the first job starts");
    let step = queued[0].step_id;

    let (shutdown, task) = consume(&engine);
    dead_letter(&engine, &queued).await?;
    wait_for_job(&engine.db, format, "failed").await?;
    shutdown.cancel();
    task.await?;

    assert_eq!(step_state(&engine.db, step).await?, "failed");
    let error = text(&engine.db, "SELECT error AS v FROM step WHERE id = $1", step).await?;
    assert!(
        error.as_deref().is_some_and(|e| e.contains("was dead-lettered")),
        "{error:?}"
    );
    assert_eq!(
        text(&engine.db, "SELECT error AS v FROM job WHERE id = $1", format).await?,
        error,
        "the job fails with its step's reason"
    );
    assert_eq!(job_state(&engine.db, mount).await?, "cancelled");
    assert_eq!(dead_letter_alerts(&engine.db, format).await?, 1);
    clean_up(engine, &name).await
}

#[tokio::test]
async fn a_dead_lettered_running_step_whose_worker_stopped_heartbeating_fails() -> anyhow::Result<()> {
    let (engine, name) = engine().await?;
    let (jobs, queued) = submit_and_grant(&engine.db, vec![job("format", "target/1", &[])]).await?;
    let step = queued[0].step_id;
    store::steps::claim(&engine.db, &[step], "gone", Duration::from_secs(60)).await?;
    execute(
        &engine.db,
        "UPDATE step SET heartbeat_at = now() - interval '1 minute' WHERE id = $1",
        [step.into()],
    )
    .await?;

    let (shutdown, task) = consume(&engine);
    dead_letter(&engine, &queued).await?;
    wait_for_job(&engine.db, jobs[0], "failed").await?;
    shutdown.cancel();
    task.await?;
    assert_eq!(step_state(&engine.db, step).await?, "failed");
    clean_up(engine, &name).await
}

#[tokio::test]
async fn a_dead_letter_for_a_step_that_already_finished_changes_nothing() -> anyhow::Result<()> {
    let (engine, name) = engine().await?;
    let (done, done_steps) = submit_and_grant(&engine.db, vec![job("done", "target/1", &[])]).await?;
    let step = done_steps[0].step_id;
    execute(
        &engine.db,
        "UPDATE step SET state = 'succeeded', finished_at = now() WHERE id = $1",
        [step.into()],
    )
    .await?;
    let tx = engine.db.begin().await?;
    scheduler::dispatch::advance(&tx, &[done[0]]).await?;
    tx.commit().await?;
    assert_eq!(job_state(&engine.db, done[0]).await?, "succeeded");
    // Dead letters are handled in order: once this one failed, the first
    // was handled too.
    let (witness, witness_steps) = submit_and_grant(&engine.db, vec![job("witness", "target/2", &[])]).await?;

    let (shutdown, task) = consume(&engine);
    dead_letter(&engine, &[done_steps[0].clone(), witness_steps[0].clone()]).await?;
    wait_for_job(&engine.db, witness[0], "failed").await?;
    shutdown.cancel();
    task.await?;

    assert_eq!(step_state(&engine.db, step).await?, "succeeded");
    assert_eq!(job_state(&engine.db, done[0]).await?, "succeeded");
    assert_eq!(
        text(&engine.db, "SELECT error AS v FROM job WHERE id = $1", done[0]).await?,
        None
    );
    assert_eq!(dead_letter_alerts(&engine.db, done[0]).await?, 0);
    clean_up(engine, &name).await
}

#[tokio::test]
async fn a_dead_lettered_copy_of_a_step_a_live_worker_runs_is_left_alone() -> anyhow::Result<()> {
    let (engine, name) = engine().await?;
    let (running, running_steps) = submit_and_grant(&engine.db, vec![job("running", "target/1", &[])]).await?;
    let step = running_steps[0].step_id;
    let claimed = store::steps::claim(&engine.db, &[step], "alive", Duration::from_secs(60)).await?;
    let attempt = claimed.first().map(|c| c.attempt).unwrap_or_default();
    // The worker heartbeats while the dead letter is looked at.
    let alive = CancellationToken::new();
    let heartbeats = {
        let (db, alive) = (engine.db.clone(), alive.clone());
        tokio::spawn(async move {
            while !alive.is_cancelled() {
                let _ = store::steps::heartbeat(&db, &[(step, attempt)]).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let (witness, witness_steps) = submit_and_grant(&engine.db, vec![job("witness", "target/2", &[])]).await?;

    let (shutdown, task) = consume(&engine);
    dead_letter(&engine, &[running_steps[0].clone(), witness_steps[0].clone()]).await?;
    wait_for_job(&engine.db, witness[0], "failed").await?;
    shutdown.cancel();
    task.await?;
    alive.cancel();
    heartbeats.await?;

    assert_eq!(step_state(&engine.db, step).await?, "running");
    assert_eq!(job_state(&engine.db, running[0]).await?, "running");
    assert_eq!(dead_letter_alerts(&engine.db, running[0]).await?, 0);
    clean_up(engine, &name).await
}

#[tokio::test]
async fn a_dead_letter_the_broker_did_not_make_changes_nothing() -> anyhow::Result<()> {
    let (engine, name) = engine().await?;
    let (forged, forged_steps) = submit_and_grant(&engine.db, vec![job("forged", "target/1", &[])]).await?;
    let step = forged_steps[0].step_id;
    let (witness, witness_steps) = submit_and_grant(&engine.db, vec![job("witness", "target/2", &[])]).await?;

    let (shutdown, task) = consume(&engine);
    forge_dead_letters(&engine, &forged_steps).await?;
    dead_letter(&engine, &witness_steps).await?;
    wait_for_job(&engine.db, witness[0], "failed").await?;
    shutdown.cancel();
    task.await?;

    assert_eq!(step_state(&engine.db, step).await?, "queued");
    assert_eq!(job_state(&engine.db, forged[0]).await?, "running");
    assert_eq!(dead_letter_alerts(&engine.db, forged[0]).await?, 0);
    clean_up(engine, &name).await
}

#[tokio::test]
async fn a_dead_letter_of_an_older_attempt_changes_nothing() -> anyhow::Result<()> {
    let (engine, name) = engine().await?;
    let (rescued, rescued_steps) = submit_and_grant(&engine.db, vec![job("rescued", "target/1", &[])]).await?;
    let step = rescued_steps[0].step_id;
    // Attempt 1 ran from the first message and went silent; the recovery
    // sweep queued the step again with a message of attempt 1.
    store::steps::claim(&engine.db, &[step], "gone", Duration::from_secs(60)).await?;
    execute(
        &engine.db,
        "UPDATE step SET heartbeat_at = now() - interval '1 minute' WHERE id = $1",
        [step.into()],
    )
    .await?;
    let requeued = store::steps::requeue_silent(&engine.db, Duration::from_secs(30), 10).await?;
    assert_eq!(
        requeued.iter().map(|m| (m.step_id, m.attempt)).collect::<Vec<_>>(),
        [(step, 1)]
    );
    let (witness, witness_steps) = submit_and_grant(&engine.db, vec![job("witness", "target/2", &[])]).await?;

    let (shutdown, task) = consume(&engine);
    // The first message (attempt 0) reaches its delivery limit only now.
    dead_letter(&engine, &[rescued_steps[0].clone(), witness_steps[0].clone()]).await?;
    wait_for_job(&engine.db, witness[0], "failed").await?;
    shutdown.cancel();
    task.await?;

    assert_eq!(step_state(&engine.db, step).await?, "queued");
    assert_eq!(job_state(&engine.db, rescued[0]).await?, "running");
    assert_eq!(dead_letter_alerts(&engine.db, rescued[0]).await?, 0);
    clean_up(engine, &name).await
}
