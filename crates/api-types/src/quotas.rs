//! Lustre quotas as `/api/quota` and `/api/filesystem/{id}/quota` show and
//! accept them. Block amounts are in KiB (what `lfs quota` prints and `lfs
//! setquota -b/-B` takes without a suffix); inode amounts in inodes; 0 is
//! no limit.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user's, group's or project's limits on a file system, with its usage
/// as the monitor last read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuotaView {
    pub id: Uuid,
    pub filesystem_id: Uuid,
    pub filesystem_name: String,
    /// `user`, `group` or `project`.
    pub kind: String,
    /// The uid, gid or project id.
    pub qid: i64,
    /// KiB.
    pub block_soft: i64,
    /// KiB.
    pub block_hard: i64,
    pub inode_soft: i64,
    pub inode_hard: i64,
    /// `new` (its job has not run), `set` or `removed`.
    pub state: String,
    /// KiB used, as last read (`lfs quota`); null until read.
    pub block_used: Option<i64>,
    pub inode_used: Option<i64>,
    /// The grace left once over a soft limit, as `lfs quota` prints it
    /// (`6d23h59m`, `none` when spent); null when not over.
    pub block_grace_left: Option<String>,
    pub inode_grace_left: Option<String>,
    /// The usage as last read lacks a target's share: `lfs quota` printed
    /// it in brackets because a target (an OST that is down) did not
    /// answer.
    pub inaccurate: bool,
    /// A grace time is spent (`lfs quota` shows `none`): the soft limit
    /// now refuses more, as a hard one does.
    pub grace_expired: bool,
    /// Usage above a soft limit.
    pub over_soft: bool,
    /// Usage at or above a hard limit.
    pub over_hard: bool,
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/quota`: set limits for one id (0 clears a limit). A limit
/// not given keeps the value the id's live quota has (0 for a new one),
/// as `lfs setquota` keeps the limits it is not given.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuota {
    pub filesystem_id: Uuid,
    /// `user`, `group` or `project`.
    pub kind: String,
    /// The uid, gid or project id (1 to 4294967294; root cannot be limited).
    pub id: i64,
    /// KiB.
    #[serde(default)]
    pub block_soft: Option<i64>,
    /// KiB.
    #[serde(default)]
    pub block_hard: Option<i64>,
    #[serde(default)]
    pub inode_soft: Option<i64>,
    #[serde(default)]
    pub inode_hard: Option<i64>,
}

/// What a quota change answers: the quota (null for a dry run) and the plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaChanged {
    pub quota: Option<QuotaView>,
    #[serde(flatten)]
    pub planned: crate::planning::Planned,
}

/// `PUT /api/filesystem/{id}/quota`: the quota types enforced (letters of
/// `ugp`, or `none`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaEnforcement {
    /// Block quotas, enforced on the OSTs.
    pub ost: String,
    /// Inode quotas, enforced on the MDTs.
    pub mdt: String,
}

/// A file system's grace times for one quota type as `lfs quota -t` last
/// read them back: how long usage may stay above a soft limit before the
/// soft limit refuses more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuotaGraceView {
    /// `user`, `group` or `project`.
    pub kind: String,
    /// Seconds (`lfs setquota -t -b`).
    pub block_secs: i64,
    /// Seconds (`lfs setquota -t -i`).
    pub inode_secs: i64,
    pub read_at: chrono::DateTime<chrono::Utc>,
}

/// `PUT /api/filesystem/{id}/quota/grace`: one quota type's grace times,
/// in seconds (at most 281474976710654, Lustre's limit). A time not given
/// keeps its value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaGrace {
    /// `user`, `group` or `project`.
    pub kind: String,
    #[serde(default)]
    pub block_secs: Option<i64>,
    #[serde(default)]
    pub inode_secs: Option<i64>,
}
