//! Pre-flight checks when a server is added: a server without Lustre
//! (lustre-sim `--no-lustre`) is added and managed, but its checks say
//! what is missing and how to fix it, an alert is raised, and nothing
//! that needs Lustre is offered or accepted on it; a Lustre server passes
//! every check.

use integration_tests::alerts::{alert_raised, get};
use integration_tests::lustre::LONG;
use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The check `name` of a host's pre-flight results.
fn check(host: &Value, name: &str) -> Value {
    host["preflight"]["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("no {name} check: {host}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_lustre_shows_what_is_missing_and_is_offered_nothing() -> anyhow::Result<()> {
    let mut env = TestEnv::start("preflight_bare").await?.with_sim_no_lustre(&["bare1"]);
    env.scheduler().await?;
    env.worker(4).await?;
    let (cluster, _) = env.simulated_cluster(&["mds1", "bare1"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let (mds1, bare) = (&hosts[0], &hosts[1]);

    let host = get(&env, &format!("/api/host/{bare}")).await?;
    assert_eq!(host["state"], "managed", "{host}");
    assert_eq!(host["lustre_version"], Value::Null);
    assert_eq!(host["serves_lustre"], false, "{host}");
    assert!(host["preflight_at"].is_string(), "{host}");
    for name in ["lustre_tools", "server_utilities", "kernel_modules", "lnet_tools"] {
        let c = check(&host, name);
        assert_eq!(c["status"], "fail", "{c}");
        assert!(c["fix"].as_str().is_some_and(|f| f.contains("Install")), "{c}");
    }
    assert!(check(&host, "lustre_tools")["message"]
        .as_str()
        .is_some_and(|m| m.contains("Lustre is not installed")));
    assert!(check(&host, "server_utilities")["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("mkfs.lustre, mount.lustre, tunefs.lustre not found")));
    for name in ["time_sync", "log_space", "ha_stack"] {
        assert_eq!(check(&host, name)["status"], "pass", "{host}");
    }
    assert_eq!(host["lnet_transitions"], json!([]), "no LNet action may be offered");
    let zfs = check(&host, "zfs");
    assert_eq!(zfs["status"], "warn", "{zfs}");
    assert!(
        zfs["fix"].as_str().is_some_and(|f| f.contains("kmod-lustre-osd-zfs")),
        "{zfs}"
    );

    let alert = alert_raised(&env, "host_preflight_failed", &format!("host/{bare}")).await?;
    assert_eq!(alert["severity"], "error");
    let message = alert["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("bare1 cannot serve Lustre") && message.contains("lustre_tools"),
        "{alert}"
    );

    // Starting LNet is refused, naming the failed checks.
    let (status, envelope) = env
        .patch(&format!("/api/host/{bare}"), &json!({"lnet_state": "lnet_up"}))
        .await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let error = envelope["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        error.contains("start LNet") && error.contains("lustre_tools, server_utilities, kernel_modules, lnet_tools"),
        "{envelope}"
    );

    // So is a file system with a target on it; nothing is stored.
    let (_, envelope) = env.get("/api/volume").await?;
    let volumes = envelope["response"]["objects"].as_array().cloned().unwrap_or_default();
    let on = |host: &str| -> Vec<String> {
        volumes
            .iter()
            .filter(|v| {
                v["nodes"]
                    .as_array()
                    .is_some_and(|n| n.iter().any(|n| n["host_id"] == host))
            })
            .filter_map(|v| v["id"].as_str().map(str::to_owned))
            .collect()
    };
    let (own, theirs) = (on(mds1), on(bare));
    let body = json!({
        "name": "fs1",
        "mgt": {"volume_id": own[0]},
        "mdts": [{"volume_id": own[1]}],
        "osts": [{"volume_id": theirs[0]}],
    });
    let (status, envelope) = env.post("/api/filesystem", &body).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    let error = envelope["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(error.contains("bare1 cannot serve Lustre"), "{envelope}");
    // Nor is a ZFS target offered where ZFS is missing.
    let mut on_zfs = body.clone();
    on_zfs["osts"][0]["backfstype"] = json!("zfs");
    let (status, envelope) = env.post("/api/filesystem", &on_zfs).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "osts[0].backfstype", "{envelope}");
    let error = envelope["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        error.contains("bare1 cannot run a ZFS target: no osd_zfs module"),
        "{envelope}"
    );
    let page = get(&env, "/api/filesystem").await?;
    assert_eq!(page["objects"], json!([]), "{page}");
    let page = get(&env, "/api/target").await?;
    assert_eq!(page["objects"], json!([]), "{page}");

    cluster.shutdown().await;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lustre_server_passes_every_check() -> anyhow::Result<()> {
    let mut env = TestEnv::start("preflight_pass").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let (cluster, _) = env.simulated_cluster(&["mds1"]).await?;
    let hosts = env.add_hosts(&cluster).await?;

    let host = get(&env, &format!("/api/host/{}", hosts[0])).await?;
    assert_eq!(host["serves_lustre"], true, "{host}");
    let checks = host["preflight"]["checks"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "lustre_tools",
            "server_utilities",
            "kernel_modules",
            "lnet_tools",
            "ha_stack",
            "time_sync",
            "log_space",
            "zfs"
        ]
    );
    for c in &checks {
        assert_eq!(c["status"], "pass", "{c}");
        assert_eq!(c["fix"], Value::Null, "{c}");
    }
    assert!(check(&host, "lustre_tools")["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("Lustre 2.15")));
    assert_eq!(host["lnet_transitions"], json!(["lnet_up"]), "{host}");
    let page = get(&env, "/api/alert?active=true&kind=host_preflight_failed").await?;
    assert_eq!(page["objects"], json!([]), "{page}");

    // Probed again on request (after installing what a check asked for),
    // the checks are run afresh.
    let before = host["preflight_at"].as_str().unwrap_or_default().to_owned();
    let (status, envelope) = env.post(&format!("/api/host/{}/probe", hosts[0]), &json!({})).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let done = env.finished(&command, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let again = get(&env, &format!("/api/host/{}", hosts[0])).await?;
    assert!(
        again["preflight_at"].as_str().unwrap_or_default() > before.as_str(),
        "{again}"
    );
    assert_eq!(again["state"], "managed", "{again}");
    let (status, envelope) = env
        .post("/api/host/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/probe", &json!({}))
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{envelope}");
    let (status, _) = env.post("/api/host/not-an-id/probe", &json!({})).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The API describes the results it sends.
    let (_, doc) = env.get("/api/openapi.json").await?;
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["HostView"]["properties"]["preflight"].is_object(),
        "{}",
        schemas["HostView"]
    );
    assert!(
        schemas["Preflight"]["properties"]["checks"].is_object(),
        "{}",
        schemas["Preflight"]
    );

    cluster.shutdown().await;
    env.stop().await
}
