//! `chroma-scheduler`: grants, dispatches and recovers jobs.

use clap::Parser;

/// Chroma's scheduler: grants, dispatches and recovers jobs.
#[derive(Debug, Parser)]
#[command(name = "chroma-scheduler", version)]
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
    scheduler::Scheduler::build(settings)
        .await?
        .run_until_stopped(shutdown)
        .await
}
