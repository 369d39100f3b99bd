//! File systems end to end over real SSH to lustre-sim: three hosts (an
//! MGS/MDS and an OSS failover pair), a file system with one MDT and four
//! OSTs created, stopped, started, an OST failed over and back, then
//! removed; a worker SIGKILLed in the middle of a format; a host that goes
//! down in the middle of a command.

use integration_tests::lustre::{argv, by_hand, change, filesystem_request, mounted_on, simulator, LONG};
use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// Serial → how many times the simulator formatted it, for formatted devices.
fn format_counts(state: &Path) -> anyhow::Result<Vec<(String, u64)>> {
    let shown = simulator(state)?;
    Ok(shown["devices"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|d| d["format_count"].as_u64().unwrap_or(0) > 0)
        .map(|d| {
            let serial = d["serial"].as_str().unwrap_or_default().to_owned();
            (serial, d["format_count"].as_u64().unwrap_or(0))
        })
        .collect())
}

/// The configuration llogs of the MGS whose device is labelled `MGS`
/// (`lustre-sim show` keeps each MGS's by the serial of its device).
fn mgs_llogs(shown: &Value) -> Value {
    let devices = shown["devices"].as_array().cloned().unwrap_or_default();
    let mgt = devices.iter().find(|d| d["label"] == "MGS");
    let serial = mgt.and_then(|d| d["serial"].as_str()).unwrap_or_default();
    shown["llogs"][serial].clone()
}

async fn filesystem(env: &TestEnv, id: &str) -> anyhow::Result<Value> {
    let (status, envelope) = env.get(&format!("/api/filesystem/{id}")).await?;
    anyhow::ensure!(status == StatusCode::OK, "{envelope}");
    Ok(envelope["response"].clone())
}

