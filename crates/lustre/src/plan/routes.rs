//! The planner: walks each object's state graph from its planned state to
//! the one wanted, adding one job per edge after the jobs it depends on.

use std::collections::HashMap;
use uuid::Uuid;

use super::{Goal, Plan, PlanError, PlannedJob, Snapshot, TargetFacts};
use crate::domain::{FilesystemState, HostState, LnetState, TargetKind, TargetState};
use crate::{Action, Item};

/// The forward part of a target's graph, in order.
const CHAIN: [TargetState; 5] = [
    TargetState::Unformatted,
    TargetState::Formatted,
    TargetState::Registered,
    TargetState::Unmounted,
    TargetState::Mounted,
];

/// A job about to be added.
struct Edge {
    object: String,
    from: String,
    to: String,
    description: String,
    action: Action,
    locks: Vec<(String, bool)>,
    wait_for: Vec<Option<usize>>,
}

pub struct Planner<'a> {
    snap: &'a Snapshot,
    targets: HashMap<Uuid, (TargetState, Option<Uuid>)>,
    lnets: HashMap<Uuid, LnetState>,
    hosts: HashMap<Uuid, HostState>,
    /// (object, state) → the job that puts the object in that state.
    produced: HashMap<(String, String), usize>,
    /// The last job planned on each object; later ones wait for it.
    last: HashMap<String, usize>,
    /// Set while planning the consequences of a request on other objects.
    consequence: Option<String>,
    /// Jobs every job added now must also wait for.
    barrier: Vec<usize>,
    /// The MGT being removed, while the file systems it serves are: their
    /// configuration logs go with it, not erased one by one.
    mgs_leaving: Option<Uuid>,
    jobs: Vec<PlannedJob>,
}

impl<'a> Planner<'a> {
    pub fn new(snap: &'a Snapshot) -> Self {
        Self {
            snap,
            targets: snap
                .targets
                .values()
                .map(|t| (t.id, (t.state, t.active_host_id)))
                .collect(),
            lnets: snap.hosts.values().map(|h| (h.id, h.lnet)).collect(),
            hosts: snap.hosts.values().map(|h| (h.id, h.state)).collect(),
            produced: HashMap::new(),
            last: HashMap::new(),
            consequence: None,
            barrier: Vec::new(),
            mgs_leaving: None,
            jobs: Vec::new(),
        }
    }

    pub fn reach(mut self, goal: &Goal) -> Result<Plan, PlanError> {
        match goal {
            Goal::Target(id, TargetState::Removed) => self.remove_alone(*id)?,
            Goal::Target(id, state) => self.target_goal(*id, *state)?,
            Goal::Host(id, state) => self.host(*id, *state).map(drop)?,
            Goal::Lnet(id, state) => self.lnet(*id, *state).map(drop)?,
            Goal::Filesystem(id, state) => self.filesystem(*id, *state).map(drop)?,
            Goal::ApplyConfParams(id) => self.apply_conf_params(*id)?,
            Goal::Failover { target, host } => self.failover(*target, Some(*host))?,
            Goal::Failback(target) => self.failover(*target, None)?,
            Goal::FailbackFilesystem(id) => self.failback_filesystem(*id)?,
            Goal::ConfigureLnet { host, networks } => self.configure_lnet(*host, networks)?,
            Goal::Writeconf(id) => self.writeconf(*id)?,
            Goal::Drain { target, drained } => self.drain(*target, *drained)?,
            Goal::CreatePool { pool, ost_ids } => self.pool_job(pool, pools::Change::Create(ost_ids)).map(drop)?,
            Goal::ChangePool { pool, ost_ids } => self.pool_job(pool, pools::Change::Members(ost_ids)).map(drop)?,
            Goal::DestroyPool(pool) => self.pool_job(pool, pools::Change::Destroy).map(drop)?,
            Goal::ClientMount { mount, want } => self.client_mount(mount, *want).map(drop)?,
            Goal::Data { mount, request } => self.data_job(mount, request)?,
            Goal::QuotaEnforcement { filesystem, ost, mdt } => self.quota_enforcement(*filesystem, ost, mdt)?,
            Goal::Quota { quota, clear } => self.quota(quota, *clear)?,
            Goal::QuotaGrace(grace) => self.quota_grace(grace)?,
            Goal::HsmControl { filesystem, control } => self.hsm_control(*filesystem, *control)?,
            Goal::Copytool { copytool, want } => self.copytool(copytool, want)?,
            Goal::HsmRequest(request) => self.hsm_request(request)?,
        }
        Ok(Plan { jobs: self.jobs })
    }

