//! The stream of commands: diagnostic commands (noop and sleep steps,
//! some locking the targets the Lustre commands change), and Lustre
//! commands on the four OSTs (stop, start, failover, failback) and
//! `sys.timeout` changes, with a bounded number in flight. The model of
//! where each OST is is read back from the API after each of its
//! commands, so a refused or failed command never derails the stream.

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::client::Api;
use crate::cluster::{Cluster, Ost};
use crate::rng::Rng;

/// What a command of the stream does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Diagnostic,
    Stop,
    Start,
    Failover,
    Failback,
    ConfParam,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Diagnostic => "diagnostic",
            Kind::Stop => "target stop",
            Kind::Start => "target start",
            Kind::Failover => "failover",
            Kind::Failback => "failback",
            Kind::ConfParam => "conf_param",
        }
    }
}

/// One accepted command.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub id: String,
    pub kind: Kind,
}

/// What the stream submitted and what the API made of it.
#[derive(Debug, Default)]
pub struct Outcome {
    pub submitted: BTreeMap<Kind, u64>,
    pub accepted: Vec<Accepted>,
    /// Refusals by kind and status (a 409 for a target that is busy or
    /// already where it was asked to go is expected).
    pub refused: BTreeMap<(Kind, u16), u64>,
    /// Submissions that got no answer (the API was killed mid-request).
    pub unanswered: u64,
    /// The first refusal's message of each kind and status.
    pub refusal_samples: BTreeMap<(Kind, u16), String>,
    /// Cancellations asked for, by kind of command, route (`command` or
    /// `job`) and the status answered (0: no answer).
    pub cancels: BTreeMap<(Kind, &'static str, u16), u64>,
}

/// Share of accepted commands cancelled shortly after submission, in
/// percent.
const CANCEL_PERCENT: u64 = 10;

/// A cancellation to ask for once its time has come.
struct Cancel {
    command: String,
    kind: Kind,
    due: tokio::time::Instant,
    /// Cancel its first job (`POST /api/job/{id}/cancel`) rather than the
    /// command.
    job: bool,
}

/// Where the model thinks an OST is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Primary,
    Failover,
    Stopped,
}

/// One OST as the stream sees it.
struct Slot {
    ost: Ost,
    place: Place,
    /// Its last command, while unfinished.
    busy: Option<String>,
    /// Read its place from the API before the next command.
    stale: bool,
}

/// How the stream is submitted.
pub struct Stream {
    /// Commands to submit.
    pub count: usize,
    /// Unfinished commands at most.
    pub in_flight: usize,
    /// Time between two submissions at least.
    pub pace: Duration,
}

