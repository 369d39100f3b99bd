//! `chroma-plugins`: runs the storage plugins of `CHROMA_PLUGIN_DIR`
//! (docs/plugins.md). SIGTERM stops them.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    setup::process::make_undumpable();
    setup::telemetry::init();
    let settings = setup::Settings::from_env()?;
    let shutdown = setup::shutdown::on_signal();
    plugin_host::service::run(settings, shutdown).await
}
