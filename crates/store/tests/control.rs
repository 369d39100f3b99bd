//! `store::control`'s transitions that the scheduler shares with users,
//! against a fresh migrated database: cancelling what waits on a failed
//! job, and bringing commands up to date with their jobs.

mod support;

use lustre::submission::{NewCommand, NewJob};
use lustre::{Action, CommandState};
use sea_orm::DatabaseConnection;
use store::sql::{execute, query};
use uuid::Uuid;

/// Stores a command whose job `i` waits for the jobs at `waits[i]`; its id
/// and the job ids.
async fn command(db: &DatabaseConnection, waits: &[&[usize]]) -> anyhow::Result<(Uuid, Vec<Uuid>)> {
    let stored = store::commands::insert(
        db,
        &NewCommand {
            message: "test".into(),
            jobs: waits
                .iter()
                .enumerate()
                .map(|(i, wait_for)| NewJob {
                    key: i.to_string(),
                    description: format!("job {i}"),
                    steps: vec![Action::Noop],
                    locks: vec![],
                    wait_for: wait_for.to_vec(),
                })
                .collect(),
        },
    )
    .await?;
    Ok((stored.id, stored.jobs.into_iter().map(|(id, _)| id).collect()))
}

async fn set_job(db: &DatabaseConnection, id: Uuid, state: &str) -> anyhow::Result<()> {
    execute(db, "UPDATE job SET state = $2 WHERE id = $1", [id.into(), state.into()]).await?;
    Ok(())
}

async fn state(db: &DatabaseConnection, table: &str, id: Uuid) -> anyhow::Result<String> {
    let rows = query(db, &format!("SELECT state FROM {table} WHERE id = $1"), [id.into()]).await?;
    Ok(rows
        .first()
        .map(|r| r.try_get("", "state"))
        .transpose()?
        .unwrap_or_default())
}

#[tokio::test]
async fn cancel_dependents_cancels_what_waits_directly_or_not_and_leaves_the_failed_job() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, jobs) = command(&t.db, &[&[], &[0], &[1], &[]]).await?;
    set_job(&t.db, jobs[0], "failed").await?;
    let touched = store::control::cancel_dependents(&t.db, &jobs[..1]).await?;
    assert_eq!(touched, vec![command]);
    assert_eq!(state(&t.db, "job", jobs[0]).await?, "failed");
    assert_eq!(state(&t.db, "job", jobs[1]).await?, "cancelled");
    assert_eq!(
        state(&t.db, "job", jobs[2]).await?,
        "cancelled",
        "waits on it through job 1"
    );
    assert_eq!(state(&t.db, "job", jobs[3]).await?, "pending", "independent");
    let rows = query(&t.db, "SELECT state FROM step WHERE job_id = $1", [jobs[2].into()]).await?;
    assert_eq!(
        rows.first()
            .map(|r| r.try_get::<String>("", "state"))
            .transpose()?
            .as_deref(),
        Some("cancelled")
    );
    t.drop().await
}

#[tokio::test]
async fn cancel_dependents_of_a_job_nothing_waits_on_changes_nothing() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = command(&t.db, &[&[], &[]]).await?;
    assert!(store::control::cancel_dependents(&t.db, &jobs[..1]).await?.is_empty());
    assert_eq!(state(&t.db, "job", jobs[1]).await?, "pending");
    t.drop().await
}

#[tokio::test]
async fn refresh_commands_marks_a_command_running_once_a_job_started() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, jobs) = command(&t.db, &[&[], &[]]).await?;
    set_job(&t.db, jobs[0], "running").await?;
    assert!(
        store::control::refresh_commands(&t.db, &[command]).await?.is_empty(),
        "not finished"
    );
    assert_eq!(state(&t.db, "command", command).await?, "running");
    t.drop().await
}

#[tokio::test]
async fn refresh_commands_fails_a_command_once_all_jobs_finished_and_one_failed() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, jobs) = command(&t.db, &[&[], &[], &[]]).await?;
    set_job(&t.db, jobs[0], "succeeded").await?;
    set_job(&t.db, jobs[1], "failed").await?;
    set_job(&t.db, jobs[2], "cancelled").await?;
    assert_eq!(
        store::control::refresh_commands(&t.db, &[command]).await?,
        vec![(command, CommandState::Failed)]
    );
    assert_eq!(state(&t.db, "command", command).await?, "failed");
    assert!(
        store::control::refresh_commands(&t.db, &[command]).await?.is_empty(),
        "finished once"
    );
    t.drop().await
}

