//! Chroma drives a real Pacemaker cluster: two lab nodes (network and
//! mount namespaces, each with its own sshd, corosync 3 and Pacemaker 2.1
//! from Debian; see docs/ha-lab.md) whose Lustre commands come from
//! lustre-sim and whose `ocf:lustre:Lustre` agent is the project's own.
//! Chroma adds the nodes over real SSH, builds the cluster with its setup
//! job, creates a file system whose every target is a Pacemaker resource,
//! stops it (it stays stopped across monitor intervals), starts it, fails
//! a target over and back, sees Pacemaker fail targets over by itself when
//! a node's Pacemaker stops, and removes the file system leaving nothing in
//! the CIB. One OST is on ZFS: Debian's `ocf:heartbeat:ZFS` agent imports
//! and exports its (simulated) pool, colocated with and ordered before the
//! target, wherever real Pacemaker runs it.

use anyhow::Context as _;
use integration_tests::alerts::{alert_cleared, alert_raised, get};
use integration_tests::ha_lab::HaLab;
use integration_tests::lustre::{change, LONG};
use integration_tests::{wait_for, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// The serial of each lab device, by its path on both nodes.
const SERIALS: [&str; 4] = ["LABDISK00", "LABDISK01", "LABDISK02", "LABDISK03"];

/// Runs `command` on lab node `i`; its stdout (it must succeed).
async fn on(lab: &HaLab, i: usize, command: &str) -> anyhow::Result<String> {
    Ok(lab.ssh(i, command).await?.checked(command)?.stdout)
}

/// The lab node pool `name` is imported on, from the simulator's state.
async fn pool_on(lab: &HaLab, name: &str) -> anyhow::Result<Option<String>> {
    let shown = lab.sim_show().await?;
    Ok(shown["zpools"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .and_then(|p| p["imported_on"].as_str())
        .map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chroma_builds_and_drives_a_real_pacemaker_cluster() -> anyhow::Result<()> {
    let mut env = TestEnv::start("ha_real").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let key = chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let lab = HaLab::setup("chroma", 2, Some(&key.public_key_openssh())).await?;
    let result = drive(&env, &lab).await;
    let torn = lab.teardown().await;
    result?;
    torn?;
    env.stop().await
}

async fn drive(env: &TestEnv, lab: &HaLab) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // The nodes, added over real SSH with the host keys their sshd shows.
    let mut hosts = Vec::new();
    for node in lab.nodes() {
        let body = json!({"address": node.address.to_string(), "port": 22, "fingerprint": node.fingerprint});
        let (status, envelope) = env.post("/api/host", &body).await?;
        anyhow::ensure!(status == StatusCode::ACCEPTED, "adding {}: {envelope}", node.name);
        let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
        let done = env.finished(&command, LONG).await?;
        anyhow::ensure!(done["state"] == "succeeded", "adding {}: {done}", node.name);
        hosts.push(
            envelope["response"]["host"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let host = get(env, &format!("/api/host/{}", hosts[0])).await?;
    assert_eq!(host["pacemaker_version"], "Pacemaker 2.1.5", "{host}");
    assert!(
        host["corosync_version"].as_str().unwrap_or_default().contains("3.1.7"),
        "{host}"
    );
    assert_eq!(host["ha_node"], Value::Null, "no cluster runs yet: {host}");

    // The cluster, built by Chroma's job (fencing disabled: the lab has no
    // power switch to fence with).
    let (status, envelope) = env
        .post(
            "/api/ha_cluster",
            &json!({"name": "lab", "host_ids": hosts, "fencing": {"disabled": true}}),
        )
        .await?;
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{envelope}");
    let cluster_id = envelope["response"]["cluster"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let ha = get(env, &format!("/api/ha_cluster/{cluster_id}")).await?;
    assert_eq!(ha["state"], "configured", "{ha}");
    assert_eq!(ha["stonith_enabled"], false, "{ha}");
    // Node names as Pacemaker gives them (the FQDN), not host names.
    let nodes: Vec<String> = ha["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["ha_node"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(nodes, ["lab1.lab", "lab2.lab"], "{ha}");
    let conf = on(lab, 2, "cat /etc/corosync/corosync.conf").await?;
    assert!(
        conf.contains("cluster_name: lab") && conf.contains("name: lab2.lab"),
        "{conf}"
    );
    let keys = on(lab, 1, "md5sum /etc/corosync/authkey").await?;
    let same = on(lab, 2, "md5sum /etc/corosync/authkey").await?;
    assert_eq!(keys, same, "one authkey on every member");
    let alert = alert_raised(env, "ha_fencing_disabled", &format!("ha_cluster/{cluster_id}")).await?;
    assert_eq!(alert["severity"], "warning", "{alert}");
    let setup_took = started.elapsed();

    // A file system whose every target is a resource of the cluster.
    let volumes = get(env, "/api/volume?limit=1000").await?;
    let volume = |serial: &str| {
        volumes["objects"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["serial"] == serial))
            .and_then(|v| v["id"].as_str())
            .map(str::to_owned)
            .with_context(|| format!("no volume {serial}: {volumes}"))
    };
    let on_pair = |serial: &str, primary: usize| -> anyhow::Result<Value> {
        Ok(
            json!({"volume_id": volume(serial)?, "primary_host_id": hosts[primary], "failover_host_ids": [hosts[1 - primary]]}),
        )
    };
    // OST0000 is on ZFS: its pool is an ocf:heartbeat:ZFS resource that
    // real Pacemaker must import before the target mounts, on the same
    // node, and export after it unmounts.
    let mut zfs_ost = on_pair(SERIALS[2], 1)?;
    zfs_ost["backfstype"] = json!("zfs");
    let request = json!({
        "name": "labfs",
        "mgt": on_pair(SERIALS[0], 0)?,
        "mdts": [on_pair(SERIALS[1], 0)?],
        "osts": [zfs_ost, on_pair(SERIALS[3], 0)?],
    });
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{envelope}");
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let targets = get(env, &format!("/api/target?filesystem_id={fs_id}&limit=100")).await?;
    let mgs_id = envelope["response"]["filesystem"]["mgs_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut all: Vec<Value> = targets["objects"].as_array().cloned().unwrap_or_default();
    all.push(get(env, &format!("/api/target/{mgs_id}")).await?);
    assert_eq!(all.len(), 4, "{all:?}");
    let crm = on(lab, 1, "crm_mon -1 --output-as=xml").await?;
    for t in &all {
        assert_eq!(t["ha_mode"], "pacemaker", "{t}");
        let id = t["ha_resource"].as_str().unwrap_or_default();
        assert!(
            crm.contains(&format!(
                "id=\"{id}\" resource_agent=\"ocf:lustre:Lustre\" role=\"Started\""
            )),
            "{crm}"
        );
        let primitive = on(lab, 2, &format!("cibadmin --query --xpath \"//primitive[@id='{id}']\"")).await?;
        match t["zpool"].as_str() {
            Some(pool) => {
                assert!(primitive.contains(&format!("value=\"{pool}/ost0000\"")), "{primitive}");
                assert!(
                    crm.contains(&format!(
                        "id=\"{id}-zpool\" resource_agent=\"ocf:heartbeat:ZFS\" role=\"Started\""
                    )),
                    "{crm}"
                );
            }
            None => assert!(primitive.contains("value=\"/dev/disk/by-id/"), "{primitive}"),
        }
        let constraints = on(
            lab,
            2,
            &format!("cibadmin --query --xpath \"//rsc_location[@rsc='{id}']\""),
        )
        .await?;
        assert!(
            constraints.contains("score=\"20\"") && constraints.contains("score=\"10\""),
            "{constraints}"
        );
    }
    assert_eq!(lab.mounted_on(SERIALS[2]).await?.as_deref(), Some("lab2"));
    assert_eq!(lab.mounted_on(SERIALS[0]).await?.as_deref(), Some("lab1"));
    let zpool = all
        .iter()
        .find_map(|t| t["zpool"].as_str())
        .context("OST0000's pool")?
        .to_owned();
    assert_eq!(pool_on(lab, &zpool).await?.as_deref(), Some("lab2"));

    // Stopped through Pacemaker, it stays stopped across monitor intervals
    // (3 s in tests): Pacemaker does not mount it again.
    let fs_path = format!("/api/filesystem/{fs_id}");
    let done = change(env, "PATCH", &fs_path, json!({"state": "stopped"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    // (The MGS stays: it may serve other file systems.)
    tokio::time::sleep(Duration::from_secs(10)).await;
    for serial in &SERIALS[1..] {
        assert_eq!(lab.mounted_on(serial).await?, None, "{serial} was mounted again");
    }
    let crm = on(lab, 1, "crm_mon -1 --output-as=xml").await?;
    assert_eq!(crm.matches(" role=\"Started\"").count(), 1, "only the MGS runs: {crm}");
    let done = change(env, "PATCH", &fs_path, json!({"state": "available"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(lab.mounted_on(SERIALS[2]).await?.as_deref(), Some("lab2"));

    // Failover and failback of an OST through Pacemaker.
    let ost0 = all
        .iter()
        .find(|t| t["name"] == "labfs-OST0000")
        .context("OST0000")?
        .clone();
    let ost0_path = format!("/api/target/{}", ost0["id"].as_str().unwrap_or_default());
    let done = change(env, "POST", &format!("{ost0_path}/failover"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(lab.mounted_on(SERIALS[2]).await?.as_deref(), Some("lab1"));
    assert_eq!(pool_on(lab, &zpool).await?.as_deref(), Some("lab1"));
    let done = change(env, "POST", &format!("{ost0_path}/failback"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(lab.mounted_on(SERIALS[2]).await?.as_deref(), Some("lab2"));
    assert_eq!(pool_on(lab, &zpool).await?.as_deref(), Some("lab2"));
    let moves = on(lab, 1, "cibadmin --query --scope constraints").await?;
    assert!(!moves.contains("cli-prefer") && !moves.contains("cli-ban"), "{moves}");

    // Pacemaker stops on lab2: Pacemaker itself moves OST0000 to lab1, and
    // Chroma sees it moved and the daemon stopped.
    let stopped_at = std::time::Instant::now();
    lab.stop_pacemaker(2).await?;
    wait_for(Duration::from_secs(60), "Pacemaker to run OST0000 on lab1", || async {
        Ok((lab.mounted_on(SERIALS[2]).await?.as_deref() == Some("lab1")).then_some(()))
    })
    .await?;
    let failover_took = stopped_at.elapsed();
    assert_eq!(pool_on(lab, &zpool).await?.as_deref(), Some("lab1"));
    let item = format!("target/{}", ost0["id"].as_str().unwrap_or_default());
    let alert = alert_raised(env, "target_failed_over", &item).await?;
    assert_eq!(alert["details"]["action"], "failback", "{alert}");
    let lab2 = format!("host/{}", hosts[1]);
    let alert = alert_raised(env, "ha_daemon_stopped", &lab2).await?;
    assert!(
        alert["message"].as_str().unwrap_or_default().contains("Pacemaker"),
        "{alert}"
    );
    lab.start_pacemaker(2).await?;
    alert_cleared(env, "ha_daemon_stopped", &lab2).await?;
    alert_cleared(env, "ha_peer_missing", &lab2).await?;
    let done = change(env, "POST", &format!("{ost0_path}/failback"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(lab.mounted_on(SERIALS[2]).await?.as_deref(), Some("lab2"));
    alert_cleared(env, "target_failed_over", &item).await?;

    // Removal (the file system, then its MGS) leaves no resource and no
    // constraint in the CIB.
    let done = change(env, "PATCH", &fs_path, json!({"state": "removed", "confirm": true})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let mgs_path = format!("/api/target/{mgs_id}");
    let done = change(env, "PATCH", &mgs_path, json!({"state": "removed", "confirm": true})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    for xpath in ["//primitive", "//rsc_location", "//rsc_colocation", "//rsc_order"] {
        let out = lab.ssh(1, &format!("cibadmin --query --xpath \"{xpath}\"")).await?;
        assert_eq!(out.status, 105, "{xpath} still finds: {}", out.stdout);
    }
    for serial in SERIALS {
        assert_eq!(lab.mounted_on(serial).await?, None, "{serial}");
    }
    eprintln!(
        "ha_real: cluster set up in {:.1} s; Pacemaker failed over in {:.1} s; whole run {:.1} s",
        setup_took.as_secs_f64(),
        failover_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
