//! Submitting the bench's commands through the HTTP API, all at once (with
//! bounded parallelism) or at a steady rate.

use anyhow::Context;
use futures::StreamExt;
use reqwest::header::CONTENT_TYPE;
use std::time::{Duration, Instant};

/// How the submission went.
pub struct Submission {
    /// Wall-clock time just before the first request.
    pub first_at: chrono::DateTime<chrono::Utc>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Each request's duration, in milliseconds.
    pub request_ms: Vec<f64>,
}

/// A command of one job with `steps` no-op steps and no locks.
pub fn command_body(steps: u16) -> anyhow::Result<String> {
    let steps: Vec<serde_json::Value> = (0..steps).map(|_| serde_json::json!({ "action": "noop" })).collect();
    let body = serde_json::json!({
        "message": "chroma-bench",
        "jobs": [{ "key": "bench", "description": "chroma-bench no-op job", "steps": steps }],
    });
    Ok(serde_json::to_string(&body)?)
}

/// Posts `count` copies of `body` to the API on `port`, at most `parallel`
/// at once, and no faster than `rate` per second if given. Fails on the
/// first refused request.
pub async fn submit_all(
    port: u16,
    token: &str,
    body: String,
    count: usize,
    parallel: usize,
    rate: Option<f64>,
) -> anyhow::Result<Submission> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(parallel)
        .timeout(Duration::from_secs(60))
        .build()?;
    let url = format!("http://127.0.0.1:{port}/api/command");
    let ticker = rate.map(|rate| {
        let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker
    });
    // Yields 0..count, each when its tick comes (immediately if unpaced).
    let due = futures::stream::unfold((0usize, ticker), move |(i, mut ticker)| async move {
        if i >= count {
            return None;
        }
        if let Some(ticker) = ticker.as_mut() {
            ticker.tick().await;
        }
        Some((i, (i + 1, ticker)))
    });
    let first_at = chrono::Utc::now();
    let started = Instant::now();
    let mut answers = std::pin::pin!(due.map(|_| post(&client, &url, &body)).buffer_unordered(parallel));
    let mut request_ms = Vec::with_capacity(count);
    while let Some(answer) = answers.next().await {
        request_ms.push(answer?);
    }
    Ok(Submission {
        first_at,
        elapsed: started.elapsed(),
        request_ms,
    })
}

/// One submission; returns how long it took in milliseconds.
async fn post(client: &reqwest::Client, url: &str, body: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let response = client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .context("POST /api/command failed")?;
    let status = response.status();
    if status != reqwest::StatusCode::ACCEPTED {
        let text = response.text().await.unwrap_or_default();
        anyhow::bail!("POST /api/command answered {status}: {text}");
    }
    // Read the answer so the connection goes back to the pool.
    response
        .bytes()
        .await
        .context("cannot read the answer of POST /api/command")?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}
