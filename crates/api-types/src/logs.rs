//! The servers' log lines as `/api/log` shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One log line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogView {
    /// Grows in the order lines are stored.
    pub id: i64,
    pub host_id: Uuid,
    /// The server's node name, when known.
    pub nodename: Option<String>,
    /// When the server logged it.
    pub at: DateTime<Utc>,
    /// A syslog severity, `emerg` to `debug`.
    pub severity: String,
    /// `kernel` for Lustre console messages, else the journal's identifier.
    pub source: String,
    pub message: String,
}
