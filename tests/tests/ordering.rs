//! Ordering: steps within a job, `wait_for` between jobs, write locks that
//! serialise, read locks that share, and independent jobs that overlap.

use chrono::{DateTime, Utc};
use integration_tests::{command, job, sleeps, time, TestEnv};
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// (first step started, last step finished) of a job in a command view.
fn span(job: &Value) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let steps = job["steps"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no steps in {job}"))?;
    let first = steps.first().ok_or_else(|| anyhow::anyhow!("empty steps"))?;
    let last = steps.last().ok_or_else(|| anyhow::anyhow!("empty steps"))?;
    Ok((time(&first["started_at"])?, time(&last["finished_at"])?))
}

fn overlaps(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Fails naming `what` if any two spans overlap.
fn assert_disjoint(spans: &[(DateTime<Utc>, DateTime<Utc>)], what: &str) {
    for (i, a) in spans.iter().enumerate() {
        for b in &spans[i + 1..] {
            assert!(!overlaps(*a, *b), "{what}: {a:?} {b:?}");
        }
    }
}

/// Waits for each command, checks it succeeded, and returns the span of
/// its first job.
async fn succeeded_spans(env: &TestEnv, ids: &[String]) -> anyhow::Result<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let mut spans = Vec::new();
    for id in ids {
        let done = env.finished(id, LONG).await?;
        assert_eq!(done["state"], "succeeded", "{done}");
        spans.push(span(&done["jobs"][0])?);
    }
    Ok(spans)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_of_a_job_run_in_order_and_report_output() -> anyhow::Result<()> {
    let mut env = TestEnv::start("order").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let steps = json!([
        {"action": "sleep", "args": {"ms": 80}},
        {"action": "noop"},
        {"action": "sleep", "args": {"ms": 30}},
        {"action": "noop"}
    ]);
    let id = env
        .submit(&command("order", &[job("only", steps, json!([]), &[])]))
        .await?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let steps = done["jobs"][0]["steps"].as_array().cloned().unwrap_or_default();
    assert_eq!(steps.len(), 4);
    for pair in steps.windows(2) {
        assert!(
            time(&pair[0]["finished_at"])? <= time(&pair[1]["started_at"])?,
            "steps overlap: {pair:?}"
        );
    }
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(step["index"], i);
        assert_eq!(step["state"], "succeeded");
        assert_eq!(step["attempts"], 1);
    }
    assert_eq!(steps[0]["output"], json!({"slept_ms": 80}));
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_runs_a_job_only_after_the_one_it_waits_for() -> anyhow::Result<()> {
    let mut env = TestEnv::start("waitfor").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    // Listed dependent-first, so the order cannot come from the list.
    let body = command(
        "chain",
        &[
            job("third", sleeps(1, 10), json!([]), &["second"]),
            job("second", sleeps(1, 100), json!([]), &["first"]),
            job("first", sleeps(2, 100), json!([]), &[]),
        ],
    );
    let id = env.submit(&body).await?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let by_key = |key: &str| {
        done["jobs"]
            .as_array()
            .and_then(|j| j.iter().find(|j| j["key"] == key))
            .cloned()
    };
    let (first, second, third) = (
        span(&by_key("first").unwrap_or_default())?,
        span(&by_key("second").unwrap_or_default())?,
        span(&by_key("third").unwrap_or_default())?,
    );
    assert!(first.1 <= second.0, "second started before first finished");
    assert!(second.1 <= third.0, "third started before second finished");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_locks_never_overlap_while_independent_jobs_do() -> anyhow::Result<()> {
    let mut env = TestEnv::start("writelock").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let mut ids = Vec::new();
    for i in 0..4 {
        let locks = json!([{"item": "host/oss1", "write": true}]);
        ids.push(
            env.submit(&command(&format!("w{i}"), &[job("w", sleeps(2, 120), locks, &[])]))
                .await?,
        );
    }
    let free = env
        .submit(&command(
            "free",
            &[job(
                "f",
                sleeps(1, 300),
                json!([{"item": "host/oss2", "write": true}]),
                &[],
            )],
        ))
        .await?;
    let spans = succeeded_spans(&env, &ids).await?;
    assert_disjoint(&spans, "write locks on host/oss1 overlapped");
    // Granted in submission order.
    for pair in spans.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "write locks were not granted in submission order"
        );
    }
    let free = span(&env.finished(&free, LONG).await?["jobs"][0])?;
    assert!(
        spans.iter().any(|s| overlaps(*s, free)),
        "an independent job did not run in parallel"
    );
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_locks_share_and_a_writer_waits_its_turn() -> anyhow::Result<()> {
    let mut env = TestEnv::start("readlock").await?;
    env.scheduler().await?;
    env.worker(8).await?;
    let read = || json!([{"item": "filesystem/fs1", "write": false}]);
    let r1 = env
        .submit(&command("r1", &[job("r", sleeps(1, 400), read(), &[])]))
        .await?;
    let r2 = env
        .submit(&command("r2", &[job("r", sleeps(1, 400), read(), &[])]))
        .await?;
    let w = env
        .submit(&command(
            "w",
            &[job(
                "w",
                sleeps(1, 200),
                json!([{"item": "filesystem/fs1", "write": true}]),
                &[],
            )],
        ))
        .await?;
    // A reader submitted after the writer waits for it (no starvation).
    let r3 = env
        .submit(&command("r3", &[job("r", sleeps(1, 50), read(), &[])]))
        .await?;
    let r1 = span(&env.finished(&r1, LONG).await?["jobs"][0])?;
    let r2 = span(&env.finished(&r2, LONG).await?["jobs"][0])?;
    let w = span(&env.finished(&w, LONG).await?["jobs"][0])?;
    let r3 = span(&env.finished(&r3, LONG).await?["jobs"][0])?;
    assert!(overlaps(r1, r2), "read locks did not share: {r1:?} {r2:?}");
    assert!(w.0 >= r1.1 && w.0 >= r2.1, "the writer ran beside readers");
    assert!(r3.0 >= w.1, "a later reader overtook the waiting writer");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_never_grant_a_write_lock_twice() -> anyhow::Result<()> {
    let mut env = TestEnv::start("twosched").await?;
    env.scheduler().await?;
    env.scheduler().await?;
    env.worker(16).await?;
    let mut ids = Vec::new();
    for i in 0..12 {
        let locks = json!([{"item": "target/fs1-OST0000", "write": true}]);
        ids.push(
            env.submit(&command(&format!("c{i}"), &[job("j", sleeps(2, 15), locks, &[])]))
                .await?,
        );
    }
    let spans = succeeded_spans(&env, &ids).await?;
    assert_disjoint(&spans, "two jobs held one write lock at once");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_queue_behind_one_item_does_not_hide_independent_jobs() -> anyhow::Result<()> {
    let mut env = TestEnv::start("longqueue").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let busy = || json!([{"item": "host/busy", "write": true}]);
    let holder = env
        .submit(&command("holder", &[job("h", sleeps(1, 60_000), busy(), &[])]))
        .await?;
    // More waiting jobs than one page of a grant pass looks at.
    let mut queued = Vec::new();
    for c in 0..2 {
        let jobs: Vec<Value> = (0..600)
            .map(|i| job(&format!("q{i}"), sleeps(1, 1), busy(), &[]))
            .collect();
        queued.push(env.submit(&command(&format!("queue{c}"), &jobs)).await?);
    }
    let free = env
        .submit(&command(
            "free",
            &[job(
                "f",
                sleeps(1, 1),
                json!([{"item": "host/idle", "write": true}]),
                &[],
            )],
        ))
        .await?;
    let done = env.finished(&free, Duration::from_secs(20)).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(env.command(&holder).await?["state"], "running");
    for id in queued.iter().chain([&holder]) {
        let (status, envelope) = env.post(&format!("/api/command/{id}/cancel"), &json!({})).await?;
        assert_eq!(status, reqwest::StatusCode::OK, "{envelope}");
    }
    env.stop().await
}
