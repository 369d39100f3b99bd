//! The statements the scheduler's dead-letter consumer runs
//! (`store::steps::liveness`, `store::steps::fail_abandoned`) against a
//! fresh migrated database: a dead-lettered step fails only when nobody
//! runs it any more.

mod support;

use lustre::submission::{NewCommand, NewJob};
use lustre::{Action, StepState};
use sea_orm::DatabaseConnection;
use std::time::Duration;
use store::sql::{execute, query};
use uuid::Uuid;

/// A one-step job's step, set to `state` with its heartbeat `age` ago
/// (none if `None`).
async fn step(db: &DatabaseConnection, state: &str, age: Option<Duration>) -> anyhow::Result<Uuid> {
    let stored = store::commands::insert(
        db,
        &NewCommand {
            message: "test".into(),
            jobs: vec![NewJob {
                key: "0".into(),
                description: "dead".into(),
                steps: vec![Action::Noop],
                locks: vec![],
                wait_for: vec![],
            }],
        },
    )
    .await?;
    let rows = query(
        db,
        "UPDATE step SET state = $2,
                         heartbeat_at = now() - make_interval(secs => $3::float8)
         WHERE job_id = $1 RETURNING id",
        [
            stored.jobs[0].0.into(),
            state.into(),
            age.map(|a| a.as_secs_f64()).into(),
        ],
    )
    .await?;
    rows.first()
        .map(|r| r.try_get("", "id"))
        .transpose()?
        .ok_or_else(|| anyhow::anyhow!("no step"))
}

async fn state_and_error(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<(String, Option<String>)> {
    let rows = query(db, "SELECT state, error FROM step WHERE id = $1", [id.into()]).await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no step {id}"))?;
    Ok((row.try_get("", "state")?, row.try_get("", "error")?))
}

const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn liveness_is_none_for_an_unknown_step() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    assert!(store::steps::liveness(&t.db, Uuid::now_v7(), TIMEOUT).await?.is_none());
    t.drop().await
}

#[tokio::test]
async fn liveness_says_whether_the_heartbeat_is_older_than_the_timeout() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let fresh = step(&t.db, "running", Some(Duration::ZERO)).await?;
    let stale = step(&t.db, "running", Some(Duration::from_secs(60))).await?;
    let queued = step(&t.db, "queued", None).await?;
    let fresh = store::steps::liveness(&t.db, fresh, TIMEOUT)
        .await?
        .ok_or_else(|| anyhow::anyhow!("none"))?;
    assert_eq!((fresh.state, fresh.stale), (StepState::Running, Some(false)));
    assert!(fresh.heartbeat_at.is_some_and(|h| h <= fresh.now));
    let stale = store::steps::liveness(&t.db, stale, TIMEOUT)
        .await?
        .ok_or_else(|| anyhow::anyhow!("none"))?;
    assert_eq!(stale.stale, Some(true));
    let queued = store::steps::liveness(&t.db, queued, TIMEOUT)
        .await?
        .ok_or_else(|| anyhow::anyhow!("none"))?;
    assert_eq!(
        (queued.state, queued.heartbeat_at, queued.stale),
        (StepState::Queued, None, None)
    );
    t.drop().await
}

#[tokio::test]
async fn fail_abandoned_fails_a_queued_step_with_the_reason() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = step(&t.db, "queued", None).await?;
    assert_eq!(
        store::steps::fail_abandoned(&t.db, id, "dead-lettered", TIMEOUT).await?,
        1
    );
    assert_eq!(
        state_and_error(&t.db, id).await?,
        ("failed".into(), Some("dead-lettered".into()))
    );
    t.drop().await
}

#[tokio::test]
async fn fail_abandoned_fails_a_running_step_only_once_its_heartbeat_is_stale() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let alive = step(&t.db, "running", Some(Duration::ZERO)).await?;
    let dead = step(&t.db, "running", Some(Duration::from_secs(60))).await?;
    assert_eq!(
        store::steps::fail_abandoned(&t.db, alive, "dead-lettered", TIMEOUT).await?,
        0
    );
    assert_eq!(state_and_error(&t.db, alive).await?, ("running".into(), None));
    assert_eq!(
        store::steps::fail_abandoned(&t.db, dead, "dead-lettered", TIMEOUT).await?,
        1
    );
    assert_eq!(state_and_error(&t.db, dead).await?.0, "failed");
    let rows = query(
        &t.db,
        "SELECT heartbeat_at IS NULL AS cleared FROM step WHERE id = $1",
        [dead.into()],
    )
    .await?;
    assert!(rows
        .first()
        .map(|r| r.try_get::<bool>("", "cleared"))
        .transpose()?
        .unwrap_or(false));
    t.drop().await
}

#[tokio::test]
async fn fail_abandoned_leaves_a_finished_step_alone() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = step(&t.db, "succeeded", None).await?;
    execute(&t.db, "UPDATE step SET finished_at = now() WHERE id = $1", [id.into()]).await?;
    assert_eq!(
        store::steps::fail_abandoned(&t.db, id, "dead-lettered", TIMEOUT).await?,
        0
    );
    assert_eq!(state_and_error(&t.db, id).await?, ("succeeded".into(), None));
    t.drop().await
}
