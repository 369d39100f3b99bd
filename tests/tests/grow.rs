//! Growing and shrinking a live file system end to end over real SSH to
//! lustre-sim, with the monitor polling: an OST and a second MDT (DNE) are
//! added while the file system stays available (formatted, registered at
//! the MGS, mounted; its total space grows), an OST is drained, undrained
//! and drained again (`osp.*.max_create_count` on the MDS), then removed
//! (deactivated for good: `osp.*.active=0` on every MDT, kept across an MDT
//! restart), after a dry run that warns about the files that lose objects
//! and a refusal without `confirm`. Bad requests are refused naming the
//! field, with nothing stored. Last, the same through the `chroma` CLI,
//! which also adds an OST with a failover host on a removed OST's volume.

use integration_tests::lustre::{mounted_on, simulator, volumes_request, LONG};
use integration_tests::{wait_for, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// How long the monitor may take to see a change.
const SOON: Duration = Duration::from_secs(60);

async fn get(env: &TestEnv, path: &str) -> anyhow::Result<Value> {
    let (status, envelope) = env.get(path).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET {path}: {status} {envelope}");
    Ok(envelope["response"].clone())
}

async fn target_count(env: &TestEnv) -> anyhow::Result<usize> {
    Ok(get(env, "/api/target?limit=1000").await?["objects"]
        .as_array()
        .map_or(0, Vec::len))
}

async fn target_named(env: &TestEnv, name: &str) -> anyhow::Result<Value> {
    let all = get(env, "/api/target?limit=1000").await?;
    all["objects"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name).cloned())
        .ok_or_else(|| anyhow::anyhow!("no target {name}: {all}"))
}

