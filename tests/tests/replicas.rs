//! Several of each process against one PostgreSQL and one RabbitMQ: two
//! API replicas, two schedulers, four workers, two monitors and two plugin
//! hosts, all real child processes, and eight simulated servers. The
//! monitors split the servers (each polls some, no server is polled by
//! both), the plugin hosts split the plugins, failed logins count across
//! the API replicas; then one of each is SIGKILLed while a command runs:
//! the command succeeds, the surviving API answers, and the killed
//! monitor's servers and the killed plugin host's plugins are taken over
//! within one interval.

use integration_tests::lustre::plugin_manifest;
use integration_tests::{sleeps, wait_for, Process, TestEnv};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};
use store::leases::{self, Kind};
use uuid::Uuid;

const LONG: Duration = Duration::from_secs(90);
/// The monitors' interval, which is also their leases' time-to-live.
const INTERVAL: Duration = Duration::from_secs(1);
/// Time for a busy two-core machine on top of one interval.
const SLACK: Duration = Duration::from_secs(4);
const SERVERS: [&str; 8] = ["oss1", "oss2", "oss3", "oss4", "oss5", "oss6", "oss7", "oss8"];
const PLUGINS: [&str; 4] = ["shelf1", "shelf2", "shelf3", "shelf4"];

/// A port free now, for an API replica to bind.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// An API replica as a child process; its base URL.
fn api(env: &TestEnv) -> anyhow::Result<(Process, String)> {
    let bind = format!("127.0.0.1:{}", free_port()?);
    let process = env.spawn("chroma-api", &[("CHROMA_BIND", &bind)])?;
    Ok((process, format!("http://{bind}")))
}

/// Waits until the API at `base` answers.
async fn answering(base: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    wait_for(LONG, &format!("the API at {base} to answer"), || async {
        let up = client.get(format!("{base}/api/openapi.json")).send().await;
        Ok(up.is_ok_and(|r| r.status().is_success()).then_some(()))
    })
    .await
}

/// A failed login as `name` at `base`: its status.
async fn wrong_login(base: &str, name: &str) -> anyhow::Result<StatusCode> {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/session"))
        .json(&json!({"username": name, "password": "not the password"}))
        .send()
        .await?;
    Ok(response.status())
}

/// Which monitor holds each server's group: host name → holder.
async fn monitor_leases(env: &TestEnv, names: &BTreeMap<Uuid, String>) -> anyhow::Result<BTreeMap<String, Uuid>> {
    let held = leases::holders(&env.db, Kind::Monitor).await?;
    Ok(names
        .iter()
        .filter_map(|(id, name)| held.get(&format!("servers/{id}")).map(|h| (name.clone(), *h)))
        .collect())
}

/// When each server last answered a poll.
async fn contacts(env: &TestEnv) -> anyhow::Result<BTreeMap<Uuid, chrono::DateTime<chrono::Utc>>> {
    let rows = env
        .db
        .query_all(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id, last_contact_at FROM host WHERE last_contact_at IS NOT NULL",
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "last_contact_at")?)))
        .collect()
}