    fn add(&mut self, edge: Edge) -> usize {
        let index = self.jobs.len();
        let mut wait_for: Vec<usize> = edge.wait_for.into_iter().flatten().collect();
        wait_for.extend(self.last.get(&edge.object).copied());
        wait_for.extend(self.barrier.iter().copied());
        wait_for.sort_unstable();
        wait_for.dedup();
        let mut locks: Vec<(String, bool)> = Vec::new();
        for (name, write) in edge.locks {
            match locks.iter_mut().find(|(n, _)| *n == name) {
                Some(existing) => existing.1 |= write,
                None => locks.push((name, write)),
            }
        }
        self.produced.insert((edge.object.clone(), edge.to.clone()), index);
        self.last.insert(edge.object.clone(), index);
        self.jobs.push(PlannedJob {
            description: edge.description,
            object: edge.object,
            from: edge.from,
            to: edge.to,
            steps: vec![edge.action],
            locks,
            wait_for,
            confirmation: self.consequence.clone(),
        });
        index
    }

    fn facts(&self, id: Uuid) -> Result<TargetFacts, PlanError> {
        self.snap
            .targets
            .get(&id)
            .cloned()
            .ok_or_else(|| PlanError::NotFound(format!("target {id} does not exist")))
    }

    fn target_state(&self, id: Uuid) -> (TargetState, Option<Uuid>) {
        self.targets.get(&id).copied().unwrap_or((TargetState::Removed, None))
    }

    /// Brings a target to `want`; returns the job that gets it there.
    fn target(&mut self, id: Uuid, want: TargetState) -> Result<Option<usize>, PlanError> {
        let t = self.facts(id)?;
        let object = Item::Target(id).to_string();
        let (current, _) = self.target_state(id);
        if current == want {
            return Ok(self.last.get(&object).copied());
        }
        if !t.managed {
            return Err(PlanError::Conflict(format!(
                "{} is monitored only: Chroma did not create it and does not change it",
                t.name
            )));
        }
        if current == TargetState::Removed {
            return Err(PlanError::Invalid(format!("{} is removed", t.name)));
        }
        match want {
            TargetState::Removed => self.remove_target(&t),
            TargetState::Unmounted if current == TargetState::Mounted => Ok(Some(self.unmount(&t))),
            _ if want > current => {
                let mut last = None;
                for next in CHAIN.iter().copied().filter(|s| *s > current && *s <= want) {
                    last = Some(self.edge(&t, next)?);
                }
                Ok(last)
            }
            _ => Err(PlanError::Invalid(format!(
                "{} cannot go from {current} to {want}",
                t.name
            ))),
        }
    }

    /// Brings a target to `want` unless it is there or further along.
    fn target_at_least(&mut self, id: Uuid, want: TargetState) -> Result<Option<usize>, PlanError> {
        let (current, _) = self.target_state(id);
        if current >= want && current != TargetState::Removed {
            return Ok(self
                .produced
                .get(&(Item::Target(id).to_string(), want.to_string()))
                .copied());
        }
        self.target(id, want)
    }

