//! What a service tells the machinery that runs it: whether it is alive,
//! whether it is ready, and its Prometheus metrics.
//!
//! A service makes one [`Health`] and registers its checks on it:
//! **liveness** is that its main loops go round (each loop holds a
//! [`Heartbeat`] and beats it every turn; a beat older than the loop's
//! limit means the loop hangs), **readiness** that what it depends on is
//! usable now (the database answers, the broker is consuming, the plugins
//! were started: [`Health::probe`] for what is asked on demand,
//! [`Health::set`] for what the service sees change).
//!
//! [`start`] then serves, on `CHROMA_OPS_BIND` only (off by default),
//! `GET /livez`, `GET /readyz` (200, or 503 with a JSON body naming each
//! failing check) and `GET /metrics` (the service's registry in
//! Prometheus' text format), for container healthchecks and scrapes. The
//! endpoint has no login: it offers no control and no user data, and it
//! must stay on a private address (loopback, or a network only the
//! orchestrator and Prometheus reach). Under systemd (`Type=notify`) it
//! also sends `READY=1` once the service is first ready, `WATCHDOG=1`
//! while it is live when the unit sets `WatchdogSec=`, and `STOPPING=1`
//! on shutdown.

use actix_web::{web, App, HttpResponse, HttpServer};
use prometheus::core::Collector;
use prometheus::{Encoder, IntGaugeVec, Opts, Registry, TextEncoder};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub use prometheus;

use crate::Settings;

/// How long a readiness probe may take before it counts as failing: a
/// hung dependency must not hang the healthcheck that asks about it.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// How often, under systemd, readiness is asked until `READY=1` is sent.
const READY_POLL: Duration = Duration::from_secs(1);

/// Why the ops endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("cannot listen on CHROMA_OPS_BIND {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("CHROMA_OPS_BIND's port {port} plus CHROMA_OPS_PORT_OFFSET {offset} is past 65535")]
    Port { port: u16, offset: u16 },
    #[error("cannot register the metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// A readiness probe: asked on demand, `Err` says what is wrong.
type Probe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// One readiness check.
#[derive(Clone)]
enum Ready {
    /// Set by the service as it sees the state change.
    State(Result<(), String>),
    /// Asked each time readiness is.
    Probe(Probe),
}

/// A loop's last beat and how old it may get.
struct Beat {
    last: Instant,
    limit: Duration,
}

struct Inner {
    service: String,
    registry: Registry,
    beats: Mutex<BTreeMap<String, Beat>>,
    ready: Mutex<BTreeMap<String, Ready>>,
}

/// A service's liveness and readiness checks and its metrics registry;
/// clones share them.
#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

/// A failing check: its name and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    pub check: String,
    pub reason: String,
}

/// The handle a loop beats every turn; see [`Health::heartbeat`].
#[derive(Clone)]
pub struct Heartbeat {
    inner: Arc<Inner>,
    name: String,
}

