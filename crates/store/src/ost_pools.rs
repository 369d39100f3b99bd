//! OST pools (`ost_pool`) and their members as last read back from the
//! MGS (`ost_pool_member`).

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use uuid::Uuid;

use api_types::ost_pools::{OstPoolMember, OstPoolView};

/// A pool as the planner and the worker need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRow {
    pub id: Uuid,
    pub filesystem_id: Uuid,
    pub filesystem_name: String,
    pub name: String,
    /// `new`, `available` or `removed`.
    pub state: String,
    /// Its members as last read back, by target id.
    pub member_ids: Vec<Uuid>,
}

/// Pool `id`, if it exists.
pub async fn row(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<PoolRow>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT p.id, p.filesystem_id, f.name AS filesystem_name, p.name, p.state,
                ARRAY(SELECT target_id FROM ost_pool_member WHERE pool_id = p.id ORDER BY target_id) AS member_ids
         FROM ost_pool p JOIN filesystem f ON f.id = p.filesystem_id WHERE p.id = $1",
        [id.into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(PoolRow {
                id: r.try_get("", "id")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
                filesystem_name: r.try_get("", "filesystem_name")?,
                name: r.try_get("", "name")?,
                state: r.try_get("", "state")?,
                member_ids: r.try_get("", "member_ids")?,
            })
        })
        .transpose()
}

/// Whether file system `filesystem_id` has a pool named `name` that is not
/// removed.
pub async fn name_taken(db: &impl ConnectionTrait, filesystem_id: Uuid, name: &str) -> Result<bool, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT 1 AS one FROM ost_pool WHERE filesystem_id = $1 AND name = $2 AND state <> 'removed'",
        [filesystem_id.into(), name.into()],
    )
    .await?;
    Ok(!rows.is_empty())
}

/// Stores a new pool, `new` until its job creates it on the MGS.
pub async fn insert(db: &impl ConnectionTrait, id: Uuid, filesystem_id: Uuid, name: &str) -> Result<u64, DbErr> {
    crate::sql::execute(
        db,
        "INSERT INTO ost_pool (id, filesystem_id, name) VALUES ($1, $2, $3)",
        [id.into(), filesystem_id.into(), name.into()],
    )
    .await
}

/// Records what the MGS shows of pool `id`: its state and its members
/// (replacing those recorded before); fenced by `fence`. Returns the
/// rows of `ost_pool` changed (0: no such pool, or the fence failed, and
/// then nothing is written).
pub async fn record_seen<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    fence: Option<crate::steps::Fence>,
    id: Uuid,
    state: &str,
    member_ids: &[Uuid],
) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    let changed = crate::steps::fenced_execute(
        &txn,
        "UPDATE ost_pool SET state = $2 WHERE id = $1",
        vec![id.into(), state.into()],
        fence,
    )
    .await?;
    if changed == 0 {
        txn.rollback().await?;
        return Ok(0);
    }
    crate::sql::execute(
        &txn,
        "WITH gone AS (
             DELETE FROM ost_pool_member WHERE pool_id = $1 AND NOT (target_id = ANY($2::uuid[]))
         )
         INSERT INTO ost_pool_member (pool_id, target_id)
         SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
        [id.into(), member_ids.to_vec().into()],
    )
    .await?;
    txn.commit().await?;
    Ok(changed)
}

/// Which pools [`views`] shows.
#[derive(Debug, Clone, Copy)]
pub enum PoolSelection {
    Id(Uuid),
    /// Live pools (not removed), of one file system or of all.
    Live {
        filesystem_id: Option<Uuid>,
    },
}

