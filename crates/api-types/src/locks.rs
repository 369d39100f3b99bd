//! Locks that running jobs hold on the objects the API shows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A lock a running (or paused) job holds on an object.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeldLock {
    pub item: String,
    pub write: bool,
    pub job_id: Uuid,
    pub command_id: Uuid,
    pub description: String,
}
