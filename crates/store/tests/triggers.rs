//! The triggers left in the schema (docs/data.md), each shown firing: the
//! live change stream's notifications on `store::events::CHANGE_CHANNEL`,
//! and the `state_changed` events of hosts, targets and file systems.

mod support;

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const HOST: &str = "00000000-0000-0000-0000-000000000001";
const MGT: &str = "00000000-0000-0000-0000-000000000003";
const FS: &str = "00000000-0000-0000-0000-000000000004";
const COMMAND: &str = "00000000-0000-0000-0000-000000000005";
const JOB: &str = "00000000-0000-0000-0000-000000000006";
const STEP: &str = "00000000-0000-0000-0000-000000000007";
const NOOP_STEP: &str = "00000000-0000-0000-0000-000000000008";
const ALERT: &str = "00000000-0000-0000-0000-000000000009";
const CLUSTER: &str = "00000000-0000-0000-0000-00000000000a";

/// One of each object the triggers watch, written before listening.
const FIXTURE: &str = "
INSERT INTO host (id, address, port, nodename) VALUES ('00000000-0000-0000-0000-000000000001', 'oss1', 22, 'oss1');
INSERT INTO volume (id, serial, size_bytes) VALUES ('00000000-0000-0000-0000-000000000002', 'v1', 1);
INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES
    ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000002',
     '00000000-0000-0000-0000-000000000001');
INSERT INTO filesystem (id, name, mgs_id) VALUES
    ('00000000-0000-0000-0000-000000000004', 'fs1', '00000000-0000-0000-0000-000000000003');
INSERT INTO command (id, message) VALUES ('00000000-0000-0000-0000-000000000005', 'Set fs1 up');
INSERT INTO job (id, command_id, key, description, step_count) VALUES
    ('00000000-0000-0000-0000-000000000006', '00000000-0000-0000-0000-000000000005', 'k', 'format MGS', 2);
INSERT INTO step (id, job_id, idx, action, args) VALUES
    ('00000000-0000-0000-0000-000000000007', '00000000-0000-0000-0000-000000000006', 0, 'format_target', '{}'),
    ('00000000-0000-0000-0000-000000000008', '00000000-0000-0000-0000-000000000006', 1, 'noop', '{}');
INSERT INTO alert (id, kind, severity, item, message) VALUES
    ('00000000-0000-0000-0000-000000000009', 'lnet_down', 'error', 'host/00000000-0000-0000-0000-000000000001', 'LNet is down');
INSERT INTO ha_cluster (id, name, authkey) VALUES
    ('00000000-0000-0000-0000-00000000000a', 'c1', decode(repeat('ab', 128), 'hex'));
";

/// A fresh database holding the fixture.
async fn fixture() -> anyhow::Result<support::TestDb> {
    let t = support::TestDb::new().await?;
    t.db.execute_unprepared(FIXTURE).await?;
    Ok(t)
}

/// What the change stream carries while `change` runs (committed) on a
/// database holding the fixture, in order.
async fn notes(change: &str) -> anyhow::Result<Vec<Value>> {
    let t = fixture().await?;
    let mut listener = PgListener::connect_with(t.db.get_postgres_connection_pool()).await?;
    listener.listen(store::events::CHANGE_CHANNEL).await?;
    t.db.execute_unprepared(change).await?;
    // Notifications arrive in commit order: this one marks the end.
    store::events::notify_change(&t.db, &json!({"kind": "end"})).await?;
    let mut notes = Vec::new();
    loop {
        let note = tokio::time::timeout(Duration::from_secs(10), listener.recv()).await??;
        let note: Value = serde_json::from_str(note.payload())?;
        if note["kind"] == "end" {
            break;
        }
        notes.push(note);
    }
    drop(listener);
    t.drop().await?;
    Ok(notes)
}

/// The notes of `kind` among `notes`.
fn of_kind<'a>(notes: &'a [Value], kind: &str) -> Vec<&'a Value> {
    notes.iter().filter(|n| n["kind"] == kind).collect()
}

#[tokio::test]
async fn a_command_changing_state_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE command SET state = 'running' WHERE id = '{COMMAND}'")).await?;
    let commands = of_kind(&notes, "command");
    assert_eq!(commands.len(), 1, "{notes:?}");
    assert_eq!(commands[0]["id"], COMMAND);
    assert_eq!(commands[0]["op"], "update");
    assert_eq!(commands[0]["state"], "running");
    Ok(())
}

#[tokio::test]
async fn a_job_changing_state_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE job SET state = 'running' WHERE id = '{JOB}'")).await?;
    let jobs = of_kind(&notes, "job");
    assert_eq!(jobs.len(), 1, "{notes:?}");
    assert_eq!(jobs[0]["id"], JOB);
    assert_eq!(jobs[0]["state"], "running");
    assert_eq!(jobs[0]["command_id"], COMMAND);
    Ok(())
}

