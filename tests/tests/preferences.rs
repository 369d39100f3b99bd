//! Each user's console settings: kept per user, refused when malformed,
//! too large or too many.

use integration_tests::{login, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_kept_per_user_and_checked() -> anyhow::Result<()> {
    let env = TestEnv::start("preferences").await?;
    let (status, envelope) = env.get("/api/preference/dashboard").await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["value"], json!(null), "nothing stored yet");

    let layout = json!({"version": 1, "widgets": [{"i": "a", "type": "bandwidth", "x": 0, "y": 0, "w": 6, "h": 4}]});
    let put = |key: &str, value: serde_json::Value| {
        let path = format!("/api/preference/{key}");
        let body = json!({ "value": value });
        let env = &env;
        async move { env.call(Method::PUT, &path, Some(&env.token), Some(&body)).await }
    };
    let (status, envelope) = put("dashboard", layout.clone()).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let (_, envelope) = env.get("/api/preference/dashboard").await?;
    assert_eq!(envelope["response"]["value"], layout);

    // Numbers at the edge of f64 come back as they went in (PostgreSQL's
    // jsonb writes them out as 309-digit integers; found by the API fuzz).
    let extremes = json!([[], [-1.7976931348623155e308, true, -0.3333333333333333, 5e-324]]);
    let (status, envelope) = put("extremes", extremes.clone()).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["value"], extremes);
    let (_, envelope) = env.get("/api/preference/extremes").await?;
    assert_eq!(envelope["response"]["value"], extremes);

    // Another user has their own.
    let reader = json!({"username": "reader", "password": "a long password", "role": "readonly"});
    let (status, envelope) = env.post("/api/user", &reader).await?;
    assert_eq!(status, StatusCode::CREATED, "{envelope}");
    let token = login(&env.base, "reader", "a long password").await?;
    let (_, envelope) = env
        .call(Method::GET, "/api/preference/dashboard", Some(&token), None)
        .await?;
    assert_eq!(
        envelope["response"]["value"],
        json!(null),
        "one user's layout is not another's"
    );

    // Refusals name what was wrong and change nothing.
    let (status, envelope) = put("Bad%20Key", json!(1)).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "key");
    let (status, envelope) = put("dashboard", json!("x".repeat(70 * 1024))).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "value");
    let (status, envelope) = put("dashboard", json!({"widgets": ["a\u{0}b"]})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "NUL cannot be stored: {envelope}");
    assert_eq!(envelope["errors"][0]["field"], "value");
    let (_, envelope) = env.get("/api/preference/dashboard").await?;
    assert_eq!(
        envelope["response"]["value"], layout,
        "a refused value changed the stored one"
    );
    for n in 1..31 {
        let (status, envelope) = put(&format!("k{n}"), json!(n)).await?;
        assert_eq!(status, StatusCode::OK, "setting {n}: {envelope}");
    }
    let (status, envelope) = put("one-too-many", json!(0)).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["code"], "too_many_settings");
    let (status, _) = put("k1", json!("changed")).await?;
    assert_eq!(status, StatusCode::OK, "an existing setting can still change");
    env.stop().await
}
