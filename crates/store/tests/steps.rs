//! `store::steps` against a fresh migrated database: queueing and
//! cancelling steps as jobs advance, the recovery sweep's rescues, and
//! the figures a benchmark run reads back, one behaviour each.

mod support;

use lustre::submission::{NewCommand, NewJob};
use lustre::{Action, StepState};
use sea_orm::DatabaseConnection;
use std::time::Duration;
use store::sql::{execute, query};
use uuid::Uuid;

/// Stores one command with a job of `steps` no-op steps per entry of
/// `jobs` (each locking its own item); the job ids in order.
async fn submit_jobs(db: &DatabaseConnection, jobs: &[usize]) -> anyhow::Result<Vec<Uuid>> {
    let stored = store::commands::insert(
        db,
        &NewCommand {
            message: "test".into(),
            jobs: jobs
                .iter()
                .enumerate()
                .map(|(i, steps)| NewJob {
                    key: i.to_string(),
                    description: format!("job {i}"),
                    steps: vec![Action::Noop; *steps],
                    locks: vec![(format!("target/{i}"), true)],
                    wait_for: vec![],
                })
                .collect(),
        },
    )
    .await?;
    Ok(stored.jobs.into_iter().map(|(id, _)| id).collect())
}

/// The ids of job `job`'s steps, in order.
async fn step_ids(db: &DatabaseConnection, job: Uuid) -> anyhow::Result<Vec<Uuid>> {
    let rows = query(db, "SELECT id FROM step WHERE job_id = $1 ORDER BY idx", [job.into()]).await?;
    Ok(rows.iter().map(|r| r.try_get("", "id")).collect::<Result<_, _>>()?)
}

async fn set_job_state(db: &DatabaseConnection, id: Uuid, state: &str) -> anyhow::Result<()> {
    execute(db, "UPDATE job SET state = $2 WHERE id = $1", [id.into(), state.into()]).await?;
    Ok(())
}

/// Makes step `id` running (attempt `attempts`, worker `w`) with its last
/// heartbeat `age` ago.
async fn set_running(db: &DatabaseConnection, id: Uuid, attempts: i32, age: Duration) -> anyhow::Result<()> {
    execute(
        db,
        "UPDATE step SET state = 'running', attempts = $2, worker = 'w', started_at = now(),
                         heartbeat_at = now() - make_interval(secs => $3)
         WHERE id = $1",
        [id.into(), attempts.into(), age.as_secs_f64().into()],
    )
    .await?;
    Ok(())
}

/// Makes step `id` queued since `age` ago.
async fn set_queued(db: &DatabaseConnection, id: Uuid, age: Duration) -> anyhow::Result<()> {
    execute(
        db,
        "UPDATE step SET state = 'queued', queued_at = now() - make_interval(secs => $2) WHERE id = $1",
        [id.into(), age.as_secs_f64().into()],
    )
    .await?;
    Ok(())
}

/// `(state, worker, error)` of step `id`.
async fn step_row(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<(String, Option<String>, Option<String>)> {
    let rows = query(db, "SELECT state, worker, error FROM step WHERE id = $1", [id.into()]).await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no step {id}"))?;
    Ok((
        row.try_get("", "state")?,
        row.try_get("", "worker")?,
        row.try_get("", "error")?,
    ))
}

#[tokio::test]
async fn queue_pending_queues_only_pending_steps_and_returns_their_messages() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[2]).await?;
    let steps = step_ids(&t.db, jobs[0]).await?;
    execute(
        &t.db,
        "UPDATE step SET state = 'cancelled' WHERE id = $1",
        [steps[1].into()],
    )
    .await?;
    let messages = store::steps::queue_pending(&t.db, &steps).await?;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(
        (m.step_id, m.job_id, m.attempt, m.action.as_str()),
        (steps[0], jobs[0], 0, "noop")
    );
    assert_eq!(step_row(&t.db, steps[0]).await?.0, "queued");
    assert_eq!(step_row(&t.db, steps[1]).await?.0, "cancelled");
    assert!(
        store::steps::queue_pending(&t.db, &steps).await?.is_empty(),
        "queued once"
    );
    t.drop().await
}