#[tokio::test]
async fn a_lustre_step_changing_state_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!(
        "UPDATE step SET state = 'queued', attempts = 1 WHERE id = '{STEP}'"
    ))
    .await?;
    let steps = of_kind(&notes, "step");
    assert_eq!(steps.len(), 1, "{notes:?}");
    assert_eq!(steps[0]["id"], STEP);
    assert_eq!(steps[0]["state"], "queued");
    assert_eq!(steps[0]["job_id"], JOB);
    assert_eq!(steps[0]["action"], "format_target");
    assert_eq!(steps[0]["attempts"], 1);
    Ok(())
}

#[tokio::test]
async fn a_diagnostic_step_changing_state_is_not_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE step SET state = 'queued' WHERE id = '{NOOP_STEP}'")).await?;
    assert_eq!(notes, Vec::<Value>::new());
    Ok(())
}

#[tokio::test]
async fn a_new_host_is_streamed() -> anyhow::Result<()> {
    let notes =
        notes("INSERT INTO host (id, address, port) VALUES ('00000000-0000-0000-0000-0000000000b1', 'oss2', 22)")
            .await?;
    let hosts = of_kind(&notes, "host");
    assert_eq!(hosts.len(), 1, "{notes:?}");
    assert_eq!(hosts[0]["op"], "insert");
    assert_eq!(hosts[0]["state"], "unconfigured");
    Ok(())
}

#[tokio::test]
async fn a_host_changing_its_lnet_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE host SET lnet_networks = '[]' WHERE id = '{HOST}'")).await?;
    let hosts = of_kind(&notes, "host");
    assert_eq!(hosts.len(), 1, "{notes:?}");
    assert_eq!(hosts[0]["id"], HOST);
    assert_eq!(hosts[0]["op"], "update");
    Ok(())
}

#[tokio::test]
async fn a_host_contacted_is_not_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE host SET last_contact_at = now() WHERE id = '{HOST}'")).await?;
    assert_eq!(notes, Vec::<Value>::new());
    Ok(())
}

#[tokio::test]
async fn a_new_target_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!(
        "INSERT INTO volume (id, serial, size_bytes) VALUES ('00000000-0000-0000-0000-0000000000b2', 'v2', 1);
         INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id) VALUES
             ('00000000-0000-0000-0000-0000000000b3', 'ost', '{FS}', 0, 'fs1-OST0000',
              '00000000-0000-0000-0000-0000000000b2', '{HOST}')"
    ))
    .await?;
    let targets = of_kind(&notes, "target");
    assert_eq!(targets.len(), 1, "{notes:?}");
    assert_eq!(targets[0]["id"], "00000000-0000-0000-0000-0000000000b3");
    assert_eq!(targets[0]["op"], "insert");
    Ok(())
}

#[tokio::test]
async fn a_target_moving_to_another_server_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!(
        "UPDATE target SET active_host_id = '{HOST}' WHERE id = '{MGT}'"
    ))
    .await?;
    let targets = of_kind(&notes, "target");
    assert_eq!(targets.len(), 1, "{notes:?}");
    assert_eq!(targets[0]["id"], MGT);
    assert_eq!(targets[0]["state"], "unformatted");
    Ok(())
}

#[tokio::test]
async fn a_new_file_system_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!(
        "INSERT INTO filesystem (id, name, mgs_id) VALUES ('00000000-0000-0000-0000-0000000000b4', 'fs2', '{MGT}')"
    ))
    .await?;
    let filesystems = of_kind(&notes, "filesystem");
    assert_eq!(filesystems.len(), 1, "{notes:?}");
    assert_eq!(filesystems[0]["op"], "insert");
    Ok(())
}

#[tokio::test]
async fn a_file_system_removed_is_streamed_as_removed() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE filesystem SET removed = true WHERE id = '{FS}'")).await?;
    let filesystems = of_kind(&notes, "filesystem");
    assert_eq!(filesystems.len(), 1, "{notes:?}");
    assert_eq!(filesystems[0]["state"], "removed");
    Ok(())
}

#[tokio::test]
async fn a_new_alert_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!(
        "INSERT INTO alert (id, kind, severity, item, message) VALUES
             ('00000000-0000-0000-0000-0000000000b5', 'host_unreachable', 'error', 'host/{HOST}', 'gone')"
    ))
    .await?;
    let alerts = of_kind(&notes, "alert");
    assert_eq!(alerts.len(), 1, "{notes:?}");
    assert_eq!(alerts[0]["op"], "insert");
    assert_eq!(alerts[0]["cleared"], false);
    Ok(())
}

#[tokio::test]
async fn an_alert_cleared_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE alert SET cleared_at = now() WHERE id = '{ALERT}'")).await?;
    let alerts = of_kind(&notes, "alert");
    assert_eq!(alerts.len(), 1, "{notes:?}");
    assert_eq!(alerts[0]["id"], ALERT);
    assert_eq!(alerts[0]["cleared"], true);
    Ok(())
}