/// The target list's default order is paged by the database: pages of two
/// put together are the whole list, in its order, each with the whole
/// count; a page past the end is empty and still counts them; a filter
/// counts only what it selects.
async fn pages_in_order(env: &TestEnv, count: usize) -> anyhow::Result<()> {
    let names = |page: &Value| -> Vec<String> {
        page["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect()
    };
    let whole = get(env, "/api/target?limit=1000").await?;
    anyhow::ensure!(count >= 3 && whole["meta"]["total_count"] == count, "{whole}");
    let mut paged = Vec::new();
    for offset in (0..count).step_by(2) {
        let page = get(env, &format!("/api/target?limit=2&offset={offset}")).await?;
        anyhow::ensure!(page["meta"]["total_count"] == count, "offset {offset}: {page}");
        paged.extend(names(&page));
    }
    anyhow::ensure!(paged == names(&whole), "pages {paged:?}, whole {:?}", names(&whole));
    let past = get(env, &format!("/api/target?limit=2&offset={}", count + 5)).await?;
    anyhow::ensure!(
        names(&past).is_empty() && past["meta"]["total_count"] == count,
        "past the end: {past}"
    );
    let osts = get(env, "/api/target?kind=ost&limit=1").await?;
    let ost_count = whole["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["kind"] == "ost")
        .count();
    anyhow::ensure!(
        osts["meta"]["total_count"] == ost_count && names(&osts).len() == 1,
        "{osts}"
    );
    Ok(())
}

/// Volume ids seen only by `host`, by serial.
async fn own_volumes(env: &TestEnv, host: &str) -> anyhow::Result<Vec<(String, String)>> {
    let volumes = get(env, "/api/volume?limit=1000").await?;
    let mut own: Vec<(String, String)> = volumes["objects"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|v| {
            let nodes = v["nodes"].as_array().cloned().unwrap_or_default();
            nodes.len() == 1 && nodes[0]["host_id"] == host
        })
        .filter_map(|v| Some((v["serial"].as_str()?.to_owned(), v["id"].as_str()?.to_owned())))
        .collect();
    own.sort();
    Ok(own)
}

/// The file system's latest total space, once the monitor has one.
async fn space_total(env: &TestEnv, fs: &str) -> anyhow::Result<Option<f64>> {
    let answer = get(
        env,
        &format!("/api/filesystem/{fs}/metric?metrics=space_total&max_points=600"),
    )
    .await?;
    Ok(answer["series"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "space_total"))
        .and_then(|s| s["points"].as_array())
        .and_then(|points| points.last())
        .and_then(|p| p[1].as_f64()))
}

/// Posts `body`, expects `status`, and returns the envelope.
async fn post(env: &TestEnv, path: &str, body: &Value, status: StatusCode) -> anyhow::Result<Value> {
    let (got, envelope) = env.post(path, body).await?;
    anyhow::ensure!(got == status, "POST {path} {body}: {got}, not {status}: {envelope}");
    Ok(envelope)
}

/// Submits and waits for a change; returns the target view answered.
async fn added(env: &TestEnv, body: &Value) -> anyhow::Result<Value> {
    let envelope = post(env, "/api/target", body, StatusCode::ACCEPTED).await?;
    let command = envelope["response"]["command"].as_str().unwrap_or_default();
    let done = env.finished(command, LONG).await?;
    anyhow::ensure!(done["state"] == "succeeded", "adding failed: {done}");
    Ok(envelope["response"]["target"].clone())
}

async fn finished(env: &TestEnv, envelope: &Value) -> anyhow::Result<()> {
    let command = envelope["response"]["command"].as_str().unwrap_or_default();
    let done = env.finished(command, LONG).await?;
    anyhow::ensure!(done["state"] == "succeeded", "{done}");
    Ok(())
}

/// Runs `argv` on simulated host `name` over SSH; its standard output.
async fn on_host(
    env: &TestEnv,
    cluster: &lustre_sim::ClusterHandle,
    name: &str,
    argv: &[&str],
) -> anyhow::Result<String> {
    let host = cluster
        .hosts
        .iter()
        .find(|h| h.name == name)
        .ok_or_else(|| anyhow::anyhow!("no host {name}"))?;
    let key = chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let target = chroma_ssh::Target::new("127.0.0.1", host.addr.port(), "root");
    let policy = chroma_ssh::HostKeyPolicy::Pinned(chroma_ssh::Fingerprint::parse(&host.fingerprint)?);
    let (session, _) = chroma_ssh::Session::connect(&target, &key, policy, &Default::default()).await?;
    let argv: Vec<String> = argv.iter().map(|a| (*a).to_owned()).collect();
    let out = session.exec(&argv, Duration::from_secs(30)).await?;
    let _ = session.close().await;
    anyhow::ensure!(out.success(), "{argv:?} failed on {name}: {}", out.stderr);
    Ok(out.stdout)
}

/// The MGS's configuration logs, as `lustre-sim show` keeps them.
fn mgs_llogs(state: &Path) -> anyhow::Result<Value> {
    let shown = simulator(state)?;
    let devices = shown["devices"].as_array().cloned().unwrap_or_default();
    let serial = devices
        .iter()
        .find(|d| d["label"] == "MGS")
        .and_then(|d| d["serial"].as_str())
        .unwrap_or_default()
        .to_owned();
    Ok(shown["llogs"][serial].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_file_system_grows_and_loses_a_drained_ost() -> anyhow::Result<()> {
    let mut env = TestEnv::start("grow").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let names = ["mds1", "oss1", "oss2", "oss3"];
    let (cluster, state) = env.simulated_cluster_without_pacemaker(&names, &names).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = volumes_request(&env, &hosts, "grow").await?;
    let envelope = post(&env, "/api/filesystem", &request, StatusCode::ACCEPTED).await?;
    let fs = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    finished(&env, &envelope).await?;
    let before = wait_for(SOON, "the file system's total space", || async {
        space_total(&env, &fs).await
    })
    .await?;
    let mds_free = own_volumes(&env, &hosts[0]).await?;
    let spare = mds_free
        .iter()
        .map(|(_, id)| id.clone())
        .filter(|id| request["mgt"]["volume_id"] != id.as_str() && request["mdts"][0]["volume_id"] != id.as_str())
        .collect::<Vec<_>>();
    anyhow::ensure!(spare.len() == 2, "mds1's free volumes: {mds_free:?}");
    let oss3_volumes = own_volumes(&env, &hosts[3]).await?;
    let count = target_count(&env).await?;
    pages_in_order(&env, count).await?;

    // Refusals: each names its field, and nothing is stored.
    let ost = |volume: &str| json!({"filesystem_id": fs, "kind": "ost", "volume_id": volume});
    let mut mgt = ost(&spare[0]);
    mgt["kind"] = json!("mgt");
    let mut unknown_fs = ost(&spare[0]);
    unknown_fs["filesystem_id"] = json!(uuid::Uuid::nil());
    let mut too_high = ost(&spare[0]);
    too_high["index"] = json!(65535);
    let mut other_host = ost(&spare[0]);
    other_host["primary_host_id"] = json!(hosts[1]);
    for (body, field) in [
        (mgt, "kind"),
        (unknown_fs, "filesystem_id"),
        (too_high, "index"),
        (ost(&uuid::Uuid::nil().to_string()), "volume_id"),
        (other_host, "primary_host_id"),
    ] {
        let envelope = post(&env, "/api/target", &body, StatusCode::BAD_REQUEST).await?;
        assert_eq!(envelope["errors"][0]["field"], field, "{body}: {envelope}");
    }
    let mut index_used = ost(&spare[0]);
    index_used["index"] = json!(2);
    let in_use = ost(request["mgt"]["volume_id"].as_str().unwrap_or_default());
    for (body, field) in [(index_used, "index"), (in_use, "volume_id")] {
        let envelope = post(&env, "/api/target", &body, StatusCode::CONFLICT).await?;
        let message = envelope["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.starts_with(&format!("{field}: ")), "{body}: {envelope}");
    }
    // A dry run answers the jobs and stores nothing.
    let dry = post(&env, "/api/target?dry_run=true", &ost(&spare[0]), StatusCode::OK).await?;
    let to: Vec<Value> = dry["response"]["jobs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|j| j["to"].clone())
        .collect();
    assert_eq!(
        to,
        [
            json!("formatted"),
            json!("registered"),
            json!("unmounted"),
            json!("mounted")
        ],
        "{dry}"
    );
    assert_eq!(dry["response"]["target"], Value::Null);
    assert_eq!(
        target_count(&env).await?,
        count,
        "a refused request or a dry run stored a target"
    );

    // An OST joins the running file system: the next index, on mds1.
    let envelope = post(&env, "/api/target", &ost(&spare[0]), StatusCode::ACCEPTED).await?;
    // A target not registered yet is no part of the file system: it stays
    // available while the OST is formatted.
    let during = get(&env, &format!("/api/filesystem/{fs}")).await?;
    assert_eq!(during["state"], "available", "{during}");
    finished(&env, &envelope).await?;
    let new = envelope["response"]["target"].clone();
    assert_eq!(new["name"], "grow-OST0004", "{new}");
    let fs_view = get(&env, &format!("/api/filesystem/{fs}")).await?;
    assert_eq!(fs_view["state"], "available", "{fs_view}");
    assert_eq!(target_named(&env, "grow-OST0004").await?["state"], "mounted");
    assert_eq!(mounted_on(&state, "grow-OST0004")?.as_deref(), Some("mds1"));
    let client_log = mgs_llogs(&state)?["grow-client"].to_string();
    assert!(
        client_log.contains("ost: grow-OST0004_UUID, index: 4"),
        "not registered: {client_log}"
    );
    let dl = on_host(&env, &cluster, "mds1", &["lctl", "dl"]).await?;
    assert!(dl.contains("obdfilter grow-OST0004"), "{dl}");
    wait_for(SOON, "the total space to grow", || async {
        Ok(space_total(&env, &fs).await?.filter(|now| *now > before))
    })
    .await?;

    // A second MDT (DNE), index 1, on a live file system.
    let mut mdt = ost(&spare[1]);
    mdt["kind"] = json!("mdt");
    let mdt1 = added(&env, &mdt).await?;
    assert_eq!(mdt1["name"], "grow-MDT0001", "{mdt1}");
    assert_eq!(mounted_on(&state, "grow-MDT0001")?.as_deref(), Some("mds1"));
    let osps = on_host(
        &env,
        &cluster,
        "mds1",
        &["lctl", "get_param", "-N", "osp.grow-OST0003-osc-*.active"],
    )
    .await?;
    assert_eq!(
        osps,
        "osp.grow-OST0003-osc-MDT0000.active\nosp.grow-OST0003-osc-MDT0001.active\n"
    );

    // Drain, undrain, drain: max_create_count on every MDT, shown on the target.
    let ost3 = target_named(&env, "grow-OST0003").await?;
    let ost3_id = ost3["id"].as_str().unwrap_or_default().to_owned();
    let counts = ["lctl", "get_param", "-n", "osp.grow-OST0003-osc-*.max_create_count"];
    for (verb, drained, value) in [("drain", true, "0"), ("undrain", false, "20000"), ("drain", true, "0")] {
        let envelope = post(
            &env,
            &format!("/api/target/{ost3_id}/{verb}"),
            &json!({}),
            StatusCode::ACCEPTED,
        )
        .await?;
        finished(&env, &envelope).await?;
        assert_eq!(target_named(&env, "grow-OST0003").await?["drained"], drained);
        let seen = on_host(&env, &cluster, "mds1", &counts).await?;
        assert_eq!(seen, format!("{value}\n{value}\n"), "after {verb}");
    }
    let params_log = mgs_llogs(&state)?["params"].to_string();
    assert!(
        params_log.contains("osp.grow-OST0003-osc-MDT*.max_create_count"),
        "{params_log}"
    );
    // Draining a drained OST changes nothing: no command.
    let again = post(
        &env,
        &format!("/api/target/{ost3_id}/drain"),
        &json!({}),
        StatusCode::OK,
    )
    .await?;
    assert_eq!(again["response"]["command"], Value::Null, "{again}");
    assert_eq!(again["response"]["jobs"], json!([]), "{again}");

    // Removal: the dry run warns, no confirm is refused, confirm removes it.
    let removal = format!("/api/target/{ost3_id}");
    let (status, dry) = env
        .patch(&format!("{removal}?dry_run=true"), &json!({"state": "removed"}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["response"]["requires_confirmation"], true, "{dry}");
    let warning = dry["response"]["jobs"][0]["confirmation"].as_str().unwrap_or_default();
    assert!(
        warning.contains("lose those objects") && warning.contains("lfs migrate"),
        "{warning}"
    );
    assert!(!warning.contains("drain it first"), "it is drained: {warning}");
    let (status, refused) = env.patch(&removal, &json!({"state": "removed"})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(target_named(&env, "grow-OST0003").await?["state"], "mounted");
    let (status, envelope) = env
        .patch(&removal, &json!({"state": "removed", "confirm": true}))
        .await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    finished(&env, &envelope).await?;
    assert_eq!(target_named(&env, "grow-OST0003").await?["state"], "removed");
    assert_eq!(mounted_on(&state, "grow-OST0003")?, None);
    let active = ["lctl", "get_param", "-n", "osp.grow-OST0003-osc-*.active"];
    assert_eq!(on_host(&env, &cluster, "mds1", &active).await?, "0\n0\n");
    // Set with -P too, so that an MDT added later has it inactive as well.
    let params_log = mgs_llogs(&state)?["params"].to_string();
    assert!(params_log.contains("osp.grow-OST0003-osc-MDT*.active"), "{params_log}");
    // The deactivation lives in the MDT's configuration log: a restart keeps it.
    let mdt0 = target_named(&env, "grow-MDT0000").await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for state in ["unmounted", "mounted"] {
        let (status, envelope) = env
            .patch(&format!("/api/target/{mdt0}"), &json!({"state": state}))
            .await?;
        assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
        finished(&env, &envelope).await?;
    }
    assert_eq!(on_host(&env, &cluster, "mds1", &active).await?, "0\n0\n");
    let fs_view = get(&env, &format!("/api/filesystem/{fs}")).await?;
    assert_eq!(fs_view["state"], "available", "{fs_view}");
    // The MGS keeps the removed OST's index.
    let mut reuse = ost(&oss3_volumes[0].1);
    reuse["index"] = json!(3);
    let envelope = post(&env, "/api/target", &reuse, StatusCode::CONFLICT).await?;
    assert!(
        envelope["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("index: "),
        "{envelope}"
    );

    cli(&env, &state, &oss3_volumes[0].0).await?;
    // The deactivation is Chroma's own setting, not drift, once the monitor
    // has read it from the MGS log.
    let param = wait_for(LONG, "grow-OST0003.osc.active observed", || async {
        let params = get(&env, &format!("/api/filesystem/{fs}/params")).await?;
        Ok(params
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["key"] == "grow-OST0003.osc.active"))
            .filter(|p| p["llog"] == "0")
            .cloned())
    })
    .await;
    let params = get(&env, &format!("/api/filesystem/{fs}/params")).await?;
    let param = param.map_err(|e| anyhow::anyhow!("{e}: {params}"))?;
    assert_eq!(param["stored"], "0", "{param}");
    let drifting: Vec<&Value> = params
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["drift"] != json!([]))
        .collect();
    assert!(drifting.is_empty(), "{drifting:?}");
    Ok(())
}

/// Runs `chroma args` with the superuser's token; (exit code, stdout, stderr).
async fn chroma(env: &TestEnv, args: &[&str]) -> anyhow::Result<(Option<i32>, String, String)> {
    let output = tokio::process::Command::new(integration_tests::cli::chroma_binary()?)
        .args(args)
        .env("CHROMA_URL", &env.base)
        .env("CHROMA_TOKEN", &env.token)
        .env(
            "CHROMA_CONFIG",
            std::env::temp_dir().join(format!("chroma-grow-{}.json", env.name)),
        )
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), output).await??;
    Ok((
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// `chroma target add|drain|remove` on the same file system.
async fn cli(env: &TestEnv, state: &Path, serial: &str) -> anyhow::Result<()> {
    let add = [
        "target",
        "add",
        "--filesystem",
        "grow",
        "--kind",
        "ost",
        "--volume",
        serial,
        "--primary",
        "oss3",
    ];
    let (code, stdout, stderr) = chroma(env, &add).await?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("grow-OST0005 is added to grow"), "{stdout}");
    assert_eq!(mounted_on(state, "grow-OST0005")?.as_deref(), Some("oss3"));
    let (code, stdout, stderr) = chroma(env, &["target", "drain", "grow-OST0005"]).await?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let (code, stdout, _) = chroma(env, &["target", "show", "grow-OST0005"]).await?;
    assert_eq!(code, Some(0));
    assert!(stdout.contains("yes (no new objects)"), "{stdout}");
    let (code, stdout, stderr) = chroma(env, &["target", "remove", "grow-OST0005", "--dry-run"]).await?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("lfs migrate"), "the dry run does not warn: {stdout}");
    let (code, _, stderr) = chroma(env, &["target", "remove", "grow-OST0005"]).await?;
    assert_eq!(code, Some(1), "removed without --yes: {stderr}");
    let (code, stdout, stderr) = chroma(env, &["target", "remove", "grow-OST0005", "--yes"]).await?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(mounted_on(state, "grow-OST0005")?, None);
    let (code, _, stderr) = chroma(
        env,
        &[
            "target",
            "add",
            "--filesystem",
            "grow",
            "--kind",
            "mgt",
            "--volume",
            serial,
        ],
    )
    .await?;
    assert_eq!(code, Some(2), "clap refuses kind mgt: {stderr}");
    cli_failover(env, state).await
}

/// `chroma target add` with every option: OST0003's old volume (shared by
/// oss1 and oss2, still holding OST0003's data, hence `--reformat`) comes
/// back as a new OST with a failover host; bad values are refused first,
/// creating nothing.
async fn cli_failover(env: &TestEnv, state: &Path) -> anyhow::Result<()> {
    let old = target_named(env, "grow-OST0003").await?;
    let serial = old["volume_serial"].as_str().unwrap_or_default().to_owned();
    let add = |extra: &[&str]| -> Vec<String> {
        [
            "target",
            "add",
            "--filesystem",
            "grow",
            "--kind",
            "ost",
            "--volume",
            &serial,
        ]
        .iter()
        .chain(extra)
        .map(|s| (*s).to_owned())
        .collect()
    };
    let count = target_count(env).await?;
    for (extra, code, says) in [
        (
            &["--backfstype", "btrfs"][..],
            2,
            "invalid value 'btrfs' for '--backfstype <FSTYPE>'",
        ),
        (&["--index", "65535"][..], 2, "65535 is not in 0..=65534"),
        (&["--failover", "oss2", "--no-failover"][..], 2, "cannot be used with"),
        (&["--failover", "nosuchhost"][..], 1, "nosuchhost"),
        (
            &["--primary", "oss1", "--failover", "oss3"][..],
            1,
            "is not another host that sees volume",
        ),
    ] {
        let args = add(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (got, stdout, stderr) = chroma(env, &args).await?;
        assert_eq!(got, Some(code), "{args:?}: {stdout}\n{stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(target_count(env).await?, count, "{args:?} stored a target");
    }
    let args = add(&[
        "--primary",
        "oss1",
        "--failover",
        "oss2",
        "--index",
        "7",
        "--reformat",
        "--backfstype",
        "ldiskfs",
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = chroma(env, &args).await?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("grow-OST0007 is added to grow"), "{stdout}");
    assert_eq!(mounted_on(state, "grow-OST0007")?.as_deref(), Some("oss1"));
    let new = target_named(env, "grow-OST0007").await?;
    assert_eq!(new["volume_serial"], serial.as_str(), "{new}");
    assert_eq!(new["backfstype"], "ldiskfs", "{new}");
    assert_eq!(new["primary_host"], "oss1", "{new}");
    assert_eq!(new["failover_host_ids"].as_array().map(Vec::len), Some(1), "{new}");
    let (code, stdout, _) = chroma(env, &["target", "show", "grow-OST0007"]).await?;
    assert_eq!(code, Some(0));
    let failover_line = stdout
        .lines()
        .find(|l| l.contains("Failover hosts"))
        .unwrap_or_default();
    assert!(failover_line.contains("oss2"), "{stdout}");
    Ok(())
}
