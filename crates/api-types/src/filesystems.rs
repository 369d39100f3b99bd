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
    /// The quota types enforced on its OSTs (block limits) as last read
    /// back from them: letters of `ugp` in that order, or `none`.
    pub quota_ost: String,
    /// The quota types enforced on its MDTs (inode limits), as `quota_ost`.
    pub quota_mdt: String,
    /// Grace times per quota type as last read back (`lfs quota -t`); a
    /// type not listed has not been read (Lustre's default is a week).
    pub quota_grace: Vec<crate::quotas::QuotaGraceView>,
    pub available_transitions: Vec<String>,
    pub locks: Vec<HeldLock>,
    /// Its MGT, then its MDTs and OSTs.
    pub targets: Vec<TargetView>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