#[tokio::test]
async fn cancel_pending_cancels_the_pending_steps_of_the_jobs_only() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[2, 1]).await?;
    let steps = step_ids(&t.db, jobs[0]).await?;
    set_queued(&t.db, steps[0], Duration::ZERO).await?;
    assert_eq!(store::steps::cancel_pending(&t.db, &jobs[..1]).await?, 1);
    assert_eq!(step_row(&t.db, steps[0]).await?.0, "queued");
    assert_eq!(step_row(&t.db, steps[1]).await?.0, "cancelled");
    let other = step_ids(&t.db, jobs[1]).await?;
    assert_eq!(step_row(&t.db, other[0]).await?.0, "pending");
    t.drop().await
}

#[tokio::test]
async fn requeue_unstarted_returns_old_queued_steps_of_running_jobs_then_waits_again() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1, 1, 1]).await?;
    let (old, fresh, paused) = (
        step_ids(&t.db, jobs[0]).await?[0],
        step_ids(&t.db, jobs[1]).await?[0],
        step_ids(&t.db, jobs[2]).await?[0],
    );
    set_job_state(&t.db, jobs[0], "running").await?;
    set_job_state(&t.db, jobs[1], "running").await?;
    set_job_state(&t.db, jobs[2], "paused").await?;
    set_queued(&t.db, old, Duration::from_secs(60)).await?;
    set_queued(&t.db, fresh, Duration::ZERO).await?;
    set_queued(&t.db, paused, Duration::from_secs(60)).await?;
    let again = store::steps::requeue_unstarted(&t.db, Duration::from_secs(30), 100).await?;
    assert_eq!(again.iter().map(|m| m.step_id).collect::<Vec<_>>(), vec![old]);
    assert_eq!(step_row(&t.db, old).await?.0, "queued");
    assert!(
        store::steps::requeue_unstarted(&t.db, Duration::from_secs(30), 100)
            .await?
            .is_empty(),
        "its queued_at moved to now"
    );
    t.drop().await
}

#[tokio::test]
async fn fail_silent_fails_silent_steps_claimed_as_often_as_the_limit() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1, 1, 1]).await?;
    let mut steps = Vec::new();
    for job in &jobs {
        set_job_state(&t.db, *job, "running").await?;
        steps.push(step_ids(&t.db, *job).await?[0]);
    }
    set_running(&t.db, steps[0], 3, Duration::from_secs(60)).await?;
    set_running(&t.db, steps[1], 2, Duration::from_secs(60)).await?;
    set_running(&t.db, steps[2], 3, Duration::ZERO).await?;
    let failed = store::steps::fail_silent(&t.db, Duration::from_secs(30), 3, 100).await?;
    assert_eq!(failed, vec![jobs[0]]);
    let (state, _, error) = step_row(&t.db, steps[0]).await?;
    assert_eq!(state, "failed");
    assert_eq!(
        error.as_deref(),
        Some("its workers stopped heartbeating 3 times while running it")
    );
    assert_eq!(step_row(&t.db, steps[1]).await?.0, "running", "below the limit");
    assert_eq!(step_row(&t.db, steps[2]).await?.0, "running", "still heartbeating");
    t.drop().await
}

#[tokio::test]
async fn requeue_silent_queues_running_steps_whose_heartbeat_stopped() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1, 1, 1]).await?;
    let mut steps = Vec::new();
    for job in &jobs {
        steps.push(step_ids(&t.db, *job).await?[0]);
    }
    set_job_state(&t.db, jobs[0], "paused").await?;
    set_job_state(&t.db, jobs[1], "running").await?;
    set_job_state(&t.db, jobs[2], "cancelled").await?;
    set_running(&t.db, steps[0], 1, Duration::from_secs(60)).await?;
    set_running(&t.db, steps[1], 1, Duration::ZERO).await?;
    set_running(&t.db, steps[2], 1, Duration::from_secs(60)).await?;
    let again = store::steps::requeue_silent(&t.db, Duration::from_secs(30), 100).await?;
    assert_eq!(
        again.iter().map(|m| (m.step_id, m.attempt)).collect::<Vec<_>>(),
        vec![(steps[0], 1)]
    );
    assert_eq!(step_row(&t.db, steps[0]).await?, ("queued".into(), None, None));
    assert_eq!(step_row(&t.db, steps[1]).await?.0, "running", "still heartbeating");
    assert_eq!(step_row(&t.db, steps[2]).await?.0, "running", "its job finished");
    t.drop().await
}

