//! Message schemas on the broker. Messages are notifications that carry
//! ids; PostgreSQL stays the source of truth.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One step to run, published on the steps queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepMessage {
    pub step_id: Uuid,
    pub job_id: Uuid,
    /// Attempts already made when this message was published.
    pub attempt: i32,
    pub action: String,
    pub args: serde_json::Value,
}

/// A step result a worker has recorded in the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepFinished {
    pub step_id: Uuid,
    pub job_id: Uuid,
    /// The attempt that produced the result (the claim's fencing token).
    pub attempt: i32,
}

/// What workers publish on the results queue: a batch of recorded results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepsFinished {
    pub steps: Vec<StepFinished>,
}

/// Notifications to the scheduler on the jobs queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SchedulerMessage {
    /// A command and its jobs were stored and wait to be scheduled.
    CommandSubmitted { command_id: Uuid },
    /// Something changed (a cancel released locks, a resume): advance
    /// `job_ids` and re-evaluate waiting jobs.
    Kick { job_ids: Vec<Uuid> },
}
