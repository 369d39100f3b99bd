//! `chroma-api`: serves the REST API. `chroma-api migrate` only applies
//! pending migrations.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::telemetry::init();
    let settings = common::Settings::from_env()?;
    match std::env::args().nth(1).as_deref() {
        Some("migrate") => api::migrate(&settings).await,
        None | Some("serve") => {
            let shutdown = common::shutdown::on_signal();
            api::Application::build(settings)
                .await?
                .run_until_stopped(shutdown)
                .await
        }
        Some(other) => anyhow::bail!("unknown subcommand {other:?}; use `chroma-api` or `chroma-api migrate`"),
    }
}
