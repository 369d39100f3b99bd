//! Setting up the file system the workload changes, through the API, as
//! an operator would: add the simulated servers (pinning the keys they
//! print), make oss1/oss2 an HA cluster fenced by `fence_lustre_sim`, and
//! create file system `chaos` (MGT and MDT on mds1, four OSTs on the
//! pair's shared volumes, primaries alternating).

use anyhow::Context;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

use crate::client::Api;
use crate::sim::Endpoint;

/// How long a set-up command may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);
/// The file system's name.
pub const FS_NAME: &str = "chaos";

/// One OST the workload moves around.
#[derive(Debug, Clone)]
pub struct Ost {
    pub id: String,
    pub failover: String,
}

/// What the workload works on.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub filesystem_id: String,
    /// Host ids in [`crate::sim::HOSTS`] order.
    pub hosts: Vec<String>,
    /// Every target's id (MGT, MDT, OSTs).
    pub targets: Vec<String>,
    pub osts: Vec<Ost>,
    /// The set-up commands (checked like the others at the end).
    pub commands: Vec<String>,
}

/// Builds the cluster; fails unless every set-up command succeeds.
pub async fn set_up(api: &Api, endpoints: &[Endpoint]) -> anyhow::Result<Cluster> {
    let mut commands = Vec::new();
    let mut hosts = Vec::new();
    for endpoint in endpoints {
        let body = json!({"address": "127.0.0.1", "port": endpoint.port, "fingerprint": endpoint.fingerprint});
        let what = format!("adding host {}", endpoint.name);
        let response = accepted(api.post("/api/host", &body).await?, &what)?;
        commands.push(text(&response["command"]));
        hosts.push(text(&response["host"]["id"]));
    }
    for command in &commands {
        succeeded(api, command).await?;
    }
    let pair = &hosts[1..3];
    let devices: Vec<Value> = pair
        .iter()
        .map(|h| json!({"host_id": h, "agent": "fence_lustre_sim"}))
        .collect();
    let body = json!({"name": "chaos-pair", "host_ids": pair, "fencing": {"devices": devices}});
    let response = accepted(api.post("/api/ha_cluster", &body).await?, "creating the HA cluster")?;
    let command = text(&response["command"]);
    succeeded(api, &command).await?;
    commands.push(command);

    let request = filesystem_request(api, &hosts).await?;
    let response = accepted(api.post("/api/filesystem", &request).await?, "creating the file system")?;
    let command = text(&response["command"]);
    let filesystem_id = text(&response["filesystem"]["id"]);
    succeeded(api, &command).await?;
    commands.push(command);

    let listed = api
        .fetch(&format!("/api/target?filesystem_id={filesystem_id}&limit=1000"))
        .await?;
    let all = listed["objects"].as_array().cloned().unwrap_or_default();
    let targets = all.iter().map(|t| text(&t["id"])).collect();
    let osts = all
        .iter()
        .filter(|t| t["kind"].as_str().is_some_and(|k| k.eq_ignore_ascii_case("ost")))
        .map(|t| Ost {
            id: text(&t["id"]),
            failover: text(&t["failover_host_ids"][0]),
        })
        .collect::<Vec<_>>();
    anyhow::ensure!(osts.len() == 4, "expected four OSTs, got {listed}");
    Ok(Cluster {
        filesystem_id,
        hosts,
        targets,
        osts,
        commands,
    })
}

/// The file system request on the volumes the servers reported.
async fn filesystem_request(api: &Api, hosts: &[String]) -> anyhow::Result<Value> {
    let volumes = api.fetch("/api/volume?limit=1000").await?;
    let volumes = volumes["objects"].as_array().cloned().unwrap_or_default();
    let on = |host: &str, shared_by: usize| -> Vec<String> {
        volumes
            .iter()
            .filter(|v| {
                let nodes = v["nodes"].as_array().cloned().unwrap_or_default();
                nodes.len() == shared_by && nodes.iter().any(|n| n["host_id"] == host)
            })
            .map(|v| text(&v["id"]))
            .collect()
    };
    let own = on(&hosts[0], 1);
    let shared = on(&hosts[1], 2);
    anyhow::ensure!(
        own.len() >= 2 && shared.len() >= 4,
        "mds1 needs two volumes of its own and the pair four shared ones: {volumes:?}"
    );
    let osts: Vec<Value> = shared
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, volume)| {
            let (primary, failover) = if i % 2 == 0 {
                (&hosts[1], &hosts[2])
            } else {
                (&hosts[2], &hosts[1])
            };
            json!({"volume_id": volume, "primary_host_id": primary, "failover_host_ids": [failover]})
        })
        .collect();
    Ok(json!({
        "name": FS_NAME,
        "mgt": {"volume_id": own[0]},
        "mdts": [{"volume_id": own[1]}],
        "osts": osts,
        "conf_params": {"sys.timeout": "40"},
    }))
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn accepted((status, envelope): (StatusCode, Value), what: &str) -> anyhow::Result<Value> {
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{what} answered {status}: {envelope}");
    Ok(envelope["response"].clone())
}

/// Waits until command `id` finished; fails unless it succeeded.
async fn succeeded(api: &Api, id: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + SETUP_TIMEOUT;
    loop {
        let command = api.fetch(&format!("/api/command/{id}")).await?;
        match command["state"].as_str() {
            Some("succeeded") => return Ok(()),
            Some("failed" | "cancelled") => anyhow::bail!("set-up command failed: {command}"),
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(anyhow::anyhow!("{command}")).context("a set-up command did not finish in time");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
