//! `GET /metrics`: Prometheus text with job and step counts, queue depths,
//! request counts and events; a login is needed as for the API.

use integration_tests::{command, job, TestEnv};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_jobs_queues_requests_and_need_a_login() -> anyhow::Result<()> {
    let mut env = TestEnv::start("metrics").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let id = env
        .submit(&command("m", &[job("a", json!([{"action": "noop"}]), json!([]), &[])]))
        .await?;
    let done = env.finished(&id, Duration::from_secs(30)).await?;
    assert_eq!(done["state"], "succeeded");
    let anonymous = reqwest::get(format!("{}/metrics", env.base)).await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let response = env.http.get(format!("{}/metrics", env.base)).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await?;
    let has = |line: &str| text.lines().any(|l| l.starts_with(line));
    assert!(has("chroma_jobs{state=\"succeeded\"} 1"), "{text}");
    assert!(has("chroma_commands{state=\"succeeded\"} 1"), "{text}");
    let steps_queue = format!("chroma_queue_messages{{queue=\"{}.steps\"}}", env.settings.queue_prefix);
    assert!(has(&steps_queue), "{text}");
    assert!(has("chroma_queue_consumers{queue=\""), "{text}");
    assert!(
        has("chroma_http_requests_total{method=\"POST\",route=\"/api/command\",status=\"202\"} 1"),
        "{text}"
    );
    assert!(has("chroma_steps_last_hour{what=\"redeliveries\"} 0"), "{text}");
    // Step durations are the workers' histogram, not quantiles here.
    assert!(!text.contains("chroma_step_duration_seconds"), "{text}");
    assert!(has("chroma_build_info{service=\"api\",version=\""), "{text}");
    assert!(has("process_resident_memory_bytes "), "{text}");
    assert!(has("chroma_events_last_hour{kind=\"login\"}"), "{text}");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invented_methods_are_counted_as_other() -> anyhow::Result<()> {
    let env = TestEnv::start("metricsmethods").await?;
    // Anonymous: these are counted before the login check refuses them.
    let anonymous = reqwest::Client::new();
    for name in ["FOOBAR", "BREW", "X-RANDOM-1"] {
        let method = reqwest::Method::from_bytes(name.as_bytes())?;
        for path in ["/api/host", "/metrics", "/no/such/page"] {
            anonymous
                .request(method.clone(), format!("{}{path}", env.base))
                .send()
                .await?;
        }
    }
    let response = env.http.get(format!("{}/metrics", env.base)).send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await?;
    for name in ["FOOBAR", "BREW", "X-RANDOM-1"] {
        assert!(!text.contains(name), "an invented method became a label:\n{text}");
    }
    let requests = |method: &str| {
        text.lines()
            .any(|l| l.starts_with(&format!("chroma_http_requests_total{{method=\"{method}\"")))
    };
    assert!(requests("other"), "{text}");
    assert!(requests("POST"), "the login is still counted by its method:\n{text}");
    env.stop().await
}
