//! `store::retention` against a fresh migrated database: each kind of
//! history is deleted once older than its cut-off, what is still in use
//! stays however old, and a call deletes no more than its batch.

mod support;

use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;

async fn run(t: &support::TestDb, sql: &str) -> anyhow::Result<()> {
    t.db.execute_unprepared(sql).await?;
    Ok(())
}

async fn ids(t: &support::TestDb, sql: &str) -> anyhow::Result<Vec<String>> {
    let rows = store::sql::query(&t.db, sql, []).await?;
    let mut ids = rows
        .iter()
        .map(|r| r.try_get::<String>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort();
    Ok(ids)
}

fn month_ago() -> chrono::DateTime<Utc> {
    Utc::now() - Duration::days(30)
}

#[tokio::test]
async fn tokens_that_ended_before_the_cut_off_are_deleted() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    run(
        &t,
        "INSERT INTO app_user (id, username, password_hash, role)
             VALUES ('00000000-0000-0000-0000-0000000000a1', 'ann', 'x', 'readonly');
         INSERT INTO api_token (id, user_id, token_hash, kind, expires_at, revoked_at) VALUES
           ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a1', 'h1', 'api', now() - interval '40 days', NULL),
           ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-0000000000a1', 'h2', 'session', now() + interval '1 day', now() - interval '40 days'),
           ('00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-0000000000a1', 'h3', 'api', now() - interval '1 day', NULL),
           ('00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-0000000000a1', 'h4', 'api', NULL, NULL);",
    )
    .await?;
    assert_eq!(store::retention::delete_ended_tokens(&t.db, month_ago(), 100).await?, 2);
    assert_eq!(
        ids(&t, "SELECT id::text AS id FROM api_token").await?,
        [
            "00000000-0000-0000-0000-000000000003",
            "00000000-0000-0000-0000-000000000004"
        ]
    );
    t.drop().await
}

#[tokio::test]
async fn events_older_than_the_cut_off_are_deleted_a_batch_at_a_time() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    run(
        &t,
        "INSERT INTO event (id, at, kind, message)
             SELECT gen_random_uuid(), now() - interval '100 days', 'state_changed', 'old' FROM generate_series(1, 5);
         INSERT INTO event (id, kind, message) VALUES (gen_random_uuid(), 'state_changed', 'new');",
    )
    .await?;
    assert_eq!(store::retention::delete_events(&t.db, month_ago(), 2).await?, 2);
    assert_eq!(store::retention::delete_events(&t.db, month_ago(), 2).await?, 2);
    assert_eq!(store::retention::delete_events(&t.db, month_ago(), 2).await?, 1);
    assert_eq!(store::retention::delete_events(&t.db, month_ago(), 2).await?, 0);
    let left = store::sql::query(&t.db, "SELECT message FROM event", []).await?;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].try_get::<String>("", "message")?, "new");
    t.drop().await
}

#[tokio::test]
async fn alerts_cleared_before_the_cut_off_are_deleted_and_active_ones_stay() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    run(
        &t,
        "INSERT INTO alert (id, kind, severity, item, message, raised_at, cleared_at) VALUES
           ('00000000-0000-0000-0000-000000000001', 'host_offline', 'error', 'host/1', 'cleared long ago',
            now() - interval '200 days', now() - interval '100 days'),
           ('00000000-0000-0000-0000-000000000002', 'host_offline', 'error', 'host/2', 'cleared lately',
            now() - interval '200 days', now() - interval '1 day'),
           ('00000000-0000-0000-0000-000000000003', 'host_offline', 'error', 'host/3', 'still active',
            now() - interval '200 days', NULL);",
    )
    .await?;
    assert_eq!(
        store::retention::delete_cleared_alerts(&t.db, month_ago(), 100).await?,
        1
    );
    assert_eq!(
        ids(&t, "SELECT id::text AS id FROM alert").await?,
        [
            "00000000-0000-0000-0000-000000000002",
            "00000000-0000-0000-0000-000000000003"
        ]
    );
    t.drop().await
}

