//! Crash safety with real processes: SIGKILL of a worker or the scheduler,
//! a poison step, a graceful SIGTERM, and a broker restart. Nothing
//! submitted is lost and no finished step runs again.

use integration_tests::{command, job, sleeps, wait_for, Process, TestEnv};
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(90);

/// The first step of the first job of a command.
async fn first_step(env: &TestEnv, id: &str) -> anyhow::Result<Value> {
    Ok(env.command(id).await?["jobs"][0]["steps"][0].clone())
}

async fn wait_running_attempt(env: &TestEnv, id: &str, attempt: i64) -> anyhow::Result<Value> {
    wait_for(LONG, &format!("attempt {attempt} to run"), || async {
        let step = first_step(env, id).await?;
        Ok((step["state"] == "running" && step["attempts"] == attempt).then_some(step))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_whose_worker_is_killed_is_redelivered_and_completes() -> anyhow::Result<()> {
    let mut env = TestEnv::start("killworker").await?;
    env.scheduler().await?;
    let doomed = env.spawn("chroma-worker", &[("CHROMA_WORKER_ID", "doomed")])?;
    let id = env
        .submit(&command(
            "k",
            &[job(
                "j",
                json!([{"action": "sleep", "args": {"ms": 2_000}}, {"action": "noop"}]),
                json!([]),
                &[],
            )],
        ))
        .await?;
    let step = wait_running_attempt(&env, &id, 1).await?;
    assert_eq!(step["worker"], "doomed");
    doomed.crash().await?;
    let _survivor = env.spawn("chroma-worker", &[("CHROMA_WORKER_ID", "survivor")])?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let step = &done["jobs"][0]["steps"][0];
    assert_eq!(step["worker"], "survivor");
    assert_eq!(
        step["attempts"], 2,
        "the step should have been claimed exactly twice: {step}"
    );
    assert_eq!(done["jobs"][0]["steps"][1]["attempts"], 1);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_finishes_when_the_scheduler_is_killed_mid_flight() -> anyhow::Result<()> {
    let env = TestEnv::start("killsched").await?;
    let scheduler = env.spawn("chroma-scheduler", &[])?;
    let _w1 = env.spawn("chroma-worker", &[("CHROMA_WORKER_CONCURRENCY", "8")])?;
    let _w2 = env.spawn("chroma-worker", &[("CHROMA_WORKER_CONCURRENCY", "8")])?;
    let mut ids = Vec::new();
    for i in 0..30 {
        let locks = json!([{"item": format!("host/oss{}", i % 3), "write": true}]);
        ids.push(
            env.submit(&command(&format!("c{i}"), &[job("j", sleeps(4, 20), locks, &[])]))
                .await?,
        );
    }
    // Let it get going, then kill it while steps are in flight.
    wait_for(LONG, "some commands to finish", || async {
        let (_, envelope) = env.get("/api/command?state=succeeded").await?;
        Ok((envelope["response"]["meta"]["total_count"].as_u64().unwrap_or(0) >= 3).then_some(()))
    })
    .await?;
    let (_, envelope) = env.get("/api/command?state=succeeded").await?;
    let finished = envelope["response"]["meta"]["total_count"].as_u64().unwrap_or(0);
    anyhow::ensure!(
        finished < 30,
        "everything finished before the kill; the test proves nothing"
    );
    scheduler.crash().await?;
    // Work submitted while no scheduler runs is not lost either.
    for i in 30..35 {
        ids.push(
            env.submit(&command(&format!("c{i}"), &[job("j", sleeps(2, 5), json!([]), &[])]))
                .await?,
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _restarted = env.spawn("chroma-scheduler", &[])?;
    for id in &ids {
        let done = env.finished(id, LONG).await?;
        assert_eq!(done["state"], "succeeded", "{done}");
        for step in done["jobs"][0]["steps"].as_array().cloned().unwrap_or_default() {
            assert_eq!(step["attempts"], 1, "a step ran twice: {step}");
        }
    }
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_keeps_killing_its_workers_is_dead_lettered_and_fails_its_job() -> anyhow::Result<()> {
    let mut env = TestEnv::start("poison").await?;
    env.scheduler().await?;
    let id = env
        .submit(&command("poison", &[job("p", sleeps(1, 60_000), json!([]), &[])]))
        .await?;
    let limit = i64::from(env.settings.delivery_limit);
    let mut attempt = 0;
    // Each worker dies while running the step, as a crashing action would.
    let failed = loop {
        let worker = env.spawn("chroma-worker", &[])?;
        let next = attempt + 1;
        let outcome = wait_for(LONG, "the step to run again or its job to fail", || async {
            let command = env.command(&id).await?;
            let step = &command["jobs"][0]["steps"][0];
            let running = step["state"] == "running" && step["attempts"] == next;
            Ok((running || command["state"] == "failed").then(|| (running, command.clone())))
        })
        .await?;
        worker.crash().await?;
        match outcome {
            (true, _) => attempt = next,
            (false, command) => break command,
        }
        anyhow::ensure!(
            attempt <= limit + 2,
            "the step was never dead-lettered after {attempt} attempts"
        );
    };
    assert_eq!(failed["jobs"][0]["state"], "failed");
    let error = failed["jobs"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("dead-lettered"), "unclear reason: {error}");
    assert!(attempt >= limit, "dead-lettered after only {attempt} attempts");
    // An operator is alerted, once for the dead letter and once for the job.
    let job_item = format!("job/{}", failed["jobs"][0]["id"].as_str().unwrap_or_default());
    let (status, alerts) = env.get(&format!("/api/alert?active=true&item={job_item}")).await?;
    assert_eq!(status, reqwest::StatusCode::OK, "{alerts}");
    let kinds: Vec<&str> = alerts["response"]["objects"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["kind"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        kinds.contains(&"step_dead_lettered") && kinds.contains(&"job_failed"),
        "alerts on {job_item}: {alerts}"
    );
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_worker_finish_its_step_then_exit() -> anyhow::Result<()> {
    let mut env = TestEnv::start("sigterm").await?;
    env.scheduler().await?;
    let worker = env.spawn("chroma-worker", &[("CHROMA_WORKER_ID", "leaving")])?;
    let id = env
        .submit(&command("t", &[job("j", sleeps(1, 1_500), json!([]), &[])]))
        .await?;
    wait_running_attempt(&env, &id, 1).await?;
    let code = worker.terminate(Duration::from_secs(10)).await?;
    assert_eq!(code, Some(0));
    let step = first_step(&env, &id).await?;
    assert_eq!(
        step["state"], "succeeded",
        "the step was not finished before exit: {step}"
    );
    assert_eq!(step["attempts"], 1);
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded");
    // A step that outlasts the grace period is handed back and finished
    // by another worker.
    let quick = env.spawn(
        "chroma-worker",
        &[("CHROMA_WORKER_DRAIN_MS", "300"), ("CHROMA_WORKER_ID", "impatient")],
    )?;
    let id = env
        .submit(&command("t2", &[job("j", sleeps(1, 3_000), json!([]), &[])]))
        .await?;
    wait_running_attempt(&env, &id, 1).await?;
    assert_eq!(quick.terminate(Duration::from_secs(10)).await?, Some(0));
    assert_eq!(
        first_step(&env, &id).await?["state"],
        "queued",
        "the step was not handed back"
    );
    let _next = env.spawn("chroma-worker", &[("CHROMA_WORKER_ID", "next")])?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["jobs"][0]["steps"][0]["worker"], "next");
    env.stop().await
}

/// A RabbitMQ node of this test's own, so restarting it disturbs no one.
struct PrivateBroker {
    port: u16,
    dir: std::path::PathBuf,
}

impl PrivateBroker {
    fn script() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/test-broker.sh")
    }

    async fn run(&self, action: &str) -> anyhow::Result<()> {
        let output = tokio::process::Command::new(Self::script())
            .args([action, &self.port.to_string(), &self.dir.to_string_lossy()])
            .env("TEST_BROKER_QUIET", "1")
            .output()
            .await?;
        anyhow::ensure!(
            output.status.success(),
            "test-broker.sh {action} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }

    async fn start() -> anyhow::Result<Self> {
        let port = 20_000 + (std::process::id() % 20_000) as u16;
        let dir = std::env::temp_dir().join(format!("chroma-test-broker-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        let broker = Self { port, dir };
        broker.run("start").await?;
        Ok(broker)
    }

    fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_while_jobs_are_in_flight_loses_nothing() -> anyhow::Result<()> {
    let broker = PrivateBroker::start().await?;
    let outcome = broker_restart(&broker).await;
    broker.run("stop").await?;
    let _ = std::fs::remove_dir_all(&broker.dir);
    outcome
}

async fn broker_restart(broker: &PrivateBroker) -> anyhow::Result<()> {
    let mut env = TestEnv::start_on("brokerrestart", Some(&broker.url())).await?;
    env.scheduler().await?;
    let _w1: Process = env.spawn("chroma-worker", &[])?;
    let _w2: Process = env.spawn("chroma-worker", &[])?;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(
            env.submit(&command(&format!("c{i}"), &[job("j", sleeps(6, 150), json!([]), &[])]))
                .await?,
        );
    }
    wait_for(LONG, "some commands to finish", || async {
        let (_, envelope) = env.get("/api/command?state=succeeded").await?;
        Ok((envelope["response"]["meta"]["total_count"].as_u64().unwrap_or(0) >= 2).then_some(()))
    })
    .await?;
    let (_, envelope) = env.get("/api/command?state=succeeded").await?;
    let finished = envelope["response"]["meta"]["total_count"].as_u64().unwrap_or(0);
    anyhow::ensure!(
        finished < 40,
        "everything finished before the restart; the test proves nothing"
    );
    broker.run("restart-full").await?;
    // Submitted while the broker was away or reconnecting.
    for i in 40..45 {
        ids.push(
            env.submit(&command(&format!("c{i}"), &[job("j", sleeps(2, 5), json!([]), &[])]))
                .await?,
        );
    }
    for id in &ids {
        let done = env.finished(id, LONG).await?;
        assert_eq!(done["state"], "succeeded", "{done}");
    }
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_whose_message_was_lost_is_published_again() -> anyhow::Result<()> {
    let mut env = TestEnv::start("lostmessage").await?;
    env.scheduler().await?;
    let id = env
        .submit(&command("lost", &[job("j", sleeps(2, 1), json!([]), &[])]))
        .await?;
    wait_for(LONG, "the first step to be queued", || async {
        Ok((first_step(&env, &id).await?["state"] == "queued").then_some(()))
    })
    .await?;
    // The broker loses the message (as a purge by an operator would). The
    // step is marked queued just before its message is published, so wait
    // for the message to be there.
    let broker = broker::Broker::new(&env.settings)?;
    let channel = broker.channel().await?;
    let purged = wait_for(LONG, "the step's message to be purged", || async {
        let purged = channel
            .queue_purge(&env.settings.topology().steps, Default::default())
            .await?;
        Ok((purged > 0).then_some(purged))
    })
    .await?;
    // One copy, or two when the recovery sweep published it again before
    // the purge (a slow machine): either way no copy is left.
    anyhow::ensure!(
        (1..=2).contains(&purged),
        "expected the step's message in the queue, found {purged}"
    );
    channel.close(200, "purged").await?;
    env.worker(2).await?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["jobs"][0]["steps"][0]["attempts"], 1);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_step_whose_worker_and_message_are_both_gone_is_rescued() -> anyhow::Result<()> {
    let mut env = TestEnv::start("rescue").await?;
    env.scheduler().await?;
    let doomed = env.spawn("chroma-worker", &[("CHROMA_WORKER_ID", "doomed")])?;
    let id = env
        .submit(&command("r", &[job("j", sleeps(1, 1_000), json!([]), &[])]))
        .await?;
    wait_running_attempt(&env, &id, 1).await?;
    doomed.crash().await?;
    // The broker requeued the message; lose it too.
    let broker = broker::Broker::new(&env.settings)?;
    let channel = broker.channel().await?;
    let purged = wait_for(LONG, "the requeued message to be purged", || async {
        let purged = channel
            .queue_purge(&env.settings.topology().steps, Default::default())
            .await?;
        Ok((purged > 0).then_some(purged))
    })
    .await?;
    // One copy, or two when the recovery sweep published one again before
    // the purge (a slow machine): either way no copy is left.
    assert!((1..=2).contains(&purged), "purged {purged} messages");
    channel.close(200, "purged").await?;
    env.worker(2).await?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["jobs"][0]["steps"][0]["attempts"], 2);
    env.stop().await
}
