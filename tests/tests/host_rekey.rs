//! Adding a removed host again never pins a new host key silently: the key
//! pinned when it was managed stays pinned while the server still shows
//! it; another key is refused with 409 `host_key_changed` naming both,
//! and changes nothing, until the request names the new key or says
//! `replace_key`.

use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A host key the simulated server does not have.
fn old_key() -> String {
    format!("SHA256:{}", "B".repeat(43))
}

/// Records a host at `127.0.0.1:port` that was managed with `key` and then
/// removed; its id.
async fn removed_host(env: &TestEnv, port: u16, key: &str) -> anyhow::Result<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    store::hosts::add(&env.db, id, "127.0.0.1", port, Some(key.to_owned())).await?;
    store::hosts::record_removed(&env.db, None, id).await?;
    Ok(id)
}

/// The host at `127.0.0.1:port` as stored: (state, fingerprint).
async fn stored(env: &TestEnv, port: u16) -> anyhow::Result<(String, Option<String>)> {
    let host = store::hosts::at_address(&env.db, "127.0.0.1", port)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no host at port {port}"))?;
    Ok((host.state, host.fingerprint))
}

async fn add(env: &TestEnv, port: u16, extra: Value) -> anyhow::Result<(StatusCode, Value)> {
    let mut body = json!({"address": "127.0.0.1", "port": port});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    env.post("/api/host", &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_host_with_another_key_is_refused_until_the_key_is_named() -> anyhow::Result<()> {
    let env = TestEnv::start("hostrekey").await?;
    let (cluster, _) = env.simulated_cluster(&["oss1", "oss2"]).await?;
    let (changed, same) = (cluster.hosts[0].addr.port(), cluster.hosts[1].addr.port());
    let (status, scanned) = env
        .post("/api/host/scan", &json!({"address": "127.0.0.1", "port": changed}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{scanned}");
    let new_key = scanned["response"]["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let id = removed_host(&env, changed, &old_key()).await?;

    let (status, envelope) = add(&env, changed, json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert_eq!(envelope["errors"][0]["code"], "host_key_changed", "{envelope}");
    let message = envelope["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&old_key()) && message.contains(&new_key), "{message}");
    assert_eq!(
        stored(&env, changed).await?,
        ("removed".into(), Some(old_key())),
        "a refusal changed the host"
    );

    // Naming the new key adds the same host with that key pinned.
    let (status, envelope) = add(&env, changed, json!({"fingerprint": new_key})).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    assert_eq!(envelope["response"]["host"]["id"], json!(id), "{envelope}");
    assert_eq!(
        stored(&env, changed).await?,
        ("unconfigured".into(), Some(new_key.clone()))
    );

    // A server still showing its old key keeps it pinned, unasked.
    let (status, scanned) = env
        .post("/api/host/scan", &json!({"address": "127.0.0.1", "port": same}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{scanned}");
    let its_key = scanned["response"]["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    removed_host(&env, same, &its_key).await?;
    let (status, envelope) = add(&env, same, json!({})).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    assert_eq!(stored(&env, same).await?, ("unconfigured".into(), Some(its_key)));
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_key_or_an_unreachable_server_never_pins_a_key_unasked() -> anyhow::Result<()> {
    let env = TestEnv::start("hostreplace").await?;
    let (cluster, _) = env.simulated_cluster(&["oss1"]).await?;
    let port = cluster.hosts[0].addr.port();
    removed_host(&env, port, &old_key()).await?;
    let (status, envelope) = add(&env, port, json!({"replace_key": true})).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    // Pinned again at first contact, as the caller asked.
    assert_eq!(stored(&env, port).await?, ("unconfigured".into(), None));

    // Nothing listens there: the old key stays pinned for the probe to check.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let closed = listener.local_addr()?.port();
    drop(listener);
    removed_host(&env, closed, &old_key()).await?;
    let (status, envelope) = add(&env, closed, json!({})).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    assert_eq!(stored(&env, closed).await?, ("unconfigured".into(), Some(old_key())));
    env.stop().await
}
