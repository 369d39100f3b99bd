//! `store::jobs` against a fresh migrated database: the statements of the
//! grant pass, of advancing a job, and of the recovery sweep's look for
//! stalled jobs, one behaviour each.

mod support;

use lustre::submission::{NewCommand, NewJob};
use lustre::{Action, JobState, StepState};
use sea_orm::{DatabaseConnection, TransactionTrait};
use std::time::Duration;
use store::sql::{execute, query};
use uuid::Uuid;

/// A job of `steps` no-op steps locking `item` (written), waiting for the
/// jobs at `wait_for`.
fn job(item: &str, steps: usize, wait_for: &[usize]) -> NewJob {
    NewJob {
        key: item.into(),
        description: item.into(),
        steps: vec![Action::Noop; steps],
        locks: vec![(item.into(), true)],
        wait_for: wait_for.to_vec(),
    }
}

/// Stores one command of `jobs`; its id and the job ids in order.
async fn submit(db: &DatabaseConnection, jobs: Vec<NewJob>) -> anyhow::Result<(Uuid, Vec<Uuid>)> {
    let stored = store::commands::insert(
        db,
        &NewCommand {
            message: "test".into(),
            jobs,
        },
    )
    .await?;
    Ok((stored.id, stored.jobs.into_iter().map(|(id, _)| id).collect()))
}

async fn set_job(db: &DatabaseConnection, id: Uuid, state: &str) -> anyhow::Result<()> {
    execute(db, "UPDATE job SET state = $2 WHERE id = $1", [id.into(), state.into()]).await?;
    Ok(())
}

/// Sets the state of step `idx` of job `id`.
async fn set_step(db: &DatabaseConnection, id: Uuid, idx: i32, state: &str) -> anyhow::Result<()> {
    execute(
        db,
        "UPDATE step SET state = $3 WHERE job_id = $1 AND idx = $2",
        [id.into(), idx.into(), state.into()],
    )
    .await?;
    Ok(())
}

async fn job_row(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<(String, Option<String>, bool, bool)> {
    let rows = query(
        db,
        "SELECT state, error, started_at IS NOT NULL AS started, finished_at IS NOT NULL AS finished
         FROM job WHERE id = $1",
        [id.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no job {id}"))?;
    Ok((
        row.try_get("", "state")?,
        row.try_get("", "error")?,
        row.try_get("", "started")?,
        row.try_get("", "finished")?,
    ))
}

#[tokio::test]
async fn grant_candidates_are_in_submission_order_and_a_later_writer_on_the_same_item_may_not_start(
) -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, first) = submit(&t.db, vec![job("target/1", 1, &[])]).await?;
    let (_, second) = submit(&t.db, vec![job("target/1", 1, &[])]).await?;
    let found = store::jobs::grant_candidates(&t.db, 0, 10).await?;
    let ids: Vec<Uuid> = found.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![first[0], second[0]]);
    assert!(found[0].seq < found[1].seq);
    assert!(found[0].runnable && !found[1].runnable, "{found:?}");
    assert_eq!(found[0].state, JobState::Pending);
    t.drop().await
}

#[tokio::test]
async fn grant_candidates_page_after_a_seq() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(&t.db, vec![job("target/1", 1, &[]), job("target/2", 1, &[])]).await?;
    let page = store::jobs::grant_candidates(&t.db, 0, 1).await?;
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), vec![jobs[0]]);
    let next = store::jobs::grant_candidates(&t.db, page[0].seq, 1).await?;
    assert_eq!(next.iter().map(|c| c.id).collect::<Vec<_>>(), vec![jobs[1]]);
    assert!(store::jobs::grant_candidates(&t.db, next[0].seq, 1).await?.is_empty());
    t.drop().await
}

