//! `store::hsm` against a fresh migrated database.

mod support;

use store::hsm;
use uuid::Uuid;

const HOST: &str = "00000000-0000-0000-0000-000000000001";
const FS: &str = "00000000-0000-0000-0000-000000000004";

async fn seeded() -> anyhow::Result<(support::TestDb, Uuid)> {
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
    let mount = Uuid::now_v7();
    store::client_mounts::insert(
        &t.db,
        mount,
        Uuid::parse_str(HOST)?,
        Uuid::parse_str(FS)?,
        "/mnt/fs1",
        "",
    )
    .await?;
    Ok((t, mount))
}

#[tokio::test]
async fn a_copytool_is_stored_stopped_then_records_its_state() -> anyhow::Result<()> {
    let (t, mount) = seeded().await?;
    let (host, fs) = (Uuid::parse_str(HOST)?, Uuid::parse_str(FS)?);
    let id = Uuid::now_v7();
    assert_eq!(hsm::insert_copytool(&t.db, id, mount, 1, "/srv/archive").await?, 1);
    let ct = hsm::copytool(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!(
        (ct.host_name.as_str(), ct.mountpoint.as_str(), ct.state.as_str(), ct.pid),
        ("client1", "/mnt/fs1", "stopped", None)
    );
    assert_eq!(hsm::copytool_for(&t.db, host, fs, 1).await?, Some(id));
    assert!(!hsm::archive_served(&t.db, fs, 1).await?);
    // One live copytool per host, file system and archive; paths checked.
    assert!(hsm::insert_copytool(&t.db, Uuid::now_v7(), mount, 1, "/srv/b")
        .await
        .is_err());
    assert!(hsm::insert_copytool(&t.db, Uuid::now_v7(), mount, 2, "/srv/../etc")
        .await
        .is_err());
    assert!(hsm::insert_copytool(&t.db, Uuid::now_v7(), mount, 33, "/srv/b")
        .await
        .is_err());
    assert_eq!(hsm::record_copytool(&t.db, None, id, "started", Some(4201)).await?, 1);
    assert!(hsm::archive_served(&t.db, fs, 1).await?);
    assert_eq!(hsm::mark_copytool_failed(&t.db, id).await?, 1);
    assert_eq!(
        hsm::mark_copytool_failed(&t.db, id).await?,
        0,
        "only a started one fails"
    );
    let ct = hsm::copytool(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!((ct.state.as_str(), ct.pid), ("failed", None));
    hsm::record_copytool(&t.db, None, id, "removed", None).await?;
    assert!(hsm::copytools(&t.db, None, Some(fs)).await?.is_empty());
    assert_eq!(hsm::copytool_for(&t.db, host, fs, 1).await?, None);
    t.drop().await
}

#[tokio::test]
async fn coordinator_and_file_states_keep_the_last_reading() -> anyhow::Result<()> {
    let (t, _) = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    assert_eq!(hsm::status(&t.db, fs).await?, None);
    let mut row = hsm::StatusRow {
        control: "enabled".into(),
        agents: "uuid=a archive_id=1 requests=[current:0 ok:0 errors:0]\n".into(),
        actions: String::new(),
        active_requests: String::new(),
        read_at: chrono::Utc::now(),
    };
    hsm::record_status(&t.db, fs, &row).await?;
    row.control = "disabled".into();
    hsm::record_status(&t.db, fs, &row).await?;
    let got = hsm::status(&t.db, fs).await?.ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!(
        (got.control.as_str(), got.agents.as_str()),
        ("disabled", row.agents.as_str())
    );
    assert_eq!(hsm::file(&t.db, fs, "/d/f").await?, None);
    hsm::record_file(&t.db, fs, "/d/f", Some("0x200000401:0x1:0x0"), 9, 1).await?;
    hsm::record_file(&t.db, fs, "/d/f", None, 13, 1).await?;
    let f = hsm::file(&t.db, fs, "/d/f")
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!(
        (f.fid.as_deref(), f.flags, f.archive_id),
        (Some("0x200000401:0x1:0x0"), 13, 1)
    );
    t.drop().await
}

#[tokio::test]
async fn a_copytool_counts_the_monitors_restarts_until_reset() -> anyhow::Result<()> {
    let (t, mount) = seeded().await?;
    let id = Uuid::now_v7();
    hsm::insert_copytool(&t.db, id, mount, 1, "/srv/archive").await?;
    assert_eq!(
        hsm::restarts(&t.db, id).await?,
        hsm::Restarts {
            count: 0,
            last_at: None
        }
    );
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    assert_eq!(hsm::record_restart(&t.db, id, 3).await?, 1);
    let r = hsm::restarts(&t.db, id).await?;
    assert_eq!(r.count, 3);
    assert!(r.last_at.is_some_and(|at| at > before), "{r:?}");
    assert_eq!(hsm::reset_restarts(&t.db, id).await?, 1);
    assert_eq!(hsm::restarts(&t.db, id).await?.count, 0);
    assert_eq!(hsm::restarts(&t.db, id).await?.last_at, None);
    // A negative count is refused by the table.
    assert!(hsm::record_restart(&t.db, id, -1).await.is_err());
    Ok(())
}
