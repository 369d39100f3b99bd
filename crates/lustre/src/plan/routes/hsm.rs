//! HSM: the coordinator is set from the MGS (`lctl set_param -P`) and
//! read back on the MDTs, so the file system must be running; copytools
//! start and stop on their client host; a request runs on a mounted client
//! mount of the file system.

use uuid::Uuid;

use super::{Edge, Planner};
use crate::domain::{TargetKind, TargetState};
use crate::hsm::{HsmAction, HsmControl};
use crate::plan::PlanError;
use crate::{Action, Item};

/// A copytool as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopytoolFacts {
    pub id: Uuid,
    pub host_id: Uuid,
    pub filesystem_id: Uuid,
    pub client_mount_id: Uuid,
    pub archive_id: i32,
    /// `stopped`, `started`, `failed` or `removed`.
    pub state: String,
}

/// An HSM request for one file, from a mounted client mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HsmRequestFacts {
    pub filesystem_id: Uuid,
    pub client_mount_id: Uuid,
    pub host_id: Uuid,
    pub action: HsmAction,
    pub path: String,
    pub archive_id: Option<u32>,
}

impl Planner<'_> {
    /// The file system's MGS and MDT0000 mounted, or a conflict saying
    /// what `what` needs.
    fn hsm_running(&self, fs_id: Uuid, what: &str) -> Result<(crate::plan::FilesystemFacts, Vec<Uuid>), PlanError> {
        let fs = self.fs_facts(fs_id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        let mdts: Vec<Uuid> = self
            .snap
            .filesystem_targets(fs.id)
            .into_iter()
            .filter(|t| t.kind == TargetKind::Mdt)
            .map(|t| t.id)
            .collect();
        let mounted = |id: &Uuid| self.target_state(*id).0 == TargetState::Mounted;
        if !mounted(&fs.mgs_id) || mdts.is_empty() || !mdts.iter().all(mounted) {
            return Err(PlanError::Conflict(format!(
                "file system {} must be running (its MGS and every MDT mounted) to {what}",
                fs.name
            )));
        }
        Ok((fs, mdts))
    }

    pub(in crate::plan) fn hsm_control(&mut self, fs_id: Uuid, control: HsmControl) -> Result<(), PlanError> {
        let (fs, mdts) = self.hsm_running(fs_id, "change its HSM coordinator")?;
        let mut locks = vec![
            (Item::Filesystem(fs.id).to_string(), false),
            (Item::Target(fs.mgs_id).to_string(), false),
        ];
        locks.extend(mdts.iter().map(|id| (Item::Target(*id).to_string(), false)));
        self.add(Edge {
            object: Item::Filesystem(fs.id).to_string(),
            from: "hsm".into(),
            to: format!("hsm {}", control.as_str()),
            description: match control {
                HsmControl::Purge => format!("Cancel every HSM request of {} (hsm_control=purge)", fs.name),
                _ => format!("Set the HSM coordinator of {} {}", fs.name, control.as_str()),
            },
            action: Action::SetHsmControl {
                filesystem_id: fs.id,
                control,
            },
            locks,
            wait_for: Vec::new(),
        });
        Ok(())
    }

    pub(in crate::plan) fn copytool(&mut self, ct: &CopytoolFacts, want: &str) -> Result<(), PlanError> {
        if ct.state == "removed" {
            return Err(PlanError::Invalid(format!("copytool {} is removed", ct.id)));
        }
        if ct.state == want {
            return Ok(());
        }
        let host = self.snap.host_label(ct.host_id);
        let fs = self.fs_facts(ct.filesystem_id)?;
        let object = Item::Copytool(ct.id).to_string();
        let locks = vec![
            (object.clone(), true),
            (Item::ClientMount(ct.client_mount_id).to_string(), false),
            (Item::Host(ct.host_id).to_string(), false),
            (Item::Filesystem(fs.id).to_string(), false),
        ];
        let (description, action) = match want {
            "started" => {
                self.managed_host(ct.host_id)?;
                self.hsm_running(fs.id, "start a copytool")?;
                (
                    format!("Start the copytool of {} archive {} on {host}", fs.name, ct.archive_id),
                    Action::StartCopytool { copytool_id: ct.id },
                )
            }
            "stopped" => (
                format!("Stop the copytool of {} archive {} on {host}", fs.name, ct.archive_id),
                Action::StopCopytool { copytool_id: ct.id },
            ),
            "removed" => (
                format!("Remove the copytool of {} archive {} on {host}", fs.name, ct.archive_id),
                Action::RemoveCopytool { copytool_id: ct.id },
            ),
            other => return Err(PlanError::Invalid(format!("a copytool cannot be {other}"))),
        };
        self.add(Edge {
            object,
            from: ct.state.clone(),
            to: want.into(),
            description,
            action,
            locks,
            wait_for: Vec::new(),
        });
        Ok(())
    }

    pub(in crate::plan) fn hsm_request(&mut self, r: &HsmRequestFacts) -> Result<(), PlanError> {
        let (fs, _) = self.hsm_running(r.filesystem_id, "serve HSM requests")?;
        // Read locks on the client mount (not unmounted under the request)
        // and the file system (not stopped or removed) only: the job
        // follows the request for up to 30 minutes, and an MDT stop or
        // failover must not wait that long behind it. The coordinator
        // keeps its queue across an MDT restart; the step reads the MDTs
        // wherever they are mounted at each poll.
        let locks = vec![
            (Item::ClientMount(r.client_mount_id).to_string(), false),
            (Item::Filesystem(fs.id).to_string(), false),
        ];
        let verb = match r.action {
            HsmAction::Archive => "Archive",
            HsmAction::Release => "Release",
            HsmAction::Restore => "Restore",
            HsmAction::Remove => "Remove the archive copy of",
        };
        self.add(Edge {
            object: format!("hsm_request/{}", fs.id),
            from: "requested".into(),
            to: r.action.as_str().into(),
            description: format!("{verb} {} on {}", r.path, fs.name),
            action: Action::HsmRequest {
                filesystem_id: fs.id,
                client_mount_id: r.client_mount_id,
                action: r.action,
                path: r.path.clone(),
                archive_id: r.archive_id,
            },
            locks,
            wait_for: Vec::new(),
        });
        Ok(())
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use uuid::Uuid;

    use crate::domain::{HostState, LnetState, TargetKind, TargetState};
    use crate::hsm::HsmAction;
    use crate::plan::{
        ClientMountFacts, ClientMountState, FilesystemFacts, Goal, HostFacts, HsmRequestFacts, Plan, Snapshot,
        TargetFacts,
    };
    use crate::{Action, Item};

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    const MDS: u128 = 1;
    const CLI: u128 = 2;
    const FS: u128 = 10;
    const MGT: u128 = 20;
    const MDT: u128 = 21;
    const MOUNT: u128 = 30;

    /// fs1 running on mds1 (MGT and MDT0 Pacemaker resources, mds2 their
    /// failover host) and
    /// mounted on cli1 at /mnt/fs1.
    fn running_with_client() -> Snapshot {
        let mut snap = Snapshot::default();
        for (h, label) in [(id(MDS), "mds1"), (id(MDS + 100), "mds2"), (id(CLI), "cli1")] {
            let facts = HostFacts {
                id: h,
                label: label.into(),
                state: HostState::Managed,
                lnet: LnetState::LnetUp,
                preflight_failed: Vec::new(),
            };
            snap.hosts.insert(h, facts);
        }
        snap.filesystems.insert(
            id(FS),
            FilesystemFacts {
                id: id(FS),
                name: "fs1".into(),
                mgs_id: id(MGT),
                managed: true,
                removed: false,
                has_conf_params: false,
            },
        );
        for (tid, kind, index, name) in [
            (id(MGT), TargetKind::Mgt, None, "MGS"),
            (id(MDT), TargetKind::Mdt, Some(0), "fs1-MDT0000"),
        ] {
            snap.targets.insert(
                tid,
                TargetFacts {
                    id: tid,
                    name: name.into(),
                    kind,
                    filesystem_id: (kind != TargetKind::Mgt).then_some(id(FS)),
                    index,
                    primary_host_id: id(MDS),
                    failover_host_ids: vec![id(MDS + 100)],
                    active_host_id: Some(id(MDS)),
                    state: TargetState::Mounted,
                    managed: true,
                    pacemaker: true,
                },
            );
        }
        snap.client_mounts.insert(
            id(MOUNT),
            ClientMountFacts {
                id: id(MOUNT),
                host_id: id(CLI),
                filesystem_id: id(FS),
                mountpoint: "/mnt/fs1".into(),
                state: ClientMountState::Mounted,
            },
        );
        snap
    }

    fn request_locks(snap: &Snapshot) -> Vec<(String, bool)> {
        let goal = Goal::HsmRequest(HsmRequestFacts {
            filesystem_id: id(FS),
            client_mount_id: id(MOUNT),
            host_id: id(CLI),
            action: HsmAction::Archive,
            path: "/d/f".into(),
            archive_id: Some(1),
        });
        let plan = Plan::new(snap, &goal).unwrap();
        assert_eq!(plan.jobs.len(), 1, "{plan:#?}");
        plan.jobs[0].locks.clone()
    }

    /// Whether two jobs' locks let them run at once (readers share).
    fn compatible(a: &[(String, bool)], b: &[(String, bool)]) -> bool {
        a.iter()
            .all(|(item, write)| b.iter().all(|(other, w)| item != other || !(*write || *w)))
    }

    #[test]
    fn a_request_read_locks_only_its_client_mount_and_file_system() {
        let snap = running_with_client();
        assert_eq!(
            request_locks(&snap),
            vec![
                (Item::ClientMount(id(MOUNT)).to_string(), false),
                (Item::Filesystem(id(FS)).to_string(), false),
            ]
        );
    }

    #[test]
    fn an_mdt_stops_or_fails_over_while_a_request_is_followed() {
        let snap = running_with_client();
        let request = request_locks(&snap);
        for goal in [
            Goal::Target(id(MDT), TargetState::Unmounted),
            Goal::Failover {
                target: id(MDT),
                host: id(MDS + 100),
            },
        ] {
            let plan = Plan::new(&snap, &goal).unwrap();
            let job = plan
                .jobs
                .iter()
                .find(|j| {
                    j.steps
                        .iter()
                        .any(|s| matches!(s, Action::UnmountTarget { target_id } if *target_id == id(MDT)))
                        || j.object == Item::Target(id(MDT)).to_string()
                })
                .unwrap_or_else(|| panic!("{goal:?}: no job of the MDT: {plan:#?}"));
            assert!(
                compatible(&request, &job.locks),
                "{goal:?} waits for the request: {:?} against {request:?}",
                job.locks
            );
        }
        // Stopping the whole file system still waits for it.
        let plan = Plan::new(
            &snap,
            &Goal::Filesystem(id(FS), crate::domain::FilesystemState::Stopped),
        )
        .unwrap();
        assert!(plan.jobs.iter().any(|j| !compatible(&request, &j.locks)), "{plan:#?}");
    }
}
