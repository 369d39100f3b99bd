//! Data jobs end to end over real SSH to lustre-sim, on a file system of
//! four OSTs with two pools (`flash`: OST0000-1, `disk`: OST0002-3) and a
//! client mount on a fourth host: a file mirrored on both pools, a write
//! that makes one mirror stale (seen through `GET …/layout`), a resync
//! that clears it; a directory's files migrated off an OST (no object left
//! there); a directory striped over a pool (new files land on its OSTs);
//! and the requests that make no sense refused with the field named.

use integration_tests::data_setup::filesystem_with_client;
use integration_tests::lustre::LONG;
use integration_tests::TestEnv;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// Runs `argv` on a simulated host over SSH as a user would; returns its
/// exit status and stdout.
async fn on_host(env: &TestEnv, host: &lustre_sim::HostEndpoint, argv: &[&str]) -> anyhow::Result<(u32, String)> {
    let key = chroma_ssh::KeyPair::load_or_create(&env.settings.ssh_key_path)?;
    let target = chroma_ssh::Target::new("127.0.0.1", host.addr.port(), "root");
    let policy = chroma_ssh::HostKeyPolicy::Pinned(chroma_ssh::Fingerprint::parse(&host.fingerprint)?);
    let (session, _) = chroma_ssh::Session::connect(&target, &key, policy, &Default::default()).await?;
    let out = session.exec(argv, Duration::from_secs(30)).await?;
    let _ = session.close().await;
    Ok((out.exit_status.unwrap_or(255), out.stdout))
}

