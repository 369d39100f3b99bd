//! API tokens end with the trust they came from: a new password or a
//! disabled user revokes them (enabling the user again does not bring them
//! back), and a token created without `expires_in_days` still expires, 90
//! days later.

use integration_tests::{login, time, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a long password";

/// Creates the fsadmin `name`; their id and a session token.
async fn user(env: &TestEnv, name: &str) -> anyhow::Result<(String, String)> {
    let body = json!({"username": name, "password": PASSWORD, "role": "fsadmin"});
    let (status, created) = env.post("/api/user", &body).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{created}");
    let id = created["response"]["id"].as_str().unwrap_or_default().to_owned();
    Ok((id, login(&env.base, name, PASSWORD).await?))
}

/// An API token the holder of `session` creates with `body`; the answer.
async fn api_token(env: &TestEnv, session: &str, body: &Value) -> anyhow::Result<Value> {
    let (status, created) = env.call(Method::POST, "/api/token", Some(session), Some(body)).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{created}");
    Ok(created["response"].clone())
}

/// What `GET /api/host` answers the holder of `token`.
async fn status_with(env: &TestEnv, token: &str) -> anyhow::Result<StatusCode> {
    Ok(env.call(Method::GET, "/api/host", Some(token), None).await?.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_made_before_a_password_change_is_refused_after_it() -> anyhow::Result<()> {
    let env = TestEnv::start("tokenpassword").await?;
    let (id, session) = user(&env, "ops").await?;
    let created = api_token(&env, &session, &json!({"name": "cron"})).await?;
    let token = created["token"].as_str().unwrap_or_default();
    assert_eq!(status_with(&env, token).await?, StatusCode::OK);

    let (status, changed) = env
        .patch(
            &format!("/api/user/{id}"),
            &json!({"password": "another long password"}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        status_with(&env, token).await?,
        StatusCode::UNAUTHORIZED,
        "an API token outlived the password it was made under"
    );
    assert_eq!(status_with(&env, &session).await?, StatusCode::UNAUTHORIZED);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_users_token_stays_refused_after_enabling_them_again() -> anyhow::Result<()> {
    let env = TestEnv::start("tokendisabled").await?;
    let (id, session) = user(&env, "ops").await?;
    let created = api_token(&env, &session, &json!({"name": "cron", "expires_in_days": 7})).await?;
    let token = created["token"].as_str().unwrap_or_default();
    assert_eq!(status_with(&env, token).await?, StatusCode::OK);

    for disabled in [true, false] {
        let (status, changed) = env
            .patch(&format!("/api/user/{id}"), &json!({"disabled": disabled}))
            .await?;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["response"]["disabled"], json!(disabled));
        assert_eq!(status_with(&env, token).await?, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(status_with(&env, &session).await?, StatusCode::UNAUTHORIZED);
    // The user is back: a new login works, the old tokens do not.
    let again = login(&env.base, "ops", PASSWORD).await?;
    assert_eq!(status_with(&env, &again).await?, StatusCode::OK);
    assert_eq!(
        status_with(&env, token).await?,
        StatusCode::UNAUTHORIZED,
        "enabling the user revived an API token"
    );
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_created_without_an_expiry_expires_in_90_days() -> anyhow::Result<()> {
    let env = TestEnv::start("tokenexpiry").await?;
    let (_, session) = user(&env, "ops").await?;
    let created = api_token(&env, &session, &json!({"name": "cron"})).await?;
    let expected = chrono::Utc::now() + chrono::Duration::days(90);
    let near = |at: chrono::DateTime<chrono::Utc>| (at - expected).num_seconds().abs() < 120;
    assert!(near(time(&created["expires_at"])?), "{created}");

    let (status, listed) = env.call(Method::GET, "/api/token", Some(&session), None).await?;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed = listed["response"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["id"] == created["id"])
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed["kind"], "api", "{listed}");
    assert!(near(time(&listed["expires_at"])?), "{listed}");
    env.stop().await
}
