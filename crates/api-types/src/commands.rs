//! Commands, their jobs and the jobs' steps, as `/api/command` and
//! `/api/job` show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A step as shown inside a job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// A lock a job holds or waits for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LockView {
    pub item: String,
    pub write: bool,
}

/// A job, with its steps when shown in detail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// A command with its jobs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommandView {
    pub id: Uuid,
    pub message: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub jobs: Vec<JobView>,
}

impl CommandView {
    /// Whether it has finished, one way or another.
    pub fn finished(&self) -> bool {
        matches!(self.state.as_str(), "succeeded" | "failed" | "cancelled")
    }
}
