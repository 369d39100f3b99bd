//! Planning for a growing and shrinking file system: a target added to a
//! live one, an OST drained, undrained and removed.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use super::*;
use crate::domain::{HostState, LnetState, TargetKind, TargetState};

const MDS: u128 = 1;
const OSS: u128 = 2;
const FS: u128 = 10;
const MGT: u128 = 20;
const MDT0: u128 = 21;
const OST0: u128 = 22;
const NEW: u128 = 30;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// A running file system (MGT, MDT0, OST0 mounted, LNet up) and a new
/// target `kind` with `index`, unformatted.
fn live_with_new(kind: TargetKind, index: u16) -> Snapshot {
    let mut snap = Snapshot::default();
    for (h, label) in [(MDS, "mds1"), (OSS, "oss1")] {
        snap.hosts.insert(
            id(h),
            HostFacts {
                id: id(h),
                label: label.into(),
                state: HostState::Managed,
                lnet: LnetState::LnetUp,
                preflight_failed: Vec::new(),
            },
        );
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
    let new_name = crate::domain::target_name(kind, "fs1", index);
    let targets = [
        (MGT, TargetKind::Mgt, None, MDS, "MGS".to_string(), TargetState::Mounted),
        (
            MDT0,
            TargetKind::Mdt,
            Some(0),
            MDS,
            "fs1-MDT0000".into(),
            TargetState::Mounted,
        ),
        (
            OST0,
            TargetKind::Ost,
            Some(0),
            OSS,
            "fs1-OST0000".into(),
            TargetState::Mounted,
        ),
        (NEW, kind, Some(index), OSS, new_name, TargetState::Unformatted),
    ];
    for (t, kind, index, host, name, state) in targets {
        snap.targets.insert(
            id(t),
            TargetFacts {
                id: id(t),
                name,
                kind,
                filesystem_id: (kind != TargetKind::Mgt).then_some(id(FS)),
                index,
                primary_host_id: id(host),
                failover_host_ids: Vec::new(),
                active_host_id: (state == TargetState::Mounted).then_some(id(host)),
                state,
                managed: true,
                pacemaker: false,
            },
        );
    }
    snap
}

fn steps(plan: &Plan) -> Vec<&'static str> {
    plan.jobs
        .iter()
        .flat_map(|j| j.steps.iter().map(Action::name))
        .collect()
}

#[test]
fn a_target_added_to_a_live_file_system_is_formatted_registered_and_mounted_alone() {
    for kind in [TargetKind::Ost, TargetKind::Mdt] {
        let snap = live_with_new(kind, 1);
        let plan = Plan::new(&snap, &Goal::Target(id(NEW), TargetState::Mounted)).unwrap();
        assert_eq!(
            steps(&plan),
            vec!["format_target", "register_target", "configure_target", "mount_target"],
            "{kind:?}: nothing else of the running file system is touched"
        );
        assert!(plan.confirmations().is_empty());
        let register = &plan.jobs[1];
        assert!(register.locks.contains(&(Item::Target(id(MGT)).to_string(), false)));
    }
}

#[test]
fn an_ost_is_drained_and_undrained_on_the_mgs() {
    let mut snap = live_with_new(TargetKind::Ost, 1);
    let drain = Plan::new(
        &snap,
        &Goal::Drain {
            target: id(OST0),
            drained: true,
        },
    )
    .unwrap();
    assert_eq!(steps(&drain), vec!["drain_ost"]);
    assert!(drain.jobs[0]
        .description
        .contains("osp.fs1-OST0000-osc-MDT*.max_create_count=0"));
    assert!(drain.jobs[0]
        .locks
        .contains(&(Item::Target(id(MGT)).to_string(), false)));
    snap.drained.insert(id(OST0));
    let undrain = Plan::new(
        &snap,
        &Goal::Drain {
            target: id(OST0),
            drained: false,
        },
    )
    .unwrap();
    assert_eq!(steps(&undrain), vec!["undrain_ost"]);
    let mdt = Plan::new(
        &snap,
        &Goal::Drain {
            target: id(MDT0),
            drained: true,
        },
    );
    assert!(matches!(mdt, Err(PlanError::Conflict(m)) if m.contains("only an OST")));
}

#[test]
fn removing_an_ost_of_a_live_file_system_deactivates_it_first_and_asks_for_confirmation() {
    let snap = live_with_new(TargetKind::Ost, 1);
    let plan = Plan::new(&snap, &Goal::Target(id(OST0), TargetState::Removed)).unwrap();
    assert_eq!(
        steps(&plan),
        vec!["deactivate_ost", "unmount_removed_ost", "remove_target"]
    );
    let warning = plan.confirmations().join(" ");
    assert!(
        warning.contains("lose those objects") && warning.contains("lfs migrate"),
        "{warning}"
    );
    assert!(plan.jobs[1].wait_for.contains(&0) && plan.jobs[2].wait_for.contains(&1));
    let mdt = Plan::new(&snap, &Goal::Target(id(MDT0), TargetState::Removed));
    assert!(matches!(mdt, Err(PlanError::Conflict(_))));
}

#[test]
fn an_ost_that_never_registered_is_removed_without_deactivation() {
    for state in [TargetState::Unformatted, TargetState::Formatted] {
        let mut snap = live_with_new(TargetKind::Ost, 1);
        snap.targets.get_mut(&id(NEW)).unwrap().state = state;
        let plan = Plan::new(&snap, &Goal::Target(id(NEW), TargetState::Removed)).unwrap();
        assert_eq!(steps(&plan), vec!["remove_target"], "{state:?}");
        assert!(
            plan.confirmations().is_empty(),
            "{state:?}: nothing of the file system is touched"
        );
    }
}

