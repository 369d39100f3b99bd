//! Helpers for tests that drive Lustre through Chroma against lustre-sim.

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

use crate::TestEnv;

/// Long enough for any Lustre command of the tests to finish.
pub const LONG: Duration = Duration::from_secs(120);

/// Host ids (mds1, oss1, oss2) and the request for file system `name`:
/// MGT and MDT on mds1's own devices, four OSTs on the pair's shared
/// devices, primaries alternating between oss1 and oss2. The pair is made
/// an HA cluster first (as an operator must before Pacemaker can keep its
/// targets), unless it is one already.
pub async fn filesystem_request(env: &TestEnv, hosts: &[String], name: &str) -> anyhow::Result<Value> {
    ha_pair(env, &hosts[1..3], "pair").await?;
    volumes_request(env, hosts, name).await
}

/// The id of the HA cluster of `hosts` (simulated servers), set up as
/// `name` with a `fence_lustre_sim` fencing device per member unless they
/// are in one already.
pub async fn ha_pair(env: &TestEnv, hosts: &[String], name: &str) -> anyhow::Result<String> {
    let (_, envelope) = env.get("/api/ha_cluster").await?;
    let existing = envelope["response"]["objects"].as_array().cloned().unwrap_or_default();
    let mine = existing.iter().find(|c| {
        c["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| hosts.iter().any(|h| m["host_id"] == h.as_str())))
    });
    if let Some(cluster) = mine {
        return Ok(cluster["id"].as_str().unwrap_or_default().to_owned());
    }
    let devices: Vec<Value> = hosts
        .iter()
        .map(|h| json!({"host_id": h, "agent": "fence_lustre_sim"}))
        .collect();
    let body = json!({"name": name, "host_ids": hosts, "fencing": {"devices": devices}});
    let (status, envelope) = env.post("/api/ha_cluster", &body).await?;
    anyhow::ensure!(
        status == StatusCode::ACCEPTED,
        "HA cluster setup answered {status}: {envelope}"
    );
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    anyhow::ensure!(done["state"] == "succeeded", "HA cluster setup failed: {done}");
    Ok(envelope["response"]["cluster"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Like [`filesystem_request`], without setting up the pair's HA cluster.
pub async fn volumes_request(env: &TestEnv, hosts: &[String], name: &str) -> anyhow::Result<Value> {
    let (_, envelope) = env.get("/api/volume").await?;
    let volumes = envelope["response"]["objects"].as_array().cloned().unwrap_or_default();
    let on = |host: &str, count: usize| -> Vec<String> {
        volumes
            .iter()
            .filter(|v| {
                let nodes = v["nodes"].as_array().cloned().unwrap_or_default();
                nodes.len() == count && nodes.iter().any(|n| n["host_id"] == host)
            })
            .filter_map(|v| v["id"].as_str().map(str::to_owned))
            .collect()
    };
    let own = on(&hosts[0], 1);
    let shared = on(&hosts[1], 2);
    anyhow::ensure!(own.len() >= 2 && shared.len() >= 4, "unexpected volumes: {envelope}");
    let osts: Vec<Value> = shared
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, volume)| {
            let (primary, failover) = if i % 2 == 0 { (1, 2) } else { (2, 1) };
            json!({"volume_id": volume, "primary_host_id": hosts[primary], "failover_host_ids": [hosts[failover]]})
        })
        .collect();
    Ok(json!({
        "name": name,
        "mgt": {"volume_id": own[0]},
        "mdts": [{"volume_id": own[1]}],
        "osts": osts,
        "conf_params": {"sys.timeout": "40"},
    }))
}

/// The simulator's view of its cluster.
pub fn simulator(state: &Path) -> anyhow::Result<Value> {
    lustre_sim::show(state)
}

/// Which simulated host has the target `label` mounted.
pub fn mounted_on(state: &Path, label: &str) -> anyhow::Result<Option<String>> {
    let shown = simulator(state)?;
    Ok(shown["devices"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .find(|d| d["label"] == label)
        .and_then(|d| d["mounted_on"].as_str().map(str::to_owned)))
}

/// Sends a change and waits for its command; returns the command.
pub async fn change(env: &TestEnv, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
    let (status, envelope) = match method {
        "PATCH" => env.patch(path, &body).await?,
        _ => env.post(path, &body).await?,
    };
    anyhow::ensure!(
        status == StatusCode::ACCEPTED,
        "{method} {path} answered {status}: {envelope}"
    );
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    env.finished(&command, LONG).await
}

/// Runs commands on a simulated host over SSH as an operator would by hand.
pub async fn by_hand(env: &TestEnv, host: &lustre_sim::HostEndpoint, commands: &[Vec<String>]) -> anyhow::Result<()> {
    let key = chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let target = chroma_ssh::Target::new("127.0.0.1", host.addr.port(), "root");
    let policy = chroma_ssh::HostKeyPolicy::Pinned(chroma_ssh::Fingerprint::parse(&host.fingerprint)?);
    let (session, _) = chroma_ssh::Session::connect(&target, &key, policy, &Default::default()).await?;
    for argv in commands {
        let out = session.exec(argv, Duration::from_secs(30)).await?;
        anyhow::ensure!(out.success(), "{argv:?} failed on {}: {}", host.name, out.stderr);
    }
    let _ = session.close().await;
    Ok(())
}

pub fn argv(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

/// Writes the manifests of the shipped storage plugins (`linux` and the
/// simulated RAID array, its state in `raid_state`) into `dir`, detecting
/// every 2 s and monitoring every second; returns the array's binary (for
/// its fault injection).
pub fn shipped_plugins(dir: &Path, raid_state: &Path) -> anyhow::Result<std::path::PathBuf> {
    let bin = crate::processes::binary_dir()?;
    let raid = bin.join("chroma-plugin-sim-raid");
    let text = |p: &Path| p.to_string_lossy().into_owned();
    for (name, command) in [
        ("linux", vec![text(&bin.join("chroma-plugin-linux"))]),
        ("sim-raid", vec![text(&raid), "--state".into(), text(raid_state)]),
    ] {
        plugin_manifest(dir, name, &command)?;
    }
    Ok(raid)
}

/// Writes the manifest of plugin `name` running `command` into `dir`.
pub fn plugin_manifest(dir: &Path, name: &str, command: &[String]) -> anyhow::Result<()> {
    let body = json!({"name": name, "command": command, "detect_interval_seconds": 2, "monitor_interval_seconds": 1});
    std::fs::write(dir.join(format!("{name}.json")), body.to_string())?;
    Ok(())
}
