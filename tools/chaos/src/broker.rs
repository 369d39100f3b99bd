//! The suite's own RabbitMQ node, through `scripts/test-broker.sh` (a
//! private node with its own port, data directory and Erlang cookie).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::processes::{port_free, run};

/// Longest a broker start, restart or stop may take.
const BROKER_TIMEOUT: Duration = Duration::from_secs(150);

/// A running private node.
pub struct Broker {
    script: PathBuf,
    dir: PathBuf,
    pub port: u16,
}

impl Broker {
    /// Starts a node with its data under `dir`, on a port whose
    /// distribution port (port + 20000) is free too.
    pub async fn start(script: &Path, dir: &Path, seed: u64) -> anyhow::Result<Self> {
        let mut port = 21_000 + u16::try_from(seed % 20_000).unwrap_or(0);
        while !(port_free(port) && port_free(port + 20_000)) {
            port += 1;
            anyhow::ensure!(port < 45_000, "no free port pair for the broker");
        }
        let broker = Self {
            script: script.to_path_buf(),
            dir: dir.join("rabbitmq"),
            port,
        };
        broker.script("start").await?;
        Ok(broker)
    }

    /// `AMQP_URL` of the node.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Restarts the broker keeping its data: every connection is closed,
    /// durable queues and persistent messages survive.
    pub async fn restart(&self) -> anyhow::Result<()> {
        self.script("restart").await
    }

    /// Stops the node.
    pub async fn stop(&self) -> anyhow::Result<()> {
        self.script("stop").await
    }

    async fn script(&self, command: &str) -> anyhow::Result<()> {
        let args = vec![
            self.script.to_string_lossy().into_owned(),
            command.to_owned(),
            self.port.to_string(),
            self.dir.to_string_lossy().into_owned(),
        ];
        run(Path::new("bash"), &args, BROKER_TIMEOUT).await.map(|_| ())
    }
}
