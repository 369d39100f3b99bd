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

/// One page of log lines. Unlike other lists, the total is counted only
/// so far: a site keeps millions of lines, and counting them all on every
/// page would cost more than reading the page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogPage {
    pub objects: Vec<LogView>,
    pub meta: LogPageMeta,
}

/// Where a page of log lines sits among the lines the filters select.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogPageMeta {
    /// The lines selected, counted no further than 10,000 past this
    /// page's end: exact unless `total_capped`.
    pub total_count: u64,
    /// More lines are selected than `total_count` says (at least one more).
    pub total_capped: bool,
    /// A line follows this page: ask for the next with `offset + limit`.
    pub has_more: bool,
    pub limit: u64,
    pub offset: u64,
}