/// Pools with their members and space: each OST's latest `space_total` and
/// `space_free` sample, summed over the pool's OSTs that have one.
pub async fn views(db: &impl ConnectionTrait, selection: PoolSelection) -> Result<Vec<OstPoolView>, DbErr> {
    let (filter, values): (&str, Vec<sea_orm::Value>) = match selection {
        PoolSelection::Id(id) => ("p.id = $1", vec![id.into()]),
        PoolSelection::Live { filesystem_id } => (
            "p.state <> 'removed' AND ($1::uuid IS NULL OR p.filesystem_id = $1)",
            vec![filesystem_id.into()],
        ),
    };
    let rows = crate::sql::query(
        db,
        &format!(
            "SELECT p.id, p.filesystem_id, f.name AS filesystem_name, p.name, p.state, p.created_at
             FROM ost_pool p JOIN filesystem f ON f.id = p.filesystem_id
             WHERE {filter} ORDER BY f.name, p.name, p.created_at"
        ),
        values,
    )
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let members = crate::sql::query(
        db,
        "SELECT m.pool_id, t.id, t.name,
                (SELECT r.value FROM metric_series s JOIN metric_raw r ON r.series_id = s.id
                 WHERE s.object_kind = 'target' AND s.object_id = t.id AND s.name = 'space_total'
                 ORDER BY r.at DESC LIMIT 1) AS bytes_total,
                (SELECT r.value FROM metric_series s JOIN metric_raw r ON r.series_id = s.id
                 WHERE s.object_kind = 'target' AND s.object_id = t.id AND s.name = 'space_free'
                 ORDER BY r.at DESC LIMIT 1) AS bytes_free
         FROM ost_pool_member m JOIN target t ON t.id = m.target_id
         WHERE m.pool_id = ANY($1::uuid[]) ORDER BY t.name",
        [ids.into()],
    )
    .await?;
    let mut by_pool: Vec<(Uuid, OstPoolMember)> = Vec::with_capacity(members.len());
    for m in &members {
        by_pool.push((
            m.try_get("", "pool_id")?,
            OstPoolMember {
                id: m.try_get("", "id")?,
                name: m.try_get("", "name")?,
                bytes_total: m.try_get("", "bytes_total")?,
                bytes_free: m.try_get("", "bytes_free")?,
            },
        ));
    }
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id")?;
            let osts: Vec<OstPoolMember> = by_pool
                .iter()
                .filter(|(pool, _)| *pool == id)
                .map(|(_, m)| m.clone())
                .collect();
            let sum = |pick: fn(&OstPoolMember) -> Option<f64>| {
                osts.iter()
                    .filter_map(pick)
                    .fold(None, |acc: Option<f64>, v| Some(acc.unwrap_or(0.0) + v))
            };
            Ok(OstPoolView {
                id,
                filesystem_id: r.try_get("", "filesystem_id")?,
                filesystem_name: r.try_get("", "filesystem_name")?,
                name: r.try_get("", "name")?,
                state: r.try_get("", "state")?,
                bytes_total: sum(|m| m.bytes_total),
                bytes_free: sum(|m| m.bytes_free),
                osts,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// A target named as a pool member, as the API checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: Uuid,
    pub name: String,
    /// `mgt`, `mdt` or `ost`.
    pub kind: String,
    pub filesystem_id: Option<Uuid>,
    pub state: String,
}

/// The targets among `ids` that exist (in no particular order).
pub async fn candidates(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Candidate>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, name, kind, filesystem_id, state FROM target WHERE id = ANY($1::uuid[])",
        [ids.to_vec().into()],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                id: r.try_get("", "id")?,
                name: r.try_get("", "name")?,
                kind: r.try_get("", "kind")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
                state: r.try_get("", "state")?,
            })
        })
        .collect()
}

/// The live OSTs of file system `filesystem_id` named in `names`
/// (`FS-OSTxxxx`), as `(id, name)`.
pub async fn osts_named(
    db: &impl ConnectionTrait,
    filesystem_id: Uuid,
    names: &[String],
) -> Result<Vec<(Uuid, String)>, DbErr> {
    let rows = crate::sql::query(
        db,
        "SELECT id, name FROM target
         WHERE filesystem_id = $1 AND kind = 'ost' AND state <> 'removed' AND name = ANY($2::text[])",
        [filesystem_id.into(), names.to_vec().into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "name")?)))
        .collect()
}
