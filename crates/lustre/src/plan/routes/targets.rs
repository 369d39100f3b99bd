//! Planning for an OST of a live file system: draining it (no new objects
//! from any MDT) and undraining it, and removing it (deactivated for good on
//! the MGS, then unmounted and forgotten), as the Lustre 2.15 manual's
//! "Removing and Restoring MDTs and OSTs" describes.

use uuid::Uuid;

use super::pools::Change;
use super::{Edge, Planner};
use crate::domain::{TargetKind, TargetState};
use crate::plan::{PlanError, PoolFacts, Snapshot, TargetFacts};
use crate::{Action, Item};

/// What a live OST removal touches besides the OST, for its warning.
#[derive(Debug, Default)]
pub struct RemovalEffects {
    /// Whether the OST is drained already.
    pub drained: bool,
    /// The pools (`FS.POOL`) it leaves with no OST.
    pub emptied_pools: Vec<String>,
    /// Its servers that do not answer (labels).
    pub unreachable: Vec<String>,
}

/// The confirmation a live OST removal asks for.
pub fn removal_warning(ost: &str, effects: &RemovalEffects) -> String {
    let drain = if effects.drained {
        ""
    } else {
        "; drain it first so that no new file is placed on it"
    };
    let mut warning = format!(
        "Removing {ost} deactivates it for good (lctl conf_param {ost}.osc.active=0): files with objects on \
         {ost} lose those objects (their data on it becomes unreadable) unless they were migrated off it first \
         with lfs migrate{drain}"
    );
    if !effects.emptied_pools.is_empty() {
        warning.push_str(&format!(
            ". It leaves pool{} {} with no OST: files and directories striped on {} get no new objects there",
            if effects.emptied_pools.len() == 1 { "" } else { "s" },
            effects.emptied_pools.join(", "),
            if effects.emptied_pools.len() == 1 { "it" } else { "them" },
        ));
    }
    for host in &effects.unreachable {
        warning.push_str(&format!(
            ". {host} unreachable: if it returns with {ost} mounted, unmount it by hand"
        ));
    }
    warning
}

/// The live file system a target is joining: one it belongs to that it
/// has not registered with yet (a target being added).
pub(crate) fn joining(snap: &Snapshot, id: Uuid) -> Option<Uuid> {
    let t = snap.targets.get(&id)?;
    let fs = snap.filesystems.get(&t.filesystem_id?).filter(|fs| !fs.removed)?;
    (t.state < TargetState::Registered).then_some(fs.id)
}

/// What a target joining a file system relies on besides itself: the file
/// system (not being removed) and its other targets (not being stopped).
pub(crate) fn joining_items(snap: &Snapshot, id: Uuid) -> Vec<Item> {
    let Some(fs) = joining(snap, id) else {
        return Vec::new();
    };
    let mut items = vec![Item::Filesystem(fs)];
    items.extend(snap.filesystems.get(&fs).map(|f| Item::Target(f.mgs_id)));
    items.extend(snap.filesystem_targets(fs).iter().map(|t| Item::Target(t.id)));
    items
}

