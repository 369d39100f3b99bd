//! The suite's own PostgreSQL cluster: `initdb` into the run's directory,
//! `pg_ctl start` on a free port, and `pg_ctl restart -m immediate` as a
//! fault (a crash: no checkpoint, recovery from the WAL on start). When
//! the suite runs as root the cluster runs as the `postgres` user, since
//! PostgreSQL refuses root.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::processes::{free_port, run};

/// Longest a start, stop or restart may take.
const PG_CTL_TIMEOUT: Duration = Duration::from_secs(120);

/// A running private cluster.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
    /// `runuser -u postgres --` when running as root.
    runas: Option<String>,
}

impl Postgres {
    /// Creates a cluster under `dir` and starts it; creates database `name`.
    pub async fn start(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let bin = bin_dir()?;
        let root = dir.join("postgres");
        std::fs::create_dir_all(&root)?;
        let runas = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")?
                .context("running as root needs a `postgres` user to run PostgreSQL as")?;
            std::os::unix::fs::chown(&root, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .with_context(|| format!("cannot give {} to postgres", root.display()))?;
            Some("postgres".to_owned())
        } else {
            None
        };
        let pg = Self {
            bin,
            data: root.join("data"),
            log: root.join("postgres.log"),
            port: free_port()?,
            runas,
        };
        let data = pg.data.to_string_lossy().into_owned();
        pg.tool(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
        )
        .await?;
        pg.pg_ctl(&["start"]).await?;
        let port = pg.port.to_string();
        pg.tool("createdb", &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name])
            .await?;
        Ok(pg)
    }

    /// `DATABASE_URL` of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Crashes the cluster (`-m immediate`) and starts it again.
    pub async fn restart(&self) -> anyhow::Result<()> {
        self.pg_ctl(&["restart", "-m", "immediate"]).await
    }

    /// Stops it without waiting for clients.
    pub async fn stop(&self) -> anyhow::Result<()> {
        self.pg_ctl(&["stop", "-m", "immediate"]).await
    }

    async fn pg_ctl(&self, action: &[&str]) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
            self.port,
            self.data.parent().unwrap_or(&self.data).display()
        );
        let data = self.data.to_string_lossy().into_owned();
        let log = self.log.to_string_lossy().into_owned();
        let mut args = vec!["-D", &data, "-l", &log, "-w", "-t", "100", "-o", &options];
        args.extend_from_slice(action);
        self.tool("pg_ctl", &args).await.map(|_| ())
    }

    async fn tool(&self, tool: &str, args: &[&str]) -> anyhow::Result<String> {
        let program = self.bin.join(tool);
        let mut argv: Vec<String> = Vec::new();
        let runner = match &self.runas {
            Some(user) => {
                argv.extend(["-u".to_owned(), user.clone(), "--".to_owned()]);
                argv.push(program.to_string_lossy().into_owned());
                PathBuf::from("runuser")
            }
            None => program,
        };
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        run(&runner, &argv, PG_CTL_TIMEOUT).await
    }
}

/// The newest `/usr/lib/postgresql/VERSION/bin` (`CHAOS_PG_BIN` overrides).
fn bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("CHAOS_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL's server binaries are not in /usr/lib/postgresql (set CHAOS_PG_BIN)")?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .context("no /usr/lib/postgresql/*/bin/pg_ctl (set CHAOS_PG_BIN)")
}
