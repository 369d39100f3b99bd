//! What the engine recorded, read back through the API once the faults
//! stopped: every command, and each of its jobs with its locks and its
//! steps' claims, start and finish times.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::client::Api;

/// A step as recorded.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: String,
    pub args: Value,
    pub state: String,
    pub attempts: i64,
    pub worker: Option<String>,
    /// When it was last made ready (`clock_timestamp()`, after the grant
    /// or the predecessor's result was decided; moved on a requeue).
    pub queued_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Step states after which nothing more happens.
pub fn is_final_step(state: &str) -> bool {
    matches!(state, "succeeded" | "failed" | "cancelled")
}

impl Step {
    /// A worker claimed it at least once: its action may have run.
    pub fn ran(&self) -> bool {
        self.attempts > 0 || self.started_at.is_some()
    }

    /// The target it acts on, if any.
    pub fn target(&self) -> Option<&str> {
        self.args["target_id"].as_str()
    }
}

impl Job {
    /// When it began to hold its locks, as far as the record shows: its
    /// first step made ready (or claimed) by the grant pass. Its
    /// `started_at` is the grant transaction's `now()`, taken when that
    /// transaction began, possibly before it waited for the grant pass's
    /// lock and before a conflicting job's release had committed; the
    /// first step's `queued_at` (`clock_timestamp()`) comes after the
    /// grant was decided.
    pub fn granted_at(&self) -> Option<DateTime<Utc>> {
        let first = self.steps.first();
        let moments = first.into_iter().flat_map(|s| [s.queued_at, s.started_at]).flatten();
        moments.min().or(self.started_at)
    }

    /// When it stopped holding its locks: its finish, or later if a step
    /// went on `cancelling` after the job was cancelled; `now` while
    /// anything is unfinished.
    pub fn released_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut end = self.finished_at.unwrap_or(now);
        for s in &self.steps {
            if s.started_at.is_some() || !is_final_step(&s.state) {
                end = end.max(if is_final_step(&s.state) {
                    s.finished_at.unwrap_or(now)
                } else {
                    now
                });
            }
        }
        end
    }
}

/// A job as recorded.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub command: String,
    pub state: String,
    pub description: String,
    pub error: Option<String>,
    /// When its locks were granted and it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished (a cancelled job: when it was cancelled; its
    /// locks stay held until its `cancelling` step has stopped).
    pub finished_at: Option<DateTime<Utc>>,
    pub locks: Vec<(String, bool)>,
    pub steps: Vec<Step>,
}

/// A command as recorded.
#[derive(Debug, Clone)]
pub struct Command {
    pub id: String,
    pub state: String,
    pub jobs: Vec<String>,
}

/// Everything recorded.
#[derive(Debug, Default)]
pub struct History {
    pub commands: Vec<Command>,
    pub jobs: Vec<Job>,
}

/// Reads every command, then each job in full.
pub async fn read(api: &Api) -> anyhow::Result<History> {
    let mut history = History::default();
    let mut offset = 0;
    loop {
        let page = api
            .fetch(&format!("/api/command?limit=1000&offset={offset}&order_by=created_at"))
            .await?;
        let objects = page["objects"].as_array().cloned().unwrap_or_default();
        for c in &objects {
            history.commands.push(Command {
                id: text(&c["id"]),
                state: text(&c["state"]),
                jobs: c["jobs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|j| text(&j["id"]))
                    .collect(),
            });
        }
        if objects.len() < 1000 {
            break;
        }
        offset += objects.len();
    }
    for command in &history.commands {
        for id in &command.jobs {
            history.jobs.push(job(api, id, &command.id).await?);
        }
    }
    Ok(history)
}

/// Reads one job of `command` in full.
pub async fn job(api: &Api, id: &str, command: &str) -> anyhow::Result<Job> {
    let job = api.fetch(&format!("/api/job/{id}")).await?;
    Ok(Job {
        id: id.to_owned(),
        command: command.to_owned(),
        state: text(&job["state"]),
        description: text(&job["description"]),
        error: job["error"].as_str().map(str::to_owned),
        started_at: time(&job["started_at"]),
        finished_at: time(&job["finished_at"]),
        locks: job["locks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| (text(&l["item"]), l["write"].as_bool().unwrap_or(false)))
            .collect(),
        steps: job["steps"].as_array().into_iter().flatten().map(step).collect(),
    })
}

/// Reads again, until `deadline`, the finished jobs that still have a
/// step in flight (a `cancelling` step whose command is being killed);
/// returns how many were waited for.
pub async fn settle_steps(api: &Api, history: &mut History, deadline: tokio::time::Instant) -> anyhow::Result<usize> {
    let open = |j: &Job| crate::workload::is_final(&j.state) && j.steps.iter().any(|s| !is_final_step(&s.state));
    let waited = history.jobs.iter().filter(|j| open(j)).count();
    loop {
        let mut left = 0;
        for j in history.jobs.iter_mut().filter(|j| open(j)) {
            *j = job(api, &j.id, &j.command).await?;
            left += usize::from(open(j));
        }
        if left == 0 || tokio::time::Instant::now() >= deadline {
            return Ok(waited);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

fn step(s: &Value) -> Step {
    Step {
        action: text(&s["action"]),
        args: s["args"].clone(),
        state: text(&s["state"]),
        attempts: s["attempts"].as_i64().unwrap_or(0),
        worker: s["worker"].as_str().map(str::to_owned),
        queued_at: time(&s["queued_at"]),
        started_at: time(&s["started_at"]),
        finished_at: time(&s["finished_at"]),
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}
