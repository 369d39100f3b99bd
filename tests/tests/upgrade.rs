//! An upgrade from the previous release, as an operator runs it: a
//! database migrated only as far as that release
//! ([`migrations::PREVIOUS_RELEASE_LAST_MIGRATION`]) and holding rows as
//! it wrote them — users, servers, a file system and its targets, a
//! finished command, alerts, events, metric history, a quota and a client
//! mount — is upgraded by `chroma-api migrate`; `--status` then shows every
//! migration applied, the API shows the same objects, and a new command
//! reaches the servers with the pinned host keys.

use anyhow::Context;
use integration_tests::processes::binary_dir;
use integration_tests::{login, settings_env, test_settings, TestEnv};
use migrations::{MigratorTrait, PREVIOUS_RELEASE_LAST_MIGRATION};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

const LONG: Duration = Duration::from_secs(60);
const ALICE_PASSWORD: &str = "alice's long password";

/// The ids of the seeded rows the test reads back.
struct Seeded {
    mds1: Uuid,
    oss1: Uuid,
    filesystem: Uuid,
    targets: [Uuid; 3],
    command: Uuid,
    alert: Uuid,
}

/// Rows as the previous release wrote them, in its schema: every column
/// that release had and no later one.
fn fixtures(cluster: &lustre_sim::ClusterHandle) -> anyhow::Result<(Seeded, String)> {
    let id = Uuid::now_v7;
    let (mds1, oss1) = (id(), id());
    let (alice, bob) = (id(), id());
    let (v_mgt, v_mdt, v_ost) = (id(), id(), id());
    let (mgt, mdt, ost) = (id(), id(), id());
    let (filesystem, command, job, step) = (id(), id(), id(), id());
    let (alert, cleared_alert, quota, mount) = (id(), id(), id(), id());
    let alice_hash = api::auth::password::hash(ALICE_PASSWORD).map_err(anyhow::Error::msg)?;
    let bob_hash = api::auth::password::hash("bob's long password").map_err(anyhow::Error::msg)?;
    let [m, o] = [&cluster.hosts[0], &cluster.hosts[1]];
    let (m_port, o_port) = (m.addr.port(), o.addr.port());
    let (m_fp, o_fp) = (&m.fingerprint, &o.fingerprint);
    let sql = format!(
        r#"
INSERT INTO app_user (id, username, password_hash, role, disabled) VALUES
  ('{alice}', 'alice', '{alice_hash}', 'fsadmin', false),
  ('{bob}', 'bob', '{bob_hash}', 'readonly', true);
INSERT INTO host (id, address, port, fingerprint, state, nodename, kernel, lustre_version,
                  lnet_state, nids, last_contact_at, preflight, preflight_at) VALUES
  ('{mds1}', '127.0.0.1', {m_port}, '{m_fp}', 'managed', 'mds1', '4.18.0-553.el8_lustre.x86_64',
   '2.15.4', 'lnet_up', '{{127.0.0.1@tcp}}', now(), '{{"checks": []}}', now()),
  ('{oss1}', '127.0.0.1', {o_port}, '{o_fp}', 'managed', 'oss1', '4.18.0-553.el8_lustre.x86_64',
   '2.15.4', 'lnet_up', '{{127.0.0.1@tcp}}', now(), '{{"checks": []}}', now());
INSERT INTO volume (id, serial, size_bytes) VALUES
  ('{v_mgt}', 'seeded-mgt', 1073741824), ('{v_mdt}', 'seeded-mdt', 10737418240),
  ('{v_ost}', 'seeded-ost', 107374182400);
INSERT INTO volume_node (volume_id, host_id, path) VALUES
  ('{v_mgt}', '{mds1}', '/dev/disk/by-id/seeded-mgt'),
  ('{v_mdt}', '{mds1}', '/dev/disk/by-id/seeded-mdt'),
  ('{v_ost}', '{oss1}', '/dev/disk/by-id/seeded-ost');
INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id,
                    active_host_id, state, format_marker) VALUES
  ('{mgt}', 'mgt', NULL, NULL, 'MGS', '{v_mgt}', '{mds1}', '{mds1}', 'mounted', 'seeded');
INSERT INTO filesystem (id, name, mgs_id, quota_ost, quota_mdt) VALUES
  ('{filesystem}', 'fs1', '{mgt}', 'ug', 'ug');
INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id,
                    active_host_id, state, format_marker) VALUES
  ('{mdt}', 'mdt', '{filesystem}', 0, 'fs1-MDT0000', '{v_mdt}', '{mds1}', '{mds1}', 'mounted', 'seeded'),
  ('{ost}', 'ost', '{filesystem}', 0, 'fs1-OST0000', '{v_ost}', '{oss1}', '{oss1}', 'mounted', 'seeded');
