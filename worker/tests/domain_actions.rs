//! The Lustre domain actions against a simulated cluster over real SSH and
//! a real database: each action does its work once, and running it again
//! (a redelivered step) finds the work done.

use anyhow::{bail, Context};
use common::{Action, Settings};
use migrations::MigratorTrait;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::path::PathBuf;
use uuid::Uuid;
use worker::shared::Shared;

use store::sql::{execute, query};

/// A fresh migrated database and a worker's shared state on it.
async fn shared(key_path: &std::path::Path) -> anyhow::Result<Shared> {
    let mut settings = Settings::from_env()?;
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = Uuid::new_v4().simple().to_string();
    settings.database_url = format!("{server}/chroma_test_worker_{}", &name[..8]).into();
    settings.ssh_key_path = key_path.to_owned();
    store::ensure_database(settings.database_url.expose_secret()).await?;
    let db = store::connect(&settings).await?;
    migrations::Migrator::up(&db, None).await?;
    let broker = broker::Broker::new(&settings)?;
    let key = chroma_ssh::KeyPair::load_or_create(key_path)?;
    let ssh = chroma_ssh::Pools::new(key, chroma_ssh::PoolConfig::default());
    Ok(Shared::new(settings, db, broker, ssh, "test-worker".into()))
}

async fn act(shared: &Shared, action: Action) -> anyhow::Result<Value> {
    match worker::actions::run(shared, &action).await {
        Ok(output) => Ok(output),
        Err(error) => bail!("{} failed: {error}", action.name()),
    }
}

async fn one(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> anyhow::Result<sea_orm::QueryResult> {
    query(db, sql, values).await?.into_iter().next().context("no row")
}

async fn add_hosts(shared: &Shared, cluster: &lustre_sim::ClusterHandle) -> anyhow::Result<Vec<Uuid>> {
    let mut ids = Vec::new();
    for host in &cluster.hosts {
        let id = Uuid::now_v7();
        execute(
            &shared.db,
            "INSERT INTO host (id, address, port) VALUES ($1, '127.0.0.1', $2)",
            [id.into(), i32::from(host.addr.port()).into()],
        )
        .await?;
        act(shared, Action::ProbeHost { host_id: id }).await?;
        ids.push(id);
    }
    Ok(ids)
}

async fn volume(db: &DatabaseConnection, host: Uuid, path: &str) -> anyhow::Result<Uuid> {
    let row = one(
        db,
        "SELECT volume_id FROM volume_node WHERE host_id = $1 AND path = $2",
        vec![host.into(), path.into()],
    )
    .await?;
    Ok(row.try_get("", "volume_id")?)
}

#[expect(clippy::too_many_arguments, reason = "one row's columns, named at the call")]
async fn insert_target(
    db: &DatabaseConnection,
    kind: &str,
    name: &str,
    fs: Option<Uuid>,
    index: Option<i32>,
    volume: Uuid,
    primary: Uuid,
    failovers: Vec<Uuid>,
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    execute(
        db,
        "INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id, failover_host_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            id.into(),
            kind.into(),
            fs.into(),
            index.into(),
            name.into(),
            volume.into(),
            primary.into(),
            failovers.into(),
        ],
    )
    .await?;
    Ok(id)
}

