//! Data jobs (FLR mirrors, migration off OSTs, a directory's striping):
//! one job per request, run through a mounted client mount of the file
//! system. The job reads the client mount (a read lock: several data jobs
//! may share it, none may run while it is unmounted) and, for a migration,
//! the OSTs it moves objects off and onto.

use uuid::Uuid;

use super::{Edge, Planner};
use crate::data::{MigrateArgs, MirrorArgs, MirrorOp, StripeArgs};
use crate::domain::{TargetKind, TargetState};
use crate::plan::{ClientMountFacts, ClientMountState, PlanError};
use crate::{Action, Item};

/// What a data request asks for (paths validated with
/// [`crate::data::check_path`], pools known to Chroma).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataRequest {
    Mirror {
        path: String,
        op: MirrorOp,
        pools: Vec<String>,
    },
    Migrate {
        path: String,
        /// OSTs to move objects off.
        exclude: Vec<Uuid>,
        /// A pool to move the files into, with its OSTs.
        pool: Option<(String, Vec<Uuid>)>,
        stripe_count: Option<u32>,
    },
    Stripe {
        path: String,
        pool: String,
        stripe_count: Option<i32>,
        stripe_size: Option<u64>,
    },
}

impl Planner<'_> {
    pub(in crate::plan) fn data_job(
        &mut self,
        mount: &ClientMountFacts,
        request: &DataRequest,
    ) -> Result<(), PlanError> {
        let fs = self.fs_facts(mount.filesystem_id)?;
        if fs.removed {
            return Err(PlanError::Invalid(format!("file system {} is removed", fs.name)));
        }
        if mount.state != ClientMountState::Mounted {
            return Err(PlanError::Conflict(format!(
                "client mount {} of file system {} is not mounted",
                mount.mountpoint, fs.name
            )));
        }
        let mut locks = vec![(Item::ClientMount(mount.id).to_string(), false)];
        let (description, action) = match request {
            DataRequest::Mirror { path, op, pools } => (
                match op {
                    MirrorOp::Create => {
                        format!("Create mirrored file {}:{path} on pools {}", fs.name, pools.join(", "))
                    }
                    MirrorOp::Extend => format!("Add mirrors on pools {} to {}:{path}", pools.join(", "), fs.name),
                    MirrorOp::Resync => format!("Resync the stale mirrors of {}:{path}", fs.name),
                    MirrorOp::Verify => format!("Read the mirrors of {}:{path}", fs.name),
                },
                Action::MirrorFile(MirrorArgs {
                    client_mount_id: mount.id,
                    path: path.clone(),
                    op: *op,
                    pools: pools.clone(),
                }),
            ),
            DataRequest::Migrate {
                path,
                exclude,
                pool,
                stripe_count,
            } => {
                let osts: Vec<_> = self
                    .snap
                    .filesystem_targets(fs.id)
                    .into_iter()
                    .filter(|t| t.kind == TargetKind::Ost)
                    .collect();
                let index_of = |id: &Uuid| {
                    osts.iter()
                        .find(|t| t.id == *id)
                        .and_then(|t| t.index)
                        .map(u32::from)
                        .ok_or_else(|| PlanError::Invalid(format!("OST {id} is not an OST of file system {}", fs.name)))
                };
                let excluded = exclude.iter().map(index_of).collect::<Result<Vec<u32>, _>>()?;
                let members = pool.as_ref().map(|(_, ids)| ids.clone());
                let mut onto: Vec<u32> = osts
                    .iter()
                    .filter(|t| self.target_state(t.id).0 == TargetState::Mounted)
                    .filter(|t| !exclude.contains(&t.id))
                    // A drained OST (`max_create_count=0`) takes no new
                    // objects: `lfs migrate -o` onto it would fail.
                    .filter(|t| !self.snap.drained.contains(&t.id))
                    .filter(|t| members.as_ref().is_none_or(|m| m.contains(&t.id)))
                    .filter_map(|t| t.index.map(u32::from))
                    .collect();
                onto.sort_unstable();
                if onto.is_empty() {
                    return Err(PlanError::Conflict(format!(
                        "no mounted OST of file system {} is left to move {path} onto",
                        fs.name
                    )));
                }
                if let Some(count) = stripe_count {
                    if usize::try_from(*count).is_ok_and(|c| c > onto.len()) {
                        return Err(PlanError::Invalid(format!(
                            "stripe count {count} is more than the {} OSTs the files may move onto",
                            onto.len()
                        )));
                    }
                }
                for t in &osts {
                    locks.push((Item::Target(t.id).to_string(), false));
                }
                let names: Vec<String> = excluded.iter().map(|i| format!("OST{i:04x}")).collect();
                (
                    if names.is_empty() {
                        format!("Migrate the files of {}:{path}", fs.name)
                    } else {
                        format!("Migrate the files of {}:{path} off {}", fs.name, names.join(", "))
                    },
                    Action::MigrateFiles(MigrateArgs {
                        client_mount_id: mount.id,
                        path: path.clone(),
                        exclude_osts: excluded,
                        osts: onto,
                        pool: pool.as_ref().map(|(name, _)| name.clone()),
                        stripe_count: *stripe_count,
                    }),
                )
            }
            DataRequest::Stripe {
                path,
                pool,
                stripe_count,
                stripe_size,
            } => (
                format!("Stripe new files of {}:{path} over pool {pool}", fs.name),
                Action::SetStriping(StripeArgs {
                    client_mount_id: mount.id,
                    path: path.clone(),
                    pool: pool.clone(),
                    stripe_count: *stripe_count,
                    stripe_size: *stripe_size,
                }),
            ),
        };
        self.add(Edge {
            object: Item::ClientMount(mount.id).to_string(),
            from: "mounted".into(),
            to: "mounted".into(),
            description,
            action,
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

    use super::DataRequest;
    use crate::domain::{HostState, LnetState, TargetKind, TargetState};
    use crate::plan::{
        ClientMountFacts, ClientMountState, FilesystemFacts, Goal, HostFacts, Plan, Snapshot, TargetFacts,
    };
    use crate::Action;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// fs1 on host 1 (MGT, MDT0, OST0-2 mounted) with a client mount.
    fn running() -> Snapshot {
        let mut snap = Snapshot::default();
        snap.hosts.insert(
            id(1),
            HostFacts {
                id: id(1),
                label: "mds1".into(),
                state: HostState::Managed,
                lnet: LnetState::LnetUp,
                preflight_failed: Vec::new(),
            },
        );
        snap.filesystems.insert(
            id(10),
            FilesystemFacts {
                id: id(10),
                name: "fs1".into(),
                mgs_id: id(20),
                managed: true,
                removed: false,
                has_conf_params: false,
            },
        );
        let targets = [
            (20, TargetKind::Mgt, None, "MGS"),
            (21, TargetKind::Mdt, Some(0), "fs1-MDT0000"),
            (22, TargetKind::Ost, Some(0), "fs1-OST0000"),
            (23, TargetKind::Ost, Some(1), "fs1-OST0001"),
            (24, TargetKind::Ost, Some(2), "fs1-OST0002"),
        ];
        for (n, kind, index, name) in targets {
            snap.targets.insert(
                id(n),
                TargetFacts {
                    id: id(n),
                    name: name.into(),
                    kind,
                    filesystem_id: (kind != TargetKind::Mgt).then_some(id(10)),
                    index,
                    primary_host_id: id(1),
                    failover_host_ids: Vec::new(),
                    active_host_id: Some(id(1)),
                    state: TargetState::Mounted,
                    managed: true,
                    pacemaker: false,
                },
            );
        }
        snap
    }

    #[test]
    fn a_migration_never_moves_files_onto_a_drained_ost() {
        let mut snap = running();
        snap.drained.insert(id(24));
        let mount = ClientMountFacts {
            id: id(30),
            host_id: id(1),
            filesystem_id: id(10),
            mountpoint: "/mnt/fs1".into(),
            state: ClientMountState::Mounted,
        };
        snap.client_mounts.insert(id(30), mount.clone());
        let goal = Goal::Data {
            mount,
            request: DataRequest::Migrate {
                path: "/d".into(),
                exclude: vec![id(22)],
                pool: None,
                stripe_count: None,
            },
        };
        let plan = Plan::new(&snap, &goal).unwrap();
        let onto: Vec<Vec<u32>> = plan
            .jobs
            .iter()
            .flat_map(|j| &j.steps)
            .filter_map(|a| match a {
                Action::MigrateFiles(m) => Some(m.osts.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(onto, [vec![1]], "{plan:#?}");
    }
}
