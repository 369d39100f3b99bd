//! Quotas: enforcement is set on the file system's MGS (`lctl conf_param
//! FS.quota.ost|mdt=`), which must be mounted; limits are set with `lfs
//! setquota` on a mounted client mount of the file system, whose MGS and
//! MDT0000 must be running (the quota master lives on MDT0000).

use uuid::Uuid;

use super::{Edge, Planner};
use crate::domain::{TargetKind, TargetState};
use crate::plan::PlanError;
use crate::{Action, Item};

/// A quota as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaFacts {
    pub id: Uuid,
    pub filesystem_id: Uuid,
    /// `user 1000`, `group 100`, `project 7`: for descriptions.
    pub label: String,
    /// `new`, `set` or `removed`.
    pub state: String,
    /// The mounted client mount `lfs setquota` runs on, and its host.
    pub client_mount_id: Uuid,
    pub host_id: Uuid,
}

/// A grace time change as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaGraceFacts {
    pub filesystem_id: Uuid,
    /// `user`, `group` or `project`.
    pub kind: String,
    /// Seconds; `None` keeps the current one.
    pub block_secs: Option<u64>,
    pub inode_secs: Option<u64>,
    /// The mounted client mount `lfs setquota -t` runs on, and its host.
    pub client_mount_id: Uuid,
    pub host_id: Uuid,
}

impl Planner<'_> {
    pub(in crate::plan) fn quota_enforcement(&mut self, fs_id: Uuid, ost: &str, mdt: &str) -> Result<(), PlanError> {
        crate::actions::check_quota_types(ost).map_err(PlanError::Invalid)?;
        crate::actions::check_quota_types(mdt).map_err(PlanError::Invalid)?;
        let fs = self.fs_facts(fs_id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        if self.target_state(fs.mgs_id).0 != TargetState::Mounted {
            return Err(PlanError::Conflict(format!(
                "file system {} must have its MGS mounted to set quota enforcement",
                fs.name
            )));
        }
        self.add(Edge {
            object: Item::Filesystem(fs.id).to_string(),
            from: "quota".into(),
            to: format!("quota ost={ost} mdt={mdt}"),
            description: format!("Enforce quotas on {}: ost={ost}, mdt={mdt}", fs.name),
            action: Action::SetQuotaEnforcement {
                filesystem_id: fs.id,
                ost: ost.to_string(),
                mdt: mdt.to_string(),
            },
            locks: vec![
                (Item::Filesystem(fs.id).to_string(), true),
                (Item::Target(fs.mgs_id).to_string(), false),
            ],
            wait_for: Vec::new(),
        });
        Ok(())
    }

    /// MDT0000 of a running file system (its MGS and MDT0000 mounted),
    /// where the quota master lives; `Conflict` otherwise.
    fn quota_master(&self, fs: &crate::plan::FilesystemFacts) -> Result<Option<Uuid>, PlanError> {
        let mdt0 = self
            .snap
            .filesystem_targets(fs.id)
            .into_iter()
            .find(|t| t.kind == TargetKind::Mdt && t.index == Some(0))
            .map(|t| t.id);
        let running = |id: Option<Uuid>| id.is_some_and(|id| self.target_state(id).0 == TargetState::Mounted);
        if !running(Some(fs.mgs_id)) || !running(mdt0) {
            return Err(PlanError::Conflict(format!(
                "file system {} must be running (its MGS and MDT0000 mounted) to change quotas",
                fs.name
            )));
        }
        Ok(mdt0)
    }

    pub(in crate::plan) fn quota_grace(&mut self, grace: &QuotaGraceFacts) -> Result<(), PlanError> {
        let fs = self.fs_facts(grace.filesystem_id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        let Some(flag) = crate::quota::kind_flag(&grace.kind) else {
            return Err(PlanError::Invalid(format!("{:?} is not a quota kind", grace.kind)));
        };
        let mdt0 = self.quota_master(&fs)?;
        let shown = |secs: Option<u64>| secs.map_or_else(|| "kept".to_string(), crate::quota::format_grace);
        let to = format!(
            "grace {flag} block={} inode={}",
            shown(grace.block_secs),
            shown(grace.inode_secs)
        );
        // The file system is the object: one grace change at a time, and
        // none while its quotas are enforced anew.
        let object = Item::Filesystem(fs.id).to_string();
        let mut locks = vec![
            (object.clone(), true),
            (Item::ClientMount(grace.client_mount_id).to_string(), false),
            (Item::Host(grace.host_id).to_string(), false),
        ];
        locks.extend(mdt0.map(|id| (Item::Target(id).to_string(), false)));
        self.add(Edge {
            object,
            from: "quota grace".into(),
            to,
            description: format!(
                "Set the {} quota grace times on {}: block {}, inode {}",
                grace.kind,
                fs.name,
                shown(grace.block_secs),
                shown(grace.inode_secs)
            ),
            action: Action::SetQuotaGrace {
                filesystem_id: fs.id,
                client_mount_id: grace.client_mount_id,
                kind: grace.kind.clone(),
                block_secs: grace.block_secs,
                inode_secs: grace.inode_secs,
            },
            locks,
            wait_for: Vec::new(),
        });
        Ok(())
    }

    pub(in crate::plan) fn quota(&mut self, quota: &QuotaFacts, clear: bool) -> Result<(), PlanError> {
        let fs = self.fs_facts(quota.filesystem_id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        if quota.state == "removed" {
            return Err(PlanError::Invalid(format!("the quota of {} is removed", quota.label)));
        }
        let mdt0 = self.quota_master(&fs)?;
        let object = Item::Quota(quota.id).to_string();
        let mut locks = vec![
            (object.clone(), true),
            (Item::ClientMount(quota.client_mount_id).to_string(), false),
            (Item::Host(quota.host_id).to_string(), false),
            (Item::Filesystem(fs.id).to_string(), false),
        ];
        locks.extend(mdt0.map(|id| (Item::Target(id).to_string(), false)));
        let (description, action, to) = if clear {
            (
                format!("Clear the quota of {} on {}", quota.label, fs.name),
                Action::ClearQuota {
                    quota_id: quota.id,
                    client_mount_id: quota.client_mount_id,
                },
                "removed",
            )
        } else {
            (
                format!("Set the quota of {} on {}", quota.label, fs.name),
                Action::SetQuota {
                    quota_id: quota.id,
                    client_mount_id: quota.client_mount_id,
                },
                "set",
            )
        };
        self.add(Edge {
            object,
            from: quota.state.clone(),
            to: to.into(),
            description,
            action,
            locks,
            wait_for: Vec::new(),
        });
        Ok(())
    }
}
