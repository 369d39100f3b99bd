//! `store::targets` against a fresh migrated database.

mod support;

#[tokio::test]
async fn insert_mounted_stores_a_target_mounted_on_its_primary_host() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (host, mgt) = support::mounted_mgt(&t.db).await?;
    let rows = store::sql::query(
        &t.db,
        "SELECT kind, state, target_index, active_host_id, filesystem_id FROM target WHERE id = $1 AND primary_host_id = $2",
        [mgt.into(), host.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no target"))?;
    assert_eq!(row.try_get::<String>("", "kind")?, "mgt");
    assert_eq!(row.try_get::<String>("", "state")?, "mounted");
    assert_eq!(row.try_get::<Option<i32>>("", "target_index")?, None);
    assert_eq!(row.try_get::<Option<uuid::Uuid>>("", "active_host_id")?, Some(host));
    assert_eq!(row.try_get::<Option<uuid::Uuid>>("", "filesystem_id")?, None);
    t.drop().await
}

/// A host, and on it a mounted MGT and a removed one.
const LIVE_FIXTURE: &str = "
INSERT INTO host (id, address, port, nodename) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22, 'oss1');
INSERT INTO volume (id, serial, size_bytes) VALUES
    ('00000000-0000-0000-0000-000000000008', 'v1', 1), ('00000000-0000-0000-0000-000000000009', 'v2', 1);
INSERT INTO target (id, kind, name, volume_id, primary_host_id, state, active_host_id) VALUES
    ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000008',
     '00000000-0000-0000-0000-000000000001', 'mounted', '00000000-0000-0000-0000-000000000001'),
    ('00000000-0000-0000-0000-000000000004', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000009',
     '00000000-0000-0000-0000-000000000001', 'removed', NULL);
";

#[tokio::test]
async fn live_lists_targets_not_removed() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(&t.db, LIVE_FIXTURE).await?;
    let live = store::targets::live(&t.db).await?;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].id.to_string(), "00000000-0000-0000-0000-000000000003");
    assert_eq!((live[0].kind.as_str(), live[0].state.as_str()), ("mgt", "mounted"));
    assert_eq!(live[0].active_host_id, Some(live[0].primary_host_id));
    t.drop().await
}

#[tokio::test]
async fn record_location_changes_only_a_target_still_where_the_round_saw_it() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(&t.db, LIVE_FIXTURE).await?;
    let id: uuid::Uuid = "00000000-0000-0000-0000-000000000003".parse()?;
    let host: uuid::Uuid = "00000000-0000-0000-0000-000000000001".parse()?;
    // A job moved it meanwhile: the round's view is stale.
    let moved = store::targets::record_location(&t.db, id, None, None, "mounted").await?;
    let unmounted = store::targets::record_location(&t.db, id, None, Some(host), "unmounted").await?;
    assert_eq!((moved, unmounted), (0, 0));
    let seen = store::targets::record_location(&t.db, id, None, Some(host), "mounted").await?;
    assert_eq!(seen, 1);
    assert_eq!(store::targets::live(&t.db).await?[0].active_host_id, None);
    t.drop().await
}

mod seed;

#[tokio::test]
async fn views_list_targets_mgt_first_then_by_file_system_kind_and_index() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let all = store::targets::views(
        &t.db,
        store::targets::TargetSelection::Matching {
            filesystem_id: None,
            kind: None,
            state: None,
            host_id: None,
        },
    )
    .await?;
    let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["MGS", "fs1-MDT0000"]);
    t.drop().await
}

#[tokio::test]
async fn views_match_a_host_that_is_a_targets_failover() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let on_oss2 = store::targets::views(
        &t.db,
        store::targets::TargetSelection::Matching {
            filesystem_id: None,
            kind: None,
            state: None,
            host_id: Some(seed::OSS2),
        },
    )
    .await?;
    let ids: Vec<uuid::Uuid> = on_oss2.iter().map(|t| t.id).collect();
    assert_eq!(ids, [seed::MGT]);
    t.drop().await
}

#[tokio::test]
async fn views_show_a_failed_over_target_and_its_held_locks() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let found = store::targets::views(&t.db, store::targets::TargetSelection::Id(seed::MGT)).await?;
    let [mgt] = found.as_slice() else {
        anyhow::bail!("expected the MGT, got {found:?}");
    };
    assert!(mgt.failed_over);
    assert_eq!(mgt.active_host.as_deref(), Some("oss2"));
    assert_eq!(mgt.volume_serial, "SER1");
    let locks: Vec<(uuid::Uuid, bool)> = mgt.locks.iter().map(|l| (l.job_id, l.write)).collect();
    assert_eq!(locks, [(seed::LOCKER, true)]);
    t.drop().await
}

