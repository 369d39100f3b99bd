//! `chroma-worker`: runs steps. SIGTERM stops it gracefully.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init();
    let settings = common::Settings::from_env()?;
    let shutdown = common::shutdown::on_signal();
    worker::Worker::build(settings).await?.run_until_stopped(shutdown).await
}
