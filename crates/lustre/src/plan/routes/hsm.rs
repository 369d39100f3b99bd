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
            description: format!("Set the HSM coordinator of {} {}", fs.name, control.as_str()),
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
        let (fs, mdts) = self.hsm_running(r.filesystem_id, "serve HSM requests")?;
        let mut locks = vec![
            (Item::ClientMount(r.client_mount_id).to_string(), false),
            (Item::Host(r.host_id).to_string(), false),
            (Item::Filesystem(fs.id).to_string(), false),
        ];
        locks.extend(mdts.iter().map(|id| (Item::Target(*id).to_string(), false)));
        let verb = match r.action {
            HsmAction::Archive => "Archive",
            HsmAction::Release => "Release",
            HsmAction::Restore => "Restore",
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
