//! `store::commands` against a fresh migrated database: the recovery
//! sweep's look for commands left open, and the counts a benchmark run
//! reads back.

mod support;

use lustre::submission::{NewCommand, NewJob};
use lustre::{Action, CommandState};
use sea_orm::DatabaseConnection;
use store::sql::execute;
use uuid::Uuid;

/// Stores a command of `jobs` one-step jobs; its id and its job ids.
async fn command(db: &DatabaseConnection, jobs: usize) -> anyhow::Result<(Uuid, Vec<Uuid>)> {
    let stored = store::commands::insert(
        db,
        &NewCommand {
            message: "test".into(),
            jobs: (0..jobs)
                .map(|i| NewJob {
                    key: i.to_string(),
                    description: format!("job {i}"),
                    steps: vec![Action::Noop],
                    locks: vec![],
                    wait_for: vec![],
                })
                .collect(),
        },
    )
    .await?;
    Ok((stored.id, stored.jobs.into_iter().map(|(id, _)| id).collect()))
}

async fn set_state(db: &DatabaseConnection, table: &str, id: Uuid, state: &str) -> anyhow::Result<()> {
    execute(
        db,
        &format!("UPDATE {table} SET state = $2 WHERE id = $1"),
        [id.into(), state.into()],
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn open_with_jobs_finished_lists_open_commands_whose_jobs_all_finished() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (stuck, stuck_jobs) = command(&t.db, 2).await?;
    let (_, busy_jobs) = command(&t.db, 2).await?;
    let (done, done_jobs) = command(&t.db, 1).await?;
    set_state(&t.db, "command", stuck, "running").await?;
    set_state(&t.db, "job", stuck_jobs[0], "succeeded").await?;
    set_state(&t.db, "job", stuck_jobs[1], "failed").await?;
    set_state(&t.db, "job", busy_jobs[0], "succeeded").await?;
    set_state(&t.db, "job", done_jobs[0], "succeeded").await?;
    set_state(&t.db, "command", done, "succeeded").await?;
    assert_eq!(store::commands::open_with_jobs_finished(&t.db, 100).await?, vec![stuck]);
    assert!(
        store::commands::open_with_jobs_finished(&t.db, 0).await?.is_empty(),
        "at most the limit"
    );
    t.drop().await
}

#[tokio::test]
async fn count_finished_counts_commands_in_a_final_state() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(command(&t.db, 1).await?.0);
    }
    set_state(&t.db, "command", ids[0], "succeeded").await?;
    set_state(&t.db, "command", ids[1], "cancelled").await?;
    set_state(&t.db, "command", ids[2], "running").await?;
    assert_eq!(store::commands::count_finished(&t.db).await?, 2);
    t.drop().await
}

#[tokio::test]
async fn count_by_state_counts_commands_per_state() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (first, _) = command(&t.db, 1).await?;
    command(&t.db, 1).await?;
    set_state(&t.db, "command", first, "failed").await?;
    assert_eq!(
        store::commands::count_by_state(&t.db).await?,
        vec![(CommandState::Failed, 1), (CommandState::Pending, 1)]
    );
    t.drop().await
}

#[tokio::test]
async fn get_finds_a_command_and_nothing_for_an_unknown_id() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (id, _) = command(&t.db, 1).await?;
    let found = store::commands::get(&t.db, id).await?;
    assert_eq!(found.map(|c| (c.id, c.message)), Some((id, "test".to_owned())));
    assert!(store::commands::get(&t.db, Uuid::now_v7()).await?.is_none());
    t.drop().await
}