#[tokio::test]
async fn a_job_whose_dependency_has_not_succeeded_is_not_runnable() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(&t.db, vec![job("target/1", 1, &[]), job("target/2", 1, &[0])]).await?;
    let found = store::jobs::grant_candidates(&t.db, 0, 10).await?;
    assert!(found[0].runnable && !found[1].runnable, "{found:?}");
    set_job(&t.db, jobs[0], "succeeded").await?;
    let found = store::jobs::grant_candidates(&t.db, 0, 10).await?;
    assert_eq!(found.len(), 1);
    assert!(found[0].id == jobs[1] && found[0].runnable, "{found:?}");
    t.drop().await
}

#[tokio::test]
async fn mark_waiting_changes_only_pending_jobs() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(&t.db, vec![job("target/1", 1, &[]), job("target/2", 1, &[])]).await?;
    set_job(&t.db, jobs[1], "running").await?;
    assert_eq!(store::jobs::mark_waiting(&t.db, &jobs).await?, 1);
    assert_eq!(job_row(&t.db, jobs[0]).await?.0, "waiting");
    assert_eq!(job_row(&t.db, jobs[1]).await?.0, "running");
    t.drop().await
}

#[tokio::test]
async fn start_runs_pending_or_waiting_jobs_once_and_returns_their_commands() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, jobs) = submit(&t.db, vec![job("target/1", 1, &[]), job("target/2", 1, &[])]).await?;
    set_job(&t.db, jobs[1], "waiting").await?;
    let started = store::jobs::start(&t.db, &jobs).await?;
    let mut ids: Vec<Uuid> = started.iter().map(|j| j.id).collect();
    ids.sort();
    let mut expected = jobs.clone();
    expected.sort();
    assert_eq!(ids, expected);
    assert!(started.iter().all(|j| j.command_id == command));
    let (state, _, was_started, _) = job_row(&t.db, jobs[0]).await?;
    assert!(state == "running" && was_started);
    assert!(
        store::jobs::start(&t.db, &jobs).await?.is_empty(),
        "running jobs are not started again"
    );
    t.drop().await
}

#[tokio::test]
async fn lock_progress_gives_each_running_job_its_first_step_not_yet_succeeded() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, jobs) = submit(&t.db, vec![job("target/1", 3, &[]), job("target/2", 1, &[])]).await?;
    set_job(&t.db, jobs[0], "running").await?;
    set_step(&t.db, jobs[0], 0, "succeeded").await?;
    set_step(&t.db, jobs[0], 1, "failed").await?;
    execute(
        &t.db,
        "UPDATE step SET error = 'boom' WHERE job_id = $1 AND idx = 1",
        [jobs[0].into()],
    )
    .await?;
    // The second job is still pending: not advanced.
    let progress = store::jobs::lock_progress(&t.db, &jobs).await?;
    assert_eq!(progress.len(), 1, "{progress:?}");
    let p = &progress[0];
    assert_eq!((p.id, p.command_id, p.state), (jobs[0], command, JobState::Running));
    let next = p.next_step.as_ref().ok_or_else(|| anyhow::anyhow!("no next step"))?;
    assert_eq!((next.state, next.error.as_deref()), (StepState::Failed, Some("boom")));
    t.drop().await
}

#[tokio::test]
async fn lock_progress_gives_no_next_step_once_every_step_succeeded() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(&t.db, vec![job("target/1", 2, &[])]).await?;
    set_job(&t.db, jobs[0], "paused").await?;
    execute(
        &t.db,
        "UPDATE step SET state = 'succeeded' WHERE job_id = $1",
        [jobs[0].into()],
    )
    .await?;
    let progress = store::jobs::lock_progress(&t.db, &jobs).await?;
    assert_eq!(progress.len(), 1);
    assert_eq!(progress[0].state, JobState::Paused);
    assert!(progress[0].next_step.is_none(), "{progress:?}");
    t.drop().await
}

#[tokio::test]
async fn lock_progress_locks_the_jobs_until_the_transaction_ends() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(&t.db, vec![job("target/1", 1, &[])]).await?;
    set_job(&t.db, jobs[0], "running").await?;
    let tx = t.db.begin().await?;
    store::jobs::lock_progress(&tx, &jobs).await?;
    let other = t.db.clone();
    let id = jobs[0];
    let blocked = tokio::spawn(async move { store::jobs::mark_succeeded(&other, &[id]).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!blocked.is_finished(), "another transaction waits for the row lock");
    tx.commit().await?;
    assert_eq!(blocked.await??, 1);
    t.drop().await
}

