//! Control and refusal: failure, cancel, pause/resume, 409s, and bad
//! requests that store nothing.

use integration_tests::{command, job, sleeps, time, wait_for, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

async fn job_view(env: &TestEnv, id: &str) -> anyhow::Result<Value> {
    let (status, envelope) = env.get(&format!("/api/job/{id}")).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET job answered {status}: {envelope}");
    Ok(envelope["response"].clone())
}

async fn step_state(env: &TestEnv, job: &str, index: usize) -> anyhow::Result<String> {
    Ok(job_view(env, job).await?["steps"][index]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_fails_its_job_and_cancels_what_waits_on_it() -> anyhow::Result<()> {
    let mut env = TestEnv::start("fail").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let body = command(
        "fail",
        &[
            job(
                "a",
                json!([{"action": "noop"}, {"action": "fail", "args": {"message": "disk on fire"}}, {"action": "noop"}]),
                json!([]),
                &[],
            ),
            job("b", sleeps(1, 1), json!([]), &["a"]),
            job("c", sleeps(1, 1), json!([]), &["b"]),
        ],
    );
    let id = env.submit(&body).await?;
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "failed", "{done}");
    let jobs = done["jobs"].as_array().cloned().unwrap_or_default();
    assert_eq!(jobs[0]["state"], "failed");
    assert_eq!(jobs[0]["error"], "disk on fire");
    assert_eq!(jobs[0]["steps"][1]["error"], "disk on fire");
    assert_eq!(
        jobs[0]["steps"][2]["state"], "cancelled",
        "a step after the failure ran"
    );
    assert_eq!(jobs[1]["state"], "cancelled");
    assert_eq!(jobs[2]["state"], "cancelled");
    assert_eq!(jobs[2]["steps"][0]["started_at"], Value::Null);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_interrupts_the_running_step_and_cancels_dependents() -> anyhow::Result<()> {
    let mut env = TestEnv::start("cancel").await?;
    env.scheduler().await?;
    env.worker(1).await?;
    let body = command(
        "long",
        &[
            job(
                "a",
                sleeps(1, 30_000),
                json!([{"item": "host/oss1", "write": true}]),
                &[],
            ),
            job("b", sleeps(1, 1), json!([]), &["a"]),
        ],
    );
    let id = env.submit(&body).await?;
    let submitted = env.command(&id).await?;
    let a = submitted["jobs"][0]["id"].as_str().unwrap_or_default().to_owned();
    wait_for(LONG, "step to run", || async {
        Ok((step_state(&env, &a, 0).await? == "running").then_some(()))
    })
    .await?;
    let (status, envelope) = env.post(&format!("/api/job/{a}/cancel"), &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["state"], "cancelled");
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "cancelled", "{done}");
    assert_eq!(done["jobs"][1]["state"], "cancelled");
    // The lock is free and the only worker slot too: the sleep was
    // interrupted, not waited out.
    let next = env
        .submit(&command(
            "next",
            &[job(
                "n",
                sleeps(1, 1),
                json!([{"item": "host/oss1", "write": true}]),
                &[],
            )],
        ))
        .await?;
    let next = env.finished(&next, Duration::from_secs(10)).await?;
    assert_eq!(next["state"], "succeeded", "{next}");
    // Cancelling again makes no sense.
    let (status, envelope) = env.post(&format!("/api/job/{a}/cancel"), &json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "{envelope}");
    assert_eq!(envelope["errors"][0]["code"], "conflict");
    let (status, _) = env.post(&format!("/api/command/{id}/cancel"), &json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_command_cancels_waiting_and_running_jobs() -> anyhow::Result<()> {
    let mut env = TestEnv::start("cancelcmd").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let body = command(
        "cmd",
        &[
            job("a", sleeps(1, 30_000), json!([]), &[]),
            job("b", sleeps(1, 1), json!([]), &["a"]),
        ],
    );
    let id = env.submit(&body).await?;
    let a = env.command(&id).await?["jobs"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    wait_for(LONG, "step to run", || async {
        Ok((step_state(&env, &a, 0).await? == "running").then_some(()))
    })
    .await?;
    let (status, envelope) = env.post(&format!("/api/command/{id}/cancel"), &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["state"], "cancelled");
    assert!(envelope["response"]["jobs"]
        .as_array()
        .is_some_and(|j| j.iter().all(|j| j["state"] == "cancelled")));
    wait_for(Duration::from_secs(10), "running step to be interrupted", || async {
        Ok(job_view(&env, &a).await?["steps"][0]["finished_at"]
            .is_string()
            .then_some(()))
    })
    .await?;
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_job_finishes_its_step_and_starts_no_other_until_resumed() -> anyhow::Result<()> {
    let mut env = TestEnv::start("pause").await?;
    env.scheduler().await?;
    env.worker(2).await?;
    let id = env
        .submit(&command(
            "pause",
            &[job(
                "p",
                json!([{"action": "sleep", "args": {"ms": 600}}, {"action": "noop"}, {"action": "noop"}]),
                json!([]),
                &[],
            )],
        ))
        .await?;
    let j = env.command(&id).await?["jobs"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    wait_for(LONG, "first step to run", || async {
        Ok((step_state(&env, &j, 0).await? == "running").then_some(()))
    })
    .await?;
    let (status, envelope) = env.post(&format!("/api/job/{j}/pause"), &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"]["state"], "paused");
    // The running step finishes...
    wait_for(LONG, "first step to finish", || async {
        Ok((step_state(&env, &j, 0).await? == "succeeded").then_some(()))
    })
    .await?;
    // ...and nothing else starts while paused.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let paused = job_view(&env, &j).await?;
    assert_eq!(paused["state"], "paused");
    assert_eq!(
        paused["steps"][1]["started_at"],
        Value::Null,
        "a step started while paused: {paused}"
    );
    let (status, _) = env.post(&format!("/api/job/{j}/pause"), &json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "pausing a paused job");
    let (status, envelope) = env.post(&format!("/api/job/{j}/resume"), &json!({})).await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let steps = done["jobs"][0]["steps"].as_array().cloned().unwrap_or_default();
    assert!(time(&steps[1]["started_at"])? > time(&steps[0]["finished_at"])? + chrono::Duration::milliseconds(1_000));
    let (status, _) = env.post(&format!("/api/job/{j}/resume"), &json!({})).await?;
    assert_eq!(status, StatusCode::CONFLICT, "resuming a finished job");
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_with_the_field_and_store_nothing() -> anyhow::Result<()> {
    let env = TestEnv::start("badreq").await?;
    let noop = json!([{"action": "noop"}]);
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (
            command(
                "cycle",
                &[
                    job("a", noop.clone(), json!([]), &["b"]),
                    job("b", noop.clone(), json!([]), &["a"]),
                ],
            ),
            "invalid_field",
            Some("jobs"),
        ),
        (
            command("unknown key", &[job("a", noop.clone(), json!([]), &["nope"])]),
            "invalid_field",
            Some("jobs[0].wait_for[0]"),
        ),
        (
            command(
                "unknown action",
                &[job(
                    "a",
                    json!([{"action": "rm", "args": {"path": "/"}}]),
                    json!([]),
                    &[],
                )],
            ),
            "invalid_field",
            Some("jobs[0].steps[0]"),
        ),
        (
            command(
                "bad args",
                &[job(
                    "a",
                    json!([{"action": "sleep", "args": {"ms": "soon"}}]),
                    json!([]),
                    &[],
                )],
            ),
            "invalid_field",
            Some("jobs[0].steps[0]"),
        ),
        (
            command("no steps", &[job("a", json!([]), json!([]), &[])]),
            "invalid_field",
            Some("jobs[0].steps"),
        ),
        (
            command(
                "bad lock",
                &[job("a", noop.clone(), json!([{"item": "oss1", "write": true}]), &[])],
            ),
            "invalid_field",
            Some("jobs[0].locks[0].item"),
        ),
        (
            command(
                "dup",
                &[
                    job("a", noop.clone(), json!([]), &[]),
                    job("a", noop.clone(), json!([]), &[]),
                ],
            ),
            "invalid_field",
            Some("jobs[1].key"),
        ),
        (json!({"message": "no jobs", "jobs": []}), "invalid_field", Some("jobs")),
        (
            json!({"message": "extra", "jobs": [], "priority": 1}),
            "invalid_json",
            None,
        ),
        (json!({"jobs": []}), "invalid_json", None),
    ];
    for (body, code, field) in cases {
        let (status, envelope) = env.post("/api/command", &body).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {envelope}");
        assert_eq!(envelope["success"], false);
        assert_eq!(envelope["errors"][0]["code"], code, "{envelope}");
        if let Some(field) = field {
            assert_eq!(envelope["errors"][0]["field"], field, "{envelope}");
        }
        assert!(envelope["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let raw = env
        .http
        .post(format!("{}/api/command", env.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await?;
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let (status, envelope) = env.get("/api/job?colour=red").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(envelope["errors"][0]["field"], "colour");
    let (status, envelope) = env.get("/api/job?offset=9223372036854775808").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{envelope}");
    assert_eq!(envelope["errors"][0]["field"], "offset");
    let (status, _) = env.get("/api/job?state=sleepy").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = env.get("/api/job/not-a-uuid").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, envelope) = env.get(&format!("/api/command/{}", uuid::Uuid::now_v7())).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(envelope["errors"][0]["code"], "not_found");
    let (status, _) = env
        .post(&format!("/api/job/{}/cancel", uuid::Uuid::now_v7()), &json!({}))
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, envelope) = env.get("/api/command").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        envelope["response"]["meta"]["total_count"], 0,
        "a refused request stored something"
    );
    let (_, envelope) = env.get("/api/job").await?;
    assert_eq!(envelope["response"]["meta"]["total_count"], 0);
    env.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_filter_and_paginate_and_health_reports_both_services() -> anyhow::Result<()> {
    let mut env = TestEnv::start("lists").await?;
    env.scheduler().await?;
    env.worker(4).await?;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            env.submit(&command(&format!("c{i}"), &[job("j", sleeps(1, 1), json!([]), &[])]))
                .await?,
        );
    }
    for id in &ids {
        env.finished(id, LONG).await?;
    }
    let (status, envelope) = env.get("/api/command?limit=2").await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(envelope["response"]["meta"]["total_count"], 3);
    let objects = envelope["response"]["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[0]["id"], ids[2].as_str(), "not newest first");
    let (_, envelope) = env.get(&format!("/api/job?command={}&state=succeeded", ids[0])).await?;
    assert_eq!(envelope["response"]["meta"]["total_count"], 1);
    let (_, envelope) = env.get("/api/job?state=failed").await?;
    assert_eq!(envelope["response"]["meta"]["total_count"], 0);
    let (status, envelope) = env.get("/api/health").await?;
    assert_eq!(status, StatusCode::OK, "{envelope}");
    assert_eq!(envelope["response"], json!({"database": true, "broker": true}));
    env.stop().await
}
