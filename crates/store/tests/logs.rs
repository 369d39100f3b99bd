//! `store::logs` against a fresh migrated database: storing journal
//! lines once by their cursor, the host's cursor, and the fencer's lines.

mod support;

use chrono::{DateTime, Utc};
use store::logs::JournalLine;
use uuid::Uuid;

const HOST: &str = "00000000-0000-0000-0000-000000000001";

async fn with_host() -> anyhow::Result<(support::TestDb, Uuid)> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO host (id, address, port) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22)",
    )
    .await?;
    Ok((t, HOST.parse()?))
}

fn at(text: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

fn line(at: DateTime<Utc>, source: &str, message: &str, cursor: &str) -> JournalLine {
    JournalLine {
        at,
        severity: "info".into(),
        source: source.into(),
        message: message.into(),
        cursor: cursor.into(),
    }
}

async fn count(t: &support::TestDb) -> anyhow::Result<i64> {
    let rows = store::sql::query(&t.db, "SELECT count(*) AS n FROM log_line", []).await?;
    Ok(rows[0].try_get("", "n")?)
}

#[tokio::test]
async fn a_line_read_twice_is_stored_once_and_the_cursor_moves_on() -> anyhow::Result<()> {
    let (t, host) = with_host().await?;
    assert_eq!(store::logs::journal_cursor(&t.db, host).await?, None);
    let when = at("2026-12-06T10:00:00Z")?;
    store::logs::append_journal(&t.db, host, &[line(when, "kernel", "one", "c1")]).await?;
    let both = [line(when, "kernel", "one", "c1"), line(when, "kernel", "two", "c2")];
    store::logs::append_journal(&t.db, host, &both).await?;
    assert_eq!(count(&t).await?, 2);
    assert_eq!(store::logs::journal_cursor(&t.db, host).await?.as_deref(), Some("c2"));
    t.drop().await
}

#[tokio::test]
async fn no_lines_change_nothing() -> anyhow::Result<()> {
    let (t, host) = with_host().await?;
    store::logs::append_journal(&t.db, host, &[]).await?;
    assert_eq!(count(&t).await?, 0);
    assert_eq!(store::logs::journal_cursor(&t.db, host).await?, None);
    t.drop().await
}

#[tokio::test]
async fn fencer_operations_are_the_fencers_operation_lines_since_a_time() -> anyhow::Result<()> {
    let (t, host) = with_host().await?;
    let (old, new) = (at("2026-12-06T09:00:00Z")?, at("2026-12-06T11:00:00Z")?);
    let lines = [
        line(old, "pacemaker-fenced", "Operation reboot of oss2: OK", "c1"),
        line(new, "pacemaker-fenced", "Operation reboot of oss2: OK", "c2"),
        line(new, "pacemaker-fenced", "something else", "c3"),
        line(new, "kernel", "Operation reboot", "c4"),
    ];
    store::logs::append_journal(&t.db, host, &lines).await?;
    let since = at("2026-12-06T10:00:00Z")?;
    assert_eq!(
        store::logs::fencer_operations(&t.db, &[host], since).await?,
        vec![(new, "Operation reboot of oss2: OK".to_owned())]
    );
    assert!(store::logs::fencer_operations(&t.db, &[Uuid::nil()], since)
        .await?
        .is_empty());
    t.drop().await
}

mod seed;

/// Lines of severities `severities`, newest first unless `order`.
fn of_severities(severities: &[&str]) -> store::logs::ListFilter {
    store::logs::ListFilter {
        severities: severities.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn list_selects_by_severity_newest_first_and_counts_them_all() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let filter = of_severities(&["error", "warning"]);
    let page = store::logs::list(&t.db, &filter, store::logs::ListOrder::Newest, 1, 0).await?;
    let messages: Vec<&str> = page.lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!((messages, page.counted), (vec!["LustreError: 100%"], 2));
    assert!(page.more && !page.capped);
    let page = store::logs::list(&t.db, &filter, store::logs::ListOrder::Newest, 1, 1).await?;
    let nodes: Vec<Option<&str>> = page.lines.iter().map(|l| l.nodename.as_deref()).collect();
    assert_eq!(nodes, [Some("oss2")]);
    assert_eq!((page.counted, page.more), (2, false));
    // Past the end: nothing, and still the count to go back by.
    let page = store::logs::list(&t.db, &filter, store::logs::ListOrder::Newest, 1, 5).await?;
    assert_eq!((page.lines.len(), page.counted, page.more), (0, 2, false));
    t.drop().await
}

#[tokio::test]
async fn list_follows_the_lines_stored_after_an_id() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let every = of_severities(&["error", "warning", "info"]);
    let all = store::logs::list(&t.db, &every, store::logs::ListOrder::Stored, 10, 0)
        .await?
        .lines;
    let first = all.first().map(|l| l.id).ok_or_else(|| anyhow::anyhow!("no lines"))?;
    let after = store::logs::ListFilter {
        after_id: Some(first),
        ..every
    };
    let page = store::logs::list(&t.db, &after, store::logs::ListOrder::Stored, 10, 0).await?;
    let messages: Vec<&str> = page.lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!((messages, page.counted), (vec!["LNet up", "slow disk"], 2));
    t.drop().await
}

#[tokio::test]
async fn list_matches_a_message_pattern_and_a_host() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let filter = store::logs::ListFilter {
        host_id: Some(seed::OSS1),
        message_like: Some("%up%".into()),
        ..of_severities(&["info"])
    };
    let page = store::logs::list(&t.db, &filter, store::logs::ListOrder::Oldest, 10, 0).await?;
    assert_eq!((page.lines.len(), page.counted), (1, 1));
    t.drop().await
}

#[tokio::test]
async fn lines_read_but_not_stored_still_move_the_cursor_past_them() -> anyhow::Result<()> {
    let (t, host) = with_host().await?;
    let when = at("2026-12-06T10:00:00Z")?;
    // Lines c1 to c9 were read; only c1 is kept.
    store::logs::append_journal_read_to(&t.db, host, &[line(when, "kernel", "one", "c1")], "c9").await?;
    assert_eq!(count(&t).await?, 1);
    assert_eq!(store::logs::journal_cursor(&t.db, host).await?.as_deref(), Some("c9"));
    // None kept at all.
    store::logs::append_journal_read_to(&t.db, host, &[], "c20").await?;
    assert_eq!(count(&t).await?, 1);
    assert_eq!(store::logs::journal_cursor(&t.db, host).await?.as_deref(), Some("c20"));
    t.drop().await
}

#[tokio::test]
async fn a_long_log_is_counted_only_so_far_past_the_page() -> anyhow::Result<()> {
    let (t, host) = with_host().await?;
    let extra = store::logs::COUNT_AHEAD + 50;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        &format!(
            "INSERT INTO log_line (host_id, at, severity, source, message, cursor)
         SELECT '{host}', now() - n * interval '1 s', 'info', 'kernel', 'line ' || n, 'c' || n
         FROM generate_series(1, {}) n",
            100 + extra
        ),
    )
    .await?;
    let every = of_severities(&["info"]);
    let page = store::logs::list(&t.db, &every, store::logs::ListOrder::Newest, 100, 0).await?;
    assert_eq!(page.lines.len(), 100);
    assert_eq!(page.counted, 100 + store::logs::COUNT_AHEAD);
    assert!(page.capped && page.more);
    // Near the end the count is exact again.
    let page = store::logs::list(&t.db, &every, store::logs::ListOrder::Newest, 100, extra).await?;
    assert_eq!((page.counted, page.capped, page.more), (100 + extra, false, false));
    t.drop().await
}
