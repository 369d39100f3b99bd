//! `/api/host`: add servers and list them.

pub mod change;
pub mod create;
pub mod list;
pub mod scan;

use common::domain::{HostState, LnetState};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use store::sql::query;

/// A server as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HostView {
    pub id: Uuid,
    pub address: String,
    pub port: i32,
    /// The pinned SSH host key; null until first contact.
    pub fingerprint: Option<String>,
    pub state: String,
    pub nodename: Option<String>,
    pub kernel: Option<String>,
    pub lustre_version: Option<String>,
    /// `lnet_up`, `lnet_down`, or `lnet_unknown` before the first probe.
    pub lnet_state: String,
    /// Its LNet NIDs, as last seen.
    pub nids: Vec<String>,
    /// `crm_mon --version`'s first line; null: Pacemaker is not installed.
    pub pacemaker_version: Option<String>,
    /// `corosync -v`'s first line; null: corosync is not installed.
    pub corosync_version: Option<String>,
    /// Its Pacemaker node name (`crm_node -n`), once its cluster runs.
    pub ha_node: Option<String>,
    /// The HA cluster it is a member of.
    pub ha_cluster_id: Option<Uuid>,
    /// States the host can be asked for.
    pub available_transitions: Vec<&'static str>,
    /// States its LNet can be asked for.
    pub lnet_transitions: Vec<&'static str>,
    /// Locks running jobs hold on the host or its LNet.
    pub locks: Vec<store::domain::HeldLock>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const COLUMNS: &str =
    "id, address, port, fingerprint, state, nodename, kernel, lustre_version, lnet_state, nids, pacemaker_version,
     corosync_version, ha_node, ha_cluster_id, created_at";

/// Hosts matching `filter` (a WHERE clause over `$1`…), by address.
pub async fn load(
    db: &impl sea_orm::ConnectionTrait,
    filter: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<HostView>, sea_orm::DbErr> {
    let rows = query(
        db,
        &format!("SELECT {COLUMNS} FROM host WHERE {filter} ORDER BY address, port"),
        values,
    )
    .await?;
    let mut items = Vec::new();
    for r in &rows {
        let id: Uuid = r.try_get("", "id")?;
        items.push(format!("host/{id}"));
        items.push(format!("lnet/{id}"));
    }
    let mut held = store::domain::held_locks(db, items).await?;
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id")?;
            let state: String = r.try_get("", "state")?;
            let lnet_state: String = r.try_get("", "lnet_state")?;
            let host: HostState = state.parse().map_err(sea_orm::DbErr::Custom)?;
            let lnet: LnetState = lnet_state.parse().map_err(sea_orm::DbErr::Custom)?;
            let mut locks = held.remove(&format!("host/{id}")).unwrap_or_default();
            locks.extend(held.remove(&format!("lnet/{id}")).unwrap_or_default());
            Ok(HostView {
                id,
                address: r.try_get("", "address")?,
                port: r.try_get("", "port")?,
                fingerprint: r.try_get("", "fingerprint")?,
                state,
                nodename: r.try_get("", "nodename")?,
                kernel: r.try_get("", "kernel")?,
                lustre_version: r.try_get("", "lustre_version")?,
                lnet_state,
                nids: r.try_get("", "nids")?,
                pacemaker_version: r.try_get("", "pacemaker_version")?,
                corosync_version: r.try_get("", "corosync_version")?,
                ha_node: r.try_get("", "ha_node")?,
                ha_cluster_id: r.try_get("", "ha_cluster_id")?,
                available_transitions: common::plan::host_transitions(host),
                lnet_transitions: common::plan::lnet_transitions(host, lnet),
                locks,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}