#[tokio::test]
async fn mark_succeeded_finishes_the_jobs() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(&t.db, vec![job("target/1", 1, &[])]).await?;
    set_job(&t.db, jobs[0], "running").await?;
    assert_eq!(store::jobs::mark_succeeded(&t.db, &jobs).await?, 1);
    let (state, error, _, finished) = job_row(&t.db, jobs[0]).await?;
    assert_eq!((state.as_str(), error, finished), ("succeeded", None, true));
    t.drop().await
}

#[tokio::test]
async fn mark_failed_gives_each_job_its_own_error() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(&t.db, vec![job("target/1", 1, &[]), job("target/2", 1, &[])]).await?;
    let errors = vec!["first broke".to_owned(), "second broke".to_owned()];
    assert_eq!(store::jobs::mark_failed(&t.db, &jobs, &errors).await?, 2);
    for (id, error) in jobs.iter().zip(&errors) {
        let (state, stored, _, finished) = job_row(&t.db, *id).await?;
        assert_eq!(
            (state.as_str(), stored.as_ref(), finished),
            ("failed", Some(error), true)
        );
    }
    t.drop().await
}

#[tokio::test]
async fn stalled_lists_running_jobs_with_no_step_queued_or_running() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(
        &t.db,
        vec![
            job("target/1", 1, &[]),
            job("target/2", 1, &[]),
            job("target/3", 1, &[]),
        ],
    )
    .await?;
    for id in &jobs[..2] {
        set_job(&t.db, *id, "running").await?;
    }
    set_step(&t.db, jobs[1], 0, "queued").await?;
    // jobs[2] is pending: not stalled, just not granted yet.
    assert_eq!(store::jobs::stalled(&t.db, 100).await?, vec![jobs[0]]);
    assert!(store::jobs::stalled(&t.db, 0).await?.is_empty(), "at most the limit");
    t.drop().await
}

#[tokio::test]
async fn lock_grant_pass_holds_other_passes_until_commit() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let tx = t.db.begin().await?;
    store::jobs::lock_grant_pass(&tx).await?;
    let other = t.db.clone();
    let waiting = tokio::spawn(async move {
        let tx = other.begin().await?;
        store::jobs::lock_grant_pass(&tx).await?;
        tx.commit().await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "a second pass waits for the first");
    tx.commit().await?;
    waiting.await??;
    t.drop().await
}

#[tokio::test]
async fn count_by_state_counts_jobs_per_state() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(
        &t.db,
        vec![
            job("target/1", 1, &[]),
            job("target/2", 1, &[]),
            job("target/3", 1, &[]),
        ],
    )
    .await?;
    set_job(&t.db, jobs[0], "running").await?;
    assert_eq!(
        store::jobs::count_by_state(&t.db).await?,
        vec![(JobState::Pending, 2), (JobState::Running, 1)]
    );
    t.drop().await
}

#[tokio::test]
async fn some_errors_lists_distinct_job_errors() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, jobs) = submit(
        &t.db,
        vec![
            job("target/1", 1, &[]),
            job("target/2", 1, &[]),
            job("target/3", 1, &[]),
        ],
    )
    .await?;
    let errors = vec!["boom".to_owned(), "boom".to_owned()];
    store::jobs::mark_failed(&t.db, &jobs[..2], &errors).await?;
    assert_eq!(store::jobs::some_errors(&t.db).await?, vec!["boom".to_owned()]);
    t.drop().await
}

