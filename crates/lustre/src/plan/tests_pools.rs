//! Planning OST pool jobs.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use super::*;
use crate::domain::{HostState, LnetState, TargetKind, TargetState};

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// fs1 (id 10): MGT 20 and MDT0 21 on host 1, OST0 22, all in `state`.
fn snapshot(state: TargetState) -> Snapshot {
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
    for (tid, kind, index, name) in [
        (id(20), TargetKind::Mgt, None, "MGS"),
        (id(21), TargetKind::Mdt, Some(0), "fs1-MDT0000"),
        (id(22), TargetKind::Ost, Some(0), "fs1-OST0000"),
    ] {
        let facts = TargetFacts {
            id: tid,
            name: name.into(),
            kind,
            filesystem_id: (kind != TargetKind::Mgt).then_some(id(10)),
            index,
            primary_host_id: id(1),
            failover_host_ids: Vec::new(),
            active_host_id: (state == TargetState::Mounted).then_some(id(1)),
            state,
            managed: true,
            pacemaker: false,
        };
        snap.targets.insert(tid, facts);
    }
    snap
}

fn pool(state: &str) -> PoolFacts {
    PoolFacts {
        id: id(30),
        filesystem_id: id(10),
        name: "fast".into(),
        state: state.into(),
        member_ids: Vec::new(),
    }
}

#[test]
fn a_pool_change_is_one_job_locking_the_pool_and_reading_the_rest() {
    let snap = snapshot(TargetState::Mounted);
    let goal = Goal::CreatePool {
        pool: pool("new"),
        ost_ids: vec![id(22)],
    };
    let plan = Plan::new(&snap, &goal).unwrap();
    assert_eq!(plan.jobs.len(), 1);
    let job = &plan.jobs[0];
    assert_eq!(job.description, "Create OST pool fs1.fast");
    assert_eq!(
        job.steps,
        vec![Action::CreatePool {
            pool_id: id(30),
            ost_ids: vec![id(22)]
        }]
    );
    assert!(job.locks.contains(&(Item::OstPool(id(30)).to_string(), true)));
    for read in [Item::Filesystem(id(10)), Item::Target(id(20)), Item::Target(id(22))] {
        assert!(
            job.locks.contains(&(read.to_string(), false)),
            "{read}: {:?}",
            job.locks
        );
    }
    let destroy = Plan::new(&snap, &Goal::DestroyPool(pool("available"))).unwrap();
    assert_eq!(destroy.jobs[0].steps, vec![Action::DestroyPool { pool_id: id(30) }]);
    assert_eq!(destroy.jobs[0].to, "removed");
}

#[test]
fn pools_change_only_on_a_running_file_system_and_a_live_pool() {
    let stopped = snapshot(TargetState::Unmounted);
    let err = Plan::new(&stopped, &Goal::DestroyPool(pool("available"))).unwrap_err();
    assert!(
        matches!(err, PlanError::Conflict(ref m) if m.contains("must be running")),
        "{err}"
    );
    let running = snapshot(TargetState::Mounted);
    let err = Plan::new(&running, &Goal::DestroyPool(pool("removed"))).unwrap_err();
    assert!(matches!(err, PlanError::Invalid(_)), "{err}");
}

#[test]
fn a_standalone_mgs_is_enough_to_change_pools() {
    // The MGS mounted on mds1, MDT0000 stopped (lctl reads the MGS's
    // client log since 2.13).
    let mut snap = snapshot(TargetState::Mounted);
    let mdt0 = snap.targets.get_mut(&id(21)).unwrap();
    mdt0.state = TargetState::Unmounted;
    mdt0.active_host_id = None;
    let goal = Goal::ChangePool {
        pool: pool("available"),
        ost_ids: vec![id(22)],
    };
    let plan = Plan::new(&snap, &goal).unwrap();
    assert_eq!(plan.jobs.len(), 1);
    assert_eq!(
        plan.jobs[0].description,
        "Change the OSTs of pool fs1.fast (lctl pool_add fs1.fast fs1-OST0000)"
    );
    snap.targets.get_mut(&id(20)).unwrap().state = TargetState::Unmounted;
    let err = Plan::new(&snap, &goal).unwrap_err();
    assert!(matches!(err, PlanError::Conflict(ref m) if m.contains("MGS")), "{err}");
}

#[test]
fn a_change_to_the_members_a_pool_has_plans_nothing() {
    let snap = snapshot(TargetState::Mounted);
    let mut held = pool("available");
    held.member_ids = vec![id(22)];
    let goal = Goal::ChangePool {
        pool: held,
        ost_ids: vec![id(22)],
    };
    assert!(Plan::new(&snap, &goal).unwrap().jobs.is_empty());
}
