//! `chroma-bench`: measures the job engine against the real PostgreSQL and
//! RabbitMQ (`DATABASE_URL`, `AMQP_URL`).
//!
//! By default it starts its own stack in-process (a fresh database, a
//! unique queue prefix, the API, one scheduler and `--workers` workers),
//! submits `--commands` commands of `--steps` no-op steps through the HTTP
//! API, waits for all of them to finish, and prints throughput and
//! dispatch latency. `--chain N` runs one job of N dependent steps and
//! prints the time per step. `--broker-only` instead measures the raw RabbitMQ
//! publish → consume → ack round trip. Everything the bench created is
//! removed afterwards unless `--keep` is given.

mod broker_only;
mod engine_run;
mod report;
mod stack;
mod stats;
mod submit;

use clap::Parser;

/// Command-line arguments.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "chroma-bench",
    version,
    about = "Benchmark the Chroma job engine on the real stack"
)]
pub struct Args {
    /// Commands to submit (each one job of `--steps` no-op steps).
    #[arg(long, default_value_t = 2000)]
    pub commands: usize,
    /// No-op steps per command.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub steps: u16,
    /// In-process workers.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Steps each worker runs at once (also its prefetch).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Submit at this steady rate (commands per second) instead of all at once.
    #[arg(long, value_name = "RATE")]
    pub paced: Option<f64>,
    /// Concurrent HTTP submissions at most.
    #[arg(long, default_value_t = 16)]
    pub parallel: usize,
    /// Give up waiting for the commands after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Measure the raw broker round trip instead of the engine.
    #[arg(long)]
    pub broker_only: bool,
    /// Messages to send in `--broker-only` mode.
    #[arg(long, default_value_t = 100_000)]
    pub messages: usize,
    /// Messages published per confirmed batch in `--broker-only` mode.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Consumer prefetch in `--broker-only` mode.
    #[arg(long, default_value_t = 256)]
    pub prefetch: u16,
    /// Body size in bytes in `--broker-only` mode (a step message is ~170).
    #[arg(long, default_value_t = 170)]
    pub message_size: usize,
    /// Also print steps finished per second over time.
    #[arg(long)]
    pub timeline: bool,
    /// Also print a one-line JSON summary.
    #[arg(long)]
    pub json: bool,
    /// Keep the bench database and queues (for inspection).
    #[arg(long)]
    pub keep: bool,
    /// Run one command of one job whose N no-op steps each wait for the
    /// one before (a dependent chain), and print the time per step;
    /// replaces `--commands` and `--steps`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000),
          conflicts_with_all = ["paced", "broker_only"])]
    pub chain: Option<u16>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if let Some(steps) = args.chain {
        args.commands = 1;
        args.steps = steps;
    }
    anyhow::ensure!(args.commands > 0, "--commands must be at least 1");
    anyhow::ensure!(args.workers > 0, "--workers must be at least 1");
    anyhow::ensure!(args.parallel > 0, "--parallel must be at least 1");
    anyhow::ensure!(
        args.batch > 0 && args.messages > 0,
        "--batch and --messages must be at least 1"
    );
    if let Some(rate) = args.paced {
        anyhow::ensure!(rate.is_finite() && rate > 0.0, "--paced must be a positive rate");
    }
    if std::env::var_os("RUST_LOG").is_some() {
        setup::telemetry::init();
    }
    if args.broker_only {
        broker_only::run(&args).await
    } else {
        engine_run::run(&args).await
    }
}
