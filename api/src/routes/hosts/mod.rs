//! `/api/host`: add servers and list them.

pub mod change;
pub mod create;
pub mod list;
pub mod lnet;
pub mod scan;

use common::domain::{HostState, LnetState};
use common::preflight::Preflight;
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
    /// The LNet networks Chroma configured on it (`PUT /api/host/{id}/lnet`,
    /// written to `/etc/lnet.conf`); null: LNet takes its networks from
    /// the module options.
    pub lnet_networks: Option<Vec<common::lnet::LnetNetwork>>,
    /// `crm_mon --version`'s first line; null: Pacemaker is not installed.
    pub pacemaker_version: Option<String>,
    /// `corosync -v`'s first line; null: corosync is not installed.
    pub corosync_version: Option<String>,
    /// Its Pacemaker node name (`crm_node -n`), once its cluster runs.
    pub ha_node: Option<String>,
    /// The HA cluster it is a member of.
    pub ha_cluster_id: Option<Uuid>,
    /// The pre-flight checks of its last probe: what passed, what failed
    /// and how to fix it; null until it is probed.
    pub preflight: Option<Preflight>,
    /// When the pre-flight checks last ran.
    pub preflight_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Managed, and no pre-flight check failed: LNet and targets can run
    /// on it. While false nothing that needs Lustre is offered.
    pub serves_lustre: bool,
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
     corosync_version, ha_node, ha_cluster_id, preflight, preflight_at, lnet_networks, created_at";

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
            let preflight: Option<serde_json::Value> = r.try_get("", "preflight")?;
            let preflight = preflight
                .map(serde_json::from_value::<Preflight>)
                .transpose()
                .map_err(|e| sea_orm::DbErr::Custom(format!("bad pre-flight results of host {id}: {e}")))?;
            let networks: Option<serde_json::Value> = r.try_get("", "lnet_networks")?;
            let lnet_networks = networks
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| sea_orm::DbErr::Custom(format!("bad LNet networks of host {id}: {e}")))?;
            // A host probed before pre-flight checks existed is not known to fail.
            let serves_lustre = host == HostState::Managed && preflight.as_ref().is_none_or(Preflight::serves_lustre);
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
                lnet_networks,
                pacemaker_version: r.try_get("", "pacemaker_version")?,
                corosync_version: r.try_get("", "corosync_version")?,
                ha_node: r.try_get("", "ha_node")?,
                ha_cluster_id: r.try_get("", "ha_cluster_id")?,
                preflight,
                preflight_at: r.try_get("", "preflight_at")?,
                serves_lustre,
                available_transitions: common::plan::host_transitions(host),
                lnet_transitions: common::plan::lnet_transitions(host, lnet, serves_lustre),
                locks,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}
