//! `store::hosts` against a fresh migrated database.

mod support;

#[tokio::test]
async fn insert_managed_stores_a_managed_host_with_lnet_up() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (host, _) = support::mounted_mgt(&t.db).await?;
    let rows = store::sql::query(
        &t.db,
        "SELECT address, port, state, nodename, lnet_state FROM host WHERE id = $1",
        [host.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no host"))?;
    assert_eq!(row.try_get::<String>("", "address")?, "127.0.0.1");
    assert_eq!(row.try_get::<i32>("", "port")?, 3000);
    assert_eq!(row.try_get::<String>("", "state")?, "managed");
    assert_eq!(row.try_get::<Option<String>>("", "nodename")?.as_deref(), Some("mds1"));
    assert_eq!(row.try_get::<String>("", "lnet_state")?, "lnet_up");
    t.drop().await
}

/// Hosts for the monitor's and the plugin host's reads: a managed member
/// of configured cluster `c1` with a key, one without a key, a removed one.
const MONITORED_FIXTURE: &str = "
INSERT INTO ha_cluster (id, name, authkey, state) VALUES
    ('00000000-0000-0000-0000-00000000000a', 'c1', decode(repeat('ab', 128), 'hex'), 'configured');
INSERT INTO host (id, address, port, nodename, state, fingerprint, ha_cluster_id) VALUES
    ('00000000-0000-0000-0000-000000000001', '10.0.0.2', 22, 'oss1', 'managed', 'SHA256:k', '00000000-0000-0000-0000-00000000000a'),
    ('00000000-0000-0000-0000-000000000002', '10.0.0.1', 2222, NULL, 'managed', 'SHA256:j', NULL),
    ('00000000-0000-0000-0000-000000000003', '10.0.0.3', 22, 'oss3', 'unconfigured', NULL, NULL),
    ('00000000-0000-0000-0000-000000000004', '10.0.0.4', 22, 'oss4', 'removed', 'SHA256:r', NULL);
";

#[tokio::test]
async fn monitored_lists_hosts_not_removed_with_their_configured_cluster() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(&t.db, MONITORED_FIXTURE).await?;
    let mut hosts = store::hosts::monitored(&t.db).await?;
    hosts.sort_by_key(|h| h.id);
    let ids: Vec<String> = hosts.iter().map(|h| h.id.to_string()).collect();
    assert_eq!(ids.len(), 3, "the removed host is left out: {ids:?}");
    let cluster: uuid::Uuid = "00000000-0000-0000-0000-00000000000a".parse()?;
    assert_eq!(hosts[0].ha_cluster_id, Some(cluster));
    assert_eq!(hosts[0].fingerprint.as_deref(), Some("SHA256:k"));
    assert_eq!(hosts[1].port, 2222);
    assert_eq!(hosts[2].state, "unconfigured");
    t.drop().await
}

#[tokio::test]
async fn monitored_leaves_out_a_cluster_not_configured() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(&t.db, MONITORED_FIXTURE).await?;
    sea_orm::ConnectionTrait::execute_unprepared(&t.db, "UPDATE ha_cluster SET state = 'pending'").await?;
    let hosts = store::hosts::monitored(&t.db).await?;
    assert!(hosts.iter().all(|h| h.ha_cluster_id.is_none()));
    t.drop().await
}

#[tokio::test]
async fn record_contact_stores_when_a_host_answered() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(&t.db, MONITORED_FIXTURE).await?;
    let id: uuid::Uuid = "00000000-0000-0000-0000-000000000001".parse()?;
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")?.with_timezone(&chrono::Utc);
    assert_eq!(store::hosts::record_contact(&t.db, id, at).await?, 1);
    let rows = store::sql::query(&t.db, "SELECT last_contact_at FROM host WHERE id = $1", [id.into()]).await?;
    let stored: chrono::DateTime<chrono::Utc> = rows[0].try_get("", "last_contact_at")?;
    assert_eq!(stored, at);
    t.drop().await
}

