//! Lustre HSM: copytools (`copytool`), what a file system's MDTs last
//! showed of their coordinator (`hsm_status`) and the HSM state of files
//! requests named (`hsm_file`).

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

pub use api_types::hsm::CopytoolView;

/// Copytools, oldest first: one (removed or not), or the live ones of a
/// file system (or all live ones).
pub async fn copytools(
    db: &impl ConnectionTrait,
    id: Option<Uuid>,
    filesystem_id: Option<Uuid>,
) -> Result<Vec<CopytoolView>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT c.id, c.host_id, COALESCE(h.nodename, h.address || ':' || h.port) AS host_name,
                c.filesystem_id, f.name AS filesystem_name, c.client_mount_id, m.mountpoint,
                c.archive_id, c.archive_path, c.state, c.pid, c.created_at, c.updated_at
         FROM copytool c JOIN host h ON h.id = c.host_id JOIN filesystem f ON f.id = c.filesystem_id
              JOIN client_mount m ON m.id = c.client_mount_id
         WHERE CASE WHEN $1::uuid IS NULL THEN c.state <> 'removed' ELSE c.id = $1 END
           AND ($2::uuid IS NULL OR c.filesystem_id = $2)
         ORDER BY c.created_at, c.id",
        [id.into(), filesystem_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CopytoolView {
                id: r.try_get("", "id")?,
                host_id: r.try_get("", "host_id")?,
                host_name: r.try_get("", "host_name")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
                filesystem_name: r.try_get("", "filesystem_name")?,
                client_mount_id: r.try_get("", "client_mount_id")?,
                mountpoint: r.try_get("", "mountpoint")?,
                archive_id: r.try_get("", "archive_id")?,
                archive_path: r.try_get("", "archive_path")?,
                state: r.try_get("", "state")?,
                pid: r.try_get("", "pid")?,
                created_at: r.try_get("", "created_at")?,
                updated_at: r.try_get("", "updated_at")?,
            })
        })
        .collect()
}

/// Copytool `id`, removed or not.
pub async fn copytool(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<CopytoolView>, DbErr> {
    Ok(copytools(db, Some(id), None).await?.into_iter().next())
}

/// The live copytool of a host and file system for `archive_id`, if any.
pub async fn copytool_for(
    db: &impl ConnectionTrait,
    host_id: Uuid,
    filesystem_id: Uuid,
    archive_id: i32,
) -> Result<Option<Uuid>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id FROM copytool WHERE host_id = $1 AND filesystem_id = $2 AND archive_id = $3 AND state <> 'removed'",
        [host_id.into(), filesystem_id.into(), archive_id.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "id")).transpose()
}

/// Stores a new copytool, `stopped` until its job starts it.
pub async fn insert_copytool(
    db: &impl ConnectionTrait,
    id: Uuid,
    client_mount_id: Uuid,
    archive_id: i32,
    archive_path: &str,
) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO copytool (id, host_id, filesystem_id, client_mount_id, archive_id, archive_path)
         SELECT $1, m.host_id, m.filesystem_id, m.id, $3, $4 FROM client_mount m WHERE m.id = $2",
        [
            id.into(),
            client_mount_id.into(),
            archive_id.into(),
            archive_path.into(),
        ],
    )
    .await
}

/// Records copytool `id`'s state and pid (none unless started), fenced by
/// `fence`; returns the rows changed.
pub async fn record_copytool(
    db: &impl ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: Uuid,
    state: &str,
    pid: Option<i32>,
) -> Result<u64, DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE copytool SET state = $2, pid = $3, updated_at = now() WHERE id = $1",
        vec![id.into(), state.into(), pid.into()],
        fence,
    )
    .await
}

/// Marks a copytool found not running `failed`, unless something changed
/// it meanwhile (only a `started` one); returns the rows changed.
pub async fn mark_copytool_failed(db: &impl ConnectionTrait, id: Uuid) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "UPDATE copytool SET state = 'failed', pid = NULL, updated_at = now() WHERE id = $1 AND state = 'started'",
        [id.into()],
    )
    .await
}

/// The monitor's restarts of a copytool in its current run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restarts {
    pub count: i32,
    pub last_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Copytool `id`'s restarts (none for an unknown id).
