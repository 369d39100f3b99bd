//! Lustre client mounts end to end over real SSH to lustre-sim: a file
//! system is mounted on a fourth host (LNet started there first), which
//! then shows it in `/proc/mounts` and `/etc/fstab`, counts as an export on
//! the MDT, and sees the file system with `lfs df`; it is unmounted (both
//! lines gone), mounted again, and removed. Bad mount points and options,
//! an unknown host, a second mount at the same place and a stopped file
//! system are refused with nothing stored; then the same through the
//! `chroma client` commands.

use integration_tests::cli::run_chroma;
use integration_tests::lustre::{volumes_request, LONG};
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

async fn cat(env: &TestEnv, host: &lustre_sim::HostEndpoint, file: &str) -> anyhow::Result<String> {
    Ok(on_host(env, host, &["cat", file]).await?.1)
}

/// Waits for a 202's command; it must succeed.
async fn done(env: &TestEnv, status: StatusCode, envelope: &Value) -> anyhow::Result<()> {
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{status}: {envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    anyhow::ensure!(finished["state"] == "succeeded", "{finished}");
    Ok(())
}

async fn mounts(env: &TestEnv) -> anyhow::Result<Vec<Value>> {
    let (status, envelope) = env.get("/api/client_mount").await?;
    anyhow::ensure!(status == StatusCode::OK, "{envelope}");
    envelope["response"]["objects"]
        .as_array()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("not a page: {envelope}"))
}

