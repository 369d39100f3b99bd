//! Harness for end-to-end tests against real PostgreSQL and RabbitMQ.
//!
//! Every test gets its own database and queue prefix, so tests run in
//! parallel. The API and (by default) the scheduler run in-process; workers
//! and schedulers that a test kills run as real child processes of the
//! built binaries (`cargo build --bins` first).

pub mod alerts;
pub mod cli;
pub mod data_setup;
pub mod ha_lab;
pub mod lustre;
pub mod processes;
pub mod proxy;

use anyhow::{bail, Context};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::Value;
use setup::Settings;
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use processes::Process;

/// One test's stack: database, queue prefix, API, and what it started.
pub struct TestEnv {
    pub name: String,
    pub settings: Settings,
    pub db: sea_orm::DatabaseConnection,
    pub base: String,
    /// A client logged in as the superuser `admin`.
    pub http: reqwest::Client,
    /// The superuser's session token.
    pub token: String,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
    /// Child processes, killed before the queues are deleted (a live
    /// worker would declare them again).
    children: std::sync::Mutex<Vec<u32>>,
    /// Layout of the simulated clusters it starts (`default`).
    sim_layout: String,
    /// Hosts of its simulated clusters without Lustre (`--no-lustre`).
    sim_no_lustre: Vec<String>,
}

fn unique(name: &str) -> String {
    let short = uuid::Uuid::new_v4().simple().to_string();
    format!("{name}_{}", &short[..8])
}

/// Settings for a test: its own database and prefix, fast timings.
pub fn test_settings(name: &str, amqp_url: Option<&str>) -> anyhow::Result<Settings> {
    let mut settings = Settings::from_env()?;
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    settings.database_url = format!("{server}/chroma_test_{name}").into();
    if let Some(url) = amqp_url {
        settings.amqp_url = url.to_owned().into();
    }
    settings.queue_prefix = format!("test-{name}");
    settings.bind = "127.0.0.1:0".into();
    settings.worker_concurrency = 4;
    settings.delivery_limit = 3;
    settings.heartbeat_interval = Duration::from_millis(200);
    settings.heartbeat_timeout = Duration::from_millis(1_500);
    settings.requeue_after = Duration::from_secs(5);
    settings.sweep_interval = Duration::from_millis(300);
    settings.drain_timeout = Duration::from_secs(5);
    settings.db_pool_size = 5;
    // Pacemaker's monitor of each target every 3 s, not 20: tests see a
    // target recovered behind Chroma's back in seconds.
    settings.pacemaker_monitor_secs = 3;
    // Webhooks go nowhere but this machine (the OpenAPI fuzz subscribes
    // whatever URLs it makes up).
    settings.alert_delivery.webhook_hosts = Some(vec!["127.0.0.1".into(), "localhost".into()]);
    // The console as scripts/test.sh built it (the browser tests load it).
    settings.web_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
    settings.ssh_key_path = std::env::temp_dir()
        .join(format!("chroma-test-{name}"))
        .join("id_ed25519");
    Ok(settings)
}