    /// The job for one forward edge of a target's graph.
    fn edge(&mut self, t: &TargetFacts, to: TargetState) -> Result<usize, PlanError> {
        // Formatting names every server of the target; mounting needs only
        // the primary (a partner failing its checks, say mid-upgrade, does
        // not keep the target down).
        let failovers = if to == TargetState::Mounted {
            &[][..]
        } else {
            &t.failover_host_ids[..]
        };
        for host in std::iter::once(&t.primary_host_id).chain(failovers) {
            self.serves_lustre(*host, &format!("serve {}", t.name))?;
        }
        let (from, _) = self.target_state(t.id);
        let primary = self.snap.host_label(t.primary_host_id);
        let mut locks = vec![
            (Item::Target(t.id).to_string(), true),
            (Item::Lnet(t.primary_host_id).to_string(), false),
        ];
        let mut wait_for = vec![self.lnet(t.primary_host_id, LnetState::LnetUp)?];
        let mgs = match t.kind {
            TargetKind::Mgt => None,
            _ => Some(
                self.snap
                    .mgs_of(t)
                    .cloned()
                    .ok_or_else(|| PlanError::Conflict(format!("{} belongs to no file system with an MGS", t.name)))?,
            ),
        };
        // An MDT formatted `--mgs --mdt` is its own MGS: nothing to wait for.
        let mgs = mgs.filter(|m| m.id != t.id);
        let (description, action) = match to {
            TargetState::Formatted => {
                // mkfs.lustre needs the NIDs of every server of the target
                // and of its MGS.
                let mut hosts = t.failover_host_ids.clone();
                if let Some(mgs) = &mgs {
                    hosts.push(mgs.primary_host_id);
                    hosts.extend(mgs.failover_host_ids.iter().copied());
                }
                for host in hosts {
                    wait_for.push(self.lnet(host, LnetState::LnetUp)?);
                    locks.push((Item::Lnet(host).to_string(), false));
                }
                (
                    format!("Format {} on {primary}", t.name),
                    Action::FormatTarget { target_id: t.id },
                )
            }
            TargetState::Registered => {
                if let Some(mgs) = &mgs {
                    wait_for.push(self.target(mgs.id, TargetState::Mounted)?);
                    locks.push((Item::Target(mgs.id).to_string(), false));
                }
                if t.kind == TargetKind::Ost || (t.kind == TargetKind::Mdt && t.index != Some(0)) {
                    // MDT0 registers first: the MGS builds the client
                    // configuration from it.
                    let mdt0 = self.snap.filesystem_targets(t.filesystem_id.unwrap_or_default());
                    if let Some(mdt0) = mdt0.iter().find(|m| m.kind == TargetKind::Mdt && m.index == Some(0)) {
                        wait_for.push(self.target_at_least(mdt0.id, TargetState::Registered)?);
                    }
                }
                (
                    format!("Register {} with its MGS from {primary}", t.name),
                    Action::RegisterTarget { target_id: t.id },
                )
            }
            TargetState::Unmounted => (
                format!("Check Pacemaker's resource for {}", t.name),
                Action::ConfigureTarget { target_id: t.id },
            ),
            TargetState::Mounted => {
                if let Some(mgs) = &mgs {
                    wait_for.push(self.target(mgs.id, TargetState::Mounted)?);
                    locks.push((Item::Target(mgs.id).to_string(), false));
                }
                (
                    format!("Mount {} on {primary}", t.name),
                    Action::MountTarget { target_id: t.id },
                )
            }
            other => {
                return Err(PlanError::Invalid(format!("{} cannot go to {other}", t.name)));
            }
        };
        let host = if to == TargetState::Mounted {
            Some(t.primary_host_id)
        } else {
            None
        };
        self.targets.insert(t.id, (to, host));
        Ok(self.add(Edge {
            object: Item::Target(t.id).to_string(),
            from: from.to_string(),
            to: to.to_string(),
            description,
            action,
            locks,
            wait_for,
        }))
    }

