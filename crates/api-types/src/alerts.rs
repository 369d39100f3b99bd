//! Alerts as `/api/alert` shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One alert.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    pub id: Uuid,
    pub kind: String,
    /// `info`, `warning` or `error`.
    pub severity: String,
    /// The object it is about: `host/ID`, `target/ID`, `job/ID`.
    pub item: String,
    pub message: String,
    /// What the raiser adds (for a failed job: `job_id`, `command_id`).
    pub details: serde_json::Value,
    pub raised_at: DateTime<Utc>,
    /// When its condition ended (a failed job's: when acknowledged); null
    /// while active.
    pub cleared_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
}
