//! Monitoring end to end: a monitor polling three lustre-sim servers over
//! real SSH every second while a file system runs on them. Statistics
//! appear and move; a full OST raises and clears an alert; a server outage
//! raises and clears one; a Pacemaker failover is seen, alerted and failed
//! back; a parameter set by hand on the MGS shows as drift and is adopted;
//! a bad parameter value is refused with nothing applied; server journal
//! lines and state changes are searchable.

use anyhow::Context as _;
use integration_tests::alerts::{alert_cleared, alert_raised, get, SOON};
use integration_tests::lustre::{argv, by_hand, change, filesystem_request, mounted_on, LONG};
use integration_tests::{wait_for, TestEnv};
use lustre_sim::FaultCommand;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// The points of metric `name` in a metric answer.
fn points(answer: &Value, name: &str) -> Vec<(String, f64)> {
    answer["series"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == name))
        .and_then(|s| s["points"].as_array())
        .map(|points| {
            points
                .iter()
                .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_f64()?)))
                .collect()
        })
        .unwrap_or_default()
}

fn target_id(fs: &Value, name: &str) -> String {
    fs["targets"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .and_then(|t| t["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_file_system_is_watched() -> anyhow::Result<()> {
    let mut env = TestEnv::start("monitoring").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "mon").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let fs = get(&env, &format!("/api/filesystem/{fs_id}")).await?;
    let ost0 = target_id(&fs, "mon-OST0000");
    let ost1 = target_id(&fs, "mon-OST0001");

    // Statistics appear and move: bandwidth as rates, space growing.
    let metric = format!("/api/filesystem/{fs_id}/metric?metrics=write_bytes,space_used,md_ops_open&max_points=600");
    let first = wait_for(SOON, "file-system write bandwidth", || async {
        let answer = get(&env, &metric).await?;
        let writes = points(&answer, "write_bytes");
        Ok((writes.len() >= 2 && writes.iter().all(|(_, v)| *v > 0.0)).then_some(answer))
    })
    .await?;
    let used_before = points(&first, "space_used").last().map(|p| p.1).unwrap_or_default();
    assert!(used_before > 0.0, "{first}");
    assert!(points(&first, "md_ops_open").iter().any(|(_, v)| *v > 0.0), "{first}");
    wait_for(SOON, "space use to grow", || async {
        let answer = get(&env, &metric).await?;
        let now = points(&answer, "space_used").last().map(|p| p.1).unwrap_or_default();
        Ok((now > used_before).then_some(()))
    })
    .await?;
    let per_ost = get(
        &env,
        &format!("/api/target/metric?metrics=write_bytes&filesystem_id={fs_id}&kind=ost"),
    )
    .await?;
    assert_eq!(per_ost["series"].as_array().map(Vec::len), Some(4), "{per_ost}");
    let cpu = get(
        &env,
        &format!("/api/host/{}/metric?metrics=cpu_used,mem_used", hosts[1]),
    )
    .await?;
    assert!(
        !points(&cpu, "cpu_used").is_empty() && !points(&cpu, "mem_used").is_empty(),
        "{cpu}"
    );
    let jobs = get(&env, &format!("/api/filesystem/{fs_id}/job_stats")).await?;
    assert!(jobs.to_string().contains("dd.0"), "per-job statistics: {jobs}");

    // A full OST raises an alert that clears when space is freed.
    let item = format!("target/{ost1}");
    lustre_sim::inject_fault(
        &state,
        "oss2",
        FaultCommand::Fill {
            target: "mon-OST0001".into(),
            percent: Some(95),
        },
    )?;
    let alert = alert_raised(&env, "space_high", &item).await?;
    assert!(
        alert["message"].as_str().unwrap_or_default().contains("mon-OST0001"),
        "{alert}"
    );
    lustre_sim::inject_fault(
        &state,
        "oss2",
        FaultCommand::Fill {
            target: "mon-OST0001".into(),
            percent: None,
        },
    )?;
    alert_cleared(&env, "space_high", &item).await?;

    // A target Chroma mounts directly (mds1 has no failover server) and
    // that is unmounted behind its back is offline until it is back.
    let mdt = target_id(&fs, "mon-MDT0000");
    let item = format!("target/{mdt}");
    let endpoint = cluster.host("mds1").cloned().context("mds1")?;
    by_hand(&env, &endpoint, &[argv("umount /mnt/mon-MDT0000")]).await?;
    let alert = alert_raised(&env, "target_offline", &item).await?;
    assert!(
        alert["message"].as_str().unwrap_or_default().contains("mon-MDT0000"),
        "{alert}"
    );
    let device = lustre_sim::show(&state)?["devices"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["label"] == "mon-MDT0000"))
        .and_then(|d| d["paths"]["mds1"].as_str().map(str::to_owned))
        .context("the MDT's device")?;
    by_hand(
        &env,
        &endpoint,
        &[argv(&format!("mount -t lustre {device} /mnt/mon-MDT0000"))],
    )
    .await?;
    alert_cleared(&env, "target_offline", &item).await?;

    // A Pacemaker target unmounted behind Chroma's back is Pacemaker's to
    // recover: its monitor finds it stopped and mounts it again on the
    // same server, leaving a fail-count that is alerted until cleaned up.
    let ost3 = target_id(&fs, "mon-OST0003");
    let item = format!("target/{ost3}");
    let host = mounted_on(&state, "mon-OST0003")?.unwrap_or_default();
    let endpoint = cluster.host(&host).cloned().context("the OST's server")?;
    by_hand(&env, &endpoint, &[argv("umount /mnt/mon-OST0003")]).await?;
    let alert = alert_raised(&env, "ha_resource_failed", &item).await?;
    assert!(
        alert["message"].as_str().unwrap_or_default().contains("fail-count 1"),
        "{alert}"
    );
    wait_for(SOON, "Pacemaker to mount mon-OST0003 again", || async {
        Ok((mounted_on(&state, "mon-OST0003")?.as_deref() == Some(host.as_str())).then_some(()))
    })
    .await?;
    // Moving it away and back cleans the failure up.
    let home = if host == "oss1" { &hosts[1] } else { &hosts[2] };
    let away = change(&env, "POST", &format!("/api/target/{ost3}/failover"), json!({})).await?;
    assert_eq!(away["state"], "succeeded", "{away}");
    alert_cleared(&env, "ha_resource_failed", &item).await?;
    let back = change(&env, "POST", &format!("/api/target/{ost3}/failback"), json!({})).await?;
    assert_eq!(back["state"], "succeeded", "{back}");
    let target = get(&env, &format!("/api/target/{ost3}")).await?;
    assert_eq!(target["active_host_id"], json!(home), "{target}");

    // A server that stops answering raises an alert; it clears on return.
    let oss2 = format!("host/{}", hosts[2]);
    lustre_sim::inject_fault(&state, "oss2", FaultCommand::Down)?;
    let alert = alert_raised(&env, "host_unreachable", &oss2).await?;
    assert!(
        alert["message"].as_str().unwrap_or_default().contains("oss2"),
        "{alert}"
    );
    lustre_sim::inject_fault(&state, "oss2", FaultCommand::Up)?;
    alert_cleared(&env, "host_unreachable", &oss2).await?;

    // Pacemaker moves OST0000 to oss2: seen, alerted, failed back.
    let item = format!("target/{ost0}");
    lustre_sim::inject_fault(&state, "oss1", FaultCommand::Failover("mon-OST0000".into()))?;
    let alert = alert_raised(&env, "target_failed_over", &item).await?;
    assert_eq!(alert["details"]["action"], "failback", "{alert}");
    let target = get(&env, &format!("/api/target/{ost0}")).await?;
    assert_eq!(target["active_host_id"], json!(hosts[2]), "{target}");
    let failback = change(&env, "POST", &format!("/api/target/{ost0}/failback"), json!({})).await?;
    assert_eq!(failback["state"], "succeeded", "{failback}");
    alert_cleared(&env, "target_failed_over", &item).await?;
    assert_eq!(mounted_on(&state, "mon-OST0000")?.as_deref(), Some("oss1"));

    // A parameter set by hand on the MGS shows as drift, then is adopted.
    by_hand(&env, &cluster.hosts[0], &[argv("lctl conf_param mon.sys.at_max=500")]).await?;
    let params = format!("/api/filesystem/{fs_id}/params");
    let drifting = wait_for(SOON, "sys.at_max to show as drift", || async {
        let list = get(&env, &params).await?;
        let entry = list
            .as_array()
            .and_then(|l| l.iter().find(|p| p["key"] == "sys.at_max"))
            .cloned();
        Ok(entry.filter(|p| p["llog"] == "500"))
    })
    .await?;
    assert_eq!(drifting["stored"], Value::Null, "{drifting}");
    assert_eq!(drifting["live"], "500", "{drifting}");
    assert_eq!(drifting["drift"], json!(["stored_vs_llog"]), "{drifting}");
    let (status, adopted) = env
        .call(
            reqwest::Method::POST,
            &format!("{params}/adopt"),
            Some(&env.token),
            Some(&json!({"keys": ["sys.at_max"]})),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{adopted}");
    let entry = adopted["response"]
        .as_array()
        .and_then(|l| l.iter().find(|p| p["key"] == "sys.at_max"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(entry["stored"], "500", "{adopted}");
    assert_eq!(entry["drift"], json!([]), "{adopted}");
    let timeout = get(&env, &params).await?;
    let timeout = timeout
        .as_array()
        .and_then(|l| l.iter().find(|p| p["key"] == "sys.timeout"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (&timeout["stored"], &timeout["llog"]),
        (&json!("40"), &json!("40")),
        "{timeout}"
    );

    // A bad value is refused, naming it; nothing is stored or run.
    let commands_before = get(&env, "/api/command?limit=1").await?["meta"]["total_count"].clone();
    let (status, refused) = env
        .call(
            reqwest::Method::PUT,
            &params,
            Some(&env.token),
            Some(&json!({"params": {"sys.timeout": "soon"}})),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused.to_string().contains("params.sys.timeout"), "{refused}");
    assert!(refused.to_string().contains("integer"), "{refused}");
    let fs = get(&env, &format!("/api/filesystem/{fs_id}")).await?;
    assert_eq!(fs["conf_params"]["sys.timeout"], "40", "{fs}");
    let commands_after = get(&env, "/api/command?limit=1").await?["meta"]["total_count"].clone();
    assert_eq!(commands_before, commands_after, "a refused parameter ran a command");

    // Server journals are gathered: Lustre's mount messages, and a line
    // logged while the monitor runs, found by severity and text.
    let mounts = get(&env, &format!("/api/log?host_id={}&q=mon-MDT0000", hosts[0])).await?;
    assert!(mounts["meta"]["total_count"].as_u64().unwrap_or(0) > 0, "{mounts}");
    lustre_sim::inject_fault(
        &state,
        "oss1",
        FaultCommand::Log {
            priority: 3,
            identifier: "kernel".into(),
            message: "LustreError: 11-0: mon-OST0000: test error from the monitoring test".into(),
        },
    )?;
    let line = wait_for(SOON, "the injected journal line", || async {
        let page = get(&env, "/api/log?severity=error&q=monitoring%20test").await?;
        Ok(page["objects"].as_array().and_then(|a| a.first()).cloned())
    })
    .await?;
    assert_eq!(line["host_id"], json!(hosts[1]), "{line}");
    assert_eq!(line["source"], "kernel", "{line}");

    // State changes are events of their object.
    let events = get(&env, &format!("/api/event?item=target/{ost0}")).await?;
    assert!(
        events.to_string().contains("unmounted → mounted"),
        "state changes of OST0000: {events}"
    );
    cluster.shutdown().await;
    env.stop().await
}

/// With polls a minute apart, a Pacemaker failover is still seen within
/// seconds: each server's journal is streamed, and Pacemaker's line about
/// the move starts a round at once. Journal lines arrive the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_is_seen_at_once_through_the_journal_stream() -> anyhow::Result<()> {
    let mut env = TestEnv::start("monitorstream").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    env.monitor(Duration::from_secs(60)).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "live").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let fs = get(&env, &format!("/api/filesystem/{fs_id}")).await?;
    let ost = target_id(&fs, "live-OST0002");

    // The streams start within 5 s of a server being added; until then
    // nothing else reads the journals (the next poll is a minute away).
    for host in ["oss1", "oss2"] {
        lustre_sim::inject_fault(
            &state,
            host,
            FaultCommand::Log {
                priority: 4,
                identifier: "kernel".into(),
                message: format!("Lustre: stream check on {host}"),
            },
        )?;
    }
    wait_for(SOON, "journal lines to arrive through the streams", || async {
        let page = get(&env, "/api/log?q=stream%20check").await?;
        Ok((page["meta"]["total_count"].as_u64().unwrap_or(0) == 2).then_some(()))
    })
    .await?;

    let item = format!("target/{ost}");
    let moved = std::time::Instant::now();
    lustre_sim::inject_fault(&state, "oss1", FaultCommand::Failover("live-OST0002".into()))?;
    alert_raised(&env, "target_failed_over", &item).await?;
    let seen = moved.elapsed();
    assert!(
        seen < Duration::from_secs(10),
        "the failover took {seen:?} to be seen, as if by the next poll"
    );
    cluster.shutdown().await;
    env.stop().await
}
