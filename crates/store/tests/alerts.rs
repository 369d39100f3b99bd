//! `store::alerts` against a fresh migrated database: raising (once while
//! active), clearing, updating, reading, the bulk clears and
//! acknowledgement, one behaviour each.

mod support;

use lustre::Item;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;
use store::alerts::{self, Acknowledge, AlertKind, ListFilter, ListOrder, Raise, Severity};
use store::sql::query;
use uuid::Uuid;

const HOST: Uuid = Uuid::from_u128(0x1);
const REMOVED_HOST: Uuid = Uuid::from_u128(0x2);
const TARGET: Uuid = Uuid::from_u128(0x3);
const CLUSTER: Uuid = Uuid::from_u128(0xa);
const RESOURCE: Uuid = Uuid::from_u128(0xb);
const GONE_RESOURCE: Uuid = Uuid::from_u128(0xc);

/// A managed member of a configured cluster, a removed host, a target
/// Pacemaker keeps, and two storage resources of plugin `raid` (one gone).
const FIXTURE: &str = "
INSERT INTO ha_cluster (id, name, authkey, state) VALUES
    ('00000000-0000-0000-0000-00000000000a', 'c1', decode(repeat('ab', 128), 'hex'), 'configured');
INSERT INTO host (id, address, port, nodename, state, ha_cluster_id) VALUES
    ('00000000-0000-0000-0000-000000000001', 'oss1', 22, 'oss1', 'managed', '00000000-0000-0000-0000-00000000000a'),
    ('00000000-0000-0000-0000-000000000002', 'oss2', 22, 'oss2', 'removed', NULL);
INSERT INTO volume (id, serial, size_bytes) VALUES ('00000000-0000-0000-0000-000000000009', 'v1', 1);
INSERT INTO target (id, kind, name, volume_id, primary_host_id, ha_mode, ha_resource) VALUES
    ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000009',
     '00000000-0000-0000-0000-000000000001', 'pacemaker', 'MGS_1');
INSERT INTO storage_plugin (name, state) VALUES ('raid', 'running');
INSERT INTO storage_resource (id, plugin, local_id, class, attributes, removed_at) VALUES
    ('00000000-0000-0000-0000-00000000000b', 'raid', 'd1', 'disk', '{}', NULL),
    ('00000000-0000-0000-0000-00000000000c', 'raid', 'd2', 'disk', '{}', now());
";

/// A fresh database holding the fixture.
async fn fixture() -> anyhow::Result<support::TestDb> {
    let t = support::TestDb::new().await?;
    t.db.execute_unprepared(FIXTURE).await?;
    Ok(t)
}

/// An alert of `kind` on `item`.
fn alert(kind: AlertKind, item: &Item, message: &str) -> Raise {
    Raise {
        kind,
        item: item.clone(),
        message: message.to_owned(),
        details: json!({"n": 1}),
    }
}

/// How many alerts of `kind` on `item` are active.
async fn active(db: &DatabaseConnection, kind: &str, item: &Item) -> anyhow::Result<i64> {
    let rows = query(
        db,
        "SELECT count(*) AS n FROM alert WHERE kind = $1 AND item = $2 AND cleared_at IS NULL",
        [kind.into(), item.to_string().into()],
    )
    .await?;
    Ok(rows[0].try_get("", "n")?)
}

fn host(id: Uuid) -> Item {
    Item::Host(id)
}

#[test]
fn kinds_keep_their_stored_text_and_severity() {
    assert_eq!(AlertKind::HostKeyChanged.text(), "host_key_changed");
    assert_eq!(AlertKind::HaNodeFenced.to_string(), "ha_node_fenced");
    assert_eq!(AlertKind::HaNodeFenced.severity(), Severity::Warning);
    assert_eq!(AlertKind::JobFailed.severity(), Severity::Error);
    let disk = AlertKind::Storage {
        name: "disk_failed".into(),
        severity: Severity::Info,
    };
    assert_eq!(disk.text(), "storage_disk_failed");
    assert_eq!(disk.severity(), Severity::Info);
    assert!(AlertKind::StepDeadLettered.cleared_by_acknowledgement());
    assert!(!AlertKind::TargetOffline.cleared_by_acknowledgement());
}

