//! The REST API: stores requests in PostgreSQL, notifies the scheduler over
//! RabbitMQ, and answers every request in the `{success, errors, response}`
//! envelope.

pub mod auth;
pub mod console;
pub mod error;
pub mod extractors;
pub mod headers;
pub mod metrics;
pub mod respond;
pub mod routes;
pub mod schema;
pub mod state;
pub mod tls;
pub mod views;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use broker::Broker;
use secrecy::ExposeSecret;
use setup::Settings;
use std::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// Applies pending migrations, creating the database first if needed
/// (under the schema lock: see [`schema`]).
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    schema::upgrade(settings).await
}

/// On a first start (no user yet) with `CHROMA_ADMIN_PASSWORD` set,
/// creates superuser `admin` with that password.
async fn bootstrap_admin(settings: &Settings, db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let Some(password) = &settings.admin_password else {
        return Ok(());
    };
    if store::users::any(db).await? {
        return Ok(());
    }
    create_user(db, "admin", password.expose_secret(), auth::Role::Superuser).await?;
    tracing::info!("created superuser admin from CHROMA_ADMIN_PASSWORD");
    Ok(())
}

/// Creates a user (for `chroma-api create-user` and the first start).
pub async fn create_user(
    db: &sea_orm::DatabaseConnection,
    username: &str,
    password: &str,
    role: auth::Role,
) -> anyhow::Result<store::users::User> {
    routes::users::check_username(username).map_err(anyhow::Error::msg)?;
    auth::password::check(password).map_err(|e| anyhow::anyhow!("the password {e}"))?;
    let hash = auth::password::hash(password).map_err(anyhow::Error::msg)?;
    store::users::create(db, username, &hash, role.as_str())
        .await?
        .with_context(|| format!("user {username} already exists"))
}

/// An API token for `username` (created with `role` and a random password
/// if missing), for tools like the benchmark that drive the API.
pub async fn issue_token(db: &sea_orm::DatabaseConnection, username: &str, role: auth::Role) -> anyhow::Result<String> {
    let user = match store::users::with_password(db, username).await? {
        Some((user, _)) => user,
        None => create_user(db, username, &auth::new_token(), role).await?,
    };
    let token = auth::new_token();
    store::users::add_token(db, user.id, &auth::token_hash(&token), "api", "issued", None).await?;
    Ok(token)
}

/// A bound, ready-to-run API server.
pub struct Application {
    port: u16,
    server: Server,
    broker: Broker,
    /// Ends live streams when the server stops.
    closing: CancellationToken,
}

impl Application {
    /// Migrates the database, connects, and binds `CHROMA_BIND` (port 0
    /// picks a free port), serving HTTPS if `CHROMA_TLS_CERT` and
    /// `CHROMA_TLS_KEY` are set.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Checked first: a certificate that cannot be served stops the
        // start before anything is changed.
        let tls = settings.tls.as_ref().map(tls::server_config).transpose()?;
        migrate(&settings).await?;
        let db = store::connect(&settings)
            .await
            .context("failed to connect to the database")?;
        bootstrap_admin(&settings, &db).await?;
        auth::password::prepare_dummy().await;
        let broker = Broker::new(&settings).context("failed to set up the broker pool")?;
        let listener =
            TcpListener::bind(&settings.bind).with_context(|| format!("failed to bind {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState::new(settings, db, broker.clone()).context("failed to set up metrics")?);
        let closing = state.closing.clone();
        let web_dir = state.settings.web_dir.clone();
        console::check(&web_dir);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(auth::guard::guard))
                .wrap(actix_web::middleware::from_fn(metrics::count))
                .wrap(actix_web::middleware::from_fn(headers::secure))
                .wrap(tracing_actix_web::TracingLogger::default())
                .app_data(state.clone())
                .app_data(extractors::json_config())
                .app_data(extractors::query_config())
                .app_data(extractors::path_config())
                .configure(routes::configure)
                .route("/metrics", web::get().to(metrics::get))
                .configure(|cfg| console::configure(cfg, &web_dir))
                .default_service(web::to(extractors::not_found))
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config)?,
            None => server.listen(listener)?,
        };
        let server = server.disable_signals().shutdown_timeout(10).run();
        tracing::info!(port, scheme, "API listening");
        Ok(Self {
            port,
            server,
            broker,
            closing,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown`, then finishes open requests and returns.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let closing = self.closing.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            closing.cancel();
            handle.stop(true).await;
        });
        let served = self.server.await.context("API server failed");
        self.broker.close().await;
        served
    }
}