#[tokio::test]
async fn count_by_state_counts_steps_per_state() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[3]).await?;
    let steps = step_ids(&t.db, jobs[0]).await?;
    set_queued(&t.db, steps[0], Duration::ZERO).await?;
    assert_eq!(
        store::steps::count_by_state(&t.db).await?,
        vec![(StepState::Pending, 2), (StepState::Queued, 1)]
    );
    t.drop().await
}

/// Job `job`'s steps as run one after another by worker `w`, each taking
/// 100 ms from being queued at second `i` (starting 10 s ago).
async fn run_steps_in_sequence(db: &DatabaseConnection, job: Uuid) -> anyhow::Result<()> {
    execute(
        db,
        "UPDATE step SET state = 'succeeded', worker = 'w',
                         queued_at = now() - interval '10 seconds' + idx * interval '1 second',
                         started_at = now() - interval '10 seconds' + idx * interval '1 second' + interval '10 ms',
                         finished_at = now() - interval '10 seconds' + idx * interval '1 second' + interval '110 ms'
         WHERE job_id = $1",
        [job.into()],
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn span_counts_steps_and_bounds_their_run() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[3, 1]).await?;
    run_steps_in_sequence(&t.db, jobs[0]).await?;
    let span = store::steps::span(&t.db).await?;
    assert_eq!((span.steps, span.succeeded), (4, 3));
    let (first, last) = (
        span.first_started.ok_or_else(|| anyhow::anyhow!("no start"))?,
        span.last_finished.ok_or_else(|| anyhow::anyhow!("no finish"))?,
    );
    assert_eq!((last - first).num_milliseconds(), 2_100);
    t.drop().await
}

#[tokio::test]
async fn stage_percentiles_time_each_stage_of_the_steps() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[3]).await?;
    run_steps_in_sequence(&t.db, jobs[0]).await?;
    let stages = store::steps::stage_percentiles(&t.db).await?;
    assert_eq!(stages.len(), store::steps::STAGES.len());
    let by_name = |name: &str| {
        store::steps::STAGES
            .iter()
            .position(|s| s.name == name)
            .map(|i| stages[i])
            .ok_or_else(|| anyhow::anyhow!("no stage {name}"))
    };
    let (dispatch, run, handoff) = (by_name("dispatch")?, by_name("run")?, by_name("handoff")?);
    assert!(
        (dispatch.p50 - 10.0).abs() < 0.01 && (dispatch.max - 10.0).abs() < 0.01,
        "{dispatch:?}"
    );
    assert!(
        (run.p99 - 100.0).abs() < 0.01 && (run.mean - 100.0).abs() < 0.01,
        "{run:?}"
    );
    // Queued 1 s after the previous one was queued, which finished 110 ms in.
    assert!((handoff.p50 - 890.0).abs() < 0.01, "{handoff:?}");
    t.drop().await
}

#[tokio::test]
async fn stage_percentiles_are_zero_without_steps() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let stages = store::steps::stage_percentiles(&t.db).await?;
    assert!(
        stages.iter().all(|s| *s == store::steps::StagePercentiles::default()),
        "{stages:?}"
    );
    t.drop().await
}

#[tokio::test]
async fn batching_counts_distinct_statement_times_and_steps_per_worker() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[3, 1]).await?;
    run_steps_in_sequence(&t.db, jobs[0]).await?;
    let batching = store::steps::batching(&t.db).await?;
    assert_eq!((batching.claim_statements, batching.record_statements), (3, 3));
    assert_eq!(batching.per_worker, vec![("?".to_owned(), 1), ("w".to_owned(), 3)]);
    t.drop().await
}

#[tokio::test]
async fn finished_per_second_counts_steps_by_second_since_the_first_start() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[3]).await?;
    run_steps_in_sequence(&t.db, jobs[0]).await?;
    assert_eq!(
        store::steps::finished_per_second(&t.db).await?,
        vec![(0, 1), (1, 1), (2, 1)]
    );
    t.drop().await
}

