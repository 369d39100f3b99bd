//! HSM end to end over real SSH to lustre-sim: on a running file system
//! with a client mount, the coordinator is enabled from the MGS, a POSIX
//! copytool is started on the client host (a process `pgrep` sees, holding
//! the mount), and a file is archived (its copy appears under the archive
//! root), released, restored and its archive copy removed, each request a
//! job followed to its end and each state seen through `GET …/hsm/state`.
//! Requests the coordinator could never serve (no copytool for the
//! archive, the coordinator disabled) and bad paths are refused with
//! nothing run.

use integration_tests::data_setup::filesystem_with_client;
use integration_tests::lustre::LONG;
use integration_tests::{wait_for, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// Runs `argv` on a simulated host over SSH as an operator would.
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

async fn ok_on(env: &TestEnv, host: &lustre_sim::HostEndpoint, argv: &[&str]) -> anyhow::Result<String> {
    let (code, stdout, stderr) = on_host(env, host, argv).await?;
    anyhow::ensure!(code == 0, "{argv:?}: {code} {stderr}");
    Ok(stdout)
}

/// Waits for a 202's command; it must succeed.
async fn done(env: &TestEnv, status: StatusCode, envelope: &Value) -> anyhow::Result<Value> {
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{status}: {envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    anyhow::ensure!(finished["state"] == "succeeded", "{finished}");
    Ok(finished)
}

async fn hsm_state(env: &TestEnv, fs_id: &str, path: &str) -> anyhow::Result<Value> {
    let (status, envelope) = env
        .get(&format!("/api/filesystem/{fs_id}/hsm/state?path={path}"))
        .await?;
    anyhow::ensure!(status == StatusCode::OK, "{envelope}");
    Ok(envelope["response"].clone())
}

async fn commands(env: &TestEnv) -> anyhow::Result<usize> {
    let (_, envelope) = env.get("/api/command?limit=100").await?;
    Ok(envelope["response"]["objects"].as_array().map_or(0, Vec::len))
}

/// Asserts a refusal: status, the field named (when given), and that no
/// command was stored.
async fn refused(
    env: &TestEnv,
    method: Method,
    path: &str,
    body: &Value,
    code: StatusCode,
    field: Option<&str>,
) -> anyhow::Result<Value> {
    let before = commands(env).await?;
    let (status, envelope) = env.call(method, path, Some(&env.token), Some(body)).await?;
    assert_eq!(status, code, "{path} {body}: {envelope}");
    if let Some(field) = field {
        let named = envelope["errors"][0]["field"].as_str() == Some(field)
            || envelope["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("{field}:")));
        assert!(named, "{field} not named: {envelope}");
    }
    assert_eq!(commands(env).await?, before, "a refusal stored a command");
    Ok(envelope)
}

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_archived_released_and_restored_through_a_copytool() -> anyhow::Result<()> {
    let mut env = TestEnv::start("hsm").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let setup = filesystem_with_client(&mut env).await?;
    let (cluster, fs_id) = (&setup.cluster, setup.fs_id.clone());
    let (mds, client) = (&cluster.hosts[0], setup.client());
    let hsm = format!("/api/filesystem/{fs_id}/hsm");
    let req = format!("{hsm}/request");
    let archive = json!({"action": "archive", "path": "/d/f", "archive_id": 1});

    // The coordinator was never enabled: refused, nothing run.
    refused(&env, Method::POST, &req, &archive, StatusCode::CONFLICT, None).await?;
    refused(
        &env,
        Method::PUT,
        &hsm,
        &json!({"control": "on"}),
        StatusCode::BAD_REQUEST,
        Some("control"),
    )
    .await?;
    refused(
        &env,
        Method::PUT,
        &hsm,
        &json!({"control": "disabled"}),
        StatusCode::CONFLICT,
        Some("control"),
    )
    .await?;

    let (status, envelope) = env
        .call(
            Method::PUT,
            &hsm,
            Some(&env.token),
            Some(&json!({"control": "enabled"})),
        )
        .await?;
    done(&env, status, &envelope).await?;
    let shown = ok_on(&env, mds, &["lctl", "get_param", "-n", "mdt.fs1-MDT0000.hsm_control"]).await?;
    assert_eq!(shown, "enabled\n");
    let (_, envelope) = env.get(&hsm).await?;
    assert_eq!(envelope["response"]["control"], "enabled", "{envelope}");

    // A client mount, a file on it, an archive root on the client host.
    let mount_id = setup.mount(&env).await?;
    ok_on(&env, client, &["mkdir", "/mnt/fs1/d"]).await?;
    ok_on(&env, client, &["truncate", "-s", "4M", "/mnt/fs1/d/f"]).await?;
    ok_on(&env, client, &["mkdir", "-p", "/srv/archive"]).await?;

    // No copytool serves archive 1: the request would wait forever.
    let envelope = refused(
        &env,
        Method::POST,
        &req,
        &archive,
        StatusCode::CONFLICT,
        Some("archive_id"),
    )
    .await?;
    assert!(envelope["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("no started copytool serves archive 1"));
    // Bad paths and actions.
    for (body, field) in [
        (json!({"action": "archive", "path": "d/f"}), "path"),
        (json!({"action": "archive", "path": "/d/../etc/passwd"}), "path"),
        (json!({"action": "archive", "path": "/d/f\nrm"}), "path"),
        (json!({"action": "purge", "path": "/d/f"}), "action"),
        (
            json!({"action": "release", "path": "/d/f", "archive_id": 2}),
            "archive_id",
        ),
        (
            json!({"action": "archive", "path": "/d/f", "archive_id": 0}),
            "archive_id",
        ),
    ] {
        refused(&env, Method::POST, &req, &body, StatusCode::BAD_REQUEST, Some(field)).await?;
    }
    for (body, field) in [
        (
            json!({"client_mount_id": mount_id, "archive_id": 0, "archive_path": "/srv/archive"}),
            "archive_id",
        ),
        (
            json!({"client_mount_id": mount_id, "archive_id": 1, "archive_path": "srv"}),
            "archive_path",
        ),
        (
            json!({"client_mount_id": mount_id, "archive_id": 1, "archive_path": "/srv/a;rm"}),
            "archive_path",
        ),
    ] {
        refused(
            &env,
            Method::POST,
            "/api/copytool",
            &body,
            StatusCode::BAD_REQUEST,
            Some(field),
        )
        .await?;
    }

    // The copytool: a process on the client host, holding its mount.
    let (status, envelope) = env
        .post(
            "/api/copytool",
            &json!({"client_mount_id": mount_id, "archive_id": 1, "archive_path": "/srv/archive"}),
        )
        .await?;
    done(&env, status, &envelope).await?;
    let ct_id = envelope["response"]["copytool"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, envelope) = env.get(&format!("/api/copytool/{ct_id}")).await?;
    let ct = &envelope["response"];
    assert_eq!(ct["state"], "started", "{ct}");
    let pid = ct["pid"].as_i64().unwrap_or_default();
    let seen = ok_on(&env, client, &["pgrep", "-a", "-f", "lhsmtool_posix"]).await?;
    // Started detached from the SSH channel (lustre-sim holds a channel a
    // daemon's output is left on, as sshd does), with its own pid file.
    assert_eq!(
        seen,
        format!(
            "{pid} lhsmtool_posix --daemon --pid-file /var/run/chroma-copytool-{ct_id}.pid \
             --hsm-root /srv/archive --archive 1 /mnt/fs1\n"
        )
    );
    let (code, _, stderr) = on_host(&env, client, &["umount", "/mnt/fs1"]).await?;
    assert_eq!((code, stderr.as_str()), (32, "umount: /mnt/fs1: target is busy.\n"));
    let (_, envelope) = env.get(&hsm).await?;
    let agents = envelope["response"]["agents"].as_array().cloned().unwrap_or_default();
    assert_eq!(agents.len(), 1, "{envelope}");
    assert_eq!(agents[0]["archive_ids"], json!([1]), "{envelope}");

    // Archive, release, restore: each a job followed to its end.
    let (status, envelope) = env.post(&req, &archive).await?;
    done(&env, status, &envelope).await?;
    let state = hsm_state(&env, &fs_id, "/d/f").await?;
    assert_eq!(state["states"], json!(["exists", "archived"]), "{state}");
    assert_eq!(
        (state["flags"].as_i64(), state["archive_id"].as_i64()),
        (Some(9), Some(1))
    );
    let shown = ok_on(&env, client, &["lfs", "hsm_state", "/mnt/fs1/d/f"]).await?;
    assert_eq!(shown, "/mnt/fs1/d/f: (0x00000009) exists archived, archive_id:1\n");
    let (_, envelope) = env.get(&hsm).await?;
    let actions = envelope["response"]["actions"].as_array().cloned().unwrap_or_default();
    assert!(
        actions
            .iter()
            .any(|a| a["action"] == "ARCHIVE" && a["status"] == "SUCCEED"),
        "{envelope}"
    );

    let (status, envelope) = env.post(&req, &json!({"action": "release", "path": "/d/f"})).await?;
    done(&env, status, &envelope).await?;
    let state = hsm_state(&env, &fs_id, "/d/f").await?;
    assert_eq!(state["states"], json!(["released", "exists", "archived"]), "{state}");
    // A released file's data is only in the archive: its copy is not
    // removed (2.15 `mdt_hsm_is_action_compat`), nothing is run.
    let remove = json!({"action": "remove", "path": "/d/f"});
    refused(&env, Method::POST, &req, &remove, StatusCode::CONFLICT, Some("path")).await?;

    let (status, envelope) = env.post(&req, &json!({"action": "restore", "path": "/d/f"})).await?;
    done(&env, status, &envelope).await?;
    let state = hsm_state(&env, &fs_id, "/d/f").await?;
    assert_eq!(state["states"], json!(["exists", "archived"]), "{state}");

    // Restored, its archive copy can go: the copytool deletes it and the
    // file is no longer archived.
    let (status, envelope) = env.post(&req, &remove).await?;
    done(&env, status, &envelope).await?;
    let state = hsm_state(&env, &fs_id, "/d/f").await?;
    assert_eq!(state["states"], json!([]), "{state}");
    let shown = ok_on(&env, client, &["lfs", "hsm_state", "/mnt/fs1/d/f"]).await?;
    assert!(shown.starts_with("/mnt/fs1/d/f: (0x00000000)"), "{shown}");
    let (_, envelope) = env.get(&hsm).await?;
    let actions = envelope["response"]["actions"].as_array().cloned().unwrap_or_default();
    assert!(
        actions
            .iter()
            .any(|a| a["action"] == "REMOVE" && a["status"] == "SUCCEED"),
        "{envelope}"
    );

    // A copytool that dies is restarted by the monitor, alerted while down.
    let item = format!("copytool/{ct_id}");
    ok_on(&env, client, &["kill", &pid.to_string()]).await?;
    let alert = wait_for(WAIT, "the copytool_failed alert", || async {
        let (_, alerts) = env
            .get(&format!("/api/alert?active=true&kind=copytool_failed&item={item}"))
            .await?;
        Ok(alerts["response"]["objects"]
            .as_array()
            .and_then(|a| a.first().cloned()))
    })
    .await?;
    assert_eq!(
        alert["message"], "the copytool of fs1 archive 1 on cli1 is not running",
        "{alert}"
    );
    let restarted = wait_for(WAIT, "the copytool's restart", || async {
        let (_, envelope) = env.get(&format!("/api/copytool/{ct_id}")).await?;
        let ct = envelope["response"].clone();
        Ok((ct["state"] == "started" && ct["pid"].as_i64() != Some(pid)).then_some(ct))
    })
    .await?;
    let new_pid = restarted["pid"].as_i64().unwrap_or_default();
    let seen = ok_on(&env, client, &["pgrep", "-f", "lhsmtool_posix"]).await?;
    assert_eq!(seen, format!("{new_pid}\n"));
    wait_for(WAIT, "the copytool_failed alert to clear", || async {
        let (_, alerts) = env
            .get(&format!("/api/alert?active=true&kind=copytool_failed&item={item}"))
            .await?;
        Ok(alerts["response"]["objects"]
            .as_array()
            .is_some_and(Vec::is_empty)
            .then_some(()))
    })
    .await?;

    // Releasing a file never archived is refused by Lustre: the job fails.
    ok_on(&env, client, &["truncate", "-s", "1M", "/mnt/fs1/d/g"]).await?;
    let (status, envelope) = env.post(&req, &json!({"action": "release", "path": "/d/g"})).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    assert_eq!(finished["state"], "failed", "{finished}");

    // Disabled coordinator: archive refused.
    let (status, envelope) = env
        .call(
            Method::PUT,
            &hsm,
            Some(&env.token),
            Some(&json!({"control": "disabled"})),
        )
        .await?;
    done(&env, status, &envelope).await?;
    refused(
        &env,
        Method::POST,
        &req,
        &json!({"action": "archive", "path": "/d/g"}),
        StatusCode::CONFLICT,
        None,
    )
    .await?;

    // A copytool that dies while the coordinator is disabled is not
    // restarted: the alert says why.
    ok_on(&env, client, &["kill", &new_pid.to_string()]).await?;
    let alert = wait_for(WAIT, "the held-back copytool_failed alert", || async {
        let (_, alerts) = env
            .get(&format!("/api/alert?active=true&kind=copytool_failed&item={item}"))
            .await?;
        Ok(alerts["response"]["objects"]
            .as_array()
            .and_then(|a| a.first().cloned())
            .filter(|a| a["message"].as_str().is_some_and(|m| m.contains("not restarted"))))
    })
    .await?;
    assert_eq!(
        alert["message"],
        "the copytool of fs1 archive 1 on cli1 is not running; not restarted while the HSM coordinator of fs1 is disabled",
        "{alert}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (code, _, _) = on_host(&env, client, &["pgrep", "-f", "lhsmtool_posix"]).await?;
    assert_eq!(code, 1, "the copytool was restarted under a disabled coordinator");
    let (_, envelope) = env.get(&format!("/api/copytool/{ct_id}")).await?;
    assert_eq!(envelope["response"]["state"], "failed");

    // Stopping the copytool records it stopped and ends its alert.
    let (status, envelope) = env
        .patch(&format!("/api/copytool/{ct_id}"), &json!({"state": "stopped"}))
        .await?;
    done(&env, status, &envelope).await?;
    let (code, _, _) = on_host(&env, client, &["pgrep", "-f", "lhsmtool_posix"]).await?;
    assert_eq!(code, 1, "the copytool still runs");
    let (_, envelope) = env.get(&format!("/api/copytool/{ct_id}")).await?;
    assert_eq!(envelope["response"]["state"], "stopped");
    let (_, alerts) = env
        .get(&format!("/api/alert?active=true&kind=copytool_failed&item={item}"))
        .await?;
    assert_eq!(alerts["response"]["objects"], json!([]), "{alerts}");

    // Why the worker redirects: a copytool started with its output on the
    // SSH channel keeps the channel open (`daemon(1, 1)`), so the command
    // never returns.
    let key = chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let target = chroma_ssh::Target::new("127.0.0.1", client.addr.port(), "root");
    let policy = chroma_ssh::HostKeyPolicy::Pinned(chroma_ssh::Fingerprint::parse(&client.fingerprint)?);
    let (session, _) = chroma_ssh::Session::connect(&target, &key, policy, &Default::default()).await?;
    let bare = [
        "lhsmtool_posix",
        "--daemon",
        "--hsm-root",
        "/srv/archive",
        "--archive",
        "2",
        "/mnt/fs1",
    ];
    let hung = session.exec(&bare, Duration::from_secs(2)).await;
    assert!(
        matches!(hung, Err(chroma_ssh::SshError::CommandTimeout { .. })),
        "{hung:?}"
    );
    let _ = session.close().await;
    let left = ok_on(&env, client, &["pgrep", "-f", "lhsmtool_posix"]).await?;
    ok_on(&env, client, &["kill", left.trim()]).await?;

    // The word is always set persistently, even when the MDTs already
    // show it (here set without -P, which an MDT restart forgets).
    ok_on(&env, mds, &["lctl", "set_param", "mdt.fs1-MDT0000.hsm_control=enabled"]).await?;
    let persisted = |log: String| {
        log.lines()
            .filter(|l| l.contains("hsm_control") && l.contains("value: enabled"))
            .count()
    };
    let params = ["lctl", "--device", "MGS", "llog_print", "params"];
    let before = persisted(ok_on(&env, mds, &params).await?);
    let (status, envelope) = env
        .call(
            Method::PUT,
            &hsm,
            Some(&env.token),
            Some(&json!({"control": "enabled"})),
        )
        .await?;
    done(&env, status, &envelope).await?;
    assert_eq!(persisted(ok_on(&env, mds, &params).await?), before + 1);

    // purge cancels every request, once, without -P; shutdown stops the
    // coordinator, which reads back as stopped.
    ok_on(&env, client, &["lfs", "hsm_archive", "-a", "5", "/mnt/fs1/d/g"]).await?;
    let (status, envelope) = env
        .call(Method::PUT, &hsm, Some(&env.token), Some(&json!({"control": "purge"})))
        .await?;
    done(&env, status, &envelope).await?;
    let (_, envelope) = env.get(&hsm).await?;
    let actions = envelope["response"]["actions"].as_array().cloned().unwrap_or_default();
    assert!(
        actions
            .iter()
            .any(|a| a["archive_id"] == 5 && a["status"] == "CANCELED"),
        "{envelope}"
    );
    assert!(!actions.iter().any(|a| a["status"] == "WAITING"), "{envelope}");
    let log = ok_on(&env, mds, &params).await?;
    assert!(!log.contains("purge"), "purge was made persistent: {log}");
    let (status, envelope) = env
        .call(
            Method::PUT,
            &hsm,
            Some(&env.token),
            Some(&json!({"control": "shutdown"})),
        )
        .await?;
    done(&env, status, &envelope).await?;
    let (_, envelope) = env.get(&hsm).await?;
    assert_eq!(envelope["response"]["control"], "stopped", "{envelope}");
    let shown = ok_on(&env, mds, &["lctl", "get_param", "-n", "mdt.fs1-MDT0000.hsm_control"]).await?;
    assert_eq!(shown, "stopped\n");
    Ok(())
}
