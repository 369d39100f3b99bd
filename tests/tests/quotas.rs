//! Quotas end to end over real SSH to lustre-sim: on a running file
//! system with a client mount, quota enforcement is set on the MGS, a
//! user's limits are set from the client (`lfs setquota`, read back with
//! `lfs quota`), the user's files pass the soft limit and the monitor
//! raises `quota_soft_limit_exceeded` (cleared once back under), a write
//! past the hard limit is refused by the file system with EDQUOT, and
//! clearing the quota clears its alert. A quota on a file system without
//! enforcement or without a mounted client, a bad kind, id or limits are
//! refused with nothing stored or run.

use integration_tests::cli::run_chroma;
use integration_tests::lustre::{volumes_request, LONG};
use integration_tests::{wait_for, TestEnv, ADMIN_PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// Runs `argv` on a simulated host over SSH as an operator would; returns
/// its exit status, stdout and stderr.
async fn on_host(
    env: &TestEnv,
    host: &lustre_sim::HostEndpoint,
    argv: &[&str],
) -> anyhow::Result<(u32, String, String)> {
    let key = chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let target = chroma_ssh::Target::new("127.0.0.1", host.addr.port(), "root");
    let policy = chroma_ssh::HostKeyPolicy::Pinned(chroma_ssh::Fingerprint::parse(&host.fingerprint)?);
    let (session, _) = chroma_ssh::Session::connect(&target, &key, policy, &Default::default()).await?;
    let out = session.exec(argv, Duration::from_secs(30)).await?;
    let _ = session.close().await;
    Ok((out.exit_status.unwrap_or(255), out.stdout, out.stderr))
}

/// Runs `argv` on the host; it must succeed.
async fn ok_on(env: &TestEnv, host: &lustre_sim::HostEndpoint, argv: &[&str]) -> anyhow::Result<String> {
    let (code, stdout, stderr) = on_host(env, host, argv).await?;
    anyhow::ensure!(code == 0, "{argv:?}: {code} {stderr}");
    Ok(stdout)
}

/// Waits for a 202's command; it must succeed.
async fn done(env: &TestEnv, status: StatusCode, envelope: &Value) -> anyhow::Result<()> {
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{status}: {envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    anyhow::ensure!(finished["state"] == "succeeded", "{finished}");
    Ok(())
}

async fn quotas(env: &TestEnv, query: &str) -> anyhow::Result<Vec<Value>> {
    let (status, envelope) = env.get(&format!("/api/quota{query}")).await?;
    anyhow::ensure!(status == StatusCode::OK, "{envelope}");
    Ok(envelope["response"].as_array().cloned().unwrap_or_default())
}

/// The active `quota_soft_limit_exceeded` alerts on `item`.
async fn soft_alerts(env: &TestEnv, item: &str) -> anyhow::Result<Vec<Value>> {
    let (status, alerts) = env
        .get(&format!(
            "/api/alert?active=true&kind=quota_soft_limit_exceeded&item={item}"
        ))
        .await?;
    anyhow::ensure!(status == StatusCode::OK, "{alerts}");
    Ok(alerts["response"]["objects"].as_array().cloned().unwrap_or_default())
}

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_quota_is_enforced_and_its_soft_limit_alerts() -> anyhow::Result<()> {
    let mut env = TestEnv::start("quotas").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let names = ["mds1", "oss1", "oss2", "cli1"];
    let (cluster, _state) = env.simulated_cluster_without_pacemaker(&names, &names).await?;
    let (mds, client) = (&cluster.hosts[0], &cluster.hosts[3]);
    let hosts = env.add_hosts(&cluster).await?;
    let request = volumes_request(&env, &hosts, "fs1").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    done(&env, status, &envelope).await?;
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let limits = json!({"filesystem_id": fs_id, "kind": "user", "id": 1000,
        "block_soft": 10240, "block_hard": 20480});

    // Refusals: the field named, nothing stored.
    for (body, code, field) in [
        (
            json!({"filesystem_id": fs_id, "kind": "owner", "id": 1000, "block_hard": 1}),
            400,
            "kind",
        ),
        (
            json!({"filesystem_id": fs_id, "kind": "user", "id": 0, "block_hard": 1}),
            400,
            "id",
        ),
        (
            json!({"filesystem_id": fs_id, "kind": "user", "id": 1000, "block_soft": 30, "block_hard": 20}),
            400,
            "block_soft",
        ),
        (
            json!({"filesystem_id": fs_id, "kind": "user", "id": 1000}),
            400,
            "block_hard",
        ),
    ] {
        let (status, envelope) = env.post("/api/quota", &body).await?;
        assert_eq!(status.as_u16(), code, "{body}: {envelope}");
        assert_eq!(envelope["errors"][0]["field"], field, "{envelope}");
    }
    // No enforcement: refused, naming the file system.
    let (status, envelope) = env.post("/api/quota", &limits).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(
        envelope["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not enforce user quotas"),
        "{envelope}"
    );
    let (status, envelope) = env
        .call(
            reqwest::Method::PUT,
            &format!("/api/filesystem/{fs_id}/quota"),
            Some(&env.token),
            Some(&json!({"ost": "ux", "mdt": "ug"})),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "ost", "{envelope}");

    // Enforcement on the MGS: the MDT's configuration log holds it.
    let (status, envelope) = env
        .call(
            reqwest::Method::PUT,
            &format!("/api/filesystem/{fs_id}/quota"),
            Some(&env.token),
            Some(&json!({"ost": "ug", "mdt": "ug"})),
        )
        .await?;
    done(&env, status, &envelope).await?;
    let llog = ok_on(&env, mds, &["lctl", "llog_print", "fs1-MDT0000"]).await?;
    assert!(llog.contains("quota.ost=ug") && llog.contains("quota.mdt=ug"), "{llog}");

    // Without a mounted client mount: refused.
    let (status, envelope) = env.post("/api/quota", &limits).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(
        envelope["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no mounted client mount"),
        "{envelope}"
    );
    assert!(quotas(&env, "").await?.is_empty(), "a refusal stored a quota");

    let mount = json!({"host_id": hosts[3], "filesystem_id": fs_id, "mountpoint": "/mnt/fs1"});
    let (status, envelope) = env.post("/api/client_mount", &mount).await?;
    done(&env, status, &envelope).await?;

    // A dry run stores nothing; then the limits are set from the client.
    let (status, envelope) = env.post("/api/quota?dry_run=true", &limits).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(
        envelope["response"]["jobs"][0]["description"],
        "Set the quota of user 1000 on fs1"
    );
    assert!(quotas(&env, "").await?.is_empty(), "a dry run stored a quota");
    let (status, envelope) = env.post("/api/quota", &limits).await?;
    done(&env, status, &envelope).await?;
    let quota_id = envelope["response"]["quota"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let item = format!("quota/{quota_id}");
    let listed = quotas(&env, "").await?;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (&listed[0]["state"], &listed[0]["block_used"], &listed[0]["over_soft"]),
        (&json!("set"), &json!(0), &json!(false)),
        "{listed:?}"
    );
    let shown = ok_on(&env, client, &["lfs", "quota", "-u", "1000", "/mnt/fs1"]).await?;
    assert_eq!(
        shown,
        "Disk quotas for usr 1000 (uid 1000):\n     \
         Filesystem  kbytes   quota   limit   grace   files   quota   limit   grace\n       \
         /mnt/fs1       0   10240   20480       -       0       0       0       -\n"
    );

    // The user's files pass the soft limit: alerted.
    ok_on(&env, client, &["mkdir", "/mnt/fs1/u"]).await?;
    ok_on(&env, client, &["truncate", "-s", "12M", "/mnt/fs1/u/f"]).await?;
    ok_on(&env, client, &["chown", "1000:1000", "/mnt/fs1/u/f"]).await?;
    let alert = wait_for(WAIT, "the soft limit alert", || async {
        Ok(soft_alerts(&env, &item).await?.into_iter().next())
    })
    .await?;
    assert_eq!(alert["severity"], "warning", "{alert}");
    assert_eq!(
        alert["message"], "user 1000 uses 12288 KiB (soft limit 10240 KiB) on file system fs1",
        "{alert}"
    );
    let over = quotas(&env, "?over=true").await?;
    assert_eq!(over.len(), 1, "{over:?}");
    assert_eq!(
        (&over[0]["over_soft"], &over[0]["over_hard"]),
        (&json!(true), &json!(false))
    );
    assert!(over[0]["block_grace_left"].is_string(), "{over:?}");

    // Past the hard limit the file system refuses the write.
    let (code, _, stderr) = on_host(&env, client, &["fallocate", "-l", "30M", "/mnt/fs1/u/f"]).await?;
    assert_eq!(
        (code, stderr.as_str()),
        (1, "fallocate: fallocate failed: Disk quota exceeded\n")
    );
    let shown = ok_on(&env, client, &["lfs", "quota", "-q", "-u", "1000", "/mnt/fs1"]).await?;
    assert!(shown.starts_with("       /mnt/fs1   12288*  10240   20480 "), "{shown}");

    // Back under: cleared.
    ok_on(&env, client, &["truncate", "-s", "1M", "/mnt/fs1/u/f"]).await?;
    wait_for(WAIT, "the soft limit alert to clear", || async {
        Ok(soft_alerts(&env, &item).await?.is_empty().then_some(()))
    })
    .await?;
    assert!(quotas(&env, "?over=true").await?.is_empty());

    // Over again, then the quota is cleared: so is its alert.
    ok_on(&env, client, &["truncate", "-s", "11M", "/mnt/fs1/u/f"]).await?;
    wait_for(WAIT, "the soft limit alert again", || async {
        Ok(soft_alerts(&env, &item).await?.into_iter().next())
    })
    .await?;
    let path = format!("/api/quota/{quota_id}");
    let (status, envelope) = env.call(reqwest::Method::DELETE, &path, Some(&env.token), None).await?;
    done(&env, status, &envelope).await?;
    wait_for(WAIT, "the cleared quota's alert to clear", || async {
        Ok(soft_alerts(&env, &item).await?.is_empty().then_some(()))
    })
    .await?;
    assert!(quotas(&env, "").await?.is_empty());
    let shown = ok_on(&env, client, &["lfs", "quota", "-q", "-u", "1000", "/mnt/fs1"]).await?;
    assert_eq!(
        shown,
        "       /mnt/fs1   11264       0       0       -       1       0       0       -\n"
    );
    // Without limits nothing is refused.
    ok_on(&env, client, &["fallocate", "-l", "30M", "/mnt/fs1/u/f"]).await?;
    cli_round_trip(&env, mds, client).await?;
    env.stop().await
}

/// The same through `chroma quota`: enforcement, a group's limits in
/// sizes with suffixes, the list, a refusal, and clearing.
async fn cli_round_trip(
    env: &TestEnv,
    mds: &lustre_sim::HostEndpoint,
    client: &lustre_sim::HostEndpoint,
) -> anyhow::Result<()> {
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
    let enabled = ok(&["quota", "enable", "fs1", "--ost", "ugp", "--mdt", "ug"]).await?;
    assert!(
        enabled.contains("Quota enforcement on fs1: ost=ugp, mdt=ug."),
        "{enabled}"
    );
    let llog = ok_on(env, mds, &["lctl", "llog_print", "fs1-OST0000"]).await?;
    assert!(llog.contains("quota.ost=ugp"), "{llog}");
    let set = ok(&[
        "quota",
        "set",
        "fs1",
        "--group",
        "100",
        "--block-soft",
        "1G",
        "--block-hard",
        "2G",
    ])
    .await?;
    assert!(set.contains("Quota of group 100 set on fs1."), "{set}");
    let shown = ok_on(env, client, &["lfs", "quota", "-q", "-g", "100", "/mnt/fs1"]).await?;
    let fields: Vec<&str> = shown.split_whitespace().collect();
    assert_eq!(fields.get(2..4), Some(&["1048576", "2097152"][..]), "{shown}");
    let table = ok(&["quota", "list", "--filesystem", "fs1"]).await?;
    assert!(
        table.contains("group") && table.contains("100") && table.contains("fs1"),
        "{table}"
    );
    let args = [
        "quota",
        "set",
        "fs1",
        "--user",
        "1000",
        "--block-soft",
        "2G",
        "--block-hard",
        "1G",
    ];
    let (code, _, err) = run_chroma(env, &config, &args, "").await?;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("block_soft"), "{err}");
    let listed: Value = serde_json::from_str(&ok(&["quota", "list", "--json"]).await?)?;
    let id = listed[0]["id"].as_str().unwrap_or_default().to_owned();
    let (code, out, err) = run_chroma(env, &config, &["quota", "clear", &id], "").await?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Quota cleared."), "{out}");
    let listed: Value = serde_json::from_str(&ok(&["quota", "list", "--json"]).await?)?;
    assert_eq!(listed, json!([]));
    Ok(())
}
