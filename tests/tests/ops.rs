//! The ops endpoint every long-running service serves on `CHROMA_OPS_BIND`
//! (no login): `/livez`, `/readyz` naming what fails, and `/metrics` with
//! the build info, the process metrics and the service's own counters.
//! The scheduler, a worker, the monitor and the plugin host run as the
//! real binaries, reaching PostgreSQL through a proxy that can freeze, as
//! a hung database server would.

use integration_tests::proxy::Proxy;
use integration_tests::{command, job, wait_for, Process, TestEnv};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// A free loopback port (free when asked; the service binds it soon after).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One service under test and its ops endpoint.
struct Service {
    name: &'static str,
    base: String,
    _process: Process,
}

impl Service {
    async fn get(&self, path: &str) -> anyhow::Result<(StatusCode, String)> {
        let response = reqwest::get(format!("{}{path}", self.base)).await?;
        Ok((response.status(), response.text().await?))
    }

    /// `/readyz`'s status and body, once it answers at all.
    async fn readiness(&self) -> anyhow::Result<(StatusCode, Value)> {
        let (status, body) = self.get("/readyz").await?;
        Ok((status, serde_json::from_str(&body)?))
    }

    async fn metrics(&self) -> anyhow::Result<String> {
        let (status, text) = self.get("/metrics").await?;
        anyhow::ensure!(status == StatusCode::OK, "{} /metrics answered {status}", self.name);
        Ok(text)
    }
}

/// The value of the sample line `series` (exact name and labels) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_answers_liveness_readiness_and_metrics_and_readiness_follows_the_database() -> anyhow::Result<()>
{
    let env = TestEnv::start("ops").await?;
    let (proxy, url) = Proxy::for_database(env.settings.database_url.expose_secret()).await?;
    let plugins = std::env::temp_dir().join(format!("chroma-ops-plugins-{}", env.name));
    std::fs::create_dir_all(&plugins)?;
    let plugin_dir = plugins.to_string_lossy().into_owned();

    let mut services = Vec::new();
    for (name, binary) in [
        ("scheduler", "chroma-scheduler"),
        ("worker", "chroma-worker"),
        ("monitor", "chroma-monitor"),
        ("plugins", "chroma-plugins"),
    ] {
        let bind = format!("127.0.0.1:{}", free_port()?);
        let process = env.spawn(
            binary,
            &[
                ("DATABASE_URL", url.as_str()),
                ("CHROMA_OPS_BIND", &bind),
                ("CHROMA_MONITOR_INTERVAL_MS", "500"),
                ("CHROMA_PLUGIN_DIR", &plugin_dir),
            ],
        )?;
        services.push(Service {
            name,
            base: format!("http://{bind}"),
            _process: process,
        });
    }

    for service in &services {
        wait_for(LONG, &format!("the {} to be ready", service.name), || async {
            Ok(matches!(service.readiness().await, Ok((StatusCode::OK, _))).then_some(()))
        })
        .await?;
        let (status, body) = service.get("/livez").await?;
        assert_eq!(status, StatusCode::OK, "{} /livez: {body}", service.name);
        let text = service.metrics().await?;
        let info = format!("chroma_build_info{{service=\"{}\",version=\"", service.name);
        assert!(text.lines().any(|l| l.starts_with(&info)), "{}: {text}", service.name);
        assert!(
            sample(&text, "process_resident_memory_bytes").is_some_and(|bytes| bytes > 0.0),
            "{}: {text}",
            service.name
        );
        assert!(sample(&text, "process_open_fds").is_some(), "{}: {text}", service.name);
    }
    let [scheduler, worker, monitor, _plugins] = &services[..] else {
        anyhow::bail!("four services expected");
    };

    // A command runs: the scheduler dispatched its step, the worker counts
    // it and its run time by action.
    let id = env
        .submit(&command(
            "ops",
            &[job("a", json!([{"action": "noop"}]), json!([]), &[])],
        ))
        .await?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let text = worker.metrics().await?;
    assert_eq!(
        sample(&text, "chroma_worker_steps_total{outcome=\"succeeded\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "chroma_worker_step_duration_seconds_count{action=\"noop\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "chroma_worker_steps_running"), Some(0.0), "{text}");
    let text = scheduler.metrics().await?;
    assert!(
        sample(&text, "chroma_scheduler_steps_dispatched_total").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, "chroma_scheduler_grant_pass_duration_seconds_count").is_some_and(|n| n >= 1.0),
        "{text}"
    );
    wait_for(LONG, "a monitoring round", || async {
        let text = monitor.metrics().await?;
        Ok(sample(&text, "chroma_monitor_rounds_total{outcome=\"ok\"}")
            .is_some_and(|n| n >= 1.0)
            .then_some(()))
    })
    .await?;
    let text = monitor.metrics().await?;
    assert!(
        sample(&text, "chroma_monitor_round_duration_seconds_count").is_some_and(|n| n >= 1.0),
        "{text}"
    );

    // The database stops answering: every service says it is not ready,
    // naming the database, and is still live.
    proxy.freeze();
    for service in &services {
        let (status, body) = wait_for(LONG, &format!("the {} to be unready", service.name), || async {
            let (status, body) = service.readiness().await?;
            Ok((status == StatusCode::SERVICE_UNAVAILABLE).then_some((status, body)))
        })
        .await?;
        assert_eq!(body["status"], "failing", "{}: {status} {body}", service.name);
        let checks: Vec<&str> = body["failing"]
            .as_array()
            .map(|all| all.iter().filter_map(|f| f["check"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(checks, ["database"], "{}: {body}", service.name);
        let (status, body) = service.get("/livez").await?;
        assert_eq!(status, StatusCode::OK, "{} /livez: {body}", service.name);
    }

    // It answers again: so does readiness.
    proxy.thaw();
    for service in &services {
        wait_for(LONG, &format!("the {} to be ready again", service.name), || async {
            Ok(matches!(service.readiness().await, Ok((StatusCode::OK, _))).then_some(()))
        })
        .await?;
    }
    drop(services);
    let _ = std::fs::remove_dir_all(&plugins);
    env.stop().await
}