#[tokio::test]
async fn managed_with_keys_lists_managed_keyed_hosts_by_name() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(&t.db, MONITORED_FIXTURE).await?;
    let hosts = store::hosts::managed_with_keys(&t.db).await?;
    let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
    // The one without a node name goes by its address.
    assert_eq!(names, ["10.0.0.1", "oss1"]);
    assert_eq!((hosts[0].port, hosts[0].fingerprint.as_str()), (2222, "SHA256:j"));
    t.drop().await
}

/// Inserts a host at `address` in `state`; its id.
async fn host(db: &sea_orm::DatabaseConnection, address: &str, state: &str) -> anyhow::Result<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    store::sql::execute(
        db,
        "INSERT INTO host (id, address, port, state) VALUES ($1, $2, 22, $3)",
        [id.into(), address.to_owned().into(), state.to_owned().into()],
    )
    .await?;
    Ok(id)
}

/// Column `column` of host `id`, as text.
async fn column(db: &sea_orm::DatabaseConnection, id: uuid::Uuid, column: &str) -> anyhow::Result<Option<String>> {
    let rows = store::sql::query(
        db,
        &format!("SELECT {column}::text AS value FROM host WHERE id = $1"),
        [id.into()],
    )
    .await?;
    let row = rows.first().ok_or_else(|| anyhow::anyhow!("no host"))?;
    Ok(row.try_get("", "value")?)
}

#[tokio::test]
async fn managed_ids_lists_managed_hosts_oldest_first() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let first = host(&t.db, "10.0.0.1", "managed").await?;
    host(&t.db, "10.0.0.2", "unconfigured").await?;
    let second = host(&t.db, "10.0.0.3", "managed").await?;
    assert_eq!(store::hosts::managed_ids(&t.db).await?, vec![first, second]);
    t.drop().await
}

#[tokio::test]
async fn connection_reads_how_to_reach_a_host() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "managed").await?;
    let found = store::hosts::connection(&t.db, id).await?;
    assert_eq!(
        found,
        Some(store::hosts::Connection {
            address: "10.0.0.1".into(),
            port: 22,
            fingerprint: None,
            nodename: None,
            nids: vec![],
            ha_node: None,
        })
    );
    assert_eq!(store::hosts::connection(&t.db, uuid::Uuid::now_v7()).await?, None);
    t.drop().await
}

#[tokio::test]
async fn record_lnet_up_stores_the_nids_and_down_keeps_them() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "managed").await?;
    store::hosts::record_lnet_up(&t.db, None, id, &["10.0.0.1@tcp".to_owned()]).await?;
    assert_eq!(column(&t.db, id, "lnet_state").await?.as_deref(), Some("lnet_up"));
    assert_eq!(store::hosts::record_lnet_down(&t.db, None, id).await?, 1);
    assert_eq!(column(&t.db, id, "lnet_state").await?.as_deref(), Some("lnet_down"));
    assert_eq!(column(&t.db, id, "nids").await?.as_deref(), Some("{10.0.0.1@tcp}"));
    t.drop().await
}

#[tokio::test]
async fn has_lnet_networks_tells_whether_networks_were_chosen() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "managed").await?;
    assert!(!store::hosts::has_lnet_networks(&t.db, id).await?);
    assert!(!store::hosts::has_lnet_networks(&t.db, uuid::Uuid::now_v7()).await?);
    let networks = serde_json::json!([{"net": "tcp", "interfaces": ["eth0"]}]);
    store::hosts::record_lnet_networks(&t.db, None, id, networks, &["10.0.0.1@tcp".to_owned()]).await?;
    assert!(store::hosts::has_lnet_networks(&t.db, id).await?);
    assert_eq!(column(&t.db, id, "lnet_state").await?.as_deref(), Some("lnet_up"));
    t.drop().await
}

#[tokio::test]
async fn record_preflight_stores_the_results_with_their_time() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "managed").await?;
    store::hosts::record_preflight(&t.db, None, id, serde_json::json!({"checks": []})).await?;
    assert_eq!(
        column(&t.db, id, "preflight").await?.as_deref(),
        Some(r#"{"checks": []}"#)
    );
    assert!(column(&t.db, id, "preflight_at").await?.is_some());
    t.drop().await
}

