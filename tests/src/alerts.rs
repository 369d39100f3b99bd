//! Waiting for alerts as a user watching `GET /api/alert` would.

use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

use crate::{wait_for, TestEnv};

/// How long an alert may take to be raised or cleared: a few monitor
/// rounds and Pacemaker monitor intervals.
pub const SOON: Duration = Duration::from_secs(30);

/// The `response` of a GET that must answer 200.
pub async fn get(env: &TestEnv, path: &str) -> anyhow::Result<Value> {
    let (status, envelope) = env.get(path).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET {path} answered {status}: {envelope}");
    Ok(envelope["response"].clone())
}

/// The active alert of `kind` on `item`, if there is one.
pub async fn active_alert(env: &TestEnv, kind: &str, item: &str) -> anyhow::Result<Option<Value>> {
    let page = get(env, &format!("/api/alert?active=true&kind={kind}&item={item}")).await?;
    Ok(page["objects"].as_array().and_then(|a| a.first()).cloned())
}

/// Waits until an alert of `kind` on `item` is active; returns it.
pub async fn alert_raised(env: &TestEnv, kind: &str, item: &str) -> anyhow::Result<Value> {
    wait_for(SOON, &format!("a {kind} alert on {item}"), || async {
        active_alert(env, kind, item).await
    })
    .await
}

/// Waits until no alert of `kind` on `item` is active.
pub async fn alert_cleared(env: &TestEnv, kind: &str, item: &str) -> anyhow::Result<()> {
    wait_for(SOON, &format!("the {kind} alert on {item} to clear"), || async {
        Ok(active_alert(env, kind, item).await?.is_none().then_some(()))
    })
    .await
}
