//! `store::ost_pools` against a fresh migrated database: pools, their
//! members as read back, names per file system, and their space.

mod support;

use store::ost_pools::{self, PoolSelection};
use uuid::Uuid;

const FS: &str = "00000000-0000-0000-0000-000000000004";
const OST0: &str = "00000000-0000-0000-0000-000000000010";
const OST1: &str = "00000000-0000-0000-0000-000000000011";
const MDT: &str = "00000000-0000-0000-0000-000000000012";

async fn with_filesystem() -> anyhow::Result<(support::TestDb, Uuid)> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO host (id, address, port) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22);
         INSERT INTO volume (id, serial, size_bytes) VALUES
             ('00000000-0000-0000-0000-000000000002', 'v1', 1), ('00000000-0000-0000-0000-000000000020', 'v2', 1),
             ('00000000-0000-0000-0000-000000000021', 'v3', 1), ('00000000-0000-0000-0000-000000000022', 'v4', 1);
         INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES
             ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000002',
              '00000000-0000-0000-0000-000000000001');
         INSERT INTO filesystem (id, name, mgs_id) VALUES
             ('00000000-0000-0000-0000-000000000004', 'fs1', '00000000-0000-0000-0000-000000000003');
         INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id, state) VALUES
             ('00000000-0000-0000-0000-000000000010', 'ost', '00000000-0000-0000-0000-000000000004', 0, 'fs1-OST0000',
              '00000000-0000-0000-0000-000000000020', '00000000-0000-0000-0000-000000000001', 'mounted'),
             ('00000000-0000-0000-0000-000000000011', 'ost', '00000000-0000-0000-0000-000000000004', 1, 'fs1-OST0001',
              '00000000-0000-0000-0000-000000000021', '00000000-0000-0000-0000-000000000001', 'mounted'),
             ('00000000-0000-0000-0000-000000000012', 'mdt', '00000000-0000-0000-0000-000000000004', 0, 'fs1-MDT0000',
              '00000000-0000-0000-0000-000000000022', '00000000-0000-0000-0000-000000000001', 'mounted');",
    )
    .await?;
    Ok((t, FS.parse()?))
}

#[tokio::test]
async fn a_pool_records_what_the_mgs_shows_and_sums_its_space() -> anyhow::Result<()> {
    let (t, fs) = with_filesystem().await?;
    let id = Uuid::now_v7();
    ost_pools::insert(&t.db, id, fs, "fast").await?;
    assert!(ost_pools::name_taken(&t.db, fs, "fast").await?);
    assert!(!ost_pools::name_taken(&t.db, fs, "slow").await?);
    let (ost0, ost1): (Uuid, Uuid) = (OST0.parse()?, OST1.parse()?);
    assert_eq!(
        ost_pools::record_seen(&t.db, None, id, "available", &[ost0, ost1]).await?,
        1
    );
    assert_eq!(ost_pools::record_seen(&t.db, None, id, "available", &[ost1]).await?, 1);
    let row = ost_pools::row(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no pool"))?;
    assert_eq!((row.state.as_str(), row.member_ids.clone()), ("available", vec![ost1]));

    // Space: each OST's latest sample, summed.
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        &format!(
            "INSERT INTO metric_series (object_kind, object_id, name) VALUES
                 ('target', '{OST1}', 'space_total'), ('target', '{OST1}', 'space_free');
             INSERT INTO metric_raw (series_id, at, value)
             SELECT id, now() - interval '1 minute', 10 FROM metric_series WHERE name = 'space_total'
             UNION ALL SELECT id, now(), 1000 FROM metric_series WHERE name = 'space_total'
             UNION ALL SELECT id, now(), 400 FROM metric_series WHERE name = 'space_free';"
        ),
    )
    .await?;
    ost_pools::record_seen(&t.db, None, id, "available", &[ost0, ost1]).await?;
    let views = ost_pools::views(
        &t.db,
        PoolSelection::Live {
            filesystem_id: Some(fs),
        },
    )
    .await?;
    assert_eq!(views.len(), 1);
    let names: Vec<&str> = views[0].osts.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["fs1-OST0000", "fs1-OST0001"]);
    assert_eq!((views[0].bytes_total, views[0].bytes_free), (Some(1000.0), Some(400.0)));

    // Removed: no longer live, and its name is free again.
    ost_pools::record_seen(&t.db, None, id, "removed", &[]).await?;
    assert!(ost_pools::views(&t.db, PoolSelection::Live { filesystem_id: None })
        .await?
        .is_empty());
    assert!(!ost_pools::name_taken(&t.db, fs, "fast").await?);
    let gone = ost_pools::views(&t.db, PoolSelection::Id(id)).await?;
    assert_eq!((gone[0].state.as_str(), gone[0].osts.len()), ("removed", 0));
    ost_pools::insert(&t.db, Uuid::now_v7(), fs, "fast").await?;
    t.drop().await
}

#[tokio::test]
async fn names_outside_lustres_rule_and_live_duplicates_are_refused() -> anyhow::Result<()> {
    let (t, fs) = with_filesystem().await?;
    for bad in ["", "sixteen_chars_xx", "a.b", "a b"] {
        assert!(
            ost_pools::insert(&t.db, Uuid::now_v7(), fs, bad).await.is_err(),
            "{bad:?}"
        );
    }
    ost_pools::insert(&t.db, Uuid::now_v7(), fs, "p").await?;
    assert!(ost_pools::insert(&t.db, Uuid::now_v7(), fs, "p").await.is_err());
    let found = ost_pools::candidates(&t.db, &[MDT.parse()?, Uuid::nil()]).await?;
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].kind.as_str(), found[0].name.as_str()), ("mdt", "fs1-MDT0000"));
    let named = ost_pools::osts_named(&t.db, fs, &["fs1-OST0001".into(), "fs1-MDT0000".into()]).await?;
    assert_eq!(named, vec![(OST1.parse()?, "fs1-OST0001".to_owned())]);
    t.drop().await
}
