//! Data jobs on a file system's files, run through a mounted client
//! mount: FLR mirrors (`POST /api/filesystem/{id}/mirror`), a file's
//! layout as last read (`GET /api/filesystem/{id}/layout?path=`),
//! migration off OSTs (`POST /api/filesystem/{id}/migrate`) and a
//! directory's default striping (`POST /api/filesystem/{id}/stripe`).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What to do to a file's mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MirrorAction {
    /// Make a new file with these mirrors (`lfs mirror create`).
    Create,
    /// Add these mirrors to an existing file (`lfs mirror extend`).
    Extend,
    /// Bring stale mirrors up to date (`lfs mirror resync`).
    Resync,
    /// Read the layout again (`lfs getstripe`, `lfs mirror verify`).
    Verify,
}

/// One mirror asked for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MirrorSpec {
    /// The OST pool the mirror's objects go to (each mirror on its own).
    pub pool: String,
}

/// `POST /api/filesystem/{id}/mirror`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MirrorRequest {
    /// Path inside the file system (`/dir/file`), absolute, no `..`.
    pub path: String,
    pub action: MirrorAction,
    /// The mirrors to create or add (create: at least two); none for
    /// resync and verify.
    #[serde(default)]
    pub mirrors: Vec<MirrorSpec>,
}

/// `POST /api/filesystem/{id}/migrate`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrateRequest {
    /// A directory (its files, recursively) or a file inside the file
    /// system.
    pub path: String,
    /// Move objects off these OSTs (only files with objects there move).
    #[serde(default)]
    pub exclude_ost_ids: Vec<Uuid>,
    /// Move the files into this pool.
    #[serde(default)]
    pub pool: Option<String>,
    /// Stripes per migrated file (default: as many as it has).
    #[serde(default)]
    pub stripe_count: Option<u32>,
}

/// `POST /api/filesystem/{id}/stripe`: a directory's default layout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StripeRequest {
    /// A directory inside the file system.
    pub path: String,
    /// New files under it go to this pool's OSTs.
    pub pool: String,
    /// Stripes per new file, `-1` for every OST of the pool.
    #[serde(default)]
    pub stripe_count: Option<i32>,
    /// Bytes per stripe: a multiple of 64 KiB below 4 GiB.
    #[serde(default)]
    pub stripe_size: Option<u64>,
}

/// `GET /api/filesystem/{id}/layout?path=`.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
pub struct LayoutQuery {
    /// Path inside the file system of a file.
    pub path: String,
}

/// A file's layout as a data job last read it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LayoutView {
    pub filesystem_id: Uuid,
    pub path: String,
    /// `lcm_layout_gen`: changes with every layout change.
    pub layout_gen: u32,
    /// The mirrors (one for a plain file).
    pub mirrors: Vec<MirrorView>,
    /// When it was read (`lfs getstripe`).
    pub read_at: chrono::DateTime<chrono::Utc>,
}

/// One mirror of a file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MirrorView {
    /// `lcme_mirror_id` (0 for a plain file).
    pub id: u32,
    /// Out of date since a write, until a resync.
    pub stale: bool,
    /// `lcme_flags` (`init`, `stale`, `prefer`).
    pub flags: Vec<String>,
    pub pool: Option<String>,
    pub stripe_count: u32,
    pub stripe_size: u64,
    /// The OST indexes of its objects.
    pub ost_indexes: Vec<u32>,
}
