//! The worker: consumes step messages, claims each step in PostgreSQL,
//! runs its action, records the result, tells the scheduler, and only then
//! acknowledges. Run as many as the load needs.

pub mod actions;
pub mod claims;
pub mod consume;
pub mod error;
pub mod heartbeat;
pub mod metrics;
pub mod results;
pub mod shared;

use anyhow::Context;
use broker::Broker;
use setup::ops::Ops;
use setup::Settings;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::shared::Shared;

/// A worker ready to run.
pub struct Worker {
    shared: Arc<Shared>,
    /// Liveness, readiness and metrics (`CHROMA_OPS_BIND`).
    ops: Ops,
}

impl Worker {
    /// Connects to the database, prepares the broker and SSH pools, and
    /// loads (or creates) Chroma's SSH key. The worker id is
    /// `settings.worker_id` (`CHROMA_WORKER_ID`), else made of the host
    /// name and process id.
    /// Its ops endpoint starts first; it is ready once the database and
    /// the broker answer and it consumes the steps queue.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let ops = Ops::start(&settings, "worker")?;
        let health = ops.health().clone();
        health.set("database", Err("not connected yet".into()));
        health.set("steps", Err("not consuming the steps queue yet".into()));
        let db = store::connect_patiently(&settings, std::time::Duration::from_secs(120))
            .await
            .context("failed to connect to the database")?;
        let broker = Broker::new(&settings).context("failed to set up the broker pool")?;
        let worker_id = settings.worker_id.clone().unwrap_or_else(default_worker_id);
        plugin_host::sandbox::request_user(settings.plugin_user.as_deref());
        let key = chroma_ssh::KeyPair::load_or_create(&settings.ssh_key_path)
            .with_context(|| format!("failed to load the SSH key {}", settings.ssh_key_path.display()))?;
        let ssh = chroma_ssh::Pools::new(key, chroma_ssh::PoolConfig::default());
        store::connect::probe_readiness(&health, &db);
        let probed = broker.clone();
        health.probe("broker", move || {
            let broker = probed.clone();
            async move { broker.readiness().await }
        });
        Ok(Self {
            shared: Arc::new(Shared::new(settings, db, broker, ssh, worker_id, health)?),
            ops,
        })
    }

    /// Takes steps until `shutdown`, then drains and returns.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.ops.stop_on(&shutdown);
        let (finished_tx, finished_rx) = tokio::sync::mpsc::unbounded_channel();
        let recorder = tokio::spawn(results::run(self.shared.clone(), finished_rx));
        let heartbeat_stop = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat::run(self.shared.clone(), heartbeat_stop.clone()));
        consume::run(self.shared.clone(), finished_tx, shutdown).await;
        heartbeat_stop.cancel();
        heartbeat.await.context("heartbeat task panicked")?;
        // Every sender is gone once running steps ended; the recorder ends.
        recorder.await.context("result task panicked")?;
        self.shared.broker.close().await;
        tracing::info!(worker = %self.shared.worker_id, "worker stopped");
        Ok(())
    }
}

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let short = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{}-{}-{}",
        if host.is_empty() { "worker" } else { &host },
        std::process::id(),
        &short[..6]
    )
}
