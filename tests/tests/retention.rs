//! The scheduler trims history past its retention (docs/data.md,
//! "Retention") as soon as it starts: an event older than
//! `CHROMA_RETAIN_EVENTS_DAYS` goes, a recent one stays.

use integration_tests::{wait_for, TestEnv};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_deletes_events_past_their_retention() -> anyhow::Result<()> {
    let mut env = TestEnv::start("retention").await?;
    env.settings.retention.events = Duration::from_secs(7 * 24 * 3600);
    store::sql::execute(
        &env.db,
        "INSERT INTO event (id, at, kind, message) VALUES
           (gen_random_uuid(), now() - interval '8 days', 'state_changed', 'retention test: old'),
           (gen_random_uuid(), now() - interval '6 days', 'state_changed', 'retention test: recent')",
        [],
    )
    .await?;
    env.scheduler().await?;
    let left = wait_for(Duration::from_secs(30), "the old event to go", || async {
        let rows = store::sql::query(
            &env.db,
            "SELECT message FROM event WHERE message LIKE 'retention test: %'",
            [],
        )
        .await?;
        let messages = rows
            .iter()
            .map(|r| r.try_get::<String>("", "message"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((messages.len() < 2).then_some(messages))
    })
    .await?;
    assert_eq!(left, ["retention test: recent"]);
    env.stop().await
}