#[tokio::test]
async fn page_filters_by_state_orders_by_creation_and_counts_all() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (first, _) = command(&t.db, 1).await?;
    let (second, _) = command(&t.db, 1).await?;
    let (third, _) = command(&t.db, 1).await?;
    set_state(&t.db, "command", second, "succeeded").await?;
    let (oldest, total) = store::commands::page(&t.db, None, false, 2, 0).await?;
    assert_eq!(
        (oldest.iter().map(|c| c.id).collect::<Vec<_>>(), total),
        (vec![first, second], 3)
    );
    let (newest, _) = store::commands::page(&t.db, None, true, 1, 0).await?;
    assert_eq!(newest.iter().map(|c| c.id).collect::<Vec<_>>(), [third]);
    let (done, total) = store::commands::page(&t.db, Some(CommandState::Succeeded), false, 10, 0).await?;
    assert_eq!(
        (done.iter().map(|c| c.id).collect::<Vec<_>>(), total),
        (vec![second], 1)
    );
    t.drop().await
}

#[tokio::test]
async fn jobs_of_commands_and_their_steps_come_in_order() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (id, jobs) = command(&t.db, 3).await?;
    let (_, others) = command(&t.db, 1).await?;
    let found = store::jobs::of_commands(&t.db, vec![id]).await?;
    assert_eq!(found.iter().map(|j| j.id).collect::<Vec<_>>(), jobs);
    let steps = store::steps::of_jobs(&t.db, vec![jobs[1]]).await?;
    assert_eq!(
        steps.iter().map(|s| (s.job_id, s.idx)).collect::<Vec<_>>(),
        [(jobs[1], 0)]
    );
    let other = store::jobs::get(&t.db, others[0]).await?;
    assert_eq!(other.map(|j| (j.id, j.key)), Some((others[0], "0".to_owned())));
    assert!(store::jobs::get(&t.db, Uuid::now_v7()).await?.is_none());
    t.drop().await
}

#[tokio::test]
async fn job_page_filters_by_state_and_command() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (id, jobs) = command(&t.db, 2).await?;
    let (_, others) = command(&t.db, 1).await?;
    set_state(&t.db, "job", jobs[1], "running").await?;
    let all = store::jobs::JobFilter::default();
    let (page, total) = store::jobs::page(&t.db, &all, true, 1, 0).await?;
    assert_eq!(
        (page.iter().map(|j| j.id).collect::<Vec<_>>(), total),
        (vec![others[0]], 3)
    );
    let of_command = store::jobs::JobFilter {
        command: Some(id),
        ..Default::default()
    };
    let (page, total) = store::jobs::page(&t.db, &of_command, false, 10, 0).await?;
    assert_eq!(
        (page.iter().map(|j| j.id).collect::<Vec<_>>(), total),
        (jobs.clone(), 2)
    );
    let running = store::jobs::JobFilter {
        state: Some(lustre::JobState::Running),
        ..Default::default()
    };
    let (page, total) = store::jobs::page(&t.db, &running, false, 10, 0).await?;
    assert_eq!(
        (page.iter().map(|j| j.id).collect::<Vec<_>>(), total),
        (vec![jobs[1]], 1)
    );
    t.drop().await
}

#[tokio::test]
async fn a_command_of_a_thousand_jobs_leaves_the_job_tables_analysed() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let jobs = (0..1_000)
        .map(|i| NewJob {
            key: i.to_string(),
            description: format!("job {i}"),
            steps: vec![Action::Noop],
            locks: vec![(format!("target/{i}"), true)],
            wait_for: if i > 0 { vec![i - 1] } else { vec![] },
        })
        .collect();
    store::commands::insert(
        &t.db,
        &NewCommand {
            message: "big".into(),
            jobs,
        },
    )
    .await?;
    // The planner's statistics (what the grant pass's plan is chosen by)
    // exist for every job table as the command is committed.
    for table in ["job", "step", "job_lock", "job_dependency"] {
        let rows = store::sql::query(
            &t.db,
            "SELECT count(*) AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1",
            [table.into()],
        )
        .await?;
        let n: i64 = rows.first().map_or(Ok(0), |row| row.try_get("", "n"))?;
        assert!(n > 0, "{table} has no statistics");
    }
    t.drop().await
}
