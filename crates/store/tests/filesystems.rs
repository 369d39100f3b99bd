//! `store::filesystems` against a fresh migrated database.

mod support;

#[tokio::test]
async fn insert_bare_stores_a_file_system_on_its_mgt() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, mgt) = support::mounted_mgt(&t.db).await?;
    let id = uuid::Uuid::now_v7();
    store::filesystems::insert_bare(&t.db, id, "bench", mgt).await?;
    let rows = store::sql::query(&t.db, "SELECT name, mgs_id FROM filesystem WHERE id = $1", [id.into()]).await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no file system"))?;
    assert_eq!(row.try_get::<String>("", "name")?, "bench");
    assert_eq!(row.try_get::<uuid::Uuid>("", "mgs_id")?, mgt);
    t.drop().await
}

#[tokio::test]
async fn stored_params_lists_live_file_systems_with_their_parameters() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO host (id, address, port) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22);
         INSERT INTO volume (id, serial, size_bytes) VALUES ('00000000-0000-0000-0000-000000000002', 'v1', 1);
         INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES
             ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000002',
              '00000000-0000-0000-0000-000000000001');
         INSERT INTO filesystem (id, name, mgs_id, conf_params, removed) VALUES
             ('00000000-0000-0000-0000-000000000004', 'fs1', '00000000-0000-0000-0000-000000000003', '{\"a\": \"1\"}', false),
             ('00000000-0000-0000-0000-000000000005', 'fs2', '00000000-0000-0000-0000-000000000003', '{}', true);",
    )
    .await?;
    let live = store::filesystems::stored_params(&t.db).await?;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].name, "fs1");
    assert_eq!(live[0].mgs_id.to_string(), "00000000-0000-0000-0000-000000000003");
    assert_eq!(live[0].conf_params, serde_json::json!({"a": "1"}));
    t.drop().await
}

mod seed;

#[tokio::test]
async fn views_show_a_file_systems_targets_mount_source_and_locks() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let found = store::filesystems::views(&t.db, store::filesystems::FilesystemSelection::Id(seed::FS1)).await?;
    let [fs] = found.as_slice() else {
        anyhow::bail!("expected fs1, got {found:?}");
    };
    let targets: Vec<uuid::Uuid> = fs.targets.iter().map(|t| t.id).collect();
    assert_eq!(targets, [seed::MGT, seed::MDT]);
    assert_eq!(
        fs.client_mount_source.as_deref(),
        Some("10.0.0.1@tcp:10.0.0.2@tcp:/fs1")
    );
    let locks: Vec<bool> = fs.locks.iter().map(|l| l.write).collect();
    assert_eq!(locks, [false]);
    t.drop().await
}

#[tokio::test]
async fn views_leave_removed_file_systems_out_unless_asked() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    store::sql::execute(&t.db, "UPDATE filesystem SET removed = true", []).await?;
    let matching = |removed| store::filesystems::FilesystemSelection::Matching {
        removed,
        name: Some("fs1".into()),
        managed: None,
    };
    assert_eq!(store::filesystems::views(&t.db, matching(false)).await?.len(), 0);
    let shown = store::filesystems::views(&t.db, matching(true)).await?;
    let states: Vec<&str> = shown.iter().map(|f| f.state.as_str()).collect();
    assert_eq!(states, ["removed"]);
    t.drop().await
}

#[tokio::test]
async fn name_in_use_tells_a_live_name_from_kept_logs() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    use store::filesystems::{name_in_use, NameInUse};
    assert_eq!(name_in_use(&t.db, "fs1", seed::MGT).await?, Some(NameInUse::Live));
    assert_eq!(name_in_use(&t.db, "fs2", seed::MGT).await?, None);
    store::sql::execute(&t.db, "UPDATE filesystem SET removed = true", []).await?;
    assert_eq!(name_in_use(&t.db, "fs1", seed::MGT).await?, Some(NameInUse::LogsKept));
    assert_eq!(name_in_use(&t.db, "fs1", seed::MDT).await?, None);
    t.drop().await
}

