//! OST pools end to end over real SSH to lustre-sim: on a running file
//! system, a pool of two OSTs is created (the MGS's `lctl pool_list` shows
//! them, the API shows them with their space summed), an OST is swapped,
//! the pool destroyed; bad names, OSTs of another file system, MDTs and
//! duplicate names are refused with nothing stored or run; then the same
//! round trip through the `chroma` command line.

use integration_tests::alerts::alert_raised;
use integration_tests::cli::run_chroma;
use integration_tests::lustre::{filesystem_request, volumes_request, LONG};
use integration_tests::{wait_for, TestEnv, ADMIN_PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// Runs `argv` on a simulated host over SSH as an operator would; returns
/// its exit status and stdout.
async fn on_host(env: &TestEnv, host: &lustre_sim::HostEndpoint, argv: &[&str]) -> anyhow::Result<(u32, String)> {
    let key = chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let target = chroma_ssh::Target::new("127.0.0.1", host.addr.port(), "root");
    let policy = chroma_ssh::HostKeyPolicy::Pinned(chroma_ssh::Fingerprint::parse(&host.fingerprint)?);
    let (session, _) = chroma_ssh::Session::connect(&target, &key, policy, &Default::default()).await?;
    let out = session.exec(argv, Duration::from_secs(30)).await?;
    let _ = session.close().await;
    Ok((out.exit_status.unwrap_or(255), out.stdout))
}

/// What `lctl pool_list ARG` prints on the MGS (mds1).
async fn pool_list(env: &TestEnv, mds: &lustre_sim::HostEndpoint, arg: &str) -> anyhow::Result<String> {
    Ok(on_host(env, mds, &["lctl", "pool_list", arg]).await?.1)
}

async fn pools(env: &TestEnv) -> anyhow::Result<Vec<Value>> {
    let (status, envelope) = env.get("/api/ost_pool").await?;
    anyhow::ensure!(status == StatusCode::OK, "{envelope}");
    envelope["response"]["objects"]
        .as_array()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("not a page: {envelope}"))
}

