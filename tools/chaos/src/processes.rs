//! Child processes the suite starts, kills and restarts: the Chroma
//! binaries and lustre-sim. Each role appends to one log file across its
//! restarts, so a run's logs read in order.

use anyhow::Context;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// How a binary is started (again): its path, arguments, environment and log.
#[derive(Debug, Clone)]
pub struct Recipe {
    pub binary: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub log: PathBuf,
}

impl Recipe {
    /// Starts the binary, its stderr appended to the log; stdout is piped
    /// when `stdout` is set (lustre-sim prints its endpoints there).
    pub fn spawn(&self, stdout: bool) -> anyhow::Result<Child> {
        anyhow::ensure!(
            self.binary.exists(),
            "{} is missing: run `cargo build --workspace --bins` first (or give --bin-dir)",
            self.binary.display()
        );
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open {}", self.log.display()))?;
        Command::new(&self.binary)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "RUST_LOG",
                std::env::var("CHAOS_CHILD_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(if stdout { Stdio::piped() } else { Stdio::null() })
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))
    }
}

/// A running child that can be crashed and started again.
pub struct Service {
    recipe: Recipe,
    child: Child,
}

impl Service {
    /// Starts `recipe`.
    pub fn start(recipe: Recipe) -> anyhow::Result<Self> {
        let child = recipe.spawn(false)?;
        Ok(Self { recipe, child })
    }

    /// SIGKILL, as a crash would, and reap it.
    pub async fn crash(&mut self) -> anyhow::Result<()> {
        sigkill(&mut self.child).await
    }

    /// Crashes it and starts it again with the same recipe.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.crash().await?;
        self.child = self.recipe.spawn(false)?;
        Ok(())
    }

    /// Whether it still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(pid) = pid_of(&self.child) {
            let _ = kill(pid, Signal::SIGTERM);
            if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
                return;
            }
        }
        let _ = sigkill(&mut self.child).await;
    }
}

fn pid_of(child: &Child) -> Option<Pid> {
    child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw)
}

/// SIGKILLs `child` (if it still runs) and reaps it.
pub async fn sigkill(child: &mut Child) -> anyhow::Result<()> {
    if let Some(pid) = pid_of(child) {
        // Already gone (ESRCH) is fine: it is reaped below.
        let _ = kill(pid, Signal::SIGKILL);
    }
    child.wait().await.context("cannot reap a killed process")?;
    Ok(())
}

/// A free TCP port on 127.0.0.1, as the kernel picks it.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether `port` on 127.0.0.1 can be bound now.
pub fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Runs a short command to completion; fails with its output unless it
/// exits 0 within `timeout`.
pub async fn run(program: &Path, args: &[String], timeout: Duration) -> anyhow::Result<String> {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null()).kill_on_drop(true);
    let output = tokio::time::timeout(timeout, command.output())
        .await
        .with_context(|| format!("{} {args:?} did not finish within {timeout:?}", program.display()))?
        .with_context(|| format!("cannot run {}", program.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    anyhow::ensure!(
        output.status.success(),
        "{} {args:?} failed ({}): {text}",
        program.display(),
        output.status
    );
    Ok(text)
}