/// A command with one job in `job_state` whose one step is in `state`
/// with `attempts` claims (a heartbeat `heartbeat_age_secs` old); `(job,
/// step)`.
async fn insert_step(
    db: &sea_orm::DatabaseConnection,
    job_state: &str,
    state: &str,
    attempts: i32,
    heartbeat_age_secs: f64,
) -> anyhow::Result<(uuid::Uuid, uuid::Uuid)> {
    let (command, job, step) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    store::sql::execute(
        db,
        "INSERT INTO command (id, message) VALUES ($1, 'test')",
        [command.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO job (id, command_id, key, description, state, step_count) VALUES ($1, $2, 'k', 'd', $3, 1)",
        [job.into(), command.into(), job_state.to_owned().into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO step (id, job_id, idx, action, args, state, attempts, heartbeat_at)
         VALUES ($1, $2, 0, 'noop', '{}', $3, $4, now() - make_interval(secs => $5))",
        [
            step.into(),
            job.into(),
            state.to_owned().into(),
            attempts.into(),
            heartbeat_age_secs.into(),
        ],
    )
    .await?;
    Ok((job, step))
}

/// `(state, attempts, worker)` of step `id`.
async fn step_state(db: &sea_orm::DatabaseConnection, id: uuid::Uuid) -> anyhow::Result<(String, i32, Option<String>)> {
    let rows = store::sql::query(
        db,
        "SELECT state, attempts, worker FROM step WHERE id = $1",
        [id.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no step"))?;
    Ok((
        row.try_get("", "state")?,
        row.try_get("", "attempts")?,
        row.try_get("", "worker")?,
    ))
}

#[tokio::test]
async fn claim_takes_a_queued_step_of_a_running_job_and_raises_its_attempt() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (job, step) = insert_step(&t.db, "running", "queued", 0, 0.0).await?;
    let (_, paused) = insert_step(&t.db, "paused", "queued", 0, 0.0).await?;
    let claimed = store::steps::claim(&t.db, &[step, paused], "w1", Duration::from_secs(30)).await?;
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (claimed[0].step_id, claimed[0].job_id, claimed[0].attempt),
        (step, job, 1)
    );
    assert_eq!(claimed[0].action, "noop");
    assert_eq!(step_state(&t.db, step).await?, ("running".into(), 1, Some("w1".into())));
    t.drop().await
}

#[tokio::test]
async fn claim_takes_over_a_running_step_only_when_its_heartbeat_is_stale() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, fresh) = insert_step(&t.db, "running", "running", 1, 1.0).await?;
    let (_, stale) = insert_step(&t.db, "running", "running", 1, 120.0).await?;
    let claimed = store::steps::claim(&t.db, &[fresh, stale], "w2", Duration::from_secs(30)).await?;
    let ids: Vec<Uuid> = claimed.iter().map(|c| c.step_id).collect();
    assert_eq!(ids, vec![stale]);
    assert_eq!(claimed[0].attempt, 2);
    t.drop().await
}

#[tokio::test]
async fn is_running_attempt_knows_only_the_current_attempt_of_a_running_step() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, step) = insert_step(&t.db, "running", "running", 2, 0.0).await?;
    let fence = |attempt| store::steps::Fence { step_id: step, attempt };
    assert!(store::steps::is_running_attempt(&t.db, fence(2)).await?);
    assert!(!store::steps::is_running_attempt(&t.db, fence(1)).await?);
    t.drop().await
}

#[tokio::test]
async fn a_fenced_write_lands_only_while_its_attempt_runs() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, step) = insert_step(&t.db, "running", "running", 2, 0.0).await?;
    let host = Uuid::now_v7();
    execute(
        &t.db,
        "INSERT INTO host (id, address, port, lnet_state) VALUES ($1, '10.0.0.1', 22, 'lnet_up')",
        [host.into()],
    )
    .await?;
    let stale = store::steps::Fence {
        step_id: step,
        attempt: 1,
    };
    assert_eq!(store::hosts::record_lnet_down(&t.db, Some(stale), host).await?, 0);
    let current = store::steps::Fence {
        step_id: step,
        attempt: 2,
    };
    assert_eq!(store::hosts::record_lnet_down(&t.db, Some(current), host).await?, 1);
    t.drop().await
}

