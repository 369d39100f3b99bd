//! The event log as `/api/event` shows it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub kind: String,
    pub username: Option<String>,
    pub item: Option<String>,
    pub message: String,
    pub details: serde_json::Value,
}
