//! `store::targets` functions of a growing file system (indices in use,
//! drained OSTs) against a fresh migrated database.

mod support;

use store::targets::TargetSelection;
use uuid::Uuid;

const FS: &str = "00000000-0000-0000-0000-000000000004";
const OST0: &str = "00000000-0000-0000-0000-000000000010";
const MDT0: &str = "00000000-0000-0000-0000-000000000012";

/// fs1 with its MGT, MDT0, OST0000 and a removed OST0002.
async fn seeded() -> anyhow::Result<support::TestDb> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO host (id, address, port, nodename) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22, 'oss1');
         INSERT INTO volume (id, serial, size_bytes) VALUES
             ('00000000-0000-0000-0000-000000000002', 'v1', 1), ('00000000-0000-0000-0000-000000000005', 'v2', 1),
             ('00000000-0000-0000-0000-000000000006', 'v3', 1), ('00000000-0000-0000-0000-000000000007', 'v4', 1);
         INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES
             ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000002',
              '00000000-0000-0000-0000-000000000001');
         INSERT INTO filesystem (id, name, mgs_id) VALUES
             ('00000000-0000-0000-0000-000000000004', 'fs1', '00000000-0000-0000-0000-000000000003');
         INSERT INTO target (id, kind, name, filesystem_id, target_index, volume_id, primary_host_id, state) VALUES
             ('00000000-0000-0000-0000-000000000010', 'ost', 'fs1-OST0000', '00000000-0000-0000-0000-000000000004', 0,
              '00000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-000000000001', 'mounted'),
             ('00000000-0000-0000-0000-000000000011', 'ost', 'fs1-OST0002', '00000000-0000-0000-0000-000000000004', 2,
              '00000000-0000-0000-0000-000000000006', '00000000-0000-0000-0000-000000000001', 'removed'),
             ('00000000-0000-0000-0000-000000000012', 'mdt', 'fs1-MDT0000', '00000000-0000-0000-0000-000000000004', 0,
              '00000000-0000-0000-0000-000000000007', '00000000-0000-0000-0000-000000000001', 'mounted');",
    )
    .await?;
    Ok(t)
}

#[tokio::test]
async fn indices_in_filesystem_keep_those_of_removed_targets() -> anyhow::Result<()> {
    let t = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    assert_eq!(
        store::targets::indices_in_filesystem(&t.db, fs, "ost").await?,
        vec![0, 2]
    );
    assert_eq!(store::targets::indices_in_filesystem(&t.db, fs, "mdt").await?, vec![0]);
    assert!(store::targets::indices_in_filesystem(&t.db, Uuid::nil(), "ost")
        .await?
        .is_empty());
    t.drop().await
}

#[tokio::test]
async fn record_drained_marks_only_an_ost_and_shows_in_its_view() -> anyhow::Result<()> {
    let t = seeded().await?;
    let ost = Uuid::parse_str(OST0)?;
    let drained = |db| async move {
        let view = store::targets::views(db, TargetSelection::Id(ost)).await?.pop();
        anyhow::Ok(view.map(|v| v.drained))
    };
    assert_eq!(drained(&t.db).await?, Some(false));
    assert_eq!(store::targets::record_drained(&t.db, None, ost, true).await?, 1);
    assert_eq!(drained(&t.db).await?, Some(true));
    assert_eq!(store::targets::record_drained(&t.db, None, ost, false).await?, 1);
    assert_eq!(drained(&t.db).await?, Some(false));
    let mdt = Uuid::parse_str(MDT0)?;
    assert_eq!(
        store::targets::record_drained(&t.db, None, mdt, true).await?,
        0,
        "an MDT is never drained"
    );
    t.drop().await
}

#[tokio::test]
async fn the_index_of_a_target_removed_before_registering_is_free_again() -> anyhow::Result<()> {
    let t = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    let host = Uuid::parse_str("00000000-0000-0000-0000-000000000001")?;
    let mut ids = Vec::new();
    for (index, serial) in [(3, "v5"), (4, "v6")] {
        let volume = Uuid::now_v7();
        store::sql::execute(
            &t.db,
            "INSERT INTO volume (id, serial, size_bytes) VALUES ($1, $2, 1)",
            [volume.into(), serial.into()],
        )
        .await?;
        let id = Uuid::now_v7();
        store::targets::insert(
            &t.db,
            &store::targets::NewTarget {
                id,
                kind: "ost".into(),
                filesystem_id: Some(fs),
                index: Some(index),
                name: format!("fs1-OST000{index}"),
                volume_id: volume,
                primary_host_id: host,
                failover_host_ids: Vec::new(),
                reformat: false,
                ha_mode: "none".into(),
                ha_resource: None,
                format_options: None,
                backfstype: "ldiskfs".into(),
                zpool: None,
            },
        )
        .await?;
        ids.push(id);
    }
    // OST0003 registers, then both are removed; OST0004 never registered.
    for state in ["formatted", "registered", "mounted", "unmounted", "removed"] {
        store::targets::record_seen_state(&t.db, None, ids[0], state, None).await?;
    }
    for state in ["formatted", "removed"] {
        store::targets::record_seen_state(&t.db, None, ids[1], state, None).await?;
    }
    assert_eq!(
        store::targets::indices_in_filesystem(&t.db, fs, "ost").await?,
        vec![0, 2, 3],
        "the MGS keeps the indices of registered targets only"
    );
    t.drop().await
}

#[tokio::test]
async fn removed_from_filesystem_names_only_removed_targets_that_registered() -> anyhow::Result<()> {
    let t = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    assert!(store::targets::removed_from_filesystem(&t.db, fs, "fs1-OST0002").await?);
    assert!(!store::targets::removed_from_filesystem(&t.db, fs, "fs1-OST0000").await?);
    assert!(!store::targets::removed_from_filesystem(&t.db, fs, "fs1-OST0009").await?);
    store::sql::execute(
        &t.db,
        "UPDATE target SET never_registered = true WHERE name = 'fs1-OST0002'",
        [],
    )
    .await?;
    assert!(!store::targets::removed_from_filesystem(&t.db, fs, "fs1-OST0002").await?);
    t.drop().await
}
