//! Chroma binaries run as real child processes, so tests can SIGKILL or
//! SIGTERM them. Their output goes to `target/test-logs/`.

use anyhow::{bail, Context};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running Chroma binary; killed when dropped.
pub struct Process {
    child: Child,
    pub log: PathBuf,
}

/// The directory holding the built binaries (next to the test's `deps/`).
pub fn binary_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let deps = exe.parent().context("test binary has no directory")?;
    Ok(deps
        .parent()
        .context("test binary directory has no parent")?
        .to_path_buf())
}

impl Process {
    /// Starts `binary` with `env`, its output in a log named after `test`.
    pub fn spawn(binary: &str, test: &str, env: &[(String, String)]) -> anyhow::Result<Self> {
        let dir = binary_dir()?;
        let path = dir.join(binary);
        if !path.exists() {
            bail!(
                "{} is missing: run `cargo build --workspace --bins` before the tests",
                path.display()
            );
        }
        let logs = dir.join("..").join("test-logs");
        std::fs::create_dir_all(&logs)?;
        let log = logs.join(format!("{test}-{binary}-{}.log", uuid::Uuid::new_v4().simple()));
        let file = std::fs::File::create(&log)?;
        let child = Command::new(&path)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "RUST_LOG",
                std::env::var("TEST_CHILD_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env_remove("RUST_BACKTRACE")
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("failed to start {}", path.display()))?;
        Ok(Self { child, log })
    }

    /// The operating system's process id, while it runs.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    fn pid(&self) -> anyhow::Result<Pid> {
        let id = self.child.id().context("process already reaped")?;
        Ok(Pid::from_raw(i32::try_from(id)?))
    }

    /// SIGKILL, as a crash would, and reap it.
    pub async fn crash(mut self) -> anyhow::Result<()> {
        kill(self.pid()?, Signal::SIGKILL)?;
        self.child.wait().await?;
        Ok(())
    }

    /// SIGTERM; returns the exit code once it exits within `timeout`.
    pub async fn terminate(mut self, timeout: Duration) -> anyhow::Result<Option<i32>> {
        kill(self.pid()?, Signal::SIGTERM)?;
        let status = tokio::time::timeout(timeout, self.child.wait())
            .await
            .with_context(|| format!("process did not exit within {timeout:?} of SIGTERM"))??;
        Ok(status.code())
    }

    /// Whether it still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// SIGKILLs a process by id.
pub fn kill_now(pid: u32) -> anyhow::Result<()> {
    kill(Pid::from_raw(i32::try_from(pid)?), Signal::SIGKILL)?;
    Ok(())
}
