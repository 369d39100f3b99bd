//! High availability end to end against the strict simulator: the OSS pair
//! has Pacemaker and corosync, mds1 has neither (`--no-pacemaker mds1`).
//! Chroma refuses a file system until the pair is a cluster that can start
//! resources, builds the cluster as a job, makes each OST a Pacemaker
//! resource and from then on starts, stops and moves it only through
//! Pacemaker; mds1's targets are mounted directly.

use anyhow::Context as _;
use integration_tests::alerts::{alert_cleared, alert_raised, get};
use integration_tests::lustre::{change, mounted_on, simulator, volumes_request, LONG};
use integration_tests::TestEnv;
use lustre_sim::FaultCommand;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// The simulator's one Pacemaker cluster.
fn sim_cluster(state: &Path) -> anyhow::Result<Value> {
    let shown = simulator(state)?;
    shown["pacemaker"]
        .as_array()
        .and_then(|c| c.first().cloned())
        .with_context(|| format!("no Pacemaker cluster in the simulator: {shown}"))
}

/// The simulator's `ocf:lustre:Lustre` resources.
fn lustre_resources(state: &Path) -> anyhow::Result<Vec<Value>> {
    Ok(sim_cluster(state)?["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["agent"] == "ocf:lustre:Lustre")
        .collect())
}

fn target<'a>(targets: &'a [Value], name: &str) -> &'a Value {
    targets.iter().find(|t| t["name"] == name).unwrap_or(&Value::Null)
}