#[tokio::test]
async fn raising_an_active_alert_again_keeps_one() -> anyhow::Result<()> {
    let t = fixture().await?;
    let item = host(HOST);
    assert!(alerts::raise(&t.db, alert(AlertKind::LnetDown, &item, "first")).await?);
    assert!(!alerts::raise(&t.db, alert(AlertKind::LnetDown, &item, "second")).await?);
    assert_eq!(active(&t.db, "lnet_down", &item).await?, 1);
    let rows = query(&t.db, "SELECT severity, message FROM alert", []).await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].try_get::<String>("", "severity")?, "error");
    assert_eq!(rows[0].try_get::<String>("", "message")?, "first");
    t.drop().await
}

#[tokio::test]
async fn clearing_ends_the_active_alert_once() -> anyhow::Result<()> {
    let t = fixture().await?;
    let item = host(HOST);
    alerts::raise(&t.db, alert(AlertKind::HostUnreachable, &item, "down")).await?;
    assert!(alerts::clear(&t.db, &AlertKind::HostUnreachable, &item).await?);
    assert!(!alerts::clear(&t.db, &AlertKind::HostUnreachable, &item).await?);
    assert_eq!(active(&t.db, "host_unreachable", &item).await?, 0);
    // Cleared, the same condition raises a new alert.
    assert!(alerts::raise(&t.db, alert(AlertKind::HostUnreachable, &item, "down again")).await?);
    t.drop().await
}

#[tokio::test]
async fn set_raises_while_active_and_clears_otherwise() -> anyhow::Result<()> {
    let t = fixture().await?;
    let item = host(HOST);
    alerts::set(&t.db, true, alert(AlertKind::LustreUnhealthy, &item, "sick")).await?;
    assert_eq!(active(&t.db, "lustre_unhealthy", &item).await?, 1);
    alerts::set(&t.db, false, alert(AlertKind::LustreUnhealthy, &item, "sick")).await?;
    assert_eq!(active(&t.db, "lustre_unhealthy", &item).await?, 0);
    t.drop().await
}

#[tokio::test]
async fn raising_an_active_alert_again_can_update_its_message() -> anyhow::Result<()> {
    let t = fixture().await?;
    let item = host(HOST);
    assert!(alerts::raise_or_update(&t.db, alert(AlertKind::HaNodeFenced, &item, "fenced at 1")).await?);
    let mut again = alert(AlertKind::HaNodeFenced, &item, "fenced at 2");
    again.details = json!({"completed": "2026-12-06T10:00:00Z"});
    assert!(!alerts::raise_or_update(&t.db, again).await?);
    let rows = query(&t.db, "SELECT message, details FROM alert", []).await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].try_get::<String>("", "message")?, "fenced at 2");
    assert_eq!(
        alerts::latest_detail(&t.db, &AlertKind::HaNodeFenced, &item, "completed").await?,
        Some(Some("2026-12-06T10:00:00Z".to_owned()))
    );
    t.drop().await
}

#[tokio::test]
async fn latest_detail_tells_no_alert_from_no_detail() -> anyhow::Result<()> {
    let t = fixture().await?;
    let item = host(HOST);
    let kind = AlertKind::HaNodeFenced;
    assert_eq!(alerts::latest_detail(&t.db, &kind, &item, "completed").await?, None);
    alerts::raise(&t.db, alert(kind.clone(), &item, "fenced")).await?;
    assert_eq!(
        alerts::latest_detail(&t.db, &kind, &item, "completed").await?,
        Some(None)
    );
    t.drop().await
}

