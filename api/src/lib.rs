//! The REST API: stores requests in PostgreSQL, notifies the scheduler over
//! RabbitMQ, and answers every request in the `{success, errors, response}`
//! envelope.

pub mod error;
pub mod extractors;
pub mod respond;
pub mod routes;
pub mod state;
pub mod views;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use broker::Broker;
use common::Settings;
use migrations::MigratorTrait;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// Applies pending migrations, creating the database first if needed.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    store::ensure_database(settings.database_url.expose_secret())
        .await
        .context("failed to create the database")?;
    let db = store::connect(settings)
        .await
        .context("failed to connect to the database")?;
    migrations::Migrator::up(&db, None)
        .await
        .context("failed to apply migrations")?;
    db.close().await.context("failed to close the database pool")?;
    Ok(())
}

/// A bound, ready-to-run API server.
pub struct Application {
    port: u16,
    server: Server,
    broker: Broker,
}

impl Application {
    /// Migrates the database, connects, and binds `CHROMA_BIND` (port 0
    /// picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        migrate(&settings).await?;
        let db = store::connect(&settings)
            .await
            .context("failed to connect to the database")?;
        let broker = Broker::new(&settings).context("failed to set up the broker pool")?;
        let listener =
            TcpListener::bind(&settings.bind).with_context(|| format!("failed to bind {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState::new(settings, db, broker.clone()));
        let server = HttpServer::new(move || {
            App::new()
                .wrap(tracing_actix_web::TracingLogger::default())
                .app_data(state.clone())
                .app_data(extractors::json_config())
                .app_data(extractors::query_config())
                .app_data(extractors::path_config())
                .configure(routes::configure)
                .default_service(web::to(extractors::not_found))
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(10)
        .run();
        tracing::info!(port, "API listening");
        Ok(Self { port, server, broker })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown`, then finishes open requests and returns.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let handle = self.server.handle();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            handle.stop(true).await;
        });
        let served = self.server.await.context("API server failed");
        self.broker.close().await;
        served
    }
}
