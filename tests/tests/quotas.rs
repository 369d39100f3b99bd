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
use integration_tests::data_setup::filesystem_with_client;
use integration_tests::lustre::LONG;
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
    envelope["response"]["objects"]
        .as_array()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("not a page: {envelope}"))
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
    let setup = filesystem_with_client(&mut env).await?;
    let (cluster, fs_id) = (&setup.cluster, setup.fs_id.clone());
    let (mds, client) = (&cluster.hosts[0], setup.client());
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
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{status}: {envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    assert_eq!(finished["state"], "succeeded", "{finished}");
    let llog = ok_on(&env, mds, &["lctl", "llog_print", "fs1-MDT0000"]).await?;
    assert!(llog.contains("quota.ost=ug") && llog.contains("quota.mdt=ug"), "{llog}");
    // Recorded once every mounted target's quota slave shows it.
    let slaves = &finished["jobs"][0]["steps"][0]["output"]["quota_slaves"];
    assert_eq!(slaves["fs1-MDT0000"], "ug", "{finished}");
    assert_eq!(slaves["fs1-OST0000"], "ug", "{finished}");
    let shown = ok_on(
        &env,
        mds,
        &["lctl", "get_param", "-n", "osd-*.fs1-MDT0000.quota_slave.enabled"],
    )
    .await?;
    assert_eq!(shown, "ug\n");
    let (_, fs) = env.get(&format!("/api/filesystem/{fs_id}")).await?;
    assert_eq!(
        (&fs["response"]["quota_ost"], &fs["response"]["quota_mdt"]),
        (&json!("ug"), &json!("ug")),
        "{fs}"
    );

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
    let (status, envelope) = env
        .call(
            reqwest::Method::PUT,
            &format!("/api/filesystem/{fs_id}/quota/grace"),
            Some(&env.token),
            Some(&json!({"kind": "user", "block_secs": 60})),
        )
        .await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(
        envelope["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no mounted client mount"),
        "{envelope}"
    );

    setup.mount(&env).await?;
    grace_round_trip(&env, &fs_id, client).await?;

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
    // A week's grace, less the seconds since the soft limit was passed
    // (none when read in the same second).
    let grace = over[0]["block_grace_left"].as_str().unwrap_or_default();
    assert!(grace == "1w" || grace.starts_with("6d23h59m"), "{over:?}");
    assert_eq!(over[0]["grace_expired"], false, "{over:?}");

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

    ost_down_round_trip(&env, cluster, client, &limits).await?;

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

/// Grace times: a user grace set through the API is what `lfs quota -t
/// -u` shows on the client and what the file system's view shows; a bad
/// time is refused naming its field, with no command run.
async fn grace_round_trip(env: &TestEnv, fs_id: &str, client: &lustre_sim::HostEndpoint) -> anyhow::Result<()> {
    let path = format!("/api/filesystem/{fs_id}/quota/grace");
    let put = |body: Value| {
        let path = path.clone();
        async move {
            env.call(reqwest::Method::PUT, &path, Some(&env.token), Some(&body))
                .await
        }
    };
    let total = || async {
        let (_, envelope) = env.get("/api/command?limit=1").await?;
        anyhow::Ok(envelope["response"]["meta"]["total_count"].clone())
    };
    let before = total().await?;
    anyhow::ensure!(before.is_u64(), "no command count: {before}");
    for (body, field) in [
        (json!({"kind": "user", "block_secs": -1}), "block_secs"),
        (
            json!({"kind": "user", "inode_secs": 281_474_976_710_655_i64}),
            "inode_secs",
        ),
        (json!({"kind": "owner", "block_secs": 60}), "kind"),
    ] {
        let (status, envelope) = put(body.clone()).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {envelope}");
        assert_eq!(envelope["errors"][0]["field"], field, "{envelope}");
    }
    assert_eq!(total().await?, before, "a refused grace time ran a command");
    let (status, envelope) = put(json!({"kind": "user", "block_secs": 183_600, "inode_secs": 3_600})).await?;
    done(env, status, &envelope).await?;
    let shown = ok_on(env, client, &["lfs", "quota", "-t", "-u", "/mnt/fs1"]).await?;
    assert_eq!(shown, "Block grace time: 2d3h; Inode grace time: 1h\n");
    let (_, fs) = env.get(&format!("/api/filesystem/{fs_id}")).await?;
    let graces = &fs["response"]["quota_grace"];
    assert_eq!(
        (&graces[0]["kind"], &graces[0]["block_secs"], &graces[0]["inode_secs"]),
        (&json!("user"), &json!(183_600), &json!(3_600)),
        "{fs}"
    );
    // Group grace is untouched: still Lustre's week.
    let shown = ok_on(env, client, &["lfs", "quota", "-t", "-g", "/mnt/fs1"]).await?;
    assert_eq!(shown, "Block grace time: 1w; Inode grace time: 1w\n");
    // Back to a week, so the soft limit below has the default grace.
    let (status, envelope) = put(json!({"kind": "user", "block_secs": 604_800, "inode_secs": 604_800})).await?;
    done(env, status, &envelope).await?;
    Ok(())
}

/// With an OST down `lfs quota` brackets the usage, says it is
/// inaccurate and exits 5; setting limits still succeeds (the limits are
/// the quota master's) and the quota shows as inaccurate until the OST is
/// back.
async fn ost_down_round_trip(
    env: &TestEnv,
    cluster: &lustre_sim::ClusterHandle,
    client: &lustre_sim::HostEndpoint,
    limits: &Value,
) -> anyhow::Result<()> {
    let mut found = None;
    for host in &cluster.hosts {
        let mounts = ok_on(env, host, &["cat", "/proc/mounts"]).await?;
        let line = mounts
            .lines()
            .find(|l| l.contains("svname=fs1-OST"))
            .unwrap_or_default();
        if let [device, dir, ..] = line.split_whitespace().collect::<Vec<_>>()[..] {
            found = Some((host, device.to_owned(), dir.to_owned()));
            break;
        }
    }
    let Some((oss, device, dir)) = found else {
        anyhow::bail!("no OST of fs1 is mounted");
    };
    ok_on(env, oss, &["umount", &dir]).await?;
    let (code, stdout, _) = on_host(env, client, &["lfs", "quota", "-q", "-u", "1000", "/mnt/fs1"]).await?;
    assert_eq!(code, 5, "{stdout}");
    assert!(
        stdout.contains('[') && stdout.contains("The data in \"[]\" is inaccurate."),
        "{stdout}"
    );
    let (status, envelope) = env.post("/api/quota", limits).await?;
    done(env, status, &envelope).await?;
    wait_for(WAIT, "the quota to show as inaccurate", || async {
        let listed = quotas(env, "").await?;
        Ok((listed.first().map(|q| &q["inaccurate"]) == Some(&json!(true))).then_some(()))
    })
    .await?;
    ok_on(env, oss, &["mount", "-t", "lustre", &device, &dir]).await?;
    wait_for(WAIT, "the quota to show as accurate again", || async {
        let listed = quotas(env, "").await?;
        Ok((listed.first().map(|q| &q["inaccurate"]) == Some(&json!(false))).then_some(()))
    })
    .await?;
    Ok(())
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
    // A limit not given keeps its value, as `lfs setquota` does.
    let set = ok(&["quota", "set", "fs1", "--group", "100", "--block-soft", "512M"]).await?;
    assert!(set.contains("Quota of group 100 set on fs1."), "{set}");
    let shown = ok_on(env, client, &["lfs", "quota", "-q", "-g", "100", "/mnt/fs1"]).await?;
    let fields: Vec<&str> = shown.split_whitespace().collect();
    assert_eq!(fields.get(2..4), Some(&["524288", "2097152"][..]), "{shown}");
    // Grace times in Lustre's format; a bad one is refused before any call.
    let set = ok(&["quota", "grace", "fs1", "--group", "--block", "2d", "--inode", "3h"]).await?;
    assert!(set.contains("Grace times of group quotas set on fs1."), "{set}");
    let shown = ok_on(env, client, &["lfs", "quota", "-t", "-g", "/mnt/fs1"]).await?;
    assert_eq!(shown, "Block grace time: 2d; Inode grace time: 3h\n");
    let args = ["quota", "grace", "fs1", "--group", "--block", "1y"];
    let (code, _, err) = run_chroma(env, &config, &args, "").await?;
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("--block \"1y\" is not a grace time"), "{err}");
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
    // `--json` prints the page the API answers.
    let listed: Value = serde_json::from_str(&ok(&["quota", "list", "--json"]).await?)?;
    let id = listed["objects"][0]["id"].as_str().unwrap_or_default().to_owned();
    let (code, out, err) = run_chroma(env, &config, &["quota", "clear", &id], "").await?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Quota cleared."), "{out}");
    let listed: Value = serde_json::from_str(&ok(&["quota", "list", "--json"]).await?)?;
    assert_eq!(listed["objects"], json!([]), "{listed}");
    Ok(())
}
