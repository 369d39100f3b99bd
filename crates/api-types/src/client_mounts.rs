//! Lustre client mounts as `/api/client_mount` shows and accepts them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A client mount of a file system on a managed host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClientMountView {
    pub id: Uuid,
    pub host_id: Uuid,
    /// The host's node name (or address when not yet probed).
    pub host_name: String,
    pub filesystem_id: Uuid,
    pub filesystem_name: String,
    /// Absolute path on the host.
    pub mountpoint: String,
    /// Lustre client mount options (`flock,user_xattr`); empty for the defaults.
    pub options: String,
    /// `unmounted`, `mounted` (as last read from the host's `/proc/mounts`) or `removed`.
    pub state: String,
    /// Kept in the host's `/etc/fstab` while mounted.
    pub persistent: bool,
    /// The mount source as last mounted: the MGS NIDs and the file system
    /// (`10.0.0.1@tcp:10.0.0.4@tcp:/fs1`).
    pub source: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/client_mount`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientMount {
    pub host_id: Uuid,
    pub filesystem_id: Uuid,
    /// Absolute path, no `..`, letters, digits, `.`, `_`, `-` and `/`.
    pub mountpoint: String,
    /// Comma-separated Lustre client options (see README: client mounts).
    #[serde(default)]
    pub options: Option<String>,
}

/// `PATCH /api/client_mount/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientMountChange {
    /// `mounted` or `unmounted`.
    pub state: String,
}

/// What `POST /api/client_mount` answers: the mount (null for a dry run)
/// and the plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientMountCreated {
    pub client_mount: Option<ClientMountView>,
    #[serde(flatten)]
    pub planned: crate::planning::Planned,
}
