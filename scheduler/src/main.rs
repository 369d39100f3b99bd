//! `chroma-scheduler`: grants, dispatches and recovers jobs.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init();
    let settings = common::Settings::from_env()?;
    let shutdown = common::shutdown::on_signal();
    scheduler::Scheduler::build(settings)
        .await?
        .run_until_stopped(shutdown)
        .await
}
