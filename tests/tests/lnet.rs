//! LNet's lifecycle end to end over real SSH to lustre-sim, whose servers
//! model the kernel modules: LNet stops (the Lustre modules unloaded with
//! `lustre_rmmod`) once the file system is stopped, and a server rebooted
//! in the simulator, nothing loaded, gets LNet started by Chroma
//! (`modprobe lnet`, then `lnetctl lnet configure --all`).

use integration_tests::lustre::{change, filesystem_request, mounted_on, simulator, LONG};
use integration_tests::{wait_for, TestEnv};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// The simulator's record of host `name`.
fn sim_host(state: &Path, name: &str) -> anyhow::Result<Value> {
    let shown = simulator(state)?;
    shown["hosts"]
        .as_array()
        .and_then(|hosts| hosts.iter().find(|h| h["name"] == name).cloned())
        .ok_or_else(|| anyhow::anyhow!("no host {name} in the simulator"))
}

fn modules(host: &Value) -> Vec<String> {
    host["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect()
}

async fn set_lnet(env: &TestEnv, host_id: &str, want: &str) -> anyhow::Result<Value> {
    let path = format!("/api/host/{host_id}");
    let done = change(env, "PATCH", &path, json!({ "lnet_state": want })).await?;
    anyhow::ensure!(done["state"] == "succeeded", "{done}");
    let (_, host) = env.get(&path).await?;
    Ok(host["response"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lnet_stops_after_the_file_system_and_starts_on_a_rebooted_server() -> anyhow::Result<()> {
    let mut env = TestEnv::start("lnet").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "fs1").await?;
    let (_, envelope) = env.post("/api/filesystem", &request).await?;
    let id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert!(modules(&sim_host(&state, "oss1")?).contains(&"ptlrpc".to_owned()));

    let fs_path = format!("/api/filesystem/{id}");
    let done = change(&env, "PATCH", &fs_path, json!({"state": "stopped"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "fs1-OST0000")?, None);

    // ptlrpc still holds LNet on oss1: only unloading the modules stops it.
    let host = set_lnet(&env, &hosts[1], "lnet_down").await?;
    assert_eq!(host["lnet_state"], "lnet_down", "{host}");
    let oss1 = sim_host(&state, "oss1")?;
    assert_eq!(oss1["lnet_up"], false, "{oss1}");
    assert!(modules(&oss1).is_empty(), "{oss1}");

    // oss2 reboots: its modules are gone with its boot.
    let boot = sim_host(&state, "oss2")?["boot"]["id"].clone();
    lustre_sim::inject_fault(&state, "oss2", lustre_sim::FaultCommand::Reboot)?;
    let oss2 = wait_for(Duration::from_secs(10), "oss2 to reboot", || async {
        let host = sim_host(&state, "oss2")?;
        Ok((host["boot"]["id"] != boot).then_some(host))
    })
    .await?;
    assert!(modules(&oss2).is_empty() && oss2["lnet_up"] == false, "{oss2}");
    // Chroma still believes LNet up there; stopping it finds nothing loaded.
    let host = set_lnet(&env, &hosts[2], "lnet_down").await?;
    assert_eq!(host["lnet_state"], "lnet_down", "{host}");
    let host = set_lnet(&env, &hosts[2], "lnet_up").await?;
    assert_eq!(host["lnet_state"], "lnet_up", "{host}");
    assert_eq!(host["nids"], json!([oss2["nid"]]), "{host}");
    let oss2 = sim_host(&state, "oss2")?;
    assert_eq!(oss2["lnet_up"], true, "{oss2}");
    assert!(modules(&oss2).contains(&"lnet".to_owned()), "{oss2}");

    // The file system starts again on both servers.
    let host = set_lnet(&env, &hosts[1], "lnet_up").await?;
    assert_eq!(host["lnet_state"], "lnet_up", "{host}");
    let done = change(&env, "PATCH", &fs_path, json!({"state": "available"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "fs1-OST0000")?.as_deref(), Some("oss1"));
    assert!(mounted_on(&state, "fs1-OST0001")?.is_some());
    env.stop().await
}
