//! File systems as `/api/filesystem` shows them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::locks::HeldLock;
use crate::targets::TargetView;

/// A file system as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FilesystemView {
    pub id: Uuid,
    pub name: String,
    /// `available`, `stopped`, `unavailable` (partly started) or `removed`,
    /// from its targets' states.
    pub state: String,
    /// False when detected on a cluster Chroma did not create.
    pub managed: bool,
    pub mgs_id: Uuid,
    /// What clients mount: `MGSNID[:FAILOVERNID]:/NAME`.
    pub client_mount_source: Option<String>,
    pub conf_params: serde_json::Value,
    pub available_transitions: Vec<String>,
    pub locks: Vec<HeldLock>,
    /// Its MGT, then its MDTs and OSTs.
    pub targets: Vec<TargetView>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