/// The environment variables that give a child process `settings`.
pub fn settings_env(settings: &Settings) -> Vec<(String, String)> {
    let ms = |d: Duration| d.as_millis().to_string();
    let webhook_hosts = settings.alert_delivery.webhook_hosts.as_ref().map(|h| h.join(","));
    let mut env = vec![
        ("DATABASE_URL".into(), settings.database_url.expose_secret().to_owned()),
        ("AMQP_URL".into(), settings.amqp_url.expose_secret().to_owned()),
        ("CHROMA_QUEUE_PREFIX".into(), settings.queue_prefix.clone()),
        (
            "CHROMA_WORKER_CONCURRENCY".into(),
            settings.worker_concurrency.to_string(),
        ),
        ("CHROMA_DELIVERY_LIMIT".into(), settings.delivery_limit.to_string()),
        ("CHROMA_HEARTBEAT_MS".into(), ms(settings.heartbeat_interval)),
        ("CHROMA_HEARTBEAT_TIMEOUT_MS".into(), ms(settings.heartbeat_timeout)),
        ("CHROMA_REQUEUE_AFTER_MS".into(), ms(settings.requeue_after)),
        ("CHROMA_SWEEP_MS".into(), ms(settings.sweep_interval)),
        ("CHROMA_WORKER_DRAIN_MS".into(), ms(settings.drain_timeout)),
        ("CHROMA_DB_POOL_SIZE".into(), settings.db_pool_size.to_string()),
        ("CHROMA_MONITOR_INTERVAL_MS".into(), ms(settings.monitor_interval)),
        (
            "CHROMA_USAGE_ALERT_PERCENT".into(),
            settings.usage_alert_percent.to_string(),
        ),
        (
            "CHROMA_SSH_KEY".into(),
            settings.ssh_key_path.to_string_lossy().into_owned(),
        ),
        (
            "CHROMA_PACEMAKER_MONITOR_SECS".into(),
            settings.pacemaker_monitor_secs.to_string(),
        ),
    ];
    env.extend(webhook_hosts.map(|hosts| ("CHROMA_ALERT_WEBHOOK_HOSTS".to_owned(), hosts)));
    env
}

/// The test superuser's password.
pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// Logs in at the API at `base`; returns the session token.
pub async fn login(base: &str, username: &str, password: &str) -> anyhow::Result<String> {
    login_with(&reqwest::Client::new(), base, username, password).await
}

/// Like [`login`], with `client` (e.g. one that trusts the API's TLS
/// certificate).
pub async fn login_with(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/session"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await?;
    let status = response.status();
    let envelope: Value = response.json().await?;
    if status != StatusCode::OK {
        bail!("login as {username} answered {status}: {envelope}");
    }
    envelope["response"]["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token in the login answer")
}

/// A client for the API `settings` start: when it serves HTTPS
/// (`settings.tls`), one that trusts its certificate (self-signed in tests).
pub fn client_builder(settings: &Settings) -> anyhow::Result<reqwest::ClientBuilder> {
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
    if let Some(tls) = &settings.tls {
        let pem = std::fs::read(&tls.cert).with_context(|| format!("failed to read {}", tls.cert.display()))?;
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
    }
    Ok(builder)
}

impl TestEnv {
    /// A migrated database of its own and the API, on the shared broker.
    pub async fn start(name: &str) -> anyhow::Result<Self> {
        Self::start_on(name, None).await
    }

    /// Like [`TestEnv::start`], on the broker at `amqp_url`.
    pub async fn start_on(name: &str, amqp_url: Option<&str>) -> anyhow::Result<Self> {
        Self::start_configured(name, amqp_url, |_| ()).await
    }

    /// Like [`TestEnv::start`], with the test's settings changed by
    /// `configure` first (e.g. `trusted_proxies`).
    pub async fn start_with(name: &str, configure: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        Self::start_configured(name, None, configure).await
    }

