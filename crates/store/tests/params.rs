//! `store::params` against a fresh migrated database: what the servers
//! were last seen to hold of a file system's parameters.

mod support;

use store::params::Observation;
use uuid::Uuid;

const FS: &str = "00000000-0000-0000-0000-000000000004";

async fn with_filesystem() -> anyhow::Result<(support::TestDb, Uuid)> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO host (id, address, port) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22);
         INSERT INTO volume (id, serial, size_bytes) VALUES ('00000000-0000-0000-0000-000000000002', 'v1', 1);
         INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES
             ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000002',
              '00000000-0000-0000-0000-000000000001');
         INSERT INTO filesystem (id, name, mgs_id) VALUES
             ('00000000-0000-0000-0000-000000000004', 'fs1', '00000000-0000-0000-0000-000000000003');",
    )
    .await?;
    Ok((t, FS.parse()?))
}

fn seen(key: &str, llog: Option<&str>, live: Option<&str>) -> Observation {
    Observation {
        key: key.into(),
        llog_value: llog.map(str::to_owned),
        live_value: live.map(str::to_owned),
    }
}

#[tokio::test]
async fn record_observations_replaces_what_was_seen_before() -> anyhow::Result<()> {
    let (t, fs) = with_filesystem().await?;
    let first = [seen("a", Some("1"), Some("1")), seen("b", Some("2"), None)];
    assert_eq!(store::params::record_observations(&t.db, fs, &first).await?, 2);
    let second = [seen("a", Some("3"), None)];
    store::params::record_observations(&t.db, fs, &second).await?;
    let rows = store::sql::query(
        &t.db,
        "SELECT key, llog_value, live_value FROM param_observation WHERE filesystem_id = $1 ORDER BY key",
        [fs.into()],
    )
    .await?;
    assert_eq!(rows.len(), 1, "b is no longer seen");
    assert_eq!(rows[0].try_get::<String>("", "key")?, "a");
    assert_eq!(
        rows[0].try_get::<Option<String>>("", "llog_value")?.as_deref(),
        Some("3")
    );
    assert_eq!(rows[0].try_get::<Option<String>>("", "live_value")?, None);
    t.drop().await
}

mod seed;

#[tokio::test]
async fn observations_are_what_was_last_seen_of_a_file_systems_parameters() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let seen = store::params::observations(&t.db, seed::FS1).await?;
    let shown: Vec<(&str, Option<&str>, Option<&str>)> = seen
        .iter()
        .map(|o| (o.key.as_str(), o.llog_value.as_deref(), o.live_value.as_deref()))
        .collect();
    assert_eq!(shown, [("fs1.sys.timeout", Some("200"), Some("200"))]);
    assert_eq!(store::params::observations(&t.db, seed::MGT).await?, []);
    t.drop().await
}

/// File system fs1's stored parameters.
async fn stored_params_of_fs1(t: &support::TestDb) -> anyhow::Result<serde_json::Value> {
    let found = store::filesystems::views(&t.db, store::filesystems::FilesystemSelection::Id(seed::FS1)).await?;
    found
        .into_iter()
        .next()
        .map(|f| f.conf_params)
        .ok_or_else(|| anyhow::anyhow!("no fs1"))
}

#[tokio::test]
async fn store_values_merges_into_the_stored_parameters() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    store::params::store_values(&t.db, seed::FS1, serde_json::json!({"fs1.sys.at_max": "5"})).await?;
    assert_eq!(
        stored_params_of_fs1(&t).await?,
        serde_json::json!({"fs1.sys.timeout": "100", "fs1.sys.at_max": "5"})
    );
    t.drop().await
}

#[tokio::test]
async fn replace_values_removes_keys_then_merges() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    store::params::replace_values(
        &t.db,
        seed::FS1,
        serde_json::json!({"fs1.sys.at_max": "5"}),
        vec!["fs1.sys.timeout".into()],
    )
    .await?;
    assert_eq!(
        stored_params_of_fs1(&t).await?,
        serde_json::json!({"fs1.sys.at_max": "5"})
    );
    t.drop().await
}