/// Waits for a 202's command; it must succeed.
async fn done(env: &TestEnv, status: StatusCode, envelope: &Value) -> anyhow::Result<()> {
    anyhow::ensure!(status == StatusCode::ACCEPTED, "{status}: {envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    anyhow::ensure!(finished["state"] == "succeeded", "{finished}");
    Ok(())
}

/// The mirrors of `path` as `GET …/layout` shows them: (pool, stale, OSTs).
async fn mirrors(env: &TestEnv, fs: &str, path: &str) -> anyhow::Result<Vec<(String, bool, Vec<u64>)>> {
    let (status, envelope) = env.get(&format!("/api/filesystem/{fs}/layout?path={path}")).await?;
    anyhow::ensure!(status == StatusCode::OK, "{status}: {envelope}");
    Ok(envelope["response"]["mirrors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["pool"].as_str().unwrap_or_default().to_owned(),
                m["stale"] == true,
                m["ost_indexes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_u64)
                    .collect(),
            )
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrors_migration_and_striping_run_through_a_client_mount() -> anyhow::Result<()> {
    let mut env = TestEnv::start("mirrors").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let setup = filesystem_with_client(&mut env).await?;
    let (client, fs) = (setup.client(), setup.fs_id.clone());
    let (_, view) = env.get(&format!("/api/filesystem/{fs}")).await?;
    let target = |name: &str| {
        view["response"]["targets"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["name"] == name))
            .and_then(|t| t["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let ost = |i: u32| target(&format!("fs1-OST{i:04x}"));
    for (name, members) in [
        ("flash", [ost(0), ost(1)]),
        ("disk", [ost(2), ost(3)]),
        ("across", [ost(1), ost(2)]),
    ] {
        let body = json!({"filesystem_id": fs, "name": name, "ost_ids": members});
        let (status, envelope) = env.post("/api/ost_pool", &body).await?;
        done(&env, status, &envelope).await?;
    }
    let mirror = |path: &str, action: &str, pools: &[&str]| {
        let mirrors: Vec<Value> = pools.iter().map(|p| json!({"pool": p})).collect();
        json!({"path": path, "action": action, "mirrors": mirrors})
    };

    // Without a mounted client mount there is nowhere to run `lfs`.
    let (status, envelope) = env
        .post(
            &format!("/api/filesystem/{fs}/mirror"),
            &mirror("/m", "create", &["flash", "disk"]),
        )
        .await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert!(
        envelope["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no mounted client mount")),
        "{envelope}"
    );
    setup.mount(&env).await?;

    // Refusals: the field named, no command.
    let commands = || async {
        let (_, envelope) = env.get("/api/command?limit=100").await?;
        anyhow::Ok(envelope["response"]["objects"].as_array().map_or(0, Vec::len))
    };
    let before = commands().await?;
    for (route, body, field) in [
        (
            "mirror",
            mirror("/m", "create", &["flash", "across"]),
            "mirrors[1].pool",
        ),
        ("mirror", mirror("m", "create", &["flash", "disk"]), "path"),
        ("mirror", mirror("/a/../m", "create", &["flash", "disk"]), "path"),
        ("mirror", mirror("/m", "create", &["flash", "flash"]), "mirrors[1].pool"),
        (
            "mirror",
            mirror("/m", "create", &["flash", "nosuch"]),
            "mirrors[1].pool",
        ),
        ("mirror", mirror("/m", "create", &["flash"]), "mirrors"),
        ("mirror", mirror("/m", "resync", &["disk"]), "mirrors"),
        ("stripe", json!({"path": "/d", "pool": "nosuch"}), "pool"),
        (
            "stripe",
            json!({"path": "/d", "pool": "disk", "stripe_size": 1000}),
            "stripe_size",
        ),
        (
            "migrate",
            json!({"path": "/d", "exclude_ost_ids": [target("fs1-MDT0000")]}),
            "exclude_ost_ids[0]",
        ),
        ("migrate", json!({"path": "/d"}), "exclude_ost_ids"),
    ] {
        let (status, envelope) = env.post(&format!("/api/filesystem/{fs}/{route}"), &body).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {envelope}");
        assert_eq!(envelope["errors"][0]["field"], field, "{body}: {envelope}");
    }
    assert_eq!(commands().await?, before, "a refused request stored a command");

    // A file mirrored on both pools; a write leaves one mirror stale; a
    // resync brings it back.
    let (status, envelope) = env
        .post(
            &format!("/api/filesystem/{fs}/mirror"),
            &mirror("/m", "create", &["flash", "disk"]),
        )
        .await?;
    done(&env, status, &envelope).await?;
    let made = mirrors(&env, &fs, "/m").await?;
    assert_eq!(made.len(), 2, "{made:?}");
    let fifteen: Vec<String> = (0..15).map(|i| format!("p{i}")).collect();
    let fifteen: Vec<&str> = fifteen.iter().map(String::as_str).collect();
    let (status, envelope) = env
        .post(
            &format!("/api/filesystem/{fs}/mirror"),
            &mirror("/m", "extend", &fifteen),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "mirrors", "{envelope}");
    assert_eq!((made[0].0.as_str(), made[0].1), ("flash", false));
    assert_eq!((made[1].0.as_str(), made[1].1), ("disk", false));
    assert!(
        made[0].2.iter().all(|o| *o < 2) && made[1].2.iter().all(|o| *o >= 2),
        "{made:?}"
    );
    let (code, _) = on_host(
        &env,
        client,
        &["dd", "if=/dev/zero", "of=/mnt/fs1/m", "bs=1M", "count=8"],
    )
    .await?;
    assert_eq!(code, 0);
    let (status, envelope) = env
        .post(&format!("/api/filesystem/{fs}/mirror"), &mirror("/m", "verify", &[]))
        .await?;
    done(&env, status, &envelope).await?;
    let written = mirrors(&env, &fs, "/m").await?;
    assert_eq!(
        written.iter().map(|m| m.1).collect::<Vec<_>>(),
        [false, true],
        "{written:?}"
    );
    let (status, envelope) = env
        .post(&format!("/api/filesystem/{fs}/mirror"), &mirror("/m", "resync", &[]))
        .await?;
    done(&env, status, &envelope).await?;
    let synced = mirrors(&env, &fs, "/m").await?;
    assert!(synced.iter().all(|m| !m.1), "{synced:?}");
    let (_, stripe) = on_host(&env, client, &["lfs", "getstripe", "/mnt/fs1/m"]).await?;
    assert!(
        stripe.contains("lcm_mirror_count:  2\n") && !stripe.contains("stale"),
        "{stripe}"
    );

    // A directory's files migrated off OST0000: none keeps an object there.
    for argv in [
        &["mkdir", "-p", "/mnt/fs1/data/sub"][..],
        &["lfs", "setstripe", "-c", "2", "/mnt/fs1/data"],
        &[
            "truncate",
            "-s",
            "1M",
            "/mnt/fs1/data/a",
            "/mnt/fs1/data/b",
            "/mnt/fs1/data/c",
        ],
        &["truncate", "-s", "1M", "/mnt/fs1/data/sub/d", "/mnt/fs1/data/sub/e"],
    ] {
        assert_eq!(on_host(&env, client, argv).await?.0, 0, "{argv:?}");
    }
    let on_ost0 = || {
        on_host(
            &env,
            client,
            &["lfs", "find", "/mnt/fs1/data", "--ost", "0", "-type", "f"],
        )
    };
    let before = on_ost0().await?.1;
    assert!(!before.is_empty(), "no file of the directory has an object on OST0000");
    let body = json!({"path": "/data", "exclude_ost_ids": [ost(0)]});
    let (status, envelope) = env.post(&format!("/api/filesystem/{fs}/migrate"), &body).await?;
    done(&env, status, &envelope).await?;
    assert_eq!(on_ost0().await?.1, "", "objects left on OST0000");
    let (_, all) = on_host(&env, client, &["lfs", "find", "/mnt/fs1/data", "-type", "f"]).await?;
    assert_eq!(all.lines().count(), 5, "{all}");

    // A directory striped over pool `disk`: new files land on its OSTs.
    assert_eq!(on_host(&env, client, &["mkdir", "/mnt/fs1/slow"]).await?.0, 0);
    let body = json!({"path": "/slow", "pool": "disk", "stripe_count": 1});
    let (status, envelope) = env.post(&format!("/api/filesystem/{fs}/stripe"), &body).await?;
    done(&env, status, &envelope).await?;
    let (_, pool) = on_host(&env, client, &["lfs", "getstripe", "-p", "/mnt/fs1/slow"]).await?;
    assert_eq!(pool, "disk\n");
    let files = ["/mnt/fs1/slow/1", "/mnt/fs1/slow/2", "/mnt/fs1/slow/3"];
    let mut argv = vec!["truncate", "-s", "1M"];
    argv.extend(files);
    assert_eq!(on_host(&env, client, &argv).await?.0, 0);
    let (_, elsewhere) = on_host(
        &env,
        client,
        &["lfs", "find", "/mnt/fs1/slow", "--ost", "0,1", "-type", "f"],
    )
    .await?;
    assert_eq!(elsewhere, "", "a new file has objects outside pool disk");
    let (_, there) = on_host(
        &env,
        client,
        &["lfs", "find", "/mnt/fs1/slow", "--pool", "disk", "-type", "f"],
    )
    .await?;
    assert_eq!(there.lines().count(), 3, "{there}");
    Ok(())
}

/// A file system `fs1` of four OSTs with pools `flash` (OST0000-1) and
/// `disk` (OST0002-3), mounted on `cli1` at `/mnt/fs1`.
struct Fixture {
    fs: String,
    cluster: lustre_sim::ClusterHandle,
    state: std::path::PathBuf,
}

async fn mounted_fs(env: &mut TestEnv) -> anyhow::Result<Fixture> {
    let setup = filesystem_with_client(env).await?;
    let fs = setup.fs_id.clone();
    let (_, view) = env.get(&format!("/api/filesystem/{fs}")).await?;
    let ost = |i: u32| {
        view["response"]["targets"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["name"] == format!("fs1-OST{i:04x}")))
            .and_then(|t| t["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    for (name, members) in [("flash", [ost(0), ost(1)]), ("disk", [ost(2), ost(3)])] {
        let body = json!({"filesystem_id": fs, "name": name, "ost_ids": members});
        let (status, envelope) = env.post("/api/ost_pool", &body).await?;
        done(env, status, &envelope).await?;
    }
    setup.mount(env).await?;
    Ok(Fixture {
        fs,
        cluster: setup.cluster,
        state: setup.state,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extend_still_running_is_waited_for_not_repeated() -> anyhow::Result<()> {
    let mut env = TestEnv::start("mirrorrun").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let f = mounted_fs(&mut env).await?;
    let client = f.cluster.hosts[3].clone();
    // A name a shell would split, unquote and expand.
    let path = "/it's a $(touch x) file";
    let file = format!("/mnt/fs1{path}");
    assert_eq!(on_host(&env, &client, &["truncate", "-s", "1M", &file]).await?.0, 0);

    // An extend onto `disk` that takes a while, as one left running by an
    // earlier attempt whose SSH channel timed out: it shows in the layout
    // only when it ends.
    lustre_sim::inject_fault(&f.state, "cli1", lustre_sim::FaultCommand::Slow(6_000))?;
    let earlier = {
        let (env_client, file) = (client.clone(), file.clone());
        let key = env.settings.ssh_key_path.clone();
        tokio::spawn(async move {
            let key = chroma_ssh::KeyPair::load_or_create(&key)?;
            let target = chroma_ssh::Target::new("127.0.0.1", env_client.addr.port(), "root");
            let policy = chroma_ssh::HostKeyPolicy::Pinned(chroma_ssh::Fingerprint::parse(&env_client.fingerprint)?);
            let (session, _) = chroma_ssh::Session::connect(&target, &key, policy, &Default::default()).await?;
            let argv = ["lfs", "mirror", "extend", "-N", "-p", "disk", file.as_str()];
            let out = session.exec(&argv, Duration::from_secs(30)).await?;
            let _ = session.close().await;
            anyhow::Ok(out.exit_status)
        })
    };
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    lustre_sim::inject_fault(&f.state, "cli1", lustre_sim::FaultCommand::Slow(0))?;
    let body = json!({"path": path, "action": "extend", "mirrors": [{"pool": "disk"}]});
    let (status, envelope) = env.post(&format!("/api/filesystem/{}/mirror", f.fs), &body).await?;
    done(&env, status, &envelope).await?;
    assert_eq!(earlier.await??, Some(0), "the earlier extend failed");
    let (_, stripe) = on_host(&env, &client, &["lfs", "getstripe", &file]).await?;
    assert!(stripe.contains("lcm_mirror_count:  2\n"), "{stripe}");
    assert_eq!(
        stripe.matches("lmm_pool:          disk\n").count(),
        1,
        "two mirrors on pool disk: {stripe}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_reaching_a_mirrored_file_migrates_nothing() -> anyhow::Result<()> {
    let mut env = TestEnv::start("mirrormigr").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let f = mounted_fs(&mut env).await?;
    let client = &f.cluster.hosts[3];
    for argv in [
        &["mkdir", "-p", "/mnt/fs1/mix"][..],
        &["lfs", "setstripe", "-p", "flash", "/mnt/fs1/mix"],
        &["truncate", "-s", "1M", "/mnt/fs1/mix/plain"],
        &[
            "lfs",
            "mirror",
            "create",
            "-N",
            "-p",
            "flash",
            "-N",
            "-p",
            "disk",
            "/mnt/fs1/mix/m",
        ],
    ] {
        assert_eq!(on_host(&env, client, argv).await?.0, 0, "{argv:?}");
    }
    let body = json!({"path": "/mix", "pool": "disk"});
    let (status, envelope) = env.post(&format!("/api/filesystem/{}/migrate", f.fs), &body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "{envelope}");
    let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
    let finished = env.finished(&command, LONG).await?;
    assert_eq!(finished["state"], "failed", "{finished}");
    let error = finished["jobs"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("'/mnt/fs1/mix/m'") && error.contains("lfs mirror split") && !error.contains("plain"),
        "{error}"
    );
    let (_, stripe) = on_host(&env, client, &["lfs", "getstripe", "/mnt/fs1/mix/m"]).await?;
    assert!(
        stripe.contains("lcm_mirror_count:  2\n"),
        "the mirrors were dropped: {stripe}"
    );
    let (_, pool) = on_host(&env, client, &["lfs", "getstripe", "-p", "/mnt/fs1/mix/plain"]).await?;
    assert_eq!(pool, "flash\n", "a file was migrated");

    // A directory whose name a shell would split, unquote and expand.
    let dir = "/q'd $(touch y) dir";
    let file = format!("/mnt/fs1{dir}/a `b`");
    for argv in [
        &["mkdir", "-p", &format!("/mnt/fs1{dir}")][..],
        &["truncate", "-s", "1M", &file],
    ] {
        assert_eq!(on_host(&env, client, argv).await?.0, 0, "{argv:?}");
    }
    let body = json!({"path": dir, "pool": "disk"});
    let (status, envelope) = env.post(&format!("/api/filesystem/{}/migrate", f.fs), &body).await?;
    done(&env, status, &envelope).await?;
    let (_, pool) = on_host(&env, client, &["lfs", "getstripe", "-p", &file]).await?;
    assert_eq!(pool, "disk\n", "{file} was not migrated");
    // Asked again (as a redelivered step would run), files already in the
    // pool keep their objects: nothing is copied twice.
    let (_, objects) = on_host(&env, client, &["lfs", "getstripe", &file]).await?;
    let (status, envelope) = env.post(&format!("/api/filesystem/{}/migrate", f.fs), &body).await?;
    done(&env, status, &envelope).await?;
    let (_, again) = on_host(&env, client, &["lfs", "getstripe", &file]).await?;
    assert_eq!(again, objects, "a file already in the pool was migrated again");
    Ok(())
}