#[tokio::test]
async fn refresh_commands_succeeds_a_command_whose_jobs_all_succeeded() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, jobs) = command(&t.db, &[&[], &[]]).await?;
    for id in &jobs {
        set_job(&t.db, *id, "succeeded").await?;
    }
    assert_eq!(
        store::control::refresh_commands(&t.db, &[command]).await?,
        vec![(command, CommandState::Succeeded)]
    );
    t.drop().await
}

#[tokio::test]
async fn cancel_jobs_leaves_a_running_step_cancelling_until_it_stopped() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, jobs) = command(&t.db, &[&[]]).await?;
    set_job(&t.db, jobs[0], "running").await?;
    execute(
        &t.db,
        "UPDATE step SET state = 'running', attempts = 1, worker = 'w', started_at = now(), heartbeat_at = now()
         WHERE job_id = $1",
        [jobs[0].into()],
    )
    .await?;
    let touched = store::control::cancel_jobs(&t.db, &jobs, "cancelled by user").await?;
    assert_eq!(touched, vec![command]);
    // The user sees the job cancelled at once; its step runs on until its
    // worker saw the command stop.
    assert_eq!(state(&t.db, "job", jobs[0]).await?, "cancelled");
    let rows = query(
        &t.db,
        "SELECT state, finished_at IS NULL AS open, worker FROM step WHERE job_id = $1",
        [jobs[0].into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no step"))?;
    assert_eq!(row.try_get::<String>("", "state")?, "cancelling");
    assert!(row.try_get::<bool>("", "open")?);
    assert_eq!(row.try_get::<Option<String>>("", "worker")?.as_deref(), Some("w"));
    t.drop().await
}

#[tokio::test]
async fn any_cancelled_tells_whether_a_job_among_them_is_cancelled() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = command(&t.db, &[&[], &[]]).await?;
    set_job(&t.db, jobs[0], "succeeded").await?;
    assert!(!store::control::any_cancelled(&t.db, &jobs).await?);
    set_job(&t.db, jobs[1], "cancelled").await?;
    assert!(store::control::any_cancelled(&t.db, &jobs).await?);
    t.drop().await
}

#[tokio::test]
async fn a_cancelled_job_with_a_cancelling_step_still_holds_its_locks() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let item = "lnet/oss1".to_owned();
    let stored = store::commands::insert(
        &t.db,
        &NewCommand {
            message: "test".into(),
            jobs: vec![NewJob {
                key: "0".into(),
                description: "Start LNet".into(),
                steps: vec![Action::Noop],
                locks: vec![(item.clone(), true)],
                wait_for: vec![],
            }],
        },
    )
    .await?;
    let job = stored.jobs[0].0;
    set_job(&t.db, job, "running").await?;
    execute(
        &t.db,
        "UPDATE step SET state = 'running', attempts = 1, worker = 'w', started_at = now(), heartbeat_at = now()
         WHERE job_id = $1",
        [job.into()],
    )
    .await?;
    store::control::cancel_jobs(&t.db, &[job], "cancelled by user").await?;
    assert_eq!(state(&t.db, "job", job).await?, "cancelled");

    // While its command is being killed, the job holds its lock and is
    // unfinished work for a new plan.
    let held = store::domain::held_locks(&t.db, vec![item.clone()]).await?;
    let holders: Vec<Uuid> = held.get(&item).into_iter().flatten().map(|l| l.job_id).collect();
    assert_eq!(holders, [job]);
    let unfinished = store::domain::unfinished_work(&t.db, vec![item.clone()]).await?;
    assert_eq!(unfinished, [(item.clone(), "Start LNet".to_owned(), stored.id)]);

    // Once the step stopped, neither.
    execute(
        &t.db,
        "UPDATE step SET state = 'cancelled' WHERE job_id = $1",
        [job.into()],
    )
    .await?;
    assert!(store::domain::held_locks(&t.db, vec![item.clone()]).await?.is_empty());
    assert!(store::domain::unfinished_work(&t.db, vec![item]).await?.is_empty());
    t.drop().await
}
