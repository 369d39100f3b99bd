//! OST pools: one job per request, run on the file system's MGS, which
//! must be running; MDT0000 need not be (since 2.13 lctl checks a pool
//! command against the MGS's client log, see "OST pools" in
//! docs/lustre-sim-formats.md).

use std::collections::BTreeSet;
use uuid::Uuid;

use super::{Edge, Planner};
use crate::domain::TargetState;
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
    /// Its OSTs as last read back from the MGS.
    pub member_ids: Vec<Uuid>,
}

/// What a pool job does.
pub(in crate::plan) enum Change<'a> {
    Create(&'a [Uuid]),
    Members(&'a [Uuid]),
    Destroy,
}

impl Planner<'_> {
    /// Plans the pool's job; `None` when a change of members changes
    /// nothing (the pool already holds exactly those OSTs).
    pub(in crate::plan) fn pool_job(
        &mut self,
        pool: &PoolFacts,
        change: Change<'_>,
    ) -> Result<Option<usize>, PlanError> {
        let fs = self.fs_facts(pool.filesystem_id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        if pool.state == "removed" {
            return Err(PlanError::Invalid(format!("pool {}.{} is removed", fs.name, pool.name)));
        }
        if self.target_state(fs.mgs_id).0 != TargetState::Mounted {
            return Err(PlanError::Conflict(format!(
                "the MGS of file system {} must be running (mounted) to change its pools",
                fs.name
            )));
        }
        let full = format!("{}.{}", fs.name, pool.name);
        let name = |id: &Uuid| {
            self.snap
                .targets
                .get(id)
                .map_or_else(|| id.to_string(), |t| t.name.clone())
        };
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
            Change::Members(ids) => {
                let (now, wanted): (BTreeSet<&Uuid>, BTreeSet<&Uuid>) =
                    (pool.member_ids.iter().collect(), ids.iter().collect());
                if now == wanted {
                    return Ok(None);
                }
                let mut commands = Vec::new();
                for (verb, osts) in [
                    ("pool_add", wanted.difference(&now)),
                    ("pool_remove", now.difference(&wanted)),
                ] {
                    let names: Vec<String> = osts.map(|id| name(id)).collect();
                    if !names.is_empty() {
                        commands.push(format!("lctl {verb} {full} {}", names.join(" ")));
                    }
                }
                (
                    format!("Change the OSTs of pool {full} ({})", commands.join("; ")),
                    Action::ChangePool {
                        pool_id: pool.id,
                        ost_ids: ids.to_vec(),
                    },
                    ids,
                    "available",
                    "available",
                )
            }
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
        locks.extend(osts.iter().map(|id| (Item::Target(*id).to_string(), false)));
        // The MGS may be mounted by an earlier job of the same plan.
        let mgs_mounted = self
            .produced
            .get(&(Item::Target(fs.mgs_id).to_string(), TargetState::Mounted.to_string()))
            .copied();
        Ok(Some(self.add(Edge {
            object: Item::OstPool(pool.id).to_string(),
            from: from.into(),
            to: to.into(),
            description,
            action,
            locks,
            wait_for: vec![mgs_mounted],
        })))
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