fn target_id(fs: &Value, name: &str) -> String {
    fs["targets"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .and_then(|t| t["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Sends a pool change and waits for its command to succeed.
async fn done(env: &TestEnv, status: StatusCode, envelope: Value) -> anyhow::Result<()> {
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{status}: {envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    anyhow::ensure!(finished["state"] == "succeeded", "{finished}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pools_are_created_changed_and_destroyed_on_the_mgs() -> anyhow::Result<()> {
    let mut env = TestEnv::start("pools").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let (cluster, _state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let mds = &cluster.hosts[0];
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(&env, &hosts, "fs1").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    done(&env, status, envelope.clone()).await?;
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, fs) = env.get(&format!("/api/filesystem/{fs_id}")).await?;
    let fs = fs["response"].clone();
    let ost = |i: u32| target_id(&fs, &format!("fs1-OST{i:04x}"));
    let mdt = target_id(&fs, "fs1-MDT0000");

    // A second file system on the same MGS, for an OST of another one.
    let (_, volumes) = env.get("/api/volume").await?;
    let free: Vec<String> = volumes["response"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["target"].is_null() && v["nodes"].as_array().map(Vec::len) == Some(1))
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    anyhow::ensure!(free.len() == 2, "{volumes}");
    let other = json!({"name": "fs2", "mgt": {"mgs_id": fs["mgs_id"]},
        "mdts": [{"volume_id": free[0]}], "osts": [{"volume_id": free[1]}]});
    let (status, envelope) = env.post("/api/filesystem", &other).await?;
    done(&env, status, envelope.clone()).await?;
    let fs2_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, fs2) = env.get(&format!("/api/filesystem/{fs2_id}")).await?;
    let foreign = target_id(&fs2["response"], "fs2-OST0000");

    // Refusals: the field named, nothing stored, nothing run.
    for (body, field) in [
        (
            json!({"filesystem_id": fs_id, "name": "inherit", "ost_ids": []}),
            "name",
        ),
        (
            json!({"filesystem_id": fs_id, "name": "sixteen_chars_xx", "ost_ids": []}),
            "name",
        ),
        (json!({"filesystem_id": fs_id, "name": "a.b", "ost_ids": []}), "name"),
        (
            json!({"filesystem_id": fs_id, "name": "p", "ost_ids": [foreign]}),
            "ost_ids[0]",
        ),
        (
            json!({"filesystem_id": fs_id, "name": "p", "ost_ids": [ost(0), mdt]}),
            "ost_ids[1]",
        ),
    ] {
        let (status, envelope) = env.post("/api/ost_pool", &body).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {envelope}");
        assert_eq!(envelope["errors"][0]["field"], field, "{envelope}");
    }
    let body = json!({"filesystem_id": fs_id, "name": "fast", "ost_ids": [ost(0), ost(1)]});
    let (status, envelope) = env.post("/api/ost_pool?dry_run=true", &body).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(
        envelope["response"]["jobs"][0]["description"],
        "Create OST pool fs1.fast"
    );
    assert_eq!(
        pools(&env).await?,
        Vec::<Value>::new(),
        "a refusal or dry run stored a pool"
    );
    assert_eq!(pool_list(&env, mds, "fs1").await?, "Pools from fs1:\n");

    // Created with two OSTs.
    let (status, envelope) = env.post("/api/ost_pool", &body).await?;
    let pool_id = envelope["response"]["pool"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    done(&env, status, envelope).await?;
    assert_eq!(pool_list(&env, mds, "fs1").await?, "Pools from fs1:\nfs1.fast\n");
    assert_eq!(
        pool_list(&env, mds, "fs1.fast").await?,
        "Pool: fs1.fast\nfs1-OST0000_UUID\nfs1-OST0001_UUID\n"
    );
    let (status, envelope) = env.post("/api/ost_pool", &body).await?;
    assert_eq!(status, StatusCode::CONFLICT, "a duplicate name: {envelope}");
    let listed = pools(&env).await?;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let names: Vec<&str> = listed[0]["osts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(names, ["fs1-OST0000", "fs1-OST0001"]);
    assert_eq!(listed[0]["state"], "available");

    // Its space: the sum of its OSTs' latest samples.
    let summed = wait_for(Duration::from_secs(60), "the pool's space", || async {
        let (_, envelope) = env.get(&format!("/api/ost_pool/{pool_id}")).await?;
        let pool = envelope["response"].clone();
        let each: Vec<f64> = pool["osts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["bytes_total"].as_f64())
            .collect();
        Ok((each.len() == 2).then_some((pool["bytes_total"].as_f64(), each.iter().sum::<f64>())))
    })
    .await?;
    assert_eq!(summed.0, Some(summed.1));
    assert!(summed.1 > 0.0);

    // OST0000 out, OST0002 in.
    let (status, envelope) = env
        .patch(
            &format!("/api/ost_pool/{pool_id}"),
            &json!({"ost_ids": [ost(1), ost(2)]}),
        )
        .await?;
    done(&env, status, envelope).await?;
    assert_eq!(
        pool_list(&env, mds, "fs1.fast").await?,
        "Pool: fs1.fast\nfs1-OST0001_UUID\nfs1-OST0002_UUID\n"
    );
    let (status, envelope) = env
        .patch(&format!("/api/ost_pool/{pool_id}"), &json!({"ost_ids": [foreign]}))
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "ost_ids[0]", "{envelope}");
    let (_, envelope) = env.get(&format!("/api/ost_pool/{pool_id}")).await?;
    let names: Vec<&str> = envelope["response"]["osts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["fs1-OST0001", "fs1-OST0002"],
        "a refused change changed the pool"
    );
    // The same members again: nothing to do, no command.
    let (status, envelope) = env
        .patch(
            &format!("/api/ost_pool/{pool_id}"),
            &json!({"ost_ids": [ost(2), ost(1)]}),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["command"], Value::Null, "{envelope}");
    assert_eq!(envelope["response"]["jobs"], json!([]), "{envelope}");

    // Destroyed: its OSTs removed first.
    let (status, envelope) = env
        .call(
            reqwest::Method::DELETE,
            &format!("/api/ost_pool/{pool_id}"),
            Some(&env.token),
            None,
        )
        .await?;
    done(&env, status, envelope).await?;
    assert_eq!(pool_list(&env, mds, "fs1").await?, "Pools from fs1:\n");
    assert_eq!(pools(&env).await?, Vec::<Value>::new());
    let (_, envelope) = env.get(&format!("/api/ost_pool/{pool_id}")).await?;
    assert_eq!(envelope["response"]["state"], "removed");

    cli_round_trip(&env, mds).await?;
    env.stop().await
}

async fn cli_round_trip(env: &TestEnv, mds: &lustre_sim::HostEndpoint) -> anyhow::Result<()> {
    let dir = env
        .settings
        .ssh_key_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let config = dir.join("chroma-cli.json");
    let login = ["login", "--username", "admin", "--password-stdin"];
    let (code, _, err) = run_chroma(env, &config, &login, &format!("{ADMIN_PASSWORD}\n")).await?;
    anyhow::ensure!(code == 0, "login: {err}");
    let ok = |args: &'static [&'static str]| {
        let config = config.clone();
        async move {
            let (code, out, err) = run_chroma(env, &config, args, "").await?;
            anyhow::ensure!(code == 0, "chroma {}: {code}\n{out}\n{err}", args.join(" "));
            anyhow::Ok(out)
        }
    };
    let created = ok(&["pool", "create", "fs1", "slow", "--ost", "OST0003"]).await?;
    assert!(created.contains("Pool fs1.slow created."), "{created}");
    ok(&["pool", "add", "fs1.slow", "fs1-OST0000"]).await?;
    ok(&["pool", "remove", "fs1.slow", "OST0003"]).await?;
    assert_eq!(
        pool_list(env, mds, "fs1.slow").await?,
        "Pool: fs1.slow\nfs1-OST0000_UUID\n"
    );
    let table = ok(&["pool", "list", "--filesystem", "fs1"]).await?;
    assert!(
        table.contains("fs1.slow") && table.contains("fs1-OST0000") && !table.contains("fs1-OST0003"),
        "{table}"
    );
    let (code, _, err) = run_chroma(env, &config, &["pool", "create", "fs1", "bad.name"], "").await?;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("name"), "{err}");
    let destroyed = ok(&["pool", "destroy", "fs1.slow"]).await?;
    assert!(destroyed.contains("Pool fs1.slow destroyed."), "{destroyed}");
    assert_eq!(pool_list(env, mds, "fs1").await?, "Pools from fs1:\n");
    let listed: Value = serde_json::from_str(&ok(&["pool", "list", "--json"]).await?)?;
    assert_eq!(listed["objects"], json!([]), "{listed}");
    Ok(())
}

/// The names of a pool's OSTs as the API shows them.
async fn pool_osts(env: &TestEnv, pool_id: &str) -> anyhow::Result<Vec<String>> {
    let (_, envelope) = env.get(&format!("/api/ost_pool/{pool_id}")).await?;
    Ok(envelope["response"]["osts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str().map(str::to_owned))
        .collect())
}

/// An OST in two pools whose server is dead is removed: the dry run shows
/// it taken out of each pool (`lctl pool_remove`), warns of the pool left
/// empty and of the server that does not answer, and the removal succeeds
/// with the MGS's pools no longer naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ost_in_pools_on_a_dead_server_is_removed_from_them() -> anyhow::Result<()> {
    let mut env = TestEnv::start("pools_removal").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let names = ["mds1", "oss1", "oss2"];
    let (cluster, state) = env.simulated_cluster_without_pacemaker(&names, &names).await?;
    let mds = &cluster.hosts[0];
    let hosts = env.add_hosts(&cluster).await?;
    let request = volumes_request(&env, &hosts, "fs1").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    done(&env, status, envelope.clone()).await?;
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, fs) = env.get(&format!("/api/filesystem/{fs_id}")).await?;
    let fs = fs["response"].clone();
    let ost = |i: u32| target_id(&fs, &format!("fs1-OST{i:04x}"));
    // OST0001's primary server is oss2 (its failover oss1).
    let mut pool_ids = Vec::new();
    for (name, osts) in [("fast", vec![ost(0), ost(1)]), ("solo", vec![ost(1)])] {
        let body = json!({"filesystem_id": fs_id, "name": name, "ost_ids": osts});
        let (status, envelope) = env.post("/api/ost_pool", &body).await?;
        pool_ids.push(
            envelope["response"]["pool"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        done(&env, status, envelope).await?;
    }

    // A pool made by hand on the MGS with other OSTs is not taken over.
    for argv in [
        ["lctl", "pool_new", "fs1.manual"].as_slice(),
        &["lctl", "pool_add", "fs1.manual", "OST0002"],
    ] {
        assert_eq!(on_host(&env, mds, argv).await?.0, 0, "{argv:?}");
    }
    let body = json!({"filesystem_id": fs_id, "name": "manual", "ost_ids": [ost(3)]});
    let (status, envelope) = env.post("/api/ost_pool", &body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    assert_eq!(finished["state"], "failed", "{finished}");
    assert!(
        finished
            .to_string()
            .contains("Chroma does not take over a pool made by hand"),
        "{finished}"
    );
    assert_eq!(
        pool_list(&env, mds, "fs1.manual").await?,
        "Pool: fs1.manual\nfs1-OST0002_UUID\n",
        "the hand-made pool was changed"
    );

    lustre_sim::inject_fault(&state, "oss2", lustre_sim::FaultCommand::Down)?;
    alert_raised(&env, "host_unreachable", &format!("host/{}", hosts[2])).await?;

    let removal = format!("/api/target/{}", ost(1));
    let (status, dry) = env
        .patch(&format!("{removal}?dry_run=true"), &json!({"state": "removed"}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{dry}");
    let jobs = dry["response"]["jobs"].as_array().cloned().unwrap_or_default();
    let descriptions: Vec<&str> = jobs.iter().filter_map(|j| j["description"].as_str()).collect();
    for pool in ["fast", "solo"] {
        let command = format!("lctl pool_remove fs1.{pool} fs1-OST0001");
        assert!(
            descriptions.iter().any(|d| d.contains(&command)),
            "no {command}: {descriptions:?}"
        );
    }
    let warning = jobs[0]["confirmation"].as_str().unwrap_or_default();
    assert!(warning.contains("pool fs1.solo with no OST"), "{warning}");
    assert!(
        warning.contains("oss2 unreachable: if it returns with fs1-OST0001 mounted, unmount it by hand"),
        "{warning}"
    );

    let (status, envelope) = env
        .patch(&removal, &json!({"state": "removed", "confirm": true}))
        .await?;
    done(&env, status, envelope).await?;
    let (_, target) = env.get(&removal).await?;
    assert_eq!(target["response"]["state"], "removed", "{target}");
    assert_eq!(
        pool_list(&env, mds, "fs1.fast").await?,
        "Pool: fs1.fast\nfs1-OST0000_UUID\n"
    );
    assert_eq!(pool_list(&env, mds, "fs1.solo").await?, "Pool: fs1.solo\n");
    assert_eq!(pool_osts(&env, &pool_ids[0]).await?, ["fs1-OST0000"]);
    assert_eq!(pool_osts(&env, &pool_ids[1]).await?, Vec::<String>::new());
    let active = on_host(&env, mds, &["lctl", "get_param", "-n", "osp.fs1-OST0001-osc-*.active"]).await?;
    assert_eq!(active, (0, "0\n".to_owned()));
    env.stop().await
}
