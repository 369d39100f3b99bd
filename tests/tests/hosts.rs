//! Adding servers over real SSH to a simulated Lustre cluster: the host key
//! is pinned, software and devices are detected, shared devices of a
//! failover pair are one volume seen from two hosts, and a host that shows
//! another key than the one given is refused.

use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_are_added_over_ssh_with_their_keys_pinned_and_devices_found() -> anyhow::Result<()> {
    let mut env = TestEnv::start("hosts").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let (cluster, _) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;

    for host in &cluster.hosts {
        let body = json!({"address": "127.0.0.1", "port": host.addr.port()});
        let (status, envelope) = env.post("/api/host", &body).await?;
        assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
        assert_eq!(envelope["response"]["host"]["state"], "unconfigured");
        let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
        let done = env.finished(&command, LONG).await?;
        assert_eq!(done["state"], "succeeded", "{done}");
    }
    let (_, envelope) = env.get("/api/host").await?;
    let hosts = envelope["response"]["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(hosts.len(), 3);
    for sim in &cluster.hosts {
        let host = hosts
            .iter()
            .find(|h| h["port"] == sim.addr.port())
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(host["state"], "managed", "{host}");
        assert_eq!(host["nodename"], sim.name.as_str());
        assert_eq!(
            host["fingerprint"],
            sim.fingerprint.as_str(),
            "the pinned key is not the server's"
        );
        assert!(
            host["lustre_version"].as_str().is_some_and(|v| v.starts_with("2.")),
            "{host}"
        );
    }
    let (_, envelope) = env.get("/api/volume").await?;
    let volumes = envelope["response"]["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        volumes.len(),
        8,
        "mds1's four devices and the OSS pair's four shared ones: {envelope}"
    );
    let shared = volumes
        .iter()
        .filter(|v| v["nodes"].as_array().is_some_and(|n| n.len() == 2))
        .count();
    assert_eq!(
        shared, 4,
        "the failover pair's devices should each be seen from two hosts"
    );

    // The same host again, and a malformed one, change nothing.
    let port = cluster.hosts[0].addr.port();
    let (status, envelope) = env
        .post("/api/host", &json!({"address": "127.0.0.1", "port": port}))
        .await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let (status, envelope) = env
        .post("/api/host", &json!({"address": "mds1; reboot", "port": 22}))
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "address");
    let (status, envelope) = env
        .post("/api/host", &json!({"address": "localhost", "fingerprint": "MD5:aa"}))
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "fingerprint");

    // mds1 reached under another name, but with oss1's key expected: refused.
    let body = json!({"address": "localhost", "port": port, "fingerprint": cluster.hosts[1].fingerprint});
    let (status, envelope) = env.post("/api/host", &body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "failed", "{done}");
    let error = done["jobs"][0]["error"].as_str().unwrap_or_default();
    assert!(error.to_lowercase().contains("host key"), "unclear reason: {error}");
    let id = envelope["response"]["host"]["id"].as_str().unwrap_or_default();
    let (_, envelope) = env.get(&format!("/api/host/{id}")).await?;
    assert_eq!(envelope["response"]["state"], "unconfigured");

    cluster.shutdown().await;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_is_down_fails_its_job_clearly_while_others_are_added() -> anyhow::Result<()> {
    let mut env = TestEnv::start("hostdown").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1"]).await?;
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Down)?;

    let mut commands = Vec::new();
    for host in &cluster.hosts {
        let (status, envelope) = env
            .post("/api/host", &json!({"address": "127.0.0.1", "port": host.addr.port()}))
            .await?;
        assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
        commands.push(envelope["response"]["command"].as_str().unwrap_or_default().to_owned());
    }
    let up = env.finished(&commands[0], LONG).await?;
    assert_eq!(up["state"], "succeeded", "{up}");
    let down = env.finished(&commands[1], LONG).await?;
    assert_eq!(down["state"], "failed", "{down}");
    let error = down["jobs"][0]["error"].as_str().unwrap_or_default();
    let port = cluster.hosts[1].addr.port().to_string();
    assert!(error.contains(&port), "the error does not name the host: {error}");
    cluster.shutdown().await;
    env.stop().await
}