#[tokio::test]
async fn held_lock_views_group_running_jobs_locks_by_item() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let item = format!("filesystem/{}", seed::FS1);
    let held = store::domain::held_locks(&t.db, vec![item.clone(), format!("target/{}", seed::MDT)]).await?;
    let keys: Vec<&String> = held.keys().collect();
    assert_eq!(keys, [&item]);
    let descriptions: Vec<&str> = held[&item].iter().map(|l| l.description.as_str()).collect();
    assert_eq!(descriptions, ["Mount MGS"]);
    t.drop().await
}

#[tokio::test]
async fn live_mgt_managed_tells_a_managed_mgt_from_no_mgt() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    assert_eq!(store::targets::live_mgt_managed(&t.db, seed::MGT).await?, Some(true));
    assert_eq!(store::targets::live_mgt_managed(&t.db, seed::MDT).await?, None);
    t.drop().await
}

#[tokio::test]
async fn mgs_host_among_names_a_host_serving_a_live_mgt() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let found = store::targets::mgs_host_among(&t.db, vec![seed::MDS1, seed::OSS2]).await?;
    assert_eq!(found.as_deref(), Some("oss2"));
    assert_eq!(store::targets::mgs_host_among(&t.db, vec![seed::MDS1]).await?, None);
    t.drop().await
}

#[tokio::test]
async fn used_volume_among_names_a_volume_holding_a_live_target() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let used = store::targets::used_volume_among(&t.db, vec![seed::FREE, seed::SHARED]).await?;
    assert_eq!(
        used,
        Some(store::targets::UsedVolume {
            serial: "SER1".into(),
            target: "MGS".into(),
        })
    );
    assert_eq!(store::targets::used_volume_among(&t.db, vec![seed::FREE]).await?, None);
    t.drop().await
}

#[tokio::test]
async fn insert_records_a_new_unformatted_target() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let id = uuid::Uuid::now_v7();
    store::targets::insert(
        &t.db,
        &store::targets::NewTarget {
            id,
            kind: "ost".into(),
            filesystem_id: Some(seed::FS1),
            index: Some(3),
            name: "fs1-OST0003".into(),
            volume_id: seed::FREE,
            primary_host_id: seed::MDS1,
            failover_host_ids: vec![],
            reformat: true,
            ha_mode: "none".into(),
            ha_resource: None,
            format_options: None,
            backfstype: "zfs".into(),
            zpool: Some("pool3".into()),
        },
    )
    .await?;
    let found = store::targets::views(&t.db, store::targets::TargetSelection::Id(id)).await?;
    let [ost] = found.as_slice() else {
        anyhow::bail!("expected the OST, got {found:?}");
    };
    assert_eq!(
        (ost.name.as_str(), ost.index, ost.state.as_str()),
        ("fs1-OST0003", Some(3), "unformatted")
    );
    assert_eq!((ost.backfstype.as_str(), ost.zpool.as_deref()), ("zfs", Some("pool3")));
    t.drop().await
}

#[tokio::test]
async fn name_and_filesystem_of_an_mgt_has_no_file_system() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let mdt = store::targets::name_and_filesystem(&t.db, seed::MDT).await?;
    assert_eq!(
        mdt.map(|m| (m.name, m.filesystem_id)),
        Some(("fs1-MDT0000".into(), Some(seed::FS1)))
    );
    let mgt = store::targets::name_and_filesystem(&t.db, seed::MGT).await?;
    assert_eq!(mgt.and_then(|m| m.filesystem_id), None);
    assert_eq!(store::targets::name_and_filesystem(&t.db, seed::FS1).await?, None);
    t.drop().await
}

#[tokio::test]
async fn takeover_facts_list_a_file_systems_targets_and_its_mgt_by_name() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let facts = store::targets::takeover_facts(&t.db, seed::FS1).await?;
    let names: Vec<&str> = facts.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["MGS", "fs1-MDT0000"]);
    let mgs = &facts[0];
    assert_eq!((mgs.failovers, mgs.ha_stack, mgs.unmanaged_hosts.len()), (1, true, 0));
    t.drop().await
}

#[tokio::test]
async fn mark_managed_marks_only_the_given_targets() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    store::sql::execute(&t.db, "UPDATE target SET managed = false", []).await?;
    store::targets::mark_managed(&t.db, vec![seed::MDT]).await?;
    let rows = store::sql::query(&t.db, "SELECT id FROM target WHERE managed", []).await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<uuid::Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    assert_eq!(ids, [seed::MDT]);
    t.drop().await
}

#[tokio::test]
async fn volume_of_a_target_is_its_volume() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    assert_eq!(store::targets::volume_of(&t.db, seed::MDT).await?, Some(seed::LOCAL));
    assert_eq!(store::targets::volume_of(&t.db, seed::FS1).await?, None);
    t.drop().await
}

