//! The event log and what moved out of triggers into Rust: a failed job's
//! `job_failed` alert and a finished command's outcome event, written by
//! the code that makes the change, exactly once and as the triggers wrote
//! them.

mod support;

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use store::events::EventKind;
use uuid::Uuid;

/// A command (`Set fs1 up`) with one running job (`format MGS`); their ids.
async fn running_job(db: &impl ConnectionTrait) -> anyhow::Result<(Uuid, Uuid)> {
    let (command, job) = (Uuid::now_v7(), Uuid::now_v7());
    db.execute_unprepared(&format!(
        "INSERT INTO command (id, message, state) VALUES ('{command}', 'Set fs1 up', 'running');
         INSERT INTO job (id, command_id, key, description, step_count, state)
             VALUES ('{job}', '{command}', 'k', 'format MGS', 1, 'running');"
    ))
    .await?;
    Ok((command, job))
}

/// Rows of `sql` as JSON objects (`SELECT to_jsonb(x) AS row FROM …`).
async fn rows(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<Vec<Value>> {
    let rows = db
        .query_all(sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql))
        .await?;
    Ok(rows.iter().map(|r| r.try_get("", "row")).collect::<Result<_, _>>()?)
}

#[test]
fn event_kinds_round_trip_through_their_names() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(EventKind::parse("bogus"), None);
    assert_eq!(EventKind::StepDeadLettered.as_str(), "step_dead_lettered");
}

#[tokio::test]
async fn record_writes_a_system_event() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    store::events::record(
        &t.db,
        EventKind::StepRescued,
        None,
        "step published again",
        json!({"n": 1}),
    )
    .await?;
    let events = rows(
        &t.db,
        "SELECT jsonb_build_object('kind', kind, 'user_id', user_id, 'username', username,
                                   'message', message, 'details', details) AS row FROM event",
    )
    .await?;
    assert_eq!(
        events,
        vec![json!({"kind": "step_rescued", "user_id": null, "username": null,
                    "message": "step published again", "details": {"n": 1}})]
    );
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn record_writes_who_did_it() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let Some(user) = store::users::create(&t.db, "alice", "hash", "superuser").await? else {
        anyhow::bail!("alice exists");
    };
    store::events::record(&t.db, EventKind::Login, Some(&user), "alice logged in", json!({})).await?;
    let events = rows(
        &t.db,
        "SELECT jsonb_build_object('user_id', user_id, 'username', username) AS row FROM event",
    )
    .await?;
    assert_eq!(events, vec![json!({"user_id": user.id, "username": "alice"})]);
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn api_changes_are_recorded_in_one_go() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let Some(user) = store::users::create(&t.db, "bob", "hash", "fsadmin").await? else {
        anyhow::bail!("bob exists");
    };
    let change = |message: &str| store::events::ApiChange {
        user_id: user.id,
        username: user.username.clone(),
        message: message.to_owned(),
        details: json!({"path": "/api/host"}),
    };
    let written =
        store::events::record_api_changes(&t.db, &[change("POST /api/host"), change("DELETE /api/host")]).await?;
    assert_eq!(written, 2);
    let events = rows(
        &t.db,
        "SELECT jsonb_build_object('kind', kind, 'username', username, 'message', message, 'details', details) AS row
         FROM event ORDER BY message",
    )
    .await?;
    assert_eq!(
        events,
        vec![
            json!({"kind": "api_change", "username": "bob", "message": "DELETE /api/host", "details": {"path": "/api/host"}}),
            json!({"kind": "api_change", "username": "bob", "message": "POST /api/host", "details": {"path": "/api/host"}}),
        ]
    );
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn failed_lists_only_failed_jobs_with_their_description_and_error() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, job) = running_job(&t.db).await?;
    let (_, other) = running_job(&t.db).await?;
    store::jobs::mark_failed(&t.db, &[job], &["disk full".to_owned()]).await?;
    let failed = store::jobs::failed(&t.db, &[job, other]).await?;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!((failed[0].id, failed[0].command_id), (job, command));
    assert_eq!(failed[0].description, "format MGS");
    assert_eq!(failed[0].error.as_deref(), Some("disk full"));
    t.drop().await?;
    Ok(())
}

