//! `store::client_mounts` against a fresh migrated database.

mod support;

use store::client_mounts::{self, Selection};
use uuid::Uuid;

const HOST: &str = "00000000-0000-0000-0000-000000000001";
const FS: &str = "00000000-0000-0000-0000-000000000004";

async fn seeded() -> anyhow::Result<support::TestDb> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO host (id, address, port, nodename) VALUES ('00000000-0000-0000-0000-000000000001', 'c1', 22, 'client1');
         INSERT INTO volume (id, serial, size_bytes) VALUES ('00000000-0000-0000-0000-000000000002', 'v1', 1);
         INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES
             ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000002',
              '00000000-0000-0000-0000-000000000001');
         INSERT INTO filesystem (id, name, mgs_id) VALUES
             ('00000000-0000-0000-0000-000000000004', 'fs1', '00000000-0000-0000-0000-000000000003');",
    )
    .await?;
    Ok(t)
}

#[tokio::test]
async fn a_mount_is_stored_unmounted_then_records_what_the_host_shows() -> anyhow::Result<()> {
    let t = seeded().await?;
    let (host, fs) = (Uuid::parse_str(HOST)?, Uuid::parse_str(FS)?);
    let id = Uuid::now_v7();
    client_mounts::insert(&t.db, id, host, fs, "/mnt/fs1", "flock").await?;
    let v = client_mounts::view(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!(
        (
            v.host_name.as_str(),
            v.filesystem_name.as_str(),
            v.state.as_str(),
            v.persistent
        ),
        ("client1", "fs1", "unmounted", true)
    );
    assert_eq!(client_mounts::at_mountpoint(&t.db, host, "/mnt/fs1").await?, Some(id));
    let changed = client_mounts::record_state(&t.db, None, id, "mounted", Some("10.0.0.1@tcp:/fs1")).await?;
    assert_eq!(changed, 1);
    let v = client_mounts::view(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!(
        (v.state.as_str(), v.source.as_deref()),
        ("mounted", Some("10.0.0.1@tcp:/fs1"))
    );
    t.drop().await
}

#[tokio::test]
async fn a_mount_point_holds_one_live_mount_and_removed_ones_are_not_listed() -> anyhow::Result<()> {
    let t = seeded().await?;
    let (host, fs) = (Uuid::parse_str(HOST)?, Uuid::parse_str(FS)?);
    let first = Uuid::now_v7();
    client_mounts::insert(&t.db, first, host, fs, "/mnt/fs1", "").await?;
    assert!(client_mounts::insert(&t.db, Uuid::now_v7(), host, fs, "/mnt/fs1", "")
        .await
        .is_err());
    assert!(
        client_mounts::insert(&t.db, Uuid::now_v7(), host, fs, "/mnt/../etc", "")
            .await
            .is_err()
    );
    client_mounts::record_state(&t.db, None, first, "removed", None).await?;
    assert_eq!(client_mounts::at_mountpoint(&t.db, host, "/mnt/fs1").await?, None);
    let second = Uuid::now_v7();
    client_mounts::insert(&t.db, second, host, fs, "/mnt/fs1", "").await?;
    let live = client_mounts::views(
        &t.db,
        Selection {
            host_id: Some(host),
            ..Selection::default()
        },
    )
    .await?;
    assert_eq!(live.iter().map(|v| v.id).collect::<Vec<_>>(), [second]);
    let other_fs = client_mounts::views(
        &t.db,
        Selection {
            filesystem_id: Some(Uuid::now_v7()),
            ..Selection::default()
        },
    )
    .await?;
    assert!(other_fs.is_empty());
    t.drop().await
}

#[tokio::test]
async fn the_monitor_records_a_lost_mount_unless_a_job_did_first() -> anyhow::Result<()> {
    let t = seeded().await?;
    let (host, fs) = (Uuid::parse_str(HOST)?, Uuid::parse_str(FS)?);
    let id = Uuid::now_v7();
    client_mounts::insert(&t.db, id, host, fs, "/mnt/fs1", "").await?;
    client_mounts::record_state(&t.db, None, id, "mounted", Some("10.0.0.1@tcp:/fs1")).await?;
    // Not managed: neither watched nor a client for quota jobs.
    assert!(client_mounts::watched(&t.db).await?.is_empty());
    assert_eq!(client_mounts::mounted_for_filesystem(&t.db, fs).await?, None);
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        &format!("UPDATE host SET state = 'managed' WHERE id = '{HOST}'"),
    )
    .await?;
    assert_eq!(
        client_mounts::mounted_for_filesystem(&t.db, fs).await?,
        Some((id, host, "/mnt/fs1".to_owned()))
    );
    let w = client_mounts::watched(&t.db).await?;
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].state.as_str(), w[0].wanted), ("mounted", true));
    // A job records first: the monitor's older reading changes nothing.
    client_mounts::record_state(&t.db, None, id, "unmounted", None).await?;
    assert_eq!(
        client_mounts::observe(&t.db, id, w[0].updated_at, "unmounted", None).await?,
        0
    );
    client_mounts::record_state(&t.db, None, id, "mounted", None).await?;
    let w = client_mounts::watched(&t.db).await?;
    assert_eq!(
        client_mounts::observe(&t.db, id, w[0].updated_at, "unmounted", None).await?,
        1
    );
    let w = client_mounts::watched(&t.db).await?;
    assert_eq!((w[0].state.as_str(), w[0].wanted), ("unmounted", true), "still wanted");
    assert!(client_mounts::wanted(&t.db, id).await?);
    client_mounts::record_state(&t.db, None, id, "unmounted", None).await?;
    assert!(
        !client_mounts::wanted(&t.db, id).await?,
        "unmounted by a job: no longer wanted"
    );
    t.drop().await
}