#[tokio::test]
async fn states_with_jobs_reads_each_known_step_with_its_job_state() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (job, step) = insert_step(&t.db, "paused", "succeeded", 3, 0.0).await?;
    let rows = store::steps::states_with_jobs(&t.db, &[step, Uuid::now_v7()]).await?;
    assert_eq!(
        rows,
        vec![store::steps::StepAndJobState {
            step_id: step,
            job_id: job,
            state: "succeeded".into(),
            attempts: 3,
            job_state: "paused".into(),
        }]
    );
    t.drop().await
}

#[tokio::test]
async fn unqueue_paused_sends_queued_steps_of_paused_jobs_back_to_pending() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, paused) = insert_step(&t.db, "paused", "queued", 0, 0.0).await?;
    let (_, running) = insert_step(&t.db, "running", "queued", 0, 0.0).await?;
    let moved = store::steps::unqueue_paused(&t.db, &[paused, running]).await?;
    assert_eq!(moved, vec![paused]);
    assert_eq!(step_state(&t.db, paused).await?.0, "pending");
    assert_eq!(step_state(&t.db, running).await?.0, "queued");
    t.drop().await
}

#[tokio::test]
async fn release_queues_again_only_the_attempt_given() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, mine) = insert_step(&t.db, "running", "running", 2, 0.0).await?;
    let (_, other) = insert_step(&t.db, "running", "running", 3, 0.0).await?;
    store::steps::release(&t.db, &[(mine, 2), (other, 2)]).await?;
    assert_eq!(step_state(&t.db, mine).await?.0, "queued");
    assert_eq!(step_state(&t.db, other).await?.0, "running");
    t.drop().await
}

#[tokio::test]
async fn heartbeat_returns_the_steps_still_running_that_attempt() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, mine) = insert_step(&t.db, "running", "running", 1, 50.0).await?;
    let (_, lost) = insert_step(&t.db, "running", "running", 2, 50.0).await?;
    let owned = store::steps::heartbeat(&t.db, &[(mine, 1), (lost, 1)]).await?;
    assert_eq!(owned, vec![mine]);
    let rows = query(
        &t.db,
        "SELECT heartbeat_at > now() - interval '5 seconds' AS fresh FROM step WHERE id = $1",
        [mine.into()],
    )
    .await?;
    assert_eq!(
        rows.first().map(|r| r.try_get::<bool>("", "fresh")).transpose()?,
        Some(true)
    );
    t.drop().await
}