async fn target_state(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<(String, Option<Uuid>)> {
    let row = one(
        db,
        "SELECT state, active_host_id FROM target WHERE id = $1",
        vec![id.into()],
    )
    .await?;
    Ok((row.try_get("", "state")?, row.try_get("", "active_host_id")?))
}

async fn sim(names: &[&str]) -> anyhow::Result<(lustre_sim::ClusterHandle, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("chroma-worker-test-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let key_path = dir.join("id_ed25519");
    let key = chroma_ssh::KeyPair::load_or_create(&key_path)?;
    let authorized = dir.join("authorized_keys");
    std::fs::write(&authorized, format!("{}\n", key.public_key_openssh()))?;
    let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    let config = lustre_sim::SimConfig::new(&dir.join("state"), &names, 0, &authorized);
    Ok((lustre_sim::Cluster::start(config).await?, key_path))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_system_is_built_moved_detected_and_removed() -> anyhow::Result<()> {
    let (cluster, key_path) = sim(&["mds1", "oss1", "oss2"]).await?;
    let shared = shared(&key_path).await?;
    let db = shared.db.clone();
    let hosts = add_hosts(&shared, &cluster).await?;
    let (mds1, oss1, oss2) = (hosts[0], hosts[1], hosts[2]);
    let row = one(&db, "SELECT lnet_state FROM host WHERE id = $1", vec![oss1.into()]).await?;
    assert_eq!(row.try_get::<String>("", "lnet_state")?, "lnet_down");
    for host in &hosts {
        let out = act(&shared, Action::StartLnet { host_id: *host }).await?;
        assert_eq!(out["configured"], true, "{out}");
        let again = act(&shared, Action::StartLnet { host_id: *host }).await?;
        assert_eq!(again["configured"], false, "{again}");
    }
    let row = one(
        &db,
        "SELECT lnet_state, nids FROM host WHERE id = $1",
        vec![oss1.into()],
    )
    .await?;
    assert_eq!(row.try_get::<String>("", "lnet_state")?, "lnet_up");
    assert_eq!(row.try_get::<Vec<String>>("", "nids")?, vec!["10.0.0.2@tcp"]);

    let mgt_volume = volume(&db, mds1, "/dev/sdb").await?;
    let mgt = insert_target(&db, "mgt", "MGS", None, None, mgt_volume, mds1, vec![]).await?;
    let fs = Uuid::now_v7();
    execute(
        &db,
        "INSERT INTO filesystem (id, name, mgs_id, conf_params) VALUES ($1, 'fs1', $2, '{\"sys.timeout\": \"40\"}')",
        [fs.into(), mgt.into()],
    )
    .await?;
    let mdt_volume = volume(&db, mds1, "/dev/sdc").await?;
    let mdt = insert_target(&db, "mdt", "fs1-MDT0000", Some(fs), Some(0), mdt_volume, mds1, vec![]).await?;
    let ost_volume = volume(&db, oss1, "/dev/sdb").await?;
    let ost = insert_target(
        &db,
        "ost",
        "fs1-OST0000",
        Some(fs),
        Some(0),
        ost_volume,
        oss1,
        vec![oss2],
    )
    .await?;

    for target in [mgt, mdt, ost] {
        let out = act(&shared, Action::FormatTarget { target_id: target }).await?;
        assert_eq!(out["formatted"], true, "{out}");
        let again = act(&shared, Action::FormatTarget { target_id: target }).await?;
        assert_eq!(again["formatted"], false, "{again}");
        assert_eq!(target_state(&db, target).await?.0, "formatted");
    }
    let state = cluster.state().await;
    for serial in ["SIMDISK00000", "SIMDISK00001", "SIMDISK00100"] {
        assert_eq!(state.devices[serial].format_count, 1, "{serial}");
    }

    for target in [mgt, mdt, ost] {
        act(&shared, Action::RegisterTarget { target_id: target }).await?;
        act(&shared, Action::RegisterTarget { target_id: target }).await?;
        act(&shared, Action::ConfigureTarget { target_id: target }).await?;
        let out = act(&shared, Action::MountTarget { target_id: target }).await?;
        assert_eq!(out["mounted"], true, "{out}");
        let again = act(&shared, Action::MountTarget { target_id: target }).await?;
        assert_eq!(again["mounted"], false, "{again}");
    }
    assert_eq!(target_state(&db, ost).await?, ("mounted".into(), Some(oss1)));

    let applied = act(&shared, Action::ApplyConfParams { filesystem_id: fs }).await?;
    assert_eq!(applied["applied"], json!(["fs1.sys.timeout=40"]), "{applied}");
    let again = act(&shared, Action::ApplyConfParams { filesystem_id: fs }).await?;
    assert_eq!(again["skipped"], json!(["sys.timeout"]), "{again}");

    let moved = act(
        &shared,
        Action::FailoverTarget {
            target_id: ost,
            host_id: oss2,
        },
    )
    .await?;
    assert_eq!(moved["moved"], true, "{moved}");
    assert_eq!(target_state(&db, ost).await?, ("mounted".into(), Some(oss2)));
    let refused = act(
        &shared,
        Action::FailoverTarget {
            target_id: ost,
            host_id: mds1,
        },
    )
    .await;
    assert!(refused.is_err());
    act(&shared, Action::FailbackTarget { target_id: ost }).await?;
    assert_eq!(target_state(&db, ost).await?, ("mounted".into(), Some(oss1)));

    let busy = act(&shared, Action::StopLnet { host_id: oss1 }).await;
    let message = busy.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("fs1-OST0000"), "{message}");

    let known = act(&shared, Action::DetectFilesystems).await?;
    assert_eq!(known["new_targets"], json!([]), "{known}");
    assert_eq!(known["filesystems"], json!(["fs1"]), "{known}");

    // A second Chroma that never saw this cluster detects it.
    let fresh = self::shared(&key_path).await?;
    add_hosts(&fresh, &cluster).await?;
    let found = act(&fresh, Action::DetectFilesystems).await?;
    assert_eq!(found["new_filesystems"], json!(["fs1"]), "{found}");
    assert_eq!(
        found["new_targets"],
        json!(["MGS", "fs1-MDT0000", "fs1-OST0000"]),
        "{found}"
    );
    let again = act(&fresh, Action::DetectFilesystems).await?;
    assert_eq!(again["new_targets"], json!([]), "{again}");
    let row = one(&fresh.db, "SELECT conf_params, managed FROM filesystem", vec![]).await?;
    assert_eq!(row.try_get::<Value>("", "conf_params")?, json!({"sys.timeout": "40"}));
    assert!(!row.try_get::<bool>("", "managed")?);
    let row = one(
        &fresh.db,
        "SELECT state, cardinality(failover_host_ids) AS failovers FROM target WHERE name = 'fs1-OST0000'",
        vec![],
    )
    .await?;
    assert_eq!(row.try_get::<String>("", "state")?, "mounted");
    assert_eq!(row.try_get::<i32>("", "failovers")?, 1);

    let in_use = act(&shared, Action::RemoveTarget { target_id: ost }).await;
    assert!(in_use.is_err());
    act(&shared, Action::UnmountTarget { target_id: ost }).await?;
    let again = act(&shared, Action::UnmountTarget { target_id: ost }).await?;
    assert_eq!(again["unmounted"], false, "{again}");
    assert!(act(&shared, Action::RemoveHost { host_id: oss2 }).await.is_err());
    act(&shared, Action::RemoveTarget { target_id: ost }).await?;
    act(&shared, Action::RemoveHost { host_id: oss2 }).await?;
    assert!(act(&shared, Action::RemoveFilesystem { filesystem_id: fs })
        .await
        .is_err());
    act(&shared, Action::StopLnet { host_id: oss1 }).await?;
    cluster.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_foreign_targets_and_changed_host_keys() -> anyhow::Result<()> {
    let (cluster, key_path) = sim(&["mds1", "oss1"]).await?;
    let shared = shared(&key_path).await?;
    let db = shared.db.clone();
    let hosts = add_hosts(&shared, &cluster).await?;
    let mds1 = hosts[0];
    act(&shared, Action::StartLnet { host_id: mds1 }).await?;
    let fingerprint = chroma_ssh::Fingerprint::parse(&cluster.hosts[0].fingerprint.to_string())?;
    let mkfs = [
        "mkfs.lustre",
        "--ost",
        "--fsname=other",
        "--index=5",
        "--mgsnode=10.0.0.9@tcp",
        "/dev/sdd",
    ];
    let target = chroma_ssh::Target::new("127.0.0.1", cluster.hosts[0].addr.port(), "root");
    let out = shared
        .ssh
        .exec(&target, &fingerprint, &mkfs, std::time::Duration::from_secs(30))
        .await?;
    assert!(out.success(), "{out:?}");
    let volume = volume(&db, mds1, "/dev/sdd").await?;
    let mgt = insert_target(&db, "mgt", "MGS", None, None, volume, mds1, vec![]).await?;
    let refused = act(&shared, Action::FormatTarget { target_id: mgt }).await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("holds another Lustre target other:OST0005; refusing to overwrite it"),
        "{message}"
    );

    // A host added with oss1's key but reached at mds1's address.
    let wrong = cluster.hosts[1].fingerprint.to_string();
    let id = Uuid::now_v7();
    execute(
        &db,
        "UPDATE host SET address = 'localhost' WHERE id = $1",
        [mds1.into()],
    )
    .await?;
    execute(
        &db,
        "INSERT INTO host (id, address, port, fingerprint) VALUES ($1, '127.0.0.1', $2, $3)",
        [id.into(), i32::from(cluster.hosts[0].addr.port()).into(), wrong.into()],
    )
    .await?;
    assert!(act(&shared, Action::ProbeHost { host_id: id }).await.is_err());
    let alert = one(
        &db,
        "SELECT severity, message FROM alert WHERE kind = 'host_key_changed' AND item = $1",
        vec![format!("host/{id}").into()],
    )
    .await?;
    assert_eq!(alert.try_get::<String>("", "severity")?, "error");
    assert!(act(&shared, Action::ProbeHost { host_id: id }).await.is_err());
    cluster.shutdown().await;
    Ok(())
}
