//! `/api/filesystem`: create, list, change and detect Lustre file systems.

pub mod change;
pub mod create;
pub mod detect;
pub mod list;
pub mod params;
pub mod takeover;
pub mod writeconf;

use common::domain::TargetState;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::targets::TargetView;
use store::domain::HeldLock;
use store::sql::query;

/// A file system as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
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
    pub available_transitions: Vec<&'static str>,
    pub locks: Vec<HeldLock>,
    /// Its MGT, then its MDTs and OSTs.
    pub targets: Vec<TargetView>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// File systems matching `filter` (a WHERE clause over `f.` and `$1`…).
pub async fn load(
    db: &impl sea_orm::ConnectionTrait,
    filter: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<FilesystemView>, sea_orm::DbErr> {
    let rows = query(
        db,
        &format!(
            "SELECT f.id, f.name, f.managed, f.removed, f.mgs_id, f.conf_params, f.created_at,
                    (SELECT string_agg(array_to_string(h.nids, ','), ':' ORDER BY h.id = m.primary_host_id DESC)
                     FROM host h WHERE h.id = m.primary_host_id OR h.id = ANY(m.failover_host_ids)) AS mgs_nids
             FROM filesystem f JOIN target m ON m.id = f.mgs_id
             WHERE {filter} ORDER BY f.name, f.created_at"
        ),
        values,
    )
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let mgs_ids = rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "mgs_id"))
        .collect::<Result<Vec<_>, _>>()?;
    let targets = super::targets::load(
        db,
        "(t.filesystem_id = ANY($1) OR t.id = ANY($2))",
        vec![ids.clone().into(), mgs_ids.into()],
    )
    .await?;
    let items = ids.iter().map(|id| format!("filesystem/{id}")).collect();
    let mut held = store::domain::held_locks(db, items).await?;
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id")?;
            let name: String = r.try_get("", "name")?;
            let mgs_id: Uuid = r.try_get("", "mgs_id")?;
            let managed: bool = r.try_get("", "managed")?;
            let removed: bool = r.try_get("", "removed")?;
            let mgs_nids: Option<String> = r.try_get("", "mgs_nids")?;
            let parse = |t: &TargetView| t.state.parse::<TargetState>().unwrap_or(TargetState::Unformatted);
            let mgs_state = targets
                .iter()
                .find(|t| t.id == mgs_id)
                .map_or(TargetState::Unformatted, parse);
            let members: Vec<TargetState> = targets
                .iter()
                .filter(|t| t.filesystem_id == Some(id) && t.state != "removed")
                .map(parse)
                .collect();
            let state = common::plan::filesystem_state(removed, mgs_state, &members);
            let own: Vec<TargetView> = targets
                .iter()
                .filter(|t| t.id == mgs_id || t.filesystem_id == Some(id))
                .map(TargetView::clone)
                .collect();
            Ok(FilesystemView {
                id,
                client_mount_source: mgs_nids.filter(|n| !n.is_empty()).map(|n| format!("{n}:/{name}")),
                name,
                state: state.to_string(),
                managed,
                mgs_id,
                conf_params: r.try_get("", "conf_params")?,
                available_transitions: common::plan::filesystem_transitions(state, managed),
                locks: held.remove(&format!("filesystem/{id}")).unwrap_or_default(),
                targets: own,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// One file system, or 404.
pub async fn load_one(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> Result<FilesystemView, crate::error::ApiError> {
    load(db, "f.id = $1", vec![id.into()])
        .await?
        .pop()
        .ok_or_else(|| crate::error::ApiError::NotFound(format!("file system {id} does not exist")))
}
