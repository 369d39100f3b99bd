//! The simulated servers: a `lustre-sim` process serving mds1 (no
//! Pacemaker) and the HA pair oss1/oss2 on fixed ports, so that killing
//! and restarting it drops every SSH connection while the servers keep
//! their state (a restarted simulator keeps its mounts) and their
//! addresses.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use crate::processes::{port_free, sigkill, Recipe};

/// The simulated hosts: an MDS, then the OSS pair.
pub const HOSTS: [&str; 3] = ["mds1", "oss1", "oss2"];
/// How long the simulator may take to print its endpoints.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// One simulated host's SSH endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub port: u16,
    pub fingerprint: String,
}

/// The running simulator.
pub struct Sim {
    pub state_dir: PathBuf,
    pub endpoints: Vec<Endpoint>,
    recipe: Recipe,
    child: Child,
}

impl Sim {
    /// Serves the hosts from `dir/sim`, accepting `authorized_keys`.
    pub async fn start(binary: &Path, dir: &Path, authorized_keys: &Path, seed: u64) -> anyhow::Result<Self> {
        let state_dir = dir.join("sim");
        std::fs::create_dir_all(&state_dir)?;
        let mut base = 30_000 + u16::try_from(seed % 9_000).unwrap_or(0);
        while !(base..base + 3).all(port_free) {
            base += 3;
            anyhow::ensure!(base < 40_000, "no three free ports for the simulator");
        }
        let text = |p: &Path| p.to_string_lossy().into_owned();
        let recipe = Recipe {
            binary: binary.to_path_buf(),
            args: vec![
                "--state-dir".into(),
                text(&state_dir),
                "--hosts".into(),
                HOSTS.join(","),
                "--no-pacemaker".into(),
                HOSTS[0].into(),
                "--base-port".into(),
                base.to_string(),
                "--authorized-keys".into(),
                text(authorized_keys),
                "serve".into(),
            ],
            env: Vec::new(),
            log: dir.join("logs").join("lustre-sim.log"),
        };
        let (child, endpoints) = spawn(&recipe).await?;
        Ok(Self {
            state_dir,
            endpoints,
            recipe,
            child,
        })
    }

    /// Kills the simulator (every SSH connection drops mid-command) and
    /// serves the same hosts again from the saved state.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        sigkill(&mut self.child).await?;
        let (child, _) = spawn(&self.recipe).await?;
        self.child = child;
        Ok(())
    }

    /// Makes every command on `host` take `ms` longer (0 clears).
    pub fn slow(&self, host: &str, ms: u64) -> anyhow::Result<()> {
        lustre_sim::inject_fault(&self.state_dir, host, lustre_sim::FaultCommand::Slow(ms))
    }

    /// The side-effect counters (`lustre-sim counters`).
    pub fn counters(&self) -> anyhow::Result<serde_json::Value> {
        lustre_sim::state::counters(&self.state_dir)
    }

    /// Stops it.
    pub async fn stop(mut self) {
        let _ = sigkill(&mut self.child).await;
    }
}

/// Starts the simulator and reads one `NAME ADDRESS FINGERPRINT` line per host.
async fn spawn(recipe: &Recipe) -> anyhow::Result<(Child, Vec<Endpoint>)> {
    let mut child = recipe.spawn(true)?;
    let stdout = child.stdout.take().context("lustre-sim has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut endpoints = Vec::new();
    let read = async {
        while endpoints.len() < HOSTS.len() {
            let line = lines.next_line().await?.context("lustre-sim exited before serving")?;
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [name, address, fingerprint] = words[..] {
                let port = address
                    .rsplit_once(':')
                    .and_then(|(_, p)| p.parse().ok())
                    .with_context(|| format!("bad lustre-sim endpoint line {line:?}"))?;
                endpoints.push(Endpoint {
                    name: name.to_owned(),
                    port,
                    fingerprint: fingerprint.to_owned(),
                });
            }
        }
        anyhow::Ok(())
    };
    match tokio::time::timeout(READY_TIMEOUT, read).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            let _ = sigkill(&mut child).await;
            return Err(err.context(format!("see {}", recipe.log.display())));
        }
        Err(_) => {
            let _ = sigkill(&mut child).await;
            anyhow::bail!("lustre-sim did not serve within {READY_TIMEOUT:?}");
        }
    }
    // Keep draining stdout so the simulator never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, endpoints))
}