async fn targets(env: &TestEnv, fs_id: &str) -> anyhow::Result<Vec<Value>> {
    let page = get(env, &format!("/api/target?filesystem_id={fs_id}&limit=1000")).await?;
    Ok(page["objects"].as_array().cloned().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacemaker_keeps_the_pair_and_chroma_goes_through_it() -> anyhow::Result<()> {
    let mut env = TestEnv::start("ha_sim").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let (cluster, state) = env
        .simulated_cluster_without_pacemaker(&["mds1", "oss1", "oss2"], &["mds1"])
        .await?;
    let hosts = env.add_hosts(&cluster).await?;
    let (mds1, oss1, oss2) = (&hosts[0], &hosts[1], &hosts[2]);

    // The probe saw who has the HA stack.
    let host = get(&env, &format!("/api/host/{mds1}")).await?;
    assert_eq!(host["pacemaker_version"], Value::Null, "{host}");
    let host = get(&env, &format!("/api/host/{oss1}")).await?;
    assert_eq!(host["pacemaker_version"], "Pacemaker 2.1.5", "{host}");
    assert!(
        host["corosync_version"].as_str().unwrap_or_default().contains("3.1.7"),
        "{host}"
    );

    // No file system on the pair before it is a cluster, dry run included.
    let request = volumes_request(&env, &hosts, "hafs").await?;
    let (status, envelope) = env.post("/api/filesystem?dry_run=true", &request).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let why = envelope["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(why.contains("belong to no HA cluster"), "{why}");

    // Bad cluster requests change nothing.
    let (status, envelope) = env
        .post(
            "/api/ha_cluster",
            &json!({"name": "bad name", "host_ids": [oss1, oss2], "fencing": {}}),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "name", "{envelope}");
    let (status, envelope) = env
        .post(
            "/api/ha_cluster",
            &json!({"name": "x", "host_ids": [mds1, oss1], "fencing": {}}),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert!(
        envelope.to_string().contains("has no Pacemaker installed"),
        "{envelope}"
    );
    let (status, envelope) = env
        .post(
            "/api/ha_cluster",
            &json!({"name": "x", "host_ids": [oss1, oss2],
                    "fencing": {"devices": [{"host_id": oss1, "agent": "rm -rf /"}]}}),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert!(get(&env, "/api/ha_cluster").await?["objects"] == json!([]));

    // The cluster, first without fencing: set up, but Pacemaker would
    // start nothing, so file systems are refused and it is alerted.
    let (status, envelope) = env
        .post(
            "/api/ha_cluster",
            &json!({"name": "demo-ha", "host_ids": [oss1, oss2], "fencing": {}}),
        )
        .await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let cluster_id = envelope["response"]["cluster"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let ha = get(&env, &format!("/api/ha_cluster/{cluster_id}")).await?;
    assert_eq!(ha["state"], "configured", "{ha}");
    assert_eq!(ha["stonith_enabled"], true, "{ha}");
    assert_eq!(ha["fence_devices"], 0, "{ha}");
    let nodes: Vec<&str> = ha["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["ha_node"].as_str())
        .collect();
    assert_eq!(nodes.len(), 2, "{ha}");
    assert!(
        nodes.contains(&"oss1.cluster") && nodes.contains(&"oss2.cluster"),
        "{ha}"
    );
    let item = format!("ha_cluster/{cluster_id}");
    let alert = alert_raised(&env, "ha_fencing_missing", &item).await?;
    assert!(
        alert["message"].as_str().unwrap_or_default().contains("demo-ha"),
        "{alert}"
    );
    let (status, envelope) = env.post("/api/filesystem?dry_run=true", &request).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let why = envelope["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(why.contains("no fencing device"), "{why}");

    // Fencing devices from the simulator's fence agent: the alert clears
    // and the file system is created.
    let devices =
        json!([{"host_id": oss1, "agent": "fence_lustre_sim"}, {"host_id": oss2, "agent": "fence_lustre_sim"}]);
    let done = change(
        &env,
        "POST",
        &format!("/api/ha_cluster/{cluster_id}/configure"),
        json!({"fencing": {"devices": devices}}),
    )
    .await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    alert_cleared(&env, "ha_fencing_missing", &item).await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");

    // Each OST is a resource with a unique id, a by-id device, and location
    // constraints preferring its primary; the MGT and MDT are not.
    let all = targets(&env, &fs_id).await?;
    let mgs_id = envelope["response"]["filesystem"]["mgs_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mgs = get(&env, &format!("/api/target/{mgs_id}")).await?;
    assert_eq!(mgs["ha_mode"], "none", "{mgs}");
    assert_eq!(target(&all, "hafs-MDT0000")["ha_mode"], "none");
    assert_eq!(mounted_on(&state, "MGS")?.as_deref(), Some("mds1"));
    let resources = lustre_resources(&state)?;
    assert_eq!(resources.len(), 4, "{resources:?}");
    let locations = sim_cluster(&state)?["locations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, (primary, failover)) in [("oss1", "oss2"), ("oss2", "oss1"), ("oss1", "oss2"), ("oss2", "oss1")]
        .iter()
        .enumerate()
    {
        let name = format!("hafs-OST000{i}");
        let t = target(&all, &name);
        assert_eq!(t["ha_mode"], "pacemaker", "{t}");
        let id = t["ha_resource"].as_str().unwrap_or_default();
        assert!(id.starts_with(&format!("{name}_")), "{t}");
        let r = resources.iter().find(|r| r["id"] == id).context("the OST's resource")?;
        let device = r["params"]["target"].as_str().unwrap_or_default();
        assert!(device.starts_with("/dev/disk/by-id/"), "{r}");
        assert_eq!(r["params"]["mountpoint"], format!("/mnt/{name}"), "{r}");
        let score = |node: &str| {
            locations
                .iter()
                .find(|l| l["rsc"] == id && l["node"] == format!("{node}.cluster"))
                .map(|l| l["score"].clone())
        };
        assert_eq!(score(primary), Some(json!(20)), "{locations:?}");
        assert_eq!(score(failover), Some(json!(10)), "{locations:?}");
        assert_eq!(mounted_on(&state, &name)?.as_deref(), Some(*primary), "{name}");
    }

    // Stopped through Pacemaker, it stays stopped across monitor intervals.
    let fs_path = format!("/api/filesystem/{fs_id}");
    let done = change(&env, "PATCH", &fs_path, json!({"state": "stopped"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    for r in lustre_resources(&state)? {
        assert_eq!(r["target_role"], "Stopped", "{r}");
        assert_eq!(r["running_on"], Value::Null, "{r}");
    }
    // Three of the resources' monitor intervals (3 s in tests).
    tokio::time::sleep(Duration::from_secs(10)).await;
    for i in 0..4 {
        let name = format!("hafs-OST000{i}");
        assert_eq!(mounted_on(&state, &name)?, None, "{name} was mounted again");
    }
    let done = change(&env, "PATCH", &fs_path, json!({"state": "available"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "hafs-OST0000")?.as_deref(), Some("oss1"));

    // A start that fails on oss1 leaves a fail-count there; Pacemaker
    // starts the OST on oss2 and Chroma records it failed over.
    let ost0 = target(&all, "hafs-OST0000").clone();
    let ost0_id = ost0["id"].as_str().unwrap_or_default().to_owned();
    let ost0_resource = ost0["ha_resource"].as_str().unwrap_or_default().to_owned();
    let ost0_path = format!("/api/target/{ost0_id}");
    let done = change(&env, "PATCH", &ost0_path, json!({"state": "unmounted"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    lustre_sim::inject_fault(&state, "oss1", FaultCommand::FailStart(ost0_resource.clone()))?;
    let done = change(&env, "PATCH", &ost0_path, json!({"state": "mounted"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "hafs-OST0000")?.as_deref(), Some("oss2"));
    let shown = get(&env, &ost0_path).await?;
    assert_eq!(shown["failed_over"], true, "{shown}");
    let item = format!("target/{ost0_id}");
    let alert = alert_raised(&env, "ha_resource_failed", &item).await?;
    assert!(
        alert["message"].as_str().unwrap_or_default().contains("INFINITY"),
        "{alert}"
    );

    // Failback cleans the failure up first, then moves it home; failover
    // and failback work again after that.
    let done = change(&env, "POST", &format!("{ost0_path}/failback"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "hafs-OST0000")?.as_deref(), Some("oss1"));
    alert_cleared(&env, "ha_resource_failed", &item).await?;
    let r = lustre_resources(&state)?
        .into_iter()
        .find(|r| r["id"] == ost0_resource.as_str())
        .context("OST0000's resource")?;
    assert_eq!(r["fail_counts"], json!({}), "{r}");
    let done = change(&env, "POST", &format!("{ost0_path}/failover"), json!({"host_id": oss2})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "hafs-OST0000")?.as_deref(), Some("oss2"));
    let done = change(&env, "POST", &format!("{ost0_path}/failback"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "hafs-OST0000")?.as_deref(), Some("oss1"));
    // No move constraint is left behind.
    let locations = sim_cluster(&state)?["locations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !locations
            .iter()
            .any(|l| l["id"].as_str().unwrap_or_default().starts_with("cli-")),
        "{locations:?}"
    );

    // oss2 dies: Pacemaker fences it through the simulator's agent and
    // runs its OSTs on oss1; Chroma sees the targets moved and the fence.
    lustre_sim::inject_fault(&state, "oss2", FaultCommand::Down)?;
    let oss2_item = format!("host/{oss2}");
    let fenced = alert_raised(&env, "ha_node_fenced", &oss2_item).await?;
    assert!(
        fenced["message"].as_str().unwrap_or_default().contains("oss2"),
        "{fenced}"
    );
    for name in ["hafs-OST0001", "hafs-OST0003"] {
        let id = target(&all, name)["id"].as_str().unwrap_or_default();
        alert_raised(&env, "target_failed_over", &format!("target/{id}")).await?;
        assert_eq!(mounted_on(&state, name)?.as_deref(), Some("oss1"), "{name}");
    }
    lustre_sim::inject_fault(&state, "oss2", FaultCommand::Up)?;
    alert_cleared(&env, "ha_peer_missing", &oss2_item).await?;
    alert_cleared(&env, "ha_node_fenced", &oss2_item).await?;

    // One command puts the whole file system back: a dry run names one
    // failback per target away, none waiting for another.
    let failback = format!("{fs_path}/failback");
    let (status, envelope) = env.post(&format!("{failback}?dry_run=true"), &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let jobs = envelope["response"]["jobs"].as_array().cloned().unwrap_or_default();
    let mut described: Vec<&str> = jobs.iter().filter_map(|j| j["description"].as_str()).collect();
    described.sort_unstable();
    assert_eq!(
        described,
        ["Fail hafs-OST0001 back to oss2", "Fail hafs-OST0003 back to oss2"],
        "{envelope}"
    );
    assert!(jobs.iter().all(|j| j["wait_for"] == json!([])), "{envelope}");
    assert_eq!(envelope["response"]["command"], Value::Null, "{envelope}");
    let done = change(&env, "POST", &failback, json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert!(
        done["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Fail back every target of hafs"),
        "{done}"
    );
    for (name, primary) in [
        ("MGS", "mds1"),
        ("hafs-MDT0000", "mds1"),
        ("hafs-OST0000", "oss1"),
        ("hafs-OST0001", "oss2"),
        ("hafs-OST0002", "oss1"),
        ("hafs-OST0003", "oss2"),
    ] {
        assert_eq!(mounted_on(&state, name)?.as_deref(), Some(primary), "{name}");
    }
    let (status, envelope) = env.post(&failback, &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["jobs"], json!([]), "{envelope}");
    assert_eq!(envelope["response"]["command"], Value::Null, "{envelope}");
    let (status, envelope) = env
        .post(&format!("/api/filesystem/{}/failback", uuid::Uuid::nil()), &json!({}))
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{envelope}");

    // Removal leaves no resource and no constraint behind.
    let done = change(&env, "PATCH", &fs_path, json!({"state": "removed", "confirm": true})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(lustre_resources(&state)?, Vec::<Value>::new());
    let locations = sim_cluster(&state)?["locations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(locations, Vec::<Value>::new());

    cluster.shutdown().await;
    env.stop().await
}
