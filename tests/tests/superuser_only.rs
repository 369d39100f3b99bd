//! Changes that amount to root on a server are a superuser's alone, and an
//! fsadmin's attempt is refused with 403 and changes nothing: a raw command
//! of diagnostic actions (it may take a write lock on any object), an
//! upcall parameter naming a program (`mdt.identity_upcall`), and a forced
//! parameter Chroma does not know.

use integration_tests::{command, job, login, sleeps, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

/// Creates the fsadmin `operator`; a session token.
async fn fsadmin(env: &TestEnv) -> anyhow::Result<String> {
    let body = json!({"username": "operator", "password": "a long password", "role": "fsadmin"});
    let (status, created) = env.post("/api/user", &body).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "{created}");
    login(&env.base, "operator", "a long password").await
}

async fn count(env: &TestEnv, table: &str) -> anyhow::Result<i64> {
    let rows = store::sql::query(&env.db, &format!("SELECT count(*) AS n FROM {table}"), []).await?;
    Ok(rows
        .first()
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_diagnostic_command_needs_a_superuser() -> anyhow::Result<()> {
    let env = TestEnv::start("rawcommand").await?;
    let operator = fsadmin(&env).await?;
    let item = format!("target/{}", Uuid::now_v7());
    let body = command(
        "hold a lock",
        &[job("a", sleeps(1, 10), json!([{"item": item, "write": true}]), &[])],
    );
    let (status, envelope) = env
        .call(Method::POST, "/api/command", Some(&operator), Some(&body))
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{envelope}");
    assert_eq!(envelope["errors"][0]["code"], "forbidden", "{envelope}");
    assert!(
        envelope["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("superuser")),
        "{envelope}"
    );
    assert_eq!(count(&env, "command").await?, 0, "a refused command was stored");
    let (status, envelope) = env.post("/api/command", &body).await?;
    assert_eq!(status, StatusCode::ACCEPTED, "the superuser is refused: {envelope}");
    env.stop().await
}

/// A file system `fs1` with an MGT, an MDT and an OST mounted on one
/// managed server, written straight to the database; its id.
async fn file_system(env: &TestEnv) -> anyhow::Result<Uuid> {
    let host = Uuid::now_v7();
    store::hosts::insert_managed(
        &env.db,
        &store::hosts::ManagedHost {
            id: host,
            address: "127.0.0.1".into(),
            port: 2222,
            fingerprint: format!("SHA256:{}", "A".repeat(43)),
            nodename: "mds1".into(),
        },
    )
    .await?;
    let (fs, mgt) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, kind, index, name) in [
        (mgt, "mgt", None, "MGS"),
        (Uuid::now_v7(), "mdt", Some(0), "fs1-MDT0000"),
        (Uuid::now_v7(), "ost", Some(0), "fs1-OST0000"),
    ] {
        let volume = Uuid::now_v7();
        store::volumes::insert_one(&env.db, volume, &format!("serial-{name}"), 1 << 30).await?;
        store::targets::insert_mounted(
            &env.db,
            &store::targets::MountedTarget {
                id,
                kind: kind.into(),
                index,
                name: name.into(),
                volume_id: volume,
                host_id: host,
                filesystem_id: (kind != "mgt").then_some(fs),
            },
        )
        .await?;
        if id == mgt {
            store::filesystems::insert_bare(&env.db, fs, "fs1", mgt).await?;
        }
    }
    Ok(fs)
}

/// What the file system stores of its parameters.
async fn stored(env: &TestEnv, fs: Uuid) -> anyhow::Result<Value> {
    let rows = store::sql::query(&env.db, "SELECT conf_params FROM filesystem WHERE id = $1", [fs.into()]).await?;
    Ok(rows
        .first()
        .map(|r| r.try_get::<Value>("", "conf_params"))
        .transpose()?
        .unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upcall_program_or_a_forced_parameter_needs_a_superuser() -> anyhow::Result<()> {
    let env = TestEnv::start("upcallparams").await?;
    let operator = fsadmin(&env).await?;
    let fs = file_system(&env).await?;
    let before = stored(&env, fs).await?;
    let path = format!("/api/filesystem/{fs}/params");
    for body in [
        json!({"params": {"mdt.identity_upcall": "/tmp/evil"}}),
        json!({"params": {"fs1-MDT0000.mdt.identity_upcall": "/tmp/evil"}}),
        json!({"params": {"sys.timeout": "40", "mdt.identity_upcall": "/tmp/evil"}}),
        json!({"params": {"mdt.some_other_upcall": "/tmp/evil"}, "force": true}),
        json!({"conf_params": {"llite.unknown_knob": "1"}, "force": true}),
    ] {
        let (status, envelope) = env.call(Method::PUT, &path, Some(&operator), Some(&body)).await?;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}: {envelope}");
        assert_eq!(envelope["errors"][0]["code"], "forbidden", "{envelope}");
        assert!(
            envelope["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("only a superuser")),
            "{envelope}"
        );
    }
    let on_target = format!("/api/target/{}/params", mdt_id(&env, fs).await?);
    let body = json!({"params": {"mdt.identity_upcall": "/tmp/evil"}});
    let (status, envelope) = env.call(Method::PUT, &on_target, Some(&operator), Some(&body)).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "on the MDT's route: {envelope}");
    assert_eq!(stored(&env, fs).await?, before, "a refused change was stored");
    assert_eq!(count(&env, "command").await?, 0, "a refused change was submitted");

    // Turning the upcall off runs nothing: an fsadmin may.
    let off = json!({"params": {"mdt.identity_upcall": "NONE"}});
    let (status, envelope) = env
        .call(
            Method::PUT,
            &format!("{path}?dry_run=true"),
            Some(&operator),
            Some(&off),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    // A superuser may name a program.
    let body = json!({"params": {"mdt.identity_upcall": "/usr/sbin/l_getidentity"}});
    let (status, envelope) = env
        .call(
            Method::PUT,
            &format!("{path}?dry_run=true"),
            Some(&env.token),
            Some(&body),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    env.stop().await
}

async fn mdt_id(env: &TestEnv, fs: Uuid) -> anyhow::Result<Uuid> {
    let rows = store::sql::query(
        &env.db,
        "SELECT id FROM target WHERE filesystem_id = $1 AND kind = 'mdt'",
        [fs.into()],
    )
    .await?;
    Ok(rows
        .first()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .transpose()?
        .unwrap_or_default())
}
