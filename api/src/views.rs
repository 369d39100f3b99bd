//! What the API shows of commands, jobs and steps.

use chrono::{DateTime, Utc};
use serde::Serialize;
use store::entities::{command, job, step};
use utoipa::ToSchema;
use uuid::Uuid;

/// A step as shown inside a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: Uuid,
    pub index: i32,
    pub action: String,
    pub args: serde_json::Value,
    pub state: String,
    pub attempts: i32,
    pub worker: Option<String>,
    pub queued_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
}

impl From<step::Model> for StepView {
    fn from(s: step::Model) -> Self {
        Self {
            id: s.id,
            index: s.idx,
            action: s.action,
            args: s.args,
            state: s.state,
            attempts: s.attempts,
            worker: s.worker,
            queued_at: s.queued_at,
            started_at: s.started_at,
            finished_at: s.finished_at,
            output: s.output,
            error: s.error,
        }
    }
}

/// A lock a job holds or waits for.
#[derive(Debug, Serialize, ToSchema)]
pub struct LockView {
    pub item: String,
    pub write: bool,
}

/// A job, with its steps when shown in detail.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    pub command: Uuid,
    pub key: String,
    pub description: String,
    pub state: String,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locks: Option<Vec<LockView>>,
    /// Keys of the jobs this one waits for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_for: Option<Vec<String>>,
}

impl JobView {
    /// A job without its details.
    pub fn summary(j: job::Model) -> Self {
        Self {
            id: j.id,
            command: j.command_id,
            key: j.key,
            description: j.description,
            state: j.state,
            error: j.error,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            steps: None,
            locks: None,
            wait_for: None,
        }
    }
}

/// A command with its jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandView {
    pub id: Uuid,
    pub message: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub jobs: Vec<JobView>,
}

impl CommandView {
    /// A command shown with `jobs`.
    pub fn new(c: command::Model, jobs: Vec<JobView>) -> Self {
        Self {
            id: c.id,
            message: c.message,
            state: c.state,
            created_at: c.created_at,
            finished_at: c.finished_at,
            jobs,
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub objects: Vec<T>,
    pub meta: PageMeta,
}

/// Where a page sits in the whole list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    pub total_count: u64,
    pub limit: u64,
    pub offset: u64,
}
