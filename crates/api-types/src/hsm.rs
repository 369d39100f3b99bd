//! Lustre HSM as `/api/copytool` and `/api/filesystem/{id}/hsm` show and
//! accept it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A POSIX copytool (`lhsmtool_posix --daemon`) Chroma runs on a client host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CopytoolView {
    pub id: Uuid,
    pub host_id: Uuid,
    pub host_name: String,
    pub filesystem_id: Uuid,
    pub filesystem_name: String,
    /// The client mount it runs on (and holds).
    pub client_mount_id: Uuid,
    pub mountpoint: String,
    /// The archive id it serves (1 to 32).
    pub archive_id: i32,
    /// Its archive root (`--hsm-root`).
    pub archive_path: String,
    /// `stopped`, `started`, `failed` (found gone while it should run) or `removed`.
    pub state: String,
    /// Its process id while started.
    pub pid: Option<i32>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/copytool`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCopytool {
    /// A mounted client mount: the copytool runs on its host.
    pub client_mount_id: Uuid,
    /// 1 to 32.
    pub archive_id: i32,
    /// Absolute directory on the client host (letters, digits, `.`, `_`, `-`, `/`).
    pub archive_path: String,
}

/// `PATCH /api/copytool/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopytoolChange {
    /// `started` or `stopped`.
    pub state: String,
}

/// What `POST /api/copytool` answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CopytoolCreated {
    pub copytool: Option<CopytoolView>,
    #[serde(flatten)]
    pub planned: crate::planning::Planned,
}

/// An agent registered with the coordinator (`hsm.agents`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HsmAgentView {
    pub uuid: String,
    /// Archive ids it serves; empty for any.
    pub archive_ids: Vec<u32>,
    pub current: u32,
    pub ok: u32,
    pub errors: u32,
}

/// A coordinator request (`hsm.actions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HsmActionView {
    pub fid: String,
    pub cookie: String,
    /// `ARCHIVE`, `RESTORE`, `REMOVE`, `CANCEL`.
    pub action: String,
    pub archive_id: u32,
    /// `WAITING`, `STARTED`, `SUCCEED`, `FAILED` or `CANCELED`.
    pub status: String,
}

/// `GET /api/filesystem/{id}/hsm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HsmStatus {
    pub filesystem_id: Uuid,
    /// `enabled`, `disabled`, `stopped` (as the MDTs last showed), or
    /// `unknown` before Chroma read it.
    pub control: String,
    pub agents: Vec<HsmAgentView>,
    /// Every record of the actions llog (waiting, running and recently finished).
    pub actions: Vec<HsmActionView>,
    /// The requests an agent is working on (`hsm.active_requests` lines).
    pub active_requests: Vec<String>,
    /// The file system's copytools.
    pub copytools: Vec<CopytoolView>,
    /// When the servers were last read (null: never).
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `PUT /api/filesystem/{id}/hsm`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HsmControlChange {
    /// `enabled`, `disabled`, `shutdown` (read back as `stopped`) or
    /// `purge` (cancel every request; the state stays).
    pub control: String,
}

/// `POST /api/filesystem/{id}/hsm/request`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HsmRequestBody {
    /// `archive`, `release`, `restore` or `remove` (the archive copy).
    pub action: String,
    /// Absolute path inside the file system (`/dir/file`, relative to a client's mount point).
    pub path: String,
    /// Archive to copy to (archive only; default: the file's, else 1).
    #[serde(default)]
    pub archive_id: Option<i32>,
}

/// `GET /api/filesystem/{id}/hsm/state?path=`: a file's HSM state as
/// `lfs hsm_state` last showed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HsmFileState {
    pub filesystem_id: Uuid,
    pub path: String,
    pub fid: Option<String>,
    /// `HS_*` flags (`0x9`: exists archived).
    pub flags: i32,
    /// `released`, `exists`, `dirty`, `archived`, … as `lfs` prints them.
    pub states: Vec<String>,
    /// 0 for none.
    pub archive_id: i32,
    pub read_at: chrono::DateTime<chrono::Utc>,
}