#[tokio::test]
async fn alerts_of_removed_objects_are_cleared() -> anyhow::Result<()> {
    let t = fixture().await?;
    alerts::raise(&t.db, alert(AlertKind::LnetDown, &host(HOST), "down")).await?;
    alerts::raise(&t.db, alert(AlertKind::LnetDown, &host(REMOVED_HOST), "down")).await?;
    assert_eq!(alerts::clear_removed_objects(&t.db).await?, 1);
    assert_eq!(active(&t.db, "lnet_down", &host(HOST)).await?, 1);
    assert_eq!(active(&t.db, "lnet_down", &host(REMOVED_HOST)).await?, 0);
    t.drop().await
}

#[tokio::test]
async fn ha_alerts_of_objects_outside_a_configured_cluster_are_cleared() -> anyhow::Result<()> {
    let t = fixture().await?;
    let member = host(HOST);
    let outsider = host(REMOVED_HOST);
    let target = Item::Target(TARGET);
    let cluster = Item::HaCluster(CLUSTER);
    let other_cluster = Item::HaCluster(Uuid::nil());
    for (kind, item) in [
        (AlertKind::HaPeerMissing, &member),
        (AlertKind::HaPeerMissing, &outsider),
        (AlertKind::LnetDown, &outsider),
        (AlertKind::HaResourceFailed, &target),
        (AlertKind::HaNoQuorum, &cluster),
        (AlertKind::HaNoQuorum, &other_cluster),
    ] {
        alerts::raise(&t.db, alert(kind, item, "x")).await?;
    }
    assert_eq!(alerts::clear_ha_outsiders(&t.db).await?, 2);
    assert_eq!(active(&t.db, "ha_peer_missing", &member).await?, 1);
    assert_eq!(active(&t.db, "ha_peer_missing", &outsider).await?, 0);
    assert_eq!(active(&t.db, "lnet_down", &outsider).await?, 1, "not an HA alert");
    assert_eq!(active(&t.db, "ha_resource_failed", &target).await?, 1);
    assert_eq!(active(&t.db, "ha_no_quorum", &cluster).await?, 1);
    assert_eq!(active(&t.db, "ha_no_quorum", &other_cluster).await?, 0);
    t.drop().await
}

fn storage(name: &str) -> AlertKind {
    AlertKind::Storage {
        name: name.to_owned(),
        severity: Severity::Warning,
    }
}

#[tokio::test]
async fn storage_alerts_no_longer_holding_are_cleared() -> anyhow::Result<()> {
    let t = fixture().await?;
    let item = Item::StorageResource(RESOURCE);
    alerts::raise(&t.db, alert(storage("failed"), &item, "x")).await?;
    alerts::raise(&t.db, alert(storage("hot"), &item, "x")).await?;
    alerts::raise(&t.db, alert(AlertKind::LnetDown, &item, "x")).await?;
    assert_eq!(alerts::clear_storage_except(&t.db, &item, &[storage("hot")]).await?, 1);
    assert_eq!(active(&t.db, "storage_failed", &item).await?, 0);
    assert_eq!(active(&t.db, "storage_hot", &item).await?, 1);
    assert_eq!(active(&t.db, "lnet_down", &item).await?, 1, "not a storage alert");
    let stored = query(&t.db, "SELECT severity FROM alert WHERE kind = 'storage_hot'", []).await?;
    assert_eq!(stored[0].try_get::<String>("", "severity")?, "warning");
    t.drop().await
}

#[tokio::test]
async fn alerts_of_a_plugins_removed_resources_are_cleared() -> anyhow::Result<()> {
    let t = fixture().await?;
    let kept = Item::StorageResource(RESOURCE);
    let gone = Item::StorageResource(GONE_RESOURCE);
    alerts::raise(&t.db, alert(storage("failed"), &kept, "x")).await?;
    alerts::raise(&t.db, alert(storage("failed"), &gone, "x")).await?;
    assert_eq!(alerts::clear_removed_storage(&t.db, "other").await?, 0);
    assert_eq!(alerts::clear_removed_storage(&t.db, "raid").await?, 1);
    assert_eq!(active(&t.db, "storage_failed", &kept).await?, 1);
    assert_eq!(active(&t.db, "storage_failed", &gone).await?, 0);
    t.drop().await
}

