//! `chroma-plugins`: runs the storage plugins of `CHROMA_PLUGIN_DIR`
//! (docs/plugins.md). SIGTERM stops them.

use clap::Parser;

/// Chroma's storage plugin host: runs the plugins of --plugin-dir. SIGTERM stops them.
#[derive(Debug, Parser)]
#[command(name = "chroma-plugins", version)]
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
    plugin_host::service::run(settings, shutdown).await
}