/// Hosts `a` and `b`, volumes `S1` and `S2`, an MGT on `S1` (primary
/// `a`, failover `b`, mounted on `a`) and file system `fs1` with an OST
/// on `S2` (primary `b`): `(a, b, mgt, fs, ost)`.
async fn world(
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<(uuid::Uuid, uuid::Uuid, uuid::Uuid, uuid::Uuid, uuid::Uuid)> {
    let ids: Vec<uuid::Uuid> = (0..7).map(|_| uuid::Uuid::now_v7()).collect();
    let (a, b, v1, v2, mgt, fs, ost) = (ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6]);
    store::sql::execute(
        db,
        "INSERT INTO host (id, address, port, state) VALUES ($1, '10.0.0.1', 22, 'managed'), ($2, '10.0.0.2', 22, 'managed')",
        [a.into(), b.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO volume (id, serial, size_bytes) VALUES ($1, 'S1', 1), ($2, 'S2', 2)",
        [v1.into(), v2.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO target (id, kind, name, volume_id, primary_host_id, failover_host_ids, active_host_id, state)
         VALUES ($1, 'mgt', 'MGS', $2, $3, ARRAY[$4]::uuid[], $3, 'mounted')",
        [mgt.into(), v1.into(), a.into(), b.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO filesystem (id, name, mgs_id) VALUES ($1, 'fs1', $2)",
        [fs.into(), mgt.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id)
         VALUES ($1, 'ost', $2, 0, 'fs1-OST0000', $3, $4)",
        [ost.into(), fs.into(), v2.into(), b.into()],
    )
    .await?;
    Ok((a, b, mgt, fs, ost))
}

/// `(state, active_host_id, format_marker, fs_uuid)` of target `id`.
async fn target_row(
    db: &sea_orm::DatabaseConnection,
    id: uuid::Uuid,
) -> anyhow::Result<(String, Option<uuid::Uuid>, Option<String>, Option<String>)> {
    let rows = store::sql::query(
        db,
        "SELECT state, active_host_id, format_marker, fs_uuid FROM target WHERE id = $1",
        [id.into()],
    )
    .await?;
    let r = rows.first().ok_or_else(|| anyhow::anyhow!("no target"))?;
    Ok((
        r.try_get("", "state")?,
        r.try_get("", "active_host_id")?,
        r.try_get("", "format_marker")?,
        r.try_get("", "fs_uuid")?,
    ))
}

#[tokio::test]
async fn for_action_reads_the_target_with_its_volume_serial() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, b, _, fs, ost) = world(&t.db).await?;
    let found = store::targets::for_action(&t.db, ost)
        .await?
        .ok_or_else(|| anyhow::anyhow!("none"))?;
    assert_eq!((found.kind.as_str(), found.name.as_str()), ("ost", "fs1-OST0000"));
    assert_eq!((found.filesystem_id, found.target_index), (Some(fs), Some(0)));
    assert_eq!((found.serial.as_str(), found.primary_host_id), ("S2", b));
    assert_eq!(
        (found.format_marker, found.format_options, found.zpool),
        (None, None, None)
    );
    assert_eq!(store::targets::for_action(&t.db, uuid::Uuid::now_v7()).await?, None);
    t.drop().await
}

#[tokio::test]
async fn set_format_marker_records_only_the_first_marker() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, _, _, _, ost) = world(&t.db).await?;
    assert_eq!(store::targets::set_format_marker(&t.db, None, ost, "").await?, 1);
    assert_eq!(store::targets::set_format_marker(&t.db, None, ost, "u2").await?, 0);
    assert_eq!(target_row(&t.db, ost).await?.2.as_deref(), Some(""));
    t.drop().await
}

#[tokio::test]
async fn record_formatted_stores_the_file_system_uuid_mounted_nowhere() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, _, mgt, _, _) = world(&t.db).await?;
    store::targets::record_formatted(&t.db, None, mgt, Some("uuid-1")).await?;
    assert_eq!(
        target_row(&t.db, mgt).await?,
        ("formatted".into(), None, None, Some("uuid-1".into()))
    );
    t.drop().await
}

#[tokio::test]
async fn record_seen_state_stores_the_state_and_where_it_is_mounted() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, b, _, _, ost) = world(&t.db).await?;
    store::targets::record_seen_state(&t.db, None, ost, "mounted", Some(b)).await?;
    let (state, active, _, _) = target_row(&t.db, ost).await?;
    assert_eq!((state.as_str(), active), ("mounted", Some(b)));
    t.drop().await
}

