//! Block devices as `/api/volume` shows them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A block device and the hosts that see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VolumeView {
    pub id: Uuid,
    pub serial: String,
    pub size_bytes: i64,
    /// The live target on it, if any: a used volume cannot hold another.
    pub target_id: Option<Uuid>,
    pub target: Option<String>,
    pub nodes: Vec<NodeView>,
}

/// Where one host sees a volume.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NodeView {
    pub host_id: Uuid,
    pub host: Option<String>,
    pub path: String,
}
