//! A worker whose database connection hangs (no error, no answer) must
//! stop the steps it can no longer heartbeat within the fence interval:
//! the scheduler and other workers take them over once the heartbeat goes
//! stale, and two workers must never run one step's command at once. Once
//! the database answers again, the worker heartbeats and runs steps as
//! before.

use integration_tests::proxy::Proxy;
use integration_tests::{command, job, wait_for, TestEnv};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(90);
/// How long each command takes on the slowed server: longer than the
/// fence interval (80 % of the tests' 1.5 s heartbeat timeout) by a margin.
const SLOW_MS: u64 = 4_000;

/// Whether lustre-sim has the `lnet` module loaded on `host`.
fn lnet_loaded(state: &Path, host: &str) -> anyhow::Result<bool> {
    let shown = integration_tests::lustre::simulator(state)?;
    let found = match &shown["hosts"] {
        Value::Object(by_name) => by_name.get(host).cloned(),
        Value::Array(all) => all.iter().find(|h| h["name"] == host).cloned(),
        _ => None,
    };
    let found = found.ok_or_else(|| anyhow::anyhow!("no host {host}"))?;
    Ok(found["modules"]
        .as_array()
        .is_some_and(|modules| modules.iter().any(|m| m == "lnet")))
}

/// Asks for LNet up on `host`; returns the command started.
async fn start_lnet(env: &TestEnv, host: &str) -> anyhow::Result<String> {
    let (status, envelope) = env
        .patch(&format!("/api/host/{host}"), &json!({"lnet_state": "lnet_up"}))
        .await?;
    anyhow::ensure!(
        status == StatusCode::ACCEPTED,
        "PATCH host answered {status}: {envelope}"
    );
    Ok(envelope["response"]["command"].as_str().unwrap_or_default().to_owned())
}

/// The first step of command `id`.
async fn first_step(env: &TestEnv, id: &str) -> anyhow::Result<Value> {
    Ok(env.command(id).await?["jobs"][0]["steps"][0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_database_hangs_stops_its_step_and_another_completes_it_once() -> anyhow::Result<()> {
    let mut env = TestEnv::start("hungdb").await?;
    env.scheduler().await?;
    let (cluster, state) = env.simulated_cluster(&["oss1"]).await?;
    // Hosts are added by a worker with a healthy connection, which then goes.
    let helper = env.spawn("chroma-worker", &[("CHROMA_WORKER_ID", "helper")])?;
    let host = env.add_hosts(&cluster).await?.remove(0);
    helper.terminate(Duration::from_secs(20)).await?;
    anyhow::ensure!(!lnet_loaded(&state, "oss1")?, "LNet is loaded before the test");

    // The worker under test reaches PostgreSQL through a proxy.
    let (proxy, url) = Proxy::for_database(env.settings.database_url.expose_secret()).await?;
    let frozen = env.spawn(
        "chroma-worker",
        &[("CHROMA_WORKER_ID", "frozen"), ("DATABASE_URL", url.as_str())],
    )?;

    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Slow(SLOW_MS))?;
    let id = start_lnet(&env, &host).await?;
    wait_for(LONG, "the frozen worker to run the step", || async {
        let step = first_step(&env, &id).await?;
        Ok((step["state"] == "running" && step["worker"] == "frozen").then_some(()))
    })
    .await?;
    // Its first command (`modprobe lnet`) is on the server now, for SLOW_MS.
    proxy.freeze();
    let frozen_at = tokio::time::Instant::now();

    // Past the moment that command would have taken effect: the worker,
    // unable to heartbeat, stopped it within the fence interval.
    tokio::time::sleep(Duration::from_millis(SLOW_MS + 1_500)).await;
    assert!(
        !lnet_loaded(&state, "oss1")?,
        "the worker that lost its database went on running the step's command ({:?} after the freeze)",
        frozen_at.elapsed()
    );

    // Another worker takes the step over and completes it.
    let survivor = env.spawn("chroma-worker", &[("CHROMA_WORKER_ID", "survivor")])?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let step = first_step(&env, &id).await?;
    assert_eq!(step["worker"], "survivor", "{step}");
    assert!(lnet_loaded(&state, "oss1")?);

    // New work arrives for the frozen worker alone, still in the outage
    // and while it still holds the step it gave up.
    survivor.terminate(Duration::from_secs(20)).await?;
    let sleep = || json!([{"action": "sleep", "args": {"ms": 1_500}}]);
    let jobs: Vec<Value> = (0..4).map(|i| job(&i.to_string(), sleep(), json!([]), &[])).collect();
    let later = env.submit(&command("after the thaw", &jobs)).await?;

    // Thawed, the frozen worker's late work changes nothing.
    proxy.thaw();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = first_step(&env, &id).await?;
    assert_eq!(
        (
            &after["state"],
            &after["worker"],
            &after["attempts"],
            &after["finished_at"]
        ),
        (&step["state"], &step["worker"], &step["attempts"], &step["finished_at"]),
        "the frozen worker's late result landed: {after}"
    );

    // And it heartbeats again: it runs the new steps to completion, each
    // once, rather than fencing every step it claims.
    let later = env.finished(&later, LONG).await?;
    assert_eq!(later["state"], "succeeded", "{later}");
    for job in later["jobs"].as_array().into_iter().flatten() {
        let step = &job["steps"][0];
        assert_eq!(
            (&step["state"], &step["worker"], &step["attempts"]),
            (&json!("succeeded"), &json!("frozen"), &json!(1)),
            "a step after the thaw was fenced or run twice: {step}"
        );
    }
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Slow(0))?;
    frozen.crash().await?;
    cluster.shutdown().await;
    env.stop().await
}
