//! Authentication and roles on every route: the route table that registers
//! the routes is walked here, so a new route is checked as soon as it
//! exists. Anonymous callers get 401 everywhere but the public routes, a
//! role too low gets 403, and neither changes anything. Logins, sessions,
//! API tokens, users, the login rate limit and the audit trail.

use api::auth::{Access, Role};
use integration_tests::{login, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The route's path with its `{id}` filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", &uuid::Uuid::nil().to_string())
}

fn method(m: &actix_web::http::Method) -> Method {
    Method::from_bytes(m.as_str().as_bytes()).unwrap_or(Method::GET)
}

/// Rows that any change through the API would add or alter.
async fn footprint(env: &TestEnv) -> anyhow::Result<Vec<i64>> {
    let mut counts = Vec::new();
    for table in ["command", "job", "host", "filesystem", "target", "app_user"] {
        let rows = store::sql::query(&env.db, &format!("SELECT count(*) AS n FROM {table}"), []).await?;
        counts.push(
            rows.first()
                .map(|r| r.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0),
        );
    }
    Ok(counts)
}

async fn make_user(env: &TestEnv, name: &str, role: &str) -> anyhow::Result<String> {
    let body = json!({"username": name, "password": "a long password", "role": role});
    let (status, envelope) = env.post("/api/user", &body).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{envelope}");
    login(&env.base, name, "a long password").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_needs_the_right_role_and_refusals_change_nothing() -> anyhow::Result<()> {
    let env = TestEnv::start("authroutes").await?;
    let readonly = make_user(&env, "reader", "readonly").await?;
    let fsadmin = make_user(&env, "operator", "fsadmin").await?;
    let before = footprint(&env).await?;
    let mut endpoints = api::routes::endpoints();
    // Logging out ends the session the walk uses: do it last.
    endpoints.sort_by_key(|(m, path, _)| *m == actix_web::http::Method::DELETE && *path == "/session");
    assert!(endpoints.len() > 30, "the route table is incomplete");
    // Refusals first: without a login, and with a role too low.
    for (m, path, access) in &endpoints {
        let url = format!("/api{}", concrete(path));
        let body = (*m != actix_web::http::Method::GET).then(|| json!({}));
        let (status, envelope) = env.call(method(m), &url, None, body.as_ref()).await?;
        match access {
            Access::Public => assert_ne!(status, StatusCode::UNAUTHORIZED, "{m} {url}: {envelope}"),
            Access::Role(_) => {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{m} {url} without login: {envelope}");
                assert_eq!(envelope["errors"][0]["code"], "unauthenticated");
            }
        }
        for (token, role) in [(&readonly, Role::Readonly), (&fsadmin, Role::Fsadmin)] {
            if let Access::Role(needed) = access {
                if *needed > role {
                    let (status, envelope) = env.call(method(m), &url, Some(token), body.as_ref()).await?;
                    assert_eq!(status, StatusCode::FORBIDDEN, "{m} {url} as {role:?}: {envelope}");
                    assert_eq!(envelope["errors"][0]["code"], "forbidden");
                }
            }
        }
    }
    assert_eq!(footprint(&env).await?, before, "a refused request changed something");
    // Then every role reaches what it may (answers may be 4xx for the
    // empty bodies, but never 401 or 403).
    for (m, path, access) in &endpoints {
        let url = format!("/api{}", concrete(path));
        let body = (*m != actix_web::http::Method::GET).then(|| json!({}));
        for (token, role) in [(&readonly, Role::Readonly), (&fsadmin, Role::Fsadmin)] {
            let allowed = match access {
                Access::Public => true,
                Access::Role(needed) => *needed <= role,
            };
            if allowed {
                let (status, envelope) = env.call(method(m), &url, Some(token), body.as_ref()).await?;
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{m} {url} as {role:?}: {status} {envelope}"
                );
            }
        }
    }
    // The walk logged both users out last; the session is gone.
    let (status, _) = env.call(Method::GET, "/api/host", Some(&readonly), None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a logged-out session still works");
    let readonly = login(&env.base, "reader", "a long password").await?;
    // Also under the versioned prefix, and on routes that do not exist.
    let (status, _) = env.call(Method::GET, "/api/v1/host", None, None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = env.call(Method::GET, "/api/v1/host", Some(&readonly), None).await?;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = env.call(Method::DELETE, "/api/no/such/route", None, None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = env.call(Method::GET, "/api/host", Some("forged-token"), None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A percent-escaped path is guarded as the route it reaches: outside
    // `/api` as it is written, inside once decoded.
    for path in ["/%61pi/host", "/%61pi/v1/user", "/api/%75ser", "/%6detrics"] {
        let (status, envelope) = env.call(Method::GET, path, None, None).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "GET {path} without login: {envelope}");
    }
    let user = json!({"username": "intruder", "password": "a long password", "role": "superuser"});
    let (status, envelope) = env.call(Method::POST, "/%61pi/user", None, Some(&user)).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{envelope}");
    let (status, envelope) = env.call(Method::GET, "/api/%75ser", Some(&readonly), None).await?;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a readonly user reached the user list: {envelope}"
    );
    let (status, envelope) = env
        .call(Method::POST, "/api/%75ser", Some(&readonly), Some(&user))
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{envelope}");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_tokens_users_rate_limit_and_audit() -> anyhow::Result<()> {
    let env = TestEnv::start("authflows").await?;
    // Who am I; the login also sets an HttpOnly session cookie.
    let (status, me) = env.get("/api/session").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["response"]["user"]["username"], "admin");
    assert_eq!(me["response"]["user"]["role"], "superuser");
    let response = reqwest::Client::new()
        .post(format!("{}/api/session", env.base))
        .json(&json!({"username": "admin", "password": integration_tests::ADMIN_PASSWORD}))
        .send()
        .await?;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.starts_with("chroma_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let session_cookie = cookie.split(';').next().unwrap_or_default().to_owned();
    let by_cookie = reqwest::Client::new()
        .get(format!("{}/api/host", env.base))
        .header("cookie", session_cookie)
        .send()
        .await?;
    assert_eq!(by_cookie.status(), StatusCode::OK);

    // Users: bad input, duplicates, weak passwords, roles.
    let (status, envelope) = env
        .post(
            "/api/user",
            &json!({"username": "x y", "password": "short", "role": "god"}),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    let fields: Vec<&str> = envelope["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["username", "password", "role"]);
    let token = {
        let (status, created) = env
            .post(
                "/api/user",
                &json!({"username": "ops", "password": "a long password", "role": "fsadmin"}),
            )
            .await?;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert!(created["response"].get("password_hash").is_none(), "{created}");
        login(&env.base, "ops", "a long password").await?
    };
    let (status, _) = env
        .post(
            "/api/user",
            &json!({"username": "ops", "password": "a long password", "role": "fsadmin"}),
        )
        .await?;
    assert_eq!(status, StatusCode::CONFLICT);

    // API tokens: created, used, listed without their value, revoked.
    let (status, created) = env
        .call(Method::POST, "/api/token", Some(&token), Some(&json!({"name": "cron"})))
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let api_token = created["response"]["token"].as_str().unwrap_or_default().to_owned();
    let token_id = created["response"]["id"].as_str().unwrap_or_default().to_owned();
    let (status, listed) = env.call(Method::GET, "/api/token", Some(&api_token), None).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(!listed.to_string().contains(&api_token), "a token value was listed");
    let (status, _) = env
        .call(Method::DELETE, &format!("/api/token/{token_id}"), Some(&token), None)
        .await?;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = env.call(Method::GET, "/api/host", Some(&api_token), None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked token still works");

    // Logout ends the session; disabling a user ends theirs.
    let (status, _) = env.call(Method::DELETE, "/api/session", Some(&token), None).await?;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = env.call(Method::GET, "/api/host", Some(&token), None).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let again = login(&env.base, "ops", "a long password").await?;
    let (_, users) = env.get("/api/user").await?;
    let ops_id = users["response"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["username"] == "ops")
        .and_then(|u| u["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let (status, _) = env
        .patch(&format!("/api/user/{ops_id}"), &json!({"disabled": true}))
        .await?;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = env.call(Method::GET, "/api/host", Some(&again), None).await?;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a disabled user's session still works"
    );
    assert!(login(&env.base, "ops", "a long password").await.is_err());

    // Repeated failed logins are slowed down, whoever the user.
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (status, _) = env
            .call(
                Method::POST,
                "/api/session",
                None,
                Some(&json!({"username": "admin", "password": "wrong guess!"})),
            )
            .await?;
        statuses.push(status.as_u16());
    }
    // The failed login of the disabled user above counts for this address.
    let first_refusal = statuses.iter().position(|s| *s == 429);
    assert!(
        statuses[0] == 401 && first_refusal.is_some_and(|i| i <= 5),
        "{statuses:?}"
    );
    assert!(
        statuses[first_refusal.unwrap_or(0)..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    assert!(
        login(&env.base, "admin", integration_tests::ADMIN_PASSWORD)
            .await
            .is_err(),
        "the limit did not hold"
    );

    // The audit trail names who changed what.
    let rows = store::sql::query(
        &env.db,
        "SELECT username, message FROM event WHERE kind = 'api_change' ORDER BY at",
        [],
    )
    .await?;
    let lines: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "message").ok())
        .collect();
    assert!(lines.iter().any(|l| l.starts_with("admin POST /api/user")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("ops POST /api/token")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("a long password")));
    env.stop().await
}

/// Every user name, sorted.
async fn usernames(env: &TestEnv) -> anyhow::Result<Vec<String>> {
    let rows = store::sql::query(&env.db, "SELECT username FROM app_user", []).await?;
    let mut names = rows
        .iter()
        .map(|r| r.try_get::<String>("", "username"))
        .collect::<Result<Vec<String>, _>>()?;
    names.sort();
    Ok(names)
}

/// The session cookie of a fresh login as the test superuser.
async fn session_cookie(env: &TestEnv) -> anyhow::Result<String> {
    let response = reqwest::Client::new()
        .post(format!("{}/api/session", env.base))
        .json(&json!({"username": "admin", "password": integration_tests::ADMIN_PASSWORD}))
        .send()
        .await?;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Ok(cookie.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_changes_must_come_from_the_api_origin() -> anyhow::Result<()> {
    let env = TestEnv::start("authorigin").await?;
    let cookie = session_cookie(&env).await?;
    assert!(cookie.starts_with("chroma_session="), "{cookie}");
    let client = reqwest::Client::new();
    let user = |name: &str| json!({"username": name, "password": "a long password", "role": "readonly"});
    let before = usernames(&env).await?;

    // A page of another origin (another port of the same host is
    // same-site, so the cookie goes along) is refused and changes nothing.
    for (header, value) in [
        ("origin", "http://evil.example".to_owned()),
        ("origin", "http://127.0.0.1:1".to_owned()),
        ("origin", "null".to_owned()),
        ("referer", "http://evil.example/page".to_owned()),
    ] {
        let response = client
            .post(format!("{}/api/user", env.base))
            .header("cookie", &cookie)
            .header(header, &value)
            .json(&user("forged"))
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}: {value}");
        let envelope: serde_json::Value = response.json().await?;
        assert_eq!(envelope["success"], false, "{envelope}");
        assert_eq!(envelope["errors"][0]["code"], "forbidden", "{envelope}");
        let message = envelope["errors"][0]["message"].as_str().unwrap_or_default();
        let refused = value.trim_end_matches("/page");
        assert!(message.contains(refused), "the refused origin is not named: {message}");
    }
    // Without Origin or Referer, a cookie is not enough either.
    let response = client
        .post(format!("{}/api/user", env.base))
        .header("cookie", &cookie)
        .json(&user("forged"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = client
        .patch(format!("{}/api/user/{}", env.base, uuid::Uuid::nil()))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .json(&json!({"disabled": true}))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(usernames(&env).await?, before, "a refused change was made");
    // Reading with the cookie needs no origin.
    let response = client
        .get(format!("{}/api/user", env.base))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);

    // The console's own origin (or its page as Referer) is let through.
    let response = client
        .post(format!("{}/api/user", env.base))
        .header("cookie", &cookie)
        .header("origin", &env.base)
        .json(&user("by-origin"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = client
        .post(format!("{}/api/user", env.base))
        .header("cookie", &cookie)
        .header("referer", format!("{}/users?page=2", env.base))
        .json(&user("by-referer"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::CREATED);
    // A Bearer token is not sent by a browser on its own: no origin check.
    let response = client
        .post(format!("{}/api/user", env.base))
        .bearer_auth(&env.token)
        .header("origin", "http://evil.example")
        .json(&user("by-token"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut expected = before.clone();
    expected.extend(["by-origin", "by-referer", "by-token"].map(String::from));
    expected.sort();
    assert_eq!(usernames(&env).await?, expected);
    env.stop().await
}