#[tokio::test]
async fn ha_context_names_the_cluster_and_the_hosts_sharing_a_volume() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let a = host(&t.db, "10.0.0.1", "managed").await?;
    let b = host(&t.db, "10.0.0.2", "managed").await?;
    let gone = host(&t.db, "10.0.0.3", "removed").await?;
    let volume = uuid::Uuid::now_v7();
    store::sql::execute(
        &t.db,
        "INSERT INTO volume (id, serial, size_bytes) VALUES ($1, 'S1', 1)",
        [volume.into()],
    )
    .await?;
    for host in [a, b, gone] {
        store::sql::execute(
            &t.db,
            "INSERT INTO volume_node (volume_id, host_id, path) VALUES ($1, $2, '/dev/sdb')",
            [volume.into(), host.into()],
        )
        .await?;
    }
    let found = store::hosts::ha_context(&t.db, a).await?;
    assert_eq!(
        found,
        Some(store::hosts::HaContext {
            label: "10.0.0.1".into(),
            pacemaker_version: None,
            corosync_version: None,
            cluster: None,
            sharing: vec!["10.0.0.2".into()],
        })
    );
    assert_eq!(store::hosts::ha_context(&t.db, uuid::Uuid::now_v7()).await?, None);
    t.drop().await
}

#[tokio::test]
async fn record_ha_stack_keeps_what_an_unclear_answer_did_not_tell() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "managed").await?;
    let seen = store::hosts::HaStackSeen {
        pacemaker_version: Some("Pacemaker 2.1".into()),
        corosync_version: Some("Corosync 3.1".into()),
        ha_node: Some("oss1".into()),
        ..Default::default()
    };
    store::hosts::record_ha_stack(&t.db, None, id, &seen).await?;
    let unclear = store::hosts::HaStackSeen {
        pacemaker_unknown: true,
        ..Default::default()
    };
    store::hosts::record_ha_stack(&t.db, None, id, &unclear).await?;
    assert_eq!(
        column(&t.db, id, "pacemaker_version").await?.as_deref(),
        Some("Pacemaker 2.1")
    );
    assert_eq!(column(&t.db, id, "corosync_version").await?, None);
    assert_eq!(column(&t.db, id, "ha_node").await?.as_deref(), Some("oss1"));
    t.drop().await
}

#[tokio::test]
async fn pin_fingerprint_keeps_the_first_key_pinned() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "unconfigured").await?;
    assert_eq!(
        store::hosts::pin_fingerprint(&t.db, id, "SHA256:one").await?.as_deref(),
        Some("SHA256:one")
    );
    assert_eq!(
        store::hosts::pin_fingerprint(&t.db, id, "SHA256:two").await?.as_deref(),
        Some("SHA256:one")
    );
    assert_eq!(
        store::hosts::pin_fingerprint(&t.db, uuid::Uuid::now_v7(), "SHA256:x").await?,
        None
    );
    t.drop().await
}

#[tokio::test]
async fn record_managed_stores_what_the_probe_read() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "unconfigured").await?;
    store::hosts::record_managed(&t.db, None, id, "oss1", "5.14", Some("2.15.3")).await?;
    assert_eq!(column(&t.db, id, "state").await?.as_deref(), Some("managed"));
    assert_eq!(column(&t.db, id, "nodename").await?.as_deref(), Some("oss1"));
    assert_eq!(column(&t.db, id, "lustre_version").await?.as_deref(), Some("2.15.3"));
    t.drop().await
}

#[tokio::test]
async fn record_ha_node_stores_the_pacemaker_node_name() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "managed").await?;
    assert_eq!(store::hosts::record_ha_node(&t.db, None, id, "oss1.cluster").await?, 1);
    assert_eq!(column(&t.db, id, "ha_node").await?.as_deref(), Some("oss1.cluster"));
    t.drop().await
}

#[tokio::test]
async fn record_removed_marks_the_host_removed() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = host(&t.db, "10.0.0.1", "managed").await?;
    assert_eq!(store::hosts::record_removed(&t.db, None, id).await?, 1);
    assert_eq!(column(&t.db, id, "state").await?.as_deref(), Some("removed"));
    t.drop().await
}

mod seed;