pub async fn restarts(db: &impl ConnectionTrait, id: Uuid) -> Result<Restarts, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT restarts, last_restart_at FROM copytool WHERE id = $1",
        [id.into()],
    )
    .await?;
    match rows.first() {
        Some(r) => Ok(Restarts {
            count: r.try_get("", "restarts")?,
            last_at: r.try_get("", "last_restart_at")?,
        }),
        None => Ok(Restarts {
            count: 0,
            last_at: None,
        }),
    }
}

/// Records that the monitor submitted restart number `count` of copytool
/// `id` now; returns the rows changed.
pub async fn record_restart(db: &impl ConnectionTrait, id: Uuid, count: i32) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "UPDATE copytool SET restarts = $2, last_restart_at = now() WHERE id = $1",
        [id.into(), count.into()],
    )
    .await
}

/// Forgets copytool `id`'s restarts (an operator starts or stops it);
/// returns the rows changed.
pub async fn reset_restarts(db: &impl ConnectionTrait, id: Uuid) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "UPDATE copytool SET restarts = 0, last_restart_at = NULL WHERE id = $1",
        [id.into()],
    )
    .await
}

/// Whether a live copytool of `filesystem_id` serves `archive_id` and is
/// started (or being started by unfinished work).
pub async fn archive_served(db: &impl ConnectionTrait, filesystem_id: Uuid, archive_id: i32) -> Result<bool, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT 1 AS one FROM copytool WHERE filesystem_id = $1 AND archive_id = $2 AND state = 'started'",
        [filesystem_id.into(), archive_id.into()],
    )
    .await?;
    Ok(!rows.is_empty())
}

/// What a file system's MDTs last showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub control: String,
    pub agents: String,
    pub actions: String,
    pub active_requests: String,
    pub read_at: chrono::DateTime<chrono::Utc>,
}

/// Records what `filesystem_id`'s MDTs show now.
pub async fn record_status(db: &impl ConnectionTrait, filesystem_id: Uuid, status: &StatusRow) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO hsm_status (filesystem_id, control, agents, actions, active_requests, read_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (filesystem_id) DO UPDATE SET control = $2, agents = $3, actions = $4,
             active_requests = $5, read_at = now()",
        [
            filesystem_id.into(),
            status.control.clone().into(),
            status.agents.clone().into(),
            status.actions.clone().into(),
            status.active_requests.clone().into(),
        ],
    )
    .await
}

/// What `filesystem_id`'s MDTs last showed, if Chroma read them.
pub async fn status(db: &impl ConnectionTrait, filesystem_id: Uuid) -> Result<Option<StatusRow>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT control, agents, actions, active_requests, read_at FROM hsm_status WHERE filesystem_id = $1",
        [filesystem_id.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(StatusRow {
                control: r.try_get("", "control")?,
                agents: r.try_get("", "agents")?,
                actions: r.try_get("", "actions")?,
                active_requests: r.try_get("", "active_requests")?,
                read_at: r.try_get("", "read_at")?,
            })
        })
        .transpose()
}

/// A file's HSM state as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    pub fid: Option<String>,
    pub flags: i32,
    pub archive_id: i32,
    pub read_at: chrono::DateTime<chrono::Utc>,
}

/// Records what `lfs hsm_state` shows of `path`.
pub async fn record_file(
    db: &impl ConnectionTrait,
    filesystem_id: Uuid,
    path: &str,
    fid: Option<&str>,
    flags: i32,
    archive_id: i32,
) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO hsm_file (filesystem_id, path, fid, flags, archive_id, read_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (filesystem_id, path) DO UPDATE SET fid = COALESCE($3, hsm_file.fid), flags = $4,
             archive_id = $5, read_at = now()",
        [
            filesystem_id.into(),
            path.into(),
            fid.map(str::to_owned).into(),
            flags.into(),
            archive_id.into(),
        ],
    )
    .await
}

/// `path`'s HSM state as last read, if a request read it.
pub async fn file(db: &impl ConnectionTrait, filesystem_id: Uuid, path: &str) -> Result<Option<FileRow>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT fid, flags, archive_id, read_at FROM hsm_file WHERE filesystem_id = $1 AND path = $2",
        [filesystem_id.into(), path.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(FileRow {
                fid: r.try_get("", "fid")?,
                flags: r.try_get("", "flags")?,
                archive_id: r.try_get("", "archive_id")?,
                read_at: r.try_get("", "read_at")?,
            })
        })
        .transpose()
}
