//! `chroma-monitor`: polls the managed servers. SIGTERM stops it.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init();
    let settings = common::Settings::from_env()?;
    let shutdown = common::shutdown::on_signal();
    monitor::Monitor::build(settings)
        .await?
        .run_until_stopped(shutdown)
        .await
}