#[tokio::test]
async fn an_alert_acknowledged_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!(
        "UPDATE alert SET acknowledged_at = now(), acknowledged_by = 'admin' WHERE id = '{ALERT}'"
    ))
    .await?;
    let alerts = of_kind(&notes, "alert");
    assert_eq!(alerts.len(), 1, "{notes:?}");
    assert_eq!(alerts[0]["id"], ALERT);
    assert_eq!(alerts[0]["cleared"], false);
    Ok(())
}

#[tokio::test]
async fn a_new_ha_cluster_is_streamed() -> anyhow::Result<()> {
    let notes = notes(
        "INSERT INTO ha_cluster (id, name, authkey) VALUES
             ('00000000-0000-0000-0000-0000000000b6', 'c2', decode(repeat('cd', 128), 'hex'))",
    )
    .await?;
    let clusters = of_kind(&notes, "ha_cluster");
    assert_eq!(clusters.len(), 1, "{notes:?}");
    assert_eq!(clusters[0]["op"], "insert");
    assert_eq!(clusters[0]["state"], "pending");
    Ok(())
}

#[tokio::test]
async fn an_ha_cluster_losing_quorum_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE ha_cluster SET quorate = false WHERE id = '{CLUSTER}'")).await?;
    let clusters = of_kind(&notes, "ha_cluster");
    assert_eq!(clusters.len(), 1, "{notes:?}");
    assert_eq!(clusters[0]["id"], CLUSTER);
    Ok(())
}

#[tokio::test]
async fn an_event_is_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!(
        "INSERT INTO event (id, kind, item, message) VALUES
             ('00000000-0000-0000-0000-0000000000b7', 'step_rescued', 'job/{JOB}', 'rescued')"
    ))
    .await?;
    assert_eq!(
        notes,
        vec![json!({"kind": "event", "id": "00000000-0000-0000-0000-0000000000b7",
                    "event": "step_rescued", "item": format!("job/{JOB}")})]
    );
    Ok(())
}

#[tokio::test]
async fn a_command_outcome_event_is_not_streamed() -> anyhow::Result<()> {
    let notes = notes(&format!(
        "INSERT INTO event (id, kind, item, message) VALUES
             ('00000000-0000-0000-0000-0000000000b8', 'command_failed', 'command/{COMMAND}', 'Set fs1 up: failed')"
    ))
    .await?;
    assert_eq!(notes, Vec::<Value>::new());
    Ok(())
}

/// The `state_changed` events written, as (item, message, details).
async fn state_events(db: &sea_orm::DatabaseConnection) -> anyhow::Result<Vec<(String, String, Value)>> {
    let rows = db
        .query_all(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT item, message, details FROM event WHERE kind = 'state_changed' ORDER BY at, message",
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "item")?,
                r.try_get("", "message")?,
                r.try_get("", "details")?,
            ))
        })
        .collect()
}

#[tokio::test]
async fn a_host_changing_state_writes_a_state_event() -> anyhow::Result<()> {
    let t = fixture().await?;
    t.db.execute_unprepared(&format!("UPDATE host SET state = 'managed' WHERE id = '{HOST}'"))
        .await?;
    assert_eq!(
        state_events(&t.db).await?,
        vec![(
            format!("host/{HOST}"),
            "host oss1: unconfigured → managed".to_owned(),
            json!({"from": "unconfigured", "to": "managed"})
        )]
    );
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn a_target_changing_state_writes_a_state_event() -> anyhow::Result<()> {
    let t = fixture().await?;
    t.db.execute_unprepared(&format!("UPDATE target SET state = 'formatted' WHERE id = '{MGT}'"))
        .await?;
    assert_eq!(
        state_events(&t.db).await?,
        vec![(
            format!("target/{MGT}"),
            "target MGS: unformatted → formatted".to_owned(),
            json!({"from": "unformatted", "to": "formatted"})
        )]
    );
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn a_file_system_removed_writes_a_state_event() -> anyhow::Result<()> {
    let t = fixture().await?;
    t.db.execute_unprepared(&format!("UPDATE filesystem SET removed = true WHERE id = '{FS}'"))
        .await?;
    assert_eq!(
        state_events(&t.db).await?,
        vec![(
            format!("filesystem/{FS}"),
            "file system fs1: present → removed".to_owned(),
            json!({"from": "present", "to": "removed"})
        )]
    );
    t.drop().await?;
    Ok(())
}

#[tokio::test]
async fn a_state_event_is_streamed_with_its_change() -> anyhow::Result<()> {
    let notes = notes(&format!("UPDATE host SET state = 'managed' WHERE id = '{HOST}'")).await?;
    assert_eq!(of_kind(&notes, "host").len(), 1, "{notes:?}");
    let events = of_kind(&notes, "event");
    assert_eq!(events.len(), 1, "{notes:?}");
    assert_eq!(events[0]["event"], "state_changed");
    assert_eq!(events[0]["item"], format!("host/{HOST}"));
    Ok(())
}