impl Heartbeat {
    /// Notes that the loop went round just now.
    pub fn beat(&self) {
        if let Some(beat) = lock(&self.inner.beats).get_mut(&self.name) {
            beat.last = Instant::now();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere; the map is intact.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Health {
    /// The checks and registry of `service` (`scheduler`, `worker`, …),
    /// with the build-info and process metrics already registered.
    pub fn new(service: &str) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        register_standard(&registry, service)?;
        Ok(Self {
            inner: Arc::new(Inner {
                service: service.to_owned(),
                registry,
                beats: Mutex::new(BTreeMap::new()),
                ready: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The service's name, as in `chroma_build_info{service}`.
    pub fn service(&self) -> &str {
        &self.inner.service
    }

    /// Where the service registers its metrics.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Registers `collector` (a counter, histogram, …), returning it.
    pub fn register<C: Collector + Clone + 'static>(&self, collector: C) -> Result<C, prometheus::Error> {
        self.inner.registry.register(Box::new(collector.clone()))?;
        Ok(collector)
    }

    /// A liveness check for loop `name`: the service is not live once the
    /// loop has not beaten for `limit` (counted from now until its first
    /// beat).
    pub fn heartbeat(&self, name: &str, limit: Duration) -> Heartbeat {
        lock(&self.inner.beats).insert(
            name.to_owned(),
            Beat {
                last: Instant::now(),
                limit,
            },
        );
        Heartbeat {
            inner: self.inner.clone(),
            name: name.to_owned(),
        }
    }

    /// Sets readiness check `name` as the service sees it: `Err` says why
    /// it is not ready.
    pub fn set(&self, name: &str, state: Result<(), String>) {
        lock(&self.inner.ready).insert(name.to_owned(), Ready::State(state));
    }

    /// Makes readiness check `name` a probe asked each time readiness is
    /// (given [`PROBE_TIMEOUT`] to answer), such as a database ping.
    pub fn probe<F, Fut>(&self, name: &str, probe: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let probe: Probe = Arc::new(move || Box::pin(probe()));
        lock(&self.inner.ready).insert(name.to_owned(), Ready::Probe(probe));
    }

    /// The loops that have not beaten within their limit.
    pub fn liveness(&self) -> Vec<Failing> {
        lock(&self.inner.beats)
            .iter()
            .filter(|(_, beat)| beat.last.elapsed() > beat.limit)
            .map(|(name, beat)| Failing {
                check: name.clone(),
                reason: format!(
                    "the {name} loop has not gone round for {}s (limit {}s)",
                    beat.last.elapsed().as_secs(),
                    beat.limit.as_secs()
                ),
            })
            .collect()
    }

    /// The readiness checks failing now; probes are asked at once.
    pub async fn readiness(&self) -> Vec<Failing> {
        let checks: Vec<(String, Ready)> = lock(&self.inner.ready)
            .iter()
            .map(|(name, ready)| (name.clone(), ready.clone()))
            .collect();
        let asked = checks.into_iter().map(|(name, ready)| async move {
            let outcome = match ready {
                Ready::State(state) => state,
                Ready::Probe(probe) => match tokio::time::timeout(PROBE_TIMEOUT, probe()).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(format!("did not answer within {}s", PROBE_TIMEOUT.as_secs())),
                },
            };
            outcome.err().map(|reason| Failing {
                check: name.clone(),
                reason: format!("{name}: {reason}"),
            })
        });
        futures_join_all(asked).await.into_iter().flatten().collect()
    }

    /// The registry in Prometheus' text format.
    pub fn metrics_text(&self) -> Result<Vec<u8>, prometheus::Error> {
        let mut body = Vec::new();
        TextEncoder::new().encode(&self.inner.registry.gather(), &mut body)?;
        Ok(body)
    }
}

/// Runs `futures` concurrently and collects their outputs in order.
async fn futures_join_all<F: Future + Send + 'static>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(output) = task.await {
            outputs.push(output);
        }
    }
    outputs
}

/// Registers what every Chroma process exports: `chroma_build_info
/// {version, service} 1` and, on Linux, the `process_*` metrics
/// (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_open_fds`, `process_start_time_seconds`, …).
pub fn register_standard(registry: &Registry, service: &str) -> Result<(), prometheus::Error> {
    let info = IntGaugeVec::new(
        Opts::new(
            "chroma_build_info",
            "Always 1: the version and the service of this process",
        ),
        &["version", "service"],
    )?;
    info.with_label_values(&[env!("CARGO_PKG_VERSION"), service]).set(1);
    registry.register(Box::new(info))?;
    #[cfg(target_os = "linux")]
    registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
    Ok(())
}

/// The address `CHROMA_OPS_BIND` names, its port moved by
/// `CHROMA_OPS_PORT_OFFSET` (port 0, "any free port", stays 0); `None`
/// when it is not set.
pub fn address(settings: &Settings) -> Result<Option<SocketAddr>, OpsError> {
    let Some(mut addr) = settings.ops_bind else {
        return Ok(None);
    };
    let (port, offset) = (addr.port(), settings.ops_port_offset);
    if port != 0 {
        addr.set_port(port.checked_add(offset).ok_or(OpsError::Port { port, offset })?);
    }
    Ok(Some(addr))
}

/// A service's running ops endpoint: its [`Health`], served (see
/// [`start`]) until the `shutdown` given to [`Ops::stop_on`] fires or
/// this is dropped, whichever comes first.
pub struct Ops {
    health: Health,
    stop: CancellationToken,
    addr: Option<SocketAddr>,
}

impl Ops {
    /// Makes `service`'s [`Health`] and starts serving it (see [`start`]).
    pub fn start(settings: &Settings, service: &str) -> Result<Self, OpsError> {
        let health = Health::new(service)?;
        let stop = CancellationToken::new();
        let addr = start(settings, &health, &stop)?;
        Ok(Self { health, stop, addr })
    }

    /// The service's checks and registry.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// Where the endpoint listens, if anywhere.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// Stops the endpoint (and tells systemd `STOPPING=1`) as soon as
    /// `shutdown` fires, rather than when this is dropped.
    pub fn stop_on(&self, shutdown: &CancellationToken) {
        let (shutdown, stop) = (shutdown.clone(), self.stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown.cancelled() => stop.cancel(),
                () = stop.cancelled() => {}
            }
        });
    }
}

impl Drop for Ops {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Serves the ops endpoint on `CHROMA_OPS_BIND` if set, and talks to
/// systemd if it started the process, until `shutdown`. Returns the
/// address served, if any. Call it inside the tokio runtime, before the
/// service's slow start-up (connecting to the database), so that
/// liveness answers meanwhile.
pub fn start(
    settings: &Settings,
    health: &Health,
    shutdown: &CancellationToken,
) -> Result<Option<SocketAddr>, OpsError> {
    let served = match address(settings)? {
        Some(addr) => Some(serve(addr, health.clone(), shutdown.clone())?),
        None => None,
    };
    if std::env::var_os("NOTIFY_SOCKET").is_some() {
        tokio::spawn(notify_systemd(health.clone(), shutdown.clone()));
    }
    Ok(served)
}

/// Binds `addr` and serves `/livez`, `/readyz` and `/metrics` on one
/// thread until `shutdown`.
fn serve(addr: SocketAddr, health: Health, shutdown: CancellationToken) -> Result<SocketAddr, OpsError> {
    let listener = TcpListener::bind(addr).map_err(|source| OpsError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| OpsError::Bind { addr, source })?;
    let data = web::Data::new(health);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/livez", web::get().to(livez))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .map_err(|source| OpsError::Bind { addr, source })?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    tokio::spawn(async move {
        shutdown.cancelled().await;
        handle.stop(false).await;
    });
    tracing::info!(%bound, "serving /livez, /readyz and /metrics");
    Ok(bound)
}

