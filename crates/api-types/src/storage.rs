//! Storage plugins and the resources they describe, as
//! `/api/storage_plugin` and `/api/storage_resource` show them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A storage plugin and how it runs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PluginView {
    pub name: String,
    pub version: Option<String>,
    /// `detect`, and `monitor`, `configure` if it offers them.
    pub levels: Vec<String>,
    /// `starting`, `running`, `restarting` or `failed`.
    pub state: String,
    /// Why it is restarting or failed.
    pub error: Option<String>,
    pub restarts: i32,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub detected_at: Option<chrono::DateTime<chrono::Utc>>,
    pub monitored_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The resource classes it declared.
    pub classes: serde_json::Value,
    /// Its resources not removed.
    pub resources: i64,
}

/// One resource.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResourceView {
    pub id: Uuid,
    pub plugin: String,
    pub class: String,
    /// The plugin's own id for it.
    pub local_id: String,
    pub parent_id: Option<Uuid>,
    pub attributes: serde_json::Value,
    /// The latest value of each statistic.
    pub statistics: serde_json::Value,
    /// The Chroma volume it is, if any.
    pub volume_id: Option<Uuid>,
    /// When it went missing from its plugin's detection.
    pub removed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Its active alerts.
    pub alerts: i64,
}
