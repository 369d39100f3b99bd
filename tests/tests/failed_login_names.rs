//! The name a failed login tried (often a password typed into the wrong
//! box) is read by superusers only: others see that a login from an
//! address failed, and cannot find the name by searching messages.

use integration_tests::{login, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const TRIED: &str = "Tr0ub4dor-and-3";

/// The `login_failed` events `token`'s holder sees, searched for `q`.
async fn failed_logins(env: &TestEnv, token: &str, q: Option<&str>) -> anyhow::Result<Vec<Value>> {
    let query = q.map_or_else(String::new, |q| format!("&q={q}"));
    let (status, envelope) = env
        .call(
            Method::GET,
            &format!("/api/event?kind=login_failed{query}"),
            Some(token),
            None,
        )
        .await?;
    anyhow::ensure!(status == StatusCode::OK, "{envelope}");
    Ok(envelope["response"]["objects"].as_array().cloned().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_superusers_read_the_name_a_failed_login_tried() -> anyhow::Result<()> {
    let env = TestEnv::start("loginnames").await?;
    for (name, role) in [("reader", "readonly"), ("operator", "fsadmin")] {
        let body = json!({"username": name, "password": "a long password", "role": role});
        let (status, created) = env.post("/api/user", &body).await?;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let failed = reqwest::Client::new()
        .post(format!("{}/api/session", env.base))
        .json(&json!({"username": TRIED, "password": "whatever it was"}))
        .send()
        .await?;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);

    for name in ["reader", "operator"] {
        let token = login(&env.base, name, "a long password").await?;
        let events = failed_logins(&env, &token, None).await?;
        assert_eq!(events.len(), 1, "{events:?}");
        let text = events[0].to_string();
        assert!(!text.contains(TRIED), "{name} read the name tried: {text}");
        assert!(
            events[0]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("failed login from ")),
            "{text}"
        );
        assert!(events[0]["details"]["address"].is_string(), "{text}");
        assert!(
            failed_logins(&env, &token, Some(TRIED)).await?.is_empty(),
            "{name} found the name by searching"
        );
    }
    let events = failed_logins(&env, &env.token, None).await?;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0]["details"]["username"], TRIED,
        "the superuser cannot see it: {}",
        events[0]
    );
    env.stop().await
}
