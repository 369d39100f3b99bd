//! Targets (MGTs, MDTs and OSTs) as `/api/target` shows them, and the
//! request that adds one to a live file system.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::locks::HeldLock;
pub use lustre::format::FormatOptions;
pub use lustre::zfs::Backfstype;

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

/// `POST /api/target`: an MDT or OST to add to a live file system. The API
/// and the `chroma target add` CLI both build it from this type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTargetRequest {
    /// The live file system to grow.
    pub filesystem_id: Uuid,
    /// `ost` or `mdt` (an MDT of index 1 or more: DNE).
    #[schema(pattern = "^(ost|mdt)$")]
    pub kind: String,
    pub volume_id: Uuid,
    /// By default the first host that sees the volume.
    #[serde(default)]
    pub primary_host_id: Option<Uuid>,
    /// By default every other host that sees the volume; `[]` for none.
    #[serde(default)]
    pub failover_host_ids: Option<Vec<Uuid>>,
    /// By default the lowest index of that kind the file system has never
    /// used (a removed target's index stays taken at the MGS).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 65534)]
    pub index: Option<u32>,
    /// Format over Lustre data already on the volume.
    #[serde(default)]
    pub reformat: bool,
    /// ldiskfs options for `mke2fs`.
    #[serde(default)]
    pub format: Option<FormatOptions>,
    /// `ldiskfs` (the default) or `zfs`.
    #[serde(default)]
    pub backfstype: Backfstype,
}
