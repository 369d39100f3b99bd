//! A database connection lost under a statement (PostgreSQL restarting,
//! an administrator ending the session) is an outage: the API answers 503
//! "unavailable" for the client to retry, never a 500.

use integration_tests::{wait_for, TestEnv};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_ended_under_a_query_answers_503_not_500() -> anyhow::Result<()> {
    let env = TestEnv::start("db_outage").await?;
    // Hold the request's query in flight: it waits for this lock.
    let lock = env.db.begin().await?;
    lock.execute_unprepared("LOCK TABLE target IN ACCESS EXCLUSIVE MODE")
        .await?;
    let request = tokio::spawn({
        let (http, url) = (env.http.clone(), format!("{}/api/target", env.base));
        async move { http.get(url).send().await }
    });
    let waiting = wait_for(
        Duration::from_secs(30),
        "the API's query to wait on the lock",
        || async {
            let rows = env
                .db
                .query_all(Statement::from_string(
                    env.db.get_database_backend(),
                    "SELECT pid FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                ))
                .await?;
            let pids: Vec<i32> = rows.iter().map(|r| r.try_get("", "pid")).collect::<Result<_, _>>()?;
            Ok((!pids.is_empty()).then_some(pids))
        },
    )
    .await?;
    // The server ends that session, as a shutdown or restart would.
    for pid in waiting {
        env.db
            .execute_unprepared(&format!("SELECT pg_terminate_backend({pid})"))
            .await?;
    }
    let response = request.await??;
    let status = response.status();
    let envelope: serde_json::Value = response.json().await?;
    lock.rollback().await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{envelope}");
    assert_eq!(envelope["errors"][0]["code"], "unavailable", "{envelope}");
    // The pool replaces the lost connection: the next call is answered.
    let (status, envelope) = env.get("/api/target").await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    env.stop().await
}