#[tokio::test]
async fn insert_records_a_managed_file_system_with_its_parameters() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let id = uuid::Uuid::now_v7();
    let params = serde_json::json!({"fs2.sys.timeout": "50"});
    store::filesystems::insert(&t.db, id, "fs2", seed::MGT, params.clone()).await?;
    let found = store::filesystems::views(&t.db, store::filesystems::FilesystemSelection::Id(id)).await?;
    let shown: Vec<(&str, bool, &serde_json::Value)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.managed, &f.conf_params))
        .collect();
    assert_eq!(shown, [("fs2", true, &params)]);
    t.drop().await
}

#[tokio::test]
async fn watched_sharing_mgs_names_watched_file_systems_on_the_same_mgs() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    assert_eq!(store::filesystems::watched_sharing_mgs(&t.db, seed::FS1).await?, []);
    let other = uuid::Uuid::now_v7();
    store::filesystems::insert(&t.db, other, "fs2", seed::MGT, serde_json::json!({})).await?;
    store::sql::execute(
        &t.db,
        "UPDATE filesystem SET managed = false WHERE id = $1",
        [other.into()],
    )
    .await?;
    let sharers = store::filesystems::watched_sharing_mgs(&t.db, seed::FS1).await?;
    assert_eq!(
        sharers,
        [store::filesystems::WatchedSharer {
            name: "fs2".into(),
            mgs_id: seed::MGT,
            // A lone MGT belongs to no file system.
            combined: None,
        }]
    );
    t.drop().await
}

#[tokio::test]
async fn mark_managed_marks_the_file_system_managed() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    store::sql::execute(&t.db, "UPDATE filesystem SET managed = false", []).await?;
    store::filesystems::mark_managed(&t.db, seed::FS1).await?;
    let found = store::filesystems::views(&t.db, store::filesystems::FilesystemSelection::Id(seed::FS1)).await?;
    assert_eq!(found.iter().map(|f| f.managed).collect::<Vec<_>>(), [true]);
    t.drop().await
}

