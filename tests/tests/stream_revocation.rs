//! `GET /api/stream` ends when the trust it was opened with ends: a logout,
//! a disabled user and a revoked API token each end an open stream with
//! `event: ended` within a keep-alive or two, while a stream whose token
//! is still good stays open.

use api::routes::stream::KEEPALIVE;
use futures::StreamExt;
use integration_tests::{login, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

const PASSWORD: &str = "a long password";

/// Creates the readonly user `name`; their id and a session token.
async fn user(env: &TestEnv, name: &str) -> anyhow::Result<(String, String)> {
    let body = json!({"username": name, "password": PASSWORD, "role": "readonly"});
    let (status, created) = env.post("/api/user", &body).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{created}");
    let id = created["response"]["id"].as_str().unwrap_or_default().to_owned();
    Ok((id, login(&env.base, name, PASSWORD).await?))
}

/// Opens a stream with `token`, and reads it in the background: the names
/// of the events it sent when it ended, or an error if it is still open
/// after `within`.
async fn open(
    env: &TestEnv,
    token: &str,
    within: Duration,
) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<Vec<String>>>> {
    let response = reqwest::Client::new()
        .get(format!("{}/api/stream", env.base))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(response.status() == StatusCode::OK, "{}", response.status());
    Ok(tokio::spawn(async move {
        let mut body = response.bytes_stream();
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, body.next()).await {
                Err(_) => anyhow::bail!("the stream is still open; it sent {text:?}"),
                Ok(None) => break,
                Ok(Some(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk?)),
            }
        }
        Ok(text
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .map(str::to_owned)
            .collect())
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_disabling_and_revoking_each_end_an_open_stream() -> anyhow::Result<()> {
    let env = TestEnv::start("streamrevoke").await?;
    let (_, leaving) = user(&env, "leaving").await?;
    let (disabled_id, disabled) = user(&env, "disabled").await?;
    let (_, owner) = user(&env, "owner").await?;
    let (status, created) = env
        .call(
            Method::POST,
            "/api/token",
            Some(&owner),
            Some(&json!({"name": "dashboard"})),
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let api_token = created["response"]["token"].as_str().unwrap_or_default().to_owned();
    let token_id = created["response"]["id"].as_str().unwrap_or_default().to_owned();
    let (_, staying) = user(&env, "staying").await?;

    let within = 2 * KEEPALIVE + Duration::from_secs(5);
    let streams = [
        open(&env, &leaving, within).await?,
        open(&env, &disabled, within).await?,
        open(&env, &api_token, within).await?,
    ];
    // Read past its first check: it must survive it.
    let kept = open(&env, &staying, KEEPALIVE + Duration::from_secs(3)).await?;

    let (status, envelope) = env.call(Method::DELETE, "/api/session", Some(&leaving), None).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let (status, envelope) = env
        .patch(&format!("/api/user/{disabled_id}"), &json!({"disabled": true}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let (status, envelope) = env
        .call(Method::DELETE, &format!("/api/token/{token_id}"), Some(&owner), None)
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");

    for (who, stream) in ["logged out", "disabled", "revoked token"].into_iter().zip(streams) {
        let events = stream.await?.map_err(|e| anyhow::anyhow!("{who}: {e}"))?;
        assert_eq!(events.first().map(String::as_str), Some("hello"), "{who}: {events:?}");
        assert_eq!(events.last().map(String::as_str), Some("ended"), "{who}: {events:?}");
    }
    let still_open = kept.await?;
    assert!(
        still_open.as_ref().is_err_and(|e| e.to_string().contains("still open")),
        "a stream with a good token ended: {still_open:?}"
    );
    env.stop().await
}
