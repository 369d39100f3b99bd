//! The recovery sweep against a real, migrated PostgreSQL database and the
//! real RabbitMQ: a running step whose worker stopped heartbeating (and
//! whose message is gone) is queued and published again, and one rescued
//! that way as often as the delivery limit fails its job instead.

use futures::StreamExt;
use lustre::submission::{NewCommand, NewJob};
use lustre::Action;
use migrations::MigratorTrait;
use scheduler::engine::Engine;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use setup::Settings;
use std::time::Duration;
use store::sql::{execute, query};
use uuid::Uuid;
use wire::messages::StepMessage;

/// An engine on a fresh migrated database and queues of its own.
async fn engine() -> anyhow::Result<(Engine, String)> {
    let id = Uuid::now_v7().simple().to_string();
    let suffix = &id[id.len() - 10..];
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("chroma_test_sweep_{suffix}");
    let mut settings = Settings::from_env()?;
    settings.database_url = format!("{server}/{name}").into();
    settings.queue_prefix = format!("test-sweep-{suffix}");
    settings.heartbeat_timeout = Duration::from_millis(100);
    settings.delivery_limit = 2;
    store::ensure_database(&format!("{server}/{name}")).await?;
    let db = sea_orm::Database::connect(format!("{server}/{name}")).await?;
    migrations::Migrator::up(&db, None).await?;
    let broker = broker::Broker::new(&settings)?;
    Ok((
        Engine::new(settings, db, broker, setup::ops::Health::new("scheduler")?)?,
        name,
    ))
}

/// Drops the engine's queues and database.
async fn clean_up(engine: Engine, name: &str) -> anyhow::Result<()> {
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

/// A running one-step job whose step a worker claimed `attempts` times and
/// last heartbeated long ago; its job and step ids.
async fn silent_step(db: &DatabaseConnection, attempts: i32) -> anyhow::Result<(Uuid, Uuid)> {
    let stored = store::commands::insert(
        db,
        &NewCommand {
            message: "test".into(),
            jobs: vec![NewJob {
                key: "0".into(),
                description: "silent".into(),
                steps: vec![Action::Noop],
                locks: vec![("host/1".into(), true)],
                wait_for: vec![],
            }],
        },
    )
    .await?;
    let job = stored.jobs[0].0;
    execute(
        db,
        "UPDATE job SET state = 'running', started_at = now() WHERE id = $1",
        [job.into()],
    )
    .await?;
    let rows = query(
        db,
        "UPDATE step SET state = 'running', attempts = $2, worker = 'gone', started_at = now(),
                         heartbeat_at = now() - interval '1 minute'
         WHERE job_id = $1 RETURNING id",
        [job.into(), attempts.into()],
    )
    .await?;
    let step: Uuid = rows
        .first()
        .map(|r| r.try_get("", "id"))
        .transpose()?
        .unwrap_or_default();
    Ok((job, step))
}

async fn one(db: &DatabaseConnection, sql: &str, id: Uuid) -> anyhow::Result<String> {
    let rows = query(db, sql, [id.into()]).await?;
    Ok(rows
        .first()
        .map(|r| r.try_get("", "state"))
        .transpose()?
        .unwrap_or_default())
}

#[tokio::test]
async fn a_silent_step_is_queued_and_published_again_then_fails_at_the_delivery_limit() -> anyhow::Result<()> {
    let (engine, name) = engine().await?;
    let (job, step) = silent_step(&engine.db, 1).await?;
    scheduler::recovery::sweep(&engine, Duration::from_secs(3600)).await?;
    assert_eq!(
        one(&engine.db, "SELECT state FROM step WHERE id = $1", step).await?,
        "queued"
    );
    let (_channel, mut consumer) = engine
        .broker
        .consume(&engine.settings.topology().steps, 1, "test")
        .await?;
    let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
        .await?
        .ok_or_else(|| anyhow::anyhow!("the steps queue closed"))??;
    let message: StepMessage = serde_json::from_slice(&delivery.data)?;
    assert_eq!((message.step_id, message.job_id), (step, job));

    // Rescued as often as the delivery limit: it fails, and so does its job.
    let (job, step) = silent_step(&engine.db, 2).await?;
    scheduler::recovery::sweep(&engine, Duration::from_secs(3600)).await?;
    assert_eq!(
        one(&engine.db, "SELECT state FROM step WHERE id = $1", step).await?,
        "failed"
    );
    assert_eq!(
        one(&engine.db, "SELECT state FROM job WHERE id = $1", job).await?,
        "failed"
    );
    clean_up(engine, &name).await
}

#[tokio::test]
async fn a_cancelling_step_of_a_dead_worker_is_cancelled_with_an_event_and_frees_its_locks() -> anyhow::Result<()> {
    let (engine, name) = engine().await?;
    // A job cancelled while its worker ran the step, then the worker died.
    let (job, step) = silent_step(&engine.db, 1).await?;
    store::control::cancel_jobs(&engine.db, &[job], "cancelled by user").await?;
    assert_eq!(
        one(&engine.db, "SELECT state FROM step WHERE id = $1", step).await?,
        "cancelling"
    );
    // A job that wants the same lock waits for the step to end.
    let next = store::commands::insert(
        &engine.db,
        &NewCommand {
            message: "next".into(),
            jobs: vec![NewJob {
                key: "0".into(),
                description: "next".into(),
                steps: vec![Action::Noop],
                locks: vec![("host/1".into(), true)],
                wait_for: vec![],
            }],
        },
    )
    .await?
    .jobs[0]
        .0;
    scheduler::grants::pass(&engine).await?;
    assert_eq!(
        one(&engine.db, "SELECT state FROM job WHERE id = $1", next).await?,
        "waiting"
    );

    scheduler::recovery::sweep(&engine, Duration::from_secs(3600)).await?;
    assert_eq!(
        one(&engine.db, "SELECT state FROM step WHERE id = $1", step).await?,
        "cancelled"
    );
    let events = query(
        &engine.db,
        "SELECT message FROM event WHERE kind = 'step_cancel_abandoned' AND details->>'step_id' = $1",
        [step.to_string().into()],
    )
    .await?;
    let message: String = events
        .first()
        .ok_or_else(|| anyhow::anyhow!("no event for the abandoned cancel"))?
        .try_get("", "message")?;
    assert!(message.contains("may have gone on running"), "{message}");
    // The next sweep's grant pass (or the one it asked for) starts the next job.
    scheduler::grants::pass(&engine).await?;
    assert_eq!(
        one(&engine.db, "SELECT state FROM job WHERE id = $1", next).await?,
        "running"
    );
    clean_up(engine, &name).await
}
