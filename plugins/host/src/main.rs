//! `chroma-plugins`: runs the storage plugins of `CHROMA_PLUGIN_DIR`
//! (docs/plugins.md). SIGTERM stops them.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init();
    let settings = common::Settings::from_env()?;
    let shutdown = common::shutdown::on_signal();
    plugin_host::service::run(settings, shutdown).await
}
