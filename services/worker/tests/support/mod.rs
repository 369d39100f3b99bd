//! What the worker's integration tests share: a simulated cluster over real
//! SSH, a fresh migrated database, and a few row helpers.
#![allow(dead_code, reason = "each test binary uses a part of it")]

use anyhow::{bail, Context};
use lustre::Action;
use migrations::MigratorTrait;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use serde_json::Value;
use setup::Settings;
use std::path::PathBuf;
use uuid::Uuid;
use worker::shared::Shared;

use store::sql::{execute, query};

/// A fresh migrated database and a worker's shared state on it.
pub async fn shared(key_path: &std::path::Path) -> anyhow::Result<Shared> {
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
    let health = setup::ops::Health::new("worker")?;
    Ok(Shared::new(settings, db, broker, ssh, "test-worker".into(), health)?)
}

pub async fn act(shared: &Shared, action: Action) -> anyhow::Result<Value> {
    match worker::actions::run(shared, &action).await {
        Ok(output) => Ok(output),
        Err(error) => bail!("{} failed: {error}", action.name()),
    }
}

pub async fn one(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> anyhow::Result<sea_orm::QueryResult> {
    query(db, sql, values).await?.into_iter().next().context("no row")
}

pub async fn add_hosts(shared: &Shared, cluster: &lustre_sim::ClusterHandle) -> anyhow::Result<Vec<Uuid>> {
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

pub async fn volume(db: &DatabaseConnection, host: Uuid, path: &str) -> anyhow::Result<Uuid> {
    let row = one(
        db,
        "SELECT volume_id FROM volume_node WHERE host_id = $1 AND path = $2",
        vec![host.into(), path.into()],
    )
    .await?;
    Ok(row.try_get("", "volume_id")?)
}

#[expect(clippy::too_many_arguments, reason = "one row's columns, named at the call")]
pub async fn insert_target(
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

/// Makes target `id` a Pacemaker resource (as the API does when its
/// servers form an HA cluster); returns the resource id.
pub async fn keep_by_pacemaker(db: &DatabaseConnection, id: Uuid, name: &str) -> anyhow::Result<String> {
    let resource = lustre::pacemaker::resource_id(name, id);
    execute(
        db,
        "UPDATE target SET ha_mode = 'pacemaker', ha_resource = $2 WHERE id = $1",
        [id.into(), resource.clone().into()],
    )
    .await?;
    Ok(resource)
}

/// Records an HA cluster of `members` fenced by the simulator's agent, as
/// `POST /api/ha_cluster` does; returns its id.
pub async fn insert_ha_cluster(db: &DatabaseConnection, name: &str, members: &[Uuid]) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    let devices: Vec<serde_json::Value> = members
        .iter()
        .map(|m| serde_json::json!({"host_id": m, "agent": "fence_lustre_sim", "params": {}}))
        .collect();
    execute(
        db,
        "INSERT INTO ha_cluster (id, name, fencing, authkey) VALUES ($1, $2, $3, $4)",
        [
            id.into(),
            name.into(),
            serde_json::json!({ "devices": devices }).into(),
            vec![7u8; 256].into(),
        ],
    )
    .await?;
    execute(
        db,
        "UPDATE host SET ha_cluster_id = $1 WHERE id = ANY($2)",
        [id.into(), members.to_vec().into()],
    )
    .await?;
    Ok(id)
}

pub async fn target_state(db: &DatabaseConnection, id: Uuid) -> anyhow::Result<(String, Option<Uuid>)> {
    let row = one(
        db,
        "SELECT state, active_host_id FROM target WHERE id = $1",
        vec![id.into()],
    )
    .await?;
    Ok((row.try_get("", "state")?, row.try_get("", "active_host_id")?))
}

pub async fn sim(names: &[&str]) -> anyhow::Result<(lustre_sim::ClusterHandle, PathBuf)> {
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

/// The error of an action that must fail.
pub async fn refused(shared: &Shared, action: Action) -> String {
    match act(shared, action).await {
        Ok(output) => format!("unexpectedly succeeded: {output}"),
        Err(err) => err.to_string(),
    }
}

/// How many times the simulator formatted the device with `serial`.
pub async fn format_count(cluster: &lustre_sim::ClusterHandle, serial: &str) -> u64 {
    cluster.state().await.devices.get(serial).map_or(0, |d| d.format_count)
}

/// Runs `argv` on simulated host `index` directly, as an operator would.
pub async fn run_on(
    shared: &Shared,
    cluster: &lustre_sim::ClusterHandle,
    index: usize,
    argv: &[&str],
) -> anyhow::Result<chroma_ssh::ExecOutput> {
    let host = &cluster.hosts[index];
    let fingerprint = chroma_ssh::Fingerprint::parse(&host.fingerprint.to_string())?;
    let target = chroma_ssh::Target::new("127.0.0.1", host.addr.port(), "root");
    Ok(shared
        .ssh
        .exec(&target, &fingerprint, argv, std::time::Duration::from_secs(30))
        .await?)
}