#[tokio::test]
async fn busy_items_are_written_by_unfinished_or_just_finished_jobs() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO command (id, message) VALUES ('00000000-0000-0000-0000-000000000005', 'c');
         INSERT INTO job (id, command_id, key, description, step_count, state, finished_at) VALUES
             ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000005', 'a', 'a', 1, 'running', NULL),
             ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000005', 'b', 'b', 1, 'succeeded', '2026-12-06T09:00:00Z'),
             ('00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000005', 'c', 'c', 1, 'succeeded', '2026-12-06T11:00:00Z');
         INSERT INTO job_lock (job_id, item, write) VALUES
             ('00000000-0000-0000-0000-000000000001', 'target/00000000-0000-0000-0000-0000000000a1', true),
             ('00000000-0000-0000-0000-000000000001', 'host/00000000-0000-0000-0000-0000000000a2', false),
             ('00000000-0000-0000-0000-000000000002', 'target/00000000-0000-0000-0000-0000000000a3', true),
             ('00000000-0000-0000-0000-000000000003', 'target/00000000-0000-0000-0000-0000000000a4', true);",
    )
    .await?;
    let since = chrono::DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")?.with_timezone(&chrono::Utc);
    let target = |n: u128| lustre::Item::Target(uuid::Uuid::from_u128(n));
    let asked = [
        target(0xa1),
        target(0xa3),
        target(0xa4),
        target(0xa5),
        lustre::Item::Host(uuid::Uuid::from_u128(0xa2)),
    ];
    let busy = store::jobs::busy_items(&t.db, &asked, since).await?;
    assert_eq!(busy, std::collections::HashSet::from([target(0xa4), target(0xa1)]));
    t.drop().await
}

mod seed;

#[tokio::test]
async fn locks_of_lists_a_jobs_locks_by_item() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let locks = store::jobs::locks_of(&t.db, seed::LOCKER).await?;
    let shown: Vec<(String, bool)> = locks.into_iter().map(|l| (l.item, l.write)).collect();
    assert_eq!(
        shown,
        [
            (format!("filesystem/{}", seed::FS1), false),
            (format!("target/{}", seed::MGT), true)
        ]
    );
    assert_eq!(store::jobs::locks_of(&t.db, seed::FIRST_JOB).await?, []);
    t.drop().await
}

#[tokio::test]
async fn dependency_keys_are_the_keys_of_the_jobs_waited_for() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    assert_eq!(store::jobs::dependency_keys(&t.db, seed::LOCKER).await?, ["first"]);
    assert!(store::jobs::dependency_keys(&t.db, seed::FIRST_JOB).await?.is_empty());
    t.drop().await
}

/// A job of one no-op step reading `item`.
fn reader(item: &str) -> NewJob {
    NewJob {
        key: format!("read {item}"),
        locks: vec![(item.into(), false)],
        ..job(item, 1, &[])
    }
}

/// The unreleased locks of the jobs in `ids`.
async fn unreleased(db: &DatabaseConnection, ids: &[Uuid]) -> anyhow::Result<i64> {
    let rows = query(
        db,
        "SELECT count(*) AS n FROM job_lock WHERE job_id = ANY($1) AND NOT released",
        [ids.to_vec().into()],
    )
    .await?;
    Ok(rows[0].try_get("", "n")?)
}

/// 1,500 jobs that each wrote `item`, finished the ways the engine
/// finishes jobs (succeeded, failed, cancelled while pending), plus one
/// set succeeded behind the engine's back (its lock not released); the
/// job ids.
async fn history(db: &DatabaseConnection, item: &str) -> anyhow::Result<Vec<Uuid>> {
    let jobs = (0..1_501).map(|n| NewJob {
        key: format!("{item} {n}"),
        ..job(item, 1, &[])
    });
    let (_, done) = submit(db, jobs.collect()).await?;
    store::jobs::mark_succeeded(db, &done[..500]).await?;
    store::jobs::mark_failed(db, &done[500..1_000], &vec!["boom".to_owned(); 500]).await?;
    store::control::cancel_jobs(db, &done[1_000..1_500], "cancelled by user").await?;
    set_job(db, done[1_500], "succeeded").await?;
    assert_eq!(
        unreleased(db, &done).await?,
        1,
        "only the job finished behind the engine's back"
    );
    Ok(done)
}