INSERT INTO command (id, message, state, created_at, finished_at) VALUES
  ('{command}', 'Create file system fs1', 'succeeded', now() - interval '2 days',
   now() - interval '2 days' + interval '3 minutes');
INSERT INTO job (id, command_id, key, description, state, step_count, created_at, started_at, finished_at)
  VALUES ('{job}', '{command}', 'noop', 'Record fs1', 'succeeded', 1, now() - interval '2 days',
          now() - interval '2 days', now() - interval '2 days' + interval '3 minutes');
INSERT INTO step (id, job_id, idx, action, args, state, attempts, worker, queued_at, started_at,
                  finished_at, output) VALUES
  ('{step}', '{job}', 0, 'noop', '{{}}', 'succeeded', 1, 'worker-1', now() - interval '2 days',
   now() - interval '2 days', now() - interval '2 days' + interval '3 minutes', '{{}}');
INSERT INTO alert (id, kind, severity, item, message, raised_at, cleared_at) VALUES
  ('{alert}', 'target_failed_over', 'warning', 'target/{ost}',
   'fs1-OST0000 runs on its failover server', now() - interval '1 hour', NULL),
  ('{cleared_alert}', 'host_unreachable', 'error', 'host/{oss1}', 'oss1 does not answer',
   now() - interval '1 day', now() - interval '23 hours');
INSERT INTO event (id, at, kind, user_id, username, item, message) VALUES
  ('{}', now() - interval '2 days', 'login', '{alice}', 'alice', NULL, 'alice logged in'),
  ('{}', now() - interval '2 days', 'api_change', '{alice}', 'alice', 'filesystem/{filesystem}',
   'alice created file system fs1');
INSERT INTO quota (id, filesystem_id, kind, qid, block_soft, block_hard, state, block_used, read_at)
  VALUES ('{quota}', '{filesystem}', 'user', 1000, 1048576, 2097152, 'set', 524288, now());
INSERT INTO client_mount (id, host_id, filesystem_id, mountpoint, state, source) VALUES
  ('{mount}', '{oss1}', '{filesystem}', '/mnt/fs1', 'mounted', '127.0.0.1@tcp:/fs1');
WITH series AS (
  INSERT INTO metric_series (object_kind, object_id, name) VALUES ('host', '{mds1}', 'cpu_used')
  RETURNING id)
INSERT INTO metric_raw (series_id, at, value)
  SELECT series.id, now() - make_interval(mins => m), 10 + m FROM series, generate_series(1, 30) m;
"#,
        id(),
        id(),
    );
    let seeded = Seeded {
        mds1,
        oss1,
        filesystem,
        targets: [mgt, mdt, ost],
        command,
        alert,
    };
    Ok((seeded, sql))
}

