//! Targets (MGTs, MDTs and OSTs) as `/api/target` shows them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::locks::HeldLock;

/// A target as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub filesystem_id: Option<Uuid>,
    pub filesystem: Option<String>,
    pub index: Option<i32>,
    pub volume_id: Uuid,
    pub volume_serial: String,
    pub primary_host_id: Uuid,
    pub primary_host: Option<String>,
    pub failover_host_ids: Vec<Uuid>,
    /// Where it is mounted now; null when it is not mounted.
    pub active_host_id: Option<Uuid>,
    pub active_host: Option<String>,
    /// True when it runs on a failover host.
    pub failed_over: bool,
    pub state: String,
    /// False when detected on a cluster Chroma did not create.
    pub managed: bool,
    /// `pacemaker`: started, stopped and moved through Pacemaker as
    /// resource `ha_resource`; `none`: mounted by Chroma directly.
    pub ha_mode: String,
    /// Its Pacemaker primitive's id.
    pub ha_resource: Option<String>,
    /// `ldiskfs` or `zfs`.
    pub backfstype: String,
    /// A ZFS target's pool (its dataset is `zpool/ost0003`).
    pub zpool: Option<String>,
    /// An OST whose MDTs create no new objects on it
    /// (`max_create_count=0`), ready to be emptied with `lfs migrate`.
    #[serde(default)]
    pub drained: bool,
    pub available_transitions: Vec<String>,
    pub locks: Vec<HeldLock>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
