//! `chroma-chaos`: proves the job engine's promises under sustained faults.
//!
//! It starts a private stack as child processes — its own PostgreSQL
//! cluster and RabbitMQ node, lustre-sim, the API, a scheduler and
//! several workers — sets up a file system on the simulated servers
//! through the API, and submits a stream of diagnostic and Lustre commands
//! while it SIGKILLs workers and the scheduler, restarts the API, RabbitMQ
//! and PostgreSQL, drops the simulated servers' SSH connections and slows
//! them. Then it stops the faults, waits for the engine to settle, checks
//! the invariants (`invariants.rs`), prints what it injected and checked,
//! and exits non-zero if any invariant broke. See docs/chaos.md.

mod broker;
mod client;
mod cluster;
mod faults;
mod history;
mod invariants;
mod postgres;
mod processes;
mod report;
mod rng;
mod run;
mod sim;
mod stack;
mod workload;

use clap::Parser;
use std::path::PathBuf;

/// Command-line arguments.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "chroma-chaos",
    version,
    about = "Run Chroma's job engine under faults and check its invariants"
)]
pub struct Args {
    /// Commands in the stream (diagnostic and Lustre commands).
    #[arg(long, default_value_t = 1000)]
    pub commands: usize,
    /// Unfinished commands at most at any time.
    #[arg(long, default_value_t = 8)]
    pub in_flight: usize,
    /// Worker processes.
    #[arg(long, default_value_t = 3)]
    pub workers: usize,
    /// Steps each worker runs at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: u16,
    /// Seconds between two faults.
    #[arg(long, default_value_t = 4.0)]
    pub fault_interval: f64,
    /// Rounds of faults at least (each round injects every kind once, in
    /// a random order); the stream is spread over them.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Seconds to wait for every command to finish once the faults stop.
    #[arg(long, default_value_t = 300)]
    pub settle_timeout: u64,
    /// Seed of the stream and of the faults' order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory of the built binaries (chroma-api, chroma-scheduler,
    /// chroma-worker, lustre-sim); default: next to this program.
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// The repository (for scripts/test-broker.sh); default: where this
    /// program was built from.
    #[arg(long)]
    pub repo_dir: Option<PathBuf>,
    /// Keep the run's directory (logs, database, simulator state) even
    /// when every invariant held.
    #[arg(long)]
    pub keep: bool,
}

impl Args {
    /// The directory of the binaries it starts.
    pub fn bins(&self) -> PathBuf {
        self.bin_dir.clone().unwrap_or_default()
    }

    /// The RabbitMQ helper script.
    pub fn broker_script(&self) -> PathBuf {
        self.repo_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")))
            .join("scripts")
            .join("test-broker.sh")
    }

    /// A fresh directory for this run.
    pub fn work_dir(&self) -> PathBuf {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        std::env::temp_dir().join(format!("chroma-chaos-{}", &tag[..8]))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    anyhow::ensure!(args.commands > 0, "--commands must be at least 1");
    anyhow::ensure!(args.workers > 0, "--workers must be at least 1");
    anyhow::ensure!(args.in_flight > 0, "--in-flight must be at least 1");
    anyhow::ensure!(
        args.fault_interval.is_finite() && args.fault_interval > 0.0,
        "--fault-interval must be a positive number of seconds"
    );
    if args.bin_dir.is_none() {
        let exe = std::env::current_exe()?;
        args.bin_dir = exe.parent().map(std::path::Path::to_path_buf);
    }
    if !run::run(&args).await? {
        std::process::exit(1);
    }
    Ok(())
}
