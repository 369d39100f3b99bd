//! Lustre quotas (`quota`, `filesystem.quota_ost`/`quota_mdt`): the limits
//! Chroma sets per user, group or project, the usage last read back, and
//! which quota types each file system enforces.

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

pub use api_types::quotas::{QuotaGraceView, QuotaView};

/// Which quotas [`views`] shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    /// Only this one (removed or not).
    pub id: Option<Uuid>,
    /// Only live ones of this file system.
    pub filesystem_id: Option<Uuid>,
    /// Only live ones over a soft or hard limit.
    pub over: bool,
}

/// Limits to store: KiB and inodes, 0 for none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub block_soft: i64,
    pub block_hard: i64,
    pub inode_soft: i64,
    pub inode_hard: i64,
}

/// Usage as `lfs quota` printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub block_used: i64,
    pub inode_used: i64,
    /// The grace column as printed (`-` when not over).
    pub block_grace: String,
    pub inode_grace: String,
    /// A value was printed in brackets (a target did not answer).
    pub inaccurate: bool,
}

const OVER_SOFT: &str = "((q.block_soft > 0 AND q.block_used > q.block_soft)
                          OR (q.inode_soft > 0 AND q.inode_used > q.inode_soft))";
const OVER_HARD: &str = "((q.block_hard > 0 AND q.block_used >= q.block_hard)
                          OR (q.inode_hard > 0 AND q.inode_used >= q.inode_hard))";

/// Quotas, oldest first; without an id, the live (not removed) ones.
pub async fn views(db: &impl ConnectionTrait, selection: Selection) -> Result<Vec<QuotaView>, DbErr> {
    let sql = format!(
        "SELECT q.id, q.filesystem_id, f.name AS filesystem_name, q.kind, q.qid, q.block_soft, q.block_hard,
                q.inode_soft, q.inode_hard, q.state, q.block_used, q.inode_used, q.block_grace, q.inode_grace,
                q.inaccurate, COALESCE({OVER_SOFT}, false) AS over_soft, COALESCE({OVER_HARD}, false) AS over_hard,
                q.read_at, q.created_at, q.updated_at
         FROM quota q JOIN filesystem f ON f.id = q.filesystem_id
         WHERE CASE WHEN $1::uuid IS NULL THEN q.state <> 'removed' ELSE q.id = $1 END
           AND ($2::uuid IS NULL OR q.filesystem_id = $2)
           AND (NOT $3 OR COALESCE({OVER_SOFT} OR {OVER_HARD}, false))
         ORDER BY q.created_at, q.id"
    );
    let rows = crate::sql::query(
        db,
        &sql,
        [
            selection.id.into(),
            selection.filesystem_id.into(),
            selection.over.into(),
        ],
    )
    .await?;
    let grace = |g: Option<String>| g.filter(|g| g != "-" && !g.is_empty());
    rows.iter()
        .map(|r| {
            Ok(QuotaView {
                id: r.try_get("", "id")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
                filesystem_name: r.try_get("", "filesystem_name")?,
                kind: r.try_get("", "kind")?,
                qid: r.try_get("", "qid")?,
                block_soft: r.try_get("", "block_soft")?,
                block_hard: r.try_get("", "block_hard")?,
                inode_soft: r.try_get("", "inode_soft")?,
                inode_hard: r.try_get("", "inode_hard")?,
                state: r.try_get("", "state")?,
                block_used: r.try_get("", "block_used")?,
                inode_used: r.try_get("", "inode_used")?,
                block_grace_left: grace(r.try_get("", "block_grace")?),
                inode_grace_left: grace(r.try_get("", "inode_grace")?),
                inaccurate: r.try_get("", "inaccurate")?,
                grace_expired: [
                    r.try_get::<Option<String>>("", "block_grace")?,
                    r.try_get("", "inode_grace")?,
                ]
                .iter()
                .any(|g| g.as_deref() == Some("none")),
                over_soft: r.try_get("", "over_soft")?,
                over_hard: r.try_get("", "over_hard")?,
                read_at: r.try_get("", "read_at")?,
                created_at: r.try_get("", "created_at")?,
                updated_at: r.try_get("", "updated_at")?,
            })
        })
        .collect()
}