/// Host `a`, volume `S1` with an MGT on it, and file system `fs1` on that
/// MGS: `(mgt, fs)`.
async fn fs(db: &sea_orm::DatabaseConnection) -> anyhow::Result<(uuid::Uuid, uuid::Uuid)> {
    let (a, v1, mgt, fs) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    store::sql::execute(
        db,
        "INSERT INTO host (id, address, port, state) VALUES ($1, '10.0.0.1', 22, 'managed')",
        [a.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO volume (id, serial, size_bytes) VALUES ($1, 'S1', 1)",
        [v1.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES ($1, 'mgt', 'MGS', $2, $3)",
        [mgt.into(), v1.into(), a.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO filesystem (id, name, mgs_id, conf_params) VALUES ($1, 'fs1', $2, '{\"sys.timeout\": \"40\"}')",
        [fs.into(), mgt.into()],
    )
    .await?;
    Ok((mgt, fs))
}

/// `(removed, logs_erased)` of file system `id`.
async fn fs_flags(db: &sea_orm::DatabaseConnection, id: uuid::Uuid) -> anyhow::Result<(bool, bool)> {
    let rows = store::sql::query(
        db,
        "SELECT removed, logs_erased FROM filesystem WHERE id = $1",
        [id.into()],
    )
    .await?;
    let r = rows.first().ok_or_else(|| anyhow::anyhow!("no file system"))?;
    Ok((r.try_get("", "removed")?, r.try_get("", "logs_erased")?))
}

#[tokio::test]
async fn for_action_reads_the_name_mgs_and_parameters() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (mgt, fs) = fs(&t.db).await?;
    assert_eq!(
        store::filesystems::for_action(&t.db, fs).await?,
        Some(store::filesystems::ActionFilesystem {
            name: "fs1".into(),
            mgs_id: mgt,
            conf_params: serde_json::json!({"sys.timeout": "40"}),
        })
    );
    assert_eq!(store::filesystems::for_action(&t.db, uuid::Uuid::now_v7()).await?, None);
    t.drop().await
}

#[tokio::test]
async fn lock_detection_holds_until_the_transaction_ends() -> anyhow::Result<()> {
    use sea_orm::TransactionTrait;
    let t = support::TestDb::new().await?;
    let tx = t.db.begin().await?;
    store::filesystems::lock_detection(&tx).await?;
    let held = store::sql::query(
        &t.db,
        "SELECT NOT pg_try_advisory_xact_lock(hashtext('chroma.detect_filesystems')) AS held",
        [],
    )
    .await?;
    assert_eq!(
        held.first().map(|r| r.try_get::<bool>("", "held")).transpose()?,
        Some(true)
    );
    tx.commit().await?;
    t.drop().await
}

#[tokio::test]
async fn defer_mgs_check_lets_a_file_system_come_before_its_mgs() -> anyhow::Result<()> {
    use sea_orm::TransactionTrait;
    let t = support::TestDb::new().await?;
    let tx = t.db.begin().await?;
    store::filesystems::defer_mgs_check(&tx).await?;
    let later = uuid::Uuid::now_v7();
    let inserted = store::filesystems::insert_detected(&tx, "fs2", later, serde_json::json!({})).await?;
    assert!(inserted.is_some());
    tx.rollback().await?;
    let tx = t.db.begin().await?;
    assert!(
        store::filesystems::insert_detected(&tx, "fs2", later, serde_json::json!({}))
            .await
            .is_err()
    );
    tx.rollback().await?;
    t.drop().await
}

#[tokio::test]
async fn live_id_on_mgs_finds_a_file_system_by_name_on_its_mgs() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (mgt, fs) = fs(&t.db).await?;
    assert_eq!(store::filesystems::live_id_on_mgs(&t.db, "fs1", mgt).await?, Some(fs));
    assert_eq!(store::filesystems::live_id_on_mgs(&t.db, "fs2", mgt).await?, None);
    store::filesystems::record_removed(&t.db, None, fs).await?;
    assert_eq!(store::filesystems::live_id_on_mgs(&t.db, "fs1", mgt).await?, None);
    t.drop().await
}

#[tokio::test]
async fn insert_detected_records_an_unmanaged_file_system() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (mgt, _) = fs(&t.db).await?;
    let id = store::filesystems::insert_detected(&t.db, "fs2", mgt, serde_json::json!({"a": "1"}))
        .await?
        .ok_or_else(|| anyhow::anyhow!("not inserted"))?;
    let rows = store::sql::query(
        &t.db,
        "SELECT managed, conf_params FROM filesystem WHERE id = $1",
        [id.into()],
    )
    .await?;
    let r = rows.first().ok_or_else(|| anyhow::anyhow!("no file system"))?;
    assert!(!r.try_get::<bool>("", "managed")?);
    assert_eq!(
        r.try_get::<serde_json::Value>("", "conf_params")?,
        serde_json::json!({"a": "1"})
    );
    t.drop().await
}

#[tokio::test]
async fn delete_removes_the_file_system_row() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, fs) = fs(&t.db).await?;
    assert_eq!(store::filesystems::delete(&t.db, fs).await?, 1);
    assert_eq!(store::filesystems::for_action(&t.db, fs).await?, None);
    t.drop().await
}

#[tokio::test]
async fn record_logs_erased_marks_the_logs_erased() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, fs) = fs(&t.db).await?;
    store::filesystems::record_logs_erased(&t.db, None, fs).await?;
    assert_eq!(fs_flags(&t.db, fs).await?, (false, true));
    t.drop().await
}

#[tokio::test]
async fn record_removed_marks_the_file_system_removed() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, fs) = fs(&t.db).await?;
    assert_eq!(store::filesystems::record_removed(&t.db, None, fs).await?, 1);
    assert_eq!(fs_flags(&t.db, fs).await?, (true, false));
    assert_eq!(
        store::filesystems::record_removed(&t.db, None, uuid::Uuid::now_v7()).await?,
        0
    );
    t.drop().await
}