/// Submits the stream's commands.
pub async fn run(api: &Api, cluster: &Cluster, stream: &Stream, rng: &mut Rng) -> anyhow::Result<Outcome> {
    let (count, in_flight) = (stream.count, stream.in_flight);
    let mut slots: Vec<Slot> = cluster
        .osts
        .iter()
        .map(|ost| Slot {
            ost: ost.clone(),
            place: Place::Primary,
            busy: None,
            stale: true,
        })
        .collect();
    let mut outcome = Outcome::default();
    // Unfinished command → the slot it moves, if any.
    let mut pending: HashMap<String, Option<usize>> = HashMap::new();
    let mut cancels: Vec<Cancel> = Vec::new();
    for n in 0..count {
        cancel_due(api, &mut cancels, &mut outcome).await;
        if n % 4 == 0 {
            settle(api, &mut pending, &mut slots).await?;
        }
        while pending.len() >= in_flight {
            settle(api, &mut pending, &mut slots).await?;
            cancel_due(api, &mut cancels, &mut outcome).await;
            if pending.len() >= in_flight {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        let (kind, slot, request) = choose(api, cluster, &mut slots, rng, n).await?;
        *outcome.submitted.entry(kind).or_default() += 1;
        let answer = match &request {
            Request::Post(path, body) => api.post(path, body).await,
            Request::Patch(path, body) => api.patch(path, body).await,
            Request::Put(path, body) => api.put(path, body).await,
        };
        match answer {
            Ok((StatusCode::ACCEPTED, envelope)) => {
                let response = &envelope["response"];
                let id = response["command"]
                    .as_str()
                    .or_else(|| response["id"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                anyhow::ensure!(!id.is_empty(), "no command id in an accepted answer: {envelope}");
                if let Some(i) = slot {
                    slots[i].busy = Some(id.clone());
                    slots[i].stale = true;
                }
                pending.insert(id.clone(), slot);
                if rng.percent(CANCEL_PERCENT) {
                    // A diagnostic's sleeps last up to 400 ms; a Lustre
                    // step takes longer (more under a slowed server): both
                    // are often cancelled mid-step (some are still waiting
                    // for their locks, some already finished).
                    let ms = if kind == Kind::Diagnostic {
                        rng.between(0, 300)
                    } else {
                        rng.between(50, 1_000)
                    };
                    cancels.push(Cancel {
                        command: id.clone(),
                        kind,
                        due: tokio::time::Instant::now() + Duration::from_millis(ms),
                        job: rng.percent(30),
                    });
                }
                outcome.accepted.push(Accepted { id, kind });
            }
            Ok((status, envelope)) => {
                *outcome.refused.entry((kind, status.as_u16())).or_default() += 1;
                let message = envelope["errors"][0]["message"].as_str().unwrap_or_default();
                outcome
                    .refusal_samples
                    .entry((kind, status.as_u16()))
                    .or_insert_with(|| message.chars().take(160).collect());
                if let Some(i) = slot {
                    slots[i].stale = true;
                }
            }
            Err(err) => {
                eprintln!("  submission {n} got no answer: {err:#}");
                outcome.unanswered += 1;
                if let Some(i) = slot {
                    slots[i].stale = true;
                }
            }
        }
        // Wait out the pace, asking for due cancellations on the way, so
        // a cancellation lands while its command still runs.
        let paced = tokio::time::Instant::now() + stream.pace;
        loop {
            let next = cancels.iter().map(|c| c.due).min().map_or(paced, |due| due.min(paced));
            tokio::time::sleep_until(next).await;
            cancel_due(api, &mut cancels, &mut outcome).await;
            if tokio::time::Instant::now() >= paced {
                break;
            }
        }
        if (n + 1) % 100 == 0 {
            println!("  submitted {} commands, {} accepted", n + 1, outcome.accepted.len());
        }
    }
    while !cancels.is_empty() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel_due(api, &mut cancels, &mut outcome).await;
    }
    Ok(outcome)
}

/// Asks for the cancellations whose time has come. A refusal (the command
/// already finished) is counted like any answer; so is no answer.
async fn cancel_due(api: &Api, cancels: &mut Vec<Cancel>, outcome: &mut Outcome) {
    let now = tokio::time::Instant::now();
    let (due, later): (Vec<Cancel>, Vec<Cancel>) = std::mem::take(cancels).into_iter().partition(|c| c.due <= now);
    *cancels = later;
    for c in due {
        let (route, answer) = if c.job {
            let job = match api.fetch(&format!("/api/command/{}", c.command)).await {
                Ok(command) => command["jobs"][0]["id"].as_str().map(str::to_owned),
                Err(_) => None,
            };
            match job {
                Some(job) => ("job", api.post(&format!("/api/job/{job}/cancel"), &json!({})).await),
                None => ("job", Err(anyhow::anyhow!("no job to cancel"))),
            }
        } else {
            let path = format!("/api/command/{}/cancel", c.command);
            ("command", api.post(&path, &json!({})).await)
        };
        let status = answer.map(|(status, _)| status.as_u16()).unwrap_or(0);
        *outcome.cancels.entry((c.kind, route, status)).or_default() += 1;
    }
}

enum Request {
    Post(String, Value),
    Patch(String, Value),
    Put(String, Value),
}

/// The next command: its kind, the OST it moves, and the request.
async fn choose(
    api: &Api,
    cluster: &Cluster,
    slots: &mut [Slot],
    rng: &mut Rng,
    n: usize,
) -> anyhow::Result<(Kind, Option<usize>, Request)> {
    let roll = rng.below(100);
    if roll < 45 {
        return Ok((Kind::Diagnostic, None, diagnostic(cluster, rng, n, None)));
    }
    if roll < 55 {
        let value = rng.between(30, 90).to_string();
        let path = format!("/api/filesystem/{}/params", cluster.filesystem_id);
        return Ok((
            Kind::ConfParam,
            None,
            Request::Put(path, json!({"params": {"sys.timeout": value}})),
        ));
    }
    let i = rng.below(slots.len());
    if slots[i].busy.is_some() {
        // Its last command still runs: take its lock for a while instead,
        // so the lock checker has conflicting neighbours to look at.
        let locked = Some(slots[i].ost.id.clone());
        return Ok((Kind::Diagnostic, None, diagnostic(cluster, rng, n, locked)));
    }
    if slots[i].stale {
        slots[i].place = read_place(api, &slots[i].ost).await?;
        slots[i].stale = false;
    }
    let ost = &slots[i].ost;
    let path = format!("/api/target/{}", ost.id);
    let (kind, request) = match slots[i].place {
        Place::Stopped => (Kind::Start, Request::Patch(path, json!({"state": "mounted"}))),
        Place::Primary if rng.percent(60) => (
            Kind::Failover,
            Request::Post(format!("{path}/failover"), json!({"host_id": ost.failover})),
        ),
        Place::Failover if rng.percent(70) => (Kind::Failback, Request::Post(format!("{path}/failback"), json!({}))),
        Place::Primary | Place::Failover => (Kind::Stop, Request::Patch(path, json!({"state": "unmounted"}))),
    };
    Ok((kind, Some(i), request))
}

/// A command of one or two jobs of noop and sleep steps; some lock a
/// target or host (`locked`: write-lock that OST).
fn diagnostic(cluster: &Cluster, rng: &mut Rng, n: usize, locked: Option<String>) -> Request {
    let jobs = if rng.percent(25) { 2 } else { 1 };
    let jobs: Vec<Value> = (0..jobs)
        .map(|j| {
            let steps: Vec<Value> = (0..rng.between(1, 3))
                .map(|_| {
                    if rng.percent(50) {
                        json!({"action": "noop"})
                    } else {
                        json!({"action": "sleep", "args": {"ms": rng.between(20, 400)}})
                    }
                })
                .collect();
            let mut locks = Vec::new();
            if j == 0 {
                if let Some(target) = &locked {
                    locks.push(json!({"item": format!("target/{target}"), "write": true}));
                }
            }
            for _ in 0..rng.below(3) {
                let item = if rng.percent(70) {
                    rng.pick(&cluster.targets).map(|t| format!("target/{t}"))
                } else {
                    rng.pick(&cluster.hosts).map(|h| format!("host/{h}"))
                };
                if let Some(item) = item {
                    if !locks.iter().any(|l| l["item"] == item.as_str()) {
                        locks.push(json!({"item": item, "write": rng.percent(50)}));
                    }
                }
            }
            let wait_for: Vec<String> = if j == 1 { vec!["j0".into()] } else { Vec::new() };
            json!({"key": format!("j{j}"), "description": format!("chaos diagnostic {n}.{j}"),
                   "steps": steps, "locks": locks, "wait_for": wait_for})
        })
        .collect();
    Request::Post(
        "/api/command".into(),
        json!({"message": format!("chaos diagnostic {n}"), "jobs": jobs}),
    )
}

/// Where the API says the OST is.
async fn read_place(api: &Api, ost: &Ost) -> anyhow::Result<Place> {
    let target = api.fetch(&format!("/api/target/{}", ost.id)).await?;
    Ok(if target["state"] != "mounted" {
        Place::Stopped
    } else if target["active_host_id"] == ost.failover.as_str() {
        Place::Failover
    } else {
        Place::Primary
    })
}

/// Drops the finished commands from `pending`, freeing their OSTs.
async fn settle(api: &Api, pending: &mut HashMap<String, Option<usize>>, slots: &mut [Slot]) -> anyhow::Result<()> {
    let ids: Vec<String> = pending.keys().cloned().collect();
    for id in ids {
        if is_final(&command_state(api, &id).await?) {
            if let Some(Some(i)) = pending.remove(&id) {
                if slots[i].busy.as_deref() == Some(id.as_str()) {
                    slots[i].busy = None;
                }
            }
        }
    }
    Ok(())
}

/// A command's state.
pub async fn command_state(api: &Api, id: &str) -> anyhow::Result<String> {
    let command = api.fetch(&format!("/api/command/{id}")).await?;
    Ok(command["state"].as_str().unwrap_or_default().to_owned())
}

/// Whether a command state is final.
pub fn is_final(state: &str) -> bool {
    matches!(state, "succeeded" | "failed" | "cancelled")
}

/// Waits up to `timeout` for every command in `ids` to finish; returns
/// those that did not.
pub async fn wait_final(api: &Api, ids: &[String], timeout: Duration) -> anyhow::Result<Vec<String>> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut left: Vec<String> = ids.to_vec();
    loop {
        let mut still = Vec::new();
        for id in left {
            if !is_final(&command_state(api, &id).await?) {
                still.push(id);
            }
        }
        left = still;
        if left.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(left);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