#[tokio::test]
async fn views_select_hosts_by_state_and_lnet_state_by_address() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let hosts = store::hosts::views(
        &t.db,
        store::hosts::HostSelection::Matching {
            state: Some("managed".into()),
            lnet_state: Some("lnet_up".into()),
        },
    )
    .await?;
    let ids: Vec<uuid::Uuid> = hosts.iter().map(|h| h.id).collect();
    assert_eq!(ids, [seed::OSS1, seed::OSS2]);
    assert!(hosts.iter().all(|h| h.serves_lustre));
    t.drop().await
}

#[tokio::test]
async fn views_show_a_hosts_preflight_and_that_it_does_not_serve_lustre() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let hosts = store::hosts::views(&t.db, store::hosts::HostSelection::Id(seed::MDS1)).await?;
    let [host] = hosts.as_slice() else {
        anyhow::bail!("expected one host, got {hosts:?}");
    };
    assert_eq!(host.port, 2222);
    let failed = host.preflight.as_ref().map(lustre::preflight::Preflight::failed);
    assert_eq!(failed, Some(vec!["zfs".to_owned()]));
    assert!(!host.serves_lustre);
    t.drop().await
}

#[tokio::test]
async fn add_records_a_new_host_once() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let id = uuid::Uuid::now_v7();
    let added = store::hosts::add(&t.db, id, "10.0.0.9", 22, None).await?;
    assert_eq!(added, Some(id));
    let again = store::hosts::add(&t.db, uuid::Uuid::now_v7(), "10.0.0.9", 22, None).await?;
    assert_eq!(again, None);
    t.drop().await
}

#[tokio::test]
async fn add_takes_a_removed_host_back_under_its_id() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let added = store::hosts::add(&t.db, uuid::Uuid::now_v7(), "10.0.0.4", 22, Some("SHA256:x".into())).await?;
    assert_eq!(added, Some(seed::GONE));
    let hosts = store::hosts::views(&t.db, store::hosts::HostSelection::Id(seed::GONE)).await?;
    let states: Vec<(&str, Option<&str>)> = hosts
        .iter()
        .map(|h| (h.state.as_str(), h.fingerprint.as_deref()))
        .collect();
    assert_eq!(states, [("unconfigured", Some("SHA256:x"))]);
    t.drop().await
}

#[tokio::test]
async fn first_without_zfs_names_the_first_host_whose_zfs_check_failed() -> anyhow::Result<()> {
    let t = seed::estate().await?;
    let found = store::hosts::first_without_zfs(&t.db, vec![seed::OSS1, seed::MDS1]).await?;
    assert_eq!(
        found,
        Some(store::hosts::WithoutZfs {
            name: "10.0.0.3".into(),
            message: Some("no zfs module".into()),
        })
    );
    assert_eq!(store::hosts::first_without_zfs(&t.db, vec![seed::OSS1]).await?, None);
    t.drop().await
}

#[tokio::test]
async fn a_removed_host_keeps_its_pinned_key_for_the_next_add() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    assert_eq!(store::hosts::at_address(&t.db, "10.0.0.9", 22).await?, None);
    let id = uuid::Uuid::now_v7();
    store::hosts::add(&t.db, id, "10.0.0.9", 22, None).await?;
    store::hosts::pin_fingerprint(&t.db, id, "SHA256:old").await?;
    store::hosts::record_removed(&t.db, None, id).await?;
    let removed = store::hosts::at_address(&t.db, "10.0.0.9", 22).await?;
    assert_eq!(
        removed,
        Some(store::hosts::AtAddress {
            id,
            state: "removed".into(),
            fingerprint: Some("SHA256:old".into()),
        })
    );
    assert_eq!(store::hosts::at_address(&t.db, "10.0.0.9", 2222).await?, None);
    // Added again with the key the caller chose: the same host, that key.
    let again = store::hosts::add(&t.db, uuid::Uuid::now_v7(), "10.0.0.9", 22, Some("SHA256:old".into())).await?;
    assert_eq!(again, Some(id));
    let added = store::hosts::at_address(&t.db, "10.0.0.9", 22).await?;
    assert_eq!(
        added.map(|h| (h.state, h.fingerprint)),
        Some(("unconfigured".into(), Some("SHA256:old".into())))
    );
    t.drop().await
}
