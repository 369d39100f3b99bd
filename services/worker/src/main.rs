//! `chroma-worker`: runs steps. SIGTERM stops it gracefully.

use clap::Parser;

/// Chroma's worker: runs the steps of jobs. SIGTERM stops it gracefully.
#[derive(Debug, Parser)]
#[command(name = "chroma-worker", version)]
struct Cli {
    #[command(flatten)]
    settings: setup::SettingsArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // --help and --version answer here, before anything starts.
    let cli: Cli = setup::args::parse();
    setup::process::make_undumpable();
    let settings = setup::Settings::try_from(cli.settings)?;
    setup::telemetry::init_with(&settings.log_filter, settings.log_json);
    let shutdown = setup::shutdown::on_signal();
    worker::Worker::build(settings).await?.run_until_stopped(shutdown).await
}
