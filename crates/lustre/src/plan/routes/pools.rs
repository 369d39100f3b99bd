//! OST pools: one job per request, run on the file system's MGS, which
//! must be running with MDT0000 (`lctl` checks pool commands against the
//! MDT's view, see "OST pools" in docs/lustre-sim-formats.md).

use uuid::Uuid;

use super::{Edge, Planner};
use crate::domain::{TargetKind, TargetState};
use crate::plan::PlanError;
use crate::{Action, Item};

/// A pool as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolFacts {
    pub id: Uuid,
    pub filesystem_id: Uuid,
    pub name: String,
    /// `new`, `available` or `removed`.
    pub state: String,
}

/// What a pool job does.
pub(in crate::plan) enum Change<'a> {
    Create(&'a [Uuid]),
    Members(&'a [Uuid]),
    Destroy,
}

impl Planner<'_> {
    pub(in crate::plan) fn pool_job(&mut self, pool: &PoolFacts, change: Change<'_>) -> Result<(), PlanError> {
        let fs = self.fs_facts(pool.filesystem_id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        if pool.state == "removed" {
            return Err(PlanError::Invalid(format!("pool {}.{} is removed", fs.name, pool.name)));
        }
        let mdt0 = self
            .snap
            .filesystem_targets(fs.id)
            .into_iter()
            .find(|t| t.kind == TargetKind::Mdt && t.index == Some(0))
            .map(|t| t.id);
        let running = |id: Option<Uuid>| id.is_some_and(|id| self.target_state(id).0 == TargetState::Mounted);
        if !running(Some(fs.mgs_id)) || !running(mdt0) {
            return Err(PlanError::Conflict(format!(
                "file system {} must be running (its MGS and MDT0000 mounted) to change its pools",
                fs.name
            )));
        }
        // lctl checks a pool command against MDT0000's pools only where it
        // runs beside the MGS (`combined_mgs_mds`); elsewhere 2.15 refuses
        // to add or remove OSTs.
        let (mgs_host, mdt0_host) = (
            self.target_state(fs.mgs_id).1,
            mdt0.and_then(|id| self.target_state(id).1),
        );
        if mgs_host != mdt0_host {
            return Err(PlanError::Conflict(format!(
                "the MGS of {} runs on {} and its MDT0000 on {}: lctl can change pools only where both run",
                fs.name,
                mgs_host.map_or_else(|| "no host".into(), |h| self.snap.host_label(h)),
                mdt0_host.map_or_else(|| "no host".into(), |h| self.snap.host_label(h)),
            )));
        }
        let full = format!("{}.{}", fs.name, pool.name);
        let (description, action, osts, from, to) = match change {
            Change::Create(ids) => (
                format!("Create OST pool {full}"),
                Action::CreatePool {
                    pool_id: pool.id,
                    ost_ids: ids.to_vec(),
                },
                ids,
                "new",
                "available",
            ),
            Change::Members(ids) => (
                format!("Change the OSTs of pool {full}"),
                Action::ChangePool {
                    pool_id: pool.id,
                    ost_ids: ids.to_vec(),
                },
                ids,
                "available",
                "available",
            ),
            Change::Destroy => (
                format!("Destroy OST pool {full}"),
                Action::DestroyPool { pool_id: pool.id },
                &[][..],
                "available",
                "removed",
            ),
        };
        let mut locks = vec![
            (Item::OstPool(pool.id).to_string(), true),
            (Item::Filesystem(fs.id).to_string(), false),
            (Item::Target(fs.mgs_id).to_string(), false),
        ];
        locks.extend(mdt0.map(|id| (Item::Target(id).to_string(), false)));
        locks.extend(osts.iter().map(|id| (Item::Target(*id).to_string(), false)));
        self.add(Edge {
            object: Item::OstPool(pool.id).to_string(),
            from: from.into(),
            to: to.into(),
            description,
            action,
            locks,
            wait_for: Vec::new(),
        });
        Ok(())
    }
}

/// Lustre's rule for a pool name (`mgs_extract_fs_pool`, `LOV_MAXPOOLNAME`,
/// `lov_pool_is_reserved`): 1 to 15 letters, digits, `_` or `-`, and not
/// `ignore`, `inherit` or `none`. The MGS would take a `.` after the first
/// one; Chroma does not, so `FS.POOL` names one pool only.
pub fn check_pool_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a pool needs a name".into());
    }
    if name.len() > 15 {
        return Err(format!(
            "at most 15 characters (Lustre's LOV_MAXPOOLNAME); {name:?} has {}",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!("only letters, digits, '_' and '-' (not {c:?})"));
    }
    if matches!(name, "ignore" | "inherit" | "none") {
        return Err(format!("{name:?} is reserved by Lustre"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_pool_name;

    #[test]
    fn pool_names_follow_lustre() {
        assert!(check_pool_name("fast_ssd-1").is_ok());
        assert!(check_pool_name("fifteen_chars_x").is_ok());
        for bad in ["", "sixteen_chars_xx", "a.b", "a b", "inherit", "none", "ignore", "é"] {
            assert!(check_pool_name(bad).is_err(), "{bad:?}");
        }
    }
}
