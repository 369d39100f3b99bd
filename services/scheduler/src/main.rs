//! `chroma-scheduler`: grants, dispatches and recovers jobs.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    setup::process::make_undumpable();
    setup::telemetry::init();
    let settings = setup::Settings::from_env()?;
    let shutdown = setup::shutdown::on_signal();
    scheduler::Scheduler::build(settings)
        .await?
        .run_until_stopped(shutdown)
        .await
}
