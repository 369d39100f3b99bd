//! The scheduler: turns submitted commands into running jobs. It grants
//! locks and dependencies in PostgreSQL transactions, publishes each step
//! when its turn comes, advances jobs as workers report results, fails
//! dead-lettered steps, and sweeps for anything a crash left behind.
//! Several schedulers may run at once.

pub mod dead_letters;
pub mod dispatch;
pub mod engine;
pub mod grants;
pub mod locks;
pub mod metrics;
pub mod notifications;
pub mod recovery;
pub mod results;
pub mod retention;

use anyhow::Context;
use broker::Broker;
use setup::ops::Ops;
use setup::Settings;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;

/// A scheduler ready to run.
pub struct Scheduler {
    engine: Arc<Engine>,
    /// Liveness, readiness and metrics (`CHROMA_OPS_BIND`).
    ops: Ops,
}

impl Scheduler {
    /// Starts the ops endpoint, connects to the database and prepares
    /// the broker pool. Ready once the database and the broker answer.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let ops = Ops::start(&settings, "scheduler")?;
        let health = ops.health().clone();
        health.set("database", Err("not connected yet".into()));
        let db = store::connect_patiently(&settings, std::time::Duration::from_secs(120))
            .await
            .context("failed to connect to the database")?;
        let broker = Broker::new(&settings).context("failed to set up the broker pool")?;
        store::connect::probe_readiness(&health, &db);
        let probed = broker.clone();
        health.probe("broker", move || {
            let broker = probed.clone();
            async move { broker.readiness().await }
        });
        Ok(Self {
            engine: Arc::new(Engine::new(settings, db, broker, health)?),
            ops,
        })
    }

    /// Runs every loop until `shutdown` is cancelled.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(prefix = %self.engine.settings.queue_prefix, "scheduler starting");
        self.ops.stop_on(&shutdown);
        let loops = vec![
            tokio::spawn(results::run(self.engine.clone(), shutdown.clone())),
            tokio::spawn(notifications::run(self.engine.clone(), shutdown.clone())),
            tokio::spawn(dead_letters::run(self.engine.clone(), shutdown.clone())),
            tokio::spawn(grants::run(self.engine.clone(), shutdown.clone())),
            tokio::spawn(recovery::run(self.engine.clone(), shutdown.clone())),
            tokio::spawn(retention::run(self.engine.clone(), shutdown.clone())),
        ];
        for task in loops {
            task.await.context("a scheduler loop panicked")?;
        }
        self.engine.flush(std::time::Duration::from_secs(10)).await;
        self.engine.broker.close().await;
        tracing::info!("scheduler stopped");
        Ok(())
    }
}
