//! `store::ha` against a fresh migrated database: the clusters Chroma
//! configured and what the monitor records of them.

mod support;

use store::ha::ConfiguredStatus;

/// A configured cluster `c1` and a pending one `c2`.
const FIXTURE: &str = "
INSERT INTO ha_cluster (id, name, authkey, state) VALUES
    ('00000000-0000-0000-0000-00000000000a', 'c1', decode(repeat('ab', 128), 'hex'), 'configured'),
    ('00000000-0000-0000-0000-00000000000b', 'c2', decode(repeat('ab', 128), 'hex'), 'pending');
";

async fn fixture() -> anyhow::Result<support::TestDb> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(&t.db, FIXTURE).await?;
    Ok(t)
}

#[tokio::test]
async fn configured_clusters_are_those_set_up() -> anyhow::Result<()> {
    let t = fixture().await?;
    let clusters = store::ha::configured_clusters(&t.db).await?;
    let names: Vec<&str> = clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["c1"]);
    t.drop().await
}

#[tokio::test]
async fn record_seen_stores_what_pacemaker_showed_of_a_configured_cluster_only() -> anyhow::Result<()> {
    let t = fixture().await?;
    let status = ConfiguredStatus {
        stonith_enabled: Some(true),
        fence_devices: 2,
        quorate: true,
    };
    let pending = "00000000-0000-0000-0000-00000000000b".parse()?;
    assert_eq!(store::ha::record_seen(&t.db, pending, status).await?, 0);
    let configured = "00000000-0000-0000-0000-00000000000a".parse()?;
    assert_eq!(store::ha::record_seen(&t.db, configured, status).await?, 1);
    let rows = store::sql::query(
        &t.db,
        "SELECT stonith_enabled, fence_devices, quorate, seen_at IS NOT NULL AS seen FROM ha_cluster WHERE name = 'c1'",
        [],
    )
    .await?;
    assert_eq!(rows[0].try_get::<Option<bool>>("", "stonith_enabled")?, Some(true));
    assert_eq!(rows[0].try_get::<i32>("", "fence_devices")?, 2);
    assert!(rows[0].try_get::<bool>("", "quorate")? && rows[0].try_get::<bool>("", "seen")?);
    t.drop().await
}

mod seed;

#[tokio::test]
async fn cluster_views_show_members_and_hide_fencing_parameters() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let clusters = store::ha::cluster_views(&t.db, store::ha::ClusterSelection::Live).await?;
    let [cluster] = clusters.as_slice() else {
        anyhow::bail!("expected c1, got {clusters:?}");
    };
    let members: Vec<(uuid::Uuid, &str)> = cluster
        .members
        .iter()
        .map(|m| (m.host_id, m.ring0_addr.as_str()))
        .collect();
    assert_eq!(members, [(seed::OSS1, "192.168.0.1"), (seed::OSS2, "10.0.0.2")]);
    assert_eq!(cluster.fencing["devices"][0]["params"]["password"], "********");
    assert_eq!(cluster.fencing["devices"][0]["agent"], "fence_ipmilan");
    t.drop().await
}

#[tokio::test]
async fn cluster_views_leave_removed_clusters_out_of_the_live_ones() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    store::sql::execute(&t.db, "UPDATE ha_cluster SET state = 'removed'", []).await?;
    assert_eq!(
        store::ha::cluster_views(&t.db, store::ha::ClusterSelection::Live)
            .await?
            .len(),
        0
    );
    let by_id = store::ha::cluster_views(&t.db, store::ha::ClusterSelection::Id(seed::CLUSTER)).await?;
    assert_eq!(by_id.len(), 1);
    t.drop().await
}

#[tokio::test]
async fn candidates_show_each_hosts_stack_and_live_cluster() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let mut found = store::ha::candidates(&t.db, &[seed::OSS1, seed::MDS1]).await?;
    found.sort_by_key(|c| c.host_id);
    let shown: Vec<(&str, bool, bool, Option<&str>)> = found
        .iter()
        .map(|c| (c.state.as_str(), c.pacemaker, c.corosync, c.cluster.as_deref()))
        .collect();
    assert_eq!(
        shown,
        [
            ("managed", true, true, Some("c1")),
            ("unconfigured", false, false, None)
        ]
    );
    t.drop().await
}

#[tokio::test]
async fn name_taken_finds_an_existing_cluster_name() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    assert!(store::ha::name_taken(&t.db, "c1").await?);
    assert!(!store::ha::name_taken(&t.db, "c2").await?);
    t.drop().await
}