const SOURCE: &str = "10.0.0.1@tcp:/fs1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_is_mounted_unmounted_remounted_and_removed() -> anyhow::Result<()> {
    let mut env = TestEnv::start("client_mounts").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let names = ["mds1", "oss1", "oss2", "cli1"];
    env.monitor(Duration::from_secs(1)).await?;
    let (cluster, state) = env.simulated_cluster_without_pacemaker(&names, &names).await?;
    let (mds, client) = (&cluster.hosts[0], &cluster.hosts[3]);
    let hosts = env.add_hosts(&cluster).await?;
    let request = volumes_request(&env, &hosts, "fs1").await?;
    let (status, envelope) = env.post("/api/filesystem", &request).await?;
    done(&env, status, &envelope).await?;
    let fs_id = envelope["response"]["filesystem"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let cli1 = hosts[3].clone();
    let exports = || async {
        let out = on_host(&env, mds, &["lctl", "get_param", "-n", "mdt.fs1-MDT0000.num_exports"]).await?;
        anyhow::Ok(out.1.trim().parse::<u64>()?)
    };
    let exports_before = exports().await?;

    // Refusals: the field named, nothing stored.
    for (body, code, field) in [
        (
            json!({"host_id": cli1, "filesystem_id": fs_id, "mountpoint": "mnt/fs1"}),
            400,
            "mountpoint",
        ),
        (
            json!({"host_id": cli1, "filesystem_id": fs_id, "mountpoint": "/mnt/../etc"}),
            400,
            "mountpoint",
        ),
        (
            json!({"host_id": cli1, "filesystem_id": fs_id, "mountpoint": "/mnt/fs1", "options": "flock;reboot"}),
            400,
            "options",
        ),
        (
            json!({"host_id": cli1, "filesystem_id": fs_id, "mountpoint": "/mnt/fs1", "options": "frob"}),
            400,
            "options",
        ),
        (
            json!({"host_id": fs_id, "filesystem_id": fs_id, "mountpoint": "/mnt/fs1"}),
            400,
            "host_id",
        ),
        (
            json!({"host_id": cli1, "filesystem_id": cli1, "mountpoint": "/mnt/fs1"}),
            400,
            "filesystem_id",
        ),
    ] {
        let (status, envelope) = env.post("/api/client_mount", &body).await?;
        assert_eq!(status.as_u16(), code, "{body}: {envelope}");
        assert_eq!(envelope["errors"][0]["field"], field, "{envelope}");
    }
    assert!(mounts(&env).await?.is_empty());

    // Mount: LNet comes up on the client first.
    let body = json!({"host_id": cli1, "filesystem_id": fs_id, "mountpoint": "/mnt/fs1", "options": "flock"});
    let (status, envelope) = env.post("/api/client_mount?dry_run=true", &body).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let jobs: Vec<&str> = envelope["response"]["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|j| j["description"].as_str())
        .collect();
    assert_eq!(jobs.len(), 2, "{envelope}");
    assert!(jobs[0].starts_with("Start LNet on cli1"), "{jobs:?}");
    assert_eq!(jobs[1], "Mount file system fs1 on cli1 at /mnt/fs1");
    assert!(mounts(&env).await?.is_empty(), "a dry run stores nothing");
    let (status, envelope) = env.post("/api/client_mount", &body).await?;
    done(&env, status, &envelope).await?;
    let id = envelope["response"]["client_mount"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/api/client_mount/{id}");
    let (_, shown) = env.get(&path).await?;
    assert_eq!(shown["response"]["state"], "mounted", "{shown}");
    assert_eq!(shown["response"]["source"], SOURCE, "{shown}");
    let line = format!("{SOURCE} /mnt/fs1 lustre rw,checksum,flock,nouser_xattr,lruresize,lazystatfs,nouser_fid2path,verbose,encrypt 0 0");
    assert!(cat(&env, client, "/proc/mounts").await?.contains(&line));
    let fstab_line = format!("{SOURCE} /mnt/fs1 lustre flock,_netdev 0 0\n");
    let fstab = cat(&env, client, "/etc/fstab").await?;
    assert!(fstab.ends_with(&fstab_line) && fstab.contains("/boot"), "{fstab}");
    assert_eq!(exports().await?, exports_before + 1);
    let (code, df) = on_host(&env, client, &["lfs", "df", "/mnt/fs1"]).await?;
    assert_eq!(code, 0, "{df}");
    for uuid in [
        "fs1-MDT0000_UUID",
        "fs1-OST0000_UUID",
        "fs1-OST0003_UUID",
        "filesystem_summary:",
    ] {
        assert!(df.contains(uuid), "{df}");
    }

    // The same mount point again is refused.
    let (status, envelope) = env.post("/api/client_mount", &body).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(envelope["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("mountpoint:"));

    // So is a mount point inside a client mount, or over a target's.
    let mds1 = hosts[0].clone();
    for (host, dir, other) in [(&cli1, "/mnt/fs1/sub", "/mnt/fs1"), (&mds1, "/mnt", "/mnt/MGS")] {
        let body = json!({"host_id": host, "filesystem_id": fs_id, "mountpoint": dir});
        let (status, envelope) = env.post("/api/client_mount", &body).await?;
        assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
        let message = envelope["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("mountpoint:") && message.ends_with(&format!("overlaps the mount at {other}")),
            "{message}"
        );
    }
    assert_eq!(mounts(&env).await?.len(), 1);

    // Unmount, then mount again.
    let (status, envelope) = env.patch(&path, &json!({"state": "unmounted"})).await?;
    done(&env, status, &envelope).await?;
    assert!(!cat(&env, client, "/proc/mounts").await?.contains("/mnt/fs1"));
    assert!(!cat(&env, client, "/etc/fstab").await?.contains("/mnt/fs1"));
    assert_eq!(env.get(&path).await?.1["response"]["state"], "unmounted");
    let (status, envelope) = env.patch(&path, &json!({"state": "removed"})).await?;
    assert_eq!(
        (status, envelope["errors"][0]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("state"))
    );
    let (status, envelope) = env.patch(&path, &json!({"state": "mounted"})).await?;
    done(&env, status, &envelope).await?;
    assert!(cat(&env, client, "/proc/mounts").await?.contains(&line));
    assert!(cat(&env, client, "/etc/fstab").await?.ends_with(&fstab_line));

    lost_and_back_after_a_reboot(&env, &state, client, &id).await?;

    // Stopping the file system unmounts its client first, once confirmed;
    // a stopped file system takes no new client.
    let fs_path = format!("/api/filesystem/{fs_id}");
    let (status, envelope) = env.patch(&fs_path, &json!({"state": "stopped"})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert_eq!(envelope["errors"][0]["code"], "confirmation_required", "{envelope}");
    assert!(
        envelope["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Stopping file system fs1 unmounts the client of fs1 on cli1 at /mnt/fs1"),
        "{envelope}"
    );
    let (status, envelope) = env
        .patch(&fs_path, &json!({"state": "stopped", "confirm": true}))
        .await?;
    {
        done(&env, status, &envelope).await?;
        assert!(!cat(&env, client, "/proc/mounts").await?.contains("/mnt/fs1"));
        assert_eq!(env.get(&path).await?.1["response"]["state"], "unmounted");
        let other = json!({"host_id": cli1, "filesystem_id": fs_id, "mountpoint": "/mnt/other"});
        let (status, envelope) = env.post("/api/client_mount", &other).await?;
        assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
        assert!(envelope["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("filesystem_id:"));
        assert_eq!(mounts(&env).await?.len(), 1);
        let (status, envelope) = env
            .patch(&format!("/api/filesystem/{fs_id}"), &json!({"state": "available"}))
            .await?;
        done(&env, status, &envelope).await?;
        let (status, envelope) = env.patch(&path, &json!({"state": "mounted"})).await?;
        done(&env, status, &envelope).await?;
    }

    // Remove: unmounted, out of fstab, no longer listed.
    let (status, envelope) = env.call(reqwest::Method::DELETE, &path, Some(&env.token), None).await?;
    done(&env, status, &envelope).await?;
    assert!(!cat(&env, client, "/proc/mounts").await?.contains("/mnt/fs1"));
    assert!(!cat(&env, client, "/etc/fstab").await?.contains("/mnt/fs1"));
    assert!(mounts(&env).await?.is_empty());
    assert_eq!(env.get(&path).await?.1["response"]["state"], "removed");

    cli_round_trip(&env, client).await?;
    env.stop().await
}

/// The active `client_mount_lost` alerts of mount `id`.
async fn lost_alerts(env: &TestEnv, id: &str) -> anyhow::Result<Vec<Value>> {
    let (_, alerts) = env
        .get(&format!(
            "/api/alert?active=true&kind=client_mount_lost&item=client_mount/{id}"
        ))
        .await?;
    Ok(alerts["response"]["objects"].as_array().cloned().unwrap_or_default())
}

/// Mount `id` (fs1 on cli1 at /mnt/fs1, mounted) is unmounted behind
/// Chroma's back: the monitor records it unmounted and raises
/// `client_mount_lost`; cli1 reboots, its fstab line mounts it again, and
/// the alert clears.
async fn lost_and_back_after_a_reboot(
    env: &TestEnv,
    state: &std::path::Path,
    client: &lustre_sim::HostEndpoint,
    id: &str,
) -> anyhow::Result<()> {
    let path = format!("/api/client_mount/{id}");
    let wait = Duration::from_secs(30);
    let (code, _) = on_host(env, client, &["umount", "/mnt/fs1"]).await?;
    assert_eq!(code, 0);
    let alert = wait_for(wait, "the client_mount_lost alert", || async {
        Ok(lost_alerts(env, id).await?.first().cloned())
    })
    .await?;
    assert_eq!(
        alert["message"], "fs1 is not mounted on cli1 at /mnt/fs1, where Chroma keeps it mounted",
        "{alert}"
    );
    assert_eq!(env.get(&path).await?.1["response"]["state"], "unmounted");
    // Still kept mounted: unmounting it through Chroma is a job (it drops
    // the fstab line and the alert), shown in a dry run.
    let (status, envelope) = env
        .patch(&format!("{path}?dry_run=true"), &json!({"state": "unmounted"}))
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(
        envelope["response"]["jobs"][0]["description"], "Unmount file system fs1 from cli1 at /mnt/fs1",
        "{envelope}"
    );
    lustre_sim::inject_fault(state, "cli1", lustre_sim::FaultCommand::Reboot)?;
    wait_for(wait, "the mount back after cli1's reboot", || async {
        let (_, shown) = env.get(&path).await?;
        Ok((shown["response"]["state"] == "mounted").then_some(()))
    })
    .await?;
    wait_for(wait, "the client_mount_lost alert to clear", || async {
        Ok(lost_alerts(env, id).await?.is_empty().then_some(()))
    })
    .await?;
    assert!(cat(env, client, "/proc/mounts")
        .await?
        .contains(&format!("{SOURCE} /mnt/fs1 lustre ")));
    Ok(())
}

async fn cli_round_trip(env: &TestEnv, client: &lustre_sim::HostEndpoint) -> anyhow::Result<()> {
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
    let mounted = ok(&["client", "mount", "cli1", "fs1", "/lustre/fs1", "-o", "localflock"]).await?;
    assert!(mounted.contains("fs1 mounted on cli1 at /lustre/fs1."), "{mounted}");
    assert!(cat(env, client, "/proc/mounts")
        .await?
        .contains(&format!("{SOURCE} /lustre/fs1 lustre rw,checksum,localflock,")));
    let table = ok(&["client", "list", "--host", "cli1"]).await?;
    assert!(
        table.contains("/lustre/fs1") && table.contains("mounted") && table.contains(SOURCE),
        "{table}"
    );
    ok(&["client", "unmount", "cli1:/lustre/fs1"]).await?;
    assert!(!cat(env, client, "/proc/mounts").await?.contains("/lustre/fs1"));
    ok(&["client", "remount", "cli1:/lustre/fs1"]).await?;
    assert!(cat(env, client, "/proc/mounts").await?.contains("/lustre/fs1"));
    let (code, _, err) = run_chroma(env, &config, &["client", "mount", "cli1", "fs1", "/etc/x"], "").await?;
    assert_ne!(code, 0);
    assert!(err.contains("mountpoint"), "{err}");
    ok(&["client", "remove", "cli1:/lustre/fs1"]).await?;
    assert!(!cat(env, client, "/etc/fstab").await?.contains("/lustre/fs1"));
    let table = ok(&["client", "list"]).await?;
    assert!(!table.contains("/lustre/fs1"), "{table}");
    Ok(())
}
