//! `/api/target`: MGTs, MDTs and OSTs, their states, and changing them.

pub mod change;
pub mod list;

use common::domain::TargetState;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use store::domain::HeldLock;
use store::sql::query;

/// A target as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub filesystem_id: Option<Uuid>,
    pub filesystem: Option<String>,
    pub index: Option<i32>,
    pub volume_id: Uuid,
    pub volume_serial: String,
    pub primary_host_id: Uuid,
    pub primary_host: Option<String>,
    pub failover_host_ids: Vec<Uuid>,
    /// Where it is mounted now; null when it is not mounted.
    pub active_host_id: Option<Uuid>,
    pub active_host: Option<String>,
    /// True when it runs on a failover host.
    pub failed_over: bool,
    pub state: String,
    /// False when detected on a cluster Chroma did not create.
    pub managed: bool,
    /// `pacemaker`: started, stopped and moved through Pacemaker as
    /// resource `ha_resource`; `none`: mounted by Chroma directly.
    pub ha_mode: String,
    /// Its Pacemaker primitive's id.
    pub ha_resource: Option<String>,
    /// `ldiskfs` or `zfs`.
    pub backfstype: String,
    /// A ZFS target's pool (its dataset is `zpool/ost0003`).
    pub zpool: Option<String>,
    pub available_transitions: Vec<&'static str>,
    pub locks: Vec<HeldLock>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Targets matching `filter` (a WHERE clause over `t.` and `$1`…).
pub async fn load(
    db: &impl sea_orm::ConnectionTrait,
    filter: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<TargetView>, sea_orm::DbErr> {
    let rows = query(
        db,
        &format!(
            "SELECT t.id, t.name, t.kind, t.filesystem_id, f.name AS filesystem, t.target_index, t.volume_id,
                    v.serial, t.primary_host_id, ph.nodename AS primary_host, t.failover_host_ids,
                    t.active_host_id, ah.nodename AS active_host, t.state, t.managed, t.ha_mode, t.ha_resource, t.backfstype, t.zpool,
                    t.created_at
             FROM target t
             JOIN volume v ON v.id = t.volume_id
             JOIN host ph ON ph.id = t.primary_host_id
             LEFT JOIN host ah ON ah.id = t.active_host_id
             LEFT JOIN filesystem f ON f.id = t.filesystem_id
             WHERE {filter}
             ORDER BY f.name NULLS FIRST, t.kind, t.target_index"
        ),
        values,
    )
    .await?;
    let items = rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id").map(|id| format!("target/{id}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut held = store::domain::held_locks(db, items).await?;
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id")?;
            let state: String = r.try_get("", "state")?;
            let managed: bool = r.try_get("", "managed")?;
            let parsed: TargetState = state.parse().map_err(sea_orm::DbErr::Custom)?;
            let primary: Uuid = r.try_get("", "primary_host_id")?;
            let active: Option<Uuid> = r.try_get("", "active_host_id")?;
            Ok(TargetView {
                id,
                name: r.try_get("", "name")?,
                kind: r.try_get("", "kind")?,
                filesystem_id: r.try_get("", "filesystem_id")?,
                filesystem: r.try_get("", "filesystem")?,
                index: r.try_get("", "target_index")?,
                volume_id: r.try_get("", "volume_id")?,
                volume_serial: r.try_get("", "serial")?,
                primary_host_id: primary,
                primary_host: r.try_get("", "primary_host")?,
                failover_host_ids: r.try_get("", "failover_host_ids")?,
                active_host_id: active,
                active_host: r.try_get("", "active_host")?,
                failed_over: active.is_some_and(|a| a != primary),
                state,
                managed,
                ha_mode: r.try_get("", "ha_mode")?,
                ha_resource: r.try_get("", "ha_resource")?,
                backfstype: r.try_get("", "backfstype")?,
                zpool: r.try_get("", "zpool")?,
                available_transitions: common::plan::target_transitions(parsed, managed),
                locks: held.remove(&format!("target/{id}")).unwrap_or_default(),
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}
