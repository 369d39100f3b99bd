//! Targets on ZFS end to end against the simulator: the MDT (on mds1,
//! mounted by Chroma) and the OSTs (on the Pacemaker pair) are datasets in
//! pools mkfs.lustre builds on their volumes. A pool is imported where its
//! target runs and exported when it stops; an OST's pool is an
//! `ocf:heartbeat:ZFS` resource that Pacemaker moves with the target, and
//! a server that dies without exporting is taken over with a forced
//! import, which multihost keeps from happening while it is alive.

use anyhow::Context as _;
use integration_tests::alerts::{alert_raised, get};
use integration_tests::lustre::{
    argv, by_hand, change, filesystem_request, mounted_on, simulator, volumes_request, LONG,
};
use integration_tests::TestEnv;
use lustre_sim::FaultCommand;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// The simulator's pool `name`.
fn pool(state: &Path, name: &str) -> anyhow::Result<Value> {
    simulator(state)?["zpools"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .cloned()
        .with_context(|| format!("no pool {name} in the simulator"))
}

/// Where pool `name` is imported, if anywhere.
fn imported_on(state: &Path, name: &str) -> anyhow::Result<Option<String>> {
    Ok(pool(state, name)?["imported_on"].as_str().map(str::to_owned))
}

/// The simulator's Pacemaker resources.
fn resources(state: &Path) -> anyhow::Result<Vec<Value>> {
    Ok(simulator(state)?["pacemaker"][0]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Waits until `check` holds (Pacemaker acts on its own ticks).
async fn until(what: &str, mut check: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let start = Instant::now();
    while !check()? {
        anyhow::ensure!(start.elapsed() < LONG, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zfs_targets_are_created_failed_over_and_removed() -> anyhow::Result<()> {
    let mut env = TestEnv::start("zfs").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let (cluster, state) = env
        .simulated_cluster_without_pacemaker(&["mds1", "oss1", "oss2"], &["mds1"])
        .await?;
    let hosts = env.add_hosts(&cluster).await?;
    let (oss1, oss2) = (&hosts[1], &hosts[2]);
    let devices =
        json!([{"host_id": oss1, "agent": "fence_lustre_sim"}, {"host_id": oss2, "agent": "fence_lustre_sim"}]);
    let done = change(
        &env,
        "POST",
        "/api/ha_cluster",
        json!({"name": "zfs-ha", "host_ids": [oss1, oss2], "fencing": {"devices": devices}}),
    )
    .await?;
    assert_eq!(done["state"], "succeeded", "{done}");

    let mut request = volumes_request(&env, &hosts, "zfs1").await?;
    request["mdts"][0]["backfstype"] = json!("zfs");
    for ost in request["osts"].as_array_mut().into_iter().flatten() {
        ost["backfstype"] = json!("zfs");
    }

    // ldiskfs options on a ZFS target are refused and nothing is stored.
    let mut bad = request.clone();
    bad["osts"][0]["format"] = json!({"inode_size": 1024});
    let (status, envelope) = env.post("/api/filesystem", &bad).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "osts[0].format", "{envelope}");
    let (status, envelope) = env.post("/api/filesystem", &json!({"backfstype": "zfs"})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(get(&env, "/api/filesystem").await?["objects"], json!([]));

    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mgs_id = envelope["response"]["filesystem"]["mgs_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");

    let page = get(&env, &format!("/api/target?filesystem_id={fs_id}&limit=100")).await?;
    let targets = page["objects"].as_array().cloned().unwrap_or_default();
    let target = |name: &str| {
        targets
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let mgt = get(&env, &format!("/api/target/{mgs_id}")).await?;
    assert_eq!(
        (mgt["backfstype"].as_str(), &mgt["zpool"]),
        (Some("ldiskfs"), &Value::Null)
    );

    // Each OST's pool resource is colocated with its target and ordered
    // before it.
    let colocations = simulator(&state)?["pacemaker"][0]["colocations"].to_string();
    assert!(
        colocations.contains("-zpool-first") && colocations.contains("-zpool-with-target"),
        "{colocations}"
    );

    // The MDT's pool is imported where Chroma mounted it.
    let mdt = target("zfs1-MDT0000");
    assert_eq!(mdt["backfstype"], "zfs", "{mdt}");
    let mdt_pool = mdt["zpool"].as_str().unwrap_or_default().to_owned();
    assert!(mdt_pool.starts_with("lustre-zfs1-mdt0000-"), "{mdt}");
    assert_eq!(imported_on(&state, &mdt_pool)?.as_deref(), Some("mds1"));
    assert_eq!(pool(&state, &mdt_pool)?["multihost"], true);
    assert_eq!(mounted_on(&state, "zfs1-MDT0000")?.as_deref(), Some("mds1"));

    // Each OST's Lustre resource mounts its dataset; its pool resource
    // runs with it, and nowhere else.
    let ost0 = target("zfs1-OST0000");
    let ost0_id = ost0["id"].as_str().unwrap_or_default().to_owned();
    let ost0_pool = ost0["zpool"].as_str().unwrap_or_default().to_owned();
    let ost0_resource = ost0["ha_resource"].as_str().unwrap_or_default().to_owned();
    let all = resources(&state)?;
    let lustre = all
        .iter()
        .find(|r| r["id"] == ost0_resource.as_str())
        .context("OST0000's resource")?;
    assert_eq!(lustre["params"]["target"], format!("{ost0_pool}/ost0000"), "{lustre}");
    let zpool = all
        .iter()
        .find(|r| r["id"] == format!("{ost0_resource}-zpool"))
        .context("OST0000's pool resource")?;
    assert_eq!(zpool["agent"], "ocf:heartbeat:ZFS", "{zpool}");
    assert_eq!(zpool["params"]["pool"], ost0_pool.as_str(), "{zpool}");
    assert_eq!(zpool["running_on"], "oss1.cluster", "{zpool}");
    assert_eq!(mounted_on(&state, "zfs1-OST0000")?.as_deref(), Some("oss1"));
    assert_eq!(imported_on(&state, &ost0_pool)?.as_deref(), Some("oss1"));

    // Failover moves the pool with the target, and failback brings both home.
    let ost0_path = format!("/api/target/{ost0_id}");
    let done = change(&env, "POST", &format!("{ost0_path}/failover"), json!({"host_id": oss2})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "zfs1-OST0000")?.as_deref(), Some("oss2"));
    assert_eq!(imported_on(&state, &ost0_pool)?.as_deref(), Some("oss2"));
    let done = change(&env, "POST", &format!("{ost0_path}/failback"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "zfs1-OST0000")?.as_deref(), Some("oss1"));
    assert_eq!(imported_on(&state, &ost0_pool)?.as_deref(), Some("oss1"));

    // oss1 dies with its pools imported: once it is fenced, oss2 imports
    // them forced and runs its OSTs.
    lustre_sim::inject_fault(&state, "oss1", FaultCommand::Down)?;
    until("OST0000 runs on oss2", || {
        Ok(mounted_on(&state, "zfs1-OST0000")?.as_deref() == Some("oss2"))
    })
    .await?;
    assert_eq!(imported_on(&state, &ost0_pool)?.as_deref(), Some("oss2"));
    alert_raised(&env, "target_failed_over", &format!("target/{ost0_id}")).await?;
    lustre_sim::inject_fault(&state, "oss1", FaultCommand::Up)?;
    let done = change(&env, "POST", &format!("{ost0_path}/failback"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(imported_on(&state, &ost0_pool)?.as_deref(), Some("oss1"));

    // Stopped, every pool is exported: any server may import it next.
    let fs_path = format!("/api/filesystem/{fs_id}");
    let done = change(&env, "PATCH", &fs_path, json!({"state": "stopped"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    for t in targets.iter().filter(|t| t["backfstype"] == "zfs") {
        let name = t["zpool"].as_str().unwrap_or_default();
        assert_eq!(imported_on(&state, name)?, None, "{name} is still imported");
    }
    let done = change(&env, "PATCH", &fs_path, json!({"state": "available"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "zfs1-OST0001")?.as_deref(), Some("oss2"));

    // Removal leaves no pool resource or constraint behind.
    let done = change(&env, "PATCH", &fs_path, json!({"state": "removed", "confirm": true})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(resources(&state)?.len(), 2, "only the fencing devices stay");
    let shown = simulator(&state)?;
    assert_eq!(shown["pacemaker"][0]["colocations"], json!([]), "{shown}");
    assert_eq!(shown["pacemaker"][0]["locations"], json!([]), "{shown}");

    cluster.shutdown().await;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zfs_format_over_a_pool_live_on_the_partner_is_refused() -> anyhow::Result<()> {
    let mut env = TestEnv::start("zfs_partner").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let mut request = filesystem_request(&env, &hosts, "zsafe").await?;

    // Someone built a pool by hand on oss2, on the shared volume Chroma is
    // about to give OST0000 with oss1 primary. mkfs.lustre would run
    // `zpool create -f` there, which overwrites a pool imported elsewhere.
    let volume_id = request["osts"][0]["volume_id"].as_str().unwrap_or_default().to_owned();
    let volumes = get(&env, "/api/volume?limit=1000").await?;
    let volume = volumes["objects"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["id"] == volume_id.as_str()).cloned())
        .unwrap_or_default();
    let on_oss2 = volume["nodes"]
        .as_array()
        .and_then(|ns| ns.iter().find(|n| n["host_id"] == hosts[2].as_str()))
        .and_then(|n| n["path"].as_str())
        .unwrap_or_default()
        .to_owned();
    anyhow::ensure!(!on_oss2.is_empty(), "no path on oss2: {volume}");
    by_hand(
        &env,
        &cluster.hosts[2],
        &[argv(&format!("zpool create handmade {on_oss2}"))],
    )
    .await?;
    request["osts"][0]["primary_host_id"] = json!(hosts[1]);
    request["osts"][0]["failover_host_ids"] = json!([hosts[2]]);
    request["osts"][0]["backfstype"] = json!("zfs");
    request["osts"][0]["reformat"] = json!(true);

    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "failed", "{done}");
    let errors: Vec<&str> = done["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| j["state"] == "failed")
        .filter_map(|j| j["error"].as_str())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("vdev of ZFS pool handmade, imported on oss2")),
        "no refusal naming the pool and oss2: {errors:?}"
    );
    assert_eq!(
        imported_on(&state, "handmade")?.as_deref(),
        Some("oss2"),
        "the live pool was overwritten"
    );
    cluster.shutdown().await;
    env.stop().await
}
