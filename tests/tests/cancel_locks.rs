//! Cancelling a job whose step runs a slow command on a server: the
//! command is killed before its effect, and the job keeps its locks until
//! the step has really stopped, so a conflicting job submitted right after
//! the cancel starts only then.

use integration_tests::{command, job, time, wait_for, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);
/// How long each command takes on the slowed server.
const SLOW_MS: u64 = 4_000;

/// The kernel modules lustre-sim has loaded on `host`.
fn modules(state: &Path, host: &str) -> anyhow::Result<Vec<String>> {
    let shown = integration_tests::lustre::simulator(state)?;
    let hosts = &shown["hosts"];
    let found = match hosts {
        Value::Object(by_name) => by_name.get(host).cloned(),
        Value::Array(all) => all.iter().find(|h| h["name"] == host).cloned(),
        _ => None,
    };
    let found = found.ok_or_else(|| anyhow::anyhow!("no host {host} in {hosts}"))?;
    Ok(found["modules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect())
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

async fn step_of(env: &TestEnv, job: &str) -> anyhow::Result<Value> {
    let (status, envelope) = env.get(&format!("/api/job/{job}")).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET job answered {status}: {envelope}");
    Ok(envelope["response"]["steps"][0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_steps_command_is_killed_before_a_conflicting_job_starts() -> anyhow::Result<()> {
    let mut env = TestEnv::start("cancellocks").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let (cluster, state) = env.simulated_cluster(&["oss1"]).await?;
    let host = env.add_hosts(&cluster).await?.remove(0);
    anyhow::ensure!(
        !modules(&state, "oss1")?.contains(&"lnet".to_owned()),
        "LNet is loaded before the test: it proves nothing"
    );
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Slow(SLOW_MS))?;
    let first = start_lnet(&env, &host).await?;
    // What starting LNet locks, taken by a job submitted after the cancel.
    let lock = json!([{"item": format!("lnet/{host}"), "write": true}]);
    let a = env.command(&first).await?["jobs"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    wait_for(LONG, "the step to run", || async {
        Ok((step_of(&env, &a).await?["state"] == "running").then_some(()))
    })
    .await?;
    // Well inside the first command (`modprobe lnet`), which the slowed
    // server holds for SLOW_MS before it takes effect.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let cancelled_at = chrono::Utc::now();
    let (status, envelope) = env.post(&format!("/api/job/{a}/cancel"), &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(
        envelope["response"]["state"], "cancelled",
        "the user sees the job cancelled at once"
    );
    let noop = json!([{"action": "noop"}]);
    let second = env.submit(&command("next", &[job("b", noop, lock, &[])])).await?;

    let second = env.finished(&second, LONG).await?;
    assert_eq!(second["state"], "succeeded", "{second}");
    let first = env.finished(&first, LONG).await?;
    assert_eq!(first["state"], "cancelled", "{first}");
    let stopped = &first["jobs"][0]["steps"][0];
    assert_eq!(stopped["state"], "cancelled", "{stopped}");
    let stopped_at = time(&stopped["finished_at"])?;
    let next_started = time(&second["jobs"][0]["steps"][0]["started_at"])?;
    assert!(
        next_started >= stopped_at,
        "the conflicting job started at {next_started}, before the cancelled step stopped at {stopped_at}"
    );
    // The command was killed, not waited out.
    let kill_took = (stopped_at - cancelled_at).to_std()?;
    assert!(
        kill_took < Duration::from_millis(SLOW_MS - 500),
        "stopping took {kill_took:?}"
    );

    // Past the moment the slow `modprobe` would have ended: it never did.
    let would_end = cancelled_at + chrono::Duration::milliseconds(i64::try_from(SLOW_MS)? + 2_000);
    if let Ok(wait) = (would_end - chrono::Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    let loaded = modules(&state, "oss1")?;
    assert!(
        !loaded.contains(&"lnet".to_owned()),
        "the cancelled command went on to load LNet: {loaded:?}"
    );
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Slow(0))?;
    cluster.shutdown().await;
    env.stop().await
}

/// The state of the first job of command `id`, and of its first step.
async fn first_job(env: &TestEnv, id: &str) -> anyhow::Result<(String, String)> {
    let command = env.command(id).await?;
    let job = &command["jobs"][0];
    Ok((
        job["state"].as_str().unwrap_or_default().to_owned(),
        job["steps"][0]["state"].as_str().unwrap_or_default().to_owned(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_steps_command_that_survives_its_kill_keeps_the_locks_until_it_ends() -> anyhow::Result<()> {
    /// Long enough that the command is killed, not waited out.
    const STUCK_MS: u64 = 60_000;
    /// How long the server ignores kills: past every bound of the kill
    /// before this fix (signal, process-group kill, their waits) plus the
    /// heartbeat timeout and a recovery sweep, after which the step was
    /// let go and its locks released with its command still running.
    const IGNORED: Duration = Duration::from_secs(30);
    let mut env = TestEnv::start("cancelstuck").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let (cluster, state) = env.simulated_cluster(&["oss1"]).await?;
    let host = env.add_hosts(&cluster).await?.remove(0);
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Slow(STUCK_MS))?;
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Unkillable)?;
    let first = start_lnet(&env, &host).await?;
    let lock = json!([{"item": format!("lnet/{host}"), "write": true}]);
    let a = env.command(&first).await?["jobs"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    wait_for(LONG, "the step to run", || async {
        Ok((step_of(&env, &a).await?["state"] == "running").then_some(()))
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let (status, envelope) = env.post(&format!("/api/job/{a}/cancel"), &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let noop = json!([{"action": "noop"}]);
    let second = env.submit(&command("next", &[job("b", noop, lock, &[])])).await?;

    // While the server ignores the kill, the step is cancelling and the
    // conflicting job waits for its lock.
    let ignoring_until = tokio::time::Instant::now() + IGNORED;
    while tokio::time::Instant::now() < ignoring_until {
        let stuck = step_of(&env, &a).await?;
        assert_eq!(stuck["state"], "cancelling", "the unkillable step: {stuck}");
        let (job_state, step_state) = first_job(&env, &second).await?;
        assert!(
            matches!(job_state.as_str(), "pending" | "waiting") && step_state == "pending",
            "the conflicting job started ({job_state}, its step {step_state}) while the cancelled step's command ran"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Kills work again: the worker's next kill stops the command, and only
    // then does the conflicting job run.
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Killable)?;
    let second = env.finished(&second, LONG).await?;
    assert_eq!(second["state"], "succeeded", "{second}");
    let first = env.finished(&first, LONG).await?;
    let stopped = &first["jobs"][0]["steps"][0];
    assert_eq!(stopped["state"], "cancelled", "{stopped}");
    let stopped_at = time(&stopped["finished_at"])?;
    let next_started = time(&second["jobs"][0]["steps"][0]["started_at"])?;
    assert!(
        next_started >= stopped_at,
        "the conflicting job started at {next_started}, before the cancelled step stopped at {stopped_at}"
    );
    let loaded = modules(&state, "oss1")?;
    assert!(
        !loaded.contains(&"lnet".to_owned()),
        "the cancelled command went on to load LNet: {loaded:?}"
    );
    lustre_sim::inject_fault(&state, "oss1", lustre_sim::FaultCommand::Slow(0))?;
    cluster.shutdown().await;
    env.stop().await
}