/// Quota `id`, removed or not.
pub async fn view(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<QuotaView>, DbErr> {
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

/// Stores limits for `kind` id `qid` of a file system: the live quota's
/// limits are replaced (and it is `new` again until its job runs), or a new
/// one is stored. Returns the quota's id.
pub async fn store_limits(
    db: &impl ConnectionTrait,
    filesystem_id: Uuid,
    kind: &str,
    qid: i64,
    limits: Limits,
) -> Result<Uuid, DbErr> {
    let rows = crate::sql::query(
        db,
        "INSERT INTO quota (id, filesystem_id, kind, qid, block_soft, block_hard, inode_soft, inode_hard)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (filesystem_id, kind, qid) WHERE state <> 'removed'
         DO UPDATE SET block_soft = EXCLUDED.block_soft, block_hard = EXCLUDED.block_hard,
                       inode_soft = EXCLUDED.inode_soft, inode_hard = EXCLUDED.inode_hard,
                       state = 'new', updated_at = now()
         RETURNING id",
        [
            Uuid::now_v7().into(),
            filesystem_id.into(),
            kind.into(),
            qid.into(),
            limits.block_soft.into(),
            limits.block_hard.into(),
            limits.inode_soft.into(),
            limits.inode_hard.into(),
        ],
    )
    .await?;
    rows.first()
        .map(|r| r.try_get("", "id"))
        .transpose()?
        .ok_or_else(|| DbErr::RecordNotInserted)
}

/// Records what `lfs quota` read back after the quota's job: its state
/// (`set` or `removed`) and usage; fenced by `fence`. Returns the rows
/// changed.
pub async fn record_applied(
    db: &impl ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    id: Uuid,
    state: &str,
    usage: &Usage,
) -> Result<u64, DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE quota SET state = $2, block_used = $3, inode_used = $4, block_grace = $5, inode_grace = $6,
                inaccurate = $7, read_at = now(), updated_at = now()
         WHERE id = $1",
        vec![
            id.into(),
            state.into(),
            usage.block_used.into(),
            usage.inode_used.into(),
            usage.block_grace.clone().into(),
            usage.inode_grace.clone().into(),
            usage.inaccurate.into(),
        ],
        fence,
    )
    .await
}

/// Records the usage the monitor read for a live quota.
pub async fn record_usage(db: &impl ConnectionTrait, id: Uuid, usage: &Usage) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "UPDATE quota SET block_used = $2, inode_used = $3, block_grace = $4, inode_grace = $5, inaccurate = $6,
                read_at = now()
         WHERE id = $1 AND state <> 'removed'",
        [
            id.into(),
            usage.block_used.into(),
            usage.inode_used.into(),
            usage.block_grace.clone().into(),
            usage.inode_grace.clone().into(),
            usage.inaccurate.into(),
        ],
    )
    .await
}

/// The quota types a file system enforces: (`ost`, `mdt`); `None` when no
/// such file system.
pub async fn enforcement(db: &impl ConnectionTrait, filesystem_id: Uuid) -> Result<Option<(String, String)>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT quota_ost, quota_mdt FROM filesystem WHERE id = $1",
        [filesystem_id.into()],
    )
    .await?;
    rows.first()
        .map(|r| Ok((r.try_get("", "quota_ost")?, r.try_get("", "quota_mdt")?)))
        .transpose()
}

/// Records the quota types a file system enforces, once applied on its
/// MGS; fenced by `fence`.
pub async fn record_enforcement(
    db: &impl ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    filesystem_id: Uuid,
    ost: &str,
    mdt: &str,
) -> Result<u64, DbErr> {
    crate::steps::fenced_execute(
        db,
        "UPDATE filesystem SET quota_ost = $2, quota_mdt = $3 WHERE id = $1",
        vec![filesystem_id.into(), ost.into(), mdt.into()],
        fence,
    )
    .await
}

/// The grace times last read back for each of these file systems, by
/// file system, each list in `user`, `group`, `project` order.
pub async fn graces(
    db: &impl ConnectionTrait,
    filesystem_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<QuotaGraceView>>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT filesystem_id, kind, block_secs, inode_secs, read_at FROM quota_grace
         WHERE filesystem_id = ANY($1)
         ORDER BY filesystem_id, array_position(ARRAY['user', 'group', 'project'], kind)",
        [filesystem_ids.to_vec().into()],
    )
    .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<QuotaGraceView>> = std::collections::HashMap::new();
    for r in &rows {
        out.entry(r.try_get("", "filesystem_id")?)
            .or_default()
            .push(QuotaGraceView {
                kind: r.try_get("", "kind")?,
                block_secs: r.try_get("", "block_secs")?,
                inode_secs: r.try_get("", "inode_secs")?,
                read_at: r.try_get("", "read_at")?,
            });
    }
    Ok(out)
}

/// Records the grace times `lfs quota -t` read back for one quota type of
/// a file system; fenced by `fence`.
pub async fn record_grace(
    db: &impl ConnectionTrait,
    fence: Option<crate::steps::Fence>,
    filesystem_id: Uuid,
    kind: &str,
    block_secs: i64,
    inode_secs: i64,
) -> Result<u64, DbErr> {
    // An upsert cannot end with the fence's condition as an UPDATE can,
    // so the fence guards the SELECT the row comes from.
    let (step_id, attempt) = fence.map_or((None, None), |f| (Some(f.step_id), Some(f.attempt)));
    crate::sql::execute(
        db,
        "INSERT INTO quota_grace (filesystem_id, kind, block_secs, inode_secs)
         SELECT $1, $2, $3, $4
         WHERE $5::uuid IS NULL
            OR EXISTS (SELECT 1 FROM step WHERE id = $5 AND attempts = $6 AND state = 'running')
         ON CONFLICT (filesystem_id, kind)
         DO UPDATE SET block_secs = EXCLUDED.block_secs, inode_secs = EXCLUDED.inode_secs, read_at = now()",
        [
            filesystem_id.into(),
            kind.into(),
            block_secs.into(),
            inode_secs.into(),
            step_id.into(),
            attempt.into(),
        ],
    )
    .await
}
