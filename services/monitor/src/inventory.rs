//! What the monitor watches, read from the database at every poll: the
//! managed servers Chroma holds a host key for, their live targets and the
//! HA clusters Chroma configured.

use chroma_ssh::{Fingerprint, Target};
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use uuid::Uuid;

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
    /// The file systems this monitor looks after when it shares the
    /// servers with other monitors (`crate::share`); `None`: all of them.
    pub filesystems: Option<std::collections::HashSet<Uuid>>,
}

impl Inventory {
    /// Whether this monitor looks after file system `fs`.
    pub fn looks_after(&self, fs: Uuid) -> bool {
        self.filesystems.as_ref().is_none_or(|mine| mine.contains(&fs))
    }
}

/// Reads the inventory. A host whose stored key or port is unusable is
/// skipped with a warning.
pub async fn load(db: &DatabaseConnection) -> Result<Inventory, DbErr> {
    let mut inventory = Inventory::default();
    for row in store::hosts::monitored(db).await? {
        let name = row
            .nodename
            .clone()
            .unwrap_or_else(|| format!("{}:{}", row.address, row.port));
        inventory.names.insert(row.id, name.clone());
        if row.state != "managed" {
            continue;
        }
        let (Some(fingerprint), Ok(port)) = (row.fingerprint, u16::try_from(row.port)) else {
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
            id: row.id,
            name,
            nodename: row.nodename,
            ha_node: row.ha_node,
            ha_cluster_id: row.ha_cluster_id,
            target: Target::new(row.address, port, "root"),
            fingerprint,
            lnet_state: row.lnet_state,
            journal_cursor: row.journal_cursor,
        });
    }
    for row in store::targets::live(db).await? {
        inventory.targets.push(TargetRow {
            id: row.id,
            name: row.name,
            kind: row.kind,
            filesystem_id: row.filesystem_id,
            state: row.state,
            primary_host_id: row.primary_host_id,
            failover_host_ids: row.failover_host_ids,
            active_host_id: row.active_host_id,
            ha_resource: row.ha_resource,
        });
    }
    for cluster in store::ha::configured_clusters(db).await? {
        inventory.clusters.push(Cluster {
            id: cluster.id,
            name: cluster.name,
        });
    }
    Ok(inventory)
}