    fn unmount(&mut self, t: &TargetFacts) -> usize {
        let (from, host) = self.target_state(t.id);
        let place = host
            .map(|h| format!(" on {}", self.snap.host_label(h)))
            .unwrap_or_default();
        self.targets.insert(t.id, (TargetState::Unmounted, None));
        self.add(Edge {
            object: Item::Target(t.id).to_string(),
            from: from.to_string(),
            to: TargetState::Unmounted.to_string(),
            description: format!("Unmount {}{place}", t.name),
            action: Action::UnmountTarget { target_id: t.id },
            locks: vec![(Item::Target(t.id).to_string(), true)],
            wait_for: Vec::new(),
        })
    }

    fn remove_target(&mut self, t: &TargetFacts) -> Result<Option<usize>, PlanError> {
        let mut wait_for = Vec::new();
        if t.kind == TargetKind::Mgt {
            let served: Vec<(Uuid, String)> = self
                .snap
                .filesystems
                .values()
                .filter(|f| f.mgs_id == t.id && !f.removed)
                .map(|f| (f.id, f.name.clone()))
                .collect();
            for (fs, name) in served {
                let outer = self
                    .consequence
                    .replace(format!("Removing {} removes file system {name}", t.name));
                let leaving = self.mgs_leaving.replace(t.id);
                let done = self.filesystem(fs, FilesystemState::Removed);
                self.mgs_leaving = leaving;
                self.consequence = outer;
                wait_for.push(done?);
            }
        }
        let (from, _) = self.target_state(t.id);
        if from == TargetState::Mounted {
            // An MGS stays up until the file systems it serves are gone.
            let served: Vec<usize> = wait_for.iter().flatten().copied().collect();
            let outer = std::mem::replace(&mut self.barrier, served);
            wait_for.push(Some(self.unmount(t)));
            self.barrier = outer;
        }
        self.targets.insert(t.id, (TargetState::Removed, None));
        Ok(Some(self.add(Edge {
            object: Item::Target(t.id).to_string(),
            from: from.to_string(),
            to: TargetState::Removed.to_string(),
            description: format!("Remove {} (its data stays on the volume)", t.name),
            action: Action::RemoveTarget { target_id: t.id },
            locks: vec![(Item::Target(t.id).to_string(), true)],
            wait_for,
        })))
    }

    /// Removing one target by itself: an MGT, a target whose file system
    /// is already removed, or an OST of a live file system (deactivated
    /// first, see `targets.rs`). An MDT of a live file system goes with the
    /// file system.
    fn remove_alone(&mut self, id: Uuid) -> Result<(), PlanError> {
        let t = self.facts(id)?;
        let live_fs = t
            .filesystem_id
            .and_then(|fs| self.snap.filesystems.get(&fs))
            .filter(|fs| !fs.removed);
        if live_fs.is_some() && t.kind == TargetKind::Ost {
            return self.remove_ost(id);
        }
        // An MDT added to a live file system that never registered (a
        // failed add) is no part of it yet.
        if live_fs.is_some() && self.target_state(id).0 < TargetState::Registered {
            return self.target(id, TargetState::Removed).map(drop);
        }
        if let Some(fs) = live_fs {
            return Err(PlanError::Conflict(format!(
                "{} belongs to file system {}; remove the file system (an MDT leaves a live file system \
                 only with it)",
                t.name, fs.name
            )));
        }
        self.target(id, TargetState::Removed).map(drop)
    }

    fn managed_host(&self, id: Uuid) -> Result<(), PlanError> {
        match self.hosts.get(&id) {
            None => Err(PlanError::NotFound(format!("host {id} does not exist"))),
            Some(HostState::Managed) => Ok(()),
            Some(state) => Err(PlanError::Conflict(format!(
                "host {} is {state}, not managed",
                self.snap.host_label(id)
            ))),
        }
    }

    /// Refuses `what` on a host that failed a pre-flight check.
    fn serves_lustre(&self, id: Uuid, what: &str) -> Result<(), PlanError> {
        match self.snap.hosts.get(&id) {
            Some(h) if !h.preflight_failed.is_empty() => Err(PlanError::Conflict(crate::preflight::refusal(
                &h.label,
                what,
                &h.preflight_failed,
            ))),
            _ => Ok(()),
        }
    }

