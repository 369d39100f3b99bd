//! `chroma-worker`: runs steps. SIGTERM stops it gracefully.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    setup::process::make_undumpable();
    setup::telemetry::init();
    let settings = setup::Settings::from_env()?;
    let shutdown = setup::shutdown::on_signal();
    worker::Worker::build(settings).await?.run_until_stopped(shutdown).await
}