#[tokio::test]
async fn mounted_names_in_filesystem_lists_its_mounted_targets() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, b, _, fs, ost) = world(&t.db).await?;
    assert!(store::targets::mounted_names_in_filesystem(&t.db, fs).await?.is_empty());
    store::targets::record_seen_state(&t.db, None, ost, "mounted", Some(b)).await?;
    assert_eq!(
        store::targets::mounted_names_in_filesystem(&t.db, fs).await?,
        vec!["fs1-OST0000".to_owned()]
    );
    t.drop().await
}

#[tokio::test]
async fn live_names_in_filesystem_leaves_out_removed_targets() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, _, _, fs, ost) = world(&t.db).await?;
    assert_eq!(
        store::targets::live_names_in_filesystem(&t.db, fs).await?,
        vec!["fs1-OST0000".to_owned()]
    );
    store::targets::record_seen_state(&t.db, None, ost, "removed", None).await?;
    assert!(store::targets::live_names_in_filesystem(&t.db, fs).await?.is_empty());
    t.drop().await
}

#[tokio::test]
async fn live_names_on_host_counts_primary_failover_and_active_hosts() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (a, b, _, _, _) = world(&t.db).await?;
    assert_eq!(
        store::targets::live_names_on_host(&t.db, a).await?,
        vec!["MGS".to_owned()]
    );
    assert_eq!(
        store::targets::live_names_on_host(&t.db, b).await?,
        vec!["MGS".to_owned(), "fs1-OST0000".to_owned()]
    );
    t.drop().await
}

#[tokio::test]
async fn live_on_volume_finds_the_live_target_on_a_volume() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, _, _, fs, ost) = world(&t.db).await?;
    let volume = store::targets::for_action(&t.db, ost)
        .await?
        .map(|t| t.volume_id)
        .ok_or_else(|| anyhow::anyhow!("none"))?;
    assert_eq!(
        store::targets::live_on_volume(&t.db, volume).await?,
        Some(store::targets::OnVolume {
            id: ost,
            name: "fs1-OST0000".into(),
            filesystem_id: Some(fs),
        })
    );
    store::targets::record_seen_state(&t.db, None, ost, "removed", None).await?;
    assert_eq!(store::targets::live_on_volume(&t.db, volume).await?, None);
    t.drop().await
}

#[tokio::test]
async fn holder_of_resource_names_the_target_that_holds_a_pacemaker_resource() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, _, _, _, ost) = world(&t.db).await?;
    store::sql::execute(
        &t.db,
        "UPDATE target SET ha_mode = 'pacemaker', ha_resource = 'r1' WHERE id = $1",
        [ost.into()],
    )
    .await?;
    assert_eq!(
        store::targets::holder_of_resource(&t.db, "r1").await?.as_deref(),
        Some("fs1-OST0000")
    );
    assert_eq!(store::targets::holder_of_resource(&t.db, "r2").await?, None);
    t.drop().await
}

#[tokio::test]
async fn insert_detected_records_a_monitored_target_unless_it_conflicts() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (a, b, _, fs, ost) = world(&t.db).await?;
    let volume = uuid::Uuid::now_v7();
    store::sql::execute(
        &t.db,
        "INSERT INTO volume (id, serial, size_bytes) VALUES ($1, 'S3', 3)",
        [volume.into()],
    )
    .await?;
    let new = store::targets::NewDetected {
        id: uuid::Uuid::now_v7(),
        kind: "ost".into(),
        filesystem_id: Some(fs),
        target_index: Some(1),
        name: "fs1-OST0001".into(),
        volume_id: volume,
        primary_host_id: a,
        failover_host_ids: vec![b],
        active_host_id: Some(a),
        ha_resource: Some("r9".into()),
    };
    assert_eq!(store::targets::insert_detected(&t.db, &new).await?, Some(new.id));
    let rows = store::sql::query(
        &t.db,
        "SELECT state, managed, ha_mode FROM target WHERE id = $1",
        [new.id.into()],
    )
    .await?;
    let r = rows.first().ok_or_else(|| anyhow::anyhow!("no target"))?;
    assert_eq!(r.try_get::<String>("", "state")?, "mounted");
    assert!(!r.try_get::<bool>("", "managed")?);
    assert_eq!(r.try_get::<String>("", "ha_mode")?, "pacemaker");
    // A second live target on the OST's volume conflicts.
    let on_ost_volume = store::targets::NewDetected {
        id: uuid::Uuid::now_v7(),
        name: "fs1-OST0002".into(),
        volume_id: store::targets::for_action(&t.db, ost)
            .await?
            .map(|t| t.volume_id)
            .ok_or_else(|| anyhow::anyhow!("none"))?,
        ha_resource: None,
        ..new
    };
    assert_eq!(store::targets::insert_detected(&t.db, &on_ost_volume).await?, None);
    t.drop().await
}
