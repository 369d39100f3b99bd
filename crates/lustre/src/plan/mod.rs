//! State-route planning: from what Chroma knows of its objects (a
//! [`Snapshot`]) and what a user asks for (a [`Goal`]), the jobs that get
//! there, chained by dependencies, with the locks each takes. A job added
//! only because another object must change first (LNet started, the MGS
//! mounted) is a dependency; a job that changes an object the user did not
//! name because of the request (targets unmounted when LNet stops) is a
//! consequence and asks for confirmation, as Intel Manager for Lustre's
//! `get_transition_consequences` did.
//!
//! Pure: no I/O. The API plans from a snapshot read in the same
//! transaction that stores the command.

mod routes;
mod snapshot;
mod transitions;

pub use routes::clients::{
    check_client_mountpoint, check_client_options, overlapping_mountpoint, ClientMountFacts, ClientMountState,
};
pub use routes::data::DataRequest;
pub use routes::hsm::{CopytoolFacts, HsmRequestFacts};
pub use routes::pools::{check_pool_name, PoolFacts};
pub use routes::quotas::{QuotaFacts, QuotaGraceFacts};
pub use snapshot::{FilesystemFacts, HostFacts, Snapshot, TargetFacts};
pub use transitions::{
    filesystem_state, filesystem_transitions, host_transitions, lnet_transitions, target_transitions,
};

use serde::Serialize;
use uuid::Uuid;

use crate::domain::{HostState, LnetState, TargetState};
use crate::submission::{NewCommand, NewJob};
use crate::{Action, Item};

/// What a user asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    Target(Uuid, TargetState),
    Host(Uuid, HostState),
    Lnet(Uuid, LnetState),
    /// `available`, `stopped` or `removed`.
    Filesystem(Uuid, crate::domain::FilesystemState),
    /// Apply a file system's stored conf_params on its MGS (mounting the
    /// MGS first if needed).
    ApplyConfParams(Uuid),
    /// Move a mounted target to one of its failover hosts.
    Failover {
        target: Uuid,
        host: Uuid,
    },
    /// Move a mounted target back to its primary host.
    Failback(Uuid),
    /// Move every target of a file system (its MGS included) that
    /// Pacemaker runs away from its primary host back there, as after a
    /// failover storm: one failback job per target, in parallel.
    FailbackFilesystem(Uuid),
    /// Configure a host's LNet networks (validated, canonical names).
    ConfigureLnet {
        host: Uuid,
        networks: Vec<crate::lnet::LnetNetwork>,
    },
    /// Regenerate a file system's configuration with its servers' current
    /// NIDs (writeconf every MDT and OST, restart in order).
    Writeconf(Uuid),
    /// Stop (`drained`) or resume new object creation on an OST from every
    /// MDT of its file system.
    Drain {
        target: Uuid,
        drained: bool,
    },
    /// Create an OST pool (stored `new`) with these OSTs.
    CreatePool {
        pool: PoolFacts,
        ost_ids: Vec<Uuid>,
    },
    /// Give a pool exactly these OSTs.
    ChangePool {
        pool: PoolFacts,
        ost_ids: Vec<Uuid>,
    },
    /// Remove a pool's OSTs and destroy it.
    DestroyPool(PoolFacts),
    /// Bring a Lustre client mount to a state (mounting plans LNet up on
    /// its host first).
    ClientMount {
        mount: ClientMountFacts,
        want: ClientMountState,
    },
    /// A data job (mirrors, migration, striping) through a mounted client
    /// mount.
    Data {
        mount: ClientMountFacts,
        request: DataRequest,
    },
    /// Set the quota types a file system enforces (on its MGS).
    QuotaEnforcement {
        filesystem: Uuid,
        ost: String,
        mdt: String,
    },
    /// Set (or, with `clear`, clear) a quota's limits from a client mount.
    Quota {
        quota: QuotaFacts,
        clear: bool,
    },
    /// Set a file system's grace times for one quota type from a client
    /// mount.
    QuotaGrace(QuotaGraceFacts),
    /// Set a file system's HSM coordinator on every MDT.
    HsmControl {
        filesystem: Uuid,
        control: crate::hsm::HsmControl,
    },
    /// Bring a copytool to `started`, `stopped` or `removed`.
    Copytool {
        copytool: CopytoolFacts,
        want: String,
    },
    /// One HSM request, followed to its end.
    HsmRequest(HsmRequestFacts),
}

