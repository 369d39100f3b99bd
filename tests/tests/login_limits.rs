//! The login limit: concurrent guesses cannot outrun it, and it counts per
//! user name and client, the client taken from `X-Forwarded-For` only when
//! a trusted proxy sends it.

use api::auth::limiter::MAX_FAILURES;
use integration_tests::{TestEnv, ADMIN_PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// One login as `admin`, forwarded for `client` if given → (status,
/// envelope, `Retry-After`).
async fn attempt(
    base: &str,
    client: Option<&str>,
    password: &str,
) -> anyhow::Result<(StatusCode, Value, Option<String>)> {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/api/session"))
        .json(&json!({"username": "admin", "password": password}));
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((status, response.json().await?, retry_after))
}

/// How many failed logins reached the password check (each is recorded).
async fn failed_login_events(env: &TestEnv) -> anyhow::Result<Vec<String>> {
    let rows = store::sql::query(
        &env.db,
        "SELECT message FROM event WHERE kind = 'login_failed' ORDER BY at",
        [],
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "message").ok())
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_reach_the_password_check_at_most_the_limit() -> anyhow::Result<()> {
    let env = TestEnv::start("loginburst").await?;
    let guesses = (0..30).map(|i| {
        attempt(
            &env.base,
            None,
            if i % 2 == 0 { "wrong guess!" } else { "another guess" },
        )
    });
    let answers = futures::future::join_all(guesses).await;
    let mut statuses = Vec::new();
    for answer in answers {
        let (status, envelope, retry_after) = answer?;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(envelope["errors"][0]["code"], "too_many_requests", "{envelope}");
            assert!(retry_after.is_some(), "a 429 without Retry-After: {envelope}");
        }
        statuses.push(status.as_u16());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (MAX_FAILURES, 30 - MAX_FAILURES), "{statuses:?}");
    let events = failed_login_events(&env).await?;
    assert_eq!(events.len(), MAX_FAILURES, "{events:?}");

    // The guesses used up the limit: the right password is refused too.
    let (status, envelope, _) = attempt(&env.base, None, ADMIN_PASSWORD).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{envelope}");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_blocked_behind_a_trusted_proxy_does_not_lock_out_others() -> anyhow::Result<()> {
    let env = TestEnv::start_with("loginproxy", |settings| {
        settings.trusted_proxies = vec![std::net::Ipv4Addr::LOCALHOST.into()];
    })
    .await?;
    let a = "203.0.113.7";
    let b = "198.51.100.9";
    for _ in 0..MAX_FAILURES {
        let (status, envelope, _) = attempt(&env.base, Some(a), "wrong guess!").await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{envelope}");
    }
    let (status, envelope, _) = attempt(&env.base, Some(a), ADMIN_PASSWORD).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "A is not blocked: {envelope}");
    // A cannot pass as B: the proxy appends the address it saw.
    let (status, envelope, _) = attempt(&env.base, Some(&format!("{b}, {a}")), ADMIN_PASSWORD).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "A escaped as B: {envelope}");

    let (status, envelope, _) = attempt(&env.base, Some(b), ADMIN_PASSWORD).await?;
    assert_eq!(status, StatusCode::OK, "B is locked out with A: {envelope}");
    let events = failed_login_events(&env).await?;
    assert!(events.iter().all(|m| m.ends_with(&format!("from {a}"))), "{events:?}");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() -> anyhow::Result<()> {
    let env = TestEnv::start("loginnoproxy").await?;
    for _ in 0..MAX_FAILURES {
        let (status, envelope, _) = attempt(&env.base, Some("203.0.113.7"), "wrong guess!").await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{envelope}");
    }
    // Both "clients" are this test's own address to the API.
    let (status, envelope, _) = attempt(&env.base, Some("198.51.100.9"), ADMIN_PASSWORD).await?;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "an untrusted X-Forwarded-For chose the client: {envelope}"
    );
    env.stop().await
}
