//! OST pools as `/api/ost_pool` shows and accepts them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An OST pool with its OSTs and their space.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OstPoolView {
    pub id: Uuid,
    pub filesystem_id: Uuid,
    pub filesystem_name: String,
    /// The pool's name; Lustre calls it `FILESYSTEM.NAME`.
    pub name: String,
    /// `new` (not yet on the MGS), `available` or `removed`.
    pub state: String,
    /// Its OSTs as last read back from the MGS (`lctl pool_list`), by name.
    pub osts: Vec<OstPoolMember>,
    /// The sum of its OSTs' latest total space, in bytes (null while none
    /// has a sample).
    pub bytes_total: Option<f64>,
    /// The sum of its OSTs' latest free space, in bytes.
    pub bytes_free: Option<f64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// One OST of a pool.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OstPoolMember {
    pub id: Uuid,
    /// `FS-OSTxxxx`.
    pub name: String,
    pub bytes_total: Option<f64>,
    pub bytes_free: Option<f64>,
}

/// `POST /api/ost_pool`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOstPool {
    pub filesystem_id: Uuid,
    /// 1 to 15 letters, digits, `_` or `-`; not `ignore`, `inherit` or `none`.
    pub name: String,
    /// The OSTs to put in it.
    #[serde(default)]
    pub ost_ids: Vec<Uuid>,
}

/// `PATCH /api/ost_pool/{id}`: the pool's new membership.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OstPoolChange {
    pub ost_ids: Vec<Uuid>,
}

/// What `POST /api/ost_pool` answers: the pool (null for a dry run) and
/// the plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OstPoolCreated {
    pub pool: Option<OstPoolView>,
    #[serde(flatten)]
    pub planned: crate::planning::Planned,
}