/// Runs `chroma-api ARGS` with `settings`: (exit code, stdout, stderr).
async fn chroma_api(settings: &setup::Settings, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    let out = tokio::process::Command::new(binary_dir()?.join("chroma-api"))
        .args(args)
        .envs(settings_env(settings))
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

async fn objects(env: &TestEnv, path: &str) -> anyhow::Result<Vec<Value>> {
    let (status, envelope) = env.get(path).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET {path} answered {status}: {envelope}");
    Ok(envelope["response"]["objects"].as_array().cloned().unwrap_or_default())
}

fn find<'a>(objects: &'a [Value], id: &Uuid) -> anyhow::Result<&'a Value> {
    objects
        .iter()
        .find(|o| o["id"] == id.to_string())
        .with_context(|| format!("{id} is not listed in {objects:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_previous_release_is_upgraded_and_reads_back() -> anyhow::Result<()> {
    let name = format!("upgrade_{}", &Uuid::new_v4().simple().to_string()[..8]);
    let settings = test_settings(&name, None)?;
    let url = settings.database_url.expose_secret().to_owned();

    // The previous release's servers trust this key.
    let key = chroma_ssh::KeyPair::load_or_create(&settings.ssh_key_path)?;
    let dir = settings
        .ssh_key_path
        .parent()
        .context("key path has no directory")?
        .join("cluster");
    std::fs::create_dir_all(&dir)?;
    let authorized = dir.join("authorized_keys");
    std::fs::write(&authorized, format!("{}\n", key.public_key_openssh()))?;
    let names = vec!["mds1".to_owned(), "oss1".to_owned()];
    let cluster =
        lustre_sim::Cluster::start(lustre_sim::SimConfig::new(&dir.join("state"), &names, 0, &authorized)).await?;

    // The previous release's schema, and rows as it wrote them.
    store::ensure_database(&url).await?;
    let db = sea_orm::Database::connect(&url).await?;
    let all = migrations::Migrator::migrations();
    let previous = all
        .iter()
        .position(|m| m.name() == PREVIOUS_RELEASE_LAST_MIGRATION)
        .context("PREVIOUS_RELEASE_LAST_MIGRATION names no migration")?
        + 1;
    migrations::Migrator::up(&db, Some(u32::try_from(previous)?)).await?;
    let (seeded, sql) = fixtures(&cluster)?;
    db.execute_unprepared(&sql)
        .await
        .context("seeding the previous release's rows")?;
    db.close().await?;

    // The upgrade, as the operator runs it.
    let (code, _, err) = chroma_api(&settings, &["migrate"]).await?;
    assert_eq!(code, 0, "chroma-api migrate failed: {err}");
    let (code, status, err) = chroma_api(&settings, &["migrate", "--status"]).await?;
    assert_eq!(code, 0, "{err}");
    let applied: Vec<&str> = status
        .lines()
        .filter_map(|l| l.strip_prefix("applied"))
        .map(str::trim)
        .collect();
    let known: Vec<String> = all.iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(applied, known, "every migration must be applied, in order: {status}");
    assert!(!status.contains("pending"), "{status}");

    let ssh_key_path = settings.ssh_key_path.clone();
    let mut env = TestEnv::start_with("upgrade", move |s| {
        s.database_url = url.into();
        s.ssh_key_path = ssh_key_path;
    })
    .await?;
    env.scheduler().await?;
    env.worker(2).await?;

    // What an operator sees.
    login(&env.base, "alice", ALICE_PASSWORD).await?;
    assert!(
        login(&env.base, "bob", "bob's long password").await.is_err(),
        "a disabled user logged in after the upgrade"
    );
    let hosts = objects(&env, "/api/host").await?;
    for (id, sim) in [(&seeded.mds1, &cluster.hosts[0]), (&seeded.oss1, &cluster.hosts[1])] {
        let host = find(&hosts, id)?;
        assert_eq!(host["nodename"], sim.name.as_str(), "{host}");
        assert_eq!(host["state"], "managed", "{host}");
        assert_eq!(host["fingerprint"], sim.fingerprint.as_str(), "{host}");
    }
    let filesystems = objects(&env, "/api/filesystem").await?;
    assert_eq!(find(&filesystems, &seeded.filesystem)?["name"], "fs1");
    let targets = objects(&env, "/api/target").await?;
    for (id, name) in seeded.targets.iter().zip(["MGS", "fs1-MDT0000", "fs1-OST0000"]) {
        let target = find(&targets, id)?;
        assert_eq!(target["name"], name, "{target}");
        assert_eq!(target["state"], "mounted", "{target}");
    }
    let command = env.command(&seeded.command.to_string()).await?;
    assert_eq!(command["state"], "succeeded", "{command}");
    assert_eq!(command["message"], "Create file system fs1", "{command}");
    let alerts = objects(&env, "/api/alert").await?;
    assert_eq!(find(&alerts, &seeded.alert)?["kind"], "target_failed_over");
    let events = objects(&env, "/api/event").await?;
    assert!(
        events.iter().any(|e| e["message"] == "alice created file system fs1"),
        "{events:?}"
    );
    let quotas = objects(&env, "/api/quota").await?;
    assert!(
        quotas.iter().any(|q| q["qid"] == 1000 && q["block_soft"] == 1_048_576),
        "{quotas:?}"
    );
    let (status, envelope) = env
        .get(&format!("/api/host/{}/metric?metrics=cpu_used", seeded.mds1))
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let points = envelope["response"]["series"][0]["points"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(points > 0, "the metric history did not survive the upgrade: {envelope}");

    // A new command reaches the servers with the pinned host keys.
    let (status, envelope) = env
        .post(&format!("/api/host/{}/probe", seeded.mds1), &json!({}))
        .await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let probe = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&probe, LONG).await?;
    assert_eq!(done["state"], "succeeded", "a command after the upgrade: {done}");

    drop(cluster);
    env.stop().await?;
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let admin = sea_orm::Database::connect(format!("{server}/postgres")).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS chroma_test_{name} WITH (FORCE)"))
        .await?;
    Ok(())
}