#[tokio::test]
async fn commands_finished_before_the_cut_off_go_with_their_jobs_and_steps() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let mut sql = String::new();
    for (n, state, finished) in [
        (1, "succeeded", "now() - interval '100 days'"),
        (2, "cancelled", "now() - interval '100 days'"),
        (3, "failed", "now() - interval '1 day'"),
        // Unfinished: stays, however old it is.
        (4, "running", "NULL"),
    ] {
        sql.push_str(&format!(
            "INSERT INTO command (id, message, state, created_at, finished_at)
                 VALUES ('00000000-0000-0000-0000-00000000000{n}', 'c{n}', '{state}', now() - interval '200 days', {finished});
             INSERT INTO job (id, command_id, key, description, step_count, state)
                 VALUES ('00000000-0000-0000-0000-00000000010{n}', '00000000-0000-0000-0000-00000000000{n}', 'k', 'j', 1, 'succeeded');
             INSERT INTO step (id, job_id, idx, action, args, state)
                 VALUES ('00000000-0000-0000-0000-00000000020{n}', '00000000-0000-0000-0000-00000000010{n}', 0, 'noop', '{{}}', 'succeeded');
             INSERT INTO job_lock (job_id, item, write) VALUES ('00000000-0000-0000-0000-00000000010{n}', 'host/{n}', true);"
        ));
    }
    run(&t, &sql).await?;
    assert_eq!(
        store::retention::delete_finished_commands(&t.db, month_ago(), 100).await?,
        2
    );
    let kept = [
        "00000000-0000-0000-0000-000000000003",
        "00000000-0000-0000-0000-000000000004",
    ];
    assert_eq!(ids(&t, "SELECT id::text AS id FROM command").await?, kept);
    assert_eq!(ids(&t, "SELECT command_id::text AS id FROM job").await?, kept);
    assert_eq!(
        ids(
            &t,
            "SELECT j.command_id::text AS id FROM step s JOIN job j ON j.id = s.job_id"
        )
        .await?,
        kept
    );
    assert_eq!(ids(&t, "SELECT job_id::text AS id FROM job_lock").await?.len(), 2);
    t.drop().await
}

#[tokio::test]
async fn storage_removed_before_the_cut_off_goes_with_its_statistics_series() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    run(
        &t,
        "INSERT INTO storage_plugin (name, state) VALUES ('raid', 'running');
         INSERT INTO storage_resource (id, plugin, local_id, class, attributes, removed_at) VALUES
           ('00000000-0000-0000-0000-000000000001', 'raid', 'disk-1', 'disk', '{}', now() - interval '100 days'),
           ('00000000-0000-0000-0000-000000000002', 'raid', 'disk-2', 'disk', '{}', now() - interval '1 day'),
           ('00000000-0000-0000-0000-000000000003', 'raid', 'disk-3', 'disk', '{}', NULL);
         INSERT INTO storage_relationship (from_id, to_id, kind) VALUES
           ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000003', 'built_on');
         INSERT INTO metric_series (object_kind, object_id, name)
             SELECT 'storage_resource', id, 'temperature' FROM storage_resource;",
    )
    .await?;
    assert_eq!(
        store::retention::delete_removed_storage(&t.db, month_ago(), 100).await?,
        1
    );
    let kept = [
        "00000000-0000-0000-0000-000000000002",
        "00000000-0000-0000-0000-000000000003",
    ];
    assert_eq!(ids(&t, "SELECT id::text AS id FROM storage_resource").await?, kept);
    assert_eq!(ids(&t, "SELECT object_id::text AS id FROM metric_series").await?, kept);
    assert!(ids(&t, "SELECT from_id::text AS id FROM storage_relationship")
        .await?
        .is_empty());
    t.drop().await
}

#[tokio::test]
async fn log_lines_expire_by_when_chroma_received_them_not_by_the_servers_clock() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    run(
        &t,
        "INSERT INTO host (id, address, port) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22)",
    )
    .await?;
    let host = "00000000-0000-0000-0000-000000000001".parse()?;
    let line = |at, cursor: &str| store::logs::JournalLine {
        at,
        severity: "info".into(),
        source: "kernel".into(),
        message: cursor.into(),
        cursor: cursor.into(),
    };
    // A server whose clock is years behind, and one whose clock is ahead.
    let lines = [
        line(Utc::now() - Duration::days(3650), "behind"),
        line(Utc::now() + Duration::days(3650), "ahead"),
    ];
    store::logs::append_journal(&t.db, host, &lines).await?;
    // Both just arrived: neither expires, whatever its server said.
    assert_eq!(store::retention::delete_log_lines(&t.db, month_ago(), 100).await?, 0);
    // Received long ago: it expires, though its server dates it in the future.
    run(
        &t,
        "UPDATE log_line SET received_at = now() - interval '100 days' WHERE cursor = 'ahead'",
    )
    .await?;
    assert_eq!(store::retention::delete_log_lines(&t.db, month_ago(), 100).await?, 1);
    let left = store::sql::query(&t.db, "SELECT cursor FROM log_line", []).await?;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].try_get::<String>("", "cursor")?, "behind");
    t.drop().await
}

