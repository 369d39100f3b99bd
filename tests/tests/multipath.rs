//! Devices on shared storage: with the simulator's multipath layout (two
//! SCSI paths per LUN under a dm-multipath map whose name differs between
//! the servers of a pair, and an OS disk per host), hosts are added with
//! one volume per LUN, never a raw path and never the OS disk, and a file
//! system formats and mounts its targets through the multipath maps, with
//! Pacemaker resources on their WWID links.

use integration_tests::lustre::{filesystem_request, mounted_on, simulator, LONG};
use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lun_is_one_volume_used_through_its_multipath_map() -> anyhow::Result<()> {
    let mut env = TestEnv::start("multipath").await?.with_sim_layout("multipath");
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;

    let (_, envelope) = env.get("/api/volume").await?;
    let volumes = envelope["response"]["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        volumes.len(),
        8,
        "four LUNs of mds1, four of the pair, no OS disk: {envelope}"
    );
    let serials: Vec<&str> = volumes.iter().filter_map(|v| v["serial"].as_str()).collect();
    assert!(serials.iter().all(|s| s.starts_with("SIMDISK")), "{serials:?}");
    for volume in &volumes {
        for node in volume["nodes"].as_array().cloned().unwrap_or_default() {
            let path = node["path"].as_str().unwrap_or_default();
            assert!(
                path.starts_with("/dev/mapper/mpath"),
                "a raw path was recorded: {volume}"
            );
        }
    }
    let shared = volumes
        .iter()
        .filter(|v| v["nodes"].as_array().is_some_and(|n| n.len() == 2));
    assert_eq!(shared.count(), 4, "{envelope}");

    let request = filesystem_request(&env, &hosts, "fs1").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");

    // The simulator refuses mkfs and mount on a path dm-multipath holds, so
    // formatted and mounted LUNs were reached through their maps.
    let shown = simulator(&state)?;
    let devices = shown["devices"].as_array().cloned().unwrap_or_default();
    let formatted: Vec<&Value> = devices.iter().filter(|d| d["format_count"] == 1).collect();
    assert_eq!(formatted.len(), 6, "{devices:?}");
    assert!(formatted
        .iter()
        .all(|d| d["serial"].as_str().is_some_and(|s| s.starts_with("SIMDISK"))));
    let os_disks = devices
        .iter()
        .filter(|d| d["serial"].as_str().is_some_and(|s| s.starts_with("SIMOSDISK")));
    assert!(os_disks
        .into_iter()
        .all(|d| d["format_count"] == 0 && d["mounted_on"].is_null()));
    for label in ["MGS", "fs1-MDT0000", "fs1-OST0000", "fs1-OST0001"] {
        assert!(mounted_on(&state, label)?.is_some(), "{label} is not mounted");
    }
    let resources = shown["pacemaker"].to_string();
    assert!(resources.contains("/dev/disk/by-id/dm-uuid-mpath-3"), "{resources}");
    assert!(
        !resources.contains("/dev/sd") && !resources.contains("mapper/"),
        "{resources}"
    );
    cluster.shutdown().await;
    env.stop().await
}