/// What the scheduler's advance does when a job's step failed: mark the
/// job failed and raise its alert, in one transaction.
async fn fail_job(db: &sea_orm::DatabaseConnection, job: Uuid, error: &str) -> anyhow::Result<()> {
    use sea_orm::TransactionTrait;
    let tx = db.begin().await?;
    store::jobs::mark_failed(&tx, &[job], &[error.to_owned()]).await?;
    for failed in store::jobs::failed(&tx, &[job]).await? {
        store::alerts::raise(&tx, store::alerts::Raise::job_failed(&failed)).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn a_failed_job_raises_one_job_failed_alert_as_the_trigger_did() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, job) = running_job(&t.db).await?;
    fail_job(&t.db, job, "disk full").await?;
    let alerts = rows(
        &t.db,
        "SELECT jsonb_build_object('kind', kind, 'severity', severity, 'item', item, 'message', message,
                                   'details', details, 'cleared', cleared_at IS NOT NULL) AS row FROM alert",
    )
    .await?;
    assert_eq!(
        alerts,
        vec![
            json!({"kind": "job_failed", "severity": "error", "item": format!("job/{job}"),
                    "message": "job failed: format MGS: disk full",
                    "details": {"job_id": job, "command_id": command}, "cleared": false})
        ]
    );
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn a_job_failed_alert_without_an_error_names_only_the_job() -> anyhow::Result<()> {
    let failed = store::jobs::FailedJob {
        id: Uuid::nil(),
        command_id: Uuid::nil(),
        description: "format MGS".into(),
        error: None,
    };
    let alert = store::alerts::Raise::job_failed(&failed);
    assert_eq!(alert.message, "job failed: format MGS");
    assert_eq!(alert.kind, store::alerts::AlertKind::JobFailed);
    assert_eq!(alert.kind.severity(), store::alerts::Severity::Error);
    Ok(())
}

#[tokio::test]
async fn a_job_failing_without_the_scheduler_raises_no_alert() -> anyhow::Result<()> {
    // The trigger is gone: the alert is the scheduler's to raise.
    let t = support::TestDb::new().await?;
    let (_, job) = running_job(&t.db).await?;
    store::jobs::mark_failed(&t.db, &[job], &["disk full".to_owned()]).await?;
    assert_eq!(
        rows(&t.db, "SELECT to_jsonb(alert) AS row FROM alert").await?,
        Vec::<Value>::new()
    );
    t.drop().await?;
    Ok(())
}

/// The command outcome events written, as JSON objects.
async fn outcome_events(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Value>> {
    rows(
        db,
        "SELECT jsonb_build_object('kind', kind, 'item', item, 'message', message, 'details', details,
                                   'user_id', user_id) AS row
         FROM event WHERE kind LIKE 'command\\_%' ORDER BY message",
    )
    .await
}

#[tokio::test]
async fn a_command_finishing_writes_its_outcome_event() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, job) = running_job(&t.db).await?;
    store::jobs::mark_failed(&t.db, &[job], &["disk full".to_owned()]).await?;
    let finished = store::control::refresh_commands(&t.db, &[command]).await?;
    assert_eq!(finished, vec![(command, lustre::CommandState::Failed)]);
    assert_eq!(
        outcome_events(&t.db).await?,
        vec![json!({"kind": "command_failed", "item": format!("command/{command}"),
                    "message": "Set fs1 up: failed",
                    "details": {"command_id": command, "state": "failed"}, "user_id": null})]
    );
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn a_command_refreshed_twice_writes_one_outcome_event() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, job) = running_job(&t.db).await?;
    store::jobs::mark_succeeded(&t.db, &[job]).await?;
    store::control::refresh_commands(&t.db, &[command]).await?;
    assert_eq!(store::control::refresh_commands(&t.db, &[command]).await?, vec![]);
    let events = outcome_events(&t.db).await?;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "command_succeeded");
    assert_eq!(events[0]["message"], "Set fs1 up: succeeded");
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn a_command_starting_writes_no_outcome_event() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (command, job) = (Uuid::now_v7(), Uuid::now_v7());
    t.db.execute_unprepared(&format!(
        "INSERT INTO command (id, message) VALUES ('{command}', 'Set fs1 up');
         INSERT INTO job (id, command_id, key, description, step_count, state)
             VALUES ('{job}', '{command}', 'k', 'format MGS', 1, 'running');"
    ))
    .await?;
    assert_eq!(store::control::refresh_commands(&t.db, &[command]).await?, vec![]);
    assert_eq!(outcome_events(&t.db).await?, Vec::<Value>::new());
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn outcomes_of_unfinished_commands_are_skipped() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let outcome = store::events::CommandOutcome {
        id: Uuid::now_v7(),
        message: "Set fs1 up".into(),
        state: lustre::CommandState::Running,
    };
    store::events::record_command_outcomes(&t.db, &[outcome]).await?;
    assert_eq!(outcome_events(&t.db).await?, Vec::<Value>::new());
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn a_change_note_is_delivered_when_its_transaction_commits() -> anyhow::Result<()> {
    use sea_orm::TransactionTrait;
    let t = support::TestDb::new().await?;
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(t.db.get_postgres_connection_pool()).await?;
    listener.listen(store::events::CHANGE_CHANNEL).await?;
    let rolled_back = t.db.begin().await?;
    store::events::notify_change(&rolled_back, &json!({"kind": "metrics", "n": 1})).await?;
    rolled_back.rollback().await?;
    let committed = t.db.begin().await?;
    store::events::notify_change(&committed, &json!({"kind": "metrics", "n": 2})).await?;
    committed.commit().await?;
    let note = tokio::time::timeout(std::time::Duration::from_secs(10), listener.recv()).await??;
    assert_eq!(
        serde_json::from_str::<Value>(note.payload())?,
        json!({"kind": "metrics", "n": 2})
    );
    drop(listener);
    t.drop().await?;
    Ok(())
}

