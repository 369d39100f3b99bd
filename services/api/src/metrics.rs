//! `GET /metrics` in Prometheus' text format (a login is needed, as for
//! the API: scrape with a read-only user's API token as a Bearer token).
//! Request counts and latencies are counted in this process as requests
//! pass; the rest is read at scrape time: commands and jobs by state, the
//! steps of active jobs by state, queue depths from RabbitMQ, and over the
//! last hour redeliveries and dead letters. Like every service it also
//! exports `chroma_build_info` and the `process_*` metrics; step
//! durations are a histogram of the workers, which run the steps
//! (`chroma_worker_step_duration_seconds` on their ops endpoints).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};
use std::time::Instant;

use crate::error::ApiError;
use crate::state::AppState;

/// What this process counts as requests pass.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        setup::ops::register_standard(&registry, "api")?;
        let requests = IntCounterVec::new(
            Opts::new("chroma_http_requests_total", "API requests by method, route and status"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("chroma_http_request_duration_seconds", "API request latency by route"),
            &["method", "route"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
        })
    }
}

/// The `method` label of a request: the standard methods by name, any
/// other `other`. Requests are counted before the login check, so a raw
/// method would let an anonymous client create series without bound.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts every request by its route pattern (not its path: ids would
/// make unbounded label values) and its method (`method_label`).
pub async fn count(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    if let Some(state) = state {
        let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
        let method = method_label(response.request().method());
        let status = response.status().as_u16().to_string();
        state
            .metrics
            .requests
            .with_label_values(&[method, &route, &status])
            .inc();
        state
            .metrics
            .latency
            .with_label_values(&[method, &route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> Result<IntGaugeVec, ApiError> {
    IntGaugeVec::new(Opts::new(name, help), labels).map_err(|e| ApiError::Internal(e.into()))
}

/// The smallest UUIDv7 of an hour ago: ids are time-ordered, so "recent"
/// is a primary-key range, not a scan.
fn an_hour_ago() -> uuid::Uuid {
    let then = chrono::Utc::now() - chrono::Duration::hours(1);
    let ms = u64::try_from(then.timestamp_millis()).unwrap_or(0);
    uuid::Uuid::from_u128(u128::from(ms) << 80 | 0x7000_u128 << 64)
}

/// The metrics.
pub async fn get(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let scrape = Registry::new();
    let register =
        |c: Box<dyn prometheus::core::Collector>| scrape.register(c).map_err(|e| ApiError::Internal(e.into()));
    let commands = gauge("chroma_commands", "Commands by state", &["state"])?;
    for (command_state, n) in store::commands::count_by_state(&state.db).await? {
        commands.with_label_values(&[command_state.as_str()]).set(n);
    }
    let jobs = gauge("chroma_jobs", "Jobs by state", &["state"])?;
    for (job_state, n) in store::jobs::count_by_state(&state.db).await? {
        jobs.with_label_values(&[job_state.as_str()]).set(n);
    }
    let steps = gauge(
        "chroma_active_steps",
        "Steps of running or paused jobs by state",
        &["state"],
    )?;
    for (label, n) in store::steps::active_count_by_state(&state.db).await? {
        steps.with_label_values(&[&label]).set(n);
    }
    let recent = gauge(
        "chroma_steps_last_hour",
        "Over steps created in the last hour: redeliveries (attempts beyond the first) and dead letters",
        &["what"],
    )?;
    let since = an_hour_ago();
    let retries = store::steps::recent_retries(&state.db, since).await?;
    recent.with_label_values(&["redeliveries"]).set(retries.redeliveries);
    recent.with_label_values(&["dead_letters"]).set(retries.dead_letters);
    let events = gauge(
        "chroma_events_last_hour",
        "Events of the last hour by kind (step_rescued, step_dead_lettered, api_change, login_failed, …)",
        &["kind"],
    )?;
    let since_time = chrono::Utc::now() - chrono::Duration::hours(1);
    for (label, n) in store::events::count_by_kind_since(&state.db, since_time).await? {
        events.with_label_values(&[&label]).set(n);
    }
    let queues = gauge(
        "chroma_queue_messages",
        "Messages ready in each RabbitMQ queue",
        &["queue"],
    )?;
    let consumers = gauge("chroma_queue_consumers", "Consumers of each RabbitMQ queue", &["queue"])?;
    if let Ok(channel) = state.broker.channel().await {
        let t = state.broker.topology();
        for name in [&t.jobs, &t.steps, &t.results, &t.dead_steps] {
            let passive = QueueDeclareOptions {
                passive: true,
                ..Default::default()
            };
            if let Ok(q) = channel
                .queue_declare(name.as_str(), passive, FieldTable::default())
                .await
            {
                queues.with_label_values(&[name]).set(i64::from(q.message_count()));
                consumers.with_label_values(&[name]).set(i64::from(q.consumer_count()));
            }
        }
        let _ = channel.close(200, "metrics read").await;
    }
    for c in [commands, jobs, steps, recent, events, queues, consumers] {
        register(Box::new(c))?;
    }
    let mut families = state.metrics.registry.gather();
    families.extend(scrape.gather());
    let mut body = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut body)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body))
}
