//! What the planner knows of the objects: their current states and links.

use std::collections::BTreeMap;
use uuid::Uuid;

use crate::domain::{HostState, LnetState, TargetKind, TargetState};

/// A host as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    pub id: Uuid,
    /// How users know it (node name or address), for messages.
    pub label: String,
    pub state: HostState,
    pub lnet: LnetState,
    /// The pre-flight checks it failed when last probed: while any did, it
    /// cannot serve Lustre.
    pub preflight_failed: Vec<String>,
}

/// A target as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFacts {
    pub id: Uuid,
    pub name: String,
    pub kind: TargetKind,
    pub filesystem_id: Option<Uuid>,
    pub index: Option<u16>,
    pub primary_host_id: Uuid,
    pub failover_host_ids: Vec<Uuid>,
    pub active_host_id: Option<Uuid>,
    pub state: TargetState,
    /// False for targets detected on a cluster Chroma did not create.
    pub managed: bool,
    /// Kept by Pacemaker (HA mode `pacemaker`): only Pacemaker moves it.
    pub pacemaker: bool,
}

/// A file system as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesystemFacts {
    pub id: Uuid,
    pub name: String,
    pub mgs_id: Uuid,
    pub managed: bool,
    pub removed: bool,
    pub has_conf_params: bool,
}

/// Every object the planner may touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub hosts: BTreeMap<Uuid, HostFacts>,
    pub targets: BTreeMap<Uuid, TargetFacts>,
    pub filesystems: BTreeMap<Uuid, FilesystemFacts>,
    /// The OSTs drained: their MDTs create no new objects on them.
    pub drained: std::collections::BTreeSet<Uuid>,
    /// OST pools, with their members as last read back from the MGS.
    pub pools: BTreeMap<Uuid, crate::plan::PoolFacts>,
    /// Hosts the monitor last found not answering (an active
    /// `host_unreachable` alert).
    pub unreachable: std::collections::BTreeSet<Uuid>,
    /// The live (not removed) Lustre client mounts.
    pub client_mounts: BTreeMap<Uuid, super::ClientMountFacts>,
}

impl Snapshot {
    /// The live (not removed) targets of a file system, MDTs before OSTs,
    /// each by index.
    pub fn filesystem_targets(&self, filesystem_id: Uuid) -> Vec<&TargetFacts> {
        let mut targets: Vec<&TargetFacts> = self
            .targets
            .values()
            .filter(|t| t.filesystem_id == Some(filesystem_id) && t.state != TargetState::Removed)
            .collect();
        targets.sort_by_key(|t| (t.kind == TargetKind::Ost, t.index));
        targets
    }

    /// The MGS target a target registers with.
    pub fn mgs_of(&self, target: &TargetFacts) -> Option<&TargetFacts> {
        let fs = self.filesystems.get(&target.filesystem_id?)?;
        self.targets.get(&fs.mgs_id)
    }

    /// A host's label, or its id when unknown.
    pub fn host_label(&self, id: Uuid) -> String {
        self.hosts.get(&id).map_or_else(|| id.to_string(), |h| h.label.clone())
    }
}