mod seed;

#[tokio::test]
async fn list_selects_events_by_kind_newest_first_and_counts_them_all() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let filter = store::events::ListFilter {
        kind: Some("api_change".into()),
        ..Default::default()
    };
    let (events, total) = store::events::list(&t.db, &filter, store::events::ListOrder::Newest, 1, 0).await?;
    let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!((messages, total), (vec!["Started fs1"], 2));
    let (events, _) = store::events::list(&t.db, &filter, store::events::ListOrder::Oldest, 1, 0).await?;
    let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["Added host"]);
    t.drop().await
}

#[tokio::test]
async fn list_matches_an_item_and_a_message_pattern() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let filter = store::events::ListFilter {
        item: Some(format!("filesystem/{}", seed::FS1)),
        message_like: Some("%fs1%".into()),
        ..Default::default()
    };
    let (events, total) = store::events::list(&t.db, &filter, store::events::ListOrder::Newest, 10, 0).await?;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    assert_eq!(
        (ids, total),
        (vec![Uuid::from_u128(0xa000_0000_0000_0000_0000_0000_0000_0063)], 1)
    );
    t.drop().await
}

#[tokio::test]
async fn count_by_kind_since_counts_the_events_from_a_time_on() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let since = chrono::DateTime::parse_from_rfc3339("2026-12-01T11:00:00Z")?.with_timezone(&chrono::Utc);
    let mut counts = store::events::count_by_kind_since(&t.db, since).await?;
    counts.sort();
    assert_eq!(counts, [("api_change".to_owned(), 1), ("login_failed".to_owned(), 1)]);
    t.drop().await
}

#[tokio::test]
async fn failed_logins_recorded_with_the_name_in_the_message_lose_it_from_the_message() -> anyhow::Result<()> {
    use migrations::MigratorTrait;
    let test = support::TestDb::new().await?;
    let db = &test.db;
    // Back to before the rewrite (and the migrations after it), with an
    // event of the old form.
    let undo = migrations::Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name().contains("hide_failed_login_names"))
        .map(|after| u32::try_from(after + 1))
        .ok_or_else(|| anyhow::anyhow!("no migration hides failed-login names"))??;
    migrations::Migrator::down(db, Some(undo)).await?;
    db.execute_unprepared(&format!(
        "INSERT INTO event (id, kind, message, details) VALUES ('{}', 'login_failed',
             'failed login as \"hunter2\" from 192.0.2.7', '{{\"username\": \"hunter2\", \"address\": \"192.0.2.7\"}}')",
        Uuid::now_v7()
    ))
    .await?;
    migrations::Migrator::up(db, None).await?;
    let row = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT message, details FROM event WHERE kind = 'login_failed'",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the event is gone"))?;
    let message: String = row.try_get("", "message")?;
    let details: Value = row.try_get("", "details")?;
    assert_eq!(message, "failed login from 192.0.2.7");
    assert_eq!(
        details["username"], "hunter2",
        "the superuser's copy of the name is kept"
    );
    test.drop().await
}