#[tokio::test]
async fn record_results_records_only_attempts_that_still_own_their_step() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (job, ok) = insert_step(&t.db, "running", "running", 1, 0.0).await?;
    let (_, failed) = insert_step(&t.db, "running", "running", 1, 0.0).await?;
    let (_, stale) = insert_step(&t.db, "running", "running", 2, 0.0).await?;
    let results = vec![
        store::steps::StepResult {
            step_id: ok,
            attempt: 1,
            state: "succeeded",
            output: Some(serde_json::json!({"done": true})),
            error: None,
        },
        store::steps::StepResult {
            step_id: failed,
            attempt: 1,
            state: "failed",
            output: None,
            error: Some("mount failed".into()),
        },
        store::steps::StepResult {
            step_id: stale,
            attempt: 1,
            state: "succeeded",
            output: None,
            error: None,
        },
    ];
    let mut recorded = store::steps::record_results(&t.db, &results).await?;
    recorded.sort_by_key(|r| r.step_id);
    let ids: Vec<Uuid> = recorded.iter().map(|r| r.step_id).collect();
    assert_eq!(ids, vec![ok, failed]);
    assert_eq!((recorded[0].job_id, recorded[0].attempt), (job, 1));
    let rows = query(
        &t.db,
        "SELECT state, output, error FROM step WHERE id = $1",
        [failed.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no step"))?;
    assert_eq!(row.try_get::<String>("", "state")?, "failed");
    assert_eq!(row.try_get::<Option<serde_json::Value>>("", "output")?, None);
    assert_eq!(
        row.try_get::<Option<String>>("", "error")?.as_deref(),
        Some("mount failed")
    );
    assert_eq!(step_state(&t.db, stale).await?.0, "running");
    t.drop().await
}

mod seed;

/// Steps of the estate's jobs: the finished job's succeeded step (10 s,
/// claimed 3 times, once dead-lettered) and the running job's running one.
async fn estate_with_steps() -> anyhow::Result<support::TestDb> {
    let t = seed::estate().await?;
    execute(
        &t.db,
        "INSERT INTO step (id, job_id, idx, action, args, state, attempts, started_at, finished_at, error) VALUES
            ($1, $2, 0, 'noop', '{}', 'succeeded', 3, now() - interval '10 seconds', now(),
             'step 1 was dead-lettered once'),
            ($3, $4, 0, 'noop', '{}', 'running', 1, now(), NULL, NULL)",
        [
            Uuid::now_v7().into(),
            seed::FIRST_JOB.into(),
            Uuid::now_v7().into(),
            seed::LOCKER.into(),
        ],
    )
    .await?;
    Ok(t)
}

#[tokio::test]
async fn active_count_by_state_counts_steps_of_running_jobs_only() -> anyhow::Result<()> {
    let t = estate_with_steps().await?;
    assert_eq!(
        store::steps::active_count_by_state(&t.db).await?,
        [("running".to_owned(), 1)]
    );
    t.drop().await
}

#[tokio::test]
async fn recent_retries_count_redeliveries_and_dead_letters() -> anyhow::Result<()> {
    let t = estate_with_steps().await?;
    let retries = store::steps::recent_retries(&t.db, Uuid::nil()).await?;
    assert_eq!(
        retries,
        store::steps::RecentRetries {
            redeliveries: 2,
            dead_letters: 1,
        }
    );
    let none = store::steps::recent_retries(&t.db, Uuid::max()).await?;
    assert_eq!((none.redeliveries, none.dead_letters), (0, 0));
    t.drop().await
}

/// Sets step `id`'s attempt count.
async fn set_attempts(db: &DatabaseConnection, id: Uuid, attempts: i32) -> anyhow::Result<()> {
    execute(
        db,
        "UPDATE step SET attempts = $2 WHERE id = $1",
        [id.into(), attempts.into()],
    )
    .await?;
    Ok(())
}

/// A dead-lettered delivery of step `id` published at `attempt`, whose
/// deliveries claimed at most 3 times.
fn delivered(id: Uuid, attempt: i32) -> store::steps::Delivered {
    store::steps::Delivered {
        step_id: id,
        attempt,
        max_claims: 3,
    }
}

#[tokio::test]
async fn attempt_liveness_reads_the_attempt_beside_the_heartbeat() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1]).await?;
    let step = step_ids(&t.db, jobs[0]).await?[0];
    set_running(&t.db, step, 4, Duration::from_secs(60)).await?;
    let read = store::steps::attempt_liveness(&t.db, step, Duration::from_secs(30))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no step"))?;
    assert_eq!(read.attempts, 4);
    assert_eq!(read.liveness.state, StepState::Running);
    assert_eq!(read.liveness.stale, Some(true));
    assert!(
        store::steps::attempt_liveness(&t.db, Uuid::now_v7(), Duration::from_secs(30))
            .await?
            .is_none()
    );
    t.drop().await
}

#[tokio::test]
async fn fail_dead_lettered_fails_a_queued_step_only_at_the_message_attempt() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1, 1]).await?;
    let (current, later) = (step_ids(&t.db, jobs[0]).await?[0], step_ids(&t.db, jobs[1]).await?[0]);
    for (step, attempts) in [(current, 2), (later, 3)] {
        set_queued(&t.db, step, Duration::ZERO).await?;
        set_attempts(&t.db, step, attempts).await?;
    }
    let timeout = Duration::from_secs(30);
    let failed = store::steps::fail_dead_lettered(&t.db, delivered(current, 2), "dead", timeout).await?;
    assert_eq!(
        failed,
        Some(store::steps::DeadLettered {
            job_id: jobs[0],
            action: "noop".into()
        })
    );
    assert_eq!(
        step_row(&t.db, current).await?,
        ("failed".into(), None, Some("dead".into()))
    );
    // Queued again at a later attempt: a newer message stands for it.
    assert_eq!(
        store::steps::fail_dead_lettered(&t.db, delivered(later, 2), "dead", timeout).await?,
        None
    );
    assert_eq!(step_row(&t.db, later).await?.0, "queued");
    t.drop().await
}