/// 200 `{"status":"ok"}`, or 503 `{"status":"failing","failing":[…]}`.
fn verdict(failing: Vec<Failing>) -> HttpResponse {
    if failing.is_empty() {
        return HttpResponse::Ok().json(serde_json::json!({"status": "ok"}));
    }
    let failing: Vec<_> = failing
        .iter()
        .map(|f| serde_json::json!({"check": f.check, "reason": f.reason}))
        .collect();
    HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "failing", "failing": failing}))
}

async fn livez(health: web::Data<Health>) -> HttpResponse {
    verdict(health.liveness())
}

async fn readyz(health: web::Data<Health>) -> HttpResponse {
    verdict(health.readiness().await)
}

async fn metrics(health: web::Data<Health>) -> HttpResponse {
    match health.metrics_text() {
        Ok(body) => HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body),
        Err(e) => {
            tracing::error!("cannot encode the metrics: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// `READY=1` once ready, `WATCHDOG=1` at half the watchdog's interval
/// while live (when the unit sets `WatchdogSec=`), `STOPPING=1` on
/// shutdown.
async fn notify_systemd(health: Health, shutdown: CancellationToken) {
    let watchdog = sd_notify::watchdog_enabled().map(|limit| limit / 2);
    let mut ready = false;
    let mut pinged = Instant::now();
    loop {
        if !ready {
            let failing = health.readiness().await;
            if failing.is_empty() {
                ready = true;
                send(&[sd_notify::NotifyState::Ready]);
            } else {
                let status = format!("not ready: {}", reasons(&failing));
                send(&[sd_notify::NotifyState::Status(&status)]);
            }
        }
        if let Some(every) = watchdog {
            if pinged.elapsed() >= every {
                let failing = health.liveness();
                if failing.is_empty() {
                    send(&[sd_notify::NotifyState::Watchdog]);
                    pinged = Instant::now();
                } else {
                    // No ping: systemd restarts the unit once the watchdog expires.
                    tracing::error!("not live, withholding the systemd watchdog ping: {}", reasons(&failing));
                }
            }
        }
        let pause = match watchdog {
            Some(every) if ready => every.min(Duration::from_secs(10)) / 2,
            _ => READY_POLL,
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(pause.max(Duration::from_millis(100))) => {}
        }
    }
    send(&[sd_notify::NotifyState::Stopping]);
}

fn reasons(failing: &[Failing]) -> String {
    failing.iter().map(|f| f.reason.as_str()).collect::<Vec<_>>().join("; ")
}

fn send(state: &[sd_notify::NotifyState]) {
    if let Err(e) = sd_notify::notify(state) {
        tracing::warn!("cannot notify systemd: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Outcome = Result<(), Box<dyn std::error::Error>>;

    #[tokio::test]
    async fn a_loop_that_stops_beating_is_not_live_until_it_beats_again() -> Outcome {
        let health = Health::new("test")?;
        let beat = health.heartbeat("sweep", Duration::from_millis(50));
        assert!(health.liveness().is_empty());
        tokio::time::sleep(Duration::from_millis(80)).await;
        let failing = health.liveness();
        assert_eq!(failing.len(), 1);
        assert_eq!(failing[0].check, "sweep");
        beat.beat();
        assert!(health.liveness().is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn readiness_names_each_failing_check() -> Outcome {
        let health = Health::new("test")?;
        health.set("broker", Ok(()));
        health.probe("database", || async { Err("connection refused".to_owned()) });
        let failing = health.readiness().await;
        assert_eq!(failing.len(), 1);
        assert_eq!(failing[0].check, "database");
        assert_eq!(failing[0].reason, "database: connection refused");
        health.probe("database", || async { Ok(()) });
        assert!(health.readiness().await.is_empty());
        health.set("broker", Err("not consuming".to_owned()));
        assert_eq!(health.readiness().await[0].reason, "broker: not consuming");
        Ok(())
    }

    #[test]
    fn build_info_and_process_metrics_are_exported() -> Outcome {
        let health = Health::new("scheduler")?;
        let text = String::from_utf8(health.metrics_text()?)?;
        let version = env!("CARGO_PKG_VERSION");
        let info = format!("chroma_build_info{{service=\"scheduler\",version=\"{version}\"}} 1");
        assert!(text.contains(&info), "{text}");
        assert!(text.contains("process_resident_memory_bytes "), "{text}");
        assert!(text.contains("process_cpu_seconds_total "), "{text}");
        Ok(())
    }
}