impl Planner<'_> {
    /// Brings a target to `want`; a target joining a live file system
    /// holds a read lock on it throughout, so the file system is not
    /// removed under it.
    pub(super) fn target_goal(&mut self, id: Uuid, want: TargetState) -> Result<(), PlanError> {
        let first = self.jobs.len();
        self.target(id, want)?;
        if let Some(fs) = joining(self.snap, id) {
            let lock = (Item::Filesystem(fs).to_string(), false);
            for job in &mut self.jobs[first..] {
                if !job.locks.iter().any(|(item, _)| *item == lock.0) {
                    job.locks.push(lock.clone());
                }
            }
        }
        Ok(())
    }

    /// An OST of a live file system that Chroma manages, with its MGS.
    fn live_ost(&self, id: Uuid) -> Result<(TargetFacts, TargetFacts), PlanError> {
        let t = self.facts(id)?;
        if t.kind != TargetKind::Ost {
            return Err(PlanError::Conflict(format!(
                "{} is an {}: only an OST can be drained or removed from a live file system",
                t.name,
                t.kind.as_str().to_uppercase()
            )));
        }
        if !t.managed {
            return Err(PlanError::Conflict(format!(
                "{} is monitored only: Chroma did not create it and does not change it",
                t.name
            )));
        }
        if self.target_state(id).0 == TargetState::Removed {
            return Err(PlanError::Conflict(format!("{} is removed", t.name)));
        }
        let fs = t
            .filesystem_id
            .and_then(|fs| self.snap.filesystems.get(&fs))
            .filter(|fs| !fs.removed)
            .ok_or_else(|| PlanError::Conflict(format!("{} belongs to no live file system", t.name)))?;
        let mgs = self
            .snap
            .targets
            .get(&fs.mgs_id)
            .cloned()
            .ok_or_else(|| PlanError::Conflict(format!("file system {} has no MGS", fs.name)))?;
        Ok((t, mgs))
    }

    /// A job run on the MGS about an OST (its MGS mounted first).
    fn on_mgs(
        &mut self,
        t: &TargetFacts,
        mgs: &TargetFacts,
        description: String,
        action: Action,
    ) -> Result<usize, PlanError> {
        let mounted = self.target_at_least(mgs.id, TargetState::Mounted)?;
        let (state, _) = self.target_state(t.id);
        Ok(self.add(Edge {
            object: Item::Target(t.id).to_string(),
            from: state.to_string(),
            to: state.to_string(),
            description,
            action,
            locks: vec![
                (Item::Target(t.id).to_string(), true),
                (Item::Target(mgs.id).to_string(), false),
            ],
            wait_for: vec![mounted],
        }))
    }

    /// Stops (`drained`) or resumes new object creation on an OST from
    /// every MDT of its file system.
    pub(super) fn drain(&mut self, id: Uuid, drained: bool) -> Result<(), PlanError> {
        let (t, mgs) = self.live_ost(id)?;
        if self.snap.drained.contains(&id) == drained {
            return Ok(());
        }
        let (description, action) = if drained {
            (
                format!(
                    "Drain {0}: no new objects on it from any MDT (lctl set_param -P \
                     osp.{0}-osc-MDT*.max_create_count=0 on the MGS)",
                    t.name
                ),
                Action::DrainOst { target_id: id },
            )
        } else {
            (
                format!(
                    "Undrain {0}: the MDTs create objects on it again (lctl set_param -P \
                     osp.{0}-osc-MDT*.max_create_count=20000 on the MGS)",
                    t.name
                ),
                Action::UndrainOst { target_id: id },
            )
        };
        self.on_mgs(&t, &mgs, description, action).map(drop)
    }

    /// Removes an OST from its live file system: taken out of every pool
    /// holding it (`conf_param osc.active=0` leaves it in them), deactivated
    /// for good on the MGS (which needs the user's confirmation: files with
    /// objects on it lose them), then unmounted where a server answers and
    /// forgotten. Its index stays taken in the MGS configuration (Lustre
    /// 2.15 has no `lctl del_ost`).
    pub(super) fn remove_ost(&mut self, id: Uuid) -> Result<(), PlanError> {
        let (t, mgs) = self.live_ost(id)?;
        if self.target_state(id).0 < TargetState::Registered {
            // Never registered: no client or MDT attaches it, so a
            // `conf_param` on it would write a record every log replay
            // fails on ("no device for"); removing it is all there is.
            return self.target(id, TargetState::Removed).map(drop);
        }
        let fs_name = self
            .snap
            .filesystems
            .get(&t.filesystem_id.unwrap_or_default())
            .map(|fs| fs.name.clone())
            .unwrap_or_default();
        let pools: Vec<PoolFacts> = self
            .snap
            .pools
            .values()
            .filter(|p| p.filesystem_id == t.filesystem_id.unwrap_or_default())
            .filter(|p| p.state != "removed" && p.member_ids.contains(&id))
            .cloned()
            .collect();
        let mounted = self.target_state(id).0 == TargetState::Mounted;
        let effects = RemovalEffects {
            drained: self.snap.drained.contains(&id),
            emptied_pools: pools
                .iter()
                .filter(|p| p.member_ids.iter().all(|m| *m == id))
                .map(|p| format!("{fs_name}.{}", p.name))
                .collect(),
            unreachable: std::iter::once(&t.primary_host_id)
                .chain(&t.failover_host_ids)
                .filter(|h| mounted && self.snap.unreachable.contains(h))
                .map(|h| self.snap.host_label(*h))
                .collect(),
        };
        let outer = self.consequence.replace(removal_warning(&t.name, &effects));
        let planned = self.deactivate(&t, &mgs, &pools);
        self.consequence = outer;
        planned?;
        if mounted && !t.pacemaker {
            self.unmount_removed(&t);
        }
        self.target(id, TargetState::Removed).map(drop)
    }

    /// The OST out of `pools`, then deactivated on the MGS.
    fn deactivate(&mut self, t: &TargetFacts, mgs: &TargetFacts, pools: &[PoolFacts]) -> Result<(), PlanError> {
        let mut left = Vec::new();
        if !pools.is_empty() {
            // The pool commands run on the MGS: mount it first if need be.
            self.target_at_least(mgs.id, TargetState::Mounted)?;
        }
        for pool in pools {
            let members: Vec<Uuid> = pool.member_ids.iter().copied().filter(|m| *m != t.id).collect();
            left.extend(self.pool_job(pool, Change::Members(&members))?);
        }
        let outer = std::mem::replace(&mut self.barrier, left);
        let description = format!(
            "Deactivate {0} for good on every client and MDT (lctl conf_param {0}.osc.active=0 on the MGS)",
            t.name
        );
        let deactivated = self.on_mgs(t, mgs, description, Action::DeactivateOst { target_id: t.id });
        self.barrier = outer;
        deactivated.map(drop)
    }

    /// Unmounts a deactivated OST where it is seen mounted; a server that
    /// does not answer does not fail the job (see the removal warning).
    fn unmount_removed(&mut self, t: &TargetFacts) -> usize {
        let (from, host) = self.target_state(t.id);
        let place = host
            .map(|h| format!(" on {}", self.snap.host_label(h)))
            .unwrap_or_default();
        self.targets.insert(t.id, (TargetState::Unmounted, None));
        self.add(Edge {
            object: Item::Target(t.id).to_string(),
            from: from.to_string(),
            to: TargetState::Unmounted.to_string(),
            description: format!(
                "Unmount {}{place} (where a server answers; one that does not is left to check by hand)",
                t.name
            ),
            action: Action::UnmountRemovedOst { target_id: t.id },
            locks: vec![(Item::Target(t.id).to_string(), true)],
            wait_for: Vec::new(),
        })
    }
}