#[tokio::test]
async fn fail_dead_lettered_fails_a_silent_running_step_only_within_the_message_claims() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1, 1, 1, 1]).await?;
    let mut steps = Vec::new();
    for job in &jobs {
        steps.push(step_ids(&t.db, *job).await?[0]);
    }
    let old = Duration::from_secs(60);
    set_running(&t.db, steps[0], 3, old).await?;
    set_running(&t.db, steps[1], 4, old).await?;
    set_running(&t.db, steps[2], 1, old).await?;
    set_running(&t.db, steps[3], 2, Duration::ZERO).await?;
    let timeout = Duration::from_secs(30);
    let fail = |step, attempt| store::steps::fail_dead_lettered(&t.db, delivered(step, attempt), "dead", timeout);
    assert!(fail(steps[0], 0).await?.is_some(), "its third claim, silent");
    assert_eq!(fail(steps[1], 0).await?, None, "more claims than its deliveries made");
    assert_eq!(fail(steps[2], 1).await?, None, "not claimed since the message");
    assert_eq!(fail(steps[3], 0).await?, None, "still heartbeating");
    let states: Vec<String> = states_of(&t.db, &steps).await?;
    assert_eq!(states, ["failed", "running", "running", "running"]);
    t.drop().await
}

#[tokio::test]
async fn fail_dead_lettered_leaves_finished_and_unknown_steps_alone() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1]).await?;
    let step = step_ids(&t.db, jobs[0]).await?[0];
    execute(
        &t.db,
        "UPDATE step SET state = 'succeeded', finished_at = now() WHERE id = $1",
        [step.into()],
    )
    .await?;
    let timeout = Duration::from_secs(30);
    assert_eq!(
        store::steps::fail_dead_lettered(&t.db, delivered(step, 0), "dead", timeout).await?,
        None
    );
    assert_eq!(
        store::steps::fail_dead_lettered(&t.db, delivered(Uuid::now_v7(), 0), "dead", timeout).await?,
        None
    );
    assert_eq!(step_row(&t.db, step).await?, ("succeeded".into(), None, None));
    t.drop().await
}

/// The states of `steps`, in order.
async fn states_of(db: &DatabaseConnection, steps: &[Uuid]) -> anyhow::Result<Vec<String>> {
    let mut states = Vec::with_capacity(steps.len());
    for step in steps {
        states.push(step_row(db, *step).await?.0);
    }
    Ok(states)
}

/// Job `job` cancelled while its first step runs (attempt 1, heartbeat
/// `age` ago): the step is `cancelling`. Returns the step.
async fn cancelling_step(db: &DatabaseConnection, job: Uuid, age: Duration) -> anyhow::Result<Uuid> {
    set_job_state(db, job, "running").await?;
    let step = step_ids(db, job).await?[0];
    set_running(db, step, 1, age).await?;
    store::control::cancel_jobs(db, &[job], "cancelled by user").await?;
    Ok(step)
}

#[tokio::test]
async fn heartbeat_keeps_a_cancelling_step_alive_but_does_not_return_it() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1]).await?;
    let step = cancelling_step(&t.db, jobs[0], Duration::from_secs(60)).await?;
    let running = store::steps::heartbeat(&t.db, &[(step, 1)]).await?;
    assert!(running.is_empty(), "a cancelling step is interrupted by its worker");
    // Refreshed all the same, so that recovery leaves it to its worker.
    let ended = store::steps::cancel_abandoned(&t.db, Duration::from_secs(30), 10).await?;
    assert!(ended.is_empty(), "{ended:?}");
    assert_eq!(step_row(&t.db, step).await?.0, "cancelling");
    t.drop().await
}

