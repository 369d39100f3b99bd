//! A login's cost does not tell which user names exist: a name no user has,
//! and a disabled user, cost one argon2 verification each, as a wrong
//! password for a real user does. Counted, not timed, so the test is not
//! at the mercy of a loaded machine (`api::auth::password::verifications`
//! counts this process's verifications; this file holds one test so no
//! other login runs beside it).

use api::auth::password::verifications;
use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::json;

/// Logs in as `username` with a wrong password → (status, verifications run).
async fn wrong_login(env: &TestEnv, username: &str) -> anyhow::Result<(StatusCode, u64)> {
    let before = verifications();
    let response = reqwest::Client::new()
        .post(format!("{}/api/session", env.base))
        .json(&json!({"username": username, "password": "not the password"}))
        .send()
        .await?;
    Ok((response.status(), verifications() - before))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_name_costs_one_verification_like_a_known_one() -> anyhow::Result<()> {
    let env = TestEnv::start("logintiming").await?;
    let body = json!({"username": "gone", "password": "a long password", "role": "readonly"});
    let (status, created) = env.post("/api/user", &body).await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["response"]["id"].as_str().unwrap_or_default().to_owned();
    let (status, changed) = env
        .patch(&format!("/api/user/{id}"), &json!({"disabled": true}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{changed}");

    for name in ["admin", "nobody-has-this-name", "gone", "not a plausible name\u{1}"] {
        let (status, verified) = wrong_login(&env, name).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(
            verified, 1,
            "a wrong login as {name:?} ran {verified} argon2 verifications"
        );
    }
    env.stop().await
}
