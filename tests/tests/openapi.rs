//! `GET /api/openapi.json` describes the server as it really is: every route
//! with its method and security, and a schema-driven fuzz of every
//! operation (schemathesis) against a seeded simulated cluster (a running
//! file system, a failed-over target, alerts, commands) finds no server
//! error and no response that breaks the document.
//!
//! schemathesis comes from PyPI: `scripts/test.sh` installs a pinned version
//! in `target/venv` and points `SCHEMATHESIS` at it; otherwise the one on
//! `PATH` is used. Without it this test fails, it never skips.

use integration_tests::lustre::{change, filesystem_request, LONG};
use integration_tests::{alerts, command, job, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// Operations left out of the fuzz, because they would break the test's
/// own session rather than show anything about the server:
/// - `DELETE /api/session` revokes the token the fuzz runs with;
/// - `PATCH /api/user/{id}` could disable the superuser, demote them or
///   change their password (which ends their sessions);
/// - `GET /api/stream` never ends (Server-Sent Events), so every call would
///   run into the request timeout;
/// - `POST /api/host/scan` connects to whatever address it is given, and a
///   random name waits on DNS until the resolver gives up.
const NOT_FUZZED: [&str; 4] = ["delete_session", "patch_user_id", "get_stream", "post_host_scan"];

/// Test cases per operation: enough to reach past validation on every
/// route, few enough that the whole fuzz takes a couple of minutes.
const EXAMPLES: &str = "100";

/// The whole fuzz must finish within this.
const FUZZ_TIMEOUT: Duration = Duration::from_secs(480);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_every_route_with_its_security() -> anyhow::Result<()> {
    let env = TestEnv::start("openapi_doc").await?;
    // Public: no token needed.
    let (status, doc) = env.call(Method::GET, "/api/openapi.json", None, None).await?;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["version"], api::routes::version::API_VERSION);
    for (method, path, access) in api::routes::endpoints() {
        let operation = &doc["paths"][format!("/api{path}")][method.as_str().to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} /api{path} is not in the document");
        let secured = operation["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(
            secured,
            access != api::auth::Access::Public,
            "{method} /api{path}: security {}",
            operation["security"]
        );
        assert!(
            operation["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} /api{path} has no responses"
        );
    }
    // The same document under /api/v1.
    let (status, v1) = env.call(Method::GET, "/api/v1/openapi.json", None, None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v1, doc);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_driven_fuzz_of_a_seeded_cluster_finds_no_server_error_and_no_schema_break() -> anyhow::Result<()> {
    let mut env = TestEnv::start("openapi_fuzz").await?;
    let (_cluster, _state, seeded) = seed(&mut env).await?;
    let scratch = std::env::temp_dir().join(format!("chroma-schemathesis-{}", env.name));
    std::fs::create_dir_all(&scratch)?;
    let config = scratch.join("schemathesis.toml");
    std::fs::write(&config, seeded.config())?;
    let mut program = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into());
    // It runs in a scratch directory: a relative path must not depend on that.
    if program.contains('/') {
        if let Ok(path) = std::fs::canonicalize(&program) {
            program = path.to_string_lossy().into_owned();
        }
    }
    let mut command = tokio::process::Command::new(&program);
    command
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/api/openapi.json", env.base))
        .args(["--header", &format!("Authorization: Bearer {}", env.token)])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", EXAMPLES])
        .args(["--request-timeout", "30"])
        // One worker: hypothesis on CPython 3.11 can fail parsing in two
        // threads at once ("AST constructor recursion depth mismatch").
        .args(["--workers", "1"])
        // Nothing kept between runs: no database of examples, and what it
        // caches goes to a scratch directory rather than the source tree.
        .args(["--generation-database", "none"])
        // Every request it sent, to check that the fuzz reached the seed.
        .args(["--report", "ndjson", "--report-ndjson-path"])
        .arg(scratch.join("events.ndjson"));
    for operation in NOT_FUZZED {
        command.args(["--exclude-operation-id", operation]);
    }
    command.current_dir(&scratch).env("NO_COLOR", "1").kill_on_drop(true);
    let started = std::time::Instant::now();
    let output = match tokio::time::timeout(FUZZ_TIMEOUT, command.output()).await {
        Err(_) => panic!("{program} did not finish within {FUZZ_TIMEOUT:?}"),
        Ok(Err(e)) => panic!(
            "cannot run {program:?} ({e}): install schemathesis (scripts/test.sh puts it in target/venv) \
             and set SCHEMATHESIS to its path, or put it on PATH"
        ),
        Ok(Ok(output)) => output,
    };
    let elapsed = started.elapsed();
    let report = format!(
        "{program} exited with {} after {elapsed:.0?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let sent = std::fs::read_to_string(scratch.join("events.ndjson")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(output.status.success(), "{report}");
    // Operations on each kind of object reached the seeded ones, not only
    // random ids that answer 404.
    for (kind, ids) in &seeded.ids {
        let reached = ids
            .iter()
            .filter(|id| sent.contains(&format!("/api/{kind}/{id}")))
            .count();
        assert!(reached > 0, "no request reached a seeded {kind} ({ids:?})\n{report}");
    }
    if std::env::var("TEST_LOG").is_ok() {
        eprintln!("{report}");
    }
    // The session the fuzz ran with is still good: nothing it did logged
    // the superuser out.
    let (status, _) = env.get("/api/session").await?;
    assert_eq!(status, StatusCode::OK);
    env.stop().await
}

/// The ids of the objects a seeded cluster holds, by kind: the fuzz puts
/// them into path parameters (most of the time) so that operations reach
/// real file systems, targets, hosts, alerts, commands and jobs rather
/// than answering 404 to random ids.
struct Seeded {
    ids: Vec<(&'static str, Vec<String>)>,
}

impl Seeded {
    /// A schemathesis configuration binding each kind's `{id}` to its ids.
    /// Deletions keep random ids: removing the seeded file system or hosts
    /// first would leave the other operations nothing to reach.
    fn config(&self) -> String {
        let mut toml = String::new();
        for (kind, ids) in &self.ids {
            let values: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
            toml.push_str(&format!("[dictionaries.{kind}]\nvalues = [{}]\n\n", values.join(", ")));
        }
        for (kind, _) in &self.ids {
            toml.push_str(&format!(
                "[[operations]]\ninclude-path-regex = '/{kind}/\\{{id\\}}'\nexclude-method = \"DELETE\"\n\
                 parameters = {{ \"path.id\" = {{ dictionary = \"{kind}\", probability = 0.8 }} }}\n\n"
            ));
        }
        toml
    }
}

/// Ids of the objects listed at `path`.
async fn ids(env: &TestEnv, path: &str) -> anyhow::Result<Vec<String>> {
    let (status, envelope) = env.get(path).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET {path} answered {status}: {envelope}");
    Ok(envelope["response"]["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str().map(str::to_owned))
        .collect())
}

/// A simulated cluster under management with what an operator's tables
/// hold: a running file system on an HA pair (targets, volumes, parameters),
/// a target failed over (its alert raised), a failed job (its alert),
/// commands, jobs, events, statistics and server logs.
async fn seed(env: &mut TestEnv) -> anyhow::Result<(lustre_sim::ClusterHandle, std::path::PathBuf, Seeded)> {
    env.scheduler().await?;
    env.worker(8).await?;
    env.monitor(Duration::from_secs(1)).await?;
    let (cluster, state) = env.simulated_cluster(&["mds1", "oss1", "oss2"]).await?;
    let hosts = env.add_hosts(&cluster).await?;
    let request = filesystem_request(env, &hosts, "fuzzfs").await?;
    let created = change(env, "POST", "/api/filesystem", request).await?;
    anyhow::ensure!(created["state"] == "succeeded", "creating the file system: {created}");
    let (_, targets) = env.get("/api/target?kind=ost").await?;
    let ost = targets["response"]["objects"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no OST: {targets}"))?;
    let moved = change(env, "POST", &format!("/api/target/{ost}/failover"), json!({})).await?;
    anyhow::ensure!(moved["state"] == "succeeded", "failing over: {moved}");
    alerts::alert_raised(env, "target_failed_over", &format!("target/{ost}")).await?;
    let failing = env
        .submit(&command(
            "a failing job",
            &[job(
                "f",
                json!([{"action": "fail", "args": {"message": "seeded"}}]),
                json!([]),
                &[],
            )],
        ))
        .await?;
    env.finished(&failing, LONG).await?;
    let mut seeded = Seeded { ids: Vec::new() };
    for (kind, path) in [
        ("filesystem", "/api/filesystem"),
        ("target", "/api/target"),
        ("host", "/api/host"),
        ("ha_cluster", "/api/ha_cluster"),
        ("alert", "/api/alert"),
        ("command", "/api/command"),
        ("job", "/api/job"),
    ] {
        let found = ids(env, path).await?;
        anyhow::ensure!(!found.is_empty(), "the seeded cluster has nothing at {path}");
        seeded.ids.push((kind, found));
    }
    Ok((cluster, state, seeded))
}