    async fn start_configured(
        name: &str,
        amqp_url: Option<&str>,
        configure: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<Self> {
        if std::env::var("TEST_LOG").is_ok() {
            setup::telemetry::init();
        }
        let name = unique(name);
        let mut settings = test_settings(&name, amqp_url)?;
        configure(&mut settings);
        let app = api::Application::build(settings.clone()).await?;
        let scheme = if settings.tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://127.0.0.1:{}", app.port());
        let shutdown = CancellationToken::new();
        let tasks = vec![tokio::spawn(app.run_until_stopped(shutdown.clone()))];
        let db = store::connect(&settings).await?;
        api::create_user(&db, "admin", ADMIN_PASSWORD, api::auth::Role::Superuser).await?;
        let token = login_with(&client_builder(&settings)?.build()?, &base, "admin", ADMIN_PASSWORD).await?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        let http = client_builder(&settings)?.default_headers(headers).build()?;
        Ok(Self {
            name,
            settings,
            db,
            base,
            http,
            token,
            shutdown,
            tasks,
            children: Default::default(),
            sim_layout: "default".to_owned(),
            sim_no_lustre: Vec::new(),
        })
    }

    /// Stops the services started in this process (API, scheduler,
    /// workers, monitor) and closes the test's pool, as an operator stops
    /// `chroma.target`; the database, the key and the queues stay. Unlike
    /// a stopped process, the API's change listener lives on in this one
    /// (it reconnects for as long as the process lives), so one session
    /// to the database stays.
    pub async fn stop_services(&mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        for task in self.tasks.drain(..) {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .context("a component did not stop within 20 s")???;
        }
        self.db.clone().close().await?;
        Ok(())
    }

    /// Starts the API again after [`TestEnv::stop_services`], on the same
    /// settings (it applies pending migrations), and logs in again as
    /// `admin` with [`ADMIN_PASSWORD`].
    pub async fn start_api(&mut self) -> anyhow::Result<()> {
        self.shutdown = CancellationToken::new();
        let app = api::Application::build(self.settings.clone()).await?;
        let scheme = if self.settings.tls.is_some() { "https" } else { "http" };
        self.base = format!("{scheme}://127.0.0.1:{}", app.port());
        self.tasks
            .push(tokio::spawn(app.run_until_stopped(self.shutdown.clone())));
        self.db = store::connect(&self.settings).await?;
        self.token = login_with(
            &client_builder(&self.settings)?.build()?,
            &self.base,
            "admin",
            ADMIN_PASSWORD,
        )
        .await?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.token))?,
        );
        self.http = client_builder(&self.settings)?.default_headers(headers).build()?;
        Ok(())
    }

    /// Starts a scheduler in this process.
    pub async fn scheduler(&mut self) -> anyhow::Result<()> {
        let scheduler = scheduler::Scheduler::build(self.settings.clone()).await?;
        self.tasks
            .push(tokio::spawn(scheduler.run_until_stopped(self.shutdown.clone())));
        Ok(())
    }

    /// Starts a worker in this process with `concurrency`.
    pub async fn worker(&mut self, concurrency: u16) -> anyhow::Result<()> {
        let mut settings = self.settings.clone();
        settings.worker_concurrency = concurrency;
        let worker = worker::Worker::build(settings).await?;
        self.tasks
            .push(tokio::spawn(worker.run_until_stopped(self.shutdown.clone())));
        Ok(())
    }

    /// Starts a monitor in this process polling every `interval`.
    pub async fn monitor(&mut self, interval: Duration) -> anyhow::Result<()> {
        let mut settings = self.settings.clone();
        settings.monitor_interval = interval;
        let monitor = monitor::Monitor::build(settings).await?;
        self.tasks
            .push(tokio::spawn(monitor.run_until_stopped(self.shutdown.clone())));
        Ok(())
    }

    /// Starts `binary` (`chroma-worker`, `chroma-scheduler`) as a child
    /// process with this test's settings plus `extra` variables.
    pub fn spawn(&self, binary: &str, extra: &[(&str, &str)]) -> anyhow::Result<Process> {
        let mut env = settings_env(&self.settings);
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let process = Process::spawn(binary, &self.name, &env)?;
        if let Some(pid) = process.id() {
            self.children
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(pid);
        }
        Ok(process)
    }

    /// `GET` → (status, envelope).
    pub async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, Value)> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await?;
        Ok((response.status(), response.json().await?))
    }

    /// `POST` with a JSON body → (status, envelope).
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        let response = self.http.post(format!("{}{path}", self.base)).json(body).send().await?;
        Ok((response.status(), response.json().await?))
    }

    /// Any request with `token` (none: anonymous) → (status, envelope).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.timeout(Duration::from_secs(30)).send().await?;
        let status = response.status();
        let streaming = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        if streaming {
            // A live stream never ends: its status is the answer.
            return Ok((status, Value::Null));
        }
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// `PATCH` with a JSON body → (status, envelope).
    pub async fn patch(&self, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        let response = self
            .http
            .patch(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await?;
        Ok((response.status(), response.json().await?))
    }

    /// Starts an in-process lustre-sim cluster of `names` on free ports
    /// that accepts this test's Chroma key; returns it with its state
    /// directory.
    pub async fn simulated_cluster(
        &self,
        names: &[&str],
    ) -> anyhow::Result<(lustre_sim::ClusterHandle, std::path::PathBuf)> {
        self.simulated_cluster_without_pacemaker(names, &[]).await
    }

    /// Like [`TestEnv::simulated_cluster`], with Pacemaker and corosync
    /// not installed on `no_pacemaker` (`lustre-sim --no-pacemaker`).
    pub async fn simulated_cluster_without_pacemaker(
        &self,
        names: &[&str],
        no_pacemaker: &[&str],
    ) -> anyhow::Result<(lustre_sim::ClusterHandle, std::path::PathBuf)> {
        let key = chroma_ssh::KeyPair::load_or_create(&self.settings.ssh_key_path)?;
        let dir = self
            .settings
            .ssh_key_path
            .parent()
            .map(|d| d.join("cluster"))
            .unwrap_or_default();
        std::fs::create_dir_all(&dir)?;
        let authorized = dir.join("authorized_keys");
        std::fs::write(&authorized, format!("{}\n", key.public_key_openssh()))?;
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let state = dir.join("state");
        let mut config = lustre_sim::SimConfig::new(&state, &names, 0, &authorized);
        if self.sim_layout != "default" {
            config.layout = Some(lustre_sim::Layout::named(&self.sim_layout, &names)?);
        }
        let bare: Vec<String> = no_pacemaker.iter().map(|s| (*s).to_owned()).collect();
        config.layout = config.layout.map(|l| l.without_pacemaker(&bare)).transpose()?;
        config.layout = config
            .layout
            .map(|l| l.without_lustre(&self.sim_no_lustre))
            .transpose()?;
        Ok((lustre_sim::Cluster::start(config).await?, state))
    }

    /// Starts the next simulated clusters with Lustre not installed on
    /// `hosts` (`lustre-sim --no-lustre`).
    pub fn with_sim_no_lustre(mut self, hosts: &[&str]) -> Self {
        self.sim_no_lustre = hosts.iter().map(|h| (*h).to_owned()).collect();
        self
    }

    /// Makes the next simulated cluster use layout `kind` (`lustre-sim
    /// --layout`, e.g. `multipath`) instead of the default one.
    pub fn with_sim_layout(mut self, kind: &str) -> Self {
        kind.clone_into(&mut self.sim_layout);
        self
    }

    /// Adds every host of a simulated cluster and waits until each is
    /// managed; returns their ids in the cluster's order.
    pub async fn add_hosts(&self, cluster: &lustre_sim::ClusterHandle) -> anyhow::Result<Vec<String>> {
        let mut added = Vec::new();
        for host in &cluster.hosts {
            let body = serde_json::json!({"address": "127.0.0.1", "port": host.addr.port()});
            let (status, envelope) = self.post("/api/host", &body).await?;
            if status != StatusCode::ACCEPTED {
                bail!("adding {} answered {status}: {envelope}", host.name);
            }
            let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
            let id = envelope["response"]["host"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            added.push((command, id));
        }
        let mut ids = Vec::new();
        for (command, id) in added {
            let done = self.finished(&command, Duration::from_secs(60)).await?;
            if done["state"] != "succeeded" {
                bail!("adding a host failed: {done}");
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// Submits a command; returns its id (fails unless 202).
    pub async fn submit(&self, body: &Value) -> anyhow::Result<String> {
        let (status, envelope) = self.post("/api/command", body).await?;
        if status != StatusCode::ACCEPTED {
            bail!("submit answered {status}: {envelope}");
        }
        envelope["response"]["id"]
            .as_str()
            .map(str::to_owned)
            .context("no command id in answer")
    }

    /// `GET /api/command/{id}`'s response.
    pub async fn command(&self, id: &str) -> anyhow::Result<Value> {
        let (status, envelope) = self.get(&format!("/api/command/{id}")).await?;
        if status != StatusCode::OK {
            bail!("GET command answered {status}: {envelope}");
        }
        Ok(envelope["response"].clone())
    }

    /// Waits until the command is finished; returns it. On a timeout the
    /// error shows the command as it stands (its jobs, steps and outputs),
    /// so a hang says where it hangs.
    pub async fn finished(&self, id: &str, timeout: Duration) -> anyhow::Result<Value> {
        let waited = wait_for(timeout, &format!("command {id} to finish"), || async {
            let command = self.command(id).await?;
            let state = command["state"].as_str().unwrap_or_default().to_owned();
            Ok(matches!(state.as_str(), "succeeded" | "failed" | "cancelled").then_some(command))
        })
        .await;
        match waited {
            Err(e) => match self.command(id).await {
                Ok(now) => Err(e.context(format!("the command as it stands: {now}"))),
                Err(_) => Err(e),
            },
            done => done,
        }
    }

    /// Stops what this test started and drops its database and queues.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for pid in self
            .children
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            // Already gone is fine.
            let _ = processes::kill_now(pid);
        }
        self.shutdown.cancel();
        for task in self.tasks.drain(..) {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .context("a component did not stop within 20 s")???;
        }
        self.db.clone().close().await?;
        drop_queues(&self.settings).await;
        if let Some(dir) = self.settings.ssh_key_path.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
        let admin = sea_orm::Database::connect(format!(
            "{}/postgres",
            std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
        ))
        .await?;
        sea_orm::ConnectionTrait::execute_unprepared(
            &admin,
            &format!("DROP DATABASE IF EXISTS chroma_test_{} WITH (FORCE)", self.name),
        )
        .await?;
        Ok(())
    }
}

/// Deletes a test's queues and exchange from the broker (best effort).
pub async fn drop_queues(settings: &Settings) {
    let Ok(broker) = broker::Broker::new(settings) else {
        return;
    };
    let Ok(channel) = broker.channel().await else { return };
    let topology = settings.topology();
    for queue in [&topology.jobs, &topology.steps, &topology.results, &topology.dead_steps] {
        let _ = channel.queue_delete(queue, Default::default()).await;
    }
    let _ = channel
        .exchange_delete(&topology.dead_letter_exchange, Default::default())
        .await;
    let _ = channel.close(200, "test done").await;
}

/// Polls `check` every 50 ms until it yields a value; fails after `timeout`
/// naming what it waited for.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A command of one job per `(key, steps, locks, wait_for)`.
pub fn command(message: &str, jobs: &[Value]) -> Value {
    serde_json::json!({ "message": message, "jobs": jobs })
}

/// A job body.
pub fn job(key: &str, steps: Value, locks: Value, wait_for: &[&str]) -> Value {
    serde_json::json!({ "key": key, "steps": steps, "locks": locks, "wait_for": wait_for })
}

/// `n` sleep steps of `ms` each.
pub fn sleeps(n: usize, ms: u64) -> Value {
    Value::Array(
        (0..n)
            .map(|_| serde_json::json!({ "action": "sleep", "args": { "ms": ms } }))
            .collect(),
    )
}

/// Parses an RFC 3339 time from a JSON field.
pub fn time(value: &Value) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let text = value
        .as_str()
        .with_context(|| format!("expected a time, got {value}"))?;
    Ok(chrono::DateTime::parse_from_rfc3339(text)?.with_timezone(&chrono::Utc))
}
