//! What the monitor watches, read from the database at every poll: the
//! managed servers Chroma holds a host key for, their live targets and the
//! HA clusters Chroma configured.

use chroma_ssh::{Fingerprint, Target};
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use uuid::Uuid;

use store::sql::query;

/// A server to poll.
#[derive(Debug, Clone)]
pub struct Host {
    pub id: Uuid,
    /// Its node name once probed, else `address:port`.
    pub name: String,
    pub nodename: Option<String>,
    /// Its Pacemaker node name (`crm_node -n`), which crm_mon shows.
    pub ha_node: Option<String>,
    /// The configured HA cluster it is a member of.
    pub ha_cluster_id: Option<Uuid>,
    pub target: Target,
    pub fingerprint: Fingerprint,
    /// Chroma's LNet state for it: `lnet_up` means LNet should be running.
    pub lnet_state: String,
    pub journal_cursor: Option<String>,
}

/// A live target.
#[derive(Debug, Clone)]
pub struct TargetRow {
    pub id: Uuid,
    /// Lustre's name: `MGS`, `fs1-MDT0000`, `fs1-OST0003`.
    pub name: String,
    pub kind: String,
    pub filesystem_id: Option<Uuid>,
    pub state: String,
    pub primary_host_id: Uuid,
    pub failover_host_ids: Vec<Uuid>,
    pub active_host_id: Option<Uuid>,
    /// Its Pacemaker primitive, when Pacemaker keeps it.
    pub ha_resource: Option<String>,
}

impl TargetRow {
    /// The hosts it may be mounted on, primary first.
    pub fn hosts(&self) -> impl Iterator<Item = Uuid> + '_ {
        std::iter::once(self.primary_host_id).chain(self.failover_host_ids.iter().copied())
    }
}

/// A configured HA cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub id: Uuid,
    /// corosync's cluster name.
    pub name: String,
}

/// Everything polled in one round.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub hosts: Vec<Host>,
    pub targets: Vec<TargetRow>,
    /// HA clusters Chroma has configured (members are the hosts naming one).
    pub clusters: Vec<Cluster>,
    /// Names of every host (polled or not), for messages.
    pub names: HashMap<Uuid, String>,
}

/// Reads the inventory. A host whose stored key or port is unusable is
/// skipped with a warning.
pub async fn load(db: &DatabaseConnection) -> Result<Inventory, DbErr> {
    let rows = query(
        db,
        "SELECT h.id, h.address, h.port, h.fingerprint, h.nodename, h.ha_node, h.state, h.lnet_state,
                h.journal_cursor, c.id AS ha_cluster_id
         FROM host h LEFT JOIN ha_cluster c ON c.id = h.ha_cluster_id AND c.state = 'configured'
         WHERE h.state <> 'removed'",
        [],
    )
    .await?;
    let mut inventory = Inventory::default();
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        let address: String = row.try_get("", "address")?;
        let port: i32 = row.try_get("", "port")?;
        let nodename: Option<String> = row.try_get("", "nodename")?;
        let state: String = row.try_get("", "state")?;
        let fingerprint: Option<String> = row.try_get("", "fingerprint")?;
        let name = nodename.clone().unwrap_or_else(|| format!("{address}:{port}"));
        inventory.names.insert(id, name.clone());
        if state != "managed" {
            continue;
        }
        let (Some(fingerprint), Ok(port)) = (fingerprint, u16::try_from(port)) else {
            continue;
        };
        let fingerprint = match Fingerprint::parse(&fingerprint) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(host = %name, "not polling: bad stored host key: {e}");
                continue;
            }
        };
        inventory.hosts.push(Host {
            id,
            name,
            nodename,
            ha_node: row.try_get("", "ha_node")?,
            ha_cluster_id: row.try_get("", "ha_cluster_id")?,
            target: Target::new(address, port, "root"),
            fingerprint,
            lnet_state: row.try_get("", "lnet_state")?,
            journal_cursor: row.try_get("", "journal_cursor")?,
        });
    }
    let rows = query(
        db,
        "SELECT id, name, kind, filesystem_id, state, primary_host_id, failover_host_ids, active_host_id,
                ha_resource
         FROM target WHERE state <> 'removed'",
        [],
    )
    .await?;
    for row in rows {
        inventory.targets.push(TargetRow {
            id: row.try_get("", "id")?,
            name: row.try_get("", "name")?,
            kind: row.try_get("", "kind")?,
            filesystem_id: row.try_get("", "filesystem_id")?,
            state: row.try_get("", "state")?,
            primary_host_id: row.try_get("", "primary_host_id")?,
            failover_host_ids: row.try_get("", "failover_host_ids")?,
            active_host_id: row.try_get("", "active_host_id")?,
            ha_resource: row.try_get("", "ha_resource")?,
        });
    }
    let rows = query(db, "SELECT id, name FROM ha_cluster WHERE state = 'configured'", []).await?;
    for row in rows {
        inventory.clusters.push(Cluster {
            id: row.try_get("", "id")?,
            name: row.try_get("", "name")?,
        });
    }
    Ok(inventory)
}