    /// Brings LNet on a host to `want`.
    fn lnet(&mut self, host: Uuid, want: LnetState) -> Result<Option<usize>, PlanError> {
        self.managed_host(host)?;
        let object = Item::Lnet(host).to_string();
        let current = self.lnets.get(&host).copied().unwrap_or(LnetState::LnetUnknown);
        if current == want {
            return Ok(self.last.get(&object).copied());
        }
        let label = self.snap.host_label(host);
        let mut wait_for = Vec::new();
        let (description, action) = match want {
            LnetState::LnetUp => {
                self.serves_lustre(host, "start LNet")?;
                (
                    format!("Start LNet on {label} (loads the lnet module: modprobe lnet)"),
                    Action::StartLnet { host_id: host },
                )
            }
            LnetState::LnetDown => {
                let mounted: Vec<TargetFacts> = self
                    .snap
                    .targets
                    .values()
                    .filter(|t| self.target_state(t.id) == (TargetState::Mounted, Some(host)))
                    .cloned()
                    .collect();
                for t in mounted {
                    let outer = self
                        .consequence
                        .replace(format!("Stopping LNet on {label} unmounts {}", t.name));
                    let done = self.target(t.id, TargetState::Unmounted);
                    self.consequence = outer;
                    wait_for.push(done?);
                }
                // A mounted client holds the lustre module: lustre_rmmod
                // would fail "Module lustre is in use".
                let cause = format!("Stopping LNet on {label}");
                wait_for.extend(self.unmount_clients(|m| m.host_id == host, &cause)?);
                (
                    format!("Stop LNet on {label} (unloads the Lustre modules: lustre_rmmod)"),
                    Action::StopLnet { host_id: host },
                )
            }
            LnetState::LnetUnknown => {
                return Err(PlanError::Invalid(
                    "lnet_unknown is not a state LNet can be put in".into(),
                ));
            }
        };
        self.lnets.insert(host, want);
        Ok(Some(self.add(Edge {
            object,
            from: current.to_string(),
            to: want.to_string(),
            description,
            action,
            locks: vec![
                (Item::Lnet(host).to_string(), true),
                (Item::Host(host).to_string(), false),
            ],
            wait_for,
        })))
    }

    fn host(&mut self, id: Uuid, want: HostState) -> Result<Option<usize>, PlanError> {
        let current = *self
            .hosts
            .get(&id)
            .ok_or_else(|| PlanError::NotFound(format!("host {id} does not exist")))?;
        if current == want {
            return Ok(None);
        }
        let label = self.snap.host_label(id);
        if want != HostState::Removed {
            return Err(PlanError::Invalid(format!(
                "host {label} cannot be put in {want}; a host becomes managed when it is added"
            )));
        }
        let holding: Vec<String> = self
            .snap
            .targets
            .values()
            .filter(|t| self.target_state(t.id).0 != TargetState::Removed)
            .filter(|t| t.primary_host_id == id || t.failover_host_ids.contains(&id) || t.active_host_id == Some(id))
            .map(|t| t.name.clone())
            .collect();
        if !holding.is_empty() {
            return Err(PlanError::Conflict(format!(
                "host {label} serves {}; remove those first",
                holding.join(", ")
            )));
        }
        self.hosts.insert(id, want);
        Ok(Some(self.add(Edge {
            object: Item::Host(id).to_string(),
            from: current.to_string(),
            to: want.to_string(),
            description: format!("Remove host {label}"),
            action: Action::RemoveHost { host_id: id },
            locks: vec![(Item::Host(id).to_string(), true), (Item::Lnet(id).to_string(), true)],
            wait_for: Vec::new(),
        })))
    }
}

pub(super) mod clients;
pub(super) mod data;
mod filesystems;
pub(super) mod hsm;
mod networks;
pub(super) mod pools;
pub(super) mod quotas;
pub(super) mod targets;
