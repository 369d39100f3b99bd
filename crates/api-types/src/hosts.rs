//! Servers as `/api/host` shows them.

pub use lustre::lnet::LnetNetwork;
pub use lustre::preflight::{Check, CheckStatus, Preflight};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::locks::HeldLock;

/// A server as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
    pub lnet_networks: Option<Vec<LnetNetwork>>,
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
    pub available_transitions: Vec<String>,
    /// States its LNet can be asked for.
    pub lnet_transitions: Vec<String>,
    /// Locks running jobs hold on the host or its LNet.
    pub locks: Vec<HeldLock>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
