//! HA clusters as `/api/ha_cluster` shows them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A member of an HA cluster.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClusterMember {
    pub host_id: Uuid,
    pub nodename: Option<String>,
    /// Its Pacemaker node name, once Pacemaker runs there.
    pub ha_node: Option<String>,
    /// Its corosync ring address.
    pub ring0_addr: String,
}

/// An HA cluster as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClusterView {
    pub id: Uuid,
    pub name: String,
    /// `pending` until its setup job has run, then `configured`.
    pub state: String,
    pub members: Vec<ClusterMember>,
    /// The fencing asked for: `{"disabled": true}` or `{"devices": [...]}`
    /// (device parameters are not shown: they hold BMC passwords).
    #[schema(value_type = Object)]
    pub fencing: serde_json::Value,
    /// As Pacemaker last showed it; null before the first look.
    pub stonith_enabled: Option<bool>,
    pub fence_devices: i32,
    pub quorate: Option<bool>,
    pub seen_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
