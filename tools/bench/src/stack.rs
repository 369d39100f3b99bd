//! The bench's own in-process stack: a fresh database and queue prefix,
//! the API, one scheduler, the workers and optionally a monitor, started
//! together, stopped together, and removed afterwards.

use anyhow::Context;
use broker::lapin::options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions};
use broker::lapin::types::FieldTable;
use broker::Broker;
use secrecy::ExposeSecret;
use setup::Settings;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long the stack may take to stop (a worker drains up to 8 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the consumers may take to attach.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a bench run lives: its own database and queue prefix.
#[derive(Debug, Clone)]
pub struct Names {
    /// `DATABASE_URL` without its database name (`postgres://…:5432`).
    pub server: String,
    /// `?…` options of `DATABASE_URL`, if any.
    pub options: String,
    pub database: String,
    pub prefix: String,
}

impl Names {
    /// Fresh random names on the servers of `DATABASE_URL`.
    pub fn fresh(settings: &Settings) -> anyhow::Result<Self> {
        let url = settings.database_url.expose_secret();
        let (base, options) = match url.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (url, String::new()),
        };
        let server = match base.rsplit_once('/') {
            Some((server, _)) if server.contains("://") && !server.ends_with('/') => server.to_owned(),
            _ => anyhow::bail!("DATABASE_URL must look like postgres://host:port/name"),
        };
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let tag = &tag[..12];
        Ok(Self {
            server,
            options,
            database: format!("chroma_bench_{tag}"),
            prefix: format!("bench-{tag}"),
        })
    }

    /// `settings` pointed at this run's database and queues.
    pub fn apply(&self, settings: &Settings) -> Settings {
        let mut settings = settings.clone();
        settings.database_url = format!("{}/{}{}", self.server, self.database, self.options).into();
        settings.queue_prefix = self.prefix.clone();
        settings
    }
}

/// The running stack.
pub struct Stack {
    pub port: u16,
    /// A superuser API token (it may add servers).
    pub token: String,
    shutdown: CancellationToken,
    tasks: Vec<(String, JoinHandle<anyhow::Result<()>>)>,
}

impl Stack {
    /// Builds and starts the API (which migrates the database), one
    /// scheduler, `workers` workers and, given its settings (the same
    /// database and queues), a monitor; then waits until they consume.
    pub async fn start(settings: &Settings, workers: usize, monitor: Option<Settings>) -> anyhow::Result<Self> {
        let mut api_settings = settings.clone();
        api_settings.bind = "127.0.0.1:0".into();
        let app = api::Application::build(api_settings)
            .await
            .context("cannot start the API")?;
        let port = app.port();
        let db = store::connect(settings)
            .await
            .context("cannot connect to the database")?;
        let token = api::issue_token(&db, "bench", api::auth::Role::Superuser).await?;
        db.close().await?;
        let scheduler = scheduler::Scheduler::build(settings.clone())
            .await
            .context("cannot build the scheduler")?;
        let mut built = Vec::with_capacity(workers);
        for _ in 0..workers {
            built.push(
                worker::Worker::build(settings.clone())
                    .await
                    .context("cannot build a worker")?,
            );
        }
        let shutdown = CancellationToken::new();
        let mut tasks = vec![
            ("api".to_owned(), tokio::spawn(app.run_until_stopped(shutdown.clone()))),
            (
                "scheduler".to_owned(),
                tokio::spawn(scheduler.run_until_stopped(shutdown.clone())),
            ),
        ];
        for (i, w) in built.into_iter().enumerate() {
            tasks.push((
                format!("worker {i}"),
                tokio::spawn(w.run_until_stopped(shutdown.clone())),
            ));
        }
        if let Some(monitor) = monitor {
            let monitor = monitor::Monitor::build(monitor)
                .await
                .context("cannot build the monitor")?;
            tasks.push((
                "monitor".to_owned(),
                tokio::spawn(monitor.run_until_stopped(shutdown.clone())),
            ));
        }
        let stack = Self {
            port,
            token,
            shutdown,
            tasks,
        };
        if let Err(err) = wait_ready(settings, workers).await {
            stack.stop().await;
            return Err(err);
        }
        Ok(stack)
    }

    /// Cancels every part and waits (bounded) for each to return.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let deadline = tokio::time::Instant::now() + STOP_TIMEOUT;
        for (name, mut task) in self.tasks {
            match tokio::time::timeout_at(deadline, &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(err))) => eprintln!("warning: {name} stopped with an error: {err:#}"),
                Ok(Err(err)) => eprintln!("warning: {name} task failed: {err}"),
                Err(_) => {
                    eprintln!("warning: {name} did not stop within {STOP_TIMEOUT:?}; aborting it");
                    task.abort();
                }
            }
        }
    }
}

/// Waits until the workers consume the steps queue and the scheduler its
/// queues, so the first submissions do not measure start-up.
async fn wait_ready(settings: &Settings, workers: usize) -> anyhow::Result<()> {
    let broker = Broker::new(settings)?;
    let channel = broker.channel().await?;
    let topology = broker.topology().clone();
    let wanted = [
        (topology.steps, workers),
        (topology.results, 1),
        (topology.jobs, 1),
        (topology.dead_steps, 1),
    ];
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    'poll: loop {
        for (queue, consumers) in &wanted {
            let found = channel
                .queue_declare(queue, passive, FieldTable::default())
                .await?
                .consumer_count();
            if (found as usize) < *consumers {
                anyhow::ensure!(
                    tokio::time::Instant::now() < deadline,
                    "{queue} has {found} consumers after {READY_TIMEOUT:?}, expected {consumers}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue 'poll;
            }
        }
        break;
    }
    let _ = channel.close(200, "ready").await;
    Ok(())
}

/// Deletes the run's queues and dead-letter exchange.
pub async fn remove_queues(settings: &Settings) -> anyhow::Result<()> {
    let broker = Broker::new(settings)?;
    // Declares the topology first (idempotent), so every delete finds its object.
    let channel = broker.channel().await?;
    let t = broker.topology();
    for queue in [&t.steps, &t.dead_steps, &t.results, &t.jobs] {
        channel
            .queue_delete(queue, QueueDeleteOptions::default())
            .await
            .with_context(|| format!("cannot delete queue {queue}"))?;
    }
    channel
        .exchange_delete(&t.dead_letter_exchange, ExchangeDeleteOptions::default())
        .await
        .with_context(|| format!("cannot delete exchange {}", t.dead_letter_exchange))?;
    let _ = channel.close(200, "bench cleanup").await;
    Ok(())
}

/// Drops the run's database from a connection to the `postgres` database.
pub async fn drop_database(names: &Names) -> anyhow::Result<()> {
    store::connect::drop_database(&format!("{}/{}{}", names.server, names.database, names.options))
        .await
        .with_context(|| format!("cannot drop database {}", names.database))
}