fn target<'a>(fs: &'a Value, name: &str) -> &'a Value {
    fs["targets"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_system_is_created_stopped_started_failed_over_and_removed() -> anyhow::Result<()> {
    let mut env = TestEnv::start("filesystem").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "fs1").await?;

    // A dry run shows the jobs and stores nothing.
    let (status, envelope) = env.post("/api/filesystem?dry_run=true", &request).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let jobs = envelope["response"]["jobs"].as_array().cloned().unwrap_or_default();
    assert!(
        jobs.iter().filter(|j| j["to"] == "formatted").count() == 6,
        "{envelope}"
    );
    let (_, listed) = env.get("/api/filesystem").await?;
    assert_eq!(listed["response"]["objects"], json!([]), "a dry run stored something");

    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let fs = filesystem(&env, &id).await?;
    assert_eq!(fs["state"], "available", "{fs}");
    assert_eq!(fs["available_transitions"], json!(["stopped", "removed"]));
    assert_eq!(fs["targets"].as_array().map(Vec::len), Some(6));
    assert!(
        fs["client_mount_source"].as_str().is_some_and(|s| s.ends_with(":/fs1")),
        "{fs}"
    );
    for t in fs["targets"].as_array().cloned().unwrap_or_default() {
        assert_eq!(t["state"], "mounted", "{t}");
        assert_eq!(
            mounted_on(&state, t["name"].as_str().unwrap_or_default())?,
            t["active_host"].as_str().map(str::to_owned)
        );
    }
    let counts = format_counts(&state)?;
    assert_eq!(counts.len(), 6, "{counts:?}");
    assert!(
        counts.iter().all(|(_, n)| *n == 1),
        "a device was formatted twice: {counts:?}"
    );
    let shown = simulator(&state)?;
    let client_log = mgs_llogs(&shown)["fs1-client"].to_string();
    assert!(
        client_log.contains("sys.timeout=40"),
        "conf_param not applied: {client_log}"
    );

    // Conflicting requests change nothing.
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let mut bad = request.clone();
    bad["name"] = json!("much_too_long");
    let (status, envelope) = env.post("/api/filesystem", &bad).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "name");
    // mds1's two free volumes: the name is taken, and mds1 already runs an MGS.
    let (_, volumes) = env.get("/api/volume").await?;
    let free: Vec<String> = volumes["response"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["target"].is_null() && v["nodes"].as_array().map(Vec::len) == Some(1))
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(free.len(), 2, "{volumes}");
    let mgs_id = fs["mgs_id"].clone();
    let (status, envelope) = env
        .post(
            "/api/filesystem",
            &json!({"name": "fs1", "mgt": {"mgs_id": mgs_id}, "mdts": [{"volume_id": free[0]}], "osts": [{"volume_id": free[1]}]}),
        )
        .await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(
        envelope.to_string().contains("file system fs1 already exists"),
        "{envelope}"
    );
    let (status, envelope) = env
        .post(
            "/api/filesystem",
            &json!({"name": "fs2", "mgt": {"volume_id": free[0]}, "mdts": [{"volume_id": free[1]}], "osts": [{"volume_id": free[1]}]}),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a volume named twice: {envelope}");
    let two_mgs = json!({"name": "fs2", "mgt": {"volume_id": free[0]}, "mdts": [{"volume_id": free[1]}], "osts": request["osts"]});
    let (status, envelope) = env.post("/api/filesystem", &two_mgs).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let (status, envelope) = env
        .post(
            "/api/filesystem",
            &json!({"name": "fs2", "mgt": {"mgs_id": mgs_id}, "mdts": [{"volume_id": free[0]}], "osts": [{"volume_id": free[1]}],
                    "conf_params": {"fs2-OST0000.osc.max_dirty_mb": "64"}}),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(
        envelope["errors"][0]["field"],
        "conf_params.fs2-OST0000.osc.max_dirty_mb"
    );
    // Raw commands cannot reach servers around the planner.
    let raw = json!({"message": "format by hand", "jobs": [{"key": "a",
        "steps": [{"action": "format_target", "args": {"target_id": uuid::Uuid::nil()}}]}]});
    let (status, envelope) = env.post("/api/command", &raw).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "jobs[0].steps[0].action");
    let (_, listed) = env.get("/api/filesystem").await?;
    assert_eq!(listed["response"]["objects"].as_array().map(Vec::len), Some(1));
    assert_eq!(format_counts(&state)?.len(), 6, "a refused request formatted something");

    // Stop, then start.
    let (status, envelope) = env
        .patch(
            &format!("/api/filesystem/{id}?dry_run=true"),
            &json!({"state": "stopped"}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(
        envelope["response"]["jobs"].as_array().map(Vec::len),
        Some(5),
        "{envelope}"
    );
    // While the stop runs (slowly), a start is refused: it would be
    // planned from states about to change.
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Slow(1_000))?;
    let path = format!("/api/filesystem/{id}");
    let (status, envelope) = env.patch(&path, &json!({"state": "stopped"})).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let stopping = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let (status, envelope) = env.patch(&path, &json!({"state": "available"})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(envelope["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("unfinished work"));
    let done = env.finished(&stopping, LONG).await?;
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Slow(0))?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let fs = filesystem(&env, &id).await?;
    assert_eq!(fs["state"], "stopped", "{fs}");
    assert_eq!(target(&fs, "MGS")["state"], "mounted", "the MGS stays up");
    assert_eq!(mounted_on(&state, "fs1-OST0000")?, None);
    let done = change(
        &env,
        "PATCH",
        &format!("/api/filesystem/{id}"),
        json!({"state": "available"}),
    )
    .await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(filesystem(&env, &id).await?["state"], "available");

    // Fail OST0000 over to its partner, then back.
    let fs = filesystem(&env, &id).await?;
    let ost = target(&fs, "fs1-OST0000").clone();
    let ost_id = ost["id"].as_str().unwrap_or_default();
    let done = change(&env, "POST", &format!("/api/target/{ost_id}/failover"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let (_, envelope) = env.get(&format!("/api/target/{ost_id}")).await?;
    assert_eq!(envelope["response"]["failed_over"], true, "{envelope}");
    assert_eq!(mounted_on(&state, "fs1-OST0000")?.as_deref(), Some("oss2"));
    let done = change(&env, "POST", &format!("/api/target/{ost_id}/failback"), json!({})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "fs1-OST0000")?.as_deref(), Some("oss1"));

    // One target alone: unmount, and back.
    let done = change(
        &env,
        "PATCH",
        &format!("/api/target/{ost_id}"),
        json!({"state": "unmounted"}),
    )
    .await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(filesystem(&env, &id).await?["state"], "unavailable");
    let (status, envelope) = env
        .patch(&format!("/api/target/{ost_id}"), &json!({"state": "formatted"}))
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    let (status, envelope) = env.post(&format!("/api/target/{ost_id}/failover"), &json!({})).await?;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an unmounted target cannot fail over: {envelope}"
    );
    let (status, envelope) = env
        .patch(&format!("/api/target/{ost_id}"), &json!({"state": "up"}))
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "state");
    let (status, _) = env.patch("/api/target/not-an-id", &json!({"state": "mounted"})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let missing = format!("/api/target/{}", uuid::Uuid::nil());
    let (status, _) = env.patch(&missing, &json!({"state": "mounted"})).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Stopping LNet under mounted OSTs asks for confirmation first.
    let oss2 = format!("/api/host/{}", hosts[2]);
    let (status, envelope) = env
        .patch(&format!("{oss2}?dry_run=true"), &json!({"lnet_state": "lnet_down"}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["requires_confirmation"], true, "{envelope}");
    let unmounts = envelope["response"]["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| j["to"] == "unmounted")
        .count();
    assert_eq!(unmounts, 2, "oss2's two OSTs: {envelope}");
    let (status, envelope) = env.patch(&oss2, &json!({"lnet_state": "lnet_down"})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert_eq!(envelope["errors"][0]["code"], "confirmation_required");
    assert_eq!(
        mounted_on(&state, "fs1-OST0001")?.as_deref(),
        Some("oss2"),
        "nothing changed"
    );
    let done = change(
        &env,
        "PATCH",
        &oss2,
        json!({"lnet_state": "lnet_down", "confirm": true}),
    )
    .await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(mounted_on(&state, "fs1-OST0001")?, None);
    let (_, host) = env.get(&oss2).await?;
    assert_eq!(host["response"]["lnet_state"], "lnet_down", "{host}");

    // Remove it: everything unmounted and forgotten; data stays on disk.
    let done = change(
        &env,
        "PATCH",
        &format!("/api/filesystem/{id}"),
        json!({"state": "removed"}),
    )
    .await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let fs = filesystem(&env, &id).await?;
    assert_eq!(fs["state"], "removed", "{fs}");
    for name in ["fs1-MDT0000", "fs1-OST0000", "fs1-OST0003"] {
        assert_eq!(target(&fs, name)["state"], "removed", "{fs}");
        assert_eq!(mounted_on(&state, name)?, None);
    }

    // With its targets gone, a host can be removed, and added again.
    let done = change(&env, "PATCH", &oss2, json!({"state": "removed"})).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let (_, host) = env.get(&oss2).await?;
    assert_eq!(host["response"]["state"], "removed", "{host}");
    let (_, volumes) = env.get("/api/volume").await?;
    let seen_from_oss2 = volumes.to_string().matches(hosts[2].as_str()).count();
    assert_eq!(
        seen_from_oss2, 0,
        "a removed host's devices are still listed: {volumes}"
    );
    let body = json!({"address": "127.0.0.1", "port": cluster.hosts[2].addr.port()});
    let (status, envelope) = env.post("/api/host", &body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    assert_eq!(envelope["response"]["host"]["id"], hosts[2].as_str());
    cluster.shutdown().await;
    env.stop().await
}

/// Waits until a `format_target` step is running; returns its job's id.
async fn format_running(env: &TestEnv, command: &str) -> anyhow::Result<()> {
    integration_tests::wait_for(LONG, "a format step to run", || async {
        let command = env.command(command).await?;
        let jobs = command["jobs"].as_array().cloned().unwrap_or_default();
        for job in jobs {
            let (_, envelope) = env
                .get(&format!("/api/job/{}", job["id"].as_str().unwrap_or_default()))
                .await?;
            let steps = envelope["response"]["steps"].as_array().cloned().unwrap_or_default();
            if steps
                .iter()
                .any(|s| s["action"] == "format_target" && s["state"] == "running")
            {
                return Ok(Some(()));
            }
        }
        Ok(None)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_format_formats_every_device_exactly_once() -> anyhow::Result<()> {
    let mut env = TestEnv::start("killformat").await?;
    env.scheduler().await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let first = env.spawn("chroma-worker", &[("CHROMA_WORKER_CONCURRENCY", "8")])?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "crash1").await?;
    // Every command on the servers takes a second: formats are long.
    for host in ["mds1", "oss1", "oss2"] {
        lustre_sim::inject_fault(&state, host, lustre_sim::FaultCommand::Slow(1_000))?;
    }
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    format_running(&env, &command).await?;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    first.crash().await?;
    for host in ["mds1", "oss1", "oss2"] {
        lustre_sim::inject_fault(&state, host, lustre_sim::FaultCommand::Slow(0))?;
    }
    let _second = env.spawn("chroma-worker", &[("CHROMA_WORKER_CONCURRENCY", "8")])?;
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(filesystem(&env, &id).await?["state"], "available");
    let counts = format_counts(&state)?;
    assert_eq!(counts.len(), 6, "{counts:?}");
    assert!(
        counts.iter().all(|(_, n)| *n == 1),
        "a device was formatted twice: {counts:?}"
    );
    // The kill really interrupted a step: some step ran twice.
    let mut retried = 0;
    for job in done["jobs"].as_array().cloned().unwrap_or_default() {
        let (_, envelope) = env
            .get(&format!("/api/job/{}", job["id"].as_str().unwrap_or_default()))
            .await?;
        for step in envelope["response"]["steps"].as_array().cloned().unwrap_or_default() {
            retried += usize::from(step["attempts"].as_i64().unwrap_or(0) > 1);
        }
    }
    assert!(retried > 0, "no step was interrupted by the kill");
    cluster.shutdown().await;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_down_mid_command_fails_its_jobs_clearly_while_others_go_on() -> anyhow::Result<()> {
    let mut env = TestEnv::start("downmid").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "down1").await?;
    lustre_sim::inject_fault(&state, "oss2", lustre_sim::FaultCommand::Slow(1_500))?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    lustre_sim::inject_fault(&state, "oss2", lustre_sim::FaultCommand::Down)?;
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "failed", "{done}");
    let jobs = done["jobs"].as_array().cloned().unwrap_or_default();
    let port = cluster.hosts[2].addr.port().to_string();
    let failed: Vec<&Value> = jobs.iter().filter(|j| j["state"] == "failed").collect();
    assert!(!failed.is_empty(), "{done}");
    for job in &failed {
        let error = job["error"].as_str().unwrap_or_default();
        assert!(error.contains(&port), "the error does not name oss2: {error}");
    }
    // Work on the other hosts went on: mds1's targets were formatted and
    // its MGS mounted.
    let succeeded: Vec<&str> = jobs
        .iter()
        .filter(|j| j["state"] == "succeeded")
        .filter_map(|j| j["description"].as_str())
        .collect();
    assert!(succeeded.iter().any(|d| d.starts_with("Format MGS")), "{succeeded:?}");
    assert!(succeeded.iter().any(|d| d.starts_with("Mount MGS")), "{succeeded:?}");
    assert_eq!(mounted_on(&state, "MGS")?.as_deref(), Some("mds1"));
    cluster.shutdown().await;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_system_chroma_did_not_create_is_detected_and_only_watched() -> anyhow::Result<()> {
    let mut env = TestEnv::start("detect").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let shown = simulator(&state)?;
    let nid = |i: usize| shown["hosts"][i]["nid"].as_str().unwrap_or_default().to_owned();
    let (mgs, oss1, oss2) = (nid(0), nid(1), nid(2));
    // An operator built "old" by hand before Chroma came.
    by_hand(
        &env,
        &cluster.hosts[0],
        &[
            argv("modprobe lnet"),
            argv("lnetctl lnet configure --all"),
            argv("mkfs.lustre --mgs /dev/sdb"),
            argv("mkdir -p /mnt/mgs"),
            argv("mount -t lustre /dev/sdb /mnt/mgs"),
            argv(&format!(
                "mkfs.lustre --mdt --fsname=old --index=0 --mgsnode={mgs} /dev/sdc"
            )),
            argv("mkdir -p /mnt/mdt0"),
            argv("mount -t lustre /dev/sdc /mnt/mdt0"),
        ],
    )
    .await?;
    by_hand(
        &env,
        &cluster.hosts[1],
        &[
            argv(&format!(
                "mkfs.lustre --ost --fsname=old --index=0 --mgsnode={mgs} --servicenode={oss1} --servicenode={oss2} /dev/sdb"
            )),
            argv("mkdir -p /mnt/ost0"),
            argv("mount -t lustre /dev/sdb /mnt/ost0"),
        ],
    )
    .await?;
    by_hand(&env, &cluster.hosts[0], &[argv("lctl conf_param old.sys.timeout=60")]).await?;
    env.add_hosts(&cluster).await?;

    for _ in 0..2 {
        let done = change(&env, "POST", "/api/filesystem/detect", json!({})).await?;
        assert_eq!(done["state"], "succeeded", "{done}");
    }
    let (_, listed) = env.get("/api/filesystem").await?;
    let found = listed["response"]["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(found.len(), 1, "detected twice or not at all: {listed}");
    let fs = &found[0];
    assert_eq!(fs["name"], "old");
    assert_eq!(fs["managed"], false);
    assert_eq!(fs["state"], "available", "{fs}");
    assert_eq!(fs["available_transitions"], json!([]));
    let mut names: Vec<&str> = fs["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["MGS", "old-MDT0000", "old-OST0000"]);
    let ost = target(fs, "old-OST0000");
    assert_eq!(ost["active_host"], "oss1", "{ost}");
    assert_eq!(ost["failover_host_ids"].as_array().map(Vec::len), Some(1), "{ost}");
    assert!(fs["conf_params"].to_string().contains("60"), "{fs}");

    // Watched, never changed.
    let path = format!("/api/filesystem/{}", fs["id"].as_str().unwrap_or_default());
    let (status, envelope) = env.patch(&path, &json!({"state": "stopped"})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(envelope["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("monitored only"));
    let ost_id = ost["id"].as_str().unwrap_or_default();
    let (status, envelope) = env
        .patch(&format!("/api/target/{ost_id}"), &json!({"state": "unmounted"}))
        .await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let (status, envelope) = env.post(&format!("/api/target/{ost_id}/failover"), &json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let mgs = fs["mgs_id"].clone();
    let free = env.get("/api/volume").await?.1["response"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["target"].is_null() && v["nodes"].as_array().map(Vec::len) == Some(1))
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect::<Vec<_>>();
    let on_their_mgs = json!({"name": "mine", "mgt": {"mgs_id": mgs}, "mdts": [{"volume_id": free[0]}], "osts": [{"volume_id": free[1]}]});
    let (status, envelope) = env.post("/api/filesystem", &on_their_mgs).await?;
    assert_eq!(status, StatusCode::CONFLICT, "a watched MGS was used: {envelope}");
    assert_eq!(mounted_on(&state, "old-OST0000")?.as_deref(), Some("oss1"));
    cluster.shutdown().await;
    env.stop().await
}
