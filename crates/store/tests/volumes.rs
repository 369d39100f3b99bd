//! `store::volumes` against a fresh migrated database.

mod support;

#[tokio::test]
async fn insert_one_stores_a_volume() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = uuid::Uuid::now_v7();
    store::volumes::insert_one(&t.db, id, "SERIAL7", 42).await?;
    let rows = store::sql::query(
        &t.db,
        "SELECT serial, size_bytes FROM volume WHERE id = $1",
        [id.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no volume"))?;
    assert_eq!(row.try_get::<String>("", "serial")?, "SERIAL7");
    assert_eq!(row.try_get::<i64>("", "size_bytes")?, 42);
    assert!(
        store::volumes::insert_one(&t.db, uuid::Uuid::now_v7(), "SERIAL7", 0)
            .await
            .is_err(),
        "serials are unique"
    );
    t.drop().await
}

mod seed;

#[tokio::test]
async fn views_list_volumes_of_live_hosts_with_their_nodes_and_target() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let volumes = store::volumes::views(&t.db).await?;
    let serials: Vec<&str> = volumes.iter().map(|v| v.serial.as_str()).collect();
    assert_eq!(serials, ["SER1", "SER2", "SER3"]);
    let shared = &volumes[0];
    let nodes: Vec<(Option<&str>, &str)> = shared
        .nodes
        .iter()
        .map(|n| (n.host.as_deref(), n.path.as_str()))
        .collect();
    assert_eq!(nodes, [(Some("oss1"), "/dev/sda"), (Some("oss2"), "/dev/sdb")]);
    assert_eq!(shared.target.as_deref(), Some("MGS"));
    assert_eq!(volumes[2].target_id, None);
    t.drop().await
}

#[tokio::test]
async fn seen_by_lists_the_hosts_that_see_a_volume_by_name() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let seers = store::volumes::seen_by(&t.db, seed::SHARED).await?;
    let seen: Vec<(uuid::Uuid, &str)> = seers.iter().map(|s| (s.host_id, s.state.as_str())).collect();
    assert_eq!(seen, [(seed::OSS1, "managed"), (seed::OSS2, "managed")]);
    assert_eq!(store::volumes::seen_by(&t.db, uuid::Uuid::now_v7()).await?, []);
    t.drop().await
}

/// Hosts `a` (managed) and `gone` (removed), and volume `S1` seen by
/// both at `/dev/sdb`: `(a, gone, volume)`.
async fn shared_volume(db: &sea_orm::DatabaseConnection) -> anyhow::Result<(uuid::Uuid, uuid::Uuid, uuid::Uuid)> {
    let (a, gone, volume) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    store::sql::execute(
        db,
        "INSERT INTO host (id, address, port, state) VALUES ($1, '10.0.0.1', 22, 'managed'), ($2, '10.0.0.2', 22, 'removed')",
        [a.into(), gone.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO volume (id, serial, size_bytes) VALUES ($1, 'S1', 1)",
        [volume.into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO volume_node (volume_id, host_id, path) VALUES ($1, $2, '/dev/sdb'), ($1, $3, '/dev/sdb')",
        [volume.into(), a.into(), gone.into()],
    )
    .await?;
    Ok((a, gone, volume))
}

#[tokio::test]
async fn nodes_on_live_hosts_leaves_out_removed_hosts() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (a, _, volume) = shared_volume(&t.db).await?;
    assert_eq!(
        store::volumes::nodes_on_live_hosts(&t.db).await?,
        vec![store::volumes::VolumeNode {
            volume_id: volume,
            host_id: a,
            path: "/dev/sdb".into(),
        }]
    );
    t.drop().await
}

#[tokio::test]
async fn paths_on_host_lists_the_hosts_volume_paths() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (a, _, _) = shared_volume(&t.db).await?;
    assert_eq!(
        store::volumes::paths_on_host(&t.db, a).await?,
        vec!["/dev/sdb".to_owned()]
    );
    assert!(store::volumes::paths_on_host(&t.db, uuid::Uuid::now_v7())
        .await?
        .is_empty());
    t.drop().await
}

#[tokio::test]
async fn viewer_host_ids_are_the_live_hosts_that_see_the_volume() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (a, _, volume) = shared_volume(&t.db).await?;
    assert_eq!(store::volumes::viewer_host_ids(&t.db, volume).await?, vec![a]);
    t.drop().await
}

#[tokio::test]
async fn refresh_path_changes_only_a_path_that_moved() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (a, _, volume) = shared_volume(&t.db).await?;
    assert_eq!(store::volumes::refresh_path(&t.db, volume, a, "/dev/sdb").await?, 0);
    assert_eq!(store::volumes::refresh_path(&t.db, volume, a, "/dev/sdc").await?, 1);
    assert_eq!(
        store::volumes::paths_on_host(&t.db, a).await?,
        vec!["/dev/sdc".to_owned()]
    );
    t.drop().await
}

#[tokio::test]
async fn replace_on_host_records_new_volumes_and_replaces_the_hosts_paths() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (a, gone, volume) = shared_volume(&t.db).await?;
    let seen = vec![
        store::volumes::SeenVolume {
            serial: "S1".into(),
            size_bytes: 100,
            path: "/dev/sdd".into(),
        },
        store::volumes::SeenVolume {
            serial: "S2".into(),
            size_bytes: 200,
            path: "/dev/sde".into(),
        },
    ];
    store::volumes::replace_on_host(&t.db, a, &seen).await?;
    let mut paths = store::volumes::paths_on_host(&t.db, a).await?;
    paths.sort();
    assert_eq!(paths, vec!["/dev/sdd".to_owned(), "/dev/sde".to_owned()]);
    // Another host's paths stay; a known volume keeps its id, with the new size.
    assert_eq!(
        store::volumes::paths_on_host(&t.db, gone).await?,
        vec!["/dev/sdb".to_owned()]
    );
    let rows = store::sql::query(&t.db, "SELECT size_bytes FROM volume WHERE id = $1", [volume.into()]).await?;
    assert_eq!(
        rows.first().map(|r| r.try_get::<i64>("", "size_bytes")).transpose()?,
        Some(100)
    );
    t.drop().await
}
