//! What a state change answers: the jobs it plans, and the command that
//! runs them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What a state change answers: the jobs (planned, or created with their
/// command).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Planned {
    /// Null for a dry run, or when nothing needs doing.
    pub command: Option<Uuid>,
    pub dry_run: bool,
    pub requires_confirmation: bool,
    pub jobs: Vec<PlannedJob>,
}

/// One job of a plan (built from the planner's `lustre::plan::PlannedJob`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlannedJob {
    pub description: String,
    /// The object it changes, as a lock item (`target/ID`).
    pub object: String,
    pub from: String,
    pub to: String,
    /// Positions in the plan of the jobs this one waits for.
    pub wait_for: Vec<usize>,
    /// Why this job needs the user's confirmation, when it changes an
    /// object the request did not name.
    pub confirmation: Option<String>,
}

impl From<lustre::plan::PlannedJob> for PlannedJob {
    fn from(job: lustre::plan::PlannedJob) -> Self {
        Self {
            description: job.description,
            object: job.object,
            from: job.from,
            to: job.to,
            wait_for: job.wait_for,
            confirmation: job.confirmation,
        }
    }
}