/// The rounds a monitor logged (`round polls`): when, and the servers polled.
fn rounds(log: &Path) -> anyhow::Result<Vec<(chrono::DateTime<chrono::Utc>, BTreeSet<String>)>> {
    let text = std::fs::read_to_string(log)?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.contains("round polls")) {
        let plain: String = strip_ansi(line);
        let Some(at) = plain
            .split_whitespace()
            .next()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        else {
            continue;
        };
        let Some(list) = plain.split("hosts=[").nth(1).and_then(|r| r.split(']').next()) else {
            continue;
        };
        let hosts = list
            .split(',')
            .map(|h| h.trim().trim_matches('"').to_owned())
            .filter(|h| !h.is_empty())
            .collect();
        out.push((at.with_timezone(&chrono::Utc), hosts));
    }
    Ok(out)
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The servers a monitor polled in its rounds between `from` and `to`.
fn polled(
    log: &Path,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(usize, BTreeSet<String>)> {
    let rounds: Vec<_> = rounds(log)?
        .into_iter()
        .filter(|(at, _)| *at >= from && *at < to)
        .collect();
    Ok((rounds.len(), rounds.into_iter().flat_map(|(_, h)| h).collect()))
}

/// The example plugin of docs/plugins.md, as `name`, in `dir`.
fn example_plugin(dir: &Path, name: &str) -> anyhow::Result<()> {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/plugins.md"))?;
    let example = docs
        .split("## A complete example")
        .nth(1)
        .and_then(|rest| rest.split("```python\n").nth(1))
        .and_then(|code| code.split("\n```").next())
        .unwrap_or_default();
    anyhow::ensure!(example.contains("def handle"), "no example plugin in docs/plugins.md");
    // It answers `initialize` with its own name.
    let renamed = example.replace(
        r#""name": "shelf", "version""#,
        &format!(r#""name": "{name}", "version""#),
    );
    anyhow::ensure!(
        renamed != example,
        "the example plugin no longer names itself as expected"
    );
    let script = dir.join(format!("{name}.py"));
    std::fs::write(&script, renamed)?;
    plugin_manifest(dir, name, &["python3".into(), script.to_string_lossy().into_owned()])
}

/// Each plugin's detection time.
async fn detections(env: &TestEnv) -> anyhow::Result<BTreeMap<String, Option<chrono::DateTime<chrono::Utc>>>> {
    let rows = env
        .db
        .query_all(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT name, detected_at FROM storage_plugin",
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "name")?, r.try_get("", "detected_at")?)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_of_each_process_share_the_work_and_survive_losing_one_of_each() -> anyhow::Result<()> {
    // The monitors say which servers each round polls.
    std::env::set_var("TEST_CHILD_LOG", "info,monitor::share=debug");
    let mut env = TestEnv::start("replicas").await?;
    env.settings.monitor_interval = INTERVAL;
    let dir = std::env::temp_dir().join(format!("chroma-plugins-{}", env.name));
    std::fs::create_dir_all(&dir)?;
    for name in PLUGINS {
        example_plugin(&dir, name)?;
    }
    env.settings.plugin_dir = dir.clone();
    let plugin_dir = dir.to_string_lossy().into_owned();

    let (api1, base1) = api(&env)?;
    let (_api2, base2) = api(&env)?;
    let scheduler1 = env.spawn("chroma-scheduler", &[])?;
    let _scheduler2 = env.spawn("chroma-scheduler", &[])?;
    let mut workers = Vec::new();
    for i in 1..=4 {
        let id = format!("worker{i}");
        workers.push((id.clone(), env.spawn("chroma-worker", &[("CHROMA_WORKER_ID", &id)])?));
    }
    let monitor1 = env.spawn("chroma-monitor", &[])?;
    let monitor2 = env.spawn("chroma-monitor", &[])?;
    let plugins1 = env.spawn("chroma-plugins", &[("CHROMA_PLUGIN_DIR", &plugin_dir)])?;
    let _plugins2 = env.spawn("chroma-plugins", &[("CHROMA_PLUGIN_DIR", &plugin_dir)])?;
    answering(&base1).await?;
    answering(&base2).await?;

    let (cluster, _state) = env.simulated_cluster(&SERVERS).await?;
    let ids = env.add_hosts(&cluster).await?;
    let ids: Vec<Uuid> = ids.iter().map(|i| Uuid::parse_str(i)).collect::<Result<_, _>>()?;
    let names: BTreeMap<Uuid, String> = ids.iter().copied().zip(SERVERS.map(str::to_owned)).collect();

    // The monitors split the servers: each holds some, every one is held.
    let split = wait_for(LONG, "the monitors to split the servers", || async {
        let held = monitor_leases(&env, &names).await?;
        let holders: BTreeSet<Uuid> = held.values().copied().collect();
        Ok((held.len() == SERVERS.len() && holders.len() == 2).then_some(held))
    })
    .await?;
    // A few rounds once split: no server is polled by both monitors, and
    // each polls exactly the servers it holds.
    let from = chrono::Utc::now() + chrono::Duration::milliseconds(500);
    tokio::time::sleep(INTERVAL * 4).await;
    let to = chrono::Utc::now() - chrono::Duration::milliseconds(500);
    let still = monitor_leases(&env, &names).await?;
    assert_eq!(still, split, "the split changed while nothing joined or left");
    let (rounds1, polled1) = polled(&monitor1.log, from, to)?;
    let (rounds2, polled2) = polled(&monitor2.log, from, to)?;
    assert!(rounds1 >= 2 && rounds2 >= 2, "{rounds1} and {rounds2} rounds in 3 s");
    assert!(
        polled1.is_disjoint(&polled2),
        "polled by both: {polled1:?} and {polled2:?}"
    );
    let all: BTreeSet<String> = polled1.union(&polled2).cloned().collect();
    assert_eq!(all, SERVERS.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>());
    assert!(
        !polled1.is_empty() && !polled2.is_empty(),
        "one monitor polls everything"
    );

    // The plugin hosts split the plugins, and every plugin detects.
    let plugin_split = wait_for(LONG, "the plugin hosts to split the plugins", || async {
        let held = leases::holders(&env.db, Kind::PluginHost).await?;
        let detected = detections(&env).await?;
        let all_detect = PLUGINS.iter().all(|p| detected.get(*p).is_some_and(Option::is_some));
        let holders: BTreeSet<Uuid> = held.values().copied().collect();
        Ok((held.len() == PLUGINS.len() && holders.len() == 2 && all_detect).then_some(held))
    })
    .await?;

    // Failed logins count across the replicas.
    for i in 0..api::auth::limiter::MAX_FAILURES {
        let base = if i % 2 == 0 { &base1 } else { &base2 };
        assert_eq!(wrong_login(base, "nobody").await?, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(wrong_login(&base2, "nobody").await?, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(wrong_login(&base1, "nobody").await?, StatusCode::TOO_MANY_REQUESTS);

    // A command at work: three jobs of sleeping steps on the workers.
    let jobs: Vec<Value> = (0..3)
        .map(|i| integration_tests::job(&format!("j{i}"), sleeps(8, 400), json!([]), &[]))
        .collect();
    let id = env
        .submit(&integration_tests::command("replicas at work", &jobs))
        .await?;
    let busy = wait_for(LONG, "a step to run", || async {
        let command = env.command(&id).await?;
        let running = command["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|j| j["steps"].as_array().cloned().unwrap_or_default())
            .find(|s| s["state"] == "running")
            .and_then(|s| s["worker"].as_str().map(str::to_owned));
        Ok(running)
    })
    .await?;

    // One of each dies at once.
    let monitor1_id = *split.get(&first_polled(&polled1)).unwrap_or(&Uuid::nil());
    let monitor1_servers: Vec<Uuid> = split
        .iter()
        .filter(|(_, h)| **h == monitor1_id)
        .filter_map(|(n, _)| names.iter().find(|(_, m)| *m == n).map(|(id, _)| *id))
        .collect();
    let plugins1_id = plugin_holder_of(&env, &plugin_split, &plugins1.log)?;
    let killed_at = chrono::Utc::now();
    let started = Instant::now();
    let worker = workers
        .iter()
        .position(|(w, _)| *w == busy)
        .map(|i| workers.remove(i).1);
    if let Some(worker) = worker {
        worker.crash().await?;
    }
    api1.crash().await?;
    scheduler1.crash().await?;
    monitor1.crash().await?;
    plugins1.crash().await?;

    // The other monitor polls the dead one's servers within one interval.
    let mut taken_over = None;
    while started.elapsed() < LONG {
        let seen = contacts(&env).await?;
        if monitor1_servers
            .iter()
            .all(|s| seen.get(s).is_some_and(|at| *at > killed_at))
        {
            taken_over = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let taken_over = taken_over.ok_or_else(|| anyhow::anyhow!("the killed monitor's servers were not polled again"))?;
    assert!(
        taken_over <= INTERVAL + SLACK,
        "the killed monitor's servers were polled again after {taken_over:?}"
    );
    let held = monitor_leases(&env, &names).await?;
    assert!(
        held.len() == SERVERS.len() && held.values().all(|h| *h != monitor1_id),
        "{held:?}"
    );

    // The other plugin host runs the dead one's plugins.
    let orphans: Vec<String> = plugin_split
        .iter()
        .filter(|(_, h)| **h == plugins1_id)
        .map(|(u, _)| u.trim_start_matches("plugin/").to_owned())
        .collect();
    assert!(!orphans.is_empty());
    wait_for(
        INTERVAL + SLACK * 3,
        "the survivor to detect with the dead host's plugins",
        || async {
            let held = leases::holders(&env.db, Kind::PluginHost).await?;
            let detected = detections(&env).await?;
            let done = orphans.iter().all(|p| {
                held.get(&format!("plugin/{p}")).is_some_and(|h| *h != plugins1_id)
                    && detected.get(p).copied().flatten().is_some_and(|at| at > killed_at)
            });
            Ok(done.then_some(()))
        },
    )
    .await?;

    // The command finishes, as the surviving replica tells.
    let done = env.finished(&id, LONG).await?;
    assert_eq!(done["state"], "succeeded", "{done}");
    let (status, envelope) = {
        let response = reqwest::Client::new()
            .get(format!("{base2}/api/command/{id}"))
            .bearer_auth(&env.token)
            .send()
            .await?;
        (response.status(), response.json::<Value>().await?)
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(envelope["response"]["state"], "succeeded");
    cluster.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    env.stop().await
}

/// One server `polled` names (to find its holder).
fn first_polled(polled: &BTreeSet<String>) -> String {
    polled.iter().next().cloned().unwrap_or_default()
}

/// The instance id of the plugin host that logged to `log`, among the
/// holders of `split`.
fn plugin_holder_of(
    _env: &TestEnv,
    split: &std::collections::HashMap<String, Uuid>,
    log: &Path,
) -> anyhow::Result<Uuid> {
    let text = strip_ansi(&std::fs::read_to_string(log)?);
    split
        .values()
        .find(|h| text.contains(&h.to_string()))
        .copied()
        .ok_or_else(|| anyhow::anyhow!("the plugin host's log names no lease holder"))
}
