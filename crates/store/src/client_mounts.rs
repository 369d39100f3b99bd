//! Lustre client mounts (`client_mount`): what Chroma keeps mounted where,
//! and what the host last showed.

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use api_types::client_mounts::ClientMountView;

/// Which mounts [`views`] shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    /// Only this one (removed or not).
    pub id: Option<Uuid>,
    /// Only live ones on this host.
    pub host_id: Option<Uuid>,
    /// Only live ones of this file system.
    pub filesystem_id: Option<Uuid>,
}

/// Client mounts, newest last; without an id, the live (not removed) ones.
pub async fn views(db: &impl ConnectionTrait, selection: Selection) -> Result<Vec<ClientMountView>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT c.id, c.host_id, COALESCE(h.nodename, h.address || ':' || h.port) AS host_name,
                c.filesystem_id, f.name AS filesystem_name, c.mountpoint, c.options, c.state,
                c.persistent, c.source, c.created_at, c.updated_at
         FROM client_mount c JOIN host h ON h.id = c.host_id JOIN filesystem f ON f.id = c.filesystem_id
         WHERE CASE WHEN $1::uuid IS NULL THEN c.state <> 'removed' ELSE c.id = $1 END
           AND ($2::uuid IS NULL OR c.host_id = $2)
           AND ($3::uuid IS NULL OR c.filesystem_id = $3)
         ORDER BY c.created_at, c.id",
        [
            selection.id.into(),
            selection.host_id.into(),
            selection.filesystem_id.into(),
        ],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ClientMountView {
                id: r.try_get("", "id")?,
                host_id: r.try_get("", "host_id")?,
                host_name: r.try_get("", "host_name")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
                filesystem_name: r.try_get("", "filesystem_name")?,
                mountpoint: r.try_get("", "mountpoint")?,
                options: r.try_get("", "options")?,
                state: r.try_get("", "state")?,
                persistent: r.try_get("", "persistent")?,
                source: r.try_get("", "source")?,
                created_at: r.try_get("", "created_at")?,
                updated_at: r.try_get("", "updated_at")?,
            })
        })
        .collect()
}

/// Mount `id`, removed or not.
pub async fn view(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ClientMountView>, DbErr> {
    Ok(views(
        db,
        Selection {
            id: Some(id),
            ..Selection::default()
        },
    )
    .await?
    .into_iter()
    .next())
}

/// The live mount of host `host_id` at `mountpoint`, if any.
pub async fn at_mountpoint(db: &impl ConnectionTrait, host_id: Uuid, mountpoint: &str) -> Result<Option<Uuid>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id FROM client_mount WHERE host_id = $1 AND mountpoint = $2 AND state <> 'removed'",
        [host_id.into(), mountpoint.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get("", "id")).transpose()
}

/// Stores a new mount, `unmounted` until its job mounts it.
pub async fn insert(
    db: &impl ConnectionTrait,
    id: Uuid,
    host_id: Uuid,
    filesystem_id: Uuid,
    mountpoint: &str,
    options: &str,
) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO client_mount (id, host_id, filesystem_id, mountpoint, options) VALUES ($1, $2, $3, $4, $5)",
        [
            id.into(),
            host_id.into(),
            filesystem_id.into(),
            mountpoint.into(),
            options.into(),
        ],
    )
    .await
}

/// Records what a job left of mount `id`: its state, whether Chroma now
/// keeps it mounted (`wanted`: after mounting, not after unmounting or
/// removing) and, when mounted, the source; fenced by `fence`. Returns
/// the rows changed (0: no such mount, or the fence failed).
pub async fn record_state(
    db: &impl ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: Uuid,
    state: &str,
    source: Option<&str>,
) -> Result<u64, DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE client_mount SET state = $2, wanted = ($2 = 'mounted'), source = COALESCE($3, source),
                updated_at = now()
         WHERE id = $1",
        vec![id.into(), state.into(), source.map(str::to_owned).into()],
        fence,
    )
    .await
}

/// A mounted client mount of file system `filesystem_id` (the oldest) on
/// a managed host (Chroma runs nothing on another), where jobs that need a client (`lfs setquota`) run: (mount id, host id,
/// mount point).
pub async fn mounted_for_filesystem(
    db: &impl ConnectionTrait,
    filesystem_id: Uuid,
) -> Result<Option<(Uuid, Uuid, String)>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT c.id, c.host_id, c.mountpoint FROM client_mount c JOIN host h ON h.id = c.host_id
         WHERE c.filesystem_id = $1 AND c.state = 'mounted' AND h.state = 'managed'
         ORDER BY c.created_at, c.id LIMIT 1",
        [filesystem_id.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok((
                r.try_get("", "id")?,
                r.try_get("", "host_id")?,
                r.try_get("", "mountpoint")?,
            ))
        })
        .transpose()
}

/// A live mount as the monitor checks it against its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub id: Uuid,
    pub host_id: Uuid,
    pub host_name: String,
    pub filesystem_name: String,
    pub mountpoint: String,
    /// `mounted` or `unmounted`, as last recorded.
    pub state: String,
    /// Chroma keeps it mounted.
    pub wanted: bool,
    /// When it was last recorded: [`observe`] changes it only if unchanged
    /// since.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Every live mount on a managed host, for the monitor.
pub async fn watched(db: &impl ConnectionTrait) -> Result<Vec<Watched>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT c.id, c.host_id, COALESCE(h.nodename, h.address || ':' || h.port) AS host_name,
                f.name AS filesystem_name, c.mountpoint, c.state, c.wanted, c.updated_at
         FROM client_mount c JOIN host h ON h.id = c.host_id JOIN filesystem f ON f.id = c.filesystem_id
         WHERE c.state <> 'removed' AND h.state = 'managed'
         ORDER BY c.host_id, c.created_at, c.id",
        [],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Watched {
                id: r.try_get("", "id")?,
                host_id: r.try_get("", "host_id")?,
                host_name: r.try_get("", "host_name")?,
                filesystem_name: r.try_get("", "filesystem_name")?,
                mountpoint: r.try_get("", "mountpoint")?,
                state: r.try_get("", "state")?,
                wanted: r.try_get("", "wanted")?,
                updated_at: r.try_get("", "updated_at")?,
            })
        })
        .collect()
}

/// Records what the host showed of mount `id` (`mounted` with its source,
/// or `unmounted`) unless a job recorded it since `seen` (its
/// `updated_at` when read) or it was removed; `wanted` is left alone.
/// Returns the rows changed.
pub async fn observe(
    db: &impl ConnectionTrait,
    id: Uuid,
    seen: chrono::DateTime<chrono::Utc>,
    state: &str,
    source: Option<&str>,
) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "UPDATE client_mount SET state = $3, source = COALESCE($4, source), updated_at = now()
         WHERE id = $1 AND updated_at = $2 AND state IN ('mounted', 'unmounted') AND state <> $3",
        [id.into(), seen.into(), state.into(), source.map(str::to_owned).into()],
    )
    .await
}

/// Whether Chroma keeps mount `id` mounted (false if there is no such
/// mount).
pub async fn wanted(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let rows = crate::sql::query(db, "SELECT wanted FROM client_mount WHERE id = $1", [id.into()]).await?;
    Ok(rows
        .first()
        .map(|r| r.try_get("", "wanted"))
        .transpose()?
        .unwrap_or(false))
}
