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
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
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

/// A job as recorded.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub command: String,
    pub state: String,
    pub description: String,
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
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
            let job = api.fetch(&format!("/api/job/{id}")).await?;
            history.jobs.push(Job {
                id: id.clone(),
                command: command.id.clone(),
                state: text(&job["state"]),
                description: text(&job["description"]),
                error: job["error"].as_str().map(str::to_owned),
                started_at: time(&job["started_at"]),
                locks: job["locks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| (text(&l["item"]), l["write"].as_bool().unwrap_or(false)))
                    .collect(),
                steps: job["steps"].as_array().into_iter().flatten().map(step).collect(),
            });
        }
    }
    Ok(history)
}

fn step(s: &Value) -> Step {
    Step {
        action: text(&s["action"]),
        args: s["args"].clone(),
        state: text(&s["state"]),
        attempts: s["attempts"].as_i64().unwrap_or(0),
        worker: s["worker"].as_str().map(str::to_owned),
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