#[test]
fn an_mdt_whose_addition_failed_before_registering_can_be_removed() {
    let mut snap = live_with_new(TargetKind::Mdt, 1);
    snap.targets.get_mut(&id(NEW)).unwrap().state = TargetState::Formatted;
    let plan = Plan::new(&snap, &Goal::Target(id(NEW), TargetState::Removed)).unwrap();
    assert_eq!(steps(&plan), vec!["remove_target"]);
}

#[test]
fn a_target_being_added_reads_its_file_system_and_relies_on_its_targets() {
    let snap = live_with_new(TargetKind::Ost, 1);
    let goal = Goal::Target(id(NEW), TargetState::Mounted);
    let plan = Plan::new(&snap, &goal).unwrap();
    let fs = (Item::Filesystem(id(FS)).to_string(), false);
    assert!(plan.jobs.iter().all(|j| j.locks.contains(&fs)), "{:?}", plan.jobs);
    let items = goal.items(&snap);
    for item in [Item::Filesystem(id(FS)), Item::Target(id(MDT0)), Item::Target(id(OST0))] {
        assert!(items.contains(&item.to_string()), "{item} in {items:?}");
    }
    // An existing target's own changes do not wait on the file system.
    let mount = Goal::Target(id(OST0), TargetState::Unmounted);
    assert_eq!(mount.items(&snap), vec![Item::Target(id(OST0)).to_string()]);
}

#[test]
fn draining_a_drained_ost_or_undraining_an_undrained_one_plans_nothing() {
    let mut snap = live_with_new(TargetKind::Ost, 1);
    let undrain = Goal::Drain {
        target: id(OST0),
        drained: false,
    };
    assert!(Plan::new(&snap, &undrain).unwrap().jobs.is_empty());
    snap.drained.insert(id(OST0));
    let drain = Goal::Drain {
        target: id(OST0),
        drained: true,
    };
    assert!(Plan::new(&snap, &drain).unwrap().jobs.is_empty());
    assert_eq!(steps(&Plan::new(&snap, &undrain).unwrap()), vec!["undrain_ost"]);
}

#[test]
fn the_removal_warning_asks_to_drain_only_an_ost_not_drained() {
    let mut snap = live_with_new(TargetKind::Ost, 1);
    let goal = Goal::Target(id(OST0), TargetState::Removed);
    let warning = Plan::new(&snap, &goal).unwrap().confirmations().join(" ");
    assert!(warning.contains("drain it first"), "{warning}");
    snap.drained.insert(id(OST0));
    let warning = Plan::new(&snap, &goal).unwrap().confirmations().join(" ");
    assert!(
        !warning.contains("drain it first") && warning.contains("lfs migrate"),
        "{warning}"
    );
}

fn pool(n: u128, name: &str, members: &[u128]) -> PoolFacts {
    PoolFacts {
        id: id(n),
        filesystem_id: id(FS),
        name: name.into(),
        state: "available".into(),
        member_ids: members.iter().map(|m| id(*m)).collect(),
    }
}

#[test]
fn removing_an_ost_takes_it_out_of_its_pools_before_deactivating_it() {
    let mut snap = live_with_new(TargetKind::Ost, 1);
    // OST0 in `fast` with the new OST, alone in `solo`; `other` lacks it.
    for p in [
        pool(40, "fast", &[OST0, NEW]),
        pool(41, "solo", &[OST0]),
        pool(42, "other", &[NEW]),
    ] {
        snap.pools.insert(p.id, p);
    }
    let plan = Plan::new(&snap, &Goal::Target(id(OST0), TargetState::Removed)).unwrap();
    assert_eq!(
        steps(&plan),
        vec![
            "change_pool",
            "change_pool",
            "deactivate_ost",
            "unmount_removed_ost",
            "remove_target"
        ]
    );
    assert_eq!(
        plan.jobs[0].steps,
        vec![Action::ChangePool {
            pool_id: id(40),
            ost_ids: vec![id(NEW)]
        }]
    );
    assert!(
        plan.jobs[0]
            .description
            .contains("lctl pool_remove fs1.fast fs1-OST0000"),
        "{}",
        plan.jobs[0].description
    );
    assert_eq!(
        plan.jobs[1].steps,
        vec![Action::ChangePool {
            pool_id: id(41),
            ost_ids: vec![]
        }]
    );
    assert!(plan.jobs[2].wait_for.contains(&0) && plan.jobs[2].wait_for.contains(&1));
    let warning = plan.confirmations().join(" ");
    assert!(warning.contains("pool fs1.solo with no OST"), "{warning}");
    assert!(!warning.contains("fs1.fast"), "{warning}");
}

#[test]
fn removing_an_ost_of_an_unreachable_server_warns_and_unmounts_at_best() {
    let mut snap = live_with_new(TargetKind::Ost, 1);
    snap.unreachable.insert(id(OSS));
    let plan = Plan::new(&snap, &Goal::Target(id(OST0), TargetState::Removed)).unwrap();
    assert_eq!(
        steps(&plan),
        vec!["deactivate_ost", "unmount_removed_ost", "remove_target"]
    );
    let warning = plan.confirmations().join(" ");
    assert!(
        warning.contains("oss1 unreachable: if it returns with fs1-OST0000 mounted, unmount it by hand"),
        "{warning}"
    );
}