#[tokio::test]
async fn record_results_ends_a_cancelling_step_cancelled_whatever_its_outcome() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1, 1, 1]).await?;
    let mut steps = Vec::new();
    for job in &jobs {
        steps.push(cancelling_step(&t.db, *job, Duration::ZERO).await?);
    }
    // A plain running step: a `cancelled` result never lands on it.
    let running_jobs = submit_jobs(&t.db, &[1]).await?;
    set_job_state(&t.db, running_jobs[0], "running").await?;
    let running = step_ids(&t.db, running_jobs[0]).await?[0];
    set_running(&t.db, running, 1, Duration::ZERO).await?;
    let result = |step_id, attempt, state| store::steps::StepResult {
        step_id,
        attempt,
        state,
        output: None,
        error: None,
    };
    let mut results = vec![
        result(steps[0], 1, "cancelled"),
        result(steps[1], 1, "succeeded"),
        // An older attempt's result changes nothing.
        result(steps[2], 0, "cancelled"),
        result(running, 1, "cancelled"),
    ];
    results.sort_by_key(|r| r.step_id);
    let mut recorded: Vec<Uuid> = store::steps::record_results(&t.db, &results)
        .await?
        .into_iter()
        .map(|r| r.step_id)
        .collect();
    recorded.sort();
    let mut expected = vec![steps[0], steps[1]];
    expected.sort();
    assert_eq!(recorded, expected);
    assert_eq!(
        states_of(&t.db, &steps).await?,
        ["cancelled", "cancelled", "cancelling"]
    );
    assert_eq!(step_row(&t.db, running).await?.0, "running");
    t.drop().await
}

#[tokio::test]
async fn cancel_abandoned_ends_only_cancelling_steps_whose_heartbeat_is_stale() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1, 1, 1]).await?;
    let stale = cancelling_step(&t.db, jobs[0], Duration::from_secs(60)).await?;
    let fresh = cancelling_step(&t.db, jobs[1], Duration::from_secs(1)).await?;
    set_job_state(&t.db, jobs[2], "running").await?;
    let silent_running = step_ids(&t.db, jobs[2]).await?[0];
    set_running(&t.db, silent_running, 1, Duration::from_secs(60)).await?;
    let ended = store::steps::cancel_abandoned(&t.db, Duration::from_secs(30), 10).await?;
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!((ended[0].step_id, ended[0].job_id), (stale, jobs[0]));
    assert!(ended[0].heartbeat_at.is_some());
    let (state, _, error) = step_row(&t.db, stale).await?;
    assert_eq!(state, "cancelled");
    assert!(error.unwrap_or_default().contains("may have gone on running"));
    assert_eq!(step_row(&t.db, fresh).await?.0, "cancelling");
    assert_eq!(step_row(&t.db, silent_running).await?.0, "running");
    t.drop().await
}

#[tokio::test]
async fn a_cancelled_job_keeps_its_locks_while_its_step_is_cancelling() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    // Two commands, each one job locking `target/0` for writing.
    let first = submit_jobs(&t.db, &[1]).await?[0];
    let second = submit_jobs(&t.db, &[1]).await?[0];
    let step = cancelling_step(&t.db, first, Duration::ZERO).await?;
    let runnable = |db: DatabaseConnection| async move {
        let candidates = store::jobs::grant_candidates(&db, 0, 10).await?;
        anyhow::Ok(candidates.into_iter().find(|c| c.id == second).map(|c| c.runnable))
    };
    assert_eq!(
        runnable(t.db.clone()).await?,
        Some(false),
        "granted beside a cancelling step"
    );
    let stopped = store::steps::StepResult {
        step_id: step,
        attempt: 1,
        state: "cancelled",
        output: None,
        error: None,
    };
    store::steps::record_results(&t.db, &[stopped]).await?;
    assert_eq!(runnable(t.db.clone()).await?, Some(true));
    t.drop().await
}

#[tokio::test]
async fn active_count_by_state_counts_a_cancelled_jobs_cancelling_step() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = submit_jobs(&t.db, &[1]).await?;
    cancelling_step(&t.db, jobs[0], Duration::from_secs(1)).await?;
    assert_eq!(
        store::steps::active_count_by_state(&t.db).await?,
        [("cancelling".to_owned(), 1)]
    );
    t.drop().await
}
