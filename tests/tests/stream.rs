//! `GET /api/stream`: Server-Sent Events of committed changes. A client
//! sees a host being added: its command, job and probe step going through
//! their states, and the host becoming managed.

use futures::StreamExt;
use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// Reads events from the stream until `done` says so, within 30 s.
async fn read_until(
    response: reqwest::Response,
    mut done: impl FnMut(&[(String, Value)]) -> bool,
) -> anyhow::Result<Vec<(String, Value)>> {
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(&events) {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .map_err(|_| anyhow::anyhow!("timed out; events so far: {events:?}"))?
            .ok_or_else(|| anyhow::anyhow!("the stream ended"))??;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let event = frame.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or("");
            let data = frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
            if !event.is_empty() {
                events.push((event.to_owned(), serde_json::from_str(data)?));
            }
        }
    }
    Ok(events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_shows_jobs_and_steps_changing_as_they_commit() -> anyhow::Result<()> {
    let mut env = TestEnv::start("stream").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let anonymous = reqwest::get(format!("{}/api/stream", env.base)).await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, envelope) = env.get("/api/stream?kinds=bogus").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");

    let (cluster, _) = env.simulated_cluster(&["mds1"]).await?;
    let response = env
        .http
        .get(format!("{}/api/stream?kinds=command,job,step,host", env.base))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let reader = tokio::spawn(read_until(response, |events| {
        events
            .iter()
            .any(|(e, d)| e == "change" && d["kind"] == "command" && d["state"] == "succeeded")
    }));
    // Let the stream subscribe before the changes happen.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let body = json!({"address": "127.0.0.1", "port": cluster.hosts[0].addr.port()});
    let (status, envelope) = env.post("/api/host", &body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let host_id = envelope["response"]["host"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let events = reader.await??;
    assert_eq!(events[0].0, "hello");
    let changes: Vec<&Value> = events.iter().filter(|(e, _)| e == "change").map(|(_, d)| d).collect();
    let seen = |kind: &str, state: &str| changes.iter().any(|d| d["kind"] == kind && d["state"] == state);
    assert!(seen("job", "running") && seen("job", "succeeded"), "{changes:?}");
    assert!(seen("step", "running") && seen("step", "succeeded"), "{changes:?}");
    assert!(
        changes
            .iter()
            .any(|d| d["kind"] == "step" && d["action"] == "probe_host"),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|d| d["kind"] == "host" && d["id"] == host_id.as_str() && d["state"] == "managed"),
        "{changes:?}"
    );
    cluster.shutdown().await;
    env.stop().await
}
