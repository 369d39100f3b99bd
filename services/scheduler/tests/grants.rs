//! The engine's grant and advance decisions against a real, migrated
//! PostgreSQL database, one behaviour each: locks on one item in
//! submission order, readers sharing, dependencies, a failed job
//! cancelling what waits on it, and advancing twice changing nothing.

use lustre::submission::{NewCommand, NewJob};
use lustre::Action;
use migrations::MigratorTrait;
use scheduler::dispatch::advance;
use scheduler::locks::grant;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use store::sql::{execute, query};
use uuid::Uuid;

/// A fresh migrated database of its own; dropped by [`drop_db`].
async fn db() -> anyhow::Result<(DatabaseConnection, String)> {
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let id = Uuid::now_v7().simple().to_string();
    // The last digits: a v7 id's first ones are its time.
    let name = format!("chroma_test_sched_{}", &id[id.len() - 10..]);
    let url = format!("{server}/{name}");
    store::ensure_database(&url).await?;
    let db = sea_orm::Database::connect(url).await?;
    migrations::Migrator::up(&db, None).await?;
    Ok((db, name))
}

async fn drop_db(db: DatabaseConnection, name: &str) -> anyhow::Result<()> {
    db.close().await?;
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let admin = sea_orm::Database::connect(format!("{server}/postgres")).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    Ok(())
}

/// A one-step job locking `locks` and waiting for the jobs at `wait_for`.
fn job(key: &str, locks: &[(&str, bool)], wait_for: &[usize]) -> NewJob {
    NewJob {
        key: key.into(),
        description: key.into(),
        steps: vec![Action::Noop],
        locks: locks.iter().map(|(item, write)| ((*item).to_owned(), *write)).collect(),
        wait_for: wait_for.to_vec(),
    }
}

/// Stores a command of `jobs`; their ids in order.
async fn submit(db: &DatabaseConnection, jobs: Vec<NewJob>) -> anyhow::Result<Vec<Uuid>> {
    let stored = store::commands::insert(
        db,
        &NewCommand {
            message: "test".into(),
            jobs,
        },
    )
    .await?;
    Ok(stored.jobs.into_iter().map(|(id, _)| id).collect())
}

/// One grant pass in its own transaction; the jobs whose steps it queued.
async fn grant_pass(db: &DatabaseConnection) -> anyhow::Result<Vec<Uuid>> {
    let tx = db.begin().await?;
    let advanced = grant(&tx).await?;
    tx.commit().await?;
    Ok(advanced.queued.iter().map(|m| m.job_id).collect())
}

async fn state(db: &DatabaseConnection, job: Uuid) -> anyhow::Result<String> {
    let rows = query(db, "SELECT state FROM job WHERE id = $1", [job.into()]).await?;
    Ok(rows
        .first()
        .map(|r| r.try_get("", "state"))
        .transpose()?
        .unwrap_or_default())
}

/// Ends `job`'s step as a worker would record it, then advances the job.
async fn finish_step(
    db: &DatabaseConnection,
    job: Uuid,
    outcome: &str,
) -> anyhow::Result<scheduler::dispatch::Advanced> {
    execute(
        db,
        "UPDATE step SET state = $2, error = CASE WHEN $2 = 'failed' THEN 'boom' END, finished_at = now()
         WHERE job_id = $1",
        [job.into(), outcome.to_owned().into()],
    )
    .await?;
    let tx = db.begin().await?;
    let advanced = advance(&tx, &[job]).await?;
    tx.commit().await?;
    Ok(advanced)
}

#[tokio::test]
async fn write_locks_on_one_item_are_granted_in_submission_order_and_readers_share() -> anyhow::Result<()> {
    let (db, name) = db().await?;
    let first = submit(&db, vec![job("first", &[("target/1", true)], &[])]).await?[0];
    let second = submit(&db, vec![job("second", &[("target/1", true)], &[])]).await?[0];
    let reader_a = submit(&db, vec![job("a", &[("target/2", false)], &[])]).await?[0];
    let reader_b = submit(&db, vec![job("b", &[("target/2", false)], &[])]).await?[0];

    let mut queued = grant_pass(&db).await?;
    queued.sort();
    let mut expected = vec![first, reader_a, reader_b];
    expected.sort();
    assert_eq!(queued, expected, "the first writer and both readers start");
    assert_eq!(state(&db, second).await?, "waiting");
    assert!(grant_pass(&db).await?.is_empty(), "nothing more while the lock is held");

    let done = finish_step(&db, first, "succeeded").await?;
    assert!(done.released);
    assert_eq!(state(&db, first).await?, "succeeded");
    assert_eq!(
        grant_pass(&db).await?,
        vec![second],
        "the lock passes to the next writer"
    );
    assert_eq!(state(&db, second).await?, "running");
    drop_db(db, &name).await
}

#[tokio::test]
async fn a_job_waits_for_its_dependency_and_is_cancelled_when_it_fails() -> anyhow::Result<()> {
    let (db, name) = db().await?;
    let jobs = submit(
        &db,
        vec![
            job("format", &[("target/1", true)], &[]),
            job("mount", &[("target/2", true)], &[0]),
        ],
    )
    .await?;
    let (format, mount) = (jobs[0], jobs[1]);
    assert_eq!(grant_pass(&db).await?, vec![format], "the dependent waits");
    assert_ne!(state(&db, mount).await?, "running");

    finish_step(&db, format, "failed").await?;
    assert_eq!(state(&db, format).await?, "failed");
    assert_eq!(state(&db, mount).await?, "cancelled");
    assert!(grant_pass(&db).await?.is_empty(), "a cancelled job never starts");
    drop_db(db, &name).await
}

#[tokio::test]
async fn advancing_a_finished_job_again_changes_nothing() -> anyhow::Result<()> {
    let (db, name) = db().await?;
    let job_id = submit(&db, vec![job("once", &[("host/1", true)], &[])]).await?[0];
    assert_eq!(grant_pass(&db).await?, vec![job_id]);
    let first = finish_step(&db, job_id, "succeeded").await?;
    assert!(first.released);
    // A redelivered result advances the same job again.
    let tx = db.begin().await?;
    let again = advance(&tx, &[job_id]).await?;
    tx.commit().await?;
    assert!(!again.released && again.queued.is_empty(), "{again:?}");
    assert_eq!(state(&db, job_id).await?, "succeeded");
    drop_db(db, &name).await
}