impl Goal {
    /// The lock items of the objects the goal is about: unfinished work on
    /// any of them means their states are about to change, so a plan made
    /// now (even an empty one) could be wrong.
    pub fn items(&self, snapshot: &Snapshot) -> Vec<String> {
        let items = match self {
            Goal::Target(id, _) | Goal::Failback(id) | Goal::Failover { target: id, .. } => {
                let mut items = vec![Item::Target(*id)];
                items.extend(routes::targets::joining_items(snapshot, *id));
                items
            }
            Goal::Host(id, _) | Goal::ConfigureLnet { host: id, .. } => vec![Item::Host(*id), Item::Lnet(*id)],
            Goal::Lnet(id, _) => vec![Item::Lnet(*id)],
            Goal::Drain { target, .. } => vec![Item::Target(*target)],
            Goal::CreatePool { pool, .. } | Goal::ChangePool { pool, .. } | Goal::DestroyPool(pool) => {
                vec![Item::OstPool(pool.id)]
            }
            Goal::ClientMount { mount, .. } => vec![Item::ClientMount(mount.id), Item::Lnet(mount.host_id)],
            Goal::Data { mount, .. } => vec![Item::ClientMount(mount.id)],
            Goal::QuotaEnforcement { filesystem, .. } => vec![Item::Filesystem(*filesystem)],
            Goal::Quota { quota, .. } => vec![Item::Quota(quota.id), Item::ClientMount(quota.client_mount_id)],
            Goal::QuotaGrace(g) => vec![Item::Filesystem(g.filesystem_id), Item::ClientMount(g.client_mount_id)],
            Goal::HsmControl { filesystem, .. } => vec![Item::Filesystem(*filesystem)],
            Goal::Copytool { copytool, .. } => {
                vec![Item::Copytool(copytool.id), Item::ClientMount(copytool.client_mount_id)]
            }
            Goal::HsmRequest(r) => vec![Item::ClientMount(r.client_mount_id)],
            Goal::Filesystem(id, _)
            | Goal::ApplyConfParams(id)
            | Goal::Writeconf(id)
            | Goal::FailbackFilesystem(id) => {
                let mut items = vec![Item::Filesystem(*id)];
                items.extend(snapshot.filesystems.get(id).map(|fs| Item::Target(fs.mgs_id)));
                items.extend(snapshot.filesystem_targets(*id).iter().map(|t| Item::Target(t.id)));
                items
            }
        };
        items.into_iter().map(String::from).collect()
    }
}

/// One job of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedJob {
    pub description: String,
    /// The object it changes, as a lock item (`target/ID`).
    pub object: String,
    pub from: String,
    pub to: String,
    #[serde(skip)]
    pub steps: Vec<Action>,
    #[serde(skip)]
    pub locks: Vec<(String, bool)>,
    /// Positions in the plan of the jobs this one waits for.
    pub wait_for: Vec<usize>,
    /// Why this job needs the user's confirmation, when it changes an
    /// object the request did not name.
    pub confirmation: Option<String>,
}

/// The jobs that reach a goal, every job after the jobs it waits for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub jobs: Vec<PlannedJob>,
}

/// Why a goal cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    NotFound(String),
    /// The goal is not a state the object can reach.
    #[error("{0}")]
    Invalid(String),
    /// The goal conflicts with the objects as they are now.
    #[error("{0}")]
    Conflict(String),
}

impl Plan {
    /// Plans `goal` from `snapshot`.
    pub fn new(snapshot: &Snapshot, goal: &Goal) -> Result<Plan, PlanError> {
        routes::Planner::new(snapshot).reach(goal)
    }

    /// The jobs that need confirmation.
    pub fn confirmations(&self) -> Vec<&str> {
        self.jobs.iter().filter_map(|j| j.confirmation.as_deref()).collect()
    }

    /// Every item some job of the plan locks, for reading or writing.
    pub fn locked_items(&self) -> Vec<String> {
        let mut items: Vec<String> = self
            .jobs
            .iter()
            .flat_map(|j| j.locks.iter().map(|(i, _)| i.clone()))
            .collect();
        items.sort();
        items.dedup();
        items
    }

    /// The command that runs the plan.
    pub fn into_command(self, message: String) -> NewCommand {
        let jobs = self
            .jobs
            .into_iter()
            .enumerate()
            .map(|(i, job)| NewJob {
                key: format!("{i}"),
                description: job.description,
                steps: job.steps,
                locks: job.locks,
                wait_for: job.wait_for,
            })
            .collect();
        NewCommand { message, jobs }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_clients;
#[cfg(test)]
mod tests_grow;
#[cfg(test)]
mod tests_pools;
#[cfg(test)]
mod tests_quotas;