#[tokio::test]
async fn acknowledging_clears_failed_job_alerts_only() -> anyhow::Result<()> {
    let t = fixture().await?;
    let job = Item::Job(Uuid::now_v7());
    alerts::raise(&t.db, alert(AlertKind::JobFailed, &job, "failed")).await?;
    alerts::raise(&t.db, alert(AlertKind::LnetDown, &host(HOST), "down")).await?;
    let changed = alerts::acknowledge(&t.db, "admin", Acknowledge::AllActive).await?;
    assert_eq!(changed.len(), 2);
    let cleared: Vec<(&str, bool, Option<&str>)> = changed
        .iter()
        .map(|a| (a.kind.as_str(), a.cleared_at.is_some(), a.acknowledged_by.as_deref()))
        .collect();
    assert!(cleared.contains(&("job_failed", true, Some("admin"))), "{cleared:?}");
    assert!(cleared.contains(&("lnet_down", false, Some("admin"))), "{cleared:?}");
    t.drop().await
}

#[tokio::test]
async fn an_alert_keeps_its_first_acknowledgement() -> anyhow::Result<()> {
    let t = fixture().await?;
    alerts::raise(&t.db, alert(AlertKind::LnetDown, &host(HOST), "down")).await?;
    let id = query(&t.db, "SELECT id FROM alert", []).await?[0].try_get::<Uuid>("", "id")?;
    assert_eq!(alerts::acknowledge(&t.db, "ann", Acknowledge::One(id)).await?.len(), 1);
    assert!(alerts::acknowledge(&t.db, "bob", Acknowledge::Many(vec![id]))
        .await?
        .is_empty());
    let stored = alerts::get(&t.db, id).await?;
    assert_eq!(stored.and_then(|a| a.acknowledged_by).as_deref(), Some("ann"));
    t.drop().await
}

#[tokio::test]
async fn missing_names_the_ids_of_no_alert() -> anyhow::Result<()> {
    let t = fixture().await?;
    alerts::raise(&t.db, alert(AlertKind::LnetDown, &host(HOST), "down")).await?;
    let id = query(&t.db, "SELECT id FROM alert", []).await?[0].try_get::<Uuid>("", "id")?;
    let unknown = Uuid::now_v7();
    assert_eq!(alerts::missing(&t.db, &[id, unknown]).await?, vec![unknown]);
    assert!(alerts::get(&t.db, unknown).await?.is_none());
    t.drop().await
}

#[tokio::test]
async fn list_pages_the_filtered_alerts_in_order() -> anyhow::Result<()> {
    let t = fixture().await?;
    alerts::raise(&t.db, alert(AlertKind::LnetDown, &host(HOST), "lnet down")).await?;
    alerts::raise(&t.db, alert(AlertKind::SpaceHigh, &Item::Target(TARGET), "space")).await?;
    alerts::raise(&t.db, alert(AlertKind::HostUnreachable, &host(HOST), "no answer")).await?;
    alerts::clear(&t.db, &AlertKind::HostUnreachable, &host(HOST)).await?;
    let active = ListFilter {
        active: Some(true),
        ..ListFilter::default()
    };
    let (page, total) = alerts::list(&t.db, &active, ListOrder::Oldest, 1, 0).await?;
    assert_eq!(total, 2);
    assert_eq!(page.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["lnet_down"]);
    let (page, _) = alerts::list(&t.db, &active, ListOrder::Severity, 10, 0).await?;
    assert_eq!(
        page.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(),
        ["lnet_down", "space_high"]
    );
    let matching = ListFilter {
        message_like: Some("%answer%".into()),
        ..ListFilter::default()
    };
    let (page, total) = alerts::list(&t.db, &matching, ListOrder::Newest, 10, 0).await?;
    assert_eq!((total, page.len()), (1, 1));
    assert_eq!(page[0].kind, "host_unreachable");
    t.drop().await
}
