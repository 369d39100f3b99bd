//! Planning for a server's LNet networks and for the writeconf that makes
//! a file system's targets use new NIDs, as Intel Manager for Lustre's
//! `UpdateNidsJob` did: targets carry their servers' NIDs on disk
//! (`mgsnode=`, `failover.node=`), so a NID change reaches them only
//! through `tunefs.lustre --writeconf` and a restart in Lustre's order.

use uuid::Uuid;

use super::{Edge, Planner};
use crate::domain::{LnetState, TargetKind, TargetState};
use crate::lnet::{describe, LnetNetwork};
use crate::plan::PlanError;
use crate::Action;
use crate::Item;

impl Planner<'_> {
    /// Configures `host`'s LNet networks. Refused while targets are
    /// mounted there: reloading LNet under them would cut them off.
    pub(super) fn configure_lnet(&mut self, host: Uuid, networks: &[LnetNetwork]) -> Result<(), PlanError> {
        self.managed_host(host)?;
        self.serves_lustre(host, "configure LNet")?;
        let label = self.snap.host_label(host);
        let mut mounted: Vec<String> = self
            .snap
            .targets
            .values()
            .filter(|t| self.target_state(t.id) == (TargetState::Mounted, Some(host)))
            .map(|t| t.name.clone())
            .collect();
        mounted.sort();
        if !mounted.is_empty() {
            return Err(PlanError::Conflict(format!(
                "{} mounted on {label}; stop them or fail them over before changing its LNet networks",
                mounted.join(", ")
            )));
        }
        let mut description = format!(
            "Configure LNet on {label}: {} (writes /etc/lnet.conf, reloads the Lustre modules)",
            describe(networks)
        );
        let named = self.filesystems_naming(host);
        if !named.is_empty() {
            description.push_str(&format!(
                "; {} keep this server's old NIDs until a writeconf",
                named.join(", ")
            ));
        }
        let current = self.lnets.get(&host).copied().unwrap_or(LnetState::LnetUnknown);
        self.lnets.insert(host, LnetState::LnetUp);
        self.add(Edge {
            object: Item::Lnet(host).to_string(),
            from: current.to_string(),
            to: LnetState::LnetUp.to_string(),
            description,
            action: Action::ConfigureLnet {
                host_id: host,
                networks: networks.to_vec(),
            },
            locks: vec![
                (Item::Lnet(host).to_string(), true),
                (Item::Host(host).to_string(), false),
            ],
            wait_for: Vec::new(),
        });
        Ok(())
    }

    /// Live managed file systems with a target (or their MGS) on `host`.
    fn filesystems_naming(&self, host: Uuid) -> Vec<String> {
        let mut names: Vec<String> = self
            .snap
            .filesystems
            .values()
            .filter(|fs| !fs.removed && fs.managed)
            .filter(|fs| {
                let mut targets = self.snap.filesystem_targets(fs.id);
                targets.extend(self.snap.targets.get(&fs.mgs_id));
                targets
                    .iter()
                    .any(|t| t.primary_host_id == host || t.failover_host_ids.contains(&host))
            })
            .map(|fs| fs.name.clone())
            .collect();
        names.sort();
        names
    }

    /// Regenerates a file system's configuration with its servers' current
    /// NIDs: stop it, writeconf every MDT and OST, then start the MGS, the
    /// MDTs and only then the OSTs (an MDT0000 that registers after an OST
    /// would erase the OST's new log), and apply its conf_params again
    /// (writeconf drops them).
    pub(super) fn writeconf(&mut self, id: Uuid) -> Result<(), PlanError> {
        let fs = self.fs_facts(id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        let members: Vec<(Uuid, TargetKind)> = self
            .snap
            .filesystem_targets(id)
            .iter()
            .map(|t| (t.id, t.kind))
            .collect();
        for (target, _) in &members {
            let state = self.target_state(*target).0;
            if !matches!(state, TargetState::Mounted | TargetState::Unmounted) {
                let name = self.facts(*target)?.name;
                return Err(PlanError::Conflict(format!(
                    "{name} is {state}; only a file system whose targets all registered can be writeconf'd"
                )));
            }
        }
        let first = self.jobs.len();
        let outer = self
            .consequence
            .replace(format!("A writeconf stops {}: unmount its clients first", fs.name));
        let stopped = self.stop(&members);
        self.consequence = outer;
        let stopped = stopped?;
        // A combined MGS+MDT is writeconf'd with the others and starts first.
        let combined = members.iter().any(|(t, _)| *t == fs.mgs_id);
        let mgs = if combined {
            None
        } else {
            self.target(fs.mgs_id, TargetState::Mounted)?
        };
        let mut rewritten = Vec::new();
        for (target, _) in &members {
            let t = self.facts(*target)?;
            rewritten.push(self.add(Edge {
                object: Item::Target(t.id).to_string(),
                from: TargetState::Unmounted.to_string(),
                to: TargetState::Unmounted.to_string(),
                description: format!(
                    "Write {}'s current NIDs and regenerate its configuration (tunefs.lustre --writeconf)",
                    t.name
                ),
                action: Action::WriteconfTarget { target_id: t.id },
                locks: vec![(Item::Target(t.id).to_string(), true)],
                wait_for: vec![stopped],
            }));
        }
        let outer = std::mem::replace(&mut self.barrier, rewritten);
        self.barrier.extend(mgs);
        // MDT0000 first (`members` lists MDTs by index): when it registers
        // with the writeconf flag the MGS erases the file system's logs
        // (`mgs_erase_logs`), so every other target must register after it.
        let mut mdts = Vec::new();
        for (target, kind) in &members {
            if *kind == TargetKind::Mdt {
                let mounted = self.target(*target, TargetState::Mounted)?;
                if mdts.is_empty() {
                    self.barrier.extend(mounted);
                }
                mdts.extend(mounted);
            }
        }
        self.barrier.extend(mdts);
        for (target, kind) in &members {
            if *kind == TargetKind::Ost {
                self.target(*target, TargetState::Mounted)?;
            }
        }
        self.barrier = outer;
        if fs.has_conf_params {
            let description = format!("Apply the conf_params of {} again (writeconf dropped them)", fs.name);
            self.conf_params_after(&fs, first, description);
        }
        Ok(())
    }
}
