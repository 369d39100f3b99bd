//! Planning for whole file systems and for failover.

use uuid::Uuid;

use super::{Edge, Planner};
use crate::domain::{FilesystemState, TargetKind, TargetState};
use crate::plan::{FilesystemFacts, PlanError};
use crate::Action;
use crate::Item;

impl Planner<'_> {
    pub(super) fn fs_facts(&self, id: Uuid) -> Result<FilesystemFacts, PlanError> {
        let fs = self
            .snap
            .filesystems
            .get(&id)
            .cloned()
            .ok_or_else(|| PlanError::NotFound(format!("file system {id} does not exist")))?;
        if !fs.managed {
            return Err(PlanError::Conflict(format!(
                "file system {} is monitored only: Chroma did not create it and does not change it",
                fs.name
            )));
        }
        Ok(fs)
    }

    /// Brings a file system to `available` (a new one too: formatted,
    /// registered, mounted, then its conf_params applied), `stopped` or
    /// `removed`.
    pub(super) fn filesystem(&mut self, id: Uuid, want: FilesystemState) -> Result<Option<usize>, PlanError> {
        let fs = self.fs_facts(id)?;
        if fs.removed {
            return match want {
                FilesystemState::Removed => Ok(None),
                _ => Err(PlanError::Invalid(format!("file system {} is removed", fs.name))),
            };
        }
        let members: Vec<(Uuid, TargetKind)> = self
            .snap
            .filesystem_targets(id)
            .iter()
            .map(|t| (t.id, t.kind))
            .collect();
        match want {
            FilesystemState::Available => {
                let first = self.jobs.len();
                let mut last = self.target(fs.mgs_id, TargetState::Mounted)?;
                for (target, _) in &members {
                    last = self.target(*target, TargetState::Mounted)?.or(last);
                }
                if fs.has_conf_params && self.jobs.len() > first {
                    // After everything: the client llog is complete once
                    // every target registered. Applying is idempotent, so
                    // each start re-applies what an earlier one missed.
                    let description = format!("Apply the conf_params of {}", fs.name);
                    last = Some(self.conf_params_after(&fs, first, description));
                }
                Ok(last)
            }
            FilesystemState::Stopped => self.stop_with_clients(&fs, &members, "Stopping"),
            FilesystemState::Removed => {
                let mut wait_for = vec![self.stop_with_clients(&fs, &members, "Removing")?];
                for (target, _) in &members {
                    wait_for.push(self.target(*target, TargetState::Removed)?);
                }
                // An MGS that goes with the file system (one removed with
                // it, or a combined MGS+MDT) takes its logs along.
                let combined = members.iter().any(|(t, _)| *t == fs.mgs_id);
                if self.mgs_leaving != Some(fs.mgs_id) && !combined {
                    wait_for.push(Some(self.erase_configuration(&fs, wait_for.clone())?));
                }
                Ok(Some(self.add(Edge {
                    object: Item::Filesystem(id).to_string(),
                    from: "stopped".into(),
                    to: FilesystemState::Removed.to_string(),
                    description: format!("Remove file system {}", fs.name),
                    action: Action::RemoveFilesystem { filesystem_id: id },
                    locks: vec![(Item::Filesystem(id).to_string(), true)],
                    wait_for,
                })))
            }
            FilesystemState::Unavailable => Err(PlanError::Invalid(
                "unavailable is what a partly started file system is, not a state to ask for".into(),
            )),
        }
    }

    /// Erases the stopped file system's configuration logs on the MGS,
    /// which stays (mounted first if it is not), so that the name can be
    /// used again there.
    fn erase_configuration(&mut self, fs: &FilesystemFacts, after: Vec<Option<usize>>) -> Result<usize, PlanError> {
        let mut wait_for = after;
        wait_for.push(self.target(fs.mgs_id, TargetState::Mounted)?);
        Ok(self.add(Edge {
            object: Item::Filesystem(fs.id).to_string(),
            from: "stopped".into(),
            to: "stopped".into(),
            description: format!(
                "Erase the configuration logs of {} on its MGS (lctl erase_lcfg {}), so the name can be used again",
                fs.name, fs.name
            ),
            action: Action::EraseConfiguration { filesystem_id: fs.id },
            locks: vec![
                (Item::Filesystem(fs.id).to_string(), true),
                (Item::Target(fs.mgs_id).to_string(), false),
            ],
            wait_for,
        }))
    }

    /// Unmounts the file system's mounted clients first (a consequence of
    /// `verb`ing it: a client whose servers go hangs), then its targets.
    /// Returns the last job.
    fn stop_with_clients(
        &mut self,
        fs: &FilesystemFacts,
        members: &[(Uuid, TargetKind)],
        verb: &str,
    ) -> Result<Option<usize>, PlanError> {
        let cause = format!("{verb} file system {}", fs.name);
        let clients: Vec<usize> = self
            .unmount_clients(|m| m.filesystem_id == fs.id, &cause)?
            .into_iter()
            .flatten()
            .collect();
        let mut barrier = self.barrier.clone();
        barrier.extend(clients.iter().copied());
        let outer = std::mem::replace(&mut self.barrier, barrier);
        let stopped = self.stop(members);
        self.barrier = outer;
        Ok(stopped?.or(clients.last().copied()))
    }

    /// Unmounts the OSTs, then the MDTs; the MGS may serve other file
    /// systems and stays up. Returns the last job.
    pub(super) fn stop(&mut self, members: &[(Uuid, TargetKind)]) -> Result<Option<usize>, PlanError> {
        let mut osts = Vec::new();
        for (target, kind) in members {
            if *kind == TargetKind::Ost && self.target_state(*target).0 == TargetState::Mounted {
                osts.extend(self.target(*target, TargetState::Unmounted)?);
            }
        }
        let mut after_osts = self.barrier.clone();
        after_osts.extend(osts.iter().copied());
        let outer = std::mem::replace(&mut self.barrier, after_osts);
        let mut last = osts.last().copied();
        for (target, kind) in members {
            if *kind == TargetKind::Mdt && self.target_state(*target).0 == TargetState::Mounted {
                match self.target(*target, TargetState::Unmounted) {
                    Ok(done) => last = done.or(last),
                    Err(e) => {
                        self.barrier = outer;
                        return Err(e);
                    }
                }
            }
        }
        self.barrier = outer;
        Ok(last)
    }

    /// Applies the file system's conf_params once every job planned since
    /// job `first` is done.
    pub(super) fn conf_params_after(&mut self, fs: &FilesystemFacts, first: usize, description: String) -> usize {
        let everything = (first..self.jobs.len()).map(Some).collect();
        self.add(Edge {
            object: Item::Filesystem(fs.id).to_string(),
            from: "available".into(),
            to: "available".into(),
            description,
            action: Action::ApplyConfParams { filesystem_id: fs.id },
            locks: vec![
                (Item::Filesystem(fs.id).to_string(), true),
                (Item::Target(fs.mgs_id).to_string(), false),
            ],
            wait_for: everything,
        })
    }

    /// Applies the stored conf_params on the file system's MGS.
    pub(super) fn apply_conf_params(&mut self, id: Uuid) -> Result<(), PlanError> {
        let fs = self.fs_facts(id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        let mgs = self.target(fs.mgs_id, TargetState::Mounted)?;
        self.add(Edge {
            object: Item::Filesystem(id).to_string(),
            from: "available".into(),
            to: "available".into(),
            description: format!("Apply the conf_params of {}", fs.name),
            action: Action::ApplyConfParams { filesystem_id: id },
            locks: vec![
                (Item::Filesystem(id).to_string(), true),
                (Item::Target(fs.mgs_id).to_string(), false),
            ],
            wait_for: vec![mgs],
        });
        Ok(())
    }

    /// Moves every target of file system `id` (its MGS included) that is
    /// mounted away from its primary host back there: one failback job per
    /// target, none waiting for another, so they run in parallel. Targets on
    /// their primary, not mounted, monitored only or with HA mode none
    /// (nothing but Pacemaker moves a target, so those were not moved) are
    /// left alone; nothing to do is an empty plan.
    pub(super) fn failback_filesystem(&mut self, id: Uuid) -> Result<(), PlanError> {
        let fs = self.fs_facts(id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        let mut members = vec![fs.mgs_id];
        for t in self.snap.filesystem_targets(id) {
            // A combined MGS+MDT is both the MGS and a member.
            if !members.contains(&t.id) {
                members.push(t.id);
            }
        }
        for target in members {
            let Some(t) = self.snap.targets.get(&target) else {
                continue;
            };
            let (state, active) = self.target_state(target);
            let away = state == TargetState::Mounted && active.is_some_and(|h| h != t.primary_host_id);
            if away && t.managed && t.pacemaker {
                self.failover(target, None)?;
            }
        }
        Ok(())
    }

    /// Moves a mounted target to `to` (one of its failover hosts), or back
    /// to its primary host when `to` is `None`.
    pub(super) fn failover(&mut self, target: Uuid, to: Option<Uuid>) -> Result<(), PlanError> {
        let t = self.facts(target)?;
        if !t.managed {
            return Err(PlanError::Conflict(format!(
                "{} is monitored only: Chroma did not create it and does not change it",
                t.name
            )));
        }
        let (state, active) = self.target_state(target);
        if state != TargetState::Mounted {
            return Err(PlanError::Conflict(format!(
                "{} is {state}; only a mounted target can move",
                t.name
            )));
        }
        let destination = to.unwrap_or(t.primary_host_id);
        if to.is_some() && !t.failover_host_ids.contains(&destination) {
            return Err(PlanError::Invalid(format!(
                "{} is not a failover host of {}",
                self.snap.host_label(destination),
                t.name
            )));
        }
        if !t.pacemaker {
            return Err(PlanError::Conflict(format!(
                "{} has HA mode none (its servers have no Pacemaker cluster): nothing can move it safely",
                t.name
            )));
        }
        if active == Some(destination) {
            return Ok(());
        }
        let label = self.snap.host_label(destination);
        let (description, action) = match to {
            Some(host_id) => (
                format!("Fail {} over to {label}", t.name),
                Action::FailoverTarget {
                    target_id: target,
                    host_id,
                },
            ),
            None => (
                format!("Fail {} back to {label}", t.name),
                Action::FailbackTarget { target_id: target },
            ),
        };
        // The destination mounts the target: its LNet must be up and stay up.
        let lnet = self.lnet(destination, crate::domain::LnetState::LnetUp)?;
        self.targets.insert(target, (TargetState::Mounted, Some(destination)));
        self.add(Edge {
            object: Item::Target(target).to_string(),
            from: TargetState::Mounted.to_string(),
            to: TargetState::Mounted.to_string(),
            description,
            action,
            locks: vec![
                (Item::Target(target).to_string(), true),
                (Item::Lnet(destination).to_string(), false),
                (Item::Host(destination).to_string(), false),
            ],
            wait_for: vec![lnet],
        });
        Ok(())
    }
}