#[tokio::test]
async fn a_pending_job_may_start_past_the_locks_of_many_finished_jobs() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    history(&t.db, "filesystem/1").await?;
    let (_, writer) = submit(&t.db, vec![job("filesystem/1", 1, &[])]).await?;
    let (_, next) = submit(&t.db, vec![reader("filesystem/1")]).await?;
    let found = store::jobs::grant_candidates(&t.db, 0, 10).await?;
    let runnable: Vec<(Uuid, bool)> = found.iter().map(|c| (c.id, c.runnable)).collect();
    // The reader still waits for the earlier writer.
    assert_eq!(runnable, [(writer[0], true), (next[0], false)]);
    t.drop().await
}

#[tokio::test]
async fn unfinished_earlier_holders_still_block_among_many_finished_jobs() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    history(&t.db, "filesystem/1").await?;
    history(&t.db, "filesystem/2").await?;
    // filesystem/1: a running writer; filesystem/2: a paused reader.
    let (_, held) = submit(&t.db, vec![job("filesystem/1", 1, &[]), reader("filesystem/2")]).await?;
    set_job(&t.db, held[0], "running").await?;
    set_job(&t.db, held[1], "paused").await?;
    let (_, wanting) = submit(
        &t.db,
        vec![
            reader("filesystem/1"),
            reader("filesystem/2"),
            job("filesystem/2", 1, &[]),
        ],
    )
    .await?;
    let found = store::jobs::grant_candidates(&t.db, 0, 10).await?;
    let runnable: Vec<(Uuid, bool)> = found.iter().map(|c| (c.id, c.runnable)).collect();
    // A reader waits for a writer; readers share; a writer waits for a reader.
    assert_eq!(runnable, [(wanting[0], false), (wanting[1], true), (wanting[2], false)]);

    // The writer is cancelled while its step runs: cancelling, it still holds.
    set_step(&t.db, held[0], 0, "running").await?;
    store::control::cancel_jobs(&t.db, &[held[0]], "cancelled by user").await?;
    assert_eq!(unreleased(&t.db, &held[..1]).await?, 1);
    assert!(!store::jobs::grant_candidates(&t.db, 0, 1).await?[0].runnable);
    // Its step stopped (its worker gone silent): the lock is released.
    execute(
        &t.db,
        "UPDATE step SET heartbeat_at = now() - interval '1 hour' WHERE job_id = $1",
        [held[0].into()],
    )
    .await?;
    assert_eq!(
        store::steps::cancel_abandoned(&t.db, Duration::from_secs(30), 10)
            .await?
            .len(),
        1
    );
    assert_eq!(unreleased(&t.db, &held[..1]).await?, 0);
    assert!(store::jobs::grant_candidates(&t.db, 0, 1).await?[0].runnable);
    t.drop().await
}

#[tokio::test]
async fn release_locks_releases_only_finished_jobs_with_no_step_cancelling() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let items = ["target/1", "target/2", "target/3", "target/4"];
    let (_, jobs) = submit(&t.db, items.iter().map(|item| job(item, 1, &[])).collect()).await?;
    set_job(&t.db, jobs[0], "running").await?;
    set_job(&t.db, jobs[1], "succeeded").await?;
    set_job(&t.db, jobs[2], "cancelled").await?;
    set_step(&t.db, jobs[2], 0, "cancelling").await?;
    set_job(&t.db, jobs[3], "failed").await?;
    assert_eq!(store::jobs::release_locks(&t.db, &jobs).await?, 2);
    let rows = query(
        &t.db,
        "SELECT job_id FROM job_lock WHERE job_id = ANY($1) AND NOT released",
        [jobs.clone().into()],
    )
    .await?;
    let mut kept: Vec<Uuid> = rows.iter().map(|r| r.try_get("", "job_id")).collect::<Result<_, _>>()?;
    kept.sort();
    let mut expected = vec![jobs[0], jobs[2]];
    expected.sort();
    assert_eq!(kept, expected);
    t.drop().await
}