#[tokio::test]
async fn a_new_cluster_is_live_with_its_members() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let id = uuid::Uuid::now_v7();
    store::ha::insert_cluster(&t.db, id, "c2", serde_json::json!({"disabled": true}), vec![7; 128]).await?;
    store::ha::add_member(&t.db, seed::MDS1, id, Some("192.168.0.3".into())).await?;
    assert_eq!(store::ha::live_name(&t.db, id).await?.as_deref(), Some("c2"));
    let members = store::ha::cluster_members(&t.db, id).await?;
    let shown: Vec<(uuid::Uuid, &str)> = members.iter().map(|m| (m.host_id, m.ring0.as_str())).collect();
    assert_eq!(shown, [(seed::MDS1, "192.168.0.3")]);
    t.drop().await
}

#[tokio::test]
async fn live_name_is_none_for_a_removed_cluster() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    store::sql::execute(&t.db, "UPDATE ha_cluster SET state = 'removed'", []).await?;
    assert_eq!(store::ha::live_name(&t.db, seed::CLUSTER).await?, None);
    t.drop().await
}

#[tokio::test]
async fn set_fencing_replaces_the_fencing() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let fencing = serde_json::json!({"disabled": true});
    store::ha::set_fencing(&t.db, seed::CLUSTER, fencing.clone()).await?;
    let setup = store::ha::cluster_setup(&t.db, seed::CLUSTER).await?;
    assert_eq!(setup.map(|s| s.fencing), Some(fencing));
    t.drop().await
}

#[tokio::test]
async fn target_servers_show_each_servers_cluster_and_its_fencing() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let mut servers = store::ha::target_servers(&t.db, vec![seed::OSS1, seed::MDS1]).await?;
    servers.sort_by_key(|s| s.host_id);
    let shown: Vec<(&str, bool, Option<&str>, Option<i32>)> = servers
        .iter()
        .map(|s| {
            (
                s.label.as_str(),
                s.has_stack,
                s.cluster_state.as_deref(),
                s.fence_devices,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("oss1", true, Some("configured"), Some(1)),
            ("10.0.0.3", false, None, None)
        ]
    );
    t.drop().await
}

/// An HA cluster `c1` with member hosts `a` (ring0 given) and `b`, and a
/// removed member: `(cluster, a, b)`.
async fn cluster(db: &sea_orm::DatabaseConnection) -> anyhow::Result<(uuid::Uuid, uuid::Uuid, uuid::Uuid)> {
    let (cluster, a, b, gone) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    store::sql::execute(
        db,
        "INSERT INTO ha_cluster (id, name, fencing, authkey) VALUES ($1, 'c1', '{\"disabled\": true}', $2)",
        [cluster.into(), vec![7u8; 128].into()],
    )
    .await?;
    store::sql::execute(
        db,
        "INSERT INTO host (id, address, port, state, ha_cluster_id, ha_ring0_addr)
         VALUES ($1, '10.0.0.1', 22, 'managed', $4, '192.168.0.1'), ($2, '10.0.0.2', 22, 'managed', $4, NULL),
                ($3, '10.0.0.3', 22, 'removed', $4, NULL)",
        [a.into(), b.into(), gone.into(), cluster.into()],
    )
    .await?;
    Ok((cluster, a, b))
}

#[tokio::test]
async fn cluster_setup_reads_the_name_fencing_and_key() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (cluster, _, _) = cluster(&t.db).await?;
    assert_eq!(
        store::ha::cluster_setup(&t.db, cluster).await?,
        Some(store::ha::ClusterSetup {
            name: "c1".into(),
            fencing: serde_json::json!({"disabled": true}),
            authkey: vec![7u8; 128],
        })
    );
    assert_eq!(store::ha::cluster_setup(&t.db, uuid::Uuid::now_v7()).await?, None);
    t.drop().await
}

#[tokio::test]
async fn cluster_members_are_the_live_hosts_with_their_ring_address() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (cluster, a, b) = cluster(&t.db).await?;
    assert_eq!(
        store::ha::cluster_members(&t.db, cluster).await?,
        vec![
            store::ha::Member {
                host_id: a,
                ring0: "192.168.0.1".into(),
            },
            store::ha::Member {
                host_id: b,
                ring0: "10.0.0.2".into(),
            },
        ]
    );
    t.drop().await
}

#[tokio::test]
async fn record_configured_marks_the_cluster_configured_with_its_status() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (cluster, _, _) = cluster(&t.db).await?;
    let status = store::ha::ConfiguredStatus {
        stonith_enabled: Some(false),
        fence_devices: 0,
        quorate: true,
    };
    assert_eq!(store::ha::record_configured(&t.db, None, cluster, status).await?, 1);
    let rows = store::sql::query(
        &t.db,
        "SELECT state, stonith_enabled, quorate, seen_at IS NOT NULL AS seen FROM ha_cluster WHERE id = $1",
        [cluster.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no cluster"))?;
    assert_eq!(row.try_get::<String>("", "state")?, "configured");
    assert_eq!(row.try_get::<Option<bool>>("", "stonith_enabled")?, Some(false));
    assert!(row.try_get::<bool>("", "quorate")?);
    assert!(row.try_get::<bool>("", "seen")?);
    t.drop().await
}