#[tokio::test]
async fn removed_storage_takes_its_statistics_samples_a_batch_at_a_time() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    // Three samples in each table for a resource removed long ago, and
    // for one still reported.
    run(
        &t,
        "INSERT INTO storage_plugin (name, state) VALUES ('raid', 'running');
         INSERT INTO storage_resource (id, plugin, local_id, class, attributes, removed_at) VALUES
           ('00000000-0000-0000-0000-000000000001', 'raid', 'disk-1', 'disk', '{}', now() - interval '100 days'),
           ('00000000-0000-0000-0000-000000000002', 'raid', 'disk-2', 'disk', '{}', NULL);
         INSERT INTO metric_series (object_kind, object_id, name)
             SELECT 'storage_resource', id, 'temperature' FROM storage_resource;
         INSERT INTO metric_raw (series_id, at, value)
             SELECT s.id, now() - n * interval '1 minute', n FROM metric_series s, generate_series(1, 3) n;
         INSERT INTO metric_minute (series_id, at, value, min, max, samples)
             SELECT s.id, now() - n * interval '1 hour', n, n, n, 1 FROM metric_series s, generate_series(1, 3) n;
         INSERT INTO metric_hour (series_id, at, value, min, max, samples)
             SELECT s.id, now() - n * interval '1 day', n, n, n, 1 FROM metric_series s, generate_series(1, 3) n;",
    )
    .await?;
    let kept_series = ids(
        &t,
        "SELECT id::text AS id FROM metric_series WHERE object_id = '00000000-0000-0000-0000-000000000002'",
    )
    .await?;
    // Two of each table's three samples, and a full batch says there is more.
    assert_eq!(
        store::retention::delete_removed_storage(&t.db, month_ago(), 2).await?,
        6
    );
    // The last sample of each, then the resource and its series.
    assert_eq!(
        store::retention::delete_removed_storage(&t.db, month_ago(), 2).await?,
        4
    );
    assert_eq!(
        store::retention::delete_removed_storage(&t.db, month_ago(), 2).await?,
        0
    );

    assert_eq!(
        ids(&t, "SELECT id::text AS id FROM storage_resource").await?,
        ["00000000-0000-0000-0000-000000000002"]
    );
    assert_eq!(ids(&t, "SELECT id::text AS id FROM metric_series").await?, kept_series);
    for table in ["metric_raw", "metric_minute", "metric_hour"] {
        let left = ids(&t, &format!("SELECT series_id::text AS id FROM {table}")).await?;
        assert_eq!(left, vec![kept_series[0].clone(); 3], "{table}: the samples left");
    }
    t.drop().await
}

#[tokio::test]
async fn log_lines_stored_before_received_at_existed_count_as_received_by_the_migration() -> anyhow::Result<()> {
    use migrations::MigratorTrait;
    let t = support::TestDb::new().await?;
    // Back to before the column, with a line from a server whose clock was
    // years behind.
    let names: Vec<String> = migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let added = names
        .iter()
        .position(|n| n == "m20261206_000028_add_log_line_received_at")
        .ok_or_else(|| anyhow::anyhow!("no migration adds log_line.received_at"))?;
    migrations::Migrator::down(&t.db, Some(u32::try_from(names.len() - added)?)).await?;
    run(
        &t,
        "INSERT INTO host (id, address, port) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22);
         INSERT INTO log_line (host_id, at, severity, source, message, cursor) VALUES
           ('00000000-0000-0000-0000-000000000001', now() - interval '3650 days', 'info', 'kernel', 'old', 'behind');",
    )
    .await?;
    migrations::Migrator::up(&t.db, None).await?;
    // The first retention run keeps it: Chroma has had it for no time.
    assert_eq!(store::retention::delete_log_lines(&t.db, month_ago(), 100).await?, 0);
    let left = store::sql::query(&t.db, "SELECT cursor FROM log_line", []).await?;
    assert_eq!(left.len(), 1);
    t.drop().await
}
